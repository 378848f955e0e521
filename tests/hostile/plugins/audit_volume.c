/* audit_volume: broker requests built to make the audit log as large as possible: "count"
 * opens of paths "bytes" long (at most 4,095) that are not UTF-8, so each byte escapes to four
 * and more. Every one is denied (the policy grants nothing); what matters is how much each adds
 * to the log. Path i is "/hvNNN/" followed by bytes 0x80 | (j % 64) at offset j, with a "/" at
 * every offset that is a multiple of 200. */
#include <fcntl.h>

#include "hostile.h"

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    unsigned long count = hs_num(input, "count", 4), bytes = hs_num(input, "bytes", 4000);
    if (bytes < 16 || bytes > 4095 || count > 4096) {
        hs_out(host, out, "input: bytes in 16..4095, count at most 4096");
        return 2;
    }
    static char path[4096];
    unsigned long refused = 0;
    for (unsigned long i = 0; i < count; i++) {
        size_t j = (size_t)snprintf(path, sizeof(path), "/hv%03lu/", i % 1000);
        for (; j < bytes; j++)
            path[j] = j % 200 == 0 ? '/' : (char)(0x80 | (j % 64));
        path[bytes] = '\0';
        int fd = wd_host_open(host, path, O_RDONLY);
        if (fd >= 0) {
            hs_out(host, out, "open %lu: BREACH: descriptor %d", i, fd);
            return 0;
        }
        refused++;
    }
    hs_out(host, out, "refused %lu of %lu", refused, count);
    return 1;
}

HOSTILE_PLUGIN("audit_volume", "flood the audit log with long non-UTF-8 paths", execute);
