/* guard.c: deadlines against slow clients (guard.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon/guard.h"
#include "util/timeutil.h"

enum { TICK_MS = 100 };

struct wdd_guarded {
    wdd_guarded *prev, *next;
    wdd_guard *g;
    int fd;               /* the guard's own duplicate */
    uint64_t deadline_ns; /* atomic; UINT64_MAX: none */
};

struct wdd_guard {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t thread;
    bool stopping;
    wdd_guarded *head;
    uint64_t timeout_ns;
    uint64_t cut; /* atomic */
};

static void *watch(void *arg)
{
    wdd_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->mu, &ts);
        uint64_t now = wd_time_mono_ns();
        for (wdd_guarded *c = g->head; c; c = c->next) {
            uint64_t d = __atomic_load_n(&c->deadline_ns, __ATOMIC_ACQUIRE);
            if (d < now) {
                /* Ends the connection: its thread's next read sees end of file. */
                shutdown(c->fd, SHUT_RDWR);
                __atomic_store_n(&c->deadline_ns, UINT64_MAX, __ATOMIC_RELEASE);
                __atomic_add_fetch(&g->cut, 1, __ATOMIC_RELAXED);
            }
        }
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

int wdd_guard_start(wdd_guard **out, uint64_t timeout_ms)
{
    wdd_guard *g = calloc(1, sizeof(*g));
    if (!g)
        return -1;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->wake, NULL);
    g->timeout_ns = timeout_ms * 1000000u;
    if (pthread_create(&g->thread, NULL, watch, g) != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->mu);
        free(g);
        return -1;
    }
    *out = g;
    return 0;
}

void wdd_guard_stop(wdd_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stopping = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    while (g->head)
        wdd_guard_remove(g, g->head);
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

wdd_guarded *wdd_guard_add(wdd_guard *g, int fd, uint64_t start_ns)
{
    wdd_guarded *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->g = g;
    c->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (c->fd < 0) {
        free(c);
        return NULL;
    }
    c->deadline_ns = start_ns + g->timeout_ns;
    pthread_mutex_lock(&g->mu);
    c->next = g->head;
    if (g->head)
        g->head->prev = c;
    g->head = c;
    pthread_mutex_unlock(&g->mu);
    return c;
}

void wdd_guard_remove(wdd_guard *g, wdd_guarded *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&g->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&g->mu);
    close(c->fd);
    free(c);
}

void wdd_guard_busy(wdd_guarded *c)
{
    if (c)
        __atomic_store_n(&c->deadline_ns, UINT64_MAX, __ATOMIC_RELEASE);
}

void wdd_guard_rearm(wdd_guarded *c)
{
    if (c)
        __atomic_store_n(&c->deadline_ns, wd_time_mono_ns() + c->g->timeout_ns, __ATOMIC_RELEASE);
}

uint64_t wdd_guard_cut(const wdd_guard *g)
{
    return __atomic_load_n(&g->cut, __ATOMIC_RELAXED);
}
