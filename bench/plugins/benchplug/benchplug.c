/* benchplug: the plugin bench_sandbox.c runs. It links nothing but libc, so a cold call maps as
 * little as a plugin can. Input (JSON, one object, written by the bench):
 *
 *   {"op": "nop"}
 *       answers {"ctor_ns": C, "init_ns": I, "exec_ns": E, "calls": K}: CLOCK_MONOTONIC when the
 *       library's constructor ran (dlopen, inside the confined runner), when init() ran, when
 *       this execute() began, and how many calls this runner has served (1 on a fresh runner).
 *   {"op": "open", "path": "/abs/path", "n": N, "expect": "allow" | "deny"}
 *       N x wd_host_open(path, O_RDONLY), each timed alone (a granted descriptor is closed
 *       after the clock stops);
 *   {"op": "connect", "host": "127.0.0.1", "port": P, "n": N}
 *       N x wd_host_connect(host, P), each timed alone, the socket closed after the clock stops.
 *       Both answer {"op": ..., "n": N, "ns": [t1, ..., tN]}: the round trip of each request
 *       in ns (CLOCK_MONOTONIC around the host call).
 *
 * A request that does not end as expected stops the call: execute() returns 1 with
 * "op target: why" as its output, which the bench reports. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "examples/plugins/common/json_field.h"
#include "warden/sys/plugin.h"

#define MAX_REQUESTS 100000

static uint64_t ctor_ns, init_ns, calls;
static uint32_t samples[MAX_REQUESTS];

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((constructor)) static void loaded(void)
{
    ctor_ns = mono_ns();
}

/* ---- the input: the few fields the bench writes ------------------------------------------ */

/* A string value without escapes (the bench writes none). */
static int str_field(const char *text, const char *key, char *out, size_t size)
{
    return json_field(text, key, out, size);
}

static int num_field(const char *text, const char *key, unsigned long *out)
{
    return json_number(text, key, out);
}

/* ---- the output ------------------------------------------------------------------------------ */

typedef struct {
    wd_host *host;
    wd_output *out;
    char buf[16384];
    size_t len;
    int failed;
} writer;

static void flush(writer *w)
{
    if (w->len && wd_output_write(w->host, w->out, w->buf, w->len) != 0)
        w->failed = 1;
    w->len = 0;
}

static void put(writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(writer *w, const char *fmt, ...)
{
    if (sizeof(w->buf) - w->len < 256)
        flush(w);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->buf + w->len, sizeof(w->buf) - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(w->buf) - w->len)
        w->failed = 1;
    else
        w->len += (size_t)n;
}

/* Fails the call with "what: why" as the output. */
static int fail(wd_host *host, wd_output *out, const char *what, const char *why)
{
    char msg[1200];
    int n = snprintf(msg, sizeof(msg), "%s: %s", what, why);
    wd_output_write(host, out, msg, n < (int)sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
    return 1;
}

static int report(wd_host *host, wd_output *out, const char *op, size_t n)
{
    writer w = {.host = host, .out = out};
    put(&w, "{\"op\": \"%s\", \"n\": %zu, \"ns\": [", op, n);
    for (size_t i = 0; i < n; i++)
        put(&w, i ? ",%u" : "%u", samples[i]);
    put(&w, "]}");
    flush(&w);
    return w.failed;
}

static uint32_t clamp32(uint64_t ns)
{
    return ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

/* ---- the operations ------------------------------------------------------------------------- */

static int op_open(wd_host *host, const char *input, wd_output *out, size_t n)
{
    char path[4096], expect[16];
    if (str_field(input, "path", path, sizeof(path)) != 0)
        return fail(host, out, "input", "open needs a \"path\" string");
    if (str_field(input, "expect", expect, sizeof(expect)) != 0 ||
        (strcmp(expect, "allow") != 0 && strcmp(expect, "deny") != 0))
        return fail(host, out, "input", "open needs \"expect\": \"allow\" or \"deny\"");
    int allow = expect[0] == 'a';
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = mono_ns();
        int fd = wd_host_open(host, path, O_RDONLY);
        uint64_t t1 = mono_ns();
        samples[i] = clamp32(t1 - t0);
        if (fd >= 0)
            close(fd);
        if ((fd >= 0) != allow)
            return fail(host, out, path,
                        allow ? wd_host_error(host) : "granted, but the bench expected a refusal");
    }
    return report(host, out, "open", n);
}

static int op_connect(wd_host *host, const char *input, wd_output *out, size_t n)
{
    char name[256];
    unsigned long port;
    if (str_field(input, "host", name, sizeof(name)) != 0 || num_field(input, "port", &port) != 0 ||
        port == 0 || port > 65535)
        return fail(host, out, "input", "connect needs \"host\" and \"port\"");
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = mono_ns();
        int fd = wd_host_connect(host, name, (unsigned)port);
        uint64_t t1 = mono_ns();
        samples[i] = clamp32(t1 - t0);
        if (fd < 0)
            return fail(host, out, name, wd_host_error(host));
        close(fd);
    }
    return report(host, out, "connect", n);
}

static int init(wd_host *host, const char *config)
{
    (void)host;
    (void)config;
    init_ns = mono_ns();
    return 0;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    uint64_t exec_ns = mono_ns();
    (void)len;
    calls++;
    char op[16];
    if (str_field(input, "op", op, sizeof(op)) != 0)
        return fail(host, out, "input", "needs an \"op\" string");
    if (!strcmp(op, "nop")) {
        char text[160];
        int k =
            snprintf(text, sizeof(text),
                     "{\"ctor_ns\": %llu, \"init_ns\": %llu, \"exec_ns\": %llu, \"calls\": %llu}",
                     (unsigned long long)ctor_ns, (unsigned long long)init_ns,
                     (unsigned long long)exec_ns, (unsigned long long)calls);
        return wd_output_write(host, out, text, (size_t)k) == 0 ? 0 : 1;
    }
    unsigned long n;
    if (num_field(input, "n", &n) != 0 || n == 0 || n > MAX_REQUESTS)
        return fail(host, out, "input", "needs \"n\", 1 to 100000");
    if (!strcmp(op, "open"))
        return op_open(host, input, out, n);
    if (!strcmp(op, "connect"))
        return op_connect(host, input, out, n);
    return fail(host, out, "input", "op is nop, open or connect");
}

static const char *describe(void)
{
    return "{\"description\": \"bench_sandbox's plugin: a no-op call and timed broker requests.\", "
           "\"input_schema\": {\"type\": \"object\", \"properties\": {\"op\": {\"type\": "
           "\"string\"}}, \"required\": [\"op\"]}}";
}

WD_PLUGIN_EXPORT = {
    WD_PLUGIN_ABI, sizeof(wd_plugin_descriptor), "benchplug", "1.0.0", init, execute, describe,
    NULL};
