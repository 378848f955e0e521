/* broker_fs.c: the changes a process plugin asks of the file system (mkdir, unlink, rmdir,
 * rename, symlink, chmod, utimes), decided and performed by the broker. Each resolves the
 * parent itself (wd_broker_parent: the path as asked and as really reached are both decided)
 * and acts on the last component with an *at call that never follows it. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/broker.h"
#include "sandbox/broker_fs.h"
#include "sandbox/broker_int.h"
#include "util/path.h"

/* The permission bits the broker ever sets on what a plugin asks for. */
#define BROKER_MODE_MASK 0755

/* Decides path as the plugin wrote it (normalised) for every access in need; fills ans with
 * the refusal otherwise. Returns 1 when allowed. */
static int decide_asked(const wd_broker *b, const char *path, unsigned need, const char *what,
                        wd_broker_answer *ans)
{
    snprintf(ans->target, sizeof(ans->target), "%s", path);
    snprintf(ans->what, sizeof(ans->what), "%s", what);
    if (b->pure) {
        wd_broker_refuse(ans, EACCES, "policy plugins get no storage");
        return 0;
    }
    for (unsigned bit = WD_ACCESS_READ; bit <= WD_ACCESS_DELETE; bit <<= 1)
        if ((need & bit) && !wd_broker_decide_path(b, path, bit, ans))
            return 0;
    return 1;
}

/* The parent of path opened and both spellings decided; -1 with ans refused. */
static int resolve(const wd_broker *b, const char *path, unsigned need, const char *what,
                   wd_broker_answer *ans, char *real, const char **base)
{
    if (!decide_asked(b, path, need, what, ans))
        return -1;
    return wd_broker_parent(b, path, need, what, ans, real, WD_BROKER_REAL_MAX, base);
}

static void done(wd_broker_answer *ans, int rc, const char *what)
{
    if (rc == 0) {
        ans->allowed = 1;
        ans->err = 0;
        ans->what[0] = 0;
        return;
    }
    int e = errno;
    wd_broker_refuse(ans, e, "%s", strerror(e));
    snprintf(ans->what, sizeof(ans->what), "%s", what);
}

void wd_broker_mkdir(const wd_broker *b, const char *path, unsigned mode, wd_broker_answer *ans)
{
    *ans = (wd_broker_answer){.fd = -1};
    char real[WD_BROKER_REAL_MAX];
    const char *base;
    int dir = resolve(b, path, WD_ACCESS_CREATE, "create", ans, real, &base);
    if (dir < 0)
        return;
    /* Never a set-id or sticky bit, never writable by group or others: the broker's files
     * belong to the host's user. */
    done(ans, mkdirat(dir, base, mode & BROKER_MODE_MASK), "create");
    close(dir);
}

void wd_broker_unlink(const wd_broker *b, const char *path, int is_dir, wd_broker_answer *ans)
{
    *ans = (wd_broker_answer){.fd = -1};
    char real[WD_BROKER_REAL_MAX];
    const char *base;
    int dir = resolve(b, path, WD_ACCESS_DELETE, "delete", ans, real, &base);
    if (dir < 0)
        return;
    done(ans, unlinkat(dir, base, is_dir ? AT_REMOVEDIR : 0), "delete");
    close(dir);
}

/* Every access in need on a real path (already resolved): 1, or 0 with ans refused. */
static int decide_real_all(const wd_broker *b, const char *real, unsigned need,
                           wd_broker_answer *ans)
{
    for (unsigned bit = WD_ACCESS_READ; bit <= WD_ACCESS_DELETE; bit <<= 1)
        if ((need & bit) && !wd_broker_decide_path(b, real, bit, ans))
            return 0;
    return 1;
}

/* Whether the last component is a directory (not following it). */
static int is_directory(int dir, const char *base)
{
    struct stat st;
    return fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int exists(int dir, const char *base)
{
    struct stat st;
    return fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

void wd_broker_rename(const wd_broker *b, const char *from, const char *to, unsigned flags,
                      wd_broker_answer *ans)
{
    *ans = (wd_broker_answer){.fd = -1};
    if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
        snprintf(ans->target, sizeof(ans->target), "%s", from);
        wd_broker_refuse(ans, EINVAL, "rename flags 0x%x are not offered by the broker", flags);
        snprintf(ans->what, sizeof(ans->what), "rename");
        return;
    }
    /* A rename moves the file's content to another name, where other rules apply: the source
     * must be one the plugin may read, write and delete (a denied read would otherwise be
     * renamed out from under its rule), the destination one it may create and write. An
     * exchange moves both ways. */
    const unsigned moved = WD_ACCESS_READ | WD_ACCESS_WRITE | WD_ACCESS_DELETE;
    unsigned need_from = moved | ((flags & RENAME_EXCHANGE) ? WD_ACCESS_CREATE : 0);
    unsigned need_to = WD_ACCESS_CREATE | WD_ACCESS_WRITE;
    char real_from[WD_BROKER_REAL_MAX], real_to[WD_BROKER_REAL_MAX];
    const char *base_from, *base_to;
    int dfrom = resolve(b, from, need_from, "delete", ans, real_from, &base_from);
    if (dfrom < 0)
        return;
    /* Replacing a name deletes what it named: that needs delete there too. */
    wd_broker_answer probe = {.fd = -1};
    int dto = resolve(b, to, need_to, "create", &probe, real_to, &base_to);
    int replaces = dto >= 0 && exists(dto, base_to);
    unsigned more = (flags & RENAME_EXCHANGE) ? WD_ACCESS_DELETE | WD_ACCESS_READ
                    : replaces                ? WD_ACCESS_DELETE
                                              : 0;
    if (dto >= 0 && more &&
        (!decide_asked(b, to, more, "delete", &probe) ||
         !decide_real_all(b, real_to, more, &probe))) {
        close(dto);
        dto = -1;
    }
    if (dto < 0) {
        *ans = probe;
        close(dfrom);
        return;
    }
    snprintf(ans->target, sizeof(ans->target), "%s -> %s", from, to);
    /* A directory moves its whole subtree, and the rules are by path: a file a deny rule
     * covers would be readable under its new name. EXDEV makes mv(1) and the like copy file
     * by file instead, each decided. */
    if (is_directory(dfrom, base_from) ||
        ((flags & RENAME_EXCHANGE) && is_directory(dto, base_to))) {
        wd_broker_refuse(ans, EXDEV,
                         "directories are not renamed: rules are by path, so "
                         "their contents are copied file by file instead");
        snprintf(ans->what, sizeof(ans->what), "rename");
    } else {
        done(ans, renameat2(dfrom, base_from, dto, base_to, flags), "rename");
    }
    close(dfrom);
    close(dto);
}

void wd_broker_symlink(const wd_broker *b, const char *text, const char *path,
                       wd_broker_answer *ans)
{
    *ans = (wd_broker_answer){.fd = -1};
    char real[WD_BROKER_REAL_MAX];
    const char *base;
    /* The link's text is never followed by the broker without deciding where it leads: a
     * link to a denied file is harmless, opening it is decided as its target. */
    int dir = resolve(b, path, WD_ACCESS_CREATE, "create", ans, real, &base);
    if (dir < 0)
        return;
    /* The link would belong to the host's user: in a sticky directory such as /tmp, the
     * kernel's protected_symlinks rule lets root follow a link its owner matches, so a plugin
     * could lay a trap for the host's own programs there. */
    /* The link would be the host's user's, and the host's own tools follow their links: it may
     * lead only where the plugin may read. */
    char target[2 * WD_PATH_MAX], norm[WD_PATH_MAX];
    bool escapes = false;
    size_t dl = (size_t)(strrchr(real, '/') - real);
    if (text[0] == '/')
        snprintf(target, sizeof(target), "%s", text);
    else
        snprintf(target, sizeof(target), "%.*s/%s", (int)dl, real, text);
    struct stat st;
    if (wd_path_normalize(target, norm, sizeof(norm), &escapes) != 0 || escapes) {
        wd_broker_refuse(ans, EACCES, "a symbolic link leading above / or too far");
        snprintf(ans->what, sizeof(ans->what), "create");
    } else if (!wd_broker_decide_path(b, norm, WD_ACCESS_READ, ans)) {
        wd_broker_refuse(ans, EACCES, "a symbolic link may lead only where the plugin may read: %s",
                         ans->reason);
        snprintf(ans->what, sizeof(ans->what), "create");
    } else if (fstat(dir, &st) != 0 || (st.st_mode & S_ISVTX)) {
        wd_broker_refuse(ans, EPERM,
                         "no symbolic links in a sticky directory: they would be the host's");
        snprintf(ans->what, sizeof(ans->what), "create");
    } else {
        done(ans, symlinkat(text, dir, base), "create");
    }
    close(dir);
}

/* The last component opened O_PATH without following it, refused if it is a symbolic link:
 * the broker changes what the path names, never where a link leads (-1, ans refused). */
static int open_object(int dir, const char *base, const char *what, wd_broker_answer *ans)
{
    int fd = openat(dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        done(ans, -1, what);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        close(fd);
        wd_broker_refuse(ans, ELOOP,
                         "a symbolic link: the broker changes only what a path "
                         "itself names");
        snprintf(ans->what, sizeof(ans->what), "%s", what);
        return -1;
    }
    return fd;
}

/* The object a chmod or utimes changes: decided as a write, opened O_PATH beneath its real
 * parent without following it; its /proc/self/fd name into proc (the calls that change
 * attributes take a path, and this one cannot be swapped). -1 with ans refused. */
static int attribute_target(const wd_broker *b, const char *path, wd_broker_answer *ans, char *proc,
                            size_t size)
{
    *ans = (wd_broker_answer){.fd = -1};
    char real[WD_BROKER_REAL_MAX];
    const char *base;
    int dir = resolve(b, path, WD_ACCESS_WRITE, "write", ans, real, &base);
    if (dir < 0)
        return -1;
    int fd = open_object(dir, base, "write", ans);
    close(dir);
    if (fd >= 0)
        snprintf(proc, size, "/proc/self/fd/%d", fd);
    return fd;
}

void wd_broker_chmod(const wd_broker *b, const char *path, unsigned mode, wd_broker_answer *ans)
{
    char proc[64];
    int fd = attribute_target(b, path, ans, proc, sizeof(proc));
    if (fd < 0)
        return;
    /* Set-id bits and group or other write never: a file the broker made belongs to the
     * host's user. */
    done(ans, chmod(proc, mode & BROKER_MODE_MASK), "write");
    close(fd);
}

void wd_broker_utimes(const wd_broker *b, const char *path, const struct timespec *times,
                      wd_broker_answer *ans)
{
    char proc[64];
    int fd = attribute_target(b, path, ans, proc, sizeof(proc));
    if (fd < 0)
        return;
    done(ans, utimensat(AT_FDCWD, proc, times, 0), "write");
    close(fd);
}
