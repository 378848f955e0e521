/* bench_decide.c: how fast warden compiles a policy and decides requests against it.
 *
 * For each policy size (10, 100, 1000, 10000 rules) this program generates a realistic Wassette
 * v1 policy as YAML text in memory (60% storage, 30% network, 10% environment rules) from a
 * fixed-seed PRNG, loads it with wd_policy_load_buffer() (median of 5 timed loads), measures its
 * memory (wd_policy_memory() and the RSS growth of loading one more copy), builds a mixed set of
 * queries of which about half are allowed, and measures single-thread throughput (best of 3
 * passes) and per-decision latency percentiles. bench/README.md explains the output. */
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_util.h"
#include "warden/error.h"
#include "warden/policy.h"

#define DEFAULT_SEED 0x5EEDBA5E2024ull
#define DEFAULT_QUERIES 1000000u
#define QUICK_QUERIES 100000u
#define COMPILE_RUNS 5
#define THROUGHPUT_PASSES 3
#define MAX_SIZES 16
#define MAX_DEPTH 8 /* storage paths are 3..8 segments deep */
#define MIN_DEPTH 3

/* Targets the project has set for itself (reported, never enforced by the exit code). */
#define TARGET_DECISIONS_PER_S 5000000.0
#define TARGET_P99_NS 1000.0
#define TARGET_COMPILE_10K_MS 50.0
#define TARGET_BYTES_PER_RULE 2048.0

/* ---- small utilities ---------------------------------------------------------------------- */

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

/* CPU time this thread has used: unlike wall time, it does not count time the scheduler gave to
 * other processes (reported beside the wall-clock rate, for busy machines). */
static uint64_t thread_cpu_ns(void)
{
    return clock_ns(CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID");
}

/* Resident set size in bytes, from /proc/self/statm. */
static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        die("cannot open /proc/self/statm");
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    if (fclose(f) != 0 || n != 2)
        die("cannot read /proc/self/statm");
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        die("sysconf(_SC_PAGESIZE) failed");
    return (size_t)resident * (size_t)page;
}

/* ---- PRNG: xorshift64* --------------------------------------------------------------------- */

typedef struct {
    uint64_t s;
} rng;

/* xorshift never leaves the all-zero state: keep the seed away from it. */
static rng rng_make(uint64_t seed)
{
    return (rng){seed ? seed : 0x9E3779B97F4A7C15ull};
}

static uint64_t rng_next(rng *r)
{
    return xorshift64s(&r->s);
}

/* Uniform in [0, n), n > 0. */
static uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static uint32_t rng_range(rng *r, uint32_t lo, uint32_t hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

static bool rng_pct(rng *r, unsigned percent)
{
    return rng_below(r, 100) < percent;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[rng_below((r), (uint32_t)COUNT(a))])

/* ---- vocabulary ----------------------------------------------------------------------------- */

static const char *const fs_roots[] = {"srv", "home", "var", "opt", "mnt", "data", "usr", "etc"};
static const char *const fs_rel_roots[] = {"workspace", "cache", "output", "input", "models"};
static const char *const fs_owners[] = {
    "alice",   "bob",      "carol",   "dave",     "erin",    "frank",    "grace",   "heidi",
    "ivan",    "judy",     "mallory", "oscar",    "peggy",   "trent",    "victor",  "walter",
    "billing", "search",   "ingest",  "payments", "reports", "frontend", "backend", "ml",
    "etl",     "auth",     "gateway", "mail",     "cron",    "www",      "lib",     "log",
    "spool",   "postgres", "redis",   "nginx",    "grafana", "builds",   "ci",      "shared"};
static const char *const fs_words[] = {
    "src",       "lib",      "include",  "config",     "logs",      "cache",       "assets",
    "models",    "datasets", "reports",  "build",      "dist",      "tmp",         "uploads",
    "downloads", "images",   "videos",   "docs",       "shared",    "public",      "private",
    "backups",   "archive",  "releases", "v1",         "v2",        "static",      "templates",
    "scripts",   "bin",      "input",    "output",     "results",   "checkpoints", "exports",
    "imports",   "inbox",    "outbox",   "queue",      "jobs",      "runs",        "experiments",
    "notebooks", "fixtures", "tests",    "migrations", "schemas",   "plugins",     "modules",
    "vendor",    "packages", "db",       "index",      "snapshots", "journal",     "metrics",
    "traces",    "audit",    "users",    "teams",      "projects",  "clients",     "invoices",
    "orders",    "products", "media",    "thumbnails", "sessions",  "state",       "blobs",
    "artifacts", "fonts",    "locale",   "styles",     "widgets",   "components",  "handlers"};
static const char *const fs_exts[] = {"log", "csv", "json", "yaml", "txt", "parquet",
                                      "png", "jpg", "pdf",  "md",   "tar", "gz"};
static const char *const fs_deny_words[] = {"secrets", ".ssh",   "private", "credentials", "keys",
                                            ".git",    "tokens", "vault",   "admin",       ".env"};
static const char *const fs_deny_exts[] = {"pem", "key", "p12", "env"};
static const char *const fs_unknown_roots[] = {"root",       "boot", "proc", "sys",
                                               "lost+found", "snap", "tmp",  "run"};

static const char *const net_subs[] = {"api",   "www",     "cdn",     "auth",     "storage",
                                       "login", "uploads", "events",  "db",       "cache",
                                       "mq",    "metrics", "grafana", "git",      "registry",
                                       "s3",    "hooks",   "search",  "payments", "status"};
static const char *const net_orgs[] = {"acme",      "globex",  "initech",  "umbrella", "hooli",
                                       "stark",     "wayne",   "wonka",    "tyrell",   "cyberdyne",
                                       "soylent",   "massive", "aperture", "vandelay", "dunder",
                                       "gringotts", "oceanic", "nakatomi", "monarch",  "pied"};
static const char *const net_tlds[] = {"com", "io", "net", "org", "dev", "cloud", "internal"};
static const char *const net_regions[] = {"us-east-1",  "us-west-2", "eu-west-1", "eu-central-1",
                                          "ap-south-1", "svc",       "prod",      "staging"};
static const char *const net_deny_subs[] = {"admin", "internal", "debug", "legacy", "telemetry"};

static const char *const env_common[] = {"PATH", "HOME", "USER", "LANG", "TZ", "TERM"};
static const char *const env_words[] = {"DATABASE", "REDIS",  "STRIPE", "SENTRY",  "OPENAI",
                                        "S3",       "SMTP",   "KAFKA",  "GITHUB",  "SLACK",
                                        "DATADOG",  "TWILIO", "AUTH0",  "ELASTIC", "VAULT"};
static const char *const env_suffixes[] = {"URL",    "API_KEY", "HOST",     "PORT", "TOKEN",
                                           "REGION", "TIMEOUT", "ENDPOINT", "USER", "BUCKET"};
static const char *const env_denied[] = {
    "AWS_SECRET_ACCESS_KEY", "LD_PRELOAD", "SSH_AUTH_SOCK", "GH_TOKEN", "KUBECONFIG", "HISTFILE",
    "DOCKER_HOST",           "NPM_TOKEN"};

/* ---- generated policy ----------------------------------------------------------------------- */

typedef enum { G_FS, G_HOST, G_WILD, G_CIDR, G_ENV } gkind;

typedef struct {
    gkind kind;
    bool deny;
    /* G_FS: the absolute pattern after resolving against /data; G_HOST: the name; G_WILD: the
     * suffix without "*."; G_ENV: the key. */
    char *text;
    unsigned access;    /* G_FS: access bits after expansion (write adds create, delete) */
    const char *scheme; /* G_HOST: "https" or NULL */
    uint16_t ports[2];  /* G_HOST: ports (count 0: any) */
    unsigned nports;
    uint8_t family; /* G_CIDR: 4 or 6 */
    uint8_t addr[16];
    unsigned prefix;
} grule;

typedef struct {
    grule *rules;
    size_t count, cap;
    /* indices into rules, by role */
    size_t *fs_allow, *fs_deny, *net_allow, *net_deny, *env_allow;
    size_t n_fs_allow, n_fs_deny, n_net_allow, n_net_deny, n_env_allow;
    size_t n_wild_allow, n_cidr_allow;
    sbuf yaml;
} gpolicy;

static grule *new_grule(gpolicy *g, gkind kind, bool deny)
{
    if (g->count == g->cap)
        die("internal: rule table full");
    grule *r = &g->rules[g->count++];
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->deny = deny;
    return r;
}

static void gpolicy_free(gpolicy *g)
{
    for (size_t i = 0; i < g->count; i++)
        free(g->rules[i].text);
    free(g->rules);
    free(g->fs_allow);
    free(g->fs_deny);
    free(g->net_allow);
    free(g->net_deny);
    free(g->env_allow);
    sb_free(&g->yaml);
    memset(g, 0, sizeof(*g));
}

/* Number of '/'-separated segments in an absolute path. */
static unsigned path_depth(const char *p)
{
    unsigned n = 0;
    for (; *p; p++)
        if (*p == '/' && p[1] && p[1] != '/')
            n++;
    return n;
}

/* A directory-name segment for rule paths: a word, or a word with a number (project ids,
 * dates), as real trees have. */
static void put_dir_segment(sbuf *b, rng *r)
{
    unsigned k = rng_below(r, 10);
    if (k < 6)
        sb_printf(b, "/%s", PICK(r, fs_words));
    else if (k < 9)
        sb_printf(b, "/%s-%u", PICK(r, fs_words), rng_below(r, 1000));
    else
        sb_printf(b, "/20%02u-%02u", rng_range(r, 15, 25), rng_range(r, 1, 12));
}

static const char *const access_lists[] = {"[\"read\"]", "[\"read\", \"write\"]",
                                           "[\"read\", \"execute\"]", "[\"write\"]"};
static const unsigned access_bits[] = {
    WD_ACCESS_READ, WD_ACCESS_READ | WD_ACCESS_WRITE | WD_ACCESS_CREATE | WD_ACCESS_DELETE,
    WD_ACCESS_READ | WD_ACCESS_EXECUTE, WD_ACCESS_WRITE | WD_ACCESS_CREATE | WD_ACCESS_DELETE};

static unsigned pick_allow_access(rng *r)
{
    unsigned k = rng_below(r, 100);
    return k < 55 ? 0 : k < 85 ? 1 : k < 95 ? 2 : 3;
}

static unsigned pick_deny_access(rng *r)
{
    unsigned k = rng_below(r, 100);
    return k < 50 ? 1 : k < 80 ? 3 : 0;
}

/* One storage allow rule: 3..8 segments, mostly literal; ~15% with a '*' segment, a '*.ext'
 * last segment or a trailing '**' segment; ~20% relative to the data directory. */
static void gen_fs_allow(gpolicy *g, rng *r, sbuf *yaml)
{
    sbuf uri = {0}, pat = {0};
    bool relative = rng_pct(r, 20);
    unsigned depth = rng_range(r, MIN_DEPTH, MAX_DEPTH);
    unsigned shape =
        rng_pct(r, 15) ? rng_range(r, 1, 3) : 0; /* 1 '*', 2 '*.ext', 3 trailing '**' */
    if (shape == 1 && depth < 4)
        depth = 4;
    if (shape == 3 && depth == MAX_DEPTH)
        depth--; /* the '**' segment may absorb more */
    unsigned star_at = shape == 1 ? rng_range(r, 3, depth - 1) : 0; /* 1-based segment */
    if (relative) {
        sb_printf(&pat, "/data/%s", PICK(r, fs_rel_roots));
    } else {
        sb_printf(&pat, "/%s/%s", PICK(r, fs_roots), PICK(r, fs_owners));
    }
    for (unsigned d = path_depth(pat.data) + 1; d <= depth; d++) {
        if (d == star_at)
            sb_printf(&pat, "/*");
        else if (d == depth && shape == 2)
            sb_printf(&pat, "/*.%s", PICK(r, fs_exts));
        else
            put_dir_segment(&pat, r);
    }
    if (shape == 3)
        sb_printf(&pat, "/**");
    sb_printf(&uri, "fs://%s", relative ? pat.data + strlen("/data/") : pat.data);
    unsigned acc = pick_allow_access(r);
    sb_printf(yaml, "    - uri: \"%s\"\n      access: %s\n", uri.data, access_lists[acc]);
    grule *gr = new_grule(g, G_FS, false);
    gr->text = pat.data; /* ownership moves to the rule */
    gr->access = access_bits[acc];
    g->fs_allow[g->n_fs_allow++] = (size_t)(gr - g->rules);
    sb_free(&uri);
}

/* The literal part of a storage pattern: the segments before the first wildcard. */
static void literal_prefix(sbuf *out, const char *pattern)
{
    const char *p = pattern;
    while (*p) {
        const char *seg = p + 1, *end = strchr(seg, '/');
        if (!end)
            end = seg + strlen(seg);
        if (memchr(seg, '*', (size_t)(end - seg)))
            break;
        sb_printf(out, "/%.*s", (int)(end - seg), seg);
        p = end;
    }
}

/* One storage deny rule: a carve-out under an allowed tree (secrets, .ssh, *.pem ...). */
static void gen_fs_deny(gpolicy *g, rng *r, sbuf *yaml)
{
    sbuf pat = {0};
    const grule *base = &g->rules[g->fs_allow[rng_below(r, (uint32_t)g->n_fs_allow)]];
    literal_prefix(&pat, base->text);
    /* Keep at most depth-1 segments so the carve-out fits in MAX_DEPTH. */
    while (path_depth(pat.data) >= MAX_DEPTH) {
        char *slash = strrchr(pat.data, '/');
        *slash = '\0';
        pat.len = (size_t)(slash - pat.data);
    }
    unsigned k = rng_below(r, 100);
    if (k < 70)
        sb_printf(&pat, "/%s", PICK(r, fs_deny_words));
    else if (k < 85)
        sb_printf(&pat, "/*.%s", PICK(r, fs_deny_exts));
    else
        sb_printf(&pat, "/%s/**", PICK(r, fs_deny_words));
    unsigned acc = pick_deny_access(r);
    bool relative = !strncmp(pat.data, "/data/", 6) && rng_pct(r, 50);
    sb_printf(yaml, "    - uri: \"fs://%s\"\n      access: %s\n",
              relative ? pat.data + strlen("/data/") : pat.data, access_lists[acc]);
    grule *gr = new_grule(g, G_FS, true);
    gr->text = pat.data;
    gr->access = access_bits[acc];
    g->fs_deny[g->n_fs_deny++] = (size_t)(gr - g->rules);
}

static void gen_host_name(sbuf *b, rng *r)
{
    unsigned k = rng_below(r, 10);
    if (k < 7)
        sb_printf(b, "%s.%s%u.%s", PICK(r, net_subs), PICK(r, net_orgs), rng_below(r, 10000),
                  PICK(r, net_tlds));
    else
        sb_printf(b, "%s.%s.%s%u.%s", PICK(r, net_subs), PICK(r, net_regions), PICK(r, net_orgs),
                  rng_below(r, 10000), PICK(r, net_tlds));
}

static void write_ip(sbuf *b, uint8_t family, const uint8_t *addr)
{
    if (family == 4) {
        sb_printf(b, "%u.%u.%u.%u", addr[0], addr[1], addr[2], addr[3]);
        return;
    }
    for (int i = 0; i < 16; i += 2)
        sb_printf(b, "%s%x", i ? ":" : "", (unsigned)(addr[i] << 8 | addr[i + 1]));
}

static void mask_to_prefix(uint8_t *addr, unsigned bits, unsigned prefix)
{
    for (unsigned i = prefix; i < bits; i++)
        addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

/* One network allow rule: 60% exact names (some with https:// or ports), 20% *.suffix,
 * 20% CIDR (70% IPv4, 30% IPv6). */
static void gen_net_allow(gpolicy *g, rng *r, sbuf *yaml)
{
    unsigned k = rng_below(r, 100);
    sbuf name = {0};
    grule *gr;
    if (k < 60) {
        gen_host_name(&name, r);
        gr = new_grule(g, G_HOST, false);
        unsigned restrict_kind = rng_below(r, 10); /* 0,1 https://; 2,3 ports; else none */
        if (restrict_kind < 2) {
            gr->scheme = "https";
            sb_printf(yaml, "    - host: \"https://%s\"\n", name.data);
        } else if (restrict_kind < 4) {
            static const uint16_t single[] = {443, 8443, 5432, 6379, 9092};
            gr->ports[0] = PICK(r, single);
            gr->nports = 1;
            if (rng_pct(r, 30)) {
                gr->ports[0] = 443;
                gr->ports[1] = 8443;
                gr->nports = 2;
                sb_printf(yaml, "    - host: \"%s\"\n      ports: [443, 8443]\n", name.data);
            } else {
                sb_printf(yaml, "    - host: \"%s\"\n      ports: [%u]\n", name.data, gr->ports[0]);
            }
        } else {
            sb_printf(yaml, "    - host: \"%s\"\n", name.data);
        }
        gr->text = name.data;
    } else if (k < 80) {
        if (rng_pct(r, 60))
            sb_printf(&name, "%s%u.%s", PICK(r, net_orgs), rng_below(r, 10000), PICK(r, net_tlds));
        else
            sb_printf(&name, "%s.%s%u.%s", PICK(r, net_regions), PICK(r, net_orgs),
                      rng_below(r, 10000), PICK(r, net_tlds));
        sb_printf(yaml, "    - host: \"*.%s\"\n", name.data);
        gr = new_grule(g, G_WILD, false);
        gr->text = name.data;
        g->n_wild_allow++;
    } else {
        gr = new_grule(g, G_CIDR, false);
        if (rng_pct(r, 70)) {
            static const uint8_t firsts[] = {10, 100, 172, 192, 34, 52, 104, 151};
            gr->family = 4;
            gr->prefix = rng_range(r, 8, 28);
            gr->addr[0] = PICK(r, firsts);
            for (int i = 1; i < 4; i++)
                gr->addr[i] = (uint8_t)rng_below(r, 256);
            mask_to_prefix(gr->addr, 32, gr->prefix);
        } else {
            gr->family = 6;
            gr->prefix = rng_range(r, 32, 64);
            gr->addr[0] = 0x20;
            gr->addr[1] = rng_pct(r, 50) ? 0x01 : 0x02;
            for (int i = 2; i < 16; i++)
                gr->addr[i] = (uint8_t)rng_below(r, 256);
            mask_to_prefix(gr->addr, 128, gr->prefix);
        }
        sb_printf(yaml, "    - cidr: \"");
        write_ip(yaml, gr->family, gr->addr);
        sb_printf(yaml, "/%u\"\n", gr->prefix);
        g->n_cidr_allow++;
    }
    g->net_allow[g->n_net_allow++] = (size_t)(gr - g->rules);
}

/* One network deny rule: a carve-out under an allowed wildcard or CIDR, or a tracker. */
static void gen_net_deny(gpolicy *g, rng *r, sbuf *yaml)
{
    const grule *base = &g->rules[g->net_allow[rng_below(r, (uint32_t)g->n_net_allow)]];
    sbuf name = {0};
    grule *gr;
    if (base->kind == G_WILD) {
        if (rng_pct(r, 60)) {
            sb_printf(&name, "%s.%s", PICK(r, net_deny_subs), base->text);
            sb_printf(yaml, "    - host: \"%s\"\n", name.data);
            gr = new_grule(g, G_HOST, true);
        } else {
            sb_printf(&name, "%s.%s", PICK(r, net_deny_subs), base->text);
            sb_printf(yaml, "    - host: \"*.%s\"\n", name.data);
            gr = new_grule(g, G_WILD, true);
        }
        gr->text = name.data;
    } else if (base->kind == G_CIDR) {
        unsigned bits = base->family == 4 ? 32 : 128;
        gr = new_grule(g, G_CIDR, true);
        gr->family = base->family;
        memcpy(gr->addr, base->addr, sizeof(gr->addr));
        gr->prefix = base->prefix + 4 <= bits ? base->prefix + 4 : bits;
        for (unsigned i = base->prefix; i < gr->prefix; i++)
            if (rng_pct(r, 50))
                gr->addr[i / 8] |= (uint8_t)(0x80u >> (i % 8));
        sb_printf(yaml, "    - cidr: \"");
        write_ip(yaml, gr->family, gr->addr);
        sb_printf(yaml, "/%u\"\n", gr->prefix);
    } else {
        sb_printf(&name, "telemetry%u.%s%u.com", rng_below(r, 100), PICK(r, net_orgs),
                  rng_below(r, 10000));
        sb_printf(yaml, "    - host: \"*.%s\"\n", name.data);
        gr = new_grule(g, G_WILD, true);
        gr->text = name.data;
    }
    g->net_deny[g->n_net_deny++] = (size_t)(gr - g->rules);
}

static void gen_env_allow(gpolicy *g, rng *r, sbuf *yaml, size_t i)
{
    sbuf key = {0};
    if (i < COUNT(env_common))
        sb_printf(&key, "%s", env_common[i]);
    else if (rng_pct(r, 50))
        sb_printf(&key, "%s_%s", PICK(r, env_words), PICK(r, env_suffixes));
    else
        sb_printf(&key, "APP_%s_%s_%u", PICK(r, env_words), PICK(r, env_suffixes),
                  rng_below(r, 100000));
    sb_printf(yaml, "    - key: \"%s\"\n", key.data);
    grule *gr = new_grule(g, G_ENV, false);
    gr->text = key.data;
    g->env_allow[g->n_env_allow++] = (size_t)(gr - g->rules);
}

static size_t pct_of(size_t n, unsigned pct)
{
    return (n * pct + 50) / 100;
}

/* Builds a policy of exactly n rules (n >= 10): 60% storage (15% of them deny), 30% network
 * (15% of them deny), the rest environment. */
static void gen_policy(gpolicy *g, size_t n, uint64_t seed)
{
    memset(g, 0, sizeof(*g));
    rng r = rng_make(seed ^ (0x9E3779B97F4A7C15ull * n));
    size_t n_fs = pct_of(n, 60), n_net = pct_of(n, 30), n_env = n - n_fs - n_net;
    size_t n_fs_deny = pct_of(n_fs, 15), n_net_deny = pct_of(n_net, 15);
    g->cap = n;
    g->rules = xcalloc(n, sizeof(*g->rules));
    g->fs_allow = xcalloc(n_fs, sizeof(size_t));
    g->fs_deny = xcalloc(n_fs_deny, sizeof(size_t));
    g->net_allow = xcalloc(n_net, sizeof(size_t));
    g->net_deny = xcalloc(n_net_deny, sizeof(size_t));
    g->env_allow = xcalloc(n_env, sizeof(size_t));

    sbuf fs_allow = {0}, fs_deny = {0}, net_allow = {0}, net_deny = {0}, env_allow = {0};
    for (size_t i = 0; i < n_fs - n_fs_deny; i++)
        gen_fs_allow(g, &r, &fs_allow);
    for (size_t i = 0; i < n_fs_deny; i++)
        gen_fs_deny(g, &r, &fs_deny);
    for (size_t i = 0; i < n_net - n_net_deny; i++)
        gen_net_allow(g, &r, &net_allow);
    for (size_t i = 0; i < n_net_deny; i++)
        gen_net_deny(g, &r, &net_deny);
    for (size_t i = 0; i < n_env; i++)
        gen_env_allow(g, &r, &env_allow, i);
    if (g->count != n)
        die("internal: generated %zu rules, wanted %zu", g->count, n);

    sbuf *y = &g->yaml;
    sb_printf(y,
              "version: \"1.0\"\ndescription: \"bench_decide: %zu synthetic rules, seed 0x%" PRIx64
              "\"\npermissions:\n",
              n, seed);
    sb_printf(y, "  storage:\n    allow:\n");
    sb_append(y, &fs_allow);
    if (fs_deny.len) {
        sb_printf(y, "    deny:\n");
        sb_append(y, &fs_deny);
    }
    sb_printf(y, "  network:\n    allow:\n");
    sb_append(y, &net_allow);
    if (net_deny.len) {
        sb_printf(y, "    deny:\n");
        sb_append(y, &net_deny);
    }
    sb_printf(y, "  environment:\n    allow:\n");
    sb_append(y, &env_allow);
    sb_free(&fs_allow);
    sb_free(&fs_deny);
    sb_free(&net_allow);
    sb_free(&net_deny);
    sb_free(&env_allow);
}

/* ---- queries -------------------------------------------------------------------------------- */

typedef struct {
    wd_request *reqs;
    size_t count;
    sbuf pool;       /* every path, host and key, NUL-separated */
    size_t *offset;  /* per request: where its string starts in pool (fixed up at the end) */
    size_t total[3]; /* requests by kind - 1 */
} qset;

/* A segment of a request path: a directory name, or (last) sometimes a file name. */
static void put_file_segment(sbuf *b, rng *r, bool last)
{
    unsigned k = rng_below(r, 10);
    if (k < 5 || (!last && k < 8))
        sb_printf(b, "/%s", PICK(r, fs_words));
    else if (k < 8)
        sb_printf(b, "/%s-%u.%s", PICK(r, fs_words), rng_below(r, 100000), PICK(r, fs_exts));
    else
        sb_printf(b, "/%s_%u", PICK(r, fs_words), rng_below(r, 1000));
}

/* Appends a concrete path that pattern matches, at most MAX_DEPTH segments deep when the
 * pattern leaves room (a literal pattern also matches everything beneath it). */
static void path_matching(sbuf *b, rng *r, const char *pattern)
{
    unsigned depth = path_depth(pattern);
    unsigned room = depth < MAX_DEPTH ? MAX_DEPTH - depth : 0;
    bool wildcard = strchr(pattern, '*') != NULL;
    const char *p = pattern;
    while (*p) {
        const char *seg = p + 1, *end = strchr(seg, '/');
        if (!end)
            end = seg + strlen(seg);
        size_t len = (size_t)(end - seg);
        const char *star = memchr(seg, '*', len);
        if (len == 2 && star) { /* "**": zero or more segments */
            for (unsigned extra = rng_range(r, 0, room + 1); extra; extra--)
                put_file_segment(b, r, extra == 1);
        } else if (star) { /* "pre*suf" */
            sb_printf(b, "/%.*s%s%u%.*s", (int)(star - seg), seg, PICK(r, fs_words),
                      rng_below(r, 1000), (int)(end - star - 1), star + 1);
        } else {
            sb_printf(b, "/%.*s", (int)len, seg);
        }
        p = end;
    }
    if (!wildcard)
        for (unsigned extra = rng_range(r, 0, room); extra; extra--)
            put_file_segment(b, r, extra == 1);
}

static unsigned pick_access(rng *r, unsigned bits)
{
    unsigned list[5], n = 0;
    for (unsigned i = 0; i < 5; i++)
        if (bits & (1u << i))
            list[n++] = 1u << i;
    return n ? list[rng_below(r, n)] : WD_ACCESS_READ;
}

/* Storage request; allow: derived from an allow rule, else a near miss. */
static void gen_fs_query(const gpolicy *g, rng *r, wd_request *q, sbuf *pool, bool allow)
{
    q->kind = WD_REQ_STORAGE;
    if (allow) {
        const grule *a = &g->rules[g->fs_allow[rng_below(r, (uint32_t)g->n_fs_allow)]];
        path_matching(pool, r, a->text);
        q->access = pick_access(r, a->access);
        return;
    }
    unsigned k = rng_below(r, 100);
    if (k < 25 && g->n_fs_deny) { /* under a deny rule */
        const grule *d = &g->rules[g->fs_deny[rng_below(r, (uint32_t)g->n_fs_deny)]];
        path_matching(pool, r, d->text);
        q->access = pick_access(r, d->access);
    } else if (k < 45) { /* an access the allow rule does not grant */
        const grule *a = &g->rules[g->fs_allow[rng_below(r, (uint32_t)g->n_fs_allow)]];
        path_matching(pool, r, a->text);
        unsigned missing = WD_ACCESS_READ | WD_ACCESS_WRITE | WD_ACCESS_EXECUTE | WD_ACCESS_CREATE |
                           WD_ACCESS_DELETE;
        missing &= ~a->access;
        q->access = pick_access(r, missing);
    } else if (k < 80) { /* a sibling of an allowed tree */
        const grule *a = &g->rules[g->fs_allow[rng_below(r, (uint32_t)g->n_fs_allow)]];
        sbuf pre = {0};
        literal_prefix(&pre, a->text);
        if (path_depth(pre.data ? pre.data : "") < 3) {
            sb_printf(pool, "/%s/%s-old/%s", PICK(r, fs_roots), PICK(r, fs_owners),
                      PICK(r, fs_words));
        } else {
            sb_printf(pool, "%s", pre.data);
            pool->len--; /* drop the last character of the last segment ... */
            sb_printf(pool, "%c", pre.data[pre.len - 1] == 'x' ? 'y' : 'x'); /* ... change it */
            unsigned depth = path_depth(pre.data);
            for (unsigned extra = rng_range(r, 0, depth < MAX_DEPTH ? MAX_DEPTH - depth : 0); extra;
                 extra--)
                put_file_segment(pool, r, extra == 1);
        }
        sb_free(&pre);
        q->access = pick_access(r, a->access);
    } else if (k < 95) { /* somewhere no rule talks about */
        sb_printf(pool, "/%s", PICK(r, fs_unknown_roots));
        for (unsigned d = rng_range(r, MIN_DEPTH - 1, MAX_DEPTH - 1); d; d--)
            put_file_segment(pool, r, d == 1);
        q->access = pick_access(r, WD_ACCESS_READ | WD_ACCESS_WRITE);
    } else { /* dot-dot out of an allowed tree into a system directory */
        const grule *a = &g->rules[g->fs_allow[rng_below(r, (uint32_t)g->n_fs_allow)]];
        sbuf pre = {0};
        literal_prefix(&pre, a->text);
        sb_printf(pool, "%s", pre.data ? pre.data : "/srv");
        for (unsigned d = path_depth(pre.data ? pre.data : "/srv"); d; d--)
            sb_printf(pool, "/..");
        sb_printf(pool, "/etc/shadow");
        sb_free(&pre);
        q->access = WD_ACCESS_READ;
    }
}

static const char *const schemes_plain[] = {NULL, "https", "http"};

/* Network request; allow: derived from an allow rule, else a near miss. */
static void gen_net_query(const gpolicy *g, rng *r, wd_request *q, sbuf *pool, bool allow)
{
    q->kind = WD_REQ_NETWORK;
    q->scheme = NULL;
    q->port = 0;
    const grule *a = &g->rules[g->net_allow[rng_below(r, (uint32_t)g->n_net_allow)]];
    unsigned k = rng_below(r, 100);
    if (!allow && k < 20 && g->n_net_deny) {
        a = &g->rules[g->net_deny[rng_below(r, (uint32_t)g->n_net_deny)]];
    } else if (!allow && k >= 90) { /* nobody mentions it */
        sb_printf(pool, "%s.unknown%u.%s", PICK(r, net_subs), rng_below(r, 100000),
                  PICK(r, net_tlds));
        q->scheme = "https";
        return;
    }
    bool miss = !allow && a->deny == false; /* a near miss next to an allow rule */
    switch (a->kind) {
    case G_HOST:
        if (miss && (k < 50 || (!a->scheme && !a->nports))) {
            /* a sibling: another first label on the same domain */
            const char *dot = strchr(a->text, '.');
            sb_printf(pool, "%s2%s", PICK(r, net_subs), dot ? dot : ".example.com");
        } else {
            sb_printf(pool, "%s", a->text);
        }
        if (a->scheme) {
            q->scheme = miss && k >= 50 ? "http" : a->scheme;
        } else if (a->nports) {
            q->port = miss && k >= 50 ? 8080 : a->ports[rng_below(r, a->nports)];
        } else {
            q->scheme = PICK(r, schemes_plain);
            if (!q->scheme)
                q->port = rng_pct(r, 50) ? 443 : 80;
        }
        break;
    case G_WILD:
        if (miss && k < 60)
            sb_printf(pool, "%s", a->text); /* the apex: "*.x" does not match "x" */
        else if (miss)                      /* a look-alike domain */
            sb_printf(pool, "%s.%s-edge.not-%s", PICK(r, net_subs), PICK(r, net_orgs), a->text);
        else if (rng_pct(r, 70))
            sb_printf(pool, "%s.%s", PICK(r, net_subs), a->text);
        else
            sb_printf(pool, "%s.%s.%s", PICK(r, net_subs), PICK(r, net_regions), a->text);
        q->scheme = "https";
        break;
    case G_CIDR: {
        unsigned bits = a->family == 4 ? 32 : 128;
        uint8_t addr[16];
        memcpy(addr, a->addr, sizeof(addr));
        for (unsigned i = a->prefix; i < bits; i++)
            if (rng_pct(r, 50))
                addr[i / 8] |= (uint8_t)(0x80u >> (i % 8));
        if (miss && a->prefix > 0) /* the sibling network */
            addr[(a->prefix - 1) / 8] ^= (uint8_t)(0x80u >> ((a->prefix - 1) % 8));
        write_ip(pool, a->family, addr);
        q->port = 443;
        break;
    }
    default:
        die("internal: network rule of kind %d", (int)a->kind);
    }
}

static void gen_env_query(const gpolicy *g, rng *r, wd_request *q, sbuf *pool, bool allow)
{
    q->kind = WD_REQ_ENVIRONMENT;
    const grule *a = &g->rules[g->env_allow[rng_below(r, (uint32_t)g->n_env_allow)]];
    if (allow)
        sb_printf(pool, "%s", a->text);
    else if (rng_pct(r, 50))
        sb_printf(pool, "%s", PICK(r, env_denied));
    else
        sb_printf(pool, "%s_OLD", a->text);
}

static void gen_queries(qset *qs, const gpolicy *g, size_t n, uint64_t seed)
{
    memset(qs, 0, sizeof(*qs));
    rng r = rng_make(seed ^ 0xD1B54A32D192ED03ull ^ (uint64_t)g->count);
    qs->reqs = xcalloc(n, sizeof(*qs->reqs));
    qs->offset = xcalloc(n, sizeof(*qs->offset));
    qs->count = n;
    for (size_t i = 0; i < n; i++) {
        wd_request *q = &qs->reqs[i];
        unsigned k = rng_below(&r, 100);
        bool allow = rng_pct(&r, 50);
        qs->offset[i] = qs->pool.len;
        if (k < 70)
            gen_fs_query(g, &r, q, &qs->pool, allow);
        else if (k < 90)
            gen_net_query(g, &r, q, &qs->pool, allow);
        else
            gen_env_query(g, &r, q, &qs->pool, allow);
        sb_putc(&qs->pool, '\0');
        qs->total[q->kind - 1]++;
    }
    /* The pool has stopped moving: point every request at its string. */
    for (size_t i = 0; i < n; i++) {
        wd_request *q = &qs->reqs[i];
        const char *s = qs->pool.data + qs->offset[i];
        if (q->kind == WD_REQ_STORAGE)
            q->path = s;
        else if (q->kind == WD_REQ_NETWORK)
            q->host = s;
        else
            q->key = s;
    }
}

static void qset_free(qset *qs)
{
    free(qs->reqs);
    free(qs->offset);
    sb_free(&qs->pool);
    memset(qs, 0, sizeof(*qs));
}

/* ---- measurements --------------------------------------------------------------------------- */

static wd_policy *load_policy(const gpolicy *g)
{
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = "/data";
    opts.display_name = "bench.yaml";
    wd_policy *p = NULL;
    int rc = wd_policy_load_buffer(&p, g->yaml.data, g->yaml.len, &opts);
    if (rc != WD_OK) {
        const wd_error *e = wd_error_last();
        die("loading the generated policy (%zu rules) failed: %s %s:%u:%u %s", g->count,
            wd_strerror(rc), e->file, e->line, e->column, e->message);
    }
    if (!p || wd_policy_rule_count(p) != g->count)
        die("the generated policy has %zu rules, expected %zu", p ? wd_policy_rule_count(p) : 0,
            g->count);
    return p;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The cost of one back-to-back pair of clock_gettime() calls: the median of many. */
static uint64_t measure_clock_overhead(void)
{
    enum { SAMPLES = 200001 };
    uint64_t *d = xmalloc(SAMPLES * sizeof(*d));
    for (size_t i = 0; i < SAMPLES; i++) {
        uint64_t t0 = now_ns();
        uint64_t t1 = now_ns();
        d[i] = t1 - t0;
    }
    qsort(d, SAMPLES, sizeof(*d), cmp_u64);
    uint64_t median = d[SAMPLES / 2];
    free(d);
    return median;
}

static void decide_or_die(const wd_policy *p, const wd_request *q, wd_decision *out)
{
    int rc = wd_policy_decide(p, q, out);
    if (rc != WD_OK) {
        const char *target = q->kind == WD_REQ_STORAGE   ? q->path
                             : q->kind == WD_REQ_NETWORK ? q->host
                                                         : q->key;
        die("wd_policy_decide failed on %s: %s %s", target ? target : "(null)", wd_strerror(rc),
            wd_error_last()->message);
    }
}

typedef struct {
    size_t rules;
    double compile_ms;
    double bytes_per_rule;
    double rss_per_rule;
    double decisions_per_s;
    double decisions_per_cpu_s; /* the same, over thread CPU time */
    uint32_t p50, p99, p999, max;
    double allowed_pct;
    double allowed_kind_pct[3];
} result;

static void run_size(result *res, size_t n, size_t nq, uint64_t seed, uint64_t clock_overhead)
{
    memset(res, 0, sizeof(*res));
    res->rules = n;
    gpolicy g;
    gen_policy(&g, n, seed);

    /* Load + compile: median of COMPILE_RUNS; the last one is kept for the decisions. */
    double ms[COMPILE_RUNS];
    wd_policy *policy = NULL;
    for (int i = 0; i < COMPILE_RUNS; i++) {
        wd_policy_free(policy);
        uint64_t t0 = now_ns();
        policy = load_policy(&g);
        uint64_t t1 = now_ns();
        ms[i] = (double)(t1 - t0) / 1e6;
    }
    for (int i = 1; i < COMPILE_RUNS; i++) /* insertion sort: five values */
        for (int j = i; j > 0 && ms[j - 1] > ms[j]; j--) {
            double t = ms[j];
            ms[j] = ms[j - 1];
            ms[j - 1] = t;
        }
    res->compile_ms = ms[COMPILE_RUNS / 2];
    res->bytes_per_rule = (double)wd_policy_memory(policy) / (double)n;

    /* RSS growth of one more copy; hand freed memory back first so it cannot be reused. */
    malloc_trim(0);
    size_t before = rss_bytes();
    wd_policy *extra = load_policy(&g);
    size_t after = rss_bytes();
    wd_policy_free(extra);
    res->rss_per_rule = after > before ? (double)(after - before) / (double)n : 0.0;

    qset qs;
    gen_queries(&qs, &g, nq, seed);

    /* Throughput: best of THROUGHPUT_PASSES passes over every query. */
    wd_decision d;
    size_t allowed = 0;
    uint64_t best = UINT64_MAX, best_cpu = UINT64_MAX;
    for (int pass = 0; pass < THROUGHPUT_PASSES; pass++) {
        size_t a = 0;
        uint64_t c0 = thread_cpu_ns(), t0 = now_ns();
        for (size_t i = 0; i < nq; i++) {
            decide_or_die(policy, &qs.reqs[i], &d);
            a += d.effect == WD_ALLOW;
        }
        uint64_t t = now_ns() - t0, c = thread_cpu_ns() - c0;
        if (t < best)
            best = t;
        if (c < best_cpu)
            best_cpu = c;
        if (pass > 0 && a != allowed)
            die("decisions changed between passes (%zu vs %zu allowed)", a, allowed);
        allowed = a;
    }
    res->decisions_per_s = best ? (double)nq * 1e9 / (double)best : 0.0;
    res->decisions_per_cpu_s = best_cpu ? (double)nq * 1e9 / (double)best_cpu : 0.0;
    res->allowed_pct = 100.0 * (double)allowed / (double)nq;

    /* Latency: every decision of one more pass timed on its own, less the clock's own cost. */
    uint32_t *lat = xmalloc(nq * sizeof(*lat));
    size_t allowed_kind[3] = {0, 0, 0}, a = 0;
    for (size_t i = 0; i < nq; i++) {
        const wd_request *q = &qs.reqs[i];
        uint64_t t0 = now_ns();
        decide_or_die(policy, q, &d);
        uint64_t t = now_ns() - t0;
        t = t > clock_overhead ? t - clock_overhead : 0;
        lat[i] = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
        allowed_kind[q->kind - 1] += d.effect == WD_ALLOW;
        a += d.effect == WD_ALLOW;
    }
    if (a != allowed)
        die("decisions changed between passes (%zu vs %zu allowed)", a, allowed);
    qsort(lat, nq, sizeof(*lat), bench_cmp_u32);
    res->p50 = bench_quantile(lat, nq, 0.50);
    res->p99 = bench_quantile(lat, nq, 0.99);
    res->p999 = bench_quantile(lat, nq, 0.999);
    res->max = lat[nq - 1];
    for (int k = 0; k < 3; k++)
        res->allowed_kind_pct[k] =
            qs.total[k] ? 100.0 * (double)allowed_kind[k] / (double)qs.total[k] : 0.0;

    fprintf(stderr,
            "  %6zu rules: yaml %zu bytes, %zu storage allow / %zu deny, %zu network allow "
            "(%zu wildcard, %zu cidr) / %zu deny, %zu env; queries %zu storage (%.1f%% allowed), "
            "%zu network (%.1f%%), %zu env (%.1f%%); max latency %" PRIu32
            " ns; %.0f decisions per CPU-second\n",
            n, g.yaml.len, g.n_fs_allow, g.n_fs_deny, g.n_net_allow, g.n_wild_allow, g.n_cidr_allow,
            g.n_net_deny, g.n_env_allow, qs.total[0], res->allowed_kind_pct[0], qs.total[1],
            res->allowed_kind_pct[1], qs.total[2], res->allowed_kind_pct[2], res->max,
            res->decisions_per_cpu_s);

    free(lat);
    qset_free(&qs);
    wd_policy_free(policy);
    gpolicy_free(&g);
}

/* ---- main ----------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: bench_decide [--quick] [--queries N] [--sizes N,N,...] [--seed S]\n"
          "  --quick       100000 queries, sizes 10 and 1000 (a smoke run)\n"
          "  --queries N   queries per size (default 1000000)\n"
          "  --sizes LIST  policy sizes in rules, each >= 10 (default 10,100,1000,10000)\n"
          "  --seed S      PRNG seed, decimal or 0x-hex (default 0x5eedba5e2024)\n"
          "  --dump N      print the generated N-rule policy (YAML) and exit; give --seed first\n",
          f);
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    bench_set_name("bench_decide");
    uint64_t seed = DEFAULT_SEED, nq = DEFAULT_QUERIES;
    size_t sizes[MAX_SIZES] = {10, 100, 1000, 10000}, nsizes = 4;
    bool queries_given = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--quick")) {
            if (!queries_given)
                nq = QUICK_QUERIES;
            sizes[0] = 10;
            sizes[1] = 1000;
            nsizes = 2;
        } else if (!strcmp(arg, "--queries") && i + 1 < argc) {
            if (!parse_u64(argv[++i], &nq) || nq < 1 || nq > 100000000)
                die("--queries wants a number from 1 to 100000000, not %s", argv[i]);
            queries_given = true;
        } else if (!strcmp(arg, "--seed") && i + 1 < argc) {
            if (!parse_u64(argv[++i], &seed))
                die("--seed wants a number, not %s", argv[i]);
        } else if (!strcmp(arg, "--sizes") && i + 1 < argc) {
            char *list = xstrdup(argv[++i]), *save = NULL;
            nsizes = 0;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                uint64_t v;
                if (nsizes == MAX_SIZES || !parse_u64(t, &v) || v < 10 || v > 100000) {
                    free(list);
                    die("--sizes wants up to %d numbers from 10 to 100000, comma-separated",
                        MAX_SIZES);
                }
                sizes[nsizes++] = (size_t)v;
            }
            free(list);
            if (!nsizes)
                die("--sizes is empty");
        } else if (!strcmp(arg, "--dump") && i + 1 < argc) {
            uint64_t v;
            if (!parse_u64(argv[++i], &v) || v < 10 || v > 100000)
                die("--dump wants a number of rules from 10 to 100000, not %s", argv[i]);
            gpolicy g;
            gen_policy(&g, (size_t)v, seed);
            bool ok = fwrite(g.yaml.data, 1, g.yaml.len, stdout) == g.yaml.len;
            gpolicy_free(&g);
            if (!ok || fflush(stdout) != 0)
                die("cannot write the policy to stdout");
            return 0;
        } else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }

    uint64_t overhead = measure_clock_overhead();
    printf("bench_decide: warden %s, seed 0x%" PRIx64 ", %" PRIu64
           " queries per size (~70%% storage, ~20%% network, ~10%% env)\n",
           WD_VERSION_STRING, seed, nq);
    printf("latency: each decision timed alone with clock_gettime(CLOCK_MONOTONIC); the median "
           "cost of an empty timing (%" PRIu64 " ns) is subtracted\n",
           overhead);
    fflush(stdout);

    result res[MAX_SIZES];
    for (size_t i = 0; i < nsizes; i++) {
        fprintf(stderr, "bench_decide: %zu rules ...\n", sizes[i]);
        run_size(&res[i], sizes[i], (size_t)nq, seed, overhead);
    }

    printf("\n%7s %11s %11s %10s %13s %7s %7s %9s %9s\n", "rules", "compile_ms", "bytes/rule",
           "rss/rule", "decisions/s", "p50_ns", "p99_ns", "p99.9_ns", "allowed%");
    for (size_t i = 0; i < nsizes; i++)
        printf("%7zu %11.3f %11.0f %10.0f %13.0f %7" PRIu32 " %7" PRIu32 " %9" PRIu32 " %9.1f\n",
               res[i].rules, res[i].compile_ms, res[i].bytes_per_rule, res[i].rss_per_rule,
               res[i].decisions_per_s, res[i].p50, res[i].p99, res[i].p999, res[i].allowed_pct);

    /* The project's targets: met, or the sizes that miss them. */
    sbuf miss_tput = {0}, miss_p99 = {0}, miss_mem = {0};
    bool have_10k = false, compile_ok = false;
    for (size_t i = 0; i < nsizes; i++) {
        if (res[i].decisions_per_s < TARGET_DECISIONS_PER_S)
            sb_printf(&miss_tput, " %zu", res[i].rules);
        if (res[i].p99 >= TARGET_P99_NS)
            sb_printf(&miss_p99, " %zu", res[i].rules);
        if (res[i].bytes_per_rule >= TARGET_BYTES_PER_RULE)
            sb_printf(&miss_mem, " %zu", res[i].rules);
        if (res[i].rules == 10000) {
            have_10k = true;
            compile_ok = res[i].compile_ms < TARGET_COMPILE_10K_MS;
        }
    }
    printf("\ntargets:\n");
    printf("  >= 5,000,000 decisions/s at every size    %s%s\n",
           miss_tput.len ? "MISSED at rules =" : "met", miss_tput.len ? miss_tput.data : "");
    printf("  p99 < 1 us at every size                  %s%s\n",
           miss_p99.len ? "MISSED at rules =" : "met", miss_p99.len ? miss_p99.data : "");
    printf("  10000-rule load+compile < 50 ms           %s\n",
           !have_10k    ? "not measured (no 10000-rule size)"
           : compile_ok ? "met"
                        : "MISSED");
    printf("  < 2 KB per rule (wd_policy_memory / N)    %s%s\n",
           miss_mem.len ? "MISSED at rules =" : "met", miss_mem.len ? miss_mem.data : "");
    sb_free(&miss_tput);
    sb_free(&miss_p99);
    sb_free(&miss_mem);
    if (fflush(stdout) != 0 || ferror(stdout))
        die("cannot write to stdout");
    return 0;
}
