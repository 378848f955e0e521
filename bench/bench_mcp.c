/* bench_mcp.c: what containing an MCP server costs a tool call (issue 15), in one run. The same
 * stdio MCP server (tests/integration/mcp_fake_server.py, its echo tool) is called two ways by
 * the same client code, speaking MCP over pipes:
 *   1. directly: the server is a child process the bench greets (initialize, initialized) and
 *      calls tools/call echo on;
 *   2. through wardend: `wardend --mcp` is the child, serving one tenant whose only plugin is
 *      that server (runtime: process, protocol: mcp), and the bench calls the re-exported tool
 *      plugin_bench_mcp_Techo. wardend decides the tool against the policy, records it, relays
 *      the call to its warm, sandboxed server and records the call (PLUGIN_LOG for the server's
 *      log notification, PLUGIN_CALL), all in the tenant's audit log (durability as given).
 * Each way: 100 untimed calls first (the first through wardend starts the server), then --calls
 * timed round trips, each answer checked. Printed: p50 and p99 of each, their ratio and the goal
 * (through wardend at most 1.5x the direct call + 100 us), never enforced by the exit code. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_util.h"
#include "crypto/crypto.h"
#include "util/secure.h"
#include "warden/audit.h"

#ifndef WD_BENCH_WARDEND
#define WD_BENCH_WARDEND "wardend"
#endif
#ifndef WD_BENCH_RUNNER
#define WD_BENCH_RUNNER "warden-runner"
#endif
#ifndef WD_BENCH_MCP_SERVER
#define WD_BENCH_MCP_SERVER "tests/integration/mcp_fake_server.py"
#endif

#define GOAL_RATIO 1.5
#define GOAL_PLUS_NS 100000.0
#define WARMUP 100u

extern char **environ;

/* ---- a child spoken to over pipes, line by line --------------------------------------------- */

typedef struct {
    pid_t pid;
    int in, out;
    char buf[1 << 20];
    size_t len;
} peer;

static void spawn_peer(peer *p, char *const argv[], char *const envp[])
{
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to[0], 0);
    posix_spawn_file_actions_adddup2(&fa, from[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&p->pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        die("cannot start %s: %s", argv[0], strerror(rc));
    close(to[0]);
    close(from[1]);
    p->in = to[1];
    p->out = from[0];
    p->len = 0;
}

static void send_line(peer *p, const char *line)
{
    size_t n = strlen(line), off = 0;
    while (off < n) {
        ssize_t w = write(p->in, line + off, n - off);
        if (w <= 0)
            die("the peer stopped reading: %s", strerror(errno));
        off += (size_t)w;
    }
}

/* The next line (NUL-terminated, valid until the next call). */
static char *next_line(peer *p)
{
    static char line[1 << 20];
    for (;;) {
        char *nl = memchr(p->buf, '\n', p->len);
        if (nl) {
            size_t n = (size_t)(nl - p->buf);
            memcpy(line, p->buf, n);
            line[n] = 0;
            memmove(p->buf, nl + 1, p->len - n - 1);
            p->len -= n + 1;
            return line;
        }
        if (p->len == sizeof(p->buf))
            die("a line longer than %zu bytes", sizeof(p->buf));
        ssize_t r = read(p->out, p->buf + p->len, sizeof(p->buf) - p->len);
        if (r <= 0)
            die("the peer ended its output");
        p->len += (size_t)r;
    }
}

/* The answer to id: lines before it (notifications) are skipped, as a client does. */
static char *answer(peer *p, unsigned id)
{
    char want[32];
    snprintf(want, sizeof(want), "\"id\":%u", id);
    char want2[32];
    snprintf(want2, sizeof(want2), "\"id\": %u", id);
    for (;;) {
        char *l = next_line(p);
        if ((strstr(l, want) || strstr(l, want2)) && !strstr(l, "\"method\""))
            return l;
    }
}

static void end_peer(peer *p)
{
    close(p->in);
    int st;
    waitpid(p->pid, &st, 0);
    close(p->out);
}

static void greet(peer *p)
{
    send_line(p, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                 "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{"
                 "\"name\":\"bench_mcp\",\"version\":\"1\"}}}\n");
    char *a = answer(p, 1);
    if (!strstr(a, "\"result\""))
        die("initialize failed: %.300s", a);
    send_line(p, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
}

/* calls tools/call name n times (ids from *id); timed into s when s is not NULL. */
static void calls(peer *p, const char *name, unsigned n, unsigned *id, samples *s)
{
    char req[512];
    for (unsigned i = 0; i < n; i++) {
        unsigned my = (*id)++;
        snprintf(req, sizeof(req),
                 "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"tools/call\",\"params\":{\"name\":"
                 "\"%s\",\"arguments\":{\"text\":\"hello %u\"}}}\n",
                 my, name, my);
        uint64_t t0 = now_ns();
        send_line(p, req);
        char *a = answer(p, my);
        uint64_t t1 = now_ns();
        char expect[64];
        snprintf(expect, sizeof(expect), "hello %u", my);
        if (!strstr(a, expect) || strstr(a, "\"isError\": true") || strstr(a, "\"isError\":true"))
            die("call %u of %s: unexpected answer %.300s", my, name, a);
        if (s)
            samples_push(s, t1 - t0);
    }
}

/* ---- setup --------------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    size_t n = strlen(text);
    if (fd < 0 || write(fd, text, n) != (ssize_t)n || close(fd) != 0)
        die("cannot write %s: %s", path, strerror(errno));
}

static void copy_hash(const char *from, const char *to, char hex[65])
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        die("cannot open %s: %s", from, strerror(errno));
    static char data[1 << 20];
    ssize_t n = read(in, data, sizeof(data) - 1);
    close(in);
    if (n <= 0)
        die("cannot read %s", from);
    data[n] = 0;
    write_file(to, data, 0644);
    uint8_t digest[WD_SHA256_LEN];
    wd_hasher *h = NULL;
    if (wd_hasher_new(&h) != 0 || wd_sha256(h, data, (size_t)n, digest) != 0)
        die("cannot hash %s", from);
    wd_hasher_free(h);
    wd_hex_encode(digest, sizeof(digest), hex);
}

/* The tenant's audit segments are append-only (root may set that): lifted, so the run's
 * directory can be removed. */
static void lift_append_only(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[PATH_MAX];
        if (e->d_name[0] == '.')
            continue;
        path_join(path, sizeof(path), dir, e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        int flags = 0;
        if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_APPEND_FL)) {
            flags &= ~FS_APPEND_FL;
            ioctl(fd, FS_IOC_SETFLAGS, &flags);
        }
        if (fd >= 0)
            close(fd);
    }
    if (d)
        closedir(d);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_mcp [--calls N] [--durability always|batch|none] [--wardend PATH]\n"
            "                 [--runner PATH] [--server PATH]\n");
    exit(2);
}

static double q(samples *s, double at)
{
    return (double)bench_quantile(s->v, s->n, at);
}

int main(int argc, char **argv)
{
    bench_set_name("bench_mcp");
    unsigned n = 2000;
    const char *durability = "batch", *wardend = WD_BENCH_WARDEND, *runner = WD_BENCH_RUNNER,
               *server = WD_BENCH_MCP_SERVER;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--calls") == 0)
            n = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--durability") == 0)
            durability = argv[++i];
        else if (strcmp(argv[i], "--wardend") == 0)
            wardend = argv[++i];
        else if (strcmp(argv[i], "--runner") == 0)
            runner = argv[++i];
        else if (strcmp(argv[i], "--server") == 0)
            server = argv[++i];
        else
            usage();
    }
    if (!n)
        usage();
    signal(SIGPIPE, SIG_IGN);

    char tmpl[] = "/tmp/bench_mcp.XXXXXX";
    if (!mkdtemp(tmpl))
        die("mkdtemp: %s", strerror(errno));
    snprintf(bench_root, sizeof(bench_root), "%s", tmpl);
    char dir[PATH_MAX], path[PATH_MAX], hex[65], text[8 * PATH_MAX];
    path_join(dir, sizeof(dir), bench_root, "c");
    make_dir(dir);
    path_join(dir, sizeof(dir), bench_root, "c/mcp");
    make_dir(dir);
    path_join(path, sizeof(path), dir, "server.py");
    copy_hash(server, path, hex);
    path_join(path, sizeof(path), dir, "contract.yaml");
    snprintf(text, sizeof(text),
             "name: bench.mcp\ntype: compute\nversion: 1.0.0\nruntime: process\nprogram: "
             "server.py\nsha256: %s\ninterpreter: /usr/bin/python3\nargs: [good]\nprotocol: "
             "mcp\nruntime_roots: [/usr/lib/python3, /usr/lib/python3.11]\nsecurity: {level: "
             "OFFICIAL}\npolicy: policy.yaml\n",
             hex);
    write_file(path, text, 0644);
    path_join(path, sizeof(path), dir, "policy.yaml");
    write_file(path, "version: \"1.0\"\npermissions: {}\n", 0644);
    char keys[PATH_MAX], config[PATH_MAX];
    path_join(keys, sizeof(keys), bench_root, "keys");
    if (wd_audit_keygen(keys) != 0)
        die("cannot make audit keys");
    path_join(config, sizeof(config), bench_root, "warden.yaml");
    snprintf(text, sizeof(text),
             "version: 1\nlisten: {unix: %s/wardend.sock}\nrunner: %s\ntenants:\n  - name: bench\n"
             "    contracts: [%s/c]\n"
             "    policies: %s/policies\n    audit: {log: %s/log, keys: %s, durability: %s}\n"
             "    clients:\n      - uid: %u\n        role: operator\n",
             bench_root, runner, bench_root, bench_root, bench_root, keys, durability,
             (unsigned)getuid());
    write_file(config, text, 0600);

    /* 1. directly */
    samples direct = {0}, through = {0};
    char *direct_argv[] = {"/usr/bin/python3", path, "good", NULL};
    path_join(path, sizeof(path), dir, "server.py");
    direct_argv[1] = path;
    peer *p = xmalloc(sizeof(*p));
    spawn_peer(p, direct_argv, environ);
    greet(p);
    unsigned id = 2;
    calls(p, "echo", WARMUP, &id, NULL);
    calls(p, "echo", n, &id, &direct);
    end_peer(p);

    /* 2. through wardend */
    char *wardend_argv[] = {(char *)wardend, "--mcp", "--config", config, NULL};
    spawn_peer(p, wardend_argv, environ);
    greet(p);
    id = 2;
    calls(p, "plugin_bench_mcp_Techo", WARMUP, &id, NULL);
    calls(p, "plugin_bench_mcp_Techo", n, &id, &through);
    end_peer(p);
    free(p);

    qsort(direct.v, direct.n, sizeof(*direct.v), bench_cmp_u32);
    qsort(through.v, through.n, sizeof(*through.v), bench_cmp_u32);
    char a[32], b[32], c[32], d[32];
    bench_fmt_duration(a, sizeof(a), q(&direct, 0.50));
    bench_fmt_duration(b, sizeof(b), q(&direct, 0.99));
    bench_fmt_duration(c, sizeof(c), q(&through, 0.50));
    bench_fmt_duration(d, sizeof(d), q(&through, 0.99));
    printf("bench_mcp: %u timed tools/call round trips each (after %u untimed), audit durability "
           "%s, load %.2f\n",
           n, WARMUP, durability, load_average());
    printf("%-34s %10s %10s\n", "", "p50", "p99");
    printf("%-34s %10s %10s\n", "direct (server over stdio)", a, b);
    printf("%-34s %10s %10s\n", "through wardend --mcp (warm)", c, d);
    printf("%-34s %9.2fx %9.2fx\n", "ratio", q(&through, 0.50) / q(&direct, 0.50),
           q(&through, 0.99) / q(&direct, 0.99));
    for (int i = 0; i < 2; i++) {
        double at = i ? 0.99 : 0.50, goal = GOAL_RATIO * q(&direct, at) + GOAL_PLUS_NS;
        char g[32];
        bench_fmt_duration(g, sizeof(g), goal);
        printf("goal p%s: <= 1.5x direct + 100 us = %s: %s\n", i ? "99" : "50", g,
               q(&through, at) <= goal ? "met" : "NOT met");
    }
    samples_free(&direct);
    samples_free(&through);
    path_join(path, sizeof(path), bench_root, "log");
    lift_append_only(path);
    remove_tree(bench_root, false);
    return 0;
}
