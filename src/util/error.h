/* error.h (internal): recording the calling thread's last error. */
#ifndef WD_UTIL_ERROR_H
#define WD_UTIL_ERROR_H

#include "warden/error.h"

/* Records an error for wd_error_last() and returns code, so callers can write
 *     return wd_error_set(WD_EINVAL, "", NULL, 0, 0, "path must be absolute: %s", path);
 * The error takes the kind of its code (wd_error_kind_of), except that re-recording the current
 * error under the same code and its own id (a wrapper passing wd_error_last()->id back, with a
 * new message or location) keeps the kind it was raised with. */
int wd_error_set(int code, const char *id, const char *file, unsigned line, unsigned column,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* As wd_error_set, for an error whose kind is not its code's: the raiser knows what the caller
 * should do (WD_KIND_THROTTLED for a throttle that is WD_EBUSY, say). */
int wd_error_raise(wd_error_kind kind, int code, const char *id, const char *file, unsigned line,
                   unsigned column, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* The kind of an error raised by a dependency whose failure stops everything that needs it (the
 * audit log): what would be an internal failure is WD_KIND_UNAVAILABLE, other kinds stay. */
wd_error_kind wd_error_kind_outage(int code);

/* Shorthand for an error with no id and no location. */
#define wd_fail(code, ...) wd_error_set((code), "", NULL, 0, 0, __VA_ARGS__)

#endif
