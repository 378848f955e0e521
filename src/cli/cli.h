/* cli.h: what the warden subcommands share. Exit codes everywhere: 0 success/allow, 1 deny or
 * invalid, 2 usage or input error. */
#ifndef WD_CLI_H
#define WD_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "warden/warden.h"

enum { EXIT_ALLOW = 0, EXIT_DENY = 1, EXIT_USAGE = 2 };

enum {
    CLI_PATH_MAX = 4096,  /* a path given on the command line, made absolute (cli_absolute) */
    DIAG_LINE_MAX = 1024, /* one diagnostic, as wd_diag_format writes it */
};

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} cli_command;

int cmd_policy(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_plugin(int argc, char **argv);
/* warden plugin import-onex (cmd_import_onex.c); argv[0] is "import-onex". */
int cmd_plugin_import_onex(int argc, char **argv);
int cmd_sandbox(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_override(int argc, char **argv);
int cmd_integrity(int argc, char **argv);
int cmd_check_operation(int argc, char **argv);

/* Prints "warden: message" (with the error's id and location when it has them) to stderr. */
void cli_error(const char *context);
/* Prints every diagnostic in diags to stderr, one per line. */
void cli_print_diags(const wd_diagnostics *diags, size_t first);
/* Prints a JSON value on one line to stdout; returns 0 or EXIT_USAGE when out of memory. */
int cli_print_json(json_t *value);
/* Builds {"file","line","column","text","effect"} for a rule, or JSON null. */
json_t *cli_rule_json(const wd_rule *rule);
/* Loads a policy for a command: resolves --data-dir (may be NULL), prints every error (and,
 * with *warnings NULL, discards warnings; otherwise hands them back). Returns the library's
 * code: 0, WD_EPOLICY (invalid, printed) or another error (printed). */
int cli_load_policy(const char *path, const char *data_dir, wd_policy **out,
                    wd_diagnostics **warnings);
/* Lexically absolute version of a path given on the command line (into out). */
int cli_absolute(const char *path, char *out, size_t size);
/* Opens the audit log a command records into when --audit-log/--audit-keys (log_dir, keys) are
 * given; *log stays NULL when neither is. Prints why and returns EXIT_USAGE when only one is,
 * or when the log cannot be opened (fail closed: nothing unrecorded is done); else 0. */
int cli_open_audit(const char *log_dir, const char *keys, wd_audit **log);

#endif
