/* notify.h (internal): seccomp user notifications of a process plugin, decoded.
 *
 * The kernel stops a plugin's thread in a mediated system call and hands the broker its number
 * and raw arguments. wd_op_decode turns those into one operation (an open, an exec, a connect...)
 * with every pointer argument copied ONCE out of the plugin's memory: the broker decides and
 * acts on that copy only, never on the plugin's memory again, so a thread that rewrites the
 * buffer afterwards changes nothing. The decoder is pure (memory comes through a callback), so
 * it is fuzzed with arbitrary notifications and arbitrary memory. */
#ifndef WD_SANDBOX_NOTIFY_H
#define WD_SANDBOX_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/path.h"

typedef enum {
    WD_OP_NONE = 0,
    WD_OP_OPEN,     /* open, openat, openat2, creat */
    WD_OP_EXEC,     /* execve, execveat */
    WD_OP_MKDIR,    /* mkdir, mkdirat */
    WD_OP_UNLINK,   /* unlink, unlinkat without AT_REMOVEDIR */
    WD_OP_RMDIR,    /* rmdir, unlinkat with AT_REMOVEDIR */
    WD_OP_RENAME,   /* rename, renameat, renameat2 */
    WD_OP_LINK,     /* link, linkat: refused */
    WD_OP_SYMLINK,  /* symlink, symlinkat (path2 is where; path the link's text) */
    WD_OP_CHMOD,    /* chmod, fchmodat, fchmodat2 */
    WD_OP_CHOWN,    /* chown, lchown, fchownat: refused */
    WD_OP_UTIMES,   /* utime, utimes, futimesat, utimensat */
    WD_OP_TRUNCATE, /* truncate */
    WD_OP_MKNOD,    /* mknod, mknodat: refused */
    WD_OP_CONNECT,  /* connect */
    WD_OP_BIND,     /* bind */
    WD_OP_SENDTO,   /* sendto with an address */
    WD_OP_COUNT
} wd_op_kind;

enum { WD_OP_ADDR_MAX = 128 };

typedef struct {
    wd_op_kind kind;
    int nr;            /* the system call */
    int dirfd, dirfd2; /* AT_FDCWD or the plugin's descriptor path/path2 are relative to */
    int has_path;      /* 0: the call names a descriptor, not a path (utimensat(fd, NULL)) */
    char path[WD_PATH_MAX], path2[WD_PATH_MAX];
    uint64_t flags;   /* open flags, AT_* flags, RENAME_* flags */
    uint64_t mode;    /* open's and mkdir's mode, chmod's mode */
    uint64_t resolve; /* openat2's RESOLVE_* flags */
    int fd;           /* connect, bind, sendto: the socket; utimensat(fd, NULL): the file */
    uint8_t addr[WD_OP_ADDR_MAX];
    uint32_t addr_len;
    uint64_t length; /* truncate; sendto: the payload's length */
    uint64_t buf;    /* sendto: where the payload is (read by the broker when it sends it) */
} wd_op;

/* Copies len bytes at addr of the plugin's memory into buf: returns bytes copied (short at an
 * unmapped page) or -1. */
typedef long (*wd_mem_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* Decodes system call nr with args. Returns 0, or a positive errno the plugin should get:
 * EFAULT (unreadable memory), ENAMETOOLONG, EINVAL (malformed), ENOSYS (not mediated). The
 * decoder never reads past what it copies and bounds every copy. */
int wd_op_decode(int nr, const uint64_t args[6], wd_mem_read_fn read, void *ctx, wd_op *op);

/* The operation's name in records ("open", "connect"...). */
const char *wd_op_name(wd_op_kind kind);

/* ---- the listener ------------------------------------------------------------------------ */

/* The kernel's structure sizes (SECCOMP_GET_NOTIF_SIZES), once per process; 0 or -1. */
int wd_notify_sizes(size_t *notif, size_t *resp);

/* Reads the plugin's memory with process_vm_readv, a page at a time (wd_mem_read_fn; ctx is
 * a pid_t *). */
long wd_notify_read_mem(void *ctx, uint64_t addr, void *buf, size_t len);

/* Whether the notification is still pending (its thread has not been interrupted, its
 * process not replaced): the broker asks after copying arguments and before acting. */
int wd_notify_valid(int listener, uint64_t id);

/* Answers: an error (err > 0), a value (err 0), or "let the kernel run it" (cont). Returns 0
 * or -1 (errno ENOENT: the notification is gone). */
int wd_notify_answer(int listener, uint64_t id, int err, int64_t val, int cont);

/* Installs fd in the plugin and answers the call with the new descriptor's number
 * (SECCOMP_ADDFD_FLAG_SEND: one step, no window). cloexec applies O_CLOEXEC. */
int wd_notify_send_fd(int listener, uint64_t id, int fd, int cloexec);

/* Puts fd at the plugin's descriptor number target (replacing what was there), without
 * answering: the caller answers after. */
int wd_notify_set_fd(int listener, uint64_t id, int fd, int target, int cloexec);

#endif
