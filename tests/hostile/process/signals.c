/* signals.c: a process plugin whose mediated opens are interrupted by signals. A 1 ms interval
 * timer (SIGALRM, with SA_RESTART or without) fires while the program opens files in a loop:
 * each open is a notification the broker answers by putting a descriptor in place, and a
 * signal that lands while the program waits for that answer abandons the notification (and
 * restarts the call, or fails it with EINTR). The program must never hold a descriptor it was
 * not given, and the broker must record exactly the opens that completed.
 *
 * Input (stdin, one line): "restart N" or "norestart N": run until N signals arrived.
 * Opens alternate between /etc/ld.so.cache (beneath a runtime root: decided and counted, not
 * recorded one by one, so the loop can go as fast as it can) and, every 2.5 ms at most and at
 * most 3,000 times (the call's budget of records is 4,096), data/ok.txt (decided and recorded).
 * Output, one line:
 *   "signals=S opens=O eintr=E other=X runtime_opens=R runtime_eintr=RE runtime_other=RX
 *    leaked=L wrong=W"
 * O: opens of data/ok.txt that returned a descriptor; L: descriptors open at the end beyond
 * those open at the start; W: descriptors that did not read "OK". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { FD_SCAN = 1024, MAX_RECORDED = 3000 };
#define RECORDED_EVERY_NS 2500000LL

static atomic_long signals;

static void on_alarm(int sig)
{
    (void)sig;
    atomic_fetch_add_explicit(&signals, 1, memory_order_relaxed);
}

/* Open descriptors, counted without /proc (the broker never opens /proc for a plugin). */
static int open_descriptors(void)
{
    int n = 0;
    for (int fd = 0; fd < FD_SCAN; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            n++;
    return n;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

typedef struct {
    long ok, eintr, other, wrong;
} tally;

static void open_one(const char *path, const char *want, tally *t)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == EINTR) {
            t->eintr++;
        } else {
            if (t->other++ == 0)
                fprintf(stderr, "open %s: %s\n", path, strerror(errno));
        }
        return;
    }
    t->ok++;
    char buf[8] = {0};
    ssize_t n;
    do
        n = read(fd, buf, 2);
    while (n < 0 && errno == EINTR);
    if (want && (n != 2 || memcmp(buf, want, 2) != 0))
        t->wrong++;
    close(fd);
}

int main(void)
{
    char mode[16];
    long want = 0;
    if (scanf("%15s %ld", mode, &want) != 2 || want <= 0)
        return 2;
    int restart = strcmp(mode, "restart") == 0;
    if (!restart && strcmp(mode, "norestart") != 0)
        return 2;
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) != 0)
        return 2;
    int before = open_descriptors();
    struct itimerval tick = {.it_interval = {0, 1000}, .it_value = {0, 1000}};
    if (setitimer(ITIMER_REAL, &tick, NULL) != 0)
        return 2;
    tally rec = {0}, rt = {0};
    long long last = 0;
    while (atomic_load(&signals) < want) {
        open_one("/etc/ld.so.cache", NULL, &rt);
        long long t = now_ns();
        if (rec.ok + rec.eintr + rec.other < MAX_RECORDED && t - last >= RECORDED_EVERY_NS) {
            last = t;
            open_one("data/ok.txt", "OK", &rec);
        }
    }
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_IGN);
    int after = open_descriptors();
    printf("signals=%ld opens=%ld eintr=%ld other=%ld runtime_opens=%ld runtime_eintr=%ld "
           "runtime_other=%ld leaked=%d wrong=%ld\n",
           atomic_load(&signals), rec.ok, rec.eintr, rec.other, rt.ok, rt.eintr, rt.other,
           after - before, rec.wrong + rt.wrong);
    return 0;
}
