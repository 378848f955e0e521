/* test_contract.c: contract validation (every WD-L id it produces, at its location), the
 * author-owned security fields (ADR-002-B) and pipeline levels. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "warden/warden.h"

#define LIB_SHA "0000000000000000000000000000000000000000000000000000000000000000"
#define HEAD                                                                                       \
    "name: acme.reader\ntype: compute\nversion: 1.0.0\nlibrary: lib.so\nsha256: " LIB_SHA          \
    "\nabi: 1\n"
#define SEC "security:\n  level: OFFICIAL\n"
/* A process plugin's first four lines (the runtime on line 4, its value at column 10), and
 * with a system program and a protocol (lines 5 and 6). */
#define PHEAD_AS(rt) "name: acme.tool\ntype: compute\nversion: 1.0.0\nruntime: " rt "\n"
#define PHEAD PHEAD_AS("process")
#define PBASE PHEAD "program: /bin/sh\nprotocol: stdio\n"
/* A Python handler's first four lines, and with its class, root and hash (lines 5 to 7). The
 * tree itself (test_handler_tree.c) is absent here: these cases fail before it matters, or on
 * its absence (WD-L008). */
#define YHEAD "name: acme.py\ntype: compute\nversion: 1.0.0\nruntime: python\n"
#define YCLASS(cls) YHEAD "handler_class: " cls "\nhandler_root: src\nsha256: " LIB_SHA "\n"
#define YROOT(root) YHEAD "handler_class: pkg.mod.C\nhandler_root: " root "\nsha256: " LIB_SHA "\n"
#define YBASE YCLASS("pkg.mod.C")

static char *dir;
static char *trusted; /* test_open_interpreter's directory outside /tmp, removed even on failure */

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
    if (trusted)
        wd_test_rmtree(trusted);
    return 0;
}

static int load_text(const char *yaml, wd_contract **out, wd_diagnostics *d)
{
    char *path = wd_test_write(dir, "contract.yaml", yaml, strlen(yaml));
    wd_contract_options o = WD_CONTRACT_OPTIONS_INIT;
    o.diagnostics = d;
    o.display_name = "c.yaml";
    int rc = wd_contract_load(out, path, &o);
    free(path);
    return rc;
}

typedef struct {
    const char *name, *yaml, *id;
    unsigned line, column;
} bad_case;

static const bad_case bad[] = {
    {"bad yaml", HEAD SEC "config: [\n", "WD-L004", 10, 1},
    {"anchor", HEAD "security: &s\n  level: OFFICIAL\n", "WD-L004", 7, 11},
    {"duplicate key", HEAD SEC "abi: 2\n", "WD-L004", 9, 1},
    {"unknown key", HEAD SEC "colour: blue\n", "WD-L005", 9, 1},
    {"bad name",
     "name: Acme\ntype: compute\nversion: 1.0.0\nlibrary: lib.so\nsha256: " LIB_SHA
     "\nabi: 1\n" SEC,
     "WD-L005", 1, 7},
    {"bad type",
     "name: acme\ntype: daemon\nversion: 1.0.0\nlibrary: lib.so\nsha256: " LIB_SHA "\nabi: 1\n" SEC,
     "WD-L005", 2, 7},
    {"bad version",
     "name: acme\ntype: compute\nversion: 1.0\nlibrary: lib.so\nsha256: " LIB_SHA "\nabi: 1\n" SEC,
     "WD-L005", 3, 10},
    {"bad sha",
     "name: acme\ntype: compute\nversion: 1.0.0\nlibrary: lib.so\nsha256: abc\nabi: 1\n" SEC,
     "WD-L005", 5, 9},
    {"bad abi",
     "name: acme\ntype: compute\nversion: 1.0.0\nlibrary: lib.so\nsha256: " LIB_SHA
     "\nabi: \"1\"\n" SEC,
     "WD-L005", 6, 6},
    {"missing library",
     "name: acme\ntype: compute\nversion: 1.0.0\nsha256: " LIB_SHA "\nabi: 1\n" SEC, "WD-L006", 1,
     1},
    {"library escapes",
     "name: acme\ntype: compute\nversion: 1.0.0\nlibrary: ../lib.so\nsha256: " LIB_SHA
     "\nabi: 1\n" SEC,
     "WD-L018", 4, 10},
    {"library absolute",
     "name: acme\ntype: compute\nversion: 1.0.0\nlibrary: /lib/x.so\nsha256: " LIB_SHA
     "\nabi: 1\n" SEC,
     "WD-L018", 4, 10},
    {"no security", HEAD, "WD-L016", 1, 1},
    {"no level", HEAD "security:\n  allow_downgrade: true\n", "WD-L016", 8, 3},
    {"unknown level", HEAD "security:\n  level: TOP\n", "WD-L005", 8, 10},
    {"level is a string compare", HEAD "security:\n  level: official\n", "WD-L005", 8, 10},
    {"schema exposes level",
     HEAD SEC "config_schema:\n  properties:\n    security_level: "
              "{type: string}\n",
     "WD-L015", 11, 5},
    {"schema exposes max level",
     HEAD SEC "config_schema:\n  properties:\n    max_operating_level: "
              "{type: string}\n",
     "WD-L015", 11, 5},
    {"config sets downgrade", HEAD SEC "config:\n  allow_downgrade: true\n", "WD-L015", 10, 3},
    {"config nested",
     HEAD SEC "config_schema:\n  properties:\n    opts: {type: object}\n"
              "config:\n  opts:\n    security_level: SECRET\n",
     "WD-L015", 14, 5},
    {"config without schema", HEAD SEC "config:\n  root: /srv\n", "WD-L005", 10, 3},
    {"config wrong type",
     HEAD SEC "config_schema:\n  properties:\n    n: {type: integer}\n"
              "config:\n  n: ten\n",
     "WD-L005", 13, 6},
    {"required missing",
     HEAD SEC "config_schema:\n  properties:\n    root: {type: string}\n"
              "  required: [root]\n",
     "WD-L006", 1, 1},
    {"policy plugin with capabilities",
     "name: acme\ntype: reducer\nversion: 1.0.0\nlibrary: lib.so\n"
     "sha256: " LIB_SHA "\nabi: 1\n" SEC "policy:\n  version: \"1.0\"\n  permissions:\n"
     "    environment:\n      allow:\n      - key: HOME\n",
     "WD-L005", 10, 3},
    {"bad tag", HEAD SEC "tags: [Files]\n", "WD-L005", 9, 8},
    /* runtime: process, every rejection path (WD-L026 and WD-L027 at the value or key) */
    {"runtime unknown", PHEAD_AS("wasm") "program: /bin/sh\nprotocol: stdio\n" SEC, "WD-L026", 4,
     10},
    {"runtime collection", PHEAD_AS("[process]") "program: /bin/sh\nprotocol: stdio\n" SEC,
     "WD-L026", 4, 10},
    {"process with library", PBASE "library: lib.so\n" SEC, "WD-L026", 7, 1},
    {"process with abi", PBASE "abi: 1\n" SEC, "WD-L026", 7, 1},
    {"process without program", PHEAD "protocol: stdio\n" SEC, "WD-L026", 1, 1},
    {"process without protocol", PHEAD "program: /bin/sh\n" SEC, "WD-L026", 1, 1},
    {"protocol unknown", PHEAD "program: /bin/sh\nprotocol: grpc\n" SEC, "WD-L026", 6, 11},
    {"protocol collection", PHEAD "program: /bin/sh\nprotocol: [stdio]\n" SEC, "WD-L026", 6, 11},
    {"native with program", HEAD SEC "program: /bin/sh\n", "WD-L026", 9, 1},
    {"native with protocol", HEAD SEC "protocol: stdio\n", "WD-L026", 9, 1},
    {"native with interpreter", HEAD SEC "interpreter: /bin/sh\n", "WD-L026", 9, 1},
    {"native with args", HEAD SEC "args: [x]\n", "WD-L026", 9, 1},
    {"native with runtime roots", HEAD SEC "runtime_roots: [/usr/lib]\n", "WD-L026", 9, 1},
    {"explicit native still needs a library",
     "name: acme\ntype: compute\nversion: 1.0.0\nruntime: native\nsha256: " LIB_SHA
     "\nabi: 1\n" SEC,
     "WD-L006", 1, 1},
    {"relative program without sha256", PHEAD "program: tool.sh\nprotocol: stdio\n" SEC, "WD-L026",
     5, 10},
    {"program escapes", PHEAD "program: ../tool.sh\nsha256: " LIB_SHA "\nprotocol: stdio\n" SEC,
     "WD-L018", 5, 10},
    {"program empty", PHEAD "program: \"\"\nprotocol: stdio\n" SEC, "WD-L026", 5, 10},
    {"program collection", PHEAD "program: [sh]\nprotocol: stdio\n" SEC, "WD-L026", 5, 10},
    {"program not normalised", PHEAD "program: /usr/bin/../bin/sh\nprotocol: stdio\n" SEC,
     "WD-L026", 5, 10},
    {"system program missing", PHEAD "program: /nonexistent/tool\nprotocol: stdio\n" SEC, "WD-L027",
     5, 10},
    {"system program not executable", PHEAD "program: /etc/passwd\nprotocol: stdio\n" SEC,
     "WD-L027", 5, 10},
    {"system program a directory", PHEAD "program: /usr/bin\nprotocol: stdio\n" SEC, "WD-L027", 5,
     10},
    {"system program a kernel file",
     PHEAD "program: /proc/version\ninterpreter: /bin/sh\nprotocol: stdio\n" SEC, "WD-L027", 5, 10},
    {"interpreter relative", PBASE "interpreter: python3\n" SEC, "WD-L026", 7, 14},
    {"interpreter not normalised", PBASE "interpreter: /usr/bin//python3\n" SEC, "WD-L026", 7, 14},
    {"interpreter with ..", PBASE "interpreter: /usr/bin/../bin/sh\n" SEC, "WD-L026", 7, 14},
    {"interpreter missing", PBASE "interpreter: /usr/bin/no-such-interpreter\n" SEC, "WD-L027", 7,
     14},
    {"interpreter not executable", PBASE "interpreter: /etc/passwd\n" SEC, "WD-L027", 7, 14},
    {"interpreter a directory", PBASE "interpreter: /usr/bin\n" SEC, "WD-L027", 7, 14},
    {"args scalar", PBASE "args: -x\n" SEC, "WD-L026", 7, 7},
    {"args mapping", PBASE "args: {a: b}\n" SEC, "WD-L026", 7, 7},
    {"args empty", PBASE "args:\n" SEC, "WD-L026", 7, 6},
    {"args nested", PBASE "args: [a, [b]]\n" SEC, "WD-L026", 7, 11},
    {"args null item", PBASE "args: [a, ~]\n" SEC, "WD-L026", 7, 11},
    {"args NUL", PBASE "args: [\"a\\0b\"]\n" SEC, "WD-L004", 7, 8},
    {"runtime roots scalar", PBASE "runtime_roots: /usr/lib\n" SEC, "WD-L026", 7, 16},
    {"runtime roots mapping", PBASE "runtime_roots: {a: /usr}\n" SEC, "WD-L026", 7, 16},
    {"runtime root /", PBASE "runtime_roots: [/usr/lib, /]\n" SEC, "WD-L026", 7, 27},
    {"runtime root relative", PBASE "runtime_roots: [usr/lib]\n" SEC, "WD-L026", 7, 17},
    {"runtime root ..", PBASE "runtime_roots: [/usr/lib/../../etc]\n" SEC, "WD-L026", 7, 17},
    {"runtime root not normalised", PBASE "runtime_roots: [/usr//lib]\n" SEC, "WD-L026", 7, 17},
    {"runtime root trailing slash", PBASE "runtime_roots: [/usr/lib/]\n" SEC, "WD-L026", 7, 17},
    {"runtime root /etc", PBASE "runtime_roots: [/etc]\n" SEC, "WD-L026", 7, 17},
    {"runtime root /home", PBASE "runtime_roots: [/home/me/.venv]\n" SEC, "WD-L026", 7, 17},
    {"runtime root /proc", PBASE "runtime_roots: [/proc]\n" SEC, "WD-L026", 7, 17},
    {"runtime root /tmp", PBASE "runtime_roots: [/tmp]\n" SEC, "WD-L026", 7, 17},
    {"runtime root prefix is not a parent", PBASE "runtime_roots: [/usrx]\n" SEC, "WD-L026", 7, 17},
    {"runtime root null", PBASE "runtime_roots: [~]\n" SEC, "WD-L026", 7, 17},
    /* runtime: python (the handler tree's own refusals are in test_handler_tree.c) */
    {"python with program", YBASE "program: x.py\n" SEC, "WD-L026", 8, 1},
    {"python with protocol", YBASE "protocol: stdio\n" SEC, "WD-L026", 8, 1},
    {"python with args", YBASE "args: [x]\n" SEC, "WD-L026", 8, 1},
    {"python with library", YBASE "library: lib.so\n" SEC, "WD-L026", 8, 1},
    {"python with abi", YBASE "abi: 1\n" SEC, "WD-L026", 8, 1},
    {"process with handler_class", PBASE "handler_class: a.B\n" SEC, "WD-L026", 7, 1},
    {"process with handler_root", PBASE "handler_root: src\n" SEC, "WD-L026", 7, 1},
    {"native with lifecycle", HEAD SEC "lifecycle: warm\n", "WD-L026", 9, 1},
    {"python without handler_class", YHEAD "handler_root: src\nsha256: " LIB_SHA "\n" SEC,
     "WD-L026", 1, 1},
    {"python without handler_root", YHEAD "handler_class: a.B\nsha256: " LIB_SHA "\n" SEC,
     "WD-L026", 1, 1},
    {"python without sha256", YHEAD "handler_class: a.B\nhandler_root: src\n" SEC, "WD-L026", 1, 1},
    {"handler_class without module", YCLASS("Handler") SEC, "WD-L026", 5, 16},
    {"handler_class keyword", YCLASS("pkg.class.C") SEC, "WD-L026", 5, 16},
    {"handler_class dash", YCLASS("pkg.mo-d.C") SEC, "WD-L026", 5, 16},
    {"handler_class empty part", YCLASS("pkg..C") SEC, "WD-L026", 5, 16},
    {"handler_class trailing dot", YCLASS("pkg.C.") SEC, "WD-L026", 5, 16},
    {"handler_class digit first", YCLASS("pkg.1mod.C") SEC, "WD-L026", 5, 16},
    {"handler_class not ASCII",
     YCLASS("pkg.m\xc3\xb6"
            "d.C") SEC,
     "WD-L026", 5, 16},
    {"handler_class collection", YCLASS("[a.B]") SEC, "WD-L026", 5, 16},
    {"handler_root escapes", YROOT("../src") SEC, "WD-L018", 6, 15},
    {"handler_root climbs inside", YROOT("src/../src") SEC, "WD-L018", 6, 15},
    {"handler_root absolute", YROOT("/usr/lib") SEC, "WD-L018", 6, 15},
    {"handler_root the contract's directory", YROOT(".") SEC, "WD-L018", 6, 15},
    {"handler_root empty", YROOT("\"\"") SEC, "WD-L026", 6, 15},
    {"handler_root missing", YBASE SEC, "WD-L008", 6, 15},
    {"lifecycle unknown", YBASE "lifecycle: hot\n" SEC, "WD-L026", 8, 12},
    {"lifecycle collection", YBASE "lifecycle: [warm]\n" SEC, "WD-L026", 8, 12},
    {"python interpreter missing", YBASE "interpreter: /usr/bin/no-such-python\n" SEC, "WD-L027", 8,
     14},
    {"python runtime root /etc", YBASE "runtime_roots: [/etc]\n" SEC, "WD-L026", 8, 17},
};

static void test_each_error(void **state)
{
    (void)state;
    int mismatches = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wd_diagnostics *d;
        assert_int_equal(wd_diagnostics_new(&d), 0);
        wd_contract *c = (wd_contract *)0x1;
        int rc = load_text(bad[i].yaml, &c, d);
        const wd_diag *e = NULL;
        for (size_t k = 0; k < wd_diagnostics_count(d) && !e; k++)
            if (!strcmp(wd_diagnostics_get(d, k)->id, bad[i].id))
                e = wd_diagnostics_get(d, k);
        if (rc != WD_EPOLICY || !e || e->line != bad[i].line || e->column != bad[i].column) {
            const wd_diag *f = wd_diagnostics_get(d, 0);
            print_error("case \"%s\": rc=%d, want %s at %u:%u; first: %s %u:%u %s\n", bad[i].name,
                        rc, bad[i].id, bad[i].line, bad[i].column, f ? f->id : "-", f ? f->line : 0,
                        f ? f->column : 0, f ? f->message : "");
            mismatches++;
        }
        assert_null(c);
        wd_diagnostics_free(d);
    }
    assert_int_equal(mismatches, 0);
}

static void test_files(void **state)
{
    (void)state;
    wd_contract *c = NULL;
    char path[4200];
    snprintf(path, sizeof(path), "%s/none.yaml", dir);
    assert_int_equal(wd_contract_load(&c, path, NULL), WD_ENOTFOUND);
    assert_string_equal(wd_error_last()->id, "WD-L001");
    assert_int_equal(wd_contract_load(&c, dir, NULL), WD_EIO);
    assert_string_equal(wd_error_last()->id, "WD-L002");
    size_t big = WD_CONTRACT_MAX_FILE_SIZE + 1;
    char *data = malloc(big);
    assert_non_null(data);
    memset(data, '#', big);
    char *p = wd_test_write(dir, "big.yaml", data, big);
    assert_int_equal(wd_contract_load(&c, p, NULL), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-L007");
    free(p);
    free(data);
    p = wd_test_write(dir, "bin.yaml", "name: \xff\n", 8);
    assert_int_equal(wd_contract_load(&c, p, NULL), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-L004");
    free(p);
    assert_null(c);
}

static void test_valid_contract(void **state)
{
    (void)state;
    const char *yaml = "name: acme.files.reader\ntype: effect\nversion: 1.2.0-rc.1+b.5\n"
                       "library: plugins/lib.so\nsha256: " LIB_SHA "\nabi: 3\n"
                       "security:\n  level: PROTECTED\n  allow_downgrade: true\n"
                       "config_schema:\n  type: object\n  properties:\n"
                       "    root: {type: string}\n    limit: {type: integer}\n"
                       "    on: {type: boolean}\n    list: {type: array}\n"
                       "  required: [root]\n  additionalProperties: false\n"
                       "config:\n  root: \"/srv/x \\\"q\\\"\"\n  limit: -5\n  on: true\n"
                       "  list: [a, 1]\n"
                       "policy:\n  version: \"1.0\"\n  permissions:\n    storage:\n      allow:\n"
                       "      - uri: fs://data/**\n        access: [read]\n"
                       "tags: [files, read-only]\n";
    wd_contract *c = NULL;
    assert_int_equal(load_text(yaml, &c, NULL), 0);
    assert_string_equal(wd_contract_id(c), "acme.files.reader");
    assert_int_equal(wd_contract_type(c), WD_PLUGIN_EFFECT);
    assert_false(wd_plugin_type_is_policy(wd_contract_type(c)));
    assert_string_equal(wd_contract_version(c), "1.2.0-rc.1+b.5");
    char want[4200];
    snprintf(want, sizeof(want), "%s/plugins/lib.so", dir);
    assert_string_equal(wd_contract_library(c), want);
    assert_int_equal(wd_contract_abi(c), 3);
    assert_int_equal(wd_contract_level(c), WD_LEVEL_PROTECTED);
    assert_true(wd_contract_allow_downgrade(c));
    assert_string_equal(
        wd_contract_config(c),
        "{\"root\":\"/srv/x \\\"q\\\"\",\"limit\":-5,\"on\":true,\"list\":[\"a\",\"1\"]}");
    assert_int_equal(wd_contract_tag_count(c), 2);
    assert_string_equal(wd_contract_tag(c, 1), "read-only");
    /* the inline policy resolves relative URIs against the contract's directory */
    const wd_policy *p = wd_contract_policy(c);
    assert_non_null(p);
    snprintf(want, sizeof(want), "%s/data/**", dir);
    assert_string_equal(wd_policy_rule(p, 0)->pattern, want);
    wd_contract_free(c);

    /* a policy in its own file, next to the contract */
    char *pp = wd_test_write(dir, "policy.yaml",
                             "version: \"1.0\"\npermissions:\n  environment:\n    allow:\n"
                             "    - key: HOME\n",
                             69);
    free(pp);
    assert_int_equal(load_text(HEAD SEC "policy: policy.yaml\n", &c, NULL), 0);
    assert_int_equal(wd_policy_rule_count(wd_contract_policy(c)), 1);
    assert_int_equal(wd_contract_allow_downgrade(c), 0); /* never defaults to true */
    wd_contract_free(c);
    /* a broken policy file: its own WD-P diagnostics, and the contract fails */
    pp = wd_test_write(dir, "policy.yaml", "version: \"9\"\n", 13);
    free(pp);
    wd_diagnostics *d;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    assert_int_equal(load_text(HEAD SEC "policy: policy.yaml\n", &c, d), WD_EPOLICY);
    bool saw_p014 = false;
    for (size_t i = 0; i < wd_diagnostics_count(d); i++)
        saw_p014 |= !strcmp(wd_diagnostics_get(d, i)->id, "WD-P014");
    assert_true(saw_p014);
    wd_diagnostics_free(d);
}

static void test_library_hash(void **state)
{
    (void)state;
    char *lib = wd_test_write(dir, "lib.so",
                              "\x7f"
                              "ELF pretend",
                              12);
    /* sha256 of "\x7fELF pretend" */
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "name: acme\ntype: compute\nversion: 1.0.0\nlibrary: lib.so\nsha256: %s\nabi: 1\n" SEC,
             "d7ae9b1b84ee4d5cc8a7b3c3a3cd9e2d5be8e6bd1d8d7cc2f6ad5ebd7a6ac8f1");
    wd_contract *c = NULL;
    assert_int_equal(load_text(yaml, &c, NULL), 0);
    int fd = -1;
    assert_int_equal(wd_contract_open_library(c, &fd), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-L009");
    assert_int_equal(fd, -1);
    /* the right hash, computed independently (sha256sum), is reported and then accepted */
    const char *hex = "1ae5604d2cf8625aabb6c65c2d1e0771696e71675aa950a8f20e111bbb27a53e";
    assert_non_null(strstr(wd_error_last()->message, hex));
    wd_contract_free(c);
    snprintf(yaml, sizeof(yaml),
             "name: acme\ntype: compute\nversion: 1.0.0\nlibrary: lib.so\nsha256: %s\nabi: 1\n" SEC,
             hex);
    assert_int_equal(load_text(yaml, &c, NULL), 0);
    assert_int_equal(wd_contract_open_library(c, &fd), 0);
    char first[4] = {0};
    assert_int_equal(read(fd, first, 4), 4); /* rewound: the checked bytes, from the start */
    assert_memory_equal(first,
                        "\x7f"
                        "ELF",
                        4);
    close(fd);
    /* swapped for a symlink after the check: refused, not followed */
    char target[4200], link[4200];
    snprintf(target, sizeof(target), "%s/other.so", dir);
    snprintf(link, sizeof(link), "%s/lib.so", dir);
    assert_int_equal(rename(link, target), 0);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(wd_contract_open_library(c, &fd), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L018");
    unlink(link);
    assert_int_equal(wd_contract_open_library(c, &fd), WD_ENOTFOUND);
    assert_string_equal(wd_error_last()->id, "WD-L008");
    wd_contract_free(c);
    free(lib);
}

static void test_review_gate(void **state)
{
    (void)state;
    char keys[4200], trust[4200], other[4200], key[4300], pub[4300], tpub[4300];
    snprintf(keys, sizeof(keys), "%s/reviewer", dir);
    snprintf(other, sizeof(other), "%s/mallory", dir);
    snprintf(trust, sizeof(trust), "%s/trust", dir);
    assert_int_equal(wd_review_keygen(keys), 0);
    assert_int_equal(wd_review_keygen(keys), WD_EBUSY); /* never overwritten */
    assert_int_equal(wd_review_keygen(other), 0);
    assert_int_equal(mkdir(trust, 0755), 0);
    snprintf(key, sizeof(key), "%s/reviewer.key", keys);
    snprintf(pub, sizeof(pub), "%s/reviewer.pub", keys);
    snprintf(tpub, sizeof(tpub), "%s/alice.pub", trust);
    size_t len;
    FILE *fp = fopen(pub, "rb");
    char buf[256];
    len = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    free(wd_test_write(trust, "alice.pub", buf, len));

    wd_contract *c = NULL;
    assert_int_equal(load_text(HEAD SEC, &c, NULL), 0);
    char signer[65];
    assert_int_equal(wd_contract_verify_signature(c, trust, signer), WD_ENOTFOUND);
    assert_string_equal(wd_error_last()->id, "WD-L013");
    assert_int_equal(wd_contract_sign(c, key), 0);
    assert_int_equal(wd_contract_verify_signature(c, trust, signer), 0);
    assert_int_equal(strlen(signer), 64);
    wd_contract_free(c);

    /* one byte of the contract changes: the signature no longer covers it */
    assert_int_equal(load_text(HEAD SEC "tags: [x]\n", &c, NULL), 0);
    assert_int_equal(wd_contract_verify_signature(c, trust, signer), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L014");
    /* signed by someone outside the trust directory */
    snprintf(key, sizeof(key), "%s/reviewer.key", other);
    assert_int_equal(wd_contract_sign(c, key), 0);
    assert_int_equal(wd_contract_verify_signature(c, trust, signer), WD_EPERM);
    assert_non_null(strstr(wd_error_last()->message, "not in the trust directory"));
    /* a reviewer key others can read is refused */
    chmod(key, 0644);
    assert_int_equal(wd_contract_sign(c, key), WD_EPERM);
    wd_contract_free(c);

    /* approved library hashes */
    assert_int_equal(load_text(HEAD SEC, &c, NULL), 0);
    const char *list = "# reviewed 2026-11-22\n" LIB_SHA "  acme.reader 1.0.0\n";
    char *approved = wd_test_write(dir, "approved.txt", list, strlen(list));
    assert_int_equal(wd_contract_check_approved(c, approved), 0);
    free(approved);
    approved = wd_test_write(dir, "approved.txt",
                             "1111111111111111111111111111111111111111111111"
                             "111111111111111111\n",
                             65);
    assert_int_equal(wd_contract_check_approved(c, approved), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L021");
    free(approved);
    wd_contract_free(c);
}

#define NARROW                                                                                     \
    "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n      - uri: fs://workspace/**\n"     \
    "        access: [read]\n"
#define WIDENED NARROW "      - uri: fs:///etc/**\n        access: [read]\n"
/* sha256sum of NARROW and of WIDENED, computed independently */
#define NARROW_SHA "f6f76c76b1671e7850ca993afac3871d687912c23447fe4ac508ceb20d1b8416"
#define WIDENED_SHA "f5b7fa6134336acf2799b54a088566a9ec343fd73779ef125a1c6ae49f536d1c"

static void hex(const uint8_t *b, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* A reviewed contract stays reviewed only with the policy file the reviewer read: the signature
 * and policy_sha256 bind its exact bytes, and the bytes bound are the bytes compiled. */
static void test_policy_binding(void **state)
{
    (void)state;
    char keys[4200], trust[4200], key[4300], pub[4300];
    snprintf(keys, sizeof(keys), "%s/binder", dir);
    snprintf(trust, sizeof(trust), "%s/binder-trust", dir);
    assert_int_equal(wd_review_keygen(keys), 0);
    assert_int_equal(mkdir(trust, 0755), 0);
    snprintf(key, sizeof(key), "%s/reviewer.key", keys);
    snprintf(pub, sizeof(pub), "%s/reviewer.pub", keys);
    char buf[256];
    FILE *fp = fopen(pub, "rb");
    size_t len = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    free(wd_test_write(trust, "alice.pub", buf, len));

    free(wd_test_write(dir, "policy.yaml", NARROW, strlen(NARROW)));
    wd_contract *c = NULL;
    assert_int_equal(load_text(HEAD SEC "policy: policy.yaml\n", &c, NULL), 0);
    char got[65];
    assert_non_null(wd_contract_policy_sha256(c));
    hex(wd_contract_policy_sha256(c), got);
    assert_string_equal(got, NARROW_SHA);
    assert_int_equal(wd_contract_sign(c, key), 0);
    assert_int_equal(wd_contract_verify_signature(c, trust, NULL), 0);
    wd_contract_free(c);

    /* widened to /etc after review: the contract's bytes are the same, the review is not */
    free(wd_test_write(dir, "policy.yaml", WIDENED, strlen(WIDENED)));
    assert_int_equal(load_text(HEAD SEC "policy: policy.yaml\n", &c, NULL), 0);
    assert_int_equal(wd_policy_rule_count(wd_contract_policy(c)), 2); /* what was read */
    assert_int_equal(wd_contract_verify_signature(c, trust, NULL), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L024");
    assert_non_null(strstr(wd_error_last()->message, "signed " NARROW_SHA ", now " WIDENED_SHA));
    /* re-signed after review: accepted */
    assert_int_equal(wd_contract_sign(c, key), 0);
    assert_int_equal(wd_contract_verify_signature(c, trust, NULL), 0);
    wd_contract_free(c);

    /* pinned: the widened file does not even load, signed or not */
    wd_diagnostics *d;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    assert_int_equal(
        load_text(HEAD SEC "policy: policy.yaml\npolicy_sha256: " NARROW_SHA "\n", &c, d),
        WD_EPOLICY);
    assert_null(c);
    assert_string_equal(wd_error_last()->id, "WD-L024");
    assert_int_equal(wd_error_last()->line, 10);
    assert_non_null(strstr(wd_error_last()->message, "hashes to " WIDENED_SHA));
    wd_diagnostics_free(d);
    assert_int_equal(
        load_text(HEAD SEC "policy: policy.yaml\npolicy_sha256: " WIDENED_SHA "\n", &c, NULL), 0);
    wd_contract_free(c);
    /* a pin needs a policy file */
    assert_int_equal(load_text(HEAD SEC "policy_sha256: " NARROW_SHA "\n", &c, NULL), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-L005");

    /* inline: the policy is in the contract's bytes, and there is no file hash */
    assert_int_equal(load_text(HEAD SEC "policy:\n  version: \"1.0\"\n", &c, NULL), 0);
    assert_null(wd_contract_policy_sha256(c));
    assert_int_equal(wd_contract_sign(c, key), 0);
    assert_int_equal(wd_contract_verify_signature(c, trust, NULL), 0);
    wd_contract_free(c);

    /* the policy file, the contract and their directory: nobody else may change them */
    assert_int_equal(load_text(HEAD SEC "policy: policy.yaml\n", &c, NULL), 0);
    char *lib = wd_test_write(dir, "lib.so", "x", 1);
    char policy[4300];
    snprintf(policy, sizeof(policy), "%s/policy.yaml", dir);
    assert_int_equal(wd_contract_check_files(c, NULL), 0);
    static const mode_t loose[] = {0664, 0646, 0666};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(chmod(policy, loose[i]), 0);
        assert_int_equal(wd_contract_check_files(c, NULL), WD_EPERM);
        assert_string_equal(wd_error_last()->id, "WD-L025");
        assert_non_null(strstr(wd_error_last()->message, policy));
        assert_int_equal(chmod(lib, loose[i]), 0);
        assert_int_equal(chmod(policy, 0644), 0);
        assert_int_equal(wd_contract_check_files(c, NULL), WD_EPERM);
        assert_non_null(strstr(wd_error_last()->message, lib));
        assert_int_equal(chmod(lib, 0644), 0);
    }
    assert_int_equal(chmod(dir, 0770), 0);
    assert_int_equal(wd_contract_check_files(c, NULL), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L025");
    assert_int_equal(chmod(dir, 0700), 0);
    assert_int_equal(wd_contract_check_files(c, NULL), 0);
    if (geteuid() == 0) {
        assert_int_equal(chown(policy, 65534, 0), 0);
        assert_int_equal(wd_contract_check_files(c, NULL), WD_EPERM);
        assert_non_null(strstr(wd_error_last()->message, "owned by uid 65534"));
        assert_int_equal(chown(policy, 0, 0), 0);
    }
    free(lib);
    wd_contract_free(c);
}

static wd_contract *with_level(const char *level, bool downgrade)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml), HEAD "security:\n  level: %s\n  allow_downgrade: %s\n", level,
             downgrade ? "true" : "false");
    wd_contract *c = NULL;
    assert_int_equal(load_text(yaml, &c, NULL), 0);
    return c;
}

static void test_pipelines(void **state)
{
    (void)state;
    wd_contract *secret = with_level("SECRET", true), *prot = with_level("PROTECTED", false),
                *official = with_level("OFFICIAL", false),
                *sens = with_level("OFFICIAL_SENSITIVE", true);
    wd_security_level level;
    size_t refused = 99;
    const wd_contract *ok[] = {secret, sens, official};
    assert_int_equal(wd_pipeline_level(ok, 3, &level, &refused), 0);
    assert_int_equal(level, WD_LEVEL_OFFICIAL);
    const wd_contract *same[] = {prot, prot};
    assert_int_equal(wd_pipeline_level(same, 2, &level, &refused), 0);
    assert_int_equal(level, WD_LEVEL_PROTECTED); /* no downgrade needed */
    const wd_contract *bad_pipe[] = {secret, prot, official};
    assert_int_equal(wd_pipeline_level(bad_pipe, 3, &level, &refused), WD_EPOLICY);
    assert_int_equal(refused, 1);
    assert_string_equal(wd_error_last()->id, "WD-L020");
    assert_non_null(strstr(wd_error_last()->message, "PROTECTED"));
    assert_int_equal(wd_pipeline_level(NULL, 0, &level, &refused), WD_EINVAL);
    /* levels compare as an enum: names are only for people */
    assert_true(WD_LEVEL_UNOFFICIAL < WD_LEVEL_OFFICIAL && WD_LEVEL_OFFICIAL < WD_LEVEL_SECRET);
    wd_security_level parsed;
    assert_int_equal(wd_security_level_parse("OFFICIAL_SENSITIVE", &parsed), 0);
    assert_int_equal(parsed, WD_LEVEL_OFFICIAL_SENSITIVE);
    assert_int_equal(wd_security_level_parse("secret", &parsed), WD_EINVAL);
    wd_contract_free(secret);
    wd_contract_free(prot);
    wd_contract_free(official);
    wd_contract_free(sens);
}

/* ---- process plugins --------------------------------------------------------------------- */

/* path's SHA-256 in hex, computed independently of warden (sha256sum). */
static void sha256sum(const char *path, char out[65])
{
    char cmd[9000], *res;
    snprintf(cmd, sizeof(cmd), "sha256sum '%s' | cut -c1-64 > '%s.sum'", path, path);
    assert_int_equal(wd_test_run(cmd), 0);
    snprintf(cmd, sizeof(cmd), "%s.sum", path);
    FILE *f = fopen(cmd, "r");
    assert_non_null(f);
    res = fgets(out, 65, f);
    fclose(f);
    unlink(cmd);
    assert_non_null(res);
    assert_int_equal(strlen(out), 64);
}

#define TOOL "#!/bin/sh\necho hello\n"

/* A contract-relative program with its hash, an interpreter, arguments and runtime roots. */
static void test_process_valid(void **state)
{
    (void)state;
    char *tool = wd_test_write(dir, "tool.sh", TOOL, strlen(TOOL)), sha[65], yaml[2048];
    sha256sum(tool, sha);
    snprintf(yaml, sizeof(yaml),
             PHEAD "program: tool.sh\nsha256: %s\ninterpreter: /bin/sh\n"
                   "args: [-e, \"\", \"two words\"]\nruntime_roots: [/usr/lib, /opt/tool, /lib64]\n"
                   "protocol: json-lines\n" SEC,
             sha);
    wd_contract *c = NULL;
    assert_int_equal(load_text(yaml, &c, NULL), 0);
    assert_int_equal(wd_contract_runtime(c), WD_RUNTIME_PROCESS);
    assert_int_equal(wd_contract_protocol(c), WD_PROTOCOL_JSON_LINES);
    assert_string_equal(wd_contract_program(c), tool);
    assert_string_equal(wd_contract_interpreter(c), "/bin/sh"); /* as written */
    assert_null(wd_contract_library(c));
    assert_int_equal(wd_contract_abi(c), 0);
    char got[65];
    hex(wd_contract_sha256(c), got);
    assert_string_equal(got, sha);
    assert_int_equal(wd_contract_arg_count(c), 3);
    assert_string_equal(wd_contract_arg(c, 0), "-e");
    assert_string_equal(wd_contract_arg(c, 1), "");
    assert_string_equal(wd_contract_arg(c, 2), "two words");
    assert_null(wd_contract_arg(c, 3));
    assert_int_equal(wd_contract_runtime_root_count(c), 3);
    assert_string_equal(wd_contract_runtime_root(c, 1), "/opt/tool");
    assert_null(wd_contract_runtime_root(c, 3));
    int fd = -1;
    assert_int_equal(wd_contract_open_program(c, &fd), 0);
    char first[10] = {0};
    assert_int_equal(read(fd, first, 9), 9); /* rewound: the checked bytes, from the start */
    assert_memory_equal(first, "#!/bin/sh", 9);
    close(fd);
    assert_int_equal(wd_contract_open_interpreter(c, &fd), 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_true(S_ISREG(st.st_mode)); /* the shell itself, reached through /bin -> usr/bin */
    close(fd);
    /* a process plugin has no library: the library opener says so rather than guess */
    assert_int_equal(wd_contract_open_library(c, &fd), WD_EINVAL);
    assert_string_equal(wd_error_last()->id, "WD-L026");
    wd_contract_free(c);

    /* python3 as the interpreter, when the machine has it */
    if (access("/usr/bin/python3", X_OK) == 0) {
        snprintf(yaml, sizeof(yaml),
                 PHEAD "program: tool.sh\nsha256: %s\ninterpreter: /usr/bin/python3\n"
                       "protocol: stdio\n" SEC,
                 sha);
        assert_int_equal(load_text(yaml, &c, NULL), 0);
        assert_int_equal(wd_contract_protocol(c), WD_PROTOCOL_STDIO);
        assert_int_equal(wd_contract_open_interpreter(c, &fd), 0);
        assert_true(fd >= 0);
        close(fd);
        wd_contract_free(c);
    }

    /* a system program: no sha256 needed (all zero), no interpreter (fd -1) */
    assert_int_equal(load_text(PBASE SEC, &c, NULL), 0);
    assert_string_equal(wd_contract_program(c), "/bin/sh");
    assert_null(wd_contract_interpreter(c));
    static const uint8_t zero[32];
    assert_memory_equal(wd_contract_sha256(c), zero, 32);
    assert_int_equal(wd_contract_arg_count(c), 0);
    assert_int_equal(wd_contract_open_interpreter(c, &fd), 0);
    assert_int_equal(fd, -1);
    assert_int_equal(wd_contract_open_program(c, &fd), 0);
    assert_int_equal(read(fd, first, 4), 4);
    assert_memory_equal(first,
                        "\x7f"
                        "ELF",
                        4);
    close(fd);
    wd_contract_free(c);
    /* a system file that is not executable may still be a script for an interpreter */
    assert_int_equal(load_text(PHEAD
                               "program: /etc/passwd\ninterpreter: /bin/sh\nprotocol: stdio\n" SEC,
                               &c, NULL),
                     0);
    wd_contract_free(c);
    /* runtime: native written out is today's plugin */
    assert_int_equal(load_text("runtime: native\n" HEAD SEC, &c, NULL), 0);
    assert_int_equal(wd_contract_runtime(c), WD_RUNTIME_NATIVE);
    assert_int_equal(wd_contract_protocol(c), WD_PROTOCOL_NONE);
    assert_null(wd_contract_program(c));
    assert_int_equal(wd_contract_open_program(c, &fd), WD_EINVAL);
    wd_contract_free(c);
    free(tool);
}

/* The bounds on args and runtime_roots, each refused just past it. */
static void test_process_limits(void **state)
{
    (void)state;
    static char yaml[WD_CONTRACT_MAX_ARG_LEN * 2 + 1024];
    wd_contract *c = NULL;
    for (int over = 0; over < 2; over++) {
        snprintf(yaml, sizeof(yaml), PBASE "args: [");
        for (int i = 0; i < WD_CONTRACT_MAX_ARGS + over; i++)
            wd_test_append(yaml, sizeof(yaml), "%sa%d", i ? ", " : "", i);
        wd_test_append(yaml, sizeof(yaml), "]\n" SEC);
        assert_int_equal(load_text(yaml, &c, NULL), over ? WD_EPOLICY : 0);
        if (over) {
            assert_string_equal(wd_error_last()->id, "WD-L026");
            assert_int_equal(wd_error_last()->line, 7);
            assert_int_equal(wd_error_last()->column, 7);
        } else {
            assert_int_equal(wd_contract_arg_count(c), WD_CONTRACT_MAX_ARGS);
            wd_contract_free(c);
        }

        snprintf(yaml, sizeof(yaml), PBASE "args: [ok, ");
        for (int i = 0; i < WD_CONTRACT_MAX_ARG_LEN + over; i++)
            wd_test_append(yaml, sizeof(yaml), "x");
        wd_test_append(yaml, sizeof(yaml), "]\n" SEC);
        assert_int_equal(load_text(yaml, &c, NULL), over ? WD_EPOLICY : 0);
        if (over) {
            assert_string_equal(wd_error_last()->id, "WD-L026");
            assert_int_equal(wd_error_last()->column, 12);
        } else {
            assert_int_equal(strlen(wd_contract_arg(c, 1)), WD_CONTRACT_MAX_ARG_LEN);
            wd_contract_free(c);
        }

        snprintf(yaml, sizeof(yaml), PBASE "runtime_roots: [");
        for (int i = 0; i < WD_CONTRACT_MAX_RUNTIME_ROOTS + over; i++)
            wd_test_append(yaml, sizeof(yaml), "%s/opt/r%d", i ? ", " : "", i);
        wd_test_append(yaml, sizeof(yaml), "]\n" SEC);
        assert_int_equal(load_text(yaml, &c, NULL), over ? WD_EPOLICY : 0);
        if (over) {
            assert_string_equal(wd_error_last()->id, "WD-L026");
            assert_int_equal(wd_error_last()->column, 16);
        } else {
            assert_int_equal(wd_contract_runtime_root_count(c), WD_CONTRACT_MAX_RUNTIME_ROOTS);
            wd_contract_free(c);
        }
    }
    /* a system program in a directory others may write (the test's own, under /tmp) */
    char *tool = wd_test_write(dir, "sys.sh", TOOL, strlen(TOOL));
    assert_int_equal(chmod(tool, 0755), 0);
    snprintf(yaml, sizeof(yaml), PHEAD "program: %s\nprotocol: stdio\n" SEC, tool);
    if (geteuid() == 0) {
        wd_diagnostics *d;
        assert_int_equal(wd_diagnostics_new(&d), 0);
        assert_int_equal(load_text(yaml, &c, d), WD_EPOLICY);
        assert_string_equal(wd_error_last()->id, "WD-L027");
        assert_int_equal(wd_error_last()->line, 5);
        assert_int_equal(wd_error_last()->column, 10);
        assert_non_null(strstr(wd_error_last()->message, "on the way"));
        wd_diagnostics_free(d);
    }
    free(tool);
}

/* The program's descriptor is exactly the checked bytes: a changed file, a link (for the file
 * or a directory on the way) and a missing file are refused. */
static void test_open_program(void **state)
{
    (void)state;
    char sub[4200], yaml[2048], sha[65];
    snprintf(sub, sizeof(sub), "%s/bin", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    char *tool = wd_test_write(sub, "tool.sh", TOOL, strlen(TOOL));
    sha256sum(tool, sha);
    snprintf(yaml, sizeof(yaml), PHEAD "program: bin/tool.sh\nsha256: %s\nprotocol: stdio\n" SEC,
             sha);
    wd_contract *c = NULL;
    assert_int_equal(load_text(yaml, &c, NULL), 0);
    int fd = -1;
    assert_int_equal(wd_contract_open_program(c, &fd), 0);
    close(fd);
    /* one byte changed after the contract was written */
    free(wd_test_write(sub, "tool.sh", "#!/bin/sh\necho HELLO\n", strlen(TOOL)));
    assert_int_equal(wd_contract_open_program(c, &fd), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-L009");
    assert_non_null(strstr(wd_error_last()->message, "program hashes to"));
    assert_int_equal(fd, -1);
    /* the right bytes, moved away and linked back: not followed */
    char moved[4300];
    snprintf(moved, sizeof(moved), "%s/real.sh", sub);
    free(wd_test_write(sub, "tool.sh", TOOL, strlen(TOOL)));
    assert_int_equal(rename(tool, moved), 0);
    assert_int_equal(symlink(moved, tool), 0);
    assert_int_equal(wd_contract_open_program(c, &fd), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L018");
    assert_int_equal(fd, -1);
    assert_int_equal(unlink(tool), 0);
    /* missing */
    assert_int_equal(wd_contract_open_program(c, &fd), WD_ENOTFOUND);
    assert_string_equal(wd_error_last()->id, "WD-L008");
    /* a directory on the way swapped for a link to a directory with the same file */
    char real[4300];
    snprintf(real, sizeof(real), "%s/bin-real", dir);
    assert_int_equal(rename(moved, tool), 0);
    assert_int_equal(rename(sub, real), 0);
    assert_int_equal(symlink("bin-real", sub), 0); /* relative: even one staying inside */
    assert_int_equal(wd_contract_open_program(c, &fd), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L018");
    unlink(sub);
    assert_int_equal(rename(real, sub), 0);
    assert_int_equal(wd_contract_open_program(c, &fd), 0); /* and back: the same bytes again */
    close(fd);
    wd_contract_free(c);

    /* an absolute program with sha256: compared too */
    char shsum[65];
    sha256sum("/bin/sh", shsum);
    snprintf(yaml, sizeof(yaml), PHEAD "program: /bin/sh\nsha256: %s\nprotocol: stdio\n" SEC,
             shsum);
    assert_int_equal(load_text(yaml, &c, NULL), 0);
    assert_int_equal(wd_contract_open_program(c, &fd), 0);
    close(fd);
    wd_contract_free(c);
    assert_int_equal(load_text(PBASE "sha256: " LIB_SHA "\n" SEC, &c, NULL), 0);
    assert_int_equal(wd_contract_open_program(c, &fd), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-L009");
    assert_int_equal(fd, -1);
    wd_contract_free(c);
    free(tool);
}

/* A directory only root controls, for files whose own ownership is under test: the test's
 * directory lies under /tmp, which the walk refuses before it reaches the file. NULL (and the
 * test skipped) when not root or no such place can be made. */
static char *trusted_dir(void)
{
    static const char *const bases[] = {"/run", "/var/cache", "/root", "/var/lib", NULL};
    if (geteuid() != 0)
        return NULL;
    for (const char *const *b = bases; *b; b++) {
        char tmpl[256];
        snprintf(tmpl, sizeof(tmpl), "%s/warden-interp-XXXXXX", *b);
        if (!mkdtemp(tmpl))
            continue;
        chmod(tmpl, 0755);
        char cmd[600], yaml[1024];
        snprintf(cmd, sizeof(cmd), "cp -L /bin/sh '%s/sh' && chmod 0755 '%s/sh'", tmpl, tmpl);
        snprintf(yaml, sizeof(yaml), PBASE "interpreter: %s/sh\n" SEC, tmpl);
        wd_contract *c = NULL;
        if (wd_test_run(cmd) == 0 && load_text(yaml, &c, NULL) == 0) {
            wd_contract_free(c);
            return strdup(tmpl);
        }
        char *d = strdup(tmpl);
        wd_test_rmtree(d);
    }
    return NULL;
}

static void expect_untrusted(const wd_contract *c, int code, const char *why)
{
    int fd = 42;
    assert_int_equal(wd_contract_open_interpreter(c, &fd), code);
    assert_int_equal(fd, -1);
    assert_string_equal(wd_error_last()->id, "WD-L027");
    if (!strstr(wd_error_last()->message, why))
        fail_msg("\"%s\" does not say \"%s\"", wd_error_last()->message, why);
}

/* The interpreter is checked again by descriptor when opened: a change after load is seen. */
static void test_open_interpreter(void **state)
{
    (void)state;
    char *t = trusted = trusted_dir();
    if (!t)
        skip();
    char sh[600], yaml[1024], link[600], cmd[2000];
    snprintf(sh, sizeof(sh), "%s/sh", t);
    snprintf(yaml, sizeof(yaml), PBASE "interpreter: %s\n" SEC, sh);
    wd_contract *c = NULL;
    assert_int_equal(load_text(yaml, &c, NULL), 0);
    int fd = -1;
    assert_int_equal(wd_contract_open_interpreter(c, &fd), 0);
    close(fd);
    assert_int_equal(chown(sh, 65534, 65534), 0); /* nobody's copy */
    expect_untrusted(c, WD_EPERM, "is owned by uid 65534, not root");
    /* and refused at load, where the contract names it */
    wd_contract *again = NULL;
    assert_int_equal(load_text(yaml, &again, NULL), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-L027");
    assert_int_equal(wd_error_last()->line, 7);
    assert_int_equal(wd_error_last()->column, 14);
    assert_int_equal(chown(sh, 0, 0), 0);
    assert_int_equal(chmod(sh, 0775), 0);
    expect_untrusted(c, WD_EPERM, "writable by its group");
    assert_int_equal(chmod(sh, 0757), 0);
    expect_untrusted(c, WD_EPERM, "writable by others");
    assert_int_equal(chmod(sh, 0644), 0);
    expect_untrusted(c, WD_EPERM, "not executable");
    assert_int_equal(chmod(sh, 0755), 0);
    assert_int_equal(chmod(t, 0777), 0);
    expect_untrusted(c, WD_EPERM, "on the way is writable by its group and others");
    assert_int_equal(chmod(t, 0755), 0);
    /* links: followed inside directories only root controls, refused where they lead out */
    snprintf(link, sizeof(link), "%s/link", t);
    assert_int_equal(symlink("sh", link), 0);
    snprintf(yaml, sizeof(yaml), PBASE "interpreter: %s\n" SEC, link);
    wd_contract_free(c);
    assert_int_equal(load_text(yaml, &c, NULL), 0);
    assert_int_equal(wd_contract_open_interpreter(c, &fd), 0);
    close(fd);
    snprintf(cmd, sizeof(cmd), "cp -L /bin/sh '%s/sh' && chmod 0755 '%s/sh'", dir, dir);
    assert_int_equal(wd_test_run(cmd), 0);
    assert_int_equal(unlink(link), 0);
    snprintf(cmd, sizeof(cmd), "%s/sh", dir);
    assert_int_equal(symlink(cmd, link), 0); /* into the test's directory under /tmp */
    expect_untrusted(c, WD_EPERM, "on the way");
    assert_int_equal(unlink(link), 0);
    expect_untrusted(c, WD_ENOTFOUND, "does not exist");
    wd_contract_free(c);
    wd_test_rmtree(t);
    trusted = NULL;
}

/* The review binds the program's hash where it bound the library's. */
static void test_process_review(void **state)
{
    (void)state;
    char keys[4200], trust[4200], key[4300], pub[4300];
    snprintf(keys, sizeof(keys), "%s/proc-reviewer", dir);
    snprintf(trust, sizeof(trust), "%s/proc-trust", dir);
    assert_int_equal(wd_review_keygen(keys), 0);
    assert_int_equal(mkdir(trust, 0755), 0);
    snprintf(key, sizeof(key), "%s/reviewer.key", keys);
    snprintf(pub, sizeof(pub), "%s/reviewer.pub", keys);
    char buf[256];
    FILE *fp = fopen(pub, "rb");
    size_t len = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    free(wd_test_write(trust, "alice.pub", buf, len));

    char *tool = wd_test_write(dir, "tool.sh", TOOL, strlen(TOOL)), sha[65], yaml[2048];
    sha256sum(tool, sha);
    snprintf(yaml, sizeof(yaml), PHEAD "program: tool.sh\nsha256: %s\nprotocol: stdio\n" SEC, sha);
    wd_contract *c = NULL;
    assert_int_equal(load_text(yaml, &c, NULL), 0);
    assert_int_equal(wd_contract_sign(c, key), 0);
    assert_int_equal(wd_contract_verify_signature(c, trust, NULL), 0);
    char line[128];
    snprintf(line, sizeof(line), "%s  acme.tool\n", sha);
    char *approved = wd_test_write(dir, "approved.txt", line, strlen(line));
    assert_int_equal(wd_contract_check_approved(c, approved), 0);
    free(approved);
    approved = wd_test_write(dir, "approved.txt", LIB_SHA "\n", 65);
    assert_int_equal(wd_contract_check_approved(c, approved), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L021");
    assert_non_null(strstr(wd_error_last()->message, "program"));
    /* the program and its directory: nobody else may change them (WD-L025) */
    assert_int_equal(wd_contract_check_files(c, NULL), 0);
    assert_int_equal(chmod(tool, 0646), 0);
    assert_int_equal(wd_contract_check_files(c, NULL), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L025");
    assert_non_null(strstr(wd_error_last()->message, "program"));
    assert_int_equal(chmod(tool, 0644), 0);
    wd_contract_free(c);
    /* an absolute program without sha256: the approved line is 32 zero bytes */
    assert_int_equal(load_text(PBASE SEC, &c, NULL), 0);
    assert_int_equal(wd_contract_check_approved(c, approved), 0);
    assert_int_equal(wd_contract_sign(c, key), 0);
    assert_int_equal(wd_contract_verify_signature(c, trust, NULL), 0);
    wd_contract_free(c);
    /* the path is in the signed bytes: another system program is another contract */
    assert_int_equal(load_text(PHEAD "program: /bin/ls\nprotocol: stdio\n" SEC, &c, NULL), 0);
    assert_int_equal(wd_contract_verify_signature(c, trust, NULL), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L014");
    wd_contract_free(c);
    free(approved);
    free(tool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_error),       cmocka_unit_test(test_files),
        cmocka_unit_test(test_valid_contract),   cmocka_unit_test(test_library_hash),
        cmocka_unit_test(test_review_gate),      cmocka_unit_test(test_pipelines),
        cmocka_unit_test(test_policy_binding),   cmocka_unit_test(test_process_valid),
        cmocka_unit_test(test_process_limits),   cmocka_unit_test(test_open_program),
        cmocka_unit_test(test_open_interpreter), cmocka_unit_test(test_process_review),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
