/* hash.c: SHA-256 and HMAC-SHA-256 over one reusable digest context. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "util/error.h"
#include "util/secure.h"

struct wd_hasher {
    EVP_MD *md;
    EVP_MD_CTX *ctx;
};

int wd_hasher_new(wd_hasher **out)
{
    *out = NULL;
    wd_hasher *h = calloc(1, sizeof(*h));
    if (!h)
        return wd_fail(WD_ENOMEM, "out of memory");
    h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    h->ctx = EVP_MD_CTX_new();
    if (!h->md || !h->ctx) {
        wd_hasher_free(h);
        return wd_fail(WD_ENOMEM, "cannot set up SHA-256 in libcrypto");
    }
    *out = h;
    return 0;
}

void wd_hasher_free(wd_hasher *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->md);
    free(h);
}

int wd_sha256_parts(wd_hasher *h, const void *const *parts, const size_t *lens, size_t n,
                    uint8_t out[static WD_SHA256_LEN])
{
    unsigned int olen = 0;
    if (!EVP_DigestInit_ex2(h->ctx, h->md, NULL))
        return wd_fail(WD_EINVAL, "SHA-256 init failed");
    for (size_t i = 0; i < n; i++)
        if (lens[i] && !EVP_DigestUpdate(h->ctx, parts[i], lens[i]))
            return wd_fail(WD_EINVAL, "SHA-256 update failed");
    if (!EVP_DigestFinal_ex(h->ctx, out, &olen) || olen != WD_SHA256_LEN)
        return wd_fail(WD_EINVAL, "SHA-256 final failed");
    return 0;
}

int wd_sha256(wd_hasher *h, const void *data, size_t len, uint8_t out[static WD_SHA256_LEN])
{
    const void *parts[1] = {data};
    return wd_sha256_parts(h, parts, &len, 1, out);
}

int wd_sha256_fd(wd_hasher *h, int fd, uint8_t out[static WD_SHA256_LEN])
{
    unsigned char buf[64 * 1024];
    unsigned int olen = 0;
    if (!EVP_DigestInit_ex2(h->ctx, h->md, NULL))
        return wd_fail(WD_EINVAL, "SHA-256 init failed");
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return wd_fail(WD_EIO, "cannot read: %s", strerror(errno));
        if (n == 0)
            break;
        if (!EVP_DigestUpdate(h->ctx, buf, (size_t)n))
            return wd_fail(WD_EINVAL, "SHA-256 update failed");
    }
    if (!EVP_DigestFinal_ex(h->ctx, out, &olen) || olen != WD_SHA256_LEN)
        return wd_fail(WD_EINVAL, "SHA-256 final failed");
    return 0;
}

int wd_hmac_sha256(wd_hasher *h, const uint8_t key[static WD_HMAC_KEY_LEN], const void *data,
                   size_t len, uint8_t out[static WD_SHA256_LEN])
{
    enum { BLOCK = 64 };
    uint8_t ipad[BLOCK], opad[BLOCK], inner[WD_SHA256_LEN];
    for (size_t i = 0; i < BLOCK; i++) {
        uint8_t k = i < WD_HMAC_KEY_LEN ? key[i] : 0;
        ipad[i] = k ^ 0x36;
        opad[i] = k ^ 0x5c;
    }
    const void *in_parts[2] = {ipad, data};
    const size_t in_lens[2] = {BLOCK, len};
    const void *out_parts[2] = {opad, inner};
    const size_t out_lens[2] = {BLOCK, WD_SHA256_LEN};
    int rc = wd_sha256_parts(h, in_parts, in_lens, 2, inner);
    if (rc == 0)
        rc = wd_sha256_parts(h, out_parts, out_lens, 2, out);
    wd_wipe(ipad, sizeof(ipad));
    wd_wipe(opad, sizeof(opad));
    wd_wipe(inner, sizeof(inner));
    return rc;
}

bool wd_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}
