/* yaml_tree.c: libyaml events -> wd_yaml_node tree, refusing unsafe YAML. */
#include "yaml/yaml_tree.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/diag.h"
#include "warden/common.h"
#include "yaml/codes.h"

typedef struct {
    wd_arena *arena;
    const char *file;
    wd_diagnostics *diags;
    int errors;
    size_t nodes;
    /* Open containers, innermost last; tail[i] is the last child appended to stack[i]. */
    wd_yaml_node *stack[WD_YAML_MAX_DEPTH];
    wd_yaml_node *tail[WD_YAML_MAX_DEPTH];
    int depth;
    wd_yaml_node *root;
    bool too_deep_reported;
} builder;

static void error_at(builder *b, const char *id, unsigned line, unsigned col, const char *msg,
                     const char *arg)
{
    b->errors++;
    wd_diag_add(b->diags, WD_DIAG_ERROR, id, b->file, line, col, "%s%s", msg, arg ? arg : "");
}

static wd_yaml_node *new_node(builder *b, wd_yaml_kind kind, const yaml_mark_t *mark)
{
    wd_yaml_node *n = wd_arena_alloc(b->arena, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = kind;
    n->line = (unsigned)mark->line + 1;
    n->column = (unsigned)mark->column + 1;
    return n;
}

static void append(builder *b, wd_yaml_node *n)
{
    if (b->depth == 0) {
        b->root = n;
        return;
    }
    int top = b->depth - 1;
    if (b->tail[top])
        b->tail[top]->next = n;
    else
        b->stack[top]->child = n;
    b->tail[top] = n;
}

static int cmp_keys(const void *a, const void *b)
{
    const wd_yaml_node *x = *(wd_yaml_node *const *)a, *y = *(wd_yaml_node *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->str, y->str, n);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    /* Equal keys: order by position so the later one is reported as the duplicate. */
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->column < y->column ? -1 : (x->column > y->column);
}

/* Counts children and checks a closed mapping: keys must be scalars and unique. Sorting makes
 * this O(n log n) so a hostile file with a huge mapping cannot make loading quadratic. */
static void close_container(builder *b, wd_yaml_node *n)
{
    size_t count = 0;
    for (wd_yaml_node *c = n->child; c; c = c->next)
        count++;
    if (n->kind == WD_YAML_SEQ) {
        n->count = count;
        return;
    }
    n->count = count / 2;
    if (n->count < 2) {
        for (wd_yaml_node *k = n->child; k; k = k->next ? k->next->next : NULL)
            if (k->kind != WD_YAML_SCALAR)
                error_at(b, WD_YAML_E_TYPE, k->line, k->column, "mapping keys must be scalars",
                         NULL);
        return;
    }
    wd_yaml_node **keys = malloc(n->count * sizeof(*keys));
    if (!keys) {
        error_at(b, WD_YAML_E_LIMIT, n->line, n->column, "out of memory checking keys", NULL);
        return;
    }
    size_t k = 0;
    for (wd_yaml_node *c = n->child; c && c->next; c = c->next->next) {
        if (c->kind != WD_YAML_SCALAR)
            error_at(b, WD_YAML_E_TYPE, c->line, c->column, "mapping keys must be scalars", NULL);
        else
            keys[k++] = c;
    }
    qsort(keys, k, sizeof(*keys), cmp_keys);
    for (size_t i = 1; i < k; i++)
        if (keys[i]->len == keys[i - 1]->len &&
            !memcmp(keys[i]->str, keys[i - 1]->str, keys[i]->len))
            error_at(b, WD_YAML_E_DUPLICATE_KEY, keys[i]->line, keys[i]->column,
                     "duplicate key: ", keys[i]->str);
    free(keys);
}

static bool has_anchor_or_tag(builder *b, const yaml_event_t *ev)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
        break;
    default:
        return false;
    }
    unsigned line = (unsigned)ev->start_mark.line + 1, col = (unsigned)ev->start_mark.column + 1;
    if (anchor)
        error_at(b, WD_YAML_E_ANCHOR, line, col, "anchors and aliases are not allowed: &",
                 (const char *)anchor);
    if (tag)
        error_at(b, WD_YAML_E_TAG, line, col, "explicit tags are not allowed: ", (const char *)tag);
    return anchor || tag;
}

static void scalar_node(builder *b, const yaml_event_t *ev)
{
    wd_yaml_node *n = new_node(b, WD_YAML_SCALAR, &ev->start_mark);
    if (!n) {
        error_at(b, WD_YAML_E_LIMIT, 0, 0, "out of memory", NULL);
        return;
    }
    n->len = ev->data.scalar.length;
    /* "\0" is a legal YAML escape, but every value is used as a C string: one with a NUL
     * inside would be read as something shorter than what was written. */
    if (memchr(ev->data.scalar.value, '\0', n->len)) {
        error_at(b, WD_YAML_E_UTF8, n->line, n->column, "NUL character (\\0) in a value", NULL);
        return;
    }
    n->str = wd_arena_strndup(b->arena, (const char *)ev->data.scalar.value, n->len);
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (!n->str) {
        error_at(b, WD_YAML_E_LIMIT, n->line, n->column, "out of memory", NULL);
        return;
    }
    /* libyaml marks count characters; map the value onto the source only when it sits on one
     * line and no escapes or folding changed its length. */
    const yaml_mark_t *s = &ev->start_mark, *e = &ev->end_mark;
    size_t chars = 0;
    for (size_t i = 0; i < n->len; i++)
        chars += ((unsigned char)n->str[i] & 0xC0) != 0x80;
    size_t quote = n->plain ? 0 : 1;
    if (s->line == e->line &&
        (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
         ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
         ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) &&
        e->index - s->index == chars + 2 * quote)
        n->text_column = (unsigned)(s->column + quote) + 1;
    append(b, n);
}

static void open_container(builder *b, const yaml_event_t *ev, wd_yaml_kind kind)
{
    if (b->depth == WD_YAML_MAX_DEPTH) {
        if (!b->too_deep_reported)
            error_at(b, WD_YAML_E_LIMIT, (unsigned)ev->start_mark.line + 1,
                     (unsigned)ev->start_mark.column + 1, "nesting deeper than 64 levels", NULL);
        b->too_deep_reported = true;
        b->depth++; /* keep counting so the matching end event balances */
        return;
    }
    if (b->depth > WD_YAML_MAX_DEPTH) {
        b->depth++;
        return;
    }
    wd_yaml_node *n = new_node(b, kind, &ev->start_mark);
    if (!n) {
        error_at(b, WD_YAML_E_LIMIT, 0, 0, "out of memory", NULL);
        b->stack[b->depth] = NULL;
        b->depth++;
        return;
    }
    append(b, n);
    b->stack[b->depth] = n;
    b->tail[b->depth] = NULL;
    b->depth++;
}

static void end_container(builder *b)
{
    b->depth--;
    if (b->depth < WD_YAML_MAX_DEPTH && b->stack[b->depth])
        close_container(b, b->stack[b->depth]);
}

static void syntax_error(builder *b, const yaml_parser_t *parser)
{
    unsigned line = (unsigned)parser->problem_mark.line + 1;
    unsigned col = (unsigned)parser->problem_mark.column + 1;
    b->errors++;
    if (parser->context)
        wd_diag_add(b->diags, WD_DIAG_ERROR, WD_YAML_E_SYNTAX, b->file, line, col,
                    "invalid YAML: %s %s", parser->problem ? parser->problem : "error",
                    parser->context);
    else
        wd_diag_add(b->diags, WD_DIAG_ERROR, WD_YAML_E_SYNTAX, b->file, line, col,
                    "invalid YAML: %s", parser->problem ? parser->problem : "error");
}

/* Adds one event to the tree; false once the stream has ended or has more nodes than the
 * limit. documents counts the documents begun. */
static bool take_event(builder *b, yaml_event_t *ev, int *documents)
{
    if (ev->type != YAML_STREAM_START_EVENT && ev->type != YAML_STREAM_END_EVENT &&
        ev->type != YAML_DOCUMENT_END_EVENT && ev->type != YAML_SEQUENCE_END_EVENT &&
        ev->type != YAML_MAPPING_END_EVENT && ++b->nodes > WD_YAML_MAX_NODES) {
        error_at(b, WD_YAML_E_LIMIT, (unsigned)ev->start_mark.line + 1,
                 (unsigned)ev->start_mark.column + 1, "more than 1000000 YAML nodes", NULL);
        return false;
    }
    has_anchor_or_tag(b, ev);
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*documents == 2)
            error_at(b, WD_YAML_E_MULTI_DOC, (unsigned)ev->start_mark.line + 1,
                     (unsigned)ev->start_mark.column + 1,
                     "a policy file holds exactly one YAML document", NULL);
        break;
    case YAML_ALIAS_EVENT:
        error_at(b, WD_YAML_E_ANCHOR, (unsigned)ev->start_mark.line + 1,
                 (unsigned)ev->start_mark.column + 1, "anchors and aliases are not allowed: *",
                 (const char *)ev->data.alias.anchor);
        /* Stand in a null so the surrounding mapping stays balanced. */
        {
            wd_yaml_node *n = new_node(b, WD_YAML_SCALAR, &ev->start_mark);
            if (n) {
                n->str = "";
                n->plain = true;
                if (b->depth <= WD_YAML_MAX_DEPTH)
                    append(b, n);
            }
        }
        break;
    case YAML_SCALAR_EVENT:
        if (*documents < 2 && b->depth <= WD_YAML_MAX_DEPTH)
            scalar_node(b, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (*documents < 2)
            open_container(b, ev, ev->type == YAML_MAPPING_START_EVENT ? WD_YAML_MAP : WD_YAML_SEQ);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (*documents < 2)
            end_container(b);
        break;
    case YAML_STREAM_END_EVENT:
        return false;
    default:
        break;
    }
    return true;
}

int wd_yaml_parse(wd_arena *arena, const char *data, size_t len, const char *file,
                  wd_diagnostics *diags, wd_yaml_node **root)
{
    *root = NULL;
    builder b = {.arena = arena, .file = file, .diags = diags};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return wd_diag_add(diags, WD_DIAG_ERROR, WD_YAML_E_LIMIT, file, 0, 0, "out of memory"),
               WD_EPOLICY;
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

    int documents = 0;
    for (bool more = true; more;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            syntax_error(&b, &parser);
            break;
        }
        more = take_event(&b, &ev, &documents);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (b.errors)
        return WD_EPOLICY;
    *root = b.root;
    return 0;
}

bool wd_yaml_is_null(const wd_yaml_node *n)
{
    if (!n || n->kind != WD_YAML_SCALAR || !n->plain)
        return false;
    return n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
           !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

unsigned wd_yaml_column_at(const wd_yaml_node *n, size_t off)
{
    if (!n->text_column || off > n->len)
        return n->column;
    unsigned col = n->text_column;
    for (size_t i = 0; i < off; i++)
        col += ((unsigned char)n->str[i] & 0xC0) != 0x80;
    return col;
}
