/* json_event.c: one record with jansson-built details (json_event.h). */
#include "audit/json_event.h"

#include <stdlib.h>

#include "util/error.h"

int wd_audit_json(wd_audit *audit, const char *type, wd_severity severity, const char *component,
                  const char *correlation_id, json_t *details)
{
    if (!audit) {
        json_decref(details);
        return 0;
    }
    char *text = details
                     ? json_dumps(details, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER)
                     : NULL;
    json_decref(details);
    if (!text)
        return wd_fail(WD_ENOMEM, "cannot build the details of a %s record", type);
    wd_audit_event ev = {type, severity, component, correlation_id, text};
    int rc = wd_audit_append(audit, &ev, NULL);
    free(text);
    return rc;
}
