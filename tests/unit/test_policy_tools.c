/* test_policy_tools.c: tool rules (permissions.tools), decided like environment keys: an exact
 * name outranks "*", deny wins a tie, nothing matched is denied; whether a policy lists tools at
 * all; the "call" request and the explanations. The rejections of bad tool rules are in
 * test_policy_errors.c with the other WD-P ids. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "warden/warden.h"

#define V "version: \"1.0\"\n"

static wd_policy *load(const char *yaml)
{
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = "/data";
    opts.display_name = "policy.yaml";
    wd_policy *p = NULL;
    int rc = wd_policy_load_buffer(&p, yaml, strlen(yaml), &opts);
    if (rc)
        print_error("load failed: %s %u:%u %s\n", wd_error_last()->id, wd_error_last()->line,
                    wd_error_last()->column, wd_error_last()->message);
    assert_int_equal(rc, 0);
    return p;
}

static wd_decision call(const wd_policy *p, const char *tool)
{
    wd_request_buf req;
    wd_decision d;
    assert_int_equal(wd_request_parse(&req, "call", tool), 0);
    assert_int_equal(req.request.kind, WD_REQ_TOOL);
    assert_string_equal(req.request.tool, tool);
    assert_int_equal(wd_policy_decide(p, &req.request, &d), 0);
    return d;
}

/* Expects the effect, the reason and (line != 0) the deciding rule's line. */
static void expect(const wd_policy *p, const char *tool, wd_effect effect, wd_reason reason,
                   unsigned line)
{
    wd_decision d = call(p, tool);
    char why[512];
    wd_decision_explain(&d, why, sizeof(why));
    if (d.effect != effect || d.reason != reason || (line ? !d.rule || d.rule->line != line : 0)) {
        print_error("call %s: got %s (%s), want %s by line %u\n", tool, wd_effect_name(d.effect),
                    why, wd_effect_name(effect), line);
        fail();
    }
}

static const char listed[] = V "permissions:\n"
                               "  tools:\n"
                               "    allow:\n"
                               "      - name: read_text_file\n" /* 5 */
                               "      - name: list_directory\n" /* 6 */
                               "      - name: fs/stat.v2\n"     /* 7 */
                               "      - name: both\n"           /* 8 */
                               "    deny:\n"
                               "      - name: write_file\n"      /* 10 */
                               "      - name: both\n"            /* 11 */
                               "      - name: Read_Text_File\n"; /* 12 */

static void test_list_decides(void **state)
{
    (void)state;
    wd_policy *p = load(listed);
    assert_true(wd_policy_lists_tools(p));
    expect(p, "read_text_file", WD_ALLOW, WD_REASON_RULE, 5);
    expect(p, "list_directory", WD_ALLOW, WD_REASON_RULE, 6);
    expect(p, "fs/stat.v2", WD_ALLOW, WD_REASON_RULE, 7);
    expect(p, "write_file", WD_DENY, WD_REASON_RULE, 10);
    /* names are exact and case-sensitive */
    expect(p, "Read_Text_File", WD_DENY, WD_REASON_RULE, 12);
    expect(p, "read_text_fil", WD_DENY, WD_REASON_NO_RULE, 0);
    expect(p, "read_text_file2", WD_DENY, WD_REASON_NO_RULE, 0);
    expect(p, "fs/stat", WD_DENY, WD_REASON_NO_RULE, 0);
    /* not on the list: default deny */
    expect(p, "move_file", WD_DENY, WD_REASON_NO_RULE, 0);
    wd_decision d = call(p, "move_file");
    assert_null(d.rule);
    assert_null(d.other);
    /* an allow and a deny for the same name: deny */
    expect(p, "both", WD_DENY, WD_REASON_TIE, 11);
    d = call(p, "both");
    assert_non_null(d.other);
    assert_int_equal(d.other->line, 8);
    assert_int_equal(d.other->effect, WD_ALLOW);
    wd_policy_free(p);
}

static void test_star(void **state)
{
    (void)state;
    wd_policy *p = load(V "permissions:\n"
                          "  tools:\n"
                          "    allow:\n"
                          "      - name: \"*\"\n"    /* 5 */
                          "      - name: exact_ok\n" /* 6 */
                          "    deny:\n"
                          "      - name: write_file\n" /* 8 */
                          "      - name: exact_ok\n"); /* 9 */
    expect(p, "anything", WD_ALLOW, WD_REASON_RULE, 5);
    expect(p, "a/b.c-d_e", WD_ALLOW, WD_REASON_RULE, 5);
    /* an exact deny outranks the "*" allow */
    expect(p, "write_file", WD_DENY, WD_REASON_RULE, 8);
    wd_decision d = call(p, "write_file");
    assert_non_null(d.other);
    assert_int_equal(d.other->line, 5);
    /* exact allow and exact deny tie: deny */
    expect(p, "exact_ok", WD_DENY, WD_REASON_TIE, 9);
    wd_policy_free(p);

    /* a "*" deny with an exact allow: the exact name wins */
    p = load(V "permissions:\n"
               "  tools:\n"
               "    allow:\n"
               "      - name: read_text_file\n" /* 5 */
               "    deny:\n"
               "      - name: \"*\"\n"); /* 7 */
    expect(p, "read_text_file", WD_ALLOW, WD_REASON_RULE, 5);
    expect(p, "write_file", WD_DENY, WD_REASON_RULE, 7);
    wd_policy_free(p);

    /* "*" both ways: a tie on every name without a rule of its own */
    p = load(V "permissions:\n"
               "  tools:\n"
               "    allow:\n"
               "      - name: \"*\"\n" /* 5 */
               "      - name: mine\n"  /* 6 */
               "    deny:\n"
               "      - name: \"*\"\n"); /* 8 */
    expect(p, "other", WD_DENY, WD_REASON_TIE, 8);
    expect(p, "mine", WD_ALLOW, WD_REASON_RULE, 6);
    wd_policy_free(p);

    /* the first of two equal rules decides and is named */
    p = load(V "permissions:\n"
               "  tools:\n"
               "    deny:\n"
               "      - name: x\n"   /* 5 */
               "      - name: x\n"); /* 6 */
    expect(p, "x", WD_DENY, WD_REASON_RULE, 5);
    wd_policy_free(p);
}

/* A policy lists tools when it has a tools section at all: an empty one allows none. */
static void test_lists_tools(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        int lists;
    } cases[] = {
        {V, 0},
        {V "permissions: {}\n", 0},
        {V "permissions:\n  environment:\n    allow:\n      - key: PATH\n", 0},
        {V "permissions:\n  tools: {}\n", 1},
        {V "permissions:\n  tools:\n", 1},
        {V "permissions:\n  tools:\n    allow: []\n    deny: []\n", 1},
        {V "permissions:\n  tools:\n    deny:\n      - name: write_file\n", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wd_policy *p = load(cases[i].yaml);
        if (!!wd_policy_lists_tools(p) != cases[i].lists) {
            print_error("case %zu: lists_tools %d, want %d\n", i, wd_policy_lists_tools(p),
                        cases[i].lists);
            fail();
        }
        /* Either way the policy core answers from the list: nothing listed, nothing allowed.
         * (Whether a list applies at all is the host's question: wd_policy_lists_tools.) */
        expect(p, "read_text_file", WD_DENY, WD_REASON_NO_RULE, 0);
        for (size_t r = 0; r < wd_policy_rule_count(p); r++)
            assert_true(wd_policy_rule(p, r)->kind != WD_RULE_TOOL || wd_policy_lists_tools(p));
        wd_policy_free(p);
    }
}

/* Wassette's policies have no tools section: they load unchanged and list no tools. */
static void test_wassette_policies_list_no_tools(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/compat/wassette", WD_SHARED_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int seen = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".yaml"))
            continue;
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
        opts.data_dir = "/data";
        wd_policy *p = NULL;
        assert_int_equal(wd_policy_load(&p, path, &opts), 0);
        assert_false(wd_policy_lists_tools(p));
        for (size_t r = 0; r < wd_policy_rule_count(p); r++)
            assert_int_not_equal(wd_policy_rule(p, r)->kind, WD_RULE_TOOL);
        wd_policy_free(p);
        seen++;
    }
    closedir(d);
    assert_true(seen >= 10);
}

static void test_rules_as_written(void **state)
{
    (void)state;
    wd_policy *p = load(listed);
    size_t tools = 0;
    for (size_t i = 0; i < wd_policy_rule_count(p); i++) {
        const wd_rule *r = wd_policy_rule(p, i);
        if (r->kind != WD_RULE_TOOL)
            continue;
        tools++;
        assert_string_equal(r->file, "policy.yaml");
        assert_int_equal(r->column, 9);
        assert_non_null(r->tool);
        char text[200];
        snprintf(text, sizeof(text), "%s tool %s", wd_effect_name(r->effect), r->tool);
        assert_string_equal(r->text, text);
        assert_null(r->key);
        assert_null(r->pattern);
        assert_null(r->host);
    }
    assert_int_equal(tools, 7);
    const wd_rule *first = wd_policy_rule(p, 0);
    assert_int_equal(first->kind, WD_RULE_TOOL);
    assert_int_equal(first->effect, WD_ALLOW);
    assert_string_equal(first->tool, "read_text_file");
    assert_int_equal(first->line, 5);
    wd_policy_free(p);
}

static void test_explain(void **state)
{
    (void)state;
    wd_policy *p = load(listed);
    char why[512];
    wd_decision d = call(p, "read_text_file");
    wd_decision_explain(&d, why, sizeof(why));
    assert_string_equal(why,
                        "policy.yaml:5:9 [allow tool read_text_file] is the most specific match");
    d = call(p, "both");
    wd_decision_explain(&d, why, sizeof(why));
    assert_string_equal(why, "policy.yaml:11:9 [deny tool both] ties with policy.yaml:8:9 [allow "
                             "tool both] (equally specific): deny wins");
    d = call(p, "move_file");
    wd_decision_explain(&d, why, sizeof(why));
    assert_string_equal(why, "no rule matched (default deny)");
    wd_policy_free(p);

    p = load(V "permissions:\n  tools:\n    allow:\n      - name: \"*\"\n    deny:\n"
               "      - name: write_file\n");
    d = call(p, "write_file");
    wd_decision_explain(&d, why, sizeof(why));
    assert_string_equal(why, "policy.yaml:7:9 [deny tool write_file] is the most specific match; "
                             "it outranks policy.yaml:5:9 [allow tool *]");
    wd_policy_free(p);
}

static void test_request_parse(void **state)
{
    (void)state;
    wd_request_buf req;
    assert_int_equal(wd_request_parse(&req, "call", "read_text_file"), 0);
    assert_int_equal(req.request.kind, WD_REQ_TOOL);
    assert_string_equal(req.request.tool, "read_text_file");
    assert_null(req.request.path);
    assert_null(req.request.key);
    assert_null(req.request.host);
    assert_int_equal(wd_request_parse(&req, "call", "ns/sub.tool-v2_X"), 0);
    assert_string_equal(req.request.tool, "ns/sub.tool-v2_X");
    char longest[129];
    memset(longest, 'a', 128);
    longest[128] = '\0';
    assert_int_equal(wd_request_parse(&req, "call", longest), 0);

    /* Not a tool name: "*" (a rule's word, not a tool), wildcards, spaces, other bytes, too
     * long, empty. */
    char too_long[130];
    memset(too_long, 'a', 129);
    too_long[129] = '\0';
    const char *bad[] = {"*", "read_*", "a b", "a:b", "caf\xc3\xa9", "a\tb", "", too_long};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (wd_request_parse(&req, "call", bad[i]) != WD_EINVAL) {
            print_error("call \"%s\" was accepted\n", bad[i]);
            fail();
        }
        assert_true(wd_error_last()->message[0] != '\0');
    }
    /* The verb is exact. */
    assert_int_equal(wd_request_parse(&req, "CALL", "x"), WD_EINVAL);
    assert_non_null(strstr(wd_error_last()->message, "call"));
}

/* A tool request built by hand is checked as strictly as a parsed one: a name no rule could
 * be written for is an error (never allowed, not even by "*"). */
static void test_malformed_requests(void **state)
{
    (void)state;
    wd_policy *p = load(V "permissions:\n  tools:\n    allow:\n      - name: \"*\"\n");
    char too_long[200];
    memset(too_long, 'x', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    const char *bad[] = {NULL, "", "a b", "a\nb", "*", too_long};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wd_request r = {.kind = WD_REQ_TOOL, .tool = bad[i]};
        wd_decision d = {WD_ALLOW, WD_REASON_RULE, NULL, NULL};
        assert_int_equal(wd_policy_decide(p, &r, &d), WD_EINVAL);
        assert_int_equal(d.effect, WD_DENY);
    }
    /* '.' and '/' are tool-name characters: "../x" is a name like any other, not a path */
    wd_request r = {.kind = WD_REQ_TOOL, .tool = "../x"};
    wd_decision d;
    assert_int_equal(wd_policy_decide(p, &r, &d), 0);
    assert_int_equal(d.effect, WD_ALLOW);
    wd_policy_free(p);
}

/* Tool rules sit beside the other kinds without touching them. */
static void test_kinds_apart(void **state)
{
    (void)state;
    wd_policy *p = load(V "permissions:\n"
                          "  environment:\n"
                          "    allow:\n"
                          "      - key: read_text_file\n"
                          "  tools:\n"
                          "    allow:\n"
                          "      - name: PATH\n");
    expect(p, "PATH", WD_ALLOW, WD_REASON_RULE, 8);
    expect(p, "read_text_file", WD_DENY, WD_REASON_NO_RULE, 0);
    wd_request_buf req;
    wd_decision d;
    assert_int_equal(wd_request_parse(&req, "env", "PATH"), 0);
    assert_int_equal(wd_policy_decide(p, &req.request, &d), 0);
    assert_int_equal(d.effect, WD_DENY);
    assert_int_equal(wd_request_parse(&req, "env", "read_text_file"), 0);
    assert_int_equal(wd_policy_decide(p, &req.request, &d), 0);
    assert_int_equal(d.effect, WD_ALLOW);
    wd_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_decides),
        cmocka_unit_test(test_star),
        cmocka_unit_test(test_lists_tools),
        cmocka_unit_test(test_wassette_policies_list_no_tools),
        cmocka_unit_test(test_rules_as_written),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_request_parse),
        cmocka_unit_test(test_malformed_requests),
        cmocka_unit_test(test_kinds_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
