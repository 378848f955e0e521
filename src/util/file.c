#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

/* What wd_file_read was asked for, for its steps' messages. */
typedef struct {
    const char *path;
    size_t max;
    const char *io_id, *size_id;
} read_spec;

/* A regular file no larger than the limit; *size is what fstat says. */
static int check_file(const read_spec *s, int fd, size_t *size)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return wd_error_set(WD_EIO, s->io_id, s->path, 0, 0, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return wd_error_set(WD_EIO, s->io_id, s->path, 0, 0, "not a regular file");
    if ((unsigned long long)st.st_size > s->max)
        return wd_error_set(WD_ERANGE, s->size_id, s->path, 0, 0,
                            "file is %llu bytes; the limit is %zu bytes",
                            (unsigned long long)st.st_size, s->max);
    *size = (size_t)st.st_size;
    return 0;
}

/* The size may change under us (or lie, for /proc): reads up to max + 1 and checks again. */
static int read_to_end(const read_spec *s, int fd, size_t size, char **out, size_t *len)
{
    size_t cap = size + 1, n = 0;
    char *data = malloc(cap + 1);
    int rc = data ? 0 : wd_fail(WD_ENOMEM, "out of memory reading %s", s->path);
    while (!rc) {
        if (n == cap) {
            if (cap > s->max)
                break; /* refused below */
            size_t ncap = cap * 2 > s->max + 1 ? s->max + 1 : cap * 2;
            char *p = realloc(data, ncap + 1);
            if (!p) {
                rc = wd_fail(WD_ENOMEM, "out of memory reading %s", s->path);
                break;
            }
            data = p;
            cap = ncap;
        }
        ssize_t r = read(fd, data + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = wd_error_set(WD_EIO, s->io_id, s->path, 0, 0, "cannot read: %s", strerror(errno));
        else if (r == 0)
            break;
        else
            n += (size_t)r;
    }
    if (!rc && n > s->max)
        rc = wd_error_set(WD_ERANGE, s->size_id, s->path, 0, 0,
                          "file grew beyond the limit of %zu bytes", s->max);
    if (rc) {
        free(data);
        return rc;
    }
    data[n] = '\0';
    *out = data;
    *len = n;
    return 0;
}

int wd_file_read(const char *path, size_t max, char **out, size_t *len, const char *io_id,
                 const char *size_id)
{
    *out = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO must not hang; the fstat below then refuses it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int code = errno == ENOENT ? WD_ENOTFOUND : WD_EIO;
        return wd_error_set(code, io_id, path, 0, 0, "cannot open: %s", strerror(errno));
    }
    const read_spec s = {.path = path, .max = max, .io_id = io_id, .size_id = size_id};
    size_t size = 0;
    int rc = check_file(&s, fd, &size);
    if (!rc)
        rc = read_to_end(&s, fd, size, out, len);
    close(fd);
    return rc;
}

int wd_write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

char *wd_file_beside_self(const char *name, int up)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    for (int level = 0; level <= up; level++) {
        char *slash = strrchr(self, '/');
        if (!slash)
            return NULL;
        *slash = '\0';
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s", self, name);
        if (access(path, X_OK) == 0)
            return strdup(path);
    }
    return NULL;
}
