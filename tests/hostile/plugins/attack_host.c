/* attack_host: goes after the warden process that runs it (the runner's parent).
 *   {"mode": "ptrace"}  ptrace(PTRACE_ATTACH, getppid())     not on the allowlist: WD-S005
 *   {"mode": "kill"}    kill(getppid(), SIGKILL)             kill(2) only to itself: WD-S005
 *   {"mode": "tgkill"}  tgkill(getppid(), getppid(), SIGKILL)                        WD-S005
 *   {"mode": "sigio"}   F_SETOWN the broker socket to getppid() with F_SETSIG SIGKILL and
 *                       O_ASYNC, then make a broker request: the host's reply makes the socket
 *                       readable, and the kernel would signal the owner. seccomp answers
 *                       F_SETOWN, F_SETOWN_EX and F_SETSIG with EPERM.
 * Whatever returns reports a breach; the host must survive all of them. */
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostile.h"

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[16] = "";
    hs_str(input, "mode", mode, sizeof(mode));
    pid_t parent = getppid();
    long rc;
    if (strcmp(mode, "ptrace") == 0) {
        rc = ptrace(PTRACE_ATTACH, parent, NULL, NULL);
        if (rc == 0)
            ptrace(PTRACE_DETACH, parent, NULL, NULL);
    } else if (strcmp(mode, "kill") == 0) {
        rc = kill(parent, SIGKILL);
    } else if (strcmp(mode, "tgkill") == 0) {
        rc = syscall(SYS_tgkill, parent, parent, SIGKILL);
    } else if (strcmp(mode, "sigio") == 0) {
        int fl = fcntl(3, F_GETFL);
        rc = fcntl(3, F_SETSIG, SIGKILL) | fcntl(3, F_SETOWN, parent) |
             fcntl(3, F_SETFL, fl | O_ASYNC);
        if (rc != 0) {
            hs_errno(host, out, "sigio: fcntl", errno);
            return 1;
        }
        /* Any request will do: its reply is what raises the signal. */
        const char *v = wd_host_getenv(host, "HOSTILE_PING");
        hs_out(host, out, "sigio: the host answered (%s) and is alive",
               v ? v : wd_host_error(host));
        return 1;
    } else {
        hs_out(host, out, "input: mode is ptrace, kill, tgkill or sigio");
        return 2;
    }
    hs_out(host, out, "%s %d: BREACH: returned %ld (%s)", mode, (int)parent, rc,
           rc ? strerror(errno) : "done");
    return 0;
}

HOSTILE_PLUGIN("attack_host", "ptrace, kill and signal the host", execute);
