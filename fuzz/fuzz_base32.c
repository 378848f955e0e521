/* fuzz_base32.c: the input as base32 text to wd_base32_decode() (secrets pasted by people), and
 * as bytes to encode. Aborts when a promise of override.h breaks: what decodes re-encodes to the
 * same letters (upper-cased, spaces and padding dropped); a refusal is WD_EINVAL or WD_ERANGE
 * with a reason; every encoding decodes back to its bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warden/error.h"
#include "warden/override.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    static uint8_t dec[4096];
    static char enc[8192], canon[8192];
    size_t n;
    int rc = wd_base32_decode((const char *)data, size, dec, sizeof(dec), &n);
    if (rc == 0) {
        size_t c = 0;
        for (size_t i = 0; i < size; i++) {
            char ch = (char)data[i];
            if (ch == ' ' || ch == '=')
                continue;
            canon[c++] = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
        }
        canon[c] = 0;
        if (wd_base32_encode(dec, n, enc, sizeof(enc)) != 0 || strcmp(enc, canon) != 0)
            abort();
    } else if ((rc != WD_EINVAL && rc != WD_ERANGE) || !*wd_error_last()->message) {
        abort();
    }
    /* The other direction: any bytes encode and decode back. */
    if (wd_base32_encode(data, size, enc, sizeof(enc)) != 0)
        abort();
    if (wd_base32_decode(enc, strlen(enc), dec, sizeof(dec), &n) != 0 || n != size ||
        memcmp(dec, data, size) != 0)
        abort();
    return 0;
}
