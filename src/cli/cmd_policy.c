/* cmd_policy.c: warden policy validate|show. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"

enum {
    ACCESS_LIST_MAX = 256, /* "read,write,..." */
    ACCESS_TEXT_MAX = 64,  /* "read write execute create delete" */
    RULE_TEXT_MAX = 4200,  /* a rule's pattern and its access */
    COMMAND_MAX = 32,      /* "policy revoke" */
};

static const char policy_usage[] =
    "usage: warden policy validate FILE...\n"
    "       warden policy show FILE [--data-dir DIR] [--json]\n"
    "       warden policy grant|revoke --store DIR --component ID [--type T]\n"
    "              [--data-dir DIR] [--audit-log LOG --audit-keys DIR]\n"
    "              (storage URI [ACCESS,...] | network HOST|CIDR | env KEY |\n"
    "               tool NAME)\n"
    "       warden policy reset --store DIR --component ID [--audit-log ...]\n\n"
    "validate: every error and warning as FILE:LINE:COL: error ID: message;\n"
    "  exit 0 all valid, 1 any invalid, 2 usage or unreadable file.\n"
    "show: the normalised, compiled view of one policy (relative fs:// URIs\n"
    "  resolved against --data-dir, by default the policy file's directory).\n"
    "grant/revoke/reset: change a component's policy in a store, validated,\n"
    "  atomic and (with --audit-log) audited; revoke storage without ACCESS removes\n"
    "  the URI entirely; a tool is granted only where the policy has a tools list\n"
    "  (without one every tool may already be called). Exit 0 done, 1 refused\n"
    "  (invalid, nothing to revoke, no tools list), 2 usage.\n";

static const cli_opt no_opts[] = {{0}};

static int policy_args(int argc, char **argv, const char *command, const cli_opt *opts,
                       cli_args *args)
{
    const cli_spec spec = {
        .prog = "warden", .command = command, .usage = policy_usage, .opts = opts};
    return cli_parse(argc, argv, &spec, args);
}

static int policy_usage_error(const char *command, const cli_opt *opts)
{
    const cli_spec spec = {
        .prog = "warden", .command = command, .usage = policy_usage, .opts = opts};
    cli_usage(stderr, &spec);
    return EXIT_USAGE;
}

static int validate(int argc, char **argv)
{
    cli_args files;
    int rc = policy_args(argc, argv, "policy validate", no_opts, &files);
    if (rc != CLI_PARSED)
        return rc;
    if (!files.n)
        return policy_usage_error("policy validate", no_opts);
    wd_diagnostics *diags;
    if (wd_diagnostics_new(&diags) != 0)
        return EXIT_USAGE;
    int status = 0;
    for (size_t i = 0; i < files.n; i++) {
        const char *path = files.v[i];
        size_t first = wd_diagnostics_count(diags);
        wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
        opts.diagnostics = diags;
        wd_policy *p = NULL;
        rc = wd_policy_load(&p, path, &opts);
        cli_print_diags(diags, first);
        size_t warnings = wd_diagnostics_count(diags) - first;
        if (rc == 0) {
            printf("%s: valid (%zu rules, %zu warnings)\n", path, wd_policy_rule_count(p),
                   warnings);
            wd_policy_free(p);
        } else if (rc == WD_EPOLICY) {
            size_t errors = 0;
            for (size_t k = first; k < wd_diagnostics_count(diags); k++)
                errors += wd_diagnostics_get(diags, k)->severity == WD_DIAG_ERROR;
            printf("%s: invalid (%zu errors)\n", path, errors);
            if (status == 0)
                status = EXIT_DENY;
        } else {
            if (wd_diagnostics_count(diags) == first)
                cli_error(NULL);
            printf("%s: unreadable\n", path);
            status = EXIT_USAGE;
        }
    }
    wd_diagnostics_free(diags);
    return status;
}

static const char *access_list(unsigned access, char *buf, size_t size)
{
    static const unsigned order[] = {WD_ACCESS_READ, WD_ACCESS_WRITE, WD_ACCESS_EXECUTE,
                                     WD_ACCESS_CREATE, WD_ACCESS_DELETE};
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < 5; i++)
        if (access & order[i])
            o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%s", o ? " " : "",
                                  wd_access_name(order[i]));
    return buf;
}

static json_t *rule_json(const wd_rule *r)
{
    json_t *j = cli_rule_json(r);
    switch (r->kind) {
    case WD_RULE_STORAGE: {
        json_t *list = json_array();
        static const unsigned order[] = {WD_ACCESS_READ, WD_ACCESS_WRITE, WD_ACCESS_EXECUTE,
                                         WD_ACCESS_CREATE, WD_ACCESS_DELETE};
        for (size_t i = 0; i < 5; i++)
            if (r->access & order[i])
                json_array_append_new(list, json_string(wd_access_name(order[i])));
        json_object_set_new(j, "pattern", json_string(r->pattern));
        json_object_set_new(j, "access", list);
        break;
    }
    case WD_RULE_NETWORK: {
        if (r->host)
            json_object_set_new(j, "host", json_string(r->host));
        if (r->cidr)
            json_object_set_new(j, "cidr", json_string(r->cidr));
        json_object_set_new(j, "scheme", r->scheme ? json_string(r->scheme) : json_null());
        json_t *ports = json_array();
        for (size_t i = 0; i < r->port_count; i++)
            json_array_append_new(ports, json_integer(r->ports[i]));
        json_object_set_new(j, "ports", ports);
        break;
    }
    case WD_RULE_ENVIRONMENT:
        json_object_set_new(j, "key", json_string(r->key));
        break;
    case WD_RULE_TOOL:
        json_object_set_new(j, "name", json_string(r->tool));
        break;
    }
    return j;
}

static int show_json(const wd_policy *p, const wd_diagnostics *diags)
{
    json_t *root = json_object();
    json_object_set_new(root, "version", json_string(wd_policy_version(p)));
    json_object_set_new(root, "description", json_string(wd_policy_description(p)));
    json_object_set_new(root, "data_dir", json_string(wd_policy_data_dir(p)));
    static const char *const sections[] = {"storage", "network", "environment", "tools"};
    for (int k = 0; k < 4; k++) {
        /* No tools section means every tool may be called: shown as null, not as an empty
         * (deny everything) list. */
        if (k + 1 == WD_RULE_TOOL && !wd_policy_lists_tools(p)) {
            json_object_set_new(root, sections[k], json_null());
            continue;
        }
        json_t *sec = json_object(), *allow = json_array(), *deny = json_array();
        for (size_t i = 0; i < wd_policy_rule_count(p); i++) {
            const wd_rule *r = wd_policy_rule(p, i);
            if ((int)r->kind == k + 1)
                json_array_append_new(r->effect == WD_ALLOW ? allow : deny, rule_json(r));
        }
        json_object_set_new(sec, "allow", allow);
        json_object_set_new(sec, "deny", deny);
        json_object_set_new(root, sections[k], sec);
    }
    const wd_resources *res = wd_policy_resources(p);
    json_t *jr = json_object();
    const struct {
        const char *name;
        uint64_t v;
    } fields[] = {{"cpu_millicores", res->cpu_millicores}, {"memory_bytes", res->memory_bytes},
                  {"timeout_ms", res->timeout_ms},         {"pids", res->pids},
                  {"open_files", res->open_files},         {"output_bytes", res->output_bytes}};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (fields[i].v)
            json_object_set_new(jr, fields[i].name, json_integer((json_int_t)fields[i].v));
    json_object_set_new(root, "resources", jr);
    json_t *warnings = json_array();
    char line[DIAG_LINE_MAX];
    for (size_t i = 0; i < wd_diagnostics_count(diags); i++) {
        wd_diag_format(wd_diagnostics_get(diags, i), line, sizeof(line));
        json_array_append_new(warnings, json_string(line));
    }
    json_object_set_new(root, "warnings", warnings);
    return cli_print_json(root);
}

static void show_text(const wd_policy *p, const wd_diagnostics *diags, const char *path)
{
    printf("policy       %s\nversion      %s\n", path, wd_policy_version(p));
    if (wd_policy_description(p)[0])
        printf("description  %s\n", wd_policy_description(p));
    printf("data dir     %s\n", wd_policy_data_dir(p) ? wd_policy_data_dir(p) : "(none)");
    static const char *const sections[] = {"storage", "network", "environment", "tools"};
    for (int k = 0; k < 4; k++) {
        printf("\n%s\n", sections[k]);
        if (k + 1 == WD_RULE_TOOL && !wd_policy_lists_tools(p)) {
            printf("  (no list: every tool the server offers may be called)\n");
            continue;
        }
        size_t shown = 0;
        for (int effect = WD_ALLOW; effect >= WD_DENY; effect--)
            for (size_t i = 0; i < wd_policy_rule_count(p); i++) {
                const wd_rule *r = wd_policy_rule(p, i);
                if ((int)r->kind != k + 1 || (int)r->effect != effect)
                    continue;
                char what[RULE_TEXT_MAX], acc[ACCESS_TEXT_MAX];
                if (r->kind == WD_RULE_STORAGE)
                    snprintf(what, sizeof(what), "%s  [%s]", r->pattern,
                             access_list(r->access, acc, sizeof(acc)));
                else if (r->kind == WD_RULE_ENVIRONMENT)
                    snprintf(what, sizeof(what), "%s", r->key);
                else if (r->kind == WD_RULE_TOOL)
                    snprintf(what, sizeof(what), "%s", r->tool);
                else
                    snprintf(what, sizeof(what), "%s", strchr(r->text, ' ') + 1);
                printf("  %-5s  %-50s  %s:%u:%u\n", wd_effect_name(r->effect), what, r->file,
                       r->line, r->column);
                shown++;
            }
        if (!shown)
            printf("  (no rules: everything denied)\n");
    }
    const wd_resources *res = wd_policy_resources(p);
    printf("\nresources\n");
    if (res->cpu_millicores)
        printf("  cpu           %" PRIu64 "m\n", res->cpu_millicores);
    if (res->memory_bytes)
        printf("  memory        %" PRIu64 " bytes\n", res->memory_bytes);
    if (res->timeout_ms)
        printf("  timeout       %" PRIu64 " ms\n", res->timeout_ms);
    if (res->pids)
        printf("  pids          %" PRIu64 "\n", res->pids);
    if (res->open_files)
        printf("  open_files    %" PRIu64 "\n", res->open_files);
    if (res->output_bytes)
        printf("  output_bytes  %" PRIu64 " bytes\n", res->output_bytes);
    if (!res->cpu_millicores && !res->memory_bytes && !res->timeout_ms && !res->pids &&
        !res->open_files && !res->output_bytes)
        printf("  (none set: warden's defaults apply)\n");
    if (wd_diagnostics_count(diags)) {
        printf("\nwarnings\n");
        char line[DIAG_LINE_MAX];
        for (size_t i = 0; i < wd_diagnostics_count(diags); i++) {
            wd_diag_format(wd_diagnostics_get(diags, i), line, sizeof(line));
            printf("  %s\n", line);
        }
    }
}

static int show(int argc, char **argv)
{
    bool json = false;
    const char *data_dir = NULL;
    const cli_opt opts[] = {
        {.name = "json", .kind = CLI_FLAG, .dest = &json, .help = "print the view as JSON"},
        {.name = "data-dir",
         .kind = CLI_STRING,
         .dest = &data_dir,
         .arg = "DIR",
         .help = "resolves relative fs:// URIs (default: the policy's directory)"},
        {0},
    };
    cli_args file;
    int rc = policy_args(argc, argv, "policy show", opts, &file);
    if (rc != CLI_PARSED)
        return rc;
    if (file.n != 1)
        return policy_usage_error("policy show", opts);
    wd_diagnostics *diags = NULL;
    wd_policy *p = NULL;
    rc = cli_load_policy(file.v[0], data_dir, &p, &diags);
    if (rc)
        return rc == WD_EPOLICY ? EXIT_DENY : EXIT_USAGE;
    int status = 0;
    if (json)
        status = show_json(p, diags);
    else
        show_text(p, diags, file.v[0]);
    wd_policy_free(p);
    wd_diagnostics_free(diags);
    return status;
}

/* The access list of a storage change ("read,write"); 0 or the error of the first bad word. */
static int parse_access(const char *text, unsigned *access)
{
    char list[ACCESS_LIST_MAX];
    snprintf(list, sizeof(list), "%s", text);
    int rc = 0;
    for (char *tok = list; tok && !rc;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        unsigned bit = 0;
        rc = wd_access_parse(tok, &bit);
        *access |= bit;
        tok = comma ? comma + 1 : NULL;
    }
    return rc;
}

/* The grant or revoke the words name (KIND VALUE [ACCESS]), made in the store. Returns 0 or
 * the store's error, or sets *usage when the words themselves are wrong (said on stderr). */
static int edit_store(wd_policy_store *s, const char *verb, const char *component,
                      wd_plugin_type type, char **rest_v, size_t rest, bool *usage)
{
    const char *what = rest_v[0], *value = rest_v[1];
    bool grant = !strcmp(verb, "grant");
    if (!strcmp(what, "storage")) {
        unsigned access = 0;
        int rc = rest > 2 ? parse_access(rest_v[2], &access) : 0;
        if (!rc && grant && !access) {
            fprintf(stderr, "warden: grant storage needs ACCESS (read, write, ...)\n");
            *usage = true;
            return 0;
        }
        if (!rc)
            rc = grant ? wd_policy_grant_storage(s, component, type, value, access)
                       : wd_policy_revoke_storage(s, component, type, value, access);
        return rc;
    }
    if (!strcmp(what, "network"))
        return grant ? wd_policy_grant_network(s, component, type, value)
                     : wd_policy_revoke_network(s, component, type, value);
    if (!strcmp(what, "env"))
        return grant ? wd_policy_grant_env(s, component, type, value)
                     : wd_policy_revoke_env(s, component, type, value);
    if (!strcmp(what, "tool"))
        return grant ? wd_policy_grant_tool(s, component, type, value)
                     : wd_policy_revoke_tool(s, component, type, value);
    fprintf(stderr, "warden: unknown kind \"%s\" (storage, network, env or tool)\n", what);
    *usage = true;
    return 0;
}

/* warden policy grant|revoke|reset */
static int change(int argc, char **argv, const char *verb)
{
    const char *store = NULL, *component = NULL, *type_name = "compute", *data_dir = NULL,
               *log_dir = NULL, *keys = NULL;
    const cli_opt opts[] = {
        {.name = "store",
         .kind = CLI_STRING,
         .dest = &store,
         .arg = "DIR",
         .help = "the policy store (required)"},
        {.name = "component",
         .kind = CLI_STRING,
         .dest = &component,
         .arg = "ID",
         .help = "the component whose policy changes (required)"},
        {.name = "type",
         .kind = CLI_STRING,
         .dest = &type_name,
         .arg = "T",
         .help = "its plugin type (default compute)"},
        {.name = "data-dir",
         .kind = CLI_STRING,
         .dest = &data_dir,
         .arg = "DIR",
         .help = "resolves relative fs:// URIs"},
        CLI_AUDIT_OPTS(&log_dir, &keys, "record the change in this audit log"),
        {0},
    };
    char command[COMMAND_MAX];
    snprintf(command, sizeof(command), "policy %s", verb);
    cli_args what_args;
    int parsed = policy_args(argc, argv, command, opts, &what_args);
    if (parsed != CLI_PARSED)
        return parsed;
    char **rest_v = what_args.v;
    bool reset = !strcmp(verb, "reset");
    size_t rest = what_args.n;
    wd_plugin_type type = 0;
    for (int t = WD_PLUGIN_COMPUTE; t <= WD_PLUGIN_REDUCER; t++)
        if (!strcmp(type_name, wd_plugin_type_name((wd_plugin_type)t)))
            type = (wd_plugin_type)t;
    if (!store || !component || !type || !log_dir != !keys || (reset ? rest != 0 : rest < 2))
        return policy_usage_error(command, opts);
    char sdir[CLI_PATH_MAX], ddir[CLI_PATH_MAX];
    if (cli_absolute(store, sdir, sizeof(sdir)) != 0 ||
        (data_dir && cli_absolute(data_dir, ddir, sizeof(ddir)) != 0)) {
        fprintf(stderr, "warden: path too long\n");
        return EXIT_USAGE;
    }
    wd_audit *log = NULL;
    if (cli_open_audit(log_dir, keys, &log) != 0) /* fail closed: no unaudited change */
        return EXIT_USAGE;
    wd_policy_store_options o = WD_POLICY_STORE_OPTIONS_INIT;
    o.data_dir = data_dir ? ddir : NULL;
    o.audit = log;
    wd_policy_store *s = NULL;
    bool usage = false;
    int rc = wd_policy_store_open(&s, sdir, &o);
    if (!rc)
        rc = reset ? wd_policy_store_reset(s, component)
                   : edit_store(s, verb, component, type, rest_v, rest, &usage);
    int status = 0;
    if (usage) {
        status = EXIT_USAGE;
    } else if (rc) {
        cli_error(verb);
        status = rc == WD_EPOLICY || rc == WD_ENOTFOUND ? EXIT_DENY : EXIT_USAGE;
    } else {
        printf("%s: %s done\n", component, verb);
    }
    wd_policy_store_close(s);
    if (log && wd_audit_close(log) != 0 && !status) {
        cli_error("closing the audit log");
        status = EXIT_USAGE;
    }
    return status;
}

int cmd_policy(int argc, char **argv)
{
    if (argc < 2)
        return policy_usage_error("policy", no_opts);
    if (!strcmp(argv[1], "validate"))
        return validate(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show"))
        return show(argc - 1, argv + 1);
    if (!strcmp(argv[1], "grant") || !strcmp(argv[1], "revoke") || !strcmp(argv[1], "reset"))
        return change(argc - 1, argv + 1, argv[1]);
    if (!strcmp(argv[1], "--help")) {
        const cli_spec spec = {.prog = "warden", .usage = policy_usage, .opts = no_opts};
        cli_usage(stdout, &spec);
        return 0;
    }
    fprintf(stderr, "warden: unknown policy command \"%s\"\n", argv[1]);
    return policy_usage_error("policy", no_opts);
}
