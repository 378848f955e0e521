/* batch.h (daemon): the body of POST /v1/check/batch, parsed in place.
 *
 *   {"component": "examples.reader", "queries": [{"verb": "read", "target": "/a"}, ...]}
 *
 * A batch may hold a hundred thousand queries, and building a JSON tree for it cost more than
 * deciding them: this parser copies the body once and points every string into the copy
 * (unescaped in place, NUL-terminated where its closing quote was). It is as strict as the
 * general path: RFC 8259 over the util/json.h scanner (UTF-8, escapes, no raw control
 * characters), exactly the keys above, each once (compared after unescaping), strings without
 * NUL, nothing after the object. */
#ifndef WDD_BATCH_H
#define WDD_BATCH_H

#include <stddef.h>

#include "warden/engine.h"

typedef struct {
    const char *component;
    wd_check_query *queries;
    size_t n;
    char *text; /* the copy every string points into */
} wdd_batch;

/* 0, or a negative with a one-line reason in why: -2 more than max queries, -3 a string with
 * a NUL character, -4 a component, verb or target longer than its bound (api.h), -1 anything
 * else. */
int wdd_batch_parse(const char *body, size_t len, size_t max, wdd_batch *out, char *why,
                    size_t why_size);
void wdd_batch_free(wdd_batch *b);

#endif
