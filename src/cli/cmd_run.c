/* cmd_run.c: `warden run CONTRACT`: one call of a plugin in the sandbox (docs/sandbox.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/file.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: warden run CONTRACT [--input JSON|@FILE] [--keys DIR --log LOG] [--json]\n"
            "                  [--timeout MS] [--min-landlock N] [--protect PATH]... "
            "[--calls N]\n"
            "                  [--trust DIR] [--describe]\n"
            "Runs the plugin CONTRACT names in the sandbox and prints what it wrote. The input\n"
            "defaults to {}. --calls N makes N calls on one warm instance (the output of each\n"
            "is printed). --trust DIR refuses a contract no trusted reviewer signed.\n"
            "--min-landlock 0 runs even where the kernel has no Landlock (said on stderr).\n"
            "Exit: 0 the plugin succeeded, 1 it failed or was contained (WD-Snnn on stderr),\n"
            "2 usage or input error.\n");
}

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
            cap = cap ? cap * 2 : 65536;
            char *p = cap > (64u << 20) ? NULL : realloc(data, cap + 1);
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
        if (j && !text && r->output_len <= (64u << 20)) {
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

static bool takes_value(const char *opt)
{
    static const char *const with_value[] = {"--input", "--keys",         "--log",
                                             "--trust", "--protect",      "--timeout",
                                             "--calls", "--min-landlock", NULL};
    for (const char *const *o = with_value; *o; o++)
        if (!strcmp(opt, *o))
            return true;
    return false;
}

int cmd_run(int argc, char **argv)
{
    const char *contract_path = NULL, *input_arg = "{}", *keys = NULL, *log_dir = NULL,
               *trust = NULL;
    bool json = false, describe = false;
    wd_sandbox_options so = WD_SANDBOX_OPTIONS_INIT;
    const char *protect[66]; /* 64 from --protect, the log and its keys */
    size_t nprotect = 0;
    unsigned long calls = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--describe")) {
            describe = true;
        } else if (takes_value(a) && !v) {
            fprintf(stderr, "warden: %s needs a value\n", a);
            return EXIT_USAGE;
        } else if (!strcmp(a, "--input")) {
            input_arg = argv[++i];
        } else if (!strcmp(a, "--keys")) {
            keys = argv[++i];
        } else if (!strcmp(a, "--log")) {
            log_dir = argv[++i];
        } else if (!strcmp(a, "--trust")) {
            trust = argv[++i];
        } else if (!strcmp(a, "--protect")) {
            if (nprotect == 64) {
                fprintf(stderr, "warden: at most 64 --protect paths\n");
                return EXIT_USAGE;
            }
            protect[nprotect++] = argv[++i];
        } else if (!strcmp(a, "--timeout") || !strcmp(a, "--min-landlock") ||
                   !strcmp(a, "--calls")) {
            errno = 0;
            unsigned long n = strtoul(v, &end, 10);
            if (errno || *end || !*v || v[0] == '-' || n > 100000000ul ||
                (!strcmp(a, "--calls") && n == 0) || (!strcmp(a, "--min-landlock") && n > 64)) {
                fprintf(stderr, "warden: %s: not a valid number: %s\n", a, v);
                return EXIT_USAGE;
            }
            if (!strcmp(a, "--timeout"))
                so.timeout_ms = n;
            else if (!strcmp(a, "--calls"))
                calls = n;
            else
                so.min_landlock_abi = (int)n;
            i++;
        } else if (a[0] == '-') {
            fprintf(stderr, "warden: run: unknown option %s\n", a);
            usage(stderr);
            return EXIT_USAGE;
        } else if (contract_path) {
            fprintf(stderr, "warden: run: one contract at a time\n");
            return EXIT_USAGE;
        } else {
            contract_path = a;
        }
    }
    if (!contract_path) {
        usage(stderr);
        return EXIT_USAGE;
    }
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
    /* The runner ships beside the warden binary; else the library's default. */
    char *runner = wd_file_beside_self("warden-runner", 0);
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
    /* The audit log and its keys are warden's own: never granted to the plugin. The reviewers'
     * keys may be read, never changed; warden's programs and libraries the instance keeps from
     * change itself. */
    if (log_dir)
        protect[nprotect++] = log_dir;
    if (keys)
        protect[nprotect++] = keys;
    char trust_abs[4096];
    const char *trust_glob = trust_abs;
    if (trust && (cli_absolute(trust, trust_abs, sizeof(trust_abs)) != 0 ||
                  wd_protected_new(&trust_prot, &trust_glob, 1) != 0)) {
        cli_error("--trust");
        goto out;
    }
    so.protect_changes = trust_prot;
    so.runner_path = runner;
    so.audit = log;
    so.protected_paths = protect;
    so.protected_count = nprotect;
    so.max_calls = (unsigned)calls;
    if (wd_instance_start(&inst, c, &so) != 0) {
        cli_error(contract_path);
        status = EXIT_DENY;
        goto out;
    }
    status = EXIT_ALLOW;
    if (describe) {
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
    const char *notes = wd_instance_notes(inst);
    /* What this kernel could not enforce, on stderr so JSON on stdout stays one document. */
    for (const char *p = notes; *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stderr, "warden: note: %.*s\n", n, p);
        p += n + (nl ? 1 : 0);
    }
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
