/* override.h: one-time codes for human approvals (RFC 4226 HOTP, RFC 6238 TOTP).
 *
 * Lifecycle: nothing to create or free; every function is pure over its arguments and safe from
 * any number of threads. A secret is 20-64 bytes (at least 160 bits, as RFC 4226 asks); there
 * is no default secret anywhere. Verification compares every candidate in constant time and
 * refuses any code from a step at or before the last one accepted (replay), so the caller must
 * store the step it gets back durably before acting on the approval. */
#ifndef WARDEN_OVERRIDE_H
#define WARDEN_OVERRIDE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { WD_TOTP_SHA1 = 1, WD_TOTP_SHA256 = 2, WD_TOTP_SHA512 = 3 } wd_totp_alg;

#define WD_TOTP_SECRET_MIN 20 /* bytes: 160 bits */
#define WD_TOTP_SECRET_MAX 64
#define WD_TOTP_CODE_MAX 8 /* digits */

typedef struct {
    wd_totp_alg alg; /* default (0): SHA-1, what authenticator apps assume */
    unsigned digits; /* 6-8; 0: 6 */
    unsigned period; /* seconds per step; 0: 30 */
} wd_totp_params;

/* "SHA1", "SHA256", "SHA512" (as otpauth:// URIs write them); NULL for an unknown value. */
WD_EXPORT const char *wd_totp_alg_name(wd_totp_alg alg);
/* Parses those names (case-insensitive). 0 or WD_EINVAL. */
WD_EXPORT int wd_totp_alg_parse(const char *name, wd_totp_alg *out);

/* The HOTP value for counter, as `digits` decimal digits and a NUL in out (9 bytes).
 * WD_EINVAL for a secret outside 20-64 bytes, digits outside 6-8, or an unknown algorithm. */
WD_EXPORT int wd_hotp(const uint8_t *secret, size_t len, uint64_t counter, wd_totp_alg alg,
                      unsigned digits, char out[WD_TOTP_CODE_MAX + 1]);
/* The TOTP code at unix_time (seconds; negative times are refused). */
WD_EXPORT int wd_totp(const uint8_t *secret, size_t len, int64_t unix_time,
                      const wd_totp_params *params, char out[WD_TOTP_CODE_MAX + 1]);

/* Checks code against the steps before, at and after unix_time's, all compared in constant
 * time. A match at a step <= last_step (a code already used, or older than one used) is
 * refused: last_step -1 means none yet. Returns 0 with *step set to the matching step (the
 * caller stores it before honouring the code); WD_EPERM (WD-O001) when the code is wrong,
 * WD-O002 when it was replayed; WD_EINVAL (WD-O003) for a code that is not `digits` digits. */
WD_EXPORT int wd_totp_verify(const uint8_t *secret, size_t len, const char *code, int64_t unix_time,
                             const wd_totp_params *params, int64_t last_step, int64_t *step);

/* RFC 4648 base32, as authenticator apps exchange secrets: encoding writes upper case without
 * padding (out needs ceil(len * 8 / 5) + 1 bytes; WD_ERANGE when it does not fit); decoding
 * accepts either case, optional '=' padding at the end and spaces between groups, and refuses
 * anything else (WD_EINVAL) or more than size bytes (WD_ERANGE). */
WD_EXPORT int wd_base32_encode(const uint8_t *in, size_t len, char *out, size_t size);
WD_EXPORT int wd_base32_decode(const char *in, size_t in_len, uint8_t *out, size_t size,
                               size_t *out_len);

/* The Key URI (otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=...&digits=...
 * &period=...) an authenticator app enrols from, issuer and account percent-encoded. */
WD_EXPORT int wd_totp_uri(const uint8_t *secret, size_t len, const char *issuer,
                          const char *account, const wd_totp_params *params, char *out,
                          size_t size);

#ifdef __cplusplus
}
#endif
#endif
