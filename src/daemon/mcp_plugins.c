/* mcp_plugins.c: the tenant's plugins as MCP tools (mcp_plugins.h): their tool names, their
 * descriptions as describe() gives them, and a call run through the engine in a fresh sandbox
 * (an MCP server's tools are mcp_servers.c's).
 *
 * The plugins are read from the tenant's engine afresh for every request, never cached, so a
 * reload between two requests is seen by the second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "daemon/mcp_plugins.h"
#include "daemon/mcp_rpc.h"
#include "daemon/mcp_servers.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/utf8.h"

/* ---- plugins as tools ------------------------------------------------------------------- */

enum { HASH_HEX = 16 };

/* The tool name of a component, or of one tool of an MCP server component (tool not NULL).
 * Ids are [a-z][a-z0-9._-]{0,127}; tool names keep to [A-Za-z0-9_-]{1,64}, the strictest rule
 * clients enforce (MCP itself allows '.' and 128 characters, some clients refuse both). In the
 * id, '.' becomes '_' and '_' becomes "_U": ids have no capitals, so the name reads back to
 * exactly one id, and no '_' in it is ever followed by 'T', 'D' or 'X'. A server's tool follows
 * as "_T" and its name with '_' written "_U" and '.' written "_D" (server tool names may hold
 * capitals, but every '_' in them starts one of those two escapes). A name too long for that
 * is cut and ends in "_X" and 16 hex digits of the SHA-256 of the id (and the tool after a NUL
 * byte), a form no short name can take; calls find their plugin by looking every name up,
 * never by decoding. */
int wdd_mcp_tool_name(const char *id, const char *tool, char out[static TOOL_NAME_MAX + 1])
{
    wd_buf b = WD_BUF_INIT;
    wd_buf_puts(&b, PLUGIN_PREFIX);
    for (const char *p = id; *p; p++) {
        if (*p == '.')
            wd_buf_putc(&b, '_');
        else if (*p == '_')
            wd_buf_puts(&b, "_U");
        else
            wd_buf_putc(&b, *p);
    }
    if (tool) {
        wd_buf_puts(&b, "_T");
        for (const char *p = tool; *p; p++) {
            if (*p == '.')
                wd_buf_puts(&b, "_D");
            else if (*p == '_')
                wd_buf_puts(&b, "_U");
            else
                wd_buf_putc(&b, *p);
        }
    }
    int rc = b.oom ? wd_fail(WD_ENOMEM, "out of memory") : 0;
    if (!rc && b.len <= TOOL_NAME_MAX) {
        memcpy(out, b.data, b.len + 1);
    } else if (!rc) {
        static const char hex[] = "0123456789ABCDEF";
        uint8_t h[WD_SHA256_LEN];
        wd_hasher *hs = NULL;
        const void *parts[2] = {id, tool};
        const size_t lens[2] = {strlen(id) + (tool ? 1 : 0), tool ? strlen(tool) : 0};
        rc = wd_hasher_new(&hs);
        if (!rc)
            rc = wd_sha256_parts(hs, parts, lens, tool ? 2 : 1, h);
        wd_hasher_free(hs);
        size_t keep = TOOL_NAME_MAX - 2 - HASH_HEX;
        memcpy(out, b.data, keep);
        out[keep] = '_';
        out[keep + 1] = 'X';
        for (size_t i = 0; !rc && i < HASH_HEX / 2; i++) {
            out[keep + 2 + 2 * i] = hex[h[i] >> 4];
            out[keep + 3 + 2 * i] = hex[h[i] & 15];
        }
        out[TOOL_NAME_MAX] = '\0';
    }
    wd_buf_free(&b);
    return rc;
}

static int collect(const wd_engine_component *c, void *ctx)
{
    plugin_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        plugin *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return WD_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    plugin *p = &l->v[l->n];
    memset(p, 0, sizeof(*p));
    p->type = c->type;
    p->level = c->level;
    p->server = c->protocol == WD_PROTOCOL_MCP;
    if (!(p->id = strdup(c->id)) || !(p->version = strdup(c->version))) {
        free(p->id);
        return WD_ENOMEM;
    }
    l->n++;
    return 0;
}

void wdd_mcp_plugins_free(plugin_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].id);
        free(l->v[i].version);
    }
    free(l->v);
}

/* The tenant's components with their tool names. Copied out first: describe() and invoke
 * must not run inside wd_engine_components(), which holds the engine's read lock. */
int wdd_mcp_plugins_load(wd_engine *e, plugin_list *l)
{
    memset(l, 0, sizeof(*l));
    int rc = wd_engine_components(e, collect, l);
    if (rc == WD_ENOMEM)
        rc = wd_fail(WD_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < l->n; i++)
        rc = wdd_mcp_tool_name(l->v[i].id, NULL, l->v[i].name);
    /* Only the hashed form can repeat, and only by a SHA-256 prefix collision: both are
     * withheld rather than one shadowing the other. */
    for (size_t i = 0; !rc && i < l->n; i++)
        for (size_t j = i + 1; strstr(l->v[i].name, "_X") && j < l->n; j++)
            if (strcmp(l->v[i].name, l->v[j].name) == 0)
                l->v[i].ambiguous = l->v[j].ambiguous = true;
    return rc;
}

/* What describe() says of a plugin: a JSON object with "description" and an input schema
 * ("inputSchema" or "input_schema", an object schema), or plain text taken as the
 * description. Anything else is ignored, with a note. */
static void parse_describe(const plugin *p, const char *text, json_t **desc, json_t **schema)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (json_is_object(j)) {
        json_t *d = json_object_get(j, "description");
        json_t *s = json_object_get(j, "inputSchema");
        if (!s)
            s = json_object_get(j, "input_schema");
        json_t *type = json_object_get(s, "type");
        if (json_is_string(d))
            *desc = json_incref(d);
        if (json_is_object(s) && json_is_string(type) &&
            strcmp(json_string_value(type), "object") == 0)
            *schema = json_incref(s);
        else if (s)
            wdd_mcp_note(
                "describe() of %s: the input schema is not an object schema (type \"object\"): "
                "listed with {\"type\":\"object\"}",
                p->id);
    } else if (text[0] && !j) {
        *desc = wdd_mcp_jstr(text);
    } else if (j) {
        wdd_mcp_note("describe() of %s is JSON but not an object: ignored", p->id);
    }
    json_decref(j);
}

json_t *wdd_mcp_plugin_tool(wd_engine *e, const plugin *p)
{
    char *text = NULL;
    json_t *desc = NULL, *schema = NULL;
    if (wd_engine_describe(e, p->id, &text) != 0)
        wdd_mcp_note("describe() of %s failed (listed with a generic description): %s", p->id,
                     wd_error_last()->message);
    else
        parse_describe(p, text, &desc, &schema);
    free(text);
    char about[512];
    snprintf(about, sizeof(about),
             "warden plugin %s %s (%s, %s): each call runs in a fresh sandbox under the "
             "plugin's policy; the arguments are its JSON input.",
             p->id, p->version, wd_plugin_type_name(p->type), wd_security_level_name(p->level));
    json_t *full = desc ? json_sprintf("%s\n\n%s", json_string_value(desc), about) : NULL;
    if (!full)
        full = wdd_mcp_jstr(about);
    json_decref(desc);
    if (!schema)
        schema = json_pack("{s:s}", "type", "object");
    return json_pack("{s:s, s:s, s:o, s:o}", "name", p->name, "title", p->id, "description", full,
                     "inputSchema", schema);
}

/* ---- calling a plugin ------------------------------------------------------------------- */

static void base64(wd_buf *out, const unsigned char *p, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {a[v >> 18 & 63], a[v >> 12 & 63], i + 1 < n ? a[v >> 6 & 63] : '=',
                     i + 2 < n ? a[v & 63] : '='};
        wd_buf_append(out, q, 4);
    }
}

/* The plugin's output as text blocks: itself when it is UTF-8, else a note and its base64. */
static bool add_output(json_t *content, const char *out, size_t len)
{
    size_t bad;
    if (wd_utf8_valid(out, len, &bad))
        return json_array_append_new(content, wdd_mcp_text_block(json_stringn(out, len))) == 0;
    char head[160];
    snprintf(head, sizeof(head),
             "The plugin's output is not UTF-8 text (byte %zu); its %zu bytes follow in base64.",
             bad + 1, len);
    wd_buf b = WD_BUF_INIT;
    base64(&b, (const unsigned char *)out, len);
    bool ok = !b.oom &&
              json_array_append_new(content, wdd_mcp_text_block(json_string(head))) == 0 &&
              json_array_append_new(content, wdd_mcp_text_block(json_stringn(b.data, b.len))) == 0;
    wd_buf_free(&b);
    return ok;
}

void wdd_mcp_reply_invocation(request *r, wdd_tenant_rt *t, int rc, const wd_call_result *res)
{
    wdd_metrics_invocation(t->metrics, rc == 0, res->failure, res->duration_ns);
    json_t *content = json_array();
    bool ok = content != NULL;
    if (ok && rc) { /* contained, or execute() failed: the code, then what the plugin said */
        char head[600];
        snprintf(head, sizeof(head), "%s: %s", res->code && res->code[0] ? res->code : "WD-S",
                 res->message);
        ok = json_array_append_new(content, wdd_mcp_text_block(wdd_mcp_jstr(head))) == 0;
    }
    if (ok && (res->output_len || !rc))
        ok = add_output(content, res->output ? res->output : "", res->output_len);
    json_t *result = ok ? json_pack("{s:O, s:b}", "content", content, "isError", rc != 0) : NULL;
    json_decref(content); /* the result holds its own reference */
    if (result && res->correlation_id[0])
        json_object_set_new(result, "_meta",
                            json_pack("{s:s}", META_CORRELATION, res->correlation_id));
    if (result)
        wdd_mcp_reply(r, result);
    else
        wdd_mcp_reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "out of memory");
}

static void invoke(request *r, wdd_tenant_rt *t, const plugin *p, json_t *args)
{
    json_t *empty = args ? NULL : json_object();
    char *input = json_dumps(args ? args : empty, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(empty);
    if (!input) {
        wdd_mcp_reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "out of memory");
        return;
    }
    wd_call_result res;
    int rc = wd_engine_invoke(t->engine, p->id, input, strlen(input), NULL, &res);
    free(input);
    if (rc && rc != WD_ESANDBOX) /* it never ran: no invocation to count, as over HTTP */
        wdd_mcp_engine_failure(r, rc);
    else
        wdd_mcp_reply_invocation(r, t, rc, &res);
    wd_call_result_clear(&res);
}

void wdd_mcp_call_plugin(request *r, const char *name, json_t *args)
{
    wdd_daemon *d = r->s->d;
    wdd_state *st = wdd_state_acquire(d);
    wdd_tenant_rt *t = wdd_mcp_tenant_of(r, st);
    plugin_list l = {NULL, 0, 0};
    server_tool_list sl = {NULL, 0, 0, NULL};
    int rc = t ? wdd_mcp_plugins_load(t->engine, &l) : 0;
    const plugin *hit = NULL;
    const server_tool *tool = NULL;
    /* An MCP server is offered as its tools, never as itself. */
    for (size_t i = 0; t && !rc && i < l.n && !hit; i++)
        if (!l.v[i].server && strcmp(l.v[i].name, name) == 0)
            hit = &l.v[i];
    /* Only those who may call them start servers to find their tools. */
    bool may_call = r->s->role >= WDD_ROLE_OPERATOR;
    if (t && !rc && (!hit || hit->ambiguous) && may_call)
        rc = wdd_mcp_server_tools_load(t->engine, &l, name, &sl);
    for (size_t i = 0; t && !rc && !hit && i < sl.n && !tool; i++)
        if (strcmp(sl.v[i].name, name) == 0)
            tool = &sl.v[i];
    bool ambiguous = (hit && hit->ambiguous) || (tool && tool->ambiguous);
    if (!t) {
        /* answered */
    } else if (rc) {
        wdd_mcp_reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "%s", wd_error_last()->message);
    } else if (!hit && !tool && !may_call && wdd_mcp_server_could_own(&l, name)) {
        wdd_mcp_allowed(r, name, WDD_ROLE_OPERATOR); /* answers: forbidden */
    } else if (!hit && !tool) {
        wdd_mcp_reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL, "unknown tool: %s", name);
    } else if (ambiguous) {
        wdd_mcp_reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL,
                            "tool %s names more than one plugin: refused", name);
    } else if (wdd_mcp_allowed(r, name, WDD_ROLE_OPERATOR)) {
        if (tool)
            wdd_mcp_call_server_tool(r, t, tool, args);
        else
            invoke(r, t, hit, args);
    }
    wdd_mcp_server_tools_free(&sl);
    wdd_mcp_plugins_free(&l);
    wdd_state_release(d, st);
}
