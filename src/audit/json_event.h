/* json_event.h (internal): appending one record whose details are built with jansson. The
 * layers above the audit log (registry, sandbox, overrides, integrity) all record this way. */
#ifndef WD_AUDIT_JSON_EVENT_H
#define WD_AUDIT_JSON_EVENT_H

#include <jansson.h>

#include "warden/audit.h"

/* Appends {type, severity, component, correlation id, details} and releases details (which
 * may be NULL: a failed json_pack, reported as WD_ENOMEM). With no log (audit NULL) it does
 * nothing and returns 0. */
int wd_audit_json(wd_audit *audit, const char *type, wd_severity severity, const char *component,
                  const char *correlation_id, json_t *details);

#endif
