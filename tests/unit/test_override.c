/* test_override.c: approvers, approvals and their one use (override.h): enrolment, codes
 * accepted once, replays refused (also across "restarts": every state is on disk), throttling
 * that grows, approvals bound to one operation and expiring, no defaults, and the records. */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "warden/warden.h"

typedef struct {
    char *tmp;
    char dir[512], keys[512], log[512];
    wd_audit *audit;
    uint8_t secret[64];
    size_t len;
    char op[WD_OPERATION_ID_LEN + 1];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->tmp = wd_test_tmpdir();
    snprintf(f->dir, sizeof(f->dir), "%s/overrides", f->tmp);
    f->audit = wd_test_audit_open(f->tmp, f->keys, f->log, sizeof(f->keys));
    assert_non_null(f->audit);
    char uri[512];
    assert_int_equal(
        wd_override_enroll(f->dir, "alice", NULL, "warden", uri, sizeof(uri), f->audit), 0);
    /* The secret, as a phone would take it from the URI. */
    const char *s = strstr(uri, "secret="), *e = strchr(s, '&');
    assert_int_equal(
        wd_base32_decode(s + 7, (size_t)(e - s - 7), f->secret, sizeof(f->secret), &f->len), 0);
    assert_int_equal(f->len, 20);
    assert_int_equal(wd_operation_id("acme.files", "write", "/srv/app/.env", f->op), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    wd_audit_close(f->audit);
    wd_test_rmtree(f->tmp);
    free(f);
    return 0;
}

static void code_at(fx *f, int64_t t, char *out)
{
    assert_int_equal(wd_totp(f->secret, f->len, t, NULL, out), 0);
}

static int approve(fx *f, const char *code, const char *op, int64_t now, const char *why)
{
    wd_approve_request r = {
        WD_APPROVE_REQUEST_VERSION, f->dir, "alice", code, op, why, 60, now, f->audit};
    return wd_override_approve(&r);
}

static void test_operation_id(void **state)
{
    fx *f = *state;
    char a[WD_OPERATION_ID_LEN + 1], b[WD_OPERATION_ID_LEN + 1], c[WD_OPERATION_ID_LEN + 1];
    assert_int_equal(strlen(f->op), WD_OPERATION_ID_LEN);
    assert_int_equal(wd_operation_id("acme.files", "write", "/srv/app/.env", a), 0);
    assert_string_equal(a, f->op); /* stable */
    assert_int_equal(wd_operation_id("acme.file", "swrite", "/srv/app/.env", b), 0);
    assert_string_not_equal(a, b); /* the parts are separated, not concatenated */
    assert_int_equal(wd_operation_id("acme.files", "read", "/srv/app/.env", c), 0);
    assert_string_not_equal(a, c);
}

static void test_enroll(void **state)
{
    fx *f = *state;
    char path[600], uri[512];
    snprintf(path, sizeof(path), "%s/alice.totp", f->dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Never overwritten; names are checked; parameters are checked. */
    assert_int_equal(wd_override_enroll(f->dir, "alice", NULL, NULL, uri, sizeof(uri), NULL),
                     WD_EBUSY);
    assert_int_equal(wd_override_enroll(f->dir, "../x", NULL, NULL, uri, sizeof(uri), NULL),
                     WD_EINVAL);
    assert_int_equal(wd_override_enroll(f->dir, "", NULL, NULL, uri, sizeof(uri), NULL), WD_EINVAL);
    wd_totp_params p = {WD_TOTP_SHA512, 8, 30};
    assert_int_equal(wd_override_enroll(f->dir, "bob", &p, "acme", uri, sizeof(uri), NULL), 0);
    assert_non_null(strstr(uri, "otpauth://totp/acme:bob?secret="));
    assert_non_null(strstr(uri, "&algorithm=SHA512&digits=8&period=30"));
    p.digits = 9;
    assert_int_equal(wd_override_enroll(f->dir, "carol", &p, NULL, uri, sizeof(uri), NULL),
                     WD_EINVAL);
}

static void test_approve_once_and_use_once(void **state)
{
    fx *f = *state;
    int64_t t = 1800000000;
    char code[9];
    code_at(f, t, code);
    assert_int_equal(approve(f, code, f->op, t, "ticket OPS-42"), 0);
    char path[600];
    snprintf(path, sizeof(path), "%s/approvals/%s", f->dir, f->op);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Another operation is not approved by it. */
    char other[WD_OPERATION_ID_LEN + 1];
    assert_int_equal(wd_operation_id("acme.files", "write", "/srv/app/.env2", other), 0);
    assert_int_equal(wd_override_consume(f->dir, other, "acme.files", t + 1, f->audit),
                     WD_ENOTFOUND);
    /* Used once, then gone. */
    assert_int_equal(wd_override_consume(f->dir, f->op, "acme.files", t + 1, f->audit), 0);
    assert_int_equal(wd_override_consume(f->dir, f->op, "acme.files", t + 2, f->audit),
                     WD_ENOTFOUND);
    assert_int_not_equal(stat(path, &st), 0);
    /* The same code again, even for another operation: a replay. */
    assert_int_equal(approve(f, code, other, t + 5, "again"), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-O002");
}

/* One look tells whether any approval waits: none before, one after approving, none once it
 * is used; a directory that cannot be read answers "maybe" (1), never "none". */
static void test_pending(void **state)
{
    fx *f = *state;
    char code[16];
    assert_int_equal(wd_override_pending(f->dir), 0);
    assert_int_equal(wd_override_pending(NULL), 0);
    code_at(f, 1000000, code);
    assert_int_equal(approve(f, code, f->op, 1000000, "pending"), 0);
    assert_int_equal(wd_override_pending(f->dir), 1);
    assert_int_equal(wd_override_consume(f->dir, f->op, "acme.files", 1000001, f->audit), 0);
    assert_int_equal(wd_override_pending(f->dir), 0);
    char path[700];
    snprintf(path, sizeof(path), "%s/approvals", f->dir);
    assert_int_equal(chmod(path, 0), 0);
    if (geteuid() != 0) /* root reads it anyway */
        assert_int_equal(wd_override_pending(f->dir), 1);
    assert_int_equal(chmod(path, 0700), 0);
}

static void test_replay_and_order(void **state)
{
    fx *f = *state;
    int64_t t = 1800000300;
    char now_code[9], before[9];
    code_at(f, t, now_code);
    code_at(f, t - 30, before);
    assert_int_equal(approve(f, now_code, f->op, t, "first"), 0);
    /* A code from an earlier step after a later one was accepted: refused, even though it is
     * inside the window. (Each refusal also starts the throttle: step past it.) */
    assert_int_equal(approve(f, before, f->op, t + 1, "older"), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-O002");
    /* The state is on disk: a fresh process (nothing is cached) refuses it too. */
    assert_int_equal(approve(f, now_code, f->op, t + 3, "restart"), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-O002");
}

static void test_throttle(void **state)
{
    fx *f = *state;
    int64_t t = 1800000600;
    char good[9];
    code_at(f, t, good);
    const char *wrong = strcmp(good, "000000") ? "000000" : "111111";
    assert_int_equal(approve(f, wrong, f->op, t, "guess"), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-O001");
    /* Right away, even the right code is refused: throttled for 1 s. */
    assert_int_equal(approve(f, good, f->op, t, "now"), WD_EBUSY);
    assert_string_equal(wd_error_last()->id, "WD-O005");
    /* Second failure: 2 s. */
    assert_int_equal(approve(f, wrong, f->op, t + 1, "guess"), WD_EPERM);
    assert_int_equal(approve(f, good, f->op, t + 2, "now"), WD_EBUSY);
    assert_non_null(strstr(wd_error_last()->message, "try again in 1 s"));
    /* After the wait, the right code works and the count resets. */
    assert_int_equal(approve(f, good, f->op, t + 3, "now"), 0);
}

static void test_refusals(void **state)
{
    fx *f = *state;
    int64_t t = 1800000900;
    char code[9];
    code_at(f, t, code);
    /* Justification and approver are required; the operation must be an id. */
    assert_int_equal(approve(f, code, f->op, t, ""), WD_EINVAL);
    assert_int_equal(approve(f, code, f->op, t, "   "), WD_EINVAL);
    assert_int_equal(approve(f, code, f->op, t, "line\nbreak"), WD_EINVAL);
    assert_int_equal(approve(f, code, "not-an-id", t, "why"), WD_EINVAL);
    wd_approve_request r = {
        WD_APPROVE_REQUEST_VERSION, f->dir, "mallory", code, f->op, "why", 60, t, NULL};
    assert_int_equal(wd_override_approve(&r), WD_ENOTFOUND); /* no default approver */
    assert_string_equal(wd_error_last()->id, "WD-O006");
    r.dir = "/nonexistent/overrides";
    r.approver = "alice";
    assert_int_equal(wd_override_approve(&r), WD_ENOTFOUND);
    /* A secret others can read is no secret. */
    char path[600];
    snprintf(path, sizeof(path), "%s/alice.totp", f->dir);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(approve(f, code, f->op, t, "why"), WD_EPERM);
    assert_int_equal(chmod(path, 0600), 0);
    /* A damaged replay state refuses every code (fail closed). */
    snprintf(path, sizeof(path), "%s/alice.state", f->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "garbage\n", 8), 8);
    close(fd);
    assert_int_equal(approve(f, code, f->op, t, "why"), WD_EINVAL);
    assert_string_equal(wd_error_last()->id, "WD-O006");
}

static void test_expiry(void **state)
{
    fx *f = *state;
    int64_t t = 1800001200;
    char code[9];
    code_at(f, t, code);
    assert_int_equal(approve(f, code, f->op, t, "short"), 0); /* ttl 60 s */
    assert_int_equal(wd_override_consume(f->dir, f->op, "acme.files", t + 61, f->audit),
                     WD_ENOTFOUND);
    /* Expired approvals are removed, not left to be used later. */
    assert_int_equal(wd_override_consume(f->dir, f->op, "acme.files", t + 1, f->audit),
                     WD_ENOTFOUND);
}

static void test_planted_approvals(void **state)
{
    fx *f = *state;
    char path[700];
    /* An approval nobody approved: written by hand, 0644. Not used, and removed. */
    snprintf(path, sizeof(path), "%s/approvals/%s", f->dir, f->op);
    char text[256];
    snprintf(text, sizeof(text),
             "warden-approval-v1\noperation %s\napprover alice\nexpires "
             "99999999999\njustification x\n",
             f->op);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, 0644), 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(wd_override_consume(f->dir, f->op, "acme.files", 1800000000, f->audit),
                     WD_ENOTFOUND);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    /* 0600 but too far in the future (approve caps at 24 h), or naming another operation. */
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(wd_override_consume(f->dir, f->op, "acme.files", 1800000000, f->audit),
                     WD_ENOTFOUND);
    /* A directory others can write to is refused outright. */
    snprintf(path, sizeof(path), "%s/approvals", f->dir);
    assert_int_equal(chmod(path, 0777), 0);
    char code[9];
    code_at(f, 1800000000, code);
    assert_int_equal(approve(f, code, f->op, 1800000000, "why"), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-O008");
    assert_int_equal(wd_override_consume(f->dir, f->op, "acme.files", 1800000000, f->audit),
                     WD_EPERM);
    assert_int_equal(chmod(path, 0700), 0);
}

typedef struct {
    int approved, refused, used, enrolled;
    int code_leaked;
    const char *code;
} counts;

static int count(const wd_audit_record *rec, void *ctx)
{
    counts *c = ctx;
    c->approved += !strcmp(rec->type, "OVERRIDE_APPROVED");
    c->refused += !strcmp(rec->type, "OVERRIDE_REFUSED");
    c->used += !strcmp(rec->type, "OVERRIDE_USED");
    c->enrolled += !strcmp(rec->type, "OVERRIDE_ENROLLED");
    c->code_leaked |= strstr(rec->line, c->code) != NULL;
    return 0;
}

static void test_audited_never_the_code(void **state)
{
    fx *f = *state;
    int64_t t = 1800001500;
    char code[9];
    code_at(f, t, code);
    assert_int_equal(approve(f, "123456", f->op, t - 300, "probe"),
                     strcmp(code, "123456") ? WD_EPERM : 0);
    assert_int_equal(approve(f, code, f->op, t, "ticket"), 0);
    assert_int_equal(wd_override_consume(f->dir, f->op, "acme.files", t, f->audit), 0);
    assert_int_equal(wd_audit_close(f->audit), 0);
    f->audit = NULL;
    counts c = {.code = code};
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    assert_int_equal(wd_audit_query_run(f->log, &q, count, &c), 0);
    assert_int_equal(c.enrolled, 1);
    assert_int_equal(c.approved, 1);
    assert_int_equal(c.refused, 1);
    assert_int_equal(c.used, 1);
    assert_false(c.code_leaked);
}

typedef struct {
    char outcomes[4][32];
    int n;
} refusals;

static int refusal_outcome(const wd_audit_record *rec, void *ctx)
{
    refusals *r = ctx;
    if (strcmp(rec->type, "OVERRIDE_REFUSED") != 0 || r->n == 4)
        return 0;
    json_error_t err;
    json_t *d = json_loads(rec->details, 0, &err);
    const char *o = d ? json_string_value(json_object_get(d, "outcome")) : NULL;
    snprintf(r->outcomes[r->n++], sizeof(r->outcomes[0]), "%s", o ? o : "(none)");
    json_decref(d);
    return 0;
}

/* The refusal record says what happened, from what the verification found: a replayed code is
 * "replayed", a wrong one "wrong code", and a throttled attempt "throttled". */
static void test_refusal_outcomes(void **state)
{
    fx *f = *state;
    int64_t t = 1800002400;
    char code[9], wrong[9];
    code_at(f, t, code);
    code_at(f, t + 600, wrong);
    assert_int_equal(approve(f, code, f->op, t, "first"), 0);
    assert_int_equal(approve(f, code, f->op, t + 1, "replay"), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-O002");
    assert_int_equal(approve(f, code, f->op, t + 1, "too soon"), WD_EBUSY);
    if (strcmp(wrong, code) != 0) {
        assert_int_equal(approve(f, wrong, f->op, t + 3, "wrong"), WD_EPERM);
        assert_string_equal(wd_error_last()->id, "WD-O001");
    }
    assert_int_equal(wd_audit_close(f->audit), 0);
    f->audit = NULL;
    refusals r = {.n = 0};
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    assert_int_equal(wd_audit_query_run(f->log, &q, refusal_outcome, &r), 0);
    assert_int_equal(r.n, strcmp(wrong, code) != 0 ? 3 : 2);
    assert_string_equal(r.outcomes[0], "replayed");
    assert_string_equal(r.outcomes[1], "throttled");
    if (r.n == 3)
        assert_string_equal(r.outcomes[2], "wrong code");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_operation_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enroll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_approve_once_and_use_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audited_never_the_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_planted_approvals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusal_outcomes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
