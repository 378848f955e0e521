/* test_broker_fs.c: the changes a process plugin asks of the file system, decided and made by
 * the broker (src/sandbox/broker_fs.h): each allowed one done, each refused one leaving the
 * tree exactly as it was, with the verb and errno the plugin is told.
 *
 *   ROOT/data/            read, write, create, delete (data_dir = ROOT)
 *   ROOT/data/ro/         read only (a more specific rule)
 *   ROOT/data/x.secret    no access of any kind
 *   ROOT/out/             outside every grant
 *   ROOT/data/link -> ROOT/out (a symbolic link out of the grant) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "sandbox/broker.h"
#include "sandbox/broker_fs.h"
#include "warden/policy.h"

typedef struct {
    char *tmp;
    char root[PATH_MAX];
    wd_policy *policy;
    wd_broker b;
    char path[4][PATH_MAX + 64];
    unsigned next;
} fx;

static const char POLICY[] =
    "version: \"1.0\"\n"
    "permissions:\n"
    "  storage:\n"
    "    allow:\n"
    "      - {uri: \"fs://data/**\", access: [read, write, create, delete]}\n"
    "      - {uri: \"fs://data/ro/**\", access: [read]}\n"
    "    deny:\n"
    "      - {uri: \"fs://data/**/*.secret\", access: [read, write, create, delete]}\n"
    "      - {uri: \"fs://data/ro/**\", access: [write, create, delete]}\n";

static const char *P(fx *f, const char *rel)
{
    char *b = f->path[f->next++ % 4];
    snprintf(b, sizeof(f->path[0]), "%s/%s", f->root, rel);
    return b;
}

static int exists(fx *f, const char *rel)
{
    struct stat st;
    return lstat(P(f, rel), &st) == 0;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->tmp = wd_test_tmpdir();
    assert_non_null(realpath(f->tmp, f->root));
    assert_int_equal(mkdir(P(f, "data"), 0755), 0);
    assert_int_equal(mkdir(P(f, "data/ro"), 0755), 0);
    assert_int_equal(mkdir(P(f, "data/dir"), 0755), 0);
    assert_int_equal(mkdir(P(f, "out"), 0755), 0);
    char *w = wd_test_write(P(f, "data"), "a.txt", "a", 1);
    free(w);
    free(wd_test_write(P(f, "data"), "x.secret", "s", 1));
    free(wd_test_write(P(f, "data/ro"), "r.txt", "r", 1));
    free(wd_test_write(P(f, "out"), "o.txt", "o", 1));
    assert_int_equal(symlink(P(f, "out"), P(f, "data/link")), 0);
    wd_policy_options opts = WD_POLICY_OPTIONS_INIT;
    opts.data_dir = f->root;
    opts.display_name = "p.yaml";
    assert_int_equal(wd_policy_load_buffer(&f->policy, POLICY, strlen(POLICY), &opts), 0);
    f->b.policy = f->policy;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    wd_policy_free(f->policy);
    wd_test_rmtree(f->tmp);
    free(f);
    return 0;
}

static void allowed(const wd_broker_answer *a)
{
    if (!a->allowed)
        print_error("refused: %s %s: %s (errno %d)\n", a->what, a->target, a->reason, a->err);
    assert_true(a->allowed);
}

static void refused(const wd_broker_answer *a, int err, const char *what)
{
    if (a->allowed || a->err != err || strcmp(a->what, what) != 0)
        print_error("want %s errno %d, got allowed %d %s errno %d: %s\n", what, err, a->allowed,
                    a->what, a->err, a->reason);
    assert_false(a->allowed);
    assert_int_equal(a->err, err);
    assert_string_equal(a->what, what);
    assert_int_equal(a->fd, -1);
}

static void test_mkdir(void **state)
{
    fx *f = *state;
    wd_broker_answer a;
    wd_broker_mkdir(&f->b, P(f, "data/new"), 04777, &a);
    allowed(&a);
    struct stat st;
    assert_int_equal(stat(P(f, "data/new"), &st), 0);
    assert_int_equal(st.st_mode & 07022, 0); /* never set-id, sticky, group or other write */
    wd_broker_mkdir(&f->b, P(f, "data/ro/new"), 0755, &a);
    refused(&a, EACCES, "create");
    wd_broker_mkdir(&f->b, P(f, "out/new"), 0755, &a);
    refused(&a, EACCES, "create");
    /* Through a link out of the grant: decided where it really lands. */
    wd_broker_mkdir(&f->b, P(f, "data/link/new"), 0755, &a);
    refused(&a, EACCES, "create");
    assert_false(exists(f, "data/ro/new") || exists(f, "out/new"));
    wd_broker_mkdir(&f->b, P(f, "data/new"), 0755, &a);
    refused(&a, EEXIST, "create");
}

static void test_unlink_and_rmdir(void **state)
{
    fx *f = *state;
    wd_broker_answer a;
    wd_broker_unlink(&f->b, P(f, "data/x.secret"), 0, &a);
    refused(&a, EACCES, "delete");
    wd_broker_unlink(&f->b, P(f, "data/ro/r.txt"), 0, &a);
    refused(&a, EACCES, "delete");
    wd_broker_unlink(&f->b, P(f, "data/link/o.txt"), 0, &a);
    refused(&a, EACCES, "delete");
    assert_true(exists(f, "data/x.secret") && exists(f, "data/ro/r.txt") && exists(f, "out/o.txt"));
    wd_broker_unlink(&f->b, P(f, "data/a.txt"), 0, &a);
    allowed(&a);
    assert_false(exists(f, "data/a.txt"));
    wd_broker_unlink(&f->b, P(f, "data/dir"), 0, &a);
    refused(&a, EISDIR, "delete");
    wd_broker_unlink(&f->b, P(f, "data/dir"), 1, &a);
    allowed(&a);
    assert_false(exists(f, "data/dir"));
    /* The link itself is removed, never what it points at. */
    wd_broker_unlink(&f->b, P(f, "data/link"), 0, &a);
    allowed(&a);
    assert_true(exists(f, "out/o.txt"));
}

static void test_rename(void **state)
{
    fx *f = *state;
    wd_broker_answer a;
    wd_broker_rename(&f->b, P(f, "data/a.txt"), P(f, "data/b.txt"), 0, &a);
    allowed(&a);
    assert_true(exists(f, "data/b.txt") && !exists(f, "data/a.txt"));
    /* Out of the grant, onto a denied name, from a read-only tree. */
    wd_broker_rename(&f->b, P(f, "data/b.txt"), P(f, "out/b.txt"), 0, &a);
    refused(&a, EACCES, "write");
    wd_broker_rename(&f->b, P(f, "data/b.txt"), P(f, "data/b.secret"), 0, &a);
    refused(&a, EACCES, "write");
    wd_broker_rename(&f->b, P(f, "data/ro/r.txt"), P(f, "data/r.txt"), 0, &a);
    refused(&a, EACCES, "write");
    /* A file whose read is denied is never renamed to a name where it would be readable. */
    wd_broker_rename(&f->b, P(f, "data/x.secret"), P(f, "data/x.txt"), 0, &a);
    refused(&a, EACCES, "read");
    assert_true(exists(f, "data/x.secret") && !exists(f, "data/x.txt"));
    /* Nor is a file moved into a tree the plugin may not write. */
    wd_broker_rename(&f->b, P(f, "data/b.txt"), P(f, "data/ro/b.txt"), 0, &a);
    refused(&a, EACCES, "write");
    /* An exchange needs every access on both sides. */
    wd_broker_rename(&f->b, P(f, "data/b.txt"), P(f, "data/x.secret"), RENAME_EXCHANGE, &a);
    assert_false(a.allowed);
    /* Replacing the denied file deletes it: refused. */
    wd_broker_rename(&f->b, P(f, "data/b.txt"), P(f, "data/x.secret"), 0, &a);
    refused(&a, EACCES, "write");
    /* A directory moves its subtree past rules by path: EXDEV. */
    wd_broker_rename(&f->b, P(f, "data/dir"), P(f, "data/dir2"), 0, &a);
    refused(&a, EXDEV, "rename");
    wd_broker_rename(&f->b, P(f, "data/b.txt"), P(f, "data/c.txt"), RENAME_WHITEOUT, &a);
    refused(&a, EINVAL, "rename");
    assert_true(exists(f, "data/b.txt") && exists(f, "data/x.secret") && exists(f, "data/dir"));
}

static void test_symlink(void **state)
{
    fx *f = *state;
    wd_broker_answer a;
    /* A link leads only where the plugin may read: the host's own tools would follow it. */
    wd_broker_symlink(&f->b, "/etc/shadow", P(f, "data/s"), &a);
    refused(&a, EACCES, "create");
    wd_broker_symlink(&f->b, "../out/o.txt", P(f, "data/s"), &a);
    refused(&a, EACCES, "create");
    wd_broker_symlink(&f->b, "x.secret", P(f, "data/s"), &a);
    refused(&a, EACCES, "create");
    wd_broker_symlink(&f->b, "../../../../../../../../../../..", P(f, "data/s"), &a);
    assert_false(a.allowed);
    assert_false(exists(f, "data/s"));
    wd_broker_symlink(&f->b, "sub/../a.txt", P(f, "data/s"), &a);
    allowed(&a);
    wd_broker_symlink(&f->b, "x", P(f, "out/s"), &a);
    refused(&a, EACCES, "create");
    wd_broker_open(&f->b, P(f, "data/s"), O_RDONLY, &a);
    allowed(&a);
    close(a.fd);
    /* In a sticky directory a link of the host's user is a trap for the host: refused. */
    assert_int_equal(mkdir(P(f, "data/sticky"), 01777), 0);
    assert_int_equal(chmod(P(f, "data/sticky"), 01777), 0);
    wd_broker_symlink(&f->b, "../a.txt", P(f, "data/sticky/s"), &a);
    refused(&a, EPERM, "create");
    assert_false(exists(f, "data/sticky/s"));
}

static void test_chmod_and_utimes(void **state)
{
    fx *f = *state;
    wd_broker_answer a;
    wd_broker_chmod(&f->b, P(f, "data/a.txt"), 06777, &a);
    allowed(&a);
    struct stat st;
    assert_int_equal(stat(P(f, "data/a.txt"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755); /* set-id and group/other write dropped */
    wd_broker_chmod(&f->b, P(f, "data/ro/r.txt"), 0777, &a);
    refused(&a, EACCES, "write");
    /* Not through a link, even one inside the grant. */
    assert_int_equal(symlink("a.txt", P(f, "data/al")), 0);
    wd_broker_chmod(&f->b, P(f, "data/al"), 0700, &a);
    refused(&a, ELOOP, "write");
    struct timespec ts[2] = {{.tv_sec = 1000}, {.tv_sec = 2000}};
    wd_broker_utimes(&f->b, P(f, "data/a.txt"), ts, &a);
    allowed(&a);
    assert_int_equal(stat(P(f, "data/a.txt"), &st), 0);
    assert_int_equal(st.st_mtime, 2000);
    wd_broker_utimes(&f->b, P(f, "out/o.txt"), NULL, &a);
    refused(&a, EACCES, "write");
}

static void test_pure_refuses(void **state)
{
    fx *f = *state;
    f->b.pure = 1;
    wd_broker_answer a;
    wd_broker_mkdir(&f->b, P(f, "data/p"), 0755, &a);
    refused(&a, EACCES, "create");
    f->b.pure = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mkdir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unlink_and_rmdir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chmod_and_utimes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pure_refuses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
