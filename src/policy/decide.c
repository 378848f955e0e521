/* decide.c: one request -> one decision. The hot path: no allocation for ordinary requests,
 * no locks, nothing written outside the caller's stack. */
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"
#include "util/error.h"
#include "util/path.h"

/* The best allow and the best deny seen so far. */
typedef struct {
    uint32_t allow, deny;
    uint64_t allow_spec, deny_spec;
} contest;

static void contest_init(contest *c)
{
    *c = (contest){WD_NO_RULE, WD_NO_RULE, 0, 0};
}

static void consider(contest *c, wd_effect effect, uint32_t rule, uint64_t spec)
{
    if (effect == WD_DENY) {
        if (c->deny == WD_NO_RULE || spec > c->deny_spec)
            c->deny = rule, c->deny_spec = spec;
    } else if (c->allow == WD_NO_RULE || spec > c->allow_spec) {
        c->allow = rule, c->allow_spec = spec;
    }
}

/* Most specific wins; on a tie deny wins; nothing matched: default deny. */
static void settle(const wd_policy *p, const contest *c, wd_decision *out)
{
    const wd_rule *allow = c->allow == WD_NO_RULE ? NULL : &p->rules[c->allow].pub;
    const wd_rule *deny = c->deny == WD_NO_RULE ? NULL : &p->rules[c->deny].pub;
    if (!allow && !deny) {
        *out = (wd_decision){WD_DENY, WD_REASON_NO_RULE, NULL, NULL};
    } else if (deny && (!allow || c->deny_spec >= c->allow_spec)) {
        wd_reason why = allow && c->deny_spec == c->allow_spec ? WD_REASON_TIE : WD_REASON_RULE;
        *out = (wd_decision){WD_DENY, why, deny, allow};
    } else {
        *out = (wd_decision){WD_ALLOW, WD_REASON_RULE, allow, deny};
    }
}

/* ---- storage: simulate every live state of the path trie at once ------------------------ */

enum { INLINE_STATES = 32 };

typedef struct {
    uint32_t *items;
    size_t count, cap;
    uint32_t inline_items[INLINE_STATES];
    uint64_t *seen; /* a bitmap over all nodes, once the set outgrows linear search */
    size_t nodes;
    bool oom;
} state_set;

static void set_init(state_set *s, size_t nodes)
{
    s->items = s->inline_items;
    s->count = 0;
    s->cap = INLINE_STATES;
    s->seen = NULL;
    s->nodes = nodes;
    s->oom = false;
}

static void set_clear(state_set *s)
{
    if (s->seen)
        for (size_t i = 0; i < s->count; i++)
            s->seen[s->items[i] / 64] &= ~(1ull << (s->items[i] % 64));
    s->count = 0;
}

static void set_free(state_set *s)
{
    if (s->items != s->inline_items)
        free(s->items);
    free(s->seen);
}

static void set_add(state_set *s, uint32_t node)
{
    if (s->seen) {
        if (s->seen[node / 64] & (1ull << (node % 64)))
            return;
    } else {
        for (size_t i = 0; i < s->count; i++)
            if (s->items[i] == node)
                return;
    }
    if (s->count == s->cap) {
        /* Only hostile or very glob-heavy policies get here. */
        size_t cap = s->cap * 2;
        uint32_t *items = s->items == s->inline_items ? malloc(cap * sizeof(*items))
                                                      : realloc(s->items, cap * sizeof(*items));
        if (!s->seen)
            s->seen = calloc((s->nodes + 63) / 64, sizeof(*s->seen));
        if (!items || !s->seen) {
            if (items && items != s->items)
                free(items);
            s->oom = true;
            return;
        }
        if (s->items == s->inline_items)
            memcpy(items, s->inline_items, sizeof(s->inline_items));
        s->items = items;
        s->cap = cap;
        for (size_t i = 0; i < s->count; i++)
            s->seen[s->items[i] / 64] |= 1ull << (s->items[i] % 64);
    }
    if (s->seen)
        s->seen[node / 64] |= 1ull << (node % 64);
    s->items[s->count++] = node;
}

/* A node and the "**" nodes hanging below it, which match zero segments. */
static void set_add_closure(state_set *s, const wd_fs_node *nodes, uint32_t node)
{
    set_add(s, node);
    while (nodes[node].star) {
        node = nodes[node].star;
        set_add(s, node);
    }
}

static bool glob_match(const wd_fs_glob *g, const char *seg, size_t len)
{
    return len >= (size_t)g->plen + g->slen && !memcmp(seg, g->prefix, g->plen) &&
           !memcmp(seg + len - g->slen, g->suffix, g->slen);
}

static int decide_storage(const wd_policy *p, const wd_request *req, wd_decision *out)
{
    int bit = wd_access_index(req->access);
    if (bit < 0)
        return wd_fail(WD_EINVAL, "a storage request names exactly one access, not 0x%x",
                       req->access);
    if (!req->path)
        return wd_fail(WD_EINVAL, "a storage request needs a path");
    char norm[WD_PATH_MAX];
    bool escapes;
    if (wd_path_normalize(req->path, norm, sizeof(norm), &escapes) != 0)
        return wd_fail(WD_EINVAL, "path must be absolute and shorter than %d bytes", WD_PATH_MAX);
    if (escapes) {
        *out = (wd_decision){WD_DENY, WD_REASON_ESCAPES_ROOT, NULL, NULL};
        return 0;
    }

    const wd_fs_node *nodes = p->fs.nodes;
    state_set sets[2];
    set_init(&sets[0], p->fs.count);
    set_init(&sets[1], p->fs.count);
    state_set *cur = &sets[0], *next = &sets[1];
    set_add_closure(cur, nodes, 0);

    const char *s = norm;
    while (*s && cur->count) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        const char *seg = s;
        while (*s && *s != '/')
            s++;
        size_t len = (size_t)(s - seg);
        set_clear(next);
        for (size_t i = 0; i < cur->count; i++) {
            uint32_t id = cur->items[i], child;
            const wd_fs_node *n = &nodes[id];
            if (n->globstar)
                set_add(next, id); /* "**" absorbs this segment and may absorb more */
            if (wd_strmap_get(&p->fs.literals, id, seg, len, &child))
                set_add_closure(next, nodes, child);
            for (uint32_t g = n->glob_head; g; g = p->fs.globs[g - 1].next)
                if (glob_match(&p->fs.globs[g - 1], seg, len))
                    set_add_closure(next, nodes, p->fs.globs[g - 1].node);
        }
        state_set *t = cur;
        cur = next;
        next = t;
    }

    contest c;
    contest_init(&c);
    for (size_t i = 0; i < cur->count; i++) {
        const wd_fs_node *n = &nodes[cur->items[i]];
        if (!n->terminal)
            continue;
        if (n->allow[bit] != WD_NO_RULE)
            consider(&c, WD_ALLOW, n->allow[bit], n->spec);
        if (n->deny[bit] != WD_NO_RULE)
            consider(&c, WD_DENY, n->deny[bit], n->spec);
    }
    bool oom = sets[0].oom || sets[1].oom;
    set_free(&sets[0]);
    set_free(&sets[1]);
    if (oom) {
        *out = (wd_decision){WD_DENY, WD_REASON_NO_RULE, NULL, NULL};
        return wd_fail(WD_ENOMEM, "out of memory deciding %s", req->path);
    }
    settle(p, &c, out);
    return 0;
}

/* ---- network ---------------------------------------------------------------------------- */

/* Host specificity on one scale: "*" 1, IP prefixes 2..130, "*.suffix" 2..128 by labels,
 * exact names above all. Shifted to leave room for the rule's port/scheme restriction. */
enum { SPEC_ANY = 1, SPEC_EXACT_NAME = 1000 };

static bool restrictions_match(const wd_rule *r, const char *scheme, unsigned port)
{
    if (r->scheme && (!scheme || strcmp(r->scheme, scheme) != 0))
        return false;
    if (r->port_count) {
        if (!port)
            return false;
        for (size_t i = 0; i < r->port_count; i++)
            if (r->ports[i] == port)
                return true;
        return false;
    }
    return true;
}

static void consider_range(const wd_policy *p, contest *c, wd_rule_range range, uint64_t host_spec,
                           const char *scheme, unsigned port)
{
    for (uint32_t k = range.first; k < range.first + range.count; k++) {
        const wd_rule_int *r = &p->rules[p->net.order[k]];
        if (restrictions_match(&r->pub, scheme, port))
            consider(c, r->pub.effect, p->net.order[k], host_spec << 2 | r->restriction);
    }
}

static int decide_network(const wd_policy *p, const wd_request *req, wd_decision *out)
{
    if (!req->host)
        return wd_fail(WD_EINVAL, "a network request needs a host");
    size_t hlen = strnlen(req->host, WD_HOST_NAME_MAX + 64);
    char scheme[WD_SCHEME_MAX + 1] = "";
    if (req->scheme) {
        size_t n = strnlen(req->scheme, WD_SCHEME_MAX + 1);
        if (n == 0 || n > WD_SCHEME_MAX)
            return wd_fail(WD_EINVAL, "bad scheme in network request");
        for (size_t i = 0; i < n; i++) {
            char ch = req->scheme[i];
            if (ch >= 'A' && ch <= 'Z')
                ch = (char)(ch - 'A' + 'a');
            bool ok = (ch >= 'a' && ch <= 'z') ||
                      (i > 0 && ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.'));
            if (!ok)
                return wd_fail(WD_EINVAL, "bad scheme in network request");
            scheme[i] = ch;
        }
        scheme[n] = '\0';
    }
    if (req->port > 65535)
        return wd_fail(WD_EINVAL, "port %u out of range", req->port);
    unsigned port = req->port ? req->port : wd_scheme_default_port(scheme);
    const char *sch = scheme[0] ? scheme : NULL;

    contest c;
    contest_init(&c);
    consider_range(p, &c, p->net.any, SPEC_ANY, sch, port);

    wd_ip ip;
    const char *why;
    if (wd_ip_parse(req->host, hlen, &ip, &why)) {
        int fam = ip.family == 4 ? 0 : 1;
        unsigned bits = ip.family == 4 ? 32 : 128;
        const wd_ip_node *nodes = p->net.ip[fam];
        uint32_t node = 0;
        consider_range(p, &c, nodes[0].rules, 2, sch, port);
        for (unsigned i = 0; i < bits; i++) {
            node = nodes[node].child[(ip.addr[i / 8] >> (7 - i % 8)) & 1];
            if (!node)
                break;
            consider_range(p, &c, nodes[node].rules, i + 3, sch, port);
        }
        settle(p, &c, out);
        return 0;
    }
    char name[WD_HOST_NAME_MAX + 1];
    if (!wd_hostname_normalize(req->host, hlen, name, sizeof(name), &why))
        return wd_fail(WD_EINVAL, "bad host in network request: %s", why);

    /* Walk the labels from the right: com -> example -> api. */
    size_t end = strlen(name), labels = 1;
    for (size_t i = 0; i < end; i++)
        labels += name[i] == '.';
    uint32_t node = 0;
    size_t depth = 0;
    while (end > 0) {
        size_t start = end;
        while (start > 0 && name[start - 1] != '.')
            start--;
        if (!wd_strmap_get(&p->net.labels, node, name + start, end - start, &node))
            break;
        depth++;
        const wd_host_node *h = &p->net.hosts[node];
        if (depth < labels)
            consider_range(p, &c, h->wild, depth + 1, sch, port);
        else
            consider_range(p, &c, h->exact, SPEC_EXACT_NAME, sch, port);
        end = start ? start - 1 : 0;
    }
    settle(p, &c, out);
    return 0;
}

/* ---- environment ------------------------------------------------------------------------ */

static int decide_environment(const wd_policy *p, const wd_request *req, wd_decision *out)
{
    if (!req->key || !req->key[0])
        return wd_fail(WD_EINVAL, "an environment request needs a key");
    contest c;
    contest_init(&c);
    uint32_t id;
    if (wd_strmap_get(&p->env.keys, 0, req->key, strlen(req->key), &id)) {
        if (p->env.entries[id].allow != WD_NO_RULE)
            consider(&c, WD_ALLOW, p->env.entries[id].allow, 1);
        if (p->env.entries[id].deny != WD_NO_RULE)
            consider(&c, WD_DENY, p->env.entries[id].deny, 1);
    }
    settle(p, &c, out);
    return 0;
}

int wd_policy_decide(const wd_policy *p, const wd_request *req, wd_decision *out)
{
    if (!out)
        return wd_fail(WD_EINVAL, "no decision to fill");
    /* Whatever happens below, a caller that ignores the return code still sees a denial. */
    *out = (wd_decision){WD_DENY, WD_REASON_NO_RULE, NULL, NULL};
    if (!p || !req)
        return wd_fail(WD_EINVAL, "no policy or no request");
    switch (req->kind) {
    case WD_REQ_STORAGE:
        return decide_storage(p, req, out);
    case WD_REQ_NETWORK:
        return decide_network(p, req, out);
    case WD_REQ_ENVIRONMENT:
        return decide_environment(p, req, out);
    default:
        return wd_fail(WD_EINVAL, "unknown request kind %d", (int)req->kind);
    }
}
