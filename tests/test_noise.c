/* OS noise (host/noise.h) on the paths workload: request-response round trips get tails
 * on every path with the sources on, stay flat without them, repeat exactly for a seed
 * and move a little with another; the refill's mean per exit and wake-up is its
 * parameter, and detours come at their rate with their mean duration. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "host/noise.h"
#include "tests/paths_fixture.h"

static const char *const paths[] = {"native",      "emulated", "paravirt", "devdomain",
                                    "passthrough", "sriov",    "vmdq"};
#define NPATHS (sizeof paths / sizeof *paths)

/* Which sources a point runs with: the platform's defaults (detours, and the refill
 * after wake-ups), every source (the refill after exits too), or none (nor the ticks,
 * whose collisions with a transaction are deterministic but land on one in a few
 * hundred). */
typedef enum sources { DEFAULTS, ALL, NONE } sources;

/* Request-response, 64 B frames, one VM, the run seeded with seed. */
static void run_rr(ptfx *f, const char *path, sources src, uint64_t seed, double dur_us)
{
    ptfx_params(f, path, "rr");
    ptfx_set(f, "traffic.packet_bytes", "64");
    ptfx_set(f, "traffic.vms", "1");
    if (src != DEFAULTS) {
        const char *on = src == ALL ? "true" : "false";
        ptfx_set(f, "noise.detours", on);
        ptfx_set(f, "noise.refill", on);
        ptfx_set(f, "noise.exit_refill", on);
    }
    if (src == NONE) {
        ptfx_set(f, "noise.cost_sigma", "0");
        ptfx_set(f, "tick.guest_hz", "0");
        ptfx_set(f, "tick.host_hz", "0");
    }
    ptfx_build_seeded(f, seed);
    ptfx_run(f, 1000, dur_us);
}

typedef struct rr_result {
    double p50, p99, p999, mean, delivered;
} rr_result;

static rr_result result_of(const ptfx *f)
{
    return (rr_result){ptfx_stat(f, "latency_ns_p50"), ptfx_stat(f, "latency_ns_p99"),
                       ptfx_stat(f, "latency_ns_p999"), ptfx_stat(f, "latency_ns_mean"),
                       ptfx_stat(f, "net.delivered")};
}

/* With the platform's sources (the defaults), a few thousand transactions have p99 above
 * p50 on every path (by more than the latency histogram's resolution). */
START_TEST(test_tails_on_every_path)
{
    for (unsigned i = 0; i < NPATHS; i++) {
        ptfx f;
        run_rr(&f, paths[i], DEFAULTS, 1, 200000);
        rr_result r = result_of(&f);
        ck_assert_msg(r.delivered > 2000, "%s: %g transactions", paths[i], r.delivered);
        ck_assert_msg(r.p99 > 1.02 * r.p50, "%s: p50 %g ns, p99 %g ns", paths[i], r.p50, r.p99);
        ck_assert(r.p999 >= r.p99);
        ptfx_free(&f);
    }
}
END_TEST

/* Without them (and without the ticks, whose collisions with a transaction are
 * deterministic but land on one in a few hundred) only the model's deterministic
 * regimes remain: a round trip repeats itself, or cycles through a few (the driver
 * domain over VMDq: 19.7, 20.0 and 22.0 us, as the cores it crosses are idle or not
 * when woken), so p99 stays within 12% of p50; the module registers no counter. */
START_TEST(test_flat_without_sources)
{
    for (unsigned i = 0; i < NPATHS; i++) {
        ptfx f;
        run_rr(&f, paths[i], NONE, 1, 1000);
        rr_result r = result_of(&f);
        ck_assert(r.delivered > 10);
        ck_assert_msg(r.p99 <= 1.12 * r.p50, "%s: p50 %g ns, p99 %g ns", paths[i], r.p50, r.p99);
        double v;
        ck_assert(!sim_stats_get(f.r.s, "noise.detours", &v));
        ck_assert(!sim_stats_get(f.r.s, "noise.refill_cycles", &v));
        ptfx_free(&f);
    }
}
END_TEST

/* A seed repeats its results exactly; another seed moves them, by a little. */
START_TEST(test_seed_repeats_and_varies)
{
    const char *some[] = {"native", "paravirt", "sriov"};
    for (int i = 0; i < 3; i++) {
        ptfx f;
        rr_result r[3];
        double refill[3];
        const uint64_t seeds[3] = {1, 1, 2};
        for (int k = 0; k < 3; k++) {
            run_rr(&f, some[i], DEFAULTS, seeds[k], 100000);
            r[k] = result_of(&f);
            refill[k] = ptfx_stat(&f, "noise.refill_cycles");
            ptfx_free(&f);
        }
        ck_assert(memcmp(&r[0], &r[1], sizeof r[0]) == 0);
        ck_assert_double_eq(refill[0], refill[1]);
        ck_assert_msg(refill[2] != refill[0] && r[2].mean != r[0].mean, "%s: seed 2 = seed 1",
                      some[i]);
        ck_assert_msg(fabs(r[2].mean - r[0].mean) < 0.05 * r[0].mean, "%s: mean %g ns vs %g ns",
                      some[i], r[2].mean, r[0].mean);
    }
}
END_TEST

/* By default the refill runs once per wake-up; with noise.exit_refill also once per
 * exit (but HLT's); noise.refill_cycles on average. Detours come at noise.detour_hz on
 * each core that takes them. */
START_TEST(test_refill_and_detour_rates)
{
    ptfx f;
    run_rr(&f, "paravirt", DEFAULTS, 7, 200000);
    double wakes = ptfx_stat(&f, "halt.poll_ends") + ptfx_stat(&f, "halt.blocks");
    double per_wake = ptfx_stat(&f, "noise.refill_cycles") / wakes;
    ck_assert_msg(wakes > 3000 && fabs(per_wake - 1000) < 50, "%g wake-ups, %g cycles each",
                  wakes, per_wake);
    ptfx_free(&f);

    run_rr(&f, "emulated", ALL, 7, 200000);
    const char *why[] = {"mmio_user", "mmio_kernel", "hypercall", "extint", "eoi",
                         "ipi",       "config",      "timer",     "msr"};
    double n = ptfx_stat(&f, "halt.poll_ends") + ptfx_stat(&f, "halt.blocks");
    for (unsigned k = 0; k < sizeof why / sizeof *why; k++) {
        char name[64];
        snprintf(name, sizeof name, "hv.exits.%s", why[k]);
        n += ptfx_stat(&f, name);
    }
    double per = ptfx_stat(&f, "noise.refill_cycles") / n;
    ck_assert_msg(n > 5000 && fabs(per - 1000) < 50, "%g refills, %g cycles each", n, per);
    ptfx_free(&f);
    /* At 2 kHz over 0.2 s, 400 detours per core that takes them (the vCPU's, the host's,
     * the back end's): a whole number of cores' worth within a tenth of one, each of
     * 10 us on average (an exponential's mean within four standard errors). */
    ptfx_params(&f, "emulated", "rr");
    ptfx_set(&f, "noise.detour_hz", "2000");
    ptfx_build(&f);
    ptfx_run(&f, 1000, 200000);
    double got = ptfx_stat(&f, "noise.detours"), per_core = got / (2000 * 0.2);
    ck_assert_msg(per_core > 1.5 && fabs(per_core - round(per_core)) < 0.1,
                  "%g detours: %g cores' worth", got, per_core);
    double mean_ns = ptfx_stat(&f, "noise.detour_ps") / got / 1000;
    ck_assert_msg(fabs(mean_ns - 10000) < 4 * 10000 / sqrt(got), "%g ns per detour", mean_ns);
    ptfx_free(&f);
}
END_TEST

/* noise.cost_sigma alone: each piece of work takes its cycles times a lognormal factor
 * of mean 1. The cycles a transaction takes stay as they were on average (within 1%),
 * and so does the throughput of a core saturated by sending; the round trips spread, the
 * more the larger sigma. */
static double cost_point(ptfx *f, const char *pattern, const char *sigma)
{
    ptfx_params(f, "native", pattern);
    ptfx_set(f, "traffic.packet_bytes", "64");
    ptfx_set(f, "noise.detours", "false");
    ptfx_set(f, "noise.refill", "false");
    ptfx_set(f, "tick.guest_hz", "0");
    ptfx_set(f, "tick.host_hz", "0");
    ptfx_set(f, "noise.cost_sigma", sigma);
    ptfx_build_seeded(f, 3);
    ptfx_run(f, 1000, 50000);
    return ptfx_stat(f, "cpu.guest_cycles") / ptfx_stat(f, "net.delivered");
}

START_TEST(test_cost_varies_around_its_mean)
{
    static const char *const sigma[3] = {"0", "0.2", "0.4"};
    double cycles[3], spread[3];
    for (int k = 0; k < 3; k++) {
        ptfx f;
        cycles[k] = cost_point(&f, "rr", sigma[k]);
        rr_result r = result_of(&f);
        spread[k] = r.p99 - r.p50;
        ptfx_free(&f);
    }
    for (int k = 1; k < 3; k++)
        ck_assert_msg(fabs(cycles[k] / cycles[0] - 1) < 0.01, "sigma %s: %g cycles, %g without",
                      sigma[k], cycles[k], cycles[0]);
    ck_assert_msg(spread[1] > 4 * spread[0] + 100 && spread[2] > 1.5 * spread[1],
                  "p99 - p50: %g, %g, %g ns", spread[0], spread[1], spread[2]);

    double mpps[2];
    for (int k = 0; k < 2; k++) {
        ptfx f;
        cost_point(&f, "stream_tx", sigma[k]);
        mpps[k] = ptfx_stat(&f, "throughput_mpps");
        ptfx_free(&f);
    }
    ck_assert_msg(fabs(mpps[1] / mpps[0] - 1) < 0.01, "%g Mpps, %g without", mpps[1], mpps[0]);
}
END_TEST

/* The cost factor's levels kept in the source are the quantiles the computation gives
 * (bit for bit with the C library they were made with; within rounding with another). */
START_TEST(test_levels_table_is_the_computation)
{
    static double z[NOISE_COST_LEVELS];
    noise_levels_compute(z);
    const double *t = noise_levels();
    for (unsigned i = 0; i < NOISE_COST_LEVELS; i++)
        ck_assert_msg(fabs(z[i] - t[i]) <= 1e-13 * fmax(1.0, fabs(z[i])),
                      "level %u: %a in the table, %a computed", i, t[i], z[i]);
    for (unsigned i = 1; i < NOISE_COST_LEVELS; i++)
        ck_assert(t[i - 1] < t[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("noise");
    TCase *tc = tcase_create("noise");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_tails_on_every_path);
    tcase_add_test(tc, test_flat_without_sources);
    tcase_add_test(tc, test_seed_repeats_and_varies);
    tcase_add_test(tc, test_refill_and_detour_rates);
    tcase_add_test(tc, test_cost_varies_around_its_mean);
    tcase_add_test(tc, test_levels_table_is_the_computation);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
