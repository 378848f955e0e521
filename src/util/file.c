#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

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
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return wd_error_set(WD_EIO, io_id, path, 0, 0, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return wd_error_set(WD_EIO, io_id, path, 0, 0, "not a regular file");
    }
    if ((unsigned long long)st.st_size > max) {
        close(fd);
        return wd_error_set(WD_ERANGE, size_id, path, 0, 0,
                            "file is %llu bytes; the limit is %zu bytes",
                            (unsigned long long)st.st_size, max);
    }
    /* The size may change under us (or lie, for /proc): read up to max + 1 and check again. */
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *data = malloc(cap + 1);
    if (!data) {
        close(fd);
        return wd_fail(WD_ENOMEM, "out of memory reading %s", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                free(data);
                close(fd);
                return wd_error_set(WD_ERANGE, size_id, path, 0, 0,
                                    "file grew beyond the limit of %zu bytes", max);
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *p = realloc(data, ncap + 1);
            if (!p) {
                free(data);
                close(fd);
                return wd_fail(WD_ENOMEM, "out of memory reading %s", path);
            }
            data = p;
            cap = ncap;
        }
        ssize_t r = read(fd, data + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(data);
            close(fd);
            return wd_error_set(WD_EIO, io_id, path, 0, 0, "cannot read: %s", strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        free(data);
        return wd_error_set(WD_ERANGE, size_id, path, 0, 0,
                            "file grew beyond the limit of %zu bytes", max);
    }
    data[n] = '\0';
    *out = data;
    *len = n;
    return 0;
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
