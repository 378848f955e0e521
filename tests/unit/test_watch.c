/* test_watch.c: the lockdown watcher (integrity.h) from several threads at once: readers of
 * the lockdown flag while a change arrives (run under ThreadSanitizer too), a baseline that does
 * not match refusing to start, and a watch that is freed while intact. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "warden/warden.h"

typedef struct {
    char *tmp;
    char keys[512], manifest[512], pub[600], file[600];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->tmp = wd_test_tmpdir();
    snprintf(f->keys, sizeof(f->keys), "%s/keys", f->tmp);
    snprintf(f->pub, sizeof(f->pub), "%s/signing.pub", f->keys);
    snprintf(f->manifest, sizeof(f->manifest), "%s/baseline", f->tmp);
    assert_int_equal(wd_audit_keygen(f->keys), 0);
    char dir[590];
    snprintf(dir, sizeof(dir), "%.500s/conf", f->tmp);
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && echo 'version: \"1.0\"' > '%s/p.yaml'", dir, dir);
    assert_int_equal(wd_test_run(cmd), 0);
    snprintf(f->file, sizeof(f->file), "%.580s/p.yaml", dir);
    const char *paths[] = {dir};
    assert_int_equal(wd_baseline_create(paths, 1, f->keys, f->manifest, NULL, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    wd_test_rmtree(f->tmp);
    free(f);
    return 0;
}

typedef struct {
    wd_watch *w;
    atomic_int stop;
    atomic_int saw;
} readers;

static void *reader(void *arg)
{
    readers *r = arg;
    while (!atomic_load(&r->stop)) {
        const char *why = wd_watch_lockdown(r->w);
        if (why) {
            assert_non_null(strstr(why, "lockdown: "));
            atomic_store(&r->saw, 1);
        }
        sched_yield();
    }
    return NULL;
}

static void test_lockdown_seen_by_every_thread(void **state)
{
    fx *f = *state;
    readers r = {0};
    assert_int_equal(wd_watch_start(&r.w, f->manifest, f->pub, NULL), 0);
    assert_null(wd_watch_lockdown(r.w));
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, &r), 0);
    FILE *fp = fopen(f->file, "a");
    assert_non_null(fp);
    fputs("# changed\n", fp);
    fclose(fp);
    /* A functional deadline, not a measurement: lockdown must come within 2 s. */
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!wd_watch_lockdown(r.w)) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        assert_true(now.tv_sec - start.tv_sec < 2);
        usleep(1000);
    }
    while (!atomic_load(&r.saw))
        sched_yield();
    atomic_store(&r.stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    char want[700];
    snprintf(want, sizeof(want), "lockdown: %s changed", f->file);
    assert_string_equal(wd_watch_lockdown(r.w), want);
    wd_watch_free(r.w);
}

static void test_refuses_to_start_on_mismatch(void **state)
{
    fx *f = *state;
    FILE *fp = fopen(f->file, "a");
    assert_non_null(fp);
    fputs("# before start\n", fp);
    fclose(fp);
    wd_watch *w = NULL;
    assert_int_equal(wd_watch_start(&w, f->manifest, f->pub, NULL), WD_ESTATE);
    assert_string_equal(wd_error_last()->id, "WD-T004");
    assert_null(w);
    /* A missing public key is an error too: there is no default. */
    assert_int_not_equal(wd_watch_start(&w, f->manifest, "/nonexistent/signing.pub", NULL), 0);
    assert_null(w);
}

static void test_free_while_intact(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 20; i++) {
        wd_watch *w;
        assert_int_equal(wd_watch_start(&w, f->manifest, f->pub, NULL), 0);
        assert_null(wd_watch_lockdown(w));
        wd_watch_free(w);
    }
    wd_watch_free(NULL);
    assert_null(wd_watch_lockdown(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lockdown_seen_by_every_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_to_start_on_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_while_intact, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
