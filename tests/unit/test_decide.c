/* test_decide.c: the decision semantics of DESIGN.md section 3, one property per test, plus a
 * randomised cross-check of the compiled path trie against a brute-force matcher. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "warden/warden.h"

static wd_policy *load(const char *yaml)
{
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = "/data";
    opts.display_name = "p.yaml";
    wd_policy *p = NULL;
    int rc = wd_policy_load_buffer(&p, yaml, strlen(yaml), &opts);
    if (rc)
        print_error("load failed: %s %s:%u:%u %s\n", wd_error_last()->id, wd_error_last()->file,
                    wd_error_last()->line, wd_error_last()->column, wd_error_last()->message);
    assert_int_equal(rc, 0);
    return p;
}

static wd_policy *load_compat(const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/compat/wassette/%s", WD_SHARED_DIR, name);
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = "/data";
    wd_policy *p = NULL;
    assert_int_equal(wd_policy_load(&p, path, &opts), 0);
    return p;
}

/* Decides "VERB TARGET" and returns the decision; fails the test on a request error. */
static wd_decision decide(const wd_policy *p, const char *verb, const char *target)
{
    wd_request_buf req;
    wd_decision d;
    assert_int_equal(wd_request_parse(&req, verb, target), 0);
    assert_int_equal(wd_policy_decide(p, &req.request, &d), 0);
    return d;
}

/* Expects effect, and (when line != 0) the deciding rule's line. */
static void expect(const wd_policy *p, const char *verb, const char *target, wd_effect effect,
                   unsigned line)
{
    wd_decision d = decide(p, verb, target);
    char why[2048];
    wd_decision_explain(&d, why, sizeof(why));
    if (d.effect != effect || (line && (!d.rule || d.rule->line != line)) ||
        (!line && effect == WD_DENY && d.reason != WD_REASON_NO_RULE &&
         d.reason != WD_REASON_ESCAPES_ROOT)) {
        print_error("%s %s: got %s (%s), want %s by line %u\n", verb, target,
                    wd_effect_name(d.effect), why, wd_effect_name(effect), line);
        fail();
    }
}

#define ALLOW(p, v, t, line) expect((p), (v), (t), WD_ALLOW, (line))
#define DENY(p, v, t, line) expect((p), (v), (t), WD_DENY, (line))
#define DEFAULT_DENY(p, v, t) expect((p), (v), (t), WD_DENY, 0)

static void test_default_deny(void **state)
{
    (void)state;
    wd_policy *p = load_compat("minimal.yaml");
    DEFAULT_DENY(p, "read", "/");
    DEFAULT_DENY(p, "read", "/data/x");
    DEFAULT_DENY(p, "connect", "example.com");
    DEFAULT_DENY(p, "connect", "127.0.0.1");
    DEFAULT_DENY(p, "env", "PATH");
    wd_decision d = decide(p, "read", "/etc/passwd");
    assert_int_equal(d.reason, WD_REASON_NO_RULE);
    assert_null(d.rule);
    char why[256];
    wd_decision_explain(&d, why, sizeof(why));
    assert_string_equal(why, "no rule matched (default deny)");
    wd_policy_free(p);
}

/* DESIGN.md: restricted.yaml allows api.safe-service.com and denies host "*". */
static void test_compat_restricted(void **state)
{
    (void)state;
    wd_policy *p = load_compat("restricted.yaml");
    ALLOW(p, "connect", "api.safe-service.com", 16);
    ALLOW(p, "connect", "https://API.SAFE-SERVICE.COM.:443", 16);
    DENY(p, "connect", "evil.example", 18);
    DENY(p, "connect", "sub.api.safe-service.com", 18);
    DENY(p, "connect", "1.2.3.4", 19);           /* 0.0.0.0/0 outranks "*" for an IP */
    DENY(p, "connect", "[2001:db8::1]:443", 18); /* only "*" covers IPv6 here */
    ALLOW(p, "read", "/data/sandbox/readonly/docs/a.txt", 6);
    DEFAULT_DENY(p, "write", "/data/sandbox/readonly/docs/a.txt");
    ALLOW(p, "write", "/data/sandbox/temp/out.bin", 8);
    ALLOW(p, "create", "/data/sandbox/temp/new", 8);
    ALLOW(p, "delete", "/data/sandbox/temp/old", 8);
    DEFAULT_DENY(p, "read", "/data/sandbox/temp/out.bin"); /* write does not imply read */
    DEFAULT_DENY(p, "execute", "/data/sandbox/temp/out.bin");
    DENY(p, "write", "/data/sandbox/temp/system/x", 11);
    DENY(p, "create", "/data/sandbox/temp/system/x", 11); /* deny write denies create too */
    DENY(p, "delete", "/data/sandbox/temp/system", 11);   /* ** matches zero segments */
    DENY(p, "write", "/data/sandbox/temp/x/../system/y", 11);
    ALLOW(p, "env", "PATH", 23);
    DEFAULT_DENY(p, "env", "path");
    DEFAULT_DENY(p, "env", "AWS_SECRET_ACCESS_KEY");
    wd_decision d = decide(p, "write", "/data/sandbox/temp/system/x");
    assert_non_null(d.other);
    assert_int_equal(d.other->line, 8);
    const wd_resources *r = wd_policy_resources(p);
    assert_int_equal(r->cpu_millicores, 100);        /* legacy 10.0 percent */
    assert_int_equal(r->memory_bytes, 128ull << 20); /* legacy 128 MiB */
    wd_policy_free(p);
}

/* DESIGN.md: comprehensive.yaml allows 10.0.0.0/8 and denies 0.0.0.0/0. */
static void test_compat_comprehensive(void **state)
{
    (void)state;
    wd_policy *p = load_compat("comprehensive.yaml");
    ALLOW(p, "connect", "10.1.2.3", 18);
    ALLOW(p, "connect", "10.255.255.255:8080", 18);
    ALLOW(p, "connect", "172.16.0.1", 19);
    ALLOW(p, "connect", "172.31.255.254", 19);
    DENY(p, "connect", "172.32.0.1", 22);
    DENY(p, "connect", "8.8.8.8", 22);
    DENY(p, "connect", "11.0.0.1", 22);
    ALLOW(p, "connect", "::ffff:10.0.0.1", 18); /* IPv4-mapped folds to IPv4 */
    DENY(p, "connect", "::ffff:8.8.8.8", 22);
    DENY(p, "connect", "::ffff:808:808", 22);  /* the same address in hex */
    DEFAULT_DENY(p, "connect", "2001:db8::1"); /* v4 ranges do not cover v6 */
    ALLOW(p, "connect", "api.openai.com", 16);
    ALLOW(p, "connect", "a.b.internal.company.com", 17);
    DEFAULT_DENY(p, "connect", "internal.company.com"); /* *.x does not match x itself */
    DENY(p, "connect", "ads.malicious.com", 21);
    DEFAULT_DENY(p, "connect", "malicious.com");
    DEFAULT_DENY(p, "connect", "example.com"); /* 0.0.0.0/0 covers IPs, not names */
    ALLOW(p, "read", "/data/workspace/src/main.c", 6);
    ALLOW(p, "delete", "/data/workspace/tmp", 6);
    ALLOW(p, "read", "/data/config/app.yaml", 8);
    DEFAULT_DENY(p, "write", "/data/config/app.yaml");
    DEFAULT_DENY(p, "read", "/data/config/other.yaml");
    DENY(p, "read", "/data/system/passwd", 11);
    DEFAULT_DENY(p, "read", "/system/passwd"); /* relative URIs live under the data dir */
    ALLOW(p, "env", "API_KEY", 29);
    const wd_resources *r = wd_policy_resources(p);
    assert_int_equal(r->cpu_millicores, 500); /* legacy 50.0 percent of a core */
    assert_int_equal(r->memory_bytes, 1024ull << 20);
    wd_policy_free(p);
}

static void test_every_compat_file_loads(void **state)
{
    (void)state;
    static const char *const files[] = {"comprehensive.yaml",
                                        "development.yaml",
                                        "docker-privileged.yaml",
                                        "docker.yaml",
                                        "environment-only.yaml",
                                        "fetch-rs-policy.yaml",
                                        "filesystem-rs-policy.yaml",
                                        "get-weather-js-policy.yaml",
                                        "minimal.yaml",
                                        "network-only.yaml",
                                        "policy.yaml",
                                        "restricted.yaml",
                                        "storage-only.yaml",
                                        "time-server-js-policy.yaml",
                                        "web-service.yaml"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        wd_policy *p = load_compat(files[i]);
        wd_policy_free(p);
    }
    wd_policy *p = load_compat("fetch-rs-policy.yaml"); /* host: "https://rss.nytimes.com/" */
    ALLOW(p, "connect", "https://rss.nytimes.com", 6);
    DEFAULT_DENY(p, "connect", "http://rss.nytimes.com");
    DEFAULT_DENY(p, "connect", "rss.nytimes.com:443"); /* scheme not stated: not proven */
    wd_policy_free(p);
    p = load_compat("filesystem-rs-policy.yaml"); /* fs:/// grants read on everything */
    ALLOW(p, "read", "/etc/hostname", 15);
    ALLOW(p, "read", "/", 15);
    ALLOW(p, "read", "/Users/USERNAME/github/wassette/x", 9);
    DEFAULT_DENY(p, "write", "/tmp/x");
    wd_policy_free(p);
    p = load_compat("storage-only.yaml");
    ALLOW(p, "read", "/data/var/log/syslog.log", 8);
    DEFAULT_DENY(p, "read", "/data/var/log/syslog.txt");
    DEFAULT_DENY(p, "read", "/data/var/log/old/syslog.log"); /* '*' stays in one segment */
    ALLOW(p, "write", "/data/home/user/documents/a.txt", 10);
    DEFAULT_DENY(p, "write", "/data/home/user/documents/sub/a.txt");
    DENY(p, "read", "/data/etc/passwd", 13);
    wd_policy_free(p);
}

#define V "version: \"1.0\"\n"

static void test_storage_globs(void **state)
{
    (void)state;
    wd_policy *p = load(V "permissions:\n  storage:\n    allow:\n"
                          "    - uri: fs:///srv/a\n      access: [read]\n"          /* 5 */
                          "    - uri: fs:///srv/b/*\n      access: [read]\n"        /* 7 */
                          "    - uri: fs:///srv/c/**/x.txt\n      access: [read]\n" /* 9 */
                          "    - uri: fs:///srv/d/*.log\n      access: [read]\n"    /* 11 */
                          "    - uri: fs:///srv/e/pre*\n      access: [read]\n"     /* 13 */
                          "    - uri: fs:///srv/f/**\n      access: [read]\n"       /* 15 */
                          "    - uri: fs:///srv//g/\n      access: [read]\n");      /* 17 */
    ALLOW(p, "read", "/srv/a", 5);
    ALLOW(p, "read", "/srv/a/deep/er/file", 5); /* no wildcard: the path and beneath */
    DEFAULT_DENY(p, "read", "/srv/ab");         /* segment-wise, never a string prefix */
    DEFAULT_DENY(p, "read", "/srv");
    ALLOW(p, "read", "/srv/b/one", 7);
    ALLOW(p, "read", "/srv/b/.hidden", 7); /* '*' matches dotfiles: a deny must too */
    DEFAULT_DENY(p, "read", "/srv/b");
    DEFAULT_DENY(p, "read", "/srv/b/one/two");
    ALLOW(p, "read", "/srv/c/x.txt", 9); /* ** matches zero segments */
    ALLOW(p, "read", "/srv/c/1/2/3/x.txt", 9);
    DEFAULT_DENY(p, "read", "/srv/c/1/2/3/y.txt");
    DEFAULT_DENY(p, "read", "/srv/c/x.txt/more");
    ALLOW(p, "read", "/srv/d/app.log", 11);
    ALLOW(p, "read", "/srv/d/.log", 11);
    DEFAULT_DENY(p, "read", "/srv/d/app.log.1");
    ALLOW(p, "read", "/srv/e/prefix", 13);
    DEFAULT_DENY(p, "read", "/srv/e/xprefix");
    ALLOW(p, "read", "/srv/f", 15);
    ALLOW(p, "read", "/srv/f/any/depth", 15);
    ALLOW(p, "read", "/srv/g/h", 17); /* the URI's doubled and trailing slashes normalise */
    ALLOW(p, "read", "//srv///a/./b/", 5);
    ALLOW(p, "read", "/srv/x/../a/y", 5);
    DEFAULT_DENY(p, "read", "/srv/a/../../etc/passwd");
    wd_decision d = decide(p, "read", "/srv/../../etc/passwd");
    assert_int_equal(d.effect, WD_DENY);
    assert_int_equal(d.reason, WD_REASON_ESCAPES_ROOT);
    wd_policy_free(p);
}

static void test_storage_specificity(void **state)
{
    (void)state;
    wd_policy *p = load(V "permissions:\n  storage:\n    allow:\n"
                          "    - uri: fs:///a/**\n      access: [read, write]\n" /* 5 */
                          "    - uri: fs:///a/b/*/d\n      access: [read]\n"     /* 7 */
                          "    - uri: fs:///t/x\n      access: [read]\n"         /* 9 */
                          "    - uri: fs:///a/out\n      access: [write]\n"      /* 11 */
                          "    - uri: fs:///g/*.txt\n      access: [read]\n"     /* 13 */
                          "    deny:\n"
                          "    - uri: fs:///a/b/**\n      access: [read]\n" /* 16 */
                          "    - uri: fs:///t/x/**\n      access: [read]\n" /* 18 */
                          "    - uri: fs:///a/c\n      access: [create]\n"  /* 20 */
                          "    - uri: fs:///g/*\n      access: [read]\n");  /* 22 */
    ALLOW(p, "read", "/a/z", 5);
    DENY(p, "read", "/a/b/q", 16);   /* two literal segments beat one */
    ALLOW(p, "read", "/a/b/c/d", 7); /* three literals beat two */
    DENY(p, "read", "/t/x/y", 18);   /* same pattern written two ways: a tie, deny wins */
    wd_decision d = decide(p, "read", "/t/x/y");
    assert_int_equal(d.reason, WD_REASON_TIE);
    assert_non_null(d.other);
    assert_int_equal(d.other->line, 9);
    char why[2048];
    wd_decision_explain(&d, why, sizeof(why));
    assert_non_null(strstr(why, "ties with p.yaml:9:7"));
    assert_non_null(strstr(why, "deny wins"));
    /* Access types are decided separately: write on /a/out keeps the read that /a/... grants. */
    ALLOW(p, "read", "/a/out", 5);
    ALLOW(p, "write", "/a/out", 11);
    /* deny create does not deny write or delete */
    DENY(p, "create", "/a/c/new", 20);
    ALLOW(p, "write", "/a/c/new", 5);
    ALLOW(p, "delete", "/a/c/new", 5);
    /* a segment with literal text beats a bare '*' */
    ALLOW(p, "read", "/g/a.txt", 13);
    DENY(p, "read", "/g/a.md", 22);
    wd_policy_free(p);
}

static void test_deep_paths(void **state)
{
    (void)state;
    /* Paths deeper than the walk's fast array take the streaming route: same answers. */
    wd_policy *p = load(V "permissions:\n  storage:\n    allow:\n"
                          "    - uri: fs:///d/**/leaf\n      access: [read]\n" /* 5 */
                          "    deny:\n"
                          "    - uri: fs:///d/a/a/a\n      access: [read]\n"); /* 8 */
    char path[1024] = "/d";
    for (int i = 0; i < 100; i++)
        wd_test_append(path, sizeof(path), "/b");
    wd_test_append(path, sizeof(path), "/leaf");
    ALLOW(p, "read", path, 5);
    char denied[1024] = "/d/a/a/a";
    for (int i = 0; i < 100; i++)
        wd_test_append(denied, sizeof(denied), "/c");
    wd_test_append(denied, sizeof(denied), "/leaf");
    DENY(p, "read", denied, 8); /* 3 literal segments beat 1 */
    char dots[1024] = "/d";
    for (int i = 0; i < 100; i++)
        wd_test_append(dots, sizeof(dots), "/x/..");
    wd_test_append(dots, sizeof(dots), "/z/leaf");
    ALLOW(p, "read", dots, 5);
    wd_policy_free(p);

    /* Found by fuzzing: past 64 segments, ".." must still be resolved before matching, or
     * x/../secret slips past a deny rule and ../ past the root. */
    p = load(V "permissions:\n  storage:\n    allow:\n"
               "    - uri: fs:///data/**\n      access: [read]\n" /* 5 */
               "    deny:\n"
               "    - uri: fs:///data/secret/**\n      access: [read]\n"); /* 8 */
    char sneaky[2048] = "/data";
    for (int i = 0; i < 64; i++)
        wd_test_append(sneaky, sizeof(sneaky), "/x");
    for (int i = 0; i < 64; i++)
        wd_test_append(sneaky, sizeof(sneaky), "/..");
    wd_test_append(sneaky, sizeof(sneaky), "/secret/key");
    DENY(p, "read", sneaky, 8);
    char escape[2048] = "/data";
    for (int i = 0; i < 64; i++)
        wd_test_append(escape, sizeof(escape), "/x");
    for (int i = 0; i < 70; i++)
        wd_test_append(escape, sizeof(escape), "/..");
    wd_test_append(escape, sizeof(escape), "/etc/passwd");
    wd_decision d = decide(p, "read", escape);
    assert_int_equal(d.effect, WD_DENY);
    assert_int_equal(d.reason, WD_REASON_ESCAPES_ROOT);
    wd_policy_free(p);
}

static void test_relative_uris(void **state)
{
    (void)state;
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = "/var/lib/comp/./x/..//";
    const char *yaml = V "permissions:\n  storage:\n    allow:\n"
                         "    - uri: fs://workspace/**\n      access: [read]\n";
    wd_policy *p = NULL;
    assert_int_equal(wd_policy_load_buffer(&p, yaml, strlen(yaml), &opts), 0);
    assert_string_equal(wd_policy_data_dir(p), "/var/lib/comp");
    assert_string_equal(wd_policy_rule(p, 0)->pattern, "/var/lib/comp/workspace/**");
    ALLOW(p, "read", "/var/lib/comp/workspace/a", 5);
    DEFAULT_DENY(p, "read", "/workspace/a");
    wd_policy_free(p);
    opts.data_dir = "/";
    assert_int_equal(wd_policy_load_buffer(&p, yaml, strlen(yaml), &opts), 0);
    assert_string_equal(wd_policy_rule(p, 0)->pattern, "/workspace/**");
    assert_string_equal(wd_policy_data_dir(p), "/");
    wd_policy_free(p);
}

static void test_network_hosts(void **state)
{
    (void)state;
    wd_policy *p = load(V "permissions:\n  network:\n    allow:\n"
                          "    - host: api.example.com\n"             /* 5 */
                          "    - host: \"*.b.example.com\"\n"         /* 6 */
                          "    - host: \"*.org\"\n"                   /* 7 */
                          "    - host: \"https://pay.example.net\"\n" /* 8 */
                          "    - host: mail.example.net:25\n"         /* 9 */
                          "    - host: db.example.net\n"              /* 10 */
                          "      ports: [5432, 6432]\n"
                          "    - host: \"[2001:db8::1]:443\"\n" /* 12 */
                          "    - host: 192.0.2.7\n"             /* 13 */
                          "    - cidr: 192.0.2.0/24\n"          /* 14 */
                          "    - cidr: \"2001:db8::/32\"\n"     /* 15 */
                          "    deny:\n"
                          "    - host: \"*.example.com\"\n"   /* 17 */
                          "    - host: \"*.evil.org\"\n"      /* 18 */
                          "    - host: db.example.net\n"      /* 19 */
                          "    - cidr: 192.0.2.128/25\n"      /* 20 */
                          "    - cidr: \"2001:db8::/48\"\n"); /* 21 */
    ALLOW(p, "connect", "api.example.com", 5);                /* exact beats *.example.com */
    ALLOW(p, "connect", "API.Example.COM.", 5);               /* case and trailing dot ignored */
    DENY(p, "connect", "www.example.com", 17);
    ALLOW(p, "connect", "x.b.example.com", 6);   /* more labels beat fewer */
    ALLOW(p, "connect", "y.x.b.example.com", 6); /* any depth */
    DENY(p, "connect", "b.example.com", 17);     /* but not the apex */
    ALLOW(p, "connect", "wikipedia.org", 7);
    DENY(p, "connect", "www.evil.org", 18);
    DEFAULT_DENY(p, "connect", "org");
    ALLOW(p, "connect", "https://pay.example.net", 8);
    ALLOW(p, "connect", "HTTPS://pay.example.net:8443", 8);
    DEFAULT_DENY(p, "connect", "http://pay.example.net");
    DEFAULT_DENY(p, "connect", "pay.example.net:443");
    ALLOW(p, "connect", "mail.example.net:25", 9);
    ALLOW(p, "connect", "smtp://mail.example.net", 9); /* smtp's default port is 25 */
    DEFAULT_DENY(p, "connect", "mail.example.net:587");
    DEFAULT_DENY(p, "connect", "mail.example.net"); /* port unknown: not proven */
    ALLOW(p, "connect", "db.example.net:5432", 10); /* port-restricted beats the same host */
    ALLOW(p, "connect", "postgres://db.example.net", 10);
    DENY(p, "connect", "db.example.net:22", 19);
    ALLOW(p, "connect", "[2001:db8::1]:443", 12);
    DENY(p, "connect", "[2001:db8::1]:80", 21); /* /48 beats /32 */
    ALLOW(p, "connect", "[2001:db8:1::5]:80", 15);
    ALLOW(p, "connect", "192.0.2.7", 13); /* exact IP beats the ranges */
    ALLOW(p, "connect", "192.0.2.9", 14);
    DENY(p, "connect", "192.0.2.200", 20); /* /25 beats /24 */
    DEFAULT_DENY(p, "connect", "192.0.3.1");
    wd_policy_free(p);
}

static void test_network_any(void **state)
{
    (void)state;
    wd_policy *p = load(V "permissions:\n  network:\n    allow:\n"
                          "    - host: \"*\"\n" /* 5 */
                          "    deny:\n"
                          "    - host: \"*:25\"\n"         /* 7 */
                          "    - cidr: 169.254.0.0/16\n"); /* 8 */
    ALLOW(p, "connect", "anything.example", 5);
    ALLOW(p, "connect", "8.8.8.8", 5); /* '*' covers IP literals too */
    ALLOW(p, "connect", "[::1]:80", 5);
    DENY(p, "connect", "mx.example:25", 7);   /* restricted '*' beats plain '*' */
    DENY(p, "connect", "169.254.169.254", 8); /* a /16 beats '*' */
    wd_policy_free(p);
}

static void test_environment(void **state)
{
    (void)state;
    wd_policy *p = load(V "permissions:\n  environment:\n    allow:\n"
                          "    - key: HOME\n    - key: TOKEN\n    - key: a.b-c\n"
                          "    deny:\n    - key: TOKEN\n");
    ALLOW(p, "env", "HOME", 5);
    DEFAULT_DENY(p, "env", "home");
    DEFAULT_DENY(p, "env", "HOME2");
    ALLOW(p, "env", "a.b-c", 7);
    wd_decision d = decide(p, "env", "TOKEN");
    assert_int_equal(d.effect, WD_DENY);
    assert_int_equal(d.reason, WD_REASON_TIE);
    assert_int_equal(d.rule->line, 9);
    assert_int_equal(d.other->line, 6);
    wd_policy_free(p);
}

static void test_malformed_requests(void **state)
{
    (void)state;
    wd_policy *p = load(V "permissions:\n  network:\n    allow:\n    - host: \"*\"\n"
                          "  storage:\n    allow:\n    - uri: fs:///\n      access: [read]\n");
    wd_request_buf rb;
    assert_int_equal(wd_request_parse(&rb, "read", "relative"), WD_EINVAL);
    assert_int_equal(wd_request_parse(&rb, "connect", "127.1"), WD_EINVAL);
    assert_int_equal(wd_request_parse(&rb, "connect", "0x7f.0.0.1"), WD_EINVAL);
    assert_int_equal(wd_request_parse(&rb, "connect", "a.*.com"), WD_EINVAL);
    assert_int_equal(wd_request_parse(&rb, "connect", "*"), WD_EINVAL);
    assert_int_equal(wd_request_parse(&rb, "connect", "[fe80::1%eth0]"), WD_EINVAL);
    assert_int_equal(wd_request_parse(&rb, "connect", "user@host"), WD_EINVAL);
    assert_int_equal(wd_request_parse(&rb, "fly", "/x"), WD_EINVAL);
    assert_int_equal(wd_request_parse(&rb, "env", ""), WD_EINVAL);

    /* Direct requests: every malformed one is an error AND a denial. */
    const wd_request bad[] = {
        {.kind = WD_REQ_STORAGE, .access = 0, .path = "/x"},
        {.kind = WD_REQ_STORAGE, .access = WD_ACCESS_READ | WD_ACCESS_WRITE, .path = "/x"},
        {.kind = WD_REQ_STORAGE, .access = WD_ACCESS_READ, .path = "x"},
        {.kind = WD_REQ_STORAGE, .access = WD_ACCESS_READ, .path = ""},
        {.kind = WD_REQ_STORAGE, .access = WD_ACCESS_READ, .path = NULL},
        {.kind = WD_REQ_NETWORK, .host = "a.com", .port = 70000},
        {.kind = WD_REQ_NETWORK, .host = "a.com", .scheme = "1http"},
        {.kind = WD_REQ_NETWORK, .host = "a..com"},
        {.kind = WD_REQ_NETWORK, .host = NULL},
        {.kind = WD_REQ_ENVIRONMENT, .key = NULL},
        {.kind = 99},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wd_decision d = {WD_ALLOW, WD_REASON_RULE, NULL, NULL};
        assert_int_equal(wd_policy_decide(p, &bad[i], &d), WD_EINVAL);
        assert_int_equal(d.effect, WD_DENY);
    }
    char longpath[5000];
    memset(longpath, 'a', sizeof(longpath));
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    wd_request r = {.kind = WD_REQ_STORAGE, .access = WD_ACCESS_READ, .path = longpath};
    wd_decision d;
    assert_int_equal(wd_policy_decide(p, &r, &d), WD_EINVAL);
    assert_int_equal(d.effect, WD_DENY);
    wd_policy_free(p);
}

static void test_inspection(void **state)
{
    (void)state;
    wd_policy *p = load(V "description: demo\npermissions:\n  network:\n    allow:\n"
                          "    - host: \"https://x.example:8443\"\n"
                          "    - host: y.example\n      ports: [443, 80]\n"
                          "  resources:\n    limits:\n      cpu: 500m\n      memory: 512Mi\n"
                          "      timeout: 1m30s\n      pids: 64\n      open_files: 256\n"
                          "      output_bytes: 1Mi\n");
    assert_string_equal(wd_policy_version(p), "1.0");
    assert_string_equal(wd_policy_description(p), "demo");
    assert_int_equal(wd_policy_rule_count(p), 2);
    const wd_rule *r = wd_policy_rule(p, 0);
    assert_string_equal(r->host, "x.example");
    assert_string_equal(r->scheme, "https");
    assert_int_equal(r->port_count, 1);
    assert_int_equal(r->ports[0], 8443);
    assert_string_equal(r->text, "allow host https://x.example:8443");
    r = wd_policy_rule(p, 1);
    assert_int_equal(r->port_count, 2);
    assert_int_equal(r->ports[0], 80); /* sorted */
    assert_null(wd_policy_rule(p, 2));
    const wd_resources *res = wd_policy_resources(p);
    assert_int_equal(res->cpu_millicores, 500);
    assert_int_equal(res->memory_bytes, 512ull << 20);
    assert_int_equal(res->timeout_ms, 90000);
    assert_int_equal(res->pids, 64);
    assert_int_equal(res->open_files, 256);
    assert_int_equal(res->output_bytes, 1 << 20);
    assert_true(wd_policy_memory(p) > 0);
    wd_policy_free(p);
}

/* ---- a brute-force reference for storage decisions ------------------------------------- */

static int split(const char *path, const char **segs, size_t *lens)
{
    int n = 0;
    for (const char *s = path; *s;) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        segs[n] = s;
        while (*s && *s != '/')
            s++;
        lens[n] = (size_t)(s - segs[n]);
        n++;
    }
    return n;
}

static bool seg_match(const char *pat, size_t plen, const char *seg, size_t slen)
{
    const char *star = memchr(pat, '*', plen);
    if (!star)
        return plen == slen && !memcmp(pat, seg, plen);
    size_t pre = (size_t)(star - pat), suf = plen - pre - 1;
    return slen >= pre + suf && !memcmp(seg, pat, pre) && !memcmp(seg + slen - suf, star + 1, suf);
}

static bool ref_match(const char **ps, const size_t *pl, int pn, const char **ss, const size_t *sl,
                      int sn)
{
    if (pn == 0)
        return sn == 0;
    if (pl[0] == 2 && ps[0][0] == '*' && ps[0][1] == '*') {
        for (int k = 0; k <= sn; k++)
            if (ref_match(ps + 1, pl + 1, pn - 1, ss + k, sl + k, sn - k))
                return true;
        return false;
    }
    return sn > 0 && seg_match(ps[0], pl[0], ss[0], sl[0]) &&
           ref_match(ps + 1, pl + 1, pn - 1, ss + 1, sl + 1, sn - 1);
}

static uint64_t ref_spec(const wd_rule *r)
{
    const char *ps[64];
    size_t pl[64];
    int pn = split(r->pattern, ps, pl);
    uint64_t lit = 0, part = 0, bare = 0;
    for (int k = 0; k < pn; k++) {
        if (pl[k] == 2 && ps[k][0] == '*' && ps[k][1] == '*')
            continue;
        if (!memchr(ps[k], '*', pl[k]))
            lit++;
        else if (pl[k] == 1)
            bare++;
        else
            part++;
    }
    return (lit << 32 | part << 16 | bare) + 1;
}

static void ref_decide(const wd_policy *p, const char *path, unsigned access, wd_effect *effect,
                       const wd_rule **winner)
{
    const char *ss[64], *ps[64];
    size_t sl[64], pl[64];
    int sn = split(path, ss, sl);
    uint64_t best[2] = {0, 0};
    const wd_rule *rule[2] = {NULL, NULL};
    for (size_t i = 0; i < wd_policy_rule_count(p); i++) {
        const wd_rule *r = wd_policy_rule(p, i);
        if (r->kind != WD_RULE_STORAGE || !(r->access & access))
            continue;
        int pn = split(r->pattern, ps, pl);
        bool wildcard = strchr(r->pattern, '*') != NULL;
        if (!wildcard)
            ps[pn] = "**", pl[pn] = 2, pn++;
        if (!ref_match(ps, pl, pn, ss, sl, sn))
            continue;
        uint64_t spec = ref_spec(r);
        int e = r->effect == WD_ALLOW;
        if (spec > best[e]) {
            best[e] = spec;
            rule[e] = r;
        }
    }
    if (!best[0] && !best[1]) {
        *effect = WD_DENY, *winner = NULL;
    } else if (best[0] >= best[1]) {
        *effect = WD_DENY, *winner = rule[0];
    } else {
        *effect = WD_ALLOW, *winner = rule[1];
    }
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (unsigned)((rng_state * 0x2545F4914F6CDD1Dull) >> 33) % n;
}

static void random_segment(char *out, size_t size, bool pattern)
{
    static const char *const lits[] = {"a", "b", "c", "ab", "a.log", "b.txt", ".x"};
    unsigned k = rnd(pattern ? 12 : 7);
    if (k < 7)
        snprintf(out, size, "%s", lits[k]);
    else if (k == 7 || k == 8)
        snprintf(out, size, "%s", "**");
    else if (k == 9)
        snprintf(out, size, "%s", "*");
    else if (k == 10)
        snprintf(out, size, "%s", "*.log");
    else
        snprintf(out, size, "%s", "a*");
}

static void test_trie_matches_reference(void **state)
{
    (void)state;
    static const char *const access[] = {"read", "write", "create", "execute"};
    for (int round = 0; round < 300; round++) {
        char yaml[16384];
        size_t o = (size_t)snprintf(yaml, sizeof(yaml), V "permissions:\n  storage:\n");
        for (int e = 0; e < 2; e++) {
            o += (size_t)snprintf(yaml + o, sizeof(yaml) - o, "    %s:\n", e ? "deny" : "allow");
            int rules = 1 + (int)rnd(8);
            for (int i = 0; i < rules; i++) {
                char uri[256] = "fs://";
                int depth = (int)rnd(4);
                if (depth == 0)
                    wd_test_append(uri, sizeof(uri), "/");
                for (int k = 0; k < depth; k++) {
                    char seg[16];
                    random_segment(seg, sizeof(seg), true);
                    wd_test_append(uri, sizeof(uri), "/");
                    wd_test_append(uri, sizeof(uri), "%s", seg);
                }
                o += (size_t)snprintf(yaml + o, sizeof(yaml) - o,
                                      "    - uri: \"%s\"\n      access: [%s]\n", uri,
                                      access[rnd(4)]);
            }
        }
        wd_policy *p = load(yaml);
        for (int q = 0; q < 200; q++) {
            char path[256] = "";
            int depth = (int)rnd(6);
            for (int k = 0; k < depth; k++) {
                char seg[16];
                random_segment(seg, sizeof(seg), false);
                wd_test_append(path, sizeof(path), "/");
                wd_test_append(path, sizeof(path), "%s", seg);
            }
            if (!depth)
                snprintf(path, sizeof(path), "/");
            unsigned acc = 1u << rnd(5);
            wd_request r = {.kind = WD_REQ_STORAGE, .access = acc, .path = path};
            wd_decision d;
            assert_int_equal(wd_policy_decide(p, &r, &d), 0);
            wd_effect want;
            const wd_rule *winner;
            ref_decide(p, path, acc, &want, &winner);
            /* Equally specific rules of one effect are interchangeable: compare rank. */
            if (d.effect != want || !winner != !d.rule ||
                (winner && ref_spec(winner) != ref_spec(d.rule))) {
                print_error("round %d: %s %s: trie says %s (line %u), reference %s (line %u)\n%s",
                            round, wd_access_name(acc), path, wd_effect_name(d.effect),
                            d.rule ? d.rule->line : 0, wd_effect_name(want),
                            winner ? winner->line : 0, yaml);
                fail();
            }
        }
        wd_policy_free(p);
    }
}

/* ---- a compiled policy is shared by threads without locks ------------------------------ */

typedef struct {
    const wd_policy *policy;
    int mismatches;
} thread_arg;

static void *worker(void *arg)
{
    thread_arg *t = arg;
    for (int i = 0; i < 20000; i++) {
        wd_request_buf a, b;
        wd_decision d1, d2;
        wd_request_parse(&a, "connect", i % 2 ? "10.1.2.3" : "8.8.8.8");
        wd_request_parse(&b, "read", i % 3 ? "/data/workspace/x" : "/data/system/y");
        if (wd_policy_decide(t->policy, &a.request, &d1) ||
            d1.effect != (i % 2 ? WD_ALLOW : WD_DENY))
            t->mismatches++;
        if (wd_policy_decide(t->policy, &b.request, &d2) ||
            d2.effect != (i % 3 ? WD_ALLOW : WD_DENY))
            t->mismatches++;
    }
    return NULL;
}

static void test_threads_share_policy(void **state)
{
    (void)state;
    wd_policy *p = load_compat("comprehensive.yaml");
    pthread_t th[8];
    thread_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (thread_arg){p, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].mismatches, 0);
    }
    wd_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_deny),         cmocka_unit_test(test_compat_restricted),
        cmocka_unit_test(test_compat_comprehensive), cmocka_unit_test(test_every_compat_file_loads),
        cmocka_unit_test(test_storage_globs),        cmocka_unit_test(test_storage_specificity),
        cmocka_unit_test(test_deep_paths),           cmocka_unit_test(test_relative_uris),
        cmocka_unit_test(test_network_hosts),        cmocka_unit_test(test_network_any),
        cmocka_unit_test(test_environment),          cmocka_unit_test(test_malformed_requests),
        cmocka_unit_test(test_inspection),           cmocka_unit_test(test_trie_matches_reference),
        cmocka_unit_test(test_threads_share_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
