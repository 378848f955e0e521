/* engine.c: opening and closing an engine, its components and their policies (engine.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "engine/engine_int.h"
#include "registry/contract_int.h"
#include "util/error.h"
#include "util/path.h"

static int by_id(const void *a, const void *b)
{
    return strcmp(((const wd_component *)a)->id, ((const wd_component *)b)->id);
}

wd_component *wd_engine_find(const wd_engine *e, const char *id)
{
    if (!id || !e->ncomps)
        return NULL; /* bsearch may not be given a NULL array */
    wd_component key = {.id = (char *)id};
    return bsearch(&key, e->comps, e->ncomps, sizeof(*e->comps), by_id);
}

/* The store's base for a component: its contract's policy. */
static wd_policy *contract_base(void *ctx, const char *component)
{
    wd_component *c = wd_engine_find(ctx, component);
    const wd_policy *p = c ? wd_contract_policy(c->contract) : NULL;
    return p ? wd_policy_ref(p) : NULL;
}

/* The watch's lockdown hook: every parked instance stops (on the watcher's thread). */
static void drop_warm(void *ctx)
{
    wd_engine *e = ctx;
    for (size_t i = 0; i < e->ncomps; i++)
        wd_engine_warm_drop(e, &e->comps[i]);
}

int wd_engine_refresh(wd_engine *e, wd_component *comp)
{
    wd_policy *next = NULL;
    const char *source = NULL;
    int rc =
        wd_policy_store_load(e->store, comp->id, wd_contract_type(comp->contract), &next, &source);
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&e->lock);
    wd_policy *old = comp->policy;
    comp->policy = next;
    comp->source = source;
    pthread_rwlock_unlock(&e->lock);
    /* What the plugin says of itself may depend on what its policy lets it reach (a server's
     * tools), and a warm instance keeps the policy it started under: both go. */
    if (old && old != next) {
        pthread_mutex_lock(&e->warm_mu);
        free(comp->describe);
        free(comp->tools);
        comp->describe = comp->tools = NULL;
        pthread_mutex_unlock(&e->warm_mu);
        wd_engine_warm_drop(e, comp);
    }
    wd_policy_free(old);
    return 0;
}

static int push(char ***list, size_t *n, const char *path)
{
    if (!path)
        return 0;
    char **grown = realloc(*list, (*n + 1) * sizeof(*grown));
    if (!grown)
        return wd_fail(WD_ENOMEM, "out of memory");
    *list = grown;
    if (!(grown[*n] = strdup(path)))
        return wd_fail(WD_ENOMEM, "out of memory");
    (*n)++;
    return 0;
}

/* A path as the broker compares it: resolved where it exists, else lexically normalised. */
static int push_private(wd_engine *e, const char *path)
{
    if (!path)
        return 0;
    char norm[WD_PATH_MAX];
    bool escapes = false;
    char *real = realpath(path, NULL);
    int rc = real ? push(&e->private_paths, &e->nprivate, real)
             : wd_path_normalize(path, norm, sizeof(norm), &escapes) == 0 && !escapes
                 ? push(&e->private_paths, &e->nprivate, norm)
                 : 0;
    free(real);
    return rc;
}

/* What no plugin of this engine may even read, beyond the configured: each component's
 * contract, library and policy file, and the host's /proc (the broker runs in the host). The
 * same list goes to every sandbox (manage.c), so a check answers as the broker would. */
static int build_private_files(wd_engine *e)
{
    int rc = push_private(e, "/proc");
    if (!rc)
        rc = push_private(e, "/dev");
    for (size_t i = 0; !rc && i < e->ncomps; i++) {
        const wd_contract *c = e->comps[i].contract;
        rc = push_private(e, wd_contract_path(c));
        if (!rc)
            rc = push_private(e, wd_contract_library(c));
        /* A program inside the contract's directory is the plugin's code; a system one
         * (/bin/sh) is everybody's. */
        if (!rc && wd_contract_program_inside(c))
            rc = push_private(e, wd_contract_program(c));
        if (!rc)
            rc = push_private(e, wd_contract_policy_path(c));
    }
    return rc;
}

static int add_glob(wd_engine *e, const char *path)
{
    return push(&e->protect_globs, &e->nprotect_globs, path);
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

/* warden's own files: the defaults, every location the engine reads its rules from, and what
 * the operator adds. No policy may grant changing them. */
static int build_protected(wd_engine *e, const wd_engine_options *o)
{
    int rc = 0;
    for (size_t i = 0; !rc && wd_protected_defaults[i]; i++)
        rc = add_glob(e, wd_protected_defaults[i]);
    for (size_t i = 0; !rc && i < o->ncontract_dirs; i++)
        rc = add_glob(e, o->contract_dirs[i]);
    const char *own[] = {o->policies_dir, o->overrides_dir, o->trust_dir, o->baseline,
                         o->baseline_pubkey};
    for (size_t i = 0; !rc && i < sizeof(own) / sizeof(*own); i++)
        rc = add_glob(e, own[i]);
    for (size_t i = 0; !rc && i < o->nprotected; i++)
        rc = add_glob(e, o->protected_globs[i]);
    /* Never granted at all, not even for reading: a plugin has no business with warden's
     * keys, logs, approvers or policies. Contract directories are only kept from change (a
     * plugin's data may live beside its contract). */
    for (size_t i = 0; !rc && wd_protected_defaults[i]; i++)
        rc = push_private(e, wd_protected_defaults[i]);
    for (size_t i = 0; !rc && i < sizeof(own) / sizeof(*own); i++)
        rc = push_private(e, own[i]);
    for (size_t i = 0; !rc && i < o->nprivate; i++) {
        rc = push_private(e, o->private_paths[i]);
        if (!rc)
            rc = add_glob(e, o->private_paths[i]);
    }
    /* And warden's own programs and libraries: the runner every sandbox starts, this process's
     * executable and every file it has mapped, whatever a policy grants. */
    const char *runner = e->runner ? e->runner : getenv("WARDEN_RUNNER");
#ifdef WD_RUNNER_DEFAULT
    if (!runner || !*runner)
        runner = WD_RUNNER_DEFAULT;
#endif
    if (!rc)
        rc = wd_protected_new_own(&e->protect, runner, (const char *const *)e->protect_globs,
                                  e->nprotect_globs);
    return rc;
}

static int digest_file(const char *path, uint8_t out[static 32])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return wd_fail(WD_EIO, "cannot open the baseline %s: %s", path, strerror(errno));
    wd_hasher *h = NULL;
    int rc = wd_hasher_new(&h);
    if (!rc)
        rc = wd_sha256_fd(h, fd, out);
    wd_hasher_free(h);
    close(fd);
    return rc;
}

int wd_engine_open(wd_engine **out, const wd_engine_options *opts, size_t *refused)
{
    *out = NULL;
    if (refused)
        *refused = 0;
    if (!opts || opts->version < 1 || opts->version > WD_ENGINE_OPTIONS_VERSION)
        return wd_fail(WD_EINVAL, "wd_engine_open needs options of version %d",
                       WD_ENGINE_OPTIONS_VERSION);
    if (!opts->policies_dir || opts->policies_dir[0] != '/')
        return wd_fail(WD_EINVAL, "an engine needs an absolute policies directory");
    if (!opts->baseline != !opts->baseline_pubkey)
        return wd_fail(WD_EINVAL, "a baseline needs its public key, and a key its baseline");
    wd_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return wd_fail(WD_ENOMEM, "out of memory");
    pthread_rwlock_init(&e->lock, NULL);
    pthread_mutex_init(&e->change_mu, NULL);
    pthread_mutex_init(&e->warm_mu, NULL);
    pthread_mutex_init(&e->learn_mu, NULL);
    memcpy(&e->opts, opts, opts->version == 1 ? WD_ENGINE_OPTIONS_V1_SIZE : sizeof(*opts));
    e->name = strdup(opts->name ? opts->name : "default");
    e->policies_dir = strdup(opts->policies_dir);
    e->overrides_dir = opts->overrides_dir ? strdup(opts->overrides_dir) : NULL;
    e->runner = opts->runner_path ? strdup(opts->runner_path) : NULL;
    int rc = !e->name || !e->policies_dir || (opts->overrides_dir && !e->overrides_dir) ||
                     (opts->runner_path && !e->runner)
                 ? wd_fail(WD_ENOMEM, "out of memory")
                 : 0;
    /* Only what the engine keeps using stays in opts, pointing at its own copies. */
    e->opts.name = e->name;
    e->opts.policies_dir = e->policies_dir;
    e->opts.overrides_dir = e->overrides_dir;
    e->opts.runner_path = e->runner;
    e->opts.contract_dirs = e->opts.allowlist = e->opts.protected_globs = NULL;
    e->opts.private_paths = NULL;
    e->opts.trust_dir = e->opts.baseline = e->opts.baseline_pubkey = NULL;
    e->opts.approved_path = NULL;
    e->opts.deny_imports = NULL;
    if (!e->opts.decisions)
        e->opts.decisions = WD_ENGINE_AUDIT_ALL;

    /* The watch starts before anything is read: rules changed and changed back around the
     * reading are then a lockdown, not a loosened rule applied unseen. */
    if (!rc && opts->baseline)
        rc = digest_file(opts->baseline, e->baseline_digest);
    if (!rc && opts->baseline) {
        rc = wd_watch_start(&e->watch, opts->baseline, opts->baseline_pubkey, opts->audit);
        if (rc == WD_EPERM) {
            /* A baseline whose signature fails is one that does not verify: refusing to
             * start is the same answer as for changed files, with the signature's id. */
            wd_error saved = *wd_error_last();
            char msg[512];
            snprintf(msg, sizeof(msg), "%s", saved.message);
            rc = wd_error_set(WD_ESTATE, saved.id, saved.file, saved.line, saved.column,
                              "refusing to start: %s", msg);
        }
    }
    if (!rc)
        rc = build_protected(e, opts);
    if (!rc)
        rc = wd_policy_cache_new(&e->cache, 256);
    if (!rc)
        rc = wd_engine_discover(e, opts, refused);
    if (!rc)
        rc = build_private_files(e);
    if (!rc) {
        wd_policy_store_options so = WD_POLICY_STORE_OPTIONS_INIT;
        so.audit = opts->audit;
        so.cache = e->cache;
        so.base = contract_base;
        so.base_ctx = e;
        rc = wd_policy_store_open(&e->store, opts->policies_dir, &so);
    }
    for (size_t i = 0; !rc && i < e->ncomps; i++)
        rc = wd_engine_refresh(e, &e->comps[i]);
    if (!rc && wd_watch_lockdown(e->watch))
        rc =
            wd_fail(WD_ESTATE, "refusing to start: %s while starting", wd_watch_lockdown(e->watch));
    if (rc) {
        wd_engine_close(e);
        return rc;
    }
    /* Warm plugins must not run on in lockdown until someone calls them: they stop with it. */
    wd_watch_on_lockdown(e->watch, drop_warm, e);
    *out = e;
    return 0;
}

void wd_engine_close(wd_engine *e)
{
    if (!e)
        return;
    wd_watch_free(e->watch); /* first: its lockdown hook reaches the warm instances */
    wd_engine_warm_close(e);
    for (size_t i = 0; i < e->ncomps; i++) {
        free(e->comps[i].id);
        free(e->comps[i].describe);
        free(e->comps[i].tools);
        wd_policy_free(e->comps[i].policy);
    }
    free(e->comps);
    wd_engine_refusals_free(e->refusals);
    wd_policy_store_close(e->store);
    wd_registry_free(e->registry);
    wd_policy_cache_free(e->cache);
    wd_protected_free(e->protect);
    free_list(e->protect_globs, e->nprotect_globs);
    free_list(e->private_paths, e->nprivate);
    pthread_rwlock_destroy(&e->lock);
    pthread_mutex_destroy(&e->change_mu);
    pthread_mutex_destroy(&e->warm_mu);
    pthread_mutex_destroy(&e->learn_mu);
    free(e->name);
    free(e->policies_dir);
    free(e->overrides_dir);
    free(e->runner);
    free(e);
}

const char *wd_engine_lockdown(const wd_engine *e)
{
    return e ? wd_watch_lockdown(e->watch) : NULL;
}

void wd_engine_baseline_digest(const wd_engine *e, uint8_t out[static 32])
{
    memcpy(out, e->baseline_digest, 32);
}

size_t wd_engine_component_count(const wd_engine *e)
{
    return e ? e->ncomps : 0;
}

int wd_engine_components(wd_engine *e, int (*fn)(const wd_engine_component *c, void *ctx),
                         void *ctx)
{
    int rc = 0;
    pthread_rwlock_rdlock(&e->lock);
    for (size_t i = 0; !rc && i < e->ncomps; i++) {
        const wd_component *c = &e->comps[i];
        wd_engine_component info = {c->id,
                                    wd_contract_type(c->contract),
                                    wd_contract_version(c->contract),
                                    wd_contract_level(c->contract),
                                    c->source,
                                    wd_policy_rule_count(c->policy),
                                    wd_contract_protocol(c->contract)};
        rc = fn(&info, ctx);
    }
    pthread_rwlock_unlock(&e->lock);
    return rc;
}
