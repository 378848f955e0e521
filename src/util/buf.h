/* buf.h (internal): a growable, always NUL-terminated byte buffer. A buffer that failed to grow
 * stays failed (oom is set) so a sequence of appends needs only one check at the end. */
#ifndef WD_UTIL_BUF_H
#define WD_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool oom;
} wd_buf;

#define WD_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, false                                                                          \
    }

/* Makes room for extra more bytes now (false, and oom set, when it cannot). */
bool wd_buf_reserve(wd_buf *b, size_t extra);
void wd_buf_append(wd_buf *b, const char *data, size_t len);
void wd_buf_puts(wd_buf *b, const char *s);
void wd_buf_putc(wd_buf *b, char c);
void wd_buf_printf(wd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "" when empty, never NULL. */
const char *wd_buf_cstr(const wd_buf *b);
void wd_buf_clear(wd_buf *b);
void wd_buf_free(wd_buf *b);

#endif
