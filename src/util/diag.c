/* diag.c: the diagnostics list. Each entry owns one allocation holding its strings. */
#include "util/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wd_diagnostics {
    wd_diag *items;
    size_t count, cap, errors;
};

int wd_diagnostics_new(wd_diagnostics **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : WD_ENOMEM;
}

void wd_diagnostics_free(wd_diagnostics *diags)
{
    if (!diags)
        return;
    for (size_t i = 0; i < diags->count; i++)
        free((void *)diags->items[i].id); /* id heads the entry's single allocation */
    free(diags->items);
    free(diags);
}

size_t wd_diagnostics_count(const wd_diagnostics *diags)
{
    return diags ? diags->count : 0;
}

size_t wd_diagnostics_errors(const wd_diagnostics *diags)
{
    return diags ? diags->errors : 0;
}

const wd_diag *wd_diagnostics_get(const wd_diagnostics *diags, size_t i)
{
    return diags && i < diags->count ? &diags->items[i] : NULL;
}

int wd_diag_add(wd_diagnostics *diags, wd_diag_severity severity, const char *id, const char *file,
                unsigned line, unsigned column, const char *fmt, ...)
{
    if (!diags)
        return 0;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';

    if (diags->count == diags->cap) {
        size_t cap = diags->cap ? diags->cap * 2 : 8;
        wd_diag *items = realloc(diags->items, cap * sizeof(*items));
        if (!items)
            return WD_ENOMEM;
        diags->items = items;
        diags->cap = cap;
    }
    if (!file)
        file = "";
    size_t lid = strlen(id) + 1, lfile = strlen(file) + 1, lmsg = strlen(msg) + 1;
    char *mem = malloc(lid + lfile + lmsg);
    if (!mem)
        return WD_ENOMEM;
    memcpy(mem, id, lid);
    memcpy(mem + lid, file, lfile);
    memcpy(mem + lid + lfile, msg, lmsg);
    diags->items[diags->count++] =
        (wd_diag){severity, mem, mem + lid, line, column, mem + lid + lfile};
    if (severity == WD_DIAG_ERROR)
        diags->errors++;
    return 0;
}

size_t wd_diag_format(const wd_diag *d, char *buf, size_t size)
{
    const char *sev = d->severity == WD_DIAG_ERROR ? "error" : "warning";
    int n;
    if (d->line)
        n = snprintf(buf, size, "%s:%u:%u: %s %s: %s", d->file, d->line, d->column ? d->column : 1,
                     sev, d->id, d->message);
    else
        n = snprintf(buf, size, "%s: %s %s: %s", d->file, sev, d->id, d->message);
    return n < 0 ? 0 : (size_t)n;
}

typedef struct {
    wd_diag d;
    size_t index;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->d.line != y->d.line)
        return x->d.line < y->d.line ? -1 : 1;
    if (x->d.column != y->d.column)
        return x->d.column < y->d.column ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index; /* stable */
}

void wd_diag_sort(wd_diagnostics *diags, size_t first)
{
    /* O(n log n) on any input: a hostile file can produce hundreds of thousands of
     * diagnostics in any order. */
    if (!diags || diags->count <= first + 1)
        return;
    size_t n = diags->count - first;
    ranked *r = malloc(n * sizeof(*r));
    if (!r)
        return; /* unsorted is still correct, only less readable */
    for (size_t i = 0; i < n; i++)
        r[i] = (ranked){diags->items[first + i], i};
    qsort(r, n, sizeof(*r), cmp_ranked);
    for (size_t i = 0; i < n; i++)
        diags->items[first + i] = r[i].d;
    free(r);
}
