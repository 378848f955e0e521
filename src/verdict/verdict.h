/* verdict.h (internal): warden's final word on a request, the one function every decision goes
 * through (the CLI's check, the engine's checks, the sandbox broker's requests), so all apply
 * the same order: lockdown outranks everything, a protected path outranks every grant, then
 * the policy, and an approved override lets one denied operation through. It sits below the
 * sandbox and above tamper and override in the layers (docs/ARCHITECTURE.md). */
#ifndef WD_VERDICT_VERDICT_H
#define WD_VERDICT_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "warden/audit.h"
#include "warden/integrity.h"
#include "warden/override.h"
#include "warden/policy.h"

/* The explanations of one request's policy decisions, by (reason, rule, other): the text does
 * not depend on the target, so a batch formats each once. */
enum { WD_EXPLAIN_MEMO = 16, WD_EXPLAIN_MEMO_TEXT = 1024 };
typedef struct {
    size_t n;
    struct {
        wd_reason reason;
        const wd_rule *rule, *other;
        size_t len;
        char text[WD_EXPLAIN_MEMO_TEXT];
    } e[WD_EXPLAIN_MEMO];
} wd_explain_memo;

typedef struct {
    const wd_watch *watch;       /* may be NULL */
    const wd_protected *protect; /* may be NULL */
    const char *overrides;       /* may be NULL: no overrides */
    const char *component;       /* required with overrides */
    wd_audit *audit;             /* OVERRIDE_USED goes here */
    bool none_pending;           /* overrides holds no approval: ids only, no lookups */
    wd_explain_memo *memo;       /* may be NULL */
    /* A second change-protected set (warden's own programs and libraries, wd_protected_new_own),
     * applied exactly as protect; may be NULL. */
    const wd_protected *protect_own;
    /* Absolute paths (each covering everything beneath it) never granted at all, not even for
     * reading: keys, logs, configuration, a plugin's contract and library. Matched against the
     * lexically normalised path; the broker passes paths it resolved itself. */
    const char *const *private_paths;
    size_t nprivate;
    /* In and out (WD_OPERATION_ID_LEN + 1 bytes, "" at first; may be NULL): the approval this
     * request already used. One request may decide the same operation more than once (as
     * asked, then as resolved): one approval covers all of them and is consumed once. */
    char *consumed;
} wd_verdict_rules;

/* Why a verdict is what it is. The first four are the policy's own reasons (wd_reason); the
 * rest are the rules that outrank or lift it. wd_final_name gives the text the API and the
 * records show ("no_rule"). */
typedef enum {
    WD_FINAL_RULE,
    WD_FINAL_TIE,
    WD_FINAL_NO_RULE,
    WD_FINAL_ESCAPES_ROOT,
    WD_FINAL_PROTECTED,
    WD_FINAL_LOCKDOWN,
    WD_FINAL_OVERRIDE,
    WD_FINAL_INVALID, /* the request was malformed: denied, decided by nothing */
    WD_FINAL_COUNT
} wd_final_reason;

/* An explanation's room; how much of the policy's explanation an override's sentence quotes,
 * and of a protected path's pattern a refusal quotes (the rest is their own words). */
enum { WD_WHY_MAX = 3200, WD_WHY_OVERRIDE_QUOTED = 2800, WD_WHY_PROTECTED_QUOTED = 2000 };

typedef struct {
    wd_decision d;
    wd_final_reason reason;
    char why[WD_WHY_MAX];
    char operation[WD_OPERATION_ID_LEN + 1];
    bool overridden;
} wd_final;

/* The text of a final reason ("rule", "lockdown", ...), or "" for an unknown value. */
const char *wd_final_name(wd_final_reason r);

/* Whether explanations of this reason quote what the client sent (a target, a path, a changed
 * file) rather than only policy text: those must be made valid UTF-8 before they are shown. */
bool wd_final_quotes_target(wd_final_reason r);

/* Decides req under policy (NULL: a policy that grants nothing) and applies the rules, in this
 * order: lockdown, private and protected paths, the policy, an approval. out->why never repeats
 * verb or target (callers print or record those beside it). Returns 0, WD_EINVAL for a
 * malformed request (wd_error_last says why), or the error of consuming an approval (the
 * decision then stays a denial). */
int wd_verdict_decide(const wd_verdict_rules *rules, const wd_policy *policy, const wd_request *req,
                      const char *verb, const char *target, wd_final *out);

/* Whether path (absolute) is, or lies beneath, one of the rules' private paths. */
bool wd_verdict_is_private(const wd_verdict_rules *rules, const char *path);

/* The reason name of a policy decision ("rule", "tie", "no_rule", "escapes_root"). */
const char *wd_reason_name(wd_reason r);

/* Calls warn once per allow rule of policy that grants change (write, create or delete) on a
 * protected path: such grants are never honoured. */
void wd_verdict_protected_grants(const wd_protected *protect, const wd_policy *policy,
                                 void (*warn)(const wd_rule *rule, const char *glob, void *ctx),
                                 void *ctx);

#endif
