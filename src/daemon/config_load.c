/* config_load.c: wardend's configuration loaded (config.h): a buffer or a file checked for
 * size and UTF-8, parsed as YAML and walked (config.c), each token file read and checked, and
 * the loaded configuration freed (tokens wiped) and looked up by uid or token.
 *
 * Every problem becomes a diagnostic with its place and a WD-C id, and any error fails the
 * whole load; the first error is also the caller's wd_error_last(). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "daemon/config_int.h"
#include "util/diag.h"
#include "util/error.h"
#include "util/file.h"
#include "util/path.h"
#include "util/secure.h"
#include "util/text.h"

/* ---- loading --------------------------------------------------------------------------------- */

static int fail_first(wd_diagnostics *diags, size_t first, int code)
{
    for (size_t i = first; i < wd_diagnostics_count(diags); i++) {
        const wd_diag *d = wd_diagnostics_get(diags, i);
        if (d->severity == WD_DIAG_ERROR)
            return wd_error_set(code, d->id, d->file, d->line, d->column, "%s", d->message);
    }
    return wd_fail(code, "configuration could not be loaded");
}

/* The tree builder speaks in policy ids; in a configuration every such problem is "not valid
 * (safe) YAML", with the builder's own message and location. */
static int relabel_yaml(wd_diagnostics *from, wd_diagnostics *to)
{
    for (size_t i = 0; i < wd_diagnostics_count(from); i++) {
        const wd_diag *d = wd_diagnostics_get(from, i);
        if (wd_diag_add(to, d->severity, WDD_C_YAML, d->file, d->line, d->column, "%s (%s)",
                        d->message, d->id))
            return WD_ENOMEM;
    }
    return 0;
}

/* Parses into a new box; display names the file in diagnostics, abs_path is recorded. */
static int parse_config(config_box **out, const char *data, size_t len, const char *display,
                        const char *abs_path, const char *base, wd_diagnostics *diags)
{
    *out = NULL;
    if (len > MAX_FILE) {
        wd_diag_add(diags, WD_DIAG_ERROR, WDD_C_TOO_LARGE, display, 0, 0,
                    "configuration is %zu bytes; the limit is %d bytes", len, MAX_FILE);
        return WD_EPOLICY;
    }
    const wd_text_source src = {.id = WDD_C_UTF8, .display = display, .what = "the text"};
    if (wd_text_check(&data, &len, &src, diags) != 0)
        return WD_EPOLICY;
    config_box *box = calloc(1, sizeof(*box));
    if (!box)
        return WD_ENOMEM;
    wdd_config *c = &box->cfg;
    c->path = wd_arena_strdup(&box->arena, abs_path);
    c->unix_mode = 0660;
    c->max_body = 1u << 20;
    c->max_header = 16u << 10;
    c->timeout_s = 10;
    c->max_connections = 256;
    c->max_connections_per_peer = 64;
    c->head_timeout_ms = 5000;
    c->max_batch = 10000; /* about 850 KB of queries: fits the default max_body */
    c->invoke_timeout_ms = 10000;

    wd_arena scratch = WD_ARENA_INIT;
    wd_diagnostics *yd = NULL;
    wd_yaml_node *root = NULL;
    int rc = c->path ? wd_diagnostics_new(&yd) : WD_ENOMEM;
    if (!rc && wd_yaml_parse(&scratch, data, len, display, yd, &root) != 0)
        rc = relabel_yaml(yd, diags) ? WD_ENOMEM : WD_EPOLICY;
    wd_diagnostics_free(yd);
    if (!rc) {
        parser p = {.ck = {.diags = diags,
                           .file = display,
                           .id_type = WDD_C_TYPE,
                           .id_missing = WDD_C_MISSING,
                           .id_unknown_key = WDD_C_UNKNOWN_KEY},
                    .box = box,
                    .scratch = &scratch,
                    .base = base};
        wdd_config_parse_tree(&p, root);
        rc = p.ck.oom ? WD_ENOMEM : p.ck.errors ? WD_EPOLICY : 0;
    }
    wd_arena_free(&scratch);
    if (rc) {
        wdd_config_free(c);
        return rc;
    }
    *out = box;
    return 0;
}

/* Normalises dir (absolute) into out[WD_PATH_MAX]. */
static bool base_ok(const char *dir, char *out)
{
    bool escapes;
    return dir && wd_path_normalize(dir, out, WD_PATH_MAX, &escapes) == 0 && !escapes;
}

/* The end of a load, parsed from a buffer or a file: diagnostics in source order, the first
 * error as the call's, the configuration handed out only when everything loaded. */
static int finish(int rc, config_box *box, wd_diagnostics *diags, size_t first, wd_diagnostics *own,
                  wdd_config **out)
{
    wd_diag_sort(diags, first);
    if (rc == WD_ENOMEM)
        rc = wd_fail(WD_ENOMEM, "out of memory");
    else if (rc)
        rc = fail_first(diags, first, rc);
    else
        *out = &box->cfg;
    wd_diagnostics_free(own);
    return rc;
}

int wdd_config_parse(wdd_config **out, const char *data, size_t len, const char *file,
                     const char *base_dir, wd_diagnostics *diags)
{
    if (!out || (!data && len))
        return wd_fail(WD_EINVAL, "wdd_config_parse needs an output and data");
    *out = NULL;
    char base[WD_PATH_MAX], abs[WD_PATH_MAX];
    if (!base_ok(base_dir, base))
        return wd_fail(WD_EINVAL, "the base directory must be an absolute path");
    const char *display = file ? file : "warden.yaml";
    if (wdd_config_resolve(base, display, strlen(display), abs))
        return wd_fail(WD_EINVAL, "the configuration's file name is not a valid path");
    wd_diagnostics *own = NULL;
    if (!diags && wd_diagnostics_new(&own) != 0)
        return wd_fail(WD_ENOMEM, "out of memory");
    if (!diags)
        diags = own;
    size_t first = wd_diagnostics_count(diags);
    config_box *box = NULL;
    int rc = parse_config(&box, data ? data : "", len, display, abs, base, diags);
    return finish(rc, box, diags, first, own, out);
}

/* A path for a one-line message: control characters escaped, bounded. */
static const char *shown_path(const char *s, char *buf, size_t size)
{
    wd_yaml_node n = {.kind = WD_YAML_SCALAR, .str = s, .len = strlen(s)};
    return wd_yaml_shown(&n, buf, size);
}

/* Adds a token file problem at the client that names the file; returns false. */
static bool token_err(wd_diagnostics *diags, const char *id, const char *display,
                      const wdd_client *cl, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static bool token_err(wd_diagnostics *diags, const char *id, const char *display,
                      const wdd_client *cl, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wd_diag_add(diags, WD_DIAG_ERROR, id, display, cl->line, cl->column, "%s", msg);
    return false;
}

enum { SHOWN_PATH_MAX = 120 }; /* a token file's path in a message, escaped and bounded */

/* One token file being read: where diagnostics about it go, and its path as messages show it. */
typedef struct {
    wdd_client *cl;
    const char *display;
    wd_diagnostics *diags;
    char shown[SHOWN_PATH_MAX];
} token_src;

/* A secret is read only from a regular file of the daemon's user that no one else may read;
 * false after adding a diagnostic. */
static bool token_file_private(const token_src *ts, int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return token_err(ts->diags, WDD_C_TOKEN_READ, ts->display, ts->cl,
                         "token file %s is not a regular file", ts->shown);
    if (st.st_uid != geteuid())
        return token_err(ts->diags, WDD_C_TOKEN_PERM, ts->display, ts->cl,
                         "token file %s is owned by uid %u, not by the daemon's user (uid %u)",
                         ts->shown, (unsigned)st.st_uid, (unsigned)geteuid());
    if (st.st_mode & 077)
        return token_err(ts->diags, WDD_C_TOKEN_PERM, ts->display, ts->cl,
                         "token file %s has mode %04o: a secret must be 0600 or stricter",
                         ts->shown, (unsigned)(st.st_mode & 07777));
    return true;
}

/* Reads until size bytes, end of file or an error; 0, or the errno of the read that failed. */
static int read_upto(int fd, uint8_t *buf, size_t size, size_t *n)
{
    *n = 0;
    while (*n < size) {
        ssize_t r = read(fd, buf + *n, size - *n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return errno;
        if (r == 0)
            break;
        *n += (size_t)r;
    }
    return 0;
}

/* Keeps the n bytes read (err: the read's errno) as the client's token when they are one;
 * false after adding a diagnostic. */
static bool take_token(const token_src *ts, const uint8_t *buf, size_t n, int err)
{
    if (n && buf[n - 1] == '\n')
        n--;
    if (err)
        return token_err(ts->diags, WDD_C_TOKEN_READ, ts->display, ts->cl,
                         "cannot read token file %s: %s", ts->shown, strerror(err));
    if (n > WDD_TOKEN_MAX)
        return token_err(ts->diags, WDD_C_TOKEN_LEN, ts->display, ts->cl,
                         "token in %s is longer than %d bytes", ts->shown, WDD_TOKEN_MAX);
    if (n < TOKEN_MIN)
        return token_err(ts->diags, WDD_C_TOKEN_LEN, ts->display, ts->cl,
                         "token in %s is %zu bytes; a token needs at least %d", ts->shown, n,
                         TOKEN_MIN);
    /* A bearer token travels in an HTTP header: visible ASCII only, nothing a proxy or a
     * header parser could fold, trim or reinterpret. */
    size_t bad = n;
    for (size_t i = n; i-- > 0;)
        if (buf[i] < 0x21 || buf[i] > 0x7e)
            bad = i;
    if (bad < n)
        return token_err(ts->diags, WDD_C_TOKEN_LEN, ts->display, ts->cl,
                         "token in %s has a byte that is not visible ASCII (at offset %zu)",
                         ts->shown, bad);
    memcpy(ts->cl->token, buf, n);
    ts->cl->token_len = n;
    return true;
}

/* Reads one token file into cl; false after adding a diagnostic. */
static bool read_token(wdd_client *cl, const char *display, wd_diagnostics *diags)
{
    token_src ts = {.cl = cl, .display = display, .diags = diags};
    shown_path(cl->token_file, ts.shown, sizeof(ts.shown));
    int fd = open(cl->token_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            return token_err(diags, WDD_C_TOKEN_READ, display, cl,
                             "token file %s is a symbolic link: it must be a regular file",
                             ts.shown);
        return token_err(diags, WDD_C_TOKEN_READ, display, cl, "cannot open token file %s: %s",
                         ts.shown, strerror(e));
    }
    /* Room for the longest token, its newline and one byte more to see it is too long. */
    uint8_t buf[WDD_TOKEN_MAX + 2] = {0};
    size_t n = 0;
    bool ok = token_file_private(&ts, fd);
    int err = ok ? read_upto(fd, buf, sizeof(buf), &n) : 0;
    close(fd);
    if (ok)
        ok = take_token(&ts, buf, n, err);
    wd_wipe(buf, sizeof(buf));
    return ok;
}

static size_t read_tokens(wdd_config *c, const char *display, wd_diagnostics *diags)
{
    size_t errors = 0;
    for (size_t t = 0; t < c->ntenants; t++)
        for (size_t i = 0; i < c->tenants[t].nclients; i++) {
            wdd_client *cl = &c->tenants[t].clients[i];
            if (cl->token_file && !read_token(cl, display, diags))
                errors++;
        }
    /* Two files with one token: whoever holds it could not be told apart. */
    for (size_t t = 0; t < c->ntenants; t++)
        for (size_t i = 0; i < c->tenants[t].nclients; i++) {
            const wdd_client *b = &c->tenants[t].clients[i];
            bool dup = false;
            for (size_t u = 0; b->token_len && !dup && u <= t; u++)
                for (size_t j = 0; !dup && j < (u == t ? i : c->tenants[u].nclients); j++) {
                    const wdd_client *a = &c->tenants[u].clients[j];
                    if (a->token_len == b->token_len &&
                        wd_ct_equal(a->token, b->token, a->token_len)) {
                        wd_diag_add(diags, WD_DIAG_ERROR, WDD_C_DUP_CLIENT, display, b->line,
                                    b->column,
                                    "this token_file holds the same token as the client at line "
                                    "%u: a token belongs to one client of one tenant",
                                    a->line);
                        errors++;
                        dup = true;
                    }
                }
        }
    return errors;
}

int wdd_config_load(wdd_config **out, const char *path, wd_diagnostics *diags)
{
    if (!out || !path || !path[0])
        return wd_fail(WD_EINVAL, "wdd_config_load needs an output and a path");
    *out = NULL;
    wd_diagnostics *own = NULL;
    if (!diags && wd_diagnostics_new(&own) != 0)
        return wd_fail(WD_ENOMEM, "out of memory");
    if (!diags)
        diags = own;
    size_t first = wd_diagnostics_count(diags);

    /* The file's absolute path and directory: relative paths inside resolve against it. */
    char cwd[WD_PATH_MAX], abs[WD_PATH_MAX], dir[WD_PATH_MAX];
    const char *why = NULL;
    if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
        why = "cannot determine the current directory";
    else if (wdd_config_resolve(path[0] == '/' ? "/" : cwd, path, strlen(path), abs))
        why = "path is too long or not a valid path";
    int rc = 0;
    char *data = NULL;
    size_t len = 0;
    if (why) {
        rc = wd_error_set(WD_EINVAL, WDD_C_IO, path, 0, 0, "%s", why);
    } else {
        rc = wd_file_read(path, MAX_FILE, &data, &len, WDD_C_IO, WDD_C_TOO_LARGE);
        if (rc)
            rc = wd_error_set(rc == WD_ERANGE ? WD_EPOLICY : rc, wd_error_last()->id, path, 0, 0,
                              "%s", wd_error_last()->message);
    }
    if (rc) {
        const wd_error *e = wd_error_last();
        if (rc != WD_ENOMEM)
            wd_diag_add(diags, WD_DIAG_ERROR, e->id[0] ? e->id : WDD_C_IO, path, 0, 0, "%s",
                        e->message);
        wd_diagnostics_free(own);
        return rc;
    }
    memcpy(dir, abs, sizeof(dir));
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';

    config_box *box = NULL;
    rc = parse_config(&box, data, len, path, abs, dir, diags);
    free(data);
    if (!rc && read_tokens(&box->cfg, path, diags)) {
        wdd_config_free(&box->cfg);
        rc = WD_EPOLICY;
    }
    return finish(rc, box, diags, first, own, out);
}

void wdd_config_free(wdd_config *cfg)
{
    if (!cfg)
        return;
    for (size_t t = 0; cfg->tenants && t < cfg->ntenants; t++)
        for (size_t i = 0; cfg->tenants[t].clients && i < cfg->tenants[t].nclients; i++) {
            wdd_client *cl = &cfg->tenants[t].clients[i];
            wd_wipe(cl->token, sizeof(cl->token));
            cl->token_len = 0;
        }
    config_box *box = (config_box *)cfg;
    wd_arena_free(&box->arena);
    free(box);
}

/* ---- lookups --------------------------------------------------------------------------------- */

const wdd_tenant *wdd_config_by_uid(const wdd_config *cfg, long uid, wdd_role *role)
{
    if (!cfg || uid < 0)
        return NULL;
    for (size_t t = 0; t < cfg->ntenants; t++)
        for (size_t i = 0; i < cfg->tenants[t].nclients; i++)
            if (cfg->tenants[t].clients[i].uid == uid) {
                if (role)
                    *role = cfg->tenants[t].clients[i].role;
                return &cfg->tenants[t];
            }
    return NULL;
}

/* Every token client is compared, over the whole WDD_TOKEN_MAX bytes (tokens are stored
 * zero-padded), and the match is selected with masks rather than branches: how long this takes
 * says nothing about which token, if any, matched, or how much of one did. */
const wdd_tenant *wdd_config_by_token(const wdd_config *cfg, const char *token, size_t len,
                                      wdd_role *role)
{
    if (!cfg || !token || len == 0 || len > WDD_TOKEN_MAX)
        return NULL;
    uint8_t padded[WDD_TOKEN_MAX] = {0};
    memcpy(padded, token, len);
    size_t hit_t = 0, hit_c = 0, found = 0;
    for (size_t t = 0; t < cfg->ntenants; t++)
        for (size_t i = 0; i < cfg->tenants[t].nclients; i++) {
            const wdd_client *cl = &cfg->tenants[t].clients[i];
            size_t same = (size_t)wd_ct_equal(cl->token, padded, WDD_TOKEN_MAX);
            size_t m = -(same & (size_t)(cl->token_len == len) & (size_t)(cl->token_len != 0));
            hit_t = (hit_t & ~m) | (t & m);
            hit_c = (hit_c & ~m) | (i & m);
            found |= m;
        }
    wd_wipe(padded, sizeof(padded));
    if (!found)
        return NULL;
    const wdd_tenant *tenant = &cfg->tenants[hit_t];
    if (role)
        *role = tenant->clients[hit_c].role;
    return tenant;
}
