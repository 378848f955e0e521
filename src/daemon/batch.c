/* batch.c: the batch body parsed in place (batch.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/batch.h"
#include "util/buf.h"
#include "util/json.h"

typedef struct {
    wd_cursor c;
    char *base; /* the mutable copy; c walks it */
    char *why;
    size_t why_size;
    bool nul;      /* a string held \u0000: not text, refused like malformed JSON */
    bool too_long; /* a field over its bound (api.h) */
} parser;

static bool fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(parser *p, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(p->why, p->why_size, "%s at byte %zu", msg, (size_t)(p->c.p - p->base));
    return false;
}

static void ws(parser *p)
{
    while (p->c.p < p->c.end &&
           (*p->c.p == ' ' || *p->c.p == '\t' || *p->c.p == '\n' || *p->c.p == '\r'))
        p->c.p++;
}

static bool expect(parser *p, char ch)
{
    ws(p);
    if (p->c.p >= p->c.end || *p->c.p != ch)
        return fail(p, "expected '%c'", ch);
    p->c.p++;
    return true;
}

static bool peek(parser *p, char ch)
{
    ws(p);
    return p->c.p < p->c.end && *p->c.p == ch;
}

/* A string, unescaped in place and NUL-terminated where its closing quote was. */
static bool string(parser *p, const char **out, size_t *len)
{
    ws(p);
    const char *raw;
    size_t n;
    if (!wd_json_string(&p->c, &raw, &n))
        return fail(p, "expected a valid JSON string");
    char *s = (char *)raw; /* inside base, which is ours */
    if (memchr(raw, '\\', n)) {
        /* Unescaped text is never longer than its escaped form. */
        wd_buf u = WD_BUF_INIT;
        wd_json_unescape(raw, n, &u);
        if (u.oom) {
            wd_buf_free(&u);
            return fail(p, "out of memory");
        }
        if (memchr(u.data, '\0', u.len)) {
            wd_buf_free(&u);
            p->nul = true;
            return fail(p, "a string holds a NUL character");
        }
        memcpy(s, u.data, u.len);
        n = u.len;
        wd_buf_free(&u);
    }
    s[n] = '\0';
    *out = s;
    if (len)
        *len = n;
    return true;
}

static bool query(parser *p, wd_check_query *q)
{
    if (!expect(p, '{'))
        return false;
    q->verb = q->target = NULL;
    if (!peek(p, '}'))
        for (;;) {
            const char *key, *value;
            if (!string(p, &key, NULL) || !expect(p, ':'))
                return false;
            const char **slot = strcmp(key, "verb") == 0     ? &q->verb
                                : strcmp(key, "target") == 0 ? &q->target
                                                             : NULL;
            if (!slot)
                return fail(p, "a query has \"verb\" and \"target\", not \"%.40s\"", key);
            if (*slot)
                return fail(p, "\"%s\" twice in one query", key);
            size_t n;
            if (!string(p, &value, &n))
                return false;
            if (n == 0)
                return fail(p, "\"%s\" is empty", key);
            size_t max = slot == &q->verb ? WDD_VERB_MAX : WDD_FIELD_MAX;
            if (n > max) {
                p->too_long = true;
                return fail(p, "\"%s\" is longer than %zu bytes", key, max);
            }
            *slot = value;
            if (peek(p, '}'))
                break;
            if (!expect(p, ','))
                return false;
        }
    p->c.p++;
    if (!q->verb || !q->target)
        return fail(p, "a query needs a \"verb\" and a \"target\"");
    return true;
}

static bool queries(parser *p, wdd_batch *b, size_t max, int *too_many)
{
    if (!expect(p, '['))
        return false;
    size_t cap = 0;
    if (!peek(p, ']'))
        for (;;) {
            if (b->n == max) {
                *too_many = 1;
                return fail(p, "more than %zu queries in one batch", max);
            }
            if (b->n == cap) {
                cap = cap ? cap * 2 : 64;
                if (cap > max)
                    cap = max;
                wd_check_query *grown = realloc(b->queries, cap * sizeof(*grown));
                if (!grown)
                    return fail(p, "out of memory");
                b->queries = grown;
            }
            if (!query(p, &b->queries[b->n]))
                return false;
            b->n++;
            if (peek(p, ']'))
                break;
            if (!expect(p, ','))
                return false;
        }
    p->c.p++;
    return true;
}

int wdd_batch_parse(const char *body, size_t len, size_t max, wdd_batch *b, char *why,
                    size_t why_size)
{
    memset(b, 0, sizeof(*b));
    b->text = malloc(len + 1);
    if (!b->text) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    memcpy(b->text, body, len);
    b->text[len] = '\0';
    parser p = {wd_cursor_make(b->text, len), b->text, why, why_size, false, false};
    bool have_component = false, have_queries = false;
    int too_many = 0;
    bool ok = expect(&p, '{');
    if (ok && peek(&p, '}'))
        ok = fail(&p, "a batch needs \"component\" and \"queries\"");
    while (ok) {
        const char *key;
        ok = string(&p, &key, NULL) && expect(&p, ':');
        if (!ok)
            break;
        if (strcmp(key, "component") == 0) {
            size_t n;
            ok = !have_component ? string(&p, &b->component, &n) : fail(&p, "\"component\" twice");
            if (ok && n == 0)
                ok = fail(&p, "\"component\" is empty");
            if (ok && n > WDD_COMPONENT_MAX) {
                p.too_long = true;
                ok = fail(&p, "\"component\" is longer than %d bytes", WDD_COMPONENT_MAX);
            }
            have_component = true;
        } else if (strcmp(key, "queries") == 0) {
            ok = !have_queries ? queries(&p, b, max, &too_many) : fail(&p, "\"queries\" twice");
            have_queries = true;
        } else {
            ok = fail(&p, "unknown field \"%.40s\"", key);
        }
        if (!ok || peek(&p, '}'))
            break;
        ok = expect(&p, ',');
    }
    if (ok && (!have_component || !have_queries))
        ok = fail(&p, "a batch needs \"component\" and \"queries\"");
    if (ok) {
        p.c.p++; /* the closing brace */
        ws(&p);
        if (p.c.p != p.c.end)
            ok = fail(&p, "content after the object");
    }
    if (!ok) {
        wdd_batch_free(b);
        return too_many ? -2 : p.nul ? -3 : p.too_long ? -4 : -1;
    }
    return 0;
}

void wdd_batch_free(wdd_batch *b)
{
    free(b->queries);
    free(b->text);
    memset(b, 0, sizeof(*b));
}
