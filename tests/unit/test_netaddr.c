/* test_netaddr.c: the strict network-address parsers. Every case runs on an exact-size heap copy
 * of its input, so a read of s[len] is an ASan error rather than a silent success, and every
 * refusal is checked for its exact reason so a case cannot pass by failing for the wrong cause. */
#include "helpers.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/netaddr.h"

/* A literal and its length, embedded NULs included. */
#define T(str) str, sizeof(str) - 1
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* An exact-size copy: nothing readable lies past s[len - 1]. */
static char *exact(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len)
        memcpy(p, s, len);
    return p;
}

static void check_why(bool ok, const char *why, const char *want, const char *input)
{
    if (ok) {
        fail_msg("accepted \"%s\", expected refusal \"%s\"", input, want);
    }
    assert_non_null(why);
    if (strcmp(why, want) != 0)
        fail_msg("\"%s\": reason \"%s\", expected \"%s\"", input, why, want);
}

/* ---- wd_ip4_parse ---------------------------------------------------------------------- */

static const struct {
    const char *s;
    size_t len;
    uint8_t addr[4];
} ip4_good[] = {
    {T("1.2.3.4"), {1, 2, 3, 4}},
    {T("0.0.0.0"), {0, 0, 0, 0}},
    {T("255.255.255.255"), {255, 255, 255, 255}},
    {T("10.0.0.1"), {10, 0, 0, 1}},
    {T("192.168.100.200"), {192, 168, 100, 200}},
    {T("127.0.0.1"), {127, 0, 0, 1}},
    {T("100.20.3.0"), {100, 20, 3, 0}},
};

static const struct {
    const char *s;
    size_t len;
    const char *why;
} ip4_bad[] = {
    {T(""), "empty ipv4 address"},
    {T("1.2.3"), "ipv4 address needs four octets"},
    {T("127.1"), "ipv4 address needs four octets"},
    {T("1"), "ipv4 address needs four octets"},
    {T("1.2.3.4.5"), "ipv4 address needs four octets"},
    {T("256.0.0.1"), "octet out of range"},
    {T("1.2.3.1000"), "octet out of range"},
    {T("1.2.3.99999999999999999999"), "octet out of range"},
    {T("1.2.3.04"), "leading zero in ipv4 octet"},
    {T("010.0.0.1"), "leading zero in ipv4 octet"},
    {T("00.0.0.0"), "leading zero in ipv4 octet"},
    {T("0x7f.0.0.1"), "invalid character in ipv4 address"},
    {T("1..2.3"), "empty octet in ipv4 address"},
    {T(".1.2.3"), "empty octet in ipv4 address"},
    {T("1.2.3."), "empty octet in ipv4 address"},
    {T("1.2.3.4."), "empty octet in ipv4 address"},
    {T("+1.2.3.4"), "invalid character in ipv4 address"},
    {T("-1.2.3.4"), "invalid character in ipv4 address"},
    {T("1.2.3.-4"), "invalid character in ipv4 address"},
    {T(" 1.2.3.4"), "invalid character in ipv4 address"},
    {T("1.2.3.4 "), "invalid character in ipv4 address"},
    {T("1.2.3.4\n"), "invalid character in ipv4 address"},
    {T("1.2.3.4/8"), "invalid character in ipv4 address"},
    {T("1.2.3.4:80"), "invalid character in ipv4 address"},
    {T("1.2.3.a"), "invalid character in ipv4 address"},
    {T("::1"), "invalid character in ipv4 address"},
    {T("1.2\0.3.4"), "invalid character in ipv4 address"},
    {T("1.2.3.4\0"), "invalid character in ipv4 address"},
    {T("\0"
       "1.2.3.4"),
     "invalid character in ipv4 address"},
};

static void test_ip4_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(ip4_good); i++) {
        char *s = exact(ip4_good[i].s, ip4_good[i].len);
        uint8_t out[4] = {0xaa, 0xaa, 0xaa, 0xaa};
        const char *why = NULL;
        if (!wd_ip4_parse(s, ip4_good[i].len, out, &why))
            fail_msg("refused \"%s\": %s", ip4_good[i].s, why);
        assert_memory_equal(out, ip4_good[i].addr, 4);
        free(s);
    }
}

static void test_ip4_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(ip4_bad); i++) {
        char *s = exact(ip4_bad[i].s, ip4_bad[i].len);
        uint8_t out[4] = {0xaa, 0xaa, 0xaa, 0xaa};
        const char *why = NULL;
        bool ok = wd_ip4_parse(s, ip4_bad[i].len, out, &why);
        check_why(ok, why, ip4_bad[i].why, ip4_bad[i].s);
        /* A refusal leaves the output alone. */
        assert_memory_equal(out, ((uint8_t[4]){0xaa, 0xaa, 0xaa, 0xaa}), 4);
        free(s);
    }
}

/* ---- wd_ip6_parse ---------------------------------------------------------------------- */

static const struct {
    const char *s;
    size_t len;
    uint8_t addr[16];
} ip6_good[] = {
    {T("::"), {0}},
    {T("::1"), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {T("1::"), {0, 1}},
    {T("fe80::1:2"), {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2}},
    {T("2001:db8::8:800:200c:417a"),
     {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 8, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a}},
    {T("2001:DB8::8:800:200C:417A"),
     {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 8, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a}},
    {T("2001:db8:0:0:8:800:200c:417a"),
     {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 8, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a}},
    {T("::ffff:1.2.3.4"), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}},
    {T("64:ff9b::1.2.3.4"), {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}},
    {T("::1.2.3.4"), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}},
    {T("1:2:3:4:5:6:7:8"), {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}},
    {T("1:2:3:4:5:6:7::"), {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0}},
    {T("::2:3:4:5:6:7:8"), {0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}},
    {T("1:2:3::6:7:8"), {0, 1, 0, 2, 0, 3, 0, 0, 0, 0, 0, 6, 0, 7, 0, 8}},
    {T("1:2:3:4:5:6:1.2.3.4"), {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4}},
    {T("1:2:3:4:5::1.2.3.4"), {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 0, 1, 2, 3, 4}},
    {T("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff}},
    {T("0000:0000:0000:0000:0000:0000:0000:0001"),
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {T("abcd::"), {0xab, 0xcd}},
};

static const struct {
    const char *s;
    size_t len;
    const char *why;
} ip6_bad[] = {
    {T(""), "empty ipv6 address"},
    {T(":"), "leading single colon"},
    {T(":1::"), "leading single colon"},
    {T(":1:2:3:4:5:6:7"), "leading single colon"},
    {T(":::"), "too many colons"},
    {T("1:::2"), "too many colons"},
    {T("1::2::3"), "more than one '::'"},
    {T("::1::"), "more than one '::'"},
    {T("1:2:3:4:5:6:7:"), "trailing single colon"},
    {T("1::2:"), "trailing single colon"},
    {T("12345::"), "group longer than 4 hex digits"},
    {T("::00001"), "group longer than 4 hex digits"},
    {T("1:2:3:4:5:6:7:8:9"), "too many groups"},
    {T("1:2:3:4:5:6:7:1.2.3.4"), "too many groups"},
    {T("1:2:3:4:5:6:7::8"), "'::' must stand for at least one group"},
    {T("::1:2:3:4:5:6:7:8"), "'::' must stand for at least one group"},
    {T("1:2:3:4:5:6::1.2.3.4"), "'::' must stand for at least one group"},
    {T("1:2:3:4:5:6:7"), "too few groups"},
    {T("1"), "too few groups"},
    {T("1.2.3.4"), "too few groups"},
    {T("::1.2.3.4:5"), "ipv4 part must come last"},
    {T("::1.2.3.4::"), "ipv4 part must come last"},
    {T("::1.2.3"), "ipv4 address needs four octets"},
    {T("::1.2.3.256"), "octet out of range"},
    {T("::1.2.3.04"), "leading zero in ipv4 octet"},
    {T("::ffff:1.2.3.4.5"), "ipv4 address needs four octets"},
    {T("::ab.1.2.3"), "invalid character in ipv4 address"},
    {T("fe80::1%eth0"), "zone id not allowed"},
    {T("fe80::1%1"), "zone id not allowed"},
    {T("[::1]"), "brackets not allowed here"},
    {T("::/0"), "prefix not allowed here"},
    {T("::g"), "invalid character in ipv6 address"},
    {T("1:2:3:4:5:6:7:8 "), "invalid character in ipv6 address"},
    {T(" ::1"), "invalid character in ipv6 address"},
    {T("::1\0"), "invalid character in ipv6 address"},
    {T("::\0"
       "1"),
     "invalid character in ipv6 address"},
    {T("-::1"), "invalid character in ipv6 address"},
    {T("0x1::"), "invalid character in ipv6 address"},
};

static void test_ip6_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(ip6_good); i++) {
        char *s = exact(ip6_good[i].s, ip6_good[i].len);
        uint8_t out[16];
        memset(out, 0xaa, sizeof(out));
        const char *why = NULL;
        if (!wd_ip6_parse(s, ip6_good[i].len, out, &why))
            fail_msg("refused \"%s\": %s", ip6_good[i].s, why);
        assert_memory_equal(out, ip6_good[i].addr, 16);
        free(s);
    }
}

static void test_ip6_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(ip6_bad); i++) {
        char *s = exact(ip6_bad[i].s, ip6_bad[i].len);
        uint8_t out[16], before[16];
        memset(out, 0xaa, sizeof(out));
        memset(before, 0xaa, sizeof(before));
        const char *why = NULL;
        bool ok = wd_ip6_parse(s, ip6_bad[i].len, out, &why);
        check_why(ok, why, ip6_bad[i].why, ip6_bad[i].s);
        assert_memory_equal(out, before, 16);
        free(s);
    }
}

/* ---- wd_ip_parse ----------------------------------------------------------------------- */

static const struct {
    const char *s;
    size_t len;
    uint8_t family;
    uint8_t addr[16];
} ip_good[] = {
    {T("1.2.3.4"), 4, {1, 2, 3, 4}},
    {T("::1"), 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {T("[::1]"), 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {T("[fe80::1:2]"), 6, {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2}},
    /* IPv4-mapped folds to family 4, in every spelling. */
    {T("::ffff:1.2.3.4"), 4, {1, 2, 3, 4}},
    {T("[::ffff:127.0.0.1]"), 4, {127, 0, 0, 1}},
    {T("::FFFF:7f00:1"), 4, {127, 0, 0, 1}},
    {T("0:0:0:0:0:ffff:a00:1"), 4, {10, 0, 0, 1}},
    /* Neither compatible nor NAT64 addresses are mapped ones. */
    {T("::1.2.3.4"), 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}},
    {T("64:ff9b::1.2.3.4"), 6, {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}},
    {T("::fffe:1.2.3.4"), 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 1, 2, 3, 4}},
    {T("1::ffff:1.2.3.4"), 6, {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}},
};

static const struct {
    const char *s;
    size_t len;
    const char *why;
} ip_bad[] = {
    {T(""), "empty ip address"},
    {T("[1.2.3.4]"), "brackets are only for ipv6"},
    {T("[]"), "empty ip address"},
    {T("["), "missing ']'"},
    {T("[::1"), "missing ']'"},
    {T("[::1]:80"), "missing ']'"},
    {T("[[::1]]"), "brackets not allowed here"},
    {T("::1]"), "brackets not allowed here"},
    {T("[fe80::1%eth0]"), "zone id not allowed"},
    {T("127.1"), "ipv4 address needs four octets"},
    {T("1.2.3.4:80"), "ipv4 part must come last"},
    {T("example.com"), "invalid character in ipv4 address"},
    {T("[::1\0]"), "invalid character in ipv6 address"},
    {T("1.2.3\0.4"), "invalid character in ipv4 address"},
};

static void test_ip_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(ip_good); i++) {
        char *s = exact(ip_good[i].s, ip_good[i].len);
        wd_ip out;
        memset(&out, 0xaa, sizeof(out));
        const char *why = NULL;
        if (!wd_ip_parse(s, ip_good[i].len, &out, &why))
            fail_msg("refused \"%s\": %s", ip_good[i].s, why);
        assert_int_equal(out.family, ip_good[i].family);
        /* Bytes past an IPv4 address are zero, so wd_ip values compare with memcmp. */
        assert_memory_equal(out.addr, ip_good[i].addr, 16);
        free(s);
    }
}

static void test_ip_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(ip_bad); i++) {
        char *s = exact(ip_bad[i].s, ip_bad[i].len);
        wd_ip out, before;
        memset(&out, 0xaa, sizeof(out));
        memset(&before, 0xaa, sizeof(before));
        const char *why = NULL;
        bool ok = wd_ip_parse(s, ip_bad[i].len, &out, &why);
        check_why(ok, why, ip_bad[i].why, ip_bad[i].s);
        assert_memory_equal(&out, &before, sizeof(out));
        free(s);
    }
}

/* ---- wd_cidr_parse --------------------------------------------------------------------- */

static const struct {
    const char *s;
    size_t len;
    uint8_t family;
    uint8_t addr[16];
    unsigned prefix;
} cidr_good[] = {
    {T("10.0.0.0/8"), 4, {10}, 8},
    {T("0.0.0.0/0"), 4, {0}, 0},
    {T("1.2.3.4/32"), 4, {1, 2, 3, 4}, 32},
    {T("192.168.0.0/16"), 4, {192, 168}, 16},
    {T("172.16.0.0/12"), 4, {172, 16}, 12},
    {T("169.254.169.254/32"), 4, {169, 254, 169, 254}, 32},
    {T("10.0.0.128/25"), 4, {10, 0, 0, 128}, 25},
    {T("::/0"), 6, {0}, 0},
    {T("2001:db8::/32"), 6, {0x20, 0x01, 0x0d, 0xb8}, 32},
    {T("::1/128"), 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},
    {T("fe80::/10"), 6, {0xfe, 0x80}, 10},
    {T("fc00::/7"), 6, {0xfc}, 7},
    /* No folding: a mapped range stays v6. */
    {T("::ffff:0.0.0.0/96"), 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96},
    {T("::ffff:10.0.0.0/104"), 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10}, 104},
};

static const struct {
    const char *s;
    size_t len;
    const char *why;
} cidr_bad[] = {
    {T(""), "empty cidr range"},
    {T("10.0.0.1/8"), "address has bits set after the prefix"},
    {T("10.0.0.128/24"), "address has bits set after the prefix"},
    {T("1.2.3.5/31"), "address has bits set after the prefix"},
    {T("::1/127"), "address has bits set after the prefix"},
    {T("2001:db8::/28"), "address has bits set after the prefix"},
    {T("10.0.0.0/33"), "prefix length out of range 0-32"},
    {T("10.0.0.0/1000"), "prefix length out of range 0-32"},
    {T("::/129"), "prefix length out of range 0-128"},
    {T("::/99999999999"), "prefix length out of range 0-128"},
    {T("10.0.0.0/08"), "leading zero in prefix length"},
    {T("::/00"), "leading zero in prefix length"},
    {T("10.0.0.0/"), "empty prefix length"},
    {T("10.0.0.0"), "cidr range needs a '/prefix'"},
    {T("/8"), "empty address in cidr range"},
    {T("10.0.0.0/-1"), "prefix length must be decimal digits"},
    {T("10.0.0.0/+8"), "prefix length must be decimal digits"},
    {T("10.0.0.0/8 "), "prefix length must be decimal digits"},
    {T("10.0.0.0/8/8"), "prefix length must be decimal digits"},
    {T("10.0.0.0/8\0"), "prefix length must be decimal digits"},
    {T("10.0.0.0/\0"
       "8"),
     "prefix length must be decimal digits"},
    {T("[::1]/128"), "brackets not allowed here"},
    {T("10.0.0/8"), "ipv4 address needs four octets"},
    {T("010.0.0.0/8"), "leading zero in ipv4 octet"},
    {T("1::2::/64"), "more than one '::'"},
    {T("fe80::%eth0/64"), "zone id not allowed"},
    {T("example.com/8"), "invalid character in ipv4 address"},
};

static void test_cidr_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cidr_good); i++) {
        char *s = exact(cidr_good[i].s, cidr_good[i].len);
        wd_ip addr;
        memset(&addr, 0xaa, sizeof(addr));
        unsigned prefix = 999;
        const char *why = NULL;
        if (!wd_cidr_parse(s, cidr_good[i].len, &addr, &prefix, &why))
            fail_msg("refused \"%s\": %s", cidr_good[i].s, why);
        assert_int_equal(addr.family, cidr_good[i].family);
        assert_memory_equal(addr.addr, cidr_good[i].addr, 16);
        assert_int_equal(prefix, cidr_good[i].prefix);
        free(s);
    }
}

static void test_cidr_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cidr_bad); i++) {
        char *s = exact(cidr_bad[i].s, cidr_bad[i].len);
        wd_ip addr;
        memset(&addr, 0xaa, sizeof(addr));
        unsigned prefix = 999;
        const char *why = NULL;
        bool ok = wd_cidr_parse(s, cidr_bad[i].len, &addr, &prefix, &why);
        check_why(ok, why, cidr_bad[i].why, cidr_bad[i].s);
        assert_int_equal(prefix, 999);
        assert_int_equal(addr.family, 0xaa);
        free(s);
    }
}

/* ---- wd_hostname_normalize ------------------------------------------------------------- */

static const struct {
    const char *s;
    size_t len;
    const char *want;
} name_good[] = {
    {T("example.com"), "example.com"},
    {T("Example.COM"), "example.com"},
    {T("API.Example.Com."), "api.example.com"},
    {T("a.b."), "a.b"},
    {T("localhost"), "localhost"},
    {T("1password.com"), "1password.com"},
    {T("a1.example"), "a1.example"},
    {T("x-1.com"), "x-1.com"},
    {T("_dmarc.example.com"), "_dmarc.example.com"},
    {T("a_b.c-d.e"), "a_b.c-d.e"},
    {T("xn--bcher-kva.example"), "xn--bcher-kva.example"},
    {T("123.example"), "123.example"},
    {T("a.b2"), "a.b2"},
    {T("a.0x7f.com"), "a.0x7f.com"},
    {T("a"), "a"},
    {T("Z"), "z"},
};

static const struct {
    const char *s;
    size_t len;
    const char *why;
} name_bad[] = {
    {T(""), "empty host name"},
    {T("."), "empty host name"},
    {T(".."), "empty label in host name"},
    {T("a..b"), "empty label in host name"},
    {T(".a"), "empty label in host name"},
    {T("a.b.."), "empty label in host name"},
    {T("-a.com"), "label starts with '-'"},
    {T("a.-b.com"), "label starts with '-'"},
    {T("a-.com"), "label ends with '-'"},
    {T("a.com-"), "label ends with '-'"},
    {T("a b.com"), "invalid character in host name"},
    {T(" a.com"), "invalid character in host name"},
    {T("a.com "), "invalid character in host name"},
    {T("a.com\n"), "invalid character in host name"},
    {T("*.a.com"), "invalid character in host name"},
    {T("a.com:80"), "invalid character in host name"},
    {T("a.com/"), "invalid character in host name"},
    {T("user@a.com"), "invalid character in host name"},
    {T("b\xc3\xbc"
       "cher.example"),
     "invalid character in host name"},
    {T("a\0b.com"), "invalid character in host name"},
    {T("a.com\0"), "invalid character in host name"},
    {T("\0"), "invalid character in host name"},
    {T("127.1"), "numeric last label but not an ipv4 address"},
    {T("0x7f.0.0.1"), "numeric last label but not an ipv4 address"},
    {T("1.2.3"), "numeric last label but not an ipv4 address"},
    {T("010.0.0.1"), "numeric last label but not an ipv4 address"},
    {T("1.2.3.4.5"), "numeric last label but not an ipv4 address"},
    {T("a.0x7f"), "numeric last label but not an ipv4 address"},
    {T("example.1com"), "numeric last label but not an ipv4 address"},
    {T("1password"), "numeric last label but not an ipv4 address"},
    {T("2130706433"), "numeric last label but not an ipv4 address"},
    {T("a.1."), "numeric last label but not an ipv4 address"},
    {T("1.2.3.4"), "ip literal is not a host name"},
    {T("1.2.3.4."), "ip literal is not a host name"},
};

static void test_hostname_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(name_good); i++) {
        char *s = exact(name_good[i].s, name_good[i].len);
        char out[WD_HOST_NAME_MAX + 1];
        memset(out, 'X', sizeof(out));
        const char *why = NULL;
        if (!wd_hostname_normalize(s, name_good[i].len, out, sizeof(out), &why))
            fail_msg("refused \"%s\": %s", name_good[i].s, why);
        assert_string_equal(out, name_good[i].want);
        free(s);
    }
}

static void test_hostname_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(name_bad); i++) {
        char *s = exact(name_bad[i].s, name_bad[i].len);
        char out[WD_HOST_NAME_MAX + 1];
        memset(out, 'X', sizeof(out));
        const char *why = NULL;
        bool ok = wd_hostname_normalize(s, name_bad[i].len, out, sizeof(out), &why);
        check_why(ok, why, name_bad[i].why, name_bad[i].s);
        assert_int_equal(out[0], 'X');
        free(s);
    }
}

/* Fills buf with dot-separated labels of the given lengths ('a'..), returns the total length. */
static size_t build_name(char *buf, const size_t *labels, size_t count)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (i)
            buf[n++] = '.';
        for (size_t k = 0; k < labels[i]; k++)
            buf[n++] = (char)('A' + (i + k) % 26); /* uppercase, to check lowercasing too */
    }
    return n;
}

static void test_hostname_lengths(void **state)
{
    (void)state;
    char in[300], out[WD_HOST_NAME_MAX + 1], want[300];
    const char *why = NULL;

    /* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253: the longest name. */
    size_t n = build_name(in, (const size_t[]){63, 63, 63, 61}, 4);
    assert_int_equal(n, 253);
    for (size_t i = 0; i < n; i++)
        want[i] = (char)(in[i] == '.' ? '.' : in[i] - 'A' + 'a');
    want[n] = '\0';
    char *s = exact(in, n);
    assert_true(wd_hostname_normalize(s, n, out, sizeof(out), &why));
    assert_string_equal(out, want);
    free(s);

    /* The same with a trailing dot (254 bytes) is still 253 once the dot is dropped. */
    in[n] = '.';
    s = exact(in, n + 1);
    memset(out, 'X', sizeof(out));
    assert_true(wd_hostname_normalize(s, n + 1, out, sizeof(out), &why));
    assert_string_equal(out, want);
    free(s);

    /* The buffer must fit the name and its NUL. */
    s = exact(in, n);
    why = NULL;
    assert_false(wd_hostname_normalize(s, n, out, n, &why));
    assert_string_equal(why, "host name buffer too small");
    assert_true(wd_hostname_normalize(s, n, out, n + 1, &why));
    assert_string_equal(out, want);
    free(s);

    /* 254 characters. */
    n = build_name(in, (const size_t[]){63, 63, 63, 62}, 4);
    assert_int_equal(n, 254);
    s = exact(in, n);
    why = NULL;
    assert_false(wd_hostname_normalize(s, n, out, sizeof(out), &why));
    assert_string_equal(why, "host name longer than 253 characters");
    free(s);

    /* 254 characters plus a trailing dot. */
    in[n] = '.';
    s = exact(in, n + 1);
    why = NULL;
    assert_false(wd_hostname_normalize(s, n + 1, out, sizeof(out), &why));
    assert_string_equal(why, "host name longer than 253 characters");
    free(s);

    /* A 63-character label is the longest. */
    n = build_name(in, (const size_t[]){63, 3}, 2);
    assert_int_equal(n, 67);
    s = exact(in, n);
    memset(out, 'X', sizeof(out));
    assert_true(wd_hostname_normalize(s, n, out, sizeof(out), &why));
    assert_int_equal(strlen(out), 67);
    assert_int_equal(out[0], 'a');
    assert_int_equal(out[63], '.');
    free(s);

    n = build_name(in, (const size_t[]){3, 64}, 2);
    s = exact(in, n);
    why = NULL;
    assert_false(wd_hostname_normalize(s, n, out, sizeof(out), &why));
    assert_string_equal(why, "label longer than 63 characters");
    free(s);

    n = build_name(in, (const size_t[]){64}, 1);
    s = exact(in, n);
    why = NULL;
    assert_false(wd_hostname_normalize(s, n, out, sizeof(out), &why));
    assert_string_equal(why, "label longer than 63 characters");
    free(s);
}

/* ---- wd_port_parse --------------------------------------------------------------------- */

static const struct {
    const char *s;
    size_t len;
    unsigned port;
} port_good[] = {
    {T("1"), 1},       {T("80"), 80},       {T("443"), 443},
    {T("8080"), 8080}, {T("65535"), 65535}, {T("10000"), 10000},
};

static const struct {
    const char *s;
    size_t len;
    const char *why;
} port_bad[] = {
    {T(""), "empty port"},
    {T("0"), "port out of range 1-65535"},
    {T("65536"), "port out of range 1-65535"},
    {T("99999"), "port out of range 1-65535"},
    {T("100000"), "port out of range 1-65535"},
    {T("4294967376"), "port out of range 1-65535"},
    {T("080"), "leading zero in port"},
    {T("00"), "leading zero in port"},
    {T("00080"), "leading zero in port"},
    {T("+80"), "port must be decimal digits"},
    {T("-80"), "port must be decimal digits"},
    {T(" 80"), "port must be decimal digits"},
    {T("80 "), "port must be decimal digits"},
    {T("0x50"), "port must be decimal digits"},
    {T("8e1"), "port must be decimal digits"},
    {T("http"), "port must be decimal digits"},
    {T("8\0"
       "0"),
     "port must be decimal digits"},
    {T("80\0"), "port must be decimal digits"},
};

static void test_port_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(port_good); i++) {
        char *s = exact(port_good[i].s, port_good[i].len);
        unsigned port = 0;
        const char *why = NULL;
        if (!wd_port_parse(s, port_good[i].len, &port, &why))
            fail_msg("refused \"%s\": %s", port_good[i].s, why);
        assert_int_equal(port, port_good[i].port);
        free(s);
    }
}

static void test_port_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(port_bad); i++) {
        char *s = exact(port_bad[i].s, port_bad[i].len);
        unsigned port = 7;
        const char *why = NULL;
        bool ok = wd_port_parse(s, port_bad[i].len, &port, &why);
        check_why(ok, why, port_bad[i].why, port_bad[i].s);
        assert_int_equal(port, 7);
        free(s);
    }
}

/* ---- wd_host_spec_parse ---------------------------------------------------------------- */

static const struct {
    const char *s;
    size_t len;
    bool wild;
    wd_host_kind kind;
    const char *name;
    const char *scheme;
    unsigned port;
    uint8_t family;
    uint8_t addr[16];
} spec_good[] = {
    {T("HTTPS://API.Example.COM:443/"),
     true,
     WD_HOST_NAME,
     "api.example.com",
     "https",
     443,
     0,
     {0}},
    {T("https://rss.nytimes.com/"), false, WD_HOST_NAME, "rss.nytimes.com", "https", 0, 0, {0}},
    {T("api.example.com"), false, WD_HOST_NAME, "api.example.com", "", 0, 0, {0}},
    {T("Example.COM."), false, WD_HOST_NAME, "example.com", "", 0, 0, {0}},
    {T("example.com.:8443"), false, WD_HOST_NAME, "example.com", "", 8443, 0, {0}},
    {T("example.com/"), false, WD_HOST_NAME, "example.com", "", 0, 0, {0}},
    {T("localhost:5432"), false, WD_HOST_NAME, "localhost", "", 5432, 0, {0}},
    {T("1password.com"), false, WD_HOST_NAME, "1password.com", "", 0, 0, {0}},
    {T("postgres://db.internal:5432"),
     false,
     WD_HOST_NAME,
     "db.internal",
     "postgres",
     5432,
     0,
     {0}},
    {T("git+ssh://git.example.org"), false, WD_HOST_NAME, "git.example.org", "git+ssh", 0, 0, {0}},
    {T("a.b-c.d1://x.com"), false, WD_HOST_NAME, "x.com", "a.b-c.d1", 0, 0, {0}},
    {T("abcdefghijklmno://x.com"), false, WD_HOST_NAME, "x.com", "abcdefghijklmno", 0, 0, {0}},
    {T("*"), true, WD_HOST_ANY, "", "", 0, 0, {0}},
    {T("*:443"), true, WD_HOST_ANY, "", "", 443, 0, {0}},
    {T("https://*"), true, WD_HOST_ANY, "", "https", 0, 0, {0}},
    {T("wss://*:8443/"), true, WD_HOST_ANY, "", "wss", 8443, 0, {0}},
    {T("*.Example.com"), true, WD_HOST_WILDCARD, "example.com", "", 0, 0, {0}},
    {T("*.com"), true, WD_HOST_WILDCARD, "com", "", 0, 0, {0}},
    {T("https://*.api.example.com:443/"),
     true,
     WD_HOST_WILDCARD,
     "api.example.com",
     "https",
     443,
     0,
     {0}},
    {T("*.example.com."), true, WD_HOST_WILDCARD, "example.com", "", 0, 0, {0}},
    {T("1.2.3.4:80"), false, WD_HOST_IP, "", "", 80, 4, {1, 2, 3, 4}},
    {T("1.2.3.4"), true, WD_HOST_IP, "", "", 0, 4, {1, 2, 3, 4}},
    {T("http://10.0.0.1:8080/"), false, WD_HOST_IP, "", "http", 8080, 4, {10, 0, 0, 1}},
    {T("[::1]:8080"),
     false,
     WD_HOST_IP,
     "",
     "",
     8080,
     6,
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {T("[::1]"), false, WD_HOST_IP, "", "", 0, 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {T("::1"), false, WD_HOST_IP, "", "", 0, 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {T("https://[2001:db8::1]:443/"),
     false,
     WD_HOST_IP,
     "",
     "https",
     443,
     6,
     {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {T("https://[fe80::1]/"),
     false,
     WD_HOST_IP,
     "",
     "https",
     0,
     6,
     {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    /* A bare IPv6 literal never has a port: "::1:80" is the address ::1:80. */
    {T("::1:80"),
     false,
     WD_HOST_IP,
     "",
     "",
     0,
     6,
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x80}},
    {T("[::ffff:127.0.0.1]:22"), false, WD_HOST_IP, "", "", 22, 4, {127, 0, 0, 1}},
    {T("::ffff:10.1.2.3"), false, WD_HOST_IP, "", "", 0, 4, {10, 1, 2, 3}},
};

static const struct {
    const char *s;
    size_t len;
    bool wild;
    const char *why;
} spec_bad[] = {
    {T(""), true, "empty host"},
    {T("/"), true, "empty host"},
    {T("https://"), true, "empty host"},
    {T("https:///"), true, "empty host"},
    {T(":80"), true, "empty host"},
    {T("a.*.com"), true, "wildcard only allowed as a leading '*.'"},
    {T("*example.com"), true, "wildcard only allowed as a leading '*.'"},
    {T("**.a.com"), true, "wildcard only allowed as a leading '*.'"},
    {T("*.*.a.com"), true, "wildcard only allowed as a leading '*.'"},
    {T("ex*ample.com"), true, "wildcard only allowed as a leading '*.'"},
    {T("example.*"), true, "wildcard only allowed as a leading '*.'"},
    {T("**"), true, "wildcard only allowed as a leading '*.'"},
    {T("*."), true, "empty host name"},
    {T("*.."), true, "empty host name"},
    {T("*.a..com"), true, "empty label in host name"},
    {T("*.1.2.3.4"), true, "ip literal is not a host name"},
    {T("*.127.1"), true, "numeric last label but not an ipv4 address"},
    {T("*"), false, "wildcards not allowed here"},
    {T("*:443"), false, "wildcards not allowed here"},
    {T("*.example.com"), false, "wildcards not allowed here"},
    {T("https://*.example.com/"), false, "wildcards not allowed here"},
    {T("a.*.com"), false, "wildcards not allowed here"},
    {T("[1.2.3.4]"), true, "brackets are only for ipv6"},
    {T("[1.2.3.4]:80"), true, "brackets are only for ipv6"},
    {T("[::1"), true, "missing ']'"},
    {T("[::1]8080"), true, "expected ':port' after ']'"},
    {T("[::1]:"), true, "empty port"},
    {T("[::1]:0"), true, "port out of range 1-65535"},
    {T("[fe80::1%eth0]:80"), true, "zone id not allowed"},
    {T("::1:"), true, "trailing single colon"},
    {T("example.com:80:90"), true, "invalid character in ipv6 address"},
    {T("user@host"), true, "userinfo ('user@') not allowed"},
    {T("https://user:pw@host/"), true, "userinfo ('user@') not allowed"},
    {T("host/path"), true, "path not allowed"},
    {T("https://host/path"), true, "path not allowed"},
    {T("host//"), true, "path not allowed"},
    {T("https:/host"), true, "path not allowed"},
    {T("::/0"), true, "path not allowed"},
    {T("host?q"), true, "query not allowed"},
    {T("host/?q"), true, "query not allowed"},
    {T("host#f"), true, "fragment not allowed"},
    {T("host:"), true, "empty port"},
    {T("host:0"), true, "port out of range 1-65535"},
    {T("host:65536"), true, "port out of range 1-65535"},
    {T("host:+80"), true, "port must be decimal digits"},
    {T("host:080"), true, "leading zero in port"},
    {T("host:http"), true, "port must be decimal digits"},
    {T("://host"), true, "empty scheme"},
    {T("1http://x"), true, "scheme must start with a letter"},
    {T("+http://x"), true, "scheme must start with a letter"},
    {T("ht_tp://x"), true, "invalid character in scheme"},
    {T("ht:tp://x"), true, "invalid character in scheme"},
    {T("abcdefghijklmnop://x.com"), true, "scheme longer than 15 characters"},
    {T("https://https://x.com"), true, "path not allowed"},
    {T(" host"), true, "whitespace or control character in host"},
    {T("host "), true, "whitespace or control character in host"},
    {T("ho st"), true, "whitespace or control character in host"},
    {T("host\t"), true, "whitespace or control character in host"},
    {T("https:// host"), true, "whitespace or control character in host"},
    {T("host:80\n"), true, "whitespace or control character in host"},
    {T("host\0.evil.com"), true, "whitespace or control character in host"},
    {T("host\0"), true, "whitespace or control character in host"},
    {T("host:8\0"
       "0"),
     true, "whitespace or control character in host"},
    {T("127.1"), true, "numeric last label but not an ipv4 address"},
    {T("0x7f.0.0.1"), true, "numeric last label but not an ipv4 address"},
    {T("010.0.0.1:80"), true, "numeric last label but not an ipv4 address"},
    {T("1.2.3.4.:80"), true, "ip literal is not a host name"},
    {T("256.1.1.1"), true, "numeric last label but not an ipv4 address"},
    {T("-a.com"), true, "label starts with '-'"},
    {T("a..com"), true, "empty label in host name"},
};

static void test_host_spec_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(spec_good); i++) {
        char *s = exact(spec_good[i].s, spec_good[i].len);
        wd_host_spec out;
        memset(&out, 0xaa, sizeof(out));
        const char *why = NULL;
        if (!wd_host_spec_parse(s, spec_good[i].len, spec_good[i].wild, &out, &why))
            fail_msg("refused \"%s\": %s", spec_good[i].s, why);
        if (out.kind != spec_good[i].kind)
            fail_msg("\"%s\": kind %d, expected %d", spec_good[i].s, (int)out.kind,
                     (int)spec_good[i].kind);
        assert_string_equal(out.name, spec_good[i].name);
        assert_string_equal(out.scheme, spec_good[i].scheme);
        assert_int_equal(out.port, spec_good[i].port);
        if (spec_good[i].kind == WD_HOST_IP) {
            assert_int_equal(out.ip.family, spec_good[i].family);
            assert_memory_equal(out.ip.addr, spec_good[i].addr, 16);
        } else {
            assert_int_equal(out.ip.family, 0);
        }
        free(s);
    }
}

static void test_host_spec_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(spec_bad); i++) {
        char *s = exact(spec_bad[i].s, spec_bad[i].len);
        wd_host_spec out, before;
        memset(&out, 0xaa, sizeof(out));
        memset(&before, 0xaa, sizeof(before));
        const char *why = NULL;
        bool ok = wd_host_spec_parse(s, spec_bad[i].len, spec_bad[i].wild, &out, &why);
        check_why(ok, why, spec_bad[i].why, spec_bad[i].s);
        assert_memory_equal(&out, &before, sizeof(out));
        free(s);
    }
}

/* ---- inputs that are not NUL-terminated ------------------------------------------------ */

/* The byte at s[len] is a digit that would change the answer if it were read. */
static void test_not_nul_terminated(void **state)
{
    (void)state;
    const char *why = NULL;

    static const char ip4[] = {'1', '.', '2', '.', '3', '.', '4', '5'};
    uint8_t a4[4];
    assert_true(wd_ip4_parse(ip4, 7, a4, &why));
    assert_memory_equal(a4, ((uint8_t[4]){1, 2, 3, 4}), 4);

    static const char ip6[] = {':', ':', '1', '2'};
    uint8_t a6[16];
    assert_true(wd_ip6_parse(ip6, 3, a6, &why));
    assert_memory_equal(a6, ((uint8_t[16]){[15] = 1}), 16);

    static const char ip6_trailing[] = {'1', ':', '2'};
    why = NULL;
    assert_false(wd_ip6_parse(ip6_trailing, 2, a6, &why));
    assert_string_equal(why, "trailing single colon");

    static const char ip[] = {'[', ':', ':', '1', ']', '9'};
    wd_ip addr;
    assert_true(wd_ip_parse(ip, 5, &addr, &why));
    assert_int_equal(addr.family, 6);
    assert_memory_equal(addr.addr, ((uint8_t[16]){[15] = 1}), 16);

    static const char cidr[] = {'1', '0', '.', '0', '.', '0', '.', '0', '/', '8', '0'};
    unsigned prefix = 0;
    assert_true(wd_cidr_parse(cidr, 10, &addr, &prefix, &why));
    assert_int_equal(prefix, 8);
    assert_int_equal(addr.family, 4);
    assert_memory_equal(addr.addr, ((uint8_t[16]){10}), 16);

    static const char cidr_empty[] = {'1', '0', '.', '0', '.', '0', '.', '0', '/', '8'};
    why = NULL;
    assert_false(wd_cidr_parse(cidr_empty, 9, &addr, &prefix, &why));
    assert_string_equal(why, "empty prefix length");

    static const char port[] = {'8', '0', '8'};
    unsigned p = 0;
    assert_true(wd_port_parse(port, 2, &p, &why));
    assert_int_equal(p, 80);

    static const char port_zero[] = {'0', '1'};
    why = NULL;
    assert_false(wd_port_parse(port_zero, 1, &p, &why));
    assert_string_equal(why, "port out of range 1-65535");

    static const char name[] = {'A', '.', 'B', '1'};
    char out[WD_HOST_NAME_MAX + 1];
    assert_true(wd_hostname_normalize(name, 3, out, sizeof(out), &why));
    assert_string_equal(out, "a.b");

    static const char spec[] = {'h', 'o', 's', 't', ':', '8', '0', '8'};
    wd_host_spec hs;
    assert_true(wd_host_spec_parse(spec, 7, false, &hs, &why));
    assert_int_equal(hs.kind, WD_HOST_NAME);
    assert_string_equal(hs.name, "host");
    assert_int_equal(hs.port, 80);

    static const char spec_colon[] = {'h', 'o', 's', 't', ':', '8'};
    why = NULL;
    assert_false(wd_host_spec_parse(spec_colon, 5, false, &hs, &why));
    assert_string_equal(why, "empty port");
}

/* Embedded NULs are refused by every parser, not taken as the end of the string. */
static void test_embedded_nul(void **state)
{
    (void)state;
    const char *why;
    uint8_t a[16];
    wd_ip ip;
    unsigned n;
    char out[WD_HOST_NAME_MAX + 1];
    wd_host_spec hs;

    why = NULL;
    assert_false(wd_ip4_parse(T("1.2.3.4\0"
                                "5"),
                              a, &why));
    assert_non_null(why);
    why = NULL;
    assert_false(wd_ip6_parse(T("::1\0"
                                "2"),
                              a, &why));
    assert_non_null(why);
    why = NULL;
    assert_false(wd_ip_parse(T("1.2.3.4\0"), &ip, &why));
    assert_non_null(why);
    why = NULL;
    assert_false(wd_cidr_parse(T("10.0.0.0\0/8"), &ip, &n, &why));
    assert_non_null(why);
    why = NULL;
    assert_false(wd_port_parse(T("80\0"
                                 "80"),
                               &n, &why));
    assert_non_null(why);
    why = NULL;
    assert_false(wd_hostname_normalize(T("good.com\0.evil.com"), out, sizeof(out), &why));
    assert_string_equal(why, "invalid character in host name");
    why = NULL;
    assert_false(wd_host_spec_parse(T("good.com\0.evil.com"), true, &hs, &why));
    assert_string_equal(why, "whitespace or control character in host");
}

/* A NULL why is tolerated; a non-NULL one is always set on refusal. */
static void test_null_why(void **state)
{
    (void)state;
    uint8_t a[4];
    assert_false(wd_ip4_parse(T("1.2.3"), a, NULL));
    unsigned p;
    assert_false(wd_port_parse(T("0"), &p, NULL));
    assert_true(wd_port_parse(T("22"), &p, NULL));
    assert_int_equal(p, 22);
}

/* ---- wd_scheme_default_port ------------------------------------------------------------ */

static void test_scheme_default_port(void **state)
{
    (void)state;
    static const struct {
        const char *scheme;
        unsigned port;
    } cases[] = {
        {"http", 80},    {"https", 443},     {"ws", 80},           {"wss", 443},
        {"ftp", 21},     {"ssh", 22},        {"smtp", 25},         {"imap", 143},
        {"imaps", 993},  {"postgres", 5432}, {"postgresql", 5432}, {"mysql", 3306},
        {"redis", 6379}, {"amqp", 5672},     {"amqps", 5671},      {"mqtt", 1883},
        {"mqtts", 8883}, {"ldap", 389},      {"ldaps", 636},       {"HTTPS", 443},
        {"", 0},         {"gopher", 0},      {"http2", 0},         {"htt", 0},
        {"httpss", 0},   {"git+ssh", 0},     {"sftp", 0},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        unsigned got = wd_scheme_default_port(cases[i].scheme);
        if (got != cases[i].port)
            fail_msg("scheme \"%s\": %u, expected %u", cases[i].scheme, got, cases[i].port);
    }
    assert_int_equal(wd_scheme_default_port(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip4_good),
        cmocka_unit_test(test_ip4_bad),
        cmocka_unit_test(test_ip6_good),
        cmocka_unit_test(test_ip6_bad),
        cmocka_unit_test(test_ip_good),
        cmocka_unit_test(test_ip_bad),
        cmocka_unit_test(test_cidr_good),
        cmocka_unit_test(test_cidr_bad),
        cmocka_unit_test(test_hostname_good),
        cmocka_unit_test(test_hostname_bad),
        cmocka_unit_test(test_hostname_lengths),
        cmocka_unit_test(test_port_good),
        cmocka_unit_test(test_port_bad),
        cmocka_unit_test(test_host_spec_good),
        cmocka_unit_test(test_host_spec_bad),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_null_why),
        cmocka_unit_test(test_scheme_default_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
