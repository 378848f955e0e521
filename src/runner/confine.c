/* confine.c: the runner confines itself, in this order: the Landlock rules planned (their
 * directories opened while it still has the host's identity), namespaces (network, then a user
 * namespace of its own in which it becomes the plugin's unprivileged user, then no
 * capabilities), resource limits, Landlock applied, seccomp. Each step reports what it could
 * not do; the host decides beforehand (through the setup) what is required, and a required
 * step that fails stops the runner before any plugin code is mapped.
 *
 * The plugin never runs as root: a root host names an unprivileged uid and gid (the setup);
 * an ordinary user's runner keeps its own. Either way the ids are mapped in a fresh user
 * namespace, so RLIMIT_NPROC binds (the kernel exempts only the initial namespace's root) and
 * counts this runner's tasks alone (per user namespace since Linux 5.14), and file ownership
 * and permissions apply to the plugin's own open(2) as they say. */
#include <errno.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <net/if.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner/runner.h"
#include "sandbox/landlock.h"

#define WHY(...) (snprintf(why, 256, __VA_ARGS__), -1)

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int err = errno;
    close(fd);
    errno = n < 0 ? err : EIO;
    return n == (ssize_t)len ? 0 : -1;
}

/* Maps uid and gid (each to itself, one id) into the user namespace of process pid, after
 * denying setgroups there. Returns 0, or an errno. */
static int map_ids(pid_t pid, uid_t uid, gid_t gid)
{
    char path[64], map[64];
    snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
    if (write_file(path, "deny\n") != 0)
        return errno;
    snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
    snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (write_file(path, map) != 0)
        return errno;
    snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
    snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    if (write_file(path, map) != 0)
        return errno;
    return 0;
}

/* The mapping helper (a child of the runner): waits for the runner to have its user namespace
 * (a byte on go), maps the ids into it and exits with 0 or an errno value. It closes its copy
 * of the write end, so the runner giving up reads as end of file; the runner closes its own
 * copies of both ends once. */
static _Noreturn void map_when_told(const int go[2], pid_t runner, uid_t uid, gid_t gid)
{
    close(go[1]);
    char c;
    ssize_t n;
    while ((n = read(go[0], &c, 1)) < 0 && errno == EINTR)
        ;
    _exit(n == 1 ? map_ids(runner, uid, gid) : ECANCELED);
}

/* As root: a user namespace of the runner's own, in which the plugin's uid and gid (and nothing
 * else) are mapped. The namespace is made while still root, so a kernel that refuses them to
 * unprivileged users still gives one; only a process in the parent namespace with CAP_SETUID
 * may map another uid, so a short-lived child does it. The kernel counts RLIMIT_NPROC per user
 * namespace and uid (Linux 5.14), so plugins sharing a uid never share its count. */
static int user_namespace_as_root(uint64_t setup_uid, uint64_t setup_gid, char *why)
{
    /* (uid_t)-1 would mean "unchanged" to setresuid. */
    if (setup_uid == 0 || setup_gid == 0 || setup_uid >= UINT32_MAX || setup_gid >= UINT32_MAX)
        return WHY("the setup names no unprivileged uid and gid for the plugin: refusing to run "
                   "it as root");
    uid_t uid = (uid_t)setup_uid;
    gid_t gid = (gid_t)setup_gid;
    /* Root's supplementary groups would stay with the plugin, unmapped but still granting. */
    if (setgroups(0, NULL) != 0)
        return WHY("cannot drop the supplementary groups: %s", strerror(errno));
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0)
        return WHY("cannot create a pipe: %s", strerror(errno));
    pid_t self = getpid();
    pid_t helper = fork();
    if (helper == 0)
        map_when_told(go, self, uid, gid);
    close(go[0]);
    int rc = helper < 0 ? -1 : unshare(CLONE_NEWUSER);
    int err = errno;
    if (rc == 0 && write(go[1], "m", 1) != 1)
        rc = -1, err = errno;
    close(go[1]); /* on failure the helper reads end of file and leaves */
    int status = 0;
    while (helper > 0 && waitpid(helper, &status, 0) < 0 && errno == EINTR)
        ;
    if (helper < 0)
        return WHY("cannot start the uid mapping helper: %s", strerror(err));
    if (rc != 0)
        return WHY("no user namespace for the plugin (%s): refusing to run it as root",
                   strerror(err));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return WHY("cannot map uid %u and gid %u into the plugin's user namespace: %s",
                   (unsigned)uid, (unsigned)gid,
                   WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "the helper died");
    return 0;
}

/* As an ordinary user: a user namespace mapping only the user's own uid and gid. */
static int user_namespace_as_user(char *why)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER) != 0)
        return WHY("no user namespace (%s): unprivileged user namespaces are needed to run "
                   "plugins as an ordinary user",
                   strerror(errno));
    int err = map_ids(getpid(), uid, gid);
    if (err)
        return WHY("cannot map uid %u and gid %u into the new user namespace: %s", (unsigned)uid,
                   (unsigned)gid, strerror(err));
    return 0;
}

static int drop_capabilities(char *why)
{
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM)
            return WHY("cannot drop capability %d from the bounding set: %s", cap, strerror(errno));
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    /* Locked: uid 0 (were it ever mapped) grants nothing, and no uid change restores any. */
    if (prctl(PR_SET_SECUREBITS,
              SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
                  SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                  SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
              0, 0, 0) != 0)
        return WHY("cannot lock the securebits: %s", strerror(errno));
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    if (syscall(SYS_capset, &header, data) != 0)
        return WHY("cannot drop capabilities: %s", strerror(errno));
    return 0;
}

/* The DNS stub's socket: UDP on 127.0.0.53:53 of the network namespace just made, with its
 * loopback up. Made here, while the runner is still capable over that namespace (the host of
 * an ordinary user could not enter it later); the host answers on it. -1 when it cannot be
 * made: names then do not resolve for the plugin. */
static int make_stub(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(WD_RUNNER_STUB_PORT),
                             .sin_addr.s_addr = htonl(WD_RUNNER_STUB_ADDRESS)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int wd_confine_namespaces(const wd_runner_setup *s, int *stub, char *why)
{
    *stub = -1;
    /* The network namespace first: the shared one belongs to the initial user namespace, and
     * entering it takes root there, which the runner gives up next. */
    int root = geteuid() == 0;
    int made = 0;
    if (root && s->netns_fd)
        made = setns(WD_RUNNER_NETNS, CLONE_NEWNET) == 0;
    /* Whatever descriptor 4 is (when no namespace came, whatever the host left there), the
     * plugin never sees it. */
    close(WD_RUNNER_NETNS);
    if (root && !made) {
        made = unshare(CLONE_NEWNET) == 0;
        /* Owned by the initial user namespace: configurable only before the runner leaves it. */
        if (made && s->process)
            *stub = make_stub();
    }
    if ((root ? user_namespace_as_root(s->uid, s->gid, why) : user_namespace_as_user(why)) != 0)
        return -1;
    /* Capable in the new user namespace until the capabilities go: a network namespace of its
     * own, owned by it, where the initial one gave none. */
    if (!made) {
        made = unshare(CLONE_NEWNET) == 0;
        if (made && s->process)
            *stub = make_stub();
    }
    if (!made && s->netns)
        return WHY("no new network namespace (%s): required, refusing to run", strerror(errno));
    /* A process plugin's program becomes the first process of a PID namespace of its own
     * (main.c forks it): when it ends, the kernel ends everything it started, a new session or
     * a double fork included, so nothing holding the broker's descriptors outlives the call. */
    if (s->process && unshare(CLONE_NEWPID) != 0)
        return WHY("no new PID namespace (%s): refusing to run a process plugin", strerror(errno));
    if (root && (setresgid((gid_t)s->gid, (gid_t)s->gid, (gid_t)s->gid) != 0 ||
                 setresuid((uid_t)s->uid, (uid_t)s->uid, (uid_t)s->uid) != 0))
        return WHY("cannot become uid %u gid %u: %s", (unsigned)s->uid, (unsigned)s->gid,
                   strerror(errno));
    if (drop_capabilities(why) != 0)
        return -1;
    /* Other processes of the plugin's uid (it may be shared: nobody) cannot ptrace it or read
     * its memory through /proc. A uid change cleared the parent-death signal: set it again,
     * and make sure the host did not go in between. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        return WHY("cannot make the runner undumpable: %s", strerror(errno));
    if (s->host_pid && (uint64_t)getppid() != s->host_pid)
        return WHY("the host is gone");
    return 0;
}

static int limit(int resource, uint64_t soft, uint64_t hard, const char *name, char *why)
{
    if (!hard)
        return 0;
    struct rlimit r = {(rlim_t)soft, (rlim_t)hard};
    if (setrlimit(resource, &r) != 0)
        return WHY("cannot set the %s limit: %s", name, strerror(errno));
    return 0;
}

int wd_confine_rlimits(const wd_runner_setup *s, char *why)
{
    /* After the user namespace: its creator's RLIMIT_NPROC becomes the namespace's ceiling in
     * the parent, so lowering it first would cap every process of the uid there.
     * CPU: SIGXCPU at the limit, SIGKILL a second later if that is caught. */
    if (limit(RLIMIT_AS, s->rlimit_as, s->rlimit_as, "address space", why) ||
        limit(RLIMIT_CPU, s->rlimit_cpu, s->rlimit_cpu + 1, "CPU time", why) ||
        limit(RLIMIT_NOFILE, s->rlimit_nofile, s->rlimit_nofile, "open files", why) ||
        limit(RLIMIT_NPROC, s->rlimit_nproc, s->rlimit_nproc, "processes", why) ||
        limit(RLIMIT_FSIZE, s->rlimit_fsize, s->rlimit_fsize, "file size", why) ||
        limit(RLIMIT_CORE, 0, 0, "core", why))
        return -1;
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    return 0;
}

/* System libraries a plugin may link against (read and map, never list or write). */
static const char *const system_libs[] = {"/lib", "/lib64", "/usr/lib", "/usr/lib64",
                                          "/etc/ld.so.cache"};

static int add_path_rule(int ruleset, const char *path, uint64_t access, uint64_t handled,
                         char *why)
{
    /* No symbolic link anywhere on the way: the host checked that the path is its own real
     * path, and a link swapped in since must not widen the grant. */
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
    if (fd < 0 && errno == ENOSYS)
        fd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT || errno == ELOOP
                   ? 0
                   : WHY("Landlock: cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
        access &= WD_LL_FILE_ACCESS;
    int rc = wd_landlock_add_path(ruleset, fd, access & handled);
    close(fd);
    if (rc != 0)
        return WHY("Landlock: cannot add a rule for %s: %s", path, strerror(errno));
    return 0;
}

int wd_confine_landlock_plan(const wd_runner_setup *s, int *ruleset, char *why)
{
    *ruleset = -1;
    int abi = wd_landlock_abi();
    if (abi < (int)s->landlock_min)
        return WHY("Landlock ABI %d is below the required %llu: refusing to run", abi,
                   (unsigned long long)s->landlock_min);
    if (abi <= 0)
        return 0;
    uint64_t handled;
    int fd = wd_landlock_create(abi, &handled);
    if (fd < 0)
        return WHY("Landlock: cannot create a ruleset: %s", strerror(errno));
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof(system_libs) / sizeof(*system_libs); i++)
        rc = add_path_rule(fd, system_libs[i], WD_LL_READ_FILE | WD_LL_EXECUTE, handled, why);
    for (size_t i = 0; !rc && i < s->fs_count; i++)
        rc = add_path_rule(fd, s->fs[i].path, s->fs[i].access, handled, why);
    /* The library is a memory file: Landlock has no hierarchy to attach a rule to, and
     * reopening it through /proc/self/fd is allowed as for any pseudo-filesystem file. */
    if (rc) {
        close(fd);
        return rc;
    }
    *ruleset = fd;
    return 0;
}

int wd_confine_landlock(int *ruleset, char *why)
{
    if (*ruleset < 0)
        return 0;
    int rc = 0;
    if (wd_landlock_restrict(*ruleset) != 0)
        rc = WHY("Landlock: cannot restrict the runner: %s", strerror(errno));
    close(*ruleset);
    *ruleset = -1;
    return rc;
}

/* ---- seccomp ----------------------------------------------------------------------------- */

/* The host compiled the allowlist (src/sandbox/filter.c) with this process's pid in it; load
 * it as it is. Nothing runs after this that the filter does not allow. */
static int load_filter(const wd_runner_setup *s, unsigned flags, int *listener, char *why)
{
    if (!s->seccomp || s->seccomp_len == 0 || s->seccomp_len % sizeof(struct sock_filter) != 0 ||
        s->seccomp_len / sizeof(struct sock_filter) > BPF_MAXINSNS)
        return WHY("seccomp: the setup carries no valid filter: refusing to run");
    struct sock_fprog prog = {(unsigned short)(s->seccomp_len / sizeof(struct sock_filter)),
                              (struct sock_filter *)(uintptr_t)s->seccomp};
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    if (rc < 0)
        return WHY("seccomp: cannot install the filter%s: %s", listener ? " with a listener" : "",
                   strerror(errno));
    if (listener)
        *listener = (int)rc;
    return 0;
}

int wd_confine_seccomp(const wd_runner_setup *s, char *why)
{
    return load_filter(s, 0, NULL, why);
}

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

int wd_confine_seccomp_listener(const wd_runner_setup *s, int *listener, char *why)
{
    /* Once the broker has taken a call, only a fatal signal abandons it (Linux 5.19): else a
     * signal would leave an open the broker performed and recorded undone, restarted and
     * recorded again. Older kernels load the filter without it. */
    if (load_filter(s, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
                    listener, why) == 0)
        return 0;
    return load_filter(s, SECCOMP_FILTER_FLAG_NEW_LISTENER, listener, why);
}
