/* mcp_tools.c: the MCP server's tools (mcp_tools.h): tools/list and tools/call, and warden's
 * own tools: warden_check, warden_policy_get, warden_grant and warden_revoke. The plugins
 * offered as tools are mcp_plugins.c's; both answer through mcp_rpc.c. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/args.h"
#include "daemon/api.h"
#include "daemon/mcp_plugins.h"
#include "daemon/mcp_rpc.h"
#include "daemon/mcp_servers.h"
#include "daemon/mcp_tools.h"
#include "util/error.h"
#include "util/timeutil.h"

/* ---- tool results ----------------------------------------------------------------------- */

/* Structured content and, as the specification asks, the same as serialized JSON text. */
static void reply_structured(request *r, json_t *structured, bool is_error)
{
    char *text = structured ? json_dumps(structured, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!text) {
        json_decref(structured);
        wdd_mcp_reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "out of memory");
        return;
    }
    wdd_mcp_reply_tool(r, json_pack("[o]", wdd_mcp_text_block(json_string(text))), structured,
                       is_error);
    free(text);
}

/* ---- arguments -------------------------------------------------------------------------- */

/* The shared readers (args.h), worded as the tools word a refusal. */
static const char *arg_string(json_t *args, const char *key, bool required, char *why, size_t size)
{
    wdd_arg_error e;
    const char *v = wdd_arg_string(args, key, required, &e);
    if (e.fault == WDD_ARG_TOO_LONG)
        snprintf(why, size, "\"%s\" is longer than %zu bytes (WD-D016)", key, e.max);
    else if (e.fault)
        snprintf(why, size, "\"%s\" must be a non-empty string", key);
    return v;
}

static bool only_keys(json_t *args, const char *const *allowed, char *why, size_t size)
{
    wdd_arg_error e;
    if (wdd_arg_only_keys(args, allowed, &e))
        return true;
    snprintf(why, size, "unknown argument \"%.64s\"", e.key);
    return false;
}

/* ---- warden's own tools ----------------------------------------------------------------- */

static void tool_check(request *r, json_t *args);
static void tool_policy_get(request *r, json_t *args);
static void tool_grant(request *r, json_t *args);
static void tool_revoke(request *r, json_t *args);

#define COMPONENT_SCHEMA                                                                           \
    "\"component\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 128, "                 \
    "\"description\": \"the component: a plugin id such as examples.reader\"}"
#define GRANT_SCHEMA(access_description)                                                           \
    "{\"type\": \"object\", \"properties\": {" COMPONENT_SCHEMA ", "                               \
    "\"kind\": {\"type\": \"string\", \"enum\": [\"storage\", \"network\", \"environment\", "      \
    "\"tool\"]}, "                                                                                 \
    "\"value\": {\"type\": \"string\", \"minLength\": 1, \"description\": \"storage: an fs:// "    \
    "URI (fs:///srv/data/** or relative to the policy store); network: a host pattern "            \
    "(api.example.com, *.example.com, an IP address) or a CIDR; environment: a variable "          \
    "name; tool: an MCP server plugin's tool name (into a policy that lists tools)\"}, "           \
    "\"access\": {\"type\": \"array\", \"minItems\": 1, \"uniqueItems\": true, \"items\": "        \
    "{\"type\": \"string\", \"enum\": [\"read\", \"write\", \"execute\", \"create\", "             \
    "\"delete\"]}, \"description\": \"" access_description "\"}}, "                                \
    "\"required\": [\"component\", \"kind\", \"value\"], \"additionalProperties\": false}"

typedef struct {
    const char *name, *title, *description;
    const char *schema; /* JSON */
    wdd_role role;
    bool read_only, destructive;
    void (*fn)(request *r, json_t *args);
} own_tool;

static const own_tool own_tools[] = {
    {"warden_check", "Check one operation",
     "Decides whether a component may perform one operation under its current policy, and "
     "explains why: the deciding rule, or why no rule matched. Verbs: read, write, execute, "
     "create, delete (target: an absolute path), connect (target: [scheme://]host[:port]), env "
     "(target: a variable name), call (target: a tool of an MCP server plugin). A denial that an "
     "approver could override names its "
     "operation id.",
     "{\"type\": \"object\", \"properties\": {" COMPONENT_SCHEMA ", "
     "\"verb\": {\"type\": \"string\", \"enum\": [\"read\", \"write\", \"execute\", \"create\", "
     "\"delete\", \"connect\", \"env\", \"call\"]}, "
     "\"target\": {\"type\": \"string\", \"minLength\": 1, \"description\": \"an absolute path, "
     "[scheme://]host[:port], an environment variable name, or a tool name\"}}, "
     "\"required\": [\"component\", \"verb\", \"target\"], \"additionalProperties\": false}",
     WDD_ROLE_READER, true, false, tool_check},
    {"warden_policy_get", "Show a policy",
     "Shows a component's capability policy (YAML) and where it comes from: its own "
     "(component), its contract's (base), its plugin type's default (default), or none.",
     "{\"type\": \"object\", \"properties\": {" COMPONENT_SCHEMA "}, "
     "\"required\": [\"component\"], \"additionalProperties\": false}",
     WDD_ROLE_READER, true, false, tool_policy_get},
    {"warden_grant", "Grant a capability",
     "Adds an allow rule to a component's policy: storage (with access), network, "
     "environment or tool. The change is validated, written atomically, audited and in force at "
     "once. "
     "Protected paths stay denied whatever is granted.",
     GRANT_SCHEMA("storage only, required: the accesses to allow"), WDD_ROLE_ADMIN, false, false,
     tool_grant},
    {"warden_revoke", "Revoke a capability",
     "Removes allow rules from a component's policy: a storage URI (only the accesses given, "
     "or the whole rule), a network host, an environment variable or a tool. Validated, written "
     "atomically, audited and in force at once.",
     GRANT_SCHEMA("storage only: the accesses to remove; omitted, the whole rule goes"),
     WDD_ROLE_ADMIN, false, true, tool_revoke},
};
#define NOWN (sizeof(own_tools) / sizeof(*own_tools))

static json_t *own_tool_json(const own_tool *t)
{
    json_error_t err;
    json_t *schema = json_loads(t->schema, 0, &err);
    if (!schema) /* a bug in the table above: loud, never a silent empty schema */
        wdd_mcp_note("the input schema of %s does not parse: %s", t->name, err.text);
    return json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:b, s:b, s:b, s:b}}", "name", t->name, "title",
                     t->title, "description", t->description, "inputSchema", schema, "annotations",
                     "title", t->title, "readOnlyHint", t->read_only, "destructiveHint",
                     t->destructive, "idempotentHint", true, "openWorldHint", false);
}

/* ---- the verdict of warden_check -------------------------------------------------------- */

typedef struct {
    const char *component;
    const wd_check_query *q;
    json_t *out;
    int error;
    bool allow;
} verdict_ctx;

static int capture(void *ctx, size_t i, const wd_verdict *v)
{
    (void)i;
    verdict_ctx *c = ctx;
    json_t *rule = json_null();
    if (v->rule)
        rule = json_pack("{s:o, s:i, s:i, s:o}", "file", wdd_mcp_jstr(v->rule->file), "line",
                         (int)v->rule->line, "column", (int)v->rule->column, "text",
                         wdd_mcp_jstr(v->rule->text));
    c->allow = v->effect == WD_ALLOW && !v->error;
    c->error = v->error;
    c->out =
        json_pack("{s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "component", wdd_mcp_jstr(c->component),
                  "verb", wdd_mcp_jstr(c->q->verb), "target", wdd_mcp_jstr(c->q->target),
                  "decision", c->allow ? "allow" : "deny", "reason", wdd_mcp_jstr(v->reason),
                  "explanation", wdd_mcp_jstr(v->explanation), "rule", rule);
    if (c->out && v->operation && v->operation[0])
        json_object_set_new(c->out, "operation", wdd_mcp_jstr(v->operation));
    return c->out ? 0 : WD_ENOMEM;
}

static void tool_check(request *r, json_t *args)
{
    static const char *const keys[] = {"component", "verb", "target", NULL};
    char why[160];
    const char *comp = NULL, *verb = NULL, *target = NULL;
    if (!only_keys(args, keys, why, sizeof(why)) ||
        !(comp = arg_string(args, "component", true, why, sizeof(why))) ||
        !(verb = arg_string(args, "verb", true, why, sizeof(why))) ||
        !(target = arg_string(args, "target", true, why, sizeof(why)))) {
        wdd_mcp_tool_error(r, "invalid arguments: %s", why);
        return;
    }
    wdd_daemon *d = r->s->d;
    wdd_state *st = wdd_state_acquire(d);
    wdd_tenant_rt *t = wdd_mcp_tenant_of(r, st);
    if (t) {
        wd_check_query q = {verb, target};
        verdict_ctx c = {comp, &q, NULL, 0, false};
        uint64_t start = wd_time_mono_ns();
        int rc = wd_engine_check(t->engine, comp, &q, 1, capture, &c);
        if (rc == 0) {
            wdd_metrics_decisions(t->metrics, wdd_metrics_kind(verb, c.error), c.allow, 1);
            wdd_metrics_decision_latency(d->metrics, wd_time_mono_ns() - start);
            /* A malformed query is denied by the engine; to the model it is a mistake to fix. */
            reply_structured(r, c.out, c.error != 0);
        } else {
            json_decref(c.out);
            /* Nothing is answered that the log could not record; only a log that stopped
             * taking records raises the alarm. */
            if (rc == WD_EIO && wdd_audit_failed(t->audit))
                wdd_metrics_audit_error(t->metrics);
            wdd_mcp_engine_failure(r, rc);
        }
    }
    wdd_state_release(d, st);
}

/* ---- policies ----------------------------------------------------------------------------- */

static json_t *policy_json(wd_engine *e, const char *component, int *rc)
{
    char *yaml = NULL;
    size_t len = 0;
    const char *source = NULL;
    *rc = wd_engine_policy_get(e, component, &yaml, &len, &source);
    json_t *j = *rc ? NULL
                    : json_pack("{s:o, s:s, s:o}", "component", wdd_mcp_jstr(component), "source",
                                source ? source : "none", "policy", wdd_mcp_jstrn(yaml, len));
    free(yaml);
    if (!*rc && !j)
        *rc = WD_ENOMEM;
    return j;
}

static void tool_policy_get(request *r, json_t *args)
{
    static const char *const keys[] = {"component", NULL};
    char why[160];
    const char *comp = NULL;
    if (!only_keys(args, keys, why, sizeof(why)) ||
        !(comp = arg_string(args, "component", true, why, sizeof(why)))) {
        wdd_mcp_tool_error(r, "invalid arguments: %s", why);
        return;
    }
    wdd_state *st = wdd_state_acquire(r->s->d);
    wdd_tenant_rt *t = wdd_mcp_tenant_of(r, st);
    int rc = 0;
    json_t *j = t ? policy_json(t->engine, comp, &rc) : NULL;
    if (t && rc)
        wdd_mcp_engine_failure(r, rc);
    else if (t)
        reply_structured(r, j, false);
    wdd_state_release(r->s->d, st);
}

static const struct {
    const char *name;
    wd_rule_kind kind;
} kinds[] = {{"storage", WD_RULE_STORAGE},
             {"network", WD_RULE_NETWORK},
             {"environment", WD_RULE_ENVIRONMENT},
             {"tool", WD_RULE_TOOL}};

/* The arguments of warden_grant/warden_revoke as a wd_grant; false with why filled. */
static bool parse_grant(json_t *args, bool revoke, wd_grant *g, const char **comp, char *why,
                        size_t size)
{
    static const char *const keys[] = {"component", "kind", "value", "access", NULL};
    const char *kind = NULL;
    if (!only_keys(args, keys, why, size) ||
        !(*comp = arg_string(args, "component", true, why, size)) ||
        !(kind = arg_string(args, "kind", true, why, size)) ||
        !(g->value = arg_string(args, "value", true, why, size)))
        return false;
    size_t k = 0;
    while (k < sizeof(kinds) / sizeof(*kinds) && strcmp(kinds[k].name, kind) != 0)
        k++;
    if (k == sizeof(kinds) / sizeof(*kinds)) {
        snprintf(why, size, "\"kind\" must be storage, network, environment or tool");
        return false;
    }
    g->kind = kinds[k].kind;
    g->access = 0;
    json_t *acc = json_object_get(args, "access");
    if (g->kind != WD_RULE_STORAGE) {
        if (acc)
            snprintf(why, size, "\"access\" applies to storage only");
        return !acc;
    }
    return wdd_args_access(acc, !revoke, &g->access, why, size);
}

static void change(request *r, json_t *args, bool revoke)
{
    char why[160];
    wd_grant g = {0, NULL, 0};
    const char *comp = NULL;
    if (!parse_grant(args, revoke, &g, &comp, why, sizeof(why))) {
        wdd_mcp_tool_error(r, "invalid arguments: %s", why);
        return;
    }
    wdd_daemon *d = r->s->d;
    wdd_state *st = wdd_change_begin(d);
    wdd_tenant_rt *t = wdd_mcp_tenant_of(r, st);
    if (t) {
        int rc =
            revoke ? wd_engine_revoke(t->engine, comp, &g) : wd_engine_grant(t->engine, comp, &g);
        json_t *j = rc ? NULL : policy_json(t->engine, comp, &rc);
        if (rc) {
            wdd_mcp_engine_failure(r, rc);
        } else {
            json_t *access = json_array();
            for (unsigned bit = 1; bit <= WD_ACCESS_DELETE; bit <<= 1)
                if (g.access & bit)
                    json_array_append_new(access, json_string(wd_access_name(bit)));
            json_object_set_new(j, "change", json_string(revoke ? "revoke" : "grant"));
            json_object_set_new(j, "kind", json_string(kinds[g.kind - 1].name));
            json_object_set_new(j, "value", wdd_mcp_jstr(g.value));
            json_object_set_new(j, "access", access);
            reply_structured(r, j, false);
        }
    }
    wdd_change_end(d, st);
}

static void tool_grant(request *r, json_t *args)
{
    change(r, args, false);
}

static void tool_revoke(request *r, json_t *args)
{
    change(r, args, true);
}

/* ---- listing and calling ---------------------------------------------------------------- */

/* Appends t's plugins to tools, for those who may call them: a reader's list starts no
 * sandbox. */
static int add_plugin_tools(request *r, wdd_tenant_rt *t, json_t *tools)
{
    if (r->s->role < WDD_ROLE_OPERATOR)
        return 0;
    plugin_list l = {.v = NULL};
    server_tool_list sl = {.v = NULL};
    int rc = wdd_mcp_plugins_load(t->engine, &l);
    /* An MCP server is offered as its tools, each under its own name. */
    if (!rc)
        rc = wdd_mcp_server_tools_load(t->engine, &l, NULL, &sl);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        if (l.v[i].server)
            continue;
        if (l.v[i].ambiguous)
            wdd_mcp_note("plugin %s is not offered: its tool name %s names another plugin too",
                         l.v[i].id, l.v[i].name);
        else
            json_array_append_new(tools, wdd_mcp_plugin_tool(t->engine, &l.v[i]));
    }
    for (size_t i = 0; rc == 0 && i < sl.n; i++) {
        if (sl.v[i].ambiguous)
            wdd_mcp_note("tool %s of %s is not offered: its tool name %s names another tool too",
                         sl.v[i].tool, sl.v[i].p->id, sl.v[i].name);
        else
            json_array_append_new(tools, wdd_mcp_server_tool_json(t->engine, &sl.v[i]));
    }
    wdd_mcp_server_tools_free(&sl);
    wdd_mcp_plugins_free(&l);
    return rc;
}

void wdd_mcp_tools_list(request *r, json_t *params)
{
    json_t *cursor = params ? json_object_get(params, "cursor") : NULL;
    if (cursor && !json_is_null(cursor)) {
        wdd_mcp_reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL,
                            "invalid cursor: tools/list returns every tool at once");
        return;
    }
    json_t *tools = json_array();
    for (size_t i = 0; i < NOWN; i++)
        if (r->s->role >= own_tools[i].role)
            json_array_append_new(tools, own_tool_json(&own_tools[i]));
    wdd_daemon *d = r->s->d;
    wdd_state *st = wdd_state_acquire(d);
    wdd_tenant_rt *t = wdd_mcp_tenant_of(r, st);
    int rc = t ? add_plugin_tools(r, t, tools) : 0;
    wdd_state_release(d, st);
    if (t && rc) {
        wdd_mcp_reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "%s", wd_error_last()->message);
    } else if (t) {
        json_t *result = json_pack("{s:O}", "tools", tools);
        /* The list changes with a reload and no notification says so: never fresh for long. It
         * depends on the client's role, so no shared cache may keep it. */
        if (result && r->modern) {
            json_object_set_new(result, "ttlMs", json_integer(0));
            json_object_set_new(result, "cacheScope", json_string("private"));
        }
        wdd_mcp_reply(r, result);
    }
    json_decref(tools); /* the list's own reference: the result holds another */
}

void wdd_mcp_tools_call(request *r, json_t *params)
{
    json_t *name = params ? json_object_get(params, "name") : NULL;
    json_t *args = params ? json_object_get(params, "arguments") : NULL;
    if (json_is_null(args))
        args = NULL;
    if (!json_is_string(name)) {
        wdd_mcp_reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL,
                            "tools/call needs params.name (a string)");
        return;
    }
    if (args && !json_is_object(args)) {
        wdd_mcp_reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL,
                            "params.arguments must be an object");
        return;
    }
    const char *tool = json_string_value(name);
    for (size_t i = 0; i < NOWN; i++)
        if (strcmp(own_tools[i].name, tool) == 0) {
            if (wdd_mcp_allowed(r, tool, own_tools[i].role))
                own_tools[i].fn(r, args);
            return;
        }
    if (strncmp(tool, PLUGIN_PREFIX, strlen(PLUGIN_PREFIX)) == 0 &&
        json_string_length(name) <= TOOL_NAME_MAX) {
        wdd_mcp_call_plugin(r, tool, args);
        return;
    }
    wdd_mcp_reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL, "unknown tool: %.128s", tool);
}
