/* mcp.c: the Model Context Protocol server over stdio (mcp.h): framing, JSON-RPC 2.0, the two
 * protocol eras, and the tools — one per plugin, plus warden's own decision and policy tools.
 *
 * Requests are answered one at a time, in order: stdio has one client, and every plugin call
 * is bounded by the invoke timeout. Everything the client sends is hostile until checked:
 * lines are bounded, UTF-8 is checked before JSON, duplicate keys are refused (two parsers
 * could read two different requests), and every field is type-checked before use. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "daemon/mcp.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "warden/engine.h"

/* JSON-RPC 2.0's codes, and MCP's for a revision the server does not speak. -32002 (used by
 * some servers for "not initialized") is avoided: MCP reserves it for "resource not found". */
enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_UNSUPPORTED_VERSION = -32022,
};

/* Handshake-era revisions served after initialize, newest first. 2025-03-26 and older are
 * not offered: they allow JSON-RPC batches, which this server refuses. */
static const char *const legacy_versions[] = {"2025-11-25", "2025-06-18"};
#define NLEGACY (sizeof(legacy_versions) / sizeof(*legacy_versions))

#define META_VERSION "io.modelcontextprotocol/protocolVersion"
#define META_CAPS "io.modelcontextprotocol/clientCapabilities"
#define META_SERVER "io.modelcontextprotocol/serverInfo"
#define META_CORRELATION "dev.warden/correlationId"

#define INSTRUCTIONS                                                                               \
    "warden runs each plugin in a fresh sandbox under its capability policy and records what "     \
    "it decides in a tamper-evident audit log. Tools named plugin_* call one plugin (the "         \
    "arguments are its JSON input, its output the result). warden_check says whether a "           \
    "component may perform one operation, and why; warden_policy_get shows a component's "         \
    "policy; warden_grant and warden_revoke change it. The tools offered depend on this "          \
    "client's role."

/* ---- the session ------------------------------------------------------------------------ */

typedef struct {
    wdd_daemon *d;
    const char *tenant;
    wdd_role role;
    int out_fd;
    int out_error;      /* errno of a failed write: the client is gone */
    const char *legacy; /* the revision initialize agreed on, or NULL */
} session;

/* One request being answered. */
typedef struct {
    session *s;
    json_t *id;
    bool modern; /* 2026-07-28: results carry resultType and the server's identity */
} request;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wardend: mcp: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* What the client sent, fit for a log line: control characters (an ESC could rewrite the
 * operator's terminal) become '?', and it is cut at size - 1 bytes. */
static const char *shown(const char *s, char *buf, size_t size)
{
    size_t n = 0;
    if (!s)
        return "?";
    for (; s[n] && n + 1 < size; n++)
        buf[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? '?' : s[n];
    buf[n] = '\0';
    return buf;
}

/* A JSON string from bytes that may not be UTF-8 (file names, messages quoting them): bytes
 * that are not become "\xNN" rather than losing the whole string. */
static json_t *jstrn(const char *s, size_t len)
{
    size_t bad;
    if (wd_utf8_valid(s, len, &bad))
        return json_stringn(s, len);
    wd_buf b = WD_BUF_INIT;
    wd_utf8_escape(&b, s, len);
    json_t *j = b.oom ? NULL : json_stringn(b.data, b.len);
    wd_buf_free(&b);
    return j;
}

static json_t *jstr(const char *s)
{
    return jstrn(s ? s : "", s ? strlen(s) : 0);
}

static void write_all(session *s, const char *p, size_t n)
{
    while (n && !s->out_error) {
        ssize_t w = write(s->out_fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s->out_error = w < 0 ? errno : EIO;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* One message, one line: jansson escapes every control character inside strings, so the
 * compact form never holds a newline. */
static void send_msg(session *s, json_t *msg)
{
    char *text = msg ? json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(msg);
    if (!text) {
        static const char oom[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
                                  "\"message\":\"out of memory\"}}\n";
        write_all(s, oom, sizeof(oom) - 1);
        return;
    }
    write_all(s, text, strlen(text));
    write_all(s, "\n", 1);
    free(text);
}

static void reply_error(session *s, json_t *id, int code, json_t *data, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void reply_error(session *s, json_t *id, int code, json_t *data, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *err = json_pack("{s:i, s:o}", "code", code, "message", jstr(msg));
    if (err && data)
        json_object_set_new(err, "data", data);
    else
        json_decref(data);
    send_msg(s, json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id", id, "error", err));
}

static json_t *server_info(void)
{
    return json_pack("{s:s, s:s, s:s}", "name", "wardend", "title", "warden", "version",
                     WD_VERSION_STRING);
}

static void reply(request *r, json_t *result)
{
    if (result && r->modern) {
        json_object_set_new(result, "resultType", json_string("complete"));
        json_t *meta = json_object_get(result, "_meta");
        if (!meta) {
            meta = json_object();
            json_object_set_new(result, "_meta", meta);
        }
        json_object_set_new(meta, META_SERVER, server_info());
    }
    send_msg(r->s, json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", r->id, "result", result));
}

/* ---- tool results ----------------------------------------------------------------------- */

static json_t *text_block(json_t *text)
{
    return json_pack("{s:s, s:o}", "type", "text", "text", text);
}

/* A tool result: the text blocks, structured content (may be NULL), and whether the tool
 * failed. Failures of the tool itself are results, not protocol errors, so the model sees
 * them and can correct its call. */
static void reply_tool(request *r, json_t *content, json_t *structured, bool is_error)
{
    json_t *res = json_pack("{s:o, s:b}", "content", content, "isError", is_error);
    if (res && structured)
        json_object_set_new(res, "structuredContent", structured);
    else
        json_decref(structured);
    reply(r, res);
}

static void tool_error(request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tool_error(request *r, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply_tool(r, json_pack("[o]", text_block(jstr(msg))), NULL, true);
}

/* Structured content and, as the specification asks, the same as serialized JSON text. */
static void reply_structured(request *r, json_t *structured, bool is_error)
{
    char *text = structured ? json_dumps(structured, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!text) {
        json_decref(structured);
        reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "out of memory");
        return;
    }
    reply_tool(r, json_pack("[o]", text_block(json_string(text))), structured, is_error);
    free(text);
}

/* The engine's last error as a tool failure, except what only the server could fix (memory,
 * a log or store that cannot be written): those are the server's errors, not the call's. */
static void engine_failure(request *r, int rc)
{
    const wd_error *e = wd_error_last();
    if (rc == WD_ENOMEM || rc == WD_EIO) {
        reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "%s", e->message);
        return;
    }
    if (e->id && e->id[0])
        tool_error(r, "%s: %s", e->id, e->message);
    else
        tool_error(r, "%s: %s", wd_strerror(rc), e->message);
}

/* ---- arguments -------------------------------------------------------------------------- */

/* args[key] as a non-empty string without NUL; NULL (with why filled) when it is missing but
 * required, or of the wrong type. */
static const char *arg_string(json_t *args, const char *key, bool required, char *why, size_t size)
{
    json_t *v = args ? json_object_get(args, key) : NULL;
    if (!v && !required)
        return NULL;
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(why, size, "\"%s\" must be a non-empty string", key);
        return NULL;
    }
    return json_string_value(v);
}

static bool only_keys(json_t *args, const char *const *allowed, char *why, size_t size)
{
    const char *key;
    json_t *v;
    json_object_foreach(args, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            snprintf(why, size, "unknown argument \"%.64s\"", key);
            return false;
        }
    }
    return true;
}

/* ---- the tenant ------------------------------------------------------------------------- */

static wdd_tenant_rt *tenant_of(request *r, wdd_state *st)
{
    wdd_tenant_rt *t = wdd_state_tenant(st, r->s->tenant);
    if (!t)
        reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL,
                    "tenant %s is no longer configured (the configuration was reloaded)",
                    r->s->tenant);
    return t;
}

static bool allowed(request *r, const char *tool, wdd_role need)
{
    if (r->s->role >= need)
        return true;
    tool_error(r, "forbidden: %s needs the %s role (this client is %s)", tool, wdd_role_name(need),
               wdd_role_name(r->s->role));
    return false;
}

/* ---- plugins as tools ------------------------------------------------------------------- */

enum { TOOL_NAME_MAX = 64, HASH_HEX = 16 };
#define PLUGIN_PREFIX "plugin_"

typedef struct {
    char *id, *version;
    wd_plugin_type type;
    wd_security_level level;
    char name[TOOL_NAME_MAX + 1];
    bool ambiguous;
} plugin;

typedef struct {
    plugin *v;
    size_t n, cap;
} plugin_list;

/* The tool name of a component. Ids are [a-z][a-z0-9._-]{0,127}; tool names keep to
 * [A-Za-z0-9_-]{1,64}, the strictest rule clients enforce (MCP itself allows '.' and 128
 * characters, some clients refuse both). '.' becomes '_' and '_' becomes "_U": ids have no
 * capitals, so the name reads back to exactly one id. An id too long for that is cut and
 * ends in "_X" and 16 hex digits of its SHA-256, a form no short id can take; calls find
 * their plugin by looking every component's name up, never by decoding. */
static int tool_name(const char *id, char out[static TOOL_NAME_MAX + 1])
{
    wd_buf b = WD_BUF_INIT;
    wd_buf_puts(&b, PLUGIN_PREFIX);
    for (const char *p = id; *p; p++) {
        if (*p == '.')
            wd_buf_putc(&b, '_');
        else if (*p == '_')
            wd_buf_puts(&b, "_U");
        else
            wd_buf_putc(&b, *p);
    }
    int rc = b.oom ? wd_fail(WD_ENOMEM, "out of memory") : 0;
    if (!rc && b.len <= TOOL_NAME_MAX) {
        memcpy(out, b.data, b.len + 1);
    } else if (!rc) {
        static const char hex[] = "0123456789ABCDEF";
        uint8_t h[WD_SHA256_LEN];
        wd_hasher *hs = NULL;
        rc = wd_hasher_new(&hs);
        if (!rc)
            rc = wd_sha256(hs, id, strlen(id), h);
        wd_hasher_free(hs);
        size_t keep = TOOL_NAME_MAX - 2 - HASH_HEX;
        memcpy(out, b.data, keep);
        out[keep] = '_';
        out[keep + 1] = 'X';
        for (size_t i = 0; !rc && i < HASH_HEX / 2; i++) {
            out[keep + 2 + 2 * i] = hex[h[i] >> 4];
            out[keep + 3 + 2 * i] = hex[h[i] & 15];
        }
        out[TOOL_NAME_MAX] = '\0';
    }
    wd_buf_free(&b);
    return rc;
}

static int collect(const wd_engine_component *c, void *ctx)
{
    plugin_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        plugin *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return WD_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    plugin *p = &l->v[l->n];
    memset(p, 0, sizeof(*p));
    p->type = c->type;
    p->level = c->level;
    if (!(p->id = strdup(c->id)) || !(p->version = strdup(c->version))) {
        free(p->id);
        return WD_ENOMEM;
    }
    l->n++;
    return 0;
}

static void plugins_free(plugin_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].id);
        free(l->v[i].version);
    }
    free(l->v);
}

/* The tenant's components with their tool names. Copied out first: describe() and invoke
 * must not run inside wd_engine_components(), which holds the engine's read lock. */
static int plugins_load(wd_engine *e, plugin_list *l)
{
    memset(l, 0, sizeof(*l));
    int rc = wd_engine_components(e, collect, l);
    if (rc == WD_ENOMEM)
        rc = wd_fail(WD_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < l->n; i++)
        rc = tool_name(l->v[i].id, l->v[i].name);
    /* Only the hashed form can repeat, and only by a SHA-256 prefix collision: both are
     * withheld rather than one shadowing the other. */
    for (size_t i = 0; !rc && i < l->n; i++)
        for (size_t j = i + 1; strstr(l->v[i].name, "_X") && j < l->n; j++)
            if (strcmp(l->v[i].name, l->v[j].name) == 0)
                l->v[i].ambiguous = l->v[j].ambiguous = true;
    return rc;
}

/* What describe() says of a plugin: a JSON object with "description" and an input schema
 * ("inputSchema" or "input_schema", an object schema), or plain text taken as the
 * description. Anything else is ignored, with a note. */
static void parse_describe(const plugin *p, const char *text, json_t **desc, json_t **schema)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (json_is_object(j)) {
        json_t *d = json_object_get(j, "description");
        json_t *s = json_object_get(j, "inputSchema");
        if (!s)
            s = json_object_get(j, "input_schema");
        json_t *type = json_object_get(s, "type");
        if (json_is_string(d))
            *desc = json_incref(d);
        if (json_is_object(s) && json_is_string(type) &&
            strcmp(json_string_value(type), "object") == 0)
            *schema = json_incref(s);
        else if (s)
            note("describe() of %s: the input schema is not an object schema (type \"object\"): "
                 "listed with {\"type\":\"object\"}",
                 p->id);
    } else if (text[0] && !j) {
        *desc = jstr(text);
    } else if (j) {
        note("describe() of %s is JSON but not an object: ignored", p->id);
    }
    json_decref(j);
}

static json_t *plugin_tool(wd_engine *e, const plugin *p)
{
    char *text = NULL;
    json_t *desc = NULL, *schema = NULL;
    if (wd_engine_describe(e, p->id, &text) != 0)
        note("describe() of %s failed (listed with a generic description): %s", p->id,
             wd_error_last()->message);
    else
        parse_describe(p, text, &desc, &schema);
    free(text);
    char about[512];
    snprintf(about, sizeof(about),
             "warden plugin %s %s (%s, %s): each call runs in a fresh sandbox under the "
             "plugin's policy; the arguments are its JSON input.",
             p->id, p->version, wd_plugin_type_name(p->type), wd_security_level_name(p->level));
    json_t *full = desc ? json_sprintf("%s\n\n%s", json_string_value(desc), about) : NULL;
    if (!full)
        full = jstr(about);
    json_decref(desc);
    if (!schema)
        schema = json_pack("{s:s}", "type", "object");
    return json_pack("{s:s, s:s, s:o, s:o}", "name", p->name, "title", p->id, "description", full,
                     "inputSchema", schema);
}

/* ---- warden's own tools ----------------------------------------------------------------- */

static void tool_check(request *r, json_t *args);
static void tool_policy_get(request *r, json_t *args);
static void tool_grant(request *r, json_t *args);
static void tool_revoke(request *r, json_t *args);

#define COMPONENT_SCHEMA                                                                           \
    "\"component\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 128, "                 \
    "\"description\": \"the component: a plugin id such as examples.reader\"}"
#define GRANT_SCHEMA(access_description)                                                           \
    "{\"type\": \"object\", \"properties\": {" COMPONENT_SCHEMA ", "                               \
    "\"kind\": {\"type\": \"string\", \"enum\": [\"storage\", \"network\", \"environment\"]}, "    \
    "\"value\": {\"type\": \"string\", \"minLength\": 1, \"description\": \"storage: an fs:// "    \
    "URI (fs:///srv/data/** or relative to the policy store); network: a host pattern "            \
    "(api.example.com, *.example.com, an IP address) or a CIDR; environment: a variable "          \
    "name\"}, "                                                                                    \
    "\"access\": {\"type\": \"array\", \"minItems\": 1, \"uniqueItems\": true, \"items\": "        \
    "{\"type\": \"string\", \"enum\": [\"read\", \"write\", \"execute\", \"create\", "             \
    "\"delete\"]}, \"description\": \"" access_description "\"}}, "                                \
    "\"required\": [\"component\", \"kind\", \"value\"], \"additionalProperties\": false}"

typedef struct {
    const char *name, *title, *description;
    const char *schema; /* JSON */
    wdd_role role;
    bool read_only, destructive;
    void (*fn)(request *r, json_t *args);
} own_tool;

static const own_tool own_tools[] = {
    {"warden_check", "Check one operation",
     "Decides whether a component may perform one operation under its current policy, and "
     "explains why: the deciding rule, or why no rule matched. Verbs: read, write, execute, "
     "create, delete (target: an absolute path), connect (target: [scheme://]host[:port]), env "
     "(target: a variable name). A denial that an approver could override names its "
     "operation id.",
     "{\"type\": \"object\", \"properties\": {" COMPONENT_SCHEMA ", "
     "\"verb\": {\"type\": \"string\", \"enum\": [\"read\", \"write\", \"execute\", \"create\", "
     "\"delete\", \"connect\", \"env\"]}, "
     "\"target\": {\"type\": \"string\", \"minLength\": 1, \"description\": \"an absolute path, "
     "[scheme://]host[:port], or an environment variable name\"}}, "
     "\"required\": [\"component\", \"verb\", \"target\"], \"additionalProperties\": false}",
     WDD_ROLE_READER, true, false, tool_check},
    {"warden_policy_get", "Show a policy",
     "Shows a component's capability policy (YAML) and where it comes from: its own "
     "(component), its contract's (base), its plugin type's default (default), or none.",
     "{\"type\": \"object\", \"properties\": {" COMPONENT_SCHEMA "}, "
     "\"required\": [\"component\"], \"additionalProperties\": false}",
     WDD_ROLE_READER, true, false, tool_policy_get},
    {"warden_grant", "Grant a capability",
     "Adds an allow rule to a component's policy: storage (with access), network or "
     "environment. The change is validated, written atomically, audited and in force at once. "
     "Protected paths stay denied whatever is granted.",
     GRANT_SCHEMA("storage only, required: the accesses to allow"), WDD_ROLE_ADMIN, false, false,
     tool_grant},
    {"warden_revoke", "Revoke a capability",
     "Removes allow rules from a component's policy: a storage URI (only the accesses given, "
     "or the whole rule), a network host or an environment variable. Validated, written "
     "atomically, audited and in force at once.",
     GRANT_SCHEMA("storage only: the accesses to remove; omitted, the whole rule goes"),
     WDD_ROLE_ADMIN, false, true, tool_revoke},
};
#define NOWN (sizeof(own_tools) / sizeof(*own_tools))

static json_t *own_tool_json(const own_tool *t)
{
    json_error_t err;
    json_t *schema = json_loads(t->schema, 0, &err);
    if (!schema) /* a bug in the table above: loud, never a silent empty schema */
        note("the input schema of %s does not parse: %s", t->name, err.text);
    return json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:b, s:b, s:b, s:b}}", "name", t->name, "title",
                     t->title, "description", t->description, "inputSchema", schema, "annotations",
                     "title", t->title, "readOnlyHint", t->read_only, "destructiveHint",
                     t->destructive, "idempotentHint", true, "openWorldHint", false);
}

/* ---- the verdict of warden_check -------------------------------------------------------- */

typedef struct {
    const char *component;
    const wd_check_query *q;
    json_t *out;
    int error;
    bool allow;
} verdict_ctx;

static int capture(void *ctx, size_t i, const wd_verdict *v)
{
    (void)i;
    verdict_ctx *c = ctx;
    json_t *rule = json_null();
    if (v->rule)
        rule = json_pack("{s:o, s:i, s:i, s:o}", "file", jstr(v->rule->file), "line",
                         (int)v->rule->line, "column", (int)v->rule->column, "text",
                         jstr(v->rule->text));
    c->allow = v->effect == WD_ALLOW && !v->error;
    c->error = v->error;
    c->out = json_pack("{s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "component", jstr(c->component),
                       "verb", jstr(c->q->verb), "target", jstr(c->q->target), "decision",
                       c->allow ? "allow" : "deny", "reason", jstr(v->reason), "explanation",
                       jstr(v->explanation), "rule", rule);
    if (c->out && v->operation && v->operation[0])
        json_object_set_new(c->out, "operation", jstr(v->operation));
    return c->out ? 0 : WD_ENOMEM;
}

/* The metrics' kind of a query, as the HTTP API counts it. */
static int kind_of(const char *verb, int error)
{
    if (error)
        return WDD_KIND_INVALID;
    if (strcmp(verb, "connect") == 0)
        return WDD_KIND_NETWORK;
    if (strcmp(verb, "env") == 0)
        return WDD_KIND_ENVIRONMENT;
    return WDD_KIND_STORAGE;
}

static void tool_check(request *r, json_t *args)
{
    static const char *const keys[] = {"component", "verb", "target", NULL};
    char why[160];
    const char *comp = NULL, *verb = NULL, *target = NULL;
    if (!only_keys(args, keys, why, sizeof(why)) ||
        !(comp = arg_string(args, "component", true, why, sizeof(why))) ||
        !(verb = arg_string(args, "verb", true, why, sizeof(why))) ||
        !(target = arg_string(args, "target", true, why, sizeof(why)))) {
        tool_error(r, "invalid arguments: %s", why);
        return;
    }
    wdd_daemon *d = r->s->d;
    wdd_state *st = wdd_state_acquire(d);
    wdd_tenant_rt *t = tenant_of(r, st);
    if (t) {
        wd_check_query q = {verb, target};
        verdict_ctx c = {comp, &q, NULL, 0, false};
        uint64_t start = wd_time_mono_ns();
        int rc = wd_engine_check(t->engine, comp, &q, 1, capture, &c);
        if (rc == 0) {
            wdd_metrics_decisions(t->metrics, kind_of(verb, c.error), c.allow, 1);
            wdd_metrics_decision_latency(d->metrics, wd_time_mono_ns() - start);
            /* A malformed query is denied by the engine; to the model it is a mistake to fix. */
            reply_structured(r, c.out, c.error != 0);
        } else {
            json_decref(c.out);
            if (rc == WD_EIO) /* nothing is answered that the log could not record */
                wdd_metrics_audit_error(t->metrics);
            engine_failure(r, rc);
        }
    }
    wdd_state_release(d, st);
}

/* ---- policies ----------------------------------------------------------------------------- */

static json_t *policy_json(wd_engine *e, const char *component, int *rc)
{
    char *yaml = NULL;
    size_t len = 0;
    const char *source = NULL;
    *rc = wd_engine_policy_get(e, component, &yaml, &len, &source);
    json_t *j = *rc ? NULL
                    : json_pack("{s:o, s:s, s:o}", "component", jstr(component), "source",
                                source ? source : "none", "policy", jstrn(yaml, len));
    free(yaml);
    if (!*rc && !j)
        *rc = WD_ENOMEM;
    return j;
}

static void tool_policy_get(request *r, json_t *args)
{
    static const char *const keys[] = {"component", NULL};
    char why[160];
    const char *comp = NULL;
    if (!only_keys(args, keys, why, sizeof(why)) ||
        !(comp = arg_string(args, "component", true, why, sizeof(why)))) {
        tool_error(r, "invalid arguments: %s", why);
        return;
    }
    wdd_state *st = wdd_state_acquire(r->s->d);
    wdd_tenant_rt *t = tenant_of(r, st);
    int rc = 0;
    json_t *j = t ? policy_json(t->engine, comp, &rc) : NULL;
    if (t && rc)
        engine_failure(r, rc);
    else if (t)
        reply_structured(r, j, false);
    wdd_state_release(r->s->d, st);
}

static const struct {
    const char *name;
    wd_rule_kind kind;
} kinds[] = {{"storage", WD_RULE_STORAGE},
             {"network", WD_RULE_NETWORK},
             {"environment", WD_RULE_ENVIRONMENT}};

/* The arguments of warden_grant/warden_revoke as a wd_grant; false with why filled. */
static bool parse_grant(json_t *args, bool revoke, wd_grant *g, const char **comp, char *why,
                        size_t size)
{
    static const char *const keys[] = {"component", "kind", "value", "access", NULL};
    const char *kind = NULL;
    if (!only_keys(args, keys, why, size) ||
        !(*comp = arg_string(args, "component", true, why, size)) ||
        !(kind = arg_string(args, "kind", true, why, size)) ||
        !(g->value = arg_string(args, "value", true, why, size)))
        return false;
    size_t k = 0;
    while (k < sizeof(kinds) / sizeof(*kinds) && strcmp(kinds[k].name, kind) != 0)
        k++;
    if (k == sizeof(kinds) / sizeof(*kinds)) {
        snprintf(why, size, "\"kind\" must be storage, network or environment");
        return false;
    }
    g->kind = kinds[k].kind;
    g->access = 0;
    json_t *acc = json_object_get(args, "access");
    if (g->kind != WD_RULE_STORAGE) {
        if (acc)
            snprintf(why, size, "\"access\" applies to storage only");
        return !acc;
    }
    if ((!acc && !revoke) || (acc && (!json_is_array(acc) || json_array_size(acc) == 0))) {
        snprintf(why, size,
                 "\"access\" must be a non-empty list of read, write, execute, "
                 "create, delete");
        return false;
    }
    size_t i;
    json_t *a;
    json_array_foreach(acc, i, a)
    {
        unsigned bit;
        if (!json_is_string(a) || wd_access_parse(json_string_value(a), &bit) != 0) {
            snprintf(why, size, "access[%zu] is not read, write, execute, create or delete", i);
            return false;
        }
        g->access |= bit;
    }
    return true;
}

static void change(request *r, json_t *args, bool revoke)
{
    char why[160];
    wd_grant g = {0, NULL, 0};
    const char *comp = NULL;
    if (!parse_grant(args, revoke, &g, &comp, why, sizeof(why))) {
        tool_error(r, "invalid arguments: %s", why);
        return;
    }
    /* Under the daemon's change lock, on the state current then: a reload never reads a
     * policy file halfway through this change, and one that finished before it started has
     * the engines the change must reach. */
    wdd_daemon *d = r->s->d;
    pthread_mutex_lock(&d->change_mu);
    wdd_state *st = wdd_state_acquire(d);
    wdd_tenant_rt *t = tenant_of(r, st);
    if (t) {
        int rc =
            revoke ? wd_engine_revoke(t->engine, comp, &g) : wd_engine_grant(t->engine, comp, &g);
        json_t *j = rc ? NULL : policy_json(t->engine, comp, &rc);
        if (rc) {
            engine_failure(r, rc);
        } else {
            json_t *access = json_array();
            for (unsigned bit = 1; bit <= WD_ACCESS_DELETE; bit <<= 1)
                if (g.access & bit)
                    json_array_append_new(access, json_string(wd_access_name(bit)));
            json_object_set_new(j, "change", json_string(revoke ? "revoke" : "grant"));
            json_object_set_new(j, "kind", json_string(kinds[g.kind - 1].name));
            json_object_set_new(j, "value", jstr(g.value));
            json_object_set_new(j, "access", access);
            reply_structured(r, j, false);
        }
    }
    wdd_state_release(d, st);
    pthread_mutex_unlock(&d->change_mu);
}

static void tool_grant(request *r, json_t *args)
{
    change(r, args, false);
}

static void tool_revoke(request *r, json_t *args)
{
    change(r, args, true);
}

/* ---- calling a plugin ------------------------------------------------------------------- */

static void base64(wd_buf *out, const unsigned char *p, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {a[v >> 18 & 63], a[v >> 12 & 63], i + 1 < n ? a[v >> 6 & 63] : '=',
                     i + 2 < n ? a[v & 63] : '='};
        wd_buf_append(out, q, 4);
    }
}

/* The plugin's output as text blocks: itself when it is UTF-8, else a note and its base64. */
static bool add_output(json_t *content, const char *out, size_t len)
{
    size_t bad;
    if (wd_utf8_valid(out, len, &bad))
        return json_array_append_new(content, text_block(json_stringn(out, len))) == 0;
    char head[160];
    snprintf(head, sizeof(head),
             "The plugin's output is not UTF-8 text (byte %zu); its %zu bytes follow in base64.",
             bad + 1, len);
    wd_buf b = WD_BUF_INIT;
    base64(&b, (const unsigned char *)out, len);
    bool ok = !b.oom && json_array_append_new(content, text_block(json_string(head))) == 0 &&
              json_array_append_new(content, text_block(json_stringn(b.data, b.len))) == 0;
    wd_buf_free(&b);
    return ok;
}

static void invoke(request *r, wdd_tenant_rt *t, const plugin *p, json_t *args)
{
    json_t *empty = args ? NULL : json_object();
    char *input = json_dumps(args ? args : empty, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(empty);
    if (!input) {
        reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "out of memory");
        return;
    }
    wd_call_result res;
    int rc = wd_engine_invoke(t->engine, p->id, input, strlen(input), NULL, &res);
    free(input);
    if (rc && rc != WD_ESANDBOX) { /* it never ran: no invocation to count, as over HTTP */
        wd_call_result_clear(&res);
        engine_failure(r, rc);
        return;
    }
    wdd_metrics_invocation(t->metrics, rc == 0, res.code, res.duration_ns);
    json_t *content = json_array();
    bool ok = content != NULL;
    if (ok && rc) { /* contained, or execute() failed: the code, then what the plugin said */
        char head[600];
        snprintf(head, sizeof(head), "%s: %s", res.code && res.code[0] ? res.code : "WD-S",
                 res.message);
        ok = json_array_append_new(content, text_block(jstr(head))) == 0;
    }
    if (ok && (res.output_len || !rc))
        ok = add_output(content, res.output ? res.output : "", res.output_len);
    json_t *result = ok ? json_pack("{s:o, s:b}", "content", content, "isError", rc != 0) : NULL;
    if (!ok)
        json_decref(content);
    if (result && res.correlation_id[0])
        json_object_set_new(result, "_meta",
                            json_pack("{s:s}", META_CORRELATION, res.correlation_id));
    wd_call_result_clear(&res);
    if (result)
        reply(r, result);
    else
        reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "out of memory");
}

static void call_plugin(request *r, const char *name, json_t *args)
{
    wdd_daemon *d = r->s->d;
    wdd_state *st = wdd_state_acquire(d);
    wdd_tenant_rt *t = tenant_of(r, st);
    plugin_list l = {NULL, 0, 0};
    int rc = t ? plugins_load(t->engine, &l) : 0;
    const plugin *hit = NULL;
    for (size_t i = 0; t && !rc && i < l.n && !hit; i++)
        if (strcmp(l.v[i].name, name) == 0)
            hit = &l.v[i];
    if (!t) {
        /* answered */
    } else if (rc) {
        reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "%s", wd_error_last()->message);
    } else if (!hit) {
        reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL, "unknown tool: %s", name);
    } else if (hit->ambiguous) {
        reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL,
                    "tool %s names more than one plugin: refused", name);
    } else if (allowed(r, name, WDD_ROLE_OPERATOR)) {
        invoke(r, t, hit, args);
    }
    plugins_free(&l);
    wdd_state_release(d, st);
}

/* ---- methods ------------------------------------------------------------------------------ */

static json_t *supported_versions(void)
{
    json_t *v = json_pack("[s]", WDD_MCP_PROTOCOL);
    for (size_t i = 0; v && i < NLEGACY; i++)
        json_array_append_new(v, json_string(legacy_versions[i]));
    return v;
}

static void tools_list(request *r, json_t *params)
{
    json_t *cursor = params ? json_object_get(params, "cursor") : NULL;
    if (cursor && !json_is_null(cursor)) {
        reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL,
                    "invalid cursor: tools/list returns every tool at once");
        return;
    }
    json_t *tools = json_array();
    for (size_t i = 0; i < NOWN; i++)
        if (r->s->role >= own_tools[i].role)
            json_array_append_new(tools, own_tool_json(&own_tools[i]));
    wdd_daemon *d = r->s->d;
    wdd_state *st = wdd_state_acquire(d);
    wdd_tenant_rt *t = tenant_of(r, st);
    plugin_list l = {NULL, 0, 0};
    int rc = 0;
    /* Plugins only for those who may call them: a reader's list starts no sandbox. */
    if (t && r->s->role >= WDD_ROLE_OPERATOR && (rc = plugins_load(t->engine, &l)) == 0)
        for (size_t i = 0; i < l.n; i++) {
            if (l.v[i].ambiguous)
                note("plugin %s is not offered: its tool name %s names another plugin too",
                     l.v[i].id, l.v[i].name);
            else
                json_array_append_new(tools, plugin_tool(t->engine, &l.v[i]));
        }
    plugins_free(&l);
    wdd_state_release(d, st);
    if (!t) {
        json_decref(tools);
        return;
    }
    if (rc) {
        json_decref(tools);
        reply_error(r->s, r->id, RPC_INTERNAL_ERROR, NULL, "%s", wd_error_last()->message);
        return;
    }
    json_t *result = json_pack("{s:o}", "tools", tools);
    /* The list changes with a reload and no notification says so: never fresh for long. It
     * depends on the client's role, so no shared cache may keep it. */
    if (result && r->modern) {
        json_object_set_new(result, "ttlMs", json_integer(0));
        json_object_set_new(result, "cacheScope", json_string("private"));
    }
    reply(r, result);
}

static void tools_call(request *r, json_t *params)
{
    json_t *name = params ? json_object_get(params, "name") : NULL;
    json_t *args = params ? json_object_get(params, "arguments") : NULL;
    if (json_is_null(args))
        args = NULL;
    if (!json_is_string(name)) {
        reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL,
                    "tools/call needs params.name (a string)");
        return;
    }
    if (args && !json_is_object(args)) {
        reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL, "params.arguments must be an object");
        return;
    }
    const char *tool = json_string_value(name);
    for (size_t i = 0; i < NOWN; i++)
        if (strcmp(own_tools[i].name, tool) == 0) {
            if (allowed(r, tool, own_tools[i].role))
                own_tools[i].fn(r, args);
            return;
        }
    if (strncmp(tool, PLUGIN_PREFIX, strlen(PLUGIN_PREFIX)) == 0 &&
        json_string_length(name) <= TOOL_NAME_MAX) {
        call_plugin(r, tool, args);
        return;
    }
    reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL, "unknown tool: %.128s", tool);
}

static void discover(request *r)
{
    r->modern = true;
    reply(r, json_pack("{s:o, s:{s:{}}, s:o, s:s, s:i, s:s}", "supportedVersions",
                       supported_versions(), "capabilities", "tools", "serverInfo", server_info(),
                       "instructions", INSTRUCTIONS, "ttlMs", 3600000, "cacheScope", "public"));
}

static void initialize(request *r, json_t *params)
{
    session *s = r->s;
    json_t *want = params ? json_object_get(params, "protocolVersion") : NULL;
    json_t *caps = params ? json_object_get(params, "capabilities") : NULL;
    json_t *info = params ? json_object_get(params, "clientInfo") : NULL;
    if (s->legacy) {
        reply_error(s, r->id, RPC_INVALID_REQUEST, NULL,
                    "invalid request: already initialized (protocol %s)", s->legacy);
        return;
    }
    if (!json_is_string(want) || (caps && !json_is_object(caps)) ||
        (info && !json_is_object(info))) {
        reply_error(s, r->id, RPC_INVALID_PARAMS, NULL,
                    "initialize needs params.protocolVersion (a string), and capabilities and "
                    "clientInfo are objects");
        return;
    }
    /* The client's revision when it is one of ours, else our newest handshake revision;
     * the client disconnects if it cannot speak that. */
    s->legacy = legacy_versions[0];
    for (size_t i = 0; i < NLEGACY; i++)
        if (strcmp(json_string_value(want), legacy_versions[i]) == 0)
            s->legacy = legacy_versions[i];
    char a[65], b[33], c[33];
    note("initialize: client %s %s asked for %s, speaking %s",
         shown(json_string_value(json_object_get(info, "name")), a, sizeof(a)),
         shown(json_string_value(json_object_get(info, "version")), b, sizeof(b)),
         shown(json_string_value(want), c, sizeof(c)), s->legacy);
    reply(r, json_pack("{s:s, s:{s:{}}, s:o, s:s}", "protocolVersion", s->legacy, "capabilities",
                       "tools", "serverInfo", server_info(), "instructions", INSTRUCTIONS));
}

/* A request in the stateless 2026-07-28 revision: everything it needs is in it. */
static void modern(request *r, const char *method, json_t *params, json_t *meta)
{
    if (!json_is_object(json_object_get(meta, META_CAPS))) {
        reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL,
                    "params._meta needs \"" META_CAPS "\" (an object) in protocol %s",
                    WDD_MCP_PROTOCOL);
        return;
    }
    r->modern = true;
    if (strcmp(method, "server/discover") == 0)
        discover(r);
    else if (strcmp(method, "tools/list") == 0)
        tools_list(r, params);
    else if (strcmp(method, "tools/call") == 0)
        tools_call(r, params);
    else /* ping and logging/setLevel too: 2026-07-28 removed them */
        reply_error(r->s, r->id, RPC_METHOD_NOT_FOUND, NULL, "method not found: %.128s", method);
}

/* A request of a handshake revision: tools only after initialize. */
static void legacy(request *r, const char *method, json_t *params)
{
    bool tools = strcmp(method, "tools/list") == 0 || strcmp(method, "tools/call") == 0;
    if (strcmp(method, "ping") == 0) {
        reply(r, json_object());
    } else if (strcmp(method, "server/discover") == 0) {
        discover(r); /* a dual-era client's probe: answered even without its _meta */
    } else if (!tools) {
        reply_error(r->s, r->id, RPC_METHOD_NOT_FOUND, NULL, "method not found: %.128s", method);
    } else if (!r->s->legacy) {
        reply_error(r->s, r->id, RPC_INVALID_REQUEST, NULL,
                    "invalid request: not initialized: send initialize first, or name protocol "
                    "%s in params._meta[\"" META_VERSION "\"]",
                    WDD_MCP_PROTOCOL);
    } else if (strcmp(method, "tools/list") == 0) {
        tools_list(r, params);
    } else {
        tools_call(r, params);
    }
}

static bool is_legacy(const char *v)
{
    for (size_t i = 0; i < NLEGACY; i++)
        if (strcmp(v, legacy_versions[i]) == 0)
            return true;
    return false;
}

static void dispatch(session *s, json_t *id, const char *method, json_t *params)
{
    request r = {s, id, false};
    json_t *meta = params ? json_object_get(params, "_meta") : NULL;
    json_t *version = json_is_object(meta) ? json_object_get(meta, META_VERSION) : NULL;
    if (meta && !json_is_object(meta)) {
        reply_error(s, id, RPC_INVALID_PARAMS, NULL, "params._meta must be an object");
    } else if (strcmp(method, "initialize") == 0) {
        initialize(&r, params); /* always the handshake: it is what selects the legacy era */
    } else if (version && !json_is_string(version)) {
        reply_error(s, id, RPC_INVALID_PARAMS, NULL,
                    "params._meta[\"" META_VERSION "\"] must be a string");
    } else if (version && strcmp(json_string_value(version), WDD_MCP_PROTOCOL) == 0) {
        modern(&r, method, params, meta);
    } else if (version && !is_legacy(json_string_value(version))) {
        reply_error(s, id, RPC_UNSUPPORTED_VERSION,
                    json_pack("{s:o, s:o}", "supported", supported_versions(), "requested",
                              jstr(json_string_value(version))),
                    "Unsupported protocol version");
    } else {
        /* No version, or a handshake revision named per request: served as that era. */
        legacy(&r, method, params);
    }
}

static void notification(session *s, const char *method)
{
    char m[129];
    if (strcmp(method, "notifications/initialized") == 0) {
        /* Nothing waits for it: tools are served once initialize has been answered. */
        if (!s->legacy)
            note("notifications/initialized before initialize: ignored");
    } else if (strcmp(method, "notifications/cancelled") != 0) {
        /* Cancellation needs nothing: requests are answered one at a time, so the one it
         * names has been answered already. Anything else is not ours to act on. */
        note("ignoring notification %s", shown(method, m, sizeof(m)));
    }
}

static bool valid_id(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id);
}

static void handle_message(session *s, json_t *msg)
{
    json_t *id = json_object_get(msg, "id");
    json_t *method = json_object_get(msg, "method");
    json_t *version = json_object_get(msg, "jsonrpc");
    json_t *params = json_object_get(msg, "params");
    bool v2 = json_is_string(version) && strcmp(json_string_value(version), "2.0") == 0;
    if (!method && (json_object_get(msg, "result") || json_object_get(msg, "error"))) {
        note("ignoring a response: this server sends no requests");
    } else if (!id) { /* a notification is never answered, not even when malformed */
        if (v2 && json_is_string(method))
            notification(s, json_string_value(method));
        else
            note("ignoring a malformed notification");
    } else if (!valid_id(id)) {
        reply_error(s, NULL, RPC_INVALID_REQUEST, NULL,
                    "invalid request: \"id\" must be a string or an integer");
    } else if (!v2) {
        reply_error(s, id, RPC_INVALID_REQUEST, NULL,
                    "invalid request: \"jsonrpc\" must be \"2.0\"");
    } else if (!json_is_string(method)) {
        reply_error(s, id, RPC_INVALID_REQUEST, NULL,
                    "invalid request: \"method\" must be a string");
    } else if (params && !json_is_object(params)) {
        reply_error(s, id, RPC_INVALID_PARAMS, NULL, "\"params\" must be an object");
    } else {
        dispatch(s, id, json_string_value(method), params);
    }
}

/* ---- framing ------------------------------------------------------------------------------ */

static void handle_line(session *s, const char *line, size_t len)
{
    size_t i = 0, bad;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == len)
        return; /* a blank line (or the \r of a CRLF) is no message */
    if (!wd_utf8_valid(line, len, &bad)) {
        reply_error(s, NULL, RPC_PARSE_ERROR, NULL,
                    "parse error: the message is not UTF-8 text (byte %zu)", bad + 1);
        return;
    }
    json_error_t err;
    json_t *msg = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!msg)
        reply_error(s, NULL, RPC_PARSE_ERROR, NULL, "parse error at byte %d: %s", err.position + 1,
                    err.text);
    else if (json_is_array(msg))
        reply_error(s, NULL, RPC_INVALID_REQUEST, NULL,
                    "invalid request: batches are not supported (MCP removed JSON-RPC batching "
                    "in 2025-06-18): send one message per line");
    else if (!json_is_object(msg))
        reply_error(s, NULL, RPC_INVALID_REQUEST, NULL,
                    "invalid request: a message is a JSON object");
    else
        handle_message(s, msg);
    json_decref(msg);
}

static void too_large(session *s)
{
    reply_error(s, NULL, RPC_INVALID_REQUEST, NULL,
                "invalid request: a message longer than %u bytes was skipped", WDD_MCP_MAX_MESSAGE);
}

/* Reads newline-delimited messages until end of file. A line past the limit is not kept:
 * its bytes are counted and dropped up to its newline, so memory stays bounded whatever the
 * client sends. */
static int serve_lines(session *s, int fd)
{
    enum { CHUNK = 65536 };
    wd_buf line = WD_BUF_INIT;
    bool skipping = false;
    char *chunk = malloc(CHUNK);
    int rc = chunk ? 0 : wd_fail(WD_ENOMEM, "out of memory");
    while (!rc) {
        ssize_t n = read(fd, chunk, CHUNK);
        if (n < 0 && errno == EINTR && s->d->draining)
            break; /* SIGTERM: stop between messages */
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = wd_fail(WD_EIO, "cannot read the client's messages: %s", strerror(errno));
            break;
        }
        if (n == 0)
            break;
        const char *p = chunk, *end = chunk + n;
        while (p < end && !s->out_error) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t take = (size_t)((nl ? nl : end) - p);
            if (!skipping && (line.len + take > WDD_MCP_MAX_MESSAGE || line.oom)) {
                skipping = true;
                wd_buf_free(&line);
            }
            if (!skipping)
                wd_buf_append(&line, p, take);
            if (nl) {
                if (skipping)
                    too_large(s);
                else if (!line.oom)
                    handle_line(s, wd_buf_cstr(&line), line.len);
                wd_buf_clear(&line);
                skipping = false;
            }
            p = nl ? nl + 1 : end;
        }
        if (s->out_error)
            break;
    }
    if (!rc && !s->out_error) { /* a last message without its newline */
        if (skipping)
            too_large(s);
        else if (line.len)
            handle_line(s, wd_buf_cstr(&line), line.len);
    }
    wd_buf_free(&line);
    free(chunk);
    if (!rc && s->out_error)
        rc = wd_fail(WD_EIO, "cannot write to the client: %s", strerror(s->out_error));
    return rc;
}

int wdd_mcp_serve(wdd_daemon *d, const char *tenant, wdd_role role, int in_fd, int out_fd)
{
    char *only = NULL;
    wdd_state *st = wdd_state_acquire(d);
    size_t ntenants = st->ntenants;
    if (!tenant && ntenants == 1 && !(tenant = only = strdup(st->tenants[0].cfg->name))) {
        wdd_state_release(d, st);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    bool known = tenant && wdd_state_tenant(st, tenant);
    wdd_state_release(d, st);
    if (!known) {
        free(only);
        return tenant ? wd_fail(WD_ENOTFOUND, "no tenant \"%.64s\" is configured", tenant)
                      : wd_fail(WD_ENOTFOUND, "%zu tenants are configured: name one", ntenants);
    }
    session s = {d, tenant, role, out_fd, 0, NULL};
    note("serving tenant %s as %s on stdio (protocol %s; %s and %s after initialize)", tenant,
         wdd_role_name(role), WDD_MCP_PROTOCOL, legacy_versions[0], legacy_versions[1]);
    /* A client that goes away must end this loop with an error, not kill the process: writes
     * to a closed pipe fail with EPIPE while SIGPIPE is blocked, and any SIGPIPE left pending
     * is taken before the mask comes back. */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int rc = serve_lines(&s, in_fd);
    if (!sigismember(&old, SIGPIPE)) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(only);
    return rc;
}
