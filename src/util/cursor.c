#include "util/cursor.h"

bool wd_cursor_u64(wd_cursor *c, uint64_t *out)
{
    const char *p = c->p;
    if (p == c->end || *p < '0' || *p > '9')
        return false;
    if (*p == '0') {
        if (p + 1 < c->end && p[1] >= '0' && p[1] <= '9')
            return false;
        *out = 0;
        c->p = p + 1;
        return true;
    }
    uint64_t v = 0;
    while (p < c->end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        p++;
    }
    *out = v;
    c->p = p;
    return true;
}

/* Lowercase hex digit values plus one; 0 for anything else. One table lookup per digit and one
 * test at the end keep the loop free of unpredictable branches (verifying a log decodes 128
 * digits per record). */
static const uint8_t hex_lower[256] = {
    ['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

bool wd_cursor_hex(wd_cursor *c, uint8_t *out, size_t bytes)
{
    if (wd_cursor_left(c) < 2 * bytes)
        return false;
    const unsigned char *p = (const unsigned char *)c->p;
    bool bad = false;
    for (size_t i = 0; i < bytes; i++) {
        uint8_t hi = hex_lower[p[2 * i]], lo = hex_lower[p[2 * i + 1]];
        bad |= (hi == 0) | (lo == 0);
        out[i] = (uint8_t)((hi - 1) << 4 | ((lo - 1) & 0x0F));
    }
    if (bad)
        return false;
    c->p += 2 * bytes;
    return true;
}
