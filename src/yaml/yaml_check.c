/* yaml_check.c: the checks every strict YAML format shares. */
#include "yaml/yaml_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/diag.h"

void wd_ycheck_report(wd_ycheck *c, wd_diag_severity sev, const char *id, unsigned line,
                      unsigned col, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (sev == WD_DIAG_ERROR)
        c->errors++;
    if (wd_diag_add(c->diags, sev, id, c->file, line, col, "%s", msg))
        c->oom = true;
}

const char *wd_yaml_shown(const wd_yaml_node *n, char *buf, size_t size)
{
    static const char tail[] = "...\""; /* what a cut value ends with */
    size_t o = 0, i = 0;
    buf[o++] = '"';
    while (i < n->len) {
        unsigned char c = (unsigned char)n->str[i];
        size_t in = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2; /* input bytes */
        size_t out = c < 0x20 || c == 0x7f ? 4 : in;                  /* output bytes */
        if (i + in > n->len || o + out + sizeof(tail) > size)
            break;
        if (out == 4 && in == 1)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        else
            memcpy(buf + o, n->str + i, in), o += in;
        i += in;
    }
    if (i < n->len) {
        memcpy(buf + o, tail, sizeof(tail)); /* includes the NUL */
        return buf;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

static const char *kind_name(wd_yaml_kind k)
{
    return k == WD_YAML_MAP ? "a mapping" : k == WD_YAML_SEQ ? "a sequence" : "a scalar";
}

int wd_ycheck_expect(wd_ycheck *c, const wd_yaml_node *n, wd_yaml_kind kind, const char *what)
{
    if (wd_yaml_is_null(n))
        return 0;
    if (n->kind == kind)
        return 1;
    WD_YERR(c, n, c->id_type, "%s must be %s, not %s", what, kind_name(kind), kind_name(n->kind));
    return -1;
}

bool wd_ycheck_scalar(wd_ycheck *c, const wd_yaml_node *n, const char *what)
{
    if (n->kind == WD_YAML_SCALAR && !wd_yaml_is_null(n))
        return true;
    if (n->kind == WD_YAML_SCALAR)
        WD_YERR(c, n, c->id_missing, "%s is empty", what);
    else
        WD_YERR(c, n, c->id_type, "%s must be a scalar, not %s", what, kind_name(n->kind));
    return false;
}

void wd_ycheck_keys(wd_ycheck *c, const wd_yaml_node *map, const char *const *allowed,
                    const char *where)
{
    for (const wd_yaml_node *k = map->child; k && k->next; k = k->next->next) {
        if (k->kind != WD_YAML_SCALAR)
            continue; /* already reported by the tree builder */
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strlen(*a) == k->len && !memcmp(*a, k->str, k->len);
        if (ok)
            continue;
        char expected[200] = "", name[80];
        size_t o = 0;
        for (const char *const *a = allowed; *a; a++)
            o += (size_t)snprintf(expected + o, o < sizeof(expected) ? sizeof(expected) - o : 0,
                                  "%s%s", a == allowed ? "" : ", ", *a);
        WD_YERR(c, k, c->id_unknown_key, "unknown key %s in %s (expected %s)",
                wd_yaml_shown(k, name, sizeof(name)), where, expected);
    }
}

const wd_yaml_node *wd_yaml_get(const wd_yaml_node *map, const char *key)
{
    size_t len = strlen(key);
    for (const wd_yaml_node *k = map->child; k && k->next; k = k->next->next)
        if (k->kind == WD_YAML_SCALAR && k->len == len && !memcmp(k->str, key, len))
            return k->next;
    return NULL;
}
