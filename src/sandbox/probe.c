/* probe.c: which kernel protections are available (sandbox.h). Every check asks the kernel
 * directly; none trusts a version number. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/process.h"
#include "util/error.h"
#include "warden/sandbox.h"

/* Older kernel headers (Debian 12 ships 6.1) may lack these; the values are kernel ABI. */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

static int landlock_abi(const char **why)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi > 0) {
        *why = NULL;
        return (int)abi;
    }
    *why = errno == EOPNOTSUPP ? "disabled at boot (not in the lsm= list)"
           : errno == ENOSYS   ? "not available to this process: not built into this kernel, or "
                                 "blocked by a seccomp filter around warden"
                               : "refused by the kernel";
    return 0;
}

static bool seccomp_filter_available(void)
{
    uint32_t action = SECCOMP_RET_KILL_PROCESS;
    return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* Runs unshare(flags) in a child so the caller's namespaces never change. */
static bool can_unshare(int flags)
{
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0)
        _exit(unshare(flags) == 0 ? 0 : 1);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A user namespace as the runner makes one. Root's runner maps the plugin's uid through a
 * helper left in the parent namespace, so the namespace is all it needs; an ordinary user's
 * maps its own uid itself, which a kernel may refuse where it allows the namespace (AppArmor's
 * restrict_unprivileged_userns), so the child maps too. */
static bool can_run_in_user_namespace(void)
{
    bool root = geteuid() == 0;
    char map[64];
    snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)geteuid(), (unsigned)geteuid());
    size_t len = strlen(map);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        if (unshare(CLONE_NEWUSER) != 0)
            _exit(1);
        if (root)
            _exit(0);
        int fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
        _exit(fd >= 0 && write(fd, map, len) == (ssize_t)len ? 0 : 1);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int wd_sandbox_probe(wd_sandbox_caps *caps)
{
    if (!caps)
        return wd_fail(WD_EINVAL, "wd_sandbox_probe needs somewhere to write");
    *caps = (wd_sandbox_caps){0};
    caps->landlock_abi = landlock_abi(&caps->landlock_why);
    caps->seccomp_filter = seccomp_filter_available();
    caps->seccomp_active = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2;
    caps->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) >= 0;
    caps->root = geteuid() == 0;
    caps->user_namespaces = can_run_in_user_namespace();
    caps->network_namespaces = can_unshare(CLONE_NEWNET) ||
                               (caps->user_namespaces && can_unshare(CLONE_NEWUSER | CLONE_NEWNET));
    return 0;
}

int wd_kernel_at_least(const char *release, unsigned major, unsigned minor)
{
    /* "6.18.44-fc", "5.14.0-rc1": two numbers, a dot between; anything else is not proof. */
    unsigned long v[2] = {0, 0};
    const char *p = release;
    for (int i = 0; i < 2; i++) {
        if (!p || *p < '0' || *p > '9')
            return 0;
        char *end;
        v[i] = strtoul(p, &end, 10);
        if (end - p > 6)
            return 0;
        p = i == 0 ? (*end == '.' ? end + 1 : NULL) : end;
    }
    return v[0] > major || (v[0] == major && v[1] >= minor);
}

int wd_sandbox_mediation(const char **why)
{
    static const char *const no_notify = "seccomp user notification is not available";
    static const char *const old =
        "the kernel is older than Linux 5.14 (no SECCOMP_ADDFD_FLAG_SEND)";
    struct seccomp_notif_sizes s;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &s) != 0) {
        if (why)
            *why = no_notify;
        return 0;
    }
    struct utsname u;
    if (uname(&u) != 0 || !wd_kernel_at_least(u.release, 5, 14)) {
        if (why)
            *why = old;
        return 0;
    }
    if (why)
        *why = "";
    return 1;
}
