/* hostaddr.h (internal): whether an address is one of this host's own.
 *
 * The broker connects from the host's network namespace, where every address the host owns is
 * as local as 127.0.0.1: a service bound to 0.0.0.0 answers on all of them. So an address is
 * the host's own when it is assigned to any interface (up or down, IPv4 or IPv6), or when the
 * kernel would deliver a packet for it locally (a local, broadcast, multicast or anycast route:
 * "ip route add local 198.19.0.0/24 dev lo" makes a whole range local without assigning it).
 * Both are read afresh on every call: an address added while warden runs counts at once. */
#ifndef WD_SANDBOX_HOSTADDR_H
#define WD_SANDBOX_HOSTADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* 1 when sa (AF_INET or AF_INET6; an IPv4-mapped or -compatible IPv6 address is its IPv4
 * address) is an address of this host, 0 when it is not, or a negative WD_E* code when the
 * host's addresses cannot be read (why says so; callers refuse: fail closed). */
int wd_hostaddr_is_own(const struct sockaddr *sa, char *why, size_t why_size);

#endif
