/* policy_int.h (internal): the compiled policy and its rules.
 *
 * A policy is built in two steps: parse.c turns the YAML tree into rules (validating as it
 * goes), and compile.c turns the rules into three lookup structures whose cost per decision
 * does not grow with the number of rules:
 *   storage      a trie of path segments (literal edges in one hash map, '*' globs as a short
 *                list per node, '**' as one edge), matched by simulating all live states;
 *   network      a trie of reversed host labels ("com" -> "example" -> "api") with exact and
 *                "*.suffix" rules at each node, and a binary prefix trie per address family;
 *   environment  a hash map from key to its allow and deny rule;
 *   tools        the same for tool names, with the "*" rules kept aside.
 * Everything is immutable after wd_policy_load() returns. */
#ifndef WD_POLICY_POLICY_INT_H
#define WD_POLICY_POLICY_INT_H

#include "policy/netaddr.h"
#include "util/arena.h"
#include "util/strmap.h"
#include "warden/diag.h"
#include "warden/policy.h"

#define WD_ACCESS_ALL 0x1Fu
#define WD_ACCESS_BITS 5
#define WD_NO_RULE UINT32_MAX

typedef struct {
    wd_rule pub; /* first member: a wd_rule * handed out converts back */
    /* network */
    wd_host_kind host_kind; /* 0 for CIDR rules */
    const char *host_name;  /* names and wildcard suffixes, lowercased */
    wd_ip ip;               /* IP hosts and CIDR ranges */
    unsigned prefix;        /* CIDR prefix; full length for an IP host */
    uint8_t restriction;    /* (ports given) + (scheme given): ranks rules on the same host */
} wd_rule_int;

/* ---- storage ---- */
/* Nodes reached from the root through literal segments only form the "spine": their literal
 * children are hashed by a rolling hash of the whole path (WD_FS_ROOT_HASH, then
 * wd_hash_roll per segment), which a decision computes from the request and prefetches for
 * every depth at once. Other nodes' children are hashed by (parent, segment). */
#define WD_FS_ROOT_HASH 0x57415244454e2f2full
#define WD_HOST_ROOT_HASH 0x5741524445e4e2e2ull

/* Node flags. Bit 0 stays clear: the same bits are copied into the node's strmap slot, whose
 * tag needs bit 0 (WD_STRMAP_USED), so a walk that finds a child has its flags already. */
enum {
    WD_FS_GLOBSTAR = 1u << 1, /* reached by "**": absorbs any number of segments */
    WD_FS_TERMINAL = 1u << 2, /* a pattern ends here (its wd_fs_term is filled in) */
    WD_FS_SPINE = 1u << 3,    /* reached from the root through literal segments only */
    WD_FS_LITERALS = 1u << 4, /* has literal children */
    WD_FS_STAR = 1u << 5,     /* has a "**" child */
    WD_FS_GLOBS = 1u << 6,    /* has '*' children */
};

/* What the walk reads: kept small so more of the trie stays in cache. */
typedef struct {
    uint64_t prefix_hash; /* spine nodes: rolling hash of their path; 0 otherwise */
    uint32_t star;        /* child reached by a "**" segment (when WD_FS_STAR) */
    uint32_t glob_head;   /* first glob edge + 1 (when WD_FS_GLOBS) */
    uint32_t flags;       /* WD_FS_* */
} wd_fs_node;

typedef struct {   /* read only for the final candidates */
    uint64_t spec; /* specificity of the pattern ending here */
    uint32_t allow[WD_ACCESS_BITS], deny[WD_ACCESS_BITS]; /* first rule per access, or WD_NO_RULE */
} wd_fs_term;

typedef struct {
    uint32_t node, next; /* next: following glob edge of the same parent + 1, 0 when last */
    const char *prefix, *suffix;
    uint16_t plen, slen;
} wd_fs_glob;

typedef struct {
    wd_fs_node *nodes;
    wd_fs_term *terms; /* parallel to nodes */
    size_t count, cap;
    wd_fs_glob *globs;
    size_t glob_count, glob_cap;
    wd_strmap literals; /* literal edges: (parent node, segment) -> child node */
} wd_fs_index;

/* ---- network ---- */
typedef struct {
    uint32_t first, count; /* a range of wd_net_index.order */
} wd_rule_range;

typedef struct {
    wd_rule_range exact, wild;
} wd_host_node;

typedef struct {
    uint32_t child[2];
    wd_rule_range rules;
} wd_ip_node;

typedef struct {
    wd_host_node *hosts; /* node 0 is the root (the empty suffix) */
    size_t host_count, host_cap;
    wd_strmap labels;  /* (parent node, label) -> child node */
    wd_ip_node *ip[2]; /* [0] IPv4, [1] IPv6; node 0 is the root (/0) */
    size_t ip_count[2], ip_cap[2];
    wd_rule_range any;
    uint32_t *order; /* rule indices grouped by node and list, best first */
    size_t order_count;
} wd_net_index;

/* ---- environment and tools: exact names ---- */
typedef struct {
    uint32_t allow, deny; /* first rule of each effect, or WD_NO_RULE */
} wd_name_entry;

typedef struct {
    wd_strmap names; /* name -> entry index */
    wd_name_entry *entries;
    size_t count;
    wd_name_entry any; /* tools only: the "*" rules, less specific than any name */
} wd_name_index;

struct wd_policy {
    int refs; /* atomic: the cache and its callers share policies */
    wd_arena arena;
    const char *file;
    const char *version;
    const char *description;
    const char *data_dir;
    wd_rule_int *rules;
    size_t rule_count;
    wd_resources resources;
    wd_fs_index fs;
    wd_net_index net;
    wd_name_index env;
    wd_name_index tools;
    bool lists_tools; /* a permissions.tools section was written, even an empty one */
};

/* parse.c: fills version, description, rules and resources from the YAML text. Adds every
 * problem to diags; returns 0 or WD_EPOLICY / WD_ENOMEM. */
int wd_policy_parse(wd_policy *p, const char *data, size_t len, wd_diagnostics *diags);
/* The same from a tree already parsed (a policy written inline in a contract). */
struct wd_yaml_node;
int wd_policy_parse_node(wd_policy *p, const struct wd_yaml_node *root, wd_diagnostics *diags);

/* policy.c: a whole load from a tree: parse, compile. display names the file in diagnostics;
 * data_dir is absolute (or NULL). */
int wd_policy_load_node(wd_policy **out, const struct wd_yaml_node *root, const char *display,
                        const char *data_dir, wd_diagnostics *diags);

/* compile.c: builds the lookup structures from the rules. Returns 0 or WD_ENOMEM. */
int wd_policy_compile(wd_policy *p);
void wd_policy_index_free(wd_policy *p);
size_t wd_policy_index_memory(const wd_policy *p);

/* Storage specificity: literal segments, then segments with a '*' and literal text, then
 * segments that are a bare '*'. Compared as one number. */
#define WD_SPEC_STORAGE(lit, part, star)                                                           \
    (((uint64_t)(lit) << 32) | ((uint64_t)(part) << 16) | (uint64_t)(star))

int wd_access_index(unsigned access); /* bit -> 0..4, or -1 */

/* names.c: whether text is a tool name a rule or a request may carry (1..WD_TOOL_NAME_MAX of
 * [A-Za-z0-9_.-/]; "*" is not a name). Returns the offset of the first bad byte, len when it is
 * too long, or -1 when it is good. */
#define WD_TOOL_NAME_MAX 128
long wd_tool_name_check(const char *text, size_t len);

#endif
