/* cpu_spin: burns CPU forever. RLIMIT_CPU (from the policy's timeout and limits.cpu) sends
 * SIGXCPU (WD-S004), or the wall-clock timeout kills it first (WD-S003). {"mode": "ignore"}
 * ignores SIGXCPU first, leaving the hard limit's SIGKILL and the timeout. It logs its pid
 * first (PLUGIN_LOG), so the test can check the runner is gone afterwards. */
#include <signal.h>
#include <unistd.h>

#include "hostile.h"

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    (void)out;
    char mode[16] = "spin", msg[64];
    hs_str(input, "mode", mode, sizeof(mode));
    if (strcmp(mode, "ignore") == 0)
        signal(SIGXCPU, SIG_IGN);
    snprintf(msg, sizeof(msg), "cpu_spin pid=%d", (int)getpid());
    wd_host_log(host, WD_LOG_INFO, msg);
    volatile unsigned long n = 0;
    for (;;)
        n++;
    return 0;
}

HOSTILE_PLUGIN("cpu_spin", "spin on the CPU forever", execute);
