/* common.h: the export macro, the version and the error codes every libwarden function returns.
 *
 * Every function that can fail returns 0 (WD_OK) or one of the negative WD_E* codes below, and
 * records a message, a stable id and a location for wd_error_last() (see error.h). */
#ifndef WARDEN_COMMON_H
#define WARDEN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WD_EXPORT __attribute__((visibility("default")))
#else
#define WD_EXPORT
#endif

#define WD_VERSION_MAJOR 0
#define WD_VERSION_MINOR 1
#define WD_VERSION_PATCH 0
#define WD_VERSION_STRING "0.1.0"

enum {
    WD_OK = 0,
    WD_EINVAL = -1,    /* the caller passed a bad argument or malformed request */
    WD_ENOMEM = -2,    /* out of memory */
    WD_EIO = -3,       /* a file could not be opened, read or written */
    WD_EPOLICY = -4,   /* a policy failed validation; the diagnostics list says where and why */
    WD_ERANGE = -5,    /* a size or count limit was exceeded */
    WD_ENOTFOUND = -6, /* the named thing does not exist */
    WD_EPERM = -7,     /* a secret file is readable by others, or belongs to another user */
    WD_EBUSY = -8,     /* the thing is locked or already exists */
    WD_ESTATE = -9,    /* stored state is damaged or does not match what it describes */
    WD_ESANDBOX = -10, /* a plugin call failed or was contained (WD-Snnn says how) */
};

/* A short, stable name for a WD_E* code ("WD_EINVAL"), or "WD_E?" for an unknown one. */
WD_EXPORT const char *wd_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif
