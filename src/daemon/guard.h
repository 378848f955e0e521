/* guard.h (daemon): deadlines against slow clients.
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client that sends one byte a second
 * is never idle, and could hold a connection (and with enough of them, every slot) forever. The
 * guard gives each connection a deadline: a whole request must arrive within the timeout of
 * the connection opening (start_ns, when the front accepted it); while the request is being
 * handled there is none. A thread shuts down the socket of any connection past its deadline, which
 * ends it.
 *
 * Lifecycle: wdd_guard_start() -> per connection wdd_guard_add() (at open) ->
 * wdd_guard_busy() / wdd_guard_rearm() around each request -> wdd_guard_remove() (at close) ->
 * wdd_guard_stop(). The guard keeps its own duplicate of each socket, so it can never shut
 * down a descriptor number that was reused for something else. */
#ifndef WDD_GUARD_H
#define WDD_GUARD_H

#include <stdint.h>

typedef struct wdd_guard wdd_guard;
typedef struct wdd_guarded wdd_guarded;

int wdd_guard_start(wdd_guard **out, uint64_t timeout_ms);
void wdd_guard_stop(wdd_guard *g);
/* NULL when out of memory or descriptors (the connection then only has the idle timeout).
 * start_ns: when the connection opened (monotonic). */
wdd_guarded *wdd_guard_add(wdd_guard *g, int fd, uint64_t start_ns);
void wdd_guard_remove(wdd_guard *g, wdd_guarded *c);
void wdd_guard_busy(wdd_guarded *c);
void wdd_guard_rearm(wdd_guarded *c);
/* Connections cut off so far. */
uint64_t wdd_guard_cut(const wdd_guard *g);

#endif
