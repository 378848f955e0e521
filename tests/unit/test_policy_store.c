/* test_policy_store.c: runtime policy changes: effect on the next decision, all-or-nothing
 * failures, fallbacks, and the audit trail. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "warden/warden.h"

static char *root;
static char store_dir[4200];

static int setup(void **state)
{
    (void)state;
    root = wd_test_tmpdir();
    snprintf(store_dir, sizeof(store_dir), "%s/store", root);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wd_test_rmtree(root);
    return 0;
}

static wd_effect decide_in(wd_policy_store *s, const char *component, const char *verb,
                           const char *target, const char **source)
{
    wd_policy *p = NULL;
    assert_int_equal(wd_policy_store_load(s, component, WD_PLUGIN_COMPUTE, &p, source), 0);
    wd_request_buf req;
    wd_decision d;
    assert_int_equal(wd_request_parse(&req, verb, target), 0);
    assert_int_equal(wd_policy_decide(p, &req.request, &d), 0);
    wd_policy_free(p);
    return d.effect;
}

static char *file_text(const char *component)
{
    char path[4400];
    snprintf(path, sizeof(path), "%s/components/%s.yaml", store_dir, component);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65536);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65535, f);
    (void)n;
    fclose(f);
    return buf;
}

static void test_grants_take_effect(void **state)
{
    (void)state;
    wd_policy_store *s;
    wd_policy_store_options o = WD_POLICY_STORE_OPTIONS_INIT;
    o.data_dir = "/data";
    assert_int_equal(wd_policy_store_open(&s, store_dir, &o), 0);
    const char *source;
    /* nothing configured: nothing allowed */
    assert_int_equal(decide_in(s, "tool", "read", "/data/ws/a", &source), WD_DENY);
    assert_string_equal(source, "none");

    assert_int_equal(
        wd_policy_grant_storage(s, "tool", WD_PLUGIN_COMPUTE, "fs://ws/**", WD_ACCESS_READ), 0);
    assert_int_equal(decide_in(s, "tool", "read", "/data/ws/a", &source), WD_ALLOW);
    assert_string_equal(source, "component");
    assert_int_equal(decide_in(s, "tool", "write", "/data/ws/a", NULL), WD_DENY);
    /* granting more access on the same URI merges into the rule */
    assert_int_equal(
        wd_policy_grant_storage(s, "tool", WD_PLUGIN_COMPUTE, "fs://ws/**", WD_ACCESS_WRITE), 0);
    assert_int_equal(decide_in(s, "tool", "write", "/data/ws/a", NULL), WD_ALLOW);
    assert_int_equal(decide_in(s, "tool", "delete", "/data/ws/a", NULL), WD_ALLOW);
    char *t = file_text("tool");
    assert_non_null(strstr(t, "uri: \"fs:///data/ws/**\"")); /* written resolved */
    assert_null(strstr(strstr(t, "uri:") + 4, "uri:"));      /* one rule, not two */
    free(t);
    /* revoke one access (write takes what it implied with it), then the rest */
    assert_int_equal(
        wd_policy_revoke_storage(s, "tool", WD_PLUGIN_COMPUTE, "fs://ws/**", WD_ACCESS_WRITE), 0);
    assert_int_equal(decide_in(s, "tool", "write", "/data/ws/a", NULL), WD_DENY);
    assert_int_equal(decide_in(s, "tool", "delete", "/data/ws/a", NULL), WD_DENY);
    assert_int_equal(decide_in(s, "tool", "read", "/data/ws/a", NULL), WD_ALLOW);
    /* an access the rule no longer has: nothing to revoke, and the file is not rewritten */
    t = file_text("tool");
    assert_int_equal(
        wd_policy_revoke_storage(s, "tool", WD_PLUGIN_COMPUTE, "fs://ws/**", WD_ACCESS_WRITE),
        WD_ENOTFOUND);
    char *t2 = file_text("tool");
    assert_string_equal(t, t2);
    free(t), free(t2);
    assert_int_equal(wd_policy_revoke_storage(s, "tool", WD_PLUGIN_COMPUTE, "fs://ws/**", 0), 0);
    assert_int_equal(decide_in(s, "tool", "read", "/data/ws/a", NULL), WD_DENY);
    /* revoking write from a URI granted only create: write is not there, nothing changes */
    assert_int_equal(
        wd_policy_grant_storage(s, "tool", WD_PLUGIN_COMPUTE, "fs://in/**", WD_ACCESS_CREATE), 0);
    assert_int_equal(
        wd_policy_revoke_storage(s, "tool", WD_PLUGIN_COMPUTE, "fs://in/**", WD_ACCESS_WRITE),
        WD_ENOTFOUND);
    assert_int_equal(decide_in(s, "tool", "create", "/data/in/a", NULL), WD_ALLOW);
    assert_int_equal(wd_policy_revoke_storage(s, "tool", WD_PLUGIN_COMPUTE, "fs://in/**", 0), 0);
    assert_int_equal(wd_policy_revoke_storage(s, "tool", WD_PLUGIN_COMPUTE, "fs://ws/**", 0),
                     WD_ENOTFOUND);

    /* network and environment */
    assert_int_equal(wd_policy_grant_network(s, "tool", WD_PLUGIN_COMPUTE, "https://api.x.io"), 0);
    assert_int_equal(wd_policy_grant_network(s, "tool", WD_PLUGIN_COMPUTE, "10.0.0.0/8"), 0);
    assert_int_equal(wd_policy_grant_network(s, "tool", WD_PLUGIN_COMPUTE, "[2001:db8::1]"), 0);
    assert_int_equal(decide_in(s, "tool", "connect", "https://api.x.io", NULL), WD_ALLOW);
    assert_int_equal(decide_in(s, "tool", "connect", "http://api.x.io", NULL), WD_DENY);
    assert_int_equal(decide_in(s, "tool", "connect", "10.2.3.4", NULL), WD_ALLOW);
    assert_int_equal(decide_in(s, "tool", "connect", "[2001:db8::1]:443", NULL), WD_ALLOW);
    assert_int_equal(wd_policy_revoke_network(s, "tool", WD_PLUGIN_COMPUTE, "10.0.0.0/8"), 0);
    assert_int_equal(decide_in(s, "tool", "connect", "10.2.3.4", NULL), WD_DENY);
    assert_int_equal(decide_in(s, "tool", "connect", "https://api.x.io", NULL), WD_ALLOW);
    /* revokes read the host the way the parser does: case, port, IP spelling */
    assert_int_equal(wd_policy_grant_network(s, "tool", WD_PLUGIN_COMPUTE, "DB.Example.org:5432"),
                     0);
    assert_int_equal(decide_in(s, "tool", "connect", "db.example.org:5432", NULL), WD_ALLOW);
    assert_int_equal(wd_policy_revoke_network(s, "tool", WD_PLUGIN_COMPUTE, "db.example.org:5433"),
                     WD_ENOTFOUND);
    assert_int_equal(wd_policy_revoke_network(s, "tool", WD_PLUGIN_COMPUTE, "DB.Example.org:5432"),
                     0);
    assert_int_equal(decide_in(s, "tool", "connect", "db.example.org:5432", NULL), WD_DENY);
    assert_int_equal(wd_policy_revoke_network(s, "tool", WD_PLUGIN_COMPUTE, "[2001:db8:0::1]"), 0);
    assert_int_equal(decide_in(s, "tool", "connect", "[2001:db8::1]:443", NULL), WD_DENY);
    /* a bare host takes every rule on it; a grant must name its rule exactly */
    assert_int_equal(wd_policy_grant_network(s, "tool", WD_PLUGIN_COMPUTE, "cache.x.io:6379"), 0);
    assert_int_equal(wd_policy_grant_network(s, "tool", WD_PLUGIN_COMPUTE, "cache.x.io"), 0);
    assert_int_equal(decide_in(s, "tool", "connect", "cache.x.io:11211", NULL), WD_ALLOW);
    assert_int_equal(wd_policy_revoke_network(s, "tool", WD_PLUGIN_COMPUTE, "cache.x.io"), 0);
    assert_int_equal(decide_in(s, "tool", "connect", "cache.x.io:6379", NULL), WD_DENY);
    assert_int_equal(wd_policy_grant_env(s, "tool", WD_PLUGIN_COMPUTE, "LANG"), 0);
    assert_int_equal(decide_in(s, "tool", "env", "LANG", NULL), WD_ALLOW);
    assert_int_equal(wd_policy_revoke_env(s, "tool", WD_PLUGIN_COMPUTE, "LANG"), 0);
    assert_int_equal(decide_in(s, "tool", "env", "LANG", NULL), WD_DENY);
    wd_policy_store_close(s);
}

static void test_failures_change_nothing(void **state)
{
    (void)state;
    wd_policy_store *s;
    assert_int_equal(wd_policy_store_open(&s, store_dir, NULL), 0);
    assert_int_equal(wd_policy_grant_env(s, "keep", WD_PLUGIN_EFFECT, "HOME"), 0);
    char *before = file_text("keep");
    /* each of these is refused and leaves the file byte for byte as it was */
    assert_int_equal(wd_policy_grant_network(s, "keep", WD_PLUGIN_EFFECT, "a.*.com"), WD_EPOLICY);
    assert_int_equal(wd_policy_grant_storage(s, "keep", WD_PLUGIN_EFFECT, "file:///etc", 1),
                     WD_EPOLICY);
    assert_int_equal(wd_policy_grant_env(s, "keep", WD_PLUGIN_EFFECT, "AWS_*"), WD_EPOLICY);
    assert_int_equal(wd_policy_grant_env(s, "keep", WD_PLUGIN_EFFECT, "A\nB"), WD_EINVAL);
    assert_int_equal(wd_policy_store_replace(s, "keep", "version: \"1.0\"\nbogus: 1\n", 25),
                     WD_EPOLICY);
    assert_int_equal(wd_policy_revoke_env(s, "keep", WD_PLUGIN_EFFECT, "PATH"), WD_ENOTFOUND);
    char *after = file_text("keep");
    assert_string_equal(before, after);
    free(after);
    /* a stale temporary file from a crash does not get in the way */
    char tmp[4400];
    snprintf(tmp, sizeof(tmp), "%s/components/.keep.yaml.tmp", store_dir);
    FILE *f = fopen(tmp, "w");
    fputs("half a policy", f);
    fclose(f);
    assert_int_equal(wd_policy_grant_env(s, "keep", WD_PLUGIN_EFFECT, "USER"), 0);
    assert_int_equal(access(tmp, F_OK), -1);
    /* component ids name files: nothing that could leave the directory */
    const char *bad[] = {"../escape", "Upper", "", ".hidden", "a/b", NULL};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(wd_policy_grant_env(s, bad[i], WD_PLUGIN_EFFECT, "X"), WD_EINVAL);
    free(before);
    wd_policy_store_close(s);
}

static int count_record(const wd_audit_record *r, void *ctx)
{
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static int grab_details(const wd_audit_record *r, void *ctx)
{
    snprintf(ctx, 64, "%s", r->details);
    return 0;
}

static void test_defaults_replace_reset_and_audit(void **state)
{
    (void)state;
    char keys[4300], logdir[4300];
    wd_audit *log = wd_test_audit_open(root, keys, logdir, sizeof(keys));
    wd_policy_store_options o = WD_POLICY_STORE_OPTIONS_INIT;
    o.audit = log;
    wd_policy_store *s;
    assert_int_equal(wd_policy_store_open(&s, store_dir, &o), 0);
    /* a default for the type */
    char path[4400];
    snprintf(path, sizeof(path), "%s/defaults/compute.yaml", store_dir);
    FILE *f = fopen(path, "w");
    fputs("version: \"1.0\"\npermissions:\n  environment:\n    allow:\n    - key: TZ\n", f);
    fclose(f);
    const char *source;
    assert_int_equal(decide_in(s, "fresh", "env", "TZ", &source), WD_ALLOW);
    assert_string_equal(source, "default");
    /* a grant starts from the default */
    assert_int_equal(wd_policy_grant_env(s, "fresh", WD_PLUGIN_COMPUTE, "LANG"), 0);
    assert_int_equal(decide_in(s, "fresh", "env", "TZ", &source), WD_ALLOW);
    assert_string_equal(source, "component");
    const char *yaml = "version: \"1.0\"\npermissions:\n  environment:\n    allow:\n"
                       "    - key: ONLY\n";
    assert_int_equal(wd_policy_store_replace(s, "fresh", yaml, strlen(yaml)), 0);
    assert_int_equal(decide_in(s, "fresh", "env", "TZ", NULL), WD_DENY);
    assert_int_equal(decide_in(s, "fresh", "env", "ONLY", NULL), WD_ALLOW);
    assert_int_equal(wd_policy_store_reset(s, "fresh"), 0);
    assert_int_equal(decide_in(s, "fresh", "env", "TZ", &source), WD_ALLOW);
    assert_string_equal(source, "default");
    assert_int_equal(wd_policy_store_reset(s, "fresh"), WD_ENOTFOUND);
    wd_policy_store_close(s);
    assert_int_equal(wd_audit_close(log), 0);
    /* every change is in the log, and the log verifies */
    char mac[4400];
    snprintf(mac, sizeof(mac), "%s/mac.key", keys);
    wd_audit_verify_options vo = WD_AUDIT_VERIFY_OPTIONS_INIT;
    vo.mac_key_path = mac;
    wd_audit_verify_result r;
    assert_int_equal(wd_audit_verify(logdir, &vo, &r), 0);
    assert_int_equal(r.problem, WD_AUDIT_OK);
    static const char *const types[] = {"POLICY_GRANT", "POLICY_REPLACE", "POLICY_RESET"};
    for (int i = 0; i < 3; i++) {
        wd_audit_query q = WD_AUDIT_QUERY_INIT;
        q.type = types[i];
        int n = 0;
        assert_int_equal(wd_audit_query_run(logdir, &q, count_record, &n), 0);
        assert_int_equal(n, 1);
    }
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    q.type = "POLICY_GRANT";
    char component[64] = "";
    assert_int_equal(wd_audit_query_run(logdir, &q, grab_details, component), 0);
    assert_non_null(strstr(component, "\"component\":\"fresh\""));
    assert_non_null(strstr(component, "grant environment LANG"));
}

static void test_shared_through_cache(void **state)
{
    (void)state;
    wd_policy_cache *cache;
    assert_int_equal(wd_policy_cache_new(&cache, 8), 0);
    wd_policy_store_options o = WD_POLICY_STORE_OPTIONS_INIT;
    o.cache = cache;
    char dir2[4300];
    snprintf(dir2, sizeof(dir2), "%s/shared", root);
    wd_policy_store *s;
    assert_int_equal(wd_policy_store_open(&s, dir2, &o), 0);
    char path[4400];
    snprintf(path, sizeof(path), "%s/defaults/effect.yaml", dir2);
    FILE *f = fopen(path, "w");
    fputs("version: \"1.0\"\npermissions:\n  environment:\n    allow:\n    - key: TZ\n", f);
    fclose(f);
    wd_policy *a, *b;
    assert_int_equal(wd_policy_store_load(s, "one", WD_PLUGIN_EFFECT, &a, NULL), 0);
    assert_int_equal(wd_policy_store_load(s, "two", WD_PLUGIN_EFFECT, &b, NULL), 0);
    assert_ptr_equal(a, b); /* one compiled copy of the shared default */
    wd_policy_free(a);
    wd_policy_free(b);
    /* a component's own policy is a different entry, and a change is never a stale hit */
    assert_int_equal(wd_policy_grant_env(s, "one", WD_PLUGIN_EFFECT, "LANG"), 0);
    assert_int_equal(wd_policy_store_load(s, "one", WD_PLUGIN_EFFECT, &a, NULL), 0);
    wd_request r = {.kind = WD_REQ_ENVIRONMENT, .key = "LANG"};
    wd_decision d;
    assert_int_equal(wd_policy_decide(a, &r, &d), 0);
    assert_int_equal(d.effect, WD_ALLOW);
    wd_policy_free(a);
    wd_policy_store_close(s);
    wd_policy_cache_free(cache);
}

/* Loads the component's policy from the store. */
static wd_policy *policy_of(wd_policy_store *s, const char *component)
{
    wd_policy *p = NULL;
    assert_int_equal(wd_policy_store_load(s, component, WD_PLUGIN_COMPUTE, &p, NULL), 0);
    return p;
}

/* A policy's tools list survives every other edit unchanged (dropping a deny list would widen
 * what the component may call), and its absence survives too (adding an empty list would
 * narrow it). Tools themselves are granted only into an existing list. */
static void test_tool_rules_survive_edits(void **state)
{
    (void)state;
    wd_policy_store *s;
    wd_policy_store_options o = WD_POLICY_STORE_OPTIONS_INIT;
    o.data_dir = "/data";
    assert_int_equal(wd_policy_store_open(&s, store_dir, &o), 0);
    static const char yaml[] = "version: \"1.0\"\n"
                               "permissions:\n"
                               "  tools:\n"
                               "    allow:\n"
                               "      - name: \"*\"\n"
                               "      - name: read_text_file\n"
                               "    deny:\n"
                               "      - name: write_file\n"
                               "      - name: ns/move.v2\n";
    assert_int_equal(wd_policy_store_replace(s, "mcpfs", yaml, strlen(yaml)), 0);
    assert_int_equal(decide_in(s, "mcpfs", "call", "write_file", NULL), WD_DENY);

    /* a grant of another kind keeps every tool rule, in place */
    assert_int_equal(wd_policy_grant_env(s, "mcpfs", WD_PLUGIN_COMPUTE, "LANG"), 0);
    assert_int_equal(
        wd_policy_grant_storage(s, "mcpfs", WD_PLUGIN_COMPUTE, "fs://ws/**", WD_ACCESS_READ), 0);
    assert_int_equal(wd_policy_revoke_env(s, "mcpfs", WD_PLUGIN_COMPUTE, "LANG"), 0);
    wd_policy *p = policy_of(s, "mcpfs");
    assert_true(wd_policy_lists_tools(p));
    static const struct {
        wd_effect effect;
        const char *name;
    } want[] = {{WD_ALLOW, "*"},
                {WD_ALLOW, "read_text_file"},
                {WD_DENY, "write_file"},
                {WD_DENY, "ns/move.v2"}};
    size_t n = 0;
    for (size_t i = 0; i < wd_policy_rule_count(p); i++) {
        const wd_rule *r = wd_policy_rule(p, i);
        if (r->kind != WD_RULE_TOOL)
            continue;
        assert_true(n < 4);
        assert_int_equal(r->effect, want[n].effect);
        assert_string_equal(r->tool, want[n].name);
        n++;
    }
    assert_int_equal(n, 4);
    wd_policy_free(p);
    assert_int_equal(decide_in(s, "mcpfs", "call", "write_file", NULL), WD_DENY);
    assert_int_equal(decide_in(s, "mcpfs", "call", "ns/move.v2", NULL), WD_DENY);
    assert_int_equal(decide_in(s, "mcpfs", "call", "list_directory", NULL), WD_ALLOW);
    assert_int_equal(decide_in(s, "mcpfs", "read", "/data/ws/a", NULL), WD_ALLOW);

    /* an empty list stays a list */
    static const char empty[] = "version: \"1.0\"\npermissions:\n  tools: {}\n";
    assert_int_equal(wd_policy_store_replace(s, "shut", empty, strlen(empty)), 0);
    assert_int_equal(wd_policy_grant_env(s, "shut", WD_PLUGIN_COMPUTE, "LANG"), 0);
    p = policy_of(s, "shut");
    assert_true(wd_policy_lists_tools(p));
    wd_policy_free(p);
    assert_int_equal(decide_in(s, "shut", "call", "read_text_file", NULL), WD_DENY);
    /* ... into which a tool can be granted, and revoked again */
    assert_int_equal(wd_policy_grant_tool(s, "shut", WD_PLUGIN_COMPUTE, "read_text_file"), 0);
    assert_int_equal(decide_in(s, "shut", "call", "read_text_file", NULL), WD_ALLOW);
    assert_int_equal(decide_in(s, "shut", "call", "write_file", NULL), WD_DENY);
    assert_int_equal(wd_policy_grant_tool(s, "shut", WD_PLUGIN_COMPUTE, "read_text_file"), 0);
    char *t = file_text("shut");
    assert_non_null(strstr(t, "name: \"read_text_file\""));
    assert_null(strstr(strstr(t, "name:") + 5, "name:")); /* granted twice, one rule */
    free(t);
    assert_int_equal(wd_policy_revoke_tool(s, "shut", WD_PLUGIN_COMPUTE, "read_text_file"), 0);
    assert_int_equal(decide_in(s, "shut", "call", "read_text_file", NULL), WD_DENY);
    assert_int_equal(wd_policy_revoke_tool(s, "shut", WD_PLUGIN_COMPUTE, "read_text_file"),
                     WD_ENOTFOUND);
    p = policy_of(s, "shut");
    assert_true(wd_policy_lists_tools(p)); /* revoking the last tool leaves an empty list */
    wd_policy_free(p);
    /* a revoke takes allow rules only: a deny stays */
    assert_int_equal(wd_policy_revoke_tool(s, "mcpfs", WD_PLUGIN_COMPUTE, "write_file"),
                     WD_ENOTFOUND);
    /* a bad name is refused by the policy's own validation, and nothing changes */
    t = file_text("shut");
    assert_int_equal(wd_policy_grant_tool(s, "shut", WD_PLUGIN_COMPUTE, "read_*"), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-P027");
    assert_int_equal(wd_policy_grant_tool(s, "shut", WD_PLUGIN_COMPUTE, "a\nb"), WD_EINVAL);
    assert_int_equal(wd_policy_grant_tool(s, "shut", WD_PLUGIN_COMPUTE, ""), WD_EINVAL);
    char *t2 = file_text("shut");
    assert_string_equal(t, t2);
    free(t), free(t2);

    /* no list: edits never add one, and a tool cannot be granted into it */
    assert_int_equal(wd_policy_grant_env(s, "open", WD_PLUGIN_COMPUTE, "LANG"), 0);
    p = policy_of(s, "open");
    assert_false(wd_policy_lists_tools(p));
    wd_policy_free(p);
    t = file_text("open");
    assert_null(strstr(t, "tools"));
    assert_int_equal(wd_policy_grant_tool(s, "open", WD_PLUGIN_COMPUTE, "read_text_file"),
                     WD_ENOTFOUND);
    assert_int_equal(wd_policy_revoke_tool(s, "open", WD_PLUGIN_COMPUTE, "read_text_file"),
                     WD_ENOTFOUND);
    t2 = file_text("open");
    assert_string_equal(t, t2);
    free(t), free(t2);
    p = policy_of(s, "open");
    assert_false(wd_policy_lists_tools(p));
    wd_policy_free(p);
    wd_policy_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grants_take_effect),
        cmocka_unit_test(test_failures_change_nothing),
        cmocka_unit_test(test_defaults_replace_reset_and_audit),
        cmocka_unit_test(test_shared_through_cache),
        cmocka_unit_test(test_tool_rules_survive_edits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
