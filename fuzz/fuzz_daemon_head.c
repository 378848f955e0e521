/* fuzz_daemon_head.c: the strict request head check (daemon/head.h) on arbitrary bytes. It
 * never reads past the bytes it is given (each input sits in an allocation of its exact size),
 * a head it passes is whole and decided on its own bytes, and a passed head holds nothing a
 * second reader could parse differently: CRLF lines only, no control byte but HTAB, no line
 * starting with whitespace, at most one Content-Length and no Transfer-Encoding. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/head.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool starts(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n > k && strncasecmp(line, name, k) == 0 && line[k] == ':';
}

/* The invariants of a passed head, checked independently of the parser. */
static void check_passed(const char *h, size_t len)
{
    if (len < 4 || memcmp(h + len - 4, "\r\n\r\n", 4) != 0)
        abort();
    const char *first = strstr(h, "\r\n\r\n"); /* h is NUL-free, see below */
    if (!first || (size_t)(first - h) != len - 4)
        abort();
    unsigned cl = 0;
    size_t pos = 0;
    for (unsigned line = 0; pos < len - 2; line++) {
        const char *e = strstr(h + pos, "\r\n");
        size_t n = (size_t)(e - (h + pos));
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)h[pos + i];
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                abort();
        }
        if (line > 0 && n && (h[pos] == ' ' || h[pos] == '\t'))
            abort();
        if (line > 0 && starts(h + pos, n, "transfer-encoding"))
            abort();
        if (line > 0 && starts(h + pos, n, "content-length"))
            cl++;
        pos += n + 2;
    }
    if (cl > 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    size_t maxes[] = {size + 1, size / 2 + 1, 1024};
    for (size_t m = 0; m < sizeof(maxes) / sizeof(*maxes); m++) {
        wdd_head h;
        wdd_head_result r = wdd_head_check(buf, size, maxes[m], &h);
        if (r == WDD_HEAD_BAD || r == WDD_HEAD_TOO_LARGE) {
            if (!h.why)
                abort();
            continue;
        }
        if (r != WDD_HEAD_OK)
            continue;
        if (h.len > size || h.len > maxes[m] || memchr(buf, '\0', h.len))
            abort();
        if (h.auth && (h.auth < buf || h.auth + h.auth_len > buf + h.len))
            abort();
        /* Decided on the head alone. */
        char *head = malloc(h.len + 1);
        if (!head)
            break;
        memcpy(head, buf, h.len);
        head[h.len] = '\0';
        wdd_head again;
        if (wdd_head_check(head, h.len, maxes[m], &again) != WDD_HEAD_OK || again.len != h.len ||
            again.content_length != h.content_length)
            abort();
        check_passed(head, h.len);
        free(head);
    }
    free(buf);
    return 0;
}
