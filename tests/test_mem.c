/* Host memory timing: LLC hits and misses, DDIO write allocation limited to its ways,
 * DRAM channel reservations. */
#include <check.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
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

/* The LLC against a reference: a plain set-associative LRU cache with the same set hash
 * (mem.c's set_of) and the same rules (reads do not allocate, device writes allocate in
 * the DDIO ways dirty, a touch in any way), that searches a set's ways for a line and
 * for the least recently used. A tiny cache under random traffic over a few times its
 * size evicts all the time, and its sets fill, evict and are flushed over and over, so
 * the model's shortcuts (its index of resident lines, its order of a set's ways) work
 * at every step: every hit, miss, allocation, write-back and DRAM byte must agree.
 * Accesses span a few lines from any byte, line by line in the reference, and a rare
 * touch is larger than the model keeps (only the last four cache sizes of it, in the
 * reference too). */
enum { REF_MAX_SETS = 16, REF_MAX_WAYS = 64 };
typedef struct ref_llc {
    unsigned sets, ways, ddio;
    uint64_t tag[REF_MAX_SETS][REF_MAX_WAYS], use[REF_MAX_SETS][REF_MAX_WAYS], tick;
    bool dirty[REF_MAX_SETS][REF_MAX_WAYS];
    uint64_t read_hits, read_misses, write_hits, write_allocs, writebacks, dram_bytes;
} ref_llc;

static void ref_flush(ref_llc *r)
{
    memset(r->tag, 0xff, sizeof r->tag);
    memset(r->use, 0, sizeof r->use);
    memset(r->dirty, 0, sizeof r->dirty);
}

static unsigned ref_set(const ref_llc *r, uint64_t line)
{
    uint64_t h = line * 0x9e3779b97f4a7c15ull;
    return (unsigned)(((unsigned __int128)h * r->sets) >> 64);
}

static int ref_find(ref_llc *r, uint64_t line)
{
    unsigned s = ref_set(r, line);
    for (unsigned w = 0; w < r->ways; w++)
        if (r->tag[s][w] == line) {
            r->use[s][w] = ++r->tick;
            return (int)w;
        }
    return -1;
}

static void ref_insert(ref_llc *r, uint64_t line, unsigned limit, bool dirty)
{
    unsigned s = ref_set(r, line), v = 0;
    for (unsigned w = 1; w < limit; w++)
        if (r->use[s][w] < r->use[s][v])
            v = w;
    if (r->dirty[s][v]) {
        r->writebacks++;
        r->dram_bytes += 64;
    }
    r->tag[s][v] = line;
    r->use[s][v] = ++r->tick;
    r->dirty[s][v] = dirty;
}

/* One access of lines [first, last] in the reference; op 0 read, 1 write, 2 touch.
 * Returns whether every line hit (a read's time tells). */
static bool ref_access(ref_llc *r, int op, uint64_t first, uint64_t last)
{
    bool all_hit = true;
    for (uint64_t line = first; line <= last; line++) {
        int w = ref_find(r, line);
        all_hit = all_hit && w >= 0;
        if (op == 0) {
            if (w >= 0) {
                r->read_hits++;
            } else {
                r->read_misses++;
                r->dram_bytes += 64;
            }
        } else if (op == 1) {
            if (w >= 0) {
                r->write_hits++;
                r->dirty[ref_set(r, line)][w] = true;
            } else if (r->ddio) {
                r->write_allocs++;
                ref_insert(r, line, r->ddio, true);
            } else {
                r->dram_bytes += 64;
            }
        } else if (w < 0) {
            ref_insert(r, line, r->ways, false);
        }
    }
    return all_hit;
}

static void churn_against_reference(unsigned sets, unsigned ways, unsigned ddio, uint64_t seed)
{
    ck_assert_uint_le(sets, REF_MAX_SETS);
    sim_params *p = params();
    char v[32];
    snprintf(v, sizeof v, "%u", sets * ways * 64);
    ck_assert_int_eq(sim_params_set(p, "mem.llc_bytes", v, "t", NULL), 0);
    snprintf(v, sizeof v, "%u", ways);
    ck_assert_int_eq(sim_params_set(p, "mem.llc_ways", v, "t", NULL), 0);
    snprintf(v, sizeof v, "%u", ddio);
    ck_assert_int_eq(sim_params_set(p, "mem.ddio_ways", v, "t", NULL), 0);
    sim_stats *s;
    mem *m = make(p, &s);
    static ref_llc r;
    memset(&r, 0, sizeof r);
    r.sets = sets;
    r.ways = ways;
    r.ddio = ddio;
    ref_flush(&r);
    uint64_t cache_bytes = (uint64_t)sets * ways * 64, x = seed, now = 0;
    for (int i = 0; i < 40000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t addr = (x >> 24) % (4 * cache_bytes), bytes = 1 + (x >> 8) % 64;
        unsigned op = (unsigned)((x >> 4) % 3), shape = (unsigned)(x % 16);
        if (shape < 6)
            bytes += 64 * (shape % 3 + 1); /* up to four lines */
        if (shape == 15 && (x >> 60) == 0) {
            mem_flush(m);
            ref_flush(&r);
            continue;
        }
        if (op == 2 && shape == 14 && ((x >> 58) & 15) == 0) {
            bytes = 5 * cache_bytes + (x >> 40) % 200; /* over what a touch keeps */
        }
        now += 1000000;
        uint64_t first = addr / 64, last = (addr + bytes - 1) / 64;
        if (op == 2 && bytes > 4 * cache_bytes)
            first = (addr + bytes - 4 * cache_bytes) / 64;
        bool all_hit = ref_access(&r, (int)op, first, last);
        if (op == 0) {
            uint64_t t = mem_read(m, now, addr, bytes);
            ck_assert_msg((t == now + 80000) == all_hit, "access %d: read of %llu bytes at %llu", i,
                          (unsigned long long)bytes, (unsigned long long)addr);
        } else if (op == 1) {
            mem_write(m, now, addr, bytes);
        } else {
            mem_touch(m, addr, bytes);
        }
    }
    ck_assert_double_eq(stat(s, "mem.llc_read_hits"), (double)r.read_hits);
    ck_assert_double_eq(stat(s, "mem.llc_read_misses"), (double)r.read_misses);
    ck_assert_double_eq(stat(s, "mem.llc_write_hits"), (double)r.write_hits);
    ck_assert_double_eq(stat(s, "mem.llc_write_allocs"), (double)r.write_allocs);
    ck_assert_double_eq(stat(s, "mem.llc_writebacks"), (double)r.writebacks);
    ck_assert_double_eq(stat(s, "mem.dram_bytes"), (double)r.dram_bytes);
    ck_assert_uint_gt(r.read_hits, 1000); /* it did churn */
    if (ddio)
        ck_assert_uint_gt(r.writebacks, 1000);
    mem_destroy(m);
    sim_stats_destroy(s);
    sim_params_destroy(p);
}

START_TEST(test_llc_matches_reference_under_churn)
{
    churn_against_reference(8, 4, 2, 12345);
}
END_TEST

/* Geometries that take the other paths: device writes that may take every way, none,
 * one way, and a set with the most ways. */
START_TEST(test_llc_matches_reference_other_geometries)
{
    churn_against_reference(8, 4, 4, 1);
    churn_against_reference(8, 4, 0, 2);
    churn_against_reference(16, 1, 1, 3);
    churn_against_reference(3, 20, 2, 4);
    churn_against_reference(2, 64, 3, 5);
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
    tcase_add_test(tc, test_llc_matches_reference_under_churn);
    tcase_add_test(tc, test_llc_matches_reference_other_geometries);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
