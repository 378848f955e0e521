/* resolve.c: a host name to addresses by a deadline, through c-ares driven by poll(2)
 * (resolve.h). */
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sandbox/resolve.h"
#include "util/ascii.h"
#include "util/error.h"
#include "util/timeutil.h"

#define LABEL_MAX 63
/* c-ares opens a UDP socket per server it asks, and a TCP one when an answer is truncated. */
#define RESOLVE_SOCKETS 16
/* Each server is asked twice, the first wait a quarter of the time left (at least TRY_MS_MIN,
 * at most TRY_MS_MAX), so a server that does not answer leaves time for the next; the deadline
 * bounds the whole resolution whatever these are. */
#define RESOLVE_TRIES 2
#define TRY_MS_MIN 50
#define TRY_MS_MAX 2000
/* Once one family has answered with addresses, how long the other may still take (a resolver
 * that drops AAAA queries must not cost the call its deadline). */
#define OTHER_FAMILY_MS 250
#define NS_PER_MS 1000000u

typedef struct {
    struct pollfd fds[RESOLVE_SOCKETS];
    size_t n;
    bool overflow; /* c-ares opened a socket beyond what is watched: fail closed */
} sockset;

/* One query's answer: the addresses of each family it got. */
typedef struct {
    int family; /* asked for: AF_INET, AF_INET6 or AF_UNSPEC (both) */
    unsigned port;
    bool done, closing;
    int status;
    size_t n4, n6;
    struct sockaddr_in addr4[WD_RESOLVE_PER_FAMILY];
    struct sockaddr_in6 addr6[WD_RESOLVE_PER_FAMILY];
} family_answer;

/* c-ares says which sockets it wants watched, and for what. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    sockset *s = data;
    size_t i = 0;
    while (i < s->n && s->fds[i].fd != fd)
        i++;
    if (!readable && !writable) {
        if (i < s->n)
            s->fds[i] = s->fds[--s->n];
        return;
    }
    if (i == s->n) {
        if (s->n == RESOLVE_SOCKETS) {
            s->overflow = true;
            return;
        }
        s->n++;
    }
    s->fds[i] = (struct pollfd){
        .fd = fd, .events = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0))};
}

static void keep(family_answer *a, const struct ares_addrinfo_node *node)
{
    if (!node->ai_addr || (a->family != AF_UNSPEC && node->ai_family != a->family))
        return;
    if (node->ai_family == AF_INET && node->ai_addrlen == sizeof(struct sockaddr_in) &&
        a->n4 < WD_RESOLVE_PER_FAMILY) {
        memcpy(&a->addr4[a->n4], node->ai_addr, sizeof(struct sockaddr_in));
        a->addr4[a->n4++].sin_port = htons((uint16_t)a->port);
    } else if (node->ai_family == AF_INET6 && node->ai_addrlen == sizeof(struct sockaddr_in6) &&
               a->n6 < WD_RESOLVE_PER_FAMILY) {
        memcpy(&a->addr6[a->n6], node->ai_addr, sizeof(struct sockaddr_in6));
        a->addr6[a->n6++].sin6_port = htons((uint16_t)a->port);
    }
}

static void answered(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    family_answer *a = arg;
    /* The channel is being closed at the deadline: what is still pending is abandoned. */
    if (!a->closing) {
        a->done = true;
        a->status = status;
        for (const struct ares_addrinfo_node *node = res ? res->nodes : NULL; node;
             node = node->ai_next)
            keep(a, node);
        if (status == ARES_SUCCESS && a->n4 + a->n6 == 0)
            a->status = ARES_ENODATA;
    }
    ares_freeaddrinfo(res);
}

/* An IPv4 or IPv6 literal (IPv6 with or without brackets), spelled as inet_pton(3) reads it. */
static bool literal(const char *name, unsigned port, struct sockaddr_storage *out)
{
    char bare[INET6_ADDRSTRLEN + 2];
    size_t len = strlen(name);
    memset(out, 0, sizeof(*out));
    struct sockaddr_in *in = (struct sockaddr_in *)out;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    if (len >= 2 && name[0] == '[' && name[len - 1] == ']') {
        if (len - 2 >= sizeof(bare))
            return false;
        memcpy(bare, name + 1, len - 2);
        bare[len - 2] = '\0';
        if (inet_pton(AF_INET6, bare, &in6->sin6_addr) != 1)
            return false;
    } else if (inet_pton(AF_INET, name, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        return true;
    } else if (inet_pton(AF_INET6, name, &in6->sin6_addr) != 1) {
        return false;
    }
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    return true;
}

/* A host name as DNS spells one: letters, digits, '-' and '_' in labels of 1 to 63 bytes, at
 * most 253 bytes (a final dot aside), and a last label that is not all digits, so nothing a
 * lenient parser reads as an address ("127.1", "0x7f.1") is ever looked up as a name. */
static bool host_name(const char *name)
{
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len > WD_RESOLVE_NAME_MAX)
        return false;
    size_t label = 0;
    bool digits = true;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
            digits = true;
            continue;
        }
        if (!wd_is_alpha(c) && !wd_is_digit(c) && c != '-' && c != '_')
            return false;
        digits = digits && wd_is_digit(c);
        if (++label > LABEL_MAX)
            return false;
    }
    return label > 0 && !digits;
}

static struct timeval tv_of_ns(uint64_t ns)
{
    return (struct timeval){.tv_sec = (time_t)(ns / 1000000000u),
                            .tv_usec = (suseconds_t)(ns % 1000000000u / 1000u)};
}

/* Drives the channel until both families have answered, one has and the other had its grace,
 * or the deadline. Returns 0, or WD_EIO (why says so) when the sockets cannot be watched. */
static int drive(ares_channel ch, sockset *socks, family_answer *a, size_t na, uint64_t deadline,
                 char *why, size_t why_size)
{
    uint64_t grace_end = 0;
    for (;;) {
        bool all = true, some = false;
        for (size_t i = 0; i < na; i++) {
            all = all && a[i].done;
            some = some || (a[i].done && a[i].n4 + a[i].n6 > 0);
        }
        uint64_t now = wd_time_mono_ns();
        if (all || now >= deadline)
            return 0;
        uint64_t until = deadline;
        if (some) {
            if (!grace_end)
                grace_end = now + (uint64_t)OTHER_FAMILY_MS * NS_PER_MS;
            if (now >= grace_end)
                return 0;
            until = grace_end < deadline ? grace_end : deadline;
        }
        if (socks->overflow) {
            snprintf(why, why_size, "the resolver opened more than %d sockets", RESOLVE_SOCKETS);
            return wd_fail(WD_EIO, "%s", why);
        }
        struct timeval most = tv_of_ns(until - now), buf;
        const struct timeval *tv = ares_timeout(ch, &most, &buf);
        long long ms = (long long)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;
        struct pollfd fds[RESOLVE_SOCKETS];
        size_t nfds = socks->n;
        memcpy(fds, socks->fds, nfds * sizeof(fds[0]));
        int ready = poll(fds, nfds, (int)(ms > 0 ? ms : 0));
        if (ready < 0 && errno != EINTR) {
            int e = errno;
            snprintf(why, why_size, "cannot wait for the resolver: %s", strerror(e));
            return wd_fail(WD_EIO, "%s", why);
        }
        if (ready <= 0) {
            ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts, retries */
            continue;
        }
        /* Each call may close and open sockets (sock_state): the copy polled stays as it was. */
        for (size_t i = 0; i < nfds; i++)
            if (fds[i].revents)
                ares_process_fd(ch,
                                fds[i].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)
                                    ? fds[i].fd
                                    : ARES_SOCKET_BAD,
                                fds[i].revents & POLLOUT ? fds[i].fd : ARES_SOCKET_BAD);
    }
}

static bool not_found(int status)
{
    return status == ARES_ENOTFOUND || status == ARES_ENODATA || status == ARES_ENONAME;
}

/* The outcome when neither family gave an address. */
static int failure(const family_answer *a, size_t na, char *why, size_t why_size)
{
    bool all_not_found = true, pending = false;
    int status = ARES_SUCCESS;
    for (size_t i = 0; i < na; i++) {
        pending = pending || !a[i].done;
        if (a[i].done && !not_found(a[i].status)) {
            all_not_found = false;
            status = a[i].status;
        }
    }
    if (pending) {
        snprintf(why, why_size, "no answer from the resolver within the time left to the call");
        return wd_fail(WD_ERANGE, "%s", why);
    }
    if (all_not_found) {
        snprintf(why, why_size, "no such host, or it has no address");
        return wd_fail(WD_ENOTFOUND, "%s", why);
    }
    if (status == ARES_ETIMEOUT) {
        snprintf(why, why_size, "no answer from the resolver");
        return wd_fail(WD_ERANGE, "%s", why);
    }
    snprintf(why, why_size, "the resolver failed: %s", ares_strerror(status));
    return wd_fail(status == ARES_ENOMEM ? WD_ENOMEM : WD_EIO, "%s", why);
}

static int init_channel(ares_channel *ch, sockset *socks, uint64_t budget_ns, const char *lookups,
                        const wd_resolve_options *opts, char *why, size_t why_size)
{
    uint64_t try_ms = budget_ns / NS_PER_MS / 4;
    char where[4]; /* c-ares copies it */
    snprintf(where, sizeof(where), "%s", lookups);
    struct ares_options o = {
        /* HOSTALIASES in the host's environment must not rename what a plugin asked for. */
        .flags = ARES_FLAG_NOALIASES,
        .timeout = (int)(try_ms < TRY_MS_MIN   ? TRY_MS_MIN
                         : try_ms > TRY_MS_MAX ? TRY_MS_MAX
                                               : try_ms),
        .tries = RESOLVE_TRIES,
        .sock_state_cb = sock_state,
        .sock_state_cb_data = socks,
        .lookups = where,
    };
    int st = ares_init_options(ch, &o,
                               ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
                                   ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS);
    if (st != ARES_SUCCESS) {
        snprintf(why, why_size, "cannot set up the resolver: %s", ares_strerror(st));
        return wd_fail(st == ARES_ENOMEM ? WD_ENOMEM : WD_EIO, "%s", why);
    }
    if (opts && opts->servers && (st = ares_set_servers_ports_csv(*ch, opts->servers)) != 0) {
        ares_destroy(*ch);
        snprintf(why, why_size, "bad resolver servers: %s", ares_strerror(st));
        return wd_fail(WD_EINVAL, "%s", why);
    }
    return 0;
}

/* Asks for name on a channel of its own that looks where lookups says ("f" the hosts file,
 * "b" DNS), one query per family of families, and drives it until the deadline. */
static int lookup(const char *name, uint64_t deadline_ns, const char *lookups,
                  const wd_resolve_options *opts, family_answer *a, size_t na, char *why,
                  size_t why_size)
{
    sockset socks = {.n = 0};
    ares_channel ch;
    int rc =
        init_channel(&ch, &socks, deadline_ns - wd_time_mono_ns(), lookups, opts, why, why_size);
    if (rc)
        return rc;
    for (size_t i = 0; i < na; i++) {
        struct ares_addrinfo_hints hints = {.ai_family = a[i].family, .ai_socktype = SOCK_STREAM};
        ares_getaddrinfo(ch, name, NULL, &hints, answered, &a[i]);
    }
    rc = drive(ch, &socks, a, na, deadline_ns, why, why_size);
    /* Whatever is still pending is abandoned: its callback runs from ares_destroy. */
    for (size_t i = 0; i < na; i++)
        a[i].closing = true;
    ares_destroy(ch);
    return rc;
}

/* IPv4 and IPv6 alternating, IPv4 first, at most max. */
static size_t gather(const family_answer *a, size_t na, struct sockaddr_storage *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; n < max && i < WD_RESOLVE_PER_FAMILY; i++)
        for (size_t f = 0; f < na && n < max; f++) {
            if (i < a[f].n4) {
                memset(&out[n], 0, sizeof(out[n]));
                memcpy(&out[n++], &a[f].addr4[i], sizeof(a[f].addr4[i]));
            }
            if (i < a[f].n6 && n < max) {
                memset(&out[n], 0, sizeof(out[n]));
                memcpy(&out[n++], &a[f].addr6[i], sizeof(a[f].addr6[i]));
            }
        }
    return n;
}

int wd_resolve(const char *name, unsigned port, uint64_t deadline_ns,
               const wd_resolve_options *opts, struct sockaddr_storage *out, size_t max, size_t *n,
               char *why, size_t why_size)
{
    *n = 0;
    if (why_size)
        why[0] = '\0';
    if (!name || !out || max == 0 || port > 65535) {
        snprintf(why, why_size, "bad arguments");
        return wd_fail(WD_EINVAL, "%s", why);
    }
    if (literal(name, port, &out[0])) {
        *n = 1;
        return 0;
    }
    if (!host_name(name)) {
        snprintf(why, why_size, "not a host name or IP literal");
        return wd_fail(WD_EINVAL, "%s", why);
    }
    if (wd_time_mono_ns() >= deadline_ns) {
        snprintf(why, why_size, "no time left to the call to resolve in");
        return wd_fail(WD_ERANGE, "%s", why);
    }
    /* The names the host knows itself first, both families at once, as the C library does:
     * a name /etc/hosts answers is never sent to a server. */
    family_answer files = {.family = AF_UNSPEC, .port = port};
    int rc = lookup(name, deadline_ns, "f", opts, &files, 1, why, why_size);
    if (rc)
        return rc;
    if ((*n = gather(&files, 1, out, max)) > 0)
        return 0;
    if (wd_time_mono_ns() >= deadline_ns) {
        snprintf(why, why_size, "no answer from the resolver within the time left to the call");
        return wd_fail(WD_ERANGE, "%s", why);
    }
    /* Then DNS, each family on its own, so a server that drops one costs only a grace. */
    family_answer a[2] = {{.family = AF_INET, .port = port}, {.family = AF_INET6, .port = port}};
    rc = lookup(name, deadline_ns, "b", opts, a, 2, why, why_size);
    if (rc)
        return rc;
    *n = gather(a, 2, out, max);
    return *n ? 0 : failure(a, 2, why, why_size);
}
