/* The host's page cache as state and policy (host/pcache.h), without a system: its table
 * finds every page it holds after many evictions, LRU evicts the least recently used
 * clean page and never a dirty or pending one, readahead windows grow as
 * mm/readahead.c's do, writeback gathers runs of dirty pages up to the drive's largest
 * request, and the dirty thresholds are mm/page-writeback.c's. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "host/pcache.h"
#include "sim/rng.h"
#include "tests/rig.h"

#define MIB (1024ull * 1024)
#define PAGES_PER_MIB (MIB / PCACHE_PAGE_BYTES)

/* A cache of cache_mib over `vms` images of 1 GiB, drive requests up to 512 KiB. */
static pcache *make(sim_params *p, unsigned vms, uint64_t cache_mib)
{
    char v[32];
    snprintf(v, sizeof v, "%lluMiB", (unsigned long long)cache_mib);
    rig_param_set(p, "pagecache.bytes", v);
    pcache_env env = {.vms = vms,
                      .img_bytes = 1024 * MIB,
                      .max_io_bytes = 512 * 1024,
                      .io_bytes = 4096,
                      .inflight = 1,
                      .mem_base = 8ull << 30};
    sim_err e = {{0}};
    ck_assert_msg(pcache_check(p, &env, &e) == 0, "%s", e.msg);
    return pcache_create(p, &env, NULL);
}

static pcache_read_plan rd(pcache *pc, unsigned vm, uint64_t first, uint32_t pages)
{
    pcache_read_plan pl;
    pcache_read(pc, vm, first, pages, &pl);
    if (pl.fill.pages)
        pcache_read_done(pc, &pl.fill);
    if (pl.async.pages)
        pcache_read_done(pc, &pl.async);
    return pl;
}

/* 16 MiB (4096 pages) over two images, 20,000 pages read at random: every page read
 * last is found again; the least recent are gone. */
START_TEST(test_table_and_lru)
{
    sim_params *p = rig_registry();
    rig_param_set(p, "pagecache.read_ahead_bytes", "0");
    pcache *pc = make(p, 2, 16);
    uint64_t cap = 16 * PAGES_PER_MIB;
    sim_rng rng;
    sim_rng_seed(&rng, 1, "test");
    uint64_t *idx = malloc(20000 * sizeof *idx);
    for (unsigned i = 0; i < 20000; i++) {
        idx[i] = sim_rng_below(&rng, 2 * 262144); /* VM in the top bit */
        rd(pc, (unsigned)(idx[i] & 1), idx[i] >> 1, 1);
    }
    /* The last cap distinct pages are all there: count the distinct ones from the end. */
    unsigned found = 0, checked = 0;
    for (int i = 19999; i >= 0 && checked < cap / 2; i--, checked++) {
        pcache_read_plan pl;
        pcache_read(pc, (unsigned)(idx[i] & 1), idx[i] >> 1, 1, &pl);
        found += pl.hits;
    }
    ck_assert_uint_eq(found, checked);
    pcache_counters k = pcache_get_counters(pc);
    ck_assert(k.evictions > 10000);
    ck_assert_uint_eq(k.insert_failed, 0);
    /* The first page read long ago is gone. */
    pcache_read_plan pl;
    pcache_read(pc, (unsigned)(idx[0] & 1), idx[0] >> 1, 1, &pl);
    ck_assert_uint_eq(pl.hits, 0);
    free(idx);
    pcache_destroy(pc);
    sim_params_destroy(p);
}
END_TEST

/* Dirty pages are not evicted: a 16 MiB cache with 3 MiB dirty (under the 20 % limit)
 * keeps them through reads of 64 MiB of other pages. */
START_TEST(test_dirty_stays)
{
    sim_params *p = rig_registry();
    rig_param_set(p, "pagecache.read_ahead_bytes", "0");
    pcache *pc = make(p, 1, 16);
    pcache_write(pc, 0, 0, (uint32_t)(3 * PAGES_PER_MIB));
    ck_assert_uint_eq(pcache_dirty_bytes(pc), 3 * MIB);
    ck_assert(pcache_over_background(pc));  /* 10 %: 1.6 MiB */
    ck_assert(!pcache_over_limit(pc));      /* 20 %: 3.2 MiB */
    for (uint64_t i = 0; i < 64 * PAGES_PER_MIB; i++)
        rd(pc, 0, 100000 + i, 1);
    pcache_read_plan pl;
    pcache_read(pc, 0, 0, (uint32_t)(3 * PAGES_PER_MIB), &pl);
    ck_assert_uint_eq(pl.hits, 3 * PAGES_PER_MIB);
    pcache_write(pc, 0, 50000, (uint32_t)(PAGES_PER_MIB / 2));
    ck_assert(pcache_over_limit(pc));
    pcache_destroy(pc);
    sim_params_destroy(p);
}
END_TEST

/* Writeback takes the oldest dirty page with its dirty neighbours, up to 128 pages
 * (512 KiB); pages under writeback still count against the limit until written. */
START_TEST(test_writeback_runs)
{
    sim_params *p = rig_registry();
    pcache *pc = make(p, 1, 64);
    pcache_write(pc, 0, 1000, 1);
    pcache_write(pc, 0, 10, 300);
    pcache_span s;
    ck_assert(pcache_wb_next(pc, UINT32_MAX, &s));
    ck_assert(s.first == 1000 && s.pages == 1);
    ck_assert(pcache_wb_next(pc, UINT32_MAX, &s));
    ck_assert(s.first == 10 && s.pages == 128);
    ck_assert_uint_eq(pcache_dirty_bytes(pc), 301 * PCACHE_PAGE_BYTES);
    pcache_wb_done(pc, &s, true);
    ck_assert_uint_eq(pcache_dirty_bytes(pc), 173 * PCACHE_PAGE_BYTES);
    /* A write that could not be issued leaves its pages dirty, first in line. */
    ck_assert(pcache_wb_next(pc, 16, &s) && s.first == 138 && s.pages == 16);
    pcache_wb_done(pc, &s, false);
    pcache_span again;
    ck_assert(pcache_wb_next(pc, 16, &again) && again.first == 138);
    pcache_counters k = pcache_get_counters(pc);
    ck_assert_uint_eq(k.wb_requests, 1);
    ck_assert_uint_eq(k.wb_bytes, 128 * PCACHE_PAGE_BYTES);
    pcache_destroy(pc);
    sim_params_destroy(p);
}
END_TEST

/* A sequential 4 KiB reader from the image's start: the first miss reads 4 pages
 * (get_init_ra_size of one page with 32 at most), reaching the marked page starts the
 * next window in the background, 8, 16, then 32 pages; a random read reads only its
 * page, and so does a first read elsewhere than the start (no history); a 128 KiB
 * reader keeps a window ahead. */
START_TEST(test_readahead_windows)
{
    sim_params *p = rig_registry();
    pcache *pc = make(p, 1, 64);
    pcache_read_plan pl = rd(pc, 0, 0, 1);
    ck_assert(pl.fill.first == 0 && pl.fill.pages == 4);
    uint32_t windows[8], n = 0;
    for (uint64_t i = 1; i < 200 && n < 8; i++) {
        pl = rd(pc, 0, i, 1);
        ck_assert_uint_eq(pl.missing, 0);
        if (pl.async.pages)
            windows[n++] = pl.async.pages;
    }
    ck_assert_uint_eq(windows[0], 8);
    ck_assert_uint_eq(windows[1], 16);
    ck_assert_uint_eq(windows[2], 32);
    ck_assert_uint_eq(windows[3], 32);
    pl = rd(pc, 0, 90000, 1);
    ck_assert(pl.fill.first == 90000 && pl.fill.pages == 1 && !pl.async.pages);
    pcache_destroy(pc);
    pc = make(p, 1, 64);
    pl = rd(pc, 0, 5000, 1);
    ck_assert(pl.fill.first == 5000 && pl.fill.pages == 1);
    pl = rd(pc, 0, 5001, 1); /* now sequential */
    ck_assert(pl.fill.first == 5001 && pl.fill.pages == 4);
    pcache_destroy(pc);
    /* A request as large as the window: its marked page is half way in it (readit), so
     * the next window goes at once, in the background. */
    pc = make(p, 1, 64);
    pl = rd(pc, 0, 0, 32);
    ck_assert(pl.fill.first == 0 && pl.fill.pages == 32);
    ck_assert(pl.async.first == 32 && pl.async.pages == 32);
    pl = rd(pc, 0, 32, 32);
    ck_assert(pl.hits == 32 && pl.async.first == 64 && pl.async.pages == 32);
    pcache_destroy(pc);
    sim_params_destroy(p);
}
END_TEST

/* vm.dirty_bytes and vm.dirty_background_bytes win over the ratios; a background
 * threshold at or above the limit is half of it (domain_dirty_limits). */
START_TEST(test_thresholds)
{
    sim_params *p = rig_registry();
    rig_param_set(p, "pagecache.dirty_bytes", "1MiB");
    rig_param_set(p, "pagecache.dirty_background_bytes", "2MiB");
    pcache *pc = make(p, 1, 64);
    pcache_write(pc, 0, 0, (uint32_t)(PAGES_PER_MIB / 2));
    ck_assert(!pcache_over_background(pc));
    pcache_write(pc, 0, 1000, 1);
    ck_assert(pcache_over_background(pc) && !pcache_over_limit(pc));
    pcache_write(pc, 0, 2000, (uint32_t)(PAGES_PER_MIB / 2));
    ck_assert(pcache_over_limit(pc));
    pcache_destroy(pc);
    sim_params_destroy(p);
}
END_TEST

/* What cannot fit is refused, naming the parameters. */
START_TEST(test_check)
{
    sim_params *p = rig_registry();
    rig_param_set(p, "pagecache.bytes", "16MiB");
    rig_param_set(p, "pagecache.resident_pct", "50");
    pcache_env env = {.vms = 1, .img_bytes = 1024 * MIB, .max_io_bytes = 512 * 1024,
                      .io_bytes = 4096, .inflight = 1};
    sim_err e = {{0}};
    ck_assert_int_lt(pcache_check(p, &env, &e), 0);
    ck_assert(strstr(e.msg, "pagecache.resident_pct = 50"));
    rig_param_set(p, "pagecache.resident_pct", "0");
    env.inflight = 2000;
    ck_assert_int_lt(pcache_check(p, &env, &e), 0);
    ck_assert(strstr(e.msg, "pagecache.bytes = 16777216"));
    sim_params_destroy(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pcache");
    TCase *tc = tcase_create("pcache");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_table_and_lru);
    tcase_add_test(tc, test_dirty_stays);
    tcase_add_test(tc, test_writeback_runs);
    tcase_add_test(tc, test_readahead_windows);
    tcase_add_test(tc, test_thresholds);
    tcase_add_test(tc, test_check);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
