/* segments.h (internal): the files of a log directory. */
#ifndef WD_AUDIT_SEGMENTS_H
#define WD_AUDIT_SEGMENTS_H

#include <stddef.h>
#include <stdint.h>

#define WD_SEGMENT_NAME_LEN 32

/* "audit-00000001.jsonl" */
void wd_segment_name(uint32_t n, char out[static WD_SEGMENT_NAME_LEN]);
/* The segment numbers present in the directory, ascending (only exact segment names count:
 * torn fragments and the lock file are not segments). *out is malloc'd (NULL when none). */
int wd_segments_list(int dirfd, const char *dir, uint32_t **out, size_t *count);
/* Reads a whole segment (at most max bytes) into a malloc'd buffer. */
int wd_segment_read(int dirfd, uint32_t n, size_t max, char **data, size_t *len);

#endif
