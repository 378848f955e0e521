#include "util/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(wd_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (extra > SIZE_MAX - b->len - 1) {
        b->oom = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

bool wd_buf_reserve(wd_buf *b, size_t extra)
{
    return reserve(b, extra);
}

void wd_buf_append(wd_buf *b, const char *data, size_t len)
{
    if (!reserve(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void wd_buf_puts(wd_buf *b, const char *s)
{
    wd_buf_append(b, s, strlen(s));
}

void wd_buf_putc(wd_buf *b, char c)
{
    wd_buf_append(b, &c, 1);
}

void wd_buf_printf(wd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= 0 && reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    } else if (n < 0) {
        b->oom = true;
    }
    va_end(ap2);
}

const char *wd_buf_cstr(const wd_buf *b)
{
    return b->data ? b->data : "";
}

void wd_buf_clear(wd_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void wd_buf_free(wd_buf *b)
{
    free(b->data);
    *b = (wd_buf)WD_BUF_INIT;
}
