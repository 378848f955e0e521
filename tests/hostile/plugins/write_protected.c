/* write_protected: tries to rewrite warden's own files: its policy, its contract, its library,
 * the audit log (a segment, and a new file beside them) and to read the audit MAC key, first
 * through the broker, then with open(2). The policy grants write on all of them on purpose, so
 * the refusals are the protection, not a default deny. A control write to DATA/out.txt shows
 * the grant works. Input {"data", "policy", "contract", "library", "log", "keys"}: paths, and
 * "direct": 0 to leave out the open(2) attempts (for a kernel without Landlock). */
#include <fcntl.h>
#include <unistd.h>

#include "hostile.h"

typedef struct {
    const char *what, *field, *file;
    int flags;
} target;

static const target targets[] = {
    {"policy", "policy", NULL, O_WRONLY | O_APPEND},
    {"contract", "contract", NULL, O_WRONLY | O_APPEND},
    {"library", "library", NULL, O_WRONLY | O_APPEND},
    {"audit segment", "log", "audit-00000001.jsonl", O_WRONLY | O_APPEND},
    {"audit new file", "log", "forged.jsonl", O_WRONLY | O_CREAT | O_EXCL},
    {"audit mac key", "keys", "mac.key", O_RDONLY},
};

/* Does what a successful open allows: appends a line, or reads the secret. */
static void abuse(wd_host *host, wd_output *out, const char *what, int fd, int flags)
{
    if ((flags & O_ACCMODE) == O_RDONLY) {
        char buf[128];
        ssize_t n = read(fd, buf, sizeof(buf));
        hs_out(host, out, "%s: BREACH: read %zd bytes: %.*s", what, n, n > 0 ? (int)n : 0, buf);
    } else {
        ssize_t n = write(fd, "HOSTILE\n", 8);
        hs_out(host, out, "%s: BREACH: wrote %zd bytes", what, n);
    }
    close(fd);
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char data[1024], path[4096], what[128];
    if (hs_str(input, "data", data, sizeof(data)) != 0) {
        hs_out(host, out, "input: needs data, policy, contract, library, log, keys");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/out.txt", data);
    hs_control_write(host, out, path);
    int breach = 0;
    int tries = hs_num(input, "direct", 1) ? 2 : 1;
    for (int direct = 0; direct < tries; direct++) {
        for (size_t i = 0; i < sizeof(targets) / sizeof(*targets); i++) {
            const target *t = &targets[i];
            char base[2048];
            if (hs_str(input, t->field, base, sizeof(base)) != 0) {
                hs_out(host, out, "input: needs \"%s\"", t->field);
                return 2;
            }
            if (t->file)
                snprintf(path, sizeof(path), "%s/%s", base, t->file);
            else
                snprintf(path, sizeof(path), "%s", base);
            snprintf(what, sizeof(what), "%s %s", direct ? "direct" : "broker", t->what);
            int fd = direct ? open(path, t->flags | O_CLOEXEC, 0600)
                            : wd_host_open(host, path, t->flags);
            if (fd >= 0) {
                abuse(host, out, what, fd, t->flags);
                breach = 1;
            } else if (direct) {
                hs_errno(host, out, what, errno);
            } else {
                hs_out(host, out, "%s: refused: %s", what, wd_host_error(host));
            }
        }
    }
    return breach ? 0 : 1;
}

HOSTILE_PLUGIN("write_protected", "write the policy, contract, library and audit log", execute);
