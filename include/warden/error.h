/* error.h: the last error of the calling thread.
 *
 * When a libwarden function returns a negative code it also records, for the calling thread only,
 * a one-line message, a stable id (such as "WD-P008") where one applies, and the location in an
 * input file where there is one. The record stays until the next failing call on that thread or
 * wd_error_clear(). The pointers returned stay valid until then. */
#ifndef WARDEN_ERROR_H
#define WARDEN_ERROR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int code;            /* WD_E*; WD_OK when no error was recorded */
    const char *id;      /* stable id ("WD-P008"), or "" */
    const char *message; /* one line, no trailing newline */
    const char *file;    /* input file the error is about, or "" */
    unsigned line;       /* 1-based; 0 when unknown */
    unsigned column;     /* 1-based; 0 when unknown */
} wd_error;

WD_EXPORT const wd_error *wd_error_last(void);
WD_EXPORT void wd_error_clear(void);

#ifdef __cplusplus
}
#endif
#endif
