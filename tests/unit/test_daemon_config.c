/* test_daemon_config.c: wardend's warden.yaml (src/daemon/config.c): valid full and minimal
 * configurations, defaults, path resolution, every WD-C id at its location, token files and
 * the uid and token lookups. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"
#include "helpers.h"
#include "warden/diag.h"
#include "warden/error.h"

#define ANY UINT_MAX /* position not checked */

/* Three lines: the smallest listen section. */
#define HEAD "version: 1\nlisten:\n  unix: /run/w.sock\n"
/* Four lines: with a TCP listener. */
#define HEAD_TCP "version: 1\nlisten:\n  unix: /run/w.sock\n  tcp: 127.0.0.1:8787\n"
/* Eight lines: name, policies, audit, log, keys, clients, then the clients (two lines each). */
#define TENANT(n, pol, log, keys, clients)                                                         \
    "  - name: " n "\n    policies: " pol "\n    audit:\n      log: " log "\n      keys: " keys    \
    "\n    clients:\n" clients
#define UIDC(u, r) "      - uid: " u "\n        role: " r "\n"
#define TOKC(f, r) "      - token_file: " f "\n        role: " r "\n"
#define TA TENANT("a", "/p/a", "/l/a", "/k/a", UIDC("1000", "admin"))
#define TB TENANT("b", "/p/b", "/l/b", "/k/b", UIDC("1001", "reader"))
#define VALID HEAD "tenants:\n" TA

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
    dir = NULL;
    return 0;
}

static int parse(const char *yaml, wdd_config **out, wd_diagnostics *d)
{
    return wdd_config_parse(out, yaml, strlen(yaml), "w.yaml", "/etc/warden", d);
}

static void dump(const wd_diagnostics *d)
{
    char line[600];
    for (size_t i = 0; i < wd_diagnostics_count(d); i++) {
        wd_diag_format(wd_diagnostics_get(d, i), line, sizeof(line));
        print_message("  %s\n", line);
    }
}

static wdd_config *parse_ok(const char *yaml)
{
    wd_diagnostics *d = NULL;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    wdd_config *c = NULL;
    int rc = parse(yaml, &c, d);
    if (rc)
        dump(d);
    assert_int_equal(rc, 0);
    assert_non_null(c);
    assert_int_equal(wd_diagnostics_count(d), 0);
    wd_diagnostics_free(d);
    return c;
}

/* True when d holds an error id at line:col (ANY: anywhere). */
static bool has(const wd_diagnostics *d, const char *id, unsigned line, unsigned col)
{
    for (size_t i = 0; i < wd_diagnostics_count(d); i++) {
        const wd_diag *e = wd_diagnostics_get(d, i);
        if (e->severity == WD_DIAG_ERROR && !strcmp(e->id, id) &&
            (line == ANY || e->line == line) && (col == ANY || e->column == col))
            return true;
    }
    return false;
}

typedef struct {
    const char *name, *yaml, *id;
    unsigned line, column;
} bad_case;

static const bad_case bad[] = {
    /* the text and its YAML */
    {"not utf-8",
     HEAD "runner: \xff\n"
          "tenants:\n" TA,
     "WD-C003", 4, 9},
    {"nul byte", "version: 1\n\0", "WD-C003", 2, 1},
    {"syntax", HEAD "tenants: [\n", "WD-C004", ANY, ANY},
    {"anchor", "version: &v 1\nlisten:\n  unix: /run/w.sock\ntenants:\n" TA, "WD-C004", 1, 10},
    {"tag", "version: !!int 1\nlisten:\n  unix: /s\ntenants:\n" TA, "WD-C004", ANY, ANY},
    {"duplicate key", HEAD "version: 1\ntenants:\n" TA, "WD-C004", 4, 1},
    {"two documents", VALID "---\nversion: 1\n", "WD-C004", ANY, ANY},
    /* shape */
    {"unknown key", HEAD "colour: blue\ntenants:\n" TA, "WD-C005", 4, 1},
    {"unknown listen key", "version: 1\nlisten:\n  unix: /s\n  port: 80\ntenants:\n" TA, "WD-C005",
     4, 3},
    {"unknown limits key", HEAD "limits:\n  max_bodies: 1\ntenants:\n" TA, "WD-C005", 5, 3},
    {"unknown tenant key", HEAD "tenants:\n" TA "    colour: blue\n", "WD-C005", 13, 5},
    {"unknown baseline key",
     HEAD "tenants:\n" TA "    baseline: {manifest: /m, pubkey: /k, x: 1}\n", "WD-C005", 13, 42},
    {"unknown client key", HEAD "tenants:\n" TA "        name: x\n", "WD-C005", 13, 9},
    {"listen is a scalar", "version: 1\nlisten: /run/w.sock\ntenants:\n" TA, "WD-C006", 2, 9},
    {"root is a sequence", "- version\n", "WD-C006", 1, 1},
    {"tenants is a mapping", HEAD "tenants:\n  name: a\n", "WD-C006", 5, 3},
    {"contracts is a scalar", HEAD "tenants:\n" TA "    contracts: /c\n", "WD-C006", 13, 16},
    {"uid is a list",
     HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", "      - uid: [1]\n        role: admin\n"),
     "WD-C006", 11, 14},
    {"empty document", "# nothing\n", "WD-C007", 0, 0},
    {"no version", "listen:\n  unix: /s\ntenants:\n" TA, "WD-C007", 1, 1},
    {"no listen", "version: 1\ntenants:\n" TA, "WD-C007", 1, 1},
    {"empty listen", "version: 1\nlisten:\ntenants:\n" TA, "WD-C007", 2, 8},
    {"no unix", "version: 1\nlisten:\n  mode: \"0600\"\ntenants:\n" TA, "WD-C007", 3, 3},
    {"no tenants", HEAD, "WD-C007", 1, 1},
    {"empty tenants", HEAD "tenants: []\n", "WD-C007", 4, 10},
    {"empty policies", HEAD "tenants:\n" TENANT("a", "\"\"", "/l", "/k", UIDC("1", "admin")),
     "WD-C007", 6, 15},
    {"null audit.log", HEAD "tenants:\n" TENANT("a", "/p", "~", "/k", UIDC("1", "admin")),
     "WD-C007", 8, 12},
    {"no policies",
     HEAD "tenants:\n  - name: a\n    audit: {log: /l, keys: /k}\n    clients: [{uid: 1, role: "
          "admin}]\n",
     "WD-C007", 5, 5},
    {"no audit",
     HEAD "tenants:\n  - name: a\n    policies: /p\n    clients: [{uid: 1, role: admin}]\n",
     "WD-C007", 5, 5},
    {"no audit.keys",
     HEAD "tenants:\n  - name: a\n    policies: /p\n    audit: {log: /l}\n    clients: [{uid: 1, "
          "role: admin}]\n",
     "WD-C007", 7, 12},
    {"no name",
     HEAD "tenants:\n  - policies: /p\n    audit: {log: /l, keys: /k}\n    clients: [{uid: 1, "
          "role: admin}]\n",
     "WD-C007", 5, 5},
    {"no clients", HEAD "tenants:\n  - name: a\n    policies: /p\n    audit: {log: /l, keys: /k}\n",
     "WD-C007", 5, 5},
    {"empty clients", HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", "") "\n", "WD-C007", ANY,
     ANY},
    {"no role", HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", "      - uid: 1\n"), "WD-C007", 11,
     9},
    {"empty client", HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", "      -\n"), "WD-C007", ANY,
     ANY},
    {"half a baseline", HEAD "tenants:\n" TA "    baseline: {manifest: /m}\n", "WD-C007", 13, 15},
    {"empty baseline", HEAD "tenants:\n" TA "    baseline:\n", "WD-C007", ANY, ANY},
    {"version 2", "version: 2\nlisten:\n  unix: /s\ntenants:\n" TA, "WD-C008", 1, 10},
    {"version 1.0", "version: 1.0\nlisten:\n  unix: /s\ntenants:\n" TA, "WD-C008", 1, 10},
    /* listen */
    {"mode not octal", HEAD "  mode: \"0669\"\ntenants:\n" TA, "WD-C009", 4, 9},
    {"mode with setuid", HEAD "  mode: \"4660\"\ntenants:\n" TA, "WD-C009", 4, 9},
    {"mode too short", HEAD "  mode: \"66\"\ntenants:\n" TA, "WD-C009", 4, 9},
    {"mode for others", HEAD "  mode: \"0664\"\ntenants:\n" TA, "WD-C010", 4, 9},
    {"mode 0777", HEAD "  mode: \"777\"\ntenants:\n" TA, "WD-C010", 4, 9},
    {"tcp not loopback",
     HEAD "  tcp: 10.0.0.1:80\ntenants:\n" TENANT("a", "/p", "/l", "/k", TOKC("/t", "admin")),
     "WD-C011", 4, 8},
    {"tcp any address", HEAD "  tcp: 0.0.0.0:80\ntenants:\n" TA, "WD-C011", 4, 8},
    {"tcp name", HEAD "  tcp: localhost:80\ntenants:\n" TA, "WD-C011", 4, 8},
    {"tcp no port", HEAD "  tcp: 127.0.0.1\ntenants:\n" TA, "WD-C011", 4, 8},
    {"tcp port 0", HEAD "  tcp: 127.0.0.1:0\ntenants:\n" TA, "WD-C011", 4, 8},
    {"tcp port 65536", HEAD "  tcp: 127.0.0.1:65536\ntenants:\n" TA, "WD-C011", 4, 8},
    {"tcp ipv6 not loopback", HEAD "  tcp: \"[::2]:80\"\ntenants:\n" TA, "WD-C011", 4, 8},
    {"tcp ipv6 unbracketed", HEAD "  tcp: \"::1:80\"\ntenants:\n" TA, "WD-C011", 4, 8},
    {"tcp octal-looking", HEAD "  tcp: 0177.0.0.1:80\ntenants:\n" TA, "WD-C011", 4, 8},
    /* limits */
    {"timeout 2h", HEAD "limits:\n  timeout: 2h\ntenants:\n" TA, "WD-C012", 5, 12},
    {"timeout fraction", HEAD "limits:\n  timeout: 1500ms\ntenants:\n" TA, "WD-C012", 5, 12},
    {"timeout zero", HEAD "limits:\n  timeout: 0s\ntenants:\n" TA, "WD-C012", 5, 12},
    {"invoke_timeout short", HEAD "limits:\n  invoke_timeout: 500ms\ntenants:\n" TA, "WD-C012", 5,
     19},
    {"max_body tiny", HEAD "limits:\n  max_body: 512\ntenants:\n" TA, "WD-C012", 5, 13},
    {"max_body unit", HEAD "limits:\n  max_body: 1MB\ntenants:\n" TA, "WD-C012", 5, 13},
    {"max_header big", HEAD "limits:\n  max_header: 2MiB\ntenants:\n" TA, "WD-C012", 5, 15},
    {"max_connections 0", HEAD "limits:\n  max_connections: 0\ntenants:\n" TA, "WD-C012", 5, 20},
    {"max_connections_per_peer 0", HEAD "limits:\n  max_connections_per_peer: 0\ntenants:\n" TA,
     "WD-C012", 5, 29},
    {"max_connections_per_peer big",
     HEAD "limits:\n  max_connections_per_peer: 65537\ntenants:\n" TA, "WD-C012", 5, 29},
    {"head_timeout short", HEAD "limits:\n  head_timeout: 50ms\ntenants:\n" TA, "WD-C012", 5, 17},
    {"head_timeout long", HEAD "limits:\n  head_timeout: 2h\ntenants:\n" TA, "WD-C012", 5, 17},
    {"head_timeout no unit", HEAD "limits:\n  head_timeout: abc\ntenants:\n" TA, "WD-C012", 5, 17},
    {"max_connections big", HEAD "limits:\n  max_connections: 65537\ntenants:\n" TA, "WD-C012", 5,
     20},
    {"max_batch big", HEAD "limits:\n  max_batch: 10000001\ntenants:\n" TA, "WD-C012", 5, 14},
    {"max_batch sign", HEAD "limits:\n  max_batch: -5\ntenants:\n" TA, "WD-C012", 5, 14},
    /* tenants */
    {"name starts with -", HEAD "tenants:\n" TENANT("-a", "/p", "/l", "/k", UIDC("1", "admin")),
     "WD-C013", 5, 11},
    {"name uppercase", HEAD "tenants:\n" TENANT("Demo", "/p", "/l", "/k", UIDC("1", "admin")),
     "WD-C013", 5, 11},
    {"name too long",
     HEAD "tenants:\n" TENANT("a1234567890123456789012345678901234567890123456789012345678901234",
                              "/p", "/l", "/k", UIDC("1", "admin")),
     "WD-C013", 5, 11},
    {"name twice", HEAD "tenants:\n" TA TENANT("a", "/p/b", "/l/b", "/k/b", UIDC("1001", "admin")),
     "WD-C014", 13, 11},
    {"unknown role", HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", UIDC("1", "root")), "WD-C015",
     12, 15},
    {"unknown durability",
     HEAD "tenants:\n" TA "    overrides: /o\n"
          "  - name: b\n    policies: /p/b\n    audit: {log: /l/b, keys: /k/b, durability: "
          "sometimes}\n    clients: [{uid: 2, role: admin}]\n",
     "WD-C015", 16, 48},
    {"unknown decisions",
     HEAD "tenants:\n  - name: a\n    policies: /p\n    audit: {log: /l, keys: /k, decisions: "
          "most}\n    clients: [{uid: 1, role: admin}]\n",
     "WD-C015", 7, 43},
    {"bad group", HEAD "  group: \"-wheel\"\ntenants:\n" TA, "WD-C015", 4, 10},
    {"bad allowlist entry", HEAD "tenants:\n" TA "    allowlist: [acme, Acme]\n", "WD-C015", 13,
     23},
    {"uid too big", HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", UIDC("4294967295", "admin")),
     "WD-C016", 11, 14},
    {"uid negative", HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", UIDC("-1", "admin")),
     "WD-C016", 11, 14},
    {"uid leading zero", HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", UIDC("01000", "admin")),
     "WD-C016", 11, 14},
    {"uid a name", HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", UIDC("root", "admin")),
     "WD-C016", 11, 14},
    {"uid and token",
     HEAD_TCP "tenants:\n" TENANT("a", "/p", "/l", "/k",
                                  "      - uid: 1\n        token_file: /t\n        role: admin\n"),
     "WD-C017", 12, 9},
    {"neither uid nor token",
     HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", "      - role: admin\n"), "WD-C017", 11, 9},
    {"uid in two tenants",
     HEAD "tenants:\n" TA TENANT("b", "/p/b", "/l/b", "/k/b", UIDC("1000", "reader")), "WD-C018",
     19, 9},
    {"uid twice in a tenant",
     HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", UIDC("7", "admin") UIDC("7", "reader")),
     "WD-C018", 13, 9},
    {"token file twice",
     HEAD_TCP
     "tenants:\n" TENANT("a", "/p", "/l", "/k", TOKC("/t", "admin") TOKC("/x/../t", "reader")),
     "WD-C018", 14, 9},
    {"token without tcp", HEAD "tenants:\n" TENANT("a", "/p", "/l", "/k", TOKC("/t", "admin")),
     "WD-C019", 11, 9},
    {"tcp without token", HEAD_TCP "tenants:\n" TA, "WD-C020", 4, 8},
    {"same policies", HEAD "tenants:\n" TA TENANT("b", "/p/a", "/l/b", "/k/b", UIDC("2", "admin")),
     "WD-C021", 14, 15},
    {"log inside another's log",
     HEAD "tenants:\n" TA TENANT("b", "/p/b", "/l/a/b", "/k/b", UIDC("2", "admin")), "WD-C021", 16,
     12},
    {"keys hold another's keys",
     HEAD "tenants:\n" TA TENANT("b", "/p/b", "/l/b", "/k", UIDC("2", "admin")), "WD-C021", 17, 13},
    {"policies are another's keys",
     HEAD "tenants:\n" TA TENANT("b", "/k/a/", "/l/b", "/k/b", UIDC("2", "admin")), "WD-C021", 14,
     15},
    {"overrides are another's log",
     HEAD "tenants:\n" TA TENANT("b", "/p/b", "/l/b", "/k/b",
                                 UIDC("2", "admin")) "    overrides: /l/a/../a\n",
     "WD-C021", 21, 16},
    {"root is shared with everything",
     HEAD "tenants:\n" TA TENANT("b", "/", "/l/b", "/k/b", UIDC("2", "admin")), "WD-C021", 14, 15},
    /* paths */
    {"path above /", HEAD "tenants:\n" TENANT("a", "../../../..", "/l", "/k", UIDC("1", "admin")),
     "WD-C022", 6, 15},
    {"socket path too long",
     "version: 1\nlisten:\n  unix: /run/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaa.sock\ntenants:\n" TA,
     "WD-C022", 3, 9},
    {"glob with ..", HEAD "tenants:\n" TA "    protected: [/srv/../etc]\n", "WD-C022", 13, 17},
    {"glob ** in a segment", HEAD "tenants:\n" TA "    protected: [/srv/a**]\n", "WD-C022", 13, 17},
    {"glob two stars", HEAD "tenants:\n" TA "    protected: [/srv/*a*]\n", "WD-C022", 13, 17},
    {"contracts dir above /", HEAD "tenants:\n" TA "    contracts: [/c, /../..]\n", "WD-C022", 13,
     21},
    /* the review gate (issue 12): what `warden plugin list` takes, per tenant */
    {"review_required not a boolean",
     HEAD "tenants:\n" TA "    trust: /t\n    review_required: maybe\n", "WD-C015", 14, 22},
    {"review_required without trust", HEAD "tenants:\n" TA "    review_required: true\n", "WD-C007",
     13, 22},
    {"review optional without trust", HEAD "tenants:\n" TA "    review_required: false\n",
     "WD-C007", 13, 22},
    {"deny_imports not a symbol", HEAD "tenants:\n" TA "    deny_imports: [system, \"a b\"]\n",
     "WD-C015", 13, 28},
    {"deny_imports leading digit", HEAD "tenants:\n" TA "    deny_imports: [1abc]\n", "WD-C015", 13,
     20},
    {"deny_imports not a list", HEAD "tenants:\n" TA "    deny_imports: system\n", "WD-C006", 13,
     19},
    {"approved above /", HEAD "tenants:\n" TA "    approved: ../../..\n", "WD-C022", 13, 15},
};

/* The tenant's review gate: trust with review required (the default), or optional; approved
 * library hashes; a deny list of imports (NULL-terminated, as discovery takes it). */
static void test_review_gate(void **state)
{
    (void)state;
    wdd_config *c = parse_ok(HEAD "tenants:\n" TA "    trust: trust\n    approved: approved.txt\n"
                                  "    deny_imports: [system, execve, dlopen@GLIBC_2.34]\n" TB
                                  "    trust: /t\n    review_required: false\n"
                                  "    deny_imports: []\n");
    const wdd_tenant *a = &c->tenants[0], *b = &c->tenants[1];
    assert_string_equal(a->trust, "/etc/warden/trust");
    assert_false(a->review_optional);
    assert_string_equal(a->approved, "/etc/warden/approved.txt");
    assert_int_equal(a->ndeny_imports, 3);
    assert_string_equal(a->deny_imports[0], "system");
    assert_string_equal(a->deny_imports[2], "dlopen@GLIBC_2.34");
    assert_null(a->deny_imports[3]);
    assert_true(b->review_optional);
    assert_null(b->approved);
    assert_null(b->deny_imports); /* an empty list denies nothing */
    wdd_config_free(c);
    c = parse_ok(VALID);
    assert_null(c->tenants[0].trust);
    assert_false(c->tenants[0].review_optional);
    assert_null(c->tenants[0].approved);
    assert_null(c->tenants[0].deny_imports);
    wdd_config_free(c);
}

static void test_rejections(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const bad_case *b = &bad[i];
        wd_diagnostics *d = NULL;
        assert_int_equal(wd_diagnostics_new(&d), 0);
        wdd_config *c = (wdd_config *)1;
        /* The NUL case needs its length: everything else is a C string. */
        size_t len = !strcmp(b->name, "nul byte") ? 12 : strlen(b->yaml);
        int rc = wdd_config_parse(&c, b->yaml, len, "w.yaml", "/etc/warden", d);
        bool found = has(d, b->id, b->line, b->column);
        if (rc != WD_EPOLICY || !found) {
            print_error("case \"%s\": rc %d, wanted %s at %u:%u; got:\n", b->name, rc, b->id,
                        b->line, b->column);
            dump(d);
        }
        assert_int_equal(rc, WD_EPOLICY);
        assert_null(c);
        assert_true(found);
        /* Every diagnostic speaks in WD-C ids and names the file. */
        for (size_t k = 0; k < wd_diagnostics_count(d); k++) {
            assert_memory_equal(wd_diagnostics_get(d, k)->id, "WD-C", 4);
            assert_string_equal(wd_diagnostics_get(d, k)->file, "w.yaml");
        }
        wd_diagnostics_free(d);
    }
}

/* WD-C002 through parse, WD-C023 for each limited list. */
static void test_sizes_and_counts(void **state)
{
    (void)state;
    size_t big = (1u << 20) + 1;
    char *text = malloc(big + 1);
    assert_non_null(text);
    memset(text, '#', big);
    text[big] = '\0';
    wd_diagnostics *d = NULL;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    wdd_config *c = NULL;
    assert_int_equal(wdd_config_parse(&c, text, big, "w.yaml", "/", d), WD_EPOLICY);
    assert_true(has(d, "WD-C002", 0, 0));
    free(text);
    wd_diagnostics_free(d);

    /* 257 tenants, 4097 clients, 1025 allowlist entries, 1025 contracts, 1025 globs. */
    static const char *const lists[] = {"allowlist: [", "contracts: [", "protected: ["};
    for (int which = 0; which < 5; which++) {
        size_t cap = 1 << 20, o = 0;
        char *y = malloc(cap);
        assert_non_null(y);
        o += (size_t)snprintf(y + o, cap - o, HEAD "tenants:\n");
        if (which == 0) {
            for (int t = 0; t < 257; t++)
                o += (size_t)snprintf(y + o, cap - o,
                                      "  - {name: t%d, policies: /p/%d, audit: {log: /l/%d, keys: "
                                      "/k/%d}, clients: [{uid: %d, role: admin}]}\n",
                                      t, t, t, t, t);
        } else if (which == 1) {
            o += (size_t)snprintf(y + o, cap - o, TENANT("a", "/p", "/l", "/k", ""));
            for (int u = 0; u < 4097; u++)
                o += (size_t)snprintf(y + o, cap - o, "      - {uid: %d, role: reader}\n", u);
        } else {
            o += (size_t)snprintf(y + o, cap - o, TA "    %s", lists[which - 2]);
            for (int k = 0; k < 1025; k++)
                o += (size_t)snprintf(y + o, cap - o, "%s/x%d", k ? ", " : "",
                                      k); /* "/x1" is a fine glob and directory, not an id */
            o += (size_t)snprintf(y + o, cap - o, "]\n");
        }
        assert_true(o < cap);
        assert_int_equal(wd_diagnostics_new(&d), 0);
        int rc = wdd_config_parse(&c, y, o, "w.yaml", "/", d);
        if (!has(d, "WD-C023", ANY, ANY))
            dump(d);
        assert_int_equal(rc, WD_EPOLICY);
        assert_true(has(d, "WD-C023", ANY, ANY));
        wd_diagnostics_free(d);
        free(y);
    }
}

static void test_minimal_defaults(void **state)
{
    (void)state;
    wdd_config *c = parse_ok("version: 1\nlisten: {unix: wardend.sock}\ntenants:\n  - {name: "
                             "a, policies: p, audit: {log: l, keys: k}, clients: [{uid: 0, role: "
                             "reader}]}\n");
    assert_string_equal(c->path, "/etc/warden/w.yaml");
    assert_string_equal(c->unix_path, "/etc/warden/wardend.sock");
    assert_int_equal(c->unix_mode, 0660);
    assert_null(c->unix_group);
    assert_null(c->tcp_host);
    assert_int_equal(c->tcp_port, 0);
    assert_int_equal(c->max_body, 1 << 20);
    assert_int_equal(c->max_header, 16 << 10);
    assert_int_equal(c->timeout_s, 10);
    assert_int_equal(c->max_connections, 256);
    assert_int_equal(c->max_batch, 10000);
    assert_int_equal(c->invoke_timeout_ms, 10000);
    assert_null(c->runner);
    assert_int_equal(c->ntenants, 1);
    const wdd_tenant *t = &c->tenants[0];
    assert_string_equal(t->name, "a");
    assert_int_equal(t->ncontracts, 0);
    assert_null(t->trust);
    assert_false(t->allowlist_set);
    assert_int_equal(t->nallowlist, 0);
    assert_string_equal(t->policies, "/etc/warden/p");
    assert_string_equal(t->audit_log, "/etc/warden/l");
    assert_string_equal(t->audit_keys, "/etc/warden/k");
    assert_int_equal(t->durability, WD_DURABILITY_BATCH);
    assert_int_equal(t->audit_decisions, WDD_AUDIT_ALL);
    assert_null(t->overrides);
    assert_null(t->baseline);
    assert_null(t->baseline_pubkey);
    assert_int_equal(t->nprotected, 0);
    assert_int_equal(t->nclients, 1);
    assert_int_equal(t->clients[0].uid, 0);
    assert_null(t->clients[0].token_file);
    assert_int_equal(t->clients[0].token_len, 0);
    assert_int_equal(t->clients[0].role, WDD_ROLE_READER);
    assert_int_equal(t->line, 4);
    assert_int_equal(t->column, 5);
    wdd_config_free(c);
}

static const char full[] =
    "version: 1\n"
    "listen:\n"
    "  unix: /run/warden/wardend.sock\n"
    "  mode: \"0600\"\n"
    "  group: warden\n"
    "  tcp: 127.0.0.2:8787\n"
    "limits:\n"
    "  max_body: 2MiB\n"
    "  max_header: 32Ki\n"
    "  timeout: 1m30s\n"
    "  max_connections: 65536\n"
    "  max_batch: 10000000\n"
    "  invoke_timeout: 1500ms\n"
    "runner: /usr/libexec/warden//warden-runner\n"
    "tenants:\n"
    "  - name: prod\n"
    "    contracts: [/etc/warden/plugins, plugins.d/../extra]\n"
    "    trust: trust\n"
    "    allowlist: [acme, acme.files]\n"
    "    policies: /var/lib/warden/prod/policies/\n"
    "    audit:\n"
    "      log: /var/log/warden/prod\n"
    "      keys: /etc/warden/prod/keys\n"
    "      durability: always\n"
    "      decisions: deny\n"
    "    overrides: /var/lib/warden/prod/overrides\n"
    "    baseline: {manifest: prod/baseline.json, pubkey: /etc/warden/prod/baseline.pub}\n"
    "    protected: [/srv/prod/**, /etc/prod/*.conf, state]\n"
    "    clients:\n"
    "      - uid: 1000\n"
    "        role: operator\n"
    "      - token_file: prod/ci.token\n"
    "        role: admin\n"
    "  - name: staging_2\n"
    "    allowlist: []\n"
    "    policies: /var/lib/warden/staging/policies\n"
    "    audit: {log: /var/log/warden/staging, keys: /etc/warden/staging/keys, durability: none, "
    "decisions: none}\n"
    "    clients:\n"
    "      - {uid: 4294967294, role: reader}\n"
    "      - {uid: 0, role: admin}\n";

static void test_full(void **state)
{
    (void)state;
    wdd_config *c = parse_ok(full);
    assert_string_equal(c->unix_path, "/run/warden/wardend.sock");
    assert_int_equal(c->unix_mode, 0600);
    assert_string_equal(c->unix_group, "warden");
    assert_string_equal(c->tcp_host, "127.0.0.2");
    assert_int_equal(c->tcp_port, 8787);
    assert_int_equal(c->max_body, 2 << 20);
    assert_int_equal(c->max_header, 32 << 10);
    assert_int_equal(c->timeout_s, 90);
    assert_int_equal(c->max_connections, 65536);
    assert_int_equal(c->max_batch, 10000000);
    assert_int_equal(c->invoke_timeout_ms, 1500);
    assert_string_equal(c->runner, "/usr/libexec/warden/warden-runner");
    assert_int_equal(c->ntenants, 2);

    const wdd_tenant *p = &c->tenants[0];
    assert_string_equal(p->name, "prod");
    assert_int_equal(p->ncontracts, 2);
    assert_string_equal(p->contracts[0], "/etc/warden/plugins");
    assert_string_equal(p->contracts[1], "/etc/warden/extra");
    assert_string_equal(p->trust, "/etc/warden/trust");
    assert_true(p->allowlist_set);
    assert_int_equal(p->nallowlist, 2);
    assert_string_equal(p->allowlist[0], "acme");
    assert_string_equal(p->allowlist[1], "acme.files");
    assert_string_equal(p->policies, "/var/lib/warden/prod/policies");
    assert_string_equal(p->audit_log, "/var/log/warden/prod");
    assert_string_equal(p->audit_keys, "/etc/warden/prod/keys");
    assert_int_equal(p->durability, WD_DURABILITY_ALWAYS);
    assert_int_equal(p->audit_decisions, WDD_AUDIT_DENY);
    assert_string_equal(p->overrides, "/var/lib/warden/prod/overrides");
    assert_string_equal(p->baseline, "/etc/warden/prod/baseline.json");
    assert_string_equal(p->baseline_pubkey, "/etc/warden/prod/baseline.pub");
    assert_int_equal(p->nprotected, 3);
    assert_string_equal(p->protected_globs[0], "/srv/prod/**");
    assert_string_equal(p->protected_globs[1], "/etc/prod/*.conf");
    assert_string_equal(p->protected_globs[2], "/etc/warden/state");
    assert_int_equal(p->nclients, 2);
    assert_int_equal(p->clients[0].uid, 1000);
    assert_int_equal(p->clients[0].role, WDD_ROLE_OPERATOR);
    assert_int_equal(p->clients[0].line, 30);
    assert_int_equal(p->clients[0].column, 9);
    assert_int_equal(p->clients[1].uid, -1);
    assert_string_equal(p->clients[1].token_file, "/etc/warden/prod/ci.token");
    assert_int_equal(p->clients[1].token_len, 0); /* parse never reads token files */
    assert_int_equal(p->clients[1].role, WDD_ROLE_ADMIN);

    const wdd_tenant *s = &c->tenants[1];
    assert_string_equal(s->name, "staging_2");
    assert_true(s->allowlist_set); /* present and empty: nothing may register */
    assert_int_equal(s->nallowlist, 0);
    assert_int_equal(s->durability, WD_DURABILITY_NONE);
    assert_int_equal(s->audit_decisions, WDD_AUDIT_NONE);
    assert_int_equal(s->clients[0].uid, 4294967294L);
    wdd_config_free(c);
}

static void test_ipv6_and_variants(void **state)
{
    (void)state;
    wdd_config *c =
        parse_ok("version: 1\nlisten:\n  unix: /s\n  tcp: \"[::1]:1\"\n  mode: '640'\n"
                 "limits: {timeout: 3600, max_body: 1GiB, max_header: 1Ki, invoke_timeout: 1h}\n"
                 "tenants:\n" TENANT("a-0", "/p", "/l", "/k", TOKC("/t", "reader")));
    assert_string_equal(c->tcp_host, "::1");
    assert_int_equal(c->tcp_port, 1);
    assert_int_equal(c->unix_mode, 0640);
    assert_int_equal(c->timeout_s, 3600);
    assert_int_equal(c->max_body, 1 << 30);
    assert_int_equal(c->max_header, 1024);
    assert_int_equal(c->invoke_timeout_ms, 3600000);
    wdd_config_free(c);
    /* Neighbouring tenants whose names share a prefix do not nest: /p/a and /p/ab. */
    c = parse_ok(HEAD "tenants:\n" TA TENANT("ab", "/p/ab", "/l/ab", "/k/ab", UIDC("2", "admin")));
    wdd_config_free(c);
}

/* One run reports every problem, sorted top to bottom; the first is wd_error_last(). */
static void test_collects_every_error(void **state)
{
    (void)state;
    wd_diagnostics *d = NULL;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    wdd_config *c = NULL;
    const char *y = "version: 3\n"
                    "listen:\n"
                    "  unix: /s\n"
                    "  mode: \"0606\"\n"
                    "colour: red\n"
                    "tenants:\n"
                    "  - name: A\n"
                    "    policies: /p\n"
                    "    audit: {log: /l, keys: /k, durability: maybe}\n"
                    "    clients: [{uid: x, role: admin}, {role: boss}]\n";
    assert_int_equal(parse(y, &c, d), WD_EPOLICY);
    assert_true(has(d, "WD-C008", 1, 10));
    assert_true(has(d, "WD-C010", 4, 9));
    assert_true(has(d, "WD-C005", 5, 1));
    assert_true(has(d, "WD-C013", 7, 11));
    assert_true(has(d, "WD-C015", 9, 44));
    assert_true(has(d, "WD-C016", 10, 21));
    assert_true(has(d, "WD-C017", 10, 38));
    assert_true(has(d, "WD-C015", 10, 45));
    assert_int_equal(wd_diagnostics_errors(d), 8);
    for (size_t i = 1; i < wd_diagnostics_count(d); i++)
        assert_true(wd_diagnostics_get(d, i - 1)->line <= wd_diagnostics_get(d, i)->line);
    assert_string_equal(wd_error_last()->id, "WD-C008");
    assert_int_equal(wd_error_last()->line, 1);
    wd_diagnostics_free(d);
    /* Without a diagnostics list, the first error still reaches wd_error_last(). */
    assert_int_equal(wdd_config_parse(&c, y, strlen(y), "w.yaml", "/", NULL), WD_EPOLICY);
    assert_string_equal(wd_error_last()->id, "WD-C008");
}

static void test_bad_arguments(void **state)
{
    (void)state;
    wdd_config *c = NULL;
    assert_int_equal(wdd_config_parse(&c, VALID, strlen(VALID), "w.yaml", "relative", NULL),
                     WD_EINVAL);
    assert_int_equal(wdd_config_parse(&c, VALID, strlen(VALID), "w.yaml", NULL, NULL), WD_EINVAL);
    assert_int_equal(wdd_config_parse(NULL, VALID, strlen(VALID), "w.yaml", "/", NULL), WD_EINVAL);
    assert_int_equal(wdd_config_load(&c, NULL, NULL), WD_EINVAL);
    assert_null(c);
    /* A base directory is normalised; "/" works. */
    assert_int_equal(wdd_config_parse(&c, VALID, strlen(VALID), NULL, "/a/../", NULL), 0);
    assert_string_equal(c->path, "/warden.yaml");
    wdd_config_free(c);
    wdd_config_free(NULL);
}

static void test_lookups_by_uid(void **state)
{
    (void)state;
    wdd_config *c = parse_ok(HEAD "tenants:\n" TENANT(
        "a", "/p/a", "/l/a", "/k/a", UIDC("1000", "admin") UIDC("0", "reader")) TB);
    wdd_role role = 0;
    assert_ptr_equal(wdd_config_by_uid(c, 1000, &role), &c->tenants[0]);
    assert_int_equal(role, WDD_ROLE_ADMIN);
    assert_ptr_equal(wdd_config_by_uid(c, 0, &role), &c->tenants[0]);
    assert_int_equal(role, WDD_ROLE_READER);
    assert_ptr_equal(wdd_config_by_uid(c, 1001, &role), &c->tenants[1]);
    assert_int_equal(role, WDD_ROLE_READER);
    assert_ptr_equal(wdd_config_by_uid(c, 1001, NULL), &c->tenants[1]);
    role = 0;
    assert_null(wdd_config_by_uid(c, 1002, &role));
    assert_null(wdd_config_by_uid(c, -1, &role));
    assert_int_equal(role, 0); /* untouched when nothing matches */
    assert_null(wdd_config_by_uid(NULL, 0, &role));
    assert_null(wdd_config_by_token(c, "x", 1, &role)); /* no token clients at all */
    wdd_config_free(c);
}

static void test_role_names(void **state)
{
    (void)state;
    assert_string_equal(wdd_role_name(WDD_ROLE_READER), "reader");
    assert_string_equal(wdd_role_name(WDD_ROLE_OPERATOR), "operator");
    assert_string_equal(wdd_role_name(WDD_ROLE_ADMIN), "admin");
    assert_string_equal(wdd_role_name((wdd_role)0), "?");
    assert_string_equal(wdd_role_name((wdd_role)4), "?");
}

/* ---- files ----------------------------------------------------------------------------------- */

static const char token_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";    /* 40 */
static const char token_b[] = "0123456789abcdefghijklmnopqrstuvwxyz-_.~+/="; /* 43 */

static const char token_yaml[] = "version: 1\n"
                                 "listen:\n"
                                 "  unix: wardend.sock\n"
                                 "  tcp: 127.0.0.1:8787\n"
                                 "tenants:\n"
                                 "  - name: a\n"
                                 "    policies: a/p\n"
                                 "    audit: {log: a/l, keys: a/k}\n"
                                 "    clients:\n"
                                 "      - token_file: a.token\n"
                                 "        role: operator\n"
                                 "      - uid: 1000\n"
                                 "        role: reader\n"
                                 "  - name: b\n"
                                 "    policies: b/p\n"
                                 "    audit: {log: b/l, keys: b/k}\n"
                                 "    clients:\n"
                                 "      - token_file: b.token\n"
                                 "        role: admin\n";

static void write_token(const char *name, const char *content, size_t len, mode_t mode)
{
    char *path = wd_test_write(dir, name, content, len);
    assert_int_equal(chmod(path, mode), 0);
    free(path);
}

/* Loads dir/warden.yaml; returns the code, with diagnostics in *d (caller frees). */
static int load(wdd_config **c, wd_diagnostics **d)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/warden.yaml", dir);
    assert_int_equal(wd_diagnostics_new(d), 0);
    return wdd_config_load(c, path, *d);
}

static void write_config(const char *yaml)
{
    free(wd_test_write(dir, "warden.yaml", yaml, strlen(yaml)));
}

static void test_load_tokens(void **state)
{
    (void)state;
    write_config(token_yaml);
    write_token("a.token", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 41, 0600);
    write_token("b.token", token_b, strlen(token_b), 0400);
    wdd_config *c = NULL;
    wd_diagnostics *d = NULL;
    int rc = load(&c, &d);
    if (rc)
        dump(d);
    assert_int_equal(rc, 0);
    char want[4096];
    snprintf(want, sizeof(want), "%s/warden.yaml", dir);
    assert_string_equal(c->path, want);
    snprintf(want, sizeof(want), "%s/wardend.sock", dir);
    assert_string_equal(c->unix_path, want);
    snprintf(want, sizeof(want), "%s/a.token", dir);
    assert_string_equal(c->tenants[0].clients[0].token_file, want);
    assert_int_equal(c->tenants[0].clients[0].token_len, 40); /* the newline is trimmed */
    assert_memory_equal(c->tenants[0].clients[0].token, token_a, 40);
    assert_int_equal(c->tenants[1].clients[0].token_len, strlen(token_b));

    wdd_role role = 0;
    assert_ptr_equal(wdd_config_by_token(c, token_a, 40, &role), &c->tenants[0]);
    assert_int_equal(role, WDD_ROLE_OPERATOR);
    assert_ptr_equal(wdd_config_by_token(c, token_b, strlen(token_b), &role), &c->tenants[1]);
    assert_int_equal(role, WDD_ROLE_ADMIN);
    role = 0;
    assert_null(wdd_config_by_token(c, token_a, 39, &role)); /* a prefix */
    assert_null(wdd_config_by_token(c, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 41, &role));
    assert_null(wdd_config_by_token(c, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 40, &role));
    assert_null(wdd_config_by_token(c, "", 0, &role));
    assert_null(wdd_config_by_token(c, NULL, 40, &role));
    char zeros[WDD_TOKEN_MAX + 1] = {0};
    assert_null(wdd_config_by_token(c, zeros, WDD_TOKEN_MAX, &role)); /* uid clients' padding */
    assert_null(wdd_config_by_token(c, zeros, WDD_TOKEN_MAX + 1, &role));
    assert_int_equal(role, 0);
    /* The uid client of tenant a is found by uid, and token clients are not (uid -1). */
    assert_ptr_equal(wdd_config_by_uid(c, 1000, &role), &c->tenants[0]);
    assert_null(wdd_config_by_uid(c, -1, &role));
    wdd_config_free(c);
    wd_diagnostics_free(d);

    /* The longest token (256 bytes) fits. */
    char longest[WDD_TOKEN_MAX + 1];
    memset(longest, 'z', WDD_TOKEN_MAX);
    longest[WDD_TOKEN_MAX] = '\n';
    write_token("b.token", longest, sizeof(longest), 0600);
    assert_int_equal(load(&c, &d), 0);
    assert_ptr_equal(wdd_config_by_token(c, longest, WDD_TOKEN_MAX, &role), &c->tenants[1]);
    wdd_config_free(c);
    wd_diagnostics_free(d);
}

typedef struct {
    const char *name, *content, *id;
    mode_t mode;
} token_case;

static void test_token_rejections(void **state)
{
    (void)state;
    write_config(token_yaml);
    char too_long[WDD_TOKEN_MAX + 2];
    memset(too_long, 'z', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    const token_case cases[] = {
        {"0644", token_a, "WD-C025", 0644},
        {"0640", token_a, "WD-C025", 0640},
        {"0604", token_a, "WD-C025", 0604},
        {"too short", "0123456789012345678901234567890\n", "WD-C026", 0600}, /* 31 */
        {"empty", "", "WD-C026", 0600},
        {"too long", too_long, "WD-C026", 0600}, /* 257 */
        {"space inside", "aaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "WD-C026", 0600},
        {"two newlines", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\n", "WD-C026", 0600},
        {"crlf", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", "WD-C026", 0600},
        {"same token as b", token_b, "WD-C018", 0600},
    };
    write_token("b.token", token_b, strlen(token_b), 0600);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_token("a.token", cases[i].content, strlen(cases[i].content), cases[i].mode);
        wdd_config *c = (wdd_config *)1;
        wd_diagnostics *d = NULL;
        int rc = load(&c, &d);
        /* Token problems point at the client that names the file (or, for a duplicate, at the
         * later one). */
        bool dup = !strcmp(cases[i].id, "WD-C018");
        bool found = has(d, cases[i].id, dup ? 18 : 10, 9);
        if (rc != WD_EPOLICY || !found) {
            print_error("case \"%s\": rc %d\n", cases[i].name, rc);
            dump(d);
        }
        assert_int_equal(rc, WD_EPOLICY);
        assert_null(c);
        assert_true(found);
        assert_string_equal(wd_error_last()->id, cases[i].id);
        wd_diagnostics_free(d);
    }
    /* The exact minimum, 32 bytes, is enough. */
    write_token("a.token", "01234567890123456789012345678901\n", 33, 0600);
    wdd_config *c = NULL;
    wd_diagnostics *d = NULL;
    assert_int_equal(load(&c, &d), 0);
    assert_int_equal(c->tenants[0].clients[0].token_len, 32);
    wdd_config_free(c);
    wd_diagnostics_free(d);
}

static void test_token_file_kinds(void **state)
{
    (void)state;
    char path[4096], target[4096];
    write_config(token_yaml);
    write_token("b.token", token_b, strlen(token_b), 0600);
    snprintf(path, sizeof(path), "%s/a.token", dir);
    snprintf(target, sizeof(target), "%s/real.token", dir);
    write_token("real.token", token_a, strlen(token_a), 0600);
    const char *const what[] = {"missing", "symlink", "directory"};
    for (int i = 0; i < 3; i++) {
        unlink(path);
        rmdir(path);
        if (i == 1)
            assert_int_equal(symlink(target, path), 0);
        if (i == 2)
            assert_int_equal(mkdir(path, 0700), 0);
        wdd_config *c = NULL;
        wd_diagnostics *d = NULL;
        int rc = load(&c, &d);
        if (!has(d, "WD-C024", 10, 9)) {
            print_error("case \"%s\"\n", what[i]);
            dump(d);
        }
        assert_int_equal(rc, WD_EPOLICY);
        assert_true(has(d, "WD-C024", 10, 9));
        wd_diagnostics_free(d);
    }
    rmdir(path);
    /* Owned by another user: only root can arrange that. */
    if (geteuid() == 0) {
        write_token("a.token", token_a, strlen(token_a), 0600);
        assert_int_equal(chown(path, 65534, 65534), 0);
        wdd_config *c = NULL;
        wd_diagnostics *d = NULL;
        assert_int_equal(load(&c, &d), WD_EPOLICY);
        assert_true(has(d, "WD-C025", 10, 9));
        wd_diagnostics_free(d);
    }
}

static void test_load_file_errors(void **state)
{
    (void)state;
    wdd_config *c = NULL;
    wd_diagnostics *d = NULL;
    /* WD-C001: missing, a directory. */
    assert_int_equal(load(&c, &d), WD_ENOTFOUND);
    assert_true(has(d, "WD-C001", 0, 0));
    assert_string_equal(wd_error_last()->id, "WD-C001");
    wd_diagnostics_free(d);
    char path[4096];
    snprintf(path, sizeof(path), "%s/warden.yaml", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(load(&c, &d), WD_EIO);
    assert_true(has(d, "WD-C001", 0, 0));
    wd_diagnostics_free(d);
    assert_int_equal(rmdir(path), 0);
    /* WD-C002: larger than 1 MiB. */
    size_t big = (1u << 20) + 1;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, '#', big);
    free(wd_test_write(dir, "warden.yaml", text, big));
    free(text);
    assert_int_equal(load(&c, &d), WD_EPOLICY);
    assert_true(has(d, "WD-C002", 0, 0));
    wd_diagnostics_free(d);
    /* A parse error through load names the file as given. */
    write_config("version: 1\nlisten: {unix: /s}\ncolour: red\n");
    assert_int_equal(load(&c, &d), WD_EPOLICY);
    assert_true(has(d, "WD-C005", 3, 1));
    assert_true(has(d, "WD-C007", 1, 1));
    assert_non_null(strstr(wd_diagnostics_get(d, 0)->file, "/warden.yaml"));
    assert_null(c);
    wd_diagnostics_free(d);
    /* A relative path resolves against the working directory. */
    write_config(VALID);
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(wdd_config_load(&c, "./warden.yaml", NULL), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(c->path, path);
    wdd_config_free(c);
}

/* The shipped example loads, and its relative paths land beside it. */
static void test_example(void **state)
{
    (void)state;
    wdd_config *c = NULL;
    wd_diagnostics *d = NULL;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    int rc = wdd_config_load(&c, WD_SOURCE_DIR "/examples/wardend/warden.yaml", d);
    if (rc)
        dump(d);
    assert_int_equal(rc, 0);
    wd_diagnostics_free(d);
    char want[4096];
    const char *src = WD_SOURCE_DIR;
    assert_int_equal(c->ntenants, 1);
    const wdd_tenant *t = &c->tenants[0];
    assert_string_equal(t->name, "demo");
    assert_int_equal(t->ncontracts, 1);
    snprintf(want, sizeof(want), "%s/examples/plugins", src);
    assert_string_equal(t->contracts[0], want);
    snprintf(want, sizeof(want), "%s/examples/wardend/state/policies", src);
    assert_string_equal(t->policies, want);
    snprintf(want, sizeof(want), "%s/examples/wardend/state/audit", src);
    assert_string_equal(t->audit_log, want);
    snprintf(want, sizeof(want), "%s/examples/wardend/state/keys", src);
    assert_string_equal(t->audit_keys, want);
    snprintf(want, sizeof(want), "%s/examples/wardend/state/overrides", src);
    assert_string_equal(t->overrides, want);
    snprintf(want, sizeof(want), "%s/examples/wardend/state/wardend.sock", src);
    assert_string_equal(c->unix_path, want);
    assert_null(c->tcp_host);
    wdd_role role = 0;
    assert_ptr_equal(wdd_config_by_uid(c, 0, &role), t);
    assert_int_equal(role, WDD_ROLE_ADMIN);
    wdd_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_review_gate),
        cmocka_unit_test(test_sizes_and_counts),
        cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_ipv6_and_variants),
        cmocka_unit_test(test_collects_every_error),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_lookups_by_uid),
        cmocka_unit_test(test_role_names),
        cmocka_unit_test_setup_teardown(test_load_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_file_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_file_errors, setup, teardown),
        cmocka_unit_test(test_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
