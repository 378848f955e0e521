/* bench_audit.c: how fast warden writes, verifies and queries its tamper-evident audit log.
 *
 * In a fresh temporary directory (mkdtemp under /tmp, or --dir; removed at the end) this
 * program measures:
 *   1. libcrypto for reference: SHA-256 of 300-byte inputs and of a 55-byte ratchet input,
 *      HMAC-SHA-256 of 256-byte inputs through wd_hmac_sha256() and through OpenSSL's one-shot
 *      HMAC(), Ed25519 signs and verifies of a checkpoint-sized message; and the storage: a
 *      300-byte write + fdatasync in a loop.
 *   2. Appends of ~300-byte records per durability mode: none (wd_audit_append in a loop,
 *      wd_audit_append_many x64, a per-append file lock with exclusive = 0, and a fresh UUIDv4
 *      per record), batch (10 ms / 1024 records; 1, 16 and 64 threads, append_many x256, and
 *      append_many x1024, which reaches batch_records at once) and always (1 and 16 threads).
 *      Each run is a fixed time; every call is timed alone for the p50/p99 latency of a call.
 *   3. wd_audit_verify over a log of 1,000,000 records (written with mode none and
 *      append_many): with the MAC key only, and with the public key only.
 *   4. wd_audit_query_run with a type filter over the same log: records scanned per second.
 *
 * Each log gets its own keys (wd_audit_keygen), checkpoint_every 10000, append_only 0 (so the
 * directory can be removed) and, unless said otherwise, exclusive 1. One table goes to stdout,
 * progress and per-run details to stderr. bench/README.md explains the output. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_util.h"
#include "crypto/crypto.h"
#include "warden/audit.h"
#include "warden/error.h"

#define FULL_CRYPTO_SECS 1.0
#define FULL_APPEND_SECS 2.0
#define FULL_VERIFY_RECORDS 1000000u
#define FULL_PASSES 3 /* verify and query: best of */
#define QUICK_CRYPTO_SECS 0.1
#define QUICK_APPEND_SECS 0.5
#define QUICK_VERIFY_RECORDS 200000u
#define QUICK_PASSES 1

#define POOL 4096        /* distinct events, cycled through */
#define DENY_PERCENT 10  /* share of FS_DENY events (the query's filter) */
#define VERIFY_BATCH 256 /* append_many batch used to write the verify log */
#define CHECKPOINT_EVERY 10000
#define MAX_ROWS 32
#define MAX_THREADS 64
#define BATCH_1024 "append_many x1024 (= batch_records)"

/* Targets the project has set for itself (reported, never enforced by the exit code). */
#define TARGET_NONE_PER_S 500000.0
#define TARGET_BATCH_PER_S 100000.0
#define TARGET_VERIFY_MAC_PER_S 500000.0

/* ---- small utilities ------------------------------------------------------------------------- */

/* Dies with libwarden's last error when rc is not WD_OK. */
static void check_wd(int rc, const char *what)
{
    if (rc != WD_OK)
        die("%s failed: %s: %s", what, wd_strerror(rc), wd_error_last()->message);
}

/* ---- CPU affinity (--pin) -------------------------------------------------------------------- */

static bool g_pinned;
static cpu_set_t g_all_cpus; /* the process's affinity at start: for worker threads */

static void pin_main_thread(int cpu)
{
    bench_pin_main_thread(cpu, &g_all_cpus);
    g_pinned = true;
}

/* ---- the table ------------------------------------------------------------------------------- */

typedef struct {
    const char *section; /* printed as a heading when it changes */
    char what[64];
    unsigned threads;
    double ops_per_s;
    double bytes;          /* per op: input size, or the measured average line size; 0: n/a */
    double p50_us, p99_us; /* < 0: not measured */
    double cpu_pct;        /* process CPU time / wall time, in % of one core */
    double cpu_us_per_op;
    uint64_t ops;
    double secs;
} row;

static row g_rows[MAX_ROWS];
static size_t g_nrows;

static row *new_row(const char *section, const char *what)
{
    if (g_nrows == MAX_ROWS)
        die("internal: too many rows");
    row *r = &g_rows[g_nrows++];
    memset(r, 0, sizeof(*r));
    r->section = section;
    snprintf(r->what, sizeof(r->what), "%s", what);
    r->threads = 1;
    r->p50_us = r->p99_us = -1;
    return r;
}

static void finish_row(row *r, uint64_t ops, uint64_t wall_ns, uint64_t cpu_used_ns)
{
    r->ops = ops;
    r->secs = (double)wall_ns / 1e9;
    r->ops_per_s = wall_ns ? (double)ops * 1e9 / (double)wall_ns : 0;
    r->cpu_pct = wall_ns ? 100.0 * (double)cpu_used_ns / (double)wall_ns : 0;
    r->cpu_us_per_op = ops ? (double)cpu_used_ns / 1e3 / (double)ops : 0;
    fprintf(stderr, "  %-44s %2u thr %12.0f ops/s  (%" PRIu64 " ops in %.2f s, cpu %.0f%%)\n",
            r->what, r->threads, r->ops_per_s, r->ops, r->secs, r->cpu_pct);
}

static void print_table(void)
{
    printf("\n%-44s %3s %11s %6s %8s %9s %9s %5s %9s\n", "measurement", "thr", "ops/s", "B/op",
           "MB/s", "p50_us", "p99_us", "cpu%", "cpu_us/op");
    const char *section = NULL;
    for (size_t i = 0; i < g_nrows; i++) {
        const row *r = &g_rows[i];
        if (!section || strcmp(section, r->section)) {
            section = r->section;
            printf("%s\n", section);
        }
        char b[16] = "-", mb[16] = "-", p50[16] = "-", p99[16] = "-";
        if (r->bytes > 0) {
            snprintf(b, sizeof(b), "%.0f", r->bytes);
            snprintf(mb, sizeof(mb), "%.1f", r->ops_per_s * r->bytes / 1e6);
        }
        if (r->p50_us >= 0) {
            snprintf(p50, sizeof(p50), "%.1f", r->p50_us);
            snprintf(p99, sizeof(p99), "%.1f", r->p99_us);
        }
        printf("  %-42s %3u %11.0f %6s %8s %9s %9s %5.0f %9.2f\n", r->what, r->threads,
               r->ops_per_s, b, mb, p50, p99, r->cpu_pct, r->cpu_us_per_op);
    }
}

/* ---- libcrypto reference --------------------------------------------------------------------- */

typedef struct {
    wd_hasher *h;
    uint8_t key[WD_HMAC_KEY_LEN];
    uint8_t priv[WD_ED25519_KEY_LEN], pub[WD_ED25519_KEY_LEN];
    uint8_t data[512];
    uint8_t out[WD_SHA256_LEN];
    uint8_t sig[WD_ED25519_SIG_LEN];
} crypto_ctx;

enum { CHECKPOINT_MSG_LEN = 133 }; /* "warden-audit-checkpoint-v1\n<32>\n<7 digits>\n<64>\n" */

static int op_sha256_300(crypto_ctx *c)
{
    c->data[0] ^= c->out[0];
    return wd_sha256(c->h, c->data, 300, c->out);
}

static int op_sha256_55(crypto_ctx *c)
{
    c->data[0] ^= c->out[0];
    return wd_sha256(c->h, c->data, 55, c->out);
}

static int op_hmac_wd_256(crypto_ctx *c)
{
    c->data[0] ^= c->out[0];
    return wd_hmac_sha256(c->h, c->key, c->data, 256, c->out);
}

static int op_hmac_ossl_256(crypto_ctx *c)
{
    unsigned int len = 0;
    c->data[0] ^= c->out[0];
    if (!HMAC(EVP_sha256(), c->key, (int)sizeof(c->key), c->data, 256, c->out, &len) ||
        len != WD_SHA256_LEN)
        return WD_EINVAL;
    return 0;
}

static int op_ed25519_sign(crypto_ctx *c)
{
    c->data[0] ^= c->sig[0];
    return wd_ed25519_sign(c->priv, c->data, CHECKPOINT_MSG_LEN, c->sig);
}

static int op_ed25519_verify(crypto_ctx *c)
{
    return wd_ed25519_verify(c->pub, c->data, CHECKPOINT_MSG_LEN, c->sig) ? 0 : WD_EINVAL;
}

static void run_crypto(const char *what, int (*op)(crypto_ctx *), crypto_ctx *c, double bytes,
                       double secs)
{
    row *r = new_row("libcrypto (reference; one core)", what);
    r->bytes = bytes;
    for (int i = 0; i < 1000; i++) /* warm up: first fetches, page faults */
        if (op(c) != 0)
            die("%s failed", what);
    uint64_t ops = 0, c0 = cpu_ns(), t0 = now_ns(), t1 = t0;
    uint64_t deadline = t0 + (uint64_t)(secs * 1e9);
    while (t1 < deadline) {
        for (int i = 0; i < 256; i++)
            if (op(c) != 0)
                die("%s failed: %s", what, wd_error_last()->message);
        ops += 256;
        t1 = now_ns();
    }
    finish_row(r, ops, t1 - t0, cpu_ns() - c0);
}

static void bench_crypto(double secs)
{
    fprintf(stderr, "bench_audit: libcrypto reference ...\n");
    crypto_ctx *c = xcalloc(1, sizeof(*c));
    check_wd(wd_hasher_new(&c->h), "wd_hasher_new");
    check_wd(wd_random_bytes(c->key, sizeof(c->key)), "wd_random_bytes");
    check_wd(wd_random_bytes(c->data, sizeof(c->data)), "wd_random_bytes");
    check_wd(wd_ed25519_keygen(c->priv, c->pub), "wd_ed25519_keygen");

    /* The two HMACs must agree before either is timed. */
    uint8_t a[WD_SHA256_LEN], b[WD_SHA256_LEN];
    unsigned int blen = 0;
    check_wd(wd_hmac_sha256(c->h, c->key, c->data, 256, a), "wd_hmac_sha256");
    if (!HMAC(EVP_sha256(), c->key, (int)sizeof(c->key), c->data, 256, b, &blen) ||
        blen != sizeof(b) || memcmp(a, b, sizeof(a)))
        die("wd_hmac_sha256 and OpenSSL HMAC() disagree");

    run_crypto("SHA-256, wd_sha256 (record hash)", op_sha256_300, c, 300, secs);
    run_crypto("SHA-256, wd_sha256 (key ratchet input)", op_sha256_55, c, 55, secs);
    run_crypto("HMAC-SHA-256, wd_hmac_sha256", op_hmac_wd_256, c, 256, secs);
    run_crypto("HMAC-SHA-256, OpenSSL one-shot HMAC()", op_hmac_ossl_256, c, 256, secs);
    run_crypto("Ed25519 sign (checkpoint message)", op_ed25519_sign, c, CHECKPOINT_MSG_LEN, secs);
    check_wd(wd_ed25519_sign(c->priv, c->data, CHECKPOINT_MSG_LEN, c->sig), "wd_ed25519_sign");
    run_crypto("Ed25519 verify (checkpoint message)", op_ed25519_verify, c, CHECKPOINT_MSG_LEN,
               secs);
    wd_hasher_free(c->h);
    free(c);
}

/* The storage under the logs, for reference: append 300 bytes to a file and fdatasync it, in a
 * loop (what durability always pays per record, and batch per group). */
static void bench_fdatasync(double secs)
{
    fprintf(stderr, "bench_audit: storage reference ...\n");
    row *r = new_row("storage (reference; the temporary directory's filesystem)",
                     "write 300 B + fdatasync");
    r->bytes = 300;
    char path[PATH_MAX], line[300];
    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\n';
    path_join(path, sizeof(path), bench_root, "fdatasync.probe");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        die("cannot create %s: %s", path, strerror(errno));
    samples lat = {0};
    uint64_t ops = 0, c0 = cpu_ns(), t0 = now_ns(), t1 = t0;
    uint64_t deadline = t0 + (uint64_t)(secs * 1e9);
    while (t1 < deadline) {
        if (write(fd, line, sizeof(line)) != (ssize_t)sizeof(line) || fdatasync(fd) != 0)
            die("cannot write and sync %s: %s", path, strerror(errno));
        uint64_t t = now_ns();
        samples_push(&lat, t - t1);
        t1 = t;
        ops++;
    }
    uint64_t c1 = cpu_ns();
    if (close(fd) != 0 || unlink(path) != 0)
        die("cannot close and remove %s: %s", path, strerror(errno));
    qsort(lat.v, lat.n, sizeof(*lat.v), bench_cmp_u32);
    r->p50_us = bench_quantile(lat.v, lat.n, 0.50) / 1e3;
    r->p99_us = bench_quantile(lat.v, lat.n, 0.99) / 1e3;
    samples_free(&lat);
    finish_row(r, ops, t1 - t0, c1 - c0);
}

/* ---- events ---------------------------------------------------------------------------------- */

/* Every line carries ~270 bytes the writer adds (seq, 30-character timestamp, prev hash and MAC
 * as 64 hex digits each, the key names), so a ~300-byte line leaves room for small fields only:
 * type FS_READ (LOW) or FS_DENY (HIGH, DENY_PERCENT of them), an 8-hex-digit request id,
 * component "fs" and details {"fd":NN}. */
typedef struct {
    wd_audit_event ev[POOL];
    char corr[POOL][12];
    char details[POOL][24];
} event_pool;

static event_pool *make_pool(bool fresh_uuid)
{
    event_pool *p = xcalloc(1, sizeof(*p));
    uint64_t s = 0x5EEDA0D17ull;
    for (size_t i = 0; i < POOL; i++) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        uint64_t x = s * 0x2545F4914F6CDD1Dull;
        bool deny = (x >> 40) % 100 < DENY_PERCENT;
        snprintf(p->corr[i], sizeof(p->corr[i]), "%08" PRIx32, (uint32_t)x);
        snprintf(p->details[i], sizeof(p->details[i]), "{\"fd\":%u}",
                 10 + (unsigned)(x >> 56) % 90);
        p->ev[i] = (wd_audit_event){.type = deny ? "FS_DENY" : "FS_READ",
                                    .severity = deny ? WD_SEVERITY_HIGH : WD_SEVERITY_LOW,
                                    .component = "fs",
                                    .correlation_id = fresh_uuid ? NULL : p->corr[i],
                                    .details = p->details[i]};
    }
    return p;
}

/* ---- logs ------------------------------------------------------------------------------------ */

typedef struct {
    char dir[PATH_MAX], keys[PATH_MAX], log[PATH_MAX];
} log_paths;

static unsigned g_next_log;

/* A fresh directory under the root with new keys in keys/ and the log to be in log/. */
static void new_log_dir(log_paths *lp)
{
    char name[32];
    snprintf(name, sizeof(name), "log-%02u", ++g_next_log);
    path_join(lp->dir, sizeof(lp->dir), bench_root, name);
    path_join(lp->keys, sizeof(lp->keys), lp->dir, "keys");
    path_join(lp->log, sizeof(lp->log), lp->dir, "log");
    make_dir(lp->dir);
    check_wd(wd_audit_keygen(lp->keys), "wd_audit_keygen");
}

static wd_audit *open_log(const log_paths *lp, wd_durability mode, int exclusive)
{
    wd_audit_options o = WD_AUDIT_OPTIONS_INIT;
    o.durability = mode;
    o.batch_ms = 10;
    o.batch_records = 1024;
    o.checkpoint_every = CHECKPOINT_EVERY;
    o.exclusive = exclusive;
    o.append_only = 0; /* the temporary directory must stay removable */
    wd_audit *log = NULL;
    check_wd(wd_audit_open(&log, lp->log, lp->keys, &o), "wd_audit_open");
    return log;
}

/* Bytes and lines in the log's segments (read back, outside any timing). */
static void log_stats(const char *dir, uint64_t *bytes, uint64_t *lines)
{
    *bytes = *lines = 0;
    char *buf = xmalloc(1u << 20);
    for (unsigned seg = 1;; seg++) {
        char name[32], path[PATH_MAX];
        snprintf(name, sizeof(name), "audit-%08u.jsonl", seg);
        path_join(path, sizeof(path), dir, name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
            break;
        if (fd < 0)
            die("cannot open %s: %s", path, strerror(errno));
        for (;;) {
            ssize_t n = read(fd, buf, 1u << 20);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                die("cannot read %s: %s", path, strerror(errno));
            if (n == 0)
                break;
            *bytes += (uint64_t)n;
            for (const char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t)(end - p))); p++)
                (*lines)++;
        }
        if (close(fd) != 0)
            die("cannot close %s: %s", path, strerror(errno));
    }
    free(buf);
    if (!*lines)
        die("the log in %s holds no records", dir);
}

/* ---- appends --------------------------------------------------------------------------------- */

typedef struct {
    wd_audit *log;
    const event_pool *pool;
    size_t batch; /* 1: wd_audit_append; more: wd_audit_append_many */
    size_t next;  /* where in the pool this thread starts */
    uint64_t deadline;
    pthread_barrier_t *start;
    uint64_t records;
    samples lat; /* per call */
    int rc;
    char err[256];
} worker;

static void *append_loop(void *arg)
{
    worker *w = arg;
    if (w->start) {
        int b = pthread_barrier_wait(w->start);
        if (b != 0 && b != PTHREAD_BARRIER_SERIAL_THREAD) {
            w->rc = WD_EINVAL;
            snprintf(w->err, sizeof(w->err), "pthread_barrier_wait failed");
            return NULL;
        }
    }
    for (;;) {
        uint64_t t0 = now_ns();
        if (t0 >= w->deadline)
            break;
        if (w->next + w->batch > POOL)
            w->next = 0;
        const wd_audit_event *ev = &w->pool->ev[w->next];
        int rc = w->batch == 1 ? wd_audit_append(w->log, ev, NULL)
                               : wd_audit_append_many(w->log, ev, w->batch, NULL);
        uint64_t t1 = now_ns();
        if (rc != WD_OK) {
            w->rc = rc;
            snprintf(w->err, sizeof(w->err), "%s: %s", wd_strerror(rc), wd_error_last()->message);
            break;
        }
        samples_push(&w->lat, t1 - t0);
        w->records += w->batch;
        w->next += w->batch;
    }
    return NULL;
}

typedef struct {
    unsigned group; /* ONLY_* */
    const char *section, *what;
    wd_durability mode;
    int exclusive;
    unsigned threads;
    size_t batch;
    bool fresh_uuid;
} append_spec;

static void run_append(const append_spec *sp, const event_pool *pool, double secs)
{
    row *r = new_row(sp->section, sp->what);
    r->threads = sp->threads;
    log_paths lp;
    new_log_dir(&lp);
    wd_audit *log = open_log(&lp, sp->mode, sp->exclusive);

    unsigned n = sp->threads;
    worker *w = xcalloc(n, sizeof(*w));
    pthread_t *tid = xcalloc(n, sizeof(*tid));
    pthread_barrier_t start;
    if (n > 1 && pthread_barrier_init(&start, NULL, n + 1) != 0)
        die("pthread_barrier_init failed");
    for (unsigned i = 0; i < n; i++) {
        w[i].log = log;
        w[i].pool = pool;
        w[i].batch = sp->batch;
        w[i].next = (size_t)i * (POOL / MAX_THREADS);
        w[i].start = n > 1 ? &start : NULL;
    }
    uint64_t c0, t0;
    if (n == 1) {
        c0 = cpu_ns();
        t0 = now_ns();
        w[0].deadline = t0 + (uint64_t)(secs * 1e9);
        append_loop(&w[0]); /* on the main thread: pinned with --pin */
    } else {
        pthread_attr_t attr;
        if (pthread_attr_init(&attr) != 0)
            die("pthread_attr_init failed");
        if (g_pinned && pthread_attr_setaffinity_np(&attr, sizeof(g_all_cpus), &g_all_cpus) != 0)
            die("pthread_attr_setaffinity_np failed");
        for (unsigned i = 0; i < n; i++) {
            int rc = pthread_create(&tid[i], &attr, append_loop, &w[i]);
            if (rc != 0)
                die("pthread_create failed: %s", strerror(rc));
        }
        if (pthread_attr_destroy(&attr) != 0)
            die("pthread_attr_destroy failed");
        c0 = cpu_ns();
        t0 = now_ns();
        for (unsigned i = 0; i < n; i++)
            w[i].deadline = t0 + (uint64_t)(secs * 1e9);
        int b = pthread_barrier_wait(&start); /* publishes the deadlines */
        if (b != 0 && b != PTHREAD_BARRIER_SERIAL_THREAD)
            die("pthread_barrier_wait failed");
        for (unsigned i = 0; i < n; i++) {
            int rc = pthread_join(tid[i], NULL);
            if (rc != 0)
                die("pthread_join failed: %s", strerror(rc));
        }
    }
    uint64_t t1 = now_ns(), c1 = cpu_ns();
    if (n > 1 && pthread_barrier_destroy(&start) != 0)
        die("pthread_barrier_destroy failed");

    uint64_t records = 0;
    size_t nlat = 0;
    for (unsigned i = 0; i < n; i++) {
        if (w[i].rc != WD_OK)
            die("%s: append failed: %s", sp->what, w[i].err);
        records += w[i].records;
        nlat += w[i].lat.n;
    }
    check_wd(wd_audit_close(log), "wd_audit_close");
    if (!records)
        die("%s: no record was appended in %.2f s", sp->what, secs);

    uint32_t *lat = xmalloc(nlat * sizeof(*lat));
    size_t k = 0;
    for (unsigned i = 0; i < n; i++) {
        if (w[i].lat.n) /* a thread that woke after the deadline made no call */
            memcpy(lat + k, w[i].lat.v, w[i].lat.n * sizeof(*lat));
        k += w[i].lat.n;
        samples_free(&w[i].lat);
    }
    qsort(lat, nlat, sizeof(*lat), bench_cmp_u32);
    r->p50_us = bench_quantile(lat, nlat, 0.50) / 1e3;
    r->p99_us = bench_quantile(lat, nlat, 0.99) / 1e3;
    uint32_t max = lat[nlat - 1];
    free(lat);

    uint64_t bytes, lines;
    log_stats(lp.log, &bytes, &lines);
    r->bytes = (double)bytes / (double)lines;
    finish_row(r, records, t1 - t0, c1 - c0);
    fprintf(stderr,
            "    %" PRIu64 " lines (%" PRIu64 " bytes, %.1f B/line) incl. LOG_START and "
            "checkpoints; %zu calls, slowest %.1f ms\n",
            lines, bytes, r->bytes, nlat, max / 1e6);
    remove_tree(lp.dir, false);
    free(w);
    free(tid);
}

/* ---- verify and query ------------------------------------------------------------------------ */

typedef struct {
    uint64_t matched;
} query_ctx;

static int count_match(const wd_audit_record *rec, void *ctx)
{
    query_ctx *q = ctx;
    if (strcmp(rec->type, "FS_DENY") != 0)
        return -1; /* the filter let something else through: stop */
    q->matched++;
    return 0;
}

static void bench_verify_query(const event_pool *pool, uint64_t nrecords, int passes)
{
    fprintf(stderr, "bench_audit: writing a %" PRIu64 "-record log (none, append_many x%d) ...\n",
            nrecords, VERIFY_BATCH);
    log_paths lp;
    new_log_dir(&lp);
    wd_audit *log = open_log(&lp, WD_DURABILITY_NONE, 1);
    uint64_t deny = 0, written = 0;
    size_t next = 0;
    row *wr = new_row("verify log: wd_audit_append_many, durability none", "");
    snprintf(wr->what, sizeof(wr->what), "append_many x%d, %" PRIu64 " records", VERIFY_BATCH,
             nrecords);
    uint64_t c0 = cpu_ns(), t0 = now_ns();
    while (written < nrecords) {
        size_t n = nrecords - written < VERIFY_BATCH ? (size_t)(nrecords - written) : VERIFY_BATCH;
        if (next + n > POOL)
            next = 0;
        check_wd(wd_audit_append_many(log, &pool->ev[next], n, NULL), "wd_audit_append_many");
        for (size_t i = 0; i < n; i++)
            deny += pool->ev[next + i].severity == WD_SEVERITY_HIGH;
        next += n;
        written += n;
    }
    check_wd(wd_audit_close(log), "wd_audit_close");
    uint64_t t1 = now_ns(), c1 = cpu_ns();
    uint64_t bytes, lines;
    log_stats(lp.log, &bytes, &lines);
    wr->bytes = (double)bytes / (double)lines;
    finish_row(wr, written, t1 - t0, c1 - c0);
    fprintf(stderr, "    %" PRIu64 " lines, %" PRIu64 " bytes (%.1f B/line), %" PRIu64 " FS_DENY\n",
            lines, bytes, wr->bytes, deny);

    char mac_key[PATH_MAX], pub_key[PATH_MAX];
    path_join(mac_key, sizeof(mac_key), lp.keys, "mac.key");
    path_join(pub_key, sizeof(pub_key), lp.keys, "signing.pub");
    for (int mode = 0; mode < 2; mode++) {
        row *r = new_row("wd_audit_verify (log in the page cache)",
                         mode == 0 ? "MAC key only (mac.key)" : "public key only (signing.pub)");
        r->bytes = (double)bytes / (double)lines;
        wd_audit_verify_options vo = WD_AUDIT_VERIFY_OPTIONS_INIT;
        if (mode == 0)
            vo.mac_key_path = mac_key;
        else
            vo.pubkey_path = pub_key;
        uint64_t best = UINT64_MAX, best_cpu = 0;
        wd_audit_verify_result res;
        for (int p = 0; p < passes; p++) {
            uint64_t vc0 = cpu_ns(), vt0 = now_ns();
            check_wd(wd_audit_verify(lp.log, &vo, &res), "wd_audit_verify");
            uint64_t vt = now_ns() - vt0, vc = cpu_ns() - vc0;
            if (res.problem != WD_AUDIT_OK)
                die("wd_audit_verify: the log is not intact: %s", res.message);
            if (res.records != lines)
                die("wd_audit_verify read %" PRIu64 " records, the log has %" PRIu64 " lines",
                    res.records, lines);
            if (mode == 0 ? (uint64_t)res.macs_checked != lines
                          : (uint64_t)res.signatures_checked != res.checkpoints || !res.checkpoints)
                die("wd_audit_verify checked %d MACs and %d of %" PRIu64 " signatures",
                    res.macs_checked, res.signatures_checked, res.checkpoints);
            if (vt < best) {
                best = vt;
                best_cpu = vc;
            }
        }
        finish_row(r, lines, best, best_cpu);
        fprintf(stderr, "    %s (best of %d)\n", res.message, passes);
    }

    row *r = new_row("wd_audit_query_run (log in the page cache)", "type = FS_DENY, scanned");
    r->bytes = (double)bytes / (double)lines;
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    q.type = "FS_DENY";
    uint64_t best = UINT64_MAX, best_cpu = 0;
    for (int p = 0; p < passes; p++) {
        query_ctx qc = {0};
        uint64_t qc0 = cpu_ns(), qt0 = now_ns();
        check_wd(wd_audit_query_run(lp.log, &q, count_match, &qc), "wd_audit_query_run");
        uint64_t qt = now_ns() - qt0, qcpu = cpu_ns() - qc0;
        if (qc.matched != deny)
            die("wd_audit_query_run matched %" PRIu64 " FS_DENY records, %" PRIu64 " were written",
                qc.matched, deny);
        if (qt < best) {
            best = qt;
            best_cpu = qcpu;
        }
    }
    finish_row(r, lines, best, best_cpu);
    fprintf(stderr, "    %" PRIu64 " of %" PRIu64 " records matched (best of %d)\n", deny, lines,
            passes);
    remove_tree(lp.dir, false);
}

/* ---- targets --------------------------------------------------------------------------------- */

static const row *find_row(const char *section_prefix, const char *what)
{
    for (size_t i = 0; i < g_nrows; i++)
        if (!strncmp(g_rows[i].section, section_prefix, strlen(section_prefix)) &&
            !strcmp(g_rows[i].what, what) && g_rows[i].threads == 1)
            return &g_rows[i];
    return NULL;
}

static const char *verdict(const row *r, double target)
{
    return !r ? "not measured" : r->ops_per_s >= target ? "met" : "MISSED";
}

/* " (N/s; N per CPU-second)": the second rate is what the work costs on a core of its own. */
static void print_rates(const row *r)
{
    if (r)
        printf(" (%.0f/s; %.0f per CPU-second)", r->ops_per_s,
               r->cpu_us_per_op > 0 ? 1e6 / r->cpu_us_per_op : 0.0);
}

static void print_targets(void)
{
    const row *none = find_row("append, durability none", "append");
    const row *none_many = find_row("append, durability none", "append_many x64");
    const row *mac = find_row("wd_audit_verify", "MAC key only (mac.key)");
    const row *batch_1024 = find_row("append, durability batch", BATCH_1024);
    /* The batch target is judged on the configurations a caller would use: 1, 16 and 64
     * threads, and append_many x256. x1024 is shown apart: it fills batch_records in one call,
     * so its fdatasync starts at once instead of after batch_ms. */
    const row *batch = NULL;
    for (size_t i = 0; i < g_nrows; i++)
        if (!strncmp(g_rows[i].section, "append, durability batch", 24) &&
            strcmp(g_rows[i].what, BATCH_1024) &&
            (!batch || g_rows[i].ops_per_s > batch->ops_per_s))
            batch = &g_rows[i];
    printf(
        "\ntargets (wall-clock rates; the CPU-second rate discounts time other processes took):\n");
    printf("  %-56s %s", ">= 500,000 appends/s, none, wd_audit_append, 1 thread",
           verdict(none, TARGET_NONE_PER_S));
    print_rates(none);
    printf("\n      (append_many x64: %s", verdict(none_many, TARGET_NONE_PER_S));
    print_rates(none_many);
    printf(")\n  %-56s %s", ">= 100,000 appends/s, batch 10 ms",
           verdict(batch, TARGET_BATCH_PER_S));
    if (batch)
        printf(" (best %.0f/s: %s, %u thread%s)", batch->ops_per_s, batch->what, batch->threads,
               batch->threads == 1 ? "" : "s");
    printf("\n      (judged on 1, 16, 64 threads and append_many x256");
    if (batch_1024)
        printf(";\n      append_many x1024 fills batch_records in one call, so its fdatasync "
               "starts at "
               "once: %s, %.0f/s",
               verdict(batch_1024, TARGET_BATCH_PER_S), batch_1024->ops_per_s);
    printf(")");
    printf("\n  %-56s %s", ">= 500,000 records/s, verify with the MAC key only",
           verdict(mac, TARGET_VERIFY_MAC_PER_S));
    print_rates(mac);
    printf("\n");
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fputs(
        "usage: bench_audit [--quick] [--seconds S] [--records N] [--dir DIR] [--pin CPU]\n"
        "                   [--only LIST]\n"
        "  --quick        a ~10 s smoke run: short runs, a 200000-record verify log\n"
        "  --seconds S    length of each append run (default 2; 0.5 with --quick)\n"
        "  --records N    records in the verify/query log (default 1000000)\n"
        "  --dir DIR      where to make the temporary directory (default /tmp)\n"
        "  --pin CPU      run single-thread measurements on CPU (multi-thread runs use every\n"
        "                 CPU the process may use)\n"
        "  --only LIST    run only these parts: crypto (and storage), none, batch, always, verify\n"
        "                 (comma-separated; for profiling)\n",
        f);
}

enum {
    ONLY_CRYPTO = 1,
    ONLY_NONE = 2,
    ONLY_BATCH = 4,
    ONLY_ALWAYS = 8,
    ONLY_VERIFY = 16,
    ONLY_ALL = 31
};

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end || errno)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    bench_set_name("bench_audit");
    double crypto_secs = FULL_CRYPTO_SECS, append_secs = FULL_APPEND_SECS;
    uint64_t nrecords = FULL_VERIFY_RECORDS;
    int passes = FULL_PASSES, pin = -1;
    bool quick = false, secs_given = false, records_given = false;
    const char *parent = "/tmp";
    unsigned only = ONLY_ALL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--quick")) {
            quick = true;
        } else if (!strcmp(arg, "--seconds") && i + 1 < argc) {
            char *end;
            append_secs = strtod(argv[++i], &end);
            if (*end || !(append_secs >= 0.05 && append_secs <= 600))
                die("--seconds wants a number from 0.05 to 600, not %s", argv[i]);
            secs_given = true;
        } else if (!strcmp(arg, "--records") && i + 1 < argc) {
            if (!parse_u64(argv[++i], &nrecords) || nrecords < 1000 || nrecords > 100000000)
                die("--records wants a number from 1000 to 100000000, not %s", argv[i]);
            records_given = true;
        } else if (!strcmp(arg, "--dir") && i + 1 < argc) {
            parent = argv[++i];
        } else if (!strcmp(arg, "--pin") && i + 1 < argc) {
            uint64_t v;
            if (!parse_u64(argv[++i], &v) || v >= CPU_SETSIZE)
                die("--pin wants a CPU number, not %s", argv[i]);
            pin = (int)v;
        } else if (!strcmp(arg, "--only") && i + 1 < argc) {
            only = bench_parse_only(
                argv[++i], (const char *const[]){"crypto", "none", "batch", "always", "verify"}, 5);
        } else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (quick) {
        crypto_secs = QUICK_CRYPTO_SECS;
        passes = QUICK_PASSES;
        if (!secs_given)
            append_secs = QUICK_APPEND_SECS;
        if (!records_given)
            nrecords = QUICK_VERIFY_RECORDS;
    }
    int ncpus = allowed_cpus();
    if (pin >= 0)
        pin_main_thread(pin);

    path_join(bench_root, sizeof(bench_root), parent, "bench_audit.XXXXXX");
    if (!mkdtemp(bench_root)) {
        int e = errno;
        bench_root[0] = '\0';
        die("mkdtemp in %s failed: %s", parent, strerror(e));
    }

    printf("bench_audit: warden %s, %s, %d CPU%s allowed, load average %.2f; single-thread "
           "runs %s\n",
           WD_VERSION_STRING, OpenSSL_version(OPENSSL_VERSION), ncpus, ncpus == 1 ? "" : "s",
           load_average(), pin >= 0 ? "pinned to one CPU (--pin)" : "not pinned");
    printf("logs in %s; append runs %.2f s each; events ~300 B on disk (FS_READ/FS_DENY, "
           "8-hex request id, component \"fs\", details {\"fd\":NN}); checkpoint every %d\n",
           bench_root, append_secs, CHECKPOINT_EVERY);
    fflush(stdout);

    if (only & ONLY_CRYPTO) {
        bench_crypto(crypto_secs);
        bench_fdatasync(crypto_secs);
    }

    event_pool *pool = make_pool(false), *uuid_pool = make_pool(true);
    static const char none_s[] = "append, durability none (exclusive = 1 unless said)";
    static const char batch_s[] = "append, durability batch (10 ms / 1024 records)";
    static const char always_s[] = "append, durability always (fdatasync per append)";
    const append_spec specs[] = {
        {ONLY_NONE, none_s, "append", WD_DURABILITY_NONE, 1, 1, 1, false},
        {ONLY_NONE, none_s, "append_many x64", WD_DURABILITY_NONE, 1, 1, 64, false},
        {ONLY_NONE, none_s, "append, exclusive = 0 (flock per append)", WD_DURABILITY_NONE, 0, 1, 1,
         false},
        {ONLY_NONE, none_s, "append, correlation_id NULL (fresh UUIDv4)", WD_DURABILITY_NONE, 1, 1,
         1, true},
        {ONLY_BATCH, batch_s, "append", WD_DURABILITY_BATCH, 1, 1, 1, false},
        {ONLY_BATCH, batch_s, "append", WD_DURABILITY_BATCH, 1, 16, 1, false},
        {ONLY_BATCH, batch_s, "append", WD_DURABILITY_BATCH, 1, 64, 1, false},
        {ONLY_BATCH, batch_s, "append_many x256", WD_DURABILITY_BATCH, 1, 1, 256, false},
        {ONLY_BATCH, batch_s, "append_many x1024 (= batch_records)", WD_DURABILITY_BATCH, 1, 1,
         1024, false},
        {ONLY_ALWAYS, always_s, "append", WD_DURABILITY_ALWAYS, 1, 1, 1, false},
        {ONLY_ALWAYS, always_s, "append", WD_DURABILITY_ALWAYS, 1, 16, 1, false},
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        if (!(only & specs[i].group))
            continue;
        fprintf(stderr, "bench_audit: %s: %s, %u thread%s ...\n", specs[i].section, specs[i].what,
                specs[i].threads, specs[i].threads == 1 ? "" : "s");
        run_append(&specs[i], specs[i].fresh_uuid ? uuid_pool : pool, append_secs);
    }

    if (only & ONLY_VERIFY)
        bench_verify_query(pool, nrecords, passes);
    free(pool);
    free(uuid_pool);

    print_table();
    print_targets();
    printf("load average at the end: %.2f\n", load_average());
    remove_tree(bench_root, false);
    bench_root[0] = '\0';
    if (fflush(stdout) != 0 || ferror(stdout))
        die("cannot write to stdout");
    return 0;
}
