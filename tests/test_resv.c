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
        ck_assert_uint_le(r.gap[i - 1].end_ps, r.gap[i].start_ps);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("resv");
    TCase *tc = tcase_create("resv");
    tcase_add_test(tc, test_in_order_queueing);
    tcase_add_test(tc, test_gap_filling);
    tcase_add_test(tc, test_gap_count_is_bounded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
