/* base32.c: RFC 4648 base32, the alphabet authenticator apps use for secrets (override.h). */
#include <stdbool.h>

#include "util/error.h"
#include "warden/override.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int wd_base32_encode(const uint8_t *in, size_t len, char *out, size_t size)
{
    size_t need = (len * 8 + 4) / 5 + 1;
    if (size < need)
        return wd_fail(WD_ERANGE, "base32 of %zu bytes needs %zu bytes of room", len, need);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8 | in[i]) & 0xffff;
        bits += 8;
        while (bits >= 5) {
            out[o++] = alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(acc << (5 - bits)) & 31];
    out[o] = 0;
    return 0;
}

static int value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

int wd_base32_decode(const char *in, size_t in_len, uint8_t *out, size_t size, size_t *out_len)
{
    *out_len = 0;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    bool padding = false;
    for (size_t i = 0; i < in_len; i++) {
        char c = in[i];
        if (c == ' ')
            continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        int v = value(c);
        if (v < 0 || padding)
            return wd_fail(WD_EINVAL, "not base32: %s at offset %zu",
                           padding ? "text after '=' padding" : "a character outside A-Z, 2-7", i);
        acc = (acc << 5 | (uint32_t)v) & 0xffff;
        bits += 5;
        if (bits >= 8) {
            if (o == size)
                return wd_fail(WD_ERANGE, "base32 text decodes to more than %zu bytes", size);
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    /* What is left must be fewer than 5 bits of zero padding (RFC 4648 3.5 canonical form). */
    if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
        return wd_fail(WD_EINVAL, "not base32: the text ends between bytes");
    *out_len = o;
    return 0;
}
