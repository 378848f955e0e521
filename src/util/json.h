/* json.h (internal): strict RFC 8259 scanning over a wd_cursor, without building a tree: enough
 * to validate untrusted JSON, skip over values, compact them and decode strings. */
#ifndef WD_UTIL_JSON_H
#define WD_UTIL_JSON_H

#include "util/buf.h"
#include "util/cursor.h"

#define WD_JSON_MAX_DEPTH 32

/* A JSON string at the cursor (opening quote included). On success *raw and *raw_len give the span
 * between the quotes, still escaped. Refuses raw control characters, bad escapes, invalid
 * UTF-8 and lone surrogates in \u escapes. */
bool wd_json_string(wd_cursor *c, const char **raw, size_t *raw_len);

/* Skips one JSON value of any kind, nesting at most WD_JSON_MAX_DEPTH; white space allowed
 * only where RFC 8259 allows it. */
bool wd_json_skip(wd_cursor *c);

/* Appends the JSON object in[0..len) to out without insignificant white space. False (out
 * unchanged in meaning) when it is not exactly one valid object, optionally surrounded by
 * white space. */
bool wd_json_compact_object(const char *in, size_t len, wd_buf *out);

/* Whether every object inside the valid JSON text has distinct keys, compared after unescaping
 * ("a" and "\u0061" are the same key). Different parsers keep different values of a repeated
 * key, so a record that repeats one means different things to different readers. Objects of
 * more than WD_JSON_MAX_KEYS keys are refused too. */
#define WD_JSON_MAX_KEYS 1024
bool wd_json_unique_keys(const char *json, size_t len);

/* Decodes an escaped string span (from wd_json_string) into out as UTF-8. */
void wd_json_unescape(const char *raw, size_t len, wd_buf *out);

/* Appends s as a JSON string (quotes included) in warden's canonical escaping. */
void wd_json_quote(wd_buf *out, const char *s, size_t len);

#endif
