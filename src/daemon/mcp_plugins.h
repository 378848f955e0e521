/* mcp_plugins.h (daemon): the tenant's plugins offered as MCP tools (mcp_plugins.c), under
 * mcp_tools.c, which lists and dispatches them. */
#ifndef WDD_MCP_PLUGINS_H
#define WDD_MCP_PLUGINS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "daemon/mcp_rpc.h"
#include "warden/engine.h"

enum { TOOL_NAME_MAX = 64 };
#define PLUGIN_PREFIX "plugin_"

typedef struct {
    char *id, *version;
    wd_plugin_type type;
    wd_security_level level;
    char name[TOOL_NAME_MAX + 1];
    bool ambiguous;
    bool server; /* an MCP server (protocol: mcp): offered as its tools, not as itself */
} plugin;

typedef struct {
    plugin *v;
    size_t n, cap;
} plugin_list;

/* The tool name of component id, or of one tool of an MCP server component (tool not NULL). */
int wdd_mcp_tool_name(const char *id, const char *tool, char out[static TOOL_NAME_MAX + 1]);
int wdd_mcp_plugins_load(wd_engine *e, plugin_list *l);
void wdd_mcp_plugins_free(plugin_list *l);
json_t *wdd_mcp_plugin_tool(wd_engine *e, const plugin *p);
/* Answers with what an invocation that ran (rc 0 or WD_ESANDBOX) gave: a text block of the
 * output, after one with the failure's code and message. */
void wdd_mcp_reply_invocation(request *r, wdd_tenant_rt *t, int rc, const wd_call_result *res);
/* tools/call of a plugin_* name (a plugin, or a tool of an MCP server plugin): found by name,
 * checked against the role, then run. */
void wdd_mcp_call_plugin(request *r, const char *name, json_t *args);

#endif
