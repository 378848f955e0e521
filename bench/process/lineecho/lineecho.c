/* lineecho.c: bench_process's warm-call program, a json-lines server: answers every input line
 * with the same line, at once (unbuffered: one write per answer). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0)
        if (put(line, (size_t)n) != 0)
            break;
    free(line);
    return 0;
}
