/* proto_fuzz: writes malformed broker messages to descriptor 3 itself, past the host table.
 *   {"case": NAME}               one message of that kind (the names are in kinds[] below)
 *   {"seed": S, "count": N}      up to N messages drawn from kinds[] with a PRNG seeded by S:
 *                                valid log messages as filler, always ending in a malformed one
 * The plan (every message, and the code the first malformed one should earn) goes to the host's
 * log first, so the audit log says what was sent. The host must end the call with that WD-S
 * code: WD-S006, or WD-S008 for an empty record (which reads like the end of the stream). */
#include <stdint.h>
#include <time.h>

#include "hostile.h"
#include "hostile_proto.h"

static uint64_t rng;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void random_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)next_rand();
}

static uint8_t big[WD_PROTO_MAX_MSG + 8192];

/* A type neither side may send. */
static uint32_t unknown_type(void)
{
    for (;;) {
        uint32_t t = next_rand() % 3 ? next_rand() % 64 : next_rand() * 2654435761u;
        if (!(t >= WD_MSG_SETUP && t <= WD_MSG_STOP) && !(t >= WD_MSG_READY && t <= WD_MSG_DONE))
            return t;
    }
}

static void send_filler(void)
{
    hs_raw_msg(WD_MSG_LOG, WD_LOG_DEBUG, 0, "proto_fuzz filler", 17);
}
static void send_empty(void)
{
    hs_raw_bytes("", 0);
}
static void send_truncated(void)
{
    uint8_t b[WD_PROTO_HEADER - 1];
    size_t n = 1 + next_rand() % (WD_PROTO_HEADER - 1);
    random_bytes(b, n);
    hs_raw_bytes(b, n);
}
static void send_garbage(void)
{
    size_t n = WD_PROTO_HEADER + next_rand() % 4096;
    random_bytes(big, n);
    hs_put32(big, unknown_type());
    hs_raw_bytes(big, n);
}
static void send_unknown_type(void)
{
    hs_raw_msg(unknown_type(), (int32_t)next_rand(), next_rand(), "x", 1);
}
static void send_wrong_direction(void)
{
    uint8_t d[16];
    random_bytes(d, sizeof(d));
    hs_raw_msg(WD_MSG_SETUP + next_rand() % (WD_MSG_STOP - WD_MSG_SETUP + 1), 0, 0, d,
               next_rand() % sizeof(d));
}
static void send_open_relative(void)
{
    hs_raw_msg(WD_MSG_OPEN, 0, 0, "etc/passwd", 10);
}
static void send_open_nul(void)
{
    hs_raw_msg(WD_MSG_OPEN, 0, 0, "/etc\0/passwd", 12);
}
static void send_open_empty(void)
{
    hs_raw_msg(WD_MSG_OPEN, 0, 0, NULL, 0);
}
static void send_open_long(void)
{
    size_t n = WD_PROTO_MAX_PATH + 1 + next_rand() % 1000;
    memset(big, 'a', n);
    big[0] = '/';
    hs_raw_msg(WD_MSG_OPEN, 0, 0, big, n);
}
static void send_connect_port(void)
{
    static const int32_t ports[] = {0, -1, 65536, INT32_MIN, 1 << 20};
    hs_raw_msg(WD_MSG_CONNECT, ports[next_rand() % 5], 0, "example.org", 11);
}
static void send_connect_long(void)
{
    size_t n = WD_PROTO_MAX_NAME + 1 + next_rand() % 100;
    memset(big, 'a', n);
    hs_raw_msg(WD_MSG_CONNECT, 443, 0, big, n);
}
static void send_getenv_bad(void)
{
    size_t n = next_rand() % 2 ? 0 : WD_PROTO_MAX_KEY + 1 + next_rand() % 100;
    memset(big, 'K', n);
    hs_raw_msg(WD_MSG_GETENV, 0, 0, big, n);
}
static void send_log_level(void)
{
    int32_t level =
        next_rand() % 2 ? 4 + (int32_t)(next_rand() % 1000) : -1 - (int32_t)(next_rand() % 1000);
    hs_raw_msg(WD_MSG_LOG, level, 0, "bad level", 9);
}
static void send_log_nul(void)
{
    hs_raw_msg(WD_MSG_LOG, WD_LOG_INFO, 0, "a\0b", 3);
}
static void send_log_long(void)
{
    size_t n = WD_PROTO_MAX_LOG + 1 + next_rand() % 1000;
    memset(big, 'l', n);
    hs_raw_msg(WD_MSG_LOG, WD_LOG_INFO, 0, big, n);
}
static void send_done_data(void)
{
    hs_raw_msg(WD_MSG_DONE, 0, 0, "tail", 4);
}
static void send_done_count(void)
{
    hs_raw_msg(WD_MSG_DONE, 0, 1 + next_rand() % 100000, NULL, 0); /* no output was sent */
}
static void send_ready(void)
{
    hs_raw_msg(WD_MSG_READY, 0, 0, "{}", 2);
}
static void send_fail_code(void)
{
    static const int32_t codes[] = {0, -5, 14, 99, INT32_MAX};
    hs_raw_msg(WD_MSG_FAIL, codes[next_rand() % 5], 0, "forged", 6);
}
static void send_fail_nul(void)
{
    hs_raw_msg(WD_MSG_FAIL, 2, 0, "x\0y", 3);
}
static void send_oversized(void)
{
    size_t n = WD_PROTO_MAX_DATA + 1 + next_rand() % 4096;
    random_bytes(big, n);
    hs_raw_msg(WD_MSG_OUTPUT, 0, 0, big, n);
}

typedef struct {
    const char *name;
    void (*send)(void);
    const char *code; /* what the host should make of it; NULL: a valid message */
} kind;

static const kind kinds[] = {
    {"filler", send_filler, NULL},
    {"empty", send_empty, "WD-S008"},
    {"truncated", send_truncated, "WD-S006"},
    {"garbage", send_garbage, "WD-S006"},
    {"unknown-type", send_unknown_type, "WD-S006"},
    {"wrong-direction", send_wrong_direction, "WD-S006"},
    {"open-relative", send_open_relative, "WD-S006"},
    {"open-nul", send_open_nul, "WD-S006"},
    {"open-empty", send_open_empty, "WD-S006"},
    {"open-long", send_open_long, "WD-S006"},
    {"connect-port", send_connect_port, "WD-S006"},
    {"connect-long", send_connect_long, "WD-S006"},
    {"getenv-bad", send_getenv_bad, "WD-S006"},
    {"log-level", send_log_level, "WD-S006"},
    {"log-nul", send_log_nul, "WD-S006"},
    {"log-long", send_log_long, "WD-S006"},
    {"done-data", send_done_data, "WD-S006"},
    {"done-count", send_done_count, "WD-S006"},
    {"ready", send_ready, "WD-S006"},
    {"fail-code", send_fail_code, "WD-S006"},
    {"fail-nul", send_fail_nul, "WD-S006"},
    {"oversized", send_oversized, "WD-S006"},
};
#define KINDS (sizeof(kinds) / sizeof(*kinds))
#define MAX_COUNT 16

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    size_t plan[MAX_COUNT], count = 0;
    char name[32], msg[1024];
    if (hs_str(input, "case", name, sizeof(name)) == 0) {
        for (size_t k = 0; k < KINDS; k++)
            if (strcmp(kinds[k].name, name) == 0)
                plan[count++] = k;
        if (!count) {
            hs_out(host, out, "input: unknown case %s", name);
            return 2;
        }
        rng = 0x9e3779b97f4a7c15u;
    } else {
        unsigned long seed = hs_num(input, "seed", 0);
        unsigned long n = hs_num(input, "count", 8);
        n = n < 1 ? 1 : n > MAX_COUNT ? MAX_COUNT : n;
        rng = (seed + 1) * 0x9e3779b97f4a7c15u;
        count = 1 + next_rand() % n;
        for (size_t i = 0; i < count; i++)
            plan[i] = next_rand() % KINDS;
        if (!kinds[plan[count - 1]].code) /* always end in a malformed message */
            plan[count - 1] = 1 + next_rand() % (KINDS - 1);
    }
    const char *expect = NULL;
    size_t used = (size_t)snprintf(msg, sizeof(msg), "proto_fuzz plan:");
    for (size_t i = 0; i < count && used < sizeof(msg); i++) {
        used += (size_t)snprintf(msg + used, sizeof(msg) - used, " %s", kinds[plan[i]].name);
        if (!expect)
            expect = kinds[plan[i]].code;
    }
    if (used >= sizeof(msg))
        used = sizeof(msg) - 1;
    snprintf(msg + used, sizeof(msg) - used, "; expect %s", expect);
    wd_host_log(host, WD_LOG_INFO, msg);
    for (size_t i = 0; i < count; i++)
        kinds[plan[i]].send();
    /* The host should end the call at the first malformed message; give it the time to (well
     * inside the 5 s timeout), then say it did not. */
    struct timespec t = {2, 0};
    nanosleep(&t, NULL);
    hs_out(host, out, "proto_fuzz: BREACH: the host let the messages through");
    return 0;
}

HOSTILE_PLUGIN("proto_fuzz", "malformed broker messages", execute);
