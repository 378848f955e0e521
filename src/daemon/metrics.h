/* metrics.h (daemon): counters and histograms, rendered in the Prometheus text format.
 *
 * Lifecycle: wdd_metrics_new() once per daemon -> wdd_metrics_tenant() for each tenant (kept
 * across reloads, so counters never go back) -> the record calls from any thread (relaxed
 * atomics: no lock on a request's path) -> wdd_metrics_render() for GET /metrics ->
 * wdd_metrics_free(). */
#ifndef WDD_METRICS_H
#define WDD_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct wdd_metrics wdd_metrics;
typedef struct wdd_tenant_metrics wdd_tenant_metrics;

enum {
    WDD_KIND_STORAGE = 0,
    WDD_KIND_NETWORK,
    WDD_KIND_ENVIRONMENT,
    WDD_KIND_TOOL,
    WDD_KIND_INVALID,
    WDD_KINDS
};

int wdd_metrics_new(wdd_metrics **out);
void wdd_metrics_free(wdd_metrics *m);
/* The metrics of the named tenant, created on first use; NULL when out of memory or past 256
 * tenants. */
wdd_tenant_metrics *wdd_metrics_tenant(wdd_metrics *m, const char *tenant);

/* The kind a query is counted under (WDD_KIND_*), from its verb. */
int wdd_metrics_kind(const char *verb, int error);
void wdd_metrics_decisions(wdd_tenant_metrics *t, int kind, bool allow, uint64_t n);
/* One /v1/check request (or batch) took ns nanoseconds for n decisions. */
void wdd_metrics_decision_latency(wdd_metrics *m, uint64_t ns);
/* A plugin call; failure is wd_call_result.failure (0, or the WD-Snnn number). */
void wdd_metrics_invocation(wdd_tenant_metrics *t, bool ok, int failure, uint64_t ns);
void wdd_metrics_override(wdd_tenant_metrics *t, bool approved);
void wdd_metrics_audit_error(wdd_tenant_metrics *t);
void wdd_metrics_lockdown(wdd_tenant_metrics *t, bool locked);
/* How many contracts the running state refused for the tenant (a gauge, set when a state is
 * made current). */
void wdd_metrics_refused(wdd_tenant_metrics *t, uint64_t n);
void wdd_metrics_reload(wdd_metrics *m, bool ok);
void wdd_metrics_http(wdd_metrics *m, unsigned status);
/* A connection the front answered itself (wdd_front_outcome). */
void wdd_metrics_front(wdd_metrics *m, int outcome);
/* What the tenant's audit log was seen to be now (broken: refusing records), at wall-clock
 * now_s. Nothing is kept but the transitions: the next look that finds the log writing again
 * records the recovery. */
void wdd_metrics_audit_state(wdd_tenant_metrics *t, bool broken, uint64_t now_s);
/* Since when the log has been failing (0: it is not), when it last recovered (0: never) and how
 * often it has, as last seen. */
void wdd_metrics_audit_get(const wdd_tenant_metrics *t, uint64_t *failing_since,
                           uint64_t *recovered_at, uint64_t *recoveries);

/* Appends the exposition text; audit_records gets each tenant's records written so far. With
 * only, the per-tenant series are that tenant's alone. */
void wdd_metrics_render(wdd_metrics *m, wd_buf *out,
                        uint64_t (*audit_records)(const char *tenant, void *ctx), void *ctx,
                        const char *only);

#endif
