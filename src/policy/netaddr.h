/* netaddr.h (internal): strict parsing of host names, IP literals, CIDR ranges, ports and the
 * "[scheme://]host[:port][/]" form used both by network rules and by connect requests.
 *
 * Strictness is a security property here: the broker later connects to exactly what these
 * functions accept, so anything an OS resolver would read differently (127.1, 0x7f.0.0.1,
 * 010.0.0.1, zone ids, trailing garbage) is refused rather than guessed at. Pure: no I/O, no
 * allocation, no global state. On failure every function returns false and sets *why to a
 * static one-line reason ("octet out of range"), never NULL. (A why out-parameter rather than
 * the thread's last error: these run for every connect request and every network rule, often
 * as one attempt among several (wd_ip_parse, then a host name), and a refusal here is an
 * answer, not yet an error; the caller records one when it is.) */
#ifndef WD_POLICY_NETADDR_H
#define WD_POLICY_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_HOST_NAME_MAX 253 /* without the trailing dot */
#define WD_SCHEME_MAX 15

typedef struct {
    uint8_t family;   /* 4 or 6 */
    uint8_t addr[16]; /* IPv4 in addr[0..4) */
} wd_ip;

/* Exactly four decimal octets 0-255 separated by '.', no leading zeros ("0" itself is fine),
 * no sign, no whitespace, nothing else. */
bool wd_ip4_parse(const char *s, size_t len, uint8_t out[static 4], const char **why);

/* RFC 4291 section 2.2 text forms: eight groups of 1-4 hex digits, one "::", an IPv4 tail in
 * the last 32 bits. No brackets, no zone id ("%eth0"), no prefix. */
bool wd_ip6_parse(const char *s, size_t len, uint8_t out[static 16], const char **why);

/* An IP literal: IPv4, IPv6, or IPv6 in brackets ("[::1]"). An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is returned as family 4, so it is matched by IPv4 rules and cannot slip
 * past them. */
bool wd_ip_parse(const char *s, size_t len, wd_ip *out, const char **why);

/* "ADDR/PREFIX" with ADDR IPv4 or IPv6 (no brackets) and PREFIX a decimal 0-32 or 0-128 with no
 * leading zeros. Refuses a range with bits set after the prefix ("10.0.0.1/8": did the author
 * mean the host or the network?). No IPv4-mapped folding here: a v6 range stays v6. */
bool wd_cidr_parse(const char *s, size_t len, wd_ip *addr, unsigned *prefix, const char **why);

/* A DNS host name, lowercased into out (size >= WD_HOST_NAME_MAX + 1). Labels of 1-63 chars
 * from [A-Za-z0-9_-], not starting or ending with '-'; at most WD_HOST_NAME_MAX chars once a
 * single trailing '.' is dropped. A name whose last label starts with a digit must be an IPv4
 * literal, else it is refused (inet_aton would read "127.1" as 127.0.0.1). IP literals are not
 * names: callers try wd_ip_parse first. */
bool wd_hostname_normalize(const char *s, size_t len, char *out, size_t out_size, const char **why);

/* A decimal port 1-65535, no sign, no leading zeros. */
bool wd_port_parse(const char *s, size_t len, unsigned *port, const char **why);

typedef enum {
    WD_HOST_ANY = 1,      /* "*" (rules only) */
    WD_HOST_WILDCARD = 2, /* "*.example.com" (rules only): name holds "example.com" */
    WD_HOST_NAME = 3,     /* "api.example.com": name holds it lowercased, no trailing dot */
    WD_HOST_IP = 4        /* an IP literal: ip holds it */
} wd_host_kind;

typedef struct {
    wd_host_kind kind;
    char name[WD_HOST_NAME_MAX + 1];
    wd_ip ip;
    char scheme[WD_SCHEME_MAX + 1]; /* lowercased; "" when none was given */
    unsigned port;                  /* 0 when none was given */
} wd_host_spec;

/* Parses "[scheme://]host[:port][/]". scheme: a letter then letters, digits, '+', '-', '.'
 * (at most WD_SCHEME_MAX). host: "*" or "*.name" (only when allow_wildcards), a name, an IPv4
 * literal, or an IPv6 literal in brackets; a bare IPv6 literal is accepted only with no port
 * (it is then unambiguous). A single trailing "/" is accepted (policy files write
 * "https://host/"); any other path, query, fragment or userinfo ("user@") is refused, since
 * warden cannot enforce them. Wildcards anywhere but a leading "*." are refused. */
bool wd_host_spec_parse(const char *s, size_t len, bool allow_wildcards, wd_host_spec *out,
                        const char **why);

/* The part of a "[scheme://]host[:port][/]" text that a refusal is about. */
typedef enum {
    WD_HOST_PART_HOST = 0, /* the host, its scheme, or the text as a whole */
    WD_HOST_PART_PORT = 1, /* the port, or the ':port' a bracketed address must be followed by */
} wd_host_part;

/* As wd_host_spec_parse, and on failure also sets *part (when not NULL) to the part refused, so
 * a caller can say which field is wrong without reading the reason's words. */
bool wd_host_spec_parse_part(const char *s, size_t len, bool allow_wildcards, wd_host_spec *out,
                             const char **why, wd_host_part *part);

#define WD_IP_TEXT_MAX 46

/* The canonical text of an address: dotted quad, or RFC 5952 IPv6 (lowercase, leading zeros
 * dropped, the longest run of two or more zero groups as "::"). */
void wd_ip_format(const wd_ip *ip, char out[static WD_IP_TEXT_MAX]);

/* The default port of a well-known scheme (http 80, https 443, ws 80, wss 443, ftp 21, ssh 22,
 * smtp 25, imap 143, imaps 993, postgres 5432, postgresql 5432, mysql 3306, redis 6379, amqp
 * 5672, amqps 5671, mqtt 1883, mqtts 8883, ldap 389, ldaps 636), or 0. */
unsigned wd_scheme_default_port(const char *scheme);

#endif
