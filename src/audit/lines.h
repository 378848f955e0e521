/* lines.h (internal): walking the lines of a log directory's segments in order. */
#ifndef WD_AUDIT_LINES_H
#define WD_AUDIT_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int dirfd;
    uint32_t *segs;
    size_t nsegs, idx;
    char *data;
    size_t len, off;
} wd_lines;

/* Opens a log directory for reading. */
int wd_lines_open(wd_lines *it, const char *dir);
/* The next line: 1 with *line and *len set (no newline), and *torn when it has no newline:
 * at the very end of the log that is a write cut short; anywhere else (it->idx < it->nsegs
 * afterwards) it is damage. 0 at the end; negative on an I/O error. */
int wd_lines_next(wd_lines *it, const char **line, size_t *len, bool *torn);
/* Whether the walker has returned the last line of the last segment. */
bool wd_lines_at_end(const wd_lines *it);
/* A second walker starting where this one stands (for looking ahead). */
int wd_lines_fork(const wd_lines *it, wd_lines *out);
void wd_lines_close(wd_lines *it);

#endif
