/* tricks.c: a process plugin that tries the classic ways past a path check, each by the plain
 * system call an unmodified program would make. Its policy grants everything beneath data
 * (read, write, create, delete) except files named *.secret; data/ok.txt holds "OK", data/no.secret
 * "SECRET". One line per trick: "NAME rc=R errno=E [detail]" (errno 0 when it worked); the
 * test decides what each must be and finds the broker's record of it.
 *
 * Input: nothing. Exit 0 when every trick ran. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

enum { READ_LEN = 16 };

static void report(const char *name, long rc, const char *detail)
{
    printf("%s rc=%ld errno=%d%s%s\n", name, rc, rc < 0 ? errno : 0, detail ? " " : "",
           detail ? detail : "");
}

/* What the first bytes of a descriptor say ("-" when nothing could be read). */
static const char *content(int fd, char *buf)
{
    ssize_t n = read(fd, buf, READ_LEN);
    if (n <= 0)
        return "-";
    buf[n] = 0;
    buf[strcspn(buf, "\n")] = 0;
    return buf;
}

/* open(2) of path; on success the detail is what it reads. */
static void try_open(const char *name, int dirfd, const char *path, int flags)
{
    char buf[READ_LEN + 1], detail[64] = "";
    int fd = openat(dirfd, path, flags | O_CLOEXEC);
    int e = errno;
    if (fd >= 0) {
        snprintf(detail, sizeof(detail), "content=%s",
                 (flags & O_PATH) || (flags & O_ACCMODE) == O_WRONLY ? "-" : content(fd, buf));
        close(fd);
    }
    errno = e;
    report(name, fd, detail);
}

static void symlinks(void)
{
    /* Links made through the broker: one leading where the plugin may not read is refused
     * (it would be the host's user's link), so opening it finds nothing. */
    report("symlink_make_secret", symlink("no.secret", "data/l_secret"), NULL);
    try_open("symlink_secret", AT_FDCWD, "data/l_secret", O_RDONLY);
    report("symlink_make_shadow", symlink("/etc/shadow", "data/l_shadow"), NULL);
    try_open("symlink_shadow", AT_FDCWD, "data/l_shadow", O_RDONLY);
    report("symlink_make_etc", symlink("/etc", "data/l_etc"), NULL);
    try_open("symlink_dir_shadow", AT_FDCWD, "data/l_etc/shadow", O_RDONLY);
    /* The test planted data/p_secret -> no.secret before the run. */
    try_open("symlink_planted", AT_FDCWD, "data/p_secret", O_RDONLY);
}

/* first, then step 40 times, then last, bounded by size (always NUL-terminated). */
static void climb(char *out, size_t size, const char *first, const char *step, const char *last)
{
    size_t n = (size_t)snprintf(out, size, "%s", first);
    for (int i = 0; i < 40 && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s", step);
    if (n < size)
        snprintf(out + n, size - n, "%s", last);
}

static void climbing(void)
{
    try_open("dotdot_policy", AT_FDCWD, "data/../policy.yaml", O_RDONLY);
    char deep[512];
    climb(deep, sizeof(deep), "data", "/..", "/etc/shadow");
    try_open("dotdot_beyond_root", AT_FDCWD, deep, O_RDONLY);
    try_open("dotdot_absolute", AT_FDCWD, "/../../etc/shadow", O_RDONLY);
}

static void proc_tricks(void)
{
    /* An O_PATH descriptor of an allowed file is a descriptor like any other. */
    try_open("opath_allowed", AT_FDCWD, "data/ok.txt", O_PATH);
    /* A read-only descriptor of an allowed file, opened again for writing by its magic link. */
    int fd = open("data/ok.txt", O_RDONLY | O_CLOEXEC);
    report("procfd_source", fd, NULL);
    if (fd >= 0) {
        char p[64];
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        try_open("procfd_reopen_write", AT_FDCWD, p, O_WRONLY);
        try_open("procfd_reopen_rdwr", AT_FDCWD, p, O_RDWR);
        close(fd);
    }
    try_open("procroot_shadow", AT_FDCWD, "/proc/self/root/etc/shadow", O_RDONLY);
    try_open("procroot_secret", AT_FDCWD, "/proc/self/cwd/data/no.secret", O_RDONLY);
}

static void links_and_renames(void)
{
    report("hardlink", link("data/ok.txt", "data/hl.txt"), NULL);
    report("hardlink_secret", linkat(AT_FDCWD, "data/no.secret", AT_FDCWD, "data/leak.txt", 0),
           NULL);
    long rc = syscall(SYS_renameat2, AT_FDCWD, "data/ok.txt", AT_FDCWD, "data/no.secret",
                      RENAME_EXCHANGE);
    report("rename_exchange", rc, NULL);
    try_open("after_exchange", AT_FDCWD, "data/ok.txt", O_RDONLY);
    report("rename_secret_out", rename("data/no.secret", "data/leak.txt"), NULL);
    report("rename_into_secret", rename("data/ok.txt", "data/ok.secret"), NULL);
    report("mkdir_d1", mkdir("data/d1", 0755), NULL);
    report("rename_dir", rename("data/d1", "data/d2"), NULL);
}

static void opath_and_dirfd(void)
{
    try_open("opath_secret", AT_FDCWD, "data/no.secret", O_PATH);
    int dir = open("data", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    report("dirfd_open", dir, NULL);
    if (dir < 0)
        return;
    try_open("dirfd_ok", dir, "ok.txt", O_RDONLY);
    try_open("dirfd_escape_policy", dir, "../policy.yaml", O_RDONLY);
    char deep[512];
    climb(deep, sizeof(deep), "", "../", "etc/shadow");
    try_open("dirfd_escape_root", dir, deep, O_RDONLY);
    close(dir);
}

static void setid(void)
{
    int fd = open("data/new.bin", O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
    report("create_new", fd, NULL);
    report("chmod_setuid", chmod("data/new.bin", 06755), NULL);
    if (fd >= 0) {
        report("fchmod_setuid", fchmod(fd, 06755), NULL);
        close(fd);
    }
    struct stat st;
    char detail[32];
    int rc = stat("data/new.bin", &st);
    snprintf(detail, sizeof(detail), "mode=%o", rc == 0 ? (unsigned)(st.st_mode & 07777) : 0u);
    report("mode_after", rc, detail);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    try_open("control_ok", AT_FDCWD, "data/ok.txt", O_RDONLY);
    symlinks();
    climbing();
    proc_tricks();
    links_and_renames();
    opath_and_dirfd();
    setid();
    printf("done\n");
    return 0;
}
