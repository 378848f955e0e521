/* opts.c: the option table's parser and usage printer (opts.h). */
#include <string.h>

#include "cli/opts.h"

/* Every command's, so no table repeats it. */
static const cli_opt help_opt = {
    .name = "help",
    .alias = 'h',
    .kind = CLI_FLAG,
    .help = "print this help and exit",
};

enum { HELP_COLUMN = 30, OPT_NAME_MAX = 64 /* "--name" in a message */ };

static void name_of(const cli_opt *o, char *buf, size_t size)
{
    if (o->name)
        snprintf(buf, size, "--%s", o->name);
    else
        snprintf(buf, size, "-%c", o->alias);
}

/* Shape errors: the command line is not one this command takes, so the usage follows. */
static int unknown_option(const cli_spec *spec, const char *arg)
{
    fprintf(stderr, "%s: %s%sunknown option %s\n", spec->prog, spec->command ? spec->command : "",
            spec->command ? ": " : "", arg);
    cli_usage(stderr, spec);
    return CLI_EXIT_USAGE;
}

static int shape_error(const cli_spec *spec, const char *name, const char *what)
{
    fprintf(stderr, "%s: %s %s\n", spec->prog, name, what);
    cli_usage(stderr, spec);
    return CLI_EXIT_USAGE;
}

static int bad_value(const cli_spec *spec, const cli_opt *o, const char *value)
{
    char name[OPT_NAME_MAX];
    name_of(o, name, sizeof(name));
    if (o->invalid)
        fprintf(stderr, "%s: %s %s\n", spec->prog, name, o->invalid);
    else
        fprintf(stderr, "%s: %s: not a valid number: %s\n", spec->prog, name, value);
    return CLI_EXIT_USAGE;
}

/* len decimal digits, nothing else, without overflow. */
static bool parse_digits(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (!len)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool within(const cli_opt *o, uint64_t v)
{
    return v >= o->min && (!o->max || v <= o->max);
}

static bool parse_duration(const cli_opt *o, const char *s, uint64_t *seconds)
{
    size_t len = strlen(s);
    char unit = len ? s[len - 1] : 0;
    uint64_t mul = unit == 's'   ? 1
                   : unit == 'm' ? 60
                   : unit == 'h' ? 3600
                   : unit == 'd' ? 86400
                                 : 0;
    uint64_t v;
    if (mul)
        len--;
    else if (o->bare_seconds)
        mul = 1;
    if (!mul || !parse_digits(s, len, &v) || v > UINT64_MAX / mul)
        return false;
    *seconds = v * mul;
    return within(o, *seconds);
}

static int store(const cli_spec *spec, const cli_opt *o, const char *value)
{
    uint64_t n;
    switch (o->kind) {
    case CLI_FLAG:
        *(bool *)o->dest = true;
        return 0;
    case CLI_STRING:
        *(const char **)o->dest = value;
        return 0;
    case CLI_LIST: {
        cli_list *l = o->dest;
        if (l->n == l->max) {
            fprintf(stderr, "%s: %s\n", spec->prog, l->too_many);
            return CLI_EXIT_USAGE;
        }
        l->v[l->n++] = value;
        return 0;
    }
    case CLI_NUMBER:
        if (!parse_digits(value, strlen(value), &n) || !within(o, n))
            return bad_value(spec, o, value);
        *(uint64_t *)o->dest = n;
        return 0;
    case CLI_DURATION: {
        cli_duration *d = o->dest;
        if (!parse_duration(o, value, &d->seconds))
            return bad_value(spec, o, value);
        d->text = value;
        return 0;
    }
    case CLI_END:
        break;
    }
    return CLI_EXIT_USAGE;
}

/* The option NAME (len bytes) names: exactly, or as the one option it is a prefix of. */
static const cli_opt *find_long(const cli_opt *opts, const char *name, size_t len)
{
    const cli_opt *prefix = NULL;
    size_t matches = 0;
    for (const cli_opt *o = opts;; o++) {
        if (o->kind == CLI_END)
            o = &help_opt;
        if (o->name && !strncmp(o->name, name, len)) {
            if (!o->name[len])
                return o;
            prefix = o;
            matches++;
        }
        if (o == &help_opt)
            break;
    }
    return matches == 1 ? prefix : NULL;
}

static const cli_opt *find_short(const cli_opt *opts, char c)
{
    for (const cli_opt *o = opts; o->kind != CLI_END; o++)
        if (o->alias == c)
            return o;
    return c == help_opt.alias ? &help_opt : NULL;
}

/* Applies o with its value (NULL: none given yet; take argv[*i + 1]). */
static int apply(const cli_spec *spec, const cli_opt *o, const char *value, int argc, char **argv,
                 int *i)
{
    char name[OPT_NAME_MAX];
    name_of(o, name, sizeof(name));
    if (o->kind == CLI_FLAG && value)
        return shape_error(spec, name, "takes no value");
    if (o == &help_opt) {
        cli_usage(stdout, spec);
        return 0;
    }
    if (o->kind == CLI_FLAG)
        return store(spec, o, NULL);
    if (!value) {
        if (*i + 1 >= argc)
            return shape_error(spec, name, "needs a value");
        value = argv[++*i];
    }
    return store(spec, o, value);
}

static int parse_long(const cli_spec *spec, int argc, char **argv, int *i)
{
    const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const cli_opt *o = find_long(spec->opts, arg, len);
    if (!o)
        return unknown_option(spec, argv[*i]);
    int rc = apply(spec, o, eq ? eq + 1 : NULL, argc, argv, i);
    return rc || o == &help_opt ? rc : CLI_PARSED;
}

/* "-f", "-n5", "-n 5", "-fn5": flags cluster; a value option takes the rest or the next. */
static int parse_short(const cli_spec *spec, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    for (size_t k = 1; arg[k]; k++) {
        const cli_opt *o = find_short(spec->opts, arg[k]);
        if (!o) {
            char given[3] = {'-', arg[k], '\0'};
            return unknown_option(spec, given);
        }
        bool rest = o->kind != CLI_FLAG && o != &help_opt && arg[k + 1];
        int rc = apply(spec, o, rest ? arg + k + 1 : NULL, argc, argv, i);
        if (rc || o == &help_opt)
            return rc;
        if (o->kind != CLI_FLAG)
            break;
    }
    return CLI_PARSED;
}

int cli_parse(int argc, char **argv, const cli_spec *spec, cli_args *args)
{
    bool only_positional = false;
    args->v = argv + 1;
    args->n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || !a[1]) {
            /* Each argument yields at most one positional, so they fit behind the cursor. */
            args->v[args->n++] = argv[i];
            continue;
        }
        if (!strcmp(a, "--")) {
            only_positional = true;
            continue;
        }
        int rc = a[1] == '-' ? parse_long(spec, argc, argv, &i) : parse_short(spec, argc, argv, &i);
        if (rc != CLI_PARSED)
            return rc;
    }
    return CLI_PARSED;
}

static void print_opt(FILE *out, const cli_opt *o)
{
    int n = fprintf(out, "  ");
    if (o->alias)
        n += fprintf(out, "-%c%s", o->alias, o->name ? ", " : "");
    if (o->name)
        n += fprintf(out, "--%s", o->name);
    if (o->arg)
        n += fprintf(out, " %s", o->arg);
    fprintf(out, "%*s%s\n", n < HELP_COLUMN ? HELP_COLUMN - n : 2, "", o->help ? o->help : "");
}

void cli_usage(FILE *out, const cli_spec *spec)
{
    fputs(spec->usage, out);
    fputs("\noptions:\n", out);
    for (const cli_opt *o = spec->opts; o->kind != CLI_END; o++)
        print_opt(out, o);
    print_opt(out, &help_opt);
}
