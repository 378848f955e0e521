/* warm.c: warm plugins (engine_int.h): an MCP server, or a Python handler's zygote, stays
 * running between calls. At most one instance of a component is parked; a call takes it and
 * gives it back, and a call that finds the slot taken starts its own instance (parked after it
 * when the slot is free again, else stopped). An instance is recycled, not parked, after a
 * failure of its own (a crash, a timeout, a protocol violation, an exit...), when the policy
 * it started under is no longer the component's, in lockdown, and at close.
 *
 * A runner dies with the thread that spawned it (PR_SET_PDEATHSIG follows the thread), and the
 * engine's callers come and go (wardend serves a connection per thread): each warm component
 * has a keeper, a thread of the engine's that starts its instances and lives until close. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "sandbox/codes.h"
#include "util/error.h"

typedef struct job {
    wd_engine *e;
    wd_component *c;
    const char *corr;
    wd_call_result *res;
    wd_instance *inst;
    const wd_policy *policy;
    int rc;
    /* The start's error, carried over from the keeper's thread (errors are per thread). */
    wd_error_kind kind;
    char id[16], file[512], message[512];
    unsigned line, column;
    bool done;
    struct job *next;
} job;

struct wd_keeper {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    job *head;
    bool stop;
};

bool wd_engine_warm(const wd_component *c)
{
    wd_protocol p = wd_contract_protocol(c->contract);
    return p == WD_PROTOCOL_MCP || p == WD_PROTOCOL_PYTHON;
}

static void run_job(job *j)
{
    j->rc = wd_engine_start(j->e, j->c, &j->inst, &j->policy);
    if (!j->rc)
        j->rc = wd_instance_prepare_as(j->inst, j->corr, j->res);
    if (!j->rc)
        return;
    const wd_error *err = wd_error_last();
    j->kind = err->kind;
    snprintf(j->id, sizeof(j->id), "%s", err->id ? err->id : "");
    snprintf(j->file, sizeof(j->file), "%s", err->file ? err->file : "");
    snprintf(j->message, sizeof(j->message), "%s", err->message ? err->message : "");
    j->line = err->line;
    j->column = err->column;
    wd_instance_stop(j->inst);
    j->inst = NULL;
}

static void *keep(void *arg)
{
    struct wd_keeper *k = arg;
    pthread_mutex_lock(&k->mu);
    for (;;) {
        while (!k->head && !k->stop)
            pthread_cond_wait(&k->wake, &k->mu);
        if (!k->head)
            break;
        job *j = k->head;
        k->head = j->next;
        pthread_mutex_unlock(&k->mu);
        run_job(j);
        pthread_mutex_lock(&k->mu);
        j->done = true;
        pthread_cond_broadcast(&k->done);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

/* c's keeper, started the first time it is needed. NULL when no thread can be made. */
static struct wd_keeper *keeper(wd_engine *e, wd_component *c)
{
    pthread_mutex_lock(&e->warm_mu);
    struct wd_keeper *k = c->keeper;
    if (!k && (k = calloc(1, sizeof(*k)))) {
        pthread_mutex_init(&k->mu, NULL);
        pthread_cond_init(&k->wake, NULL);
        pthread_cond_init(&k->done, NULL);
        if (pthread_create(&k->thread, NULL, keep, k) != 0) {
            pthread_cond_destroy(&k->wake);
            pthread_cond_destroy(&k->done);
            pthread_mutex_destroy(&k->mu);
            free(k);
            k = NULL;
        }
        c->keeper = k;
    }
    pthread_mutex_unlock(&e->warm_mu);
    return k;
}

/* Starts an instance of c on its keeper and waits for it. */
static int start_warm(wd_engine *e, wd_component *c, const char *corr, wd_instance **inst,
                      const wd_policy **policy, wd_call_result *res)
{
    struct wd_keeper *k = keeper(e, c);
    if (!k)
        return wd_fail(WD_ENOMEM, "cannot start a thread to keep %s warm", c->id);
    job j = {.e = e, .c = c, .corr = corr, .res = res};
    pthread_mutex_lock(&k->mu);
    job **tail = &k->head;
    while (*tail)
        tail = &(*tail)->next;
    *tail = &j;
    pthread_cond_signal(&k->wake);
    while (!j.done)
        pthread_cond_wait(&k->done, &k->mu);
    pthread_mutex_unlock(&k->mu);
    *inst = j.inst;
    *policy = j.policy;
    return j.rc ? wd_error_raise(j.kind, j.rc, j.id, j.file[0] ? j.file : NULL, j.line, j.column,
                                 "%s", j.message)
                : 0;
}

/* Whether policy is still c's. */
static bool current(wd_engine *e, const wd_component *c, const wd_policy *policy)
{
    pthread_rwlock_rdlock(&e->lock);
    bool same = c->policy == policy;
    pthread_rwlock_unlock(&e->lock);
    return same;
}

int wd_engine_warm_take(wd_engine *e, wd_component *c, const char *corr, wd_instance **inst,
                        const wd_policy **policy, wd_call_result *res)
{
    pthread_mutex_lock(&e->warm_mu);
    *inst = c->parked;
    *policy = c->parked_policy;
    c->parked = NULL;
    pthread_mutex_unlock(&e->warm_mu);
    if (*inst && (!current(e, c, *policy) || !wd_instance_running(*inst))) {
        wd_instance_stop(*inst);
        *inst = NULL;
    }
    return *inst ? 0 : start_warm(e, c, corr, inst, policy, res);
}

/* Failures that say nothing against the instance: the input refused before the plugin saw
 * it, a tool the policy refuses, an error the plugin answered with. */
static bool intact(int failure)
{
    return failure == WD_S_FAILED || failure == WD_S_INPUT || failure == WD_S_TOOL;
}

void wd_engine_warm_give(wd_engine *e, wd_component *c, wd_instance *inst, const wd_policy *policy,
                         int rc, int failure)
{
    if (!inst)
        return;
    bool keep_it = (rc == 0 || (rc == WD_ESANDBOX && intact(failure))) &&
                   !wd_watch_lockdown(e->watch) && wd_instance_running(inst) &&
                   current(e, c, policy);
    if (keep_it) {
        pthread_mutex_lock(&e->warm_mu);
        if (!c->parked) {
            c->parked = inst;
            c->parked_policy = policy;
            inst = NULL;
        }
        pthread_mutex_unlock(&e->warm_mu);
    }
    wd_instance_stop(inst);
}

void wd_engine_warm_drop(wd_engine *e, wd_component *c)
{
    pthread_mutex_lock(&e->warm_mu);
    wd_instance *inst = c->parked;
    c->parked = NULL;
    pthread_mutex_unlock(&e->warm_mu);
    wd_instance_stop(inst);
}

void wd_engine_warm_close(wd_engine *e)
{
    for (size_t i = 0; i < e->ncomps; i++) {
        wd_component *c = &e->comps[i];
        wd_engine_warm_drop(e, c);
        struct wd_keeper *k = c->keeper;
        if (!k)
            continue;
        pthread_mutex_lock(&k->mu);
        k->stop = true;
        pthread_cond_signal(&k->wake);
        pthread_mutex_unlock(&k->mu);
        pthread_join(k->thread, NULL);
        pthread_cond_destroy(&k->wake);
        pthread_cond_destroy(&k->done);
        pthread_mutex_destroy(&k->mu);
        free(k);
        c->keeper = NULL;
    }
}
