/* dns_stub.h (internal): the DNS stub of one process plugin instance (docs/dns-stub.md).
 *
 * A process plugin runs in a network namespace with nothing but loopback. Its resolver asks
 * the stub (127.X.Y.Z:53 in that namespace, named by the plugin's /etc/resolv.conf); the stub
 * answers a name the policy allows with a synthetic IPv4 address from 198.18.0.0/15 that stands
 * for that name alone, and refuses the rest. When the plugin connects to a synthetic address,
 * the broker asks wd_dns_stub_name_of() which name it stands for and resolves and decides that
 * name itself. So the stub never needs the network and never reveals a real address.
 *
 * Lifecycle: wd_dns_stub_open() once per instance, then wd_dns_stub_serve() whenever its
 * descriptor is readable (from one thread at a time), wd_dns_stub_name_of() from any thread
 * (also while another serves), wd_dns_stub_close() when the instance ends (nothing may use the
 * stub or a name it returned after that). */
#ifndef WD_SANDBOX_DNS_STUB_H
#define WD_SANDBOX_DNS_STUB_H

#include <stddef.h>
#include <stdint.h>

#define WD_DNS_STUB_PORT 53
#define WD_DNS_STUB_NAMES_MAX 1024  /* names one stub gives addresses to; then SERVFAIL */
#define WD_DNS_STUB_BATCH 64        /* datagrams one wd_dns_stub_serve() call reads at most */
#define WD_DNS_STUB_TTL 1           /* seconds, so nothing outside the stub keeps an answer long */
#define WD_DNS_STUB_ADDRESS_SIZE 16 /* "127.255.255.254" and its NUL */

typedef struct wd_dns_stub wd_dns_stub;

/* 1 to allow the name (lowercase, no trailing dot, never ""; valid during the call only) for a
 * query of this type, anything else to refuse it. Called once for each well-formed query in
 * class IN. */
typedef int (*wd_dns_decide_fn)(void *ctx, const char *name, uint16_t qtype);

/* Opens a stub listening on UDP 127.X.Y.Z:53 inside the network namespace netns_fd (a
 * descriptor of /proc/PID/ns/net or similar; the caller keeps it), or, with netns_fd -1, in
 * the caller's own namespace (tests). X.Y.Z differ for every stub this process opens (an
 * address in use is skipped), so several stubs can share one namespace. Inside netns_fd, the
 * loopback interface is brought up (if it is down). The calling thread's namespace never
 * changes: a short-lived thread enters netns_fd, makes the socket and ends; the socket stays in
 * the namespace it was made in. Needs CAP_SYS_ADMIN over netns_fd's namespace (root, for the
 * namespaces this library makes). Returns 0 or a negative WD_E* code (wd_error_last() says
 * why). */
int wd_dns_stub_open(wd_dns_stub **out, int netns_fd);

/* The stub's socket (non-blocking, close-on-exec; owned by the stub), to poll for input. */
/* Takes over a socket made elsewhere (a process plugin's runner makes its stub's in its own
 * network namespace): it must be a bound AF_INET UDP socket on a loopback address, port 53.
 * 0 (the stub owns fd), or a WD_E* code (fd closed). */
int wd_dns_stub_adopt(wd_dns_stub **out, int fd);
int wd_dns_stub_fd(const wd_dns_stub *s);

/* "127.X.Y.Z": the address the plugin's resolv.conf names (port 53). */
const char *wd_dns_stub_address(const wd_dns_stub *s);

/* Reads the pending queries, at most WD_DNS_STUB_BATCH of them (so a flood cannot starve the
 * caller: call again while the descriptor stays readable), and answers each to its sender:
 *   - a malformed datagram: dropped, or FORMERR when it has a query's header (wd_dns_formerr);
 *   - a class other than IN, or the root name: REFUSED (decide is not asked);
 *   - otherwise decide(ctx, name, qtype) is asked once. Refused: REFUSED. Allowed: for type A,
 *     the name's synthetic address (the same one every time within this stub), or SERVFAIL
 *     when WD_DNS_STUB_NAMES_MAX other names already have one; for any other type, NOERROR
 *     with no answer (the stub speaks IPv4 only: clients then use the A record).
 * Answers have a TTL of WD_DNS_STUB_TTL. A reply that cannot be sent (a full socket buffer, a
 * sender gone) is dropped: the resolver asks again. Returns the number of replies sent, or -1
 * (wd_error_last() says why) when the socket fails. */
int wd_dns_stub_serve(wd_dns_stub *s, wd_dns_decide_fn decide, void *ctx);

/* The name a synthetic address stands for (any port): sockaddr is a struct sockaddr_in of
 * len bytes, or a struct sockaddr_in6 holding the IPv4-mapped form (::ffff:198.18.x.y) of
 * one. NULL for any other address, one this stub has not given out, or a short len. The name
 * stays valid until wd_dns_stub_close(). */
const char *wd_dns_stub_name_of(const wd_dns_stub *s, const void *sockaddr, size_t len);

/* Closes the socket and frees the stub (NULL is fine). */
void wd_dns_stub_close(wd_dns_stub *s);

/* The n-th loopback address the stubs of a process try, in host byte order: 127.X.Y.Z with
 * X.Y.Z the low 24 bits of n, or 0 when that address is skipped (127.0.0.1, which services
 * listen on; an address ending in .0 or .255, which some resolvers refuse as a server). */
uint32_t wd_dns_stub_candidate(uint32_t n);

#endif
