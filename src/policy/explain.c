/* explain.c: a decision as one line a person can act on. */
#include <stdio.h>

#include "warden/policy.h"

static int rule_ref(char *buf, size_t size, const wd_rule *r)
{
    return snprintf(buf, size, "%s:%u:%u [%s]", r->file, r->line, r->column, r->text);
}

size_t wd_decision_explain(const wd_decision *d, char *buf, size_t size)
{
    char a[1200] = "", b[1200] = "";
    int n;
    switch (d->reason) {
    case WD_REASON_NO_RULE:
        n = snprintf(buf, size, "no rule matched (default deny)");
        break;
    case WD_REASON_ESCAPES_ROOT:
        n = snprintf(buf, size, "path climbs above / with '..' (denied)");
        break;
    case WD_REASON_TIE:
        rule_ref(a, sizeof(a), d->rule);
        rule_ref(b, sizeof(b), d->other);
        n = snprintf(buf, size, "%s ties with %s (equally specific): deny wins", a, b);
        break;
    case WD_REASON_RULE:
    default:
        rule_ref(a, sizeof(a), d->rule);
        if (d->other) {
            rule_ref(b, sizeof(b), d->other);
            n = snprintf(buf, size, "%s is the most specific match; it outranks %s", a, b);
        } else {
            n = snprintf(buf, size, "%s is the most specific match", a);
        }
        break;
    }
    return n < 0 ? 0 : (size_t)n;
}
