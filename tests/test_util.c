/* The framework's small utilities: the timed queue (sim/tq.h) keeps time order and,
 * at one time, push order, whatever the payload; the text helpers (sim/text.h) parse
 * digits without overflow and suggest close names; sim_xasprintf formats whole. */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/rng.h"
#include "sim/text.h"
#include "sim/tq.h"

START_TEST(test_tq_time_then_push_order)
{
    sim_tq *q = sim_tq_create();
    ck_assert_uint_eq(sim_tq_len(q), 0);
    ck_assert_uint_eq(sim_tq_head_ps(q), UINT64_MAX);
    /* Times 30 10 20 10 30 10: tags in push order, objects carried along. */
    static const uint64_t t[] = {30, 10, 20, 10, 30, 10};
    static int obj[6];
    bool head[6];
    for (uint64_t i = 0; i < 6; i++)
        head[i] = sim_tq_push(q, t[i], &obj[i], i);
    ck_assert(head[0] && head[1] && !head[2] && !head[3] && !head[4] && !head[5]);
    ck_assert_uint_eq(sim_tq_head_ps(q), 10);
    sim_tq_item out;
    ck_assert(!sim_tq_pop_due(q, 9, &out)); /* nothing due yet */
    static const uint64_t want[] = {1, 3, 5, 2, 0, 4};
    for (int i = 0; i < 6; i++) {
        ck_assert(sim_tq_pop_due(q, 100, &out));
        ck_assert_uint_eq(out.tag, want[i]);
        ck_assert_uint_eq(out.t_ps, t[want[i]]);
        ck_assert_ptr_eq(out.obj, &obj[want[i]]);
    }
    ck_assert(!sim_tq_pop_due(q, UINT64_MAX, NULL));
    sim_tq_destroy(q);
    sim_tq_destroy(NULL);
}
END_TEST

/* Random pushes and pops against a sorted reference, through growth. */
START_TEST(test_tq_against_reference)
{
    sim_tq *q = sim_tq_create();
    sim_rng rng;
    sim_rng_seed(&rng, 7, "tq");
    enum { N = 20000 };
    static uint64_t ref_t[N], ref_id[N]; /* pending, unsorted */
    size_t n = 0;
    uint64_t next_id = 0, now = 0;
    for (int step = 0; step < 100000; step++) {
        if (n < N && (n == 0 || sim_rng_below(&rng, 3) != 0)) {
            uint64_t t = now + sim_rng_below(&rng, 50); /* many ties */
            ref_t[n] = t;
            ref_id[n] = next_id;
            n++;
            sim_tq_push(q, t, NULL, next_id++);
        } else {
            /* The reference's earliest: least time, then least id (= push order). */
            size_t best = 0;
            for (size_t i = 1; i < n; i++)
                if (ref_t[i] < ref_t[best] || (ref_t[i] == ref_t[best] && ref_id[i] < ref_id[best]))
                    best = i;
            sim_tq_item it;
            ck_assert(sim_tq_pop_due(q, UINT64_MAX, &it));
            ck_assert_uint_eq(it.tag, ref_id[best]);
            ck_assert_uint_eq(it.t_ps, ref_t[best]);
            now = it.t_ps;
            ref_t[best] = ref_t[--n];
            ref_id[best] = ref_id[n];
        }
        ck_assert_uint_eq(sim_tq_len(q), n);
    }
    /* item_at visits every pending item once. */
    uint64_t sum = 0, want = 0;
    for (size_t i = 0; i < n; i++) {
        sum += sim_tq_item_at(q, i).tag;
        want += ref_id[i];
    }
    ck_assert_uint_eq(sum, want);
    sim_tq_destroy(q);
}
END_TEST

/* An index at or past the length is a bug in the caller, even where the heap's spare
 * capacity would still hold an old entry. */
START_TEST(test_tq_item_at_past_end_asserts)
{
    sim_tq *q = sim_tq_create();
    for (uint64_t i = 0; i < 3; i++)
        sim_tq_push(q, i, NULL, i);
    ck_assert(sim_tq_pop_due(q, 0, NULL));
    (void)sim_tq_item_at(q, sim_tq_len(q));
}
END_TEST

START_TEST(test_text_parse_u64)
{
    const char *s = "1234x";
    uint64_t v = 0;
    ck_assert(sim_text_parse_u64(&s, 10, &v));
    ck_assert_uint_eq(v, 1234);
    ck_assert_str_eq(s, "x");
    s = "fFfF ";
    ck_assert(sim_text_parse_u64(&s, 16, &v));
    ck_assert_uint_eq(v, 0xffff);
    s = "18446744073709551615";
    ck_assert(sim_text_parse_u64(&s, 10, &v));
    ck_assert_uint_eq(v, UINT64_MAX);
    s = "18446744073709551616"; /* one more: refused, nothing consumed */
    v = 7;
    ck_assert(!sim_text_parse_u64(&s, 10, &v));
    ck_assert_uint_eq(v, 7);
    ck_assert_str_eq(s, "18446744073709551616");
    s = "10000000000000000";
    ck_assert(!sim_text_parse_u64(&s, 16, &v));
    s = "x1";
    ck_assert(!sim_text_parse_u64(&s, 10, &v));
    ck_assert_int_eq(sim_text_hex_digit('a'), 10);
    ck_assert_int_eq(sim_text_hex_digit('G'), -1);
}
END_TEST

START_TEST(test_text_names)
{
    ck_assert_uint_eq(sim_text_edit_distance("kitten", "sitting"), 3);
    ck_assert_uint_eq(sim_text_edit_distance("", "abc"), 3);
    ck_assert_uint_eq(sim_text_edit_distance("same", "same"), 0);
    char longer[200];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    ck_assert_uint_eq(sim_text_edit_distance(longer, "a"), SIZE_MAX);
    static const char *const names[] = {"throughput_gbps", "latency_ns_p50", "drops"};
    ck_assert_str_eq(sim_text_closest("thruput_gbps", names, 3, 4), "throughput_gbps");
    ck_assert_ptr_null(sim_text_closest("iotlb_hit_rate", names, 3, 4));
}
END_TEST

START_TEST(test_xasprintf)
{
    char *s = sim_xasprintf("%s:%d: %s", "workloads/x.ini", 12, "a message");
    ck_assert_str_eq(s, "workloads/x.ini:12: a message");
    free(s);
    char *d = sim_xstrndup("abcdef", 3);
    ck_assert_str_eq(d, "abc");
    free(d);
}
END_TEST

static Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("tq");
    tcase_add_test(tc, test_tq_time_then_push_order);
    tcase_add_test(tc, test_tq_against_reference);
    tcase_add_test_raise_signal(tc, test_tq_item_at_past_end_asserts, SIGABRT);
    suite_add_tcase(s, tc);
    tc = tcase_create("text");
    tcase_add_test(tc, test_text_parse_u64);
    tcase_add_test(tc, test_text_names);
    tcase_add_test(tc, test_xasprintf);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(util_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
