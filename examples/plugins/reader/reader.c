/* reader: reads a file through the broker. Input {"path": "/abs/path"}; output the file's first
 * 64 KiB. The broker opens only what the policy grants (here: the example's data directory),
 * and says why when it refuses. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "../common/json_field.h"
#include "../common/reply.h"
#include "warden/sys/plugin.h"

static int init(wd_host *host, const char *config)
{
    (void)config;
    wd_host_log(host, WD_LOG_DEBUG, "reader ready");
    return 0;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char path[4096];
    if (json_field(input, "path", path, sizeof(path)) != 0)
        return reply_error(host, out, "input", "needs a \"path\" string");
    int fd = wd_host_open(host, path, O_RDONLY);
    if (fd < 0)
        return reply_error(host, out, "refused", wd_host_error(host));
    char buf[65536];
    size_t have = 0;
    ssize_t n;
    while (have < sizeof(buf) && (n = read(fd, buf + have, sizeof(buf) - have)) > 0)
        have += (size_t)n;
    close(fd);
    return wd_output_write(host, out, buf, have) == 0 ? 0 : 1;
}

static const char *describe(void)
{
    return "{\"description\": \"Reads a file the policy grants.\", \"input_schema\": "
           "{\"type\": \"object\", \"properties\": {\"path\": {\"type\": \"string\"}}, "
           "\"required\": [\"path\"]}}";
}

WD_PLUGIN_EXPORT = {
    WD_PLUGIN_ABI, sizeof(wd_plugin_descriptor), "reader", "1.0.0", init, execute, describe, NULL};
