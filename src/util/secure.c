#include "util/secure.h"

#include "util/ascii.h"

#include <string.h>

void wd_wipe(void *p, size_t len)
{
    if (p && len)
        explicit_bzero(p, len);
}

void wd_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

bool wd_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t len)
{
    if (in_len != 2 * len)
        return false;
    for (size_t i = 0; i < len; i++) {
        int hi = wd_hex_value(in[2 * i]), lo = wd_hex_value(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}
