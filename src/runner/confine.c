/* confine.c: the runner confines itself, in this order: namespaces (and no capabilities),
 * resource limits, Landlock, seccomp. Each step reports what it could not do; the host decides
 * beforehand (through the setup) what is required, and a required step that fails stops the
 * runner before any plugin code is mapped. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

static int drop_capabilities(char *why)
{
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM)
            return WHY("cannot drop capability %d from the bounding set: %s", cap, strerror(errno));
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    if (syscall(SYS_capset, &header, data) != 0)
        return WHY("cannot drop capabilities: %s", strerror(errno));
    return 0;
}

int wd_confine_namespaces(const wd_runner_setup *s, char *why)
{
    /* As root a network namespace is ours to make; as anyone else it comes with a user
     * namespace, where we map only our own ids. */
    uid_t uid = geteuid();
    gid_t gid = getegid();
    int made = 0;
    if (s->netns_fd)
        made = setns(WD_RUNNER_NETNS, CLONE_NEWNET) == 0;
    /* Whatever descriptor 4 is (when no namespace came, whatever the host left there), the
     * plugin never sees it. */
    close(WD_RUNNER_NETNS);
    if (!made)
        made = unshare(CLONE_NEWNET) == 0;
    if (!made && unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) {
        char map[64];
        snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
        if (write_file("/proc/self/setgroups", "deny\n") != 0 ||
            write_file("/proc/self/uid_map", map) != 0)
            return WHY("cannot map the user in the new user namespace: %s", strerror(errno));
        snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
        if (write_file("/proc/self/gid_map", map) != 0)
            return WHY("cannot map the group in the new user namespace: %s", strerror(errno));
        made = 1;
    }
    if (!made && s->netns)
        return WHY("no new network namespace (%s): required, refusing to run", strerror(errno));
    return drop_capabilities(why);
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
    /* CPU: SIGXCPU at the limit, SIGKILL a second later if that is caught. */
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

int wd_confine_landlock(const wd_runner_setup *s, int library_fd, char *why)
{
    int abi = wd_landlock_abi();
    if (abi < (int)s->landlock_min)
        return WHY("Landlock ABI %d is below the required %llu: refusing to run", abi,
                   (unsigned long long)s->landlock_min);
    if (abi <= 0)
        return 0;
    uint64_t handled;
    int ruleset = wd_landlock_create(abi, &handled);
    if (ruleset < 0)
        return WHY("Landlock: cannot create a ruleset: %s", strerror(errno));
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof(system_libs) / sizeof(*system_libs); i++)
        rc = add_path_rule(ruleset, system_libs[i], WD_LL_READ_FILE | WD_LL_EXECUTE, handled, why);
    for (size_t i = 0; !rc && i < s->fs_count; i++)
        rc = add_path_rule(ruleset, s->fs[i].path, s->fs[i].access, handled, why);
    /* The library is a memory file: Landlock has no hierarchy to attach a rule to, and
     * reopening it through /proc/self/fd is allowed as for any pseudo-filesystem file. */
    (void)library_fd;
    if (!rc && wd_landlock_restrict(ruleset) != 0)
        rc = WHY("Landlock: cannot restrict the runner: %s", strerror(errno));
    close(ruleset);
    return rc;
}

/* ---- seccomp ----------------------------------------------------------------------------- */

/* The host compiled the allowlist (src/sandbox/filter.c) with this process's pid in it; load
 * it as it is. Nothing runs after this that the filter does not allow. */
int wd_confine_seccomp(const wd_runner_setup *s, char *why)
{
    if (!s->seccomp || s->seccomp_len == 0 || s->seccomp_len % sizeof(struct sock_filter) != 0 ||
        s->seccomp_len / sizeof(struct sock_filter) > BPF_MAXINSNS)
        return WHY("seccomp: the setup carries no valid filter: refusing to run");
    struct sock_fprog prog = {(unsigned short)(s->seccomp_len / sizeof(struct sock_filter)),
                              (struct sock_filter *)(uintptr_t)s->seccomp};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
        return WHY("seccomp: cannot install the filter: %s", strerror(errno));
    return 0;
}
