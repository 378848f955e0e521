/* onex.h (internal): an ONEX handler contract (handler_name, handler_class, handler_type,
 * capability_tags, handler_version, security, config, ...) turned into a warden contract for
 * `runtime: python` (docs/onex.md). Pure: bytes in, text out, no file system access, so the
 * whole conversion can be fuzzed. `warden plugin import-onex` reads the file, hashes the
 * handler tree and writes the result.
 *
 * The ONEX file is hostile input like any contract: it goes through warden's strict YAML tree
 * (no anchors, aliases, tags or duplicate keys, bounded size and nesting), every wrong type or
 * missing field is a WD-Lnnn error with its location, and no field is dropped silently: what
 * cannot be carried over is a note, on stderr and as a comment at the top of the output. */
#ifndef WD_REGISTRY_ONEX_H
#define WD_REGISTRY_ONEX_H

#include <stddef.h>

#include "util/buf.h"
#include "warden/diag.h"

/* The handler tree named by --handler-root cannot be hashed into the contract (docs/errors.md). */

typedef struct {
    const char *file;         /* the ONEX contract as messages name it */
    const char *level;        /* --level: the author's security level, over the file's; or NULL */
    const char *version;      /* --version: the version, over handler_version; or NULL */
    const char *handler_root; /* handler_root as the output writes it; NULL: a placeholder */
    const char *tree_sha256;  /* the handler tree's hash (64 lowercase hex) with handler_root */
    const char *policy;       /* the policy file the output names; NULL: "policy.yaml" */
} wd_onex_options;

/* Converts the ONEX contract data[0..len). Returns 0 with the warden contract in out (ASCII,
 * one YAML document) and every note in notes (zero or more lines "FILE:LINE:COL: note: ...");
 * WD_EPOLICY with every error in errors (ids WD-Lnnn; out and notes are then unspecified);
 * WD_EINVAL for options that are not valid (a level, version or hash the caller should have
 * checked); WD_ENOMEM. */
int wd_onex_convert(const char *data, size_t len, const wd_onex_options *opts,
                    wd_diagnostics *errors, wd_buf *out, wd_buf *notes);

#endif
