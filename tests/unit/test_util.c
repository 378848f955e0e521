/* test_util.c: the util layer: lexical paths, UTF-8, the hash map, buffers, the arena,
 * diagnostics and the thread's last error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/diag.h"
#include "util/error.h"
#include "util/path.h"
#include "util/strmap.h"
#include "util/timeutil.h"
#include "util/utf8.h"

static void norm_ok(const char *in, const char *want)
{
    char out[WD_PATH_MAX];
    bool escapes = true;
    assert_int_equal(wd_path_normalize(in, out, sizeof(out), &escapes), 0);
    assert_false(escapes);
    assert_string_equal(out, want);
}

static void test_path_normalize(void **state)
{
    (void)state;
    norm_ok("/", "/");
    norm_ok("//", "/");
    norm_ok("/a/b/c", "/a/b/c");
    norm_ok("/a//b///c/", "/a/b/c");
    norm_ok("/a/./b/.", "/a/b");
    norm_ok("/a/b/../c", "/a/c");
    norm_ok("/a/b/../../c", "/c");
    norm_ok("/a/..", "/");
    norm_ok("/a/...", "/a/..."); /* three dots is a name */
    norm_ok("/a/..b/c", "/a/..b/c");
    norm_ok("/.hidden/x", "/.hidden/x");

    char out[WD_PATH_MAX];
    bool escapes = false;
    assert_int_equal(wd_path_normalize("/..", out, sizeof(out), &escapes), 0);
    assert_true(escapes);
    assert_int_equal(wd_path_normalize("/a/../../b", out, sizeof(out), &escapes), 0);
    assert_true(escapes);
    assert_int_equal(wd_path_normalize("", out, sizeof(out), &escapes), WD_EINVAL);
    assert_int_equal(wd_path_normalize("a/b", out, sizeof(out), &escapes), WD_EINVAL);
    assert_int_equal(wd_path_normalize("./a", out, sizeof(out), &escapes), WD_EINVAL);
    assert_int_equal(wd_path_normalize("/abc", out, 4, &escapes), WD_EINVAL); /* too small */
    char *longp = malloc(WD_PATH_MAX + 1);
    assert_non_null(longp);
    memset(longp, 'a', WD_PATH_MAX);
    longp[0] = '/';
    longp[WD_PATH_MAX] = '\0';
    assert_int_equal(wd_path_normalize(longp, out, sizeof(out), &escapes), WD_EINVAL);
    longp[WD_PATH_MAX - 1] = '\0'; /* 4095 bytes: the longest accepted */
    assert_int_equal(wd_path_normalize(longp, out, sizeof(out), &escapes), 0);
    free(longp);
}

static void test_path_split(void **state)
{
    (void)state;
    uint16_t st[8], ln[8];
    assert_int_equal(wd_path_split("/", st, ln, 8), 0);
    assert_int_equal(wd_path_split("/ab/c/def", st, ln, 8), 3);
    assert_int_equal(st[0], 1);
    assert_int_equal(ln[0], 2);
    assert_int_equal(st[2], 6);
    assert_int_equal(ln[2], 3);
    assert_int_equal(wd_path_split("/a/b/c", st, ln, 2), -1);
}

static void test_utf8(void **state)
{
    (void)state;
    size_t bad = 99;
    assert_true(wd_utf8_valid("plain ascii", 11, &bad));
    assert_true(wd_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", 14, &bad));
    assert_true(wd_utf8_valid("\xf4\x8f\xbf\xbf", 4, &bad)); /* U+10FFFF */
    static const struct {
        const char *s;
        size_t len, at;
    } bads[] = {
        {"ab\x80", 3, 2},           /* stray continuation */
        {"\xc0\xaf", 2, 0},         /* overlong '/' */
        {"\xc1\xbf", 2, 0},         /* overlong */
        {"\xe0\x80\xaf", 3, 0},     /* overlong 3-byte */
        {"\xed\xa0\x80", 3, 0},     /* surrogate */
        {"\xf4\x90\x80\x80", 4, 0}, /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 4, 0}, /* invalid lead */
        {"x\xe2\x82", 3, 1},        /* truncated */
        {"a\0b", 3, 1},             /* NUL */
        {"\xc3\x28", 2, 0},         /* bad continuation */
    };
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        assert_false(wd_utf8_valid(bads[i].s, bads[i].len, &bad));
        assert_int_equal(bad, bads[i].at);
    }
    /* escaping for display: valid characters kept, every other byte as \xNN */
    wd_buf b = WD_BUF_INIT;
    wd_utf8_escape(&b, "caf\xc3\xa9/bad\xff\xfe/x\xe2\x82", 15);
    assert_string_equal(wd_buf_cstr(&b), "caf\xc3\xa9/bad\\xFF\\xFE/x\\xE2\\x82");
    assert_true(wd_utf8_valid(b.data, b.len, &bad));
    wd_buf_clear(&b);
    wd_utf8_escape(&b, "a\0b", 3);
    assert_string_equal(wd_buf_cstr(&b), "a\\x00b");
    wd_buf_clear(&b);
    wd_utf8_escape(&b, "a\\xFF\\", 6); /* typed by hand: not the same as the byte */
    assert_string_equal(wd_buf_cstr(&b), "a\\x5CxFF\\x5C");
    wd_buf_free(&b);
    /* one line of text from a plugin: controls (C0, DEL) escaped, UTF-8 kept, cut between
     * whole characters and escapes */
    char out[32];
    bool cut = true;
    wd_utf8_printable("a\nb\x1b[2K\x7f", 8, out, sizeof(out), &cut);
    assert_string_equal(out, "a\\x0ab\\x1b[2K\\x7f");
    assert_false(cut);
    wd_utf8_printable("caf\xc3\xa9\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac!", 15, out, 14, &cut);
    assert_string_equal(out,
                        "caf\xc3\xa9\xe2\x82\xac\xe2\x82\xac"); /* the third euro is cut whole */
    assert_true(cut);
    wd_utf8_printable("ab\xff\x01", 4, out, 8, &cut); /* not UTF-8: the high byte escaped */
    assert_string_equal(out, "ab\\xff");
    assert_true(cut);
    wd_utf8_printable("x\0y", 3, out, sizeof(out), NULL);
    assert_string_equal(out, "x\\x00y");
    unsigned line, col;
    const char *text = "ab\n\xc3\xa9x\nyz";
    wd_utf8_position(text, 5, &line, &col); /* the 'x' after a 2-byte char */
    assert_int_equal(line, 2);
    assert_int_equal(col, 2);
    wd_utf8_position(text, 0, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 1);
}

static void test_strmap(void **state)
{
    (void)state;
    wd_strmap m = WD_STRMAP_INIT;
    uint32_t v;
    assert_false(wd_strmap_get(&m, 0, "x", 1, &v));
    char keys[5000][8];
    for (uint32_t i = 0; i < 5000; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%u", i);
        v = i;
        assert_int_equal(wd_strmap_put(&m, i % 7, keys[i], strlen(keys[i]), &v), 0);
        assert_int_equal(v, i);
    }
    for (uint32_t i = 0; i < 5000; i++) {
        assert_true(wd_strmap_get(&m, i % 7, keys[i], strlen(keys[i]), &v));
        assert_int_equal(v, i);
        assert_false(wd_strmap_get(&m, (i + 1) % 7, keys[i], strlen(keys[i]), &v));
    }
    v = 12345; /* existing key: the stored value wins and is returned */
    assert_int_equal(wd_strmap_put(&m, 0, keys[0], strlen(keys[0]), &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(m.count, 5000);
    assert_true(m.count * 2 <= m.cap);
    assert_true(wd_strmap_memory(&m) > 0);
    /* empty keys and keys that differ only after 8 bytes */
    v = 1;
    assert_int_equal(wd_strmap_put(&m, 99, "", 0, &v), 0);
    assert_true(wd_strmap_get(&m, 99, "", 0, &v));
    v = 2;
    wd_strmap_put(&m, 99, "abcdefghX", 9, &v);
    v = 3;
    wd_strmap_put(&m, 99, "abcdefghY", 9, &v);
    assert_true(wd_strmap_get(&m, 99, "abcdefghX", 9, &v));
    assert_int_equal(v, 2);
    wd_strmap_free(&m);
    assert_null(m.slots);
}

static void test_buf_and_arena(void **state)
{
    (void)state;
    wd_buf b = WD_BUF_INIT;
    assert_string_equal(wd_buf_cstr(&b), "");
    for (int i = 0; i < 1000; i++)
        wd_buf_printf(&b, "%d,", i);
    wd_buf_puts(&b, "end");
    wd_buf_putc(&b, '!');
    assert_false(b.oom);
    assert_int_equal(strlen(wd_buf_cstr(&b)), b.len);
    assert_non_null(strstr(wd_buf_cstr(&b), "999,end!"));
    wd_buf_clear(&b);
    assert_string_equal(wd_buf_cstr(&b), "");
    wd_buf_free(&b);

    wd_arena a = WD_ARENA_INIT;
    char *s = wd_arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    void *big = wd_arena_alloc(&a, 1 << 20);
    assert_non_null(big);
    assert_int_equal(((uintptr_t)big) % 16, 0);
    unsigned char *z = wd_arena_alloc(&a, 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(z[i], 0);
    assert_null(wd_arena_array(&a, SIZE_MAX / 2, 4)); /* overflow refused, not wrapped */
    assert_null(wd_arena_alloc(&a, SIZE_MAX));
    assert_true(a.total >= (1 << 20));
    wd_arena_free(&a);
    assert_int_equal(a.total, 0);
}

static void test_diagnostics(void **state)
{
    (void)state;
    wd_diagnostics *d;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    wd_diag_add(d, WD_DIAG_WARNING, "WD-W001", "f.yaml", 9, 3, "later");
    wd_diag_add(d, WD_DIAG_ERROR, "WD-P011", "f.yaml", 2, 5, "multi\nline %s", "msg");
    wd_diag_add(d, WD_DIAG_ERROR, "WD-P003", "f.yaml", 0, 0, "whole file");
    assert_int_equal(wd_diagnostics_count(d), 3);
    assert_int_equal(wd_diagnostics_errors(d), 2);
    wd_diag_sort(d, 0);
    assert_int_equal(wd_diagnostics_get(d, 0)->line, 0);
    assert_int_equal(wd_diagnostics_get(d, 1)->line, 2);
    char line[256];
    wd_diag_format(wd_diagnostics_get(d, 1), line, sizeof(line));
    assert_string_equal(line, "f.yaml:2:5: error WD-P011: multi line msg"); /* one line */
    wd_diag_format(wd_diagnostics_get(d, 0), line, sizeof(line));
    assert_string_equal(line, "f.yaml: error WD-P003: whole file");
    wd_diag_format(wd_diagnostics_get(d, 2), line, sizeof(line));
    assert_string_equal(line, "f.yaml:9:3: warning WD-W001: later");
    char tiny[8];
    size_t need = wd_diag_format(wd_diagnostics_get(d, 2), tiny, sizeof(tiny));
    assert_int_equal(need, strlen("f.yaml:9:3: warning WD-W001: later"));
    assert_int_equal(strlen(tiny), 7);
    assert_null(wd_diagnostics_get(d, 3));
    assert_int_equal(wd_diagnostics_count(NULL), 0);
    assert_int_equal(wd_diag_add(NULL, WD_DIAG_ERROR, "x", "f", 1, 1, "ignored"), 0);
    wd_diagnostics_free(d);
}

static void test_error_last(void **state)
{
    (void)state;
    wd_error_clear();
    assert_int_equal(wd_error_last()->code, WD_OK);
    assert_int_equal(wd_error_set(WD_EINVAL, "WD-P001", "x.yaml", 3, 4, "bad\r\nthing %d", 7),
                     WD_EINVAL);
    const wd_error *e = wd_error_last();
    assert_int_equal(e->code, WD_EINVAL);
    assert_string_equal(e->id, "WD-P001");
    assert_string_equal(e->file, "x.yaml");
    assert_int_equal(e->line, 3);
    assert_int_equal(e->column, 4);
    assert_string_equal(e->message, "bad  thing 7");
    char huge[2000];
    memset(huge, 'm', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    wd_error_set(WD_ERANGE, "", huge, 0, 0, "%s", huge); /* truncated, never overflowing */
    assert_true(strlen(wd_error_last()->message) < sizeof(huge));
    /* wrapping the stored message in a new one (callers do) must not read what is written */
    wd_error_set(WD_EIO, "WD-L003", "f", 0, 0, "inner reason");
    wd_error_set(WD_EPERM, wd_error_last()->id, wd_error_last()->file, 0, 0, "outer: %s",
                 wd_error_last()->message);
    assert_string_equal(wd_error_last()->message, "outer: inner reason");
    assert_string_equal(wd_error_last()->id, "WD-L003");
    assert_string_equal(wd_error_last()->file, "f");
    assert_string_equal(wd_strerror(WD_EPOLICY), "WD_EPOLICY");
    assert_string_equal(wd_strerror(-99), "WD_E?");
}

/* Every code has the kind docs/errors.md gives it; a raiser can say more, and a wrapper that
 * re-records the error under its own id keeps what the raiser said. */
static void test_error_kinds(void **state)
{
    (void)state;
    static const struct {
        int code;
        wd_error_kind kind;
        const char *name;
    } table[] = {
        {WD_OK, WD_KIND_NONE, "none"},
        {WD_EINVAL, WD_KIND_INVALID, "invalid"},
        {WD_ENOMEM, WD_KIND_INTERNAL, "internal"},
        {WD_EIO, WD_KIND_INTERNAL, "internal"},
        {WD_EPOLICY, WD_KIND_INVALID, "invalid"},
        {WD_ERANGE, WD_KIND_TOO_LARGE, "too_large"},
        {WD_ENOTFOUND, WD_KIND_NOT_FOUND, "not_found"},
        {WD_EPERM, WD_KIND_FORBIDDEN, "forbidden"},
        {WD_EBUSY, WD_KIND_CONFLICT, "conflict"},
        {WD_ESTATE, WD_KIND_CONFLICT, "conflict"},
        {WD_ESANDBOX, WD_KIND_INTERNAL, "internal"},
        {-99, WD_KIND_INTERNAL, "internal"}, /* unknown: never mistaken for the caller's fault */
        {7, WD_KIND_NONE, "none"},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        assert_int_equal(wd_error_kind_of(table[i].code), table[i].kind);
        assert_string_equal(wd_error_kind_name(table[i].kind), table[i].name);
        if (table[i].code < 0) {
            wd_error_set(table[i].code, "", NULL, 0, 0, "x");
            assert_int_equal(wd_error_last()->kind, table[i].kind);
        }
    }
    assert_string_equal(wd_error_kind_name(WD_KIND_THROTTLED), "throttled");
    assert_string_equal(wd_error_kind_name(WD_KIND_UNAVAILABLE), "unavailable");
    assert_string_equal(wd_error_kind_name(WD_KIND_COUNT), "?");
    assert_string_equal(wd_error_kind_name((wd_error_kind)-1), "?");
    for (int k = 0; k < WD_KIND_COUNT; k++) /* every kind has a name */
        assert_string_not_equal(wd_error_kind_name((wd_error_kind)k), "?");

    assert_int_equal(wd_error_kind_outage(WD_EIO), WD_KIND_UNAVAILABLE);
    assert_int_equal(wd_error_kind_outage(WD_ENOMEM), WD_KIND_UNAVAILABLE);
    assert_int_equal(wd_error_kind_outage(WD_EINVAL), WD_KIND_INVALID);
    assert_int_equal(wd_error_kind_outage(WD_EBUSY), WD_KIND_CONFLICT);

    assert_int_equal(wd_error_raise(WD_KIND_THROTTLED, WD_EBUSY, "WD-O005", NULL, 0, 0, "wait"),
                     WD_EBUSY);
    assert_int_equal(wd_error_last()->kind, WD_KIND_THROTTLED);
    /* re-recorded with its own id and code: still throttled */
    wd_error_set(WD_EBUSY, wd_error_last()->id, NULL, 0, 0, "approve: %s",
                 wd_error_last()->message);
    assert_int_equal(wd_error_last()->kind, WD_KIND_THROTTLED);
    assert_string_equal(wd_error_last()->message, "approve: wait");
    /* the same id text from elsewhere is a new error, not the stored one re-recorded */
    wd_error_raise(WD_KIND_THROTTLED, WD_EBUSY, "WD-O005", NULL, 0, 0, "wait");
    wd_error_set(WD_EBUSY, "WD-O005", NULL, 0, 0, "again");
    assert_int_equal(wd_error_last()->kind, WD_KIND_CONFLICT);
    /* a wrapper that changes the code changes the meaning */
    wd_error_raise(WD_KIND_UNAVAILABLE, WD_EIO, "WD-A010", NULL, 0, 0, "log");
    wd_error_set(WD_ESTATE, wd_error_last()->id, NULL, 0, 0, "state");
    assert_int_equal(wd_error_last()->kind, WD_KIND_CONFLICT);
    wd_error_clear();
    assert_int_equal(wd_error_last()->kind, WD_KIND_NONE);
}

static void test_time(void **state)
{
    (void)state;
    int64_t ns;
    assert_true(wd_time_parse("2026-11-22T17:09:22.123456789Z", 30, &ns));
    char back[31];
    wd_time_format(ns, back);
    assert_string_equal(back, "2026-11-22T17:09:22.123456789Z");
    assert_true(wd_time_parse("2024-02-29T00:00:00.000000000Z", 30, &ns)); /* leap year */
    assert_true(wd_time_parse("2261-12-31T23:59:59.999999999Z", 30, &ns));
    assert_true(ns > 0);
    static const char *const bad[] = {
        "2023-02-29T00:00:00.000000000Z", /* not a leap year */
        "1900-02-29T00:00:00.000000000Z", /* nor was 1900 */
        "2026-04-31T00:00:00.000000000Z", "2026-11-22T23:59:60.000000000Z",
        "1013-01-01T00:00:00.000000000Z", /* would wrap int64 nanoseconds (found by fuzzing) */
        "0000-01-01T00:00:00.000000000Z", "2262-06-01T00:00:00.000000000Z",
        "1969-12-31T23:59:59.000000000Z", "2026-13-01T00:00:00.000000000Z",
        "2026-11-22 17:09:22.123456789Z", "2026-11-22T17:09:22.123456789",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(wd_time_parse(bad[i], strlen(bad[i]), &ns));
    int64_t now = 1700000000LL * 1000000000;
    assert_true(wd_time_parse_user("15m", now, &ns));
    assert_true(ns == now - 900LL * 1000000000);
    assert_true(wd_time_parse_user("@1700000000", now, &ns));
    assert_true(ns == now);
    assert_true(wd_time_parse_user("2026-11-22", now, &ns));
    assert_false(wd_time_parse_user("yesterday", now, &ns));
    assert_false(wd_time_parse_user("15w", now, &ns));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_normalize), cmocka_unit_test(test_path_split),
        cmocka_unit_test(test_utf8),           cmocka_unit_test(test_strmap),
        cmocka_unit_test(test_buf_and_arena),  cmocka_unit_test(test_diagnostics),
        cmocka_unit_test(test_error_last),     cmocka_unit_test(test_time),
        cmocka_unit_test(test_error_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
