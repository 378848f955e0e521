/* yaml_check.h (yaml): checking a YAML tree against what a format expects, shared by every
 * strict format warden reads (policies, contracts, wardend's configuration). The caller supplies
 * its own stable ids, so a policy reports WD-P codes, a contract WD-L codes and the
 * configuration WD-C codes through the same checks. */
#ifndef WD_YAML_YAML_CHECK_H
#define WD_YAML_YAML_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "yaml/yaml_tree.h"
#include "warden/diag.h"

typedef struct {
    wd_diagnostics *diags;
    const char *file;
    int errors;
    bool oom;
    const char *id_type;        /* wrong kind of node */
    const char *id_missing;     /* required value empty */
    const char *id_unknown_key; /* key not in the format */
} wd_ycheck;

void wd_ycheck_report(wd_ycheck *c, wd_diag_severity sev, const char *id, unsigned line,
                      unsigned col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#define WD_YERR(c, node, id, ...)                                                                  \
    wd_ycheck_report((c), WD_DIAG_ERROR, (id), (node)->line, (node)->column, __VA_ARGS__)
#define WD_YERR_AT(c, node, off, id, ...)                                                          \
    wd_ycheck_report((c), WD_DIAG_ERROR, (id), (node)->line, wd_yaml_column_at((node), (off)),     \
                     __VA_ARGS__)

/* Quoted, bounded, printable rendering of a scalar for messages: control characters as \xNN,
 * cut (with "...") at a character boundary so the result stays UTF-8. */
const char *wd_yaml_shown(const wd_yaml_node *n, char *buf, size_t size);
/* 1 when n is the wanted kind, 0 when it is null (an empty section), -1 after reporting. */
int wd_ycheck_expect(wd_ycheck *c, const wd_yaml_node *n, wd_yaml_kind kind, const char *what);
/* A non-empty scalar, or false after reporting. */
bool wd_ycheck_scalar(wd_ycheck *c, const wd_yaml_node *n, const char *what);
/* Reports every key of map not in allowed (NULL-terminated), naming the expected ones. */
void wd_ycheck_keys(wd_ycheck *c, const wd_yaml_node *map, const char *const *allowed,
                    const char *where);
/* The value under key in a mapping, or NULL. */
const wd_yaml_node *wd_yaml_get(const wd_yaml_node *map, const char *key);

#endif
