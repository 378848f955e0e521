#include <limits.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"
#include "util/error.h"

int wd_random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        int n = len > INT_MAX ? INT_MAX : (int)len;
        if (RAND_bytes(p, n) != 1)
            return wd_fail(WD_EIO, "the random number generator failed");
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
