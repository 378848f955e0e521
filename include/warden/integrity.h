/* integrity.h: signed baselines of the files warden runs under (policies, contracts, config,
 * keys), verified before they are trusted, and locked against change.
 *
 * Lifecycle: wd_baseline_create() once (an operator's act) -> wd_baseline_verify() at every
 * start and whenever asked -> wd_integrity_lock()/unlock() around deliberate changes. Nothing
 * to free. A baseline is a manifest of SHA-256 values, modes, owners and sizes, signed with
 * Ed25519 by the audit log's signing key (keys DIR/signing.key; verified with signing.pub).
 * Verification checks the signature before it reads a single entry, so a baseline cannot be
 * swapped together with the files it describes. */
#ifndef WARDEN_INTEGRITY_H
#define WARDEN_INTEGRITY_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wd_audit;

#define WD_BASELINE_MAX_FILES 100000

/* Writes a signed manifest of paths (files, and every regular file beneath a directory,
 * without following symbolic links) to manifest (atomically, mode 0444). *count (may be NULL)
 * gets the number of files. Refuses symbolic links, special files, names with control
 * characters and a manifest inside what it describes. Records BASELINE_CREATED. */
WD_EXPORT int wd_baseline_create(const char *const *paths, size_t n, const char *keys_dir,
                                 const char *manifest, struct wd_audit *audit, size_t *count);

typedef struct {
    size_t files;    /* entries in the manifest */
    size_t problems; /* files changed, missing, added, loosened or replaced by a link */
} wd_baseline_result;

/* Verifies the manifest's signature with pubkey_path, then every entry: content (SHA-256),
 * owner, size, type, and mode (a mode may have lost permissions, as locking does, never gained
 * any); a directory in the baseline must hold no file it did not. Calls report (may be NULL)
 * with one line per problem ("modified: PATH", "missing: PATH", ...). Returns 0 when intact;
 * WD_ESTATE (WD-T004) when anything differs; WD_EPERM (WD-T002) when the signature does not
 * verify (nothing else is then read); WD_EINVAL (WD-T001) for a malformed manifest. */
WD_EXPORT int wd_baseline_verify(const char *manifest, const char *pubkey_path,
                                 wd_baseline_result *result,
                                 void (*report)(const char *line, void *ctx), void *ctx);

/* Verifies, then makes every file in the baseline read-only (0444, and the immutable attribute
 * where the filesystem and privileges allow); report gets what could not be done. Unlock
 * clears the attribute and restores the baseline's modes. Both are recorded
 * (INTEGRITY_LOCKED / INTEGRITY_UNLOCKED). */
WD_EXPORT int wd_integrity_lock(const char *manifest, const char *pubkey_path,
                                struct wd_audit *audit, void (*report)(const char *line, void *ctx),
                                void *ctx);
WD_EXPORT int wd_integrity_unlock(const char *manifest, const char *pubkey_path,
                                  struct wd_audit *audit,
                                  void (*report)(const char *line, void *ctx), void *ctx);

/* ---- protected paths ------------------------------------------------------------------------
 * Globs (absolute, with the policy language's storage rules: "*" within a segment, "**" for
 * any number of segments, a pattern without wildcards covering everything beneath it) naming
 * what no operation may write, create or delete: warden's own configuration, policies,
 * contracts, keys and logs. A path is matched after lexical normalisation and again after
 * resolving symbolic links (of the path, or of its nearest existing parent when it does not
 * exist yet), so "..", "//" and links lead nowhere. */
typedef struct wd_protected wd_protected;

/* The default set when none is configured: /etc/warden, /var/lib/warden, /var/log/warden. */
WD_EXPORT extern const char *const wd_protected_defaults[];

WD_EXPORT int wd_protected_new(wd_protected **out, const char *const *globs, size_t n);
WD_EXPORT void wd_protected_free(wd_protected *p);
/* The set above, plus warden's own files as this process runs them: its executable
 * (/proc/self/exe), every file it has mapped (libwarden and each shared object, from
 * /proc/self/maps, read now), the runner (may be NULL) as given and as resolved, and warden's
 * programs and library beside the executable and the runner (warden, wardend, warden-runner,
 * libwarden.so*, and libwarden.so* in ../lib). globs may be empty (n = 0). Returns 0,
 * WD_EINVAL (a glob, or a file name that cannot be written as one), WD_EIO, WD_ENOMEM. */
WD_EXPORT int wd_protected_new_own(wd_protected **out, const char *runner, const char *const *globs,
                                   size_t n);
/* 1 when path is protected (*glob gets the pattern as written, resolved the path as resolved,
 * size bytes), 0 when it is not, WD_EINVAL for a relative or malformed path. */
WD_EXPORT int wd_protected_match(const wd_protected *p, const char *path, const char **glob,
                                 char *resolved, size_t size);
/* The same, and also 1 when a protected path lies beneath path: for operations on a whole
 * tree (deleting, renaming, chmod or chown of a directory). */
WD_EXPORT int wd_protected_match_tree(const wd_protected *p, const char *path, const char **glob,
                                      char *resolved, size_t size);

/* ---- the watcher: lockdown on any change ----------------------------------------------------
 * wd_watch_start() verifies the baseline (a mismatch refuses to start: WD_ESTATE, fail closed)
 * and then watches every file and directory in it with inotify from a thread of its own. Any
 * change, rename, deletion, permission change or new file puts the watch into lockdown for
 * good: wd_watch_lockdown() then returns "lockdown: PATH changed", every decision made under it
 * must deny with that reason, and an INTEGRITY_LOCKDOWN record (CRITICAL) is written. Leaving
 * lockdown takes an operator: a new baseline and a new watch. */
typedef struct wd_watch wd_watch;

WD_EXPORT int wd_watch_start(wd_watch **out, const char *manifest, const char *pubkey_path,
                             struct wd_audit *audit);
/* NULL while intact; the reason once in lockdown (valid until wd_watch_free). Thread-safe. */
WD_EXPORT const char *wd_watch_lockdown(const wd_watch *w);
/* fn(ctx) is called once, on the watcher's own thread, when lockdown begins (after its record):
 * at once, on the caller's thread, when the watch is in lockdown already. For what must stop
 * the moment lockdown begins rather than at the next decision (plugins kept running between
 * calls). One per watch; set it once, after wd_watch_start. */
WD_EXPORT void wd_watch_on_lockdown(wd_watch *w, void (*fn)(void *ctx), void *ctx);
WD_EXPORT void wd_watch_free(wd_watch *w);

#ifdef __cplusplus
}
#endif
#endif
