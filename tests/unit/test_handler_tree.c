/* test_handler_tree.c: a Python handler's tree (runtime: python): the hash is what sha256sum
 * prints for the files (reproduced here with coreutils), read once and in order, caches
 * skipped; and every refusal, at contract load and when the tree is read again: a symbolic
 * link (a file, a directory, the root itself), a special file, a name with a newline, a
 * backslash, a control character or bytes that are not UTF-8, too deep, too many files, too
 * many bytes, a changed file, a missing handler module or package, a file others can write. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "util/secure.h"
#include "warden/warden.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = wd_test_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wd_test_rmtree(dir);
    return 0;
}

/* A fresh handler directory h/ with the package src/pkg (__init__.py, mod.py). */
static void fresh_tree(void)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "set -e; cd '%s'; rm -rf h; mkdir -p h/src/pkg/sub h/src/pkg/__pycache__; "
             ": >h/src/pkg/__init__.py; printf 'class C:\\n    pass\\n' >h/src/pkg/mod.py; "
             "printf 'x' >h/src/pkg/sub/data.txt; printf 'junk' >h/src/pkg/__pycache__/m.pyc; "
             "printf 'junk' >h/src/pkg/old.pyc; printf 'r' >h/src/README; "
             "printf 'version: \"1.0\"\\npermissions: {}\\n' >h/policy.yaml",
             dir);
    assert_int_equal(wd_test_run(cmd), 0);
}

/* The tree hash as coreutils computes it (docs/contracts.md). */
static void coreutils_hash(char out[65])
{
    char cmd[4096], path[4096];
    snprintf(cmd, sizeof(cmd),
             "cd '%s/h/src' && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' "
             "-printf '%%P\\n' | LC_ALL=C sort | xargs -r -d '\\n' sha256sum | sha256sum | "
             "cut -c1-64 >'%s/hash'",
             dir, dir);
    assert_int_equal(wd_test_run(cmd), 0);
    snprintf(path, sizeof(path), "%s/hash", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(out, 65, f));
    fclose(f);
    assert_int_equal(strlen(out), 64);
}

/* Writes h/contract.yaml (class, lifecycle line or "") with sha256 hash and loads it. */
static int load(const char *cls, const char *hash, wd_contract **out, char id[16])
{
    char yaml[1024], sub[4096];
    snprintf(yaml, sizeof(yaml),
             "name: acme.py\ntype: compute\nversion: 1.0.0\nruntime: python\n"
             "handler_class: %s\nhandler_root: src\nsha256: %s\nsecurity: {level: OFFICIAL}\n"
             "policy: policy.yaml\n",
             cls, hash);
    snprintf(sub, sizeof(sub), "%s/h", dir);
    free(wd_test_write(sub, "contract.yaml", yaml, strlen(yaml)));
    snprintf(sub, sizeof(sub), "%s/h/contract.yaml", dir);
    wd_diagnostics *d = NULL;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    wd_contract_options o = WD_CONTRACT_OPTIONS_INIT;
    o.diagnostics = d;
    *out = NULL;
    int rc = wd_contract_load(out, sub, &o);
    id[0] = 0;
    for (size_t i = 0; i < wd_diagnostics_count(d) && !id[0]; i++)
        if (wd_diagnostics_get(d, i)->severity == WD_DIAG_ERROR)
            snprintf(id, 16, "%s", wd_diagnostics_get(d, i)->id);
    wd_diagnostics_free(d);
    return rc;
}

static void hex(const uint8_t *b, char out[65])
{
    wd_hex_encode(b, 32, out);
}

static void test_hash_and_read(void **state)
{
    (void)state;
    fresh_tree();
    char want[65], id[16], got[65];
    coreutils_hash(want);
    wd_contract *c = NULL;
    assert_int_equal(load("pkg.mod.C", want, &c, id), 0);
    assert_int_equal(wd_contract_runtime(c), WD_RUNTIME_PYTHON);
    assert_int_equal(wd_contract_protocol(c), WD_PROTOCOL_PYTHON);
    assert_int_equal(wd_contract_lifecycle(c), WD_LIFECYCLE_FRESH);
    assert_string_equal(wd_contract_handler_class(c), "pkg.mod.C");
    assert_string_equal(wd_contract_interpreter(c), "/usr/bin/python3");
    assert_null(wd_contract_program(c));
    hex(wd_contract_sha256(c), got);
    assert_string_equal(got, want);
    wd_handler_tree *t = NULL;
    assert_int_equal(wd_contract_read_handler_tree(c, &t), 0);
    /* sorted bytewise, caches left out */
    assert_int_equal(wd_handler_tree_count(t), 4);
    assert_string_equal(wd_handler_tree_path(t, 0), "README");
    assert_string_equal(wd_handler_tree_path(t, 1), "pkg/__init__.py");
    assert_string_equal(wd_handler_tree_path(t, 2), "pkg/mod.py");
    assert_string_equal(wd_handler_tree_path(t, 3), "pkg/sub/data.txt");
    assert_null(wd_handler_tree_path(t, 4));
    size_t len = 0;
    const uint8_t *data = wd_handler_tree_data(t, 2, &len);
    assert_int_equal(len, 18);
    assert_memory_equal(data, "class C:\n    pass\n", 18);
    wd_handler_tree_free(t);
    /* the caches may change: they are never imported from */
    char p[4096];
    snprintf(p, sizeof(p), "%s/h/src/pkg", dir);
    free(wd_test_write(p, "new.pyc", "other", 5));
    assert_int_equal(wd_contract_read_handler_tree(c, &t), 0);
    wd_handler_tree_free(t);
    /* a file changed after load: refused when read again, with the hash it has now */
    free(wd_test_write(p, "mod.py", "import os\n", 10));
    assert_int_equal(wd_contract_read_handler_tree(c, &t), WD_EPOLICY);
    assert_null(t);
    assert_string_equal(wd_error_last()->id, "WD-L009");
    assert_non_null(strstr(wd_error_last()->message, "the handler tree changed"));
    /* ... and at load */
    wd_contract_free(c);
    assert_int_equal(load("pkg.mod.C", want, &c, id), WD_EPOLICY);
    assert_string_equal(id, "WD-L009");
    /* a file added is a change too */
    coreutils_hash(want);
    assert_int_equal(load("pkg.mod.C", want, &c, id), 0);
    wd_contract_free(c);
    free(wd_test_write(p, "extra.py", "", 0));
    assert_int_equal(load("pkg.mod.C", want, &c, id), WD_EPOLICY);
    assert_string_equal(id, "WD-L009");
    /* a warm lifecycle and another interpreter are read as written */
    coreutils_hash(want);
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "name: acme.py\ntype: compute\nversion: 1.0.0\nruntime: python\n"
             "handler_class: pkg.mod.C\nhandler_root: src\nsha256: %s\nlifecycle: warm\n"
             "interpreter: /bin/sh\nsecurity: {level: OFFICIAL}\n",
             want);
    snprintf(p, sizeof(p), "%s/h", dir);
    char *path = wd_test_write(p, "contract.yaml", yaml, strlen(yaml));
    assert_int_equal(wd_contract_load(&c, path, NULL), 0);
    free(path);
    assert_int_equal(wd_contract_lifecycle(c), WD_LIFECYCLE_WARM);
    assert_string_equal(wd_contract_interpreter(c), "/bin/sh");
    /* a Python handler has no program or library to open */
    int fd = -1;
    assert_int_not_equal(wd_contract_open_program(c, &fd), 0);
    assert_int_not_equal(wd_contract_open_library(c, &fd), 0);
    wd_contract_free(c);
}

/* The module must sit at a package boundary of the tree. */
static void test_module(void **state)
{
    (void)state;
    fresh_tree();
    char want[65], id[16];
    coreutils_hash(want);
    wd_contract *c = NULL;
    /* a package's module, and a package itself */
    assert_int_equal(load("pkg.C", want, &c, id), 0);
    wd_contract_free(c);
    static const char *const missing[] = {"pkg.nomod.C", "nopkg.mod.C", "pkg.sub.data.C",
                                          "pkg.mod.C.D", "README.C"};
    for (size_t i = 0; i < sizeof(missing) / sizeof(*missing); i++) {
        assert_int_equal(load(missing[i], want, &c, id), WD_EPOLICY);
        assert_string_equal(id, "WD-L029");
    }
    /* sub has no __init__.py: a namespace package is not a package here */
    char p[4096];
    snprintf(p, sizeof(p), "%s/h/src/pkg/sub", dir);
    free(wd_test_write(p, "m.py", "", 0));
    coreutils_hash(want);
    assert_int_equal(load("pkg.sub.m.C", want, &c, id), WD_EPOLICY);
    assert_string_equal(id, "WD-L029");
    free(wd_test_write(p, "__init__.py", "", 0));
    coreutils_hash(want);
    assert_int_equal(load("pkg.sub.m.C", want, &c, id), 0);
    wd_contract_free(c);
}

typedef struct {
    const char *name, *shell, *id;
} refusal;

/* Each is made in a fresh tree; the contract then carries the hash of a tree without it (so
 * only the refusal can fail the load). */
static const refusal refusals[] = {
    {"symlinked file", "ln -s mod.py h/src/pkg/link.py", "WD-L018"},
    {"dangling symlink", "ln -s /nonexistent h/src/pkg/gone", "WD-L018"},
    {"symlinked directory", "ln -s pkg h/src/alias", "WD-L018"},
    {"symlinked root", "mv h/src h/real && ln -s real h/src", "WD-L018"},
    {"symlinked parent of the root", "mkdir h/deep && mv h/src h/deep/src && ln -s deep h/d",
     "WD-L018"},
    {"fifo", "mkfifo h/src/pkg/pipe", "WD-L028"},
    {"newline in a name", "printf '' >\"h/src/pkg/a$(printf '\\nb')\"", "WD-L028"},
    {"backslash in a name", "printf '' >'h/src/pkg/a\\b'", "WD-L028"},
    {"control character in a name", "printf '' >\"h/src/pkg/a$(printf '\\001')\"", "WD-L028"},
    {"bytes that are not UTF-8", "printf '' >\"h/src/pkg/a$(printf '\\377')\"", "WD-L028"},
    {"too deep", "d=h/src/pkg; for i in $(seq 33); do d=$d/d; done; mkdir -p $d && : >$d/f.py",
     "WD-L028"},
    {"too many files", "mkdir h/src/many && cd h/src/many && seq 4097 | xargs touch", "WD-L028"},
    {"too many bytes", "truncate -s 17M h/src/pkg/big.bin", "WD-L028"},
    {"too many directories, spread out",
     "cd h/src && for i in $(seq 90); do mkdir d$i && (cd d$i && seq 200 | xargs mkdir); done",
     "WD-L028"},
    {"root not a directory", "rm -rf h/src && : >h/src", "WD-L028"},
    {"root missing", "rm -rf h/src", "WD-L008"},
};

static void test_refusals(void **state)
{
    (void)state;
    int mismatches = 0;
    for (size_t i = 0; i < sizeof(refusals) / sizeof(*refusals); i++) {
        fresh_tree();
        char want[65], id[16], cmd[4096];
        coreutils_hash(want);
        snprintf(cmd, sizeof(cmd), "cd '%s' && %s", dir, refusals[i].shell);
        assert_int_equal(wd_test_run(cmd), 0);
        wd_contract *c = NULL;
        int rc = load("pkg.mod.C", want, &c, id);
        if (!strcmp(refusals[i].name, "symlinked parent of the root")) {
            /* the root named through the link h/d */
            char yaml[1024], p[4096];
            snprintf(yaml, sizeof(yaml),
                     "name: acme.py\ntype: compute\nversion: 1.0.0\nruntime: python\n"
                     "handler_class: pkg.mod.C\nhandler_root: d/src\nsha256: %s\n"
                     "security: {level: OFFICIAL}\n",
                     want);
            snprintf(p, sizeof(p), "%s/h", dir);
            char *path = wd_test_write(p, "contract.yaml", yaml, strlen(yaml));
            wd_diagnostics *d = NULL;
            assert_int_equal(wd_diagnostics_new(&d), 0);
            wd_contract_options o = WD_CONTRACT_OPTIONS_INIT;
            o.diagnostics = d;
            rc = wd_contract_load(&c, path, &o);
            free(path);
            snprintf(id, 16, "%s", wd_diagnostics_count(d) ? wd_diagnostics_get(d, 0)->id : "");
            wd_diagnostics_free(d);
        }
        if (rc != WD_EPOLICY || strcmp(id, refusals[i].id) != 0) {
            print_error("case \"%s\": rc=%d id=%s, want %s\n", refusals[i].name, rc, id,
                        refusals[i].id);
            mismatches++;
        }
        wd_contract_free(c);
    }
    assert_int_equal(mismatches, 0);
}

/* WD-L025 covers the tree: its root, every directory and file in it. */
static void test_owners(void **state)
{
    (void)state;
    static const char *const writable[] = {"h/src/pkg/mod.py", "h/src/pkg/sub", "h/src",
                                           "h/src/README"};
    for (size_t i = 0; i < sizeof(writable) / sizeof(*writable); i++) {
        fresh_tree();
        char want[65], id[16], cmd[4096];
        coreutils_hash(want);
        wd_contract *c = NULL;
        assert_int_equal(load("pkg.mod.C", want, &c, id), 0);
        assert_int_equal(wd_contract_check_files(c, NULL), 0);
        snprintf(cmd, sizeof(cmd), "cd '%s' && chmod g+w %s", dir, writable[i]);
        assert_int_equal(wd_test_run(cmd), 0);
        assert_int_equal(wd_contract_check_files(c, NULL), WD_EPERM);
        assert_string_equal(wd_error_last()->id, "WD-L025");
        wd_contract_free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_and_read),
        cmocka_unit_test(test_module),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_owners),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
