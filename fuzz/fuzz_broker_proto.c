/* fuzz_broker_proto.c: the input as messages a hostile plugin writes on its broker socket
 * (2-byte little-endian length, then the message, repeated), each decoded as the host decodes
 * them, and the whole input also read as a setup blob. Aborts when a promise of
 * sandbox/proto.h breaks: an accepted message has a runner-side type, text the host uses as a
 * C string has no NUL and fits its limit, an OPEN path is absolute, a CONNECT port is 1-65535;
 * a refusal names its reason; encoding an accepted message again gives the same bytes; the setup
 * reader stays inside the buffer and ends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t again[WD_PROTO_MAX_MSG];

static void check_message(const uint8_t *msg, size_t len)
{
    wd_msg m;
    const char *why = NULL;
    if (wd_proto_decode(msg, len, 1, &m, &why) != 0) {
        if (!why || !*why)
            abort();
        return;
    }
    if (why || m.type < WD_MSG_READY || m.type > WD_MSG_STUB || m.len > WD_PROTO_MAX_DATA)
        abort();
    if (m.data != msg + WD_PROTO_HEADER || m.len != len - WD_PROTO_HEADER)
        abort();
    switch (m.type) {
    case WD_MSG_OPEN:
        if (m.len == 0 || m.len > WD_PROTO_MAX_PATH || m.data[0] != '/' || memchr(m.data, 0, m.len))
            abort();
        break;
    case WD_MSG_CONNECT:
        if (m.len == 0 || m.len > WD_PROTO_MAX_NAME || memchr(m.data, 0, m.len) || m.a < 1 ||
            m.a > 65535)
            abort();
        break;
    case WD_MSG_GETENV:
        if (m.len == 0 || m.len > WD_PROTO_MAX_KEY || memchr(m.data, 0, m.len))
            abort();
        break;
    case WD_MSG_LOG:
        if (m.len > WD_PROTO_MAX_LOG || memchr(m.data, 0, m.len) || m.a < 0 || m.a > 3)
            abort();
        break;
    case WD_MSG_DONE:
    case WD_MSG_STUB:
        if (m.len != 0)
            abort();
        break;
    default:
        break;
    }
    size_t n = wd_proto_encode(again, m.type, m.a, m.b, m.data, m.len);
    if (n != len || memcmp(again, msg, len) != 0)
        abort();
    /* The same bytes are never a valid message in the other direction with a runner type. */
    wd_msg h;
    if (wd_proto_decode(msg, len, 0, &h, &why) == 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off + 2 <= size) {
        size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
        off += 2;
        if (len > size - off)
            len = size - off;
        check_message(data + off, len);
        off += len;
    }
    wd_setup_reader r = {data, data + size};
    uint16_t tag;
    const uint8_t *v;
    size_t len;
    int rc, entries = 0;
    while ((rc = wd_setup_next(&r, &tag, &v, &len)) == 1) {
        if (v < data || v + len > data + size || r.p > r.end)
            abort();
        if (++entries > (int)size)
            abort();
    }
    if (rc != 0 && rc != -1)
        abort();
    return 0;
}
