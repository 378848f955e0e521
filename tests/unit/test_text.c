/* test_text.c: the one encoding check every format reader goes through (util/text.h): the byte
 * order mark comes off, and each way of failing yields one diagnostic at the bad byte. */
#include "helpers.h"

#include <string.h>

#include "util/error.h"
#include "util/text.h"
#include "warden/diag.h"

static const wd_diag *check_fails(wd_diagnostics *d, const char *text, size_t len, const char *what)
{
    const wd_text_source src = {.id = "WD-X999", .display = "f.yaml", .what = what};
    const char *p = text;
    assert_int_equal(wd_text_check(&p, &len, &src, d), WD_EPOLICY);
    assert_int_equal(wd_diagnostics_count(d), 1);
    const wd_diag *g = wd_diagnostics_get(d, 0);
    assert_string_equal(g->id, "WD-X999");
    assert_string_equal(g->file, "f.yaml");
    return g;
}

static void test_bom_is_taken_off(void **state)
{
    (void)state;
    wd_diagnostics *d = NULL;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    const wd_text_source src = {.id = "WD-X999", .display = "f.yaml", .what = "the text"};
    const char *p = "\xEF\xBB\xBFversion: 1\n";
    size_t len = strlen(p);
    assert_int_equal(wd_text_check(&p, &len, &src, d), 0);
    assert_string_equal(p, "version: 1\n");
    assert_int_equal(len, strlen("version: 1\n"));
    const char *q = "a: \xC3\xA9\n"; /* no mark: nothing moves */
    size_t qlen = strlen(q);
    const char *q0 = q;
    assert_int_equal(wd_text_check(&q, &qlen, &src, d), 0);
    assert_ptr_equal(q, q0);
    assert_int_equal(wd_diagnostics_count(d), 0);
    wd_diagnostics_free(d);
}

static void test_bad_byte_and_nul(void **state)
{
    (void)state;
    wd_diagnostics *d = NULL;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    const wd_diag *g = check_fails(d, "\xEF\xBB\xBFok\nab\xFF", 9, "policy text");
    assert_string_equal(g->message, "not valid UTF-8 (byte 0xff)");
    assert_int_equal(g->line, 2); /* columns count from after the mark */
    assert_int_equal(g->column, 3);
    wd_diagnostics_free(d);

    assert_int_equal(wd_diagnostics_new(&d), 0);
    g = check_fails(d, "ab\0c", 4, "policy text");
    assert_string_equal(g->message, "NUL byte in policy text");
    assert_int_equal(g->column, 3);
    wd_diagnostics_free(d);

    assert_int_equal(wd_diagnostics_new(&d), 0);
    g = check_fails(d, "\xC0\x80", 2, NULL); /* an overlong NUL */
    assert_string_equal(g->message, "not valid UTF-8, or a NUL byte");
    wd_diagnostics_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bom_is_taken_off),
        cmocka_unit_test(test_bad_byte_and_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
