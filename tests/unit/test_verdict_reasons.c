/* test_verdict_reasons.c: the final reasons of a verdict (src/verdict/verdict.h): every reason
 * has the exact text the API, the CLI and the audit records show, the policy's own reasons read
 * as wd_reason_name reads them, and exactly the reasons whose explanations quote the client's
 * input are the ones made UTF-8 before they are shown. */
#include <string.h>

#include "helpers.h"
#include "verdict/verdict.h"

static void test_names(void **state)
{
    (void)state;
    static const char *const names[WD_FINAL_COUNT] = {
        [WD_FINAL_RULE] = "rule",           [WD_FINAL_TIE] = "tie",
        [WD_FINAL_NO_RULE] = "no_rule",     [WD_FINAL_ESCAPES_ROOT] = "escapes_root",
        [WD_FINAL_PROTECTED] = "protected", [WD_FINAL_LOCKDOWN] = "lockdown",
        [WD_FINAL_OVERRIDE] = "override",   [WD_FINAL_INVALID] = "invalid",
    };
    for (int r = 0; r < WD_FINAL_COUNT; r++) {
        assert_non_null(names[r]);
        assert_string_equal(wd_final_name((wd_final_reason)r), names[r]);
    }
    assert_string_equal(wd_final_name(WD_FINAL_COUNT), "");
    assert_string_equal(wd_final_name((wd_final_reason)-1), "");
    /* the policy's reasons keep the policy's words */
    assert_string_equal(wd_final_name(WD_FINAL_RULE), wd_reason_name(WD_REASON_RULE));
    assert_string_equal(wd_final_name(WD_FINAL_TIE), wd_reason_name(WD_REASON_TIE));
    assert_string_equal(wd_final_name(WD_FINAL_NO_RULE), wd_reason_name(WD_REASON_NO_RULE));
    assert_string_equal(wd_final_name(WD_FINAL_ESCAPES_ROOT),
                        wd_reason_name(WD_REASON_ESCAPES_ROOT));
}

static void test_quotes_target(void **state)
{
    (void)state;
    static const bool quotes[WD_FINAL_COUNT] = {
        [WD_FINAL_PROTECTED] = true,
        [WD_FINAL_LOCKDOWN] = true,
        [WD_FINAL_OVERRIDE] = true,
        [WD_FINAL_INVALID] = true,
    };
    for (int r = 0; r < WD_FINAL_COUNT; r++)
        assert_int_equal(wd_final_quotes_target((wd_final_reason)r), quotes[r]);
}

/* No policy: denied for no rule, in the policy's words. */
static void test_no_policy(void **state)
{
    (void)state;
    wd_request_buf req;
    assert_int_equal(wd_request_parse(&req, "read", "/etc/hostname"), 0);
    wd_verdict_rules rules = {.component = "x"};
    wd_final f;
    assert_int_equal(wd_verdict_decide(&rules, NULL, &req.request, "read", "/etc/hostname", &f), 0);
    assert_int_equal(f.d.effect, WD_DENY);
    assert_int_equal(f.reason, WD_FINAL_NO_RULE);
    assert_string_equal(wd_final_name(f.reason), "no_rule");
    assert_false(f.overridden);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_quotes_target),
        cmocka_unit_test(test_no_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
