/* raw_socket: reaches for the network itself. {"mode": "inet"} (the default) creates
 * AF_INET, AF_INET6, AF_NETLINK and AF_PACKET sockets and connects the first that it gets to
 * 192.0.2.1:80: seccomp answers EACCES for every family but AF_UNIX (and the runner's network
 * namespace has no route anyway). {"mode": "unix"} makes the AF_UNIX socket it is allowed and
 * calls connect(2) on it, which is not on the allowlist: killed (WD-S005). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostile.h"

static int inet(wd_host *host, wd_output *out)
{
    static const struct {
        int family, type;
        const char *what;
    } kinds[] = {{AF_INET, SOCK_STREAM, "socket AF_INET"},
                 {AF_INET6, SOCK_STREAM, "socket AF_INET6"},
                 {AF_NETLINK, SOCK_RAW, "socket AF_NETLINK"},
                 {AF_PACKET, SOCK_RAW, "socket AF_PACKET"}};
    int breach = 0;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
        int fd = socket(kinds[i].family, kinds[i].type | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            hs_errno(host, out, kinds[i].what, errno);
            continue;
        }
        breach = 1;
        hs_out(host, out, "%s: BREACH: descriptor %d", kinds[i].what, fd);
        if (kinds[i].family == AF_INET) {
            struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
            inet_pton(AF_INET, "192.0.2.1", &sa.sin_addr);
            int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
            hs_out(host, out, "connect 192.0.2.1:80: %s",
                   rc == 0 ? "BREACH: connected" : strerror(errno));
        }
        close(fd);
    }
    return breach ? 0 : 1;
}

static int unix_connect(wd_host *host, wd_output *out)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        hs_errno(host, out, "socket AF_UNIX", errno);
        return 1;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, "\0warden-hostile", 15); /* abstract: no file needed */
    int rc = connect(fd, (struct sockaddr *)&sa, (socklen_t)(sizeof(sa.sun_family) + 15));
    hs_out(host, out, "connect AF_UNIX: BREACH: connect(2) returned %d (%s)", rc,
           rc ? strerror(errno) : "connected");
    close(fd);
    return 0;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[16] = "inet";
    hs_str(input, "mode", mode, sizeof(mode));
    return strcmp(mode, "unix") == 0 ? unix_connect(host, out) : inet(host, out);
}

HOSTILE_PLUGIN("raw_socket", "socket(2) and connect(2) past the broker", execute);
