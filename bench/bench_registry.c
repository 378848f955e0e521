/* bench_registry.c: how fast warden loads and verifies a directory of plugin contracts, resolves
 * plugins from a registry, and hands out compiled policies from its policy cache.
 *
 * In a fresh temporary directory (mkdtemp under /tmp, or --dir; removed at the end, also when
 * something fails) this program writes two sets of 1,000 contracts, 10 plugin ids x 100 versions
 * (90 releases and 10 pre-releases per id), one directory each with a contract.yaml (~680 bytes:
 * config schema, config, a 3-rule inline policy, tags) and its library:
 *   - "rand": 16 KiB of pseudo-random bytes per contract (hashed, never loaded);
 *   - "elf":  a copy of tests/data/elf/libmem.so, a real shared object, so the import gate runs.
 * Then it measures, into one table:
 *   1. wd_registry_discover() over each set (median of 3 runs, a fresh registry each): plain,
 *      with deny_imports (elf set), and with a trust directory and review_required after every
 *      contract was signed with wd_contract_sign(). Each run must load exactly 1,000 contracts.
 *      Then every step of discovery alone, per contract: wd_contract_load, wd_contract_sign,
 *      wd_contract_open_library (the hash), wd_contract_verify_signature, wd_contract_imports.
 *   2. wd_registry_resolve (exact version) + wd_registry_latest on the 1,000-contract registry
 *      from 1, 2, 4 and 8 threads sharing it (behind its read-write lock), resolve and latest
 *      alone, and one registry per thread for comparison.
 *   3. The policy cache: a hit for a ~2 KB and a ~50 KB policy (a hit hashes the whole text), a
 *      miss (compile + insert), the hash and hasher set-up alone, 2 and 8 threads hitting one
 *      entry, and hits spread round robin over 1,000 cached entries.
 * --only discovery,registry,cache runs some parts (for a profiler).
 * One table goes to stdout, progress and details to stderr. bench/README.md explains the output. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_util.h"
#include "crypto/crypto.h"
#include "warden/contract.h"
#include "warden/error.h"
#include "warden/policy.h"
#include "warden/registry.h"

#define N_IDS 10
#define N_VERSIONS 100 /* per id: 90 releases, then N_PRERELEASES pre-releases of 2.0.0 */
#define N_PRERELEASES 10
#define N_CONTRACTS (N_IDS * N_VERSIONS)
#define RAND_LIB_BYTES (16 * 1024)
#define LIB_NAME "libplugin.so"

#define FULL_SECS 1.0 /* each timed loop */
#define FULL_RUNS 3   /* discovery: median of */
#define QUICK_SECS 0.2
#define QUICK_RUNS 1

#define MAX_THREADS 8
#define BATCH 64 /* operations between two looks at the clock */
#define SMALL_POLICY_BYTES 2048
#define LARGE_POLICY_BYTES (50 * 1024)
#define CACHE_CAPACITY 16
#define MISS_NAMES 64     /* display names cycled through on misses: more than the capacity */
#define MANY_ENTRIES 1000 /* the round-robin row: this many distinct cached policies */
#define MIN_MISSES 20
#define MAX_ROWS 48

/* ---- small utilities ------------------------------------------------------------------------- */

/* Dies with libwarden's last error when rc is not WD_OK. */
static void check_wd(int rc, const char *what)
{
    if (rc != WD_OK)
        die("%s failed: %s: %s %s", what, wd_strerror(rc), wd_error_last()->id,
            wd_error_last()->message);
}

/* Creates path (it must not exist) holding exactly data. */
static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        die("cannot create %s: %s", path, strerror(errno));
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            die("cannot write %s: %s", path, strerror(e));
        }
        p += n;
        len -= (size_t)n;
    }
    if (close(fd) != 0)
        die("cannot write %s: %s", path, strerror(errno));
}

/* The whole file, malloc'd; *len receives its size. */
static unsigned char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 || st.st_size > (64 << 20)) {
        close(fd);
        die("%s is not a regular file of at most 64 MiB", path);
    }
    size_t size = (size_t)st.st_size, got = 0;
    unsigned char *data = xmalloc(size);
    while (got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            free(data);
            close(fd);
            die("cannot read %s: %s", path, strerror(e));
        }
        got += (size_t)n;
    }
    if (close(fd) != 0) {
        free(data);
        die("cannot close %s: %s", path, strerror(errno));
    }
    *len = size;
    return data;
}

static void hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ---- the table ------------------------------------------------------------------------------- */

typedef struct {
    const char *section; /* printed as a heading when it changes */
    char what[64];
    unsigned threads;
    uint64_t ops;
    uint64_t wall_ns;      /* of the whole row (discovery: of the median run) */
    uint64_t cpu_ns;       /* process CPU time over the same span */
    double p50_ns, p99_ns; /* per call; < 0: not measured */
    char note[48];
} row;

static row g_rows[MAX_ROWS];
static size_t g_nrows;

static row *new_row(const char *section, const char *what, unsigned threads)
{
    if (g_nrows == MAX_ROWS)
        die("internal: too many rows");
    row *r = &g_rows[g_nrows++];
    memset(r, 0, sizeof(*r));
    r->section = section;
    snprintf(r->what, sizeof(r->what), "%s", what);
    r->threads = threads;
    r->p50_ns = r->p99_ns = -1;
    return r;
}

static double row_rate(const row *r)
{
    return r->wall_ns ? (double)r->ops * 1e9 / (double)r->wall_ns : 0;
}

/* Wall time a thread spends on one operation. */
static double row_per_op(const row *r)
{
    return r->ops ? (double)r->wall_ns * r->threads / (double)r->ops : 0;
}

static void finish_row(row *r, uint64_t ops, uint64_t wall_ns, uint64_t cpu_used_ns)
{
    r->ops = ops;
    r->wall_ns = wall_ns;
    r->cpu_ns = cpu_used_ns;
    char per[16];
    bench_fmt_duration(per, sizeof(per), row_per_op(r));
    fprintf(stderr, "  %-50s %u thr %12.0f ops/s %10s/op (%" PRIu64 " ops in %.3f s, cpu %.0f%%)\n",
            r->what, r->threads, row_rate(r), per, ops, (double)wall_ns / 1e9,
            wall_ns ? 100.0 * (double)cpu_used_ns / (double)wall_ns : 0.0);
}

static void print_table(void)
{
    printf("\n%-52s %3s %11s %11s %9s %9s %9s %5s %8s  %s\n", "measurement", "thr", "ops/s",
           "ops/s/thr", "per_op", "p50", "p99", "cpu%", "wall_s", "note");
    const char *section = NULL;
    for (size_t i = 0; i < g_nrows; i++) {
        const row *r = &g_rows[i];
        if (!section || strcmp(section, r->section)) {
            section = r->section;
            printf("%s\n", section);
        }
        char per[16], p50[16], p99[16];
        bench_fmt_duration(per, sizeof(per), row_per_op(r));
        bench_fmt_duration(p50, sizeof(p50), r->p50_ns);
        bench_fmt_duration(p99, sizeof(p99), r->p99_ns);
        double cpu = r->wall_ns ? 100.0 * (double)r->cpu_ns / (double)r->wall_ns : 0;
        printf("  %-50s %3u %11.0f %11.0f %9s %9s %9s %5.0f %8.3f  %s\n", r->what, r->threads,
               row_rate(r), row_rate(r) / r->threads, per, p50, p99, cpu, (double)r->wall_ns / 1e9,
               r->note);
    }
}

/* ---- the contract sets ----------------------------------------------------------------------- */

static char g_ids[N_IDS][32];
static char g_versions[N_VERSIONS][32];
#define LATEST_RELEASE_INDEX (N_VERSIONS - N_PRERELEASES - 1)

static void init_names(void)
{
    for (unsigned i = 0; i < N_IDS; i++)
        snprintf(g_ids[i], sizeof(g_ids[i]), "acme.bench.plugin%u", i);
    for (unsigned k = 0; k < N_VERSIONS; k++) {
        if (k <= LATEST_RELEASE_INDEX)
            snprintf(g_versions[k], sizeof(g_versions[k]), "1.%u.%u", k / 10, k % 10);
        else
            snprintf(g_versions[k], sizeof(g_versions[k]), "2.0.0-rc.%u", k - LATEST_RELEASE_INDEX);
    }
}

/* Contract i is id i % N_IDS at version i / N_IDS: directory (name) order differs from registry
 * order, so registering is not a plain append. */
static size_t contract_yaml(char *out, size_t size, unsigned i, const uint8_t sha256[32])
{
    char hex[65];
    hex_encode(sha256, 32, hex);
    int n = snprintf(out, size,
                     "name: %s\n"
                     "type: effect\n"
                     "version: %s\n"
                     "library: " LIB_NAME "\n"
                     "sha256: %s\n"
                     "abi: %d\n"
                     "security:\n"
                     "  level: OFFICIAL\n"
                     "  allow_downgrade: false\n"
                     "config_schema:\n"
                     "  type: object\n"
                     "  properties:\n"
                     "    root:\n"
                     "      type: string\n"
                     "    retries:\n"
                     "      type: integer\n"
                     "  required: [root]\n"
                     "  additionalProperties: false\n"
                     "config:\n"
                     "  root: /data/p%04u\n"
                     "  retries: 3\n"
                     "policy:\n"
                     "  version: \"1.0\"\n"
                     "  permissions:\n"
                     "    storage:\n"
                     "      allow:\n"
                     "      - uri: fs://workspace/**\n"
                     "        access: [read, write]\n"
                     "    network:\n"
                     "      allow:\n"
                     "      - host: \"api.example.com\"\n"
                     "        ports: [443]\n"
                     "    environment:\n"
                     "      allow:\n"
                     "      - key: HOME\n"
                     "tags: [bench, files]\n",
                     g_ids[i % N_IDS], g_versions[i / N_IDS], hex, WD_PLUGIN_ABI_VERSION, i);
    if (n < 0 || (size_t)n >= size)
        die("internal: contract %u does not fit in %zu bytes", i, size);
    return (size_t)n;
}

/* root/<set>/pNNNN/{contract.yaml, libplugin.so} for every contract; lib NULL: 16 KiB of
 * pseudo-random bytes each, else a copy of lib. Returns the average contract.yaml size. */
static size_t make_set(char *set_dir, size_t size, const char *name, const unsigned char *lib,
                       size_t lib_len)
{
    path_join(set_dir, size, bench_root, name);
    make_dir(set_dir);
    wd_hasher *h = NULL;
    check_wd(wd_hasher_new(&h), "wd_hasher_new");
    uint64_t seed = 0x5EEDBA5E2024ull;
    unsigned char *rand_lib = xmalloc(RAND_LIB_BYTES);
    uint8_t lib_sha[32];
    if (lib)
        check_wd(wd_sha256(h, lib, lib_len, lib_sha), "wd_sha256");
    size_t yaml_total = 0;
    for (unsigned i = 0; i < N_CONTRACTS; i++) {
        char dir[PATH_MAX], path[PATH_MAX], sub[16], yaml[2048];
        snprintf(sub, sizeof(sub), "p%04u", i);
        path_join(dir, sizeof(dir), set_dir, sub);
        make_dir(dir);
        const unsigned char *bytes = lib;
        size_t len = lib_len;
        uint8_t sha[32];
        if (!lib) {
            for (size_t k = 0; k < RAND_LIB_BYTES; k += 8) {
                uint64_t x = xorshift64s(&seed);
                memcpy(rand_lib + k, &x, 8);
            }
            bytes = rand_lib;
            len = RAND_LIB_BYTES;
            check_wd(wd_sha256(h, bytes, len, sha), "wd_sha256");
        } else {
            memcpy(sha, lib_sha, sizeof(sha));
        }
        path_join(path, sizeof(path), dir, LIB_NAME);
        write_file(path, bytes, len);
        size_t yl = contract_yaml(yaml, sizeof(yaml), i, sha);
        path_join(path, sizeof(path), dir, "contract.yaml");
        write_file(path, yaml, yl);
        yaml_total += yl;
    }
    free(rand_lib);
    wd_hasher_free(h);
    return yaml_total / N_CONTRACTS;
}

static void contract_path(char *out, size_t size, const char *set_dir, unsigned i)
{
    char sub[32];
    snprintf(sub, sizeof(sub), "p%04u/contract.yaml", i);
    path_join(out, size, set_dir, sub);
}

/* ---- 1. discovery ---------------------------------------------------------------------------- */

static const char *const g_allowlist[] = {"acme"};
static const char *const g_deny[] = {"system", "execve", "fork", "ptrace", "dlopen", NULL};

static wd_registry *new_registry(void)
{
    wd_registry_options ro = WD_REGISTRY_OPTIONS_INIT;
    ro.allowlist = g_allowlist;
    ro.allowlist_len = 1;
    wd_registry *reg = NULL;
    check_wd(wd_registry_new(&reg, &ro, NULL), "wd_registry_new");
    return reg;
}

/* One discovery into a fresh registry, which must take every contract. */
static wd_registry *discover_once(const char *root, const wd_discover_options *o, uint64_t *wall,
                                  uint64_t *cpu, size_t *refused_out)
{
    wd_registry *reg = new_registry();
    wd_load_report *rep = NULL;
    uint64_t c0 = cpu_ns(), t0 = now_ns();
    int rc = wd_registry_discover(reg, root, o, &rep);
    uint64_t t1 = now_ns(), c1 = cpu_ns();
    if (rc != WD_OK) {
        wd_registry_free(reg);
        check_wd(rc, "wd_registry_discover");
    }
    size_t entries = wd_load_report_count(rep), refused = wd_load_report_refused(rep);
    size_t registered = wd_registry_count(reg);
    if (entries != N_CONTRACTS || refused != 0 || registered != N_CONTRACTS) {
        size_t shown = 0;
        for (size_t i = 0; i < entries && shown < 5; i++) {
            const wd_load_entry *e = wd_load_report_get(rep, i);
            if (e && !e->loaded) {
                fprintf(stderr, "bench_registry: refused %s: %s %s\n", e->path, e->id, e->message);
                shown++;
            }
        }
        wd_load_report_free(rep);
        wd_registry_free(reg);
        die("discovery of %s: %zu report entries, %zu refused, %zu registered; expected %d, 0 and "
            "%d",
            root, entries, refused, registered, N_CONTRACTS, N_CONTRACTS);
    }
    wd_load_report_free(rep);
    *wall = t1 - t0;
    *cpu = c1 - c0;
    *refused_out = refused;
    return reg;
}

/* A row of `runs` discoveries, each into a fresh registry: the median wall time. */
static void bench_discover(const char *section, const char *what, const char *root,
                           const wd_discover_options *o, int runs)
{
    fprintf(stderr, "bench_registry: discovery: %s ...\n", what);
    uint64_t wall[FULL_RUNS], cpu[FULL_RUNS];
    size_t refused = 0;
    for (int i = 0; i < runs; i++) {
        wd_registry *reg = discover_once(root, o, &wall[i], &cpu[i], &refused);
        fprintf(stderr, "    run %d: %.3f s, %d loaded, %zu refused\n", i + 1,
                (double)wall[i] / 1e9, N_CONTRACTS, refused);
        wd_registry_free(reg);
    }
    int order[FULL_RUNS];
    for (int i = 0; i < runs; i++)
        order[i] = i;
    for (int i = 1; i < runs; i++) /* insertion sort of at most FULL_RUNS indices */
        for (int j = i; j > 0 && wall[order[j - 1]] > wall[order[j]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    int med = order[runs / 2];
    row *r = new_row(section, what, 1);
    snprintf(r->note, sizeof(r->note), "%d loaded, %zu refused (median of %d)", N_CONTRACTS,
             refused, runs);
    finish_row(r, N_CONTRACTS, wall[med], cpu[med]);
}

/* Loads every contract of a set (each load timed: a row when section is not NULL). */
static wd_contract **load_all(const char *section, const char *what, const char *set_dir)
{
    wd_contract **cs = xcalloc(N_CONTRACTS, sizeof(*cs));
    samples s = {0};
    uint64_t c0 = cpu_ns(), sum = 0;
    for (unsigned i = 0; i < N_CONTRACTS; i++) {
        char path[PATH_MAX];
        contract_path(path, sizeof(path), set_dir, i);
        wd_contract_options co = WD_CONTRACT_OPTIONS_INIT;
        uint64_t t0 = now_ns();
        int rc = wd_contract_load(&cs[i], path, &co);
        uint64_t t = now_ns() - t0;
        check_wd(rc, "wd_contract_load");
        samples_push(&s, t);
        sum += t;
    }
    uint64_t c1 = cpu_ns();
    if (section) {
        row *r = new_row(section, what, 1);
        qsort(s.v, s.n, sizeof(*s.v), bench_cmp_u32);
        r->p50_ns = bench_quantile(s.v, s.n, 0.50);
        r->p99_ns = bench_quantile(s.v, s.n, 0.99);
        snprintf(r->note, sizeof(r->note), "each call timed alone");
        finish_row(r, N_CONTRACTS, sum, c1 - c0);
    }
    samples_free(&s);
    return cs;
}

static void free_all(wd_contract **cs)
{
    for (unsigned i = 0; i < N_CONTRACTS; i++)
        wd_contract_free(cs[i]);
    free(cs);
}

enum { STEP_OPEN, STEP_VERIFY_SIG, STEP_IMPORTS, STEP_SIGN };

typedef struct {
    const char *trust_dir, *key_path;
} step_args;

/* One step of discovery alone, on every contract, each call timed: a row. */
static void bench_step(const char *section, const char *what, wd_contract **cs, int step,
                       const step_args *a)
{
    samples s = {0};
    uint64_t c0 = cpu_ns(), sum = 0;
    for (unsigned i = 0; i < N_CONTRACTS; i++) {
        int fd = -1, rc;
        char *list = NULL;
        uint64_t t0 = now_ns();
        switch (step) {
        case STEP_OPEN:
            rc = wd_contract_open_library(cs[i], &fd);
            break;
        case STEP_VERIFY_SIG:
            rc = wd_contract_verify_signature(cs[i], a->trust_dir, NULL);
            break;
        case STEP_IMPORTS:
            rc = wd_contract_imports(cs[i], g_deny, &list);
            break;
        default:
            rc = wd_contract_sign(cs[i], a->key_path);
            break;
        }
        uint64_t t = now_ns() - t0;
        if (fd >= 0 && close(fd) != 0)
            die("close failed: %s", strerror(errno));
        free(list);
        check_wd(rc, what);
        samples_push(&s, t);
        sum += t;
    }
    uint64_t c1 = cpu_ns();
    row *r = new_row(section, what, 1);
    qsort(s.v, s.n, sizeof(*s.v), bench_cmp_u32);
    r->p50_ns = bench_quantile(s.v, s.n, 0.50);
    r->p99_ns = bench_quantile(s.v, s.n, 0.99);
    snprintf(r->note, sizeof(r->note), "each call timed alone");
    finish_row(r, N_CONTRACTS, sum, c1 - c0);
    samples_free(&s);
}

/* ---- timed loops on threads ------------------------------------------------------------------ */

typedef struct worker worker;
/* Runs BATCH operations; 0, or an error described in w->err. */
typedef int (*batch_fn)(worker *w);

struct worker {
    _Alignas(64) batch_fn fn; /* a cache line each: no false sharing between the counters */
    void *ctx;
    unsigned mode;
    uint64_t rng;
    uint64_t deadline;
    pthread_barrier_t *start;
    uint64_t ops, sink, t0, t1;
    char err[200];
};

static bool clock_ok(uint64_t *out)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return false;
    *out = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return true;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    int b = pthread_barrier_wait(w->start);
    if (b != 0 && b != PTHREAD_BARRIER_SERIAL_THREAD) {
        snprintf(w->err, sizeof(w->err), "pthread_barrier_wait failed");
        return NULL;
    }
    uint64_t t = 0;
    if (!clock_ok(&w->t0)) {
        snprintf(w->err, sizeof(w->err), "clock_gettime failed");
        return NULL;
    }
    do {
        if (w->fn(w) != 0)
            return NULL;
        if (!clock_ok(&t)) {
            snprintf(w->err, sizeof(w->err), "clock_gettime failed");
            return NULL;
        }
    } while (t < w->deadline);
    w->t1 = t;
    return NULL;
}

static worker *new_workers(unsigned n, batch_fn fn, unsigned mode)
{
    size_t bytes = n * sizeof(worker); /* a multiple of 64: the struct is 64-aligned */
    worker *w = aligned_alloc(64, bytes);
    if (!w)
        die("out of memory (%zu bytes of workers)", bytes);
    memset(w, 0, bytes);
    for (unsigned i = 0; i < n; i++) {
        w[i].fn = fn;
        w[i].mode = mode;
        w[i].rng = 0x9E3779B97F4A7C15ull * (i + 1);
    }
    return w;
}

/* Runs the n workers (their ctx set) for secs, all starting together; fills the row. */
static void run_workers(row *r, worker *w, unsigned n, double secs)
{
    pthread_t tid[MAX_THREADS];
    pthread_barrier_t start;
    if (n < 1 || n > MAX_THREADS)
        die("internal: %u threads", n);
    if (pthread_barrier_init(&start, NULL, n + 1) != 0)
        die("pthread_barrier_init failed");
    for (unsigned i = 0; i < n; i++) {
        w[i].start = &start;
        int rc = pthread_create(&tid[i], NULL, worker_main, &w[i]);
        if (rc != 0)
            die("pthread_create failed: %s", strerror(rc));
    }
    uint64_t c0 = cpu_ns();
    uint64_t deadline = now_ns() + (uint64_t)(secs * 1e9);
    for (unsigned i = 0; i < n; i++)
        w[i].deadline = deadline;
    int b = pthread_barrier_wait(&start); /* publishes the deadline */
    if (b != 0 && b != PTHREAD_BARRIER_SERIAL_THREAD)
        die("pthread_barrier_wait failed");
    for (unsigned i = 0; i < n; i++) {
        int rc = pthread_join(tid[i], NULL);
        if (rc != 0)
            die("pthread_join failed: %s", strerror(rc));
    }
    uint64_t c1 = cpu_ns();
    if (pthread_barrier_destroy(&start) != 0)
        die("pthread_barrier_destroy failed");
    uint64_t ops = 0, first = UINT64_MAX, last = 0;
    for (unsigned i = 0; i < n; i++) {
        if (w[i].err[0])
            die("%s, thread %u: %s", r->what, i, w[i].err);
        ops += w[i].ops;
        if (w[i].t0 < first)
            first = w[i].t0;
        if (w[i].t1 > last)
            last = w[i].t1;
    }
    finish_row(r, ops, last > first ? last - first : 1, c1 - c0);
}

/* ---- 2. resolve ------------------------------------------------------------------------------ */

enum { MODE_RESOLVE = 1, MODE_LATEST = 2 };

static int sink_abi(const wd_contract *c, void *ctx)
{
    *(uint64_t *)ctx += wd_contract_abi(c);
    return 0;
}

static int batch_registry(worker *w)
{
    wd_registry *reg = w->ctx;
    uint64_t sink = 0, ops = 0;
    for (int i = 0; i < BATCH; i++) {
        uint64_t x = xorshift64s(&w->rng);
        const char *id = g_ids[x % N_IDS];
        if (w->mode & MODE_RESOLVE) {
            const char *version = g_versions[(x >> 20) % N_VERSIONS];
            int rc = wd_registry_resolve(reg, id, WD_PLUGIN_EFFECT, version, sink_abi, &sink);
            if (rc != WD_OK) {
                snprintf(w->err, sizeof(w->err), "wd_registry_resolve(%s, %s): %s: %s", id, version,
                         wd_strerror(rc), wd_error_last()->message);
                return rc;
            }
            ops++;
        }
        if (w->mode & MODE_LATEST) {
            int rc = wd_registry_latest(reg, id, WD_PLUGIN_EFFECT, 0, sink_abi, &sink);
            if (rc != WD_OK) {
                snprintf(w->err, sizeof(w->err), "wd_registry_latest(%s): %s: %s", id,
                         wd_strerror(rc), wd_error_last()->message);
                return rc;
            }
            ops++;
        }
    }
    w->ops += ops;
    w->sink += sink;
    return 0;
}

static int grab_version(const wd_contract *c, void *ctx)
{
    snprintf(ctx, 32, "%s", wd_contract_version(c));
    return 0;
}

/* Before any timing: every version resolves to itself, latest is the newest release. */
static void check_registry(wd_registry *reg)
{
    if (wd_registry_count(reg) != N_CONTRACTS)
        die("the registry holds %zu contracts, not %d", wd_registry_count(reg), N_CONTRACTS);
    char got[32];
    for (unsigned i = 0; i < N_IDS; i++) {
        for (unsigned k = 0; k < N_VERSIONS; k++) {
            check_wd(wd_registry_resolve(reg, g_ids[i], WD_PLUGIN_EFFECT, g_versions[k],
                                         grab_version, got),
                     "wd_registry_resolve");
            if (strcmp(got, g_versions[k]))
                die("resolving %s %s gave version %s", g_ids[i], g_versions[k], got);
        }
        check_wd(wd_registry_latest(reg, g_ids[i], WD_PLUGIN_EFFECT, 0, grab_version, got),
                 "wd_registry_latest");
        if (strcmp(got, g_versions[LATEST_RELEASE_INDEX]))
            die("latest of %s is %s, not %s", g_ids[i], got, g_versions[LATEST_RELEASE_INDEX]);
    }
}

static void bench_resolve(const char *section, const char *what, wd_registry **regs, unsigned n,
                          unsigned mode, double secs)
{
    fprintf(stderr, "bench_registry: registry: %s, %u thread%s ...\n", what, n, n == 1 ? "" : "s");
    worker *w = new_workers(n, batch_registry, mode);
    for (unsigned i = 0; i < n; i++)
        w[i].ctx = regs[i];
    row *r = new_row(section, what, n);
    run_workers(r, w, n, secs);
    free(w);
}

/* ---- 3. policy cache ------------------------------------------------------------------------- */

/* A Wassette v1 policy of about `target` bytes: 60% storage, 30% network, 10% environment. */
static size_t make_policy(sbuf *out, size_t target)
{
    sbuf fs = {0}, fs_deny = {0}, net = {0}, env = {0};
    size_t rules = 0;
    while (fs.len + fs_deny.len + net.len + env.len + 200 < target) {
        unsigned k = (unsigned)(rules % 10), team = (unsigned)(rules % 17),
                 app = (unsigned)(rules / 10);
        if (k < 5)
            sb_printf(&fs, "    - uri: \"fs:///srv/team%02u/app%03u/data/**\"\n      access: %s\n",
                      team, app, k % 2 ? "[read]" : "[read, write]");
        else if (k == 5)
            sb_printf(&fs_deny,
                      "    - uri: \"fs:///srv/team%02u/app%03u/data/secrets\"\n"
                      "      access: [read, write]\n",
                      team, app);
        else if (k < 9)
            sb_printf(&net, "    - host: \"svc%03u.team%02u.example.com\"\n      ports: [443]\n",
                      app * 3 + k - 6, team);
        else
            sb_printf(&env, "    - key: \"APP_TEAM%02u_SETTING_%03u\"\n", team, app);
        rules++;
    }
    sb_printf(out, "version: \"1.0\"\ndescription: \"bench_registry: %zu rules\"\npermissions:\n",
              rules);
    sb_printf(out, "  storage:\n    allow:\n%s", fs.data ? fs.data : "");
    if (fs_deny.len)
        sb_printf(out, "    deny:\n%s", fs_deny.data);
    if (net.len)
        sb_printf(out, "  network:\n    allow:\n%s", net.data);
    if (env.len)
        sb_printf(out, "  environment:\n    allow:\n%s", env.data);
    sb_free(&fs);
    sb_free(&fs_deny);
    sb_free(&net);
    sb_free(&env);
    return rules;
}

typedef struct {
    wd_policy_cache *cache;
    const char *text;
    size_t len;
    const wd_policy_options *opts;
    wd_hasher *hasher;       /* the hash-only reference (one thread) */
    const char (*names)[32]; /* MODE_HIT_RR: one display name per cached entry */
} cache_ctx;

enum { MODE_HIT = 1, MODE_HASH = 2, MODE_HASHER_NEW = 3, MODE_HIT_RR = 4 };

static int batch_cache(worker *w)
{
    const cache_ctx *cc = w->ctx;
    uint64_t sink = 0;
    for (int i = 0; i < BATCH; i++) {
        if (w->mode == MODE_HASH) {
            uint8_t out[WD_SHA256_LEN];
            int rc = wd_sha256(cc->hasher, cc->text, cc->len, out);
            if (rc != WD_OK) {
                snprintf(w->err, sizeof(w->err), "wd_sha256: %s", wd_strerror(rc));
                return rc;
            }
            sink += out[0];
        } else if (w->mode == MODE_HASHER_NEW) {
            wd_hasher *h = NULL;
            int rc = wd_hasher_new(&h);
            if (rc != WD_OK) {
                snprintf(w->err, sizeof(w->err), "wd_hasher_new: %s", wd_strerror(rc));
                return rc;
            }
            wd_hasher_free(h);
        } else {
            wd_policy *p = NULL;
            int hit = 0;
            wd_policy_options o = *cc->opts;
            if (w->mode == MODE_HIT_RR) /* the least recently used entry: a scan of them all */
                o.display_name = cc->names[w->rng++ % MANY_ENTRIES];
            int rc = wd_policy_cache_get(cc->cache, cc->text, cc->len, &o, &p, &hit);
            if (rc != WD_OK) {
                snprintf(w->err, sizeof(w->err), "wd_policy_cache_get: %s: %s", wd_strerror(rc),
                         wd_error_last()->message);
                return rc;
            }
            if (!hit || !p) {
                wd_policy_free(p);
                snprintf(w->err, sizeof(w->err), "a miss for a policy that is in the cache");
                return WD_ESTATE;
            }
            sink += wd_policy_rule_count(p);
            wd_policy_free(p);
        }
    }
    w->ops += BATCH;
    w->sink += sink;
    return 0;
}

static void bench_cache_loop(const char *section, const char *what, cache_ctx *cc, unsigned n,
                             unsigned mode, double secs, const char *note)
{
    fprintf(stderr, "bench_registry: policy cache: %s, %u thread%s ...\n", what, n,
            n == 1 ? "" : "s");
    worker *w = new_workers(n, batch_cache, mode);
    for (unsigned i = 0; i < n; i++)
        w[i].ctx = cc;
    row *r = new_row(section, what, n);
    snprintf(r->note, sizeof(r->note), "%s", note);
    run_workers(r, w, n, secs);
    free(w);
}

/* Misses: a display name from a cycle longer than the capacity, so every get compiles, inserts
 * and evicts the least recently used entry. Each call timed alone. */
static void bench_cache_miss(const char *section, const char *what, wd_policy_cache *cache,
                             const sbuf *text, double secs, const char *note)
{
    fprintf(stderr, "bench_registry: policy cache: %s ...\n", what);
    char names[MISS_NAMES][32];
    for (unsigned i = 0; i < MISS_NAMES; i++)
        snprintf(names[i], sizeof(names[i]), "miss-%02u.yaml", i);
    wd_policy_options o = WD_POLICY_OPTIONS_INIT;
    o.data_dir = "/data";
    samples s = {0};
    uint64_t c0 = cpu_ns(), start = now_ns(), sum = 0, deadline = start + (uint64_t)(secs * 1e9);
    for (unsigned i = 0; i < MIN_MISSES || now_ns() < deadline; i++) {
        o.display_name = names[i % MISS_NAMES];
        wd_policy *p = NULL;
        int hit = 1;
        uint64_t t0 = now_ns();
        int rc = wd_policy_cache_get(cache, text->data, text->len, &o, &p, &hit);
        uint64_t t = now_ns() - t0;
        check_wd(rc, "wd_policy_cache_get (miss)");
        wd_policy_free(p);
        if (hit)
            die("%s: a hit where every get should miss", what);
        samples_push(&s, t);
        sum += t;
    }
    uint64_t c1 = cpu_ns();
    row *r = new_row(section, what, 1);
    qsort(s.v, s.n, sizeof(*s.v), bench_cmp_u32);
    r->p50_ns = bench_quantile(s.v, s.n, 0.50);
    r->p99_ns = bench_quantile(s.v, s.n, 0.99);
    snprintf(r->note, sizeof(r->note), "%s", note);
    finish_row(r, s.n, sum, c1 - c0);
    samples_free(&s);
}

/* ---- the three parts ------------------------------------------------------------------------- */

/* Row names, also looked up by the summary. */
static const char S_DISC[] = "discovery: wd_registry_discover, 1,000 contracts, fresh registry";
static const char S_STEP[] = "discovery steps alone, per contract (1,000 calls)";
static const char W_RAND[] = "rand set (16 KiB libs), no gates";
static const char W_ELF[] = "elf set, no gates";
static const char W_DENY[] = "elf set, deny_imports (5 symbols)";
static const char W_SIG[] = "rand set, trust_dir + review_required (signed)";
static const char W_LOAD[] = "wd_contract_load (read, parse, validate, policy)";
static const char W_SIGN[] = "wd_contract_sign (setup: writes .sig, fsync)";
static const char W_OPEN16[] = "wd_contract_open_library, 16 KiB (SHA-256)";
static const char W_VSIG[] = "wd_contract_verify_signature (1 trusted key)";
static const char W_OPENELF[] = "wd_contract_open_library, elf (SHA-256)";
static const char W_IMPORTS[] = "wd_contract_imports, elf, deny list";

static const char S_REG[] = "registry: 1,000 contracts (10 ids x 100 versions), rwlock";
static const char W_RES[] = "resolve (exact version) only";
static const char W_LAT[] = "latest (skips 10 pre-releases) only";
static const char W_MIX[] = "resolve (exact) + latest, one shared registry";
static const char W_PRIV[] = "resolve + latest, a private registry per thread";

static const char S_CACHE[] = "policy cache (capacity 16): wd_policy_cache_get + wd_policy_free";
static const char W_HASH_S[] = "reference: wd_sha256 of the 2 KB text";
static const char W_HASH_L[] = "reference: wd_sha256 of the 50 KB text";
static const char W_HNEW[] = "reference: wd_hasher_new + wd_hasher_free";
static const char W_HIT_S[] = "hit, 2 KB policy";
static const char W_HIT_L[] = "hit, 50 KB policy";
static const char W_MISS_S[] = "miss (compile + insert + evict), 2 KB";
static const char W_MISS_L[] = "miss (compile + insert + evict), 50 KB";
static const char W_HIT_MT_S[] = "hit, 2 KB policy, all threads on one entry";
static const char W_HIT_MT_L[] = "hit, 50 KB policy, all threads on one entry";
static const char W_HIT_RR[] = "hit, 2 KB, round robin over 1,000 cached entries";

typedef struct {
    double secs;
    int runs;
    int ncpus;
    unsigned priv_threads; /* threads of the private-registry row: the CPU count, 2 to 8 */
    char rand_dir[PATH_MAX], elf_dir[PATH_MAX];
} config;

static void part_discovery(const config *cfg)
{
    wd_discover_options plain = WD_DISCOVER_OPTIONS_INIT;
    bench_discover(S_DISC, W_RAND, cfg->rand_dir, &plain, cfg->runs);
    bench_discover(S_DISC, W_ELF, cfg->elf_dir, &plain, cfg->runs);
    wd_discover_options deny = WD_DISCOVER_OPTIONS_INIT;
    deny.deny_imports = g_deny;
    bench_discover(S_DISC, W_DENY, cfg->elf_dir, &deny, cfg->runs);

    /* Reviewer keys in keys/, only the public key in the trust directory. */
    char keys_dir[PATH_MAX], trust_dir[PATH_MAX], key_path[PATH_MAX], pub_path[PATH_MAX],
        trusted_pub[PATH_MAX];
    path_join(keys_dir, sizeof(keys_dir), bench_root, "keys");
    path_join(trust_dir, sizeof(trust_dir), bench_root, "trust");
    check_wd(wd_review_keygen(keys_dir), "wd_review_keygen");
    path_join(key_path, sizeof(key_path), keys_dir, "reviewer.key");
    path_join(pub_path, sizeof(pub_path), keys_dir, "reviewer.pub");
    path_join(trusted_pub, sizeof(trusted_pub), trust_dir, "reviewer.pub");
    make_dir(trust_dir);
    size_t pub_len = 0;
    unsigned char *pub = read_file(pub_path, &pub_len);
    write_file(trusted_pub, pub, pub_len);
    free(pub);

    fprintf(stderr, "bench_registry: loading and signing the rand set ...\n");
    wd_contract **cs = load_all(S_STEP, W_LOAD, cfg->rand_dir);
    step_args sa = {trust_dir, key_path};
    bench_step(S_STEP, W_SIGN, cs, STEP_SIGN, &sa);

    wd_discover_options sig = WD_DISCOVER_OPTIONS_INIT;
    sig.trust_dir = trust_dir;
    sig.review_required = 1;
    bench_discover(S_DISC, W_SIG, cfg->rand_dir, &sig, cfg->runs);

    bench_step(S_STEP, W_OPEN16, cs, STEP_OPEN, &sa);
    bench_step(S_STEP, W_VSIG, cs, STEP_VERIFY_SIG, &sa);
    free_all(cs);
    cs = load_all(NULL, NULL, cfg->elf_dir);
    bench_step(S_STEP, W_OPENELF, cs, STEP_OPEN, &sa);
    bench_step(S_STEP, W_IMPORTS, cs, STEP_IMPORTS, &sa);
    free_all(cs);
}

static void part_registry(const config *cfg)
{
    wd_registry *regs[MAX_THREADS] = {NULL}, *shared[MAX_THREADS];
    wd_discover_options plain = WD_DISCOVER_OPTIONS_INIT;
    fprintf(stderr, "bench_registry: registry: %u registries of the rand set ...\n",
            cfg->priv_threads);
    for (unsigned i = 0; i < cfg->priv_threads; i++) {
        uint64_t wall, cpu;
        size_t refused;
        regs[i] = discover_once(cfg->rand_dir, &plain, &wall, &cpu, &refused);
        check_registry(regs[i]);
    }
    for (unsigned i = 0; i < MAX_THREADS; i++)
        shared[i] = regs[0];
    bench_resolve(S_REG, W_RES, shared, 1, MODE_RESOLVE, cfg->secs);
    bench_resolve(S_REG, W_LAT, shared, 1, MODE_LATEST, cfg->secs);
    static const unsigned thread_counts[] = {1, 2, 4, 8};
    for (size_t i = 0; i < sizeof(thread_counts) / sizeof(thread_counts[0]); i++)
        bench_resolve(S_REG, W_MIX, shared, thread_counts[i], MODE_RESOLVE | MODE_LATEST,
                      cfg->secs);
    bench_resolve(S_REG, W_PRIV, regs, cfg->priv_threads, MODE_RESOLVE | MODE_LATEST, cfg->secs);
    for (unsigned i = 0; i < cfg->priv_threads; i++)
        wd_registry_free(regs[i]);
}

/* Gets text twice from an empty entry: a miss with the right policy, then a hit. */
static void check_cache(const cache_ctx *cc, size_t rules)
{
    for (int j = 0; j < 2; j++) {
        wd_policy *p = NULL;
        int hit = -1;
        check_wd(wd_policy_cache_get(cc->cache, cc->text, cc->len, cc->opts, &p, &hit),
                 "wd_policy_cache_get");
        size_t got = wd_policy_rule_count(p);
        wd_policy_free(p);
        if (hit != j || got != rules)
            die("policy cache: get %d of the %zu-rule policy: hit %d, %zu rules", j + 1, rules, hit,
                got);
    }
}

static void part_cache(const config *cfg)
{
    double secs = cfg->secs;
    sbuf small = {0}, large = {0};
    size_t small_rules = make_policy(&small, SMALL_POLICY_BYTES);
    size_t large_rules = make_policy(&large, LARGE_POLICY_BYTES);
    char small_note[48], large_note[48];
    snprintf(small_note, sizeof(small_note), "%zu B text, %zu rules", small.len, small_rules);
    snprintf(large_note, sizeof(large_note), "%zu B text, %zu rules", large.len, large_rules);
    wd_policy_cache *cache = NULL;
    check_wd(wd_policy_cache_new(&cache, CACHE_CAPACITY), "wd_policy_cache_new");
    wd_policy_options po = WD_POLICY_OPTIONS_INIT;
    po.data_dir = "/data";
    po.display_name = "bench.yaml";
    wd_hasher *hasher = NULL;
    check_wd(wd_hasher_new(&hasher), "wd_hasher_new");
    cache_ctx cs_small = {cache, small.data, small.len, &po, hasher, NULL};
    cache_ctx cs_large = {cache, large.data, large.len, &po, hasher, NULL};
    check_cache(&cs_small, small_rules);
    check_cache(&cs_large, large_rules);

    bench_cache_loop(S_CACHE, W_HASH_S, &cs_small, 1, MODE_HASH, secs / 2, small_note);
    bench_cache_loop(S_CACHE, W_HASH_L, &cs_large, 1, MODE_HASH, secs / 2, large_note);
    bench_cache_loop(S_CACHE, W_HNEW, &cs_small, 1, MODE_HASHER_NEW, secs / 2,
                     "EVP_MD_fetch + EVP_MD_CTX_new");
    bench_cache_loop(S_CACHE, W_HIT_S, &cs_small, 1, MODE_HIT, secs, small_note);
    bench_cache_loop(S_CACHE, W_HIT_L, &cs_large, 1, MODE_HIT, secs, large_note);
    bench_cache_miss(S_CACHE, W_MISS_S, cache, &small, secs / 2, small_note);
    bench_cache_miss(S_CACHE, W_MISS_L, cache, &large, secs / 2, large_note);
    /* The misses evicted both: put them back (a miss, then a hit) for the multi-thread hits. */
    check_cache(&cs_small, small_rules);
    check_cache(&cs_large, large_rules);
    bench_cache_loop(S_CACHE, W_HIT_MT_S, &cs_small, 2, MODE_HIT, secs, small_note);
    bench_cache_loop(S_CACHE, W_HIT_MT_S, &cs_small, 8, MODE_HIT, secs, small_note);
    bench_cache_loop(S_CACHE, W_HIT_MT_L, &cs_large, 8, MODE_HIT, secs, large_note);
    wd_policy_cache_free(cache);

    /* Many components, each with its own policy: every hit finds its entry at the far end. */
    fprintf(stderr, "bench_registry: policy cache: filling %d entries ...\n", MANY_ENTRIES);
    static char names[MANY_ENTRIES][32];
    check_wd(wd_policy_cache_new(&cache, MANY_ENTRIES), "wd_policy_cache_new");
    cache_ctx cs_many = {cache, small.data, small.len, &po, hasher, names};
    for (unsigned i = 0; i < MANY_ENTRIES; i++) {
        snprintf(names[i], sizeof(names[i]), "component-%04u.yaml", i);
        wd_policy_options o = po;
        o.display_name = names[i];
        wd_policy *p = NULL;
        int hit = 1;
        check_wd(wd_policy_cache_get(cache, small.data, small.len, &o, &p, &hit),
                 "wd_policy_cache_get");
        wd_policy_free(p);
        if (hit)
            die("policy cache: a hit while filling it");
    }
    char many_note[48];
    snprintf(many_note, sizeof(many_note), "%d entries, %zu B text each", MANY_ENTRIES, small.len);
    bench_cache_loop(S_CACHE, W_HIT_RR, &cs_many, 1, MODE_HIT_RR, secs, many_note);
    wd_hasher_free(hasher);
    wd_policy_cache_free(cache);
    sb_free(&small);
    sb_free(&large);
}

/* ---- the summary ----------------------------------------------------------------------------- */

static const row *find_row(const char *what, unsigned threads)
{
    for (size_t i = 0; i < g_nrows; i++)
        if (!strcmp(g_rows[i].what, what) && g_rows[i].threads == threads)
            return &g_rows[i];
    return NULL;
}

/* Each line only when every row it needs was measured (--only). */
static void print_summary(const config *cfg)
{
    char a[16], b[16], c[16], d[16];
    printf("\nsummary:\n");
    const row *rand = find_row(W_RAND, 1), *load = find_row(W_LOAD, 1),
              *open16 = find_row(W_OPEN16, 1), *elf = find_row(W_ELF, 1),
              *deny = find_row(W_DENY, 1), *sig = find_row(W_SIG, 1);
    if (rand && load && open16) {
        double per = row_per_op(rand);
        bench_fmt_duration(a, sizeof(a), per);
        bench_fmt_duration(b, sizeof(b), load->p50_ns);
        bench_fmt_duration(c, sizeof(c), open16->p50_ns);
        printf("  discovery, no gates: %s per contract; wd_contract_load p50 %s (%.0f%%), "
               "wd_contract_open_library (hash) p50 %s (%.0f%%)\n",
               a, b, 100 * load->p50_ns / per, c, 100 * open16->p50_ns / per);
    }
    if (rand && elf && deny && sig) {
        bench_fmt_duration(a, sizeof(a), row_per_op(deny) - row_per_op(elf));
        bench_fmt_duration(b, sizeof(b), row_per_op(sig) - row_per_op(rand));
        printf("  deny_imports adds %s per contract; trust_dir + signatures add %s per contract\n",
               a, b);
    }
    const row *m1 = find_row(W_MIX, 1), *m2 = find_row(W_MIX, 2), *m4 = find_row(W_MIX, 4),
              *m8 = find_row(W_MIX, 8), *mp = find_row(W_PRIV, cfg->priv_threads);
    if (m1 && m2 && m4 && m8 && mp) {
        double one = row_rate(m1);
        printf("  shared registry, resolve + latest: 1 thread %.0f ops/s; 2 threads x%.2f, 4 "
               "x%.2f, 8 x%.2f; a private registry per thread (%u threads) x%.2f; %d CPU%s\n",
               one, row_rate(m2) / one, row_rate(m4) / one, row_rate(m8) / one, cfg->priv_threads,
               row_rate(mp) / one, cfg->ncpus, cfg->ncpus == 1 ? "" : "s");
    }
    const row *hs = find_row(W_HIT_S, 1), *hl = find_row(W_HIT_L, 1), *ms = find_row(W_MISS_S, 1),
              *ml = find_row(W_MISS_L, 1);
    if (hs && hl && ms && ml) {
        bench_fmt_duration(a, sizeof(a), row_per_op(hs));
        bench_fmt_duration(b, sizeof(b), ms->p50_ns);
        bench_fmt_duration(c, sizeof(c), row_per_op(hl));
        bench_fmt_duration(d, sizeof(d), ml->p50_ns);
        printf("  policy cache: 2 KB hit %s vs miss p50 %s (x%.0f); 50 KB hit %s vs miss p50 %s "
               "(x%.0f)\n",
               a, b, ms->p50_ns / row_per_op(hs), c, d, ml->p50_ns / row_per_op(hl));
    }
}

/* ---- main ------------------------------------------------------------------------------------ */

enum { ONLY_DISCOVERY = 1, ONLY_REGISTRY = 2, ONLY_CACHE = 4, ONLY_ALL = 7 };

static void usage(FILE *f)
{
    fputs("usage: bench_registry [--quick] [--seconds S] [--runs N] [--only LIST] [--dir DIR]\n"
          "                      [--elf PATH]\n"
          "  --quick       0.2 s loops, one discovery run per row (a smoke run)\n"
          "  --seconds S   length of each timed loop (default 1)\n"
          "  --runs N      discovery runs per row, the median is reported (1 to 3, default 3)\n"
          "  --only LIST   only some parts: discovery, registry, cache (comma-separated)\n"
          "  --dir DIR     where to make the temporary directory (default /tmp)\n"
          "  --elf PATH    the ELF shared object copied into the elf set\n"
          "                (default: tests/data/elf/libmem.so of this source tree)\n",
          f);
}

/* tests/data/elf/libmem.so of the source tree this file was compiled from. */
static void default_elf(char *out, size_t size)
{
    const char *file = __FILE__, *slash = strrchr(file, '/');
    int n = slash
                ? snprintf(out, size, "%.*s/../tests/data/elf/libmem.so", (int)(slash - file), file)
                : snprintf(out, size, "../tests/data/elf/libmem.so");
    if (n < 0 || (size_t)n >= size)
        die("internal: the source path is too long");
}

int main(int argc, char **argv)
{
    bench_set_name("bench_registry");
    static config cfg = {.secs = FULL_SECS, .runs = FULL_RUNS};
    bool quick = false, secs_given = false, runs_given = false;
    const char *parent = "/tmp";
    unsigned only = ONLY_ALL;
    char elf_path[PATH_MAX];
    default_elf(elf_path, sizeof(elf_path));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--quick")) {
            quick = true;
        } else if (!strcmp(arg, "--seconds") && i + 1 < argc) {
            char *end;
            cfg.secs = strtod(argv[++i], &end);
            if (*end || !(cfg.secs >= 0.05 && cfg.secs <= 60))
                die("--seconds wants a number from 0.05 to 60, not %s", argv[i]);
            secs_given = true;
        } else if (!strcmp(arg, "--runs") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > FULL_RUNS)
                die("--runs wants a number from 1 to %d, not %s", FULL_RUNS, argv[i]);
            cfg.runs = (int)v;
            runs_given = true;
        } else if (!strcmp(arg, "--only") && i + 1 < argc) {
            only = bench_parse_only(argv[++i],
                                    (const char *const[]){"discovery", "registry", "cache"}, 3);
        } else if (!strcmp(arg, "--dir") && i + 1 < argc) {
            parent = argv[++i];
        } else if (!strcmp(arg, "--elf") && i + 1 < argc) {
            if ((size_t)snprintf(elf_path, sizeof(elf_path), "%s", argv[++i]) >= sizeof(elf_path))
                die("--elf: path too long");
        } else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (quick) {
        if (!secs_given)
            cfg.secs = QUICK_SECS;
        if (!runs_given)
            cfg.runs = QUICK_RUNS;
    }
    cfg.ncpus = allowed_cpus();
    cfg.priv_threads = cfg.ncpus < 2             ? 2
                       : cfg.ncpus > MAX_THREADS ? MAX_THREADS
                                                 : (unsigned)cfg.ncpus;
    uint64_t t_start = now_ns();
    init_names();
    size_t elf_len = 0;
    unsigned char *elf = read_file(elf_path, &elf_len);

    path_join(bench_root, sizeof(bench_root), parent, "bench_registry.XXXXXX");
    if (!mkdtemp(bench_root)) {
        int e = errno;
        bench_root[0] = '\0';
        free(elf);
        die("mkdtemp in %s failed: %s", parent, strerror(e));
    }
    fprintf(stderr, "bench_registry: writing %d + %d contracts to %s ...\n", N_CONTRACTS,
            N_CONTRACTS, bench_root);
    size_t yaml_avg = make_set(cfg.rand_dir, sizeof(cfg.rand_dir), "rand", NULL, 0);
    make_set(cfg.elf_dir, sizeof(cfg.elf_dir), "elf", elf, elf_len);
    free(elf);

    printf("bench_registry: warden %s, %s, %d CPU%s allowed, load average %.2f\n",
           WD_VERSION_STRING, OpenSSL_version(OPENSSL_VERSION), cfg.ncpus,
           cfg.ncpus == 1 ? "" : "s", load_average());
    printf("contracts in %s (page cache warm): 2 sets of %d = %d ids x %d versions (%d "
           "pre-releases each), contract.yaml ~%zu B with a 3-rule inline policy; libraries: "
           "%d B pseudo-random (rand set), a copy of %s, %zu B (elf set)\n",
           bench_root, N_CONTRACTS, N_IDS, N_VERSIONS, N_PRERELEASES, yaml_avg, RAND_LIB_BYTES,
           elf_path, elf_len);
    printf("timed loops %.2f s each; discovery: median of %d run%s; this machine allows %d "
           "CPU%s: rows with more threads than that share CPUs (oversubscribed)\n",
           cfg.secs, cfg.runs, cfg.runs == 1 ? "" : "s", cfg.ncpus, cfg.ncpus == 1 ? "" : "s");
    fflush(stdout);

    if (only & ONLY_DISCOVERY)
        part_discovery(&cfg);
    if (only & ONLY_REGISTRY)
        part_registry(&cfg);
    if (only & ONLY_CACHE)
        part_cache(&cfg);

    print_table();
    print_summary(&cfg);
    printf("load average at the end: %.2f; total run time %.1f s\n", load_average(),
           (double)(now_ns() - t_start) / 1e9);
    remove_tree(bench_root, false);
    bench_root[0] = '\0';
    if (fflush(stdout) != 0 || ferror(stdout))
        die("cannot write to stdout");
    return 0;
}
