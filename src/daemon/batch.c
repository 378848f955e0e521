/* batch.c: the batch body parsed in place (batch.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api_int.h"
#include "daemon/batch.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"

/* The parser's words; with where they apply; of a key the client sent, what a reason quotes. */
enum { WHY_MAX = 200, REASON_MAX = 300, KEY_QUOTED = 40 };

typedef struct {
    wd_cursor c;
    char *base;              /* the mutable copy; c walks it */
    char reason[REASON_MAX]; /* the first failure, "... at byte N" */
    bool nul;                /* a string held \u0000: not text, refused like malformed JSON */
    bool too_long;           /* a field over its bound (api.h) */
} parser;

static bool fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(parser *p, const char *fmt, ...)
{
    char msg[WHY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(p->reason, sizeof(p->reason), "%s at byte %zu", msg, (size_t)(p->c.p - p->base));
    return false;
}

/* Whether the body is one valid JSON object whose objects all have distinct keys. */
static bool json_object_text(const char *body, size_t len)
{
    wd_cursor c = wd_cursor_make(body, len);
    while (c.p < c.end && (*c.p == ' ' || *c.p == '\t' || *c.p == '\n' || *c.p == '\r'))
        c.p++;
    if (c.p >= c.end || *c.p != '{' || !wd_json_skip(&c))
        return false;
    while (c.p < c.end && (*c.p == ' ' || *c.p == '\t' || *c.p == '\n' || *c.p == '\r'))
        c.p++;
    return c.p == c.end && wd_json_unique_keys(body, len);
}

/* Records why a batch was refused, with the id its answer carries. */
static int refuse(const parser *p, bool too_many, const char *body, size_t len)
{
    if (too_many)
        return wd_error_set(WD_ERANGE, WDD_E_TOO_LARGE, NULL, 0, 0, "%s", p->reason);
    /* The id says which kind of wrong: a field over its bound (WD-D016), not one JSON object
     * with distinct keys (WD-D001; a NUL in a string too), or the wrong fields (WD-D002). */
    const char *id = p->too_long                              ? WDD_E_FIELD_TOO_LONG
                     : !p->nul && json_object_text(body, len) ? WDD_E_FIELD
                                                              : WDD_E_JSON;
    return wd_error_set(WD_EINVAL, id, NULL, 0, 0, "malformed batch: %s", p->reason);
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

/* Unescapes the n bytes at s where they are (unescaped text is never longer than its escaped
 * form), n becoming the new length; false after fail(). */
static bool unescape_in_place(parser *p, char *s, size_t *n)
{
    wd_buf u = WD_BUF_INIT;
    wd_json_unescape(s, *n, &u);
    bool ok = false;
    if (u.oom) {
        fail(p, "out of memory");
    } else if (memchr(u.data, '\0', u.len)) {
        p->nul = true;
        fail(p, "a string holds a NUL character");
    } else {
        memcpy(s, u.data, u.len);
        *n = u.len;
        ok = true;
    }
    wd_buf_free(&u);
    return ok;
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
    if (memchr(raw, '\\', n) && !unescape_in_place(p, s, &n))
        return false;
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
                return fail(p, "a query has \"verb\" and \"target\", not \"%.*s\"", (int)KEY_QUOTED,
                            key);
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

int wdd_batch_parse(const char *body, size_t len, size_t max, wdd_batch *b)
{
    memset(b, 0, sizeof(*b));
    b->text = malloc(len + 1);
    if (!b->text)
        return wd_fail(WD_ENOMEM, "out of memory reading a batch of %zu bytes", len);
    memcpy(b->text, body, len);
    b->text[len] = '\0';
    parser p = {.c = wd_cursor_make(b->text, len), .base = b->text};
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
            ok = fail(&p, "unknown field \"%.*s\"", (int)KEY_QUOTED, key);
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
        return refuse(&p, too_many, body, len);
    }
    return 0;
}

void wdd_batch_free(wdd_batch *b)
{
    free(b->queries);
    free(b->text);
    memset(b, 0, sizeof(*b));
}
