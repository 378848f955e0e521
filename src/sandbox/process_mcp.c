/* process_mcp.c: an MCP server as a process plugin (protocol: mcp). warden is the client, over
 * MCP's stdio transport: newline-delimited JSON-RPC 2.0 on the program's stdin and stdout, every
 * exchange through process_call.c's loop, so the broker keeps deciding the server's file and
 * network calls throughout. At start: initialize, notifications/initialized and tools/list
 * (page by page); a call is one tools/call, its tool first decided against the component's
 * policy. Everything the server writes is checked by mcp_client.c; notifications and the
 * server's own requests are bounded per call, and its requests refused (warden declares no
 * client capabilities). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/broker_int.h"
#include "sandbox/codes.h"
#include "sandbox/instance_int.h"
#include "sandbox/mcp_client.h"
#include "sandbox/process.h"
#include "sandbox/process_mcp.h"
#include "util/error.h"
#include "warden/integrity.h"

enum {
    PAGES_MAX = 64,           /* tools/list pages at start */
    NOISE_MAX = 1024,         /* notifications, requests and blank lines a call takes */
    SERVER_REQUESTS_MAX = 64, /* of which requests of the server's */
    ERROR_TEXT = 300          /* of a server's error message, in the call's message */
};

struct wd_mcp_session {
    wd_buf rx;
    long long next_id;
    int ready;           /* the running server was greeted */
    const char *version; /* the revision agreed */
    json_t *tools;       /* [{name, title?, description?, inputSchema}] */
    char *tools_text;
    unsigned noise, requests, logs; /* this call's */
};

/* ---- the session ------------------------------------------------------------------------ */

static wd_mcp_session *session(wd_instance *in)
{
    if (!in->mcp && (in->mcp = calloc(1, sizeof(*in->mcp))))
        in->mcp->rx = (wd_buf)WD_BUF_INIT;
    return in->mcp;
}

void wd_mcp_forget(wd_instance *in)
{
    if (!in->mcp)
        return;
    wd_buf_clear(&in->mcp->rx);
    in->mcp->ready = 0;
}

void wd_mcp_free(wd_instance *in)
{
    if (!in->mcp)
        return;
    wd_buf_free(&in->mcp->rx);
    json_decref(in->mcp->tools);
    free(in->mcp->tools_text);
    free(in->mcp);
    in->mcp = NULL;
}

const char *wd_instance_tools(const wd_instance *in)
{
    if (!in || in->process != WD_PROTOCOL_MCP)
        return NULL;
    return in->mcp && in->mcp->tools_text ? in->mcp->tools_text : "";
}

/* Text from the server on one line for a message: control characters become spaces. */
static void one_line(const char *src, char *dst, size_t size)
{
    size_t o = 0;
    for (const char *p = src; p && *p && o + 1 < size; p++)
        dst[o++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
    dst[o] = 0;
}

/* ---- one exchange ------------------------------------------------------------------------- */

typedef struct {
    wd_instance *in;
    wd_mcp_session *s;
    wd_call_result *res;
    long long want;   /* the id awaited */
    const char *what; /* the method asked, for messages */
    wd_mcp_msg answer;
} exchange;

static int refusal(char *msg, size_t size, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refusal(char *msg, size_t size, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return code;
}

/* A PLUGIN_LOG record of what the server said or asked (at most MAX_LOGS_PER_CALL a call). */
static void note(exchange *x, int level, const char *text)
{
    if (++x->s->logs > MAX_LOGS_PER_CALL)
        return;
    wd_call_log(x->in, x->res->correlation_id, level, text, strlen(text),
                x->s->logs == MAX_LOGS_PER_CALL);
}

static int log_level(const char *level)
{
    static const char *const names[] = {"debug", "info",     "notice", "warning",
                                        "error", "critical", "alert",  "emergency"};
    static const int levels[] = {0, 1, 1, 2, 3, 3, 3, 3};
    for (size_t i = 0; level && i < sizeof(names) / sizeof(*names); i++)
        if (strcmp(level, names[i]) == 0)
            return levels[i];
    return 1;
}

/* A notification: logging messages as their level says, anything else (progress,
 * list_changed...) as a debug line with its parameters. */
static void notification(exchange *x, const wd_mcp_msg *m)
{
    char *params = m->params ? json_dumps(m->params, JSON_COMPACT) : NULL;
    char text[WD_PROTO_MAX_LOG];
    if (strcmp(m->method, "notifications/message") == 0) {
        json_t *data = json_object_get(m->params, "data");
        json_t *logger = json_object_get(m->params, "logger");
        char *dumped =
            json_is_string(data) ? NULL : json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(text, sizeof(text), "%s%s%s",
                 json_is_string(logger) ? json_string_value(logger) : "",
                 json_is_string(logger) ? ": " : "",
                 json_is_string(data) ? json_string_value(data)
                 : dumped             ? dumped
                                      : "");
        free(dumped);
        note(x, log_level(json_string_value(json_object_get(m->params, "level"))), text);
    } else {
        snprintf(text, sizeof(text), "notification %s %s", m->method, params ? params : "{}");
        note(x, 0, text);
    }
    free(params);
}

/* A request of the server's: ping answered, anything else refused (warden declares no client
 * capabilities: no sampling, roots or elicitation). */
static int server_request(exchange *x, const wd_mcp_msg *m, wd_buf *reply)
{
    json_t *a = strcmp(m->method, "ping") == 0
                    ? json_pack("{s:s, s:O, s:{}}", "jsonrpc", "2.0", "id", m->request_id, "result")
                    : json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", m->request_id,
                                "error", "code", -32601, "message",
                                "warden declares no client capabilities: method not offered");
    char *line = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    if (!line)
        return WD_S_SETUP;
    wd_buf_puts(reply, line);
    wd_buf_putc(reply, '\n');
    free(line);
    char text[WD_MCP_METHOD_MAX + 64];
    snprintf(text, sizeof(text), "the server asked %s: %s", m->method,
             strcmp(m->method, "ping") == 0 ? "answered" : "refused (-32601)");
    note(x, 0, text);
    return 0;
}

static int on_line(void *ctx, const char *line, size_t len, wd_buf *reply, char *msg, size_t size)
{
    exchange *x = ctx;
    wd_mcp_msg m;
    char why[256];
    if (wd_mcp_parse(line, len, &m, why, sizeof(why)) != 0)
        return refusal(msg, size, WD_S_PROTOCOL, "the server broke JSON-RPC: %s", why);
    int rc = 0;
    if (m.kind == WD_MCP_RESULT || m.kind == WD_MCP_ERROR) {
        if (m.kind == WD_MCP_ERROR && m.id == 0) {
            char text[ERROR_TEXT];
            one_line(m.error_message, text, sizeof(text));
            rc = refusal(msg, size, WD_S_PROTOCOL, "the server could not read warden's %s: %s",
                         x->what, text);
        } else if (m.id != x->want) {
            rc = refusal(msg, size, WD_S_PROTOCOL,
                         "the server answered id %lld; warden waits for id %lld (%s)", m.id,
                         x->want, x->what);
        } else {
            x->answer = m;
            return 1;
        }
    } else if (++x->s->noise > NOISE_MAX) {
        rc = refusal(msg, size, WD_S_PROTOCOL,
                     "more than %d notifications and requests from the server in one call",
                     NOISE_MAX);
    } else if (m.kind == WD_MCP_NOTIFICATION) {
        notification(x, &m);
    } else if (m.kind == WD_MCP_REQUEST) {
        rc = ++x->s->requests > SERVER_REQUESTS_MAX
                 ? refusal(msg, size, WD_S_PROTOCOL,
                           "more than %d requests from the server in one call", SERVER_REQUESTS_MAX)
                 : server_request(x, &m, reply);
        if (rc == WD_S_SETUP)
            snprintf(msg, size, "out of memory");
    }
    wd_mcp_msg_clear(&m);
    return rc;
}

/* Sends method(params) with the next id (after the lines in first, when given) and waits for
 * its answer: 0 with x->answer set, or a WD_S_* code. */
static int ask(wd_instance *in, exchange *x, const char *first, const char *method, json_t *params,
               uint64_t deadline)
{
    wd_mcp_session *s = x->s;
    x->want = ++s->next_id;
    x->what = method;
    json_t *req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id", (json_int_t)x->want,
                            "method", method, "params", params ? params : json_object());
    char *line = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    wd_buf send = WD_BUF_INIT;
    if (first)
        wd_buf_puts(&send, first);
    wd_buf_puts(&send, line ? line : "");
    wd_buf_putc(&send, '\n');
    free(line);
    int code;
    if (!line || send.oom) {
        snprintf(x->res->message, sizeof(x->res->message), "out of memory");
        code = WD_S_SETUP;
    } else {
        code = wd_process_converse(in, send.data, send.len, &s->rx, on_line, x, deadline, x->res);
    }
    wd_buf_free(&send);
    return code;
}

/* ---- the handshake ------------------------------------------------------------------------ */

static int handshake_failed(exchange *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int handshake_failed(exchange *x, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->res->message, sizeof(x->res->message), fmt, ap);
    va_end(ap);
    wd_mcp_msg_clear(&x->answer);
    return code;
}

/* An error answer during the handshake: the server refused to start (WD-S010). */
static int refused_start(exchange *x)
{
    char text[ERROR_TEXT];
    one_line(x->answer.error_message, text, sizeof(text));
    return handshake_failed(x, WD_S_INIT, "the server answered %s with error %lld: %s", x->what,
                            x->answer.error_code, text);
}

/* What initialize answered: a revision warden speaks, and who the server is. */
static int check_initialize(exchange *x, json_t **server)
{
    json_t *r = x->answer.result;
    json_t *v = json_object_get(r, "protocolVersion");
    const char *version = json_is_string(v) ? wd_mcp_version_supported(json_string_value(v)) : NULL;
    char shown[64];
    one_line(json_is_string(v) ? json_string_value(v) : "(none)", shown, sizeof(shown));
    if (!version)
        return handshake_failed(x, WD_S_PROTOCOL,
                                "the server speaks MCP %s; warden speaks 2025-06-18, 2025-03-26 "
                                "and 2024-11-05",
                                shown);
    json_t *caps = json_object_get(r, "capabilities");
    if (!json_is_object(caps))
        return handshake_failed(x, WD_S_PROTOCOL, "initialize: capabilities must be an object");
    json_t *info = json_object_get(r, "serverInfo");
    json_t *name = json_object_get(info, "name"), *ver = json_object_get(info, "version");
    if (!json_is_object(info) || !json_is_string(name) || !json_is_string(ver) ||
        json_string_length(name) > WD_MCP_INFO_MAX || json_string_length(ver) > WD_MCP_INFO_MAX)
        return handshake_failed(x, WD_S_PROTOCOL,
                                "initialize: serverInfo needs a name and a version (strings of at "
                                "most %d bytes)",
                                WD_MCP_INFO_MAX);
    x->s->version = version;
    *server = json_pack("{s:O, s:O}", "name", name, "version", ver);
    wd_mcp_msg_clear(&x->answer);
    return *server ? 0 : handshake_failed(x, WD_S_SETUP, "out of memory");
}

/* describe(): what the contract says of the program, with the server, the revision agreed and
 * the names of its tools. */
static void describe(wd_instance *in, json_t *server)
{
    json_t *d = json_loads(in->describe ? in->describe : "{}", 0, NULL);
    json_t *names = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(in->mcp->tools, i, t)
    {
        json_array_append(names, json_object_get(t, "name"));
    }
    if (!json_is_object(d) || !names) {
        json_decref(d);
        json_decref(names);
        return;
    }
    json_object_set(d, "server", server);
    json_object_set_new(d, "protocolVersion", json_string(in->mcp->version));
    json_object_set_new(d, "tools", names);
    char *text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(d);
    if (text) {
        free(in->describe);
        in->describe = text;
    }
}

static int list_tools(wd_instance *in, exchange *x, uint64_t deadline)
{
    wd_mcp_session *s = x->s;
    json_t *tools = json_array();
    if (!tools)
        return handshake_failed(x, WD_S_SETUP, "out of memory");
    char *cursor = NULL;
    const char *first = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
    int code = 0;
    for (int page = 0; !code; page++) {
        if (page == PAGES_MAX) {
            code = handshake_failed(x, WD_S_PROTOCOL, "tools/list: more than %d pages", PAGES_MAX);
            break;
        }
        json_t *params = cursor ? json_pack("{s:s}", "cursor", cursor) : NULL;
        free(cursor);
        cursor = NULL;
        code = ask(in, x, page ? NULL : first, "tools/list", params, deadline);
        if (code)
            break;
        if (x->answer.kind == WD_MCP_ERROR) {
            code = refused_start(x);
            break;
        }
        const char *next = NULL;
        char why[256];
        if (wd_mcp_tools_page(x->answer.result, tools, &next, why, sizeof(why)) != 0) {
            code = handshake_failed(x, WD_S_PROTOCOL, "the server's tools are refused: %s", why);
            break;
        }
        cursor = next ? strdup(next) : NULL;
        wd_mcp_msg_clear(&x->answer);
        if (!next)
            break;
        if (!cursor)
            code = handshake_failed(x, WD_S_SETUP, "out of memory");
    }
    free(cursor);
    char *text = code ? NULL : json_dumps(tools, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!code && !text)
        code = handshake_failed(x, WD_S_SETUP, "out of memory");
    if (code) {
        json_decref(tools);
        return code;
    }
    json_decref(s->tools);
    free(s->tools_text);
    s->tools = tools;
    s->tools_text = text;
    return 0;
}

/* This call's counters, fresh. */
static void begin(wd_instance *in, wd_mcp_session *s)
{
    in->med.requests = in->med.denied = in->med.runtime = 0;
    in->med.limit = MAX_REQUESTS_PER_CALL;
    s->noise = s->requests = s->logs = 0;
}

static int greet(wd_instance *in, wd_mcp_session *s, wd_call_result *res, uint64_t deadline)
{
    if (in->pid > 0 && s->ready)
        return 0;
    if (in->pid < 0) {
        int code = wd_process_start(in, res, deadline);
        if (code)
            return code;
    }
    wd_buf_clear(&s->rx);
    s->next_id = 0;
    exchange x = {.in = in, .s = s, .res = res};
    json_t *params =
        json_pack("{s:s, s:{}, s:{s:s, s:s}}", "protocolVersion", "2025-06-18", "capabilities",
                  "clientInfo", "name", "warden", "version", WD_VERSION_STRING);
    json_t *server = NULL;
    int code = params ? ask(in, &x, NULL, "initialize", params, deadline)
                      : handshake_failed(&x, WD_S_SETUP, "out of memory");
    if (!code && x.answer.kind == WD_MCP_ERROR)
        code = refused_start(&x);
    if (!code)
        code = check_initialize(&x, &server);
    if (!code) {
        /* A server without the tools capability has no tools: the list is then empty. */
        code = list_tools(in, &x, deadline);
    }
    if (!code) {
        describe(in, server);
        s->ready = 1;
    }
    json_decref(server);
    return code;
}

int wd_mcp_prepare(wd_instance *in, wd_call_result *res, uint64_t deadline)
{
    wd_mcp_session *s = session(in);
    if (!s) {
        snprintf(res->message, sizeof(res->message), "out of memory");
        return WD_S_SETUP;
    }
    begin(in, s);
    int code = greet(in, s, res, deadline);
    res->requests = in->med.requests;
    res->denied = in->med.denied;
    return code;
}

/* ---- a call ----------------------------------------------------------------------------- */

/* The policy's word on calling tool, recorded as a BROKER_DECISION (op "call") under the
 * call's correlation id: lockdown outranks everything; without a tools list every tool may be
 * called; with one, the list decides (default deny). 1 allowed, 0 refused (why says why). */
static int decide_tool(wd_instance *in, const char *tool, const char *corr, char *why, size_t size)
{
    wd_broker_answer ans;
    memset(&ans, 0, sizeof(ans));
    ans.fd = -1;
    snprintf(ans.target, sizeof(ans.target), "%s", tool);
    const wd_policy *policy = in->broker.policy;
    const char *locked = wd_watch_lockdown(in->broker.watch);
    if (locked) {
        snprintf(ans.reason, sizeof(ans.reason), "%s", locked);
    } else if (in->broker.pure) {
        snprintf(ans.reason, sizeof(ans.reason), "a policy plugin is granted nothing");
    } else if (!policy || !wd_policy_lists_tools(policy)) {
        ans.allowed = 1;
        snprintf(ans.reason, sizeof(ans.reason),
                 "the policy lists no tools: every tool the server lists may be called");
    } else {
        wd_request req = {.kind = WD_REQ_TOOL, .tool = tool};
        wd_final f;
        if (wd_broker_verdict(&in->broker, &ans, &req, "call", tool, &f) != 0) {
            snprintf(ans.reason, sizeof(ans.reason), "the request is malformed: %s",
                     wd_error_last()->message);
        } else {
            ans.allowed = f.d.effect == WD_ALLOW;
            snprintf(ans.reason, sizeof(ans.reason), "%.*s", (int)sizeof(ans.reason) - 1, f.why);
        }
    }
    if (!ans.allowed)
        snprintf(ans.what, sizeof(ans.what), "call");
    int rc = in->opts.audit ? wd_call_audit(in, "BROKER_DECISION",
                                            ans.allowed ? WD_SEVERITY_LOW : WD_SEVERITY_MEDIUM,
                                            corr, wd_call_decision_details("call", -1, &ans))
                            : 0;
    if (rc && ans.allowed) {
        ans.allowed = 0; /* what cannot be recorded is not granted */
        snprintf(ans.reason, sizeof(ans.reason), "the audit log cannot record it");
    }
    size_t n = strnlen(ans.reason, size - 1);
    memcpy(why, ans.reason, n);
    why[n] = 0;
    return ans.allowed;
}

static int listed(const wd_mcp_session *s, const char *tool)
{
    size_t i;
    json_t *t;
    json_array_foreach(s->tools, i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "name")), tool) == 0)
            return 1;
    }
    return 0;
}

static int input_refused(wd_call_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int input_refused(wd_call_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof(res->message), fmt, ap);
    va_end(ap);
    return WD_S_INPUT;
}

/* The call's input: {"tool": NAME, "arguments": {...}}, nothing else. */
static int read_input(const char *input, size_t len, wd_call_result *res, json_t **root,
                      const char **tool, json_t **args)
{
    static const char shape[] = "an MCP server plugin's input is {\"tool\": NAME, \"arguments\": "
                                "{...}}";
    json_error_t err;
    *root = json_loadb(input, len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(*root))
        return input_refused(res, "%s: %s", shape, *root ? "not an object" : err.text);
    const char *key;
    json_t *v;
    json_object_foreach(*root, key, v)
    {
        if (strcmp(key, "tool") != 0 && strcmp(key, "arguments") != 0)
            return input_refused(res, "%s: unknown key \"%.64s\"", shape, key);
    }
    json_t *t = json_object_get(*root, "tool");
    *args = json_object_get(*root, "arguments");
    if (!json_is_string(t))
        return input_refused(res, "%s: tool must be a string", shape);
    if (*args && !json_is_null(*args) && !json_is_object(*args))
        return input_refused(res, "%s: arguments must be an object", shape);
    if (!wd_mcp_tool_name_ok(json_string_value(t), json_string_length(t)))
        return input_refused(res,
                             "tool \"%.128s\" is not a tool name (1 to %d of A-Z a-z 0-9 _ - .)",
                             json_string_value(t), WD_MCP_TOOL_NAME_MAX);
    if (json_is_null(*args))
        *args = NULL;
    *tool = json_string_value(t);
    return 0;
}

/* The first text block of a tool's error result, for the call's message. */
static const char *error_text(json_t *result)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(result, "content"), i, c)
    {
        json_t *text = json_object_get(c, "text");
        if (json_is_string(text))
            return json_string_value(text);
    }
    return "(no text)";
}

/* The server's answer to tools/call: its result (or error) as the output. */
static int take_answer(wd_instance *in, exchange *x, const char *tool, wd_buf *out)
{
    wd_mcp_msg *a = &x->answer;
    json_t *body = a->kind == WD_MCP_RESULT ? a->result : a->error;
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int code = 0;
    char shown[ERROR_TEXT];
    if (!text) {
        snprintf(x->res->message, sizeof(x->res->message), "out of memory");
        code = WD_S_SETUP;
    } else if (strlen(text) > in->output_max) {
        snprintf(x->res->message, sizeof(x->res->message),
                 "output exceeded its limit of %llu bytes", (unsigned long long)in->output_max);
        code = WD_S_OUTPUT;
    } else if (a->kind == WD_MCP_ERROR) {
        one_line(a->error_message, shown, sizeof(shown));
        snprintf(x->res->message, sizeof(x->res->message),
                 "the server answered tools/call %s with error %lld: %s", tool, a->error_code,
                 shown);
        code = WD_S_FAILED;
    } else if (json_is_true(json_object_get(a->result, "isError"))) {
        one_line(error_text(a->result), shown, sizeof(shown));
        snprintf(x->res->message, sizeof(x->res->message), "tool %s reported an error: %s", tool,
                 shown);
        code = WD_S_FAILED;
    }
    if (text && code != WD_S_OUTPUT)
        wd_buf_puts(out, text);
    free(text);
    wd_mcp_msg_clear(a);
    return code;
}

int wd_mcp_call(wd_instance *in, const char *input, size_t len, uint64_t deadline,
                wd_call_result *res, wd_buf *out)
{
    wd_mcp_session *s = session(in);
    if (!s) {
        snprintf(res->message, sizeof(res->message), "out of memory");
        return WD_S_SETUP;
    }
    begin(in, s);
    json_t *root = NULL, *args = NULL;
    const char *tool = NULL;
    int code = read_input(input, len, res, &root, &tool, &args);
    char why[sizeof(res->message)];
    if (!code && !decide_tool(in, tool, res->correlation_id, why, sizeof(why))) {
        snprintf(res->message, sizeof(res->message), "the policy refuses tool %.128s: %.330s", tool,
                 why);
        code = WD_S_TOOL;
    }
    if (!code)
        code = greet(in, s, res, deadline);
    if (!code && !listed(s, tool))
        code = input_refused(res, "the server lists no tool %s", tool);
    exchange x = {.in = in, .s = s, .res = res};
    if (!code) {
        json_t *params = args ? json_pack("{s:s, s:O}", "name", tool, "arguments", args)
                              : json_pack("{s:s, s:{}}", "name", tool, "arguments");
        code = params ? ask(in, &x, NULL, "tools/call", params, deadline) : WD_S_SETUP;
        if (!params)
            snprintf(res->message, sizeof(res->message), "out of memory");
    }
    if (!code)
        code = take_answer(in, &x, tool, out);
    wd_mcp_msg_clear(&x.answer);
    json_decref(root);
    res->requests = in->med.requests;
    res->denied = in->med.denied;
    return code;
}
