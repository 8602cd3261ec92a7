/* Reservation timelines (sim/resv.h): bookings in time order queue; a booking that is
 * ready before work booked for later fills an idle gap it fits in. */
#include <check.h>
#include <stdlib.h>

#include "sim/resv.h"

START_TEST(test_in_order_queueing)
{
    sim_resv r = {0};
    ck_assert_uint_eq(sim_resv_book(&r, 0, 100), 0);
    ck_assert_uint_eq(sim_resv_book(&r, 50, 100), 100);
    ck_assert_uint_eq(sim_resv_book(&r, 500, 100), 500);
    ck_assert_uint_eq(r.busy_until_ps, 600);
    ck_assert_uint_eq(r.ngaps, 1); /* [200, 500) */
}
END_TEST

START_TEST(test_gap_filling)
{
    sim_resv r = {0};
    ck_assert_uint_eq(sim_resv_book(&r, 1000, 100), 1000); /* gap [0, 1000) */
    ck_assert_uint_eq(sim_resv_book(&r, 200, 300), 200);   /* fits: [200, 500) */
    ck_assert_uint_eq(sim_resv_book(&r, 0, 200), 0);       /* [0, 200) */
    ck_assert_uint_eq(sim_resv_book(&r, 300, 600), 1100);  /* [500,1000) is too short */
    ck_assert_uint_eq(sim_resv_book(&r, 300, 500), 500);   /* exactly fills [500, 1000) */
    ck_assert_uint_eq(r.ngaps, 0);
    ck_assert_uint_eq(r.busy_until_ps, 1700);
}
END_TEST

START_TEST(test_gap_count_is_bounded)
{
    sim_resv r = {0};
    for (uint64_t i = 1; i <= 3 * SIM_RESV_GAPS; i++)
        sim_resv_book(&r, i * 1000, 10);
    ck_assert_uint_eq(r.ngaps, SIM_RESV_GAPS);
    /* The earliest gaps were forgotten: an early booking goes into the earliest kept. */
    uint64_t s = sim_resv_book(&r, 0, 10);
    ck_assert_uint_eq(s, (2 * SIM_RESV_GAPS) * 1000 + 10);
    for (uint32_t i = 1; i < r.ngaps; i++)
        ck_assert_uint_le(sim_resv_gap_at(&r, i - 1)->end_ps, sim_resv_gap_at(&r, i)->start_ps);
}
END_TEST

/* The gaps kept in a plain array, every gap moved down when the earliest is forgotten:
 * how sim_resv kept them before it moved only its start. The reference it must match. */
typedef struct ref_resv {
    uint64_t busy_until_ps;
    uint32_t ngaps;
    sim_resv_gap gap[SIM_RESV_GAPS];
} ref_resv;

static void ref_add_gap(ref_resv *r, uint32_t at, uint64_t start, uint64_t end)
{
    if (end <= start)
        return;
    if (r->ngaps == SIM_RESV_GAPS) {
        if (at == 0)
            return;
        for (uint32_t i = 1; i < r->ngaps; i++)
            r->gap[i - 1] = r->gap[i];
        r->ngaps--;
        at--;
    }
    for (uint32_t i = r->ngaps; i > at; i--)
        r->gap[i] = r->gap[i - 1];
    r->gap[at] = (sim_resv_gap){start, end};
    r->ngaps++;
}

static uint64_t ref_book(ref_resv *r, uint64_t ready_ps, uint64_t dur_ps)
{
    if (ready_ps >= r->busy_until_ps) {
        ref_add_gap(r, r->ngaps, r->busy_until_ps, ready_ps);
        r->busy_until_ps = ready_ps + dur_ps;
        return ready_ps;
    }
    for (uint32_t i = 0; i < r->ngaps; i++) {
        uint64_t s = r->gap[i].start_ps > ready_ps ? r->gap[i].start_ps : ready_ps;
        uint64_t gstart = r->gap[i].start_ps, gend = r->gap[i].end_ps;
        if (s + dur_ps > gend)
            continue;
        for (uint32_t j = i + 1; j < r->ngaps; j++)
            r->gap[j - 1] = r->gap[j];
        r->ngaps--;
        ref_add_gap(r, i, s + dur_ps, gend);
        ref_add_gap(r, i, gstart, s);
        return s;
    }
    uint64_t s = r->busy_until_ps;
    r->busy_until_ps = s + dur_ps;
    return s;
}

/* Random bookings around a moving clock, some far ahead, some filling gaps, some making
 * gaps faster than they are kept: the same starts and the same gaps as the reference. */
START_TEST(test_matches_plain_array)
{
    for (int load = 0; load < 3; load++) {
        sim_resv r = {0};
        ref_resv ref = {0};
        uint64_t x = 0x2545f4914f6cdd1dull + (uint64_t)load, now = 0;
        for (int n = 0; n < 100000; n++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            now += x % (load == 0 ? 50 : load == 1 ? 400 : 3000);
            uint64_t ready = (x >> 20) % 4 == 0 ? now + (x >> 24) % 20000 : now;
            uint64_t dur = 1 + (x >> 40) % 300;
            uint64_t got = sim_resv_book(&r, ready, dur), want = ref_book(&ref, ready, dur);
            ck_assert_uint_eq(got, want);
            ck_assert_uint_eq(r.busy_until_ps, ref.busy_until_ps);
            ck_assert_uint_eq(r.ngaps, ref.ngaps);
            unsigned differ = 0;
            for (uint32_t i = 0; i < r.ngaps; i++)
                differ += sim_resv_gap_at(&r, i)->start_ps != ref.gap[i].start_ps ||
                          sim_resv_gap_at(&r, i)->end_ps != ref.gap[i].end_ps;
            ck_assert_uint_eq(differ, 0);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("resv");
    TCase *tc = tcase_create("resv");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_in_order_queueing);
    tcase_add_test(tc, test_gap_filling);
    tcase_add_test(tc, test_gap_count_is_bounded);
    tcase_add_test(tc, test_matches_plain_array);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
