/* syspath.h (internal): opening a system file (a process plugin's interpreter, or its program
 * given as an absolute path) so that what is opened is what only root could have put there. */
#ifndef WD_REGISTRY_SYSPATH_H
#define WD_REGISTRY_SYSPATH_H

#include <stdbool.h>

/* Resolves path (absolute) one component at a time from "/", each directory by descriptor:
 * every directory on the way, including those a symbolic link leads through, must be owned by
 * root and writable by neither group nor others (no sticky exception: a system file does not
 * live in /tmp). The file itself is opened with flags (O_RDONLY or O_PATH; O_NOFOLLOW and
 * O_CLOEXEC are added) and must be a regular file owned by root, writable by neither group nor
 * others, and with need_exec, executable by someone. what names it in messages ("interpreter").
 * Returns 0 with *fd set, or WD_ENOTFOUND / WD_EPERM / WD_EIO with the error set (WD-L027,
 * naming path and the reason). */
int wd_syspath_open(const char *path, int flags, bool need_exec, const char *what, int *fd);

#endif
