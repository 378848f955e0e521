/* policy.h: load a capability policy, decide requests against it, inspect it, free it.
 *
 * Lifecycle: wd_policy_load() (or wd_policy_load_buffer()) parses, validates and compiles a
 * Wassette v1 policy file -> wd_policy_decide() any number of times, from any number of threads ->
 * wd_policy_free(). A loaded policy is immutable (apart from an atomic reference count, see
 * wd_policy_ref()): it holds no locks, so one policy may be shared between threads without
 * synchronisation.
 *
 * Semantics (docs/policy.md has the full contract): default deny; the most specific rule that
 * lists the requested access decides; on a tie between allow and deny, deny wins. Every decision
 * names the rule that decided it and why. */
#ifndef WARDEN_POLICY_H
#define WARDEN_POLICY_H

#include "common.h"
#include "diag.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wd_policy wd_policy;

/* ---- Loading ---------------------------------------------------------------------------- */

#define WD_POLICY_MAX_FILE_SIZE (10u * 1024u * 1024u)

typedef struct {
    unsigned version;
    /* Absolute directory that relative storage URIs (such as fs://workspace) resolve against.
     * NULL: the directory of the policy file for wd_policy_load(); for wd_policy_load_buffer()
     * a relative URI is then an error. */
    const char *data_dir;
    /* Name used for the file in diagnostics and explanations; NULL: the path given. */
    const char *display_name;
    /* Optional: receives every error and warning found, not only the first. */
    wd_diagnostics *diagnostics;
} wd_policy_options;

#define WD_POLICY_OPTIONS_VERSION 1
#define WD_POLICY_OPTIONS_INIT                                                                     \
    {                                                                                              \
        WD_POLICY_OPTIONS_VERSION, NULL, NULL, NULL                                                \
    }

/* Returns WD_OK, WD_EIO (cannot read), WD_EPOLICY (invalid: see the diagnostics),
 * WD_EINVAL (bad options) or WD_ENOMEM. On failure *out is NULL. */
WD_EXPORT int wd_policy_load(wd_policy **out, const char *path, const wd_policy_options *opts);
WD_EXPORT int wd_policy_load_buffer(wd_policy **out, const char *data, size_t len,
                                    const wd_policy_options *opts);
/* Drops one reference; the last one frees the policy. */
WD_EXPORT void wd_policy_free(wd_policy *policy);
/* Takes another reference to a policy that is shared (the policy cache hands these out). */
WD_EXPORT wd_policy *wd_policy_ref(const wd_policy *policy);

/* ---- a cache of compiled policies ----------------------------------------------------------
 * Keyed by SHA-256 of the policy text, the data directory and the display name, bounded, least
 * recently used out first. Components with the same policy (a type's default, typically) share
 * one compiled copy. Thread-safe. */
typedef struct wd_policy_cache wd_policy_cache;
WD_EXPORT int wd_policy_cache_new(wd_policy_cache **out, size_t capacity);
WD_EXPORT void wd_policy_cache_free(wd_policy_cache *cache);
/* A reference to the compiled policy for this text (compiled on a miss): release it with
 * wd_policy_free(). *hit (may be NULL) says whether it came from the cache. */
WD_EXPORT int wd_policy_cache_get(wd_policy_cache *cache, const char *text, size_t len,
                                  const wd_policy_options *opts, wd_policy **out, int *hit);

/* ---- Requests and decisions ------------------------------------------------------------- */

typedef enum {
    WD_ACCESS_READ = 1u << 0,
    WD_ACCESS_WRITE = 1u << 1,
    WD_ACCESS_EXECUTE = 1u << 2,
    WD_ACCESS_CREATE = 1u << 3,
    WD_ACCESS_DELETE = 1u << 4,
} wd_access;

typedef enum {
    WD_REQ_STORAGE = 1,
    WD_REQ_NETWORK = 2,
    WD_REQ_ENVIRONMENT = 3,
    WD_REQ_TOOL = 4 /* calling one tool of an MCP server plugin */
} wd_request_kind;

typedef struct {
    wd_request_kind kind;
    /* WD_REQ_STORAGE: exactly one WD_ACCESS_* bit and an absolute path (normalised lexically
     * before matching; a path that escapes the root is denied). */
    unsigned access;
    const char *path;
    /* WD_REQ_NETWORK: a host name or IP literal (IPv6 with or without brackets), an optional
     * scheme ("https", or NULL) and a port (0 when not known; a known scheme implies its
     * default port). */
    const char *host;
    const char *scheme;
    unsigned port;
    /* WD_REQ_ENVIRONMENT: the variable name. */
    const char *key;
    /* WD_REQ_TOOL: the tool's name as the server lists it (a name outside 1..128 of
     * [A-Za-z0-9_.-/] is a malformed request: WD_EINVAL, never allowed). */
    const char *tool;
} wd_request;

typedef enum { WD_DENY = 0, WD_ALLOW = 1 } wd_effect;

typedef enum {
    WD_REASON_RULE = 1,        /* the most specific matching rule decided */
    WD_REASON_TIE = 2,         /* an allow and a deny rule were equally specific: deny wins */
    WD_REASON_NO_RULE = 3,     /* no rule matched: default deny */
    WD_REASON_ESCAPES_ROOT = 4 /* the path climbs above "/": denied */
} wd_reason;

typedef enum {
    WD_RULE_STORAGE = 1,
    WD_RULE_NETWORK = 2,
    WD_RULE_ENVIRONMENT = 3,
    WD_RULE_TOOL = 4
} wd_rule_kind;

/* One rule as written, with where it was written. Owned by the policy. */
typedef struct {
    wd_rule_kind kind;
    wd_effect effect;
    const char *file; /* the policy's display name */
    unsigned line, column;
    const char *text; /* the rule as a one-line string: "allow fs://workspace (read, write)" */
    /* storage: the absolute pattern after resolving against the data dir, and the access bits
     * the rule lists after expansion (write adds create and delete). */
    const char *pattern;
    const char *uri; /* the fs:// URI as written */
    unsigned access;
    /* network: host pattern ("*", "*.example.com", "api.example.com", an IP) or CIDR text,
     * the scheme (or NULL), and the ports (count 0: any port). */
    const char *host;
    const char *cidr;
    const char *scheme;
    const uint16_t *ports;
    size_t port_count;
    /* environment */
    const char *key;
    /* tool: the tool name, or "*" for every tool */
    const char *tool;
} wd_rule;

typedef struct {
    wd_effect effect;
    wd_reason reason;
    const wd_rule *rule;  /* the deciding rule; NULL for WD_REASON_NO_RULE / ESCAPES_ROOT */
    const wd_rule *other; /* the most specific matching rule of the opposite effect, or NULL */
} wd_decision;

/* Decides one request. Returns WD_OK with *out filled, or WD_EINVAL for a malformed request
 * (relative path, several access bits, malformed host); a malformed request is never allowed.
 * Does not allocate for ordinary requests; safe to call concurrently on one policy. */
WD_EXPORT int wd_policy_decide(const wd_policy *policy, const wd_request *request,
                               wd_decision *out);

/* A request written as text, the way the CLI and batch files write it: VERB TARGET with VERB
 * read|write|execute|create|delete (TARGET an absolute path), connect (TARGET
 * [SCHEME://]HOST[:PORT], IPv6 in brackets when a port follows), env (TARGET a key) or call
 * (TARGET a tool name: 1..128 of [A-Za-z0-9_.-/]; "*" is a rule's word, not a tool).
 * request's strings point into the struct itself, so it must not be copied once parsed. */
typedef struct {
    wd_request request;
    char text[4096 + 256];
} wd_request_buf;

/* Returns 0, or WD_EINVAL with a one-line reason in wd_error_last(). */
WD_EXPORT int wd_request_parse(wd_request_buf *out, const char *verb, const char *target);

/* Writes a one-line explanation of a decision ("rule policy.yaml:9:7 allow fs://... (read):
 * most specific match") into buf, always NUL-terminated. Returns the length needed. */
WD_EXPORT size_t wd_decision_explain(const wd_decision *decision, char *buf, size_t size);

/* Names: "read", "allow", "no rule matched (default deny)" ... */
WD_EXPORT const char *wd_access_name(unsigned access);
WD_EXPORT int wd_access_parse(const char *name, unsigned *out);
WD_EXPORT const char *wd_effect_name(wd_effect effect);

/* ---- Inspection --------------------------------------------------------------------------- */

typedef struct {
    /* 0 means "not set" for every field. */
    uint64_t cpu_millicores;
    uint64_t memory_bytes;
    uint64_t timeout_ms;
    uint64_t pids;
    uint64_t open_files;
    uint64_t output_bytes;
} wd_resources;

WD_EXPORT const char *wd_policy_version(const wd_policy *policy);
WD_EXPORT const char *wd_policy_description(const wd_policy *policy);
WD_EXPORT const char *wd_policy_data_dir(const wd_policy *policy);
/* Whether the policy lists tools (`permissions: tools:`, present even if empty: an empty list
 * allows no tool). Without a list every tool an MCP server plugin offers may be called (its
 * file and network accesses are still decided); once a list exists, a tool it does not allow is
 * denied (WD_REASON_NO_RULE). wd_policy_decide() on a WD_REQ_TOOL request always answers from
 * the list (an exact name outranks "*"), so a host asks this first. */
WD_EXPORT int wd_policy_lists_tools(const wd_policy *policy);
WD_EXPORT size_t wd_policy_rule_count(const wd_policy *policy);
WD_EXPORT const wd_rule *wd_policy_rule(const wd_policy *policy, size_t i);
WD_EXPORT const wd_resources *wd_policy_resources(const wd_policy *policy);
/* Bytes the compiled policy occupies (rules, strings and lookup structures). */
WD_EXPORT size_t wd_policy_memory(const wd_policy *policy);

#ifdef __cplusplus
}
#endif
#endif
