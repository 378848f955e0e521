/* review.c: the review gate: reviewer keys, contract signatures, approved library hashes.
 *
 * For a process plugin the program's hash stands where the library's does, in the signed
 * message and in the approved list: it is what wd_contract_sha256() returns. An absolute
 * program without sha256: binds 32 zero bytes there; its path is part of the contract's bytes,
 * which the signature covers anyway, and only root can change what it names. A Python
 * handler's tree hash (every file under handler_root) stands there the same way. */
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
#define SIG_HEADER_V1 "warden-contract-signature-v1"
#define SIG_HEADER "warden-contract-signature-v2"

enum { MSG_MAX = 256, POLICY_TEXT = 65 };

/* What wd_contract_sha256() is the hash of, for messages. */
static const char *code_name(const wd_contract *c)
{
    return wd_contract_runtime(c) == WD_RUNTIME_NATIVE   ? "library"
           : wd_contract_runtime(c) == WD_RUNTIME_PYTHON ? "handler tree"
                                                         : "program";
}

/* What a signature says about the policy file: its hex SHA-256, or "none" when the policy is
 * inline (part of the contract's bytes) or absent. */
static void policy_text(const wd_contract *c, char out[static POLICY_TEXT])
{
    const uint8_t *p = wd_contract_policy_sha256(c);
    if (p)
        wd_hex_encode(p, 32, out);
    else
        snprintf(out, POLICY_TEXT, "none");
}

/* The message a reviewer signs: the contract's exact bytes, the library (or program) and the
 * policy file they vouch for. v1 (before policy files were covered) is only ever verified, never
 * made. */
static int signed_message(const wd_contract *c, int version, const char *policy,
                          char out[static MSG_MAX])
{
    char file_hex[65], code_hex[65];
    wd_hex_encode(wd_contract_file_sha256(c), 32, file_hex);
    wd_hex_encode(wd_contract_sha256(c), 32, code_hex);
    if (version == 1)
        return snprintf(out, MSG_MAX, "warden-contract-v1\n%s\n%s\n", file_hex, code_hex);
    return snprintf(out, MSG_MAX, "warden-contract-v2\n%s\n%s\n%s\n", file_hex, code_hex, policy);
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
    char msg[MSG_MAX], policy[POLICY_TEXT];
    policy_text(c, policy);
    int n = signed_message(c, 2, policy, msg);
    if (!rc)
        rc = wd_ed25519_public(priv, pk);
    if (!rc)
        rc = wd_ed25519_sign(priv, msg, (size_t)n, sig);
    wd_wipe(priv, sizeof(priv));
    if (rc)
        return rc;
    /* The policy hash is written out too, so a verifier can tell "the policy changed" from
     * "not this contract"; the signature, not this line, is what binds it. */
    char text[400], pk_hex[65], sig_hex[129];
    wd_hex_encode(pk, 32, pk_hex);
    wd_hex_encode(sig, 64, sig_hex);
    int tl = snprintf(text, sizeof(text), "%s\nkey %s\npolicy %s\nsig %s\n", SIG_HEADER, pk_hex,
                      policy, sig_hex);
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

typedef struct {
    int version;
    uint8_t pk[32], sig[64];
    char policy[POLICY_TEXT]; /* v2: the policy the reviewer signed */
} parsed_sig;

static bool parse_sig(const char *data, size_t len, parsed_sig *out)
{
    wd_cursor cur = wd_cursor_make(data, len);
    if (WD_CURSOR_LIT(&cur, SIG_HEADER_V1 "\nkey ")) {
        out->version = 1;
        snprintf(out->policy, sizeof(out->policy), "none");
    } else if (WD_CURSOR_LIT(&cur, SIG_HEADER "\nkey ")) {
        out->version = 2;
    } else {
        return false;
    }
    if (!wd_cursor_hex(&cur, out->pk, 32))
        return false;
    if (out->version == 2) {
        uint8_t p[32];
        if (!WD_CURSOR_LIT(&cur, "\npolicy "))
            return false;
        if (WD_CURSOR_LIT(&cur, "none"))
            snprintf(out->policy, sizeof(out->policy), "none");
        else if (wd_cursor_hex(&cur, p, 32))
            wd_hex_encode(p, 32, out->policy);
        else
            return false;
    }
    return WD_CURSOR_LIT(&cur, "\nsig ") && wd_cursor_hex(&cur, out->sig, 64) &&
           WD_CURSOR_LIT(&cur, "\n") && cur.p == cur.end;
}

static bool sig_verifies(const wd_contract *c, const parsed_sig *s, const char *policy)
{
    char msg[MSG_MAX];
    int n = signed_message(c, s->version, policy, msg);
    return n > 0 && n < MSG_MAX && wd_ed25519_verify(s->pk, msg, (size_t)n, s->sig);
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
    parsed_sig s = {0};
    bool ok = parse_sig(data, len, &s);
    free(data);
    if (!ok)
        return wd_error_set(WD_EPERM, WD_L_SIG_INVALID, wd_contract_id(c), 0, 0,
                            "signature file is malformed");
    if (!trusted(trust_dir, s.pk))
        return wd_error_set(WD_EPERM, WD_L_SIG_INVALID, wd_contract_id(c), 0, 0,
                            "signed by a key that is not in the trust directory");
    char now[POLICY_TEXT];
    policy_text(c, now);
    if (s.version == 1 && strcmp(now, "none") != 0)
        /* A v1 signature never saw the policy file: whatever it says now is unreviewed. */
        return wd_error_set(WD_EPERM, WD_L_POLICY_CHANGED, wd_contract_id(c), 0, 0,
                            "the signature predates signatures that cover the policy file "
                            "(warden-contract-v1): it does not vouch for %s; review it and "
                            "re-sign (warden plugin sign)",
                            wd_contract_policy_path(c));
    if (strcmp(now, s.policy) != 0 && sig_verifies(c, &s, s.policy))
        /* A trusted reviewer signed this contract and library, with another policy. */
        return wd_error_set(WD_EPERM, WD_L_POLICY_CHANGED, wd_contract_id(c), 0, 0,
                            "the policy file %s changed since it was signed (signed %s, now "
                            "%s): refused until a reviewer signs it again",
                            wd_contract_policy_path(c) ? wd_contract_policy_path(c) : "(none)",
                            s.policy, now);
    if (!sig_verifies(c, &s, now))
        return wd_error_set(WD_EPERM, WD_L_SIG_INVALID, wd_contract_id(c), 0, 0,
                            "signature does not match this contract, %s and policy", code_name(c));
    if (signer)
        wd_hex_encode(s.pk, 32, signer);
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
                            "%s %s is not in the approved list", code_name(c), hex);
    }
    return 0;
}
