/* bench_util.c: helpers the bench programs share (see bench_util.h). */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_util.h"

char bench_root[PATH_MAX];

static const char *g_name = "bench";

void bench_set_name(const char *name)
{
    g_name = name;
}

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", g_name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (bench_root[0])
        remove_tree(bench_root, true);
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory (%zu bytes)", n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die("out of memory (%zu x %zu bytes)", n, size);
    return p;
}

void path_join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        die("path too long: %s/%s", dir, name);
}

static bool g_rm_quiet;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && !g_rm_quiet) {
        fprintf(stderr, "%s: cannot remove %s: %s\n", g_name, path, strerror(errno));
        return -1;
    }
    return 0;
}

void remove_tree(const char *path, bool quiet)
{
    g_rm_quiet = quiet;
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && !quiet)
        die("cannot remove %s", path);
}

void make_dir(const char *path)
{
    if (mkdir(path, 0700) != 0)
        die("cannot create %s: %s", path, strerror(errno));
}

int allowed_cpus(void)
{
    cpu_set_t s;
    if (sched_getaffinity(0, sizeof(s), &s) != 0)
        die("sched_getaffinity failed: %s", strerror(errno));
    return CPU_COUNT(&s);
}

double load_average(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%lf", &l) != 1)
        l = -1;
    if (fclose(f) != 0)
        return -1;
    return l;
}

void samples_grow(samples *s)
{
    size_t cap = s->cap ? s->cap * 2 : 65536;
    uint32_t *v = realloc(s->v, cap * sizeof(*v));
    if (!v)
        die("out of memory (%zu latency samples)", cap);
    s->v = v;
    s->cap = cap;
}

void samples_free(samples *s)
{
    free(s->v);
    *s = (samples){0};
}

void sb_reserve(sbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        die("out of memory (%zu bytes of text)", cap);
    b->data = d;
    b->cap = cap;
}

void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        die("internal: vsnprintf failed");
    sb_reserve(b, (size_t)n);
    va_start(ap, fmt);
    int m = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (m != n)
        die("internal: vsnprintf failed");
    b->len += (size_t)n;
}

void sb_putc(sbuf *b, char c)
{
    sb_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void sb_append(sbuf *b, const sbuf *other)
{
    if (!other->len)
        return;
    sb_reserve(b, other->len);
    memcpy(b->data + b->len, other->data, other->len);
    b->len += other->len;
    b->data[b->len] = '\0';
}

void sb_free(sbuf *b)
{
    free(b->data);
    *b = (sbuf){0};
}

unsigned bench_parse_only(const char *list, const char *const *names, size_t n)
{
    unsigned mask = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        size_t k = 0;
        while (k < n && (strlen(names[k]) != len || strncmp(names[k], p, len)))
            k++;
        if (k == n) {
            char choices[256] = "";
            size_t used = 0;
            for (size_t i = 0; i < n && used < sizeof(choices); i++)
                used += (size_t)snprintf(choices + used, sizeof(choices) - used, "%s%s",
                                         i ? ", " : "", names[i]);
            die("--only wants a comma-separated list of %s; not %s", choices, list);
        }
        mask |= 1u << k;
        p += len + (p[len] == ',');
    }
    if (!mask)
        die("--only is empty");
    return mask;
}

void bench_fmt_duration(char *out, size_t size, double ns)
{
    if (ns < 0)
        snprintf(out, size, "-");
    else if (ns < 1e3)
        snprintf(out, size, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(out, size, "%.1f us", ns / 1e3);
    else
        snprintf(out, size, "%.2f ms", ns / 1e6);
}

void bench_pin_main_thread(int cpu, cpu_set_t *all)
{
    if (sched_getaffinity(0, sizeof(*all), all) != 0)
        die("sched_getaffinity failed: %s", strerror(errno));
    if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, all))
        die("--pin %d: that CPU is not available to this process", cpu);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
    if (rc != 0)
        die("pthread_setaffinity_np(CPU %d) failed: %s", cpu, strerror(rc));
}
