/* args.h (daemon): request arguments read the same way by the HTTP API and by MCP. The readers
 * decide; each front end words the refusal in its own envelope (a 400 answer, a tool error),
 * which is why a refusal comes back as a wdd_arg_error and not as text. */
#ifndef WDD_ARGS_H
#define WDD_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A storage grant's "access": a non-empty array of read, write, execute, create, delete, as
 * WD_ACCESS_* bits in *bits. Absent is allowed only when required is false (a revoke of the
 * whole rule: *bits 0). False with a one-line reason in why. */
bool wdd_args_access(json_t *access, bool required, unsigned *bits, char *why, size_t size);

/* Why an argument was refused (0: it was not). */
typedef enum {
    WDD_ARG_NOT_STRING = 1, /* missing but required, not a string, empty, or holding a NUL */
    WDD_ARG_TOO_LONG,       /* longer than its bound */
    WDD_ARG_UNKNOWN,        /* a key the request does not define */
} wdd_arg_fault;

typedef struct {
    wdd_arg_fault fault;
    const char *key; /* the argument's name (for WDD_ARG_UNKNOWN: the object's own key) */
    size_t max;      /* WDD_ARG_TOO_LONG: the bound */
} wdd_arg_error;

/* obj[key] as a non-empty string without NUL of at most max bytes (the caller's bound for that
 * field, wdd_field_max in api.h). NULL when absent and not required (err->fault 0), or with
 * err->fault set. */
const char *wdd_arg_string(json_t *obj, const char *key, bool required, size_t max,
                           wdd_arg_error *err);
/* false with err filled when obj has a key not in allowed (NULL-terminated). */
bool wdd_arg_only_keys(json_t *obj, const char *const *allowed, wdd_arg_error *err);

#endif
