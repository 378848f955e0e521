/* fuzz_baseline_verify.c: the input as a baseline manifest, twice: as it is (an attacker's
 * manifest: the signature must refuse it before anything else is read), and as the body of a
 * manifest this harness signs with its own key (what the parser does with signed text an
 * operator's tools produced). Aborts when a promise of integrity.h breaks: the result is 0,
 * WD_ESTATE, WD_EPERM, WD_EINVAL, WD_ENOMEM, WD_ENOTFOUND, WD_ERANGE or WD_EIO with a reason;
 * an unsigned input never verifies as intact. Inputs naming /proc, /sys or /dev are skipped:
 * the verifier would hash whatever a signed manifest names. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/keys.h"
#include "crypto/crypto.h"
#include "util/secure.h"
#include "warden/audit.h"
#include "warden/error.h"
#include "warden/integrity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], manifest[128], pub[128];
static uint8_t priv[WD_ED25519_KEY_LEN];

/* The keys and the manifest live in a private directory, removed at exit. */
static void cleanup(void)
{
    static const char *const files[] = {"keys/" WD_AUDIT_MAC_KEY,
                                        "keys/" WD_AUDIT_SIGNING_KEY,
                                        "keys/" WD_AUDIT_PUBLIC_KEY,
                                        "keys/" WD_AUDIT_STATE,
                                        "m",
                                        "keys",
                                        NULL};
    char path[160];
    for (const char *const *f = files; *f; f++) {
        snprintf(path, sizeof(path), "%s/%s", dir, *f);
        if (unlink(path) != 0)
            rmdir(path);
    }
    rmdir(dir);
    wd_wipe(priv, sizeof(priv));
}

static void init(void)
{
    snprintf(dir, sizeof(dir), "/tmp/wd-fuzz-baseline.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    char keys[96], key[160];
    snprintf(keys, sizeof(keys), "%s/keys", dir);
    if (wd_audit_keygen(keys) != 0)
        abort();
    snprintf(key, sizeof(key), "%s/%s", keys, WD_AUDIT_SIGNING_KEY);
    if (wd_keyfile_read(key, WD_SIGNING_KEY_HEADER, true, priv, sizeof(priv)) != 0)
        abort();
    snprintf(pub, sizeof(pub), "%s/%s", keys, WD_AUDIT_PUBLIC_KEY);
    snprintf(manifest, sizeof(manifest), "%s/m", dir);
    atexit(cleanup);
}

static int verify(const void *text, size_t len)
{
    FILE *f = fopen(manifest, "wb");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
        abort();
    wd_baseline_result r;
    int rc = wd_baseline_verify(manifest, pub, &r, NULL, NULL);
    if (rc != 0 && rc != WD_ESTATE && rc != WD_EPERM && rc != WD_EINVAL && rc != WD_ENOMEM &&
        rc != WD_ENOTFOUND && rc != WD_ERANGE && rc != WD_EIO)
        abort();
    if (rc && !*wd_error_last()->message)
        abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0])
        init();
    if (size > 65536 || memmem(data, size, "/proc", 5) || memmem(data, size, "/sys", 4) ||
        memmem(data, size, "/dev", 4))
        return 0;
    /* As it is: only a signature by our key could make it verify, and fuzzing does not forge
     * Ed25519; an empty baseline signed by us is the one exception it cannot produce either. */
    if (verify(data, size) == 0 && size < 140)
        abort();
    /* Signed by us. */
    uint8_t sig[WD_ED25519_SIG_LEN];
    if (wd_ed25519_sign(priv, data, size, sig) != 0)
        abort();
    char *text = malloc(size + 140);
    if (!text)
        abort();
    memcpy(text, data, size);
    memcpy(text + size, "signature ", 10);
    wd_hex_encode(sig, sizeof(sig), text + size + 10);
    text[size + 138] = '\n';
    verify(text, size + 139);
    free(text);
    return 0;
}
