/* handler_tree.c: a Python handler's files (runtime: python, contract.h).
 *
 * The tree is the code: every regular file under handler_root is read once, through
 * descriptors that never follow a symbolic link and never leave the root, and hashed as read.
 * Whoever runs the handler runs these bytes, never the files again. The tree hash is what
 * `sha256sum` gives, so an author can reproduce it with coreutils (docs/contracts.md has the
 * command): SHA-256 of the manifest "<hex sha256 of content>  <relative path>\n" per file,
 * sorted bytewise by path, skipping directories named __pycache__ and files ending .pyc (the
 * interpreter's caches, never imported from: the handler is compiled from the checked
 * sources). A name that sha256sum would escape (a newline, a backslash) or that is not
 * printable UTF-8, a symbolic link, a special file, too many files, too many bytes or too deep
 * a tree are refused rather than guessed at. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "registry/codes.h"
#include "registry/contract_int.h"
#include "util/error.h"
#include "util/path.h"
#include "util/secure.h"
#include "util/utf8.h"
#include "warden/contract.h"

/* Besides the files' own limits: every name the walk meets (directories and the skipped
 * __pycache__ and .pyc names too) and the bytes of the paths it keeps, so a tree of empty
 * directories cannot make the loader walk and remember without bound. */
enum { MAX_DEPTH = 32, MAX_NAMES = 4 * WD_HANDLER_MAX_FILES, MAX_PATH_BYTES = 4 << 20 };

typedef struct {
    char *path; /* relative, '/'-separated */
    uint8_t *data;
    size_t len;
} tree_file;

typedef struct {
    char *path; /* relative ("" is the root) */
    uid_t uid;
    mode_t mode;
} tree_entry;

struct wd_handler_tree {
    tree_file *files;
    size_t count, cap;
    tree_entry *entries; /* every directory and file, for the owner check */
    size_t nentries, entries_cap;
    size_t bytes;
    uint8_t hash[WD_SHA256_LEN];
};

typedef struct {
    wd_handler_tree *t;
    const char *root; /* absolute, for messages */
    wd_hasher *h;
    size_t names, path_bytes; /* met so far, against MAX_NAMES and MAX_PATH_BYTES */
} walker;

static int sys_openat2(int dirfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* What one entry is called in messages: ROOT/REL. */
static const char *shown(const walker *w, const char *rel, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", w->root, rel[0] ? "/" : "", rel);
    return buf;
}

static int refuse(const walker *w, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(const walker *w, const char *rel, const char *fmt, ...)
{
    char where[WD_PATH_MAX + 64], msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return wd_error_set(WD_EPOLICY, WD_L_HANDLER_TREE, shown(w, rel, where, sizeof(where)), 0, 0,
                        "%s", msg);
}

static int open_failed(const walker *w, const char *rel, int e)
{
    char where[WD_PATH_MAX + 64];
    shown(w, rel, where, sizeof(where));
    if (e == ELOOP || e == EXDEV)
        return wd_error_set(WD_EPERM, WD_L_PERMISSION, where, 0, 0,
                            "a symbolic link in a handler tree: refused");
    if (e == ENOENT || e == ENOTDIR)
        return wd_error_set(WD_ENOTFOUND, WD_L_LIB_NOT_FOUND, where, 0, 0,
                            "not found (it changed while the handler tree was read)");
    if (e == ENOSYS)
        return wd_error_set(WD_EIO, WD_L_LIB_NOT_FOUND, where, 0, 0,
                            "this kernel has no openat2 (Linux 5.6), which Python handlers need");
    return wd_error_set(e == EACCES ? WD_EPERM : WD_EIO, e == EACCES ? WD_L_PERMISSION : WD_L_READ,
                        where, 0, 0, "cannot open: %s", strerror(e));
}

/* A name the manifest can carry as it is: printable UTF-8, no backslash (sha256sum would
 * escape both that and a newline, and the hash would no longer be what it prints). */
static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\')
            return false;
    }
    size_t bad;
    return wd_utf8_valid(name, n, &bad);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int add_entry(walker *w, const char *rel, const struct stat *st)
{
    wd_handler_tree *t = w->t;
    if (t->nentries == t->entries_cap) {
        size_t cap = t->entries_cap ? 2 * t->entries_cap : 16;
        tree_entry *e = realloc(t->entries, cap * sizeof(*e));
        if (!e)
            return wd_fail(WD_ENOMEM, "out of memory");
        t->entries = e;
        t->entries_cap = cap;
    }
    char *p = strdup(rel);
    if (!p)
        return wd_fail(WD_ENOMEM, "out of memory");
    t->entries[t->nentries++] = (tree_entry){p, st->st_uid, st->st_mode};
    return 0;
}

/* Reads one regular file (fd) into the tree, within what is left of the byte budget. */
static int read_file(walker *w, int fd, const char *rel, const struct stat *st)
{
    wd_handler_tree *t = w->t;
    if (t->count == WD_HANDLER_MAX_FILES) {
        return refuse(w, rel, "more than %u files in a handler tree",
                      (unsigned)WD_HANDLER_MAX_FILES);
    }
    size_t left = WD_HANDLER_MAX_BYTES - t->bytes;
    if ((unsigned long long)st->st_size > left)
        return refuse(w, rel, "the handler tree holds more than %u bytes",
                      (unsigned)WD_HANDLER_MAX_BYTES);
    /* One byte more than the size: a file that grew while read shows it. */
    size_t cap = (size_t)st->st_size + 1, n = 0;
    uint8_t *data = malloc(cap);
    if (!data)
        return wd_fail(WD_ENOMEM, "out of memory");
    for (;;) {
        ssize_t got = read(fd, data + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(data);
            return open_failed(w, rel, e);
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n == cap) {
            free(data);
            return refuse(w, rel, "%s", "a file grew while the handler tree was read");
        }
    }
    if (t->count == t->cap) {
        size_t c2 = t->cap ? 2 * t->cap : 16;
        tree_file *f = realloc(t->files, c2 * sizeof(*f));
        if (!f) {
            free(data);
            return wd_fail(WD_ENOMEM, "out of memory");
        }
        t->files = f;
        t->cap = c2;
    }
    char *p = strdup(rel);
    if (!p) {
        free(data);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    t->files[t->count++] = (tree_file){p, data, n};
    t->bytes += n;
    return add_entry(w, rel, st);
}

static int walk_dir(walker *w, int dfd, const char *rel, int depth);

/* One name in directory dfd (rel is the directory's relative path). */
static int walk_name(walker *w, int dfd, const char *rel, const char *name, int depth)
{
    char child[WD_PATH_MAX];
    int n = snprintf(child, sizeof(child), "%s%s%s", rel, rel[0] ? "/" : "", name);
    if (n < 0 || (size_t)n >= sizeof(child))
        return refuse(w, rel, "%s", "a path in the handler tree is longer than 4095 bytes");
    if (++w->names > MAX_NAMES || (w->path_bytes += (size_t)n + 1) > MAX_PATH_BYTES)
        return refuse(w, rel,
                      "the handler tree has more than %u names (directories included) "
                      "or %u bytes of paths",
                      (unsigned)MAX_NAMES, (unsigned)MAX_PATH_BYTES);
    /* Named by its directory: the name itself would break the one-line message. */
    if (!name_ok(name))
        return refuse(w, rel, "%s",
                      "holds a name with a newline, a backslash, a control character or bytes "
                      "that are not UTF-8: it cannot be in a handler tree");
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return open_failed(w, child, errno);
    if (S_ISLNK(st.st_mode))
        return open_failed(w, child, ELOOP);
    if (S_ISDIR(st.st_mode)) {
        if (!strcmp(name, "__pycache__"))
            return 0;
        if (depth + 1 > MAX_DEPTH)
            return refuse(w, child, "the handler tree nests deeper than %d directories", MAX_DEPTH);
        int sub = sys_openat2(dfd, name, O_RDONLY | O_DIRECTORY);
        if (sub < 0)
            return open_failed(w, child, errno);
        return walk_dir(w, sub, child, depth + 1);
    }
    if (!S_ISREG(st.st_mode))
        return refuse(w, child, "%s",
                      "a special file (a FIFO, socket or device) cannot be in a handler tree");
    if (ends_with(name, ".pyc"))
        return 0;
    int fd = sys_openat2(dfd, name, O_RDONLY);
    if (fd < 0)
        return open_failed(w, child, errno);
    int rc = 0;
    /* What was opened is what is judged: the name may have been swapped since the stat. */
    if (fstat(fd, &st) != 0)
        rc = open_failed(w, child, errno);
    else if (!S_ISREG(st.st_mode))
        rc = refuse(w, child, "%s",
                    "a special file (a FIFO, socket or device) cannot be in a handler tree");
    if (!rc)
        rc = read_file(w, fd, child, &st);
    close(fd);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every name in directory dfd (taken over: closed here), in name order. */
static int walk_dir(walker *w, int dfd, const char *rel, int depth)
{
    struct stat st;
    if (fstat(dfd, &st) != 0) {
        int e = errno;
        close(dfd);
        return open_failed(w, rel, e);
    }
    int rc = add_entry(w, rel, &st);
    int lfd = rc ? -1 : dup(dfd);
    DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
    if (!rc && !d) {
        int e = errno;
        if (lfd >= 0)
            close(lfd);
        close(dfd);
        return open_failed(w, rel, e);
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    while (!rc && (errno = 0, de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            char **g =
                cap <= 4 * (size_t)WD_HANDLER_MAX_FILES ? realloc(names, cap * sizeof(*g)) : NULL;
            if (!g) {
                rc = cap > 4 * (size_t)WD_HANDLER_MAX_FILES
                         ? refuse(w, rel, "a directory of the handler tree has more than %u names",
                                  4u * WD_HANDLER_MAX_FILES)
                         : wd_fail(WD_ENOMEM, "out of memory");
                break;
            }
            names = g;
        }
        if (!(names[count] = strdup(de->d_name)))
            rc = wd_fail(WD_ENOMEM, "out of memory");
        else
            count++;
    }
    if (!rc && errno)
        rc = open_failed(w, rel, errno);
    if (d)
        closedir(d);
    if (!rc && count) /* qsort wants an array, even of nothing */
        qsort(names, count, sizeof(*names), by_name);
    for (size_t i = 0; !rc && i < count; i++)
        rc = walk_name(w, dfd, rel, names[i], depth);
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    close(dfd);
    return rc;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const tree_file *)a)->path, ((const tree_file *)b)->path);
}

/* The manifest, hashed line by line as sha256sum prints it. */
static int tree_hash(walker *w)
{
    wd_handler_tree *t = w->t;
    if (t->count)
        qsort(t->files, t->count, sizeof(*t->files), by_path);
    size_t cap = 0, len = 0;
    char *manifest = NULL;
    for (size_t i = 0; i < t->count; i++) {
        uint8_t digest[WD_SHA256_LEN];
        char hex[2 * WD_SHA256_LEN + 1];
        if (wd_sha256(w->h, t->files[i].data, t->files[i].len, digest) != 0) {
            free(manifest);
            return wd_fail(WD_ENOMEM, "cannot hash the handler tree");
        }
        wd_hex_encode(digest, sizeof(digest), hex);
        size_t need = len + sizeof(hex) + 2 + strlen(t->files[i].path) + 1;
        if (need > cap) {
            size_t c2 = cap ? 2 * cap : 4096;
            while (c2 < need)
                c2 *= 2;
            char *m = realloc(manifest, c2);
            if (!m) {
                free(manifest);
                return wd_fail(WD_ENOMEM, "out of memory");
            }
            manifest = m;
            cap = c2;
        }
        len += (size_t)snprintf(manifest + len, cap - len, "%s  %s\n", hex, t->files[i].path);
    }
    int rc = wd_sha256(w->h, manifest ? manifest : "", len, t->hash);
    free(manifest);
    return rc ? wd_fail(WD_ENOMEM, "cannot hash the handler tree") : 0;
}

int wd_handler_tree_read_at(const char *dir, const char *root, wd_handler_tree **out)
{
    *out = NULL;
    size_t dl = strlen(dir);
    if (strncmp(root, dir, dl) != 0 || (root[dl] != '/' && strcmp(dir, "/") != 0) ||
        !root[dl + (strcmp(dir, "/") != 0)])
        return wd_error_set(WD_EPERM, WD_L_PERMISSION, root, 0, 0,
                            "the handler root must lie inside the contract's directory");
    const char *rel = root + dl + (strcmp(dir, "/") != 0);
    wd_handler_tree *t = calloc(1, sizeof(*t));
    walker w = {.t = t, .root = root};
    if (!t)
        return wd_fail(WD_ENOMEM, "out of memory");
    int rc = wd_hasher_new(&w.h);
    if (rc) {
        free(t);
        return wd_fail(WD_ENOMEM, "out of memory");
    }
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int rfd = dfd >= 0 ? sys_openat2(dfd, rel, O_RDONLY | O_DIRECTORY) : -1;
    if (rfd < 0) {
        int e = errno;
        struct stat st;
        /* O_NOFOLLOW with O_DIRECTORY says ENOTDIR of a link: say what it is. */
        if (e == ENOTDIR && dfd >= 0 && fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            e = ELOOP;
        rc = e == ENOENT    ? wd_error_set(WD_ENOTFOUND, WD_L_LIB_NOT_FOUND, root, 0, 0,
                                           "the handler root does not exist")
             : e == ENOTDIR ? wd_error_set(WD_EPOLICY, WD_L_HANDLER_TREE, root, 0, 0,
                                           "the handler root is not a directory")
                            : open_failed(&w, "", e);
    }
    if (dfd >= 0)
        close(dfd);
    if (!rc)
        rc = walk_dir(&w, rfd, "", 0);
    if (!rc)
        rc = tree_hash(&w);
    wd_hasher_free(w.h);
    if (rc) {
        wd_handler_tree_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int wd_contract_read_handler_tree(const wd_contract *c, wd_handler_tree **out)
{
    if (!out)
        return wd_fail(WD_EINVAL, "wd_contract_read_handler_tree needs an output");
    *out = NULL;
    if (!c || wd_contract_runtime(c) != WD_RUNTIME_PYTHON || !wd_contract_handler_root(c))
        return wd_error_set(WD_EINVAL, WD_L_PROCESS, c ? wd_contract_path(c) : NULL, 0, 0,
                            "not a Python handler: there is no handler tree to read");
    wd_handler_tree *t = NULL;
    int rc = wd_handler_tree_read_at(wd_contract_dir(c), wd_contract_handler_root(c), &t);
    if (rc)
        return rc;
    if (!wd_ct_equal(t->hash, wd_contract_sha256(c), WD_SHA256_LEN)) {
        char got[2 * WD_SHA256_LEN + 1];
        wd_hex_encode(t->hash, WD_SHA256_LEN, got);
        wd_handler_tree_free(t);
        return wd_error_set(WD_EPOLICY, WD_L_LIB_HASH, wd_contract_handler_root(c), 0, 0,
                            "the handler tree changed: it hashes to %s, not to the contract's "
                            "sha256",
                            got);
    }
    *out = t;
    return 0;
}

const uint8_t *wd_handler_tree_hash(const wd_handler_tree *t)
{
    return t->hash;
}

size_t wd_handler_tree_count(const wd_handler_tree *t)
{
    return t ? t->count : 0;
}

const char *wd_handler_tree_path(const wd_handler_tree *t, size_t i)
{
    return t && i < t->count ? t->files[i].path : NULL;
}

const uint8_t *wd_handler_tree_data(const wd_handler_tree *t, size_t i, size_t *len)
{
    if (!t || i >= t->count) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = t->files[i].len;
    return t->files[i].data;
}

bool wd_handler_tree_has(const wd_handler_tree *t, const char *path)
{
    tree_file key = {.path = (char *)path};
    return t && t->count && bsearch(&key, t->files, t->count, sizeof(*t->files), by_path) != NULL;
}

size_t wd_handler_tree_entry_count(const wd_handler_tree *t)
{
    return t ? t->nentries : 0;
}

const char *wd_handler_tree_entry(const wd_handler_tree *t, size_t i, uid_t *uid, mode_t *mode)
{
    if (!t || i >= t->nentries)
        return NULL;
    *uid = t->entries[i].uid;
    *mode = t->entries[i].mode;
    return t->entries[i].path;
}

void wd_handler_tree_free(wd_handler_tree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++) {
        free(t->files[i].path);
        free(t->files[i].data);
    }
    for (size_t i = 0; i < t->nentries; i++)
        free(t->entries[i].path);
    free(t->files);
    free(t->entries);
    free(t);
}
