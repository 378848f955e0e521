/* test_notify.c: the notification decoder (src/sandbox/notify.h) on every call it knows and on
 * each way a hostile plugin's arguments can be wrong. The plugin's memory is a fake: a byte
 * array at a fake base address with unmapped pages, whose reads come back short at a gap (or,
 * in strict mode, fail whole when they cross into one, as process_vm_readv may at iovec
 * granularity); every byte read is counted, so a pointer argument copied twice fails (the
 * decoder copies strings a page at a time, so each test puts each argument on its own page). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "helpers.h"
#include "sandbox/notify.h"

/* The seccomp filter notifies fchmodat2 by number where the C library's headers predate it:
 * the decoder must know it there too. */
#if !defined(SYS_fchmodat2) && (defined(__x86_64__) || defined(__aarch64__))
#define SYS_fchmodat2 452
#endif

#define PAGE 4096u
#define PAGES 8u
#define BASE 0x7f1200000000ull /* page 3 and page 6 are gaps */
#define GAP1 3u
#define GAP2 6u
#define AT_FDCWD_32 0xffffff9cull
#define AT_FDCWD_64 0xffffffffffffff9cull
#define TOP_PAGE (UINT64_MAX - PAGE + 1)

typedef struct {
    uint8_t bytes[PAGES * PAGE];
    uint8_t reads[PAGES * PAGE]; /* how often each byte was read */
    uint8_t top[PAGE];           /* the address space's last page, for wrap-around */
    uint8_t zero[PAGE];          /* the first page (address 0), only when wrap is mapped */
    int wrap_mapped, strict;
} fake_mem;

static fake_mem mem;

static uint8_t *byte_at(uint64_t addr, uint8_t **count)
{
    *count = NULL;
    if (addr >= BASE && addr - BASE < sizeof(mem.bytes)) {
        uint64_t off = addr - BASE;
        if (off / PAGE == GAP1 || off / PAGE == GAP2)
            return NULL;
        *count = &mem.reads[off];
        return &mem.bytes[off];
    }
    if (mem.wrap_mapped && addr >= TOP_PAGE)
        return &mem.top[addr - TOP_PAGE];
    if (mem.wrap_mapped && addr < PAGE)
        return &mem.zero[addr];
    return NULL;
}

static long fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    assert_ptr_equal(ctx, &mem);
    size_t n = 0;
    for (; n < len; n++) {
        if (addr + n < addr && !mem.wrap_mapped)
            break; /* the fake's own arithmetic wraps only when the test asks */
        uint8_t *count, *b = byte_at(addr + n, &count);
        if (!b)
            break;
        if (count)
            (*count)++;
        ((uint8_t *)buf)[n] = *b;
    }
    if (n == 0 || (mem.strict && n < len))
        return -1;
    return (long)n;
}

static int setup(void **state)
{
    (void)state;
    memset(&mem, 0, sizeof(mem));
    memset(mem.bytes, 0xa5, sizeof(mem.bytes)); /* no NUL unless a test writes one */
    return 0;
}

static uint64_t put(uint64_t off, const void *data, size_t len)
{
    assert_true(off + len <= sizeof(mem.bytes));
    memcpy(mem.bytes + off, data, len);
    return BASE + off;
}

static uint64_t put_str(uint64_t off, const char *s)
{
    return put(off, s, strlen(s) + 1);
}

/* Decodes and checks no byte was copied twice (the tests never alias two arguments). */
static int decode(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                  uint64_t a5, wd_op *op)
{
    const uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
    memset(mem.reads, 0, sizeof(mem.reads));
    memset(op, 0x5a, sizeof(*op)); /* stale content the decoder must overwrite */
    int e = wd_op_decode(nr, args, fake_read, &mem, op);
    for (size_t i = 0; i < sizeof(mem.reads); i++)
        assert_true(mem.reads[i] <= 1);
    assert_int_equal(op->nr, nr);
    return e;
}

static wd_op op;

/* The fields every decoded operation has unless its call sets them. */
static void assert_plain(const wd_op *o, wd_op_kind kind)
{
    assert_int_equal(o->kind, kind);
    assert_int_equal(o->has_path, 1);
    assert_int_equal(o->fd, -1);
    assert_int_equal(o->resolve, 0);
    assert_int_equal(o->length, 0);
}

/* ---- opens ------------------------------------------------------------------------------- */

static void test_open_creat(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "/data/a.txt");
    assert_int_equal(decode(SYS_open, p, O_RDWR | O_APPEND, 0640, 9, 9, 9, &op), 0);
    assert_plain(&op, WD_OP_OPEN);
    assert_string_equal(op.path, "/data/a.txt");
    assert_string_equal(op.path2, "");
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.flags, O_RDWR | O_APPEND);
    assert_int_equal(op.mode, 0640);
    assert_int_equal(op.addr_len, 0);
    assert_string_equal(wd_op_name(op.kind), "open");

    p = put_str(100, "rel/b");
    assert_int_equal(decode(SYS_creat, p, 0600, 0777, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_OPEN);
    assert_string_equal(op.path, "rel/b");
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.flags, O_CREAT | O_WRONLY | O_TRUNC);
    assert_int_equal(op.mode, 0600);
}

static void test_openat_dirfds(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "x/y");
    assert_int_equal(decode(SYS_openat, AT_FDCWD_32, p, O_RDONLY | O_CLOEXEC, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_OPEN);
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_string_equal(op.path, "x/y");
    assert_int_equal(op.flags, O_RDONLY | O_CLOEXEC);
    assert_int_equal(decode(SYS_openat, AT_FDCWD_64, p, O_CREAT | O_WRONLY, 0644, 0, 0, &op), 0);
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.flags, O_CREAT | O_WRONLY);
    assert_int_equal(op.mode, 0644);
    /* The kernel truncates a descriptor to int: the upper half of the register is not part of it.
     */
    assert_int_equal(decode(SYS_openat, 0xdead00000007ull, p, 0, 0, 0, 0, &op), 0);
    assert_int_equal(op.dirfd, 7);
    assert_int_equal(decode(SYS_openat, 0xffffffffull, p, 0, 0, 0, 0, &op), 0);
    assert_int_equal(op.dirfd, -1);
}

static uint64_t put_how(uint64_t off, uint64_t flags, uint64_t mode, uint64_t resolve)
{
    struct open_how h = {.flags = flags, .mode = mode, .resolve = resolve};
    return put(off, &h, sizeof(h));
}

static void test_openat2(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "/data/n");
    uint64_t how = put_how(PAGE, O_RDONLY | O_NOFOLLOW, 0, RESOLVE_BENEATH);
    assert_int_equal(decode(SYS_openat2, 5, p, how, 24, 0, 0, &op), 0);
    assert_int_equal(op.kind, WD_OP_OPEN);
    assert_int_equal(op.has_path, 1);
    assert_int_equal(op.fd, -1);
    assert_int_equal(op.dirfd, 5);
    assert_string_equal(op.path, "/data/n");
    assert_int_equal(op.flags, O_RDONLY | O_NOFOLLOW);
    assert_int_equal(op.resolve, RESOLVE_BENEATH);
    how = put_how(2 * PAGE, O_CREAT | O_RDWR, 0600, 0);
    assert_int_equal(decode(SYS_openat2, AT_FDCWD_64, p, how, 24, 0, 0, &op), 0);
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.flags, O_CREAT | O_RDWR);
    assert_int_equal(op.mode, 0600);
    assert_int_equal(op.resolve, 0);
}

static void test_openat2_size_too_small(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "/a");
    uint64_t how = put_how(PAGE, O_RDONLY, 0, 0);
    assert_int_equal(decode(SYS_openat2, AT_FDCWD_32, p, how, 23, 0, 0, &op), EINVAL);
    assert_int_equal(decode(SYS_openat2, AT_FDCWD_32, p, how, 0, 0, 0, &op), EINVAL);
}

static void test_openat2_size_too_big(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "/a");
    uint64_t how = put_how(PAGE, O_RDONLY, 0, 0);
    memset(mem.bytes + PAGE + 24, 0, 2 * PAGE - 24);
    assert_int_equal(decode(SYS_openat2, AT_FDCWD_32, p, how, PAGE + 1, 0, 0, &op), E2BIG);
    assert_int_equal(decode(SYS_openat2, AT_FDCWD_32, p, how, UINT64_MAX, 0, 0, &op), E2BIG);
}

static void test_openat2_nonzero_tail(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "/a");
    uint64_t how = put_how(PAGE, O_RDONLY, 0, 0);
    memset(mem.bytes + PAGE + 24, 0, PAGE - 24);
    mem.bytes[2 * PAGE - 1] = 1; /* a field this interface does not know, set */
    assert_int_equal(decode(SYS_openat2, AT_FDCWD_32, p, how, PAGE, 0, 0, &op), E2BIG);
    mem.bytes[PAGE + 24] = 0x80;
    assert_int_equal(decode(SYS_openat2, AT_FDCWD_32, p, how, 25, 0, 0, &op), E2BIG);
}

static void test_openat2_zero_tail(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "/a");
    uint64_t how = put_how(PAGE, O_WRONLY, 0, RESOLVE_NO_SYMLINKS);
    memset(mem.bytes + PAGE + 24, 0, PAGE - 24);
    assert_int_equal(decode(SYS_openat2, AT_FDCWD_32, p, how, PAGE, 0, 0, &op), 0);
    assert_int_equal(op.flags, O_WRONLY);
    assert_int_equal(op.resolve, RESOLVE_NO_SYMLINKS);
    assert_int_equal(decode(SYS_openat2, AT_FDCWD_32, p, how, 32, 0, 0, &op), 0);
}

/* ---- exec -------------------------------------------------------------------------------- */

static void test_execve_execveat(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "/usr/bin/env");
    assert_int_equal(decode(SYS_execve, p, 0x1000, 0x2000, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_EXEC);
    assert_string_equal(op.path, "/usr/bin/env");
    assert_int_equal(op.dirfd, AT_FDCWD);

    assert_int_equal(decode(SYS_execveat, 4, p, 0, 0, AT_SYMLINK_NOFOLLOW, 0, &op), 0);
    assert_plain(&op, WD_OP_EXEC);
    assert_int_equal(op.dirfd, 4);
    assert_int_equal(op.flags, AT_SYMLINK_NOFOLLOW);

    /* The descriptor itself: no path is named. */
    uint64_t empty = put_str(200, "");
    assert_int_equal(decode(SYS_execveat, 9, empty, 0, 0, AT_EMPTY_PATH, 0, &op), 0);
    assert_int_equal(op.kind, WD_OP_EXEC);
    assert_int_equal(op.has_path, 0);
    assert_int_equal(op.fd, 9);
    assert_string_equal(op.path, "");
    /* AT_EMPTY_PATH with a path names the path; an empty path without it still names one (the
     * broker refuses it as the kernel would, ENOENT). */
    assert_int_equal(decode(SYS_execveat, 9, p, 0, 0, AT_EMPTY_PATH, 0, &op), 0);
    assert_int_equal(op.has_path, 1);
    assert_string_equal(op.path, "/usr/bin/env");
    assert_int_equal(decode(SYS_execveat, 9, empty, 0, 0, 0, 0, &op), 0);
    assert_int_equal(op.has_path, 1);
    assert_int_equal(op.fd, -1);
}

/* ---- changes ----------------------------------------------------------------------------- */

static void test_mkdir_unlink_rmdir(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "d/e");
    assert_int_equal(decode(SYS_mkdir, p, 0750, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_MKDIR);
    assert_string_equal(op.path, "d/e");
    assert_int_equal(op.mode, 0750);
    assert_int_equal(decode(SYS_mkdirat, AT_FDCWD_64, p, 0700, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_MKDIR);
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.mode, 0700);
    assert_int_equal(decode(SYS_unlink, p, 0, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_UNLINK);
    assert_string_equal(op.path, "d/e");
    assert_int_equal(decode(SYS_unlinkat, 3, p, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_UNLINK);
    assert_int_equal(op.dirfd, 3);
    assert_int_equal(op.flags, 0);
    assert_int_equal(decode(SYS_unlinkat, AT_FDCWD_32, p, AT_REMOVEDIR, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_RMDIR);
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.flags, AT_REMOVEDIR);
    assert_int_equal(decode(SYS_rmdir, p, 0, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_RMDIR);
    assert_string_equal(op.path, "d/e");
    assert_string_equal(wd_op_name(op.kind), "rmdir");
}

static void test_rename_link_symlink(void **state)
{
    (void)state;
    uint64_t from = put_str(0, "old"), to = put_str(PAGE, "/data/new");
    assert_int_equal(decode(SYS_rename, from, to, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_RENAME);
    assert_string_equal(op.path, "old");
    assert_string_equal(op.path2, "/data/new");
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.dirfd2, AT_FDCWD);
    /* renameat has no flags argument: whatever the fifth register holds is not a flag. */
    assert_int_equal(decode(SYS_renameat, 3, from, AT_FDCWD_64, to, RENAME_EXCHANGE, 0, &op), 0);
    assert_plain(&op, WD_OP_RENAME);
    assert_int_equal(op.dirfd, 3);
    assert_int_equal(op.dirfd2, AT_FDCWD);
    assert_int_equal(op.flags, 0);
    assert_int_equal(decode(SYS_renameat2, AT_FDCWD_32, from, 8, to, RENAME_NOREPLACE, 0, &op), 0);
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.dirfd2, 8);
    assert_int_equal(op.flags, RENAME_NOREPLACE);
    assert_string_equal(op.path2, "/data/new");

    assert_int_equal(decode(SYS_link, from, to, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_LINK);
    assert_string_equal(op.path, "old");
    assert_string_equal(op.path2, "/data/new");
    assert_int_equal(decode(SYS_linkat, 5, from, 6, to, AT_SYMLINK_FOLLOW, 0, &op), 0);
    assert_plain(&op, WD_OP_LINK);
    assert_int_equal(op.dirfd, 5);
    assert_int_equal(op.dirfd2, 6);
    assert_int_equal(op.flags, AT_SYMLINK_FOLLOW);

    /* symlink(target, linkpath): path is the link's text, path2 where it goes. */
    assert_int_equal(decode(SYS_symlink, from, to, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_SYMLINK);
    assert_string_equal(op.path, "old");
    assert_string_equal(op.path2, "/data/new");
    assert_int_equal(decode(SYS_symlinkat, from, 7, to, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_SYMLINK);
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.dirfd2, 7);
    assert_int_equal(decode(SYS_symlinkat, from, AT_FDCWD_32, to, 0, 0, 0, &op), 0);
    assert_int_equal(op.dirfd2, AT_FDCWD);
}

static void test_second_path_fault(void **state)
{
    (void)state;
    uint64_t from = put_str(0, "old");
    assert_int_equal(decode(SYS_renameat2, AT_FDCWD_32, from, AT_FDCWD_32, 0, 0, 0, &op), EFAULT);
    assert_int_equal(decode(SYS_symlink, from, BASE + GAP1 * PAGE, 0, 0, 0, 0, &op), EFAULT);
}

static void test_chmod_chown(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "f");
    assert_int_equal(decode(SYS_chmod, p, 04755, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_CHMOD);
    assert_int_equal(op.mode, 04755);
    assert_int_equal(op.flags, 0);
    /* fchmodat has no flags argument; fchmodat2 has. */
    assert_int_equal(decode(SYS_fchmodat, 3, p, 0600, AT_SYMLINK_NOFOLLOW, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_CHMOD);
    assert_int_equal(op.dirfd, 3);
    assert_int_equal(op.mode, 0600);
    assert_int_equal(op.flags, 0);
#ifdef SYS_fchmodat2
    assert_int_equal(decode(SYS_fchmodat2, AT_FDCWD_64, p, 0644, AT_SYMLINK_NOFOLLOW, 0, 0, &op),
                     0);
    assert_plain(&op, WD_OP_CHMOD);
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.mode, 0644);
    assert_int_equal(op.flags, AT_SYMLINK_NOFOLLOW);
#endif
    assert_int_equal(decode(SYS_chown, p, 0, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_CHOWN);
    assert_int_equal(op.flags, 0);
    assert_int_equal(decode(SYS_lchown, p, 0, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_CHOWN);
    assert_int_equal(op.flags, AT_SYMLINK_NOFOLLOW);
    assert_int_equal(decode(SYS_fchownat, 4, p, 0, 0, AT_SYMLINK_NOFOLLOW, 0, &op), 0);
    assert_plain(&op, WD_OP_CHOWN);
    assert_int_equal(op.dirfd, 4);
    assert_int_equal(op.flags, AT_SYMLINK_NOFOLLOW);
    assert_string_equal(op.path, "f");
}

static void test_times(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "t");
    uint8_t times[32];
    for (size_t i = 0; i < sizeof(times); i++)
        times[i] = (uint8_t)(i + 1);
    uint64_t t = put(PAGE, times, sizeof(times));

    assert_int_equal(decode(SYS_utime, p, t, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_UTIMES);
    assert_int_equal(op.addr_len, 16); /* struct utimbuf */
    assert_memory_equal(op.addr, times, 16);
    assert_int_equal(decode(SYS_utime, p, 0, 0, 0, 0, 0, &op), 0);
    assert_int_equal(op.addr_len, 0); /* now */
    assert_int_equal(decode(SYS_utimes, p, t, 0, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_UTIMES);
    assert_int_equal(op.addr_len, 32); /* two timevals */
    assert_memory_equal(op.addr, times, 32);
    assert_int_equal(decode(SYS_futimesat, 6, p, t, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_UTIMES);
    assert_int_equal(op.dirfd, 6);
    assert_int_equal(op.addr_len, 32);
    assert_int_equal(decode(SYS_futimesat, 6, p, 0, 0, 0, 0, &op), 0);
    assert_int_equal(op.addr_len, 0);

    assert_int_equal(decode(SYS_utimensat, AT_FDCWD_64, p, t, AT_SYMLINK_NOFOLLOW, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_UTIMES);
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.flags, AT_SYMLINK_NOFOLLOW);
    assert_string_equal(op.path, "t");
    assert_int_equal(op.addr_len, 32); /* two timespecs */
    assert_memory_equal(op.addr, times, 32);
    assert_int_equal(decode(SYS_utimensat, 5, p, 0, 0, 0, 0, &op), 0);
    assert_int_equal(op.has_path, 1);
    assert_int_equal(op.addr_len, 0);
    /* futimens: a NULL path names the descriptor. */
    assert_int_equal(decode(SYS_utimensat, 5, 0, t, 0, 0, 0, &op), 0);
    assert_int_equal(op.kind, WD_OP_UTIMES);
    assert_int_equal(op.has_path, 0);
    assert_int_equal(op.fd, 5);
    assert_string_equal(op.path, "");
    assert_int_equal(op.addr_len, 32);
    assert_int_equal(decode(SYS_utimensat, 5, 0, 0, 0, 0, 0, &op), 0);
    assert_int_equal(op.has_path, 0);
    assert_int_equal(op.addr_len, 0);
    /* Times at an unmapped page. */
    assert_int_equal(decode(SYS_utimensat, 5, p, BASE + GAP1 * PAGE - 16, 0, 0, 0, &op), EFAULT);
    assert_int_equal(decode(SYS_utime, p, 8, 0, 0, 0, 0, &op), EFAULT);
}

static void test_truncate_mknod(void **state)
{
    (void)state;
    uint64_t p = put_str(0, "big");
    assert_int_equal(decode(SYS_truncate, p, 1ull << 40, 0, 0, 0, 0, &op), 0);
    assert_int_equal(op.kind, WD_OP_TRUNCATE);
    assert_int_equal(op.length, 1ull << 40);
    assert_string_equal(op.path, "big");
    assert_int_equal(decode(SYS_mknod, p, 020644, 0x0103, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_MKNOD);
    assert_int_equal(op.mode, 020644);
    assert_int_equal(decode(SYS_mknodat, AT_FDCWD_32, p, 010600, 0, 0, 0, &op), 0);
    assert_plain(&op, WD_OP_MKNOD);
    assert_int_equal(op.dirfd, AT_FDCWD);
    assert_int_equal(op.mode, 010600);
}

/* ---- network ----------------------------------------------------------------------------- */

static void test_connect_bind_sendto(void **state)
{
    (void)state;
    uint8_t sa[16] = {2, 0, 0x1f, 0x90, 127, 0, 0, 1};
    uint64_t a = put(300, sa, sizeof(sa));
    assert_int_equal(decode(SYS_connect, 3, a, sizeof(sa), 0, 0, 0, &op), 0);
    assert_int_equal(op.kind, WD_OP_CONNECT);
    assert_int_equal(op.fd, 3);
    assert_int_equal(op.addr_len, 16);
    assert_memory_equal(op.addr, sa, 16);
    assert_string_equal(op.path, "");
    assert_int_equal(decode(SYS_bind, 0x100000004ull, a, 8, 0, 0, 0, &op), 0);
    assert_int_equal(op.kind, WD_OP_BIND);
    assert_int_equal(op.fd, 4);
    assert_int_equal(op.addr_len, 8);
    assert_memory_equal(op.addr, sa, 8);
    assert_int_equal(decode(SYS_sendto, 5, 0x1234, 99, MSG_DONTWAIT, a, 16, &op), 0);
    assert_int_equal(op.kind, WD_OP_SENDTO);
    assert_int_equal(op.fd, 5);
    assert_int_equal(op.flags, MSG_DONTWAIT);
    assert_int_equal(op.addr_len, 16);
    assert_memory_equal(op.addr, sa, 16);
    /* The largest address there is (struct sockaddr_storage). */
    uint8_t big[WD_OP_ADDR_MAX];
    memset(big, 0x42, sizeof(big));
    a = put(1024, big, sizeof(big));
    assert_int_equal(decode(SYS_connect, 3, a, WD_OP_ADDR_MAX, 0, 0, 0, &op), 0);
    assert_int_equal(op.addr_len, WD_OP_ADDR_MAX);
    assert_memory_equal(op.addr, big, WD_OP_ADDR_MAX);
    /* An address cut by an unmapped page. */
    a = put(GAP1 * PAGE - 8, sa, 8);
    assert_int_equal(decode(SYS_connect, 3, a, 16, 0, 0, 0, &op), EFAULT);
    assert_int_equal(decode(SYS_connect, 3, 0, 16, 0, 0, 0, &op), EFAULT);
}

static void test_sockaddr_too_long(void **state)
{
    (void)state;
    uint64_t a = put(0, mem.bytes + 4096, 256);
    assert_int_equal(decode(SYS_connect, 3, a, WD_OP_ADDR_MAX + 1, 0, 0, 0, &op), EINVAL);
    assert_int_equal(decode(SYS_bind, 3, a, 0x100000010ull, 0, 0, 0, &op), EINVAL);
    assert_int_equal(decode(SYS_sendto, 3, 0, 0, 0, a, 256, &op), EINVAL);
}

/* ---- hostile paths ----------------------------------------------------------------------- */

static void test_null_path(void **state)
{
    (void)state;
    /* NULL is refused as NULL, not because nothing happens to be mapped there. */
    mem.wrap_mapped = 1;
    memcpy(mem.zero, "/x", 3);
    assert_int_equal(decode(SYS_openat, AT_FDCWD_32, 0, O_RDONLY, 0, 0, 0, &op), EFAULT);
    assert_int_equal(decode(SYS_execve, 0, 0, 0, 0, 0, 0, &op), EFAULT);
    assert_int_equal(decode(SYS_unlinkat, AT_FDCWD_32, 0, AT_REMOVEDIR, 0, 0, 0, &op), EFAULT);
}

static void test_path_into_unmapped_page(void **state)
{
    (void)state;
    uint64_t p = put(GAP1 * PAGE - 5, "abcde", 5); /* no NUL before the gap */
    assert_int_equal(decode(SYS_openat, AT_FDCWD_32, p, O_RDONLY, 0, 0, 0, &op), EFAULT);
    mem.strict = 1;
    assert_int_equal(decode(SYS_openat, AT_FDCWD_32, p, O_RDONLY, 0, 0, 0, &op), EFAULT);
    /* Starting inside the gap, and beyond the fake memory. */
    assert_int_equal(decode(SYS_open, BASE + GAP2 * PAGE + 7, 0, 0, 0, 0, 0, &op), EFAULT);
    assert_int_equal(decode(SYS_open, BASE + PAGES * PAGE, 0, 0, 0, 0, 0, &op), EFAULT);
}

static void path_at_page_end(void)
{
    uint64_t p = put(GAP1 * PAGE - 6, "abcde", 6); /* the NUL is the page's last byte */
    assert_int_equal(decode(SYS_openat, AT_FDCWD_32, p, O_RDONLY, 0, 0, 0, &op), 0);
    assert_string_equal(op.path, "abcde");
    /* A path that crosses from one mapped page into the next. */
    memset(mem.bytes + 2 * PAGE - 10, 'p', 30);
    mem.bytes[2 * PAGE + 20] = 0;
    assert_int_equal(decode(SYS_open, BASE + 2 * PAGE - 10, 0, 0, 0, 0, 0, &op), 0);
    assert_int_equal(strlen(op.path), 30);
}

static void test_path_ends_at_page_boundary(void **state)
{
    (void)state;
    path_at_page_end();
}

static void test_path_ends_at_page_boundary_strict(void **state)
{
    (void)state;
    mem.strict = 1; /* a read crossing into the gap fails whole */
    path_at_page_end();
}

static void test_path_too_long(void **state)
{
    (void)state;
    memset(mem.bytes, 'x', 3 * PAGE); /* pages 0-2 mapped, no NUL */
    assert_int_equal(decode(SYS_open, BASE + 100, 0, 0, 0, 0, 0, &op), ENAMETOOLONG);
    assert_int_equal(op.path[WD_PATH_MAX - 1], 0);
    /* One byte shorter fits: WD_PATH_MAX with its NUL. */
    mem.bytes[100 + WD_PATH_MAX - 1] = 0;
    assert_int_equal(decode(SYS_open, BASE + 100, 0, 0, 0, 0, 0, &op), 0);
    assert_int_equal(strlen(op.path), WD_PATH_MAX - 1);
    mem.bytes[100 + WD_PATH_MAX - 1] = 'x';
    mem.bytes[100 + WD_PATH_MAX] = 0; /* the NUL one byte too far */
    assert_int_equal(
        decode(SYS_renameat2, 3, put_str(2 * PAGE + 2000, "a"), 3, BASE + 100, 0, 0, &op),
        ENAMETOOLONG);
}

static void test_unknown_syscall(void **state)
{
    (void)state;
    const int nrs[] = {SYS_getpid, SYS_read, SYS_close, SYS_fchmod, SYS_sendmsg, -1, 100000};
    uint64_t p = put_str(0, "/x");
    for (size_t i = 0; i < sizeof(nrs) / sizeof(*nrs); i++) {
        assert_int_equal(decode(nrs[i], p, p, p, p, p, p, &op), ENOSYS);
        assert_int_equal(op.kind, WD_OP_NONE);
        assert_string_equal(wd_op_name(op.kind), "none");
    }
    assert_string_equal(wd_op_name(WD_OP_COUNT), "none");
    assert_string_equal(wd_op_name((wd_op_kind)-1), "none");
}

static void test_address_wraps(void **state)
{
    (void)state;
    /* The last 10 bytes of the address space, then address 0 holding the rest of a string:
     * a path may not continue past the top. */
    mem.wrap_mapped = 1;
    memset(mem.top, 'w', sizeof(mem.top));
    memcpy(mem.zero, "z", 2);
    assert_int_equal(decode(SYS_open, UINT64_MAX - 9, 0, 0, 0, 0, 0, &op), EFAULT);
    assert_int_equal(decode(SYS_rename, put_str(0, "a"), UINT64_MAX, 0, 0, 0, 0, &op), EFAULT);
    /* A string that ends on the last byte is still read. */
    mem.top[PAGE - 1] = 0;
    assert_int_equal(decode(SYS_open, UINT64_MAX - 9, 0, 0, 0, 0, 0, &op), 0);
    assert_string_equal(op.path, "wwwwwwwww");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_open_creat, setup),
        cmocka_unit_test_setup(test_openat_dirfds, setup),
        cmocka_unit_test_setup(test_openat2, setup),
        cmocka_unit_test_setup(test_openat2_size_too_small, setup),
        cmocka_unit_test_setup(test_openat2_size_too_big, setup),
        cmocka_unit_test_setup(test_openat2_nonzero_tail, setup),
        cmocka_unit_test_setup(test_openat2_zero_tail, setup),
        cmocka_unit_test_setup(test_execve_execveat, setup),
        cmocka_unit_test_setup(test_mkdir_unlink_rmdir, setup),
        cmocka_unit_test_setup(test_rename_link_symlink, setup),
        cmocka_unit_test_setup(test_second_path_fault, setup),
        cmocka_unit_test_setup(test_chmod_chown, setup),
        cmocka_unit_test_setup(test_times, setup),
        cmocka_unit_test_setup(test_truncate_mknod, setup),
        cmocka_unit_test_setup(test_connect_bind_sendto, setup),
        cmocka_unit_test_setup(test_sockaddr_too_long, setup),
        cmocka_unit_test_setup(test_null_path, setup),
        cmocka_unit_test_setup(test_path_into_unmapped_page, setup),
        cmocka_unit_test_setup(test_path_ends_at_page_boundary, setup),
        cmocka_unit_test_setup(test_path_ends_at_page_boundary_strict, setup),
        cmocka_unit_test_setup(test_path_too_long, setup),
        cmocka_unit_test_setup(test_unknown_syscall, setup),
        cmocka_unit_test_setup(test_address_wraps, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
