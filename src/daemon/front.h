/* front.h (daemon): the connection front — wardend's own accept loop in front of
 * libmicrohttpd.
 *
 * Every connection is accepted here and held, costing a descriptor and nothing else, until its
 * whole request head has arrived; the head is read with MSG_PEEK (left in the socket) and
 * checked on its raw bytes (head.h). Only a head that passes is handed to libmicrohttpd,
 * which then reads the same bytes; anything else is answered here (400, 401, 408, 431, 503),
 * closed, and never reaches a handler. The server answers one request per connection
 * (Connection: close), so the head checked here is the only one the connection carries: a
 * second request hidden in a body is never parsed.
 *
 * Bounds, per peer (the uid on the Unix socket, the address on TCP) and in total: a new
 * connection over either bound displaces the oldest head-less connection of the peer holding
 * the most of them, so a flood of idle connections
 * cannot keep a good client out, or is answered 503 when there is none. A head must be whole within
 * head_timeout of the connection opening. A request with a body from a peer that is no configured
 * client is answered 401 here, before its body is read.
 *
 * Lifecycle: wdd_front_start() (a thread of its own) -> wdd_front_started()/wdd_front_closed()
 * from libmicrohttpd's connection notifications -> wdd_front_quiesce() (stop accepting, close
 * what is waiting) -> stop libmicrohttpd -> wdd_front_free(). */
#ifndef WDD_FRONT_H
#define WDD_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "daemon/head.h"

typedef struct wdd_front wdd_front;
typedef struct wdd_front_conn wdd_front_conn;

enum { WDD_FRONT_LISTENERS = 2 };

typedef struct {
    size_t max_header;
    uint64_t head_timeout_ms;
    unsigned max_connections; /* waiting + handed over, all listeners */
    unsigned max_per_peer;
} wdd_front_limits;

/* What happened to connections the front answered itself (for metrics). */
typedef enum {
    WDD_FRONT_BAD_HEAD,  /* 400 */
    WDD_FRONT_TOO_LARGE, /* 431 */
    WDD_FRONT_NO_CLIENT, /* 401: a body from a peer that is no client */
    WDD_FRONT_TIMEOUT,   /* 408: no whole head in time */
    WDD_FRONT_DISPLACED, /* 503: made room for a newer connection */
    WDD_FRONT_BUSY,      /* 503: over a bound with no one to displace */
    WDD_FRONT_OUTCOMES
} wdd_front_outcome;

typedef struct {
    void *ctx;
    /* Takes the connection (libmicrohttpd closes fd whatever happens); false when refused. */
    bool (*hand_over)(void *ctx, int listener, int fd, const struct sockaddr *addr,
                      socklen_t addrlen);
    /* Whether the peer is a configured client (Unix: fd's peer uid; TCP: the Authorization
     * value, which may be NULL). When not: why, the 401's message (plain ASCII, no quotes or
     * backslashes), and *challenge, its WWW-Authenticate value (static). */
    bool (*is_client)(void *ctx, int listener, int fd, const char *auth, size_t auth_len, char *why,
                      size_t why_size, const char **challenge);
    /* One answer given by the front, with its HTTP status. */
    void (*answered)(void *ctx, wdd_front_outcome what, unsigned status);
} wdd_front_hooks;

/* listen_fds[i] (-1: none) are listening sockets; listener i is TCP when tcp[i]. */
int wdd_front_start(wdd_front **out, const wdd_front_limits *lim, const int listen_fds[],
                    const bool tcp[], size_t nlisteners, const wdd_front_hooks *hooks);
/* Stops accepting and closes every connection still waiting for its head. */
void wdd_front_quiesce(wdd_front *f);
/* After every libmicrohttpd daemon has stopped. */
void wdd_front_free(wdd_front *f);

/* libmicrohttpd took the connection on fd: its front record, or NULL. */
wdd_front_conn *wdd_front_started(wdd_front *f, int fd);
/* When the connection was accepted (monotonic ns). */
uint64_t wdd_front_accepted_ns(const wdd_front_conn *c);
/* Its request is over (answered, or ended): it no longer counts against its peer, before the
 * client can see the connection end and open the next. */
void wdd_front_done(wdd_front *f, wdd_front_conn *c);
/* libmicrohttpd closed it: released if not already, and freed. */
void wdd_front_closed(wdd_front *f, wdd_front_conn *c);

/* Connections now waiting for their head and handed over (for tests and metrics). */
void wdd_front_counts(wdd_front *f, unsigned *waiting, unsigned *handed);

#endif
