/* leftovers: the attacks a security review of the sandbox found, after the suite above.
 *   {"mode": "fds"}            any descriptor open beyond the broker socket (3) is a leak: the
 *                              host's descriptor 4 reached plugins of an ordinary user once
 *   {"mode": "flood"}          5,000 broker requests in one call: each is an audit record, so
 *                              the host stops the call at 4,096 (WD-S006)
 *   {"mode": "rename", "dir": D}  rename D/a.secret (denied by name) to D/a.txt (allowed) with
 *                              rename(2), then open D/a.txt through the broker: a deny rule
 *                              decides by name, so a plugin must not be able to change names
 *                              where one applies */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "hostile.h"

static int fds(wd_host *host, wd_output *out)
{
    int leaked = 0;
    for (int fd = 4; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1) {
            char link[64], target[256] = "?";
            snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
            ssize_t n = readlink(link, target, sizeof(target) - 1);
            target[n > 0 ? n : 1] = 0;
            hs_out(host, out, "fd %d: BREACH open (%s)", fd, target);
            leaked = 1;
        }
    if (!leaked)
        hs_out(host, out, "fds: none open beyond 3");
    return leaked ? 0 : 1;
}

static int rename_denied(wd_host *host, wd_output *out, const char *dir)
{
    char from[4200], to[4200];
    snprintf(from, sizeof(from), "%s/a.secret", dir);
    snprintf(to, sizeof(to), "%s/a.txt", dir);
    int breach = 0;
    if (rename(from, to) == 0) {
        hs_out(host, out, "rename: BREACH renamed a.secret to a.txt");
        breach = 1;
    } else {
        hs_errno(host, out, "rename", errno);
    }
    int fd = wd_host_open(host, to, O_RDONLY);
    if (fd >= 0) {
        char buf[64] = "";
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = 0;
        hs_out(host, out, "open a.txt: BREACH read \"%s\"", buf);
        close(fd);
        breach = 1;
    } else {
        hs_out(host, out, "open a.txt: refused: %s", wd_host_error(host));
    }
    return breach ? 0 : 1;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[16] = "", dir[4096] = "";
    hs_str(input, "mode", mode, sizeof(mode));
    if (strcmp(mode, "fds") == 0)
        return fds(host, out);
    if (strcmp(mode, "flood") == 0) {
        for (int i = 0; i < 5000; i++)
            wd_host_getenv(host, "HOSTILE_NOPE");
        hs_out(host, out, "flood: BREACH 5000 requests served");
        return 0;
    }
    if (strcmp(mode, "rename") == 0 && hs_str(input, "dir", dir, sizeof(dir)) == 0)
        return rename_denied(host, out, dir);
    hs_out(host, out, "input: mode is fds, flood or rename (with dir)");
    return 2;
}

static int init(wd_host *host, const char *config)
{
    (void)host;
    (void)config;
    return 0;
}

static const char *describe(void)
{
    return "{\"description\": \"hostile: descriptor leaks, request floods, renames past deny "
           "rules\"}";
}

WD_PLUGIN_EXPORT = {
    WD_PLUGIN_ABI, sizeof(wd_plugin_descriptor), "leftovers", "1.0.0", init, execute, describe,
    NULL};
