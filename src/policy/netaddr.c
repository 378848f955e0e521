/* netaddr.c: strict parsers for the network half of a policy. Every parser works on (s, len),
 * never reads s[len], and writes its outputs only once the whole input has been accepted, so a
 * refused input leaves the caller's variables as they were. Character classes are spelled out
 * in ASCII rather than taken from <ctype.h>, whose answers depend on the locale. */
#include "policy/netaddr.h"
#include "util/ascii.h"

#include <stdio.h>
#include <string.h>

static bool fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return false;
}

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool contains(const char *s, size_t len, char c)
{
    return len > 0 && memchr(s, c, len) != NULL;
}

bool wd_ip4_parse(const char *s, size_t len, uint8_t out[static 4], const char **why)
{
    uint8_t octets[4];
    size_t count = 0;
    size_t i = 0;

    if (!s || len == 0)
        return fail(why, "empty ipv4 address");
    for (;;) {
        size_t start = i;
        unsigned value = 0;
        while (i < len && wd_is_digit(s[i])) {
            /* Stop accumulating past three digits: the length check below refuses them. */
            if (i - start < 3)
                value = value * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        size_t digits = i - start;
        if (digits == 0) {
            if (i < len && s[i] != '.')
                return fail(why, "invalid character in ipv4 address");
            return fail(why, "empty octet in ipv4 address");
        }
        if (digits > 1 && s[start] == '0')
            return fail(why, "leading zero in ipv4 octet");
        if (digits > 3 || value > 255)
            return fail(why, "octet out of range");
        if (count == 4)
            return fail(why, "ipv4 address needs four octets");
        octets[count++] = (uint8_t)value;
        if (i == len)
            break;
        if (s[i] != '.')
            return fail(why, "invalid character in ipv4 address");
        i++;
    }
    if (count != 4)
        return fail(why, "ipv4 address needs four octets");
    memcpy(out, octets, 4);
    return true;
}

/* Characters people try to put into an IPv6 literal that this function refuses on principle;
 * named so the error says what is wrong rather than "invalid character". */
static const char *ip6_foreign_syntax(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '%':
            return "zone id not allowed";
        case '[':
        case ']':
            return "brackets not allowed here";
        case '/':
            return "prefix not allowed here";
        default:
            break;
        }
    }
    return NULL;
}

bool wd_ip6_parse(const char *s, size_t len, uint8_t out[static 16], const char **why)
{
    uint16_t groups[8];
    size_t count = 0;
    bool has_gap = false;
    size_t gap = 0; /* groups written before the "::" */
    size_t i = 0;

    if (!s || len == 0)
        return fail(why, "empty ipv6 address");
    const char *foreign = ip6_foreign_syntax(s, len);
    if (foreign)
        return fail(why, foreign);

    if (s[0] == ':') {
        if (len < 2 || s[1] != ':')
            return fail(why, "leading single colon");
        has_gap = true;
        i = 2;
        if (i < len && s[i] == ':')
            return fail(why, "too many colons");
    }
    while (i < len) {
        size_t j = i;
        unsigned value = 0;
        while (j < len && wd_hex_value(s[j]) >= 0) {
            if (j - i < 4)
                value = value * 16 + (unsigned)wd_hex_value(s[j]);
            j++;
        }
        if (j < len && s[j] == '.') {
            /* An IPv4 tail: it fills the last 32 bits, so nothing may follow it. */
            uint8_t v4[4];
            if (contains(s + i, len - i, ':'))
                return fail(why, "ipv4 part must come last");
            if (count > 6)
                return fail(why, "too many groups");
            if (!wd_ip4_parse(s + i, len - i, v4, why))
                return false;
            groups[count++] = (uint16_t)(v4[0] << 8 | v4[1]);
            groups[count++] = (uint16_t)(v4[2] << 8 | v4[3]);
            i = len;
            break;
        }
        if (j == i)
            return fail(why, "invalid character in ipv6 address");
        if (j - i > 4)
            return fail(why, "group longer than 4 hex digits");
        if (count == 8)
            return fail(why, "too many groups");
        groups[count++] = (uint16_t)value;
        i = j;
        if (i == len)
            break;
        if (s[i] != ':')
            return fail(why, "invalid character in ipv6 address");
        i++;
        if (i == len)
            return fail(why, "trailing single colon");
        if (s[i] == ':') {
            if (has_gap)
                return fail(why, "more than one '::'");
            has_gap = true;
            gap = count;
            i++;
            if (i < len && s[i] == ':')
                return fail(why, "too many colons");
        }
    }
    if (has_gap && count == 8)
        return fail(why, "'::' must stand for at least one group");
    if (!has_gap && count != 8)
        return fail(why, "too few groups");

    uint16_t full[8] = {0};
    if (!has_gap)
        gap = count;
    for (size_t k = 0; k < gap; k++)
        full[k] = groups[k];
    for (size_t k = gap; k < count; k++)
        full[8 - (count - k)] = groups[k];
    for (size_t k = 0; k < 8; k++) {
        out[2 * k] = (uint8_t)(full[k] >> 8);
        out[2 * k + 1] = (uint8_t)(full[k] & 0xff);
    }
    return true;
}

/* ::ffff:0:0/96, whatever text produced it: "::ffff:7f00:1" must not dodge a rule on
 * 127.0.0.0/8 any more than "::ffff:127.0.0.1" may. */
static bool ip6_is_v4_mapped(const uint8_t a[static 16])
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, prefix, sizeof(prefix)) == 0;
}

bool wd_ip_parse(const char *s, size_t len, wd_ip *out, const char **why)
{
    wd_ip ip;
    memset(&ip, 0, sizeof(ip));

    if (!s || len == 0)
        return fail(why, "empty ip address");
    if (s[0] == '[') {
        if (len < 2 || s[len - 1] != ']')
            return fail(why, "missing ']'");
        const char *inner = s + 1;
        size_t inner_len = len - 2;
        if (inner_len == 0)
            return fail(why, "empty ip address");
        if (!contains(inner, inner_len, ':'))
            return fail(why, "brackets are only for ipv6");
        if (!wd_ip6_parse(inner, inner_len, ip.addr, why))
            return false;
        ip.family = 6;
    } else if (contains(s, len, ':')) {
        if (!wd_ip6_parse(s, len, ip.addr, why))
            return false;
        ip.family = 6;
    } else {
        if (!wd_ip4_parse(s, len, ip.addr, why))
            return false;
        ip.family = 4;
    }
    if (ip.family == 6 && ip6_is_v4_mapped(ip.addr)) {
        uint8_t v4[4];
        memcpy(v4, ip.addr + 12, 4);
        memset(ip.addr, 0, sizeof(ip.addr));
        memcpy(ip.addr, v4, 4);
        ip.family = 4;
    }
    *out = ip;
    return true;
}

bool wd_cidr_parse(const char *s, size_t len, wd_ip *addr, unsigned *prefix, const char **why)
{
    wd_ip ip;
    memset(&ip, 0, sizeof(ip));

    if (!s || len == 0)
        return fail(why, "empty cidr range");
    const char *slash = memchr(s, '/', len);
    if (!slash)
        return fail(why, "cidr range needs a '/prefix'");
    size_t addr_len = (size_t)(slash - s);
    const char *p = slash + 1;
    size_t p_len = len - addr_len - 1;
    if (addr_len == 0)
        return fail(why, "empty address in cidr range");

    unsigned max;
    if (contains(s, addr_len, ':')) {
        if (!wd_ip6_parse(s, addr_len, ip.addr, why))
            return false;
        ip.family = 6;
        max = 128;
    } else {
        if (!wd_ip4_parse(s, addr_len, ip.addr, why))
            return false;
        ip.family = 4;
        max = 32;
    }

    if (p_len == 0)
        return fail(why, "empty prefix length");
    unsigned bits = 0;
    for (size_t i = 0; i < p_len; i++) {
        if (!wd_is_digit(p[i]))
            return fail(why, "prefix length must be decimal digits");
        if (i < 3)
            bits = bits * 10 + (unsigned)(p[i] - '0');
    }
    if (p_len > 1 && p[0] == '0')
        return fail(why, "leading zero in prefix length");
    if (p_len > 3 || bits > max)
        return fail(why, ip.family == 4 ? "prefix length out of range 0-32"
                                        : "prefix length out of range 0-128");

    for (unsigned b = bits; b < max; b++) {
        if (ip.addr[b / 8] & (0x80u >> (b % 8)))
            return fail(why, "address has bits set after the prefix");
    }
    *addr = ip;
    *prefix = bits;
    return true;
}

/* Host name characters, lowercased; 0 for everything else ('.' is handled by the caller).
 * One table lookup per character both validates and lowercases: this runs on every connect
 * decision. */
static const unsigned char host_chars[256] = {
    ['-'] = '-', ['_'] = '_', ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9', ['a'] = 'a', ['b'] = 'b',
    ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i',
    ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n', ['o'] = 'o', ['p'] = 'p',
    ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w',
    ['x'] = 'x', ['y'] = 'y', ['z'] = 'z', ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd',
    ['E'] = 'e', ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k',
    ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r',
    ['S'] = 's', ['T'] = 't', ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y',
    ['Z'] = 'z',
};

bool wd_hostname_normalize(const char *s, size_t len, char *out, size_t out_size, const char **why)
{
    if (!s || len == 0)
        return fail(why, "empty host name");
    size_t n = len;
    if (s[n - 1] == '.')
        n--;
    if (n == 0)
        return fail(why, "empty host name");
    if (n > WD_HOST_NAME_MAX)
        return fail(why, "host name longer than 253 characters");
    if (!out || out_size < n + 1)
        return fail(why, "host name buffer too small");

    /* Built in a local buffer: a refused name leaves out untouched. */
    char low[WD_HOST_NAME_MAX + 1];
    size_t label = 0;      /* start of the label being read */
    size_t last_label = 0; /* start of the last complete one */
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            unsigned char c = host_chars[(unsigned char)s[i]];
            if (!c)
                return fail(why, "invalid character in host name");
            low[i] = (char)c;
            continue;
        }
        size_t label_len = i - label;
        if (label_len == 0)
            return fail(why, "empty label in host name");
        if (label_len > 63)
            return fail(why, "label longer than 63 characters");
        if (s[label] == '-')
            return fail(why, "label starts with '-'");
        if (s[i - 1] == '-')
            return fail(why, "label ends with '-'");
        if (i < n)
            low[i] = '.';
        last_label = label;
        label = i + 1;
    }
    /* inet_aton and friends read "127.1", "0x7f.1" or "010.0.0.1" as addresses; such a name
     * would be resolved to something other than what it says, so it is never a name. */
    if (wd_is_digit(s[last_label])) {
        uint8_t ignored[4];
        if (wd_ip4_parse(s, n, ignored, NULL))
            return fail(why, "ip literal is not a host name");
        return fail(why, "numeric last label but not an ipv4 address");
    }
    memcpy(out, low, n);
    out[n] = '\0';
    return true;
}

bool wd_port_parse(const char *s, size_t len, unsigned *port, const char **why)
{
    if (!s || len == 0)
        return fail(why, "empty port");
    unsigned value = 0;
    for (size_t i = 0; i < len; i++) {
        if (!wd_is_digit(s[i]))
            return fail(why, "port must be decimal digits");
        if (i < 5)
            value = value * 10 + (unsigned)(s[i] - '0');
    }
    if (len > 1 && s[0] == '0')
        return fail(why, "leading zero in port");
    if (len > 5 || value < 1 || value > 65535)
        return fail(why, "port out of range 1-65535");
    *port = value;
    return true;
}

/* Refuses, with a reason, the characters that can never be part of a host spec. Checked up
 * front so that "user@host" says "userinfo" rather than whatever a later parser trips on. */
static const char *spec_forbidden(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f)
            return "whitespace or control character in host";
        if (c == '@')
            return "userinfo ('user@') not allowed";
        if (c == '?')
            return "query not allowed";
        if (c == '#')
            return "fragment not allowed";
    }
    return NULL;
}

static const char *find_scheme_separator(const char *s, size_t len)
{
    for (size_t i = 0; i + 3 <= len; i++) {
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
            return s + i;
    }
    return NULL;
}

static bool parse_scheme(const char *s, size_t len, char out[static WD_SCHEME_MAX + 1],
                         const char **why)
{
    if (len == 0)
        return fail(why, "empty scheme");
    if (len > WD_SCHEME_MAX)
        return fail(why, "scheme longer than 15 characters");
    if (!wd_is_alpha(s[0]))
        return fail(why, "scheme must start with a letter");
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!wd_is_alpha(c) && !wd_is_digit(c) && c != '+' && c != '-' && c != '.')
            return fail(why, "invalid character in scheme");
    }
    for (size_t i = 0; i < len; i++)
        out[i] = to_lower(s[i]);
    out[len] = '\0';
    return true;
}

/* The host part without brackets or port: "*", "*.name", an IPv4 literal or a name. */
static bool parse_plain_host(const char *h, size_t len, bool allow_wildcards, wd_host_spec *spec,
                             const char **why)
{
    if (len == 0)
        return fail(why, "empty host");
    if (contains(h, len, '*')) {
        if (!allow_wildcards)
            return fail(why, "wildcards not allowed here");
        if (len == 1) {
            spec->kind = WD_HOST_ANY;
            return true;
        }
        if (h[0] != '*' || h[1] != '.' || contains(h + 2, len - 2, '*'))
            return fail(why, "wildcard only allowed as a leading '*.'");
        if (!wd_hostname_normalize(h + 2, len - 2, spec->name, sizeof(spec->name), why))
            return false;
        spec->kind = WD_HOST_WILDCARD;
        return true;
    }
    if (wd_ip4_parse(h, len, spec->ip.addr, NULL)) {
        spec->ip.family = 4;
        spec->kind = WD_HOST_IP;
        return true;
    }
    if (!wd_hostname_normalize(h, len, spec->name, sizeof(spec->name), why))
        return false;
    spec->kind = WD_HOST_NAME;
    return true;
}

bool wd_host_spec_parse(const char *s, size_t len, bool allow_wildcards, wd_host_spec *out,
                        const char **why)
{
    return wd_host_spec_parse_part(s, len, allow_wildcards, out, why, NULL);
}

static bool fail_part(const char **why, const char *reason, wd_host_part *part, wd_host_part p)
{
    if (part)
        *part = p;
    return fail(why, reason);
}

bool wd_host_spec_parse_part(const char *s, size_t len, bool allow_wildcards, wd_host_spec *out,
                             const char **why, wd_host_part *part)
{
    if (part)
        *part = WD_HOST_PART_HOST;
    wd_host_spec spec;
    memset(&spec, 0, sizeof(spec));

    if (!s || len == 0)
        return fail(why, "empty host");
    const char *forbidden = spec_forbidden(s, len);
    if (forbidden)
        return fail(why, forbidden);

    size_t i = 0;
    const char *sep = find_scheme_separator(s, len);
    if (sep) {
        size_t scheme_len = (size_t)(sep - s);
        if (!parse_scheme(s, scheme_len, spec.scheme, why))
            return false;
        i = scheme_len + 3;
    }

    size_t end = len;
    if (end > i && s[end - 1] == '/')
        end--;
    const char *h = s + i;
    size_t h_len = end - i;
    if (contains(h, h_len, '/'))
        return fail(why, "path not allowed");
    if (h_len == 0)
        return fail(why, "empty host");

    const char *port = NULL;
    size_t port_len = 0;
    if (h[0] == '[') {
        const char *close = memchr(h, ']', h_len);
        if (!close)
            return fail(why, "missing ']'");
        size_t bracket_len = (size_t)(close - h) + 1;
        if (!wd_ip_parse(h, bracket_len, &spec.ip, why))
            return false;
        spec.kind = WD_HOST_IP;
        if (bracket_len < h_len) {
            if (h[bracket_len] != ':')
                return fail_part(why, "expected ':port' after ']'", part, WD_HOST_PART_PORT);
            port = h + bracket_len + 1;
            port_len = h_len - bracket_len - 1;
        }
    } else {
        const char *colon = memchr(h, ':', h_len);
        size_t host_len = colon ? (size_t)(colon - h) : h_len;
        if (colon && contains(colon + 1, h_len - host_len - 1, ':')) {
            /* Two or more colons: a bare IPv6 literal, which cannot carry a port. */
            if (!wd_ip_parse(h, h_len, &spec.ip, why))
                return false;
            spec.kind = WD_HOST_IP;
        } else {
            if (!parse_plain_host(h, host_len, allow_wildcards, &spec, why))
                return false;
            if (colon) {
                port = colon + 1;
                port_len = h_len - host_len - 1;
            }
        }
    }
    if (port && !wd_port_parse(port, port_len, &spec.port, why)) {
        if (part)
            *part = WD_HOST_PART_PORT;
        return false;
    }
    *out = spec;
    return true;
}

static bool ascii_equal_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        if (to_lower(*a) != to_lower(*b))
            return false;
    }
    return *a == *b;
}

unsigned wd_scheme_default_port(const char *scheme)
{
    static const struct {
        const char *name;
        unsigned port;
    } known[] = {
        {"http", 80},         {"https", 443},  {"ws", 80},      {"wss", 443},   {"ftp", 21},
        {"ssh", 22},          {"smtp", 25},    {"imap", 143},   {"imaps", 993}, {"postgres", 5432},
        {"postgresql", 5432}, {"mysql", 3306}, {"redis", 6379}, {"amqp", 5672}, {"amqps", 5671},
        {"mqtt", 1883},       {"mqtts", 8883}, {"ldap", 389},   {"ldaps", 636},
    };

    if (!scheme)
        return 0;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (ascii_equal_nocase(scheme, known[i].name))
            return known[i].port;
    }
    return 0;
}

void wd_ip_format(const wd_ip *ip, char out[static WD_IP_TEXT_MAX])
{
    if (ip->family == 4) {
        snprintf(out, WD_IP_TEXT_MAX, "%u.%u.%u.%u", ip->addr[0], ip->addr[1], ip->addr[2],
                 ip->addr[3]);
        return;
    }
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)(ip->addr[2 * i] << 8 | ip->addr[2 * i + 1]);
    int best = -1, best_len = 1; /* RFC 5952 4.2.2: a single zero group is not shortened */
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    size_t o = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            o += (size_t)snprintf(out + o, WD_IP_TEXT_MAX - o, "::");
            i += best_len - 1;
            continue;
        }
        o += (size_t)snprintf(out + o, WD_IP_TEXT_MAX - o, "%s%x",
                              (i == 0 || (best >= 0 && i == best + best_len)) ? "" : ":", g[i]);
    }
}
