/* test_engine.c: one tenant's warden behind one handle (engine.h), driven through the library
 * with the example plugins the build makes: the components and where their policies come from,
 * decisions with their explanations and operation ids, malformed queries among good ones, a
 * batch answered in order and recorded as the options say, grants, revokes and replaced policies
 * (validated, never half-applied, contract-relative URIs keeping their meaning), protected paths,
 * one-time overrides, lockdown on a changed baseline, plugin invocation, and decisions from
 * several threads while the policy changes underneath them (run under ThreadSanitizer too). */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "warden/engine.h"
#include "warden/warden.h"

/* The example plugins' built contracts: this build's, else (a build of only the test targets,
 * as the ThreadSanitizer run in scripts/test.sh makes) the main build's. Set by main(). */
static wd_test_examples ex;
#define EXAMPLES ex.dir
#define HELLO ex.hello
#define SECRET ex.secret
#define DATA_URI ex.data_uri
#define READER "examples.reader"
#define WORDCOUNT "examples.wordcount"
#define FETCH "examples.fetch"

typedef struct {
    char *tmp;
    char keys[600], log[600], policies[600], overrides[600];
    char manifest[700], pub[700];
    wd_audit *audit;
    wd_engine *e;
    uint8_t alice[64], bob[64];
    size_t alice_len, bob_len;
} fx;

/* ---- fixture ------------------------------------------------------------------------------ */

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->tmp = wd_test_tmpdir();
    f->audit = wd_test_audit_open(f->tmp, f->keys, f->log, sizeof(f->keys));
    snprintf(f->policies, sizeof(f->policies), "%s/policies", f->tmp);
    snprintf(f->overrides, sizeof(f->overrides), "%s/overrides", f->tmp);
    snprintf(f->manifest, sizeof(f->manifest), "%s/baseline.manifest", f->tmp);
    snprintf(f->pub, sizeof(f->pub), "%s/signing.pub", f->keys);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    wd_engine_close(f->e);
    wd_audit_close(f->audit);
    wd_test_rmtree(f->tmp);
    free(f);
    return 0;
}

static wd_engine_options options(fx *f, wd_engine_audit decisions)
{
    static const char *const dirs[] = {EXAMPLES};
    wd_engine_options o = WD_ENGINE_OPTIONS_INIT;
    o.name = "unit";
    o.contract_dirs = dirs;
    o.ncontract_dirs = 1;
    o.policies_dir = f->policies;
    o.audit = f->audit;
    o.decisions = decisions;
    o.overrides_dir = f->overrides;
    o.runner_path = WD_RUNNER;
    /* Tests must pass on kernels without Landlock too (as test_sandbox_run decides). */
    wd_sandbox_caps caps;
    wd_sandbox_probe(&caps);
    if (caps.landlock_abi == 0)
        o.min_landlock_abi = 0;
    return o;
}

static wd_engine *open_engine(fx *f, wd_engine_audit decisions)
{
    wd_engine_options o = options(f, decisions);
    wd_engine *e = NULL;
    size_t refused = 99;
    int rc = wd_engine_open(&e, &o, &refused);
    if (rc)
        fail_msg("wd_engine_open: %s", wd_error_last()->message);
    assert_int_equal(refused, 0);
    return e;
}

/* ---- collecting verdicts ------------------------------------------------------------------ */

typedef struct {
    int error;
    wd_effect effect;
    char reason[32];
    char explanation[3300];
    char operation[WD_OPERATION_ID_LEN + 1];
    bool has_rule;
    wd_effect rule_effect;
    char rule_text[512];
} got;

typedef struct {
    got *out;
    size_t n, next;
    int stop_at; /* -1: never */
} collector;

static int collect(void *ctx, size_t i, const wd_verdict *v)
{
    collector *c = ctx;
    assert_int_equal(i, c->next); /* in order, each once */
    assert_true(i < c->n);
    c->next++;
    got *g = &c->out[i];
    memset(g, 0, sizeof(*g));
    g->error = v->error;
    g->effect = v->effect;
    assert_non_null(v->reason);
    assert_non_null(v->explanation);
    assert_non_null(v->operation);
    snprintf(g->reason, sizeof(g->reason), "%s", v->reason);
    snprintf(g->explanation, sizeof(g->explanation), "%s", v->explanation);
    snprintf(g->operation, sizeof(g->operation), "%s", v->operation);
    if (v->rule) {
        g->has_rule = true;
        g->rule_effect = v->rule->effect;
        snprintf(g->rule_text, sizeof(g->rule_text), "%s", v->rule->text);
    }
    return c->stop_at >= 0 && (size_t)c->stop_at == i ? 42 : 0;
}

static int check_n(wd_engine *e, const char *component, const wd_check_query *q, size_t n, got *out)
{
    collector c = {out, n, 0, -1};
    int rc = wd_engine_check(e, component, q, n, collect, &c);
    if (rc == 0)
        assert_int_equal(c.next, n);
    return rc;
}

static got check1(wd_engine *e, const char *component, const char *verb, const char *target)
{
    got g;
    wd_check_query q = {verb, target};
    int rc = check_n(e, component, &q, 1, &g);
    if (rc)
        fail_msg("check %s %s %s: %s", component, verb, target, wd_error_last()->message);
    return g;
}

static void expect(const got *g, wd_effect effect, const char *reason)
{
    if (g->effect != effect || strcmp(g->reason, reason) != 0)
        fail_msg("expected %s/%s, got %s/%s: %s", wd_effect_name(effect), reason,
                 wd_effect_name(g->effect), g->reason, g->explanation);
}

static void op_id(const char *component, const char *verb, const char *target, char *out)
{
    assert_int_equal(wd_operation_id(component, verb, target, out), 0);
}

/* ---- audit records ------------------------------------------------------------------------ */

typedef struct {
    size_t n;
    const char *needle; /* in details; NULL: any */
} counter;

static int count_one(const wd_audit_record *r, void *ctx)
{
    counter *c = ctx;
    if (!c->needle || strstr(r->details, c->needle))
        c->n++;
    return 0;
}

static size_t count_records(fx *f, const char *type, const char *component, const char *needle)
{
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    q.type = type;
    q.component = component;
    counter c = {0, needle};
    assert_int_equal(wd_audit_query_run(f->log, &q, count_one, &c), 0);
    return c.n;
}

/* ---- components --------------------------------------------------------------------------- */

typedef struct {
    size_t n;
    char ids[8][64];
    char sources[8][16];
    size_t rules[8];
    wd_plugin_type types[8];
    char versions[8][16];
} listing;

static int list_one(const wd_engine_component *c, void *ctx)
{
    listing *l = ctx;
    assert_true(l->n < 8);
    snprintf(l->ids[l->n], sizeof(l->ids[0]), "%s", c->id);
    snprintf(l->sources[l->n], sizeof(l->sources[0]), "%s", c->policy_source);
    snprintf(l->versions[l->n], sizeof(l->versions[0]), "%s", c->version);
    l->rules[l->n] = c->rules;
    l->types[l->n] = c->type;
    assert_int_equal(c->level, WD_LEVEL_OFFICIAL);
    l->n++;
    return 0;
}

static int stop_listing(const wd_engine_component *c, void *ctx)
{
    (void)c;
    (*(int *)ctx)++;
    return 7;
}

static const char *source_of(wd_engine *e, const char *id)
{
    static char src[16];
    listing l = {0};
    assert_int_equal(wd_engine_components(e, list_one, &l), 0);
    for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.ids[i], id) == 0) {
            snprintf(src, sizeof(src), "%s", l.sources[i]);
            return src;
        }
    fail_msg("no component %s", id);
    return NULL;
}

static void test_components(void **state)
{
    fx *f = *state;
    f->e = open_engine(f, WD_ENGINE_AUDIT_ALL);
    assert_int_equal(wd_engine_component_count(f->e), 3);
    listing l = {0};
    assert_int_equal(wd_engine_components(f->e, list_one, &l), 0);
    assert_int_equal(l.n, 3);
    /* In id order, each with its contract's policy. */
    assert_string_equal(l.ids[0], FETCH);
    assert_string_equal(l.ids[1], READER);
    assert_string_equal(l.ids[2], WORDCOUNT);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(l.sources[i], "base");
        assert_string_equal(l.versions[i], "1.0.0");
    }
    assert_int_equal(l.types[0], WD_PLUGIN_NONDETERMINISTIC_COMPUTE);
    assert_int_equal(l.types[1], WD_PLUGIN_EFFECT);
    assert_int_equal(l.types[2], WD_PLUGIN_COMPUTE);
    assert_int_equal(l.rules[0], 1); /* fetch: one network rule */
    assert_int_equal(l.rules[1], 2); /* reader: an allow and a deny */
    assert_int_equal(l.rules[2], 0); /* wordcount: pure compute */
    /* A non-zero return stops the walk and is returned. */
    int calls = 0;
    assert_int_equal(wd_engine_components(f->e, stop_listing, &calls), 7);
    assert_int_equal(calls, 1);

    /* The policy in force, resolved: the contract's fs://data is beside the contract. */
    char *yaml = NULL;
    size_t len = 0;
    const char *source = NULL;
    assert_int_equal(wd_engine_policy_get(f->e, READER, &yaml, &len, &source), 0);
    assert_string_equal(source, "base");
    assert_int_equal(strlen(yaml), len);
    assert_non_null(strstr(yaml, DATA_URI));
    free(yaml);
    assert_int_equal(wd_engine_policy_get(f->e, "examples.nope", &yaml, &len, &source),
                     WD_ENOTFOUND);
    assert_null(yaml);

    /* No baseline: the digest is zeros and there is no lockdown. */
    uint8_t digest[32], zero[32] = {0};
    wd_engine_baseline_digest(f->e, digest);
    assert_memory_equal(digest, zero, 32);
    assert_null(wd_engine_lockdown(f->e));
}

static void test_open_refuses_bad_options(void **state)
{
    fx *f = *state;
    wd_engine *e = (wd_engine *)1;
    assert_int_equal(wd_engine_open(&e, NULL, NULL), WD_EINVAL);
    assert_null(e);
    wd_engine_options o = options(f, WD_ENGINE_AUDIT_ALL);
    o.version = 99;
    assert_int_equal(wd_engine_open(&e, &o, NULL), WD_EINVAL);
    o = options(f, WD_ENGINE_AUDIT_ALL);
    o.policies_dir = "relative/policies";
    assert_int_equal(wd_engine_open(&e, &o, NULL), WD_EINVAL);
    o.policies_dir = NULL;
    assert_int_equal(wd_engine_open(&e, &o, NULL), WD_EINVAL);
    o = options(f, WD_ENGINE_AUDIT_ALL);
    o.baseline = f->manifest; /* without its key */
    assert_int_equal(wd_engine_open(&e, &o, NULL), WD_EINVAL);
    assert_null(e);
    wd_engine_close(NULL);
    assert_null(wd_engine_lockdown(NULL));
    assert_int_equal(wd_engine_component_count(NULL), 0);
}

/* ---- decisions ---------------------------------------------------------------------------- */

static void test_check_allow_deny(void **state)
{
    fx *f = *state;
    f->e = open_engine(f, WD_ENGINE_AUDIT_ALL);
    char op[WD_OPERATION_ID_LEN + 1];

    got g = check1(f->e, READER, "read", HELLO);
    expect(&g, WD_ALLOW, "rule");
    assert_int_equal(g.error, 0);
    assert_true(g.has_rule);
    assert_int_equal(g.rule_effect, WD_ALLOW);
    assert_non_null(strstr(g.explanation, "is the most specific match"));
    assert_non_null(strstr(g.explanation, g.rule_text));
    assert_string_equal(g.operation, ""); /* allowed: nothing to approve */

    g = check1(f->e, READER, "read", SECRET);
    expect(&g, WD_DENY, "rule");
    assert_true(g.has_rule);
    assert_int_equal(g.rule_effect, WD_DENY);
    assert_non_null(strstr(g.rule_text, ".secret"));
    assert_non_null(strstr(g.explanation, "outranks")); /* the allow rule it beat */
    op_id(READER, "read", SECRET, op);
    assert_string_equal(g.operation, op);

    g = check1(f->e, READER, "write", "/tmp/elsewhere/file");
    expect(&g, WD_DENY, "no_rule");
    assert_false(g.has_rule);
    assert_string_equal(g.explanation, "no rule matched (default deny)");
    op_id(READER, "write", "/tmp/elsewhere/file", op);
    assert_string_equal(g.operation, op);

    /* Reading is all the contract grants: writing its own data is no rule. */
    g = check1(f->e, READER, "write", HELLO);
    assert_int_equal(g.effect, WD_DENY);

    g = check1(f->e, READER, "read", "/a/../../etc/passwd");
    expect(&g, WD_DENY, "escapes_root");

    g = check1(f->e, FETCH, "connect", "127.0.0.1:8080");
    expect(&g, WD_ALLOW, "rule");
    g = check1(f->e, FETCH, "connect", "127.0.0.1:9999");
    expect(&g, WD_DENY, "no_rule");
    g = check1(f->e, FETCH, "connect", "https://example.com");
    expect(&g, WD_DENY, "no_rule");
    g = check1(f->e, WORDCOUNT, "env", "HOME");
    expect(&g, WD_DENY, "no_rule");
    g = check1(f->e, WORDCOUNT, "read", HELLO);
    expect(&g, WD_DENY, "no_rule");

    /* Unknown component, missing arguments. */
    wd_check_query q = {"read", HELLO};
    got out[4];
    assert_int_equal(check_n(f->e, "examples.nope", &q, 1, out), WD_ENOTFOUND);
    assert_int_equal(check_n(f->e, "", &q, 1, out), WD_ENOTFOUND);
    assert_int_equal(wd_engine_check(f->e, READER, &q, 1, NULL, NULL), WD_EINVAL);
    assert_int_equal(wd_engine_check(f->e, NULL, &q, 1, collect, NULL), WD_EINVAL);
    assert_int_equal(wd_engine_check(f->e, READER, NULL, 1, collect, NULL), WD_EINVAL);
    /* Nothing to decide is not an error. */
    collector none = {out, 0, 0, -1};
    assert_int_equal(wd_engine_check(f->e, READER, NULL, 0, collect, &none), 0);
    assert_int_equal(none.next, 0);

    /* What the callback returns stops the run and is returned. */
    wd_check_query three[3] = {{"read", HELLO}, {"read", SECRET}, {"read", HELLO}};
    collector stop = {out, 3, 0, 1};
    assert_int_equal(wd_engine_check(f->e, READER, three, 3, collect, &stop), 42);
    assert_int_equal(stop.next, 2);
}

static void test_malformed_among_good(void **state)
{
    fx *f = *state;
    f->e = open_engine(f, WD_ENGINE_AUDIT_ALL);
    size_t before = count_records(f, "DECISION", READER, NULL);
    wd_check_query q[] = {
        {"read", HELLO},           /* 0 allow */
        {"read", "relative/path"}, /* 1 invalid: not absolute */
        {"read", SECRET},          /* 2 deny */
        {"frobnicate", "/x"},      /* 3 invalid: no such verb */
        {"env", ""},               /* 4 invalid: no key */
        {"connect", "exa mple"},   /* 5 invalid: not a host */
        {"write", ""},             /* 6 invalid: no path */
        {"read", HELLO},           /* 7 allow */
    };
    size_t n = sizeof(q) / sizeof(*q);
    got out[8];
    assert_int_equal(check_n(f->e, READER, q, n, out), 0);
    expect(&out[0], WD_ALLOW, "rule");
    expect(&out[2], WD_DENY, "rule");
    expect(&out[7], WD_ALLOW, "rule");
    assert_int_equal(out[0].error, 0);
    size_t bad[] = {1, 3, 4, 5, 6};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        got *g = &out[bad[i]];
        assert_int_equal(g->error, WD_EINVAL);
        expect(g, WD_DENY, "invalid");
        assert_false(g->has_rule);
        assert_string_not_equal(g->explanation, ""); /* says why */
        assert_string_equal(g->operation, "");       /* nothing to approve */
    }
    /* Every one of them recorded (decisions: all), the invalid ones as such. */
    assert_int_equal(count_records(f, "DECISION", READER, NULL) - before, n);
    assert_int_equal(count_records(f, "DECISION", READER, "\"reason\":\"invalid\""), 5);
}

/* A query without a verb or a target is one engine.h and check.c call malformed ("a query
 * needs a verb and a target": denied, reason "invalid"), so it must be answered and recorded
 * like any other malformed query. Run in a child: a crash must fail this test, not end the
 * whole program (under AddressSanitizer it would). */
typedef struct {
    int error[4];
    wd_effect effect[4];
    char reason[4][16];
    size_t n;
} plain_out;

static int plain_collect(void *ctx, size_t i, const wd_verdict *v)
{
    plain_out *o = ctx;
    if (i != o->n || i >= 4)
        return 1;
    o->error[i] = v->error;
    o->effect[i] = v->effect;
    snprintf(o->reason[i], sizeof(o->reason[i]), "%s", v->reason ? v->reason : "");
    o->n++;
    return 0;
}

/* In the child: no cmocka calls, and the default action for a crash. */
static int null_fields_child(fx *f, wd_engine_audit mode)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
        signal(sigs[i], SIG_DFL);
    wd_engine_options o = options(f, mode);
    wd_engine *e = NULL;
    if (wd_engine_open(&e, &o, NULL) != 0)
        return 2;
    wd_check_query q[] = {{"read", HELLO}, {NULL, "/x"}, {"read", NULL}, {"read", SECRET}};
    plain_out out = {0};
    int rc = wd_engine_check(e, READER, q, 4, plain_collect, &out);
    int ok = rc == 0 && out.n == 4 && out.effect[0] == WD_ALLOW && out.error[1] == WD_EINVAL &&
             strcmp(out.reason[1], "invalid") == 0 && out.effect[1] == WD_DENY &&
             out.error[2] == WD_EINVAL && strcmp(out.reason[2], "invalid") == 0 &&
             out.effect[3] == WD_DENY && strcmp(out.reason[3], "rule") == 0;
    wd_engine_close(e);
    return ok ? 0 : 1;
}

static void test_null_verb_or_target(void **state)
{
    fx *f = *state;
    static const wd_engine_audit modes[] = {WD_ENGINE_AUDIT_NONE, WD_ENGINE_AUDIT_DENY,
                                            WD_ENGINE_AUDIT_ALL};
    static const char *const names[] = {"none", "deny", "all"};
    for (size_t m = 0; m < 3; m++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(null_fields_child(f, modes[m]));
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status))
            fail_msg("decisions: %s: wd_engine_check with a NULL verb or target crashed (signal "
                     "%d) instead of answering \"invalid\"",
                     names[m], WTERMSIG(status));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("decisions: %s: wd_engine_check with a NULL verb or target: the child "
                     "exited %d (a crash or sanitizer report above, or a wrong verdict)",
                     names[m], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
}

static void test_batch_in_order_and_recorded(void **state)
{
    fx *f = *state;
    enum { N = 1000 };
    wd_check_query *q = calloc(N, sizeof(*q));
    got *out = calloc(N, sizeof(*out));
    assert_non_null(q);
    assert_non_null(out);
    size_t denied = 0;
    for (size_t i = 0; i < N; i++) {
        switch (i % 4) {
        case 0:
            q[i] = (wd_check_query){"read", HELLO};
            break;
        case 1:
            q[i] = (wd_check_query){"read", SECRET};
            denied++;
            break;
        case 2:
            q[i] = (wd_check_query){"write", "/tmp/x"};
            denied++;
            break;
        default:
            q[i] = (wd_check_query){"read", "not/absolute"};
            denied++;
            break;
        }
    }
    static const wd_engine_audit modes[] = {WD_ENGINE_AUDIT_ALL, WD_ENGINE_AUDIT_DENY,
                                            WD_ENGINE_AUDIT_NONE};
    const size_t want[] = {N, denied, 0};
    for (size_t m = 0; m < 3; m++) {
        wd_engine *e = open_engine(f, modes[m]);
        size_t before = count_records(f, "DECISION", READER, NULL);
        assert_int_equal(check_n(e, READER, q, N, out), 0);
        for (size_t i = 0; i < N; i++) {
            static const char *const reasons[] = {"rule", "rule", "no_rule", "invalid"};
            expect(&out[i], i % 4 == 0 ? WD_ALLOW : WD_DENY, reasons[i % 4]);
        }
        size_t recorded = count_records(f, "DECISION", READER, NULL) - before;
        if (recorded != want[m])
            fail_msg("decisions mode %d: %zu DECISION records, want %zu", (int)modes[m], recorded,
                     want[m]);
        wd_engine_close(e);
    }
    /* Allowed ones only under "all": 250 allow records in all. */
    assert_int_equal(count_records(f, "DECISION", READER, "\"decision\":\"allow\""), N / 4);
    free(q);
    free(out);
}

/* ---- policies ----------------------------------------------------------------------------- */

static void test_grant_and_revoke(void **state)
{
    fx *f = *state;
    f->e = open_engine(f, WD_ENGINE_AUDIT_ALL);
    char dir[700], file[800], uri[800];
    snprintf(dir, sizeof(dir), "%s/extra", f->tmp);
    snprintf(file, sizeof(file), "%s/report.txt", dir);
    snprintf(uri, sizeof(uri), "fs://%s/**", dir);

    got g = check1(f->e, READER, "read", file);
    expect(&g, WD_DENY, "no_rule");
    assert_string_equal(source_of(f->e, READER), "base");

    wd_grant gr = {WD_RULE_STORAGE, uri, WD_ACCESS_READ};
    assert_int_equal(wd_engine_grant(f->e, READER, &gr), 0);
    g = check1(f->e, READER, "read", file);
    expect(&g, WD_ALLOW, "rule");
    assert_non_null(strstr(g.rule_text, "/extra/**"));
    assert_string_equal(source_of(f->e, READER), "component");
    char *yaml = NULL;
    size_t len;
    const char *source = NULL;
    assert_int_equal(wd_engine_policy_get(f->e, READER, &yaml, &len, &source), 0);
    assert_string_equal(source, "component");
    assert_non_null(strstr(yaml, "/extra/**"));
    free(yaml);
    assert_int_equal(count_records(f, "POLICY_GRANT", NULL, READER), 1);

    /* The contract's rules came along with their meaning: fs://data is still beside the
     * contract (not beside the policy store), and the secret still denied. */
    g = check1(f->e, READER, "read", HELLO);
    expect(&g, WD_ALLOW, "rule");
    g = check1(f->e, READER, "read", SECRET);
    expect(&g, WD_DENY, "rule");
    char under_store[800];
    snprintf(under_store, sizeof(under_store), "%s/data/hello.txt", f->policies);
    g = check1(f->e, READER, "read", under_store);
    assert_int_equal(g.effect, WD_DENY);

    /* Only what was granted: not writing there. */
    g = check1(f->e, READER, "write", file);
    expect(&g, WD_DENY, "no_rule");

    /* Other kinds. */
    wd_grant env = {WD_RULE_ENVIRONMENT, "LANG", 0};
    assert_int_equal(wd_engine_grant(f->e, WORDCOUNT, &env), 0);
    g = check1(f->e, WORDCOUNT, "env", "LANG");
    expect(&g, WD_ALLOW, "rule");
    g = check1(f->e, WORDCOUNT, "env", "HOME");
    expect(&g, WD_DENY, "no_rule");
    wd_grant net = {WD_RULE_NETWORK, "api.example.com", 0};
    assert_int_equal(wd_engine_grant(f->e, FETCH, &net), 0);
    g = check1(f->e, FETCH, "connect", "https://api.example.com");
    expect(&g, WD_ALLOW, "rule");
    g = check1(f->e, FETCH, "connect", "127.0.0.1:8080"); /* the contract's rule stays */
    expect(&g, WD_ALLOW, "rule");

    /* A reopened engine reads the same policies back. */
    wd_engine *again = open_engine(f, WD_ENGINE_AUDIT_NONE);
    g = check1(again, READER, "read", file);
    expect(&g, WD_ALLOW, "rule");
    g = check1(again, READER, "read", HELLO);
    expect(&g, WD_ALLOW, "rule");
    assert_string_equal(source_of(again, READER), "component");
    wd_engine_close(again);

    /* Revoking takes it away at once; revoking again finds nothing. */
    assert_int_equal(wd_engine_revoke(f->e, READER, &gr), 0);
    g = check1(f->e, READER, "read", file);
    expect(&g, WD_DENY, "no_rule");
    assert_int_equal(wd_engine_revoke(f->e, READER, &gr), WD_ENOTFOUND);
    assert_int_equal(wd_engine_revoke(f->e, WORDCOUNT, &(wd_grant){WD_RULE_ENVIRONMENT, "NOPE", 0}),
                     WD_ENOTFOUND);
    assert_int_equal(
        wd_engine_revoke(f->e, FETCH, &(wd_grant){WD_RULE_NETWORK, "nowhere.example.org", 0}),
        WD_ENOTFOUND);
    /* Revoking write from a rule that grants only read is nothing to revoke either. */
    assert_int_equal(
        wd_engine_revoke(f->e, READER, &(wd_grant){WD_RULE_STORAGE, DATA_URI, WD_ACCESS_WRITE}),
        WD_ENOTFOUND);
    assert_int_equal(wd_engine_grant(f->e, WORDCOUNT, &env), 0); /* merged, not doubled */
    assert_int_equal(wd_engine_revoke(f->e, WORDCOUNT, &env), 0);
    g = check1(f->e, WORDCOUNT, "env", "LANG");
    expect(&g, WD_DENY, "no_rule");

    /* Unknown components and malformed grants. */
    assert_int_equal(wd_engine_grant(f->e, "examples.nope", &gr), WD_ENOTFOUND);
    assert_int_equal(wd_engine_revoke(f->e, "examples.nope", &gr), WD_ENOTFOUND);
    assert_int_equal(wd_engine_grant(f->e, NULL, &gr), WD_ENOTFOUND);
    assert_int_equal(wd_engine_grant(f->e, READER, NULL), WD_EINVAL);
    assert_int_equal(wd_engine_grant(f->e, READER, &(wd_grant){WD_RULE_STORAGE, NULL, 1}),
                     WD_EINVAL);
    assert_int_equal(wd_engine_grant(f->e, READER, &(wd_grant){(wd_rule_kind)9, "x", 1}),
                     WD_EINVAL);
    assert_int_equal(wd_engine_grant(f->e, READER, &(wd_grant){WD_RULE_STORAGE, uri, 0}),
                     WD_EINVAL);
    assert_int_equal(wd_engine_grant(f->e, READER, &(wd_grant){WD_RULE_ENVIRONMENT, "A\nB", 0}),
                     WD_EINVAL);
}

static const char BAD_POLICY[] = "version: \"1.0\"\n"
                                 "permissions:\n"
                                 "  storage:\n"
                                 "    allow:\n"
                                 "      - uri: \"fs:///srv/**\"\n"
                                 "        acess: [read]\n";

static void test_policy_put(void **state)
{
    fx *f = *state;
    f->e = open_engine(f, WD_ENGINE_AUDIT_ALL);
    char *before = NULL, *after = NULL;
    size_t blen, alen;
    const char *bsrc, *asrc;
    assert_int_equal(wd_engine_policy_get(f->e, READER, &before, &blen, &bsrc), 0);

    wd_diagnostics *d = NULL;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    assert_int_equal(wd_engine_policy_put(f->e, READER, BAD_POLICY, strlen(BAD_POLICY), d),
                     WD_EPOLICY);
    /* Every problem, each where it is: the rule without access (line 5) and the unknown
     * key (line 6). */
    assert_true(wd_diagnostics_errors(d) >= 2);
    const wd_diag *acess = NULL;
    for (size_t i = 0; i < wd_diagnostics_count(d); i++) {
        const wd_diag *x = wd_diagnostics_get(d, i);
        assert_int_equal(x->severity, WD_DIAG_ERROR);
        assert_int_equal(strncmp(x->id, "WD-P", 4), 0);
        if (strstr(x->message, "acess"))
            acess = x;
    }
    assert_non_null(acess);
    assert_int_equal(acess->line, 6);
    assert_int_equal(acess->column, 9);
    wd_diagnostics_free(d);

    /* The old policy is still in force, unchanged, and nothing was recorded. */
    assert_int_equal(wd_engine_policy_get(f->e, READER, &after, &alen, &asrc), 0);
    assert_string_equal(before, after);
    assert_string_equal(asrc, "base");
    free(after);
    got g = check1(f->e, READER, "read", HELLO);
    expect(&g, WD_ALLOW, "rule");
    assert_int_equal(count_records(f, "POLICY_REPLACE", NULL, NULL), 0);
    /* Not YAML at all, and empty. */
    assert_int_equal(wd_engine_policy_put(f->e, READER, "{{{", 3, NULL), WD_EPOLICY);
    assert_int_equal(wd_engine_policy_put(f->e, READER, "", 0, NULL), WD_EPOLICY);
    assert_int_equal(wd_engine_policy_put(f->e, "examples.nope", before, blen, NULL), WD_ENOTFOUND);

    /* A valid replacement takes effect at once and is recorded. */
    static const char only_env[] = "version: \"1.0\"\n"
                                   "permissions:\n"
                                   "  environment:\n"
                                   "    allow:\n"
                                   "      - key: \"LANG\"\n";
    assert_int_equal(wd_diagnostics_new(&d), 0);
    assert_int_equal(wd_engine_policy_put(f->e, READER, only_env, strlen(only_env), d), 0);
    assert_int_equal(wd_diagnostics_count(d), 0);
    wd_diagnostics_free(d);
    g = check1(f->e, READER, "read", HELLO);
    expect(&g, WD_DENY, "no_rule");
    g = check1(f->e, READER, "env", "LANG");
    expect(&g, WD_ALLOW, "rule");
    assert_string_equal(source_of(f->e, READER), "component");
    assert_int_equal(count_records(f, "POLICY_REPLACE", NULL, NULL), 1);
    /* The old text put back restores the old decisions. */
    assert_int_equal(wd_engine_policy_put(f->e, READER, before, blen, NULL), 0);
    g = check1(f->e, READER, "read", HELLO);
    expect(&g, WD_ALLOW, "rule");
    g = check1(f->e, READER, "read", SECRET);
    expect(&g, WD_DENY, "rule");
    free(before);
}

static void test_policy_put_protected(void **state)
{
    fx *f = *state;
    f->e = open_engine(f, WD_ENGINE_AUDIT_ALL);
    char yaml[2000] = "";
    wd_test_append(yaml, sizeof(yaml),
                   "version: \"1.0\"\n"
                   "permissions:\n"
                   "  storage:\n"
                   "    allow:\n"
                   "      - uri: \"fs://%s/**\"\n"
                   "        access: [read, write]\n"
                   "      - uri: \"fs://%s/elsewhere/**\"\n"
                   "        access: [write]\n",
                   f->policies, f->tmp);
    wd_diagnostics *d = NULL;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    assert_int_equal(wd_engine_policy_put(f->e, READER, yaml, strlen(yaml), d), 0);
    /* One warning, for the rule on the policies directory, at its line. */
    assert_int_equal(wd_diagnostics_errors(d), 0);
    assert_int_equal(wd_diagnostics_count(d), 1);
    const wd_diag *w = wd_diagnostics_get(d, 0);
    assert_int_equal(w->severity, WD_DIAG_WARNING);
    assert_string_equal(w->id, "WD-W002");
    assert_int_equal(w->line, 5);
    assert_non_null(strstr(w->message, f->policies));
    wd_diagnostics_free(d);

    char target[800];
    snprintf(target, sizeof(target), "%s/components/" READER ".yaml", f->policies);
    static const char *const verbs[] = {"write", "create", "delete"};
    for (size_t i = 0; i < 3; i++) {
        got g = check1(f->e, READER, verbs[i], target);
        expect(&g, WD_DENY, "protected");
        assert_non_null(strstr(g.explanation, "protected path"));
        assert_string_equal(g.operation, ""); /* no approval can lift it */
    }
    /* Not even reading: the policy store is private to warden, and a check answers as the
     * broker would (it refuses a plugin that asks). Elsewhere the grant holds. */
    got g = check1(f->e, READER, "read", target);
    expect(&g, WD_DENY, "protected");
    assert_string_equal(g.explanation, "a protected path (warden's own files are never granted)");
    char other[800];
    snprintf(other, sizeof(other), "%s/elsewhere/x", f->tmp);
    g = check1(f->e, READER, "write", other);
    expect(&g, WD_ALLOW, "rule");
    /* Deleting the directory above the policies is deleting them. */
    char parent[700], parent_uri[800];
    snprintf(parent, sizeof(parent), "%s", f->tmp);
    *strrchr(parent, '/') = '\0';
    snprintf(parent_uri, sizeof(parent_uri), "fs://%s/**", parent[0] ? parent : "");
    wd_grant del = {WD_RULE_STORAGE, parent_uri, WD_ACCESS_DELETE};
    assert_int_equal(wd_engine_grant(f->e, READER, &del), 0);
    g = check1(f->e, READER, "delete", f->tmp);
    expect(&g, WD_DENY, "protected");
    /* A path that reaches the store through "..". */
    char sneaky[900];
    snprintf(sneaky, sizeof(sneaky), "%s/elsewhere/../policies/components/x.yaml", f->tmp);
    g = check1(f->e, READER, "write", sneaky);
    expect(&g, WD_DENY, "protected");
}

/* ---- overrides ---------------------------------------------------------------------------- */

static void enroll(fx *f, const char *name, uint8_t *secret, size_t *len)
{
    wd_test_enroll(f->overrides, name, secret, len);
}

static void code_now(const uint8_t *secret, size_t len, char *out)
{
    assert_int_equal(wd_totp(secret, len, (int64_t)time(NULL), NULL, out), 0);
}

static void test_override_once(void **state)
{
    fx *f = *state;
    enroll(f, "alice", f->alice, &f->alice_len);
    enroll(f, "bob", f->bob, &f->bob_len);
    f->e = open_engine(f, WD_ENGINE_AUDIT_ALL);

    got g = check1(f->e, READER, "read", SECRET);
    expect(&g, WD_DENY, "rule");
    char op[WD_OPERATION_ID_LEN + 1], other[WD_OPERATION_ID_LEN + 1];
    op_id(READER, "read", SECRET, op);
    assert_string_equal(g.operation, op);
    op_id(READER, "write", "/tmp/x", other);

    /* A wrong code approves nothing. */
    assert_int_equal(wd_engine_approve(f->e, "alice", "000000", op, "testing", 60), WD_EPERM);
    char code[WD_TOTP_CODE_MAX + 1];
    code_now(f->alice, f->alice_len, code);
    if (strcmp(code, "000000") == 0) /* the one chance in a million */
        skip();
    /* Alice is throttled after her failure: use bob for the rest. */
    /* Approving another operation does not help this one. */
    code_now(f->bob, f->bob_len, code);
    assert_int_equal(wd_engine_approve(f->e, "bob", code, other, "a different one", 60), 0);
    g = check1(f->e, READER, "read", SECRET);
    expect(&g, WD_DENY, "rule");
    /* Nor does the same code twice. */
    assert_int_equal(wd_engine_approve(f->e, "bob", code, op, "replayed", 60), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-O002");
    /* Nor a missing approver, a missing justification or a malformed operation id. */
    assert_int_equal(wd_engine_approve(f->e, "carol", code, op, "who?", 60), WD_ENOTFOUND);
    assert_int_equal(wd_engine_approve(f->e, "bob", code, op, "", 60), WD_EINVAL);
    assert_int_equal(wd_engine_approve(f->e, "bob", code, "xyz", "why", 60), WD_EINVAL);

    /* Alice, once her throttle passed. */
    int rc;
    for (int tries = 0; tries < 40; tries++) {
        code_now(f->alice, f->alice_len, code);
        rc = wd_engine_approve(f->e, "alice", code, op, "rotate the demo key", 60);
        if (rc != WD_EBUSY)
            break;
        usleep(100 * 1000);
    }
    assert_int_equal(rc, 0);

    /* The next matching check is let through once, and says so. */
    g = check1(f->e, READER, "read", SECRET);
    expect(&g, WD_ALLOW, "override");
    assert_string_equal(g.operation, op);
    assert_non_null(strstr(g.explanation, op));
    g = check1(f->e, READER, "read", SECRET);
    expect(&g, WD_DENY, "rule");
    assert_int_equal(count_records(f, "OVERRIDE_USED", NULL, NULL), 1);
    /* The decision it let through is recorded as such. */
    assert_int_equal(count_records(f, "DECISION", READER, "\"reason\":\"override\""), 1);

    /* The approval of the other operation is still there: one use for it too, and it is bound
     * to its component (another component's identical request is another operation). */
    g = check1(f->e, WORDCOUNT, "write", "/tmp/x");
    expect(&g, WD_DENY, "no_rule");
    g = check1(f->e, READER, "write", "/tmp/x");
    expect(&g, WD_ALLOW, "override");
    g = check1(f->e, READER, "write", "/tmp/x");
    expect(&g, WD_DENY, "no_rule");

    /* Without an override directory: no operation ids, nothing to approve. */
    wd_engine_options o = options(f, WD_ENGINE_AUDIT_NONE);
    o.overrides_dir = NULL;
    wd_engine *plain = NULL;
    assert_int_equal(wd_engine_open(&plain, &o, NULL), 0);
    g = check1(plain, READER, "read", SECRET);
    expect(&g, WD_DENY, "rule");
    assert_string_equal(g.operation, "");
    assert_int_equal(wd_engine_approve(plain, "alice", code, op, "x", 60), WD_ENOTFOUND);
    wd_engine_close(plain);
}

/* engine.h: "protected paths outrank every grant"; docs/integrity.md: a change to a protected
 * path is denied "whatever the policy grants, and no override lifts it". */
static void test_override_cannot_lift_protection(void **state)
{
    fx *f = *state;
    enroll(f, "alice", f->alice, &f->alice_len);
    f->e = open_engine(f, WD_ENGINE_AUDIT_ALL);
    char target[800];
    snprintf(target, sizeof(target), "%s/components/" READER ".yaml", f->policies);
    got g = check1(f->e, READER, "write", target);
    assert_int_equal(g.effect, WD_DENY);
    char op[WD_OPERATION_ID_LEN + 1];
    op_id(READER, "write", target, op);
    char code[WD_TOTP_CODE_MAX + 1];
    code_now(f->alice, f->alice_len, code);
    assert_int_equal(wd_engine_approve(f->e, "alice", code, op, "let me rewrite my policy", 60), 0);
    g = check1(f->e, READER, "write", target);
    if (g.effect != WD_DENY)
        fail_msg("an approved override let a write to warden's own policy through: %s/%s (%s)",
                 wd_effect_name(g.effect), g.reason, g.explanation);
    assert_string_not_equal(g.reason, "override");
}

/* ---- lockdown ----------------------------------------------------------------------------- */

static void make_baseline(fx *f, char *watched, size_t size)
{
    char cmd[2000];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/components' '%s/defaults'", f->policies, f->policies);
    assert_int_equal(wd_test_run(cmd), 0);
    static const char fetch[] = "version: \"1.0\"\n"
                                "permissions:\n"
                                "  network:\n"
                                "    allow:\n"
                                "      - host: \"127.0.0.1\"\n";
    char dir[700];
    snprintf(dir, sizeof(dir), "%s/components", f->policies);
    free(wd_test_write(dir, FETCH ".yaml", fetch, strlen(fetch)));
    snprintf(watched, size, "%s/" FETCH ".yaml", dir);
    const char *paths[] = {f->policies};
    size_t count = 0;
    assert_int_equal(wd_baseline_create(paths, 1, f->keys, f->manifest, NULL, &count), 0);
    assert_true(count >= 1); /* and any component policy a test put there first */
}

static int open_with_baseline(fx *f, const char *manifest, wd_engine **out)
{
    wd_engine_options o = options(f, WD_ENGINE_AUDIT_ALL);
    o.baseline = manifest;
    o.baseline_pubkey = f->pub;
    return wd_engine_open(out, &o, NULL);
}

static void wait_lockdown(wd_engine *e)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!wd_engine_lockdown(e)) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double s = (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
        if (s > 2.0)
            fail_msg("no lockdown within 2 s of the change");
        usleep(1000);
    }
}

static void test_lockdown(void **state)
{
    fx *f = *state;
    char watched[800];
    make_baseline(f, watched, sizeof(watched));
    assert_int_equal(open_with_baseline(f, f->manifest, &f->e), 0);
    assert_null(wd_engine_lockdown(f->e));
    uint8_t digest[32], zero[32] = {0};
    wd_engine_baseline_digest(f->e, digest);
    assert_memory_not_equal(digest, zero, 32);
    assert_string_equal(source_of(f->e, FETCH), "component");
    got g = check1(f->e, READER, "read", HELLO);
    expect(&g, WD_ALLOW, "rule");

    FILE *fp = fopen(watched, "a");
    assert_non_null(fp);
    fputs("# loosened behind warden's back\n", fp);
    fclose(fp);
    wait_lockdown(f->e);
    char want[1000];
    snprintf(want, sizeof(want), "lockdown: %s changed", watched);
    assert_string_equal(wd_engine_lockdown(f->e), want);

    /* Every decision denies with it, whatever the rules say; nothing to approve. */
    const char *targets[][3] = {{READER, "read", HELLO},
                                {READER, "read", SECRET},
                                {FETCH, "connect", "127.0.0.1:8080"},
                                {READER, "read", "relative"}};
    for (size_t i = 0; i < 3; i++) {
        g = check1(f->e, targets[i][0], targets[i][1], targets[i][2]);
        expect(&g, WD_DENY, "lockdown");
        assert_string_equal(g.explanation, want);
        assert_string_equal(g.operation, "");
    }
    g = check1(f->e, targets[3][0], targets[3][1], targets[3][2]);
    expect(&g, WD_DENY, "invalid");
    /* The record follows the lockdown (which holds whether or not it is recorded). */
    for (int i = 0; i < 2000 && count_records(f, "INTEGRITY_LOCKDOWN", NULL, NULL) == 0; i++)
        usleep(1000);
    assert_int_equal(count_records(f, "INTEGRITY_LOCKDOWN", NULL, NULL), 1);

    /* Changes and invocations are refused; reading the policy is not. */
    const char *yaml = "version: \"1.0\"\n";
    assert_int_equal(wd_engine_policy_put(f->e, READER, yaml, strlen(yaml), NULL), WD_ESTATE);
    assert_string_equal(wd_error_last()->id, "WD-T006");
    wd_grant gr = {WD_RULE_ENVIRONMENT, "LANG", 0};
    assert_int_equal(wd_engine_grant(f->e, WORDCOUNT, &gr), WD_ESTATE);
    assert_string_equal(wd_error_last()->id, "WD-T006");
    assert_int_equal(wd_engine_revoke(f->e, WORDCOUNT, &gr), WD_ESTATE);
    wd_call_result r;
    const char *in = "{\"text\": \"a b\"}";
    assert_int_equal(wd_engine_invoke(f->e, WORDCOUNT, in, strlen(in), NULL, &r), WD_ESTATE);
    assert_string_equal(wd_error_last()->id, "WD-T006");
    wd_call_result_clear(&r);
    char *text = NULL;
    size_t len;
    const char *source;
    assert_int_equal(wd_engine_policy_get(f->e, READER, &text, &len, &source), 0);
    free(text);

    /* The files no longer match the baseline: a new engine refuses to start. */
    wd_engine *e2 = (wd_engine *)1;
    assert_int_equal(open_with_baseline(f, f->manifest, &e2), WD_ESTATE);
    assert_null(e2);
}

static void test_tampered_baseline(void **state)
{
    fx *f = *state;
    char watched[800];
    make_baseline(f, watched, sizeof(watched));
    /* The manifest itself edited (a hash changed to match a loosened file, say): its signature
     * no longer verifies. engine.h: "WD_ESTATE when the baseline does not verify". */
    char *m = NULL;
    size_t mlen = 0;
    FILE *fp = fopen(f->manifest, "r");
    assert_non_null(fp);
    char buf[65536];
    mlen = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[mlen] = 0;
    char *hex = strstr(buf, FETCH ".yaml");
    assert_non_null(hex);
    /* Flip one hex digit of the first line that names the file. */
    char *p = hex;
    while (p > buf && p[-1] != '\n')
        p--;
    for (; p < hex; p++)
        if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) {
            *p = *p == '0' ? '1' : '0';
            break;
        }
    m = wd_test_write(f->tmp, "forged.manifest", buf, mlen);
    wd_engine *e = (wd_engine *)1;
    int rc = open_with_baseline(f, m, &e);
    free(m);
    assert_null(e);
    assert_int_not_equal(rc, 0);
    if (rc != WD_ESTATE)
        fail_msg("a forged baseline refused with %s (%s), engine.h promises WD_ESTATE",
                 wd_strerror(rc), wd_error_last()->message);
}

static void test_changed_before_open(void **state)
{
    fx *f = *state;
    char watched[800];
    make_baseline(f, watched, sizeof(watched));
    FILE *fp = fopen(watched, "a");
    assert_non_null(fp);
    fputs("# changed while warden was down\n", fp);
    fclose(fp);
    wd_engine *e = (wd_engine *)1;
    assert_int_equal(open_with_baseline(f, f->manifest, &e), WD_ESTATE);
    assert_null(e);
    /* A missing manifest is no baseline at all: refused too. */
    char missing[800];
    snprintf(missing, sizeof(missing), "%s/nope.manifest", f->tmp);
    assert_int_not_equal(open_with_baseline(f, missing, &e), 0);
    assert_null(e);
}

/* ---- plugins ------------------------------------------------------------------------------ */

static void test_invoke(void **state)
{
    fx *f = *state;
    wd_test_need_runner("test_invoke");
    f->e = open_engine(f, WD_ENGINE_AUDIT_ALL);
    wd_call_result r;
    const char *in = "{\"text\": \"one two three\"}";
    int rc = wd_engine_invoke(f->e, WORDCOUNT, in, strlen(in), "corr-engine", &r);
    if (rc == WD_ESANDBOX && strcmp(r.code, "WD-S001") == 0) {
        print_message("test_invoke: the sandbox cannot run here (%s): skipped\n", r.message);
        wd_call_result_clear(&r);
        skip();
    }
    if (rc)
        fail_msg("invoke: %s %s", r.code, r.message);
    assert_true(r.ok);
    assert_string_equal(r.output, "{\"words\": 3, \"lines\": 0, \"bytes\": 13}");
    assert_string_equal(r.correlation_id, "corr-engine");
    wd_call_result_clear(&r);
    /* A failing call is a contained failure, with its id. */
    assert_int_equal(wd_engine_invoke(f->e, WORDCOUNT, "{}", 2, NULL, &r), WD_ESANDBOX);
    assert_false(r.ok);
    assert_string_equal(r.code, "WD-S011");
    wd_call_result_clear(&r);
    assert_int_equal(wd_engine_invoke(f->e, "examples.nope", in, strlen(in), NULL, &r),
                     WD_ENOTFOUND);
    wd_call_result_clear(&r);
    char *desc = NULL;
    assert_int_equal(wd_engine_describe(f->e, WORDCOUNT, &desc), 0);
    assert_non_null(strstr(desc, "Counts words"));
    free(desc);
    assert_int_equal(wd_engine_describe(f->e, WORDCOUNT, &desc), 0); /* cached */
    assert_non_null(strstr(desc, "Counts words"));
    free(desc);
}

/* ---- the broker's verdict is the engine's ------------------------------------------------- */

#define PROBE "hostile.lockdown_probe"

typedef struct {
    char dir[700];  /* the contract directory: a copy of the built plugin */
    char work[700]; /* what the component's policy grants */
} probe_fx;

/* Stages the lockdown_probe plugin (tests/hostile) as the only contract, with a component
 * policy in the store granting read and write on WORK (but *.secret), and LANG. Skips when the
 * hostile plugins are not built or no plugin can run here. */
static void stage_probe(fx *f, probe_fx *p, const char *test)
{
    wd_test_need_runner(test);
    char built[700], cmd[8000];
    snprintf(built, sizeof(built), "%s/tests/hostile/lockdown_probe/contract.yaml", WD_BINARY_DIR);
    if (access(built, R_OK) != 0) {
        print_message("%s: the hostile plugins are not built: skipped\n", test);
        skip();
    }
    snprintf(p->dir, sizeof(p->dir), "%s/probe", f->tmp);
    snprintf(p->work, sizeof(p->work), "%s/work", f->tmp);
    cmd[0] = '\0';
    wd_test_append(
        cmd, sizeof(cmd),
        "mkdir -p '%s' '%s/guarded' '%s/keys' '%s/components' && cp -a '%s/tests/hostile/"
        "lockdown_probe' '%s/' && echo hello > '%s/hello.txt' && echo no > '%s/x.secret' && "
        "echo g > '%s/guarded/g.txt' && echo k > '%s/keys/k'",
        p->dir, p->work, p->work, f->policies, WD_BINARY_DIR, p->dir, p->work, p->work, p->work,
        p->work);
    assert_int_equal(wd_test_run(cmd), 0);
    char yaml[2000] = "", dir[700];
    wd_test_append(yaml, sizeof(yaml),
                   "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                   "      - {uri: \"fs://%s/**\", access: [read, write]}\n"
                   "    deny:\n      - {uri: \"fs://%s/**/*.secret\", access: [read]}\n"
                   "  environment:\n    allow:\n      - key: LANG\n",
                   p->work, p->work);
    snprintf(dir, sizeof(dir), "%s/components", f->policies);
    free(wd_test_write(dir, PROBE ".yaml", yaml, strlen(yaml)));
}

static wd_engine_options probe_options(fx *f, probe_fx *p, const char *const *dirs)
{
    wd_engine_options o = options(f, WD_ENGINE_AUDIT_ALL);
    o.contract_dirs = dirs;
    (void)p;
    return o;
}

typedef struct {
    wd_engine *e;
    const char *input;
    int rc;
    wd_call_result r;
} invoke_ctx;

static void *invoke_thread(void *arg)
{
    invoke_ctx *c = arg;
    c->rc = wd_engine_invoke(c->e, PROBE, c->input, strlen(c->input), "corr-lockdown", &c->r);
    return NULL;
}

/* A lockdown that begins while a plugin runs reaches that call's next broker request: the
 * broker decides by the engine's watch, not only the engine before the call. */
static void test_lockdown_during_call(void **state)
{
    fx *f = *state;
    probe_fx p;
    stage_probe(f, &p, "test_lockdown_during_call");
    char watched[800];
    make_baseline(f, watched, sizeof(watched));
    const char *dirs[] = {p.dir};
    wd_engine_options o = probe_options(f, &p, dirs);
    o.baseline = f->manifest;
    o.baseline_pubkey = f->pub;
    assert_int_equal(wd_engine_open(&f->e, &o, NULL), 0);

    char flag[800], input[4000];
    snprintf(flag, sizeof(flag), "%s/started", p.work);
    snprintf(input, sizeof(input),
             "{\"flag\": \"%s\", \"probe\": \"%s/hello.txt\", \"max_ms\": 6000}", flag, p.work);
    invoke_ctx c = {.e = f->e, .input = input};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, invoke_thread, &c), 0);
    /* The plugin made its first request: the call is under way. */
    for (int i = 0; i < 5000 && access(flag, F_OK) != 0; i++)
        usleep(1000);
    bool started = access(flag, F_OK) == 0;
    if (started) {
        FILE *fp = fopen(watched, "a");
        assert_non_null(fp);
        fputs("# loosened during a call\n", fp);
        fclose(fp);
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    if (c.rc == WD_ESANDBOX && strcmp(c.r.code, "WD-S001") == 0) {
        print_message("the sandbox cannot run here (%s): skipped\n", c.r.message);
        wd_call_result_clear(&c.r);
        skip();
    }
    if (!started)
        fail_msg("the plugin never signalled: %s %s %s", c.r.code, c.r.message,
                 c.r.output ? c.r.output : "");
    char want[2000];
    snprintf(want, sizeof(want), "then refused: read %s/hello.txt: lockdown: %s changed", p.work,
             watched);
    if (!c.r.output || !strstr(c.r.output, want))
        fail_msg("want \"%s\" in the output, got %s: %s", want, c.r.code,
                 c.r.output ? c.r.output : "");
    assert_string_equal(c.r.code, "WD-S011"); /* execute() returned 1: refused */
    wd_call_result_clear(&c.r);
    /* Recorded as a broker denial with the lockdown's reason, under the call. */
    char reason[1000];
    snprintf(reason, sizeof(reason), "\"reason\":\"lockdown: %s changed\"", watched);
    assert_true(count_records(f, "BROKER_DECISION", PROBE, reason) >= 1);
    /* And the requests before it were allowed (the flag, at least). */
    assert_true(count_records(f, "BROKER_DECISION", PROBE, "\"decision\":\"allow\"") >= 1);
}

/* The engine's checks and the broker answer every request the same way: allow or deny, and
 * with the same explanation. */
static void test_check_agrees_with_broker(void **state)
{
    fx *f = *state;
    probe_fx p;
    stage_probe(f, &p, "test_check_agrees_with_broker");
    const char *dirs[] = {p.dir};
    wd_engine_options o = probe_options(f, &p, dirs);
    char guarded[800], keys[800];
    snprintf(guarded, sizeof(guarded), "%s/guarded", p.work);
    snprintf(keys, sizeof(keys), "%s/keys", p.work);
    const char *globs[] = {guarded}, *priv[] = {keys};
    o.protected_globs = globs;
    o.nprotected = 1;
    o.private_paths = priv;
    o.nprivate = 1;
    setenv("LANG", "C.UTF-8", 1);
    assert_int_equal(wd_engine_open(&f->e, &o, NULL), 0);

    char contract[800], runner[PATH_MAX];
    snprintf(contract, sizeof(contract), "%s/lockdown_probe/contract.yaml", p.dir);
    assert_non_null(realpath(WD_RUNNER, runner));
    const char *rows[][2] = {
        {"read", "hello.txt"},      /* allowed */
        {"write", "hello.txt"},     /* allowed */
        {"read", "x.secret"},       /* a deny rule */
        {"read", "guarded/g.txt"},  /* protected from change, not from reading */
        {"write", "guarded/g.txt"}, /* protected */
        {"read", "keys/k"},         /* private: not even read */
        {"write", "keys/k"},        /* private */
        {"read", "/etc/passwd"},    /* no rule */
        {"read", contract},         /* the plugin's own contract: private */
        {"write", runner},          /* warden's runner: never changed */
        {"env", "LANG"},            /* allowed */
        {"env", "HOME"},            /* no rule */
    };
    enum { N = sizeof(rows) / sizeof(*rows) };
    char targets[N][900], table[16000] = "";
    wd_check_query q[N];
    for (size_t i = 0; i < N; i++) {
        const char *t = rows[i][1];
        if (strcmp(rows[i][0], "env") && t[0] != '/')
            snprintf(targets[i], sizeof(targets[i]), "%s/%s", p.work, t);
        else
            snprintf(targets[i], sizeof(targets[i]), "%s", t);
        q[i] = (wd_check_query){rows[i][0], targets[i]};
        wd_test_append(table, sizeof(table), "%s%s %s", i ? "," : "", rows[i][0], targets[i]);
    }
    got g[N];
    assert_int_equal(check_n(f->e, PROBE, q, N, g), 0);

    char input[17000];
    snprintf(input, sizeof(input), "{\"table\": \"%s\"}", table);
    wd_call_result r;
    int rc = wd_engine_invoke(f->e, PROBE, input, strlen(input), NULL, &r);
    if (rc == WD_ESANDBOX && strcmp(r.code, "WD-S001") == 0) {
        print_message("the sandbox cannot run here (%s): skipped\n", r.message);
        wd_call_result_clear(&r);
        skip();
    }
    if (rc)
        fail_msg("invoke: %s %s", r.code, r.message);
    static const char *const want[N] = {"rule",      "rule",      "rule",      "rule",
                                        "protected", "protected", "protected", "no_rule",
                                        "protected", "protected", "rule",      "no_rule"};
    for (size_t i = 0; i < N; i++) {
        char line[5000];
        const char *eff = wd_effect_name(g[i].effect);
        if (g[i].effect == WD_ALLOW)
            snprintf(line, sizeof(line), "%s %s: allow\n", q[i].verb, q[i].target);
        else
            snprintf(line, sizeof(line), "%s %s: deny: %s %s: %s", q[i].verb, q[i].target,
                     q[i].verb, q[i].target, g[i].explanation);
        if (strcmp(g[i].reason, want[i]) || !strstr(r.output, line))
            fail_msg("row %zu: the check says %s/%s (%s), want %s; the broker's answers:\n%s", i,
                     eff, g[i].reason, g[i].explanation, want[i], r.output);
    }
    wd_call_result_clear(&r);
}

/* ---- several threads ---------------------------------------------------------------------- */

typedef struct {
    wd_engine *e;
    const char *granted_file;
    atomic_int stop;
    atomic_int failures;
    atomic_long rounds;
    atomic_long allowed_granted;
    char failure[512];
    pthread_mutex_t mu;
} shared;

typedef struct {
    shared *s;
    int bad;
    char why[400];
} thread_ctx;

/* Allow only when a rule says so; deny only with a reason that explains it. */
static int consistent(void *ctx, size_t i, const wd_verdict *v)
{
    thread_ctx *t = ctx;
    const char *want_reason = NULL;
    bool ok = v->error == 0 && v->reason && v->explanation;
    if (ok && v->effect == WD_ALLOW)
        ok = v->rule && v->rule->effect == WD_ALLOW && strcmp(v->reason, "rule") == 0 &&
             strstr(v->explanation, v->rule->text) != NULL;
    else if (ok)
        ok = (strcmp(v->reason, "no_rule") == 0 && !v->rule) ||
             (strcmp(v->reason, "rule") == 0 && v->rule && v->rule->effect == WD_DENY);
    switch (i) {
    case 0: /* the contract's data: allowed throughout, grants come and go beside it */
        ok = ok && v->effect == WD_ALLOW && strstr(v->rule->text, "data/**");
        break;
    case 1: /* the secret: denied by its rule throughout */
        ok = ok && v->effect == WD_DENY && v->rule;
        break;
    case 2: /* the granted file: allowed exactly when the grant is in force */
        if (ok && v->effect == WD_ALLOW) {
            ok = strstr(v->rule->pattern, "/granted/") != NULL;
            atomic_fetch_add(&t->s->allowed_granted, 1);
        } else if (ok) {
            want_reason = "no_rule";
            ok = strcmp(v->reason, want_reason) == 0;
        }
        break;
    default:
        ok = false;
    }
    if (!ok && !t->bad) {
        t->bad = 1;
        snprintf(t->why, sizeof(t->why), "query %zu: %s/%s: %.300s", i,
                 v->effect == WD_ALLOW ? "allow" : "deny", v->reason ? v->reason : "(null)",
                 v->explanation ? v->explanation : "(null)");
    }
    return 0;
}

static void *checker(void *arg)
{
    shared *s = arg;
    thread_ctx t = {s, 0, ""};
    wd_check_query q[3] = {{"read", HELLO}, {"read", SECRET}, {"read", s->granted_file}};
    long rounds = 0;
    while (!atomic_load(&s->stop) || rounds < 20) {
        int rc = wd_engine_check(s->e, READER, q, 3, consistent, &t);
        if (rc && !t.bad) {
            t.bad = 1;
            snprintf(t.why, sizeof(t.why), "wd_engine_check: %d", rc);
        }
        if (++rounds % 16 == 0) {
            char *yaml = NULL;
            size_t len;
            const char *src;
            if (wd_engine_policy_get(s->e, READER, &yaml, &len, &src) != 0 && !t.bad) {
                t.bad = 1;
                snprintf(t.why, sizeof(t.why), "policy_get failed");
            }
            free(yaml);
            (void)wd_engine_component_count(s->e);
        }
        if (t.bad)
            break;
    }
    atomic_fetch_add(&s->rounds, rounds);
    if (t.bad) {
        atomic_fetch_add(&s->failures, 1);
        pthread_mutex_lock(&s->mu);
        snprintf(s->failure, sizeof(s->failure), "%s", t.why);
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

static int count_sources(const wd_engine_component *c, void *ctx)
{
    int *n = ctx;
    if (strcmp(c->policy_source, "base") && strcmp(c->policy_source, "component"))
        return -1;
    (*n)++;
    return 0;
}

static void test_concurrent_checks_and_changes(void **state)
{
    fx *f = *state;
    f->e = open_engine(f, WD_ENGINE_AUDIT_DENY);
    char dir[700], file[800], uri[800];
    snprintf(dir, sizeof(dir), "%s/granted", f->tmp);
    snprintf(file, sizeof(file), "%s/f.txt", dir);
    snprintf(uri, sizeof(uri), "fs://%s/**", dir);
    shared s = {.e = f->e, .granted_file = file};
    pthread_mutex_init(&s.mu, NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, checker, &s), 0);
    wd_grant g = {WD_RULE_STORAGE, uri, WD_ACCESS_READ};
    int main_bad = 0;
    char why[600] = "";
    for (int i = 0; i < 50 && !main_bad; i++) {
        bool grant = i % 2 == 0;
        int rc = grant ? wd_engine_grant(f->e, READER, &g) : wd_engine_revoke(f->e, READER, &g);
        if (rc) {
            main_bad = 1;
            snprintf(why, sizeof(why), "%s %d: %s", grant ? "grant" : "revoke", i,
                     wd_error_last()->message);
            break;
        }
        /* Once a change returns, every new decision sees it. */
        got v = check1(f->e, READER, "read", file);
        if (v.effect != (grant ? WD_ALLOW : WD_DENY)) {
            main_bad = 1;
            snprintf(why, sizeof(why), "after %s %d: %s/%.200s", grant ? "grant" : "revoke", i,
                     v.reason, v.explanation);
        }
        int n = 0;
        if (wd_engine_components(f->e, count_sources, &n) != 0 || n != 3) {
            main_bad = 1;
            snprintf(why, sizeof(why), "components listing inconsistent after change %d", i);
        }
    }
    atomic_store(&s.stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    pthread_mutex_destroy(&s.mu);
    if (main_bad)
        fail_msg("%s", why);
    if (atomic_load(&s.failures))
        fail_msg("%d threads saw an inconsistent verdict: %s", atomic_load(&s.failures), s.failure);
    assert_true(atomic_load(&s.rounds) >= 80);
    /* 25 grants, 25 revokes: denied at the end. */
    got v = check1(f->e, READER, "read", file);
    expect(&v, WD_DENY, "no_rule");
    assert_int_equal(count_records(f, "POLICY_GRANT", NULL, READER), 25);
    assert_int_equal(count_records(f, "POLICY_REVOKE", NULL, READER), 25);
}

/* ---- the reason as a value ---------------------------------------------------------------- */

typedef struct {
    char reason[6][32];
    wd_verdict_reason cause[6];
} causes;

static int collect_cause(void *ctx, size_t i, const wd_verdict *v)
{
    causes *c = ctx;
    assert_true(i < 6);
    snprintf(c->reason[i], sizeof(c->reason[i]), "%s", v->reason);
    c->cause[i] = v->cause;
    return 0;
}

/* Every verdict carries its reason as a value beside its name, so callers (the daemon's answer
 * cache) branch on the value and never on the text. */
static void test_verdict_cause(void **state)
{
    fx *f = *state;
    f->e = open_engine(f, WD_ENGINE_AUDIT_NONE);
    char store[800];
    snprintf(store, sizeof(store), "%s/components/" READER ".yaml", f->policies);
    const wd_check_query q[6] = {
        {"read", HELLO},
        {"write", "/tmp/elsewhere/file"},
        {"read", "/a/../../etc/passwd"},
        {"frobnicate", HELLO},
        {"read", store},
        {"read", SECRET},
    };
    static const char *const names[6] = {"rule",    "no_rule",   "escapes_root",
                                         "invalid", "protected", "rule"};
    static const wd_verdict_reason want[6] = {WD_VERDICT_RULE,         WD_VERDICT_NO_RULE,
                                              WD_VERDICT_ESCAPES_ROOT, WD_VERDICT_INVALID,
                                              WD_VERDICT_PROTECTED,    WD_VERDICT_RULE};
    causes c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(wd_engine_check(f->e, READER, q, 6, collect_cause, &c), 0);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(c.reason[i], names[i]);
        assert_int_equal(c.cause[i], want[i]);
    }
}

int main(void)
{
    if (!wd_test_find_examples(&ex))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_components, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_bad_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_allow_deny, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_among_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_verb_or_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_in_order_and_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_and_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_put, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_put_protected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verdict_cause, setup, teardown),
        cmocka_unit_test_setup_teardown(test_override_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_override_cannot_lift_protection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_baseline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_before_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockdown_during_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_agrees_with_broker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_checks_and_changes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
