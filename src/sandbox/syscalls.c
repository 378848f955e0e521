/* syscalls.c: the mediation table (syscalls.h). Sorted by name: wd_syscall_find searches it,
 * and the build check refuses an unsorted or incomplete table.
 *
 * How an entry is decided: a call that names a file or an address to act on is performed by
 * the broker (NOTIFY), which decides it by the policy; a call that reads only metadata by path
 * (stat, access, readlink, getxattr) is allowed, and the docs say what it reveals; a call that
 * could take the broker's notifications over, reach another process, change the mounts,
 * namespaces or the kernel is refused with the errno a program copes with best; a call no
 * plugin could ever need (loading kernels and modules, rebooting) kills. Everything else that
 * acts only on the process itself or on descriptors it already holds is allowed.
 *
 * The names are x86-64's. arm64 uses the generic table, whose 64-bit names are all among them
 * (the calls it lacks, such as open or fork, simply have no number there and stay fatal); an
 * architecture with calls of its own (riscv_hwprobe, sync_file_range2) fails the build check
 * until they are classified here. */
#include "sandbox/syscalls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define A(n, w)                                                                                    \
    {                                                                                              \
        .name = #n, .cls = WD_SYS_ALLOW, .why = (w)                                                \
    }
#define N(n, w)                                                                                    \
    {                                                                                              \
        .name = #n, .cls = WD_SYS_NOTIFY, .why = (w)                                               \
    }
#define R(n, e, w)                                                                                 \
    {                                                                                              \
        .name = #n, .cls = WD_SYS_REFUSE, .err = (e), .why = (w)                                   \
    }
#define K(n, w)                                                                                    \
    {                                                                                              \
        .name = #n, .cls = WD_SYS_KILL, .why = (w)                                                 \
    }
/* Refused (or mediated) unless an argument says otherwise: filter_process.c compiles the test. */
#define NIF(n, cond, w)                                                                            \
    {                                                                                              \
        .name = #n, .cls = WD_SYS_NOTIFY, .why = (w), .allow_if = (cond)                           \
    }
#define RIF(n, e, cond, w)                                                                         \
    {                                                                                              \
        .name = #n, .cls = WD_SYS_REFUSE, .err = (e), .why = (w), .allow_if = (cond)               \
    }

/* Reasons shared by several entries. */
#define FD_IO "acts on a descriptor the process already holds"
#define MEM "the process's own memory"
#define SIG_SELF "the process's own signal state"
#define SIG_SEND                                                                                   \
    "sends a signal: Landlock ABI 6 scopes signals to the plugin's own processes; without it "     \
    "only processes of the plugin's unprivileged uid"
#define TIME_READ "reads a clock or a timer of the process"
#define IDENT_READ "reads the process's identity"
#define IDENT_SET "without capabilities only the process's own ids can be set"
#define SCHED "scheduling of the process; raising priority needs a capability it lacks"
#define META                                                                                       \
    "metadata by path, not content: reveals that a file exists and its attributes (Landlock "      \
    "does not cover it either)"
#define XATTR_READ                                                                                 \
    "reads extended attributes, not content: reveals them for any path it can name (Landlock "     \
    "does not cover it either)"
#define PATH_OPEN "opens by path: the broker decides by the policy and hands the descriptor over"
#define PATH_CHANGE "changes a name by path: the broker decides by the policy and performs it"
#define PATH_ATTR "changes mode, owner or times by path: the broker decides and performs it"
#define PATH_EXEC                                                                                  \
    "executes by path: the broker decides; Landlock's execute right bounds what it lets run"
#define SOCK "on a socket the process holds: its own live in an empty network namespace"
#define NS "namespaces and mounts are the runner's, fixed before the program starts"
#define MOUNT_API "the mount API: " NS
#define SYSV                                                                                       \
    "System V IPC: keys and ids name objects shared across the host's IPC namespace, outside "     \
    "any policy"
#define MQ "POSIX message queue names live in the host's IPC namespace, outside any policy"
#define OTHER_PROC "reaches into another process"
#define XATTR_SET "changes extended attributes, which no policy grants"
#define HOST "administers the host: needs a capability the plugin never has"
#define NUMA "NUMA placement: can move other processes' pages or pin memory"
#define GONE "not implemented by the kernel: fails the same way without the filter"
#define OLD "obsolete; a program falls back to its successor"
#define KERNEL "replaces or extends the running kernel: never a plugin's business"
#define TRAMPOLINE                                                                                 \
    "the kernel's uprobe trampoline: the kernel exempts its own calls from seccomp, and any "      \
    "other caller fails"

#define KEYS "kernel keyrings are shared with the host's other processes of the same uid"
#define WATCH "watches file system activity the policy may deny"
#define IO_URING                                                                                   \
    "io_uring performs opens and connects the filter never sees; ENOSYS makes runtimes fall back"
#define HANDLES "file handles open files by inode number, past every path check"

static const wd_sys_entry table[] = {
    R(_sysctl, ENOSYS, GONE),
    A(accept, SOCK),
    A(accept4, SOCK),
    A(access, META),
    R(acct, EPERM, HOST),
    R(add_key, EPERM, KEYS),
    R(adjtimex, EPERM, HOST),
    R(afs_syscall, ENOSYS, GONE),
    A(alarm, TIME_READ),
    A(arch_prctl, "the thread's own registers (x86-64 TLS), which every program sets up"),
    N(bind, "names an address: the broker decides by the policy and binds itself"),
    R(bpf, EPERM, "loads programs into the kernel and reads its maps"),
    A(brk, MEM),
    A(cachestat, FD_IO),
    A(capget, IDENT_READ),
    A(capset, "can only drop: the runner emptied every capability set"),
    A(chdir, "changes the working directory only; the broker resolves relative paths against it"),
    N(chmod, PATH_ATTR),
    N(chown, PATH_ATTR),
    R(chroot, EPERM, NS),
    R(clock_adjtime, EPERM, HOST),
    A(clock_getres, TIME_READ),
    A(clock_gettime, TIME_READ),
    A(clock_nanosleep, TIME_READ),
    R(clock_settime, EPERM, HOST),
    RIF(clone, EPERM, "no CLONE_NEW* flag and no CLONE_PARENT (arg 0): a process or a thread",
        "a new namespace would escape the runner's: " NS "; CLONE_PARENT would make a child of "
        "the host, never reaped"),
    R(clone3, ENOSYS,
      "its flags sit in memory a filter cannot read: ENOSYS makes glibc fall back to clone"),
    A(close, FD_IO),
    A(close_range, FD_IO),
    N(connect, "names an address: the broker decides by the policy, connects itself and hands the "
               "socket over"),
    A(copy_file_range, FD_IO),
    N(creat, PATH_OPEN),
    K(create_module, KERNEL),
    K(delete_module, KERNEL),
    A(dup, FD_IO),
    A(dup2, FD_IO),
    A(dup3, FD_IO),
    A(epoll_create, FD_IO),
    A(epoll_create1, FD_IO),
    A(epoll_ctl, FD_IO),
    R(epoll_ctl_old, ENOSYS, GONE),
    A(epoll_pwait, FD_IO),
    A(epoll_pwait2, FD_IO),
    A(epoll_wait, FD_IO),
    R(epoll_wait_old, ENOSYS, GONE),
    A(eventfd, FD_IO),
    A(eventfd2, FD_IO),
    N(execve, PATH_EXEC),
    N(execveat, PATH_EXEC),
    A(exit, "ends the thread"),
    A(exit_group, "ends the process"),
    A(faccessat, META),
    A(faccessat2, META),
    A(fadvise64, FD_IO),
    A(fallocate, FD_IO),
    R(fanotify_init, EPERM, WATCH),
    R(fanotify_mark, EPERM, WATCH),
    A(fchdir, FD_IO),
    R(fchmod, EPERM,
      "a mode changed on a descriptor opened for reading would be undecided: "
      "chmod by path is the broker's"),
    N(fchmodat, PATH_ATTR),
    N(fchmodat2, PATH_ATTR),
    R(fchown, EPERM, "ownership is the host's"),
    N(fchownat, PATH_ATTR),
    A(fcntl, FD_IO "; F_SETOWN signals are scoped like kill"),
    A(fdatasync, FD_IO),
    A(fgetxattr, FD_IO),
    A(file_getattr, META),
    R(file_setattr, EPERM, "changes inode flags by path, which no policy grants"),
    K(finit_module, KERNEL),
    A(flistxattr, FD_IO),
    A(flock, FD_IO),
    A(fork, "a new process under the same filter, Landlock domain and limits"),
    R(fremovexattr, EPERM, XATTR_SET),
    R(fsconfig, EPERM, MOUNT_API),
    R(fsetxattr, EPERM, XATTR_SET),
    R(fsmount, EPERM, MOUNT_API),
    R(fsopen, EPERM, MOUNT_API),
    R(fspick, EPERM, MOUNT_API),
    A(fstat, FD_IO),
    A(fstatfs, FD_IO),
    A(fsync, FD_IO),
    A(ftruncate, FD_IO),
    A(futex, MEM),
    A(futex_requeue, MEM),
    A(futex_wait, MEM),
    A(futex_waitv, MEM),
    A(futex_wake, MEM),
    N(futimesat, PATH_ATTR),
    K(get_kernel_syms, KERNEL),
    A(get_mempolicy, MEM),
    A(get_robust_list, MEM),
    R(get_thread_area, ENOSYS, "32-bit TLS descriptors, unused by 64-bit programs"),
    A(getcpu, "which CPU the thread runs on"),
    A(getcwd, "the process's own working directory"),
    A(getdents, FD_IO),
    A(getdents64, FD_IO),
    A(getegid, IDENT_READ),
    A(geteuid, IDENT_READ),
    A(getgid, IDENT_READ),
    A(getgroups, IDENT_READ),
    A(getitimer, TIME_READ),
    A(getpeername, SOCK),
    A(getpgid, IDENT_READ),
    A(getpgrp, IDENT_READ),
    A(getpid, IDENT_READ),
    R(getpmsg, ENOSYS, GONE),
    A(getppid, IDENT_READ),
    A(getpriority, SCHED),
    A(getrandom, "random bytes from the kernel"),
    A(getresgid, IDENT_READ),
    A(getresuid, IDENT_READ),
    A(getrlimit, "the process's own limits"),
    A(getrusage, "the process's own resource usage"),
    A(getsid, IDENT_READ),
    A(getsockname, SOCK),
    A(getsockopt, SOCK),
    A(gettid, IDENT_READ),
    A(gettimeofday, TIME_READ),
    A(getuid, IDENT_READ),
    A(getxattr, XATTR_READ),
    A(getxattrat, XATTR_READ),
    K(init_module, KERNEL),
    R(inotify_add_watch, EACCES, "a watch on a path reveals activity the policy may deny"),
    A(inotify_init, "an empty inotify instance: adding a watch is refused"),
    A(inotify_init1, "an empty inotify instance: adding a watch is refused"),
    A(inotify_rm_watch, FD_IO),
    A(io_cancel, "Linux AIO on descriptors the process holds"),
    A(io_destroy, "Linux AIO on descriptors the process holds"),
    A(io_getevents, "Linux AIO on descriptors the process holds"),
    A(io_pgetevents, "Linux AIO on descriptors the process holds"),
    A(io_setup, "Linux AIO on descriptors the process holds"),
    A(io_submit, "Linux AIO on descriptors the process holds"),
    R(io_uring_enter, ENOSYS, IO_URING),
    R(io_uring_register, ENOSYS, IO_URING),
    R(io_uring_setup, ENOSYS, IO_URING),
    RIF(ioctl, EPERM,
        "the request (arg 1, 32 bits) is none of TIOCSTI, TIOCLINUX, FS_IOC_SETFLAGS, "
        "FS_IOC32_SETFLAGS, FS_IOC_FSSETXATTR",
        "TIOCSTI and TIOCLINUX push input into a terminal another process reads; the inode-flag "
        "requests change a file past every decision"),
    R(ioperm, EPERM, HOST),
    R(iopl, EPERM, HOST),
    A(ioprio_get, SCHED),
    A(ioprio_set, SCHED),
    R(kcmp, EPERM, OTHER_PROC),
    K(kexec_file_load, KERNEL),
    K(kexec_load, KERNEL),
    R(keyctl, EPERM, KEYS),
    A(kill, SIG_SEND),
    A(landlock_add_rule, "Landlock can only restrict the process further"),
    A(landlock_create_ruleset, "Landlock can only restrict the process further"),
    A(landlock_restrict_self, "Landlock can only restrict the process further"),
    N(lchown, PATH_ATTR),
    A(lgetxattr, XATTR_READ),
    N(link, PATH_CHANGE),
    N(linkat, PATH_CHANGE),
    A(listen, SOCK),
    R(listmount, ENOSYS,
      "lists mounts without a path the broker sees; ENOSYS makes programs read /proc instead"),
    A(listxattr, XATTR_READ),
    A(listxattrat, XATTR_READ),
    A(llistxattr, XATTR_READ),
    R(lookup_dcookie, EPERM, HOST),
    R(lremovexattr, EPERM, XATTR_SET),
    A(lseek, FD_IO),
    R(lsetxattr, EPERM, XATTR_SET),
    A(lsm_get_self_attr, "reads the process's own security labels"),
    A(lsm_list_modules, "lists the security modules"),
    R(lsm_set_self_attr, EPERM, "changes the process's security labels"),
    A(lstat, META),
    A(madvise, MEM),
    A(map_shadow_stack, MEM),
    R(mbind, EPERM, NUMA),
    A(membarrier, MEM),
    A(memfd_create, "an anonymous file, reachable only through its descriptor"),
    A(memfd_secret, "anonymous memory, reachable only through its descriptor"),
    R(migrate_pages, EPERM, NUMA),
    A(mincore, MEM),
    N(mkdir, PATH_CHANGE),
    N(mkdirat, PATH_CHANGE),
    N(mknod, PATH_CHANGE),
    N(mknodat, PATH_CHANGE),
    A(mlock, MEM),
    A(mlock2, MEM),
    A(mlockall, MEM),
    A(mmap, MEM),
    R(modify_ldt, EPERM, "16-bit segments: old attack surface no 64-bit program needs"),
    R(mount, EPERM, NS),
    R(mount_setattr, EPERM, MOUNT_API),
    R(move_mount, EPERM, MOUNT_API),
    R(move_pages, EPERM, NUMA),
    A(mprotect, MEM),
    R(mq_getsetattr, EPERM, MQ),
    R(mq_notify, EPERM, MQ),
    R(mq_open, EPERM, MQ),
    R(mq_timedreceive, EPERM, MQ),
    R(mq_timedsend, EPERM, MQ),
    R(mq_unlink, EPERM, MQ),
    A(mremap, MEM),
    A(mseal, "seals the process's own mappings: can only restrict"),
    R(msgctl, EPERM, SYSV),
    R(msgget, EPERM, SYSV),
    R(msgrcv, EPERM, SYSV),
    R(msgsnd, EPERM, SYSV),
    A(msync, MEM),
    A(munlock, MEM),
    A(munlockall, MEM),
    A(munmap, MEM),
    R(name_to_handle_at, EPERM, HANDLES),
    A(nanosleep, TIME_READ),
    A(newfstatat, META),
    R(nfsservctl, ENOSYS, GONE),
    N(open, PATH_OPEN),
    R(open_by_handle_at, EPERM, HANDLES),
    R(open_tree, EPERM, MOUNT_API),
    R(open_tree_attr, EPERM, MOUNT_API),
    N(openat, PATH_OPEN),
    N(openat2, PATH_OPEN),
    A(pause, SIG_SELF),
    R(perf_event_open, EPERM, "observes the kernel and other processes"),
    R(personality, EPERM,
      "changes how the kernel lays out and runs the program (address randomisation)"),
    R(pidfd_getfd, EPERM, OTHER_PROC),
    A(pidfd_open, "a handle on a process; signals through it are scoped like kill"),
    A(pidfd_send_signal, SIG_SEND),
    A(pipe, FD_IO),
    A(pipe2, FD_IO),
    R(pivot_root, EPERM, NS),
    A(pkey_alloc, MEM),
    A(pkey_free, MEM),
    A(pkey_mprotect, MEM),
    A(poll, FD_IO),
    A(ppoll, FD_IO),
    RIF(prctl, EPERM, "the option (arg 0, 32 bits) is not PR_SET_SECCOMP",
        "PR_SET_SECCOMP: a second filter could take the notifications over"),
    A(pread64, FD_IO),
    A(preadv, FD_IO),
    A(preadv2, FD_IO),
    RIF(prlimit64, EPERM, "the pid (arg 0, 32 bits) is 0: the process's own limits",
        "another process's limits"),
    R(process_madvise, EPERM, OTHER_PROC),
    R(process_mrelease, EPERM, OTHER_PROC),
    R(process_vm_readv, EPERM, OTHER_PROC),
    R(process_vm_writev, EPERM, OTHER_PROC),
    A(pselect6, FD_IO),
    R(ptrace, EPERM, OTHER_PROC),
    R(putpmsg, ENOSYS, GONE),
    A(pwrite64, FD_IO),
    A(pwritev, FD_IO),
    A(pwritev2, FD_IO),
    K(query_module, KERNEL),
    R(quotactl, EPERM, HOST),
    R(quotactl_fd, EPERM, HOST),
    A(read, FD_IO),
    A(readahead, FD_IO),
    A(readlink, META),
    A(readlinkat, META),
    A(readv, FD_IO),
    K(reboot, KERNEL),
    A(recvfrom, SOCK),
    A(recvmmsg, SOCK),
    A(recvmsg, SOCK),
    A(remap_file_pages, MEM),
    R(removexattr, EPERM, XATTR_SET),
    R(removexattrat, EPERM, XATTR_SET),
    N(rename, PATH_CHANGE),
    N(renameat, PATH_CHANGE),
    N(renameat2, PATH_CHANGE),
    R(request_key, EPERM, KEYS),
    A(restart_syscall, "resumes an interrupted call"),
    N(rmdir, PATH_CHANGE),
    A(rseq, MEM),
    A(rt_sigaction, SIG_SELF),
    A(rt_sigpending, SIG_SELF),
    A(rt_sigprocmask, SIG_SELF),
    A(rt_sigqueueinfo, SIG_SEND),
    A(rt_sigreturn, SIG_SELF),
    A(rt_sigsuspend, SIG_SELF),
    A(rt_sigtimedwait, SIG_SELF),
    A(rt_tgsigqueueinfo, SIG_SEND),
    A(sched_get_priority_max, SCHED),
    A(sched_get_priority_min, SCHED),
    A(sched_getaffinity, SCHED),
    A(sched_getattr, SCHED),
    A(sched_getparam, SCHED),
    A(sched_getscheduler, SCHED),
    A(sched_rr_get_interval, SCHED),
    A(sched_setaffinity, SCHED),
    A(sched_setattr, SCHED),
    A(sched_setparam, SCHED),
    A(sched_setscheduler, SCHED),
    A(sched_yield, SCHED),
    R(seccomp, EPERM, "a second filter could take the notifications over"),
    R(security, ENOSYS, GONE),
    A(select, FD_IO),
    R(semctl, EPERM, SYSV),
    R(semget, EPERM, SYSV),
    R(semop, EPERM, SYSV),
    R(semtimedop, EPERM, SYSV),
    A(sendfile, FD_IO),
    A(sendmmsg,
      SOCK "; only sockets the broker handed over reach anything, and those are connected"),
    A(sendmsg,
      SOCK "; only sockets the broker handed over reach anything, and those are connected"),
    NIF(sendto, "the address (arg 4) is NULL: the socket's own peer",
        "an address names a destination: the broker decides it"),
    R(set_mempolicy, EPERM, NUMA),
    R(set_mempolicy_home_node, EPERM, NUMA),
    A(set_robust_list, MEM),
    R(set_thread_area, ENOSYS, "32-bit TLS descriptors, unused by 64-bit programs"),
    A(set_tid_address, MEM),
    R(setdomainname, EPERM, HOST),
    A(setfsgid, IDENT_SET),
    A(setfsuid, IDENT_SET),
    A(setgid, IDENT_SET),
    A(setgroups, IDENT_SET),
    R(sethostname, EPERM, HOST),
    A(setitimer, TIME_READ),
    R(setns, EPERM, NS),
    A(setpgid, "process groups of the plugin's own processes"),
    A(setpriority, SCHED),
    A(setregid, IDENT_SET),
    A(setresgid, IDENT_SET),
    A(setresuid, IDENT_SET),
    A(setreuid, IDENT_SET),
    A(setrlimit, "the process's own limits: only lowered, or raised up to the hard limit"),
    A(setsid, "a new session for the plugin's own process"),
    A(setsockopt, SOCK),
    R(settimeofday, EPERM, HOST),
    A(setuid, IDENT_SET),
    R(setxattr, EPERM, XATTR_SET),
    R(setxattrat, EPERM, XATTR_SET),
    R(shmat, EPERM, SYSV),
    R(shmctl, EPERM, SYSV),
    A(shmdt, "detaches a segment from the process's own memory"),
    R(shmget, EPERM, SYSV),
    A(shutdown, SOCK),
    A(sigaltstack, SIG_SELF),
    A(signalfd, FD_IO),
    A(signalfd4, FD_IO),
    RIF(socket, EAFNOSUPPORT,
        "the domain (arg 0, 32 bits) is AF_INET or AF_INET6, or AF_UNIX with type SOCK_STREAM",
        "other families (netlink, packet, vsock...) reach the kernel or devices past the policy; "
        "a unix datagram socket reaches any socket file of the host with sendmsg"),
    RIF(socketpair, EAFNOSUPPORT,
        "the domain (arg 0, 32 bits) is AF_UNIX and the type (arg 1) SOCK_STREAM or "
        "SOCK_SEQPACKET: a connected pair",
        "a unix datagram socket reaches any socket file of the host with sendmsg"),
    A(splice, FD_IO),
    A(stat, META),
    A(statfs, META),
    R(statmount, ENOSYS,
      "describes mounts without a path the broker sees; ENOSYS makes programs read /proc instead"),
    A(statx, META),
    R(swapoff, EPERM, HOST),
    R(swapon, EPERM, HOST),
    N(symlink, PATH_CHANGE),
    N(symlinkat, PATH_CHANGE),
    A(sync, "flushes the file systems' caches"),
    A(sync_file_range, FD_IO),
    A(syncfs, FD_IO),
    R(sysfs, ENOSYS, OLD),
    A(sysinfo, "system-wide memory and load figures"),
    R(syslog, EPERM, "the kernel log"),
    A(tee, FD_IO),
    A(tgkill, SIG_SEND),
    A(time, TIME_READ),
    A(timer_create, TIME_READ),
    A(timer_delete, TIME_READ),
    A(timer_getoverrun, TIME_READ),
    A(timer_gettime, TIME_READ),
    A(timer_settime, TIME_READ),
    A(timerfd_create, TIME_READ),
    A(timerfd_gettime, TIME_READ),
    A(timerfd_settime, TIME_READ),
    A(times, "the process's own CPU times"),
    A(tkill, SIG_SEND),
    N(truncate, "changes content by path: the broker decides by the policy and performs it"),
    R(tuxcall, ENOSYS, GONE),
    A(umask, "the process's own creation mask"),
    R(umount2, EPERM, NS),
    A(uname, "the kernel's name and version"),
    N(unlink, PATH_CHANGE),
    N(unlinkat, PATH_CHANGE),
    R(unshare, EPERM, NS),
    A(uprobe, TRAMPOLINE),
    A(uretprobe, TRAMPOLINE),
    R(uselib, EPERM, "maps a library by path past the broker (a.out, long gone)"),
    R(userfaultfd, EPERM, "stalls the kernel on the process's page faults, a tool for racing it"),
    R(ustat, ENOSYS, OLD),
    N(utime, PATH_ATTR),
    N(utimensat, PATH_ATTR),
    N(utimes, PATH_ATTR),
    A(vfork, "a new process under the same filter, Landlock domain and limits"),
    R(vhangup, EPERM, HOST),
    A(vmsplice, FD_IO),
    R(vserver, ENOSYS, GONE),
    A(wait4, "waits for the plugin's own children"),
    A(waitid, "waits for the plugin's own children"),
    A(write, FD_IO),
    A(writev, FD_IO),
};

const wd_sys_entry *wd_syscall_table(size_t *count)
{
    *count = sizeof(table) / sizeof(*table);
    return table;
}

static int by_name(const void *key, const void *entry)
{
    return strcmp(key, ((const wd_sys_entry *)entry)->name);
}

const wd_sys_entry *wd_syscall_find(const char *name)
{
    return bsearch(name, table, sizeof(table) / sizeof(*table), sizeof(*table), by_name);
}

const char *wd_syscall_class_name(wd_sys_class cls)
{
    switch (cls) {
    case WD_SYS_ALLOW:
        return "allow";
    case WD_SYS_NOTIFY:
        return "notify";
    case WD_SYS_REFUSE:
        return "refuse";
    case WD_SYS_KILL:
        return "kill";
    }
    return "?";
}
