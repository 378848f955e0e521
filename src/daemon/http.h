/* http.h (daemon): the HTTP server — the Unix socket always, loopback TCP when configured.
 *
 * Lifecycle: wdd_server_start(daemon) binds and serves from threads of its own ->
 * wdd_server_stop(drain_ms) stops accepting, waits up to drain_ms for requests in flight,
 * closes and removes the socket. The listeners are fixed at start: a reload changes tenants,
 * clients, policies and limits of requests, not where wardend listens. */
#ifndef WDD_HTTP_H
#define WDD_HTTP_H

#include "daemon/daemon.h"

typedef struct wdd_server wdd_server;

int wdd_server_start(wdd_server **out, wdd_daemon *d);
void wdd_server_stop(wdd_server *srv, unsigned drain_ms);
unsigned wdd_server_inflight(const wdd_server *srv);

#endif
