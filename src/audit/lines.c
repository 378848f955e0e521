#include "audit/lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/codes.h"
#include "audit/segments.h"
#include "util/error.h"

enum { SEGMENT_READ_MAX = 1u << 30 };

int wd_lines_open(wd_lines *it, const char *dir)
{
    memset(it, 0, sizeof(*it));
    it->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (it->dirfd < 0)
        return wd_audit_error(errno == ENOENT ? WD_ENOTFOUND : WD_EIO, WD_A_LOG_IO, dir, 0, 0,
                              "cannot open the log directory: %s", strerror(errno));
    int rc = wd_segments_list(it->dirfd, dir, &it->segs, &it->nsegs);
    if (rc) {
        close(it->dirfd);
        it->dirfd = -1;
    }
    return rc;
}

int wd_lines_next(wd_lines *it, const char **line, size_t *len, bool *torn)
{
    for (;;) {
        if (it->data && it->off < it->len) {
            const char *start = it->data + it->off;
            const char *nl = memchr(start, '\n', it->len - it->off);
            *line = start;
            *torn = !nl;
            *len = nl ? (size_t)(nl - start) : it->len - it->off;
            it->off += *len + (nl ? 1 : 0);
            return 1;
        }
        free(it->data);
        it->data = NULL;
        if (it->idx == it->nsegs)
            return 0;
        int rc =
            wd_segment_read(it->dirfd, it->segs[it->idx], SEGMENT_READ_MAX, &it->data, &it->len);
        if (rc)
            return rc;
        it->idx++;
        it->off = 0;
    }
}

int wd_lines_fork(const wd_lines *it, wd_lines *out)
{
    memset(out, 0, sizeof(*out));
    out->dirfd = dup(it->dirfd);
    out->segs = malloc((it->nsegs ? it->nsegs : 1) * sizeof(*out->segs));
    out->data = it->data ? malloc(it->len + 1) : NULL;
    if (out->dirfd < 0 || !out->segs || (it->data && !out->data)) {
        wd_lines_close(out);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    memcpy(out->segs, it->segs, it->nsegs * sizeof(*out->segs));
    if (it->data)
        memcpy(out->data, it->data, it->len + 1);
    out->nsegs = it->nsegs;
    out->idx = it->idx;
    out->len = it->len;
    out->off = it->off;
    return 0;
}

void wd_lines_close(wd_lines *it)
{
    free(it->data);
    free(it->segs);
    if (it->dirfd >= 0)
        close(it->dirfd);
    memset(it, 0, sizeof(*it));
    it->dirfd = -1;
}

bool wd_lines_at_end(const wd_lines *it)
{
    return it->idx == it->nsegs && (!it->data || it->off >= it->len);
}
