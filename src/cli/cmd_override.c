/* cmd_override.c: warden override enroll|approve|id: human approvals of one denied operation
 * (include/warden/override.h, docs/overrides.md). */
#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "util/secure.h"

static void usage(FILE *out)
{
    fprintf(
        out,
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
        "2 usage or input error.\n");
}

static const char *opt(int argc, char **argv, const char *name)
{
    return cli_option(argc, argv, 2, name);
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
    const int quiet = 2, w = qr->width, size = w + 2 * quiet;
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

static int open_audit(int argc, char **argv, wd_audit **log)
{
    return cli_open_audit(opt(argc, argv, "--audit-log"), opt(argc, argv, "--audit-keys"), log);
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
    const char *dir = opt(argc, argv, "--dir"), *label = opt(argc, argv, "--label"),
               *alg = opt(argc, argv, "--algorithm"), *digits = opt(argc, argv, "--digits");
    bool qr = true;
    for (int i = 2; i < argc; i++)
        qr &= strcmp(argv[i], "--no-qr") != 0;
    if (!dir || !label) {
        usage(stderr);
        return EXIT_USAGE;
    }
    wd_totp_params p = {0};
    if (alg && wd_totp_alg_parse(alg, &p.alg) != 0) {
        cli_error("--algorithm");
        return EXIT_USAGE;
    }
    if (digits) {
        char *end;
        unsigned long d = strtoul(digits, &end, 10);
        if (*end || d < 6 || d > 8) {
            fprintf(stderr, "warden: --digits is 6, 7 or 8\n");
            return EXIT_USAGE;
        }
        p.digits = (unsigned)d;
    }
    wd_audit *log;
    int status = open_audit(argc, argv, &log);
    if (status)
        return status;
    char uri[1024];
    if (wd_override_enroll(dir, label, &p, opt(argc, argv, "--issuer"), uri, sizeof(uri), log) !=
        0) {
        cli_error(label);
        return close_audit(log, wd_error_last()->code == WD_EBUSY ? EXIT_DENY : EXIT_USAGE);
    }
    printf("approver %s enrolled: scan this with an authenticator app, or enter the URI\n%s\n",
           label, uri);
    if (qr && print_qr(uri) != 0)
        status = EXIT_USAGE;
    fflush(stdout);
    wd_wipe(uri, sizeof(uri)); /* it holds the secret */
    return close_audit(log, status);
}

static int parse_ttl(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = !*end               ? 1
                   : !strcmp(end, "s") ? 1
                   : !strcmp(end, "m") ? 60
                   : !strcmp(end, "h") ? 3600
                                       : 0;
    if (errno || end == s || s[0] == '-' || !mul || v == 0 || v > 86400 / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static int approve(int argc, char **argv)
{
    wd_approve_request r = {WD_APPROVE_REQUEST_VERSION,
                            opt(argc, argv, "--dir"),
                            opt(argc, argv, "--approver"),
                            opt(argc, argv, "--code"),
                            opt(argc, argv, "--operation"),
                            opt(argc, argv, "--justification"),
                            0,
                            0,
                            NULL};
    const char *ttl = opt(argc, argv, "--ttl");
    char line[32] = "";
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
    if (ttl && parse_ttl(ttl, &r.ttl_s) != 0) {
        fprintf(stderr, "warden: --ttl is a duration of at most 24h: 90s, 5m, 1h\n");
        return EXIT_USAGE;
    }
    int status = open_audit(argc, argv, &r.audit);
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
    const char *component = opt(argc, argv, "--component");
    const char *args[2];
    int n = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--component")) {
            i++;
            continue;
        }
        if (n == 2) {
            n = 3;
            break;
        }
        args[n++] = argv[i];
    }
    if (!component || n != 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
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
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "enroll"))
        return enroll(argc, argv);
    if (!strcmp(argv[1], "approve"))
        return approve(argc, argv);
    if (!strcmp(argv[1], "id"))
        return id(argc, argv);
    fprintf(stderr, "warden: override: unknown subcommand %s\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
