/* api_policy.c: GET|PUT /v1/components/{id}/policy, POST|DELETE /v1/components/{id}/grants.
 * Changes go through the engine (validated, persisted atomically, audited, swapped in) under
 * the daemon's change lock, so a reload never reads a policy file halfway through a change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api_int.h"
#include "daemon/args.h"

void wdd_api_policy_get(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    (void)d;
    wdd_tenant_rt *t = wdd_state_tenant(s, req->tenant);
    char *yaml = NULL;
    size_t len = 0;
    const char *source = NULL;
    int rc = wd_engine_policy_get(t->engine, req->id, &yaml, &len, &source);
    if (rc) {
        wdd_api_engine_error(resp, rc);
        return;
    }
    wdd_api_json(
        resp, 200,
        json_pack("{s:s, s:s, s:s%}", "component", req->id, "source", source, "policy", yaml, len));
    free(yaml);
}

static json_t *diag_list(const wd_diagnostics *diags)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < wd_diagnostics_count(diags); i++) {
        char line[1200];
        wd_diag_format(wd_diagnostics_get(diags, i), line, sizeof(line));
        json_array_append_new(list, json_string(line));
    }
    return list;
}

/* The answer after a change: the component's policy as it now stands. */
static void changed(wdd_tenant_rt *t, const char *id, json_t *warnings, wdd_response *resp)
{
    char *yaml = NULL;
    size_t len = 0;
    const char *source = NULL;
    int rc = wd_engine_policy_get(t->engine, id, &yaml, &len, &source);
    if (rc) {
        json_decref(warnings);
        wdd_api_engine_error(resp, rc);
        return;
    }
    wdd_api_json(resp, 200,
                 json_pack("{s:s, s:s, s:s%, s:o}", "component", id, "source", source, "policy",
                           yaml, len, "warnings", warnings ? warnings : json_array()));
    free(yaml);
}

void wdd_api_policy_put(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    (void)s;
    wd_diagnostics *diags = NULL;
    if (wd_diagnostics_new(&diags) != 0) {
        wdd_api_error(resp, 500, WDD_E_INTERNAL, "out of memory");
        return;
    }
    wdd_state *cur = wdd_change_begin(d);
    wdd_tenant_rt *t = wdd_state_tenant(cur, req->tenant);
    int rc = t ? wd_engine_policy_put(t->engine, req->id, req->body ? req->body : "", req->body_len,
                                      diags)
               : wd_fail(WD_ENOTFOUND, "tenant %s is no longer configured", req->tenant);
    if (rc == WD_EPOLICY) {
        /* Every problem, each with its line and column, under the first one's id. */
        const wd_diag *first = NULL;
        for (size_t i = 0; i < wd_diagnostics_count(diags) && !first; i++)
            if (wd_diagnostics_get(diags, i)->severity == WD_DIAG_ERROR)
                first = wd_diagnostics_get(diags, i);
        char msg[1200] = "the policy does not validate";
        if (first)
            wd_diag_format(first, msg, sizeof(msg));
        json_t *j = json_pack("{s:{s:s, s:s}, s:o}", "error", "code", first ? first->id : "WD-P001",
                              "message", msg, "diagnostics", diag_list(diags));
        wdd_api_json(resp, 400, j);
    } else if (rc) {
        wdd_api_engine_error(resp, rc);
    } else {
        changed(t, req->id, diag_list(diags), resp);
    }
    wdd_change_end(d, cur);
    wd_diagnostics_free(diags);
}

/* {"kind": "storage", "uri": "fs:///data", "access": ["read", "write"]}, {"kind": "network",
 * "host": "api.example.com"}, {"kind": "environment", "key": "HOME"} or {"kind": "tool",
 * "name": "read_text_file"} (into a policy that lists tools already). */
static bool parse_grant(const wdd_request *req, json_t *j, wd_grant *g, bool revoke,
                        wdd_response *resp)
{
    (void)req;
    const char *kind = wdd_api_string(j, "kind", true, resp);
    if (!kind)
        return false;
    if (strcmp(kind, "storage") == 0) {
        static const char *const keys[] = {"kind", "uri", "access", NULL};
        g->kind = WD_RULE_STORAGE;
        if (!wdd_api_only_keys(j, keys, resp) || !(g->value = wdd_api_string(j, "uri", true, resp)))
            return false;
        char why[160];
        if (!wdd_args_access(json_object_get(j, "access"), !revoke, &g->access, why, sizeof(why))) {
            wdd_api_error(resp, 400, WDD_E_FIELD, "%s", why);
            return false;
        }
        return true;
    }
    if (strcmp(kind, "network") == 0) {
        static const char *const keys[] = {"kind", "host", NULL};
        g->kind = WD_RULE_NETWORK;
        return wdd_api_only_keys(j, keys, resp) &&
               (g->value = wdd_api_string(j, "host", true, resp)) != NULL;
    }
    if (strcmp(kind, "environment") == 0) {
        static const char *const keys[] = {"kind", "key", NULL};
        g->kind = WD_RULE_ENVIRONMENT;
        return wdd_api_only_keys(j, keys, resp) &&
               (g->value = wdd_api_string(j, "key", true, resp)) != NULL;
    }
    if (strcmp(kind, "tool") == 0) {
        static const char *const keys[] = {"kind", "name", NULL};
        g->kind = WD_RULE_TOOL;
        return wdd_api_only_keys(j, keys, resp) &&
               (g->value = wdd_api_string(j, "name", true, resp)) != NULL;
    }
    wdd_api_error(resp, 400, WDD_E_FIELD, "\"kind\" must be storage, network, environment or tool");
    return false;
}

/* Applies g under the change lock, to the state current now (a reload may have dropped the
 * tenant since the request was identified). */
static void apply_grant(wdd_daemon *d, const wdd_request *req, const wd_grant *g, bool revoke,
                        wdd_response *resp)
{
    wdd_state *cur = wdd_change_begin(d);
    wdd_tenant_rt *t = wdd_state_tenant(cur, req->tenant);
    int rc = !t       ? wd_fail(WD_ENOTFOUND, "tenant %s is no longer configured", req->tenant)
             : revoke ? wd_engine_revoke(t->engine, req->id, g)
                      : wd_engine_grant(t->engine, req->id, g);
    if (rc)
        wdd_api_engine_error(resp, rc);
    else
        changed(t, req->id, NULL, resp);
    wdd_change_end(d, cur);
}

static void grant_or_revoke(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp,
                            bool revoke)
{
    (void)s;
    json_t *j = wdd_api_parse_json(req, resp);
    wd_grant g = {.value = NULL};
    if (j && parse_grant(req, j, &g, revoke, resp))
        apply_grant(d, req, &g, revoke, resp);
    json_decref(j); /* g.value points into it */
}

void wdd_api_grant(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    grant_or_revoke(d, s, req, resp, false);
}

void wdd_api_revoke(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    grant_or_revoke(d, s, req, resp, true);
}
