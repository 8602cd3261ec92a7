/* Host memory timing: LLC hits and misses, DDIO write allocation limited to its ways,
 * DRAM channel reservations. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/mem/mem.h"
#include "sim/kernel.h"

static sim_params *params(void)
{
    sim_params *p = sim_params_create();
    mem_register_params(p);
    return p;
}

static mem *make(sim_params *p, sim_stats **s)
{
    *s = sim_stats_create();
    sim_err e;
    ck_assert_msg(mem_check(p, &e) == 0, "%s", e.msg);
    return mem_create(p, *s);
}

static double stat(sim_stats *s, const char *name)
{
    double v = -1;
    ck_assert(sim_stats_get(s, name, &v));
    return v;
}

START_TEST(test_warm_read_hits_cold_read_misses)
{
    sim_params *p = params();
    sim_stats *s;
    mem *m = make(p, &s);
    uint64_t t = mem_read(m, 0, 0x100000, 64);
    ck_assert_uint_eq(t, (uint64_t)llround(64 * 8000.0 / 136.5) + 130000); /* one line through a channel, then DRAM latency */
    ck_assert_double_eq(stat(s, "mem.llc_read_misses"), 1);
    /* A device read does not allocate: the same line misses again. */
    mem_read(m, 1000000, 0x100000, 64);
    ck_assert_double_eq(stat(s, "mem.llc_read_misses"), 2);
    mem_touch(m, 0x100000, 4096);
    ck_assert_uint_eq(mem_read(m, 2000000, 0x100000, 256), 2000000 + 80000);
    ck_assert_double_eq(stat(s, "mem.llc_read_hits"), 4);
    mem_flush(m);
    ck_assert_uint_gt(mem_read(m, 3000000, 0x100000, 64), 3000000 + 130000);
    mem_destroy(m);
    sim_stats_destroy(s);
    sim_params_destroy(p);
}
END_TEST

/* Device writes allocate, but only into the DDIO ways: a set never holds more than
 * ddio_ways device-written lines, so CPU-warm lines in other ways survive. */
START_TEST(test_ddio_ways_limit)
{
    sim_params *p = params();
    ck_assert_int_eq(sim_params_set(p, "mem.llc_bytes", "1280", "t", NULL), 0); /* one set of 20 ways */
    sim_stats *s;
    mem *m = make(p, &s);
    mem_touch(m, 0, 18 * 64); /* 18 CPU lines */
    for (int i = 0; i < 10; i++)
        mem_write(m, 0, 0x10000 + (uint64_t)i * 64, 64);
    ck_assert_double_eq(stat(s, "mem.llc_write_allocs"), 10);
    /* The last two device lines are cached, earlier ones were evicted by them. */
    mem_read(m, 0, 0x10000 + 9 * 64, 64);
    mem_read(m, 0, 0x10000 + 8 * 64, 64);
    ck_assert_double_eq(stat(s, "mem.llc_read_hits"), 2);
    mem_read(m, 0, 0x10000, 64);
    ck_assert_double_eq(stat(s, "mem.llc_read_misses"), 1);
    /* Eight of the ten device lines were evicted dirty and written back to DRAM. */
    ck_assert_double_eq(stat(s, "mem.llc_writebacks"), 8);
    /* At most 2 of the CPU's 18 lines were displaced (they sat in DDIO ways). */
    for (int i = 0; i < 18; i++)
        mem_read(m, 0, (uint64_t)i * 64, 64);
    ck_assert_double_ge(stat(s, "mem.llc_read_hits"), 2 + 16);
    mem_destroy(m);
    sim_stats_destroy(s);
    sim_params_destroy(p);
}
END_TEST

/* Lines interleave over channels; one channel's bandwidth bounds back-to-back reads. */
START_TEST(test_dram_bandwidth)
{
    sim_params *p = params();
    ck_assert_int_eq(sim_params_set(p, "mem.channels", "1", "t", NULL), 0);
    ck_assert_int_eq(sim_params_set(p, "mem.channel_gbps", "64", "t", NULL), 0);
    ck_assert_int_eq(sim_params_set(p, "mem.llc_bytes", "0", "t", NULL), 0);
    sim_stats *s;
    mem *m = make(p, &s);
    /* 64 KiB at 64 Gb/s = 8192 ns of transfer, then the latency. */
    ck_assert_uint_eq(mem_read(m, 0, 0, 65536), 8192000 + 130000);
    mem_destroy(m);
    sim_params_destroy(p);
    sim_stats_destroy(s);

    p = params();
    ck_assert_int_eq(sim_params_set(p, "mem.channels", "4", "t", NULL), 0);
    ck_assert_int_eq(sim_params_set(p, "mem.channel_gbps", "64", "t", NULL), 0);
    ck_assert_int_eq(sim_params_set(p, "mem.llc_bytes", "0", "t", NULL), 0);
    m = make(p, &s);
    ck_assert_uint_eq(mem_read(m, 0, 0, 65536), 8192000 / 4 + 130000);
    mem_destroy(m);
    sim_params_destroy(p);
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_bad_geometry_refused)
{
    sim_params *p = params();
    ck_assert_int_eq(sim_params_set(p, "mem.llc_bytes", "1000", "t", NULL), 0);
    sim_err e;
    ck_assert_int_eq(mem_check(p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "mem.llc_bytes"));
    ck_assert_int_eq(sim_params_set(p, "mem.llc_bytes", "1280", "t", NULL), 0);
    ck_assert_int_eq(sim_params_set(p, "mem.ddio_ways", "30", "t", NULL), 0);
    ck_assert_int_eq(mem_check(p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "mem.ddio_ways"));
    sim_params_destroy(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mem");
    TCase *tc = tcase_create("mem");
    tcase_add_test(tc, test_warm_read_hits_cold_read_misses);
    tcase_add_test(tc, test_ddio_ways_limit);
    tcase_add_test(tc, test_dram_bandwidth);
    tcase_add_test(tc, test_bad_geometry_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
