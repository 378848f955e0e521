/* mcp_int.h (daemon): what the MCP server's files share. mcp.c holds the session (framing,
 * JSON-RPC 2.0, the two protocol eras); mcp_tools.c the tools (tools/list, tools/call, the
 * result form, warden's own tools); mcp_plugins.c the plugins offered as tools. */
#ifndef WDD_MCP_INT_H
#define WDD_MCP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "daemon/mcp.h"
#include "warden/engine.h"

/* JSON-RPC 2.0's codes, and MCP's for a revision the server does not speak. -32002 (used by
 * some servers for "not initialized") is avoided: MCP reserves it for "resource not found". */
enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_UNSUPPORTED_VERSION = -32022,
};

#define META_VERSION "io.modelcontextprotocol/protocolVersion"
#define META_CAPS "io.modelcontextprotocol/clientCapabilities"
#define META_SERVER "io.modelcontextprotocol/serverInfo"
#define META_CORRELATION "dev.warden/correlationId"

/* ---- the session ------------------------------------------------------------------------ */

typedef struct {
    wdd_daemon *d;
    const char *tenant;
    wdd_role role;
    int out_fd;
    int out_error;      /* errno of a failed write: the client is gone */
    const char *legacy; /* the revision initialize agreed on, or NULL */
} session;

/* One request being answered. */
typedef struct {
    session *s;
    json_t *id;
    bool modern; /* 2026-07-28: results carry resultType and the server's identity */
} request;

/* A diagnostic line on stderr: only messages go to the client. */
void wdd_mcp_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A JSON string from bytes that may not be UTF-8: bytes that are not become "\xNN". */
json_t *wdd_mcp_jstrn(const char *s, size_t len);
json_t *wdd_mcp_jstr(const char *s);
/* A JSON-RPC error answer (data, may be NULL, is taken over), and a result answer. */
void wdd_mcp_reply_error(session *s, json_t *id, int code, json_t *data, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void wdd_mcp_reply(request *r, json_t *result);

/* ---- tools (mcp_tools.c) ---------------------------------------------------------------- */

json_t *wdd_mcp_text_block(json_t *text);
/* The engine's last error as a tool failure, or as the server's error when only the server
 * could fix it. */
void wdd_mcp_engine_failure(request *r, int rc);
/* The session's tenant in st; NULL after answering when a reload removed it. */
wdd_tenant_rt *wdd_mcp_tenant_of(request *r, wdd_state *st);
/* Whether the client's role reaches need; false after answering with a tool failure. */
bool wdd_mcp_allowed(request *r, const char *tool, wdd_role need);
void wdd_mcp_tools_list(request *r, json_t *params);
void wdd_mcp_tools_call(request *r, json_t *params);

/* ---- plugins as tools (mcp_plugins.c) --------------------------------------------------- */

enum { TOOL_NAME_MAX = 64 };
#define PLUGIN_PREFIX "plugin_"

typedef struct {
    char *id, *version;
    wd_plugin_type type;
    wd_security_level level;
    char name[TOOL_NAME_MAX + 1];
    bool ambiguous;
} plugin;

typedef struct {
    plugin *v;
    size_t n, cap;
} plugin_list;

int wdd_mcp_plugins_load(wd_engine *e, plugin_list *l);
void wdd_mcp_plugins_free(plugin_list *l);
json_t *wdd_mcp_plugin_tool(wd_engine *e, const plugin *p);
/* tools/call of a plugin_* name: found by name, checked against the role, then run. */
void wdd_mcp_call_plugin(request *r, const char *name, json_t *args);

#endif
