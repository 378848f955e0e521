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

/* ---- approvals: a human lets one denied operation through, once ---------------------------
 * An override directory holds approvers (APPROVER.totp: the secret and its parameters, 0600;
 * APPROVER.state: the last accepted step, failures and when the next attempt may come, 0600)
 * and approvals (approvals/OPERATION: who, why, until when; 0600). Every change is written to
 * a temporary file, fsynced and renamed, and the directory fsynced: a crash leaves the old
 * state or the new one. Each function records what it did in the audit log when one is given,
 * and does nothing it cannot record. */

struct wd_audit;

#define WD_OPERATION_ID_LEN 32 /* hex characters: 128 bits */
#define WD_APPROVER_MAX 64

/* The id of an operation: the first 128 bits of SHA-256 over component, verb and target (each
 * NUL-terminated), as lower-case hex, into out (33 bytes): no collision an agent could search
 * for in a human lifetime. A denied decision reports it; an
 * approval names it. */
WD_EXPORT int wd_operation_id(const char *component, const char *verb, const char *target,
                              char out[WD_OPERATION_ID_LEN + 1]);

/* Creates APPROVER.totp with a fresh 160-bit (SHA-1), 256-bit or 512-bit secret and writes
 * the otpauth:// URI to enrol it into uri (size bytes). Never overwrites an approver
 * (WD_EBUSY). Names are 1-64 of [A-Za-z0-9._-]. */
WD_EXPORT int wd_override_enroll(const char *dir, const char *approver,
                                 const wd_totp_params *params, const char *issuer, char *uri,
                                 size_t size, struct wd_audit *audit);

typedef struct {
    unsigned version;
    const char *dir;
    const char *approver;
    const char *code;
    const char *operation; /* WD_OPERATION_ID_LEN hex */
    const char *justification;
    uint64_t ttl_s; /* how long the approval stays usable; 0: 300 */
    int64_t now;    /* unix seconds; 0: the clock */
    struct wd_audit *audit;
} wd_approve_request;

#define WD_APPROVE_REQUEST_VERSION 1

/* Verifies the code and, once the accepted step is durably stored, writes the approval.
 * Refuses: a missing approver or secret (WD_ENOTFOUND, no default), a wrong code (WD-O001) or
 * a replayed one (WD-O002), an attempt during the approver's throttle (WD_EBUSY, WD-O005; each
 * failure doubles the wait, from 1 s to 15 min), a missing justification or a malformed
 * operation id (WD_EINVAL). Every attempt is audited (OVERRIDE_APPROVED or
 * OVERRIDE_REFUSED); the code itself never is. */
WD_EXPORT int wd_override_approve(const wd_approve_request *req);

/* Uses the approval for operation, if there is one and it has not expired: it is removed
 * (exactly one caller can) and OVERRIDE_USED recorded. Returns 0 when it was used,
 * WD_ENOTFOUND when there is none (or it expired: then it is removed too). */
WD_EXPORT int wd_override_consume(const char *dir, const char *operation, const char *component,
                                  int64_t now, struct wd_audit *audit);

/* Whether the directory may hold an approval at all (1: some entry is there, or it cannot
 * tell; 0: none). One look for a whole batch of denials instead of one per denial: an
 * approval issued after it is for the next decision. */
WD_EXPORT int wd_override_pending(const char *dir);

#ifdef __cplusplus
}
#endif
#endif
