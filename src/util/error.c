/* error.c: the thread-local last error. Messages are copied into fixed per-thread buffers so
 * recording an error never allocates and can therefore report WD_ENOMEM too. */
#include "util/error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { MSG_MAX = 512, ID_MAX = 16, FILE_MAX = 512 };

typedef struct {
    wd_error pub;
    char message[MSG_MAX];
    char id[ID_MAX];
    char file[FILE_MAX];
} error_slot;

static _Thread_local error_slot last = {
    .pub = {.code = WD_OK, .id = "", .message = "", .file = "", .kind = WD_KIND_NONE},
};

/* What a code means to its caller, unless the raiser says more (error.h). */
static const wd_error_kind code_kind[] = {
    [-WD_EINVAL] = WD_KIND_INVALID,   [-WD_ENOMEM] = WD_KIND_INTERNAL,
    [-WD_EIO] = WD_KIND_INTERNAL,     [-WD_EPOLICY] = WD_KIND_INVALID,
    [-WD_ERANGE] = WD_KIND_TOO_LARGE, [-WD_ENOTFOUND] = WD_KIND_NOT_FOUND,
    [-WD_EPERM] = WD_KIND_FORBIDDEN,  [-WD_EBUSY] = WD_KIND_CONFLICT,
    [-WD_ESTATE] = WD_KIND_CONFLICT,  [-WD_ESANDBOX] = WD_KIND_INTERNAL,
};

static const char *const kind_names[WD_KIND_COUNT] = {
    [WD_KIND_NONE] = "none",           [WD_KIND_INVALID] = "invalid",
    [WD_KIND_NOT_FOUND] = "not_found", [WD_KIND_FORBIDDEN] = "forbidden",
    [WD_KIND_CONFLICT] = "conflict",   [WD_KIND_TOO_LARGE] = "too_large",
    [WD_KIND_THROTTLED] = "throttled", [WD_KIND_UNAVAILABLE] = "unavailable",
    [WD_KIND_INTERNAL] = "internal",
};

wd_error_kind wd_error_kind_of(int code)
{
    if (code >= 0)
        return WD_KIND_NONE;
    if ((size_t) - (long)code >= sizeof(code_kind) / sizeof(*code_kind) || !code_kind[-code])
        return WD_KIND_INTERNAL;
    return code_kind[-code];
}

const char *wd_error_kind_name(wd_error_kind kind)
{
    return (unsigned)kind < WD_KIND_COUNT ? kind_names[kind] : "?";
}

wd_error_kind wd_error_kind_outage(int code)
{
    wd_error_kind k = wd_error_kind_of(code);
    return k == WD_KIND_INTERNAL ? WD_KIND_UNAVAILABLE : k;
}

static void copy_field(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static int record(wd_error_kind kind, int code, const char *id, const char *file, unsigned line,
                  unsigned column, const char *fmt, va_list ap)
    __attribute__((format(printf, 7, 0)));

static int record(wd_error_kind kind, int code, const char *id, const char *file, unsigned line,
                  unsigned column, const char *fmt, va_list ap)
{
    /* Format into a local buffer first: callers may pass the stored message (or id, or file) as
     * an argument to wrap it, and vsnprintf must never read the buffer it writes. */
    char message[MSG_MAX], idbuf[ID_MAX], filebuf[FILE_MAX];
    vsnprintf(message, sizeof(message), fmt, ap);
    copy_field(idbuf, sizeof(idbuf), id);
    copy_field(filebuf, sizeof(filebuf), file);
    memcpy(last.message, message, sizeof(message));
    /* One line only: a message must never break the "FILE:LINE:COL: ..." format. */
    for (char *p = last.message; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    memcpy(last.id, idbuf, sizeof(idbuf));
    memcpy(last.file, filebuf, sizeof(filebuf));
    last.pub.code = code;
    last.pub.id = last.id;
    last.pub.message = last.message;
    last.pub.file = last.file;
    last.pub.line = line;
    last.pub.column = column;
    last.pub.kind = code < 0 ? kind : WD_KIND_NONE;
    return code;
}

int wd_error_set(int code, const char *id, const char *file, unsigned line, unsigned column,
                 const char *fmt, ...)
{
    /* A wrapper re-recording the current error (its own stored id passed back, the code kept)
     * adds words, not a new meaning: the kind it was raised with stays. */
    bool rewrap = id == last.id && code == last.pub.code && code < 0;
    wd_error_kind kind = rewrap ? last.pub.kind : wd_error_kind_of(code);
    va_list ap;
    va_start(ap, fmt);
    int rc = record(kind, code, id, file, line, column, fmt, ap);
    va_end(ap);
    return rc;
}

int wd_error_raise(wd_error_kind kind, int code, const char *id, const char *file, unsigned line,
                   unsigned column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = record(kind, code, id, file, line, column, fmt, ap);
    va_end(ap);
    return rc;
}

const wd_error *wd_error_last(void)
{
    if (!last.pub.message)
        last.pub = (wd_error){.code = WD_OK, .id = "", .message = "", .file = ""};
    return &last.pub;
}

void wd_error_clear(void)
{
    wd_error_set(WD_OK, "", NULL, 0, 0, "%s", "");
}

const char *wd_strerror(int code)
{
    switch (code) {
    case WD_OK:
        return "WD_OK";
    case WD_EINVAL:
        return "WD_EINVAL";
    case WD_ENOMEM:
        return "WD_ENOMEM";
    case WD_EIO:
        return "WD_EIO";
    case WD_EPOLICY:
        return "WD_EPOLICY";
    case WD_ERANGE:
        return "WD_ERANGE";
    case WD_ENOTFOUND:
        return "WD_ENOTFOUND";
    case WD_EPERM:
        return "WD_EPERM";
    case WD_EBUSY:
        return "WD_EBUSY";
    case WD_ESTATE:
        return "WD_ESTATE";
    case WD_ESANDBOX:
        return "WD_ESANDBOX";
    default:
        return "WD_E?";
    }
}
