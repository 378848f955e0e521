/* fuzz_cli_opts: the command-line option parser (src/cli/opts.c) over hostile argument vectors.
 * The input is split at NUL bytes into at most 64 arguments, parsed by a table that has every
 * kind of option (flags with aliases, strings, a bounded list, bounded numbers and durations);
 * the parser must return a status it documents, never read past argv, and leave every
 * destination either unset or pointing into argv. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/opts.h"

#define MAX_ARGS 64
#define LIST_MAX 4

static bool inside(const char *p, char *const *argv, int argc)
{
    for (int i = 0; i < argc; i++)
        if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[MAX_ARGS + 2] = {"warden"};
    char *saved[MAX_ARGS + 2];
    int argc = 1;
    for (char *p = text; argc <= MAX_ARGS && p <= text + size; p += strlen(p) + 1)
        argv[argc++] = p;
    memcpy(saved, argv, sizeof(argv));

    bool flag = false, other = false;
    const char *str = NULL;
    const char *items[LIST_MAX + 1];
    cli_list list = {.v = items, .max = LIST_MAX, .too_many = "at most 4 --item"};
    uint64_t number = 0;
    cli_duration ttl = {0};
    const cli_opt opts[] = {
        {.name = "flag", .alias = 'f', .kind = CLI_FLAG, .dest = &flag, .help = "a flag"},
        {.name = "flog", .kind = CLI_FLAG, .dest = &other, .help = "a prefix rival"},
        {.name = "string", .alias = 's', .kind = CLI_STRING, .dest = &str, .arg = "S", .help = "s"},
        {.name = "item", .alias = 'i', .kind = CLI_LIST, .dest = &list, .arg = "I", .help = "i"},
        {.name = "number",
         .alias = 'n',
         .kind = CLI_NUMBER,
         .dest = &number,
         .arg = "N",
         .help = "n",
         .min = 1,
         .max = 1000},
        {.name = "ttl",
         .kind = CLI_DURATION,
         .dest = &ttl,
         .arg = "D",
         .help = "d",
         .min = 1,
         .max = 86400,
         .bare_seconds = true},
        {0},
    };
    const cli_spec spec = {
        .prog = "warden", .command = "fuzz", .usage = "warden fuzz [options]", .opts = opts};
    cli_args args = {0};
    /* Every usage error is a line on stderr and --help prints the usage: both go to /dev/null
     * for the parse only, so the fuzzer's own reports (and a sanitizer's) still reach stderr. */
    fflush(stdout);
    fflush(stderr);
    int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, 1);
        dup2(null, 2);
    }
    int rc = cli_parse(argc, argv, &spec, &args);
    fflush(stdout);
    fflush(stderr);
    if (out >= 0)
        dup2(out, 1);
    if (err >= 0)
        dup2(err, 2);
    if (out >= 0)
        close(out);
    if (err >= 0)
        close(err);
    if (null >= 0)
        close(null);
    if (rc != CLI_PARSED && rc != 0 && rc != CLI_EXIT_USAGE)
        abort();
    if (rc == CLI_PARSED) {
        if (str && !inside(str, saved, argc))
            abort();
        if (list.n > LIST_MAX || number > 1000 || ttl.seconds > 86400)
            abort();
        for (size_t i = 0; i < list.n; i++)
            if (!inside(list.v[i], saved, argc))
                abort();
        if (args.n >= (size_t)argc)
            abort();
    }
    free(text);
    return 0;
}
