/* proto.h (internal): the messages between the host's broker and the sandbox runner.
 *
 * One SOCK_SEQPACKET socket pair per instance, so every message arrives whole or not at all.
 * A message is a 12-byte header (type, a signed argument, an unsigned argument, all
 * little-endian) and up to WD_PROTO_MAX_DATA bytes of data; descriptors travel beside it as
 * SCM_RIGHTS. The runner side is hostile once plugin code runs: the host decodes every message
 * with wd_proto_decode(), which checks the type, the direction and the data before anything
 * looks at it. Pure: no I/O here but the two socket helpers at the end. */
#ifndef WD_SANDBOX_PROTO_H
#define WD_SANDBOX_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define WD_PROTO_HEADER 12u
#define WD_PROTO_MAX_DATA 65536u
#define WD_PROTO_MAX_MSG (WD_PROTO_HEADER + WD_PROTO_MAX_DATA)
#define WD_PROTO_MAX_PATH 4096u
#define WD_PROTO_MAX_NAME 253u /* a DNS name */
#define WD_PROTO_MAX_KEY 256u
#define WD_PROTO_MAX_LOG 4096u

typedef enum {
    /* host -> runner */
    WD_MSG_SETUP = 1, /* data: the setup blob (below); fd: the sealed library */
    WD_MSG_CALL = 2,  /* b: total input bytes; data: the first chunk */
    WD_MSG_INPUT = 3, /* data: the next input chunk */
    WD_MSG_REPLY = 4, /* a: 0 (with an fd when one was asked for) or -errno; data: value/reason */
    WD_MSG_STOP = 5,  /* shut the plugin down and exit */
    /* runner -> host */
    WD_MSG_READY = 16,   /* data: describe() JSON */
    WD_MSG_FAIL = 17,    /* a: WD-S number; data: the message */
    WD_MSG_OPEN = 18,    /* a: open flags; data: the absolute path */
    WD_MSG_CONNECT = 19, /* a: port; data: host name or IP literal */
    WD_MSG_GETENV = 20,  /* data: the key */
    WD_MSG_LOG = 21,     /* a: level; data: the message */
    WD_MSG_OUTPUT = 22,  /* data: the next output chunk */
    WD_MSG_DONE = 23,    /* a: execute()'s return; b: total output bytes */
    WD_MSG_STUB = 24     /* a process plugin's runner: fd, the DNS stub socket it made in its
                            network namespace (none: names will not resolve) */
} wd_msg_type;

typedef struct {
    uint32_t type;
    int32_t a;
    uint32_t b;
    const uint8_t *data; /* points into the buffer decoded */
    size_t len;
} wd_msg;

/* Writes header and data into buf (at least WD_PROTO_HEADER + len bytes); returns the size. */
size_t wd_proto_encode(uint8_t *buf, uint32_t type, int32_t a, uint32_t b, const void *data,
                       size_t len);

/* Decodes one message that the runner sent (from_runner 1) or the host sent (0). Returns 0, or
 * -1 with *why set to a static reason: short, oversized, unknown or wrong-direction type, an
 * argument out of range, or data that must be text and is not (empty, NUL inside, too long,
 * a relative path). */
int wd_proto_decode(const uint8_t *buf, size_t len, int from_runner, wd_msg *out, const char **why);

/* ---- the setup blob: tag (u16), length (u32), value, repeated ----------------------------- */
enum {
    WD_SETUP_RLIMIT_AS = 1, /* u64 each; 0: unlimited */
    WD_SETUP_RLIMIT_CPU = 2,
    WD_SETUP_RLIMIT_NOFILE = 3,
    WD_SETUP_RLIMIT_NPROC = 4,
    WD_SETUP_RLIMIT_FSIZE = 5,
    WD_SETUP_OUTPUT_MAX = 6,
    WD_SETUP_LANDLOCK_MIN = 7, /* u64: refuse to run below this Landlock ABI (0: best effort) */
    WD_SETUP_NETNS = 8,        /* u64: 1 require a new network namespace */
    WD_SETUP_HOST_PID = 9,     /* u64: the host's pid (never signalled, never traced) */
    WD_SETUP_NETNS_FD = 10,    /* u64: 1 when descriptor 4 is a network namespace to enter */
    WD_SETUP_UID = 11,         /* u64: a root host: the uid the plugin runs as (never 0), mapped
                                  into the runner's own user namespace */
    WD_SETUP_GID = 12,         /* u64: its gid (never 0) */
    WD_SETUP_PROCESS = 13,     /* u64: a process plugin (its protocol, 1 stdio, 2 json-lines):
                                  the runner loads the filter with a listener it hands to the
                                  host, then executes the descriptor that came with the setup */
    WD_SETUP_CONFIG = 20,      /* text: the operator config JSON */
    WD_SETUP_SECCOMP = 22,     /* the seccomp program: struct sock_filter[] */
    WD_SETUP_FS_RULE = 21,     /* u64 Landlock access mask, then the directory path */
    WD_SETUP_ARG = 23          /* text: the process plugin's next argument (argv[0] first) */
};

typedef struct {
    uint8_t *data;
    size_t len, cap;
    int failed;
} wd_setup_writer;

void wd_setup_put(wd_setup_writer *w, uint16_t tag, const void *value, size_t len);
void wd_setup_put_u64(wd_setup_writer *w, uint16_t tag, uint64_t v);

typedef struct {
    const uint8_t *p, *end;
} wd_setup_reader;

/* Next entry: 1 with tag, value and len set, 0 at the end, -1 when malformed. */
int wd_setup_next(wd_setup_reader *r, uint16_t *tag, const uint8_t **value, size_t *len);
uint64_t wd_setup_u64(const uint8_t *value);

/* ---- socket helpers ----------------------------------------------------------------------- */
/* Sends one message with an optional descriptor (fd < 0: none). 0 or -errno. */
int wd_proto_send(int sock, uint32_t type, int32_t a, uint32_t b, const void *data, size_t len,
                  int fd);
/* The runner's send: writev(2), one record on a SOCK_SEQPACKET socket, so the sandbox needs
 * neither sendmsg nor sendto (which could address other sockets). SIGPIPE must be ignored. */
int wd_proto_write(int sock, uint32_t type, int32_t a, uint32_t b, const void *data, size_t len);
/* Receives one message into buf (WD_PROTO_MAX_MSG bytes). Returns its length, 0 at EOF, or
 * -errno. *fd receives a descriptor that came with it (else -1); any extra descriptors and
 * truncated messages are closed and reported as -EPROTO. */
long wd_proto_recv(int sock, uint8_t *buf, int *fd);

#endif
