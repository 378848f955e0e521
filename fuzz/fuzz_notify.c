/* fuzz_notify.c: the input as one seccomp notification of a hostile plugin and its memory, fed
 * to wd_op_decode (src/sandbox/notify.h).
 *
 * Layout: 1 byte selects the system call (below 0xf0: one of the calls the decoder knows, by
 * its index in calls[]; else the next 4 bytes are any number), 1 byte of unmapped pages (bit i:
 * page i of the image is a gap), 1 byte of mode (bit 0: a read crossing into a gap fails whole, as
 * process_vm_readv's iovec granularity allows, rather than coming back short), then six
 * arguments of 9 bytes (a tag, then 8 bytes little-endian: tag%4 0 raw, 1 an address inside or
 * just past the image, 2 a sign-extended int, 3 an address near the top of the address space)
 * and the rest is the memory image at IMAGE_BASE, mapped in whole pages (at most IMAGE_PAGES).
 *
 * Aborts when a promise of notify.h breaks: the result is 0 or a documented errno; ENOSYS
 * exactly for calls the decoder does not know, with kind NONE; a decoded operation has a valid
 * kind for its call, NUL-terminated paths equal to the strings in memory, addr_len at most
 * WD_OP_ADDR_MAX with the bytes of memory; every read stays within a page-sized request and
 * the decoder reads a bounded total; decoding again gives the same operation. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "sandbox/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* As notify.c: the filter notifies fchmodat2 by number where the headers predate it. */
#if !defined(SYS_fchmodat2) && (defined(__x86_64__) || defined(__aarch64__))
#define SYS_fchmodat2 452
#endif

#define IMAGE_BASE 0x7f0000100000ull
#define PAGE 4096u
#define IMAGE_PAGES 8u
#define HEADER (3u + 6u * 9u)
#define READ_BUDGET (2u * WD_PATH_MAX + PAGE) /* two paths and an open_how, or a path and times */

typedef struct {
    const uint8_t *bytes;
    size_t len;
    uint8_t gaps;
    int strict;
    size_t total;
} image;

/* The image is mapped in whole pages (the tail of the last one reads as zeros) but for the
 * gaps: the byte at addr, or -1 where nothing is mapped. */
static int byte_at(const image *im, uint64_t addr)
{
    if (addr < IMAGE_BASE)
        return -1;
    uint64_t off = addr - IMAGE_BASE;
    if (off >= (im->len + PAGE - 1) / PAGE * PAGE || (im->gaps & (1u << (off / PAGE))))
        return -1;
    return off < im->len ? im->bytes[off] : 0;
}

static long read_image(void *ctx, uint64_t addr, void *buf, size_t len)
{
    image *im = ctx;
    if (len > PAGE)
        abort(); /* every copy is bounded */
    im->total += len;
    if (im->total > READ_BUDGET)
        abort();
    size_t n = 0;
    int b;
    while (n < len && addr + n >= addr && (b = byte_at(im, addr + n)) >= 0)
        ((uint8_t *)buf)[n++] = (uint8_t)b;
    if (n == 0 || (im->strict && n < len))
        return -1;
    return (long)n;
}

/* What the harness expects of each call: its kind (or -1: by flags), which argument is the path,
 * the second path and the address (-1: none). */
typedef struct {
    int nr, kind, path, path2, addr, addr_len;
} call;

static const call calls[] = {
    {SYS_open, WD_OP_OPEN, 0, -1, -1, -1},       {SYS_creat, WD_OP_OPEN, 0, -1, -1, -1},
    {SYS_openat, WD_OP_OPEN, 1, -1, -1, -1},     {SYS_openat2, WD_OP_OPEN, 1, -1, -1, -1},
    {SYS_execve, WD_OP_EXEC, 0, -1, -1, -1},     {SYS_execveat, WD_OP_EXEC, 1, -1, -1, -1},
    {SYS_mkdir, WD_OP_MKDIR, 0, -1, -1, -1},     {SYS_mkdirat, WD_OP_MKDIR, 1, -1, -1, -1},
    {SYS_unlink, WD_OP_UNLINK, 0, -1, -1, -1},   {SYS_unlinkat, -1, 1, -1, -1, -1},
    {SYS_rmdir, WD_OP_RMDIR, 0, -1, -1, -1},     {SYS_rename, WD_OP_RENAME, 0, 1, -1, -1},
    {SYS_renameat, WD_OP_RENAME, 1, 3, -1, -1},  {SYS_renameat2, WD_OP_RENAME, 1, 3, -1, -1},
    {SYS_link, WD_OP_LINK, 0, 1, -1, -1},        {SYS_linkat, WD_OP_LINK, 1, 3, -1, -1},
    {SYS_symlink, WD_OP_SYMLINK, 0, 1, -1, -1},  {SYS_symlinkat, WD_OP_SYMLINK, 0, 2, -1, -1},
    {SYS_chmod, WD_OP_CHMOD, 0, -1, -1, -1},     {SYS_fchmodat, WD_OP_CHMOD, 1, -1, -1, -1},
    {SYS_chown, WD_OP_CHOWN, 0, -1, -1, -1},     {SYS_lchown, WD_OP_CHOWN, 0, -1, -1, -1},
    {SYS_fchownat, WD_OP_CHOWN, 1, -1, -1, -1},  {SYS_utime, WD_OP_UTIMES, 0, -1, 1, -1},
    {SYS_utimes, WD_OP_UTIMES, 0, -1, 1, -1},    {SYS_futimesat, WD_OP_UTIMES, 1, -1, 2, -1},
    {SYS_utimensat, WD_OP_UTIMES, 1, -1, 2, -1}, {SYS_truncate, WD_OP_TRUNCATE, 0, -1, -1, -1},
    {SYS_mknod, WD_OP_MKNOD, 0, -1, -1, -1},     {SYS_mknodat, WD_OP_MKNOD, 1, -1, -1, -1},
    {SYS_connect, WD_OP_CONNECT, -1, -1, 1, 2},  {SYS_bind, WD_OP_BIND, -1, -1, 1, 2},
    {SYS_sendto, WD_OP_SENDTO, -1, -1, 4, 5},
#ifdef SYS_fchmodat2 /* last: the seeds' selectors stay the same where the headers lack it */
    {SYS_fchmodat2, WD_OP_CHMOD, 1, -1, -1, -1},
#endif
};
#define NCALLS (sizeof(calls) / sizeof(*calls))

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t arg_of(const uint8_t *p, size_t image_len)
{
    uint64_t v = le64(p + 1);
    switch (p[0] % 4) {
    case 1:
        return IMAGE_BASE + v % (image_len + 64);
    case 2:
        return (uint64_t)(int64_t)(int32_t)v;
    case 3:
        return UINT64_MAX - (v & 0xffff);
    default:
        return v;
    }
}

/* The string at addr, as the kernel would copy it, equals the decoded path. */
static void check_path(const image *im, uint64_t addr, const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i <= len; i++) {
        if (addr + i < addr || byte_at(im, addr + i) != (uint8_t)path[i])
            abort();
    }
}

static void check_decoded(const image *im, const call *c, const uint64_t a[6], const wd_op *op)
{
    if (op->kind <= WD_OP_NONE || op->kind >= WD_OP_COUNT)
        abort();
    if (c->kind >= 0 && op->kind != (wd_op_kind)c->kind)
        abort();
    if (c->kind < 0 && op->kind != ((a[2] & AT_REMOVEDIR) ? WD_OP_RMDIR : WD_OP_UNLINK))
        abort();
    if (!memchr(op->path, 0, WD_PATH_MAX) || !memchr(op->path2, 0, WD_PATH_MAX))
        abort();
    if (op->addr_len > WD_OP_ADDR_MAX)
        abort();
    if (c->path >= 0 && op->has_path)
        check_path(im, a[c->path], op->path);
    if (c->path >= 0 && !op->has_path &&
        !(op->path[0] == 0 && (c->nr == SYS_utimensat || c->nr == SYS_execveat)))
        abort();
    if (c->path < 0 && (op->path[0] || !op->has_path))
        abort();
    if (c->path2 >= 0)
        check_path(im, a[c->path2], op->path2);
    else if (op->path2[0])
        abort();
    if (c->addr_len >= 0 && op->addr_len != a[c->addr_len])
        abort();
    if (c->addr >= 0 && op->addr_len) {
        for (uint32_t i = 0; i < op->addr_len; i++)
            if (byte_at(im, a[c->addr] + i) != op->addr[i])
                abort();
    }
    if (c->addr < 0 && op->addr_len)
        abort();
}

static wd_op first, second;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER)
        return 0;
    size_t at = 0;
    int nr;
    const call *c = NULL;
    if (data[0] < 0xf0) {
        c = &calls[data[0] % NCALLS];
        nr = c->nr;
        at = 1;
    } else {
        if (size < HEADER + 4)
            return 0;
        uint32_t v = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                     (uint32_t)data[4] << 24;
        nr = (int)v;
        at = 5;
        for (size_t i = 0; i < NCALLS; i++)
            if (calls[i].nr == nr)
                c = &calls[i];
    }
    image im = {.gaps = data[at], .strict = data[at + 1] & 1};
    at += 2;
    const uint8_t *argbytes = data + at;
    at += 6 * 9;
    im.bytes = data + at;
    im.len = size - at;
    if (im.len > IMAGE_PAGES * PAGE)
        im.len = IMAGE_PAGES * PAGE;
    uint64_t a[6];
    for (int i = 0; i < 6; i++)
        a[i] = arg_of(argbytes + 9 * i, im.len);

    int e = wd_op_decode(nr, a, read_image, &im, &first);
    if (first.nr != nr)
        abort();
    switch (e) {
    case 0:
        if (!c)
            abort();
        check_decoded(&im, c, a, &first);
        break;
    case ENOSYS:
        if (c || first.kind != WD_OP_NONE)
            abort();
        break;
    case EFAULT:
    case ENAMETOOLONG:
    case EINVAL:
    case E2BIG:
        if (!c)
            abort();
        break;
    default:
        abort();
    }
    if (strcmp(wd_op_name(first.kind), "") == 0)
        abort();

    im.total = 0;
    int e2 = wd_op_decode(nr, a, read_image, &im, &second);
    if (e2 != e)
        abort();
    if (e == 0 && (second.kind != first.kind || second.dirfd != first.dirfd ||
                   second.dirfd2 != first.dirfd2 || second.has_path != first.has_path ||
                   strcmp(second.path, first.path) != 0 || strcmp(second.path2, first.path2) != 0 ||
                   second.flags != first.flags || second.mode != first.mode ||
                   second.resolve != first.resolve || second.fd != first.fd ||
                   second.addr_len != first.addr_len || second.length != first.length ||
                   memcmp(second.addr, first.addr, first.addr_len) != 0))
        abort();
    return 0;
}
