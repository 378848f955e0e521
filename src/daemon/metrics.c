/* metrics.c: wardend's counters in the Prometheus text format (metrics.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/metrics.h"
#include "sandbox/codes.h"
#include "util/json.h"
#include "warden/common.h"

enum { MAX_TENANTS = 256, SANDBOX_CODES = WD_S_LIMIT_COUNT, NBUCKETS = 12, FRONT_OUTCOMES = 6 };

/* In the order of wdd_front_outcome (front.h). */
static const char *const front_reasons[FRONT_OUTCOMES] = {"bad_head", "too_large", "no_client",
                                                          "timeout",  "displaced", "busy"};

typedef struct {
    uint64_t buckets[NBUCKETS]; /* cumulative at render time, per bucket here */
    uint64_t count, sum_ns;
} histogram;

struct wdd_tenant_metrics {
    char name[72];
    uint64_t decisions[WDD_KINDS][2];
    uint64_t invocations[2];
    uint64_t sandbox_failures[SANDBOX_CODES];
    uint64_t overrides[2];
    uint64_t audit_errors;
    uint64_t audit_failing_since, audit_recovered_at, audit_recoveries;
    uint64_t lockdown;
    uint64_t refused; /* contracts the running state's review gate refused */
    histogram invoke_latency;
};

struct wdd_metrics {
    pthread_mutex_t mu; /* the tenant table; counters themselves are atomic */
    wdd_tenant_metrics *tenants[MAX_TENANTS];
    size_t ntenants;
    histogram decision_latency;
    uint64_t reloads[2];
    uint64_t http[6]; /* by status class: 1xx..5xx */
    uint64_t front[FRONT_OUTCOMES];
};

/* Upper bounds in seconds. */
static const double decision_bounds[NBUCKETS] = {1e-5,  2.5e-5, 5e-5,  1e-4, 2.5e-4, 5e-4,
                                                 0.001, 0.0025, 0.005, 0.01, 0.1,    1};
static const double invoke_bounds[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                               0.05,   0.1,   0.25,   0.5,   1,    10};

#define ADD(p, n) __atomic_add_fetch((p), (n), __ATOMIC_RELAXED)
#define GET(p) __atomic_load_n((p), __ATOMIC_RELAXED)

static void observe(histogram *h, const double *bounds, uint64_t ns)
{
    double s = (double)ns / 1e9;
    int i = 0;
    while (i < NBUCKETS && s > bounds[i])
        i++;
    if (i < NBUCKETS)
        ADD(&h->buckets[i], 1);
    ADD(&h->count, 1);
    ADD(&h->sum_ns, ns);
}

int wdd_metrics_new(wdd_metrics **out)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return -1;
    pthread_mutex_init(&(*out)->mu, NULL);
    return 0;
}

void wdd_metrics_free(wdd_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ntenants; i++)
        free(m->tenants[i]);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

wdd_tenant_metrics *wdd_metrics_tenant(wdd_metrics *m, const char *tenant)
{
    wdd_tenant_metrics *t = NULL;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->ntenants && !t; i++)
        if (strcmp(m->tenants[i]->name, tenant) == 0)
            t = m->tenants[i];
    if (!t && m->ntenants < MAX_TENANTS && strlen(tenant) < sizeof(t->name) &&
        (t = calloc(1, sizeof(*t))) != NULL) {
        memcpy(t->name, tenant, strlen(tenant) + 1);
        m->tenants[m->ntenants++] = t;
    }
    pthread_mutex_unlock(&m->mu);
    return t;
}

int wdd_metrics_kind(const char *verb, int error)
{
    if (error || !verb)
        return WDD_KIND_INVALID;
    if (strcmp(verb, "connect") == 0)
        return WDD_KIND_NETWORK;
    if (strcmp(verb, "env") == 0)
        return WDD_KIND_ENVIRONMENT;
    if (strcmp(verb, "call") == 0)
        return WDD_KIND_TOOL;
    return WDD_KIND_STORAGE;
}

void wdd_metrics_decisions(wdd_tenant_metrics *t, int kind, bool allow, uint64_t n)
{
    if (t && kind >= 0 && kind < WDD_KINDS)
        ADD(&t->decisions[kind][allow], n);
}

void wdd_metrics_decision_latency(wdd_metrics *m, uint64_t ns)
{
    observe(&m->decision_latency, decision_bounds, ns);
}

void wdd_metrics_invocation(wdd_tenant_metrics *t, bool ok, int failure, uint64_t ns)
{
    if (!t)
        return;
    ADD(&t->invocations[ok], 1);
    observe(&t->invoke_latency, invoke_bounds, ns);
    if (failure > 0 && failure < SANDBOX_CODES)
        ADD(&t->sandbox_failures[failure], 1);
}

void wdd_metrics_override(wdd_tenant_metrics *t, bool approved)
{
    if (t)
        ADD(&t->overrides[approved], 1);
}

void wdd_metrics_audit_error(wdd_tenant_metrics *t)
{
    if (t)
        ADD(&t->audit_errors, 1);
}

void wdd_metrics_front(wdd_metrics *m, int outcome)
{
    if (outcome >= 0 && outcome < FRONT_OUTCOMES)
        ADD(&m->front[outcome], 1);
}

void wdd_metrics_audit_state(wdd_tenant_metrics *t, bool broken, uint64_t now_s)
{
    if (!t)
        return;
    if (broken) {
        uint64_t none = 0;
        __atomic_compare_exchange_n(&t->audit_failing_since, &none, now_s ? now_s : 1, false,
                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    } else if (__atomic_exchange_n(&t->audit_failing_since, 0, __ATOMIC_RELAXED)) {
        __atomic_store_n(&t->audit_recovered_at, now_s, __ATOMIC_RELAXED);
        ADD(&t->audit_recoveries, 1);
    }
}

void wdd_metrics_audit_get(const wdd_tenant_metrics *t, uint64_t *failing_since,
                           uint64_t *recovered_at, uint64_t *recoveries)
{
    *failing_since = t ? GET(&t->audit_failing_since) : 0;
    *recovered_at = t ? GET(&t->audit_recovered_at) : 0;
    *recoveries = t ? GET(&t->audit_recoveries) : 0;
}

void wdd_metrics_lockdown(wdd_tenant_metrics *t, bool locked)
{
    if (t)
        __atomic_store_n(&t->lockdown, locked, __ATOMIC_RELAXED);
}

void wdd_metrics_refused(wdd_tenant_metrics *t, uint64_t n)
{
    if (t)
        __atomic_store_n(&t->refused, n, __ATOMIC_RELAXED);
}

void wdd_metrics_reload(wdd_metrics *m, bool ok)
{
    ADD(&m->reloads[ok], 1);
}

void wdd_metrics_http(wdd_metrics *m, unsigned status)
{
    if (status >= 100 && status < 600)
        ADD(&m->http[status / 100], 1);
}

static void render_histogram(wd_buf *b, const char *name, const char *labels, const histogram *h,
                             const double *bounds)
{
    uint64_t cum = 0;
    for (int i = 0; i < NBUCKETS; i++) {
        cum += GET(&h->buckets[i]);
        wd_buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, labels[0] ? "," : "",
                      bounds[i], (unsigned long long)cum);
    }
    uint64_t count = GET(&h->count);
    wd_buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, labels[0] ? "," : "",
                  (unsigned long long)count);
    const char *open = labels[0] ? "{" : "", *close = labels[0] ? "}" : "";
    wd_buf_printf(b, "%s_sum%s%s%s %.9f\n", name, open, labels, close,
                  (double)GET(&h->sum_ns) / 1e9);
    wd_buf_printf(b, "%s_count%s%s%s %llu\n", name, open, labels, close, (unsigned long long)count);
}

void wdd_metrics_render(wdd_metrics *m, wd_buf *b,
                        uint64_t (*audit_records)(const char *tenant, void *ctx), void *ctx,
                        const char *only)
{
    static const char *const kinds[] = {"storage", "network", "environment", "tool", "invalid"};
    /* The tenants shown, in a table of their own so every loop below stays the same. */
    wdd_tenant_metrics *shown[MAX_TENANTS];
    size_t n = 0;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->ntenants; i++)
        if (!only || strcmp(m->tenants[i]->name, only) == 0)
            shown[n++] = m->tenants[i];
    pthread_mutex_unlock(&m->mu);

    wd_buf_puts(b, "# HELP warden_build_info The running wardend.\n"
                   "# TYPE warden_build_info gauge\n");
    wd_buf_printf(b, "warden_build_info{version=\"%s\"} 1\n", WD_VERSION_STRING);

    wd_buf_puts(b, "# HELP warden_decisions_total Decisions made, by tenant, kind and result.\n"
                   "# TYPE warden_decisions_total counter\n");
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < WDD_KINDS; k++)
            for (int a = 0; a < 2; a++)
                wd_buf_printf(b,
                              "warden_decisions_total{tenant=\"%s\",kind=\"%s\",result=\"%s\"} "
                              "%llu\n",
                              shown[i]->name, kinds[k], a ? "allow" : "deny",
                              (unsigned long long)GET(&shown[i]->decisions[k][a]));

    wd_buf_puts(b, "# HELP warden_decision_request_seconds Time to answer one check or batch "
                   "request.\n# TYPE warden_decision_request_seconds histogram\n");
    render_histogram(b, "warden_decision_request_seconds", "", &m->decision_latency,
                     decision_bounds);

    wd_buf_puts(b, "# HELP warden_plugin_invocations_total Plugin calls, by result.\n"
                   "# TYPE warden_plugin_invocations_total counter\n");
    for (size_t i = 0; i < n; i++)
        for (int ok = 0; ok < 2; ok++)
            wd_buf_printf(b, "warden_plugin_invocations_total{tenant=\"%s\",result=\"%s\"} %llu\n",
                          shown[i]->name, ok ? "ok" : "failed",
                          (unsigned long long)GET(&shown[i]->invocations[ok]));
    wd_buf_puts(b, "# HELP warden_plugin_invocation_seconds Plugin call latency, spawning "
                   "included.\n# TYPE warden_plugin_invocation_seconds histogram\n");
    for (size_t i = 0; i < n; i++) {
        char labels[96];
        snprintf(labels, sizeof(labels), "tenant=\"%s\"", shown[i]->name);
        render_histogram(b, "warden_plugin_invocation_seconds", labels, &shown[i]->invoke_latency,
                         invoke_bounds);
    }
    wd_buf_puts(b, "# HELP warden_sandbox_failures_total Contained plugin failures, by code.\n"
                   "# TYPE warden_sandbox_failures_total counter\n");
    for (size_t i = 0; i < n; i++)
        for (int c = 1; c < SANDBOX_CODES; c++)
            wd_buf_printf(
                b, "warden_sandbox_failures_total{tenant=\"%s\",code=\"WD-S%03d\"} %llu\n",
                shown[i]->name, c, (unsigned long long)GET(&shown[i]->sandbox_failures[c]));

    wd_buf_puts(b, "# HELP warden_audit_records_total Records in each tenant's audit log.\n"
                   "# TYPE warden_audit_records_total counter\n");
    for (size_t i = 0; i < n; i++)
        wd_buf_printf(b, "warden_audit_records_total{tenant=\"%s\"} %llu\n", shown[i]->name,
                      (unsigned long long)(audit_records ? audit_records(shown[i]->name, ctx) : 0));
    wd_buf_puts(b, "# HELP warden_audit_write_errors_total Requests refused because the audit "
                   "log could not record them.\n# TYPE warden_audit_write_errors_total counter\n");
    for (size_t i = 0; i < n; i++)
        wd_buf_printf(b, "warden_audit_write_errors_total{tenant=\"%s\"} %llu\n", shown[i]->name,
                      (unsigned long long)GET(&shown[i]->audit_errors));

    wd_buf_puts(b, "# HELP warden_audit_failing 1 while a tenant's audit log refuses records.\n"
                   "# TYPE warden_audit_failing gauge\n");
    for (size_t i = 0; i < n; i++)
        wd_buf_printf(b, "warden_audit_failing{tenant=\"%s\"} %d\n", shown[i]->name,
                      GET(&shown[i]->audit_failing_since) != 0);
    wd_buf_puts(b, "# HELP warden_audit_failing_since_seconds When the failure was first seen "
                   "(unix time; 0 while the log writes).\n"
                   "# TYPE warden_audit_failing_since_seconds gauge\n");
    for (size_t i = 0; i < n; i++)
        wd_buf_printf(b, "warden_audit_failing_since_seconds{tenant=\"%s\"} %llu\n", shown[i]->name,
                      (unsigned long long)GET(&shown[i]->audit_failing_since));
    wd_buf_puts(b, "# HELP warden_audit_recoveries_total Times the audit log was seen writing "
                   "again after a failure.\n# TYPE warden_audit_recoveries_total counter\n");
    for (size_t i = 0; i < n; i++)
        wd_buf_printf(b, "warden_audit_recoveries_total{tenant=\"%s\"} %llu\n", shown[i]->name,
                      (unsigned long long)GET(&shown[i]->audit_recoveries));

    wd_buf_puts(b, "# HELP warden_lockdown 1 while a tenant is in lockdown.\n"
                   "# TYPE warden_lockdown gauge\n");
    for (size_t i = 0; i < n; i++)
        wd_buf_printf(b, "warden_lockdown{tenant=\"%s\"} %llu\n", shown[i]->name,
                      (unsigned long long)GET(&shown[i]->lockdown));

    wd_buf_puts(b, "# HELP warden_contracts_refused Contracts the review gate refused when the "
                   "running configuration loaded.\n# TYPE warden_contracts_refused gauge\n");
    for (size_t i = 0; i < n; i++)
        wd_buf_printf(b, "warden_contracts_refused{tenant=\"%s\"} %llu\n", shown[i]->name,
                      (unsigned long long)GET(&shown[i]->refused));

    wd_buf_puts(b, "# HELP warden_overrides_total Override approvals, by result.\n"
                   "# TYPE warden_overrides_total counter\n");
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < 2; a++)
            wd_buf_printf(b, "warden_overrides_total{tenant=\"%s\",result=\"%s\"} %llu\n",
                          shown[i]->name, a ? "approved" : "refused",
                          (unsigned long long)GET(&shown[i]->overrides[a]));

    wd_buf_puts(b, "# HELP warden_reloads_total Configuration reloads, by result.\n"
                   "# TYPE warden_reloads_total counter\n");
    wd_buf_printf(b, "warden_reloads_total{result=\"ok\"} %llu\n",
                  (unsigned long long)GET(&m->reloads[1]));
    wd_buf_printf(b, "warden_reloads_total{result=\"failed\"} %llu\n",
                  (unsigned long long)GET(&m->reloads[0]));

    wd_buf_puts(b, "# HELP warden_http_responses_total HTTP responses, by status class.\n"
                   "# TYPE warden_http_responses_total counter\n");
    for (int c = 1; c < 6; c++)
        wd_buf_printf(b, "warden_http_responses_total{code=\"%dxx\"} %llu\n", c,
                      (unsigned long long)GET(&m->http[c]));

    wd_buf_puts(b, "# HELP warden_http_refused_total Connections answered and closed before "
                   "their request was handled, by reason.\n"
                   "# TYPE warden_http_refused_total counter\n");
    for (int r = 0; r < FRONT_OUTCOMES; r++)
        wd_buf_printf(b, "warden_http_refused_total{reason=\"%s\"} %llu\n", front_reasons[r],
                      (unsigned long long)GET(&m->front[r]));
}
