/* test_resolve.c: name resolution by a deadline (src/sandbox/resolve.h) against DNS servers
 * this test runs on loopback: one that never answers, one that answers late, one that answers
 * right, one that says NXDOMAIN, one that drops AAAA queries, one that floods answers, and one
 * that answers with garbage. IP literals and /etc/hosts names never reach a server. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "sandbox/resolve.h"
#include "util/timeutil.h"
#include "warden/warden.h"

#define MS 1000000ull
/* What a deadline may be overrun by: closing the channel and the scheduler of a loaded (or
 * sanitised) test machine. A resolver that waits out its own timeouts overruns it by seconds. */
#define DEADLINE_SLACK (1000 * MS)

/* ---- a DNS server on loopback --------------------------------------------------------------- */

typedef enum {
    DNS_SILENT,   /* reads every query, answers none */
    DNS_ANSWER,   /* A 192.0.2.10 and AAAA 2001:db8::10 */
    DNS_LATE,     /* DNS_ANSWER, but only after late_ms */
    DNS_NXDOMAIN, /* the name does not exist */
    DNS_NO_AAAA,  /* answers A, drops AAAA */
    DNS_MANY,     /* MANY_ANSWERS A records */
    DNS_GARBAGE,  /* a different malformed reply to each query */
} dns_mode;

#define MANY_ANSWERS 24
#define QTYPE_A 1
#define QTYPE_AAAA 28

typedef struct {
    dns_mode mode;
    int late_ms;
    int sock;
    int stop[2];
    unsigned port;
    atomic_int queries;
    pthread_t thread;
} dns_server;

static size_t put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
    return 2;
}

/* The reply to query q (len bytes) in out; 0 to send nothing. */
static size_t reply(dns_server *s, const unsigned char *q, size_t len, unsigned char *out,
                    size_t size, unsigned nth)
{
    if (len < 12 + 5)
        return 0;
    size_t i = 12;
    while (i < len && q[i] && q[i] < 64)
        i += q[i] + 1u;
    if (i + 5 > len || q[i])
        return 0;
    size_t qend = i + 5; /* the name's 0, type, class */
    unsigned qtype = (unsigned)q[i + 1] << 8 | q[i + 2];
    if (s->mode == DNS_NO_AAAA && qtype == QTYPE_AAAA)
        return 0;
    if (s->mode == DNS_GARBAGE) {
        static const unsigned char loop[] = {0xc0, 0x0c}; /* a name that points at itself */
        switch (nth % 5) {
        case 0: /* shorter than a header */
            memcpy(out, q, 3);
            return 3;
        case 1: /* an id it did not ask with */
            memcpy(out, q, qend);
            out[0] ^= 0x5a;
            out[2] = 0x81, out[3] = 0x80;
            return qend;
        case 2: /* claims answers it does not carry */
            memcpy(out, q, qend);
            out[2] = 0x81, out[3] = 0x80;
            put16(out + 6, 9);
            return qend;
        case 3: /* an answer whose name is a compression loop */
            memcpy(out, q, qend);
            out[2] = 0x81, out[3] = 0x80;
            put16(out + 6, 1);
            memcpy(out + 12, loop, 2);
            return 14;
        default: /* nothing at all */
            return 0;
        }
    }
    unsigned answers = 0;
    size_t o = qend;
    memcpy(out, q, qend);
    unsigned flags = 0x8180; /* a response, recursion desired and available */
    if (s->mode == DNS_NXDOMAIN)
        flags |= 3;
    unsigned want = s->mode == DNS_NXDOMAIN                   ? 0
                    : s->mode == DNS_MANY && qtype == QTYPE_A ? MANY_ANSWERS
                    : qtype == QTYPE_A || qtype == QTYPE_AAAA ? 1
                                                              : 0;
    for (unsigned k = 0; k < want && o + 16 + 16 <= size; k++) {
        o += put16(out + o, 0xc00c);
        o += put16(out + o, qtype);
        o += put16(out + o, 1);
        o += put16(out + o, 0), o += put16(out + o, 60);
        if (qtype == QTYPE_A) {
            o += put16(out + o, 4);
            const unsigned char a[4] = {192, 0, 2, (unsigned char)(10 + k)};
            memcpy(out + o, a, 4), o += 4;
        } else {
            o += put16(out + o, 16);
            unsigned char a6[16] = {0x20, 0x01, 0x0d, 0xb8};
            a6[15] = (unsigned char)(0x10 + k);
            memcpy(out + o, a6, 16), o += 16;
        }
        answers++;
    }
    put16(out + 2, flags);
    put16(out + 4, 1);
    put16(out + 6, answers);
    put16(out + 8, 0);
    put16(out + 10, 0);
    return o;
}

static void *serve(void *arg)
{
    dns_server *s = arg;
    unsigned nth = 0;
    for (;;) {
        struct pollfd p[2] = {{s->sock, POLLIN, 0}, {s->stop[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            return NULL;
        if (p[1].revents)
            return NULL;
        if (!(p[0].revents & POLLIN))
            continue;
        unsigned char q[1500], out[1500];
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(s->sock, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
        if (n <= 0)
            continue;
        atomic_fetch_add(&s->queries, 1);
        if (s->mode == DNS_SILENT)
            continue;
        if (s->mode == DNS_LATE) {
            struct pollfd w = {s->stop[0], POLLIN, 0};
            if (poll(&w, 1, s->late_ms) != 0)
                return NULL;
        }
        size_t len = reply(s, q, (size_t)n, out, sizeof(out), nth++);
        if (len || s->mode == DNS_GARBAGE)
            sendto(s->sock, out, len, 0, (struct sockaddr *)&from, fl);
    }
}

static void dns_start(dns_server *s, dns_mode mode)
{
    memset(s, 0, sizeof(*s));
    s->mode = mode;
    s->late_ms = 1500;
    s->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(s->sock >= 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(in);
    assert_int_equal(bind(s->sock, (struct sockaddr *)&in, sizeof(in)), 0);
    assert_int_equal(getsockname(s->sock, (struct sockaddr *)&in, &len), 0);
    s->port = ntohs(in.sin_port);
    assert_int_equal(pipe2(s->stop, O_CLOEXEC), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void dns_stop(dns_server *s)
{
    assert_int_equal(write(s->stop[1], "x", 1), 1);
    pthread_join(s->thread, NULL);
    close(s->stop[0]);
    close(s->stop[1]);
    close(s->sock);
}

/* ---- helpers -------------------------------------------------------------------------------- */

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

typedef struct {
    int rc;
    size_t n;
    struct sockaddr_storage a[64];
    char why[300];
    uint64_t deadline, ended;
} outcome;

static outcome resolve_via(const dns_server *s, const char *name, uint64_t within_ms, size_t max)
{
    outcome o = {0};
    char servers[64];
    snprintf(servers, sizeof(servers), "127.0.0.1:%u", s ? s->port : 9);
    wd_resolve_options opts = {.servers = servers};
    o.deadline = wd_time_mono_ns() + within_ms * MS;
    o.rc = wd_resolve(name, 443, o.deadline, &opts, o.a, max, &o.n, o.why, sizeof(o.why));
    o.ended = wd_time_mono_ns();
    /* Whatever happened, it happened by the deadline. */
    if (o.ended > o.deadline + DEADLINE_SLACK) {
        print_error("%s: returned %llu ms after its deadline\n", name,
                    (unsigned long long)((o.ended - o.deadline) / MS));
        fail();
    }
    /* The reason never repeats what was asked for (the audit record carries it). */
    if (*name && strstr(o.why, name)) {
        print_error("%s: reason repeats the name: %s\n", name, o.why);
        fail();
    }
    return o;
}

static void is_addr(const struct sockaddr_storage *ss, const char *ip, unsigned port)
{
    char text[INET6_ADDRSTRLEN] = "?";
    unsigned p;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
        p = ntohs(in->sin_port);
    } else {
        assert_int_equal(ss->ss_family, AF_INET6);
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
        p = ntohs(in6->sin6_port);
    }
    assert_string_equal(text, ip);
    assert_int_equal(p, port);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_literals_never_reach_a_server(void **state)
{
    (void)state;
    dns_server s;
    dns_start(&s, DNS_SILENT);
    outcome o = resolve_via(&s, "192.0.2.1", 1000, 4);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.n, 1);
    is_addr(&o.a[0], "192.0.2.1", 443);
    o = resolve_via(&s, "2001:db8::1", 1000, 4);
    assert_int_equal(o.rc, 0);
    is_addr(&o.a[0], "2001:db8::1", 443);
    o = resolve_via(&s, "[2001:db8::2]", 1000, 4);
    assert_int_equal(o.rc, 0);
    is_addr(&o.a[0], "2001:db8::2", 443);
    o = resolve_via(&s, "::ffff:10.0.0.1", 1000, 4);
    assert_int_equal(o.rc, 0);
    is_addr(&o.a[0], "::ffff:10.0.0.1", 443);
    /* A literal needs no time: it resolves even with the deadline gone. */
    o = resolve_via(&s, "10.1.2.3", 0, 4);
    assert_int_equal(o.rc, 0);
    assert_int_equal(atomic_load(&s.queries), 0);
    dns_stop(&s);
}

static void test_silent_server_times_out_by_the_deadline(void **state)
{
    (void)state;
    dns_server s;
    dns_start(&s, DNS_SILENT);
    int fds = count_fds();
    outcome o = resolve_via(&s, "never.example", 300, 4);
    assert_int_equal(o.rc, WD_ERANGE);
    assert_int_equal(o.n, 0);
    assert_non_null(strstr(o.why, "no answer"));
    assert_true(atomic_load(&s.queries) > 0); /* it asked this server, not another */
    /* Many in a row: each ends by its own deadline and leaves no socket behind. */
    for (int i = 0; i < 20; i++)
        assert_int_equal(resolve_via(&s, "never.example", 20, 4).rc, WD_ERANGE);
    assert_int_equal(count_fds(), fds);
    /* No time left at all: refused without asking. */
    int before = atomic_load(&s.queries);
    char why[200];
    size_t n = 9;
    struct sockaddr_storage a[2];
    wd_resolve_options opts = {.servers = "127.0.0.1:9"};
    assert_int_equal(
        wd_resolve("never.example", 1, wd_time_mono_ns() - 1, &opts, a, 2, &n, why, sizeof(why)),
        WD_ERANGE);
    assert_int_equal(n, 0);
    assert_int_equal(atomic_load(&s.queries), before);
    dns_stop(&s);
}

static void test_late_answer_times_out(void **state)
{
    (void)state;
    dns_server s;
    dns_start(&s, DNS_LATE);
    s.late_ms = 1500;
    outcome o = resolve_via(&s, "late.example", 300, 4);
    assert_int_equal(o.rc, WD_ERANGE);
    dns_stop(&s);
}

static void test_answering_server_resolves(void **state)
{
    (void)state;
    dns_server s;
    dns_start(&s, DNS_ANSWER);
    outcome o = resolve_via(&s, "svc.example", 5000, 8);
    if (o.rc)
        print_error("rc %d: %s\n", o.rc, o.why);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.n, 2);
    is_addr(&o.a[0], "192.0.2.10", 443);
    is_addr(&o.a[1], "2001:db8::10", 443);
    /* max bounds what is written. */
    o = resolve_via(&s, "svc.example", 5000, 1);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.n, 1);
    /* A final dot is the same name. */
    o = resolve_via(&s, "svc.example.", 5000, 8);
    assert_int_equal(o.rc, 0);
    dns_stop(&s);
}

static void test_late_server_answers_within_a_longer_deadline(void **state)
{
    (void)state;
    dns_server s;
    dns_start(&s, DNS_LATE);
    s.late_ms = 100;
    outcome o = resolve_via(&s, "slow.example", 5000, 8);
    assert_int_equal(o.rc, 0);
    assert_true(o.n >= 1);
    dns_stop(&s);
}

static void test_nxdomain_is_not_found(void **state)
{
    (void)state;
    dns_server s;
    dns_start(&s, DNS_NXDOMAIN);
    outcome o = resolve_via(&s, "nothing.example", 5000, 8);
    assert_int_equal(o.rc, WD_ENOTFOUND);
    assert_non_null(strstr(o.why, "no such host"));
    dns_stop(&s);
}

/* A server that drops AAAA queries: the A answer is used once the other family had its short
 * grace, not after the whole deadline. */
static void test_dropped_aaaa_keeps_the_a_answer(void **state)
{
    (void)state;
    dns_server s;
    dns_start(&s, DNS_NO_AAAA);
    outcome o = resolve_via(&s, "v4only.example", 5000, 8);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.n, 1);
    is_addr(&o.a[0], "192.0.2.10", 443);
    assert_true(o.ended < o.deadline);
    dns_stop(&s);
}

static void test_many_answers_are_bounded(void **state)
{
    (void)state;
    dns_server s;
    dns_start(&s, DNS_MANY);
    outcome o = resolve_via(&s, "many.example", 5000, 64);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.n, WD_RESOLVE_PER_FAMILY + 1); /* and the one AAAA */
    o = resolve_via(&s, "many.example", 5000, 3);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.n, 3);
    is_addr(&o.a[0], "192.0.2.10", 443);
    is_addr(&o.a[1], "2001:db8::10", 443);
    is_addr(&o.a[2], "192.0.2.11", 443);
    dns_stop(&s);
}

static void test_garbage_answers_fail_by_the_deadline(void **state)
{
    (void)state;
    dns_server s;
    dns_start(&s, DNS_GARBAGE);
    int fds = count_fds();
    for (int i = 0; i < 5; i++) {
        outcome o = resolve_via(&s, "garbage.example", 400, 8);
        assert_true(o.rc < 0);
        assert_int_equal(o.n, 0);
    }
    assert_int_equal(count_fds(), fds);
    dns_stop(&s);
}

/* Names the host knows itself (/etc/hosts) are answered without a server. */
static void test_hosts_file_names(void **state)
{
    (void)state;
    dns_server s;
    dns_start(&s, DNS_SILENT);
    outcome o = resolve_via(&s, "localhost", 5000, 8);
    assert_int_equal(o.rc, 0);
    assert_true(o.n >= 1);
    /* Another name of /etc/hosts with an IPv4 address, when it has one. */
    FILE *fp = fopen("/etc/hosts", "r");
    char line[512], ip[64] = "", name[256] = "";
    while (fp && !name[0] && fgets(line, sizeof(line), fp)) {
        char a[64], b[256];
        struct in_addr in;
        if (sscanf(line, "%63s %255s", a, b) == 2 && a[0] != '#' && inet_pton(AF_INET, a, &in) &&
            strcmp(b, "localhost") != 0 && strchr(b, '.') == NULL && strlen(b) < 64) {
            snprintf(ip, sizeof(ip), "%s", a);
            snprintf(name, sizeof(name), "%s", b);
        }
    }
    if (fp)
        fclose(fp);
    if (name[0]) {
        o = resolve_via(&s, name, 5000, 8);
        assert_int_equal(o.rc, 0);
        int seen = 0;
        for (size_t i = 0; i < o.n; i++) {
            char t[INET6_ADDRSTRLEN];
            if (o.a[i].ss_family == AF_INET &&
                inet_ntop(AF_INET, &((struct sockaddr_in *)&o.a[i])->sin_addr, t, sizeof(t)) &&
                strcmp(t, ip) == 0)
                seen = 1;
        }
        assert_true(seen);
    }
    assert_int_equal(atomic_load(&s.queries), 0);
    dns_stop(&s);
}

static void test_refused_names(void **state)
{
    (void)state;
    dns_server s;
    dns_start(&s, DNS_ANSWER);
    char long_label[80], long_name[300];
    memset(long_label, 'a', 64);
    memcpy(long_label + 64, ".example", sizeof(".example"));
    size_t k = 0;
    while (k + 4 <= 254)
        memcpy(long_name + k, "abc.", 4), k += 4;
    memcpy(long_name + k, "xy", 3);
    const char *bad[] = {
        "",          "a b",       "127.1",        "0x7f.0.0.1",          "a..b",
        ".a",        "a.b..",     "fe80::1%eth0", "exa\x01mple",         "[::1",
        "[1.2.3.4]", "1.2.3.4.5", "-\n.example",  "caf\xc3\xa9.example", long_label,
        long_name,   "12345",     "a.b.c.123"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        outcome o = resolve_via(&s, bad[i], 1000, 8);
        if (o.rc != WD_EINVAL) {
            print_error("\"%s\": rc %d, want WD_EINVAL\n", bad[i], o.rc);
            fail();
        }
        assert_non_null(strstr(o.why, "not a host name or IP literal"));
    }
    assert_int_equal(atomic_load(&s.queries), 0);
    /* Servers that are not addresses. */
    char why[200];
    size_t n;
    struct sockaddr_storage a[2];
    wd_resolve_options opts = {.servers = "not-an-address"};
    assert_int_equal(wd_resolve("svc.example", 1, wd_time_mono_ns() + 1000 * MS, &opts, a, 2, &n,
                                why, sizeof(why)),
                     WD_EINVAL);
    assert_int_equal(wd_resolve("svc.example", 65536, wd_time_mono_ns() + 1000 * MS, NULL, a, 2, &n,
                                why, sizeof(why)),
                     WD_EINVAL);
    assert_int_equal(wd_resolve("svc.example", 1, wd_time_mono_ns() + 1000 * MS, NULL, a, 0, &n,
                                why, sizeof(why)),
                     WD_EINVAL);
    dns_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_never_reach_a_server),
        cmocka_unit_test(test_silent_server_times_out_by_the_deadline),
        cmocka_unit_test(test_late_answer_times_out),
        cmocka_unit_test(test_answering_server_resolves),
        cmocka_unit_test(test_late_server_answers_within_a_longer_deadline),
        cmocka_unit_test(test_nxdomain_is_not_found),
        cmocka_unit_test(test_dropped_aaaa_keeps_the_a_answer),
        cmocka_unit_test(test_many_answers_are_bounded),
        cmocka_unit_test(test_garbage_answers_fail_by_the_deadline),
        cmocka_unit_test(test_hosts_file_names),
        cmocka_unit_test(test_refused_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
