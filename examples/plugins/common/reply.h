/* reply.h: the example plugins' way of failing: "WHAT: WHY" as the call's output (the caller
 * sees it as the error message) and a non-zero return for execute(). */
#ifndef WD_EXAMPLE_REPLY_H
#define WD_EXAMPLE_REPLY_H

#include <stdio.h>

#include "warden/sys/plugin.h"

static inline int reply_error(wd_host *host, wd_output *out, const char *what, const char *why)
{
    char msg[1200];
    int n = snprintf(msg, sizeof(msg), "%s: %s", what, why);
    wd_output_write(host, out, msg, n < (int)sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
    return 1;
}

#endif
