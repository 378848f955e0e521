/* dns_stub.c: the DNS stub of one process plugin instance (dns_stub.h). */
#include "sandbox/dns_stub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/dns.h"
#include "util/error.h"

#define BIND_TRIES 64                     /* addresses tried when the next ones are in use */
#define SLOTS (2 * WD_DNS_STUB_NAMES_MAX) /* the name index: at most half full */
#define SYNTH_FIRST 0xc6120000u           /* 198.18.0.0/15 (RFC 2544): never a real destination */
#define SYNTH_MASK 0xfffe0000u
#define SYNTH_PER_BLOCK 254u /* x.y.z.1 .. x.y.z.254 of each /24 */
#define OCTET_MASK 0xffu
#define LOOPBACK_NET 0x7f000000u
#define LOOPBACK_HOST_MASK 0x00ffffffu
#define LOOPBACK_DEFAULT 0x7f000001u

struct wd_dns_stub {
    int fd;
    char address[WD_DNS_STUB_ADDRESS_SIZE];
    /* names[i] holds address i; names are written before count makes them visible, and never
     * change until close, so name_of reads them without a lock while serve adds more. */
    char *names[WD_DNS_STUB_NAMES_MAX];
    _Atomic size_t count;
    uint16_t slot[SLOTS]; /* index + 1 of a name, by hash of the name; 0 is empty */
};

static atomic_uint_fast32_t next_candidate;

uint32_t wd_dns_stub_candidate(uint32_t n)
{
    uint32_t a = LOOPBACK_NET | (n & LOOPBACK_HOST_MASK);
    uint32_t last = a & OCTET_MASK;
    if (a == LOOPBACK_DEFAULT || last == 0 || last == OCTET_MASK)
        return 0;
    return a;
}

/* ---- making the socket, inside the namespace -------------------------------------------- */

typedef struct {
    int netns_fd;
    int fd;
    int code;     /* WD_E* when the socket could not be made */
    char why[96]; /* ... and what failed */
    int err;      /* ... and its errno */
    uint32_t address;
} open_job;

static void job_fail(open_job *j, int code, const char *why)
{
    j->code = code;
    j->err = errno;
    snprintf(j->why, sizeof(j->why), "%s", why);
}

/* A new namespace's loopback is down, and then 127/8 is not local: nothing binds there. */
static int loopback_up(open_job *j)
{
    struct ifreq ifr = {.ifr_name = "lo"};
    if (ioctl(j->fd, SIOCGIFFLAGS, &ifr) != 0) {
        job_fail(j, WD_EIO, "cannot read the loopback interface");
        return -1;
    }
    if (ifr.ifr_flags & IFF_UP)
        return 0;
    ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
    if (ioctl(j->fd, SIOCSIFFLAGS, &ifr) != 0) {
        job_fail(j, errno == EPERM ? WD_EPERM : WD_EIO, "cannot bring the loopback interface up");
        return -1;
    }
    return 0;
}

/* Binds j->fd to the next free candidate address, port 53. */
static int bind_next(open_job *j)
{
    for (int tries = 0; tries < BIND_TRIES;) {
        uint32_t a = wd_dns_stub_candidate((uint32_t)atomic_fetch_add(&next_candidate, 1));
        if (!a)
            continue;
        tries++;
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_port = htons(WD_DNS_STUB_PORT),
                                  .sin_addr.s_addr = htonl(a)};
        if (bind(j->fd, (const struct sockaddr *)&sin, sizeof(sin)) == 0) {
            j->address = a;
            return 0;
        }
        if (errno != EADDRINUSE)
            break;
    }
    job_fail(j, errno == EACCES ? WD_EPERM : WD_EIO, "cannot bind the DNS stub's socket");
    return -1;
}

static void make_socket(open_job *j)
{
    if (j->netns_fd >= 0 && setns(j->netns_fd, CLONE_NEWNET) != 0) {
        job_fail(j,
                 errno == EPERM    ? WD_EPERM
                 : errno == EINVAL ? WD_EINVAL
                                   : WD_EIO,
                 "cannot enter the plugin's network namespace");
        return;
    }
    j->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (j->fd < 0) {
        job_fail(j, WD_EIO, "cannot make the DNS stub's socket");
        return;
    }
    if ((j->netns_fd >= 0 && loopback_up(j) != 0) || bind_next(j) != 0) {
        close(j->fd);
        j->fd = -1;
    }
}

/* The thread that enters the namespace ends with it: nothing else ever runs there. */
static void *socket_thread(void *arg)
{
    make_socket(arg);
    return NULL;
}

int wd_dns_stub_open(wd_dns_stub **out, int netns_fd)
{
    if (!out)
        return wd_fail(WD_EINVAL, "wd_dns_stub_open needs somewhere to put the stub");
    *out = NULL;
    open_job j = {.netns_fd = netns_fd, .fd = -1};
    if (netns_fd < 0) {
        make_socket(&j);
    } else {
        pthread_t t;
        int rc = pthread_create(&t, NULL, socket_thread, &j);
        if (rc != 0)
            return wd_fail(WD_EIO,
                           "cannot start a thread to enter the plugin's network "
                           "namespace: %s",
                           strerror(rc));
        pthread_join(t, NULL);
    }
    if (j.fd < 0)
        return wd_fail(j.code, "%s: %s", j.why, strerror(j.err));
    wd_dns_stub *s = calloc(1, sizeof(*s));
    if (!s) {
        close(j.fd);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    s->fd = j.fd;
    atomic_init(&s->count, 0);
    struct in_addr a = {.s_addr = htonl(j.address)};
    inet_ntop(AF_INET, &a, s->address, sizeof(s->address));
    *out = s;
    return 0;
}

int wd_dns_stub_adopt(wd_dns_stub **out, int fd)
{
    *out = NULL;
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int type = 0;
    socklen_t tlen = sizeof(type);
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0 || len != sizeof(sa) ||
        sa.sin_family != AF_INET || ntohs(sa.sin_port) != 53 ||
        (ntohl(sa.sin_addr.s_addr) & ~LOOPBACK_HOST_MASK) != LOOPBACK_NET ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_DGRAM) {
        close(fd);
        return wd_fail(WD_EINVAL, "the stub's socket is not UDP on a loopback address, port 53");
    }
    wd_dns_stub *s = calloc(1, sizeof(*s));
    if (!s) {
        close(fd);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    s->fd = fd;
    atomic_init(&s->count, 0);
    inet_ntop(AF_INET, &sa.sin_addr, s->address, sizeof(s->address));
    *out = s;
    return 0;
}

int wd_dns_stub_fd(const wd_dns_stub *s)
{
    return s ? s->fd : -1;
}

const char *wd_dns_stub_address(const wd_dns_stub *s)
{
    return s ? s->address : NULL;
}

void wd_dns_stub_close(wd_dns_stub *s)
{
    if (!s)
        return;
    close(s->fd);
    size_t n = atomic_load(&s->count);
    for (size_t i = 0; i < n; i++)
        free(s->names[i]);
    free(s);
}

/* ---- names and their addresses ---------------------------------------------------------- */

static uint32_t synth_address(size_t index)
{
    return SYNTH_FIRST | (uint32_t)(index / SYNTH_PER_BLOCK) << 8 |
           (uint32_t)(index % SYNTH_PER_BLOCK + 1);
}

/* FNV-1a: the names are the plugin's choice, but a collision only costs a longer probe in a
 * table that is never more than half full. */
static size_t name_hash(const char *name)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* The index of name's address, given out now if it has none; -1 when the table is full (or
 * memory is). */
static long name_index(wd_dns_stub *s, const char *name)
{
    size_t count = atomic_load_explicit(&s->count, memory_order_relaxed);
    size_t h = name_hash(name) & (SLOTS - 1);
    while (s->slot[h]) {
        size_t i = s->slot[h] - 1u;
        if (strcmp(s->names[i], name) == 0)
            return (long)i;
        h = (h + 1) & (SLOTS - 1);
    }
    if (count >= WD_DNS_STUB_NAMES_MAX)
        return -1;
    char *copy = strdup(name);
    if (!copy)
        return -1;
    s->names[count] = copy;
    s->slot[h] = (uint16_t)(count + 1);
    atomic_store_explicit(&s->count, count + 1, memory_order_release);
    return (long)count;
}

const char *wd_dns_stub_name_of(const wd_dns_stub *s, const void *sockaddr, size_t len)
{
    if (!s || !sockaddr || len < sizeof(sa_family_t))
        return NULL;
    sa_family_t family;
    memcpy(&family, (const char *)sockaddr + offsetof(struct sockaddr, sa_family), sizeof(family));
    uint32_t a;
    if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in sin;
        memcpy(&sin, sockaddr, sizeof(sin));
        a = ntohl(sin.sin_addr.s_addr);
    } else if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, sockaddr, sizeof(sin6));
        if (!IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
            return NULL;
        memcpy(&a, sin6.sin6_addr.s6_addr + 12, sizeof(a));
        a = ntohl(a);
    } else {
        return NULL;
    }
    if ((a & SYNTH_MASK) != SYNTH_FIRST)
        return NULL;
    uint32_t block = (a & ~SYNTH_MASK) >> 8, host = a & OCTET_MASK;
    if (host == 0 || host > SYNTH_PER_BLOCK)
        return NULL;
    size_t index = (size_t)block * SYNTH_PER_BLOCK + host - 1;
    if (index >= atomic_load_explicit(&s->count, memory_order_acquire))
        return NULL;
    return s->names[index];
}

/* ---- serving ---------------------------------------------------------------------------- */

/* The reply to one datagram, or 0 to drop it. */
static size_t answer(wd_dns_stub *s, const uint8_t *in, size_t n, wd_dns_decide_fn decide,
                     void *ctx, uint8_t *out, size_t cap)
{
    wd_dns_query q;
    if (wd_dns_parse_query(in, n, &q) != 0)
        return wd_dns_formerr(in, n, out, cap);
    if (q.qclass != WD_DNS_CLASS_IN || q.name[0] == '\0' || decide(ctx, q.name, q.qtype) != 1)
        return wd_dns_reply(in, n, &q, WD_DNS_REFUSED, NULL, 0, out, cap);
    if (q.qtype != WD_DNS_TYPE_A)
        return wd_dns_reply(in, n, &q, WD_DNS_NOERROR, NULL, 0, out, cap);
    long index = name_index(s, q.name);
    if (index < 0)
        return wd_dns_reply(in, n, &q, WD_DNS_SERVFAIL, NULL, 0, out, cap);
    uint32_t a = htonl(synth_address((size_t)index));
    uint8_t ipv4[4];
    memcpy(ipv4, &a, sizeof(ipv4));
    return wd_dns_reply(in, n, &q, WD_DNS_NOERROR, ipv4, WD_DNS_STUB_TTL, out, cap);
}

/* An error a datagram socket reports about an earlier datagram, not about itself. */
static int transient(int err)
{
    return err == EINTR || err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH ||
           err == ENOBUFS || err == ENOMEM;
}

int wd_dns_stub_serve(wd_dns_stub *s, wd_dns_decide_fn decide, void *ctx)
{
    if (!s || !decide) {
        wd_fail(WD_EINVAL, "wd_dns_stub_serve needs a stub and a decision");
        return -1;
    }
    int answered = 0;
    for (int i = 0; i < WD_DNS_STUB_BATCH; i++) {
        uint8_t in[WD_DNS_UDP_MAX + 1], out[WD_DNS_UDP_MAX + WD_DNS_ANSWER_A_SIZE];
        struct sockaddr_in from;
        socklen_t from_len = sizeof(from);
        /* MSG_TRUNC: the datagram's whole length, so an oversize one is seen and dropped. */
        ssize_t n = recvfrom(s->fd, in, sizeof(in), MSG_TRUNC | MSG_DONTWAIT,
                             (struct sockaddr *)&from, &from_len);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0 && transient(errno))
            continue;
        if (n < 0) {
            wd_fail(WD_EIO, "the DNS stub's socket failed: %s", strerror(errno));
            return -1;
        }
        if ((size_t)n > WD_DNS_UDP_MAX || from_len != sizeof(from) || from.sin_family != AF_INET ||
            from.sin_port == 0)
            continue;
        size_t len = answer(s, in, (size_t)n, decide, ctx, out, sizeof(out));
        if (len && sendto(s->fd, out, len, MSG_DONTWAIT | MSG_NOSIGNAL,
                          (const struct sockaddr *)&from, sizeof(from)) == (ssize_t)len)
            answered++;
    }
    return answered;
}
