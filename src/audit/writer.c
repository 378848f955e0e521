/* writer.c: appending to the audit log.
 *
 * Every append, under the process mutex and (unless the writer is exclusive) the directory's
 * flock: format BODY with the next sequence number and the current chain head, MAC it with
 * k_seq, write the line with one O_APPEND write, advance the chain head, ratchet the key (the
 * old one is wiped) and rewrite the state block in place. Durability decides when the line is
 * fdatasync'ed. The order matters for crash recovery (reconcile() at open):
 *   - a crash mid-write leaves a torn line and a state still at seq: the fragment is moved
 *     aside and a RECOVERY record takes seq;
 *   - a crash after the write but before the state store leaves the state behind the log: the
 *     writer re-derives the keys forward, checking each record's MAC, and carries on;
 *   - a power loss that keeps the state but not the log (modes none and batch) leaves records
 *     missing: a RECOVERY record declares exactly which. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/codes.h"
#include "audit/keys.h"
#include "audit/record.h"
#include "audit/segments.h"
#include "util/diag.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"
#include "util/secure.h"
#include "util/timeutil.h"

struct wd_audit {
    pthread_mutex_t mu;
    pthread_cond_t synced; /* batch: an fdatasync finished */
    char *dir;
    int dirfd, lockfd, statefd, segfd;
    char *state_path;
    wd_audit_state st;
    uint8_t sign_priv[WD_ED25519_KEY_LEN], sign_pub[WD_ED25519_KEY_LEN];
    wd_hasher *h;
    wd_audit_options o;
    wd_buf line, details, batch;
    uint64_t seg_size;
    int broken; /* the first fatal error: the writer then refuses everything */
    uint64_t since_checkpoint, checkpoint_mono_ns;
    uint64_t checkpoint_seq;                 /* seq of the last checkpoint this writer wrote */
    uint64_t written, durable, last_sync_ns; /* batch group commit, by sequence number */
    bool syncing;
};

static int fail_closed(wd_audit *a, int rc, const char *what)
{
    if (!a->broken)
        a->broken = rc ? rc : WD_EIO;
    return wd_error_set(a->broken, WD_A_WRITE, a->dir, 0, 0,
                        "%s failed (%s): the audit log stopped accepting records", what,
                        strerror(errno));
}

static void note(wd_audit *a, const char *id, const char *msg)
{
    if (a->o.notes)
        wd_diag_add(a->o.notes, WD_DIAG_WARNING, id, a->dir, 0, 0, "%s", msg);
}

/* Sets the append-only attribute where the filesystem and our privileges allow, and says so
 * when it cannot: an append-only segment cannot be rewritten even by its owner. */
static void make_append_only(wd_audit *a, int fd, const char *name)
{
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_APPEND_FL))
        return;
    flags |= FS_APPEND_FL;
    if (ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0) {
        char msg[200];
        snprintf(msg, sizeof(msg), "append-only attribute not set on %s: %s", name,
                 strerror(errno));
        note(a, WD_A_APPEND_ONLY, msg);
    }
}

static int clear_append_only(int fd)
{
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0 || !(flags & FS_APPEND_FL))
        return 0;
    flags &= ~FS_APPEND_FL;
    return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

static int open_segment(wd_audit *a, uint32_t n, bool create)
{
    char name[WD_SEGMENT_NAME_LEN];
    wd_segment_name(n, name);
    int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0);
    int fd = openat(a->dirfd, name, flags, 0600);
    if (fd < 0)
        return wd_error_set(WD_EIO, WD_A_LOG_IO, name, 0, 0, "cannot open segment: %s",
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return wd_error_set(WD_EIO, WD_A_LOG_IO, name, 0, 0, "segment is not a regular file");
    }
    if (create && fsync(a->dirfd) != 0) {
        close(fd);
        return wd_error_set(WD_EIO, WD_A_LOG_IO, a->dir, 0, 0, "cannot sync directory: %s",
                            strerror(errno));
    }
    if (a->o.append_only)
        make_append_only(a, fd, name);
    if (a->segfd >= 0)
        close(a->segfd);
    a->segfd = fd;
    a->seg_size = (uint64_t)st.st_size;
    return 0;
}

/* Formats record st.seq into a->line (appending), MACs it, advances head and key in memory. */
static int format_record(wd_audit *a, const char *type, wd_severity sev, const char *corr,
                         const char *comp, const char *details, size_t dlen)
{
    size_t start = a->line.len;
    char uuid[37];
    if (!corr) {
        int rc = wd_uuid_v4(uuid);
        if (rc)
            return rc;
        corr = uuid;
    }
    wd_record_body(&a->line, a->st.seq, wd_time_now_ns(), type, sev, corr, comp ? comp : "",
                   details, dlen, a->st.head);
    if (a->line.oom)
        return wd_fail(WD_ENOMEM, "out of memory formatting an audit record");
    uint8_t mac[WD_SHA256_LEN], next[WD_HMAC_KEY_LEN];
    int rc = wd_hmac_sha256(a->h, a->st.key, a->line.data + start, a->line.len - start, mac);
    if (rc)
        return rc;
    wd_record_finish(&a->line, mac);
    if (a->line.oom)
        return wd_fail(WD_ENOMEM, "out of memory formatting an audit record");
    rc = wd_sha256(a->h, a->line.data + start, a->line.len - start - 1, a->st.head);
    if (!rc)
        rc = wd_ratchet(a->h, a->st.key, next);
    if (rc)
        return rc;
    memcpy(a->st.key, next, sizeof(next));
    wd_wipe(next, sizeof(next));
    a->st.seq++;
    return 0;
}

/* Writes what format_record() put in a->line and stores the advanced state. */
static int commit_lines(wd_audit *a, uint64_t records)
{
    if (wd_write_all(a->segfd, a->line.data, a->line.len) != 0)
        return fail_closed(a, WD_EIO, "writing the audit log");
    a->seg_size += a->line.len;
    wd_buf_clear(&a->line);
    if (wd_state_store(a->statefd, a->h, &a->st) != 0)
        return fail_closed(a, WD_EIO, "storing the writer state");
    a->written = a->st.seq - 1;
    a->since_checkpoint += records;
    return 0;
}

static int append_one(wd_audit *a, const char *type, wd_severity sev, const char *corr,
                      const char *comp, const char *details, size_t dlen)
{
    int rc = format_record(a, type, sev, corr, comp, details, dlen);
    if (rc) {
        wd_buf_clear(&a->line);
        return rc;
    }
    return commit_lines(a, 1);
}

static int checkpoint_locked(wd_audit *a, const char *export_path)
{
    char id[33], head[65], sig_hex[2 * WD_ED25519_SIG_LEN + 1], pub[65], msg[200];
    uint8_t sig[WD_ED25519_SIG_LEN];
    uint64_t count = a->st.seq - 1;
    wd_hex_encode(a->st.log_id, 16, id);
    wd_hex_encode(a->st.head, 32, head);
    wd_hex_encode(a->sign_pub, 32, pub);
    int n = snprintf(msg, sizeof(msg), "warden-audit-checkpoint-v1\n%s\n%llu\n%s\n", id,
                     (unsigned long long)count, head);
    int rc = wd_ed25519_sign(a->sign_priv, msg, (size_t)n, sig);
    if (rc)
        return rc;
    wd_hex_encode(sig, sizeof(sig), sig_hex);
    wd_buf_clear(&a->details);
    wd_buf_printf(&a->details,
                  "{\"count\":%llu,\"head\":\"%s\",\"log_id\":\"%s\",\"signature\":\"%s\"}",
                  (unsigned long long)count, head, id, sig_hex);
    rc = append_one(a, "CHECKPOINT", WD_SEVERITY_LOW, NULL, "audit", a->details.data,
                    a->details.len);
    if (rc)
        return rc;
    a->since_checkpoint = 0;
    a->checkpoint_seq = a->st.seq - 1;
    a->checkpoint_mono_ns = wd_time_mono_ns();
    if (!export_path)
        return 0;

    /* The anchor: written beside its final name, synced, then renamed into place. */
    wd_buf anchor = WD_BUF_INIT;
    wd_buf_printf(&anchor,
                  "{\"format\":\"warden-audit-anchor-v1\",\"log_id\":\"%s\",\"count\":%llu,"
                  "\"head\":\"%s\",\"signature\":\"%s\",\"public_key\":\"%s\"}\n",
                  id, (unsigned long long)count, head, sig_hex, pub);
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", export_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    rc =
        fd < 0 || anchor.oom || wd_write_all(fd, anchor.data, anchor.len) || fsync(fd) ? WD_EIO : 0;
    if (fd >= 0)
        close(fd);
    if (!rc && rename(tmp, export_path) != 0)
        rc = WD_EIO;
    wd_buf_free(&anchor);
    if (rc) {
        unlink(tmp);
        return wd_error_set(WD_EIO, WD_A_ANCHOR, export_path, 0, 0, "cannot write the anchor: %s",
                            strerror(errno));
    }
    return 0;
}

/* Periodic checkpoints and rotation, after an append. */
static int housekeeping(wd_audit *a)
{
    bool by_count = a->o.checkpoint_every && a->since_checkpoint >= a->o.checkpoint_every;
    bool by_time =
        a->o.checkpoint_secs && a->since_checkpoint &&
        wd_time_mono_ns() - a->checkpoint_mono_ns >= (uint64_t)a->o.checkpoint_secs * 1000000000u;
    bool rotate = a->seg_size >= a->o.segment_bytes;
    int rc = 0;
    if (by_count || by_time || rotate)
        rc = checkpoint_locked(a, NULL);
    if (rc || !rotate)
        return rc;
    /* The old segment is complete: make it durable before the state points past it. */
    if (fdatasync(a->segfd) != 0)
        return fail_closed(a, WD_EIO, "syncing the finished segment");
    rc = open_segment(a, a->st.segment + 1, true);
    if (rc)
        return fail_closed(a, rc, "starting a new segment");
    a->st.segment++;
    if (wd_state_store(a->statefd, a->h, &a->st) != 0)
        return fail_closed(a, WD_EIO, "storing the writer state");
    return 0;
}

/* Another process may have appended since we last held the lock: adopt its state. */
static int refresh_from_disk(wd_audit *a)
{
    wd_audit_state disk;
    int rc = wd_state_load(a->statefd, a->h, &disk, a->state_path);
    if (rc)
        return fail_closed(a, rc, "reading the writer state");
    if (disk.seq != a->st.seq || disk.segment != a->st.segment) {
        bool new_segment = disk.segment != a->st.segment;
        a->st = disk;
        if (new_segment && (rc = open_segment(a, disk.segment, false)) != 0)
            return fail_closed(a, rc, "opening the current segment");
        struct stat sb;
        if (fstat(a->segfd, &sb) == 0)
            a->seg_size = (uint64_t)sb.st_size;
    }
    wd_wipe(&disk, sizeof(disk));
    return 0;
}

static int lock_log(wd_audit *a)
{
    if (a->o.exclusive)
        return 0;
    while (flock(a->lockfd, LOCK_EX) != 0)
        if (errno != EINTR)
            return wd_error_set(WD_EIO, WD_A_LOCK, a->dir, 0, 0, "cannot lock: %s",
                                strerror(errno));
    return refresh_from_disk(a);
}

static void unlock_log(wd_audit *a)
{
    if (!a->o.exclusive)
        flock(a->lockfd, LOCK_UN);
}

/* Returns once an fdatasync covers record seq (called with the mutex held; syncs run without
 * it, on a duplicate descriptor, so appends go on meanwhile and a rotation cannot close the
 * file under the sync).
 *   always: every append syncs for itself, concurrently with the others.
 *   batch:  group commit. The first waiter syncs at once, covering everything written so far;
 *           whatever is written while that sync runs rides on the next one. No one waits for
 *           a timer, so batch_ms only bounds how long a record waits for its sync to begin. */
static int wait_durable(wd_audit *a, uint64_t seq)
{
    while (a->durable < seq && !a->broken) {
        if (a->o.durability == WD_DURABILITY_BATCH && a->syncing) {
            pthread_cond_wait(&a->synced, &a->mu);
            continue;
        }
        a->syncing = true;
        uint64_t target = a->written;
        int fd = dup(a->segfd);
        pthread_mutex_unlock(&a->mu);
        int rc = fd < 0 ? -1 : fdatasync(fd);
        if (fd >= 0)
            close(fd);
        pthread_mutex_lock(&a->mu);
        if (rc != 0)
            fail_closed(a, WD_EIO, "syncing the audit log");
        else if (target > a->durable)
            a->durable = target;
        a->last_sync_ns = wd_time_mono_ns();
        a->syncing = false;
        pthread_cond_broadcast(&a->synced);
        if (a->o.durability == WD_DURABILITY_ALWAYS)
            break; /* its own sync covered it */
    }
    return a->broken ? wd_error_set(a->broken, WD_A_WRITE, a->dir, 0, 0,
                                    "the audit log stopped accepting records after an error")
                     : 0;
}

static int append_many(wd_audit *a, const wd_audit_event *evs, size_t n, uint64_t *first_seq,
                       bool wait);

int wd_audit_append_many(wd_audit *a, const wd_audit_event *evs, size_t n, uint64_t *first_seq)
{
    return append_many(a, evs, n, first_seq, true);
}

int wd_audit_append_many_unsynced(wd_audit *a, const wd_audit_event *evs, size_t n,
                                  uint64_t *first_seq)
{
    return append_many(a, evs, n, first_seq, false);
}

int wd_audit_sync_to(wd_audit *a, uint64_t seq)
{
    pthread_mutex_lock(&a->mu);
    int rc = a->o.durability == WD_DURABILITY_NONE ? 0 : wait_durable(a, seq);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static int append_many(wd_audit *a, const wd_audit_event *evs, size_t n, uint64_t *first_seq,
                       bool wait)
{
    if (!a || (!evs && n))
        return wd_fail(WD_EINVAL, "wd_audit_append_many needs a log and events");
    pthread_mutex_lock(&a->mu);
    int rc = a->broken ? wd_error_set(a->broken, WD_A_WRITE, a->dir, 0, 0,
                                      "the audit log stopped accepting records after an error")
                       : 0;
    /* Check every event before writing any: a batch is all or nothing. */
    wd_buf_clear(&a->batch);
    size_t *offsets = n ? malloc(n * sizeof(*offsets)) : NULL;
    if (!rc && n && !offsets)
        rc = wd_fail(WD_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        offsets[i] = a->batch.len;
        rc = wd_record_check_event(&evs[i], &a->batch);
    }
    if (!rc)
        rc = lock_log(a);
    uint64_t first = a->st.seq, last = 0;
    if (!rc) {
        wd_audit_state saved = a->st;
        for (size_t i = 0; i < n && !rc; i++) {
            size_t end = i + 1 < n ? offsets[i + 1] : a->batch.len;
            rc = format_record(a, evs[i].type, evs[i].severity, evs[i].correlation_id,
                               evs[i].component, a->batch.data + offsets[i], end - offsets[i]);
        }
        if (rc) { /* nothing was written: roll the in-memory state back */
            a->st = saved;
            wd_buf_clear(&a->line);
        } else {
            last = a->st.seq - 1;
            rc = n ? commit_lines(a, n) : 0;
        }
        wd_wipe(&saved, sizeof(saved));
        if (!rc)
            rc = housekeeping(a);
        unlock_log(a);
    }
    free(offsets);
    if (!rc && n && wait && a->o.durability != WD_DURABILITY_NONE)
        rc = wait_durable(a, last);
    pthread_mutex_unlock(&a->mu);
    if (!rc && first_seq)
        *first_seq = first;
    return rc;
}

int wd_audit_append(wd_audit *a, const wd_audit_event *ev, uint64_t *seq)
{
    if (!ev)
        return wd_fail(WD_EINVAL, "wd_audit_append needs an event");
    return wd_audit_append_many(a, ev, 1, seq);
}

int wd_audit_checkpoint(wd_audit *a, const char *export_path)
{
    if (!a)
        return wd_fail(WD_EINVAL, "wd_audit_checkpoint needs a log");
    pthread_mutex_lock(&a->mu);
    int rc = a->broken ? wd_error_set(a->broken, WD_A_WRITE, a->dir, 0, 0,
                                      "the audit log stopped accepting records after an error")
                       : lock_log(a);
    if (!rc) {
        rc = checkpoint_locked(a, export_path);
        if (!rc && a->o.durability != WD_DURABILITY_NONE && fdatasync(a->segfd) != 0)
            rc = fail_closed(a, WD_EIO, "syncing the audit log");
        a->durable = a->written;
        unlock_log(a);
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

/* ---- opening and crash recovery -------------------------------------------------------- */

/* The start of the last complete line in data[0..len) (len ends after a '\n'), or -1. */
static long last_line_start(const char *data, size_t len)
{
    if (len == 0)
        return -1;
    size_t i = len - 1; /* data[i] == '\n' */
    while (i > 0 && data[i - 1] != '\n')
        i--;
    return (long)i;
}

static int check_log_id(wd_audit *a, uint32_t first_segment)
{
    char *data;
    size_t len;
    int rc = wd_segment_read(a->dirfd, first_segment, (size_t)1 << 30, &data, &len);
    if (rc)
        return rc;
    const char *nl = memchr(data, '\n', len);
    wd_record_view r;
    uint8_t id[16];
    bool ok = nl && wd_record_parse(data, (size_t)(nl - data), &r) && r.seq == 1 &&
              r.type_len == 9 && !memcmp(r.type, "LOG_START", 9) &&
              wd_json_field_hex(r.details, r.details_len, "log_id", id, sizeof(id));
    bool same = ok && !memcmp(id, a->st.log_id, sizeof(id));
    free(data);
    if (!nl)
        return 0; /* the first segment holds no complete record yet: nothing to compare */
    if (!ok)
        return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                            "the log does not start with its LOG_START record");
    if (!same)
        return wd_error_set(WD_ESTATE, WD_A_OTHER_LOG, a->dir, 0, 0,
                            "these keys belong to another log (log ids differ)");
    return 0;
}

/* Saves a torn fragment beside the segment, never overwriting anything: a file already holding
 * exactly this fragment (a recovery that stopped half way) is reused, any other gets a new
 * name. */
static int save_fragment(wd_audit *a, const char *name, const char *frag, size_t len, char *saved,
                         size_t saved_size)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        if (attempt == 0)
            snprintf(saved, saved_size, "%s.torn-%llu", name, (unsigned long long)a->st.seq);
        else
            snprintf(saved, saved_size, "%s.torn-%llu.%d", name, (unsigned long long)a->st.seq,
                     attempt);
        int fd =
            openat(a->dirfd, saved, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            int rc = wd_write_all(fd, frag, len) || fsync(fd) ? -1 : 0;
            close(fd);
            if (rc == 0)
                return 0;
            break;
        }
        if (errno != EEXIST)
            break;
        int old = openat(a->dirfd, saved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char buf[4096];
        ssize_t n = old >= 0 && len <= sizeof(buf) ? read(old, buf, sizeof(buf)) : -1;
        if (old >= 0)
            close(old);
        if (n == (ssize_t)len && !memcmp(buf, frag, len))
            return 0; /* saved already, by a recovery that was interrupted */
    }
    return wd_error_set(WD_EIO, WD_A_LOG_IO, saved, 0, 0, "cannot save the torn record: %s",
                        strerror(errno));
}

/* Moves a torn fragment aside and truncates the segment to its last complete line. An
 * append-only segment must lose the attribute first: the kernel refuses to open such a file
 * for anything but appending, so it is cleared through a read-only descriptor. */
static int set_torn_aside(wd_audit *a, uint32_t seg, const char *data, size_t keep, size_t len,
                          char *saved, size_t saved_size)
{
    char name[WD_SEGMENT_NAME_LEN];
    wd_segment_name(seg, name);
    int rc = save_fragment(a, name, data + keep, len - keep, saved, saved_size);
    if (rc)
        return rc;
    int rfd = openat(a->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    rc = rfd < 0 || clear_append_only(rfd);
    if (rfd >= 0)
        close(rfd);
    int sfd = rc ? -1 : openat(a->dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    rc = rc || sfd < 0 || ftruncate(sfd, (off_t)keep) || fsync(sfd);
    if (sfd >= 0)
        close(sfd);
    if (rc)
        return wd_error_set(WD_EIO, WD_A_LOG_IO, name, 0, 0,
                            "cannot cut the torn record off (%s); it was saved to %s",
                            strerror(errno), saved);
    return 0;
}

/* Record 1 of every log: binds it to its log id and signing key. */
static int write_log_start(wd_audit *a)
{
    char id[33], pub[65];
    wd_hex_encode(a->st.log_id, 16, id);
    wd_hex_encode(a->sign_pub, 32, pub);
    wd_buf_clear(&a->details);
    wd_buf_printf(&a->details, "{\"log_id\":\"%s\",\"public_key\":\"%s\"}", id, pub);
    return append_one(a, "LOG_START", WD_SEVERITY_LOW, NULL, "audit", a->details.data,
                      a->details.len);
}

/* Makes log and state agree after whatever the last writer went through. */
static int reconcile(wd_audit *a)
{
    uint32_t *segs;
    size_t nsegs;
    int rc = wd_segments_list(a->dirfd, a->dir, &segs, &nsegs);
    if (rc)
        return rc;
    if (nsegs == 0) {
        free(segs);
        if (a->st.seq != 1)
            return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                                "the writer state is at record %llu but the log has no segments: "
                                "the log was removed, or the keys belong to another log",
                                (unsigned long long)a->st.seq);
        rc = open_segment(a, a->st.segment, true);
        if (rc)
            return rc;
        return write_log_start(a);
    }
    uint32_t active = segs[nsegs - 1], first = segs[0];
    rc = check_log_id(a, first);
    if (rc) {
        free(segs);
        return rc;
    }
    if (a->st.segment > active) {
        free(segs);
        return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                            "the writer state names segment %u, which does not exist",
                            (unsigned)a->st.segment);
    }

    /* Find the last record: in the active segment, or (if it is still empty) earlier. */
    char *data = NULL;
    size_t len = 0, torn = 0;
    char saved[WD_SEGMENT_NAME_LEN + 32] = "";
    long at = -1;
    uint32_t where = active;
    for (size_t k = nsegs; k-- > 0 && at < 0;) {
        free(data);
        where = segs[k];
        rc = wd_segment_read(a->dirfd, where, (size_t)1 << 30, &data, &len);
        if (rc)
            break;
        if (where == active && len && data[len - 1] != '\n') {
            size_t keep = len;
            while (keep > 0 && data[keep - 1] != '\n')
                keep--;
            torn = len - keep;
            rc = set_torn_aside(a, where, data, keep, len, saved, sizeof(saved));
            if (rc)
                break;
            len = keep;
            char msg[160];
            snprintf(msg, sizeof(msg), "a torn last record (%zu bytes) was moved aside to %s", torn,
                     saved);
            note(a, WD_A_TORN, msg);
        }
        at = last_line_start(data, len);
    }
    free(segs);
    if (rc) {
        free(data);
        return rc;
    }
    if (at < 0 && a->st.seq == 1) {
        /* The first writer died before LOG_START was complete (any fragment was saved above):
         * start the log now. */
        free(data);
        a->st.segment = active;
        rc = open_segment(a, active, false);
        if (rc)
            return rc;
        return write_log_start(a);
    }
    wd_record_view last;
    if (at < 0 || !wd_record_parse(data + at, len - (size_t)at - 1, &last)) {
        free(data);
        return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                            "the last line of the log is not a record");
    }
    uint8_t last_hash[WD_SHA256_LEN];
    wd_sha256(a->h, data + at, len - (size_t)at - 1, last_hash);
    if (last.type_len == 10 && !memcmp(last.type, "CHECKPOINT", 10))
        a->checkpoint_seq = last.seq; /* already sealed: closing needs no new checkpoint */

    if (last.seq >= a->st.seq) {
        /* The state fell behind (a crash between write and state store): walk forward over the
         * records it missed, checking each is ours, and adopt the end. */
        long pos = at;
        while (pos > 0) {
            long prev = last_line_start(data, (size_t)pos);
            wd_record_view r;
            if (prev < 0 || !wd_record_parse(data + prev, (size_t)(pos - prev - 1), &r) ||
                r.seq < a->st.seq)
                break;
            pos = prev;
        }
        for (long p = pos; p < (long)len;) {
            const char *nl = memchr(data + p, '\n', len - (size_t)p);
            wd_record_view r;
            uint8_t mac[WD_SHA256_LEN], next[WD_HMAC_KEY_LEN];
            if (!nl || !wd_record_parse(data + p, (size_t)(nl - data - p), &r) ||
                r.seq != a->st.seq || memcmp(r.prev, a->st.head, WD_SHA256_LEN) ||
                wd_hmac_sha256(a->h, a->st.key, data + p, r.body_len, mac) ||
                !wd_ct_equal(mac, r.mac, sizeof(mac))) {
                free(data);
                return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                                    "the log holds records the writer state cannot account for "
                                    "(from seq %llu): refusing to continue it",
                                    (unsigned long long)a->st.seq);
            }
            wd_sha256(a->h, data + p, (size_t)(nl - data - p), a->st.head);
            wd_ratchet(a->h, a->st.key, next);
            memcpy(a->st.key, next, sizeof(next));
            wd_wipe(next, sizeof(next));
            a->st.seq++;
            p = (long)(nl - data) + 1;
        }
    } else if (last.seq + 1 == a->st.seq && memcmp(last_hash, a->st.head, WD_SHA256_LEN) != 0) {
        free(data);
        return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                            "the last record (seq %llu) is not the one the writer wrote",
                            (unsigned long long)last.seq);
    }
    free(data);
    uint64_t lost_from = last.seq + 1, lost_to = a->st.seq - 1;
    bool lost = a->st.seq > last.seq + 1;
    if (lost)
        memcpy(a->st.head, last_hash, WD_SHA256_LEN); /* continue from the last intact record */

    a->st.segment = active;
    rc = open_segment(a, active, false);
    if (rc || (!torn && !lost))
        return rc ? rc : wd_state_store(a->statefd, a->h, &a->st) ? WD_EIO : 0;

    wd_buf_clear(&a->details);
    wd_buf_printf(&a->details, "{");
    if (lost) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "records %llu..%llu never reached the disk; a RECOVERY record declares them",
                 (unsigned long long)lost_from, (unsigned long long)lost_to);
        note(a, WD_A_LOST, msg);
        wd_buf_printf(&a->details, "\"lost_from\":%llu,\"lost_to\":%llu,",
                      (unsigned long long)lost_from, (unsigned long long)lost_to);
    }
    wd_buf_printf(&a->details, "\"reason\":\"%s\"", torn ? "torn" : "lost");
    if (torn)
        wd_buf_printf(&a->details, ",\"saved_to\":\"%s\",\"torn_bytes\":%zu", saved, torn);
    wd_buf_putc(&a->details, '}');
    rc =
        append_one(a, "RECOVERY", WD_SEVERITY_HIGH, NULL, "audit", a->details.data, a->details.len);
    if (!rc && fdatasync(a->segfd) != 0)
        rc = fail_closed(a, WD_EIO, "syncing the audit log");
    return rc;
}

static int check_options(const wd_audit_options *o)
{
    if (o->version != WD_AUDIT_OPTIONS_VERSION)
        return wd_fail(WD_EINVAL, "wd_audit_options version %u is not supported", o->version);
    if (o->durability < WD_DURABILITY_ALWAYS || o->durability > WD_DURABILITY_NONE)
        return wd_fail(WD_EINVAL, "unknown durability mode %d", (int)o->durability);
    if (o->durability == WD_DURABILITY_BATCH && (o->batch_ms == 0 || o->batch_records == 0))
        return wd_fail(WD_EINVAL, "batch durability needs batch_ms and batch_records");
    if (o->segment_bytes < 4096)
        return wd_fail(WD_EINVAL, "segment_bytes must be at least 4096");
    return 0;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void free_writer(wd_audit *a)
{
    if (a->segfd >= 0)
        close(a->segfd);
    if (a->statefd >= 0)
        close(a->statefd);
    if (a->lockfd >= 0)
        close(a->lockfd); /* releases the flock */
    if (a->dirfd >= 0)
        close(a->dirfd);
    wd_hasher_free(a->h);
    wd_buf_free(&a->line);
    wd_buf_free(&a->details);
    wd_buf_free(&a->batch);
    free(a->dir);
    free(a->state_path);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->synced);
    wd_wipe(a, sizeof(*a));
    free(a);
}

int wd_audit_open(wd_audit **out, const char *log_dir, const char *keys_dir,
                  const wd_audit_options *opts)
{
    if (!out || !log_dir || !keys_dir)
        return wd_fail(WD_EINVAL, "wd_audit_open needs a log directory and a key directory");
    *out = NULL;
    wd_audit_options o = WD_AUDIT_OPTIONS_INIT;
    if (opts)
        o = *opts;
    int rc = check_options(&o);
    if (rc)
        return rc;
    wd_audit *a = calloc(1, sizeof(*a));
    if (!a)
        return wd_fail(WD_ENOMEM, "out of memory");
    a->dirfd = a->lockfd = a->statefd = a->segfd = -1;
    a->o = o;
    pthread_mutex_init(&a->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->synced, &ca);
    pthread_condattr_destroy(&ca);
    a->dir = strdup(log_dir);
    a->state_path = join(keys_dir, WD_AUDIT_STATE);
    char *sign_path = join(keys_dir, WD_AUDIT_SIGNING_KEY);
    if (!a->dir || !a->state_path || !sign_path || wd_hasher_new(&a->h)) {
        free(sign_path);
        free_writer(a);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    rc =
        wd_keyfile_read(sign_path, WD_SIGNING_KEY_HEADER, true, a->sign_priv, sizeof(a->sign_priv));
    free(sign_path);
    if (!rc)
        rc = wd_ed25519_public(a->sign_priv, a->sign_pub);
    if (!rc)
        rc = wd_state_open(a->state_path, &a->statefd);
    if (!rc && mkdir(log_dir, 0700) != 0 && errno != EEXIST)
        rc = wd_error_set(WD_EIO, WD_A_LOG_IO, log_dir, 0, 0, "cannot create: %s", strerror(errno));
    if (!rc && (a->dirfd = open(log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        rc = wd_error_set(WD_EIO, WD_A_LOG_IO, log_dir, 0, 0, "cannot open: %s", strerror(errno));
    if (!rc && (a->lockfd =
                    openat(a->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
        rc = wd_error_set(WD_EIO, WD_A_LOCK, log_dir, 0, 0, "cannot open the lock file: %s",
                          strerror(errno));
    if (!rc) {
        int how = o.exclusive ? LOCK_EX | LOCK_NB : LOCK_EX;
        while (flock(a->lockfd, how) != 0 && !rc)
            if (errno != EINTR)
                rc = wd_error_set(errno == EWOULDBLOCK ? WD_EBUSY : WD_EIO, WD_A_LOCK, log_dir, 0,
                                  0, "cannot lock the log: %s",
                                  errno == EWOULDBLOCK ? "another writer holds it"
                                                       : strerror(errno));
    }
    if (!rc)
        rc = wd_state_load(a->statefd, a->h, &a->st, a->state_path);
    if (!rc)
        rc = reconcile(a);
    if (!o.exclusive && a->lockfd >= 0)
        flock(a->lockfd, LOCK_UN);
    if (rc) {
        free_writer(a);
        return rc;
    }
    a->written = a->durable = a->st.seq - 1;
    a->checkpoint_mono_ns = a->last_sync_ns = wd_time_mono_ns();
    *out = a;
    return 0;
}

int wd_audit_close(wd_audit *a)
{
    if (!a)
        return 0;
    pthread_mutex_lock(&a->mu);
    int rc = a->broken;
    if (!rc)
        rc = lock_log(a);
    if (!rc) {
        /* Seal what came since the last checkpoint (ours, or another process's records). */
        if (a->st.seq != a->checkpoint_seq + 1)
            rc = checkpoint_locked(a, NULL);
        if (!rc && (fdatasync(a->segfd) != 0 || fsync(a->statefd) != 0))
            rc = fail_closed(a, WD_EIO, "syncing the audit log");
        unlock_log(a);
    }
    pthread_mutex_unlock(&a->mu);
    free_writer(a);
    return rc;
}

int wd_audit_keygen(const char *dir)
{
    if (!dir)
        return wd_fail(WD_EINVAL, "wd_audit_keygen needs a directory");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return wd_error_set(WD_EIO, WD_A_KEY_IO, dir, 0, 0, "cannot create: %s", strerror(errno));
    char *mac = join(dir, WD_AUDIT_MAC_KEY), *sign = join(dir, WD_AUDIT_SIGNING_KEY),
         *pub = join(dir, WD_AUDIT_PUBLIC_KEY), *state = join(dir, WD_AUDIT_STATE);
    wd_hasher *h = NULL;
    uint8_t k[WD_HMAC_KEY_LEN], priv[WD_ED25519_KEY_LEN], pk[WD_ED25519_KEY_LEN];
    wd_audit_state st = {.seq = 1, .segment = 1};
    int rc = !mac || !sign || !pub || !state || wd_hasher_new(&h) ? WD_ENOMEM : 0;
    /* Refuse before creating anything, so a partial set never overwrites a good one. */
    const char *paths[4] = {mac, sign, pub, state};
    for (int i = 0; i < 4 && !rc; i++)
        if (access(paths[i], F_OK) == 0)
            rc = wd_error_set(WD_EBUSY, WD_A_EXISTS, paths[i], 0, 0,
                              "already exists: keys are never overwritten");
    if (!rc)
        rc = wd_random_bytes(k, sizeof(k));
    if (!rc)
        rc = wd_random_bytes(st.log_id, sizeof(st.log_id));
    if (!rc)
        rc = wd_ed25519_keygen(priv, pk);
    memcpy(st.key, k, sizeof(k));
    if (!rc)
        rc = wd_keyfile_write(mac, WD_MAC_KEY_HEADER, k, sizeof(k), 0600);
    if (!rc)
        rc = wd_keyfile_write(sign, WD_SIGNING_KEY_HEADER, priv, sizeof(priv), 0600);
    if (!rc)
        rc = wd_keyfile_write(pub, WD_PUBLIC_KEY_HEADER, pk, sizeof(pk), 0644);
    if (!rc) {
        int fd = open(state, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || fchmod(fd, 0600) || wd_state_store(fd, h, &st) || fsync(fd))
            rc =
                wd_error_set(WD_EIO, WD_A_KEY_IO, state, 0, 0, "cannot write: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    wd_wipe(k, sizeof(k));
    wd_wipe(priv, sizeof(priv));
    wd_wipe(&st, sizeof(st));
    wd_hasher_free(h);
    free(mac);
    free(sign);
    free(pub);
    free(state);
    return rc;
}

uint64_t wd_audit_next_seq(wd_audit *a, int *broken)
{
    pthread_mutex_lock(&a->mu);
    uint64_t seq = a->st.seq;
    if (broken)
        *broken = a->broken;
    pthread_mutex_unlock(&a->mu);
    return seq;
}
