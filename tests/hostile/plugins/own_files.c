/* own_files: tries to replace warden's own programs and libraries in a directory its policy
 * grants read and write on (on purpose: the directory warden runs from). For each file named in
 * "files" (relative to "bin"): through the broker, open it for writing (truncating) and append
 * to it; then, with "direct": 1, open(2) it for writing, unlink(2) it, and rename(2) a file the
 * broker let it create beside it over it. A control write of BIN/control.txt shows the grant
 * works. Input {"bin": DIR, "files": "a,b/c,...", "direct": 0|1}; {"mode": "noop"} only says it
 * ran (the next call, which must still run the real runner). */
#include <fcntl.h>
#include <unistd.h>

#include "hostile.h"

static const char FAKE[] = "#!/bin/sh\necho replaced\n";

/* A descriptor the broker or the kernel should never have given: use it, and say so. */
static int breach(wd_host *host, wd_output *out, const char *what, int fd)
{
    ssize_t n = write(fd, FAKE, sizeof(FAKE) - 1);
    close(fd);
    hs_out(host, out, "%s: BREACH: wrote %zd bytes", what, n);
    return 1;
}

static int attack(wd_host *host, wd_output *out, const char *bin, const char *file, int direct)
{
    char path[2048], planted[2200], what[2300];
    snprintf(path, sizeof(path), "%s/%s", bin, file);
    int hit = 0;
    snprintf(what, sizeof(what), "broker write %s", file);
    int fd = wd_host_open(host, path, O_WRONLY | O_TRUNC);
    hit |= fd >= 0 ? breach(host, out, what, fd) : hs_broker(host, out, what, fd);
    snprintf(what, sizeof(what), "broker append %s", file);
    fd = wd_host_open(host, path, O_WRONLY | O_APPEND);
    hit |= fd >= 0 ? breach(host, out, what, fd) : hs_broker(host, out, what, fd);
    if (!direct)
        return hit;
    snprintf(what, sizeof(what), "direct write %s", file);
    fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd >= 0)
        hit |= breach(host, out, what, fd);
    else
        hs_errno(host, out, what, errno);
    snprintf(what, sizeof(what), "direct unlink %s", file);
    if (unlink(path) == 0) {
        hs_out(host, out, "%s: BREACH: removed", what);
        hit = 1;
    } else {
        hs_errno(host, out, what, errno);
    }
    /* A new name beside it is no change of warden's files: the broker may make it. Moving it
     * over the real one is the attack. */
    snprintf(planted, sizeof(planted), "%s", path);
    snprintf(strrchr(planted, '/') + 1, 16, "planted");
    fd = wd_host_open(host, planted, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd >= 0) {
        if (write(fd, FAKE, sizeof(FAKE) - 1) < 0)
            hs_out(host, out, "planted %s: write failed", file);
        close(fd);
    }
    snprintf(what, sizeof(what), "direct rename over %s", file);
    if (rename(planted, path) == 0) {
        hs_out(host, out, "%s: BREACH: replaced", what);
        hit = 1;
    } else {
        hs_errno(host, out, what, errno);
    }
    return hit;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[32] = "", bin[1024], files[2048], path[1100];
    if (hs_str(input, "mode", mode, sizeof(mode)) == 0 && !strcmp(mode, "noop")) {
        hs_out(host, out, "noop: ran");
        return 0;
    }
    if (hs_str(input, "bin", bin, sizeof(bin)) != 0 ||
        hs_str(input, "files", files, sizeof(files)) != 0) {
        hs_out(host, out, "input: needs bin and files");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/control.txt", bin);
    hs_control_write(host, out, path);
    int direct = (int)hs_num(input, "direct", 1), hit = 0;
    for (char *save = NULL, *f = strtok_r(files, ",", &save); f; f = strtok_r(NULL, ",", &save))
        hit |= attack(host, out, bin, f, direct);
    return hit ? 0 : 1;
}

HOSTILE_PLUGIN("own_files", "replace warden's runner, programs and libraries", execute);
