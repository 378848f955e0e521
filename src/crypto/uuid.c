#include "crypto/crypto.h"

int wd_uuid_v4(char out[static 37])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[16];
    int rc = wd_random_bytes(b, sizeof(b));
    if (rc)
        return rc;
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
    return 0;
}
