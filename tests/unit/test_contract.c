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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_error),     cmocka_unit_test(test_files),
        cmocka_unit_test(test_valid_contract), cmocka_unit_test(test_library_hash),
        cmocka_unit_test(test_review_gate),    cmocka_unit_test(test_pipelines),
        cmocka_unit_test(test_policy_binding),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
