/* semver.c: strict Semantic Versioning 2.0.0 parsing and section 11 precedence.
 *
 * The parser works on (text, len), never reads text[len], and writes *out only once the whole
 * input has been accepted, so a refused version leaves the caller's struct as it was. It scans
 * left to right and reports the first problem it meets. out and why may be NULL (validation
 * only / no reason wanted). Character classes come from util/ascii.h, never <ctype.h>, whose
 * answers depend on the locale.
 *
 * Two decisions the header leaves to this file:
 *   - MAJOR.MINOR.PATCH must fit uint64_t (the header says so), so semver.org's own "valid"
 *     example 99999999999999999999999.999999999999999999.99999999999999999 is refused here as
 *     out of range. Pre-release numeric identifiers have no such limit: SemVer puts no bound on
 *     them and they are never converted, so "1.0.0-18446744073709551616" is valid.
 *   - Numeric pre-release identifiers are therefore compared as digit strings: leading zeros
 *     skipped, then the longer one is larger, then bytewise. For digit strings without leading
 *     zeros (all the parser accepts) that is exactly numeric order at any length; skipping the
 *     zeros keeps it exact for hand-built structs too. */
#include "registry/semver.h"
#include "util/ascii.h"

#include <string.h>

#define WD_STR_(x) #x
#define WD_STR(x) WD_STR_(x)

static bool fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return false;
}

static bool is_ident_char(char c)
{
    return wd_is_digit(c) || wd_is_alpha(c) || c == '-';
}

/* Reads one version-core number at s[*i], stopping at the first non-digit. Returns NULL or the
 * reason it is refused. */
static const char *core_number(const char *s, size_t len, size_t *i, uint64_t *out)
{
    size_t start = *i;
    uint64_t value = 0;
    bool overflow = false;

    while (*i < len && wd_is_digit(s[*i])) {
        unsigned digit = (unsigned)(s[*i] - '0');
        if (value > (UINT64_MAX - digit) / 10)
            overflow = true; /* keep scanning so a leading zero is still reported first */
        else if (!overflow)
            value = value * 10 + digit;
        (*i)++;
    }
    if (*i == start) {
        if (*i == len || s[*i] == '.')
            return "empty number in version core";
        return "invalid character in version core";
    }
    if (*i - start > 1 && s[start] == '0')
        return "leading zero in version core number";
    if (overflow)
        return "version core number out of range";
    *out = value;
    return NULL;
}

/* Checks the dot-separated identifiers at s[*i], up to the end or, for a pre-release, a '+'.
 * Leaves *i on the character that ended the list. Returns NULL or the reason it is refused. */
static const char *identifiers(const char *s, size_t len, size_t *i, bool prerelease)
{
    size_t list_start = *i;

    for (;;) {
        size_t start = *i;
        bool numeric = true;
        while (*i < len && s[*i] != '.' && !(prerelease && s[*i] == '+')) {
            if (!is_ident_char(s[*i]))
                return prerelease ? "invalid character in pre-release"
                                  : "invalid character in build metadata";
            if (!wd_is_digit(s[*i]))
                numeric = false;
            (*i)++;
        }
        bool at_end = *i == len || s[*i] == '+';
        if (*i == start) {
            if (start == list_start && at_end)
                return prerelease ? "empty pre-release" : "empty build metadata";
            return prerelease ? "empty pre-release identifier" : "empty build identifier";
        }
        /* Build identifiers may have leading zeros (SemVer section 10); pre-release ones not. */
        if (prerelease && numeric && *i - start > 1 && s[start] == '0')
            return "leading zero in numeric pre-release identifier";
        if (at_end)
            return NULL;
        (*i)++; /* the '.' */
    }
}

bool wd_semver_parse(const char *text, size_t len, wd_semver *out, const char **why)
{
    uint64_t core[3];
    size_t i = 0;
    const char *err;

    if (!text || len == 0)
        return fail(why, "empty version");
    if (len > WD_SEMVER_MAX)
        return fail(why, "version longer than " WD_STR(WD_SEMVER_MAX) " bytes");

    for (int k = 0; k < 3; k++) {
        if ((err = core_number(text, len, &i, &core[k])))
            return fail(why, err);
        if (k == 2)
            break;
        /* "1", "1.2" and "1.2-rc" have the wrong shape rather than a stray character. */
        if (i == len || text[i] == '-' || text[i] == '+')
            return fail(why, "version core must be major.minor.patch");
        if (text[i] != '.')
            return fail(why, "invalid character in version core");
        i++;
    }
    if (i < len && text[i] == '.')
        return fail(why, "version core must be major.minor.patch");
    if (i < len && text[i] != '-' && text[i] != '+')
        return fail(why, "invalid character in version core");

    const char *pre = "", *build = "";
    size_t pre_len = 0, build_len = 0;
    if (i < len && text[i] == '-') {
        size_t start = ++i;
        if ((err = identifiers(text, len, &i, true)))
            return fail(why, err);
        pre = text + start;
        pre_len = i - start;
    }
    /* Here i == len or text[i] == '+': the checks above let nothing else through. */
    if (i < len) {
        size_t start = ++i;
        if ((err = identifiers(text, len, &i, false)))
            return fail(why, err);
        build = text + start;
        build_len = i - start;
    }

    if (out) {
        out->major = core[0];
        out->minor = core[1];
        out->patch = core[2];
        out->pre = pre;
        out->pre_len = pre_len;
        out->build = build;
        out->build_len = build_len;
    }
    return true;
}

static int sign_u64(uint64_t a, uint64_t b)
{
    return (a > b) - (a < b);
}

static int sign_int(int c)
{
    return (c > 0) - (c < 0);
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!wd_is_digit(s[i]))
            return false;
    return true;
}

/* Numeric order of two digit strings of any length (see the top of the file). */
static int compare_numeric(const char *a, size_t an, const char *b, size_t bn)
{
    while (an > 1 && a[0] == '0')
        a++, an--;
    while (bn > 1 && b[0] == '0')
        b++, bn--;
    if (an != bn)
        return an < bn ? -1 : 1;
    return sign_int(memcmp(a, b, an));
}

/* ASCII order; a string that is a prefix of another is lower. memcmp compares unsigned bytes. */
static int compare_ascii(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return sign_int(c);
    return (an > bn) - (an < bn);
}

static int compare_identifier(const char *a, size_t an, const char *b, size_t bn)
{
    bool a_num = all_digits(a, an), b_num = all_digits(b, bn);
    if (a_num && b_num)
        return compare_numeric(a, an, b, bn);
    if (a_num != b_num)
        return a_num ? -1 : 1; /* numeric identifiers are lower than alphanumeric ones */
    return compare_ascii(a, an, b, bn);
}

static size_t identifier_end(const char *s, size_t len, size_t start)
{
    const char *dot = start < len ? memchr(s + start, '.', len - start) : NULL;
    return dot ? (size_t)(dot - s) : len;
}

int wd_semver_compare(const wd_semver *a, const wd_semver *b)
{
    int c;
    if ((c = sign_u64(a->major, b->major)) || (c = sign_u64(a->minor, b->minor)) ||
        (c = sign_u64(a->patch, b->patch)))
        return c;

    /* A release is higher than any of its pre-releases. */
    if (a->pre_len == 0 || b->pre_len == 0)
        return (a->pre_len == 0) - (b->pre_len == 0);

    size_t i = 0, j = 0;
    for (;;) {
        size_t i_end = identifier_end(a->pre, a->pre_len, i);
        size_t j_end = identifier_end(b->pre, b->pre_len, j);
        if ((c = compare_identifier(a->pre + i, i_end - i, b->pre + j, j_end - j)))
            return c;
        bool a_more = i_end < a->pre_len, b_more = j_end < b->pre_len;
        if (!a_more || !b_more)
            return (int)a_more - (int)b_more; /* the shorter list, a prefix, is lower */
        i = i_end + 1;
        j = j_end + 1;
    }
}

bool wd_semver_is_prerelease(const wd_semver *v)
{
    return v->pre_len > 0;
}
