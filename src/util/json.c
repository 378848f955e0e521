/* json.c: strict JSON scanning. Used on untrusted input (audit logs being verified, HTTP
 * bodies), so every path is bounded by the cursor and by WD_JSON_MAX_DEPTH. */
#include "util/json.h"

#include <stdlib.h>

#include "util/ascii.h"
#include "util/utf8.h"

static void skip_ws(wd_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = wd_hex_value(p[i]);
        if (h < 0)
            return false;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return true;
}

bool wd_json_string(wd_cursor *c, const char **raw, size_t *raw_len)
{
    const char *p = c->p;
    if (p == c->end || *p != '"')
        return false;
    p++;
    const char *start = p;
    while (p < c->end && *p != '"') {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x20)
            return false;
        if (ch == '\\') {
            if (c->end - p < 2)
                return false;
            char e = p[1];
            if (e == 'u') {
                unsigned u;
                if (c->end - p < 6 || !hex4(p + 2, &u))
                    return false;
                p += 6;
                if (u >= 0xD800 && u <= 0xDBFF) { /* a high surrogate needs its low half */
                    unsigned lo;
                    if (c->end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return false;
                    p += 6;
                } else if (u >= 0xDC00 && u <= 0xDFFF) {
                    return false;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return false;
            p += 2;
            continue;
        }
        if (ch >= 0x80) { /* one whole UTF-8 character */
            size_t n = ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : 2, bad;
            if ((size_t)(c->end - p) < n || !wd_utf8_valid(p, n, &bad))
                return false;
            p += n;
            continue;
        }
        p++;
    }
    if (p == c->end)
        return false;
    *raw = start;
    *raw_len = (size_t)(p - start);
    c->p = p + 1;
    return true;
}

static bool skip_number(wd_cursor *c)
{
    const char *p = c->p;
    if (p < c->end && *p == '-')
        p++;
    if (p == c->end)
        return false;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < c->end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return false;
    }
    if (p < c->end && *p == '.') {
        p++;
        if (p == c->end || *p < '0' || *p > '9')
            return false;
        while (p < c->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < c->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < c->end && (*p == '+' || *p == '-'))
            p++;
        if (p == c->end || *p < '0' || *p > '9')
            return false;
        while (p < c->end && *p >= '0' && *p <= '9')
            p++;
    }
    c->p = p;
    return true;
}

static bool skip_value(wd_cursor *c, int depth)
{
    skip_ws(c);
    if (c->p == c->end)
        return false;
    const char *raw;
    size_t len;
    switch (*c->p) {
    case '"':
        return wd_json_string(c, &raw, &len);
    case 't':
        return WD_CURSOR_LIT(c, "true");
    case 'f':
        return WD_CURSOR_LIT(c, "false");
    case 'n':
        return WD_CURSOR_LIT(c, "null");
    case '[':
    case '{': {
        if (depth >= WD_JSON_MAX_DEPTH)
            return false;
        bool object = *c->p == '{';
        char close = object ? '}' : ']';
        c->p++;
        skip_ws(c);
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return true;
        }
        for (;;) {
            if (object) {
                skip_ws(c);
                if (!wd_json_string(c, &raw, &len))
                    return false;
                skip_ws(c);
                if (!WD_CURSOR_LIT(c, ":"))
                    return false;
            }
            if (!skip_value(c, depth + 1))
                return false;
            skip_ws(c);
            if (c->p == c->end)
                return false;
            if (*c->p == ',') {
                c->p++;
                continue;
            }
            if (*c->p != close)
                return false;
            c->p++;
            return true;
        }
    }
    default:
        return skip_number(c);
    }
}

bool wd_json_skip(wd_cursor *c)
{
    return skip_value(c, 0);
}

bool wd_json_compact_object(const char *in, size_t len, wd_buf *out)
{
    wd_cursor c = wd_cursor_make(in, len);
    skip_ws(&c);
    if (c.p == c.end || *c.p != '{')
        return false;
    const char *start = c.p;
    if (!wd_json_skip(&c))
        return false;
    const char *stop = c.p;
    skip_ws(&c);
    if (c.p != c.end)
        return false;
    /* Valid: copy it without the white space outside strings. */
    bool in_string = false;
    const char *run = start;
    for (const char *p = start; p < stop; p++) {
        if (in_string) {
            if (*p == '\\')
                p++;
            else if (*p == '"')
                in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            wd_buf_append(out, run, (size_t)(p - run));
            run = p + 1;
        }
    }
    wd_buf_append(out, run, (size_t)(stop - run));
    return !out->oom;
}

static void put_utf8(wd_buf *out, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    wd_buf_append(out, b, n);
}

void wd_json_unescape(const char *raw, size_t len, wd_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        if (raw[i] != '\\' || i + 1 >= len) {
            wd_buf_putc(out, raw[i]);
            continue;
        }
        char e = raw[++i];
        unsigned u, lo;
        switch (e) {
        case 'b':
            wd_buf_putc(out, '\b');
            break;
        case 'f':
            wd_buf_putc(out, '\f');
            break;
        case 'n':
            wd_buf_putc(out, '\n');
            break;
        case 'r':
            wd_buf_putc(out, '\r');
            break;
        case 't':
            wd_buf_putc(out, '\t');
            break;
        case 'u':
            if (i + 4 >= len || !hex4(raw + i + 1, &u))
                return;
            i += 4;
            if (u >= 0xD800 && u <= 0xDBFF && i + 6 < len + 0 && raw[i + 1] == '\\' &&
                raw[i + 2] == 'u' && hex4(raw + i + 3, &lo)) {
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            put_utf8(out, u);
            break;
        default:
            wd_buf_putc(out, e);
            break;
        }
    }
}

void wd_json_quote(wd_buf *out, const char *s, size_t len)
{
    static const char hexd[] = "0123456789abcdef";
    wd_buf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        if (ch == '"')
            esc = "\\\"";
        else if (ch == '\\')
            esc = "\\\\";
        else if (ch == '\n')
            esc = "\\n";
        else if (ch == '\r')
            esc = "\\r";
        else if (ch == '\t')
            esc = "\\t";
        else if (ch == '\b')
            esc = "\\b";
        else if (ch == '\f')
            esc = "\\f";
        else if (ch < 0x20) {
            u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0', u[4] = hexd[ch >> 4];
            u[5] = hexd[ch & 15], u[6] = '\0';
            esc = u;
        }
        if (esc) {
            wd_buf_append(out, s + run, i - run);
            wd_buf_puts(out, esc);
            run = i + 1;
        }
    }
    wd_buf_append(out, s + run, len - run);
    wd_buf_putc(out, '"');
}

typedef struct {
    const char *raw;
    size_t len;
} key_span;

static bool same_key(key_span a, key_span b)
{
    if (!memchr(a.raw, '\\', a.len) && !memchr(b.raw, '\\', b.len))
        return a.len == b.len && !memcmp(a.raw, b.raw, a.len);
    wd_buf x = WD_BUF_INIT, y = WD_BUF_INIT;
    wd_json_unescape(a.raw, a.len, &x);
    wd_json_unescape(b.raw, b.len, &y);
    bool same =
        !x.oom && !y.oom && x.len == y.len && !memcmp(wd_buf_cstr(&x), wd_buf_cstr(&y), x.len);
    wd_buf_free(&x);
    wd_buf_free(&y);
    return same;
}

/* Walks one value of already validated JSON, checking each object's keys. */
static bool unique_value(wd_cursor *c, int depth)
{
    skip_ws(c);
    if (c->p == c->end)
        return false;
    if (*c->p != '{' && *c->p != '[')
        return wd_json_skip(c);
    if (depth >= WD_JSON_MAX_DEPTH)
        return false;
    bool object = *c->p == '{';
    char close = object ? '}' : ']';
    c->p++;
    key_span *keys = NULL;
    size_t n = 0;
    bool ok = true;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return true;
    }
    while (ok) {
        if (object) {
            key_span k;
            skip_ws(c);
            ok = wd_json_string(c, &k.raw, &k.len);
            for (size_t i = 0; ok && i < n; i++)
                ok = !same_key(keys[i], k);
            if (ok && n == WD_JSON_MAX_KEYS)
                ok = false;
            if (ok && n % 16 == 0) {
                key_span *more = realloc(keys, (n + 16) * sizeof(*keys));
                ok = more != NULL;
                if (ok)
                    keys = more;
            }
            if (ok)
                keys[n++] = k;
            skip_ws(c);
            ok = ok && WD_CURSOR_LIT(c, ":");
        }
        ok = ok && unique_value(c, depth + 1);
        skip_ws(c);
        if (!ok || c->p == c->end)
            break;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        ok = *c->p == close;
        c->p++;
        break;
    }
    free(keys);
    return ok;
}

bool wd_json_unique_keys(const char *json, size_t len)
{
    wd_cursor c = wd_cursor_make(json, len);
    return unique_value(&c, 0);
}
