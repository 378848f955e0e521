/* test_dns.c: the DNS stub of process plugins: its codec (src/sandbox/dns.h) on queries glibc
 * makes and on one broken query per rule, and the stub itself (src/sandbox/dns_stub.h) asked
 * over real UDP sockets, in this test's own network namespace and in a new one, where glibc's
 * own resolver asks it from inside and nothing outside reaches it. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "sandbox/dns.h"
#include "sandbox/dns_stub.h"
#include "warden/warden.h"

#define POLL_MS 5000 /* what a datagram on loopback may take on a loaded machine */
#define QTYPE_CH 3   /* the CHAOS class */
#define QTYPE_TXT 16
#define FLAG_RD 0x0100
#define FLAG_EDNS 0x10000 /* test-only: add an OPT record */

/* ---- building queries ------------------------------------------------------------------- */

static size_t put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* A query for name (dot-separated, "" for the root) as a resolver sends it; flags are the
 * header's second 16 bits, plus FLAG_EDNS for an OPT record. */
static size_t query(uint8_t *b, uint16_t id, unsigned flags, const char *name, unsigned type,
                    unsigned cls)
{
    size_t n = put16(b, id);
    n += put16(b + n, flags & 0xffff);
    n += put16(b + n, 1);
    n += put16(b + n, 0);
    n += put16(b + n, 0);
    n += put16(b + n, (flags & FLAG_EDNS) ? 1 : 0);
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        b[n++] = (uint8_t)l;
        memcpy(b + n, p, l);
        n += l;
        p += l + (dot ? 1 : 0);
    }
    b[n++] = 0;
    n += put16(b + n, type);
    n += put16(b + n, cls);
    if (flags & FLAG_EDNS) {
        static const uint8_t opt[] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
        memcpy(b + n, opt, sizeof(opt));
        n += sizeof(opt);
    }
    return n;
}

static size_t simple(uint8_t *b, const char *name)
{
    return query(b, 0x1234, FLAG_RD, name, WD_DNS_TYPE_A, WD_DNS_CLASS_IN);
}

static int parses(const uint8_t *b, size_t n)
{
    wd_dns_query q;
    return wd_dns_parse_query(b, n, &q);
}

/* ---- the codec -------------------------------------------------------------------------- */

static void test_parse_reads_glibc_queries(void **state)
{
    (void)state;
    struct __res_state st;
    memset(&st, 0, sizeof(st));
    assert_int_equal(res_ninit(&st), 0);
    uint8_t b[NS_PACKETSZ];
    int types[] = {ns_t_a, ns_t_aaaa};
    for (int edns = 0; edns < 2; edns++) {
        for (size_t t = 0; t < 2; t++) {
            int n = res_nmkquery(&st, ns_o_query, "Api.Example.COM", ns_c_in, types[t], NULL, 0,
                                 NULL, b, sizeof(b));
            assert_true(n > 0);
            if (edns) { /* what res_nquery adds with "options edns0": a 1200-byte OPT, DO set */
                static const uint8_t opt[] = {0, 0, 41, 0x04, 0xb0, 0, 0, 0x80, 0, 0, 0};
                memcpy(b + n, opt, sizeof(opt));
                n += (int)sizeof(opt);
                put16(b + 10, 1);
            }
            wd_dns_query q;
            assert_int_equal(wd_dns_parse_query(b, (size_t)n, &q), 0);
            assert_string_equal(q.name, "api.example.com");
            assert_int_equal(q.qtype, types[t]);
            assert_int_equal(q.qclass, WD_DNS_CLASS_IN);
            assert_int_equal(q.id, get16(b));
            assert_int_equal(q.rd, 1);
            assert_int_equal(q.question_end, 12 + 17 + 4);
            assert_int_equal(get16(b + 10), edns ? 1 : 0);
        }
    }
    res_nclose(&st);
}

static void test_parse_edge_names(void **state)
{
    (void)state;
    uint8_t b[600];
    wd_dns_query q;
    assert_int_equal(wd_dns_parse_query(b, simple(b, ""), &q), 0);
    assert_string_equal(q.name, "");
    assert_int_equal(q.question_end, 17);
    assert_int_equal(wd_dns_parse_query(b, simple(b, "_svc._tcp.a-b.9"), &q), 0);
    assert_string_equal(q.name, "_svc._tcp.a-b.9");
    /* 63-byte labels, and a name of exactly 253 characters (3 x 63 + 61 + 3 dots). */
    char name[300];
    memset(name, 'a', sizeof(name));
    name[63] = name[127] = name[191] = '.';
    name[253] = '\0';
    assert_int_equal(wd_dns_parse_query(b, simple(b, name), &q), 0);
    assert_int_equal(strlen(q.name), 253);
    name[253] = 'a';
    name[254] = '\0';
    assert_int_equal(parses(b, simple(b, name)), -1);
    assert_int_equal(wd_dns_parse_query(b, query(b, 7, 0, "x", 255, 1), &q), 0);
    assert_int_equal(q.qtype, 255);
    assert_int_equal(q.rd, 0);
    assert_int_equal(parses(NULL, 20), -1);
    assert_int_equal(wd_dns_parse_query(b, simple(b, "x"), NULL), -1);
}

static void test_parse_refuses_compression_pointer(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = simple(b, "ab.cd");
    assert_int_equal(parses(b, n), 0);
    /* "ab" then a pointer back to the first label instead of "cd". */
    b[15] = 0xc0;
    b[16] = 12;
    memmove(b + 17, b + 19, n - 19);
    assert_int_equal(parses(b, n - 2), -1);
    /* The extended label types (01 and 10 in the top bits) too. */
    n = simple(b, "ab");
    b[12] = 0x42;
    assert_int_equal(parses(b, n), -1);
    b[12] = 0x82;
    assert_int_equal(parses(b, n), -1);
}

static void test_parse_refuses_counts(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = simple(b, "a.b");
    static const struct {
        size_t at;
        unsigned v;
    } bad[] = {{4, 0}, {4, 2}, {6, 1}, {8, 1}, {10, 2}, {4, 0x100}, {6, 0x100}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        uint8_t c[64];
        memcpy(c, b, n);
        put16(c + bad[i].at, bad[i].v);
        assert_int_equal(parses(c, n), -1);
    }
    /* QDCOUNT 2 with a real second question is refused as well. */
    uint8_t c[64];
    memcpy(c, b, n);
    memcpy(c + n, b + 12, n - 12);
    put16(c + 4, 2);
    assert_int_equal(parses(c, n + n - 12), -1);
}

static void test_parse_refuses_response_bit(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = query(b, 1, 0x8000 | FLAG_RD, "a.b", 1, 1);
    assert_int_equal(parses(b, n), -1);
}

static void test_parse_refuses_opcodes_and_truncation_bit(void **state)
{
    (void)state;
    uint8_t b[64];
    for (unsigned op = 1; op < 16; op++)
        assert_int_equal(parses(b, query(b, 1, op << 11, "a.b", 1, 1)), -1);
    assert_int_equal(parses(b, query(b, 1, 0x0200, "a.b", 1, 1)), -1);
    /* The flags a resolver may set (RD, AD, CD) are fine. */
    assert_int_equal(parses(b, query(b, 1, 0x0100 | 0x0020 | 0x0010, "a.b", 1, 1)), 0);
}

static void test_parse_refuses_oversize_label(void **state)
{
    (void)state;
    char name[80];
    memset(name, 'x', 64);
    name[64] = '\0';
    uint8_t b[128];
    assert_int_equal(parses(b, simple(b, name)), -1);
    name[63] = '\0';
    assert_int_equal(parses(b, simple(b, name)), 0);
}

static void test_parse_refuses_bad_characters(void **state)
{
    (void)state;
    static const uint8_t bad[] = {' ', '.', '*', '/', '\\', '@', 0, 0x7f, 0x80, 0xc3, 0xff, '\n'};
    uint8_t b[64];
    for (size_t i = 0; i < sizeof(bad); i++) {
        size_t n = simple(b, "abc.de");
        b[14] = bad[i]; /* the middle of "abc" */
        assert_int_equal(parses(b, n), -1);
    }
    /* An empty label inside a name is its end: what follows is not a question. */
    assert_int_equal(parses(b, simple(b, "a..b")), -1);
}

static void test_parse_refuses_every_truncation(void **state)
{
    (void)state;
    uint8_t b[128];
    size_t lens[] = {simple(b, "www.example.org"), 0};
    lens[1] = query(b + 64, 9, FLAG_RD | FLAG_EDNS, "a.bc", WD_DNS_TYPE_AAAA, 1);
    for (int k = 0; k < 2; k++) {
        const uint8_t *m = b + 64 * k;
        assert_int_equal(parses(m, lens[k]), 0);
        for (size_t n = 0; n < lens[k]; n++) {
            /* Each prefix alone in an allocation of its size: a read past it is reported. */
            uint8_t *copy = malloc(n ? n : 1);
            assert_non_null(copy);
            memcpy(copy, m, n);
            assert_int_equal(parses(copy, n), -1);
            free(copy);
        }
    }
}

static void test_parse_refuses_trailing_bytes_and_bad_opt(void **state)
{
    (void)state;
    uint8_t b[600];
    size_t n = simple(b, "a.b");
    b[n] = 0;
    assert_int_equal(parses(b, n + 1), -1);
    n = query(b, 1, FLAG_EDNS, "a.b", 1, 1);
    assert_int_equal(parses(b, n), 0);
    b[n] = 0;
    assert_int_equal(parses(b, n + 1), -1); /* rdata longer than its rdlength */
    size_t opt = n - 11;
    b[opt + 2] = 250; /* not type 41 (TSIG) */
    assert_int_equal(parses(b, n), -1);
    b[opt + 2] = 41;
    b[opt] = 1; /* an owner name that is not the root */
    assert_int_equal(parses(b, n), -1);
    b[opt] = 0;
    put16(b + opt + 9, 4); /* says 4 bytes of options, has none */
    assert_int_equal(parses(b, n), -1);
    put16(b + opt + 9, 4);
    memset(b + n, 0, 4);
    assert_int_equal(parses(b, n + 4), 0); /* and with them */
    /* Longer than 512 bytes, even when well-formed. */
    n = query(b, 1, FLAG_EDNS, "a.b", 1, 1);
    put16(b + n - 2, 520 - (unsigned)n);
    memset(b + n, 0, 520 - n);
    assert_int_equal(parses(b, 520), -1);
}

/* A reply as the tests read it back. */
typedef struct {
    unsigned id, flags, rcode, qd, an, ns, ar;
    uint8_t a[4];
    uint32_t ttl;
} reply_view;

/* Reads a reply to a query whose question ends at question_end. */
static void read_reply(const uint8_t *r, size_t n, size_t question_end, reply_view *v)
{
    assert_true(n >= 12);
    memset(v, 0, sizeof(*v));
    v->id = get16(r);
    v->flags = get16(r + 2);
    v->rcode = v->flags & 0xf;
    v->qd = get16(r + 4);
    v->an = get16(r + 6);
    v->ns = get16(r + 8);
    v->ar = get16(r + 10);
    if (!v->an)
        return;
    assert_int_equal(v->an, 1);
    assert_int_equal(n, question_end + 16);
    const uint8_t *a = r + question_end;
    assert_int_equal(get16(a), 0xc00c);
    assert_int_equal(get16(a + 2), 1);
    assert_int_equal(get16(a + 4), 1);
    v->ttl = (uint32_t)get16(a + 6) << 16 | get16(a + 8);
    assert_int_equal(get16(a + 10), 4);
    memcpy(v->a, a + 12, 4);
}

static void test_reply_round_trip(void **state)
{
    (void)state;
    uint8_t b[128], r[256];
    size_t n = query(b, 0xbeef, FLAG_RD | FLAG_EDNS, "ExAmple.COM", 1, 1);
    wd_dns_query q;
    assert_int_equal(wd_dns_parse_query(b, n, &q), 0);
    static const uint8_t ip[4] = {198, 18, 0, 1};
    size_t rn = wd_dns_reply(b, n, &q, WD_DNS_NOERROR, ip, 1, r, sizeof(r));
    assert_int_equal(rn, q.question_end + 16);
    reply_view v;
    read_reply(r, rn, q.question_end, &v);
    assert_int_equal(v.id, 0xbeef);
    assert_int_equal(v.flags & 0xfff0, 0x8000 | 0x0100 | 0x0080); /* QR, RD, RA; opcode 0 */
    assert_int_equal(v.qd, 1);
    assert_int_equal(v.ns, 0);
    assert_int_equal(v.ar, 0);
    assert_int_equal(v.ttl, 1);
    assert_memory_equal(v.a, ip, 4);
    /* The question as sent, case and all; the OPT record not echoed. */
    assert_memory_equal(r + 12, b + 12, q.question_end - 12);
    /* A reply is not a query. */
    assert_int_equal(parses(r, rn), -1);

    /* No RD asked, none echoed; a refusal carries no answer. */
    n = query(b, 7, 0, "a.b", WD_DNS_TYPE_AAAA, 1);
    assert_int_equal(wd_dns_parse_query(b, n, &q), 0);
    rn = wd_dns_reply(b, n, &q, WD_DNS_REFUSED, NULL, 0, r, sizeof(r));
    assert_int_equal(rn, n);
    read_reply(r, rn, q.question_end, &v);
    assert_int_equal(v.flags, 0x8000 | 0x0080 | WD_DNS_REFUSED);
    assert_int_equal(v.an, 0);
}

static void test_reply_refuses_what_it_cannot_write(void **state)
{
    (void)state;
    uint8_t b[128], r[256];
    size_t n = simple(b, "a.b");
    wd_dns_query q;
    assert_int_equal(wd_dns_parse_query(b, n, &q), 0);
    static const uint8_t ip[4] = {198, 18, 0, 1};
    size_t need = q.question_end + 16;
    for (size_t cap = 0; cap < need; cap++) {
        memset(r, 0xaa, sizeof(r));
        assert_int_equal(wd_dns_reply(b, n, &q, 0, ip, 1, r, cap), 0);
        assert_int_equal(r[0], 0xaa); /* nothing written */
    }
    assert_int_equal(wd_dns_reply(b, n, &q, 0, ip, 1, r, need), need);
    assert_int_equal(wd_dns_reply(b, n, &q, 16, NULL, 1, r, sizeof(r)), 0);
    assert_int_equal(wd_dns_reply(b, n, &q, -1, NULL, 1, r, sizeof(r)), 0);
    assert_int_equal(wd_dns_reply(b, n, &q, WD_DNS_REFUSED, ip, 1, r, sizeof(r)), 0);
    assert_int_equal(wd_dns_reply(b, q.question_end - 1, &q, 0, NULL, 1, r, sizeof(r)), 0);
    wd_dns_query bad = q;
    bad.question_end = 16;
    assert_int_equal(wd_dns_reply(b, n, &bad, 0, NULL, 1, r, sizeof(r)), 0);
    bad = q;
    bad.qtype = WD_DNS_TYPE_AAAA;
    assert_int_equal(wd_dns_reply(b, n, &bad, 0, ip, 1, r, sizeof(r)), 0);
    bad = q;
    bad.qclass = QTYPE_CH;
    assert_int_equal(wd_dns_reply(b, n, &bad, 0, ip, 1, r, sizeof(r)), 0);
    assert_int_equal(wd_dns_reply(NULL, n, &q, 0, NULL, 1, r, sizeof(r)), 0);
}

static void test_formerr_only_for_a_query_header(void **state)
{
    (void)state;
    uint8_t b[128], r[64];
    size_t n = simple(b, "ab.cd");
    b[13] = ' ';
    assert_int_equal(wd_dns_formerr(b, n, r, sizeof(r)), 12);
    assert_int_equal(get16(r), 0x1234);
    assert_int_equal(get16(r + 2), 0x8000 | 0x0100 | 0x0080 | WD_DNS_FORMERR);
    for (size_t i = 4; i < 12; i += 2)
        assert_int_equal(get16(r + i), 0);
    assert_int_equal(wd_dns_formerr(b, n, r, 11), 0);
    assert_int_equal(wd_dns_formerr(b, 11, r, sizeof(r)), 0);
    b[13] = 'b';
    assert_int_equal(wd_dns_formerr(b, n, r, sizeof(r)), 0); /* a good query */
    b[2] |= 0x80;
    b[13] = ' ';
    assert_int_equal(wd_dns_formerr(b, n, r, sizeof(r)), 0); /* a response: never answered */
    n = query(b, 1, 4u << 11, "a.b", 1, 1);
    assert_int_equal(wd_dns_formerr(b, n, r, sizeof(r)), 0); /* NOTIFY */
    n = simple(b, "a.b");
    put16(b + 4, 2);
    assert_int_equal(wd_dns_formerr(b, n, r, sizeof(r)), 0);
}

/* ---- the stub, over real sockets -------------------------------------------------------- */

typedef struct {
    int calls;
    char last[256];
    unsigned last_type;
    int verdict_for_denied; /* what decide answers for a name starting with "denied" */
} decider;

static int decide(void *ctx, const char *name, uint16_t qtype)
{
    decider *d = ctx;
    d->calls++;
    snprintf(d->last, sizeof(d->last), "%s", name);
    d->last_type = qtype;
    return strncmp(name, "denied", 6) == 0 ? d->verdict_for_denied : 1;
}

typedef struct {
    wd_dns_stub *stub;
    int client;
    struct sockaddr_in to;
    decider d;
} stub_fx;

static bool wait_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, POLL_MS) == 1;
}

static int client_socket(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
    return fd;
}

static int stub_setup(void **state)
{
    stub_fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    int rc = wd_dns_stub_open(&f->stub, -1);
    if (rc == WD_EPERM) { /* port 53 needs root, or CAP_NET_BIND_SERVICE */
        free(f);
        *state = NULL;
        return 0;
    }
    assert_int_equal(rc, 0);
    f->client = client_socket();
    f->to.sin_family = AF_INET;
    f->to.sin_port = htons(53);
    assert_int_equal(inet_pton(AF_INET, wd_dns_stub_address(f->stub), &f->to.sin_addr), 1);
    *state = f;
    return 0;
}

static int stub_teardown(void **state)
{
    stub_fx *f = *state;
    if (f) {
        wd_dns_stub_close(f->stub);
        close(f->client);
        free(f);
    }
    return 0;
}

static stub_fx *fx(void **state)
{
    if (!*state)
        skip();
    return *state;
}

static void send_raw(stub_fx *f, const uint8_t *b, size_t n)
{
    assert_int_equal(sendto(f->client, b, n, 0, (struct sockaddr *)&f->to, sizeof(f->to)),
                     (ssize_t)n);
}

/* Serves until `want` replies have been sent (each serve call at most a batch). */
static void serve_until(stub_fx *f, int want)
{
    int sent = 0;
    while (sent < want) {
        assert_true(wait_readable(wd_dns_stub_fd(f->stub)));
        int n = wd_dns_stub_serve(f->stub, decide, &f->d);
        assert_true(n >= 0 && n <= WD_DNS_STUB_BATCH);
        sent += n;
    }
    assert_int_equal(sent, want);
}

/* Receives the next reply, which must come from the stub's address and port 53. */
static size_t receive(stub_fx *f, uint8_t *r, size_t cap)
{
    assert_true(wait_readable(f->client));
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(f->client, r, cap, 0, (struct sockaddr *)&from, &fl);
    assert_true(n >= 12);
    assert_int_equal(from.sin_addr.s_addr, f->to.sin_addr.s_addr);
    assert_int_equal(ntohs(from.sin_port), 53);
    return (size_t)n;
}

/* One query answered: its reply read into v; returns the question's end. */
static void ask(stub_fx *f, uint16_t id, const char *name, unsigned type, unsigned cls,
                reply_view *v)
{
    uint8_t b[600], r[600];
    size_t n = query(b, id, FLAG_RD, name, type, cls);
    send_raw(f, b, n);
    serve_until(f, 1);
    size_t rn = receive(f, r, sizeof(r));
    wd_dns_query q;
    assert_int_equal(wd_dns_parse_query(b, n, &q), 0);
    read_reply(r, rn, q.question_end, v);
    assert_int_equal(v->id, id);
    assert_int_equal(v->qd, 1);
    assert_memory_equal(r + 12, b + 12, q.question_end - 12);
}

static uint32_t ask_a(stub_fx *f, const char *name)
{
    reply_view v;
    ask(f, 0x4242, name, WD_DNS_TYPE_A, WD_DNS_CLASS_IN, &v);
    assert_int_equal(v.rcode, WD_DNS_NOERROR);
    assert_int_equal(v.an, 1);
    assert_int_equal(v.ttl, WD_DNS_STUB_TTL);
    uint32_t a;
    memcpy(&a, v.a, 4);
    return ntohl(a);
}

static const char *name_of_v4(stub_fx *f, uint32_t a, unsigned port)
{
    struct sockaddr_in sin = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(a)};
    return wd_dns_stub_name_of(f->stub, &sin, sizeof(sin));
}

static void test_stub_answers_allowed_names(void **state)
{
    stub_fx *f = fx(state);
    const char *addr = wd_dns_stub_address(f->stub);
    assert_true(strncmp(addr, "127.", 4) == 0 && strcmp(addr, "127.0.0.1") != 0);
    uint32_t a = ask_a(f, "Api.Example.com");
    assert_int_equal(f->d.calls, 1);
    assert_string_equal(f->d.last, "api.example.com");
    assert_int_equal(f->d.last_type, WD_DNS_TYPE_A);
    assert_int_equal(a & 0xfffe0000u, 0xc6120000u); /* 198.18.0.0/15 */
    assert_int_equal(ask_a(f, "api.example.com"), a);
    uint32_t b = ask_a(f, "other.example.com");
    assert_int_not_equal(a, b);
    assert_int_equal(ask_a(f, "API.EXAMPLE.COM"), a);
    assert_int_equal(f->d.calls, 4);

    assert_string_equal(name_of_v4(f, a, 443), "api.example.com");
    assert_string_equal(name_of_v4(f, a, 0), "api.example.com");
    assert_string_equal(name_of_v4(f, b, 80), "other.example.com");
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
    char text[64];
    struct in_addr ia = {.s_addr = htonl(a)};
    snprintf(text, sizeof(text), "::ffff:%s", inet_ntoa(ia));
    assert_int_equal(inet_pton(AF_INET6, text, &s6.sin6_addr), 1);
    assert_string_equal(wd_dns_stub_name_of(f->stub, &s6, sizeof(s6)), "api.example.com");
    assert_null(wd_dns_stub_name_of(f->stub, &s6, sizeof(s6) - 1));
    snprintf(text, sizeof(text), "::%s", inet_ntoa(ia)); /* the IPv4-compatible form */
    assert_int_equal(inet_pton(AF_INET6, text, &s6.sin6_addr), 1);
    assert_null(wd_dns_stub_name_of(f->stub, &s6, sizeof(s6)));
    s6.sin6_addr = in6addr_loopback;
    assert_null(wd_dns_stub_name_of(f->stub, &s6, sizeof(s6)));
}

static void test_stub_name_of_refuses_other_addresses(void **state)
{
    stub_fx *f = fx(state);
    uint32_t a = ask_a(f, "one.example");
    assert_non_null(name_of_v4(f, a, 1));
    assert_null(name_of_v4(f, a + 1, 1));           /* not given out yet */
    assert_null(name_of_v4(f, 0xc6120000u, 1));     /* 198.18.0.0 */
    assert_null(name_of_v4(f, 0xc61200ffu, 1));     /* 198.18.0.255 */
    assert_null(name_of_v4(f, 0xc6130001u, 1));     /* 198.19.0.1 */
    assert_null(name_of_v4(f, a ^ 0x01000000u, 1)); /* 199.18.x.y */
    assert_null(name_of_v4(f, 0x7f000001u, 1));
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(a)};
    assert_null(wd_dns_stub_name_of(f->stub, &sin, sizeof(sin) - 1));
    assert_null(wd_dns_stub_name_of(f->stub, &sin, 1));
    assert_null(wd_dns_stub_name_of(f->stub, NULL, sizeof(sin)));
    assert_null(wd_dns_stub_name_of(NULL, &sin, sizeof(sin)));
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    memcpy(&sun.sun_path, &sin, sizeof(sin));
    assert_null(wd_dns_stub_name_of(f->stub, &sun, sizeof(sun)));
}

static void test_stub_refuses_denied_names(void **state)
{
    stub_fx *f = fx(state);
    reply_view v;
    ask(f, 1, "denied.example", WD_DNS_TYPE_A, WD_DNS_CLASS_IN, &v);
    assert_int_equal(v.rcode, WD_DNS_REFUSED);
    assert_int_equal(v.an, 0);
    assert_int_equal(f->d.calls, 1);
    assert_string_equal(f->d.last, "denied.example");
    ask(f, 2, "denied.example", WD_DNS_TYPE_AAAA, WD_DNS_CLASS_IN, &v);
    assert_int_equal(v.rcode, WD_DNS_REFUSED);
    assert_int_equal(f->d.last_type, WD_DNS_TYPE_AAAA);
    /* Anything but 1 from decide is a refusal. */
    f->d.verdict_for_denied = 2;
    ask(f, 3, "denied.example", WD_DNS_TYPE_A, WD_DNS_CLASS_IN, &v);
    assert_int_equal(v.rcode, WD_DNS_REFUSED);
    f->d.verdict_for_denied = -1;
    ask(f, 4, "denied.example", WD_DNS_TYPE_A, WD_DNS_CLASS_IN, &v);
    assert_int_equal(v.rcode, WD_DNS_REFUSED);
    /* A denied name gets no address, so nothing maps to it. */
    assert_null(name_of_v4(f, 0xc6120001u, 1));
    f->d.verdict_for_denied = 1;
    assert_int_equal(ask_a(f, "denied.example"), 0xc6120001u);
}

static void test_stub_other_types_and_classes(void **state)
{
    stub_fx *f = fx(state);
    reply_view v;
    ask(f, 5, "v6.example", WD_DNS_TYPE_AAAA, WD_DNS_CLASS_IN, &v);
    assert_int_equal(v.rcode, WD_DNS_NOERROR);
    assert_int_equal(v.an, 0);
    assert_int_equal(f->d.calls, 1);
    ask(f, 6, "v6.example", QTYPE_TXT, WD_DNS_CLASS_IN, &v);
    assert_int_equal(v.rcode, WD_DNS_NOERROR);
    assert_int_equal(v.an, 0);
    /* No address was given out for either. */
    assert_null(name_of_v4(f, 0xc6120001u, 1));
    /* Class CH, and the root: refused without asking. */
    ask(f, 7, "version.bind", QTYPE_TXT, QTYPE_CH, &v);
    assert_int_equal(v.rcode, WD_DNS_REFUSED);
    ask(f, 8, "", WD_DNS_TYPE_A, WD_DNS_CLASS_IN, &v);
    assert_int_equal(v.rcode, WD_DNS_REFUSED);
    assert_int_equal(f->d.calls, 2);
}

static void test_stub_drops_malformed(void **state)
{
    stub_fx *f = fx(state);
    uint8_t b[700], r[600];
    /* Each is sent, then a good query: its reply must be the next datagram, and serve must
     * count only it. */
    uint8_t junk[5] = {1, 2, 3, 4, 5};
    size_t n = simple(b, "x.y");
    b[2] |= 0x80; /* a response: answering it could make two stubs talk for ever */
    const struct {
        const uint8_t *m;
        size_t n;
    } drop[] = {{junk, sizeof(junk)}, {b, n}, {b + 100, 600}};
    memset(b + 100, 0, 600);
    simple(b + 100, "big.example"); /* a query with 600 bytes behind it */
    for (size_t i = 0; i < sizeof(drop) / sizeof(*drop); i++) {
        send_raw(f, drop[i].m, drop[i].n);
        uint8_t good[64];
        size_t gn = query(good, (uint16_t)(0x7000 + i), FLAG_RD, "good.example", 1, 1);
        send_raw(f, good, gn);
        serve_until(f, 1);
        size_t rn = receive(f, r, sizeof(r));
        assert_true(rn > 12);
        assert_int_equal(get16(r), 0x7000 + i);
        assert_int_equal(wd_dns_stub_serve(f->stub, decide, &f->d), 0);
    }
    assert_int_equal(f->d.calls, 3);

    /* A query's header with a bad question: FORMERR at once, decide not asked. */
    n = simple(b, "bad name.example");
    send_raw(f, b, n);
    serve_until(f, 1);
    size_t rn = receive(f, r, sizeof(r));
    assert_int_equal(rn, 12);
    assert_int_equal(get16(r), 0x1234);
    assert_int_equal(get16(r + 2) & 0xf, WD_DNS_FORMERR);
    assert_int_equal(f->d.calls, 3);
}

static void test_stub_serves_a_batch_at_a_time(void **state)
{
    stub_fx *f = fx(state);
    enum { FLOOD = WD_DNS_STUB_BATCH + 36 };
    uint8_t b[64];
    for (int i = 0; i < FLOOD; i++)
        send_raw(f, b, query(b, (uint16_t)i, 0, "flood.example", 1, 1));
    /* Every call stops at a batch; a call that found them all queued returns exactly one. */
    int sent = 0, calls = 0;
    while (sent < FLOOD) {
        assert_true(wait_readable(wd_dns_stub_fd(f->stub)));
        int n = wd_dns_stub_serve(f->stub, decide, &f->d);
        assert_true(n >= 0 && n <= WD_DNS_STUB_BATCH);
        sent += n;
        calls++;
    }
    assert_int_equal(sent, FLOOD);
    assert_true(calls >= 2);
    assert_int_equal(f->d.calls, FLOOD);
    /* Nothing left, and no error on an empty socket. */
    assert_int_equal(wd_dns_stub_serve(f->stub, decide, &f->d), 0);
    uint8_t r[128];
    for (int i = 0; i < FLOOD; i++)
        receive(f, r, sizeof(r));
}

static void test_stub_table_full_is_servfail(void **state)
{
    stub_fx *f = fx(state);
    static uint32_t seen[WD_DNS_STUB_NAMES_MAX];
    char name[64];
    for (int i = 0; i < WD_DNS_STUB_NAMES_MAX; i++) {
        snprintf(name, sizeof(name), "n%d.example", i);
        seen[i] = ask_a(f, name);
        assert_int_equal(seen[i] & 0xfffe0000u, 0xc6120000u);
        assert_true((seen[i] & 0xff) != 0 && (seen[i] & 0xff) != 0xff);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(seen[i], seen[j]);
    }
    reply_view v;
    ask(f, 9, "one.more.example", WD_DNS_TYPE_A, WD_DNS_CLASS_IN, &v);
    assert_int_equal(v.rcode, WD_DNS_SERVFAIL);
    assert_int_equal(v.an, 0);
    /* Names that have an address keep it, and other types still answer. */
    assert_int_equal(ask_a(f, "n0.example"), seen[0]);
    assert_int_equal(ask_a(f, "n1023.example"), seen[WD_DNS_STUB_NAMES_MAX - 1]);
    ask(f, 10, "one.more.example", WD_DNS_TYPE_AAAA, WD_DNS_CLASS_IN, &v);
    assert_int_equal(v.rcode, WD_DNS_NOERROR);
    for (int i = 0; i < WD_DNS_STUB_NAMES_MAX; i += 97) {
        snprintf(name, sizeof(name), "n%d.example", i);
        assert_string_equal(name_of_v4(f, seen[i], 53), name);
    }
}

static void test_stub_arguments(void **state)
{
    (void)state;
    assert_int_equal(wd_dns_stub_open(NULL, -1), WD_EINVAL);
    wd_dns_stub *s = (wd_dns_stub *)&s;
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(wd_dns_stub_open(&s, fd), WD_EINVAL); /* not a namespace */
    assert_null(s);
    assert_non_null(strstr(wd_error_last()->message, "network namespace"));
    close(fd);
    assert_true(wd_dns_stub_open(&s, 1000000) < 0);
    assert_null(s);
    assert_int_equal(wd_dns_stub_serve(NULL, decide, NULL), -1);
    assert_int_equal(wd_dns_stub_fd(NULL), -1);
    assert_null(wd_dns_stub_address(NULL));
    wd_dns_stub_close(NULL);
}

static void test_stub_candidates_skip_reserved(void **state)
{
    (void)state;
    assert_int_equal(wd_dns_stub_candidate(0), 0); /* 127.0.0.0 */
    assert_int_equal(wd_dns_stub_candidate(1), 0); /* 127.0.0.1 */
    assert_int_equal(wd_dns_stub_candidate(2), 0x7f000002u);
    assert_int_equal(wd_dns_stub_candidate(255), 0); /* 127.0.0.255 */
    assert_int_equal(wd_dns_stub_candidate(256), 0); /* 127.0.1.0 */
    assert_int_equal(wd_dns_stub_candidate(257), 0x7f000101u);
    assert_int_equal(wd_dns_stub_candidate(0xffffff), 0); /* 127.255.255.255 */
    assert_int_equal(wd_dns_stub_candidate(0xfffffe), 0x7ffffffeu);
    assert_int_equal(wd_dns_stub_candidate(0x1000002), 0x7f000002u); /* wraps */
    for (uint32_t n = 0; n < 70000; n++) {
        uint32_t a = wd_dns_stub_candidate(n);
        assert_true(a == 0 || ((a >> 24) == 127 && (a & 0xff) != 0 && (a & 0xff) != 0xff &&
                               a != 0x7f000001u));
    }
}

/* ---- a stub in a new network namespace -------------------------------------------------- */

/* A new, empty network namespace (its loopback down), held by the descriptor returned; -1
 * when this process cannot make one. A child makes it and waits until the parent has it. */
static int new_netns(void)
{
    int ready[2], release[2];
    if (pipe2(ready, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(release, O_CLOEXEC) != 0) {
        close(ready[0]);
        close(ready[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        char c = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        close(release[1]);
        while (read(release[0], &c, 1) < 0)
            ;
        _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    char c = 0, path[64];
    int fd = -1;
    if (pid > 0 && read(ready[0], &c, 1) == 1 && c == 1) {
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    close(ready[0]);
    close(release[1]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return fd;
}

typedef struct {
    int netns;
    char server[WD_DNS_STUB_ADDRESS_SIZE];
    int lo_was_up;          /* the loopback's state seen from inside, before the stub */
    int a_len, denied_len;  /* res_nquery's results */
    uint8_t a[NS_PACKETSZ]; /* the allowed name's answer */
    atomic_int done;
} inside_job;

static void *lo_state(void *arg)
{
    inside_job *j = arg;
    j->lo_was_up = -1;
    if (setns(j->netns, CLONE_NEWNET) != 0)
        return NULL;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {.ifr_name = "lo"};
    if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
        j->lo_was_up = (ifr.ifr_flags & IFF_UP) != 0;
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* glibc's own resolver, from inside the namespace, with the stub as its only server. */
static void *resolve_inside(void *arg)
{
    inside_job *j = arg;
    j->a_len = j->denied_len = -2;
    struct __res_state st;
    memset(&st, 0, sizeof(st));
    if (setns(j->netns, CLONE_NEWNET) == 0 && res_ninit(&st) == 0) {
        st.nscount = 1;
        st.nsaddr_list[0].sin_family = AF_INET;
        st.nsaddr_list[0].sin_port = htons(53);
        inet_pton(AF_INET, j->server, &st.nsaddr_list[0].sin_addr);
        st.retrans = 5;
        st.retry = 1;
        st.options &= ~(unsigned long)RES_DNSRCH;
        j->a_len = res_nquery(&st, "Inside.Example", ns_c_in, ns_t_a, j->a, sizeof(j->a));
        uint8_t ignored[NS_PACKETSZ];
        j->denied_len =
            res_nquery(&st, "denied.example", ns_c_in, ns_t_a, ignored, sizeof(ignored));
        res_nclose(&st);
    }
    atomic_store(&j->done, 1);
    return NULL;
}

static void run_thread(void *(*fn)(void *), inside_job *j)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fn, j), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

static void test_stub_in_a_new_network_namespace(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    inside_job j = {.netns = new_netns()};
    if (j.netns < 0)
        skip();
    run_thread(lo_state, &j);
    assert_int_equal(j.lo_was_up, 0);

    wd_dns_stub *s = NULL, *s2 = NULL;
    assert_int_equal(wd_dns_stub_open(&s, j.netns), 0);
    assert_int_equal(wd_dns_stub_open(&s2, j.netns), 0); /* the same namespace, lo already up */
    assert_string_not_equal(wd_dns_stub_address(s), wd_dns_stub_address(s2));
    run_thread(lo_state, &j);
    assert_int_equal(j.lo_was_up, 1);

    /* From inside: glibc's resolver gets the synthetic address, and a refusal. */
    snprintf(j.server, sizeof(j.server), "%s", wd_dns_stub_address(s));
    decider d = {.verdict_for_denied = 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, resolve_inside, &j), 0);
    while (!atomic_load(&j.done)) {
        struct pollfd p = {.fd = wd_dns_stub_fd(s), .events = POLLIN};
        if (poll(&p, 1, 50) == 1)
            assert_true(wd_dns_stub_serve(s, decide, &d) >= 0);
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(d.calls, 2);
    assert_true(j.a_len > 12 + 16);
    reply_view v;
    read_reply(j.a, (size_t)j.a_len, (size_t)j.a_len - 16, &v);
    assert_int_equal(v.rcode, WD_DNS_NOERROR);
    assert_int_equal(v.a[0], 198);
    assert_int_equal(v.a[1] & 0xfe, 18);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(443)};
    memcpy(&sin.sin_addr, v.a, 4);
    assert_string_equal(wd_dns_stub_name_of(s, &sin, sizeof(sin)), "inside.example");
    assert_null(wd_dns_stub_name_of(s2, &sin, sizeof(sin))); /* each stub its own names */
    assert_int_equal(j.denied_len, -1);

    /* From this test's namespace, the stub's address reaches nothing of the stub: the query
     * is refused (no one listens there here), never answered, or answered by whatever else
     * this host runs there; either way the stub saw nothing. */
    int c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(c >= 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(53)};
    assert_int_equal(inet_pton(AF_INET, wd_dns_stub_address(s), &to.sin_addr), 1);
    assert_int_equal(connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
    uint8_t b[64], r[64];
    size_t n = simple(b, "outside.example");
    assert_int_equal(send(c, b, n, 0), (ssize_t)n);
    struct pollfd pc = {.fd = c, .events = POLLIN};
    if (poll(&pc, 1, 1000) == 1)
        (void)recv(c, r, sizeof(r), MSG_DONTWAIT);
    close(c);
    struct pollfd p = {.fd = wd_dns_stub_fd(s), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    assert_int_equal(wd_dns_stub_serve(s, decide, &d), 0);
    assert_int_equal(d.calls, 2);

    wd_dns_stub_close(s2);
    wd_dns_stub_close(s);
    close(j.netns);
}

/* ---- an unmodified resolver: getaddrinfo() reading resolv.conf ---------------------------- */

/* The child: a private mount namespace where /etc/resolv.conf says what the broker will hand a
 * plugin, then the stub's network namespace, then getaddrinfo() as any program calls it. It
 * writes one line per result to out; its exit status says which step failed. */
static int child_getaddrinfo(int netns, const char *server, const char *dir, int out)
{
    char path[512], text[128];
    snprintf(path, sizeof(path), "%s/resolv.conf", dir);
    int n = snprintf(text, sizeof(text), "nameserver %s\noptions attempts:1 timeout:2\n", server);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, (size_t)n) != n || close(fd) != 0)
        return 10;
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return 11;
    if (mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL) != 0)
        return 12;
    if (setns(netns, CLONE_NEWNET) != 0)
        return 13;
    FILE *f = fdopen(out, "w");
    if (!f)
        return 14;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo("Api.Example.COM", "443", &hints, &res);
    fprintf(f, "allowed %d\n", rc);
    for (struct addrinfo *ai = rc == 0 ? res : NULL; ai; ai = ai->ai_next) {
        char host[INET6_ADDRSTRLEN] = "?";
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ai->ai_addr;
        if (ai->ai_family == AF_INET)
            inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        fprintf(f, "address %d %s %u\n", ai->ai_family, host, ntohs(sin->sin_port));
    }
    if (res)
        freeaddrinfo(res);
    res = NULL;
    rc = getaddrinfo("denied.example", "443", &hints, &res);
    fprintf(f, "denied %d\n", rc);
    if (res)
        freeaddrinfo(res);
    return fclose(f) == 0 ? 0 : 15;
}

static void test_getaddrinfo_through_the_stub(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    int netns = new_netns();
    if (netns < 0)
        skip();
    wd_dns_stub *s = NULL;
    assert_int_equal(wd_dns_stub_open(&s, netns), 0);
    char *dir = wd_test_tmpdir();
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        _exit(child_getaddrinfo(netns, wd_dns_stub_address(s), dir, p[1]));
    }
    close(p[1]);
    decider d = {.verdict_for_denied = 0};
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        struct pollfd pf = {.fd = wd_dns_stub_fd(s), .events = POLLIN};
        if (poll(&pf, 1, 50) == 1)
            assert_true(wd_dns_stub_serve(s, decide, &d) >= 0);
    }
    char out[1024] = "";
    size_t got = 0;
    ssize_t r;
    while ((r = read(p[0], out + got, sizeof(out) - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(p[0]);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 12) { /* no /etc/resolv.conf to mount over here */
        wd_dns_stub_close(s);
        wd_test_rmtree(dir);
        close(netns);
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    /* One address, IPv4 and synthetic; it stands for the name; the denied name fails. */
    char host[64] = "";
    unsigned port = 0;
    const char *line = strstr(out, "address ");
    assert_non_null(strstr(out, "allowed 0\n"));
    assert_non_null(line);
    assert_int_equal(sscanf(line, "address 2 %63s %u", host, &port), 2);
    assert_null(strstr(line + 1, "address "));
    assert_int_equal(port, 443);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(443)};
    assert_int_equal(inet_pton(AF_INET, host, &sin.sin_addr), 1);
    assert_int_equal(ntohl(sin.sin_addr.s_addr) & 0xfffe0000u, 0xc6120000u);
    assert_string_equal(wd_dns_stub_name_of(s, &sin, sizeof(sin)), "api.example.com");
    assert_null(strstr(out, "denied 0\n"));
    assert_non_null(strstr(out, "denied "));
    assert_true(d.calls >= 2);
    wd_dns_stub_close(s);
    wd_test_rmtree(dir);
    close(netns);
}

/* A socket made elsewhere (the runner's) is adopted only as what a stub is: UDP on a loopback
 * address, port 53; anything else is refused and closed. */
static void test_stub_adopt(void **state)
{
    (void)state;
    wd_dns_stub *s = NULL;
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(tcp >= 0);
    assert_int_equal(wd_dns_stub_adopt(&s, tcp), WD_EINVAL);
    assert_null(s);
    assert_int_equal(fcntl(tcp, F_GETFD), -1); /* closed */
    int unbound = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(wd_dns_stub_adopt(&s, unbound), WD_EINVAL);
    int other_port = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f0000f1)};
    assert_int_equal(bind(other_port, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(wd_dns_stub_adopt(&s, other_port), WD_EINVAL);
    if (geteuid() != 0)
        skip(); /* port 53 needs root */
    int ok = socket(AF_INET, SOCK_DGRAM, 0);
    sa.sin_port = htons(53);
    sa.sin_addr.s_addr = htonl(0x7f0000f2);
    assert_int_equal(bind(ok, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(wd_dns_stub_adopt(&s, ok), 0);
    assert_string_equal(wd_dns_stub_address(s), "127.0.0.242");
    assert_int_equal(wd_dns_stub_fd(s), ok);
    assert_true(fcntl(ok, F_GETFL) & O_NONBLOCK);
    wd_dns_stub_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_reads_glibc_queries),
        cmocka_unit_test(test_parse_edge_names),
        cmocka_unit_test(test_parse_refuses_compression_pointer),
        cmocka_unit_test(test_parse_refuses_counts),
        cmocka_unit_test(test_parse_refuses_response_bit),
        cmocka_unit_test(test_parse_refuses_opcodes_and_truncation_bit),
        cmocka_unit_test(test_parse_refuses_oversize_label),
        cmocka_unit_test(test_parse_refuses_bad_characters),
        cmocka_unit_test(test_parse_refuses_every_truncation),
        cmocka_unit_test(test_parse_refuses_trailing_bytes_and_bad_opt),
        cmocka_unit_test(test_reply_round_trip),
        cmocka_unit_test(test_reply_refuses_what_it_cannot_write),
        cmocka_unit_test(test_formerr_only_for_a_query_header),
        cmocka_unit_test_setup_teardown(test_stub_answers_allowed_names, stub_setup, stub_teardown),
        cmocka_unit_test_setup_teardown(test_stub_name_of_refuses_other_addresses, stub_setup,
                                        stub_teardown),
        cmocka_unit_test_setup_teardown(test_stub_refuses_denied_names, stub_setup, stub_teardown),
        cmocka_unit_test_setup_teardown(test_stub_other_types_and_classes, stub_setup,
                                        stub_teardown),
        cmocka_unit_test_setup_teardown(test_stub_drops_malformed, stub_setup, stub_teardown),
        cmocka_unit_test_setup_teardown(test_stub_serves_a_batch_at_a_time, stub_setup,
                                        stub_teardown),
        cmocka_unit_test_setup_teardown(test_stub_table_full_is_servfail, stub_setup,
                                        stub_teardown),
        cmocka_unit_test(test_stub_arguments),
        cmocka_unit_test(test_stub_candidates_skip_reserved),
        cmocka_unit_test(test_stub_in_a_new_network_namespace),
        cmocka_unit_test(test_getaddrinfo_through_the_stub),
        cmocka_unit_test(test_stub_adopt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
