/* registry.c: a sorted array of contracts behind a read-write lock. Registries are small (a
 * host's plugins), lookups dominate, and a sorted array gives ordered listings and "latest" by
 * binary search with no pointer chasing. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/codes.h"
#include "registry/contract_int.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/utf8.h"
#include "warden/registry.h"

struct wd_registry {
    pthread_rwlock_t lock;
    wd_audit *audit;
    wd_contract **items; /* sorted: id, type, version precedence */
    size_t count, cap;
    char **allow; /* NULL: no allowlist configured */
    size_t allow_len;
    /* Records that could not be written, and the first reason: a caller that must not act
     * on an unrecorded change (a daemon opening a tenant) asks. Under unrecorded_mu. */
    pthread_mutex_t unrecorded_mu;
    size_t unrecorded;
    char unrecorded_id[16], unrecorded_why[256];
};

static const char no_allowlist[] =
    "no plugin allowlist is configured: every plugin id may register";

/* r's two locks; on failure neither is left initialised. */
static int init_locks(wd_registry *r)
{
    if (pthread_rwlock_init(&r->lock, NULL) != 0)
        return wd_fail(WD_ENOMEM, "cannot create a lock");
    if (pthread_mutex_init(&r->unrecorded_mu, NULL) != 0) {
        pthread_rwlock_destroy(&r->lock);
        return wd_fail(WD_ENOMEM, "cannot create a lock");
    }
    return 0;
}

/* An empty registry with its locks: one wd_registry_free then undoes it. */
static int registry_alloc(wd_registry **out)
{
    *out = NULL;
    wd_registry *r = calloc(1, sizeof(*r));
    if (!r)
        return wd_fail(WD_ENOMEM, "out of memory");
    int rc = init_locks(r);
    if (rc)
        free(r);
    else
        *out = r;
    return rc;
}

/* Copies the allowlist; r->allow_len counts the entries copied so far, so wd_registry_free
 * releases exactly those. */
static int copy_allowlist(wd_registry *r, const wd_registry_options *opts)
{
    r->allow = calloc(opts->allowlist_len + 1, sizeof(*r->allow));
    if (!r->allow)
        return wd_fail(WD_ENOMEM, "out of memory");
    for (size_t i = 0; i < opts->allowlist_len; i++) {
        r->allow[i] = strdup(opts->allowlist[i] ? opts->allowlist[i] : "");
        if (!r->allow[i])
            return wd_fail(WD_ENOMEM, "out of memory");
        r->allow_len = i + 1;
    }
    return 0;
}

int wd_registry_new(wd_registry **out, const wd_registry_options *opts, const char **warning)
{
    if (!out)
        return wd_fail(WD_EINVAL, "wd_registry_new needs an output");
    *out = NULL;
    if (opts && opts->version != WD_REGISTRY_OPTIONS_VERSION)
        return wd_fail(WD_EINVAL, "wd_registry_options version %u is not supported", opts->version);
    wd_registry *r = NULL;
    int rc = registry_alloc(&r);
    if (!rc && opts && opts->allowlist)
        rc = copy_allowlist(r, opts);
    if (rc) {
        wd_registry_free(r);
        return rc;
    }
    r->audit = opts ? opts->audit : NULL;
    if (warning)
        *warning = r->allow ? NULL : no_allowlist;
    *out = r;
    return 0;
}

void wd_registry_free(wd_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        wd_contract_free(r->items[i]);
    free(r->items);
    for (size_t i = 0; r->allow && i < r->allow_len; i++)
        free(r->allow[i]);
    free(r->allow);
    pthread_rwlock_destroy(&r->lock);
    pthread_mutex_destroy(&r->unrecorded_mu);
    free(r);
}

int wd_registry_allows(const wd_registry *r, const char *id)
{
    if (!r->allow)
        return 1;
    size_t idl = strlen(id);
    for (size_t i = 0; i < r->allow_len; i++) {
        size_t pl = strlen(r->allow[i]);
        /* a prefix only counts at a '.' boundary: "acme" allows acme.x, never acmex */
        if (pl && pl <= idl && !memcmp(id, r->allow[i], pl) && (idl == pl || id[pl] == '.'))
            return 1;
    }
    return 0;
}

/* Orders (id, type, version); build metadata never takes part. */
static int key_cmp(const char *id, wd_plugin_type type, const wd_semver *v, const wd_contract *c)
{
    int d = strcmp(id, wd_contract_id(c));
    if (d)
        return d < 0 ? -1 : 1;
    if (type != wd_contract_type(c))
        return type < wd_contract_type(c) ? -1 : 1;
    return v ? wd_semver_compare(v, wd_contract_semver(c)) : 0;
}

/* The first index whose entry is >= the key (v NULL: the first of (id, type)). */
static size_t lower_bound(const wd_registry *r, const char *id, wd_plugin_type type,
                          const wd_semver *v)
{
    size_t lo = 0, hi = r->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(id, type, v, r->items[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool found(const wd_registry *r, size_t at, const char *id, wd_plugin_type type,
                  const wd_semver *v)
{
    return at < r->count && key_cmp(id, type, v, r->items[at]) == 0;
}

static int record(wd_registry *r, const char *type, wd_severity sev, const char *correlation_id,
                  const char *const *kv)
{
    if (!r->audit)
        return 0;
    wd_buf d = WD_BUF_INIT, val = WD_BUF_INIT;
    wd_buf_putc(&d, '{');
    for (size_t i = 0; kv[i]; i += 2) {
        const char *v = kv[i + 1] ? kv[i + 1] : "";
        if (i)
            wd_buf_putc(&d, ',');
        wd_json_quote(&d, kv[i], strlen(kv[i]));
        wd_buf_putc(&d, ':');
        /* paths come from the filesystem and need not be UTF-8; the log only takes UTF-8 */
        wd_buf_clear(&val);
        wd_utf8_escape(&val, v, strlen(v));
        wd_json_quote(&d, val.data ? val.data : "", val.len);
    }
    d.oom |= val.oom;
    wd_buf_free(&val);
    wd_buf_putc(&d, '}');
    wd_audit_event ev = {type, sev, "registry", correlation_id, wd_buf_cstr(&d)};
    int rc = d.oom ? wd_fail(WD_ENOMEM, "out of memory") : wd_audit_append(r->audit, &ev, NULL);
    wd_buf_free(&d);
    if (rc) {
        const wd_error *e = wd_error_last();
        pthread_mutex_lock(&r->unrecorded_mu);
        if (r->unrecorded++ == 0) {
            snprintf(r->unrecorded_id, sizeof(r->unrecorded_id), "%s", e->id);
            snprintf(r->unrecorded_why, sizeof(r->unrecorded_why), "%s", e->message);
        }
        pthread_mutex_unlock(&r->unrecorded_mu);
    }
    return rc;
}

size_t wd_registry_unrecorded(wd_registry *r, char id[static 16], char why[static 256])
{
    pthread_mutex_lock(&r->unrecorded_mu);
    size_t n = r->unrecorded;
    snprintf(id, 16, "%s", r->unrecorded_id);
    snprintf(why, 256, "%s", r->unrecorded_why);
    pthread_mutex_unlock(&r->unrecorded_mu);
    return n;
}

int wd_registry_audit_refusal(wd_registry *r, const char *path, const char *code,
                              const char *message, const char *correlation_id)
{
    const char *kv[] = {"path", path, "code", code, "reason", message, NULL};
    return record(r, "PLUGIN_REFUSED", WD_SEVERITY_MEDIUM, correlation_id, kv);
}

int wd_registry_add(wd_registry *r, wd_contract *c, unsigned flags, int *replaced)
{
    return wd_registry_add_in(r, c, flags, replaced, NULL);
}

int wd_registry_add_in(wd_registry *r, wd_contract *c, unsigned flags, int *replaced,
                       const char *correlation_id)
{
    if (replaced)
        *replaced = 0;
    if (!r || !c || !wd_contract_id(c))
        return wd_fail(WD_EINVAL, "wd_registry_add needs a registry and a loaded contract");
    const char *id = wd_contract_id(c);
    const char *kv[] = {"id",      id,
                        "type",    wd_plugin_type_name(wd_contract_type(c)),
                        "version", wd_contract_version(c),
                        NULL,      NULL,
                        NULL};
    /* A process plugin is not loaded into anything: it has no ABI to speak. */
    if (wd_contract_runtime(c) == WD_RUNTIME_NATIVE &&
        wd_contract_abi(c) != WD_PLUGIN_ABI_VERSION) {
        kv[6] = "reason";
        kv[7] = "unsupported ABI";
        record(r, "PLUGIN_REFUSED", WD_SEVERITY_MEDIUM, correlation_id, kv);
        return wd_error_set(WD_EPERM, WD_L_ABI, NULL, 0, 0,
                            "%s declares plugin ABI %u; this host speaks ABI %d", id,
                            wd_contract_abi(c), WD_PLUGIN_ABI_VERSION);
    }
    if (!wd_registry_allows(r, id)) {
        kv[6] = "reason";
        kv[7] = "not on the allowlist";
        record(r, "PLUGIN_REFUSED", WD_SEVERITY_MEDIUM, correlation_id, kv);
        return wd_error_set(WD_EPERM, WD_L_ID_NOT_ALLOWED, NULL, 0, 0,
                            "plugin id %s is not on the allowlist", id);
    }
    const wd_semver *v = wd_contract_semver(c);
    pthread_rwlock_wrlock(&r->lock);
    size_t at = lower_bound(r, id, wd_contract_type(c), v);
    int rc = 0;
    if (found(r, at, id, wd_contract_type(c), v)) {
        if (!(flags & WD_REGISTRY_REPLACE)) {
            kv[6] = "reason";
            kv[7] = "already registered";
            record(r, "PLUGIN_REFUSED", WD_SEVERITY_MEDIUM, correlation_id, kv);
            rc = wd_error_set(WD_EBUSY, WD_L_DUPLICATE, NULL, 0, 0,
                              "%s (%s) %s is already registered: replacing it must be asked for",
                              id, wd_plugin_type_name(wd_contract_type(c)), wd_contract_version(c));
        } else if ((rc = record(r, "PLUGIN_REPLACED", WD_SEVERITY_HIGH, correlation_id, kv)) == 0) {
            wd_contract_free(r->items[at]);
            r->items[at] = c;
            if (replaced)
                *replaced = 1;
        }
        pthread_rwlock_unlock(&r->lock);
        return rc;
    }
    rc = record(r, "PLUGIN_REGISTERED", WD_SEVERITY_LOW, correlation_id, kv);
    if (rc) { /* not recorded, not registered */
        pthread_rwlock_unlock(&r->lock);
        return rc;
    }
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        wd_contract **items = realloc(r->items, cap * sizeof(*items));
        if (!items) {
            pthread_rwlock_unlock(&r->lock);
            return wd_fail(WD_ENOMEM, "out of memory");
        }
        r->items = items;
        r->cap = cap;
    }
    memmove(&r->items[at + 1], &r->items[at], (r->count - at) * sizeof(*r->items));
    r->items[at] = c;
    r->count++;
    pthread_rwlock_unlock(&r->lock);
    return 0;
}

static int parse_version(const char *version, wd_semver *v)
{
    const char *why;
    if (!version || !wd_semver_parse(version, strlen(version), v, &why))
        return wd_fail(WD_EINVAL, "version \"%.64s\" is not SemVer 2.0.0: %s",
                       version ? version : "", version ? why : "missing");
    return 0;
}

static int not_found(const char *id, wd_plugin_type type, const char *version)
{
    /* Name only what was asked for: an error must not enumerate what else is registered. */
    return wd_fail(WD_ENOTFOUND, "no plugin %.128s (%s)%s%.64s", id ? id : "",
                   wd_plugin_type_name(type), version ? " version " : "", version ? version : "");
}

int wd_registry_remove(wd_registry *r, const char *id, wd_plugin_type type, const char *version)
{
    wd_semver v;
    int rc = !r || !id ? wd_fail(WD_EINVAL, "wd_registry_remove needs a registry and an id")
                       : parse_version(version, &v);
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&r->lock);
    size_t at = lower_bound(r, id, type, &v);
    if (found(r, at, id, type, &v)) {
        wd_contract_free(r->items[at]);
        memmove(&r->items[at], &r->items[at + 1], (r->count - at - 1) * sizeof(*r->items));
        r->count--;
    } else {
        rc = not_found(id, type, version);
    }
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

int wd_registry_resolve(wd_registry *r, const char *id, wd_plugin_type type, const char *version,
                        int (*fn)(const wd_contract *, void *), void *ctx)
{
    wd_semver v;
    int rc = !r || !id || !fn ? wd_fail(WD_EINVAL, "wd_registry_resolve needs an id and a callback")
                              : parse_version(version, &v);
    if (rc)
        return rc;
    pthread_rwlock_rdlock(&r->lock);
    size_t at = lower_bound(r, id, type, &v);
    rc = found(r, at, id, type, &v) ? fn(r->items[at], ctx) : not_found(id, type, version);
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

int wd_registry_latest(wd_registry *r, const char *id, wd_plugin_type type, int prerelease,
                       int (*fn)(const wd_contract *, void *), void *ctx)
{
    if (!r || !id || !fn)
        return wd_fail(WD_EINVAL, "wd_registry_latest needs an id and a callback");
    pthread_rwlock_rdlock(&r->lock);
    /* the id's versions are contiguous from first: binary-search their end */
    size_t first = lower_bound(r, id, type, NULL), lo = first, hi = r->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (found(r, mid, id, type, NULL))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > first;) /* highest precedence last */
        if (prerelease || !wd_semver_is_prerelease(wd_contract_semver(r->items[i]))) {
            int rc = fn(r->items[i], ctx);
            pthread_rwlock_unlock(&r->lock);
            return rc;
        }
    pthread_rwlock_unlock(&r->lock);
    return not_found(id, type, NULL); /* the message is built only on a miss */
}

int wd_registry_list(wd_registry *r, int (*fn)(const wd_contract *, void *), void *ctx)
{
    if (!r || !fn)
        return wd_fail(WD_EINVAL, "wd_registry_list needs a callback");
    pthread_rwlock_rdlock(&r->lock);
    int rc = 0;
    for (size_t i = 0; i < r->count && !rc; i++)
        rc = fn(r->items[i], ctx);
    pthread_rwlock_unlock(&r->lock);
    return rc < 0 ? rc : 0;
}

size_t wd_registry_count(wd_registry *r)
{
    pthread_rwlock_rdlock(&r->lock);
    size_t n = r->count;
    pthread_rwlock_unlock(&r->lock);
    return n;
}
