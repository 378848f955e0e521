/* verdict.c: a policy's decision made final (verdict.h). */
#include <stdio.h>
#include <string.h>

#include "verdict/verdict.h"
#include "util/path.h"
#include "util/utf8.h"

const char *wd_reason_name(wd_reason r)
{
    static const char *const names[] = {"", "rule", "tie", "no_rule", "escapes_root"};
    return r >= WD_REASON_RULE && r <= WD_REASON_ESCAPES_ROOT ? names[r] : "";
}

static const char *const final_names[WD_FINAL_COUNT] = {
    [WD_FINAL_RULE] = "rule",           [WD_FINAL_TIE] = "tie",
    [WD_FINAL_NO_RULE] = "no_rule",     [WD_FINAL_ESCAPES_ROOT] = "escapes_root",
    [WD_FINAL_PROTECTED] = "protected", [WD_FINAL_LOCKDOWN] = "lockdown",
    [WD_FINAL_OVERRIDE] = "override",   [WD_FINAL_INVALID] = "invalid",
};

const char *wd_final_name(wd_final_reason r)
{
    return (unsigned)r < WD_FINAL_COUNT ? final_names[r] : "";
}

bool wd_final_quotes_target(wd_final_reason r)
{
    return r == WD_FINAL_PROTECTED || r == WD_FINAL_OVERRIDE || r == WD_FINAL_LOCKDOWN ||
           r == WD_FINAL_INVALID;
}

/* The final reason of a decision the policy made. */
static wd_final_reason policy_reason(wd_reason r)
{
    switch (r) {
    case WD_REASON_RULE:
        return WD_FINAL_RULE;
    case WD_REASON_TIE:
        return WD_FINAL_TIE;
    case WD_REASON_ESCAPES_ROOT:
        return WD_FINAL_ESCAPES_ROOT;
    case WD_REASON_NO_RULE:
    default:
        return WD_FINAL_NO_RULE;
    }
}

static bool changes(const wd_request *req)
{
    return req->kind == WD_REQ_STORAGE &&
           (req->access & (WD_ACCESS_WRITE | WD_ACCESS_CREATE | WD_ACCESS_DELETE));
}

/* The policy's explanation, as UTF-8 (a cut may split a character), from the memo when this
 * request already formatted it. */
static void explain(wd_explain_memo *m, const wd_decision *d, char *why, size_t size)
{
    for (size_t i = 0; m && i < m->n; i++)
        if (m->e[i].reason == d->reason && m->e[i].rule == d->rule && m->e[i].other == d->other) {
            memcpy(why, m->e[i].text, m->e[i].len + 1);
            return;
        }
    wd_decision_explain(d, why, size);
    wd_utf8_sanitize(why);
    size_t len = strlen(why);
    if (m && m->n < WD_EXPLAIN_MEMO && len < WD_EXPLAIN_MEMO_TEXT) {
        m->e[m->n].reason = d->reason;
        m->e[m->n].rule = d->rule;
        m->e[m->n].other = d->other;
        m->e[m->n].len = len;
        memcpy(m->e[m->n].text, why, len + 1);
        m->n++;
    }
}

bool wd_verdict_is_private(const wd_verdict_rules *rules, const char *path)
{
    for (size_t i = 0; path && i < rules->nprivate; i++) {
        const char *p = rules->private_paths[i];
        size_t n = p ? strlen(p) : 0;
        while (n > 1 && p[n - 1] == '/')
            n--;
        if (n && strncmp(path, p, n) == 0 && (path[n] == 0 || path[n] == '/' || n == 1))
            return true;
    }
    return false;
}

static void deny(wd_final *out, wd_final_reason reason)
{
    out->d.effect = WD_DENY;
    out->reason = reason;
}

/* Warden's own files: a change there is denied whatever the policy says, and no approval can
 * lift it. Matching resolves the path through the file system, so it is done only where it can
 * change the answer: an allow, or a denial that names an operation (which must never be one of
 * warden's own files). */
static bool protected_change(const wd_verdict_rules *rules, const wd_request *req, wd_final *out)
{
    if (!changes(req) || (out->d.effect != WD_ALLOW && !rules->overrides))
        return false;
    const wd_protected *sets[2] = {rules->protect, rules->protect_own};
    for (int i = 0; i < 2; i++) {
        const char *glob = NULL;
        if (!sets[i] || (req->access == WD_ACCESS_DELETE
                             ? wd_protected_match_tree(sets[i], req->path, &glob, NULL, 0)
                             : wd_protected_match(sets[i], req->path, &glob, NULL, 0)) == 0)
            continue;
        deny(out, WD_FINAL_PROTECTED);
        snprintf(out->why, sizeof(out->why),
                 "a protected path (%.*s): no policy grants changing warden's own files",
                 (int)WD_WHY_PROTECTED_QUOTED, glob ? glob : "unresolvable path");
        return true;
    }
    return false;
}

#define OVERRIDE_HEAD "override %s approved by a human, used once (the policy says: "
_Static_assert(sizeof(OVERRIDE_HEAD) + WD_OPERATION_ID_LEN + WD_WHY_OVERRIDE_QUOTED + 2 <=
                   WD_WHY_MAX,
               "an override's sentence fits an explanation whole, with what it quotes");

/* The explanation of an approved override, which quotes what the policy said: shifted in place
 * (no allocation, so nothing can fail once the approval is consumed) behind the override's words.
 */
static void override_sentence(wd_final *out)
{
    char head[sizeof(OVERRIDE_HEAD) + WD_OPERATION_ID_LEN];
    int n = snprintf(head, sizeof(head), OVERRIDE_HEAD, out->operation);
    size_t quoted = strnlen(out->why, WD_WHY_OVERRIDE_QUOTED);
    memmove(out->why + n, out->why, quoted);
    memcpy(out->why, head, (size_t)n);
    memcpy(out->why + n + quoted, ")", 2);
}

int wd_verdict_decide(const wd_verdict_rules *rules, const wd_policy *policy, const wd_request *req,
                      const char *verb, const char *target, wd_final *out)
{
    out->operation[0] = '\0';
    out->overridden = false;
    if (policy) {
        int rc = wd_policy_decide(policy, req, &out->d);
        if (rc)
            return rc;
        out->reason = policy_reason(out->d.reason);
        explain(rules->memo, &out->d, out->why, sizeof(out->why));
    } else {
        out->d = (wd_decision){.effect = WD_DENY, .reason = WD_REASON_NO_RULE};
        out->reason = WD_FINAL_NO_RULE;
        snprintf(out->why, sizeof(out->why), "no policy grants anything");
    }

    const char *locked = wd_watch_lockdown(rules->watch);
    if (locked) {
        /* Lockdown outranks every rule and every override. */
        deny(out, WD_FINAL_LOCKDOWN);
        snprintf(out->why, sizeof(out->why), "%s", locked);
        return 0;
    }
    if (req->kind == WD_REQ_STORAGE && rules->nprivate) {
        char norm[WD_PATH_MAX];
        bool escapes = false;
        if (wd_path_normalize(req->path, norm, sizeof(norm), &escapes) == 0 && !escapes &&
            wd_verdict_is_private(rules, norm)) {
            deny(out, WD_FINAL_PROTECTED);
            snprintf(out->why, sizeof(out->why),
                     "a protected path (warden's own files are never granted)");
            return 0;
        }
    }
    if (protected_change(rules, req, out))
        return 0;
    if (!rules->overrides || out->d.effect == WD_ALLOW ||
        wd_operation_id(rules->component, verb, target, out->operation) != 0)
        return 0;
    bool used =
        rules->consumed && rules->consumed[0] && strcmp(rules->consumed, out->operation) == 0;
    if (!used && rules->none_pending)
        return 0;
    if (!used) {
        int rc = wd_override_consume(rules->overrides, out->operation, rules->component, 0,
                                     rules->audit);
        if (rc == WD_ENOTFOUND)
            return 0;
        if (rc)
            return rc;
        if (rules->consumed)
            memcpy(rules->consumed, out->operation, sizeof(out->operation));
    }
    out->overridden = true;
    out->d.effect = WD_ALLOW;
    out->reason = WD_FINAL_OVERRIDE;
    override_sentence(out);
    return 0;
}

void wd_verdict_protected_grants(const wd_protected *protect, const wd_policy *policy,
                                 void (*warn)(const wd_rule *rule, const char *glob, void *ctx),
                                 void *ctx)
{
    for (size_t i = 0; protect && i < wd_policy_rule_count(policy); i++) {
        const wd_rule *r = wd_policy_rule(policy, i);
        if (r->kind != WD_RULE_STORAGE || r->effect != WD_ALLOW ||
            !(r->access & (WD_ACCESS_WRITE | WD_ACCESS_CREATE | WD_ACCESS_DELETE)))
            continue;
        /* The literal part of the pattern: a grant on a directory above a protected path (or
         * a wildcard reaching into one) reaches it. */
        char lit[4200];
        size_t n = strcspn(r->pattern, "*");
        snprintf(lit, sizeof(lit), "%.*s", (int)n, r->pattern);
        while (n > 1 && lit[n - 1] == '/')
            lit[--n] = 0;
        const char *g = NULL;
        if (wd_protected_match_tree(protect, n ? lit : "/", &g, NULL, 0) == 1)
            warn(r, g, ctx);
    }
}
