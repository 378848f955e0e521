/* totp.h (internal): what a code's verification found, as a value. The approval store words
 * its audit record ("replayed", "wrong code") by what happened, never by the id's text. */
#ifndef WD_OVERRIDE_TOTP_H
#define WD_OVERRIDE_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "warden/override.h"

typedef enum {
    WD_TOTP_ACCEPTED = 0, /* a fresh step matched: *step is set */
    WD_TOTP_MALFORMED,    /* not the configured number of digits, or a time before 1970 */
    WD_TOTP_WRONG,        /* no step in the window matches (WD-O001) */
    WD_TOTP_REPLAYED,     /* only a step at or before last_step matches (WD-O002) */
    WD_TOTP_FAILED,       /* the HMAC could not be computed */
} wd_totp_outcome;

/* wd_totp_verify, with what it found in *outcome (set on every return). */
int wd_totp_check(const uint8_t *secret, size_t len, const char *code, int64_t unix_time,
                  const wd_totp_params *params, int64_t last_step, int64_t *step,
                  wd_totp_outcome *outcome);

#endif
