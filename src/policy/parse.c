/* parse.c: the YAML tree of a Wassette v1 policy -> validated rules and resources.
 *
 * Validation reports every problem it finds, not only the first, and keeps going after an
 * error wherever the rest of the file still means something. Nothing here is lenient by
 * accident: every key is known, every value is checked, and what warden cannot enforce is
 * said out loud as a warning. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/codes.h"
#include "policy/netaddr.h"
#include "policy/policy_int.h"
#include "util/buf.h"
#include "util/diag.h"
#include "util/path.h"
#include "util/units.h"
#include "yaml/yaml_check.h"
#include "yaml/yaml_tree.h"

typedef struct {
    wd_ycheck ck; /* diagnostics, error count, out-of-memory flag */
    wd_policy *policy;
    wd_rule_int *rules;
    size_t count, cap;
} parser;

#define report(p, ...) wd_ycheck_report(&(p)->ck, __VA_ARGS__)
#define ERR(p, node, id, ...) WD_YERR(&(p)->ck, node, id, __VA_ARGS__)
#define ERR_AT(p, node, off, id, ...) WD_YERR_AT(&(p)->ck, node, off, id, __VA_ARGS__)

static wd_rule_int *new_rule(parser *p, wd_rule_kind kind, wd_effect effect, const wd_yaml_node *at)
{
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        wd_rule_int *r = realloc(p->rules, cap * sizeof(*r));
        if (!r) {
            p->ck.oom = true;
            return NULL;
        }
        p->rules = r;
        p->cap = cap;
    }
    wd_rule_int *r = &p->rules[p->count++];
    memset(r, 0, sizeof(*r));
    r->pub.kind = kind;
    r->pub.effect = effect;
    r->pub.file = p->policy->file;
    r->pub.line = at->line;
    r->pub.column = at->column;
    return r;
}

static const char *adup(parser *p, const char *s, size_t len)
{
    const char *d = wd_arena_strndup(&p->policy->arena, s, len);
    if (!d)
        p->ck.oom = true;
    return d;
}

/* ---- storage ---------------------------------------------------------------------------- */

static const char *const access_names[WD_ACCESS_BITS] = {"read", "write", "execute", "create",
                                                         "delete"};

/* Checks the path part of an fs:// URI and builds the absolute pattern. Returns NULL after
 * reporting. */
static const char *storage_pattern(parser *p, const wd_yaml_node *uri, size_t off)
{
    const char *path = uri->str + off;
    size_t len = uri->len - off;
    bool ok = true;
    if (len == 0) {
        ERR(p, uri, WD_P_URI, "storage URI has no path after fs://");
        return NULL;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f) {
            ERR_AT(p, uri, off + i, WD_P_URI, "control character (0x%02x) in a storage URI",
                   (unsigned)(unsigned char)path[i]);
            return NULL;
        }
    bool absolute = path[0] == '/';
    const char *base = p->policy->data_dir;
    if (!absolute && !base) {
        ERR(p, uri, WD_P_NO_DATA_DIR,
            "relative storage URI but no data directory was given to resolve it against");
        ok = false;
    }
    for (size_t i = 0; i < len;) {
        while (i < len && path[i] == '/')
            i++;
        size_t start = i, stars = 0;
        while (i < len && path[i] != '/')
            i++;
        size_t seg = i - start;
        if (seg == 0)
            break;
        const char *s = path + start;
        if ((seg == 1 && s[0] == '.') || (seg == 2 && s[0] == '.' && s[1] == '.')) {
            ERR_AT(p, uri, off + start, WD_P_DOT_SEGMENT,
                   "'%.*s' segment in a storage URI: write the path it means", (int)seg, s);
            ok = false;
            continue;
        }
        bool globstar_reported = false;
        for (size_t k = 0; k < seg; k++) {
            char c = s[k];
            if (c == '*' && k + 1 < seg && s[k + 1] == '*') {
                if (seg != 2 && !globstar_reported) {
                    ERR_AT(p, uri, off + start + k, WD_P_GLOBSTAR,
                           "'**' must be a whole path segment, as in fs:///a/**/b");
                    ok = false;
                }
                globstar_reported = true;
                k++;
                continue;
            }
            if (c == '*' && ++stars == 2 && !globstar_reported) {
                ERR_AT(p, uri, off + start + k, WD_P_WILDCARD,
                       "more than one '*' in a path segment");
                ok = false;
            }
            if (strchr("?[]{}\\", c)) {
                ERR_AT(p, uri, off + start + k, WD_P_WILDCARD,
                       "unsupported wildcard character '%c' (only '*' and '**' are supported)", c);
                ok = false;
            }
        }
    }
    if (!ok)
        return NULL;

    char joined[WD_PATH_MAX + 1], norm[WD_PATH_MAX + 1];
    int n = absolute ? snprintf(joined, sizeof(joined), "%.*s", (int)len, path)
                     : snprintf(joined, sizeof(joined), "%s/%.*s", base, (int)len, path);
    bool escapes = false;
    if (n < 0 || (size_t)n >= WD_PATH_MAX ||
        wd_path_normalize(joined, norm, sizeof(norm), &escapes) != 0 || escapes) {
        ERR(p, uri, WD_P_URI, "storage path is longer than %d bytes", WD_PATH_MAX - 1);
        return NULL;
    }
    return adup(p, norm, strlen(norm));
}

static unsigned storage_access(parser *p, const wd_yaml_node *list)
{
    int k = wd_ycheck_expect(&p->ck, list, WD_YAML_SEQ, "access");
    if (k < 0)
        return 0;
    if (k == 0 || list->count == 0) {
        ERR(p, list, WD_P_ACCESS,
            "access list is empty: list read, write, execute, create or delete");
        return 0;
    }
    unsigned listed = 0;
    bool ok = true;
    for (const wd_yaml_node *a = list->child; a; a = a->next) {
        if (!wd_ycheck_scalar(&p->ck, a, "an access name")) {
            ok = false;
            continue;
        }
        unsigned bit = 0;
        if (wd_access_parse(a->str, &bit) != 0) {
            char name[80];
            ERR(p, a, WD_P_ACCESS,
                "unknown access %s (expected read, write, execute, create or delete)",
                wd_yaml_shown(a, name, sizeof(name)));
            ok = false;
        } else if (listed & bit) {
            ERR(p, a, WD_P_ACCESS, "access \"%s\" is listed twice", a->str);
            ok = false;
        }
        listed |= bit;
    }
    return ok ? listed : 0;
}

static void storage_text(wd_buf *b, wd_effect effect, const wd_yaml_node *uri, unsigned listed)
{
    wd_buf_printf(b, "%s %s (", wd_effect_name(effect), uri->str);
    bool first = true;
    for (int i = 0; i < WD_ACCESS_BITS; i++)
        if (listed & (1u << i)) {
            wd_buf_printf(b, "%s%s", first ? "" : ", ", access_names[i]);
            first = false;
        }
    wd_buf_putc(b, ')');
}

static void storage_rule(parser *p, const wd_yaml_node *item, wd_effect effect)
{
    if (wd_ycheck_expect(&p->ck, item, WD_YAML_MAP, "a storage rule") <= 0) {
        if (wd_yaml_is_null(item))
            ERR(p, item, WD_P_MISSING, "storage rule is empty: it needs uri and access");
        return;
    }
    static const char *const keys[] = {"uri", "access", NULL};
    wd_ycheck_keys(&p->ck, item, keys, "storage rule");
    const wd_yaml_node *uri = wd_yaml_get(item, "uri"), *access = wd_yaml_get(item, "access");
    if (!uri)
        ERR(p, item, WD_P_MISSING, "storage rule has no uri");
    if (!access)
        ERR(p, item, WD_P_MISSING, "storage rule has no access list");
    const char *pattern = NULL;
    if (uri && wd_ycheck_scalar(&p->ck, uri, "uri")) {
        if (uri->len < 5 || memcmp(uri->str, "fs://", 5) != 0) {
            char name[80];
            ERR(p, uri, WD_P_URI, "storage URI %s must start with fs://",
                wd_yaml_shown(uri, name, sizeof(name)));
        } else {
            pattern = storage_pattern(p, uri, 5);
        }
    }
    unsigned listed = access ? storage_access(p, access) : 0;
    if (!pattern || !listed)
        return;
    wd_rule_int *r = new_rule(p, WD_RULE_STORAGE, effect, item);
    if (!r)
        return;
    /* write implies create and delete, in deny rules as in allow rules */
    r->pub.access =
        listed & WD_ACCESS_WRITE ? listed | WD_ACCESS_CREATE | WD_ACCESS_DELETE : listed;
    r->pub.pattern = pattern;
    r->pub.uri = adup(p, uri->str, uri->len);
    wd_buf text = WD_BUF_INIT;
    storage_text(&text, effect, uri, listed);
    r->pub.text = adup(p, wd_buf_cstr(&text), text.len);
    p->ck.oom |= text.oom;
    wd_buf_free(&text);
}

/* ---- network ---------------------------------------------------------------------------- */

static int cmp_port(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static size_t network_ports(parser *p, const wd_yaml_node *list, uint16_t *out, size_t max)
{
    int k = wd_ycheck_expect(&p->ck, list, WD_YAML_SEQ, "ports");
    if (k < 0)
        return 0;
    if (k == 0 || list->count == 0) {
        ERR(p, list, WD_P_PORT, "ports list is empty: omit it to allow any port");
        return 0;
    }
    size_t n = 0;
    bool ok = true;
    for (const wd_yaml_node *it = list->child; it; it = it->next) {
        unsigned port;
        const char *why;
        if (!wd_ycheck_scalar(&p->ck, it, "a port")) {
            ok = false;
        } else if (!wd_port_parse(it->str, it->len, &port, &why)) {
            char name[80];
            ERR(p, it, WD_P_PORT, "bad port %s: %s", wd_yaml_shown(it, name, sizeof(name)), why);
            ok = false;
        } else if (n == max) {
            ERR(p, it, WD_P_PORT, "more than %zu ports in one rule", max);
            ok = false;
        } else {
            for (size_t i = 0; i < n; i++)
                if (out[i] == port) {
                    ERR(p, it, WD_P_PORT, "port %u is listed twice", port);
                    ok = false;
                }
            out[n++] = (uint16_t)port;
        }
    }
    qsort(out, n, sizeof(*out), cmp_port);
    return ok ? n : 0;
}

static void network_rule(parser *p, const wd_yaml_node *item, wd_effect effect)
{
    if (wd_ycheck_expect(&p->ck, item, WD_YAML_MAP, "a network rule") <= 0) {
        if (wd_yaml_is_null(item))
            ERR(p, item, WD_P_MISSING, "network rule is empty: it needs host or cidr");
        return;
    }
    static const char *const keys[] = {"host", "cidr", "ports", NULL};
    wd_ycheck_keys(&p->ck, item, keys, "network rule");
    const wd_yaml_node *host = wd_yaml_get(item, "host"), *cidr = wd_yaml_get(item, "cidr"),
                       *ports = wd_yaml_get(item, "ports");
    if (host && cidr) {
        ERR(p, cidr, WD_P_CONFLICT, "a network rule has host or cidr, not both");
        return;
    }
    if (!host && !cidr) {
        ERR(p, item, WD_P_MISSING, "network rule has neither host nor cidr");
        return;
    }
    enum { MAX_PORTS = 64 };
    uint16_t portv[MAX_PORTS];
    size_t nports = 0;
    bool ports_ok = true;
    if (ports) {
        unsigned before = (unsigned)p->ck.errors;
        nports = network_ports(p, ports, portv, MAX_PORTS);
        ports_ok = (unsigned)p->ck.errors == before;
    }

    wd_host_spec spec;
    wd_ip addr = {0};
    unsigned prefix = 0;
    char name[80];
    const char *why;
    wd_host_part bad;
    if (host) {
        if (!wd_ycheck_scalar(&p->ck, host, "host"))
            return;
        if (!wd_host_spec_parse_part(host->str, host->len, true, &spec, &why, &bad)) {
            ERR(p, host, bad == WD_HOST_PART_PORT ? WD_P_PORT : WD_P_HOST, "bad host %s: %s",
                wd_yaml_shown(host, name, sizeof(name)), why);
            return;
        }
        if (spec.port && ports) {
            ERR(p, ports, WD_P_CONFLICT, "the host names port %u and the rule also lists ports",
                spec.port);
            return;
        }
    } else {
        if (!wd_ycheck_scalar(&p->ck, cidr, "cidr"))
            return;
        if (!wd_cidr_parse(cidr->str, cidr->len, &addr, &prefix, &why)) {
            ERR(p, cidr, WD_P_CIDR, "bad CIDR %s: %s", wd_yaml_shown(cidr, name, sizeof(name)),
                why);
            return;
        }
    }
    if (!ports_ok)
        return;

    wd_rule_int *r = new_rule(p, WD_RULE_NETWORK, effect, item);
    if (!r)
        return;
    wd_buf text = WD_BUF_INIT;
    char ipbuf[64];
    if (host) {
        r->host_kind = spec.kind;
        r->pub.scheme = spec.scheme[0] ? adup(p, spec.scheme, strlen(spec.scheme)) : NULL;
        if (spec.port) {
            portv[0] = (uint16_t)spec.port;
            nports = 1;
        }
        switch (spec.kind) {
        case WD_HOST_ANY:
            r->pub.host = "*";
            break;
        case WD_HOST_WILDCARD:
            r->host_name = adup(p, spec.name, strlen(spec.name));
            wd_buf_printf(&text, "*.%s", spec.name);
            r->pub.host = adup(p, wd_buf_cstr(&text), text.len);
            wd_buf_clear(&text);
            break;
        case WD_HOST_NAME:
            r->host_name = r->pub.host = adup(p, spec.name, strlen(spec.name));
            break;
        case WD_HOST_IP:
            r->ip = spec.ip;
            r->prefix = spec.ip.family == 4 ? 32 : 128;
            wd_ip_format(&spec.ip, ipbuf);
            r->pub.host = adup(p, ipbuf, strlen(ipbuf));
            break;
        }
        wd_buf_printf(&text, "%s host %s", wd_effect_name(effect), host->str);
    } else {
        r->ip = addr;
        r->prefix = prefix;
        r->pub.cidr = adup(p, cidr->str, cidr->len);
        wd_buf_printf(&text, "%s cidr %s", wd_effect_name(effect), cidr->str);
    }
    if (nports) {
        uint16_t *pv = wd_arena_array(&p->policy->arena, nports, sizeof(*pv));
        if (!pv) {
            p->ck.oom = true;
        } else {
            memcpy(pv, portv, nports * sizeof(*pv));
            r->pub.ports = pv;
            r->pub.port_count = nports;
        }
        if (ports) {
            wd_buf_puts(&text, " ports [");
            for (size_t i = 0; i < nports; i++)
                wd_buf_printf(&text, "%s%u", i ? ", " : "", portv[i]);
            wd_buf_putc(&text, ']');
        }
    }
    r->restriction = (uint8_t)((nports ? 1 : 0) + (r->pub.scheme ? 1 : 0));
    r->pub.text = adup(p, wd_buf_cstr(&text), text.len);
    p->ck.oom |= text.oom;
    wd_buf_free(&text);
}

/* ---- environment ------------------------------------------------------------------------ */

static void environment_rule(parser *p, const wd_yaml_node *item, wd_effect effect)
{
    if (wd_ycheck_expect(&p->ck, item, WD_YAML_MAP, "an environment rule") <= 0) {
        if (wd_yaml_is_null(item))
            ERR(p, item, WD_P_MISSING, "environment rule is empty: it needs key");
        return;
    }
    static const char *const keys[] = {"key", NULL};
    wd_ycheck_keys(&p->ck, item, keys, "environment rule");
    const wd_yaml_node *key = wd_yaml_get(item, "key");
    if (!key) {
        ERR(p, item, WD_P_MISSING, "environment rule has no key");
        return;
    }
    if (!wd_ycheck_scalar(&p->ck, key, "key"))
        return;
    if (key->len == 0) {
        ERR(p, key, WD_P_ENV_KEY, "environment key is empty");
        return;
    }
    if (key->len > 256) {
        ERR(p, key, WD_P_ENV_KEY, "environment key is longer than 256 bytes");
        return;
    }
    for (size_t i = 0; i < key->len; i++) {
        unsigned char c = (unsigned char)key->str[i];
        const char *bad = c == '*' || c == '?' ? "wildcards are not supported in environment keys"
                          : c == '='           ? "'=' cannot appear in an environment key"
                          : c <= 0x20 || c >= 0x7f
                              ? "environment keys are printable ASCII without spaces"
                              : NULL;
        if (bad) {
            ERR_AT(p, key, i, WD_P_ENV_KEY, "%s", bad);
            return;
        }
    }
    wd_rule_int *r = new_rule(p, WD_RULE_ENVIRONMENT, effect, item);
    if (!r)
        return;
    r->pub.key = adup(p, key->str, key->len);
    wd_buf text = WD_BUF_INIT;
    wd_buf_printf(&text, "%s env %s", wd_effect_name(effect), key->str);
    r->pub.text = adup(p, wd_buf_cstr(&text), text.len);
    p->ck.oom |= text.oom;
    wd_buf_free(&text);
}

/* ---- tools ------------------------------------------------------------------------------ */

static void tool_rule(parser *p, const wd_yaml_node *item, wd_effect effect)
{
    if (wd_ycheck_expect(&p->ck, item, WD_YAML_MAP, "a tool rule") <= 0) {
        if (wd_yaml_is_null(item))
            ERR(p, item, WD_P_MISSING, "tool rule is empty: it needs name");
        return;
    }
    static const char *const keys[] = {"name", NULL};
    wd_ycheck_keys(&p->ck, item, keys, "tool rule");
    const wd_yaml_node *name = wd_yaml_get(item, "name");
    if (!name) {
        ERR(p, item, WD_P_MISSING, "tool rule has no name");
        return;
    }
    if (!wd_ycheck_scalar(&p->ck, name, "name"))
        return;
    bool every = name->len == 1 && name->str[0] == '*';
    long bad = every ? -1 : wd_tool_name_check(name->str, name->len);
    if (bad >= 0 && name->len == 0) {
        ERR(p, name, WD_P_TOOL_NAME, "tool name is empty");
        return;
    }
    if (bad >= 0 && (size_t)bad == name->len) {
        ERR(p, name, WD_P_TOOL_NAME, "tool name is longer than %d bytes", WD_TOOL_NAME_MAX);
        return;
    }
    if (bad >= 0) {
        unsigned char c = (unsigned char)name->str[bad];
        if (c == '*' || c == '?')
            ERR_AT(p, name, (size_t)bad, WD_P_TOOL_NAME,
                   "a tool name is exact, or \"*\" alone for every tool");
        else
            ERR_AT(p, name, (size_t)bad, WD_P_TOOL_NAME,
                   "tool names are letters, digits, '_', '-', '.' and '/' (byte 0x%02x is not)",
                   (unsigned)c);
        return;
    }
    wd_rule_int *r = new_rule(p, WD_RULE_TOOL, effect, item);
    if (!r)
        return;
    r->pub.tool = adup(p, name->str, name->len);
    wd_buf text = WD_BUF_INIT;
    wd_buf_printf(&text, "%s tool %s", wd_effect_name(effect), r->pub.tool ? r->pub.tool : "");
    r->pub.text = adup(p, wd_buf_cstr(&text), text.len);
    p->ck.oom |= text.oom;
    wd_buf_free(&text);
}

/* ---- sections --------------------------------------------------------------------------- */

typedef void (*rule_fn)(parser *, const wd_yaml_node *, wd_effect);

static void rule_section(parser *p, const wd_yaml_node *sec, const char *name, rule_fn fn)
{
    if (wd_ycheck_expect(&p->ck, sec, WD_YAML_MAP, name) <= 0)
        return;
    static const char *const keys[] = {"allow", "deny", NULL};
    wd_ycheck_keys(&p->ck, sec, keys, name);
    static const char *const lists[2] = {"allow", "deny"};
    for (int i = 0; i < 2; i++) {
        const wd_yaml_node *list = wd_yaml_get(sec, lists[i]);
        if (!list || wd_ycheck_expect(&p->ck, list, WD_YAML_SEQ, lists[i]) <= 0)
            continue;
        for (const wd_yaml_node *item = list->child; item; item = item->next)
            fn(p, item, i == 0 ? WD_ALLOW : WD_DENY);
    }
}

typedef bool (*unit_fn)(const char *, size_t, uint64_t *, const char **);

static void resource(parser *p, const wd_yaml_node *map, const char *key, unit_fn fn, uint64_t *out,
                     const char *legacy_note)
{
    const wd_yaml_node *v = wd_yaml_get(map, key);
    if (!v || !wd_ycheck_scalar(&p->ck, v, key))
        return;
    uint64_t value;
    const char *why;
    char name[80];
    if (!fn(v->str, v->len, &value, &why)) {
        ERR(p, v, WD_P_RESOURCE, "bad %s%s %s: %s", key, legacy_note,
            wd_yaml_shown(v, name, sizeof(name)), why);
        return;
    }
    if (*out) {
        ERR(p, v, WD_P_CONFLICT, "%s is set both in resources and in resources.limits", key);
        return;
    }
    *out = value;
}

static void resources_section(parser *p, const wd_yaml_node *sec)
{
    if (wd_ycheck_expect(&p->ck, sec, WD_YAML_MAP, "resources") <= 0)
        return;
    static const char *const keys[] = {"limits", "cpu", "memory", "io", NULL};
    wd_ycheck_keys(&p->ck, sec, keys, "resources");
    wd_resources *r = &p->policy->resources;
    const wd_yaml_node *limits = wd_yaml_get(sec, "limits");
    if (limits && wd_ycheck_expect(&p->ck, limits, WD_YAML_MAP, "limits") > 0) {
        static const char *const lkeys[] = {"cpu",        "memory",       "timeout", "pids",
                                            "open_files", "output_bytes", NULL};
        wd_ycheck_keys(&p->ck, limits, lkeys, "resources.limits");
        resource(p, limits, "cpu", wd_units_cpu, &r->cpu_millicores, "");
        resource(p, limits, "memory", wd_units_bytes, &r->memory_bytes, "");
        resource(p, limits, "timeout", wd_units_duration_ms, &r->timeout_ms, "");
        resource(p, limits, "pids", wd_units_count, &r->pids, "");
        resource(p, limits, "open_files", wd_units_count, &r->open_files, "");
        resource(p, limits, "output_bytes", wd_units_bytes, &r->output_bytes, "");
    }
    /* Wassette's legacy form: cpu as a percentage of one core, memory in MiB. */
    resource(p, sec, "cpu", wd_units_cpu_legacy, &r->cpu_millicores, " (legacy percentage)");
    resource(p, sec, "memory", wd_units_memory_legacy, &r->memory_bytes, " (legacy MiB)");
    for (const wd_yaml_node *k = sec->child; k && k->next; k = k->next->next)
        if (k->kind == WD_YAML_SCALAR && !strcmp(k->str, "io"))
            report(p, WD_DIAG_WARNING, WD_W_NOT_ENFORCED, k->line, k->column,
                   "resources.io is not enforced by warden: accepted and ignored");
}

static void version_field(parser *p, const wd_yaml_node *root)
{
    const wd_yaml_node *v = wd_yaml_get(root, "version");
    if (!v) {
        ERR(p, root, WD_P_MISSING, "policy has no version (expected version: \"1.0\")");
        return;
    }
    if (!wd_ycheck_scalar(&p->ck, v, "version"))
        return;
    /* "1" or "1.N": the major version is the compatibility promise. */
    bool ok = v->len >= 1 && v->str[0] == '1';
    if (ok && v->len > 1) {
        ok = v->len > 2 && v->str[1] == '.';
        for (size_t i = 2; ok && i < v->len; i++)
            ok = v->str[i] >= '0' && v->str[i] <= '9';
    }
    if (!ok) {
        char name[80];
        ERR(p, v, WD_P_VERSION, "unsupported policy version %s (this warden reads 1.x)",
            wd_yaml_shown(v, name, sizeof(name)));
        return;
    }
    p->policy->version = adup(p, v->str, v->len);
}

static void permissions(parser *p, const wd_yaml_node *perms)
{
    if (wd_ycheck_expect(&p->ck, perms, WD_YAML_MAP, "permissions") <= 0)
        return;
    static const char *const keys[] = {"storage",   "network", "environment", "tools",
                                       "resources", "runtime", "ipc",         NULL};
    wd_ycheck_keys(&p->ck, perms, keys, "permissions");
    const wd_yaml_node *s;
    if ((s = wd_yaml_get(perms, "storage")))
        rule_section(p, s, "storage", storage_rule);
    if ((s = wd_yaml_get(perms, "network")))
        rule_section(p, s, "network", network_rule);
    if ((s = wd_yaml_get(perms, "environment")))
        rule_section(p, s, "environment", environment_rule);
    /* Present at all, even empty, the section is a list: what it does not allow is denied. */
    if ((s = wd_yaml_get(perms, "tools"))) {
        p->policy->lists_tools = true;
        rule_section(p, s, "tools", tool_rule);
    }
    if ((s = wd_yaml_get(perms, "resources")))
        resources_section(p, s);
    static const char *const unenforced[] = {"runtime", "ipc"};
    for (int i = 0; i < 2; i++) {
        const wd_yaml_node *k = perms->child;
        for (; k && k->next; k = k->next->next)
            if (k->kind == WD_YAML_SCALAR && !strcmp(k->str, unenforced[i]))
                report(p, WD_DIAG_WARNING, WD_W_NOT_ENFORCED, k->line, k->column,
                       "permissions.%s is not enforced by warden: accepted and ignored",
                       unenforced[i]);
    }
}

/* Whether the text holds anything but whitespace and comments. */
static bool has_content(const char *data, size_t len)
{
    bool comment = false;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (comment) {
            comment = c != '\n';
        } else if (c == '#') {
            comment = true;
        } else if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            return true;
        }
    }
    return false;
}

/* Validates a policy's root mapping into p's rules. */
static int parse_root(parser *p, const wd_yaml_node *root)
{
    wd_policy *policy = p->policy;
    if (!root || wd_yaml_is_null(root)) {
        report(p, WD_DIAG_ERROR, WD_P_EMPTY, 0, 0, "policy file has no content");
        return WD_EPOLICY;
    }
    if (root->kind != WD_YAML_MAP) {
        ERR(p, root, WD_P_TYPE, "a policy must be a mapping with version and permissions");
        return WD_EPOLICY;
    }
    static const char *const keys[] = {"version", "description", "permissions", NULL};
    wd_ycheck_keys(&p->ck, root, keys, "policy");
    version_field(p, root);
    const wd_yaml_node *d = wd_yaml_get(root, "description");
    if (d && !wd_yaml_is_null(d) && wd_ycheck_expect(&p->ck, d, WD_YAML_SCALAR, "description") > 0)
        policy->description = adup(p, d->str, d->len);
    const wd_yaml_node *perms = wd_yaml_get(root, "permissions");
    if (perms)
        permissions(p, perms);
    if (p->ck.oom || p->ck.errors)
        return p->ck.oom ? WD_ENOMEM : WD_EPOLICY;
    return 0;
}

/* Moves the rules the parser gathered into the policy's arena, where decisions find them. */
static int keep_rules(wd_policy *policy, const parser *p)
{
    policy->rules = wd_arena_array(&policy->arena, p->count ? p->count : 1, sizeof(*p->rules));
    if (!policy->rules)
        return WD_ENOMEM;
    if (p->count)
        memcpy(policy->rules, p->rules, p->count * sizeof(*p->rules));
    policy->rule_count = p->count;
    return 0;
}

int wd_policy_parse_node(wd_policy *policy, const wd_yaml_node *root, wd_diagnostics *diags)
{
    parser p = {.ck = {.diags = diags,
                       .file = policy->file,
                       .id_type = WD_P_TYPE,
                       .id_missing = WD_P_MISSING,
                       .id_unknown_key = WD_P_UNKNOWN_KEY},
                .policy = policy};
    int rc = parse_root(&p, root);
    if (!rc)
        rc = keep_rules(policy, &p);
    free(p.rules);
    return rc;
}

int wd_policy_parse(wd_policy *policy, const char *data, size_t len, wd_diagnostics *diags)
{
    if (!has_content(data, len)) {
        wd_diag_add(diags, WD_DIAG_ERROR, WD_P_EMPTY, policy->file, 0, 0, "policy file is empty");
        return WD_EPOLICY;
    }
    /* The tree is scaffolding: it lives in its own arena, gone once the rules are built, so a
     * compiled policy holds only what decisions need. */
    wd_arena scratch = WD_ARENA_INIT;
    wd_yaml_node *root = NULL;
    int rc = wd_yaml_parse(&scratch, data, len, policy->file, diags, &root);
    if (rc == 0)
        rc = wd_policy_parse_node(policy, root, diags);
    wd_arena_free(&scratch);
    return rc;
}
