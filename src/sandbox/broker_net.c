/* broker_net.c: a plugin's connects (wd_broker_connect): the name decided by host rules, resolved
 * by the broker itself, each address decided again and refused when it is local to the host
 * unless a rule names it, and the socket connected here and handed over. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/broker.h"
#include "sandbox/broker_int.h"

#define MAX_ADDRESSES 4 /* addresses of one name tried, each within what is left of the call */

int wd_broker_address_is_local(const void *sockaddr)
{
    const struct sockaddr *sa = sockaddr;
    uint32_t v4;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sockaddr)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a)) {
            memcpy(&v4, a->s6_addr + 12, 4);
            v4 = ntohl(v4);
            if (IN6_IS_ADDR_V4COMPAT(a) && v4 <= 1)
                return 1; /* :: and ::1 */
        } else {
            return IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a) ||
                   IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_MULTICAST(a) ||
                   IN6_IS_ADDR_SITELOCAL(a) ||
                   (a->s6_addr[0] & 0xfe) == 0xfc; /* unique local, fc00::/7 */
        }
    } else if (sa->sa_family == AF_INET) {
        v4 = ntohl(((const struct sockaddr_in *)sockaddr)->sin_addr.s_addr);
    } else {
        return 1;
    }
    return (v4 >> 24) == 127 || (v4 >> 24) == 0 || (v4 >> 16) == 0xa9fe /* 169.254/16 */ ||
           (v4 >> 28) == 0xe /* multicast */ || v4 == 0xffffffffu;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t size)
{
    const void *a = sa->sa_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!inet_ntop(sa->sa_family, a, out, (socklen_t)size))
        snprintf(out, size, "?");
}

/* Whether the rule that allowed an address names addresses (an IP or a CIDR), not names. */
static int rule_names_address(const wd_rule *r)
{
    unsigned char buf[sizeof(struct in6_addr)];
    if (!r)
        return 0;
    if (r->cidr)
        return 1;
    if (!r->host)
        return 0;
    const char *h = r->host;
    char tmp[64];
    size_t n = strlen(h);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']' && n - 2 < sizeof(tmp)) {
        memcpy(tmp, h + 1, n - 2);
        tmp[n - 2] = 0;
        h = tmp;
    }
    return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

static int decide_host(const wd_broker *b, const char *host, unsigned port, wd_decision *d,
                       char *why, size_t size)
{
    wd_request req = {.kind = WD_REQ_NETWORK, .host = host, .port = port};
    if (wd_policy_decide(b->policy, &req, d) != 0) {
        snprintf(why, size, "malformed host");
        return -1;
    }
    wd_decision_explain(d, why, size);
    return 0;
}

static int connect_one(const struct addrinfo *ai, int timeout_ms, int *err)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
        *err = errno;
        close(fd);
        return -1;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    int n;
    do
        n = poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    int so = 0;
    socklen_t len = sizeof(so);
    if (n <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len) != 0 || so != 0) {
        *err = n == 0 ? ETIMEDOUT : so ? so : errno;
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

void wd_broker_connect(const wd_broker *b, const char *name, unsigned port, wd_broker_answer *ans)
{
    *ans = (wd_broker_answer){.fd = -1};
    snprintf(ans->target, sizeof(ans->target), "%s:%u", name, port);
    if (b->pure) {
        wd_broker_refuse(ans, EACCES, "connect %s: policy plugins get no network", ans->target);
        return;
    }
    if (!b->policy) {
        wd_broker_refuse(ans, EACCES, "connect %s: no policy grants anything", ans->target);
        return;
    }
    wd_decision d;
    char why[700];
    if (decide_host(b, name, port, &d, why, 600) != 0) {
        wd_broker_refuse(ans, EINVAL, "connect %s: not a host name or IP literal", ans->target);
        return;
    }
    char op_target[300];
    snprintf(op_target, sizeof(op_target), "%.250s:%u", name, port);
    if (d.effect != WD_ALLOW &&
        !wd_broker_overridden(b, "connect", op_target, ans, why, sizeof(why))) {
        wd_broker_refuse(ans, EACCES, "connect %s: %s", ans->target, why);
        return;
    }
    char allowed_why[700];
    snprintf(allowed_why, sizeof(allowed_why), "%s", why);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char service[8];
    snprintf(service, sizeof(service), "%u", port);
    /* "[::1]" is how the policy and a URL write an IPv6 literal; the resolver wants "::1". */
    char bare[256];
    size_t nl = strlen(name);
    if (nl >= 2 && name[0] == '[' && name[nl - 1] == ']' && nl - 2 < sizeof(bare)) {
        memcpy(bare, name + 1, nl - 2);
        bare[nl - 2] = 0;
        hints.ai_flags |= AI_NUMERICHOST;
        name = bare;
    }
    int gai = getaddrinfo(name, service, &hints, &res);
    if (gai != 0) {
        wd_broker_refuse(ans, EHOSTUNREACH, "connect %s: cannot resolve: %s", ans->target,
                         gai_strerror(gai));
        return;
    }
    int last_err = EHOSTUNREACH;
    char refused[1400] = "";
    int tried = 0;
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    for (const struct addrinfo *ai = res; ai && tried < MAX_ADDRESSES; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        char ip[INET6_ADDRSTRLEN];
        addr_text(ai->ai_addr, ip, sizeof(ip));
        /* The address is what is reached: decide it too. A deny rule for it wins, and a local
         * address needs a rule that names it, whatever allowed the name. */
        wd_decision da;
        char whya[600];
        int local = wd_broker_address_is_local(ai->ai_addr);
        if (decide_host(b, ip, port, &da, whya, sizeof(whya)) != 0)
            continue;
        /* Only a rule that names addresses (an IP, a CIDR) speaks about an address: a
         * blanket deny of "*" is about names, and the name was allowed. */
        if (da.effect != WD_ALLOW && da.reason != WD_REASON_NO_RULE &&
            rule_names_address(da.rule)) {
            snprintf(refused, sizeof(refused), "%s resolves to %s: %s", name, ip, whya);
            last_err = EACCES;
            continue;
        }
        if (local && !(da.effect == WD_ALLOW && rule_names_address(da.rule))) {
            snprintf(refused, sizeof(refused),
                     "%s resolves to %s, a loopback, link-local or otherwise local address, "
                     "which no rule names",
                     name, ip);
            last_err = EACCES;
            continue;
        }
        int err = 0;
        tried++;
        /* One budget for all the addresses, not one each. */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent =
            (now.tv_sec - started.tv_sec) * 1000 + (now.tv_nsec - started.tv_nsec) / 1000000;
        long budget = (b->timeout_ms > 0 ? b->timeout_ms : 5000) - spent;
        if (budget <= 0) {
            last_err = ETIMEDOUT;
            snprintf(refused, sizeof(refused), "%s: no time left for another address", name);
            break;
        }
        int fd = connect_one(ai, (int)budget, &err);
        if (fd >= 0) {
            freeaddrinfo(res);
            snprintf(ans->target, sizeof(ans->target), "%s:%u (%s)", name, port, ip);
            snprintf(ans->reason, sizeof(ans->reason), "%s", allowed_why);
            ans->fd = fd;
            ans->allowed = 1;
            return;
        }
        last_err = err;
        snprintf(refused, sizeof(refused), "%s (%s): %s", name, ip, strerror(err));
    }
    freeaddrinfo(res);
    wd_broker_refuse(ans, last_err, "connect %s: %s", ans->target,
                     refused[0] ? refused : "no address");
}
