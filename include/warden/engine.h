/* engine.h: one tenant's warden behind one handle — its plugins, their policies, its audit log,
 * its overrides and its integrity baseline — deciding, changing policies and invoking plugins
 * the way a long-running service does.
 *
 * Lifecycle: wd_engine_open() (discovers the contracts, compiles every component's policy,
 * verifies the baseline and starts watching it: fail closed) -> any number of threads call
 * wd_engine_check(), wd_engine_invoke(), the policy calls and wd_engine_approve() ->
 * wd_engine_close() once no call is running.
 *
 * A component is a registered plugin (its id; the highest version of it). Its policy is its
 * own from the policy store, else its contract's, else its type's default, else nothing.
 * Decisions run concurrently on compiled policies; a policy change is validated, persisted and
 * audited by the store and then swapped in for that component at once, so a decision sees the
 * old policy or the new one, never a mix. Every decision is final here: lockdown outranks
 * everything, protected paths outrank every grant, and an approved override lets exactly one
 * denied operation through. */
#ifndef WARDEN_ENGINE_H
#define WARDEN_ENGINE_H

#include "audit.h"
#include "common.h"
#include "contract.h"
#include "diag.h"
#include "policy.h"
#include "sandbox.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wd_engine wd_engine;

/* Which decisions become DECISION records. */
typedef enum {
    WD_ENGINE_AUDIT_ALL = 1,
    WD_ENGINE_AUDIT_DENY = 2,
    WD_ENGINE_AUDIT_NONE = 3
} wd_engine_audit;

typedef struct {
    unsigned version;
    const char *name; /* the tenant, in messages */
    const char *const *contract_dirs;
    size_t ncontract_dirs;
    const char *trust_dir; /* set: every contract needs a trusted reviewer's signature */
    const char *const *allowlist;
    size_t allowlist_len;
    int allowlist_set;
    const char *policies_dir;  /* required: the policy store */
    struct wd_audit *audit;    /* borrowed; NULL: nothing is recorded */
    wd_engine_audit decisions; /* default ALL */
    const char *overrides_dir; /* NULL: no overrides */
    const char *baseline;      /* signed manifest; NULL: no baseline */
    const char *baseline_pubkey;
    /* Protected beyond the defaults (wd_protected_defaults) and the engine's own locations
     * (contract, policy, override, baseline and key paths). */
    const char *const *protected_globs;
    size_t nprotected;
    /* Paths a plugin may not even read (keys, logs, configuration), beyond the defaults and
     * the engine's own policy, override, trust and baseline locations. */
    const char *const *private_paths;
    size_t nprivate;
    const char *runner_path; /* NULL: as wd_sandbox_options */
    uint64_t invoke_timeout_ms;
    int min_landlock_abi; /* as wd_sandbox_options; -1 default */
    /* ---- version 2: the rest of the review gate, as wd_discover_options has it ---- */
    /* With trust_dir: 0 (the default) refuses unsigned contracts; 1 lets an unsigned contract
     * load (a signature that is there must still verify). */
    int review_optional;
    const char *approved_path;       /* approved library hashes; NULL: not checked */
    const char *const *deny_imports; /* symbols a library may not import (NULL-terminated) */
} wd_engine_options;

/* Version 1 callers (built before the review gate fields) are accepted: their options end at
 * review_optional, and the gate then is what version 1 promised (trust_dir: signed only). */
#define WD_ENGINE_OPTIONS_VERSION 2
#define WD_ENGINE_OPTIONS_V1_SIZE offsetof(wd_engine_options, review_optional)
#define WD_ENGINE_OPTIONS_INIT                                                                     \
    {                                                                                              \
        WD_ENGINE_OPTIONS_VERSION, NULL, NULL, 0, NULL, NULL, 0, 0, NULL, NULL,                    \
            WD_ENGINE_AUDIT_ALL, NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, 0, -1, 0, NULL, NULL    \
    }

/* Returns 0; WD_ESTATE when the baseline does not verify (refusing to start); WD_EPOLICY when a
 * component's stored policy does not load; WD_EINVAL, WD_EIO, WD_ENOMEM. Contracts that fail
 * review are refused (PLUGIN_REFUSED records), not fatal: *refused (may be NULL) counts them,
 * and wd_engine_refused() names them.
 * All or nothing: when the audit log does not take a registration or refusal record, the
 * engine does not open (WD_EIO, with the log's id, WD-A010): a plugin whose registration was
 * not recorded is not registered, and an engine missing plugins it should have is no engine. */
WD_EXPORT int wd_engine_open(wd_engine **out, const wd_engine_options *opts, size_t *refused);
WD_EXPORT void wd_engine_close(wd_engine *e);

/* NULL while intact, else "lockdown: PATH changed" (every decision denies with it). */
WD_EXPORT const char *wd_engine_lockdown(const wd_engine *e);
/* The SHA-256 of the baseline manifest verified at open (zeros without a baseline): a reload
 * may leave lockdown only under a different, re-signed baseline. */
WD_EXPORT void wd_engine_baseline_digest(const wd_engine *e, uint8_t out[static 32]);

/* ---- refused contracts --------------------------------------------------------------------- */

/* The contracts the review gate refused, each with its path, its code ("WD-Lnnn") and its
 * one-line message. Every string is printable text (control characters and bytes that are not
 * UTF-8 escaped as "\xNN", wd_utf8_printable's rule): a contract's bytes are hostile, and these
 * go to logs, terminals and JSON. The first WD_ENGINE_REFUSALS_KEPT are kept; the count is of
 * all of them. */
typedef struct wd_engine_refusals wd_engine_refusals;

enum { WD_ENGINE_REFUSALS_KEPT = 256 };

/* The refusals of the engine's open (valid while the engine is; never NULL for an open engine). */
WD_EXPORT const wd_engine_refusals *wd_engine_refused(const wd_engine *e);
/* The review gate alone, as wd_engine_open would run it over opts' contract directories: nothing
 * is recorded (opts->audit is not used), written or started. For a configuration check. Returns
 * 0 with *out (free with wd_engine_refusals_free), or the error that would keep the engine from
 * opening (a contract directory that cannot be read, WD-L017). */
WD_EXPORT int wd_engine_review(wd_engine_refusals **out, const wd_engine_options *opts);
/* Every contract refused, the ones past the kept included. */
WD_EXPORT size_t wd_engine_refusals_count(const wd_engine_refusals *r);
/* How many are kept: min(count, WD_ENGINE_REFUSALS_KEPT). */
WD_EXPORT size_t wd_engine_refusals_kept(const wd_engine_refusals *r);
/* The i-th kept refusal (any output may be NULL); WD_ENOTFOUND when i >= kept. */
WD_EXPORT int wd_engine_refusals_get(const wd_engine_refusals *r, size_t i, const char **path,
                                     const char **code, const char **message);
WD_EXPORT void wd_engine_refusals_free(wd_engine_refusals *r);

/* ---- components ------------------------------------------------------------------------- */

typedef struct {
    const char *id;
    wd_plugin_type type;
    const char *version;
    wd_security_level level;
    const char *policy_source; /* "component", "base" (the contract's), "default", "none" */
    size_t rules;
    wd_protocol protocol; /* WD_PROTOCOL_NONE for a native plugin; MCP: its tools are calls */
} wd_engine_component;

/* Calls fn for each component in id order (fields valid during fn); fn returns non-zero to
 * stop, and that is returned. */
WD_EXPORT int wd_engine_components(wd_engine *e, int (*fn)(const wd_engine_component *c, void *ctx),
                                   void *ctx);
WD_EXPORT size_t wd_engine_component_count(const wd_engine *e);

/* ---- decisions -------------------------------------------------------------------------- */

typedef struct {
    const char *verb;   /* read|write|execute|create|delete|connect|env */
    const char *target; /* as wd_request_parse takes it */
} wd_check_query;

/* Why a verdict is what it is, as a value (reason is its name). RULE, TIE, NO_RULE and
 * ESCAPES_ROOT are the policy's own: the same rules give the same verdict for every target. */
typedef enum {
    WD_VERDICT_RULE,
    WD_VERDICT_TIE,
    WD_VERDICT_NO_RULE,
    WD_VERDICT_ESCAPES_ROOT,
    WD_VERDICT_PROTECTED,
    WD_VERDICT_LOCKDOWN,
    WD_VERDICT_OVERRIDE,
    WD_VERDICT_INVALID,
} wd_verdict_reason;

typedef struct {
    int error; /* 0, or WD_EINVAL: a malformed query (explanation says why; denied) */
    wd_effect effect;
    const char *reason;  /* rule, tie, no_rule, escapes_root, protected, lockdown, override,
                            invalid */
    const wd_rule *rule; /* the deciding rule, or NULL */
    const wd_rule *other;
    const char *explanation;
    const char *operation; /* "" unless overrides are configured and it was denied (or the
                              override let it through): the id an approval names */
    /* reason, as a value: branch on this, never on the text */
    wd_verdict_reason cause;
} wd_verdict;

/* Decides queries[0..n) for component and calls fn(ctx, i, &verdict) for each in order (every
 * pointer in the verdict valid only during fn). Records each as the engine's options say: a
 * chunk is reported only once its records are written, and the call returns only once they
 * are as durable as the log promises (one sync for the whole call). Fail closed: a chunk whose
 * records cannot be written is not reported, and WD_EIO means none of the verdicts reported
 * may be acted on (wardend then answers 503 and nothing else). Returns 0, WD_ENOTFOUND for an
 * unknown component, WD_EIO, or what fn returned when non-zero. */
WD_EXPORT int wd_engine_check(wd_engine *e, const char *component, const wd_check_query *queries,
                              size_t n, int (*fn)(void *ctx, size_t i, const wd_verdict *verdict),
                              void *ctx);

/* ---- policies --------------------------------------------------------------------------- */

/* The component's policy as canonical YAML (malloc'd, NUL-terminated) and where it comes from. */
WD_EXPORT int wd_engine_policy_get(wd_engine *e, const char *component, char **yaml, size_t *len,
                                   const char **source);
/* Replaces the component's policy: validated (every problem in diags, may be NULL), persisted
 * atomically, audited, swapped in. A grant of change on a protected path is a WD-W002 warning
 * in diags and is never honoured. WD_ESTATE in lockdown. */
WD_EXPORT int wd_engine_policy_put(wd_engine *e, const char *component, const char *yaml,
                                   size_t len, wd_diagnostics *diags);

typedef struct {
    wd_rule_kind kind;
    const char *value; /* fs:// URI, host or CIDR, or environment key */
    unsigned access;   /* storage: WD_ACCESS_* bits (revoke: 0 removes the whole rule) */
} wd_grant;

WD_EXPORT int wd_engine_grant(wd_engine *e, const char *component, const wd_grant *grant);
WD_EXPORT int wd_engine_revoke(wd_engine *e, const char *component, const wd_grant *grant);

/* ---- plugins and overrides --------------------------------------------------------------- */

/* Runs the component once under its current policy (WD_ESTATE in lockdown; otherwise as
 * wd_instance_call): in a fresh sandbox, or for an MCP server or a Python handler (warm
 * plugins) in the component's warm instance, one kept running between calls (docs/plugins.md
 * says when it is replaced). An MCP server plugin's input is {"tool": NAME, "arguments": {}}. */
WD_EXPORT int wd_engine_invoke(wd_engine *e, const char *component, const char *input, size_t len,
                               const char *correlation_id, wd_call_result *result);
/* The plugin's describe() text (malloc'd), starting a sandbox to read it the first time. */
WD_EXPORT int wd_engine_describe(wd_engine *e, const char *component, char **out);
/* An MCP server plugin's tools (wd_instance_tools(), malloc'd), starting it to list them the
 * first time; WD_EINVAL for a plugin that is not an MCP server. */
WD_EXPORT int wd_engine_tools(wd_engine *e, const char *component, char **out);

/* wd_override_approve() in the engine's override directory, recorded in its log. */
WD_EXPORT int wd_engine_approve(wd_engine *e, const char *approver, const char *code,
                                const char *operation, const char *justification, uint64_t ttl_s);

#ifdef __cplusplus
}
#endif
#endif
