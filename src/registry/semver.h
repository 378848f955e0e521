/* semver.h (internal): Semantic Versioning 2.0.0 (https://semver.org), strictly.
 *
 * Pure functions, no allocation beyond what the caller provides. A registry key holds the
 * version's precedence-relevant part; build metadata is kept for display but never compared. */
#ifndef WD_REGISTRY_SEMVER_H
#define WD_REGISTRY_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_SEMVER_MAX 256 /* longest version text accepted, in bytes */

typedef struct {
    uint64_t major, minor, patch;
    /* Pre-release and build metadata as written, without the leading '-' / '+' ("" if none).
     * They point into text, so the text must outlive the struct. */
    const char *pre;
    size_t pre_len;
    const char *build;
    size_t build_len;
} wd_semver;

/* Parses text[0..len) as exactly MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]:
 *   - numeric identifiers have no leading zeros ("0" is fine, "01" is not) and fit uint64_t;
 *   - pre-release identifiers are non-empty, [0-9A-Za-z-]; numeric ones have no leading zeros;
 *   - build identifiers are non-empty, [0-9A-Za-z-] (leading zeros allowed);
 *   - nothing else: no "v" prefix, no spaces, no empty identifiers ("1.0.0-", "1.0.0-a..b"),
 *     at most WD_SEMVER_MAX bytes.
 * On failure returns false and sets *why to a static one-line reason. */
bool wd_semver_parse(const char *text, size_t len, wd_semver *out, const char **why);

/* SemVer 2.0.0 section 11 precedence: <0, 0, >0. Build metadata is ignored, so 1.0.0+a and
 * 1.0.0+b compare equal. Pre-release: a version with one has lower precedence than without;
 * identifiers compare numerically when both are numeric, numeric < alphanumeric, otherwise
 * ASCII order; a shorter set of identifiers that is a prefix of a longer one is lower. */
int wd_semver_compare(const wd_semver *a, const wd_semver *b);

/* Whether the version has a pre-release part. */
bool wd_semver_is_prerelease(const wd_semver *v);

#endif
