/* broker.c: deciding and resolving a plugin's requests (broker.h). */
#include "sandbox/broker.h"
#include "sandbox/broker_int.h"
#include "warden/integrity.h"
#include "warden/override.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/landlock.h"
#include "util/path.h"

#define MAX_SYMLINK_HOPS 8

void wd_broker_refuse(wd_broker_answer *ans, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ans->reason, sizeof(ans->reason), fmt, ap);
    va_end(ap);
    ans->err = err;
    ans->allowed = 0;
    if (ans->fd >= 0)
        close(ans->fd);
    ans->fd = -1;
}

int wd_broker_is_protected(const wd_broker *b, const char *path)
{
    wd_verdict_rules r = {.private_paths = (const char *const *)b->protected_paths,
                          .nprivate = b->protected_count};
    return wd_verdict_is_private(&r, path);
}

int wd_broker_verdict(const wd_broker *b, wd_broker_answer *ans, const wd_request *req,
                      const char *verb, const char *target, wd_final *out)
{
    wd_verdict_rules r = {
        .watch = b->watch,
        .protect = b->protect_changes,
        .protect_own = b->protect_own,
        .overrides = b->component ? b->overrides : NULL,
        .component = b->component,
        .audit = b->audit,
        .private_paths = (const char *const *)b->protected_paths,
        .nprivate = b->protected_count,
        .consumed = ans->override_op,
    };
    return wd_verdict_decide(&r, b->policy, req, verb, target, out);
}

/* A refusal of verb `what` on ans->target (which the reason does not repeat). */
static void refuse(wd_broker_answer *ans, const char *what, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void refuse(wd_broker_answer *ans, const char *what, int err, const char *fmt, ...)
{
    char reason[sizeof(ans->reason)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    wd_broker_refuse(ans, err, "%s", reason);
    snprintf(ans->what, sizeof(ans->what), "%s", what);
}

/* Whether a denial is only the policy's silence on a read or an execute beneath one of the
 * contract's runtime roots (which then allow it): an explicit deny, lockdown or a private path
 * still refuses. */
static bool runtime_read(const wd_broker *b, const wd_request *req, const wd_final *f)
{
    if (!b->runtime_count || req->kind != WD_REQ_STORAGE || f->reason != WD_FINAL_NO_RULE ||
        !(req->access & (WD_ACCESS_READ | WD_ACCESS_EXECUTE)))
        return false;
    for (size_t i = 0; i < b->runtime_count; i++) {
        size_t n = strlen(b->runtime_roots[i]);
        if (strncmp(req->path, b->runtime_roots[i], n) == 0 &&
            (req->path[n] == '/' || req->path[n] == 0))
            return true;
    }
    return false;
}

/* The verdict on a request; on a denial fills ans (the reason names the operation an approval
 * would be for) and returns 0. */
static int decide(const wd_broker *b, const wd_request *req, const char *what, const char *target,
                  wd_broker_answer *ans)
{
    wd_final f;
    int rc = wd_broker_verdict(b, ans, req, what, target, &f);
    if (rc == WD_EINVAL) {
        refuse(ans, what, EINVAL, "malformed request");
        return 0;
    }
    if (rc) {
        refuse(ans, what, EACCES, "denied: the approvals cannot be read");
        return 0;
    }
    if (f.d.effect != WD_ALLOW && runtime_read(b, req, &f)) {
        snprintf(ans->reason, sizeof(ans->reason), "beneath a runtime root of the contract");
        ans->runtime = 1;
        return 1;
    }
    if (f.d.effect != WD_ALLOW) {
        if (f.operation[0])
            refuse(ans, what, EACCES, "%.700s [operation %s]", f.why, f.operation);
        else
            refuse(ans, what, EACCES, "%.760s", f.why);
        return 0;
    }
    snprintf(ans->reason, sizeof(ans->reason), "%.760s", f.why);
    return 1;
}

/* Decides one storage access on a normalised path; on a denial fills ans and returns 0. */
static int decide_path(const wd_broker *b, const char *path, unsigned access, const char *what,
                       wd_broker_answer *ans)
{
    wd_request req = {.kind = WD_REQ_STORAGE, .access = access, .path = path};
    return decide(b, &req, what, path, ans);
}

static long sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode,
                        uint64_t resolve)
{
    struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
    return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* The path a descriptor refers to now, as the kernel sees it. */
static int fd_path(int fd, char *out, size_t size)
{
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, out, size - 1);
    if (n < 0 || (size_t)n >= size - 1)
        return -1;
    out[n] = 0;
    return out[0] == '/' ? 0 : -1;
}

enum {
    /* Room after the real directory for "/" and a last component (NAME_MAX). */
    REAL_SUFFIX_MAX = 256,
    /* What a native plugin may ask wd_host_open for ... */
    ALLOWED_FLAGS = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | O_EXCL | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC | O_NONBLOCK,
    /* ... and what an unmodified program's open(2) may carry besides. */
    PROCESS_FLAGS = ALLOWED_FLAGS | O_PATH | O_SYNC | O_DSYNC
};

/* Decides the path a step really reaches: the real directory (in real, from its descriptor)
 * with base appended, for every access needed. On a denial fills ans and returns 0. */
static int decide_real(const wd_broker *b, char *real, size_t real_size, const char *base,
                       unsigned need, wd_broker_answer *ans)
{
    size_t rl = strlen(real);
    snprintf(real + rl, real_size - rl, "%s%s", rl == 1 ? "" : "/", base);
    snprintf(ans->target, sizeof(ans->target), "%s", real);
    /* The path as resolved is what counts: "..", symlinked directories and mounts end here. */
    for (unsigned bit = WD_ACCESS_READ; bit <= WD_ACCESS_DELETE; bit <<= 1)
        if ((need & bit) && !decide_path(b, real, bit, wd_access_name(bit), ans))
            return 0;
    return 1;
}

/* The last component is a symbolic link: *next receives its target, or ans a refusal. */
static void follow_link(int dir, const char *base, const char *real, int flags,
                        wd_broker_answer *ans, char *next, size_t next_size)
{
    if (flags & O_NOFOLLOW) {
        refuse(ans, "open", ELOOP, "a symbolic link, and O_NOFOLLOW was asked");
        return;
    }
    char target[WD_PATH_MAX];
    ssize_t n = readlinkat(dir, base, target, sizeof(target) - 1);
    if (n <= 0 || (size_t)n >= sizeof(target) - 1) {
        refuse(ans, "open", ELOOP, "unreadable symbolic link");
        return;
    }
    target[n] = 0;
    /* Relative targets resolve against the real directory, never the plugin's spelling. */
    size_t dl = (size_t)(strrchr(real, '/') - real);
    if (target[0] == '/')
        snprintf(next, next_size, "%s", target);
    else
        snprintf(next, next_size, "%.*s/%s", (int)dl, real, target);
}

/* Opens the last component beneath dir (borrowed) without following it, once real (its real
 * path) has been decided. Returns the new descriptor, or -1 with ans refused or *next set. */
static int open_last(const wd_broker *b, int dir, const char *base, const char *real, int flags,
                     wd_broker_answer *ans, char *next, size_t next_size)
{
    struct stat st;
    int exists = fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && (flags & O_CREAT) && (flags & O_EXCL)) {
        /* As open(2): O_EXCL fails on any existing name, a symbolic link included. */
        refuse(ans, "open", EEXIST, "exists, and O_CREAT|O_EXCL was asked");
        return -1;
    }
    if (exists && S_ISLNK(st.st_mode)) {
        follow_link(dir, base, real, flags, ans, next, next_size);
        return -1;
    }
    if (exists && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        refuse(ans, "open", EACCES, "not a regular file or directory");
        return -1;
    }
    if (!exists && !(flags & O_CREAT)) {
        refuse(ans, "open", ENOENT, "no such file");
        return -1;
    }
    if (!exists && !decide_path(b, real, WD_ACCESS_CREATE, "create", ans))
        return -1;
    uint64_t oflags =
        (flags & O_PATH)
            ? (uint64_t)(flags & (O_PATH | O_DIRECTORY)) | O_CLOEXEC | O_NOFOLLOW
            : (uint64_t)(flags & ~O_CREAT) | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
    if (!exists)
        oflags |= O_CREAT | O_EXCL;
    long fd = sys_openat2(dir, base, oflags, exists ? 0 : 0600,
                          RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS);
    if (fd < 0) {
        int e = errno;
        refuse(ans, "open", e, "%s", strerror(e));
        return -1;
    }
    return (int)fd;
}

/* Hands a freshly opened descriptor to ans (which then owns it) if it is what it should be. */
static void keep_opened(wd_broker_answer *ans, int fd, int flags)
{
    ans->fd = fd;
    struct stat st;
    if (fstat(ans->fd, &st) != 0 || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
        refuse(ans, "open", EACCES, "not a regular file or directory");
        return;
    }
    /* F_SETFL sets exactly these status flags: O_NONBLOCK goes, O_APPEND stays as asked. */
    if (!(flags & (O_NONBLOCK | O_PATH)))
        fcntl(ans->fd, F_SETFL, flags & O_APPEND);
    ans->allowed = 1;
}

/* An existing file named without a symbolic link anywhere (RESOLVE_NO_SYMLINKS refuses one
 * with ELOOP, the last component included): the path as asked, which the caller decided, is
 * the real one, and one openat2 opens it. Returns the descriptor, or -1 (errno) to take the
 * step by step way, which then reports and decides whatever it meets. */
static int open_direct(const char *path, int flags)
{
    uint64_t oflags = (flags & O_PATH) ? (uint64_t)(flags & (O_PATH | O_DIRECTORY)) | O_CLOEXEC
                                       : (uint64_t)flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    return (int)sys_openat2(AT_FDCWD, path, oflags | O_NOFOLLOW, 0,
                            RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

int wd_broker_parent(const wd_broker *b, const char *path, unsigned need, const char *what,
                     wd_broker_answer *ans, char *real, size_t real_size, const char **base)
{
    const char *slash = strrchr(path, '/');
    char parent[WD_PATH_MAX];
    *base = slash + 1;
    if (slash == path)
        snprintf(parent, sizeof(parent), "/");
    else
        snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
    if (!**base || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
        refuse(ans, what, EISDIR, "not a name a plugin may %s", what);
        return -1;
    }
    if (real_size < WD_PATH_MAX + REAL_SUFFIX_MAX) {
        refuse(ans, what, EACCES, "no room for the real path");
        return -1;
    }
    /* No symbolic link on the way: the directory reached is the one named, so the path as
     * asked (which the caller decided) is the real one and needs no second verdict. */
    int dir = (int)sys_openat2(AT_FDCWD, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                               RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS);
    if (dir >= 0) {
        snprintf(real, real_size, "%s%s%s", parent, strcmp(parent, "/") ? "/" : "", *base);
        snprintf(ans->target, sizeof(ans->target), "%s", real);
        return dir;
    }
    if (errno == ELOOP)
        dir = (int)sys_openat2(AT_FDCWD, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                               RESOLVE_NO_MAGICLINKS);
    if (dir < 0) {
        int e = errno;
        refuse(ans, what, e, "%s", strerror(e));
        return -1;
    }
    if (fd_path(dir, real, WD_PATH_MAX) != 0) {
        refuse(ans, what, EACCES, "cannot tell where the directory really is");
    } else if (decide_real(b, real, real_size, *base, need, ans)) {
        return dir;
    }
    close(dir);
    return -1;
}

int wd_broker_decide_path(const wd_broker *b, const char *path, unsigned access,
                          wd_broker_answer *ans)
{
    return decide_path(b, path, access, wd_access_name(access), ans);
}

/* One resolution step: opens the parent of a normalised path, re-decides the path it really
 * is, then opens the last component without following it. *next receives a symlink's target
 * when the last component is one (and the plugin did not ask for O_NOFOLLOW). */
static void open_step(const wd_broker *b, const char *path, int flags, unsigned need,
                      wd_broker_answer *ans, char *next, size_t next_size)
{
    next[0] = 0;
    struct stat st;
    if (!(flags & O_CREAT) && strcmp(path, "/") != 0 &&
        fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode)) {
        /* A device acts when opened and a FIFO may block: never opened at all. (The plugin
         * cannot swap the name in between: its renames are this broker's, one at a time.) */
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
            refuse(ans, "open", EACCES, "not a regular file or directory");
            return;
        }
        int fd = open_direct(path, flags);
        if (fd >= 0) {
            keep_opened(ans, fd, flags);
            return;
        }
    }
    char real[WD_PATH_MAX + REAL_SUFFIX_MAX];
    const char *base;
    int dir = wd_broker_parent(b, path, need, "open", ans, real, sizeof(real), &base);
    if (dir < 0)
        return;
    int fd = open_last(b, dir, base, real, flags, ans, next, next_size);
    close(dir);
    if (fd >= 0)
        keep_opened(ans, fd, flags);
}

void wd_broker_open(const wd_broker *b, const char *path, int flags, wd_broker_answer *ans)
{
    if (flags & ~ALLOWED_FLAGS) {
        *ans = (wd_broker_answer){.fd = -1};
        snprintf(ans->target, sizeof(ans->target), "%s", path);
        refuse(ans, "open", EINVAL, "flags 0x%x are not offered by the broker",
               (unsigned)(flags & ~ALLOWED_FLAGS));
        return;
    }
    wd_broker_open_for(b, path, flags, 0, ans);
}

void wd_broker_open_for(const wd_broker *b, const char *path, int flags, unsigned need,
                        wd_broker_answer *ans)
{
    *ans = (wd_broker_answer){.fd = -1};
    snprintf(ans->target, sizeof(ans->target), "%s", path);
    if (b->pure) {
        refuse(ans, "open", EACCES, "policy plugins get no storage");
        return;
    }
    if (flags & ~PROCESS_FLAGS) {
        refuse(ans, "open", EINVAL, "flags 0x%x are not offered by the broker",
               (unsigned)(flags & ~PROCESS_FLAGS));
        return;
    }
    int mode = flags & O_ACCMODE;
    if (mode == O_ACCMODE) {
        refuse(ans, "open", EINVAL, "invalid access mode");
        return;
    }
    if (!need) {
        if (mode == O_RDONLY || mode == O_RDWR)
            need |= WD_ACCESS_READ;
        if (mode != O_RDONLY || (flags & (O_TRUNC | O_APPEND)))
            need |= WD_ACCESS_WRITE;
    }
    char cur[WD_PATH_MAX], next[WD_PATH_MAX + 16];
    snprintf(next, sizeof(next), "%s", path);
    for (int hop = 0; hop <= MAX_SYMLINK_HOPS; hop++) {
        bool escapes = false;
        if (wd_path_normalize(next, cur, sizeof(cur), &escapes) != 0) {
            snprintf(ans->target, sizeof(ans->target), "%s", next);
            refuse(ans, "open", EINVAL, "not an absolute path of at most %d bytes",
                   WD_PATH_MAX - 1);
            return;
        }
        if (escapes) {
            snprintf(ans->target, sizeof(ans->target), "%s", next);
            refuse(ans, "open", EACCES, "the path climbs above /");
            return;
        }
        snprintf(ans->target, sizeof(ans->target), "%s", cur);
        /* First the path as asked for, so a denial names what the plugin wrote. */
        for (unsigned bit = WD_ACCESS_READ; bit <= WD_ACCESS_EXECUTE; bit <<= 1)
            if ((need & bit) && !decide_path(b, cur, bit, wd_access_name(bit), ans))
                return;
        open_step(b, cur, flags, need, ans, next, sizeof(next));
        if (!next[0] || ans->err)
            return;
    }
    snprintf(ans->target, sizeof(ans->target), "%s", path);
    refuse(ans, "open", ELOOP, "more than %d symbolic links", MAX_SYMLINK_HOPS);
}

void wd_broker_getenv(const wd_broker *b, const char *key, wd_broker_answer *ans)
{
    *ans = (wd_broker_answer){.fd = -1};
    snprintf(ans->target, sizeof(ans->target), "%s", key);
    if (b->pure) {
        refuse(ans, "env", EACCES, "policy plugins get no environment");
        return;
    }
    wd_request req = {.kind = WD_REQ_ENVIRONMENT, .key = key};
    if (!decide(b, &req, "env", key, ans)) {
        if (ans->err == EINVAL)
            snprintf(ans->reason, sizeof(ans->reason), "not a valid key");
        return;
    }
    size_t n = strlen(key);
    for (const char *const *e = b->environ; e && *e; e++)
        if (strncmp(*e, key, n) == 0 && (*e)[n] == '=') {
            ans->value = *e + n + 1;
            ans->allowed = 1;
            return;
        }
    refuse(ans, "env", ENOENT, "allowed, but not set");
}

/* ---- Landlock plan ----------------------------------------------------------------------- */

static uint64_t ll_bits(unsigned access)
{
    uint64_t ll = 0;
    if (access & WD_ACCESS_READ)
        ll |= WD_LL_READ_FILE | WD_LL_READ_DIR;
    if (access & WD_ACCESS_WRITE)
        ll |= WD_LL_WRITE_FILE | WD_LL_TRUNCATE;
    if (access & WD_ACCESS_CREATE)
        ll |= WD_LL_MAKE_REG | WD_LL_MAKE_DIR;
    if (access & WD_ACCESS_DELETE)
        ll |= WD_LL_REMOVE_FILE | WD_LL_REMOVE_DIR;
    if (access & WD_ACCESS_EXECUTE)
        ll |= WD_LL_EXECUTE;
    return ll;
}

/* The literal directory a pattern starts with: up to the first segment with a '*'. */
static size_t literal_prefix(const char *pattern)
{
    const char *star = strchr(pattern, '*');
    if (!star)
        return strlen(pattern);
    const char *s = star;
    while (s > pattern && s[-1] != '/')
        s--;
    return s > pattern ? (size_t)(s - pattern - 1) : 0;
}

/* a and b (prefix lengths) are on one line of descent: one lies inside the other. */
static int related(const char *a, size_t na, const char *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    if (n == 0)
        return 1; /* "/" or a pattern that starts with a wildcard */
    if (strncmp(a, b, n) != 0)
        return 0;
    const char *longer = na > nb ? a : b;
    return na == nb || longer[n] == '/';
}

/* Whether a protected path is path, lies beneath it, or holds it (anything but a clear "no"). */
static bool changes_protected(const struct wd_protected *p, const char *path)
{
    return p && wd_protected_match_tree(p, path, NULL, NULL, 0) != 0;
}

/* Whether a path is spelled as it really is (no symbolic link on the way). */
static bool is_real_path(const char *path)
{
    char *real = realpath(path, NULL);
    bool same = real && strcmp(real, path) == 0;
    free(real);
    return same;
}

/* The Landlock grant for one rule: *out keeps access 0 when the kernel is told nothing about
 * it. Returns -1 when out of memory. */
static int plan_rule(const wd_broker *b, const wd_rule *r, wd_fs_grant *out)
{
    *out = (wd_fs_grant){.path = NULL, .access = 0};
    if (r->kind != WD_RULE_STORAGE || r->effect != WD_ALLOW)
        return 0;
    size_t n = wd_policy_rule_count(b->policy);
    size_t len = strlen(r->pattern), lit = literal_prefix(r->pattern);
    /* Only whole subtrees: "/a/b", or "/a/b" followed by a final "**" segment. */
    if (lit != len && !(len == lit + 3 && strcmp(r->pattern + lit, "/**") == 0))
        return 0;
    uint64_t access = ll_bits(r->access);
    for (size_t j = 0; j < n && access; j++) {
        const wd_rule *q = wd_policy_rule(b->policy, j);
        if (q->kind != WD_RULE_STORAGE || q->effect != WD_DENY ||
            !related(r->pattern, lit, q->pattern, literal_prefix(q->pattern)))
            continue;
        if (q->access & r->access)
            access &= ~ll_bits(q->access);
        /* A deny rule decides by name: a plugin that may create and remove names in the
         * subtree could rename a denied file to an allowed name (or the reverse). Names
         * then change only through the broker. */
        access &= ~(WD_LL_MAKE_REG | WD_LL_MAKE_DIR | WD_LL_REMOVE_FILE | WD_LL_REMOVE_DIR |
                    WD_LL_REFER | WD_LL_MAKE_SYM);
    }
    for (size_t p = 0; p < b->protected_count && access; p++)
        if (related(r->pattern, lit, b->protected_paths[p], strlen(b->protected_paths[p])))
            access = 0;
    char *path = access ? (lit ? strndup(r->pattern, lit) : strdup("/")) : NULL;
    /* Beneath or above a path no one may change: the kernel may let the plugin read
     * there, but every change goes through the broker, which refuses it. */
    if (path &&
        (changes_protected(b->protect_changes, path) || changes_protected(b->protect_own, path)))
        access &= ~(WD_LL_WRITE_FILE | WD_LL_TRUNCATE | WD_LL_MAKE_REG | WD_LL_MAKE_DIR |
                    WD_LL_MAKE_SYM | WD_LL_MAKE_CHAR | WD_LL_MAKE_SOCK | WD_LL_MAKE_FIFO |
                    WD_LL_MAKE_BLOCK | WD_LL_REMOVE_FILE | WD_LL_REMOVE_DIR | WD_LL_REFER);
    int rc = access && !path ? -1 : 0;
    /* Landlock grants what the path really is; the checks above read the policy's text.
     * Only where the two agree (no symbolic link on the way) is the kernel told. */
    if (!rc && access && is_real_path(path))
        *out = (wd_fs_grant){.path = path, .access = access};
    else
        free(path);
    return rc;
}

long wd_broker_plan_fs(const wd_broker *b, wd_fs_grant **out)
{
    *out = NULL;
    if (b->pure || !b->policy)
        return 0;
    size_t n = wd_policy_rule_count(b->policy), count = 0;
    wd_fs_grant *g = calloc(n ? n : 1, sizeof(*g));
    if (!g)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        wd_fs_grant one;
        rc = plan_rule(b, wd_policy_rule(b->policy, i), &one);
        if (!rc && one.access)
            g[count++] = one;
    }
    if (rc) {
        wd_broker_plan_free(g, count);
        return -1;
    }
    *out = g;
    return (long)count;
}

void wd_broker_plan_free(wd_fs_grant *grants, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(grants[i].path);
    free(grants);
}
