/* api_check.c: POST /v1/check and POST /v1/check/batch. Answers are written straight into the
 * response buffer: a batch of 100,000 decisions should cost decisions, not JSON objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api_int.h"
#include "util/json.h"
#include "util/timeutil.h"

typedef struct {
    wd_buf *out;
    wdd_tenant_metrics *m;
    uint64_t allowed, denied;
    uint64_t by_kind[WDD_KINDS][2];
    const wd_check_query *queries;
} writer;

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

static void quote(wd_buf *b, const char *s)
{
    wd_json_quote(b, s, strlen(s));
}

static int write_verdict(void *ctx, size_t i, const wd_verdict *v)
{
    writer *w = ctx;
    wd_buf *b = w->out;
    if (i)
        wd_buf_putc(b, ',');
    wd_buf_puts(b, v->effect == WD_ALLOW ? "{\"decision\":\"allow\",\"reason\":"
                                         : "{\"decision\":\"deny\",\"reason\":");
    quote(b, v->reason);
    wd_buf_puts(b, ",\"explanation\":");
    quote(b, v->explanation);
    if (v->rule) {
        wd_buf_puts(b, ",\"rule\":{\"file\":");
        quote(b, v->rule->file);
        wd_buf_printf(b, ",\"line\":%u,\"column\":%u,\"text\":", v->rule->line, v->rule->column);
        quote(b, v->rule->text);
        wd_buf_putc(b, '}');
    } else {
        wd_buf_puts(b, ",\"rule\":null");
    }
    if (v->operation[0]) {
        wd_buf_puts(b, ",\"operation\":");
        quote(b, v->operation);
    }
    wd_buf_putc(b, '}');
    bool allow = v->effect == WD_ALLOW;
    w->by_kind[kind_of(w->queries[i].verb, v->error)][allow]++;
    if (allow)
        w->allowed++;
    else
        w->denied++;
    return b->oom ? WD_ENOMEM : 0;
}

static void flush_metrics(writer *w)
{
    for (int k = 0; k < WDD_KINDS; k++)
        for (int a = 0; a < 2; a++)
            if (w->by_kind[k][a])
                wdd_metrics_decisions(w->m, k, a, w->by_kind[k][a]);
}

/* Runs the engine over queries and answers; the prefix and suffix frame the verdicts. */
static void run(wdd_daemon *d, wdd_tenant_rt *t, const char *component,
                const wd_check_query *queries, size_t n, bool batch, wdd_response *resp)
{
    uint64_t start = wd_time_mono_ns();
    writer w = {&resp->body, t->metrics, 0, 0, {{0}}, queries};
    wd_buf_clear(&resp->body);
    if (batch)
        wd_buf_puts(&resp->body, "{\"results\":[");
    int rc = wd_engine_check(t->engine, component, queries, n, write_verdict, &w);
    if (rc) {
        if (rc == WD_EIO)
            wdd_metrics_audit_error(t->metrics);
        if (rc == WD_ENOTFOUND)
            wdd_api_error(resp, 404, WDD_E_NOT_FOUND, "no component \"%.128s\"", component);
        else if (rc == WD_EIO)
            wdd_api_error(resp, 503, WDD_E_AUDIT, "%s", wd_error_last()->message);
        else
            wdd_api_engine_error(resp, rc);
        return;
    }
    flush_metrics(&w);
    if (batch)
        wd_buf_printf(&resp->body, "],\"allowed\":%llu,\"denied\":%llu}\n",
                      (unsigned long long)w.allowed, (unsigned long long)w.denied);
    else
        wd_buf_putc(&resp->body, '\n');
    if (resp->body.oom) {
        wdd_api_error(resp, 500, WDD_E_INTERNAL, "out of memory");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
    wdd_metrics_decision_latency(d->metrics, wd_time_mono_ns() - start);
}

void wdd_api_check(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    static const char *const keys[] = {"component", "verb", "target", NULL};
    json_t *j = wdd_api_parse_json(req, resp);
    if (!j)
        return;
    const char *component, *verb = NULL, *target = NULL;
    if (wdd_api_only_keys(j, keys, resp) &&
        (component = wdd_api_string(j, "component", true, resp)) &&
        (verb = wdd_api_string(j, "verb", true, resp)) &&
        (target = wdd_api_string(j, "target", true, resp))) {
        wd_check_query q = {verb, target};
        run(d, wdd_state_tenant(s, req->tenant), component, &q, 1, false, resp);
    }
    json_decref(j);
}

void wdd_api_check_batch(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    static const char *const keys[] = {"component", "queries", NULL};
    static const char *const qkeys[] = {"verb", "target", NULL};
    json_t *j = wdd_api_parse_json(req, resp);
    if (!j)
        return;
    const char *component;
    json_t *qs = json_object_get(j, "queries");
    if (!wdd_api_only_keys(j, keys, resp) ||
        !(component = wdd_api_string(j, "component", true, resp))) {
        json_decref(j);
        return;
    }
    if (!json_is_array(qs)) {
        wdd_api_error(resp, 400, WDD_E_FIELD, "\"queries\" must be an array");
        json_decref(j);
        return;
    }
    size_t n = json_array_size(qs);
    if (n > s->cfg->max_batch) {
        wdd_api_error(resp, 413, WDD_E_TOO_LARGE, "%zu queries: at most %zu in one batch", n,
                      s->cfg->max_batch);
        json_decref(j);
        return;
    }
    wd_check_query *q = calloc(n ? n : 1, sizeof(*q));
    if (!q) {
        wdd_api_error(resp, 500, WDD_E_INTERNAL, "out of memory");
        json_decref(j);
        return;
    }
    /* Every query is checked for shape before any is decided: a malformed batch is refused
     * whole, and nothing of it is recorded. */
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(qs, i);
        if (!json_is_object(o)) {
            wdd_api_error(resp, 400, WDD_E_FIELD, "queries[%zu] must be an object", i);
            break;
        }
        if (!wdd_api_only_keys(o, qkeys, resp) ||
            !(q[i].verb = wdd_api_string(o, "verb", true, resp)) ||
            !(q[i].target = wdd_api_string(o, "target", true, resp))) {
            wdd_api_error(resp, 400, WDD_E_FIELD,
                          "queries[%zu] needs a \"verb\" and a "
                          "\"target\" string and nothing else",
                          i);
            break;
        }
        if (i + 1 == n)
            run(d, wdd_state_tenant(s, req->tenant), component, q, n, true, resp);
    }
    if (n == 0)
        run(d, wdd_state_tenant(s, req->tenant), component, q, 0, true, resp);
    free(q);
    json_decref(j);
}
