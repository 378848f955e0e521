/* cmd_check_operation.c: warden check-operation --type TYPE [--protect GLOB]... FILE...: would
 * this file operation touch a protected path? The question an agent's host asks before it lets
 * the agent edit, create, delete, rename or chmod files (docs/integrity.md). */
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: warden check-operation --type TYPE [--protect GLOB]... [--json] FILE...\n"
            "TYPE: write, edit, create, delete, rename, chmod, chown, truncate (each changes\n"
            "files) or read (never refused here). GLOB: an absolute path or glob (\"*\", \"**\")\n"
            "no operation may change; without --protect: /etc/warden, /var/lib/warden,\n"
            "/var/log/warden. Paths are matched after normalising \"..\" and \"//\" and again\n"
            "after resolving symbolic links.\n"
            "Exit: 0 allowed, 1 refused (the protected path is named), 2 usage or a bad path.\n");
}

static const char *const mutating[] = {"write", "edit",  "create",   "delete", "rename",
                                       "chmod", "chown", "truncate", NULL};

int cmd_check_operation(int argc, char **argv)
{
    const char *type = NULL, *globs[256];
    const char *files[1024];
    size_t nglobs = 0, nfiles = 0;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--type") && i + 1 < argc) {
            type = argv[++i];
        } else if (!strcmp(argv[i], "--protect") && i + 1 < argc && nglobs < 256) {
            globs[nglobs++] = argv[++i];
        } else if (argv[i][0] == '-' || nfiles == 1024) {
            fprintf(stderr, "warden: check-operation: unexpected %s\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        } else {
            files[nfiles++] = argv[i];
        }
    }
    bool changes = false, known = type && !strcmp(type, "read");
    for (const char *const *m = mutating; type && *m; m++)
        if (!strcmp(type, *m))
            changes = known = true;
    if (!known || !nfiles) {
        if (type && !known)
            fprintf(stderr, "warden: check-operation: unknown --type %s\n", type);
        usage(stderr);
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
    int status = EXIT_ALLOW;
    for (size_t i = 0; i < nfiles; i++) {
        char abs[4096], resolved[4096];
        const char *glob = NULL;
        /* Operations on a whole tree are refused when a protected path lies beneath. */
        bool tree = !strcmp(type, "delete") || !strcmp(type, "rename") || !strcmp(type, "chmod") ||
                    !strcmp(type, "chown");
        int rc = cli_absolute(files[i], abs, sizeof(abs)) != 0 ? WD_EINVAL
                 : tree ? wd_protected_match_tree(p, abs, &glob, resolved, sizeof(resolved))
                        : wd_protected_match(p, abs, &glob, resolved, sizeof(resolved));
        if (rc < 0) {
            /* Fail closed: a path that cannot be judged is refused, not skipped. */
            printf("refused %s %s: not a usable path\n", type, files[i]);
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
    wd_protected_free(p);
    return status;
}
