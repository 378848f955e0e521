/* diag.h: diagnostics, the list of every error and warning found in an input file.
 *
 * Lifecycle: wd_diagnostics_new() -> pass to a loader through its options -> read the entries ->
 * wd_diagnostics_free(). A loader appends to the list; it never clears it, so one list can
 * collect the diagnostics of many files. Entries are formatted as
 *     FILE:LINE:COL: error WD-P008: unknown key "acess" in storage rule */
#ifndef WARDEN_DIAG_H
#define WARDEN_DIAG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { WD_DIAG_ERROR = 0, WD_DIAG_WARNING = 1 } wd_diag_severity;

typedef struct {
    wd_diag_severity severity;
    const char *id;      /* stable id: "WD-Pnnn" for errors, "WD-Wnnn" for warnings */
    const char *file;    /* as named by the caller */
    unsigned line;       /* 1-based; 0 when the problem is about the whole file */
    unsigned column;     /* 1-based; 0 when unknown */
    const char *message; /* one line */
} wd_diag;

typedef struct wd_diagnostics wd_diagnostics;

WD_EXPORT int wd_diagnostics_new(wd_diagnostics **out);
WD_EXPORT void wd_diagnostics_free(wd_diagnostics *diags);
WD_EXPORT size_t wd_diagnostics_count(const wd_diagnostics *diags);
WD_EXPORT size_t wd_diagnostics_errors(const wd_diagnostics *diags);
/* The i-th entry, in the order found; NULL when i is out of range. */
WD_EXPORT const wd_diag *wd_diagnostics_get(const wd_diagnostics *diags, size_t i);
/* Formats one entry as "FILE:LINE:COL: error ID: message" into buf (always NUL-terminated).
 * Returns the length the full text needs, like snprintf. */
WD_EXPORT size_t wd_diag_format(const wd_diag *diag, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
