/* fuzz_daemon_config.c: arbitrary bytes as wardend's warden.yaml. Exercises the UTF-8 check,
 * the YAML tree builder, every validation path of src/daemon/config.c, the cross-tenant checks
 * and the lookups. A parsed configuration must be internally consistent, every diagnostic
 * readable, and everything freed cleanly. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "warden/diag.h"
#include "warden/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool one_line(const char *s)
{
    return !strpbrk(s, "\n\r");
}

/* A resolved path: absolute, normalised, readable to its end (ASan sees a dangling one). */
static void check_path(const char *s)
{
    if (!s || s[0] != '/' || strstr(s, "//") || strstr(s, "/./") || strstr(s, "/../"))
        abort();
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '/')
        abort();
}

static void check_opt_path(const char *s)
{
    if (s)
        check_path(s);
}

static void check_diagnostics(const wd_diagnostics *diags)
{
    char buf[512], tiny[1];
    size_t n = wd_diagnostics_count(diags);
    if (wd_diagnostics_errors(diags) > n)
        abort();
    for (size_t i = 0; i < n; i++) {
        const wd_diag *d = wd_diagnostics_get(diags, i);
        if (!d || !d->id || !d->file || !d->message)
            abort();
        if (strncmp(d->id, "WD-C", 4) != 0)
            abort(); /* a configuration speaks only in WD-C ids */
        size_t need = wd_diag_format(d, buf, sizeof(buf));
        if (strlen(buf) != (need < sizeof(buf) ? need : sizeof(buf) - 1))
            abort();
        if (wd_diag_format(d, tiny, sizeof(tiny)) != need || tiny[0] != '\0')
            abort();
        if (!one_line(d->message) || !one_line(d->file))
            abort();
    }
}

static void inspect(const wdd_config *c)
{
    check_path(c->path);
    check_path(c->unix_path);
    check_opt_path(c->runner);
    if (c->unix_mode & 07 || c->unix_mode > 0777)
        abort();
    if (c->tcp_host && (c->tcp_port == 0 || c->tcp_port > 65535))
        abort();
    if (!c->max_body || !c->max_header || !c->timeout_s || !c->max_connections || !c->max_batch ||
        !c->invoke_timeout_ms)
        abort();
    if (!c->ntenants || !c->tenants)
        abort();
    size_t token_clients = 0;
    for (size_t t = 0; t < c->ntenants; t++) {
        const wdd_tenant *tn = &c->tenants[t];
        if (!tn->name || !tn->name[0] || strlen(tn->name) > 64)
            abort();
        for (size_t u = 0; u < t; u++)
            if (!strcmp(tn->name, c->tenants[u].name))
                abort();
        for (size_t i = 0; i < tn->ncontracts; i++)
            check_path(tn->contracts[i]);
        for (size_t i = 0; i < tn->nprotected; i++)
            check_path(tn->protected_globs[i]);
        for (size_t i = 0; i < tn->nallowlist; i++)
            if (!tn->allowlist[i] || !tn->allowlist[i][0])
                abort();
        if (tn->nallowlist && !tn->allowlist_set)
            abort();
        check_opt_path(tn->trust);
        check_path(tn->policies);
        check_path(tn->audit_log);
        check_path(tn->audit_keys);
        check_opt_path(tn->overrides);
        if (!tn->baseline != !tn->baseline_pubkey)
            abort();
        check_opt_path(tn->baseline);
        check_opt_path(tn->baseline_pubkey);
        if (tn->durability < WD_DURABILITY_ALWAYS || tn->durability > WD_DURABILITY_NONE)
            abort();
        if (tn->audit_decisions < WDD_AUDIT_ALL || tn->audit_decisions > WDD_AUDIT_NONE)
            abort();
        if (!tn->nclients || !tn->clients)
            abort();
        for (size_t i = 0; i < tn->nclients; i++) {
            const wdd_client *cl = &tn->clients[i];
            if ((cl->uid >= 0) == (cl->token_file != NULL))
                abort(); /* exactly one of uid and token_file */
            if (cl->token_len)
                abort(); /* parse never reads token files */
            if (cl->role < WDD_ROLE_READER || cl->role > WDD_ROLE_ADMIN)
                abort();
            if (strcmp(wdd_role_name(cl->role), "?") == 0)
                abort();
            if (cl->token_file) {
                check_path(cl->token_file);
                token_clients++;
                continue;
            }
            wdd_role role = 0;
            if (wdd_config_by_uid(c, cl->uid, &role) != tn || role != cl->role)
                abort(); /* a uid belongs to exactly one client */
        }
    }
    if (!c->tcp_host != !token_clients)
        abort(); /* tokens only with TCP, TCP only with tokens */
    /* No token was read, so no token matches: not even an empty or all-zero one. */
    static const char zeros[WDD_TOKEN_MAX];
    wdd_role role = 0;
    if (wdd_config_by_token(c, zeros, sizeof(zeros), &role) ||
        wdd_config_by_token(c, zeros, 32, &role) || wdd_config_by_token(c, "", 0, &role))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wd_diagnostics *diags = NULL;
    if (wd_diagnostics_new(&diags) != 0)
        return 0;
    wdd_config *cfg = NULL;
    int rc = wdd_config_parse(&cfg, (const char *)data, size, "warden.yaml", "/etc/warden", diags);
    if (rc == 0) {
        if (!cfg || wd_diagnostics_errors(diags) != 0)
            abort();
        inspect(cfg);
        wdd_config_free(cfg);
    } else {
        if (cfg)
            abort();
        if (rc != WD_EPOLICY && rc != WD_ENOMEM)
            abort();
        if (rc == WD_EPOLICY && wd_diagnostics_errors(diags) == 0)
            abort();
    }
    check_diagnostics(diags);
    wd_diagnostics_free(diags);
    return 0;
}
