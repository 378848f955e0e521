/* crasher: dies mid-call. {"mode": "segv"} writes through a null pointer (WD-S002),
 * {"mode": "abort"} calls abort() (WD-S002, SIGABRT), {"mode": "exit"} calls _exit(3)
 * (WD-S008: the runner exited mid-call). */
#include <signal.h>
#include <unistd.h>

#include "hostile.h"

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[16] = "segv";
    hs_str(input, "mode", mode, sizeof(mode));
    if (strcmp(mode, "abort") == 0)
        abort();
    if (strcmp(mode, "exit") == 0)
        _exit(3);
    volatile int *null = NULL;
    *null = 42;
    hs_out(host, out, "segv: BREACH: wrote through NULL and lived");
    return 0;
}

HOSTILE_PLUGIN("crasher", "segfault, abort and exit mid-call", execute);
