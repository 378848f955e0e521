/* units.c: exact parsing of resource quantities. Integers only, never floating point, so that
 * "0.1" cores is exactly 100 millicores and every overflow is caught where it happens. A fraction
 * is kept as its digit text and scaled digit by digit, so its length never limits exactness. */
#include "util/units.h"
#include "util/ascii.h"
#include "util/cursor.h"

#define CPU_MAX_MILLICORES UINT64_C(1000000000) /* one million cores */
#define CPU_FRAC_DIGITS 3
#define CPU_LEGACY_FRAC_DIGITS 1
#define FRAC_SCALE_MAX 60 /* the largest exponent a suffix applies: Ei is 2^60 */

static const char R_EMPTY[] = "empty";
static const char R_SPACE[] = "contains whitespace";
static const char R_SIGN[] = "contains a sign";
static const char R_NUL[] = "contains a nul byte";
static const char R_NUMBER[] = "expected a number";
static const char R_BEFORE_DOT[] = "missing digits before '.'";
static const char R_AFTER_DOT[] = "missing digits after '.'";
static const char R_BIG[] = "number too large";
static const char R_ZERO[] = "must not be zero";
static const char R_SUFFIX[] = "unknown suffix";
static const char R_CASE[] = "suffix has the wrong case";
static const char R_NO_SUFFIX[] = "no suffix allowed here";
static const char R_WHOLE_BYTES[] = "not a whole number of bytes";
static const char R_BARE_FRACTION[] = "a fraction needs a suffix";
static const char R_CPU_FRAC[] = "more than 3 fractional digits";
static const char R_CPU_LEGACY_FRAC[] = "more than 1 fractional digit";
static const char R_CPU_MILLI_FRAC[] = "fractional millicores";
static const char R_CPU_CAP[] = "more than 1000000 cores";
static const char R_MIB_WHOLE[] = "not a whole number of mib";
static const char R_DUR_FRACTION[] = "fractions not allowed in durations";
static const char R_DUR_NO_UNIT[] = "missing unit";
static const char R_DUR_UNIT[] = "unknown unit";
static const char R_DUR_REPEAT[] = "repeated unit";
static const char R_DUR_ORDER[] = "units must decrease";
static const char R_DUR_BIG[] = "duration too large";
static const char R_COUNT_DIGITS[] = "not a decimal integer";
static const char R_COUNT_LEADING[] = "leading zero";

static bool fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return false;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (b != 0 && a > UINT64_MAX / b)
        return false;
    *out = a * b;
    return true;
}

static bool add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a > UINT64_MAX - b)
        return false;
    *out = a + b;
    return true;
}

/* The refusals shared by every form, found before any parsing so that the reason names the real
 * problem ("contains a sign", not "expected a number" for "-1"). NULL when none applies. */
static const char *precheck(const char *s, size_t len)
{
    if (s == NULL || len == 0)
        return R_EMPTY;
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
        case '\v':
        case '\f':
            return R_SPACE;
        case '+':
        case '-':
            return R_SIGN;
        case '\0':
            return R_NUL;
        default:
            break;
        }
    }
    return NULL;
}

/* The texts are read through util/cursor.h's bounds-checked cursor; a quantity only needs to
 * look at the next byte, with '\0' standing for the end. */
static bool at_end(const wd_cursor *c)
{
    return wd_cursor_left(c) == 0;
}

static char peek(const wd_cursor *c)
{
    return at_end(c) ? '\0' : *c->p;
}

/* One or more decimal digits. */
static bool read_uint(wd_cursor *c, uint64_t *out, const char **why)
{
    if (!wd_is_digit(peek(c)))
        return fail(why, peek(c) == '.' ? R_BEFORE_DOT : R_NUMBER);
    uint64_t v = 0;
    while (wd_is_digit(peek(c))) {
        if (!mul_u64(v, 10, &v) || !add_u64(v, (uint64_t)(peek(c) - '0'), &v))
            return fail(why, R_BIG);
        c->p++;
    }
    *out = v;
    return true;
}

/* DIGITS or DIGITS.DIGITS; the fraction stays text (frac, frac_len) so it is never rounded. */
typedef struct {
    uint64_t whole;
    const char *frac;
    size_t frac_len;
    bool has_dot;
} decimal;

static bool read_decimal(wd_cursor *c, decimal *d, const char **why)
{
    if (!read_uint(c, &d->whole, why))
        return false;
    d->frac = NULL;
    d->frac_len = 0;
    d->has_dot = false;
    if (peek(c) != '.')
        return true;
    c->p++;
    d->has_dot = true;
    d->frac = c->p;
    while (wd_is_digit(peek(c)))
        c->p++;
    d->frac_len = (size_t)(c->p - d->frac);
    if (d->frac_len == 0)
        return fail(why, R_AFTER_DOT);
    return true;
}

/* d * base^exp with base 2 or 10, exact. The fraction's digits (trailing zeros dropped) are
 * multiplied by base exp times as a fixed-point decimal; whatever carries out of the point is
 * the fraction's whole part, and any digit left behind means the result is not whole. A
 * fraction with more significant digits than exp can never become whole for base 2 or 10: its
 * last digit is not 0, so 10^n dividing it * base^exp needs n <= exp. */
static bool scale(const decimal *d, unsigned base, unsigned exp, uint64_t *out,
                  const char *not_whole, const char **why)
{
    uint64_t mult = 1;
    for (unsigned i = 0; i < exp; i++)
        if (!mul_u64(mult, base, &mult))
            return fail(why, R_BIG);

    size_t n = d->frac_len;
    while (n > 0 && d->frac[n - 1] == '0')
        n--;
    if (n > exp || n > FRAC_SCALE_MAX)
        return fail(why, not_whole);

    unsigned char digits[FRAC_SCALE_MAX] = {0};
    for (size_t i = 0; i < n; i++)
        digits[i] = (unsigned char)(d->frac[i] - '0');
    uint64_t frac_whole = 0; /* < mult, so it cannot overflow */
    for (unsigned k = 0; k < exp && n > 0; k++) {
        unsigned carry = 0;
        /* Counting up over the mirrored index keeps GCC's -O3 range analysis from seeing an
         * index of -1 that the loop can never produce. */
        for (size_t j = 0; j < n; j++) {
            size_t i = n - 1 - j;
            unsigned x = digits[i] * base + carry;
            digits[i] = (unsigned char)(x % 10);
            carry = x / 10;
        }
        frac_whole = frac_whole * base + carry;
    }
    for (size_t i = 0; i < n; i++)
        if (digits[i] != 0)
            return fail(why, not_whole);

    uint64_t v;
    if (!mul_u64(d->whole, mult, &v) || !add_u64(v, frac_whole, &v))
        return fail(why, R_BIG);
    if (v == 0)
        return fail(why, R_ZERO);
    *out = v;
    return true;
}

static bool cpu_result(uint64_t v, uint64_t *millicores, const char **why)
{
    if (v > CPU_MAX_MILLICORES)
        return fail(why, R_CPU_CAP);
    *millicores = v;
    return true;
}

bool wd_units_cpu(const char *s, size_t len, uint64_t *millicores, const char **why)
{
    const char *bad = precheck(s, len);
    if (bad)
        return fail(why, bad);
    wd_cursor c = wd_cursor_make(s, len);
    decimal d;
    const char *reason = NULL;
    if (!read_decimal(&c, &d, &reason))
        return fail(why, reason == R_BIG ? R_CPU_CAP : reason);

    uint64_t v;
    if (peek(&c) == 'm') {
        c.p++;
        if (!at_end(&c))
            return fail(why, R_SUFFIX);
        if (d.has_dot)
            return fail(why, R_CPU_MILLI_FRAC);
        if (d.whole == 0)
            return fail(why, R_ZERO);
        return cpu_result(d.whole, millicores, why);
    }
    if (!at_end(&c))
        return fail(why, R_SUFFIX);
    if (d.frac_len > CPU_FRAC_DIGITS)
        return fail(why, R_CPU_FRAC);
    if (!scale(&d, 10, 3, &v, R_CPU_FRAC, &reason))
        return fail(why, reason == R_BIG ? R_CPU_CAP : reason);
    return cpu_result(v, millicores, why);
}

bool wd_units_cpu_legacy(const char *s, size_t len, uint64_t *millicores, const char **why)
{
    const char *bad = precheck(s, len);
    if (bad)
        return fail(why, bad);
    wd_cursor c = wd_cursor_make(s, len);
    decimal d;
    const char *reason = NULL;
    if (!read_decimal(&c, &d, &reason))
        return fail(why, reason == R_BIG ? R_CPU_CAP : reason);
    if (!at_end(&c))
        return fail(why, R_NO_SUFFIX);
    if (d.frac_len > CPU_LEGACY_FRAC_DIGITS)
        return fail(why, R_CPU_LEGACY_FRAC);
    /* One percent of a core is 10 millicores. */
    uint64_t v;
    if (!scale(&d, 10, 1, &v, R_CPU_LEGACY_FRAC, &reason))
        return fail(why, reason == R_BIG ? R_CPU_CAP : reason);
    return cpu_result(v, millicores, why);
}

typedef struct {
    const char *name;
    unsigned base;
    unsigned exp;
} suffix;

static const suffix byte_suffixes[] = {
    {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50},
    {"Ei", 2, 60}, {"k", 10, 3},  {"K", 10, 3},  {"M", 10, 6},  {"G", 10, 9},
    {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
};

static bool same_text(const char *a, size_t alen, const char *name, bool fold)
{
    size_t i = 0;
    for (; i < alen && name[i] != '\0'; i++)
        if (fold ? to_lower(a[i]) != to_lower(name[i]) : a[i] != name[i])
            return false;
    return i == alen && name[i] == '\0';
}

/* NULL and *why set when text is no suffix; "512mi" gets a clearer reason than "unknown". */
static const suffix *find_byte_suffix(const char *text, size_t len, const char **why)
{
    size_t count = sizeof(byte_suffixes) / sizeof(byte_suffixes[0]);
    for (size_t i = 0; i < count; i++)
        if (same_text(text, len, byte_suffixes[i].name, false))
            return &byte_suffixes[i];
    bool wrong_case = false;
    for (size_t i = 0; i < count; i++)
        wrong_case = wrong_case || same_text(text, len, byte_suffixes[i].name, true);
    fail(why, wrong_case ? R_CASE : R_SUFFIX);
    return NULL;
}

/* The start every byte quantity shares: the text checks, then the number. */
static bool start_decimal(const char *s, size_t len, wd_cursor *c, decimal *d, const char **why)
{
    const char *bad = precheck(s, len);
    if (bad)
        return fail(why, bad);
    *c = wd_cursor_make(s, len);
    return read_decimal(c, d, why);
}

bool wd_units_bytes(const char *s, size_t len, uint64_t *bytes, const char **why)
{
    wd_cursor c;
    decimal d;
    if (!start_decimal(s, len, &c, &d, why))
        return false;

    uint64_t v;
    if (at_end(&c)) {
        if (d.has_dot)
            return fail(why, R_BARE_FRACTION);
        if (!scale(&d, 10, 0, &v, R_WHOLE_BYTES, why))
            return false;
        *bytes = v;
        return true;
    }
    const suffix *suf = find_byte_suffix(c.p, wd_cursor_left(&c), why);
    if (suf == NULL)
        return false;
    if (!scale(&d, suf->base, suf->exp, &v, R_WHOLE_BYTES, why))
        return false;
    *bytes = v;
    return true;
}

bool wd_units_memory_legacy(const char *s, size_t len, uint64_t *bytes, const char **why)
{
    wd_cursor c;
    decimal d;
    if (!start_decimal(s, len, &c, &d, why))
        return false;
    if (!at_end(&c))
        return fail(why, R_NO_SUFFIX);
    if (d.has_dot)
        return fail(why, R_MIB_WHOLE);
    uint64_t v;
    if (!scale(&d, 2, 20, &v, R_MIB_WHOLE, why))
        return false;
    *bytes = v;
    return true;
}

/* Ranked so that a later part must have a strictly smaller rank. */
typedef struct {
    const char *name;
    uint64_t ms;
    unsigned rank;
} duration_unit;

static const duration_unit duration_units[] = {
    {"h", UINT64_C(3600000), 4},
    {"m", UINT64_C(60000), 3},
    {"s", UINT64_C(1000), 2},
    {"ms", UINT64_C(1), 1},
};

bool wd_units_duration_ms(const char *s, size_t len, uint64_t *ms, const char **why)
{
    const char *bad = precheck(s, len);
    if (bad)
        return fail(why, bad);
    wd_cursor c = wd_cursor_make(s, len);
    uint64_t total = 0;
    unsigned last_rank = 0; /* 0: no part yet */
    while (!at_end(&c)) {
        uint64_t n;
        const char *reason = NULL;
        if (!read_uint(&c, &n, &reason))
            return fail(why, reason == R_BIG ? R_DUR_BIG : R_NUMBER);
        if (peek(&c) == '.')
            return fail(why, R_DUR_FRACTION);

        const char *start = c.p;
        while (is_alpha(peek(&c)))
            c.p++;
        size_t ulen = (size_t)(c.p - start);
        if (ulen == 0) {
            if (!at_end(&c))
                return fail(why, R_DUR_UNIT);
            if (last_rank != 0)
                return fail(why, R_DUR_NO_UNIT);
            /* The whole text is a bare number: seconds. */
            if (!mul_u64(n, 1000, &total))
                return fail(why, R_DUR_BIG);
            break;
        }
        const duration_unit *unit = NULL;
        for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
            if (same_text(start, ulen, duration_units[i].name, false))
                unit = &duration_units[i];
        if (unit == NULL)
            return fail(why, R_DUR_UNIT);
        if (last_rank != 0 && unit->rank == last_rank)
            return fail(why, R_DUR_REPEAT);
        if (last_rank != 0 && unit->rank > last_rank)
            return fail(why, R_DUR_ORDER);
        last_rank = unit->rank;

        uint64_t part;
        if (!mul_u64(n, unit->ms, &part) || !add_u64(total, part, &total))
            return fail(why, R_DUR_BIG);
    }
    if (total == 0)
        return fail(why, R_ZERO);
    *ms = total;
    return true;
}

bool wd_units_count(const char *s, size_t len, uint64_t *out, const char **why)
{
    const char *bad = precheck(s, len);
    if (bad)
        return fail(why, bad);
    for (size_t i = 0; i < len; i++)
        if (!wd_is_digit(s[i]))
            return fail(why, R_COUNT_DIGITS);
    if (s[0] == '0')
        return fail(why, len == 1 ? R_ZERO : R_COUNT_LEADING);
    wd_cursor c = wd_cursor_make(s, len);
    uint64_t v;
    if (!read_uint(&c, &v, why))
        return false;
    *out = v;
    return true;
}
