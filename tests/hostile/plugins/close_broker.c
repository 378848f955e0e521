/* close_broker: takes the broker connection (descriptor 3) away mid-call (WD-S008).
 *   {"mode": "close"}     close(3), return 0: the runner cannot say it is done and exits
 *   {"mode": "sleep"}     close(3), then sleep: the host sees the connection end first
 *   {"mode": "shutdown"}  shutdown(3, SHUT_RDWR), return 0
 *   {"mode": "replace"}   close(3) and dup2 a socket of its own onto 3, return 0: the runner
 *                         talks to the plugin's socket; the host still sees its end close */
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[16] = "close";
    hs_str(input, "mode", mode, sizeof(mode));
    hs_out(host, out, "close_broker: %s", mode); /* buffered: never reaches the host */
    if (strcmp(mode, "shutdown") == 0) {
        shutdown(3, SHUT_RDWR);
        return 0;
    }
    if (strcmp(mode, "replace") == 0) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
            return 1;
        dup2(sv[0], 3);
        return 0;
    }
    close(3);
    if (strcmp(mode, "sleep") == 0) {
        struct timespec t = {30, 0};
        nanosleep(&t, NULL);
    }
    return 0;
}

HOSTILE_PLUGIN("close_broker", "close the broker socket mid-call", execute);
