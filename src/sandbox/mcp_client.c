/* mcp_client.c: an MCP server's lines, parsed and checked (mcp_client.h). Pure. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sandbox/mcp_client.h"
#include "util/utf8.h"

static int refuse(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

void wd_mcp_msg_clear(wd_mcp_msg *m)
{
    if (!m)
        return;
    json_decref(m->root);
    memset(m, 0, sizeof(*m));
}

static int is_integer_id(json_t *id)
{
    return json_is_integer(id);
}

/* An answer: exactly one of result and error, to a positive integer id. */
static int answer(json_t *root, wd_mcp_msg *out, char *why, size_t size)
{
    json_t *id = json_object_get(root, "id");
    json_t *result = json_object_get(root, "result");
    json_t *error = json_object_get(root, "error");
    if (!result == !error)
        return refuse(why, size, "an answer needs exactly one of result and error");
    if (!id)
        return refuse(why, size, "a message with neither a method nor an id");
    if (error) {
        json_t *code = json_object_get(error, "code");
        json_t *msg = json_object_get(error, "message");
        if (!json_is_object(error) || !json_is_integer(code) || !json_is_string(msg))
            return refuse(why, size,
                          "an error must be an object with an integer code and a "
                          "string message");
        out->kind = WD_MCP_ERROR;
        out->error = error;
        out->error_code = (long long)json_integer_value(code);
        out->error_message = json_string_value(msg);
        /* JSON-RPC answers null when the request itself could not be read. */
        if (json_is_null(id)) {
            out->id = 0;
            return 0;
        }
    } else {
        if (!json_is_object(result))
            return refuse(why, size, "a result must be an object");
        out->kind = WD_MCP_RESULT;
        out->result = result;
    }
    if (!is_integer_id(id) || json_integer_value(id) < 1)
        return refuse(why, size,
                      "an answer to an id warden did not send (warden's ids are "
                      "positive integers)");
    out->id = (long long)json_integer_value(id);
    return 0;
}

int wd_mcp_parse(const char *line, size_t len, wd_mcp_msg *out, char *why, size_t size)
{
    memset(out, 0, sizeof(*out));
    if (len && line[len - 1] == '\r')
        len--;
    size_t blank = 0;
    while (blank < len && (line[blank] == ' ' || line[blank] == '\t'))
        blank++;
    if (blank == len) {
        out->kind = WD_MCP_BLANK;
        return 0;
    }
    const char *nul = memchr(line, 0, len);
    if (nul)
        return refuse(why, size, "a NUL byte (byte %zu)", (size_t)(nul - line) + 1);
    size_t bad = 0;
    if (!wd_utf8_valid(line, len, &bad))
        return refuse(why, size, "not UTF-8 text (byte %zu)", bad + 1);
    json_error_t err;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return refuse(why, size, "not JSON: %s at byte %d", err.text, err.position);
    out->root = root;
    int rc = 0;
    /* jansson decodes only an object or an array at the top (no JSON_DECODE_ANY). */
    if (json_is_array(root))
        rc = refuse(why, size, "a batch (JSON array): MCP 2025-06-18 has none, warden takes none");
    else if (!json_is_string(json_object_get(root, "jsonrpc")) ||
             strcmp(json_string_value(json_object_get(root, "jsonrpc")), "2.0") != 0)
        rc = refuse(why, size, "jsonrpc must be \"2.0\"");
    if (rc) {
        wd_mcp_msg_clear(out);
        return rc;
    }
    json_t *method = json_object_get(root, "method");
    json_t *id = json_object_get(root, "id");
    if (!method) {
        rc = answer(root, out, why, size);
    } else if (!json_is_string(method) || json_string_length(method) == 0 ||
               json_string_length(method) > WD_MCP_METHOD_MAX) {
        rc = refuse(why, size, "method must be a string of 1 to %d bytes", WD_MCP_METHOD_MAX);
    } else if (json_object_get(root, "result") || json_object_get(root, "error")) {
        rc = refuse(why, size, "a request or notification carries no result or error");
    } else {
        json_t *params = json_object_get(root, "params");
        if (params && !json_is_object(params))
            rc = refuse(why, size, "params must be an object");
        else if (id && !json_is_string(id) && !json_is_integer(id))
            rc = refuse(why, size, "a request's id must be a string or an integer");
        out->kind = id ? WD_MCP_REQUEST : WD_MCP_NOTIFICATION;
        out->method = json_string_value(method);
        out->params = params;
        out->request_id = id;
    }
    if (rc)
        wd_mcp_msg_clear(out);
    return rc;
}

int wd_mcp_tool_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > WD_MCP_TOOL_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

const char *wd_mcp_version_supported(const char *version)
{
    static const char *const known[] = WD_MCP_VERSIONS;
    for (size_t i = 0; version && i < WD_MCP_VERSION_COUNT; i++)
        if (strcmp(version, known[i]) == 0)
            return known[i];
    return NULL;
}

/* A short, printable form of a name the server sent, for a refusal. */
static const char *shown(json_t *name, char *buf, size_t size)
{
    const char *s = json_is_string(name) ? json_string_value(name) : "";
    size_t len = json_is_string(name) ? json_string_length(name) : 0, o = 0;
    for (size_t i = 0; i < len && o + 5 < size && o < 64; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    buf[o] = 0;
    return buf;
}

static int optional_text(json_t *tool, json_t *copy, const char *key, const char *name, char *why,
                         size_t size)
{
    json_t *v = json_object_get(tool, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) > WD_MCP_DESCRIPTION_MAX)
        return refuse(why, size, "tool %s: %s must be a string of at most %d bytes", name, key,
                      WD_MCP_DESCRIPTION_MAX);
    return json_object_set(copy, key, v) == 0 ? 0 : refuse(why, size, "out of memory");
}

/* One tool: checked, and its copy appended to into. */
static int one_tool(json_t *tool, json_t *into, char *why, size_t size)
{
    char buf[128];
    if (!json_is_object(tool))
        return refuse(why, size, "a tool must be an object");
    json_t *name = json_object_get(tool, "name");
    if (!json_is_string(name) ||
        !wd_mcp_tool_name_ok(json_string_value(name), json_string_length(name)))
        return refuse(why, size,
                      "tool name \"%s\" breaks MCP's rules (1 to %d of A-Z a-z 0-9 _ - .)",
                      shown(name, buf, sizeof(buf)), WD_MCP_TOOL_NAME_MAX);
    const char *n = json_string_value(name);
    size_t i;
    json_t *t;
    json_array_foreach(into, i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "name")), n) == 0)
            return refuse(why, size, "tool %s is listed twice", n);
    }
    json_t *schema = json_object_get(tool, "inputSchema");
    json_t *type = json_object_get(schema, "type");
    if (!json_is_object(schema) || !json_is_string(type) ||
        strcmp(json_string_value(type), "object") != 0)
        return refuse(why, size, "tool %s: inputSchema must be an object schema (type \"object\")",
                      n);
    size_t bytes = json_dumpb(schema, NULL, 0, JSON_COMPACT);
    if (bytes == 0 || bytes > WD_MCP_SCHEMA_MAX)
        return refuse(why, size, "tool %s: inputSchema is larger than %d bytes", n,
                      WD_MCP_SCHEMA_MAX);
    json_t *copy = json_pack("{s:O}", "name", name);
    int rc = copy ? 0 : refuse(why, size, "out of memory");
    if (!rc)
        rc = optional_text(tool, copy, "title", n, why, size);
    if (!rc)
        rc = optional_text(tool, copy, "description", n, why, size);
    if (!rc && json_object_set(copy, "inputSchema", schema) != 0)
        rc = refuse(why, size, "out of memory");
    if (!rc && json_array_append(into, copy) != 0)
        rc = refuse(why, size, "out of memory");
    json_decref(copy);
    return rc;
}

int wd_mcp_tools_page(json_t *result, json_t *into, const char **cursor, char *why, size_t size)
{
    *cursor = NULL;
    json_t *tools = json_object_get(result, "tools");
    if (!json_is_array(tools))
        return refuse(why, size, "tools/list: tools must be an array");
    if (json_array_size(into) + json_array_size(tools) > WD_MCP_TOOLS_MAX)
        return refuse(why, size, "tools/list: more than %d tools", WD_MCP_TOOLS_MAX);
    size_t before = json_array_size(into), i;
    json_t *tool;
    int rc = 0;
    json_array_foreach(tools, i, tool)
    {
        if ((rc = one_tool(tool, into, why, size)) != 0)
            break;
    }
    json_t *next = json_object_get(result, "nextCursor");
    if (!rc && next && !json_is_null(next) &&
        (!json_is_string(next) || json_string_length(next) == 0 ||
         json_string_length(next) > WD_MCP_CURSOR_MAX))
        rc = refuse(why, size, "tools/list: nextCursor must be a string of 1 to %d bytes",
                    WD_MCP_CURSOR_MAX);
    /* A refused page leaves the list as it was. */
    while (rc && json_array_size(into) > before)
        json_array_remove(into, json_array_size(into) - 1);
    if (!rc && json_is_string(next))
        *cursor = json_string_value(next);
    return rc;
}
