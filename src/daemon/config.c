/* config.c: wardend's configuration file (config.h; docs/config.md is the reference).
 *
 * The file says who may ask the daemon what, for which tenant, and where each tenant keeps its
 * state, so it is read like every other strict format in warden: every key known, every value
 * checked, every problem reported with its place and a WD-C id, and one error fails the load.
 * Tenants are isolated by construction: no two may share a store, a log, keys or a client. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "daemon/config.h"
#include "policy/netaddr.h"
#include "policy/units.h"
#include "policy/yaml_check.h"
#include "policy/yaml_tree.h"
#include "util/arena.h"
#include "util/ascii.h"
#include "util/cursor.h"
#include "util/diag.h"
#include "util/error.h"
#include "util/file.h"
#include "util/path.h"
#include "util/secure.h"
#include "util/utf8.h"
#include "warden/integrity.h"

/* Stable ids (docs/config.md): once released, an id keeps its meaning. */
#define WDD_C_IO "WD-C001"           /* the file cannot be opened or read */
#define WDD_C_TOO_LARGE "WD-C002"    /* larger than 1 MiB */
#define WDD_C_UTF8 "WD-C003"         /* not UTF-8, or a NUL byte */
#define WDD_C_YAML "WD-C004"         /* not valid (safe) YAML */
#define WDD_C_UNKNOWN_KEY "WD-C005"  /* a key the format does not define */
#define WDD_C_TYPE "WD-C006"         /* mapping / sequence / scalar expected */
#define WDD_C_MISSING "WD-C007"      /* required value missing or empty */
#define WDD_C_VERSION "WD-C008"      /* version other than 1 */
#define WDD_C_MODE "WD-C009"         /* listen.mode is not a permission mode */
#define WDD_C_MODE_OTHERS "WD-C010"  /* listen.mode grants others access */
#define WDD_C_TCP "WD-C011"          /* listen.tcp malformed or not loopback */
#define WDD_C_LIMIT "WD-C012"        /* a limit malformed or out of range */
#define WDD_C_NAME "WD-C013"         /* tenant name malformed */
#define WDD_C_DUP_NAME "WD-C014"     /* two tenants with one name */
#define WDD_C_VALUE "WD-C015"        /* a value outside its set or malformed */
#define WDD_C_UID "WD-C016"          /* uid not 0..4294967294 */
#define WDD_C_CLIENT "WD-C017"       /* a client needs exactly one of uid and token_file */
#define WDD_C_DUP_CLIENT "WD-C018"   /* one uid, token file or token in two clients */
#define WDD_C_TOKEN_NO_TCP "WD-C019" /* a token client but no listen.tcp */
#define WDD_C_TCP_NO_TOKEN "WD-C020" /* listen.tcp but no token client */
#define WDD_C_SHARED "WD-C021"       /* tenants share (or nest) a directory */
#define WDD_C_PATH "WD-C022"         /* path too long, above "/", or a bad glob */
#define WDD_C_TOO_MANY "WD-C023"     /* more tenants, clients or list items than allowed */
#define WDD_C_TOKEN_READ "WD-C024"   /* token file missing, unreadable or not a regular file */
#define WDD_C_TOKEN_PERM "WD-C025"   /* token file readable by others or owned by another user */
#define WDD_C_TOKEN_LEN "WD-C026"    /* token too short, too long or not visible ASCII */

enum {
    MAX_FILE = 1 << 20,
    MAX_TENANTS = 256,
    MAX_CLIENTS = 4096, /* per tenant */
    MAX_LIST = 1024,    /* contracts, allowlist, protected */
    TOKEN_MIN = 32,
    NAME_MAX_LEN = 64,
    GROUP_MAX_LEN = 32,
    ID_PREFIX_MAX = 128,
};

#define UID_MAX_VALUE 4294967294UL /* (uid_t)-1 means "no uid" to chown() and friends */

/* The public struct first, so wdd_config_free can find the arena that owns every field. */
typedef struct {
    wdd_config cfg;
    wd_arena arena;
} config_box;

/* Where each directory a tenant must not share was written, for the cross-tenant check. */
enum { DIR_POLICIES, DIR_AUDIT_LOG, DIR_AUDIT_KEYS, DIR_OVERRIDES, DIR_COUNT };
static const char *const dir_names[DIR_COUNT] = {"policies", "audit.log", "audit.keys",
                                                 "overrides"};

typedef struct {
    const wd_yaml_node *node[DIR_COUNT];
} tenant_nodes;

typedef struct {
    wd_ycheck ck;
    config_box *box;
    wd_arena *scratch;
    const char *base; /* normalised absolute base directory */
    const wd_yaml_node *tcp;
    size_t token_clients;
    tenant_nodes *tnodes;
} parser;

#define ERR(p, node, id, ...) WD_YERR(&(p)->ck, node, id, __VA_ARGS__)

static char *cdup(parser *p, const char *s, size_t len)
{
    char *d = wd_arena_strndup(&p->box->arena, s, len);
    if (!d)
        p->ck.oom = true;
    return d;
}

static bool is_word(const wd_yaml_node *v, const char *w)
{
    return v->kind == WD_YAML_SCALAR && strlen(w) == v->len && !memcmp(v->str, w, v->len);
}

/* A non-empty scalar: a quoted "" is as empty as a missing value. */
static bool text(parser *p, const wd_yaml_node *v, const char *what)
{
    if (!wd_ycheck_scalar(&p->ck, v, what))
        return false;
    if (v->len == 0) {
        ERR(p, v, WDD_C_MISSING, "%s is empty", what);
        return false;
    }
    return true;
}

/* A mapping that must be there and hold something; false after reporting. */
static bool required_map(parser *p, const wd_yaml_node *parent, const wd_yaml_node *v,
                         const char *what)
{
    if (!v) {
        ERR(p, parent, WDD_C_MISSING, "%s is missing", what);
        return false;
    }
    int k = wd_ycheck_expect(&p->ck, v, WD_YAML_MAP, what);
    if (k == 0)
        ERR(p, v, WDD_C_MISSING, "%s is empty", what);
    return k > 0;
}

/* ---- paths --------------------------------------------------------------------------------- */

/* Resolves s against the base directory (when relative) and normalises it lexically into
 * out[WD_PATH_MAX]; NULL on success, else why not. */
static const char *resolve(const char *base, const char *s, size_t len, char *out)
{
    char joined[WD_PATH_MAX + 1];
    bool escapes = false;
    if (memchr(s, '\0', len))
        return "contains a NUL byte";
    int n = s[0] == '/' ? snprintf(joined, sizeof(joined), "%s", s)
                        : snprintf(joined, sizeof(joined), "%s/%s", base, s);
    if (n < 0 || (size_t)n >= WD_PATH_MAX)
        return "is too long";
    if (wd_path_normalize(joined, out, WD_PATH_MAX, &escapes) != 0)
        return "is not a valid path";
    if (escapes)
        return "climbs above \"/\" with \"..\"";
    return NULL;
}

static char *path_value(parser *p, const wd_yaml_node *v, const char *what)
{
    if (!text(p, v, what))
        return NULL;
    char norm[WD_PATH_MAX], shown[80];
    const char *why = resolve(p->base, v->str, v->len, norm);
    if (why) {
        ERR(p, v, WDD_C_PATH, "%s %s %s", what, wd_yaml_shown(v, shown, sizeof(shown)), why);
        return NULL;
    }
    return cdup(p, norm, strlen(norm));
}

/* A sequence of at most MAX_LIST scalars, each checked by item (which returns the value to
 * keep, or NULL after reporting). A null node is an empty list. */
static char **list_value(parser *p, const wd_yaml_node *v, const char *what, size_t *n,
                         char *(*item)(parser *, const wd_yaml_node *, const char *))
{
    *n = 0;
    int k = wd_ycheck_expect(&p->ck, v, WD_YAML_SEQ, what);
    if (k < 0)
        return NULL;
    size_t count = k ? v->count : 0;
    if (count > MAX_LIST) {
        ERR(p, v, WDD_C_TOO_MANY, "%s has %zu entries; the limit is %d", what, count, MAX_LIST);
        return NULL;
    }
    char **out = wd_arena_array(&p->box->arena, count ? count : 1, sizeof(*out));
    if (!out) {
        p->ck.oom = true;
        return NULL;
    }
    for (const wd_yaml_node *e = k ? v->child : NULL; e; e = e->next) {
        char *s = item(p, e, what);
        if (s)
            out[(*n)++] = s;
    }
    return out;
}

static char *dir_item(parser *p, const wd_yaml_node *v, const char *what)
{
    (void)what;
    return path_value(p, v, "a contracts directory");
}

/* An id prefix, with the contract id's own alphabet. */
static char *prefix_item(parser *p, const wd_yaml_node *v, const char *what)
{
    (void)what;
    if (!text(p, v, "an allowlist entry"))
        return NULL;
    bool ok = v->len <= ID_PREFIX_MAX && v->str[0] >= 'a' && v->str[0] <= 'z';
    for (size_t i = 0; ok && i < v->len; i++) {
        char ch = v->str[i];
        ok = (ch >= 'a' && ch <= 'z') || wd_is_digit(ch) || ch == '.' || ch == '_' || ch == '-';
    }
    if (!ok) {
        char shown[80];
        ERR(p, v, WDD_C_VALUE,
            "allowlist entry %s must be 1-128 of [a-z0-9._-], starting with a letter",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return NULL;
    }
    return cdup(p, v->str, v->len);
}

/* A glob for wd_protected_new: "." and ".." are refused as written (normalising them away
 * would change what "*" and "**" next to them match). */
static char *glob_item(parser *p, const wd_yaml_node *v, const char *what)
{
    (void)what;
    if (!text(p, v, "a protected glob"))
        return NULL;
    char shown[80];
    for (size_t i = 0; i < v->len;) {
        size_t j = i;
        while (j < v->len && v->str[j] != '/')
            j++;
        size_t seg = j - i;
        if ((seg == 1 && v->str[i] == '.') || (seg == 2 && !memcmp(v->str + i, "..", 2))) {
            ERR(p, v, WDD_C_PATH, "protected glob %s has a \".\" or \"..\" segment",
                wd_yaml_shown(v, shown, sizeof(shown)));
            return NULL;
        }
        i = j + 1;
    }
    char norm[WD_PATH_MAX];
    const char *why = resolve(p->base, v->str, v->len, norm);
    if (why) {
        ERR(p, v, WDD_C_PATH, "protected glob %s %s", wd_yaml_shown(v, shown, sizeof(shown)), why);
        return NULL;
    }
    const char *globs[1] = {norm};
    wd_protected *check = NULL;
    int rc = wd_protected_new(&check, globs, 1);
    wd_protected_free(check);
    if (rc == WD_ENOMEM) {
        p->ck.oom = true;
        return NULL;
    }
    if (rc) {
        ERR(p, v, WDD_C_PATH,
            "protected glob %s is not a valid glob (\"*\" within a segment, \"**\" as a whole "
            "segment)",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return NULL;
    }
    return cdup(p, norm, strlen(norm));
}

/* ---- version, listen, limits, runner ------------------------------------------------------ */

static void version_field(parser *p, const wd_yaml_node *root)
{
    const wd_yaml_node *v = wd_yaml_get(root, "version");
    if (!v) {
        ERR(p, root, WDD_C_MISSING, "version is missing (this wardend reads version: 1)");
        return;
    }
    if (!text(p, v, "version"))
        return;
    if (!is_word(v, "1")) {
        char shown[80];
        ERR(p, v, WDD_C_VERSION, "version %s is not supported (this wardend reads version: 1)",
            wd_yaml_shown(v, shown, sizeof(shown)));
    }
}

static void mode_field(parser *p, const wd_yaml_node *v)
{
    wdd_config *c = &p->box->cfg;
    if (!text(p, v, "listen.mode"))
        return;
    bool ok = (v->len == 3 || (v->len == 4 && v->str[0] == '0'));
    unsigned mode = 0;
    for (size_t i = 0; ok && i < v->len; i++) {
        ok = v->str[i] >= '0' && v->str[i] <= '7';
        mode = mode * 8 + (unsigned)(v->str[i] - '0');
    }
    char shown[80];
    if (!ok) {
        ERR(p, v, WDD_C_MODE, "listen.mode %s must be an octal permission mode such as \"0660\"",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return;
    }
    if (mode & 07) {
        ERR(p, v, WDD_C_MODE_OTHERS,
            "listen.mode %04o lets any local user connect: it must grant nothing to others "
            "(use \"0660\" and listen.group)",
            mode);
        return;
    }
    c->unix_mode = mode;
}

/* A POSIX-portable group name. */
static void group_field(parser *p, const wd_yaml_node *v)
{
    if (!text(p, v, "listen.group"))
        return;
    bool ok = v->len <= GROUP_MAX_LEN && v->str[0] != '-';
    for (size_t i = 0; ok && i < v->len; i++) {
        char ch = v->str[i];
        ok = wd_is_alpha(ch) || wd_is_digit(ch) || ch == '.' || ch == '_' || ch == '-';
    }
    if (!ok) {
        char shown[80];
        ERR(p, v, WDD_C_VALUE,
            "listen.group %s must be a group name: 1-32 of [A-Za-z0-9._-], not starting with '-'",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return;
    }
    p->box->cfg.unix_group = cdup(p, v->str, v->len);
}

/* "127.x.y.z:PORT" or "[::1]:PORT": a literal, never a name a resolver could turn into
 * something that is not loopback. */
static void tcp_field(parser *p, const wd_yaml_node *v)
{
    wdd_config *c = &p->box->cfg;
    if (!text(p, v, "listen.tcp"))
        return;
    const char *s = v->str, *end = s + v->len, *host, *port = NULL, *why = NULL;
    size_t hlen = 0;
    if (s[0] == '[') {
        const char *rb = memchr(s, ']', v->len);
        host = s + 1;
        if (rb) {
            hlen = (size_t)(rb - host);
            if (rb + 1 < end && rb[1] == ':')
                port = rb + 2;
        }
    } else {
        host = s;
        for (const char *q = s; q < end; q++)
            if (*q == ':')
                port = q + 1;
        if (port)
            hlen = (size_t)(port - 1 - s);
    }
    char shown[80];
    if (!port) {
        ERR(p, v, WDD_C_TCP, "listen.tcp %s must be HOST:PORT (127.0.0.1:8787 or [::1]:8787)",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return;
    }
    wd_ip ip = {0};
    bool parsed = s[0] == '[' ? wd_ip6_parse(host, hlen, ip.addr, &why)
                              : wd_ip4_parse(host, hlen, ip.addr, &why);
    ip.family = s[0] == '[' ? 6 : 4;
    static const uint8_t loop6[16] = {[15] = 1};
    bool loopback = ip.family == 4 ? ip.addr[0] == 127 : !memcmp(ip.addr, loop6, 16);
    if (!parsed || !loopback) {
        ERR(p, v, WDD_C_TCP,
            "listen.tcp %s: the host must be a loopback address literal (127.0.0.0/8, or "
            "[::1])%s%s",
            wd_yaml_shown(v, shown, sizeof(shown)), parsed ? "" : ": ", parsed ? "" : why);
        return;
    }
    unsigned pn;
    if (!wd_port_parse(port, (size_t)(end - port), &pn, &why)) {
        ERR(p, v, WDD_C_TCP, "listen.tcp %s: port must be 1-65535: %s",
            wd_yaml_shown(v, shown, sizeof(shown)), why);
        return;
    }
    char canon[WD_IP_TEXT_MAX];
    wd_ip_format(&ip, canon);
    c->tcp_host = cdup(p, canon, strlen(canon));
    c->tcp_port = pn;
}

static void listen_section(parser *p, const wd_yaml_node *root)
{
    wdd_config *c = &p->box->cfg;
    const wd_yaml_node *l = wd_yaml_get(root, "listen"), *v;
    if (!required_map(p, root, l, "listen"))
        return;
    static const char *const keys[] = {"unix", "mode", "group", "tcp", NULL};
    wd_ycheck_keys(&p->ck, l, keys, "listen");
    if (!(v = wd_yaml_get(l, "unix"))) {
        ERR(p, l, WDD_C_MISSING, "listen.unix is missing");
    } else if ((c->unix_path = path_value(p, v, "listen.unix"))) {
        size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
        if (strlen(c->unix_path) > max) {
            ERR(p, v, WDD_C_PATH, "listen.unix is %zu bytes long; a socket address holds %zu",
                strlen(c->unix_path), max);
            c->unix_path = NULL;
        }
    }
    if ((v = wd_yaml_get(l, "mode")))
        mode_field(p, v);
    if ((v = wd_yaml_get(l, "group")))
        group_field(p, v);
    if ((v = wd_yaml_get(l, "tcp"))) {
        p->tcp = v;
        tcp_field(p, v);
    }
}

typedef enum { L_BYTES, L_SECONDS, L_MS, L_COUNT } limit_kind;

typedef struct {
    const char *key;
    limit_kind kind;
    uint64_t lo, hi;
    const char *range; /* as the message says it */
} limit_def;

static const limit_def limit_defs[] = {
    {"max_body", L_BYTES, 1024, UINT64_C(1) << 30, "1KiB to 1GiB"},
    {"max_header", L_BYTES, 1024, UINT64_C(1) << 20, "1KiB to 1MiB"},
    {"timeout", L_SECONDS, 1000, 3600000, "1s to 1h, whole seconds"},
    {"max_connections", L_COUNT, 1, 65536, "1 to 65536"},
    {"max_batch", L_COUNT, 1, 10000000, "1 to 10000000"},
    {"invoke_timeout", L_MS, 1000, 3600000, "1s to 1h"},
};

static bool limit_value(parser *p, const wd_yaml_node *v, const limit_def *d, uint64_t *out)
{
    char what[40];
    snprintf(what, sizeof(what), "limits.%s", d->key);
    if (!text(p, v, what))
        return false;
    const char *why = NULL;
    bool ok;
    switch (d->kind) {
    case L_BYTES: {
        /* "1MiB" as well as the policy language's "1Mi": the B of a binary unit is redundant. */
        size_t n = v->len;
        if (n >= 3 && v->str[n - 1] == 'B' && v->str[n - 2] == 'i')
            n--;
        ok = wd_units_bytes(v->str, n, out, &why);
        break;
    }
    case L_COUNT:
        ok = wd_units_count(v->str, v->len, out, &why);
        break;
    default:
        ok = wd_units_duration_ms(v->str, v->len, out, &why);
        if (ok && d->kind == L_SECONDS && *out % 1000) {
            ok = false;
            why = "not a whole number of seconds";
        }
    }
    if (ok && (*out < d->lo || *out > d->hi)) {
        ok = false;
        why = "out of range";
    }
    if (!ok) {
        char shown[80];
        ERR(p, v, WDD_C_LIMIT, "%s %s: %s (%s)", what, wd_yaml_shown(v, shown, sizeof(shown)), why,
            d->range);
    }
    return ok;
}

static void limits_section(parser *p, const wd_yaml_node *root)
{
    wdd_config *c = &p->box->cfg;
    const wd_yaml_node *l = wd_yaml_get(root, "limits");
    if (!l || wd_ycheck_expect(&p->ck, l, WD_YAML_MAP, "limits") <= 0)
        return;
    static const char *const keys[] = {"max_body",  "max_header",     "timeout", "max_connections",
                                       "max_batch", "invoke_timeout", NULL};
    wd_ycheck_keys(&p->ck, l, keys, "limits");
    for (size_t i = 0; i < sizeof(limit_defs) / sizeof(limit_defs[0]); i++) {
        const wd_yaml_node *v = wd_yaml_get(l, limit_defs[i].key);
        uint64_t x;
        if (!v || !limit_value(p, v, &limit_defs[i], &x))
            continue;
        switch (i) {
        case 0:
            c->max_body = (size_t)x;
            break;
        case 1:
            c->max_header = (size_t)x;
            break;
        case 2:
            c->timeout_s = (unsigned)(x / 1000);
            break;
        case 3:
            c->max_connections = (unsigned)x;
            break;
        case 4:
            c->max_batch = (size_t)x;
            break;
        default:
            c->invoke_timeout_ms = (unsigned)x;
        }
    }
}

/* ---- tenants --------------------------------------------------------------------------------- */

static const char *const role_names[] = {NULL, "reader", "operator", "admin"};

static void client_entry(parser *p, const wd_yaml_node *m, wdd_client *cl)
{
    cl->uid = -1;
    cl->line = m->line;
    cl->column = m->column;
    int k = wd_ycheck_expect(&p->ck, m, WD_YAML_MAP, "a client");
    if (k == 0)
        ERR(p, m, WDD_C_MISSING, "a client is empty: it needs a uid or a token_file, and a role");
    if (k <= 0)
        return;
    static const char *const keys[] = {"uid", "token_file", "role", NULL};
    wd_ycheck_keys(&p->ck, m, keys, "a client");
    const wd_yaml_node *uid = wd_yaml_get(m, "uid"), *tf = wd_yaml_get(m, "token_file"),
                       *role = wd_yaml_get(m, "role");
    if (!uid == !tf)
        ERR(p, m, WDD_C_CLIENT,
            "a client has %s: it is either a local user (uid) or a bearer token (token_file)",
            uid ? "both uid and token_file" : "neither uid nor token_file");
    if (uid && text(p, uid, "uid")) {
        wd_cursor cur = wd_cursor_make(uid->str, uid->len);
        uint64_t u;
        if (!wd_cursor_u64(&cur, &u) || cur.p != cur.end || u > UID_MAX_VALUE) {
            char shown[80];
            ERR(p, uid, WDD_C_UID, "uid %s must be a whole number from 0 to %lu",
                wd_yaml_shown(uid, shown, sizeof(shown)), UID_MAX_VALUE);
        } else if (!tf) {
            cl->uid = (long)u;
        }
    }
    if (tf) {
        if (!p->tcp)
            ERR(p, m, WDD_C_TOKEN_NO_TCP,
                "a token_file client needs listen.tcp: tokens are only accepted over TCP");
        char *path = path_value(p, tf, "token_file");
        if (path && !uid) {
            cl->token_file = path;
            p->token_clients++;
        }
    }
    if (!role) {
        ERR(p, m, WDD_C_MISSING, "a client has no role (reader, operator or admin)");
    } else if (text(p, role, "role")) {
        for (int i = WDD_ROLE_READER; i <= WDD_ROLE_ADMIN; i++)
            if (is_word(role, role_names[i]))
                cl->role = (wdd_role)i;
        if (!cl->role) {
            char shown[80];
            ERR(p, role, WDD_C_VALUE, "unknown role %s (reader, operator, admin)",
                wd_yaml_shown(role, shown, sizeof(shown)));
        }
    }
}

static void clients_field(parser *p, const wd_yaml_node *t, wdd_tenant *out)
{
    const wd_yaml_node *v = wd_yaml_get(t, "clients");
    if (!v) {
        ERR(p, t, WDD_C_MISSING, "tenant has no clients: it needs at least one");
        return;
    }
    int k = wd_ycheck_expect(&p->ck, v, WD_YAML_SEQ, "clients");
    if (k < 0)
        return;
    if (k == 0 || v->count == 0) {
        ERR(p, v, WDD_C_MISSING, "clients is empty: a tenant needs at least one");
        return;
    }
    if (v->count > MAX_CLIENTS) {
        ERR(p, v, WDD_C_TOO_MANY, "a tenant has %zu clients; the limit is %d", v->count,
            MAX_CLIENTS);
        return;
    }
    out->clients = wd_arena_array(&p->box->arena, v->count, sizeof(*out->clients));
    if (!out->clients) {
        p->ck.oom = true;
        return;
    }
    for (const wd_yaml_node *m = v->child; m; m = m->next)
        client_entry(p, m, &out->clients[out->nclients++]);
}

static void name_field(parser *p, const wd_yaml_node *t, wdd_tenant *out)
{
    const wd_yaml_node *v = wd_yaml_get(t, "name");
    if (!v) {
        ERR(p, t, WDD_C_MISSING, "tenant has no name");
        return;
    }
    if (!text(p, v, "tenant name"))
        return;
    bool ok = v->len <= NAME_MAX_LEN;
    for (size_t i = 0; ok && i < v->len; i++) {
        char ch = v->str[i];
        ok = (ch >= 'a' && ch <= 'z') || wd_is_digit(ch) || (i > 0 && (ch == '_' || ch == '-'));
    }
    if (!ok) {
        char shown[80];
        ERR(p, v, WDD_C_NAME,
            "tenant name %s must be 1-64 of [a-z0-9_-], starting with a letter or digit",
            wd_yaml_shown(v, shown, sizeof(shown)));
        return;
    }
    out->name = cdup(p, v->str, v->len);
}

static void audit_field(parser *p, const wd_yaml_node *t, wdd_tenant *out, tenant_nodes *tn)
{
    const wd_yaml_node *a = wd_yaml_get(t, "audit"), *v;
    out->durability = WD_DURABILITY_BATCH;
    out->audit_decisions = WDD_AUDIT_ALL;
    if (!required_map(p, t, a, "audit"))
        return;
    static const char *const keys[] = {"log", "keys", "durability", "decisions", NULL};
    wd_ycheck_keys(&p->ck, a, keys, "audit");
    if (!(v = wd_yaml_get(a, "log")))
        ERR(p, a, WDD_C_MISSING, "audit.log is missing");
    else if ((out->audit_log = path_value(p, v, "audit.log")))
        tn->node[DIR_AUDIT_LOG] = v;
    if (!(v = wd_yaml_get(a, "keys")))
        ERR(p, a, WDD_C_MISSING, "audit.keys is missing");
    else if ((out->audit_keys = path_value(p, v, "audit.keys")))
        tn->node[DIR_AUDIT_KEYS] = v;
    char shown[80];
    if ((v = wd_yaml_get(a, "durability")) && text(p, v, "audit.durability")) {
        if (is_word(v, "always"))
            out->durability = WD_DURABILITY_ALWAYS;
        else if (is_word(v, "none"))
            out->durability = WD_DURABILITY_NONE;
        else if (!is_word(v, "batch"))
            ERR(p, v, WDD_C_VALUE, "unknown audit.durability %s (always, batch, none)",
                wd_yaml_shown(v, shown, sizeof(shown)));
    }
    if ((v = wd_yaml_get(a, "decisions")) && text(p, v, "audit.decisions")) {
        if (is_word(v, "deny"))
            out->audit_decisions = WDD_AUDIT_DENY;
        else if (is_word(v, "none"))
            out->audit_decisions = WDD_AUDIT_NONE;
        else if (!is_word(v, "all"))
            ERR(p, v, WDD_C_VALUE, "unknown audit.decisions %s (all, deny, none)",
                wd_yaml_shown(v, shown, sizeof(shown)));
    }
}

static void baseline_field(parser *p, const wd_yaml_node *t, wdd_tenant *out)
{
    const wd_yaml_node *b = wd_yaml_get(t, "baseline"), *v;
    if (!b || !required_map(p, t, b, "baseline"))
        return;
    static const char *const keys[] = {"manifest", "pubkey", NULL};
    wd_ycheck_keys(&p->ck, b, keys, "baseline");
    char *manifest = NULL, *pubkey = NULL;
    if (!(v = wd_yaml_get(b, "manifest")))
        ERR(p, b, WDD_C_MISSING, "baseline.manifest is missing: a baseline needs both files");
    else
        manifest = path_value(p, v, "baseline.manifest");
    if (!(v = wd_yaml_get(b, "pubkey")))
        ERR(p, b, WDD_C_MISSING, "baseline.pubkey is missing: a baseline needs both files");
    else
        pubkey = path_value(p, v, "baseline.pubkey");
    if (manifest && pubkey) {
        out->baseline = manifest;
        out->baseline_pubkey = pubkey;
    }
}

static void tenant_entry(parser *p, const wd_yaml_node *t, wdd_tenant *out, tenant_nodes *tn)
{
    out->line = t->line;
    out->column = t->column;
    int k = wd_ycheck_expect(&p->ck, t, WD_YAML_MAP, "a tenant");
    if (k == 0)
        ERR(p, t, WDD_C_MISSING, "a tenant is empty");
    if (k <= 0)
        return;
    static const char *const keys[] = {"name",      "contracts", "trust",     "allowlist",
                                       "policies",  "audit",     "overrides", "baseline",
                                       "protected", "clients",   NULL};
    wd_ycheck_keys(&p->ck, t, keys, "a tenant");
    const wd_yaml_node *v;
    name_field(p, t, out);
    if ((v = wd_yaml_get(t, "contracts")))
        out->contracts = list_value(p, v, "contracts", &out->ncontracts, dir_item);
    if ((v = wd_yaml_get(t, "trust")))
        out->trust = path_value(p, v, "trust");
    if ((v = wd_yaml_get(t, "allowlist"))) {
        /* Present means an allowlist, even empty (then nothing may register): fail closed. */
        out->allowlist = list_value(p, v, "allowlist", &out->nallowlist, prefix_item);
        out->allowlist_set = true;
    }
    if (!(v = wd_yaml_get(t, "policies")))
        ERR(p, t, WDD_C_MISSING, "tenant has no policies directory");
    else if ((out->policies = path_value(p, v, "policies")))
        tn->node[DIR_POLICIES] = v;
    audit_field(p, t, out, tn);
    if ((v = wd_yaml_get(t, "overrides")) && (out->overrides = path_value(p, v, "overrides")))
        tn->node[DIR_OVERRIDES] = v;
    baseline_field(p, t, out);
    if ((v = wd_yaml_get(t, "protected")))
        out->protected_globs = list_value(p, v, "protected", &out->nprotected, glob_item);
    clients_field(p, t, out);
}

static const char *tenant_dir(const wdd_tenant *t, int which)
{
    switch (which) {
    case DIR_POLICIES:
        return t->policies;
    case DIR_AUDIT_LOG:
        return t->audit_log;
    case DIR_AUDIT_KEYS:
        return t->audit_keys;
    default:
        return t->overrides;
    }
}

/* a and b are the same directory, or one holds the other. */
static bool overlaps(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), l = la < lb ? la : lb;
    if (strncmp(a, b, l) != 0)
        return false;
    if (la == lb || l == 1) /* equal, or one of them is "/" */
        return true;
    return (la < lb ? b : a)[l] == '/';
}

static void check_sharing(parser *p)
{
    const wdd_config *c = &p->box->cfg;
    for (size_t j = 1; j < c->ntenants; j++)
        for (int dj = 0; dj < DIR_COUNT; dj++) {
            const char *b = tenant_dir(&c->tenants[j], dj);
            bool reported = false;
            for (size_t i = 0; b && !reported && i < j; i++)
                for (int di = 0; !reported && di < DIR_COUNT; di++) {
                    const char *a = tenant_dir(&c->tenants[i], di);
                    if (!a || !overlaps(a, b))
                        continue;
                    const char *ni = c->tenants[i].name, *nj = c->tenants[j].name;
                    ERR(p, p->tnodes[j].node[dj], WDD_C_SHARED,
                        "%s of tenant %s%s%s %s %s of tenant %s%s%s (line %u): tenants share "
                        "nothing",
                        dir_names[dj], nj ? "\"" : "", nj ? nj : "#", nj ? "\"" : "",
                        !strcmp(a, b)           ? "is also"
                        : strlen(a) < strlen(b) ? "lies inside"
                                                : "holds",
                        dir_names[di], ni ? "\"" : "", ni ? ni : "#", ni ? "\"" : "",
                        p->tnodes[i].node[di]->line);
                    reported = true;
                }
        }
}

typedef struct {
    const wdd_client *client;
    size_t order;
} client_ref;

static int cmp_uid(const void *x, const void *y)
{
    const client_ref *a = x, *b = y;
    if (a->client->uid != b->client->uid)
        return a->client->uid < b->client->uid ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int cmp_token_file(const void *x, const void *y)
{
    const client_ref *a = x, *b = y;
    int d = strcmp(a->client->token_file, b->client->token_file);
    return d ? d : a->order < b->order ? -1 : a->order > b->order;
}

/* One uid or token file in two clients would make a peer's tenant and role depend on the order
 * of the file. Sorted, so a large file stays cheap. */
static void check_duplicate_clients(parser *p)
{
    const wdd_config *c = &p->box->cfg;
    size_t n = 0;
    for (size_t t = 0; t < c->ntenants; t++)
        n += c->tenants[t].nclients;
    if (n < 2)
        return;
    client_ref *uids = wd_arena_array(p->scratch, n, sizeof(*uids));
    client_ref *files = wd_arena_array(p->scratch, n, sizeof(*files));
    if (!uids || !files) {
        p->ck.oom = true;
        return;
    }
    size_t nu = 0, nf = 0, order = 0;
    for (size_t t = 0; t < c->ntenants; t++)
        for (size_t i = 0; i < c->tenants[t].nclients; i++, order++) {
            const wdd_client *cl = &c->tenants[t].clients[i];
            if (cl->uid >= 0)
                uids[nu++] = (client_ref){cl, order};
            else if (cl->token_file)
                files[nf++] = (client_ref){cl, order};
        }
    qsort(uids, nu, sizeof(*uids), cmp_uid);
    for (size_t i = 1; i < nu; i++)
        if (uids[i].client->uid == uids[i - 1].client->uid)
            wd_ycheck_report(&p->ck, WD_DIAG_ERROR, WDD_C_DUP_CLIENT, uids[i].client->line,
                             uids[i].client->column,
                             "uid %ld is already a client (line %u): a uid belongs to one client "
                             "of one tenant",
                             uids[i].client->uid, uids[i - 1].client->line);
    qsort(files, nf, sizeof(*files), cmp_token_file);
    for (size_t i = 1; i < nf; i++)
        if (!strcmp(files[i].client->token_file, files[i - 1].client->token_file))
            wd_ycheck_report(&p->ck, WD_DIAG_ERROR, WDD_C_DUP_CLIENT, files[i].client->line,
                             files[i].client->column,
                             "this token_file is already a client (line %u): a token belongs to "
                             "one client of one tenant",
                             files[i - 1].client->line);
}

static void tenants_section(parser *p, const wd_yaml_node *root)
{
    wdd_config *c = &p->box->cfg;
    const wd_yaml_node *v = wd_yaml_get(root, "tenants");
    if (!v) {
        ERR(p, root, WDD_C_MISSING, "tenants is missing: the daemon needs at least one tenant");
        return;
    }
    int k = wd_ycheck_expect(&p->ck, v, WD_YAML_SEQ, "tenants");
    if (k < 0)
        return;
    if (k == 0 || v->count == 0) {
        ERR(p, v, WDD_C_MISSING, "tenants is empty: the daemon needs at least one tenant");
        return;
    }
    if (v->count > MAX_TENANTS) {
        ERR(p, v, WDD_C_TOO_MANY, "%zu tenants; the limit is %d", v->count, MAX_TENANTS);
        return;
    }
    c->tenants = wd_arena_array(&p->box->arena, v->count, sizeof(*c->tenants));
    p->tnodes = wd_arena_array(p->scratch, v->count, sizeof(*p->tnodes));
    if (!c->tenants || !p->tnodes) {
        p->ck.oom = true;
        return;
    }
    for (const wd_yaml_node *t = v->child; t; t = t->next) {
        size_t i = c->ntenants++;
        tenant_entry(p, t, &c->tenants[i], &p->tnodes[i]);
        for (size_t j = 0; c->tenants[i].name && j < i; j++)
            if (c->tenants[j].name && !strcmp(c->tenants[i].name, c->tenants[j].name)) {
                ERR(p, wd_yaml_get(t, "name"), WDD_C_DUP_NAME,
                    "tenant \"%s\" is already defined (line %u)", c->tenants[i].name,
                    c->tenants[j].line);
                break;
            }
    }
    check_sharing(p);
    check_duplicate_clients(p);
}

/* ---- loading --------------------------------------------------------------------------------- */

static int fail_first(wd_diagnostics *diags, size_t first, int code)
{
    for (size_t i = first; i < wd_diagnostics_count(diags); i++) {
        const wd_diag *d = wd_diagnostics_get(diags, i);
        if (d->severity == WD_DIAG_ERROR)
            return wd_error_set(code, d->id, d->file, d->line, d->column, "%s", d->message);
    }
    return wd_fail(code, "configuration could not be loaded");
}

/* The tree builder speaks in policy ids; in a configuration every such problem is "not valid
 * (safe) YAML", with the builder's own message and location. */
static int relabel_yaml(wd_diagnostics *from, wd_diagnostics *to)
{
    for (size_t i = 0; i < wd_diagnostics_count(from); i++) {
        const wd_diag *d = wd_diagnostics_get(from, i);
        if (wd_diag_add(to, d->severity, WDD_C_YAML, d->file, d->line, d->column, "%s (%s)",
                        d->message, d->id))
            return WD_ENOMEM;
    }
    return 0;
}

static void parse_tree(parser *p, const wd_yaml_node *root)
{
    wdd_config *c = &p->box->cfg;
    if (!root) {
        wd_ycheck_report(&p->ck, WD_DIAG_ERROR, WDD_C_MISSING, 0, 0,
                         "the configuration is empty: it needs version, listen and tenants");
        return;
    }
    if (root->kind != WD_YAML_MAP) {
        ERR(p, root, WDD_C_TYPE, "a configuration is a mapping (version, listen, tenants, ...)");
        return;
    }
    static const char *const keys[] = {"version", "listen", "limits", "runner", "tenants", NULL};
    wd_ycheck_keys(&p->ck, root, keys, "the configuration");
    version_field(p, root);
    listen_section(p, root);
    limits_section(p, root);
    const wd_yaml_node *v = wd_yaml_get(root, "runner");
    if (v)
        c->runner = path_value(p, v, "runner");
    tenants_section(p, root);
    if (p->tcp && !p->token_clients)
        ERR(p, p->tcp, WDD_C_TCP_NO_TOKEN,
            "listen.tcp is set but no client has a token_file: nobody could use it");
}

/* Parses into a new box; display names the file in diagnostics, abs_path is recorded. */
static int parse_config(config_box **out, const char *data, size_t len, const char *display,
                        const char *abs_path, const char *base, wd_diagnostics *diags)
{
    *out = NULL;
    if (len > MAX_FILE) {
        wd_diag_add(diags, WD_DIAG_ERROR, WDD_C_TOO_LARGE, display, 0, 0,
                    "configuration is %zu bytes; the limit is %d bytes", len, MAX_FILE);
        return WD_EPOLICY;
    }
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
        data += 3, len -= 3;
    size_t bad;
    if (!wd_utf8_valid(data, len, &bad)) {
        unsigned line, col;
        wd_utf8_position(data, bad, &line, &col);
        wd_diag_add(diags, WD_DIAG_ERROR, WDD_C_UTF8, display, line, col,
                    data[bad] ? "not valid UTF-8 (byte 0x%02x)" : "NUL byte in the text%.0u",
                    (unsigned)(unsigned char)data[bad]);
        return WD_EPOLICY;
    }
    config_box *box = calloc(1, sizeof(*box));
    if (!box)
        return WD_ENOMEM;
    wdd_config *c = &box->cfg;
    c->path = wd_arena_strdup(&box->arena, abs_path);
    c->unix_mode = 0660;
    c->max_body = 1u << 20;
    c->max_header = 16u << 10;
    c->timeout_s = 10;
    c->max_connections = 256;
    c->max_batch = 100000;
    c->invoke_timeout_ms = 10000;

    wd_arena scratch = WD_ARENA_INIT;
    wd_diagnostics *yd = NULL;
    wd_yaml_node *root = NULL;
    int rc = c->path ? wd_diagnostics_new(&yd) : WD_ENOMEM;
    if (!rc && wd_yaml_parse(&scratch, data, len, display, yd, &root) != 0)
        rc = relabel_yaml(yd, diags) ? WD_ENOMEM : WD_EPOLICY;
    wd_diagnostics_free(yd);
    if (!rc) {
        parser p = {.ck = {.diags = diags,
                           .file = display,
                           .id_type = WDD_C_TYPE,
                           .id_missing = WDD_C_MISSING,
                           .id_unknown_key = WDD_C_UNKNOWN_KEY},
                    .box = box,
                    .scratch = &scratch,
                    .base = base};
        parse_tree(&p, root);
        rc = p.ck.oom ? WD_ENOMEM : p.ck.errors ? WD_EPOLICY : 0;
    }
    wd_arena_free(&scratch);
    if (rc) {
        wdd_config_free(c);
        return rc;
    }
    *out = box;
    return 0;
}

/* Normalises dir (absolute) into out[WD_PATH_MAX]. */
static bool base_ok(const char *dir, char *out)
{
    bool escapes;
    return dir && wd_path_normalize(dir, out, WD_PATH_MAX, &escapes) == 0 && !escapes;
}

int wdd_config_parse(wdd_config **out, const char *data, size_t len, const char *file,
                     const char *base_dir, wd_diagnostics *diags)
{
    if (!out || (!data && len))
        return wd_fail(WD_EINVAL, "wdd_config_parse needs an output and data");
    *out = NULL;
    char base[WD_PATH_MAX], abs[WD_PATH_MAX];
    if (!base_ok(base_dir, base))
        return wd_fail(WD_EINVAL, "the base directory must be an absolute path");
    const char *display = file ? file : "warden.yaml";
    if (resolve(base, display, strlen(display), abs))
        return wd_fail(WD_EINVAL, "the configuration's file name is not a valid path");
    wd_diagnostics *own = NULL;
    if (!diags && wd_diagnostics_new(&own) != 0)
        return wd_fail(WD_ENOMEM, "out of memory");
    if (!diags)
        diags = own;
    size_t first = wd_diagnostics_count(diags);
    config_box *box = NULL;
    int rc = parse_config(&box, data ? data : "", len, display, abs, base, diags);
    wd_diag_sort(diags, first);
    if (rc == WD_ENOMEM)
        rc = wd_fail(WD_ENOMEM, "out of memory");
    else if (rc)
        rc = fail_first(diags, first, rc);
    else
        *out = &box->cfg;
    wd_diagnostics_free(own);
    return rc;
}

/* A path for a one-line message: control characters escaped, bounded. */
static const char *shown_path(const char *s, char *buf, size_t size)
{
    wd_yaml_node n = {.kind = WD_YAML_SCALAR, .str = s, .len = strlen(s)};
    return wd_yaml_shown(&n, buf, size);
}

/* Adds a token file problem at the client that names the file; returns false. */
static bool token_err(wd_diagnostics *diags, const char *id, const char *display,
                      const wdd_client *cl, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static bool token_err(wd_diagnostics *diags, const char *id, const char *display,
                      const wdd_client *cl, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wd_diag_add(diags, WD_DIAG_ERROR, id, display, cl->line, cl->column, "%s", msg);
    return false;
}

/* Reads one token file into cl; false after adding a diagnostic. */
static bool read_token(wdd_client *cl, const char *display, wd_diagnostics *diags)
{
    char shown[120];
    shown_path(cl->token_file, shown, sizeof(shown));
    int fd = open(cl->token_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            return token_err(diags, WDD_C_TOKEN_READ, display, cl,
                             "token file %s is a symbolic link: it must be a regular file", shown);
        return token_err(diags, WDD_C_TOKEN_READ, display, cl, "cannot open token file %s: %s",
                         shown, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return token_err(diags, WDD_C_TOKEN_READ, display, cl,
                         "token file %s is not a regular file", shown);
    }
    if (st.st_uid != geteuid()) {
        close(fd);
        return token_err(diags, WDD_C_TOKEN_PERM, display, cl,
                         "token file %s is owned by uid %u, not by the daemon's user (uid %u)",
                         shown, (unsigned)st.st_uid, (unsigned)geteuid());
    }
    if (st.st_mode & 077) {
        close(fd);
        return token_err(diags, WDD_C_TOKEN_PERM, display, cl,
                         "token file %s has mode %04o: a secret must be 0600 or stricter", shown,
                         (unsigned)(st.st_mode & 07777));
    }
    /* Room for the longest token, its newline and one byte more to see it is too long. */
    uint8_t buf[WDD_TOKEN_MAX + 2];
    size_t n = 0;
    int err = 0;
    while (n < sizeof(buf)) {
        ssize_t r = read(fd, buf + n, sizeof(buf) - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            err = errno;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    bool ok = false;
    if (n && buf[n - 1] == '\n')
        n--;
    if (err) {
        token_err(diags, WDD_C_TOKEN_READ, display, cl, "cannot read token file %s: %s", shown,
                  strerror(err));
    } else if (n > WDD_TOKEN_MAX) {
        token_err(diags, WDD_C_TOKEN_LEN, display, cl, "token in %s is longer than %d bytes", shown,
                  WDD_TOKEN_MAX);
    } else if (n < TOKEN_MIN) {
        token_err(diags, WDD_C_TOKEN_LEN, display, cl,
                  "token in %s is %zu bytes; a token needs at least %d", shown, n, TOKEN_MIN);
    } else {
        /* A bearer token travels in an HTTP header: visible ASCII only, nothing a proxy or a
         * header parser could fold, trim or reinterpret. */
        size_t bad = n;
        for (size_t i = n; i-- > 0;)
            if (buf[i] < 0x21 || buf[i] > 0x7e)
                bad = i;
        if (bad < n) {
            token_err(diags, WDD_C_TOKEN_LEN, display, cl,
                      "token in %s has a byte that is not visible ASCII (at offset %zu)", shown,
                      bad);
        } else {
            memcpy(cl->token, buf, n);
            cl->token_len = n;
            ok = true;
        }
    }
    wd_wipe(buf, sizeof(buf));
    return ok;
}

static size_t read_tokens(wdd_config *c, const char *display, wd_diagnostics *diags)
{
    size_t errors = 0;
    for (size_t t = 0; t < c->ntenants; t++)
        for (size_t i = 0; i < c->tenants[t].nclients; i++) {
            wdd_client *cl = &c->tenants[t].clients[i];
            if (cl->token_file && !read_token(cl, display, diags))
                errors++;
        }
    /* Two files with one token: whoever holds it could not be told apart. */
    for (size_t t = 0; t < c->ntenants; t++)
        for (size_t i = 0; i < c->tenants[t].nclients; i++) {
            const wdd_client *b = &c->tenants[t].clients[i];
            bool dup = false;
            for (size_t u = 0; b->token_len && !dup && u <= t; u++)
                for (size_t j = 0; !dup && j < (u == t ? i : c->tenants[u].nclients); j++) {
                    const wdd_client *a = &c->tenants[u].clients[j];
                    if (a->token_len == b->token_len &&
                        wd_ct_equal(a->token, b->token, a->token_len)) {
                        wd_diag_add(diags, WD_DIAG_ERROR, WDD_C_DUP_CLIENT, display, b->line,
                                    b->column,
                                    "this token_file holds the same token as the client at line "
                                    "%u: a token belongs to one client of one tenant",
                                    a->line);
                        errors++;
                        dup = true;
                    }
                }
        }
    return errors;
}

int wdd_config_load(wdd_config **out, const char *path, wd_diagnostics *diags)
{
    if (!out || !path || !path[0])
        return wd_fail(WD_EINVAL, "wdd_config_load needs an output and a path");
    *out = NULL;
    wd_diagnostics *own = NULL;
    if (!diags && wd_diagnostics_new(&own) != 0)
        return wd_fail(WD_ENOMEM, "out of memory");
    if (!diags)
        diags = own;
    size_t first = wd_diagnostics_count(diags);

    /* The file's absolute path and directory: relative paths inside resolve against it. */
    char cwd[WD_PATH_MAX], abs[WD_PATH_MAX], dir[WD_PATH_MAX];
    const char *why = NULL;
    if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
        why = "cannot determine the current directory";
    else if (resolve(path[0] == '/' ? "/" : cwd, path, strlen(path), abs))
        why = "path is too long or not a valid path";
    int rc = 0;
    char *data = NULL;
    size_t len = 0;
    if (why) {
        rc = wd_error_set(WD_EINVAL, WDD_C_IO, path, 0, 0, "%s", why);
    } else {
        rc = wd_file_read(path, MAX_FILE, &data, &len, WDD_C_IO, WDD_C_TOO_LARGE);
        if (rc)
            rc = wd_error_set(rc == WD_ERANGE ? WD_EPOLICY : rc, wd_error_last()->id, path, 0, 0,
                              "%s", wd_error_last()->message);
    }
    if (rc) {
        const wd_error *e = wd_error_last();
        if (rc != WD_ENOMEM)
            wd_diag_add(diags, WD_DIAG_ERROR, e->id[0] ? e->id : WDD_C_IO, path, 0, 0, "%s",
                        e->message);
        wd_diagnostics_free(own);
        return rc;
    }
    memcpy(dir, abs, sizeof(dir));
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';

    config_box *box = NULL;
    rc = parse_config(&box, data, len, path, abs, dir, diags);
    free(data);
    if (!rc && read_tokens(&box->cfg, path, diags)) {
        wdd_config_free(&box->cfg);
        rc = WD_EPOLICY;
    }
    wd_diag_sort(diags, first);
    if (rc == WD_ENOMEM)
        rc = wd_fail(WD_ENOMEM, "out of memory");
    else if (rc)
        rc = fail_first(diags, first, rc);
    else
        *out = &box->cfg;
    wd_diagnostics_free(own);
    return rc;
}

void wdd_config_free(wdd_config *cfg)
{
    if (!cfg)
        return;
    for (size_t t = 0; cfg->tenants && t < cfg->ntenants; t++)
        for (size_t i = 0; cfg->tenants[t].clients && i < cfg->tenants[t].nclients; i++) {
            wdd_client *cl = &cfg->tenants[t].clients[i];
            wd_wipe(cl->token, sizeof(cl->token));
            cl->token_len = 0;
        }
    config_box *box = (config_box *)cfg;
    wd_arena_free(&box->arena);
    free(box);
}

/* ---- lookups --------------------------------------------------------------------------------- */

const wdd_tenant *wdd_config_by_uid(const wdd_config *cfg, long uid, wdd_role *role)
{
    if (!cfg || uid < 0)
        return NULL;
    for (size_t t = 0; t < cfg->ntenants; t++)
        for (size_t i = 0; i < cfg->tenants[t].nclients; i++)
            if (cfg->tenants[t].clients[i].uid == uid) {
                if (role)
                    *role = cfg->tenants[t].clients[i].role;
                return &cfg->tenants[t];
            }
    return NULL;
}

/* Every token client is compared, over the whole WDD_TOKEN_MAX bytes (tokens are stored
 * zero-padded), and the match is selected with masks rather than branches: how long this takes
 * says nothing about which token, if any, matched, or how much of one did. */
const wdd_tenant *wdd_config_by_token(const wdd_config *cfg, const char *token, size_t len,
                                      wdd_role *role)
{
    if (!cfg || !token || len == 0 || len > WDD_TOKEN_MAX)
        return NULL;
    uint8_t padded[WDD_TOKEN_MAX] = {0};
    memcpy(padded, token, len);
    size_t hit_t = 0, hit_c = 0, found = 0;
    for (size_t t = 0; t < cfg->ntenants; t++)
        for (size_t i = 0; i < cfg->tenants[t].nclients; i++) {
            const wdd_client *cl = &cfg->tenants[t].clients[i];
            size_t same = (size_t)wd_ct_equal(cl->token, padded, WDD_TOKEN_MAX);
            size_t m = -(same & (size_t)(cl->token_len == len) & (size_t)(cl->token_len != 0));
            hit_t = (hit_t & ~m) | (t & m);
            hit_c = (hit_c & ~m) | (i & m);
            found |= m;
        }
    wd_wipe(padded, sizeof(padded));
    if (!found)
        return NULL;
    const wdd_tenant *tenant = &cfg->tenants[hit_t];
    if (role)
        *role = tenant->clients[hit_c].role;
    return tenant;
}

const char *wdd_role_name(wdd_role role)
{
    return role >= WDD_ROLE_READER && role <= WDD_ROLE_ADMIN ? role_names[role] : "?";
}
