/* totp.c: HOTP (RFC 4226) and TOTP (RFC 6238) codes, their verification, and otpauth:// URIs
 * (override.h). HMAC through OpenSSL; every comparison in constant time. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "override/codes.h"
#include "override/totp.h"
#include "util/error.h"
#include "util/secure.h"
#include "warden/override.h"

static const char *const alg_names[] = {NULL, "SHA1", "SHA256", "SHA512"};

const char *wd_totp_alg_name(wd_totp_alg alg)
{
    return alg >= WD_TOTP_SHA1 && alg <= WD_TOTP_SHA512 ? alg_names[alg] : NULL;
}

int wd_totp_alg_parse(const char *name, wd_totp_alg *out)
{
    for (int a = WD_TOTP_SHA1; a <= WD_TOTP_SHA512; a++)
        if (name && !strcasecmp(name, alg_names[a])) {
            *out = (wd_totp_alg)a;
            return 0;
        }
    return wd_fail(WD_EINVAL, "unknown TOTP algorithm \"%s\" (SHA1, SHA256 or SHA512)",
                   name ? name : "");
}

static int check_secret(size_t len)
{
    if (len < WD_TOTP_SECRET_MIN || len > WD_TOTP_SECRET_MAX)
        return wd_error_set(WD_EINVAL, WD_O_SECRET, NULL, 0, 0,
                            "a TOTP secret must be %d-%d bytes (at least 160 bits), not %zu",
                            WD_TOTP_SECRET_MIN, WD_TOTP_SECRET_MAX, len);
    return 0;
}

int wd_hotp(const uint8_t *secret, size_t len, uint64_t counter, wd_totp_alg alg, unsigned digits,
            char out[WD_TOTP_CODE_MAX + 1])
{
    out[0] = 0;
    int rc = check_secret(len);
    if (rc)
        return rc;
    const char *md = wd_totp_alg_name(alg);
    if (!md)
        return wd_fail(WD_EINVAL, "unknown TOTP algorithm %d", (int)alg);
    if (digits < 6 || digits > WD_TOTP_CODE_MAX)
        return wd_fail(WD_EINVAL, "a code has 6-8 digits, not %u", digits);
    uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
    for (int i = 7; i >= 0; i--, counter >>= 8)
        msg[i] = (uint8_t)counter;
    size_t mac_len = 0;
    if (!EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, secret, len, msg, sizeof(msg), mac, sizeof(mac),
                   &mac_len) ||
        mac_len < 20)
        return wd_fail(WD_EINVAL, "HMAC-%s failed in libcrypto", md);
    /* Dynamic truncation (RFC 4226 5.3). */
    unsigned off = mac[mac_len - 1] & 0x0f;
    uint32_t bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
                   (uint32_t)mac[off + 2] << 8 | mac[off + 3];
    wd_wipe(mac, sizeof(mac));
    for (unsigned i = digits; i-- > 0; bin /= 10)
        out[i] = (char)('0' + bin % 10);
    out[digits] = 0;
    return 0;
}

static void defaults(const wd_totp_params *in, wd_totp_params *out)
{
    *out = in ? *in : (wd_totp_params){0};
    if (!out->alg)
        out->alg = WD_TOTP_SHA1;
    if (!out->digits)
        out->digits = 6;
    if (!out->period)
        out->period = 30;
}

int wd_totp(const uint8_t *secret, size_t len, int64_t unix_time, const wd_totp_params *params,
            char out[WD_TOTP_CODE_MAX + 1])
{
    wd_totp_params p;
    defaults(params, &p);
    out[0] = 0;
    if (unix_time < 0)
        return wd_fail(WD_EINVAL, "a time before 1970 has no TOTP step");
    return wd_hotp(secret, len, (uint64_t)unix_time / p.period, p.alg, p.digits, out);
}

int wd_totp_check(const uint8_t *secret, size_t len, const char *code, int64_t unix_time,
                  const wd_totp_params *params, int64_t last_step, int64_t *step,
                  wd_totp_outcome *outcome)
{
    wd_totp_params p;
    defaults(params, &p);
    *step = -1;
    *outcome = WD_TOTP_MALFORMED;
    size_t n = code ? strnlen(code, WD_TOTP_CODE_MAX + 1) : 0;
    bool digits_only = n == p.digits;
    for (size_t i = 0; digits_only && i < n; i++)
        digits_only = code[i] >= '0' && code[i] <= '9';
    if (!digits_only)
        return wd_error_set(WD_EINVAL, WD_O_FORMAT, NULL, 0, 0, "a code is %u digits", p.digits);
    if (unix_time < 0)
        return wd_fail(WD_EINVAL, "a time before 1970 has no TOTP step");
    int64_t now = unix_time / p.period;
    /* Every candidate is computed and compared, matched or not, so the time taken says
     * nothing about which step (if any) matched. */
    int64_t matched = -1;
    bool replayed = false;
    for (int64_t s = now - 1; s <= now + 1; s++) {
        char want[WD_TOTP_CODE_MAX + 1];
        int rc = s < 0 ? WD_EINVAL : wd_hotp(secret, len, (uint64_t)s, p.alg, p.digits, want);
        if (rc && s >= 0) {
            *outcome = WD_TOTP_FAILED;
            return rc;
        }
        bool hit = rc == 0 && CRYPTO_memcmp(want, code, p.digits) == 0;
        wd_wipe(want, sizeof(want));
        bool fresh = s > last_step;
        matched = hit && fresh && s > matched ? s : matched;
        replayed |= hit && !fresh;
    }
    if (matched >= 0) {
        *step = matched;
        *outcome = WD_TOTP_ACCEPTED;
        return 0;
    }
    if (replayed) {
        *outcome = WD_TOTP_REPLAYED;
        return wd_error_set(WD_EPERM, WD_O_REPLAY, NULL, 0, 0,
                            "this code (or a newer one) was already used: refused");
    }
    *outcome = WD_TOTP_WRONG;
    return wd_error_set(WD_EPERM, WD_O_WRONG, NULL, 0, 0,
                        "the code does not match (checked the steps before, at and after now)");
}

int wd_totp_verify(const uint8_t *secret, size_t len, const char *code, int64_t unix_time,
                   const wd_totp_params *params, int64_t last_step, int64_t *step)
{
    wd_totp_outcome outcome;
    return wd_totp_check(secret, len, code, unix_time, params, last_step, step, &outcome);
}

/* Percent-encodes everything but unreserved characters (RFC 3986). */
static bool put_escaped(char *out, size_t size, size_t *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        if (*o + (plain ? 1 : 3) >= size)
            return false;
        if (plain) {
            out[(*o)++] = (char)c;
        } else {
            out[(*o)++] = '%';
            out[(*o)++] = hex[c >> 4];
            out[(*o)++] = hex[c & 15];
        }
    }
    out[*o] = 0;
    return true;
}

static bool put(char *out, size_t size, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool put(char *out, size_t size, size_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *o, size - *o, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size - *o)
        return false;
    *o += (size_t)n;
    return true;
}

int wd_totp_uri(const uint8_t *secret, size_t len, const char *issuer, const char *account,
                const wd_totp_params *params, char *out, size_t size)
{
    wd_totp_params p;
    defaults(params, &p);
    int rc = check_secret(len);
    if (rc)
        return rc;
    if (!issuer || !*issuer || !account || !*account || size == 0)
        return wd_fail(WD_EINVAL, "a TOTP URI needs an issuer and an account name");
    if (!wd_totp_alg_name(p.alg) || p.digits < 6 || p.digits > 8)
        return wd_fail(WD_EINVAL, "unsupported TOTP parameters");
    char b32[(WD_TOTP_SECRET_MAX * 8 + 4) / 5 + 1];
    rc = wd_base32_encode(secret, len, b32, sizeof(b32));
    size_t o = 0;
    bool ok = !rc && put(out, size, &o, "otpauth://totp/") && put_escaped(out, size, &o, issuer) &&
              put(out, size, &o, ":") && put_escaped(out, size, &o, account) &&
              put(out, size, &o, "?secret=%s&issuer=", b32) && put_escaped(out, size, &o, issuer) &&
              put(out, size, &o, "&algorithm=%s&digits=%u&period=%u", wd_totp_alg_name(p.alg),
                  p.digits, p.period);
    wd_wipe(b32, sizeof(b32));
    if (!ok) {
        wd_wipe(out, size);
        return rc ? rc : wd_fail(WD_ERANGE, "the TOTP URI does not fit in %zu bytes", size);
    }
    return 0;
}
