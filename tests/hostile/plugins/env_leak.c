/* env_leak: looks for an environment variable the policy does not grant, every way it can:
 * wd_host_getenv(), getenv(), the whole environ, /proc/self/environ and the host's own
 * /proc/PPID/environ (which Landlock hides). Everything it finds is written out, so a leaked
 * value shows up in the output. Input {"secret": KEY, "visible": KEY, "proc": 0|1}; "visible"
 * is the key the policy does grant (the control). */
#include <fcntl.h>
#include <unistd.h>

#include "hostile.h"

extern char **environ;

static void dump_file(wd_host *host, wd_output *out, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        hs_errno(host, out, path, errno);
        return;
    }
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == 0)
            buf[i] = ' ';
    hs_out(host, out, "%s: read %zd bytes: %.*s", path, n, n > 0 ? (int)n : 0, buf);
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char secret[256], visible[256];
    if (hs_str(input, "secret", secret, sizeof(secret)) != 0 ||
        hs_str(input, "visible", visible, sizeof(visible)) != 0) {
        hs_out(host, out, "input: needs {\"secret\": KEY, \"visible\": KEY}");
        return 2;
    }
    int breach = 0;
    const char *v = wd_host_getenv(host, visible);
    hs_out(host, out, "control %s: %s%s", visible,
           v ? "granted: " : "refused: ", v ? v : wd_host_error(host));
    v = wd_host_getenv(host, secret);
    if (v) {
        hs_out(host, out, "broker %s: BREACH: %s", secret, v);
        breach = 1;
    } else {
        hs_out(host, out, "broker %s: refused: %s", secret, wd_host_error(host));
    }
    v = getenv(secret);
    if (v) {
        hs_out(host, out, "getenv %s: BREACH: %s", secret, v);
        breach = 1;
    } else {
        hs_out(host, out, "getenv %s: unset", secret);
    }
    size_t n = 0;
    for (char **e = environ; e && *e; e++, n++)
        hs_out(host, out, "environ: %s", *e);
    hs_out(host, out, "environ: %zu entries", n);
    dump_file(host, out, "/proc/self/environ");
    if (hs_num(input, "proc", 1)) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/environ", (int)getppid());
        dump_file(host, out, path);
    }
    return breach ? 0 : 1;
}

HOSTILE_PLUGIN("env_leak", "read environment variables the policy does not grant", execute);
