#include "util/timeutil.h"

#include <string.h>
#include <time.h>

int64_t wd_time_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t wd_time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void wd_time_format(int64_t ns, char out[static WD_TIME_TEXT_LEN + 1])
{
    time_t sec = (time_t)(ns / 1000000000);
    long frac = (long)(ns % 1000000000);
    if (frac < 0) {
        frac += 1000000000;
        sec--;
    }
    struct tm tm;
    gmtime_r(&sec, &tm);
    /* By hand: this runs once per audit record, and it cannot overflow its buffer. */
    unsigned f[7] = {(unsigned)(tm.tm_year + 1900) % 10000,
                     (unsigned)tm.tm_mon + 1,
                     (unsigned)tm.tm_mday,
                     (unsigned)tm.tm_hour,
                     (unsigned)tm.tm_min,
                     (unsigned)tm.tm_sec,
                     (unsigned)frac};
    static const int width[7] = {4, 2, 2, 2, 2, 2, 9};
    static const char sep[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
    char *o = out;
    for (int i = 0; i < 7; i++) {
        for (int k = width[i] - 1; k >= 0; k--) {
            o[k] = (char)('0' + f[i] % 10);
            f[i] /= 10;
        }
        o += width[i];
        *o++ = sep[i];
    }
    *o = '\0';
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), valid for any year 0..9999. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + doe - 719468;
}

static bool parse_date_time(const char *s, size_t len, bool with_frac, int64_t *ns)
{
    int y, mo, d, h = 0, mi = 0, se = 0, frac = 0;
    if (len < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return false;
    if (len > 10) {
        if (len < 20 || s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
            !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
            return false;
        if (with_frac) {
            if (len != 30 || s[19] != '.' || !digits(s + 20, 9, &frac) || s[29] != 'Z')
                return false;
        } else if (len != 20 || s[19] != 'Z') {
            return false;
        }
    }
    /* Years an int64 of nanoseconds since 1970 can hold, and real calendar days only: a record
     * time outside them would wrap (found by fuzzing) or name a day that never was. */
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int days_in_month = mo >= 1 && mo <= 12 ? mdays[mo - 1] + (mo == 2 && leap) : 0;
    if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > days_in_month || h > 23 ||
        mi > 59 || se > 59)
        return false;
    *ns = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) * 1000000000) + frac;
    return true;
}

bool wd_time_parse(const char *s, size_t len, int64_t *ns)
{
    return len == WD_TIME_TEXT_LEN && parse_date_time(s, len, true, ns);
}

bool wd_time_parse_user(const char *s, int64_t now_ns, int64_t *ns)
{
    size_t len = strlen(s);
    if (len == WD_TIME_TEXT_LEN)
        return wd_time_parse(s, len, ns);
    if (len == 20 || len == 10)
        return parse_date_time(s, len, false, ns);
    if (len >= 2 && s[0] == '@') {
        int64_t v = 0;
        for (size_t i = 1; i < len; i++) {
            if (s[i] < '0' || s[i] > '9' || v > 9000000000LL)
                return false;
            v = v * 10 + (s[i] - '0');
        }
        *ns = v * 1000000000;
        return true;
    }
    if (len >= 2 && len <= 10) {
        int64_t v = 0;
        for (size_t i = 0; i + 1 < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return false;
            v = v * 10 + (s[i] - '0');
        }
        int64_t unit = s[len - 1] == 's'   ? 1
                       : s[len - 1] == 'm' ? 60
                       : s[len - 1] == 'h' ? 3600
                       : s[len - 1] == 'd' ? 86400
                                           : 0;
        if (!unit)
            return false;
        *ns = now_ns - v * unit * 1000000000;
        return true;
    }
    return false;
}
