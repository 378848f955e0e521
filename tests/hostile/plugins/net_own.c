/* net_own: asks the broker to connect, under a policy that allows every host ("*"), to what is
 * the host itself: the addresses of its interfaces, 0.0.0.0, their IPv4-mapped spellings, names
 * that resolve to them, and names no resolver answers. Whatever connects is read from: a line
 * from the service behind it is the breach.
 * Input {"targets": "HOST/PORT,HOST/PORT,..."}; each line of output is one attempt. */
#include <poll.h>
#include <unistd.h>

#include "hostile.h"

#define BANNER_WAIT_MS 2000

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
        char what[300];
        snprintf(what, sizeof(what), "connect %s port %u", t, port);
        int fd = wd_host_connect(host, t, port);
        if (fd < 0) {
            hs_out(host, out, "%s: refused: %s", what, wd_host_error(host));
            continue;
        }
        breach = 1;
        char banner[128] = "";
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n = poll(&p, 1, BANNER_WAIT_MS) == 1 ? read(fd, banner, sizeof(banner) - 1) : 0;
        banner[n > 0 ? n : 0] = 0;
        banner[strcspn(banner, "\r\n")] = 0;
        hs_out(host, out, "%s: BREACH: connected; the service said \"%s\"", what, banner);
        close(fd);
    }
    return breach ? 0 : 1;
}

HOSTILE_PLUGIN("net_own", "connect to the host's own addresses under host \"*\"", execute);
