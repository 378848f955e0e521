/* cmd_audit.c: warden audit keygen|append|checkpoint|verify|show|tail */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "util/timeutil.h"

static const char audit_usage_text[] =
    "usage: warden audit keygen --dir DIR\n"
    "       warden audit append --log LOG --keys DIR --type T --severity S\n"
    "                           [--component C] [--details JSON] [--correlation-id ID]\n"
    "       warden audit append --log LOG --keys DIR --stdin\n"
    "       warden audit checkpoint --log LOG --keys DIR [--export FILE]\n"
    "       warden audit verify --log LOG (--mac-key FILE | --pubkey FILE)... [--anchor "
    "FILE]\n"
    "                           [--fresh DURATION] [--json]\n"
    "       warden audit show --log LOG [--type T] [--severity MIN] [--component C]\n"
    "                         [--since T] [--until T] [--limit N] [--json]\n"
    "       warden audit tail --log LOG [-n N] [-f]\n\n"
    "Writers also take --durability always|batch|none (default always), --batch-ms N,\n"
    "--checkpoint-every N, --checkpoint-secs N, --segment-bytes N, --no-append-only.\n"
    "verify --fresh 30s|15m|2h|1d fails (exit 1) unless the log was sealed within DURATION:\n"
    "its last checkpoint no older, and no record after it older.\n"
    "--stdin reads JSON lines {\"type\",\"severity\",\"component\",\"details\"} and prints\n"
    "each record's seq once it is as durable as the mode promises.\n"
    "Times: 2026-11-22T10:00:00Z, 2026-11-22, @EPOCH, or an age like 15m, 2h, 3d.\n"
    "Exit: 0 ok / intact, 1 verification failed, 2 usage or error.\n";

enum {
    MS_MAX = 86400000,              /* --batch-ms, --checkpoint-secs */
    FRESH_MAX_S = 10 * 366 * 86400, /* --fresh: ten years */
    TAIL_DEFAULT = 10,              /* tail's records without -n */
    TAIL_POLL_NS = 200 * 1000 * 1000,
    WHERE_MAX = 48,     /* "stdin line N" */
    COMMAND_MAX = 32,   /* "audit checkpoint" */
    TS_MILLIS_LEN = 23, /* "2026-11-22T10:00:00.123": a record's time to the ms */
};

typedef struct {
    const char *log, *keys, *dir, *type, *severity, *component, *details, *corr, *export_path;
    const char *mac_key, *pubkey, *anchor, *since, *until, *durability;
    uint64_t limit, batch_ms, checkpoint_every, checkpoint_secs, segment_bytes;
    cli_duration fresh;
    bool stdin_mode, json, follow, no_append_only;
    wd_audit_options wopts;
} args;

static const char *const durability_names[] = {
    [WD_DURABILITY_ALWAYS] = "always",
    [WD_DURABILITY_BATCH] = "batch",
    [WD_DURABILITY_NONE] = "none",
};

/* The values the table reads as numbers and words, into the writer's options. */
static int writer_options(args *a)
{
    a->wopts.batch_ms = (unsigned)a->batch_ms;
    a->wopts.checkpoint_every = a->checkpoint_every;
    a->wopts.checkpoint_secs = (unsigned)a->checkpoint_secs;
    a->wopts.segment_bytes = a->segment_bytes;
    if (a->no_append_only)
        a->wopts.append_only = 0;
    if (!a->durability)
        return 0;
    for (size_t i = 0; i < sizeof(durability_names) / sizeof(*durability_names); i++)
        if (durability_names[i] && !strcmp(a->durability, durability_names[i])) {
            a->wopts.durability = (wd_durability)i;
            return 0;
        }
    fprintf(stderr, "warden: --durability is always, batch or none\n");
    return EXIT_USAGE;
}

static int need(const char *value, const char *name)
{
    if (value)
        return 0;
    fprintf(stderr, "warden: %s is required (see warden audit --help)\n", name);
    return EXIT_USAGE;
}

static int open_writer(args *a, wd_audit **log, wd_diagnostics **notes)
{
    if (need(a->log, "--log") || need(a->keys, "--keys"))
        return EXIT_USAGE;
    if (wd_diagnostics_new(notes) != 0)
        return EXIT_USAGE;
    a->wopts.notes = *notes;
    int rc = wd_audit_open(log, a->log, a->keys, &a->wopts);
    cli_print_diags(*notes, 0);
    if (rc) {
        cli_error("cannot open the audit log");
        wd_diagnostics_free(*notes);
        return EXIT_USAGE;
    }
    return 0;
}

static int close_writer(wd_audit *log, wd_diagnostics *notes, int status)
{
    if (wd_audit_close(log) != 0 && status == 0) {
        cli_error("closing the audit log");
        status = EXIT_USAGE;
    }
    wd_diagnostics_free(notes);
    return status;
}

/* One {"type","severity","component","details","correlation_id"} line of --stdin. */
static int stdin_event(json_t *j, wd_audit_event *ev, char **details_text, long lineno)
{
    const char *type = NULL, *sev = NULL, *comp = NULL, *corr = NULL;
    json_t *details = NULL;
    json_error_t err;
    if (!json_is_object(j) || json_unpack_ex(j, &err, JSON_STRICT, "{s:s, s:s, s?s, s?o, s?s}",
                                             "type", &type, "severity", &sev, "component", &comp,
                                             "details", &details, "correlation_id", &corr) != 0) {
        fprintf(stderr,
                "warden: stdin line %ld: expected {\"type\", \"severity\", "
                "\"component\", \"details\", \"correlation_id\"}\n",
                lineno);
        return EXIT_USAGE;
    }
    wd_severity s;
    if (wd_severity_parse(sev, &s) != 0) {
        fprintf(stderr, "warden: stdin line %ld: %s\n", lineno, wd_error_last()->message);
        return EXIT_USAGE;
    }
    *details_text = details ? json_dumps(details, JSON_COMPACT | JSON_ENSURE_ASCII |
                                                      JSON_SORT_KEYS | JSON_ENCODE_ANY)
                            : NULL;
    *ev = (wd_audit_event){.type = type,
                           .severity = s,
                           .component = comp,
                           .correlation_id = corr,
                           .details = *details_text};
    return 0;
}

static int append_stdin(wd_audit *log)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int status = 0;
    while ((n = getline(&buf, &cap, stdin)) != -1) {
        lineno++;
        json_error_t err;
        json_t *j = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &err);
        if (!j) {
            fprintf(stderr, "warden: stdin line %ld: invalid JSON: %s\n", lineno, err.text);
            status = EXIT_USAGE;
            break;
        }
        wd_audit_event ev;
        char *details = NULL;
        uint64_t seq;
        int rc = stdin_event(j, &ev, &details, lineno);
        if (!rc && wd_audit_append(log, &ev, &seq) != 0) {
            char where[WHERE_MAX];
            snprintf(where, sizeof(where), "stdin line %ld", lineno);
            cli_error(where);
            rc = EXIT_USAGE;
        }
        free(details);
        json_decref(j);
        if (rc) {
            status = rc;
            break;
        }
        printf("%" PRIu64 "\n", seq);
        fflush(stdout);
    }
    free(buf);
    return status;
}

static int do_append(args *a)
{
    if (!a->stdin_mode && (need(a->type, "--type") || need(a->severity, "--severity")))
        return EXIT_USAGE;
    wd_severity sev = WD_SEVERITY_LOW;
    if (!a->stdin_mode && wd_severity_parse(a->severity, &sev) != 0) {
        cli_error(NULL);
        return EXIT_USAGE;
    }
    wd_audit *log;
    wd_diagnostics *notes;
    int status = open_writer(a, &log, &notes);
    if (status)
        return status;
    if (a->stdin_mode) {
        status = append_stdin(log);
    } else {
        wd_audit_event ev = {.type = a->type,
                             .severity = sev,
                             .component = a->component,
                             .correlation_id = a->corr,
                             .details = a->details};
        uint64_t seq;
        if (wd_audit_append(log, &ev, &seq) != 0) {
            cli_error(NULL);
            status = EXIT_USAGE;
        } else {
            printf("%" PRIu64 "\n", seq);
        }
    }
    return close_writer(log, notes, status);
}

static int do_checkpoint(args *a)
{
    wd_audit *log;
    wd_diagnostics *notes;
    int status = open_writer(a, &log, &notes);
    if (status)
        return status;
    if (wd_audit_checkpoint(log, a->export_path) != 0) {
        cli_error(NULL);
        status = EXIT_USAGE;
    } else if (a->export_path) {
        printf("anchor written to %s\n", a->export_path);
    }
    return close_writer(log, notes, status);
}

static int do_verify(args *a)
{
    if (need(a->log, "--log"))
        return EXIT_USAGE;
    if (!a->mac_key && !a->pubkey) {
        fprintf(stderr, "warden: verify needs --mac-key FILE or --pubkey FILE (or both)\n");
        return EXIT_USAGE;
    }
    wd_audit_verify_options o = WD_AUDIT_VERIFY_OPTIONS_INIT;
    o.mac_key_path = a->mac_key;
    o.pubkey_path = a->pubkey;
    o.anchor_path = a->anchor;
    o.fresh_ns = (int64_t)a->fresh.seconds * 1000000000LL;
    wd_audit_verify_result r;
    if (wd_audit_verify(a->log, &o, &r) != 0) {
        cli_error("cannot verify");
        return EXIT_USAGE;
    }
    char sealed_at[WD_TIME_TEXT_LEN + 1] = "", unsealed_since[WD_TIME_TEXT_LEN + 1] = "";
    if (r.sealed_seq)
        wd_time_format(r.sealed_ns, sealed_at);
    if (r.unsealed)
        wd_time_format(r.unsealed_since_ns, unsealed_since);
    if (a->json) {
        json_t *j =
            json_pack("{s:b, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:I}", "intact",
                      r.problem == WD_AUDIT_OK, "problem", wd_audit_problem_name(r.problem), "seq",
                      (json_int_t)r.seq, "message", r.message, "records", (json_int_t)r.records,
                      "checkpoints", (json_int_t)r.checkpoints, "last_seq", (json_int_t)r.last_seq,
                      "unsealed", (json_int_t)r.unsealed, "recoveries", (json_int_t)r.recoveries,
                      "macs_checked", r.macs_checked > 0, "signatures_checked",
                      r.signatures_checked > 0, "sealed_seq", (json_int_t)r.sealed_seq);
        if (j) {
            json_object_set_new(j, "sealed_at",
                                r.sealed_seq ? json_string(sealed_at) : json_null());
            json_object_set_new(j, "unsealed_since",
                                r.unsealed ? json_string(unsealed_since) : json_null());
        }
        cli_print_json(j);
        return r.problem == WD_AUDIT_OK ? 0 : EXIT_DENY;
    }
    if (r.problem != WD_AUDIT_OK) {
        printf("%s\n", r.message);
        return EXIT_DENY;
    }
    printf("intact: %" PRIu64 " records (last seq %" PRIu64 "), %" PRIu64
           " checkpoint%s verified%s%s\n",
           r.records, r.last_seq, r.checkpoints, r.checkpoints == 1 ? "" : "s",
           a->mac_key ? ", every MAC checked" : "", a->pubkey ? ", every signature checked" : "");
    if (r.sealed_seq)
        printf("sealed: up to seq %" PRIu64 " at %s; %" PRIu64 " record%s after it unsealed%s%s\n",
               r.sealed_seq, sealed_at, r.unsealed, r.unsealed == 1 ? "" : "s",
               r.unsealed ? " since " : "", unsealed_since);
    else
        printf("sealed: not at all (no checkpoint); %" PRIu64 " records unsealed\n", r.unsealed);
    if (a->fresh.text)
        printf("fresh: sealed within %s\n", a->fresh.text);
    if (r.recoveries)
        printf("note: %" PRIu64 " RECOVERY records declare crash or write-failure damage "
               "(see warden audit show "
               "--type RECOVERY)\n",
               r.recoveries);
    if (r.unsealed && !a->mac_key)
        printf("note: the last %" PRIu64 " records come after the last checkpoint: only the MAC "
               "key or an anchor covers them\n",
               r.unsealed);
    if (!a->fresh.text && !a->anchor)
        printf("note: records cut after the last seal, or a whole log rolled back, verify as "
               "intact without --fresh or --anchor (docs/audit-format.md, \"What each check "
               "detects\")\n");
    return 0;
}

typedef struct {
    bool json;
    uint64_t shown;
} show_ctx;

static int print_record(const wd_audit_record *r, void *p)
{
    show_ctx *ctx = p;
    ctx->shown++;
    if (ctx->json)
        printf("%s\n", r->line);
    else
        printf("%-8" PRIu64 " %.*sZ  %-8s %-20s %-12s %s\n", r->seq, (int)TS_MILLIS_LEN, r->ts,
               wd_severity_name(r->severity), r->type, r->component[0] ? r->component : "-",
               r->details);
    return 0;
}

static int build_query(const args *a, wd_audit_query *q)
{
    int64_t now = wd_time_now_ns();
    q->type = a->type;
    q->component = a->component;
    q->limit = a->limit;
    if (a->severity && wd_severity_parse(a->severity, &q->min_severity) != 0) {
        cli_error(NULL);
        return EXIT_USAGE;
    }
    if (a->since && !wd_time_parse_user(a->since, now, &q->since_ns)) {
        fprintf(stderr, "warden: cannot read --since \"%s\"\n", a->since);
        return EXIT_USAGE;
    }
    if (a->until && !wd_time_parse_user(a->until, now, &q->until_ns)) {
        fprintf(stderr, "warden: cannot read --until \"%s\"\n", a->until);
        return EXIT_USAGE;
    }
    return 0;
}

static int do_show(args *a)
{
    if (need(a->log, "--log"))
        return EXIT_USAGE;
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    int status = build_query(a, &q);
    if (status)
        return status;
    show_ctx ctx = {.json = a->json};
    if (wd_audit_query_run(a->log, &q, print_record, &ctx) != 0) {
        cli_error("cannot read the audit log");
        return EXIT_USAGE;
    }
    return 0;
}

typedef struct {
    uint64_t last_seq;
} tail_ctx;

static int print_tail(const wd_audit_record *r, void *p)
{
    tail_ctx *t = p;
    if (r->seq <= t->last_seq)
        return 0;
    t->last_seq = r->seq;
    printf("%s\n", r->line);
    return 0;
}

static int do_tail(args *a)
{
    if (need(a->log, "--log"))
        return EXIT_USAGE;
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    q.limit = a->limit ? a->limit : TAIL_DEFAULT;
    q.last = 1;
    tail_ctx t = {0};
    if (wd_audit_query_run(a->log, &q, print_tail, &t) != 0) {
        cli_error("cannot read the audit log");
        return EXIT_USAGE;
    }
    fflush(stdout);
    /* Follow by polling: simple, and correct across segment rotation. */
    while (a->follow) {
        struct timespec ts = {.tv_nsec = TAIL_POLL_NS};
        nanosleep(&ts, NULL);
        wd_audit_query all = WD_AUDIT_QUERY_INIT;
        if (wd_audit_query_run(a->log, &all, print_tail, &t) != 0) {
            cli_error("cannot read the audit log");
            return EXIT_USAGE;
        }
        fflush(stdout);
    }
    return 0;
}

int cmd_audit(int argc, char **argv)
{
    wd_audit_options defaults = WD_AUDIT_OPTIONS_INIT;
    args a = {
        .wopts = defaults,
        .batch_ms = defaults.batch_ms,
        .checkpoint_every = defaults.checkpoint_every,
        .checkpoint_secs = defaults.checkpoint_secs,
        .segment_bytes = defaults.segment_bytes,
    };
    const cli_opt opts[] = {
        {.name = "log",
         .kind = CLI_STRING,
         .dest = &a.log,
         .arg = "LOG",
         .help = "the audit log's directory"},
        {.name = "keys",
         .kind = CLI_STRING,
         .dest = &a.keys,
         .arg = "DIR",
         .help = "a writer's key directory"},
        {.name = "dir",
         .kind = CLI_STRING,
         .dest = &a.dir,
         .arg = "DIR",
         .help = "keygen: where the keys go"},
        {.name = "type",
         .kind = CLI_STRING,
         .dest = &a.type,
         .arg = "T",
         .help = "the event's type (show: the type shown)"},
        {.name = "severity",
         .kind = CLI_STRING,
         .dest = &a.severity,
         .arg = "S",
         .help = "the event's severity (show: the least shown)"},
        {.name = "component",
         .kind = CLI_STRING,
         .dest = &a.component,
         .arg = "C",
         .help = "the event's component (show: the one shown)"},
        {.name = "details",
         .kind = CLI_STRING,
         .dest = &a.details,
         .arg = "JSON",
         .help = "the event's details, a JSON object"},
        {.name = "correlation-id",
         .kind = CLI_STRING,
         .dest = &a.corr,
         .arg = "ID",
         .help = "the event's correlation id"},
        {.name = "stdin",
         .kind = CLI_FLAG,
         .dest = &a.stdin_mode,
         .help = "append: events as JSON lines on stdin"},
        {.name = "export",
         .kind = CLI_STRING,
         .dest = &a.export_path,
         .arg = "FILE",
         .help = "checkpoint: write an anchor here"},
        {.name = "mac-key",
         .kind = CLI_STRING,
         .dest = &a.mac_key,
         .arg = "FILE",
         .help = "verify: check every MAC"},
        {.name = "pubkey",
         .kind = CLI_STRING,
         .dest = &a.pubkey,
         .arg = "FILE",
         .help = "verify: check every signature"},
        {.name = "anchor",
         .kind = CLI_STRING,
         .dest = &a.anchor,
         .arg = "FILE",
         .help = "verify: against an exported anchor"},
        {.name = "since",
         .kind = CLI_STRING,
         .dest = &a.since,
         .arg = "T",
         .help = "show: records from T"},
        {.name = "until",
         .kind = CLI_STRING,
         .dest = &a.until,
         .arg = "T",
         .help = "show: records until T"},
        {.name = "limit",
         .alias = 'n',
         .kind = CLI_NUMBER,
         .dest = &a.limit,
         .arg = "N",
         .help = "show: at most N records; tail: the last N (default 10)",
         .invalid = "takes a whole number"},
        {.name = "json", .kind = CLI_FLAG, .dest = &a.json, .help = "verify, show: print JSON"},
        {.name = "durability",
         .kind = CLI_STRING,
         .dest = &a.durability,
         .arg = "MODE",
         .help = "always, batch or none (default always)"},
        {.name = "batch-ms",
         .kind = CLI_NUMBER,
         .dest = &a.batch_ms,
         .arg = "N",
         .help = "batch durability's longest wait",
         .max = MS_MAX,
         .invalid = "takes a whole number"},
        {.name = "checkpoint-every",
         .kind = CLI_NUMBER,
         .dest = &a.checkpoint_every,
         .arg = "N",
         .help = "a checkpoint every N records",
         .invalid = "takes a whole number"},
        {.name = "checkpoint-secs",
         .kind = CLI_NUMBER,
         .dest = &a.checkpoint_secs,
         .arg = "N",
         .help = "a checkpoint every N seconds",
         .max = MS_MAX,
         .invalid = "takes a whole number"},
        {.name = "segment-bytes",
         .kind = CLI_NUMBER,
         .dest = &a.segment_bytes,
         .arg = "N",
         .help = "a new segment past N bytes",
         .invalid = "takes a whole number"},
        {.name = "no-append-only",
         .kind = CLI_FLAG,
         .dest = &a.no_append_only,
         .help = "leave segments without the append-only attribute"},
        {.name = "fresh",
         .kind = CLI_DURATION,
         .dest = &a.fresh,
         .arg = "DURATION",
         .help = "verify: fail unless sealed within DURATION",
         .min = 1,
         .max = FRESH_MAX_S,
         .invalid = "takes a duration such as 30s, 15m, 2h or 1d"},
        {.alias = 'f', .kind = CLI_FLAG, .dest = &a.follow, .help = "tail: follow the log"},
        {0},
    };
    char command[COMMAND_MAX];
    snprintf(command, sizeof(command), "audit %s", argc >= 2 ? argv[1] : "");
    const cli_spec spec = {
        .prog = "warden", .command = command, .usage = audit_usage_text, .opts = opts};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        cli_usage(argc < 2 ? stderr : stdout, &spec);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    cli_args rest;
    int status = cli_parse(argc - 1, argv + 1, &spec, &rest);
    if (status != CLI_PARSED)
        return status;
    if (rest.n) {
        fprintf(stderr, "warden: unexpected argument \"%s\"\n", rest.v[0]);
        cli_usage(stderr, &spec);
        return EXIT_USAGE;
    }
    if (writer_options(&a) != 0)
        return EXIT_USAGE;
    const char *verb = argv[1];
    if (!strcmp(verb, "keygen")) {
        if (need(a.dir, "--dir"))
            return EXIT_USAGE;
        if (wd_audit_keygen(a.dir) != 0) {
            cli_error("keygen");
            return EXIT_USAGE;
        }
        printf("keys written to %s: mac.key (keep it offline, for verifiers), signing.key, "
               "signing.pub, writer.state\n",
               a.dir);
        return 0;
    }
    if (!strcmp(verb, "append"))
        return do_append(&a);
    if (!strcmp(verb, "checkpoint"))
        return do_checkpoint(&a);
    if (!strcmp(verb, "verify"))
        return do_verify(&a);
    if (!strcmp(verb, "show"))
        return do_show(&a);
    if (!strcmp(verb, "tail"))
        return do_tail(&a);
    fprintf(stderr, "warden: unknown audit command \"%s\"\n", verb);
    cli_usage(stderr, &spec);
    return EXIT_USAGE;
}
