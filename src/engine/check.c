/* check.c: deciding queries for a component, in chunks that are audited before they are
 * answered (engine.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/json_event.h"
#include "engine/engine_int.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/utf8.h"

enum { CHUNK = 256, ID_QUOTED = 128 /* of an unknown component's id, in the message */ };

typedef struct {
    wd_final f;
    int error;
} slot;

static wd_verdict_reason public_reason(wd_final_reason r)
{
    static const wd_verdict_reason reasons[WD_FINAL_COUNT] = {
        [WD_FINAL_RULE] = WD_VERDICT_RULE,
        [WD_FINAL_TIE] = WD_VERDICT_TIE,
        [WD_FINAL_NO_RULE] = WD_VERDICT_NO_RULE,
        [WD_FINAL_ESCAPES_ROOT] = WD_VERDICT_ESCAPES_ROOT,
        [WD_FINAL_PROTECTED] = WD_VERDICT_PROTECTED,
        [WD_FINAL_LOCKDOWN] = WD_VERDICT_LOCKDOWN,
        [WD_FINAL_OVERRIDE] = WD_VERDICT_OVERRIDE,
        [WD_FINAL_INVALID] = WD_VERDICT_INVALID,
    };
    /* An out-of-range reason claims no policy verdict: never cached as one. */
    return (unsigned)r < WD_FINAL_COUNT ? reasons[r] : WD_VERDICT_INVALID;
}

static bool recorded(const wd_engine *e, const slot *s)
{
    switch (e->opts.decisions) {
    case WD_ENGINE_AUDIT_NONE:
        return false;
    case WD_ENGINE_AUDIT_DENY:
        return s->error || s->f.d.effect != WD_ALLOW || s->f.overridden;
    default:
        return true;
    }
}

/* One DECISION record's details, as the CLI writes them. */
static void details(wd_buf *b, const wd_check_query *q, const slot *s)
{
    wd_buf_puts(b, "{\"decision\":");
    const char *eff = s->error ? "deny" : wd_effect_name(s->f.d.effect);
    wd_json_quote(b, eff, strlen(eff));
    const char *verb = q->verb ? q->verb : "", *target = q->target ? q->target : "";
    wd_buf_puts(b, ",\"verb\":");
    wd_json_quote(b, verb, strlen(verb));
    wd_buf_puts(b, ",\"target\":");
    wd_json_quote(b, target, strlen(target));
    wd_buf_puts(b, ",\"reason\":");
    const char *reason = wd_final_name(s->error ? WD_FINAL_INVALID : s->f.reason);
    wd_json_quote(b, reason, strlen(reason));
    wd_buf_puts(b, ",\"explanation\":");
    wd_json_quote(b, s->f.why, strlen(s->f.why));
    if (s->f.operation[0]) {
        wd_buf_puts(b, ",\"operation\":");
        wd_json_quote(b, s->f.operation, strlen(s->f.operation));
    }
    wd_buf_puts(b, "}");
}

static int audit_chunk(wd_engine *e, const char *component, uint64_t *last, const wd_check_query *q,
                       const slot *slots, size_t n)
{
    if (!e->opts.audit)
        return 0;
    wd_audit_event ev[CHUNK];
    size_t offs[CHUNK], m = 0;
    wd_buf b = WD_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (!recorded(e, &slots[i]))
            continue;
        offs[m] = b.len;
        details(&b, &q[i], &slots[i]);
        wd_buf_putc(&b, '\0');
        ev[m] = (wd_audit_event){
            .type = "DECISION",
            .severity = slots[i].f.d.effect == WD_ALLOW && !slots[i].error ? WD_SEVERITY_LOW
                                                                           : WD_SEVERITY_MEDIUM,
            .component = component,
        };
        m++;
    }
    int rc = b.oom ? wd_fail(WD_ENOMEM, "out of memory") : 0;
    for (size_t i = 0; !rc && i < m; i++)
        ev[i].details = b.data + offs[i];
    if (!rc && m) {
        /* Written now, synced once for the whole request (below): a request is answered
         * only when it returns, so one wait covers every chunk. */
        uint64_t first = 0;
        rc = wd_audit_append_many_unsynced(e->opts.audit, ev, m, &first);
        if (!rc)
            *last = first + m - 1;
    }
    wd_buf_free(&b);
    return rc ? wd_fail(WD_EIO, "decisions not answered: the audit log cannot record them (%s)",
                        wd_error_last()->message)
              : 0;
}

int wd_engine_check(wd_engine *e, const char *component, const wd_check_query *queries, size_t n,
                    int (*fn)(void *ctx, size_t i, const wd_verdict *verdict), void *ctx)
{
    if (!e || !component || (n && !queries) || !fn)
        return wd_fail(WD_EINVAL, "wd_engine_check needs an engine, a component and a callback");
    wd_component *comp = wd_engine_find(e, component);
    if (!comp)
        return wd_fail(WD_ENOTFOUND, "no component \"%.*s\"", (int)ID_QUOTED, component);
    slot *slots = malloc((n < CHUNK ? n : CHUNK) * sizeof(*slots) + 1);
    if (!slots)
        return wd_fail(WD_ENOMEM, "out of memory");
    /* Approvals are looked for once per request, not once per denial. */
    wd_explain_memo *memo = n > 1 ? malloc(sizeof(*memo)) : NULL;
    if (memo)
        memo->n = 0;
    wd_verdict_rules rules = {
        .watch = e->watch,
        .protect = e->protect,
        .overrides = e->overrides_dir,
        .component = comp->id,
        .audit = e->opts.audit,
        .none_pending = e->overrides_dir && !wd_override_pending(e->overrides_dir),
        .memo = memo,
        .private_paths = (const char *const *)e->private_paths,
        .nprivate = e->nprivate,
    };
    int rc = 0;
    uint64_t last = 0; /* the last record written, to sync before returning */
    /* A reference, not the lock, for the whole request: a policy change swaps the pointer at
     * once and frees the old policy only when the last request using it is done, and no lock is
     * held while records wait for their sync. */
    pthread_rwlock_rdlock(&e->lock);
    wd_policy *policy = wd_policy_ref(comp->policy);
    pthread_rwlock_unlock(&e->lock);
    for (size_t base = 0; !rc && base < n; base += CHUNK) {
        size_t m = n - base < CHUNK ? n - base : CHUNK;
        for (size_t i = 0; i < m && !rc; i++) {
            const wd_check_query *q = &queries[base + i];
            slot *s = &slots[i];
            wd_request_buf req;
            s->error = 0;
            if (!q->verb || !q->target) {
                s->error = WD_EINVAL;
                snprintf(s->f.why, sizeof(s->f.why), "a query needs a verb and a target");
            } else if (wd_request_parse(&req, q->verb, q->target) != 0 ||
                       (s->error = wd_verdict_decide(&rules, policy, &req.request, q->verb,
                                                     q->target, &s->f)) == WD_EINVAL) {
                s->error = WD_EINVAL;
                snprintf(s->f.why, sizeof(s->f.why), "%s", wd_error_last()->message);
            } else if (s->error) {
                rc = s->error; /* an approval that could not be consumed: fail closed */
            }
            if (s->error) {
                s->f.d = (wd_decision){.effect = WD_DENY, .reason = WD_REASON_NO_RULE};
                s->f.reason = WD_FINAL_INVALID;
                s->f.operation[0] = '\0';
                s->f.overridden = false;
            }
            /* These explanations quote what the client sent, and a cut may split a character:
             * the answer and the record must stay UTF-8. */
            if (wd_final_quotes_target(s->f.reason))
                wd_utf8_sanitize(s->f.why);
        }
        if (!rc)
            rc = audit_chunk(e, comp->id, &last, &queries[base], slots, m);
        for (size_t i = 0; i < m && !rc; i++) {
            const slot *s = &slots[i];
            wd_verdict v = {
                .error = s->error,
                .effect = s->f.d.effect,
                .reason = wd_final_name(s->f.reason),
                .rule = s->f.d.rule,
                .other = s->f.d.other,
                .explanation = s->f.why,
                .operation = s->f.operation,
                .cause = public_reason(s->f.reason),
            };
            rc = fn(ctx, base + i, &v);
        }
    }
    if (!rc && last && wd_audit_sync_to(e->opts.audit, last) != 0)
        rc = wd_fail(WD_EIO,
                     "decisions not answered: the audit log cannot make their records "
                     "durable (%s)",
                     wd_error_last()->message);
    wd_policy_free(policy);
    free(memo);
    free(slots);
    return rc;
}
