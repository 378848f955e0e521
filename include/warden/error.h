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

/* What the caller should do about an error. The code says what went wrong; the kind says what
 * to do about it, and is what front ends (HTTP statuses, exit statuses) decide on. Most errors
 * take the kind of their code (wd_error_kind_of); a few say more where they are raised: an
 * override approver's throttle (WD_EBUSY, WD-O005) is THROTTLED, a tenant in lockdown
 * (WD_ESTATE, WD-T006) and an audit log that cannot record (WD-Annn) are UNAVAILABLE. */
typedef enum {
    WD_KIND_NONE = 0,    /* no error */
    WD_KIND_INVALID,     /* the request or input is malformed: fix it, then retry */
    WD_KIND_NOT_FOUND,   /* the named thing does not exist */
    WD_KIND_FORBIDDEN,   /* refused: a permission, a wrong secret or code */
    WD_KIND_CONFLICT,    /* the current state does not allow it (exists, locked, differs) */
    WD_KIND_TOO_LARGE,   /* a size or count limit was exceeded */
    WD_KIND_THROTTLED,   /* refused for now: wait, then retry */
    WD_KIND_UNAVAILABLE, /* nothing of the kind can be done until an operator repairs something */
    WD_KIND_INTERNAL,    /* warden or the system failed (memory, I/O, a plugin) */
    WD_KIND_COUNT
} wd_error_kind;

typedef struct {
    int code;            /* WD_E*; WD_OK when no error was recorded */
    const char *id;      /* stable id ("WD-P008"), or "" */
    const char *message; /* one line, no trailing newline */
    const char *file;    /* input file the error is about, or "" */
    unsigned line;       /* 1-based; 0 when unknown */
    unsigned column;     /* 1-based; 0 when unknown */
    wd_error_kind kind;  /* what the caller should do; WD_KIND_NONE when code is WD_OK */
} wd_error;

WD_EXPORT const wd_error *wd_error_last(void);
WD_EXPORT void wd_error_clear(void);

/* The kind an error of this code has unless its raiser says otherwise: WD_KIND_INTERNAL for an
 * unknown negative code, WD_KIND_NONE for WD_OK (or any non-negative value). */
WD_EXPORT wd_error_kind wd_error_kind_of(int code);

/* A short, stable name for a kind ("throttled"), or "?" for an unknown one. */
WD_EXPORT const char *wd_error_kind_name(wd_error_kind kind);

#ifdef __cplusplus
}
#endif
#endif
