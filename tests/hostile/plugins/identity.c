/* identity: who the plugin is. It must never be root, whoever runs warden.
 *
 *   {"mode": "ids"}     "ids: uid=U euid=E gid=G egid=H groups=N"; a BREACH when any id is 0
 *   {"mode": "setuid"}  setuid(0), setresuid(0,0,0) and setgid(0): seccomp kills it (WD-S005);
 *                       should a call return, its result is reported
 *   {"mode": "chown", "path": P}  chown(P, uid, gid) to its own ids: killed the same way
 *   {"mode": "create", "dir": D}  creates D/direct.txt with open(2) and D/broker.txt through
 *                       the broker, and says which worked: file ownership decides the first
 *                       (Landlock grants D), the broker (the host) the second */
#include <fcntl.h>
#include <unistd.h>

#include "hostile.h"

static int ids(wd_host *host, wd_output *out)
{
    uid_t uid = getuid(), euid = geteuid();
    gid_t gid = getgid(), egid = getegid();
    int groups = getgroups(0, NULL);
    int root = uid == 0 || euid == 0 || gid == 0 || egid == 0;
    hs_out(host, out, "ids: %suid=%u euid=%u gid=%u egid=%u groups=%d", root ? "BREACH: " : "",
           (unsigned)uid, (unsigned)euid, (unsigned)gid, (unsigned)egid, groups);
    return root ? 0 : 1;
}

static int become_root(wd_host *host, wd_output *out)
{
    int breach = 0;
    if (setuid(0) == 0)
        breach = 1, hs_out(host, out, "setuid(0): BREACH: uid %u", (unsigned)getuid());
    else
        hs_errno(host, out, "setuid(0)", errno);
    if (setresuid(0, 0, 0) == 0)
        breach = 1, hs_out(host, out, "setresuid(0): BREACH: uid %u", (unsigned)getuid());
    else
        hs_errno(host, out, "setresuid(0)", errno);
    if (setgid(0) == 0)
        breach = 1, hs_out(host, out, "setgid(0): BREACH: gid %u", (unsigned)getgid());
    else
        hs_errno(host, out, "setgid(0)", errno);
    return breach ? 0 : 1;
}

static int change_owner(wd_host *host, wd_output *out, const char *path)
{
    if (chown(path, getuid(), getgid()) == 0) {
        hs_out(host, out, "chown %s: BREACH: changed", path);
        return 0;
    }
    hs_errno(host, out, "chown", errno);
    return 1;
}

static void create(wd_host *host, wd_output *out, const char *dir)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/direct.txt", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    char what[1100];
    snprintf(what, sizeof(what), "direct create %s", path);
    if (fd >= 0) {
        hs_out(host, out, "%s: created", what);
        close(fd);
    } else {
        hs_errno(host, out, what, errno);
    }
    snprintf(path, sizeof(path), "%s/broker.txt", dir);
    snprintf(what, sizeof(what), "broker create %s", path);
    fd = wd_host_open(host, path, O_WRONLY | O_CREAT | O_EXCL);
    if (fd >= 0) {
        hs_out(host, out, "%s: created", what);
        close(fd);
    } else {
        hs_out(host, out, "%s: refused: %s", what, wd_host_error(host));
    }
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[16] = "ids", arg[512] = "";
    hs_str(input, "mode", mode, sizeof(mode));
    if (strcmp(mode, "setuid") == 0)
        return become_root(host, out);
    if (strcmp(mode, "chown") == 0) {
        hs_str(input, "path", arg, sizeof(arg));
        return change_owner(host, out, arg);
    }
    if (strcmp(mode, "create") == 0) {
        hs_str(input, "dir", arg, sizeof(arg));
        create(host, out, arg);
    }
    return ids(host, out);
}

HOSTILE_PLUGIN("identity", "root inside the sandbox, and what its ids can do", execute);
