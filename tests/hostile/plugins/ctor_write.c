/* ctor_write: a constructor runs when the library is loaded, before init() and without any
 * input. The runner loads the library only once it is confined, so this write to a fixed path
 * under /tmp (/tmp/warden-hostile-ctor-UID) must fail; execute() reports what the constructor
 * got. */
#include <fcntl.h>
#include <unistd.h>

#include "hostile.h"

static int ctor_fd = -2, ctor_errno;
static char ctor_path[64];

__attribute__((constructor)) static void hostile_ctor(void)
{
    snprintf(ctor_path, sizeof(ctor_path), "/tmp/warden-hostile-ctor-%u", (unsigned)getuid());
    ctor_fd = open(ctor_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ctor_errno = errno;
    if (ctor_fd >= 0) {
        ssize_t n = write(ctor_fd, "written by a constructor\n", 25);
        (void)n;
        close(ctor_fd);
    }
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)input;
    (void)len;
    char what[128];
    snprintf(what, sizeof(what), "constructor open %s", ctor_path);
    if (ctor_fd >= 0) {
        hs_out(host, out, "%s: BREACH: created it", what);
        return 0;
    }
    hs_errno(host, out, what, ctor_errno);
    return 1;
}

HOSTILE_PLUGIN("ctor_write", "write a file from a constructor", execute);
