/* error.c: the thread-local last error. Messages are copied into fixed per-thread buffers so
 * recording an error never allocates and can therefore report WD_ENOMEM too. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { MSG_MAX = 512, ID_MAX = 16, FILE_MAX = 512 };

typedef struct {
    wd_error pub;
    char message[MSG_MAX];
    char id[ID_MAX];
    char file[FILE_MAX];
} error_slot;

static _Thread_local error_slot last = {{WD_OK, "", "", "", 0, 0}, "", "", ""};

static void copy_field(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

int wd_error_set(int code, const char *id, const char *file, unsigned line, unsigned column,
                 const char *fmt, ...)
{
    /* Format into a local buffer first: callers may pass the stored message (or id, or file) as
     * an argument to wrap it, and vsnprintf must never read the buffer it writes. */
    char message[MSG_MAX], idbuf[ID_MAX], filebuf[FILE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
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
    return code;
}

const wd_error *wd_error_last(void)
{
    if (!last.pub.message)
        last.pub = (wd_error){WD_OK, "", "", "", 0, 0};
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
