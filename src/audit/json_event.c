/* json_event.c: one record with jansson-built details (json_event.h). */
#include "audit/json_event.h"

#include <stdlib.h>

#include "util/error.h"

int wd_audit_json(wd_audit *audit, const char *type, wd_severity severity, const char *component,
                  const char *correlation_id, json_t *details)
{
    /* The details are ours from the call on, whatever happens: dumped (when there is a log to
     * take them) and released once. */
    char *text = audit && details
                     ? json_dumps(details, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER)
                     : NULL;
    json_decref(details);
    if (!audit)
        return 0;
    if (!text)
        return wd_fail(WD_ENOMEM, "cannot build the details of a %s record", type);
    wd_audit_event ev = {.type = type,
                         .severity = severity,
                         .component = component,
                         .correlation_id = correlation_id,
                         .details = text};
    int rc = wd_audit_append(audit, &ev, NULL);
    free(text);
    return rc;
}
