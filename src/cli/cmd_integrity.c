/* cmd_integrity.c: warden integrity baseline|verify|lock|unlock (include/warden/integrity.h,
 * docs/integrity.md). */
#include <string.h>

#include "audit/json_event.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "util/error.h"

enum { ERROR_ID_MAX = 16, ERROR_MESSAGE_MAX = 512, COMMAND_MAX = 32 /* "integrity unlock" */ };

static const char integrity_usage[] =
    "usage: warden integrity baseline --manifest FILE --keys DIR PATH...\n"
    "       warden integrity verify --manifest FILE --pubkey FILE\n"
    "       warden integrity lock|unlock --manifest FILE --pubkey FILE\n"
    "  each takes [--audit-log LOG --audit-keys DIR] to record what it does (a failed\n"
    "  verify as a CRITICAL INTEGRITY_MISMATCH record)\n\n"
    "baseline signs (with the audit signing key in DIR) a manifest of every file under\n"
    "PATH...; verify checks the signature first, then each file's content, owner, type\n"
    "and permissions, and that no file was added; lock makes them read-only (and\n"
    "immutable where possible); unlock restores the baseline's permissions.\n"
    "Exit: 0 intact/done, 1 the files or the manifest do not match, 2 usage or error.\n";

static void print_line(const char *line, void *ctx)
{
    (void)ctx;
    printf("%s\n", line);
}

int cmd_integrity(int argc, char **argv)
{
    const char *manifest = NULL, *keys = NULL, *pubkey = NULL, *log_dir = NULL, *log_keys = NULL;
    const cli_opt opts[] = {
        {.name = "manifest",
         .kind = CLI_STRING,
         .dest = &manifest,
         .arg = "FILE",
         .help = "the signed baseline (required)"},
        {.name = "keys",
         .kind = CLI_STRING,
         .dest = &keys,
         .arg = "DIR",
         .help = "baseline: the audit signing key's directory"},
        {.name = "pubkey",
         .kind = CLI_STRING,
         .dest = &pubkey,
         .arg = "FILE",
         .help = "verify, lock, unlock: the baseline's public key"},
        CLI_AUDIT_OPTS(&log_dir, &log_keys, "record what is done in this audit log"),
        {0},
    };
    const char *sub = argc >= 2 ? argv[1] : "";
    char command[COMMAND_MAX];
    snprintf(command, sizeof(command), "integrity %s", sub);
    const cli_spec spec = {
        .prog = "warden", .command = command, .usage = integrity_usage, .opts = opts};
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        cli_usage(stdout, &spec);
        return 0;
    }
    cli_args paths = {0};
    int rc = argc >= 2 ? cli_parse(argc - 1, argv + 1, &spec, &paths) : CLI_PARSED;
    if (rc != CLI_PARSED)
        return rc;
    size_t n = paths.n;
    bool create = !strcmp(sub, "baseline"), verify = !strcmp(sub, "verify"),
         lock = !strcmp(sub, "lock"), unlock = !strcmp(sub, "unlock");
    if (!(create || verify || lock || unlock) || !manifest || (create && (!keys || !n)) ||
        (!create && (!pubkey || n)) || !log_dir != !log_keys) {
        cli_usage(stderr, &spec);
        return EXIT_USAGE;
    }
    wd_audit *log = NULL;
    if (cli_open_audit(log_dir, log_keys, &log) != 0)
        return EXIT_USAGE;
    int status = 0;
    if (create) {
        size_t count = 0;
        rc = wd_baseline_create((const char **)paths.v, n, keys, manifest, log, &count);
        if (!rc)
            printf("baseline of %zu files signed: %s\n", count, manifest);
    } else if (verify) {
        wd_baseline_result r;
        rc = wd_baseline_verify(manifest, pubkey, &r, print_line, NULL);
        if (!rc)
            printf("intact: %zu files match the signed baseline\n", r.files);
        else if (log && (rc == WD_ESTATE || rc == WD_EPERM)) {
            /* A mismatch (or a baseline that is not ours) is the event tamper resistance is
             * for: CRITICAL. The error is kept for the exit status and the message. */
            char id[ERROR_ID_MAX], msg[ERROR_MESSAGE_MAX];
            snprintf(id, sizeof(id), "%s", wd_error_last()->id);
            snprintf(msg, sizeof(msg), "%s", wd_error_last()->message);
            wd_audit_json(log, "INTEGRITY_MISMATCH", WD_SEVERITY_CRITICAL, "", NULL,
                          json_pack("{s:s, s:s, s:I}", "manifest", manifest, "id", id, "problems",
                                    (json_int_t)r.problems));
            rc = wd_error_set(rc, id, manifest, 0, 0, "%s", msg);
        }
    } else {
        rc = (lock ? wd_integrity_lock : wd_integrity_unlock)(manifest, pubkey, log, print_line,
                                                              NULL);
        if (!rc)
            printf("%s: %s\n", lock ? "locked" : "unlocked", manifest);
    }
    if (rc) {
        cli_error(sub);
        int code = wd_error_last()->code;
        status = code == WD_ESTATE || code == WD_EPERM ? EXIT_DENY : EXIT_USAGE;
    }
    if (log && wd_audit_close(log) != 0) {
        cli_error("closing the audit log");
        status = EXIT_USAGE;
    }
    return status;
}
