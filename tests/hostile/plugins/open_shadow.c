/* open_shadow: reads /etc/shadow with open(2), past the broker, three ways (open, openat, and
 * through the /proc/self/root magic link). Landlock refuses each: no rule exposes /etc. Were one
 * to succeed, the plugin writes what it read, so a leak is visible in the output. */
#include <fcntl.h>
#include <unistd.h>

#include "hostile.h"

static int leak(wd_host *host, wd_output *out, const char *what, int fd)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    hs_out(host, out, "%s: BREACH: read %zd bytes: %.*s", what, n, n > 0 ? (int)n : 0, buf);
    return 1;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)input;
    (void)len;
    int breach = 0;
    int fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        hs_errno(host, out, "open /etc/shadow", errno);
    else
        breach |= leak(host, out, "open /etc/shadow", fd);
    fd = openat(AT_FDCWD, "/etc/shadow", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        hs_errno(host, out, "openat /etc/shadow", errno);
    else
        breach |= leak(host, out, "openat /etc/shadow", fd);
    fd = open("/proc/self/root/etc/shadow", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        hs_errno(host, out, "open /proc/self/root/etc/shadow", errno);
    else
        breach |= leak(host, out, "open /proc/self/root/etc/shadow", fd);
    return breach ? 0 : 1;
}

HOSTILE_PLUGIN("open_shadow", "open(2) on /etc/shadow", execute);
