/* daemon.h (daemon): wardend's running state — the configuration, one engine per tenant, the
 * tenants' audit logs and the metrics — and how a reload replaces it.
 *
 * Lifecycle: wdd_daemon_new(config path) (loads everything; fails closed) -> front ends take a
 * reference to the current state for each request (wdd_state_acquire/release) -> SIGHUP or an
 * API change calls wdd_daemon_reload(), which builds a whole new state beside the current one
 * and swaps it in only when every tenant loaded: a request sees the old state or the new one,
 * never a mix -> wdd_daemon_free() once no request is running (closes every audit log with a
 * checkpoint). */
#ifndef WDD_DAEMON_H
#define WDD_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "daemon/config.h"
#include "daemon/metrics.h"
#include "warden/engine.h"

typedef struct wdd_audit_ref wdd_audit_ref; /* an audit log shared by successive states */

typedef struct {
    const wdd_tenant *cfg; /* in the state's config */
    wd_engine *engine;
    wd_audit *audit;
    wdd_audit_ref *audit_ref;
    wdd_tenant_metrics *metrics;
} wdd_tenant_rt;

typedef struct {
    unsigned refs; /* atomic */
    wdd_config *cfg;
    wdd_tenant_rt *tenants;
    size_t ntenants;
    uint64_t generation;
} wdd_state;

typedef struct wdd_daemon {
    char *config_path;
    pthread_mutex_t state_mu; /* current */
    wdd_state *current;
    /* One change at a time: reloads and policy changes through the API, so a reload never
     * compiles a policy file while a change is being written to it. */
    pthread_mutex_t change_mu;
    wdd_audit_ref *audits; /* list */
    pthread_mutex_t audits_mu;
    wdd_metrics *metrics;
    uint64_t generation;
    const char *runner; /* default runner (beside wardend), when the config names none */
    volatile int draining;
} wdd_daemon;

/* Loads the configuration and every tenant. Problems go to diags (may be NULL) and
 * wd_error_last(). */
int wdd_daemon_new(wdd_daemon **out, const char *config_path, const char *runner,
                   wd_diagnostics *diags);
void wdd_daemon_free(wdd_daemon *d);
/* Builds a new state from the configuration file and swaps it in; on failure the current
 * state stays and the failure is recorded (RELOAD_FAILED in each tenant's log). */
int wdd_daemon_reload(wdd_daemon *d, wd_diagnostics *diags);

/* The review gate of each tenant of cfg run alone (wd_engine_review: nothing recorded, written or
 * started): one line per refused contract to out, as wardend writes them at start and reload,
 * and their number in *refused. 0, or the error that would keep a tenant from loading. */
int wdd_config_review(const wdd_config *cfg, FILE *out, size_t *refused);

wdd_state *wdd_state_acquire(wdd_daemon *d);
/* Another reference to a state the caller already holds one on. */
wdd_state *wdd_state_ref(wdd_state *s);
void wdd_state_release(wdd_daemon *d, wdd_state *s);
/* A policy change runs under the change lock, on the state current then (not the one the
 * request started with): a reload never reads a policy file halfway through the change, and
 * one that finished before it has the engines the change must reach. */
wdd_state *wdd_change_begin(wdd_daemon *d);
void wdd_change_end(wdd_daemon *d, wdd_state *s);
/* The tenant named name in s, or NULL. */
wdd_tenant_rt *wdd_state_tenant(wdd_state *s, const char *name);

#endif
