/* test_semver.c: strict SemVer 2.0.0 parsing and precedence. Every parse runs on an exact-size
 * heap copy of its input, so a read of text[len] is an ASan error rather than a silent success;
 * every refusal is checked for its exact reason, so a case cannot pass by failing for the wrong
 * cause; precedence is checked against semver.org's own chains and, on random versions, against
 * a reference comparator written a different way. */
#include "helpers.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/semver.h"

/* A literal and its length, embedded NULs included. */
#define T(str) str, sizeof(str) - 1
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* An exact-size copy: nothing readable lies past s[len - 1]. */
static char *exact(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len)
        memcpy(p, s, len);
    return p;
}

/* A wd_semver no parse ever produces, to tell "left alone" from "written". */
static wd_semver poison(void)
{
    static const char marker[] = "poison";
    wd_semver v = {0xaaaa, 0xbbbb, 0xcccc, marker, 6, marker, 6};
    return v;
}

static bool same_semver(const wd_semver *a, const wd_semver *b)
{
    return a->major == b->major && a->minor == b->minor && a->patch == b->patch &&
           a->pre == b->pre && a->pre_len == b->pre_len && a->build == b->build &&
           a->build_len == b->build_len;
}

static int sign(int c)
{
    return (c > 0) - (c < 0);
}

/* Formats v back into text; fails the test rather than truncate. */
static size_t print_semver(const wd_semver *v, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%" PRIu64 ".%" PRIu64 ".%" PRIu64 "%s%.*s%s%.*s", v->major,
                     v->minor, v->patch, v->pre_len ? "-" : "", (int)v->pre_len, v->pre,
                     v->build_len ? "+" : "", (int)v->build_len, v->build);
    if (n < 0 || (size_t)n >= size)
        fail_msg("version does not fit in %zu bytes", size);
    return (size_t)n;
}

/* Parses a NUL-terminated literal from an exact-size copy; the copy is returned in *keep so the
 * struct's pointers stay valid, and must be freed by the caller. */
static wd_semver parse_ok(const char *s, char **keep)
{
    size_t len = strlen(s);
    char *copy = exact(s, len);
    wd_semver v = poison();
    const char *why = NULL;
    if (!wd_semver_parse(copy, len, &v, &why))
        fail_msg("refused \"%s\": %s", s, why ? why : "(no reason)");
    *keep = copy;
    return v;
}

/* ---- valid versions -------------------------------------------------------------------- */

#define U64MAX UINT64_MAX

static const struct {
    const char *s;
    size_t len;
    uint64_t major, minor, patch;
    const char *pre, *build;
} good[] = {
    /* Examples from the text of semver.org. */
    {T("1.0.0-alpha"), 1, 0, 0, "alpha", ""},
    {T("1.0.0-alpha.1"), 1, 0, 0, "alpha.1", ""},
    {T("1.0.0-0.3.7"), 1, 0, 0, "0.3.7", ""},
    {T("1.0.0-x.7.z.92"), 1, 0, 0, "x.7.z.92", ""},
    {T("1.0.0-x-y-z.--"), 1, 0, 0, "x-y-z.--", ""},
    {T("1.0.0-alpha+001"), 1, 0, 0, "alpha", "001"},
    {T("1.0.0+20130313144700"), 1, 0, 0, "", "20130313144700"},
    {T("1.0.0-beta+exp.sha.5114f85"), 1, 0, 0, "beta", "exp.sha.5114f85"},
    {T("1.0.0+21AF26D3----117B344092BD"), 1, 0, 0, "", "21AF26D3----117B344092BD"},
    {T("1.9.0"), 1, 9, 0, "", ""},
    {T("1.10.0"), 1, 10, 0, "", ""},
    {T("1.11.0"), 1, 11, 0, "", ""},
    {T("1.0.0-alpha.beta"), 1, 0, 0, "alpha.beta", ""},
    {T("1.0.0-beta.2"), 1, 0, 0, "beta.2", ""},
    {T("1.0.0-beta.11"), 1, 0, 0, "beta.11", ""},
    {T("1.0.0-rc.1"), 1, 0, 0, "rc.1", ""},
    /* semver.org's list of valid versions (its regular-expression section). */
    {T("0.0.4"), 0, 0, 4, "", ""},
    {T("1.2.3"), 1, 2, 3, "", ""},
    {T("10.20.30"), 10, 20, 30, "", ""},
    {T("1.1.2-prerelease+meta"), 1, 1, 2, "prerelease", "meta"},
    {T("1.1.2+meta"), 1, 1, 2, "", "meta"},
    {T("1.1.2+meta-valid"), 1, 1, 2, "", "meta-valid"},
    {T("1.0.0-beta"), 1, 0, 0, "beta", ""},
    {T("1.0.0-alpha.beta.1"), 1, 0, 0, "alpha.beta.1", ""},
    {T("1.0.0-alpha0.valid"), 1, 0, 0, "alpha0.valid", ""},
    {T("1.0.0-alpha.0valid"), 1, 0, 0, "alpha.0valid", ""},
    {T("1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay"), 1, 0, 0,
     "alpha-a.b-c-somethinglong", "build.1-aef.1-its-okay"},
    {T("1.0.0-rc.1+build.1"), 1, 0, 0, "rc.1", "build.1"},
    {T("2.0.0-rc.1+build.123"), 2, 0, 0, "rc.1", "build.123"},
    {T("1.2.3-beta"), 1, 2, 3, "beta", ""},
    {T("10.2.3-DEV-SNAPSHOT"), 10, 2, 3, "DEV-SNAPSHOT", ""},
    {T("1.2.3-SNAPSHOT-123"), 1, 2, 3, "SNAPSHOT-123", ""},
    {T("1.0.0"), 1, 0, 0, "", ""},
    {T("2.0.0"), 2, 0, 0, "", ""},
    {T("1.1.7"), 1, 1, 7, "", ""},
    {T("2.0.0+build.1848"), 2, 0, 0, "", "build.1848"},
    {T("2.0.1-alpha.1227"), 2, 0, 1, "alpha.1227", ""},
    {T("1.0.0-alpha+beta"), 1, 0, 0, "alpha", "beta"},
    {T("1.2.3----RC-SNAPSHOT.12.9.1--.12+788"), 1, 2, 3, "---RC-SNAPSHOT.12.9.1--.12", "788"},
    {T("1.2.3----R-S.12.9.1--.12+meta"), 1, 2, 3, "---R-S.12.9.1--.12", "meta"},
    {T("1.2.3----RC-SNAPSHOT.12.9.1--.12"), 1, 2, 3, "---RC-SNAPSHOT.12.9.1--.12", ""},
    {T("1.0.0+0.build.1-rc.10000aaa-kk-0.1"), 1, 0, 0, "", "0.build.1-rc.10000aaa-kk-0.1"},
    {T("1.0.0-0A.is.legal"), 1, 0, 0, "0A.is.legal", ""},
    /* Edges. */
    {T("0.0.0"), 0, 0, 0, "", ""},
    {T("0.0.0-0"), 0, 0, 0, "0", ""},
    {T("0.0.0+0"), 0, 0, 0, "", "0"},
    {T("18446744073709551615.18446744073709551615.18446744073709551615"), U64MAX, U64MAX, U64MAX,
     "", ""},
    {T("18446744073709551615.0.1"), U64MAX, 0, 1, "", ""},
    /* Pre-release numbers are not bounded by uint64_t (see semver.c). */
    {T("1.0.0-18446744073709551616"), 1, 0, 0, "18446744073709551616", ""},
    {T("1.0.0-99999999999999999999999999999999.0"), 1, 0, 0, "99999999999999999999999999999999.0",
     ""},
    /* Build identifiers may have leading zeros and be all hyphens. */
    {T("1.0.0+00.01.-"), 1, 0, 0, "", "00.01.-"},
    {T("1.0.0-a+-"), 1, 0, 0, "a", "-"},
    {T("1.0.0--"), 1, 0, 0, "-", ""},
    {T("1.0.0-0a.a0.-0"), 1, 0, 0, "0a.a0.-0", ""},
    {T("1.0.0-Zz.AZ.az.90.0"), 1, 0, 0, "Zz.AZ.az.90.0", ""},
};

static void test_parse_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(good); i++) {
        char *s = exact(good[i].s, good[i].len);
        wd_semver v = poison();
        const char *why = NULL;
        if (!wd_semver_parse(s, good[i].len, &v, &why))
            fail_msg("refused \"%s\": %s", good[i].s, why ? why : "(no reason)");
        if (v.major != good[i].major || v.minor != good[i].minor || v.patch != good[i].patch)
            fail_msg("\"%s\": core %" PRIu64 ".%" PRIu64 ".%" PRIu64, good[i].s, v.major, v.minor,
                     v.patch);
        size_t pre_len = strlen(good[i].pre), build_len = strlen(good[i].build);
        assert_int_equal(v.pre_len, pre_len);
        assert_int_equal(v.build_len, build_len);
        assert_non_null(v.pre);
        assert_non_null(v.build);
        assert_memory_equal(v.pre, good[i].pre, pre_len);
        assert_memory_equal(v.build, good[i].build, build_len);
        /* Parts that exist point into the text, right after their '-' / '+'. */
        if (pre_len) {
            assert_ptr_equal(v.pre, s + (strchr(good[i].s, '-') - good[i].s) + 1);
            assert_true(wd_semver_is_prerelease(&v));
        } else {
            assert_string_equal(v.pre, "");
            assert_false(wd_semver_is_prerelease(&v));
        }
        if (build_len)
            assert_ptr_equal(v.build, s + (strchr(good[i].s, '+') - good[i].s) + 1);
        else
            assert_string_equal(v.build, "");
        free(s);
    }
}

/* ---- invalid versions ------------------------------------------------------------------ */

static const struct {
    const char *s;
    size_t len;
    const char *why;
} bad[] = {
    {T(""), "empty version"},
    {T("1"), "version core must be major.minor.patch"},
    {T("1.2"), "version core must be major.minor.patch"},
    {T("1.2.3.4"), "version core must be major.minor.patch"},
    {T("1.2.3."), "version core must be major.minor.patch"},
    {T("1.2-SNAPSHOT"), "version core must be major.minor.patch"},
    {T("1.2-RC-SNAPSHOT"), "version core must be major.minor.patch"},
    {T("1.2+meta"), "version core must be major.minor.patch"},
    {T("1-rc"), "version core must be major.minor.patch"},
    {T("1.2.3.DEV"), "version core must be major.minor.patch"},
    {T("1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788"), "version core must be major.minor.patch"},
    {T("01.2.3"), "leading zero in version core number"},
    {T("1.02.3"), "leading zero in version core number"},
    {T("1.2.03"), "leading zero in version core number"},
    {T("00.0.0"), "leading zero in version core number"},
    {T("01.1.1"), "leading zero in version core number"},
    {T("1.01.1"), "leading zero in version core number"},
    {T("1.1.01"), "leading zero in version core number"},
    {T("018446744073709551616.0.0"), "leading zero in version core number"},
    {T("1..2.3"), "empty number in version core"},
    {T(".1.2.3"), "empty number in version core"},
    {T("1.2."), "empty number in version core"},
    {T("1."), "empty number in version core"},
    {T("."), "empty number in version core"},
    {T("v1.2.3"), "invalid character in version core"},
    {T("V1.2.3"), "invalid character in version core"},
    {T(" 1.2.3"), "invalid character in version core"},
    {T("1.2.3 "), "invalid character in version core"},
    {T("1.2.3\n"), "invalid character in version core"},
    {T("1 .2.3"), "invalid character in version core"},
    {T("-1.2.3"), "invalid character in version core"},
    {T("+1.2.3"), "invalid character in version core"},
    {T("1.2.-3"), "invalid character in version core"},
    {T("1.-2.3"), "invalid character in version core"},
    {T("1.2.+3"), "invalid character in version core"},
    {T("1,2,3"), "invalid character in version core"},
    {T("1.2.3a"), "invalid character in version core"},
    {T("1.2.3_4"), "invalid character in version core"},
    {T("0x1.2.3"), "invalid character in version core"},
    {T("\xef\xbc\x91.2.3"), "invalid character in version core"}, /* fullwidth digit one */
    {T("-invalid"), "invalid character in version core"},
    {T("+invalid"), "invalid character in version core"},
    {T("-invalid+invalid"), "invalid character in version core"},
    {T("-invalid.01"), "invalid character in version core"},
    {T("alpha"), "invalid character in version core"},
    {T("alpha.beta"), "invalid character in version core"},
    {T("alpha.beta.1"), "invalid character in version core"},
    {T("alpha.1"), "invalid character in version core"},
    {T("alpha+beta"), "invalid character in version core"},
    {T("alpha_beta"), "invalid character in version core"},
    {T("alpha."), "invalid character in version core"},
    {T("alpha.."), "invalid character in version core"},
    {T("beta"), "invalid character in version core"},
    {T("-alpha."), "invalid character in version core"},
    {T("-1.0.3-gamma+b7718"), "invalid character in version core"},
    {T("+justmeta"), "invalid character in version core"},
    {T("18446744073709551616.0.0"), "version core number out of range"},
    {T("0.18446744073709551616.0"), "version core number out of range"},
    {T("0.0.18446744073709551616"), "version core number out of range"},
    {T("18446744073709551620.0.0"), "version core number out of range"},
    {T("99999999999999999999.0.0"), "version core number out of range"},
    {T("100000000000000000000.0.0"), "version core number out of range"},
    {T("99999999999999999999999.999999999999999999.99999999999999999"),
     "version core number out of range"},
    {T("99999999999999999999999.999999999999999999.99999999999999999----RC-SNAPSHOT.12.09.1-------"
       "-------------------------..12"),
     "version core number out of range"},
    {T("1.2.3-"), "empty pre-release"},
    {T("1.2.3-+meta"), "empty pre-release"},
    {T("1.2.3-a..b"), "empty pre-release identifier"},
    {T("1.2.3-a."), "empty pre-release identifier"},
    {T("1.2.3-.a"), "empty pre-release identifier"},
    {T("1.2.3-."), "empty pre-release identifier"},
    {T("1.2.3-a.+b"), "empty pre-release identifier"},
    {T("1.0.0-alpha.."), "empty pre-release identifier"},
    {T("1.0.0-alpha..1"), "empty pre-release identifier"},
    {T("1.0.0-alpha...1"), "empty pre-release identifier"},
    {T("1.0.0-alpha....1"), "empty pre-release identifier"},
    {T("1.0.0-alpha.....1"), "empty pre-release identifier"},
    {T("1.0.0-alpha......1"), "empty pre-release identifier"},
    {T("1.0.0-alpha.......1"), "empty pre-release identifier"},
    {T("1.2.3-01"), "leading zero in numeric pre-release identifier"},
    {T("1.2.3-00"), "leading zero in numeric pre-release identifier"},
    {T("1.2.3-a.01"), "leading zero in numeric pre-release identifier"},
    {T("1.0.0-Zz.AZ.az.09"), "leading zero in numeric pre-release identifier"},
    {T("1.2.3-0123"), "leading zero in numeric pre-release identifier"},
    {T("1.2.3-0123.0123"), "leading zero in numeric pre-release identifier"},
    {T("1.2.3-018446744073709551616"), "leading zero in numeric pre-release identifier"},
    {T("1.2.3-\xc3\xa4"), "invalid character in pre-release"}, /* "1.2.3-ä" in UTF-8 */
    {T("1.2.3-a_b"), "invalid character in pre-release"},
    {T("1.0.0-alpha_beta"), "invalid character in pre-release"},
    {T("1.2.3-a b"), "invalid character in pre-release"},
    {T("1.2.3-a "), "invalid character in pre-release"},
    {T("1.2.3-a\n"), "invalid character in pre-release"},
    {T("1.2.3-a-\x80"), "invalid character in pre-release"},
    {T("1.2.3-a/b"), "invalid character in pre-release"},
    {T("1.2.3-a_b..c"), "invalid character in pre-release"}, /* the first problem is reported */
    {T("1.2.3+"), "empty build metadata"},
    {T("1.2.3-a+"), "empty build metadata"},
    {T("1.2.3+a..b"), "empty build identifier"},
    {T("1.2.3+a."), "empty build identifier"},
    {T("1.2.3+.a"), "empty build identifier"},
    {T("1.1.2+.123"), "empty build identifier"},
    {T("1.2.3+a+b"), "invalid character in build metadata"},
    {T("1.2.3++"), "invalid character in build metadata"},
    {T("9.8.7+meta+meta"), "invalid character in build metadata"},
    {T("9.8.7-whatever+meta+meta"), "invalid character in build metadata"},
    {T("1.2.3+a_b"), "invalid character in build metadata"},
    {T("1.2.3+\xc3\xa4"), "invalid character in build metadata"},
    {T("1.2.3+a "), "invalid character in build metadata"},
    {T("1.2.3+\xff"), "invalid character in build metadata"},
    /* Embedded NULs: the length, not a terminator, says where the text ends. */
    {T("\0"), "invalid character in version core"},
    {T("\0"
       "1.2.3"),
     "invalid character in version core"},
    {T("1\0.2.3"), "invalid character in version core"},
    {T("1.2\0.3"), "invalid character in version core"},
    {T("1.2.3\0"), "invalid character in version core"},
    {T("1.2.3-a\0"), "invalid character in pre-release"},
    {T("1.2.3-a\0b"), "invalid character in pre-release"},
    {T("1.2.3-\0"), "invalid character in pre-release"},
    {T("1.2.3+a\0"), "invalid character in build metadata"},
    {T("1.2.3+\0"), "invalid character in build metadata"},
};

static void check_refused(const char *s, size_t len, const char *want, const char *label)
{
    char *copy = exact(s, len);
    wd_semver v = poison(), before = poison();
    const char *why = NULL;
    bool ok = wd_semver_parse(copy, len, &v, &why);
    if (ok)
        fail_msg("accepted \"%s\", expected refusal \"%s\"", label, want);
    if (!why)
        fail_msg("\"%s\": refused without a reason", label);
    if (strcmp(why, want) != 0)
        fail_msg("\"%s\": reason \"%s\", expected \"%s\"", label, why, want);
    /* A refusal leaves the output alone. */
    assert_true(same_semver(&v, &before));
    free(copy);
}

static void test_parse_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        check_refused(bad[i].s, bad[i].len, bad[i].why, bad[i].s);
}

/* The 256-byte limit counts every byte, pre-release and build included, and sits exactly at
 * WD_SEMVER_MAX. */
static void test_parse_length_limit(void **state)
{
    (void)state;
    char buf[1024];
    assert_int_equal(WD_SEMVER_MAX, 256);

    /* "1.0.0-" + 'a' * 250 = 256 bytes: accepted. */
    memcpy(buf, "1.0.0-", 6);
    memset(buf + 6, 'a', sizeof(buf) - 6);
    char *s = exact(buf, 256);
    wd_semver v = poison();
    const char *why = NULL;
    if (!wd_semver_parse(s, 256, &v, &why))
        fail_msg("refused a 256-byte version: %s", why);
    assert_int_equal(v.pre_len, 250);
    assert_int_equal(v.build_len, 0);
    free(s);

    /* One more byte, in either part, or far more: refused before anything else is looked at. */
    check_refused(buf, 257, "version longer than 256 bytes", "1.0.0-aaa... (257 bytes)");
    check_refused(buf, sizeof(buf), "version longer than 256 bytes", "1.0.0-aaa... (1024 bytes)");
    memcpy(buf, "1.0.0+", 6);
    check_refused(buf, 257, "version longer than 256 bytes", "1.0.0+aaa... (257 bytes)");
    /* Even when the text is also malformed: the length check comes first. */
    memset(buf, 'x', 257);
    check_refused(buf, 257, "version longer than 256 bytes", "xxx... (257 bytes)");

    /* A 256-byte build part. */
    memcpy(buf, "1.0.0+", 6);
    memset(buf + 6, '7', 250);
    s = exact(buf, 256);
    v = poison();
    if (!wd_semver_parse(s, 256, &v, &why))
        fail_msg("refused a 256-byte version with build metadata: %s", why);
    assert_int_equal(v.build_len, 250);
    assert_int_equal(v.pre_len, 0);
    free(s);
}

/* Only text[0..len) counts: what follows in memory is never looked at. */
static void test_parse_uses_len(void **state)
{
    (void)state;
    static const char text[] = "1.2.3-alpha+build";
    wd_semver v = poison();
    const char *why = NULL;

    assert_true(wd_semver_parse(text, 5, &v, &why));
    assert_int_equal(v.pre_len, 0);
    assert_int_equal(v.build_len, 0);
    assert_int_equal(v.patch, 3);

    v = poison();
    assert_true(wd_semver_parse(text, 7, &v, &why));
    assert_int_equal(v.pre_len, 1);
    assert_memory_equal(v.pre, "a", 1);
    assert_int_equal(v.build_len, 0);

    v = poison();
    assert_true(wd_semver_parse(text, 13, &v, &why));
    assert_int_equal(v.pre_len, 5);
    assert_int_equal(v.build_len, 1);
    assert_memory_equal(v.build, "b", 1);

    assert_false(wd_semver_parse(text, 6, &v, &why));
    assert_string_equal(why, "empty pre-release");
    assert_false(wd_semver_parse(text, 12, &v, &why));
    assert_string_equal(why, "empty build metadata");
    assert_false(wd_semver_parse(text, 4, &v, &why));
    assert_string_equal(why, "empty number in version core");
    assert_false(wd_semver_parse(text, 0, &v, &why));
    assert_string_equal(why, "empty version");
}

/* out and why may be NULL: validation only, or no reason wanted. */
static void test_parse_null_outputs(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_true(wd_semver_parse(T("1.2.3-rc.1+b"), NULL, &why));
    assert_null(why);
    assert_false(wd_semver_parse(T("1.2.3-01"), NULL, &why));
    assert_string_equal(why, "leading zero in numeric pre-release identifier");

    wd_semver v = poison();
    assert_true(wd_semver_parse(T("4.5.6"), &v, NULL));
    assert_int_equal(v.major, 4);
    assert_false(wd_semver_parse(T("4.5"), &v, NULL));
    assert_int_equal(v.major, 4);
    assert_false(wd_semver_parse(NULL, 0, &v, &why));
    assert_string_equal(why, "empty version");
}

/* ---- precedence ------------------------------------------------------------------------ */

/* Each chain is strictly increasing. */
static const char *const chain_spec[] = {
    /* semver.org section 11, both examples joined at 1.0.0. */
    "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
    "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
    "1.0.0-rc.1",  "1.0.0",         "2.0.0",
    "2.1.0",       "2.1.1",
};

static const char *const chain_core[] = {
    "0.0.0",
    "0.0.1",
    "0.0.2",
    "0.0.10",
    "0.1.0",
    "0.1.1",
    "0.2.0",
    "0.10.0",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1-alpha",
    "1.0.1",
    "1.1.0-0",
    "1.1.0",
    "1.9.0",
    "1.10.0",
    "1.11.0",
    "2.0.0",
    "10.0.0",
    "18446744073709551614.0.0",
    "18446744073709551615.0.0",
    "18446744073709551615.18446744073709551615.18446744073709551615",
};

static const char *const chain_pre[] = {
    /* Numeric identifiers compare numerically, beyond uint64_t too. */
    "1.0.0-0",
    "1.0.0-1",
    "1.0.0-9",
    "1.0.0-10",
    "1.0.0-99",
    "1.0.0-100",
    "1.0.0-18446744073709551615",
    "1.0.0-18446744073709551616",
    "1.0.0-99999999999999999999",
    "1.0.0-100000000000000000000",
    "1.0.0-100000000000000000001",
    /* Numeric is lower than alphanumeric; alphanumeric compares in ASCII order. */
    "1.0.0--",
    "1.0.0--0",
    "1.0.0-0-",
    "1.0.0-0a",
    "1.0.0-1a",
    "1.0.0-9a",
    "1.0.0-A",
    "1.0.0-Z",
    "1.0.0-a",
    /* A prefix list is lower; identifiers compare one at a time, not as one string ("a.b" is
     * lower than "a-b" though '.' sorts after '-'). */
    "1.0.0-a.0",
    "1.0.0-a.9",
    "1.0.0-a.10",
    "1.0.0-a.-",
    "1.0.0-a.b",
    "1.0.0-a.b.0",
    "1.0.0-a.bb",
    "1.0.0-a-b",
    "1.0.0-aa",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.1.1",
    "1.0.0-alpha.2",
    "1.0.0-alpha.beta",
    "1.0.0-alpha0",
    "1.0.0-b",
    "1.0.0-z",
    "1.0.0-zz.0",
};

static void check_chain(const char *const *chain, size_t n)
{
    wd_semver v[64];
    char *keep[64];
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++)
        v[i] = parse_ok(chain[i], &keep[i]);

    for (size_t i = 0; i < n; i++) {
        if (wd_semver_compare(&v[i], &v[i]) != 0)
            fail_msg("\"%s\" does not equal itself", chain[i]);
        for (size_t j = i + 1; j < n; j++) {
            if (wd_semver_compare(&v[i], &v[j]) >= 0)
                fail_msg("expected \"%s\" < \"%s\"", chain[i], chain[j]);
            if (wd_semver_compare(&v[j], &v[i]) <= 0)
                fail_msg("expected \"%s\" > \"%s\"", chain[j], chain[i]);
        }
    }
    /* Transitivity, spelled out: a < b and b < c give a < c. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < n; k++)
                if (wd_semver_compare(&v[i], &v[j]) < 0 && wd_semver_compare(&v[j], &v[k]) < 0 &&
                    wd_semver_compare(&v[i], &v[k]) >= 0)
                    fail_msg("not transitive: \"%s\" < \"%s\" < \"%s\"", chain[i], chain[j],
                             chain[k]);
    for (size_t i = 0; i < n; i++)
        free(keep[i]);
}

static int compare_ptrs(const void *a, const void *b)
{
    return wd_semver_compare(*(const wd_semver *const *)a, *(const wd_semver *const *)b);
}

/* qsort of a reversed and of a scrambled chain gives the chain back. */
static void check_chain_sorts(const char *const *chain, size_t n)
{
    wd_semver v[64];
    const wd_semver *order[64];
    char *keep[64];
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++)
        v[i] = parse_ok(chain[i], &keep[i]);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++)
            order[i] = pass == 0 ? &v[n - 1 - i] : &v[(i * 7 + 3) % n];
        if (pass == 1 && n % 7 == 0)
            continue; /* the stride would not be a permutation */
        qsort(order, n, sizeof(order[0]), compare_ptrs);
        for (size_t i = 0; i < n; i++)
            if (order[i] != &v[i])
                fail_msg("sorted position %zu holds \"%s\", expected \"%s\"", i,
                         chain[order[i] - v], chain[i]);
    }
    for (size_t i = 0; i < n; i++)
        free(keep[i]);
}

static void test_compare_spec_chain(void **state)
{
    (void)state;
    check_chain(chain_spec, N_ELEMS(chain_spec));
    check_chain_sorts(chain_spec, N_ELEMS(chain_spec));
}

static void test_compare_core_chain(void **state)
{
    (void)state;
    check_chain(chain_core, N_ELEMS(chain_core));
    check_chain_sorts(chain_core, N_ELEMS(chain_core));
}

static void test_compare_prerelease_chain(void **state)
{
    (void)state;
    check_chain(chain_pre, N_ELEMS(chain_pre));
    check_chain_sorts(chain_pre, N_ELEMS(chain_pre));
}

/* Build metadata never affects precedence: each group is one equivalence class, and groups are
 * listed in increasing order. */
static const char *const equal_groups[][5] = {
    {"1.0.0-rc.1", "1.0.0-rc.1+x", "1.0.0-rc.1+y", "1.0.0-rc.1+0.0.1", NULL},
    {"1.0.0", "1.0.0+a", "1.0.0+b", "1.0.0+0.build.1-rc.10000aaa-kk-0.1", "1.0.0+zzz"},
    {"1.0.1-0+1", "1.0.1-0+2", NULL, NULL, NULL},
};

static void test_compare_ignores_build(void **state)
{
    (void)state;
    wd_semver v[N_ELEMS(equal_groups)][5];
    char *keep[N_ELEMS(equal_groups)][5] = {{0}};
    for (size_t g = 0; g < N_ELEMS(equal_groups); g++)
        for (size_t i = 0; i < 5 && equal_groups[g][i]; i++)
            v[g][i] = parse_ok(equal_groups[g][i], &keep[g][i]);

    for (size_t g = 0; g < N_ELEMS(equal_groups); g++)
        for (size_t h = 0; h < N_ELEMS(equal_groups); h++)
            for (size_t i = 0; i < 5 && equal_groups[g][i]; i++)
                for (size_t j = 0; j < 5 && equal_groups[h][j]; j++) {
                    int want = g < h ? -1 : g > h ? 1 : 0;
                    int got = sign(wd_semver_compare(&v[g][i], &v[h][j]));
                    if (got != want)
                        fail_msg("compare(\"%s\", \"%s\") = %d, expected %d", equal_groups[g][i],
                                 equal_groups[h][j], got, want);
                }
    for (size_t g = 0; g < N_ELEMS(equal_groups); g++)
        for (size_t i = 0; i < 5; i++)
            free(keep[g][i]);
}

/* Equal pre-releases in different buffers are equal: the text is compared, not the pointers. */
static void test_compare_separate_buffers(void **state)
{
    (void)state;
    char *k1, *k2;
    wd_semver a = parse_ok("3.2.1-alpha.10.x-y", &k1);
    wd_semver b = parse_ok("3.2.1-alpha.10.x-y+other", &k2);
    assert_ptr_not_equal(a.pre, b.pre);
    assert_int_equal(wd_semver_compare(&a, &b), 0);
    assert_int_equal(wd_semver_compare(&b, &a), 0);
    free(k1);
    free(k2);
}

/* A hand-built struct need not come from the parser: numeric identifiers with leading zeros
 * still compare by value, and the pre/build pointers only matter for their lengths. */
static void test_compare_hand_built(void **state)
{
    (void)state;
    wd_semver a = {1, 0, 0, "007", 3, "", 0};
    wd_semver b = {1, 0, 0, "7", 1, "", 0};
    wd_semver c = {1, 0, 0, "10", 2, "", 0};
    wd_semver d = {1, 0, 0, "0000000000000000000000011", 25, "", 0};
    wd_semver e = {1, 0, 0, "rc.1-ignored", 4, "", 0}; /* pre_len bounds the text */
    wd_semver f = {1, 0, 0, "rc.1", 4, "", 0};
    assert_int_equal(wd_semver_compare(&a, &b), 0);
    assert_true(wd_semver_compare(&a, &c) < 0);
    assert_true(wd_semver_compare(&c, &d) < 0);
    assert_true(wd_semver_compare(&d, &c) > 0);
    assert_int_equal(wd_semver_compare(&e, &f), 0);
    assert_false(wd_semver_is_prerelease(&(wd_semver){1, 0, 0, "x", 0, "", 0}));
    assert_true(wd_semver_is_prerelease(&(wd_semver){1, 0, 0, "x", 1, "", 0}));
}

static const struct {
    const char *s;
    bool pre;
} prerelease_cases[] = {
    {"1.0.0", false},       {"1.0.0+build", false},   {"0.0.0+0-1", false},
    {"1.0.0-0", true},      {"1.0.0-alpha+b", true},  {"1.0.0--", true},
    {"0.1.0-rc.1.2", true}, {"1.0.0+alpha-1", false}, {"2.0.0-x+y-z", true},
    {"1.0.0-0.0", true},    {"10.20.30", false},      {"1.0.0-1", true},
};

static void test_is_prerelease(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(prerelease_cases); i++) {
        char *keep;
        wd_semver v = parse_ok(prerelease_cases[i].s, &keep);
        if (wd_semver_is_prerelease(&v) != prerelease_cases[i].pre)
            fail_msg("is_prerelease(\"%s\") should be %s", prerelease_cases[i].s,
                     prerelease_cases[i].pre ? "true" : "false");
        free(keep);
    }
}

/* ---- random versions ------------------------------------------------------------------- */

#define N_RANDOM 2000
#define MAX_IDS 4
#define PAD 48 /* numeric identifiers are at most 30 digits; padded for the reference compare */

/* A random version as generated, with what a reference comparator needs. */
typedef struct {
    uint64_t core[3];
    size_t n_ids;
    bool numeric[MAX_IDS];
    char id[MAX_IDS][PAD + 1]; /* numeric: zero-padded to PAD digits; else the identifier */
    char pre[160], build[64];
    char *text; /* exact-size heap copy, what the parser saw */
    size_t len;
    wd_semver v;
} gen_version;

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static size_t below(uint64_t *rng, size_t n)
{
    return (size_t)(splitmix64(rng) % n);
}

static uint64_t random_core_number(uint64_t *rng)
{
    switch (below(rng, 10)) {
    case 0:
        return UINT64_MAX - below(rng, 2);
    case 1:
        return splitmix64(rng) >> below(rng, 64);
    default:
        return below(rng, 3); /* small values, so many versions tie on the core */
    }
}

static const char ident_chars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-";
static const char *const words[] = {"alpha", "beta", "rc", "a", "b", "A", "-", "0a", "x-y", "z"};

/* Appends a random pre-release identifier to g; returns its text in out (NUL-terminated). */
static void random_identifier(uint64_t *rng, gen_version *g, size_t k, char *out)
{
    size_t n;
    switch (below(rng, 6)) {
    case 0:                                                 /* small number */
        n = (size_t)snprintf(out, 2, "%zu", below(rng, 4)); /* one digit */
        g->numeric[k] = true;
        break;
    case 1: /* long number, often beyond uint64_t, no leading zero */
        n = 1 + below(rng, 30);
        out[0] = (char)('1' + below(rng, 9));
        for (size_t i = 1; i < n; i++)
            out[i] = (char)('0' + below(rng, 10));
        out[n] = '\0';
        g->numeric[k] = true;
        break;
    case 2: /* random alphanumeric, with at least one non-digit */
        n = 1 + below(rng, 6);
        for (size_t i = 0; i < n; i++)
            out[i] = ident_chars[below(rng, sizeof(ident_chars) - 1)];
        out[below(rng, n)] = ident_chars[10 + below(rng, sizeof(ident_chars) - 11)];
        out[n] = '\0';
        g->numeric[k] = false;
        break;
    default: /* a common word, so lists share prefixes */
        snprintf(out, PAD + 1, "%s", words[below(rng, N_ELEMS(words))]);
        g->numeric[k] = false;
        break;
    }
    if (g->numeric[k]) {
        size_t len = strlen(out);
        memset(g->id[k], '0', PAD - len);
        memcpy(g->id[k] + PAD - len, out, len + 1);
    } else {
        snprintf(g->id[k], sizeof(g->id[k]), "%s", out);
    }
}

static void random_version(uint64_t *rng, gen_version *g)
{
    memset(g, 0, sizeof(*g));
    for (int i = 0; i < 3; i++)
        g->core[i] = random_core_number(rng);
    if (below(rng, 2)) {
        g->n_ids = 1 + below(rng, MAX_IDS);
        for (size_t k = 0; k < g->n_ids; k++) {
            char ident[PAD + 1];
            random_identifier(rng, g, k, ident);
            if (k)
                wd_test_append(g->pre, sizeof(g->pre), ".");
            wd_test_append(g->pre, sizeof(g->pre), "%s", ident);
        }
    }
    if (below(rng, 3) == 0) {
        size_t n_build = 1 + below(rng, 3);
        for (size_t k = 0; k < n_build; k++) {
            if (k)
                wd_test_append(g->build, sizeof(g->build), ".");
            size_t n = 1 + below(rng, 6), at = strlen(g->build);
            for (size_t i = 0; i < n; i++)
                g->build[at + i] = ident_chars[below(rng, sizeof(ident_chars) - 1)];
        }
    }
    char text[WD_SEMVER_MAX + 1];
    int n = snprintf(text, sizeof(text), "%" PRIu64 ".%" PRIu64 ".%" PRIu64 "%s%s%s%s", g->core[0],
                     g->core[1], g->core[2], g->n_ids ? "-" : "", g->pre, g->build[0] ? "+" : "",
                     g->build);
    assert_true(n > 0 && n <= WD_SEMVER_MAX);
    g->len = (size_t)n;
    g->text = exact(text, g->len);
}

/* SemVer precedence computed a different way: numeric identifiers as zero-padded strings,
 * everything else with strcmp on NUL-terminated copies. */
static int reference_compare(const gen_version *a, const gen_version *b)
{
    for (int i = 0; i < 3; i++)
        if (a->core[i] != b->core[i])
            return a->core[i] < b->core[i] ? -1 : 1;
    if (!a->n_ids || !b->n_ids)
        return (a->n_ids == 0) - (b->n_ids == 0);
    for (size_t k = 0; k < a->n_ids && k < b->n_ids; k++) {
        if (a->numeric[k] != b->numeric[k])
            return a->numeric[k] ? -1 : 1;
        int c = sign(strcmp(a->id[k], b->id[k]));
        if (c)
            return c;
    }
    return (a->n_ids > b->n_ids) - (a->n_ids < b->n_ids);
}

static int compare_gen_ptrs(const void *a, const void *b)
{
    const gen_version *x = *(const gen_version *const *)a, *y = *(const gen_version *const *)b;
    return wd_semver_compare(&x->v, &y->v);
}

static void test_random_versions(void **state)
{
    (void)state;
    const uint64_t seed = 0x5e3a7e5eedu;
    uint64_t rng = seed;
    gen_version *g = calloc(N_RANDOM, sizeof(*g));
    const gen_version **sorted = calloc(N_RANDOM, sizeof(*sorted));
    assert_non_null(g);
    assert_non_null(sorted);

    /* Round trip: the parsed fields are the generated ones, and printing them gives the text
     * back, which parses to the same fields again. */
    for (size_t i = 0; i < N_RANDOM; i++) {
        random_version(&rng, &g[i]);
        const char *why = NULL;
        if (!wd_semver_parse(g[i].text, g[i].len, &g[i].v, &why))
            fail_msg("seed %#" PRIx64 ": refused \"%.*s\": %s", seed, (int)g[i].len, g[i].text,
                     why);
        const wd_semver *v = &g[i].v;
        assert_true(v->major == g[i].core[0] && v->minor == g[i].core[1] &&
                    v->patch == g[i].core[2]);
        assert_int_equal(v->pre_len, strlen(g[i].pre));
        assert_memory_equal(v->pre, g[i].pre, v->pre_len);
        assert_int_equal(v->build_len, strlen(g[i].build));
        assert_memory_equal(v->build, g[i].build, v->build_len);
        assert_int_equal(wd_semver_is_prerelease(v), g[i].n_ids > 0);

        char printed[WD_SEMVER_MAX + 1];
        size_t n = print_semver(v, printed, sizeof(printed));
        assert_int_equal(n, g[i].len);
        assert_memory_equal(printed, g[i].text, n);
        char *again = exact(printed, n);
        wd_semver w = poison();
        assert_true(wd_semver_parse(again, n, &w, &why));
        assert_true(w.major == v->major && w.minor == v->minor && w.patch == v->patch);
        assert_int_equal(w.pre_len, v->pre_len);
        assert_memory_equal(w.pre, v->pre, v->pre_len);
        assert_int_equal(w.build_len, v->build_len);
        assert_memory_equal(w.build, v->build, v->build_len);
        assert_int_equal(wd_semver_compare(&w, v), 0);
        free(again);
    }

    /* Every pair: agrees with the reference, and is antisymmetric. */
    size_t less = 0, equal = 0, equal_distinct_text = 0;
    for (size_t i = 0; i < N_RANDOM; i++)
        for (size_t j = 0; j < N_RANDOM; j++) {
            int ij = sign(wd_semver_compare(&g[i].v, &g[j].v));
            int ji = sign(wd_semver_compare(&g[j].v, &g[i].v));
            int want = reference_compare(&g[i], &g[j]);
            if (ij != want || ji != -ij)
                fail_msg("seed %#" PRIx64 ": compare(\"%.*s\", \"%.*s\") = %d, reverse %d, "
                         "expected %d",
                         seed, (int)g[i].len, g[i].text, (int)g[j].len, g[j].text, ij, ji, want);
            if (i < j) {
                less += ij != 0;
                equal += ij == 0;
                if (ij == 0 && (g[i].len != g[j].len || memcmp(g[i].text, g[j].text, g[i].len)))
                    equal_distinct_text++;
            }
        }
    /* The generator must produce both orders and ties, ties with different text among them
     * (build metadata), or the checks above prove little. */
    if (less < 1000000 || equal < 100 || equal_distinct_text < 10)
        fail_msg("seed %#" PRIx64 ": degenerate sample: %zu ordered pairs, %zu tied, %zu tied "
                 "with different text",
                 seed, less, equal, equal_distinct_text);

    /* Transitivity on random triples. */
    size_t chained = 0;
    for (size_t t = 0; t < 200000; t++) {
        const wd_semver *a = &g[below(&rng, N_RANDOM)].v, *b = &g[below(&rng, N_RANDOM)].v,
                        *c = &g[below(&rng, N_RANDOM)].v;
        int ab = sign(wd_semver_compare(a, b)), bc = sign(wd_semver_compare(b, c)),
            ac = sign(wd_semver_compare(a, c));
        if (ab <= 0 && bc <= 0) {
            chained++;
            int want = (ab < 0 || bc < 0) ? -1 : 0;
            if (ac != want)
                fail_msg("seed %#" PRIx64 ": not transitive (%d, %d, then %d)", seed, ab, bc, ac);
        }
    }
    assert_true(chained > 10000);

    /* qsort agrees: after sorting, every earlier element is <= every later one. */
    for (size_t i = 0; i < N_RANDOM; i++)
        sorted[i] = &g[i];
    qsort(sorted, N_RANDOM, sizeof(sorted[0]), compare_gen_ptrs);
    size_t classes = 1;
    for (size_t i = 0; i < N_RANDOM; i++) {
        if (i && reference_compare(sorted[i - 1], sorted[i]) < 0)
            classes++;
        for (size_t j = i + 1; j < N_RANDOM; j++)
            if (wd_semver_compare(&sorted[i]->v, &sorted[j]->v) > 0 ||
                reference_compare(sorted[i], sorted[j]) > 0)
                fail_msg("seed %#" PRIx64 ": sorted \"%.*s\" before \"%.*s\"", seed,
                         (int)sorted[i]->len, sorted[i]->text, (int)sorted[j]->len,
                         sorted[j]->text);
    }
    if (classes < 500 || classes == N_RANDOM)
        fail_msg("seed %#" PRIx64 ": %zu precedence classes in %d versions", seed, classes,
                 N_RANDOM);

    for (size_t i = 0; i < N_RANDOM; i++)
        free(g[i].text);
    free(g);
    free(sorted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_parse_length_limit),
        cmocka_unit_test(test_parse_uses_len),
        cmocka_unit_test(test_parse_null_outputs),
        cmocka_unit_test(test_compare_spec_chain),
        cmocka_unit_test(test_compare_core_chain),
        cmocka_unit_test(test_compare_prerelease_chain),
        cmocka_unit_test(test_compare_ignores_build),
        cmocka_unit_test(test_compare_separate_buffers),
        cmocka_unit_test(test_compare_hand_built),
        cmocka_unit_test(test_is_prerelease),
        cmocka_unit_test(test_random_versions),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
