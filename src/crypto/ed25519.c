/* ed25519.c: Ed25519 through EVP_PKEY with raw 32-byte keys. */
#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "util/error.h"
#include "util/secure.h"

int wd_ed25519_keygen(uint8_t priv[static WD_ED25519_KEY_LEN],
                      uint8_t pub[static WD_ED25519_KEY_LEN])
{
    int rc = wd_random_bytes(priv, WD_ED25519_KEY_LEN);
    if (rc)
        return rc;
    rc = wd_ed25519_public(priv, pub);
    if (rc)
        wd_wipe(priv, WD_ED25519_KEY_LEN);
    return rc;
}

int wd_ed25519_public(const uint8_t priv[static WD_ED25519_KEY_LEN],
                      uint8_t pub[static WD_ED25519_KEY_LEN])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, WD_ED25519_KEY_LEN);
    size_t len = WD_ED25519_KEY_LEN;
    int ok = k && EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == WD_ED25519_KEY_LEN;
    EVP_PKEY_free(k);
    return ok ? 0 : wd_fail(WD_EINVAL, "invalid Ed25519 private key");
}

int wd_ed25519_sign(const uint8_t priv[static WD_ED25519_KEY_LEN], const void *msg, size_t len,
                    uint8_t sig[static WD_ED25519_SIG_LEN])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, WD_ED25519_KEY_LEN);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t siglen = WD_ED25519_SIG_LEN;
    int ok = k && ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == WD_ED25519_SIG_LEN;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(k);
    return ok ? 0 : wd_fail(WD_EINVAL, "Ed25519 signing failed");
}

bool wd_ed25519_verify(const uint8_t pub[static WD_ED25519_KEY_LEN], const void *msg, size_t len,
                       const uint8_t sig[static WD_ED25519_SIG_LEN])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, WD_ED25519_KEY_LEN);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = k && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
              EVP_DigestVerify(ctx, sig, WD_ED25519_SIG_LEN, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(k);
    return ok;
}
