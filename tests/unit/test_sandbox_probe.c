/* test_sandbox_probe.c: wd_sandbox_probe reports what the kernel really enforces, and changes
 * nothing in the caller. Runs on any kernel: features it lacks are checked to be reported
 * missing, features it has are checked by using them in a child. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sched.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/process.h"

#include "warden/warden.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_restrict_self 446
#endif

static void ns_link(const char *name, char *out, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
    ssize_t n = readlink(path, out, size - 1);
    assert_true(n > 0);
    out[n] = '\0';
}

static bool unshare_works_in_child(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_probe_changes_nothing(void **state)
{
    (void)state;
    char net[128], user[128], net2[128], user2[128];
    ns_link("net", net, sizeof(net));
    ns_link("user", user, sizeof(user));
    wd_sandbox_caps c;
    assert_int_equal(wd_sandbox_probe(&c), 0);
    ns_link("net", net2, sizeof(net2));
    ns_link("user", user2, sizeof(user2));
    assert_string_equal(net, net2);
    assert_string_equal(user, user2);
    assert_int_equal(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0); /* not set on the caller */
    assert_int_equal(wd_sandbox_probe(NULL), WD_EINVAL);
}

static void test_landlock_as_reported(void **state)
{
    (void)state;
    wd_sandbox_caps c;
    assert_int_equal(wd_sandbox_probe(&c), 0);
    if (!c.landlock_abi) {
        assert_non_null(c.landlock_why);
        /* the kernel must agree that it cannot create a ruleset */
        struct landlock_ruleset_attr attr = {.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE};
        assert_true(syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0) < 0);
        return;
    }
    assert_null(c.landlock_why);
    /* reported available: a child that handles READ_FILE and grants nothing cannot read */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct landlock_ruleset_attr attr = {.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE};
        long fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
        if (fd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            syscall(SYS_landlock_restrict_self, (int)fd, 0) != 0)
            _exit(3);
        int f = open("/proc/self/status", O_RDONLY);
        _exit(f < 0 && errno == EACCES ? 0 : 4);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_namespaces_as_reported(void **state)
{
    (void)state;
    wd_sandbox_caps c;
    assert_int_equal(wd_sandbox_probe(&c), 0);
    assert_int_equal(c.root, geteuid() == 0);
    if (c.network_namespaces) {
        /* reported available: a child really gets a network namespace of its own */
        char before[128];
        ns_link("net", before, sizeof(before));
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (unshare(CLONE_NEWNET) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
                _exit(3);
            char after[128];
            ssize_t n = readlink("/proc/self/ns/net", after, sizeof(after) - 1);
            if (n <= 0)
                _exit(4);
            after[n] = '\0';
            _exit(strcmp(before, after) ? 0 : 5);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}

/* Plugins run in a user namespace of their own. As an ordinary user (as root: a child that
 * becomes nobody), the probe says so exactly when a child can make one and map its own uid
 * there, as the runner does. */
static void test_user_namespaces_as_reported(void **state)
{
    (void)state;
    wd_sandbox_caps c;
    assert_int_equal(wd_sandbox_probe(&c), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0 &&
            (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0))
            _exit(3);
        wd_sandbox_caps user;
        if (wd_sandbox_probe(&user) != 0 || user.root)
            _exit(4);
        char map[64];
        snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)geteuid(), (unsigned)geteuid());
        bool works = unshare(CLONE_NEWUSER) == 0;
        int fd = works ? open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC) : -1;
        works = fd >= 0 && write(fd, map, strlen(map)) == (ssize_t)strlen(map);
        _exit(works == user.user_namespaces ? 0 : 5);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    if (c.root) /* root's runner makes the namespace as root, and maps from outside it */
        assert_int_equal(c.user_namespaces, unshare_works_in_child());
}

/* Process plugins need Linux 5.14 (SECCOMP_ADDFD_FLAG_SEND): the release string decides, and
 * one that does not read as two numbers is never taken for a new enough kernel (WD-S015). */
static void test_kernel_release_for_process_plugins(void **state)
{
    (void)state;
    assert_true(wd_kernel_at_least("5.14", 5, 14));
    assert_true(wd_kernel_at_least("5.14.0-rc1", 5, 14));
    assert_true(wd_kernel_at_least("6.1.0-26-amd64", 5, 14));
    assert_true(wd_kernel_at_least("6.18.44-fc-v1300", 5, 14));
    assert_true(wd_kernel_at_least("10.0", 5, 14));
    assert_false(wd_kernel_at_least("5.13.19", 5, 14));
    assert_false(wd_kernel_at_least("5.4.0-150-generic", 5, 14));
    assert_false(wd_kernel_at_least("4.19.0", 5, 14));
    assert_false(wd_kernel_at_least("", 5, 14));
    assert_false(wd_kernel_at_least("6", 5, 14));
    assert_false(wd_kernel_at_least("6.", 5, 14));
    assert_false(wd_kernel_at_least("v6.1", 5, 14));
    assert_false(wd_kernel_at_least(".14", 5, 14));
    assert_false(wd_kernel_at_least("99999999999999999999.1", 5, 14));
    assert_false(wd_kernel_at_least(NULL, 5, 14));
    /* This machine's own answer agrees with its release. */
    const char *why = NULL;
    int ok = wd_sandbox_mediation(&why);
    assert_non_null(why);
    assert_true(ok == 1 ? why[0] == 0 : why[0] != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_changes_nothing),
        cmocka_unit_test(test_landlock_as_reported),
        cmocka_unit_test(test_namespaces_as_reported),
        cmocka_unit_test(test_user_namespaces_as_reported),
        cmocka_unit_test(test_kernel_release_for_process_plugins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
