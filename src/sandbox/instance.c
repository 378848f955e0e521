/* instance.c: plugin instances (sandbox.h): the verified library in a sealed memory file, the
 * runner spawned with nothing but the broker socket, and the call loop that serves the
 * broker, enforces the deadline and the output limit, and turns every way a plugin can fail
 * into a WD-Snnn code and an audit record. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/json_event.h"
#include "crypto/crypto.h"
#include "registry/contract_int.h"
#include "sandbox/broker.h"
#include "sandbox/codes.h"
#include "sandbox/filter.h"
#include "sandbox/landlock.h"
#include "sandbox/netns.h"
#include "sandbox/proto.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/path.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "warden/audit.h"
#include "warden/sandbox.h"

#ifndef WD_RUNNER_DEFAULT
#define WD_RUNNER_DEFAULT "/usr/local/libexec/warden/warden-runner"
#endif

extern char **environ;

#define DEFAULT_TIMEOUT_MS 10000u
#define DEFAULT_MEMORY (256u << 20)
#define DEFAULT_OPEN_FILES 64u
#define DEFAULT_PROCESSES 64u
#define DEFAULT_FILE_SIZE (64u << 20)
#define DEFAULT_OUTPUT (1u << 20)
#define MAX_LOGS_PER_CALL 64u
#define MAX_REQUESTS_PER_CALL 4096u /* each is an audit record */
#define INPUT_MAX (64u << 20)
#define RETIRE_GRACE_MS 10

struct wd_instance {
    const wd_contract *contract;
    wd_sandbox_options opts;
    char *runner;
    int memfd; /* the verified library, sealed */
    wd_broker broker;
    char **env;  /* the allowed KEY=VALUE entries, copied at start (the broker's source) */
    char **envp; /* the runner's environment: those, minus loader-sensitive ones */
    uint8_t *setup;
    size_t setup_len;
    uint64_t timeout_ms, output_max;
    uint64_t cpu_limit_s; /* RLIMIT_CPU given to runners */
    uint64_t last_cpu_s;  /* CPU seconds the last reaped runner used */
    pid_t pid;
    pid_t retired; /* a runner told to stop, not yet reaped */
    int sock;
    unsigned served;
    char *describe;
    wd_buf notes;
    wd_policy *held; /* opts.policy, referenced for the instance's lifetime */
    uint8_t buf[WD_PROTO_MAX_MSG];
};

static const char *const code_ids[] = {"WD-S000", "WD-S001", "WD-S002", "WD-S003", "WD-S004",
                                       "WD-S005", "WD-S006", "WD-S007", "WD-S008", "WD-S009",
                                       "WD-S010", "WD-S011", "WD-S012", "WD-S013"};

const char *wd_sandbox_code_id(int code)
{
    return code > 0 && code < WD_S_LIMIT_COUNT ? code_ids[code] : code_ids[0];
}

/* ---- preparing: the library, the environment, the setup ---------------------------------- */

/* Copies the verified library into a sealed memory file, hashing what it copies: the bytes the
 * runner maps are the bytes that hashed to the contract's sha256, whatever happens to the file
 * afterwards. */
static int seal_library(wd_instance *in)
{
    int src;
    int rc = wd_contract_open_library(in->contract, &src);
    if (rc)
        return rc;
    int mfd = memfd_create("warden-plugin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0) {
        close(src);
        return wd_fail(WD_EIO, "cannot create a memory file for the library: %s", strerror(errno));
    }
    wd_hasher *h = NULL;
    uint8_t digest[32];
    rc = wd_hasher_new(&h);
    if (!rc) {
        /* Read once into the memory file, then hash the memory file: nothing else can write
         * it, so what is hashed is what will be mapped. */
        struct stat st;
        ssize_t n = 0;
        if (fstat(src, &st) != 0)
            rc = wd_fail(WD_EIO, "cannot stat the library");
        while (!rc) {
            char chunk[65536];
            n = read(src, chunk, sizeof(chunk));
            if (n == 0)
                break;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 || wd_write_all(mfd, chunk, (size_t)n) != 0)
                rc = wd_fail(WD_EIO, "cannot copy the library: %s", strerror(errno));
        }
        if (!rc &&
            fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
            rc = wd_fail(WD_EIO, "cannot seal the library copy: %s", strerror(errno));
        if (!rc && lseek(mfd, 0, SEEK_SET) != 0)
            rc = wd_fail(WD_EIO, "cannot rewind the library copy");
        if (!rc)
            rc = wd_sha256_fd(h, mfd, digest);
        if (!rc && !wd_ct_equal(digest, wd_contract_sha256(in->contract), sizeof(digest)))
            rc = wd_error_set(WD_EPOLICY, "WD-L009", wd_contract_library(in->contract), 0, 0,
                              "library changed while it was being loaded: refused");
    }
    wd_hasher_free(h);
    close(src);
    if (rc) {
        close(mfd);
        return rc;
    }
    in->memfd = mfd;
    return 0;
}

static int add_protected(wd_instance *in, const char *path)
{
    if (!path)
        return 0;
    char norm[WD_PATH_MAX];
    char *real = realpath(path, NULL);
    bool escapes = false;
    if (!real) {
        if (wd_path_normalize(path, norm, sizeof(norm), &escapes) != 0 || escapes)
            return 0;
        real = strdup(norm);
        if (!real)
            return wd_fail(WD_ENOMEM, "out of memory");
    }
    char **p = realloc(in->broker.protected_paths, (in->broker.protected_count + 1) * sizeof(*p));
    if (!p) {
        free(real);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    p[in->broker.protected_count++] = real;
    in->broker.protected_paths = p;
    return 0;
}

/* Variables the dynamic loader and libc act on before the runner confines itself: never in the
 * runner's environment, whatever the policy grants (wd_host_getenv still answers for them). */
static bool loader_sensitive(const char *entry)
{
    return strncmp(entry, "LD_", 3) == 0 || strncmp(entry, "GLIBC_TUNABLES=", 15) == 0 ||
           strncmp(entry, "MALLOC_", 7) == 0;
}

/* A snapshot of the allowed variables, taken once: the broker answers from it and the runner
 * starts with it, so the host changing its environment later (setenv reallocates environ)
 * neither frees what the broker reads nor makes the two disagree. */
static int build_environment(wd_instance *in)
{
    const char *const *src = in->opts.environ ? in->opts.environ : (const char *const *)environ;
    size_t n = 0;
    for (const char *const *e = src; e && *e; e++)
        n++;
    in->env = calloc(n + 1, sizeof(char *));
    in->envp = calloc(n + 1, sizeof(char *));
    if (!in->env || !in->envp)
        return wd_fail(WD_ENOMEM, "out of memory");
    in->broker.environ = (const char *const *)in->env;
    if (in->broker.pure || !in->broker.policy)
        return 0;
    size_t k = 0, r = 0;
    for (const char *const *e = src; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq == *e || (size_t)(eq - *e) > 255)
            continue;
        char key[256];
        memcpy(key, *e, (size_t)(eq - *e));
        key[eq - *e] = 0;
        wd_request req = {.kind = WD_REQ_ENVIRONMENT, .key = key};
        wd_decision d;
        if (wd_policy_decide(in->broker.policy, &req, &d) != 0 || d.effect != WD_ALLOW)
            continue;
        if (!(in->env[k] = strdup(*e)))
            return wd_fail(WD_ENOMEM, "out of memory");
        if (!loader_sensitive(in->env[k]))
            in->envp[r++] = in->env[k];
        k++;
    }
    return 0;
}

static int build_setup(wd_instance *in)
{
    const wd_resources *res = in->broker.policy ? wd_policy_resources(in->broker.policy) : NULL;
    wd_resources r = res ? *res : (wd_resources){0};
    in->timeout_ms = in->opts.timeout_ms ? in->opts.timeout_ms
                     : r.timeout_ms      ? r.timeout_ms
                                         : DEFAULT_TIMEOUT_MS;
    in->output_max = r.output_bytes ? r.output_bytes : DEFAULT_OUTPUT;
    uint64_t secs = (in->timeout_ms + 999) / 1000;
    uint64_t cpu = r.cpu_millicores ? (secs * r.cpu_millicores + 999) / 1000 : secs;
    wd_setup_writer w = {0};
    wd_setup_put_u64(&w, WD_SETUP_RLIMIT_AS, r.memory_bytes ? r.memory_bytes : DEFAULT_MEMORY);
    in->cpu_limit_s = cpu ? cpu : 1;
    wd_setup_put_u64(&w, WD_SETUP_RLIMIT_CPU, in->cpu_limit_s);
    wd_setup_put_u64(&w, WD_SETUP_RLIMIT_NOFILE, r.open_files ? r.open_files : DEFAULT_OPEN_FILES);
    wd_setup_put_u64(&w, WD_SETUP_RLIMIT_NPROC, r.pids ? r.pids : DEFAULT_PROCESSES);
    wd_setup_put_u64(&w, WD_SETUP_RLIMIT_FSIZE, DEFAULT_FILE_SIZE);
    wd_setup_put_u64(&w, WD_SETUP_OUTPUT_MAX, in->output_max);
    int min = in->opts.min_landlock_abi < 0 ? 1 : in->opts.min_landlock_abi;
    wd_setup_put_u64(&w, WD_SETUP_LANDLOCK_MIN, (uint64_t)min);
    wd_setup_put_u64(&w, WD_SETUP_NETNS, in->opts.require_netns ? 1 : 0);
    wd_setup_put_u64(&w, WD_SETUP_HOST_PID, (uint64_t)getpid());
    const char *config = wd_contract_config(in->contract);
    wd_setup_put(&w, WD_SETUP_CONFIG, config, strlen(config));
    wd_fs_grant *g = NULL;
    long n = wd_broker_plan_fs(&in->broker, &g);
    if (n < 0) {
        free(w.data);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    for (long i = 0; i < n; i++) {
        uint8_t rule[8 + WD_PATH_MAX];
        size_t len = strlen(g[i].path);
        if (len >= WD_PATH_MAX)
            continue;
        for (int b = 0; b < 8; b++)
            rule[b] = (uint8_t)(g[i].access >> (8 * b));
        memcpy(rule + 8, g[i].path, len);
        wd_setup_put(&w, WD_SETUP_FS_RULE, rule, 8 + len);
    }
    wd_broker_plan_free(g, (size_t)n);
    if (w.failed) {
        free(w.data);
        return wd_fail(WD_ERANGE, "the sandbox setup is larger than the protocol allows");
    }
    in->setup = w.data;
    in->setup_len = w.len;
    return 0;
}

static char *runner_path(const wd_sandbox_options *o)
{
    const char *p = o->runner_path;
    if (!p)
        p = getenv("WARDEN_RUNNER");
    return strdup(p && *p ? p : WD_RUNNER_DEFAULT);
}

static void note(wd_instance *in, const char *text);

/* What this kernel's Landlock cannot do, said once per instance (the runner applies what there
 * is; WD-S001 when it is below the configured minimum). */
static void kernel_notes(wd_instance *in)
{
    int abi = wd_landlock_abi();
    if (abi == 0)
        note(in, "no Landlock on this kernel: the plugin can open(2) whatever its user can; only "
                 "the broker's answers follow the policy");
    if (abi > 0 && abi < 3)
        note(in, "Landlock ABI < 3: truncation of granted files is not controlled by the kernel");
    if (abi > 0 && abi < 4)
        note(in, "Landlock ABI < 4: no TCP port rules (the network namespace and seccomp still "
                 "leave the plugin no network)");
    if (abi > 0 && abi < 6)
        note(in, "Landlock ABI < 6: no signal or abstract-socket scoping (seccomp still allows "
                 "kill and tgkill to the plugin itself only, and no F_SETOWN)");
}

int wd_instance_start(wd_instance **out, const wd_contract *contract,
                      const wd_sandbox_options *opts)
{
    *out = NULL;
    if (!contract)
        return wd_fail(WD_EINVAL, "wd_instance_start needs a contract");
    wd_sandbox_options def = WD_SANDBOX_OPTIONS_INIT;
    if (opts && opts->version != WD_SANDBOX_OPTIONS_VERSION)
        return wd_fail(WD_EINVAL, "unknown wd_sandbox_options version %u", opts->version);
    wd_instance *in = calloc(1, sizeof(*in));
    if (!in)
        return wd_fail(WD_ENOMEM, "out of memory");
    in->contract = contract;
    in->opts = opts ? *opts : def;
    in->memfd = in->sock = -1;
    in->pid = in->retired = -1;
    in->held = in->opts.policy ? wd_policy_ref(in->opts.policy) : NULL;
    in->broker.policy = in->held ? in->held : wd_contract_policy(contract);
    in->broker.pure = wd_plugin_type_is_policy(wd_contract_type(contract));
    in->broker.overrides = in->opts.overrides_dir;
    in->broker.component = wd_contract_id(contract);
    in->broker.audit = in->opts.audit;
    in->broker.protect_changes = in->opts.protect_changes;
    in->runner = runner_path(&in->opts);
    int rc = in->runner ? 0 : wd_fail(WD_ENOMEM, "out of memory");
    if (!rc)
        rc = add_protected(in, wd_contract_path(contract));
    if (!rc)
        rc = add_protected(in, wd_contract_library(contract));
    if (!rc)
        rc = add_protected(in, wd_contract_policy_path(contract));
    /* The broker runs in the host: anything under /proc there is the host's (its memory, its
     * environment, any of its threads), never the plugin's to read. */
    if (!rc)
        rc = add_protected(in, "/proc");
    for (size_t i = 0; !rc && i < in->opts.protected_count; i++)
        rc = add_protected(in, in->opts.protected_paths[i]);
    if (!rc)
        rc = build_environment(in);
    if (!rc)
        rc = build_setup(in);
    if (!rc)
        rc = seal_library(in);
    if (rc) {
        wd_instance_stop(in);
        return rc;
    }
    in->broker.timeout_ms = 5000;
    kernel_notes(in);
    *out = in;
    return 0;
}

/* ---- the runner process ----------------------------------------------------------------- */

/* Waits up to grace_ms for process pid to exit, then kills its process group (while the
 * leader is unreaped, so the group id cannot have been reused). Returns 1 when it exited on
 * its own; *status gets its wait status and *ru its resource usage. */
static int reap_pid(pid_t pid, int *status, int grace_ms, struct rusage *ru)
{
    *status = 0;
    memset(ru, 0, sizeof(*ru));
    pid_t r = wait4(pid, status, WNOHANG, ru);
    if (r == pid)
        return 1;
    if (r < 0 && errno != EINTR)
        return 0;
    if (grace_ms > 0) {
        /* Wake the moment it exits: a pidfd polls readable then (Linux 5.3); else sleep. */
        int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pfd >= 0) {
            struct pollfd p = {pfd, POLLIN, 0};
            while (poll(&p, 1, grace_ms) < 0 && errno == EINTR)
                ;
            close(pfd);
            if (wait4(pid, status, WNOHANG, ru) == pid)
                return 1;
        } else {
            for (int waited = 0; waited < grace_ms; waited++) {
                usleep(1000);
                if (wait4(pid, status, WNOHANG, ru) == pid)
                    return 1;
            }
        }
    }
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    while (wait4(pid, status, 0, ru) < 0 && errno == EINTR)
        ;
    return 0;
}

/* Ends the current runner (grace_ms to exit on its own) and forgets it. */
static int reap(wd_instance *in, int *status, int grace_ms)
{
    struct rusage ru;
    int own = in->pid > 0 ? reap_pid(in->pid, status, grace_ms, &ru) : 0;
    in->last_cpu_s = own ? (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) : 0;
    if (in->sock >= 0)
        close(in->sock);
    in->sock = -1;
    in->pid = -1;
    in->served = 0;
    return own;
}

/* A retired runner got STOP and may still be running its plugin's shutdown(): it has until the
 * next spawn (or grace_ms at wd_instance_stop) before it is killed. */
static void finish_retired(wd_instance *in, int grace_ms)
{
    int st;
    if (in->retired > 0)
        reap_pid(in->retired, &st, grace_ms, &(struct rusage){0});
    in->retired = -1;
}

/* Asks a healthy runner to shut the plugin down: shutdown() gets 10 ms (returned as soon as
 * the runner exits: a pidfd), then the process group is killed. Nothing of a retired plugin
 * keeps running, with the descriptors the broker gave it, after the call that retired it. */
static void wd_instance_retire(wd_instance *in)
{
    if (in->pid < 0)
        return;
    finish_retired(in, 0);
    if (wd_proto_send(in->sock, WD_MSG_STOP, 0, 0, NULL, 0, -1) == 0) {
        in->retired = in->pid;
        close(in->sock);
        in->sock = -1;
        in->pid = -1;
        in->served = 0;
        finish_retired(in, RETIRE_GRACE_MS);
    } else {
        int st;
        reap(in, &st, 0);
    }
}

static int spawn(wd_instance *in, wd_call_result *res)
{
    finish_retired(in, 0);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(res->message, sizeof(res->message), "cannot create the broker socket: %s",
                 strerror(errno));
        return WD_S_RUNNER;
    }
    /* Above every descriptor the file actions write (0-4): a daemon with its standard streams
     * closed gets the socket at 0-2, and dup2(3, 3) would keep close-on-exec. */
    if (sv[1] >= 0 && sv[1] < 10) {
        int moved = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
        close(sv[1]);
        sv[1] = moved;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
    int netns = wd_netns_shared();
    if (netns >= 0)
        posix_spawn_file_actions_adddup2(&fa, netns, 4);
    /* Handlers reset at exec anyway; only ignored signals are inherited. Reset the ones a
     * limit or a clean shutdown relies on (each costs a system call on the cold path). */
    sigset_t none, reset;
    sigemptyset(&none);
    sigemptyset(&reset);
    static const int defaults[] = {SIGXCPU, SIGXFSZ, SIGPIPE, SIGCHLD, SIGHUP,  SIGINT,
                                   SIGQUIT, SIGTERM, SIGALRM, SIGUSR1, SIGUSR2, SIGSEGV,
                                   SIGBUS,  SIGFPE,  SIGILL,  SIGABRT, SIGSYS,  SIGTRAP};
    for (size_t i = 0; i < sizeof(defaults) / sizeof(*defaults); i++)
        sigaddset(&reset, defaults[i]);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &reset);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    char *argv[] = {(char *)"warden-runner", NULL};
    pid_t pid;
    int e = sv[1] < 0 ? EMFILE : posix_spawn(&pid, in->runner, &fa, &attr, argv, in->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (sv[1] >= 0)
        close(sv[1]);
    if (e != 0) {
        close(sv[0]);
        snprintf(res->message, sizeof(res->message), "cannot start the runner %s: %s", in->runner,
                 strerror(e));
        return WD_S_RUNNER;
    }
    in->pid = pid;
    in->sock = sv[0];
    /* A runner that stops reading cannot block the host past the call's deadline. */
    struct timeval tv = {(time_t)(in->timeout_ms / 1000),
                         (suseconds_t)(in->timeout_ms % 1000) * 1000};
    setsockopt(in->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    /* The per-runner part of the setup: the seccomp program with this pid in it. */
    uint8_t *prog = NULL;
    size_t prog_len = 0;
    char why[256];
    if (wd_filter_program(pid, &prog, &prog_len, why) != 0) {
        int st;
        reap(in, &st, 0);
        snprintf(res->message, sizeof(res->message), "%s", why);
        return WD_S_SETUP;
    }
    size_t total = in->setup_len + 6 + 8 + 6 + prog_len;
    uint8_t *msg = total <= WD_PROTO_MAX_DATA ? malloc(total) : NULL;
    int rc = -1;
    if (msg) {
        wd_setup_writer tail = {msg, 0, total, 0};
        memcpy(msg, in->setup, in->setup_len);
        tail.len = in->setup_len;
        wd_setup_put_u64(&tail, WD_SETUP_NETNS_FD, netns >= 0 ? 1 : 0);
        wd_setup_put(&tail, WD_SETUP_SECCOMP, prog, prog_len);
        if (!tail.failed)
            rc = wd_proto_send(in->sock, WD_MSG_SETUP, 0, 0, msg, tail.len, in->memfd);
    }
    free(msg);
    free(prog);
    if (rc != 0) {
        int st;
        reap(in, &st, 0);
        snprintf(res->message, sizeof(res->message), "the runner did not take its setup");
        return WD_S_RUNNER;
    }
    return 0;
}

/* ---- audit ------------------------------------------------------------------------------ */

static int audit(wd_instance *in, const char *type, wd_severity sev, const char *corr,
                 json_t *details)
{
    return wd_audit_json(in->opts.audit, type, sev, wd_contract_id(in->contract), corr, details);
}

/* ---- the call loop ---------------------------------------------------------------------- */

typedef struct {
    wd_call_result *res;
    wd_buf out;
    unsigned logs;
    int code; /* WD_S_* once something failed */
} call_state;

static int fail_state(call_state *cs, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_state(call_state *cs, int code, const char *fmt, ...)
{
    if (cs->code)
        return cs->code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cs->res->message, sizeof(cs->res->message), fmt, ap);
    va_end(ap);
    cs->code = code;
    return code;
}

/* Text from the plugin as it can go into an audit record: valid UTF-8 as it is, anything else
 * (and control characters) as \xNN, so a plugin cannot keep a request out of the log by
 * spelling it in bytes the log refuses. */
static const char *printable(const char *in, size_t len, char *out, size_t size)
{
    size_t bad, o = 0;
    bool utf8 = wd_utf8_valid(in, len, &bad);
    for (size_t i = 0; i < len && o + 5 < size; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = 0;
    return out;
}

static int broker_request(wd_instance *in, call_state *cs, const wd_msg *m, uint64_t deadline)
{
    /* A connect may take what is left of the call, and at most 5 s. */
    uint64_t now = wd_time_mono_ns(), left_ms = now < deadline ? (deadline - now) / 1000000 : 0;
    in->broker.timeout_ms = (int)(left_ms < 5000 ? (left_ms ? left_ms : 1) : 5000);
    char arg[WD_PROTO_MAX_PATH + 1];
    memcpy(arg, m->data, m->len);
    arg[m->len] = 0;
    wd_broker_answer ans;
    const char *op = "open";
    if (m->type == WD_MSG_OPEN)
        wd_broker_open(&in->broker, arg, m->a, &ans);
    else if (m->type == WD_MSG_CONNECT)
        op = "connect", wd_broker_connect(&in->broker, arg, (unsigned)m->a, &ans);
    else
        op = "env", wd_broker_getenv(&in->broker, arg, &ans);
    cs->res->requests++;
    char target[sizeof(ans.target) * 4], reason[sizeof(ans.reason) * 4];
    json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "op", op, "target",
                          printable(ans.target, strlen(ans.target), target, sizeof(target)),
                          "decision", ans.allowed ? "allow" : "deny", "reason",
                          printable(ans.reason, strlen(ans.reason), reason, sizeof(reason)));
    if (d && m->type == WD_MSG_OPEN)
        json_object_set_new(d, "flags", json_integer(m->a));
    if (audit(in, "BROKER_DECISION", ans.allowed ? WD_SEVERITY_LOW : WD_SEVERITY_MEDIUM,
              cs->res->correlation_id, d) != 0 &&
        ans.allowed) {
        /* What cannot be recorded is not granted. */
        if (ans.fd >= 0)
            close(ans.fd);
        ans.fd = -1;
        ans.allowed = 0;
        ans.err = EACCES;
        snprintf(ans.reason, sizeof(ans.reason), "%s %.300s: the audit log cannot record it", op,
                 ans.target);
    }
    if (!ans.allowed)
        cs->res->denied++;
    int rc;
    if (!ans.allowed)
        rc = wd_proto_send(in->sock, WD_MSG_REPLY, -(ans.err ? ans.err : EACCES), 0, ans.reason,
                           strlen(ans.reason), -1);
    else if (m->type == WD_MSG_GETENV)
        rc = wd_proto_send(in->sock, WD_MSG_REPLY, 0, 0, ans.value,
                           strnlen(ans.value, WD_PROTO_MAX_DATA), -1);
    else
        rc = wd_proto_send(in->sock, WD_MSG_REPLY, 0, 0, NULL, 0, ans.fd);
    if (ans.fd >= 0)
        close(ans.fd);
    return rc;
}

static void plugin_log(wd_instance *in, call_state *cs, const wd_msg *m)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    if (++cs->logs > MAX_LOGS_PER_CALL)
        return;
    char text[WD_PROTO_MAX_LOG * 4 + 1];
    json_t *d = json_pack("{s:s, s:s}", "level", levels[m->a], "message",
                          printable((const char *)m->data, m->len, text, sizeof(text)));
    if (cs->logs == MAX_LOGS_PER_CALL)
        json_object_set_new(d, "note", json_string("further messages of this call dropped"));
    audit(in, "PLUGIN_LOG", m->a >= 2 ? WD_SEVERITY_MEDIUM : WD_SEVERITY_LOW,
          cs->res->correlation_id, d);
}

/* Serves the runner until it sends `until` (READY or DONE), fails, dies or runs out of time.
 * Returns 0 or a WD_S_* code (cs->res->message says what happened). */
static int pump(wd_instance *in, call_state *cs, uint32_t until, uint64_t deadline)
{
    for (;;) {
        uint64_t now = wd_time_mono_ns();
        if (now >= deadline)
            return fail_state(cs, WD_S_TIMEOUT,
                              "the call ran past its %llu ms timeout; the "
                              "plugin's processes were killed",
                              (unsigned long long)in->timeout_ms);
        struct pollfd p = {in->sock, POLLIN, 0};
        int n = poll(&p, 1, (int)((deadline - now + 999999) / 1000000));
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            continue;
        int fd;
        long len = n < 0 ? -errno : wd_proto_recv(in->sock, in->buf, &fd);
        if (len == 0 || len == -ECONNRESET)
            return -1; /* EOF: the caller looks at how the runner ended */
        if (len < 0)
            return fail_state(cs, WD_S_PROTOCOL,
                              "the plugin sent a malformed message (descriptors or oversize)");
        if (fd >= 0) {
            close(fd);
            return fail_state(cs, WD_S_PROTOCOL, "the plugin sent a descriptor to the host");
        }
        wd_msg m;
        const char *why;
        if (wd_proto_decode(in->buf, (size_t)len, 1, &m, &why) != 0)
            return fail_state(cs, WD_S_PROTOCOL, "protocol violation: %s", why);
        switch (m.type) {
        case WD_MSG_OPEN:
        case WD_MSG_CONNECT:
        case WD_MSG_GETENV:
            if (until != WD_MSG_DONE)
                return fail_state(cs, WD_S_PROTOCOL, "a broker request before the call");
            /* A send that cannot complete (SO_SNDTIMEO) means the plugin stopped reading. */
            if (cs->res->requests >= MAX_REQUESTS_PER_CALL)
                return fail_state(cs, WD_S_PROTOCOL,
                                  "more than %u broker requests in one call: refused",
                                  MAX_REQUESTS_PER_CALL);
            if (broker_request(in, cs, &m, deadline) != 0)
                return fail_state(cs, WD_S_PROTOCOL,
                                  "the plugin stopped reading the broker's "
                                  "replies");
            break;
        case WD_MSG_LOG:
            plugin_log(in, cs, &m);
            break;
        case WD_MSG_OUTPUT:
            if (until != WD_MSG_DONE)
                return fail_state(cs, WD_S_PROTOCOL, "output before the call");
            if (cs->out.len + m.len > in->output_max)
                return fail_state(cs, WD_S_OUTPUT, "output exceeded its limit of %llu bytes",
                                  (unsigned long long)in->output_max);
            wd_buf_append(&cs->out, (const char *)m.data, m.len);
            break;
        case WD_MSG_FAIL: {
            /* The runner and the plugin share a process, so a FAIL may be forged: only the
             * codes the runner can send in this phase are taken at their word. */
            int code = m.a;
            bool startup = until == WD_MSG_READY;
            if (!(startup ? code == WD_S_SETUP || code == WD_S_PROTOCOL ||
                                code == WD_S_DESCRIPTOR || code == WD_S_INIT || code == WD_S_INPUT
                          : code == WD_S_OUTPUT || code == WD_S_INPUT))
                return fail_state(cs, WD_S_PROTOCOL,
                                  "protocol violation: a failure report (code %d) the runner "
                                  "does not send at this point",
                                  (int)m.a);
            char text[WD_PROTO_MAX_LOG * 4 + 1];
            return fail_state(cs, code, "%s",
                              printable((const char *)m.data, m.len, text, sizeof(text)));
        }
        case WD_MSG_READY:
            if (until != WD_MSG_READY)
                return fail_state(cs, WD_S_PROTOCOL, "an unexpected ready message");
            free(in->describe);
            in->describe = strndup((const char *)m.data, m.len);
            return 0;
        case WD_MSG_DONE:
            if (until != WD_MSG_DONE)
                return fail_state(cs, WD_S_PROTOCOL, "done before the call");
            if (m.b != cs->out.len)
                return fail_state(cs, WD_S_PROTOCOL, "done says %u bytes of output, %zu came", m.b,
                                  cs->out.len);
            cs->res->status = m.a;
            return 0;
        default:
            return fail_state(cs, WD_S_PROTOCOL, "unexpected message type %u", m.type);
        }
    }
}

/* Turns how the runner ended into a code, unless one is already known. */
static void ended(wd_instance *in, call_state *cs)
{
    int status;
    int own = reap(in, &status, cs->code ? 0 : 200);
    if (cs->code)
        return;
    if (!own) {
        fail_state(cs, WD_S_EXITED, "the plugin closed the broker connection mid-call");
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGSYS)
            fail_state(cs, WD_S_SYSCALL,
                       "the plugin made a system call the sandbox forbids "
                       "and was killed (SIGSYS)");
        else if (sig == SIGXCPU || (sig == SIGKILL && in->last_cpu_s >= in->cpu_limit_s))
            fail_state(cs, WD_S_CPU, "the plugin used up its CPU time limit of %llu s (%s)",
                       (unsigned long long)in->cpu_limit_s,
                       sig == SIGXCPU ? "SIGXCPU" : "SIGKILL at the hard limit");
        else
            fail_state(cs, WD_S_CRASH, "the plugin crashed: %s (signal %d)", strsignal(sig), sig);
    } else {
        fail_state(cs, WD_S_EXITED, "the plugin exited with status %d mid-call",
                   WEXITSTATUS(status));
    }
}

static void note(wd_instance *in, const char *text)
{
    if (!strstr(wd_buf_cstr(&in->notes), text)) {
        wd_buf_puts(&in->notes, text);
        wd_buf_putc(&in->notes, '\n');
    }
}

/* Sends the input in chunks; a runner that reads slowly cannot stretch the call past its
 * deadline (each send is bounded by SO_SNDTIMEO, and the deadline is checked between them). */
static int send_input(wd_instance *in, call_state *cs, const char *input, size_t len,
                      uint64_t deadline)
{
    size_t first = len < WD_PROTO_MAX_DATA ? len : WD_PROTO_MAX_DATA;
    if (wd_proto_send(in->sock, WD_MSG_CALL, 0, (uint32_t)len, input, first, -1) != 0)
        return -1;
    for (size_t off = first; off < len;) {
        if (wd_time_mono_ns() >= deadline) {
            fail_state(cs, WD_S_TIMEOUT,
                       "the call ran past its %llu ms timeout while its input "
                       "was being sent",
                       (unsigned long long)in->timeout_ms);
            return -1;
        }
        size_t n = len - off < WD_PROTO_MAX_DATA ? len - off : WD_PROTO_MAX_DATA;
        if (wd_proto_send(in->sock, WD_MSG_INPUT, 0, 0, input + off, n, -1) != 0)
            return -1;
        off += n;
    }
    return 0;
}

int wd_instance_call(wd_instance *in, const char *input, size_t len, const char *correlation_id,
                     wd_call_result *res)
{
    if (!res)
        return wd_fail(WD_EINVAL, "wd_instance_call needs a result");
    *res = (wd_call_result){.code = ""};
    if (!in || (!input && len))
        return wd_fail(WD_EINVAL, "wd_instance_call needs an instance and input");
    if (correlation_id)
        snprintf(res->correlation_id, sizeof(res->correlation_id), "%s", correlation_id);
    else
        wd_uuid_v4(res->correlation_id);
    uint64_t start = wd_time_mono_ns();
    uint64_t deadline = start + in->timeout_ms * 1000000u;
    call_state cs = {.res = res, .out = WD_BUF_INIT};
    wd_buf_append(&cs.out, "", 0);
    if (len > INPUT_MAX)
        fail_state(&cs, WD_S_INPUT, "input of %zu bytes is larger than %u", len, INPUT_MAX);
    if (!cs.code && in->pid < 0) {
        int code = spawn(in, res);
        if (code)
            cs.code = code;
        else if (pump(in, &cs, WD_MSG_READY, deadline) != 0)
            ended(in, &cs);
    }
    if (!cs.code) {
        if (send_input(in, &cs, input ? input : "", len, deadline) != 0 ||
            pump(in, &cs, WD_MSG_DONE, deadline))
            ended(in, &cs);
    }
    if (cs.code && in->pid > 0) {
        int st;
        reap(in, &st, 0);
    }
    res->duration_ns = wd_time_mono_ns() - start;
    if (!cs.code && ++in->served >= (in->opts.max_calls ? in->opts.max_calls : 1))
        wd_instance_retire(in);
    res->output_len = cs.out.len;
    res->output = cs.out.oom ? NULL : cs.out.data;
    if (!res->output) {
        wd_buf_free(&cs.out);
        res->output = strdup("");
        res->output_len = 0;
    }
    if (!cs.code && res->status != 0)
        fail_state(&cs, WD_S_FAILED, "execute() returned %d", res->status);
    res->code = cs.code ? wd_sandbox_code_id(cs.code) : "";
    res->ok = cs.code == 0;
    const char *result = res->ok ? "ok" : cs.code == WD_S_FAILED ? "failed" : "contained";
    json_t *d = json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:i}", "result", result, "code",
                          res->code, "message", res->ok ? "" : res->message, "duration_us",
                          (json_int_t)(res->duration_ns / 1000), "output_bytes",
                          (json_int_t)res->output_len, "requests", (int)res->requests, "denied",
                          (int)res->denied);
    int arc = audit(in, "PLUGIN_CALL",
                    res->ok                  ? WD_SEVERITY_LOW
                    : cs.code == WD_S_FAILED ? WD_SEVERITY_MEDIUM
                                             : WD_SEVERITY_HIGH,
                    res->correlation_id, d);
    if (!res->ok)
        return wd_error_set(WD_ESANDBOX, res->code, NULL, 0, 0, "%s", res->message);
    if (arc != 0) { /* what cannot be recorded does not count as done */
        res->ok = 0;
        snprintf(res->message, sizeof(res->message),
                 "the call succeeded but the audit log cannot record it");
        return wd_fail(WD_EIO, "%s", res->message);
    }
    return 0;
}

int wd_instance_prepare(wd_instance *in, wd_call_result *res)
{
    if (!res)
        return wd_fail(WD_EINVAL, "wd_instance_prepare needs a result");
    *res = (wd_call_result){.code = ""};
    if (!in)
        return wd_fail(WD_EINVAL, "wd_instance_prepare needs an instance");
    wd_uuid_v4(res->correlation_id);
    if (in->pid > 0) {
        res->ok = 1;
        return 0;
    }
    uint64_t start = wd_time_mono_ns();
    call_state cs = {.res = res, .out = WD_BUF_INIT};
    int code = spawn(in, res);
    if (code)
        cs.code = code;
    else if (pump(in, &cs, WD_MSG_READY, start + in->timeout_ms * 1000000u) != 0)
        ended(in, &cs);
    if (cs.code && in->pid > 0) {
        int st;
        reap(in, &st, 0);
    }
    wd_buf_free(&cs.out);
    res->duration_ns = wd_time_mono_ns() - start;
    res->ok = cs.code == 0;
    if (res->ok)
        return 0;
    res->code = wd_sandbox_code_id(cs.code);
    json_t *d = json_pack("{s:s, s:s, s:s}", "result", "contained", "code", res->code, "message",
                          res->message);
    audit(in, "PLUGIN_START", WD_SEVERITY_HIGH, res->correlation_id, d);
    return wd_error_set(WD_ESANDBOX, res->code, NULL, 0, 0, "%s", res->message);
}

const char *wd_instance_describe(const wd_instance *in)
{
    return in && in->describe ? in->describe : "";
}

const char *wd_instance_notes(const wd_instance *in)
{
    return in ? wd_buf_cstr(&in->notes) : "";
}

void wd_instance_stop(wd_instance *in)
{
    if (!in)
        return;
    wd_instance_retire(in);
    finish_retired(in, 100);
    if (in->memfd >= 0)
        close(in->memfd);
    for (size_t i = 0; i < in->broker.protected_count; i++)
        free(in->broker.protected_paths[i]);
    free(in->broker.protected_paths);
    for (char **e = in->env; e && *e; e++)
        free(*e);
    free(in->env);
    free(in->envp);
    free(in->setup);
    free(in->runner);
    free(in->describe);
    wd_buf_free(&in->notes);
    wd_policy_free(in->held);
    free(in);
}

void wd_call_result_clear(wd_call_result *r)
{
    if (!r)
        return;
    free(r->output);
    r->output = NULL;
    r->output_len = 0;
}
