/* test_engine_refused.c: the contracts an engine's review gate refuses are named (engine.h):
 * each with its path, code and message, in printable text however hostile the bytes; the first
 * WD_ENGINE_REFUSALS_KEPT kept and all of them counted; the same list from wd_engine_review,
 * which opens nothing and records nothing, as from wd_engine_open. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "warden/engine.h"
#include "warden/warden.h"

typedef struct {
    char *tmp;
    char contracts[600], policies[600];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->tmp = wd_test_tmpdir();
    snprintf(f->contracts, sizeof(f->contracts), "%s/contracts", f->tmp);
    snprintf(f->policies, sizeof(f->policies), "%s/policies", f->tmp);
    assert_int_equal(mkdir(f->contracts, 0755), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    wd_test_rmtree(f->tmp);
    free(f);
    return 0;
}

/* contracts/NAME/contract.yaml holding text (never a valid contract here). */
static void bad_contract(fx *f, const char *name, const char *text)
{
    char dir[800];
    snprintf(dir, sizeof(dir), "%s/%s", f->contracts, name);
    assert_int_equal(mkdir(dir, 0755), 0);
    free(wd_test_write(dir, "contract.yaml", text, strlen(text)));
}

static wd_engine_options options(fx *f, const char *const *dirs)
{
    wd_engine_options o = WD_ENGINE_OPTIONS_INIT;
    o.name = "unit";
    o.contract_dirs = dirs;
    o.ncontract_dirs = 1;
    o.policies_dir = f->policies;
    return o;
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static void test_named(void **state)
{
    fx *f = *state;
    bad_contract(f, "a", "name: [\n");
    bad_contract(f, "b\033[2J\n", "name: x\n"); /* a name is hostile too */
    const char *const dirs[] = {f->contracts};
    wd_engine_options o = options(f, dirs);

    wd_engine_refusals *r = NULL;
    assert_int_equal(wd_engine_review(&r, &o), 0);
    assert_int_equal(wd_engine_refusals_count(r), 2);
    assert_int_equal(wd_engine_refusals_kept(r), 2);
    const char *path, *code, *message;
    assert_int_equal(wd_engine_refusals_get(r, 0, &path, &code, &message), 0);
    char want[900];
    snprintf(want, sizeof(want), "%s/a/contract.yaml", f->contracts);
    assert_string_equal(path, want);
    assert_int_equal(strncmp(code, "WD-", 3), 0);
    assert_true(message[0] != '\0');
    assert_int_equal(wd_engine_refusals_get(r, 1, &path, &code, &message), 0);
    snprintf(want, sizeof(want), "%s/b\\x1b[2J\\x0a/contract.yaml", f->contracts);
    assert_string_equal(path, want);
    assert_true(printable(path) && printable(code) && printable(message));
    assert_int_equal(wd_engine_refusals_get(r, 2, &path, NULL, NULL), WD_ENOTFOUND);
    wd_engine_refusals_free(r);
    /* Reviewing created nothing: no policy store. */
    struct stat st;
    assert_int_not_equal(stat(f->policies, &st), 0);

    /* The engine names the same ones. */
    wd_engine *e = NULL;
    size_t refused = 0;
    assert_int_equal(wd_engine_open(&e, &o, &refused), 0);
    assert_int_equal(refused, 2);
    const wd_engine_refusals *er = wd_engine_refused(e);
    assert_int_equal(wd_engine_refusals_count(er), 2);
    assert_int_equal(wd_engine_refusals_get(er, 1, &path, NULL, NULL), 0);
    assert_string_equal(path, want);
    wd_engine_close(e);
}

static void test_none(void **state)
{
    fx *f = *state;
    const char *const dirs[] = {f->contracts};
    wd_engine_options o = options(f, dirs);
    wd_engine *e = NULL;
    assert_int_equal(wd_engine_open(&e, &o, NULL), 0);
    assert_int_equal(wd_engine_refusals_count(wd_engine_refused(e)), 0);
    assert_int_equal(wd_engine_refusals_get(wd_engine_refused(e), 0, NULL, NULL, NULL),
                     WD_ENOTFOUND);
    wd_engine_close(e);
    assert_int_equal(wd_engine_refusals_count(wd_engine_refused(NULL)), 0);
}

static void test_bounded(void **state)
{
    fx *f = *state;
    enum { N = WD_ENGINE_REFUSALS_KEPT + 10 };
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof(name), "c%04d", i);
        bad_contract(f, name, "name: [\n");
    }
    const char *const dirs[] = {f->contracts};
    wd_engine_options o = options(f, dirs);
    wd_engine_refusals *r = NULL;
    assert_int_equal(wd_engine_review(&r, &o), 0);
    assert_int_equal(wd_engine_refusals_count(r), N);
    assert_int_equal(wd_engine_refusals_kept(r), WD_ENGINE_REFUSALS_KEPT);
    const char *path = NULL;
    assert_int_equal(wd_engine_refusals_get(r, WD_ENGINE_REFUSALS_KEPT - 1, &path, NULL, NULL), 0);
    char want[900];
    snprintf(want, sizeof(want), "%s/c%04d/contract.yaml", f->contracts,
             WD_ENGINE_REFUSALS_KEPT - 1);
    assert_string_equal(path, want);
    assert_int_equal(wd_engine_refusals_get(r, WD_ENGINE_REFUSALS_KEPT, &path, NULL, NULL),
                     WD_ENOTFOUND);
    wd_engine_refusals_free(r);
}

static void test_review_errors(void **state)
{
    fx *f = *state;
    wd_engine_refusals *r = (wd_engine_refusals *)1;
    assert_int_equal(wd_engine_review(&r, NULL), WD_EINVAL);
    assert_null(r);
    char missing[700];
    snprintf(missing, sizeof(missing), "%s/absent", f->tmp);
    const char *const dirs[] = {missing};
    wd_engine_options o = options(f, dirs);
    assert_int_equal(wd_engine_review(&r, &o), WD_ENOTFOUND);
    assert_null(r);
    assert_string_equal(wd_error_last()->id, "WD-L017");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_review_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
