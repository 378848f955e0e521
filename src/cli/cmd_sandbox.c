/* cmd_sandbox.c: warden sandbox probe: which kernel protections this machine offers, and what
 * warden does without each one; warden sandbox syscalls: the mediation table of process
 * plugins. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "sandbox/filter.h"
#include "sandbox/syscalls.h"

static const char *const landlock_features[] = {
    NULL,
    "filesystem access rights",
    "file renames and links across directories (refer)",
    "truncate",
    "TCP bind and connect ports",
    "ioctl on device files",
    "signal and abstract-socket scoping",
    "audit flags",
};

enum { LANDLOCK_KNOWN = (int)(sizeof(landlock_features) / sizeof(landlock_features[0])) - 1 };

static int probe(bool json)
{
    wd_sandbox_caps c;
    if (wd_sandbox_probe(&c) != 0) {
        cli_error("sandbox probe");
        return EXIT_USAGE;
    }
    const char *mediation_why = "";
    int mediation = wd_sandbox_mediation(&mediation_why);
    int missing = (c.landlock_abi == 0) + !c.seccomp_filter + !c.no_new_privs +
                  !c.network_namespaces + (!c.root && !c.user_namespaces) + !mediation;
    if (json) {
        json_t *feats = json_array();
        for (int i = 1; i <= c.landlock_abi && i <= LANDLOCK_KNOWN; i++)
            json_array_append_new(feats, json_string(landlock_features[i]));
        return cli_print_json(json_pack(
                   "{s:{s:i, s:o, s:s?}, s:{s:b, s:b}, s:b, s:b, s:b, s:b, s:{s:b, s:s}, s:i}",
                   "landlock", "abi", c.landlock_abi, "features", feats, "unavailable_because",
                   c.landlock_why, "seccomp", "filter", c.seccomp_filter, "already_filtered",
                   c.seccomp_active, "no_new_privs", c.no_new_privs, "user_namespaces",
                   c.user_namespaces, "network_namespaces", c.network_namespaces, "root", c.root,
                   "process_plugins", "mediated", mediation, "unavailable_because", mediation_why,
                   "missing", missing)) != 0
                   ? EXIT_USAGE
                   : 0;
    }
    if (c.landlock_abi) {
        printf("landlock            ABI %d: will use", c.landlock_abi);
        for (int i = 1; i <= c.landlock_abi && i <= LANDLOCK_KNOWN; i++)
            printf("%s %s", i == 1 ? "" : ",", landlock_features[i]);
        printf("\n");
    } else {
        printf("landlock            unavailable (%s): filesystem access is enforced by the broker "
               "only\n",
               c.landlock_why);
    }
    printf("seccomp             %s\n", c.seccomp_filter
                                           ? "filter mode: will use an allowlist of system calls"
                                           : "unavailable: system calls are not filtered");
    if (c.seccomp_active)
        printf("                    (warden itself already runs under a filter; plugins inherit "
               "it)\n");
    printf("no_new_privs        %s\n", c.no_new_privs ? "will set" : "unavailable");
    printf("user namespaces     %s\n",
           c.user_namespaces ? "available: warden can sandbox as an ordinary user"
           : c.root          ? "unavailable (running as root, not needed)"
                             : "unavailable: an ordinary user cannot create namespaces here");
    printf("network namespace   %s\n",
           c.network_namespaces ? "will use: a plugin reaches the network only through the broker"
                                : "unavailable: plugins could open sockets the broker never sees");
    if (mediation)
        printf("process plugins     will mediate: the broker performs every path and network "
               "call (seccomp user notification)\n");
    else
        printf("process plugins     refused (WD-S015): %s\n", mediation_why);
    printf("%d protection%s unavailable\n", missing, missing == 1 ? "" : "s");
    return 0;
}

/* The mediation table as the process plugins' filter applies it on this architecture. */
static int syscalls(bool json)
{
    size_t n;
    const wd_sys_entry *t = wd_syscall_table(&n);
    json_t *list = json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        const wd_sys_entry *e = &t[i];
        int nr = wd_filter_syscall_number(e->name);
        const char *err = e->cls == WD_SYS_REFUSE ? strerrorname_np(e->err) : NULL;
        if (json) {
            json_array_append_new(list,
                                  json_pack("{s:s, s:o, s:s, s:s?, s:s, s:s?}", "name", e->name,
                                            "number", nr >= 0 ? json_integer(nr) : json_null(),
                                            "class", wd_syscall_class_name(e->cls), "errno", err,
                                            "why", e->why, "allowed_if", e->allow_if));
            continue;
        }
        printf("%-24s %-6s %-13s %s", e->name, wd_syscall_class_name(e->cls), err ? err : "",
               e->why);
        if (e->allow_if)
            printf(" (allowed when %s)", e->allow_if);
        if (nr < 0)
            printf(" [not on this architecture]");
        printf("\n");
    }
    return json ? (cli_print_json(list) != 0 ? EXIT_USAGE : 0) : 0;
}

static const char sandbox_usage[] =
    "usage: warden sandbox probe [--json]\n"
    "       warden sandbox syscalls [--json]\n\n"
    "probe: which kernel protections this machine offers (Landlock ABI and its\n"
    "  features, seccomp filters, no_new_privs, user and network namespaces) and\n"
    "  what warden does without each one. Changes nothing; exit 0.\n"
    "syscalls: every system call and what a process plugin's filter does with it:\n"
    "  allow, notify (the broker performs it by the policy), refuse (with the\n"
    "  errno shown) or kill, and why. Exit 0.\n";

int cmd_sandbox(int argc, char **argv)
{
    bool json = false;
    const cli_opt opts[] = {
        {.name = "json", .kind = CLI_FLAG, .dest = &json, .help = "print the result as JSON"},
        {0},
    };
    const cli_spec spec = {
        .prog = "warden", .command = "sandbox probe", .usage = sandbox_usage, .opts = opts};
    if (argc >= 2 && (!strcmp(argv[1], "probe") || !strcmp(argv[1], "syscalls"))) {
        cli_args rest;
        int rc = cli_parse(argc - 1, argv + 1, &spec, &rest);
        if (rc != CLI_PARSED)
            return rc;
        if (!rest.n)
            return !strcmp(argv[1], "probe") ? probe(json) : syscalls(json);
    }
    bool help = argc == 2 && !strcmp(argv[1], "--help");
    cli_usage(help ? stdout : stderr, &spec);
    return help ? 0 : EXIT_USAGE;
}
