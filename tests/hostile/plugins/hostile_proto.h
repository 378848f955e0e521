/* hostile_proto.h: for the plugins that bypass the host table and write to the broker socket
 * (descriptor 3) themselves. The message layout comes from src/sandbox/proto.h (a 12-byte
 * little-endian header: type, a, b, then the data); only its constants are used, the encoding
 * is done here so the plugins still link nothing of warden. */
#ifndef WD_HOSTILE_PROTO_H
#define WD_HOSTILE_PROTO_H

#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sandbox/proto.h"

#define HS_BROKER_FD 3

static inline void hs_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* One message, header and data, as one record on the SOCK_SEQPACKET socket. 0 or -1. */
static inline int hs_raw_msg(uint32_t type, int32_t a, uint32_t b, const void *data, size_t len)
{
    uint8_t header[WD_PROTO_HEADER];
    hs_put32(header, type);
    hs_put32(header + 4, (uint32_t)a);
    hs_put32(header + 8, b);
    struct iovec iov[2] = {{header, sizeof(header)}, {(void *)data, len}};
    ssize_t n = writev(HS_BROKER_FD, iov, len ? 2 : 1);
    return n == (ssize_t)(sizeof(header) + len) ? 0 : -1;
}

/* Exactly these bytes as one record (garbage, a truncated header, nothing at all). */
static inline int hs_raw_bytes(const void *data, size_t len)
{
    return write(HS_BROKER_FD, data, len) == (ssize_t)len ? 0 : -1;
}

#endif
