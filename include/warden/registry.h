/* registry.h: plugins by (id, type, version), instance-scoped and thread-safe.
 *
 * Lifecycle: wd_registry_new() (one per tenant: nothing is global) -> wd_registry_add() the
 * contracts that passed review -> wd_registry_resolve() / wd_registry_latest() from any number
 * of threads -> wd_registry_free(). The registry takes ownership of each contract it accepts.
 * Many readers run at once; writers take the registry exclusively. */
#ifndef WARDEN_REGISTRY_H
#define WARDEN_REGISTRY_H

#include "common.h"
#include "contract.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wd_registry wd_registry;

typedef struct {
    unsigned version;
    /* Id prefixes allowed to register, matched at a '.' boundary ("acme" allows "acme" and
     * "acme.files", not "acmex"). allowlist NULL: no allowlist configured, everything allowed
     * (wd_registry_new says so in its warning). allowlist non-NULL with allowlist_len 0: an
     * empty allowlist, nothing allowed. */
    const char *const *allowlist;
    size_t allowlist_len;
} wd_registry_options;

#define WD_REGISTRY_OPTIONS_VERSION 1
#define WD_REGISTRY_OPTIONS_INIT                                                                   \
    {                                                                                              \
        WD_REGISTRY_OPTIONS_VERSION, NULL, 0                                                       \
    }

/* *warning (may be NULL) receives a static note when no allowlist is configured, else NULL. */
WD_EXPORT int wd_registry_new(wd_registry **out, const wd_registry_options *opts,
                              const char **warning);
WD_EXPORT void wd_registry_free(wd_registry *reg);

enum { WD_REGISTRY_REPLACE = 1 };

/* Registers a contract under (id, type, version). An existing key is an error (WD_EBUSY) unless
 * flags has WD_REGISTRY_REPLACE; *replaced (may be NULL) is set when one was replaced. An id off
 * the allowlist is refused (WD_EPERM, WD-L012). On success the registry owns the contract; on
 * failure the caller still does. Versions differing only in build metadata are the same key. */
WD_EXPORT int wd_registry_add(wd_registry *reg, wd_contract *contract, unsigned flags,
                              int *replaced);
/* Removes (id, type, version); WD_ENOTFOUND if absent. */
WD_EXPORT int wd_registry_remove(wd_registry *reg, const char *id, wd_plugin_type type,
                                 const char *version);

/* Finds (id, type, version) and passes it to fn under the read lock (the contract stays valid
 * only during fn). Returns fn's result, or WD_ENOTFOUND (the message names only what was asked
 * for, never other registered keys). */
WD_EXPORT int wd_registry_resolve(wd_registry *reg, const char *id, wd_plugin_type type,
                                  const char *version,
                                  int (*fn)(const wd_contract *contract, void *ctx), void *ctx);
/* The highest precedence version of (id, type): pre-releases only if prerelease is non-zero. */
WD_EXPORT int wd_registry_latest(wd_registry *reg, const char *id, wd_plugin_type type,
                                 int prerelease, int (*fn)(const wd_contract *contract, void *ctx),
                                 void *ctx);
/* Every entry, sorted by id, type, then version precedence; fn returns non-zero to stop. */
WD_EXPORT int wd_registry_list(wd_registry *reg, int (*fn)(const wd_contract *contract, void *ctx),
                               void *ctx);
WD_EXPORT size_t wd_registry_count(wd_registry *reg);

/* Whether an id passes the allowlist (the same rule wd_registry_add applies). */
WD_EXPORT int wd_registry_allows(const wd_registry *reg, const char *id);

#ifdef __cplusplus
}
#endif
#endif
