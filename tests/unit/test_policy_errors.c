/* test_policy_errors.c: every WD-P error id, each with the exact location it must point at,
 * and the guarantees around failure (no policy returned, wd_error_last filled, all errors
 * reported rather than only the first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "warden/warden.h"

typedef struct {
    const char *name;
    const char *yaml;
    const char *id;
    unsigned line, column;
} error_case;

#define V "version: \"1.0\"\n"

static const error_case cases[] = {
    {"empty", "", "WD-P003", 0, 0},
    {"comments only", "# nothing here\n   \n# still nothing\n", "WD-P003", 0, 0},
    {"explicit null document", "~\n", "WD-P003", 0, 0},
    {"bad utf8", V "description: \"caf\xc3\x28\"\n", "WD-P004", 2, 18},
    {"overlong utf8", V "description: \"\xc0\xaf\"\n", "WD-P004", 2, 15},
    {"surrogate utf8", V "description: \"\xed\xa0\x80\"\n", "WD-P004", 2, 15},
    {"syntax", V "permissions: [\n", "WD-P005", 3, 1},
    {"bad indentation", V "permissions:\n  storage:\n allow: []\n", "WD-P005", 4, 2},
    {"anchor", V "permissions: &p {}\n", "WD-P006", 2, 14},
    {"alias", V "description: &d x\npermissions:\n  environment:\n    allow:\n    - key: *d\n",
     "WD-P006", 2, 14},
    {"tag", V "description: !!python/object:os.system x\n", "WD-P007", 2, 14},
    {"local tag", V "permissions: !custom {}\n", "WD-P007", 2, 14},
    {"two documents", V "---\n" V, "WD-P008", 2, 1},
    {"too deep",
     V "description: "
       "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
       "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
     "WD-P009", 2, 77},
    {"duplicate top key", V "version: \"1.1\"\n", "WD-P010", 2, 1},
    {"duplicate rule key",
     V "permissions:\n  storage:\n    allow:\n    - uri: fs:///a\n"
       "      uri: fs:///b\n      access: [read]\n",
     "WD-P010", 6, 7},
    {"unknown top key", V "permission: {}\n", "WD-P011", 2, 1},
    {"unknown rule key",
     V "permissions:\n  storage:\n    allow:\n    - uri: fs:///a\n"
       "      acess: [read]\n",
     "WD-P011", 6, 7},
    {"unknown resources key", V "permissions:\n  resources:\n    limits:\n      gpu: 1\n",
     "WD-P011", 5, 7},
    {"permissions not a map", V "permissions: [storage]\n", "WD-P012", 2, 14},
    {"allow not a list", V "permissions:\n  network:\n    allow:\n      host: a.com\n", "WD-P012",
     5, 7},
    {"access not a list",
     V "permissions:\n  storage:\n    allow:\n    - uri: fs:///a\n"
       "      access: read\n",
     "WD-P012", 6, 15},
    {"root not a map", "- version: 1\n", "WD-P012", 1, 1},
    {"non-scalar key", V "? [a]\n: b\n", "WD-P012", 2, 3},
    {"missing version", "permissions: {}\n", "WD-P013", 1, 1},
    {"missing uri", V "permissions:\n  storage:\n    allow:\n    - access: [read]\n", "WD-P013", 5,
     7},
    {"missing access", V "permissions:\n  storage:\n    allow:\n    - uri: fs:///a\n", "WD-P013", 5,
     7},
    {"missing host and cidr", V "permissions:\n  network:\n    allow:\n    - ports: [443]\n",
     "WD-P013", 5, 7},
    {"empty rule", V "permissions:\n  environment:\n    allow:\n    -\n", "WD-P013", 5, 6},
    {"version 2", "version: \"2.0\"\n", "WD-P014", 1, 10},
    {"version text", "version: latest\n", "WD-P014", 1, 10},
    {"version 1.x.y", "version: 1.0.1\n", "WD-P014", 1, 10},
    {"uri scheme",
     V "permissions:\n  storage:\n    allow:\n    - uri: file:///etc\n"
       "      access: [read]\n",
     "WD-P015", 5, 12},
    {"uri empty path",
     V "permissions:\n  storage:\n    allow:\n    - uri: \"fs://\"\n"
       "      access: [read]\n",
     "WD-P015", 5, 12},
    {"globstar in segment",
     V "permissions:\n  storage:\n    allow:\n    - uri: fs:///a/b**/c\n"
       "      access: [read]\n",
     "WD-P016", 5, 21},
    {"two stars",
     V "permissions:\n  storage:\n    allow:\n    - uri: \"fs:///a/*x*\"\n"
       "      access: [read]\n",
     "WD-P017", 5, 23},
    {"question mark",
     V "permissions:\n  storage:\n    allow:\n    - uri: fs:///a/?.txt\n"
       "      access: [read]\n",
     "WD-P017", 5, 20},
    {"brackets",
     V "permissions:\n  storage:\n    deny:\n    - uri: fs:///a/[ab]\n"
       "      access: [read]\n",
     "WD-P017", 5, 20},
    {"dotdot",
     V "permissions:\n  storage:\n    allow:\n    - uri: fs://work/../etc\n"
       "      access: [read]\n",
     "WD-P018", 5, 22},
    {"dot",
     V "permissions:\n  storage:\n    allow:\n    - uri: fs:///a/./b\n"
       "      access: [read]\n",
     "WD-P018", 5, 20},
    {"bad access",
     V "permissions:\n  storage:\n    allow:\n    - uri: fs:///a\n"
       "      access: [read, wrte]\n",
     "WD-P020", 6, 22},
    {"repeated access",
     V "permissions:\n  storage:\n    allow:\n    - uri: fs:///a\n"
       "      access: [read, read]\n",
     "WD-P020", 6, 22},
    {"empty access",
     V "permissions:\n  storage:\n    allow:\n    - uri: fs:///a\n"
       "      access: []\n",
     "WD-P020", 6, 15},
    {"wildcard mid host", V "permissions:\n  network:\n    allow:\n    - host: a.*.com\n",
     "WD-P021", 5, 13},
    {"host with path", V "permissions:\n  network:\n    allow:\n    - host: a.com/x\n", "WD-P021",
     5, 13},
    {"numeric host", V "permissions:\n  network:\n    allow:\n    - host: \"127.1\"\n", "WD-P021",
     5, 13},
    {"port zero", V "permissions:\n  network:\n    allow:\n    - host: a.com:0\n", "WD-P022", 5,
     13},
    {"ports out of range",
     V "permissions:\n  network:\n    allow:\n    - host: a.com\n"
       "      ports: [443, 70000]\n",
     "WD-P022", 6, 20},
    {"ports empty", V "permissions:\n  network:\n    allow:\n    - host: a.com\n      ports: []\n",
     "WD-P022", 6, 14},
    {"cidr prefix", V "permissions:\n  network:\n    deny:\n    - cidr: 10.0.0.0/33\n", "WD-P023",
     5, 13},
    {"cidr host bits", V "permissions:\n  network:\n    deny:\n    - cidr: 10.0.0.1/8\n", "WD-P023",
     5, 13},
    {"cidr v6 prefix", V "permissions:\n  network:\n    deny:\n    - cidr: \"::/129\"\n", "WD-P023",
     5, 13},
    {"env wildcard", V "permissions:\n  environment:\n    allow:\n    - key: AWS_*\n", "WD-P024", 5,
     16},
    {"env empty", V "permissions:\n  environment:\n    allow:\n    - key: \"\"\n", "WD-P024", 5,
     12},
    {"uri newline",
     V "permissions:\n  storage:\n    allow:\n    - uri: \"fs:///a\\nb\"\n"
       "      access: [read]\n",
     "WD-P015", 5, 12},
    {"env equals", V "permissions:\n  environment:\n    allow:\n    - key: A=B\n", "WD-P024", 5,
     13},
    {"cpu unit", V "permissions:\n  resources:\n    limits:\n      cpu: 500x\n", "WD-P025", 5, 12},
    {"memory unit", V "permissions:\n  resources:\n    limits:\n      memory: 512MB\n", "WD-P025",
     5, 15},
    {"legacy memory with unit", V "permissions:\n  resources:\n    memory: 512Mi\n", "WD-P025", 4,
     13},
    {"timeout", V "permissions:\n  resources:\n    limits:\n      timeout: 10d\n", "WD-P025", 5,
     16},
    {"zero pids", V "permissions:\n  resources:\n    limits:\n      pids: 0\n", "WD-P025", 5, 13},
    {"host and cidr",
     V "permissions:\n  network:\n    allow:\n    - host: a.com\n"
       "      cidr: 10.0.0.0/8\n",
     "WD-P026", 6, 13},
    {"port twice",
     V "permissions:\n  network:\n    allow:\n    - host: a.com:443\n"
       "      ports: [443]\n",
     "WD-P026", 6, 14},
    {"cpu twice", V "permissions:\n  resources:\n    cpu: 50\n    limits:\n      cpu: 1\n",
     "WD-P026", 4, 10},
    /* tools */
    {"tools not a map", V "permissions:\n  tools: [read_file]\n", "WD-P012", 3, 10},
    {"tools allow not a list", V "permissions:\n  tools:\n    allow:\n      name: a\n", "WD-P012",
     5, 7},
    {"tool rule not a map", V "permissions:\n  tools:\n    allow:\n    - read_file\n", "WD-P012", 5,
     7},
    {"tool rule empty", V "permissions:\n  tools:\n    allow:\n    -\n", "WD-P013", 5, 6},
    {"tool rule without name", V "permissions:\n  tools:\n    allow:\n    - {}\n", "WD-P013", 5, 7},
    {"tool name null", V "permissions:\n  tools:\n    allow:\n    - name:\n", "WD-P013", 5, 12},
    {"tool name a list", V "permissions:\n  tools:\n    allow:\n    - name: [a, b]\n", "WD-P012", 5,
     13},
    {"tool rule unknown key",
     V "permissions:\n  tools:\n    allow:\n    - name: a\n      title: A\n", "WD-P011", 6, 7},
    {"tools unknown key", V "permissions:\n  tools:\n    except: []\n", "WD-P011", 4, 5},
    {"tool name empty", V "permissions:\n  tools:\n    allow:\n    - name: \"\"\n", "WD-P027", 5,
     13},
    {"tool name glob", V "permissions:\n  tools:\n    allow:\n    - name: \"read_*\"\n", "WD-P027",
     5, 19},
    {"tool name question mark", V "permissions:\n  tools:\n    allow:\n    - name: read?\n",
     "WD-P027", 5, 17},
    {"tool name two stars", V "permissions:\n  tools:\n    allow:\n    - name: \"**\"\n", "WD-P027",
     5, 14},
    {"tool name space", V "permissions:\n  tools:\n    allow:\n    - name: \"read file\"\n",
     "WD-P027", 5, 18},
    {"tool name colon", V "permissions:\n  tools:\n    deny:\n    - name: fs:read\n", "WD-P027", 5,
     15},
    {"tool name non-ASCII", V "permissions:\n  tools:\n    allow:\n    - name: \"caf\xc3\xa9\"\n",
     "WD-P027", 5, 17},
    {"tool name control", V "permissions:\n  tools:\n    allow:\n    - name: \"a\\tb\"\n",
     "WD-P027", 5, 13},
    {"tool name too long",
     V
     "permissions:\n  tools:\n    allow:\n    - name: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     "WD-P027", 5, 13},
};

static void test_each_error_id(void **state)
{
    (void)state;
    int mismatches = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const error_case *c = &cases[i];
        wd_diagnostics *diags;
        assert_int_equal(wd_diagnostics_new(&diags), 0);
        wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
        opts.data_dir = "/data";
        opts.display_name = "t.yaml";
        opts.diagnostics = diags;
        wd_policy *p = (wd_policy *)0x1;
        int rc = wd_policy_load_buffer(&p, c->yaml, strlen(c->yaml), &opts);
        /* The first error with the expected id (a case may trip an earlier check too). */
        const wd_diag *d = wd_diagnostics_get(diags, 0);
        size_t k = 0;
        while (d && (d->severity != WD_DIAG_ERROR || strcmp(d->id, c->id)))
            d = wd_diagnostics_get(diags, ++k);
        if (rc != WD_EPOLICY || !d || strcmp(d->id, c->id) || d->line != c->line ||
            d->column != c->column) {
            print_error("case \"%s\": rc=%d, first error %s at %u:%u (%s); want %s at %u:%u\n",
                        c->name, rc, d ? d->id : "none", d ? d->line : 0, d ? d->column : 0,
                        d ? d->message : "", c->id, c->line, c->column);
            mismatches++;
            wd_diagnostics_free(diags);
            continue;
        }
        assert_null(p); /* nothing half-built escapes */
        const wd_error *e = wd_error_last();
        assert_int_equal(e->code, WD_EPOLICY);
        assert_string_equal(e->file, "t.yaml");
        if (k == 0) { /* wd_error_last() carries the first error of the load */
            assert_string_equal(e->id, c->id);
            assert_int_equal(e->line, c->line);
        }
        char line[1024];
        wd_diag_format(d, line, sizeof(line));
        assert_non_null(strstr(line, c->id));
        assert_null(strchr(line, '\n'));
        wd_diagnostics_free(diags);
    }
    assert_int_equal(mismatches, 0);
}

static void test_every_error_reported(void **state)
{
    (void)state;
    const char *yaml = V "permissions:\n"
                         "  storage:\n"
                         "    allow:\n"
                         "    - uri: fs:///a/**x\n" /* P016 line 5 */
                         "      access: [read]\n"
                         "    - uri: fs:///b\n"
                         "      access: [reed]\n" /* P020 line 8 */
                         "  network:\n"
                         "    allow:\n"
                         "    - host: \"*.*.com\"\n" /* P021 line 11 */
                         "  environment:\n"
                         "    allow:\n"
                         "    - key: \"X*\"\n" /* P024 line 14 */
                         "  bogus: 1\n";       /* P011 line 15 */
    wd_diagnostics *diags;
    assert_int_equal(wd_diagnostics_new(&diags), 0);
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = "/data";
    opts.diagnostics = diags;
    wd_policy *p = NULL;
    assert_int_equal(wd_policy_load_buffer(&p, yaml, strlen(yaml), &opts), WD_EPOLICY);
    static const char *const ids[] = {"WD-P016", "WD-P020", "WD-P021", "WD-P024", "WD-P011"};
    static const unsigned lines[] = {5, 8, 11, 14, 15};
    assert_int_equal(wd_diagnostics_errors(diags), 5);
    for (size_t i = 0; i < 5; i++) {
        const wd_diag *d = wd_diagnostics_get(diags, i);
        assert_string_equal(d->id, ids[i]);
        assert_int_equal(d->line, lines[i]);
    }
    assert_non_null(strstr(wd_error_last()->message, "5 errors in all"));
    wd_diagnostics_free(diags);
}

static void test_relative_uri_needs_data_dir(void **state)
{
    (void)state;
    const char *yaml = V "permissions:\n  storage:\n    allow:\n    - uri: fs://workspace/**\n"
                         "      access: [read]\n";
    wd_policy *p = NULL;
    assert_int_equal(wd_policy_load_buffer(&p, yaml, strlen(yaml), NULL), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-P019");
    assert_int_equal(wd_error_last()->line, 5);
    assert_null(p);
}

static void test_nul_byte(void **state)
{
    (void)state;
    static const char yaml[] = "version: \"1.0\"\ndescription: a\0b\n";
    wd_policy *p = NULL;
    assert_int_equal(wd_policy_load_buffer(&p, yaml, sizeof(yaml) - 1, NULL), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-P004");
    assert_int_equal(wd_error_last()->line, 2);
    assert_int_equal(wd_error_last()->column, 15);
}

static void test_files(void **state)
{
    (void)state;
    char *dir = wd_test_tmpdir();
    wd_policy *p = NULL;
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;

    /* Missing file: WD_EIO with WD-P001, and the list (when given) records it. */
    char missing[4200];
    snprintf(missing, sizeof(missing), "%s/none.yaml", dir);
    wd_diagnostics *diags;
    assert_int_equal(wd_diagnostics_new(&diags), 0);
    opts.diagnostics = diags;
    assert_int_equal(wd_policy_load(&p, missing, &opts), WD_EIO);
    assert_string_equal(wd_error_last()->id, "WD-P001");
    assert_int_equal(wd_diagnostics_errors(diags), 1);
    assert_null(p);
    wd_diagnostics_free(diags);
    opts.diagnostics = NULL;

    /* A directory is not a policy. */
    assert_int_equal(wd_policy_load(&p, dir, &opts), WD_EIO);
    assert_string_equal(wd_error_last()->id, "WD-P001");

    /* A FIFO must be refused without blocking. */
    char fifo[4200];
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(wd_policy_load(&p, fifo, &opts), WD_EIO);
    assert_string_equal(wd_error_last()->id, "WD-P001");

    /* Over 10 MiB: WD-P002, without reading it all. */
    size_t big = WD_POLICY_MAX_FILE_SIZE + 1;
    char *data = malloc(big);
    assert_non_null(data);
    memset(data, '#', big);
    char *path = wd_test_write(dir, "big.yaml", data, big);
    assert_int_equal(wd_policy_load(&p, path, &opts),
                     WD_EPOLICY); /* too large: invalid, not unreadable */
    assert_string_equal(wd_error_last()->id, "WD-P002");
    assert_int_equal(wd_policy_load_buffer(&p, data, big, &opts), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-P002");
    free(data);
    free(path);

    /* Exactly 10 MiB of comments is within the limit (and then empty). */
    data = malloc(WD_POLICY_MAX_FILE_SIZE);
    assert_non_null(data);
    memset(data, '#', WD_POLICY_MAX_FILE_SIZE);
    assert_int_equal(wd_policy_load_buffer(&p, data, WD_POLICY_MAX_FILE_SIZE, &opts), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-P003");
    free(data);

    /* Unreadable (when not root, who can read anything). */
    path = wd_test_write(dir, "secret.yaml", "version: \"1.0\"\n", 15);
    chmod(path, 0);
    if (geteuid() != 0) {
        assert_int_equal(wd_policy_load(&p, path, &opts), WD_EIO);
        assert_string_equal(wd_error_last()->id, "WD-P001");
    }
    free(path);
    wd_test_rmtree(dir);
}

static void test_byte_order_mark(void **state)
{
    (void)state;
    /* A UTF-8 BOM is accepted and does not shift columns on line 1. */
    const char *yaml = "\xEF\xBB\xBFversion: \"2.0\"\n";
    wd_policy *p = NULL;
    assert_int_equal(wd_policy_load_buffer(&p, yaml, strlen(yaml), NULL), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-P014");
    assert_int_equal(wd_error_last()->line, 1);
    assert_int_equal(wd_error_last()->column, 10);
    const char *ok = "\xEF\xBB\xBFversion: \"1.0\"\npermissions: {}\n";
    assert_int_equal(wd_policy_load_buffer(&p, ok, strlen(ok), NULL), 0);
    wd_policy_free(p);
    /* a BOM in the middle is just text, and not a valid key */
    const char *mid = "version: \"1.0\"\n\xEF\xBB\xBFx: 1\n";
    assert_int_equal(wd_policy_load_buffer(&p, mid, strlen(mid), NULL), WD_EPOLICY);
}

static void test_many_unsorted_diagnostics(void **state)
{
    (void)state;
    /* 100,000 duplicate keys in descending order: sorting them must stay O(n log n). */
    size_t n = 100000;
    char *text = malloc(n * 32 + 64);
    assert_non_null(text);
    size_t cap = n * 32 + 64;
    size_t o = (size_t)snprintf(text, cap, "version: \"1.0\"\nx:\n");
    for (size_t i = n; i > 0; i--)
        o += (size_t)snprintf(text + o, cap - o, "  k%07zu: 1\n  k%07zu: 2\n", i, i);
    wd_diagnostics *d;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.diagnostics = d;
    wd_policy *p = NULL;
    assert_int_equal(wd_policy_load_buffer(&p, text, o, &opts), WD_EPOLICY);
    assert_true(wd_diagnostics_count(d) >= n);
    for (size_t i = 1; i < wd_diagnostics_count(d); i++)
        assert_true(wd_diagnostics_get(d, i - 1)->line <= wd_diagnostics_get(d, i)->line);
    wd_diagnostics_free(d);
    free(text);
}

static void test_hostile_values_in_messages(void **state)
{
    (void)state;
    /* A NUL inside a value (a legal YAML escape) would truncate it silently: refused. */
    const char *nul = V "description: \"a\\0b\"\n";
    wd_policy *p = NULL;
    assert_int_equal(wd_policy_load_buffer(&p, nul, strlen(nul), NULL), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-P004");
    const char *acc = V "permissions:\n  storage:\n    allow:\n    - uri: fs:///a\n"
                        "      access: [\"read\\0x\"]\n";
    assert_int_equal(wd_policy_load_buffer(&p, acc, strlen(acc), NULL), WD_EPOLICY);
    /* A long value full of control characters is quoted into a bounded, one-line message
     * (found by fuzzing: the quoting wrote past its buffer). */
    char yaml[512] = "version: \"a";
    for (int i = 0; i < 40; i++)
        wd_test_append(yaml, sizeof(yaml), "\\x01");
    wd_test_append(yaml, sizeof(yaml), "\"\n");
    assert_int_equal(wd_policy_load_buffer(&p, yaml, strlen(yaml), NULL), WD_EPOLICY);
    const char *msg = wd_error_last()->message;
    assert_string_equal(wd_error_last()->id, "WD-P014");
    assert_non_null(strstr(msg, "\\x01"));
    assert_non_null(strstr(msg, "...\""));
    assert_null(strchr(msg, '\n'));
    assert_null(strchr(msg, '\x01'));
}

static void test_bad_options(void **state)
{
    (void)state;
    wd_policy *p = NULL;
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.version = 99;
    assert_int_equal(wd_policy_load_buffer(&p, V, strlen(V), &opts), WD_EINVAL);
    opts.version = WD_POLICY_OPTIONS_VERSION;
    opts.data_dir = "relative/dir";
    assert_int_equal(wd_policy_load_buffer(&p, V, strlen(V), &opts), WD_EINVAL);
    opts.data_dir = "/../x";
    assert_int_equal(wd_policy_load_buffer(&p, V, strlen(V), &opts), WD_EINVAL);
    assert_int_equal(wd_policy_load_buffer(NULL, V, strlen(V), NULL), WD_EINVAL);
    assert_int_equal(wd_policy_load_buffer(&p, NULL, 3, NULL), WD_EINVAL);
    assert_int_equal(wd_policy_load(&p, NULL, NULL), WD_EINVAL);
    assert_null(p);
}

static void test_warnings_do_not_fail(void **state)
{
    (void)state;
    const char *yaml = V "permissions:\n  runtime:\n    docker: {}\n  ipc:\n    allow: []\n"
                         "  resources:\n    io: 100\n";
    wd_diagnostics *diags;
    assert_int_equal(wd_diagnostics_new(&diags), 0);
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.diagnostics = diags;
    wd_policy *p = NULL;
    assert_int_equal(wd_policy_load_buffer(&p, yaml, strlen(yaml), &opts), 0);
    assert_int_equal(wd_diagnostics_count(diags), 3);
    assert_int_equal(wd_diagnostics_errors(diags), 0);
    /* sorted top to bottom */
    assert_int_equal(wd_diagnostics_get(diags, 0)->line, 3);
    assert_int_equal(wd_diagnostics_get(diags, 1)->line, 5);
    assert_int_equal(wd_diagnostics_get(diags, 2)->line, 8);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(wd_diagnostics_get(diags, i)->id, "WD-W001");
    wd_policy_free(p);
    wd_diagnostics_free(diags);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_error_id),
        cmocka_unit_test(test_every_error_reported),
        cmocka_unit_test(test_relative_uri_needs_data_dir),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_byte_order_mark),
        cmocka_unit_test(test_many_unsorted_diagnostics),
        cmocka_unit_test(test_hostile_values_in_messages),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_warnings_do_not_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
