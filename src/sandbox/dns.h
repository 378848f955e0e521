/* dns.h (internal): the one DNS message codec of the DNS stub (dns_stub.h), pure (no sockets).
 *
 * It reads only one thing: a standard query of one question, as a stub resolver (glibc, musl,
 * c-ares, Go's) sends it over UDP, and it writes only replies to such a query. Everything else
 * is refused, so the stub never has to understand a message it did not expect: every byte of
 * a query is hostile, and the parser reads none past the length it is given. */
#ifndef WD_SANDBOX_DNS_H
#define WD_SANDBOX_DNS_H

#include <stddef.h>
#include <stdint.h>

#define WD_DNS_UDP_MAX 512 /* the largest query read (RFC 1035 4.2.1); EDNS sizes are ignored */
#define WD_DNS_HEADER_SIZE 12
#define WD_DNS_NAME_MAX 253 /* a name's text length, without a trailing dot */
#define WD_DNS_LABEL_MAX 63
/* An A record whose name points at the question: pointer, type, class, ttl, length, address. */
#define WD_DNS_ANSWER_A_SIZE 16

enum {
    WD_DNS_TYPE_A = 1,
    WD_DNS_TYPE_AAAA = 28,
    WD_DNS_TYPE_OPT = 41,
    WD_DNS_CLASS_IN = 1,
};

enum {
    WD_DNS_NOERROR = 0,
    WD_DNS_FORMERR = 1,
    WD_DNS_SERVFAIL = 2,
    WD_DNS_NXDOMAIN = 3,
    WD_DNS_NOTIMP = 4,
    WD_DNS_REFUSED = 5,
};

typedef struct {
    uint16_t id;
    uint16_t qtype, qclass;
    int rd;                         /* recursion desired: copied into the reply */
    char name[WD_DNS_NAME_MAX + 1]; /* lowercase, no trailing dot, "" for the root */
    size_t question_end;            /* offset just past the question's class */
} wd_dns_query;

/* 0 when msg[0..len) is exactly one standard query, with q filled in; -1 otherwise (q is then
 * unspecified). A standard query here: at most WD_DNS_UDP_MAX bytes; QR=0, OPCODE=0, TC=0;
 * QDCOUNT=1, ANCOUNT=0, NSCOUNT=0, ARCOUNT 0 or 1; a question name of uncompressed labels of
 * 1..63 bytes each, only ASCII letters, digits, '-' and '_', at most WD_DNS_NAME_MAX characters
 * as text; then type and class; then, only when ARCOUNT is 1, one well-formed EDNS OPT record
 * (root owner name, type 41, its data whole), which is read and ignored; and nothing after. The
 * header's other flags (RD, AD, CD, Z) are not checked; RD is kept. */
int wd_dns_parse_query(const uint8_t *msg, size_t len, wd_dns_query *q);

/* Writes into out[0..cap) the reply to query[0..qlen), which wd_dns_parse_query read into q:
 * the same id, QR=1, OPCODE=0, RA=1, RD copied, rcode, the question echoed byte for byte (so a
 * resolver that randomises the case of its names sees its own), and, when ipv4 is not NULL,
 * one A record for it with this ttl (the answer's name points at the question). No OPT record:
 * a reply without one tells an EDNS client that the server does not speak EDNS, which it
 * accepts. Returns the reply's length, or 0 when it does not fit in cap or the arguments do not
 * make a reply: rcode above 15, a question outside the query, an address with a rcode other
 * than NOERROR or for a question that is not A in class IN. */
size_t wd_dns_reply(const uint8_t *query, size_t qlen, const wd_dns_query *q, int rcode,
                    const uint8_t *ipv4, uint32_t ttl, uint8_t *out, size_t cap);

/* A FORMERR reply (a header only: the id and RD copied, QR=1, RA=1, no records) to a datagram
 * that has the header of a standard query (at least WD_DNS_HEADER_SIZE and at most
 * WD_DNS_UDP_MAX bytes, QR=0, OPCODE=0, QDCOUNT=1) but that wd_dns_parse_query refuses, so the
 * resolver fails at once rather than waiting out its timeout. Returns its length, or 0 when msg
 * has no such header (drop it: it is not a query, or not one a resolver of this kind sends) or
 * the reply does not fit. A message that wd_dns_parse_query accepts also gets 0. */
size_t wd_dns_formerr(const uint8_t *msg, size_t len, uint8_t *out, size_t cap);

#endif
