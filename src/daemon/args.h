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

/* Bounds on what a client sends that may reach an audit record, checked before anything is
 * decided or recorded (400 WD-D016): an audit write error then only ever means the log
 * failed. A target's bound is the longest path Linux takes (PATH_MAX); a component id's is a
 * plugin id's; a verb's is well above the longest verb. */
enum { WDD_FIELD_MAX = 4096, WDD_COMPONENT_MAX = 128, WDD_VERB_MAX = 32 };
/* The bound of the argument named key: component, verb, else WDD_FIELD_MAX. */
size_t wdd_field_max(const char *key);

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

/* obj[key] as a non-empty string without NUL of at most wdd_field_max(key) bytes. NULL when
 * absent and not required (err->fault 0), or with err->fault set. */
const char *wdd_arg_string(json_t *obj, const char *key, bool required, wdd_arg_error *err);
/* false with err filled when obj has a key not in allowed (NULL-terminated). */
bool wdd_arg_only_keys(json_t *obj, const char *const *allowed, wdd_arg_error *err);

#endif
