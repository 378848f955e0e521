/* helpers.h: small utilities shared by the cmocka unit tests. */
#ifndef WD_TEST_HELPERS_H
#define WD_TEST_HELPERS_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh private directory under $TMPDIR (or /tmp); removed by wd_test_rmtree(). */
char *wd_test_tmpdir(void);
/* Writes content to dir/name (mode 0644) and returns the malloc'd path. */
char *wd_test_write(const char *dir, const char *name, const char *content, size_t len);
void wd_test_rmtree(char *dir);
/* Runs a shell command for test fixtures (fork/exec of /bin/sh -c); returns its exit status. */
int wd_test_run(const char *command);
/* Appends formatted text to the NUL-terminated string in buf[size]; fails the test rather than
 * truncate. */
void wd_test_append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A fresh audit log for a test: keys in dir/KEYS and the log in dir/LOG (paths returned in
 * keys[size] and log[size]); not append-only, no syncing. */
struct wd_audit;
struct wd_audit *wd_test_audit_open(const char *dir, char *keys, char *log, size_t size);

/* The example plugins' built contracts: this build's, else (a build of only the test targets,
 * as the ThreadSanitizer run in scripts/test.sh makes) the main build's. */
typedef struct {
    char dir[600];      /* holds reader/, wordcount/, fetch/ */
    char hello[700];    /* the reader's readable data file */
    char secret[700];   /* the reader's *.secret file its policy denies */
    char data_uri[700]; /* the reader data directory as an fs:// URI with a trailing ** */
} wd_test_examples;
/* false (and a message on stderr) when neither build has them. */
bool wd_test_find_examples(wd_test_examples *ex);

/* Skips the calling test (cmocka's skip()) when no plugin can run here: the runner is not
 * built, or this is a ThreadSanitizer build (its instrumented runner's shadow memory does not
 * fit the sandbox's limits: it exits 66 before the plugin runs). */
void wd_test_need_runner(const char *test);

/* Enrols approver name in the override directory dir and decodes its secret (64 bytes of room)
 * from the otpauth URI, as a phone would take it. */
void wd_test_enroll(const char *dir, const char *name, uint8_t *secret, size_t *len);

#endif
