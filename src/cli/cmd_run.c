/* cmd_run.c: `warden run CONTRACT`: one call of a plugin in the sandbox (docs/sandbox.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "sandbox/runner_path.h"

enum {
    RUN_PROTECT_MAX = 64, /* --protect paths */
    RUN_PROTECT_OWN = 2,  /* the audit log and its keys, added after them */
    RUN_NUMBER_MAX = 100000000,
    RUN_LANDLOCK_MAX = 64,
    RUN_INPUT_MAX = 64 << 20, /* bytes of --input @FILE */
    RUN_INPUT_CHUNK = 65536,
    RUN_PATH_MAX = 4096,
};

/* --min-landlock not given: the library's default (-1, which requires ABI 1). */
static const uint64_t LANDLOCK_DEFAULT = UINT64_MAX;

typedef struct {
    const char *contract, *input, *keys, *log_dir, *trust;
    bool json, describe;
    uint64_t timeout_ms, min_landlock, calls;
    const char *protect[RUN_PROTECT_MAX + RUN_PROTECT_OWN];
    cli_list protect_list;
} run_options;

static const char run_usage[] =
    "usage: warden run CONTRACT [--input JSON|@FILE] [--keys DIR --log LOG] [--json]\n"
    "                  [--timeout MS] [--min-landlock N] [--protect PATH]... "
    "[--calls N]\n"
    "                  [--trust DIR] [--describe]\n"
    "Runs the plugin CONTRACT names in the sandbox and prints what it wrote. The input\n"
    "defaults to {}. --calls N makes N calls on one warm instance (the output of each\n"
    "is printed). --trust DIR refuses a contract no trusted reviewer signed.\n"
    "--min-landlock 0 runs even where the kernel has no Landlock (said on stderr).\n"
    "Exit: 0 the plugin succeeded, 1 it failed or was contained (WD-Snnn on stderr),\n"
    "2 usage or input error.\n";

static char *read_input(const char *arg, size_t *len)
{
    if (arg[0] != '@') {
        *len = strlen(arg);
        return strdup(arg);
    }
    FILE *f = strcmp(arg + 1, "-") ? fopen(arg + 1, "rb") : stdin;
    if (!f)
        return NULL;
    char *data = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : RUN_INPUT_CHUNK;
            char *p = cap > RUN_INPUT_MAX ? NULL : realloc(data, cap + 1);
            if (!p) {
                free(data);
                data = NULL;
                break;
            }
            data = p;
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    if (f != stdin)
        fclose(f);
    if (data)
        data[n] = 0;
    *len = n;
    return data;
}

static void print_result(const wd_call_result *r, bool json)
{
    if (json) {
        /* Output is the plugin's bytes: a JSON string when it is UTF-8, else null and the
         * exact bytes in output_base64. */
        json_t *text = json_stringn(r->output ? r->output : "", r->output_len);
        json_t *j = json_pack("{s:b, s:s, s:s, s:i, s:o, s:f, s:i, s:i, s:s}", "ok", r->ok, "code",
                              r->code, "message", r->ok ? "" : r->message, "status", r->status,
                              "output", text ? text : json_null(), "duration_ms",
                              (double)r->duration_ns / 1e6, "requests", (int)r->requests, "denied",
                              (int)r->denied, "correlation_id", r->correlation_id);
        if (j && !text && r->output_len <= RUN_INPUT_MAX) {
            size_t n = 4 * ((r->output_len + 2) / 3) + 1;
            unsigned char *b64 = malloc(n);
            if (b64) {
                EVP_EncodeBlock(b64, (const unsigned char *)r->output, (int)r->output_len);
                json_object_set_new(j, "output_base64", json_string((const char *)b64));
                free(b64);
            }
        }
        cli_print_json(j);
        return;
    }
    if (r->output_len) {
        fwrite(r->output, 1, r->output_len, stdout);
        if (r->output[r->output_len - 1] != '\n')
            putchar('\n');
    }
    if (!r->ok)
        fprintf(stderr, "warden: run: %s: %s\n", r->code, r->message);
}

static const char *const *protected_paths(run_options *o, size_t *n)
{
    /* The audit log and its keys are warden's own: never granted to the plugin. */
    if (o->log_dir)
        o->protect[o->protect_list.n++] = o->log_dir;
    if (o->keys)
        o->protect[o->protect_list.n++] = o->keys;
    *n = o->protect_list.n;
    return o->protect;
}

/* What this kernel could not enforce, on stderr so JSON on stdout stays one document. */
static void print_notes(const char *notes)
{
    for (const char *p = notes; *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stderr, "warden: note: %.*s\n", n, p);
        p += n + (nl ? 1 : 0);
    }
}

static int run(run_options *o)
{
    const char *contract_path = o->contract, *input_arg = o->input, *keys = o->keys,
               *log_dir = o->log_dir, *trust = o->trust;
    bool json = o->json;
    unsigned long calls = (unsigned long)o->calls;
    wd_sandbox_options so = WD_SANDBOX_OPTIONS_INIT;
    so.timeout_ms = o->timeout_ms;
    if (o->min_landlock != LANDLOCK_DEFAULT)
        so.min_landlock_abi = (int)o->min_landlock;
    if (!keys != !log_dir) {
        fprintf(stderr, "warden: --keys and --log go together\n");
        return EXIT_USAGE;
    }
    size_t input_len = 0;
    char *input = read_input(input_arg, &input_len);
    if (!input) {
        fprintf(stderr, "warden: cannot read the input %s: %s\n", input_arg + 1,
                strerror(errno ? errno : ENOMEM));
        return EXIT_USAGE;
    }
    wd_diagnostics *diags = NULL;
    wd_contract *c = NULL;
    wd_contract_options co = WD_CONTRACT_OPTIONS_INIT;
    int status = EXIT_USAGE;
    wd_audit *log = NULL;
    wd_instance *inst = NULL;
    wd_protected *trust_prot = NULL;
    /* $WARDEN_RUNNER, else the runner beside the warden binary (a build tree), else the one
     * installed in libexecdir (WD_RUNNER_FROM_SELF: relative to bindir, set by the build). */
    char *runner = wd_runner_for_program(WD_RUNNER_FROM_SELF, 0);
    if (wd_diagnostics_new(&diags) != 0)
        goto out;
    co.diagnostics = diags;
    if (wd_contract_load(&c, contract_path, &co) != 0) {
        cli_print_diags(diags, 0);
        if (!wd_diagnostics_count(diags))
            cli_error(contract_path);
        status = EXIT_DENY;
        goto out;
    }
    if (trust && wd_contract_verify_signature(c, trust, NULL) != 0) {
        cli_error(contract_path);
        status = EXIT_DENY;
        goto out;
    }
    if (cli_open_audit(log_dir, keys, &log) != 0)
        goto out;
    /* The reviewers' keys may be read, never changed; warden's programs and libraries the
     * instance keeps from change itself. */
    char trust_abs[RUN_PATH_MAX];
    const char *trust_glob = trust_abs;
    if (trust && (cli_absolute(trust, trust_abs, sizeof(trust_abs)) != 0 ||
                  wd_protected_new(&trust_prot, &trust_glob, 1) != 0)) {
        cli_error("--trust");
        goto out;
    }
    so.protect_changes = trust_prot;
    so.runner_path = runner;
    so.audit = log;
    so.protected_paths = protected_paths(o, &so.protected_count);
    so.max_calls = (unsigned)calls;
    if (wd_instance_start(&inst, c, &so) != 0) {
        cli_error(contract_path);
        status = EXIT_DENY;
        goto out;
    }
    status = EXIT_ALLOW;
    if (o->describe) {
        wd_call_result r;
        if (wd_instance_prepare(inst, &r) != 0) {
            print_result(&r, json);
            status = EXIT_DENY;
        } else {
            printf("%s\n", wd_instance_describe(inst));
        }
        calls = 0;
    }
    for (unsigned long i = 0; i < calls; i++) {
        wd_call_result r;
        int rc = wd_instance_call(inst, input, input_len, NULL, &r);
        print_result(&r, json);
        if (rc != 0)
            status = EXIT_DENY;
        wd_call_result_clear(&r);
    }
    print_notes(wd_instance_notes(inst));
out:
    wd_instance_stop(inst);
    wd_protected_free(trust_prot);
    if (log && wd_audit_close(log) != 0) {
        cli_error("cannot close the audit log");
        status = EXIT_USAGE;
    }
    wd_contract_free(c);
    wd_diagnostics_free(diags);
    free(input);
    free(runner);
    return status;
}

int cmd_run(int argc, char **argv)
{
    run_options o = {.input = "{}", .min_landlock = LANDLOCK_DEFAULT, .calls = 1};
    o.protect_list = (cli_list){
        .v = o.protect,
        .max = RUN_PROTECT_MAX,
        .too_many = "at most 64 --protect paths",
    };
    const cli_opt opts[] = {
        {.name = "input",
         .kind = CLI_STRING,
         .dest = &o.input,
         .arg = "JSON|@FILE",
         .help = "the call's input (default {}); @- reads stdin"},
        {.name = "keys",
         .kind = CLI_STRING,
         .dest = &o.keys,
         .arg = "DIR",
         .help = "the audit log's key directory (with --log)"},
        {.name = "log",
         .kind = CLI_STRING,
         .dest = &o.log_dir,
         .arg = "LOG",
         .help = "record the run in this audit log"},
        {.name = "trust",
         .kind = CLI_STRING,
         .dest = &o.trust,
         .arg = "DIR",
         .help = "refuse a contract no reviewer whose key is here signed"},
        {.name = "protect",
         .kind = CLI_LIST,
         .dest = &o.protect_list,
         .arg = "PATH",
         .help = "a path the plugin may never touch (repeatable, at most 64)"},
        {.name = "timeout",
         .kind = CLI_NUMBER,
         .dest = &o.timeout_ms,
         .arg = "MS",
         .help = "the wall-clock limit of a call",
         .max = RUN_NUMBER_MAX},
        {.name = "min-landlock",
         .kind = CLI_NUMBER,
         .dest = &o.min_landlock,
         .arg = "N",
         .help = "the lowest Landlock ABI to run under (0: none)",
         .max = RUN_LANDLOCK_MAX},
        {.name = "calls",
         .kind = CLI_NUMBER,
         .dest = &o.calls,
         .arg = "N",
         .help = "calls on one warm instance",
         .min = 1,
         .max = RUN_NUMBER_MAX},
        {.name = "json", .kind = CLI_FLAG, .dest = &o.json, .help = "print each result as JSON"},
        {.name = "describe",
         .kind = CLI_FLAG,
         .dest = &o.describe,
         .help = "print the sandbox the plugin would get, and call nothing"},
        {0},
    };
    const cli_spec spec = {.prog = "warden", .command = "run", .usage = run_usage, .opts = opts};
    cli_args args;
    int rc = cli_parse(argc, argv, &spec, &args);
    if (rc != CLI_PARSED)
        return rc;
    if (args.n == 0) {
        cli_usage(stderr, &spec);
        return EXIT_USAGE;
    }
    if (args.n > 1) {
        fprintf(stderr, "warden: run: one contract at a time\n");
        return EXIT_USAGE;
    }
    o.contract = args.v[0];
    return run(&o);
}
