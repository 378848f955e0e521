/* bench_sandbox.c: what running a plugin in the sandbox costs (issue 5): a cold call (a fresh
 * warden-runner per call: spawn, confine, load the plugin, execute, collect the result), a warm
 * call (one runner serving call after call), and the broker round trip of wd_host_open and
 * wd_host_connect as the plugin sees it.
 *
 * It runs the benchmark plugin (bench/plugins/benchplug: libbenchplug.so, its contract, a policy
 * that grants read on its data directory and connections to 127.0.0.1, and data/bench.txt)
 * with the runner of the same build; --contract and --runner choose others. Measured, in order:
 *   1. reference: posix_spawn + waitpid of /bin/true (what any process start costs here), and a
 *      one-byte round trip to a forked child over a SOCK_SEQPACKET socketpair (the floor of a
 *      warm call);
 *   2. cold: wd_instance_call on an instance with max_calls = 1 (every call spawns a runner and
 *      retires it), and wd_instance_start + call + wd_instance_stop (a fresh instance: the
 *      library is hashed and sealed again each time). The plugin reports when its constructor
 *      (dlopen), init() and execute() ran, on the same CLOCK_MONOTONIC, so a cold call splits
 *      into spawn -> plugin loaded, loaded -> execute and execute -> call returned;
 *   3. warm: wd_instance_call on an instance with max_calls = UINT_MAX after 100 untimed calls,
 *      without and with an audit log (durability none: one PLUGIN_CALL record per call);
 *   4. broker: the plugin calls wd_host_open (granted; refused by default deny; granted with an
 *      audit log) and wd_host_connect to a listening socket of this process on 127.0.0.1 (a
 *      thread accepts and closes), 1000 (500 for connect) requests per call, each timed inside
 *      the plugin around the host call; the samples come back in the call's JSON output.
 * Every call must succeed and the plugin's answer must say what was expected (a cold call's
 * runner served exactly one call, a warm one counts up), or the program fails.
 * One table goes to stdout, progress to stderr. bench/README.md explains the output. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_util.h"
#include "warden/audit.h"
#include "warden/contract.h"
#include "warden/error.h"
#include "warden/sandbox.h"

#ifndef WD_BENCH_RUNNER
#define WD_BENCH_RUNNER "warden-runner"
#endif
#ifndef WD_BENCH_CONTRACT
#define WD_BENCH_CONTRACT "contract.yaml"
#endif

/* The targets of issue 5 (printed beside the figures, never enforced by the exit code). */
#define TARGET_COLD_NS 1500000u
#define TARGET_WARM_NS 20000u
#define TARGET_OPEN_NS 30000u

typedef struct {
    unsigned spawn, cold, fresh, warm, requests, connects;
} counts;

static const counts FULL = {500, 500, 200, 20000, 20000, 5000};
static const counts QUICK = {50, 50, 20, 2000, 2000, 500};

#define OPEN_PER_CALL 1000u
#define CONNECT_PER_CALL 500u
#define WARMUP_CALLS 100u
#define MAX_ROWS 32

extern char **environ;

/* ---- small utilities ------------------------------------------------------------------------- */

static void check_wd(int rc, const char *what)
{
    if (rc != WD_OK)
        die("%s failed: %s: %s", what, wd_strerror(rc), wd_error_last()->message);
}

/* CPU time (user + system) of the reaped children, in ns. */
static uint64_t children_cpu_ns(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) != 0)
        die("getrusage(RUSAGE_CHILDREN) failed: %s", strerror(errno));
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

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

/* ---- CPU affinity (--pin) -------------------------------------------------------------------- */

static bool g_pinned;
static cpu_set_t g_all_cpus; /* the process's affinity at start: for the accept thread */

static void pin_main_thread(int cpu)
{
    bench_pin_main_thread(cpu, &g_all_cpus);
    g_pinned = true;
}

/* ---- the table ------------------------------------------------------------------------------- */

typedef struct {
    const char *section; /* printed as a heading when it changes */
    char what[64];
    size_t n;
    double p50, p99, mean, min, max; /* ns */
    double host_cpu, runner_cpu;     /* ns per sample; < 0: not measured */
    char note[128];
} row;

static row g_rows[MAX_ROWS];
static size_t g_nrows;

/* A row from the samples (sorted here); the CPU columns start unmeasured. */
static row *add_row(const char *section, const char *what, samples *s)
{
    if (g_nrows == MAX_ROWS)
        die("internal: too many rows");
    if (!s->n)
        die("internal: no samples for %s", what);
    row *r = &g_rows[g_nrows++];
    memset(r, 0, sizeof(*r));
    r->section = section;
    snprintf(r->what, sizeof(r->what), "%s", what);
    qsort(s->v, s->n, sizeof(*s->v), bench_cmp_u32);
    double sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += s->v[i];
    r->n = s->n;
    r->p50 = bench_quantile(s->v, s->n, 0.50);
    r->p99 = bench_quantile(s->v, s->n, 0.99);
    r->mean = sum / (double)s->n;
    r->min = s->v[0];
    r->max = s->v[s->n - 1];
    r->host_cpu = r->runner_cpu = -1;
    char p50[16], p99[16];
    bench_fmt_duration(p50, sizeof(p50), r->p50);
    bench_fmt_duration(p99, sizeof(p99), r->p99);
    fprintf(stderr, "  %-52s n %6zu  p50 %10s  p99 %10s\n", what, s->n, p50, p99);
    return r;
}

/* The CPU columns: host (this process) and runner (reaped children) CPU time over n samples. */
static void set_cpu(row *r, uint64_t host_ns, uint64_t runner_ns, size_t n)
{
    r->host_cpu = (double)host_ns / (double)n;
    r->runner_cpu = (double)runner_ns / (double)n;
}

static const row *find_row(const char *what)
{
    for (size_t i = 0; i < g_nrows; i++)
        if (!strcmp(g_rows[i].what, what))
            return &g_rows[i];
    return NULL;
}

static void print_table(void)
{
    printf("\n%-52s %6s %9s %9s %9s %9s %9s %9s %9s  %s\n", "measurement", "n", "p50", "p99",
           "mean", "min", "max", "host_cpu", "child_cpu", "note");
    const char *section = NULL;
    for (size_t i = 0; i < g_nrows; i++) {
        const row *r = &g_rows[i];
        if (!section || strcmp(section, r->section)) {
            section = r->section;
            printf("%s\n", section);
        }
        char v[7][16];
        bench_fmt_duration(v[0], sizeof(v[0]), r->p50);
        bench_fmt_duration(v[1], sizeof(v[1]), r->p99);
        bench_fmt_duration(v[2], sizeof(v[2]), r->mean);
        bench_fmt_duration(v[3], sizeof(v[3]), r->min);
        bench_fmt_duration(v[4], sizeof(v[4]), r->max);
        bench_fmt_duration(v[5], sizeof(v[5]), r->host_cpu);
        bench_fmt_duration(v[6], sizeof(v[6]), r->runner_cpu);
        printf("  %-50s %6zu %9s %9s %9s %9s %9s %9s %9s  %s\n", r->what, r->n, v[0], v[1], v[2],
               v[3], v[4], v[5], v[6], r->note);
    }
}

/* ---- calling the plugin ---------------------------------------------------------------------- */

typedef struct {
    const wd_contract *contract;
    const char *runner;
    wd_audit *audit;
    char data_file[PATH_MAX]; /* granted by the policy */
} bench_env;

static wd_instance *start(const bench_env *env, unsigned max_calls, bool audited)
{
    wd_sandbox_options o = WD_SANDBOX_OPTIONS_INIT;
    o.runner_path = env->runner;
    o.max_calls = max_calls;
    o.audit = audited ? env->audit : NULL;
    wd_instance *in = NULL;
    check_wd(wd_instance_start(&in, env->contract, &o), "wd_instance_start");
    return in;
}

/* Dies unless the call succeeded. */
static void check_call(int rc, const wd_call_result *res, const char *what)
{
    if (rc != WD_OK || !res->ok)
        die("%s: the call failed: %s %s: %s (output: %.300s)", what, wd_strerror(rc), res->code,
            res->message, res->output ? res->output : "");
}

static json_t *parse_output(const wd_call_result *res, const char *what)
{
    json_error_t e;
    json_t *j = json_loadb(res->output, res->output_len, 0, &e);
    if (!j || !json_is_object(j))
        die("%s: the plugin's output is not a JSON object (%s): %.200s", what, e.text, res->output);
    return j;
}

static uint64_t get_u64(json_t *obj, const char *key, const char *what)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        die("%s: the plugin's output has no \"%s\"", what, key);
    return (uint64_t)json_integer_value(v);
}

/* The nop call's answer: the plugin's timestamps and its runner's call count. */
typedef struct {
    uint64_t ctor, init, exec, calls;
} nop_answer;

static nop_answer nop_parse(const wd_call_result *res, const char *what)
{
    json_t *j = parse_output(res, what);
    nop_answer a = {get_u64(j, "ctor_ns", what), get_u64(j, "init_ns", what),
                    get_u64(j, "exec_ns", what), get_u64(j, "calls", what)};
    json_decref(j);
    return a;
}

static const char NOP[] = "{\"op\": \"nop\"}";

/* ---- 1. reference: posix_spawn of /bin/true -------------------------------------------------- */

static void bench_spawn_reference(unsigned n)
{
    fprintf(stderr, "bench_sandbox: reference: posix_spawn /bin/true x%u ...\n", n);
    samples s = {0};
    char *argv[] = {(char *)"true", NULL};
    uint64_t cpu0 = cpu_ns(), ch0 = children_cpu_ns();
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        pid_t pid;
        int e = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
        if (e != 0)
            die("posix_spawn /bin/true failed: %s", strerror(e));
        int st;
        while (waitpid(pid, &st, 0) < 0)
            if (errno != EINTR)
                die("waitpid failed: %s", strerror(errno));
        samples_push(&s, now_ns() - t0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            die("/bin/true did not exit with 0");
    }
    row *r = add_row("reference", "posix_spawn + waitpid of /bin/true", &s);
    set_cpu(r, cpu_ns() - cpu0, children_cpu_ns() - ch0, n);
    samples_free(&s);
}

/* The floor of a warm call: one message to a child process and one back over an AF_UNIX
 * SOCK_SEQPACKET socketpair (what the broker socket is), the parent waiting in poll() as
 * wd_instance_call does. The child inherits --pin, as a runner does. */
static void bench_ipc_reference(unsigned n)
{
    fprintf(stderr, "bench_sandbox: reference: socketpair round trip x%u ...\n", n);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        die("socketpair failed: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed: %s", strerror(errno));
    if (pid == 0) {
        close(sv[0]);
        char c;
        while (read(sv[1], &c, 1) == 1 && write(sv[1], &c, 1) == 1)
            ;
        _exit(0);
    }
    close(sv[1]);
    samples s = {0};
    uint64_t cpu0 = cpu_ns();
    for (unsigned i = 0; i < n; i++) {
        char c = 'x';
        uint64_t t0 = now_ns();
        if (write(sv[0], &c, 1) != 1)
            die("socketpair write failed: %s", strerror(errno));
        struct pollfd p = {sv[0], POLLIN, 0};
        if (poll(&p, 1, 5000) != 1 || read(sv[0], &c, 1) != 1)
            die("socketpair: no answer from the child");
        samples_push(&s, now_ns() - t0);
    }
    uint64_t host = cpu_ns() - cpu0, ch0 = children_cpu_ns();
    close(sv[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid failed: %s", strerror(errno));
    row *r = add_row("reference", "AF_UNIX SOCK_SEQPACKET round trip, child process", &s);
    set_cpu(r, host, children_cpu_ns() - ch0, n);
    snprintf(r->note, sizeof(r->note), "the floor of a warm call");
    samples_free(&s);
}

/* ---- 2. cold calls --------------------------------------------------------------------------- */

static const char COLD_S[] = "cold call: a fresh runner per call (spawn, confine, load, execute)";
static const char PHASE_S[] = "cold call phases (max_calls=1 instance; plugin timestamps)";

static void bench_cold(const bench_env *env, unsigned n)
{
    fprintf(stderr, "bench_sandbox: cold: wd_instance_call on a max_calls=1 instance x%u ...\n", n);
    wd_instance *in = start(env, 1, false);
    samples all = {0}, spawn = {0}, load = {0}, ret = {0};
    wd_call_result res;
    /* One untimed call: page cache, the runner's first exec, lazy set-ups in the host. */
    check_call(wd_instance_call(in, NOP, strlen(NOP), NULL, &res), &res, "cold warm-up");
    wd_call_result_clear(&res);
    uint64_t cpu0 = cpu_ns(), ch0 = children_cpu_ns();
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        int rc = wd_instance_call(in, NOP, strlen(NOP), NULL, &res);
        uint64_t t1 = now_ns();
        check_call(rc, &res, "cold call");
        nop_answer a = nop_parse(&res, "cold call");
        wd_call_result_clear(&res);
        if (a.calls != 1)
            die("cold call: the runner served %" PRIu64 " calls; a max_calls=1 instance must "
                "start a fresh one for every call",
                a.calls);
        if (!(t0 <= a.ctor && a.ctor <= a.init && a.init <= a.exec && a.exec <= t1))
            die("cold call: the plugin's timestamps are not between the call's start and end "
                "(is CLOCK_MONOTONIC namespaced?)");
        samples_push(&all, t1 - t0);
        samples_push(&spawn, a.ctor - t0);
        samples_push(&load, a.exec - a.ctor);
        samples_push(&ret, t1 - a.exec);
    }
    uint64_t host = cpu_ns() - cpu0, runner = children_cpu_ns() - ch0;
    row *r = add_row(COLD_S, "call on a max_calls=1 instance", &all);
    set_cpu(r, host, runner, n);
    snprintf(r->note, sizeof(r->note), "target p50 < 1.5 ms");
    add_row(PHASE_S, "spawn -> plugin loaded (exec, confine, dlopen)", &spawn);
    add_row(PHASE_S, "constructor -> execute() (init, READY, CALL)", &load);
    add_row(PHASE_S, "execute() -> call returned (DONE, STOP, reap)", &ret);
    samples_free(&all);
    samples_free(&spawn);
    samples_free(&load);
    samples_free(&ret);
    wd_instance_stop(in);
}

static void bench_fresh(const bench_env *env, unsigned n)
{
    fprintf(stderr, "bench_sandbox: cold: wd_instance_start + call + stop x%u ...\n", n);
    samples all = {0}, st = {0}, sp = {0};
    wd_call_result res;
    uint64_t cpu0 = cpu_ns(), ch0 = children_cpu_ns();
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        wd_instance *in = start(env, 1, false);
        uint64_t t1 = now_ns();
        int rc = wd_instance_call(in, NOP, strlen(NOP), NULL, &res);
        uint64_t t2 = now_ns();
        wd_instance_stop(in);
        uint64_t t3 = now_ns();
        check_call(rc, &res, "start + call + stop");
        wd_call_result_clear(&res);
        samples_push(&all, t3 - t0);
        samples_push(&st, t1 - t0);
        samples_push(&sp, t3 - t2);
    }
    uint64_t host = cpu_ns() - cpu0, runner = children_cpu_ns() - ch0;
    row *r = add_row(COLD_S, "wd_instance_start + call + wd_instance_stop", &all);
    set_cpu(r, host, runner, n);
    snprintf(r->note, sizeof(r->note), "a fresh instance per call");
    add_row(COLD_S, "  of which wd_instance_start (hash, seal, setup)", &st);
    r = add_row(COLD_S, "  of which wd_instance_stop (the retired runner)", &sp);
    snprintf(r->note, sizeof(r->note), "waits for the runner that just served the call");
    samples_free(&all);
    samples_free(&st);
    samples_free(&sp);
}

/* ---- the runner's memory --------------------------------------------------------------------- */

/* VmRSS and VmHWM (KiB) of this process's warden-runner child, read from /proc while it lives
 * (getrusage cannot tell: a posix_spawn child that execs inherits its parent's peak RSS). */
static bool g_runner_mem;
static uint64_t g_runner_rss_kb, g_runner_hwm_kb;

static void read_runner_memory(void)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    long self = (long)getpid();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char path[64], line[256], name[64] = "";
        snprintf(path, sizeof(path), "/proc/%.20s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        long ppid = -1;
        unsigned long long rss = 0, hwm = 0;
        while (fgets(line, sizeof(line), f)) {
            if (!strncmp(line, "Name:", 5))
                sscanf(line + 5, "%63s", name);
            else if (!strncmp(line, "PPid:", 5))
                ppid = strtol(line + 5, NULL, 10);
            else if (!strncmp(line, "VmRSS:", 6))
                rss = strtoull(line + 6, NULL, 10);
            else if (!strncmp(line, "VmHWM:", 6))
                hwm = strtoull(line + 6, NULL, 10);
        }
        fclose(f);
        if (ppid == self && !strcmp(name, "warden-runner")) {
            g_runner_mem = true;
            g_runner_rss_kb = rss;
            g_runner_hwm_kb = hwm;
            break;
        }
    }
    closedir(d);
}

/* ---- 3. warm calls --------------------------------------------------------------------------- */

static const char WARM_S[] = "warm call: one runner, max_calls = UINT_MAX (after 100 calls)";

/* An instance that has served WARMUP_CALLS calls; *served gets the runner's count. */
static wd_instance *start_warm(const bench_env *env, bool audited, uint64_t *served)
{
    wd_instance *in = start(env, UINT_MAX, audited);
    wd_call_result res;
    for (unsigned i = 0; i < WARMUP_CALLS; i++) {
        check_call(wd_instance_call(in, NOP, strlen(NOP), NULL, &res), &res, "warm-up");
        wd_call_result_clear(&res);
    }
    *served = WARMUP_CALLS;
    return in;
}

static void bench_warm(const bench_env *env, unsigned n, bool audited)
{
    const char *what = audited ? "call, audited (durability none)" : "call";
    fprintf(stderr, "bench_sandbox: warm: %s x%u ...\n", what, n);
    uint64_t served, cpu0 = cpu_ns(), ch0 = children_cpu_ns();
    wd_instance *in = start_warm(env, audited, &served);
    samples s = {0};
    wd_call_result res;
    uint64_t wall0 = now_ns();
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        int rc = wd_instance_call(in, NOP, strlen(NOP), NULL, &res);
        samples_push(&s, now_ns() - t0);
        check_call(rc, &res, what);
        nop_answer a = nop_parse(&res, what);
        wd_call_result_clear(&res);
        if (a.calls != ++served)
            die("warm call: the runner says call %" PRIu64 ", expected %" PRIu64
                " (was it replaced?)",
                a.calls, served);
    }
    uint64_t wall = now_ns() - wall0;
    if (!audited)
        read_runner_memory();
    wd_instance_stop(in);
    row *r = add_row(WARM_S, what, &s);
    set_cpu(r, cpu_ns() - cpu0, children_cpu_ns() - ch0, n);
    snprintf(r->note, sizeof(r->note), "%s%.0f calls/s", audited ? "" : "target p50 < 20 us; ",
             (double)n * 1e9 / (double)wall);
    samples_free(&s);
}

/* ---- 4. broker round trips ------------------------------------------------------------------- */

static const char BROKER_S[] = "broker round trip, per request (timed inside the plugin)";

/* Runs input on in `calls` times; each answer's "ns" array goes into s. Returns the wall time
 * of the calls. */
static uint64_t run_requests(wd_instance *in, const char *input, unsigned calls, unsigned per_call,
                             samples *s, const char *what)
{
    wd_call_result res;
    uint64_t wall = 0;
    for (unsigned c = 0; c < calls; c++) {
        uint64_t t0 = now_ns();
        int rc = wd_instance_call(in, input, strlen(input), NULL, &res);
        wall += now_ns() - t0;
        check_call(rc, &res, what);
        if (res.requests != per_call)
            die("%s: the broker served %u requests, expected %u", what, res.requests, per_call);
        json_t *j = parse_output(&res, what);
        json_t *ns = json_object_get(j, "ns");
        if (!json_is_array(ns) || json_array_size(ns) != per_call)
            die("%s: the plugin's output has no \"ns\" array of %u samples", what, per_call);
        for (size_t i = 0; i < per_call; i++) {
            json_t *v = json_array_get(ns, i);
            if (!json_is_integer(v) || json_integer_value(v) <= 0)
                die("%s: a sample is not a positive integer", what);
            samples_push(s, (uint64_t)json_integer_value(v));
        }
        json_decref(j);
        wd_call_result_clear(&res);
    }
    return wall;
}

static void bench_requests(const bench_env *env, const char *what, const char *input,
                           unsigned total, unsigned per_call, bool audited, const char *note)
{
    unsigned calls = (total + per_call - 1) / per_call;
    fprintf(stderr, "bench_sandbox: broker: %s, %u calls x %u ...\n", what, calls, per_call);
    uint64_t served, cpu0 = cpu_ns(), ch0 = children_cpu_ns();
    wd_instance *in = start_warm(env, audited, &served);
    samples s = {0};
    uint64_t wall = run_requests(in, input, calls, per_call, &s, what);
    wd_instance_stop(in);
    size_t n = s.n;
    row *r = add_row(BROKER_S, what, &s);
    set_cpu(r, cpu_ns() - cpu0, children_cpu_ns() - ch0, n);
    snprintf(r->note, sizeof(r->note), "%s%swhole call / requests: %.1f us", note,
             *note ? "; " : "", (double)wall / 1e3 / (double)n);
    samples_free(&s);
}

/* The other end of wd_host_connect: a listening socket on 127.0.0.1 and a thread that accepts
 * and closes until the socket is shut down. */
typedef struct {
    int fd;
    unsigned port;
    pthread_t thread;
    uint64_t accepted;
} acceptor;

static void *accept_loop(void *arg)
{
    acceptor *a = arg;
    for (;;) {
        int fd = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break; /* EINVAL once shut down */
        }
        close(fd);
        a->accepted++;
    }
    return NULL;
}

static void acceptor_start(acceptor *a)
{
    a->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (a->fd < 0)
        die("socket failed: %s", strerror(errno));
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sin);
    if (bind(a->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(a->fd, 4096) != 0 ||
        getsockname(a->fd, (struct sockaddr *)&sin, &len) != 0)
        die("cannot listen on 127.0.0.1: %s", strerror(errno));
    a->port = ntohs(sin.sin_port);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* Off the pinned CPU: it must not compete with the broker it answers. */
    if (g_pinned && pthread_attr_setaffinity_np(&attr, sizeof(g_all_cpus), &g_all_cpus) != 0)
        die("pthread_attr_setaffinity_np failed");
    int rc = pthread_create(&a->thread, &attr, accept_loop, a);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        die("pthread_create failed: %s", strerror(rc));
}

static void acceptor_stop(acceptor *a, uint64_t expected)
{
    shutdown(a->fd, SHUT_RDWR);
    int rc = pthread_join(a->thread, NULL);
    if (rc != 0)
        die("pthread_join failed: %s", strerror(rc));
    close(a->fd);
    if (a->accepted < expected)
        die("connect: %" PRIu64 " connections accepted, %" PRIu64 " expected", a->accepted,
            expected);
}

static void bench_broker(const bench_env *env, const counts *c)
{
    char input[PATH_MAX + 128];
    snprintf(input, sizeof(input),
             "{\"op\": \"open\", \"path\": \"%s\", \"n\": %u, "
             "\"expect\": \"allow\"}",
             env->data_file, OPEN_PER_CALL);
    bench_requests(env, "wd_host_open, granted (O_RDONLY, then close)", input, c->requests,
                   OPEN_PER_CALL, false, "target p50 < 30 us");
    bench_requests(env, "wd_host_open, granted, audited (durability none)", input, c->requests,
                   OPEN_PER_CALL, true, "");
    snprintf(input, sizeof(input),
             "{\"op\": \"open\", \"path\": \"/etc/passwd\", \"n\": %u, "
             "\"expect\": \"deny\"}",
             OPEN_PER_CALL);
    bench_requests(env, "wd_host_open, refused (default deny)", input, c->requests, OPEN_PER_CALL,
                   false, "");

    acceptor a = {0};
    acceptor_start(&a);
    snprintf(input, sizeof(input),
             "{\"op\": \"connect\", \"host\": \"127.0.0.1\", \"port\": %u, "
             "\"n\": %u}",
             a.port, CONNECT_PER_CALL);
    unsigned calls = (c->connects + CONNECT_PER_CALL - 1) / CONNECT_PER_CALL;
    bench_requests(env, "wd_host_connect 127.0.0.1 (TCP, then close)", input, c->connects,
                   CONNECT_PER_CALL, false, "");
    acceptor_stop(&a, (uint64_t)calls * CONNECT_PER_CALL);
}

/* ---- the summary ------------------------------------------------------------------------------
 */

static void print_target(const char *label, const char *what, double target_ns)
{
    const row *r = find_row(what);
    char v[16], t[16];
    bench_fmt_duration(t, sizeof(t), target_ns);
    if (!r) {
        printf("  %-40s < %-9s not measured\n", label, t);
        return;
    }
    bench_fmt_duration(v, sizeof(v), r->p50);
    printf("  %-40s < %-9s p50 %-9s %s (x%.2f of the target)\n", label, t, v,
           r->p50 < target_ns ? "met" : "MISSED", r->p50 / target_ns);
}

static void print_summary(void)
{
    printf("\ntargets (issue 5; reported, not enforced):\n");
    print_target("cold call (max_calls=1 instance)", "call on a max_calls=1 instance",
                 TARGET_COLD_NS);
    print_target("warm call", "call", TARGET_WARM_NS);
    print_target("broker open round trip", "wd_host_open, granted (O_RDONLY, then close)",
                 TARGET_OPEN_NS);

    const row *cold = find_row("call on a max_calls=1 instance");
    const row *ref = find_row("posix_spawn + waitpid of /bin/true");
    if (cold && ref)
        printf("\ncold call p50 = %.1f x posix_spawn + waitpid of /bin/true (p50 %.0f us)\n",
               cold->p50 / ref->p50, ref->p50 / 1e3);
    struct rusage self;
    if (getrusage(RUSAGE_SELF, &self) != 0)
        die("getrusage failed: %s", strerror(errno));
    printf("peak RSS of the bench process: %.1f MiB", (double)self.ru_maxrss / 1024.0);
    if (g_runner_mem)
        printf("; a warm runner after %u calls: RSS %.1f MiB, peak %.1f MiB\n",
               WARMUP_CALLS + (unsigned)find_row("call")->n, (double)g_runner_rss_kb / 1024.0,
               (double)g_runner_hwm_kb / 1024.0);
    else
        printf("\n");
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fputs("usage: bench_sandbox [--quick] [--pin CPU] [--runner PATH] [--contract PATH]\n"
          "                     [--dir DIR] [--scale X] [--only LIST]\n"
          "  --quick          a smoke run (~1 s): a tenth of every count\n"
          "  --pin CPU        run the bench on CPU; every runner it spawns inherits the pin\n"
          "  --runner PATH    the warden-runner to spawn (default: this build's)\n"
          "  --contract PATH  the benchmark plugin's contract (default: this build's\n"
          "                   bench/plugins/benchplug/contract.yaml)\n"
          "  --dir DIR        where to make the temporary directory of the audit log\n"
          "                   (default /tmp)\n"
          "  --scale X        multiply every count by X (0.01 to 100)\n"
          "  --only LIST      run only these parts: reference, cold, fresh, warm, broker\n"
          "                   (comma-separated; for strace and perf)\n",
          f);
}

enum {
    ONLY_REFERENCE = 1,
    ONLY_COLD = 2,
    ONLY_FRESH = 4,
    ONLY_WARM = 8,
    ONLY_BROKER = 16,
    ONLY_ALL = 31
};

static unsigned scaled(unsigned n, double x, unsigned unit)
{
    double v = (double)n * x;
    unsigned r = v < 1 ? 1 : v > 1e8 ? 100000000u : (unsigned)v;
    return unit > 1 ? (r + unit - 1) / unit * unit : r;
}

static void make_audit(bench_env *env, const char *parent)
{
    path_join(bench_root, sizeof(bench_root), parent, "bench_sandbox.XXXXXX");
    if (!mkdtemp(bench_root)) {
        int e = errno;
        bench_root[0] = '\0';
        die("mkdtemp in %s failed: %s", parent, strerror(e));
    }
    char keys[PATH_MAX], log[PATH_MAX];
    path_join(keys, sizeof(keys), bench_root, "keys");
    path_join(log, sizeof(log), bench_root, "log");
    check_wd(wd_audit_keygen(keys), "wd_audit_keygen");
    wd_audit_options o = WD_AUDIT_OPTIONS_INIT;
    o.durability = WD_DURABILITY_NONE;
    o.append_only = 0;
    o.exclusive = 1;
    check_wd(wd_audit_open(&env->audit, log, keys, &o), "wd_audit_open");
}

int main(int argc, char **argv)
{
    bench_set_name("bench_sandbox");
    const char *runner = WD_BENCH_RUNNER, *contract_path = WD_BENCH_CONTRACT, *parent = "/tmp";
    bool quick = false;
    int pin = -1;
    double scale = 1;
    unsigned only = ONLY_ALL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--quick")) {
            quick = true;
        } else if (!strcmp(arg, "--pin") && i + 1 < argc) {
            uint64_t v;
            if (!parse_u64(argv[++i], &v) || v >= CPU_SETSIZE)
                die("--pin wants a CPU number, not %s", argv[i]);
            pin = (int)v;
        } else if (!strcmp(arg, "--runner") && i + 1 < argc) {
            runner = argv[++i];
        } else if (!strcmp(arg, "--contract") && i + 1 < argc) {
            contract_path = argv[++i];
        } else if (!strcmp(arg, "--dir") && i + 1 < argc) {
            parent = argv[++i];
        } else if (!strcmp(arg, "--scale") && i + 1 < argc) {
            char *end;
            scale = strtod(argv[++i], &end);
            if (*end || !(scale >= 0.01 && scale <= 100))
                die("--scale wants a number from 0.01 to 100, not %s", argv[i]);
        } else if (!strcmp(arg, "--only") && i + 1 < argc) {
            only = bench_parse_only(
                argv[++i], (const char *const[]){"reference", "cold", "fresh", "warm", "broker"},
                5);
        } else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    counts c = quick ? QUICK : FULL;
    c.spawn = scaled(c.spawn, scale, 1);
    c.cold = scaled(c.cold, scale, 1);
    c.fresh = scaled(c.fresh, scale, 1);
    c.warm = scaled(c.warm, scale, 1);
    c.requests = scaled(c.requests, scale, OPEN_PER_CALL);
    c.connects = scaled(c.connects, scale, CONNECT_PER_CALL);

    signal(SIGPIPE, SIG_IGN);
    int ncpus = allowed_cpus();
    if (pin >= 0)
        pin_main_thread(pin);

    bench_env env = {.runner = runner};
    if (access(runner, X_OK) != 0)
        die("the runner %s is not executable: %s (--runner PATH)", runner, strerror(errno));
    wd_contract *contract = NULL;
    check_wd(wd_contract_load(&contract, contract_path, NULL), "wd_contract_load");
    env.contract = contract;
    /* The policy grants the data directory beside the contract (fs://data). */
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", wd_contract_library(contract));
    char *slash = strrchr(dir, '/');
    if (!slash)
        die("the library path %s is not absolute", dir);
    *slash = '\0';
    path_join(env.data_file, sizeof(env.data_file), dir, "data/bench.txt");
    if (access(env.data_file, R_OK) != 0)
        die("%s: %s (the contract's data directory)", env.data_file, strerror(errno));
    make_audit(&env, parent);

    wd_sandbox_caps caps;
    check_wd(wd_sandbox_probe(&caps), "wd_sandbox_probe");
    struct utsname u;
    if (uname(&u) != 0)
        die("uname failed: %s", strerror(errno));
    struct stat lib;
    if (stat(wd_contract_library(contract), &lib) != 0)
        die("cannot stat %s: %s", wd_contract_library(contract), strerror(errno));
    printf("bench_sandbox: warden %s, Linux %s, Landlock ABI %d, %s, %d CPU%s allowed, load "
           "average %.2f; %s\n",
           WD_VERSION_STRING, u.release, caps.landlock_abi,
           caps.root ? "root (a network namespace without a user namespace)"
                     : "not root (user + network namespaces)",
           ncpus, ncpus == 1 ? "" : "s", load_average(),
           pin >= 0 ? "pinned to one CPU (--pin; the runners inherit it)" : "not pinned");
    printf("runner %s\nplugin %s (%lld bytes); data file %s\n", runner,
           wd_contract_library(contract), (long long)lib.st_size, env.data_file);
    printf("counts: /bin/true %u, round trips %u, cold %u, fresh %u, warm %u, open %u, connect "
           "%u\n",
           c.spawn, c.warm, c.cold, c.fresh, c.warm, c.requests, c.connects);
    fflush(stdout);

    /* What the sandbox could not apply here would change what is measured: say it. */
    {
        wd_instance *in = start(&env, 1, false);
        wd_call_result res;
        check_call(wd_instance_call(in, NOP, strlen(NOP), NULL, &res), &res, "first call");
        wd_call_result_clear(&res);
        const char *notes = wd_instance_notes(in);
        size_t len = strlen(notes);
        while (len && notes[len - 1] == '\n')
            len--;
        if (len)
            printf("sandbox notes: %.*s\n", (int)len, notes);
        else
            printf("sandbox notes: none (every protection applied)\n");
        wd_instance_stop(in);
    }

    if (only & ONLY_REFERENCE) {
        bench_spawn_reference(c.spawn);
        bench_ipc_reference(c.warm);
    }
    if (only & ONLY_COLD)
        bench_cold(&env, c.cold);
    if (only & ONLY_FRESH)
        bench_fresh(&env, c.fresh);
    if (only & ONLY_WARM) {
        bench_warm(&env, c.warm, false);
        bench_warm(&env, c.warm, true);
    }
    if (only & ONLY_BROKER)
        bench_broker(&env, &c);

    print_table();
    print_summary();
    printf("load average at the end: %.2f\n", load_average());

    check_wd(wd_audit_close(env.audit), "wd_audit_close");
    wd_contract_free(contract);
    remove_tree(bench_root, false);
    bench_root[0] = '\0';
    if (fflush(stdout) != 0 || ferror(stdout))
        die("cannot write to stdout");
    return 0;
}
