/* openloop.c: bench_process's open+close loop, a json-lines program run both natively and as a
 * process plugin. Each input line is "N PATH": it opens PATH read-only and closes it N times,
 * timing each pair on CLOCK_MONOTONIC, and answers one line, {"ns":[...]} (one duration per
 * pair), or {"error":ERRNO} when an open fails. Plain libc, nothing else: what it measures is
 * the open and the close, not the program. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MAX_PAIRS = 100000, LINE = 8192, DIGITS = 12 };

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void answer(const char *text, size_t len)
{
    while (len) {
        ssize_t n = write(STDOUT_FILENO, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            exit(1);
        text += n;
        len -= (size_t)n;
    }
}

/* One request: 0 and the durations in ns[], or the errno of the open that failed. */
static int pairs(const char *path, unsigned long n, unsigned *ns)
{
    for (unsigned long i = 0; i < n; i++) {
        unsigned long long t0 = now_ns();
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return errno;
        close(fd);
        unsigned long long d = now_ns() - t0;
        ns[i] = d > 0xffffffffull ? 0xffffffffu : (unsigned)d;
    }
    return 0;
}

int main(void)
{
    static char line[LINE];
    static unsigned ns[MAX_PAIRS];
    static char out[MAX_PAIRS * DIGITS + 64];
    while (fgets(line, sizeof(line), stdin)) {
        char *end;
        unsigned long n = strtoul(line, &end, 10);
        if (end == line || *end != ' ' || n == 0 || n > MAX_PAIRS) {
            static const char usage[] = "{\"error\":\"usage: N PATH\"}\n";
            answer(usage, sizeof(usage) - 1);
            continue;
        }
        char *path = end + 1;
        path[strcspn(path, "\n")] = '\0';
        int err = pairs(path, n, ns);
        size_t len = 0;
        if (err) {
            len = (size_t)snprintf(out, sizeof(out), "{\"error\":%d}\n", err);
        } else {
            len = (size_t)snprintf(out, sizeof(out), "{\"ns\":[");
            for (unsigned long i = 0; i < n; i++)
                len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%u", i ? "," : "", ns[i]);
            len += (size_t)snprintf(out + len, sizeof(out) - len, "]}\n");
        }
        answer(out, len);
    }
    return 0;
}
