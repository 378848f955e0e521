/* test_daemon_api.c: wardend's HTTP API (src/daemon/api*.c, docs/api.md) driven in-process
 * through wdd_api_handle() against a real daemon state built from a temporary warden.yaml (the
 * example plugins, a policy store, an audit log, overrides): every route's answers and error
 * codes, authorisation by role, routing (404 against 405), bodies refused whole with nothing
 * changed or recorded, batch limits, audit query arguments, the metrics text, readiness in
 * lockdown, and reloads (a broken configuration keeps the running state; a state still held
 * by a request stays usable after a reload). */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/api_int.h"
#include "daemon/daemon.h"
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
#define MAX_BATCH 50

typedef struct {
    char *tmp;
    char config[700], keys[700], audit[700], policies[700], overrides[700];
    char manifest[700], pub[800], watched[800];
    bool baseline;
    wdd_daemon *d;
    wdd_response resp;
    wdd_peer peer; /* how the next request's peer identified itself */
    json_t *j;     /* the last answer, parsed (NULL for text) */
} fx;

/* ---- fixture ------------------------------------------------------------------------------ */

static void write_config(fx *f, const char *extra_top)
{
    char text[4096] = "";
    wd_test_append(text, sizeof(text),
                   "version: 1\n"
                   "listen: {unix: %s/sock}\n"
                   "limits: {max_batch: %d}\n"
                   "runner: %s\n"
                   "%s"
                   "tenants:\n"
                   "  - name: demo\n"
                   "    contracts: [%s]\n"
                   "    policies: policies\n"
                   "    audit: {log: audit, keys: keys, durability: none, decisions: all}\n"
                   "    overrides: overrides\n"
                   "    clients: [{uid: %ld, role: admin}]\n",
                   f->tmp, MAX_BATCH, WD_RUNNER, extra_top ? extra_top : "", EXAMPLES,
                   (long)getuid());
    if (f->baseline)
        wd_test_append(text, sizeof(text),
                       "    baseline: {manifest: baseline.manifest, pubkey: keys/signing.pub}\n");
    free(wd_test_write(f->tmp, "warden.yaml", text, strlen(text)));
}

static void start(fx *f)
{
    wd_diagnostics *diags = NULL;
    assert_int_equal(wd_diagnostics_new(&diags), 0);
    int rc = wdd_daemon_new(&f->d, f->config, WD_RUNNER, diags);
    if (rc) {
        char line[1200] = "";
        if (wd_diagnostics_count(diags))
            wd_diag_format(wd_diagnostics_get(diags, 0), line, sizeof(line));
        fail_msg("wdd_daemon_new: %s %s", wd_error_last()->message, line);
    }
    wd_diagnostics_free(diags);
}

static fx *fixture(bool baseline)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->tmp = wd_test_tmpdir();
    f->baseline = baseline;
    snprintf(f->config, sizeof(f->config), "%s/warden.yaml", f->tmp);
    snprintf(f->keys, sizeof(f->keys), "%s/keys", f->tmp);
    snprintf(f->audit, sizeof(f->audit), "%s/audit", f->tmp);
    snprintf(f->policies, sizeof(f->policies), "%s/policies", f->tmp);
    snprintf(f->overrides, sizeof(f->overrides), "%s/overrides", f->tmp);
    snprintf(f->manifest, sizeof(f->manifest), "%s/baseline.manifest", f->tmp);
    snprintf(f->pub, sizeof(f->pub), "%s/signing.pub", f->keys);
    assert_int_equal(wd_audit_keygen(f->keys), 0);
    f->resp = (wdd_response){.status = 0, .content_type = "application/json", .body = WD_BUF_INIT};
    if (baseline) {
        /* The tenant's policy store, with one policy in it, under a signed baseline. */
        char cmd[2000];
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s/components' '%s/defaults'", f->policies,
                 f->policies);
        assert_int_equal(wd_test_run(cmd), 0);
        static const char fetch[] = "version: \"1.0\"\n"
                                    "permissions:\n"
                                    "  network:\n"
                                    "    allow:\n"
                                    "      - host: \"127.0.0.1\"\n";
        char dir[760];
        snprintf(dir, sizeof(dir), "%s/components", f->policies);
        free(wd_test_write(dir, FETCH ".yaml", fetch, strlen(fetch)));
        snprintf(f->watched, sizeof(f->watched), "%s/" FETCH ".yaml", dir);
        const char *paths[] = {f->policies};
        assert_int_equal(wd_baseline_create(paths, 1, f->keys, f->manifest, NULL, NULL), 0);
    }
    write_config(f, NULL);
    start(f);
    return f;
}

static int setup(void **state)
{
    *state = fixture(false);
    return 0;
}

static int setup_baseline(void **state)
{
    *state = fixture(true);
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    json_decref(f->j);
    wd_buf_free(&f->resp.body);
    wdd_daemon_free(f->d);
    wd_test_rmtree(f->tmp);
    free(f);
    return 0;
}

/* ---- requests ----------------------------------------------------------------------------- */

/* One request as the server hands it over; tenant "demo" unless role is 0 (no client). */
static unsigned call_as(fx *f, const char *tenant, wdd_role role, const char *method,
                        const char *path, const char *const *args, const char *body, size_t len)
{
    json_decref(f->j);
    f->j = NULL;
    wdd_request req = {.method = method,
                       .path = path,
                       .args = args,
                       .body = body,
                       .body_len = body ? len : 0,
                       .tenant = tenant,
                       .role = role,
                       .peer = f->peer};
    wdd_api_handle(f->d, &req, &f->resp);
    if (strncmp(f->resp.content_type, "application/json", 16) == 0) {
        json_error_t err;
        f->j = json_loadb(f->resp.body.data ? f->resp.body.data : "", f->resp.body.len, 0, &err);
        if (!f->j)
            fail_msg("%s %s: %u with a body that is no JSON: %.*s", method, path, f->resp.status,
                     (int)f->resp.body.len, f->resp.body.data);
        if (f->resp.status >= 400) {
            const char *code = NULL, *msg = NULL;
            if (json_unpack(f->j, "{s:{s:s, s:s}}", "error", "code", &code, "message", &msg) ||
                strncmp(code, "WD-", 3) != 0)
                fail_msg("%s %s: %u without an error object: %.*s", method, path, f->resp.status,
                         (int)f->resp.body.len, f->resp.body.data);
        }
    }
    return f->resp.status;
}

static unsigned call(fx *f, wdd_role role, const char *method, const char *path, const char *body)
{
    return call_as(f, role ? "demo" : NULL, role, method, path, NULL, body,
                   body ? strlen(body) : 0);
}

static unsigned get_args(fx *f, wdd_role role, const char *path, const char *const *args)
{
    return call_as(f, "demo", role, "GET", path, args, NULL, 0);
}

static const char *err_code(fx *f)
{
    const char *code = NULL;
    if (!f->j || json_unpack(f->j, "{s:{s:s}}", "error", "code", &code) != 0)
        return "(none)";
    return code;
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        fail_msg("no string \"%s\"", key);
    return json_string_value(v);
}

static long long num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("no integer \"%s\"", key);
    return json_integer_value(v);
}

/* Whether the last answer's error code is code (NULL: any). */
static bool code_is(fx *f, const char *code)
{
    return !code || strcmp(err_code(f), code) == 0;
}

static const char *shown(const char *code)
{
    return code ? code : "";
}

#define EXPECT(f, call_expr, status, code)                                                         \
    do {                                                                                           \
        unsigned got_ = (call_expr);                                                               \
        if (got_ != (status) || !code_is((f), (code)))                                             \
            fail_msg("line %d: want %u %s, got %u: %.*s", __LINE__, (unsigned)(status),            \
                     shown(code), got_, (int)(f)->resp.body.len, (f)->resp.body.data);             \
    } while (0)

/* ---- state probes ------------------------------------------------------------------------- */

static uint64_t records(fx *f)
{
    wdd_state *s = wdd_state_acquire(f->d);
    uint64_t n = wd_audit_next_seq(s->tenants[0].audit, NULL) - 1;
    wdd_state_release(f->d, s);
    return n;
}

static char *policy_text(fx *f, const char *component)
{
    wdd_state *s = wdd_state_acquire(f->d);
    char *yaml = NULL;
    size_t len;
    const char *source;
    assert_int_equal(wd_engine_policy_get(s->tenants[0].engine, component, &yaml, &len, &source),
                     0);
    wdd_state_release(f->d, s);
    return yaml;
}

static long long generation(fx *f)
{
    EXPECT(f, call(f, 0, "GET", "/health", NULL), 200, NULL);
    return num(f->j, "generation");
}

typedef struct {
    size_t n;
    const char *type;
} type_count;

static int count_type(const wd_audit_record *r, void *ctx)
{
    type_count *c = ctx;
    c->n += strcmp(r->type, c->type) == 0;
    return 0;
}

static size_t count_records(fx *f, const char *type)
{
    type_count c = {0, type};
    assert_int_equal(
        wd_audit_query_run(f->audit, &(wd_audit_query)WD_AUDIT_QUERY_INIT, count_type, &c), 0);
    return c.n;
}

/* A refused request changes nothing: the component's policy and the audit log as they were. */
typedef struct {
    char *policy;
    uint64_t records;
} snapshot;

static snapshot snap(fx *f)
{
    return (snapshot){policy_text(f, READER), records(f)};
}

static void unchanged(fx *f, snapshot *s, int line)
{
    char *now = policy_text(f, READER);
    uint64_t n = records(f);
    if (strcmp(now, s->policy) != 0)
        fail_msg("line %d: a refused request changed the policy", line);
    if (n != s->records)
        fail_msg("line %d: a refused request wrote %llu audit records", line,
                 (unsigned long long)(n - s->records));
    free(now);
}

static void snap_free(snapshot *s)
{
    free(s->policy);
}

static char *check_body(const char *component, const char *verb, const char *target)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s}", "component", component, "verb", verb, "target", target);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* POST /v1/check as a reader; 200 expected, the answer in f->j. */
static void check(fx *f, const char *component, const char *verb, const char *target)
{
    char *body = check_body(component, verb, target);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check", body), 200, NULL);
    free(body);
}

static void expect_decision(fx *f, const char *decision, const char *reason)
{
    if (strcmp(str(f->j, "decision"), decision) || strcmp(str(f->j, "reason"), reason))
        fail_msg("want %s/%s, got %.*s", decision, reason, (int)f->resp.body.len,
                 f->resp.body.data);
}

/* ---- routing and roles -------------------------------------------------------------------- */

static void test_health_and_ready(void **state)
{
    fx *f = *state;
    EXPECT(f, call(f, 0, "GET", "/health", NULL), 200, NULL);
    assert_string_equal(str(f->j, "status"), "ok");
    assert_string_equal(str(f->j, "version"), WD_VERSION_STRING);
    assert_int_equal(num(f->j, "generation"), 1);
    EXPECT(f, call(f, 0, "GET", "/ready", NULL), 200, NULL);
    assert_string_equal(str(f->j, "status"), "ready");
    /* Any client may ask too. */
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/health", NULL), 200, NULL);

    /* Draining: not ready, and nothing but the service endpoints is served. */
    f->d->draining = 1;
    EXPECT(f, call(f, 0, "GET", "/ready", NULL), 503, "WD-D008");
    EXPECT(f, call(f, 0, "GET", "/health", NULL), 200, NULL);
    char *body = check_body(READER, "read", HELLO);
    uint64_t before = records(f);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check", body), 503, "WD-D008");
    assert_int_equal(records(f), before);
    f->d->draining = 0;
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check", body), 200, NULL);
    free(body);
}

static void test_routing(void **state)
{
    fx *f = *state;
    /* No such endpoint: 404 WD-D003, whatever the method. */
    static const char *const nowhere[] = {"/",
                                          "",
                                          "/nope",
                                          "/health/",
                                          "/v1",
                                          "/v1/checks",
                                          "/v1/components/",
                                          "/v1/components//policy",
                                          ("/v1/components/" READER "/policy/x"),
                                          "/v1/components/a/b/policy",
                                          ("/v1/plugins/" WORDCOUNT),
                                          "/V1/CHECK"};
    for (size_t i = 0; i < sizeof(nowhere) / sizeof(*nowhere); i++) {
        EXPECT(f, call(f, WDD_ROLE_ADMIN, "GET", nowhere[i], NULL), 404, "WD-D003");
        EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", nowhere[i], "{}"), 404, "WD-D003");
    }
    EXPECT(f, call_as(f, "demo", WDD_ROLE_ADMIN, "GET", NULL, NULL, NULL, 0), 404, "WD-D003");
    /* An id longer than any plugin id matches no route. */
    char longpath[400] = "/v1/components/";
    for (int i = 0; i < 129; i++)
        wd_test_append(longpath, sizeof(longpath), "a");
    wd_test_append(longpath, sizeof(longpath), "/policy");
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "GET", longpath, NULL), 404, "WD-D003");

    /* The endpoint exists, the method does not: 405 WD-D004 (before any authentication). */
    /* Each with the Allow it carries: what the route table accepts on that path. */
    static const char *const wrong[][3] = {
        {"POST", "/health", "GET"},
        {"HEAD", "/health", "GET"},
        {"DELETE", "/ready", "GET"},
        {"GET", "/v1/check", "POST"},
        {"PUT", "/v1/check/batch", "POST"},
        {"POST", "/v1/components", "GET"},
        {"POST", "/v1/components/" READER "/policy", "GET, PUT"},
        {"PATCH", "/v1/components/" READER "/policy", "GET, PUT"},
        {"GET", "/v1/components/" READER "/grants", "POST, DELETE"},
        {"GET", "/v1/plugins/" WORDCOUNT "/invoke", "POST"},
        {"POST", "/v1/plugins/" WORDCOUNT "/tools", "GET"},
        {"DELETE", "/v1/audit", "GET"},
        {"POST", "/v1/audit/verify", "GET"},
        {"GET", "/v1/overrides", "POST"},
        {"GET", "/v1/reload", "POST"},
        {"POST", "/metrics", "GET"},
    };
    for (size_t i = 0; i < sizeof(wrong) / sizeof(*wrong); i++) {
        EXPECT(f, call(f, WDD_ROLE_ADMIN, wrong[i][0], wrong[i][1], "{}"), 405, "WD-D004");
        assert_string_equal(f->resp.allow, wrong[i][2]);
        EXPECT(f, call(f, 0, wrong[i][0], wrong[i][1], "{}"), 405, "WD-D004");
        assert_string_equal(f->resp.allow, wrong[i][2]);
        char out[WDD_ALLOW_MAX];
        size_t methods = 1 + (strchr(wrong[i][2], ',') != NULL);
        assert_int_equal(wdd_api_allow(wrong[i][1], out, sizeof(out)), methods);
        assert_string_equal(out, wrong[i][2]);
    }
    EXPECT(f, call_as(f, "demo", WDD_ROLE_ADMIN, NULL, "/health", NULL, NULL, 0), 405, "WD-D004");
    assert_string_equal(f->resp.allow, "GET");
    /* Anything else carries no Allow; a path no route has gets none from the helper, and one
     * that would not fit is not cut short. */
    EXPECT(f, call(f, 0, "GET", "/health", NULL), 200, NULL);
    assert_string_equal(f->resp.allow, "");
    EXPECT(f, call(f, 0, "GET", "/nowhere", NULL), 404, "WD-D003");
    assert_string_equal(f->resp.allow, "");
    char out[WDD_ALLOW_MAX] = "x";
    assert_int_equal(wdd_api_allow("/nowhere", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(wdd_api_allow(NULL, out, sizeof(out)), 0);
    assert_int_equal(wdd_api_allow("/v1/components/" READER "/policy", out, 5), 0);
    assert_string_equal(out, "");
}

/* A 401 says which identity it refused, and nothing of any other, with a Bearer challenge
 * (RFC 6750: invalid_token only for a token given and refused). */
static void test_unauthenticated(void **state)
{
    fx *f = *state;
    static const struct {
        wdd_peer peer;
        const char *message, *challenge;
    } cases[] = {
        {{WDD_PEER_UID, 1234},
         "unauthenticated: uid 1234 is not a client of any tenant",
         "Bearer realm=\"warden\""},
        {{WDD_PEER_NO_TOKEN, -1},
         "unauthenticated: no bearer token was given (Authorization: Bearer)",
         "Bearer realm=\"warden\""},
        {{WDD_PEER_NOT_BEARER, -1},
         "unauthenticated: the Authorization header holds no bearer token",
         "Bearer realm=\"warden\""},
        {{WDD_PEER_TOKEN, -1},
         "unauthenticated: the bearer token is not known",
         "Bearer realm=\"warden\", error=\"invalid_token\""},
        {{WDD_PEER_UNKNOWN, -1},
         "unauthenticated: the peer's credentials could not be read",
         "Bearer realm=\"warden\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        f->peer = cases[i].peer;
        EXPECT(f, call(f, 0, "GET", "/v1/components", NULL), 401, "WD-D005");
        assert_string_equal(str(json_object_get(f->j, "error"), "message"), cases[i].message);
        assert_non_null(f->resp.challenge);
        assert_string_equal(f->resp.challenge, cases[i].challenge);
        char msg[160];
        assert_string_equal(wdd_api_unauthenticated(&cases[i].peer, msg, sizeof(msg)),
                            cases[i].challenge);
        assert_string_equal(msg, cases[i].message);
    }
    /* A client whose tenant this state does not have. */
    f->peer = (wdd_peer){WDD_PEER_UID, 1234};
    EXPECT(f, call_as(f, "ghost", WDD_ROLE_ADMIN, "GET", "/v1/components", NULL, NULL, 0), 401,
           "WD-D005");
    assert_string_equal(f->resp.challenge, "Bearer realm=\"warden\"");
    /* An open route needs no client, and a client is not challenged. */
    EXPECT(f, call(f, 0, "GET", "/health", NULL), 200, NULL);
    assert_null(f->resp.challenge);
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/v1/components", NULL), 200, NULL);
    assert_null(f->resp.challenge);
    f->peer = (wdd_peer){WDD_PEER_UNKNOWN, -1};
}

static void test_roles(void **state)
{
    fx *f = *state;
    /* Every route that needs a client, with the role it needs. */
    static const struct {
        const char *method, *path;
        wdd_role role;
    } routes[] = {
        {"GET", "/metrics", WDD_ROLE_OPERATOR},
        {"POST", "/v1/check", WDD_ROLE_READER},
        {"POST", "/v1/check/batch", WDD_ROLE_READER},
        {"GET", "/v1/components", WDD_ROLE_READER},
        {"GET", "/v1/components/" READER "/policy", WDD_ROLE_READER},
        {"PUT", "/v1/components/" READER "/policy", WDD_ROLE_ADMIN},
        {"POST", "/v1/components/" READER "/grants", WDD_ROLE_ADMIN},
        {"DELETE", "/v1/components/" READER "/grants", WDD_ROLE_ADMIN},
        {"POST", "/v1/plugins/" WORDCOUNT "/invoke", WDD_ROLE_OPERATOR},
        {"GET", "/v1/audit", WDD_ROLE_OPERATOR},
        {"GET", "/v1/audit/verify", WDD_ROLE_OPERATOR},
        {"POST", "/v1/overrides", WDD_ROLE_ADMIN},
        {"POST", "/v1/reload", WDD_ROLE_ADMIN},
    };
    /* Bodies that would succeed: a refusal must come from the role alone. */
    char grant[900];
    snprintf(grant, sizeof(grant),
             "{\"kind\": \"storage\", \"uri\": \"fs://%s/x/**\", \"access\": [\"read\"]}", f->tmp);
    static const char put[] = "version: \"1.0\"\n";
    snapshot s = snap(f);
    for (size_t i = 0; i < sizeof(routes) / sizeof(*routes); i++) {
        const char *body = strcmp(routes[i].method, "PUT") == 0 ? put
                           : strstr(routes[i].path, "grants")   ? grant
                                                                : "{}";
        /* No client at all, or a tenant this state does not have: 401 WD-D005. */
        EXPECT(f,
               call_as(f, NULL, WDD_ROLE_ADMIN, routes[i].method, routes[i].path, NULL, body,
                       strlen(body)),
               401, "WD-D005");
        EXPECT(f,
               call_as(f, "ghost", WDD_ROLE_ADMIN, routes[i].method, routes[i].path, NULL, body,
                       strlen(body)),
               401, "WD-D005");
        /* Each role below the one needed: 403 WD-D006. */
        for (wdd_role r = WDD_ROLE_READER; r < routes[i].role; r++)
            EXPECT(
                f,
                call_as(f, "demo", r, routes[i].method, routes[i].path, NULL, body, strlen(body)),
                403, "WD-D006");
    }
    unchanged(f, &s, __LINE__);
    snap_free(&s);
    assert_int_equal(generation(f), 1); /* the refused reloads did not run */
    /* A reader may read. */
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/v1/components", NULL), 200, NULL);
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/v1/components/" READER "/policy", NULL), 200, NULL);
}

/* ---- decisions ---------------------------------------------------------------------------- */

/* Bodies no route that takes JSON accepts, each refused with 400 and the id given. */
static const struct {
    const char *body;
    size_t len; /* 0: strlen */
    const char *code;
} bad_json[] = {
    {"", 0, "WD-D001"},
    {"{\"component\": ", 0, "WD-D001"},
    {"[1, 2]", 0, "WD-D001"},
    {"\"text\"", 0, "WD-D001"},
    {"{\"component\": \"examples.reader\"} trailing", 0, "WD-D001"},
    {"{\"component\": \"examples.reader\", \"component\": \"examples.fetch\", \"verb\": \"read\", "
     "\"target\": \"/x\", \"kind\": \"environment\", \"key\": \"A\"}",
     0, "WD-D001"}, /* duplicate key */
    {"{\"component\": \"examples.re\xff\", \"verb\": \"read\", \"target\": \"/x\"}", 0,
     "WD-D001"}, /* invalid UTF-8 */
#define WITH_NUL "{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": \"/x\"\0}"
    {WITH_NUL, sizeof(WITH_NUL) - 1, "WD-D001"}, /* a NUL byte */
};

static void test_check(void **state)
{
    fx *f = *state;
    uint64_t before = records(f);
    check(f, READER, "read", HELLO);
    expect_decision(f, "allow", "rule");
    json_t *rule = json_object_get(f->j, "rule");
    assert_true(json_is_object(rule));
    assert_non_null(strstr(str(rule, "text"), "fs://data/**"));
    assert_true(num(rule, "line") > 0 && num(rule, "column") > 0);
    assert_non_null(strstr(str(f->j, "explanation"), "is the most specific match"));
    assert_null(json_object_get(f->j, "operation")); /* allowed: nothing to approve */
    assert_int_equal(records(f), before + 1);        /* decisions: all */

    check(f, READER, "read", SECRET);
    expect_decision(f, "deny", "rule");
    char op[WD_OPERATION_ID_LEN + 1];
    assert_int_equal(wd_operation_id(READER, "read", SECRET, op), 0);
    assert_string_equal(str(f->j, "operation"), op);
    assert_non_null(strstr(str(json_object_get(f->j, "rule"), "text"), ".secret"));

    check(f, READER, "write", "/tmp/elsewhere");
    expect_decision(f, "deny", "no_rule");
    assert_true(json_is_null(json_object_get(f->j, "rule")));
    check(f, FETCH, "connect", "127.0.0.1:8080");
    expect_decision(f, "allow", "rule");
    check(f, WORDCOUNT, "env", "HOME");
    expect_decision(f, "deny", "no_rule");
    /* A malformed query is answered: denied, and why. */
    check(f, READER, "read", "relative/path");
    expect_decision(f, "deny", "invalid");
    assert_true(json_is_null(json_object_get(f->j, "rule")));
    assert_true(strlen(str(f->j, "explanation")) > 0);
    check(f, READER, "teleport", "/x");
    expect_decision(f, "deny", "invalid");
    assert_int_equal(records(f), before + 7);
    /* At the bound (4096 bytes, longer than any path): invalid, answered and recorded as valid
     * JSON. */
    char *huge = malloc(20001);
    assert_non_null(huge);
    huge[0] = '/';
    for (size_t i = 1; i < 20000; i++)
        huge[i] = i % 50 == 0 ? '/' : (char)('a' + i % 26);
    huge[4096] = '\0';
    check(f, READER, "read", huge);
    expect_decision(f, "deny", "invalid");
    check(f, FETCH, "connect", huge + 1);
    expect_decision(f, "deny", "invalid");
    free(huge);
    /* Explanations quote the target; multi-byte characters stay whole. */
    check(f, READER, "read", "/data/\xc3\xa9t\xc3\xa9/../../\xe2\x82\xac");
    assert_int_equal(records(f), before + 10);

    /* Refused requests: nothing decided, nothing recorded. */
    snapshot s = snap(f);
    char *body = check_body("examples.nope", "read", HELLO);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check", body), 404, "WD-D009");
    free(body);
    static const char *const bad_fields[] = {
        "{}",
        "{\"component\": \"examples.reader\", \"verb\": \"read\"}",
        "{\"component\": \"examples.reader\", \"target\": \"/x\"}",
        "{\"verb\": \"read\", \"target\": \"/x\"}",
        ("{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": \"/x\", "
         "\"extra\": 1}"),
        "{\"component\": \"examples.reader\", \"verb\": 7, \"target\": \"/x\"}",
        "{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": null}",
        "{\"component\": \"examples.reader\", \"verb\": \"\", \"target\": \"/x\"}",
        "{\"component\": [\"examples.reader\"], \"verb\": \"read\", \"target\": \"/x\"}",
    };
    for (size_t i = 0; i < sizeof(bad_fields) / sizeof(*bad_fields); i++)
        EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check", bad_fields[i]), 400, "WD-D002");
    for (size_t i = 0; i < sizeof(bad_json) / sizeof(*bad_json); i++) {
        size_t len = bad_json[i].len ? bad_json[i].len : strlen(bad_json[i].body);
        EXPECT(
            f,
            call_as(f, "demo", WDD_ROLE_READER, "POST", "/v1/check", NULL, bad_json[i].body, len),
            400, bad_json[i].code);
    }
    EXPECT(f, call_as(f, "demo", WDD_ROLE_READER, "POST", "/v1/check", NULL, NULL, 0), 400,
           "WD-D001");
    /* An escaped NUL inside a string is refused by the parser (jansson without
     * JSON_ALLOW_NUL). */
    EXPECT(f,
           call(f, WDD_ROLE_READER, "POST", "/v1/check",
                "{\"component\": \"examples.reader\", \"verb\": \"read\", \"target\": "
                "\"/x\\u0000y\"}"),
           400, "WD-D001");
    unchanged(f, &s, __LINE__);
    snap_free(&s);
}

static char *batch_body(const char *component, size_t n, const char *const (*q)[2], size_t nq)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            list, json_pack("{s:s, s:s}", "verb", q[i % nq][0], "target", q[i % nq][1]));
    json_t *o = json_pack("{s:s, s:o}", "component", component, "queries", list);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static void test_batch(void **state)
{
    fx *f = *state;
    static const char *const q[][2] = {
        {"read", HELLO}, {"read", SECRET}, {"write", "/tmp/x"}, {"read", "not/absolute"}};
    uint64_t before = records(f);
    char *body = batch_body(READER, 4, q, 4);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check/batch", body), 200, NULL);
    free(body);
    json_t *results = json_object_get(f->j, "results");
    assert_int_equal(json_array_size(results), 4);
    static const char *const want[][2] = {
        {"allow", "rule"}, {"deny", "rule"}, {"deny", "no_rule"}, {"deny", "invalid"}};
    for (size_t i = 0; i < 4; i++) {
        json_t *r = json_array_get(results, i);
        assert_string_equal(str(r, "decision"), want[i][0]);
        assert_string_equal(str(r, "reason"), want[i][1]);
    }
    assert_int_equal(num(f->j, "allowed"), 1);
    assert_int_equal(num(f->j, "denied"), 3);
    assert_int_equal(records(f), before + 4);

    /* The limit, exactly, and an empty batch. */
    body = batch_body(READER, MAX_BATCH, q, 4);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check/batch", body), 200, NULL);
    free(body);
    assert_int_equal(json_array_size(json_object_get(f->j, "results")), MAX_BATCH);
    assert_int_equal(records(f), before + 4 + MAX_BATCH);
    EXPECT(f,
           call(f, WDD_ROLE_READER, "POST", "/v1/check/batch",
                "{\"component\": \"examples.reader\", \"queries\": []}"),
           200, NULL);
    assert_int_equal(json_array_size(json_object_get(f->j, "results")), 0);
    assert_int_equal(num(f->j, "allowed"), 0);
    assert_int_equal(num(f->j, "denied"), 0);

    /* Refused whole, nothing of it decided or recorded. */
    snapshot s = snap(f);
    body = batch_body(READER, MAX_BATCH + 1, q, 4);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check/batch", body), 413, "WD-D007");
    free(body);
    body = batch_body("examples.nope", 3, q, 4);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check/batch", body), 404, "WD-D009");
    free(body);
    char bad[2000];
    static const char *const bad_queries[] = {
        "{\"verb\": \"read\"}",                                    /* no target */
        "{\"verb\": \"read\", \"target\": \"/x\", \"why\": \"\"}", /* unknown field */
        "\"read /x\"",                                             /* not an object */
        "{\"verb\": \"read\", \"target\": 5}",                     /* not a string */
        "{\"verb\": \"read\", \"target\": \"\"}",                  /* empty */
    };
    for (size_t i = 0; i < sizeof(bad_queries) / sizeof(*bad_queries); i++) {
        /* The bad one in the middle: the good ones before it are not decided either. */
        snprintf(bad, sizeof(bad),
                 "{\"component\": \"examples.reader\", \"queries\": [{\"verb\": \"read\", "
                 "\"target\": \"%s\"}, %s, {\"verb\": \"read\", \"target\": \"%s\"}]}",
                 HELLO, bad_queries[i], SECRET);
        EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check/batch", bad), 400, "WD-D002");
    }
    static const char *const bad_shapes[] = {
        "{\"component\": \"examples.reader\"}",
        "{\"component\": \"examples.reader\", \"queries\": {}}",
        "{\"component\": \"examples.reader\", \"queries\": [], \"extra\": true}",
        "{\"queries\": []}",
    };
    for (size_t i = 0; i < sizeof(bad_shapes) / sizeof(*bad_shapes); i++)
        EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check/batch", bad_shapes[i]), 400,
               "WD-D002");
    for (size_t i = 0; i < sizeof(bad_json) / sizeof(*bad_json); i++) {
        size_t len = bad_json[i].len ? bad_json[i].len : strlen(bad_json[i].body);
        EXPECT(f,
               call_as(f, "demo", WDD_ROLE_READER, "POST", "/v1/check/batch", NULL,
                       bad_json[i].body, len),
               400, bad_json[i].code);
    }
    unchanged(f, &s, __LINE__);
    snap_free(&s);
}

/* ---- components and policies -------------------------------------------------------------- */

static const char BAD_POLICY[] = "version: \"1.0\"\n"
                                 "permissions:\n"
                                 "  storage:\n"
                                 "    allow:\n"
                                 "      - uri: \"fs:///srv/**\"\n"
                                 "        acess: [read]\n";

static void test_components_and_policy(void **state)
{
    fx *f = *state;
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/v1/components", NULL), 200, NULL);
    assert_string_equal(str(f->j, "tenant"), "demo");
    json_t *list = json_object_get(f->j, "components");
    assert_int_equal(json_array_size(list), 3);
    static const char *const ids[] = {FETCH, READER, WORDCOUNT};
    static const char *const types[] = {"nondeterministic_compute", "effect", "compute"};
    for (size_t i = 0; i < 3; i++) {
        json_t *c = json_array_get(list, i);
        assert_string_equal(str(c, "id"), ids[i]);
        assert_string_equal(str(c, "type"), types[i]);
        assert_string_equal(str(c, "version"), "1.0.0");
        assert_string_equal(str(c, "level"), "OFFICIAL");
        assert_string_equal(str(c, "policy_source"), "base");
    }
    assert_int_equal(num(json_array_get(list, 1), "rules"), 2);

    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/v1/components/" READER "/policy", NULL), 200, NULL);
    assert_string_equal(str(f->j, "component"), READER);
    assert_string_equal(str(f->j, "source"), "base");
    assert_non_null(strstr(str(f->j, "policy"), DATA_URI));
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/v1/components/examples.nope/policy", NULL), 404,
           "WD-D009");
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/v1/components/..%2f/policy", NULL), 404, NULL);

    /* An invalid policy: 400 with every diagnostic, nothing changed or recorded. */
    snapshot s = snap(f);
    const char *path = "/v1/components/" READER "/policy";
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "PUT", path, BAD_POLICY), 400, NULL);
    assert_int_equal(strncmp(err_code(f), "WD-P", 4), 0);
    json_t *diags = json_object_get(f->j, "diagnostics");
    assert_true(json_array_size(diags) >= 2);
    bool named = false;
    for (size_t i = 0; i < json_array_size(diags); i++) {
        const char *d = json_string_value(json_array_get(diags, i));
        assert_non_null(d);
        assert_int_equal(strncmp(d, READER ":", strlen(READER) + 1), 0);
        named |= strstr(d, ":6:9: error WD-P") && strstr(d, "acess");
    }
    assert_true(named);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "PUT", path, "{{{"), 400, NULL);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "PUT", path, ""), 400, NULL);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "PUT", path, "version: \"1.\xff\"\n"), 400, NULL);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "PUT", "/v1/components/examples.nope/policy", BAD_POLICY),
           404, "WD-D009");
    EXPECT(f, call(f, WDD_ROLE_READER, "PUT", path, "version: \"1.0\"\n"), 403, "WD-D006");
    unchanged(f, &s, __LINE__);
    snap_free(&s);
    check(f, READER, "read", HELLO);
    expect_decision(f, "allow", "rule");

    /* A valid one: in force at once, recorded, answered with the policy now in force. */
    uint64_t before = records(f);
    static const char only_env[] = "version: \"1.0\"\n"
                                   "permissions:\n"
                                   "  environment:\n"
                                   "    allow:\n"
                                   "      - key: \"LANG\"\n";
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "PUT", path, only_env), 200, NULL);
    assert_string_equal(str(f->j, "component"), READER);
    assert_string_equal(str(f->j, "source"), "component");
    assert_non_null(strstr(str(f->j, "policy"), "LANG"));
    assert_int_equal(json_array_size(json_object_get(f->j, "warnings")), 0);
    assert_int_equal(records(f), before + 1);
    assert_int_equal(count_records(f, "POLICY_REPLACE"), 1);
    check(f, READER, "read", HELLO);
    expect_decision(f, "deny", "no_rule");
    check(f, READER, "env", "LANG");
    expect_decision(f, "allow", "rule");

    /* A grant of change on warden's own files: it loads, with WD-W002, and stays denied. */
    char yaml[1500] = "";
    wd_test_append(yaml, sizeof(yaml),
                   "version: \"1.0\"\n"
                   "permissions:\n"
                   "  storage:\n"
                   "    allow:\n"
                   "      - uri: \"fs://%s/**\"\n"
                   "        access: [read, write]\n",
                   f->policies);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "PUT", path, yaml), 200, NULL);
    json_t *warnings = json_object_get(f->j, "warnings");
    assert_int_equal(json_array_size(warnings), 1);
    assert_non_null(strstr(json_string_value(json_array_get(warnings, 0)), "WD-W002"));
    char target[900];
    snprintf(target, sizeof(target), "%s/components/" READER ".yaml", f->policies);
    check(f, READER, "write", target);
    expect_decision(f, "deny", "protected");
    check(f, READER, "read", target); /* private: a plugin may not even read it */
    expect_decision(f, "deny", "protected");
    /* Nor through the configuration and audit locations the daemon adds. */
    char cfg_yaml[1500] = "";
    wd_test_append(cfg_yaml, sizeof(cfg_yaml),
                   "version: \"1.0\"\n"
                   "permissions:\n"
                   "  storage:\n"
                   "    allow:\n"
                   "      - uri: \"fs://%s/**\"\n"
                   "        access: [write]\n",
                   f->tmp);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "PUT", path, cfg_yaml), 200, NULL);
    assert_true(json_array_size(json_object_get(f->j, "warnings")) >= 1);
    check(f, READER, "write", f->config);
    expect_decision(f, "deny", "protected");
    char seg[900];
    snprintf(seg, sizeof(seg), "%s/new-segment", f->audit);
    check(f, READER, "create", seg);
    expect_decision(f, "deny", "protected");
}

static void test_grants(void **state)
{
    fx *f = *state;
    const char *path = "/v1/components/" READER "/grants";
    char file[800], grant[1000];
    snprintf(file, sizeof(file), "%s/extra/report.txt", f->tmp);
    snprintf(grant, sizeof(grant),
             "{\"kind\": \"storage\", \"uri\": \"fs://%s/extra/**\", \"access\": [\"read\"]}",
             f->tmp);
    check(f, READER, "read", file);
    expect_decision(f, "deny", "no_rule");

    uint64_t before = records(f);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", path, grant), 200, NULL);
    assert_string_equal(str(f->j, "source"), "component");
    assert_non_null(strstr(str(f->j, "policy"), "/extra/**"));
    /* The contract's relative rules kept their meaning in the new policy. */
    assert_non_null(strstr(str(f->j, "policy"), DATA_URI));
    assert_true(json_is_array(json_object_get(f->j, "warnings")));
    assert_int_equal(records(f), before + 1);
    check(f, READER, "read", file);
    expect_decision(f, "allow", "rule");
    check(f, READER, "read", HELLO);
    expect_decision(f, "allow", "rule");
    check(f, READER, "read", SECRET);
    expect_decision(f, "deny", "rule");
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/v1/components", NULL), 200, NULL);
    assert_string_equal(
        str(json_array_get(json_object_get(f->j, "components"), 1), "policy_source"), "component");

    /* Other kinds. */
    EXPECT(f,
           call(f, WDD_ROLE_ADMIN, "POST", "/v1/components/" FETCH "/grants",
                "{\"kind\": \"network\", \"host\": \"api.example.com\"}"),
           200, NULL);
    check(f, FETCH, "connect", "https://api.example.com");
    expect_decision(f, "allow", "rule");
    EXPECT(f,
           call(f, WDD_ROLE_ADMIN, "POST", "/v1/components/" WORDCOUNT "/grants",
                "{\"kind\": \"environment\", \"key\": \"LANG\"}"),
           200, NULL);
    check(f, WORDCOUNT, "env", "LANG");
    expect_decision(f, "allow", "rule");

    /* Refused: nothing changed or recorded. */
    snapshot s = snap(f);
    static const char *const bad_fields[] = {
        "{}",
        "{\"kind\": \"files\", \"uri\": \"fs:///x\"}",
        "{\"kind\": 1, \"uri\": \"fs:///x\", \"access\": [\"read\"]}",
        "{\"kind\": \"storage\", \"uri\": \"fs:///x\"}", /* a grant names its access */
        "{\"kind\": \"storage\", \"uri\": \"fs:///x\", \"access\": []}",
        "{\"kind\": \"storage\", \"uri\": \"fs:///x\", \"access\": \"read\"}",
        "{\"kind\": \"storage\", \"uri\": \"fs:///x\", \"access\": [\"fly\"]}",
        "{\"kind\": \"storage\", \"uri\": \"fs:///x\", \"access\": [\"read\", 2]}",
        "{\"kind\": \"storage\", \"access\": [\"read\"]}",
        "{\"kind\": \"storage\", \"uri\": \"fs:///x\", \"access\": [\"read\"], \"host\": \"a\"}",
        "{\"kind\": \"network\", \"host\": \"a.example\", \"ports\": [1]}",
        "{\"kind\": \"network\"}",
        "{\"kind\": \"environment\", \"key\": \"\"}",
        "{\"kind\": \"environment\", \"name\": \"LANG\"}",
    };
    for (size_t i = 0; i < sizeof(bad_fields) / sizeof(*bad_fields); i++)
        EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", path, bad_fields[i]), 400, "WD-D002");
    for (size_t i = 0; i < sizeof(bad_json) / sizeof(*bad_json); i++) {
        size_t len = bad_json[i].len ? bad_json[i].len : strlen(bad_json[i].body);
        EXPECT(f, call_as(f, "demo", WDD_ROLE_ADMIN, "POST", path, NULL, bad_json[i].body, len),
               400, bad_json[i].code);
        EXPECT(f, call_as(f, "demo", WDD_ROLE_ADMIN, "DELETE", path, NULL, bad_json[i].body, len),
               400, bad_json[i].code);
    }
    /* Refused by the engine: a value of two lines. */
    EXPECT(f,
           call(f, WDD_ROLE_ADMIN, "POST", path, "{\"kind\": \"environment\", \"key\": \"A\\nB\"}"),
           400, NULL);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/components/examples.nope/grants", grant), 404,
           "WD-D009");
    /* Revoking what is not there: 404. */
    EXPECT(f,
           call(f, WDD_ROLE_ADMIN, "DELETE", path,
                "{\"kind\": \"environment\", \"key\": \"NOT_GRANTED\"}"),
           404, NULL);
    EXPECT(f,
           call(f, WDD_ROLE_ADMIN, "DELETE", path,
                "{\"kind\": \"storage\", \"uri\": \"fs:///never/**\"}"),
           404, NULL);
    unchanged(f, &s, __LINE__);
    snap_free(&s);

    /* Revoke: the access named, then the whole rule; a second time is 404. */
    before = records(f);
    char revoke[1000];
    snprintf(revoke, sizeof(revoke), "{\"kind\": \"storage\", \"uri\": \"fs://%s/extra/**\"}",
             f->tmp);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "DELETE", path, revoke), 200, NULL);
    assert_null(strstr(str(f->j, "policy"), "/extra/**"));
    assert_int_equal(records(f), before + 1);
    check(f, READER, "read", file);
    expect_decision(f, "deny", "no_rule");
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "DELETE", path, revoke), 404, NULL);
    EXPECT(f,
           call(f, WDD_ROLE_ADMIN, "DELETE", "/v1/components/" FETCH "/grants",
                "{\"kind\": \"network\", \"host\": \"api.example.com\"}"),
           200, NULL);
    check(f, FETCH, "connect", "https://api.example.com");
    expect_decision(f, "deny", "no_rule");
    assert_int_equal(count_records(f, "POLICY_GRANT"), 3);
    assert_int_equal(count_records(f, "POLICY_REVOKE"), 2);
}

/* ---- the audit log ------------------------------------------------------------------------ */

static void test_audit_query(void **state)
{
    fx *f = *state;
    check(f, READER, "read", HELLO);
    check(f, READER, "read", SECRET);
    check(f, FETCH, "connect", "127.0.0.1:8080");

    EXPECT(f, get_args(f, WDD_ROLE_OPERATOR, "/v1/audit", NULL), 200, NULL);
    assert_string_equal(str(f->j, "tenant"), "demo");
    json_t *recs = json_object_get(f->j, "records");
    assert_int_equal(num(f->j, "count"), json_array_size(recs));
    assert_int_equal(json_array_size(recs), records(f));
    bool started = false;
    for (size_t i = 0; i < json_array_size(recs); i++)
        started |= strcmp(str(json_array_get(recs, i), "type"), "DAEMON_STARTED") == 0;
    assert_true(started);

    const char *const decisions[] = {"type", "DECISION", "limit", "2", NULL};
    EXPECT(f, get_args(f, WDD_ROLE_OPERATOR, "/v1/audit", decisions), 200, NULL);
    recs = json_object_get(f->j, "records");
    assert_int_equal(json_array_size(recs), 2);
    json_t *first = json_array_get(recs, 0);
    assert_string_equal(str(first, "type"), "DECISION");
    assert_string_equal(str(first, "component"), READER);
    assert_string_equal(str(json_object_get(first, "details"), "decision"), "allow");

    const char *const last[] = {"type", "DECISION", "limit", "1", "last", "1", NULL};
    EXPECT(f, get_args(f, WDD_ROLE_OPERATOR, "/v1/audit", last), 200, NULL);
    recs = json_object_get(f->j, "records");
    assert_int_equal(json_array_size(recs), 1);
    assert_string_equal(str(json_array_get(recs, 0), "component"), FETCH);

    const char *const by_component[] = {"component", READER, "severity", "MEDIUM", NULL};
    EXPECT(f, get_args(f, WDD_ROLE_OPERATOR, "/v1/audit", by_component), 200, NULL);
    recs = json_object_get(f->j, "records");
    assert_int_equal(json_array_size(recs), 1); /* the denial */
    assert_string_equal(str(json_object_get(json_array_get(recs, 0), "details"), "decision"),
                        "deny");
    const char *const since[] = {"since", "1", "until", "4102444800", NULL};
    EXPECT(f, get_args(f, WDD_ROLE_OPERATOR, "/v1/audit", since), 200, NULL);

    /* Malformed or unknown arguments: 400 WD-D002. */
    static const char *const bad[][2] = {
        {"limit", "abc"},     {"limit", "10001"},
        {"limit", "-1"},      {"limit", "+5"},
        {"limit", " 5"},      {"limit", ""},
        {"limit", NULL},      {"last", "2"},
        {"since", "x"},       {"until", "1e3"},
        {"severity", "LOUD"}, {"bogus", "1"},
        {"Type", "X"},        {"since", "99999999999999999999"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        const char *args[] = {bad[i][0], bad[i][1], NULL};
        EXPECT(f, get_args(f, WDD_ROLE_OPERATOR, "/v1/audit", args), 400, "WD-D002");
    }

    EXPECT(f, get_args(f, WDD_ROLE_OPERATOR, "/v1/audit/verify", NULL), 200, NULL);
    assert_true(json_is_true(json_object_get(f->j, "ok")));
    assert_string_equal(str(f->j, "problem"), wd_audit_problem_name(WD_AUDIT_OK));
    assert_int_equal(num(f->j, "records"), records(f));
}

/* ---- metrics ------------------------------------------------------------------------------ */

static void expect_line(fx *f, const char *line)
{
    const char *body = f->resp.body.data ? f->resp.body.data : "";
    const char *p = body;
    size_t n = strlen(line);
    while ((p = strstr(p, line)) != NULL) {
        if ((p == body || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return;
        p += n;
    }
    fail_msg("/metrics has no line \"%s\":\n%s", line, body);
}

static void test_metrics(void **state)
{
    fx *f = *state;
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/metrics", NULL), 403, "WD-D006");
    check(f, READER, "read", HELLO);
    check(f, READER, "read", HELLO);
    check(f, READER, "read", SECRET);
    check(f, READER, "write", "/tmp/x");
    check(f, READER, "read", "relative");
    check(f, FETCH, "connect", "127.0.0.1:8080");
    check(f, WORDCOUNT, "env", "HOME");
    static const char *const q[][2] = {{"read", HELLO}, {"read", SECRET}, {"env", "PATH"}};
    char *body = batch_body(READER, 3, q, 3);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check/batch", body), 200, NULL);
    free(body);
    /* Refused requests decide nothing and count nothing. */
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check", "{"), 400, "WD-D001");
    body = check_body("examples.nope", "read", HELLO);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check", body), 404, "WD-D009");
    free(body);

    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "GET", "/metrics", NULL), 200, NULL);
    assert_null(f->j);
    assert_int_equal(strncmp(f->resp.content_type, "text/plain", 10), 0);
    expect_line(f, "warden_build_info{version=\"" WD_VERSION_STRING "\"} 1");
    expect_line(f, "warden_decisions_total{tenant=\"demo\",kind=\"storage\",result=\"allow\"} 3");
    expect_line(f, "warden_decisions_total{tenant=\"demo\",kind=\"storage\",result=\"deny\"} 3");
    expect_line(f, "warden_decisions_total{tenant=\"demo\",kind=\"network\",result=\"allow\"} 1");
    expect_line(f, "warden_decisions_total{tenant=\"demo\",kind=\"network\",result=\"deny\"} 0");
    expect_line(f,
                "warden_decisions_total{tenant=\"demo\",kind=\"environment\",result=\"deny\"} 2");
    expect_line(f, "warden_decisions_total{tenant=\"demo\",kind=\"invalid\",result=\"deny\"} 1");
    expect_line(f, "warden_lockdown{tenant=\"demo\"} 0");
    char line[200];
    snprintf(line, sizeof(line), "warden_audit_records_total{tenant=\"demo\"} %llu",
             (unsigned long long)records(f));
    expect_line(f, line);
    expect_line(f, "warden_reloads_total{result=\"ok\"} 0");
    /* 200s so far: 8 checks, 1 batch (the 403, 400 and 404 were counted as theirs). */
    expect_line(f, "warden_http_responses_total{code=\"2xx\"} 8");
    expect_line(f, "warden_http_responses_total{code=\"4xx\"} 3");

    /* Counters survive a reload. */
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/reload", NULL), 200, NULL);
    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "GET", "/metrics", NULL), 200, NULL);
    expect_line(f, "warden_decisions_total{tenant=\"demo\",kind=\"storage\",result=\"allow\"} 3");
    expect_line(f, "warden_reloads_total{result=\"ok\"} 1");
}

/* ---- overrides ---------------------------------------------------------------------------- */

static void enroll(fx *f, const char *name, uint8_t *secret, size_t *len)
{
    wd_test_enroll(f->overrides, name, secret, len);
}

static char *approval(const char *op, const uint8_t *secret, size_t len, const char *approver,
                      const char *ttl)
{
    char code[WD_TOTP_CODE_MAX + 1] = "000000";
    if (secret)
        assert_int_equal(wd_totp(secret, len, (int64_t)time(NULL), NULL, code), 0);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "operation", op, "code", code, "approver",
                          approver, "justification", "rotate the demo key");
    if (ttl)
        json_object_set_new(o, "ttl", json_string(ttl));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static void test_overrides(void **state)
{
    fx *f = *state;
    uint8_t alice[64], bob[64], carol[64];
    size_t alen, blen, clen;
    enroll(f, "alice", alice, &alen);
    enroll(f, "bob", bob, &blen);
    enroll(f, "carol", carol, &clen);
    check(f, READER, "read", SECRET);
    expect_decision(f, "deny", "rule");
    char op[WD_OPERATION_ID_LEN + 1];
    snprintf(op, sizeof(op), "%s", str(f->j, "operation"));

    /* Malformed approvals: 400, nothing recorded. */
    uint64_t before = records(f);
    static const char *const bad_fields[] = {
        "{}",
        "{\"operation\": \"x\", \"code\": \"123456\", \"approver\": \"alice\"}",
        "{\"operation\": \"x\", \"code\": 123456, \"approver\": \"alice\", \"justification\": "
        "\"j\"}",
        "{\"operation\": \"x\", \"code\": \"1\", \"approver\": \"alice\", \"justification\": "
        "\"j\", \"when\": \"now\"}",
        "{\"operation\": \"x\", \"code\": \"1\", \"approver\": \"alice\", \"justification\": "
        "\"j\", \"ttl\": 5}",
    };
    for (size_t i = 0; i < sizeof(bad_fields) / sizeof(*bad_fields); i++)
        EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/overrides", bad_fields[i]), 400, "WD-D002");
    for (size_t i = 0; i < sizeof(bad_json) / sizeof(*bad_json); i++) {
        size_t len = bad_json[i].len ? bad_json[i].len : strlen(bad_json[i].body);
        EXPECT(f,
               call_as(f, "demo", WDD_ROLE_ADMIN, "POST", "/v1/overrides", NULL, bad_json[i].body,
                       len),
               400, bad_json[i].code);
    }
    static const char *const bad_ttls[] = {"1ms", "0", "forever", "-5m"};
    for (size_t i = 0; i < sizeof(bad_ttls) / sizeof(*bad_ttls); i++) {
        char *body = approval(op, NULL, 0, "alice", bad_ttls[i]);
        EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/overrides", body), 400, "WD-D002");
        free(body);
    }
    assert_int_equal(records(f), before);
    char *body = approval("not-an-operation", alice, alen, "alice", NULL);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/overrides", body), 400, "WD-O007");
    free(body);
    body = approval(op, alice, alen, "alice", "48h"); /* at most 24 h */
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/overrides", body), 400, "WD-O007");
    free(body);
    body = approval(op, alice, alen, "mallory", NULL);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/overrides", body), 404, "WD-O006");
    free(body);
    body = approval(op, alice, alen, "alice", NULL);
    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "POST", "/v1/overrides", body), 403, "WD-D006");

    /* Approved: the next identical request is let through once. */
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/overrides", body), 201, NULL);
    assert_true(json_is_true(json_object_get(f->j, "approved")));
    assert_string_equal(str(f->j, "operation"), op);
    assert_string_equal(str(f->j, "approver"), "alice");
    assert_int_equal(num(f->j, "ttl_s"), 300);
    /* The same code again: a replay. */
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/overrides", body), 403, "WD-O002");
    free(body);
    check(f, READER, "read", SECRET);
    expect_decision(f, "allow", "override");
    assert_string_equal(str(f->j, "operation"), op);
    check(f, READER, "read", SECRET);
    expect_decision(f, "deny", "rule");

    /* An approval of another operation does not help this one. */
    char other[WD_OPERATION_ID_LEN + 1];
    assert_int_equal(wd_operation_id(READER, "write", "/tmp/x", other), 0);
    body = approval(other, carol, clen, "carol", "10m");
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/overrides", body), 201, NULL);
    assert_int_equal(num(f->j, "ttl_s"), 600);
    free(body);
    check(f, READER, "read", SECRET);
    expect_decision(f, "deny", "rule");
    check(f, READER, "write", "/tmp/x");
    expect_decision(f, "allow", "override");

    /* A wrong code: 403 WD-O001; right after it, the approver is throttled: 429 WD-O005. */
    body = approval(op, NULL, 0, "bob", NULL);
    char code[WD_TOTP_CODE_MAX + 1];
    assert_int_equal(wd_totp(bob, blen, (int64_t)time(NULL), NULL, code), 0);
    if (strcmp(code, "000000") != 0) {
        /* The throttle counts whole seconds (one after a first failure): both attempts start
         * early in one second, so a slow machine cannot carry the second past it. */
        struct timespec ts;
        while (clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_nsec > 200000000L)
            nanosleep(&(struct timespec){0, 10000000L}, NULL);
        EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/overrides", body), 403, "WD-O001");
        free(body);
        body = approval(op, bob, blen, "bob", NULL);
        EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/overrides", body), 429, "WD-O005");
    }
    free(body);
    assert_true(count_records(f, "OVERRIDE_REFUSED") >= 1);
    assert_int_equal(count_records(f, "OVERRIDE_APPROVED"), 2);
    assert_int_equal(count_records(f, "OVERRIDE_USED"), 2);
    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "GET", "/metrics", NULL), 200, NULL);
    expect_line(f, "warden_overrides_total{tenant=\"demo\",result=\"approved\"} 2");
}

/* ---- plugins ------------------------------------------------------------------------------ */

static void test_invoke(void **state)
{
    fx *f = *state;
    const char *path = "/v1/plugins/" WORDCOUNT "/invoke";
    const char *input = "{\"text\": \"one two three\"}";
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", path, input), 403, "WD-D006");
    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "POST", "/v1/plugins/examples.nope/invoke", input), 404,
           "WD-D009");
    wd_test_need_runner("test_invoke");
    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "POST", path, input), 200, NULL);
    if (!json_is_true(json_object_get(f->j, "ok")) && strcmp(str(f->j, "code"), "WD-S001") == 0) {
        print_message("test_invoke: the sandbox cannot run here (%s): skipped\n",
                      str(f->j, "message"));
        skip();
    }
    assert_true(json_is_true(json_object_get(f->j, "ok")));
    assert_string_equal(str(f->j, "component"), WORDCOUNT);
    assert_string_equal(str(f->j, "code"), "");
    assert_string_equal(str(f->j, "output"), "{\"words\": 3, \"lines\": 0, \"bytes\": 13}");
    assert_int_equal(num(f->j, "status"), 0);
    assert_int_equal(strlen(str(f->j, "correlation_id")), 36);
    /* A failing call is still answered 200, with its WD-S id. */
    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "POST", path, "{}"), 200, NULL);
    assert_true(json_is_false(json_object_get(f->j, "ok")));
    assert_string_equal(str(f->j, "code"), "WD-S011");
    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "GET", "/metrics", NULL), 200, NULL);
    expect_line(f, "warden_plugin_invocations_total{tenant=\"demo\",result=\"ok\"} 1");
    /* The failure is counted under its own code, and under no other. */
    expect_line(f, "warden_sandbox_failures_total{tenant=\"demo\",code=\"WD-S011\"} 1");
    expect_line(f, "warden_sandbox_failures_total{tenant=\"demo\",code=\"WD-S003\"} 0");
    /* Every code is a series, the memory limit (the last) included. */
    expect_line(f, "warden_sandbox_failures_total{tenant=\"demo\",code=\"WD-S014\"} 0");
}

/* ---- reload ------------------------------------------------------------------------------- */

static void test_reload(void **state)
{
    fx *f = *state;
    assert_int_equal(generation(f), 1);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/reload", NULL), 200, NULL);
    assert_string_equal(str(f->j, "status"), "reloaded");
    assert_int_equal(num(f->j, "generation"), 2);
    assert_int_equal(generation(f), 2);
    assert_int_equal(count_records(f, "CONFIG_RELOADED"), 1);

    /* A broken file: refused with its WD-C id, the running state kept and still serving. */
    static const char *const broken[][2] = {
        {"version: 1\nlisten: [\n", "WD-C004"},
        {"version: 2\nlisten: {unix: /tmp/s}\ntenants: []\n", NULL},
        {"", "WD-C007"},
    };
    for (size_t i = 0; i < sizeof(broken) / sizeof(*broken); i++) {
        free(wd_test_write(f->tmp, "warden.yaml", broken[i][0], strlen(broken[i][0])));
        unsigned st = call(f, WDD_ROLE_ADMIN, "POST", "/v1/reload", NULL);
        if (st < 400 || strncmp(err_code(f), "WD-C", 4) != 0 ||
            (broken[i][1] && strcmp(err_code(f), broken[i][1]) != 0))
            fail_msg("reload of a broken configuration: %u %.*s", st, (int)f->resp.body.len,
                     f->resp.body.data);
        assert_int_equal(generation(f), 2);
        check(f, READER, "read", HELLO);
        expect_decision(f, "allow", "rule");
    }
    assert_int_equal(count_records(f, "RELOAD_FAILED"), 3);
    /* Fixed: the next generation. */
    write_config(f, NULL);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/reload", NULL), 200, NULL);
    assert_int_equal(num(f->j, "generation"), 3);
    assert_int_equal(generation(f), 3);
    check(f, READER, "read", HELLO);
    expect_decision(f, "allow", "rule");
    /* Same log across states: still intact, one writer. */
    EXPECT(f, get_args(f, WDD_ROLE_OPERATOR, "/v1/audit/verify", NULL), 200, NULL);
    assert_true(json_is_true(json_object_get(f->j, "ok")));
}

/* A configuration that parses but cannot load (a baseline manifest that is not there): the
 * running state is kept, and the answer is the operator's error. */
static void test_reload_unloadable(void **state)
{
    fx *f = *state;
    FILE *fp = fopen(f->config, "a");
    assert_non_null(fp);
    fprintf(fp, "    baseline: {manifest: nowhere.manifest, pubkey: keys/signing.pub}\n");
    fclose(fp);
    unsigned st = call(f, WDD_ROLE_ADMIN, "POST", "/v1/reload", NULL);
    assert_true(st >= 400);
    assert_int_equal(generation(f), 1);
    assert_int_equal(count_records(f, "RELOAD_FAILED"), 1);
    check(f, READER, "read", HELLO);
    expect_decision(f, "allow", "rule");
    /* docs/api.md: 500 (WD-D011) is out of memory; a configuration naming a file that is not
     * there is the operator's error, not the daemon's. */
    st = call(f, WDD_ROLE_ADMIN, "POST", "/v1/reload", NULL);
    if (st == 500)
        fail_msg("a reload whose baseline manifest is missing answered 500 %s (docs/api.md: 500 "
                 "is out of memory only): %.*s",
                 err_code(f), (int)f->resp.body.len, f->resp.body.data);
}

typedef struct {
    int n;
    wd_effect effect;
} one_verdict;

static int take(void *ctx, size_t i, const wd_verdict *v)
{
    one_verdict *o = ctx;
    (void)i;
    o->n++;
    o->effect = v->effect;
    return 0;
}

static void test_reload_while_state_held(void **state)
{
    fx *f = *state;
    /* A request in flight holds the state it started with. */
    wdd_state *old = wdd_state_acquire(f->d);
    assert_int_equal(old->generation, 1);
    wd_engine *engine = old->tenants[0].engine;

    /* Meanwhile a grant and a reload. */
    char grant[900], file[800];
    snprintf(file, sizeof(file), "%s/extra/f", f->tmp);
    snprintf(grant, sizeof(grant),
             "{\"kind\": \"storage\", \"uri\": \"fs://%s/extra/**\", \"access\": [\"read\"]}",
             f->tmp);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/components/" READER "/grants", grant), 200,
           NULL);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/reload", NULL), 200, NULL);
    assert_int_equal(num(f->j, "generation"), 2);
    wdd_state *cur = wdd_state_acquire(f->d);
    assert_ptr_not_equal(cur, old);
    assert_int_equal(cur->generation, 2);
    wdd_state_release(f->d, cur);

    /* The old state is still whole: its engine decides, reads policies and records. */
    uint64_t before = records(f);
    wd_check_query q[2] = {{"read", HELLO}, {"read", SECRET}};
    one_verdict v = {0, WD_DENY};
    assert_int_equal(wd_engine_check(engine, READER, q, 1, take, &v), 0);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.effect, WD_ALLOW);
    assert_int_equal(wd_engine_check(engine, READER, &q[1], 1, take, &v), 0);
    assert_int_equal(v.effect, WD_DENY);
    assert_int_equal(records(f), before + 2); /* the log is shared with the new state */
    char *yaml = NULL;
    size_t len;
    const char *source;
    assert_int_equal(wd_engine_policy_get(engine, READER, &yaml, &len, &source), 0);
    assert_non_null(strstr(yaml, "/extra/**"));
    free(yaml);
    assert_non_null(wdd_state_tenant(old, "demo"));
    assert_string_equal(old->cfg->tenants[0].name, "demo");
    /* A second reload while it is still held. */
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/reload", NULL), 200, NULL);
    assert_int_equal(wd_engine_check(engine, READER, q, 1, take, &v), 0);
    assert_int_equal(v.effect, WD_ALLOW);
    wdd_state_release(f->d, old); /* the last reference: freed now */

    /* The current state serves, with the grant. */
    check(f, READER, "read", file);
    expect_decision(f, "allow", "rule");
    assert_int_equal(generation(f), 3);
    EXPECT(f, get_args(f, WDD_ROLE_OPERATOR, "/v1/audit/verify", NULL), 200, NULL);
    assert_true(json_is_true(json_object_get(f->j, "ok")));
}

/* ---- lockdown ----------------------------------------------------------------------------- */

/* ---- bounds before the log, and the audit log's state (issue 12, items 11 and 13) ---------- */

static char *filled(size_t n, char first, char fill)
{
    char *t = malloc(n + 1);
    assert_non_null(t);
    memset(t, fill, n);
    t[0] = first;
    t[n] = '\0';
    return t;
}

/* A field longer than its bound is refused with 400 WD-D016 before anything is decided or
 * recorded: an oversize target can no longer fake the audit-write alarm (it used to answer 503
 * WD-D012 and count an audit write error). */
static void test_oversize_fields(void **state)
{
    fx *f = *state;
    uint64_t before = records(f);
    char *big = filled(70000, '/', 'a');
    char *body = check_body(READER, "read", big);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check", body), 400, "WD-D016");
    free(body);
    big[4097] = '\0'; /* one past the bound */
    body = check_body(READER, "read", big);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check", body), 400, "WD-D016");
    free(body);
    char *verb = filled(33, 'r', 'e');
    body = check_body(READER, verb, "/x");
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check", body), 400, "WD-D016");
    free(body);
    char *comp = filled(129, 'e', 'x');
    body = check_body(comp, "read", "/x");
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check", body), 400, "WD-D016");
    free(body);
    /* In a batch: one oversize query refuses the whole batch. */
    const char *const q[][2] = {{"read", HELLO}, {"read", big}};
    body = batch_body(READER, 2, q, 2);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check/batch", body), 400, "WD-D016");
    free(body);
    const char *const qv[][2] = {{verb, "/x"}};
    body = batch_body(READER, 1, qv, 1);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check/batch", body), 400, "WD-D016");
    free(body);
    body = batch_body(comp, 1, q, 1);
    EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check/batch", body), 400, "WD-D016");
    free(body);
    /* Other fields that reach a record: a grant's URI, an approval's justification. */
    json_t *o = json_pack("{s:s, s:s, s:[s]}", "kind", "storage", "uri", big, "access", "read");
    body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/components/examples.reader/grants", body), 400,
           "WD-D016");
    free(body);
    o = json_pack("{s:s, s:s, s:s, s:s}", "operation", "4cb35fd8691b14df8d728f9f45287e2d", "code",
                  "000000", "approver", "alice", "justification", big);
    body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    EXPECT(f, call(f, WDD_ROLE_ADMIN, "POST", "/v1/overrides", body), 400, "WD-D016");
    free(body);
    free(big);
    free(verb);
    free(comp);
    assert_int_equal(records(f), before);
    /* No alarm, and still ready. */
    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "GET", "/metrics", NULL), 200, NULL);
    expect_line(f, "warden_audit_write_errors_total{tenant=\"demo\"} 0");
    expect_line(f, "warden_audit_failing{tenant=\"demo\"} 0");
    EXPECT(f, call(f, 0, "GET", "/ready", NULL), 200, NULL);
}

/* A log that really cannot write (the file size limit makes every write fail, as a full disk
 * does): the check is refused 503 WD-D012 and counted, /ready says so and tells the tenant's own
 * client since when, /metrics shows it. */
static void test_audit_failure_shown(void **state)
{
    fx *f = *state;
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/ready", NULL), 200, NULL);
    json_t *audit = json_object_get(json_object_get(f->j, "tenant"), "audit");
    assert_string_equal(str(audit, "state"), "ok");
    assert_true(json_is_null(json_object_get(audit, "failing_since")));

    struct rlimit saved;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    void (*old)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit tiny = {1, saved.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &tiny), 0);
    char *body = check_body(READER, "read", HELLO);
    unsigned st = call(f, WDD_ROLE_READER, "POST", "/v1/check", body);
    free(body);
    char code[16];
    snprintf(code, sizeof(code), "%s", err_code(f));
    unsigned ready = call(f, 0, "GET", "/ready", NULL);
    char ready_code[16];
    snprintf(ready_code, sizeof(ready_code), "%s", err_code(f));
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, old);
    assert_int_equal(st, 503);
    assert_string_equal(code, "WD-D012");
    assert_int_equal(ready, 503);
    assert_string_equal(ready_code, "WD-D012");
    /* An anonymous peer learns only that the service is not ready. */
    assert_null(json_object_get(f->j, "tenant"));

    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "GET", "/metrics", NULL), 200, NULL);
    expect_line(f, "warden_audit_write_errors_total{tenant=\"demo\"} 1");
    int broken = 0;
    wdd_state *s = wdd_state_acquire(f->d);
    wd_audit_next_seq(s->tenants[0].audit, &broken);
    wdd_state_release(f->d, s);
    if (broken) { /* a writer that recovers by itself may already be writing again */
        expect_line(f, "warden_audit_failing{tenant=\"demo\"} 1");
        EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/ready", NULL), 503, "WD-D012");
        audit = json_object_get(json_object_get(f->j, "tenant"), "audit");
        assert_string_equal(str(audit, "state"), "failing");
        assert_true(json_is_string(json_object_get(audit, "failing_since")));
    }

    /* Space is back: the writer recovers by itself (it retries at most once a second), and
     * wardend is ready again with no restart, saying when it recovered. */
    unsigned again = 0;
    for (int i = 0; i < 100 && again != 200; i++) {
        body = check_body(READER, "read", HELLO);
        again = call(f, WDD_ROLE_READER, "POST", "/v1/check", body);
        free(body);
        if (again != 200)
            usleep(100 * 1000);
    }
    assert_int_equal(again, 200);
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/ready", NULL), 200, NULL);
    audit = json_object_get(json_object_get(f->j, "tenant"), "audit");
    assert_string_equal(str(audit, "state"), "ok");
    assert_true(json_is_string(json_object_get(audit, "recovered_at")));
    assert_true(json_integer_value(json_object_get(audit, "recoveries")) >= 1);
}

/* The audit state as the metrics keep it: the first failure seen is "since", a look that finds
 * the log writing again is a recovery, and nothing sticks. */
static void test_audit_state_transitions(void **state)
{
    (void)state;
    wdd_metrics *m = NULL;
    assert_int_equal(wdd_metrics_new(&m), 0);
    wdd_tenant_metrics *t = wdd_metrics_tenant(m, "demo");
    uint64_t since, recovered, n;
    wdd_metrics_audit_state(t, false, 50);
    wdd_metrics_audit_get(t, &since, &recovered, &n);
    assert_true(since == 0 && recovered == 0 && n == 0);
    wdd_metrics_audit_state(t, true, 100);
    wdd_metrics_audit_state(t, true, 200);
    wdd_metrics_audit_get(t, &since, &recovered, &n);
    assert_true(since == 100 && recovered == 0 && n == 0);
    wdd_metrics_audit_state(t, false, 300);
    wdd_metrics_audit_get(t, &since, &recovered, &n);
    assert_true(since == 0 && recovered == 300 && n == 1);
    wdd_metrics_audit_state(t, true, 400);
    wd_buf b = WD_BUF_INIT;
    wdd_metrics_render(m, &b, NULL, NULL, NULL);
    assert_non_null(strstr(b.data, "\nwarden_audit_failing{tenant=\"demo\"} 1\n"));
    assert_non_null(strstr(b.data, "\nwarden_audit_failing_since_seconds{tenant=\"demo\"} 400\n"));
    assert_non_null(strstr(b.data, "\nwarden_audit_recoveries_total{tenant=\"demo\"} 1\n"));
    wd_buf_free(&b);
    wdd_metrics_free(m);
}

static void test_ready_and_lockdown(void **state)
{
    fx *f = *state;
    EXPECT(f, call(f, 0, "GET", "/ready", NULL), 200, NULL);
    check(f, FETCH, "connect", "127.0.0.1:80"); /* the baselined policy of its own */
    expect_decision(f, "allow", "rule");
    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "GET", "/metrics", NULL), 200, NULL);
    expect_line(f, "warden_lockdown{tenant=\"demo\"} 0");

    FILE *fp = fopen(f->watched, "a");
    assert_non_null(fp);
    fputs("# loosened behind warden's back\n", fp);
    fclose(fp);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        unsigned st = call(f, 0, "GET", "/ready", NULL);
        if (st == 503)
            break;
        assert_int_equal(st, 200);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 > 2.0)
            fail_msg("/ready still 200 two seconds after a baselined file changed");
        usleep(2000);
    }
    /* The record follows the lockdown (which holds whether or not it is recorded). */
    for (int i = 0; i < 2000 && count_records(f, "INTEGRITY_LOCKDOWN") == 0; i++)
        usleep(1000);
    assert_int_equal(count_records(f, "INTEGRITY_LOCKDOWN"), 1);
    assert_string_equal(err_code(f), "WD-T006");
    /* Anyone learns that it is not ready; which file changed is for the tenant's clients. */
    assert_string_equal(str(json_object_get(f->j, "error"), "message"), "a tenant is in lockdown");
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/ready", NULL), 503, "WD-T006");
    char msg[1000];
    snprintf(msg, sizeof(msg), "tenant demo: lockdown: %s changed", f->watched);
    assert_string_equal(str(json_object_get(f->j, "error"), "message"), msg);
    EXPECT(f, call(f, 0, "GET", "/health", NULL), 200, NULL);

    /* Every decision denies; changes and invocations are refused with 503 WD-T006. */
    check(f, READER, "read", HELLO);
    expect_decision(f, "deny", "lockdown");
    assert_null(json_object_get(f->j, "operation"));
    check(f, FETCH, "connect", "127.0.0.1:80");
    expect_decision(f, "deny", "lockdown");
    snapshot s = snap(f);
    EXPECT(f,
           call(f, WDD_ROLE_ADMIN, "PUT", "/v1/components/" READER "/policy", "version: \"1.0\"\n"),
           503, "WD-T006");
    EXPECT(f,
           call(f, WDD_ROLE_ADMIN, "POST", "/v1/components/" READER "/grants",
                "{\"kind\": \"environment\", \"key\": \"LANG\"}"),
           503, "WD-T006");
    EXPECT(f,
           call(f, WDD_ROLE_ADMIN, "DELETE", "/v1/components/" READER "/grants",
                "{\"kind\": \"storage\", \"uri\": \"fs://data/**\"}"),
           503, "WD-T006");
    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "POST", "/v1/plugins/" WORDCOUNT "/invoke", "{}"), 503,
           "WD-T006");
    unchanged(f, &s, __LINE__);
    snap_free(&s);
    EXPECT(f, call(f, WDD_ROLE_READER, "GET", "/v1/components/" READER "/policy", NULL), 200, NULL);
    EXPECT(f, call(f, WDD_ROLE_OPERATOR, "GET", "/metrics", NULL), 200, NULL);
    expect_line(f, "warden_lockdown{tenant=\"demo\"} 1");

    /* A reload does not leave lockdown under the same baseline. */
    long long gen = generation(f);
    unsigned st = call(f, WDD_ROLE_ADMIN, "POST", "/v1/reload", NULL);
    assert_true(st >= 400);
    assert_int_equal(generation(f), gen);
    EXPECT(f, call(f, 0, "GET", "/ready", NULL), 503, "WD-T006");
}

/* Each way a batch can be malformed answers with the id that says which: not one JSON object
 * with distinct keys, or a NUL in a string (WD-D001), the wrong fields (WD-D002), a field over
 * its bound (WD-D016), all "malformed batch: ..."; too many queries is 413 WD-D007. */
static void test_batch_refusals(void **state)
{
    fx *f = *state;
    static const struct {
        const char *body;
        unsigned status;
        const char *id;
    } cases[] = {
        {"{\"component\": \"" READER "\", \"queries\": [", 400, "WD-D001"},
        {"[]", 400, "WD-D001"},
        {"{\"component\": \"a\\u0000b\", \"queries\": []}", 400, "WD-D001"},
        {"{\"component\": \"" READER "\", \"component\": \"x\", \"queries\": []}", 400, "WD-D001"},
        {"{\"component\": \"" READER "\"}", 400, "WD-D002"},
        {"{\"component\": \"" READER "\", \"queries\": [], \"extra\": 1}", 400, "WD-D002"},
        {"{\"component\": \"" READER "\", \"queries\": [{\"verb\": 1, \"target\": \"/x\"}]}", 400,
         "WD-D002"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EXPECT(f, call(f, WDD_ROLE_READER, "POST", "/v1/check/batch", cases[i].body),
               cases[i].status, cases[i].id);
        const char *msg = str(json_object_get(f->j, "error"), "message");
        assert_int_equal(strncmp(msg, "malformed batch: ", 17), 0);
    }
}

/* The one table from an error's kind to an HTTP status, as docs/api.md lists it, and the
 * answers it gives errors raised with a kind of their own: the throttle and the lockdown keep
 * their codes (WD_EBUSY, WD_ESTATE) and still answer 429 and 503, with no id read to say so. */
static void test_status_table(void **state)
{
    (void)state;
    static const unsigned status[WD_KIND_COUNT] = {
        [WD_KIND_NONE] = 500,      [WD_KIND_INVALID] = 400,     [WD_KIND_NOT_FOUND] = 404,
        [WD_KIND_FORBIDDEN] = 403, [WD_KIND_CONFLICT] = 409,    [WD_KIND_TOO_LARGE] = 413,
        [WD_KIND_THROTTLED] = 429, [WD_KIND_UNAVAILABLE] = 503, [WD_KIND_INTERNAL] = 500,
    };
    for (int k = 0; k < WD_KIND_COUNT; k++)
        assert_int_equal(wdd_api_status((wd_error_kind)k), status[k]);
    assert_int_equal(wdd_api_status(WD_KIND_COUNT), 500);
    static const struct {
        wd_error_kind kind; /* WD_KIND_NONE: the code's own */
        int code;
        const char *id;
        unsigned status;
        const char *answer_id;
    } cases[] = {
        {WD_KIND_NONE, WD_EINVAL, "", 400, "WD-D010"},
        {WD_KIND_NONE, WD_EPOLICY, "WD-P011", 400, "WD-P011"},
        {WD_KIND_NONE, WD_ERANGE, "", 413, "WD-D010"},
        {WD_KIND_NONE, WD_ENOTFOUND, "", 404, "WD-D009"},
        {WD_KIND_NONE, WD_EPERM, "WD-O001", 403, "WD-O001"},
        {WD_KIND_NONE, WD_EBUSY, "", 409, "WD-D010"},
        {WD_KIND_NONE, WD_EBUSY, "WD-O005", 409, "WD-O005"}, /* the id alone decides nothing */
        {WD_KIND_THROTTLED, WD_EBUSY, "WD-O005", 429, "WD-O005"},
        {WD_KIND_NONE, WD_ESTATE, "WD-T004", 409, "WD-T004"},
        {WD_KIND_UNAVAILABLE, WD_ESTATE, "WD-T006", 503, "WD-T006"},
        {WD_KIND_NONE, WD_EIO, "", 500, "WD-D011"},
        {WD_KIND_NONE, WD_EIO, "WD-A010", 500, "WD-A010"},
        {WD_KIND_UNAVAILABLE, WD_EIO, "WD-A010", 503, "WD-A010"},
        {WD_KIND_NONE, WD_ENOMEM, "", 500, "WD-D011"},
        {WD_KIND_NONE, WD_ESANDBOX, "WD-S008", 500, "WD-S008"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wdd_response resp = {.body = WD_BUF_INIT};
        if (cases[i].kind)
            wd_error_raise(cases[i].kind, cases[i].code, cases[i].id, NULL, 0, 0, "m");
        else
            wd_error_set(cases[i].code, cases[i].id, NULL, 0, 0, "m");
        wdd_api_engine_error(&resp, cases[i].code);
        assert_int_equal(resp.status, cases[i].status);
        json_t *j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                            cases[i].answer_id);
        json_decref(j);
        wd_buf_free(&resp.body);
    }
    /* A code returned without being recorded answers by its own kind, not the last error's. */
    wd_error_raise(WD_KIND_THROTTLED, WD_EBUSY, "WD-O005", NULL, 0, 0, "m");
    wdd_response resp = {.body = WD_BUF_INIT};
    wdd_api_engine_error(&resp, WD_ENOTFOUND);
    assert_int_equal(resp.status, 404);
    wd_buf_free(&resp.body);
}

/* The argument reader applies each field's bound itself (args.h): a caller cannot pass a wrong
 * one, and HTTP and MCP refuse the same lengths. */
static void test_arg_bounds(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        size_t max;
    } fields[] = {{"component", WDD_COMPONENT_MAX},
                  {"verb", WDD_VERB_MAX},
                  {"target", WDD_FIELD_MAX},
                  {"justification", WDD_FIELD_MAX}};
    char *text = malloc(WDD_FIELD_MAX + 2);
    assert_non_null(text);
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
        assert_int_equal(wdd_field_max(fields[i].key), fields[i].max);
        for (size_t extra = 0; extra < 2; extra++) {
            memset(text, 'a', fields[i].max + extra);
            text[fields[i].max + extra] = '\0';
            json_t *o = json_pack("{s:s}", fields[i].key, text);
            assert_non_null(o);
            wdd_arg_error e;
            const char *v = wdd_arg_string(o, fields[i].key, true, &e);
            if (extra) {
                assert_null(v);
                assert_int_equal(e.fault, WDD_ARG_TOO_LONG);
                assert_int_equal(e.max, fields[i].max);
            } else {
                assert_non_null(v);
                assert_int_equal(e.fault, 0);
            }
            json_decref(o);
        }
    }
    free(text);
}

int main(void)
{
    if (!wd_test_find_examples(&ex))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_and_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unauthenticated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_components_and_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invoke, setup, teardown),
        cmocka_unit_test(test_arg_bounds),
        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_unloadable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_while_state_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ready_and_lockdown, setup_baseline, teardown),
        cmocka_unit_test_setup_teardown(test_oversize_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_failure_shown, setup, teardown),
        cmocka_unit_test(test_audit_state_transitions),
        cmocka_unit_test(test_status_table),
        cmocka_unit_test_setup_teardown(test_batch_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
