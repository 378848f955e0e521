/* spawn.c: the runner process of a plugin instance: started with nothing but the broker socket
 * (and the shared network namespace), told who the plugin runs as, reaped with its whole
 * process group, and how it ended turned into a WD-Snnn code. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/codes.h"
#include "sandbox/filter.h"
#include "sandbox/instance_int.h"
#include "sandbox/netns.h"
#include "sandbox/process.h"

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
int wd_runner_reap(wd_instance *in, int *status, int grace_ms)
{
    struct rusage ru;
    int own = in->pid > 0 ? reap_pid(in->pid, status, grace_ms, &ru) : 0;
    in->last_cpu_s = own ? (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) : 0;
    if (in->process)
        wd_process_forget(in);
    if (in->sock >= 0)
        close(in->sock);
    in->sock = -1;
    in->pid = -1;
    in->served = 0;
    return own;
}

/* A retired runner got STOP and may still be running its plugin's shutdown(): it has until the
 * next spawn (or grace_ms at wd_instance_stop) before it is killed. */
void wd_runner_finish_retired(wd_instance *in, int grace_ms)
{
    int st;
    if (in->retired > 0)
        reap_pid(in->retired, &st, grace_ms, &(struct rusage){0});
    in->retired = -1;
}

/* Asks a healthy runner to shut the plugin down: shutdown() gets 10 ms (returned as soon as
 * the runner exits: a pidfd), then the process group is killed. Nothing of a retired plugin
 * keeps running, with the descriptors the broker gave it, after the call that retired it. */
void wd_runner_retire(wd_instance *in)
{
    if (in->pid < 0)
        return;
    if (in->process) {
        wd_process_retire(in);
        return;
    }
    wd_runner_finish_retired(in, 0);
    if (wd_proto_send(in->sock, WD_MSG_STOP, 0, 0, NULL, 0, -1) == 0) {
        in->retired = in->pid;
        close(in->sock);
        in->sock = -1;
        in->pid = -1;
        in->served = 0;
        wd_runner_finish_retired(in, RETIRE_GRACE_MS);
    } else {
        int st;
        wd_runner_reap(in, &st, 0);
    }
}

#define PLUGIN_ID_DEFAULT 65534u  /* nobody, nogroup */
#define PLUGIN_ID_MAX 4294967294u /* (uid_t)-1 means "unchanged" to the kernel */

/* One id of WARDEN_PLUGIN_UID: digits only, 1 to PLUGIN_ID_MAX. */
static int parse_id(const char *p, const char *end, uint32_t *id)
{
    uint64_t v = 0;
    if (p == end || end - p > 10)
        return -1;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v == 0 || v > PLUGIN_ID_MAX)
        return -1;
    *id = (uint32_t)v;
    return 0;
}

/* Who the plugin runs as when the host is root: WARDEN_PLUGIN_UID ("UID" or "UID:GID", GID
 * defaulting to UID), else nobody. Never 0. Read at each spawn, like the runner's path. An
 * ordinary user's plugins run as that user: there is no other uid it could map. */
static int plugin_identity(uint32_t *uid, uint32_t *gid, char *why, size_t size)
{
    *uid = *gid = PLUGIN_ID_DEFAULT;
    const char *v = getenv("WARDEN_PLUGIN_UID");
    if (!v || !*v)
        return 0;
    const char *colon = strchr(v, ':');
    const char *end = v + strlen(v);
    if (parse_id(v, colon ? colon : end, uid) != 0 ||
        (colon ? parse_id(colon + 1, end, gid) : parse_id(v, end, gid)) != 0) {
        snprintf(why, size,
                 "WARDEN_PLUGIN_UID=\"%.64s\" is not UID or UID:GID with ids from 1 to %u: "
                 "refusing to run the plugin",
                 v, PLUGIN_ID_MAX);
        return -1;
    }
    return 0;
}

enum {
    /* The plugin's end of the socket lives at or above this descriptor until the spawn. */
    SOCKET_FD_MIN = 10,
    /* A setup entry's head (u16 tag, u32 length) and a u64 value. */
    SETUP_ENTRY_HEAD = 6,
    SETUP_U64 = 8,
    /* wd_filter_program's reason. */
    FILTER_WHY_SIZE = 256,
    PROC_FD_PATH_SIZE = 40
};

/* Who the runner makes the plugin (a root host only). */
typedef struct {
    int root;
    uint32_t uid, gid;
} plugin_ids;

/* fd, moved at or above SOCKET_FD_MIN (the original closed), or -1. Above every descriptor
 * the file actions write (0-4): a daemon with its standard streams closed gets the socket at
 * 0-2, and dup2(3, 3) would keep close-on-exec. */
static int move_high(int fd)
{
    if (fd < 0 || fd >= SOCKET_FD_MIN)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, SOCKET_FD_MIN);
    close(fd);
    return moved;
}

/* Starts the runner with /dev/null at 0-2, plugin_end at 3 and the shared network namespace
 * (if any) at 4. Returns 0 or an errno value. */
static int start_runner(const wd_instance *in, int plugin_end, int netns, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    if (in->process) {
        /* A process plugin's standard streams are the call's input, output and log. */
        for (int i = 0; i < 3; i++)
            posix_spawn_file_actions_adddup2(&fa, in->stdio_child[i], i);
        /* Relative paths mean what they mean in the policy: beneath its data directory. */
        const char *dir = in->broker.policy ? wd_policy_data_dir(in->broker.policy) : NULL;
        posix_spawn_file_actions_addchdir_np(&fa, dir && *dir ? dir : "/");
    } else {
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
    }
    posix_spawn_file_actions_adddup2(&fa, plugin_end, 3);
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
    /* The runner is executed through the descriptor checked when the instance started, never
     * by its path again: a file put in its place afterwards is not what runs. */
    char exe[PROC_FD_PATH_SIZE];
    snprintf(exe, sizeof(exe), "/proc/self/fd/%d", in->runner_fd);
    int e = plugin_end < 0      ? EMFILE
            : in->runner_fd < 0 ? ENOENT
                                : posix_spawn(pid, exe, &fa, &attr, argv, in->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return e;
}

/* The per-runner part of the setup, sent after the instance's own: the seccomp program with
 * this pid in it, the namespace and the identity. Returns 0 or a WD_S_* code with
 * res->message set. */
static int send_setup(wd_instance *in, pid_t pid, int netns, const plugin_ids *who,
                      wd_call_result *res)
{
    uint8_t *prog = NULL, *msg = NULL;
    size_t prog_len = 0;
    char why[FILTER_WHY_SIZE];
    int rc = 0;
    if ((in->process ? wd_filter_process_program(pid, &prog, &prog_len, why)
                     : wd_filter_program(pid, &prog, &prog_len, why)) != 0) {
        snprintf(res->message, sizeof(res->message), "%s", why);
        rc = WD_S_SETUP;
    }
    size_t total = in->setup_len + 3 * (SETUP_ENTRY_HEAD + SETUP_U64) + SETUP_ENTRY_HEAD + prog_len;
    if (!rc && total <= WD_PROTO_MAX_DATA)
        msg = malloc(total);
    int sent = -1;
    if (msg) {
        wd_setup_writer tail = {.data = msg, .len = in->setup_len, .cap = total, .failed = 0};
        memcpy(msg, in->setup, in->setup_len);
        wd_setup_put_u64(&tail, WD_SETUP_NETNS_FD, netns >= 0 ? 1 : 0);
        if (who->root) {
            wd_setup_put_u64(&tail, WD_SETUP_UID, who->uid);
            wd_setup_put_u64(&tail, WD_SETUP_GID, who->gid);
        }
        wd_setup_put(&tail, WD_SETUP_SECCOMP, prog, prog_len);
        if (!tail.failed)
            sent = wd_proto_send(in->sock, WD_MSG_SETUP, 0, 0, msg, tail.len,
                                 in->process ? in->exec_fd : in->memfd);
    }
    if (!rc && sent != 0) {
        snprintf(res->message, sizeof(res->message), "the runner did not take its setup");
        rc = WD_S_RUNNER;
    }
    free(msg);
    free(prog);
    return rc;
}

/* A process plugin's three pipes: the host keeps one end of each (non-blocking, close-on-exec),
 * the runner gets the other as 0, 1 and 2. Both ends live above the descriptors the spawn
 * writes. Returns 0 or an errno value. */
static int make_pipes(wd_instance *in)
{
    int p[3][2];
    for (int i = 0; i < 3; i++) {
        if (pipe2(p[i], O_CLOEXEC) != 0) {
            int e = errno;
            while (--i >= 0)
                close(p[i][0]), close(p[i][1]);
            return e;
        }
        for (int j = 0; j < 2; j++)
            p[i][j] = move_high(p[i][j]);
    }
    in->stdio_child[0] = p[0][0], in->std_in = p[0][1];
    in->stdio_child[1] = p[1][1], in->std_out = p[1][0];
    in->stdio_child[2] = p[2][1], in->std_err = p[2][0];
    fcntl(in->std_out, F_SETFL, O_NONBLOCK);
    fcntl(in->std_err, F_SETFL, O_NONBLOCK);
    return in->std_in < 0 || in->std_out < 0 || in->std_err < 0 ? EMFILE : 0;
}

int wd_runner_spawn(wd_instance *in, wd_call_result *res)
{
    wd_runner_finish_retired(in, 0);
    plugin_ids who = {.root = geteuid() == 0, .uid = 0, .gid = 0};
    if (who.root && plugin_identity(&who.uid, &who.gid, res->message, sizeof(res->message)) != 0)
        return WD_S_SETUP;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(res->message, sizeof(res->message), "cannot create the broker socket: %s",
                 strerror(errno));
        return WD_S_RUNNER;
    }
    int plugin_end = move_high(sv[1]);
    /* A process plugin gets a network namespace of its own: its DNS stub is on its loopback,
     * where no other plugin can ask it anything. */
    int netns = in->process ? -1 : wd_netns_shared();
    pid_t pid;
    int e = in->process ? make_pipes(in) : 0;
    if (!e)
        e = start_runner(in, plugin_end, netns, &pid);
    for (int i = 0; i < 3; i++)
        if (in->stdio_child[i] >= 0) {
            close(in->stdio_child[i]);
            in->stdio_child[i] = -1;
        }
    /* The runner has its copy (or never started): the host's goes either way. */
    if (plugin_end >= 0)
        close(plugin_end);
    if (e != 0) {
        close(sv[0]);
        snprintf(res->message, sizeof(res->message), "cannot start the runner %s: %s", in->runner,
                 strerror(e));
        return WD_S_RUNNER;
    }
    in->pid = pid;
    in->sock = sv[0];
    /* A runner that stops reading cannot block the host past the call's deadline. */
    struct timeval tv = {.tv_sec = (time_t)(in->timeout_ms / 1000),
                         .tv_usec = (suseconds_t)(in->timeout_ms % 1000) * 1000};
    setsockopt(in->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int rc = send_setup(in, pid, netns, &who, res);
    if (rc) {
        int st;
        wd_runner_reap(in, &st, 0);
    }
    return rc;
}

/* The address-space limit the runner was given (0: none), read back from the setup. */
static uint64_t memory_limit(const wd_instance *in)
{
    wd_setup_reader r = {in->setup, in->setup + in->setup_len};
    uint16_t tag;
    const uint8_t *v;
    size_t len;
    while (wd_setup_next(&r, &tag, &v, &len) == 1)
        if (tag == WD_SETUP_RLIMIT_AS && len == 8)
            return wd_setup_u64(v);
    return 0;
}

int wd_runner_outcome(const wd_instance *in, int own, int status, char *msg, size_t size)
{
    if (!own) {
        snprintf(msg, size, "the plugin closed the broker connection mid-call");
        return WD_S_EXITED;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == WD_RUNNER_EXIT_MEMORY) {
        uint64_t limit = memory_limit(in);
        snprintf(msg, size,
                 "the plugin reached its memory limit of %llu MiB (limits.memory, the address "
                 "space) and died of a fatal signal (the runner's log line says which)",
                 (unsigned long long)(limit >> 20));
        return WD_S_MEMORY;
    }
    if (!WIFSIGNALED(status)) {
        snprintf(msg, size, "the plugin exited with status %d mid-call", WEXITSTATUS(status));
        return WD_S_EXITED;
    }
    int sig = WTERMSIG(status);
    if (sig == SIGSYS) {
        snprintf(msg, size,
                 "the plugin made a system call the sandbox forbids and was killed (SIGSYS)");
        return WD_S_SYSCALL;
    }
    if (sig == SIGXCPU || (sig == SIGKILL && in->last_cpu_s >= in->cpu_limit_s)) {
        snprintf(msg, size, "the plugin used up its CPU time limit of %llu s (%s)",
                 (unsigned long long)in->cpu_limit_s,
                 sig == SIGXCPU ? "SIGXCPU" : "SIGKILL at the hard limit");
        return WD_S_CPU;
    }
    snprintf(msg, size, "the plugin crashed: %s (signal %d)", strsignal(sig), sig);
    return WD_S_CRASH;
}
