/* hostile.h: what every hostile plugin shares. The plugins link nothing but libc, like the
 * examples, and report each attempt on one output line:
 *
 *   WHAT: refused errno=13 (EACCES)         the kernel said no (Landlock, seccomp's ERRNO)
 *   WHAT: refused: REASON                   the broker said no (wd_host_error())
 *   WHAT: BREACH ...                        the attack worked
 *
 * execute() returns 1 when every attempt was refused (the call then ends as WD-S011 with the
 * lines above as its output) and 0 when something got through, so a breach shows up as an
 * ok call that says BREACH. Attacks that get the plugin killed never return at all. */
#ifndef WD_HOSTILE_H
#define WD_HOSTILE_H

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/plugins/common/json_field.h"
#include "warden/sys/plugin.h"

/* The string value of "key" (escapes: \" \\ \n \t); 0, or -1 when it is missing, not a
 * string or longer than size - 1. */
static inline int hs_str(const char *json, const char *key, char *out, size_t size)
{
    return json_field(json, key, out, size);
}

/* The unsigned number value of "key" (a JSON number or a string of digits), or def. */
static inline unsigned long hs_num(const char *json, const char *key, unsigned long def)
{
    unsigned long v;
    return json_number(json, key, &v) == 0 ? v : def;
}

static inline void hs_out(wd_host *host, wd_output *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void hs_out(wd_host *host, wd_output *out, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) - 2 ? (size_t)n : sizeof(line) - 2;
    line[len++] = '\n';
    wd_output_write(host, out, line, len);
}

/* "WHAT: refused errno=N (ENAME)" for a refusal the kernel made. */
static inline void hs_errno(wd_host *host, wd_output *out, const char *what, int err)
{
    const char *name = strerrorname_np(err);
    hs_out(host, out, "%s: refused errno=%d (%s)", what, err, name ? name : "?");
}

/* Reports a broker refusal, or a breach when the broker handed a descriptor over. Returns 1
 * for a breach. */
static inline int hs_broker(wd_host *host, wd_output *out, const char *what, int fd)
{
    if (fd < 0) {
        hs_out(host, out, "%s: refused: %s", what, wd_host_error(host));
        return 0;
    }
    hs_out(host, out, "%s: BREACH: the broker handed over descriptor %d", what, fd);
    return 1;
}

/* The control write every change attack starts with: a file the policy does grant, written
 * through the broker, so a refusal of the real targets is known to be the protection's. */
static inline void hs_control_write(wd_host *host, wd_output *out, const char *path)
{
    int fd = wd_host_open(host, path, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0) {
        hs_out(host, out, "control: refused: %s", wd_host_error(host));
        return;
    }
    ssize_t n = write(fd, "granted\n", 8);
    close(fd);
    hs_out(host, out, "control: wrote %zd bytes", n);
}

/* Calls connect_one(host, out, what, NAME, PORT) for each "NAME/PORT" of the input's "targets"
 * list ("connect NAME port PORT" in what) and ORs what they return (1: a breach). Returns the
 * plugin's status: 0 after a breach, 1 when every attempt was refused, 2 for bad input. */
typedef int (*hs_connect_fn)(wd_host *host, wd_output *out, const char *what, const char *name,
                             unsigned port);
static inline int hs_each_target(wd_host *host, const char *input, wd_output *out,
                                 hs_connect_fn connect_one)
{
    char list[2048];
    if (hs_str(input, "targets", list, sizeof(list)) != 0) {
        hs_out(host, out, "input: needs {\"targets\": \"HOST/PORT,...\"}");
        return 2;
    }
    int breach = 0;
    char *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *slash = strrchr(t, '/');
        if (!slash)
            continue;
        *slash = 0;
        unsigned port = (unsigned)strtoul(slash + 1, NULL, 10);
        char what[300];
        snprintf(what, sizeof(what), "connect %s port %u", t, port);
        breach |= connect_one(host, out, what, t, port);
    }
    return breach ? 0 : 1;
}

/* The descriptor of a hostile plugin: init() accepts, describe() says what it attacks. */
#define HOSTILE_PLUGIN(NAME, WHAT, EXECUTE)                                                        \
    static int hs_init(wd_host *host, const char *config)                                          \
    {                                                                                              \
        (void)host;                                                                                \
        (void)config;                                                                              \
        return 0;                                                                                  \
    }                                                                                              \
    static const char *hs_describe(void)                                                           \
    {                                                                                              \
        return "{\"description\": \"hostile: " WHAT "\", \"input_schema\": {\"type\": "            \
               "\"object\"}}";                                                                     \
    }                                                                                              \
    WD_PLUGIN_EXPORT = {                                                                           \
        WD_PLUGIN_ABI, sizeof(wd_plugin_descriptor), NAME, "1.0.0", hs_init, EXECUTE, hs_describe, \
        NULL}

#endif
