/* broker_fs.h (internal): changes a process plugin asks of the file system, decided by the one
 * verdict and performed by the broker (broker_fs.c). Paths are absolute and normalised; ans
 * says allowed, or the errno and the reason. Nothing here follows a symbolic link at the last
 * component; directories are never renamed (EXDEV: their contents are copied file by file,
 * each decided). */
#ifndef WD_SANDBOX_BROKER_FS_H
#define WD_SANDBOX_BROKER_FS_H

#include <time.h>

#include "sandbox/broker.h"

void wd_broker_mkdir(const wd_broker *b, const char *path, unsigned mode, wd_broker_answer *ans);
void wd_broker_unlink(const wd_broker *b, const char *path, int is_dir, wd_broker_answer *ans);
void wd_broker_rename(const wd_broker *b, const char *from, const char *to, unsigned flags,
                      wd_broker_answer *ans);
void wd_broker_symlink(const wd_broker *b, const char *text, const char *path,
                       wd_broker_answer *ans);
void wd_broker_chmod(const wd_broker *b, const char *path, unsigned mode, wd_broker_answer *ans);
/* times: NULL for now, else two timespecs as utimensat takes them. */
void wd_broker_utimes(const wd_broker *b, const char *path, const struct timespec *times,
                      wd_broker_answer *ans);

#endif
