/* path_escape: asks the broker for files outside the granted data directory by spelling them
 * inside it: DATA/../../etc/passwd, more ".." than there are directories, and symbolic links
 * the test plants in DATA (to /etc/passwd, to a directory /etc, relatively to ../policy.yaml).
 * The broker decides the path it resolved, so each refusal names the real target. A control
 * read of DATA/hello.txt shows the grant itself works. Input {"data": "/abs/DATA"}, and
 * "direct": 0 to leave out the open(2) through the link (for a kernel without Landlock). */
#include <fcntl.h>
#include <unistd.h>

#include "hostile.h"

static int try_open(wd_host *host, wd_output *out, const char *what, const char *path)
{
    int fd = wd_host_open(host, path, O_RDONLY);
    if (fd < 0) {
        hs_out(host, out, "%s: refused: %s", what, wd_host_error(host));
        return 0;
    }
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    hs_out(host, out, "%s: BREACH: read %zd bytes: %.*s", what, n, n > 0 ? (int)n : 0, buf);
    return 1;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char data[1024], path[4096];
    if (hs_str(input, "data", data, sizeof(data)) != 0 || data[0] != '/') {
        hs_out(host, out, "input: needs {\"data\": \"/abs/dir\"}");
        return 2;
    }
    /* The control: a file the policy grants. */
    snprintf(path, sizeof(path), "%s/hello.txt", data);
    int fd = wd_host_open(host, path, O_RDONLY);
    if (fd < 0) {
        hs_out(host, out, "control: refused: %s", wd_host_error(host));
    } else {
        char buf[64];
        ssize_t n = read(fd, buf, sizeof(buf));
        close(fd);
        hs_out(host, out, "control: read %zd bytes", n);
    }

    /* Exactly enough ".." to reach /, then /etc/passwd; then three more than that. */
    unsigned depth = 0;
    for (const char *p = data; *p; p++)
        if (*p == '/' && p[1] && p[1] != '/')
            depth++;
    size_t n = (size_t)snprintf(path, sizeof(path), "%s", data);
    for (unsigned i = 0; i < depth && n + 4 < sizeof(path); i++)
        n += (size_t)snprintf(path + n, sizeof(path) - n, "/..");
    snprintf(path + n, sizeof(path) - n, "/etc/passwd");
    int breach = try_open(host, out, "dotdot", path);
    n = (size_t)snprintf(path, sizeof(path), "%s", data);
    for (unsigned i = 0; i < depth + 3 && n + 4 < sizeof(path); i++)
        n += (size_t)snprintf(path + n, sizeof(path) - n, "/..");
    snprintf(path + n, sizeof(path) - n, "/etc/passwd");
    breach |= try_open(host, out, "climb", path);

    /* Symbolic links the test planted. */
    snprintf(path, sizeof(path), "%s/passwd-link", data);
    breach |= try_open(host, out, "symlink", path);
    snprintf(path, sizeof(path), "%s/etc-link/passwd", data);
    breach |= try_open(host, out, "symlinked dir", path);
    snprintf(path, sizeof(path), "%s/policy-link", data);
    breach |= try_open(host, out, "relative symlink", path);

    /* The same link with open(2): Landlock decides the file it leads to. */
    if (!hs_num(input, "direct", 1))
        return breach ? 0 : 1;
    snprintf(path, sizeof(path), "%s/passwd-link", data);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        hs_errno(host, out, "direct symlink", errno);
    } else {
        char buf[256];
        ssize_t got = read(fd, buf, sizeof(buf));
        close(fd);
        hs_out(host, out, "direct symlink: BREACH: read %zd bytes: %.*s", got,
               got > 0 ? (int)got : 0, buf);
        breach = 1;
    }
    return breach ? 0 : 1;
}

HOSTILE_PLUGIN("path_escape", "escape the data directory through .. and symlinks", execute);
