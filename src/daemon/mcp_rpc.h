/* mcp_rpc.h (daemon): what the MCP server's parts answer with. The server is layered, each part
 * calling only down:
 *   mcp.c          the session: framing, JSON-RPC 2.0, the two protocol eras, dispatch
 *   mcp_tools.c    tools/list and tools/call, warden's own tools
 *   mcp_plugins.c  the tenant's plugins as tools
 *   mcp_rpc.c      (this header) replies, tool results, the tenant and role checks */
#ifndef WDD_MCP_RPC_H
#define WDD_MCP_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "daemon/config.h"
#include "daemon/daemon.h"
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
    /* A JSON-RPC batch being answered (2025-03-26 only): replies gather here and are sent as
     * one array when the batch is done; NULL: each reply is sent at once. */
    json_t *batch;
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
/* Ends the batch being answered: replies (taken over) as one array, nothing when empty. */
void wdd_mcp_send_batch(session *s, json_t *replies);
/* The server's identity, as initialize, server/discover and 2026-07-28 results give it. */
json_t *wdd_mcp_server_info(void);

/* ---- tool results ----------------------------------------------------------------------- */

json_t *wdd_mcp_text_block(json_t *text);
/* A tool result: the content blocks, structured content (may be NULL), and whether the tool
 * failed (a failure the model sees and can correct, not a protocol error). */
void wdd_mcp_reply_tool(request *r, json_t *content, json_t *structured, bool is_error);
/* A tool failure with one text block. */
void wdd_mcp_tool_error(request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The engine's last error as a tool failure, or as the server's error when only the server
 * could fix it. */
void wdd_mcp_engine_failure(request *r, int rc);
/* The session's tenant in st; NULL after answering when a reload removed it. */
wdd_tenant_rt *wdd_mcp_tenant_of(request *r, wdd_state *st);
/* Whether the client's role reaches need; false after answering with a tool failure. */
bool wdd_mcp_allowed(request *r, const char *tool, wdd_role need);

#endif
