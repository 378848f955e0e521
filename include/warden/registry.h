/* registry.h: plugins by (id, type, version), instance-scoped and thread-safe.
 *
 * Lifecycle: wd_registry_new() (one per tenant: nothing is global) -> wd_registry_add() the
 * contracts that passed review -> wd_registry_resolve() / wd_registry_latest() from any number
 * of threads -> wd_registry_free(). The registry takes ownership of each contract it accepts.
 * Many readers run at once; writers take the registry exclusively. */
#ifndef WARDEN_REGISTRY_H
#define WARDEN_REGISTRY_H

#include "audit.h"
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
    /* Optional: every registration (PLUGIN_REGISTERED), replacement (PLUGIN_REPLACED, HIGH) and
     * refusal (PLUGIN_REFUSED) is recorded; a change that cannot be recorded is not made. */
    wd_audit *audit;
} wd_registry_options;

#define WD_REGISTRY_OPTIONS_VERSION 1
#define WD_REGISTRY_OPTIONS_INIT                                                                   \
    {                                                                                              \
        WD_REGISTRY_OPTIONS_VERSION, NULL, 0, NULL                                                 \
    }

/* *warning (may be NULL) receives a static note when no allowlist is configured, else NULL. */
WD_EXPORT int wd_registry_new(wd_registry **out, const wd_registry_options *opts,
                              const char **warning);
WD_EXPORT void wd_registry_free(wd_registry *reg);

enum { WD_REGISTRY_REPLACE = 1 };

/* Registers a contract under (id, type, version). An existing key is an error (WD_EBUSY, WD-L023)
 * unless flags has WD_REGISTRY_REPLACE; *replaced (may be NULL) is set when one was replaced. An id
 * off the allowlist is refused (WD_EPERM, WD-L012). On success the registry owns the contract; on
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

/* ---- discovery: loading a directory of contracts ----------------------------------------- */

typedef struct {
    unsigned version;
    size_t max;                      /* most contracts to consider; 0: 10000 */
    const char *correlation_id;      /* one id for the whole batch; NULL: a fresh UUIDv4 */
    const char *trust_dir;           /* reviewers' public keys; NULL: signatures not checked */
    int review_required;             /* with trust_dir: refuse unsigned contracts */
    const char *approved_path;       /* approved library hashes; NULL: not checked */
    const char *const *deny_imports; /* symbols a library may not import (NULL-terminated) */
} wd_discover_options;

#define WD_DISCOVER_OPTIONS_VERSION 1
#define WD_DISCOVER_OPTIONS_INIT                                                                   \
    {                                                                                              \
        WD_DISCOVER_OPTIONS_VERSION, 0, NULL, NULL, 0, NULL, NULL                                  \
    }

typedef struct {
    const char *path;    /* the contract file (or directory) this entry is about */
    int loaded;          /* 1: registered; 0: refused */
    const char *id;      /* "WD-Lnnn" of the refusal, "" when loaded */
    const char *message; /* why it was refused, or "id type version" when loaded */
} wd_load_entry;

typedef struct wd_load_report wd_load_report;

/* Finds every contract.yaml under root (recursively, in name order, never following symlinks),
 * loads, verifies (library hash through its descriptor; the contract, library, policy file and
 * every directory from root down to them changeable by no user but root and warden's own,
 * WD-L025; signature and approved hash when configured; denied imports) and registers each.
 * Any failure of one contract is an entry in the report and the rest go on. Returns 0 with
 * *report set (even when some were refused), or an error when root itself cannot be read
 * (WD-L017). */
WD_EXPORT int wd_registry_discover(wd_registry *reg, const char *root,
                                   const wd_discover_options *opts, wd_load_report **report);
WD_EXPORT const char *wd_load_report_correlation_id(const wd_load_report *r);
WD_EXPORT size_t wd_load_report_count(const wd_load_report *r);
WD_EXPORT const wd_load_entry *wd_load_report_get(const wd_load_report *r, size_t i);
WD_EXPORT size_t wd_load_report_refused(const wd_load_report *r);
/* How many audit records of the run (registrations and refusals) could not be written; with
 * the first failure's id ("WD-A010") and message in *id and *why (either may be NULL; valid
 * while the report is). A registration that could not be recorded did not happen, so a
 * caller that must have every plugin or none (a daemon loading a tenant) refuses the run. */
WD_EXPORT size_t wd_load_report_unrecorded(const wd_load_report *r, const char **id,
                                           const char **why);
WD_EXPORT void wd_load_report_free(wd_load_report *r);

/* The dynamic symbols the contract's library imports, read from the verified descriptor, one
 * per line into a malloc'd string (*out). With deny (NULL-terminated), fails with WD_EPERM
 * (WD-L022) naming the denied symbols it imports. WD_EINVAL (WD-L026) for a process plugin: it
 * is run, never loaded (a deny list applies to native plugins only). */
WD_EXPORT int wd_contract_imports(const wd_contract *c, const char *const *deny, char **out);

/* Whether an id passes the allowlist (the same rule wd_registry_add applies). */
WD_EXPORT int wd_registry_allows(const wd_registry *reg, const char *id);

#ifdef __cplusplus
}
#endif
#endif
