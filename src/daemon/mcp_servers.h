/* mcp_servers.h (daemon): the tools of the tenant's MCP server plugins (protocol: mcp),
 * re-exported one by one (mcp_servers.c), under mcp_tools.c, which lists and dispatches them. */
#ifndef WDD_MCP_SERVERS_H
#define WDD_MCP_SERVERS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "daemon/mcp_plugins.h"
#include "daemon/mcp_rpc.h"
#include "warden/engine.h"

typedef struct {
    const plugin *p;  /* the server's component */
    const char *tool; /* the server's name for it (points into def) */
    json_t *def;      /* {name, title?, description?, inputSchema} as the server listed it */
    char name[TOOL_NAME_MAX + 1];
    bool ambiguous;
} server_tool;

typedef struct {
    server_tool *v;
    size_t n, cap;
    json_t *lists; /* the servers' tool lists, which def points into */
} server_tool_list;

/* The tools of l's MCP servers, each server started (once, then cached by the engine) to list
 * them; a server that cannot start is noted on stderr and offers none. want: only the server
 * whose tools a call of that name could be (NULL: all). Hashed names that repeat, among these
 * tools or l's plugins, are marked ambiguous in both. 0, or WD_ENOMEM. */
int wdd_mcp_server_tools_load(wd_engine *e, plugin_list *l, const char *want,
                              server_tool_list *out);
void wdd_mcp_server_tools_free(server_tool_list *l);

/* Whether name could be a tool of one of l's MCP servers (without starting any). */
bool wdd_mcp_server_could_own(const plugin_list *l, const char *name);

/* One server tool as tools/list shows it. */
json_t *wdd_mcp_server_tool_json(wd_engine *e, const server_tool *t);

/* tools/call of a server tool: the component invoked with {"tool", "arguments"}; the server's
 * result is the call's result, with the call's correlation id. */
void wdd_mcp_call_server_tool(request *r, wdd_tenant_rt *t, const server_tool *st, json_t *args);

#endif
