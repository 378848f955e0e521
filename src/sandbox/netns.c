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

enum { PROC_NS_PATH_SIZE = 64 };

/* The child: keeps only its own ends (ready[1], release[0]), enters a new namespace, says
 * whether it could and waits for the parent to let go. Never returns. Only async-signal-safe
 * calls (the host may have threads). */
static _Noreturn void hold_namespace(const int ready[2], const int release[2])
{
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

/* The parent: forks the child, opens its namespace through /proc once it has one, lets it go
 * and reaps it. Each of the four ends is closed once in this process (the child closes its
 * own copies in hold_namespace). */
static void open_from_child(const int ready[2], const int release[2])
{
    pid_t pid = fork();
    if (pid == 0)
        hold_namespace(ready, release);
    close(ready[1]);
    close(release[0]);
    char c = 0;
    if (pid > 0 && read(ready[0], &c, 1) == 1 && c == 1) {
        char path[PROC_NS_PATH_SIZE];
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
        shared_fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    close(ready[0]);
    close(release[1]);
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
}

/* A child enters a new namespace and waits; the parent opens it through /proc and lets the
 * child go. The host itself never changes namespace. */
static void make_once(void)
{
    if (geteuid() != 0)
        return;
    int ready[2], release[2];
    if (pipe2(ready, O_CLOEXEC) != 0)
        return;
    if (pipe2(release, O_CLOEXEC) == 0) {
        open_from_child(ready, release);
    } else {
        close(ready[0]);
        close(ready[1]);
    }
}

int wd_netns_shared(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_once);
    return shared_fd;
}
