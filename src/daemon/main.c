/* main.c: wardend — the decision and plugin service (docs/api.md, docs/config.md).
 *
 *   wardend --config FILE             serve HTTP on the configured socket(s)
 *   wardend --config FILE --check-config [--allow-refused]
 *   wardend --config FILE --mcp [--tenant NAME]   MCP over stdin/stdout
 *
 * Signals: SIGHUP reloads the configuration (all or nothing); SIGTERM and SIGINT stop
 * accepting, drain what is in flight, and close each audit log with a checkpoint. */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/opts.h"
#include "daemon/daemon.h"
#include "daemon/http.h"
#include "daemon/mcp.h"
#include "sandbox/runner_path.h"
#include "util/file.h"
#include "warden/warden.h"

enum { EXIT_USAGE = 2, DRAIN_MS_DEFAULT = 10000, DRAIN_MS_MAX = 600000 };

static const char wardend_usage[] =
    "usage: wardend --config FILE [--drain-ms N]\n"
    "       wardend --config FILE --check-config [--allow-refused]\n"
    "       wardend --config FILE --mcp [--tenant NAME]\n\n"
    "Serves warden's API over HTTP on the configured Unix socket (and loopback TCP\n"
    "when configured), or MCP over stdin/stdout with --mcp. SIGHUP reloads the\n"
    "configuration; SIGTERM drains requests in flight (at most --drain-ms, default\n"
    "10000) and stops. --check-config also runs each tenant's review gate and names\n"
    "every contract it refuses. Exit: 0 stopped cleanly or the configuration is valid,\n"
    "1 the configuration or a tenant failed to load, or a contract is refused (unless\n"
    "--allow-refused), 2 usage.\n";

static void print_diags(const wd_diagnostics *diags)
{
    for (size_t i = 0; diags && i < wd_diagnostics_count(diags); i++) {
        char line[1200];
        wd_diag_format(wd_diagnostics_get(diags, i), line, sizeof(line));
        fprintf(stderr, "%s\n", line);
    }
}

static void print_error(const char *what)
{
    const wd_error *e = wd_error_last();
    if (e->file && e->file[0] && e->line)
        fprintf(stderr, "wardend: %s: %s:%u:%u: %s%s%s\n", what, e->file, e->line, e->column,
                e->id[0] ? e->id : "", e->id[0] ? ": " : "", e->message);
    else
        fprintf(stderr, "wardend: %s: %s%s%s\n", what, e->id[0] ? e->id : "", e->id[0] ? ": " : "",
                e->message);
}

/* The configuration, then each tenant's review gate run alone (nothing recorded or started, so
 * it may run beside a wardend serving the same tenants): a refused contract fails the check
 * unless allowed, for a plugin gone missing is what a reload would not say otherwise. */
static int check_config(const char *path, bool allow_refused)
{
    wd_diagnostics *diags = NULL;
    wdd_config *cfg = NULL;
    wd_diagnostics_new(&diags);
    int rc = wdd_config_load(&cfg, path, diags);
    print_diags(diags);
    if (rc && !wd_diagnostics_errors(diags))
        print_error("configuration");
    size_t refused = 0;
    if (!rc && (rc = wdd_config_review(cfg, stderr, &refused)) != 0)
        print_error("contracts");
    if (!rc && refused && !allow_refused) {
        fprintf(stderr, "wardend: %s: %zu contract%s refused (--allow-refused to accept)\n", path,
                refused, refused == 1 ? "" : "s");
        rc = 1;
    } else if (!rc) {
        printf("%s: valid (%zu tenant%s", path, cfg->ntenants, cfg->ntenants == 1 ? "" : "s");
        if (refused)
            printf(", %zu contract%s refused", refused, refused == 1 ? "" : "s");
        printf(")\n");
    }
    wdd_config_free(cfg);
    wd_diagnostics_free(diags);
    return rc ? 1 : 0;
}

/* The reload's log line: the refused contracts themselves have a line each already. */
static void print_reloaded(wdd_daemon *d)
{
    wdd_state *s = wdd_state_acquire(d);
    size_t refused = 0;
    for (size_t i = 0; i < s->ntenants; i++)
        refused += wd_engine_refusals_count(wd_engine_refused(s->tenants[i].engine));
    fprintf(stderr, "wardend: reloaded %s (generation %llu, %zu contract%s refused)\n",
            d->config_path, (unsigned long long)s->generation, refused, refused == 1 ? "" : "s");
    wdd_state_release(d, s);
}

static void wake(int sig)
{
    (void)sig; /* only to interrupt the MCP loop's read */
}

typedef struct {
    wdd_daemon *d;
    pthread_t main;
    sigset_t set;
} signal_ctx;

/* MCP mode's signals, on a thread of their own (the main thread reads stdin): SIGHUP reloads,
 * SIGTERM and SIGINT stop the loop between two messages, after which main closes the logs
 * with their checkpoints as in HTTP mode. */
static void *mcp_signals(void *arg)
{
    signal_ctx *c = arg;
    for (;;) {
        int sig = 0;
        if (sigwait(&c->set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            if (wdd_daemon_reload(c->d, NULL) == 0)
                print_reloaded(c->d);
            else
                print_error("reload failed, the running configuration stays");
            continue;
        }
        c->d->draining = 1;
        pthread_kill(c->main, SIGUSR1);
        return NULL;
    }
}

/* The tenant the stdio peer may be served as, copied into *owned (NULL when out of memory),
 * with the peer's role: the peer is whoever started us, and acts as the client our own uid is.
 * 1 after saying why not. */
static int mcp_client(wdd_daemon *d, const char *tenant, char **owned, wdd_role *role)
{
    wdd_state *s = wdd_state_acquire(d);
    const wdd_tenant *mine = wdd_config_by_uid(s->cfg, (long)getuid(), role);
    const char *name = tenant ? tenant : mine ? mine->name : NULL;
    int rc = 0;
    if (!mine || !name || strcmp(name, mine->name) != 0) {
        fprintf(stderr, "wardend: --mcp: uid %ld is no client of tenant %s\n", (long)getuid(),
                name ? name : "(none)");
        rc = 1;
    } else {
        *owned = strdup(name); /* name may be the state's, released below */
    }
    wdd_state_release(d, s);
    return rc;
}

static int serve_mcp(wdd_daemon *d, const char *tenant)
{
    char *owned = NULL;
    wdd_role role = 0;
    if (mcp_client(d, tenant, &owned, &role) != 0)
        return 1;
    signal_ctx sc = {.d = d, .main = pthread_self()};
    sigemptyset(&sc.set);
    sigaddset(&sc.set, SIGHUP);
    sigaddset(&sc.set, SIGTERM);
    sigaddset(&sc.set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sc.set, NULL);
    struct sigaction sa = {.sa_handler = wake}; /* no SA_RESTART: read() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t th;
    bool have_thread = pthread_create(&th, NULL, mcp_signals, &sc) == 0;
    int rc = owned ? wdd_mcp_serve(d, owned, role, STDIN_FILENO, STDOUT_FILENO) : 1;
    free(owned);
    /* The signal thread uses sc and d: it ends before either goes (a SIGTERM of its own,
     * taken by its sigwait; a no-op when a signal already ended it). */
    if (have_thread) {
        pthread_kill(th, SIGTERM);
        pthread_join(th, NULL);
    }
    return rc ? 1 : 0;
}

static int serve_http(wdd_daemon *d, unsigned drain_ms)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    wdd_server *srv = NULL;
    if (wdd_server_start(&srv, d) != 0) {
        print_error("cannot serve");
        return 1;
    }
    wdd_state *s = wdd_state_acquire(d);
    fprintf(stderr, "wardend: serving %zu tenant%s on %s", s->ntenants, s->ntenants == 1 ? "" : "s",
            s->cfg->unix_path);
    if (s->cfg->tcp_host)
        fprintf(stderr, " and tcp %s:%u", s->cfg->tcp_host, s->cfg->tcp_port);
    fputc('\n', stderr);
    wdd_state_release(d, s);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            wd_diagnostics *diags = NULL;
            wd_diagnostics_new(&diags);
            if (wdd_daemon_reload(d, diags) == 0) {
                print_reloaded(d);
            } else {
                print_diags(diags);
                print_error("reload failed, the running configuration stays");
            }
            wd_diagnostics_free(diags);
            continue;
        }
        break;
    }
    d->draining = 1;
    fprintf(stderr, "wardend: stopping: draining %u request(s)\n", wdd_server_inflight(srv));
    wdd_server_stop(srv, drain_ms);
    return 0;
}

/* Memory a request used goes back to the system once freed. glibc raises its mmap threshold to
 * the largest block freed so far (up to 32 MiB), after which a batch's buffers come from the
 * heap arenas and stay there; a fixed threshold keeps every big buffer a mapping of its own. A
 * thread per connection would otherwise spread small blocks over up to 8 arenas a CPU: a few
 * are enough, and fewer arenas hold fewer pages that cannot be returned. */
static void tune_allocator(void)
{
    enum { MMAP_THRESHOLD = 128 << 10, ARENAS_PER_CPU = 2 };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_ARENA_MAX, (int)(cpus > 0 ? cpus * ARENAS_PER_CPU : ARENAS_PER_CPU));
}

/* Builds the daemon from config; nonzero after printing why it cannot start. */
static int start(wdd_daemon **d, const char *config, const char *runner)
{
    wd_diagnostics *diags = NULL;
    wd_diagnostics_new(&diags);
    int rc = wdd_daemon_new(d, config, runner, diags);
    if (rc) {
        print_diags(diags);
        print_error("refusing to start");
    }
    wd_diagnostics_free(diags);
    return rc;
}

int main(int argc, char **argv)
{
    tune_allocator();
    const char *config = NULL, *tenant = NULL;
    bool check = false, allow_refused = false, mcp = false, version = false;
    uint64_t drain_ms = DRAIN_MS_DEFAULT;
    const cli_opt opts[] = {
        {.name = "config",
         .kind = CLI_STRING,
         .dest = &config,
         .arg = "FILE",
         .help = "the configuration (required)"},
        {.name = "check-config",
         .kind = CLI_FLAG,
         .dest = &check,
         .help = "validate the configuration and exit"},
        {.name = "allow-refused",
         .kind = CLI_FLAG,
         .dest = &allow_refused,
         .help = "--check-config: refused contracts are named but do not fail the check"},
        {.name = "mcp", .kind = CLI_FLAG, .dest = &mcp, .help = "serve MCP on stdin/stdout"},
        {.name = "tenant",
         .kind = CLI_STRING,
         .dest = &tenant,
         .arg = "NAME",
         .help = "--mcp: the tenant to serve"},
        {.name = "drain-ms",
         .kind = CLI_NUMBER,
         .dest = &drain_ms,
         .arg = "N",
         .help = "the longest a stop waits for requests in flight",
         .max = DRAIN_MS_MAX,
         .invalid = "takes 0-600000"},
        {.name = "version", .kind = CLI_FLAG, .dest = &version, .help = "print the version"},
        {0},
    };
    const cli_spec spec = {.prog = "wardend", .usage = wardend_usage, .opts = opts};
    cli_args rest;
    int parsed = cli_parse(argc, argv, &spec, &rest);
    if (parsed != CLI_PARSED)
        return parsed;
    if (version) {
        printf("wardend %s\n", WD_VERSION_STRING);
        return 0;
    }
    if (!config || rest.n || (tenant && !mcp) || (check && mcp) || (allow_refused && !check)) {
        cli_usage(stderr, &spec);
        return EXIT_USAGE;
    }
    if (check)
        return check_config(config, allow_refused);
    signal(SIGPIPE, SIG_IGN);
    /* Blocked before the first thread (an integrity watcher, the servers) exists, so every
     * thread inherits the mask and only the one that waits for them sees them: a SIGHUP must
     * never reach a thread that would take the default action and end the process. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* $WARDEN_RUNNER, else the runner beside wardend (in the build tree, one directory up),
     * else the one installed in libexecdir (WD_RUNNER_FROM_SELF: relative to sbindir). The
     * configuration's `runner:` overrides all of them. */
    char *runner = wd_runner_for_program(WD_RUNNER_FROM_SELF, 1);
    wdd_daemon *d = NULL;
    int rc = 1;
    if (start(&d, config, runner) == 0)
        rc = mcp ? serve_mcp(d, tenant) : serve_http(d, (unsigned)drain_ms);
    wdd_daemon_free(d);
    free(runner);
    return rc;
}
