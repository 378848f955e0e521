/* timeutil.h (internal): UTC timestamps with nanoseconds, as audit records write them. */
#ifndef WD_UTIL_TIMEUTIL_H
#define WD_UTIL_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_TIME_TEXT_LEN 30 /* "2026-11-22T17:09:22.123456789Z" */

int64_t wd_time_now_ns(void);   /* CLOCK_REALTIME */
uint64_t wd_time_mono_ns(void); /* CLOCK_MONOTONIC */
/* Writes the 30-character form and a NUL into out (31 bytes). */
void wd_time_format(int64_t ns, char out[static WD_TIME_TEXT_LEN + 1]);
/* Parses exactly the 30-character form: years 1970-2261 (what int64 nanoseconds since 1970
 * hold), real calendar days, no leap second. */
bool wd_time_parse(const char *s, size_t len, int64_t *ns);
/* Parses what a person types for --since/--until: the full form, "YYYY-MM-DDTHH:MM:SSZ",
 * "YYYY-MM-DD", seconds since the epoch ("@1700000000"), or an age before now ("15m", "2h",
 * "3d", "30s"). */
bool wd_time_parse_user(const char *s, int64_t now_ns, int64_t *ns);

#endif
