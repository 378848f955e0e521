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
    uint32_t id, flags;
} state;

typedef struct {
    state *items;
    size_t count, cap;
    state inline_items[INLINE_STATES];
    uint64_t *seen; /* a bitmap over all nodes, once the set outgrows linear search */
    size_t nodes;
    const wd_fs_term *terms;
    bool oom;
} state_set;

static void set_init(state_set *s, const wd_fs_index *fs)
{
    s->terms = fs->terms;
    size_t nodes = fs->count;
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
            s->seen[s->items[i].id / 64] &= ~(1ull << (s->items[i].id % 64));
    s->count = 0;
}

static void set_free(state_set *s)
{
    if (s->items != s->inline_items)
        free(s->items);
    free(s->seen);
}

static void set_add(state_set *s, uint32_t node, uint32_t flags)
{
    if (s->seen) {
        if (s->seen[node / 64] & (1ull << (node % 64)))
            return;
    } else {
        for (size_t i = 0; i < s->count; i++)
            if (s->items[i].id == node)
                return;
    }
    if (s->count == s->cap) {
        /* Only hostile or very glob-heavy policies get here. */
        size_t cap = s->cap * 2;
        state *items = s->items == s->inline_items ? malloc(cap * sizeof(*items))
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
            s->seen[s->items[i].id / 64] |= 1ull << (s->items[i].id % 64);
    }
    if (s->seen)
        s->seen[node / 64] |= 1ull << (node % 64);
    s->items[s->count++] = (state){node, flags};
    if (flags & WD_FS_TERMINAL) /* its verdicts may be read at the end: fetch them now */
        __builtin_prefetch(&s->terms[node]);
}

/* A node and the "**" nodes hanging below it, which match zero segments. */
static void set_add_closure(state_set *s, const wd_fs_node *nodes, uint32_t node, uint32_t flags)
{
    set_add(s, node, flags);
    while (flags & WD_FS_STAR) {
        node = nodes[node].star;
        flags = nodes[node].flags;
        set_add(s, node, flags);
    }
}

static bool glob_match(const wd_fs_glob *g, const char *seg, size_t len)
{
    return len >= (size_t)g->plen + g->slen && !memcmp(seg, g->prefix, g->plen) &&
           !memcmp(seg + len - g->slen, g->suffix, g->slen);
}

/* One segment of a request path, with the rolling hash of the path up to and including it. */
typedef struct {
    const char *p;
    size_t len;
    uint64_t prefix;
} path_seg;

enum { FAST_SEGMENTS = 64 };

/* Splits path into segments in one pass, computing each prefix's rolling hash and asking the
 * CPU to fetch the slot it will be looked up in. Returns the segment count, -1 when the path
 * has a "." or ".." segment anywhere (the lexical normaliser must run first), or -2 when it is
 * deeper than FAST_SEGMENTS and has none. Every segment is checked for dots, also past the
 * array: a deep path must never skip normalisation (that would let "x/../secret" past a
 * deny rule, or "../" past the root). */
static int scan_path(const wd_policy *p, const char *path, size_t len, path_seg *segs)
{
    const char *s = path, *end = path + len;
    uint64_t h = WD_FS_ROOT_HASH;
    int n = 0;
    while (s < end) {
        if (*s == '/') {
            s++;
            continue;
        }
        const char *slash = memchr(s, '/', (size_t)(end - s));
        if (!slash)
            slash = end;
        size_t l = (size_t)(slash - s);
        if (s[0] == '.' && (l == 1 || (l == 2 && s[1] == '.')))
            return -1;
        if (n < FAST_SEGMENTS) {
            h = wd_hash_roll(h, s, l);
            wd_strmap_prefetch(&p->fs.literals, h);
            segs[n] = (path_seg){s, l, h};
        }
        n++;
        s = slash;
    }
    return n > FAST_SEGMENTS ? -2 : n;
}

/* Streams the segments of a path too deep for scan_path's array. */
static int next_segment(const char **cursor, path_seg *seg)
{
    const char *s = *cursor;
    while (*s == '/')
        s++;
    if (!*s)
        return 0;
    const char *e = s;
    while (*e && *e != '/')
        e++;
    seg->prefix = wd_hash_roll(seg->prefix, s, (size_t)(e - s));
    seg->p = s;
    seg->len = (size_t)(e - s);
    *cursor = e;
    return 1;
}

/* Advances the live states over one segment. */
static void step(const wd_policy *p, const state_set *cur, state_set *next, const path_seg *sg)
{
    const wd_fs_node *nodes = p->fs.nodes;
    set_clear(next);
    for (size_t i = 0; i < cur->count; i++) {
        uint32_t id = cur->items[i].id, f = cur->items[i].flags;
        if (f & WD_FS_GLOBSTAR)
            set_add(next, id, f); /* "**" absorbs this segment and may absorb more */
        if (f & WD_FS_LITERALS) {
            /* A spine node is the one whose path is exactly the request's so far, so its
             * children sit under the rolling hash of the request's prefix. */
            uint64_t h = f & WD_FS_SPINE ? sg->prefix : wd_strmap_hash(id, sg->p, sg->len);
            const wd_strmap_slot *slot = wd_strmap_find(&p->fs.literals, h, id, sg->p, sg->len);
            if (slot)
                set_add_closure(next, nodes, slot->value, slot->tag & ~WD_STRMAP_USED);
        }
        if (f & WD_FS_GLOBS)
            for (uint32_t g = nodes[id].glob_head; g; g = p->fs.globs[g - 1].next)
                if (glob_match(&p->fs.globs[g - 1], sg->p, sg->len)) {
                    uint32_t child = p->fs.globs[g - 1].node;
                    set_add_closure(next, nodes, child, nodes[child].flags);
                }
    }
}

static int decide_storage(const wd_policy *p, const wd_request *req, wd_decision *out)
{
    int bit = wd_access_index(req->access);
    if (bit < 0)
        return wd_fail(WD_EINVAL, "a storage request names exactly one access, not 0x%x",
                       req->access);
    if (!req->path)
        return wd_fail(WD_EINVAL, "a storage request needs a path");
    size_t plen = strnlen(req->path, WD_PATH_MAX);
    if (plen == 0 || plen >= WD_PATH_MAX || req->path[0] != '/')
        return wd_fail(WD_EINVAL, "path must be absolute and shorter than %d bytes", WD_PATH_MAX);
    const char *path = req->path;
    char norm[WD_PATH_MAX];
    path_seg segs[FAST_SEGMENTS];
    int n = scan_path(p, path, plen, segs);
    if (n == -1) {
        bool escapes;
        if (wd_path_normalize(path, norm, sizeof(norm), &escapes) != 0)
            return wd_fail(WD_EINVAL, "path must be absolute and shorter than %d bytes",
                           WD_PATH_MAX);
        if (escapes) {
            *out = (wd_decision){WD_DENY, WD_REASON_ESCAPES_ROOT, NULL, NULL};
            return 0;
        }
        path = norm;
        n = scan_path(p, path, strlen(path), segs);
    }

    /* Fast path: while the walk is one state on the literal spine with nothing else hanging
     * off it ('*' children, "**"), follow the spine directly; the general walk below takes
     * over from the first node that has more. */
    uint32_t id = 0, f = p->fs.nodes[0].flags;
    int i = 0;
    const uint32_t plain = WD_FS_SPINE | WD_FS_LITERALS;
    const uint32_t more = WD_FS_GLOBSTAR | WD_FS_GLOBS | WD_FS_STAR;
    bool dead = false;
    for (; i < n && (f & plain) == plain && !(f & more); i++) {
        const wd_strmap_slot *slot =
            wd_strmap_find(&p->fs.literals, segs[i].prefix, id, segs[i].p, segs[i].len);
        if (!slot) {
            dead = true; /* no transition at all: nothing can match */
            break;
        }
        id = slot->value;
        f = slot->tag & ~WD_STRMAP_USED;
    }

    state_set sets[2];
    set_init(&sets[0], &p->fs);
    set_init(&sets[1], &p->fs);
    state_set *cur = &sets[0], *next = &sets[1];
    if (!dead)
        set_add_closure(cur, p->fs.nodes, id, f);
    if (n >= 0) {
        for (; i < n && cur->count; i++) {
            step(p, cur, next, &segs[i]);
            state_set *t = cur;
            cur = next;
            next = t;
        }
    } else { /* deeper than FAST_SEGMENTS: the same walk, one segment at a time */
        path_seg sg = {NULL, 0, WD_FS_ROOT_HASH};
        const char *c = path;
        while (cur->count && next_segment(&c, &sg)) {
            step(p, cur, next, &sg);
            state_set *t = cur;
            cur = next;
            next = t;
        }
    }

    contest c;
    contest_init(&c);
    for (size_t k = 0; k < cur->count; k++) {
        if (!(cur->items[k].flags & WD_FS_TERMINAL))
            continue;
        const wd_fs_term *t = &p->fs.terms[cur->items[k].id];
        if (t->allow[bit] != WD_NO_RULE)
            consider(&c, WD_ALLOW, t->allow[bit], t->spec);
        if (t->deny[bit] != WD_NO_RULE)
            consider(&c, WD_DENY, t->deny[bit], t->spec);
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

    /* Walk the labels from the right: com -> example -> api. Every level's slot is known
     * from the name alone (rolling hash), so fetch them all before walking. */
    size_t end = strlen(name), labels = 1;
    for (size_t i = 0; i < end; i++)
        labels += name[i] == '.';
    uint64_t h = WD_HOST_ROOT_HASH;
    for (size_t e = end; e > 0;) {
        size_t start = e;
        while (start > 0 && name[start - 1] != '.')
            start--;
        h = wd_hash_roll(h, name + start, e - start);
        wd_strmap_prefetch(&p->net.labels, h);
        e = start ? start - 1 : 0;
    }
    uint32_t node = 0;
    size_t depth = 0;
    h = WD_HOST_ROOT_HASH;
    while (end > 0) {
        size_t start = end;
        while (start > 0 && name[start - 1] != '.')
            start--;
        h = wd_hash_roll(h, name + start, end - start);
        if (!wd_strmap_get_hashed(&p->net.labels, h, node, name + start, end - start, &node))
            break;
        depth++;
        const wd_host_node *hn = &p->net.hosts[node];
        if (depth < labels)
            consider_range(p, &c, hn->wild, depth + 1, sch, port);
        else
            consider_range(p, &c, hn->exact, SPEC_EXACT_NAME, sch, port);
        end = start ? start - 1 : 0;
    }
    settle(p, &c, out);
    return 0;
}

/* ---- environment and tools -------------------------------------------------------------- */

/* An exact name outranks the "*" rules (tools only). */
enum { SPEC_ANY_NAME = 1, SPEC_NAME = 2 };

static void consider_entry(contest *c, const wd_name_entry *e, uint64_t spec)
{
    if (e->allow != WD_NO_RULE)
        consider(c, WD_ALLOW, e->allow, spec);
    if (e->deny != WD_NO_RULE)
        consider(c, WD_DENY, e->deny, spec);
}

static void decide_name(const wd_policy *p, const wd_name_index *ix, const char *name,
                        wd_decision *out)
{
    contest c;
    contest_init(&c);
    consider_entry(&c, &ix->any, SPEC_ANY_NAME);
    uint32_t id;
    if (wd_strmap_get(&ix->names, 0, name, strlen(name), &id))
        consider_entry(&c, &ix->entries[id], SPEC_NAME);
    settle(p, &c, out);
}

static int decide_environment(const wd_policy *p, const wd_request *req, wd_decision *out)
{
    if (!req->key || !req->key[0])
        return wd_fail(WD_EINVAL, "an environment request needs a key");
    decide_name(p, &p->env, req->key, out);
    return 0;
}

/* A name no rule could be written for is refused, not decided: "*" must not let through what
 * the policy cannot even name. */
static int decide_tool(const wd_policy *p, const wd_request *req, wd_decision *out)
{
    if (!req->tool)
        return wd_fail(WD_EINVAL, "a tool request needs a tool name");
    size_t len = strlen(req->tool);
    long bad = wd_tool_name_check(req->tool, len);
    if (bad >= 0)
        return wd_fail(WD_EINVAL, "%s",
                       len == 0             ? "a tool request needs a tool name"
                       : (size_t)bad == len ? "tool name is longer than 128 bytes"
                                            : "tool name has a character outside [A-Za-z0-9_.-/]");
    decide_name(p, &p->tools, req->tool, out);
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
    case WD_REQ_TOOL:
        return decide_tool(p, req, out);
    default:
        return wd_fail(WD_EINVAL, "unknown request kind %d", (int)req->kind);
    }
}
