/* netns.c: the shared empty network namespace (netns.h). */
#include "sandbox/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int shared_fd = -1;

/* A child enters a new namespace and waits; the parent opens it through /proc and lets the
 * child go. The host itself never changes namespace. Only async-signal-safe calls in the child
 * (the host may have threads). */
static void make_once(void)
{
    if (geteuid() != 0)
        return;
    int ready[2], release[2];
    if (pipe2(ready, O_CLOEXEC) != 0)
        return;
    if (pipe2(release, O_CLOEXEC) != 0) {
        close(ready[0]);
        close(ready[1]);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(release[1]); /* else the read below never sees the parent let go */
        char c = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        char d;
        while (read(release[0], &d, 1) < 0)
            ;
        _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    char c = 0;
    if (pid > 0 && read(ready[0], &c, 1) == 1 && c == 1) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
        shared_fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    close(ready[0]);
    close(release[1]);
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
}

int wd_netns_shared(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_once);
    return shared_fd;
}
