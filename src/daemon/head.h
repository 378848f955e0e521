/* head.h (daemon): the strict check of an HTTP/1.1 request head, on its raw bytes, before
 * libmicrohttpd reads any of it.
 *
 * Request smuggling lives in the gap between two readings of one head: two Content-Length
 * values, Content-Length beside Transfer-Encoding, a folded or NUL-cut line one parser joins
 * and another splits. wardend closes the gap by accepting only heads every reader agrees on:
 *
 *   request-line = method SP origin-form SP ("HTTP/1.1" | "HTTP/1.0") CRLF
 *   field-line   = token ":" OWS *(VCHAR / obs-text / SP / HTAB) CRLF
 *
 * with every line ended by CRLF (no bare CR or LF, no empty line before the request line), no
 * line starting with whitespace (obs-fold), nothing between a field name and its colon, no
 * control byte anywhere, at most one Content-Length (digits only), no Transfer-Encoding at
 * all, at most one Authorization and one Host (HTTP/1.1 needs Host), at most
 * WDD_HEAD_MAX_FIELDS fields and WDD_HEAD_MAX_ARGS query arguments. Anything else is refused
 * whole, with a reason, before a byte of it is acted on.
 *
 * Pure: no allocation, no state; the fuzz target and the unit tests drive it directly. */
#ifndef WDD_HEAD_H
#define WDD_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WDD_HEAD_MAX_FIELDS = 64,
    WDD_HEAD_MAX_ARGS = 31,
    WDD_HEAD_MAX_METHOD = 32,
};

typedef enum {
    WDD_HEAD_MORE = 0,       /* no blank line yet, nothing wrong so far */
    WDD_HEAD_OK = 1,         /* a complete head that passed */
    WDD_HEAD_BAD = -1,       /* malformed or ambiguous: 400 */
    WDD_HEAD_TOO_LARGE = -2, /* longer than max, or too many fields: 431 */
} wdd_head_result;

typedef struct {
    size_t len;              /* bytes of the head, the blank line included */
    uint64_t content_length; /* 0 when absent */
    bool has_content_length;
    const char *auth; /* the Authorization value (inside buf, OWS trimmed), or NULL */
    size_t auth_len;
    const char *why; /* static text: why the head was refused */
} wdd_head;

/* Checks the first len bytes of a connection; max bounds the head (blank line included). */
wdd_head_result wdd_head_check(const char *buf, size_t len, size_t max, wdd_head *out);

#endif
