/* front.c: wardend's accept loop, head check and connection bounds (front.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/front.h"
#include "util/timeutil.h"

enum {
    TICK_MS = 100,
    EVENTS = 64,
    ACCEPTS_PER_EVENT = 64,
    PEER_BUCKETS = 1024,
    LINGER_MS = 1000,       /* reading what a refused client still sends, so it sees the answer */
    LINGER_BYTES = 1 << 20, /* ... at most this much of it */
    MAX_CLOSING = 128,      /* lingering connections; beyond, closed at once */
    HANDING_MS = 2000,      /* a hand-over libmicrohttpd never started is looked at after this */
    PAUSE_MS = 100,         /* accepting paused when out of descriptors */
};

#define WAKE_TAG UINT64_MAX

typedef struct peer peer;

typedef enum { C_WAITING, C_CLOSING, C_HANDING, C_STARTED, C_DEAD } conn_state;

struct wdd_front_conn {
    wdd_front_conn *prev, *next;   /* in waiting, closing, handing or dead */
    wdd_front_conn *pprev, *pnext; /* in the peer's waiting list */
    peer *peer;
    int fd, listener;
    conn_state state;
    bool released; /* its request is over: no longer counted */
    uint64_t accepted_ns, deadline_ns;
    size_t drained;
    dev_t dev;
    ino_t ino;
    struct sockaddr_storage addr;
    socklen_t addrlen;
};

typedef struct {
    wdd_front_conn *head, *tail;
    size_t n;
} conn_list;

struct peer {
    peer *next;
    bool tcp;
    uint32_t uid;
    uint8_t ip[16];
    unsigned waiting, handed;
    unsigned pins;                 /* held by an admission in progress */
    wdd_front_conn *whead, *wtail; /* oldest first */
};

struct wdd_front {
    pthread_mutex_t mu;
    pthread_t thread;
    bool thread_started;
    int epfd, wakefd;
    int listen_fds[WDD_FRONT_LISTENERS];
    bool tcp[WDD_FRONT_LISTENERS];
    size_t nl;
    bool accepting, paused, stopping;
    uint64_t pause_until_ns;
    wdd_front_limits lim;
    wdd_front_hooks hooks;
    conn_list waiting, closing, handing, dead;
    unsigned total; /* waiting + handed over */
    peer *buckets[PEER_BUCKETS];
    char *peek; /* lim.max_header bytes */
};

/* ---- lists and peers ----------------------------------------------------------------------- */

static void list_push(conn_list *l, wdd_front_conn *c)
{
    c->prev = l->tail;
    c->next = NULL;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
    l->n++;
}

static void list_remove(conn_list *l, wdd_front_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
    l->n--;
}

static conn_list *list_of(wdd_front *f, conn_state s)
{
    switch (s) {
    case C_WAITING:
        return &f->waiting;
    case C_CLOSING:
        return &f->closing;
    case C_HANDING:
        return &f->handing;
    case C_DEAD:
        return &f->dead;
    default:
        return NULL;
    }
}

static void move_to(wdd_front *f, wdd_front_conn *c, conn_state s)
{
    conn_list *from = list_of(f, c->state), *to = list_of(f, s);
    if (from)
        list_remove(from, c);
    c->state = s;
    if (to)
        list_push(to, c);
}

static size_t peer_hash(const peer *k)
{
    uint64_t h = 1469598103934665603u ^ (uint64_t)k->tcp;
    const uint8_t *b = k->tcp ? k->ip : (const uint8_t *)&k->uid;
    size_t n = k->tcp ? sizeof(k->ip) : sizeof(k->uid);
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211u;
    return (size_t)(h % PEER_BUCKETS);
}

static bool peer_same(const peer *a, const peer *b)
{
    return a->tcp == b->tcp &&
           (a->tcp ? memcmp(a->ip, b->ip, sizeof(a->ip)) == 0 : a->uid == b->uid);
}

/* Who the peer of a freshly accepted connection is: its uid on the Unix socket, its address
 * (IPv4 as v4-mapped) on TCP. */
static void peer_key(const wdd_front_conn *c, bool tcp, peer *k)
{
    memset(k, 0, sizeof(*k));
    k->tcp = tcp;
    if (!tcp) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        k->uid =
            getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.uid : UINT32_MAX;
    } else if (c->addr.ss_family == AF_INET6) {
        memcpy(k->ip, &((const struct sockaddr_in6 *)&c->addr)->sin6_addr, 16);
    } else if (c->addr.ss_family == AF_INET) {
        k->ip[10] = k->ip[11] = 0xff;
        memcpy(k->ip + 12, &((const struct sockaddr_in *)&c->addr)->sin_addr, 4);
    }
}

static peer *peer_get(wdd_front *f, const peer *k)
{
    size_t b = peer_hash(k);
    for (peer *p = f->buckets[b]; p; p = p->next)
        if (peer_same(p, k))
            return p;
    peer *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    *p = *k;
    p->next = f->buckets[b];
    f->buckets[b] = p;
    return p;
}

static void peer_put(wdd_front *f, peer *p)
{
    if (!p || p->waiting || p->handed || p->pins)
        return;
    for (peer **pp = &f->buckets[peer_hash(p)]; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    free(p);
}

static void peer_unwait(wdd_front_conn *c)
{
    peer *p = c->peer;
    if (c->pprev)
        c->pprev->pnext = c->pnext;
    else
        p->whead = c->pnext;
    if (c->pnext)
        c->pnext->pprev = c->pprev;
    else
        p->wtail = c->pprev;
    c->pprev = c->pnext = NULL;
    p->waiting--;
}

/* ---- answers and endings ------------------------------------------------------------------- */

/* Ends c: its descriptor closed, its counts released; freed after the current batch of events
 * (one may still name it). */
static void finish(wdd_front *f, wdd_front_conn *c)
{
    if (c->state == C_WAITING) {
        peer_unwait(c);
        f->total--;
        peer_put(f, c->peer);
    }
    c->peer = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    move_to(f, c, C_DEAD);
}

/* Reads and drops what a refused client still sends; ends c at its end, or past the bounds. */
static void drain(wdd_front *f, wdd_front_conn *c)
{
    char sink[4096];
    for (;;) {
        ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0 || (c->drained += (size_t)n) > LINGER_BYTES) {
            finish(f, c);
            return;
        }
    }
}

static const char *reason_phrase(unsigned status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 408:
        return "Request Timeout";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "Service Unavailable";
    }
}

/* Answers c itself and ends it. With linger the client's unread bytes are read and dropped for
 * a moment first: closing a TCP socket with unread input resets it, and the client could lose
 * the answer. msg is ours: plain ASCII without quotes or backslashes. */
static void answer(wdd_front *f, wdd_front_conn *c, wdd_front_outcome what, unsigned status,
                   const char *code, const char *msg, const char *challenge, bool linger)
{
    char body[512], out[1024], extra[160] = "";
    if (challenge)
        snprintf(extra, sizeof(extra), "WWW-Authenticate: %s\r\n", challenge);
    int bn = snprintf(body, sizeof(body), "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n",
                      code, msg);
    int n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     "Connection: close\r\nCache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\n%s\r\n%s",
                     status, reason_phrase(status), bn, extra, body);
    if (n > 0 && (size_t)n < sizeof(out))
        (void)!send(c->fd, out, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (f->hooks.answered)
        f->hooks.answered(f->hooks.ctx, what, status);
    if (!linger || f->closing.n >= MAX_CLOSING) {
        finish(f, c);
        return;
    }
    shutdown(c->fd, SHUT_WR);
    if (c->state == C_WAITING) {
        peer_unwait(c);
        f->total--;
        peer_put(f, c->peer);
        c->peer = NULL;
    }
    c->deadline_ns = wd_time_mono_ns() + (uint64_t)LINGER_MS * 1000000u;
    move_to(f, c, C_CLOSING);
    drain(f, c);
}

/* ---- accepting ----------------------------------------------------------------------------- */

/* The head-less connection to displace for a newcomer: the peer's own oldest when the peer is
 * at its bound, else the oldest of whichever peer holds the most. */
static wdd_front_conn *victim(wdd_front *f, peer *at_bound)
{
    if (at_bound)
        return at_bound->whead;
    peer *most = NULL;
    for (size_t b = 0; b < PEER_BUCKETS; b++)
        for (peer *p = f->buckets[b]; p; p = p->next)
            if (p->waiting && (!most || p->waiting > most->waiting))
                most = p;
    return most ? most->whead : NULL;
}

static void pause_accepting(wdd_front *f)
{
    f->paused = true;
    f->pause_until_ns = wd_time_mono_ns() + (uint64_t)PAUSE_MS * 1000000u;
    for (size_t i = 0; i < f->nl; i++)
        if (f->listen_fds[i] >= 0)
            epoll_ctl(f->epfd, EPOLL_CTL_MOD, f->listen_fds[i],
                      &(struct epoll_event){.events = 0, .data.u64 = i});
}

static void resume_accepting(wdd_front *f)
{
    f->paused = false;
    for (size_t i = 0; i < f->nl; i++)
        if (f->listen_fds[i] >= 0)
            epoll_ctl(f->epfd, EPOLL_CTL_MOD, f->listen_fds[i],
                      &(struct epoll_event){.events = EPOLLIN, .data.u64 = i});
}

static void on_readable(wdd_front *f, wdd_front_conn *c);

/* Room for one more connection of p: displaces a waiting one when a bound is reached. */
static bool make_room(wdd_front *f, peer *p)
{
    bool peer_full = p->waiting + p->handed >= f->lim.max_per_peer;
    if (!peer_full && f->total < f->lim.max_connections)
        return true;
    wdd_front_conn *v = victim(f, peer_full ? p : NULL);
    if (!v)
        return false;
    answer(f, v, WDD_FRONT_DISPLACED, 503, "WD-D017",
           "displaced: too many connections were waiting for their request head", NULL, false);
    return true;
}

static void admit(wdd_front *f, size_t listener, int fd, const struct sockaddr_storage *ss,
                  socklen_t len)
{
    wdd_front_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    c->fd = fd;
    c->listener = (int)listener;
    c->addr = *ss;
    c->addrlen = len;
    c->accepted_ns = wd_time_mono_ns();
    c->deadline_ns = c->accepted_ns + f->lim.head_timeout_ms * 1000000u;
    c->state = C_DEAD; /* until it is admitted */
    list_push(&f->dead, c);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    peer k;
    peer_key(c, f->tcp[listener], &k);
    peer *p = peer_get(f, &k);
    bool watched = p && epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
    bool room = false;
    if (watched) {
        p->pins++; /* displacing the peer's last waiting connection must not free it */
        room = make_room(f, p);
        p->pins--;
    }
    if (!room) { /* not admitted: the peer's reference is given back once, here */
        if (watched)
            answer(f, c, WDD_FRONT_BUSY, 503, "WD-D017",
                   "too many connections from this peer or in total", NULL, true);
        else
            finish(f, c);
        peer_put(f, p);
        return;
    }
    c->peer = p;
    c->pprev = p->wtail;
    if (p->wtail)
        p->wtail->pnext = c;
    else
        p->whead = c;
    p->wtail = c;
    p->waiting++;
    f->total++;
    move_to(f, c, C_WAITING);
    if (f->tcp[listener] && f->lim.max_header > (32u << 10)) {
        /* The whole head must fit what the socket holds unread. */
        int rcv = (int)(f->lim.max_header * 4);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    }
    on_readable(f, c); /* the head may be there already */
}

static void on_listener(wdd_front *f, size_t i)
{
    for (int k = 0; k < ACCEPTS_PER_EVENT && f->accepting; k++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int fd =
            accept4(f->listen_fds[i], (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            admit(f, i, fd, &ss, len);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* Out of descriptors: a waiting connection gives its own up, else pause. */
            wdd_front_conn *v = victim(f, NULL);
            if (v) {
                answer(f, v, WDD_FRONT_DISPLACED, 503, "WD-D017",
                       "displaced: too many connections were waiting for their request head", NULL,
                       false);
                continue;
            }
            pause_accepting(f);
        }
        return;
    }
}

/* ---- heads ---------------------------------------------------------------------------------- */

/* A hand-over libmicrohttpd closed without starting. */
static void release_handing(wdd_front *f, wdd_front_conn *c)
{
    c->peer->handed--;
    f->total--;
    peer_put(f, c->peer);
    c->peer = NULL;
    c->fd = -1;
    move_to(f, c, C_DEAD);
}

static void hand_over(wdd_front *f, wdd_front_conn *c)
{
    epoll_ctl(f->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    struct stat st;
    if (fstat(c->fd, &st) == 0) {
        c->dev = st.st_dev;
        c->ino = st.st_ino;
    }
    peer_unwait(c);
    c->peer->handed++;
    move_to(f, c, C_HANDING);
    c->deadline_ns = wd_time_mono_ns() + (uint64_t)HANDING_MS * 1000000u;
    int fd = c->fd, listener = c->listener;
    struct sockaddr_storage ss = c->addr;
    socklen_t len = c->addrlen;
    /* libmicrohttpd only queues the connection for its own thread here, which may already be
     * notifying us of another: not under our lock. Once it has the connection, c is its (it
     * may even be closed and freed before the lock is ours again). */
    pthread_mutex_unlock(&f->mu);
    bool ok = f->hooks.hand_over(f->hooks.ctx, listener, fd, (struct sockaddr *)&ss, len);
    pthread_mutex_lock(&f->mu);
    if (!ok) /* refused before it was queued: never started, descriptor closed */
        release_handing(f, c);
}

static void on_readable(wdd_front *f, wdd_front_conn *c)
{
    ssize_t n;
    do
        n = recv(c->fd, f->peek, f->lim.max_header, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) { /* gone before a whole head: nothing to answer */
        finish(f, c);
        return;
    }
    wdd_head h;
    switch (wdd_head_check(f->peek, (size_t)n, f->lim.max_header, &h)) {
    case WDD_HEAD_MORE:
        return;
    case WDD_HEAD_BAD:
        answer(f, c, WDD_FRONT_BAD_HEAD, 400, "WD-D014", h.why, NULL, true);
        return;
    case WDD_HEAD_TOO_LARGE:
        answer(f, c, WDD_FRONT_TOO_LARGE, 431, "WD-D015", h.why, NULL, true);
        return;
    case WDD_HEAD_OK:
        break;
    }
    /* A body is read only for a client: nobody else is served anything that takes one. */
    char why[160] = "unauthenticated: this peer is no configured client";
    const char *challenge = "Bearer realm=\"warden\"";
    if (h.content_length > 0 && !f->hooks.is_client(f->hooks.ctx, c->listener, c->fd, h.auth,
                                                    h.auth_len, why, sizeof(why), &challenge)) {
        answer(f, c, WDD_FRONT_NO_CLIENT, 401, "WD-D005", why, challenge, true);
        return;
    }
    hand_over(f, c);
}

/* ---- the thread ------------------------------------------------------------------------------ */

/* A hand-over libmicrohttpd never started (it failed before telling us, closing the socket):
 * released once the descriptor no longer names that socket. */
static bool handing_lost(const wdd_front_conn *c)
{
    struct stat st;
    return fstat(c->fd, &st) != 0 || st.st_dev != c->dev || st.st_ino != c->ino;
}

static void sweep(wdd_front *f, uint64_t now)
{
    while (f->waiting.head && f->waiting.head->deadline_ns <= now)
        answer(f, f->waiting.head, WDD_FRONT_TIMEOUT, 408, "WD-D018",
               "no whole request head within limits.head_timeout", NULL, false);
    while (f->closing.head && f->closing.head->deadline_ns <= now)
        finish(f, f->closing.head);
    for (wdd_front_conn *c = f->handing.head, *next; c; c = next) {
        next = c->next;
        if (now >= c->deadline_ns && handing_lost(c))
            release_handing(f, c);
    }
    if (f->paused && now >= f->pause_until_ns && f->accepting)
        resume_accepting(f);
    while (f->dead.head) {
        wdd_front_conn *c = f->dead.head;
        list_remove(&f->dead, c);
        free(c);
    }
}

static void *run(void *arg)
{
    wdd_front *f = arg;
    struct epoll_event ev[EVENTS];
    for (;;) {
        int n = epoll_wait(f->epfd, ev, EVENTS, TICK_MS);
        pthread_mutex_lock(&f->mu);
        if (f->stopping) {
            pthread_mutex_unlock(&f->mu);
            break;
        }
        for (int i = 0; i < n; i++) {
            uint64_t tag = ev[i].data.u64;
            if (tag == WAKE_TAG)
                continue;
            if (tag < f->nl) {
                if (f->accepting && !f->paused)
                    on_listener(f, (size_t)tag);
                continue;
            }
            wdd_front_conn *c = ev[i].data.ptr;
            if (c->state == C_WAITING)
                on_readable(f, c);
            else if (c->state == C_CLOSING)
                drain(f, c);
        }
        sweep(f, wd_time_mono_ns());
        pthread_mutex_unlock(&f->mu);
    }
    return NULL;
}

int wdd_front_start(wdd_front **out, const wdd_front_limits *lim, const int listen_fds[],
                    const bool tcp[], size_t nl, const wdd_front_hooks *hooks)
{
    *out = NULL;
    if (nl > WDD_FRONT_LISTENERS || !lim->max_header || !lim->max_connections || !lim->max_per_peer)
        return -1;
    wdd_front *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    pthread_mutex_init(&f->mu, NULL);
    f->lim = *lim;
    f->hooks = *hooks;
    f->nl = nl;
    f->accepting = true;
    f->epfd = epoll_create1(EPOLL_CLOEXEC);
    f->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    f->peek = malloc(lim->max_header);
    bool ok = f->epfd >= 0 && f->wakefd >= 0 && f->peek &&
              epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->wakefd,
                        &(struct epoll_event){.events = EPOLLIN, .data.u64 = WAKE_TAG}) == 0;
    for (size_t i = 0; i < nl; i++) {
        f->listen_fds[i] = listen_fds[i];
        f->tcp[i] = tcp[i];
        if (ok && listen_fds[i] >= 0) {
            int fl = fcntl(listen_fds[i], F_GETFL);
            ok = fl >= 0 && fcntl(listen_fds[i], F_SETFL, fl | O_NONBLOCK) == 0 &&
                 epoll_ctl(f->epfd, EPOLL_CTL_ADD, listen_fds[i],
                           &(struct epoll_event){.events = EPOLLIN, .data.u64 = i}) == 0;
        }
    }
    if (ok)
        ok = f->thread_started = pthread_create(&f->thread, NULL, run, f) == 0;
    if (!ok) {
        wdd_front_free(f);
        return -1;
    }
    *out = f;
    return 0;
}

void wdd_front_quiesce(wdd_front *f)
{
    if (!f || !f->thread_started)
        return;
    pthread_mutex_lock(&f->mu);
    f->accepting = false;
    f->stopping = true;
    pthread_mutex_unlock(&f->mu);
    uint64_t one = 1;
    (void)!write(f->wakefd, &one, sizeof(one));
    pthread_join(f->thread, NULL);
    f->thread_started = false;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->nl; i++)
        if (f->listen_fds[i] >= 0)
            epoll_ctl(f->epfd, EPOLL_CTL_DEL, f->listen_fds[i], NULL);
    while (f->waiting.head)
        finish(f, f->waiting.head);
    while (f->closing.head)
        finish(f, f->closing.head);
    sweep(f, 0);
    pthread_mutex_unlock(&f->mu);
}

void wdd_front_free(wdd_front *f)
{
    if (!f)
        return;
    wdd_front_quiesce(f);
    /* What libmicrohttpd never started (it has stopped: nothing else will name these). */
    while (f->handing.head) {
        wdd_front_conn *c = f->handing.head;
        list_remove(&f->handing, c);
        c->peer->handed--;
        peer_put(f, c->peer);
        free(c);
    }
    for (size_t b = 0; b < PEER_BUCKETS; b++)
        while (f->buckets[b]) {
            peer *p = f->buckets[b];
            f->buckets[b] = p->next;
            free(p);
        }
    if (f->epfd >= 0)
        close(f->epfd);
    if (f->wakefd >= 0)
        close(f->wakefd);
    free(f->peek);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

wdd_front_conn *wdd_front_started(wdd_front *f, int fd)
{
    struct stat st;
    if (!f || fstat(fd, &st) != 0)
        return NULL;
    pthread_mutex_lock(&f->mu);
    wdd_front_conn *c = f->handing.head;
    while (c && !(c->fd == fd && c->dev == st.st_dev && c->ino == st.st_ino))
        c = c->next;
    if (c)
        move_to(f, c, C_STARTED);
    pthread_mutex_unlock(&f->mu);
    return c;
}

uint64_t wdd_front_accepted_ns(const wdd_front_conn *c)
{
    return c->accepted_ns;
}

static void release(wdd_front *f, wdd_front_conn *c)
{
    if (c->released)
        return;
    c->released = true;
    c->peer->handed--;
    f->total--;
    peer_put(f, c->peer);
    c->peer = NULL;
}

void wdd_front_done(wdd_front *f, wdd_front_conn *c)
{
    if (!f || !c)
        return;
    pthread_mutex_lock(&f->mu);
    release(f, c);
    pthread_mutex_unlock(&f->mu);
}

void wdd_front_closed(wdd_front *f, wdd_front_conn *c)
{
    if (!f || !c)
        return;
    pthread_mutex_lock(&f->mu);
    release(f, c);
    pthread_mutex_unlock(&f->mu);
    free(c);
}

void wdd_front_counts(wdd_front *f, unsigned *waiting, unsigned *handed)
{
    pthread_mutex_lock(&f->mu);
    *waiting = (unsigned)f->waiting.n;
    *handed = f->total - (unsigned)f->waiting.n;
    pthread_mutex_unlock(&f->mu);
}
