/* config.c: wardend's configuration file (config.h; docs/config.md is the reference): the walk
 * of its top level (version, listen, limits, runner). The tenants are read in config_tenants.c,
 * the checks of values every section shares are config_value.c's; buffers and files are loaded
 * in config_load.c, which calls down into this walk.
 *
 * The file says who may ask the daemon what, for which tenant, and where each tenant keeps its
 * state, so it is read like every other strict format in warden: every key known, every value
 * checked, every problem reported with its place and a WD-C id, and one error fails the load. */
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "daemon/config_int.h"
#include "daemon/config_tenants.h"
#include "daemon/config_value.h"
#include "policy/netaddr.h"
#include "util/ascii.h"
#include "util/path.h"
#include "util/units.h"

/* ---- version, listen, limits, runner ------------------------------------------------------ */

static void version_field(parser *p, const wd_yaml_node *root)
{
    const wd_yaml_node *v = wd_yaml_get(root, "version");
    if (!v) {
        ERR(p, root, WDD_C_MISSING, "version is missing (this wardend reads version: 1)");
        return;
    }
    if (!wdd_config_text(p, v, "version"))
        return;
    if (!wdd_config_is_word(v, "1")) {
        char shown[80];
        ERR(p, v, WDD_C_VERSION, "version %s is not supported (this wardend reads version: 1)",
            wd_yaml_shown(v, shown, sizeof(shown)));
    }
}

static void mode_field(parser *p, const wd_yaml_node *v)
{
    wdd_config *c = &p->box->cfg;
    if (!wdd_config_text(p, v, "listen.mode"))
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
    if (!wdd_config_text(p, v, "listen.group"))
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
    p->box->cfg.unix_group = wdd_config_cdup(p, v->str, v->len);
}

/* "127.x.y.z:PORT" or "[::1]:PORT": a literal, never a name a resolver could turn into
 * something that is not loopback. */
static void tcp_field(parser *p, const wd_yaml_node *v)
{
    wdd_config *c = &p->box->cfg;
    if (!wdd_config_text(p, v, "listen.tcp"))
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
    c->tcp_host = wdd_config_cdup(p, canon, strlen(canon));
    c->tcp_port = pn;
}

static void listen_section(parser *p, const wd_yaml_node *root)
{
    wdd_config *c = &p->box->cfg;
    const wd_yaml_node *l = wd_yaml_get(root, "listen"), *v;
    if (!wdd_config_required_map(p, root, l, "listen"))
        return;
    static const char *const keys[] = {"unix", "mode", "group", "tcp", NULL};
    wd_ycheck_keys(&p->ck, l, keys, "listen");
    if (!(v = wd_yaml_get(l, "unix"))) {
        ERR(p, l, WDD_C_MISSING, "listen.unix is missing");
    } else if ((c->unix_path = wdd_config_path_value(p, v, "listen.unix"))) {
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
    /* The head is examined while it still sits unread in the socket: it must fit there. */
    {"max_header", L_BYTES, 1024, UINT64_C(64) << 10, "1KiB to 64KiB"},
    {"timeout", L_SECONDS, 1000, 3600000, "1s to 1h, whole seconds"},
    {"max_connections", L_COUNT, 1, 65536, "1 to 65536"},
    {"max_batch", L_COUNT, 1, 10000000, "1 to 10000000"},
    {"invoke_timeout", L_MS, 1000, 3600000, "1s to 1h"},
    {"max_connections_per_peer", L_COUNT, 1, 65536, "1 to 65536"},
    {"head_timeout", L_MS, 100, 3600000, "100ms to 1h"},
};

static bool limit_value(parser *p, const wd_yaml_node *v, const limit_def *d, uint64_t *out)
{
    char what[40];
    snprintf(what, sizeof(what), "limits.%s", d->key);
    if (!wdd_config_text(p, v, what))
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
    static const char *const keys[] = {"max_body",
                                       "max_header",
                                       "timeout",
                                       "max_connections",
                                       "max_batch",
                                       "invoke_timeout",
                                       "max_connections_per_peer",
                                       "head_timeout",
                                       NULL};
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
        case 5:
            c->invoke_timeout_ms = (unsigned)x;
            break;
        case 6:
            c->max_connections_per_peer = (unsigned)x;
            break;
        default:
            c->head_timeout_ms = x;
        }
    }
}

void wdd_config_parse_tree(parser *p, const wd_yaml_node *root)
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
        c->runner = wdd_config_path_value(p, v, "runner");
    wdd_config_tenants_section(p, root);
    if (p->tcp && !p->token_clients)
        ERR(p, p->tcp, WDD_C_TCP_NO_TOKEN,
            "listen.tcp is set but no client has a token_file: nobody could use it");
}
