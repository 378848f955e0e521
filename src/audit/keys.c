/* keys.c: key files, secret-file permission rules, the writer state block. */
#include "audit/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/codes.h"
#include "util/cursor.h"
#include "util/error.h"
#include "util/file.h"
#include "util/secure.h"

int wd_secret_fd_check(int fd, const char *path)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return wd_audit_error(WD_EIO, WD_A_KEY_IO, path, 0, 0, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return wd_error_set(WD_EPERM, WD_A_KEY_PERM, path, 0, 0, "not a regular file");
    if (st.st_uid != geteuid())
        return wd_error_set(WD_EPERM, WD_A_KEY_PERM, path, 0, 0,
                            "owned by uid %u, not by this user (uid %u)", (unsigned)st.st_uid,
                            (unsigned)geteuid());
    if (st.st_mode & 077)
        return wd_error_set(WD_EPERM, WD_A_KEY_PERM, path, 0, 0,
                            "mode %04o lets others read a secret: it must be 0600 (chmod 600 %s)",
                            (unsigned)(st.st_mode & 07777), path);
    return 0;
}

static int open_checked(const char *path, int flags, bool secret, int *out)
{
    int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0) {
        int code = errno == ENOENT ? WD_ENOTFOUND : errno == ELOOP ? WD_EPERM : WD_EIO;
        return wd_audit_error(code, errno == ELOOP ? WD_A_KEY_PERM : WD_A_KEY_IO, path, 0, 0,
                              errno == ELOOP ? "is a symbolic link: key files must not be"
                                             : "cannot open: %s",
                              strerror(errno));
    }
    int rc = secret ? wd_secret_fd_check(fd, path) : 0;
    if (rc) {
        close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

int wd_keyfile_read(const char *path, const char *header, bool secret, uint8_t *out, size_t len)
{
    int fd, rc = open_checked(path, O_RDONLY, secret, &fd);
    if (rc)
        return rc;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    size_t hl = strlen(header);
    wd_cursor c = wd_cursor_make(buf, n > 0 ? (size_t)n : 0);
    rc = 0;
    if (n < 0)
        rc = wd_audit_error(WD_EIO, WD_A_KEY_IO, path, 0, 0, "cannot read: %s", strerror(errno));
    else if (!wd_cursor_lit(&c, header, hl) || !WD_CURSOR_LIT(&c, "\n") ||
             !wd_cursor_hex(&c, out, len) || !WD_CURSOR_LIT(&c, "\n") || c.p != c.end)
        rc = wd_error_set(WD_EINVAL, WD_A_KEY_FORMAT, path, 0, 0,
                          "not a %s file (expected a \"%s\" line and %zu hex digits)", header,
                          header, 2 * len);
    wd_wipe(buf, sizeof(buf));
    if (rc)
        wd_wipe(out, len);
    return rc;
}

int wd_keyfile_write(const char *path, const char *header, const uint8_t *key, size_t len,
                     unsigned mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
    if (fd < 0)
        return wd_audit_error(errno == EEXIST ? WD_EBUSY : WD_EIO,
                              errno == EEXIST ? WD_A_EXISTS : WD_A_KEY_IO, path, 0, 0,
                              errno == EEXIST ? "already exists: keys are never overwritten"
                                              : "cannot create: %s",
                              strerror(errno));
    char text[300];
    int n = snprintf(text, sizeof(text), "%s\n", header);
    wd_hex_encode(key, len, text + n);
    n += (int)(2 * len);
    text[n++] = '\n';
    /* fchmod: the umask must not loosen (or tighten) what was asked for. */
    int rc = fchmod(fd, (mode_t)mode) || wd_write_all(fd, text, (size_t)n) || fsync(fd) ? -1 : 0;
    int e = errno;
    wd_wipe(text, sizeof(text));
    close(fd);
    if (rc) {
        unlink(path);
        return wd_audit_error(WD_EIO, WD_A_KEY_IO, path, 0, 0, "cannot write: %s", strerror(e));
    }
    return 0;
}

int wd_ratchet(wd_hasher *h, const uint8_t k[static WD_HMAC_KEY_LEN],
               uint8_t next[static WD_HMAC_KEY_LEN])
{
    static const char label[] = "warden-audit-ratchet-v1";
    const void *parts[2] = {label, k};
    const size_t lens[2] = {sizeof(label) - 1, WD_HMAC_KEY_LEN};
    return wd_sha256_parts(h, parts, lens, 2, next);
}

/* ---- state ---- */

/* Version 1: the six lines up to head. Version 2 adds three fixed-width lines after head, so
 * both have one length each and a block is either wholly one or the other. */
enum {
    STATE_V1_BODY = 22 + 40 + 25 + 17 + 69 + 70,
    STATE_V1_LEN = STATE_V1_BODY + 69,
    STATE_V2_BODY = STATE_V1_BODY + 29 + 32 + 35,
    STATE_V2_LEN = STATE_V2_BODY + 69
};

static char *put_lit(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static char *put_digits(char *o, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        o[i] = (char)('0' + v % 10);
    return o + width;
}

static char *put_hex(char *o, const uint8_t *b, size_t n)
{
    wd_hex_encode(b, n, o);
    return o + 2 * n;
}

/* Fills the fixed-width version-2 text by hand (it is rewritten after every record). */
static size_t state_format(const wd_audit_state *st, char *out)
{
    char *o = put_lit(out, "warden-audit-state-v2\nlog_id ");
    o = put_hex(o, st->log_id, sizeof(st->log_id));
    o = put_digits(put_lit(o, "\nseq "), st->seq, 20);
    o = put_digits(put_lit(o, "\nsegment "), st->segment, 8);
    o = put_hex(put_lit(o, "\nkey "), st->key, sizeof(st->key));
    o = put_hex(put_lit(o, "\nhead "), st->head, sizeof(st->head));
    o = put_digits(put_lit(o, "\ndurable "), st->durable, 20);
    o = put_digits(put_lit(o, "\ncheckpoint "), st->cp_seq, 20);
    o = put_digits(put_lit(o, "\ncheckpoint_ts "), st->cp_ns > 0 ? (uint64_t)st->cp_ns : 0, 20);
    *o++ = '\n';
    return (size_t)(o - out);
}

int wd_state_open(const char *path, int *fd)
{
    return open_checked(path, O_RDWR, true, fd);
}

int wd_state_store(int fd, wd_hasher *h, const wd_audit_state *st)
{
    char text[STATE_V2_LEN + 1];
    size_t n = state_format(st, text);
    uint8_t sum[WD_SHA256_LEN];
    int rc = n == STATE_V2_BODY ? wd_sha256(h, text, n, sum) : WD_EINVAL;
    if (rc == 0) {
        memcpy(text + n, "sum ", 4);
        wd_hex_encode(sum, sizeof(sum), text + n + 4);
        text[n + 68] = '\n';
        ssize_t w = pwrite(fd, text, STATE_V2_LEN, 0);
        rc = w == STATE_V2_LEN ? 0 : WD_EIO;
    }
    wd_wipe(text, sizeof(text));
    return rc;
}

/* Exactly n decimal digits (zero-padded: fixed width is part of the state format). */
static bool fixed_digits(wd_cursor *c, int n, uint64_t *out)
{
    if (wd_cursor_left(c) < (size_t)n)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (c->p[i] < '0' || c->p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(c->p[i] - '0');
    }
    c->p += n;
    *out = v;
    return true;
}

int wd_state_load(int fd, wd_hasher *h, wd_audit_state *st, const char *path)
{
    char text[STATE_V2_LEN + 8];
    ssize_t n = pread(fd, text, sizeof(text), 0);
    if (n < 0)
        return wd_audit_error(WD_EIO, WD_A_KEY_IO, path, 0, 0, "cannot read: %s", strerror(errno));
    memset(st, 0, sizeof(*st));
    uint8_t sum[WD_SHA256_LEN], want[WD_SHA256_LEN];
    uint64_t seq = 0, segment = 0, cp_ns = 0;
    wd_cursor c = wd_cursor_make(text, (size_t)n);
    bool v1 = n == STATE_V1_LEN && WD_CURSOR_LIT(&c, "warden-audit-state-v1\nlog_id ");
    bool v2 = !v1 && n == STATE_V2_LEN && WD_CURSOR_LIT(&c, "warden-audit-state-v2\nlog_id ");
    bool ok = (v1 || v2) && wd_cursor_hex(&c, st->log_id, 16) && WD_CURSOR_LIT(&c, "\nseq ") &&
              fixed_digits(&c, 20, &seq) && WD_CURSOR_LIT(&c, "\nsegment ") &&
              fixed_digits(&c, 8, &segment) && WD_CURSOR_LIT(&c, "\nkey ") &&
              wd_cursor_hex(&c, st->key, 32) && WD_CURSOR_LIT(&c, "\nhead ") &&
              wd_cursor_hex(&c, st->head, 32);
    if (ok && v2)
        ok = WD_CURSOR_LIT(&c, "\ndurable ") && fixed_digits(&c, 20, &st->durable) &&
             WD_CURSOR_LIT(&c, "\ncheckpoint ") && fixed_digits(&c, 20, &st->cp_seq) &&
             WD_CURSOR_LIT(&c, "\ncheckpoint_ts ") && fixed_digits(&c, 20, &cp_ns) &&
             cp_ns <= INT64_MAX;
    ok = ok && WD_CURSOR_LIT(&c, "\nsum ") && wd_cursor_hex(&c, want, 32) &&
         WD_CURSOR_LIT(&c, "\n") && c.p == c.end;
    ok = ok && wd_sha256(h, text, v1 ? STATE_V1_BODY : STATE_V2_BODY, sum) == 0 &&
         wd_ct_equal(sum, want, sizeof(sum)) && seq > 0 && segment > 0 && st->durable < seq &&
         st->cp_seq < seq;
    wd_wipe(text, sizeof(text));
    if (!ok) {
        wd_wipe(st, sizeof(*st));
        return wd_error_set(WD_ESTATE, WD_A_STATE_DAMAGED, path, 0, 0,
                            "writer state is damaged or was edited (checksum or format): the log "
                            "cannot continue safely");
    }
    st->seq = seq;
    st->segment = (uint32_t)segment;
    st->cp_ns = (int64_t)cp_ns;
    st->v1 = v1;
    return 0;
}
