/* contract.c: loading and validating plugin contracts (include/warden/contract.h).
 *
 * A contract is code: every key is known, every value checked, every problem reported with
 * its location and a WD-L id, and nothing an operator configures may touch what the plugin's
 * author owns (ADR-002-B): the security level and the downgrade permission live in the signed
 * contract only, never in config or in a config schema. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "policy/codes.h"
#include "policy/policy_int.h"
#include "registry/codes.h"
#include "registry/contract_int.h"
#include "registry/semver.h"
#include "registry/syspath.h"
#include "util/arena.h"
#include "util/ascii.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/diag.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"
#include "util/path.h"
#include "util/secure.h"
#include "util/text.h"
#include "warden/contract.h"
#include "yaml/yaml_check.h"
#include "yaml/yaml_tree.h"

struct wd_contract {
    wd_arena arena;
    const char *file, *path, *dir, *id, *version_text, *library, *config;
    uint8_t file_sha256[32]; /* of the bytes as read: what a reviewer's signature covers */
    wd_plugin_type type;
    wd_semver version;
    uint8_t sha256[32];
    unsigned abi;
    wd_security_level level;
    int allow_downgrade;
    wd_policy *policy;
    char *policy_path; /* the policy file, when not inline (absolute, normalised) */
    /* Of the policy file's bytes exactly as read and compiled: what a signature covers. */
    uint8_t policy_sha256[32];
    bool pinned; /* policy_sha256: in the contract, checked against the bytes at load */
    uint8_t policy_pin[32];
    const char **tags;
    size_t tag_count;
    /* runtime: process (all zero/NULL for a native plugin) */
    wd_runtime runtime;
    wd_protocol protocol;
    const char *program, *interpreter; /* absolute, normalised */
    bool program_inside;               /* contract-relative: hashed, opened beneath dir */
    bool has_sha256;                   /* sha256: given (else all zero) */
    const char **args, **roots;
    size_t arg_count, root_count;
    /* runtime: python */
    const char *handler_class, *handler_root; /* the root absolute, normalised */
    wd_lifecycle lifecycle;
};

static const char *const type_names[] = {
    NULL, "compute", "effect", "nondeterministic_compute", "orchestrator", "reducer"};
static const char *const level_names[] = {
    NULL, "UNOFFICIAL", "OFFICIAL", "OFFICIAL_SENSITIVE", "PROTECTED", "SECRET"};
/* Author-owned: never settable from config, never exposed in a config schema (ADR-002-B). */
static const char *const forbidden_fields[] = {"security_level", "allow_downgrade",
                                               "max_operating_level", NULL};

const char *wd_plugin_type_name(wd_plugin_type t)
{
    return t >= WD_PLUGIN_COMPUTE && t <= WD_PLUGIN_REDUCER ? type_names[t] : "?";
}

int wd_plugin_type_is_policy(wd_plugin_type t)
{
    return t == WD_PLUGIN_ORCHESTRATOR || t == WD_PLUGIN_REDUCER;
}

const char *wd_security_level_name(wd_security_level l)
{
    return l >= WD_LEVEL_UNOFFICIAL && l <= WD_LEVEL_SECRET ? level_names[l] : "?";
}

int wd_security_level_parse(const char *name, wd_security_level *out)
{
    for (int i = WD_LEVEL_UNOFFICIAL; i <= WD_LEVEL_SECRET; i++)
        if (name && !strcmp(name, level_names[i])) {
            *out = (wd_security_level)i;
            return 0;
        }
    return wd_fail(WD_EINVAL, "unknown security level \"%.40s\"", name ? name : "");
}

typedef struct {
    wd_ycheck ck;
    wd_contract *c;
    wd_buf json; /* scratch for the config's JSON text */
} loader;

#define ERR(l, node, id, ...) WD_YERR(&(l)->ck, node, id, __VA_ARGS__)

static const char *cdup(loader *l, const char *s, size_t len)
{
    const char *d = wd_arena_strndup(&l->c->arena, s, len);
    if (!d)
        l->ck.oom = true;
    return d;
}

static bool is_named(const wd_yaml_node *k, const char *name)
{
    return k->kind == WD_YAML_SCALAR && strlen(name) == k->len && !memcmp(k->str, name, k->len);
}

/* ---- fields ----------------------------------------------------------------------------- */

static void id_field(loader *l, const wd_yaml_node *v)
{
    if (!wd_ycheck_scalar(&l->ck, v, "name"))
        return;
    bool ok = v->len >= 1 && v->len <= WD_PLUGIN_ID_MAX && v->str[0] >= 'a' && v->str[0] <= 'z';
    for (size_t i = 0; ok && i < v->len; i++) {
        char ch = v->str[i];
        ok = (ch >= 'a' && ch <= 'z') || wd_is_digit(ch) || ch == '.' || ch == '_' || ch == '-';
    }
    if (!ok) {
        char shown[80];
        ERR(l, v, WD_L_SCHEMA,
            "plugin name %s must be 1-128 of [a-z0-9._-], starting with a letter",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return;
    }
    l->c->id = cdup(l, v->str, v->len);
}

static void type_field(loader *l, const wd_yaml_node *v)
{
    if (!wd_ycheck_scalar(&l->ck, v, "type"))
        return;
    for (int i = WD_PLUGIN_COMPUTE; i <= WD_PLUGIN_REDUCER; i++)
        if (is_named(v, type_names[i])) {
            l->c->type = (wd_plugin_type)i;
            return;
        }
    char shown[80];
    ERR(l, v, WD_L_SCHEMA,
        "unknown plugin type %s (compute, effect, nondeterministic_compute, orchestrator, "
        "reducer)",
        wd_yaml_shown(v, shown, sizeof(shown)));
}

static void version_field(loader *l, const wd_yaml_node *v)
{
    if (!wd_ycheck_scalar(&l->ck, v, "version"))
        return;
    const char *text = cdup(l, v->str, v->len), *why;
    if (text && !wd_semver_parse(text, v->len, &l->c->version, &why)) {
        char shown[80];
        ERR(l, v, WD_L_SCHEMA, "version %s is not SemVer 2.0.0: %s",
            wd_yaml_shown(v, shown, sizeof(shown)), why);
        return;
    }
    l->c->version_text = text;
}

/* A path relative to the contract and inside its directory (absolute, normalised), or NULL
 * after reporting: a contract cannot point at a library or program someone else controls. */
static const char *inside_path(loader *l, const wd_yaml_node *v, const char *what)
{
    char joined[WD_PATH_MAX + 1], norm[WD_PATH_MAX];
    bool escapes = false;
    int n = snprintf(joined, sizeof(joined), "%s/%s", l->c->dir, v->str);
    size_t dl = strlen(l->c->dir);
    if (v->str[0] == '/' || memchr(v->str, '\0', v->len) || n < 0 || (size_t)n >= WD_PATH_MAX ||
        wd_path_normalize(joined, norm, sizeof(norm), &escapes) != 0 || escapes ||
        strncmp(norm, l->c->dir, dl) != 0 || (norm[dl] != '/' && strcmp(l->c->dir, "/") != 0)) {
        char shown[80];
        ERR(l, v, WD_L_PERMISSION, "%s %s must be a relative path inside the contract's directory",
            what, wd_yaml_shown(v, shown, sizeof(shown)));
        return NULL;
    }
    return cdup(l, norm, strlen(norm));
}

static void library_field(loader *l, const wd_yaml_node *v)
{
    if (wd_ycheck_scalar(&l->ck, v, "library"))
        l->c->library = inside_path(l, v, "library");
}

static void sha_field(loader *l, const wd_yaml_node *v)
{
    if (!wd_ycheck_scalar(&l->ck, v, "sha256"))
        return;
    wd_cursor cur = wd_cursor_make(v->str, v->len);
    if (v->len != 64 || !wd_cursor_hex(&cur, l->c->sha256, 32))
        ERR(l, v, WD_L_SCHEMA, "sha256 must be 64 lowercase hex digits");
    else
        l->c->has_sha256 = true;
}

static void abi_field(loader *l, const wd_yaml_node *v)
{
    if (!wd_ycheck_scalar(&l->ck, v, "abi"))
        return;
    wd_cursor cur = wd_cursor_make(v->str, v->len);
    uint64_t abi;
    if (!v->plain || !wd_cursor_u64(&cur, &abi) || cur.p != cur.end || abi == 0 || abi > 65535) {
        ERR(l, v, WD_L_SCHEMA, "abi must be a whole number from 1 to 65535");
        return;
    }
    l->c->abi = (unsigned)abi;
}

static void security_field(loader *l, const wd_yaml_node *sec, const wd_yaml_node *root)
{
    if (!sec) {
        /* Never a default: a missing level is not the lowest level, it is an error. */
        ERR(l, root, WD_L_LEVEL_MISSING, "no security: {level: ...} declared by the author");
        return;
    }
    if (wd_ycheck_expect(&l->ck, sec, WD_YAML_MAP, "security") <= 0) {
        if (wd_yaml_is_null(sec))
            ERR(l, sec, WD_L_LEVEL_MISSING, "security is empty: it needs a level");
        return;
    }
    static const char *const keys[] = {"level", "allow_downgrade", NULL};
    wd_ycheck_keys(&l->ck, sec, keys, "security");
    const wd_yaml_node *lv = wd_yaml_get(sec, "level"), *dg = wd_yaml_get(sec, "allow_downgrade");
    if (!lv || wd_yaml_is_null(lv)) {
        ERR(l, lv ? lv : sec, WD_L_LEVEL_MISSING, "security.level is missing");
    } else if (wd_ycheck_scalar(&l->ck, lv, "security.level")) {
        for (int i = WD_LEVEL_UNOFFICIAL; i <= WD_LEVEL_SECRET; i++)
            if (is_named(lv, level_names[i]))
                l->c->level = (wd_security_level)i;
        if (!l->c->level) {
            char shown[80];
            ERR(l, lv, WD_L_SCHEMA,
                "unknown security level %s (UNOFFICIAL, OFFICIAL, OFFICIAL_SENSITIVE, "
                "PROTECTED, SECRET)",
                wd_yaml_shown(lv, shown, sizeof(shown)));
        }
    }
    if (dg && wd_ycheck_scalar(&l->ck, dg, "security.allow_downgrade")) {
        if (dg->plain && is_named(dg, "true"))
            l->c->allow_downgrade = 1;
        else if (!(dg->plain && is_named(dg, "false")))
            ERR(l, dg, WD_L_SCHEMA, "security.allow_downgrade must be true or false");
    }
}

static bool forbidden(const wd_yaml_node *k)
{
    for (const char *const *f = forbidden_fields; *f; f++)
        if (is_named(k, *f))
            return true;
    return false;
}

/* ---- config and its schema ------------------------------------------------------------- */

enum { T_STRING = 1, T_INTEGER, T_NUMBER, T_BOOLEAN, T_ARRAY, T_OBJECT };
static const char *const json_types[] = {NULL,      "string", "integer", "number",
                                         "boolean", "array",  "object"};

typedef struct {
    const wd_yaml_node *name;
    int type;
    bool required;
} prop;

enum { MAX_PROPS = 256 };

static int schema_field(loader *l, const wd_yaml_node *schema, prop *props, size_t *nprops)
{
    *nprops = 0;
    if (wd_ycheck_expect(&l->ck, schema, WD_YAML_MAP, "config_schema") <= 0)
        return -1;
    static const char *const keys[] = {
        "type", "properties", "required", "additionalProperties", "description", NULL};
    wd_ycheck_keys(&l->ck, schema, keys, "config_schema");
    const wd_yaml_node *t = wd_yaml_get(schema, "type"), *ps = wd_yaml_get(schema, "properties"),
                       *req = wd_yaml_get(schema, "required"),
                       *extra = wd_yaml_get(schema, "additionalProperties");
    if (t && !(t->kind == WD_YAML_SCALAR && is_named(t, "object")))
        ERR(l, t, WD_L_SCHEMA, "config_schema.type must be object");
    if (extra && !(extra->kind == WD_YAML_SCALAR && extra->plain && is_named(extra, "false")))
        ERR(l, extra, WD_L_SCHEMA,
            "config_schema.additionalProperties may only be false: config is closed");
    if (ps && wd_ycheck_expect(&l->ck, ps, WD_YAML_MAP, "config_schema.properties") > 0) {
        for (const wd_yaml_node *k = ps->child; k && k->next; k = k->next->next) {
            if (forbidden(k)) {
                ERR(l, k, WD_L_FORBIDDEN,
                    "config_schema exposes \"%s\", which only the plugin's author sets (in "
                    "security)",
                    k->str);
                continue;
            }
            if (*nprops == MAX_PROPS) {
                ERR(l, k, WD_L_SCHEMA, "more than %d config properties", MAX_PROPS);
                break;
            }
            const wd_yaml_node *def = k->next;
            int type = 0;
            if (wd_ycheck_expect(&l->ck, def, WD_YAML_MAP, "a property definition") > 0) {
                static const char *const pkeys[] = {"type", "description", NULL};
                wd_ycheck_keys(&l->ck, def, pkeys, "a property definition");
                const wd_yaml_node *pt = wd_yaml_get(def, "type");
                for (int i = T_STRING; pt && i <= T_OBJECT; i++)
                    if (is_named(pt, json_types[i]))
                        type = i;
                if (!type)
                    ERR(l, pt ? pt : def, WD_L_SCHEMA,
                        "property type must be string, integer, number, boolean, array or "
                        "object");
            }
            props[(*nprops)++] = (prop){k, type, false};
        }
    }
    if (req && wd_ycheck_expect(&l->ck, req, WD_YAML_SEQ, "config_schema.required") > 0)
        for (const wd_yaml_node *r = req->child; r; r = r->next) {
            bool found = false;
            for (size_t i = 0; i < *nprops; i++)
                if (r->kind == WD_YAML_SCALAR && props[i].name->len == r->len &&
                    !memcmp(props[i].name->str, r->str, r->len)) {
                    props[i].required = found = true;
                }
            if (!found)
                ERR(l, r, WD_L_SCHEMA, "required names a property the schema does not define");
        }
    return 0;
}

static bool plain_integer(const wd_yaml_node *v)
{
    size_t i = v->len && v->str[0] == '-' ? 1 : 0;
    if (!v->plain || i == v->len)
        return false;
    for (; i < v->len; i++)
        if (!wd_is_digit(v->str[i]))
            return false;
    return true;
}

static bool plain_number(const wd_yaml_node *v)
{
    wd_cursor c = wd_cursor_make(v->str, v->len);
    return v->plain && v->len && wd_json_skip(&c) && c.p == c.end &&
           (v->str[0] == '-' || wd_is_digit(v->str[0]));
}

/* Appends a config value as JSON: scalars as strings unless the schema says otherwise. */
static void value_json(loader *l, const wd_yaml_node *v, int type, int depth)
{
    wd_buf *b = &l->json;
    if (depth > 16) {
        ERR(l, v, WD_L_SCHEMA, "config nests deeper than 16 levels");
        return;
    }
    if (v->kind == WD_YAML_SCALAR) {
        if (type == T_INTEGER || type == T_NUMBER || type == T_BOOLEAN)
            wd_buf_append(b, v->str, v->len);
        else
            wd_json_quote(b, v->str, v->len);
        return;
    }
    bool map = v->kind == WD_YAML_MAP;
    wd_buf_putc(b, map ? '{' : '[');
    bool first = true;
    for (const wd_yaml_node *k = v->child; k;
         k = map ? (k->next ? k->next->next : NULL) : k->next) {
        if (!first)
            wd_buf_putc(b, ',');
        first = false;
        if (map) {
            if (forbidden(k))
                ERR(l, k, WD_L_FORBIDDEN,
                    "config sets \"%s\", which only the plugin's author sets (in security)",
                    k->str);
            wd_json_quote(b, k->str, k->len);
            wd_buf_putc(b, ':');
            if (k->next)
                value_json(l, k->next, 0, depth + 1);
        } else {
            value_json(l, k, 0, depth + 1);
        }
    }
    wd_buf_putc(b, map ? '}' : ']');
}

static void config_field(loader *l, const wd_yaml_node *cfg, const wd_yaml_node *schema,
                         const wd_yaml_node *root)
{
    prop props[MAX_PROPS];
    size_t nprops = 0;
    bool have_schema = schema && schema_field(l, schema, props, &nprops) == 0;
    wd_buf_puts(&l->json, "{");
    if (cfg && wd_ycheck_expect(&l->ck, cfg, WD_YAML_MAP, "config") > 0) {
        bool first = true;
        for (const wd_yaml_node *k = cfg->child; k && k->next; k = k->next->next) {
            const wd_yaml_node *v = k->next;
            if (forbidden(k)) {
                ERR(l, k, WD_L_FORBIDDEN,
                    "config sets \"%s\", which only the plugin's author sets (in security)",
                    k->str);
                continue;
            }
            const prop *pr = NULL;
            for (size_t i = 0; i < nprops; i++)
                if (props[i].name->len == k->len && !memcmp(props[i].name->str, k->str, k->len))
                    pr = &props[i];
            if (!pr) {
                char shown[80];
                ERR(l, k, WD_L_SCHEMA, "config key %s is not in config_schema%s",
                    wd_yaml_shown(k, shown, sizeof(shown)),
                    have_schema ? "" : " (there is no config_schema)");
                continue;
            }
            bool ok = true;
            switch (pr->type) {
            case T_STRING:
                ok = v->kind == WD_YAML_SCALAR && !wd_yaml_is_null(v);
                break;
            case T_INTEGER:
                ok = v->kind == WD_YAML_SCALAR && plain_integer(v);
                break;
            case T_NUMBER:
                ok = v->kind == WD_YAML_SCALAR && plain_number(v);
                break;
            case T_BOOLEAN:
                ok = v->kind == WD_YAML_SCALAR && v->plain &&
                     (is_named(v, "true") || is_named(v, "false"));
                break;
            case T_ARRAY:
                ok = v->kind == WD_YAML_SEQ;
                break;
            case T_OBJECT:
                ok = v->kind == WD_YAML_MAP;
                break;
            default:
                ok = false; /* the property's type was already reported */
            }
            if (!ok) {
                if (pr->type)
                    ERR(l, v, WD_L_SCHEMA, "config.%s must be %s %s", k->str,
                        pr->type == T_ARRAY || pr->type == T_OBJECT || pr->type == T_INTEGER ? "an"
                                                                                             : "a",
                        json_types[pr->type]);
                continue;
            }
            if (!first)
                wd_buf_putc(&l->json, ',');
            first = false;
            wd_json_quote(&l->json, k->str, k->len);
            wd_buf_putc(&l->json, ':');
            value_json(l, v, pr->type, 0);
        }
    }
    wd_buf_putc(&l->json, '}');
    for (size_t i = 0; i < nprops; i++) {
        if (!props[i].required)
            continue;
        bool given = cfg && cfg->kind == WD_YAML_MAP && wd_yaml_get(cfg, props[i].name->str);
        if (!given)
            ERR(l, cfg && cfg->kind == WD_YAML_MAP ? cfg : root, WD_L_MISSING,
                "config.%s is required by config_schema", props[i].name->str);
    }
    l->ck.oom |= l->json.oom;
    l->c->config = cdup(l, wd_buf_cstr(&l->json), l->json.len);
}

/* ---- policy ------------------------------------------------------------------------------ */

/* The policy file's bytes, read once through one descriptor that never follows a final symbolic
 * link: the bytes hashed (for a signature and policy_sha256) are the bytes compiled, so a file
 * swapped between a check and a use cannot exist. Errors carry WD-P001 / WD-P002 as a policy
 * load would, or WD-L018 for a link. */
static int read_policy(const char *path, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            return wd_error_set(WD_EPERM, WD_L_PERMISSION, path, 0, 0,
                                "a symbolic link: a contract's policy is never read through a "
                                "link");
        return wd_error_set(e == ENOENT ? WD_ENOTFOUND : WD_EIO, WD_P_IO, path, 0, 0,
                            "cannot open: %s", strerror(e));
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = wd_error_set(WD_EIO, WD_P_IO, path, 0, 0, "cannot stat: %s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = wd_error_set(WD_EIO, WD_P_IO, path, 0, 0, "not a regular file");
    else if ((unsigned long long)st.st_size > WD_POLICY_MAX_FILE_SIZE)
        rc = wd_error_set(WD_ERANGE, WD_P_TOO_LARGE, path, 0, 0,
                          "file is %llu bytes; the limit is %u bytes",
                          (unsigned long long)st.st_size, WD_POLICY_MAX_FILE_SIZE);
    /* Up to one byte past the size (a file that grew shows it) and never past the limit. */
    size_t have = rc ? 0 : (size_t)st.st_size + 1, n = 0;
    char *data = rc ? NULL : malloc(have + 1);
    if (!rc && !data)
        rc = wd_fail(WD_ENOMEM, "out of memory reading %s", path);
    while (!rc) {
        if (n == have) {
            if (have > WD_POLICY_MAX_FILE_SIZE) {
                rc =
                    wd_error_set(WD_ERANGE, WD_P_TOO_LARGE, path, 0, 0,
                                 "file grew beyond the limit of %u bytes", WD_POLICY_MAX_FILE_SIZE);
                break;
            }
            size_t grown = have * 2 > (size_t)WD_POLICY_MAX_FILE_SIZE + 1
                               ? (size_t)WD_POLICY_MAX_FILE_SIZE + 1
                               : have * 2;
            char *p = realloc(data, grown + 1);
            if (!p) {
                rc = wd_fail(WD_ENOMEM, "out of memory reading %s", path);
                break;
            }
            data = p;
            have = grown;
        }
        ssize_t got = read(fd, data + n, have - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = wd_error_set(WD_EIO, WD_P_IO, path, 0, 0, "cannot read: %s", strerror(errno));
        else if (got == 0)
            break;
        else
            n += (size_t)got;
    }
    close(fd);
    if (rc) {
        free(data);
        return rc;
    }
    data[n] = '\0';
    *out = data;
    *len = n;
    return 0;
}

/* A policy in its own file: read once, hashed, compiled from those same bytes. */
static int policy_file(loader *l, const wd_yaml_node *v)
{
    wd_contract *c = l->c;
    char joined[WD_PATH_MAX + 1], path[WD_PATH_MAX];
    bool escapes = false;
    int n = snprintf(joined, sizeof(joined), "%s%s%s", v->str[0] == '/' ? "" : c->dir,
                     v->str[0] == '/' ? "" : "/", v->str);
    /* Normalised, so the path that is checked (owners, modes) is the path that is opened. */
    if (n < 0 || (size_t)n >= WD_PATH_MAX || memchr(v->str, '\0', v->len) ||
        wd_path_normalize(joined, path, sizeof(path), &escapes) != 0 || escapes) {
        ERR(l, v, WD_L_SCHEMA, "policy path is too long");
        return WD_EPOLICY;
    }
    free(c->policy_path);
    if (!(c->policy_path = strdup(path)))
        return WD_ENOMEM;
    char *data = NULL;
    size_t len = 0;
    int rc = read_policy(path, &data, &len);
    if (rc) {
        const wd_error *e = wd_error_last();
        if (rc == WD_ENOMEM)
            return rc;
        /* read_policy refuses with WD_EPERM only a policy reached through a link. */
        if (rc == WD_EPERM) {
            ERR(l, v, WD_L_PERMISSION, "policy %s is %s", v->str, e->message);
            return WD_EPOLICY;
        }
        /* As a policy load reports it (WD-P001 / WD-P002), and for the contract: a policy too
         * large is invalid, one that cannot be read is WD-L003. */
        wd_diag_add(l->ck.diags, WD_DIAG_ERROR, e->id, path, 0, 0, "%s", e->message);
        if (rc == WD_ERANGE) {
            l->ck.errors++;
            return WD_EPOLICY;
        }
        char why[300];
        snprintf(why, sizeof(why), "%s", e->message);
        ERR(l, v, WD_L_READ, "cannot read the policy %s: %s", v->str, why);
        return WD_EPOLICY;
    }
    wd_hasher *h = NULL;
    rc = wd_hasher_new(&h);
    if (!rc)
        rc = wd_sha256(h, data, len, c->policy_sha256);
    wd_hasher_free(h);
    if (!rc) {
        wd_policy_options po = WD_POLICY_OPTIONS_INIT;
        po.diagnostics = l->ck.diags;
        po.data_dir = c->dir;
        po.display_name = path;
        rc = wd_policy_load_buffer(&c->policy, data, len, &po);
    }
    free(data);
    if (rc == WD_ENOMEM)
        return rc;
    if (rc)
        l->ck.errors++;
    return rc ? WD_EPOLICY : 0;
}

static void policy_field(loader *l, const wd_yaml_node *v)
{
    wd_contract *c = l->c;
    int rc;
    if (v->kind == WD_YAML_MAP) {
        rc = wd_policy_load_node(&c->policy, v, c->file, c->dir, l->ck.diags);
        if (rc == WD_ENOMEM)
            l->ck.oom = true;
        else if (rc)
            l->ck.errors++;
    } else if (wd_ycheck_scalar(&l->ck, v, "policy")) {
        rc = policy_file(l, v);
        if (rc == WD_ENOMEM)
            l->ck.oom = true;
    } else {
        return;
    }
    if (rc)
        return;
    /* Policy plugins decide; they never act. They get no filesystem, network or environment. */
    if (wd_plugin_type_is_policy(c->type) && wd_policy_rule_count(c->policy) > 0)
        ERR(l, v, WD_L_SCHEMA,
            "%s %s is a policy plugin and gets no storage, network or environment access: its "
            "policy must grant nothing",
            c->type == WD_PLUGIN_ORCHESTRATOR ? "an" : "a", wd_plugin_type_name(c->type));
}

static void pin_field(loader *l, const wd_yaml_node *v)
{
    if (!wd_ycheck_scalar(&l->ck, v, "policy_sha256"))
        return;
    wd_cursor cur = wd_cursor_make(v->str, v->len);
    if (v->len != 64 || !wd_cursor_hex(&cur, l->c->policy_pin, 32))
        ERR(l, v, WD_L_SCHEMA, "policy_sha256 must be 64 lowercase hex digits");
    else
        l->c->pinned = true;
}

/* policy_sha256 pins the policy file's bytes the way sha256 pins the library's: a contract
 * whose policy file was changed (widened) does not load, signed or not. */
static void pin_check(loader *l, const wd_yaml_node *pin, const wd_yaml_node *policy)
{
    wd_contract *c = l->c;
    if (!pin || !c->pinned)
        return;
    if (!policy || policy->kind == WD_YAML_MAP || wd_yaml_is_null(policy)) {
        ERR(l, pin, WD_L_SCHEMA, "policy_sha256 pins a policy file, and this contract %s",
            policy && policy->kind == WD_YAML_MAP
                ? "has its policy inline (already part of the contract's own bytes)"
                : "names no policy file");
        return;
    }
    if (!c->policy_path || !c->policy)
        return; /* the policy itself was refused, and said why */
    if (!wd_ct_equal(c->policy_pin, c->policy_sha256, 32)) {
        char got[65];
        wd_hex_encode(c->policy_sha256, 32, got);
        ERR(l, pin, WD_L_POLICY_CHANGED,
            "the policy file %s hashes to %s, not to policy_sha256: it changed since the contract "
            "pinned it",
            c->policy_path, got);
    }
}

static void tags_field(loader *l, const wd_yaml_node *v)
{
    if (wd_ycheck_expect(&l->ck, v, WD_YAML_SEQ, "tags") <= 0)
        return;
    if (v->count > 32) {
        ERR(l, v, WD_L_SCHEMA, "more than 32 tags");
        return;
    }
    l->c->tags = wd_arena_array(&l->c->arena, v->count ? v->count : 1, sizeof(*l->c->tags));
    if (!l->c->tags) {
        l->ck.oom = true;
        return;
    }
    for (const wd_yaml_node *t = v->child; t; t = t->next) {
        if (!wd_ycheck_scalar(&l->ck, t, "a tag"))
            continue;
        bool ok = t->len <= 64;
        for (size_t i = 0; ok && i < t->len; i++)
            ok = (t->str[i] >= 'a' && t->str[i] <= 'z') || wd_is_digit(t->str[i]) ||
                 t->str[i] == '-';
        if (!ok) {
            ERR(l, t, WD_L_SCHEMA, "tags are 1-64 of [a-z0-9-]");
            continue;
        }
        l->c->tags[l->c->tag_count++] = cdup(l, t->str, t->len);
    }
}

/* ---- process plugins (runtime: process) --------------------------------------------------- */

/* The keys that belong to one runtime only: present under the other, each is WD-L026 at the
 * key, so a contract never carries a field that is silently ignored. */
static const char *const native_keys[] = {"library", "abi", NULL};
static const char *const process_keys[] = {"program",       "interpreter", "args",
                                           "runtime_roots", "protocol",    NULL};
static const char *const python_keys[] = {"handler_class", "handler_root", "lifecycle", NULL};
/* What a Python handler never has: it names a class, not a program, and speaks warden's own
 * protocol. */
static const char *const not_python_keys[] = {"library", "abi",      "program",
                                              "args",    "protocol", NULL};

/* Where runtime roots may lie: code the runtime reads and executes, never configuration,
 * user data, kernel interfaces or scratch space. */
static const char *const root_prefixes[] = {"/usr", "/lib",  "/lib32", "/lib64",
                                            "/bin", "/sbin", "/opt",   NULL};

static const wd_yaml_node *key_node(const wd_yaml_node *map, const char *key)
{
    for (const wd_yaml_node *k = map->child; k && k->next; k = k->next->next)
        if (is_named(k, key))
            return k;
    return NULL;
}

/* false after reporting a value that is neither native nor process. */
static bool runtime_field(loader *l, const wd_yaml_node *v)
{
    if (!v)
        return true; /* native: every contract written before process plugins */
    if (v->kind == WD_YAML_SCALAR && is_named(v, "native"))
        return true;
    if (v->kind == WD_YAML_SCALAR && is_named(v, "process")) {
        l->c->runtime = WD_RUNTIME_PROCESS;
        return true;
    }
    if (v->kind == WD_YAML_SCALAR && is_named(v, "python")) {
        l->c->runtime = WD_RUNTIME_PYTHON;
        l->c->protocol = WD_PROTOCOL_PYTHON;
        return true;
    }
    char shown[80];
    ERR(l, v, WD_L_PROCESS, "runtime must be native, process or python, not %s",
        v->kind == WD_YAML_SCALAR ? wd_yaml_shown(v, shown, sizeof(shown)) : "a collection");
    return false;
}

static void protocol_field(loader *l, const wd_yaml_node *v)
{
    if (v->kind == WD_YAML_SCALAR && is_named(v, "stdio"))
        l->c->protocol = WD_PROTOCOL_STDIO;
    else if (v->kind == WD_YAML_SCALAR && is_named(v, "json-lines"))
        l->c->protocol = WD_PROTOCOL_JSON_LINES;
    else if (v->kind == WD_YAML_SCALAR && is_named(v, "mcp"))
        l->c->protocol = WD_PROTOCOL_MCP;
    else {
        char shown[80];
        ERR(l, v, WD_L_PROCESS, "protocol must be stdio, json-lines or mcp, not %s",
            v->kind == WD_YAML_SCALAR ? wd_yaml_shown(v, shown, sizeof(shown)) : "a collection");
    }
}

/* A non-empty string scalar with no NUL byte, or false after reporting (WD-L026). */
static bool process_scalar(loader *l, const wd_yaml_node *v, const char *what)
{
    if (v->kind == WD_YAML_SCALAR && !wd_yaml_is_null(v) && v->len && !memchr(v->str, '\0', v->len))
        return true;
    ERR(l, v, WD_L_PROCESS, "%s must be a non-empty string", what);
    return false;
}

/* An absolute path written normalised (no "//", "/./", "..", trailing "/"), or false after
 * reporting: what the contract names is exactly what is opened and shown to a reviewer. */
static bool absolute_normal(loader *l, const wd_yaml_node *v, const char *what)
{
    char norm[WD_PATH_MAX], shown[80];
    bool escapes = false;
    if (v->str[0] == '/' && v->len < WD_PATH_MAX &&
        wd_path_normalize(v->str, norm, sizeof(norm), &escapes) == 0 && !escapes &&
        !strcmp(norm, v->str) && strcmp(norm, "/") != 0)
        return true;
    ERR(l, v, WD_L_PROCESS,
        "%s %s must be an absolute, normalised path to a file (no //, /./, .. or trailing /)", what,
        wd_yaml_shown(v, shown, sizeof(shown)));
    return false;
}

/* A system file named by absolute path, checked now as it will be checked by descriptor when
 * opened, so a contract that cannot run is refused at load with the reason (WD-L027). */
static void system_file_check(loader *l, const wd_yaml_node *v, const char *what, bool need_exec)
{
    int fd = -1;
    if (wd_syspath_open(v->str, O_PATH, need_exec, what, &fd) == 0)
        close(fd);
    else
        ERR(l, v, WD_L_UNTRUSTED, "%s", wd_error_last()->message);
}

static void interpreter_field(loader *l, const wd_yaml_node *v)
{
    if (!process_scalar(l, v, "interpreter") || !absolute_normal(l, v, "interpreter"))
        return;
    system_file_check(l, v, "interpreter", true);
    l->c->interpreter = cdup(l, v->str, v->len);
}

/* A Python handler without interpreter: gets the system's python3, checked as one named. */
static void default_interpreter(loader *l, const wd_yaml_node *root)
{
    static const char python[] = "/usr/bin/python3";
    int fd = -1;
    if (wd_syspath_open(python, O_PATH, true, "interpreter", &fd) == 0)
        close(fd);
    else
        ERR(l, root, WD_L_UNTRUSTED, "%s (a Python handler's default interpreter)",
            wd_error_last()->message);
    l->c->interpreter = cdup(l, python, sizeof(python) - 1);
}

/* After interpreter_field: an absolute program is executed itself only without one. */
static void program_field(loader *l, const wd_yaml_node *v)
{
    if (!process_scalar(l, v, "program"))
        return;
    wd_contract *c = l->c;
    if (v->str[0] != '/') {
        c->program = inside_path(l, v, "program");
        c->program_inside = c->program != NULL;
        if (c->program && !c->has_sha256)
            ERR(l, v, WD_L_PROCESS,
                "a program inside the contract's directory needs sha256: (its SHA-256), as a "
                "library does");
        return;
    }
    if (!absolute_normal(l, v, "program"))
        return;
    system_file_check(l, v, "program", !c->interpreter);
    c->program = cdup(l, v->str, v->len);
}

/* A sequence of at most max items, or false after reporting (WD-L026). */
static bool process_seq(loader *l, const wd_yaml_node *v, const char *what, size_t max,
                        const char ***out)
{
    if (v->kind != WD_YAML_SEQ) {
        ERR(l, v, WD_L_PROCESS, "%s must be a sequence (a list of strings)", what);
        return false;
    }
    if (v->count > max) {
        ERR(l, v, WD_L_PROCESS, "more than %zu %s", max, what);
        return false;
    }
    *out = wd_arena_array(&l->c->arena, v->count ? v->count : 1, sizeof(**out));
    if (!*out)
        l->ck.oom = true;
    return *out != NULL;
}

static void args_field(loader *l, const wd_yaml_node *v)
{
    wd_contract *c = l->c;
    if (!process_seq(l, v, "args", WD_CONTRACT_MAX_ARGS, &c->args))
        return;
    for (const wd_yaml_node *a = v->child; a; a = a->next) {
        /* "" is an argument; null and collections are not strings */
        if (a->kind != WD_YAML_SCALAR || wd_yaml_is_null(a) || memchr(a->str, '\0', a->len))
            ERR(l, a, WD_L_PROCESS, "each of args is a string without NUL bytes");
        else if (a->len > WD_CONTRACT_MAX_ARG_LEN)
            ERR(l, a, WD_L_PROCESS, "an argument is longer than %d bytes", WD_CONTRACT_MAX_ARG_LEN);
        else
            c->args[c->arg_count++] = cdup(l, a->str, a->len);
    }
}

/* NULL when s may be a runtime root; else the rule it breaks. */
static const char *root_rule(const char *s, size_t len)
{
    char norm[WD_PATH_MAX];
    bool escapes = false;
    if (s[0] != '/')
        return "must be an absolute path";
    if (len >= WD_PATH_MAX)
        return "is too long";
    for (const char *p = s; (p = strstr(p, "..")); p += 2)
        if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
            return "may not contain ..";
    if (wd_path_normalize(s, norm, sizeof(norm), &escapes) != 0 || escapes || strcmp(norm, s))
        return "must be written normalised (no //, /./ or trailing /)";
    if (!strcmp(s, "/"))
        return "may not be / (the whole file system)";
    for (const char *const *pre = root_prefixes; *pre; pre++) {
        size_t n = strlen(*pre);
        if (!strncmp(s, *pre, n) && (s[n] == '\0' || s[n] == '/'))
            return NULL;
    }
    return "must lie under /usr, /lib, /lib32, /lib64, /bin, /sbin or /opt: a runtime root is "
           "code the plugin may read and execute (never /etc, /home, /proc, /sys, /dev, /tmp, "
           "/var or /run)";
}

static void roots_field(loader *l, const wd_yaml_node *v)
{
    wd_contract *c = l->c;
    if (!process_seq(l, v, "runtime_roots", WD_CONTRACT_MAX_RUNTIME_ROOTS, &c->roots))
        return;
    for (const wd_yaml_node *r = v->child; r; r = r->next) {
        if (!process_scalar(l, r, "a runtime root"))
            continue;
        const char *why = root_rule(r->str, r->len);
        char shown[80];
        if (why)
            ERR(l, r, WD_L_PROCESS, "runtime root %s %s", wd_yaml_shown(r, shown, sizeof(shown)),
                why);
        else
            c->roots[c->root_count++] = cdup(l, r->str, r->len);
    }
}

/* Keys of the other runtime, each reported where it is written. */
static void misplaced(loader *l, const wd_yaml_node *root, const char *const *keys, const char *why)
{
    for (const char *const *k = keys; *k; k++) {
        const wd_yaml_node *kn = key_node(root, *k);
        if (kn)
            ERR(l, kn, WD_L_PROCESS, "%s %s", *k, why);
    }
}

/* ---- Python handlers (runtime: python) --------------------------------------------------- */

static const char *const py_keywords[] = {
    "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
    "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
    "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
    "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield",    NULL};

/* One dotted part: an ASCII identifier that is not a keyword. */
static bool identifier(const char *s, size_t len)
{
    if (!len || !(wd_is_alpha(s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!(wd_is_alpha(s[i]) || wd_is_digit(s[i]) || s[i] == '_'))
            return false;
    for (const char *const *k = py_keywords; *k; k++)
        if (strlen(*k) == len && !memcmp(*k, s, len))
            return false;
    return true;
}

static void handler_class_field(loader *l, const wd_yaml_node *v)
{
    if (!process_scalar(l, v, "handler_class"))
        return;
    size_t parts = 0;
    bool ok = v->len <= 512;
    for (size_t i = 0, start = 0; ok && i <= v->len; i++)
        if (i == v->len || v->str[i] == '.') {
            ok = identifier(v->str + start, i - start);
            start = i + 1;
            parts++;
        }
    if (!ok || parts < 2) {
        char shown[80];
        ERR(l, v, WD_L_PROCESS,
            "handler_class %s must be a module path and a class (pkg.module.Class), every part "
            "an ASCII Python identifier that is not a keyword, at most 512 bytes",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return;
    }
    l->c->handler_class = cdup(l, v->str, v->len);
}

static void handler_root_field(loader *l, const wd_yaml_node *v)
{
    if (!process_scalar(l, v, "handler_root"))
        return;
    /* Never a climb, even one that would land inside: what is named is what is walked. */
    for (size_t i = 0; i + 1 < v->len; i++)
        if (v->str[i] == '.' && v->str[i + 1] == '.' && (i == 0 || v->str[i - 1] == '/') &&
            (i + 2 == v->len || v->str[i + 2] == '/')) {
            char shown[80];
            ERR(l, v, WD_L_PERMISSION, "handler_root %s may not contain ..",
                wd_yaml_shown(v, shown, sizeof(shown)));
            return;
        }
    l->c->handler_root = inside_path(l, v, "handler_root");
}

static void lifecycle_field(loader *l, const wd_yaml_node *v)
{
    if (v->kind == WD_YAML_SCALAR && is_named(v, "fresh"))
        l->c->lifecycle = WD_LIFECYCLE_FRESH;
    else if (v->kind == WD_YAML_SCALAR && is_named(v, "warm"))
        l->c->lifecycle = WD_LIFECYCLE_WARM;
    else {
        char shown[80];
        ERR(l, v, WD_L_PROCESS, "lifecycle must be fresh or warm, not %s",
            v->kind == WD_YAML_SCALAR ? wd_yaml_shown(v, shown, sizeof(shown)) : "a collection");
    }
}

/* The handler's module (pkg.module of pkg.module.Class) is a file of the tree at a package
 * boundary: pkg/module.py or pkg/module/__init__.py, and every package around it has its
 * __init__.py (no namespace packages: what is imported is exactly what the tree holds). */
static void module_check(loader *l, const wd_yaml_node *v, const wd_handler_tree *t)
{
    const char *cls = l->c->handler_class;
    const char *last = strrchr(cls, '.');
    char rel[600], why[2048] = "";
    size_t n = (size_t)(last - cls);
    memcpy(rel, cls, n);
    rel[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (rel[i] == '.') {
            rel[i] = 0;
            char init[620];
            snprintf(init, sizeof(init), "%s/__init__.py", rel);
            if (!why[0] && !wd_handler_tree_has(t, init))
                snprintf(why, sizeof(why), "%s is not a package (no %s in the handler tree)", rel,
                         init);
            rel[i] = '/';
        }
    char file[620], pkg[620];
    snprintf(file, sizeof(file), "%s.py", rel);
    snprintf(pkg, sizeof(pkg), "%s/__init__.py", rel);
    if (!why[0] && !wd_handler_tree_has(t, file) && !wd_handler_tree_has(t, pkg))
        snprintf(why, sizeof(why), "the module is not in the handler tree (neither %s nor %s)",
                 file, pkg);
    if (why[0])
        ERR(l, v, WD_L_HANDLER, "handler_class %s: %s", cls, why);
}

/* The tree is read and hashed at load: a changed file refuses the contract here, with the hash
 * it has now (for an author who changed it on purpose). */
static void tree_check(loader *l, const wd_yaml_node *root)
{
    wd_contract *c = l->c;
    const wd_yaml_node *rv = wd_yaml_get(root, "handler_root");
    wd_handler_tree *t = NULL;
    int rc = wd_handler_tree_read_at(c->dir, c->handler_root, &t);
    if (rc == WD_ENOMEM) {
        l->ck.oom = true;
        return;
    }
    if (rc) {
        const wd_error *e = wd_error_last();
        ERR(l, rv, e->id, "handler_root %s: %s", e->file ? e->file : c->handler_root, e->message);
        return;
    }
    if (c->has_sha256 && !wd_ct_equal(wd_handler_tree_hash(t), c->sha256, 32)) {
        char got[65];
        wd_hex_encode(wd_handler_tree_hash(t), 32, got);
        const wd_yaml_node *sv = wd_yaml_get(root, "sha256");
        ERR(l, sv ? sv : rv, WD_L_LIB_HASH,
            "the handler tree %s hashes to %s, not to sha256: a file under it changed",
            c->handler_root, got);
    }
    if (c->handler_class)
        module_check(l, wd_yaml_get(root, "handler_class"), t);
    wd_handler_tree_free(t);
}

static void python_fields(loader *l, const wd_yaml_node *root)
{
    const wd_yaml_node *v;
    misplaced(l, root, not_python_keys,
              "is not for Python handlers: a handler names handler_class: and handler_root:");
    static const char *const required[] = {"handler_class", "handler_root", "sha256"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!wd_yaml_get(root, required[i]))
            ERR(l, root, WD_L_PROCESS, "a Python handler (runtime: python) needs %s:", required[i]);
    if ((v = wd_yaml_get(root, "interpreter")))
        interpreter_field(l, v);
    else
        default_interpreter(l, root);
    if ((v = wd_yaml_get(root, "handler_class")))
        handler_class_field(l, v);
    if ((v = wd_yaml_get(root, "handler_root")))
        handler_root_field(l, v);
    if ((v = wd_yaml_get(root, "lifecycle")))
        lifecycle_field(l, v);
    if ((v = wd_yaml_get(root, "runtime_roots")))
        roots_field(l, v);
    if (l->c->handler_root && !l->ck.oom)
        tree_check(l, root);
}

/* The runtime-specific part of a contract: library/abi for native, program and its company
 * for process. */
static void runtime_fields(loader *l, const wd_yaml_node *root)
{
    const wd_yaml_node *v;
    if (l->c->runtime == WD_RUNTIME_PYTHON) {
        python_fields(l, root);
        return;
    }
    misplaced(l, root, python_keys,
              "is for Python handlers (runtime: python); this contract is not one");
    if (l->c->runtime == WD_RUNTIME_NATIVE) {
        misplaced(l, root, process_keys,
                  "is for process plugins (runtime: process); this contract is native");
        if ((v = wd_yaml_get(root, "library")))
            library_field(l, v);
        if ((v = wd_yaml_get(root, "abi")))
            abi_field(l, v);
        return;
    }
    misplaced(l, root, native_keys,
              "is for native plugins; a process plugin names its program: and protocol:");
    static const char *const required[] = {"program", "protocol"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!wd_yaml_get(root, required[i]))
            ERR(l, root, WD_L_PROCESS,
                "a process plugin (runtime: process) needs %s:", required[i]);
    if ((v = wd_yaml_get(root, "interpreter")))
        interpreter_field(l, v);
    if ((v = wd_yaml_get(root, "program")))
        program_field(l, v);
    if ((v = wd_yaml_get(root, "protocol")))
        protocol_field(l, v);
    if ((v = wd_yaml_get(root, "args")))
        args_field(l, v);
    if ((v = wd_yaml_get(root, "runtime_roots")))
        roots_field(l, v);
}

/* ---- loading ----------------------------------------------------------------------------- */

static int relabel_yaml(wd_diagnostics *from, wd_diagnostics *to)
{
    /* The tree builder speaks in policy ids; for a contract, every such problem is "not valid
     * (safe) YAML", with the builder's own message and location. */
    for (size_t i = 0; i < wd_diagnostics_count(from); i++) {
        const wd_diag *d = wd_diagnostics_get(from, i);
        if (wd_diag_add(to, d->severity, WD_L_YAML, d->file, d->line, d->column, "%s (%s)",
                        d->message, d->id))
            return WD_ENOMEM;
    }
    return 0;
}

static int fail_first(wd_diagnostics *diags, size_t first, int code)
{
    for (size_t i = first; i < wd_diagnostics_count(diags); i++) {
        const wd_diag *d = wd_diagnostics_get(diags, i);
        if (d->severity == WD_DIAG_ERROR)
            return wd_error_set(code, d->id, d->file, d->line, d->column, "%s", d->message);
    }
    return wd_fail(code, "contract could not be loaded");
}

static int parse_root(wd_contract *c, wd_arena *scratch, const char *data, size_t len,
                      wd_diagnostics *diags, wd_yaml_node **root);
static int load_fields(wd_contract *c, const wd_yaml_node *root, wd_diagnostics *diags);

static int load_text(wd_contract *c, const char *data, size_t len, wd_diagnostics *diags)
{
    const wd_text_source src = {.id = WD_L_YAML, .display = c->file, .what = NULL};
    if (wd_text_check(&data, &len, &src, diags) != 0)
        return WD_EPOLICY;
    wd_arena scratch = WD_ARENA_INIT;
    wd_yaml_node *root = NULL;
    int rc = parse_root(c, &scratch, data, len, diags, &root);
    if (!rc)
        rc = load_fields(c, root, diags);
    wd_arena_free(&scratch);
    return rc;
}

/* The text as YAML (in scratch), whose root must be a mapping. */
static int parse_root(wd_contract *c, wd_arena *scratch, const char *data, size_t len,
                      wd_diagnostics *diags, wd_yaml_node **root)
{
    wd_diagnostics *yd = NULL;
    int rc = wd_diagnostics_new(&yd);
    if (!rc && wd_yaml_parse(scratch, data, len, c->file, yd, root) != 0)
        rc = relabel_yaml(yd, diags) ? WD_ENOMEM : WD_EPOLICY;
    wd_diagnostics_free(yd);
    if (!rc && (!*root || (*root)->kind != WD_YAML_MAP)) {
        wd_diag_add(diags, WD_DIAG_ERROR, WD_L_SCHEMA, c->file, *root ? (*root)->line : 0,
                    *root ? (*root)->column : 0,
                    "a contract is a mapping (name, type, version, ...)");
        rc = WD_EPOLICY;
    }
    return rc;
}

/* Every field of the contract, each checked and kept in c. */
static int load_fields(wd_contract *c, const wd_yaml_node *root, wd_diagnostics *diags)
{
    loader l = {.ck = {.diags = diags,
                       .file = c->file,
                       .id_type = WD_L_SCHEMA,
                       .id_missing = WD_L_MISSING,
                       .id_unknown_key = WD_L_SCHEMA},
                .c = c,
                .json = WD_BUF_INIT};
    static const char *const keys[] = {
        "name",          "type",     "version",       "library",
        "sha256",        "abi",      "security",      "config_schema",
        "config",        "policy",   "tags",          "policy_sha256",
        "runtime",       "program",  "interpreter",   "args",
        "runtime_roots", "protocol", "handler_class", "handler_root",
        "lifecycle",     NULL};
    wd_ycheck_keys(&l.ck, root, keys, "contract");
    bool known = runtime_field(&l, wd_yaml_get(root, "runtime"));
    bool native = c->runtime == WD_RUNTIME_NATIVE;
    /* sha256 is the library's for native, the program's for process (where it is required
     * only for a program inside the contract's directory: see program_field) */
    static const char *const required[] = {"name", "type", "version", "library", "sha256", "abi"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if ((i < 3 || (known && native)) && !wd_yaml_get(root, required[i]))
            ERR(&l, root, WD_L_MISSING, "contract has no %s", required[i]);
    const wd_yaml_node *v;
    if ((v = wd_yaml_get(root, "name")))
        id_field(&l, v);
    if ((v = wd_yaml_get(root, "type")))
        type_field(&l, v);
    if ((v = wd_yaml_get(root, "version")))
        version_field(&l, v);
    if ((v = wd_yaml_get(root, "sha256")))
        sha_field(&l, v);
    if (known)
        runtime_fields(&l, root);
    security_field(&l, wd_yaml_get(root, "security"), root);
    config_field(&l, wd_yaml_get(root, "config"), wd_yaml_get(root, "config_schema"), root);
    if ((v = wd_yaml_get(root, "policy_sha256")))
        pin_field(&l, v);
    if ((v = wd_yaml_get(root, "policy")))
        policy_field(&l, v);
    pin_check(&l, wd_yaml_get(root, "policy_sha256"), wd_yaml_get(root, "policy"));
    if ((v = wd_yaml_get(root, "tags")))
        tags_field(&l, v);
    wd_buf_free(&l.json);
    if (l.ck.oom)
        return WD_ENOMEM;
    return l.ck.errors ? WD_EPOLICY : 0;
}

/* Where a contract is: its absolute path, and its directory (library and policy paths resolve
 * inside it). */
typedef struct {
    char abs[WD_PATH_MAX + 1];
    char dir[WD_PATH_MAX];
} contract_place;

static int locate(const char *path, const char *display, contract_place *at)
{
    bool escapes;
    if (path[0] == '/')
        snprintf(at->abs, sizeof(at->abs), "%s", path);
    else if (!getcwd(at->dir, sizeof(at->dir)) ||
             snprintf(at->abs, sizeof(at->abs), "%s/%s", at->dir, path) >= (int)sizeof(at->abs))
        return wd_error_set(WD_EINVAL, WD_L_READ, display, 0, 0, "path is too long");
    if (wd_path_normalize(at->abs, at->dir, sizeof(at->dir), &escapes) != 0 || escapes)
        return wd_error_set(WD_EINVAL, WD_L_READ, display, 0, 0, "path is too long");
    char *slash = strrchr(at->dir, '/');
    if (slash == at->dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    return 0;
}

/* The contract's bytes: a regular file within the size limit. */
static int read_contract(const char *path, const char *display, char **data, size_t *len)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return wd_error_set(WD_EIO, WD_L_NOT_FILE, display, 0, 0, "not a regular file");
    int rc = wd_file_read(path, WD_CONTRACT_MAX_FILE_SIZE, data, len, WD_L_READ, WD_L_SIZE);
    if (rc == WD_ENOTFOUND)
        rc = wd_error_set(WD_ENOTFOUND, WD_L_NOT_FOUND, display, 0, 0, "no such contract");
    else if (rc == WD_ERANGE)
        rc = wd_error_set(WD_EPOLICY, WD_L_SIZE, display, 0, 0, "%s", wd_error_last()->message);
    return rc;
}

/* A contract from its bytes; on failure the error is its first diagnostic (from first on). */
static int build_contract(wd_contract **out, const char *display, const contract_place *at,
                          const char *data, size_t len, wd_diagnostics *diags, size_t first)
{
    wd_contract *c = calloc(1, sizeof(*c));
    if (!c)
        return wd_fail(WD_ENOMEM, "out of memory");
    c->file = wd_arena_strdup(&c->arena, display);
    c->path = wd_arena_strdup(&c->arena, at->abs);
    c->dir = wd_arena_strdup(&c->arena, at->dir);
    wd_hasher *h = NULL;
    if (wd_hasher_new(&h) != 0 || wd_sha256(h, data, len, c->file_sha256) != 0)
        c->path = NULL; /* reported as out of memory below */
    wd_hasher_free(h);
    int rc = !c->file || !c->dir || !c->path ? WD_ENOMEM : load_text(c, data, len, diags);
    wd_diag_sort(diags, first);
    if (rc) {
        wd_contract_free(c);
        return rc == WD_ENOMEM ? wd_fail(WD_ENOMEM, "out of memory") : fail_first(diags, first, rc);
    }
    *out = c;
    return 0;
}

int wd_contract_load(wd_contract **out, const char *path, const wd_contract_options *opts)
{
    if (!out || !path)
        return wd_fail(WD_EINVAL, "wd_contract_load needs an output and a path");
    *out = NULL;
    if (opts && opts->version != WD_CONTRACT_OPTIONS_VERSION)
        return wd_fail(WD_EINVAL, "wd_contract_options version %u is not supported", opts->version);
    const char *display = opts && opts->display_name ? opts->display_name : path;
    wd_diagnostics *own = NULL, *diags = opts ? opts->diagnostics : NULL;
    if (!diags && wd_diagnostics_new(&own) != 0)
        return wd_fail(WD_ENOMEM, "out of memory");
    if (!diags)
        diags = own;
    size_t first = wd_diagnostics_count(diags);
    contract_place at;
    char *data = NULL;
    size_t len = 0;
    int rc = locate(path, display, &at);
    if (!rc)
        rc = read_contract(path, display, &data, &len);
    if (rc && diags != own) { /* the caller's list hears of it too */
        const wd_error *e = wd_error_last();
        wd_diag_add(diags, WD_DIAG_ERROR, e->id, display, 0, 0, "%s", e->message);
    } else if (!rc) {
        rc = build_contract(out, display, &at, data, len, diags, first);
    }
    free(data);
    wd_diagnostics_free(own);
    return rc;
}

void wd_contract_free(wd_contract *c)
{
    if (!c)
        return;
    wd_policy_free(c->policy);
    free(c->policy_path);
    wd_arena_free(&c->arena);
    free(c);
}

const char *wd_contract_id(const wd_contract *c)
{
    return c->id;
}
wd_plugin_type wd_contract_type(const wd_contract *c)
{
    return c->type;
}
const char *wd_contract_version(const wd_contract *c)
{
    return c->version_text;
}
const char *wd_contract_library(const wd_contract *c)
{
    return c->library;
}
const uint8_t *wd_contract_sha256(const wd_contract *c)
{
    return c->sha256;
}
unsigned wd_contract_abi(const wd_contract *c)
{
    return c->abi;
}
wd_security_level wd_contract_level(const wd_contract *c)
{
    return c->level;
}
int wd_contract_allow_downgrade(const wd_contract *c)
{
    return c->allow_downgrade;
}
const char *wd_contract_policy_path(const wd_contract *c)
{
    return c->policy_path;
}
const uint8_t *wd_contract_policy_sha256(const wd_contract *c)
{
    return c->policy_path && c->policy ? c->policy_sha256 : NULL;
}

const wd_policy *wd_contract_policy(const wd_contract *c)
{
    return c->policy;
}
const char *wd_contract_config(const wd_contract *c)
{
    return c->config ? c->config : "{}";
}
const wd_semver *wd_contract_semver(const wd_contract *c)
{
    return &c->version;
}
const char *wd_contract_path(const wd_contract *c)
{
    return c->path;
}
const uint8_t *wd_contract_file_sha256(const wd_contract *c)
{
    return c->file_sha256;
}
size_t wd_contract_tag_count(const wd_contract *c)
{
    return c->tag_count;
}
const char *wd_contract_tag(const wd_contract *c, size_t i)
{
    return i < c->tag_count ? c->tags[i] : NULL;
}

wd_runtime wd_contract_runtime(const wd_contract *c)
{
    return c->runtime;
}
wd_protocol wd_contract_protocol(const wd_contract *c)
{
    return c->protocol;
}
const char *wd_contract_program(const wd_contract *c)
{
    return c->program;
}
bool wd_contract_program_inside(const wd_contract *c)
{
    return c->program_inside;
}
const char *wd_contract_interpreter(const wd_contract *c)
{
    return c->interpreter;
}
const char *wd_contract_dir(const wd_contract *c)
{
    return c->dir;
}
const char *wd_contract_handler_class(const wd_contract *c)
{
    return c->handler_class;
}
const char *wd_contract_handler_root(const wd_contract *c)
{
    return c->handler_root;
}
wd_lifecycle wd_contract_lifecycle(const wd_contract *c)
{
    return c->lifecycle;
}
size_t wd_contract_arg_count(const wd_contract *c)
{
    return c->arg_count;
}
const char *wd_contract_arg(const wd_contract *c, size_t i)
{
    return i < c->arg_count ? c->args[i] : NULL;
}
size_t wd_contract_runtime_root_count(const wd_contract *c)
{
    return c->root_count;
}
const char *wd_contract_runtime_root(const wd_contract *c, size_t i)
{
    return i < c->root_count ? c->roots[i] : NULL;
}

/* fd (a regular file, open for reading) hashes to want, read through fd itself; then rewound,
 * so whoever uses fd gets exactly the bytes compared. what: "library" or "program". */
static int hash_check(int fd, const char *path, const uint8_t want[static WD_SHA256_LEN],
                      const char *what)
{
    wd_hasher *h = NULL;
    uint8_t digest[WD_SHA256_LEN];
    int rc = wd_hasher_new(&h);
    if (!rc)
        rc = wd_sha256_fd(h, fd, digest);
    wd_hasher_free(h);
    if (!rc && !wd_ct_equal(digest, want, sizeof(digest))) {
        char got[2 * WD_SHA256_LEN + 1];
        wd_hex_encode(digest, sizeof(digest), got);
        rc = wd_error_set(WD_EPOLICY, WD_L_LIB_HASH, path, 0, 0,
                          "%s hashes to %s, not to the contract's sha256", what, got);
    }
    if (!rc && lseek(fd, 0, SEEK_SET) != 0)
        rc = wd_error_set(WD_EIO, WD_L_READ, path, 0, 0, "cannot rewind the %s", what);
    return rc;
}

int wd_contract_open_library(const wd_contract *c, int *out)
{
    *out = -1;
    if (c->runtime != WD_RUNTIME_NATIVE || !c->library)
        return wd_error_set(WD_EINVAL, WD_L_PROCESS, c->file, 0, 0, "%s is a %s: it has no library",
                            c->id,
                            c->runtime == WD_RUNTIME_PYTHON ? "Python handler" : "process plugin");
    int fd = open(c->library, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return wd_error_set(WD_ENOTFOUND, WD_L_LIB_NOT_FOUND, c->library, 0, 0,
                                "library not found");
        if (e == ELOOP)
            return wd_error_set(WD_EPERM, WD_L_PERMISSION, c->library, 0, 0,
                                "library is a symbolic link: refused");
        return wd_error_set(e == EACCES ? WD_EPERM : WD_EIO,
                            e == EACCES ? WD_L_PERMISSION : WD_L_LIB_NOT_FOUND, c->library, 0, 0,
                            "cannot open the library: %s", strerror(e));
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = wd_error_set(WD_EIO, WD_L_LIB_NOT_FOUND, c->library, 0, 0,
                          "library is not a regular file");
    if (!rc)
        rc = hash_check(fd, c->library, c->sha256, "library");
    if (rc) {
        close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

/* The program inside the contract's directory, resolved beneath it with no symbolic link on
 * the way (a directory swapped for a link cannot lead the open outside). */
static int open_beneath(const wd_contract *c, int *out)
{
    size_t dl = strlen(c->dir);
    const char *rel = c->program + dl + (strcmp(c->dir, "/") != 0);
    int dfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return wd_error_set(errno == ENOENT ? WD_ENOTFOUND : WD_EIO, WD_L_LIB_NOT_FOUND, c->program,
                            0, 0, "cannot open the contract's directory: %s", strerror(errno));
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
    int e = errno;
    close(dfd);
    if (fd >= 0) {
        *out = fd;
        return 0;
    }
    if (e == ENOENT || e == ENOTDIR)
        return wd_error_set(WD_ENOTFOUND, WD_L_LIB_NOT_FOUND, c->program, 0, 0,
                            "program not found");
    if (e == ELOOP || e == EXDEV)
        return wd_error_set(WD_EPERM, WD_L_PERMISSION, c->program, 0, 0,
                            "the program, or a directory on the way to it, is a symbolic link: "
                            "refused");
    if (e == ENOSYS)
        return wd_error_set(WD_EIO, WD_L_LIB_NOT_FOUND, c->program, 0, 0,
                            "this kernel has no openat2 (Linux 5.6), which process plugins need");
    return wd_error_set(e == EACCES ? WD_EPERM : WD_EIO,
                        e == EACCES ? WD_L_PERMISSION : WD_L_LIB_NOT_FOUND, c->program, 0, 0,
                        "cannot open the program: %s", strerror(e));
}

int wd_contract_open_program(const wd_contract *c, int *out)
{
    if (!out)
        return wd_fail(WD_EINVAL, "wd_contract_open_program needs an output");
    *out = -1;
    if (!c || c->runtime != WD_RUNTIME_PROCESS || !c->program)
        return wd_error_set(WD_EINVAL, WD_L_PROCESS, c ? c->file : NULL, 0, 0,
                            "not a process plugin: there is no program to open");
    int fd = -1, rc;
    if (c->program_inside) {
        rc = open_beneath(c, &fd);
        struct stat st;
        if (!rc && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)))
            rc = wd_error_set(WD_EIO, WD_L_LIB_NOT_FOUND, c->program, 0, 0,
                              "program is not a regular file");
        if (!rc && fcntl(fd, F_SETFL, 0) != 0) /* O_NONBLOCK was only for the open */
            rc = wd_error_set(WD_EIO, WD_L_READ, c->program, 0, 0, "cannot clear O_NONBLOCK");
    } else {
        rc = wd_syspath_open(c->program, O_RDONLY, !c->interpreter, "program", &fd);
    }
    if (!rc && (c->program_inside || c->has_sha256))
        rc = hash_check(fd, c->program, c->sha256, "program");
    if (rc) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

int wd_contract_open_interpreter(const wd_contract *c, int *out)
{
    if (!out)
        return wd_fail(WD_EINVAL, "wd_contract_open_interpreter needs an output");
    *out = -1;
    if (!c)
        return wd_fail(WD_EINVAL, "wd_contract_open_interpreter needs a contract");
    if (!c->interpreter)
        return 0;
    return wd_syspath_open(c->interpreter, O_PATH, true, "interpreter", out);
}

int wd_pipeline_level(const wd_contract *const *plugins, size_t n, wd_security_level *level,
                      size_t *refused)
{
    if (!plugins || !n || !level)
        return wd_fail(WD_EINVAL, "a pipeline needs at least one plugin");
    wd_security_level low = WD_LEVEL_SECRET;
    for (size_t i = 0; i < n; i++) {
        if (!plugins[i] || !plugins[i]->level)
            return wd_fail(WD_EINVAL, "a plugin in the pipeline has no security level");
        if (plugins[i]->level < low)
            low = plugins[i]->level;
    }
    *level = low;
    for (size_t i = 0; i < n; i++)
        if (plugins[i]->level > low && !plugins[i]->allow_downgrade) {
            if (refused)
                *refused = i;
            return wd_error_set(WD_EPOLICY, WD_L_DOWNGRADE, plugins[i]->file, 0, 0,
                                "%s is cleared %s and does not allow running at %s: pipeline "
                                "refused",
                                plugins[i]->id, wd_security_level_name(plugins[i]->level),
                                wd_security_level_name(low));
        }
    return 0;
}
