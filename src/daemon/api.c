/* api.c: routing, authorisation and the small endpoints (api.h). The endpoints with more to
 * them live in api_check.c, api_policy.c and api_ops.c; what they all share is underneath, in
 * api_common.c: this file calls the endpoints, and every endpoint file calls only down. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/api_int.h"

/* ---- the small endpoints ---------------------------------------------------------------- */

static void health(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    (void)d;
    (void)req;
    wdd_api_json(resp, 200,
                 json_pack("{s:s, s:s, s:I}", "status", "ok", "version", WD_VERSION_STRING,
                           "generation", (json_int_t)s->generation));
}

/* Looks at the tenant's audit log now: whether it refuses records, noted in its metrics (the
 * first look that finds it failing, and the first that finds it writing again). */
static bool audit_broken(wdd_tenant_rt *t)
{
    bool broken = wdd_audit_failed(t->audit);
    wdd_metrics_audit_state(t->metrics, broken, (uint64_t)time(NULL));
    return broken;
}

static json_t *utc_or_null(uint64_t s)
{
    char text[32];
    struct tm tm;
    time_t t = (time_t)s;
    if (!s || !gmtime_r(&t, &tm) || !strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm))
        return json_null();
    return json_string(text);
}

/* The asking client's own tenant, as /ready tells it: lockdown and the audit log's state. */
static json_t *tenant_state(wdd_tenant_rt *t, const char *locked, bool broken)
{
    uint64_t since, recovered, recoveries;
    wdd_metrics_audit_get(t->metrics, &since, &recovered, &recoveries);
    return json_pack("{s:s, s:b, s:{s:s, s:o, s:o, s:I}}", "name", t->cfg->name, "lockdown",
                     locked != NULL, "audit", "state", broken ? "failing" : "ok", "failing_since",
                     utc_or_null(broken ? since : 0), "recovered_at", utc_or_null(recovered),
                     "recoveries", (json_int_t)recoveries);
}

/* Ready: serving, no tenant in lockdown and every audit log writing (a load balancer or
 * supervisor should know that every decision is being denied or refused). Each look asks the
 * logs afresh: a log that writes again makes wardend ready again, with no restart. A client
 * also gets its own tenant's state; anyone else only learns whether the service is ready. */
static void ready(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    if (d->draining) {
        wdd_api_error(resp, 503, WDD_E_NOT_READY, "draining: wardend is stopping");
        return;
    }
    const char *code = NULL;
    char message[300] = "";
    json_t *mine = NULL;
    for (size_t i = 0; i < s->ntenants; i++) {
        wdd_tenant_rt *t = &s->tenants[i];
        const char *locked = wd_engine_lockdown(t->engine);
        wdd_metrics_lockdown(t->metrics, locked != NULL);
        bool broken = audit_broken(t);
        bool own = req->tenant && strcmp(req->tenant, t->cfg->name) == 0;
        if (own)
            mine = tenant_state(t, locked, broken);
        if (code)
            continue;
        if (locked) {
            /* Which file changed is for the tenant's own clients. */
            code = "WD-T006";
            if (own)
                snprintf(message, sizeof(message), "tenant %s: %s", t->cfg->name, locked);
            else
                snprintf(message, sizeof(message), "a tenant is in lockdown");
        } else if (broken) {
            code = WDD_E_AUDIT;
            snprintf(message, sizeof(message),
                     "a tenant's audit log stopped accepting records, so nothing it is asked "
                     "can be decided");
        }
    }
    json_t *j = code ? json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message)
                     : json_pack("{s:s}", "status", "ready");
    if (j && mine)
        json_object_set_new(j, "tenant", mine);
    else
        json_decref(mine);
    wdd_api_json(resp, code ? 503 : 200, j);
}

static uint64_t audit_records(const char *tenant, void *ctx)
{
    wdd_tenant_rt *t = wdd_state_tenant(ctx, tenant);
    return t ? wd_audit_next_seq(t->audit, NULL) - 1 : 0;
}

static void metrics(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    (void)req;
    for (size_t i = 0; i < s->ntenants; i++) {
        wdd_metrics_lockdown(s->tenants[i].metrics, wd_engine_lockdown(s->tenants[i].engine));
        audit_broken(&s->tenants[i]);
    }
    wd_buf_clear(&resp->body);
    /* A client sees its own tenant's figures, never another's. */
    wdd_metrics_render(d->metrics, &resp->body, audit_records, s, req->tenant);
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4";
}

static int component_json(const wd_engine_component *c, void *ctx)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", c->id, "type",
                          wd_plugin_type_name(c->type), "version", c->version, "level",
                          wd_security_level_name(c->level), "policy_source", c->policy_source,
                          "rules", (json_int_t)c->rules);
    return o ? json_array_append_new(ctx, o) : -1;
}

static void components(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    (void)d;
    wdd_tenant_rt *t = wdd_state_tenant(s, req->tenant);
    json_t *list = json_array();
    if (!list || wd_engine_components(t->engine, component_json, list) != 0) {
        json_decref(list);
        wdd_api_error(resp, 500, WDD_E_INTERNAL, "out of memory");
        return;
    }
    wdd_api_json(resp, 200, json_pack("{s:s, s:o}", "tenant", t->cfg->name, "components", list));
}

/* ---- routing ---------------------------------------------------------------------------- */

typedef void (*handler)(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp);

typedef struct {
    const char *method;
    const char *pattern; /* segments; "*" matches one component id */
    wdd_role role;       /* 0: no client needed */
    handler fn;
} route;

static const route routes[] = {
    {"GET", "/health", 0, health},
    {"GET", "/ready", 0, ready},
    {"GET", "/metrics", WDD_ROLE_OPERATOR, metrics},
    {"POST", "/v1/check", WDD_ROLE_READER, wdd_api_check},
    {"POST", "/v1/check/batch", WDD_ROLE_READER, wdd_api_check_batch},
    {"GET", "/v1/components", WDD_ROLE_READER, components},
    {"GET", "/v1/components/*/policy", WDD_ROLE_READER, wdd_api_policy_get},
    {"PUT", "/v1/components/*/policy", WDD_ROLE_ADMIN, wdd_api_policy_put},
    {"POST", "/v1/components/*/grants", WDD_ROLE_ADMIN, wdd_api_grant},
    {"DELETE", "/v1/components/*/grants", WDD_ROLE_ADMIN, wdd_api_revoke},
    {"POST", "/v1/plugins/*/invoke", WDD_ROLE_OPERATOR, wdd_api_invoke},
    /* Operator: listing an MCP server's tools starts it. */
    {"GET", "/v1/plugins/*/tools", WDD_ROLE_OPERATOR, wdd_api_tools},
    {"GET", "/v1/audit", WDD_ROLE_OPERATOR, wdd_api_audit_query},
    {"GET", "/v1/audit/verify", WDD_ROLE_OPERATOR, wdd_api_audit_verify},
    {"POST", "/v1/overrides", WDD_ROLE_ADMIN, wdd_api_override},
    {"POST", "/v1/reload", WDD_ROLE_ADMIN, wdd_api_reload},
};

/* Matches path against pattern; the "*" segment (an id: no '/', 1-128 bytes) goes to id. */
static bool match(const char *pattern, const char *path, char *id, size_t size)
{
    while (*pattern && *path) {
        if (*pattern == '*') {
            size_t n = strcspn(path, "/");
            if (n == 0 || n >= size)
                return false;
            memcpy(id, path, n);
            id[n] = '\0';
            path += n;
            pattern++;
            continue;
        }
        if (*pattern++ != *path++)
            return false;
    }
    return !*pattern && !*path;
}

size_t wdd_api_allow(const char *path, char *out, size_t size)
{
    size_t n = 0, len = 0;
    if (size)
        out[0] = '\0';
    for (size_t i = 0; i < sizeof(routes) / sizeof(*routes); i++) {
        char got[WD_PLUGIN_ID_MAX + 1];
        if (!match(routes[i].pattern, path ? path : "", got, sizeof(got)))
            continue;
        bool seen = false; /* a method two routes of one path share is listed once */
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(routes[j].method, routes[i].method) == 0 &&
                   match(routes[j].pattern, path, got, sizeof(got));
        if (seen)
            continue;
        int w = snprintf(out + len, size > len ? size - len : 0, "%s%s", n ? ", " : "",
                         routes[i].method);
        if (w < 0 || (size_t)w >= (size > len ? size - len : 0)) {
            if (size) /* cannot happen with this table; an Allow cut short would lie */
                out[0] = '\0';
            return 0;
        }
        len += (size_t)w;
        n++;
    }
    return n;
}

/* The 401 for req's peer: its message and its challenge. */
static void unauthenticated(const wdd_request *req, wdd_response *resp)
{
    char msg[160];
    resp->challenge = wdd_api_unauthenticated(&req->peer, msg, sizeof(msg));
    wdd_api_error(resp, 401, WDD_E_UNAUTHENTICATED, "%s", msg);
}

void wdd_api_handle(wdd_daemon *d, const wdd_request *req, wdd_response *resp)
{
    resp->status = 500;
    resp->content_type = "application/json";
    resp->allow[0] = '\0';
    resp->challenge = NULL;
    wd_buf_clear(&resp->body);
    char id[WD_PLUGIN_ID_MAX + 1] = "";
    const route *hit = NULL;
    bool path_known = false;
    for (size_t i = 0; i < sizeof(routes) / sizeof(*routes) && !hit; i++) {
        char got[sizeof(id)] = "";
        if (!match(routes[i].pattern, req->path ? req->path : "", got, sizeof(got)))
            continue;
        path_known = true;
        if (req->method && strcmp(routes[i].method, req->method) == 0) {
            hit = &routes[i];
            memcpy(id, got, sizeof(id));
        }
    }
    if (!hit) {
        if (path_known) {
            /* RFC 9110 15.5.6: a 405 names the methods the resource does accept. */
            wdd_api_allow(req->path, resp->allow, sizeof(resp->allow));
            wdd_api_error(resp, 405, WDD_E_METHOD, "method %.*s not allowed here (allowed: %s)",
                          (int)WDD_QUOTED_WORD, req->method ? req->method : "", resp->allow);
        } else {
            wdd_api_error(resp, 404, WDD_E_NO_ENDPOINT, "no such endpoint");
        }
        wdd_metrics_http(d->metrics, resp->status);
        return;
    }
    wdd_state *s = req->state ? wdd_state_ref(req->state) : wdd_state_acquire(d);
    if (hit->role && !req->tenant) {
        unauthenticated(req, resp);
    } else if (hit->role && !wdd_state_tenant(s, req->tenant)) {
        /* Identified in a configuration this state no longer is: its tenant is gone. */
        resp->challenge = "Bearer realm=\"warden\"";
        wdd_api_error(resp, 401, WDD_E_UNAUTHENTICATED,
                      "unauthenticated: this client's tenant is no longer configured");
    } else if (hit->role && req->role < hit->role) {
        wdd_api_error(resp, 403, WDD_E_FORBIDDEN,
                      "forbidden: %s needs the %s role (this client "
                      "is %s)",
                      hit->pattern, wdd_role_name(hit->role), wdd_role_name(req->role));
    } else if (d->draining && hit->role) {
        wdd_api_error(resp, 503, WDD_E_NOT_READY, "draining: wardend is stopping");
    } else {
        wdd_request r = *req;
        r.id = id[0] ? id : NULL;
        hit->fn(d, s, &r, resp);
    }
    wdd_state_release(d, s);
    wdd_metrics_http(d->metrics, resp->status);
}
