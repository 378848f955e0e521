/* bench_util.h: helpers the bench programs share, with bench_util.c (linked into each).
 *
 * Every error path goes through die(): it prints "<name>: <message>" (the name set with
 * bench_set_name()), removes bench_root when a program has set it, and exits with status 1. */
#ifndef WD_BENCH_UTIL_H
#define WD_BENCH_UTIL_H

#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The temporary directory of a run: removed by die() when not empty. */
extern char bench_root[PATH_MAX];

/* The program name that prefixes die() and the other messages: main() sets it first. */
void bench_set_name(const char *name);

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* --only LIST: a comma-separated subset of names (n of them) as a bit mask; dies on an unknown
 * or empty list, naming the choices. */
unsigned bench_parse_only(const char *list, const char *const *names, size_t n);
/* A duration with a unit that keeps three or four digits: "312 ns", "45.1 us", "1.27 ms"; "-"
 * for a negative value (not measured). */
void bench_fmt_duration(char *out, size_t size, double ns);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);

/* "dir/name" into out; dies when it does not fit. */
void path_join(char *out, size_t size, const char *dir, const char *name);

/* rm -r; dies on failure unless quiet (the path of die() itself). */
void remove_tree(const char *path, bool quiet);

/* mkdir with mode 0700; dies on failure. */
void make_dir(const char *path);

/* The number of CPUs this process may run on. */
int allowed_cpus(void);
/* Pins the calling thread to cpu, first saving the process's affinity in *all (for threads
 * that should keep every CPU); dies when cpu is not available. */
void bench_pin_main_thread(int cpu, cpu_set_t *all);

/* The 1-minute load average: other processes competing for the CPUs skew every number. */
double load_average(void);

/* ---- clocks (inline: they run inside timed loops) -------------------------------------------- */

static inline uint64_t clock_ns(clockid_t id, const char *name)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        die("clock_gettime(%s) failed", name);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
}

/* CPU time of the whole process (all threads, user + system). */
static inline uint64_t cpu_ns(void)
{
    return clock_ns(CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID");
}

/* ---- latency samples ------------------------------------------------------------------------- */

/* A growable array of per-call latencies in ns (saturating at ~4.29 s), sorted for quantiles. */
typedef struct {
    uint32_t *v;
    size_t n, cap;
} samples;

/* Doubles the capacity (the first time: 65536 samples). */
void samples_grow(samples *s);

static inline void samples_push(samples *s, uint64_t ns)
{
    if (s->n == s->cap)
        samples_grow(s);
    s->v[s->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

void samples_free(samples *s);

/* ---- text buffer ----------------------------------------------------------------------------- */

/* A growable text buffer, NUL-terminated once anything was added. */
typedef struct {
    char *data;
    size_t len, cap;
} sbuf;

/* Room for more bytes plus the terminating NUL. */
void sb_reserve(sbuf *b, size_t more);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_putc(sbuf *b, char c);
void sb_append(sbuf *b, const sbuf *other);
void sb_free(sbuf *b);

/* ---- PRNG ------------------------------------------------------------------------------------ */

/* xorshift64*: a fixed-seed PRNG, so every run produces the same values. s must not be 0. */
static inline uint64_t xorshift64s(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

#endif
