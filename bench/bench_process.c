/* bench_process.c: what a process plugin (runtime: process) costs (issue 14), in one run:
 *   1. open+close: the program bench/process/openloop opens and closes a file N times, timing
 *      each pair on CLOCK_MONOTONIC itself, run natively (posix_spawn, pipes, no sandbox) and as
 *      a json-lines process plugin (wd_instance_start + wd_instance_call): a file granted by a
 *      policy rule (one BROKER_DECISION record each, with and without an audit log) and a file
 *      beneath a runtime root (/usr/lib, counted, not recorded one by one). The difference is
 *      what mediation adds to one open+close: the seccomp notification, the broker's decision
 *      and openat2, the descriptor injected with SECCOMP_IOCTL_NOTIF_ADDFD;
 *   2. cold call: bench/process/stdcat (static; copies stdin to stdout) started, fed a small
 *      input and waited for, natively, under bubblewrap and as a stdio process plugin (a fresh
 *      runner and program per call);
 *   3. warm call: bench/process/lineecho (one answer line per input line) as a json-lines
 *      process plugin with max_calls = UINT_MAX, after 100 untimed calls; and natively over
 *      pipes for reference.
 * Every call must succeed and every answer must be the expected one (the echo its input, each
 * open allowed, a policy-rule open recorded and a runtime-root open not), or the program fails.
 * The goals are printed beside the figures, never enforced by the exit code. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_util.h"
#include "sandbox/instance_int.h" /* wd_instance_fault_continue_all: the floor row only */
#include "warden/audit.h"
#include "warden/contract.h"
#include "warden/error.h"
#include "warden/sandbox.h"

#ifndef WD_BENCH_RUNNER
#define WD_BENCH_RUNNER "warden-runner"
#endif
#ifndef WD_BENCH_PROCESS_DIR
#define WD_BENCH_PROCESS_DIR "bench/process"
#endif

/* The goals of issue 14 (printed beside the figures). */
#define GOAL_ADDED_P50_NS 15000.0
#define GOAL_ADDED_P99_NS 50000.0
#define GOAL_WARM_NS 30000.0

/* Pairs per request: a call records at most 4096 decisions (the broker refuses past that), so
 * the policy-rule loop is split into calls of this many opens. */
#define OPEN_CHUNK 2000u
#define WARMUP_CALLS 100u

typedef struct {
    unsigned open, cold, warm;
} counts;

static const counts FULL = {20000, 200, 5000};
static const counts QUICK = {2000, 20, 500};

extern char **environ;

static void check_wd(int rc, const char *what)
{
    if (rc != WD_OK)
        die("%s failed: %s: %s", what, wd_strerror(rc), wd_error_last()->message);
}

/* ---- statistics -------------------------------------------------------------------------- */

typedef struct {
    size_t n;
    double p50, p90, p99, max; /* ns */
} stats;

static stats summarize(samples *s)
{
    if (!s->n)
        die("internal: no samples");
    qsort(s->v, s->n, sizeof(*s->v), bench_cmp_u32);
    return (stats){.n = s->n,
                   .p50 = bench_quantile(s->v, s->n, 0.50),
                   .p90 = bench_quantile(s->v, s->n, 0.90),
                   .p99 = bench_quantile(s->v, s->n, 0.99),
                   .max = s->v[s->n - 1]};
}

static double us(double ns)
{
    return ns / 1e3;
}

static void print_row(const char *what, const stats *st)
{
    printf("  %-56s %7zu %9.2f %9.2f %9.2f %9.2f\n", what, st->n, us(st->p50), us(st->p90),
           us(st->p99), us(st->max));
}

static void print_heading(const char *title)
{
    printf("\n%s\n  %-56s %7s %9s %9s %9s %9s\n", title, "", "n", "p50 us", "p90 us", "p99 us",
           "max us");
}

static const char *verdict(bool met)
{
    return met ? "met" : "MISSED";
}

/* ---- native children over pipes ---------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int in;    /* the child's stdin */
    FILE *out; /* its stdout */
} child;

/* Starts argv[0] with its stdin and stdout on pipes (stderr inherited); 0 or an errno. */
static int child_start(child *c, char *const argv[])
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0)
        die("pipe2 failed: %s", strerror(errno));
    if (pipe2(out, O_CLOEXEC) != 0)
        die("pipe2 failed: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    int e = posix_spawn(&c->pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (e != 0) {
        close(in[1]);
        close(out[0]);
        return e;
    }
    c->in = in[1];
    c->out = fdopen(out[0], "r");
    if (!c->out)
        die("fdopen failed: %s", strerror(errno));
    return 0;
}

static void write_all(int fd, const char *p, size_t len, const char *what)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("%s: cannot write to the program: %s", what, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

/* Closes the child's input and waits for it; returns its wait status. */
static int child_finish(child *c)
{
    if (c->in >= 0)
        close(c->in);
    c->in = -1;
    int st = 0;
    while (waitpid(c->pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid failed: %s", strerror(errno));
    if (c->out)
        fclose(c->out);
    c->out = NULL;
    return st;
}

/* One request line to a json-lines child, one answer line back (without its newline). */
static size_t child_ask(child *c, const char *line, char **answer, size_t *cap, const char *what)
{
    write_all(c->in, line, strlen(line), what);
    ssize_t n = getline(answer, cap, c->out);
    if (n <= 0 || (*answer)[n - 1] != '\n')
        die("%s: the program did not answer a line", what);
    (*answer)[--n] = '\0';
    return (size_t)n;
}

/* A whole run of a stdio program: start, input, output to its end, exit. Returns the wait
 * status; the output goes to out (at most size - 1 bytes, NUL-terminated). */
static int run_stdio(char *const argv[], const char *input, char *out, size_t size,
                     const char *what)
{
    child c;
    int e = child_start(&c, argv);
    if (e)
        die("%s: cannot start %s: %s", what, argv[0], strerror(e));
    write_all(c.in, input, strlen(input), what);
    close(c.in);
    c.in = -1;
    size_t len = fread(out, 1, size - 1, c.out);
    out[len] = '\0';
    return child_finish(&c);
}

/* ---- the open+close answer --------------------------------------------------------------- */

/* Adds the durations of {"ns":[...]} (exactly n of them) to s. */
static void take_pairs(const char *text, size_t len, unsigned n, samples *s, const char *what)
{
    json_error_t err;
    json_t *j = json_loadb(text, len, 0, &err);
    json_t *ns = j ? json_object_get(j, "ns") : NULL;
    if (!json_is_array(ns) || json_array_size(ns) != n)
        die("%s: the program answered %.200s, not %u durations", what, text, n);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(ns, i);
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            die("%s: a duration is not a positive integer", what);
        samples_push(s, (uint64_t)json_integer_value(v));
    }
    json_decref(j);
}

/* ---- the environment of a run ------------------------------------------------------------ */

typedef struct {
    const char *runner;
    const char *dir; /* bench/process in the build tree */
    wd_contract *openloop, *stdcat, *lineecho;
    char openloop_prog[PATH_MAX], stdcat_prog[PATH_MAX], lineecho_prog[PATH_MAX];
    char rule_file[PATH_MAX];    /* granted by openloop's policy: fs://data, read */
    char runtime_file[PATH_MAX]; /* beneath a runtime root */
    char bwrap[PATH_MAX];        /* empty: not installed */
    wd_audit *audit;
} bench_env;

static wd_instance *start(const bench_env *env, const wd_contract *c, unsigned max_calls,
                          bool audited)
{
    wd_sandbox_options o = WD_SANDBOX_OPTIONS_INIT;
    o.runner_path = env->runner;
    o.max_calls = max_calls;
    o.audit = audited ? env->audit : NULL;
    wd_instance *in = NULL;
    check_wd(wd_instance_start(&in, c, &o), "wd_instance_start");
    return in;
}

static void check_call(int rc, const wd_call_result *res, const char *what)
{
    if (rc != WD_OK || !res->ok)
        die("%s: the call failed: %s %s: %s (output: %.300s)", what, wd_strerror(rc), res->code,
            res->message, res->output ? res->output : "");
}

/* ---- 1. open+close ----------------------------------------------------------------------- */

static void open_native(const bench_env *env, const char *path, unsigned n, samples *s)
{
    char *argv[] = {(char *)env->openloop_prog, NULL};
    child c;
    int e = child_start(&c, argv);
    if (e)
        die("cannot start %s: %s", argv[0], strerror(e));
    char line[PATH_MAX + 32], *answer = NULL;
    size_t cap = 0;
    snprintf(line, sizeof(line), "1 %s\n", path);
    child_ask(&c, line, &answer, &cap, "native open+close"); /* untimed: page cache, dentry */
    snprintf(line, sizeof(line), "%u %s\n", OPEN_CHUNK, path);
    for (unsigned done = 0; done < n; done += OPEN_CHUNK) {
        size_t len = child_ask(&c, line, &answer, &cap, "native open+close");
        take_pairs(answer, len, OPEN_CHUNK, s, "native open+close");
    }
    free(answer);
    int st = child_finish(&c);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        die("native open+close: the program did not exit with 0");
}

/* recorded: whether each open is a BROKER_DECISION (a policy rule) or a runtime read.
 * floor: the test-only switch that makes the broker answer every notification CONTINUE
 * without reading it, so the kernel opens the file itself: what is left is the notification
 * round trip (the floor under any broker), never a configuration to run plugins with. */
static void open_mediated(const bench_env *env, const char *path, unsigned n, bool audited,
                          bool recorded, bool floor, samples *s)
{
    const char *what = "mediated open+close";
    wd_instance *in = start(env, env->openloop, UINT_MAX, audited);
    if (floor)
        wd_instance_fault_continue_all(in);
    char line[PATH_MAX + 32];
    wd_call_result res;
    snprintf(line, sizeof(line), "1 %s", path);
    /* Untimed: the program starts (the loader's runtime reads) in its first call. */
    check_call(wd_instance_call(in, line, strlen(line), NULL, &res), &res, what);
    wd_call_result_clear(&res);
    snprintf(line, sizeof(line), "%u %s", OPEN_CHUNK, path);
    for (unsigned done = 0; done < n; done += OPEN_CHUNK) {
        check_call(wd_instance_call(in, line, strlen(line), NULL, &res), &res, what);
        unsigned want = recorded && !floor ? OPEN_CHUNK : 0;
        if (res.requests != want || res.denied != 0)
            die("%s of %s: %u decisions recorded (%u refused), expected %u", what, path,
                res.requests, res.denied, want);
        take_pairs(res.output, res.output_len, OPEN_CHUNK, s, what);
        wd_call_result_clear(&res);
    }
    wd_instance_stop(in);
}

static void print_added(const char *what, const stats *native, const stats *mediated)
{
    double p50 = mediated->p50 - native->p50, p99 = mediated->p99 - native->p99;
    printf("  %-44s p50 %+7.2f us  p99 %+7.2f us  (x%.1f / x%.1f of native)  goal p50 <= %.0f "
           "us: %s, p99 <= %.0f us: %s\n",
           what, us(p50), us(p99), mediated->p50 / native->p50, mediated->p99 / native->p99,
           us(GOAL_ADDED_P50_NS), verdict(p50 <= GOAL_ADDED_P50_NS), us(GOAL_ADDED_P99_NS),
           verdict(p99 <= GOAL_ADDED_P99_NS));
}

static void bench_open(const bench_env *env, unsigned n)
{
    fprintf(stderr, "bench_process: open+close x%u, six ways ...\n", n);
    samples s[6] = {{0}};
    open_native(env, env->rule_file, n, &s[0]);
    open_mediated(env, env->rule_file, n, false, true, false, &s[1]);
    open_mediated(env, env->rule_file, n, true, true, false, &s[2]);
    open_native(env, env->runtime_file, n, &s[3]);
    open_mediated(env, env->runtime_file, n, false, false, false, &s[4]);
    open_mediated(env, env->rule_file, n, false, true, true, &s[5]);
    stats st[6];
    for (int i = 0; i < 6; i++) {
        st[i] = summarize(&s[i]);
        samples_free(&s[i]);
    }
    char title[PATH_MAX * 2 + 256];
    snprintf(title, sizeof(title),
             "1. open(O_RDONLY) + close of one file, timed inside the program per pair\n"
             "   policy-rule file: %s (fs://data/** allows read: a BROKER_DECISION each)\n"
             "   runtime-root file: %s (beneath a runtime root: counted, not recorded)",
             env->rule_file, env->runtime_file);
    print_heading(title);
    print_row("native, policy-rule file", &st[0]);
    print_row("mediated, policy rule, no audit log", &st[1]);
    print_row("mediated, policy rule, audit log (durability none)", &st[2]);
    print_row("native, runtime-root file", &st[3]);
    print_row("mediated, runtime root", &st[4]);
    print_row("floor: notification answered CONTINUE unread (test-only)", &st[5]);
    printf("  added per mediated open+close (mediated - native):\n");
    print_added("policy rule, no audit log", &st[0], &st[1]);
    print_added("policy rule, audit log", &st[0], &st[2]);
    print_added("runtime root", &st[3], &st[4]);
    printf("  of which the notification round trip alone (floor - native): p50 %+.2f us, p99 "
           "%+.2f us;\n  the broker's own work (policy rule, no log - floor): p50 %+.2f us\n",
           us(st[5].p50 - st[0].p50), us(st[5].p99 - st[0].p99), us(st[1].p50 - st[5].p50));
}

/* ---- 2. cold call ------------------------------------------------------------------------ */

static const char COLD_INPUT[] = "{\"op\": \"echo\", \"text\": \"a cold call of a stdio plugin\"}";

/* n runs of argv (after one untimed), each checked: exit 0 and the input echoed. Returns
 * false (with why) when the first run fails: for bubblewrap, which may be unusable here. */
static bool cold_native(char *const argv[], unsigned n, samples *s, char *why, size_t why_size)
{
    char out[sizeof(COLD_INPUT) + 64];
    for (unsigned i = 0; i <= n; i++) {
        uint64_t t0 = now_ns();
        int st = run_stdio(argv, COLD_INPUT, out, sizeof(out), argv[0]);
        uint64_t t1 = now_ns();
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || strcmp(out, COLD_INPUT) != 0) {
            if (i == 0) {
                snprintf(why, why_size, "exit status %d, output \"%.80s\"",
                         WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
                return false;
            }
            die("%s: run %u failed (exit status %d, output \"%.80s\")", argv[0], i,
                WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
        }
        if (i > 0)
            samples_push(s, t1 - t0);
    }
    return true;
}

static void cold_warden(const bench_env *env, unsigned n, samples *s)
{
    wd_instance *in = start(env, env->stdcat, 1, false);
    wd_call_result res;
    for (unsigned i = 0; i <= n; i++) {
        uint64_t t0 = now_ns();
        int rc = wd_instance_call(in, COLD_INPUT, strlen(COLD_INPUT), NULL, &res);
        uint64_t t1 = now_ns();
        check_call(rc, &res, "cold stdio call");
        if (res.output_len != strlen(COLD_INPUT) || memcmp(res.output, COLD_INPUT, res.output_len))
            die("cold stdio call: the plugin answered %.200s", res.output);
        wd_call_result_clear(&res);
        if (i > 0)
            samples_push(s, t1 - t0);
    }
    wd_instance_stop(in);
}

static void bench_cold(const bench_env *env, unsigned n)
{
    fprintf(stderr, "bench_process: cold stdio call x%u, three ways ...\n", n);
    samples native = {0}, bwrap = {0}, warden = {0};
    char why[256] = "";
    char *argv[] = {(char *)env->stdcat_prog, NULL};
    cold_native(argv, n, &native, why, sizeof(why));
    bool have_bwrap = false;
    char cmd[PATH_MAX * 3 + 256] = "";
    if (env->bwrap[0]) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", env->stdcat_prog);
        *strrchr(dir, '/') = '\0';
        char *bargv[32];
        int k = 0;
        bargv[k++] = (char *)env->bwrap;
        static const char *const binds[] = {"/usr", "/lib", "/lib64"};
        for (size_t i = 0; i < sizeof(binds) / sizeof(*binds); i++) {
            if (access(binds[i], F_OK) != 0)
                continue;
            bargv[k++] = (char *)"--ro-bind";
            bargv[k++] = (char *)binds[i];
            bargv[k++] = (char *)binds[i];
        }
        bargv[k++] = (char *)"--ro-bind";
        bargv[k++] = dir;
        bargv[k++] = dir;
        bargv[k++] = (char *)"--unshare-all";
        bargv[k++] = (char *)"--die-with-parent";
        bargv[k++] = (char *)env->stdcat_prog;
        bargv[k] = NULL;
        for (int i = 0; i < k; i++)
            snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", i ? " " : "", bargv[i]);
        have_bwrap = cold_native(bargv, n, &bwrap, why, sizeof(why));
    }
    cold_warden(env, n, &warden);

    stats sn = summarize(&native), sw = summarize(&warden), sb = {0};
    print_heading("2. cold call of a stdio program (bench/process/stdcat, static: copies stdin to "
                  "stdout),\n   start -> input -> output to its end -> exit, timed by this "
                  "process");
    print_row("native: posix_spawn + pipes + waitpid", &sn);
    if (have_bwrap) {
        sb = summarize(&bwrap);
        print_row("bubblewrap, the same way", &sb);
    }
    print_row("warden stdio process plugin (wd_instance_call)", &sw);
    if (!env->bwrap[0])
        printf("  bwrap not installed: no bubblewrap comparison\n");
    else if (!have_bwrap)
        printf("  bubblewrap does not run here (%s): no comparison\n  (%s)\n", why, cmd);
    else
        printf("  bubblewrap: %s\n  warden / bubblewrap: p50 x%.2f, p99 x%.2f  goal faster than "
               "bubblewrap (p50): %s\n",
               cmd, sw.p50 / sb.p50, sw.p99 / sb.p99, verdict(sw.p50 < sb.p50));
    printf("  warden / native: p50 x%.1f (+%.0f us)\n", sw.p50 / sn.p50, us(sw.p50 - sn.p50));
    samples_free(&native);
    samples_free(&bwrap);
    samples_free(&warden);
}

/* ---- 3. warm json-lines call ------------------------------------------------------------- */

static const char WARM_INPUT[] = "{\"op\": \"echo\", \"n\": 12345}";

static void warm_native(const bench_env *env, unsigned n, samples *s)
{
    char *argv[] = {(char *)env->lineecho_prog, NULL};
    child c;
    int e = child_start(&c, argv);
    if (e)
        die("cannot start %s: %s", argv[0], strerror(e));
    char line[sizeof(WARM_INPUT) + 1], *answer = NULL;
    size_t cap = 0;
    snprintf(line, sizeof(line), "%s\n", WARM_INPUT);
    for (unsigned i = 0; i < WARMUP_CALLS + n; i++) {
        uint64_t t0 = now_ns();
        child_ask(&c, line, &answer, &cap, "native echo");
        uint64_t t1 = now_ns();
        if (strcmp(answer, WARM_INPUT) != 0)
            die("native echo: the program answered %.200s", answer);
        if (i >= WARMUP_CALLS)
            samples_push(s, t1 - t0);
    }
    free(answer);
    int st = child_finish(&c);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        die("native echo: the program did not exit with 0");
}

static uint64_t warm_warden(const bench_env *env, unsigned n, bool audited, samples *s)
{
    wd_instance *in = start(env, env->lineecho, UINT_MAX, audited);
    wd_call_result res;
    uint64_t wall = 0;
    for (unsigned i = 0; i < WARMUP_CALLS + n; i++) {
        uint64_t t0 = now_ns();
        int rc = wd_instance_call(in, WARM_INPUT, strlen(WARM_INPUT), NULL, &res);
        uint64_t t1 = now_ns();
        check_call(rc, &res, "warm json-lines call");
        if (res.output_len != strlen(WARM_INPUT) || memcmp(res.output, WARM_INPUT, res.output_len))
            die("warm json-lines call: the plugin answered %.200s", res.output);
        wd_call_result_clear(&res);
        if (i >= WARMUP_CALLS) {
            samples_push(s, t1 - t0);
            wall += t1 - t0;
        }
    }
    wd_instance_stop(in);
    return wall;
}

static void bench_warm(const bench_env *env, unsigned n)
{
    fprintf(stderr, "bench_process: warm json-lines call x%u, three ways ...\n", n);
    samples native = {0}, plain = {0}, audited = {0};
    warm_native(env, n, &native);
    uint64_t wall = warm_warden(env, n, false, &plain);
    warm_warden(env, n, true, &audited);
    stats sn = summarize(&native), sp = summarize(&plain), sa = summarize(&audited);
    print_heading("3. warm json-lines call (bench/process/lineecho: one answer line per input "
                  "line),\n   one process, max_calls = UINT_MAX, after 100 untimed calls");
    print_row("native: a line to the program's stdin and back", &sn);
    print_row("warden json-lines call (wd_instance_call)", &sp);
    print_row("warden json-lines call, audit log (durability none)", &sa);
    printf("  warden: %.0f calls/s; warden - native: p50 +%.2f us (x%.1f); goal p50 <= %.0f us: "
           "%s\n",
           (double)n * 1e9 / (double)wall, us(sp.p50 - sn.p50), sp.p50 / sn.p50, us(GOAL_WARM_NS),
           verdict(sp.p50 <= GOAL_WARM_NS));
    samples_free(&native);
    samples_free(&plain);
    samples_free(&audited);
}

/* ---- set-up ------------------------------------------------------------------------------ */

static wd_contract *load_program(const char *dir, const char *name, char *prog, size_t size)
{
    char sub[PATH_MAX], path[PATH_MAX];
    path_join(sub, sizeof(sub), dir, name);
    path_join(path, sizeof(path), sub, "contract.yaml");
    path_join(prog, size, sub, name);
    if (access(prog, X_OK) != 0)
        die("%s: %s (build bench_process's programs: ninja -C build bench_process)", prog,
            strerror(errno));
    wd_contract *c = NULL;
    check_wd(wd_contract_load(&c, path, NULL), "wd_contract_load");
    return c;
}

/* bwrap on PATH, or an empty string. */
static void find_bwrap(char *out, size_t size)
{
    out[0] = '\0';
    const char *path = getenv("PATH");
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char cand[PATH_MAX];
        snprintf(cand, sizeof(cand), "%s/bwrap", d);
        if (d[0] == '/' && access(cand, X_OK) == 0) {
            snprintf(out, size, "%s", cand);
            return;
        }
    }
}

static void make_audit(bench_env *env, const char *parent)
{
    path_join(bench_root, sizeof(bench_root), parent, "bench_process.XXXXXX");
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

static void print_header(const bench_env *env, const counts *c)
{
    struct utsname u;
    if (uname(&u) != 0)
        die("uname failed: %s", strerror(errno));
    char version[128] = "";
    if (env->bwrap[0]) {
        char *argv[] = {(char *)env->bwrap, (char *)"--version", NULL};
        run_stdio(argv, "", version, sizeof(version), "bwrap --version");
        version[strcspn(version, "\n")] = '\0';
    }
    printf("bench_process: warden %s; Linux %s %s; nproc %ld online, %d allowed; load average "
           "%.2f; %s\n",
           WD_VERSION_STRING, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN), allowed_cpus(),
           load_average(), geteuid() == 0 ? "root" : "not root");
    printf("runner %s\nprograms %s/{openloop,stdcat,lineecho}\nbubblewrap: %s%s%s\n", env->runner,
           env->dir, env->bwrap[0] ? env->bwrap : "bwrap not installed", version[0] ? ", " : "",
           version);
    printf("counts: open+close %u pairs per row (%u per call), cold %u calls, warm %u calls\n",
           c->open, OPEN_CHUNK, c->cold, c->warm);
    fflush(stdout);
}

/* ---- main -------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: bench_process [--quick] [--runner PATH] [--programs DIR] [--dir DIR]\n"
          "                     [--only LIST]\n"
          "  --quick          a smoke run: a tenth of every count\n"
          "  --runner PATH    the warden-runner to spawn (default: this build's)\n"
          "  --programs DIR   where openloop/, stdcat/ and lineecho/ are (default: this\n"
          "                   build's bench/process)\n"
          "  --dir DIR        where to make the temporary directory of the audit log\n"
          "                   (default /tmp)\n"
          "  --only LIST      run only these parts: open, cold, warm (comma-separated;\n"
          "                   for strace and perf)\n",
          f);
}

enum { ONLY_OPEN = 1, ONLY_COLD = 2, ONLY_WARM = 4, ONLY_ALL = 7 };

int main(int argc, char **argv)
{
    bench_set_name("bench_process");
    bench_env env = {.runner = WD_BENCH_RUNNER, .dir = WD_BENCH_PROCESS_DIR};
    const char *parent = "/tmp";
    bool quick = false;
    unsigned only = ONLY_ALL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--quick")) {
            quick = true;
        } else if (!strcmp(arg, "--runner") && i + 1 < argc) {
            env.runner = argv[++i];
        } else if (!strcmp(arg, "--programs") && i + 1 < argc) {
            env.dir = argv[++i];
        } else if (!strcmp(arg, "--dir") && i + 1 < argc) {
            parent = argv[++i];
        } else if (!strcmp(arg, "--only") && i + 1 < argc) {
            only = bench_parse_only(argv[++i], (const char *const[]){"open", "cold", "warm"}, 3);
        } else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    counts c = quick ? QUICK : FULL;
    signal(SIGPIPE, SIG_IGN);
    if (access(env.runner, X_OK) != 0)
        die("the runner %s is not executable: %s (--runner PATH)", env.runner, strerror(errno));
    env.openloop = load_program(env.dir, "openloop", env.openloop_prog, sizeof(env.openloop_prog));
    env.stdcat = load_program(env.dir, "stdcat", env.stdcat_prog, sizeof(env.stdcat_prog));
    env.lineecho = load_program(env.dir, "lineecho", env.lineecho_prog, sizeof(env.lineecho_prog));
    char sub[PATH_MAX];
    path_join(sub, sizeof(sub), env.dir, "openloop/data");
    path_join(env.rule_file, sizeof(env.rule_file), sub, "bench.txt");
    if (access(env.rule_file, R_OK) != 0)
        die("%s: %s (openloop's data directory)", env.rule_file, strerror(errno));
    /* A file every system has beneath /usr/lib (a runtime root of every process plugin). */
    snprintf(env.runtime_file, sizeof(env.runtime_file), "%s",
             access("/usr/lib/os-release", R_OK) == 0 ? "/usr/lib/os-release" : "/etc/ld.so.cache");
    find_bwrap(env.bwrap, sizeof(env.bwrap));
    make_audit(&env, parent);
    print_header(&env, &c);

    if (only & ONLY_OPEN)
        bench_open(&env, c.open);
    if (only & ONLY_COLD)
        bench_cold(&env, c.cold);
    if (only & ONLY_WARM)
        bench_warm(&env, c.warm);
    printf("\nload average at the end: %.2f\n", load_average());

    check_wd(wd_audit_close(env.audit), "wd_audit_close");
    wd_contract_free(env.openloop);
    wd_contract_free(env.stdcat);
    wd_contract_free(env.lineecho);
    remove_tree(bench_root, false);
    bench_root[0] = '\0';
    if (fflush(stdout) != 0 || ferror(stdout))
        die("cannot write to stdout");
    return 0;
}
