/* net_escape: asks the broker to connect where the policy does not let it: a host no rule
 * names, an allowed name ("localhost", which the policy grants by name) that resolves to
 * loopback, the loopback address itself, a port the rule does not list, and a malformed host.
 * Input {"targets": "HOST/PORT,HOST/PORT,..."}; each line of output is one refusal. */
#include <unistd.h>

#include "hostile.h"

static int connect_one(wd_host *host, wd_output *out, const char *what, const char *name,
                       unsigned port)
{
    int fd = wd_host_connect(host, name, port);
    int breach = hs_broker(host, out, what, fd);
    if (fd >= 0)
        close(fd);
    return breach;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    return hs_each_target(host, input, out, connect_one);
}

HOSTILE_PLUGIN("net_escape", "connect through the broker where the policy says no", execute);
