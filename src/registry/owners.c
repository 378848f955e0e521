/* owners.c: who besides warden's own user can change what a contract loads (contract.h).
 *
 * A review is worth what the reviewed files are: if another user can rewrite the contract, its
 * library (or a process plugin's program inside its directory), its policy file, or rename a
 * directory on the way to them, the signature vouches for
 * bytes that can be swapped. So each of them must be owned by root or by the user warden runs
 * as, and be writable by neither group nor others. A symbolic link on the way is refused as
 * well: it could lead anywhere. Nothing here follows a link below the root it is given. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/codes.h"
#include "registry/contract_int.h"
#include "util/error.h"
#include "util/path.h"
#include "warden/contract.h"

/* sticky_ok: a sticky directory (such as /tmp) owned by a trusted user, on the way to a file
 * outside the contract tree. Others may add entries there but cannot rename or remove ours. */
static int check_stat(const char *path, const struct stat *st, const char *what, bool sticky_ok)
{
    uid_t me = geteuid();
    if (st->st_uid != 0 && st->st_uid != me)
        return wd_error_set(WD_EPERM, WD_L_WRITABLE, path, 0, 0,
                            "%s %s is owned by uid %u, a user other than root and warden's own "
                            "(uid %u): that user could change it",
                            what, path, (unsigned)st->st_uid, (unsigned)me);
    mode_t w = st->st_mode & (S_IWGRP | S_IWOTH);
    if (w && !(sticky_ok && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)))
        return wd_error_set(WD_EPERM, WD_L_WRITABLE, path, 0, 0,
                            "%s %s is writable by %s (mode %04o): another user could change it "
                            "(chmod go-w)",
                            what, path,
                            w == (S_IWGRP | S_IWOTH) ? "its group and others"
                            : w == S_IWGRP           ? "its group"
                                                     : "others",
                            (unsigned)(st->st_mode & 07777));
    return 0;
}

/* path is root or lies beneath it (both normalised, absolute). */
static bool within(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (strncmp(path, root, n) != 0)
        return false;
    return path[n] == '\0' || path[n] == '/' || (n == 1 && root[0] == '/');
}

static int stat_failed(const char *path, const char *what)
{
    int e = errno;
    return wd_error_set(e == ENOENT ? WD_ENOTFOUND : WD_EIO, WD_L_READ, path, 0, 0,
                        "cannot check the %s %s: %s", what, path, strerror(e));
}

/* path (absolute, normalised), then every directory above it: up to and including root when
 * path lies inside root (the root itself may be reached through a link the operator chose),
 * else up to "/". */
static int check_chain(const char *path, const char *root, const char *what)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return stat_failed(path, what);
    if (S_ISLNK(st.st_mode))
        return wd_error_set(WD_EPERM, WD_L_PERMISSION, path, 0, 0,
                            "%s %s is a symbolic link: refused", what, path);
    int rc = check_stat(path, &st, what, false);
    bool inside = within(path, root);
    char dir[WD_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    while (!rc && strcmp(dir, "/") != 0 && !(inside && strcmp(dir, root) == 0)) {
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        bool is_root = inside && strcmp(dir, root) == 0;
        if ((is_root ? stat(dir, &st) : lstat(dir, &st)) != 0)
            return stat_failed(dir, "directory");
        if (S_ISLNK(st.st_mode))
            return wd_error_set(WD_EPERM, WD_L_PERMISSION, dir, 0, 0,
                                "the directory %s on the way to the %s %s is a symbolic link: "
                                "refused",
                                dir, what, path);
        rc = check_stat(dir, &st, "the directory", !inside);
    }
    return rc;
}

/* A Python handler's tree is its code: the root and the directories down to it, then every
 * directory and file in it, as the walk that reads it opened them (never through a link). */
static int check_handler_tree(const wd_contract *c, const char *top)
{
    const char *root = wd_contract_handler_root(c);
    int rc = check_chain(root, top, "handler root");
    wd_handler_tree *t = NULL;
    if (!rc)
        rc = wd_handler_tree_read_at(wd_contract_dir(c), root, &t);
    for (size_t i = 0; !rc && i < wd_handler_tree_entry_count(t); i++) {
        uid_t uid;
        mode_t mode;
        const char *rel = wd_handler_tree_entry(t, i, &uid, &mode);
        char path[WD_PATH_MAX + 1];
        snprintf(path, sizeof(path), "%s%s%s", root, rel[0] ? "/" : "", rel);
        struct stat st = {.st_uid = uid, .st_mode = mode};
        rc = check_stat(path, &st, S_ISDIR(mode) ? "the handler directory" : "handler file", false);
    }
    wd_handler_tree_free(t);
    return rc;
}

int wd_contract_check_files(const wd_contract *c, const char *root)
{
    if (!c)
        return wd_fail(WD_EINVAL, "wd_contract_check_files needs a contract");
    char norm[WD_PATH_MAX], abs[WD_PATH_MAX + 1], cwd[WD_PATH_MAX];
    const char *top = NULL;
    if (root) {
        bool escapes = false;
        int n = root[0] == '/'             ? snprintf(abs, sizeof(abs), "%s", root)
                : getcwd(cwd, sizeof(cwd)) ? snprintf(abs, sizeof(abs), "%s/%s", cwd, root)
                                           : -1;
        if (n < 0 || (size_t)n >= WD_PATH_MAX ||
            wd_path_normalize(abs, norm, sizeof(norm), &escapes) != 0 || escapes)
            return wd_error_set(WD_EINVAL, WD_L_READ, root, 0, 0, "path is too long");
        top = norm;
    } else {
        snprintf(norm, sizeof(norm), "%s", wd_contract_path(c));
        char *slash = strrchr(norm, '/');
        if (slash == norm)
            slash[1] = '\0';
        else if (slash)
            *slash = '\0';
        top = norm;
    }
    int rc = check_chain(wd_contract_path(c), top, "contract");
    if (!rc && wd_contract_library(c))
        rc = check_chain(wd_contract_library(c), top, "library");
    /* an absolute program is a system file: root alone may control it, checked when opened */
    if (!rc && wd_contract_program_inside(c))
        rc = check_chain(wd_contract_program(c), top, "program");
    if (!rc && wd_contract_policy_path(c))
        rc = check_chain(wd_contract_policy_path(c), top, "policy file");
    if (!rc && wd_contract_handler_root(c))
        rc = check_handler_tree(c, top);
    return rc;
}
