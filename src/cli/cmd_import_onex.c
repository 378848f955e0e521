/* cmd_import_onex.c: warden plugin import-onex ONEX.yaml [-o OUT] [--force] [--handler-root DIR]
 * [--level LEVEL] [--version VERSION]
 *
 * Reads an ONEX handler contract, converts it (registry/onex.c: every error a WD-Lnnn line,
 * every field that is not carried over a note), hashes the handler tree when --handler-root is
 * given, and writes the warden contract to stdout or, atomically and never over an existing file
 * unless --force, to OUT (docs/onex.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "crypto/crypto.h"
#include "registry/codes.h"
#include "registry/onex.h"
#include "registry/semver.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/path.h"

static const char import_usage[] =
    "usage: warden plugin import-onex HANDLER_CONTRACT.yaml [-o OUT.yaml] [--force]\n"
    "                 [--handler-root DIR] [--level LEVEL] [--version VERSION]\n\n"
    "Converts an ONEX handler contract into a warden contract for runtime: python\n"
    "(docs/onex.md). Every field that is not carried over, or is changed on the way, is a\n"
    "note on stderr (FILE:LINE:COL: note: ...) and a comment at the top of the output.\n"
    "With --handler-root, handler_root and sha256 (the tree hash) are filled in; DIR must\n"
    "lie inside the output's directory. The policy the output names is not written: until\n"
    "it is, write the deny-all policy (version: \"1.0\").\n"
    "Errors: FILE:LINE:COL: error WD-Lnnn: message; exit 0 written, 2 refused or error.\n";

/* ---- the handler tree hash ---------------------------------------------------------------
 * Every regular file under the root, recursively, skipping directories named __pycache__ and
 * files ending .pyc; sorted by relative path bytewise; the manifest is one line per file,
 * "<sha256 hex of the content>  <relative path>\n"; the tree hash is SHA-256 of the manifest
 * (docs/onex.md). Links and anything but regular files and directories are refused, as the
 * runtime refuses them. Kept in this one place so it can give way to the library's reader. */

typedef struct {
    char *path;
    char hex[65];
} tree_file;

typedef struct {
    wd_hasher *h;
    tree_file *files;
    size_t n, cap;
    uint64_t bytes;
    const char *root; /* as the user gave it, for messages */
} tree_walk;

enum { TREE_DEPTH_MAX = 32 };

static int tree_error(const tree_walk *t, const char *id, const char *rel, const char *why)
{
    return wd_error_set(WD_EPOLICY, id, t->root, 0, 0, "%s%s%s", rel, *rel ? ": " : "", why);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && !memcmp(s + n - k, tail, k);
}

static int tree_add(tree_walk *t, int dirfd, const char *name, const char *rel)
{
    if (t->n == WD_HANDLER_MAX_FILES)
        return tree_error(t, WD_L_ONEX_TREE, rel, "more files than a handler tree may hold (4096)");
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wd_error_set(WD_EIO, WD_L_READ, t->root, 0, 0, "%s: cannot read: %s", rel,
                            strerror(e));
    }
    t->bytes += (uint64_t)st.st_size;
    if (t->bytes > WD_HANDLER_MAX_BYTES) {
        close(fd);
        return tree_error(t, WD_L_ONEX_TREE, rel, "the handler tree is larger than 16 MiB");
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        tree_file *f = realloc(t->files, cap * sizeof(*f));
        if (!f) {
            close(fd);
            return wd_fail(WD_ENOMEM, "out of memory");
        }
        t->files = f, t->cap = cap;
    }
    uint8_t sum[WD_SHA256_LEN];
    tree_file *f = &t->files[t->n];
    int rc = wd_sha256_fd(t->h, fd, sum);
    close(fd);
    if (rc)
        return wd_error_set(rc, WD_L_READ, t->root, 0, 0, "%s: cannot read", rel);
    if (!(f->path = strdup(rel)))
        return wd_fail(WD_ENOMEM, "out of memory");
    for (size_t i = 0; i < WD_SHA256_LEN; i++)
        snprintf(f->hex + 2 * i, 3, "%02x", sum[i]);
    t->n++;
    return 0;
}

/* Walks the directory dirfd (which it closes), whose path below the root is prefix. */
static int tree_dir(tree_walk *t, int dirfd, const char *prefix, int depth)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return wd_error_set(WD_EIO, WD_L_READ, t->root, 0, 0, "%s: cannot list: %s",
                            *prefix ? prefix : ".", strerror(errno));
    }
    int rc = 0;
    struct dirent *e;
    while (!rc && (errno = 0, e = readdir(d))) {
        const char *name = e->d_name;
        if (!strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        char rel[WD_PATH_MAX];
        int n = snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "", name);
        if (n < 0 || (size_t)n >= sizeof(rel)) {
            rc = tree_error(t, WD_L_ONEX_TREE, prefix, "a path in the tree is too long");
            break;
        }
        /* The manifest is one line per file: a name that would need escaping is refused. */
        if (strpbrk(name, "\n\\")) {
            rc =
                tree_error(t, WD_L_ONEX_TREE, prefix, "a file name holds a newline or a backslash");
            break;
        }
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = wd_error_set(WD_EIO, WD_L_READ, t->root, 0, 0, "%s: %s", rel, strerror(errno));
        } else if (S_ISLNK(st.st_mode)) {
            rc = tree_error(t, WD_L_PERMISSION, rel,
                            "a symbolic link: a handler tree holds no links");
        } else if (S_ISDIR(st.st_mode)) {
            if (!strcmp(name, "__pycache__"))
                continue;
            if (depth == TREE_DEPTH_MAX) {
                rc = tree_error(t, WD_L_ONEX_TREE, rel, "directories nest too deep");
                break;
            }
            int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            rc = sub < 0 ? wd_error_set(WD_EIO, WD_L_READ, t->root, 0, 0, "%s: %s", rel,
                                        strerror(errno))
                         : tree_dir(t, sub, rel, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            if (!ends_with(name, ".pyc"))
                rc = tree_add(t, dirfd, name, rel);
        } else {
            rc = tree_error(t, WD_L_ONEX_TREE, rel, "neither a regular file nor a directory");
        }
    }
    if (!rc && errno)
        rc = wd_error_set(WD_EIO, WD_L_READ, t->root, 0, 0, "cannot list: %s", strerror(errno));
    closedir(d);
    return rc;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const tree_file *)a)->path, ((const tree_file *)b)->path);
}

/* The tree hash of the directory rootfd (closed here) as 64 lowercase hex digits. */
static int tree_hash(int rootfd, const char *root, char hex[static 65])
{
    tree_walk t = {.root = root};
    int rc = wd_hasher_new(&t.h);
    if (rc)
        close(rootfd);
    else
        rc = tree_dir(&t, rootfd, "", 0);
    if (!rc && t.n == 0)
        rc = tree_error(&t, WD_L_ONEX_TREE, "", "the handler tree holds no file");
    wd_buf manifest = WD_BUF_INIT;
    if (!rc) {
        qsort(t.files, t.n, sizeof(*t.files), by_path);
        for (size_t i = 0; i < t.n; i++)
            wd_buf_printf(&manifest, "%s  %s\n", t.files[i].hex, t.files[i].path);
        uint8_t sum[WD_SHA256_LEN];
        rc = manifest.oom ? wd_fail(WD_ENOMEM, "out of memory")
                          : wd_sha256(t.h, manifest.data, manifest.len, sum);
        for (size_t i = 0; !rc && i < WD_SHA256_LEN; i++)
            snprintf(hex + 2 * i, 3, "%02x", sum[i]);
    }
    wd_buf_free(&manifest);
    for (size_t i = 0; i < t.n; i++)
        free(t.files[i].path);
    free(t.files);
    wd_hasher_free(t.h);
    return rc;
}

/* ---- the handler root ------------------------------------------------------------------- */

/* handler_root as the contract writes it: DIR relative to the contract's directory, inside it
 * and not the directory itself (the tree would then hash the contract that holds its hash).
 * Each step down from the contract's directory is opened without following a link. */
static int handler_root(const char *dir, const char *out_path, char *rel, size_t rel_size,
                        char hex[static 65])
{
    char raw[WD_PATH_MAX], base[WD_PATH_MAX], root[WD_PATH_MAX];
    bool esc = false;
    if (cli_absolute(out_path ? out_path : "x", raw, sizeof(raw)) != 0 ||
        wd_path_normalize(raw, base, sizeof(base), &esc) != 0 || esc)
        return wd_fail(WD_EINVAL, "the output path is too long");
    *strrchr(base, '/') = '\0'; /* its directory ("" for "/") */
    if (cli_absolute(dir, raw, sizeof(raw)) != 0 ||
        wd_path_normalize(raw, root, sizeof(root), &esc) != 0 || esc)
        return wd_error_set(WD_EINVAL, WD_L_PERMISSION, dir, 0, 0, "not a usable path");
    size_t bl = strlen(base);
    if (strncmp(root, base, bl) != 0 || root[bl] != '/' || root[bl + 1] == '\0')
        return wd_error_set(WD_EPERM, WD_L_PERMISSION, dir, 0, 0,
                            "the handler root must lie inside the contract's directory %s (and "
                            "not be that directory)",
                            *base ? base : "/");
    if (snprintf(rel, rel_size, "%s", root + bl + 1) >= (int)rel_size)
        return wd_fail(WD_EINVAL, "the handler root's path is too long");
    int fd = open(*base ? base : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return wd_error_set(WD_ENOTFOUND, WD_L_READ, *base ? base : "/", 0, 0,
                            "the contract's directory cannot be opened: %s", strerror(errno));
    char walk[WD_PATH_MAX];
    snprintf(walk, sizeof(walk), "%s", rel);
    for (char *save = NULL, *seg = strtok_r(walk, "/", &save); seg;
         seg = strtok_r(NULL, "/", &save)) {
        struct stat st;
        int next = -1;
        if (fstatat(fd, seg, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            errno = ELOOP;
        else
            next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        if (next < 0)
            return errno == ELOOP ? wd_error_set(WD_EPERM, WD_L_PERMISSION, dir, 0, 0,
                                                 "%s is a symbolic link: handler_root holds none "
                                                 "on its way",
                                                 seg)
                                  : wd_error_set(WD_ENOTFOUND, WD_L_LIB_NOT_FOUND, dir, 0, 0,
                                                 "not a directory: %s", strerror(errno));
        fd = next;
    }
    return tree_hash(fd, dir, hex);
}

/* ---- writing ---------------------------------------------------------------------------- */

/* Writes text to path through a temporary file in the same directory, synced, then linked into
 * place (refused if path exists) or, with force, renamed over it; then the directory is synced.
 * A crash leaves the old file or the new one, never a part. */
static int write_atomic(const char *path, const char *text, size_t len, bool force)
{
    char tmp[WD_PATH_MAX + 16];
    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
        return wd_fail(WD_EINVAL, "%s: path too long", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return wd_fail(WD_EIO, "cannot write %s: %s", path, strerror(errno));
    int rc = fchmod(fd, 0644) || wd_write_all(fd, text, len) || fsync(fd) ? -1 : 0;
    int e = errno;
    if (close(fd) != 0 && !rc)
        rc = -1, e = errno;
    if (!rc) {
        rc = force ? rename(tmp, path) : link(tmp, path);
        e = errno;
    }
    if (rc || !force)
        unlink(tmp);
    if (rc)
        return e == EEXIST ? wd_fail(WD_EBUSY, "%s exists: --force replaces it", path)
                           : wd_fail(WD_EIO, "cannot write %s: %s", path, strerror(e));
    char dir[WD_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* ---- the command ------------------------------------------------------------------------ */

static int read_onex(const char *path, char **data, size_t *len)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return wd_error_set(WD_EIO, WD_L_NOT_FILE, path, 0, 0, "not a regular file");
    int rc = wd_file_read(path, WD_CONTRACT_MAX_FILE_SIZE, data, len, WD_L_READ, WD_L_SIZE);
    if (rc == WD_ENOTFOUND)
        rc = wd_error_set(WD_ENOTFOUND, WD_L_NOT_FOUND, path, 0, 0, "no such file");
    else if (rc == WD_ERANGE)
        rc = wd_error_set(WD_EPOLICY, WD_L_SIZE, path, 0, 0, "%s", wd_error_last()->message);
    return rc;
}

static int convert(const char *path, const wd_onex_options *o, wd_buf *out)
{
    char *data = NULL;
    size_t len = 0;
    if (read_onex(path, &data, &len) != 0) {
        cli_error(NULL);
        return EXIT_USAGE;
    }
    wd_diagnostics *errors = NULL;
    wd_buf notes = WD_BUF_INIT;
    int rc = wd_diagnostics_new(&errors);
    if (!rc)
        rc = wd_onex_convert(data, len, o, errors, out, &notes);
    free(data);
    if (rc == WD_EPOLICY)
        cli_print_diags(errors, 0);
    else if (rc)
        fprintf(stderr, "warden: %s: %s\n", path,
                rc == WD_ENOMEM ? "out of memory" : "cannot convert");
    else
        fputs(wd_buf_cstr(&notes), stderr);
    wd_buf_free(&notes);
    wd_diagnostics_free(errors);
    return rc ? EXIT_USAGE : 0;
}

int cmd_plugin_import_onex(int argc, char **argv)
{
    const char *out = NULL, *root = NULL, *level = NULL, *version = NULL;
    bool force = false;
    const cli_opt opts[] = {
        {.name = "output",
         .alias = 'o',
         .kind = CLI_STRING,
         .dest = &out,
         .arg = "OUT.yaml",
         .help = "write the contract here (atomically) instead of to stdout"},
        {.name = "force", .kind = CLI_FLAG, .dest = &force, .help = "replace an existing OUT"},
        {.name = "handler-root",
         .kind = CLI_STRING,
         .dest = &root,
         .arg = "DIR",
         .help = "the directory holding the handler's package: fills handler_root and sha256"},
        {.name = "level",
         .kind = CLI_STRING,
         .dest = &level,
         .arg = "LEVEL",
         .help = "the author's security level (over the ONEX contract's own)"},
        {.name = "version",
         .kind = CLI_STRING,
         .dest = &version,
         .arg = "VERSION",
         .help = "the version, strict SemVer (over handler_version)"},
        {0},
    };
    const cli_spec spec = {
        .prog = "warden", .command = "plugin import-onex", .usage = import_usage, .opts = opts};
    cli_args files;
    int status = cli_parse(argc, argv, &spec, &files);
    if (status != CLI_PARSED)
        return status;
    if (files.n != 1) {
        cli_usage(stderr, &spec);
        return EXIT_USAGE;
    }
    wd_security_level lv;
    wd_semver sv;
    const char *why = "";
    if (level && wd_security_level_parse(level, &lv) != 0) {
        fprintf(stderr, "warden: --level: unknown security level (UNOFFICIAL, OFFICIAL, "
                        "OFFICIAL_SENSITIVE, PROTECTED, SECRET)\n");
        return EXIT_USAGE;
    }
    if (version &&
        (strlen(version) > 64 || !wd_semver_parse(version, strlen(version), &sv, &why))) {
        fprintf(stderr, "warden: --version: not SemVer 2.0.0: %s\n", *why ? why : "too long");
        return EXIT_USAGE;
    }
    struct stat st;
    if (out && !force && lstat(out, &st) == 0) {
        fprintf(stderr, "warden: %s exists: --force replaces it\n", out);
        return EXIT_USAGE;
    }
    char rel[WD_PATH_MAX], hex[65];
    if (root && handler_root(root, out, rel, sizeof(rel), hex) != 0) {
        cli_error("--handler-root");
        return EXIT_USAGE;
    }
    const wd_onex_options o = {.file = files.v[0],
                               .level = level,
                               .version = version,
                               .handler_root = root ? rel : NULL,
                               .tree_sha256 = root ? hex : NULL};
    wd_buf text = WD_BUF_INIT;
    status = convert(files.v[0], &o, &text);
    if (!status && !out) {
        fputs(wd_buf_cstr(&text), stdout);
        if (fflush(stdout) != 0) {
            fprintf(stderr, "warden: cannot write the contract: %s\n", strerror(errno));
            status = EXIT_USAGE;
        }
    } else if (!status) {
        if (write_atomic(out, text.data, text.len, force) != 0) {
            cli_error(NULL);
            status = EXIT_USAGE;
        } else {
            fprintf(stderr,
                    "warden: wrote %s; write its policy file policy.yaml (deny-all: "
                    "version: \"1.0\") before loading it\n",
                    out);
        }
    }
    wd_buf_free(&text);
    return status;
}
