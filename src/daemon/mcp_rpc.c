/* mcp_rpc.c: what every part of the MCP server answers with (mcp_rpc.h): JSON-RPC messages
 * on the session's output, tool results and failures, and the tenant and role checks. It sits
 * under the session (mcp.c), warden's own tools (mcp_tools.c) and the plugins as tools
 * (mcp_plugins.c), and calls none of them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/mcp_rpc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/utf8.h"

/* ---- messages ----------------------------------------------------------------------------- */

void wdd_mcp_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wardend: mcp: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A JSON string from bytes that may not be UTF-8 (file names, messages quoting them): bytes
 * that are not become "\xNN" rather than losing the whole string. */
json_t *wdd_mcp_jstrn(const char *s, size_t len)
{
    size_t bad;
    if (wd_utf8_valid(s, len, &bad))
        return json_stringn(s, len);
    wd_buf b = WD_BUF_INIT;
    wd_utf8_escape(&b, s, len);
    json_t *j = b.oom ? NULL : json_stringn(b.data, b.len);
    wd_buf_free(&b);
    return j;
}

json_t *wdd_mcp_jstr(const char *s)
{
    return wdd_mcp_jstrn(s ? s : "", s ? strlen(s) : 0);
}

static void write_all(session *s, const char *p, size_t n)
{
    while (n && !s->out_error) {
        ssize_t w = write(s->out_fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s->out_error = w < 0 ? errno : EIO;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* One message, one line: jansson escapes every control character inside strings, so the
 * compact form never holds a newline. */
static void send_msg(session *s, json_t *msg)
{
    if (s->batch) { /* sent with the rest of its batch (a lost reply is a lost reply) */
        if (msg)
            json_array_append_new(s->batch, msg);
        return;
    }
    char *text = msg ? json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(msg);
    if (!text) {
        static const char oom[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
                                  "\"message\":\"out of memory\"}}\n";
        write_all(s, oom, sizeof(oom) - 1);
        return;
    }
    write_all(s, text, strlen(text));
    write_all(s, "\n", 1);
    free(text);
}

void wdd_mcp_reply_error(session *s, json_t *id, int code, json_t *data, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *err = json_pack("{s:i, s:o}", "code", code, "message", wdd_mcp_jstr(msg));
    if (err && data)
        json_object_set_new(err, "data", data);
    else
        json_decref(data);
    send_msg(s, json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id", id, "error", err));
}

json_t *wdd_mcp_server_info(void)
{
    return json_pack("{s:s, s:s, s:s}", "name", "wardend", "title", "warden", "version",
                     WD_VERSION_STRING);
}

void wdd_mcp_reply(request *r, json_t *result)
{
    if (result && r->modern) {
        json_object_set_new(result, "resultType", json_string("complete"));
        json_t *meta = json_object_get(result, "_meta");
        if (!meta) {
            meta = json_object();
            json_object_set_new(result, "_meta", meta);
        }
        json_object_set_new(meta, META_SERVER, wdd_mcp_server_info());
    }
    send_msg(r->s, json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", r->id, "result", result));
}

void wdd_mcp_send_batch(session *s, json_t *replies)
{
    s->batch = NULL;
    if (json_array_size(replies)) /* a batch of notifications alone is answered by nothing */
        send_msg(s, replies);
    else
        json_decref(replies);
}

/* ---- tool results ----------------------------------------------------------------------- */

json_t *wdd_mcp_text_block(json_t *text)
{
    return json_pack("{s:s, s:o}", "type", "text", "text", text);
}

/* A tool result: the text blocks, structured content (may be NULL), and whether the tool
 * failed. Failures of the tool itself are results, not protocol errors, so the model sees
 * them and can correct its call. */
void wdd_mcp_reply_tool(request *r, json_t *content, json_t *structured, bool is_error)
{
    json_t *res = json_pack("{s:o, s:b}", "content", content, "isError", is_error);
    if (res && structured)
        json_object_set_new(res, "structuredContent", structured);
    else
        json_decref(structured);
    wdd_mcp_reply(r, res);
}

void wdd_mcp_tool_error(request *r, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wdd_mcp_reply_tool(r, json_pack("[o]", wdd_mcp_text_block(wdd_mcp_jstr(msg))), NULL, true);
}

/* The engine's last error as a tool failure, except what only the server could fix (memory,
 * a log or store that cannot be written): those are the server's errors, not the call's. */
void wdd_mcp_engine_failure(request *r, int rc)
{
    const wd_error *e = wd_error_last();
    if (rc == WD_ENOMEM || rc == WD_EIO) {
        wdd_mcp_reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "%s", e->message);
        return;
    }
    if (e->id && e->id[0])
        wdd_mcp_tool_error(r, "%s: %s", e->id, e->message);
    else
        wdd_mcp_tool_error(r, "%s: %s", wd_strerror(rc), e->message);
}

/* ---- the tenant and the role ----------------------------------------------------------- */

wdd_tenant_rt *wdd_mcp_tenant_of(request *r, wdd_state *st)
{
    wdd_tenant_rt *t = wdd_state_tenant(st, r->s->tenant);
    if (!t)
        wdd_mcp_reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL,
                            "tenant %s is no longer configured (the configuration was reloaded)",
                            r->s->tenant);
    return t;
}

bool wdd_mcp_allowed(request *r, const char *tool, wdd_role need)
{
    if (r->s->role >= need)
        return true;
    wdd_mcp_tool_error(r, "forbidden: %s needs the %s role (this client is %s)", tool,
                       wdd_role_name(need), wdd_role_name(r->s->role));
    return false;
}
