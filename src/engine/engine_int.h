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
    char *describe; /* cached describe() text, under warm_mu */
    char *tools;    /* an MCP server's cached tools (wd_instance_tools()), under warm_mu */
    /* Warm plugins (MCP servers, Python handlers: warm.c): at most one instance parked between
     * calls, with the policy it was started under, under warm_mu; the thread that spawns
     * them (a runner dies with the thread that spawned it). */
    wd_instance *parked;
    const wd_policy *parked_policy;
    struct wd_keeper *keeper;
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
    wd_engine_refusals *refusals; /* what discovery refused (discover.c) */
    wd_component *comps;          /* sorted by id */
    size_t ncomps;
    pthread_rwlock_t lock;     /* comps[].policy */
    pthread_mutex_t change_mu; /* one policy change at a time */
    pthread_mutex_t warm_mu;   /* comps[].parked, comps[].keeper, the describe and tools caches */
    /* One start to learn what a plugin says of itself at a time; never held with change_mu, so
     * a server slow to greet delays no policy change. */
    pthread_mutex_t learn_mu;
};

/* Builds e->registry from the contract directories (the review gate applied) and collects its
 * components; e->refusals names the contracts refused, *refused (may be NULL) counts them. */
int wd_engine_discover(wd_engine *e, const wd_engine_options *o, size_t *refused);

wd_component *wd_engine_find(const wd_engine *e, const char *id);
/* Reloads comp's policy from the store and swaps it in. */
int wd_engine_refresh(wd_engine *e, wd_component *comp);

/* A sandbox for c under its current policy (*policy: the one it got); the instance holds its
 * own reference (manage.c). */
int wd_engine_start(wd_engine *e, wd_component *c, wd_instance **inst, const wd_policy **policy);

/* ---- warm plugins (warm.c) ---------------------------------------------------------------- */

/* Whether c's instances stay warm between calls (protocol mcp or python). */
bool wd_engine_warm(const wd_component *c);
/* A running instance of c: the parked one when its policy is still c's, else a fresh one
 * started (and prepared, under corr) on c's keeper thread. 0, or the start's error: with
 * WD_ESANDBOX, res says what failed as a call would. */
int wd_engine_warm_take(wd_engine *e, wd_component *c, const char *corr, wd_instance **inst,
                        const wd_policy **policy, wd_call_result *res);
/* Gives an instance back after a call that returned rc (failure: res->failure): parked when
 * the slot is free and nothing speaks against it (a failure of the instance's own, a policy
 * swapped since it started, lockdown), else stopped. */
void wd_engine_warm_give(wd_engine *e, wd_component *c, wd_instance *inst, const wd_policy *policy,
                         int rc, int failure);
/* Stops c's parked instance (lockdown, a policy change). */
void wd_engine_warm_drop(wd_engine *e, wd_component *c);
/* Stops every parked instance and keeper thread (engine close). */
void wd_engine_warm_close(wd_engine *e);

#endif
