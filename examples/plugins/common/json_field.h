/* json_field.h: the smallest useful JSON reading for the example plugins: the string value of
 * one top-level key, unescaped for the common escapes. Real plugins would use a JSON library;
 * these examples link nothing but libc so the sandbox has nothing else to map. */
#ifndef WD_EXAMPLE_JSON_FIELD_H
#define WD_EXAMPLE_JSON_FIELD_H

#include <stddef.h>
#include <string.h>

/* Copies the string value of "key" in the object text into out (size bytes, NUL-terminated).
 * Returns 0, or -1 when the key is missing, not a string, or too long. */
static inline int json_field(const char *text, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    for (const char *p = text; (p = strchr(p, '"')) != NULL; p++) {
        if (strncmp(p + 1, key, klen) != 0 || p[1 + klen] != '"')
            continue;
        const char *v = p + 2 + klen;
        while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
            v++;
        if (*v++ != ':')
            continue;
        while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
            v++;
        if (*v++ != '"')
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
    return -1;
}

#endif
