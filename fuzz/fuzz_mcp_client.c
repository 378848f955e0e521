/* fuzz_mcp_client.c: the input as lines an MCP server writes on its stdout, each parsed as the
 * client in the sandbox parses them (src/sandbox/mcp_client.h: wd_mcp_parse), and every answer
 * also read as a tools/list page (wd_mcp_tools_page) into one growing list. Aborts when a
 * promise of mcp_client.h breaks: a refusal says why and leaves nothing behind; an accepted
 * message is of one kind with the fields of that kind (an answer's id is positive, or 0 for an
 * error about an unreadable request; a result is an object; a request's id a string or an
 * integer; a method 1 to 256 bytes); parsing again gives the same; an accepted page leaves a
 * list of at most 1024 tools with valid, distinct names, object schemas within their bound and
 * bounded texts, and a cursor of 1 to 1024 bytes or none; a refused page leaves the list as it
 * was; the same page with tools in it, accepted once, is refused the second time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/mcp_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const wd_mcp_msg *m)
{
    switch (m->kind) {
    case WD_MCP_BLANK:
        if (m->root)
            abort();
        break;
    case WD_MCP_RESULT:
        if (!json_is_object(m->result) || m->id < 1 || m->method)
            abort();
        break;
    case WD_MCP_ERROR:
        if (!json_is_object(m->error) || !m->error_message || m->id < 0)
            abort();
        break;
    case WD_MCP_NOTIFICATION:
    case WD_MCP_REQUEST:
        if (!m->method || !*m->method || strlen(m->method) > WD_MCP_METHOD_MAX)
            abort();
        if (m->params && !json_is_object(m->params))
            abort();
        if ((m->kind == WD_MCP_REQUEST) !=
            (m->request_id && (json_is_string(m->request_id) || json_is_integer(m->request_id))))
            abort();
        break;
    default:
        abort();
    }
}

static void check_list(json_t *list)
{
    if (!json_is_array(list) || json_array_size(list) > WD_MCP_TOOLS_MAX)
        abort();
    size_t i, j;
    json_t *t, *u;
    json_array_foreach(list, i, t)
    {
        json_t *name = json_object_get(t, "name");
        json_t *schema = json_object_get(t, "inputSchema");
        json_t *desc = json_object_get(t, "description");
        if (!json_is_string(name) ||
            !wd_mcp_tool_name_ok(json_string_value(name), json_string_length(name)))
            abort();
        if (!json_is_object(schema) || !json_is_string(json_object_get(schema, "type")) ||
            strcmp(json_string_value(json_object_get(schema, "type")), "object") != 0 ||
            json_dumpb(schema, NULL, 0, JSON_COMPACT) > WD_MCP_SCHEMA_MAX)
            abort();
        if (desc && (!json_is_string(desc) || json_string_length(desc) > WD_MCP_DESCRIPTION_MAX))
            abort();
        json_array_foreach(list, j, u)
        {
            if (j > i &&
                strcmp(json_string_value(name), json_string_value(json_object_get(u, "name"))) == 0)
                abort();
        }
    }
}

static void check_page(json_t *result, json_t *list)
{
    size_t before = json_array_size(list);
    const char *cursor = NULL;
    char why[256];
    why[0] = 0;
    if (wd_mcp_tools_page(result, list, &cursor, why, sizeof(why)) != 0) {
        if (!why[0] || cursor || json_array_size(list) != before)
            abort();
        return;
    }
    if (cursor && (!*cursor || strlen(cursor) > WD_MCP_CURSOR_MAX))
        abort();
    check_list(list);
    size_t added = json_array_size(list) - before;
    if (added) {
        why[0] = 0;
        if (wd_mcp_tools_page(result, list, &cursor, why, sizeof(why)) == 0 || !why[0] ||
            json_array_size(list) != before + added)
            abort();
    }
}

static void one_line(const char *line, size_t len, json_t *list)
{
    wd_mcp_msg m, again;
    char why[256];
    why[0] = 0;
    int rc = wd_mcp_parse(line, len, &m, why, sizeof(why));
    if (rc != 0) {
        if (rc != -1 || !why[0] || m.root)
            abort();
        if (wd_mcp_parse(line, len, &again, why, sizeof(why)) == 0)
            abort();
        return;
    }
    check_message(&m);
    if (wd_mcp_parse(line, len, &again, why, sizeof(why)) != 0 || again.kind != m.kind ||
        again.id != m.id)
        abort();
    wd_mcp_msg_clear(&again);
    if (m.kind == WD_MCP_RESULT) {
        check_page(m.result, list);
        json_t *v = json_object_get(m.result, "protocolVersion");
        const char *known = wd_mcp_version_supported(json_string_value(v));
        if (known && strcmp(known, json_string_value(v)) != 0)
            abort();
    }
    wd_mcp_msg_clear(&m);
    if (m.root)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *list = json_array();
    if (!list)
        return 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        one_line(p, len, list);
        p += len + 1;
    }
    json_decref(list);
    return 0;
}
