/* hostaddr.c: whether an address is one of this host's own (hostaddr.h), read afresh each time
 * from the interfaces (getifaddrs) and from the kernel's own routing decision (rtnetlink). */
#include <assert.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/hostaddr.h"
#include "util/error.h"

/* The kernel answers a route lookup while it handles the request; this only bounds a kernel
 * that queues the answer instead. */
#define ROUTE_ANSWER_MS 250
#define ROUTE_REPLY_SIZE 8192

typedef struct {
    int family;
    size_t len; /* 4 or 16 */
    unsigned char a[16];
} host_ip;

/* An IPv4-mapped or -compatible IPv6 address is its IPv4 address: the same host is reached. */
static int host_ip_of(const struct sockaddr *sa, host_ip *ip)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        *ip = (host_ip){.family = AF_INET, .len = 4};
        memcpy(ip->a, &in->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family != AF_INET6)
        return -1;
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6) || IN6_IS_ADDR_V4COMPAT(a6)) {
        *ip = (host_ip){.family = AF_INET, .len = 4};
        memcpy(ip->a, a6->s6_addr + 12, 4);
        return 0;
    }
    *ip = (host_ip){.family = AF_INET6, .len = 16};
    memcpy(ip->a, a6->s6_addr, 16);
    return 0;
}

/* 1 when an interface has the address assigned, 0 when none has, WD_EIO when they cannot be
 * read. */
static int assigned(const host_ip *ip, char *why, size_t why_size)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) != 0) {
        int e = errno;
        snprintf(why, why_size, "cannot read this host's interface addresses: %s", strerror(e));
        return wd_fail(WD_EIO, "%s", why);
    }
    int found = 0;
    for (const struct ifaddrs *i = list; i && !found; i = i->ifa_next) {
        host_ip have;
        if (i->ifa_addr &&
            (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6) &&
            host_ip_of(i->ifa_addr, &have) == 0 && have.family == ip->family &&
            memcmp(have.a, ip->a, ip->len) == 0)
            found = 1;
    }
    freeifaddrs(list);
    return found;
}

/* The route the kernel would take to ip: 1 when it delivers locally, 0 when it sends it out or
 * has no route at all (then a connect fails anyway), WD_EIO when the kernel does not answer. */
static int routed_locally(const host_ip *ip, char *why, size_t why_size)
{
    struct {
        struct nlmsghdr nh;
        struct rtmsg rt;
        char attrs[RTA_SPACE(16)];
    } req = {
        .nh = {.nlmsg_type = RTM_GETROUTE, .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1},
        .rt = {.rtm_family = (unsigned char)ip->family,
               .rtm_dst_len = (unsigned char)(ip->len * 8)},
    };
    struct rtattr *dst = (struct rtattr *)(void *)req.attrs;
    dst->rta_type = RTA_DST;
    dst->rta_len = (unsigned short)RTA_LENGTH(ip->len);
    memcpy(RTA_DATA(dst), ip->a, ip->len);
    req.nh.nlmsg_len = (unsigned)(NLMSG_LENGTH(sizeof(req.rt)) + RTA_SPACE(ip->len));

    int rc = WD_EIO, fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    const char *failed = "socket";
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK}, from;
    socklen_t from_len = sizeof(from);
    static_assert(ROUTE_REPLY_SIZE % sizeof(long) == 0, "aligned reply buffer");
    long reply[ROUTE_REPLY_SIZE / sizeof(long)];
    ssize_t n = -1;
    if (fd < 0)
        goto out;
    failed = "send";
    if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
        goto out;
    failed = "receive";
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready;
    do
        ready = poll(&p, 1, ROUTE_ANSWER_MS);
    while (ready < 0 && errno == EINTR);
    if (ready != 1) {
        if (ready == 0)
            errno = ETIMEDOUT;
        goto out;
    }
    n = recvfrom(fd, reply, sizeof(reply), MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
                 &from_len);
    if (n < 0)
        goto out;
    failed = "answer";
    errno = EPROTO;
    if ((size_t)n > sizeof(reply) || from.nl_pid != 0)
        goto out;
    for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)reply; NLMSG_OK(h, (size_t)n);
         h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_seq != 1)
            continue;
        if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
            /* No route (unreachable, prohibit, blackhole): nothing is delivered, locally or
             * elsewhere. */
            rc = 0;
            break;
        }
        if (h->nlmsg_type == RTM_NEWROUTE && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct rtmsg))) {
            const struct rtmsg *rt = NLMSG_DATA(h);
            rc = rt->rtm_type == RTN_LOCAL || rt->rtm_type == RTN_BROADCAST ||
                 rt->rtm_type == RTN_MULTICAST || rt->rtm_type == RTN_ANYCAST;
            break;
        }
    }
out:
    if (rc < 0) {
        int e = errno;
        snprintf(why, why_size, "cannot ask the kernel how it routes the address (%s: %s)", failed,
                 strerror(e));
        rc = wd_fail(WD_EIO, "%s", why);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

int wd_hostaddr_is_own(const struct sockaddr *sa, char *why, size_t why_size)
{
    host_ip ip;
    if (!sa || host_ip_of(sa, &ip) != 0) {
        snprintf(why, why_size, "not an IPv4 or IPv6 address");
        return wd_fail(WD_EINVAL, "%s", why);
    }
    /* 0.0.0.0 and :: reach the host itself. */
    static const unsigned char zero[16];
    if (memcmp(ip.a, zero, ip.len) == 0)
        return 1;
    int rc = assigned(&ip, why, why_size);
    return rc != 0 ? rc : routed_locally(&ip, why, why_size);
}
