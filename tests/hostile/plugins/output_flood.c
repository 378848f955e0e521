/* output_flood: writes without end.
 *   {"mode": "api"}     wd_output_write() 1 KiB at a time until it refuses, then 10000 more
 *                       tries, then returns 0: the call fails with WD-S007 all the same
 *   {"mode": "raw"}     OUTPUT messages written to the broker socket directly, past the host
 *                       table's own count: the host counts too (WD-S007)
 *   {"mode": "stdout"}  printf() and fprintf(stderr) forever: both are /dev/null, so nothing
 *                       reaches the caller, and the timeout ends it (WD-S003) */
#include <unistd.h>

#include "hostile.h"
#include "hostile_proto.h"

#define MARK "HOSTILE-FLOOD-MARKER "

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[16] = "api";
    hs_str(input, "mode", mode, sizeof(mode));
    static char block[60000];
    memset(block, 'x', sizeof(block));
    if (strcmp(mode, "raw") == 0) {
        for (int i = 0; i < 16; i++)
            if (hs_raw_msg(WD_MSG_OUTPUT, 0, 0, block, sizeof(block)) != 0)
                break;
        return 0;
    }
    if (strcmp(mode, "stdout") == 0) {
        for (unsigned long i = 0;; i++) {
            printf(MARK "%lu\n", i);
            fprintf(stderr, MARK "%lu\n", i);
        }
    }
    size_t written = 0;
    while (wd_output_write(host, out, block, 1024) == 0)
        written += 1024;
    for (int i = 0; i < 10000; i++)
        wd_output_write(host, out, block, 1024);
    (void)written;
    return 0;
}

HOSTILE_PLUGIN("output_flood", "unbounded output", execute);
