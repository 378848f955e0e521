/* main.c: the warden command: one table of subcommands, each a thin front end over libwarden. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const cli_command commands[] = {
    {"policy", cmd_policy, "validate and show capability policies"},
    {"check", cmd_check, "decide one request (or a batch) against a policy"},
    {"audit", cmd_audit, "write, verify and query the tamper-evident audit log"},
    {"plugin", cmd_plugin, "validate plugin contracts and check pipelines"},
    {"run", cmd_run, "run a plugin in the sandbox, its policy enforced by the kernel"},
    {"sandbox", cmd_sandbox, "show which kernel protections this machine offers"},
    {"check-operation", cmd_check_operation, "would a file operation touch a protected path?"},
    {"integrity", cmd_integrity, "sign a baseline of warden's files; verify, lock, unlock"},
    {"override", cmd_override, "enrol approvers; approve one denied operation with a code"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "show this help"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: warden COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n'warden COMMAND --help' describes one command. Exit status: 0 success or "
                 "allow, 1 deny or invalid, 2 usage or input error.\n");
}

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    usage(stdout);
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("warden %s\n", WD_VERSION_STRING);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return cmd_help(argc - 1, argv + 1);
    if (!strcmp(argv[1], "--version"))
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "warden: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
