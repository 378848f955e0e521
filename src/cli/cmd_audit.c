/* cmd_audit.c: warden audit keygen|append|checkpoint|verify|show|tail */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/timeutil.h"

static void audit_usage(FILE *out)
{
    fprintf(
        out,
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
        "Exit: 0 ok / intact, 1 verification failed, 2 usage or error.\n");
}

enum {
    O_LOG = 256,
    O_KEYS,
    O_DIR,
    O_TYPE,
    O_SEVERITY,
    O_COMPONENT,
    O_DETAILS,
    O_CORR,
    O_STDIN,
    O_EXPORT,
    O_MACKEY,
    O_PUBKEY,
    O_ANCHOR,
    O_SINCE,
    O_UNTIL,
    O_LIMIT,
    O_JSON,
    O_DURABILITY,
    O_BATCHMS,
    O_CPEVERY,
    O_CPSECS,
    O_SEGBYTES,
    O_NOAPPEND,
    O_FRESH,
    O_HELP
};

static const struct option longopts[] = {
    {"log", required_argument, NULL, O_LOG},
    {"keys", required_argument, NULL, O_KEYS},
    {"dir", required_argument, NULL, O_DIR},
    {"type", required_argument, NULL, O_TYPE},
    {"severity", required_argument, NULL, O_SEVERITY},
    {"component", required_argument, NULL, O_COMPONENT},
    {"details", required_argument, NULL, O_DETAILS},
    {"correlation-id", required_argument, NULL, O_CORR},
    {"stdin", no_argument, NULL, O_STDIN},
    {"export", required_argument, NULL, O_EXPORT},
    {"mac-key", required_argument, NULL, O_MACKEY},
    {"pubkey", required_argument, NULL, O_PUBKEY},
    {"anchor", required_argument, NULL, O_ANCHOR},
    {"since", required_argument, NULL, O_SINCE},
    {"until", required_argument, NULL, O_UNTIL},
    {"limit", required_argument, NULL, O_LIMIT},
    {"json", no_argument, NULL, O_JSON},
    {"durability", required_argument, NULL, O_DURABILITY},
    {"batch-ms", required_argument, NULL, O_BATCHMS},
    {"checkpoint-every", required_argument, NULL, O_CPEVERY},
    {"checkpoint-secs", required_argument, NULL, O_CPSECS},
    {"segment-bytes", required_argument, NULL, O_SEGBYTES},
    {"no-append-only", no_argument, NULL, O_NOAPPEND},
    {"fresh", required_argument, NULL, O_FRESH},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *log, *keys, *dir, *type, *severity, *component, *details, *corr, *export_path;
    const char *mac_key, *pubkey, *anchor, *since, *until, *fresh;
    uint64_t limit;
    int64_t fresh_ns;
    bool stdin_mode, json, follow, help;
    wd_audit_options wopts;
} args;

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end)
        return false;
    *out = v;
    return true;
}

/* A duration: digits and one unit of s, m, h or d ("30s", "15m"), at most ten years. */
static bool parse_duration(const char *s, int64_t *ns)
{
    size_t len = s ? strlen(s) : 0;
    if (len < 2 || len > 12)
        return false;
    int64_t unit = s[len - 1] == 's'   ? 1
                   : s[len - 1] == 'm' ? 60
                   : s[len - 1] == 'h' ? 3600
                   : s[len - 1] == 'd' ? 86400
                                       : 0;
    int64_t v = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (!unit || v == 0 || v * unit > 10 * 366 * 86400LL)
        return false;
    *ns = v * unit * 1000000000LL;
    return true;
}

static int parse_args(int argc, char **argv, args *a)
{
    wd_audit_options init = WD_AUDIT_OPTIONS_INIT;
    memset(a, 0, sizeof(*a));
    a->wopts = init;
    int c;
    uint64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:f", longopts, NULL)) != -1) {
        switch (c) {
        case O_LOG:
            a->log = optarg;
            break;
        case O_KEYS:
            a->keys = optarg;
            break;
        case O_DIR:
            a->dir = optarg;
            break;
        case O_TYPE:
            a->type = optarg;
            break;
        case O_SEVERITY:
            a->severity = optarg;
            break;
        case O_COMPONENT:
            a->component = optarg;
            break;
        case O_DETAILS:
            a->details = optarg;
            break;
        case O_CORR:
            a->corr = optarg;
            break;
        case O_STDIN:
            a->stdin_mode = true;
            break;
        case O_EXPORT:
            a->export_path = optarg;
            break;
        case O_MACKEY:
            a->mac_key = optarg;
            break;
        case O_PUBKEY:
            a->pubkey = optarg;
            break;
        case O_ANCHOR:
            a->anchor = optarg;
            break;
        case O_SINCE:
            a->since = optarg;
            break;
        case O_UNTIL:
            a->until = optarg;
            break;
        case O_JSON:
            a->json = true;
            break;
        case O_NOAPPEND:
            a->wopts.append_only = 0;
            break;
        case O_FRESH:
            a->fresh = optarg;
            if (!parse_duration(optarg, &a->fresh_ns)) {
                fprintf(stderr, "warden: --fresh takes a duration such as 30s, 15m, 2h or 1d\n");
                return EXIT_USAGE;
            }
            break;
        case 'f':
            a->follow = true;
            break;
        case O_HELP:
            a->help = true;
            break;
        case O_LIMIT:
        case 'n':
            if (!parse_u64(optarg, &a->limit)) {
                fprintf(stderr, "warden: --limit takes a whole number\n");
                return EXIT_USAGE;
            }
            break;
        case O_DURABILITY:
            if (!strcmp(optarg, "always"))
                a->wopts.durability = WD_DURABILITY_ALWAYS;
            else if (!strcmp(optarg, "batch"))
                a->wopts.durability = WD_DURABILITY_BATCH;
            else if (!strcmp(optarg, "none"))
                a->wopts.durability = WD_DURABILITY_NONE;
            else {
                fprintf(stderr, "warden: --durability is always, batch or none\n");
                return EXIT_USAGE;
            }
            break;
        case O_BATCHMS:
        case O_CPEVERY:
        case O_CPSECS:
        case O_SEGBYTES:
            if (!parse_u64(optarg, &v) || (c != O_CPEVERY && c != O_SEGBYTES && v > 86400000)) {
                fprintf(stderr, "warden: %s takes a whole number\n", argv[optind - 2]);
                return EXIT_USAGE;
            }
            if (c == O_BATCHMS)
                a->wopts.batch_ms = (unsigned)v;
            else if (c == O_CPEVERY)
                a->wopts.checkpoint_every = v;
            else if (c == O_CPSECS)
                a->wopts.checkpoint_secs = (unsigned)v;
            else
                a->wopts.segment_bytes = v;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "warden: unexpected argument \"%s\"\n", argv[optind]);
        return EXIT_USAGE;
    }
    return 0;
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
    *ev = (wd_audit_event){type, s, comp, corr, *details_text};
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
            char where[48];
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
        wd_audit_event ev = {a->type, sev, a->component, a->corr, a->details};
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
    o.fresh_ns = a->fresh_ns;
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
    if (a->fresh_ns)
        printf("fresh: sealed within %s\n", a->fresh);
    if (r.recoveries)
        printf("note: %" PRIu64 " RECOVERY records declare crash or write-failure damage "
               "(see warden audit show "
               "--type RECOVERY)\n",
               r.recoveries);
    if (r.unsealed && !a->mac_key)
        printf("note: the last %" PRIu64 " records come after the last checkpoint: only the MAC "
               "key or an anchor covers them\n",
               r.unsealed);
    if (!a->fresh_ns && !a->anchor)
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
        printf("%-8" PRIu64 " %.23sZ  %-8s %-20s %-12s %s\n", r->seq, r->ts,
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
    show_ctx ctx = {a->json, 0};
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
    q.limit = a->limit ? a->limit : 10;
    q.last = 1;
    tail_ctx t = {0};
    if (wd_audit_query_run(a->log, &q, print_tail, &t) != 0) {
        cli_error("cannot read the audit log");
        return EXIT_USAGE;
    }
    fflush(stdout);
    /* Follow by polling: simple, and correct across segment rotation. */
    while (a->follow) {
        struct timespec ts = {0, 200 * 1000 * 1000};
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
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        audit_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    args a;
    int status = parse_args(argc - 1, argv + 1, &a);
    if (status) {
        audit_usage(stderr);
        return status;
    }
    if (a.help) {
        audit_usage(stdout);
        return 0;
    }
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
    audit_usage(stderr);
    return EXIT_USAGE;
}
