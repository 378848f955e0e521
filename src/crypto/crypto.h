/* crypto.h (internal): the few primitives warden needs, as thin wrappers over OpenSSL 3
 * libcrypto. Nothing here invents cryptography; it only fixes sizes, domain-separation labels
 * and error handling, and keeps OpenSSL types out of every other layer.
 *
 * Lifecycle: a wd_hasher is created once per thread or object and reused (OpenSSL's one-shot
 * HMAC() re-fetches the algorithm on every call and runs about 4x slower here). Functions
 * return 0 or a negative WD_E* code; they never abort. */
#ifndef WD_CRYPTO_CRYPTO_H
#define WD_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_SHA256_LEN 32
#define WD_HMAC_KEY_LEN 32
#define WD_ED25519_KEY_LEN 32
#define WD_ED25519_SIG_LEN 64

typedef struct wd_hasher wd_hasher;

int wd_hasher_new(wd_hasher **out);
void wd_hasher_free(wd_hasher *h);

/* SHA-256 of the concatenation of parts (n of them). */
int wd_sha256_parts(wd_hasher *h, const void *const *parts, const size_t *lens, size_t n,
                    uint8_t out[static WD_SHA256_LEN]);
int wd_sha256(wd_hasher *h, const void *data, size_t len, uint8_t out[static WD_SHA256_LEN]);

/* SHA-256 of everything readable from fd, from its current offset to the end. */
int wd_sha256_fd(wd_hasher *h, int fd, uint8_t out[static WD_SHA256_LEN]);

/* HMAC-SHA-256 (RFC 2104) with a 32-byte key. */
int wd_hmac_sha256(wd_hasher *h, const uint8_t key[static WD_HMAC_KEY_LEN], const void *data,
                   size_t len, uint8_t out[static WD_SHA256_LEN]);

/* Cryptographically secure random bytes (OpenSSL's DRBG, seeded from the kernel). */
int wd_random_bytes(void *buf, size_t len);

/* Constant-time equality of two buffers of the same length. */
bool wd_ct_equal(const void *a, const void *b, size_t len);

/* Ed25519 (RFC 8032), raw 32-byte keys. */
int wd_ed25519_keygen(uint8_t priv[static WD_ED25519_KEY_LEN],
                      uint8_t pub[static WD_ED25519_KEY_LEN]);
int wd_ed25519_public(const uint8_t priv[static WD_ED25519_KEY_LEN],
                      uint8_t pub[static WD_ED25519_KEY_LEN]);
int wd_ed25519_sign(const uint8_t priv[static WD_ED25519_KEY_LEN], const void *msg, size_t len,
                    uint8_t sig[static WD_ED25519_SIG_LEN]);
/* Returns true only for a valid signature; any failure (bad key, bad encoding) is false. */
bool wd_ed25519_verify(const uint8_t pub[static WD_ED25519_KEY_LEN], const void *msg, size_t len,
                       const uint8_t sig[static WD_ED25519_SIG_LEN]);

/* A random (version 4) UUID in its 36-character text form. */
int wd_uuid_v4(char out[static 37]);

#endif
