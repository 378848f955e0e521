/* fuzz_mcp_session.c: the input as everything an MCP client writes to `wardend --mcp` —
 * newline-delimited JSON-RPC messages — served by wdd_mcp_serve() against a real daemon (the
 * example plugins, a policy store, an audit log) as a reader, so no sandbox is started. Aborts
 * when a promise breaks: the session ends cleanly at end of input, and every line the server
 * writes is one JSON-RPC 2.0 response object, or (a 2025-03-26 session's batch) a non-empty
 * array of them. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/mcp.h"
#include "fuzz_daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_response(json_t *j)
{
    const char *version = NULL;
    return json_is_object(j) && json_unpack(j, "{s:s}", "jsonrpc", &version) == 0 &&
           strcmp(version, "2.0") == 0 &&
           !json_object_get(j, "result") != !json_object_get(j, "error");
}

static void check_output(int fd)
{
    off_t n = lseek(fd, 0, SEEK_END);
    if (n < 0 || lseek(fd, 0, SEEK_SET) != 0)
        abort();
    char *out = malloc((size_t)n + 1);
    if (!out || read(fd, out, (size_t)n) != n)
        abort();
    out[n] = '\0';
    for (char *line = out, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl) /* every message ends with its newline */
            abort();
        json_t *j = json_loadb(line, (size_t)(nl - line), 0, NULL);
        if (json_is_array(j)) {
            if (json_array_size(j) == 0)
                abort();
            for (size_t i = 0; i < json_array_size(j); i++)
                if (!is_response(json_array_get(j, i)))
                    abort();
        } else if (!is_response(j)) {
            abort();
        }
        json_decref(j);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wdd_daemon *d = wd_fuzz_daemon();
    int in = memfd_create("mcp-in", MFD_CLOEXEC), out = memfd_create("mcp-out", MFD_CLOEXEC);
    if (in < 0 || out < 0 || (size && write(in, data, size) != (ssize_t)size) ||
        lseek(in, 0, SEEK_SET) != 0)
        abort();
    if (wdd_mcp_serve(d, "demo", WDD_ROLE_READER, in, out) != 0)
        abort(); /* end of input is a clean end, whatever came before it */
    check_output(out);
    close(in);
    close(out);
    return 0;
}
