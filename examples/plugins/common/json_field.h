/* json_field.h: the smallest useful JSON reading for plugins that link nothing but libc (the
 * examples, and the project's benchmark and hostile plugins): the value of one top-level key.
 * Real plugins would use a JSON library; these keep the sandbox with nothing else to map. */
#ifndef WD_EXAMPLE_JSON_FIELD_H
#define WD_EXAMPLE_JSON_FIELD_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static inline const char *json_skip_space(const char *v)
{
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    return v;
}

/* The text right after "key": (whitespace skipped), or NULL when the key is not there. */
static inline const char *json_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = text; (p = strchr(p, '"')) != NULL; p++) {
        if (strncmp(p + 1, key, klen) != 0 || p[1 + klen] != '"')
            continue;
        const char *v = json_skip_space(p + 2 + klen);
        if (*v++ != ':')
            continue;
        return json_skip_space(v);
    }
    return NULL;
}

/* Copies the string value of "key" into out (size bytes, NUL-terminated), unescaping \" \\
 * \n \t. Returns 0, or -1 when the key is missing, not a string, or too long. */
static inline int json_field(const char *text, const char *key, char *out, size_t size)
{
    const char *v = json_value(text, key);
    if (!v || *v++ != '"')
        return -1;
    size_t n = 0;
    for (; *v && *v != '"'; v++) {
        char c = *v;
        if (c == '\\') {
            c = *++v;
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
            if (!c)
                return -1;
        }
        if (n + 1 >= size)
            return -1;
        out[n++] = c;
    }
    if (*v != '"')
        return -1;
    out[n] = 0;
    return 0;
}

/* The unsigned number value of "key" (a JSON number, or a string of digits); 0, or -1. */
static inline int json_number(const char *text, const char *key, unsigned long *out)
{
    char quoted[32];
    const char *v = json_value(text, key);
    if (v && *v == '"' && json_field(text, key, quoted, sizeof(quoted)) == 0)
        v = quoted;
    if (!v || *v < '0' || *v > '9')
        return -1;
    char *end;
    *out = strtoul(v, &end, 10);
    return v == quoted && *end ? -1 : 0;
}

#endif
