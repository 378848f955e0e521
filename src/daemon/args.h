/* args.h (daemon): request arguments read the same way by the HTTP API and by MCP. */
#ifndef WDD_ARGS_H
#define WDD_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A storage grant's "access": a non-empty array of read, write, execute, create, delete, as
 * WD_ACCESS_* bits in *bits. Absent is allowed only when required is false (a revoke of the
 * whole rule: *bits 0). False with a one-line reason in why. */
bool wdd_args_access(json_t *access, bool required, unsigned *bits, char *why, size_t size);

#endif
