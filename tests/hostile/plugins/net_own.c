/* net_own: asks the broker to connect, under a policy that allows every host ("*"), to what is
 * the host itself: the addresses of its interfaces, 0.0.0.0, their IPv4-mapped spellings, names
 * that resolve to them, and names no resolver answers. Whatever connects is read from: a line
 * from the service behind it is the breach.
 * Input {"targets": "HOST/PORT,HOST/PORT,..."}; each line of output is one attempt. */
#include <poll.h>
#include <unistd.h>

#include "hostile.h"

#define BANNER_WAIT_MS 2000

/* A connect that succeeds is read from: a line from the service behind it is the breach. */
static int connect_one(wd_host *host, wd_output *out, const char *what, const char *name,
                       unsigned port)
{
    int fd = wd_host_connect(host, name, port);
    if (fd < 0) {
        hs_out(host, out, "%s: refused: %s", what, wd_host_error(host));
        return 0;
    }
    char banner[128] = "";
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n = poll(&p, 1, BANNER_WAIT_MS) == 1 ? read(fd, banner, sizeof(banner) - 1) : 0;
    banner[n > 0 ? n : 0] = 0;
    banner[strcspn(banner, "\r\n")] = 0;
    hs_out(host, out, "%s: BREACH: connected; the service said \"%s\"", what, banner);
    close(fd);
    return 1;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    return hs_each_target(host, input, out, connect_one);
}

HOSTILE_PLUGIN("net_own", "connect to the host's own addresses under host \"*\"", execute);
