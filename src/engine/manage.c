/* manage.c: changing a component's policy, invoking it (warm components through warm.c),
 * what it says of itself (describe, an MCP server's tools), approving overrides (engine.h). */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "engine/engine_int.h"
#include "util/diag.h"
#include "util/error.h"
#include "warden/override.h"

enum { ID_QUOTED = 128 }; /* of an unknown component's id, in the message */

/* The component named id: 0 and *out, or WD_ENOTFOUND (recorded). */
static int component(wd_component **out, wd_engine *e, const char *id)
{
    *out = e ? wd_engine_find(e, id) : NULL;
    return *out ? 0 : wd_fail(WD_ENOTFOUND, "no component \"%.*s\"", (int)ID_QUOTED, id ? id : "");
}

static int refuse_in_lockdown(const wd_engine *e)
{
    const char *locked = wd_watch_lockdown(e->watch);
    return locked
               ? wd_error_raise(WD_KIND_UNAVAILABLE, WD_ESTATE, "WD-T006", NULL, 0, 0, "%s", locked)
               : 0;
}

int wd_engine_policy_get(wd_engine *e, const char *id, char **yaml, size_t *len,
                         const char **source)
{
    *yaml = NULL;
    wd_component *c;
    int rc = component(&c, e, id);
    if (rc < 0)
        return rc;
    return wd_policy_store_text(e->store, c->id, wd_contract_type(c->contract), yaml, len, source);
}

typedef struct {
    wd_diagnostics *diags;
} warn_ctx;

static void warn_protected(const wd_rule *r, const char *glob, void *ctx)
{
    warn_ctx *w = ctx;
    wd_diag_add(w->diags, WD_DIAG_WARNING, "WD-W002", r->file, r->line, r->column,
                "%s grants changes on a protected path (%s): those changes are denied", r->text,
                glob);
}

int wd_engine_policy_put(wd_engine *e, const char *id, const char *yaml, size_t len,
                         wd_diagnostics *diags)
{
    wd_component *c;
    int rc = component(&c, e, id);
    if (rc < 0)
        return rc;
    rc = refuse_in_lockdown(e);
    if (rc)
        return rc;
    /* Validated here first so the caller gets every problem with its location; the store
     * validates again before it writes. */
    wd_policy_options po = WD_POLICY_OPTIONS_INIT;
    po.data_dir = e->policies_dir;
    po.display_name = id;
    po.diagnostics = diags;
    wd_policy *p = NULL;
    rc = wd_policy_load_buffer(&p, yaml, len, &po);
    if (rc)
        return rc;
    warn_ctx w = {diags};
    wd_verdict_protected_grants(e->protect, p, warn_protected, &w);
    wd_policy_free(p);
    pthread_mutex_lock(&e->change_mu);
    rc = wd_policy_store_replace(e->store, c->id, yaml, len);
    if (!rc)
        rc = wd_engine_refresh(e, c);
    pthread_mutex_unlock(&e->change_mu);
    return rc;
}

static int change(wd_engine *e, const char *id, const wd_grant *g, bool revoke)
{
    wd_component *c;
    int rc = component(&c, e, id);
    if (rc < 0)
        return rc;
    if (!g || !g->value)
        return wd_fail(WD_EINVAL, "a grant needs a kind and a value");
    rc = refuse_in_lockdown(e);
    if (rc)
        return rc;
    wd_plugin_type t = wd_contract_type(c->contract);
    pthread_mutex_lock(&e->change_mu);
    switch (g->kind) {
    case WD_RULE_STORAGE:
        rc = revoke ? wd_policy_revoke_storage(e->store, c->id, t, g->value, g->access)
                    : wd_policy_grant_storage(e->store, c->id, t, g->value, g->access);
        break;
    case WD_RULE_NETWORK:
        rc = revoke ? wd_policy_revoke_network(e->store, c->id, t, g->value)
                    : wd_policy_grant_network(e->store, c->id, t, g->value);
        break;
    case WD_RULE_ENVIRONMENT:
        rc = revoke ? wd_policy_revoke_env(e->store, c->id, t, g->value)
                    : wd_policy_grant_env(e->store, c->id, t, g->value);
        break;
    case WD_RULE_TOOL:
        rc = revoke ? wd_policy_revoke_tool(e->store, c->id, t, g->value)
                    : wd_policy_grant_tool(e->store, c->id, t, g->value);
        break;
    default:
        rc = wd_fail(WD_EINVAL, "a grant's kind is storage, network, environment or tool");
    }
    if (!rc)
        rc = wd_engine_refresh(e, c);
    pthread_mutex_unlock(&e->change_mu);
    return rc;
}

int wd_engine_grant(wd_engine *e, const char *id, const wd_grant *g)
{
    return change(e, id, g, false);
}

int wd_engine_revoke(wd_engine *e, const char *id, const wd_grant *g)
{
    return change(e, id, g, true);
}

int wd_engine_start(wd_engine *e, wd_component *c, wd_instance **inst, const wd_policy **policy)
{
    wd_sandbox_options so = WD_SANDBOX_OPTIONS_INIT;
    so.runner_path = e->runner;
    so.audit = e->opts.audit;
    so.min_landlock_abi = e->opts.min_landlock_abi;
    so.timeout_ms = e->opts.invoke_timeout_ms;
    so.overrides_dir = e->overrides_dir;
    so.protected_paths = (const char *const *)e->private_paths;
    so.protected_count = e->nprivate;
    so.protect_changes = e->protect;
    /* A lockdown that begins during the call denies its next request. */
    so.watch = e->watch;
    /* A warm instance serves until something recycles it (warm.c). */
    so.max_calls = wd_engine_warm(c) ? UINT_MAX : 1;
    pthread_rwlock_rdlock(&e->lock);
    so.policy = c->policy;
    if (policy)
        *policy = c->policy;
    int rc = wd_instance_start(inst, c->contract, &so);
    pthread_rwlock_unlock(&e->lock);
    return rc;
}

/* A call of a warm component: its parked instance, or one started for the call. */
static int invoke_warm(wd_engine *e, wd_component *c, const char *input, size_t len,
                       const char *correlation_id, wd_call_result *result)
{
    char corr[40];
    if (correlation_id)
        snprintf(corr, sizeof(corr), "%s", correlation_id);
    else
        wd_uuid_v4(corr);
    wd_instance *inst = NULL;
    const wd_policy *policy = NULL;
    int rc = wd_engine_warm_take(e, c, corr, &inst, &policy, result);
    if (rc) {
        /* It never served the call: the start's failure is the call's. */
        if (!result->output)
            result->output = strdup("");
        return rc;
    }
    rc = wd_instance_call(inst, input, len, corr, result);
    wd_engine_warm_give(e, c, inst, policy, rc, result->failure);
    return rc;
}

int wd_engine_invoke(wd_engine *e, const char *id, const char *input, size_t len,
                     const char *correlation_id, wd_call_result *result)
{
    memset(result, 0, sizeof(*result));
    result->code = "";
    wd_component *c;
    int rc = component(&c, e, id);
    if (rc < 0)
        return rc;
    rc = refuse_in_lockdown(e);
    if (rc) {
        wd_engine_warm_drop(e, c);
        return rc;
    }
    /* A call whose requests and result cannot be recorded is not made. */
    int broken = 0;
    if (e->opts.audit)
        wd_audit_next_seq(e->opts.audit, &broken);
    if (broken)
        return wd_error_raise(WD_KIND_UNAVAILABLE, WD_EIO, "WD-A010", NULL, 0, 0,
                              "the audit log stopped accepting records: no plugin call is made");
    if (wd_engine_warm(c))
        return invoke_warm(e, c, input ? input : "", input ? len : 0, correlation_id, result);
    wd_instance *inst = NULL;
    rc = wd_engine_start(e, c, &inst, NULL);
    if (!rc)
        rc = wd_instance_call(inst, input ? input : "", input ? len : 0, correlation_id, result);
    wd_instance_stop(inst);
    return rc;
}

/* Reads what a started instance of c says of itself into c's caches: a warm component's
 * parked instance serves (and then stays parked for the next call). Published only while the
 * policy it started under is still c's: a change meanwhile dropped the caches for good reason. */
static int learn(wd_engine *e, wd_component *c)
{
    wd_instance *inst = NULL;
    const wd_policy *policy = NULL;
    wd_call_result r;
    memset(&r, 0, sizeof(r));
    char *describe = NULL, *tools = NULL;
    int rc = wd_engine_warm(c) ? wd_engine_warm_take(e, c, NULL, &inst, &policy, &r)
                               : wd_engine_start(e, c, &inst, &policy);
    if (!rc && !wd_engine_warm(c))
        rc = wd_instance_prepare(inst, &r);
    const char *listed = rc ? NULL : wd_instance_tools(inst);
    if (!rc && !(describe = strdup(wd_instance_describe(inst))))
        rc = wd_fail(WD_ENOMEM, "out of memory");
    if (!rc && listed && !(tools = strdup(listed)))
        rc = wd_fail(WD_ENOMEM, "out of memory");
    wd_call_result_clear(&r);
    if (!rc) {
        pthread_rwlock_rdlock(&e->lock);
        bool same = c->policy == policy;
        pthread_rwlock_unlock(&e->lock);
        pthread_mutex_lock(&e->warm_mu);
        if (same && !c->describe) {
            c->describe = describe;
            c->tools = tools;
            describe = tools = NULL;
        }
        pthread_mutex_unlock(&e->warm_mu);
    }
    free(describe);
    free(tools);
    if (wd_engine_warm(c))
        wd_engine_warm_give(e, c, inst, policy, rc, 0);
    else
        wd_instance_stop(inst);
    return rc;
}

/* A copy of c's cached describe() text (tools false) or tools list: 0 and *out set, 1 when
 * not cached, or WD_ENOMEM. */
static int cached(wd_engine *e, const wd_component *c, bool tools, char **out)
{
    pthread_mutex_lock(&e->warm_mu);
    const char *v = tools ? c->tools : c->describe;
    int rc = !v ? 1 : (*out = strdup(v)) ? 0 : wd_fail(WD_ENOMEM, "out of memory");
    pthread_mutex_unlock(&e->warm_mu);
    return rc;
}

/* What c says of itself, learned (a start) when not cached. In lockdown nothing is started. */
static int self_report(wd_engine *e, wd_component *c, bool tools, char **out)
{
    int rc = cached(e, c, tools, out);
    if (rc != 1)
        return rc;
    rc = refuse_in_lockdown(e);
    if (rc)
        return rc;
    pthread_mutex_lock(&e->learn_mu);
    rc = cached(e, c, tools, out);
    if (rc == 1)
        rc = learn(e, c);
    if (!rc && !*out) {
        rc = cached(e, c, tools, out);
        if (rc == 1) /* the policy changed while the plugin was asked: ask it again next time */
            rc = wd_fail(WD_ESTATE, "%s's policy changed while it was being started: ask again",
                         c->id);
    }
    pthread_mutex_unlock(&e->learn_mu);
    return rc;
}

int wd_engine_describe(wd_engine *e, const char *id, char **out)
{
    *out = NULL;
    wd_component *c;
    int rc = component(&c, e, id);
    if (rc < 0)
        return rc;
    return self_report(e, c, false, out);
}

int wd_engine_tools(wd_engine *e, const char *id, char **out)
{
    *out = NULL;
    wd_component *c;
    int rc = component(&c, e, id);
    if (rc < 0)
        return rc;
    if (wd_contract_protocol(c->contract) != WD_PROTOCOL_MCP)
        return wd_fail(WD_EINVAL, "%s is not an MCP server plugin (protocol: mcp): it has no tools",
                       c->id);
    return self_report(e, c, true, out);
}

int wd_engine_approve(wd_engine *e, const char *approver, const char *code, const char *operation,
                      const char *justification, uint64_t ttl_s)
{
    if (!e || !e->overrides_dir)
        return wd_error_set(WD_ENOTFOUND, "WD-O008", NULL, 0, 0,
                            "no override directory is configured: nothing can be approved");
    wd_approve_request r = {WD_APPROVE_REQUEST_VERSION,
                            e->overrides_dir,
                            approver,
                            code,
                            operation,
                            justification,
                            ttl_s,
                            0,
                            e->opts.audit};
    return wd_override_approve(&r);
}
