/* engine_int.h (internal): the engine's state, shared by its files. */
#ifndef WD_ENGINE_INT_H
#define WD_ENGINE_INT_H

#include <pthread.h>

#include "verdict/verdict.h"
#include "warden/engine.h"
#include "warden/integrity.h"
#include "warden/policy_store.h"
#include "warden/registry.h"

typedef struct {
    char *id;
    const wd_contract *contract; /* owned by the registry, which never drops it while open */
    /* The compiled policy decisions use: swapped under the write lock, read under the read
     * lock. */
    wd_policy *policy;
    const char *source;
    char *describe; /* cached describe() text, under change_mu */
} wd_component;

struct wd_engine {
    char *name;
    wd_engine_options opts; /* the strings it points to are the engine's own copies */
    char *policies_dir, *overrides_dir, *runner;
    wd_registry *registry;
    wd_policy_cache *cache;
    wd_policy_store *store;
    wd_protected *protect;
    char **protect_globs; /* what no policy may change */
    size_t nprotect_globs;
    char **private_paths; /* what a plugin may not even read: keys, logs, configuration */
    size_t nprivate;
    wd_watch *watch;
    uint8_t baseline_digest[32];
    wd_component *comps; /* sorted by id */
    size_t ncomps;
    pthread_rwlock_t lock;     /* comps[].policy */
    pthread_mutex_t change_mu; /* one policy change at a time; the describe cache */
};

/* Builds e->registry from the contract directories (the review gate applied) and collects its
 * components; *refused (may be NULL) counts the contracts refused. */
int wd_engine_discover(wd_engine *e, const wd_engine_options *o, size_t *refused);

wd_component *wd_engine_find(const wd_engine *e, const char *id);
/* Reloads comp's policy from the store and swaps it in. */
int wd_engine_refresh(wd_engine *e, wd_component *comp);

#endif
