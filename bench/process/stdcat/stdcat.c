/* stdcat.c: bench_process's cold-call program, linked statically (no loader, no libraries to
 * open): copies stdin to stdout and exits 0. The same file runs natively, under bubblewrap and
 * as a stdio process plugin. */
#include <errno.h>
#include <unistd.h>

enum { CHUNK = 65536 };

static int put(const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(STDOUT_FILENO, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int main(void)
{
    static char buf[CHUNK];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 1;
        if (n == 0)
            return 0;
        if (put(buf, (size_t)n) != 0)
            return 1;
    }
}
