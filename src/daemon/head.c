/* head.c: the strict request head check (head.h). */
#include <string.h>
#include <strings.h>

#include "daemon/head.h"

static wdd_head_result refuse(wdd_head *h, wdd_head_result r, const char *why)
{
    h->why = why;
    return r;
}

/* RFC 9110 tchar. */
static bool tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool named(const char *p, size_t n, const char *name)
{
    return n == strlen(name) && strncasecmp(p, name, n) == 0;
}

static wdd_head_result request_line(const char *p, size_t n, wdd_head *h, bool *v11)
{
    size_t i = 0;
    while (i < n && tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i > WDD_HEAD_MAX_METHOD || i >= n || p[i] != ' ')
        return refuse(h, WDD_HEAD_BAD,
                      "malformed request line: expected METHOD SP /PATH SP HTTP/1.1");
    size_t t = ++i;
    while (i < n && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7f)
        i++;
    if (i == t || i >= n || p[i] != ' ')
        return refuse(h, WDD_HEAD_BAD,
                      "malformed request line: expected METHOD SP /PATH SP HTTP/1.1");
    if (p[t] != '/')
        return refuse(h, WDD_HEAD_BAD, "the request target must be a path starting with /");
    const char *q = memchr(p + t, '?', i - t);
    if (memchr(p + t, '#', i - t))
        return refuse(h, WDD_HEAD_BAD, "a fragment (#) in the request target");
    if (q) {
        size_t args = 1;
        for (const char *c = q + 1; c < p + i; c++)
            args += *c == '&';
        if (args > WDD_HEAD_MAX_ARGS)
            return refuse(h, WDD_HEAD_BAD, "more than 31 query arguments");
    }
    const char *v = p + i + 1;
    size_t vn = n - i - 1;
    if (vn == 8 && memcmp(v, "HTTP/1.1", 8) == 0)
        *v11 = true;
    else if (!(vn == 8 && memcmp(v, "HTTP/1.0", 8) == 0))
        return refuse(h, WDD_HEAD_BAD, "the protocol must be HTTP/1.1 or HTTP/1.0");
    return WDD_HEAD_MORE;
}

typedef struct {
    bool host, auth;
} seen;

static wdd_head_result field_line(const char *p, size_t n, wdd_head *h, seen *s)
{
    if (p[0] == ' ' || p[0] == '\t')
        return refuse(h, WDD_HEAD_BAD, "a header line starts with whitespace (obs-fold)");
    size_t i = 0;
    while (i < n && tchar((unsigned char)p[i]))
        i++;
    if (i == 0)
        return refuse(h, WDD_HEAD_BAD, "a header line without a field name");
    if (i >= n || p[i] != ':')
        return refuse(h, WDD_HEAD_BAD,
                      i < n && (p[i] == ' ' || p[i] == '\t')
                          ? "whitespace between a field name and its colon"
                          : "a field name holds a byte that is not a token character");
    const char *name = p;
    size_t name_len = i;
    for (size_t k = i + 1; k < n; k++) {
        unsigned char c = (unsigned char)p[k];
        if (c != '\t' && (c < 0x20 || c == 0x7f))
            return refuse(h, WDD_HEAD_BAD, "a control byte in a header value");
    }
    const char *v = p + i + 1, *end = p + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vn = (size_t)(end - v);
    if (named(name, name_len, "transfer-encoding"))
        return refuse(h, WDD_HEAD_BAD,
                      "Transfer-Encoding is not accepted: send the body with one Content-Length");
    if (named(name, name_len, "content-length")) {
        if (h->has_content_length)
            return refuse(h, WDD_HEAD_BAD, "Content-Length more than once");
        if (vn == 0 || vn > 19)
            return refuse(h, WDD_HEAD_BAD, "Content-Length must be one decimal number");
        uint64_t x = 0;
        for (size_t k = 0; k < vn; k++) {
            if (v[k] < '0' || v[k] > '9')
                return refuse(h, WDD_HEAD_BAD, "Content-Length must be one decimal number");
            x = x * 10 + (uint64_t)(v[k] - '0');
        }
        h->has_content_length = true;
        h->content_length = x;
    } else if (named(name, name_len, "authorization")) {
        if (s->auth)
            return refuse(h, WDD_HEAD_BAD, "Authorization more than once");
        s->auth = true;
        h->auth = v;
        h->auth_len = vn;
    } else if (named(name, name_len, "host")) {
        if (s->host)
            return refuse(h, WDD_HEAD_BAD, "Host more than once");
        s->host = true;
    }
    return WDD_HEAD_MORE;
}

wdd_head_result wdd_head_check(const char *buf, size_t len, size_t max, wdd_head *h)
{
    *h = (wdd_head){0};
    size_t lim = len < max ? len : max;
    size_t pos = 0;
    unsigned fields = 0;
    bool v11 = false;
    seen s = {false, false};
    for (unsigned line = 0;; line++) {
        size_t e = pos;
        while (e < lim && buf[e] != '\r' && buf[e] != '\n')
            e++;
        if (e < lim && buf[e] == '\n')
            return refuse(h, WDD_HEAD_BAD, "a line ends with a bare LF");
        if (e + 1 >= lim) /* the line (or its CRLF) is not whole yet */
            return len >= max ? refuse(h, WDD_HEAD_TOO_LARGE,
                                       "the request head is larger than limits.max_header")
                              : WDD_HEAD_MORE;
        if (buf[e + 1] != '\n')
            return refuse(h, WDD_HEAD_BAD, "a bare CR in the request head");
        const char *p = buf + pos;
        size_t n = e - pos;
        pos = e + 2;
        wdd_head_result rc;
        if (line == 0) {
            if (n == 0)
                return refuse(h, WDD_HEAD_BAD, "an empty line before the request line");
            if ((rc = request_line(p, n, h, &v11)) != WDD_HEAD_MORE)
                return rc;
            continue;
        }
        if (n == 0) {
            if (v11 && !s.host)
                return refuse(h, WDD_HEAD_BAD, "an HTTP/1.1 request needs a Host field");
            h->len = pos;
            return WDD_HEAD_OK;
        }
        if (++fields > WDD_HEAD_MAX_FIELDS)
            return refuse(h, WDD_HEAD_TOO_LARGE, "more than 64 header fields");
        if ((rc = field_line(p, n, h, &s)) != WDD_HEAD_MORE)
            return rc;
    }
}
