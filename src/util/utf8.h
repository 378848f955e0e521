/* utf8.h (internal): strict UTF-8 validation (no overlongs, no surrogates, nothing above
 * U+10FFFF) and mapping byte offsets to 1-based line and column for error messages. */
#ifndef WD_UTIL_UTF8_H
#define WD_UTIL_UTF8_H

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Returns true when data[0..len) is valid UTF-8 with no NUL byte; otherwise false with
 * *bad_offset set to the first offending byte. */
bool wd_utf8_valid(const char *data, size_t len, size_t *bad_offset);

/* Line and column (both 1-based, column counted in characters) of a byte offset. */
void wd_utf8_position(const char *data, size_t offset, unsigned *line, unsigned *column);

/* Appends data[0..len) to out as valid UTF-8 for display and records: valid characters are
 * copied, every byte that is not part of one (and NUL, and the backslash itself, so the result
 * is unambiguous) becomes the four characters "\xNN".
 * Used where names come from the filesystem, which does not promise UTF-8. */
void wd_utf8_escape(wd_buf *out, const char *data, size_t len);

/* Writes data[0..len) to out (size bytes, NUL-terminated, size > 0) as text a one-line message
 * or an audit record can carry: valid UTF-8 as it is; control characters (C0, NUL included,
 * and DEL) as "\xNN", and every byte above 0x7f too when data is not valid UTF-8. Cut only
 * between whole characters and whole escapes; *cut (unless NULL) says whether anything was
 * left out. For text from a plugin: nothing it writes can start a line or move a terminal's
 * cursor where warden shows or records it. Returns out. */
const char *wd_utf8_printable(const char *data, size_t len, char *out, size_t size, bool *cut);

/* Replaces, in place, every byte of the NUL-terminated s that is not part of a valid UTF-8
 * character with '?': for text cut to fit a buffer, or quoting what a client sent. */
void wd_utf8_sanitize(char *s);

#endif
