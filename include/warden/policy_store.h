/* policy_store.h: component policies on disk, changed at run time.
 *
 * Lifecycle: wd_policy_store_open(dir) -> wd_policy_store_load() for decisions, and the change
 * calls (grant, revoke, replace, reset) -> wd_policy_store_close(). Layout: DIR/components/ID.yaml
 * holds a component's own policy, DIR/defaults/TYPE.yaml the default for a plugin type.
 *
 * Every change is all or nothing: the new policy is rendered, loaded and validated like any
 * policy file, written to a temporary file and synced, recorded in the audit log (when one is
 * given), and only then renamed over the old one (and the directory synced). A failure at any
 * step leaves the previous policy in force; a crash leaves the old or the new file, never a
 * mix. The next wd_policy_store_load() sees the change. */
#ifndef WARDEN_POLICY_STORE_H
#define WARDEN_POLICY_STORE_H

#include "audit.h"
#include "common.h"
#include "contract.h"
#include "policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wd_policy_store wd_policy_store;

typedef struct {
    unsigned version;
    const char *data_dir; /* absolute: where relative fs:// URIs point; NULL: the store's dir */
    wd_audit *audit;      /* optional: every change is recorded (POLICY_GRANT, ...) */
    /* optional: compiled policies come from (and go into) this cache, so components that share
     * a policy file (a type's default) share one compiled copy */
    wd_policy_cache *cache;
    /* optional: the policy a component starts from when it has none of its own, before its
     * type's default (a plugin's contract policy, say). Returns a reference the store releases,
     * or NULL when the component has none. Called from any thread the store is used on. */
    wd_policy *(*base)(void *ctx, const char *component);
    void *base_ctx;
} wd_policy_store_options;

#define WD_POLICY_STORE_OPTIONS_VERSION 1
#define WD_POLICY_STORE_OPTIONS_INIT                                                               \
    {                                                                                              \
        WD_POLICY_STORE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL                              \
    }

WD_EXPORT int wd_policy_store_open(wd_policy_store **out, const char *dir,
                                   const wd_policy_store_options *opts);
WD_EXPORT void wd_policy_store_close(wd_policy_store *store);

/* The policy a component runs under: its own, else its base (options.base), else the default
 * for its type, else an empty policy (nothing allowed). *source (may be NULL) says which:
 * "component", "base", "default", "none". */
WD_EXPORT int wd_policy_store_load(wd_policy_store *store, const char *component,
                                   wd_plugin_type type, wd_policy **out, const char **source);

/* The policy a component runs under (as wd_policy_store_load chooses it) as canonical YAML in
 * a malloc'd, NUL-terminated *text of *len bytes: what an operator reads back. */
WD_EXPORT int wd_policy_store_text(wd_policy_store *store, const char *component,
                                   wd_plugin_type type, char **text, size_t *len,
                                   const char **source);

/* Grants add an allow rule (storage: merged into an existing rule for the same URI). A
 * component without a policy of its own starts from its type's default. */
WD_EXPORT int wd_policy_grant_storage(wd_policy_store *s, const char *component,
                                      wd_plugin_type type, const char *uri, unsigned access);
WD_EXPORT int wd_policy_grant_network(wd_policy_store *s, const char *component,
                                      wd_plugin_type type, const char *host_or_cidr);
WD_EXPORT int wd_policy_grant_env(wd_policy_store *s, const char *component, wd_plugin_type type,
                                  const char *key);
/* A tool grant adds an allow rule for the name to the policy's tools list; a policy without a
 * list already lets every tool be called, so granting (or revoking) a tool there is refused
 * (WD_ENOTFOUND) rather than creating a list that would deny all the others. */
WD_EXPORT int wd_policy_grant_tool(wd_policy_store *s, const char *component, wd_plugin_type type,
                                   const char *name);
WD_EXPORT int wd_policy_revoke_tool(wd_policy_store *s, const char *component, wd_plugin_type type,
                                    const char *name);
/* Revokes remove allow rules: a storage URI entirely (access 0) or only the access bits given;
 * a network host with a scheme or port names one rule, a bare host every rule on that host.
 * WD_ENOTFOUND when there was nothing to revoke (including access bits the URI lacks). */
WD_EXPORT int wd_policy_revoke_storage(wd_policy_store *s, const char *component,
                                       wd_plugin_type type, const char *uri, unsigned access);
WD_EXPORT int wd_policy_revoke_network(wd_policy_store *s, const char *component,
                                       wd_plugin_type type, const char *host_or_cidr);
WD_EXPORT int wd_policy_revoke_env(wd_policy_store *s, const char *component, wd_plugin_type type,
                                   const char *key);
/* Replaces the component's policy with the given YAML text (validated first). */
WD_EXPORT int wd_policy_store_replace(wd_policy_store *s, const char *component, const char *yaml,
                                      size_t len);
/* Removes the component's own policy: it falls back to its type's default. */
WD_EXPORT int wd_policy_store_reset(wd_policy_store *s, const char *component);

#ifdef __cplusplus
}
#endif
#endif
