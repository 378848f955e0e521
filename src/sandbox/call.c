/* call.c: one call into a plugin instance: the input sent in chunks, then the loop that
 * serves the runner's broker requests and logs, enforces the deadline and the output limit,
 * and records the outcome (PLUGIN_CALL, BROKER_DECISION, PLUGIN_LOG). */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/json_event.h"
#include "crypto/crypto.h"
#include "registry/contract_int.h"
#include "sandbox/broker.h"
#include "sandbox/broker_int.h"
#include "sandbox/codes.h"
#include "sandbox/instance_int.h"
#include "sandbox/process.h"
#include "sandbox/process_mcp.h"
#include "sandbox/proto.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/secure.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "warden/audit.h"

/* ---- audit ------------------------------------------------------------------------------ */

int wd_call_audit(wd_instance *in, const char *type, wd_severity sev, const char *corr,
                  json_t *details)
{
    return wd_audit_json(in->opts.audit, type, sev, wd_contract_id(in->contract), corr, details);
}

/* ---- the call loop ---------------------------------------------------------------------- */

typedef struct {
    wd_call_result *res;
    wd_buf out;
    unsigned logs;
    int code; /* WD_S_* once something failed */
} call_state;

static int fail_state(call_state *cs, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_state(call_state *cs, int code, const char *fmt, ...)
{
    if (cs->code)
        return cs->code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cs->res->message, sizeof(cs->res->message), fmt, ap);
    va_end(ap);
    cs->code = code;
    return code;
}

/* The longest a BROKER_DECISION record keeps of the target and of the reason, after escaping
 * (docs/sandbox.md states what that bounds a record and a call to). A longer target is kept as
 * this prefix plus its length and the SHA-256 of all of it. */
enum { TARGET_KEEP = 256, REASON_KEEP = 512 };

/* One BROKER_DECISION record's details: the target and the reason each bounded. */
json_t *wd_call_decision_details(const char *op, long flags, const wd_broker_answer *ans)
{
    char target[TARGET_KEEP + 1], reason[REASON_KEEP + 1];
    bool target_cut, reason_cut;
    size_t tlen = strlen(ans->target);
    wd_utf8_printable(ans->target, tlen, target, sizeof(target), &target_cut);
    wd_utf8_printable(ans->reason, strlen(ans->reason), reason, sizeof(reason), &reason_cut);
    json_t *d = json_pack("{s:s, s:s}", "op", op, "target", target);
    if (d && target_cut) {
        /* Without its hash a cut target would be lost: no hash, no record, no grant. */
        uint8_t digest[WD_SHA256_LEN];
        char hex[2 * WD_SHA256_LEN + 1];
        wd_hasher *h = NULL;
        int rc = wd_hasher_new(&h);
        if (!rc)
            rc = wd_sha256(h, ans->target, tlen, digest);
        wd_hasher_free(h);
        if (rc) {
            json_decref(d);
            return NULL;
        }
        wd_hex_encode(digest, sizeof(digest), hex);
        json_object_set_new(d, "target_bytes", json_integer((json_int_t)tlen));
        json_object_set_new(d, "target_sha256", json_string(hex));
    }
    if (d) {
        json_object_set_new(d, "decision", json_string(ans->allowed ? "allow" : "deny"));
        if (!ans->allowed && ans->what[0])
            json_object_set_new(d, "verb", json_string(ans->what));
        json_object_set_new(d, "reason", json_string(reason));
        if (flags >= 0)
            json_object_set_new(d, "flags", json_integer(flags));
    }
    return d;
}

/* Tells the plugin the answer: the refusal, the variable's value or the opened descriptor. */
static int send_answer(wd_instance *in, const wd_msg *m, const wd_broker_answer *ans)
{
    if (!ans->allowed) {
        /* The plugin is told what was refused and why; the record keeps those apart. */
        char told[sizeof(ans->what) + sizeof(ans->target) + sizeof(ans->reason) + 4];
        int n = ans->what[0]
                    ? snprintf(told, sizeof(told), "%s %s: %s", ans->what, ans->target, ans->reason)
                    : snprintf(told, sizeof(told), "%s", ans->reason);
        return wd_proto_send(in->sock, WD_MSG_REPLY, -(ans->err ? ans->err : EACCES), 0, told,
                             n < 0 ? 0 : strnlen(told, sizeof(told)), -1);
    }
    if (m->type == WD_MSG_GETENV)
        return wd_proto_send(in->sock, WD_MSG_REPLY, 0, 0, ans->value,
                             strnlen(ans->value, WD_PROTO_MAX_DATA), -1);
    return wd_proto_send(in->sock, WD_MSG_REPLY, 0, 0, NULL, 0, ans->fd);
}

static int broker_request(wd_instance *in, call_state *cs, const wd_msg *m, uint64_t deadline)
{
    /* A connect may take what is left of the call, and at most 5 s. */
    uint64_t now = wd_time_mono_ns(), left_ms = now < deadline ? (deadline - now) / 1000000 : 0;
    in->broker.timeout_ms = (int)(left_ms < 5000 ? (left_ms ? left_ms : 1) : 5000);
    char arg[WD_PROTO_MAX_PATH + 1];
    memcpy(arg, m->data, m->len);
    arg[m->len] = 0;
    wd_broker_answer ans;
    const char *op = "open";
    if (m->type == WD_MSG_OPEN)
        wd_broker_open(&in->broker, arg, m->a, &ans);
    else if (m->type == WD_MSG_CONNECT)
        op = "connect", wd_broker_connect(&in->broker, arg, (unsigned)m->a, &ans);
    else
        op = "env", wd_broker_getenv(&in->broker, arg, &ans);
    cs->res->requests++;
    if (wd_call_audit(in, "BROKER_DECISION", ans.allowed ? WD_SEVERITY_LOW : WD_SEVERITY_MEDIUM,
                      cs->res->correlation_id,
                      wd_call_decision_details(op, m->type == WD_MSG_OPEN ? m->a : -1, &ans)) !=
            0 &&
        ans.allowed) {
        /* What cannot be recorded is not granted: the refusal drops the opened descriptor. */
        wd_broker_refuse(&ans, EACCES, "the audit log cannot record it");
        snprintf(ans.what, sizeof(ans.what), "%s", op);
    }
    if (!ans.allowed)
        cs->res->denied++;
    if (!ans.allowed && !ans.what[0]) /* every refusal names what it refused, connects too */
        snprintf(ans.what, sizeof(ans.what), "%s", op);
    int rc = send_answer(in, m, &ans);
    /* Sent or not, the host's copy of a granted descriptor goes: the plugin has its own. */
    if (ans.fd >= 0)
        close(ans.fd);
    return rc;
}

void wd_call_log(wd_instance *in, const char *corr, int level, const char *text, size_t len,
                 int last)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    char shown[WD_PROTO_MAX_LOG * 4 + 1];
    if (len > WD_PROTO_MAX_LOG)
        len = WD_PROTO_MAX_LOG;
    json_t *d = json_pack("{s:s, s:s}", "level", levels[level & 3], "message",
                          wd_utf8_printable(text, len, shown, sizeof(shown), NULL));
    if (last)
        json_object_set_new(d, "note", json_string("further messages of this call dropped"));
    wd_call_audit(in, "PLUGIN_LOG", level >= 2 ? WD_SEVERITY_MEDIUM : WD_SEVERITY_LOW, corr, d);
}

static void plugin_log(wd_instance *in, call_state *cs, const wd_msg *m)
{
    if (++cs->logs > MAX_LOGS_PER_CALL)
        return;
    wd_call_log(in, cs->res->correlation_id, (int)m->a, (const char *)m->data, m->len,
                cs->logs == MAX_LOGS_PER_CALL);
}

/* Serves the runner until it sends `until` (READY or DONE), fails, dies or runs out of time.
 * Returns 0 or a WD_S_* code (cs->res->message says what happened). */
static int pump(wd_instance *in, call_state *cs, uint32_t until, uint64_t deadline)
{
    for (;;) {
        uint64_t now = wd_time_mono_ns();
        if (now >= deadline)
            return fail_state(cs, WD_S_TIMEOUT,
                              "the call ran past its %llu ms timeout; the "
                              "plugin's processes were killed",
                              (unsigned long long)in->timeout_ms);
        struct pollfd p = {in->sock, POLLIN, 0};
        int n = poll(&p, 1, (int)((deadline - now + 999999) / 1000000));
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            continue;
        int fd;
        long len = n < 0 ? -errno : wd_proto_recv(in->sock, in->buf, &fd);
        if (len == 0 || len == -ECONNRESET)
            return -1; /* EOF: the caller looks at how the runner ended */
        if (len < 0)
            return fail_state(cs, WD_S_PROTOCOL,
                              "the plugin sent a malformed message (descriptors or oversize)");
        if (fd >= 0) {
            close(fd);
            return fail_state(cs, WD_S_PROTOCOL, "the plugin sent a descriptor to the host");
        }
        wd_msg m;
        const char *why;
        if (wd_proto_decode(in->buf, (size_t)len, 1, &m, &why) != 0)
            return fail_state(cs, WD_S_PROTOCOL, "protocol violation: %s", why);
        switch (m.type) {
        case WD_MSG_OPEN:
        case WD_MSG_CONNECT:
        case WD_MSG_GETENV:
            if (until != WD_MSG_DONE)
                return fail_state(cs, WD_S_PROTOCOL, "a broker request before the call");
            /* A send that cannot complete (SO_SNDTIMEO) means the plugin stopped reading. */
            if (cs->res->requests >= MAX_REQUESTS_PER_CALL)
                return fail_state(cs, WD_S_PROTOCOL,
                                  "more than %u broker requests in one call: refused",
                                  MAX_REQUESTS_PER_CALL);
            if (broker_request(in, cs, &m, deadline) != 0)
                return fail_state(cs, WD_S_PROTOCOL,
                                  "the plugin stopped reading the broker's "
                                  "replies");
            break;
        case WD_MSG_LOG:
            plugin_log(in, cs, &m);
            break;
        case WD_MSG_OUTPUT:
            if (until != WD_MSG_DONE)
                return fail_state(cs, WD_S_PROTOCOL, "output before the call");
            if (cs->out.len + m.len > in->output_max)
                return fail_state(cs, WD_S_OUTPUT, "output exceeded its limit of %llu bytes",
                                  (unsigned long long)in->output_max);
            wd_buf_append(&cs->out, (const char *)m.data, m.len);
            break;
        case WD_MSG_FAIL: {
            /* The runner and the plugin share a process, so a FAIL may be forged: only the
             * codes the runner can send in this phase are taken at their word. */
            int code = m.a;
            bool startup = until == WD_MSG_READY;
            if (!(startup ? code == WD_S_SETUP || code == WD_S_PROTOCOL ||
                                code == WD_S_DESCRIPTOR || code == WD_S_INIT || code == WD_S_INPUT
                          : code == WD_S_OUTPUT || code == WD_S_INPUT))
                return fail_state(cs, WD_S_PROTOCOL,
                                  "protocol violation: a failure report (code %d) the runner "
                                  "does not send at this point",
                                  (int)m.a);
            char text[WD_PROTO_MAX_LOG * 4 + 1];
            return fail_state(
                cs, code, "%s",
                wd_utf8_printable((const char *)m.data, m.len, text, sizeof(text), NULL));
        }
        case WD_MSG_READY:
            if (until != WD_MSG_READY)
                return fail_state(cs, WD_S_PROTOCOL, "an unexpected ready message");
            free(in->describe);
            in->describe = strndup((const char *)m.data, m.len);
            return 0;
        case WD_MSG_DONE:
            if (until != WD_MSG_DONE)
                return fail_state(cs, WD_S_PROTOCOL, "done before the call");
            if (m.b != cs->out.len)
                return fail_state(cs, WD_S_PROTOCOL, "done says %u bytes of output, %zu came", m.b,
                                  cs->out.len);
            cs->res->status = m.a;
            return 0;
        default:
            return fail_state(cs, WD_S_PROTOCOL, "unexpected message type %u", m.type);
        }
    }
}

/* Turns how the runner ended into a code, unless one is already known. */
static void ended(wd_instance *in, call_state *cs)
{
    int status;
    int own = wd_runner_reap(in, &status, cs->code ? 0 : 200);
    if (cs->code)
        return;
    char msg[sizeof(cs->res->message)];
    int code = wd_runner_outcome(in, own, status, msg, sizeof(msg));
    fail_state(cs, code, "%s", msg);
}

/* Sends the input in chunks; a runner that reads slowly cannot stretch the call past its
 * deadline (each send is bounded by SO_SNDTIMEO, and the deadline is checked between them). */
static int send_input(wd_instance *in, call_state *cs, const char *input, size_t len,
                      uint64_t deadline)
{
    size_t first = len < WD_PROTO_MAX_DATA ? len : WD_PROTO_MAX_DATA;
    if (wd_proto_send(in->sock, WD_MSG_CALL, 0, (uint32_t)len, input, first, -1) != 0)
        return -1;
    for (size_t off = first; off < len;) {
        if (wd_time_mono_ns() >= deadline) {
            fail_state(cs, WD_S_TIMEOUT,
                       "the call ran past its %llu ms timeout while its input "
                       "was being sent",
                       (unsigned long long)in->timeout_ms);
            return -1;
        }
        size_t n = len - off < WD_PROTO_MAX_DATA ? len - off : WD_PROTO_MAX_DATA;
        if (wd_proto_send(in->sock, WD_MSG_INPUT, 0, 0, input + off, n, -1) != 0)
            return -1;
        off += n;
    }
    return 0;
}

/* Failures that say nothing against the running instance: an input refused before the plugin
 * saw it, a tool the policy refuses, an error the plugin (or its server) answered with. */
static bool instance_intact(int code)
{
    return code == WD_S_FAILED || code == WD_S_INPUT || code == WD_S_TOOL;
}

int wd_instance_call(wd_instance *in, const char *input, size_t len, const char *correlation_id,
                     wd_call_result *res)
{
    if (!res)
        return wd_fail(WD_EINVAL, "wd_instance_call needs a result");
    *res = (wd_call_result){.code = ""};
    if (!in || (!input && len))
        return wd_fail(WD_EINVAL, "wd_instance_call needs an instance and input");
    if (correlation_id)
        snprintf(res->correlation_id, sizeof(res->correlation_id), "%s", correlation_id);
    else
        wd_uuid_v4(res->correlation_id);
    uint64_t start = wd_time_mono_ns();
    uint64_t deadline = start + in->timeout_ms * 1000000u;
    call_state cs = {.res = res, .out = WD_BUF_INIT};
    wd_buf_append(&cs.out, "", 0);
    if (len > INPUT_MAX)
        fail_state(&cs, WD_S_INPUT, "input of %zu bytes is larger than %u", len, INPUT_MAX);
    if (!cs.code && in->process) {
        cs.code = wd_process_call(in, input ? input : "", len, deadline, res, &cs.out);
    } else if (!cs.code && in->pid < 0) {
        int code = wd_runner_spawn(in, res);
        if (code)
            cs.code = code;
        else if (pump(in, &cs, WD_MSG_READY, deadline) != 0)
            ended(in, &cs);
    }
    if (!cs.code && !in->process) {
        if (send_input(in, &cs, input ? input : "", len, deadline) != 0 ||
            pump(in, &cs, WD_MSG_DONE, deadline))
            ended(in, &cs);
    }
    if (cs.code && in->pid > 0 && !instance_intact(cs.code)) {
        int st;
        wd_runner_reap(in, &st, 0);
    }
    res->duration_ns = wd_time_mono_ns() - start;
    if (!cs.code && ++in->served >= (in->opts.max_calls ? in->opts.max_calls : 1))
        wd_runner_retire(in);
    res->output_len = cs.out.len;
    res->output = cs.out.oom ? NULL : cs.out.data;
    if (!res->output) {
        wd_buf_free(&cs.out);
        res->output = strdup("");
        res->output_len = 0;
    }
    if (!cs.code && res->status != 0 && !in->process)
        fail_state(&cs, WD_S_FAILED, "execute() returned %d", res->status);
    res->code = cs.code ? wd_sandbox_code_id(cs.code) : "";
    res->failure = cs.code;
    res->ok = cs.code == 0;
    /* A tool the policy refused never reached the plugin: neither its failure nor contained. */
    const char *result = res->ok                  ? "ok"
                         : cs.code == WD_S_FAILED ? "failed"
                         : cs.code == WD_S_TOOL   ? "refused"
                                                  : "contained";
    json_t *d = json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:i}", "result", result, "code",
                          res->code, "message", res->ok ? "" : res->message, "duration_us",
                          (json_int_t)(res->duration_ns / 1000), "output_bytes",
                          (json_int_t)res->output_len, "requests", (int)res->requests, "denied",
                          (int)res->denied);
    if (d && in->process)
        json_object_set_new(d, "runtime_reads", json_integer((json_int_t)in->runtime_reads));
    int arc = wd_call_audit(in, "PLUGIN_CALL",
                            res->ok                                          ? WD_SEVERITY_LOW
                            : cs.code == WD_S_FAILED || cs.code == WD_S_TOOL ? WD_SEVERITY_MEDIUM
                                                                             : WD_SEVERITY_HIGH,
                            res->correlation_id, d);
    if (!res->ok)
        return wd_error_set(WD_ESANDBOX, res->code, NULL, 0, 0, "%s", res->message);
    if (arc != 0) { /* what cannot be recorded does not count as done */
        res->ok = 0;
        snprintf(res->message, sizeof(res->message),
                 "the call succeeded but the audit log cannot record it");
        return wd_fail(WD_EIO, "%s", res->message);
    }
    return 0;
}

int wd_instance_running(const wd_instance *in)
{
    if (!in || in->pid <= 0)
        return 0;
    /* Ended since its last call (a parked MCP server that exited, a zygote killed): looked at
     * without reaping, which stays spawn.c's. */
    siginfo_t si = {0};
    if (waitid(P_PID, (id_t)in->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0)
        return 0;
    return 1;
}

int wd_instance_prepare(wd_instance *in, wd_call_result *res)
{
    return wd_instance_prepare_as(in, NULL, res);
}

int wd_instance_prepare_as(wd_instance *in, const char *correlation_id, wd_call_result *res)
{
    if (!res)
        return wd_fail(WD_EINVAL, "wd_instance_prepare needs a result");
    *res = (wd_call_result){.code = ""};
    if (!in)
        return wd_fail(WD_EINVAL, "wd_instance_prepare needs an instance");
    if (correlation_id)
        snprintf(res->correlation_id, sizeof(res->correlation_id), "%s", correlation_id);
    else
        wd_uuid_v4(res->correlation_id);
    if (in->pid > 0) {
        res->ok = 1;
        return 0;
    }
    uint64_t start = wd_time_mono_ns();
    call_state cs = {.res = res, .out = WD_BUF_INIT};
    uint64_t deadline = start + in->timeout_ms * 1000000u;
    int code = in->process == WD_PROTOCOL_MCP ? wd_mcp_prepare(in, res, deadline)
               : in->process                  ? wd_process_start(in, res, deadline)
                                              : wd_runner_spawn(in, res);
    if (code)
        cs.code = code;
    else if (!in->process && pump(in, &cs, WD_MSG_READY, deadline) != 0)
        ended(in, &cs);
    if (cs.code && in->pid > 0) {
        int st;
        wd_runner_reap(in, &st, 0);
    }
    wd_buf_free(&cs.out);
    res->duration_ns = wd_time_mono_ns() - start;
    res->ok = cs.code == 0;
    if (res->ok)
        return 0;
    res->code = wd_sandbox_code_id(cs.code);
    res->failure = cs.code;
    json_t *d = json_pack("{s:s, s:s, s:s}", "result", "contained", "code", res->code, "message",
                          res->message);
    wd_call_audit(in, "PLUGIN_START", WD_SEVERITY_HIGH, res->correlation_id, d);
    return wd_error_set(WD_ESANDBOX, res->code, NULL, 0, 0, "%s", res->message);
}
