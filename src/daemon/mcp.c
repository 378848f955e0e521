/* mcp.c: the Model Context Protocol server over stdio (mcp.h): framing, JSON-RPC 2.0 and the two
 * protocol eras. The tools it serves live in mcp_tools.c (warden's own) and mcp_plugins.c (one
 * per plugin).
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

#include "daemon/mcp.h"
#include "daemon/mcp_rpc.h"
#include "daemon/mcp_tools.h"
#include "util/error.h"
#include "util/utf8.h"

/* Handshake-era revisions served after initialize, newest first. 2025-03-26 is the last
 * revision with JSON-RPC batches: a session that agreed on it has its batches answered
 * (BATCH_REVISION); any other refuses them. Older revisions are not offered. */
#define BATCH_REVISION "2025-03-26"
static const char *const legacy_versions[] = {"2025-11-25", "2025-06-18", BATCH_REVISION};
#define NLEGACY (sizeof(legacy_versions) / sizeof(*legacy_versions))

#define INSTRUCTIONS                                                                               \
    "warden runs each plugin in a fresh sandbox under its capability policy and records what "     \
    "it decides in a tamper-evident audit log. Tools named plugin_* call one plugin (the "         \
    "arguments are its JSON input, its output the result). warden_check says whether a "           \
    "component may perform one operation, and why; warden_policy_get shows a component's "         \
    "policy; warden_grant and warden_revoke change it. The tools offered depend on this "          \
    "client's role."

/* ---- the session ------------------------------------------------------------------------ */

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

/* ---- methods ------------------------------------------------------------------------------ */

static json_t *supported_versions(void)
{
    json_t *v = json_pack("[s]", WDD_MCP_PROTOCOL);
    for (size_t i = 0; v && i < NLEGACY; i++)
        json_array_append_new(v, json_string(legacy_versions[i]));
    return v;
}

static void discover(request *r)
{
    r->modern = true;
    wdd_mcp_reply(r, json_pack("{s:o, s:{s:{}}, s:o, s:s, s:i, s:s}", "supportedVersions",
                               supported_versions(), "capabilities", "tools", "serverInfo",
                               wdd_mcp_server_info(), "instructions", INSTRUCTIONS, "ttlMs",
                               3600000, "cacheScope", "public"));
}

static void initialize(request *r, json_t *params)
{
    session *s = r->s;
    json_t *want = params ? json_object_get(params, "protocolVersion") : NULL;
    json_t *caps = params ? json_object_get(params, "capabilities") : NULL;
    json_t *info = params ? json_object_get(params, "clientInfo") : NULL;
    if (s->legacy) {
        wdd_mcp_reply_error(s, r->id, RPC_INVALID_REQUEST, NULL,
                            "invalid request: already initialized (protocol %s)", s->legacy);
        return;
    }
    if (!json_is_string(want) || (caps && !json_is_object(caps)) ||
        (info && !json_is_object(info))) {
        wdd_mcp_reply_error(
            s, r->id, RPC_INVALID_PARAMS, NULL,
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
    wdd_mcp_note("initialize: client %s %s asked for %s, speaking %s",
                 shown(json_string_value(json_object_get(info, "name")), a, sizeof(a)),
                 shown(json_string_value(json_object_get(info, "version")), b, sizeof(b)),
                 shown(json_string_value(want), c, sizeof(c)), s->legacy);
    wdd_mcp_reply(r, json_pack("{s:s, s:{s:{}}, s:o, s:s}", "protocolVersion", s->legacy,
                               "capabilities", "tools", "serverInfo", wdd_mcp_server_info(),
                               "instructions", INSTRUCTIONS));
}

/* A request in the stateless 2026-07-28 revision: everything it needs is in it. */
static void modern(request *r, const char *method, json_t *params, json_t *meta)
{
    if (!json_is_object(json_object_get(meta, META_CAPS))) {
        wdd_mcp_reply_error(r->s, r->id, RPC_INVALID_PARAMS, NULL,
                            "params._meta needs \"" META_CAPS "\" (an object) in protocol %s",
                            WDD_MCP_PROTOCOL);
        return;
    }
    r->modern = true;
    if (strcmp(method, "server/discover") == 0)
        discover(r);
    else if (strcmp(method, "tools/list") == 0)
        wdd_mcp_tools_list(r, params);
    else if (strcmp(method, "tools/call") == 0)
        wdd_mcp_tools_call(r, params);
    else /* ping and logging/setLevel too: 2026-07-28 removed them */
        wdd_mcp_reply_error(r->s, r->id, RPC_METHOD_NOT_FOUND, NULL, "method not found: %.128s",
                            method);
}

/* A request of a handshake revision: tools only after initialize. */
static void legacy(request *r, const char *method, json_t *params)
{
    bool tools = strcmp(method, "tools/list") == 0 || strcmp(method, "tools/call") == 0;
    if (strcmp(method, "ping") == 0) {
        wdd_mcp_reply(r, json_object());
    } else if (strcmp(method, "server/discover") == 0) {
        discover(r); /* a dual-era client's probe: answered even without its _meta */
    } else if (!tools) {
        wdd_mcp_reply_error(r->s, r->id, RPC_METHOD_NOT_FOUND, NULL, "method not found: %.128s",
                            method);
    } else if (!r->s->legacy) {
        wdd_mcp_reply_error(
            r->s, r->id, RPC_INVALID_REQUEST, NULL,
            "invalid request: not initialized: send initialize first, or name protocol "
            "%s in params._meta[\"" META_VERSION "\"]",
            WDD_MCP_PROTOCOL);
    } else if (strcmp(method, "tools/list") == 0) {
        wdd_mcp_tools_list(r, params);
    } else {
        wdd_mcp_tools_call(r, params);
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
        wdd_mcp_reply_error(s, id, RPC_INVALID_PARAMS, NULL, "params._meta must be an object");
    } else if (strcmp(method, "initialize") == 0 && s->batch) {
        /* 2025-03-26: "The initialization request MUST NOT be part of a JSON-RPC batch". */
        wdd_mcp_reply_error(s, id, RPC_INVALID_REQUEST, NULL,
                            "invalid request: initialize may not be part of a batch");
    } else if (strcmp(method, "initialize") == 0) {
        initialize(&r, params); /* always the handshake: it is what selects the legacy era */
    } else if (version && !json_is_string(version)) {
        wdd_mcp_reply_error(s, id, RPC_INVALID_PARAMS, NULL,
                            "params._meta[\"" META_VERSION "\"] must be a string");
    } else if (version && strcmp(json_string_value(version), WDD_MCP_PROTOCOL) == 0) {
        modern(&r, method, params, meta);
    } else if (version && !is_legacy(json_string_value(version))) {
        wdd_mcp_reply_error(s, id, RPC_UNSUPPORTED_VERSION,
                            json_pack("{s:o, s:o}", "supported", supported_versions(), "requested",
                                      wdd_mcp_jstr(json_string_value(version))),
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
            wdd_mcp_note("notifications/initialized before initialize: ignored");
    } else if (strcmp(method, "notifications/cancelled") != 0) {
        /* Cancellation needs nothing: requests are answered one at a time, so the one it
         * names has been answered already. Anything else is not ours to act on. */
        wdd_mcp_note("ignoring notification %s", shown(method, m, sizeof(m)));
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
        wdd_mcp_note("ignoring a response: this server sends no requests");
    } else if (!id) { /* a notification is never answered, not even when malformed */
        if (v2 && json_is_string(method))
            notification(s, json_string_value(method));
        else
            wdd_mcp_note("ignoring a malformed notification");
    } else if (!valid_id(id)) {
        wdd_mcp_reply_error(s, NULL, RPC_INVALID_REQUEST, NULL,
                            "invalid request: \"id\" must be a string or an integer");
    } else if (!v2) {
        wdd_mcp_reply_error(s, id, RPC_INVALID_REQUEST, NULL,
                            "invalid request: \"jsonrpc\" must be \"2.0\"");
    } else if (!json_is_string(method)) {
        wdd_mcp_reply_error(s, id, RPC_INVALID_REQUEST, NULL,
                            "invalid request: \"method\" must be a string");
    } else if (params && !json_is_object(params)) {
        wdd_mcp_reply_error(s, id, RPC_INVALID_PARAMS, NULL, "\"params\" must be an object");
    } else {
        dispatch(s, id, json_string_value(method), params);
    }
}

/* A JSON-RPC batch (2025-03-26 sessions only): each message handled in order, the replies
 * sent as one array; an empty batch, or one longer than WDD_MCP_MAX_BATCH, is one error. */
static void handle_batch(session *s, json_t *msgs)
{
    size_t n = json_array_size(msgs);
    if (n == 0 || n > WDD_MCP_MAX_BATCH) {
        wdd_mcp_reply_error(s, NULL, RPC_INVALID_REQUEST, NULL,
                            "invalid request: a batch holds 1 to %u messages", WDD_MCP_MAX_BATCH);
        return;
    }
    json_t *replies = json_array();
    if (!replies) {
        wdd_mcp_reply_error(s, NULL, RPC_INTERNAL_ERROR, NULL, "out of memory");
        return;
    }
    s->batch = replies;
    for (size_t i = 0; i < n; i++) {
        json_t *msg = json_array_get(msgs, i);
        if (json_is_object(msg))
            handle_message(s, msg);
        else
            wdd_mcp_reply_error(s, NULL, RPC_INVALID_REQUEST, NULL,
                                "invalid request: a message is a JSON object");
    }
    wdd_mcp_send_batch(s, replies);
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
        wdd_mcp_reply_error(s, NULL, RPC_PARSE_ERROR, NULL,
                            "parse error: the message is not UTF-8 text (byte %zu)", bad + 1);
        return;
    }
    json_error_t err;
    json_t *msg = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!msg)
        wdd_mcp_reply_error(s, NULL, RPC_PARSE_ERROR, NULL, "parse error at byte %d: %s",
                            err.position + 1, err.text);
    else if (json_is_array(msg) && s->legacy && strcmp(s->legacy, BATCH_REVISION) == 0)
        handle_batch(s, msg);
    else if (json_is_array(msg))
        wdd_mcp_reply_error(
            s, NULL, RPC_INVALID_REQUEST, NULL,
            "invalid request: batches are not supported (MCP removed JSON-RPC batching "
            "in 2025-06-18; only a session initialized with " BATCH_REVISION
            " may send them): send one message per line");
    else if (!json_is_object(msg))
        wdd_mcp_reply_error(s, NULL, RPC_INVALID_REQUEST, NULL,
                            "invalid request: a message is a JSON object");
    else
        handle_message(s, msg);
    json_decref(msg);
}

static void too_large(session *s)
{
    wdd_mcp_reply_error(s, NULL, RPC_INVALID_REQUEST, NULL,
                        "invalid request: a message longer than %u bytes was skipped",
                        WDD_MCP_MAX_MESSAGE);
}

/* The message being gathered from the stream. */
typedef struct {
    wd_buf line;
    bool skipping; /* it passed the limit: its bytes are dropped up to its newline */
} line_reader;

/* Splits the bytes read into lines, handling each whole one. A line past the limit is not kept:
 * its bytes are counted and dropped up to its newline, so memory stays bounded whatever the
 * client sends. */
static void feed(session *s, line_reader *lr, const char *p, const char *end)
{
    while (p < end && !s->out_error) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t take = (size_t)((nl ? nl : end) - p);
        if (!lr->skipping && (lr->line.len + take > WDD_MCP_MAX_MESSAGE || lr->line.oom)) {
            lr->skipping = true;
            /* Its memory goes back now; the buffer starts afresh (WD_BUF_INIT) for the next
             * line, and serve_lines frees whatever it holds at the end. */
            wd_buf_free(&lr->line);
        }
        if (!lr->skipping)
            wd_buf_append(&lr->line, p, take);
        if (nl) {
            if (lr->skipping)
                too_large(s);
            else if (!lr->line.oom)
                handle_line(s, wd_buf_cstr(&lr->line), lr->line.len);
            wd_buf_clear(&lr->line);
            lr->skipping = false;
        }
        p = nl ? nl + 1 : end;
    }
}

/* Reads newline-delimited messages until end of file. */
static int serve_lines(session *s, int fd)
{
    enum { CHUNK = 65536 };
    line_reader lr = {.line = WD_BUF_INIT};
    char *chunk = malloc(CHUNK);
    int rc = chunk ? 0 : wd_fail(WD_ENOMEM, "out of memory");
    while (!rc && !s->out_error) {
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
        feed(s, &lr, chunk, chunk + n);
    }
    if (!rc && !s->out_error) { /* a last message without its newline */
        if (lr.skipping)
            too_large(s);
        else if (lr.line.len)
            handle_line(s, wd_buf_cstr(&lr.line), lr.line.len);
    }
    wd_buf_free(&lr.line);
    free(chunk);
    if (!rc && s->out_error)
        rc = wd_fail(WD_EIO, "cannot write to the client: %s", strerror(s->out_error));
    return rc;
}

/* The tenant to serve: the one named, or the only one configured (then copied into *only). */
static int pick_tenant(wdd_daemon *d, const char **tenant, char **only)
{
    wdd_state *st = wdd_state_acquire(d);
    size_t ntenants = st->ntenants;
    bool oom = !*tenant && ntenants == 1 && !(*tenant = *only = strdup(st->tenants[0].cfg->name));
    bool known = *tenant && wdd_state_tenant(st, *tenant);
    wdd_state_release(d, st);
    if (oom)
        return wd_fail(WD_ENOMEM, "out of memory");
    if (!known)
        return *tenant ? wd_fail(WD_ENOTFOUND, "no tenant \"%.64s\" is configured", *tenant)
                       : wd_fail(WD_ENOTFOUND, "%zu tenants are configured: name one", ntenants);
    return 0;
}

/* Serves one session on the two descriptors until the client is done or gone. */
static int serve_stdio(wdd_daemon *d, const char *tenant, wdd_role role, int in_fd, int out_fd)
{
    session s = {.d = d, .tenant = tenant, .role = role, .out_fd = out_fd};
    wdd_mcp_note("serving tenant %s as %s on stdio (protocol %s; %s, %s and %s after initialize)",
                 tenant, wdd_role_name(role), WDD_MCP_PROTOCOL, legacy_versions[0],
                 legacy_versions[1], legacy_versions[2]);
    /* A client that goes away must end this loop with an error, not kill the process: writes
     * to a closed pipe fail with EPIPE while SIGPIPE is blocked, and any SIGPIPE left pending
     * is taken before the mask comes back. */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int rc = serve_lines(&s, in_fd);
    if (!sigismember(&old, SIGPIPE)) {
        struct timespec zero = {.tv_sec = 0, .tv_nsec = 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int wdd_mcp_serve(wdd_daemon *d, const char *tenant, wdd_role role, int in_fd, int out_fd)
{
    char *only = NULL;
    int rc = pick_tenant(d, &tenant, &only);
    if (!rc)
        rc = serve_stdio(d, tenant, role, in_fd, out_fd);
    free(only);
    return rc;
}
