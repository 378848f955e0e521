/* backstop.c: a process plugin for the Landlock backstop test (tests/unit/test_process_backstop.c).
 * Run with the broker forced to answer "continue" to everything, its calls reach the kernel
 * as they are: only Landlock stands between it and the file system. It reads a granted file,
 * then tries what no grant covers: a file outside every root, writing into the read-only
 * grant, executing a program outside the runtime roots.
 *
 * Output, one line: "granted=TEXT outside=E create=E write=E exec=E", each E 0 when the call
 * worked, else its errno. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int open_errno(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC, 0666);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

/* execve in a child (a successful one replaces it): its errno, or 0 when the program ran. */
static int exec_errno(const char *path)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char *const argv[] = {(char *)path, NULL};
        char *const envp[] = {NULL};
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 1);
        execve(path, argv, envp);
        int e = errno;
        if (write(p[1], &e, sizeof(e)) != (ssize_t)sizeof(e))
            _exit(3);
        _exit(2);
    }
    close(p[1]);
    int e = 0;
    if (read(p[0], &e, sizeof(e)) != (ssize_t)sizeof(e))
        e = 0; /* closed on exec: the program ran */
    close(p[0]);
    waitpid(pid, NULL, 0);
    return e;
}

int main(void)
{
    char granted[16] = "-";
    int fd = open("data/ok.txt", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, granted, sizeof(granted) - 1);
        granted[n > 0 ? n : 0] = 0;
        granted[strcspn(granted, "\n")] = 0;
        close(fd);
    }
    printf("granted=%s outside=%d create=%d write=%d exec=%d\n", granted,
           open_errno("/etc/hostname", O_RDONLY),
           open_errno("data/new.txt", O_WRONLY | O_CREAT | O_EXCL),
           open_errno("data/ok.txt", O_WRONLY), exec_errno("/usr/bin/id"));
    return 0;
}
