/* libmem.c: a harmless plugin: imports only memcpy() and strlen() (plus toolchain imports). */
#include <string.h>

size_t plugin_copy(char *dst, const char *src)
{
    size_t n = strlen(src);
    memcpy(dst, src, n + 1);
    return n;
}
