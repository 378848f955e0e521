/* policy_cache.c: compiled policies shared by content (policy.h, "a cache of compiled
 * policies"). A small open list under one mutex: a cache holds tens to thousands of policies and
 * a hit is one hash of the text plus a short scan, far below a compile. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/error.h"
#include "warden/policy.h"

typedef struct entry {
    uint8_t key[WD_SHA256_LEN];
    wd_policy *policy; /* the cache's own reference */
    struct entry *prev, *next;
} entry;

struct wd_policy_cache {
    pthread_mutex_t mu;
    entry *head, *tail; /* most recently used first */
    size_t count, capacity;
};

int wd_policy_cache_new(wd_policy_cache **out, size_t capacity)
{
    *out = NULL;
    if (capacity == 0)
        return wd_fail(WD_EINVAL, "a policy cache holds at least one policy");
    wd_policy_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return wd_fail(WD_ENOMEM, "out of memory");
    pthread_mutex_init(&c->mu, NULL);
    c->capacity = capacity;
    *out = c;
    return 0;
}

void wd_policy_cache_free(wd_policy_cache *c)
{
    if (!c)
        return;
    for (entry *e = c->head, *n; e; e = n) {
        n = e->next;
        wd_policy_free(e->policy);
        free(e);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static void unlink_entry(wd_policy_cache *c, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(wd_policy_cache *c, entry *e)
{
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static int key_of(const char *text, size_t len, const wd_policy_options *o,
                  uint8_t key[static WD_SHA256_LEN])
{
    wd_hasher *h;
    int rc = wd_hasher_new(&h);
    if (rc)
        return rc;
    const char *dir = o && o->data_dir ? o->data_dir : "";
    const char *name = o && o->display_name ? o->display_name : "";
    const void *parts[5] = {dir, "", name, "", text};
    const size_t lens[5] = {strlen(dir), 1, strlen(name), 1, len};
    rc = wd_sha256_parts(h, parts, lens, 5, key);
    wd_hasher_free(h);
    return rc;
}

/* The entry for key, or NULL. The caller holds the lock. */
static entry *find(const wd_policy_cache *c, const uint8_t key[static WD_SHA256_LEN])
{
    for (entry *e = c->head; e; e = e->next)
        if (!memcmp(e->key, key, WD_SHA256_LEN))
            return e;
    return NULL;
}

/* Adds a freshly compiled entry and returns a reference to its policy: or to the same policy
 * another thread compiled meanwhile (theirs is used, e dropped). What the cache no longer
 * holds (e, or the least recently used entry) is released once, after the lock. */
static wd_policy *insert(wd_policy_cache *c, entry *e)
{
    entry *gone = NULL;
    wd_policy *p;
    pthread_mutex_lock(&c->mu);
    entry *dup = find(c, e->key);
    if (dup) {
        p = wd_policy_ref(dup->policy);
        gone = e;
    } else {
        push_front(c, e);
        p = wd_policy_ref(e->policy);
        if (++c->count > c->capacity) {
            gone = c->tail;
            unlink_entry(c, gone);
            c->count--;
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (gone) {
        wd_policy_free(gone->policy); /* callers holding references keep it alive */
        free(gone);
    }
    return p;
}

int wd_policy_cache_get(wd_policy_cache *c, const char *text, size_t len,
                        const wd_policy_options *opts, wd_policy **out, int *hit)
{
    *out = NULL;
    if (hit)
        *hit = 0;
    if (!c || !text)
        return wd_fail(WD_EINVAL, "wd_policy_cache_get needs a cache and a policy");
    uint8_t key[WD_SHA256_LEN];
    int rc = key_of(text, len, opts, key);
    if (rc)
        return rc;
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key);
    if (e) {
        unlink_entry(c, e);
        push_front(c, e);
        *out = wd_policy_ref(e->policy);
    }
    pthread_mutex_unlock(&c->mu);
    if (e) {
        if (hit)
            *hit = 1;
        return 0;
    }

    /* Compile outside the lock: a slow compile must not stall every hit. */
    wd_policy *p = NULL;
    rc = wd_policy_load_buffer(&p, text, len, opts);
    if (rc)
        return rc;
    entry *fresh = calloc(1, sizeof(*fresh));
    if (!fresh) {
        wd_policy_free(p);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    memcpy(fresh->key, key, sizeof(key));
    fresh->policy = p;
    *out = insert(c, fresh);
    return 0;
}
