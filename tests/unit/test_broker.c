/* test_broker.c: the host-side broker (src/sandbox/broker.h), hostile cases first.
 *
 * Every test builds its own tree in a fresh temporary directory ROOT:
 *
 *   ROOT/data/                 granted read and write (the whole tree; data_dir = ROOT)
 *   ROOT/data/hello.txt        "hello world"
 *   ROOT/data/sub/inner.txt    "inner"
 *   ROOT/data/x.secret         denied for read (any *.secret under data)
 *   ROOT/data/.warden/keys     a protected path (when a test turns protection on)
 *   ROOT/data/fifo             a FIFO nobody writes to
 *   ROOT/secret/key            outside the grant
 *   ROOT/hello.txt             outside the grant, same name as a granted file
 *
 * plus symlinks of every hostile shape. No test needs the network beyond loopback. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "sandbox/broker.h"
#include "sandbox/landlock.h"
#include "util/path.h"
#include "warden/warden.h"

/* ---- fixture ------------------------------------------------------------------------------ */

typedef struct {
    char *tmp;           /* as wd_test_tmpdir() made it, for wd_test_rmtree() */
    char root[PATH_MAX]; /* its real path: what /proc/self/fd reports */
    wd_policy *policy;
    wd_broker b;
    char *prot[4]; /* protected paths a test may switch on */
    const char *env[16];
    int fds_at_start;
} fx;

/* The default policy: the data tree read and write, *.secret unreadable anywhere in it. */
static const char DEFAULT_POLICY[] = "version: \"1.0\"\n"
                                     "permissions:\n"
                                     "  storage:\n"
                                     "    allow:\n"
                                     "      - uri: \"fs://data/**\"\n" /* line 5 */
                                     "        access: [read, write]\n"
                                     "    deny:\n"
                                     "      - uri: \"fs://data/**/*.secret\"\n" /* line 8 */
                                     "        access: [read]\n";

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the DIR's own descriptor */
}

/* ROOT/rel in one of a few rotating buffers: enough for the arguments of one call. */
static const char *P(const fx *f, const char *rel)
{
    static char bufs[8][PATH_MAX + 64];
    static unsigned next;
    char *b = bufs[next++ % 8];
    b[0] = '\0';
    wd_test_append(b, sizeof(bufs[0]), "%s%s%s", f->root, *rel ? "/" : "", rel);
    return b;
}

static void mk_dir(const fx *f, const char *rel)
{
    assert_int_equal(mkdir(P(f, rel), 0755), 0);
}

static void mk_file(const fx *f, const char *rel, const char *content)
{
    free(wd_test_write(f->root, rel, content, strlen(content)));
}

/* ROOT/rel -> target, exactly as written. */
static void mk_link(const fx *f, const char *rel, const char *target)
{
    if (symlink(target, P(f, rel)) != 0) {
        print_error("symlink %s -> %s: %s\n", P(f, rel), target, strerror(errno));
        fail();
    }
}

/* ROOT/rel -> ROOT/target_rel (an absolute target). */
static void mk_link_abs(const fx *f, const char *rel, const char *target_rel)
{
    char target[PATH_MAX + 64];
    snprintf(target, sizeof(target), "%s", P(f, target_rel));
    mk_link(f, rel, target);
}

static wd_policy *load_policy(const fx *f, const char *yaml)
{
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = f->root;
    opts.display_name = "p.yaml";
    wd_policy *p = NULL;
    int rc = wd_policy_load_buffer(&p, yaml, strlen(yaml), &opts);
    if (rc)
        print_error("policy load failed: %s %s:%u:%u %s\n%s\n", wd_error_last()->id,
                    wd_error_last()->file, wd_error_last()->line, wd_error_last()->column,
                    wd_error_last()->message, yaml);
    assert_int_equal(rc, 0);
    return p;
}

/* Replaces the fixture's policy. */
static void use_policy(fx *f, const char *yaml)
{
    wd_policy_free(f->policy);
    f->policy = load_policy(f, yaml);
    f->b.policy = f->policy;
}

/* Protects ROOT/rel (the only protected path). */
static void protect(fx *f, const char *rel)
{
    free(f->prot[0]);
    f->prot[0] = strdup(P(f, rel));
    assert_non_null(f->prot[0]);
    f->b.protected_paths = f->prot;
    f->b.protected_count = 1;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->fds_at_start = count_fds();
    f->tmp = wd_test_tmpdir();
    assert_non_null(realpath(f->tmp, f->root));

    mk_dir(f, "data");
    mk_dir(f, "data/sub");
    mk_dir(f, "data/.warden");
    mk_dir(f, "data/.warden2");
    mk_dir(f, "data/vault");
    mk_dir(f, "secret");
    /* Directories the Landlock plan tests grant: a plan names only directories that exist. */
    mk_dir(f, "pub");
    mk_dir(f, "lib");
    mk_dir(f, "data.d");
    mk_dir(f, "opt_tool");
    mk_dir(f, "drop");
    mk_file(f, "data/hello.txt", "hello world");
    mk_file(f, "data/sub/inner.txt", "inner");
    mk_file(f, "data/x.secret", "classified");
    mk_file(f, "data/vault/a.secret", "vaulted");
    mk_file(f, "data/.warden/keys", "KEYS");
    mk_file(f, "data/.warden2/x", "not protected");
    mk_file(f, "secret/key", "TOPSECRET");
    mk_file(f, "hello.txt", "outside");
    assert_int_equal(mkfifo(P(f, "data/fifo"), 0644), 0);

    f->policy = load_policy(f, DEFAULT_POLICY);
    f->b.policy = f->policy;
    f->b.timeout_ms = 5000;
    f->env[0] = NULL;
    f->b.environ = f->env;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    wd_policy_free(f->policy);
    for (size_t i = 0; i < sizeof(f->prot) / sizeof(f->prot[0]); i++)
        free(f->prot[i]);
    wd_test_rmtree(f->tmp);
    /* Every refusal path closes what it opened: the broker must not leak descriptors. */
    int fds = count_fds(), before = f->fds_at_start;
    free(f);
    if (fds != before) {
        print_error("%d descriptors open after the test, %d before: a leak\n", fds, before);
        return -1;
    }
    return 0;
}

/* ---- open helpers ------------------------------------------------------------------------- */

static void dump(const char *what, const char *path, int flags, const wd_broker_answer *a, int line)
{
    print_error("line %d: %s: open %s flags 0x%x: allowed %d fd %d err %d (%s)\n  target %s\n"
                "  reason %s\n",
                line, what, path, (unsigned)flags, a->allowed, a->fd, a->err, strerror(a->err),
                a->target, a->reason);
}

static void read_all(int fd, char *buf, size_t size)
{
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + used, size - 1 - used);
        assert_true(n >= 0);
        if (n == 0)
            break;
        used += (size_t)n;
        assert_true(used < size - 1);
    }
    buf[used] = '\0';
}

/* Opens and expects an allowed answer; checks the content (when given) and returns the answer
 * with the descriptor closed. */
static wd_broker_answer open_ok(const fx *f, const char *path, int flags, const char *content,
                                int line)
{
    wd_broker_answer a;
    wd_broker_open(&f->b, path, flags, &a);
    if (!a.allowed || a.fd < 0 || a.err != 0) {
        dump("expected an allowed open", path, flags, &a, line);
        fail();
    }
    if (content) {
        char buf[256];
        assert_int_equal(lseek(a.fd, 0, SEEK_SET), 0);
        read_all(a.fd, buf, sizeof(buf));
        if (strcmp(buf, content) != 0) {
            dump("wrong content", path, flags, &a, line);
            print_error("  got \"%s\", want \"%s\"\n", buf, content);
            fail();
        }
    }
    int fdflags = fcntl(a.fd, F_GETFD);
    assert_true(fdflags >= 0 && (fdflags & FD_CLOEXEC));
    if (!(flags & O_NONBLOCK))
        assert_int_equal(fcntl(a.fd, F_GETFL) & O_NONBLOCK, 0);
    close(a.fd);
    a.fd = -1;
    return a;
}

/* What the plugin is told of a refusal: "WHAT TARGET: REASON" (the reason alone never names
 * the target, so a record keeps the two apart and a long target is not written twice; only a
 * protected path's glob, warden's own text, may happen to spell it). */
static const char *told(const wd_broker_answer *a)
{
    static char buf[sizeof(a->what) + sizeof(a->target) + sizeof(a->reason) + 4];
    snprintf(buf, sizeof(buf), "%s %s: %s", a->what, a->target, a->reason);
    return buf;
}

/* Opens and expects a refusal with err (0: any errno) and a reason containing reason_has
 * (matched against what the plugin is told). */
static wd_broker_answer open_refused(const fx *f, const char *path, int flags, int err,
                                     const char *reason_has, int line)
{
    wd_broker_answer a;
    wd_broker_open(&f->b, path, flags, &a);
    if (a.allowed || a.fd != -1 || a.err == 0 || (err && a.err != err) || !a.what[0] ||
        (a.target[0] && strstr(a.reason, a.target) && !strstr(a.reason, "a protected path (")) ||
        (reason_has && !strstr(told(&a), reason_has))) {
        dump("expected a refusal", path, flags, &a, line);
        print_error("  want err %d (%s), reason containing \"%s\"\n", err, strerror(err),
                    reason_has ? reason_has : "");
        if (a.fd >= 0)
            close(a.fd);
        fail();
    }
    return a;
}

#define OPEN_OK(f, path, flags, content) open_ok((f), (path), (flags), (content), __LINE__)
#define OPEN_REFUSED(f, path, flags, err, why)                                                     \
    open_refused((f), (path), (flags), (err), (why), __LINE__)

static void file_is(const fx *f, const char *rel, const char *content)
{
    int fd = open(P(f, rel), O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    char buf[256];
    read_all(fd, buf, sizeof(buf));
    close(fd);
    assert_string_equal(buf, content);
}

static int exists(const fx *f, const char *rel)
{
    struct stat st;
    return lstat(P(f, rel), &st) == 0;
}

/* ---- open: the ordinary case ---------------------------------------------------------------- */

static void test_open_allowed_file(void **state)
{
    fx *f = *state;
    wd_broker_answer a = OPEN_OK(f, P(f, "data/hello.txt"), O_RDONLY, "hello world");
    assert_string_equal(a.target, P(f, "data/hello.txt"));
    /* The reason names the rule that decided, with where it was written. */
    assert_non_null(strstr(a.reason, "p.yaml:5:"));
    assert_non_null(strstr(a.reason, "fs://data/**"));
    assert_non_null(strstr(a.reason, "allow"));
    assert_null(a.value);

    OPEN_OK(f, P(f, "data/sub/inner.txt"), O_RDONLY, "inner");
    OPEN_OK(f, P(f, "data/hello.txt"), O_RDONLY | O_NOFOLLOW | O_CLOEXEC, "hello world");
    OPEN_OK(f, P(f, "data/hello.txt"), O_RDONLY | O_NONBLOCK, "hello world");
    OPEN_OK(f, P(f, "data/hello.txt"), O_RDWR, "hello world");

    /* Writing goes to the file itself. */
    wd_broker_answer w;
    wd_broker_open(&f->b, P(f, "data/hello.txt"), O_WRONLY | O_APPEND, &w);
    assert_true(w.allowed);
    assert_int_equal(write(w.fd, "!", 1), 1);
    close(w.fd);
    file_is(f, "data/hello.txt", "hello world!");

    /* A directory may be opened (for reading) when the policy grants it. */
    OPEN_OK(f, P(f, "data/sub"), O_RDONLY | O_DIRECTORY, NULL);
    OPEN_REFUSED(f, P(f, "data/hello.txt"), O_RDONLY | O_DIRECTORY, ENOTDIR, NULL);
    /* A file that is not there is ENOENT, not a creation. */
    OPEN_REFUSED(f, P(f, "data/nope.txt"), O_RDONLY, ENOENT, "no such file");
    assert_false(exists(f, "data/nope.txt"));
    OPEN_REFUSED(f, P(f, "data/nodir/nope.txt"), O_RDONLY, ENOENT, NULL);
}

/* ---- open: lexical escapes ------------------------------------------------------------------ */

static void test_open_dotdot_escapes(void **state)
{
    fx *f = *state;
    wd_broker_answer a =
        OPEN_REFUSED(f, P(f, "data/../secret/key"), O_RDONLY, EACCES, "no rule matched");
    /* What was decided is the normalised path, not the plugin's spelling. */
    assert_string_equal(a.target, P(f, "secret/key"));
    OPEN_REFUSED(f, P(f, "data/sub/../../secret/key"), O_RDONLY, EACCES, NULL);
    OPEN_REFUSED(f, P(f, "data/a/../../secret/x"), O_RDONLY, EACCES, NULL);
    OPEN_REFUSED(f, P(f, "data/sub/../../secret/key"), O_WRONLY, EACCES, NULL);
    OPEN_REFUSED(f, P(f, "data/sub/../../secret/new"), O_WRONLY | O_CREAT, EACCES, NULL);
    assert_false(exists(f, "secret/new"));
    OPEN_REFUSED(f, P(f, "data/.."), O_RDONLY | O_DIRECTORY, EACCES, NULL);
    OPEN_REFUSED(f, P(f, "data/../hello.txt"), O_RDONLY, EACCES, NULL);

    /* Climbing above / is refused outright, never clamped to /. */
    OPEN_REFUSED(f, "/../../etc/passwd", O_RDONLY, EACCES, "climbs above /");
    OPEN_REFUSED(f, "/..", O_RDONLY, EACCES, "climbs above /");
    char deep[PATH_MAX * 2] = "";
    wd_test_append(deep, sizeof(deep), "%s", P(f, "data"));
    for (int i = 0; i < 64; i++)
        wd_test_append(deep, sizeof(deep), "/..");
    wd_test_append(deep, sizeof(deep), "%s", P(f, "data/hello.txt"));
    OPEN_REFUSED(f, deep, O_RDONLY, EACCES, "climbs above /");

    /* Not an absolute path, or too long: EINVAL. */
    OPEN_REFUSED(f, "", O_RDONLY, EINVAL, NULL);
    OPEN_REFUSED(f, "data/hello.txt", O_RDONLY, EINVAL, NULL);
    OPEN_REFUSED(f, "./data/hello.txt", O_RDONLY, EINVAL, NULL);
    char *longp = malloc(WD_PATH_MAX + 64);
    assert_non_null(longp);
    longp[0] = '\0';
    wd_test_append(longp, WD_PATH_MAX + 64, "%s", P(f, "data/"));
    while (strlen(longp) < WD_PATH_MAX + 8)
        wd_test_append(longp, WD_PATH_MAX + 64, "a/");
    OPEN_REFUSED(f, longp, O_RDONLY, EINVAL, NULL);
    free(longp);

    /* "/" is never a file a plugin opens. */
    OPEN_REFUSED(f, "/", O_RDONLY, EACCES, NULL);
    OPEN_REFUSED(f, "/etc/passwd", O_RDONLY, EACCES, "no rule matched");
}

static void test_open_normalises_spelling(void **state)
{
    fx *f = *state;
    char p[PATH_MAX + 64];
    const char *spellings[] = {"//hello.txt",         "/./hello.txt",          "/sub/../hello.txt",
                               "/sub/./../hello.txt", "///sub//..//hello.txt", "/./././hello.txt",
                               "/hello.txt/.",        "/nowhere/../hello.txt"};
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", P(f, "data"), spellings[i]);
        wd_broker_answer a = OPEN_OK(f, p, O_RDONLY, "hello world");
        assert_string_equal(a.target, P(f, "data/hello.txt"));
    }
    snprintf(p, sizeof(p), "/%s", P(f, "data/hello.txt"));
    OPEN_OK(f, p, O_RDONLY, "hello world");
    /* ".." is lexical: through a symlinked directory it means the link's parent, which keeps the
     * plugin inside what it named (ROOT/hello.txt says "outside"). */
    mk_link_abs(f, "data/outdir", "secret");
    snprintf(p, sizeof(p), "%s/outdir/../hello.txt", P(f, "data"));
    OPEN_OK(f, p, O_RDONLY, "hello world");
    /* A deny rule cannot be dodged by spelling: "x.secret/." and "sub/../x.secret". */
    snprintf(p, sizeof(p), "%s/sub/../x.secret", P(f, "data"));
    OPEN_REFUSED(f, p, O_RDONLY, EACCES, "*.secret");
    snprintf(p, sizeof(p), "%s//./x.secret/", P(f, "data"));
    OPEN_REFUSED(f, p, O_RDONLY, EACCES, "*.secret");
}

/* ---- open: symlinks ------------------------------------------------------------------------- */

static void test_open_symlink_out_absolute(void **state)
{
    fx *f = *state;
    mk_link_abs(f, "data/out_abs", "secret/key");
    wd_broker_answer a = OPEN_REFUSED(f, P(f, "data/out_abs"), O_RDONLY, EACCES, NULL);
    assert_string_equal(a.target, P(f, "secret/key"));
    OPEN_REFUSED(f, P(f, "data/out_abs"), O_WRONLY, EACCES, NULL);
    OPEN_REFUSED(f, P(f, "data/out_abs"), O_WRONLY | O_TRUNC, EACCES, NULL);
    file_is(f, "secret/key", "TOPSECRET");
    mk_link(f, "data/etc_passwd", "/etc/passwd");
    OPEN_REFUSED(f, P(f, "data/etc_passwd"), O_RDONLY, EACCES, NULL);
    mk_link(f, "data/root", "/");
    OPEN_REFUSED(f, P(f, "data/root"), O_RDONLY | O_DIRECTORY, EACCES, NULL);
}

static void test_open_symlink_out_relative(void **state)
{
    fx *f = *state;
    mk_link(f, "data/out_rel", "../secret/key");
    mk_link(f, "data/sub/out_rel2", "../../secret/key");
    mk_link(f, "data/sub/out_rel3", "./../.././secret//key");
    mk_link(f, "data/sub/out_rel4", "../../data/../secret/key");
    const char *links[] = {"data/out_rel", "data/sub/out_rel2", "data/sub/out_rel3",
                           "data/sub/out_rel4"};
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        wd_broker_answer a = OPEN_REFUSED(f, P(f, links[i]), O_RDONLY, EACCES, NULL);
        assert_string_equal(a.target, P(f, "secret/key"));
    }
    /* A relative target resolves against the link's real directory, not the plugin's spelling:
     * ROOT/data/sub/../out_rel is ROOT/data/out_rel, whose "../secret/key" is outside. */
    char p[PATH_MAX + 64];
    snprintf(p, sizeof(p), "%s/sub/../out_rel", P(f, "data"));
    OPEN_REFUSED(f, p, O_RDONLY, EACCES, NULL);
    /* Resolved against the real directory, not the spelling: through data/p/q/r (a link back
     * to data), data/esc's "../secret/key" is ROOT/secret/key, never data/p/q/secret/key. */
    mk_dir(f, "data/p");
    mk_dir(f, "data/p/q");
    mk_link_abs(f, "data/p/q/r", "data");
    mk_link(f, "data/esc", "../secret/key");
    wd_broker_answer e = OPEN_REFUSED(f, P(f, "data/p/q/r/esc"), O_RDONLY, EACCES, NULL);
    assert_string_equal(e.target, P(f, "secret/key"));
    /* A target that climbs above / is refused, not clamped. */
    mk_link(f, "data/climb",
            "../../../../../../../../../../../../../../../../../../../../etc/"
            "passwd");
    OPEN_REFUSED(f, P(f, "data/climb"), O_RDONLY, EACCES, "climbs above /");
}

static void test_open_symlinked_directory_out(void **state)
{
    fx *f = *state;
    mk_link_abs(f, "data/outdir", "secret");
    mk_link(f, "data/outdir_rel", "../secret");
    mk_link(f, "data/sub/outdir_rel2", "../../secret");
    const char *paths[] = {"data/outdir/key", "data/outdir_rel/key", "data/sub/outdir_rel2/key",
                           "data/sub/outdir_rel2/./key"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        wd_broker_answer a = OPEN_REFUSED(f, P(f, paths[i]), O_RDONLY, EACCES, NULL);
        /* The decision was taken on where the directory really is. */
        assert_string_equal(a.target, P(f, "secret/key"));
    }
    OPEN_REFUSED(f, P(f, "data/outdir/key"), O_WRONLY | O_TRUNC, EACCES, NULL);
    OPEN_REFUSED(f, P(f, "data/outdir/new"), O_WRONLY | O_CREAT, EACCES, NULL);
    OPEN_REFUSED(f, P(f, "data/outdir/new"), O_RDONLY | O_CREAT, EACCES, NULL);
    assert_false(exists(f, "secret/new"));
    file_is(f, "secret/key", "TOPSECRET");
    /* The directory itself, named through the link, is a symlink hop to ROOT/secret. */
    OPEN_REFUSED(f, P(f, "data/outdir"), O_RDONLY | O_DIRECTORY, EACCES, NULL);
    /* Nested: a link to a directory holding a link to outside. */
    mk_link(f, "data/sub/hop", "../outdir_rel");
    OPEN_REFUSED(f, P(f, "data/sub/hop/key"), O_RDONLY, EACCES, NULL);
}

static void test_open_symlink_chain_and_loops(void **state)
{
    fx *f = *state;
    /* k0 -> k1 -> ... -> k8 -> hello.txt: nine links. */
    for (int i = 0; i <= 8; i++) {
        char name[32], target[32];
        snprintf(name, sizeof(name), "data/k%d", i);
        if (i < 8)
            snprintf(target, sizeof(target), "k%d", i + 1);
        else
            snprintf(target, sizeof(target), "hello.txt");
        mk_link(f, name, target);
    }
    wd_broker_answer a = OPEN_OK(f, P(f, "data/k8"), O_RDONLY, "hello world");
    assert_string_equal(a.target, P(f, "data/hello.txt"));
    OPEN_OK(f, P(f, "data/k1"), O_RDONLY, "hello world"); /* eight links: the limit */
    OPEN_REFUSED(f, P(f, "data/k0"), O_RDONLY, ELOOP, "more than 8 symbolic links");

    mk_link(f, "data/loop_a", "loop_b");
    mk_link(f, "data/loop_b", "loop_a");
    mk_link(f, "data/self", "self");
    mk_link_abs(f, "data/self_abs", "data/self_abs");
    OPEN_REFUSED(f, P(f, "data/loop_a"), O_RDONLY, ELOOP, NULL);
    OPEN_REFUSED(f, P(f, "data/self"), O_RDONLY, ELOOP, NULL);
    OPEN_REFUSED(f, P(f, "data/self_abs"), O_RDONLY, ELOOP, NULL);
    OPEN_REFUSED(f, P(f, "data/self"), O_WRONLY | O_CREAT, ELOOP, NULL);
    /* A directory loop as a path prefix: the kernel's own limit stops it. */
    mk_link(f, "data/dloop", "dloop");
    OPEN_REFUSED(f, P(f, "data/dloop/x"), O_RDONLY, ELOOP, NULL);
    /* A chain that leaves the grant and comes back is refused at the hop outside. */
    mk_link_abs(f, "secret/back", "data/hello.txt");
    mk_link_abs(f, "data/bounce", "secret/back");
    a = OPEN_REFUSED(f, P(f, "data/bounce"), O_RDONLY, EACCES, NULL);
    assert_string_equal(a.target, P(f, "secret/back"));
}

static void test_open_symlink_inside_allowed(void **state)
{
    fx *f = *state;
    mk_link(f, "data/in_link", "hello.txt");
    mk_link_abs(f, "data/in_abs", "data/sub/inner.txt");
    mk_link(f, "data/sub/up", "../hello.txt");
    mk_link(f, "data/subdir", "sub");
    wd_broker_answer a = OPEN_OK(f, P(f, "data/in_link"), O_RDONLY, "hello world");
    assert_string_equal(a.target, P(f, "data/hello.txt"));
    a = OPEN_OK(f, P(f, "data/in_abs"), O_RDONLY, "inner");
    assert_string_equal(a.target, P(f, "data/sub/inner.txt"));
    OPEN_OK(f, P(f, "data/sub/up"), O_RDONLY, "hello world");
    a = OPEN_OK(f, P(f, "data/subdir/inner.txt"), O_RDONLY, "inner");
    assert_string_equal(a.target, P(f, "data/sub/inner.txt"));
    OPEN_OK(f, P(f, "data/subdir/../hello.txt"), O_RDONLY, "hello world");
    /* A relative target resolves against the directory the link really is in, as the kernel
     * would: data/ab is data/a/b, so data/ab/link ("../x") is data/a/x, not data/x. */
    mk_dir(f, "data/a");
    mk_dir(f, "data/a/b");
    mk_file(f, "data/a/x", "deep x");
    mk_file(f, "data/x", "shallow x");
    mk_link(f, "data/a/b/link", "../x");
    mk_link(f, "data/ab", "a/b");
    a = OPEN_OK(f, P(f, "data/ab/link"), O_RDONLY, "deep x");
    assert_string_equal(a.target, P(f, "data/a/x"));

    /* O_NOFOLLOW on a symlink: ELOOP, as the kernel would say, even for a link inside. */
    a = OPEN_REFUSED(f, P(f, "data/in_link"), O_RDONLY | O_NOFOLLOW, ELOOP, "O_NOFOLLOW");
    assert_string_equal(a.target, P(f, "data/in_link"));
    OPEN_REFUSED(f, P(f, "data/in_link"), O_WRONLY | O_CREAT | O_NOFOLLOW, ELOOP, NULL);
    /* O_NOFOLLOW concerns the last component only. */
    OPEN_OK(f, P(f, "data/subdir/inner.txt"), O_RDONLY | O_NOFOLLOW, "inner");
}

/* ---- open: deny rules inside the grant ------------------------------------------------------ */

static void test_open_deny_inside_subtree(void **state)
{
    fx *f = *state;
    wd_broker_answer a = OPEN_REFUSED(f, P(f, "data/x.secret"), O_RDONLY, EACCES, "p.yaml:8:");
    assert_non_null(strstr(a.reason, "deny fs://data/**/*.secret"));
    OPEN_REFUSED(f, P(f, "data/vault/a.secret"), O_RDONLY, EACCES, "*.secret");
    OPEN_REFUSED(f, P(f, "data/x.secret"), O_RDWR, EACCES, "*.secret");
    /* Access types are decided separately: the rule denies read, not write. */
    wd_broker_answer w;
    wd_broker_open(&f->b, P(f, "data/x.secret"), O_WRONLY | O_APPEND, &w);
    assert_true(w.allowed);
    close(w.fd);

    /* Through symlinks whose names do not end in .secret. */
    mk_link(f, "data/innocent", "x.secret");
    mk_link_abs(f, "data/sub/innocent_abs", "data/x.secret");
    mk_link(f, "data/sub/innocent_rel", "../vault/a.secret");
    mk_link(f, "data/sub/two_hops", "../innocent");
    mk_link(f, "data/vlink", "vault");
    const char *paths[] = {"data/innocent", "data/sub/innocent_abs", "data/sub/innocent_rel",
                           "data/sub/two_hops"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        a = OPEN_REFUSED(f, P(f, paths[i]), O_RDONLY, EACCES, "*.secret");
        assert_non_null(strstr(a.target, ".secret"));
    }
    OPEN_REFUSED(f, P(f, "data/vlink/a.secret"), O_RDONLY, EACCES, "*.secret");
    /* A dotfile is no way round "*": ".secret" itself matches "*.secret". */
    mk_file(f, "data/.secret", "dot");
    OPEN_REFUSED(f, P(f, "data/.secret"), O_RDONLY, EACCES, "*.secret");
    mk_link(f, "data/sub/dot", "../.secret");
    OPEN_REFUSED(f, P(f, "data/sub/dot"), O_RDONLY, EACCES, "*.secret");
}

/* ---- open: protected paths ------------------------------------------------------------------- */

static void test_open_protected_paths(void **state)
{
    fx *f = *state;
    /* Unprotected, the policy would grant it. */
    OPEN_OK(f, P(f, "data/.warden/keys"), O_RDONLY, "KEYS");
    protect(f, "data/.warden");

    OPEN_REFUSED(f, P(f, "data/.warden/keys"), O_RDONLY, EACCES, "protected path");
    OPEN_REFUSED(f, P(f, "data/.warden/keys"), O_WRONLY | O_TRUNC, EACCES, "protected path");
    OPEN_REFUSED(f, P(f, "data/.warden/new"), O_WRONLY | O_CREAT, EACCES, "protected path");
    assert_false(exists(f, "data/.warden/new"));
    OPEN_REFUSED(f, P(f, "data/.warden"), O_RDONLY | O_DIRECTORY, EACCES, "protected path");
    OPEN_REFUSED(f, P(f, "data/sub/../.warden/keys"), O_RDONLY, EACCES, "protected path");
    OPEN_REFUSED(f, P(f, "data//.warden/./keys"), O_RDONLY, EACCES, "protected path");
    /* Through symlinks: to the file, to the directory, and relative. */
    mk_link_abs(f, "data/pk", "data/.warden/keys");
    mk_link(f, "data/sub/pk_rel", "../.warden/keys");
    mk_link(f, "data/pdir", ".warden");
    mk_link_abs(f, "data/sub/pdir_abs", "data/.warden");
    OPEN_REFUSED(f, P(f, "data/pk"), O_RDONLY, EACCES, "protected path");
    OPEN_REFUSED(f, P(f, "data/sub/pk_rel"), O_RDONLY, EACCES, "protected path");
    OPEN_REFUSED(f, P(f, "data/pdir/keys"), O_RDONLY, EACCES, "protected path");
    OPEN_REFUSED(f, P(f, "data/sub/pdir_abs/keys"), O_RDONLY, EACCES, "protected path");
    OPEN_REFUSED(f, P(f, "data/pdir/new"), O_WRONLY | O_CREAT, EACCES, "protected path");
    assert_false(exists(f, "data/.warden/new"));
    file_is(f, "data/.warden/keys", "KEYS");
    /* Matching is by whole segments: ".warden2" is not ".warden". */
    OPEN_OK(f, P(f, "data/.warden2/x"), O_RDONLY, "not protected");

    /* A protected path outside, reached from a policy that grants the whole tree. */
    char yaml[PATH_MAX + 256] = "";
    wd_test_append(yaml, sizeof(yaml),
                   "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                   "      - uri: \"fs://%s/**\"\n        access: [read, write]\n",
                   f->root);
    use_policy(f, yaml);
    protect(f, "secret");
    OPEN_OK(f, P(f, "hello.txt"), O_RDONLY, "outside");
    OPEN_REFUSED(f, P(f, "secret/key"), O_RDONLY, EACCES, "protected path");
    OPEN_REFUSED(f, P(f, "data/../secret/key"), O_RDONLY, EACCES, "protected path");
    mk_link(f, "data/to_secret", "../secret/key");
    OPEN_REFUSED(f, P(f, "data/to_secret"), O_RDONLY, EACCES, "protected path");
    mk_link(f, "data/to_secret_dir", "../secret");
    OPEN_REFUSED(f, P(f, "data/to_secret_dir/key"), O_RDONLY, EACCES, "protected path");

    /* wd_broker_is_protected directly. */
    assert_true(wd_broker_is_protected(&f->b, P(f, "secret")));
    assert_true(wd_broker_is_protected(&f->b, P(f, "secret/a/b")));
    assert_false(wd_broker_is_protected(&f->b, P(f, "secretx")));
    assert_false(wd_broker_is_protected(&f->b, P(f, "secre")));
    assert_false(wd_broker_is_protected(&f->b, P(f, "")));
    assert_false(wd_broker_is_protected(&f->b, "/"));
    char *root_only[] = {"/"};
    wd_broker rb = {.policy = f->policy, .protected_paths = root_only, .protected_count = 1};
    assert_true(wd_broker_is_protected(&rb, "/"));
    assert_true(wd_broker_is_protected(&rb, "/anything/at/all"));
    wd_broker none = {.policy = f->policy};
    assert_false(wd_broker_is_protected(&none, P(f, "secret/key")));
}

/* ---- open: what is not a regular file ------------------------------------------------------- */

static void test_open_fifo_never_blocks(void **state)
{
    fx *f = *state;
    /* Nobody writes to data/fifo: an open(2) without O_NONBLOCK would hang here. */
    wd_broker_answer a = OPEN_REFUSED(f, P(f, "data/fifo"), O_RDONLY, EACCES, "not a regular file");
    assert_string_equal(a.target, P(f, "data/fifo"));
    OPEN_REFUSED(f, P(f, "data/fifo"), O_WRONLY, EACCES, "not a regular file");
    OPEN_REFUSED(f, P(f, "data/fifo"), O_RDWR, EACCES, "not a regular file");
    OPEN_REFUSED(f, P(f, "data/fifo"), O_RDONLY | O_NONBLOCK, EACCES, "not a regular file");
    OPEN_REFUSED(f, P(f, "data/fifo"), O_WRONLY | O_CREAT, EACCES, "not a regular file");
    mk_link(f, "data/fifo_link", "fifo");
    OPEN_REFUSED(f, P(f, "data/fifo_link"), O_RDONLY, EACCES, "not a regular file");

    /* A socket in the grant. */
    const char *sp = P(f, "data/sock");
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    if (strlen(sp) < sizeof(un.sun_path)) {
        memcpy(un.sun_path, sp, strlen(sp) + 1);
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(s >= 0);
        assert_int_equal(bind(s, (struct sockaddr *)&un, sizeof(un)), 0);
        OPEN_REFUSED(f, P(f, "data/sock"), O_RDONLY, EACCES, "not a regular file");
        close(s);
    }
    /* A device node in the grant (root can make one; others skip this part). */
    if (mknod(P(f, "data/null"), S_IFCHR | 0666, makedev(1, 3)) == 0) {
        OPEN_REFUSED(f, P(f, "data/null"), O_RDONLY, EACCES, "not a regular file");
        OPEN_REFUSED(f, P(f, "data/null"), O_WRONLY, EACCES, "not a regular file");
    }
}

static void test_open_devices_refused(void **state)
{
    fx *f = *state;
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs:///dev/**\"\n        access: [read, write]\n"
                  "      - uri: \"fs://data/**\"\n        access: [read, write]\n");
    const char *devs[] = {"/dev/null", "/dev/zero", "/dev/urandom", "/dev/full"};
    for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
        struct stat st;
        if (stat(devs[i], &st) != 0)
            continue;
        OPEN_REFUSED(f, devs[i], O_RDONLY, EACCES, "not a regular file");
        OPEN_REFUSED(f, devs[i], O_WRONLY, EACCES, "not a regular file");
        OPEN_REFUSED(f, devs[i], O_RDWR | O_NONBLOCK, EACCES, "not a regular file");
    }
    mk_link(f, "data/devnull", "/dev/null");
    OPEN_REFUSED(f, P(f, "data/devnull"), O_RDONLY, EACCES, "not a regular file");
}

static void test_open_proc_magic_links(void **state)
{
    fx *f = *state;
    /* Even a policy that grants /proc cannot be used to jump through its magic links. */
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs:///proc/**\"\n        access: [read]\n"
                  "      - uri: \"fs://data/**\"\n        access: [read, write]\n");
    /* A magic link in a directory part: the parent is opened with RESOLVE_NO_MAGICLINKS, so
     * ELOOP (the real-path re-decision would refuse it too, as EACCES). */
    char p[PATH_MAX + 64];
    snprintf(p, sizeof(p), "/proc/self/root%s", P(f, "secret/key"));
    OPEN_REFUSED(f, p, O_RDONLY, ELOOP, NULL);
    snprintf(p, sizeof(p), "/proc/%d/root%s", (int)getpid(), P(f, "secret/key"));
    OPEN_REFUSED(f, p, O_RDONLY, ELOOP, NULL);
    int cwd = open(".", O_RDONLY | O_CLOEXEC);
    assert_true(cwd >= 0);
    assert_int_equal(chdir(P(f, "secret")), 0);
    OPEN_REFUSED(f, "/proc/self/cwd/key", O_RDONLY, ELOOP, NULL);
    assert_int_equal(fchdir(cwd), 0);
    close(cwd);

    /* A descriptor the host holds on a secret: /proc/self/fd/N is a magic link whose target
     * is decided as a path, and refused. */
    int sfd = open(P(f, "secret/key"), O_RDONLY | O_CLOEXEC);
    assert_true(sfd >= 0);
    snprintf(p, sizeof(p), "/proc/self/fd/%d", sfd);
    OPEN_REFUSED(f, p, O_RDONLY, EACCES, NULL);
    snprintf(p, sizeof(p), "/proc/thread-self/fd/%d", sfd);
    OPEN_REFUSED(f, p, O_RDONLY, 0, NULL);
    /* ... and through a symlink in the grant that points at it. */
    snprintf(p, sizeof(p), "/proc/self/fd/%d", sfd);
    mk_link(f, "data/fdlink", p);
    OPEN_REFUSED(f, P(f, "data/fdlink"), O_RDONLY, EACCES, NULL);
    close(sfd);
    snprintf(p, sizeof(p), "/proc/self/root%s", P(f, "secret/key"));
    mk_link(f, "data/rootlink", p);
    OPEN_REFUSED(f, P(f, "data/rootlink"), O_RDONLY, ELOOP, NULL);
}

/* ---- open: flags and creation ---------------------------------------------------------------- */

static void test_open_creat(void **state)
{
    fx *f = *state;
    /* read + write (write implies create). */
    wd_broker_answer a;
    wd_broker_open(&f->b, P(f, "data/new.txt"), O_WRONLY | O_CREAT, &a);
    assert_true(a.allowed);
    assert_int_equal(write(a.fd, "made", 4), 4);
    struct stat st;
    assert_int_equal(fstat(a.fd, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600); /* never wider than the owner */
    close(a.fd);
    file_is(f, "data/new.txt", "made");
    /* O_CREAT on an existing file opens it (and O_TRUNC truncates it). */
    OPEN_OK(f, P(f, "data/new.txt"), O_RDWR | O_CREAT, "made");
    OPEN_OK(f, P(f, "data/new.txt"), O_RDWR | O_CREAT | O_TRUNC, "");
    file_is(f, "data/new.txt", "");

    /* Outside the grant, or denied for create: nothing is created. */
    OPEN_REFUSED(f, P(f, "secret/new"), O_WRONLY | O_CREAT, EACCES, NULL);
    OPEN_REFUSED(f, P(f, "new_at_root"), O_WRONLY | O_CREAT, EACCES, NULL);
    assert_false(exists(f, "secret/new"));
    assert_false(exists(f, "new_at_root"));
    /* The parent must exist: the broker creates files, not directories. */
    OPEN_REFUSED(f, P(f, "data/newdir/new.txt"), O_WRONLY | O_CREAT, ENOENT, NULL);
    assert_false(exists(f, "data/newdir"));

    /* Through a dangling symlink pointing outside: refused, and nothing appears there. */
    mk_link_abs(f, "data/dangle", "secret/planted");
    mk_link(f, "data/dangle_rel", "../secret/planted");
    OPEN_REFUSED(f, P(f, "data/dangle"), O_WRONLY | O_CREAT, EACCES, NULL);
    OPEN_REFUSED(f, P(f, "data/dangle"), O_RDONLY | O_CREAT, EACCES, NULL);
    OPEN_REFUSED(f, P(f, "data/dangle_rel"), O_WRONLY | O_CREAT | O_TRUNC, EACCES, NULL);
    OPEN_REFUSED(f, P(f, "data/dangle"), O_WRONLY | O_CREAT | O_NOFOLLOW, ELOOP, NULL);
    assert_false(exists(f, "secret/planted"));
    /* Into a *.secret name: the deny is for read, so O_RDWR is refused. */
    mk_link(f, "data/dangle_secret", "made.secret");
    OPEN_REFUSED(f, P(f, "data/dangle_secret"), O_RDWR | O_CREAT, EACCES, "*.secret");
    assert_false(exists(f, "data/made.secret"));
    /* Without O_CREAT a dangling link is simply missing. */
    OPEN_REFUSED(f, P(f, "data/dangle_rel"), O_RDONLY, EACCES, NULL);
    mk_link(f, "data/dangle_in", "nothing_here");
    OPEN_REFUSED(f, P(f, "data/dangle_in"), O_RDONLY, ENOENT, NULL);
}

static void test_open_create_needs_create_access(void **state)
{
    fx *f = *state;
    /* write without create inside data/ro, read and create without write in data/drop. */
    mk_dir(f, "data/ro");
    mk_dir(f, "data/drop");
    mk_file(f, "data/ro/existing", "old");
    mk_file(f, "data/drop/existing", "kept");
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs://data/ro/**\"\n        access: [read, write]\n"
                  "      - uri: \"fs://data/drop/**\"\n        access: [read, create]\n"
                  "    deny:\n"
                  "      - uri: \"fs://data/ro/**\"\n        access: [create]\n");
    wd_broker_answer a = OPEN_REFUSED(f, P(f, "data/ro/new"), O_WRONLY | O_CREAT, EACCES, "create");
    assert_string_equal(a.target, P(f, "data/ro/new"));
    OPEN_REFUSED(f, P(f, "data/ro/new"), O_RDONLY | O_CREAT, EACCES, "create");
    assert_false(exists(f, "data/ro/new"));
    /* O_CREAT on an existing file needs only write (and read for O_RDWR). */
    OPEN_OK(f, P(f, "data/ro/existing"), O_RDWR | O_CREAT, "old");
    OPEN_OK(f, P(f, "data/ro/existing"), O_WRONLY | O_CREAT | O_APPEND, NULL);
    OPEN_OK(f, P(f, "data/ro/existing"), O_RDONLY | O_CREAT, "old");

    /* read + create: a new file may be made and read; write and truncate are refused. */
    OPEN_OK(f, P(f, "data/drop/new"), O_RDONLY | O_CREAT, "");
    assert_true(exists(f, "data/drop/new"));
    OPEN_REFUSED(f, P(f, "data/drop/new2"), O_WRONLY | O_CREAT, EACCES, "write");
    OPEN_REFUSED(f, P(f, "data/drop/new2"), O_RDWR | O_CREAT, EACCES, "write");
    assert_false(exists(f, "data/drop/new2"));
    OPEN_REFUSED(f, P(f, "data/drop/existing"), O_RDONLY | O_TRUNC, EACCES, "write");
    OPEN_REFUSED(f, P(f, "data/drop/existing"), O_RDONLY | O_CREAT | O_TRUNC, EACCES, "write");
    OPEN_REFUSED(f, P(f, "data/drop/existing"), O_RDONLY | O_APPEND, EACCES, "write");
    OPEN_REFUSED(f, P(f, "data/drop/existing"), O_WRONLY, EACCES, "write");
    OPEN_REFUSED(f, P(f, "data/drop/existing"), O_RDWR, EACCES, "write");
    file_is(f, "data/drop/existing", "kept");
    OPEN_OK(f, P(f, "data/drop/existing"), O_RDONLY, "kept");

    /* Read-only everywhere: O_TRUNC is a write, even with O_RDONLY, and truncates nothing. */
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs://data/**\"\n        access: [read]\n");
    OPEN_REFUSED(f, P(f, "data/hello.txt"), O_RDONLY | O_TRUNC, EACCES, "write");
    OPEN_REFUSED(f, P(f, "data/hello.txt"), O_WRONLY | O_TRUNC, EACCES, "write");
    OPEN_REFUSED(f, P(f, "data/hello.txt"), O_RDONLY | O_APPEND, EACCES, "write");
    OPEN_REFUSED(f, P(f, "data/made"), O_RDONLY | O_CREAT, EACCES, "create");
    assert_false(exists(f, "data/made"));
    file_is(f, "data/hello.txt", "hello world");
    OPEN_OK(f, P(f, "data/hello.txt"), O_RDONLY, "hello world");
}

static void test_open_creat_excl(void **state)
{
    fx *f = *state;
    /* O_CREAT | O_EXCL makes a new file... */
    wd_broker_answer a;
    OPEN_OK(f, P(f, "data/lock"), O_WRONLY | O_CREAT | O_EXCL, NULL);
    assert_true(exists(f, "data/lock"));
    /* ...and must fail with EEXIST when the name exists, as open(2) does: a plugin that takes a
     * lock file, or makes a private temporary file, relies on it. */
    wd_broker_open(&f->b, P(f, "data/hello.txt"), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, &a);
    assert_int_equal(a.err, EEXIST);
    assert_int_equal(a.fd, -1);
    file_is(f, "data/hello.txt", "hello world");
    mk_link(f, "data/excl_link", "hello.txt");
    OPEN_REFUSED(f, P(f, "data/excl_link"), O_WRONLY | O_CREAT | O_EXCL, EEXIST, NULL);
    mk_link(f, "data/excl_dangle", "via_link");
    OPEN_REFUSED(f, P(f, "data/excl_dangle"), O_WRONLY | O_CREAT | O_EXCL, EEXIST, NULL);
    assert_false(exists(f, "data/via_link"));
}

static void test_open_flags_refused(void **state)
{
    fx *f = *state;
    const char *p = P(f, "data/hello.txt");
    const struct {
        int flags;
        const char *name;
    } bad[] = {
        {O_PATH, "O_PATH"},
        {O_RDONLY | O_PATH, "O_RDONLY|O_PATH"},
        {O_TMPFILE | O_RDWR, "O_TMPFILE"},
        {O_DIRECT, "O_DIRECT"},
        {O_RDONLY | O_DIRECT, "O_RDONLY|O_DIRECT"},
        {O_SYNC | O_WRONLY, "O_SYNC"},
        {O_DSYNC | O_WRONLY, "O_DSYNC"},
        {O_NOATIME, "O_NOATIME"},
        {O_NOCTTY, "O_NOCTTY"},
        {O_ASYNC, "O_ASYNC"},
        {(int)0x80000000u, "bit 31"},
        {0x40000000, "bit 30"},
        {-1, "all bits"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wd_broker_answer a;
        wd_broker_open(&f->b, p, bad[i].flags, &a);
        if (a.allowed || a.fd != -1 || a.err != EINVAL || !strstr(a.reason, "not offered")) {
            dump(bad[i].name, p, bad[i].flags, &a, __LINE__);
            if (a.fd >= 0)
                close(a.fd);
            fail();
        }
    }
    /* O_ACCMODE is not an access mode. */
    OPEN_REFUSED(f, p, O_ACCMODE, EINVAL, "invalid access mode");
    OPEN_REFUSED(f, p, O_ACCMODE | O_CREAT, EINVAL, "invalid access mode");
    /* Refused flags create nothing. */
    OPEN_REFUSED(f, P(f, "data/tmpfile"), O_WRONLY | O_CREAT | O_SYNC, EINVAL, NULL);
    assert_false(exists(f, "data/tmpfile"));
    /* Every offered flag is accepted. */
    OPEN_OK(f, p, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW, "hello world");
}

/* ---- pure brokers and no policy ---------------------------------------------------------------
 */

static void test_pure_and_null_policy_refuse_everything(void **state)
{
    fx *f = *state;
    f->env[0] = "LANG=C";
    f->env[1] = NULL;
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs:///**\"\n        access: [read, write, execute]\n"
                  "  network:\n    allow:\n      - host: \"*\"\n      - cidr: \"0.0.0.0/0\"\n"
                  "  environment:\n    allow:\n      - key: LANG\n");
    OPEN_OK(f, P(f, "data/hello.txt"), O_RDONLY, "hello world");
    /* Even a policy that grants "/" does not make "/" a file. */
    OPEN_REFUSED(f, "/", O_RDONLY | O_DIRECTORY, EISDIR, NULL);

    wd_broker pure = f->b;
    pure.pure = 1;
    wd_broker nopol = f->b;
    nopol.policy = NULL;
    const wd_broker *bs[] = {&pure, &nopol};
    for (size_t i = 0; i < 2; i++) {
        const wd_broker *b = bs[i];
        wd_broker_answer a;
        int flags[] = {O_RDONLY, O_WRONLY, O_RDWR | O_CREAT, O_WRONLY | O_CREAT | O_EXCL};
        for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
            wd_broker_open(b, P(f, "data/hello.txt"), flags[k], &a);
            assert_false(a.allowed);
            assert_int_equal(a.fd, -1);
            assert_int_equal(a.err, EACCES);
        }
        wd_broker_open(b, P(f, "data/made_by_nobody"), O_WRONLY | O_CREAT, &a);
        assert_int_equal(a.err, EACCES);
        assert_false(exists(f, "data/made_by_nobody"));
        wd_broker_open(b, "/etc/passwd", O_RDONLY, &a);
        assert_int_equal(a.err, EACCES);
        assert_non_null(strstr(a.reason, i == 0 ? "policy plugins get no storage"
                                                : "no policy grants anything"));
        wd_broker_connect(b, "127.0.0.1", 1, &a);
        assert_false(a.allowed);
        assert_int_equal(a.fd, -1);
        assert_int_equal(a.err, EACCES);
        assert_non_null(strstr(a.reason, i == 0 ? "no network" : "no policy grants anything"));
        wd_broker_getenv(b, "LANG", &a);
        assert_false(a.allowed);
        assert_null(a.value);
        assert_int_equal(a.err, EACCES);
        wd_fs_grant *g = (wd_fs_grant *)(uintptr_t)1;
        assert_int_equal(wd_broker_plan_fs(b, &g), 0);
        assert_null(g);
    }
}

/* ---- environment ------------------------------------------------------------------------------
 */

static void test_getenv(void **state)
{
    fx *f = *state;
    const char *env[] = {"LANGX=1", "LANG=C.UTF-8", "TOKEN=abc=def", "SECRET=hunter2",
                         "EMPTY=",  "LANGUAGE=en",  "NOEQUALS",      NULL};
    f->b.environ = env;
    use_policy(f, "version: \"1.0\"\npermissions:\n  environment:\n    allow:\n"
                  "      - key: LANG\n" /* line 5 */
                  "      - key: TOKEN\n"
                  "      - key: EMPTY\n"
                  "      - key: MISSING\n"
                  "      - key: NOEQUALS\n");
    wd_broker_answer a;
    wd_broker_getenv(&f->b, "LANG", &a);
    assert_true(a.allowed);
    assert_int_equal(a.err, 0);
    assert_int_equal(a.fd, -1);
    assert_string_equal(a.value, "C.UTF-8");
    assert_ptr_equal(a.value, env[1] + 5); /* into environ, not a copy */
    assert_string_equal(a.target, "LANG");
    assert_non_null(strstr(a.reason, "p.yaml:5:"));
    assert_non_null(strstr(a.reason, "LANG"));

    wd_broker_getenv(&f->b, "TOKEN", &a);
    assert_true(a.allowed);
    assert_string_equal(a.value, "abc=def");
    wd_broker_getenv(&f->b, "EMPTY", &a);
    assert_true(a.allowed);
    assert_string_equal(a.value, "");

    /* Not allowed: refused whether set or not, and nothing of the value leaks. */
    const char *refused[] = {"SECRET", "LANGUAGE", "LANGX", "LAN", "lang", "PATH"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        wd_broker_getenv(&f->b, refused[i], &a);
        if (a.allowed || a.err != EACCES || a.value || !strstr(a.reason, "no rule matched")) {
            print_error("getenv %s: allowed %d err %d reason %s\n", refused[i], a.allowed, a.err,
                        a.reason);
            fail();
        }
        assert_null(strstr(a.reason, "hunter2"));
    }
    /* Keys that are not keys. */
    const char *malformed[] = {"LANG=C.UTF-8", "", "LANG ", "*"};
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        wd_broker_getenv(&f->b, malformed[i], &a);
        assert_false(a.allowed);
        assert_null(a.value);
        assert_true(a.err == EINVAL || a.err == EACCES);
    }
    /* Allowed but unset: ENOENT. "NOEQUALS" without '=' is not a setting. */
    wd_broker_getenv(&f->b, "MISSING", &a);
    assert_false(a.allowed);
    assert_int_equal(a.err, ENOENT);
    assert_null(a.value);
    assert_non_null(strstr(a.reason, "not set"));
    wd_broker_getenv(&f->b, "NOEQUALS", &a);
    assert_int_equal(a.err, ENOENT);
    /* No environment at all. */
    f->b.environ = NULL;
    wd_broker_getenv(&f->b, "LANG", &a);
    assert_int_equal(a.err, ENOENT);
    assert_null(a.value);
}

/* A denial names its operation; once a human approves exactly that operation, the next such
 * request is let through (an open decided as asked and again as resolved uses one approval),
 * and the one after is denied again. Other operations never ride on it. */
static void test_override_lets_one_denial_through(void **state)
{
    fx *f = *state;
    char dir[PATH_MAX + 16], code[16], op[WD_OPERATION_ID_LEN + 1];
    snprintf(dir, sizeof(dir), "%s/overrides", f->root);
    uint8_t secret[64];
    size_t len = 0;
    wd_test_enroll(dir, "alice", secret, &len);
    f->b.overrides = dir;
    f->b.component = "acme.reader";

    wd_broker_answer a = OPEN_REFUSED(f, P(f, "data/x.secret"), O_RDONLY, EACCES, "[operation ");
    assert_int_equal(wd_operation_id("acme.reader", "read", P(f, "data/x.secret"), op), 0);
    assert_non_null(strstr(a.reason, op));
    /* An approval of another operation changes nothing. */
    char other[WD_OPERATION_ID_LEN + 1];
    assert_int_equal(wd_operation_id("acme.reader", "write", P(f, "data/x.secret"), other), 0);
    assert_int_equal(wd_totp(secret, len, time(NULL), NULL, code), 0);
    wd_approve_request r = {
        WD_APPROVE_REQUEST_VERSION, dir, "alice", code, other, "test", 60, 0, NULL};
    assert_int_equal(wd_override_approve(&r), 0);
    OPEN_REFUSED(f, P(f, "data/x.secret"), O_RDONLY, EACCES, op);
    /* The approval of this one: allowed once, then denied again. */
    assert_int_equal(wd_totp(secret, len, time(NULL) + 30, NULL, code), 0);
    r.operation = op;
    r.now = time(NULL) + 30;
    assert_int_equal(wd_override_approve(&r), 0);
    a = OPEN_OK(f, P(f, "data/x.secret"), O_RDONLY, NULL);
    assert_non_null(strstr(a.reason, "approved by a human"));
    OPEN_REFUSED(f, P(f, "data/x.secret"), O_RDONLY, EACCES, op);
    f->b.overrides = NULL;
}

/* ---- network ----------------------------------------------------------------------------------
 */

/* A listening TCP socket on an ephemeral loopback port. */
static int listen_on(int family, unsigned *port)
{
    int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct sockaddr_storage ss = {0};
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        len = sizeof(*in6);
    }
    if (bind(s, (struct sockaddr *)&ss, len) != 0 || listen(s, 8) != 0 ||
        getsockname(s, (struct sockaddr *)&ss, &len) != 0) {
        close(s);
        return -1;
    }
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return s;
}

/* Replaces the policy with one whose network section is the formatted text. */
static void net_policy(fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void net_policy(fx *f, const char *fmt, ...)
{
    char yaml[2048] = "version: \"1.0\"\npermissions:\n  network:\n";
    size_t n = strlen(yaml);
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(yaml + n, sizeof(yaml) - n, fmt, ap);
    va_end(ap);
    assert_true(k > 0 && (size_t)k < sizeof(yaml) - n);
    use_policy(f, yaml);
}

/* Connects through the broker and expects a connected descriptor that really talks to the
 * listener. */
static void connect_ok(const fx *f, int listener, const char *name, unsigned port, int line)
{
    wd_broker_answer a;
    wd_broker_connect(&f->b, name, port, &a);
    if (!a.allowed || a.fd < 0 || a.err) {
        print_error("line %d: connect %s:%u: allowed %d err %d (%s): %s\n", line, name, port,
                    a.allowed, a.err, strerror(a.err), a.reason);
        fail();
    }
    assert_non_null(strstr(a.reason, "p.yaml:"));
    assert_true(fcntl(a.fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(fcntl(a.fd, F_GETFL) & O_NONBLOCK, 0);
    struct sockaddr_storage peer;
    socklen_t len = sizeof(peer);
    assert_int_equal(getpeername(a.fd, (struct sockaddr *)&peer, &len), 0);
    unsigned pport = ntohs(peer.ss_family == AF_INET ? ((struct sockaddr_in *)&peer)->sin_port
                                                     : ((struct sockaddr_in6 *)&peer)->sin6_port);
    assert_int_equal(pport, port);
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    assert_true(c >= 0);
    assert_int_equal(write(a.fd, "ping", 4), 4);
    char buf[8] = "";
    assert_int_equal(read(c, buf, 4), 4);
    assert_memory_equal(buf, "ping", 4);
    close(c);
    close(a.fd);
}

static wd_broker_answer connect_refused(const fx *f, const char *name, unsigned port, int err,
                                        const char *reason_has, int line)
{
    wd_broker_answer a;
    wd_broker_connect(&f->b, name, port, &a);
    if (a.allowed || a.fd != -1 || a.err == 0 || (err && a.err != err) ||
        (reason_has && !strstr(a.reason, reason_has))) {
        print_error("line %d: connect %s:%u: allowed %d fd %d err %d (%s): %s\n  want err %d, "
                    "reason containing \"%s\"\n",
                    line, name, port, a.allowed, a.fd, a.err, strerror(a.err), a.reason, err,
                    reason_has ? reason_has : "");
        if (a.fd >= 0)
            close(a.fd);
        fail();
    }
    return a;
}

#define CONNECT_OK(f, l, name, port) connect_ok((f), (l), (name), (port), __LINE__)
#define CONNECT_REFUSED(f, name, port, err, why)                                                   \
    connect_refused((f), (name), (port), (err), (why), __LINE__)

static const char LOOPBACK_WHY[] = "a loopback, link-local or otherwise local address";

static void test_connect_refused_by_policy(void **state)
{
    fx *f = *state;
    use_policy(f, "version: \"1.0\"\npermissions:\n  network:\n    allow:\n"
                  "      - host: api.example.com\n        ports: [443]\n"
                  "    deny:\n      - host: \"*.evil.test\"\n"); /* line 8 */
    /* Decided before anything is resolved: none of these needs a resolver. */
    wd_broker_answer a = CONNECT_REFUSED(f, "other.example.com", 443, EACCES, "no rule matched");
    assert_string_equal(a.target, "other.example.com:443");
    CONNECT_REFUSED(f, "api.example.com", 80, EACCES, "no rule matched");
    CONNECT_REFUSED(f, "api.example.com", 0, EACCES, "no rule matched");
    a = CONNECT_REFUSED(f, "x.evil.test", 443, EACCES, "p.yaml:8:");
    assert_non_null(strstr(a.reason, "deny"));
    assert_non_null(strstr(a.reason, "*.evil.test"));
    CONNECT_REFUSED(f, "127.0.0.1", 443, EACCES, "no rule matched");
    CONNECT_REFUSED(f, "::1", 443, EACCES, "no rule matched");
    /* Not a host: refused as malformed, never handed to a resolver ("127.1" would be
     * 127.0.0.1 to inet_aton). */
    const char *malformed[] = {"127.1", "0x7f.0.0.1", "", "a b", "1.2.3.4.5", "[::1"};
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
        CONNECT_REFUSED(f, malformed[i], 443, EINVAL, NULL);
    CONNECT_REFUSED(f, "api.example.com", 65536, EINVAL, NULL);
    CONNECT_REFUSED(f, "api.example.com", 443 + 65536, EINVAL, NULL);
    CONNECT_REFUSED(f, "api.example.com", (unsigned)-1, EINVAL, NULL);
}

static void test_connect_loopback_needs_an_address_rule(void **state)
{
    fx *f = *state;
    unsigned port;
    int l = listen_on(AF_INET, &port);
    assert_true(l >= 0);

    /* A host rule for the name "localhost": the name is allowed, the address it resolves to is
     * loopback and no rule names it. */
    net_policy(f, "    allow:\n      - host: localhost\n        ports: [%u]\n", port);
    wd_broker_answer a = CONNECT_REFUSED(f, "localhost", port, EACCES, LOOPBACK_WHY);
    assert_non_null(strstr(a.reason, "127.0.0.1"));
    CONNECT_REFUSED(f, "LOCALHOST", port, EACCES, LOOPBACK_WHY);
    CONNECT_REFUSED(f, "127.0.0.1", port, EACCES, "no rule matched");

    /* "*" matches every destination, but never stands for a local address. */
    net_policy(f, "    allow:\n      - host: \"*\"\n");
    const char *local[] = {"127.0.0.1",        "localhost",       "0.0.0.0",         "127.0.0.2",
                           "::ffff:127.0.0.1", "169.254.169.254", "255.255.255.255", "224.0.0.1"};
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        CONNECT_REFUSED(f, local[i], port, EACCES, LOOPBACK_WHY);
    /* Nor does a wildcard port-restricted rule. */
    net_policy(f, "    allow:\n      - host: \"*\"\n        ports: [%u]\n", port);
    CONNECT_REFUSED(f, "127.0.0.1", port, EACCES, LOOPBACK_WHY);

    /* A rule that names the address: host 127.0.0.1 on that port. */
    net_policy(f, "    allow:\n      - host: \"127.0.0.1\"\n        ports: [%u]\n", port);
    CONNECT_OK(f, l, "127.0.0.1", port);
    CONNECT_REFUSED(f, "127.0.0.1", port == 65535 ? 65534 : port + 1, EACCES, "no rule matched");
    /* The name is still decided by host rules only. */
    CONNECT_REFUSED(f, "localhost", port, EACCES, "no rule matched");

    /* A CIDR that holds it. */
    net_policy(f, "    allow:\n      - cidr: 127.0.0.0/8\n");
    CONNECT_OK(f, l, "127.0.0.1", port);
    net_policy(f, "    allow:\n      - cidr: 127.0.0.1/32\n        ports: [%u]\n", port);
    CONNECT_OK(f, l, "127.0.0.1", port);
    /* A CIDR that holds it outranks "*", and lets a name that resolves there through. */
    net_policy(f, "    allow:\n      - host: \"*\"\n      - cidr: 127.0.0.0/8\n");
    CONNECT_OK(f, l, "127.0.0.1", port);
    CONNECT_OK(f, l, "localhost", port);
    net_policy(f, "    allow:\n      - host: localhost\n      - cidr: 127.0.0.0/8\n");
    CONNECT_OK(f, l, "localhost", port);

    /* A deny rule for the address wins over the rule that allowed the name. */
    net_policy(f,
               "    allow:\n      - host: localhost\n      - cidr: 127.0.0.0/8\n"
               "    deny:\n      - host: \"127.0.0.1\"\n        ports: [%u]\n",
               port);
    a = CONNECT_REFUSED(f, "localhost", port, EACCES, "resolves to 127.0.0.1");
    assert_non_null(strstr(a.reason, "deny"));
    CONNECT_REFUSED(f, "127.0.0.1", port, EACCES, "deny");
    net_policy(f, "    allow:\n      - host: \"*\"\n    deny:\n      - host: \"127.0.0.1\"\n");
    CONNECT_REFUSED(f, "127.0.0.1", port, EACCES, "deny");

    /* An IPv4-mapped spelling is the IPv4 address: same rules, both ways. */
    net_policy(f, "    allow:\n      - host: \"*\"\n    deny:\n      - cidr: 127.0.0.0/8\n");
    CONNECT_REFUSED(f, "::ffff:127.0.0.1", port, EACCES, NULL);
    CONNECT_REFUSED(f, "::ffff:7f00:1", port, EACCES, NULL);
    close(l);
}

static void test_connect_ipv6_loopback(void **state)
{
    fx *f = *state;
    unsigned port;
    int l = listen_on(AF_INET6, &port);
    if (l < 0)
        skip(); /* no IPv6 here */
    net_policy(f, "    allow:\n      - host: \"*\"\n");
    CONNECT_REFUSED(f, "::1", port, EACCES, LOOPBACK_WHY);
    CONNECT_REFUSED(f, "::", port, EACCES, LOOPBACK_WHY);
    CONNECT_REFUSED(f, "fe80::1", port, EACCES, LOOPBACK_WHY);
    CONNECT_REFUSED(f, "ff02::1", port, EACCES, LOOPBACK_WHY);
    net_policy(f, "    allow:\n      - host: \"::1\"\n        ports: [%u]\n", port);
    CONNECT_OK(f, l, "::1", port);
    CONNECT_OK(f, l, "0:0:0:0:0:0:0:1", port);
    net_policy(f, "    allow:\n      - cidr: \"::1/128\"\n");
    CONNECT_OK(f, l, "::1", port);
    close(l);
}

static void test_connect_bracketed_ipv6(void **state)
{
    fx *f = *state;
    unsigned port;
    int l = listen_on(AF_INET6, &port);
    if (l < 0)
        skip(); /* no IPv6 here */
    net_policy(f, "    allow:\n      - host: \"::1\"\n        ports: [%u]\n", port);
    /* The policy reads "[::1]" as ::1 (policy.h: IPv6 with or without brackets), so the broker
     * must either connect to it or refuse it as malformed before deciding. */
    wd_broker_answer a;
    wd_broker_connect(&f->b, "[::1]", port, &a);
    /* Brackets are stripped before resolving: the address the policy granted is reached. */
    assert_true(a.allowed);
    if (a.allowed) {
        assert_true(a.fd >= 0);
        close(a.fd);
        int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        assert_true(c >= 0);
        close(c);
    } else {
        assert_int_equal(a.fd, -1);
        assert_int_equal(a.err, EINVAL);
    }
    close(l);
}

static void test_connect_failures(void **state)
{
    fx *f = *state;
    /* Allowed, but nobody listens: the connect error comes back, nothing is handed over. A
     * bound socket that does not listen keeps the port from being reused meanwhile. */
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&in, sizeof(in)), 0);
    socklen_t len = sizeof(in);
    assert_int_equal(getsockname(s, (struct sockaddr *)&in, &len), 0);
    unsigned port = ntohs(in.sin_port);
    net_policy(f, "    allow:\n      - cidr: 127.0.0.0/8\n");
    wd_broker_answer a = CONNECT_REFUSED(f, "127.0.0.1", port, ECONNREFUSED, "127.0.0.1");
    assert_false(a.allowed);
    close(s);
}

static void test_address_is_local(void **state)
{
    (void)state;
    static const struct {
        const char *ip;
        int local;
    } cases[] = {
        /* IPv4 */
        {"127.0.0.1", 1},
        {"127.255.255.254", 1},
        {"127.1.2.3", 1},
        {"0.0.0.0", 1},
        {"0.1.2.3", 1},
        {"169.254.0.1", 1},
        {"169.254.169.254", 1},
        {"169.254.255.255", 1},
        {"224.0.0.1", 1},
        {"224.0.0.251", 1},
        {"239.255.255.250", 1},
        {"255.255.255.255", 1},
        {"8.8.8.8", 0},
        {"1.1.1.1", 0},
        {"10.0.0.1", 0},
        {"172.16.0.1", 0},
        {"192.168.1.1", 0},
        {"100.64.0.1", 0},
        {"126.255.255.255", 0},
        {"128.0.0.1", 0},
        {"169.253.255.255", 0},
        {"169.255.0.1", 0},
        {"223.255.255.255", 0},
        {"255.255.255.254", 0},
        {"1.0.0.0", 0},
        /* IPv6 */
        {"::1", 1},
        {"::", 1},
        {"fe80::1", 1},
        {"fe80::abcd:1234", 1},
        {"febf:ffff::1", 1},
        {"fec0::1", 1},
        {"ff02::1", 1},
        {"ff05::1:3", 1},
        {"ff0e::1", 1},
        {"::ffff:127.0.0.1", 1},
        {"::ffff:127.9.9.9", 1},
        {"::ffff:0.0.0.0", 1},
        {"::ffff:169.254.169.254", 1},
        {"::ffff:224.0.0.1", 1},
        {"::ffff:255.255.255.255", 1},
        {"::127.0.0.1", 1}, /* IPv4-compatible */
        {"::169.254.1.1", 1},
        {"2001:db8::1", 0},
        {"2606:4700:4700::1111", 0},
        {"2001:4860:4860::8888", 0},
        {"::ffff:8.8.8.8", 0},
        {"::ffff:10.0.0.1", 0},
        {"::8.8.8.8", 0},
        {"fe00::1", 0},
        {"fec0::1:0:0:0:0", 1},
        {"::2:0:0:1", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sockaddr_storage ss = {0};
        if (strchr(cases[i].ip, ':')) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            in6->sin6_family = AF_INET6;
            assert_int_equal(inet_pton(AF_INET6, cases[i].ip, &in6->sin6_addr), 1);
        } else {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            in->sin_family = AF_INET;
            assert_int_equal(inet_pton(AF_INET, cases[i].ip, &in->sin_addr), 1);
        }
        int got = wd_broker_address_is_local(&ss);
        if (got != cases[i].local) {
            print_error("%s: is_local %d, want %d\n", cases[i].ip, got, cases[i].local);
            fail();
        }
    }
    /* What is not IP is never reached through a name. */
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    assert_true(wd_broker_address_is_local(&un));
    struct sockaddr_storage unspec = {.ss_family = AF_UNSPEC};
    assert_true(wd_broker_address_is_local(&unspec));
}

/* ---- Landlock plan ----------------------------------------------------------------------------
 */

#define LL_R (WD_LL_READ_FILE | WD_LL_READ_DIR)
#define LL_W (WD_LL_WRITE_FILE | WD_LL_TRUNCATE)
#define LL_C (WD_LL_MAKE_REG | WD_LL_MAKE_DIR)
#define LL_D (WD_LL_REMOVE_FILE | WD_LL_REMOVE_DIR)

/* The grant for path in a plan, or NULL. */
static const wd_fs_grant *grant_for(const wd_fs_grant *g, long n, const char *path)
{
    for (long i = 0; i < n; i++)
        if (strcmp(g[i].path, path) == 0)
            return &g[i];
    return NULL;
}

static long plan(const fx *f, wd_fs_grant **g)
{
    long n = wd_broker_plan_fs(&f->b, g);
    assert_true(n >= 0);
    assert_non_null(*g);
    return n;
}

static void test_plan_fs_subtrees(void **state)
{
    fx *f = *state;
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs://data/**\"\n        access: [read, write]\n"
                  "      - uri: \"fs://data/*.txt\"\n        access: [read]\n"
                  "      - uri: \"fs://opt_tool\"\n        access: [read, execute]\n"
                  "      - uri: \"fs:///srv/**/x\"\n        access: [read]\n"
                  "      - uri: \"fs:///srv/*/**\"\n        access: [read]\n"
                  "      - uri: \"fs:///var/log*/**\"\n        access: [read]\n"
                  "      - uri: \"fs://drop/**\"\n        access: [create]\n"
                  "  network:\n    allow:\n      - host: \"*\"\n"
                  "  environment:\n    allow:\n      - key: LANG\n");
    wd_fs_grant *g;
    long n = plan(f, &g);
    assert_int_equal(n, 3);
    const wd_fs_grant *d = grant_for(g, n, P(f, "data"));
    assert_non_null(d);
    /* write also means create and delete. */
    assert_int_equal(d->access, LL_R | LL_W | LL_C | LL_D);
    const wd_fs_grant *t = grant_for(g, n, P(f, "opt_tool"));
    assert_non_null(t);
    assert_int_equal(t->access, LL_R | WD_LL_EXECUTE);
    const wd_fs_grant *c = grant_for(g, n, P(f, "drop"));
    assert_non_null(c);
    assert_int_equal(c->access, LL_C);
    /* Nothing that only a finer glob grants. */
    for (long i = 0; i < n; i++) {
        assert_null(strchr(g[i].path, '*'));
        assert_int_equal(g[i].access &
                             (WD_LL_MAKE_SYM | WD_LL_MAKE_FIFO | WD_LL_MAKE_SOCK | WD_LL_MAKE_CHAR |
                              WD_LL_MAKE_BLOCK | WD_LL_REFER | WD_LL_IOCTL_DEV),
                         0);
    }
    wd_broker_plan_free(g, (size_t)n);

    /* A finer glob alone plans nothing. */
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs://data/*.txt\"\n        access: [read, write]\n");
    n = plan(f, &g);
    assert_int_equal(n, 0);
    wd_broker_plan_free(g, 0);

    /* A grant of the whole root ("/" and a final "**") is the root directory. */
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs:///**\"\n        access: [read]\n");
    n = plan(f, &g);
    assert_int_equal(n, 1);
    assert_string_equal(g[0].path, "/");
    assert_int_equal(g[0].access, LL_R);
    wd_broker_plan_free(g, (size_t)n);

    /* No storage rules, or deny rules only. */
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    deny:\n"
                  "      - uri: \"fs:///**\"\n        access: [read]\n");
    n = plan(f, &g);
    assert_int_equal(n, 0);
    wd_broker_plan_free(g, 0);
}

static void test_plan_fs_deny_and_protected(void **state)
{
    fx *f = *state;
    /* The default policy: a read deny inside the data tree leaves it only its write bits, and
     * not even create and delete: a deny rule decides by name, and a plugin that could make
     * and remove names could rename a denied file to an allowed one. */
    wd_fs_grant *g;
    long n = plan(f, &g);
    assert_int_equal(n, 1);
    assert_string_equal(g[0].path, P(f, "data"));
    assert_int_equal(g[0].access, LL_W);
    wd_broker_plan_free(g, (size_t)n);

    /* A grant reached through a symbolic link is never given to the kernel: Landlock would
     * grant the target, which the deny and protected checks (on the text) never saw. So is a
     * directory that does not exist. */
    assert_int_equal(symlink(P(f, "data"), P(f, "via")), 0);
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs://via/**\"\n        access: [read]\n"
                  "      - uri: \"fs://nowhere/**\"\n        access: [read]\n"
                  "      - uri: \"fs://pub/**\"\n        access: [read]\n");
    n = plan(f, &g);
    assert_int_equal(n, 1);
    assert_string_equal(g[0].path, P(f, "pub"));
    wd_broker_plan_free(g, (size_t)n);
    use_policy(f, DEFAULT_POLICY);

    /* A write deny (which is also create and delete) deep inside leaves read. A deny rule in
     * an unrelated subtree, a sibling that shares a prefix, or on an access the allow rule
     * does not list, takes nothing away. */
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs://data/**\"\n        access: [read, write]\n"
                  "      - uri: \"fs://pub/**\"\n        access: [read]\n"
                  "      - uri: \"fs://lib\"\n        access: [read, execute]\n"
                  "    deny:\n"
                  "      - uri: \"fs://data/sub/logs/**\"\n        access: [write]\n"
                  "      - uri: \"fs://other/**\"\n        access: [read]\n"
                  "      - uri: \"fs://pubx/**\"\n        access: [read]\n"
                  "      - uri: \"fs://pub/**\"\n        access: [write]\n"
                  "      - uri: \"fs://lib/*.so\"\n        access: [execute]\n");
    n = plan(f, &g);
    assert_int_equal(n, 3);
    const wd_fs_grant *d = grant_for(g, n, P(f, "data"));
    assert_non_null(d);
    assert_int_equal(d->access, LL_R);
    const wd_fs_grant *p = grant_for(g, n, P(f, "pub"));
    assert_non_null(p);
    assert_int_equal(p->access, LL_R);
    const wd_fs_grant *l = grant_for(g, n, P(f, "lib"));
    assert_non_null(l);
    assert_int_equal(l->access, LL_R);
    wd_broker_plan_free(g, (size_t)n);

    /* A deny that takes every access away drops the rule; so does a deny above the subtree. */
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs://data/**\"\n        access: [read]\n"
                  "      - uri: \"fs://pub/**\"\n        access: [read]\n"
                  "    deny:\n"
                  "      - uri: \"fs://data/**/*.secret\"\n        access: [read]\n"
                  "      - uri: \"fs:///**/*.key\"\n        access: [read]\n");
    n = plan(f, &g);
    assert_int_equal(n, 0);
    wd_broker_plan_free(g, 0);

    /* A protected path inside a subtree drops the rule: Landlock cannot carve it out. */
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs://data/**\"\n        access: [read, write]\n"
                  "      - uri: \"fs://pub/**\"\n        access: [read]\n"
                  "      - uri: \"fs://data.d/**\"\n        access: [read]\n");
    protect(f, "data/.warden");
    n = plan(f, &g);
    assert_int_equal(n, 2);
    assert_null(grant_for(g, n, P(f, "data")));
    assert_non_null(grant_for(g, n, P(f, "pub")));
    assert_non_null(grant_for(g, n, P(f, "data.d")));
    wd_broker_plan_free(g, (size_t)n);
    /* ...and so does one above it: a directory inside a protected one holds protected files. */
    protect(f, "");
    n = plan(f, &g);
    assert_int_equal(n, 0);
    wd_broker_plan_free(g, 0);
    /* A protected sibling that only shares a prefix is no reason to drop anything. */
    protect(f, "dat");
    n = plan(f, &g);
    assert_int_equal(n, 3);
    wd_broker_plan_free(g, (size_t)n);
    protect(f, "data.d");
    n = plan(f, &g);
    assert_int_equal(n, 2);
    assert_null(grant_for(g, n, P(f, "data.d")));
    wd_broker_plan_free(g, (size_t)n);
    /* The root grant is dropped by any protected path at all. */
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs:///**\"\n        access: [read]\n");
    protect(f, "data/.warden");
    n = plan(f, &g);
    assert_int_equal(n, 0);
    wd_broker_plan_free(g, 0);
}

/* ---- the final verdict: lockdown, warden's own files ---------------------------------------- */

/* A lockdown that begins while requests are being served denies the next one, whatever the
 * policy grants, with the lockdown's reason; it outranks approvals too. */
static void test_lockdown_denies_next_request(void **state)
{
    fx *f = *state;
    char keys[PATH_MAX], log[PATH_MAX], manifest[PATH_MAX + 16], pub[PATH_MAX + 16];
    wd_audit *audit = wd_test_audit_open(f->root, keys, log, sizeof(keys));
    assert_non_null(audit);
    snprintf(manifest, sizeof(manifest), "%s/baseline", f->root);
    snprintf(pub, sizeof(pub), "%s/signing.pub", keys);
    mk_dir(f, "watched");
    mk_file(f, "watched/rules", "rules\n");
    const char *paths[] = {P(f, "watched")};
    assert_int_equal(wd_baseline_create(paths, 1, keys, manifest, NULL, NULL), 0);
    wd_watch *w = NULL;
    assert_int_equal(wd_watch_start(&w, manifest, pub, audit), 0);
    f->b.watch = w;
    OPEN_OK(f, P(f, "data/hello.txt"), O_RDONLY, "hello world");
    wd_broker_answer a;
    wd_broker_getenv(&f->b, "LANG", &a);

    FILE *fp = fopen(P(f, "watched/rules"), "a");
    assert_non_null(fp);
    fputs("loosened\n", fp);
    fclose(fp);
    for (int i = 0; i < 2000 && !wd_watch_lockdown(w); i++)
        usleep(1000);
    const char *locked = wd_watch_lockdown(w);
    assert_non_null(locked);
    a = OPEN_REFUSED(f, P(f, "data/hello.txt"), O_RDONLY, EACCES, locked);
    assert_string_equal(a.reason, locked);
    assert_string_equal(a.what, "read");
    OPEN_REFUSED(f, P(f, "data/new.txt"), O_WRONLY | O_CREAT, EACCES, "lockdown: ");
    f->env[0] = "LANG=C";
    f->env[1] = NULL;
    use_policy(f, "version: \"1.0\"\npermissions:\n  environment:\n    allow:\n"
                  "      - key: LANG\n");
    wd_broker_getenv(&f->b, "LANG", &a);
    assert_false(a.allowed);
    assert_null(a.value);
    assert_string_equal(a.reason, locked);
    f->b.watch = NULL;
    wd_watch_free(w);
    assert_int_equal(wd_audit_close(audit), 0);
}

/* warden's own programs and libraries (wd_protected_new_own): never changed through the broker
 * and never changeable under Landlock, whatever the policy grants on their directory. */
static void test_own_files_never_changed(void **state)
{
    fx *f = *state;
    mk_dir(f, "bin");
    mk_file(f, "bin/warden-runner", "RUNNER");
    mk_file(f, "bin/libwarden.so.0", "LIB");
    mk_file(f, "bin/other.txt", "other");
    wd_protected *own = NULL;
    assert_int_equal(wd_protected_new_own(&own, P(f, "bin/warden-runner"), NULL, 0), 0);
    f->b.protect_own = own;
    use_policy(f, "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                  "      - uri: \"fs://bin/**\"\n        access: [read, write]\n"
                  "      - uri: \"fs://pub/**\"\n        access: [read, write]\n");
    /* Through the broker: reading is fine, no change is. */
    OPEN_OK(f, P(f, "bin/warden-runner"), O_RDONLY, "RUNNER");
    static const int changes[] = {O_WRONLY, O_WRONLY | O_TRUNC, O_RDWR, O_WRONLY | O_APPEND};
    for (size_t i = 0; i < sizeof(changes) / sizeof(*changes); i++) {
        OPEN_REFUSED(f, P(f, "bin/warden-runner"), changes[i], EACCES, "a protected path (");
        OPEN_REFUSED(f, P(f, "bin/libwarden.so.0"), changes[i], EACCES,
                     "no policy grants changing warden's own files");
    }
    OPEN_OK(f, P(f, "bin/other.txt"), O_WRONLY | O_APPEND, NULL);
    OPEN_OK(f, P(f, "bin/new.txt"), O_WRONLY | O_CREAT, NULL);
    file_is(f, "bin/warden-runner", "RUNNER");

    /* The Landlock plan: the directory that holds them is readable, never changeable; a
     * subtree without them keeps its rights. */
    wd_fs_grant *g;
    long n = plan(f, &g);
    const wd_fs_grant *bin = grant_for(g, n, P(f, "bin"));
    assert_non_null(bin);
    assert_int_equal(bin->access, LL_R);
    const wd_fs_grant *pub = grant_for(g, n, P(f, "pub"));
    assert_non_null(pub);
    assert_int_equal(pub->access, LL_R | LL_W | LL_C | LL_D);
    wd_broker_plan_free(g, (size_t)n);

    /* The same for what this process runs from: its executable's directory and the directory
     * of a shared object it has mapped (here libc's), and anything above them. */
    char exe[PATH_MAX], libc_dir[PATH_MAX] = "";
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    assert_true(len > 0);
    exe[len] = '\0';
    *strrchr(exe, '/') = '\0';
    FILE *maps = fopen("/proc/self/maps", "r");
    assert_non_null(maps);
    char line[PATH_MAX + 128];
    while (!libc_dir[0] && fgets(line, sizeof(line), maps)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, "/libc.so")) {
            path[strcspn(path, "\n")] = '\0';
            assert_non_null(realpath(path, libc_dir));
            *strrchr(libc_dir, '/') = '\0';
        }
    }
    fclose(maps);
    assert_true(libc_dir[0] != '\0');
    char *parent = strdup(exe);
    assert_non_null(parent);
    *strrchr(parent, '/') = '\0';
    const char *dirs[] = {exe, libc_dir, parent};
    for (size_t i = 0; i < 3; i++) {
        char yaml[PATH_MAX + 200];
        snprintf(yaml, sizeof(yaml),
                 "version: \"1.0\"\npermissions:\n  storage:\n    allow:\n"
                 "      - uri: \"fs://%s/**\"\n        access: [read, write]\n",
                 dirs[i]);
        use_policy(f, yaml);
        n = wd_broker_plan_fs(&f->b, &g);
        assert_true(n >= 0);
        for (long k = 0; k < n; k++)
            if (g[k].access & (LL_W | LL_C | LL_D | WD_LL_REFER | WD_LL_MAKE_SYM)) {
                print_error("%s: change rights %llx granted\n", g[k].path,
                            (unsigned long long)g[k].access);
                fail();
            }
        wd_broker_plan_free(g, (size_t)n);
    }
    free(parent);
    f->b.protect_own = NULL;
    wd_protected_free(own);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* hostile first */
        cmocka_unit_test_setup_teardown(test_open_dotdot_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_symlink_out_absolute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_symlink_out_relative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_symlinked_directory_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_symlink_chain_and_loops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_deny_inside_subtree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_protected_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_override_lets_one_denial_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_fifo_never_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_devices_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_proc_magic_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_flags_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_creat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_create_needs_create_access, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_creat_excl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pure_and_null_policy_refuse_everything, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused_by_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_loopback_needs_an_address_rule, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_connect_ipv6_loopback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_bracketed_ipv6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_failures, setup, teardown),
        cmocka_unit_test(test_address_is_local),
        /* the ordinary cases */
        cmocka_unit_test_setup_teardown(test_open_allowed_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_normalises_spelling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_symlink_inside_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_getenv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_fs_subtrees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_fs_deny_and_protected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockdown_denies_next_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_files_never_changed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
