/* record.c: the canonical record codec. */
#include "audit/record.h"

#include <stdio.h>
#include <string.h>

#include "audit/codes.h"
#include "util/error.h"
#include "util/json.h"
#include "util/secure.h"
#include "util/timeutil.h"
#include "util/utf8.h"

static const char *const severities[] = {NULL, "LOW", "MEDIUM", "HIGH", "CRITICAL"};

const char *wd_severity_name(wd_severity s)
{
    return s >= WD_SEVERITY_LOW && s <= WD_SEVERITY_CRITICAL ? severities[s] : "?";
}

int wd_severity_parse(const char *name, wd_severity *out)
{
    for (int i = WD_SEVERITY_LOW; i <= WD_SEVERITY_CRITICAL; i++)
        if (name && !strcmp(name, severities[i])) {
            *out = (wd_severity)i;
            return 0;
        }
    return wd_error_set(WD_EINVAL, WD_A_EVENT, NULL, 0, 0,
                        "unknown severity \"%.32s\" (LOW, MEDIUM, HIGH or CRITICAL)",
                        name ? name : "");
}

static bool type_ok(const char *t, size_t len)
{
    if (len == 0 || len > WD_AUDIT_TYPE_MAX || t[0] < 'A' || t[0] > 'Z')
        return false;
    for (size_t i = 1; i < len; i++)
        if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '_'))
            return false;
    return true;
}

static int check_string(const char *what, const char *s)
{
    size_t len = strnlen(s, WD_AUDIT_STRING_MAX + 1), bad;
    if (len > WD_AUDIT_STRING_MAX)
        return wd_error_set(WD_EINVAL, WD_A_EVENT, NULL, 0, 0, "%s is longer than %d bytes", what,
                            WD_AUDIT_STRING_MAX);
    if (!wd_utf8_valid(s, len, &bad))
        return wd_error_set(WD_EINVAL, WD_A_EVENT, NULL, 0, 0, "%s is not valid UTF-8", what);
    return 0;
}

int wd_record_check_event(const wd_audit_event *ev, wd_buf *details_out)
{
    if (!ev || !ev->type || !type_ok(ev->type, strlen(ev->type)))
        return wd_error_set(WD_EINVAL, WD_A_EVENT, NULL, 0, 0,
                            "event type must be 1-64 of [A-Z0-9_], starting with a letter: "
                            "\"%.64s\"",
                            ev && ev->type ? ev->type : "");
    if (ev->severity < WD_SEVERITY_LOW || ev->severity > WD_SEVERITY_CRITICAL)
        return wd_error_set(WD_EINVAL, WD_A_EVENT, NULL, 0, 0, "event severity %d is not valid",
                            (int)ev->severity);
    int rc = check_string("component", ev->component ? ev->component : "");
    if (!rc && ev->correlation_id)
        rc = check_string("correlation id", ev->correlation_id);
    if (rc)
        return rc;
    const char *d = ev->details ? ev->details : "{}";
    size_t len = strnlen(d, WD_AUDIT_DETAILS_MAX + 1);
    if (len > WD_AUDIT_DETAILS_MAX)
        return wd_error_set(WD_EINVAL, WD_A_EVENT, NULL, 0, 0, "details are larger than %d bytes",
                            WD_AUDIT_DETAILS_MAX);
    size_t before = details_out->len;
    if (!wd_json_compact_object(d, len, details_out)) {
        details_out->len = before;
        return wd_error_set(WD_EINVAL, WD_A_EVENT, NULL, 0, 0,
                            "details must be one JSON object (strict RFC 8259, nesting <= %d)",
                            WD_JSON_MAX_DEPTH);
    }
    if (!wd_json_unique_keys(details_out->data + before, details_out->len - before)) {
        details_out->len = before;
        return wd_error_set(WD_EINVAL, WD_A_EVENT, NULL, 0, 0,
                            "details repeat a key in one object (or have more than %d keys)",
                            WD_JSON_MAX_KEYS);
    }
    return 0;
}

void wd_record_body(wd_buf *out, uint64_t seq, int64_t ts_ns, const char *type,
                    wd_severity severity, const char *corr, const char *comp, const char *details,
                    size_t details_len, const uint8_t prev[WD_SHA256_LEN])
{
    /* Assembled by hand rather than with printf: this runs for every record. */
    char ts[WD_TIME_TEXT_LEN + 1], hex[2 * WD_SHA256_LEN + 1], num[21];
    wd_time_format(ts_ns, ts);
    wd_hex_encode(prev, WD_SHA256_LEN, hex);
    size_t n = sizeof(num);
    do {
        num[--n] = (char)('0' + seq % 10);
        seq /= 10;
    } while (seq);
    wd_buf_puts(out, "{\"seq\":");
    wd_buf_append(out, num + n, sizeof(num) - n);
    wd_buf_puts(out, ",\"ts\":\"");
    wd_buf_append(out, ts, WD_TIME_TEXT_LEN);
    wd_buf_puts(out, "\",\"type\":\"");
    wd_buf_puts(out, type);
    wd_buf_puts(out, "\",\"severity\":\"");
    wd_buf_puts(out, wd_severity_name(severity));
    wd_buf_puts(out, "\",\"correlation_id\":");
    wd_json_quote(out, corr, strlen(corr));
    wd_buf_puts(out, ",\"component\":");
    wd_json_quote(out, comp, strlen(comp));
    wd_buf_puts(out, ",\"details\":");
    wd_buf_append(out, details, details_len);
    wd_buf_puts(out, ",\"prev\":\"");
    wd_buf_append(out, hex, 2 * WD_SHA256_LEN);
    wd_buf_putc(out, '"');
}

void wd_record_finish(wd_buf *out, const uint8_t mac[WD_SHA256_LEN])
{
    char hex[2 * WD_SHA256_LEN + 1];
    wd_hex_encode(mac, WD_SHA256_LEN, hex);
    wd_buf_puts(out, ",\"mac\":\"");
    wd_buf_append(out, hex, 2 * WD_SHA256_LEN);
    wd_buf_puts(out, "\"}\n");
}

static bool string_field(wd_cursor *c, const char **raw, size_t *len, size_t max)
{
    return wd_json_string(c, raw, len) && *len <= max * 6; /* escapes may grow text sixfold */
}

bool wd_record_parse(const char *line, size_t len, wd_record_view *r)
{
    wd_cursor c = wd_cursor_make(line, len);
    const char *raw;
    size_t rl;
    if (!WD_CURSOR_LIT(&c, "{\"seq\":") || !wd_cursor_u64(&c, &r->seq) || r->seq == 0 ||
        !WD_CURSOR_LIT(&c, ",\"ts\":\"") || wd_cursor_left(&c) < WD_TIME_TEXT_LEN ||
        !wd_time_parse(c.p, WD_TIME_TEXT_LEN, &r->ts_ns))
        return false;
    r->ts = c.p;
    c.p += WD_TIME_TEXT_LEN;
    if (!WD_CURSOR_LIT(&c, "\",\"type\":") || !wd_json_string(&c, &raw, &rl) || !type_ok(raw, rl))
        return false;
    r->type = raw;
    r->type_len = rl;
    if (!WD_CURSOR_LIT(&c, ",\"severity\":") || !wd_json_string(&c, &raw, &rl))
        return false;
    r->severity = 0;
    for (int i = WD_SEVERITY_LOW; i <= WD_SEVERITY_CRITICAL; i++)
        if (strlen(severities[i]) == rl && !memcmp(raw, severities[i], rl))
            r->severity = (wd_severity)i;
    if (!r->severity || !WD_CURSOR_LIT(&c, ",\"correlation_id\":") ||
        !string_field(&c, &r->corr, &r->corr_len, WD_AUDIT_STRING_MAX) ||
        !WD_CURSOR_LIT(&c, ",\"component\":") ||
        !string_field(&c, &r->comp, &r->comp_len, WD_AUDIT_STRING_MAX) ||
        !WD_CURSOR_LIT(&c, ",\"details\":") || c.p == c.end || *c.p != '{')
        return false;
    r->details = c.p;
    if (!wd_json_skip(&c))
        return false;
    r->details_len = (size_t)(c.p - r->details);
    if (r->details_len > WD_AUDIT_DETAILS_MAX || !WD_CURSOR_LIT(&c, ",\"prev\":\"") ||
        !wd_cursor_hex(&c, r->prev, WD_SHA256_LEN) || !WD_CURSOR_LIT(&c, "\""))
        return false;
    r->body_len = (size_t)(c.p - line);
    return WD_CURSOR_LIT(&c, ",\"mac\":\"") && wd_cursor_hex(&c, r->mac, WD_SHA256_LEN) &&
           WD_CURSOR_LIT(&c, "\"}") && c.p == c.end;
}

bool wd_json_field(const char *obj, size_t len, const char *key, const char **val, size_t *val_len)
{
    wd_cursor c = wd_cursor_make(obj, len);
    if (!WD_CURSOR_LIT(&c, "{") || WD_CURSOR_LIT(&c, "}"))
        return false;
    size_t klen = strlen(key);
    for (;;) {
        const char *raw;
        size_t rl;
        if (!wd_json_string(&c, &raw, &rl) || !WD_CURSOR_LIT(&c, ":"))
            return false;
        const char *v = c.p;
        if (!wd_json_skip(&c))
            return false;
        if (rl == klen && !memcmp(raw, key, klen)) {
            *val = v;
            *val_len = (size_t)(c.p - v);
            return true;
        }
        if (!WD_CURSOR_LIT(&c, ","))
            return false;
    }
}

bool wd_json_field_hex(const char *obj, size_t len, const char *key, uint8_t *out, size_t bytes)
{
    const char *v;
    size_t vl;
    if (!wd_json_field(obj, len, key, &v, &vl) || vl != 2 * bytes + 2 || v[0] != '"')
        return false;
    wd_cursor c = wd_cursor_make(v + 1, vl - 2);
    return wd_cursor_hex(&c, out, bytes);
}

bool wd_json_field_u64(const char *obj, size_t len, const char *key, uint64_t *out)
{
    const char *v;
    size_t vl;
    if (!wd_json_field(obj, len, key, &v, &vl))
        return false;
    wd_cursor c = wd_cursor_make(v, vl);
    return wd_cursor_u64(&c, out) && c.p == c.end;
}
