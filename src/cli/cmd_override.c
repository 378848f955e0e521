/* cmd_override.c: warden override enroll|approve|id: human approvals of one denied operation
 * (include/warden/override.h, docs/overrides.md). */
#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "util/secure.h"

enum {
    URI_MAX = 1024,     /* an otpauth:// URI */
    CODE_LINE_MAX = 32, /* --code -: one line of stdin */
    TTL_MAX_S = 86400,  /* an approval's longest life */
    DIGITS_MIN = 6,
    DIGITS_MAX = 8,
    QR_QUIET_ZONE = 2, /* modules of light border scanners need */
    COMMAND_MAX = 32,  /* "override approve" */
};

static const char override_usage[] =
    "usage: warden override enroll --dir DIR --label NAME [--algorithm SHA1|SHA256|SHA512]\n"
    "                              [--digits 6-8] [--issuer TEXT] [--no-qr]\n"
    "       warden override approve --dir DIR --operation ID --code CODE --approver NAME\n"
    "                               --justification TEXT [--ttl 5m]\n"
    "       warden override id --component ID VERB TARGET\n"
    "  each takes [--audit-log LOG --audit-keys DIR] to record what it does\n\n"
    "enroll creates an approver's secret (0600, never overwritten) and prints the\n"
    "otpauth:// URI and a QR code to scan with an authenticator app. approve checks\n"
    "the approver's current code and lets exactly that operation through once, within\n"
    "the TTL (at most 24h); a code is accepted once, failures are throttled, every\n"
    "attempt is audited (never the code). --code - reads the code from standard\n"
    "input (one line), so it never shows in the process list or shell history.\n"
    "id prints the operation id `warden check --overrides` reports for a denied\n"
    "VERB TARGET.\n"
    "Exit: 0 done, 1 refused (wrong, replayed or throttled code; WD-Onnn on stderr),\n"
    "2 usage or input error.\n";

/* Parses a verb's options (argv[0] is the verb); prints and returns the exit status when the
 * verb should not go on, else CLI_PARSED. */
static int verb_args(int argc, char **argv, const cli_opt *opts, cli_args *args)
{
    char command[COMMAND_MAX];
    snprintf(command, sizeof(command), "override %s", argv[0]);
    const cli_spec spec = {
        .prog = "warden", .command = command, .usage = override_usage, .opts = opts};
    return cli_parse(argc, argv, &spec, args);
}

static int usage_error(const cli_opt *opts)
{
    const cli_spec spec = {.prog = "warden", .usage = override_usage, .opts = opts};
    cli_usage(stderr, &spec);
    return EXIT_USAGE;
}

/* The QR code in the terminal: two modules per character row (upper and lower half blocks),
 * with the quiet zone scanners need, dark on a light background. */
static int print_qr(const char *text)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr) {
        fprintf(stderr, "warden: cannot make a QR code: %s\n", strerror(errno));
        return -1;
    }
    const int quiet = QR_QUIET_ZONE, w = qr->width, size = w + 2 * quiet;
    for (int y = 0; y < size; y += 2) {
        for (int x = 0; x < size; x++) {
            int top = 0, bottom = 0, my = y - quiet, mx = x - quiet;
            if (mx >= 0 && mx < w && my >= 0 && my < w)
                top = qr->data[my * w + mx] & 1;
            if (mx >= 0 && mx < w && my + 1 >= 0 && my + 1 < w)
                bottom = qr->data[(my + 1) * w + mx] & 1;
            /* Light is drawn, dark is left blank: scanners want dark modules on light. */
            fputs(!top && !bottom ? "\u2588" : !top ? "\u2580" : !bottom ? "\u2584" : " ", stdout);
        }
        putchar('\n');
    }
    QRcode_free(qr);
    return 0;
}

static int close_audit(wd_audit *log, int status)
{
    if (log && wd_audit_close(log) != 0) {
        cli_error("closing the audit log");
        return EXIT_USAGE;
    }
    return status;
}

static int enroll(int argc, char **argv)
{
    const char *dir = NULL, *label = NULL, *alg = NULL, *issuer = NULL, *log_dir = NULL,
               *keys = NULL;
    uint64_t digits = 0;
    bool no_qr = false;
    const cli_opt opts[] = {
        {.name = "dir",
         .kind = CLI_STRING,
         .dest = &dir,
         .arg = "DIR",
         .help = "the approvers' directory (required)"},
        {.name = "label",
         .kind = CLI_STRING,
         .dest = &label,
         .arg = "NAME",
         .help = "the approver's name (required)"},
        {.name = "algorithm",
         .kind = CLI_STRING,
         .dest = &alg,
         .arg = "SHA1|SHA256|SHA512",
         .help = "the code's hash"},
        {.name = "digits",
         .kind = CLI_NUMBER,
         .dest = &digits,
         .arg = "6-8",
         .help = "the code's length",
         .min = DIGITS_MIN,
         .max = DIGITS_MAX,
         .invalid = "is 6, 7 or 8"},
        {.name = "issuer",
         .kind = CLI_STRING,
         .dest = &issuer,
         .arg = "TEXT",
         .help = "the issuer the authenticator app shows"},
        {.name = "no-qr", .kind = CLI_FLAG, .dest = &no_qr, .help = "print the URI only"},
        CLI_AUDIT_OPTS(&log_dir, &keys, "record what is done in this audit log"),
        {0},
    };
    cli_args none;
    int status = verb_args(argc, argv, opts, &none);
    if (status != CLI_PARSED)
        return status;
    if (!dir || !label || none.n)
        return usage_error(opts);
    wd_totp_params p = {0};
    if (alg && wd_totp_alg_parse(alg, &p.alg) != 0) {
        cli_error("--algorithm");
        return EXIT_USAGE;
    }
    p.digits = (unsigned)digits;
    wd_audit *log;
    status = cli_open_audit(log_dir, keys, &log);
    if (status)
        return status;
    char uri[URI_MAX];
    if (wd_override_enroll(dir, label, &p, issuer, uri, sizeof(uri), log) != 0) {
        cli_error(label);
        return close_audit(log, wd_error_last()->code == WD_EBUSY ? EXIT_DENY : EXIT_USAGE);
    }
    printf("approver %s enrolled: scan this with an authenticator app, or enter the URI\n%s\n",
           label, uri);
    if (!no_qr && print_qr(uri) != 0)
        status = EXIT_USAGE;
    fflush(stdout);
    wd_wipe(uri, sizeof(uri)); /* it holds the secret */
    return close_audit(log, status);
}

static int approve(int argc, char **argv)
{
    wd_approve_request r = {.version = WD_APPROVE_REQUEST_VERSION};
    cli_duration ttl = {0};
    const char *log_dir = NULL, *keys = NULL;
    const cli_opt opts[] = {
        {.name = "dir",
         .kind = CLI_STRING,
         .dest = &r.dir,
         .arg = "DIR",
         .help = "the approvers' directory"},
        {.name = "operation",
         .kind = CLI_STRING,
         .dest = &r.operation,
         .arg = "ID",
         .help = "the denied operation's id"},
        {.name = "code",
         .kind = CLI_STRING,
         .dest = &r.code,
         .arg = "CODE|-",
         .help = "the approver's current code; - reads it from stdin"},
        {.name = "approver",
         .kind = CLI_STRING,
         .dest = &r.approver,
         .arg = "NAME",
         .help = "who approves"},
        {.name = "justification",
         .kind = CLI_STRING,
         .dest = &r.justification,
         .arg = "TEXT",
         .help = "why, for the audit log"},
        {.name = "ttl",
         .kind = CLI_DURATION,
         .dest = &ttl,
         .arg = "DURATION",
         .help = "how long the approval stays usable (default 5m)",
         .min = 1,
         .max = TTL_MAX_S,
         .bare_seconds = true,
         .invalid = "is a duration of at most 24h: 90s, 5m, 1h"},
        CLI_AUDIT_OPTS(&log_dir, &keys, "record what is done in this audit log"),
        {0},
    };
    cli_args none;
    int status = verb_args(argc, argv, opts, &none);
    if (status != CLI_PARSED)
        return status;
    if (none.n)
        return usage_error(opts);
    r.ttl_s = ttl.seconds;
    char line[CODE_LINE_MAX] = "";
    if (r.code && strcmp(r.code, "-") == 0) {
        /* A code on the command line is visible to every process for as long as it runs. */
        if (!fgets(line, sizeof(line), stdin)) {
            fprintf(stderr, "warden: --code -: no code on standard input\n");
            return EXIT_USAGE;
        }
        line[strcspn(line, "\r\n")] = '\0';
        r.code = line;
    }
    if (!r.dir || !r.approver || !r.code || !r.operation || !r.justification) {
        fprintf(stderr, "warden: approve needs --dir, --operation, --code, --approver and "
                        "--justification\n");
        return EXIT_USAGE;
    }
    status = cli_open_audit(log_dir, keys, &r.audit);
    if (status)
        return status;
    int rc = wd_override_approve(&r);
    wd_wipe(line, sizeof(line));
    if (rc != 0) {
        int code = wd_error_last()->code;
        cli_error("override refused");
        return close_audit(r.audit, code == WD_EPERM || code == WD_EBUSY ? EXIT_DENY : EXIT_USAGE);
    }
    printf("approved: operation %s may run once within %llu s (approver %s)\n", r.operation,
           (unsigned long long)(r.ttl_s ? r.ttl_s : 300), r.approver);
    return close_audit(r.audit, 0);
}

static int id(int argc, char **argv)
{
    const char *component = NULL;
    const cli_opt opts[] = {
        {.name = "component",
         .kind = CLI_STRING,
         .dest = &component,
         .arg = "ID",
         .help = "the component asking (required)"},
        {0},
    };
    cli_args query;
    int status = verb_args(argc, argv, opts, &query);
    if (status != CLI_PARSED)
        return status;
    if (!component || query.n != 2)
        return usage_error(opts);
    char **args = query.v;
    char op[WD_OPERATION_ID_LEN + 1];
    if (wd_operation_id(component, args[0], args[1], op) != 0) {
        cli_error("id");
        return EXIT_USAGE;
    }
    printf("%s\n", op);
    return 0;
}

int cmd_override(int argc, char **argv)
{
    static const cli_opt no_opts[] = {{0}};
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        const cli_spec spec = {.prog = "warden", .usage = override_usage, .opts = no_opts};
        cli_usage(stdout, &spec);
        return 0;
    }
    if (argc < 2)
        return usage_error(no_opts);
    if (!strcmp(argv[1], "enroll"))
        return enroll(argc - 1, argv + 1);
    if (!strcmp(argv[1], "approve"))
        return approve(argc - 1, argv + 1);
    if (!strcmp(argv[1], "id"))
        return id(argc - 1, argv + 1);
    fprintf(stderr, "warden: override: unknown subcommand %s\n", argv[1]);
    return usage_error(no_opts);
}
