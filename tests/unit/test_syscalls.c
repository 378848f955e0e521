/* test_syscalls.c: the mediation table of process plugins classifies every system call the
 * kernel headers define, mediates every path-taking one, and the program compiled from it does
 * what the table says: evaluated instruction by instruction for every entry and for argument
 * values that try to slip past the argument tests, and loaded into a real child with a
 * listener, where every known way around the broker fails with its documented errno and the
 * path and address calls reach the listener. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <grp.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <linux/fs.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "sandbox/filter.h"
#include "sandbox/syscalls.h"

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define FOREIGN_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define FOREIGN_ARCH AUDIT_ARCH_ARM
#else
#error "add this architecture's audit arch"
#endif

/* Every call that names a file or an address to act on: none may be plainly allowed. */
static const char *const path_taking[] = {
    "open",     "openat", "openat2",  "creat",     "mkdir",  "mkdirat",   "mknod",
    "mknodat",  "unlink", "unlinkat", "rmdir",     "rename", "renameat",  "renameat2",
    "link",     "linkat", "symlink",  "symlinkat", "chmod",  "fchmodat",  "fchmodat2",
    "chown",    "lchown", "fchownat", "utime",     "utimes", "futimesat", "utimensat",
    "truncate", "execve", "execveat", "connect",   "bind",
};

/* (a) Completeness. */

static void every_header_call_is_classified(void **state)
{
    (void)state;
    size_t n;
    const char *const *names = wd_syscall_header_names(&n);
    assert_true(n > 300);
    for (size_t i = 0; i < n; i++) {
        const wd_sys_entry *e = wd_syscall_find(names[i]);
        if (!e)
            fail_msg("%s is not classified", names[i]);
        assert_string_equal(e->name, names[i]);
        assert_true(e->why && *e->why);
    }
    assert_null(wd_syscall_find("no_such_call"));
    assert_null(wd_syscall_find(""));
}

static void table_is_sorted_and_well_formed(void **state)
{
    (void)state;
    size_t n;
    const wd_sys_entry *t = wd_syscall_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (i)
            assert_true(strcmp(t[i - 1].name, t[i].name) < 0);
        assert_ptr_equal(wd_syscall_find(t[i].name), &t[i]);
        if (t[i].cls == WD_SYS_REFUSE)
            assert_true(t[i].err > 0 && t[i].err < 4096);
        else
            assert_int_equal(t[i].err, 0);
        assert_string_not_equal(wd_syscall_class_name(t[i].cls), "?");
    }
}

static void no_path_taking_call_is_allowed_nor_a_kernel_call_survives(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(path_taking) / sizeof(*path_taking); i++) {
        const wd_sys_entry *e = wd_syscall_find(path_taking[i]);
        if (!e)
            fail_msg("%s is not classified", path_taking[i]);
        if (e->cls != WD_SYS_NOTIFY || e->allow_if)
            fail_msg("%s is %s%s, not mediated by the broker", e->name,
                     wd_syscall_class_name(e->cls), e->allow_if ? " by argument" : "");
    }
    static const char *const fatal[] = {"kexec_load",  "kexec_file_load", "reboot",
                                        "init_module", "finit_module",    "delete_module"};
    for (size_t i = 0; i < sizeof(fatal) / sizeof(*fatal); i++) {
        const wd_sys_entry *e = wd_syscall_find(fatal[i]);
        if (!e || e->cls != WD_SYS_KILL)
            fail_msg("%s does not kill", fatal[i]);
    }
    const wd_sys_entry *sendto = wd_syscall_find("sendto");
    assert_non_null(sendto);
    assert_int_equal(sendto->cls, WD_SYS_NOTIFY);
}

/* (b) The compiled program, evaluated as the kernel would. */

typedef struct {
    uint8_t *bytes;
    size_t len;
} program;

static program get_program(void)
{
    program p = {0};
    char why[256] = "";
    if (wd_filter_process_program(getpid(), &p.bytes, &p.len, why) != 0)
        fail_msg("wd_filter_process_program: %s", why);
    assert_true(p.len > 0 && p.len % sizeof(struct sock_filter) == 0);
    assert_true(p.len / sizeof(struct sock_filter) <= BPF_MAXINSNS);
    return p;
}

/* A classic BPF interpreter for the instructions a seccomp program may hold. */
static uint32_t run_bpf(const program *p, uint32_t arch, int nr, const uint64_t args[6])
{
    struct seccomp_data d = {.nr = nr, .arch = arch};
    memcpy(d.args, args, sizeof(d.args));
    const struct sock_filter *f = (const struct sock_filter *)p->bytes;
    size_t n = p->len / sizeof(*f);
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
    for (size_t pc = 0; pc < n; pc++) {
        const struct sock_filter *in = &f[pc];
        uint32_t src = BPF_SRC(in->code) == BPF_X ? x : in->k;
        switch (BPF_CLASS(in->code)) {
        case BPF_LD:
            if (BPF_MODE(in->code) == BPF_ABS && BPF_SIZE(in->code) == BPF_W && in->k % 4 == 0 &&
                in->k + 4 <= sizeof(d))
                memcpy(&a, (const uint8_t *)&d + in->k, 4);
            else if (BPF_MODE(in->code) == BPF_IMM)
                a = in->k;
            else if (BPF_MODE(in->code) == BPF_MEM && in->k < BPF_MEMWORDS)
                a = mem[in->k];
            else
                fail_msg("unexpected load 0x%x at %zu", in->code, pc);
            break;
        case BPF_LDX:
            if (BPF_MODE(in->code) == BPF_IMM)
                x = in->k;
            else if (BPF_MODE(in->code) == BPF_MEM && in->k < BPF_MEMWORDS)
                x = mem[in->k];
            else
                fail_msg("unexpected load 0x%x at %zu", in->code, pc);
            break;
        case BPF_ST:
        case BPF_STX:
            assert_true(in->k < BPF_MEMWORDS);
            mem[in->k] = BPF_CLASS(in->code) == BPF_ST ? a : x;
            break;
        case BPF_ALU:
            switch (BPF_OP(in->code)) {
            case BPF_AND:
                a &= src;
                break;
            case BPF_OR:
                a |= src;
                break;
            case BPF_ADD:
                a += src;
                break;
            case BPF_SUB:
                a -= src;
                break;
            case BPF_RSH:
                a = src < 32 ? a >> src : 0;
                break;
            case BPF_LSH:
                a = src < 32 ? a << src : 0;
                break;
            default:
                fail_msg("unexpected alu 0x%x at %zu", in->code, pc);
            }
            break;
        case BPF_JMP: {
            if (BPF_OP(in->code) == BPF_JA) {
                pc += in->k;
                break;
            }
            bool t;
            switch (BPF_OP(in->code)) {
            case BPF_JEQ:
                t = a == src;
                break;
            case BPF_JGT:
                t = a > src;
                break;
            case BPF_JGE:
                t = a >= src;
                break;
            case BPF_JSET:
                t = (a & src) != 0;
                break;
            default:
                fail_msg("unexpected jump 0x%x at %zu", in->code, pc);
                return 0;
            }
            pc += t ? in->jt : in->jf;
            break;
        }
        case BPF_RET:
            return BPF_RVAL(in->code) == BPF_A ? a : in->k;
        case BPF_MISC:
            if (BPF_MISCOP(in->code) == BPF_TAX)
                x = a;
            else
                a = x;
            break;
        default:
            fail_msg("unexpected instruction 0x%x at %zu", in->code, pc);
        }
    }
    fail_msg("the program runs off its end");
    return 0;
}

static uint32_t expected_action(const wd_sys_entry *e)
{
    switch (e->cls) {
    case WD_SYS_ALLOW:
        return SECCOMP_RET_ALLOW;
    case WD_SYS_NOTIFY:
        return SECCOMP_RET_USER_NOTIF;
    case WD_SYS_REFUSE:
        return SECCOMP_RET_ERRNO | ((uint32_t)e->err & SECCOMP_RET_DATA);
    case WD_SYS_KILL:
        break;
    }
    return SECCOMP_RET_KILL_PROCESS;
}

static int number(const char *name)
{
    int nr = wd_filter_syscall_number(name);
    if (nr < 0)
        fail_msg("%s has no number here", name);
    return nr;
}

/* What the program answers for name with args. */
static uint32_t verdict(const program *p, const char *name, uint64_t a0, uint64_t a1, uint64_t a4)
{
    const uint64_t args[6] = {a0, a1, 0, 0, a4, 0};
    return run_bpf(p, NATIVE_ARCH, number(name), args);
}

#define ERRNO(e) (SECCOMP_RET_ERRNO | (uint32_t)(e))
#define HIGH ((uint64_t)1 << 32)

static void program_does_what_the_table_says(void **state)
{
    (void)state;
    program p = get_program();
    size_t n;
    const wd_sys_entry *t = wd_syscall_table(&n);
    size_t checked = 0;
    static const uint64_t zero[6] = {0};
    static const uint64_t ones[6] = {~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull};
    for (size_t i = 0; i < n; i++) {
        int nr = wd_filter_syscall_number(t[i].name);
        if (nr < 0 || t[i].allow_if)
            continue; /* absent on this architecture; argument tests: below */
        uint32_t want = expected_action(&t[i]);
        uint32_t got = run_bpf(&p, NATIVE_ARCH, nr, zero);
        if (got != want || run_bpf(&p, NATIVE_ARCH, nr, ones) != want)
            fail_msg("%s (%d): the program answers 0x%x, the table says 0x%x", t[i].name, nr, got,
                     want);
        checked++;
    }
    assert_true(checked > 300);
    /* Numbers nobody classified, other architectures and the x32 ABI: killed. */
    assert_int_equal(run_bpf(&p, NATIVE_ARCH, 1000, zero), SECCOMP_RET_KILL_PROCESS);
    assert_int_equal(run_bpf(&p, FOREIGN_ARCH, number("getpid"), zero), SECCOMP_RET_KILL_PROCESS);
    assert_int_equal(run_bpf(&p, NATIVE_ARCH, 0x40000000 | number("getpid"), zero),
                     SECCOMP_RET_KILL_PROCESS);
    assert_int_equal(run_bpf(&p, NATIVE_ARCH, -1, zero), SECCOMP_RET_KILL_PROCESS);
    free(p.bytes);
}

static void argument_tests_cannot_be_dodged(void **state)
{
    (void)state;
    program p = get_program();
    /* sendto: the socket's own peer, or an address the broker decides. */
    assert_int_equal(verdict(&p, "sendto", 3, 0, 0), SECCOMP_RET_ALLOW);
    assert_int_equal(verdict(&p, "sendto", 3, 0, 0x1000), SECCOMP_RET_USER_NOTIF);
    assert_int_equal(verdict(&p, "sendto", 3, 0, HIGH), SECCOMP_RET_USER_NOTIF);
    /* socket: three families, judged on the int the kernel reads. */
    const uint64_t fine[] = {AF_UNIX, AF_INET, AF_INET6, HIGH | AF_UNIX, ~0ull << 32 | AF_INET6};
    for (size_t i = 0; i < sizeof(fine) / sizeof(*fine); i++)
        assert_int_equal(verdict(&p, "socket", fine[i], SOCK_STREAM, 0), SECCOMP_RET_ALLOW);
    assert_int_equal(verdict(&p, "socket", AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0),
                     SECCOMP_RET_ALLOW);
    assert_int_equal(verdict(&p, "socket", AF_INET, SOCK_DGRAM, 0), SECCOMP_RET_ALLOW);
    /* A unix datagram or seqpacket socket could sendmsg to any socket file of the host. */
    const uint64_t unix_types[] = {
        SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW, SOCK_DGRAM | SOCK_CLOEXEC, 0, 15};
    for (size_t i = 0; i < sizeof(unix_types) / sizeof(*unix_types); i++)
        if (verdict(&p, "socket", AF_UNIX, unix_types[i], 0) != ERRNO(EAFNOSUPPORT))
            fail_msg("socket(AF_UNIX, 0x%llx) is not refused", (unsigned long long)unix_types[i]);
    const uint64_t other[] = {0,
                              AF_NETLINK,
                              AF_PACKET,
                              AF_VSOCK,
                              3,
                              11,
                              9,
                              HIGH | AF_NETLINK,
                              0xffffffff,
                              HIGH,
                              AF_UNIX | 0x100,
                              AF_INET | 0x80000000u};
    for (size_t i = 0; i < sizeof(other) / sizeof(*other); i++)
        if (verdict(&p, "socket", other[i], SOCK_RAW, 0) != ERRNO(EAFNOSUPPORT))
            fail_msg("socket(0x%llx) is not refused", (unsigned long long)other[i]);
    /* socketpair: a connected unix pair only. */
    assert_int_equal(verdict(&p, "socketpair", AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
                     SECCOMP_RET_ALLOW);
    assert_int_equal(verdict(&p, "socketpair", AF_UNIX, SOCK_SEQPACKET, 0), SECCOMP_RET_ALLOW);
    assert_int_equal(verdict(&p, "socketpair", AF_UNIX, SOCK_DGRAM, 0), ERRNO(EAFNOSUPPORT));
    assert_int_equal(verdict(&p, "socketpair", AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0),
                     ERRNO(EAFNOSUPPORT));
    assert_int_equal(verdict(&p, "socketpair", AF_INET, SOCK_STREAM, 0), ERRNO(EAFNOSUPPORT));
    /* ioctl: TIOCSTI and TIOCLINUX refused whatever the upper half says. */
    const uint64_t inject[] = {
        TIOCSTI,         TIOCLINUX,         HIGH | TIOCSTI,   ~0ull << 32 | TIOCLINUX,
        FS_IOC_SETFLAGS, FS_IOC32_SETFLAGS, FS_IOC_FSSETXATTR};
    for (size_t i = 0; i < sizeof(inject) / sizeof(*inject); i++)
        if (verdict(&p, "ioctl", 0, inject[i], 0) != ERRNO(EPERM))
            fail_msg("ioctl(0x%llx) is not refused", (unsigned long long)inject[i]);
    const uint64_t ordinary[] = {TCGETS,      TIOCGWINSZ,     FIONREAD,      FIONBIO,
                                 TIOCSTI + 1, TIOCSTI ^ 0x10, TIOCLINUX - 1, 0x80000000u | TIOCSTI,
                                 0,           0xffffffff};
    for (size_t i = 0; i < sizeof(ordinary) / sizeof(*ordinary); i++)
        if (verdict(&p, "ioctl", 0, ordinary[i], 0) != SECCOMP_RET_ALLOW)
            fail_msg("ioctl(0x%llx) is not allowed", (unsigned long long)ordinary[i]);
    /* prctl: PR_SET_SECCOMP only. */
    assert_int_equal(verdict(&p, "prctl", PR_SET_SECCOMP, 0, 0), ERRNO(EPERM));
    assert_int_equal(verdict(&p, "prctl", HIGH | PR_SET_SECCOMP, 0, 0), ERRNO(EPERM));
    assert_int_equal(verdict(&p, "prctl", PR_GET_SECCOMP, 0, 0), SECCOMP_RET_ALLOW);
    assert_int_equal(verdict(&p, "prctl", PR_SET_NO_NEW_PRIVS, 0, 0), SECCOMP_RET_ALLOW);
    assert_int_equal(verdict(&p, "prctl", PR_SET_NAME, 0, 0), SECCOMP_RET_ALLOW);
    /* prlimit64: the process's own limits only. */
    assert_int_equal(verdict(&p, "prlimit64", 0, RLIMIT_NOFILE, 0), SECCOMP_RET_ALLOW);
    assert_int_equal(verdict(&p, "prlimit64", 1, RLIMIT_NOFILE, 0), ERRNO(EPERM));
    assert_int_equal(verdict(&p, "prlimit64", 0xffffffff, RLIMIT_NOFILE, 0), ERRNO(EPERM));
    assert_int_equal(verdict(&p, "prlimit64", HIGH | 1, RLIMIT_NOFILE, 0), ERRNO(EPERM));
    /* clone: processes and threads, never a namespace. */
    const uint64_t plain[] = {SIGCHLD, CLONE_VM | CLONE_VFORK | SIGCHLD,
                              CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                  CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                                  CLONE_CHILD_CLEARTID};
    for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++)
        assert_int_equal(verdict(&p, "clone", plain[i], 0, 0), SECCOMP_RET_ALLOW);
    const uint64_t ns[] = {CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                           CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET, CLONE_PARENT};
    for (size_t i = 0; i < sizeof(ns) / sizeof(*ns); i++) {
        assert_int_equal(verdict(&p, "clone", ns[i] | SIGCHLD, 0, 0), ERRNO(EPERM));
        assert_int_equal(verdict(&p, "clone", HIGH | ns[i] | CLONE_VM, 0, 0), ERRNO(EPERM));
    }
    free(p.bytes);
}

/* (c) The real thing: a child under the program, its listener answered by this process. */

enum { MAX_NR = 1024, MAX_PROBES = 64 };

typedef struct {
    int id;
    long ret;
    int err;
} probe_result;

typedef struct {
    const char *what;
    int want_errno; /* 0: must succeed */
} probe_spec;

/* The child's probes, by index into this table. */
enum {
    P_SECCOMP_FILTER,
    P_SECCOMP_QUERY,
    P_PRCTL_SECCOMP,
    P_PRCTL_SECCOMP_HIGH,
    P_PRCTL_OTHER,
    P_IO_URING_SETUP,
    P_IO_URING_ENTER,
    P_PTRACE_TRACEME,
    P_PTRACE_ATTACH,
    P_VM_READV,
    P_VM_WRITEV,
    P_TIOCSTI,
    P_TIOCSTI_HIGH,
    P_TIOCLINUX,
    P_IOCTL_OTHER,
    P_OPEN_BY_HANDLE,
    P_NAME_TO_HANDLE,
    P_UNSHARE,
    P_MOUNT,
    P_CLONE3,
    P_CLONE_NEWUSER,
    P_CLONE_PLAIN,
    P_NETLINK,
    P_NETLINK_HIGH,
    P_SOCKET_UNIX,
    P_SOCKET_INET,
    P_PIDFD_GETFD,
    P_USERFAULTFD,
    P_INOTIFY_WATCH,
    P_PRLIMIT_OTHER,
    P_PRLIMIT_SELF,
    P_OPENAT_DENIED,
    P_OPENAT_CONTINUED,
    P_CONNECT,
    P_BIND,
    P_SENDTO_ADDRESS,
    P_SENDTO_PEER,
    P_MKDIRAT,
    P_EXECVE,
    P_COUNT
};

static const probe_spec probes[P_COUNT] = {
    [P_SECCOMP_FILTER] = {"seccomp(SET_MODE_FILTER): a second filter", EPERM},
    [P_SECCOMP_QUERY] = {"seccomp(GET_ACTION_AVAIL)", EPERM},
    [P_PRCTL_SECCOMP] = {"prctl(PR_SET_SECCOMP)", EPERM},
    [P_PRCTL_SECCOMP_HIGH] = {"prctl(PR_SET_SECCOMP | 1<<32)", EPERM},
    [P_PRCTL_OTHER] = {"prctl(PR_GET_NO_NEW_PRIVS)", 0},
    [P_IO_URING_SETUP] = {"io_uring_setup", ENOSYS},
    [P_IO_URING_ENTER] = {"io_uring_enter", ENOSYS},
    [P_PTRACE_TRACEME] = {"ptrace(PTRACE_TRACEME)", EPERM},
    [P_PTRACE_ATTACH] = {"ptrace(PTRACE_ATTACH)", EPERM},
    [P_VM_READV] = {"process_vm_readv(parent)", EPERM},
    [P_VM_WRITEV] = {"process_vm_writev(parent)", EPERM},
    [P_TIOCSTI] = {"ioctl(TIOCSTI)", EPERM},
    [P_TIOCSTI_HIGH] = {"ioctl(TIOCSTI | 1<<32)", EPERM},
    [P_TIOCLINUX] = {"ioctl(TIOCLINUX)", EPERM},
    [P_IOCTL_OTHER] = {"ioctl(FIONREAD)", 0},
    [P_OPEN_BY_HANDLE] = {"open_by_handle_at", EPERM},
    [P_NAME_TO_HANDLE] = {"name_to_handle_at", EPERM},
    [P_UNSHARE] = {"unshare(CLONE_NEWUSER|CLONE_NEWNS)", EPERM},
    [P_MOUNT] = {"mount(tmpfs)", EPERM},
    [P_CLONE3] = {"clone3", ENOSYS},
    [P_CLONE_NEWUSER] = {"clone(CLONE_NEWUSER)", EPERM},
    [P_CLONE_PLAIN] = {"clone(SIGCHLD): a plain fork", 0},
    [P_NETLINK] = {"socket(AF_NETLINK)", EAFNOSUPPORT},
    [P_NETLINK_HIGH] = {"socket(AF_NETLINK | 1<<32)", EAFNOSUPPORT},
    [P_SOCKET_UNIX] = {"socket(AF_UNIX)", 0},
    [P_SOCKET_INET] = {"socket(AF_INET)", 0},
    [P_PIDFD_GETFD] = {"pidfd_getfd", EPERM},
    [P_USERFAULTFD] = {"userfaultfd", EPERM},
    [P_INOTIFY_WATCH] = {"inotify_add_watch", EACCES},
    [P_PRLIMIT_OTHER] = {"prlimit64(parent)", EPERM},
    [P_PRLIMIT_SELF] = {"prlimit64(0)", 0},
    [P_OPENAT_DENIED] = {"openat, answered EACCES by the listener", EACCES},
    [P_OPENAT_CONTINUED] = {"openat, answered CONTINUE by the listener", 0},
    [P_CONNECT] = {"connect, answered EACCES by the listener", EACCES},
    [P_BIND] = {"bind, answered EACCES by the listener", EACCES},
    [P_SENDTO_ADDRESS] = {"sendto with an address, answered EACCES", EACCES},
    [P_SENDTO_PEER] = {"sendto without an address", 0},
    [P_MKDIRAT] = {"mkdirat, answered EACCES by the listener", EACCES},
    [P_EXECVE] = {"execve, answered EACCES by the listener", EACCES},
};

/* The calls the listener must have seen. */
static const char *const notified[] = {"openat", "connect", "bind", "sendto", "mkdirat", "execve"};

/* The listener answers CONTINUE for an openat whose flags carry this harmless marker. */
#define CONTINUE_MARK O_NOCTTY

static void report(int out, int id, long ret)
{
    probe_result r = {.id = id, .ret = ret, .err = ret < 0 ? errno : 0};
    if (write(out, &r, sizeof(r)) != (ssize_t)sizeof(r))
        _exit(3);
}

/* A call that creates a process returns 0 in the new one: it must not run the probes twice. */
static long forked(long ret)
{
    if (ret == 0)
        _exit(0);
    if (ret > 0)
        waitpid((pid_t)ret, NULL, 0);
    return ret;
}

static void run_probes(int out, const char *mount_dir)
{
    struct sock_filter allow_all[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog second = {.len = 1, .filter = allow_all};
    uint32_t action = SECCOMP_RET_ALLOW;
    int pfd[2];
    if (pipe(pfd) != 0)
        _exit(4);
    pid_t parent = getppid();
    char local[16], remote[16] = "";
    struct iovec lio = {local, sizeof(local)}, rio = {remote, sizeof(remote)};
    char c = 'x';
    int avail = 0;
    struct io_uring_params params;
    memset(&params, 0, sizeof(params));
    struct clone_args cargs = {.exit_signal = SIGCHLD};
    struct rlimit lim;
    struct {
        struct file_handle h;
        unsigned char bytes[128];
    } handle = {.h = {.handle_bytes = 128}};
    int mount_id;
    struct sockaddr_in lo = {
        .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) != 0)
        _exit(4);

    report(out, P_SECCOMP_FILTER, syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &second));
    report(out, P_SECCOMP_QUERY, syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action));
    report(out, P_PRCTL_SECCOMP,
           syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &second, 0, 0));
    report(out, P_PRCTL_SECCOMP_HIGH,
           syscall(SYS_prctl, HIGH | PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &second, 0, 0));
    long nnp = syscall(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    report(out, P_PRCTL_OTHER, nnp == 1 ? 0 : (errno = EPROTO, -1));
    report(out, P_IO_URING_SETUP, syscall(SYS_io_uring_setup, 4, &params));
    report(out, P_IO_URING_ENTER, syscall(SYS_io_uring_enter, 0, 0, 0, 0, NULL, 0));
    report(out, P_PTRACE_TRACEME, syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0));
    /* A pid nobody has: through a broken filter the kernel says ESRCH, not EPERM. */
    report(out, P_PTRACE_ATTACH, syscall(SYS_ptrace, PTRACE_ATTACH, 0x3fffffff, 0, 0));
    report(out, P_VM_READV, syscall(SYS_process_vm_readv, parent, &lio, 1, &rio, 1, 0));
    report(out, P_VM_WRITEV, syscall(SYS_process_vm_writev, parent, &lio, 1, &rio, 1, 0));
    /* On a pipe: through a broken filter the kernel says ENOTTY. */
    report(out, P_TIOCSTI, syscall(SYS_ioctl, pfd[0], TIOCSTI, &c));
    report(out, P_TIOCSTI_HIGH, syscall(SYS_ioctl, pfd[0], HIGH | TIOCSTI, &c));
    report(out, P_TIOCLINUX, syscall(SYS_ioctl, pfd[0], TIOCLINUX, &c));
    report(out, P_IOCTL_OTHER, syscall(SYS_ioctl, pfd[0], FIONREAD, &avail));
    report(out, P_OPEN_BY_HANDLE, syscall(SYS_open_by_handle_at, -1, &handle.h, O_RDONLY));
    report(out, P_NAME_TO_HANDLE,
           syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &handle.h, &mount_id, 0));
    report(out, P_UNSHARE, syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS));
    report(out, P_MOUNT, syscall(SYS_mount, "none", mount_dir, "tmpfs", 0, ""));
    report(out, P_CLONE3, forked(syscall(SYS_clone3, &cargs, sizeof(cargs))));
    report(out, P_CLONE_NEWUSER, forked(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)));
    report(out, P_CLONE_PLAIN, forked(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)) > 0 ? 0 : -1);
    long s = syscall(SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    report(out, P_NETLINK, s);
    s = syscall(SYS_socket, HIGH | AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    report(out, P_NETLINK_HIGH, s);
    long u = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    report(out, P_SOCKET_UNIX, u < 0 ? u : 0);
    long inet = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
    report(out, P_SOCKET_INET, inet < 0 ? inet : 0);
    report(out, P_PIDFD_GETFD, syscall(SYS_pidfd_getfd, -1, 0, 0));
    report(out, P_USERFAULTFD, syscall(SYS_userfaultfd, 0));
    report(out, P_INOTIFY_WATCH, syscall(SYS_inotify_add_watch, -1, "/", 0x2));
    report(out, P_PRLIMIT_OTHER, syscall(SYS_prlimit64, parent, RLIMIT_NOFILE, NULL, &lim));
    report(out, P_PRLIMIT_SELF, syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &lim));
    report(out, P_OPENAT_DENIED, syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY));
    long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | CONTINUE_MARK);
    report(out, P_OPENAT_CONTINUED, fd < 0 ? fd : 0);
    report(out, P_CONNECT, syscall(SYS_connect, (int)inet, &lo, sizeof(lo)));
    report(out, P_BIND, syscall(SYS_bind, (int)inet, &lo, sizeof(lo)));
    report(out, P_SENDTO_ADDRESS, syscall(SYS_sendto, sp[0], "x", 1, 0, &lo, sizeof(lo)));
    report(out, P_SENDTO_PEER, syscall(SYS_sendto, sp[0], "x", 1, 0, NULL, 0) == 1 ? 0 : -1);
    report(out, P_MKDIRAT, syscall(SYS_mkdirat, AT_FDCWD, "/tmp/warden-never-made", 0700));
    char *const argv[] = {"true", NULL};
    report(out, P_EXECVE, syscall(SYS_execve, "/bin/true", argv, NULL));
}

static int send_fd(int sock, int fd)
{
    char byte = 'L';
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

/* The child: confine, hand the listener over, probe, exit. Never returns. */
static void child(const program *p, int sock, int out, const char *mount_dir)
{
    struct sock_fprog prog = {.len = (unsigned short)(p->len / sizeof(struct sock_filter)),
                              .filter = (struct sock_filter *)p->bytes};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        _exit(5);
    long listener =
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0)
        _exit(6);
    if (send_fd(sock, (int)listener) != 0)
        _exit(7);
    close((int)listener);
    close(sock);
    run_probes(out, mount_dir);
    _exit(0); /* exit_group, and no atexit handlers (a leak checker would ptrace) */
}

typedef struct {
    bool seen[MAX_NR];
    int answered;
} listener_log;

/* One notification: recorded, then answered EACCES, or CONTINUE for the marked openat. */
static void answer(int listener, listener_log *log)
{
    struct seccomp_notif req;
    memset(&req, 0, sizeof(req));
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
        return; /* the child died or the call was interrupted */
    if (req.data.nr >= 0 && req.data.nr < MAX_NR)
        log->seen[req.data.nr] = true;
    struct seccomp_notif_resp resp = {.id = req.id, .error = -EACCES};
    if (req.data.nr == SYS_openat && (req.data.args[2] & CONTINUE_MARK)) {
        resp.error = 0;
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    }
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0)
        log->answered++;
}

static void bypasses_fail_and_paths_reach_the_listener(void **state)
{
    (void)state;
    program p = get_program();
    char *dir = wd_test_tmpdir();
    int sv[2], res[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(pipe2(res, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        close(res[0]);
        child(&p, sv[1], res[1], dir);
    }
    close(sv[1]);
    close(res[1]);
    int listener = recv_fd(sv[0]);
    close(sv[0]);
    probe_result got[P_COUNT];
    bool have[P_COUNT] = {false};
    listener_log *log = calloc(1, sizeof(*log));
    assert_non_null(log);
    /* Serve the listener until the child closes its end of the results; a child that stops
     * answering (stopped by a ptrace a broken filter let through) is killed. */
    bool timed_out = false;
    int last = -1;
    for (bool open = true; open;) {
        struct pollfd fds[2] = {{.fd = res[0], .events = POLLIN},
                                {.fd = listener, .events = POLLIN}};
        int n = poll(fds, listener >= 0 ? 2 : 1, 30000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        if (listener >= 0 && (fds[1].revents & POLLIN))
            answer(listener, log);
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            probe_result r;
            ssize_t k = read(res[0], &r, sizeof(r));
            if (k == 0) {
                open = false;
            } else {
                assert_int_equal(k, sizeof(r));
                assert_true(r.id >= 0 && r.id < P_COUNT);
                got[r.id] = r;
                have[r.id] = true;
                last = r.id;
            }
        }
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (listener >= 0)
        close(listener);
    close(res[0]);
    umount2(dir, MNT_DETACH); /* only if a broken filter let the mount through */
    wd_test_rmtree(dir);
    free(p.bytes);
    if (timed_out)
        fail_msg("the child stopped answering after: %s", last >= 0 ? probes[last].what : "-");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the child %s %d", WIFSIGNALED(status) ? "was killed by signal" : "exited",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    assert_true(listener >= 0);
    int bad = 0;
    for (int i = 0; i < P_COUNT; i++) {
        if (!have[i]) {
            print_error("%s: no result\n", probes[i].what);
            bad++;
        } else if (probes[i].want_errno == 0 && got[i].ret < 0) {
            print_error("%s: failed with %s, should succeed\n", probes[i].what,
                        strerror(got[i].err));
            bad++;
        } else if (probes[i].want_errno != 0 &&
                   (got[i].ret >= 0 || got[i].err != probes[i].want_errno)) {
            print_error("%s: returned %ld (%s), should fail with %s\n", probes[i].what, got[i].ret,
                        got[i].ret < 0 ? strerror(got[i].err) : "success",
                        strerror(probes[i].want_errno));
            bad++;
        }
    }
    for (size_t i = 0; i < sizeof(notified) / sizeof(*notified); i++)
        if (!log->seen[number(notified[i])]) {
            print_error("%s never reached the listener\n", notified[i]);
            bad++;
        }
    /* Allowed and refused calls never reach it. */
    const char *const quiet[] = {"getpid", "socket", "prctl", "ioctl", "prlimit64", "clone"};
    for (size_t i = 0; i < sizeof(quiet) / sizeof(*quiet); i++)
        if (log->seen[number(quiet[i])]) {
            print_error("%s reached the listener\n", quiet[i]);
            bad++;
        }
    free(log);
    assert_int_equal(bad, 0);
}

/* Every fatal entry kills a real process (as nobody: a broken table must not reboot a host). */
static void fatal_calls_kill(void **state)
{
    (void)state;
    program p = get_program();
    size_t n;
    const wd_sys_entry *t = wd_syscall_table(&n);
    int killed = 0;
    for (size_t i = 0; i < n; i++) {
        int nr = wd_filter_syscall_number(t[i].name);
        if (t[i].cls != WD_SYS_KILL || nr < 0)
            continue;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            struct sock_fprog prog = {.len = (unsigned short)(p.len / sizeof(struct sock_filter)),
                                      .filter = (struct sock_filter *)p.bytes};
            if (getuid() == 0 && (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
                                  setresuid(65534, 65534, 65534) != 0))
                _exit(5);
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
                syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
                _exit(6);
            syscall(nr, 0, 0, 0, 0, 0, 0);
            _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
            fail_msg("%s did not kill the process (status 0x%x)", t[i].name, status);
        killed++;
    }
    assert_true(killed >= 5);
    free(p.bytes);
}

/* Runs argv under the program, every notification answered CONTINUE (as a broker that grants
 * everything would, so only the table decides); returns the wait status and counts what
 * reached the listener. */
static int run_unmodified(const program *p, char *const argv[], listener_log *log)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sock_fprog prog = {.len = (unsigned short)(p->len / sizeof(struct sock_filter)),
                                  .filter = (struct sock_filter *)p->bytes};
        char *const env[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull < 0 || dup2(devnull, 1) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            _exit(5);
        long listener =
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (listener < 0 || send_fd(sv[1], (int)listener) != 0)
            _exit(6);
        close((int)listener);
        execve(argv[0], argv, env);
        _exit(127);
    }
    close(sv[1]);
    int listener = recv_fd(sv[0]);
    close(sv[0]);
    assert_true(listener >= 0);
    for (;;) {
        struct pollfd pfd = {.fd = listener, .events = POLLIN};
        int n = poll(&pfd, 1, 60000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        if (!(pfd.revents & POLLIN))
            break; /* POLLHUP: every process of the child is gone */
        struct seccomp_notif req;
        memset(&req, 0, sizeof(req));
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
            continue;
        if (req.data.nr >= 0 && req.data.nr < MAX_NR)
            log->seen[req.data.nr] = true;
        struct seccomp_notif_resp resp = {.id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0)
            log->answered++;
    }
    close(listener);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* What an ordinary shell and Python do (pipes, subshells, files, threads, processes, sockets,
 * asyncio) meets no refusal it cannot handle and nothing fatal; their opens, changes and execs
 * reach the listener. */
static void ordinary_programs_run_under_it(void **state)
{
    (void)state;
    program p = get_program();
    char *const sh[] = {"/bin/sh", "-c",
                        "echo hi | cat; x=$(ls /); d=$(mktemp -d) && echo y > \"$d/f\" && "
                        "mv \"$d/f\" \"$d/g\" && rm -r \"$d\" && echo done",
                        NULL};
    char *const py[] = {"/usr/bin/python3", "-c",
                        "import json, os, socket, subprocess, tempfile, threading, asyncio\n"
                        "import multiprocessing\n"
                        "t = threading.Thread(target=print); t.start(); t.join()\n"
                        "subprocess.run(['true'], check=True)\n"
                        "socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()\n"
                        "d = tempfile.mkdtemp(); open(d + '/x', 'w').write('y')\n"
                        "os.unlink(d + '/x'); os.rmdir(d)\n"
                        "asyncio.run(asyncio.sleep(0.01))\n"
                        "with multiprocessing.Pool(2) as pool: assert pool.map(abs, [-1]) == [1]\n"
                        "print(json.dumps({'ok': True}))\n",
                        NULL};
    char *const *const programs[] = {sh, py};
    int ran = 0;
    for (size_t i = 0; i < sizeof(programs) / sizeof(*programs); i++) {
        if (access(programs[i][0], X_OK) != 0)
            continue; /* python3 is optional on a build machine */
        listener_log *log = calloc(1, sizeof(*log));
        assert_non_null(log);
        int status = run_unmodified(&p, programs[i], log);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("%s %s %d under the process program", programs[i][0],
                     WIFSIGNALED(status) ? "was killed by signal" : "exited",
                     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        assert_true(log->seen[number("execve")]);
        assert_true(log->seen[number("openat")]);
        assert_true(log->seen[number("unlinkat")] || log->seen[number("unlink")] ||
                    log->seen[number("rmdir")]);
        free(log);
        ran++;
    }
    assert_true(ran >= 1);
    free(p.bytes);
}

/* docs/sandbox.md's mediation table names every call, so the docs cannot fall behind. */
static void docs_name_every_call(void **state)
{
    (void)state;
    FILE *f = fopen(WD_SOURCE_DIR "/docs/sandbox.md", "r");
    assert_non_null(f);
    static char doc[256 * 1024];
    size_t len = fread(doc, 1, sizeof(doc) - 1, f);
    fclose(f);
    assert_true(len > 0 && len < sizeof(doc) - 1);
    doc[len] = '\0';
    char *start = strstr(doc, "\n## The mediation table (process plugins)\n");
    assert_non_null(start);
    char *end = strstr(start + 1, "\n## ");
    if (end)
        *end = '\0';
    size_t n;
    const wd_sys_entry *t = wd_syscall_table(&n);
    for (size_t i = 0; i < n; i++) {
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "`%s`", t[i].name);
        if (!strstr(start, quoted))
            fail_msg("docs/sandbox.md's mediation table does not name %s", t[i].name);
    }
}

static void program_is_cached_and_stable(void **state)
{
    (void)state;
    program a = get_program(), b = get_program();
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.bytes, b.bytes, a.len);
    assert_ptr_not_equal(a.bytes, b.bytes);
    free(a.bytes);
    free(b.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_header_call_is_classified),
        cmocka_unit_test(table_is_sorted_and_well_formed),
        cmocka_unit_test(no_path_taking_call_is_allowed_nor_a_kernel_call_survives),
        cmocka_unit_test(program_does_what_the_table_says),
        cmocka_unit_test(argument_tests_cannot_be_dodged),
        cmocka_unit_test(bypasses_fail_and_paths_reach_the_listener),
        cmocka_unit_test(fatal_calls_kill),
        cmocka_unit_test(ordinary_programs_run_under_it),
        cmocka_unit_test(docs_name_every_call),
        cmocka_unit_test(program_is_cached_and_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
