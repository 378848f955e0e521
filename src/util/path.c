#include "util/path.h"

#include <string.h>

#include "warden/common.h"

int wd_path_normalize(const char *in, char *out, size_t out_size, bool *escapes)
{
    *escapes = false;
    size_t n = strnlen(in, WD_PATH_MAX);
    if (n == 0 || n >= WD_PATH_MAX || in[0] != '/' || out_size < n + 1)
        return WD_EINVAL;

    size_t o = 0; /* out[0..o) is normalised, never ends in '/' unless o == 1 */
    out[o++] = '/';
    size_t i = 0;
    while (i < n) {
        while (i < n && in[i] == '/')
            i++;
        size_t start = i;
        while (i < n && in[i] != '/')
            i++;
        size_t len = i - start;
        if (len == 0 || (len == 1 && in[start] == '.'))
            continue;
        if (len == 2 && in[start] == '.' && in[start + 1] == '.') {
            if (o == 1) {
                *escapes = true;
                return 0;
            }
            while (o > 1 && out[o - 1] != '/')
                o--;
            if (o > 1)
                o--; /* drop the '/' before the removed segment */
            continue;
        }
        if (o > 1)
            out[o++] = '/';
        memcpy(out + o, in + start, len);
        o += len;
    }
    out[o] = '\0';
    return 0;
}

int wd_path_split(const char *path, uint16_t *starts, uint16_t *lens, int max)
{
    int count = 0;
    size_t i = 0;
    while (path[i]) {
        while (path[i] == '/')
            i++;
        if (!path[i])
            break;
        size_t start = i;
        while (path[i] && path[i] != '/')
            i++;
        if (count == max || i > UINT16_MAX)
            return -1;
        starts[count] = (uint16_t)start;
        lens[count] = (uint16_t)(i - start);
        count++;
    }
    return count;
}
