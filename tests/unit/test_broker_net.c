/* test_broker_net.c: the broker's connects (src/sandbox/broker_net.c) against the host's own
 * addresses, a resolver that never answers, and a lockdown that begins during a call.
 *
 * A service the host runs on 0.0.0.0 answers on every address the host owns. These tests run
 * such a listener and connect to it through the broker with a policy of host "*":
 *   - in this network namespace, through an address an interface really has (when it has one
 *     besides loopback);
 *   - in a private network and mount namespace of a child process (root, or a user namespace),
 *     where addresses are added after the broker started: on a dummy interface (or loopback,
 *     where dummies cannot be made), a whole range routed locally, an IPv6 address, names that
 *     /etc/hosts (bind-mounted there) resolves to them, and a DNS server (on 127.0.0.1:53
 *     there, named by a bind-mounted /etc/resolv.conf) that never answers.
 * Each is refused unless a rule names the address; the same connects with such a rule reach the
 * listener, so a refusal is the broker's and not the network's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "sandbox/broker.h"
#include "util/timeutil.h"
#include "warden/warden.h"

#define MS 1000000ull
#define OWN_WHY "an address of this host, which no rule names"
/* What a deadline may be overrun by on a loaded or sanitised machine; the system resolver's
 * own timeouts (5 s a try by default) overrun it by far more. */
#define DEADLINE_SLACK_MS 1000

/* ---- what both the test and a child process use (no cmocka inside a child) --------------- */

typedef struct {
    char *tmp;
    char root[PATH_MAX];
    wd_policy *policy;
    wd_broker b;
} net_fx;

static bool say(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool say(int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "line %d: ", line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return false;
}

/* Replaces the policy with one whose network section is the formatted text. */
static bool net_policy(net_fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool net_policy(net_fx *f, const char *fmt, ...)
{
    char yaml[2048] = "version: \"1.0\"\npermissions:\n  network:\n";
    size_t n = strlen(yaml);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(yaml + n, sizeof(yaml) - n, fmt, ap);
    va_end(ap);
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = f->root;
    opts.display_name = "p.yaml";
    wd_policy_free(f->policy);
    f->policy = NULL;
    f->b.policy = NULL;
    if (wd_policy_load_buffer(&f->policy, yaml, strlen(yaml), &opts) != 0)
        return say(__LINE__, "policy: %s\n%s", wd_error_last()->message, yaml);
    f->b.policy = f->policy;
    return true;
}

/* A TCP listener on the wildcard address (0.0.0.0, or :: for IPv6 only) and an ephemeral port,
 * non-blocking so a test can see that nothing arrived. */
static int listen_any(int family, unsigned *port)
{
    int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_storage ss = {.ss_family = (sa_family_t)family};
    socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (s < 0)
        return -1;
    if (family == AF_INET6)
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&ss, len) != 0 || listen(s, 16) != 0 ||
        getsockname(s, (struct sockaddr *)&ss, &len) != 0) {
        close(s);
        return -1;
    }
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return s;
}

/* Nothing is waiting on the listener: the broker never made contact. */
static bool untouched(int listener, int line)
{
    usleep(20000); /* a connect the broker made would be queued by now; none must be */
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (c >= 0) {
        close(c);
        return say(line, "the listener was reached");
    }
    return true;
}

static bool connect_refused(const net_fx *f, int listener, const char *name, unsigned port, int err,
                            const char *why, int line)
{
    wd_broker_answer a;
    wd_broker_connect(&f->b, name, port, &a);
    if (a.allowed || a.fd != -1 || a.err == 0 || (err && a.err != err) ||
        (why && !strstr(a.reason, why))) {
        if (a.fd >= 0)
            close(a.fd);
        return say(line, "connect %s:%u: allowed %d err %d (%s): \"%s\"; want err %d, \"%s\"", name,
                   port, a.allowed, a.err, strerror(a.err), a.reason, err, why ? why : "");
    }
    /* An address refused for being the host's says only that: the audit record carries the
     * target. */
    if (why && strcmp(why, OWN_WHY) == 0 && strcmp(a.reason, OWN_WHY) != 0)
        return say(line, "connect %s:%u: the reason is \"%s\", not just \"%s\"", name, port,
                   a.reason, OWN_WHY);
    return listener < 0 || untouched(listener, line);
}

static bool connect_ok(const net_fx *f, int listener, const char *name, unsigned port, int line)
{
    wd_broker_answer a;
    wd_broker_connect(&f->b, name, port, &a);
    if (!a.allowed || a.fd < 0)
        return say(line, "connect %s:%u: allowed %d err %d (%s): %s", name, port, a.allowed, a.err,
                   strerror(a.err), a.reason);
    bool ok = write(a.fd, "ping", 4) == 4;
    int c = -1;
    for (int i = 0; i < 500 && c < 0; i++) {
        c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            usleep(2000);
    }
    char buf[4] = "";
    if (c < 0 || fcntl(c, F_SETFL, 0) != 0 || read(c, buf, 4) != 4 || memcmp(buf, "ping", 4) != 0)
        ok = say(line, "connect %s:%u: allowed, but the listener did not get it", name, port);
    if (c >= 0)
        close(c);
    close(a.fd);
    return ok;
}

#define REFUSED(f, l, name, port, err, why)                                                        \
    connect_refused((f), (l), (name), (port), (err), (why), __LINE__)
#define REACHED(f, l, name, port) connect_ok((f), (l), (name), (port), __LINE__)

static int fx_open(net_fx *f)
{
    memset(f, 0, sizeof(*f));
    f->tmp = wd_test_tmpdir();
    if (!f->tmp || !realpath(f->tmp, f->root))
        return -1;
    f->b.timeout_ms = 5000;
    return 0;
}

static void fx_close(net_fx *f)
{
    wd_policy_free(f->policy);
    wd_test_rmtree(f->tmp);
}

/* An address of family an interface of this namespace has, that no older rule already
 * refuses (not loopback, link-local, unique-local...), as text; false when there is none. */
static bool own_address(int family, char *out, size_t size)
{
    struct ifaddrs *list = NULL;
    bool found = false;
    if (getifaddrs(&list) != 0)
        return false;
    for (const struct ifaddrs *i = list; i && !found; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == family && !(i->ifa_flags & IFF_LOOPBACK) &&
            !wd_broker_address_is_local(i->ifa_addr)) {
            const void *a =
                family == AF_INET
                    ? (const void *)&((const struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr
                    : (const void *)&((const struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
            found = inet_ntop(family, a, out, (socklen_t)size) != NULL;
        }
    freeifaddrs(list);
    return found;
}

/* ---- this namespace: an address an interface has ----------------------------------------- */

static int setup(void **state)
{
    net_fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(fx_open(f), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    net_fx *f = *state;
    fx_close(f);
    free(f);
    return 0;
}

static void own_address_case(net_fx *f, int family, const char *ip)
{
    unsigned port;
    int l = listen_any(family, &port);
    assert_true(l >= 0);
    char bracketed[INET6_ADDRSTRLEN + 2];
    snprintf(bracketed, sizeof(bracketed), family == AF_INET6 ? "[%s]" : "%s", ip);
    /* "*" matches every destination, never the host itself. */
    assert_true(net_policy(f, "    allow:\n      - host: \"*\"\n"));
    assert_true(REFUSED(f, l, ip, port, EACCES, OWN_WHY));
    if (family == AF_INET) {
        char mapped[INET6_ADDRSTRLEN + 8];
        snprintf(mapped, sizeof(mapped), "::ffff:%s", ip);
        assert_true(REFUSED(f, l, mapped, port, EACCES, OWN_WHY));
    }
    /* Nor does a rule for the port. */
    assert_true(net_policy(f, "    allow:\n      - host: \"*\"\n        ports: [%u]\n", port));
    assert_true(REFUSED(f, l, ip, port, EACCES, OWN_WHY));
    /* A rule that names the address, or a CIDR that holds it, reaches it. */
    assert_true(net_policy(f, "    allow:\n      - host: \"*\"\n      - cidr: \"%s/%d\"\n", ip,
                           family == AF_INET ? 32 : 128));
    assert_true(REACHED(f, l, ip, port));
    assert_true(
        net_policy(f, "    allow:\n      - host: \"%s\"\n        ports: [%u]\n", bracketed, port));
    assert_true(REACHED(f, l, ip, port));
    /* A deny rule for it wins. */
    assert_true(net_policy(f,
                           "    allow:\n      - host: \"*\"\n    deny:\n      - cidr: \"%s/%d\"\n",
                           ip, family == AF_INET ? 32 : 128));
    assert_true(REFUSED(f, l, ip, port, EACCES, "deny"));
    close(l);
}

static void test_interface_address_refused(void **state)
{
    net_fx *f = *state;
    char ip[INET6_ADDRSTRLEN];
    bool any = false;
    if (own_address(AF_INET, ip, sizeof(ip))) {
        own_address_case(f, AF_INET, ip);
        any = true;
    }
    if (own_address(AF_INET6, ip, sizeof(ip))) {
        own_address_case(f, AF_INET6, ip);
        any = true;
    }
    if (!any)
        skip(); /* only loopback here: test_private_network adds addresses of its own */
}

/* 0.0.0.0 and :: reach the host itself, whatever allows "*". */
static void test_unspecified_addresses_refused(void **state)
{
    net_fx *f = *state;
    unsigned port;
    int l = listen_any(AF_INET, &port);
    assert_true(l >= 0);
    assert_true(net_policy(f, "    allow:\n      - host: \"*\"\n"));
    assert_true(REFUSED(f, l, "0.0.0.0", port, EACCES, "which no rule names"));
    assert_true(REFUSED(f, -1, "::", port, EACCES, "which no rule names"));
    assert_true(REFUSED(f, l, "::ffff:0.0.0.0", port, EACCES, "which no rule names"));
    close(l);
}

/* ---- a lockdown that begins during a call ------------------------------------------------- */

static void test_lockdown_mid_call_denies_connect(void **state)
{
    net_fx *f = *state;
    char keys[PATH_MAX + 8], pub[PATH_MAX + 24], manifest[PATH_MAX + 16], conf[PATH_MAX + 8],
        cmd[3 * PATH_MAX];
    snprintf(keys, sizeof(keys), "%s/keys", f->root);
    snprintf(pub, sizeof(pub), "%s/signing.pub", keys);
    snprintf(manifest, sizeof(manifest), "%s/baseline", f->root);
    snprintf(conf, sizeof(conf), "%s/conf", f->root);
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && echo 'version: \"1.0\"' > '%s/p.yaml'", conf,
             conf);
    assert_int_equal(wd_test_run(cmd), 0);
    assert_int_equal(wd_audit_keygen(keys), 0);
    const char *paths[] = {conf};
    assert_int_equal(wd_baseline_create(paths, 1, keys, manifest, NULL, NULL), 0);
    wd_watch *w = NULL;
    assert_int_equal(wd_watch_start(&w, manifest, pub, NULL), 0);

    char overrides[PATH_MAX + 16];
    snprintf(overrides, sizeof(overrides), "%s/overrides", f->root);
    uint8_t secret[64];
    size_t slen = 0;
    wd_test_enroll(overrides, "alice", secret, &slen);
    f->b.watch = w;
    f->b.overrides = overrides;
    f->b.component = "acme.net";

    unsigned port;
    int l = listen_any(AF_INET, &port);
    assert_true(l >= 0);
    assert_true(
        net_policy(f, "    allow:\n      - cidr: 127.0.0.0/8\n        ports: [%u]\n", port));
    /* Before: the connect is made, and a denial names the operation a human could approve. */
    assert_true(REACHED(f, l, "127.0.0.1", port));
    assert_true(REFUSED(f, l, "api.example.com", 443, EACCES, "[operation "));

    /* The host's files change during the call. */
    snprintf(cmd, sizeof(cmd), "echo '# changed' >> '%s/p.yaml'", conf);
    assert_int_equal(wd_test_run(cmd), 0);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!wd_watch_lockdown(w)) { /* a functional deadline, not a measurement */
        clock_gettime(CLOCK_MONOTONIC, &now);
        assert_true(now.tv_sec - start.tv_sec < 5);
        usleep(1000);
    }
    /* The same broker, the same call: its next connect is denied, and no approval can lift it
     * (the denial names no operation). */
    wd_broker_answer a;
    wd_broker_connect(&f->b, "127.0.0.1", port, &a);
    assert_false(a.allowed);
    assert_int_equal(a.fd, -1);
    assert_int_equal(a.err, EACCES);
    assert_non_null(strstr(a.reason, "lockdown"));
    assert_true(untouched(l, __LINE__));
    wd_broker_connect(&f->b, "api.example.com", 443, &a);
    assert_false(a.allowed);
    assert_non_null(strstr(a.reason, "lockdown"));
    assert_null(strstr(a.reason, "[operation"));
    close(l);
    f->b.watch = NULL;
    wd_watch_free(w);
}

/* A denied connect names its operation; an approval of it lets the name through once, and the
 * address is still decided on its own (a loopback address needs a rule naming it). */
static void test_connect_approval_used_once(void **state)
{
    net_fx *f = *state;
    char dir[PATH_MAX + 16], code[16], op[WD_OPERATION_ID_LEN + 1];
    snprintf(dir, sizeof(dir), "%s/overrides", f->root);
    uint8_t secret[64];
    size_t len = 0;
    wd_test_enroll(dir, "alice", secret, &len);
    f->b.overrides = dir;
    f->b.component = "acme.net";
    unsigned port;
    int l = listen_any(AF_INET, &port);
    assert_true(l >= 0);
    assert_true(net_policy(f, "    allow:\n      - host: api.example.com\n"));
    char target[64];
    snprintf(target, sizeof(target), "127.0.0.1:%u", port);
    assert_int_equal(wd_operation_id("acme.net", "connect", target, op), 0);
    assert_true(REFUSED(f, l, "127.0.0.1", port, EACCES, op));
    assert_int_equal(wd_totp(secret, len, time(NULL), NULL, code), 0);
    wd_approve_request r = {
        WD_APPROVE_REQUEST_VERSION, dir, "alice", code, op, "test", 60, 0, NULL};
    assert_int_equal(wd_override_approve(&r), 0);
    wd_broker_answer a;
    wd_broker_connect(&f->b, "127.0.0.1", port, &a);
    assert_false(a.allowed);
    assert_non_null(strstr(a.reason, "a loopback, link-local or otherwise local address"));
    assert_string_equal(a.override_op, op);
    /* Used: the next one is denied by the policy again. */
    assert_true(REFUSED(f, l, "127.0.0.1", port, EACCES, op));
    close(l);
    f->b.overrides = NULL;
}

/* ---- a private network: addresses added after the broker started --------------------------- */

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            failures++, fprintf(stderr, "line %d: failed: %s\n", __LINE__, #cond);                 \
    } while (0)

static bool write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return false;
    bool ok = fputs(text, fp) >= 0;
    return fclose(fp) == 0 && ok;
}

/* A network and mount namespace of this process's own: as root, or inside a user namespace. */
static bool enter_private_network(void)
{
    if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
        uid_t uid = getuid();
        gid_t gid = getgid();
        char map[64];
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS) != 0)
            return false;
        snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
        if (!write_file("/proc/self/uid_map", map) || !write_file("/proc/self/setgroups", "deny\n"))
            return false;
        snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
        if (!write_file("/proc/self/gid_map", map))
            return false;
    }
    return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
           wd_test_run("ip link set lo up 2>/dev/null") == 0;
}

/* Puts a file with text over path, for this mount namespace only. */
static bool bind_file(const net_fx *f, const char *name, const char *text, const char *path)
{
    char *file = wd_test_write(f->root, name, text, strlen(text));
    bool ok = file && mount(file, path, NULL, MS_BIND, NULL) == 0;
    if (!ok)
        fprintf(stderr, "bind %s over %s: %s\n", name, path, strerror(errno));
    free(file);
    return ok;
}

/* The names /etc/hosts gives the addresses this test adds. */
static const char HOSTS[] = "127.0.0.1 localhost\n"
                            "198.18.0.1 own.example\n"
                            "2001:db8::7 own6.example\n";

static void private_addresses(net_fx *f)
{
    unsigned port, port6 = 0;
    int l = listen_any(AF_INET, &port), l6 = listen_any(AF_INET6, &port6);
    CHECK(l >= 0);
    CHECK(net_policy(f, "    allow:\n      - host: \"*\"\n"));
    /* Not yet an address of this host: nothing there to reach. */
    CHECK(REFUSED(f, l, "198.18.0.1", port, 0, NULL));

    /* The host takes the address while the broker runs: on a dummy interface where one can be
     * made, else on loopback (the broker must not care which). */
    if (wd_test_run("ip link add wdtest0 type dummy 2>/dev/null && ip link set wdtest0 up && "
                    "ip addr add 198.18.0.1/32 dev wdtest0") != 0)
        CHECK(wd_test_run("ip addr add 198.18.0.1/32 dev lo") == 0);
    CHECK(REFUSED(f, l, "198.18.0.1", port, EACCES, OWN_WHY));
    CHECK(REFUSED(f, l, "::ffff:198.18.0.1", port, EACCES, OWN_WHY));
    /* A whole range routed to the host, no address assigned in it. */
    CHECK(wd_test_run("ip route add local 198.19.0.0/24 dev lo") == 0);
    CHECK(REFUSED(f, l, "198.19.0.7", port, EACCES, OWN_WHY));
    /* A rule that names them reaches them: the refusals above were the broker's. */
    CHECK(net_policy(f, "    allow:\n      - host: \"*\"\n      - cidr: 198.18.0.0/15\n"));
    CHECK(REACHED(f, l, "198.18.0.1", port));
    CHECK(REACHED(f, l, "198.19.0.7", port));

    if (l6 >= 0 && wd_test_run("ip -6 addr add 2001:db8::7/128 dev lo nodad 2>/dev/null") == 0) {
        CHECK(net_policy(f, "    allow:\n      - host: \"*\"\n"));
        CHECK(REFUSED(f, l6, "2001:db8::7", port6, EACCES, OWN_WHY));
        CHECK(REFUSED(f, l6, "[2001:db8::7]", port6, EACCES, OWN_WHY));
        CHECK(net_policy(f, "    allow:\n      - host: \"*\"\n      - cidr: 2001:db8::/32\n"));
        CHECK(REACHED(f, l6, "2001:db8::7", port6));
    } else {
        fprintf(stderr, "note: no IPv6 here: its part skipped\n");
    }

    /* A name that resolves to an address of the host: refused as the address is. */
    if (bind_file(f, "hosts", HOSTS, "/etc/hosts")) {
        CHECK(net_policy(f, "    allow:\n      - host: \"*\"\n"));
        CHECK(REFUSED(f, l, "own.example", port, EACCES, "resolves to 198.18.0.1, " OWN_WHY));
        if (l6 >= 0)
            CHECK(
                REFUSED(f, l6, "own6.example", port6, EACCES, "resolves to 2001:db8::7, " OWN_WHY));
        CHECK(
            net_policy(f, "    allow:\n      - host: own.example\n      - cidr: 198.18.0.1/32\n"));
        CHECK(REACHED(f, l, "own.example", port));
    }
    if (l6 >= 0)
        close(l6);
    close(l);
}

/* A resolver that never answers: the connect ends by the deadline the call gives it. */
static void private_silent_resolver(net_fx *f)
{
    int dns = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in at = {
        .sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (dns < 0 || bind(dns, (struct sockaddr *)&at, sizeof(at)) != 0 ||
        !bind_file(f, "resolv.conf", "nameserver 127.0.0.1\n", "/etc/resolv.conf") ||
        !bind_file(f, "hosts", "127.0.0.1 localhost\n", "/etc/hosts")) {
        fprintf(stderr, "note: cannot run a resolver here: its part skipped\n");
        if (dns >= 0)
            close(dns);
        return;
    }
    CHECK(net_policy(f, "    allow:\n      - host: \"*\"\n"));
    f->b.timeout_ms = 300;
    uint64_t start = wd_time_mono_ns();
    CHECK(REFUSED(f, -1, "never.example", 443, ETIMEDOUT, "cannot resolve: no answer"));
    uint64_t took_ms = (wd_time_mono_ns() - start) / MS;
    if (took_ms > (uint64_t)f->b.timeout_ms + DEADLINE_SLACK_MS) {
        failures++;
        fprintf(stderr, "a 300 ms connect took %llu ms resolving\n", (unsigned long long)took_ms);
    }
    char q[512];
    CHECK(recv(dns, q, sizeof(q), MSG_DONTWAIT) > 0); /* it asked this server */
    f->b.timeout_ms = 5000;
    close(dns);
}

static void test_private_network(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        net_fx f;
        if (!enter_private_network() || fx_open(&f) != 0)
            _exit(77);
        private_addresses(&f);
        private_silent_resolver(&f);
        fx_close(&f);
        _exit(failures ? 1 : 0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip(); /* neither root nor user namespaces, or no ip(8) */
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_interface_address_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unspecified_addresses_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockdown_mid_call_denies_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_approval_used_once, setup, teardown),
        cmocka_unit_test(test_private_network),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
