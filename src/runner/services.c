/* services.c: the host services a plugin calls (wd_host_open and friends), as requests over
 * the broker socket. The runner asks; the host decides, audits and answers. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "runner/runner.h"

static char last_error[WD_PROTO_MAX_LOG + 1];
static char env_value[WD_PROTO_MAX_DATA + 1];

static void set_error(const uint8_t *data, size_t len)
{
    if (len > WD_PROTO_MAX_LOG)
        len = WD_PROTO_MAX_LOG;
    memcpy(last_error, data, len);
    last_error[len] = 0;
}

static const char connection_lost[] = "broker connection lost";

int wd_services_ask(uint32_t type, int32_t a, const char *data, size_t len, int *fd)
{
    *fd = -1;
    if (wd_proto_write(WD_RUNNER_SOCK, type, a, 0, data, len) != 0) {
        set_error((const uint8_t *)connection_lost, sizeof(connection_lost) - 1);
        return -1;
    }
    long n = wd_proto_recv(WD_RUNNER_SOCK, wd_runner_buf, fd);
    wd_msg m = {.type = 0};
    const char *why;
    bool lost = n <= 0 || wd_proto_decode(wd_runner_buf, (size_t)n, 0, &m, &why) != 0 ||
                m.type != WD_MSG_REPLY;
    if (!lost && m.a >= 0) {
        last_error[0] = 0;
        if (type == WD_MSG_GETENV) {
            memcpy(env_value, m.data, m.len);
            env_value[m.len] = 0;
        }
        return 0;
    }
    /* A broken reply or a refusal: a descriptor that came with it is not the plugin's. */
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    if (lost) {
        set_error((const uint8_t *)connection_lost, sizeof(connection_lost) - 1);
    } else {
        set_error(m.data, m.len);
        errno = -m.a;
    }
    return -1;
}

static int svc_open(wd_host *host, const char *path, int flags)
{
    (void)host;
    int fd;
    if (!path) {
        set_error((const uint8_t *)"no path", 7);
        return -1;
    }
    if (wd_services_ask(WD_MSG_OPEN, flags, path, strnlen(path, WD_PROTO_MAX_PATH + 1), &fd) != 0)
        return -1;
    return fd;
}

static int svc_connect(wd_host *host, const char *name, unsigned port)
{
    (void)host;
    int fd;
    if (!name || port == 0 || port > 65535) {
        set_error((const uint8_t *)"bad host or port", 16);
        return -1;
    }
    if (wd_services_ask(WD_MSG_CONNECT, (int32_t)port, name, strnlen(name, WD_PROTO_MAX_NAME + 1),
                        &fd) != 0)
        return -1;
    return fd;
}

static const char *svc_getenv(wd_host *host, const char *key)
{
    (void)host;
    int fd;
    if (!key) {
        set_error((const uint8_t *)"no key", 6);
        return NULL;
    }
    if (wd_services_ask(WD_MSG_GETENV, 0, key, strnlen(key, WD_PROTO_MAX_KEY + 1), &fd) != 0)
        return NULL;
    if (fd >= 0)
        close(fd);
    return env_value;
}

static void svc_log(wd_host *host, wd_log_level level, const char *message)
{
    (void)host;
    if (!message)
        return;
    size_t len = strnlen(message, WD_PROTO_MAX_LOG);
    wd_proto_write(WD_RUNNER_SOCK, WD_MSG_LOG, (int32_t)level > 3 ? 3 : (int32_t)level, 0, message,
                   len);
}

static const char *svc_error(wd_host *host)
{
    (void)host;
    return last_error;
}

int wd_services_flush(wd_output_state *out)
{
    if (out->used == 0)
        return 0;
    int rc = wd_proto_write(WD_RUNNER_SOCK, WD_MSG_OUTPUT, 0, 0, out->chunk, out->used);
    out->used = 0;
    if (rc != 0)
        out->broken = 1;
    return rc;
}

static int svc_write(wd_output *out, const void *data, size_t len)
{
    if (!out || (!data && len))
        return -1;
    if (out->overflow || out->broken)
        return -1;
    if (len > out->max - out->total) {
        out->overflow = 1;
        return -1;
    }
    out->total += len;
    const uint8_t *p = data;
    while (len) {
        size_t n = sizeof(out->chunk) - out->used;
        if (n > len)
            n = len;
        memcpy(out->chunk + out->used, p, n);
        out->used += n;
        p += n;
        len -= n;
        if (out->used == sizeof(out->chunk) && wd_services_flush(out) != 0)
            return -1;
    }
    return 0;
}

void wd_services_init(wd_host *host)
{
    *host = (wd_host){.abi = WD_PLUGIN_ABI,
                      .size = sizeof(wd_host),
                      .open = svc_open,
                      .connect = svc_connect,
                      .getenv = svc_getenv,
                      .log = svc_log,
                      .error = svc_error,
                      .write = svc_write};
}
