/* filter.c: the seccomp allowlist (filter.h). Everything not listed kills the process
 * (WD-S005); files are further confined by Landlock, and descriptors come from the broker. */
#include "sandbox/filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* A pid no process has (pids stop at 2^22): compiled in, then replaced by the runner's pid. */
#define PID_PLACEHOLDER 0x7eadbeefu

static const char *const allowed[] = {"read",
                                      "write",
                                      "readv",
                                      "writev",
                                      "pread64",
                                      "pwrite64",
                                      "preadv",
                                      "pwritev",
                                      "preadv2",
                                      "pwritev2",
                                      "lseek",
                                      "close",
                                      "fstat",
                                      "newfstatat",
                                      "stat",
                                      "lstat",
                                      "statx",
                                      "fstatfs",
                                      "statfs",
                                      "open",
                                      "openat",
                                      "mmap",
                                      "munmap",
                                      "mprotect",
                                      "mremap",
                                      "madvise",
                                      "brk",
                                      "rt_sigaction",
                                      "rt_sigprocmask",
                                      "rt_sigreturn",
                                      "sigaltstack",
                                      "futex",
                                      "set_robust_list",
                                      "get_robust_list",
                                      "rseq",
                                      "set_tid_address",
                                      "clock_gettime",
                                      "clock_getres",
                                      "clock_nanosleep",
                                      "nanosleep",
                                      "gettimeofday",
                                      "time",
                                      "getpid",
                                      "gettid",
                                      "getppid",
                                      "getuid",
                                      "geteuid",
                                      "getgid",
                                      "getegid",
                                      "getgroups",
                                      "exit",
                                      "exit_group",
                                      "getrandom",
                                      "recvmsg",
                                      "recvfrom",
                                      "poll",
                                      "ppoll",
                                      "select",
                                      "pselect6",
                                      "epoll_create1",
                                      "epoll_ctl",
                                      "epoll_wait",
                                      "epoll_pwait",
                                      "eventfd2",
                                      "pipe",
                                      "pipe2",
                                      "dup",
                                      "dup2",
                                      "dup3",
                                      "getdents64",
                                      "readlink",
                                      "readlinkat",
                                      "access",
                                      "faccessat",
                                      "faccessat2",
                                      "getcwd",
                                      "mkdir",
                                      "mkdirat",
                                      "unlink",
                                      "unlinkat",
                                      "rename",
                                      "renameat",
                                      "renameat2",
                                      "rmdir",
                                      "ftruncate",
                                      "fsync",
                                      "fdatasync",
                                      "sched_yield",
                                      "sched_getaffinity",
                                      "getrlimit",
                                      "uname",
                                      "shutdown",
                                      "getsockopt",
                                      "setsockopt",
                                      "getsockname",
                                      "getpeername",
                                      "fadvise64",
                                      "umask",
                                      "sysinfo",
                                      "getrusage",
                                      "times",
                                      "membarrier",
                                      "timerfd_create",
                                      "timerfd_settime",
                                      "timerfd_gettime",
                                      "sched_getparam",
                                      "sched_getscheduler"};

static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
                const struct scmp_arg_cmp *cmp)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0; /* not on this architecture */
    return seccomp_rule_add_array(ctx, action, nr, n, cmp);
}

static int build(scmp_filter_ctx ctx)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof(allowed) / sizeof(*allowed); i++)
        rc = rule(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
    struct scmp_arg_cmp unix_only = SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0);
    struct scmp_arg_cmp not_unix = SCMP_A0(SCMP_CMP_NE, AF_UNIX, 0);
    struct scmp_arg_cmp to_self = SCMP_A0(SCMP_CMP_EQ, PID_PLACEHOLDER, 0);
    struct scmp_arg_cmp no_address = SCMP_A4(SCMP_CMP_EQ, 0, 0);
    struct scmp_arg_cmp get_only[] = {SCMP_A0(SCMP_CMP_EQ, 0, 0), SCMP_A2(SCMP_CMP_EQ, 0, 0)};
    /* Threads only: CLONE_THREAD set, no namespace flags. (Comparisons spell out datum_b.) */
    const scmp_datum_t ns = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                            CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;
    struct scmp_arg_cmp thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | ns, CLONE_THREAD);
    static const unsigned long ioctls[] = {TCGETS, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX};
    /* New sockets: AF_UNIX only, and with connect and bind refused they reach nothing; the
     * rest fail with EACCES so a plugin can say what it tried. */
    if (!rc)
        rc = rule(ctx, SCMP_ACT_ALLOW, "socket", 1, &unix_only);
    if (!rc)
        rc = rule(ctx, SCMP_ACT_ERRNO(EACCES), "socket", 1, &not_unix);
    if (!rc)
        rc = rule(ctx, SCMP_ACT_ALLOW, "socketpair", 1, &unix_only);
    if (!rc)
        rc = rule(ctx, SCMP_ACT_ALLOW, "sendto", 1, &no_address);
    /* Signals to itself only (abort, raise); never the host or anyone else. */
    if (!rc)
        rc = rule(ctx, SCMP_ACT_ALLOW, "kill", 1, &to_self);
    if (!rc)
        rc = rule(ctx, SCMP_ACT_ALLOW, "tgkill", 1, &to_self);
    if (!rc)
        rc = rule(ctx, SCMP_ACT_ALLOW, "prlimit64", 2, get_only);
    if (!rc)
        rc = rule(ctx, SCMP_ACT_ALLOW, "clone", 1, &thread);
    /* glibc tries clone3 first and falls back to clone, whose flags a filter can inspect. */
    if (!rc)
        rc = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
    /* fcntl by command. F_SETOWN, F_SETOWN_EX and F_SETSIG fail with EPERM: they would have the
     * kernel send signals (SIGKILL even) to a process the plugin names, the host included, and
     * without Landlock ABI 6 nothing else stops that. Any other command kills. */
    static const unsigned long fcntls[] = {
        F_GETFD, F_SETFD,  F_GETFL,     F_SETFL,     F_DUPFD,      F_DUPFD_CLOEXEC, F_GETLK,
        F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_GETPIPE_SZ,    F_GET_SEALS};
    for (size_t i = 0; !rc && i < sizeof(fcntls) / sizeof(*fcntls); i++) {
        struct scmp_arg_cmp cmd = SCMP_A1(SCMP_CMP_EQ, fcntls[i], 0);
        rc = rule(ctx, SCMP_ACT_ALLOW, "fcntl", 1, &cmd);
    }
    static const unsigned long signalling[] = {F_SETOWN, F_SETOWN_EX, F_SETSIG};
    for (size_t i = 0; !rc && i < sizeof(signalling) / sizeof(*signalling); i++) {
        struct scmp_arg_cmp cmd = SCMP_A1(SCMP_CMP_EQ, signalling[i], 0);
        rc = rule(ctx, SCMP_ACT_ERRNO(EPERM), "fcntl", 1, &cmd);
    }
    for (size_t i = 0; !rc && i < sizeof(ioctls) / sizeof(*ioctls); i++) {
        struct scmp_arg_cmp cmd = SCMP_A1(SCMP_CMP_EQ, ioctls[i], 0);
        rc = rule(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &cmd);
    }
    return rc;
}

static struct sock_filter *program;
static size_t program_len; /* instructions */
static char program_why[256];

static void compile_once(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) {
        snprintf(program_why, sizeof(program_why), "seccomp: cannot create a filter");
        return;
    }
    /* A binary tree rather than libseccomp's default chain: the kernel runs the filter once
     * per system call number when it builds its cache, so a chain costs the cold call ~0.1 ms. */
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (!rc)
        rc = build(ctx);
    int mfd = rc ? -1 : memfd_create("warden-filter", MFD_CLOEXEC);
    if (!rc && mfd < 0)
        rc = -errno;
    if (!rc)
        rc = seccomp_export_bpf(ctx, mfd);
    seccomp_release(ctx);
    off_t size = rc ? 0 : lseek(mfd, 0, SEEK_END);
    if (!rc && (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 || size > 65536))
        rc = -EPROTO;
    struct sock_filter *p = rc ? NULL : malloc((size_t)size);
    if (!rc && (!p || pread(mfd, p, (size_t)size, 0) != size))
        rc = -EIO;
    if (mfd >= 0)
        close(mfd);
    if (rc) {
        free(p);
        snprintf(program_why, sizeof(program_why), "seccomp: cannot compile the filter: %s",
                 strerror(-rc));
        return;
    }
    program = p;
    program_len = (size_t)size / sizeof(struct sock_filter);
}

struct sock_filter *wd_filter_dup(const struct sock_filter *prog, size_t n,
                                  const char *not_compiled, char *why)
{
    if (!prog) {
        snprintf(why, 256, "%s", not_compiled);
        return NULL;
    }
    struct sock_filter *copy = malloc(n * sizeof(*copy));
    if (!copy) {
        snprintf(why, 256, "out of memory");
        return NULL;
    }
    memcpy(copy, prog, n * sizeof(*copy));
    return copy;
}

int wd_filter_program(pid_t pid, uint8_t **out, size_t *len, char *why)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, compile_once);
    struct sock_filter *copy = wd_filter_dup(program, program_len, program_why, why);
    if (!copy)
        return -1;
    size_t patched = 0;
    for (size_t i = 0; i < program_len; i++)
        if (BPF_CLASS(copy[i].code) == BPF_JMP && copy[i].k == PID_PLACEHOLDER) {
            copy[i].k = (uint32_t)pid;
            patched++;
        }
    if (patched == 0) { /* the signal rules would let nothing through, or worse: refuse */
        free(copy);
        snprintf(why, 256, "seccomp: unexpected filter layout (no pid comparison)");
        return -1;
    }
    *out = (uint8_t *)copy;
    *len = program_len * sizeof(*copy);
    return 0;
}
