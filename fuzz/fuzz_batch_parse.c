/* fuzz_batch_parse.c: the in-place batch parser (daemon/batch.h) against a reference built on
 * jansson. They must agree on every input: the parser accepts exactly the bodies that are one
 * JSON object with distinct keys, "component" a non-empty string, "queries" an array of objects
 * of exactly a non-empty "verb" and "target" (no NUL anywhere), and then yields the same
 * strings in the same order. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool nonempty(json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0 &&
           strlen(json_string_value(v)) == json_string_length(v);
}

/* The reference: NULL when the body is not a valid batch. */
static json_t *reference(const char *body, size_t len)
{
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    bool ok = json_is_object(j) && json_object_size(j) == 2 &&
              nonempty(json_object_get(j, "component")) &&
              json_is_array(json_object_get(j, "queries"));
    size_t i;
    json_t *q;
    json_array_foreach(ok ? json_object_get(j, "queries") : NULL, i, q)
    {
        ok = ok && json_is_object(q) && json_object_size(q) == 2 &&
             nonempty(json_object_get(q, "verb")) && nonempty(json_object_get(q, "target"));
    }
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wdd_batch b;
    int rc = wdd_batch_parse((const char *)data, size, 1000, &b);
    json_t *ref = reference((const char *)data, size);
    if (rc == WD_ERANGE) { /* more than 1000 queries: the reference has no limit */
        json_decref(ref);
        return 0;
    }
    if ((rc == 0) != (ref != NULL))
        abort();
    if (rc == 0) {
        json_t *qs = json_object_get(ref, "queries");
        if (strcmp(b.component, json_string_value(json_object_get(ref, "component"))) != 0 ||
            b.n != json_array_size(qs))
            abort();
        for (size_t i = 0; i < b.n; i++) {
            json_t *q = json_array_get(qs, i);
            if (strcmp(b.queries[i].verb, json_string_value(json_object_get(q, "verb"))) != 0 ||
                strcmp(b.queries[i].target, json_string_value(json_object_get(q, "target"))) != 0)
                abort();
        }
        wdd_batch_free(&b);
    }
    json_decref(ref);
    return 0;
}
