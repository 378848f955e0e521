/* api.h (daemon): one HTTP request in, one response out, with no sockets in between, so the
 * whole API can be driven by unit tests and a fuzz target exactly as the server drives it.
 *
 * The server authenticates first (peer uid on the Unix socket, bearer token on TCP) and
 * passes the tenant and role it found; wdd_api_handle() does everything else: routing,
 * authorisation by role, bounded parsing, the engine call, and the JSON answer. Errors are
 * {"error": {"code": "WD-...", "message": "..."}} with the status the code calls for. */
#ifndef WDD_API_H
#define WDD_API_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/args.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "util/buf.h"

typedef struct {
    const char *method;
    const char *path; /* without the query string */
    /* Query arguments as key, value pairs (value may be NULL), NULL-terminated. */
    const char *const *args;
    const char *body;
    size_t body_len;
    const char *tenant; /* NULL: the peer maps to no tenant */
    wdd_role role;
    const char *id; /* set by the router: the component id in the path, or NULL */
    /* The state the peer was identified in (the server holds a reference), so identity and
     * engines come from one configuration even when a reload lands in between; NULL: the
     * current state. */
    wdd_state *state;
} wdd_request;

typedef struct {
    unsigned status;
    const char *content_type; /* static */
    wd_buf body;
} wdd_response;

void wdd_api_handle(wdd_daemon *d, const wdd_request *req, wdd_response *resp);

/* NULL when a check query is within the bounds (args.h), else the name of the field that is
 * not. This and wdd_audit_failed are shared with MCP and live in api_common.c. */
const char *wdd_check_bounds(const char *component, const char *verb, const char *target);
/* Whether the log has stopped accepting records: a WD_EIO from a decision is an audit failure
 * (503, counted) only then; any other is a record that could not be formed, not the log. */
bool wdd_audit_failed(wd_audit *log);

#endif
