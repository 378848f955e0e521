/* test_crypto.c: the crypto wrappers against published test vectors (FIPS 180-2, RFC 4231,
 * RFC 8032) and the properties warden relies on. */
#include <string.h>

#include "crypto/crypto.h"
#include "helpers.h"
#include "util/secure.h"

static void hex(const char *h, uint8_t *out, size_t len)
{
    assert_true(wd_hex_decode(h, strlen(h), out, len));
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    wd_hasher *h;
    assert_int_equal(wd_hasher_new(&h), 0);
    uint8_t got[32], want[32];
    assert_int_equal(wd_sha256(h, "abc", 3, got), 0);
    hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
    assert_memory_equal(got, want, 32);
    assert_int_equal(wd_sha256(h, "", 0, got), 0);
    hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want, 32);
    assert_memory_equal(got, want, 32);
    /* parts hash like their concatenation */
    const void *parts[3] = {"a", "", "bc"};
    const size_t lens[3] = {1, 0, 2};
    assert_int_equal(wd_sha256_parts(h, parts, lens, 3, got), 0);
    hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
    assert_memory_equal(got, want, 32);
    wd_hasher_free(h);
}

static void test_hmac_vectors(void **state)
{
    (void)state;
    wd_hasher *h;
    assert_int_equal(wd_hasher_new(&h), 0);
    uint8_t key[32] = {0}, got[32], want[32];
    /* RFC 4231 test case 1: a 20-byte key is the same key zero-padded to 32 bytes. */
    memset(key, 0x0b, 20);
    assert_int_equal(wd_hmac_sha256(h, key, "Hi There", 8, got), 0);
    hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", want, 32);
    assert_memory_equal(got, want, 32);
    /* RFC 4231 test case 2: key "Jefe". */
    memset(key, 0, sizeof(key));
    memcpy(key, "Jefe", 4);
    assert_int_equal(wd_hmac_sha256(h, key, "what do ya want for nothing?", 28, got), 0);
    hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
    assert_memory_equal(got, want, 32);
    /* RFC 4231 test case 3: 20 x 0xaa key, 50 x 0xdd data. */
    memset(key, 0, sizeof(key));
    memset(key, 0xaa, 20);
    uint8_t data[50];
    memset(data, 0xdd, sizeof(data));
    assert_int_equal(wd_hmac_sha256(h, key, data, sizeof(data), got), 0);
    hex("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", want, 32);
    assert_memory_equal(got, want, 32);
    wd_hasher_free(h);
}

static void test_ed25519_vectors(void **state)
{
    (void)state;
    uint8_t priv[32], pub[32], want_pub[32], sig[64], want_sig[64];
    /* RFC 8032 section 7.1, TEST 1 (empty message) */
    hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", priv, 32);
    hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", want_pub, 32);
    hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3"
        "9701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        want_sig, 64);
    assert_int_equal(wd_ed25519_public(priv, pub), 0);
    assert_memory_equal(pub, want_pub, 32);
    assert_int_equal(wd_ed25519_sign(priv, "", 0, sig), 0);
    assert_memory_equal(sig, want_sig, 64);
    assert_true(wd_ed25519_verify(pub, "", 0, sig));
    /* RFC 8032 TEST 2 (one byte 0x72) */
    hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", priv, 32);
    hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", want_pub, 32);
    hex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f36"
        "13d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        want_sig, 64);
    assert_int_equal(wd_ed25519_public(priv, pub), 0);
    assert_memory_equal(pub, want_pub, 32);
    assert_int_equal(wd_ed25519_sign(priv, "\x72", 1, sig), 0);
    assert_memory_equal(sig, want_sig, 64);
    assert_true(wd_ed25519_verify(pub, "\x72", 1, sig));
    /* Any flipped bit in message, signature or key fails. */
    assert_false(wd_ed25519_verify(pub, "\x73", 1, sig));
    sig[10] ^= 1;
    assert_false(wd_ed25519_verify(pub, "\x72", 1, sig));
    sig[10] ^= 1;
    pub[0] ^= 1;
    assert_false(wd_ed25519_verify(pub, "\x72", 1, sig));
}

static void test_keygen_and_random(void **state)
{
    (void)state;
    uint8_t a[32], b[32], pa[32], pb[32], sig[64];
    assert_int_equal(wd_ed25519_keygen(a, pa), 0);
    assert_int_equal(wd_ed25519_keygen(b, pb), 0);
    assert_memory_not_equal(a, b, 32);
    assert_int_equal(wd_ed25519_sign(a, "m", 1, sig), 0);
    assert_true(wd_ed25519_verify(pa, "m", 1, sig));
    assert_false(wd_ed25519_verify(pb, "m", 1, sig)); /* another key does not verify */
    uint8_t r1[64], r2[64];
    assert_int_equal(wd_random_bytes(r1, sizeof(r1)), 0);
    assert_int_equal(wd_random_bytes(r2, sizeof(r2)), 0);
    assert_memory_not_equal(r1, r2, sizeof(r1));
}

static void test_ct_hex_wipe(void **state)
{
    (void)state;
    assert_true(wd_ct_equal("abcd", "abcd", 4));
    assert_false(wd_ct_equal("abcd", "abce", 4));
    assert_true(wd_ct_equal("x", "y", 0));
    uint8_t bytes[3] = {0x00, 0xab, 0xff}, back[3];
    char text[7];
    wd_hex_encode(bytes, 3, text);
    assert_string_equal(text, "00abff");
    assert_true(wd_hex_decode("00ABff", 6, back, 3));
    assert_memory_equal(bytes, back, 3);
    assert_false(wd_hex_decode("00abf", 5, back, 3));
    assert_false(wd_hex_decode("00abfg", 6, back, 3));
    assert_false(wd_hex_decode("00abff00", 8, back, 3));
    uint8_t secret[16];
    memset(secret, 0x5a, sizeof(secret));
    wd_wipe(secret, sizeof(secret));
    for (size_t i = 0; i < sizeof(secret); i++)
        assert_int_equal(secret[i], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),  cmocka_unit_test(test_hmac_vectors),
        cmocka_unit_test(test_ed25519_vectors), cmocka_unit_test(test_keygen_and_random),
        cmocka_unit_test(test_ct_hex_wipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
