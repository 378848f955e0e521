/* test_totp.c: one-time codes (override.h) against the RFC 4226 and RFC 6238 test vectors, the
 * verification window, replay refusal, RFC 4648 base32, the otpauth:// URI, and codes that
 * oathtool (an independent implementation) computes, when it is installed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "override/totp.h"
#include "warden/warden.h"

static const uint8_t *seed(size_t n)
{
    /* RFC 6238 Appendix B: "1234567890" repeated to 20, 32 and 64 bytes. */
    static uint8_t s[64];
    for (size_t i = 0; i < n; i++)
        s[i] = (uint8_t)('0' + (i + 1) % 10);
    return s;
}

static void test_rfc4226_vectors(void **state)
{
    (void)state;
    static const char *const want[] = {"755224", "287082", "359152", "969429", "338314",
                                       "254676", "287922", "162583", "399871", "520489"};
    for (uint64_t c = 0; c < 10; c++) {
        char code[9];
        assert_int_equal(wd_hotp(seed(20), 20, c, WD_TOTP_SHA1, 6, code), 0);
        assert_string_equal(code, want[c]);
    }
}

static void test_rfc6238_vectors(void **state)
{
    (void)state;
    static const struct {
        int64_t t;
        const char *sha1, *sha256, *sha512;
    } v[] = {
        {59, "94287082", "46119246", "90693936"},
        {1111111109, "07081804", "68084774", "25091201"},
        {1111111111, "14050471", "67062674", "99943326"},
        {1234567890, "89005924", "91819424", "93441116"},
        {2000000000, "69279037", "90698825", "38618901"},
        {20000000000, "65353130", "77737706", "47863826"}, /* past 2038: 64-bit time */
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
        char code[9];
        wd_totp_params p = {WD_TOTP_SHA1, 8, 30};
        assert_int_equal(wd_totp(seed(20), 20, v[i].t, &p, code), 0);
        assert_string_equal(code, v[i].sha1);
        p.alg = WD_TOTP_SHA256;
        assert_int_equal(wd_totp(seed(32), 32, v[i].t, &p, code), 0);
        assert_string_equal(code, v[i].sha256);
        p.alg = WD_TOTP_SHA512;
        assert_int_equal(wd_totp(seed(64), 64, v[i].t, &p, code), 0);
        assert_string_equal(code, v[i].sha512);
        /* Verification accepts each at its own time. */
        int64_t step;
        assert_int_equal(wd_totp_verify(seed(64), 64, v[i].sha512, v[i].t, &p, -1, &step), 0);
        assert_int_equal(step, v[i].t / 30);
    }
}

static void test_parameters_refused(void **state)
{
    (void)state;
    char code[9];
    /* Secrets under 160 bits or over 64 bytes, digits outside 6-8, unknown algorithms. */
    assert_int_equal(wd_hotp(seed(20), 19, 0, WD_TOTP_SHA1, 6, code), WD_EINVAL);
    assert_string_equal(wd_error_last()->id, "WD-O004");
    assert_int_equal(wd_hotp(seed(64), 65, 0, WD_TOTP_SHA1, 6, code), WD_EINVAL);
    assert_int_equal(wd_hotp(seed(20), 20, 0, WD_TOTP_SHA1, 5, code), WD_EINVAL);
    assert_int_equal(wd_hotp(seed(20), 20, 0, WD_TOTP_SHA1, 9, code), WD_EINVAL);
    assert_int_equal(wd_hotp(seed(20), 20, 0, (wd_totp_alg)9, 6, code), WD_EINVAL);
    assert_int_equal(wd_totp(seed(20), 20, -1, NULL, code), WD_EINVAL);
    wd_totp_alg a;
    assert_int_equal(wd_totp_alg_parse("sha256", &a), 0);
    assert_int_equal(a, WD_TOTP_SHA256);
    assert_int_equal(wd_totp_alg_parse("MD5", &a), WD_EINVAL);
    assert_string_equal(wd_totp_alg_name(WD_TOTP_SHA512), "SHA512");
    assert_null(wd_totp_alg_name((wd_totp_alg)0));
}

static void test_window_and_replay(void **state)
{
    (void)state;
    const uint8_t *k = seed(20);
    wd_totp_params p = {0}; /* SHA-1, 6 digits, 30 s */
    int64_t t = 1700000000, step = 0, now = t / 30;
    char before[9], at[9], after[9], far[9];
    assert_int_equal(wd_totp(k, 20, t - 30, &p, before), 0);
    assert_int_equal(wd_totp(k, 20, t, &p, at), 0);
    assert_int_equal(wd_totp(k, 20, t + 30, &p, after), 0);
    assert_int_equal(wd_totp(k, 20, t + 60, &p, far), 0);
    /* One step either side is accepted, with the step it matched. */
    assert_int_equal(wd_totp_verify(k, 20, before, t, &p, -1, &step), 0);
    assert_int_equal(step, now - 1);
    assert_int_equal(wd_totp_verify(k, 20, after, t, &p, -1, &step), 0);
    assert_int_equal(step, now + 1);
    /* Two steps away is not (unless it happens to collide with a neighbour's code). */
    if (strcmp(far, before) && strcmp(far, at) && strcmp(far, after)) {
        assert_int_equal(wd_totp_verify(k, 20, far, t, &p, -1, &step), WD_EPERM);
        assert_string_equal(wd_error_last()->id, "WD-O001");
        assert_int_equal(step, -1);
    }
    /* Replay: the same code again, or a code of an earlier step after a later one. */
    assert_int_equal(wd_totp_verify(k, 20, at, t, &p, -1, &step), 0);
    int64_t last = step;
    assert_int_equal(wd_totp_verify(k, 20, at, t, &p, last, &step), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-O002");
    assert_int_equal(wd_totp_verify(k, 20, before, t, &p, last, &step), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-O002");
    /* ...a later step still works. */
    assert_int_equal(wd_totp_verify(k, 20, after, t, &p, last, &step), 0);
    assert_int_equal(step, now + 1);
    /* Malformed codes are refused before anything is computed. */
    const char *bad[] = {"", "12345", "1234567", "12a456", " 12345", "123456\n", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        assert_int_equal(wd_totp_verify(k, 20, bad[i], t, &p, -1, &step), WD_EINVAL);
        assert_string_equal(wd_error_last()->id, "WD-O003");
    }
    /* At time 0 there is no step before; the window still works. */
    char zero[9];
    assert_int_equal(wd_totp(k, 20, 0, &p, zero), 0);
    assert_int_equal(wd_totp_verify(k, 20, zero, 10, &p, -1, &step), 0);
    assert_int_equal(step, 0);
}

/* What a verification found is a value the caller branches on, whatever the error's text:
 * accepted, wrong, replayed and malformed each come back as themselves. */
static void test_outcome(void **state)
{
    (void)state;
    const uint8_t *k = seed(20);
    wd_totp_params p = {0}; /* SHA-1, 6 digits, 30 s */
    int64_t t = 1700000000, step = 0;
    char at[9], far[9];
    assert_int_equal(wd_totp(k, 20, t, &p, at), 0);
    assert_int_equal(wd_totp(k, 20, t + 60, &p, far), 0);
    wd_totp_outcome found = WD_TOTP_FAILED;
    assert_int_equal(wd_totp_check(k, 20, at, t, &p, -1, &step, &found), 0);
    assert_int_equal(found, WD_TOTP_ACCEPTED);
    assert_int_equal(wd_totp_check(k, 20, at, t, &p, step, &step, &found), WD_EPERM);
    assert_int_equal(found, WD_TOTP_REPLAYED);
    if (strcmp(far, at)) {
        assert_int_equal(wd_totp_check(k, 20, far, t, &p, -1, &step, &found), WD_EPERM);
        assert_int_equal(found, WD_TOTP_WRONG);
    }
    assert_int_equal(wd_totp_check(k, 20, "12a456", t, &p, -1, &step, &found), WD_EINVAL);
    assert_int_equal(found, WD_TOTP_MALFORMED);
    assert_int_equal(wd_totp_check(k, 20, at, -1, &p, -1, &step, &found), WD_EINVAL);
    assert_int_equal(found, WD_TOTP_MALFORMED);
}

static void test_base32(void **state)
{
    (void)state;
    /* RFC 4648 section 10, without padding. */
    static const struct {
        const char *in, *out;
    } v[] = {{"", ""},
             {"f", "MY"},
             {"fo", "MZXQ"},
             {"foo", "MZXW6"},
             {"foob", "MZXW6YQ"},
             {"fooba", "MZXW6YTB"},
             {"foobar", "MZXW6YTBOI"}};
    for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
        char enc[32];
        uint8_t dec[32];
        size_t n;
        assert_int_equal(
            wd_base32_encode((const uint8_t *)v[i].in, strlen(v[i].in), enc, sizeof(enc)), 0);
        assert_string_equal(enc, v[i].out);
        assert_int_equal(wd_base32_decode(enc, strlen(enc), dec, sizeof(dec), &n), 0);
        assert_int_equal(n, strlen(v[i].in));
        assert_memory_equal(dec, v[i].in, n);
    }
    uint8_t dec[32];
    size_t n;
    /* Lower case, padding and spaces between groups, as people copy secrets. */
    assert_int_equal(wd_base32_decode("mzxw 6ytb oi======", 18, dec, sizeof(dec), &n), 0);
    assert_int_equal(n, 6);
    assert_memory_equal(dec, "foobar", 6);
    /* Refused: letters outside the alphabet, text after padding, leftover bits, overflow. */
    assert_int_equal(wd_base32_decode("MZXW1", 5, dec, sizeof(dec), &n), WD_EINVAL);
    assert_int_equal(wd_base32_decode("MY=A", 4, dec, sizeof(dec), &n), WD_EINVAL);
    assert_int_equal(wd_base32_decode("MZ", 2, dec, sizeof(dec), &n), WD_EINVAL);
    assert_int_equal(wd_base32_decode("M", 1, dec, sizeof(dec), &n), WD_EINVAL);
    assert_int_equal(wd_base32_decode("MZXW6YTBOI", 10, dec, 5, &n), WD_ERANGE);
    char small[4];
    assert_int_equal(wd_base32_encode((const uint8_t *)"foo", 3, small, sizeof(small)), WD_ERANGE);
}

static void test_uri(void **state)
{
    (void)state;
    char uri[512];
    wd_totp_params p = {WD_TOTP_SHA256, 8, 30};
    assert_int_equal(wd_totp_uri(seed(20), 20, "warden", "alice@ops team", &p, uri, sizeof(uri)),
                     0);
    assert_string_equal(uri, "otpauth://totp/warden:alice%40ops%20team?secret="
                             "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=warden&algorithm=SHA256"
                             "&digits=8&period=30");
    assert_int_equal(wd_totp_uri(seed(20), 20, "warden", "", NULL, uri, sizeof(uri)), WD_EINVAL);
    assert_int_equal(wd_totp_uri(seed(20), 20, "warden", "a", NULL, uri, 40), WD_ERANGE);
    assert_int_equal(wd_totp_uri(seed(10), 10, "warden", "a", NULL, uri, sizeof(uri)), WD_EINVAL);
}

/* Codes from oathtool, an independent implementation, for the secret above. */
static void test_oathtool(void **state)
{
    (void)state;
    if (wd_test_run("command -v oathtool >/dev/null 2>&1") != 0)
        skip();
    char *dir = wd_test_tmpdir();
    char cmd[1024], path[512];
    snprintf(path, sizeof(path), "%s/codes", dir);
    const char *algs[] = {"SHA1", "SHA256", "SHA512"};
    int64_t now = (int64_t)time(NULL);
    for (int a = 0; a < 3; a++)
        for (unsigned digits = 6; digits <= 8; digits++) {
            /* A fixed time too, so a step boundary between the two runs cannot matter. */
            int64_t t = now - now % 30 + 7;
            snprintf(cmd, sizeof(cmd),
                     "oathtool -b --totp=%s --digits=%u --now='@%lld' "
                     "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ >'%s'",
                     algs[a], digits, (long long)t, path);
            assert_int_equal(wd_test_run(cmd), 0);
            FILE *f = fopen(path, "r");
            assert_non_null(f);
            char theirs[16] = "";
            assert_non_null(fgets(theirs, sizeof(theirs), f));
            fclose(f);
            theirs[strcspn(theirs, "\n")] = 0;
            wd_totp_params p = {(wd_totp_alg)(a + 1), digits, 30};
            int64_t step;
            assert_int_equal(wd_totp_verify(seed(20), 20, theirs, t, &p, -1, &step), 0);
            assert_int_equal(step, t / 30);
        }
    wd_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4226_vectors),
        cmocka_unit_test(test_rfc6238_vectors),
        cmocka_unit_test(test_parameters_refused),
        cmocka_unit_test(test_window_and_replay),
        cmocka_unit_test(test_outcome),
        cmocka_unit_test(test_base32),
        cmocka_unit_test(test_uri),
        cmocka_unit_test(test_oathtool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
