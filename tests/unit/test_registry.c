/* test_registry.c: keys, precedence, replacement, "latest", allowlists and concurrency. */
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
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

static wd_contract *make(const char *id, const char *type, const char *version)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "name: %s\ntype: %s\nversion: %s\nlibrary: lib.so\nsha256: %064d\nabi: 1\n"
             "security:\n  level: OFFICIAL\n",
             id, type, version, 0);
    static int n;
    char name[64];
    snprintf(name, sizeof(name), "c%d.yaml", __atomic_fetch_add(&n, 1, __ATOMIC_SEQ_CST));
    char *path = wd_test_write(dir, name, yaml, strlen(yaml));
    wd_contract *c = NULL;
    assert_int_equal(wd_contract_load(&c, path, NULL), 0);
    free(path);
    return c;
}

static int grab_version(const wd_contract *c, void *ctx)
{
    snprintf(ctx, 64, "%s", wd_contract_version(c));
    return 0;
}

static void test_keys_and_latest(void **state)
{
    (void)state;
    wd_registry *r;
    const char *warning = NULL;
    assert_int_equal(wd_registry_new(&r, NULL, &warning), 0);
    assert_non_null(warning); /* no allowlist: said out loud */
    const char *versions[] = {"1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1", "2.0.0-beta", "1.9.9+b7"};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(wd_registry_add(r, make("acme.a", "compute", versions[i]), 0, NULL), 0);
    /* the same id as another type is a different key */
    assert_int_equal(wd_registry_add(r, make("acme.a", "reducer", "9.0.0"), 0, NULL), 0);
    assert_int_equal(wd_registry_count(r), 7);
    char got[64] = "";
    assert_int_equal(wd_registry_latest(r, "acme.a", WD_PLUGIN_COMPUTE, 0, grab_version, got), 0);
    assert_string_equal(got, "1.10.0"); /* numeric precedence, pre-releases excluded */
    assert_int_equal(wd_registry_latest(r, "acme.a", WD_PLUGIN_COMPUTE, 1, grab_version, got), 0);
    assert_string_equal(got, "2.0.0-rc.1");
    assert_int_equal(wd_registry_latest(r, "acme.a", WD_PLUGIN_REDUCER, 0, grab_version, got), 0);
    assert_string_equal(got, "9.0.0");
    /* build metadata is not part of the key */
    assert_int_equal(
        wd_registry_resolve(r, "acme.a", WD_PLUGIN_COMPUTE, "1.9.9", grab_version, got), 0);
    assert_string_equal(got, "1.9.9+b7");
    wd_contract *dup = make("acme.a", "compute", "1.9.9+other");
    assert_int_equal(wd_registry_add(r, dup, 0, NULL), WD_EBUSY); /* never a silent overwrite */
    int replaced = 0;
    assert_int_equal(wd_registry_add(r, dup, WD_REGISTRY_REPLACE, &replaced), 0);
    assert_int_equal(replaced, 1);
    assert_int_equal(
        wd_registry_resolve(r, "acme.a", WD_PLUGIN_COMPUTE, "1.9.9", grab_version, got), 0);
    assert_string_equal(got, "1.9.9+other");
    /* misses name only what was asked for */
    assert_int_equal(
        wd_registry_resolve(r, "acme.a", WD_PLUGIN_COMPUTE, "3.0.0", grab_version, got),
        WD_ENOTFOUND);
    assert_null(strstr(wd_error_last()->message, "1.10.0"));
    assert_null(strstr(wd_error_last()->message, "reducer"));
    assert_int_equal(wd_registry_latest(r, "acme.b", WD_PLUGIN_COMPUTE, 1, grab_version, got),
                     WD_ENOTFOUND);
    assert_int_equal(
        wd_registry_resolve(r, "acme.a", WD_PLUGIN_COMPUTE, "01.0.0", grab_version, got),
        WD_EINVAL);
    assert_int_equal(wd_registry_remove(r, "acme.a", WD_PLUGIN_COMPUTE, "1.10.0"), 0);
    assert_int_equal(wd_registry_remove(r, "acme.a", WD_PLUGIN_COMPUTE, "1.10.0"), WD_ENOTFOUND);
    assert_int_equal(wd_registry_latest(r, "acme.a", WD_PLUGIN_COMPUTE, 0, grab_version, got), 0);
    assert_string_equal(got, "1.9.9+other");
    wd_registry_free(r);
}

typedef struct {
    char out[1024];
} listing;

static int list_cb(const wd_contract *c, void *ctx)
{
    listing *l = ctx;
    wd_test_append(l->out, sizeof(l->out), "%s/%s/%s ", wd_contract_id(c),
                   wd_plugin_type_name(wd_contract_type(c)), wd_contract_version(c));
    return 0;
}

static void test_listing_order(void **state)
{
    (void)state;
    wd_registry *r;
    assert_int_equal(wd_registry_new(&r, NULL, NULL), 0);
    assert_int_equal(wd_registry_add(r, make("b.x", "effect", "1.0.0"), 0, NULL), 0);
    assert_int_equal(wd_registry_add(r, make("a.x", "compute", "1.0.0-alpha.1"), 0, NULL), 0);
    assert_int_equal(wd_registry_add(r, make("a.x", "compute", "1.0.0"), 0, NULL), 0);
    assert_int_equal(wd_registry_add(r, make("a.x", "compute", "1.0.0-alpha.beta"), 0, NULL), 0);
    listing l = {""};
    assert_int_equal(wd_registry_list(r, list_cb, &l), 0);
    assert_string_equal(l.out, "a.x/compute/1.0.0-alpha.1 a.x/compute/1.0.0-alpha.beta "
                               "a.x/compute/1.0.0 b.x/effect/1.0.0 ");
    wd_registry_free(r);
}

static void test_abi(void **state)
{
    (void)state;
    char yaml[512];
    snprintf(yaml, sizeof(yaml),
             "name: acme.future\ntype: compute\nversion: 1.0.0\nlibrary: lib.so\nsha256: %064d\n"
             "abi: %d\nsecurity:\n  level: OFFICIAL\n",
             0, WD_PLUGIN_ABI_VERSION + 1);
    char *path = wd_test_write(dir, "abi.yaml", yaml, strlen(yaml));
    wd_contract *c = NULL;
    assert_int_equal(wd_contract_load(&c, path, NULL), 0); /* a valid contract... */
    free(path);
    wd_registry *r;
    assert_int_equal(wd_registry_new(&r, NULL, NULL), 0);
    assert_int_equal(wd_registry_add(r, c, 0, NULL), WD_EPERM); /* ...this host cannot run */
    assert_string_equal(wd_error_last()->id, "WD-L011");
    wd_contract_free(c);
    wd_registry_free(r);
}

static void test_allowlist(void **state)
{
    (void)state;
    const char *allow[] = {"acme", "corp.tools"};
    wd_registry_options o = WD_REGISTRY_OPTIONS_INIT;
    o.allowlist = allow;
    o.allowlist_len = 2;
    wd_registry *r;
    const char *warning = "x";
    assert_int_equal(wd_registry_new(&r, &o, &warning), 0);
    assert_null(warning);
    assert_true(wd_registry_allows(r, "acme"));
    assert_true(wd_registry_allows(r, "acme.files"));
    assert_false(wd_registry_allows(r, "acmex.files")); /* only at a '.' boundary */
    assert_true(wd_registry_allows(r, "corp.tools.grep"));
    assert_false(wd_registry_allows(r, "corp.toolsmith"));
    assert_false(wd_registry_allows(r, "corp"));
    wd_contract *c = make("evil.x", "compute", "1.0.0");
    assert_int_equal(wd_registry_add(r, c, 0, NULL), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L012");
    wd_contract_free(c); /* refused: still the caller's */
    wd_registry_free(r);
    /* an empty allowlist refuses everything */
    o.allowlist_len = 0;
    assert_int_equal(wd_registry_new(&r, &o, NULL), 0);
    assert_false(wd_registry_allows(r, "acme"));
    wd_registry_free(r);
}

typedef struct {
    wd_registry *r;
    wd_contract *mine[40];
    int errors;
} worker_arg;

static int noop(const wd_contract *c, void *ctx)
{
    (void)c;
    (void)ctx;
    return 0;
}

static void *worker(void *p)
{
    worker_arg *w = p;
    for (int round = 0; round < 40; round++) {
        const char *id = wd_contract_id(w->mine[round]);
        const char *ver = wd_contract_version(w->mine[round]);
        if (wd_registry_add(w->r, w->mine[round], 0, NULL) != 0)
            w->errors++;
        for (int k = 0; k < 50; k++) {
            if (wd_registry_resolve(w->r, id, WD_PLUGIN_COMPUTE, ver, noop, NULL) != 0)
                w->errors++;
            wd_registry_latest(w->r, "shared", WD_PLUGIN_COMPUTE, 1, noop, NULL);
        }
        if (round % 2 && wd_registry_remove(w->r, id, WD_PLUGIN_COMPUTE, ver) != 0)
            w->errors++;
    }
    return NULL;
}

static void test_many_threads(void **state)
{
    (void)state;
    wd_registry *r;
    assert_int_equal(wd_registry_new(&r, NULL, NULL), 0);
    assert_int_equal(wd_registry_add(r, make("shared", "compute", "1.0.0"), 0, NULL), 0);
    worker_arg args[8];
    pthread_t th[8];
    for (int t = 0; t < 8; t++) {
        args[t].r = r;
        args[t].errors = 0;
        for (int i = 0; i < 40; i++) {
            char id[32], ver[32];
            snprintf(id, sizeof(id), "t%d.p", t);
            snprintf(ver, sizeof(ver), "1.%d.0", i);
            args[t].mine[i] = make(id, "compute", ver);
        }
    }
    for (int t = 0; t < 8; t++)
        assert_int_equal(pthread_create(&th[t], NULL, worker, &args[t]), 0);
    for (int t = 0; t < 8; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(args[t].errors, 0);
    }
    assert_int_equal(wd_registry_count(r), 1 + 8 * 20);
    wd_registry_free(r);
}

/* Writes dir/contract.yaml for a copy of a fixture library. */
static void plant(const char *sub, const char *id, const char *fixture)
{
    char d[4200], src[4200], cmd[9000];
    snprintf(d, sizeof(d), "%s/tree/%s", dir, sub);
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", d);
    assert_int_equal(wd_test_run(cmd), 0);
    snprintf(src, sizeof(src), "%s/elf/%s", WD_TEST_DATA, fixture);
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s/lib.so'", src, d);
    assert_int_equal(wd_test_run(cmd), 0);
    /* the library's hash, from the crypto layer's own reader */
    snprintf(cmd, sizeof(cmd),
             "printf 'name: %s\\ntype: compute\\nversion: 1.0.0\\nlibrary: lib.so\\n"
             "sha256: %%s\\nabi: 1\\nsecurity:\\n  level: OFFICIAL\\n' "
             "\"$(sha256sum '%s/lib.so' | cut -d' ' -f1)\" > '%s/contract.yaml'",
             id, d, d);
    assert_int_equal(wd_test_run(cmd), 0);
}

static void test_discovery(void **state)
{
    (void)state;
    plant("b-good", "acme.good", "libmem.so");
    plant("a-evil", "acme.evil", "libexec.so");
    plant("c/deep/er", "acme.deep", "libnone.so");
    char path[4300], root[4200];
    snprintf(root, sizeof(root), "%s/tree", dir);
    snprintf(path, sizeof(path), "%s/d-broken", root);
    assert_int_equal(mkdir(path, 0755), 0);
    free(wd_test_write(path, "contract.yaml", "name: [\n", 8));
    snprintf(path, sizeof(path), "%s/e-amb", root);
    assert_int_equal(mkdir(path, 0755), 0);
    free(wd_test_write(path, "contract.yaml", "x", 1));
    free(wd_test_write(path, "contract.yml", "x", 1));
    char link[4400], target[4400];
    snprintf(path, sizeof(path), "%s/f-link", root);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(link, sizeof(link), "%s/contract.yaml", path);
    snprintf(target, sizeof(target), "%s/b-good/contract.yaml", root);
    assert_int_equal(symlink(target, link), 0);

    wd_registry *r;
    assert_int_equal(wd_registry_new(&r, NULL, NULL), 0);
    const char *deny[] = {"system", "execve", NULL};
    wd_discover_options o = WD_DISCOVER_OPTIONS_INIT;
    o.deny_imports = deny;
    o.correlation_id = "batch-7";
    wd_load_report *rep;
    assert_int_equal(wd_registry_discover(r, root, &o, &rep), 0);
    assert_string_equal(wd_load_report_correlation_id(rep), "batch-7");
    /* name order, every failure contained, the rest loaded */
    static const char *const want_ids[] = {"WD-L022", "", "", "WD-L004", "WD-L019", "WD-L018"};
    static const char *const want_end[] = {"a-evil/contract.yaml",
                                           "b-good/contract.yaml",
                                           "c/deep/er/contract.yaml",
                                           "d-broken/contract.yaml",
                                           "e-amb",
                                           "f-link/contract.yaml"};
    assert_int_equal(wd_load_report_count(rep), 6);
    for (size_t i = 0; i < 6; i++) {
        const wd_load_entry *e = wd_load_report_get(rep, i);
        assert_string_equal(e->id, want_ids[i]);
        size_t pl = strlen(e->path), wl = strlen(want_end[i]);
        assert_true(pl >= wl && !strcmp(e->path + pl - wl, want_end[i]));
        assert_int_equal(e->loaded, want_ids[i][0] == '\0');
    }
    assert_non_null(strstr(wd_load_report_get(rep, 0)->message, "execve, system"));
    assert_int_equal(wd_load_report_refused(rep), 4);
    assert_int_equal(wd_registry_count(r), 2);
    wd_load_report_free(rep);

    /* the same tree again: every key exists, and re-registering is refused, not overwritten */
    assert_int_equal(wd_registry_discover(r, root, &o, &rep), 0);
    assert_int_equal(wd_load_report_refused(rep), 6);
    assert_int_equal(wd_registry_count(r), 2);
    wd_load_report_free(rep);
    wd_registry_free(r);

    /* a bound on how many contracts one run considers */
    assert_int_equal(wd_registry_new(&r, NULL, NULL), 0);
    o.max = 1;
    o.deny_imports = NULL;
    assert_int_equal(wd_registry_discover(r, root, &o, &rep), 0);
    assert_int_equal(wd_registry_count(r), 1);
    bool saw_max = false;
    for (size_t i = 0; i < wd_load_report_count(rep); i++)
        saw_max |= strstr(wd_load_report_get(rep, i)->message, "max") != NULL;
    assert_true(saw_max);
    wd_load_report_free(rep);
    /* no such directory */
    snprintf(path, sizeof(path), "%s/nowhere", dir);
    assert_int_equal(wd_registry_discover(r, path, &o, &rep), WD_ENOTFOUND);
    assert_string_equal(wd_error_last()->id, "WD-L017");
    wd_registry_free(r);
}

typedef struct {
    int registered, replaced, refused, other_corr;
    const char *corr;
} audit_tally;

static int tally_cb(const wd_audit_record *rec, void *ctx)
{
    audit_tally *t = ctx;
    if (!strcmp(rec->type, "PLUGIN_REGISTERED"))
        t->registered++;
    else if (!strcmp(rec->type, "PLUGIN_REPLACED"))
        t->replaced++;
    else if (!strcmp(rec->type, "PLUGIN_REFUSED"))
        t->refused++;
    else
        return 0;
    if (t->corr && strcmp(rec->correlation_id, t->corr))
        t->other_corr++;
    return 0;
}

static void test_audited(void **state)
{
    (void)state;
    char keys[4200], logdir[4200];
    wd_audit *log = wd_test_audit_open(dir, keys, logdir, sizeof(keys));
    wd_registry_options ro = WD_REGISTRY_OPTIONS_INIT;
    ro.audit = log;
    wd_registry *r;
    assert_int_equal(wd_registry_new(&r, &ro, NULL), 0);
    assert_int_equal(wd_registry_add(r, make("acme.x", "compute", "1.0.0"), 0, NULL), 0);
    wd_contract *again = make("acme.x", "compute", "1.0.0");
    assert_int_equal(wd_registry_add(r, again, 0, NULL), WD_EBUSY);
    assert_int_equal(wd_registry_add(r, again, WD_REGISTRY_REPLACE, NULL), 0);
    /* discovery: one correlation id on every record of the batch */
    char root[4300];
    snprintf(root, sizeof(root), "%s/tree", dir);
    wd_discover_options o = WD_DISCOVER_OPTIONS_INIT;
    o.correlation_id = "batch-audit-1";
    wd_load_report *rep;
    assert_int_equal(wd_registry_discover(r, root, &o, &rep), 0);
    size_t refused = wd_load_report_refused(rep), total = wd_load_report_count(rep);
    wd_load_report_free(rep);
    wd_registry_free(r);
    assert_int_equal(wd_audit_close(log), 0);
    audit_tally t = {0, 0, 0, 0, NULL};
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    assert_int_equal(wd_audit_query_run(logdir, &q, tally_cb, &t), 0);
    assert_int_equal(t.replaced, 1);
    assert_int_equal(t.registered, 1 + (int)(total - refused));
    /* every refusal in the report is recorded, plus the duplicate above */
    assert_int_equal(t.refused, 1 + (int)refused);
    q.since_ns = 0;
    audit_tally batch = {0, 0, 0, 0, "batch-audit-1"};
    q.component = "registry";
    assert_int_equal(wd_audit_query_run(logdir, &q, tally_cb, &batch), 0);
    /* the 3 records before the batch carry their own ids; all the batch's share one */
    assert_int_equal(batch.other_corr, 3);
}

/* Files another user can change are refused by discovery itself, naming the file (WD-L025). */
static void test_discovery_owners(void **state)
{
    (void)state;
    plant("owners/a-ok", "acme.ownok", "libnone.so");
    plant("owners/b-loose", "acme.loose", "libnone.so");
    plant("owners/c-loose-dir/x", "acme.loosedir", "libnone.so");
    char root[4300], path[4400];
    snprintf(root, sizeof(root), "%s/tree/owners", dir);
    snprintf(path, sizeof(path), "%s/b-loose/lib.so", root);
    assert_int_equal(chmod(path, 0666), 0);
    snprintf(path, sizeof(path), "%s/c-loose-dir", root);
    assert_int_equal(chmod(path, 0775), 0);
    wd_registry *r;
    assert_int_equal(wd_registry_new(&r, NULL, NULL), 0);
    wd_load_report *rep;
    assert_int_equal(wd_registry_discover(r, root, NULL, &rep), 0);
    assert_int_equal(wd_load_report_count(rep), 3);
    assert_int_equal(wd_load_report_refused(rep), 2);
    assert_string_equal(wd_load_report_get(rep, 0)->id, "");
    const wd_load_entry *e = wd_load_report_get(rep, 1);
    assert_string_equal(e->id, "WD-L025");
    snprintf(path, sizeof(path), "library %s/b-loose/lib.so is writable by its group and others",
             root);
    assert_non_null(strstr(e->message, path));
    e = wd_load_report_get(rep, 2);
    assert_string_equal(e->id, "WD-L025");
    snprintf(path, sizeof(path), "the directory %s/c-loose-dir is writable by its group", root);
    assert_non_null(strstr(e->message, path));
    assert_int_equal(wd_load_report_unrecorded(rep, NULL, NULL), 0);
    wd_load_report_free(rep);
    wd_registry_free(r);
}

/* A registration the audit log does not take did not happen, and the report says so: a caller
 * that needs all or nothing can refuse the run instead of carrying on with plugins missing. */
static void test_discovery_unrecorded(void **state)
{
    (void)state;
    plant("unrec/a", "acme.unrecorded", "libnone.so");
    char sub[4300], keys[4300], logdir[4300], seg[4400];
    snprintf(sub, sizeof(sub), "%s/unrec-audit", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    wd_audit *log = wd_test_audit_open(sub, keys, logdir, sizeof(keys));
    snprintf(seg, sizeof(seg), "%s/audit-00000001.jsonl", logdir);
    int fd = open(seg, O_RDONLY);
    assert_true(fd >= 0);
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0 ||
        (flags |= FS_IMMUTABLE_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0)) {
        close(fd);
        wd_audit_close(log);
        skip(); /* not root, or a file system without the attribute */
    }
    wd_registry_options ro = WD_REGISTRY_OPTIONS_INIT;
    ro.audit = log;
    wd_registry *r;
    assert_int_equal(wd_registry_new(&r, &ro, NULL), 0);
    char root[4300];
    snprintf(root, sizeof(root), "%s/tree/unrec", dir);
    wd_load_report *rep;
    assert_int_equal(wd_registry_discover(r, root, NULL, &rep), 0);
    const char *id = NULL, *why = NULL;
    assert_true(wd_load_report_unrecorded(rep, &id, &why) >= 1);
    assert_string_equal(id, "WD-A010");
    assert_true(why[0] != '\0');
    assert_int_equal(wd_registry_count(r), 0); /* not recorded, not registered */
    assert_int_equal(wd_load_report_refused(rep), 1);
    wd_load_report_free(rep);
    wd_registry_free(r);
    flags &= ~FS_IMMUTABLE_FL;
    assert_int_equal(ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
    close(fd);
    wd_audit_close(log); /* the writer stopped at the failure: its close may report it */
}

static int program_of(const wd_contract *c, void *ctx)
{
    *(const char **)ctx = wd_contract_program(c); /* the registry owns it: read it at once */
    return wd_contract_runtime(c) == WD_RUNTIME_PROCESS ? 0 : -1;
}

/* A process plugin's tree: dir/tree/sub/contract.yaml running tool.sh under /bin/sh. */
static void plant_process(const char *sub, const char *id)
{
    char d[4200], cmd[9000];
    snprintf(d, sizeof(d), "%s/tree/%s", dir, sub);
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && printf 'echo hi\\n' > '%s/tool.sh'", d, d);
    assert_int_equal(wd_test_run(cmd), 0);
    snprintf(cmd, sizeof(cmd),
             "printf 'name: %s\\ntype: compute\\nversion: 1.0.0\\nruntime: process\\n"
             "program: tool.sh\\nsha256: %%s\\ninterpreter: /bin/sh\\nprotocol: stdio\\n"
             "security:\\n  level: OFFICIAL\\n' "
             "\"$(sha256sum '%s/tool.sh' | cut -d' ' -f1)\" > '%s/contract.yaml'",
             id, d, d);
    assert_int_equal(wd_test_run(cmd), 0);
}

/* A process plugin is run, never loaded: no ABI to match, no imports to deny; its program is
 * opened, hashed and owner-checked where a library would be. */
static void test_process_plugins(void **state)
{
    (void)state;
    plant_process("proc/a-ok", "acme.proc");
    plant_process("proc/b-changed", "acme.changed");
    plant_process("proc/c-loose", "acme.loose");
    plant("proc/d-native", "acme.native", "libexec.so");
    char root[4300], path[4400];
    snprintf(root, sizeof(root), "%s/tree/proc", dir);
    free(wd_test_write(root, "b-changed/tool.sh", "echo HI\n", 8));
    snprintf(path, sizeof(path), "%s/c-loose/tool.sh", root);
    assert_int_equal(chmod(path, 0666), 0);

    wd_registry *r;
    assert_int_equal(wd_registry_new(&r, NULL, NULL), 0);
    const char *deny[] = {"system", "execve", NULL};
    wd_discover_options o = WD_DISCOVER_OPTIONS_INIT;
    o.deny_imports = deny;
    wd_load_report *rep;
    assert_int_equal(wd_registry_discover(r, root, &o, &rep), 0);
    static const char *const want_ids[] = {"", "WD-L009", "WD-L025", "WD-L022"};
    assert_int_equal(wd_load_report_count(rep), 4);
    for (size_t i = 0; i < 4; i++) {
        const wd_load_entry *e = wd_load_report_get(rep, i);
        if (strcmp(e->id, want_ids[i]))
            fail_msg("entry %zu: %s %s, want %s", i, e->id, e->message, want_ids[i]);
    }
    assert_non_null(strstr(wd_load_report_get(rep, 1)->message, "program hashes to"));
    snprintf(path, sizeof(path), "program %s/c-loose/tool.sh is writable", root);
    assert_non_null(strstr(wd_load_report_get(rep, 2)->message, path));
    wd_load_report_free(rep);
    /* what registered is the process plugin, as it was written */
    assert_int_equal(wd_registry_count(r), 1);
    const char *got = NULL;
    assert_int_equal(
        wd_registry_resolve(r, "acme.proc", WD_PLUGIN_COMPUTE, "1.0.0", program_of, &got), 0);
    assert_non_null(strstr(got, "/a-ok/tool.sh"));
    wd_registry_free(r);

    /* registered directly: no ABI check (a process plugin's abi is 0), the allowlist still */
    snprintf(path, sizeof(path), "%s/a-ok/contract.yaml", root);
    wd_contract *c = NULL;
    assert_int_equal(wd_contract_load(&c, path, NULL), 0);
    assert_int_equal(wd_contract_abi(c), 0);
    const char *allow[] = {"corp"};
    wd_registry_options ro = WD_REGISTRY_OPTIONS_INIT;
    ro.allowlist = allow;
    ro.allowlist_len = 1;
    assert_int_equal(wd_registry_new(&r, &ro, NULL), 0);
    assert_int_equal(wd_registry_add(r, c, 0, NULL), WD_EPERM);
    assert_string_equal(wd_error_last()->id, "WD-L012");
    wd_registry_free(r);
    assert_int_equal(wd_registry_new(&r, NULL, NULL), 0);
    assert_int_equal(wd_registry_add(r, c, 0, NULL), 0);
    /* and it has no library imports to list */
    char *list = NULL;
    assert_int_equal(wd_contract_imports(c, deny, &list), WD_EINVAL);
    assert_string_equal(wd_error_last()->id, "WD-L026");
    assert_null(list);
    wd_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_and_latest),
        cmocka_unit_test(test_listing_order),
        cmocka_unit_test(test_allowlist),
        cmocka_unit_test(test_abi),
        cmocka_unit_test(test_many_threads),
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_audited),
        cmocka_unit_test(test_discovery_owners),
        cmocka_unit_test(test_discovery_unrecorded),
        cmocka_unit_test(test_process_plugins),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
