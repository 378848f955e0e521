/* policy.c: loading (read, check encoding, parse, compile), freeing and inspection. It calls
 * down into parse.c and compile.c; the names of accesses and effects are names.c's. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/codes.h"
#include "policy/policy_int.h"
#include "util/diag.h"
#include "util/error.h"
#include "util/file.h"
#include "util/path.h"
#include "util/text.h"

/* Sets the thread's last error from the first error this load added to diags. */
static int fail_from_diags(const wd_diagnostics *diags, size_t first, int code)
{
    size_t errors = 0;
    const wd_diag *d0 = NULL;
    for (size_t i = first; i < wd_diagnostics_count(diags); i++) {
        const wd_diag *d = wd_diagnostics_get(diags, i);
        if (d->severity != WD_DIAG_ERROR)
            continue;
        if (!d0)
            d0 = d;
        errors++;
    }
    if (!d0)
        return wd_fail(code, "policy could not be loaded");
    if (errors > 1)
        return wd_error_set(code, d0->id, d0->file, d0->line, d0->column, "%s (%zu errors in all)",
                            d0->message, errors);
    return wd_error_set(code, d0->id, d0->file, d0->line, d0->column, "%s", d0->message);
}

/* Gives a new policy its name and its data directory, normalised ("" stands for "/"). */
static int name_policy(wd_policy *p, const char *display, const char *data_dir)
{
    p->refs = 1;
    p->file = wd_arena_strdup(&p->arena, display);
    p->version = p->description = "";
    if (data_dir) {
        char norm[WD_PATH_MAX];
        bool escapes;
        if (wd_path_normalize(data_dir, norm, sizeof(norm), &escapes) != 0 || escapes)
            return wd_fail(WD_EINVAL, "data directory must be an absolute path: %s", data_dir);
        p->data_dir = wd_arena_strdup(&p->arena, strcmp(norm, "/") ? norm : "");
    }
    if (!p->file || (data_dir && !p->data_dir))
        return wd_fail(WD_ENOMEM, "out of memory loading %s", display);
    return 0;
}

/* Parses and compiles the policy text into p; an error is reported from the first error
 * diagnostic this load added. */
static int build_policy(wd_policy *p, const char *data, size_t len, const char *display,
                        wd_diagnostics *diags, size_t first)
{
    int rc = wd_policy_parse(p, data, len, diags);
    wd_diag_sort(diags, first);
    if (rc == 0)
        rc = wd_policy_compile(p);
    if (rc == WD_ENOMEM)
        return wd_fail(WD_ENOMEM, "out of memory loading %s", display);
    if (rc)
        return fail_from_diags(diags, first, rc);
    /* "" stood for "/" so "/" + "/rel" does not double the slash; give callers "/" back. */
    if (p->data_dir && !p->data_dir[0])
        p->data_dir = "/";
    return 0;
}

static int load(wd_policy **out, const char *data, size_t len, const char *display,
                const char *data_dir, wd_diagnostics *diags)
{
    size_t first = wd_diagnostics_count(diags);
    if (len > WD_POLICY_MAX_FILE_SIZE) {
        wd_diag_add(diags, WD_DIAG_ERROR, WD_P_TOO_LARGE, display, 0, 0,
                    "policy is %zu bytes; the limit is %u bytes", len, WD_POLICY_MAX_FILE_SIZE);
        return fail_from_diags(diags, first, WD_EPOLICY);
    }
    const wd_text_source src = {.id = WD_P_UTF8, .display = display, .what = "policy text"};
    if (wd_text_check(&data, &len, &src, diags) != 0)
        return fail_from_diags(diags, first, WD_EPOLICY);

    wd_policy *p = calloc(1, sizeof(*p));
    if (!p)
        return wd_fail(WD_ENOMEM, "out of memory loading %s", display);
    int rc = name_policy(p, display, data_dir);
    if (!rc)
        rc = build_policy(p, data, len, display, diags, first);
    if (rc)
        wd_policy_free(p);
    else
        *out = p;
    return rc;
}

int wd_policy_load_node(wd_policy **out, const struct wd_yaml_node *root, const char *display,
                        const char *data_dir, wd_diagnostics *diags)
{
    *out = NULL;
    size_t first = wd_diagnostics_count(diags);
    wd_policy *p = calloc(1, sizeof(*p));
    if (!p)
        return wd_fail(WD_ENOMEM, "out of memory");
    p->refs = 1;
    p->file = wd_arena_strdup(&p->arena, display);
    p->version = p->description = "";
    p->data_dir = data_dir ? wd_arena_strdup(&p->arena, data_dir) : NULL;
    int rc = !p->file || (data_dir && !p->data_dir) ? WD_ENOMEM : 0;
    if (!rc)
        rc = wd_policy_parse_node(p, root, diags);
    wd_diag_sort(diags, first);
    if (!rc)
        rc = wd_policy_compile(p);
    if (rc) {
        wd_policy_free(p);
        return rc == WD_ENOMEM ? wd_fail(WD_ENOMEM, "out of memory")
                               : fail_from_diags(diags, first, rc);
    }
    *out = p;
    return 0;
}

/* Runs load() with the caller's diagnostics list, or a private one so the first error can
 * still be reported through wd_error_last(). */
static int load_with_diags(wd_policy **out, const char *data, size_t len, const char *display,
                           const char *data_dir, const wd_policy_options *opts)
{
    wd_diagnostics *own = NULL, *diags = opts ? opts->diagnostics : NULL;
    if (!diags && wd_diagnostics_new(&own) != 0)
        return wd_fail(WD_ENOMEM, "out of memory");
    int rc = load(out, data, len, display, data_dir, diags ? diags : own);
    wd_diagnostics_free(own);
    return rc;
}

static int check_options(const wd_policy_options *opts)
{
    if (opts && opts->version != WD_POLICY_OPTIONS_VERSION)
        return wd_fail(WD_EINVAL, "wd_policy_options version %u is not supported", opts->version);
    if (opts && opts->data_dir && opts->data_dir[0] != '/')
        return wd_fail(WD_EINVAL, "data directory must be an absolute path: %s", opts->data_dir);
    return 0;
}

int wd_policy_load(wd_policy **out, const char *path, const wd_policy_options *opts)
{
    if (!out || !path)
        return wd_fail(WD_EINVAL, "wd_policy_load needs an output and a path");
    *out = NULL;
    int rc = check_options(opts);
    if (rc)
        return rc;
    const char *display = opts && opts->display_name ? opts->display_name : path;

    /* Default data directory: the policy file's own directory, made absolute lexically. */
    char dir[WD_PATH_MAX];
    const char *data_dir = opts ? opts->data_dir : NULL;
    if (!data_dir) {
        char abs[WD_PATH_MAX + 1], cwd[WD_PATH_MAX];
        int n;
        if (path[0] == '/') {
            n = snprintf(abs, sizeof(abs), "%s", path);
        } else {
            if (!getcwd(cwd, sizeof(cwd)))
                return wd_fail(WD_EIO, "cannot determine the current directory");
            n = snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
        }
        bool escapes;
        if (n < 0 || (size_t)n >= WD_PATH_MAX ||
            wd_path_normalize(abs, dir, sizeof(dir), &escapes) != 0 || escapes)
            return wd_error_set(WD_EINVAL, WD_P_IO, display, 0, 0, "path is too long");
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else if (slash)
            *slash = '\0';
        data_dir = dir;
    }

    char *data;
    size_t len;
    rc = wd_file_read(path, WD_POLICY_MAX_FILE_SIZE, &data, &len, WD_P_IO, WD_P_TOO_LARGE);
    if (rc) {
        /* Too large is a property of the policy (invalid, WD-P002); anything else means the
         * file could not be read at all. */
        const wd_error *e = wd_error_last();
        if (opts && opts->diagnostics)
            wd_diag_add(opts->diagnostics, WD_DIAG_ERROR, e->id[0] ? e->id : WD_P_IO, display, 0, 0,
                        "%s", e->message);
        int code = rc == WD_ERANGE ? WD_EPOLICY : rc == WD_ENOMEM ? WD_ENOMEM : WD_EIO;
        return wd_error_set(code, e->id, display, 0, 0, "%s", e->message);
    }
    rc = load_with_diags(out, data, len, display, data_dir, opts);
    free(data);
    return rc;
}

int wd_policy_load_buffer(wd_policy **out, const char *data, size_t len,
                          const wd_policy_options *opts)
{
    if (!out || (!data && len))
        return wd_fail(WD_EINVAL, "wd_policy_load_buffer needs an output and data");
    *out = NULL;
    int rc = check_options(opts);
    if (rc)
        return rc;
    const char *display = opts && opts->display_name ? opts->display_name : "<buffer>";
    return load_with_diags(out, data ? data : "", len, display, opts ? opts->data_dir : NULL, opts);
}

wd_policy *wd_policy_ref(const wd_policy *p)
{
    wd_policy *mp = (wd_policy *)p; /* the count is the one mutable field, and it is atomic */
    if (mp)
        __atomic_add_fetch(&mp->refs, 1, __ATOMIC_RELAXED);
    return mp;
}

void wd_policy_free(wd_policy *p)
{
    if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    wd_policy_index_free(p);
    wd_arena_free(&p->arena);
    free(p);
}

const char *wd_policy_version(const wd_policy *p)
{
    return p->version;
}

const char *wd_policy_description(const wd_policy *p)
{
    return p->description ? p->description : "";
}

const char *wd_policy_data_dir(const wd_policy *p)
{
    return p->data_dir;
}

int wd_policy_lists_tools(const wd_policy *p)
{
    return p->lists_tools;
}

size_t wd_policy_rule_count(const wd_policy *p)
{
    return p->rule_count;
}

const wd_rule *wd_policy_rule(const wd_policy *p, size_t i)
{
    return i < p->rule_count ? &p->rules[i].pub : NULL;
}

const wd_resources *wd_policy_resources(const wd_policy *p)
{
    return &p->resources;
}

size_t wd_policy_memory(const wd_policy *p)
{
    return sizeof(*p) + p->arena.total + wd_policy_index_memory(p);
}
