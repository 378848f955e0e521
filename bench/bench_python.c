/* bench_python.c: what a Python handler call (runtime: python) costs (issue 15), in one run:
 *   1. baseline: `python3 -c pass` (posix_spawn + waitpid): the interpreter's own start-up, what
 *      a call would pay if it started Python;
 *   2. fresh: a call of a handler with lifecycle fresh on an instance already started (its
 *      zygote imported the handler): a child forked per call builds the handler, initialize(),
 *      execute(), shutdown(), answers through the zygote (goal: p50 <= 0.5x the baseline's);
 *   3. warm: a call of a handler with lifecycle warm: execute() on the one object (goal: p50 <=
 *      100 us).
 * The handler is written to a temporary directory with its contract (the tree hash computed by
 * the registry's own reader) and an empty policy. Every answer must be the expected one, or the
 * program fails; the goals are printed beside the figures, never enforced by the exit code. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_util.h"
#include "registry/contract_int.h"
#include "warden/contract.h"
#include "warden/error.h"
#include "warden/sandbox.h"

#ifndef WD_BENCH_RUNNER
#define WD_BENCH_RUNNER "warden-runner"
#endif

#define GOAL_FRESH_RATIO 0.5
#define GOAL_WARM_NS 100000.0
#define WARMUP_CALLS 20u

extern char **environ;

static const char handler[] = "class Echo:\n"
                              "    def initialize(self, config):\n"
                              "        self.config = config\n"
                              "    def execute(self, input):\n"
                              "        return {\"echo\": input[\"n\"]}\n"
                              "    def describe(self):\n"
                              "        return {\"description\": \"echoes n\"}\n"
                              "    def shutdown(self):\n"
                              "        pass\n";

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    path_join(path, sizeof(path), dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write %s: %s", path, strerror(errno));
}

/* bench_root/NAME: the handler package, its policy and a contract with its tree hash. */
static void make_handler(const char *name, const char *lifecycle, char *contract, size_t size)
{
    char dir[PATH_MAX], src[PATH_MAX], pkg[PATH_MAX], yaml[1024], hex[65];
    path_join(dir, sizeof(dir), bench_root, name);
    path_join(src, sizeof(src), dir, "src");
    path_join(pkg, sizeof(pkg), src, "bench");
    make_dir(dir);
    make_dir(src);
    make_dir(pkg);
    write_text(pkg, "__init__.py", "");
    write_text(pkg, "echo.py", handler);
    write_text(dir, "policy.yaml", "version: \"1.0\"\npermissions: {}\n");
    wd_handler_tree *t = NULL;
    if (wd_handler_tree_read_at(dir, src, &t) != 0)
        die("cannot read the handler tree: %s", wd_error_last()->message);
    const uint8_t *h = wd_handler_tree_hash(t);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    wd_handler_tree_free(t);
    snprintf(yaml, sizeof(yaml),
             "name: bench.%s\ntype: compute\nversion: 1.0.0\nruntime: python\n"
             "handler_class: bench.echo.Echo\nhandler_root: src\nsha256: %s\nlifecycle: %s\n"
             "security: {level: OFFICIAL}\npolicy: policy.yaml\n",
             name, hex, lifecycle);
    write_text(dir, "contract.yaml", yaml);
    path_join(contract, size, dir, "contract.yaml");
}

typedef struct {
    double p50, p99;
} figures;

static figures summarize(samples *s)
{
    qsort(s->v, s->n, sizeof(*s->v), bench_cmp_u32);
    return (figures){bench_quantile(s->v, s->n, 0.50), bench_quantile(s->v, s->n, 0.99)};
}

static figures python_pass(const char *python, unsigned n)
{
    samples s = {0};
    char *argv[] = {(char *)python, "-c", "pass", NULL};
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        pid_t pid;
        if (posix_spawn(&pid, python, NULL, NULL, argv, environ) != 0)
            die("cannot start %s", python);
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            die("%s -c pass failed", python);
        samples_push(&s, now_ns() - t0);
    }
    figures f = summarize(&s);
    samples_free(&s);
    return f;
}

static figures handler_calls(const char *contract_path, const char *runner, unsigned n)
{
    wd_contract *c = NULL;
    if (wd_contract_load(&c, contract_path, NULL) != 0)
        die("cannot load %s: %s", contract_path, wd_error_last()->message);
    wd_sandbox_options o = WD_SANDBOX_OPTIONS_INIT;
    o.runner_path = runner;
    o.max_calls = UINT_MAX;
    wd_instance *in = NULL;
    if (wd_instance_start(&in, c, &o) != 0)
        die("cannot start the instance: %s", wd_error_last()->message);
    samples s = {0};
    for (unsigned i = 0; i < WARMUP_CALLS + n; i++) {
        char input[64], want[64];
        snprintf(input, sizeof(input), "{\"n\": %u}", i);
        snprintf(want, sizeof(want), "{\"echo\":%u}", i);
        wd_call_result r;
        uint64_t t0 = now_ns();
        int rc = wd_instance_call(in, input, strlen(input), NULL, &r);
        uint64_t dt = now_ns() - t0;
        if (rc != 0 || !r.ok || strcmp(r.output, want) != 0)
            die("call %u: %s %s (output %s)", i, r.code, r.message, r.output ? r.output : "");
        wd_call_result_clear(&r);
        if (i >= WARMUP_CALLS)
            samples_push(&s, dt);
    }
    wd_instance_stop(in);
    wd_contract_free(c);
    figures f = summarize(&s);
    samples_free(&s);
    return f;
}

static void row(const char *what, figures f)
{
    char a[32], b[32];
    bench_fmt_duration(a, sizeof(a), f.p50);
    bench_fmt_duration(b, sizeof(b), f.p99);
    printf("  %-46s p50 %10s   p99 %10s\n", what, a, b);
}

int main(int argc, char **argv)
{
    bench_set_name("bench_python");
    unsigned n_pass = 100, n_fresh = 500, n_warm = 5000;
    const char *runner = getenv("WARDEN_RUNNER") ? getenv("WARDEN_RUNNER") : WD_BENCH_RUNNER;
    const char *python = "/usr/bin/python3";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            n_pass = 20, n_fresh = 50, n_warm = 500;
        } else if (!strcmp(argv[i], "--runner") && i + 1 < argc) {
            runner = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_python [--quick] [--runner PATH]\n");
            return 2;
        }
    }
    if (access(python, X_OK) != 0)
        die("%s is needed", python);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(bench_root, sizeof(bench_root), "%s/bench_python.XXXXXX", tmp);
    if (!mkdtemp(bench_root))
        die("cannot make a temporary directory: %s", strerror(errno));
    char fresh[PATH_MAX], warm[PATH_MAX];
    make_handler("fresh", "fresh", fresh, sizeof(fresh));
    make_handler("warm", "warm", warm, sizeof(warm));

    printf("bench_python: Python handler calls (load average %.2f, %d CPUs)\n", load_average(),
           allowed_cpus());
    figures base = python_pass(python, n_pass);
    figures f = handler_calls(fresh, runner, n_fresh);
    figures w = handler_calls(warm, runner, n_warm);
    char label[96];
    snprintf(label, sizeof(label), "python3 -c pass (%u runs)", n_pass);
    row(label, base);
    snprintf(label, sizeof(label), "fresh call, zygote started (%u calls)", n_fresh);
    row(label, f);
    snprintf(label, sizeof(label), "warm call (%u calls)", n_warm);
    row(label, w);
    double ratio = f.p50 / base.p50;
    printf("  fresh / python3 -c pass, p50: %.3fx (goal <= %.1fx: %s); p99: %.3fx\n", ratio,
           GOAL_FRESH_RATIO, ratio <= GOAL_FRESH_RATIO ? "met" : "MISSED", f.p99 / base.p99);
    char a[32];
    bench_fmt_duration(a, sizeof(a), w.p50);
    printf("  warm call p50: %s (goal <= 100 us: %s)\n", a,
           w.p50 <= GOAL_WARM_NS ? "met" : "MISSED");
    remove_tree(bench_root, false);
    return 0;
}
