/* compile.c: rules -> lookup structures (policy_int.h describes them). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"
#include "util/error.h"
#include "util/path.h"

int wd_access_index(unsigned access)
{
    switch (access) {
    case WD_ACCESS_READ:
        return 0;
    case WD_ACCESS_WRITE:
        return 1;
    case WD_ACCESS_EXECUTE:
        return 2;
    case WD_ACCESS_CREATE:
        return 3;
    case WD_ACCESS_DELETE:
        return 4;
    default:
        return -1;
    }
}

/* Grows *items (of *cap elements of size elem) to hold one more; returns false on overflow or
 * out of memory. */
static bool reserve(void **items, size_t *cap, size_t count, size_t elem)
{
    if (count < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap > UINT32_MAX || ncap > SIZE_MAX / elem)
        return false;
    void *p = realloc(*items, ncap * elem);
    if (!p)
        return false;
    *items = p;
    *cap = ncap;
    return true;
}

/* ---- storage ---------------------------------------------------------------------------- */

static int fs_new_node(wd_fs_index *fs, uint32_t *id)
{
    if (fs->count == fs->cap) {
        size_t cap = fs->cap;
        if (!reserve((void **)&fs->nodes, &cap, fs->count, sizeof(*fs->nodes)))
            return wd_fail(WD_ENOMEM, "out of memory compiling a policy");
        wd_fs_term *t = realloc(fs->terms, cap * sizeof(*t));
        if (!t)
            return wd_fail(WD_ENOMEM, "out of memory compiling a policy");
        fs->terms = t;
        fs->cap = cap;
    }
    memset(&fs->nodes[fs->count], 0, sizeof(*fs->nodes));
    wd_fs_term *t = &fs->terms[fs->count];
    t->spec = 0;
    for (int i = 0; i < WD_ACCESS_BITS; i++)
        t->allow[i] = t->deny[i] = WD_NO_RULE;
    *id = (uint32_t)fs->count++;
    return 0;
}

static int fs_star_child(wd_fs_index *fs, uint32_t node, uint32_t *out)
{
    if (fs->nodes[node].star) {
        *out = fs->nodes[node].star;
        return 0;
    }
    int rc = fs_new_node(fs, out);
    if (rc)
        return rc;
    fs->nodes[*out].flags |= WD_FS_GLOBSTAR;
    fs->nodes[node].star = *out;
    fs->nodes[node].flags |= WD_FS_STAR;
    return 0;
}

static int fs_glob_child(wd_fs_index *fs, uint32_t node, const char *seg, size_t len, uint32_t *out)
{
    const char *star = memchr(seg, '*', len);
    size_t plen = (size_t)(star - seg), slen = len - plen - 1;
    for (uint32_t g = fs->nodes[node].glob_head; g; g = fs->globs[g - 1].next) {
        wd_fs_glob *e = &fs->globs[g - 1];
        if (e->plen == plen && e->slen == slen && !memcmp(e->prefix, seg, plen) &&
            !memcmp(e->suffix, star + 1, slen)) {
            *out = e->node;
            return 0;
        }
    }
    if (!reserve((void **)&fs->globs, &fs->glob_cap, fs->glob_count, sizeof(*fs->globs)))
        return wd_fail(WD_ENOMEM, "out of memory compiling a policy");
    int rc = fs_new_node(fs, out);
    if (rc)
        return rc;
    fs->globs[fs->glob_count] = (wd_fs_glob){
        *out, fs->nodes[node].glob_head, seg, star + 1, (uint16_t)plen, (uint16_t)slen};
    fs->nodes[node].glob_head = (uint32_t)++fs->glob_count;
    fs->nodes[node].flags |= WD_FS_GLOBS;
    return 0;
}

static int fs_insert(wd_fs_index *fs, const wd_rule_int *r, uint32_t index)
{
    const char *pat = r->pub.pattern;
    uint16_t starts[WD_PATH_MAX_SEGMENTS], lens[WD_PATH_MAX_SEGMENTS];
    int n = wd_path_split(pat, starts, lens, WD_PATH_MAX_SEGMENTS);
    if (n < 0)
        return wd_fail(WD_ERANGE, "a rule's pattern has more than %d segments",
                       WD_PATH_MAX_SEGMENTS);
    uint32_t node = 0, lit = 0, part = 0, bare = 0;
    bool wildcard = false;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        const char *seg = pat + starts[i];
        size_t len = lens[i];
        if (len == 2 && seg[0] == '*' && seg[1] == '*') {
            wildcard = true;
            rc = fs_star_child(fs, node, &node);
        } else if (memchr(seg, '*', len)) {
            wildcard = true;
            if (len == 1)
                bare++;
            else
                part++;
            rc = fs_glob_child(fs, node, seg, len, &node);
        } else {
            lit++;
            bool spine = fs->nodes[node].flags & WD_FS_SPINE;
            uint64_t h = spine ? wd_hash_roll(fs->nodes[node].prefix_hash, seg, len)
                               : wd_strmap_hash(node, seg, len);
            uint32_t child = (uint32_t)fs->count;
            rc = wd_strmap_put_hashed(&fs->literals, h, node, seg, len, &child);
            fs->nodes[node].flags |= WD_FS_LITERALS;
            if (!rc && child == fs->count) {
                uint32_t id;
                rc = fs_new_node(fs, &id);
                if (!rc && spine) {
                    fs->nodes[id].flags |= WD_FS_SPINE;
                    fs->nodes[id].prefix_hash = h;
                }
            }
            node = child;
        }
    }
    /* A path without wildcards grants itself and everything beneath it. */
    if (!rc && !wildcard)
        rc = fs_star_child(fs, node, &node);
    if (rc)
        return rc;
    fs->nodes[node].flags |= WD_FS_TERMINAL;
    wd_fs_term *t = &fs->terms[node];
    t->spec = WD_SPEC_STORAGE(lit, part, bare);
    uint32_t *slot = r->pub.effect == WD_ALLOW ? t->allow : t->deny;
    for (int b = 0; b < WD_ACCESS_BITS; b++)
        if ((r->pub.access & (1u << b)) && slot[b] == WD_NO_RULE)
            slot[b] = index;
    return 0;
}

/* ---- network ---------------------------------------------------------------------------- */

enum { LIST_EXACT, LIST_WILD, LIST_IP4, LIST_IP6, LIST_ANY };

typedef struct {
    uint32_t node;
    uint8_t list, restriction, effect;
    uint32_t rule;
} net_entry;

static int cmp_entry(const void *a, const void *b)
{
    const net_entry *x = a, *y = b;
    if (x->list != y->list)
        return x->list < y->list ? -1 : 1;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->restriction != y->restriction)
        return x->restriction > y->restriction ? -1 : 1; /* most restricted first */
    if (x->effect != y->effect)
        return x->effect < y->effect ? -1 : 1; /* WD_DENY (0) first */
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int host_new_node(wd_net_index *net, uint32_t *id)
{
    if (!reserve((void **)&net->hosts, &net->host_cap, net->host_count, sizeof(*net->hosts)))
        return wd_fail(WD_ENOMEM, "out of memory compiling a policy");
    memset(&net->hosts[net->host_count], 0, sizeof(*net->hosts));
    *id = (uint32_t)net->host_count++;
    return 0;
}

static int ip_new_node(wd_net_index *net, int fam, uint32_t *id)
{
    if (!reserve((void **)&net->ip[fam], &net->ip_cap[fam], net->ip_count[fam],
                 sizeof(*net->ip[fam])))
        return wd_fail(WD_ENOMEM, "out of memory compiling a policy");
    memset(&net->ip[fam][net->ip_count[fam]], 0, sizeof(**net->ip));
    *id = (uint32_t)net->ip_count[fam]++;
    return 0;
}

static int host_path(wd_net_index *net, const char *name, uint32_t *out)
{
    uint32_t node = 0;
    uint64_t h = WD_HOST_ROOT_HASH;
    size_t end = strlen(name);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && name[start - 1] != '.')
            start--;
        uint32_t child = (uint32_t)net->host_count;
        h = wd_hash_roll(h, name + start, end - start);
        int rc = wd_strmap_put_hashed(&net->labels, h, node, name + start, end - start, &child);
        if (rc)
            return rc;
        if (child == net->host_count && (rc = host_new_node(net, &child)) != 0)
            return rc;
        node = child;
        end = start ? start - 1 : 0;
    }
    *out = node;
    return 0;
}

static int ip_path(wd_net_index *net, const wd_ip *ip, unsigned prefix, uint32_t *out)
{
    int fam = ip->family == 4 ? 0 : 1;
    uint32_t node = 0;
    for (unsigned i = 0; i < prefix; i++) {
        int bit = (ip->addr[i / 8] >> (7 - i % 8)) & 1;
        uint32_t child = net->ip[fam][node].child[bit];
        if (!child) {
            int rc = ip_new_node(net, fam, &child);
            if (rc)
                return rc;
            net->ip[fam][node].child[bit] = child;
        }
        node = child;
    }
    *out = node;
    return 0;
}

/* The three roots: the host tree's and the two address tries'. */
static int net_roots(wd_net_index *net)
{
    uint32_t root;
    int rc = host_new_node(net, &root);
    if (!rc)
        rc = ip_new_node(net, 0, &root);
    if (!rc)
        rc = ip_new_node(net, 1, &root);
    return rc;
}

/* Places each network rule in the host tree or an address trie; one entry per rule in
 * entries, which has room for every rule. */
static int net_place(wd_policy *p, net_entry *entries, size_t *count)
{
    wd_net_index *net = &p->net;
    int rc = 0;
    size_t n = 0;
    for (size_t i = 0; i < p->rule_count && !rc; i++) {
        const wd_rule_int *r = &p->rules[i];
        if (r->pub.kind != WD_RULE_NETWORK)
            continue;
        net_entry e = {
            .list = LIST_ANY,
            .restriction = r->restriction,
            .effect = (uint8_t)r->pub.effect,
            .rule = (uint32_t)i,
        };
        if (r->host_kind == WD_HOST_NAME || r->host_kind == WD_HOST_WILDCARD) {
            e.list = r->host_kind == WD_HOST_NAME ? LIST_EXACT : LIST_WILD;
            rc = host_path(net, r->host_name, &e.node);
        } else if (r->host_kind == WD_HOST_IP || r->host_kind == 0) {
            e.list = r->ip.family == 4 ? LIST_IP4 : LIST_IP6;
            rc = ip_path(net, &r->ip, r->prefix, &e.node);
        }
        entries[n++] = e;
    }
    *count = n;
    return rc;
}

/* Sorts the entries into decision order and gives each node its range of that order. */
static int net_order(wd_net_index *net, net_entry *entries, size_t n)
{
    qsort(entries, n, sizeof(*entries), cmp_entry);
    net->order = malloc((n ? n : 1) * sizeof(*net->order));
    if (!net->order)
        return wd_fail(WD_ENOMEM, "out of memory compiling a policy");
    net->order_count = n;
    for (size_t i = 0; i < n; i++) {
        const net_entry *e = &entries[i];
        net->order[i] = e->rule;
        wd_rule_range *range = e->list == LIST_EXACT  ? &net->hosts[e->node].exact
                               : e->list == LIST_WILD ? &net->hosts[e->node].wild
                               : e->list == LIST_IP4  ? &net->ip[0][e->node].rules
                               : e->list == LIST_IP6  ? &net->ip[1][e->node].rules
                                                      : &net->any;
        if (range->count++ == 0)
            range->first = (uint32_t)i;
    }
    return 0;
}

static int net_compile(wd_policy *p)
{
    int rc = net_roots(&p->net);
    if (rc)
        return rc;
    net_entry *entries = malloc((p->rule_count ? p->rule_count : 1) * sizeof(*entries));
    if (!entries)
        return wd_fail(WD_ENOMEM, "out of memory compiling a policy");
    size_t n = 0;
    rc = net_place(p, entries, &n);
    if (!rc)
        rc = net_order(&p->net, entries, n);
    free(entries);
    return rc;
}

/* ---- environment and tools -------------------------------------------------------------- */

static void keep_first(wd_name_entry *e, wd_effect effect, uint32_t rule)
{
    uint32_t *slot = effect == WD_ALLOW ? &e->allow : &e->deny;
    if (*slot == WD_NO_RULE)
        *slot = rule;
}

/* One entry per distinct name among the rules of this kind; a tool rule for "*" goes to any. */
static int names_compile(wd_policy *p, wd_rule_kind kind, wd_name_index *ix)
{
    ix->any = (wd_name_entry){WD_NO_RULE, WD_NO_RULE};
    ix->entries = malloc((p->rule_count ? p->rule_count : 1) * sizeof(*ix->entries));
    if (!ix->entries)
        return wd_fail(WD_ENOMEM, "out of memory compiling a policy");
    for (size_t i = 0; i < p->rule_count; i++) {
        const wd_rule_int *r = &p->rules[i];
        if (r->pub.kind != kind)
            continue;
        const char *name = kind == WD_RULE_TOOL ? r->pub.tool : r->pub.key;
        if (kind == WD_RULE_TOOL && !strcmp(name, "*")) {
            keep_first(&ix->any, r->pub.effect, (uint32_t)i);
            continue;
        }
        uint32_t id = (uint32_t)ix->count;
        int rc = wd_strmap_put(&ix->names, 0, name, strlen(name), &id);
        if (rc)
            return rc;
        if (id == ix->count)
            ix->entries[ix->count++] = (wd_name_entry){WD_NO_RULE, WD_NO_RULE};
        keep_first(&ix->entries[id], r->pub.effect, (uint32_t)i);
    }
    return 0;
}

int wd_policy_compile(wd_policy *p)
{
    if (p->rule_count >= UINT32_MAX)
        return wd_fail(WD_ERANGE, "a policy of %zu rules is too large to compile", p->rule_count);
    uint32_t root;
    int rc = fs_new_node(&p->fs, &root);
    if (!rc) {
        p->fs.nodes[root].flags |= WD_FS_SPINE;
        p->fs.nodes[root].prefix_hash = WD_FS_ROOT_HASH;
    }
    for (size_t i = 0; i < p->rule_count && !rc; i++)
        if (p->rules[i].pub.kind == WD_RULE_STORAGE)
            rc = fs_insert(&p->fs, &p->rules[i], (uint32_t)i);
    /* Nodes are final now: mirror each node's flags into the slot that leads to it. */
    for (size_t i = 0; !rc && i < p->fs.literals.cap; i++) {
        wd_strmap_slot *slot = &p->fs.literals.slots[i];
        if (slot->tag)
            slot->tag = WD_STRMAP_USED | p->fs.nodes[slot->value].flags;
    }
    if (!rc)
        rc = net_compile(p);
    if (!rc)
        rc = names_compile(p, WD_RULE_ENVIRONMENT, &p->env);
    if (!rc)
        rc = names_compile(p, WD_RULE_TOOL, &p->tools);
    return rc;
}

void wd_policy_index_free(wd_policy *p)
{
    free(p->fs.nodes);
    free(p->fs.terms);
    free(p->fs.globs);
    wd_strmap_free(&p->fs.literals);
    free(p->net.hosts);
    wd_strmap_free(&p->net.labels);
    free(p->net.ip[0]);
    free(p->net.ip[1]);
    free(p->net.order);
    wd_strmap_free(&p->env.names);
    free(p->env.entries);
    wd_strmap_free(&p->tools.names);
    free(p->tools.entries);
}

size_t wd_policy_index_memory(const wd_policy *p)
{
    return p->fs.cap * (sizeof(wd_fs_node) + sizeof(wd_fs_term)) +
           p->fs.glob_cap * sizeof(wd_fs_glob) + wd_strmap_memory(&p->fs.literals) +
           p->net.host_cap * sizeof(wd_host_node) + wd_strmap_memory(&p->net.labels) +
           (p->net.ip_cap[0] + p->net.ip_cap[1]) * sizeof(wd_ip_node) +
           p->net.order_count * sizeof(uint32_t) + wd_strmap_memory(&p->env.names) +
           wd_strmap_memory(&p->tools.names) + 2 * p->rule_count * sizeof(wd_name_entry);
}
