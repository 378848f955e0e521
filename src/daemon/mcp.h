/* mcp.h (daemon): wardend as a Model Context Protocol server over stdio (`wardend --mcp`):
 * one tenant's plugins and policy tools offered to an AI client as MCP tools.
 *
 * Lifecycle: wdd_daemon_new() -> wdd_mcp_serve(d, tenant, role, 0, 1), which answers one
 * newline-delimited JSON-RPC 2.0 message per line until the input ends -> wdd_daemon_free().
 * Every request takes the daemon's current state for itself (wdd_state_acquire), so a reload
 * between two requests is seen by the second; nothing of one request's state outlives it.
 *
 * The protocol is dual-era (docs/mcp.md): revision 2026-07-28 statelessly, for requests that
 * carry their version in params._meta; 2025-11-25, 2025-06-18 and 2025-03-26 (with its
 * JSON-RPC batches) after an initialize handshake. Only messages go to out_fd; diagnostics go to
 * stderr. */
#ifndef WDD_MCP_H
#define WDD_MCP_H

#include "daemon/config.h"
#include "daemon/daemon.h"

/* The revision this server prefers, and the largest message it reads (longer lines are
 * answered with an error and skipped). */
#define WDD_MCP_PROTOCOL "2026-07-28"
#define WDD_MCP_MAX_MESSAGE (4u << 20)
/* The most messages one JSON-RPC batch (2025-03-26 sessions) may hold. */
#define WDD_MCP_MAX_BATCH 64u

/* Serves tenant (NULL: the only tenant, when there is exactly one) with the rights of role
 * until in_fd reaches end of file. Returns 0 at end of file; WD_ENOTFOUND when the tenant is
 * not configured; WD_EIO when in_fd cannot be read or out_fd cannot be written. */
int wdd_mcp_serve(wdd_daemon *d, const char *tenant, wdd_role role, int in_fd, int out_fd);

#endif
