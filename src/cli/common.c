/* common.c: output helpers shared by the subcommands. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

void cli_error(const char *context)
{
    const wd_error *e = wd_error_last();
    fprintf(stderr, "warden: ");
    if (context && *context)
        fprintf(stderr, "%s: ", context);
    if (e->file[0] && e->line)
        fprintf(stderr, "%s:%u:%u: ", e->file, e->line, e->column ? e->column : 1);
    else if (e->file[0])
        fprintf(stderr, "%s: ", e->file);
    if (e->id[0])
        fprintf(stderr, "error %s: ", e->id);
    fprintf(stderr, "%s\n", e->message[0] ? e->message : wd_strerror(e->code));
}

void cli_print_diags(const wd_diagnostics *diags, size_t first)
{
    char line[DIAG_LINE_MAX];
    for (size_t i = first; i < wd_diagnostics_count(diags); i++) {
        wd_diag_format(wd_diagnostics_get(diags, i), line, sizeof(line));
        fprintf(stderr, "%s\n", line);
    }
}

int cli_print_json(json_t *value)
{
    if (!value) {
        fprintf(stderr, "warden: out of memory\n");
        return EXIT_USAGE;
    }
    char *s = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(value);
    if (!s) {
        fprintf(stderr, "warden: out of memory\n");
        return EXIT_USAGE;
    }
    puts(s);
    free(s);
    return 0;
}

json_t *cli_rule_json(const wd_rule *r)
{
    if (!r)
        return json_null();
    return json_pack("{s:s, s:i, s:i, s:s, s:s}", "file", r->file, "line", (json_int_t)r->line,
                     "column", (json_int_t)r->column, "effect", wd_effect_name(r->effect), "text",
                     r->text);
}

int cli_absolute(const char *path, char *out, size_t size)
{
    int n;
    if (path[0] == '/') {
        n = snprintf(out, size, "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            return -1;
        n = snprintf(out, size, "%s/%s", cwd, path);
    }
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int cli_load_policy(const char *path, const char *data_dir, wd_policy **out,
                    wd_diagnostics **warnings)
{
    char dir[CLI_PATH_MAX];
    if (data_dir && cli_absolute(data_dir, dir, sizeof(dir)) != 0) {
        fprintf(stderr, "warden: --data-dir is too long\n");
        return WD_EINVAL;
    }
    wd_diagnostics *diags;
    if (wd_diagnostics_new(&diags) != 0)
        return WD_ENOMEM;
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = data_dir ? dir : NULL;
    opts.diagnostics = diags;
    int rc = wd_policy_load(out, path, &opts);
    if (rc) {
        cli_print_diags(diags, 0);
        if (!wd_diagnostics_errors(diags))
            cli_error(NULL);
    }
    if (rc || !warnings)
        wd_diagnostics_free(diags);
    else
        *warnings = diags;
    return rc;
}

int cli_open_audit(const char *log_dir, const char *keys, wd_audit **log)
{
    *log = NULL;
    if (!log_dir != !keys) {
        fprintf(stderr, "warden: --audit-log and --audit-keys go together\n");
        return EXIT_USAGE;
    }
    wd_audit_options ao = WD_AUDIT_OPTIONS_INIT;
    if (log_dir && wd_audit_open(log, log_dir, keys, &ao) != 0) {
        cli_error("cannot open the audit log");
        return EXIT_USAGE;
    }
    return 0;
}
