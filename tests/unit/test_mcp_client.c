/* test_mcp_client.c: what warden accepts from an MCP server (src/sandbox/mcp_client.c): each
 * kind of message with its fields, every refusal with its reason, the tools list checks (names,
 * duplicates, schemas, bounds, cursors, a refused page leaving the list as it was) and the
 * revisions warden speaks. The session around it is exercised against real servers by
 * tests/integration/mcp_*.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sandbox/mcp_client.h"

static wd_mcp_msg parse_ok(const char *line, wd_mcp_kind kind)
{
    wd_mcp_msg m;
    char why[256] = "";
    int rc = wd_mcp_parse(line, strlen(line), &m, why, sizeof(why));
    if (rc)
        print_error("refused %s: %s\n", line, why);
    assert_int_equal(rc, 0);
    assert_int_equal(m.kind, kind);
    return m;
}

static void refused(const char *line, size_t len, const char *reason)
{
    wd_mcp_msg m;
    char why[256] = "";
    assert_int_equal(wd_mcp_parse(line, len, &m, why, sizeof(why)), -1);
    if (!strstr(why, reason))
        print_error("%s: said \"%s\", expected \"%s\"\n", line, why, reason);
    assert_non_null(strstr(why, reason));
    assert_null(m.root);
}
#define REFUSED(line, reason) refused(line, strlen(line), reason)

static void test_kinds(void **state)
{
    (void)state;
    wd_mcp_msg m = parse_ok("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"a\":1}}", WD_MCP_RESULT);
    assert_int_equal(m.id, 7);
    assert_true(json_is_object(m.result));
    wd_mcp_msg_clear(&m);
    m = parse_ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32000,\"message\":\"no\"}}\r",
                 WD_MCP_ERROR);
    assert_int_equal(m.id, 3);
    assert_int_equal(m.error_code, -32000);
    assert_string_equal(m.error_message, "no");
    wd_mcp_msg_clear(&m);
    /* An error about a request the server could not read has no id. */
    m = parse_ok("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"x\"}}",
                 WD_MCP_ERROR);
    assert_int_equal(m.id, 0);
    wd_mcp_msg_clear(&m);
    m = parse_ok("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}",
                 WD_MCP_NOTIFICATION);
    assert_string_equal(m.method, "notifications/message");
    assert_null(m.request_id);
    wd_mcp_msg_clear(&m);
    m = parse_ok("{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"roots/list\"}", WD_MCP_REQUEST);
    assert_string_equal(json_string_value(m.request_id), "s");
    assert_null(m.params);
    wd_mcp_msg_clear(&m);
    m = parse_ok("  \t", WD_MCP_BLANK);
    assert_null(m.root);
    m = parse_ok("", WD_MCP_BLANK);
}

static void test_refusals(void **state)
{
    (void)state;
    REFUSED("not json", "not JSON");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}} {}", "not JSON");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":\"\xff\"}}", "not UTF-8");
    refused("{\"jsonrpc\":\"2.0\",\0\"id\":1}", 24, "a NUL byte");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"result\":{}}", "not JSON");
    REFUSED("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}]", "a batch");
    REFUSED("7", "not JSON"); /* only an object (or an array: a batch) is a message */
    REFUSED("{\"id\":1,\"result\":{}}", "jsonrpc must be \"2.0\"");
    REFUSED("{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":{}}", "jsonrpc must be \"2.0\"");
    REFUSED("{\"jsonrpc\":2.0,\"id\":1,\"result\":{}}", "jsonrpc must be \"2.0\"");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{\"code\":1,\"message\":\"m\"}}",
            "exactly one of result and error");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1}", "exactly one of result and error");
    REFUSED("{\"jsonrpc\":\"2.0\",\"result\":{}}", "neither a method nor an id");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{}}", "an id warden did not send");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{}}", "an id warden did not send");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":-4,\"result\":{}}", "an id warden did not send");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"result\":{}}", "an id warden did not send");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[]}", "a result must be an object");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\",\"message\":\"m\"}}",
            "an integer code and a string message");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1}}",
            "an integer code and a string message");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}",
            "an integer code and a string message");
    REFUSED("{\"jsonrpc\":\"2.0\",\"method\":5}", "method must be a string");
    REFUSED("{\"jsonrpc\":\"2.0\",\"method\":\"\"}", "method must be a string");
    char longm[400];
    snprintf(longm, sizeof(longm), "{\"jsonrpc\":\"2.0\",\"method\":\"%0300d\"}", 0);
    REFUSED(longm, "method must be a string");
    REFUSED("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"result\":{}}", "carries no result or error");
    REFUSED("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":[1]}", "params must be an object");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"x\"}", "a string or an integer");
    REFUSED("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"x\"}", "a string or an integer");
}

static json_t *page(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j)
        print_error("bad test JSON: %s\n", err.text);
    assert_non_null(j);
    return j;
}

/* Feeds one page into list: 0 and the cursor, or -1 with why containing reason. */
static int feed(json_t *list, const char *text, const char *reason, const char **cursor)
{
    json_t *p = page(text);
    char why[256] = "";
    const char *c = NULL;
    size_t before = json_array_size(list);
    int rc = wd_mcp_tools_page(p, list, &c, why, sizeof(why));
    if (reason) {
        if (rc != -1 || !strstr(why, reason))
            print_error("page %s: rc %d, said \"%s\", expected \"%s\"\n", text, rc, why, reason);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(why, reason));
        assert_int_equal(json_array_size(list), before); /* as it was */
        assert_null(c);
    } else {
        assert_int_equal(rc, 0);
        if (cursor)
            *cursor = c ? strdup(c) : NULL;
    }
    json_decref(p);
    return rc;
}

#define OBJ "\"inputSchema\":{\"type\":\"object\"}"

static void test_tools(void **state)
{
    (void)state;
    json_t *list = json_array();
    const char *cursor = NULL;
    feed(list,
         "{\"tools\":[{\"name\":\"read_file\",\"description\":\"d\",\"title\":\"T\","
         "\"annotations\":{},"
         "\"inputSchema\":{\"type\":\"object\",\"properties\":{}}}],\"nextCursor\":\"p2\"}",
         NULL, &cursor);
    assert_string_equal(cursor, "p2");
    free((void *)cursor);
    feed(list, "{\"tools\":[{\"name\":\"A.b-c_9\"," OBJ "}],\"nextCursor\":null}", NULL, &cursor);
    assert_null(cursor);
    assert_int_equal(json_array_size(list), 2);
    /* What is kept: name, title, description, inputSchema; nothing else. */
    json_t *t = json_array_get(list, 0);
    assert_int_equal(json_object_size(t), 4);
    assert_null(json_object_get(t, "annotations"));

    feed(list, "{\"tools\":[{\"name\":\"read_file\"," OBJ "}]}", "listed twice", NULL);
    feed(list, "{\"tools\":[{\"name\":\"x\"," OBJ "},{\"name\":\"x\"," OBJ "}]}", "listed twice",
         NULL);
    feed(list, "{\"tools\":[{\"name\":\"ok1\"," OBJ "},{\"name\":\"bad name\"," OBJ "}]}",
         "breaks MCP's rules", NULL);
    feed(list, "{\"tools\":[{\"name\":\"\"," OBJ "}]}", "breaks MCP's rules", NULL);
    feed(list, "{\"tools\":[{\"name\":\"a/b\"," OBJ "}]}", "breaks MCP's rules", NULL);
    feed(list, "{\"tools\":[{\"name\":7," OBJ "}]}", "breaks MCP's rules", NULL);
    feed(list, "{\"tools\":[{\"inputSchema\":{\"type\":\"object\"}}]}", "breaks MCP's rules", NULL);
    feed(list, "{\"tools\":[{\"name\":\"s\",\"inputSchema\":{\"type\":\"string\"}}]}",
         "object schema", NULL);
    feed(list, "{\"tools\":[{\"name\":\"s\"}]}", "object schema", NULL);
    feed(list, "{\"tools\":[{\"name\":\"s\",\"description\":5," OBJ "}]}", "description must be",
         NULL);
    feed(list, "{\"tools\":[7]}", "must be an object", NULL);
    feed(list, "{\"tools\":{}}", "tools must be an array", NULL);
    feed(list, "{}", "tools must be an array", NULL);
    feed(list, "{\"tools\":[{\"name\":\"c1\"," OBJ "}],\"nextCursor\":\"\"}", "nextCursor", NULL);
    feed(list, "{\"tools\":[{\"name\":\"c2\"," OBJ "}],\"nextCursor\":5}", "nextCursor", NULL);

    char name[200];
    memset(name, 'n', sizeof(name));
    name[WD_MCP_TOOL_NAME_MAX] = 0;
    assert_true(wd_mcp_tool_name_ok(name, WD_MCP_TOOL_NAME_MAX));
    assert_false(wd_mcp_tool_name_ok(name, WD_MCP_TOOL_NAME_MAX + 1));

    /* The bounds: a description, a schema, the count. */
    char *big = malloc(WD_MCP_SCHEMA_MAX + 256);
    assert_non_null(big);
    snprintf(big, WD_MCP_SCHEMA_MAX + 256,
             "{\"tools\":[{\"name\":\"big\",\"description\":\"%0*d\"," OBJ "}]}",
             WD_MCP_DESCRIPTION_MAX + 1, 0);
    feed(list, big, "description must be", NULL);
    snprintf(
        big, WD_MCP_SCHEMA_MAX + 256,
        "{\"tools\":[{\"name\":\"big\",\"inputSchema\":{\"type\":\"object\",\"x\":\"%0*d\"}}]}",
        WD_MCP_SCHEMA_MAX, 0);
    feed(list, big, "larger than", NULL);
    free(big);
    json_t *many = json_pack("{s:[]}", "tools");
    for (int i = 0; i < WD_MCP_TOOLS_MAX; i++)
        json_array_append_new(json_object_get(many, "tools"),
                              json_pack("{s:o, s:{s:s}}", "name", json_sprintf("t%d", i),
                                        "inputSchema", "type", "object"));
    char *text = json_dumps(many, JSON_COMPACT);
    feed(list, text, "more than 1024 tools", NULL);
    free(text);
    json_decref(many);
    assert_int_equal(json_array_size(list), 2);
    json_decref(list);
}

static void test_versions(void **state)
{
    (void)state;
    assert_string_equal(wd_mcp_version_supported("2025-06-18"), "2025-06-18");
    assert_string_equal(wd_mcp_version_supported("2025-03-26"), "2025-03-26");
    assert_string_equal(wd_mcp_version_supported("2024-11-05"), "2024-11-05");
    assert_null(wd_mcp_version_supported("2025-11-25"));
    assert_null(wd_mcp_version_supported(""));
    assert_null(wd_mcp_version_supported(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_tools),
        cmocka_unit_test(test_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
