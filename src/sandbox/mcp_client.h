/* mcp_client.h (internal): what an MCP server plugin says, checked before anything acts on it
 * (mcp_client.c). Pure: no I/O, no instance; the session that uses it is process_mcp.c, and
 * fuzz/fuzz_mcp_client.c feeds it hostile lines.
 *
 * The server is hostile: every line it writes on stdout is one JSON-RPC 2.0 message (MCP's
 * stdio transport), parsed with repeated keys refused, and sorted into an answer to warden's
 * request, a notification, or a request of the server's own. Batches (arrays), other JSON-RPC
 * versions and answers to ids warden never sends are refused. A tools/list page is checked
 * tool by tool: names by MCP's rules and unique, descriptions and schemas bounded. */
#ifndef WD_SANDBOX_MCP_CLIENT_H
#define WD_SANDBOX_MCP_CLIENT_H

#include <stddef.h>

#include <jansson.h>

/* The revisions warden speaks, newest first: it asks for the first, and takes the server's
 * answer when it is one of these. */
#define WD_MCP_VERSIONS                                                                            \
    {                                                                                              \
        "2025-06-18", "2025-03-26", "2024-11-05"                                                   \
    }
#define WD_MCP_VERSION_COUNT 3

enum {
    WD_MCP_TOOL_NAME_MAX = 128,    /* MCP: 1 to 128 of [A-Za-z0-9_.-] */
    WD_MCP_DESCRIPTION_MAX = 8192, /* bytes of a tool's description (or title) */
    WD_MCP_SCHEMA_MAX = 65536,     /* bytes of a tool's inputSchema, serialized */
    WD_MCP_TOOLS_MAX = 1024,       /* tools one server may list */
    WD_MCP_CURSOR_MAX = 1024,      /* bytes of a nextCursor */
    WD_MCP_INFO_MAX = 128,         /* bytes of serverInfo's name and version */
    WD_MCP_METHOD_MAX = 256        /* bytes of a method name */
};

typedef enum {
    WD_MCP_BLANK = 0,    /* an empty line (ignored, but counted) */
    WD_MCP_RESULT,       /* an answer: result is an object */
    WD_MCP_ERROR,        /* an error answer: error_code, error_message, error (the object) */
    WD_MCP_NOTIFICATION, /* method, params (may be NULL) */
    WD_MCP_REQUEST       /* method, params, request_id (a string or an integer) */
} wd_mcp_kind;

typedef struct {
    wd_mcp_kind kind;
    json_t *root;       /* the whole message (owned); the pointers below point into it */
    long long id;       /* RESULT and ERROR: the id answered (warden's ids are 1 and up) */
    json_t *request_id; /* REQUEST: the server's id */
    const char *method;
    json_t *params;
    json_t *result;
    json_t *error;
    long long error_code;
    const char *error_message;
} wd_mcp_msg;

/* Parses one line from the server (without its '\n'; a '\r' before it is allowed). 0 with *out
 * filled (release it with wd_mcp_msg_clear), or -1 with why (NUL-terminated) saying what is
 * wrong: a NUL byte, not UTF-8, not JSON (or not an object), a repeated key, a batch, jsonrpc
 * not "2.0", a method that is not a string, an id that is neither a string nor an integer, an
 * answer with both or neither of result and error, an answer to an id warden cannot have sent
 * (not a positive integer), a result that is not an object, a malformed error object. */
int wd_mcp_parse(const char *line, size_t len, wd_mcp_msg *out, char *why, size_t why_size);
void wd_mcp_msg_clear(wd_mcp_msg *m);

/* Checks one tools/list result page and appends its tools, as {name, title?, description?,
 * inputSchema}, to into (an array, which already holds the earlier pages' tools). Refused (-1
 * with why): tools missing or not an array, a tool that is not an object, a name outside
 * MCP's rules or listed twice, a description or title that is not a string or longer than
 * WD_MCP_DESCRIPTION_MAX, an inputSchema that is not an object schema ("type": "object") or
 * longer than WD_MCP_SCHEMA_MAX serialized, more than WD_MCP_TOOLS_MAX tools in all, a
 * nextCursor that is not a string or longer than WD_MCP_CURSOR_MAX; into is then as it was.
 * *cursor is the next page's cursor (pointing into result) or NULL. */
int wd_mcp_tools_page(json_t *result, json_t *into, const char **cursor, char *why,
                      size_t why_size);

/* Whether name keeps to MCP's tool name rules: 1 to 128 bytes of [A-Za-z0-9_.-]. */
int wd_mcp_tool_name_ok(const char *name, size_t len);

/* The revision the server answered, if warden speaks it (a static string), else NULL. */
const char *wd_mcp_version_supported(const char *version);

#endif
