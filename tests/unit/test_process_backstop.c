/* test_process_backstop.c: Landlock is the backstop of process plugins. With the broker forced
 * to answer "continue" to every notification (the test-only fault switch, as a broken broker
 * would), the program's calls reach the kernel as they are: reading outside every grant,
 * writing into a read-only grant and executing outside the runtime roots must still fail with
 * EACCES, from Landlock, while the granted file reads. The plugin (tests/hostile/process/
 * backstop.c) is staged into a directory its unprivileged uid could write to, so that only
 * Landlock stands in the way of the write. Skipped where Landlock is unavailable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "sandbox/instance_int.h"
#include "warden/warden.h"

#define PLUGIN WD_BINARY_DIR "/tests/hostile/process/backstop"

typedef struct {
    char *dir;
    wd_contract *contract;
} staged;

/* A copy of the built plugin in a fresh directory, its data directory writable by anyone (so
 * the plugin's uid is not stopped by ownership) and the rest readable. */
static void stage(staged *s)
{
    if (access(PLUGIN "/contract.yaml", R_OK) != 0)
        fail_msg("%s is not built", PLUGIN);
    s->dir = wd_test_tmpdir();
    char cmd[2048], path[1024];
    snprintf(cmd, sizeof(cmd),
             "cp -a '%s/.' '%s/' && chmod 0755 '%s' && chmod 0777 '%s/data' && "
             "chmod 0666 '%s/data/ok.txt'",
             PLUGIN, s->dir, s->dir, s->dir, s->dir);
    assert_int_equal(wd_test_run(cmd), 0);
    snprintf(path, sizeof(path), "%s/contract.yaml", s->dir);
    if (wd_contract_load(&s->contract, path, NULL) != 0)
        fail_msg("%s: %s", path, wd_error_last()->message);
}

static void unstage(staged *s)
{
    wd_contract_free(s->contract);
    wd_test_rmtree(s->dir);
}

/* One call of the staged plugin, the broker broken or not; the output in out[size]. */
static void call(staged *s, int broken, char *out, size_t size, unsigned *requests)
{
    wd_sandbox_options o = WD_SANDBOX_OPTIONS_INIT;
    o.runner_path = WD_RUNNER;
    o.min_landlock_abi = 1;
    wd_instance *in = NULL;
    assert_int_equal(wd_instance_start(&in, s->contract, &o), 0);
    if (broken)
        wd_instance_fault_continue_all(in);
    wd_call_result r;
    int rc = wd_instance_call(in, "", 0, NULL, &r);
    if (rc != 0)
        fail_msg("call failed: %s %s (output %s)", r.code, r.message, r.output ? r.output : "");
    snprintf(out, size, "%s", r.output ? r.output : "");
    *requests = r.requests;
    wd_call_result_clear(&r);
    wd_instance_stop(in);
}

static void need_landlock(void)
{
    wd_test_need_runner("test_process_backstop");
    wd_sandbox_caps caps;
    wd_sandbox_probe(&caps);
    if (caps.landlock_abi == 0) {
        fprintf(stderr, "skipped: Landlock is unavailable here\n");
        skip();
    }
}

static void test_broken_broker_meets_landlock(void **state)
{
    (void)state;
    need_landlock();
    staged s = {0};
    stage(&s);
    char out[512], want[256];
    unsigned requests = 1;
    call(&s, 1, out, sizeof(out), &requests);
    /* The switch is real: no request reached the broker's decisions ... */
    assert_int_equal(requests, 0);
    /* ... and still only the grant is reachable, every other attempt EACCES from Landlock. */
    snprintf(want, sizeof(want), "granted=OK outside=%d create=%d write=%d exec=%d\n", EACCES,
             EACCES, EACCES, EACCES);
    assert_string_equal(out, want);
    /* The data directory is as it was: the create did not happen. */
    char path[1024];
    snprintf(path, sizeof(path), "%s/data/new.txt", s.dir);
    assert_int_equal(access(path, F_OK), -1);
    unstage(&s);
}

/* The same program with the broker working: the broker refuses the same calls itself (each a
 * request it decided), so the test above is about Landlock and not the program. */
static void test_working_broker(void **state)
{
    (void)state;
    need_landlock();
    staged s = {0};
    stage(&s);
    char out[512], want[256];
    unsigned requests = 0;
    call(&s, 0, out, sizeof(out), &requests);
    assert_true(requests >= 5);
    snprintf(want, sizeof(want), "granted=OK outside=%d create=%d write=%d exec=%d\n", EACCES,
             EACCES, EACCES, EACCES);
    assert_string_equal(out, want);
    unstage(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broken_broker_meets_landlock),
        cmocka_unit_test(test_working_broker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
