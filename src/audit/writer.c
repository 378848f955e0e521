/* writer.c: appending to the audit log.
 *
 * Every append, under the process mutex and (unless the writer is exclusive) the directory's
 * flock: format BODY with the next sequence number and the current chain head, MAC it with
 * k_seq, write the line with one O_APPEND write, advance the chain head, ratchet the key (the
 * old one is wiped) and rewrite the state block in place. Durability decides when the line is
 * fdatasync'ed; once a sync has covered record N the state says so ("durable N"). The order
 * matters for crash recovery (reconcile() at open):
 *   - a crash mid-write leaves a torn line and a state still at seq: the fragment is moved
 *     aside and a RECOVERY record takes seq;
 *   - a crash after the write but before the state store leaves the state behind the log: the
 *     writer re-derives the keys forward, checking each record's MAC, and carries on;
 *   - a power loss that keeps the state but not the log (modes none and batch) leaves records
 *     missing: a RECOVERY record declares exactly which;
 *   - a log that ends before a record the state says was durable lost it to no crash: a
 *     CRITICAL TAMPERING record says so, and the missing numbers stay a gap every verifier
 *     reports.
 * A write or sync that fails stops the writer (fail closed: every append is refused). It is not
 * final: the next append, or the heartbeat, at most once per retry interval, reconciles log and
 * state exactly as an open would and continues the chain with a RECOVERY record naming when
 * writes failed; only then are records accepted again.
 *
 * The heartbeat is one thread per open writer. It seals by time even when no append comes: a
 * checkpoint once records have waited an interval since the last one (or since the open). The
 * count and time of the last checkpoint live in the state block, so they survive restarts. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
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

#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define RETRY_MAX_NS NS_PER_S /* a broken writer retries at least this often */
#define SEGMENT_READ_MAX ((size_t)1 << 30)
#define REASON_MAX 160
#define NOTE_MAX 240 /* one note on what a recovery found */

struct wd_audit {
    pthread_mutex_t mu;
    pthread_cond_t synced; /* batch: an fdatasync finished */
    pthread_cond_t wake;   /* the heartbeat: stop, or the writer broke */
    pthread_t heart;
    bool heart_running, stopping;
    char *dir;
    int dirfd, lockfd, statefd, segfd;
    char *state_path;
    wd_audit_state st;
    uint8_t sign_priv[WD_ED25519_KEY_LEN], sign_pub[WD_ED25519_KEY_LEN];
    wd_hasher *h;
    wd_audit_options o;
    uint64_t interval_ns; /* seal at most this long after a record; 0 = by time never */
    wd_buf line, details, batch;
    uint64_t seg_size;
    /* Failure and recovery. broken is the first error's code; the writer then refuses records
     * until a recovery succeeds. */
    int broken;
    int64_t broken_ns;
    char broken_why[REASON_MAX];
    uint64_t refused, recoveries, next_retry_mono;
    int64_t recovered_ns;
    uint64_t cp_mono;        /* when the last checkpoint this writer saw was made (or the open) */
    uint64_t last_poll_mono; /* heartbeat, shared lock: when it last looked at the disk state */
    uint64_t written, durable, last_sync_ns; /* batch group commit, by sequence number */
    bool syncing;
};

static uint64_t unsealed(const wd_audit *a)
{
    return a->st.seq - 1 - a->st.cp_seq;
}

static uint64_t retry_ns(const wd_audit *a)
{
    return a->interval_ns && a->interval_ns < RETRY_MAX_NS ? a->interval_ns : RETRY_MAX_NS;
}

/* Stops the writer: from now on every append is refused until a recovery succeeds. */
static int fail_closed(wd_audit *a, int rc, const char *what)
{
    int e = errno;
    if (!a->broken) {
        a->broken = rc ? rc : WD_EIO;
        a->broken_ns = wd_time_now_ns();
        snprintf(a->broken_why, sizeof(a->broken_why), "%s: %s", what, strerror(e));
        a->refused = 0;
        a->next_retry_mono = wd_time_mono_ns() + retry_ns(a);
        pthread_cond_broadcast(&a->wake);
    }
    return wd_audit_error(a->broken, WD_A_WRITE, a->dir, 0, 0,
                          "%s failed (%s): the audit log stopped accepting records", what,
                          strerror(e));
}

static int refuse(wd_audit *a)
{
    char when[WD_TIME_TEXT_LEN + 1];
    wd_time_format(a->broken_ns, when);
    return wd_audit_error(a->broken, WD_A_WRITE, a->dir, 0, 0,
                          "the audit log stopped accepting records at %s (%s); it retries by "
                          "itself",
                          when, a->broken_why);
}

/* Notes go to the caller's list only while wd_audit_open runs (o.notes is cleared after). */
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
        return wd_audit_error(WD_EIO, WD_A_LOG_IO, name, 0, 0, "cannot open segment: %s",
                              strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = wd_audit_error(WD_EIO, WD_A_LOG_IO, name, 0, 0, "segment is not a regular file");
    else if (create && fsync(a->dirfd) != 0)
        rc = wd_audit_error(WD_EIO, WD_A_LOG_IO, a->dir, 0, 0, "cannot sync directory: %s",
                            strerror(errno));
    if (rc) {
        close(fd);
        return rc;
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
static int format_record(wd_audit *a, int64_t ts, const char *type, wd_severity sev,
                         const char *corr, const char *comp, const char *details, size_t dlen)
{
    size_t start = a->line.len;
    char uuid[37];
    if (!corr) {
        int rc = wd_uuid_v4(uuid);
        if (rc)
            return rc;
        corr = uuid;
    }
    wd_record_body(&a->line, a->st.seq, ts, type, sev, corr, comp ? comp : "", details, dlen,
                   a->st.head);
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

/* Writes what format_record() put in a->line and stores the advanced state. The line buffer is
 * emptied either way: after a failure its records are not ours to write again (a recovery
 * reconciles with what reached the file). */
static int commit_lines(wd_audit *a)
{
    int rc = wd_write_all(a->segfd, a->line.data, a->line.len);
    size_t n = a->line.len;
    wd_buf_clear(&a->line);
    if (rc != 0)
        return fail_closed(a, WD_EIO, "writing the audit log");
    a->seg_size += n;
    if (wd_state_store(a->statefd, a->h, &a->st) != 0)
        return fail_closed(a, WD_EIO, "storing the writer state");
    a->written = a->st.seq - 1;
    return 0;
}

static int append_one(wd_audit *a, const char *type, wd_severity sev, const char *corr,
                      const char *comp, const char *details, size_t dlen)
{
    int rc = format_record(a, wd_time_now_ns(), type, sev, corr, comp, details, dlen);
    if (rc) {
        wd_buf_clear(&a->line);
        return rc;
    }
    return commit_lines(a);
}

static int write_anchor(const char *path, const char *id, uint64_t count, const char *head,
                        const char *sig_hex, const char *pub)
{
    /* Written beside its final name, synced, then renamed into place. */
    wd_buf anchor = WD_BUF_INIT;
    wd_buf_printf(&anchor,
                  "{\"format\":\"warden-audit-anchor-v1\",\"log_id\":\"%s\",\"count\":%llu,"
                  "\"head\":\"%s\",\"signature\":\"%s\",\"public_key\":\"%s\"}\n",
                  id, (unsigned long long)count, head, sig_hex, pub);
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    int rc =
        fd < 0 || anchor.oom || wd_write_all(fd, anchor.data, anchor.len) || fsync(fd) ? WD_EIO : 0;
    if (fd >= 0)
        close(fd);
    if (!rc && rename(tmp, path) != 0)
        rc = WD_EIO;
    wd_buf_free(&anchor);
    if (rc) {
        unlink(tmp);
        return wd_audit_error(WD_EIO, WD_A_ANCHOR, path, 0, 0, "cannot write the anchor: %s",
                              strerror(errno));
    }
    return 0;
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
    /* The state stored with the record already names it as the last checkpoint. */
    int64_t now = wd_time_now_ns();
    rc = format_record(a, now, "CHECKPOINT", WD_SEVERITY_LOW, NULL, "audit", a->details.data,
                       a->details.len);
    if (rc) {
        wd_buf_clear(&a->line);
        return rc;
    }
    a->st.cp_seq = a->st.seq - 1;
    a->st.cp_ns = now;
    a->cp_mono = wd_time_mono_ns();
    rc = commit_lines(a);
    if (rc || !export_path)
        return rc;
    return write_anchor(export_path, id, count, head, sig_hex, pub);
}

/* Periodic checkpoints and rotation, after an append. */
static int housekeeping(wd_audit *a)
{
    uint64_t open = unsealed(a);
    bool by_count = a->o.checkpoint_every && open >= a->o.checkpoint_every;
    bool by_time = a->interval_ns && open && wd_time_mono_ns() - a->cp_mono >= a->interval_ns;
    bool rotate = a->seg_size >= a->o.segment_bytes;
    int rc = 0;
    if (by_count || by_time || rotate)
        rc = checkpoint_locked(a, NULL);
    if (rc || !rotate)
        return rc;
    /* The old segment is complete: make it durable before the state points past it. */
    if (fdatasync(a->segfd) != 0)
        return fail_closed(a, WD_EIO, "syncing the finished segment");
    a->st.durable = a->st.seq - 1;
    if (a->durable < a->st.durable)
        a->durable = a->st.durable;
    rc = open_segment(a, a->st.segment + 1, true);
    if (rc)
        return fail_closed(a, rc, "starting a new segment");
    a->st.segment++;
    if (wd_state_store(a->statefd, a->h, &a->st) != 0)
        return fail_closed(a, WD_EIO, "storing the writer state");
    return 0;
}

/* Another process may have appended since we last held the lock: adopt its state (the whole
 * block: its checkpoint and durability marks are as much the log's as the chain head). */
static int refresh_from_disk(wd_audit *a)
{
    wd_audit_state disk;
    int rc = wd_state_load(a->statefd, a->h, &disk, a->state_path);
    if (rc)
        return fail_closed(a, rc, "reading the writer state");
    bool new_segment = disk.segment != a->st.segment;
    bool moved = new_segment || disk.seq != a->st.seq;
    if (disk.cp_seq != a->st.cp_seq)
        a->cp_mono = wd_time_mono_ns();
    a->st = disk;
    wd_wipe(&disk, sizeof(disk));
    if (new_segment && (rc = open_segment(a, a->st.segment, false)) != 0)
        return fail_closed(a, rc, "opening the current segment");
    struct stat sb;
    if (moved && fstat(a->segfd, &sb) == 0)
        a->seg_size = (uint64_t)sb.st_size;
    return 0;
}

static int lock_log(wd_audit *a)
{
    if (a->o.exclusive)
        return 0;
    while (flock(a->lockfd, LOCK_EX) != 0)
        if (errno != EINTR)
            return wd_audit_error(WD_EIO, WD_A_LOCK, a->dir, 0, 0, "cannot lock: %s",
                                  strerror(errno));
    return refresh_from_disk(a);
}

static void unlock_log(wd_audit *a)
{
    if (!a->o.exclusive)
        flock(a->lockfd, LOCK_UN);
}

/* A sync covered every record up to seq: say so in the state, so that a later open can tell a
 * log cut short from a crash (called with the mutex held). */
static void note_durable(wd_audit *a, uint64_t seq)
{
    if (seq <= a->st.durable || a->broken)
        return;
    if (lock_log(a) != 0)
        return;
    if (seq > a->st.durable && seq < a->st.seq) {
        a->st.durable = seq;
        if (wd_state_store(a->statefd, a->h, &a->st) != 0)
            fail_closed(a, WD_EIO, "storing the writer state");
    }
    unlock_log(a);
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
        if (rc != 0) {
            fail_closed(a, WD_EIO, "syncing the audit log");
        } else {
            if (target > a->durable)
                a->durable = target;
            note_durable(a, target);
        }
        a->last_sync_ns = wd_time_mono_ns();
        a->syncing = false;
        pthread_cond_broadcast(&a->synced);
        if (a->o.durability == WD_DURABILITY_ALWAYS)
            break; /* its own sync covered it */
    }
    return a->broken ? refuse(a) : 0;
}

static void try_recover(wd_audit *a);

/* With the mutex held: 0 when the writer accepts records, possibly after recovering now. */
static int ensure_writable(wd_audit *a, bool force)
{
    if (!a->broken)
        return 0;
    uint64_t now = wd_time_mono_ns();
    if (force || now >= a->next_retry_mono) {
        a->next_retry_mono = now + retry_ns(a);
        try_recover(a);
        if (!a->broken)
            return 0;
    }
    a->refused++;
    return refuse(a);
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
    int rc = 0;
    /* Check every event before writing any: a batch is all or nothing. */
    wd_buf_clear(&a->batch);
    size_t *offsets = n ? malloc(n * sizeof(*offsets)) : NULL;
    if (n && !offsets)
        rc = wd_fail(WD_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        offsets[i] = a->batch.len;
        rc = wd_record_check_event(&evs[i], &a->batch);
    }
    if (!rc)
        rc = ensure_writable(a, false);
    if (!rc)
        rc = lock_log(a);
    uint64_t first = a->st.seq, last = 0;
    if (!rc) {
        wd_audit_state saved = a->st;
        for (size_t i = 0; i < n && !rc; i++) {
            size_t end = i + 1 < n ? offsets[i + 1] : a->batch.len;
            rc = format_record(a, wd_time_now_ns(), evs[i].type, evs[i].severity,
                               evs[i].correlation_id, evs[i].component, a->batch.data + offsets[i],
                               end - offsets[i]);
        }
        if (rc) { /* nothing was written: roll the in-memory state back */
            a->st = saved;
            wd_buf_clear(&a->line);
        } else {
            last = a->st.seq - 1;
            rc = n ? commit_lines(a) : 0;
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

/* A checkpoint now, as durable as the mode promises (mutex held, writer not broken). */
static int seal_now(wd_audit *a, const char *export_path)
{
    int rc = lock_log(a);
    if (rc)
        return rc;
    rc = checkpoint_locked(a, export_path);
    uint64_t seq = a->st.seq - 1;
    unlock_log(a);
    if (!rc && a->o.durability != WD_DURABILITY_NONE)
        rc = wait_durable(a, seq);
    return rc;
}

int wd_audit_checkpoint(wd_audit *a, const char *export_path)
{
    if (!a)
        return wd_fail(WD_EINVAL, "wd_audit_checkpoint needs a log");
    pthread_mutex_lock(&a->mu);
    int rc = ensure_writable(a, false);
    if (!rc)
        rc = seal_now(a, export_path);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

/* ---- opening, crash recovery and recovery after a write failure --------------------------- */

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
    int rc = wd_segment_read(a->dirfd, first_segment, SEGMENT_READ_MAX, &data, &len);
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
    return wd_audit_error(WD_EIO, WD_A_LOG_IO, saved, 0, 0, "cannot save the torn record: %s",
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
        return wd_audit_error(WD_EIO, WD_A_LOG_IO, name, 0, 0,
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

/* The end of the log as reconcile() finds it. */
typedef struct {
    uint32_t *segs; /* every segment present, ascending */
    size_t nsegs;
    bool segments_gone; /* the state names a segment after the last one present */
    uint32_t active;    /* the last segment present */
    char *data;         /* the segment holding the last complete record */
    size_t len;
    long at;     /* where its last line starts, -1 when no segment holds a complete record */
    size_t torn; /* bytes of a torn last line moved aside */
    char saved[WD_SEGMENT_NAME_LEN + 32];
    uint64_t last_seq; /* the last complete record's, once adopt_or_verify has read it */
    bool tampered;     /* records a sync covered are gone */
    bool lost;         /* records after the last one never reached the disk */
} log_end;

/* The failure a recovery at run time follows (NULL at open). */
typedef struct {
    int64_t failed_ns;
    const char *error;
    uint64_t refused;
} write_failure;

static void log_end_dispose(log_end *e)
{
    free(e->segs);
    free(e->data);
    e->segs = NULL;
    e->data = NULL;
}

/* Finds the last complete record: in the active segment, or (if it is still empty) earlier.
 * A torn last line of the active segment is moved aside first. */
static int read_tail(wd_audit *a, log_end *t)
{
    t->active = t->segs[t->nsegs - 1];
    t->at = -1;
    int rc = 0;
    for (size_t k = t->nsegs; k-- > 0 && t->at < 0;) {
        free(t->data); /* an earlier segment's turn: the later one held no complete record */
        t->data = NULL;
        uint32_t where = t->segs[k];
        rc = wd_segment_read(a->dirfd, where, SEGMENT_READ_MAX, &t->data, &t->len);
        if (rc)
            break;
        if (where == t->active && t->len && t->data[t->len - 1] != '\n') {
            size_t keep = t->len;
            while (keep > 0 && t->data[keep - 1] != '\n')
                keep--;
            t->torn = t->len - keep;
            rc = set_torn_aside(a, where, t->data, keep, t->len, t->saved, sizeof(t->saved));
            if (rc)
                break;
            t->len = keep;
            char msg[NOTE_MAX];
            snprintf(msg, sizeof(msg), "a torn last record (%zu bytes) was moved aside to %s",
                     t->torn, t->saved);
            note(a, WD_A_TORN, msg);
        }
        t->at = last_line_start(t->data, t->len);
    }
    return rc;
}

/* Lists the segments, checks the first belongs to these keys and finds the last complete
 * record. A log with no segments is left to start_log. */
static int find_log_end(wd_audit *a, log_end *e)
{
    int rc = wd_segments_list(a->dirfd, a->dir, &e->segs, &e->nsegs);
    if (rc || e->nsegs == 0)
        return rc;
    e->segments_gone = a->st.segment > e->segs[e->nsegs - 1];
    rc = check_log_id(a, e->segs[0]);
    if (!rc && e->segments_gone && a->st.durable == 0)
        rc = wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                          "the writer state names segment %u, which does not exist",
                          (unsigned)a->st.segment);
    if (!rc)
        rc = read_tail(a, e);
    return rc;
}

static bool is_checkpoint(const wd_record_view *r)
{
    return r->type_len == 10 && !memcmp(r->type, "CHECKPOINT", 10);
}

/* The last checkpoint at or before seq upto in data[0..len), read from the log itself: for a
 * version-1 state, which did not record it, and when the one the state names was lost. */
static void find_checkpoint(wd_audit *a, const char *data, size_t len, uint64_t upto)
{
    a->st.cp_seq = 0;
    a->st.cp_ns = 0;
    for (long pos = last_line_start(data, len); pos >= 0;) {
        wd_record_view r;
        if (wd_record_parse(data + pos, len - (size_t)pos - 1, &r) && r.seq <= upto &&
            is_checkpoint(&r)) {
            a->st.cp_seq = r.seq;
            a->st.cp_ns = r.ts_ns;
            return;
        }
        len = (size_t)pos;
        pos = last_line_start(data, len);
    }
}

/* The state fell behind (a crash between write and state store): walks forward over the
 * records it missed, checking each is ours, and adopts the end. */
static int roll_forward(wd_audit *a, const char *data, size_t len, long at)
{
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
        if (!nl || !wd_record_parse(data + p, (size_t)(nl - data - p), &r) || r.seq != a->st.seq ||
            memcmp(r.prev, a->st.head, WD_SHA256_LEN) ||
            wd_hmac_sha256(a->h, a->st.key, data + p, r.body_len, mac) ||
            !wd_ct_equal(mac, r.mac, sizeof(mac)))
            return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                                "the log holds records the writer state cannot account for "
                                "(from seq %llu): refusing to continue it",
                                (unsigned long long)a->st.seq);
        if (is_checkpoint(&r)) {
            a->st.cp_seq = r.seq;
            a->st.cp_ns = r.ts_ns;
        }
        wd_sha256(a->h, data + p, (size_t)(nl - data - p), a->st.head);
        wd_ratchet(a->h, a->st.key, next);
        memcpy(a->st.key, next, sizeof(next));
        wd_wipe(next, sizeof(next));
        a->st.seq++;
        p = (long)(nl - data) + 1;
    }
    return 0;
}

/* Continues the chain after damage with the record that declares it, and makes it durable.
 *   tampered: the log ends (at e->last_seq) before a record the state says a sync covered. No
 *             crash does that: a CRITICAL TAMPERING record, whose missing range is no declared
 *             loss, so verifiers still report the gap;
 *   otherwise a RECOVERY record: after a write failure (f), a torn line, records lost. */
static int write_damage(wd_audit *a, const log_end *e, const write_failure *f)
{
    wd_buf *d = &a->details;
    bool tampered = e->tampered;
    uint64_t log_ends_at = e->last_seq, lost_from = log_ends_at + 1, lost_to = a->st.seq - 1;
    bool lost = lost_from <= lost_to;
    char msg[NOTE_MAX];
    wd_buf_clear(d);
    wd_buf_putc(d, '{');
    if (tampered) {
        snprintf(msg, sizeof(msg),
                 "the log ends at seq %llu but the writer state says records up to %llu were "
                 "made durable: records %llu..%llu were removed, which no crash does; a CRITICAL "
                 "TAMPERING record says so",
                 (unsigned long long)log_ends_at, (unsigned long long)a->st.durable,
                 (unsigned long long)lost_from, (unsigned long long)lost_to);
        note(a, WD_A_TAMPERED, msg);
        wd_buf_printf(d,
                      "\"durable_to\":%llu,\"log_ends_at\":%llu,\"missing_from\":%llu,"
                      "\"missing_to\":%llu,\"reason\":\"log_shorter_than_state\"",
                      (unsigned long long)a->st.durable, (unsigned long long)log_ends_at,
                      (unsigned long long)lost_from, (unsigned long long)lost_to);
    } else {
        if (f) {
            char when[WD_TIME_TEXT_LEN + 1];
            wd_time_format(f->failed_ns, when);
            wd_buf_puts(d, "\"error\":");
            wd_json_quote(d, f->error, strlen(f->error));
            wd_buf_printf(d, ",\"failed_at\":\"%s\",", when);
        }
        if (lost) {
            snprintf(msg, sizeof(msg),
                     "records %llu..%llu never reached the disk; a RECOVERY record declares them",
                     (unsigned long long)lost_from, (unsigned long long)lost_to);
            note(a, WD_A_LOST, msg);
            wd_buf_printf(d, "\"lost_from\":%llu,\"lost_to\":%llu,", (unsigned long long)lost_from,
                          (unsigned long long)lost_to);
        }
        wd_buf_printf(d, "\"reason\":\"%s\"", f ? "write_failed" : e->torn ? "torn" : "lost");
        if (f)
            wd_buf_printf(d, ",\"refused\":%llu", (unsigned long long)f->refused);
    }
    if (e->torn)
        wd_buf_printf(d, ",\"saved_to\":\"%s\",\"torn_bytes\":%zu", e->saved, e->torn);
    wd_buf_putc(d, '}');
    if (d->oom)
        return wd_fail(WD_ENOMEM, "out of memory");
    int rc = append_one(a, tampered ? "TAMPERING" : "RECOVERY",
                        tampered ? WD_SEVERITY_CRITICAL : WD_SEVERITY_HIGH, NULL, "audit", d->data,
                        d->len);
    if (!rc && fdatasync(a->segfd) != 0)
        rc = fail_closed(a, WD_EIO, "syncing the audit log");
    if (!rc) {
        a->st.durable = a->st.seq - 1;
        if (wd_state_store(a->statefd, a->h, &a->st) != 0)
            rc = fail_closed(a, WD_EIO, "storing the writer state");
    }
    return rc;
}

/* No segment holds a complete record. Only a state that never wrote one may start the log now:
 * the first writer died before LOG_START was complete (any fragment was saved), or never made
 * a segment. */
static int start_log(wd_audit *a, const log_end *e)
{
    if (e->nsegs == 0 && a->st.seq != 1)
        return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                            "the writer state is at record %llu but the log has no segments: "
                            "the log was removed, or the keys belong to another log",
                            (unsigned long long)a->st.seq);
    if (a->st.seq != 1)
        return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                            "the last line of the log is not a record");
    bool create = e->nsegs == 0;
    if (!create)
        a->st.segment = e->active;
    int rc = open_segment(a, a->st.segment, create);
    return rc ? rc : write_log_start(a);
}

/* Makes the state agree with the last complete record: adopts the records it missed (their
 * MACs checked), checks the one it names as its head, or, when records after the last one
 * were lost, continues the chain from it. Says whether that loss was a crash's or no crash's. */
static int adopt_or_verify(wd_audit *a, log_end *e)
{
    wd_record_view last;
    if (!wd_record_parse(e->data + e->at, e->len - (size_t)e->at - 1, &last))
        return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                            "the last line of the log is not a record");
    uint8_t last_hash[WD_SHA256_LEN];
    wd_sha256(a->h, e->data + e->at, e->len - (size_t)e->at - 1, last_hash);
    if (a->st.v1)
        find_checkpoint(a, e->data, e->len, last.seq);
    if (last.seq >= a->st.seq) {
        int rc = roll_forward(a, e->data, e->len, e->at);
        if (rc)
            return rc;
    } else if (last.seq + 1 == a->st.seq && memcmp(last_hash, a->st.head, WD_SHA256_LEN) != 0) {
        return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                            "the last record (seq %llu) is not the one the writer wrote",
                            (unsigned long long)last.seq);
    }
    e->last_seq = last.seq;
    e->tampered = last.seq < a->st.durable;
    if (e->segments_gone && !e->tampered)
        return wd_error_set(WD_ESTATE, WD_A_INCONSISTENT, a->dir, 0, 0,
                            "the writer state names segment %u, which does not exist",
                            (unsigned)a->st.segment);
    e->lost = a->st.seq > last.seq + 1;
    if (e->lost) {
        memcpy(a->st.head, last_hash, WD_SHA256_LEN); /* continue from the last intact record */
        if (a->st.cp_seq > last.seq)
            find_checkpoint(a, e->data, e->len, last.seq);
    }
    return 0;
}

/* Continues the log in its last segment: with the record that declares what happened (a
 * write failure f, a torn line, lost or removed records), or, when nothing did, with the
 * state stored as it now is. */
static int declare_recovery(wd_audit *a, const log_end *e, const write_failure *f)
{
    a->st.segment = e->active;
    int rc = open_segment(a, e->active, false);
    if (rc)
        return rc;
    if (!e->torn && !e->lost && !f)
        return wd_state_store(a->statefd, a->h, &a->st) ? WD_EIO : 0;
    return write_damage(a, e, f);
}

/* Makes log and state agree after whatever the last writer (or this one, f) went through. */
static int reconcile(wd_audit *a, const write_failure *f)
{
    log_end e = {.at = -1};
    int rc = find_log_end(a, &e);
    if (!rc)
        rc = e.at < 0 ? start_log(a, &e) : adopt_or_verify(a, &e);
    if (!rc && e.at >= 0)
        rc = declare_recovery(a, &e, f);
    log_end_dispose(&e);
    return rc;
}

/* Runs with the mutex held on a broken writer: reloads the state from disk and reconciles it
 * with the log exactly as an open does (a torn fragment of the failed write moved aside, records
 * that did reach the file adopted after their MACs check), then continues the chain with a
 * RECOVERY record saying when writes failed. The writer accepts records again only when all of
 * that, and the sync after it, succeeded. */
static void try_recover(wd_audit *a)
{
    char why[REASON_MAX];
    snprintf(why, sizeof(why), "%s", a->broken_why);
    write_failure f = {.failed_ns = a->broken_ns, .error = why, .refused = a->refused};
    wd_audit_state disk;
    memset(&disk, 0, sizeof(disk));
    int rc = 0;
    if (!a->o.exclusive)
        while (flock(a->lockfd, LOCK_EX) != 0 && !rc)
            if (errno != EINTR)
                rc = WD_EIO;
    if (!rc)
        rc = wd_state_load(a->statefd, a->h, &disk, a->state_path);
    if (!rc) {
        a->st = disk;
        rc = reconcile(a, &f);
    }
    wd_wipe(&disk, sizeof(disk));
    if (!a->o.exclusive)
        flock(a->lockfd, LOCK_UN);
    if (rc)
        return;
    a->broken = 0;
    a->broken_ns = 0;
    a->broken_why[0] = '\0';
    a->refused = 0;
    a->recoveries++;
    a->recovered_ns = wd_time_now_ns();
    a->written = a->durable = a->st.seq - 1;
    pthread_cond_broadcast(&a->synced);
}

/* ---- the heartbeat ------------------------------------------------------------------------ */

/* One look, with the mutex held: retry a broken writer, seal records that have waited an
 * interval, and (with a shared lock) look at least once an interval for records other
 * processes left unsealed. */
static void heartbeat_tick(wd_audit *a)
{
    uint64_t now = wd_time_mono_ns();
    if (a->broken) {
        if (now >= a->next_retry_mono) {
            a->next_retry_mono = now + retry_ns(a);
            try_recover(a);
        }
        return;
    }
    if (!a->interval_ns)
        return;
    bool due = unsealed(a) && now - a->cp_mono >= a->interval_ns;
    bool poll = !a->o.exclusive && now - a->last_poll_mono >= a->interval_ns;
    if (!due && !poll)
        return;
    a->last_poll_mono = now;
    if (lock_log(a) != 0)
        return;
    due = unsealed(a) && wd_time_mono_ns() - a->cp_mono >= a->interval_ns;
    int rc = due ? checkpoint_locked(a, NULL) : 0;
    uint64_t seq = a->st.seq - 1;
    unlock_log(a);
    if (due && !rc && a->o.durability != WD_DURABILITY_NONE)
        wait_durable(a, seq);
}

static struct timespec next_wake(const wd_audit *a)
{
    uint64_t now = wd_time_mono_ns(), at;
    if (a->broken)
        at = a->next_retry_mono;
    else if (!a->interval_ns)
        at = now + 3600 * NS_PER_S; /* nothing to time: woken when the writer breaks */
    else if (unsealed(a))
        at = a->cp_mono + a->interval_ns;
    else
        at = now + a->interval_ns;
    if (at < now + NS_PER_MS)
        at = now + NS_PER_MS; /* never spin, whatever failed */
    return (struct timespec){.tv_sec = (time_t)(at / NS_PER_S), .tv_nsec = (long)(at % NS_PER_S)};
}

static void *heartbeat(void *p)
{
    wd_audit *a = p;
    pthread_mutex_lock(&a->mu);
    while (!a->stopping) {
        heartbeat_tick(a);
        if (a->stopping)
            break;
        struct timespec ts = next_wake(a);
        pthread_cond_timedwait(&a->wake, &a->mu, &ts);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* The heartbeat blocks every signal: they belong to the threads the host chose. */
static int start_heartbeat(wd_audit *a)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&a->heart, NULL, heartbeat, a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc)
        return wd_fail(WD_ENOMEM, "cannot start the audit heartbeat: %s", strerror(rc));
    a->heart_running = true;
    return 0;
}

static void stop_heartbeat(wd_audit *a)
{
    pthread_mutex_lock(&a->mu);
    a->stopping = true;
    pthread_cond_broadcast(&a->wake);
    pthread_mutex_unlock(&a->mu);
    if (a->heart_running)
        pthread_join(a->heart, NULL);
    a->heart_running = false;
}

/* ---- open and close ----------------------------------------------------------------------- */

static int check_options(const wd_audit_options *o)
{
    if (o->durability < WD_DURABILITY_ALWAYS || o->durability > WD_DURABILITY_NONE)
        return wd_fail(WD_EINVAL, "unknown durability mode %d", (int)o->durability);
    if (o->durability == WD_DURABILITY_BATCH && (o->batch_ms == 0 || o->batch_records == 0))
        return wd_fail(WD_EINVAL, "batch durability needs batch_ms and batch_records");
    if (o->segment_bytes < 4096)
        return wd_fail(WD_EINVAL, "segment_bytes must be at least 4096");
    return 0;
}

/* Version 1 of the options ends before checkpoint_ms: read only what such a caller gave. */
static int read_options(const wd_audit_options *opts, wd_audit_options *o)
{
    wd_audit_options init = WD_AUDIT_OPTIONS_INIT;
    *o = init;
    if (!opts)
        return 0;
    if (opts->version == 1) {
        memcpy(o, opts, offsetof(wd_audit_options, checkpoint_ms));
        o->checkpoint_ms = 0;
    } else if (opts->version == WD_AUDIT_OPTIONS_VERSION) {
        *o = *opts;
    } else {
        return wd_fail(WD_EINVAL, "wd_audit_options version %u is not supported", opts->version);
    }
    o->version = WD_AUDIT_OPTIONS_VERSION;
    return check_options(o);
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
    pthread_cond_destroy(&a->wake);
    wd_wipe(a, sizeof(*a));
    free(a);
}

static int open_files(wd_audit *a, const char *log_dir, const char *keys_dir)
{
    a->dir = strdup(log_dir);
    a->state_path = join(keys_dir, WD_AUDIT_STATE);
    char *sign_path = join(keys_dir, WD_AUDIT_SIGNING_KEY);
    int rc = 0;
    if (!a->dir || !a->state_path || !sign_path || wd_hasher_new(&a->h))
        rc = wd_fail(WD_ENOMEM, "out of memory");
    if (!rc)
        rc = wd_keyfile_read(sign_path, WD_SIGNING_KEY_HEADER, true, a->sign_priv,
                             sizeof(a->sign_priv));
    free(sign_path);
    if (!rc)
        rc = wd_ed25519_public(a->sign_priv, a->sign_pub);
    if (!rc)
        rc = wd_state_open(a->state_path, &a->statefd);
    if (!rc && mkdir(log_dir, 0700) != 0 && errno != EEXIST)
        rc = wd_audit_error(WD_EIO, WD_A_LOG_IO, log_dir, 0, 0, "cannot create: %s",
                            strerror(errno));
    if (!rc && (a->dirfd = open(log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        rc = wd_audit_error(WD_EIO, WD_A_LOG_IO, log_dir, 0, 0, "cannot open: %s", strerror(errno));
    if (!rc && (a->lockfd =
                    openat(a->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
        rc = wd_audit_error(WD_EIO, WD_A_LOCK, log_dir, 0, 0, "cannot open the lock file: %s",
                            strerror(errno));
    if (!rc) {
        int how = a->o.exclusive ? LOCK_EX | LOCK_NB : LOCK_EX;
        while (flock(a->lockfd, how) != 0 && !rc)
            if (errno != EINTR)
                rc = wd_audit_error(errno == EWOULDBLOCK ? WD_EBUSY : WD_EIO, WD_A_LOCK, log_dir, 0,
                                    0, "cannot lock the log: %s",
                                    errno == EWOULDBLOCK ? "another writer holds it"
                                                         : strerror(errno));
    }
    return rc;
}

int wd_audit_open(wd_audit **out, const char *log_dir, const char *keys_dir,
                  const wd_audit_options *opts)
{
    if (!out || !log_dir || !keys_dir)
        return wd_fail(WD_EINVAL, "wd_audit_open needs a log directory and a key directory");
    *out = NULL;
    wd_audit_options o;
    int rc = read_options(opts, &o);
    if (rc)
        return rc;
    wd_audit *a = calloc(1, sizeof(*a));
    if (!a)
        return wd_fail(WD_ENOMEM, "out of memory");
    a->dirfd = a->lockfd = a->statefd = a->segfd = -1;
    a->o = o;
    a->interval_ns = o.checkpoint_ms ? o.checkpoint_ms * NS_PER_MS : o.checkpoint_secs * NS_PER_S;
    pthread_mutex_init(&a->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->synced, &ca);
    pthread_cond_init(&a->wake, &ca);
    pthread_condattr_destroy(&ca);
    rc = open_files(a, log_dir, keys_dir);
    if (!rc)
        rc = wd_state_load(a->statefd, a->h, &a->st, a->state_path);
    if (!rc)
        rc = reconcile(a, NULL);
    if (!o.exclusive && a->lockfd >= 0)
        flock(a->lockfd, LOCK_UN);
    a->o.notes = NULL; /* the caller's list is for the open only */
    a->written = a->durable = a->st.seq - 1;
    a->cp_mono = a->last_sync_ns = a->last_poll_mono = wd_time_mono_ns();
    if (!rc)
        rc = start_heartbeat(a);
    if (rc) {
        free_writer(a);
        return rc;
    }
    *out = a;
    return 0;
}

int wd_audit_close(wd_audit *a)
{
    if (!a)
        return 0;
    stop_heartbeat(a);
    pthread_mutex_lock(&a->mu);
    int rc = ensure_writable(a, true); /* one last try: a writer that can recover, seals */
    if (!rc)
        rc = lock_log(a);
    if (!rc) {
        /* Seal what came since the last checkpoint (ours, or another process's records). */
        if (unsealed(a))
            rc = checkpoint_locked(a, NULL);
        if (!rc && fdatasync(a->segfd) != 0)
            rc = fail_closed(a, WD_EIO, "syncing the audit log");
        if (!rc) {
            a->st.durable = a->st.seq - 1;
            if (wd_state_store(a->statefd, a->h, &a->st) != 0 || fsync(a->statefd) != 0)
                rc = fail_closed(a, WD_EIO, "storing the writer state");
        }
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
        return wd_audit_error(WD_EIO, WD_A_KEY_IO, dir, 0, 0, "cannot create: %s", strerror(errno));
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
            rc = wd_audit_error(WD_EIO, WD_A_KEY_IO, state, 0, 0, "cannot write: %s",
                                strerror(errno));
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

int wd_audit_status(wd_audit *a, wd_audit_writer_status *st)
{
    if (!a || !st)
        return wd_fail(WD_EINVAL, "wd_audit_status needs a log and a status");
    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&a->mu);
    st->next_seq = a->st.seq;
    st->broken = a->broken;
    st->broken_since_ns = a->broken_ns;
    snprintf(st->broken_reason, sizeof(st->broken_reason), "%s", a->broken_why);
    st->refused = a->refused;
    st->recoveries = a->recoveries;
    st->recovered_ns = a->recovered_ns;
    st->sealed_seq = a->st.cp_seq;
    st->sealed_ns = a->st.cp_ns;
    st->unsealed = unsealed(a);
    st->durable_seq = a->st.durable;
    pthread_mutex_unlock(&a->mu);
    return 0;
}
