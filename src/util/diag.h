/* diag.h (internal): appending to a diagnostics list. */
#ifndef WD_UTIL_DIAG_H
#define WD_UTIL_DIAG_H

#include "warden/diag.h"

/* Appends an entry (a NULL list is allowed and ignored). Returns 0 or WD_ENOMEM. */
int wd_diag_add(wd_diagnostics *diags, wd_diag_severity severity, const char *id, const char *file,
                unsigned line, unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Sorts the entries from index first on by line, then column (stable), so a file's
 * diagnostics read top to bottom whatever order the checks ran in. */
void wd_diag_sort(wd_diagnostics *diags, size_t first);

#endif
