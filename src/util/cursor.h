/* cursor.h (internal): the one bounds-checked reader every wire format in warden goes through.
 * A cursor never reads past end; every function returns false without moving on a mismatch. */
#ifndef WD_UTIL_CURSOR_H
#define WD_UTIL_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const char *p;
    const char *end;
} wd_cursor;

static inline wd_cursor wd_cursor_make(const char *data, size_t len)
{
    return (wd_cursor){data, data + len};
}

static inline size_t wd_cursor_left(const wd_cursor *c)
{
    return (size_t)(c->end - c->p);
}

/* Consumes exactly the n bytes of lit. */
static inline bool wd_cursor_lit(wd_cursor *c, const char *lit, size_t n)
{
    if (wd_cursor_left(c) < n || memcmp(c->p, lit, n) != 0)
        return false;
    c->p += n;
    return true;
}

#define WD_CURSOR_LIT(c, s) wd_cursor_lit((c), (s), sizeof(s) - 1)

/* A decimal integer without sign or leading zeros ("0" itself is fine), fitting uint64_t. */
bool wd_cursor_u64(wd_cursor *c, uint64_t *out);

/* exactly n lowercase hex digits -> n / 2 bytes */
bool wd_cursor_hex(wd_cursor *c, uint8_t *out, size_t bytes);

#endif
