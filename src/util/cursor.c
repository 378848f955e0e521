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

bool wd_cursor_hex(wd_cursor *c, uint8_t *out, size_t bytes)
{
    if (wd_cursor_left(c) < 2 * bytes)
        return false;
    for (size_t i = 0; i < 2 * bytes; i++) {
        char ch = c->p[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    for (size_t i = 0; i < bytes; i++) {
        char hi = c->p[2 * i], lo = c->p[2 * i + 1];
        int h = hi <= '9' ? hi - '0' : hi - 'a' + 10, l = lo <= '9' ? lo - '0' : lo - 'a' + 10;
        out[i] = (uint8_t)(h << 4 | l);
    }
    c->p += 2 * bytes;
    return true;
}
