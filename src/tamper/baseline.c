/* baseline.c: signed manifests of the files warden trusts, verified before use, and locking
 * (integrity.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/json_event.h"
#include "audit/keys.h"
#include "crypto/crypto.h"
#include "tamper/baseline_int.h"
#include "tamper/codes.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/secure.h"
#include "util/timeutil.h"
#include "warden/audit.h"
#include "warden/integrity.h"

#define HEADER "warden-baseline-v1"
#define MANIFEST_MAX (64u << 20)

/* A reported problem: its words, then at most this much of the path it is about. */
enum { PROBLEM_MAX = 4400, PROBLEM_PATH_QUOTED = 4200 };
enum { WALK_OPEN_FDS = 16 }; /* descriptors nftw may hold open, one per level */

typedef struct {
    char *path;
    bool dir;
    char sha[2 * WD_SHA256_LEN + 1];
    unsigned mode, uid;
    unsigned long long size;
} entry;

typedef struct {
    entry *v;
    size_t n, cap;
    int failed; /* a WD_E* code once something went wrong */
} entries;

static int add(entries *e, const entry *x)
{
    if (e->n == WD_BASELINE_MAX_FILES)
        return wd_error_set(WD_ERANGE, WD_T_INPUT, NULL, 0, 0,
                            "more than %d files: not a baseline of configuration",
                            WD_BASELINE_MAX_FILES);
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 64;
        entry *v = realloc(e->v, cap * sizeof(*v));
        if (!v)
            return wd_fail(WD_ENOMEM, "out of memory");
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n] = *x;
    if (!(e->v[e->n].path = strdup(x->path)))
        return wd_fail(WD_ENOMEM, "out of memory");
    e->n++;
    return 0;
}

static void entries_free(entries *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].path);
    free(e->v);
    *e = (entries){0};
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

static bool name_ok(const char *p)
{
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static int hash_fd(int fd, uint8_t d[WD_SHA256_LEN])
{
    wd_hasher *h = NULL;
    int rc = wd_hasher_new(&h);
    if (!rc)
        rc = wd_sha256_fd(h, fd, d);
    wd_hasher_free(h);
    return rc;
}

/* SHA-256 of a file opened without following links, as hex. */
static int hash_file(const char *path, char out[2 * WD_SHA256_LEN + 1])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return wd_error_set(WD_EIO, WD_T_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    struct stat st;
    uint8_t d[WD_SHA256_LEN];
    int rc;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) /* swapped since lstat: never a FIFO */
        rc = wd_error_set(WD_EIO, WD_T_IO, path, 0, 0, "not a regular file");
    else
        rc = hash_fd(fd, d);
    close(fd);
    if (!rc)
        wd_hex_encode(d, sizeof(d), out);
    return rc;
}

static entries *walk_into; /* nftw has no context argument */

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    entry x = {.path = (char *)path, .mode = st->st_mode & 07777, .uid = st->st_uid};
    int rc;
    if (!name_ok(path))
        rc = wd_error_set(WD_EINVAL, WD_T_INPUT, NULL, 0, 0,
                          "a name with control characters cannot be baselined");
    else if (type == FTW_D)
        x.dir = true, rc = add(walk_into, &x);
    else if (type == FTW_F && S_ISREG(st->st_mode)) {
        x.size = (unsigned long long)st->st_size;
        rc = hash_file(path, x.sha);
        if (!rc)
            rc = add(walk_into, &x);
    } else
        rc = wd_error_set(WD_EINVAL, WD_T_INPUT, path, 0, 0,
                          type == FTW_SL ? "a symbolic link: baseline what it points to instead"
                                         : "not a regular file or directory");
    if (rc)
        walk_into->failed = rc;
    return rc ? 1 : 0;
}

/* Adds one named path to e: a file, or a directory and everything under it. */
static int collect_one(const char *path, entries *e)
{
    char *real = realpath(path, NULL);
    struct stat st;
    int rc = 0;
    if (!real || lstat(path, &st) != 0) {
        rc = wd_error_set(WD_ENOTFOUND, WD_T_IO, path, 0, 0, "cannot read: %s", strerror(errno));
    } else if (S_ISLNK(st.st_mode)) {
        rc = wd_error_set(WD_EINVAL, WD_T_INPUT, path, 0, 0,
                          "a symbolic link: baseline what it points to instead");
    } else {
        walk_into = e;
        int r = nftw(real, visit, WALK_OPEN_FDS, FTW_PHYS);
        if (e->failed)
            rc = e->failed;
        else if (r != 0)
            rc = wd_error_set(WD_EIO, WD_T_IO, path, 0, 0, "cannot walk: %s", strerror(errno));
    }
    free(real);
    return rc;
}

static int collect(const char *const *paths, size_t n, entries *e)
{
    for (size_t i = 0; i < n; i++) {
        int rc = collect_one(paths[i], e);
        if (rc)
            return rc;
    }
    qsort(e->v, e->n, sizeof(*e->v), cmp_entry);
    for (size_t i = 1; i < e->n; i++)
        if (!strcmp(e->v[i].path, e->v[i - 1].path)) { /* the same file named twice */
            free(e->v[i].path);
            memmove(&e->v[i], &e->v[i + 1], (e->n - i - 1) * sizeof(*e->v));
            e->n--;
            i--;
        }
    return 0;
}

static int write_manifest(const char *manifest, const char *text)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", manifest, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
    if (fd < 0)
        return wd_error_set(WD_EIO, WD_T_IO, manifest, 0, 0, "cannot write: %s", strerror(errno));
    int rc = fchmod(fd, 0444) || wd_write_all(fd, text, strlen(text)) || fsync(fd) ? -1 : 0;
    int e = errno;
    close(fd);
    if (!rc && rename(tmp, manifest) != 0)
        rc = -1, e = errno;
    if (rc) {
        unlink(tmp);
        return wd_error_set(WD_EIO, WD_T_IO, manifest, 0, 0, "cannot write: %s", strerror(e));
    }
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s", manifest);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int wd_baseline_create(const char *const *paths, size_t n, const char *keys_dir,
                       const char *manifest, struct wd_audit *audit, size_t *count)
{
    if (!paths || !n || !keys_dir || !manifest)
        return wd_fail(WD_EINVAL, "a baseline needs paths, a keys directory and a manifest");
    char keypath[4200];
    uint8_t priv[WD_ED25519_KEY_LEN], pub[WD_ED25519_KEY_LEN], sig[WD_ED25519_SIG_LEN];
    snprintf(keypath, sizeof(keypath), "%s/%s", keys_dir, WD_AUDIT_SIGNING_KEY);
    int rc = wd_keyfile_read(keypath, WD_SIGNING_KEY_HEADER, true, priv, sizeof(priv));
    if (rc)
        return rc;
    entries e = {0};
    wd_buf b = WD_BUF_INIT;
    rc = wd_ed25519_public(priv, pub);
    if (!rc)
        rc = collect(paths, n, &e);
    /* The manifest must not describe itself (it changes as it is written). */
    /* Where the manifest will be (it may not exist yet): its directory, resolved. */
    char mdir[4200], *real_dir = NULL;
    snprintf(mdir, sizeof(mdir), "%s", manifest);
    char *mslash = strrchr(mdir, '/');
    if (mslash)
        *(mslash == mdir ? mslash + 1 : mslash) = 0;
    if (!rc && !(real_dir = realpath(mslash ? mdir : ".", NULL)))
        rc = wd_error_set(WD_EIO, WD_T_IO, manifest, 0, 0, "cannot resolve its directory: %s",
                          strerror(errno));
    size_t rdl = real_dir ? strlen(real_dir) : 0;
    for (size_t i = 0; !rc && i < e.n; i++) {
        size_t pl = strlen(e.v[i].path);
        /* The manifest's directory is, or lies inside, a baselined directory. */
        if (e.v[i].dir && pl <= rdl && !strncmp(real_dir, e.v[i].path, pl) &&
            (real_dir[pl] == 0 || real_dir[pl] == '/' || pl == 1))
            rc = wd_error_set(WD_EINVAL, WD_T_INPUT, manifest, 0, 0,
                              "the manifest lies inside what it describes");
    }
    free(real_dir);
    if (!rc) {
        char now[WD_TIME_TEXT_LEN + 1], hex[2 * WD_ED25519_SIG_LEN + 1];
        wd_time_format(wd_time_now_ns(), now);
        wd_hex_encode(pub, sizeof(pub), hex);
        wd_buf_printf(&b, "%s\ncreated %s\nkey %s\n", HEADER, now, hex);
        for (size_t i = 0; i < e.n; i++) {
            const entry *x = &e.v[i];
            if (x->dir)
                wd_buf_printf(&b, "dir %04o %u %s\n", x->mode, x->uid, x->path);
            else
                wd_buf_printf(&b, "file %s %04o %u %llu %s\n", x->sha, x->mode, x->uid, x->size,
                              x->path);
        }
        rc =
            b.oom ? wd_fail(WD_ENOMEM, "out of memory") : wd_ed25519_sign(priv, b.data, b.len, sig);
        if (!rc) {
            wd_hex_encode(sig, sizeof(sig), hex);
            wd_buf_printf(&b, "signature %s\n", hex);
            rc = b.oom ? wd_fail(WD_ENOMEM, "out of memory") : write_manifest(manifest, b.data);
        }
    }
    wd_wipe(priv, sizeof(priv));
    if (!rc) {
        size_t files = 0;
        for (size_t i = 0; i < e.n; i++)
            files += !e.v[i].dir;
        if (count)
            *count = files;
        rc = wd_audit_json(
            audit, "BASELINE_CREATED", WD_SEVERITY_HIGH, "", NULL,
            json_pack("{s:s, s:I}", "manifest", manifest, "files", (json_int_t)files));
        if (rc)
            unlink(manifest); /* not recorded, not made */
    }
    wd_buf_free(&b);
    entries_free(&e);
    return rc;
}

/* ---- verification -------------------------------------------------------------------------- */

/* Checks the signature, then parses the entries into e. */
static int load(const char *manifest, const char *pubkey_path, entries *e);

int wd_baseline_paths(const char *manifest, const char *pubkey_path, char ***paths, bool **dirs,
                      size_t *n)
{
    entries e = {0};
    *paths = NULL;
    *dirs = NULL;
    *n = 0;
    int rc = load(manifest, pubkey_path, &e);
    if (!rc) {
        *paths = calloc(e.n ? e.n : 1, sizeof(char *));
        *dirs = calloc(e.n ? e.n : 1, sizeof(bool));
        if (!*paths || !*dirs) {
            free(*paths);
            free(*dirs);
            *paths = NULL;
            *dirs = NULL;
            rc = wd_fail(WD_ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; !rc && i < e.n; i++) {
        (*paths)[i] = e.v[i].path; /* ownership moves */
        (*dirs)[i] = e.v[i].dir;
        e.v[i].path = NULL;
    }
    if (!rc)
        *n = e.n;
    entries_free(&e);
    return rc;
}

/* Checks the manifest's last line, the signature, over everything before it; *end is where
 * that line starts (the end of the signed entries). */
static int check_signature(const char *manifest, const char *pubkey_path,
                           const uint8_t pub[WD_ED25519_KEY_LEN], const char *text, size_t len,
                           const char **end)
{
    uint8_t sig[WD_ED25519_SIG_LEN];
    /* The last line is the signature: find where it starts (a file without a line break
     * before its end has none). */
    const char *s = NULL;
    if (len >= 2 && text[len - 1] == '\n')
        for (size_t i = len - 2; !s && i > 0; i--)
            if (text[i] == '\n')
                s = text + i + 1;
    if (!s || strncmp(s, "signature ", 10) != 0 || strlen(s) != 10 + 128 + 1 ||
        !wd_hex_decode(s + 10, 128, sig, sizeof(sig)))
        return wd_error_set(WD_EINVAL, WD_T_FORMAT, manifest, 0, 0,
                            "no signature line: not a warden baseline");
    if (!wd_ed25519_verify(pub, text, (size_t)(s - text), sig))
        return wd_error_set(WD_EPERM, WD_T_SIGNATURE, manifest, 0, 0,
                            "the signature does not verify with %s: the baseline was changed "
                            "or made with another key; nothing in it is trusted",
                            pubkey_path);
    *end = s;
    return 0;
}
/* Reads the signed entries, text up to end, into e. */
static int read_entries(const char *manifest, char *text, const char *end, entries *e)
{
    int rc = 0;
    unsigned line = 0;
    for (char *p = text, *nl; !rc && p < end; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        *nl = 0;
        line++;
        entry x = {0};
        int off = 0;
        if (line == 1 && strcmp(p, HEADER) != 0)
            rc = 1;
        else if (line == 1 || !strncmp(p, "created ", 8) || !strncmp(p, "key ", 4))
            continue;
        else if (sscanf(p, "dir %o %u %n", &x.mode, &x.uid, &off) == 2 && off)
            x.dir = true, x.path = p + off;
        else if (sscanf(p, "file %64s %o %u %llu %n", x.sha, &x.mode, &x.uid, &x.size, &off) == 4 &&
                 off && strlen(x.sha) == 64)
            x.path = p + off;
        else
            rc = 1;
        if (!rc && (x.path[0] != '/' || !name_ok(x.path)))
            rc = 1;
        if (!rc)
            rc = add(e, &x);
        else if (rc == 1)
            rc = wd_error_set(WD_EINVAL, WD_T_FORMAT, manifest, line, 1,
                              "a signed line that is not a baseline entry");
    }
    return rc;
}

static int load(const char *manifest, const char *pubkey_path, entries *e)
{
    uint8_t pub[WD_ED25519_KEY_LEN];
    int rc = wd_keyfile_read(pubkey_path, WD_PUBLIC_KEY_HEADER, false, pub, sizeof(pub));
    if (rc)
        return rc;
    char *text = NULL;
    size_t len = 0;
    rc = wd_file_read(manifest, MANIFEST_MAX, &text, &len, WD_T_IO, WD_T_FORMAT);
    if (rc)
        return rc;
    const char *end = NULL;
    rc = check_signature(manifest, pubkey_path, pub, text, len, &end);
    if (!rc) /* signed: now the entries can be read */
        rc = read_entries(manifest, text, end, e);
    free(text);
    return rc;
}

static void say(void (*report)(const char *, void *), void *ctx, size_t *problems, const char *what,
                const char *path)
{
    (*problems)++;
    if (report) {
        char line[PROBLEM_MAX];
        snprintf(line, sizeof(line), "%s: %.*s", what, (int)PROBLEM_PATH_QUOTED, path);
        report(line, ctx);
    }
}

static int in_baseline(const entries *e, const char *path)
{
    entry key = {.path = (char *)path};
    return bsearch(&key, e->v, e->n, sizeof(*e->v), cmp_entry) != NULL;
}

static void check_entry(const entries *e, const entry *x, size_t *problems,
                        void (*report)(const char *, void *), void *ctx)
{
    struct stat st;
    if (lstat(x->path, &st) != 0) {
        say(report, ctx, problems, "missing", x->path);
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        say(report, ctx, problems, "replaced by a symbolic link", x->path);
        return;
    }
    if (x->dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
        say(report, ctx, problems, "replaced by another kind of file", x->path);
        return;
    }
    if (st.st_uid != x->uid)
        say(report, ctx, problems, "owner changed", x->path);
    if ((st.st_mode & 07777) & ~x->mode)
        say(report, ctx, problems, "permissions loosened", x->path);
    if (x->dir) {
        /* Nothing may have been added: a policy dropped into a contracts directory counts. */
        DIR *d = opendir(x->path);
        if (!d) { /* what cannot be listed cannot be vouched for */
            say(report, ctx, problems, "unreadable", x->path);
            return;
        }
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char child[4200];
            snprintf(child, sizeof(child), "%s%s%s", x->path,
                     x->path[strlen(x->path) - 1] == '/' ? "" : "/", de->d_name);
            if (!in_baseline(e, child))
                say(report, ctx, problems, "added", child);
        }
        if (d)
            closedir(d);
        return;
    }
    char sha[2 * WD_SHA256_LEN + 1];
    if ((unsigned long long)st.st_size != x->size || hash_file(x->path, sha) != 0 ||
        strcmp(sha, x->sha) != 0)
        say(report, ctx, problems, "modified", x->path);
}

int wd_baseline_verify(const char *manifest, const char *pubkey_path, wd_baseline_result *result,
                       void (*report)(const char *line, void *ctx), void *ctx)
{
    wd_baseline_result r = {0};
    if (result)
        *result = r;
    if (!manifest || !pubkey_path)
        return wd_fail(WD_EINVAL, "verification needs a manifest and a public key");
    entries e = {0};
    int rc = load(manifest, pubkey_path, &e);
    for (size_t i = 0; !rc && i < e.n; i++) {
        r.files += !e.v[i].dir;
        check_entry(&e, &e.v[i], &r.problems, report, ctx);
    }
    entries_free(&e);
    if (rc)
        return rc;
    if (result)
        *result = r;
    if (r.problems)
        return wd_error_set(WD_ESTATE, WD_T_MISMATCH, manifest, 0, 0,
                            "%zu of the baseline's files differ from it", r.problems);
    return 0;
}

/* ---- locking ------------------------------------------------------------------------------- */

/* The immutable attribute on an open descriptor. */
static int set_immutable(int fd, bool on)
{
    int flags = 0, rc = ioctl(fd, FS_IOC_GETFLAGS, &flags);
    if (rc == 0) {
        flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
        rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
    return rc;
}

static void tell(void (*report)(const char *, void *), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void tell(void (*report)(const char *, void *), void *ctx, const char *fmt, ...)
{
    if (!report)
        return;
    char line[4400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    report(line, ctx);
}

typedef struct {
    bool lock;
    void (*report)(const char *, void *);
    void *ctx;
    size_t not_done, immutable;
} lock_run;

/* Locks or unlocks one entry through fd, which is the entry (checked); what cannot be done is
 * told and counted, not an error. */
static void change_through(int fd, const entry *x, lock_run *run)
{
    if (!run->lock && set_immutable(fd, false) != 0 && errno != ENOTTY && errno != EOPNOTSUPP) {
        tell(run->report, run->ctx, "cannot clear the immutable attribute of %s: %s", x->path,
             strerror(errno));
        run->not_done++;
    }
    mode_t mode = run->lock ? (mode_t)(x->mode & ~0222u) : (mode_t)x->mode;
    if (fchmod(fd, mode) != 0) {
        tell(run->report, run->ctx, "cannot chmod %s: %s", x->path, strerror(errno));
        run->not_done++;
    }
    if (run->lock) {
        if (set_immutable(fd, true) == 0)
            run->immutable++;
        else
            tell(run->report, run->ctx,
                 "no immutable attribute for %s (%s): read-only permissions only", x->path,
                 strerror(errno));
    }
}

/* Every change goes through a descriptor opened without following links and checked against
 * the baseline (type and owner): a file swapped for a link is never chmod-ed through it. */
static int change_one(const entry *x, lock_run *run)
{
    int fd = open(x->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    int rc = 0;
    if (fd < 0 || fstat(fd, &st) != 0 || (x->dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) ||
        st.st_uid != x->uid)
        rc = wd_error_set(WD_ESTATE, WD_T_MISMATCH, x->path, 0, 0,
                          "not the %s the baseline describes (a link, another kind of file or "
                          "owner): stopped, nothing changed through it",
                          x->dir ? "directory" : "file");
    else
        change_through(fd, x, run);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int lock_or_unlock(const char *manifest, const char *pubkey_path, struct wd_audit *audit,
                          void (*report)(const char *, void *), void *ctx, bool lock)
{
    if (lock) {
        wd_baseline_result r;
        int rc = wd_baseline_verify(manifest, pubkey_path, &r, report, ctx);
        if (rc)
            return rc; /* never lock in what does not match */
    }
    entries e = {0};
    lock_run run = {.lock = lock, .report = report, .ctx = ctx};
    int rc = load(manifest, pubkey_path, &e);
    for (size_t i = 0; !rc && i < e.n; i++)
        rc = change_one(&e.v[i], &run);
    if (!rc)
        rc = wd_audit_json(audit, lock ? "INTEGRITY_LOCKED" : "INTEGRITY_UNLOCKED",
                           WD_SEVERITY_HIGH, "", NULL,
                           json_pack("{s:s, s:I, s:I, s:I}", "manifest", manifest, "entries",
                                     (json_int_t)e.n, "immutable", (json_int_t)run.immutable,
                                     "not_done", (json_int_t)run.not_done));
    entries_free(&e);
    return rc;
}

int wd_integrity_lock(const char *manifest, const char *pubkey_path, struct wd_audit *audit,
                      void (*report)(const char *line, void *ctx), void *ctx)
{
    return lock_or_unlock(manifest, pubkey_path, audit, report, ctx, true);
}

int wd_integrity_unlock(const char *manifest, const char *pubkey_path, struct wd_audit *audit,
                        void (*report)(const char *line, void *ctx), void *ctx)
{
    return lock_or_unlock(manifest, pubkey_path, audit, report, ctx, false);
}
