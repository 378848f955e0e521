/* args.c: request arguments shared by the HTTP API and MCP (args.h). */
#include <stdio.h>

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
