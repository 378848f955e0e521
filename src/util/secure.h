/* secure.h (internal): wiping secrets, and hex encoding for keys and digests. */
#ifndef WD_UTIL_SECURE_H
#define WD_UTIL_SECURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Zeroes memory in a way the compiler may not optimise away. */
void wd_wipe(void *p, size_t len);

/* Lowercase hex of len bytes into out (2 * len + 1 bytes, NUL-terminated). */
void wd_hex_encode(const uint8_t *in, size_t len, char *out);
/* Exactly 2 * len lowercase or uppercase hex digits -> len bytes. False on anything else. */
bool wd_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t len);

#endif
