/* mcp_servers.c: the tools of the tenant's MCP server plugins, re-exported one by one
 * (mcp_servers.h). A server tool's name is its component's tool name, "_T" and the tool's name
 * (wdd_mcp_tool_name); its description says which component and server it comes from; its
 * inputSchema is the server's. A call is an invoke of the component with {"tool", "arguments"},
 * the tool decided by the component's policy in the sandbox, and the server's result is the
 * call's result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/mcp_servers.h"
#include "util/error.h"

enum { FAILED = 11 }; /* WD-S011: the server answered with an error, or a result with isError */

static int push(server_tool_list *l, const plugin *p, json_t *def)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        server_tool *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return wd_fail(WD_ENOMEM, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    server_tool *t = &l->v[l->n];
    memset(t, 0, sizeof(*t));
    t->p = p;
    t->def = def;
    t->tool = json_string_value(json_object_get(def, "name"));
    int rc = t->tool ? wdd_mcp_tool_name(p->id, t->tool, t->name) : 0;
    if (!rc && t->tool)
        l->n++;
    return rc;
}

/* Whether a call of name could be one of p's tools: its name starts with p's own and "_T",
 * or it is a hashed name (which only looking every name up can place). */
static bool could_be(const plugin *p, const char *name)
{
    size_t n = strlen(p->name), len = strlen(name);
    bool hashed = len == TOOL_NAME_MAX && strstr(name, "_X") == name + TOOL_NAME_MAX - 18;
    return hashed || (strncmp(name, p->name, n) == 0 && strncmp(name + n, "_T", 2) == 0);
}

bool wdd_mcp_server_could_own(const plugin_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].server && could_be(&l->v[i], name))
            return true;
    return false;
}

static void mark_ambiguous(plugin_list *pl, server_tool_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        if (!strstr(l->v[i].name, "_X"))
            continue;
        for (size_t j = i + 1; j < l->n; j++)
            if (strcmp(l->v[i].name, l->v[j].name) == 0)
                l->v[i].ambiguous = l->v[j].ambiguous = true;
        for (size_t j = 0; j < pl->n; j++)
            if (strcmp(l->v[i].name, pl->v[j].name) == 0)
                l->v[i].ambiguous = pl->v[j].ambiguous = true;
    }
}

int wdd_mcp_server_tools_load(wd_engine *e, plugin_list *pl, const char *want,
                              server_tool_list *out)
{
    memset(out, 0, sizeof(*out));
    if (!(out->lists = json_array()))
        return wd_fail(WD_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; !rc && i < pl->n; i++) {
        const plugin *p = &pl->v[i];
        if (!p->server || (want && !could_be(p, want)))
            continue;
        char *text = NULL;
        if (wd_engine_tools(e, p->id, &text) != 0) {
            wdd_mcp_note("the MCP server %s did not list its tools (it offers none): %s", p->id,
                         wd_error_last()->message);
            continue;
        }
        json_t *tools = json_loads(text, 0, NULL);
        free(text);
        if (!json_is_array(tools) || json_array_append_new(out->lists, tools) != 0) {
            rc = wd_fail(WD_ENOMEM, "out of memory");
            break;
        }
        size_t k;
        json_t *def;
        json_array_foreach(tools, k, def)
        {
            if ((rc = push(out, p, def)) != 0)
                break;
        }
    }
    if (!rc)
        mark_ambiguous(pl, out);
    return rc;
}

void wdd_mcp_server_tools_free(server_tool_list *l)
{
    free(l->v);
    json_decref(l->lists);
    memset(l, 0, sizeof(*l));
}

json_t *wdd_mcp_server_tool_json(wd_engine *e, const server_tool *t)
{
    char *text = NULL;
    json_t *d = wd_engine_describe(e, t->p->id, &text) == 0 ? json_loads(text, 0, NULL) : NULL;
    free(text);
    json_t *server = json_object_get(d, "server");
    const char *sname = json_string_value(json_object_get(server, "name"));
    const char *sver = json_string_value(json_object_get(server, "version"));
    char about[768];
    snprintf(about, sizeof(about),
             "Tool %s of the MCP server %s %s, run by warden as plugin %s %s (%s, %s): the "
             "plugin's policy decides whether this tool may be called and everything the server "
             "reaches.",
             t->tool, sname ? sname : "(unnamed)", sver ? sver : "", t->p->id, t->p->version,
             wd_plugin_type_name(t->p->type), wd_security_level_name(t->p->level));
    json_decref(d);
    json_t *desc = json_object_get(t->def, "description");
    json_t *full = json_is_string(desc) && json_string_length(desc)
                       ? json_sprintf("%s\n\n%s", json_string_value(desc), about)
                       : json_string(about);
    json_t *title = json_object_get(t->def, "title");
    json_t *o = json_pack("{s:s, s:o, s:o, s:O}", "name", t->name, "title",
                          json_is_string(title) ? json_incref(title)
                                                : json_sprintf("%s (%s)", t->tool, t->p->id),
                          "description", full ? full : json_string(""), "inputSchema",
                          json_object_get(t->def, "inputSchema"));
    return o;
}

/* The server's result as the call's result: its content (and structuredContent, isError),
 * with the call's correlation id. NULL when output is no such result. */
static json_t *server_result(const wd_call_result *res)
{
    json_t *out = json_loadb(res->output ? res->output : "", res->output_len, 0, NULL);
    json_t *content = json_object_get(out, "content");
    json_t *result = NULL;
    if (json_is_array(content)) {
        result = json_pack("{s:O, s:b}", "content", content, "isError",
                           json_is_true(json_object_get(out, "isError")));
        json_t *sc = json_object_get(out, "structuredContent");
        if (result && json_is_object(sc))
            json_object_set(result, "structuredContent", sc);
        if (result && res->correlation_id[0])
            json_object_set_new(result, "_meta",
                                json_pack("{s:s}", META_CORRELATION, res->correlation_id));
    }
    json_decref(out);
    return result;
}

void wdd_mcp_call_server_tool(request *r, wdd_tenant_rt *t, const server_tool *st, json_t *args)
{
    json_t *in = args ? json_pack("{s:s, s:O}", "tool", st->tool, "arguments", args)
                      : json_pack("{s:s, s:{}}", "tool", st->tool, "arguments");
    char *input = in ? json_dumps(in, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(in);
    if (!input) {
        wdd_mcp_reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "out of memory");
        return;
    }
    wd_call_result res;
    int rc = wd_engine_invoke(t->engine, st->p->id, input, strlen(input), NULL, &res);
    free(input);
    json_t *result = NULL;
    if (rc && rc != WD_ESANDBOX) {
        wdd_mcp_engine_failure(r, rc); /* it never ran */
    } else if ((rc == 0 || res.failure == FAILED) && (result = server_result(&res))) {
        wdd_metrics_invocation(t->metrics, rc == 0, res.failure, res.duration_ns);
        wdd_mcp_reply(r, result);
    } else {
        wdd_mcp_reply_invocation(r, t, rc, &res);
    }
    wd_call_result_clear(&res);
}
