/* protect.c: protected paths (integrity.h). The globs compile into a policy of deny rules, so
 * they mean exactly what storage rules mean, matched by the same trie. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tamper/codes.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/path.h"
#include "warden/integrity.h"
#include "warden/policy.h"

const char *const wd_protected_defaults[] = {"/etc/warden", "/var/lib/warden", "/var/log/warden",
                                             NULL};

struct wd_protected {
    wd_policy *rules;
};

enum { GLOB_URI_MAX = PATH_MAX + 8 }; /* "fs://" and a glob */

/* The globs as policy text: one storage deny rule for writing to each. */
static int deny_text(wd_buf *b, const char *const *globs, size_t n)
{
    wd_buf_puts(b, "version: \"1.0\"\npermissions:\n  storage:\n    deny:\n");
    for (size_t i = 0; i < n; i++) {
        if (!globs[i] || globs[i][0] != '/')
            return wd_error_set(WD_EINVAL, WD_T_INPUT, NULL, 0, 0,
                                "a protected path is absolute: \"%s\"", globs[i] ? globs[i] : "");
        wd_buf_puts(b, "      - uri: ");
        char uri[GLOB_URI_MAX];
        snprintf(uri, sizeof(uri), "fs://%s", globs[i]);
        wd_json_quote(b, uri, strlen(uri));
        wd_buf_puts(b, "\n        access: [write]\n"); /* write includes create and delete */
    }
    return b->oom ? wd_fail(WD_ENOMEM, "out of memory") : 0;
}

/* Compiles the deny rules; a glob the policy refuses is the caller's invalid input. */
static int compile_rules(wd_protected *p, const wd_buf *text)
{
    wd_policy_options po = WD_POLICY_OPTIONS_INIT;
    po.display_name = "protected paths";
    int rc = wd_policy_load_buffer(&p->rules, text->data, text->len, &po);
    return rc == WD_EPOLICY ? wd_error_set(WD_EINVAL, WD_T_INPUT, NULL, 0, 0,
                                           "a protected path is not a valid glob")
                            : rc;
}

int wd_protected_new(wd_protected **out, const char *const *globs, size_t n)
{
    *out = NULL;
    if (!globs || !n)
        return wd_fail(WD_EINVAL, "protected paths need at least one glob");
    wd_buf text = WD_BUF_INIT;
    wd_protected *p = NULL;
    int rc = deny_text(&text, globs, n);
    if (!rc && !(p = calloc(1, sizeof(*p))))
        rc = wd_fail(WD_ENOMEM, "out of memory");
    if (!rc)
        rc = compile_rules(p, &text);
    wd_buf_free(&text);
    if (rc)
        free(p);
    else
        *out = p;
    return rc;
}

/* A growing list of absolute paths, without repeats. */
typedef struct {
    char **v;
    size_t n, cap;
    int rc;
} path_list;

static void list_add(path_list *l, const char *path)
{
    if (l->rc || !path || path[0] != '/')
        return;
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], path))
            return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            l->rc = wd_fail(WD_ENOMEM, "out of memory");
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(path)))
        l->rc = wd_fail(WD_ENOMEM, "out of memory");
    else
        l->n++;
}

/* A file as given and as resolved, and warden's programs and library beside it. */
static void add_with_siblings(path_list *l, const char *file)
{
    static const char *const names[] = {"warden", "wardend", "warden-runner", "libwarden.so*"};
    char real[PATH_MAX], dir[PATH_MAX + 32];
    list_add(l, file);
    if (!file || !realpath(file, real))
        return;
    list_add(l, real);
    char *slash = strrchr(real, '/');
    *slash = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        snprintf(dir, sizeof(dir), "%s/%s", real, names[i]);
        list_add(l, dir);
    }
    /* An installed library lives in ../lib beside ../bin. */
    slash = strrchr(real, '/');
    if (slash && slash != real) {
        *slash = '\0';
        snprintf(dir, sizeof(dir), "%s/lib/libwarden.so*", real);
        list_add(l, dir);
    }
}

/* Every file this process has mapped: libwarden, each shared object, the executable. */
static void add_mapped(path_list *l)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f) {
        l->rc = wd_error_set(WD_EIO, WD_T_IO, NULL, 0, 0,
                             "cannot read /proc/self/maps to protect warden's own files: %s",
                             strerror(errno));
        return;
    }
    char line[PATH_MAX + 256];
    while (!l->rc && fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        /* "start-end perms offset dev inode   /path/name (deleted)" */
        int skip = 0;
        unsigned long inode = 0;
        if (sscanf(line, "%*s %*s %*s %*s %lu %n", &inode, &skip) < 1 || !skip || !inode)
            continue;
        char *path = line + skip;
        static const char deleted[] = " (deleted)";
        size_t pl = strlen(path), dl = sizeof(deleted) - 1;
        if (pl > dl && !strcmp(path + pl - dl, deleted))
            path[pl - dl] = '\0';
        if (path[0] == '/' && strncmp(path, "/memfd:", 7) != 0)
            list_add(l, path);
    }
    fclose(f);
}

int wd_protected_new_own(wd_protected **out, const char *runner, const char *const *globs, size_t n)
{
    *out = NULL;
    path_list l = {0};
    for (size_t i = 0; i < n; i++) {
        if (!globs[i] || globs[i][0] != '/')
            l.rc = wd_error_set(WD_EINVAL, WD_T_INPUT, NULL, 0, 0,
                                "a protected path is absolute: \"%s\"", globs[i] ? globs[i] : "");
        list_add(&l, globs[i]);
    }
    char self[PATH_MAX];
    ssize_t sn = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (sn > 0) {
        self[sn] = '\0';
        add_with_siblings(&l, self);
    }
    add_with_siblings(&l, runner);
    add_mapped(&l);
    int rc = l.rc ? l.rc : wd_protected_new(out, (const char *const *)l.v, l.n);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
    return rc;
}

void wd_protected_free(wd_protected *p)
{
    if (!p)
        return;
    wd_policy_free(p->rules);
    free(p);
}

/* Protected by a rule (not by default): the rule that matched, or NULL. */
static const wd_rule *matches(const wd_protected *p, const char *path)
{
    static const unsigned accesses[] = {WD_ACCESS_WRITE, WD_ACCESS_CREATE, WD_ACCESS_DELETE};
    for (size_t i = 0; i < 3; i++) {
        wd_request req = {.kind = WD_REQ_STORAGE, .access = accesses[i], .path = path};
        wd_decision d;
        if (wd_policy_decide(p->rules, &req, &d) == 0 && d.rule && d.effect == WD_DENY)
            return d.rule;
    }
    return NULL;
}

/* The path with every symbolic link resolved, one component at a time, dangling links included
 * (writing through a link to a file that does not exist yet creates the target): lexical
 * everywhere but at links, which are read and followed (at most 40). */
static int resolve(const char *norm, char *out, size_t size)
{
    char cur[PATH_MAX] = "", rest[PATH_MAX], next[PATH_MAX], target[PATH_MAX];
    snprintf(rest, sizeof(rest), "%s", norm[0] == '/' ? norm + 1 : norm);
    int hops = 0;
    while (rest[0]) {
        size_t len = strcspn(rest, "/");
        char comp[NAME_MAX + 1];
        if (len > NAME_MAX)
            return -1;
        memcpy(comp, rest, len);
        comp[len] = 0;
        memmove(rest, rest + len + (rest[len] == '/'), strlen(rest + len + (rest[len] == '/')) + 1);
        if (!len || !strcmp(comp, "."))
            continue;
        if (!strcmp(comp, "..")) {
            char *slash = strrchr(cur, '/');
            if (slash)
                *slash = 0;
            continue;
        }
        int n = snprintf(next, sizeof(next), "%s/%s", cur, comp);
        if (n < 0 || (size_t)n >= sizeof(next))
            return -1;
        struct stat st;
        if (lstat(next, &st) != 0 && errno != ENOENT && errno != ENOTDIR)
            return -1; /* cannot tell whether it is a link: unresolvable, refused */
        if (lstat(next, &st) == 0 && S_ISLNK(st.st_mode)) {
            ssize_t t = readlink(next, target, sizeof(target) - 1);
            if (t <= 0 || ++hops > 40)
                return -1;
            target[t] = 0;
            char joined[PATH_MAX];
            n = snprintf(joined, sizeof(joined), "%s%s%s", target[0] == '/' ? target + 1 : target,
                         rest[0] ? "/" : "", rest);
            if (n < 0 || (size_t)n >= sizeof(joined))
                return -1;
            memcpy(rest, joined, (size_t)n + 1);
            if (target[0] == '/')
                cur[0] = 0;
            continue;
        }
        memcpy(cur, next, (size_t)n + 1);
    }
    int n = snprintf(out, size, "%s", cur[0] ? cur : "/");
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int match(const wd_protected *p, const char *path, const char **glob, char *resolved,
                 size_t size, bool tree)
{
    if (glob)
        *glob = NULL;
    if (resolved && size)
        resolved[0] = 0;
    char norm[PATH_MAX];
    bool escapes = false;
    if (!p || !path || wd_path_normalize(path, norm, sizeof(norm), &escapes) != 0 || escapes)
        return wd_fail(WD_EINVAL, "not an absolute path that stays under /: %s", path ? path : "");
    /* Resolved from the path as written, not from its lexical form: the kernel follows a link
     * before it takes ".." from where the link leads ("link/../keys"). */
    char real[PATH_MAX];
    if (resolve(path, real, sizeof(real)) != 0) {
        /* A loop or an unreadable link: what it reaches is unknown, so it is refused. */
        if (resolved && size)
            snprintf(resolved, size, "%s", norm);
        if (glob)
            *glob = "(a path whose symbolic links cannot be resolved)";
        return 1;
    }
    if (resolved && size)
        snprintf(resolved, size, "%s", real);
    const wd_rule *r = matches(p, norm);
    if (!r)
        r = matches(p, real);
    if (r && glob)
        *glob = r->uri + 5; /* past "fs://" */
    struct stat st;
    if (r || !tree || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return r ? 1 : 0; /* only a directory holds anything beneath it */
    /* Deleting, renaming, chmod-ing a directory acts on everything beneath it: refused when a
     * protected path may lie there: the literal part of a pattern at or below the target, or,
     * for a pattern with wildcards, a target anywhere below its literal part (what the
     * wildcards match there is not known without walking it). */
    for (size_t i = 0; i < wd_policy_rule_count(p->rules); i++) {
        const wd_rule *q = wd_policy_rule(p->rules, i);
        bool wild = strchr(q->pattern, '*') != NULL;
        size_t lit = strcspn(q->pattern, "*");
        while (wild && lit > 1 && q->pattern[lit - 1] != '/')
            lit--;
        while (lit > 1 && q->pattern[lit - 1] == '/')
            lit--;
        const char *paths[2] = {norm, real};
        for (int k = 0; k < 2; k++) {
            size_t n = strlen(paths[k]);
            bool above = n == 1 || (lit >= n && !strncmp(q->pattern, paths[k], n) &&
                                    (q->pattern[n] == '/' || n == lit));
            bool below = wild && (lit == 1 || (n > lit && !strncmp(q->pattern, paths[k], lit) &&
                                               paths[k][lit] == '/'));
            if (above || below) {
                if (glob)
                    *glob = q->uri + 5;
                return 1;
            }
        }
    }
    return 0;
}

int wd_protected_match(const wd_protected *p, const char *path, const char **glob, char *resolved,
                       size_t size)
{
    return match(p, path, glob, resolved, size, false);
}

int wd_protected_match_tree(const wd_protected *p, const char *path, const char **glob,
                            char *resolved, size_t size)
{
    return match(p, path, glob, resolved, size, true);
}
