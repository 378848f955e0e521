/* cmd_check.c: warden check --policy FILE [--data-dir DIR] [--json] (VERB TARGET | --batch F|-) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "verdict/verdict.h"

enum { BATCH_LINE_MAX = 8192, PROTECT_MAX = 256, BATCH_ERROR_MAX = 64 };

static const char check_usage[] =
    "usage: warden check --policy FILE [--data-dir DIR] [--json] VERB TARGET\n"
    "       warden check --policy FILE [--data-dir DIR] [--json] --batch FILE|-\n\n"
    "VERB TARGET is one of:\n"
    "  read|write|execute|create|delete ABSOLUTE_PATH\n"
    "  connect [SCHEME://]HOST[:PORT]\n"
    "  env KEY\n"
    "  call TOOL_NAME (a tool of an MCP server plugin)\n\n"
    "       [--audit-log LOG --audit-keys DIR]: record every decision in the audit log\n"
    "       [--overrides DIR --component ID]: a denial reports its operation id; an\n"
    "         approval (warden override approve) lets that operation through once\n"
    "       [--protect GLOB]...: writing, creating or deleting there is denied, whatever\n"
    "         the policy grants (a warning names each rule that tries)\n"
    "       [--baseline MANIFEST --pubkey FILE]: refuse to start unless the signed\n"
    "         baseline verifies; deny everything once a file in it changes\n\n"
    "Prints allow or deny as the first word, then why. --data-dir resolves relative\n"
    "fs:// URIs (default: the policy file's directory). --batch reads one VERB TARGET\n"
    "per line ('#' starts a comment) and prints one line per query, in order.\n"
    "Exit status: 0 allow (every query), 1 deny (any query), 2 usage or input error\n"
    "(a malformed batch line prints \"error LINE: message\" and the rest still run).\n";

enum { AUDIT_CHUNK = 256 };

typedef struct {
    const wd_policy *policy;
    const char *policy_name;
    bool json;
    /* --audit-log: every decision becomes a DECISION record; batch mode queues them and
     * appends AUDIT_CHUNK at a time, so one sync covers many decisions. */
    wd_audit *audit;
    wd_audit_event queue[AUDIT_CHUNK];
    char *details[AUDIT_CHUNK];
    size_t queued;
    int audit_failed;
    /* --overrides DIR --component ID: a denial reports its operation id, and an approval for
     * it (warden override approve) turns that one denial into an allow, once. */
    const char *overrides;
    const char *component;
    /* --baseline M --pubkey P: verified at start (a mismatch refuses to start), then watched:
     * once anything in it changes, every decision denies with the lockdown's reason. */
    wd_watch *watch;
    /* --protect GLOB: write, create and delete on these deny, whatever the policy grants. */
    wd_protected *protect;
    /* A call was checked against a policy without a tools list: said once. */
    bool noted_no_tool_list;
} checker;

static int audit_flush(checker *ck)
{
    int rc = 0;
    if (ck->audit && ck->queued) {
        rc = wd_audit_append_many(ck->audit, ck->queue, ck->queued, NULL);
        if (rc) {
            cli_error("audit log");
            ck->audit_failed = 1;
        }
    }
    for (size_t i = 0; i < ck->queued; i++)
        free(ck->details[i]);
    ck->queued = 0;
    return rc;
}

static void audit_decision(checker *ck, const char *verb, const char *target, const wd_decision *d,
                           const char *why)
{
    if (!ck->audit)
        return;
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "decision", wd_effect_name(d->effect), "verb", verb,
                  "target", target, "reason", wd_reason_name(d->reason), "explanation", why);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!text) {
        ck->audit_failed = 1;
        return;
    }
    ck->details[ck->queued] = text;
    ck->queue[ck->queued++] = (wd_audit_event){
        .type = "DECISION",
        .severity = d->effect == WD_ALLOW ? WD_SEVERITY_LOW : WD_SEVERITY_MEDIUM,
        .component = ck->policy_name,
        .details = text,
    };
    if (ck->queued == AUDIT_CHUNK)
        audit_flush(ck);
}

/* A malformed batch line: one line of output, JSON when --json, so a reader never has to parse
 * two formats. */
static void batch_error(checker *ck, long line, const char *msg)
{
    if (ck->json)
        cli_print_json(json_pack("{s:s, s:I}", "error", msg, "line", (json_int_t)line));
    else
        printf("error %ld: %s\n", line, msg);
}

/* Decides one query and prints its line. Returns EXIT_ALLOW, EXIT_DENY or EXIT_USAGE. */
static int check_one(checker *ck, const char *verb, const char *target, long line)
{
    wd_request_buf req;
    wd_final f;
    /* An approval's OVERRIDE_USED record must come before this DECISION: flush what is
     * queued first. */
    if (ck->overrides)
        audit_flush(ck);
    wd_verdict_rules rules = {.watch = ck->watch,
                              .protect = ck->protect,
                              .overrides = ck->overrides,
                              .component = ck->component,
                              .audit = ck->audit};
    int rc = wd_request_parse(&req, verb, target);
    if (!rc)
        rc = wd_verdict_decide(&rules, ck->policy, &req.request, verb, target, &f);
    if (rc && rc != WD_EINVAL) {
        cli_error("overrides");
        ck->audit_failed = 1;
        rc = 0;
    }
    if (rc) {
        const char *msg = wd_error_last()->message;
        if (line)
            batch_error(ck, line, msg);
        else if (ck->json)
            cli_print_json(json_pack("{s:s, s:s}", "error", msg, "verb", verb));
        else
            fprintf(stderr, "warden: %s\n", msg);
        return EXIT_USAGE;
    }
    /* The answer is the list's; where there is no list at all, the host does not ask it. */
    if (req.request.kind == WD_REQ_TOOL && !wd_policy_lists_tools(ck->policy) &&
        !ck->noted_no_tool_list) {
        fprintf(stderr,
                "warden: note: %s has no tools list, so an MCP server plugin under it may call "
                "every tool; a call is checked here against an empty list\n",
                ck->policy_name);
        ck->noted_no_tool_list = true;
    }
    const wd_decision d = f.d;
    const char *why = f.why, *op = f.operation;
    bool overridden = f.overridden;
    audit_decision(ck, verb, target, &d, why);
    if (ck->json) {
        json_t *j =
            json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "decision", wd_effect_name(d.effect),
                      "verb", verb, "target", target, "reason", wd_reason_name(d.reason), "rule",
                      cli_rule_json(d.rule), "other", cli_rule_json(d.other), "explanation", why);
        if (j && op[0]) {
            json_object_set_new(j, "operation", json_string(op));
            json_object_set_new(j, "override", json_boolean(overridden));
        }
        cli_print_json(j);
    } else if (op[0] && !overridden) {
        printf("%s %s %s: %s [operation %s]\n", wd_effect_name(d.effect), verb, target, why, op);
    } else {
        printf("%s %s %s: %s\n", wd_effect_name(d.effect), verb, target, why);
    }
    return d.effect == WD_ALLOW ? EXIT_ALLOW : EXIT_DENY;
}

static void warn_protected(const wd_rule *r, const char *glob, void *ctx)
{
    (void)ctx;
    fprintf(stderr,
            "%s:%u:%u: warning WD-W002: %s grants changes on a protected path (%s): those "
            "changes are denied\n",
            r->file, r->line, r->column, r->text, glob);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static int run_batch(checker *ck, const char *path)
{
    FILE *in = strcmp(path, "-") ? fopen(path, "re") : stdin;
    if (!in) {
        fprintf(stderr, "warden: cannot open batch file %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    int status = EXIT_ALLOW;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    while ((n = getline(&buf, &cap, in)) != -1) {
        lineno++;
        int rc;
        size_t content = (size_t)n - (n > 0 && buf[n - 1] == '\n');
        if (content > BATCH_LINE_MAX) {
            char msg[BATCH_ERROR_MAX];
            snprintf(msg, sizeof(msg), "line is longer than %d bytes", BATCH_LINE_MAX);
            batch_error(ck, lineno, msg);
            rc = EXIT_USAGE;
        } else if (memchr(buf, '\0', (size_t)n)) {
            batch_error(ck, lineno, "NUL byte in line");
            rc = EXIT_USAGE;
        } else {
            /* '#' at the start, or after white space, begins a comment. */
            for (char *h = buf; (h = strchr(h, '#')) != NULL; h++)
                if (h == buf || h[-1] == ' ' || h[-1] == '\t') {
                    *h = '\0';
                    break;
                }
            char *line = trim(buf);
            if (!*line)
                continue;
            char *sp = line + strcspn(line, " \t");
            if (!*sp) {
                batch_error(ck, lineno, "expected VERB TARGET");
                rc = EXIT_USAGE;
            } else {
                *sp = '\0';
                rc = check_one(ck, line, trim(sp + 1), lineno);
            }
        }
        if (rc == EXIT_USAGE || (rc == EXIT_DENY && status == EXIT_ALLOW))
            status = rc;
    }
    bool read_error = ferror(in);
    free(buf);
    if (in != stdin)
        fclose(in);
    if (read_error) {
        fprintf(stderr, "warden: error reading batch file %s\n", path);
        return EXIT_USAGE;
    }
    return status;
}

typedef struct {
    const char *policy, *data_dir, *batch, *audit_log, *audit_keys, *baseline, *pubkey;
    const char *protect[PROTECT_MAX];
    cli_list protect_list;
} check_options;

/* Opens what the options name: the audit log, the watch, the policy, the protected paths.
 * Returns 0 or EXIT_USAGE; whatever was opened is left in ck and *policy for check to close. */
static int open_all(checker *ck, const check_options *o, wd_policy **policy)
{
    /* Fail closed: a decision that should be audited and cannot be is not made. */
    if (cli_open_audit(o->audit_log, o->audit_keys, &ck->audit) != 0)
        return EXIT_USAGE;
    /* The watch starts before the policy is read: a policy changed and changed back around
     * the read is then a lockdown, not a loosened rule applied unseen. */
    if (o->baseline && wd_watch_start(&ck->watch, o->baseline, o->pubkey, ck->audit) != 0) {
        /* Fail closed: rules that may have been changed are not applied at all. */
        cli_error("refusing to start");
        return EXIT_USAGE;
    }
    /* Warnings of a policy that loads are not the question here; errors are. */
    if (cli_load_policy(o->policy, o->data_dir, policy, NULL) != 0 ||
        (ck->watch && wd_watch_lockdown(ck->watch))) {
        if (*policy)
            fprintf(stderr, "warden: refusing to start: %s while starting\n",
                    wd_watch_lockdown(ck->watch));
        return EXIT_USAGE;
    }
    ck->policy = *policy;
    ck->policy_name = o->policy;
    if (o->protect_list.n && wd_protected_new(&ck->protect, o->protect, o->protect_list.n) != 0) {
        cli_error("--protect");
        return EXIT_USAGE;
    }
    return 0;
}

/* Opens what the options name, decides the query or the batch, and closes them again. */
static int check(checker *ck, const check_options *o, char **query)
{
    wd_policy *policy = NULL;
    int status = open_all(ck, o, &policy);
    bool opened = status == 0;
    if (opened) {
        /* A grant of change on a protected path is dropped: say so when the policy loads. */
        wd_verdict_protected_grants(ck->protect, policy, warn_protected, NULL);
        if (ck->watch) /* a live stream of queries: each answer as soon as it is made */
            setvbuf(stdout, NULL, _IOLBF, 0);
        status = o->batch ? run_batch(ck, o->batch) : check_one(ck, query[0], query[1], 0);
    }
    wd_watch_free(ck->watch);
    wd_protected_free(ck->protect);
    audit_flush(ck); /* nothing is queued unless decisions were made */
    /* Only a log that recorded decisions fails the run when it cannot be closed. */
    if (ck->audit && wd_audit_close(ck->audit) != 0 && opened) {
        cli_error("closing the audit log");
        ck->audit_failed = 1;
    }
    wd_policy_free(policy);
    return ck->audit_failed ? EXIT_USAGE : status;
}

int cmd_check(int argc, char **argv)
{
    check_options o = {
        .protect_list = {.max = PROTECT_MAX, .too_many = "at most 256 --protect globs"},
    };
    o.protect_list.v = o.protect;
    checker ck = {0};
    const cli_opt opts[] = {
        {.name = "policy",
         .kind = CLI_STRING,
         .dest = &o.policy,
         .arg = "FILE",
         .help = "the policy to decide by (required)"},
        {.name = "data-dir",
         .kind = CLI_STRING,
         .dest = &o.data_dir,
         .arg = "DIR",
         .help = "resolves relative fs:// URIs (default: the policy's directory)"},
        {.name = "batch",
         .kind = CLI_STRING,
         .dest = &o.batch,
         .arg = "FILE|-",
         .help = "one VERB TARGET a line, instead of VERB TARGET"},
        {.name = "json", .kind = CLI_FLAG, .dest = &ck.json, .help = "one JSON object a query"},
        CLI_AUDIT_OPTS(&o.audit_log, &o.audit_keys, "record every decision in this audit log"),
        {.name = "overrides",
         .kind = CLI_STRING,
         .dest = &ck.overrides,
         .arg = "DIR",
         .help = "approved overrides (with --component)"},
        {.name = "component",
         .kind = CLI_STRING,
         .dest = &ck.component,
         .arg = "ID",
         .help = "the component asking (with --overrides)"},
        {.name = "baseline",
         .kind = CLI_STRING,
         .dest = &o.baseline,
         .arg = "MANIFEST",
         .help = "a signed baseline to verify and watch (with --pubkey)"},
        {.name = "pubkey",
         .kind = CLI_STRING,
         .dest = &o.pubkey,
         .arg = "FILE",
         .help = "the baseline's public key"},
        {.name = "protect",
         .kind = CLI_LIST,
         .dest = &o.protect_list,
         .arg = "GLOB",
         .help = "no change there, whatever the policy grants (repeatable, at most 256)"},
        {0},
    };
    const cli_spec spec = {
        .prog = "warden", .command = "check", .usage = check_usage, .opts = opts};
    cli_args args;
    int rc = cli_parse(argc, argv, &spec, &args);
    if (rc != CLI_PARSED)
        return rc;
    if (!o.policy || (o.batch && args.n != 0) || (!o.batch && args.n != 2) ||
        !o.audit_log != !o.audit_keys || !ck.overrides != !ck.component ||
        !o.baseline != !o.pubkey) {
        cli_usage(stderr, &spec);
        return EXIT_USAGE;
    }
    return check(&ck, &o, args.v);
}
