/* dns.c: the DNS stub's message codec (dns.h). */
#include "sandbox/dns.h"

#include <string.h>

#define FLAG_QR 0x8000u
#define FLAG_TC 0x0200u
#define FLAG_RD 0x0100u
#define FLAG_RA 0x0080u
#define OPCODE_SHIFT 11
#define OPCODE_MASK 0xfu
#define RCODE_MAX 15
#define QUESTION_FIXED 4 /* type and class after the name */
#define OPT_FIXED 11     /* root name, type, class, ttl, rdlength */
#define NAME_POINTER_TO_QUESTION 0xc00cu

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffffu);
}

/* What a host name may hold. '_' is not a host name character, but resolvers send it
 * (_service labels) and it is harmless in text. */
static int label_char_ok(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static int header_is_query(const uint8_t *msg)
{
    unsigned flags = get16(msg + 2);
    return !(flags & FLAG_QR) && ((flags >> OPCODE_SHIFT) & OPCODE_MASK) == 0 &&
           get16(msg + 4) == 1;
}

/* Reads the question name at msg[*pos..len) into name as lowercase text; *pos ends past its
 * terminating zero label. */
static int read_name(const uint8_t *msg, size_t len, size_t *pos, char *name)
{
    size_t p = *pos, n = 0;
    for (;;) {
        if (p >= len)
            return -1;
        uint8_t l = msg[p++];
        if (l == 0)
            break;
        /* Above 63 is a compression pointer (top bits 11) or an extended label type (01, 10):
         * a question has neither. */
        if (l > WD_DNS_LABEL_MAX || l > len - p)
            return -1;
        if (n + (n ? 1u : 0u) + l > WD_DNS_NAME_MAX)
            return -1;
        if (n)
            name[n++] = '.';
        for (uint8_t i = 0; i < l; i++) {
            uint8_t c = msg[p + i];
            if (!label_char_ok(c))
                return -1;
            name[n++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        p += l;
    }
    name[n] = '\0';
    *pos = p;
    return 0;
}

/* One EDNS OPT record that ends exactly at len. */
static int read_opt(const uint8_t *msg, size_t len, size_t pos)
{
    if (len - pos < OPT_FIXED || msg[pos] != 0 || get16(msg + pos + 1) != WD_DNS_TYPE_OPT)
        return -1;
    size_t rdlen = get16(msg + pos + 9);
    return len - pos - OPT_FIXED == rdlen ? 0 : -1;
}

int wd_dns_parse_query(const uint8_t *msg, size_t len, wd_dns_query *q)
{
    if (!msg || !q || len < WD_DNS_HEADER_SIZE || len > WD_DNS_UDP_MAX)
        return -1;
    unsigned flags = get16(msg + 2);
    if (!header_is_query(msg) || (flags & FLAG_TC) || get16(msg + 6) != 0 || get16(msg + 8) != 0 ||
        get16(msg + 10) > 1)
        return -1;
    size_t pos = WD_DNS_HEADER_SIZE;
    if (read_name(msg, len, &pos, q->name) != 0 || len - pos < QUESTION_FIXED)
        return -1;
    q->id = get16(msg);
    q->rd = (flags & FLAG_RD) != 0;
    q->qtype = get16(msg + pos);
    q->qclass = get16(msg + pos + 2);
    pos += QUESTION_FIXED;
    q->question_end = pos;
    if (get16(msg + 10) == 1)
        return read_opt(msg, len, pos);
    return pos == len ? 0 : -1;
}

/* The header of a reply: id and RD from the query, no question or record counts yet. */
static void put_header(uint8_t *out, uint16_t id, int rd, int rcode)
{
    memset(out, 0, WD_DNS_HEADER_SIZE);
    put16(out, id);
    put16(out + 2, FLAG_QR | FLAG_RA | (rd ? FLAG_RD : 0u) | (unsigned)rcode);
}

size_t wd_dns_reply(const uint8_t *query, size_t qlen, const wd_dns_query *q, int rcode,
                    const uint8_t *ipv4, uint32_t ttl, uint8_t *out, size_t cap)
{
    if (!query || !q || !out || rcode < 0 || rcode > RCODE_MAX)
        return 0;
    if (q->question_end < WD_DNS_HEADER_SIZE + 1 + QUESTION_FIXED || q->question_end > qlen)
        return 0;
    if (ipv4 &&
        (rcode != WD_DNS_NOERROR || q->qtype != WD_DNS_TYPE_A || q->qclass != WD_DNS_CLASS_IN))
        return 0;
    size_t need = q->question_end + (ipv4 ? WD_DNS_ANSWER_A_SIZE : 0);
    if (need > cap)
        return 0;
    put_header(out, q->id, q->rd, rcode);
    put16(out + 4, 1);
    memcpy(out + WD_DNS_HEADER_SIZE, query + WD_DNS_HEADER_SIZE,
           q->question_end - WD_DNS_HEADER_SIZE);
    if (ipv4) {
        uint8_t *a = out + q->question_end;
        put16(out + 6, 1);
        put16(a, NAME_POINTER_TO_QUESTION);
        put16(a + 2, WD_DNS_TYPE_A);
        put16(a + 4, WD_DNS_CLASS_IN);
        put32(a + 6, ttl);
        put16(a + 10, 4);
        memcpy(a + 12, ipv4, 4);
    }
    return need;
}

size_t wd_dns_formerr(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
    wd_dns_query q;
    if (!msg || !out || len < WD_DNS_HEADER_SIZE || len > WD_DNS_UDP_MAX ||
        cap < WD_DNS_HEADER_SIZE || !header_is_query(msg) || wd_dns_parse_query(msg, len, &q) == 0)
        return 0;
    put_header(out, get16(msg), (get16(msg + 2) & FLAG_RD) != 0, WD_DNS_FORMERR);
    return WD_DNS_HEADER_SIZE;
}
