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

enum { WDD_ALLOW_MAX = 64 };

/* How the peer tried to identify itself: what a 401 says it refused (and nothing else: never
 * another client or token). */
typedef enum {
    WDD_PEER_UNKNOWN = 0, /* nothing known (the peer's credentials could not be read) */
    WDD_PEER_UID,         /* Unix socket: uid, from the socket's peer credentials */
    WDD_PEER_NO_TOKEN,    /* TCP: no Authorization header */
    WDD_PEER_NOT_BEARER,  /* TCP: an Authorization header of another scheme */
    WDD_PEER_TOKEN,       /* TCP: a bearer token (refused when it maps to no tenant) */
} wdd_peer_kind;

typedef struct {
    wdd_peer_kind kind;
    long uid; /* WDD_PEER_UID */
} wdd_peer;

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
    wdd_peer peer; /* who asked, for the 401 that refuses it */
} wdd_request;

typedef struct {
    unsigned status;
    const char *content_type; /* static */
    wd_buf body;
    /* Headers some statuses carry (RFC 9110): a 405's Allow, the methods the path's routes
     * accept ("" when none), and a 401's WWW-Authenticate challenge (static; NULL when none). */
    char allow[WDD_ALLOW_MAX];
    const char *challenge;
} wdd_response;

void wdd_api_handle(wdd_daemon *d, const wdd_request *req, wdd_response *resp);

/* The methods the route table accepts on path, as an Allow value ("GET, PUT") in out; the
 * number of methods (0: no route has this path). Pure: the one table answers it. */
size_t wdd_api_allow(const char *path, char *out, size_t size);

/* Why a peer that is no client is refused: the 401's message in msg (plain ASCII, no quotes or
 * backslashes, naming only this peer's own identity), and its WWW-Authenticate challenge
 * (RFC 6750: error="invalid_token" only when a bearer token was given and refused). Pure. */
const char *wdd_api_unauthenticated(const wdd_peer *peer, char *msg, size_t size);

/* NULL when a check query is within the bounds (args.h), else the name of the field that is
 * not. This and wdd_audit_failed are shared with MCP and live in api_common.c. */
const char *wdd_check_bounds(const char *component, const char *verb, const char *target);
/* Whether the log has stopped accepting records: a WD_EIO from a decision is an audit failure
 * (503, counted) only then; any other is a record that could not be formed, not the log. */
bool wdd_audit_failed(wd_audit *log);

#endif
