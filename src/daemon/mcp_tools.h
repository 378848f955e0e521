/* mcp_tools.h (daemon): the MCP methods about tools (mcp_tools.c), called by the session
 * (mcp.c) once a request's era allows them. */
#ifndef WDD_MCP_TOOLS_H
#define WDD_MCP_TOOLS_H

#include <jansson.h>

#include "daemon/mcp_rpc.h"

void wdd_mcp_tools_list(request *r, json_t *params);
void wdd_mcp_tools_call(request *r, json_t *params);

#endif
