/* text.h (internal): what every text format warden reads (policies, contracts, wardend's
 * configuration) goes through before its parser sees a byte: a UTF-8 byte order mark is taken
 * off, and anything that is not UTF-8 without NUL is refused with a diagnostic that points at
 * the first bad byte. */
#ifndef WD_UTIL_TEXT_H
#define WD_UTIL_TEXT_H

#include <stddef.h>

#include "warden/diag.h"

/* Where the text comes from, as its diagnostic names it. */
typedef struct {
    const char *id;      /* the format's stable id for "not UTF-8" (WD-P004, WD-C003, WD-L004) */
    const char *display; /* the file, as diagnostics name it */
    /* What a NUL byte is found in ("policy text"): an invalid byte is then reported with its
     * value, a NUL byte as such. NULL: one message for both, "not valid UTF-8, or a NUL byte". */
    const char *what;
} wd_text_source;

/* Checks data[0..len) and, when it starts with a byte order mark, moves *data and *len past it
 * (YAML 1.2 permits one and editors write it; columns on line 1 count from after it). Returns
 * 0, or WD_EPOLICY after adding one error to diags. */
int wd_text_check(const char **data, size_t *len, const wd_text_source *src, wd_diagnostics *diags);

#endif
