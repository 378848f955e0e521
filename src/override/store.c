/* store.c: approvers, their replay state and one-shot approvals on disk (override.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/json_event.h"
#include "audit/keys.h"
#include "crypto/crypto.h"
#include "override/codes.h"
#include "override/totp.h"
#include "util/error.h"
#include "util/file.h"
#include "util/secure.h"
#include "util/utf8.h"
#include "warden/audit.h"
#include "warden/override.h"

#define TOTP_HEADER "warden-totp-v1"
#define STATE_HEADER "warden-totp-state-v1"
#define APPROVAL_HEADER "warden-approval-v1"
#define THROTTLE_MAX_S 900
#define JUSTIFICATION_MAX 512
#define TAKEN_NAME_MAX 64 /* ".used-", an operation id, "-", a pid */

int wd_operation_id(const char *component, const char *verb, const char *target,
                    char out[WD_OPERATION_ID_LEN + 1])
{
    out[0] = 0;
    if (!component || !verb || !target)
        return wd_fail(WD_EINVAL, "an operation needs a component, a verb and a target");
    const void *parts[3] = {component, verb, target};
    const size_t lens[3] = {strlen(component) + 1, strlen(verb) + 1, strlen(target) + 1};
    wd_hasher *h = NULL;
    uint8_t digest[WD_SHA256_LEN];
    int rc = wd_hasher_new(&h);
    if (!rc)
        rc = wd_sha256_parts(h, parts, lens, 3, digest);
    wd_hasher_free(h);
    if (rc)
        return rc;
    char hex[2 * WD_SHA256_LEN + 1];
    wd_hex_encode(digest, sizeof(digest), hex);
    memcpy(out, hex, WD_OPERATION_ID_LEN);
    out[WD_OPERATION_ID_LEN] = 0;
    return 0;
}

static bool valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > WD_APPROVER_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool valid_operation(const char *s)
{
    if (!s || strlen(s) != WD_OPERATION_ID_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static int store_fail(const char *path, const char *what)
{
    return wd_error_set(WD_EIO, WD_O_STORE, path, 0, 0, "%s: %s", what, strerror(errno));
}

/* An override directory whoever else can write to holds nothing to trust: approvals could be
 * planted in it. It must be ours and writable by no one else. */
static int check_dir(int fd, const char *shown)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return store_fail(shown, "cannot stat");
    if (st.st_uid != geteuid() || (st.st_mode & 022))
        return wd_error_set(WD_EPERM, WD_O_STORE, shown, 0, 0,
                            "owned by uid %u with mode %04o: an override directory must be ours "
                            "and writable by no one else (chmod 700)",
                            (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
    return 0;
}

/* Opens DIR (and DIR/approvals), creating them 0700 when create is set. On failure both
 * descriptors are -1. */
static int open_dirs(const char *dir, bool create, int *dirfd, int *appfd)
{
    *dirfd = *appfd = -1;
    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
        return store_fail(dir, "cannot create the override directory");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd < 0)
        return errno == ENOENT ? wd_error_set(WD_ENOTFOUND, WD_O_STORE, dir, 0, 0,
                                              "no override directory (enrol an approver first)")
                               : store_fail(dir, "cannot open the override directory");
    int afd = -1;
    int rc = check_dir(dfd, dir) != 0 ? WD_EPERM : 0;
    if (!rc && mkdirat(dfd, "approvals", 0700) != 0 && errno != EEXIST)
        rc = store_fail(dir, "cannot create approvals/");
    if (!rc) {
        afd = openat(dfd, "approvals", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (afd < 0)
            rc = store_fail(dir, "cannot open approvals/");
        else if (check_dir(afd, "approvals/") != 0)
            rc = WD_EPERM;
    }
    if (rc) { /* the directories are only handed out together */
        if (afd >= 0)
            close(afd);
        close(dfd);
        dfd = afd = -1;
    }
    *dirfd = dfd;
    *appfd = afd;
    return rc;
}

/* Replaces name in dirfd with text, durably: temp file, fsync, rename, fsync the directory. */
static int write_atomic(int dirfd, const char *name, const char *text, const char *shown)
{
    char tmp[WD_APPROVER_MAX + 64];
    snprintf(tmp, sizeof(tmp), ".%s.tmp.%ld", name, (long)getpid());
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return store_fail(shown, "cannot create a temporary file");
    int rc = fchmod(fd, 0600) || wd_write_all(fd, text, strlen(text)) || fsync(fd) ? -1 : 0;
    int e = errno;
    close(fd);
    if (!rc && renameat(dirfd, tmp, dirfd, name) != 0)
        rc = -1, e = errno;
    if (rc) {
        unlinkat(dirfd, tmp, 0);
        errno = e;
        return store_fail(shown, "cannot write");
    }
    if (fsync(dirfd) != 0)
        return store_fail(shown, "cannot sync the directory");
    return 0;
}

/* Reads a small secret file (0600, owned by us, not a link) into buf. */
static int read_secret(int dirfd, const char *name, char *buf, size_t size, const char *shown)
{
    /* O_NONBLOCK: a FIFO planted under the name must not hang us (the check below refuses it). */
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? WD_ENOTFOUND : store_fail(shown, "cannot open");
    int rc = wd_secret_fd_check(fd, shown);
    ssize_t n = rc ? 0 : read(fd, buf, size - 1);
    close(fd);
    if (rc)
        return rc;
    if (n < 0 || (size_t)n == size - 1)
        return wd_error_set(WD_EINVAL, WD_O_APPROVER, shown, 0, 0, "unreadable or too large");
    buf[n] = 0;
    return 0;
}

int wd_override_enroll(const char *dir, const char *approver, const wd_totp_params *params,
                       const char *issuer, char *uri, size_t size, struct wd_audit *audit)
{
    if (!dir || !valid_name(approver))
        return wd_error_set(WD_EINVAL, WD_O_REQUEST, NULL, 0, 0,
                            "an approver's name is 1-64 of A-Z a-z 0-9 . _ - (not starting "
                            "with '.')");
    wd_totp_params p = params ? *params : (wd_totp_params){0};
    if (!p.alg)
        p.alg = WD_TOTP_SHA1;
    if (!p.digits)
        p.digits = 6;
    if (!p.period)
        p.period = 30;
    if (!wd_totp_alg_name(p.alg) || p.digits < 6 || p.digits > 8 || p.period < 15 || p.period > 300)
        return wd_error_set(WD_EINVAL, WD_O_REQUEST, NULL, 0, 0,
                            "TOTP parameters: SHA1, SHA256 or SHA512; 6-8 digits; 15-300 s");
    /* The secret is as long as the hash's output (RFC 4226 and 6238 recommend it). */
    size_t len = p.alg == WD_TOTP_SHA1 ? 20 : p.alg == WD_TOTP_SHA256 ? 32 : 64;
    int dirfd, appfd, rc = open_dirs(dir, true, &dirfd, &appfd);
    if (rc)
        return rc;
    close(appfd);
    uint8_t secret[WD_TOTP_SECRET_MAX];
    char name[WD_APPROVER_MAX + 8], text[256];
    snprintf(name, sizeof(name), "%s.totp", approver);
    rc = wd_random_bytes(secret, len);
    if (!rc)
        rc = wd_totp_uri(secret, len, issuer && *issuer ? issuer : "warden", approver, &p, uri,
                         size);
    if (!rc) {
        int n = snprintf(text, sizeof(text), "%s %s %u %u\n", TOTP_HEADER, wd_totp_alg_name(p.alg),
                         p.digits, p.period);
        wd_hex_encode(secret, len, text + n);
        memcpy(text + n + 2 * len, "\n", 2);
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            rc = errno == EEXIST ? wd_error_set(WD_EBUSY, WD_O_APPROVER, name, 0, 0,
                                                "approver %s exists: never overwritten", approver)
                                 : store_fail(name, "cannot create");
        else {
            if (fchmod(fd, 0600) || wd_write_all(fd, text, strlen(text)) || fsync(fd) ||
                fsync(dirfd))
                rc = store_fail(name, "cannot write");
            close(fd);
            if (rc)
                unlinkat(dirfd, name, 0);
        }
    }
    wd_wipe(secret, sizeof(secret));
    wd_wipe(text, sizeof(text));
    if (!rc) {
        rc = wd_audit_json(audit, "OVERRIDE_ENROLLED", WD_SEVERITY_HIGH, "", NULL,
                           json_pack("{s:s, s:s, s:i}", "approver", approver, "algorithm",
                                     wd_totp_alg_name(p.alg), "digits", (int)p.digits));
        if (rc)
            unlinkat(dirfd, name, 0); /* not recorded, not done */
    }
    close(dirfd);
    if (rc)
        wd_wipe(uri, size);
    return rc;
}

typedef struct {
    int64_t last_step;
    uint64_t failures;
    int64_t not_before;
} approver_state;

static int load_approver(int dirfd, const char *approver, uint8_t *secret, size_t *len,
                         wd_totp_params *p, approver_state *st)
{
    char name[WD_APPROVER_MAX + 8], text[512], alg[16];
    snprintf(name, sizeof(name), "%s.totp", approver);
    int rc = read_secret(dirfd, name, text, sizeof(text), name);
    if (rc == WD_ENOTFOUND)
        return wd_error_set(WD_ENOTFOUND, WD_O_APPROVER, name, 0, 0,
                            "no approver %s (enrol one: there is no default)", approver);
    if (rc)
        return rc;
    char hex[2 * WD_TOTP_SECRET_MAX + 2];
    unsigned digits = 0, period = 0;
    int n = 0;
    bool ok = sscanf(text, TOTP_HEADER " %15s %u %u\n%n", alg, &digits, &period, &n) == 3 &&
              n != 0 && sscanf(text + n, "%129s", hex) == 1 &&
              wd_totp_alg_parse(alg, &p->alg) == 0 && digits >= 6 && digits <= 8 && period >= 15 &&
              period <= 300 && strlen(hex) % 2 == 0 && strlen(hex) / 2 >= WD_TOTP_SECRET_MIN &&
              strlen(hex) / 2 <= WD_TOTP_SECRET_MAX &&
              wd_hex_decode(hex, strlen(hex), secret, strlen(hex) / 2);
    if (ok) {
        *len = strlen(hex) / 2;
        p->digits = digits;
        p->period = period;
    }
    wd_wipe(text, sizeof(text));
    wd_wipe(hex, sizeof(hex));
    if (!ok)
        return wd_error_set(WD_EINVAL, WD_O_APPROVER, name, 0, 0, "not a warden TOTP file");
    *st = (approver_state){.last_step = -1};
    snprintf(name, sizeof(name), "%s.state", approver);
    rc = read_secret(dirfd, name, text, sizeof(text), name);
    if (rc == WD_ENOTFOUND)
        return 0;
    long long last, nb;
    unsigned long long fails;
    if (rc || sscanf(text, STATE_HEADER " %lld %llu %lld\n", &last, &fails, &nb) != 3 ||
        last < -1 || fails > 1000000 || nb < 0 || nb > (1LL << 40))
        return rc ? rc
                  : wd_error_set(WD_EINVAL, WD_O_APPROVER, name, 0, 0,
                                 "damaged replay state: refusing every code until it is "
                                 "repaired (fail closed)");
    *st = (approver_state){.last_step = last, .failures = fails, .not_before = nb};
    return 0;
}

static int store_state(int dirfd, const char *approver, const approver_state *st)
{
    char name[WD_APPROVER_MAX + 8], text[128];
    snprintf(name, sizeof(name), "%s.state", approver);
    snprintf(text, sizeof(text), STATE_HEADER " %lld %llu %lld\n", (long long)st->last_step,
             (unsigned long long)st->failures, (long long)st->not_before);
    return write_atomic(dirfd, name, text, name);
}

static bool justification_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    bool visible = false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
        visible |= s[i] != ' ';
    }
    size_t bad;
    return visible && n <= JUSTIFICATION_MAX && wd_utf8_valid(s, n, &bad);
}

int wd_override_approve(const wd_approve_request *r)
{
    if (!r || r->version != WD_APPROVE_REQUEST_VERSION || !r->dir)
        return wd_fail(WD_EINVAL, "wd_override_approve needs a request (version %d)",
                       WD_APPROVE_REQUEST_VERSION);
    if (!valid_name(r->approver))
        return wd_error_set(WD_EINVAL, WD_O_REQUEST, NULL, 0, 0, "a named approver is required");
    if (!valid_operation(r->operation))
        return wd_error_set(WD_EINVAL, WD_O_REQUEST, NULL, 0, 0,
                            "an operation id is %d lower-case hex digits (a denied decision "
                            "reports it)",
                            WD_OPERATION_ID_LEN);
    if (!justification_ok(r->justification))
        return wd_error_set(WD_EINVAL, WD_O_REQUEST, NULL, 0, 0,
                            "a justification is required: 1-%d printable characters",
                            JUSTIFICATION_MAX);
    int64_t now = r->now ? r->now : (int64_t)time(NULL);
    uint64_t ttl = r->ttl_s ? r->ttl_s : 300;
    if (ttl > 86400)
        return wd_error_set(WD_EINVAL, WD_O_REQUEST, NULL, 0, 0, "an approval lasts at most 24 h");
    int dirfd, appfd, rc = open_dirs(r->dir, false, &dirfd, &appfd);
    if (rc)
        return rc;
    /* One attempt per approver at a time, across processes: the replay state is read, checked
     * and written under this lock. */
    char lockname[WD_APPROVER_MAX + 8];
    snprintf(lockname, sizeof(lockname), "%s.lock", r->approver);
    int lock = openat(dirfd, lockname, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        rc = store_fail(lockname, "cannot lock the approver");
        goto out;
    }
    uint8_t secret[WD_TOTP_SECRET_MAX];
    size_t len = 0;
    wd_totp_params p;
    approver_state st;
    rc = load_approver(dirfd, r->approver, secret, &len, &p, &st);
    const char *outcome = NULL;
    int64_t step = -1;
    if (!rc && now < st.not_before) {
        rc = wd_error_raise(WD_KIND_THROTTLED, WD_EBUSY, WD_O_THROTTLED, NULL, 0, 0,
                            "throttled after %llu failed attempts: try again in %lld s",
                            (unsigned long long)st.failures, (long long)(st.not_before - now));
        outcome = "throttled";
    } else if (!rc) {
        wd_totp_outcome found;
        rc = wd_totp_check(secret, len, r->code, now, &p, st.last_step, &step, &found);
        if (rc) {
            outcome = found == WD_TOTP_REPLAYED ? "replayed" : "wrong code";
            char id[16], msg[256];
            snprintf(id, sizeof(id), "%s", wd_error_last()->id);
            snprintf(msg, sizeof(msg), "%s", wd_error_last()->message);
            st.failures++;
            uint64_t wait =
                st.failures >= 11 || st.failures == 0 ? THROTTLE_MAX_S : 1ull << (st.failures - 1);
            st.not_before = now + (int64_t)(wait < THROTTLE_MAX_S ? wait : THROTTLE_MAX_S);
            int src = store_state(dirfd, r->approver, &st);
            rc = src ? src : wd_error_set(WD_EPERM, id, NULL, 0, 0, "%s", msg);
        } else {
            /* The step is stored before anything is approved: the code can never count twice,
             * whatever happens next. */
            st.last_step = step;
            st.failures = 0;
            st.not_before = 0;
            rc = store_state(dirfd, r->approver, &st);
        }
    }
    wd_wipe(secret, sizeof(secret));
    char err_id[16] = "", err_msg[256] = "";
    if (rc) {
        wd_error_kind kind = wd_error_last()->kind;
        snprintf(err_id, sizeof(err_id), "%s", wd_error_last()->id);
        snprintf(err_msg, sizeof(err_msg), "%s", wd_error_last()->message);
        json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s}", "approver", r->approver, "operation",
                              r->operation, "outcome", outcome ? outcome : "error", "id", err_id,
                              "justification", r->justification);
        int arc = wd_audit_json(r->audit, "OVERRIDE_REFUSED", WD_SEVERITY_MEDIUM, "", NULL, d);
        rc = wd_error_raise(kind, rc, err_id, NULL, 0, 0, "%s%s", err_msg,
                            arc ? " (and the audit log cannot record it)" : "");
        goto out;
    }
    json_t *d = json_pack("{s:s, s:s, s:s, s:I, s:I}", "approver", r->approver, "operation",
                          r->operation, "justification", r->justification, "step", (json_int_t)step,
                          "expires", (json_int_t)(now + (int64_t)ttl));
    rc = wd_audit_json(r->audit, "OVERRIDE_APPROVED", WD_SEVERITY_HIGH, "", NULL, d);
    if (!rc) {
        char text[JUSTIFICATION_MAX + 256];
        snprintf(text, sizeof(text),
                 APPROVAL_HEADER "\noperation %s\napprover %s\nexpires %lld\njustification %s\n",
                 r->operation, r->approver, (long long)(now + (int64_t)ttl), r->justification);
        rc = write_atomic(appfd, r->operation, text, r->operation);
    }
out:
    if (lock >= 0)
        close(lock);
    close(appfd);
    close(dirfd);
    return rc;
}

/* Takes the approval for operation out of approvals/ and reads it into text (NUL-terminated;
 * *n is what read returned, -1 when the file could not be trusted). The taken file is removed
 * whatever it held. */
static int take_approval(int appfd, const char *operation, char *text, size_t size, ssize_t *n)
{
    /* Taking the approval is a rename: of any number of concurrent users, one wins. */
    char taken[TAKEN_NAME_MAX];
    snprintf(taken, sizeof(taken), ".used-%s-%ld", operation, (long)getpid());
    if (renameat(appfd, operation, appfd, taken) != 0)
        return errno == ENOENT ? wd_error_set(WD_ENOTFOUND, "", NULL, 0, 0,
                                              "no approval for operation %s", operation)
                               : store_fail(operation, "cannot take the approval");
    int fd = openat(appfd, taken, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    /* Written by wd_override_approve: ours, 0600, a regular file; anything else was planted. */
    bool ours = fd >= 0 && wd_secret_fd_check(fd, operation) == 0;
    *n = ours ? read(fd, text, size - 1) : -1;
    if (fd >= 0)
        close(fd);
    unlinkat(appfd, taken, 0);
    fsync(appfd);
    text[*n > 0 ? *n : 0] = 0;
    return 0;
}

/* Checks a taken approval (what approve wrote, for this operation, not expired) and records
 * its use. */
static int use_approval(const char *text, ssize_t n, const char *operation, const char *component,
                        int64_t now, struct wd_audit *audit)
{
    char approver[WD_APPROVER_MAX + 1] = "";
    long long expires = 0;
    const char *a = strstr(text, "\napprover "), *e = strstr(text, "\nexpires ");
    if (n <= 0 || strncmp(text, APPROVAL_HEADER "\n", sizeof(APPROVAL_HEADER)) != 0 || !a || !e ||
        sscanf(a, "\napprover %64s", approver) != 1 || sscanf(e, "\nexpires %lld", &expires) != 1)
        return wd_error_set(WD_ENOTFOUND, WD_O_STORE, operation, 0, 0,
                            "a damaged approval: removed, not used");
    if (!strstr(text, "\noperation ") ||
        strncmp(strstr(text, "\noperation ") + 11, operation, WD_OPERATION_ID_LEN) != 0 ||
        expires - now > 86400)
        return wd_error_set(WD_ENOTFOUND, WD_O_STORE, operation, 0, 0,
                            "an approval that is not what approve writes: removed, not used");
    if (now > expires)
        return wd_error_set(WD_ENOTFOUND, "", NULL, 0, 0,
                            "the approval for operation %s expired: removed", operation);
    return wd_audit_json(audit, "OVERRIDE_USED", WD_SEVERITY_HIGH, component ? component : "", NULL,
                         json_pack("{s:s, s:s}", "operation", operation, "approver", approver));
}

int wd_override_consume(const char *dir, const char *operation, const char *component, int64_t now,
                        struct wd_audit *audit)
{
    if (!dir || !valid_operation(operation))
        return wd_error_set(WD_EINVAL, WD_O_REQUEST, NULL, 0, 0, "not an operation id");
    int dirfd, appfd, rc = open_dirs(dir, false, &dirfd, &appfd);
    if (rc)
        return rc;
    if (!now)
        now = (int64_t)time(NULL);
    char text[JUSTIFICATION_MAX + 256];
    ssize_t n = -1;
    rc = take_approval(appfd, operation, text, sizeof(text), &n);
    if (!rc)
        rc = use_approval(text, n, operation, component, now, audit);
    close(appfd);
    close(dirfd);
    return rc;
}

int wd_override_pending(const char *dir)
{
    if (!dir)
        return 0;
    char path[4200];
    snprintf(path, sizeof(path), "%s/approvals", dir);
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : 1; /* unsure: let consume find out */
    int any = 0;
    struct dirent *ent;
    while (!any && (ent = readdir(d)) != NULL)
        any = strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0;
    closedir(d);
    return any;
}
