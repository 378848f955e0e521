/* discover.c: the engine's components: each configured contract directory discovered into the
 * tenant's registry through the review gate, then each id's highest version collected.
 *
 * All or nothing: a contract refused on its merits is a refusal, recorded, and the engine opens
 * without it; a run whose records the audit log did not take is no run at all (a registration
 * that was not recorded did not happen, so the engine would open with plugins silently missing).
 * Then the engine does not open, and whoever opened it (a reload) keeps what it had.
 *
 * Every refusal is named as well (wd_engine_refused), so a daemon can say which plugins are
 * missing and why; wd_engine_review runs the same gate alone, recording nothing, for a check. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "util/error.h"
#include "util/utf8.h"

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

/* ---- refusals ------------------------------------------------------------------------------ */

typedef struct {
    char *path, *code, *message;
} refusal;

struct wd_engine_refusals {
    refusal *v; /* kept: the first WD_ENGINE_REFUSALS_KEPT */
    size_t kept, count;
};

enum { REFUSAL_TEXT_MAX = 1024 }; /* a longer path or message is cut, between characters */

static char *printable(const char *s)
{
    char buf[REFUSAL_TEXT_MAX];
    return strdup(wd_utf8_printable(s ? s : "", s ? strlen(s) : 0, buf, sizeof(buf), NULL));
}

static int refusal_add(wd_engine_refusals *r, const wd_load_entry *en)
{
    r->count++;
    if (r->kept == WD_ENGINE_REFUSALS_KEPT)
        return 0;
    if (!r->v && !(r->v = calloc(WD_ENGINE_REFUSALS_KEPT, sizeof(*r->v))))
        return wd_fail(WD_ENOMEM, "out of memory");
    refusal *x = &r->v[r->kept];
    *x = (refusal){printable(en->path), printable(en->id), printable(en->message)};
    if (!x->path || !x->code || !x->message) {
        free(x->path), free(x->code), free(x->message);
        *x = (refusal){0};
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    r->kept++;
    return 0;
}

size_t wd_engine_refusals_count(const wd_engine_refusals *r)
{
    return r ? r->count : 0;
}

size_t wd_engine_refusals_kept(const wd_engine_refusals *r)
{
    return r ? r->kept : 0;
}

int wd_engine_refusals_get(const wd_engine_refusals *r, size_t i, const char **path,
                           const char **code, const char **message)
{
    if (!r || i >= r->kept)
        return wd_fail(WD_ENOTFOUND, "no refusal %zu", i);
    if (path)
        *path = r->v[i].path;
    if (code)
        *code = r->v[i].code;
    if (message)
        *message = r->v[i].message;
    return 0;
}

void wd_engine_refusals_free(wd_engine_refusals *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->kept; i++) {
        free(r->v[i].path);
        free(r->v[i].code);
        free(r->v[i].message);
    }
    free(r->v);
    free(r);
}

const wd_engine_refusals *wd_engine_refused(const wd_engine *e)
{
    return e ? e->refusals : NULL;
}

/* ---- the gate -------------------------------------------------------------------------------- */

static int registry_new(wd_registry **out, const wd_engine_options *o, wd_audit *audit)
{
    wd_registry_options ro = WD_REGISTRY_OPTIONS_INIT;
    ro.allowlist = o->allowlist_set ? o->allowlist : NULL;
    ro.allowlist_len = o->allowlist_len;
    static const char *const none[] = {NULL};
    if (o->allowlist_set && !o->allowlist)
        ro.allowlist = none;
    ro.audit = audit;
    return wd_registry_new(out, &ro, NULL);
}

/* Every contract directory of o discovered into reg; each refusal named in ref. */
static int discover_dirs(wd_registry *reg, const char *name, const wd_engine_options *o,
                         wd_engine_refusals *ref)
{
    int rc = 0;
    /* Version 1 options end before the rest of the gate: signatures only, as they promised. */
    bool v2 = o->version >= 2;
    for (size_t i = 0; !rc && i < o->ncontract_dirs; i++) {
        wd_discover_options d = WD_DISCOVER_OPTIONS_INIT;
        d.trust_dir = o->trust_dir;
        d.review_required = o->trust_dir != NULL && !(v2 && o->review_optional);
        d.approved_path = v2 ? o->approved_path : NULL;
        d.deny_imports = v2 ? o->deny_imports : NULL;
        wd_load_report *rep = NULL;
        rc = wd_registry_discover(reg, o->contract_dirs[i], &d, &rep);
        const char *id = NULL, *why = NULL;
        size_t unrecorded = rc ? 0 : wd_load_report_unrecorded(rep, &id, &why);
        if (unrecorded)
            rc = wd_error_raise(WD_KIND_UNAVAILABLE, WD_EIO, id && id[0] ? id : "WD-A010",
                                o->contract_dirs[i], 0, 0,
                                "%s: %zu record%s of loading the contracts in %s could not be "
                                "written to the audit log (%s): not opened, rather than open "
                                "without them",
                                name, unrecorded, unrecorded == 1 ? "" : "s", o->contract_dirs[i],
                                why);
        for (size_t k = 0; !rc && k < wd_load_report_count(rep); k++) {
            const wd_load_entry *en = wd_load_report_get(rep, k);
            if (!en->loaded)
                rc = refusal_add(ref, en);
        }
        wd_load_report_free(rep);
    }
    return rc;
}

int wd_engine_discover(wd_engine *e, const wd_engine_options *o, size_t *refused)
{
    if (!(e->refusals = calloc(1, sizeof(*e->refusals))))
        return wd_fail(WD_ENOMEM, "out of memory");
    int rc = registry_new(&e->registry, o, o->audit);
    if (!rc)
        rc = discover_dirs(e->registry, e->name, o, e->refusals);
    if (!rc && refused)
        *refused = e->refusals->count;
    if (!rc)
        rc = wd_registry_list(e->registry, collect, e);
    return rc;
}

int wd_engine_review(wd_engine_refusals **out, const wd_engine_options *opts)
{
    if (!out)
        return wd_fail(WD_EINVAL, "wd_engine_review needs an output");
    *out = NULL;
    if (!opts || opts->version < 1 || opts->version > WD_ENGINE_OPTIONS_VERSION)
        return wd_fail(WD_EINVAL, "wd_engine_review needs options of version %d",
                       WD_ENGINE_OPTIONS_VERSION);
    wd_engine_options o = {0};
    memcpy(&o, opts, opts->version == 1 ? WD_ENGINE_OPTIONS_V1_SIZE : sizeof(o));
    wd_engine_refusals *r = calloc(1, sizeof(*r));
    if (!r)
        return wd_fail(WD_ENOMEM, "out of memory");
    wd_registry *reg = NULL;
    int rc = registry_new(&reg, &o, NULL);
    if (!rc)
        rc = discover_dirs(reg, o.name ? o.name : "default", &o, r);
    wd_registry_free(reg);
    if (rc) {
        wd_engine_refusals_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
