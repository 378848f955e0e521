/* test_policy_cache.c: shared compiled policies: hits, eviction, lifetimes, threads. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "warden/warden.h"

static const char *policy_text(int i, char *buf, size_t size)
{
    snprintf(buf, size,
             "version: \"1.0\"\npermissions:\n  environment:\n    allow:\n    - key: K%d\n", i);
    return buf;
}

static void test_hits_and_eviction(void **state)
{
    (void)state;
    wd_policy_cache *c;
    assert_int_equal(wd_policy_cache_new(&c, 2), 0);
    char t0[256], t1[256], t2[256];
    policy_text(0, t0, sizeof(t0));
    policy_text(1, t1, sizeof(t1));
    policy_text(2, t2, sizeof(t2));
    wd_policy *a, *b, *a2;
    int hit;
    assert_int_equal(wd_policy_cache_get(c, t0, strlen(t0), NULL, &a, &hit), 0);
    assert_false(hit);
    assert_int_equal(wd_policy_cache_get(c, t0, strlen(t0), NULL, &a2, &hit), 0);
    assert_true(hit);
    assert_ptr_equal(a, a2); /* one compiled copy, shared */
    wd_policy_free(a2);
    assert_int_equal(wd_policy_cache_get(c, t1, strlen(t1), NULL, &b, &hit), 0);
    assert_false(hit);
    wd_policy_free(b);
    /* a third policy evicts the least recently used (t0) ... */
    wd_policy *x;
    assert_int_equal(wd_policy_cache_get(c, t2, strlen(t2), NULL, &x, &hit), 0);
    wd_policy_free(x);
    assert_int_equal(wd_policy_cache_get(c, t1, strlen(t1), NULL, &b, &hit), 0);
    assert_true(hit);
    wd_policy_free(b);
    /* ... but the reference the caller still holds stays valid and decides */
    wd_request r = {.kind = WD_REQ_ENVIRONMENT, .key = "K0"};
    wd_decision d;
    assert_int_equal(wd_policy_decide(a, &r, &d), 0);
    assert_int_equal(d.effect, WD_ALLOW);
    assert_int_equal(wd_policy_cache_get(c, t0, strlen(t0), NULL, &a2, &hit), 0);
    assert_false(hit); /* was evicted: compiled again */
    wd_policy_free(a2);
    wd_policy_free(a);
    /* the data directory and the name are part of the key */
    wd_policy_options o = WD_POLICY_OPTIONS_INIT;
    o.data_dir = "/other";
    assert_int_equal(wd_policy_cache_get(c, t0, strlen(t0), &o, &a, &hit), 0);
    assert_false(hit);
    wd_policy_free(a);
    /* invalid text: an error, nothing cached */
    assert_int_equal(wd_policy_cache_get(c, "version: 9\n", 11, NULL, &a, &hit), WD_EPOLICY);
    assert_null(a);
    wd_policy_cache_free(c);
    assert_int_equal(wd_policy_cache_new(&c, 0), WD_EINVAL);
}

typedef struct {
    wd_policy_cache *c;
    int errors;
} arg;

static void *worker(void *p)
{
    arg *a = p;
    char t[256];
    for (int i = 0; i < 2000; i++) {
        policy_text(i % 5, t, sizeof(t));
        wd_policy *pol;
        if (wd_policy_cache_get(a->c, t, strlen(t), NULL, &pol, NULL) != 0) {
            a->errors++;
            continue;
        }
        char key[8];
        snprintf(key, sizeof(key), "K%d", i % 5);
        wd_request r = {.kind = WD_REQ_ENVIRONMENT, .key = key};
        wd_decision d;
        if (wd_policy_decide(pol, &r, &d) != 0 || d.effect != WD_ALLOW)
            a->errors++;
        wd_policy_free(pol);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    wd_policy_cache *c;
    assert_int_equal(wd_policy_cache_new(&c, 3), 0); /* smaller than the working set: churn */
    pthread_t th[8];
    arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (arg){c, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].errors, 0);
    }
    wd_policy_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hits_and_eviction),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
