/* notify.c: seccomp user notifications (notify.h): decoding a mediated call with each pointer
 * argument copied once, and the ioctls that answer it. */
#include "sandbox/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* The filter notifies fchmodat2 by number where the C library's headers predate it
 * (filter_process.c): without its number here the broker would answer ENOSYS to a call the
 * mediation table says it performs. Since Linux 5.1 new calls share one number on these. */
#if !defined(SYS_fchmodat2) && (defined(__x86_64__) || defined(__aarch64__))
#define SYS_fchmodat2 452
#endif

enum {
    PAGE = 4096,
    OPEN_HOW_MIN = 24,  /* struct open_how as of Linux 5.6 */
    OPEN_HOW_MAX = 4096 /* larger is E2BIG, as the kernel says */
};

static const char *const op_names[WD_OP_COUNT] = {
    [WD_OP_NONE] = "none",         [WD_OP_OPEN] = "open",     [WD_OP_EXEC] = "exec",
    [WD_OP_MKDIR] = "mkdir",       [WD_OP_UNLINK] = "unlink", [WD_OP_RMDIR] = "rmdir",
    [WD_OP_RENAME] = "rename",     [WD_OP_LINK] = "link",     [WD_OP_SYMLINK] = "symlink",
    [WD_OP_CHMOD] = "chmod",       [WD_OP_CHOWN] = "chown",   [WD_OP_UTIMES] = "utimes",
    [WD_OP_TRUNCATE] = "truncate", [WD_OP_MKNOD] = "mknod",   [WD_OP_CONNECT] = "connect",
    [WD_OP_BIND] = "bind",         [WD_OP_SENDTO] = "sendto"};

const char *wd_op_name(wd_op_kind kind)
{
    return kind >= 0 && kind < WD_OP_COUNT ? op_names[kind] : "none";
}

/* A NUL-terminated string at addr, at most cap bytes with its NUL, copied a page at a time
 * (a string that ends just before an unmapped page is still read). */
static int read_string(wd_mem_read_fn read, void *ctx, uint64_t addr, char *out, size_t cap)
{
    if (addr == 0)
        return EFAULT;
    size_t have = 0;
    while (have < cap) {
        uint64_t at = addr + have;
        if (at < addr)
            return EFAULT; /* wrapped */
        size_t in_page = PAGE - (size_t)(at % PAGE);
        size_t want = cap - have < in_page ? cap - have : in_page;
        long n = read(ctx, at, out + have, want);
        if (n <= 0)
            return EFAULT;
        char *nul = memchr(out + have, 0, (size_t)n);
        if (nul)
            return 0;
        have += (size_t)n;
    }
    out[cap - 1] = 0;
    return ENAMETOOLONG;
}

/* Exactly len bytes at addr. */
static int read_bytes(wd_mem_read_fn read, void *ctx, uint64_t addr, void *out, size_t len)
{
    if (len == 0)
        return 0;
    if (addr == 0)
        return EFAULT;
    long n = read(ctx, addr, out, len);
    return n == (long)len ? 0 : EFAULT;
}

static int as_fd(uint64_t v)
{
    /* Descriptors are ints: AT_FDCWD is -100 sign-extended or not, as the kernel truncates. */
    return (int)(int32_t)(uint32_t)v;
}

static int path_arg(wd_op *op, wd_mem_read_fn read, void *ctx, uint64_t addr, int second)
{
    return read_string(read, ctx, addr, second ? op->path2 : op->path, WD_PATH_MAX);
}

static int sockaddr_arg(wd_op *op, wd_mem_read_fn read, void *ctx, uint64_t addr, uint64_t len)
{
    if (len > WD_OP_ADDR_MAX)
        return EINVAL;
    op->addr_len = (uint32_t)len;
    return read_bytes(read, ctx, addr, op->addr, (size_t)len);
}

static int decode_openat2(wd_op *op, wd_mem_read_fn read, void *ctx, const uint64_t a[6])
{
    op->dirfd = as_fd(a[0]);
    int e = path_arg(op, read, ctx, a[1], 0);
    if (e)
        return e;
    if (a[3] < OPEN_HOW_MIN)
        return EINVAL;
    if (a[3] > OPEN_HOW_MAX)
        return E2BIG;
    uint8_t how[OPEN_HOW_MAX];
    if ((e = read_bytes(read, ctx, a[2], how, (size_t)a[3])) != 0)
        return e;
    /* Fields this kernel interface does not know must be zero, as openat2 itself demands. */
    for (size_t i = OPEN_HOW_MIN; i < a[3]; i++)
        if (how[i])
            return E2BIG;
    struct open_how h;
    memcpy(&h, how, sizeof(h));
    op->flags = h.flags;
    op->mode = h.mode;
    op->resolve = h.resolve;
    return 0;
}

/* utime's, utimes' and utimensat's times, copied as given (their layout differs by call). */
static int times_arg(wd_op *op, wd_mem_read_fn read, void *ctx, uint64_t addr, size_t len)
{
    if (addr == 0) {
        op->addr_len = 0; /* now */
        return 0;
    }
    op->addr_len = (uint32_t)len;
    return read_bytes(read, ctx, addr, op->addr, len);
}

static int decode_paths(int nr, const uint64_t a[6], wd_mem_read_fn read, void *ctx, wd_op *op)
{
    switch (nr) {
#ifdef SYS_open
    case SYS_open:
        op->kind = WD_OP_OPEN, op->flags = a[1], op->mode = a[2];
        return path_arg(op, read, ctx, a[0], 0);
    case SYS_creat:
        op->kind = WD_OP_OPEN, op->flags = O_CREAT | O_WRONLY | O_TRUNC, op->mode = a[1];
        return path_arg(op, read, ctx, a[0], 0);
#endif
    case SYS_openat:
        op->kind = WD_OP_OPEN, op->dirfd = as_fd(a[0]), op->flags = a[2], op->mode = a[3];
        return path_arg(op, read, ctx, a[1], 0);
    case SYS_openat2:
        op->kind = WD_OP_OPEN;
        return decode_openat2(op, read, ctx, a);
    case SYS_execve:
        op->kind = WD_OP_EXEC;
        return path_arg(op, read, ctx, a[0], 0);
    case SYS_execveat:
        op->kind = WD_OP_EXEC, op->dirfd = as_fd(a[0]), op->flags = a[4];
        {
            int e = path_arg(op, read, ctx, a[1], 0);
            if (!e && !op->path[0] && (op->flags & AT_EMPTY_PATH))
                op->has_path = 0, op->fd = op->dirfd;
            return e;
        }
#ifdef SYS_mkdir
    case SYS_mkdir:
        op->kind = WD_OP_MKDIR, op->mode = a[1];
        return path_arg(op, read, ctx, a[0], 0);
    case SYS_rmdir:
        op->kind = WD_OP_RMDIR;
        return path_arg(op, read, ctx, a[0], 0);
    case SYS_unlink:
        op->kind = WD_OP_UNLINK;
        return path_arg(op, read, ctx, a[0], 0);
#endif
    case SYS_mkdirat:
        op->kind = WD_OP_MKDIR, op->dirfd = as_fd(a[0]), op->mode = a[2];
        return path_arg(op, read, ctx, a[1], 0);
    case SYS_unlinkat:
        op->dirfd = as_fd(a[0]), op->flags = a[2];
        op->kind = (a[2] & AT_REMOVEDIR) ? WD_OP_RMDIR : WD_OP_UNLINK;
        return path_arg(op, read, ctx, a[1], 0);
    default:
        return -1;
    }
}

static int decode_two(int nr, const uint64_t a[6], wd_mem_read_fn read, void *ctx, wd_op *op)
{
    int e;
    switch (nr) {
#ifdef SYS_rename
    case SYS_rename:
    case SYS_link:
        op->kind = nr == SYS_rename ? WD_OP_RENAME : WD_OP_LINK;
        if ((e = path_arg(op, read, ctx, a[0], 0)) != 0)
            return e;
        return path_arg(op, read, ctx, a[1], 1);
    case SYS_symlink:
        op->kind = WD_OP_SYMLINK;
        if ((e = path_arg(op, read, ctx, a[0], 0)) != 0)
            return e;
        return path_arg(op, read, ctx, a[1], 1);
#endif
#ifdef SYS_renameat
    case SYS_renameat:
#endif
    case SYS_renameat2:
    case SYS_linkat:
        op->kind = nr == SYS_linkat ? WD_OP_LINK : WD_OP_RENAME;
        op->dirfd = as_fd(a[0]), op->dirfd2 = as_fd(a[2]);
        op->flags = nr == SYS_renameat2 || nr == SYS_linkat ? a[4] : 0;
        if ((e = path_arg(op, read, ctx, a[1], 0)) != 0)
            return e;
        return path_arg(op, read, ctx, a[3], 1);
    case SYS_symlinkat:
        op->kind = WD_OP_SYMLINK, op->dirfd2 = as_fd(a[1]);
        if ((e = path_arg(op, read, ctx, a[0], 0)) != 0)
            return e;
        return path_arg(op, read, ctx, a[2], 1);
    default:
        return -1;
    }
}

static int decode_attrs(int nr, const uint64_t a[6], wd_mem_read_fn read, void *ctx, wd_op *op)
{
    switch (nr) {
#ifdef SYS_chmod
    case SYS_chmod:
        op->kind = WD_OP_CHMOD, op->mode = a[1];
        return path_arg(op, read, ctx, a[0], 0);
    case SYS_chown:
    case SYS_lchown:
        op->kind = WD_OP_CHOWN, op->flags = nr == SYS_lchown ? AT_SYMLINK_NOFOLLOW : 0;
        return path_arg(op, read, ctx, a[0], 0);
    case SYS_utime:
        op->kind = WD_OP_UTIMES;
        return path_arg(op, read, ctx, a[0], 0) ?: times_arg(op, read, ctx, a[1], 16);
    case SYS_utimes:
        op->kind = WD_OP_UTIMES;
        return path_arg(op, read, ctx, a[0], 0) ?: times_arg(op, read, ctx, a[1], 32);
    case SYS_futimesat:
        op->kind = WD_OP_UTIMES, op->dirfd = as_fd(a[0]);
        return path_arg(op, read, ctx, a[1], 0) ?: times_arg(op, read, ctx, a[2], 32);
    case SYS_mknod:
        op->kind = WD_OP_MKNOD, op->mode = a[1];
        return path_arg(op, read, ctx, a[0], 0);
#endif
    case SYS_fchmodat:
#ifdef SYS_fchmodat2
    case SYS_fchmodat2:
#endif
        op->kind = WD_OP_CHMOD, op->dirfd = as_fd(a[0]), op->mode = a[2];
        op->flags = nr == SYS_fchmodat ? 0 : a[3];
        return path_arg(op, read, ctx, a[1], 0);
    case SYS_fchownat:
        op->kind = WD_OP_CHOWN, op->dirfd = as_fd(a[0]), op->flags = a[4];
        return path_arg(op, read, ctx, a[1], 0);
    case SYS_utimensat:
        op->kind = WD_OP_UTIMES, op->dirfd = as_fd(a[0]), op->flags = a[3];
        if (a[1] == 0) {
            op->has_path = 0, op->fd = op->dirfd;
            return times_arg(op, read, ctx, a[2], 32);
        }
        return path_arg(op, read, ctx, a[1], 0) ?: times_arg(op, read, ctx, a[2], 32);
    case SYS_truncate:
        op->kind = WD_OP_TRUNCATE, op->length = a[1];
        return path_arg(op, read, ctx, a[0], 0);
    case SYS_mknodat:
        op->kind = WD_OP_MKNOD, op->dirfd = as_fd(a[0]), op->mode = a[2];
        return path_arg(op, read, ctx, a[1], 0);
    default:
        return -1;
    }
}

static int decode_net(int nr, const uint64_t a[6], wd_mem_read_fn read, void *ctx, wd_op *op)
{
    switch (nr) {
    case SYS_connect:
    case SYS_bind:
        op->kind = nr == SYS_connect ? WD_OP_CONNECT : WD_OP_BIND, op->fd = as_fd(a[0]);
        return sockaddr_arg(op, read, ctx, a[1], a[2]);
    case SYS_sendto:
        op->kind = WD_OP_SENDTO, op->fd = as_fd(a[0]), op->flags = a[3];
        op->buf = a[1], op->length = a[2];
        return sockaddr_arg(op, read, ctx, a[4], a[5]);
    default:
        return -1;
    }
}

int wd_op_decode(int nr, const uint64_t args[6], wd_mem_read_fn read, void *ctx, wd_op *op)
{
    op->kind = WD_OP_NONE;
    op->nr = nr;
    op->dirfd = op->dirfd2 = AT_FDCWD;
    op->has_path = 1;
    op->path[0] = op->path2[0] = 0;
    op->flags = op->mode = op->resolve = op->length = op->buf = 0;
    op->fd = -1;
    op->addr_len = 0;
    int e = decode_paths(nr, args, read, ctx, op);
    if (e < 0)
        e = decode_two(nr, args, read, ctx, op);
    if (e < 0)
        e = decode_attrs(nr, args, read, ctx, op);
    if (e < 0)
        e = decode_net(nr, args, read, ctx, op);
    if (e < 0) {
        op->kind = WD_OP_NONE;
        return ENOSYS;
    }
    return e;
}

/* ---- the listener ------------------------------------------------------------------------ */

int wd_notify_sizes(size_t *notif, size_t *resp)
{
    struct seccomp_notif_sizes s;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &s) != 0)
        return -1;
    *notif = s.seccomp_notif;
    *resp = s.seccomp_notif_resp;
    return 0;
}

long wd_notify_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
    pid_t pid = *(const pid_t *)ctx;
    struct iovec local = {buf, len};
    struct iovec remote = {(void *)(uintptr_t)addr, len};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    return n < 0 ? -1 : (long)n;
}

int wd_notify_valid(int listener, uint64_t id)
{
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

int wd_notify_answer(int listener, uint64_t id, int err, int64_t val, int cont)
{
    struct seccomp_notif_resp r = {.id = id,
                                   .val = err ? 0 : val,
                                   .error = err ? -err : 0,
                                   .flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0};
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r) == 0 ? 0 : -1;
}

int wd_notify_send_fd(int listener, uint64_t id, int fd, int cloexec)
{
    struct seccomp_notif_addfd a = {.id = id,
                                    .flags = SECCOMP_ADDFD_FLAG_SEND,
                                    .srcfd = (uint32_t)fd,
                                    .newfd = 0,
                                    .newfd_flags = cloexec ? O_CLOEXEC : 0};
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) >= 0 ? 0 : -1;
}

int wd_notify_set_fd(int listener, uint64_t id, int fd, int target, int cloexec)
{
    struct seccomp_notif_addfd a = {.id = id,
                                    .flags = SECCOMP_ADDFD_FLAG_SETFD,
                                    .srcfd = (uint32_t)fd,
                                    .newfd = (uint32_t)target,
                                    .newfd_flags = cloexec ? O_CLOEXEC : 0};
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) >= 0 ? 0 : -1;
}
