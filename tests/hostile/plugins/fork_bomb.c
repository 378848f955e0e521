/* fork_bomb: {"mode": "fork"} (the default) forks in a loop, every child forking on. clone(2)
 * without CLONE_THREAD is not on the seccomp allowlist, so the first fork kills the runner
 * (WD-S005). Should that ever stop holding, the bomb is bounded (6 rounds, 64 processes) so a
 * broken sandbox fails this test instead of the machine.
 *
 * {"mode": "threads", "limit": N} starts up to 64 threads, which seccomp allows: limits.pids
 * (RLIMIT_NPROC, N in the policy) is what should stop them past N. With "hold": MS it keeps
 * them MS milliseconds, having logged "fork_bomb holding K threads", so that another plugin of
 * the same uid can be started meanwhile: each must have limits.pids of its own.
 *
 * The runner's pid goes to the host's log (PLUGIN_LOG) first, so the test can check that
 * nothing of it is left. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"

#define ROUNDS 6
#define MAX_THREADS 64

static atomic_int stop;

static void *idle(void *arg)
{
    (void)arg;
    struct timespec ms = {0, 1000000};
    while (!atomic_load(&stop))
        nanosleep(&ms, NULL);
    return NULL;
}

static int threads(wd_host *host, wd_output *out, unsigned long limit, unsigned long hold_ms)
{
    pthread_t t[MAX_THREADS];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    int made = 0, err = 0;
    atomic_store(&stop, 0);
    while (made < MAX_THREADS && (err = pthread_create(&t[made], &attr, idle, NULL)) == 0)
        made++;
    pthread_attr_destroy(&attr);
    if (hold_ms) {
        char msg[64];
        snprintf(msg, sizeof(msg), "fork_bomb holding %d threads", made);
        wd_host_log(host, WD_LOG_INFO, msg);
        struct timespec t_hold = {(time_t)(hold_ms / 1000), (long)(hold_ms % 1000) * 1000000L};
        nanosleep(&t_hold, NULL);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < made; i++)
        pthread_join(t[i], NULL);
    /* The runner's own thread counts against the limit too. */
    int breach = (unsigned long)made + 1 > limit;
    const char *name = err ? strerrorname_np(err) : NULL;
    hs_out(host, out, "threads: %s%d threads beside the runner's (limit %lu), then %s",
           breach ? "BREACH: " : "", made, limit, err ? (name ? name : "?") : "stopped at 64");
    return breach ? 0 : 1;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[16] = "fork";
    hs_str(input, "mode", mode, sizeof(mode));
    pid_t self = getpid();
    char msg[64];
    snprintf(msg, sizeof(msg), "fork_bomb pid=%d", (int)self);
    wd_host_log(host, WD_LOG_INFO, msg);
    if (strcmp(mode, "threads") == 0)
        return threads(host, out, hs_num(input, "limit", 0), hs_num(input, "hold", 0));
    int forked = 0;
    for (int round = 0; round < ROUNDS; round++) {
        pid_t pid = fork();
        if (pid < 0) {
            hs_errno(host, out, "fork", errno);
            return 1;
        }
        forked += pid > 0;
    }
    if (getpid() != self)
        _exit(0); /* a child of a broken sandbox: leave quietly */
    hs_out(host, out, "fork: BREACH: forked %d children", forked);
    return 0;
}

HOSTILE_PLUGIN("fork_bomb", "fork(2) in a loop; threads past limits.pids", execute);
