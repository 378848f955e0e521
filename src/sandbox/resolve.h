/* resolve.h (internal): a host name to addresses, by a deadline.
 *
 * The broker resolves the names plugins connect to, inside the call that asked, so a resolver
 * that never answers must not hold the call past its deadline. wd_resolve asks for A and AAAA
 * through c-ares on a channel of its own, configured as the system resolver is (/etc/resolv.conf
 * for servers, search domains and ndots; /etc/nsswitch.conf and /etc/hosts for names the host
 * knows itself), drives it with poll(2) in the calling thread (no thread, no signal), and
 * abandons whatever is still pending at the deadline. An IP literal never reaches a resolver. */
#ifndef WD_SANDBOX_RESOLVE_H
#define WD_SANDBOX_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The longest host name resolved (RFC 1035), without a final dot. */
#define WD_RESOLVE_NAME_MAX 253
/* The most addresses kept of each family. */
#define WD_RESOLVE_PER_FAMILY 16

typedef struct {
    /* The servers to ask instead of /etc/resolv.conf's, in c-ares' form ("127.0.0.1:5353,
     * [::1]:53"), or NULL for the system's. Tests point the resolver at servers they run. */
    const char *servers;
} wd_resolve_options;

/* Resolves name (a host name, or an IPv4 or IPv6 literal, brackets allowed) to at most max
 * addresses with port set, IPv4 and IPv6 alternating (IPv4 first). deadline_ns is on
 * CLOCK_MONOTONIC (wd_time_mono_ns): nothing of the resolution is left running after it, and
 * wd_resolve returns by it (plus the time to close the channel). opts may be NULL.
 *
 * Returns 0 with *n >= 1, or a negative code with why saying what failed (never repeating the
 * name): WD_EINVAL not a host name or IP literal (or bad servers), WD_ENOTFOUND no such host or
 * no address, WD_ERANGE no answer before the deadline, WD_EIO the resolver failed, WD_ENOMEM. */
int wd_resolve(const char *name, unsigned port, uint64_t deadline_ns,
               const wd_resolve_options *opts, struct sockaddr_storage *out, size_t max, size_t *n,
               char *why, size_t why_size);

#endif
