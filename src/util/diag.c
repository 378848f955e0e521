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

void wd_diag_sort(wd_diagnostics *diags, size_t first)
{
    /* Insertion sort: stable, and a file's diagnostics are few and nearly ordered already. */
    if (!diags)
        return;
    for (size_t i = first + 1; i < diags->count; i++) {
        wd_diag d = diags->items[i];
        size_t j = i;
        while (j > first &&
               (diags->items[j - 1].line > d.line ||
                (diags->items[j - 1].line == d.line && diags->items[j - 1].column > d.column))) {
            diags->items[j] = diags->items[j - 1];
            j--;
        }
        diags->items[j] = d;
    }
}
