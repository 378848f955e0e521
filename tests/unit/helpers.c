#include "helpers.h"

#include "warden/audit.h"
#include "warden/override.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *wd_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/warden-test-XXXXXX", base && *base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    return strdup(dir);
}

char *wd_test_write(const char *dir, const char *name, const char *content, size_t len)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    assert_non_null(path);
    snprintf(path, n, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void wd_test_rmtree(char *dir)
{
    if (dir)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

void wd_test_append(char *buf, size_t size, const char *fmt, ...)
{
    size_t used = strnlen(buf, size);
    assert_true(used < size);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < size - used);
}

int wd_test_run(const char *command)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

wd_audit *wd_test_audit_open(const char *dir, char *keys, char *log, size_t size)
{
    keys[0] = log[0] = '\0';
    wd_test_append(keys, size, "%s/keys", dir);
    wd_test_append(log, size, "%s/log", dir);
    assert_int_equal(wd_audit_keygen(keys), 0);
    wd_audit_options ao = WD_AUDIT_OPTIONS_INIT;
    ao.append_only = 0;
    ao.durability = WD_DURABILITY_NONE;
    wd_audit *a;
    assert_int_equal(wd_audit_open(&a, log, keys, &ao), 0);
    return a;
}

bool wd_test_find_examples(wd_test_examples *ex)
{
    static const char *const where[] = {WD_BINARY_DIR "/examples/plugins",
                                        WD_SOURCE_DIR "/build/examples/plugins"};
    for (size_t i = 0; i < sizeof(where) / sizeof(*where); i++) {
        char probe[700];
        snprintf(probe, sizeof(probe), "%s/reader/contract.yaml", where[i]);
        if (access(probe, R_OK) == 0) {
            snprintf(ex->dir, sizeof(ex->dir), "%s", where[i]);
            snprintf(ex->hello, sizeof(ex->hello), "%s/reader/data/hello.txt", where[i]);
            snprintf(ex->secret, sizeof(ex->secret), "%s/reader/data/api.secret", where[i]);
            snprintf(ex->data_uri, sizeof(ex->data_uri), "fs://%s/reader/data/**", where[i]);
            return true;
        }
    }
    fprintf(stderr,
            "no built example plugins in %s or %s: build the plugin_reader, "
            "plugin_wordcount and plugin_fetch targets\n",
            where[0], where[1]);
    return false;
}

void wd_test_enroll(const char *dir, const char *name, uint8_t *secret, size_t *len)
{
    char uri[512];
    assert_int_equal(wd_override_enroll(dir, name, NULL, "warden", uri, sizeof(uri), NULL), 0);
    const char *s = strstr(uri, "secret="), *e = s ? strchr(s, '&') : NULL;
    assert_non_null(e);
    assert_int_equal(wd_base32_decode(s + 7, (size_t)(e - s - 7), secret, 64, len), 0);
}

void wd_test_need_runner(const char *test)
{
    if (access(WD_RUNNER, X_OK) != 0) {
        print_message("%s: %s is not built: skipped\n", test, WD_RUNNER);
        skip();
    }
#if defined(__SANITIZE_THREAD__)
    print_message("%s: the runner cannot run sandboxed under ThreadSanitizer: skipped\n", test);
    skip();
#endif
}
