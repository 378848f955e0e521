/* api_ops.c: plugin invocation, the audit log, override approval and reload. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api_int.h"
#include "util/units.h"

/* Answers with what an invocation that ran (rc 0 or WD_ESANDBOX) gave. */
static void answer_invocation(wdd_tenant_rt *t, const wdd_request *req, int rc,
                              const wd_call_result *r, wdd_response *resp)
{
    wdd_metrics_invocation(t->metrics, rc == 0, r->failure, r->duration_ns);
    json_t *j = json_pack("{s:s, s:b, s:s, s:s, s:i, s:f, s:I, s:I, s:s}", "component", req->id,
                          "ok", rc == 0, "code", r->code ? r->code : "", "message", r->message,
                          "status", r->status, "duration_ms", (double)r->duration_ns / 1e6,
                          "requests", (json_int_t)r->requests, "denied", (json_int_t)r->denied,
                          "correlation_id", r->correlation_id);
    if (j)
        wdd_api_set_output(j, r->output, r->output_len);
    wdd_api_json(resp, 200, j);
}

void wdd_api_invoke(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    (void)d;
    wdd_tenant_rt *t = wdd_state_tenant(s, req->tenant);
    wd_call_result r;
    int rc = wd_engine_invoke(t->engine, req->id, req->body, req->body_len, NULL, &r);
    if (rc && rc != WD_ESANDBOX) /* it never ran */
        wdd_api_engine_error(resp, rc);
    else
        answer_invocation(t, req, rc, &r, resp);
    wd_call_result_clear(&r);
}

/* GET /v1/plugins/{id}/tools: an MCP server plugin's tools, as it listed them (checked). */
void wdd_api_tools(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    (void)d;
    wdd_tenant_rt *t = wdd_state_tenant(s, req->tenant);
    char *text = NULL;
    int rc = wd_engine_tools(t->engine, req->id, &text);
    json_t *tools = rc ? NULL : json_loads(text, 0, NULL);
    free(text);
    if (rc)
        wdd_api_engine_error(resp, rc);
    else if (!tools)
        wdd_api_error(resp, 500, WDD_E_INTERNAL, "out of memory");
    else
        wdd_api_json(resp, 200, json_pack("{s:s, s:o}", "component", req->id, "tools", tools));
}

/* A decimal argument, or false after answering 400. */
static bool number_arg(const wdd_request *req, const char *key, uint64_t min, uint64_t max,
                       uint64_t *out, wdd_response *resp)
{
    const char *v = wdd_api_arg(req, key);
    if (!v)
        return true;
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || v[0] == '+' || v[0] == ' ' || n < min || n > max) {
        wdd_api_error(resp, 400, WDD_E_FIELD, "%s must be a whole number from %llu to %llu", key,
                      (unsigned long long)min, (unsigned long long)max);
        return false;
    }
    *out = n;
    return true;
}

typedef struct {
    json_t *list;
} query_ctx;

static int add_record(const wd_audit_record *r, void *ctx)
{
    query_ctx *q = ctx;
    json_t *details = json_loads(r->details, 0, NULL);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "seq", (json_int_t)r->seq, "ts",
                          r->ts, "type", r->type, "severity", wd_severity_name(r->severity),
                          "component", r->component, "correlation_id", r->correlation_id, "details",
                          details ? details : json_null());
    return o ? json_array_append_new(q->list, o) : -1;
}

/* GET /v1/audit?type=&component=&severity=&since=&until=&limit=&last=1 (since/until: unix
 * seconds). At most 10,000 records per answer (default 100). */
void wdd_api_audit_query(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    (void)d;
    static const char *const known[] = {"type",  "component", "severity", "since",
                                        "until", "limit",     "last"};
    for (const char *const *a = req->args; a && a[0]; a += 2) {
        bool ok = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(*known) && !ok; i++)
            ok = strcmp(a[0], known[i]) == 0;
        if (!ok) {
            wdd_api_error(resp, 400, WDD_E_FIELD, "unknown query argument \"%.*s\"",
                          (int)WDD_QUOTED_NAME, a[0]);
            return;
        }
    }
    wdd_tenant_rt *t = wdd_state_tenant(s, req->tenant);
    wd_audit_query q = WD_AUDIT_QUERY_INIT;
    uint64_t since = 0, until = 0, limit = 100, last = 0;
    const char *sev = wdd_api_arg(req, "severity");
    if (!number_arg(req, "since", 0, (uint64_t)INT64_MAX / 1000000000u, &since, resp) ||
        !number_arg(req, "until", 0, (uint64_t)INT64_MAX / 1000000000u, &until, resp) ||
        !number_arg(req, "limit", 1, 10000, &limit, resp) ||
        !number_arg(req, "last", 0, 1, &last, resp))
        return;
    if (sev && wd_severity_parse(sev, &q.min_severity) != 0) {
        wdd_api_error(resp, 400, WDD_E_FIELD, "severity must be LOW, MEDIUM, HIGH or CRITICAL");
        return;
    }
    q.type = wdd_api_arg(req, "type");
    q.component = wdd_api_arg(req, "component");
    q.since_ns = (int64_t)since * 1000000000;
    q.until_ns = (int64_t)until * 1000000000;
    q.limit = limit ? limit : 100;
    q.last = (int)last;
    query_ctx ctx = {json_array()};
    int rc = ctx.list ? wd_audit_query_run(t->cfg->audit_log, &q, add_record, &ctx) : WD_ENOMEM;
    if (rc < 0) {
        json_decref(ctx.list);
        wdd_api_engine_error(resp, rc);
        return;
    }
    wdd_api_json(resp, 200,
                 json_pack("{s:s, s:I, s:o}", "tenant", t->cfg->name, "count",
                           (json_int_t)json_array_size(ctx.list), "records", ctx.list));
}

void wdd_api_audit_verify(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    (void)d;
    wdd_tenant_rt *t = wdd_state_tenant(s, req->tenant);
    char mac[4200], pub[4200];
    snprintf(mac, sizeof(mac), "%s/mac.key", t->cfg->audit_keys);
    snprintf(pub, sizeof(pub), "%s/signing.pub", t->cfg->audit_keys);
    wd_audit_verify_options o = WD_AUDIT_VERIFY_OPTIONS_INIT;
    o.mac_key_path = mac;
    o.pubkey_path = pub;
    wd_audit_verify_result r;
    int rc = wd_audit_verify(t->cfg->audit_log, &o, &r);
    if (rc) {
        wdd_api_engine_error(resp, rc);
        return;
    }
    wdd_api_json(resp, 200,
                 json_pack("{s:b, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "ok",
                           r.problem == WD_AUDIT_OK, "problem", wd_audit_problem_name(r.problem),
                           "message", r.message, "records", (json_int_t)r.records, "checkpoints",
                           (json_int_t)r.checkpoints, "last_seq", (json_int_t)r.last_seq,
                           "unsealed", (json_int_t)r.unsealed, "recoveries",
                           (json_int_t)r.recoveries));
}

/* {"operation", "code", "approver", "justification", "ttl": "5m"} */
/* What an override approval says; ttl_ms holds the default until the body names one. */
typedef struct {
    const char *op, *code, *approver, *why;
    uint64_t ttl_ms;
} override_req;

enum {
    OVERRIDE_TTL_DEFAULT_MS = 300000, /* five minutes */
    OVERRIDE_TTL_MIN_MS = 1000,
    MS_PER_S = 1000,
};

/* Reads the approval's fields from j; false after answering resp. */
static bool override_fields(json_t *j, override_req *o, wdd_response *resp)
{
    static const char *const keys[] = {"operation",     "code", "approver",
                                       "justification", "ttl",  NULL};
    if (!wdd_api_only_keys(j, keys, resp) ||
        !(o->op = wdd_api_string(j, "operation", true, resp)) ||
        !(o->code = wdd_api_string(j, "code", true, resp)) ||
        !(o->approver = wdd_api_string(j, "approver", true, resp)) ||
        !(o->why = wdd_api_string(j, "justification", true, resp)))
        return false;
    if (!json_object_get(j, "ttl"))
        return true;
    const char *ttl = wdd_api_string(j, "ttl", true, resp), *bad = NULL;
    if (!ttl)
        return false;
    if (!wd_units_duration_ms(ttl, strlen(ttl), &o->ttl_ms, &bad) ||
        o->ttl_ms < OVERRIDE_TTL_MIN_MS) {
        wdd_api_error(resp, 400, WDD_E_FIELD, "ttl: %s", bad ? bad : "at least 1s");
        return false;
    }
    return true;
}

void wdd_api_override(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    (void)d;
    wdd_tenant_rt *t = wdd_state_tenant(s, req->tenant);
    json_t *j = wdd_api_parse_json(req, resp);
    override_req o = {.ttl_ms = OVERRIDE_TTL_DEFAULT_MS};
    if (j && override_fields(j, &o, resp)) {
        uint64_t ttl_s = o.ttl_ms / MS_PER_S;
        int rc = wd_engine_approve(t->engine, o.approver, o.code, o.op, o.why, ttl_s);
        wdd_metrics_override(t->metrics, rc == 0);
        if (rc)
            wdd_api_engine_error(resp, rc);
        else
            wdd_api_json(resp, 201,
                         json_pack("{s:b, s:s, s:s, s:I}", "approved", 1, "operation", o.op,
                                   "approver", o.approver, "ttl_s", (json_int_t)ttl_s));
    }
    json_decref(j); /* the fields above point into it */
}

void wdd_api_reload(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    (void)s;
    wd_diagnostics *diags = NULL;
    wd_diagnostics_new(&diags);
    int rc = wdd_daemon_reload(d, diags);
    if (rc && wd_diagnostics_count(diags)) {
        char line[1200];
        wd_diag_format(wd_diagnostics_get(diags, 0), line, sizeof(line));
        wdd_api_error(resp, 400, wd_diagnostics_get(diags, 0)->id, "%s", line);
    } else if (rc == WD_ENOMEM) {
        wdd_api_engine_error(resp, rc);
    } else if (rc) {
        /* Whatever kept the new configuration from loading (a missing file, a baseline that
         * does not verify, a tenant in lockdown), the running one stays: a conflict, not a
         * server failure. */
        const wd_error *e = wd_error_last();
        wdd_api_error(resp, 409, e->id && e->id[0] ? e->id : WDD_E_RELOAD,
                      "the configuration did not load, the running one stays: %s", e->message);
    } else {
        /* The caller's own tenant's refusals only: tenants share nothing (the journal and
         * each tenant's log have every tenant's). */
        wdd_state *cur = wdd_state_acquire(d);
        wdd_tenant_rt *t = wdd_state_tenant(cur, req->tenant);
        const wd_engine_refusals *r = t ? wd_engine_refused(t->engine) : NULL;
        json_t *list = json_array();
        for (size_t i = 0; list && i < wd_engine_refusals_kept(r); i++) {
            const char *path = "", *code = "", *message = "";
            wd_engine_refusals_get(r, i, &path, &code, &message);
            json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "contract", path, "code", code,
                                                  "message", message));
        }
        /* NULL (out of memory) is a 500 */
        wdd_api_json(resp, 200,
                     json_pack("{s:s, s:I, s:s, s:o, s:I}", "status", "reloaded", "generation",
                               (json_int_t)cur->generation, "tenant",
                               req->tenant ? req->tenant : "", "refused", list, "refused_total",
                               (json_int_t)wd_engine_refusals_count(r)));
        wdd_state_release(d, cur);
    }
    wd_diagnostics_free(diags);
}
