/* discover.c: the engine's components: each configured contract directory discovered into the
 * tenant's registry through the review gate, then each id's highest version collected.
 *
 * All or nothing: a contract refused on its merits is a refusal, recorded, and the engine opens
 * without it; a run whose records the audit log did not take is no run at all (a registration
 * that was not recorded did not happen, so the engine would open with plugins silently missing).
 * Then the engine does not open, and whoever opened it (a reload) keeps what it had. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "util/error.h"

/* Collects one registry entry as a component: the registry lists each id's versions in
 * ascending precedence, so the last one seen is the highest. An id registered under two types
 * is one component, of the first type listed. */
static int collect(const wd_contract *c, void *ctx)
{
    wd_engine *e = ctx;
    wd_component *last = e->ncomps ? &e->comps[e->ncomps - 1] : NULL;
    if (last && strcmp(last->id, wd_contract_id(c)) == 0) {
        if (wd_contract_type(last->contract) == wd_contract_type(c))
            last->contract = c;
        return 0;
    }
    wd_component *grown = realloc(e->comps, (e->ncomps + 1) * sizeof(*grown));
    if (!grown)
        return wd_fail(WD_ENOMEM, "out of memory");
    e->comps = grown;
    wd_component *comp = &e->comps[e->ncomps];
    *comp = (wd_component){.id = strdup(wd_contract_id(c)), .contract = c};
    if (!comp->id)
        return wd_fail(WD_ENOMEM, "out of memory");
    e->ncomps++;
    return 0;
}

int wd_engine_discover(wd_engine *e, const wd_engine_options *o, size_t *refused)
{
    wd_registry_options ro = WD_REGISTRY_OPTIONS_INIT;
    ro.allowlist = o->allowlist_set ? o->allowlist : NULL;
    ro.allowlist_len = o->allowlist_len;
    static const char *const none[] = {NULL};
    if (o->allowlist_set && !o->allowlist)
        ro.allowlist = none;
    ro.audit = o->audit;
    int rc = wd_registry_new(&e->registry, &ro, NULL);
    /* Version 1 options end before the rest of the gate: signatures only, as they promised. */
    bool v2 = o->version >= 2;
    for (size_t i = 0; !rc && i < o->ncontract_dirs; i++) {
        wd_discover_options d = WD_DISCOVER_OPTIONS_INIT;
        d.trust_dir = o->trust_dir;
        d.review_required = o->trust_dir != NULL && !(v2 && o->review_optional);
        d.approved_path = v2 ? o->approved_path : NULL;
        d.deny_imports = v2 ? o->deny_imports : NULL;
        wd_load_report *rep = NULL;
        rc = wd_registry_discover(e->registry, o->contract_dirs[i], &d, &rep);
        const char *id = NULL, *why = NULL;
        size_t unrecorded = rc ? 0 : wd_load_report_unrecorded(rep, &id, &why);
        if (unrecorded)
            rc = wd_error_raise(WD_KIND_UNAVAILABLE, WD_EIO, id && id[0] ? id : "WD-A010",
                                o->contract_dirs[i], 0, 0,
                                "%s: %zu record%s of loading the contracts in %s could not be "
                                "written to the audit log (%s): not opened, rather than open "
                                "without them",
                                e->name, unrecorded, unrecorded == 1 ? "" : "s",
                                o->contract_dirs[i], why);
        if (!rc && refused)
            *refused += wd_load_report_refused(rep);
        wd_load_report_free(rep);
    }
    if (!rc)
        rc = wd_registry_list(e->registry, collect, e);
    return rc;
}
