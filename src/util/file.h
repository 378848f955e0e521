/* file.h (internal): reading a whole input file with a size bound. */
#ifndef WD_UTIL_FILE_H
#define WD_UTIL_FILE_H

#include <stddef.h>

/* Reads a regular file of at most max bytes into a new NUL-terminated buffer (*out, *len).
 * Refuses FIFOs, devices and directories, which could block or never end. Returns 0,
 * WD_ENOTFOUND, WD_EIO (with errno's text) or WD_ERANGE (larger than max); records the error
 * with the given stable ids for "cannot read" and "too large". */
int wd_file_read(const char *path, size_t max, char **out, size_t *len, const char *io_id,
                 const char *size_id);

/* Writes all n bytes (retrying short writes and EINTR). Returns 0 or -1 with errno set. */
int wd_write_all(int fd, const void *data, size_t n);

/* The executable name in this program's own directory, or in one of up to `up` directories
 * above it (a build tree keeps tools one level apart): a malloc'd path, or NULL. */
char *wd_file_beside_self(const char *name, int up);

#endif
