/* test_yaml_tree.c: the safe YAML tree: positions, nulls, sub-value columns and the limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "yaml/yaml_tree.h"
#include "warden/diag.h"

static int parse(const char *text, wd_arena *arena, wd_diagnostics *d, wd_yaml_node **root)
{
    return wd_yaml_parse(arena, text, strlen(text), "t.yaml", d, root);
}

static void test_positions_and_nulls(void **state)
{
    (void)state;
    wd_arena a = WD_ARENA_INIT;
    wd_diagnostics *d;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    wd_yaml_node *root;
    assert_int_equal(parse("a: 1\nb:\n  - x\n  - 'q u'\nc: ~\nd:\ne: \"\"\n", &a, d, &root), 0);
    assert_int_equal(root->kind, WD_YAML_MAP);
    assert_int_equal(root->count, 5);
    wd_yaml_node *k = root->child;
    assert_string_equal(k->str, "a");
    assert_int_equal(k->next->line, 1);
    assert_int_equal(k->next->column, 4);
    k = k->next->next; /* b */
    wd_yaml_node *seq = k->next;
    assert_int_equal(seq->kind, WD_YAML_SEQ);
    assert_int_equal(seq->count, 2);
    assert_string_equal(seq->child->next->str, "q u");
    assert_false(seq->child->next->plain);
    assert_int_equal(seq->child->next->text_column, 6); /* inside the quotes */
    k = k->next->next;                                  /* c: ~ */
    assert_true(wd_yaml_is_null(k->next));
    k = k->next->next; /* d: (nothing) */
    assert_true(wd_yaml_is_null(k->next));
    k = k->next->next; /* e: "" is an empty string, not null */
    assert_false(wd_yaml_is_null(k->next));
    assert_int_equal(wd_diagnostics_count(d), 0);
    wd_diagnostics_free(d);
    wd_arena_free(&a);
}

static void test_column_at(void **state)
{
    (void)state;
    wd_arena a = WD_ARENA_INIT;
    wd_yaml_node *root;
    assert_int_equal(parse("k: ab\xc3\xa9z\nq: \"x\\ty\"\n", &a, NULL, &root), 0);
    wd_yaml_node *v = root->child->next;
    assert_int_equal(wd_yaml_column_at(v, 0), 4);
    assert_int_equal(wd_yaml_column_at(v, 4), 7); /* after a 2-byte character: one column */
    wd_yaml_node *q = root->child->next->next->next;
    /* an escape changed the length: fall back to the node's own column */
    assert_int_equal(wd_yaml_column_at(q, 2), q->column);
    wd_arena_free(&a);
}

static void expect_error(const char *text, const char *id)
{
    wd_arena a = WD_ARENA_INIT;
    wd_diagnostics *d;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    wd_yaml_node *root = (wd_yaml_node *)0x1;
    assert_int_equal(parse(text, &a, d, &root), WD_EPOLICY);
    assert_null(root);
    assert_true(wd_diagnostics_errors(d) >= 1);
    assert_string_equal(wd_diagnostics_get(d, 0)->id, id);
    wd_diagnostics_free(d);
    wd_arena_free(&a);
}

static void test_refusals(void **state)
{
    (void)state;
    expect_error("a: &x 1\nb: *x\n", "WD-P006");
    expect_error("a: !!binary aGk=\n", "WD-P007");
    expect_error("a: 1\n---\nb: 2\n", "WD-P008");
    expect_error("a: 1\na: 2\n", "WD-P010");
    expect_error("{a: [}\n", "WD-P005");
    expect_error("? {x: 1}\n: v\n", "WD-P012");
    /* 65 levels */
    char deep[200] = "";
    for (int i = 0; i < 65; i++)
        wd_test_append(deep, sizeof(deep), "[");
    for (int i = 0; i < 65; i++)
        wd_test_append(deep, sizeof(deep), "]");
    expect_error(deep, "WD-P009");
}

static void test_depth_64_is_fine(void **state)
{
    (void)state;
    char deep[200] = "";
    for (int i = 0; i < 64; i++)
        wd_test_append(deep, sizeof(deep), "[");
    for (int i = 0; i < 64; i++)
        wd_test_append(deep, sizeof(deep), "]");
    wd_arena a = WD_ARENA_INIT;
    wd_yaml_node *root;
    assert_int_equal(parse(deep, &a, NULL, &root), 0);
    wd_arena_free(&a);
}

static void test_billion_laughs_refused_cheaply(void **state)
{
    (void)state;
    /* The classic alias bomb never expands: the first anchor is already an error. */
    expect_error("a: &a [x, x, x, x, x, x, x, x, x]\n"
                 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                 "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
                 "WD-P006");
}

static void test_huge_map_duplicate_check_is_fast(void **state)
{
    (void)state;
    /* 200,000 keys: a quadratic duplicate check would take minutes; sorting takes milliseconds. */
    size_t n = 200000;
    char *text = malloc(n * 16 + 16);
    assert_non_null(text);
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(text + o, n * 16 + 16 - o, "k%zu: 1\n", i);
    o += (size_t)snprintf(text + o, n * 16 + 16 - o, "k7: 2\n");
    wd_arena a = WD_ARENA_INIT;
    wd_diagnostics *d;
    assert_int_equal(wd_diagnostics_new(&d), 0);
    wd_yaml_node *root;
    assert_int_equal(wd_yaml_parse(&a, text, o, "t", d, &root), WD_EPOLICY);
    assert_int_equal(wd_diagnostics_errors(d), 1);
    assert_int_equal(wd_diagnostics_get(d, 0)->line, n + 1);
    wd_diagnostics_free(d);
    wd_arena_free(&a);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions_and_nulls),
        cmocka_unit_test(test_column_at),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_depth_64_is_fine),
        cmocka_unit_test(test_billion_laughs_refused_cheaply),
        cmocka_unit_test(test_huge_map_duplicate_check_is_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
