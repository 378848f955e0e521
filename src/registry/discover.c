/* discover.c: loading a directory of contracts into a registry, with a report.
 *
 * Containment is the rule: whatever one contract does (bad YAML, odd bytes, a missing or
 * altered library, a symlink, I/O errors), it becomes one refused entry and the batch goes on.
 * The walk never follows symlinks, so it cannot leave root, and visits directories in name
 * order, so two runs over the same tree give the same report. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "registry/codes.h"
#include "registry/contract_int.h"
#include "registry/elf_imports.h"
#include "util/buf.h"
#include "util/error.h"
#include "warden/registry.h"

enum { DEFAULT_MAX = 10000, MAX_DEPTH = 32 };

struct wd_load_report {
    char correlation_id[64];
    wd_registry *reg; /* refusals are recorded in its audit log */
    const char *root; /* during the walk: where the owner checks start */
    size_t unrecorded;
    char unrecorded_id[16], unrecorded_why[256];
    wd_load_entry *entries;
    size_t count, cap, refused;
    struct {
        dev_t dev;
        ino_t ino;
    } * seen; /* files already considered: the same file twice is loaded once */
    size_t seen_count, seen_cap;
};

static int add_entry(wd_load_report *r, const char *path, bool loaded, const char *id,
                     const char *message)
{
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        wd_load_entry *e = realloc(r->entries, cap * sizeof(*e));
        if (!e)
            return WD_ENOMEM;
        r->entries = e;
        r->cap = cap;
    }
    char *p = strdup(path), *i = strdup(id), *m = strdup(message);
    if (!p || !i || !m) {
        free(p), free(i), free(m);
        return WD_ENOMEM;
    }
    r->entries[r->count++] = (wd_load_entry){p, loaded, i, m};
    if (!loaded)
        r->refused++;
    return 0;
}

/* A refused entry, recorded in the registry's audit log with the batch's correlation id. */
static int refused(wd_load_report *r, const char *path, const char *id, const char *message)
{
    if (wd_registry_audit_refusal(r->reg, path, id, message, r->correlation_id) != 0) {
        /* still refused, but the report must not pretend the log has it */
        char m[1100];
        snprintf(m, sizeof(m), "%s (not recorded in the audit log: %s)", message,
                 wd_error_last()->message);
        return add_entry(r, path, false, id, m);
    }
    return add_entry(r, path, false, id, message);
}

/* The same for the thread's last error; audited says the registry recorded it already. */
static int refuse(wd_load_report *r, const char *path, bool audited)
{
    const wd_error *e = wd_error_last();
    char id[16], msg[512];
    snprintf(id, sizeof(id), "%s", e->id[0] ? e->id : WD_L_READ);
    snprintf(msg, sizeof(msg), "%s", e->message[0] ? e->message : wd_strerror(e->code));
    return audited ? add_entry(r, path, false, id, msg) : refused(r, path, id, msg);
}

#define LIBRARY_READ_MAX ((uint64_t)256 << 20) /* a plugin library larger is not inspected */

/* The library's bytes through the descriptor that was verified when it was opened, hashed
 * again: the file may have been rewritten since, and the bytes inspected must be the bytes
 * the contract names. */
static int read_library(const wd_contract *c, unsigned char **out, size_t *out_len)
{
    int fd;
    int rc = wd_contract_open_library(c, &fd);
    if (rc)
        return rc;
    struct stat st;
    unsigned char *data = NULL;
    size_t len = 0;
    if (fstat(fd, &st) == 0 && st.st_size >= 0 && (uint64_t)st.st_size <= LIBRARY_READ_MAX) {
        data = malloc((size_t)st.st_size + 1);
        while (data && len < (size_t)st.st_size) {
            ssize_t n = read(fd, data + len, (size_t)st.st_size - len);
            if (n <= 0)
                break;
            len += (size_t)n;
        }
    }
    close(fd);
    if (!data || len != (size_t)st.st_size)
        rc = wd_error_set(WD_EIO, WD_L_IMPORTS, wd_contract_library(c), 0, 0,
                          "cannot read the library to list its imports");
    uint8_t digest[WD_SHA256_LEN];
    wd_hasher *h = NULL;
    if (rc == 0)
        rc = wd_hasher_new(&h);
    if (rc == 0)
        rc = wd_sha256(h, data, len, digest);
    wd_hasher_free(h);
    if (rc == 0 && memcmp(digest, wd_contract_sha256(c), WD_SHA256_LEN) != 0)
        rc = wd_error_set(WD_EPOLICY, WD_L_LIB_HASH, wd_contract_library(c), 0, 0,
                          "the library changed while it was being inspected: its bytes no longer "
                          "hash to the contract's sha256");
    if (rc) {
        free(data);
        return rc;
    }
    *out = data;
    *out_len = len;
    return 0;
}

/* The imports one a line, refused when any is denied. */
static int imports_text(const wd_contract *c, const wd_elf_imports *imp, const char *const *deny,
                        char **out)
{
    wd_buf list = WD_BUF_INIT, denied = WD_BUF_INIT;
    for (size_t i = 0; i < imp->count; i++) {
        wd_buf_printf(&list, "%s\n", imp->names[i]);
        for (const char *const *d = deny; d && *d; d++)
            if (!strcmp(*d, imp->names[i]))
                wd_buf_printf(&denied, "%s%s", denied.len ? ", " : "", imp->names[i]);
    }
    int rc = 0;
    if (list.oom || denied.oom)
        rc = wd_fail(WD_ENOMEM, "out of memory");
    else if (denied.len)
        rc = wd_error_set(WD_EPERM, WD_L_IMPORTS, wd_contract_id(c), 0, 0,
                          "library imports denied symbols: %s", denied.data);
    if (!rc) {
        *out = list.data ? list.data : strdup("");
        list = (wd_buf)WD_BUF_INIT; /* handed to the caller */
        if (!*out)
            rc = wd_fail(WD_ENOMEM, "out of memory");
    }
    wd_buf_free(&list);
    wd_buf_free(&denied);
    return rc;
}

int wd_contract_imports(const wd_contract *c, const char *const *deny, char **out)
{
    *out = NULL;
    if (wd_contract_runtime(c) != WD_RUNTIME_NATIVE)
        return wd_error_set(WD_EINVAL, WD_L_PROCESS, wd_contract_path(c), 0, 0,
                            "%s is a process plugin: it is run, never loaded, so it has no "
                            "library imports to inspect",
                            wd_contract_id(c));
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = read_library(c, &data, &len);
    if (rc)
        return rc;
    wd_elf_imports imp;
    rc = wd_elf_imports_read(data, len, &imp);
    free(data);
    if (rc)
        return wd_error_set(WD_EPERM, WD_L_IMPORTS, wd_contract_library(c), 0, 0,
                            "library imports cannot be read: %s", wd_error_last()->message);
    rc = imports_text(c, &imp, deny, out);
    wd_elf_imports_free(&imp);
    return rc;
}

/* The code a contract names opens and is what the contract says: the library (hash), or the
 * program (hash, or a system file only root controls) and its interpreter, or a Python
 * handler's tree (hash) and its interpreter. */
static int open_checked(const wd_contract *c)
{
    int fd = -1, ifd = -1, rc;
    if (wd_contract_runtime(c) == WD_RUNTIME_PYTHON) {
        wd_handler_tree *t = NULL;
        rc = wd_contract_read_handler_tree(c, &t);
        wd_handler_tree_free(t);
    } else {
        rc = wd_contract_runtime(c) == WD_RUNTIME_NATIVE ? wd_contract_open_library(c, &fd)
                                                         : wd_contract_open_program(c, &fd);
    }
    if (!rc)
        rc = wd_contract_open_interpreter(c, &ifd);
    if (fd >= 0)
        close(fd);
    if (ifd >= 0)
        close(ifd);
    return rc;
}

/* Everything one contract goes through before it may register. */
static int consider(wd_registry *reg, const wd_discover_options *o, wd_load_report *r,
                    const char *path)
{
    wd_contract *c = NULL;
    wd_contract_options co = WD_CONTRACT_OPTIONS_INIT;
    int rc = wd_contract_load(&c, path, &co);
    if (!rc)
        rc = open_checked(c);
    if (!rc)
        rc = wd_contract_check_files(c, r->root);
    if (!rc && o->trust_dir) {
        rc = wd_contract_verify_signature(c, o->trust_dir, NULL);
        if (rc == WD_ENOTFOUND && !o->review_required)
            rc = 0;
    }
    if (!rc && o->approved_path)
        rc = wd_contract_check_approved(c, o->approved_path);
    /* a process plugin is not loaded into anything: there is no import to deny */
    if (!rc && o->deny_imports && wd_contract_runtime(c) == WD_RUNTIME_NATIVE) {
        char *list = NULL;
        rc = wd_contract_imports(c, o->deny_imports, &list);
        free(list);
    }
    char what[512] = "";
    if (!rc)
        snprintf(what, sizeof(what), "%s %s %s", wd_contract_id(c),
                 wd_plugin_type_name(wd_contract_type(c)), wd_contract_version(c));
    bool before_registry = rc != 0;
    if (!rc)
        rc = wd_registry_add_in(reg, c, 0, NULL, r->correlation_id);
    if (rc) {
        wd_contract_free(c);                      /* refused: still ours */
        return refuse(r, path, !before_registry); /* the registry records its own refusals */
    }
    return add_entry(r, path, true, "", what);
}

static bool seen_before(wd_load_report *r, const struct stat *st)
{
    for (size_t i = 0; i < r->seen_count; i++)
        if (r->seen[i].dev == st->st_dev && r->seen[i].ino == st->st_ino)
            return true;
    if (r->seen_count == r->seen_cap) {
        size_t cap = r->seen_cap ? r->seen_cap * 2 : 32;
        void *p = realloc(r->seen, cap * sizeof(*r->seen));
        if (!p)
            return false;
        r->seen = p;
        r->seen_cap = cap;
    }
    r->seen[r->seen_count].dev = st->st_dev;
    r->seen[r->seen_count].ino = st->st_ino;
    r->seen_count++;
    return false;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(wd_registry *reg, const wd_discover_options *o, wd_load_report *r, const char *dir,
                int depth, size_t max, size_t *considered)
{
    if (depth > MAX_DEPTH)
        return refused(r, dir, WD_L_PERMISSION, "directory nesting deeper than 32");
    DIR *d = opendir(dir);
    if (!d) {
        char msg[300];
        snprintf(msg, sizeof(msg), "cannot read the directory: %s", strerror(errno));
        return refused(r, dir, errno == EACCES ? WD_L_PERMISSION : WD_L_READ, msg);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && !rc) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(names, cap * sizeof(*names));
            if (!p) {
                rc = WD_ENOMEM;
                break;
            }
            names = p;
        }
        if (!(names[n] = strdup(e->d_name)))
            rc = WD_ENOMEM;
        else
            n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    /* Which contract files does this directory hold? More than one is ambiguous: refused for
     * this directory alone. */
    int contracts = 0;
    for (size_t i = 0; i < n; i++)
        contracts += !strcmp(names[i], "contract.yaml") || !strcmp(names[i], "contract.yml");
    char path[4200];
    if (!rc && contracts > 1)
        rc = refused(r, dir, WD_L_AMBIGUOUS,
                     "two contract files (contract.yaml and contract.yml) in one directory");
    for (size_t i = 0; i < n && !rc; i++) {
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
            rc = refused(r, dir, WD_L_READ, "path too long");
            continue;
        }
        struct stat st;
        if (lstat(path, &st) != 0) {
            rc = refuse(r, path, false);
            continue;
        }
        bool is_contract = !strcmp(names[i], "contract.yaml") || !strcmp(names[i], "contract.yml");
        if (S_ISLNK(st.st_mode)) {
            /* A link could lead anywhere, outside root included: never followed. */
            if (is_contract)
                rc = refused(r, path, WD_L_PERMISSION,
                             "a symbolic link: contracts are never read through links");
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = walk(reg, o, r, path, depth + 1, max, considered);
            continue;
        }
        if (!is_contract || contracts > 1)
            continue;
        if (seen_before(r, &st))
            continue; /* the same file reached twice (a hard link): loaded once */
        if (*considered == max) {
            rc = refused(r, path, WD_L_SIZE, "more contracts than the configured max");
            continue;
        }
        (*considered)++;
        rc = consider(reg, o, r, path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int wd_registry_discover(wd_registry *reg, const char *root, const wd_discover_options *opts,
                         wd_load_report **out)
{
    if (!reg || !root || !out)
        return wd_fail(WD_EINVAL, "wd_registry_discover needs a registry, a root and an output");
    *out = NULL;
    wd_discover_options o = WD_DISCOVER_OPTIONS_INIT;
    if (opts)
        o = *opts;
    if (o.version != WD_DISCOVER_OPTIONS_VERSION)
        return wd_fail(WD_EINVAL, "wd_discover_options version %u is not supported", o.version);
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
        return wd_error_set(WD_ENOTFOUND, WD_L_DIR, root, 0, 0, "not a directory");
    wd_load_report *r = calloc(1, sizeof(*r));
    if (!r)
        return wd_fail(WD_ENOMEM, "out of memory");
    r->reg = reg;
    int rc = 0;
    if (o.correlation_id)
        snprintf(r->correlation_id, sizeof(r->correlation_id), "%s", o.correlation_id);
    else
        rc = wd_uuid_v4(r->correlation_id);
    size_t considered = 0;
    char id[16], why[256];
    size_t unrecorded_before = wd_registry_unrecorded(reg, id, why);
    r->root = root;
    if (!rc)
        rc = walk(reg, &o, r, root, 0, o.max ? o.max : DEFAULT_MAX, &considered);
    r->root = NULL;
    r->unrecorded = wd_registry_unrecorded(reg, id, why) - unrecorded_before;
    if (r->unrecorded) {
        /* The registry keeps its first failure; a batch that began after it may have seen
         * only later ones, which carry the same kind of reason. */
        snprintf(r->unrecorded_id, sizeof(r->unrecorded_id), "%s", id);
        snprintf(r->unrecorded_why, sizeof(r->unrecorded_why), "%s", why);
    }
    if (rc) {
        wd_load_report_free(r);
        return rc == WD_ENOMEM ? wd_fail(WD_ENOMEM, "out of memory") : rc;
    }
    *out = r;
    return 0;
}

const char *wd_load_report_correlation_id(const wd_load_report *r)
{
    return r->correlation_id;
}

size_t wd_load_report_count(const wd_load_report *r)
{
    return r->count;
}

const wd_load_entry *wd_load_report_get(const wd_load_report *r, size_t i)
{
    return i < r->count ? &r->entries[i] : NULL;
}

size_t wd_load_report_refused(const wd_load_report *r)
{
    return r->refused;
}

size_t wd_load_report_unrecorded(const wd_load_report *r, const char **id, const char **why)
{
    if (id)
        *id = r->unrecorded ? r->unrecorded_id : "";
    if (why)
        *why = r->unrecorded ? r->unrecorded_why : "";
    return r->unrecorded;
}

void wd_load_report_free(wd_load_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free((char *)r->entries[i].path);
        free((char *)r->entries[i].id);
        free((char *)r->entries[i].message);
    }
    free(r->entries);
    free(r->seen);
    free(r);
}
