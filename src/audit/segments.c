#include "audit/segments.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/codes.h"
#include "util/error.h"

void wd_segment_name(uint32_t n, char out[static WD_SEGMENT_NAME_LEN])
{
    snprintf(out, WD_SEGMENT_NAME_LEN, "audit-%08u.jsonl", (unsigned)(n % 100000000u));
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int wd_segments_list(int dirfd, const char *dir, uint32_t **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    int fd = dup(dirfd);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        return wd_audit_error(WD_EIO, WD_A_LOG_IO, dir, 0, 0, "cannot list: %s", strerror(errno));
    }
    rewinddir(d);
    size_t cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        const char *s = e->d_name;
        if (strlen(s) != 20 || strncmp(s, "audit-", 6) || strcmp(s + 14, ".jsonl"))
            continue;
        uint32_t n = 0;
        bool ok = true;
        for (int i = 6; i < 14; i++) {
            ok = ok && s[i] >= '0' && s[i] <= '9';
            n = n * 10 + (uint32_t)(s[i] - '0');
        }
        if (!ok || n == 0)
            continue;
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            uint32_t *p = realloc(*out, cap * sizeof(*p));
            if (!p) {
                rc = wd_fail(WD_ENOMEM, "out of memory listing %s", dir);
                break;
            }
            *out = p;
        }
        (*out)[(*count)++] = n;
    }
    closedir(d);
    if (rc) {
        free(*out);
        *out = NULL;
        *count = 0;
        return rc;
    }
    if (*count)
        qsort(*out, *count, sizeof(**out), cmp_u32);
    return 0;
}

int wd_segment_read(int dirfd, uint32_t n, size_t max, char **data, size_t *len)
{
    char name[WD_SEGMENT_NAME_LEN];
    wd_segment_name(n, name);
    *data = NULL;
    *len = 0;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return wd_audit_error(WD_EIO, WD_A_LOG_IO, name, 0, 0, "cannot open: %s", strerror(errno));
    off_t size = lseek(fd, 0, SEEK_END);
    char *buf = NULL;
    int rc = 0;
    if (size < 0 || (uint64_t)size > max)
        rc = wd_error_set(size < 0 ? WD_EIO : WD_ERANGE, WD_A_LOG_IO, name, 0, 0,
                          "segment is larger than %zu bytes", max);
    else if (!(buf = malloc((size_t)size + 1)))
        rc = wd_fail(WD_ENOMEM, "out of memory reading %s", name);
    size_t got = 0;
    while (!rc && got < (size_t)size) {
        ssize_t r = pread(fd, buf + got, (size_t)size - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (rc)
        return rc;
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}
