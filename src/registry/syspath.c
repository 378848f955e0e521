/* syspath.c: opening an interpreter or a system program so that only root chose it
 * (syspath.h).
 *
 * A path is only as trustworthy as every directory it passes through: whoever can write one of
 * them can rename in a program of their own. So the walk starts from "/" and goes one component
 * at a time, each step relative to a directory descriptor already checked, never re-reading a
 * path. Symbolic links are followed (merged-/usr systems reach /bin/sh through /bin -> usr/bin
 * and sh -> dash), but a link can only be read from a checked directory, which only root can
 * change, and its target is walked under the same rules. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "registry/codes.h"
#include "registry/syspath.h"
#include "util/error.h"
#include "util/path.h"

enum { MAX_LINKS = 40, REASON_MAX = 160 };

typedef struct {
    const char *path, *what;
    char at[WD_PATH_MAX];   /* the directory the walk is in, for messages */
    char rest[WD_PATH_MAX]; /* what is left to resolve, from pos */
    size_t pos;
    int links;
    int cur; /* descriptor of the checked directory `at` */
} walk;

static int refuse(const walk *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(const walk *w, int code, const char *fmt, ...)
{
    char reason[WD_PATH_MAX + REASON_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    return wd_error_set(code, WD_L_UNTRUSTED, w->path, 0, 0, "%s %s: %s", w->what, w->path, reason);
}

/* NULL when st is owned by root and writable by neither group nor others; else why not. */
static const char *why_untrusted(const struct stat *st, char buf[static REASON_MAX])
{
    mode_t wr = st->st_mode & (S_IWGRP | S_IWOTH);
    if (st->st_uid != 0)
        snprintf(buf, REASON_MAX, "is owned by uid %u, not root: that user could change it",
                 (unsigned)st->st_uid);
    else if (wr)
        snprintf(buf, REASON_MAX, "is writable by %s (mode %04o): another user could change it",
                 wr == (S_IWGRP | S_IWOTH) ? "its group and others"
                 : wr == S_IWGRP           ? "its group"
                                           : "others",
                 (unsigned)(st->st_mode & 07777));
    else
        return NULL;
    return buf;
}

static int check_dir(const walk *w, int fd)
{
    struct stat st;
    char buf[REASON_MAX];
    if (fstat(fd, &st) != 0)
        return refuse(w, WD_EIO, "cannot check the directory %s: %s", w->at, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return refuse(w, WD_ENOTFOUND, "%s is not a directory", w->at);
    const char *why = why_untrusted(&st, buf);
    return why ? refuse(w, WD_EPERM, "the directory %s on the way %s", w->at, why) : 0;
}

static int open_root(walk *w)
{
    snprintf(w->at, sizeof(w->at), "/");
    int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return refuse(w, WD_EIO, "cannot open /: %s", strerror(errno));
    if (w->cur >= 0)
        close(w->cur);
    w->cur = fd;
    return check_dir(w, fd);
}

/* The next component of rest into comp ("" when none is left); *last when nothing follows. */
static void next_component(walk *w, char comp[static WD_PATH_MAX], bool *last)
{
    while (w->rest[w->pos] == '/')
        w->pos++;
    size_t n = strcspn(w->rest + w->pos, "/");
    memcpy(comp, w->rest + w->pos, n);
    comp[n] = '\0';
    w->pos += n;
    size_t after = w->pos;
    while (w->rest[after] == '/')
        after++;
    *last = w->rest[after] == '\0';
}

/* comp in the current directory is a symbolic link: what is left becomes its target followed
 * by the rest. The link itself lives in a checked directory, so only root could have set it. */
static int follow(walk *w, const char *comp)
{
    if (++w->links > MAX_LINKS)
        return refuse(w, WD_EPERM, "more than %d symbolic links on the way", MAX_LINKS);
    char target[WD_PATH_MAX], joined[2 * WD_PATH_MAX];
    ssize_t n = readlinkat(w->cur, comp, target, sizeof(target) - 1);
    if (n < 0 || (size_t)n >= sizeof(target) - 1)
        return refuse(w, WD_EIO, "cannot read the link %s in %s", comp, w->at);
    target[n] = '\0';
    const char *rest = w->rest + w->pos;
    int len = snprintf(joined, sizeof(joined), "%s%s%s", target, *rest ? "/" : "", rest);
    if (len < 0 || (size_t)len >= sizeof(w->rest))
        return refuse(w, WD_EPERM, "the path through the link %s is too long", comp);
    memcpy(w->rest, joined, (size_t)len + 1);
    w->pos = 0;
    return target[0] == '/' ? open_root(w) : 0;
}

static void at_push(walk *w, const char *comp)
{
    size_t l = strlen(w->at);
    snprintf(w->at + l, sizeof(w->at) - l, "%s%s", l > 1 ? "/" : "", comp);
}

static void at_pop(walk *w)
{
    char *slash = strrchr(w->at, '/');
    if (slash == w->at)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
}

static int open_failed(walk *w, const char *comp)
{
    int e = errno;
    at_push(w, comp);
    if (e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG)
        return refuse(w, WD_ENOTFOUND, "%s does not exist", w->at);
    return refuse(w, e == EACCES ? WD_EPERM : WD_EIO, "cannot open %s: %s", w->at, strerror(e));
}

/* Whether fd lies on a file system whose files the kernel makes up as they are read (procfs,
 * sysfs and their kin): root owns them and they look regular, but they are views of the running
 * system, never a program anyone installed. */
static bool kernel_made(int fd)
{
    static const long magics[] = {
        PROC_SUPER_MAGIC,   SYSFS_MAGIC,         DEBUGFS_MAGIC, SECURITYFS_MAGIC, TRACEFS_MAGIC,
        CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, BPF_FS_MAGIC,  EFIVARFS_MAGIC,   PSTOREFS_MAGIC};
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0)
        return true; /* cannot tell: not a place for a program */
    for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
        if ((long)fs.f_type == magics[i])
            return true;
    return false;
}

/* The file the walk ended on: a regular file only root can change, executable when asked. */
static int check_file(const walk *w, int fd, bool need_exec)
{
    struct stat st;
    char buf[REASON_MAX];
    if (fstat(fd, &st) != 0)
        return refuse(w, WD_EIO, "cannot check %s: %s", w->at, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return refuse(w, WD_EPERM, "%s is not a regular file", w->at);
    if (kernel_made(fd))
        return refuse(w, WD_EPERM, "%s is a kernel interface (procfs, sysfs, ...), not a file",
                      w->at);
    const char *why = why_untrusted(&st, buf);
    if (why)
        return refuse(w, WD_EPERM, "%s %s", w->at, why);
    if (need_exec && !(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
        return refuse(w, WD_EPERM, "%s is not executable (mode %04o)", w->at,
                      (unsigned)(st.st_mode & 07777));
    return 0;
}

/* One step of the walk: comp in the current directory. Sets *fd when it was the file. */
static int step(walk *w, const char *comp, bool last, int flags, bool need_exec, int *fd)
{
    if (!strcmp(comp, "."))
        return last ? refuse(w, WD_EPERM, "%s is a directory", w->at) : 0;
    bool up = !strcmp(comp, "..");
    int oflags = (last && !up ? flags : O_PATH) | O_NOFOLLOW | O_CLOEXEC;
    if (oflags & O_PATH)
        oflags &= O_PATH | O_NOFOLLOW | O_CLOEXEC;
    else
        oflags |= O_NONBLOCK | O_NOCTTY; /* a FIFO swapped in must not block the caller */
    int nfd = openat(w->cur, comp, oflags);
    if (nfd < 0 && errno == ELOOP)
        return follow(w, comp);
    if (nfd < 0)
        return open_failed(w, comp);
    struct stat st;
    if (fstat(nfd, &st) != 0) {
        int e = errno;
        close(nfd);
        return refuse(w, WD_EIO, "cannot check %s in %s: %s", comp, w->at, strerror(e));
    }
    if (S_ISLNK(st.st_mode)) {
        close(nfd);
        return follow(w, comp);
    }
    if (up)
        at_pop(w);
    else
        at_push(w, comp);
    int rc = 0;
    if (last && (up || S_ISDIR(st.st_mode))) {
        rc = refuse(w, WD_EPERM, "%s is a directory", w->at);
    } else if (last) {
        rc = check_file(w, nfd, need_exec);
        if (!rc && !(oflags & O_PATH) && fcntl(nfd, F_SETFL, 0) != 0)
            rc = refuse(w, WD_EIO, "cannot clear O_NONBLOCK: %s", strerror(errno));
        if (!rc) {
            *fd = nfd;
            return 0;
        }
    } else {
        rc = check_dir(w, nfd);
        close(w->cur);
        w->cur = nfd;
        return rc;
    }
    close(nfd);
    return rc;
}

int wd_syspath_open(const char *path, int flags, bool need_exec, const char *what, int *fd)
{
    *fd = -1;
    walk w = {.path = path, .what = what, .cur = -1};
    if (path[0] != '/' || strlen(path) >= sizeof(w.rest))
        return refuse(&w, WD_EPERM, "not an absolute path of at most %d bytes", WD_PATH_MAX - 1);
    snprintf(w.rest, sizeof(w.rest), "%s", path);
    int rc = open_root(&w);
    while (!rc && *fd < 0) {
        char comp[WD_PATH_MAX];
        bool last;
        next_component(&w, comp, &last);
        rc = comp[0] ? step(&w, comp, last, flags, need_exec, fd)
                     : refuse(&w, WD_EPERM, "%s is a directory", w.at);
    }
    close(w.cur);
    return rc;
}
