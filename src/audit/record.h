/* record.h (internal): one audit record line, written and read in canonical form
 * (docs/audit-format.md). The reader accepts exactly what the writer produces: same key order,
 * no white space, lowercase hex, so there is one byte string per record. */
#ifndef WD_AUDIT_RECORD_H
#define WD_AUDIT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "util/buf.h"
#include "warden/audit.h"

#define WD_AUDIT_TYPE_MAX 64
#define WD_AUDIT_STRING_MAX 256
#define WD_AUDIT_DETAILS_MAX (64 * 1024)
#define WD_AUDIT_LINE_MAX (1024 * 1024)

typedef struct {
    uint64_t seq;
    int64_t ts_ns;
    const char *ts;
    const char *type;
    size_t type_len;
    wd_severity severity;
    const char *corr, *comp; /* still JSON-escaped */
    size_t corr_len, comp_len;
    const char *details;
    size_t details_len;
    uint8_t prev[WD_SHA256_LEN];
    uint8_t mac[WD_SHA256_LEN];
    size_t body_len; /* BODY is line[0..body_len) */
} wd_record_view;

/* Parses one line (without its newline). */
bool wd_record_parse(const char *line, size_t len, wd_record_view *out);

/* Checks an event's fields (type, severity, string sizes, UTF-8, details) and appends the
 * compacted details to details_out. Returns 0 or WD_EINVAL with a WD-A009 error. */
int wd_record_check_event(const wd_audit_event *ev, wd_buf *details_out);

/* Appends BODY for seq. */
void wd_record_body(wd_buf *out, uint64_t seq, int64_t ts_ns, const char *type,
                    wd_severity severity, const char *corr, const char *comp, const char *details,
                    size_t details_len, const uint8_t prev[WD_SHA256_LEN]);
/* Appends ,"mac":"HEX"} and a newline. */
void wd_record_finish(wd_buf *out, const uint8_t mac[WD_SHA256_LEN]);

/* Finds key in a compact JSON object and returns its value's span. */
bool wd_json_field(const char *obj, size_t len, const char *key, const char **val, size_t *val_len);
/* A field holding a string of exactly 2 * bytes lowercase hex digits. */
bool wd_json_field_hex(const char *obj, size_t len, const char *key, uint8_t *out, size_t bytes);
bool wd_json_field_u64(const char *obj, size_t len, const char *key, uint64_t *out);

#endif
