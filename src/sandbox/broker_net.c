/* broker_net.c: a plugin's connects (wd_broker_connect): the name decided by the final verdict
 * (lockdown, then the policy, then a one-shot approval), resolved by the broker itself within
 * what is left of the call, each address decided again and refused when it is local to the host
 * or one of the host's own unless a rule names it, and the socket connected here, checked once
 * more, and handed over. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include "sandbox/hostaddr.h"
#include "sandbox/resolve.h"
#include "util/timeutil.h"
#include "verdict/verdict.h"

#define MAX_ADDRESSES 4 /* addresses of one name tried, each within what is left of the call */
#define MAX_RESOLVED 16 /* addresses of one name decided */
#define CONNECT_MS_DEFAULT 5000
#define NS_PER_MS 1000000u

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

/* The final verdict on reaching host:port. With approvals, a denial the policy makes may be
 * lifted by a human's one-shot approval of operation (connect, op_target); without, the policy
 * and lockdown alone decide (an address re-decided after its name was allowed). */
static int verdict(const wd_broker *b, const char *host, unsigned port, bool approvals,
                   const char *op_target, wd_final *f)
{
    wd_verdict_rules rules = {
        .watch = b->watch,
        .overrides = approvals && b->component ? b->overrides : NULL,
        .component = b->component,
        .audit = b->audit,
    };
    wd_request req = {.kind = WD_REQ_NETWORK, .host = host, .port = port};
    return wd_verdict_decide(&rules, b->policy, &req, "connect", op_target, f);
}

/* Whether the address sa may be reached: it is decided as itself (a deny rule that names it
 * wins over whatever allowed the name), and an address local to the host, or one of the host's
 * own, needs a rule that names it. Returns 0, or the errno of a refusal with why saying it (and,
 * for a name, what it resolved to: the target itself is not repeated). */
static int decide_address(const wd_broker *b, const struct sockaddr *sa, unsigned port,
                          bool literal, char *why, size_t size)
{
    char ip[INET6_ADDRSTRLEN], says[INET6_ADDRSTRLEN + 16] = "";
    addr_text(sa, ip, sizeof(ip));
    if (!literal)
        snprintf(says, sizeof(says), "resolves to %s", ip);
    wd_final f;
    if (verdict(b, ip, port, false, NULL, &f) != 0) {
        snprintf(why, size, "%s%snot an address the policy can decide", says, *says ? ", " : "");
        return EACCES;
    }
    if (f.d.effect != WD_ALLOW && f.reason == WD_FINAL_LOCKDOWN) {
        snprintf(why, size, "%.700s", f.why);
        return EACCES;
    }
    /* Only a rule that names addresses (an IP, a CIDR) speaks about an address: a blanket deny
     * of "*" is about names, and the name was allowed. */
    if (f.d.effect != WD_ALLOW && f.d.reason != WD_REASON_NO_RULE && rule_names_address(f.d.rule)) {
        snprintf(why, size, "%s%s%.600s", says, *says ? ": " : "", f.why);
        return EACCES;
    }
    if (f.d.effect == WD_ALLOW && rule_names_address(f.d.rule))
        return 0;
    const char *sep = *says ? ", " : "";
    if (wd_broker_address_is_local(sa)) {
        snprintf(why, size,
                 "%s%sa loopback, link-local or otherwise local address, which no rule names", says,
                 sep);
        return EACCES;
    }
    char err[300];
    int own = wd_hostaddr_is_own(sa, err, sizeof(err));
    if (own < 0) {
        snprintf(why, size, "%s%scannot tell whether it is an address of this host (%s)", says, sep,
                 err);
        return EACCES;
    }
    if (own) {
        snprintf(why, size, "%s%san address of this host, which no rule names", says, sep);
        return EACCES;
    }
    return 0;
}

static socklen_t sockaddr_len(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* Waits for a non-blocking connect on fd to finish. Returns 0 or an errno value. */
static int await_connect(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT, .revents = 0};
    int n;
    do
        n = poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    int so = 0;
    socklen_t len = sizeof(so);
    if (n <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len) != 0 || so != 0)
        return n == 0 ? ETIMEDOUT : so ? so : errno;
    return 0;
}

static int connect_one(const struct sockaddr_storage *sa, int timeout_ms, int *err)
{
    int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    int e;
    if (connect(fd, (const struct sockaddr *)sa, sockaddr_len(sa)) != 0 && errno != EINPROGRESS)
        e = errno;
    else
        e = await_connect(fd, timeout_ms);
    if (e) {
        *err = e;
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

/* Decides the name as the plugin wrote it. Returns true when it may be resolved. */
static bool decide_name(const wd_broker *b, const char *name, unsigned port, wd_broker_answer *ans,
                        char *allowed_why, size_t size)
{
    /* The operation a human approves names the target as asked for. */
    char op_target[300];
    snprintf(op_target, sizeof(op_target), "%.250s:%u", name, port);
    wd_final f;
    int rc = verdict(b, name, port, true, op_target, &f);
    if (rc != 0 && !f.operation[0]) {
        wd_broker_refuse(ans, EINVAL, "not a host name or IP literal");
        return false;
    }
    if (f.d.effect != WD_ALLOW) {
        wd_broker_refuse(ans, EACCES, "%.600s%s%s%s%s", f.why, f.operation[0] ? " [operation " : "",
                         f.operation, f.operation[0] ? "]" : "",
                         rc ? " (the approval could not be used)" : "");
        return false;
    }
    if (f.overridden)
        memcpy(ans->override_op, f.operation, sizeof(ans->override_op));
    snprintf(allowed_why, size, "%.700s", f.why);
    return true;
}

/* Whether name is an IP literal (with or without brackets): it then resolves to itself. */
static bool is_literal(const char *name)
{
    unsigned char buf[sizeof(struct in6_addr)];
    char bare[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(name);
    if (n >= 2 && name[0] == '[' && name[n - 1] == ']' && n - 2 < sizeof(bare)) {
        memcpy(bare, name + 1, n - 2);
        bare[n - 2] = '\0';
        name = bare;
    }
    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

void wd_broker_connect(const wd_broker *b, const char *name, unsigned port, wd_broker_answer *ans)
{
    *ans = (wd_broker_answer){.fd = -1};
    snprintf(ans->target, sizeof(ans->target), "%s:%u", name, port);
    /* The whole request, resolution included, ends by what is left of the call. */
    uint64_t deadline =
        wd_time_mono_ns() +
        (uint64_t)(b->timeout_ms > 0 ? b->timeout_ms : CONNECT_MS_DEFAULT) * NS_PER_MS;
    if (b->pure) {
        wd_broker_refuse(ans, EACCES, "policy plugins get no network");
        return;
    }
    if (!b->policy) {
        wd_broker_refuse(ans, EACCES, "no policy grants anything");
        return;
    }
    char allowed_why[sizeof(ans->reason)];
    if (!decide_name(b, name, port, ans, allowed_why, sizeof(allowed_why)))
        return;
    struct sockaddr_storage addrs[MAX_RESOLVED];
    size_t n = 0;
    char why[sizeof(ans->reason)];
    int rc = wd_resolve(name, port, deadline, NULL, addrs, MAX_RESOLVED, &n, why, 300);
    if (rc) {
        wd_broker_refuse(ans,
                         rc == WD_ERANGE   ? ETIMEDOUT
                         : rc == WD_EINVAL ? EINVAL
                                           : EHOSTUNREACH,
                         "cannot resolve: %s", why);
        return;
    }
    bool literal = is_literal(name);
    /* The reason given: the last connect that failed, else the first address refused. */
    int last_err = EHOSTUNREACH, tried = 0;
    char refused[sizeof(ans->reason)] = "", failed[sizeof(ans->reason)] = "";
    for (size_t i = 0; i < n && tried < MAX_ADDRESSES; i++) {
        const struct sockaddr *sa = (const struct sockaddr *)&addrs[i];
        int err = decide_address(b, sa, port, literal, why, sizeof(why));
        if (err) {
            if (!refused[0])
                snprintf(refused, sizeof(refused), "%s", why);
            last_err = failed[0] ? last_err : err;
            continue;
        }
        tried++;
        char ip[INET6_ADDRSTRLEN];
        addr_text(sa, ip, sizeof(ip));
        uint64_t now = wd_time_mono_ns();
        if (now >= deadline) {
            last_err = ETIMEDOUT;
            snprintf(failed, sizeof(failed), "no time left to connect to %s", ip);
            break;
        }
        uint64_t left_ms = (deadline - now + NS_PER_MS - 1) / NS_PER_MS;
        int fd = connect_one(&addrs[i], (int)left_ms, &err);
        if (fd < 0) {
            last_err = err;
            snprintf(failed, sizeof(failed), "%s: %s", ip, strerror(err));
            continue;
        }
        /* Decided again now that it is connected: a lockdown that began, or an address the
         * host took, while the connect was under way. */
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0) {
            err = errno;
            snprintf(failed, sizeof(failed), "%s: connected, but no peer: %s", ip, strerror(err));
        } else if ((err = decide_address(b, (const struct sockaddr *)&peer, port, literal, why,
                                         sizeof(why))) != 0) {
            snprintf(failed, sizeof(failed), "%s", why);
        }
        if (err) {
            close(fd);
            last_err = err;
            continue;
        }
        snprintf(ans->target, sizeof(ans->target), "%s:%u (%s)", name, port, ip);
        snprintf(ans->reason, sizeof(ans->reason), "%s", allowed_why);
        ans->fd = fd;
        ans->allowed = 1;
        return;
    }
    wd_broker_refuse(ans, last_err, "%s", failed[0] ? failed : refused[0] ? refused : "no address");
}

/* Whether some port the policy's allow rules list lets name through: a name is worth
 * resolving when any connection to it could be allowed (the connect decides its own port). */
static bool name_allowed_on_some_port(const wd_broker *b, const char *name, char *why, size_t size)
{
    size_t n = wd_policy_rule_count(b->policy);
    for (size_t i = 0; i < n; i++) {
        const wd_rule *r = wd_policy_rule(b->policy, i);
        if (r->kind != WD_RULE_NETWORK || r->effect != WD_ALLOW)
            continue;
        for (size_t p = 0; p < r->port_count; p++) {
            wd_broker_answer probe = {.fd = -1};
            if (decide_name(b, name, r->ports[p], &probe, why, size))
                return true;
        }
    }
    return false;
}

void wd_broker_name(const wd_broker *b, const char *name, wd_broker_answer *ans)
{
    /* A question about a name, not a connection: it must not use up a one-shot approval the
     * connect that follows needs. */
    wd_broker probe = *b;
    probe.overrides = NULL;
    b = &probe;
    *ans = (wd_broker_answer){.fd = -1};
    snprintf(ans->target, sizeof(ans->target), "%s", name);
    char why[sizeof(ans->reason)];
    if (b->pure)
        wd_broker_refuse(ans, EACCES, "policy plugins get no network");
    else if (!b->policy)
        wd_broker_refuse(ans, EACCES, "no policy grants anything");
    else if (decide_name(b, name, 0, ans, why, sizeof(why)) ||
             name_allowed_on_some_port(b, name, why, sizeof(why))) {
        ans->allowed = 1;
        ans->err = 0;
        snprintf(ans->reason, sizeof(ans->reason), "%s", why);
    }
}
