/* process_mcp.h (internal): process plugins with protocol: mcp (process_mcp.c): warden as the
 * MCP client of a stdio server it runs under the component's policy. */
#ifndef WD_SANDBOX_PROCESS_MCP_H
#define WD_SANDBOX_PROCESS_MCP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "warden/sandbox.h"

struct wd_instance;
typedef struct wd_mcp_session wd_mcp_session;

/* Starts the server unless it runs, then its handshake (initialize, the initialized
 * notification, tools/list page by page) under res's correlation id. 0, or a WD_S_* code with
 * res->message set (the server is then stopped). */
int wd_mcp_prepare(struct wd_instance *in, wd_call_result *res, uint64_t deadline);

/* One call: input {"tool": NAME, "arguments": {...}}. The tool is decided against the policy
 * (and recorded) before the server is started or asked; then tools/call. 0 with the server's
 * result object in out, or a WD_S_* code: WD_S_INPUT (not such an input, or a tool the server
 * does not list), WD_S_TOOL (the policy refuses the tool), WD_S_FAILED (the server answered
 * with an error, or a result with isError: out holds it), or a failure of the server. */
int wd_mcp_call(struct wd_instance *in, const char *input, size_t len, uint64_t deadline,
                wd_call_result *res, wd_buf *out);

/* The running server is gone (spawn.c reaped it): the next call starts and greets a new one. */
void wd_mcp_forget(struct wd_instance *in);
void wd_mcp_free(struct wd_instance *in);

#endif
