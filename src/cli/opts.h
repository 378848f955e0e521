/* opts.h: one declarative option table for warden's and wardend's command lines.
 *
 * A command describes its options as a table and calls cli_parse once; the usage it prints on
 * --help or a usage error ends with an option list made from the same table. The rules are
 * getopt_long's, which every command followed or was a subset of: options and positional
 * arguments mix in any order, "--" ends the options, "-" is a positional argument, a value is
 * "--name VALUE" or "--name=VALUE" (the next argument is the value even when it starts with
 * "-"), an unambiguous prefix of a long name is that name, short aliases cluster ("-fn5"), and
 * a later value replaces an earlier one. --help and -h are every command's.
 *
 * It is compiled into both executables (not into libwarden): it prints and knows exit codes. */
#ifndef WD_CLI_OPTS_H
#define WD_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    CLI_END = 0,  /* ends a table */
    CLI_FLAG,     /* bool *: true once given */
    CLI_STRING,   /* const char **: the value */
    CLI_LIST,     /* cli_list *: every value, in order (repeatable) */
    CLI_NUMBER,   /* uint64_t *: decimal digits, within [min, max] */
    CLI_DURATION, /* cli_duration *: digits and a unit of s, m, h or d, within [min, max] s */
} cli_kind;

/* A repeatable option's values. v has room for max of them; the command may add its own after
 * them (room it leaves beyond max). */
typedef struct {
    const char **v;
    size_t n, max;
    const char *too_many; /* the message past max, after "PROG: " */
} cli_list;

typedef struct {
    uint64_t seconds;
    const char *text; /* as given, for messages that repeat it */
} cli_duration;

typedef struct {
    const char *name; /* the long name without "--", or NULL for a short-only option */
    char alias;       /* a short name ('n' for -n), or 0 */
    cli_kind kind;
    void *dest;       /* what the kind says */
    const char *arg;  /* the value's name in the option list ("FILE"); NULL for a flag */
    const char *help; /* one line for the option list */
    /* CLI_NUMBER and CLI_DURATION: the bounds (max 0: none); bare digits are seconds for a
     * duration only with bare_seconds. */
    uint64_t min, max;
    bool bare_seconds;
    /* A malformed value's message, after "PROG: --NAME "; without it "PROG: --NAME: not a
     * valid number: VALUE". */
    const char *invalid;
} cli_opt;

typedef struct {
    const char *prog;    /* "warden" or "wardend": the first word of every message */
    const char *command; /* "run", "policy show": names the command in "unknown option" */
    const char *usage;   /* synopsis and prose, printed before the generated option list */
    const cli_opt *opts; /* ends with {0} */
} cli_spec;

/* The two rows of every command that records what it does in an audit log: --audit-log LOG
 * (help: what is recorded there) and --audit-keys DIR. */
#define CLI_AUDIT_OPTS(log, keys, what)                                                            \
    {.name = "audit-log", .kind = CLI_STRING, .dest = (log), .arg = "LOG", .help = (what)},        \
    {                                                                                              \
        .name = "audit-keys", .kind = CLI_STRING, .dest = (keys), .arg = "DIR",                    \
        .help = "the audit log's key directory"                                                    \
    }

/* The positional arguments, in order (v points into argv, which cli_parse reorders). */
typedef struct {
    char **v;
    size_t n;
} cli_args;

enum { CLI_PARSED = -1, CLI_EXIT_USAGE = 2 };

/* Parses argv[1..argc) by spec's table into the destinations and args. Returns CLI_PARSED when
 * the command should go on; else the exit status: 0 after --help (the usage on stdout), or
 * CLI_EXIT_USAGE after a usage error (one line on stderr saying which, with the usage when the
 * command line's shape was wrong rather than one value). */
int cli_parse(int argc, char **argv, const cli_spec *spec, cli_args *args);

/* spec's usage text followed by its option list. */
void cli_usage(FILE *out, const cli_spec *spec);

#endif
