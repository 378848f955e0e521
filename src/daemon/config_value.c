/* config_value.c: the checks of values every section of wardend's configuration shares (text,
 * mappings, paths, lists), under the walk of the top level (config.c) and the tenants
 * (config_tenants.c); it calls neither. */
#include <stdio.h>
#include <string.h>

#include "daemon/config_value.h"
#include "util/path.h"

char *wdd_config_cdup(parser *p, const char *s, size_t len)
{
    char *d = wd_arena_strndup(&p->box->arena, s, len);
    if (!d)
        p->ck.oom = true;
    return d;
}

bool wdd_config_is_word(const wd_yaml_node *v, const char *w)
{
    return v->kind == WD_YAML_SCALAR && strlen(w) == v->len && !memcmp(v->str, w, v->len);
}

/* A non-empty scalar: a quoted "" is as empty as a missing value. */
bool wdd_config_text(parser *p, const wd_yaml_node *v, const char *what)
{
    if (!wd_ycheck_scalar(&p->ck, v, what))
        return false;
    if (v->len == 0) {
        ERR(p, v, WDD_C_MISSING, "%s is empty", what);
        return false;
    }
    return true;
}

/* A mapping that must be there and hold something; false after reporting. */
bool wdd_config_required_map(parser *p, const wd_yaml_node *parent, const wd_yaml_node *v,
                             const char *what)
{
    if (!v) {
        ERR(p, parent, WDD_C_MISSING, "%s is missing", what);
        return false;
    }
    int k = wd_ycheck_expect(&p->ck, v, WD_YAML_MAP, what);
    if (k == 0)
        ERR(p, v, WDD_C_MISSING, "%s is empty", what);
    return k > 0;
}

/* ---- paths --------------------------------------------------------------------------------- */

/* Resolves s against the base directory (when relative) and normalises it lexically into
 * out[WD_PATH_MAX]; NULL on success, else why not. */
const char *wdd_config_resolve(const char *base, const char *s, size_t len, char *out)
{
    char joined[WD_PATH_MAX + 1];
    bool escapes = false;
    if (memchr(s, '\0', len))
        return "contains a NUL byte";
    int n = s[0] == '/' ? snprintf(joined, sizeof(joined), "%s", s)
                        : snprintf(joined, sizeof(joined), "%s/%s", base, s);
    if (n < 0 || (size_t)n >= WD_PATH_MAX)
        return "is too long";
    if (wd_path_normalize(joined, out, WD_PATH_MAX, &escapes) != 0)
        return "is not a valid path";
    if (escapes)
        return "climbs above \"/\" with \"..\"";
    return NULL;
}

char *wdd_config_path_value(parser *p, const wd_yaml_node *v, const char *what)
{
    if (!wdd_config_text(p, v, what))
        return NULL;
    char norm[WD_PATH_MAX], shown[80];
    const char *why = wdd_config_resolve(p->base, v->str, v->len, norm);
    if (why) {
        ERR(p, v, WDD_C_PATH, "%s %s %s", what, wd_yaml_shown(v, shown, sizeof(shown)), why);
        return NULL;
    }
    return wdd_config_cdup(p, norm, strlen(norm));
}

/* A sequence of at most MAX_LIST scalars, each checked by item (which returns the value to
 * keep, or NULL after reporting). A null node is an empty list. */
char **wdd_config_list_value(parser *p, const wd_yaml_node *v, const char *what, size_t *n,
                             char *(*item)(parser *, const wd_yaml_node *, const char *))
{
    *n = 0;
    int k = wd_ycheck_expect(&p->ck, v, WD_YAML_SEQ, what);
    if (k < 0)
        return NULL;
    size_t count = k ? v->count : 0;
    if (count > MAX_LIST) {
        ERR(p, v, WDD_C_TOO_MANY, "%s has %zu entries; the limit is %d", what, count, MAX_LIST);
        return NULL;
    }
    char **out = wd_arena_array(&p->box->arena, count ? count : 1, sizeof(*out));
    if (!out) {
        p->ck.oom = true;
        return NULL;
    }
    for (const wd_yaml_node *e = k ? v->child : NULL; e; e = e->next) {
        char *s = item(p, e, what);
        if (s)
            out[(*n)++] = s;
    }
    return out;
}
