/* sleeper: logs its pid (PLUGIN_LOG), then sleeps far past the call's timeout (WD-S003). The
 * test reads the pid from the audit log and checks the process is gone. Returns only if the
 * timeout did not hold. */
#include <time.h>
#include <unistd.h>

#include "hostile.h"

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)input;
    (void)len;
    char msg[64];
    snprintf(msg, sizeof(msg), "sleeper pid=%d", (int)getpid());
    wd_host_log(host, WD_LOG_INFO, msg);
    struct timespec t = {(time_t)hs_num(input, "seconds", 30), 0};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
    hs_out(host, out, "sleep: BREACH: slept through the timeout");
    return 0;
}

HOSTILE_PLUGIN("sleeper", "sleep past the timeout", execute);
