/* fetch: an HTTP/1.0 GET through a connection the broker makes. Input {"host": "...", "port":
 * "8080", "path": "/"}; output the response. The plugin has no network of its own (its own
 * network namespace, and seccomp refuses sockets other than AF_UNIX): the broker connects, if
 * the policy grants the host, and hands over the connected socket. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../common/json_field.h"
#include "../common/reply.h"
#include "warden/sys/plugin.h"

static int init(wd_host *host, const char *config)
{
    (void)host;
    (void)config;
    return 0;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char name[256], port[8] = "80", path[1024] = "/";
    if (json_field(input, "host", name, sizeof(name)) != 0)
        return reply_error(host, out, "input", "needs a \"host\" string");
    json_field(input, "port", port, sizeof(port));
    json_field(input, "path", path, sizeof(path));
    int fd = wd_host_connect(host, name, (unsigned)strtoul(port, NULL, 10));
    if (fd < 0)
        return reply_error(host, out, "refused", wd_host_error(host));
    char req[1400];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n",
                     path, name);
    if (n < 0 || n >= (int)sizeof(req) || write(fd, req, (size_t)n) != n) {
        close(fd);
        return reply_error(host, out, "fetch", "cannot send the request");
    }
    char buf[16384];
    ssize_t got;
    while ((got = read(fd, buf, sizeof(buf))) > 0)
        if (wd_output_write(host, out, buf, (size_t)got) != 0)
            break;
    close(fd);
    return 0;
}

static const char *describe(void)
{
    return "{\"description\": \"Fetches a URL over HTTP through the broker.\", \"input_schema\": "
           "{\"type\": \"object\", \"properties\": {\"host\": {\"type\": \"string\"}, \"port\": "
           "{\"type\": \"string\"}, \"path\": {\"type\": \"string\"}}, \"required\": [\"host\"]}}";
}

WD_PLUGIN_EXPORT = {
    WD_PLUGIN_ABI, sizeof(wd_plugin_descriptor), "fetch", "1.0.0", init, execute, describe, NULL};
