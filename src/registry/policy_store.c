/* policy_store.c: component policies on disk, changed atomically (policy_store.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/netaddr.h"
#include "registry/codes.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"
#include "util/path.h"
#include "warden/policy_store.h"

struct wd_policy_store {
    char *dir, *data_dir;
    int components_fd; /* DIR/components, for renames and the directory sync */
    wd_audit *audit;
    wd_policy_cache *cache;
    wd_policy *(*base)(void *ctx, const char *component);
    void *base_ctx;
};

static const char *const access_names[] = {"read", "write", "execute", "create", "delete"};

/* A component id names a file: the plugin id rules (1-128 of [a-z0-9._-], a letter first), so
 * it can never be "..", contain '/', or be hidden. */
static int check_component(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    bool ok = n >= 1 && n <= WD_PLUGIN_ID_MAX && id[0] >= 'a' && id[0] <= 'z';
    for (size_t i = 0; ok && i < n; i++)
        ok = (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '.' ||
             id[i] == '_' || id[i] == '-';
    return ok ? 0
              : wd_fail(WD_EINVAL,
                        "component id \"%.64s\" must be 1-128 of [a-z0-9._-], starting "
                        "with a letter",
                        id ? id : "");
}

int wd_policy_store_open(wd_policy_store **out, const char *dir,
                         const wd_policy_store_options *opts)
{
    *out = NULL;
    wd_policy_store_options o = WD_POLICY_STORE_OPTIONS_INIT;
    if (opts)
        o = *opts;
    if (o.version != WD_POLICY_STORE_OPTIONS_VERSION || !dir || dir[0] != '/')
        return wd_fail(WD_EINVAL, "a policy store needs an absolute directory");
    if (o.data_dir && o.data_dir[0] != '/')
        return wd_fail(WD_EINVAL, "the data directory must be absolute");
    wd_policy_store *s = calloc(1, sizeof(*s));
    if (!s)
        return wd_fail(WD_ENOMEM, "out of memory");
    s->components_fd = -1;
    s->audit = o.audit;
    s->cache = o.cache;
    s->base = o.base;
    s->base_ctx = o.base_ctx;
    s->dir = strdup(dir);
    s->data_dir = strdup(o.data_dir ? o.data_dir : dir);
    char sub[4200];
    int rc = !s->dir || !s->data_dir ? WD_ENOMEM : 0;
    const char *subs[] = {"", "/components", "/defaults"};
    for (int i = 0; i < 3 && !rc; i++) {
        snprintf(sub, sizeof(sub), "%s%s", dir, subs[i]);
        if (mkdir(sub, 0755) != 0 && errno != EEXIST)
            rc = wd_fail(WD_EIO, "cannot create %s: %s", sub, strerror(errno));
    }
    if (!rc) {
        snprintf(sub, sizeof(sub), "%s/components", dir);
        s->components_fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->components_fd < 0)
            rc = wd_fail(WD_EIO, "cannot open %s: %s", sub, strerror(errno));
    }
    if (rc) {
        wd_policy_store_close(s);
        return rc == WD_ENOMEM ? wd_fail(WD_ENOMEM, "out of memory") : rc;
    }
    *out = s;
    return 0;
}

void wd_policy_store_close(wd_policy_store *s)
{
    if (!s)
        return;
    if (s->components_fd >= 0)
        close(s->components_fd);
    free(s->dir);
    free(s->data_dir);
    free(s);
}

static int load_path(wd_policy_store *s, const char *path, wd_policy **out)
{
    wd_policy_options po = WD_POLICY_OPTIONS_INIT;
    po.data_dir = s->data_dir;
    if (!s->cache)
        return wd_policy_load(out, path, &po);
    /* Through the cache: the key is the text itself, so a changed file is a new entry and
     * never a stale hit. */
    char *text;
    size_t len;
    int rc = wd_file_read(path, WD_POLICY_MAX_FILE_SIZE, &text, &len, "WD-P001", "WD-P002");
    if (rc)
        return rc;
    po.display_name = path;
    rc = wd_policy_cache_get(s->cache, text, len, &po, out, NULL);
    free(text);
    return rc;
}

int wd_policy_store_load(wd_policy_store *s, const char *component, wd_plugin_type type,
                         wd_policy **out, const char **source)
{
    *out = NULL;
    int rc = check_component(component);
    if (rc)
        return rc;
    char path[4400];
    snprintf(path, sizeof(path), "%s/components/%s.yaml", s->dir, component);
    const char *from = "component";
    if (access(path, F_OK) != 0 && s->base && (*out = s->base(s->base_ctx, component)) != NULL) {
        if (source)
            *source = "base";
        return 0;
    }
    if (access(path, F_OK) != 0) {
        snprintf(path, sizeof(path), "%s/defaults/%s.yaml", s->dir, wd_plugin_type_name(type));
        from = "default";
    }
    if (access(path, F_OK) != 0) {
        /* No policy anywhere: nothing is allowed (default deny), never "everything". */
        from = "none";
        wd_policy_options po = WD_POLICY_OPTIONS_INIT;
        po.data_dir = s->data_dir;
        po.display_name = "(no policy)";
        rc = wd_policy_load_buffer(out, "version: \"1.0\"\n", 15, &po);
    } else {
        rc = load_path(s, path, out);
    }
    if (!rc && source)
        *source = from;
    return rc;
}

/* ---- rendering a policy back to YAML ------------------------------------------------------ */

typedef enum { EDIT_NONE, EDIT_GRANT, EDIT_REVOKE } edit_kind;

typedef struct {
    edit_kind kind;
    wd_rule_kind target;
    const char *value; /* uri, host or cidr text, key */
    unsigned access;   /* storage: bits to add or remove (revoke 0: all) */
    bool matched;
    const char *pattern; /* storage: the URI resolved as the parser would ("" if unknown) */
} edit;

static bool is_cidr(const char *v)
{
    return strchr(v, '/') && !strstr(v, "://");
}

/* The host text a rule was written with, rebuilt: scheme, host (IPv6 in brackets). */
static void host_text(wd_buf *b, const wd_rule *r)
{
    if (r->scheme)
        wd_buf_printf(b, "%s://", r->scheme);
    if (strchr(r->host, ':'))
        wd_buf_printf(b, "[%s]", r->host);
    else
        wd_buf_puts(b, r->host);
}

static bool same_value(const wd_rule *r, const edit *e)
{
    if (r->kind != e->target || r->effect != WD_ALLOW)
        return false;
    if (r->kind == WD_RULE_STORAGE)
        return !strcmp(r->uri, e->value) || (e->pattern && !strcmp(r->pattern, e->pattern));
    if (r->kind == WD_RULE_ENVIRONMENT)
        return !strcmp(r->key, e->value);
    if (r->kind == WD_RULE_TOOL)
        return !strcmp(r->tool, e->value);
    if (r->cidr)
        return !strcmp(r->cidr, e->value);
    /* Compare the way the policy parser reads the value: case, a port after the host and the
     * IP spelling must not make the same rule look different. */
    wd_host_spec spec;
    const char *why;
    if (!wd_host_spec_parse(e->value, strlen(e->value), true, &spec, &why))
        return false;
    char host[WD_HOST_NAME_MAX + 3];
    switch (spec.kind) {
    case WD_HOST_ANY:
        snprintf(host, sizeof(host), "*");
        break;
    case WD_HOST_WILDCARD:
        snprintf(host, sizeof(host), "*.%s", spec.name);
        break;
    case WD_HOST_NAME:
        snprintf(host, sizeof(host), "%s", spec.name);
        break;
    default:
        wd_ip_format(&spec.ip, host);
        break;
    }
    if (strcmp(r->host, host))
        return false;
    /* An unqualified revoke ("db.example.org") takes away every rule on that host; anything
     * else (a grant, or a revoke naming a scheme or port) names one rule exactly. */
    if (e->kind == EDIT_REVOKE && !spec.scheme[0] && !spec.port)
        return true;
    if (strcmp(r->scheme ? r->scheme : "", spec.scheme))
        return false;
    return spec.port ? r->port_count == 1 && r->ports[0] == spec.port : r->port_count == 0;
}

static void access_list(wd_buf *b, unsigned access)
{
    wd_buf_putc(b, '[');
    bool first = true;
    for (int i = 0; i < 5; i++)
        if (access & (1u << i)) {
            wd_buf_printf(b, "%s%s", first ? "" : ", ", access_names[i]);
            first = false;
        }
    wd_buf_putc(b, ']');
}

static void rule_yaml(wd_buf *b, const wd_rule *r, unsigned access)
{
    switch (r->kind) {
    case WD_RULE_STORAGE:
        /* Written resolved (fs:///abs/path): a policy rendered into the store keeps the
         * meaning it had where it was written (a contract's fs://data is beside the
         * contract, not beside the store). */
        wd_buf_puts(b, "    - uri: ");
        wd_buf abs = WD_BUF_INIT;
        wd_buf_printf(&abs, "fs://%s", r->pattern);
        wd_json_quote(b, wd_buf_cstr(&abs), abs.len);
        wd_buf_free(&abs);
        wd_buf_puts(b, "\n      access: ");
        access_list(b, access);
        wd_buf_putc(b, '\n');
        break;
    case WD_RULE_NETWORK:
        if (r->cidr) {
            wd_buf_puts(b, "    - cidr: ");
            wd_json_quote(b, r->cidr, strlen(r->cidr));
        } else {
            wd_buf b2 = WD_BUF_INIT;
            host_text(&b2, r);
            wd_buf_puts(b, "    - host: ");
            wd_json_quote(b, wd_buf_cstr(&b2), b2.len);
            wd_buf_free(&b2);
        }
        if (r->port_count) {
            wd_buf_puts(b, "\n      ports: [");
            for (size_t i = 0; i < r->port_count; i++)
                wd_buf_printf(b, "%s%u", i ? ", " : "", r->ports[i]);
            wd_buf_putc(b, ']');
        }
        wd_buf_putc(b, '\n');
        break;
    case WD_RULE_ENVIRONMENT:
        wd_buf_puts(b, "    - key: ");
        wd_json_quote(b, r->key, strlen(r->key));
        wd_buf_putc(b, '\n');
        break;
    case WD_RULE_TOOL:
        wd_buf_puts(b, "    - name: ");
        wd_json_quote(b, r->tool, strlen(r->tool));
        wd_buf_putc(b, '\n');
        break;
    }
}

/* The new rule a grant adds when no rule for its value exists yet. */
static void granted_yaml(wd_buf *b, const edit *e)
{
    switch (e->target) {
    case WD_RULE_STORAGE:
        wd_buf_puts(b, "    - uri: ");
        wd_json_quote(b, e->value, strlen(e->value));
        wd_buf_puts(b, "\n      access: ");
        access_list(b, e->access);
        break;
    case WD_RULE_NETWORK:
        wd_buf_printf(b, "    - %s: ", is_cidr(e->value) ? "cidr" : "host");
        wd_json_quote(b, e->value, strlen(e->value));
        break;
    case WD_RULE_ENVIRONMENT:
        wd_buf_puts(b, "    - key: ");
        wd_json_quote(b, e->value, strlen(e->value));
        break;
    case WD_RULE_TOOL:
        wd_buf_puts(b, "    - name: ");
        wd_json_quote(b, e->value, strlen(e->value));
        break;
    }
    wd_buf_putc(b, '\n');
}

/* The policy as canonical YAML with one edit applied. Sections warden does not enforce are not
 * carried over (they never had an effect). The tools section is written only when the policy
 * has one: its absence (every tool may be called) and an empty list (none may) differ. */
static void render(wd_buf *b, const wd_policy *p, edit *e)
{
    wd_buf_puts(b, "version: ");
    const char *v = wd_policy_version(p);
    wd_json_quote(b, v[0] ? v : "1.0", strlen(v[0] ? v : "1.0"));
    wd_buf_puts(b, "\n");
    if (wd_policy_description(p)[0]) {
        wd_buf_puts(b, "description: ");
        wd_json_quote(b, wd_policy_description(p), strlen(wd_policy_description(p)));
        wd_buf_puts(b, "\n");
    }
    wd_buf_puts(b, "permissions:\n");
    static const char *const sections[] = {"storage", "network", "environment", "tools"};
    for (int k = 0; k < 4; k++) {
        wd_rule_kind kind = (wd_rule_kind)(k + 1);
        if (kind == WD_RULE_TOOL && !wd_policy_lists_tools(p))
            continue;
        wd_buf_printf(b, "  %s:\n", sections[k]);
        for (int effect = WD_ALLOW; effect >= WD_DENY; effect--) {
            wd_buf_printf(b, "    %s:\n", effect == WD_ALLOW ? "allow" : "deny");
            for (size_t i = 0; i < wd_policy_rule_count(p); i++) {
                const wd_rule *r = wd_policy_rule(p, i);
                if (r->kind != kind || (int)r->effect != effect)
                    continue;
                unsigned access = r->access;
                if (e->kind != EDIT_NONE && same_value(r, e)) {
                    if (e->kind == EDIT_GRANT) {
                        e->matched = true;
                        access |= e->access;
                    } else if (!e->access) {
                        e->matched = true;
                        continue; /* revoked entirely */
                    } else {
                        /* revoking write also revokes what it implied */
                        unsigned drop = e->access & WD_ACCESS_WRITE
                                            ? e->access | WD_ACCESS_CREATE | WD_ACCESS_DELETE
                                            : e->access;
                        if (!(access & e->access))
                            goto keep; /* what was named is not granted: not a match */
                        e->matched = true;
                        access &= ~drop;
                        if (r->kind == WD_RULE_STORAGE && !access)
                            continue;
                    }
                }
            keep:
                rule_yaml(b, r, access);
            }
            if (effect == WD_ALLOW && e->kind == EDIT_GRANT && e->target == kind && !e->matched) {
                granted_yaml(b, e);
                e->matched = true;
            }
        }
    }
    const wd_resources *res = wd_policy_resources(p);
    if (res->cpu_millicores || res->memory_bytes || res->timeout_ms || res->pids ||
        res->open_files || res->output_bytes) {
        wd_buf_puts(b, "  resources:\n    limits:\n");
        if (res->cpu_millicores)
            wd_buf_printf(b, "      cpu: \"%llum\"\n", (unsigned long long)res->cpu_millicores);
        if (res->memory_bytes)
            wd_buf_printf(b, "      memory: %llu\n", (unsigned long long)res->memory_bytes);
        if (res->timeout_ms)
            wd_buf_printf(b, "      timeout: \"%llums\"\n", (unsigned long long)res->timeout_ms);
        if (res->pids)
            wd_buf_printf(b, "      pids: %llu\n", (unsigned long long)res->pids);
        if (res->open_files)
            wd_buf_printf(b, "      open_files: %llu\n", (unsigned long long)res->open_files);
        if (res->output_bytes)
            wd_buf_printf(b, "      output_bytes: %llu\n", (unsigned long long)res->output_bytes);
    }
}

/* ---- the atomic write ---------------------------------------------------------------------- */

static int audit_change(wd_policy_store *s, const char *type, const char *component,
                        const char *what)
{
    if (!s->audit)
        return 0;
    wd_buf d = WD_BUF_INIT;
    wd_buf_puts(&d, "{\"component\":");
    wd_json_quote(&d, component, strlen(component));
    wd_buf_puts(&d, ",\"change\":");
    wd_json_quote(&d, what, strlen(what));
    wd_buf_putc(&d, '}');
    wd_audit_event ev = {type, WD_SEVERITY_HIGH, "policy", NULL, wd_buf_cstr(&d)};
    int rc = d.oom ? WD_ENOMEM : wd_audit_append(s->audit, &ev, NULL);
    wd_buf_free(&d);
    return rc;
}

enum {
    /* "<component>.yaml" and ".<component>.yaml.tmp", with room to spare. */
    POLICY_FILE_NAME_SIZE = WD_PLUGIN_ID_MAX + 16,
    POLICY_TMP_NAME_SIZE = WD_PLUGIN_ID_MAX + 32
};

/* Writes text to the new temporary file tmp and syncs it. */
static int write_temp(wd_policy_store *s, const char *tmp, const char *name, const char *text,
                      size_t len)
{
    int fd =
        openat(s->components_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return wd_fail(WD_EIO, "cannot write %s: %s", name, strerror(errno));
    int rc = 0;
    if (wd_write_all(fd, text, len) != 0 || fsync(fd) != 0)
        rc = wd_fail(WD_EIO, "cannot write %s: %s", name, strerror(errno));
    close(fd);
    return rc;
}

/* Puts the written temporary file in place as name. Recorded before it takes effect: an
 * audited change that then fails is followed by a record saying so; a change that could not be
 * audited is not made. */
static int put_in_place(wd_policy_store *s, const char *tmp, const char *name,
                        const char *component, const char *audit_type, const char *what)
{
    int rc = audit_change(s, audit_type, component, what);
    if (rc)
        return rc;
    if (renameat(s->components_fd, tmp, s->components_fd, name) != 0 ||
        fsync(s->components_fd) != 0) {
        int e = errno;
        audit_change(s, "POLICY_CHANGE_FAILED", component, what);
        return wd_fail(WD_EIO, "cannot put %s in place: %s", name, strerror(e));
    }
    return 0;
}

/* Validates text as the component's new policy and puts it in place, all or nothing. */
static int commit(wd_policy_store *s, const char *component, const char *text, size_t len,
                  const char *audit_type, const char *what)
{
    char name[POLICY_FILE_NAME_SIZE], tmp[POLICY_TMP_NAME_SIZE];
    snprintf(name, sizeof(name), "%s.yaml", component);
    snprintf(tmp, sizeof(tmp), ".%s.yaml.tmp", component);
    /* The same validation as any policy file: a change that would not load is not made. */
    wd_policy_options po = WD_POLICY_OPTIONS_INIT;
    po.data_dir = s->data_dir;
    po.display_name = name;
    wd_policy *check = NULL;
    int rc = wd_policy_load_buffer(&check, text, len, &po);
    wd_policy_free(check);
    if (rc)
        return rc;
    unlinkat(s->components_fd, tmp, 0); /* a leftover from a crash */
    rc = write_temp(s, tmp, name, text, len);
    if (!rc)
        rc = put_in_place(s, tmp, name, component, audit_type, what);
    if (rc)
        unlinkat(s->components_fd, tmp, 0); /* ours, never put in place */
    return rc;
}

static int apply(wd_policy_store *s, const char *component, wd_plugin_type type, edit *e,
                 const char *audit_type, const char *what)
{
    int rc = check_component(component);
    if (rc)
        return rc;
    wd_policy *cur = NULL;
    rc = wd_policy_store_load(s, component, type, &cur, NULL);
    if (rc)
        return rc;
    wd_buf text = WD_BUF_INIT;
    render(&text, cur, e);
    wd_policy_free(cur);
    if (text.oom)
        rc = wd_fail(WD_ENOMEM, "out of memory");
    else if (e->kind == EDIT_REVOKE && !e->matched)
        rc =
            wd_fail(WD_ENOTFOUND, "%s has no allow rule for %.200s to revoke", component, e->value);
    else
        rc = commit(s, component, text.data, text.len, audit_type, what);
    wd_buf_free(&text);
    return rc;
}

static int change(wd_policy_store *s, const char *component, wd_plugin_type type, edit_kind kind,
                  wd_rule_kind target, const char *value, unsigned access)
{
    if (!s || !value || !*value)
        return wd_fail(WD_EINVAL, "a policy change needs a store and a value");
    if (strchr(value, '\n') || strchr(value, '\r'))
        return wd_fail(WD_EINVAL, "a policy value is one line");
    static const char *const what_kind[] = {"", "storage", "network", "environment", "tool"};
    char what[600];
    snprintf(what, sizeof(what), "%s %s %.400s", kind == EDIT_GRANT ? "grant" : "revoke",
             what_kind[target], value);
    if (target == WD_RULE_STORAGE && access) {
        size_t o = strlen(what);
        for (int i = 0; i < 5; i++)
            if (access & (1u << i))
                o += (size_t)snprintf(what + o, sizeof(what) - o, " %s", access_names[i]);
    }
    /* The same rule may be written relative or resolved (a rendered policy writes every URI
     * resolved): compare resolved patterns too. */
    char pattern[4200] = "";
    if (target == WD_RULE_STORAGE && !strncmp(value, "fs://", 5)) {
        char joined[4200];
        bool escapes = false;
        snprintf(joined, sizeof(joined), "%s/%s", value[5] == '/' ? "" : s->data_dir, value + 5);
        if (wd_path_normalize(joined, pattern, sizeof(pattern), &escapes) != 0 || escapes)
            pattern[0] = '\0';
    }
    edit e = {kind, target, value, access, false, pattern[0] ? pattern : NULL};
    return apply(s, component, type, &e, kind == EDIT_GRANT ? "POLICY_GRANT" : "POLICY_REVOKE",
                 what);
}

int wd_policy_grant_storage(wd_policy_store *s, const char *component, wd_plugin_type type,
                            const char *uri, unsigned access)
{
    if (!access || (access & ~0x1Fu))
        return wd_fail(WD_EINVAL, "a storage grant names at least one access");
    return change(s, component, type, EDIT_GRANT, WD_RULE_STORAGE, uri, access);
}

int wd_policy_grant_network(wd_policy_store *s, const char *component, wd_plugin_type type,
                            const char *host)
{
    return change(s, component, type, EDIT_GRANT, WD_RULE_NETWORK, host, 0);
}

int wd_policy_grant_env(wd_policy_store *s, const char *component, wd_plugin_type type,
                        const char *key)
{
    return change(s, component, type, EDIT_GRANT, WD_RULE_ENVIRONMENT, key, 0);
}

/* Granting a tool to a policy without a tools list would create the list, denying every other
 * tool: a grant that narrows. Refused; such a policy already lets every tool be called. */
static int tool_change(wd_policy_store *s, const char *component, wd_plugin_type type,
                       edit_kind kind, const char *name)
{
    if (!s || !name)
        return wd_fail(WD_EINVAL, "a policy change needs a store and a value");
    wd_policy *cur = NULL;
    int rc = check_component(component);
    if (!rc)
        rc = wd_policy_store_load(s, component, type, &cur, NULL);
    if (rc)
        return rc;
    bool lists = wd_policy_lists_tools(cur);
    wd_policy_free(cur);
    if (!lists)
        return wd_fail(WD_ENOTFOUND,
                       "%s's policy has no tools list: every tool may already be called",
                       component);
    return change(s, component, type, kind, WD_RULE_TOOL, name, 0);
}

int wd_policy_grant_tool(wd_policy_store *s, const char *component, wd_plugin_type type,
                         const char *name)
{
    return tool_change(s, component, type, EDIT_GRANT, name);
}

int wd_policy_revoke_tool(wd_policy_store *s, const char *component, wd_plugin_type type,
                          const char *name)
{
    return tool_change(s, component, type, EDIT_REVOKE, name);
}

int wd_policy_revoke_storage(wd_policy_store *s, const char *component, wd_plugin_type type,
                             const char *uri, unsigned access)
{
    if (access & ~0x1Fu)
        return wd_fail(WD_EINVAL, "unknown access bits");
    return change(s, component, type, EDIT_REVOKE, WD_RULE_STORAGE, uri, access);
}

int wd_policy_revoke_network(wd_policy_store *s, const char *component, wd_plugin_type type,
                             const char *host)
{
    return change(s, component, type, EDIT_REVOKE, WD_RULE_NETWORK, host, 0);
}

int wd_policy_revoke_env(wd_policy_store *s, const char *component, wd_plugin_type type,
                         const char *key)
{
    return change(s, component, type, EDIT_REVOKE, WD_RULE_ENVIRONMENT, key, 0);
}

int wd_policy_store_replace(wd_policy_store *s, const char *component, const char *yaml, size_t len)
{
    int rc = !s || !yaml ? wd_fail(WD_EINVAL, "replace needs a store and a policy")
                         : check_component(component);
    return rc ? rc : commit(s, component, yaml, len, "POLICY_REPLACE", "replace");
}

int wd_policy_store_reset(wd_policy_store *s, const char *component)
{
    int rc = !s ? wd_fail(WD_EINVAL, "reset needs a store") : check_component(component);
    if (rc)
        return rc;
    char name[WD_PLUGIN_ID_MAX + 16];
    snprintf(name, sizeof(name), "%s.yaml", component);
    if (faccessat(s->components_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
        return wd_fail(WD_ENOTFOUND, "%s has no policy of its own", component);
    rc = audit_change(s, "POLICY_RESET", component, "reset to the type's default");
    if (rc)
        return rc;
    if (unlinkat(s->components_fd, name, 0) != 0 || fsync(s->components_fd) != 0)
        return wd_fail(WD_EIO, "cannot remove %s: %s", name, strerror(errno));
    return 0;
}

int wd_policy_store_text(wd_policy_store *s, const char *component, wd_plugin_type type,
                         char **text, size_t *len, const char **source)
{
    *text = NULL;
    wd_policy *cur = NULL;
    int rc = wd_policy_store_load(s, component, type, &cur, source);
    if (rc)
        return rc;
    wd_buf b = WD_BUF_INIT;
    edit none = {EDIT_NONE, 0, NULL, 0, false, NULL};
    render(&b, cur, &none);
    wd_policy_free(cur);
    if (b.oom || !b.data) {
        wd_buf_free(&b);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    *len = b.len;
    *text = b.data;
    return 0;
}
