/* state.c: building wardend's state from its configuration, and swapping it (daemon.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/json_event.h"
#include "daemon/daemon.h"
#include "util/error.h"
#include "util/path.h"

struct wdd_audit_ref {
    wdd_audit_ref *next;
    char *log, *keys;
    wd_audit *audit;
    unsigned refs; /* states using it, under audits_mu */
};

/* The tenant's audit log: the one an earlier state opened when it is the same log, so a
 * reload never closes and reopens (and never has two writers on) one log. */
static int audit_get(wdd_daemon *d, const wdd_tenant *t, wdd_audit_ref **out)
{
    int rc = 0;
    pthread_mutex_lock(&d->audits_mu);
    wdd_audit_ref *r = d->audits;
    while (r && strcmp(r->log, t->audit_log) != 0)
        r = r->next;
    if (r && strcmp(r->keys, t->audit_keys) != 0) {
        rc = wd_fail(WD_EBUSY, "tenant %s: the audit log %s is open with the keys in %s", t->name,
                     t->audit_log, r->keys);
    } else if (!r) {
        wd_audit_options o = WD_AUDIT_OPTIONS_INIT;
        o.durability = t->durability;
        o.exclusive = 1;
        r = calloc(1, sizeof(*r));
        if (!r || !(r->log = strdup(t->audit_log)) || !(r->keys = strdup(t->audit_keys)))
            rc = wd_fail(WD_ENOMEM, "out of memory");
        if (!rc)
            rc = wd_audit_open(&r->audit, t->audit_log, t->audit_keys, &o);
        if (rc) {
            if (r) {
                free(r->log);
                free(r->keys);
            }
            free(r);
            r = NULL;
        } else {
            r->next = d->audits;
            d->audits = r;
        }
    }
    if (r)
        r->refs++;
    pthread_mutex_unlock(&d->audits_mu);
    *out = r;
    return rc;
}

static void audit_put(wdd_daemon *d, wdd_audit_ref *ref)
{
    if (!ref)
        return;
    pthread_mutex_lock(&d->audits_mu);
    bool last = --ref->refs == 0;
    if (last)
        for (wdd_audit_ref **p = &d->audits; *p; p = &(*p)->next)
            if (*p == ref) {
                *p = ref->next;
                break;
            }
    pthread_mutex_unlock(&d->audits_mu);
    if (last) {
        /* Closing writes the final checkpoint. */
        wd_audit_close(ref->audit);
        free(ref->log);
        free(ref->keys);
        free(ref);
    }
}

static void state_free(wdd_daemon *d, wdd_state *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ntenants; i++) {
        wd_engine_close(s->tenants[i].engine);
        audit_put(d, s->tenants[i].audit_ref);
    }
    free(s->tenants);
    wdd_config_free(s->cfg);
    free(s);
}

/* A growing list of borrowed paths. */
typedef struct {
    const char **v;
    size_t n, cap;
} path_list;

#define PATH_LIST_FIRST 64 /* room before the first growth: a few tenants' worth */

static int path_add(path_list *l, const char *path)
{
    if (!path)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : PATH_LIST_FIRST;
        const char **grown = realloc(l->v, cap * sizeof(*grown));
        if (!grown)
            return wd_fail(WD_ENOMEM, "out of memory");
        l->v = grown;
        l->cap = cap;
    }
    l->v[l->n++] = path;
    return 0;
}

/* What a plugin may not even read: this tenant's keys, log and tokens, the configuration and
 * the socket, and every other tenant's secrets and state too (tenants share nothing, and the
 * sandbox runs as wardend's user). Every one is also kept from change. */
static int private_paths(const wdd_config *cfg, const wdd_tenant *t, path_list *out)
{
    int rc = path_add(out, cfg->path);
    if (!rc)
        rc = path_add(out, cfg->unix_path);
    for (size_t k = 0; !rc && k < cfg->ntenants; k++) {
        const wdd_tenant *u = &cfg->tenants[k];
        /* The approved hashes too: the engine lists trust, not them. */
        const char *secret[] = {u->audit_log, u->audit_keys, u->approved};
        for (size_t i = 0; !rc && i < sizeof(secret) / sizeof(secret[0]); i++)
            rc = path_add(out, secret[i]);
        for (size_t i = 0; !rc && i < u->nclients; i++)
            rc = path_add(out, u->clients[i].token_file);
        if (u == t) /* this tenant's own state is the engine's to list */
            continue;
        const char *state[] = {u->policies, u->overrides, u->trust, u->baseline,
                               u->baseline_pubkey};
        for (size_t i = 0; !rc && i < sizeof(state) / sizeof(state[0]); i++)
            rc = path_add(out, state[i]);
    }
    return rc;
}

/* Kept from change: this tenant's protected globs, other tenants' contracts, and warden's own
 * programs (a plugin that rewrote the runner would run outside every sandbox next time). self
 * holds wardend's own path. */
static int protected_globs(const wdd_daemon *d, const wdd_config *cfg, const wdd_tenant *t,
                           char self[static WD_PATH_MAX], path_list *out)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < t->nprotected; i++)
        rc = path_add(out, t->protected_globs[i]);
    for (size_t k = 0; !rc && k < cfg->ntenants; k++)
        for (size_t i = 0; !rc && &cfg->tenants[k] != t && i < cfg->tenants[k].ncontracts; i++)
            rc = path_add(out, cfg->tenants[k].contracts[i]);
    if (!rc)
        rc = path_add(out, cfg->runner ? cfg->runner : d->runner);
    ssize_t n = readlink("/proc/self/exe", self, WD_PATH_MAX - 1);
    if (!rc && n > 0) {
        self[n] = '\0';
        rc = path_add(out, self);
    }
    return rc;
}

static wd_engine_audit engine_decisions(wdd_audit_decisions audit_decisions)
{
    return audit_decisions == WDD_AUDIT_NONE   ? WD_ENGINE_AUDIT_NONE
           : audit_decisions == WDD_AUDIT_DENY ? WD_ENGINE_AUDIT_DENY
                                               : WD_ENGINE_AUDIT_ALL;
}

/* The tenant's contracts and the review gate they pass through, in o. */
static void tenant_gate(wd_engine_options *o, const wdd_tenant *t)
{
    o->name = t->name;
    o->contract_dirs = (const char *const *)t->contracts;
    o->ncontract_dirs = t->ncontracts;
    o->trust_dir = t->trust;
    o->review_optional = t->review_optional;
    o->approved_path = t->approved;
    o->deny_imports = (const char *const *)t->deny_imports;
    o->allowlist = (const char *const *)t->allowlist;
    o->allowlist_len = t->nallowlist;
    o->allowlist_set = t->allowlist_set;
}

static int open_engine(const wdd_daemon *d, const wdd_config *cfg, const wdd_tenant *t,
                       wdd_tenant_rt *rt, const path_list *priv, const path_list *globs)
{
    wd_engine_options o = {
        .version = WD_ENGINE_OPTIONS_VERSION,
        .policies_dir = t->policies,
        .audit = rt->audit,
        .decisions = engine_decisions(t->audit_decisions),
        .overrides_dir = t->overrides,
        .baseline = t->baseline,
        .baseline_pubkey = t->baseline_pubkey,
        .protected_globs = globs->v,
        .nprotected = globs->n,
        .private_paths = priv->v,
        .nprivate = priv->n,
        .runner_path = cfg->runner ? cfg->runner : d->runner,
        .invoke_timeout_ms = cfg->invoke_timeout_ms,
        .min_landlock_abi = -1, /* the default, as WD_ENGINE_OPTIONS_INIT has it */
    };
    tenant_gate(&o, t);
    return wd_engine_open(&rt->engine, &o, NULL);
}

/* One line per refused contract of the tenant (the journal's), and one for those past the
 * kept. The engine made every string printable. */
static void print_refused(FILE *out, const char *tenant, const wd_engine_refusals *r)
{
    size_t kept = wd_engine_refusals_kept(r), all = wd_engine_refusals_count(r);
    for (size_t i = 0; i < kept; i++) {
        const char *path = "", *code = "", *message = "";
        wd_engine_refusals_get(r, i, &path, &code, &message);
        fprintf(out, "wardend: tenant %s: contract %s refused: %s: %s\n", tenant, path, code,
                message);
    }
    if (all > kept)
        fprintf(out, "wardend: tenant %s: %zu more contracts refused (the first %zu are named)\n",
                tenant, all - kept, kept);
}

/* A state just made current: its refusals said on stderr and counted in the metrics. */
static void made_current(const wdd_state *s)
{
    for (size_t i = 0; i < s->ntenants; i++) {
        const wd_engine_refusals *r = wd_engine_refused(s->tenants[i].engine);
        wdd_metrics_refused(s->tenants[i].metrics, wd_engine_refusals_count(r));
        print_refused(stderr, s->tenants[i].cfg->name, r);
    }
    fflush(stderr);
}

int wdd_config_review(const wdd_config *cfg, FILE *out, size_t *refused)
{
    *refused = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i < cfg->ntenants; i++) {
        wd_engine_options o = {.version = WD_ENGINE_OPTIONS_VERSION};
        tenant_gate(&o, &cfg->tenants[i]);
        wd_engine_refusals *r = NULL;
        rc = wd_engine_review(&r, &o);
        if (!rc) {
            print_refused(out, cfg->tenants[i].name, r);
            *refused += wd_engine_refusals_count(r);
        }
        wd_engine_refusals_free(r);
    }
    return rc;
}

static int open_tenant(wdd_daemon *d, const wdd_config *cfg, const wdd_tenant *t, wdd_tenant_rt *rt)
{
    rt->cfg = t;
    rt->metrics = wdd_metrics_tenant(d->metrics, t->name);
    int rc = audit_get(d, t, &rt->audit_ref);
    if (rc)
        return rc;
    rt->audit = rt->audit_ref->audit;
    path_list priv = {0}, globs = {0};
    char self[WD_PATH_MAX];
    rc = private_paths(cfg, t, &priv);
    if (!rc)
        rc = protected_globs(d, cfg, t, self, &globs);
    if (!rc)
        rc = open_engine(d, cfg, t, rt, &priv, &globs);
    if (!rc)
        wdd_metrics_lockdown(rt->metrics, wd_engine_lockdown(rt->engine) != NULL);
    free(priv.v);
    free(globs.v);
    return rc;
}

/* A tenant in lockdown leaves it only under a new, re-signed baseline: the same manifest
 * again (files put back as they were, say) does not end it. */
static int check_lockdown(const wdd_state *old, const wdd_tenant_rt *next)
{
    for (size_t i = 0; old && i < old->ntenants; i++) {
        const wdd_tenant_rt *o = &old->tenants[i];
        if (strcmp(o->cfg->name, next->cfg->name) != 0 || !wd_engine_lockdown(o->engine))
            continue;
        uint8_t a[32], b[32];
        wd_engine_baseline_digest(o->engine, a);
        wd_engine_baseline_digest(next->engine, b);
        if (memcmp(a, b, 32) == 0)
            return wd_error_set(WD_ESTATE, "WD-T006", NULL, 0, 0,
                                "tenant %s stays in lockdown (%s): leaving it takes a new "
                                "baseline (warden integrity baseline), then a reload",
                                o->cfg->name, wd_engine_lockdown(o->engine));
    }
    return 0;
}

enum { KEPT_MESSAGE_MAX = 512 };

/* The calling thread's error, kept while cleanup that may record others runs. */
typedef struct {
    wd_error e;
    char msg[KEPT_MESSAGE_MAX];
} kept_error;

static void keep_error(kept_error *k)
{
    k->e = *wd_error_last();
    snprintf(k->msg, sizeof(k->msg), "%s", k->e.message);
}

static int build(wdd_daemon *d, const wdd_state *old, wdd_state **out, wd_diagnostics *diags)
{
    *out = NULL;
    wdd_state *s = calloc(1, sizeof(*s));
    if (!s)
        return wd_fail(WD_ENOMEM, "out of memory");
    s->refs = 1;
    int rc = wdd_config_load(&s->cfg, d->config_path, diags);
    if (!rc && !(s->tenants = calloc(s->cfg->ntenants, sizeof(*s->tenants))))
        rc = wd_fail(WD_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < s->cfg->ntenants; i++) {
        rc = open_tenant(d, s->cfg, &s->cfg->tenants[i], &s->tenants[i]);
        s->ntenants = i + 1;
        if (!rc)
            rc = check_lockdown(old, &s->tenants[i]);
    }
    if (rc) {
        /* Keep the error of the failure, not of the cleanup. */
        kept_error k;
        keep_error(&k);
        state_free(d, s);
        return wd_error_set(rc, k.e.id, k.e.file, k.e.line, k.e.column, "%s", k.msg);
    }
    *out = s;
    return 0;
}

int wdd_daemon_new(wdd_daemon **out, const char *config_path, const char *runner,
                   wd_diagnostics *diags)
{
    *out = NULL;
    wdd_daemon *d = calloc(1, sizeof(*d));
    if (!d)
        return wd_fail(WD_ENOMEM, "out of memory");
    pthread_mutex_init(&d->state_mu, NULL);
    pthread_mutex_init(&d->change_mu, NULL);
    pthread_mutex_init(&d->audits_mu, NULL);
    d->runner = runner;
    int rc = (d->config_path = strdup(config_path)) ? 0 : wd_fail(WD_ENOMEM, "out of memory");
    if (!rc && wdd_metrics_new(&d->metrics) != 0)
        rc = wd_fail(WD_ENOMEM, "out of memory");
    if (!rc)
        rc = build(d, NULL, &d->current, diags);
    if (rc) {
        wdd_daemon_free(d);
        return rc;
    }
    d->current->generation = ++d->generation;
    made_current(d->current);
    for (size_t i = 0; i < d->current->ntenants; i++)
        wd_audit_json(
            d->current->tenants[i].audit, "DAEMON_STARTED", WD_SEVERITY_LOW, NULL, NULL,
            json_pack("{s:s, s:s, s:I}", "config", d->current->cfg->path, "version",
                      WD_VERSION_STRING, "components",
                      (json_int_t)wd_engine_component_count(d->current->tenants[i].engine)));
    *out = d;
    return 0;
}

void wdd_daemon_free(wdd_daemon *d)
{
    if (!d)
        return;
    if (d->current) {
        for (size_t i = 0; i < d->current->ntenants; i++)
            wd_audit_json(d->current->tenants[i].audit, "DAEMON_STOPPED", WD_SEVERITY_LOW, NULL,
                          NULL, json_pack("{s:s}", "config", d->current->cfg->path));
        wdd_state_release(d, d->current);
    }
    wdd_metrics_free(d->metrics);
    pthread_mutex_destroy(&d->state_mu);
    pthread_mutex_destroy(&d->change_mu);
    pthread_mutex_destroy(&d->audits_mu);
    free(d->config_path);
    free(d);
}

/* The reload recorded in each of next's logs before it is made: all or nothing, the record
 * of it included, so a reload a tenant's log does not take is not made. */
static int record_reloaded(wdd_daemon *d, wdd_state *next, uint64_t generation)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < next->ntenants; i++)
        rc = wd_audit_json(
            next->tenants[i].audit, "CONFIG_RELOADED", WD_SEVERITY_MEDIUM, NULL, NULL,
            json_pack("{s:s, s:I, s:I}", "config", d->config_path, "generation",
                      (json_int_t)generation, "components",
                      (json_int_t)wd_engine_component_count(next->tenants[i].engine)));
    return rc;
}

/* Builds the next state and makes it current, or leaves the running one (old) as it is. */
static int install(wdd_daemon *d, const wdd_state *old, wd_diagnostics *diags)
{
    wdd_state *next = NULL;
    int rc = build(d, old, &next, diags);
    if (rc)
        return rc; /* build left nothing behind */
    uint64_t generation = d->generation + 1;
    rc = record_reloaded(d, next, generation);
    if (rc) {
        kept_error k;
        keep_error(&k);
        wdd_state_release(d, next);
        return wd_error_set(rc, k.e.id, k.e.file, k.e.line, k.e.column,
                            "the reload could not be recorded: %s", k.msg);
    }
    next->generation = d->generation = generation;
    pthread_mutex_lock(&d->state_mu);
    wdd_state *prev = d->current;
    d->current = next;
    pthread_mutex_unlock(&d->state_mu);
    wdd_state_release(d, prev); /* the daemon's reference; requests hold theirs */
    made_current(next);         /* the change lock keeps it alive: only a reload would release it */
    return 0;
}

/* A reload that did not happen: recorded in each running tenant's log that takes it (a log
 * that is failing is why, often); k keeps the error of the failure. */
static void record_failed(wdd_daemon *d, const wdd_state *old, kept_error *k)
{
    keep_error(k);
    for (size_t i = 0; i < old->ntenants; i++)
        wd_audit_json(old->tenants[i].audit, "RELOAD_FAILED", WD_SEVERITY_HIGH, NULL, NULL,
                      json_pack("{s:s, s:s, s:s}", "config", d->config_path, "error", k->msg,
                                "kept", "the running configuration"));
}

int wdd_daemon_reload(wdd_daemon *d, wd_diagnostics *diags)
{
    pthread_mutex_lock(&d->change_mu);
    wdd_state *old = wdd_state_acquire(d);
    kept_error k = {.msg = ""};
    int rc = install(d, old, diags);
    if (rc)
        record_failed(d, old, &k);
    wdd_state_release(d, old);
    pthread_mutex_unlock(&d->change_mu);
    wdd_metrics_reload(d->metrics, rc == 0);
    if (rc) /* the error of the failure, not of the records after it */
        wd_error_set(rc, k.e.id, k.e.file, k.e.line, k.e.column, "%s", k.msg);
    return rc;
}

wdd_state *wdd_state_acquire(wdd_daemon *d)
{
    pthread_mutex_lock(&d->state_mu);
    wdd_state *s = d->current;
    if (s)
        __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&d->state_mu);
    return s;
}

wdd_state *wdd_state_ref(wdd_state *s)
{
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
    return s;
}

void wdd_state_release(wdd_daemon *d, wdd_state *s)
{
    if (s && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
        state_free(d, s);
}

wdd_state *wdd_change_begin(wdd_daemon *d)
{
    pthread_mutex_lock(&d->change_mu);
    return wdd_state_acquire(d);
}

void wdd_change_end(wdd_daemon *d, wdd_state *s)
{
    wdd_state_release(d, s);
    pthread_mutex_unlock(&d->change_mu);
}

wdd_tenant_rt *wdd_state_tenant(wdd_state *s, const char *name)
{
    for (size_t i = 0; s && name && i < s->ntenants; i++)
        if (strcmp(s->tenants[i].cfg->name, name) == 0)
            return &s->tenants[i];
    return NULL;
}
