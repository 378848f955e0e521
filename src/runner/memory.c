/* memory.c: a memory limit reached is reported as one, not as a crash.
 *
 * limits.memory is RLIMIT_AS: past it mmap and brk fail, malloc returns NULL, and what the
 * plugin does next decides how it ends: an error it returns (WD-S011), or, as often, a write
 * through the NULL, an abort() from a language runtime, a stack that cannot grow: a fatal
 * signal, which alone reads as a crash. Two things tell the limit apart, both judged in the
 * runner's handler for SIGSEGV, SIGBUS and SIGABRT:
 *   - an allocation failed during the current call: the runner's own malloc, calloc and
 *     realloc (which the plugin's calls resolve to, the executable coming first in the symbol
 *     search order) note every failure before handing on the NULL;
 *   - the address space is all but used up: a reservation of 1/16 of the limit fails (this
 *     catches mmap called directly, and stacks).
 * Either way the runner says so (a log line for the audit) and exits with
 * WD_RUNNER_EXIT_MEMORY, which the host turns into WD-S014. Anything else is re-raised with
 * its default action and stays a crash (WD-S002). A plugin that installs its own handlers
 * decides for itself how it ends, as it always could. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runner/runner.h"
#include "sandbox/codes.h"

/* glibc's allocator under its own names: what malloc interposers call. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

#define ALT_STACK_SIZE (64u * 1024u)
#define HEADROOM_SHARE 16u /* the address space is "used up" within 1/16 of the limit */

static atomic_size_t failed_size; /* bytes of the last failed allocation of this call, or 0 */
static uint64_t limit;
static _Alignas(16) unsigned char alt_stack[ALT_STACK_SIZE];

static void note_failure(size_t size)
{
    if (errno == ENOMEM)
        atomic_store_explicit(&failed_size, size ? size : 1, memory_order_relaxed);
}

void *malloc(size_t size)
{
    void *p = __libc_malloc(size);
    if (!p)
        note_failure(size);
    return p;
}

void *calloc(size_t n, size_t size)
{
    void *p = __libc_calloc(n, size);
    size_t total;
    if (!p && n && size)
        note_failure(__builtin_mul_overflow(n, size, &total) ? SIZE_MAX : total);
    return p;
}

void *realloc(void *old, size_t size)
{
    void *p = __libc_realloc(old, size);
    if (!p && size) /* realloc(p, 0) frees and may return NULL: no failure */
        note_failure(size);
    return p;
}

void wd_memory_call_start(void)
{
    atomic_store_explicit(&failed_size, 0, memory_order_relaxed);
}

/* Is less than 1/16 of the limit left to reserve? (Async-signal-safe.) */
static int address_space_used_up(void)
{
    if (!limit)
        return 0;
    size_t probe = (size_t)(limit / HEADROOM_SHARE);
    void *p = mmap(NULL, probe ? probe : 1, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return errno == ENOMEM;
    munmap(p, probe ? probe : 1);
    return 0;
}

/* Appends the decimal digits of v at *o (async-signal-safe). */
static void put_number(char *buf, size_t size, size_t *o, uint64_t v)
{
    char digits[24];
    size_t n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n && *o + 1 < size)
        buf[(*o)++] = digits[--n];
}

static void put_text(char *buf, size_t size, size_t *o, const char *text)
{
    while (*text && *o + 1 < size)
        buf[(*o)++] = *text++;
}

static void on_fatal(int sig)
{
    int saved = errno;
    size_t failed = atomic_load_explicit(&failed_size, memory_order_relaxed);
    if (failed || address_space_used_up()) {
        char msg[256];
        size_t o = 0;
        put_text(msg, sizeof(msg), &o, "warden-runner: memory limit reached: ");
        if (failed) {
            put_text(msg, sizeof(msg), &o, "an allocation of ");
            put_number(msg, sizeof(msg), &o, failed);
            put_text(msg, sizeof(msg), &o, " bytes failed");
        } else {
            put_text(msg, sizeof(msg), &o, "the address space is used up");
        }
        put_text(msg, sizeof(msg), &o, " (limit ");
        put_number(msg, sizeof(msg), &o, limit);
        put_text(msg, sizeof(msg), &o, " bytes), then signal ");
        put_number(msg, sizeof(msg), &o, (uint64_t)sig);
        wd_proto_write(WD_RUNNER_SOCK, WD_MSG_LOG, 3, 0, msg, o);
        _exit(WD_RUNNER_EXIT_MEMORY);
    }
    /* The default action is back (SA_RESETHAND); the signal, blocked in here, is delivered as
     * the handler returns, whether a fault raised it or the plugin did. */
    raise(sig);
    errno = saved;
}

int wd_memory_watch(uint64_t address_space_limit, char *why)
{
    limit = address_space_limit;
    /* Its own stack: a stack overflow is one of the ways memory runs out. */
    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof(alt_stack), .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        snprintf(why, 256, "cannot set an alternate signal stack: %s", strerror(errno));
        return -1;
    }
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT};
    for (size_t i = 0; i < sizeof(fatal) / sizeof(*fatal); i++) {
        struct sigaction sa = {.sa_handler = on_fatal, .sa_flags = SA_ONSTACK | SA_RESETHAND};
        sigemptyset(&sa.sa_mask);
        if (sigaction(fatal[i], &sa, NULL) != 0) {
            snprintf(why, 256, "cannot watch signal %d: %s", fatal[i], strerror(errno));
            return -1;
        }
    }
    return 0;
}
