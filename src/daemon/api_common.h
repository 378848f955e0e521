/* api_common.h (daemon): what the routing file (api.c) and the endpoint files (api_check.c,
 * api_policy.c, api_ops.c) share, underneath all of them: the daemon's error ids, the error
 * answer and the one table from an error's kind to an HTTP status, the readers of a request's
 * body and arguments, and the JSON answer. Nothing here calls back up into them. */
#ifndef WDD_API_COMMON_H
#define WDD_API_COMMON_H

#include <jansson.h>

#include "daemon/api.h"
#include "util/error.h"
#include "warden/warden.h"

/* The daemon's own error ids (docs/errors.md, WD-D). */
#define WDD_E_JSON "WD-D001"            /* 400: malformed JSON, invalid UTF-8, not an object */
#define WDD_E_FIELD "WD-D002"           /* 400: a field missing, unknown or of the wrong type */
#define WDD_E_NO_ENDPOINT "WD-D003"     /* 404 */
#define WDD_E_METHOD "WD-D004"          /* 405 */
#define WDD_E_UNAUTHENTICATED "WD-D005" /* 401 */
#define WDD_E_FORBIDDEN "WD-D006"       /* 403: the client's role is too low */
#define WDD_E_TOO_LARGE "WD-D007"       /* 413: body or batch too large */
#define WDD_E_NOT_READY "WD-D008"       /* 503: draining */
#define WDD_E_NOT_FOUND "WD-D009"       /* 404: no such component */
#define WDD_E_INVALID "WD-D010"         /* 400/409: refused by the engine without an id */
#define WDD_E_INTERNAL "WD-D011"        /* 500 */
#define WDD_E_AUDIT "WD-D012"           /* 503: the audit log cannot record: nothing decided */
#define WDD_E_RELOAD "WD-D013"          /* 409: the new configuration did not load */
/* WD-D014 (400, a malformed or ambiguous request head), WD-D015 (431, a head too large),
 * WD-D017 (503, too many connections) and WD-D018 (408, no whole head in time) are answered
 * by the front (front.c) before a request reaches the API. */
#define WDD_E_FIELD_TOO_LONG "WD-D016" /* 400: a field longer than its bound (api.h) */

/* How much of a word the client sent (a method) or a name (a query argument) an error message
 * quotes: enough to recognise it, never the whole of a hostile one. */
enum { WDD_QUOTED_WORD = 16, WDD_QUOTED_NAME = 64 };

/* The HTTP status of an error of this kind: the one table (400 invalid, 404 not found, 403
 * forbidden, 409 conflict, 413 too large, 429 throttled, 503 unavailable, 500 internal). */
unsigned wdd_api_status(wd_error_kind kind);
/* The engine's last error (code rc) as an answer: its kind's status, its id (else a WD-D id). */
void wdd_api_engine_error(wdd_response *resp, int rc);
/* The body as a JSON object, or NULL after answering 400. */
json_t *wdd_api_parse_json(const wdd_request *req, wdd_response *resp);
/* obj[key] as a non-empty string; NULL when absent and not required, or after answering 400. */
const char *wdd_api_string(json_t *obj, const char *key, bool required, wdd_response *resp);
/* false after answering 400 when obj has a key not in allowed (NULL-terminated). */
bool wdd_api_only_keys(json_t *obj, const char *const *allowed, wdd_response *resp);
/* Answers status with j (released). */
void wdd_api_json(wdd_response *resp, unsigned status, json_t *j);
/* Sets obj.output to a plugin's output when it is UTF-8, else obj.output_base64 to its exact
 * bytes (nothing lost or mangled). */
void wdd_api_set_output(json_t *obj, const char *data, size_t len);
/* A query argument's value ("" when given without one), or NULL. */
const char *wdd_api_arg(const wdd_request *req, const char *key);

/* The error answer: status and {"error": {"code", "message"}}. */
void wdd_api_error(wdd_response *resp, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
