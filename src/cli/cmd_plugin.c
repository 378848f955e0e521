/* cmd_plugin.c: warden plugin validate|pipeline */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "util/buf.h"
#include "util/utf8.h"

enum {
    SIGNER_HEX_LEN = 64,  /* a reviewer key's sha256, in hex */
    SAFE_PATH_MAX = 4200, /* a path as one printable line */
    SAFE_MESSAGE_MAX = 2100,
    COMMAND_MAX = 32, /* "plugin pipeline" */
};

static const char plugin_usage[] =
    "usage: warden plugin validate CONTRACT...\n"
    "       warden plugin pipeline CONTRACT...\n"
    "       warden plugin keygen --dir DIR\n"
    "       warden plugin sign CONTRACT --key REVIEWER_KEY\n"
    "       warden plugin verify CONTRACT --trust DIR [--approved FILE]\n"
    "       warden plugin inspect CONTRACT [--deny-imports SYM,...]\n"
    "       warden plugin list DIR [--json] [--allow PREFIX,...] [--trust DIR]\n"
    "                 [--review-required] [--approved FILE] [--deny-imports SYM,...]\n"
    "                 [--max N] [--correlation-id ID] [--audit-log LOG --audit-keys DIR]\n"
    "       warden plugin import-onex HANDLER_CONTRACT.yaml [-o OUT.yaml] [--force]\n"
    "                 [--handler-root DIR] [--level LEVEL] [--version VERSION]\n\n"
    "validate: every error as FILE:LINE:COL: error WD-Lnnn: message (a contract's\n"
    "  policy reports WD-Pnnn); exit 0 all valid, 1 any invalid, 2 unreadable.\n"
    "  A process plugin's runtime, protocol, program and interpreter follow its line.\n"
    "pipeline: the level the plugins would run at together (the lowest clearance),\n"
    "  or the plugin that refuses to run below its own; exit 0 or 1.\n"
    "keygen/sign: a reviewer's key pair; a signature over the contract's bytes, its\n"
    "  library hash (a process plugin: its program's) and its policy file's hash,\n"
    "  written to CONTRACT.sig.\n"
    "verify: the library hashes to the contract's sha256 (read from the descriptor\n"
    "  a loader would use), no other user can change the contract, library, policy\n"
    "  or their directories, a trusted reviewer signed exactly this contract, library\n"
    "  and policy, and (with --approved) the library hash is approved; exit 0\n"
    "  reviewed, 1 refused, 2 error.\n"
    "inspect: the library's dynamic imports; with --deny-imports, refused (exit 1)\n"
    "  naming the denied ones it imports.\n"
    "list: load every contract.yaml under DIR into a registry and print the load\n"
    "  report (loaded, or refused with id and reason); exit 0 all loaded, 1 any\n"
    "  refused, 2 error. Without --allow, every id may register (a warning says so).\n"
    "import-onex: an ONEX handler contract as a warden contract (runtime: python),\n"
    "  naming every field it does not carry over; exit 0 written, 2 refused or error.\n";

static const cli_opt no_opts[] = {{0}};

static int plugin_args(int argc, char **argv, const cli_opt *opts, cli_args *args)
{
    char command[COMMAND_MAX];
    snprintf(command, sizeof(command), "plugin %s", argv[0]);
    const cli_spec spec = {
        .prog = "warden", .command = command, .usage = plugin_usage, .opts = opts};
    return cli_parse(argc, argv, &spec, args);
}

static int plugin_usage_error(const cli_opt *opts)
{
    const cli_spec spec = {.prog = "warden", .usage = plugin_usage, .opts = opts};
    cli_usage(stderr, &spec);
    return EXIT_USAGE;
}

static int load(const char *path, wd_contract **out, wd_diagnostics *diags, size_t *first)
{
    *first = wd_diagnostics_count(diags);
    wd_contract_options o = WD_CONTRACT_OPTIONS_INIT;
    o.diagnostics = diags;
    int rc = wd_contract_load(out, path, &o);
    cli_print_diags(diags, *first);
    return rc;
}

static const char *printable(const char *s, char *buf, size_t size);

/* A process plugin's runtime, protocol, program and interpreter, one indented line each, after
 * its "valid" line (a native plugin's output is one line, as it always was). */
static void print_process(const wd_contract *c)
{
    char safe[SAFE_PATH_MAX];
    wd_protocol p = wd_contract_protocol(c);
    printf("  runtime: process\n  protocol: %s\n  program: %s\n",
           p == WD_PROTOCOL_STDIO        ? "stdio"
           : p == WD_PROTOCOL_JSON_LINES ? "json-lines"
           : p == WD_PROTOCOL_MCP        ? "mcp"
                                         : "?",
           printable(wd_contract_program(c), safe, sizeof(safe)));
    if (wd_contract_interpreter(c))
        printf("  interpreter: %s\n", printable(wd_contract_interpreter(c), safe, sizeof(safe)));
}

/* A Python handler's class, tree, lifecycle and interpreter, as print_process does. */
static void print_python(const wd_contract *c)
{
    char safe[SAFE_PATH_MAX];
    printf("  runtime: python\n  handler_class: %s\n",
           printable(wd_contract_handler_class(c), safe, sizeof(safe)));
    printf("  handler_root: %s\n  lifecycle: %s\n",
           printable(wd_contract_handler_root(c), safe, sizeof(safe)),
           wd_contract_lifecycle(c) == WD_LIFECYCLE_WARM ? "warm" : "fresh");
    printf("  interpreter: %s\n", printable(wd_contract_interpreter(c), safe, sizeof(safe)));
}

static int validate(int argc, char **argv)
{
    cli_args files;
    int status = plugin_args(argc, argv, no_opts, &files);
    if (status != CLI_PARSED)
        return status;
    if (!files.n)
        return plugin_usage_error(no_opts);
    wd_diagnostics *diags;
    if (wd_diagnostics_new(&diags) != 0)
        return EXIT_USAGE;
    status = 0;
    for (size_t i = 0; i < files.n; i++) {
        const char *path = files.v[i];
        wd_contract *c = NULL;
        size_t first;
        int rc = load(path, &c, diags, &first);
        if (rc == 0) {
            printf("%s: valid (%s %s %s, %s%s)\n", path, wd_contract_id(c),
                   wd_plugin_type_name(wd_contract_type(c)), wd_contract_version(c),
                   wd_security_level_name(wd_contract_level(c)),
                   wd_contract_allow_downgrade(c) ? ", may run lower" : "");
            if (wd_contract_runtime(c) == WD_RUNTIME_PROCESS)
                print_process(c);
            else if (wd_contract_runtime(c) == WD_RUNTIME_PYTHON)
                print_python(c);
            wd_contract_free(c);
        } else if (rc == WD_EPOLICY) {
            printf("%s: invalid\n", path);
            if (!status)
                status = EXIT_DENY;
        } else {
            printf("%s: unreadable\n", path);
            status = EXIT_USAGE;
        }
    }
    wd_diagnostics_free(diags);
    return status;
}

static int pipeline(int argc, char **argv)
{
    cli_args files;
    int status = plugin_args(argc, argv, no_opts, &files);
    if (status != CLI_PARSED)
        return status;
    if (!files.n)
        return plugin_usage_error(no_opts);
    size_t n = files.n;
    wd_contract **cs = calloc(n, sizeof(*cs));
    wd_diagnostics *diags = NULL;
    status = !cs || wd_diagnostics_new(&diags) != 0 ? EXIT_USAGE : 0;
    for (size_t i = 0; i < n && !status; i++) {
        size_t first;
        int rc = load(files.v[i], &cs[i], diags, &first);
        if (rc) {
            printf("%s: %s\n", files.v[i], rc == WD_EPOLICY ? "invalid" : "unreadable");
            status = EXIT_USAGE;
        }
    }
    if (!status) {
        wd_security_level level;
        size_t refused = 0;
        if (wd_pipeline_level((const wd_contract *const *)cs, n, &level, &refused) == 0) {
            printf("pipeline runs at %s\n", wd_security_level_name(level));
        } else {
            const wd_error *e = wd_error_last();
            printf("refused: %s%s%s\n", e->id, *e->id ? " " : "", e->message);
            status = EXIT_DENY;
        }
    }
    for (size_t i = 0; cs && i < n; i++)
        wd_contract_free(cs[i]);
    free(cs);
    wd_diagnostics_free(diags);
    return status;
}

static int keygen(int argc, char **argv)
{
    const char *dir = NULL;
    const cli_opt opts[] = {
        {.name = "dir",
         .kind = CLI_STRING,
         .dest = &dir,
         .arg = "DIR",
         .help = "where the reviewer's key pair goes (required)"},
        {0},
    };
    cli_args none;
    int rc = plugin_args(argc, argv, opts, &none);
    if (rc != CLI_PARSED)
        return rc;
    if (!dir || none.n)
        return plugin_usage_error(opts);
    if (wd_review_keygen(dir) != 0) {
        cli_error("keygen");
        return EXIT_USAGE;
    }
    printf("reviewer keys written to %s: reviewer.key (secret), reviewer.pub (put it in the "
           "trust directory)\n",
           dir);
    return 0;
}

static int sign_or_verify(int argc, char **argv, bool sign)
{
    const char *key = NULL, *trust = NULL, *approved = NULL;
    const cli_opt sign_opts[] = {
        {.name = "key",
         .kind = CLI_STRING,
         .dest = &key,
         .arg = "REVIEWER_KEY",
         .help = "the reviewer's secret key (required)"},
        {0},
    };
    const cli_opt verify_opts[] = {
        {.name = "trust",
         .kind = CLI_STRING,
         .dest = &trust,
         .arg = "DIR",
         .help = "the trusted reviewers' public keys (required)"},
        {.name = "approved",
         .kind = CLI_STRING,
         .dest = &approved,
         .arg = "FILE",
         .help = "the approved library hashes"},
        {0},
    };
    const cli_opt *opts = sign ? sign_opts : verify_opts;
    cli_args contract;
    int parsed = plugin_args(argc, argv, opts, &contract);
    if (parsed != CLI_PARSED)
        return parsed;
    if (contract.n != 1 || (sign && !key) || (!sign && !trust))
        return plugin_usage_error(opts);
    const char *path = contract.v[0];
    wd_diagnostics *diags;
    if (wd_diagnostics_new(&diags) != 0)
        return EXIT_USAGE;
    wd_contract *c = NULL;
    size_t first;
    int rc = load(path, &c, diags, &first);
    wd_diagnostics_free(diags);
    if (rc) {
        printf("%s: %s\n", path, rc == WD_EPOLICY ? "invalid" : "unreadable");
        return rc == WD_EPOLICY ? EXIT_DENY : EXIT_USAGE;
    }
    int fd = -1, status = 0;
    bool native = wd_contract_runtime(c) == WD_RUNTIME_NATIVE;
    wd_handler_tree *tree = NULL; /* a Python handler's code is its tree */
    int code = wd_contract_runtime(c) == WD_RUNTIME_PYTHON ? wd_contract_read_handler_tree(c, &tree)
               : native                                    ? wd_contract_open_library(c, &fd)
                                                           : wd_contract_open_program(c, &fd);
    wd_handler_tree_free(tree);
    if (code != 0) {
        cli_error(path);
        status = EXIT_DENY;
    } else if (sign) {
        if (wd_contract_sign(c, key) != 0) {
            cli_error("sign");
            status = EXIT_USAGE;
        } else {
            printf("%s: signed (%s.sig)\n", path, path);
        }
    } else {
        char signer[SIGNER_HEX_LEN + 1];
        if (wd_contract_check_files(c, NULL) != 0 ||
            wd_contract_verify_signature(c, trust, signer) != 0 ||
            (approved && wd_contract_check_approved(c, approved) != 0)) {
            const wd_error *e = wd_error_last();
            printf("%s: refused: %s %s\n", path, e->id, e->message);
            status = e->code == WD_EIO ? EXIT_USAGE : EXIT_DENY;
        } else {
            printf("%s: reviewed (signed by %s%s)\n", path, signer,
                   !approved ? ""
                   : native  ? ", library hash approved"
                             : ", program hash approved");
        }
    }
    if (fd >= 0)
        close(fd);
    wd_contract_free(c);
    return status;
}

/* "a,b,c" -> a NULL-terminated array of strings (in one allocation, freed with free()). */
static char **split_list(const char *text, size_t *count)
{
    size_t n = 1, len = strlen(text);
    for (const char *p = text; *p; p++)
        n += *p == ',';
    char **v = malloc((n + 1) * sizeof(*v) + len + 1);
    if (!v)
        return NULL;
    char *copy = (char *)(v + n + 1);
    memcpy(copy, text, len + 1);
    size_t k = 0;
    for (char *tok = copy;; tok++) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        if (*tok)
            v[k++] = tok;
        if (!comma)
            break;
        tok = comma;
    }
    v[k] = NULL;
    if (count)
        *count = k;
    return v;
}

/* Loads one contract and prints its library's imports, refused if it imports a denied one. */
static int inspect_one(const char *path, const char *const *denied)
{
    wd_diagnostics *diags;
    if (wd_diagnostics_new(&diags) != 0)
        return EXIT_USAGE;
    wd_contract *c = NULL;
    size_t first;
    int rc = load(path, &c, diags, &first);
    wd_diagnostics_free(diags);
    int status = 0;
    char *list = NULL;
    if (rc) {
        printf("%s: %s\n", path, rc == WD_EPOLICY ? "invalid" : "unreadable");
        status = rc == WD_EPOLICY ? EXIT_DENY : EXIT_USAGE;
    } else if (wd_contract_imports(c, denied, &list) != 0) {
        const wd_error *e = wd_error_last();
        printf("%s: refused: %s %s\n", path, e->id, e->message);
        status = e->code == WD_EIO || e->code == WD_ENOMEM || e->code == WD_EINVAL ? EXIT_USAGE
                                                                                   : EXIT_DENY;
    } else {
        fputs(list, stdout);
    }
    free(list);
    wd_contract_free(c);
    return status;
}

static int inspect(int argc, char **argv)
{
    const char *deny = NULL;
    const cli_opt opts[] = {
        {.name = "deny-imports",
         .kind = CLI_STRING,
         .dest = &deny,
         .arg = "SYM,...",
         .help = "refuse a library that imports any of these"},
        {0},
    };
    cli_args contract;
    int parsed = plugin_args(argc, argv, opts, &contract);
    if (parsed != CLI_PARSED)
        return parsed;
    if (contract.n != 1)
        return plugin_usage_error(opts);
    char **denied = deny ? split_list(deny, NULL) : NULL;
    int status = inspect_one(contract.v[0], (const char *const *)denied);
    free(denied);
    return status;
}

/* A file name as one printable line: a name with a newline must not forge a report line. */
static const char *printable(const char *s, char *buf, size_t size)
{
    wd_buf b = WD_BUF_INIT;
    wd_utf8_escape(&b, s, strlen(s));
    size_t o = 0;
    for (size_t i = 0; i < b.len && o + 1 < size; i++)
        buf[o++] = (unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f ? '?' : b.data[i];
    buf[o] = '\0';
    wd_buf_free(&b);
    return buf;
}

/* A JSON string for text that may not be UTF-8 (paths, and messages that quote them). */
static json_t *json_text(const char *s)
{
    wd_buf b = WD_BUF_INIT;
    wd_utf8_escape(&b, s, strlen(s));
    json_t *j = b.oom ? NULL : json_stringn(b.data ? b.data : "", b.len);
    wd_buf_free(&b);
    return j;
}

typedef struct {
    const char *allow, *deny, *trust, *approved, *correlation_id, *log_dir, *keys;
    uint64_t max;
    bool json, review;
} list_options;

typedef struct {
    const char *const *allowed, *const *denied;
    size_t nallow;
} list_lists;

/* Loads every contract under dir into a new registry and prints the load report. */
static int list_report(const list_options *lo, const list_lists *lists, const char *dir,
                       wd_audit *log)
{
    bool json = lo->json, review = lo->review;
    wd_registry_options ro = WD_REGISTRY_OPTIONS_INIT;
    ro.allowlist = lists->allowed;
    ro.allowlist_len = lists->nallow;
    ro.audit = log;
    wd_discover_options o = WD_DISCOVER_OPTIONS_INIT;
    o.trust_dir = lo->trust;
    o.review_required = review;
    o.approved_path = lo->approved;
    o.deny_imports = lists->denied;
    o.correlation_id = lo->correlation_id;
    o.max = (size_t)lo->max;
    wd_registry *reg = NULL;
    wd_load_report *rep = NULL;
    const char *warning = NULL;
    int status = 0;
    if (review && !o.trust_dir) {
        fprintf(stderr, "warden: --review-required needs --trust DIR\n");
        status = EXIT_USAGE;
    } else if (wd_registry_new(&reg, &ro, &warning) != 0 ||
               wd_registry_discover(reg, dir, &o, &rep) != 0) {
        cli_error(dir);
        status = EXIT_USAGE;
    }
    if (!status) {
        if (warning && !json)
            fprintf(stderr, "warden: warning: %s\n", warning);
        json_t *arr = json ? json_array() : NULL;
        char safe[SAFE_PATH_MAX], msg[SAFE_MESSAGE_MAX];
        for (size_t i = 0; i < wd_load_report_count(rep); i++) {
            const wd_load_entry *e = wd_load_report_get(rep, i);
            if (json) {
                json_t *item =
                    json_pack("{s:o, s:b, s:s, s:o}", "path", json_text(e->path), "loaded",
                              e->loaded, "code", e->id, "message", json_text(e->message));
                if (json_array_append_new(arr, item) != 0) {
                    fprintf(stderr, "warden: out of memory\n");
                    status = EXIT_USAGE;
                    break;
                }
            } else if (e->loaded)
                printf("loaded   %s  %s\n", printable(e->message, msg, sizeof(msg)),
                       printable(e->path, safe, sizeof(safe)));
            else
                printf("refused  %s  %s: %s\n", e->id, printable(e->path, safe, sizeof(safe)),
                       printable(e->message, msg, sizeof(msg)));
        }
        if (status)
            json_decref(arr);
        else if (json)
            cli_print_json(
                json_pack("{s:s, s:o, s:I, s:I, s:s?}", "correlation_id",
                          wd_load_report_correlation_id(rep), "entries", arr, "loaded",
                          (json_int_t)(wd_load_report_count(rep) - wd_load_report_refused(rep)),
                          "refused", (json_int_t)wd_load_report_refused(rep), "warning", warning));
        else
            printf("%zu loaded, %zu refused (correlation id %s)\n",
                   wd_load_report_count(rep) - wd_load_report_refused(rep),
                   wd_load_report_refused(rep), wd_load_report_correlation_id(rep));
        if (!status)
            status = wd_load_report_refused(rep) ? EXIT_DENY : 0;
    }
    wd_load_report_free(rep);
    wd_registry_free(reg);
    return status;
}

static int list_dir(int argc, char **argv)
{
    list_options lo = {0};
    const cli_opt opts[] = {
        {.name = "json", .kind = CLI_FLAG, .dest = &lo.json, .help = "print the report as JSON"},
        {.name = "allow",
         .kind = CLI_STRING,
         .dest = &lo.allow,
         .arg = "PREFIX,...",
         .help = "the ids that may register (default: every id, with a warning)"},
        {.name = "trust",
         .kind = CLI_STRING,
         .dest = &lo.trust,
         .arg = "DIR",
         .help = "the trusted reviewers' public keys"},
        {.name = "review-required",
         .kind = CLI_FLAG,
         .dest = &lo.review,
         .help = "refuse a contract no trusted reviewer signed (with --trust)"},
        {.name = "approved",
         .kind = CLI_STRING,
         .dest = &lo.approved,
         .arg = "FILE",
         .help = "the approved library hashes"},
        {.name = "deny-imports",
         .kind = CLI_STRING,
         .dest = &lo.deny,
         .arg = "SYM,...",
         .help = "refuse a library that imports any of these"},
        {.name = "max",
         .kind = CLI_NUMBER,
         .dest = &lo.max,
         .arg = "N",
         .help = "the most contracts to consider (default 10000)"},
        {.name = "correlation-id",
         .kind = CLI_STRING,
         .dest = &lo.correlation_id,
         .arg = "ID",
         .help = "the report's correlation id"},
        CLI_AUDIT_OPTS(&lo.log_dir, &lo.keys, "record the load in this audit log"),
        {0},
    };
    cli_args dir;
    int parsed = plugin_args(argc, argv, opts, &dir);
    if (parsed != CLI_PARSED)
        return parsed;
    if (dir.n != 1)
        return plugin_usage_error(opts);
    size_t nallow = 0;
    char **allowed = lo.allow ? split_list(lo.allow, &nallow) : NULL,
         **denied = lo.deny ? split_list(lo.deny, NULL) : NULL;
    wd_audit *log = NULL;
    int status = cli_open_audit(lo.log_dir, lo.keys, &log) != 0 ? EXIT_USAGE : 0;
    if (!status) {
        const list_lists lists = {
            .allowed = (const char *const *)allowed,
            .nallow = nallow,
            .denied = (const char *const *)denied,
        };
        status = list_report(&lo, &lists, dir.v[0], log);
    }
    if (log && wd_audit_close(log) != 0 && status != EXIT_USAGE) {
        cli_error("closing the audit log");
        status = EXIT_USAGE;
    }
    free(allowed);
    free(denied);
    return status;
}

int cmd_plugin(int argc, char **argv)
{
    bool help = argc == 2 && !strcmp(argv[1], "--help");
    if (argc < 3 || !strcmp(argv[1], "--help")) {
        const cli_spec spec = {.prog = "warden", .usage = plugin_usage, .opts = no_opts};
        cli_usage(help ? stdout : stderr, &spec);
        return help ? 0 : EXIT_USAGE;
    }
    if (!strcmp(argv[1], "validate"))
        return validate(argc - 1, argv + 1);
    if (!strcmp(argv[1], "pipeline"))
        return pipeline(argc - 1, argv + 1);
    if (!strcmp(argv[1], "keygen"))
        return keygen(argc - 1, argv + 1);
    if (!strcmp(argv[1], "sign"))
        return sign_or_verify(argc - 1, argv + 1, true);
    if (!strcmp(argv[1], "verify"))
        return sign_or_verify(argc - 1, argv + 1, false);
    if (!strcmp(argv[1], "inspect"))
        return inspect(argc - 1, argv + 1);
    if (!strcmp(argv[1], "list"))
        return list_dir(argc - 1, argv + 1);
    if (!strcmp(argv[1], "import-onex"))
        return cmd_plugin_import_onex(argc - 1, argv + 1);
    fprintf(stderr, "warden: unknown plugin command \"%s\"\n", argv[1]);
    return plugin_usage_error(no_opts);
}
