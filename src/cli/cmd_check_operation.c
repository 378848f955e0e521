/* cmd_check_operation.c: warden check-operation --type TYPE [--protect GLOB]... FILE...: would
 * this file operation touch a protected path? The question an agent's host asks before it lets
 * the agent edit, create, delete, rename or chmod files (docs/integrity.md). */
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"

enum { PROTECT_MAX = 256 };

static const char check_operation_usage[] =
    "usage: warden check-operation --type TYPE [--protect GLOB]... [--json] FILE...\n"
    "TYPE: write, edit, create, delete, rename, chmod, chown, truncate (each changes\n"
    "files) or read (never refused here). GLOB: an absolute path or glob (\"*\", \"**\")\n"
    "no operation may change; without --protect: /etc/warden, /var/lib/warden,\n"
    "/var/log/warden. Paths are matched after normalising \"..\" and \"//\" and again\n"
    "after resolving symbolic links.\n"
    "Exit: 0 allowed, 1 refused (the protected path is named), 2 usage or a bad path.\n";

static const char *const mutating[] = {"write", "edit",  "create",   "delete", "rename",
                                       "chmod", "chown", "truncate", NULL};

/* One line (or JSON object) a file: refused when the operation changes a protected path. */
static int judge(const wd_protected *p, const char *type, bool changes, bool json,
                 const cli_args *files)
{
    int status = EXIT_ALLOW;
    for (size_t i = 0; i < files->n; i++) {
        char abs[CLI_PATH_MAX], resolved[CLI_PATH_MAX];
        const char *glob = NULL;
        /* Operations on a whole tree are refused when a protected path lies beneath. */
        bool tree = !strcmp(type, "delete") || !strcmp(type, "rename") || !strcmp(type, "chmod") ||
                    !strcmp(type, "chown");
        int rc = cli_absolute(files->v[i], abs, sizeof(abs)) != 0 ? WD_EINVAL
                 : tree ? wd_protected_match_tree(p, abs, &glob, resolved, sizeof(resolved))
                        : wd_protected_match(p, abs, &glob, resolved, sizeof(resolved));
        if (rc < 0) {
            /* Fail closed: a path that cannot be judged is refused, not skipped. */
            printf("refused %s %s: not a usable path\n", type, files->v[i]);
            if (changes)
                status = EXIT_DENY;
            continue;
        }
        bool refused = rc == 1 && changes;
        if (refused && status == EXIT_ALLOW)
            status = EXIT_DENY;
        if (json)
            cli_print_json(json_pack("{s:s, s:s, s:s, s:b, s:s?}", "operation", type, "path", abs,
                                     "resolved", resolved, "refused", refused, "protected_by",
                                     refused ? glob : NULL));
        else if (refused)
            printf("refused %s %s: protected path (%s%s%s)\n", type, abs, glob,
                   strcmp(resolved, abs) ? "; resolves to " : "",
                   strcmp(resolved, abs) ? resolved : "");
        else
            printf("allowed %s %s\n", type, abs);
    }
    return status;
}

int cmd_check_operation(int argc, char **argv)
{
    const char *type = NULL, *globs[PROTECT_MAX];
    cli_list protect = {.v = globs, .max = PROTECT_MAX, .too_many = "at most 256 --protect globs"};
    bool json = false;
    const cli_opt opts[] = {
        {.name = "type",
         .kind = CLI_STRING,
         .dest = &type,
         .arg = "TYPE",
         .help = "the operation (required)"},
        {.name = "protect",
         .kind = CLI_LIST,
         .dest = &protect,
         .arg = "GLOB",
         .help = "a path no operation may change (repeatable, at most 256)"},
        {.name = "json", .kind = CLI_FLAG, .dest = &json, .help = "one JSON object a file"},
        {0},
    };
    const cli_spec spec = {.prog = "warden",
                           .command = "check-operation",
                           .usage = check_operation_usage,
                           .opts = opts};
    cli_args files;
    int parsed = cli_parse(argc, argv, &spec, &files);
    if (parsed != CLI_PARSED)
        return parsed;
    size_t nglobs = protect.n, nfiles = files.n;
    bool changes = false, known = type && !strcmp(type, "read");
    for (const char *const *m = mutating; type && *m; m++)
        if (!strcmp(type, *m))
            changes = known = true;
    if (!known || !nfiles) {
        if (type && !known)
            fprintf(stderr, "warden: check-operation: unknown --type %s\n", type);
        cli_usage(stderr, &spec);
        return EXIT_USAGE;
    }
    const char *const *set = nglobs ? globs : wd_protected_defaults;
    size_t n = nglobs;
    if (!nglobs)
        while (wd_protected_defaults[n])
            n++;
    wd_protected *p;
    if (wd_protected_new(&p, set, n) != 0) {
        cli_error("--protect");
        return EXIT_USAGE;
    }
    int status = judge(p, type, changes, json, &files);
    wd_protected_free(p);
    return status;
}
