/* api_check.c: POST /v1/check and POST /v1/check/batch. Answers are written straight into the
 * response buffer: a batch of 100,000 decisions should cost decisions, not JSON objects. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/api_int.h"
#include "daemon/batch.h"
#include "util/json.h"
#include "util/timeutil.h"

enum { MEMO = 16 };

/* A verdict the policy made (reason rule, tie, no_rule, escapes_root) reads the same for every
 * target that meets the same rules: its JSON is written once per request and copied after. */
typedef struct {
    wd_effect effect;
    wd_verdict_reason cause;
    const wd_rule *rule, *other;
    size_t off, len; /* in memo_text */
} memo_entry;

typedef struct {
    wd_buf *out;
    wdd_tenant_metrics *m;
    uint64_t allowed, denied;
    uint64_t by_kind[WDD_KINDS][2];
    const wd_check_query *queries;
    memo_entry memo[MEMO];
    size_t nmemo;
    wd_buf memo_text;
} writer;

static void quote(wd_buf *b, const char *s)
{
    wd_json_quote(b, s, strlen(s));
}

/* Everything of a verdict but its operation id and closing brace. */
static void verdict_body(wd_buf *b, const wd_verdict *v)
{
    wd_buf_puts(b, v->effect == WD_ALLOW ? "{\"decision\":\"allow\",\"reason\":"
                                         : "{\"decision\":\"deny\",\"reason\":");
    quote(b, v->reason);
    wd_buf_puts(b, ",\"explanation\":");
    quote(b, v->explanation);
    if (v->rule) {
        wd_buf_puts(b, ",\"rule\":{\"file\":");
        quote(b, v->rule->file);
        wd_buf_printf(b, ",\"line\":%u,\"column\":%u,\"text\":", v->rule->line, v->rule->column);
        quote(b, v->rule->text);
        wd_buf_putc(b, '}');
    } else {
        wd_buf_puts(b, ",\"rule\":null");
    }
}

static bool cacheable(const wd_verdict *v)
{
    if (v->error)
        return false;
    switch (v->cause) {
    case WD_VERDICT_RULE:
    case WD_VERDICT_TIE:
    case WD_VERDICT_NO_RULE:
    case WD_VERDICT_ESCAPES_ROOT:
        return true;
    default: /* these quote the target, or depend on more than the rules */
        return false;
    }
}

static void write_body(writer *w, const wd_verdict *v)
{
    if (!cacheable(v)) {
        verdict_body(w->out, v);
        return;
    }
    for (size_t k = 0; k < w->nmemo; k++) {
        const memo_entry *m = &w->memo[k];
        if (m->effect == v->effect && m->rule == v->rule && m->other == v->other &&
            m->cause == v->cause) {
            wd_buf_append(w->out, w->memo_text.data + m->off, m->len);
            return;
        }
    }
    size_t off = w->memo_text.len;
    verdict_body(&w->memo_text, v);
    if (w->memo_text.oom) {
        verdict_body(w->out, v);
        return;
    }
    if (w->nmemo < MEMO)
        w->memo[w->nmemo++] = (memo_entry){.effect = v->effect,
                                           .cause = v->cause,
                                           .rule = v->rule,
                                           .other = v->other,
                                           .off = off,
                                           .len = w->memo_text.len - off};
    wd_buf_append(w->out, w->memo_text.data + off, w->memo_text.len - off);
}

static int write_verdict(void *ctx, size_t i, const wd_verdict *v)
{
    writer *w = ctx;
    wd_buf *b = w->out;
    if (i)
        wd_buf_putc(b, ',');
    write_body(w, v);
    if (v->operation[0]) {
        wd_buf_puts(b, ",\"operation\":");
        quote(b, v->operation);
    }
    wd_buf_putc(b, '}');
    bool allow = v->effect == WD_ALLOW;
    w->by_kind[wdd_metrics_kind(w->queries[i].verb, v->error)][allow]++;
    if (allow)
        w->allowed++;
    else
        w->denied++;
    return b->oom ? WD_ENOMEM : 0;
}

static void flush_metrics(writer *w)
{
    for (int k = 0; k < WDD_KINDS; k++)
        for (int a = 0; a < 2; a++)
            if (w->by_kind[k][a])
                wdd_metrics_decisions(w->m, k, a, w->by_kind[k][a]);
}

enum { PART_MIN = 4096, PARTS_MAX = 8, PART_MESSAGE_MAX = 512 };

/* One share of a request's queries, decided on its own thread into its own buffer. */
typedef struct {
    wd_engine *engine;
    const char *component;
    writer w;
    wd_buf out;
    size_t n;
    int rc;
    char message[PART_MESSAGE_MAX]; /* the share's error: its thread's last error is its own */
} part;

static void *run_part(void *arg)
{
    part *p = arg;
    p->rc = wd_engine_check(p->engine, p->component, p->w.queries, p->n, write_verdict, &p->w);
    wd_buf_free(&p->w.memo_text);
    if (p->rc) /* the last error is the thread's own: keep it for the answer */
        snprintf(p->message, sizeof(p->message), "%s", wd_error_last()->message);
    return NULL;
}

/* How many threads share n decisions: one per CPU for a big batch, else the caller alone. */
static size_t parts_for(size_t n)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t k = cpus > 0 ? (size_t)cpus : 1;
    if (k > PARTS_MAX)
        k = PARTS_MAX;
    if (k > n / PART_MIN)
        k = n / PART_MIN;
    return k ? k : 1;
}

/* Answers a check the engine could not answer (rc, with the message of the share that failed:
 * the last error is that thread's own). The alarm is for the log failing, never for a record a
 * client could make too big, so "unavailable" is the log's own state, not the code. */
static void check_error(wdd_response *resp, wdd_tenant_rt *t, int rc, const char *component,
                        const char *message)
{
    bool log_failed = rc == WD_EIO && wdd_audit_failed(t->audit);
    if (log_failed) {
        wdd_metrics_audit_error(t->metrics);
        wdd_metrics_audit_state(t->metrics, true, (uint64_t)time(NULL));
    }
    wd_error_kind kind = log_failed ? WD_KIND_UNAVAILABLE : wd_error_kind_of(rc);
    unsigned status = wdd_api_status(kind);
    switch (kind) {
    case WD_KIND_NOT_FOUND:
        wdd_api_error(resp, status, WDD_E_NOT_FOUND, "no component \"%.*s\"",
                      (int)WDD_COMPONENT_MAX, component);
        break;
    case WD_KIND_UNAVAILABLE:
        wdd_api_error(resp, status, WDD_E_AUDIT, "%s", message);
        break;
    case WD_KIND_INTERNAL:
        if (rc == WD_EIO)
            wdd_api_error(resp, status, WDD_E_INTERNAL, "the decision could not be recorded: %s",
                          message);
        else
            wdd_api_error(resp, status, WDD_E_INTERNAL, "%s", message);
        break;
    default: /* a query the engine refused (wd_engine_check: WD_EINVAL) */
        wdd_api_error(resp, status, WDD_E_INVALID, "%s", message);
    }
}

/* Runs the engine over queries and answers; the prefix and suffix frame the verdicts. A big
 * batch is shared between threads (decisions are independent and the engine is thread-safe);
 * the answer keeps the queries' order, though the DECISION records of the shares interleave. */
static void run(wdd_daemon *d, wdd_tenant_rt *t, const char *component,
                const wd_check_query *queries, size_t n, bool batch, wdd_response *resp)
{
    uint64_t start = wd_time_mono_ns();
    size_t k = parts_for(n);
    part parts[PARTS_MAX];
    pthread_t threads[PARTS_MAX];
    bool started[PARTS_MAX] = {false};
    for (size_t i = 0, off = 0; i < k; i++) {
        size_t m = n / k + (i < n % k);
        parts[i] = (part){
            .engine = t->engine,
            .component = component,
            .w = {.m = t->metrics, .queries = queries + off, .memo_text = WD_BUF_INIT},
            .out = WD_BUF_INIT,
            .n = m,
        };
        off += m;
    }
    wd_buf_clear(&resp->body);
    /* A batch's answer is about 260 bytes a decision: grown once, not doubled twenty times. */
    if (n > 1)
        wd_buf_reserve(&resp->body, n * 260 + 64);
    if (batch)
        wd_buf_puts(&resp->body, "{\"results\":[");
    parts[0].w.out = &resp->body;
    for (size_t i = 1; i < k; i++) {
        parts[i].w.out = &parts[i].out;
        wd_buf_reserve(&parts[i].out, parts[i].n * 260);
        started[i] = pthread_create(&threads[i], NULL, run_part, &parts[i]) == 0;
        if (!started[i])
            run_part(&parts[i]);
    }
    run_part(&parts[0]);
    int rc = parts[0].rc;
    const char *message = parts[0].message;
    for (size_t i = 1; i < k; i++) {
        if (started[i])
            pthread_join(threads[i], NULL);
        if (!rc && parts[i].rc) {
            rc = parts[i].rc;
            message = parts[i].message;
        }
        if (!rc && parts[i].out.len) {
            wd_buf_putc(&resp->body, ',');
            wd_buf_append(&resp->body, parts[i].out.data, parts[i].out.len);
        }
        wd_buf_free(&parts[i].out);
    }
    if (rc) {
        check_error(resp, t, rc, component, message);
        return;
    }
    uint64_t allowed = 0, denied = 0;
    for (size_t i = 0; i < k; i++) {
        flush_metrics(&parts[i].w);
        allowed += parts[i].w.allowed;
        denied += parts[i].w.denied;
    }
    if (batch)
        wd_buf_printf(&resp->body, "],\"allowed\":%llu,\"denied\":%llu}\n",
                      (unsigned long long)allowed, (unsigned long long)denied);
    else
        wd_buf_putc(&resp->body, '\n');
    if (resp->body.oom) {
        wdd_api_error(resp, 500, WDD_E_INTERNAL, "out of memory");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
    wdd_metrics_decision_latency(d->metrics, wd_time_mono_ns() - start);
}

void wdd_api_check(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    static const char *const keys[] = {"component", "verb", "target", NULL};
    json_t *j = wdd_api_parse_json(req, resp);
    if (!j)
        return;
    const char *component, *verb = NULL, *target = NULL;
    if (wdd_api_only_keys(j, keys, resp) &&
        (component = wdd_api_string(j, "component", true, resp)) &&
        (verb = wdd_api_string(j, "verb", true, resp)) &&
        (target = wdd_api_string(j, "target", true, resp))) {
        wd_check_query q = {verb, target};
        run(d, wdd_state_tenant(s, req->tenant), component, &q, 1, false, resp);
    }
    json_decref(j);
}

void wdd_api_check_batch(wdd_daemon *d, wdd_state *s, const wdd_request *req, wdd_response *resp)
{
    /* Every query is checked for shape before any is decided: a malformed batch is refused
     * whole, and nothing of it is recorded. */
    wdd_batch b;
    if (wdd_batch_parse(req->body ? req->body : "", req->body_len, s->cfg->max_batch, &b) != 0) {
        wdd_api_engine_error(resp, wd_error_last()->code);
        return;
    }
    run(d, wdd_state_tenant(s, req->tenant), b.component, b.queries, b.n, true, resp);
    wdd_batch_free(&b);
}
