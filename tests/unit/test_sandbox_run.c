/* test_sandbox_run.c: plugin instances through the library (sandbox.h) with the example
 * plugins the build makes: results, warm instances, chunked input, refusals the broker makes
 * and records, policy plugins getting nothing, and every way an instance refuses to start. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "sandbox/proto.h"
#include "warden/warden.h"

#define EXAMPLES WD_BINARY_DIR "/examples/plugins"

static wd_contract *load(const char *path)
{
    wd_contract *c = NULL;
    int rc = wd_contract_load(&c, path, NULL);
    if (rc)
        fail_msg("%s: %s", path, wd_error_last()->message);
    return c;
}

static wd_sandbox_options options(unsigned max_calls)
{
    wd_sandbox_options o = WD_SANDBOX_OPTIONS_INIT;
    o.runner_path = WD_RUNNER;
    o.max_calls = max_calls;
    /* Tests must pass on kernels without Landlock too; the hostile suite pins enforcement. */
    wd_sandbox_caps caps;
    wd_sandbox_probe(&caps);
    if (caps.landlock_abi == 0)
        o.min_landlock_abi = 0;
    return o;
}

static void test_compute_call(void **state)
{
    (void)state;
    wd_contract *c = load(EXAMPLES "/wordcount/contract.yaml");
    wd_sandbox_options o = options(1);
    wd_instance *in = NULL;
    assert_int_equal(wd_instance_start(&in, c, &o), 0);
    assert_string_equal(wd_instance_describe(in), ""); /* not started yet */
    wd_call_result r;
    assert_int_equal(wd_instance_prepare(in, &r), 0); /* started: describe() is known */
    assert_true(r.ok);
    assert_non_null(strstr(wd_instance_describe(in), "\"input_schema\""));
    const char *input = "{\"text\": \"one two  three\\nfour\"}";
    assert_int_equal(wd_instance_call(in, input, strlen(input), "corr-1", &r), 0);
    assert_true(r.ok);
    assert_string_equal(r.code, "");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.output, "{\"words\": 4, \"lines\": 1, \"bytes\": 19}");
    assert_int_equal(r.output_len, strlen(r.output));
    assert_string_equal(r.correlation_id, "corr-1");
    assert_int_equal(r.requests, 0);
    assert_true(r.duration_ns > 0);
    assert_non_null(strstr(wd_instance_describe(in), "Counts words"));
    wd_call_result_clear(&r);
    assert_null(r.output);
    /* A fresh correlation id when none is given: a UUIDv4. */
    assert_int_equal(wd_instance_call(in, input, strlen(input), NULL, &r), 0);
    assert_int_equal(strlen(r.correlation_id), 36);
    assert_int_equal(r.correlation_id[14], '4');
    wd_call_result_clear(&r);
    wd_instance_stop(in);
    wd_contract_free(c);
}

static void test_warm_and_chunked_input(void **state)
{
    (void)state;
    wd_contract *c = load(EXAMPLES "/wordcount/contract.yaml");
    wd_sandbox_options o = options(50);
    wd_instance *in = NULL;
    assert_int_equal(wd_instance_start(&in, c, &o), 0);
    for (int i = 0; i < 120; i++) { /* crosses two replacements of the warm instance */
        wd_call_result r;
        char input[64];
        int n = snprintf(input, sizeof(input), "{\"text\": \"%d words here\"}", i);
        assert_int_equal(wd_instance_call(in, input, (size_t)n, NULL, &r), 0);
        const char *want = "{\"words\": 3, \"lines\": 0, \"bytes\": ";
        assert_int_equal(strncmp(r.output, want, strlen(want)), 0);
        wd_call_result_clear(&r);
    }
    /* 300 KB of input travels in several protocol messages. */
    size_t words = 60000, len = 10 + words * 5 + 2;
    char *big = malloc(len + 1);
    assert_non_null(big);
    size_t off = (size_t)snprintf(big, len + 1, "{\"text\": \"");
    for (size_t i = 0; i < words; i++)
        off += (size_t)snprintf(big + off, len + 1 - off, "abcd ");
    off += (size_t)snprintf(big + off, len + 1 - off, "\"}");
    wd_call_result r;
    assert_int_equal(wd_instance_call(in, big, off, NULL, &r), 0);
    assert_string_equal(r.output, "{\"words\": 60000, \"lines\": 0, \"bytes\": 300000}");
    wd_call_result_clear(&r);
    free(big);
    wd_instance_stop(in);
    wd_contract_free(c);
}

static void test_execute_error(void **state)
{
    (void)state;
    wd_contract *c = load(EXAMPLES "/wordcount/contract.yaml");
    wd_sandbox_options o = options(5);
    wd_instance *in = NULL;
    assert_int_equal(wd_instance_start(&in, c, &o), 0);
    wd_call_result r;
    assert_int_equal(wd_instance_call(in, "{}", 2, NULL, &r), WD_ESANDBOX);
    assert_false(r.ok);
    assert_string_equal(r.code, "WD-S011");
    assert_string_equal(wd_error_last()->id, "WD-S011");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.output, "needs a"));
    wd_call_result_clear(&r);
    /* The instance is healthy: the next call works. */
    assert_int_equal(wd_instance_call(in, "{\"text\": \"x\"}", 13, NULL, &r), 0);
    wd_call_result_clear(&r);
    wd_instance_stop(in);
    wd_contract_free(c);
}

typedef struct {
    int decisions_denied, decisions_allowed, calls;
    char corr[64];
} audit_count;

static int count_record(const wd_audit_record *rec, void *ctx)
{
    audit_count *a = ctx;
    if (strcmp(rec->correlation_id, a->corr) != 0)
        return 0;
    if (!strcmp(rec->type, "BROKER_DECISION")) {
        if (strstr(rec->details, "\"decision\":\"deny\""))
            a->decisions_denied++;
        else
            a->decisions_allowed++;
        assert_string_equal(rec->component, "examples.reader");
    } else if (!strcmp(rec->type, "PLUGIN_CALL")) {
        a->calls++;
    }
    return 0;
}

static void test_broker_refusals_are_audited(void **state)
{
    (void)state;
    char *dir = wd_test_tmpdir();
    char keys[512], logdir[512];
    wd_audit *log = wd_test_audit_open(dir, keys, logdir, sizeof(keys));
    assert_non_null(log);
    wd_contract *c = load(EXAMPLES "/reader/contract.yaml");
    wd_sandbox_options o = options(10);
    o.audit = log;
    wd_instance *in = NULL;
    assert_int_equal(wd_instance_start(&in, c, &o), 0);
    char input[4400];
    wd_call_result r;
    snprintf(input, sizeof(input), "{\"path\": \"%s\"}", EXAMPLES "/reader/data/hello.txt");
    assert_int_equal(wd_instance_call(in, input, strlen(input), "corr-ok", &r), 0);
    assert_non_null(strstr(r.output, "Hello from the data directory."));
    assert_int_equal(r.requests, 1);
    assert_int_equal(r.denied, 0);
    wd_call_result_clear(&r);
    /* The deny rule inside the granted tree, the default deny outside, and the plugin's own
     * contract (protected although its directory is not granted at all). */
    const char *refused[] = {EXAMPLES "/reader/data/api.secret", "/etc/shadow",
                             EXAMPLES "/reader/data/../contract.yaml", "/proc/self/environ"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        snprintf(input, sizeof(input), "{\"path\": \"%s\"}", refused[i]);
        assert_int_equal(wd_instance_call(in, input, strlen(input), "corr-deny", &r), WD_ESANDBOX);
        assert_string_equal(r.code, "WD-S011");
        assert_int_equal(r.denied, 1);
        assert_non_null(strstr(r.output, "refused: "));
        assert_null(strstr(r.output, "hunter2"));
        wd_call_result_clear(&r);
    }
    wd_instance_stop(in);
    assert_int_equal(wd_audit_close(log), 0);
    audit_count a = {0};
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    snprintf(a.corr, sizeof(a.corr), "corr-ok");
    assert_int_equal(wd_audit_query_run(logdir, &q, count_record, &a), 0);
    assert_int_equal(a.decisions_allowed, 1);
    assert_int_equal(a.calls, 1);
    a = (audit_count){0};
    snprintf(a.corr, sizeof(a.corr), "corr-deny");
    assert_int_equal(wd_audit_query_run(logdir, &q, count_record, &a), 0);
    assert_int_equal(a.decisions_denied, 4);
    assert_int_equal(a.decisions_allowed, 0);
    assert_int_equal(a.calls, 4);
    wd_contract_free(c);
    wd_test_rmtree(dir);
}

/* A copy of an example in a temp dir, with the contract's type replaced. */
static char *copy_example(const char *name, const char *type)
{
    char *dir = wd_test_tmpdir();
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "cp -r '%s/%s/.' '%s/' && sed -i 's/^type: .*/type: %s/; s/^policy: .*/policy: "
             "{version: \"1.0\"}/' '%s/contract.yaml'",
             EXAMPLES, name, dir, type, dir);
    assert_int_equal(wd_test_run(cmd), 0);
    return dir;
}

static void test_policy_plugin_gets_nothing(void **state)
{
    (void)state;
    char *dir = copy_example("reader", "orchestrator");
    char path[512];
    snprintf(path, sizeof(path), "%s/contract.yaml", dir);
    wd_contract *c = load(path);
    wd_sandbox_options o = options(1);
    wd_instance *in = NULL;
    assert_int_equal(wd_instance_start(&in, c, &o), 0);
    char input[600];
    snprintf(input, sizeof(input), "{\"path\": \"%s/data/hello.txt\"}", dir);
    wd_call_result r;
    assert_int_equal(wd_instance_call(in, input, strlen(input), NULL, &r), WD_ESANDBOX);
    assert_non_null(strstr(r.output, "policy plugins get no storage"));
    wd_call_result_clear(&r);
    wd_instance_stop(in);
    wd_contract_free(c);
    wd_test_rmtree(dir);
}

static void test_refusals_to_start(void **state)
{
    (void)state;
    wd_contract *c = load(EXAMPLES "/wordcount/contract.yaml");
    wd_instance *in = NULL;
    wd_call_result r;
    assert_int_equal(wd_instance_start(&in, NULL, NULL), WD_EINVAL);
    wd_sandbox_options o = options(1);
    o.version = 99;
    assert_int_equal(wd_instance_start(&in, c, &o), WD_EINVAL);
    assert_null(in);
    /* No runner: the call fails, contained, with WD-S013. */
    o = options(1);
    o.runner_path = "/nonexistent/warden-runner";
    assert_int_equal(wd_instance_start(&in, c, &o), 0);
    assert_int_equal(wd_instance_call(in, "{}", 2, NULL, &r), WD_ESANDBOX);
    assert_string_equal(r.code, "WD-S013");
    wd_call_result_clear(&r);
    wd_instance_stop(in);
    /* A Landlock ABI no kernel has: refused before any plugin code runs, and said why. */
    o = options(1);
    o.min_landlock_abi = 64;
    assert_int_equal(wd_instance_start(&in, c, &o), 0);
    assert_int_equal(wd_instance_call(in, "{\"text\": \"x\"}", 13, NULL, &r), WD_ESANDBOX);
    assert_string_equal(r.code, "WD-S001");
    assert_non_null(strstr(r.message, "below the required 64"));
    assert_null(strstr(wd_instance_notes(in), "below the required")); /* a result, not a note */
    wd_call_result_clear(&r);
    wd_instance_stop(in);
    assert_int_equal(wd_instance_call(NULL, "", 0, NULL, &r), WD_EINVAL);
    assert_int_equal(wd_instance_call(NULL, "", 0, NULL, NULL), WD_EINVAL);
    wd_contract_free(c);
}

static void test_library_changed_after_review(void **state)
{
    (void)state;
    char *dir = copy_example("wordcount", "compute");
    char path[512];
    snprintf(path, sizeof(path), "%s/contract.yaml", dir);
    wd_contract *c = load(path);
    /* The library changes after the contract was loaded: nothing of it is run. */
    snprintf(path, sizeof(path), "%s/libwordcount.so", dir);
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), 1);
    close(fd);
    wd_sandbox_options o = options(1);
    wd_instance *in = NULL;
    assert_int_equal(wd_instance_start(&in, c, &o), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-L009");
    assert_null(in);
    wd_contract_free(c);
    wd_test_rmtree(dir);
}

/* ---- who the plugin is ------------------------------------------------------------------ */

#define IDENTITY WD_BINARY_DIR "/tests/hostile/identity/contract.yaml"

/* One call of the identity plugin; its code, and its output in out. */
static const char *identity_call(wd_instance *in, const char *input, char *out, size_t size)
{
    static char code[16];
    wd_call_result r;
    wd_instance_call(in, input, strlen(input), NULL, &r);
    snprintf(code, sizeof(code), "%s", r.code);
    snprintf(out, size, "%s", r.output ? r.output : "");
    if (r.code[0] == 0 || strcmp(r.code, "WD-S011") != 0)
        snprintf(out, size, "%s", r.message);
    wd_call_result_clear(&r);
    return code;
}

static void test_plugin_is_never_root(void **state)
{
    (void)state;
    unsetenv("WARDEN_PLUGIN_UID");
    wd_contract *c = load(IDENTITY);
    wd_sandbox_options o = options(1);
    wd_instance *in = NULL;
    assert_int_equal(wd_instance_start(&in, c, &o), 0);
    char out[1024];
    assert_string_equal(identity_call(in, "{\"mode\": \"ids\"}", out, sizeof(out)), "WD-S011");
    unsigned uid, euid, gid, egid;
    int groups;
    assert_int_equal(sscanf(out, "ids: uid=%u euid=%u gid=%u egid=%u groups=%d", &uid, &euid, &gid,
                            &egid, &groups),
                     5);
    assert_true(uid != 0 && euid != 0 && gid != 0 && egid != 0);
    if (geteuid() == 0) { /* a root host: nobody, with no supplementary groups */
        assert_int_equal(uid, 65534);
        assert_int_equal(euid, 65534);
        assert_int_equal(gid, 65534);
        assert_int_equal(groups, 0);
    } else { /* an ordinary user's plugin is that user */
        assert_int_equal(uid, geteuid());
        assert_int_equal(gid, getegid());
    }
    /* No way back: setuid(0) and chown are not system calls the plugin may make. */
    assert_string_equal(identity_call(in, "{\"mode\": \"setuid\"}", out, sizeof(out)), "WD-S005");
    assert_non_null(strstr(out, "SIGSYS"));
    assert_string_equal(
        identity_call(in, "{\"mode\": \"chown\", \"path\": \"/tmp\"}", out, sizeof(out)),
        "WD-S005");
    wd_instance_stop(in);
    wd_contract_free(c);
}

/* A root host picks the plugin's ids with WARDEN_PLUGIN_UID=UID[:GID]; 0 or anything else that
 * is not an id refuses to run the plugin. */
static void test_plugin_uid_configured(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("not root: WARDEN_PLUGIN_UID applies to root hosts only: skipped\n");
        skip();
    }
    wd_contract *c = load(IDENTITY);
    wd_sandbox_options o = options(1);
    wd_instance *in = NULL;
    assert_int_equal(wd_instance_start(&in, c, &o), 0);
    char out[1024];
    setenv("WARDEN_PLUGIN_UID", "4242:4343", 1);
    assert_string_equal(identity_call(in, "{}", out, sizeof(out)), "WD-S011");
    assert_non_null(strstr(out, "ids: uid=4242 euid=4242 gid=4343 egid=4343 groups=0"));
    setenv("WARDEN_PLUGIN_UID", "4242", 1);
    assert_string_equal(identity_call(in, "{}", out, sizeof(out)), "WD-S011");
    assert_non_null(strstr(out, "ids: uid=4242 euid=4242 gid=4242 egid=4242 groups=0"));
    static const char *const bad[] = {"0",     "0:5",        "5:0",         "abc", "12:", ":12",
                                      "1:2:3", "4294967295", "99999999999", "-1",  " 12"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        setenv("WARDEN_PLUGIN_UID", bad[i], 1);
        assert_string_equal(identity_call(in, "{}", out, sizeof(out)), "WD-S001");
        assert_non_null(strstr(out, "WARDEN_PLUGIN_UID="));
    }
    unsetenv("WARDEN_PLUGIN_UID");
    wd_instance_stop(in);
    wd_contract_free(c);
}

/* The runner itself refuses to run a plugin as root when the setup names no unprivileged uid
 * and gid (0, none, or (uid_t)-1): driven directly, with a setup the host never sends. */
static int runner_answer(int with_ids, uint64_t uid, uint64_t gid, char *msg, size_t size)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
    char *argv[] = {(char *)"warden-runner", NULL}, *envp[] = {NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, WD_RUNNER, &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    wd_setup_writer w = {0};
    wd_setup_put_u64(&w, WD_SETUP_LANDLOCK_MIN, 0);
    if (with_ids) {
        wd_setup_put_u64(&w, WD_SETUP_UID, uid);
        wd_setup_put_u64(&w, WD_SETUP_GID, gid);
    }
    int lib = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_int_equal(wd_proto_send(sv[0], WD_MSG_SETUP, 0, 0, w.data, w.len, lib), 0);
    free(w.data);
    close(lib);
    static uint8_t buf[WD_PROTO_MAX_MSG];
    int fd;
    long n = wd_proto_recv(sv[0], buf, &fd);
    wd_msg m = {0};
    const char *why;
    int code = -1;
    if (n > 0 && wd_proto_decode(buf, (size_t)n, 1, &m, &why) == 0 && m.type == WD_MSG_FAIL) {
        code = m.a;
        snprintf(msg, size, "%.*s", (int)m.len, (const char *)m.data);
    }
    close(sv[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return code;
}

static void test_runner_refuses_root(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("not root: the runner keeps its own user's uid: skipped\n");
        skip();
    }
    char msg[512] = "";
    const struct {
        int with;
        uint64_t uid, gid;
    } bad[] = {{0, 0, 0}, {1, 0, 0}, {1, 0, 65534}, {1, 65534, 0}, {1, 4294967295u, 65534}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        assert_int_equal(runner_answer(bad[i].with, bad[i].uid, bad[i].gid, msg, sizeof(msg)),
                         1 /* WD_S_SETUP */);
        assert_non_null(strstr(msg, "names no unprivileged uid and gid for the plugin"));
    }
}

/* The runner is executed through the descriptor checked when the instance started: a file
 * renamed over it afterwards (here a script that would leave a mark) is never what runs. */
static void test_runner_replaced_after_start(void **state)
{
    (void)state;
    char *dir = wd_test_tmpdir();
    char runner[256], mark[256], copy[1024], script[300];
    snprintf(runner, sizeof(runner), "%s/warden-runner", dir);
    snprintf(mark, sizeof(mark), "%s/ran", dir);
    snprintf(copy, sizeof(copy), "cp '%s' '%s'", WD_RUNNER, runner);
    assert_int_equal(wd_test_run(copy), 0);
    snprintf(script, sizeof(script), "#!/bin/sh\ntouch '%s'\n", mark);
    char *fake = wd_test_write(dir, "fake", script, strlen(script));
    assert_int_equal(chmod(fake, 0755), 0);

    wd_contract *c = load(EXAMPLES "/wordcount/contract.yaml");
    wd_sandbox_options o = options(1);
    o.runner_path = runner;
    wd_instance *in = NULL;
    assert_int_equal(wd_instance_start(&in, c, &o), 0);
    assert_int_equal(rename(fake, runner), 0);
    const char *input = "{\"text\": \"a b\"}";
    wd_call_result r;
    assert_int_equal(wd_instance_call(in, input, strlen(input), NULL, &r), 0);
    assert_true(r.ok);
    assert_non_null(strstr(r.output, "\"words\": 2"));
    assert_int_equal(access(mark, F_OK), -1);
    wd_call_result_clear(&r);
    wd_instance_stop(in);
    wd_contract_free(c);
    free(fake);
    wd_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compute_call),
        cmocka_unit_test(test_warm_and_chunked_input),
        cmocka_unit_test(test_execute_error),
        cmocka_unit_test(test_broker_refusals_are_audited),
        cmocka_unit_test(test_policy_plugin_gets_nothing),
        cmocka_unit_test(test_refusals_to_start),
        cmocka_unit_test(test_library_changed_after_review),
        cmocka_unit_test(test_plugin_is_never_root),
        cmocka_unit_test(test_plugin_uid_configured),
        cmocka_unit_test(test_runner_refuses_root),
        cmocka_unit_test(test_runner_replaced_after_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
