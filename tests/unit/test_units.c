/* test_units.c: exact values for every accepted quantity, exact reasons for every refusal. Each
 * input is copied into a heap buffer of exactly its length (no terminator), so a parser that
 * reads past len is caught by ASan; the plain build checks the same with a trailing digit. */
#include "helpers.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/units.h"

typedef bool (*units_fn)(const char *s, size_t len, uint64_t *out, const char **why);

typedef struct {
    const char *in;
    uint64_t want;
} ok_case;

typedef struct {
    const char *in;
    size_t len; /* 0: strlen(in); set for inputs with an embedded NUL */
    const char *why;
} bad_case;

#define SENTINEL UINT64_C(0xdeadbeefcafef00d)
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char *exact_copy(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, s, len);
    return p;
}

/* A reason is a short lowercase line: callers print it after "file:line:col: ". */
static void check_reason_shape(const char *name, const char *in, const char *why)
{
    if (why == NULL)
        fail_msg("%s(\"%s\"): refused with no reason", name, in);
    size_t n = strlen(why);
    if (n == 0 || n > 48)
        fail_msg("%s(\"%s\"): reason length %zu: \"%s\"", name, in, n, why);
    for (size_t i = 0; i < n; i++)
        if ((why[i] >= 'A' && why[i] <= 'Z') || why[i] == '\n' || why[i] == '\r')
            fail_msg("%s(\"%s\"): reason not a lowercase line: \"%s\"", name, in, why);
}

static void run_ok(const char *name, units_fn fn, const ok_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(cases[i].in);
        char *buf = exact_copy(cases[i].in, len);
        uint64_t got = SENTINEL;
        const char *why = NULL;
        bool ok = fn(buf, len, &got, &why);
        free(buf);
        if (!ok)
            fail_msg("%s(\"%s\"): refused: %s", name, cases[i].in, why ? why : "(null)");
        if (got != cases[i].want)
            fail_msg("%s(\"%s\"): got %llu, want %llu", name, cases[i].in, (unsigned long long)got,
                     (unsigned long long)cases[i].want);
    }
}

static void run_bad(const char *name, units_fn fn, const bad_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        char *buf = exact_copy(cases[i].in, len);
        uint64_t got = SENTINEL;
        const char *why = NULL;
        bool ok = fn(buf, len, &got, &why);
        free(buf);
        if (ok)
            fail_msg("%s(\"%s\"): accepted as %llu, want refusal \"%s\"", name, cases[i].in,
                     (unsigned long long)got, cases[i].why);
        check_reason_shape(name, cases[i].in, why);
        if (strcmp(why, cases[i].why) != 0)
            fail_msg("%s(\"%s\"): reason \"%s\", want \"%s\"", name, cases[i].in, why,
                     cases[i].why);
        if (got != SENTINEL)
            fail_msg("%s(\"%s\"): output written on failure", name, cases[i].in);
    }
}

#define RUN_OK(fn, t) run_ok(#fn, fn, t, COUNT(t))
#define RUN_BAD(fn, t) run_bad(#fn, fn, t, COUNT(t))

/* ---- cpu ---------------------------------------------------------------------------------- */

static void test_cpu_ok(void **state)
{
    (void)state;
    static const ok_case cases[] = {
        {"500m", 500},
        {"1", 1000},
        {"0.5", 500},
        {"2.250", 2250},
        {"2.25", 2250},
        {"1000m", 1000},
        {"0.1", 100},
        {"0.001", 1},
        {"1m", 1},
        {"4", 4000},
        {"0500m", 500},
        {"999999.999", UINT64_C(999999999)},
        {"1000000", UINT64_C(1000000000)},
        {"1000000.000", UINT64_C(1000000000)},
        {"1000000000m", UINT64_C(1000000000)},
    };
    RUN_OK(wd_units_cpu, cases);
}

static void test_cpu_bad(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"", 0, "empty"},
        {" 1", 0, "contains whitespace"},
        {"1 ", 0, "contains whitespace"},
        {"500 m", 0, "contains whitespace"},
        {"1\t", 0, "contains whitespace"},
        {"+1", 0, "contains a sign"},
        {"-1", 0, "contains a sign"},
        {"-500m", 0, "contains a sign"},
        {"0", 0, "must not be zero"},
        {"0m", 0, "must not be zero"},
        {"0.0", 0, "must not be zero"},
        {"0.000", 0, "must not be zero"},
        {"0.0005", 0, "more than 3 fractional digits"},
        {"2.2500", 0, "more than 3 fractional digits"},
        {"1.5m", 0, "fractional millicores"},
        {"1.", 0, "missing digits after '.'"},
        {"1.m", 0, "missing digits after '.'"},
        {"1..5", 0, "missing digits after '.'"},
        {".5", 0, "missing digits before '.'"},
        {"m", 0, "expected a number"},
        {"abc", 0, "expected a number"},
        {"500M", 0, "unknown suffix"},
        {"500mi", 0, "unknown suffix"},
        {"500mm", 0, "unknown suffix"},
        {"1k", 0, "unknown suffix"},
        {"1e3", 0, "unknown suffix"},
        {"0x10", 0, "unknown suffix"},
        {"1,5", 0, "unknown suffix"},
        {"1.5.0", 0, "unknown suffix"},
        {"1000001", 0, "more than 1000000 cores"},
        {"1000000.001", 0, "more than 1000000 cores"},
        {"1000000001m", 0, "more than 1000000 cores"},
        {"18446744073709551615m", 0, "more than 1000000 cores"},
        {"18446744073709551616m", 0, "more than 1000000 cores"},
        {"18446744073709551616", 0, "more than 1000000 cores"},
        {"18446744073709551615", 0, "more than 1000000 cores"},
    };
    RUN_BAD(wd_units_cpu, cases);
}

/* ---- legacy cpu percentage ---------------------------------------------------------------- */

static void test_cpu_legacy_ok(void **state)
{
    (void)state;
    static const ok_case cases[] = {
        {"50.0", 500}, {"10", 100},   {"150", 1500}, {"0.5", 5},
        {"0.1", 1},    {"100", 1000}, {"12.3", 123}, {"100000000", UINT64_C(1000000000)},
    };
    RUN_OK(wd_units_cpu_legacy, cases);
}

static void test_cpu_legacy_bad(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"", 0, "empty"},
        {"50 ", 0, "contains whitespace"},
        {"-5", 0, "contains a sign"},
        {"+50.0", 0, "contains a sign"},
        {"0", 0, "must not be zero"},
        {"0.0", 0, "must not be zero"},
        {"50.05", 0, "more than 1 fractional digit"},
        {"50.25", 0, "more than 1 fractional digit"},
        {"50.00", 0, "more than 1 fractional digit"},
        {"50%", 0, "no suffix allowed here"},
        {"500m", 0, "no suffix allowed here"},
        {"1.", 0, "missing digits after '.'"},
        {".5", 0, "missing digits before '.'"},
        {"x", 0, "expected a number"},
        {"100000000.1", 0, "more than 1000000 cores"},
        {"100000001", 0, "more than 1000000 cores"},
        {"18446744073709551616", 0, "more than 1000000 cores"},
    };
    RUN_BAD(wd_units_cpu_legacy, cases);
}

/* ---- bytes -------------------------------------------------------------------------------- */

static void test_bytes_ok(void **state)
{
    (void)state;
    static const ok_case cases[] = {
        {"1", 1},
        {"1048576", UINT64_C(1048576)},
        {"512Mi", UINT64_C(512) << 20},
        {"1Ki", 1024},
        {"1Mi", UINT64_C(1) << 20},
        {"1Gi", UINT64_C(1) << 30},
        {"1Ti", UINT64_C(1) << 40},
        {"1Pi", UINT64_C(1) << 50},
        {"1Ei", UINT64_C(1) << 60},
        {"15Ei", UINT64_C(15) << 60},
        {"1k", 1000},
        {"1K", 1000},
        {"1M", UINT64_C(1000000)},
        {"1G", UINT64_C(1000000000)},
        {"1T", UINT64_C(1000000000000)},
        {"1P", UINT64_C(1000000000000000)},
        {"1E", UINT64_C(1000000000000000000)},
        {"1.5Ki", 1536},
        {"1.50Ki", 1536},
        {"1.5Gi", UINT64_C(1610612736)},
        {"0.5Ki", 512},
        {"0.25Ki", 256},
        {"0.0009765625Ki", 1}, /* 2^-10 KiB */
        {"1.000000000000000000000000000000Ki", 1024},
        {"15.5Ei", (UINT64_C(31) << 59)},
        {"1.5k", 1500},
        {"0.001k", 1},
        {"0.5E", UINT64_C(500000000000000000)},
        {"007", 7},
        {"18446744073709551615", UINT64_MAX},
        {"18.446744073709551615E", UINT64_MAX},
        {"18014398509481983Ki", UINT64_MAX - 1023},
    };
    RUN_OK(wd_units_bytes, cases);
}

static void test_bytes_bad(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"", 0, "empty"},
        {" 1", 0, "contains whitespace"},
        {"1 Ki", 0, "contains whitespace"},
        {"1\n", 0, "contains whitespace"},
        {"+1", 0, "contains a sign"},
        {"-1Ki", 0, "contains a sign"},
        {"1e-3", 0, "contains a sign"},
        {"0", 0, "must not be zero"},
        {"0Ki", 0, "must not be zero"},
        {"0E", 0, "must not be zero"},
        {"0.0Ki", 0, "must not be zero"},
        {"1.5", 0, "a fraction needs a suffix"},
        {"1.0", 0, "a fraction needs a suffix"},
        {"0.0", 0, "a fraction needs a suffix"},
        {"0.3Ki", 0, "not a whole number of bytes"},
        {"1.0001k", 0, "not a whole number of bytes"},
        {"0.1Ki", 0, "not a whole number of bytes"},
        {"15.9999Ei", 0, "not a whole number of bytes"},
        {"18.4467440737095516151E", 0, "not a whole number of bytes"},
        {"1.00000000000000000000000000000000000000000000000000000000000000000001Ki", 0,
         "not a whole number of bytes"},
        {"16Ei", 0, "number too large"},
        {"18014398509481984Ki", 0, "number too large"},
        {"18446744073709551616", 0, "number too large"},
        {"99999999999999999999999", 0, "number too large"},
        {"18.446744073709551616E", 0, "number too large"},
        {"19E", 0, "number too large"},
        {"512Mix", 0, "unknown suffix"},
        {"512MB", 0, "unknown suffix"},
        {"5mb", 0, "unknown suffix"},
        {"1Kb", 0, "unknown suffix"},
        {"1KiB", 0, "unknown suffix"},
        {"1e3", 0, "unknown suffix"},
        {"0x10", 0, "unknown suffix"},
        {"1_000", 0, "unknown suffix"},
        {"1B", 0, "unknown suffix"},
        {"512mi", 0, "suffix has the wrong case"},
        {"1ki", 0, "suffix has the wrong case"},
        {"1KI", 0, "suffix has the wrong case"},
        {"1g", 0, "suffix has the wrong case"},
        {"1..5", 0, "missing digits after '.'"},
        {"1.", 0, "missing digits after '.'"},
        {"1.Ki", 0, "missing digits after '.'"},
        {".5", 0, "missing digits before '.'"},
        {".5Ki", 0, "missing digits before '.'"},
        {"Ki", 0, "expected a number"},
    };
    RUN_BAD(wd_units_bytes, cases);
}

/* ---- legacy memory ------------------------------------------------------------------------ */

static void test_memory_legacy_ok(void **state)
{
    (void)state;
    static const ok_case cases[] = {
        {"1024", UINT64_C(1073741824)},
        {"128", UINT64_C(134217728)},
        {"1", UINT64_C(1048576)},
        {"17592186044415", (UINT64_C(17592186044415) << 20)},
    };
    RUN_OK(wd_units_memory_legacy, cases);
}

static void test_memory_legacy_bad(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"", 0, "empty"},
        {"1024 ", 0, "contains whitespace"},
        {"-1", 0, "contains a sign"},
        {"0", 0, "must not be zero"},
        {"1.5", 0, "not a whole number of mib"},
        {"1.0", 0, "not a whole number of mib"},
        {"512Mi", 0, "no suffix allowed here"},
        {"1k", 0, "no suffix allowed here"},
        {"1024MB", 0, "no suffix allowed here"},
        {"1.", 0, "missing digits after '.'"},
        {".5", 0, "missing digits before '.'"},
        {"Mi", 0, "expected a number"},
        {"17592186044416", 0, "number too large"},
        {"18446744073709551616", 0, "number too large"},
    };
    RUN_BAD(wd_units_memory_legacy, cases);
}

/* ---- duration ----------------------------------------------------------------------------- */

static void test_duration_ok(void **state)
{
    (void)state;
    static const ok_case cases[] = {
        {"30", 30000},
        {"1", 1000},
        {"500ms", 500},
        {"30s", 30000},
        {"90s", 90000},
        {"5m", 300000},
        {"1h", 3600000},
        {"1m30s", 90000},
        {"1h30m", 5400000},
        {"1h0m", 3600000},
        {"1h05m", 3900000},
        {"0h1s", 1000},
        {"1s500ms", 1500},
        {"1h1m1s1ms", 3661001},
        {"18446744073709551615ms", UINT64_MAX},
        {"18446744073709551s", UINT64_C(18446744073709551000)},
        {"18446744073709551s615ms", UINT64_MAX},
        {"5124095576030h", UINT64_C(18446744073708000000)},
        {"18446744073709551", UINT64_C(18446744073709551000)},
    };
    RUN_OK(wd_units_duration_ms, cases);
}

static void test_duration_bad(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"", 0, "empty"},
        {"1h 30m", 0, "contains whitespace"},
        {"30 s", 0, "contains whitespace"},
        {"+1s", 0, "contains a sign"},
        {"-30", 0, "contains a sign"},
        {"0", 0, "must not be zero"},
        {"0s", 0, "must not be zero"},
        {"0ms", 0, "must not be zero"},
        {"0h0m", 0, "must not be zero"},
        {"30s1m", 0, "units must decrease"},
        {"1m1h", 0, "units must decrease"},
        {"1ms1s", 0, "units must decrease"},
        {"1s1s", 0, "repeated unit"},
        {"1ms1ms", 0, "repeated unit"},
        {"1h30m1h", 0, "units must decrease"},
        {"1.5s", 0, "fractions not allowed in durations"},
        {"1.5", 0, "fractions not allowed in durations"},
        {"1.", 0, "fractions not allowed in durations"},
        {"ms", 0, "expected a number"},
        {"s", 0, "expected a number"},
        {"1h.5m", 0, "expected a number"},
        {"1d", 0, "unknown unit"},
        {"1S", 0, "unknown unit"},
        {"1H", 0, "unknown unit"},
        {"1sec", 0, "unknown unit"},
        {"1mss", 0, "unknown unit"},
        {"1us", 0, "unknown unit"},
        {"1_s", 0, "unknown unit"},
        {"1h30", 0, "missing unit"},
        {"1m30", 0, "missing unit"},
        {"18446744073709551616ms", 0, "duration too large"},
        {"18446744073709552s", 0, "duration too large"},
        {"18446744073709552", 0, "duration too large"},
        {"5124095576031h", 0, "duration too large"},
        {"18446744073709551s1000ms", 0, "duration too large"},
    };
    RUN_BAD(wd_units_duration_ms, cases);
}

/* ---- count -------------------------------------------------------------------------------- */

static void test_count_ok(void **state)
{
    (void)state;
    static const ok_case cases[] = {
        {"1", 1},
        {"64", 64},
        {"10", 10},
        {"1048576", UINT64_C(1048576)},
        {"18446744073709551615", UINT64_MAX},
    };
    RUN_OK(wd_units_count, cases);
}

static void test_count_bad(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"", 0, "empty"},
        {" 1", 0, "contains whitespace"},
        {"1\r", 0, "contains whitespace"},
        {"-1", 0, "contains a sign"},
        {"+1", 0, "contains a sign"},
        {"0", 0, "must not be zero"},
        {"01", 0, "leading zero"},
        {"00", 0, "leading zero"},
        {"1.0", 0, "not a decimal integer"},
        {"1e3", 0, "not a decimal integer"},
        {"0x10", 0, "not a decimal integer"},
        {"1k", 0, "not a decimal integer"},
        {"64m", 0, "not a decimal integer"},
        {"18446744073709551616", 0, "number too large"},
        {"99999999999999999999", 0, "number too large"},
    };
    RUN_BAD(wd_units_count, cases);
}

/* ---- properties shared by every function -------------------------------------------------- */

static const struct {
    const char *name;
    units_fn fn;
} all_fns[] = {
    {"wd_units_cpu", wd_units_cpu},
    {"wd_units_cpu_legacy", wd_units_cpu_legacy},
    {"wd_units_bytes", wd_units_bytes},
    {"wd_units_memory_legacy", wd_units_memory_legacy},
    {"wd_units_duration_ms", wd_units_duration_ms},
    {"wd_units_count", wd_units_count},
};

/* The byte at s[len] is a digit: reading it would change the value or cause an overflow. */
static void test_not_nul_terminated(void **state)
{
    (void)state;
    static const struct {
        units_fn fn;
        const char *buf;
        size_t len;
        uint64_t want;
    } cases[] = {
        {wd_units_cpu, "5009", 3, 500000},
        {wd_units_cpu, "500m7", 4, 500},
        {wd_units_cpu, "0.59", 3, 500},
        {wd_units_cpu_legacy, "50.05", 4, 500},
        {wd_units_bytes, "5129", 3, 512},
        {wd_units_bytes, "512Mi7", 5, UINT64_C(512) << 20},
        {wd_units_bytes, "1.5Ki5", 5, 1536},
        {wd_units_bytes, "184467440737095516159", 20, UINT64_MAX},
        {wd_units_memory_legacy, "10249", 4, UINT64_C(1073741824)},
        {wd_units_duration_ms, "305", 2, 30000},
        {wd_units_duration_ms, "30s5", 3, 30000},
        {wd_units_duration_ms, "1m30s9", 5, 90000},
        {wd_units_count, "645", 2, 64},
        {wd_units_count, "184467440737095516159", 20, UINT64_MAX},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        uint64_t got = SENTINEL;
        const char *why = NULL;
        char buf[32];
        size_t n = strlen(cases[i].buf);
        assert_true(n < sizeof(buf) && cases[i].len < n);
        memcpy(buf, cases[i].buf, n); /* no terminator copied */
        if (!cases[i].fn(buf, cases[i].len, &got, &why))
            fail_msg("case %zu (\"%.*s\"): refused: %s", i, (int)cases[i].len, cases[i].buf,
                     why ? why : "(null)");
        if (got != cases[i].want)
            fail_msg("case %zu: got %llu, want %llu", i, (unsigned long long)got,
                     (unsigned long long)cases[i].want);
    }
}

static void test_embedded_nul(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
    } inputs[] = {
        {"1\0", 2},
        {"\0"
         "1",
         2},
        {"5\0Mi", 4},
        {"1\0"
         "0",
         3},
        {"1s\0"
         "1ms",
         6},
    };
    for (size_t f = 0; f < COUNT(all_fns); f++) {
        for (size_t i = 0; i < COUNT(inputs); i++) {
            bad_case c = {inputs[i].in, inputs[i].len, "contains a nul byte"};
            run_bad(all_fns[f].name, all_fns[f].fn, &c, 1);
        }
    }
}

static void test_empty_and_zero_length(void **state)
{
    (void)state;
    for (size_t f = 0; f < COUNT(all_fns); f++) {
        uint64_t got = SENTINEL;
        const char *why = NULL;
        /* A non-empty buffer with len 0 is empty: len is the whole truth. */
        assert_false(all_fns[f].fn("1", 0, &got, &why));
        assert_non_null(why);
        assert_string_equal(why, "empty");
        assert_true(got == SENTINEL);

        why = NULL;
        assert_false(all_fns[f].fn(NULL, 0, &got, &why));
        assert_non_null(why);
        assert_string_equal(why, "empty");
        assert_true(got == SENTINEL);
    }
}

/* Every whitespace byte, anywhere, for every function. */
static void test_whitespace_anywhere(void **state)
{
    (void)state;
    static const char spaces[] = {' ', '\t', '\n', '\r', '\v', '\f'};
    static const char *const valid[] = {"1", "10", "100"}; /* accepted by all six */
    for (size_t f = 0; f < COUNT(all_fns); f++) {
        for (size_t v = 0; v < COUNT(valid); v++) {
            size_t n = strlen(valid[v]);
            for (size_t sp = 0; sp < COUNT(spaces); sp++) {
                for (size_t at = 0; at <= n; at++) {
                    char text[8] = {0};
                    memcpy(text, valid[v], at);
                    text[at] = spaces[sp];
                    memcpy(text + at + 1, valid[v] + at, n - at);
                    bad_case c = {text, n + 1, "contains whitespace"};
                    run_bad(all_fns[f].name, all_fns[f].fn, &c, 1);
                }
            }
            /* ...and the same text without whitespace is accepted, so the refusal above is the
             * whitespace's doing. */
            uint64_t got = 0;
            const char *why = NULL;
            assert_true(all_fns[f].fn(valid[v], n, &got, &why));
            assert_true(got != 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_ok),
        cmocka_unit_test(test_cpu_bad),
        cmocka_unit_test(test_cpu_legacy_ok),
        cmocka_unit_test(test_cpu_legacy_bad),
        cmocka_unit_test(test_bytes_ok),
        cmocka_unit_test(test_bytes_bad),
        cmocka_unit_test(test_memory_legacy_ok),
        cmocka_unit_test(test_memory_legacy_bad),
        cmocka_unit_test(test_duration_ok),
        cmocka_unit_test(test_duration_bad),
        cmocka_unit_test(test_count_ok),
        cmocka_unit_test(test_count_bad),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_empty_and_zero_length),
        cmocka_unit_test(test_whitespace_anywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
