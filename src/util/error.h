/* error.h (internal): recording the calling thread's last error. */
#ifndef WD_UTIL_ERROR_H
#define WD_UTIL_ERROR_H

#include "warden/error.h"

/* Records an error for wd_error_last() and returns code, so callers can write
 *     return wd_error_set(WD_EINVAL, "", NULL, 0, 0, "path must be absolute: %s", path); */
int wd_error_set(int code, const char *id, const char *file, unsigned line, unsigned column,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Shorthand for an error with no id and no location. */
#define wd_fail(code, ...) wd_error_set((code), "", NULL, 0, 0, __VA_ARGS__)

#endif
