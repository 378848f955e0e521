/* units.h (util): resource quantities, as policies, contracts and wardend's configuration write
 * them. Pure functions; on failure they return false and set *why to a static one-line reason. Zero
 * is refused everywhere (a limit of zero is almost certainly a mistake, and 0 means "not set" in
 * wd_resources); so are signs, whitespace, empty strings, overflow past UINT64_MAX and trailing
 * garbage.
 *
 * Inputs are YAML scalar texts exactly as written ("500m", "1.5", "512Mi", "50.0", "1024"). */
#ifndef WD_UTIL_UNITS_H
#define WD_UTIL_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* resources.limits.cpu, Kubernetes style: "500m" millicores, or cores as a decimal with at most
 * three fractional digits ("1", "0.5", "2.250"). Result in millicores. */
bool wd_units_cpu(const char *s, size_t len, uint64_t *millicores, const char **why);

/* resources.cpu, Wassette's legacy form: a percentage of one core as a decimal ("50.0", "10",
 * "150" is 1.5 cores) with at most one fractional digit. Result in millicores (50.0 -> 500). */
bool wd_units_cpu_legacy(const char *s, size_t len, uint64_t *millicores, const char **why);

/* resources.limits.memory (and output_bytes): a byte count, bare ("1048576") or with a suffix:
 * binary Ki Mi Gi Ti Pi Ei or decimal k K M G T P E. A fraction is allowed with a suffix when
 * the result is a whole number of bytes ("1.5Gi"). */
bool wd_units_bytes(const char *s, size_t len, uint64_t *bytes, const char **why);

/* resources.memory, Wassette's legacy form: a whole number of MiB ("1024"). */
bool wd_units_memory_legacy(const char *s, size_t len, uint64_t *bytes, const char **why);

/* resources.limits.timeout: a bare whole number of seconds ("30"), or one or more
 * number+unit parts in decreasing order: "500ms", "30s", "5m", "1h", "1m30s", "1h30m". */
bool wd_units_duration_ms(const char *s, size_t len, uint64_t *ms, const char **why);

/* resources.limits.pids and open_files: a positive decimal integer, no leading zeros. */
bool wd_units_count(const char *s, size_t len, uint64_t *out, const char **why);

#endif
