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

/* 0, or a WD_E* code with the error recorded (wd_error_last) under the id the answer carries:
 * WD_ERANGE for more than max queries (WD-D007); WD_EINVAL for a component, verb or target
 * longer than its bound (api.h; WD-D016), for a body that is not one JSON object with distinct
 * keys or holds a NUL character in a string (WD-D001), and for the wrong fields (WD-D002), the
 * message then starting "malformed batch: "; WD_ENOMEM. */
int wdd_batch_parse(const char *body, size_t len, size_t max, wdd_batch *out);
void wdd_batch_free(wdd_batch *b);

#endif
