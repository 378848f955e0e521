/* net_escape: asks the broker to connect where the policy does not let it: a host no rule
 * names, an allowed name ("localhost", which the policy grants by name) that resolves to
 * loopback, the loopback address itself, a port the rule does not list, and a malformed host.
 * Input {"targets": "HOST/PORT,HOST/PORT,..."}; each line of output is one refusal. */
#include <unistd.h>

#include "hostile.h"

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char list[2048];
    if (hs_str(input, "targets", list, sizeof(list)) != 0) {
        hs_out(host, out, "input: needs {\"targets\": \"HOST/PORT,...\"}");
        return 2;
    }
    int breach = 0;
    char *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *slash = strrchr(t, '/');
        if (!slash)
            continue;
        *slash = 0;
        unsigned port = (unsigned)strtoul(slash + 1, NULL, 10);
        int fd = wd_host_connect(host, t, port);
        char what[300];
        snprintf(what, sizeof(what), "connect %s port %u", t, port);
        breach |= hs_broker(host, out, what, fd);
        if (fd >= 0)
            close(fd);
    }
    return breach ? 0 : 1;
}

HOSTILE_PLUGIN("net_escape", "connect through the broker where the policy says no", execute);
