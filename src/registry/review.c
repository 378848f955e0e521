/* review.c: the review gate: reviewer keys, contract signatures, approved library hashes. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/keys.h"
#include "crypto/crypto.h"
#include "registry/codes.h"
#include "registry/contract_int.h"
#include "util/cursor.h"
#include "util/error.h"
#include "util/file.h"
#include "util/secure.h"

#define REVIEWER_KEY_HEADER "warden-reviewer-key-v1"
#define REVIEWER_PUB_HEADER "warden-reviewer-public-key-v1"
#define SIG_HEADER "warden-contract-signature-v1"

/* The message a reviewer signs: the contract's exact bytes and the library they vouch for. */
static int signed_message(const wd_contract *c, char out[static 160])
{
    char file_hex[65], lib_hex[65];
    wd_hex_encode(wd_contract_file_sha256(c), 32, file_hex);
    wd_hex_encode(wd_contract_sha256(c), 32, lib_hex);
    return snprintf(out, 160, "warden-contract-v1\n%s\n%s\n", file_hex, lib_hex);
}

static char *sig_path(const wd_contract *c)
{
    size_t n = strlen(wd_contract_path(c)) + 5;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s.sig", wd_contract_path(c));
    return p;
}

int wd_review_keygen(const char *dir)
{
    if (!dir)
        return wd_fail(WD_EINVAL, "wd_review_keygen needs a directory");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return wd_fail(WD_EIO, "cannot create %s: %s", dir, strerror(errno));
    char key[4200], pub[4200];
    snprintf(key, sizeof(key), "%s/reviewer.key", dir);
    snprintf(pub, sizeof(pub), "%s/reviewer.pub", dir);
    if (access(key, F_OK) == 0 || access(pub, F_OK) == 0)
        return wd_error_set(WD_EBUSY, "WD-A012", dir, 0, 0,
                            "reviewer keys already exist: keys are never overwritten");
    uint8_t priv[32], pk[32];
    int rc = wd_ed25519_keygen(priv, pk);
    if (!rc)
        rc = wd_keyfile_write(key, REVIEWER_KEY_HEADER, priv, 32, 0600);
    if (!rc)
        rc = wd_keyfile_write(pub, REVIEWER_PUB_HEADER, pk, 32, 0644);
    wd_wipe(priv, sizeof(priv));
    return rc;
}

int wd_contract_sign(const wd_contract *c, const char *key_path)
{
    uint8_t priv[32], pk[32], sig[64];
    int rc = wd_keyfile_read(key_path, REVIEWER_KEY_HEADER, true, priv, sizeof(priv));
    char msg[160];
    int n = signed_message(c, msg);
    if (!rc)
        rc = wd_ed25519_public(priv, pk);
    if (!rc)
        rc = wd_ed25519_sign(priv, msg, (size_t)n, sig);
    wd_wipe(priv, sizeof(priv));
    if (rc)
        return rc;
    char text[300], pk_hex[65], sig_hex[129];
    wd_hex_encode(pk, 32, pk_hex);
    wd_hex_encode(sig, 64, sig_hex);
    int tl = snprintf(text, sizeof(text), "%s\nkey %s\nsig %s\n", SIG_HEADER, pk_hex, sig_hex);
    char *path = sig_path(c);
    char tmp[4300];
    if (!path)
        return wd_fail(WD_ENOMEM, "out of memory");
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    rc = fd < 0 || wd_write_all(fd, text, (size_t)tl) || fsync(fd) ? WD_EIO : 0;
    if (fd >= 0)
        close(fd);
    if (!rc && rename(tmp, path) != 0)
        rc = WD_EIO;
    if (rc) {
        unlink(tmp);
        rc = wd_fail(WD_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    free(path);
    return rc;
}

/* Whether pk is one of the *.pub reviewer keys in trust_dir. */
static bool trusted(const char *trust_dir, const uint8_t pk[32])
{
    DIR *d = opendir(trust_dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".pub"))
            continue;
        char path[4200];
        uint8_t k[32];
        snprintf(path, sizeof(path), "%s/%s", trust_dir, e->d_name);
        found = wd_keyfile_read(path, REVIEWER_PUB_HEADER, false, k, 32) == 0 && !memcmp(k, pk, 32);
    }
    closedir(d);
    return found;
}

int wd_contract_verify_signature(const wd_contract *c, const char *trust_dir, char *signer)
{
    char *path = sig_path(c);
    if (!path)
        return wd_fail(WD_ENOMEM, "out of memory");
    char *data = NULL;
    size_t len = 0;
    int rc = wd_file_read(path, 4096, &data, &len, WD_L_SIG_MISSING, WD_L_SIG_INVALID);
    if (rc == WD_ENOTFOUND)
        rc = wd_error_set(WD_ENOTFOUND, WD_L_SIG_MISSING, wd_contract_id(c), 0, 0,
                          "not reviewed: no signature (%s)", path);
    else if (rc)
        rc = wd_error_set(WD_EPERM, WD_L_SIG_INVALID, wd_contract_id(c), 0, 0,
                          "signature unreadable: %s", wd_error_last()->message);
    free(path);
    if (rc)
        return rc;
    uint8_t pk[32], sig[64];
    wd_cursor cur = wd_cursor_make(data, len);
    bool ok = WD_CURSOR_LIT(&cur, SIG_HEADER "\nkey ") && wd_cursor_hex(&cur, pk, 32) &&
              WD_CURSOR_LIT(&cur, "\nsig ") && wd_cursor_hex(&cur, sig, 64) &&
              WD_CURSOR_LIT(&cur, "\n") && cur.p == cur.end;
    free(data);
    char msg[160];
    int n = signed_message(c, msg);
    if (!ok)
        return wd_error_set(WD_EPERM, WD_L_SIG_INVALID, wd_contract_id(c), 0, 0,
                            "signature file is malformed");
    if (!trusted(trust_dir, pk))
        return wd_error_set(WD_EPERM, WD_L_SIG_INVALID, wd_contract_id(c), 0, 0,
                            "signed by a key that is not in the trust directory");
    if (!wd_ed25519_verify(pk, msg, (size_t)n, sig))
        return wd_error_set(WD_EPERM, WD_L_SIG_INVALID, wd_contract_id(c), 0, 0,
                            "signature does not match this contract and library");
    if (signer)
        wd_hex_encode(pk, 32, signer);
    return 0;
}

int wd_contract_check_approved(const wd_contract *c, const char *approved_path)
{
    char *data = NULL;
    size_t len = 0;
    int rc = wd_file_read(approved_path, 16u << 20, &data, &len, WD_L_READ, WD_L_SIZE);
    if (rc)
        return rc;
    bool found = false;
    for (char *line = data; line && *line && !found;) {
        char *nl = strchr(line, '\n');
        size_t l = nl ? (size_t)(nl - line) : strlen(line);
        uint8_t h[32];
        wd_cursor cur = wd_cursor_make(line, l);
        if (l >= 64 && line[0] != '#' && wd_cursor_hex(&cur, h, 32) &&
            (cur.p == cur.end || *cur.p == ' ' || *cur.p == '\t'))
            found = wd_ct_equal(h, wd_contract_sha256(c), 32);
        line = nl ? nl + 1 : NULL;
    }
    free(data);
    if (!found) {
        char hex[65];
        wd_hex_encode(wd_contract_sha256(c), 32, hex);
        return wd_error_set(WD_EPERM, WD_L_NOT_APPROVED, wd_contract_id(c), 0, 0,
                            "library %s is not in the approved list", hex);
    }
    return 0;
}
