#include "util/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

bool wd_utf8_valid(const char *data, size_t len, size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c >= 0x01 && c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            *bad_offset = i; /* NUL, stray continuation byte, C0/C1 lead or > F4 */
            return false;
        }
        if (len - i <= need) {
            *bad_offset = i;
            return false;
        }
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                *bad_offset = i;
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            *bad_offset = i;
            return false;
        }
        i += need + 1;
    }
    return true;
}

void wd_utf8_position(const char *data, size_t offset, unsigned *line, unsigned *column)
{
    unsigned l = 1, c = 1;
    for (size_t i = 0; i < offset; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

void wd_utf8_escape(wd_buf *out, const char *data, size_t len)
{
    size_t done = 0, bad;
    while (done < len) {
        size_t run = len - done;
        if (!wd_utf8_valid(data + done, run, &bad))
            run = bad;
        /* within the valid run, a backslash is escaped too, so "\\xFF" typed by hand and the
         * byte 0xFF never print the same */
        const char *bs = memchr(data + done, '\\', run);
        if (bs)
            run = (size_t)(bs - (data + done));
        wd_buf_append(out, data + done, run);
        done += run;
        if (done < len) {
            wd_buf_printf(out, "\\x%02X", (unsigned char)data[done]);
            done++;
        }
    }
}

const char *wd_utf8_printable(const char *data, size_t len, char *out, size_t size, bool *cut)
{
    size_t bad, o = 0, i = 0, keep = size - 1;
    bool utf8 = wd_utf8_valid(data, len, &bad);
    while (i < len) {
        unsigned char c = (unsigned char)data[i];
        size_t take = 1, need = 1;
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
            need = 4;
        else if (c >= 0x80)
            take = need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (o + need > keep)
            break;
        if (need == 4 && take == 1)
            snprintf(out + o, 5, "\\x%02x", c);
        else
            memcpy(out + o, data + i, take);
        o += need;
        i += take;
    }
    out[o] = 0;
    if (cut)
        *cut = i < len;
    return out;
}

void wd_utf8_sanitize(char *s)
{
    size_t len = strlen(s), off = 0, bad;
    while (off < len && !wd_utf8_valid(s + off, len - off, &bad)) {
        s[off + bad] = '?';
        off += bad + 1;
    }
}
