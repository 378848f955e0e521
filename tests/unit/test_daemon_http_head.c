/* test_daemon_http_head.c: the strict request head check in front of libmicrohttpd
 * (src/daemon/head.c, issue 12 item 9): every smuggling shape is refused with its reason, a
 * head that is not whole yet asks for more, a good one passes with its one Content-Length and
 * its Authorization, and the bounds (size, fields, query arguments) hold at their edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/head.h"

typedef struct {
    const char *name;
    const char *text;
    size_t len; /* 0: strlen */
    wdd_head_result want;
    const char *why; /* a word of the reason, or NULL */
} head_case;

#define H "Host: w\r\n"

static const head_case cases[] = {
    {"plain GET", "GET /health HTTP/1.1\r\n" H "\r\n", 0, WDD_HEAD_OK, NULL},
    {"HTTP/1.0 without Host", "GET /health HTTP/1.0\r\n\r\n", 0, WDD_HEAD_OK, NULL},
    {"POST with a body", "POST /v1/check HTTP/1.1\r\n" H "Content-Length: 12\r\n\r\n{}", 0,
     WDD_HEAD_OK, NULL},
    {"31 arguments",
     "GET /v1/audit?a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1"
     "&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1 HTTP/1.1\r\n" H "\r\n",
     0, WDD_HEAD_OK, NULL},
    {"OWS around a value", "GET / HTTP/1.1\r\nHost:\t w \t\r\n\r\n", 0, WDD_HEAD_OK, NULL},
    {"obs-text in a value", "GET / HTTP/1.1\r\n" H "X-A: \xc3\xa9\r\n\r\n", 0, WDD_HEAD_OK, NULL},
    /* Not whole yet. */
    {"empty", "", 0, WDD_HEAD_MORE, NULL},
    {"half a request line", "GET /hea", 0, WDD_HEAD_MORE, NULL},
    {"no blank line", "GET / HTTP/1.1\r\n" H, 0, WDD_HEAD_MORE, NULL},
    {"a CR at the end", "GET / HTTP/1.1\r\n" H "\r", 0, WDD_HEAD_MORE, NULL},
    /* Framing. */
    {"two Content-Length", "POST / HTTP/1.1\r\n" H "Content-Length: 5\r\nContent-Length: 0\r\n\r\n",
     0, WDD_HEAD_BAD, "Content-Length"},
    {"two equal Content-Length",
     "POST / HTTP/1.1\r\n" H "Content-Length: 5\r\ncontent-length: 5\r\n\r\n", 0, WDD_HEAD_BAD,
     "Content-Length"},
    {"Content-Length list", "POST / HTTP/1.1\r\n" H "Content-Length: 5, 5\r\n\r\n", 0, WDD_HEAD_BAD,
     "Content-Length"},
    {"Content-Length sign", "POST / HTTP/1.1\r\n" H "Content-Length: +5\r\n\r\n", 0, WDD_HEAD_BAD,
     "Content-Length"},
    {"Content-Length empty", "POST / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n", 0, WDD_HEAD_BAD,
     "Content-Length"},
    {"Content-Length 20 digits",
     "POST / HTTP/1.1\r\n" H "Content-Length: 18446744073709551616\r\n\r\n", 0, WDD_HEAD_BAD,
     "Content-Length"},
    {"CL + TE", "POST / HTTP/1.1\r\n" H "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
     0, WDD_HEAD_BAD, "Transfer-Encoding"},
    {"TE alone", "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n", 0, WDD_HEAD_BAD,
     "Transfer-Encoding"},
    {"TE odd case", "POST / HTTP/1.1\r\n" H "tRANSFER-eNCODING: identity\r\n\r\n", 0, WDD_HEAD_BAD,
     "Transfer-Encoding"},
    /* Lines. */
    {"obs-fold", "GET / HTTP/1.1\r\n" H "X-A: b\r\n c\r\n\r\n", 0, WDD_HEAD_BAD, "obs-fold"},
    {"obs-fold tab", "GET / HTTP/1.1\r\n" H "X-A: b\r\n\tContent-Length: 5\r\n\r\n", 0,
     WDD_HEAD_BAD, "obs-fold"},
    {"space before colon", "POST / HTTP/1.1\r\n" H "Content-Length : 5\r\n\r\n", 0, WDD_HEAD_BAD,
     "colon"},
    {"tab before colon", "POST / HTTP/1.1\r\n" H "Transfer-Encoding\t: chunked\r\n\r\n", 0,
     WDD_HEAD_BAD, "colon"},
    {"NUL in a value", "GET / HTTP/1.1\r\n" H "X-A: a\0b\r\n\r\n", 37, WDD_HEAD_BAD, "control"},
    {"NUL in a name", "GET / HTTP/1.1\r\n" H "X\0A: b\r\n\r\n", 35, WDD_HEAD_BAD, "token"},
    {"DEL in a value", "GET / HTTP/1.1\r\n" H "X-A: a\x7f\r\n\r\n", 0, WDD_HEAD_BAD, "control"},
    {"VT in a value", "GET / HTTP/1.1\r\n" H "X-A: a\x0b\r\n\r\n", 0, WDD_HEAD_BAD, "control"},
    {"bare LF", "GET / HTTP/1.1\n" H "\r\n", 0, WDD_HEAD_BAD, "LF"},
    {"bare LF ending", "GET / HTTP/1.1\r\n" H "\n", 0, WDD_HEAD_BAD, "LF"},
    {"bare CR", "GET / HTTP/1.1\r\n" H "X-A: a\rb\r\n\r\n", 0, WDD_HEAD_BAD, "CR"},
    {"no name", "GET / HTTP/1.1\r\n" H ": b\r\n\r\n", 0, WDD_HEAD_BAD, "name"},
    {"no colon", "GET / HTTP/1.1\r\n" H "X-A b\r\n\r\n", 0, WDD_HEAD_BAD, "colon"},
    {"two Authorization",
     "GET / HTTP/1.1\r\n" H "Authorization: Bearer a\r\nauthorization: Bearer b\r\n\r\n", 0,
     WDD_HEAD_BAD, "Authorization"},
    {"two Host", "GET / HTTP/1.1\r\n" H H "\r\n", 0, WDD_HEAD_BAD, "Host"},
    {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 0, WDD_HEAD_BAD, "Host"},
    /* The request line. */
    {"empty line first", "\r\nGET / HTTP/1.1\r\n" H "\r\n", 0, WDD_HEAD_BAD, "empty"},
    {"two spaces", "GET  / HTTP/1.1\r\n" H "\r\n", 0, WDD_HEAD_BAD, "request line"},
    {"no version", "GET /\r\n" H "\r\n", 0, WDD_HEAD_BAD, "request line"},
    {"HTTP/0.9 style", "GET /\r\n\r\n", 0, WDD_HEAD_BAD, "request line"},
    {"garbage", "GARBAGE\r\n\r\n", 0, WDD_HEAD_BAD, "request line"},
    {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0, WDD_HEAD_BAD, "path"},
    {"HTTP/1.2", "GET / HTTP/1.2\r\n" H "\r\n", 0, WDD_HEAD_BAD, "protocol"},
    {"lower-case version", "GET / http/1.1\r\n" H "\r\n", 0, WDD_HEAD_BAD, "protocol"},
    {"absolute form", "GET http://w/ HTTP/1.1\r\n" H "\r\n", 0, WDD_HEAD_BAD, "path"},
    {"a tab in the line", "GET\t/ HTTP/1.1\r\n" H "\r\n", 0, WDD_HEAD_BAD, "request line"},
    {"a control byte in the target", "GET /a\x01 HTTP/1.1\r\n" H "\r\n", 0, WDD_HEAD_BAD,
     "request line"},
    {"a fragment", "GET /a#b HTTP/1.1\r\n" H "\r\n", 0, WDD_HEAD_BAD, "fragment"},
    {"32 arguments",
     "GET /v1/audit?a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1"
     "&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1 HTTP/1.1\r\n" H "\r\n",
     0, WDD_HEAD_BAD, "query arguments"},
    {"a long method", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG / HTTP/1.1\r\n" H "\r\n", 0, WDD_HEAD_BAD,
     "request line"},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const head_case *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->text);
        wdd_head h;
        wdd_head_result got = wdd_head_check(c->text, len, 16384, &h);
        if (got != c->want)
            fail_msg("%s: want %d, got %d (%s)", c->name, c->want, got, h.why ? h.why : "");
        if (c->why && (!h.why || !strstr(h.why, c->why)))
            fail_msg("%s: the reason \"%s\" does not say \"%s\"", c->name, h.why ? h.why : "",
                     c->why);
        /* Refused or passed, a head decided on some bytes is decided the same with more. */
        if (got != WDD_HEAD_MORE) {
            char *more = malloc(len + 8);
            assert_non_null(more);
            memcpy(more, c->text, len);
            memcpy(more + len, "GET / HT", 8);
            wdd_head h2;
            if (wdd_head_check(more, len + 8, 16384, &h2) != got)
                fail_msg("%s: decided differently with more bytes after it", c->name);
            free(more);
        }
    }
}

static void test_ok_fields(void **state)
{
    (void)state;
    const char *t = "POST /v1/check HTTP/1.1\r\nHost: w\r\nAuthorization:  Bearer abc \r\n"
                    "Content-Length: 0012\r\n\r\nBODYPOST / HTTP/1.1\r\n";
    wdd_head h;
    assert_int_equal(wdd_head_check(t, strlen(t), 16384, &h), WDD_HEAD_OK);
    assert_int_equal(h.len, strstr(t, "BODY") - t);
    assert_true(h.has_content_length);
    assert_int_equal(h.content_length, 12);
    assert_int_equal(h.auth_len, 10);
    assert_memory_equal(h.auth, "Bearer abc", 10);
    t = "GET /health HTTP/1.1\r\nHost: w\r\n\r\n";
    assert_int_equal(wdd_head_check(t, strlen(t), 16384, &h), WDD_HEAD_OK);
    assert_false(h.has_content_length);
    assert_null(h.auth);
}

/* The size bound: a head of exactly max passes, one byte more is too large, and so is a head
 * with no end in max bytes; 65 fields are too many. */
static void test_bounds(void **state)
{
    (void)state;
    char buf[2048];
    const char *start = "GET / HTTP/1.1\r\nHost: w\r\nX-Pad: ";
    size_t max = 1024;
    size_t pad = max - strlen(start) - 4;
    snprintf(buf, sizeof(buf), "%s%.*s\r\n\r\n", start, (int)pad,
             "................................................................................."
             "................................................................................."
             "................................................................................."
             "................................................................................."
             "................................................................................."
             "................................................................................."
             "................................................................................."
             "................................................................................."
             "................................................................................."
             "................................................................................."
             "................................................................................."
             "................................................................................."
             "................................................................................."
             "..................................................");
    wdd_head h;
    assert_int_equal(strlen(buf), max);
    assert_int_equal(wdd_head_check(buf, max, max, &h), WDD_HEAD_OK);
    assert_int_equal(wdd_head_check(buf, max, max - 1, &h), WDD_HEAD_TOO_LARGE);
    assert_int_equal(wdd_head_check(buf, max - 10, max - 10, &h), WDD_HEAD_TOO_LARGE);
    assert_int_equal(wdd_head_check(buf, max - 10, max, &h), WDD_HEAD_MORE);

    size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: w\r\n");
    for (int i = 0; i < 63; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: a\r\n", i);
    snprintf(buf + n, sizeof(buf) - n, "\r\n");
    assert_int_equal(wdd_head_check(buf, strlen(buf), sizeof(buf), &h), WDD_HEAD_OK);
    snprintf(buf + n, sizeof(buf) - n, "X-64: a\r\n\r\n");
    assert_int_equal(wdd_head_check(buf, strlen(buf), sizeof(buf), &h), WDD_HEAD_TOO_LARGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_ok_fields),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
