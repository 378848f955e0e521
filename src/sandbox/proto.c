/* proto.c: encoding, strict decoding and the socket helpers of the broker protocol (proto.h). */
#include "sandbox/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t wd_proto_encode(uint8_t *buf, uint32_t type, int32_t a, uint32_t b, const void *data,
                       size_t len)
{
    put32(buf, type);
    put32(buf + 4, (uint32_t)a);
    put32(buf + 8, b);
    if (len)
        memcpy(buf + WD_PROTO_HEADER, data, len);
    return WD_PROTO_HEADER + len;
}

/* Text the host will use as a C string: non-empty, no NUL, at most max bytes. */
static int text_ok(const wd_msg *m, size_t max)
{
    return m->len > 0 && m->len <= max && memchr(m->data, 0, m->len) == NULL;
}

int wd_proto_decode(const uint8_t *buf, size_t len, int from_runner, wd_msg *out, const char **why)
{
    *why = NULL;
    if (len < WD_PROTO_HEADER) {
        *why = "message shorter than its header";
        return -1;
    }
    if (len > WD_PROTO_MAX_MSG) {
        *why = "message larger than the protocol allows";
        return -1;
    }
    out->type = get32(buf);
    out->a = (int32_t)get32(buf + 4);
    out->b = get32(buf + 8);
    out->data = buf + WD_PROTO_HEADER;
    out->len = len - WD_PROTO_HEADER;
    int runner_type = out->type >= WD_MSG_READY && out->type <= WD_MSG_STUB;
    int host_type = out->type >= WD_MSG_SETUP && out->type <= WD_MSG_STOP;
    if (from_runner ? !runner_type : !host_type) {
        *why = runner_type || host_type ? "message type sent in the wrong direction"
                                        : "unknown message type";
        return -1;
    }
    switch (out->type) {
    case WD_MSG_OPEN:
        if (!text_ok(out, WD_PROTO_MAX_PATH) || out->data[0] != '/')
            *why = "open: the path must be absolute text of at most 4096 bytes";
        break;
    case WD_MSG_CONNECT:
        if (!text_ok(out, WD_PROTO_MAX_NAME))
            *why = "connect: the host must be text of at most 253 bytes";
        else if (out->a <= 0 || out->a > 65535)
            *why = "connect: the port must be 1-65535";
        break;
    case WD_MSG_GETENV:
        if (!text_ok(out, WD_PROTO_MAX_KEY))
            *why = "getenv: the key must be text of at most 256 bytes";
        break;
    case WD_MSG_LOG:
        if (out->len > WD_PROTO_MAX_LOG || memchr(out->data, 0, out->len))
            *why = "log: the message must be text of at most 4096 bytes";
        else if (out->a < 0 || out->a > 3)
            *why = "log: unknown level";
        break;
    case WD_MSG_FAIL:
        if (out->len > WD_PROTO_MAX_LOG || memchr(out->data, 0, out->len))
            *why = "fail: the message must be text";
        break;
    case WD_MSG_DONE:
    case WD_MSG_READY:
    case WD_MSG_STOP:
    case WD_MSG_STUB:
        if (out->type == WD_MSG_DONE && out->len != 0)
            *why = "done carries no data";
        else if (out->type == WD_MSG_STUB && out->len != 0)
            *why = "stub carries no data";
        break;
    default:
        break;
    }
    return *why ? -1 : 0;
}

void wd_setup_put(wd_setup_writer *w, uint16_t tag, const void *value, size_t len)
{
    if (w->failed)
        return;
    if (len > UINT32_MAX || w->len + 6 + len > WD_PROTO_MAX_DATA) {
        w->failed = 1;
        return;
    }
    if (w->len + 6 + len > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        while (cap < w->len + 6 + len)
            cap *= 2;
        uint8_t *p = realloc(w->data, cap);
        if (!p) {
            w->failed = 1;
            return;
        }
        w->data = p;
        w->cap = cap;
    }
    w->data[w->len] = (uint8_t)tag;
    w->data[w->len + 1] = (uint8_t)(tag >> 8);
    put32(w->data + w->len + 2, (uint32_t)len);
    if (len)
        memcpy(w->data + w->len + 6, value, len);
    w->len += 6 + len;
}

void wd_setup_put_u64(wd_setup_writer *w, uint16_t tag, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    wd_setup_put(w, tag, b, sizeof(b));
}

int wd_setup_next(wd_setup_reader *r, uint16_t *tag, const uint8_t **value, size_t *len)
{
    if (r->p == r->end)
        return 0;
    if (r->end - r->p < 6)
        return -1;
    *tag = (uint16_t)(r->p[0] | r->p[1] << 8);
    uint32_t n = get32(r->p + 2);
    if ((size_t)(r->end - r->p - 6) < n)
        return -1;
    *value = r->p + 6;
    *len = n;
    r->p += 6 + (size_t)n;
    return 1;
}

uint64_t wd_setup_u64(const uint8_t *value)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | value[i];
    return v;
}

int wd_proto_send(int sock, uint32_t type, int32_t a, uint32_t b, const void *data, size_t len,
                  int fd)
{
    uint8_t header[WD_PROTO_HEADER];
    wd_proto_encode(header, type, a, b, NULL, 0);
    struct iovec iov[2] = {{header, sizeof(header)}, {(void *)data, len}};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
    if (fd >= 0) {
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    for (;;) {
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n >= 0)
            return (size_t)n == sizeof(header) + len ? 0 : -EPROTO;
        if (errno != EINTR)
            return -errno;
    }
}

int wd_proto_write(int sock, uint32_t type, int32_t a, uint32_t b, const void *data, size_t len)
{
    uint8_t header[WD_PROTO_HEADER];
    wd_proto_encode(header, type, a, b, NULL, 0);
    struct iovec iov[2] = {{header, sizeof(header)}, {(void *)data, len}};
    for (;;) {
        ssize_t n = writev(sock, iov, len ? 2 : 1);
        if (n >= 0)
            return (size_t)n == sizeof(header) + len ? 0 : -EPROTO;
        if (errno != EINTR)
            return -errno;
    }
}

long wd_proto_recv(int sock, uint8_t *buf, int *fd)
{
    *fd = -1;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 4)];
    } control;
    struct iovec iov = {buf, WD_PROTO_MAX_MSG};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    int bad = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (*fd < 0 && !bad)
                *fd = got;
            else {
                close(got);
                bad = 1;
            }
        }
    }
    if (bad) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return -EPROTO;
    }
    return (long)n;
}
