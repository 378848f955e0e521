/* fuzz_override_store.c: the input as one of the files an override directory holds, written in
 * place of the real one: the first byte chooses an approver's replay state (APPROVER.state),
 * its secret (APPROVER.totp) or an approval (approvals/OPERATION); the rest is the file. Then
 * an approval is attempted (state, secret) or used (approval). Aborts when a promise of
 * override.h breaks: the result is 0 or a WD_E* code with a reason; a damaged state or secret
 * never approves with a wrong code; an approval is used at most once. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "warden/error.h"
#include "warden/override.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], good_totp[256];
static char op[WD_OPERATION_ID_LEN + 1];

static void put(const char *name, const void *data, size_t len)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || (len && write(fd, data, len) != (ssize_t)len))
        abort();
    close(fd);
}

static void cleanup(void)
{
    static const char *const files[] = {"alice.totp", "alice.state", "alice.lock", NULL};
    char path[200];
    for (const char *const *f = files; *f; f++) {
        snprintf(path, sizeof(path), "%s/%s", dir, *f);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/approvals/%s", dir, op);
    unlink(path);
    snprintf(path, sizeof(path), "%s/approvals", dir);
    rmdir(path);
    rmdir(dir);
}

static void init(void)
{
    snprintf(dir, sizeof(dir), "/tmp/wd-fuzz-override.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    char uri[512];
    if (wd_override_enroll(dir, "alice", NULL, "fuzz", uri, sizeof(uri), NULL) != 0 ||
        wd_operation_id("c", "write", "/x", op) != 0)
        abort();
    char path[160];
    snprintf(path, sizeof(path), "%s/alice.totp", dir);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(good_totp, 1, sizeof(good_totp) - 1, f) : 0;
    if (!f || n == 0)
        abort();
    fclose(f);
    good_totp[n] = 0;
    atexit(cleanup);
}

static void check(int rc)
{
    if (rc != 0 && rc != WD_EPERM && rc != WD_EBUSY && rc != WD_EINVAL && rc != WD_ENOTFOUND &&
        rc != WD_EIO && rc != WD_ENOMEM)
        abort();
    if (rc && !*wd_error_last()->message)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0])
        init();
    if (size < 1 || size > 4096)
        return 0;
    int which = data[0] % 3;
    put("alice.totp", good_totp, strlen(good_totp));
    char path[160];
    snprintf(path, sizeof(path), "%s/alice.state", dir);
    unlink(path);
    wd_approve_request r = {
        WD_APPROVE_REQUEST_VERSION, dir, "alice", "000000", op, "fuzz", 60, 1800000000, NULL};
    if (which == 0 || which == 1) {
        put(which == 0 ? "alice.state" : "alice.totp", data + 1, size - 1);
        int rc = wd_override_approve(&r);
        check(rc);
        /* "000000" may be the real code by chance only with the real secret and a fresh state:
         * with a damaged file, an approval is a bug. */
        if (rc == 0 && which == 1 && memcmp(data + 1, good_totp, size - 1) != 0)
            abort();
    } else {
        char name[64];
        snprintf(name, sizeof(name), "approvals/%s", op);
        put(name, data + 1, size - 1);
        int rc = wd_override_consume(dir, op, "c", 1800000000, NULL);
        check(rc);
        /* Used or refused, it is gone either way: never used twice. */
        if (wd_override_consume(dir, op, "c", 1800000000, NULL) != WD_ENOTFOUND)
            abort();
    }
    return 0;
}
