/* fuzz_dns.c: the DNS stub's codec (sandbox/dns.h) on arbitrary datagrams. It never reads past
 * the bytes it is given or writes past the room it is given (each input and each output sits
 * in an allocation of its exact size). A query it accepts is checked independently of the
 * parser: the header says one standard query, the name is lowercase text of valid labels that
 * the wire bytes spell, and the question ends where the parser says. Every reply to it is
 * checked field by field, is itself refused as a query, and with QR and the rcode cleared
 * parses back as the same query; a reply one byte short of its room is not written. A
 * datagram it refuses gets either nothing or a 12-byte FORMERR, and only with a query's
 * header. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static void check(int ok)
{
    if (!ok)
        abort();
}

/* The name the wire bytes msg[12..) spell, lowercased, as the parser must have read it. */
static void check_name(const uint8_t *msg, const wd_dns_query *q)
{
    size_t len = strlen(q->name), pos = WD_DNS_HEADER_SIZE, n = 0;
    check(len <= WD_DNS_NAME_MAX);
    while (msg[pos]) {
        size_t l = msg[pos++];
        check(l >= 1 && l <= WD_DNS_LABEL_MAX);
        if (n)
            check(q->name[n++] == '.');
        for (size_t i = 0; i < l; i++, n++) {
            int c = msg[pos + i];
            check(isalnum(c) || c == '-' || c == '_');
            check(q->name[n] == (char)tolower(c));
        }
        pos += l;
    }
    check(n == len);
    check(q->question_end == pos + 1 + 4);
    check(q->qtype == get16(msg + pos + 1) && q->qclass == get16(msg + pos + 3));
}

static void check_query(const uint8_t *msg, size_t size, const wd_dns_query *q)
{
    check(size >= WD_DNS_HEADER_SIZE && size <= WD_DNS_UDP_MAX);
    unsigned flags = get16(msg + 2);
    check(!(flags & 0x8000) && ((flags >> 11) & 0xf) == 0 && !(flags & 0x0200));
    check(get16(msg + 4) == 1 && get16(msg + 6) == 0 && get16(msg + 8) == 0);
    check(get16(msg + 10) <= 1);
    check(q->id == get16(msg) && q->rd == ((flags & 0x0100) != 0));
    check(q->question_end <= size);
    check_name(msg, q);
    if (get16(msg + 10) == 0)
        check(q->question_end == size);
    else
        check(size - q->question_end >= 11 && msg[q->question_end] == 0 &&
              get16(msg + q->question_end + 1) == WD_DNS_TYPE_OPT);
}

/* One reply, written into exactly the room it needs and into one byte less. */
static void check_reply(const uint8_t *msg, size_t size, const wd_dns_query *q, int rcode,
                        const uint8_t *ipv4)
{
    int answer = ipv4 && rcode == 0 && q->qtype == WD_DNS_TYPE_A && q->qclass == WD_DNS_CLASS_IN;
    size_t need = q->question_end + (ipv4 ? WD_DNS_ANSWER_A_SIZE : 0);
    uint8_t *small = malloc(need - 1), *out = malloc(need);
    if (!small || !out)
        abort();
    check(wd_dns_reply(msg, size, q, rcode, ipv4, 1, small, need - 1) == 0);
    size_t n = wd_dns_reply(msg, size, q, rcode, ipv4, 1, out, need);
    if (ipv4 && !answer) {
        check(n == 0);
        goto done;
    }
    check(n == need);
    unsigned flags = get16(out + 2);
    check(get16(out) == q->id && (flags & 0x8000) && (flags & 0x0080));
    check(((flags >> 11) & 0xf) == 0 && (flags & 0xf) == (unsigned)rcode);
    check(((flags & 0x0100) != 0) == (q->rd != 0));
    check(get16(out + 4) == 1 && get16(out + 6) == (answer ? 1u : 0u));
    check(get16(out + 8) == 0 && get16(out + 10) == 0);
    check(memcmp(out + WD_DNS_HEADER_SIZE, msg + WD_DNS_HEADER_SIZE,
                 q->question_end - WD_DNS_HEADER_SIZE) == 0);
    if (answer)
        check(get16(out + q->question_end) == 0xc00c &&
              memcmp(out + q->question_end + 12, ipv4, 4) == 0);
    wd_dns_query again;
    check(wd_dns_parse_query(out, n, &again) != 0);
    if (!answer) { /* QR and rcode cleared, it is the same query again (without EDNS) */
        out[2] &= 0x7f;
        out[3] &= 0x70;
        check(wd_dns_parse_query(out, n, &again) == 0);
        check(again.id == q->id && again.qtype == q->qtype && again.qclass == q->qclass);
        check(again.rd == q->rd && strcmp(again.name, q->name) == 0);
        check(again.question_end == q->question_end);
    }
done:
    free(small);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *msg = malloc(size ? size : 1);
    uint8_t *fe = malloc(WD_DNS_HEADER_SIZE);
    if (!msg || !fe)
        abort();
    memcpy(msg, data, size);
    wd_dns_query q;
    if (wd_dns_parse_query(msg, size, &q) == 0) {
        check_query(msg, size, &q);
        check(wd_dns_formerr(msg, size, fe, WD_DNS_HEADER_SIZE) == 0);
        static const uint8_t ip[4] = {198, 18, 0, 1};
        static const int rcodes[] = {WD_DNS_NOERROR, WD_DNS_SERVFAIL, WD_DNS_REFUSED, 15};
        for (size_t i = 0; i < sizeof(rcodes) / sizeof(*rcodes); i++) {
            check_reply(msg, size, &q, rcodes[i], NULL);
            check_reply(msg, size, &q, rcodes[i], ip);
        }
        uint8_t spare[WD_DNS_UDP_MAX + WD_DNS_ANSWER_A_SIZE];
        check(wd_dns_reply(msg, size, &q, 16, NULL, 1, spare, sizeof(spare)) == 0);
        check(wd_dns_reply(msg, q.question_end - 1, &q, 0, NULL, 1, spare, sizeof(spare)) == 0);
    } else {
        size_t n = wd_dns_formerr(msg, size, fe, WD_DNS_HEADER_SIZE);
        check(n == 0 || n == WD_DNS_HEADER_SIZE);
        if (n) {
            check(size >= WD_DNS_HEADER_SIZE && size <= WD_DNS_UDP_MAX);
            check(!(msg[2] & 0x80) && ((msg[2] >> 3) & 0xf) == 0 && get16(msg + 4) == 1);
            check(get16(fe) == get16(msg) && (get16(fe + 2) & 0xf) == WD_DNS_FORMERR);
            check((fe[2] & 0x80) && (fe[2] & 0x01) == (msg[2] & 0x01));
            for (size_t i = 4; i < WD_DNS_HEADER_SIZE; i++)
                check(fe[i] == 0);
        }
        check(wd_dns_formerr(msg, size, fe, WD_DNS_HEADER_SIZE - 1) == 0);
    }
    free(fe);
    free(msg);
    return 0;
}
