/* args.c: request arguments shared by the HTTP API and MCP (args.h). */
#include <stdio.h>
#include <string.h>

#include "daemon/args.h"
#include "warden/policy.h"

bool wdd_args_access(json_t *access, bool required, unsigned *bits, char *why, size_t size)
{
    *bits = 0;
    if ((!access && required) ||
        (access && (!json_is_array(access) || json_array_size(access) == 0))) {
        snprintf(why, size,
                 "\"access\" must be a non-empty array of read, write, execute, create, delete");
        return false;
    }
    size_t i;
    json_t *a;
    json_array_foreach(access, i, a)
    {
        unsigned bit;
        if (!json_is_string(a) || wd_access_parse(json_string_value(a), &bit) != 0) {
            snprintf(why, size, "access[%zu] is not read, write, execute, create or delete", i);
            return false;
        }
        *bits |= bit;
    }
    return true;
}

size_t wdd_field_max(const char *key)
{
    if (strcmp(key, "component") == 0)
        return WDD_COMPONENT_MAX;
    if (strcmp(key, "verb") == 0)
        return WDD_VERB_MAX;
    return WDD_FIELD_MAX;
}

const char *wdd_arg_string(json_t *obj, const char *key, bool required, wdd_arg_error *err)
{
    size_t max = wdd_field_max(key);
    json_t *v = json_object_get(obj, key);
    *err = (wdd_arg_error){.key = key};
    if (!v && !required)
        return NULL;
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        *err = (wdd_arg_error){.fault = WDD_ARG_NOT_STRING, .key = key};
        return NULL;
    }
    /* What reaches an audit record is never oversize, so a failure to record it is always the
     * log's (WD-D016). */
    if (json_string_length(v) > max) {
        *err = (wdd_arg_error){.fault = WDD_ARG_TOO_LONG, .key = key, .max = max};
        return NULL;
    }
    return json_string_value(v);
}

bool wdd_arg_only_keys(json_t *obj, const char *const *allowed, wdd_arg_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            *err = (wdd_arg_error){.fault = WDD_ARG_UNKNOWN, .key = key};
            return false;
        }
    }
    return true;
}
