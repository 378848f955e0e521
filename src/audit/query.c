/* query.c: reading records back with filters. */
#include <stdlib.h>
#include <string.h>

#include "audit/lines.h"
#include "audit/record.h"
#include "util/error.h"
#include "util/json.h"

typedef struct {
    wd_buf corr, comp, details, line, type, ts;
} scratch;

static bool matches(const wd_audit_query *q, const wd_record_view *r, scratch *s)
{
    if (q->type && (strlen(q->type) != r->type_len || memcmp(q->type, r->type, r->type_len)))
        return false;
    if (q->min_severity && r->severity < q->min_severity)
        return false;
    if (q->since_ns && r->ts_ns < q->since_ns)
        return false;
    if (q->until_ns && r->ts_ns > q->until_ns)
        return false;
    if (q->component) {
        wd_buf_clear(&s->comp);
        wd_json_unescape(r->comp, r->comp_len, &s->comp);
        if (strcmp(wd_buf_cstr(&s->comp), q->component))
            return false;
    }
    return true;
}

static int emit(const char *line, size_t len, scratch *s,
                int (*fn)(const wd_audit_record *, void *), void *ctx)
{
    wd_record_view r;
    if (!wd_record_parse(line, len, &r))
        return 0;
    wd_buf *bufs[] = {&s->corr, &s->comp, &s->details, &s->line, &s->type, &s->ts};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        wd_buf_clear(bufs[i]);
    wd_json_unescape(r.corr, r.corr_len, &s->corr);
    wd_json_unescape(r.comp, r.comp_len, &s->comp);
    wd_buf_append(&s->details, r.details, r.details_len);
    wd_buf_append(&s->line, line, len);
    wd_buf_append(&s->type, r.type, r.type_len);
    wd_buf_append(&s->ts, r.ts, 30);
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        if (bufs[i]->oom)
            return wd_fail(WD_ENOMEM, "out of memory");
    wd_audit_record rec = {r.seq,
                           r.ts_ns,
                           wd_buf_cstr(&s->ts),
                           wd_buf_cstr(&s->type),
                           r.severity,
                           wd_buf_cstr(&s->corr),
                           wd_buf_cstr(&s->comp),
                           wd_buf_cstr(&s->details),
                           wd_buf_cstr(&s->line)};
    return fn(&rec, ctx) ? 1 : 0;
}

int wd_audit_query_run(const char *log_dir, const wd_audit_query *q,
                       int (*fn)(const wd_audit_record *, void *), void *ctx)
{
    if (!log_dir || !q || !fn || q->version != WD_AUDIT_QUERY_VERSION)
        return wd_fail(WD_EINVAL, "wd_audit_query_run needs a log, a query and a callback");
    wd_lines it;
    int rc = wd_lines_open(&it, log_dir);
    if (rc)
        return rc;
    scratch s = {WD_BUF_INIT, WD_BUF_INIT, WD_BUF_INIT, WD_BUF_INIT, WD_BUF_INIT, WD_BUF_INIT};
    /* For "the last N", keep a ring of the N latest matching lines. */
    bool ring = q->last && q->limit;
    char **kept = ring ? calloc(q->limit, sizeof(*kept)) : NULL;
    size_t *kept_len = ring ? calloc(q->limit, sizeof(*kept_len)) : NULL;
    uint64_t matched = 0;
    if (ring && (!kept || !kept_len))
        rc = wd_fail(WD_ENOMEM, "out of memory");
    const char *line;
    size_t len;
    bool torn;
    int got;
    while (!rc && (got = wd_lines_next(&it, &line, &len, &torn)) == 1) {
        wd_record_view r;
        if (torn || !wd_record_parse(line, len, &r) || !matches(q, &r, &s))
            continue;
        if (ring) {
            size_t slot = matched % q->limit;
            free(kept[slot]);
            kept[slot] = malloc(len + 1);
            if (!kept[slot]) {
                rc = wd_fail(WD_ENOMEM, "out of memory");
                break;
            }
            memcpy(kept[slot], line, len);
            kept_len[slot] = len;
            matched++;
            continue;
        }
        int stop = emit(line, len, &s, fn, ctx);
        if (stop < 0)
            rc = stop;
        if (stop || (q->limit && ++matched >= q->limit))
            break;
    }
    if (!rc && got < 0)
        rc = got;
    if (ring) {
        uint64_t n = matched < q->limit ? matched : q->limit;
        for (uint64_t i = 0; i < n && !rc; i++) {
            size_t slot = (matched - n + i) % q->limit;
            int stop = emit(kept[slot], kept_len[slot], &s, fn, ctx);
            if (stop)
                rc = stop < 0 ? stop : 0;
            if (stop)
                break;
        }
        for (uint64_t i = 0; kept && i < q->limit; i++)
            free(kept[i]);
    }
    free(kept);
    free(kept_len);
    wd_buf_free(&s.corr);
    wd_buf_free(&s.comp);
    wd_buf_free(&s.details);
    wd_buf_free(&s.line);
    wd_buf_free(&s.type);
    wd_buf_free(&s.ts);
    wd_lines_close(&it);
    return rc;
}
