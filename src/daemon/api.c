/* api.c: routing, authorisation and the small endpoints (api.h). The endpoints with more to
 * them live in api_check.c, api_policy.c and api_ops.c. */
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/api_int.h"
#include "daemon/args.h"
#include "util/json.h"
#include "util/utf8.h"
#include <stdlib.h>

void wdd_api_error(wdd_response *resp, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wd_buf_free(&resp->body); /* a fresh buffer: one that ran out of memory stays failed */
    resp->status = status;
    resp->content_type = "application/json";
    wd_buf_puts(&resp->body, "{\"error\":{\"code\":");
    wd_json_quote(&resp->body, code, strlen(code));
    wd_buf_puts(&resp->body, ",\"message\":");
    /* Messages quote what the client sent (an id from the path, say), which need not be
     * UTF-8, and truncation may cut a character: the answer is valid JSON either way. */
    size_t bad;
    if (wd_utf8_valid(msg, strlen(msg), &bad)) {
        wd_json_quote(&resp->body, msg, strlen(msg));
    } else {
        wd_buf esc = WD_BUF_INIT;
        wd_utf8_escape(&esc, msg, strlen(msg));
        wd_json_quote(&resp->body, esc.data ? esc.data : "", esc.len);
        wd_buf_free(&esc);
    }
    wd_buf_puts(&resp->body, "}}\n");
}

/* The one place an error's kind becomes an HTTP status (docs/api.md). */
static const unsigned kind_status[WD_KIND_COUNT] = {
    [WD_KIND_INVALID] = 400,     [WD_KIND_NOT_FOUND] = 404, [WD_KIND_FORBIDDEN] = 403,
    [WD_KIND_CONFLICT] = 409,    [WD_KIND_TOO_LARGE] = 413, [WD_KIND_THROTTLED] = 429,
    [WD_KIND_UNAVAILABLE] = 503, [WD_KIND_INTERNAL] = 500,
};

unsigned wdd_api_status(wd_error_kind kind)
{
    return (unsigned)kind < WD_KIND_COUNT && kind_status[kind] ? kind_status[kind] : 500;
}

void wdd_api_engine_error(wdd_response *resp, int rc)
{
    const wd_error *e = wd_error_last();
    const char *id = e->id && e->id[0] ? e->id : NULL;
    /* A code returned without being recorded has its code's kind, not the last error's. */
    unsigned status = wdd_api_status(e->code == rc ? e->kind : wd_error_kind_of(rc));
    if (!id)
        id = status == 404 ? WDD_E_NOT_FOUND : status == 500 ? WDD_E_INTERNAL : WDD_E_INVALID;
    if (e->file && e->file[0] && e->line)
        wdd_api_error(resp, status, id, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
    else
        wdd_api_error(resp, status, id, "%s", e->message);
}

json_t *wdd_api_parse_json(const wdd_request *req, wdd_response *resp)
{
    json_error_t err;
    json_t *j = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        wdd_api_error(resp, 400, WDD_E_JSON, "malformed JSON at line %d column %d: %s", err.line,
                      err.column, err.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        wdd_api_error(resp, 400, WDD_E_JSON, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

size_t wdd_field_max(const char *key)
{
    if (strcmp(key, "component") == 0)
        return WDD_COMPONENT_MAX;
    if (strcmp(key, "verb") == 0)
        return WDD_VERB_MAX;
    return WDD_FIELD_MAX;
}

const char *wdd_check_bounds(const char *component, const char *verb, const char *target)
{
    if (strlen(component) > WDD_COMPONENT_MAX)
        return "component";
    if (strlen(verb) > WDD_VERB_MAX)
        return "verb";
    if (strlen(target) > WDD_FIELD_MAX)
        return "target";
    return NULL;
}

bool wdd_audit_failed(wd_audit *log)
{
    int broken = 0;
    wd_audit_next_seq(log, &broken);
    return broken != 0;
}

const char *wdd_api_string(json_t *obj, const char *key, bool required, wdd_response *resp)
{
    wdd_arg_error e;
    const char *v = wdd_arg_string(obj, key, required, wdd_field_max(key), &e);
    if (e.fault) {
        if (e.fault == WDD_ARG_TOO_LONG)
            wdd_api_error(resp, 400, WDD_E_FIELD_TOO_LONG, "\"%s\" is longer than %zu bytes", key,
                          e.max);
        else
            wdd_api_error(resp, 400, WDD_E_FIELD, "\"%s\" must be a non-empty string without NUL",
                          key);
    }
    return v;
}

bool wdd_api_only_keys(json_t *obj, const char *const *allowed, wdd_response *resp)
{
    wdd_arg_error e;
    if (wdd_arg_only_keys(obj, allowed, &e))
        return true;
    char shown[80];
    snprintf(shown, sizeof(shown), "%s", e.key);
    wdd_api_error(resp, 400, WDD_E_FIELD, "unknown field \"%s\"", shown);
    return false;
}

void wdd_api_json(wdd_response *resp, unsigned status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII |
                                       JSON_REAL_PRECISION(6))
                   : NULL;
    json_decref(j);
    if (!text) {
        wdd_api_error(resp, 500, WDD_E_INTERNAL, "out of memory");
        return;
    }
    wd_buf_clear(&resp->body);
    wd_buf_puts(&resp->body, text);
    wd_buf_putc(&resp->body, '\n');
    free(text);
    resp->status = status;
    resp->content_type = "application/json";
}

void wdd_api_set_output(json_t *obj, const char *data, size_t len)
{
    json_t *text = json_stringn(data ? data : "", data ? len : 0);
    if (text) {
        json_object_set_new(obj, "output", text);
        return;
    }
    size_t n = 4 * ((len + 2) / 3) + 1;
    unsigned char *b64 = len <= (64u << 20) ? malloc(n) : NULL;
    if (b64) {
        EVP_EncodeBlock(b64, (const unsigned char *)data, (int)len);
        json_object_set_new(obj, "output_base64", json_string((const char *)b64));
        free(b64);
    }
}

const char *wdd_api_arg(const wdd_request *req, const char *key)
{
    for (const char *const *a = req->args; a && a[0]; a += 2)
        if (strcmp(a[0], key) == 0)
            return a[1] ? a[1] : "";
    return NULL;
}

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
    int broken = 0;
    wd_audit_next_seq(t->audit, &broken);
    wdd_metrics_audit_state(t->metrics, broken != 0, (uint64_t)time(NULL));
    return broken != 0;
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

void wdd_api_handle(wdd_daemon *d, const wdd_request *req, wdd_response *resp)
{
    resp->status = 500;
    resp->content_type = "application/json";
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
        if (path_known)
            wdd_api_error(resp, 405, WDD_E_METHOD, "method %.*s not allowed here",
                          (int)WDD_QUOTED_WORD, req->method ? req->method : "");
        else
            wdd_api_error(resp, 404, WDD_E_NO_ENDPOINT, "no such endpoint");
        wdd_metrics_http(d->metrics, resp->status);
        return;
    }
    wdd_state *s = req->state ? wdd_state_ref(req->state) : wdd_state_acquire(d);
    if (hit->role && (!req->tenant || !wdd_state_tenant(s, req->tenant))) {
        wdd_api_error(resp, 401, WDD_E_UNAUTHENTICATED,
                      "unauthenticated: this peer is no configured client");
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
