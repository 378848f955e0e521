/* path.h (internal): lexical path handling. Nothing here touches the filesystem: symlinks are
 * the broker's business (it re-checks what it actually opened). */
#ifndef WD_UTIL_PATH_H
#define WD_UTIL_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_PATH_MAX 4096
#define WD_PATH_MAX_SEGMENTS (WD_PATH_MAX / 2)

/* Normalises an absolute path lexically: repeated '/' collapse, '.' segments go, '..' removes
 * the segment before it, a trailing '/' goes (except for "/" itself). out needs strlen(in)+1
 * bytes. Returns 0, or WD_EINVAL when in is empty, relative or longer than WD_PATH_MAX - 1.
 * *escapes is set when a '..' climbs above "/" (out is then unspecified): callers deny such
 * paths rather than clamp them to "/", because clamping hides an attack. */
int wd_path_normalize(const char *in, char *out, size_t out_size, bool *escapes);

/* Splits a normalised absolute path into segments (no empty ones; "/" has none). starts[i] and
 * lens[i] index into path. Returns the count, or -1 when there are more than max segments. */
int wd_path_split(const char *path, uint16_t *starts, uint16_t *lens, int max);

#endif
