/* yaml_tree.h (yaml): a YAML document as a tree of scalars, mappings and sequences that
 * remembers where each node was written. Built from libyaml's event stream so that everything
 * "safe YAML" forbids is seen and refused: anchors, aliases, explicit tags, more than one
 * document, nesting deeper than WD_YAML_MAX_DEPTH, more than WD_YAML_MAX_NODES nodes, and
 * duplicate keys. */
#ifndef WD_YAML_YAML_TREE_H
#define WD_YAML_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "warden/diag.h"

#define WD_YAML_MAX_DEPTH 64
#define WD_YAML_MAX_NODES 1000000

typedef enum { WD_YAML_SCALAR = 1, WD_YAML_MAP = 2, WD_YAML_SEQ = 3 } wd_yaml_kind;

typedef struct wd_yaml_node wd_yaml_node;
struct wd_yaml_node {
    wd_yaml_kind kind;
    unsigned line, column; /* 1-based, where the node starts */
    /* Scalars: the value (NUL-terminated copy), whether it was plain (unquoted, so "~" or ""
     * mean null), and the column of the value's first character when the value maps 1:1 onto
     * one source line (0 otherwise), so errors can point inside a value. */
    const char *str;
    size_t len;
    bool plain;
    unsigned text_column;
    /* Mappings: children alternate key, value. Sequences: children are the items. */
    wd_yaml_node *child;
    wd_yaml_node *next;
    size_t count; /* pairs for a mapping, items for a sequence */
};

/* Parses data[0..len) (already checked to be UTF-8). Every problem found is added to diags as
 * an error for file; returns 0 with *root set (NULL for a document with no content), or
 * WD_EPOLICY when any error was found. Nodes live in arena. */
int wd_yaml_parse(wd_arena *arena, const char *data, size_t len, const char *file,
                  wd_diagnostics *diags, wd_yaml_node **root);

/* A plain scalar written as nothing, "~" or "null". */
bool wd_yaml_is_null(const wd_yaml_node *node);

/* Column of byte offset off inside a scalar's value, for pointing at the bad character;
 * falls back to the node's own column when the value does not map 1:1 onto the source. */
unsigned wd_yaml_column_at(const wd_yaml_node *node, size_t off);

#endif
