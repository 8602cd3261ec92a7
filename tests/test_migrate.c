/* Pre-copy live migration (host/migrate.h) on a minimal rig: a kernel, the parameters,
 * the module. Most tests use a rig whose numbers can be followed by hand: 1 GiB of
 * 4 KiB pages, no page headers, 100 MiB/s of max bandwidth (10 MiB = 2,560 pages per
 * 100 ms window), a 300 ms downtime limit (threshold 30 MiB once a full window is
 * measured), a 10 Gb/s channel, free syncs, no device state, no latency. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/failover.h"
#include "host/migrate.h"

#define MIB (1024ull * 1024)
#define MS (1000000000ull)
#define S (1000000000000ull)

typedef struct mfx {
    sim_params *p;
    sim_stats *s;
    sim_kernel *k;
    migrate *m;
} mfx;

static const char *const hand_rig[] = {
    "migrate.mem_bytes", "1GiB", "migrate.page_header_bytes", "0",
    "migrate.max_bandwidth_mib_s", "100", "migrate.link_gbps", "10",
    "migrate.sync_us_per_gib", "0", "migrate.reprotect_ns_per_page", "0",
    "migrate.device_state_bytes", "0", "migrate.latency_us", "0", NULL,
};

/* The rig with `base` settings, then `set` (pairs, NULL-terminated; either may be NULL). */
static void mfx_init(mfx *f, const char *const *base, const char *const *set)
{
    f->p = sim_params_create();
    migrate_register_params(f->p);
    sim_err e;
    for (const char *const *l[] = {base, set}, *const **it = l; it < l + 2; it++)
        for (const char *const *kv = *it; kv && kv[0]; kv += 2)
            ck_assert_msg(sim_params_set(f->p, kv[0], kv[1], "t", &e) == 0, "%s", e.msg);
    f->s = sim_stats_create();
    f->k = sim_kernel_create(SIM_KERNEL_NATIVE, &e);
    ck_assert_ptr_nonnull(f->k);
    f->m = migrate_create(f->p, f->s, f->k, &e);
    ck_assert_msg(f->m != NULL, "%s", e.msg);
}

static void mfx_free(mfx *f)
{
    migrate_destroy(f->m);
    sim_kernel_destroy(f->k);
    sim_stats_destroy(f->s);
    sim_params_destroy(f->p);
}

static void start(mfx *f)
{
    sim_err e;
    ck_assert_msg(migrate_start(f->m, 0, &e) == 0, "%s", e.msg);
}

/* Runs to the end of the migration (or `limit`); returns its result. */
static const migrate_result *finish(mfx *f, uint64_t limit_ps)
{
    sim_kernel_run_until(f->k, limit_ps);
    return migrate_get_result(f->m);
}

/* ---------------------------------------------------------------- rounds */

/* No dirtying: round 1 sends 10 MiB per window; at 10.0 s 24 MiB are left, below the
 * 30 MiB threshold: a sync finds nothing new, 24 MiB < 30 MiB, stop-and-copy. Then two
 * pages written at 5 s: page 500 MiB (sent at 5.0 s) and page 900 MiB (sent at 9.0 s,
 * after the write, but logged): both are sent again, in the stop-and-copy. */
START_TEST(test_dirtied_pages_are_sent_again)
{
    const uint64_t npages = 1024 * MIB / 4096;
    mfx f;
    mfx_init(&f, hand_rig, NULL);
    start(&f);
    const migrate_result *r = finish(&f, 100 * S);
    ck_assert_int_eq(migrate_get_state(f.m), MIGRATE_DONE);
    ck_assert_uint_eq(r->pages_sent, npages);
    ck_assert_uint_eq(r->rounds, 1);
    ck_assert_uint_eq(r->stop_ps, 10 * S);
    ck_assert_uint_eq(r->final_bytes, 24 * MIB);
    mfx_free(&f);

    mfx_init(&f, hand_rig, NULL);
    start(&f);
    sim_kernel_run_until(f.k, 5 * S);
    migrate_dirty(f.m, 500 * MIB + 100, 8, 5 * S);
    migrate_dirty(f.m, 900 * MIB, 4096, 5 * S);
    r = finish(&f, 100 * S);
    ck_assert_uint_eq(r->pages_sent, npages + 2);
    ck_assert_uint_eq(r->final_bytes, 24 * MIB + 2 * 4096);
    ck_assert_uint_eq(migrate_round_at(f.m, 0)->dirtied_bytes, 2 * 4096);
    /* A write that spans a page boundary dirties both pages. */
    mfx_free(&f);
    mfx_init(&f, hand_rig, NULL);
    start(&f);
    sim_kernel_run_until(f.k, 5 * S);
    migrate_dirty(f.m, 100 * MIB - 4, 8, 5 * S);
    r = finish(&f, 100 * S);
    ck_assert_uint_eq(r->pages_sent, npages + 2);
    mfx_free(&f);
}
END_TEST

/* The convergence rule, by hand. The guest dirties 25 MiB/s (2.5 MiB per window) page
 * after page from address 0 over 512 MiB; pages go out from where the last send stopped.
 *   round 1  0-10.0 s: sends 0..1000 MiB; 24 MiB left (< 30): sync adds 250 MiB (0..250)
 *            -> 274 MiB, not < 30: round 2.
 *   round 2  10.0-12.5 s: sends 1000..1024, 0..226; 24 left; sync adds 62.5 (250..312.5)
 *            -> 86.5: round 3.
 *   round 3  12.5-13.1 s: sends 226..286; 26.5 left; sync adds 15 (312.5..327.5)
 *            -> 41.5: round 4.
 *   round 4  13.1-13.3 s: sends 20; 21.5 left; sync adds 5 -> 26.5 < 30: stop at 13.3 s.
 * Stop-and-copy: 26.5 MiB at 10 Gb/s = 22.2298112 ms of downtime. */
START_TEST(test_convergence_round_by_hand)
{
    mfx f;
    mfx_init(&f, hand_rig, NULL);
    migrate_set_dirtying(f.m, 25.0 * MIB, 512 * MIB, 0);
    start(&f);
    const migrate_result *r = finish(&f, 100 * S);
    ck_assert_int_eq(migrate_get_state(f.m), MIGRATE_DONE);
    ck_assert_uint_eq(r->rounds, 4);
    ck_assert_uint_eq(migrate_rounds(f.m), 4);
    static const uint64_t to_send_mib10[] = {10240, 2740, 865, 415};
    static const uint64_t end_ms[] = {10000, 12500, 13100, 13300};
    static const uint64_t dirtied_mib10[] = {2500, 625, 150, 50};
    for (size_t i = 0; i < 4; i++) {
        const migrate_round *rd = migrate_round_at(f.m, i);
        ck_assert_uint_eq(rd->to_send_bytes, to_send_mib10[i] * MIB / 10);
        ck_assert_uint_eq(rd->end_ps, end_ms[i] * MS);
        ck_assert_uint_eq(rd->dirtied_bytes, dirtied_mib10[i] * MIB / 10);
        ck_assert(fabs(rd->dirty_rate - 25.0 * MIB) < 1);
    }
    ck_assert_uint_eq(r->stop_ps, 13300 * MS);
    ck_assert_uint_eq(r->final_bytes, 265 * MIB / 10);
    ck_assert_uint_eq(r->downtime_ps, 22229811200ull);
    ck_assert_uint_eq(r->total_ps, 13300 * MS + 22229811200ull);
    ck_assert_uint_eq(r->threshold_bytes, 30 * MIB);
    /* Sent: 1000 + 250 + 60 + 20 MiB in the rounds, 26.5 in the stop. */
    ck_assert_uint_eq(r->bytes_sent, 13565 * MIB / 10);
    /* The VM stops for the downtime, then runs on the destination. */
    ck_assert(migrate_vm_running(f.m, r->stop_ps - 1));
    ck_assert(!migrate_vm_running(f.m, r->stop_ps));
    ck_assert(!migrate_vm_running(f.m, r->resume_ps - 1));
    ck_assert(migrate_vm_running(f.m, r->resume_ps));
    double v = 0;
    ck_assert(sim_stats_get(f.s, "migrate.rounds", &v) && v == 4);
    ck_assert(sim_stats_get(f.s, "migrate.downtime_ps", &v) && v == 22229811200.0);
    mfx_free(&f);
}
END_TEST

/* migrate.max_rounds stops after that many rounds whatever is left: the case above with
 * 2 stops at 12.5 s with round 3's 86.5 MiB. */
START_TEST(test_max_rounds)
{
    static const char *const two[] = {"migrate.max_rounds", "2", NULL};
    mfx f;
    mfx_init(&f, hand_rig, two);
    migrate_set_dirtying(f.m, 25.0 * MIB, 512 * MIB, 0);
    start(&f);
    const migrate_result *r = finish(&f, 100 * S);
    ck_assert_uint_eq(r->rounds, 2);
    ck_assert_uint_eq(r->stop_ps, 12500 * MS);
    ck_assert_uint_eq(r->final_bytes, 865 * MIB / 10);
    mfx_free(&f);
}
END_TEST

/* The syncs' cost: 1 ms per GiB for each walk (and to start logging), 100 ns per page
 * found dirty. Logging starts at 0 and takes 1 ms: windows start at 1 ms + k x 100 ms.
 * The case of test_dirtied_pages_are_sent_again: at 10.001 s 24 MiB are left, the sync
 * finds the 2 pages written at 5 s (1 ms + 200 ns), the VM stops at 10.0020002 s; the
 * last sync finds nothing (1 ms), then 24 MiB + 2 pages at 10 Gb/s. */
START_TEST(test_sync_cost)
{
    static const char *const cost[] = {"migrate.sync_us_per_gib", "1000",
                                       "migrate.reprotect_ns_per_page", "100", NULL};
    mfx f;
    mfx_init(&f, hand_rig, cost);
    start(&f);
    sim_kernel_run_until(f.k, 5 * S);
    migrate_dirty(f.m, 500 * MIB, 8, 5 * S);
    migrate_dirty(f.m, 900 * MIB, 8, 5 * S);
    const migrate_result *r = finish(&f, 100 * S);
    ck_assert_uint_eq(r->rounds, 1);
    ck_assert_uint_eq(migrate_round_at(f.m, 0)->start_ps, 1 * MS);
    ck_assert_uint_eq(r->stop_ps, 10002 * MS + 200000);
    ck_assert_uint_eq(r->downtime_ps, 1 * MS + (24 * MIB + 2 * 4096) * 800);
    ck_assert_uint_eq(r->syncs, 3);
    ck_assert_uint_eq(r->sync_ps, 3 * MS + 200000);
    mfx_free(&f);
}
END_TEST

/* ---------------------------------------------------------------- downtime */

/* A migration at the defaults (4 GiB, 128 MiB/s, 300 ms, 10 Gb/s) with the guest
 * dirtying `rate` MB/s over `set`, and `more` settings (pairs, may be NULL). */
static void run_defaults(mfx *f, const char *rate, const char *set, const char *const *more)
{
    const char *const base[] = {"migrate.dirty_rate_mb_s", rate, "migrate.dirty_set_bytes", set,
                                NULL};
    mfx_init(f, base, more);
    start(f);
    finish(f, 1000 * S);
    ck_assert_int_eq(migrate_get_state(f->m), MIGRATE_DONE);
}

static uint64_t downtime_ms10(const char *rate, const char *const *more)
{
    mfx f;
    run_defaults(&f, rate, "0", more);
    uint64_t d = migrate_get_result(f.m)->downtime_ps / (MS / 10);
    mfx_free(&f);
    return d;
}

/* With a cap on the rounds (Xen's way; migrate.max_rounds = 2) what is left when the cap
 * comes is what round 2 dirtied while it sent what round 1 dirtied: it grows with the
 * dirty rate (about as its square), and shrinks with the pre-copy's bandwidth (shorter
 * rounds) and with the channel's (the stop-and-copy's rate). */
START_TEST(test_downtime_grows_with_dirty_rate_and_shrinks_with_bandwidth)
{
    static const char *const cap[] = {"migrate.max_rounds", "2", NULL};
    uint64_t d20 = downtime_ms10("20", cap), d50 = downtime_ms10("50", cap);
    uint64_t d100 = downtime_ms10("100", cap);
    ck_assert_msg(d20 < d50 && d50 < d100 && 10 * d20 < d100,
                  "downtime (0.1 ms) at 20, 50, 100 MB/s: %llu %llu %llu",
                  (unsigned long long)d20, (unsigned long long)d50, (unsigned long long)d100);
    static const char *const cap_bw[] = {"migrate.max_rounds", "2",
                                         "migrate.max_bandwidth_mib_s", "256", NULL};
    ck_assert_uint_lt(downtime_ms10("50", cap_bw), d50);
    static const char *const cap_link[] = {"migrate.max_rounds", "2", "migrate.link_gbps", "40",
                                           NULL};
    ck_assert_uint_lt(3 * downtime_ms10("50", cap_link), d50);
}
END_TEST

/* Without a cap (QEMU) the pre-copy goes on until less than the threshold is left, so a
 * higher dirty rate costs rounds and time, while the downtime stays under what the rule
 * allows: the threshold (measured bandwidth x downtime limit), plus what the last round
 * dirtied, plus the device state, at the channel's rate. */
START_TEST(test_convergence_rule_bounds_downtime)
{
    static const char *const rates[] = {"0", "20", "50", "100"};
    uint64_t prev_rounds = 0, prev_total = 0;
    for (size_t i = 0; i < 4; i++) {
        mfx f;
        run_defaults(&f, rates[i], "512MiB", NULL);
        const migrate_result *r = migrate_get_result(f.m);
        ck_assert_msg(r->rounds >= prev_rounds && r->total_ps > prev_total,
                      "at %s MB/s: %llu rounds, %llu ps", rates[i],
                      (unsigned long long)r->rounds, (unsigned long long)r->total_ps);
        if (i > 0)
            ck_assert_uint_gt(r->rounds, 1);
        const migrate_round *last = migrate_round_at(f.m, r->rounds - 1);
        uint64_t allowed = (r->threshold_bytes + last->dirtied_bytes) / 4096 * 4104 + MIB;
        ck_assert_uint_le(r->final_bytes, allowed);
        /* 1.25 GB/s, plus the last sync and the latency (well under 1 ms). */
        ck_assert_uint_le(r->downtime_ps, allowed * 800 + MS);
        prev_rounds = r->rounds, prev_total = r->total_ps;
        mfx_free(&f);
    }
}
END_TEST

/* ---------------------------------------------------------------- DMA sources */

START_TEST(test_untracked_vf_refuses)
{
    mfx f;
    mfx_init(&f, hand_rig, NULL);
    unsigned vhost = migrate_add_source(f.m, MIGRATE_SRC_VHOST, "virtio-net0");
    unsigned vf = migrate_add_source(f.m, MIGRATE_SRC_VF, "vf0");
    (void)vhost;
    sim_err e;
    ck_assert_int_eq(migrate_check(f.m, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "'vf0'"));
    ck_assert_int_eq(migrate_start(f.m, 0, &e), -1);
    ck_assert_int_eq(migrate_get_state(f.m), MIGRATE_IDLE);
    /* Unplugged first (failover): it may start. */
    migrate_detach(f.m, vf, 0);
    ck_assert_int_eq(migrate_check(f.m, &e), 0);
    start(&f);
    mfx_free(&f);
    /* Tracked by the IOMMU: it may start too. */
    static const char *const iommu[] = {"migrate.iommu_dirty", "true", NULL};
    mfx_init(&f, hand_rig, iommu);
    migrate_add_source(f.m, MIGRATE_SRC_VF, "vf0");
    ck_assert_int_eq(migrate_check(f.m, &e), 0);
    mfx_free(&f);
}
END_TEST

/* vhost's writes are logged at the page; a tracked VF's at the IOMMU page (2 MiB here:
 * 512 pages for 64 bytes); an unplugged VF's are not there to log. */
START_TEST(test_dma_tracking_granularity)
{
    const uint64_t npages = 1024 * MIB / 4096;
    static const char *const iommu[] = {"migrate.iommu_dirty", "true",
                                        "migrate.iommu_page_bytes", "2MiB", NULL};
    mfx f;
    mfx_init(&f, hand_rig, iommu);
    unsigned vhost = migrate_add_source(f.m, MIGRATE_SRC_VHOST, "virtio-net0");
    unsigned vf = migrate_add_source(f.m, MIGRATE_SRC_VF, "vf0");
    start(&f);
    sim_kernel_run_until(f.k, 5 * S);
    migrate_dma(f.m, vhost, 100 * MIB, 64, 5 * S);
    migrate_dma(f.m, vf, 200 * MIB + 4096, 64, 5 * S);
    const migrate_result *r = finish(&f, 100 * S);
    ck_assert_uint_eq(r->pages_sent, npages + 1 + 512);
    ck_assert_uint_eq(r->dma_untracked_bytes, 0);
    mfx_free(&f);

    mfx_init(&f, hand_rig, NULL);
    vf = migrate_add_source(f.m, MIGRATE_SRC_VF, "vf0");
    migrate_detach(f.m, vf, 0);
    start(&f);
    sim_kernel_run_until(f.k, 5 * S);
    migrate_dma(f.m, vf, 200 * MIB, 64, 5 * S);
    r = finish(&f, 100 * S);
    ck_assert_uint_eq(r->pages_sent, npages);
    ck_assert_uint_eq(r->bad_writes, 1);
    mfx_free(&f);
}
END_TEST

/* untracked_vf = lose: the VF's writes are counted, not logged. The one at 100 MiB comes
 * after the page was sent (1.0 s): the destination keeps a stale page. The one at
 * 900 MiB comes before its page is sent (9.0 s): nothing is lost. */
START_TEST(test_untracked_vf_loses_writes_counted)
{
    const uint64_t npages = 1024 * MIB / 4096;
    static const char *const lose[] = {"migrate.untracked_vf", "lose", NULL};
    mfx f;
    mfx_init(&f, hand_rig, lose);
    unsigned vf = migrate_add_source(f.m, MIGRATE_SRC_VF, "vf0");
    start(&f);
    sim_kernel_run_until(f.k, 5 * S);
    migrate_dma(f.m, vf, 100 * MIB, 64, 5 * S);
    migrate_dma(f.m, vf, 900 * MIB, 1500, 5 * S);
    const migrate_result *r = finish(&f, 100 * S);
    ck_assert_int_eq(migrate_get_state(f.m), MIGRATE_DONE);
    ck_assert_uint_eq(r->pages_sent, npages);
    ck_assert_uint_eq(r->dma_untracked_bytes, 64 + 1500);
    ck_assert_uint_eq(r->lost_pages, 1);
    double v = 0;
    ck_assert(sim_stats_get(f.s, "migrate.lost_pages", &v) && v == 1);
    mfx_free(&f);
}
END_TEST

/* untracked_vf = all_dirty: every sync finds all memory dirty, so the pre-copy never
 * gets below the threshold; with max_rounds it stops and sends everything again. */
START_TEST(test_untracked_vf_all_dirty)
{
    static const char *const all[] = {"migrate.untracked_vf", "all_dirty", "migrate.max_rounds",
                                      "3", NULL};
    mfx f;
    mfx_init(&f, hand_rig, all);
    migrate_add_source(f.m, MIGRATE_SRC_VF, "vf0");
    start(&f);
    const migrate_result *r = finish(&f, 1000 * S);
    ck_assert_int_eq(migrate_get_state(f.m), MIGRATE_DONE);
    ck_assert_uint_eq(r->rounds, 3);
    ck_assert_uint_eq(r->final_bytes, 1024 * MIB);
    mfx_free(&f);
}
END_TEST

/* ---------------------------------------------------------------- auto-converge */

/* The guest dirties 200 MiB/s over 512 MiB, twice the 100 MiB/s of the channel: without
 * auto-converge every round has the whole working set to send again and the migration
 * is still running after 300 s. With it the vCPUs are throttled step by step until the
 * dirtying falls below what the channel takes, and it completes. */
START_TEST(test_auto_converge_makes_it_converge)
{
    static const char *const on[] = {"migrate.auto_converge", "true", NULL};
    mfx f;
    mfx_init(&f, hand_rig, NULL);
    migrate_set_dirtying(f.m, 200.0 * MIB, 512 * MIB, 0);
    start(&f);
    const migrate_result *r = finish(&f, 300 * S);
    ck_assert_int_eq(migrate_get_state(f.m), MIGRATE_ACTIVE);
    ck_assert_uint_ge(r->rounds, 10);
    ck_assert_uint_eq(r->throttle_steps, 0);
    ck_assert(migrate_cpu_share(f.m, 300 * S) == 1.0);
    mfx_free(&f);

    mfx_init(&f, hand_rig, on);
    migrate_set_dirtying(f.m, 200.0 * MIB, 512 * MIB, 0);
    start(&f);
    r = finish(&f, 300 * S);
    ck_assert_int_eq(migrate_get_state(f.m), MIGRATE_DONE);
    ck_assert_uint_ge(r->throttle_steps, 1);
    /* Converging needs the guest below the channel's 100 MiB/s: 50 % or more. */
    ck_assert_uint_ge(r->throttle_pct, 50);
    ck_assert_uint_le(r->throttle_pct, 99);
    ck_assert_uint_lt(r->final_bytes, 30 * MIB);
    ck_assert(migrate_cpu_share(f.m, r->resume_ps) == 1.0);
    mfx_free(&f);
}
END_TEST

/* ---------------------------------------------------------------- configuration */

START_TEST(test_bad_settings_refused)
{
    sim_params *p = sim_params_create();
    migrate_register_params(p);
    sim_err e;
    ck_assert(sim_params_set(p, "migrate.mem_bytes", "1GiB", "t", &e) == 0);
    ck_assert(sim_params_set(p, "migrate.dirty_set_bytes", "2GiB", "t", &e) == 0);
    ck_assert_int_eq(migrate_params_check(p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "migrate.dirty_set_bytes"));
    ck_assert(sim_params_set(p, "migrate.dirty_set_bytes", "0", "t", &e) == 0);
    ck_assert(sim_params_set(p, "migrate.page_bytes", "6000", "t", &e) == 0);
    ck_assert_int_eq(migrate_params_check(p, &e), -1);
    ck_assert(sim_params_set(p, "migrate.page_bytes", "8192", "t", &e) == 0);
    ck_assert_int_eq(migrate_params_check(p, &e), 0);
    sim_params_destroy(p);
}
END_TEST

/* The failover pair's hot-plug times (host/failover.h): ACPI removes at once, native
 * pciehp waits its 5 s window and 1 s after power-off; QEMU's wait-unplug sees the
 * unplug at its first 250 ms look after it; a hot-plug is enumeration then probe. */
START_TEST(test_failover_hotplug_times)
{
    sim_params *p = sim_params_create();
    failover_register_params(p);
    sim_err e;
    failover_cfg c = failover_cfg_load(p);
    uint64_t t0 = 7 * MS;
    failover_unplug u = failover_unplug_at(&c, t0);
    ck_assert_uint_eq(u.remove_ps, t0);
    ck_assert_uint_eq(u.gone_ps, t0 + 50 * MS);
    ck_assert_uint_eq(u.seen_ps, t0 + 250 * MS);
    failover_plug g = failover_plug_at(&c, t0);
    ck_assert_uint_eq(g.enumerated_ps, t0 + 620 * MS);
    ck_assert_uint_eq(g.up_ps, t0 + 1150 * MS);
    ck_assert(sim_params_set(p, "failover.hotplug", "native", "t", &e) == 0);
    c = failover_cfg_load(p);
    u = failover_unplug_at(&c, t0);
    ck_assert_uint_eq(u.remove_ps, t0 + 5000 * MS);
    ck_assert_uint_eq(u.gone_ps, t0 + 6050 * MS);
    ck_assert_uint_eq(u.seen_ps, t0 + 6250 * MS); /* the 25th look after the request */
    /* A removal that ends on a look is seen at that look. */
    ck_assert(sim_params_set(p, "failover.remove_ms", "200", "t", &e) == 0);
    c = failover_cfg_load(p);
    u = failover_unplug_at(&c, t0);
    ck_assert_uint_eq(u.seen_ps, t0 + 6250 * MS);
    sim_params_destroy(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("migrate");
    TCase *tc = tcase_create("migrate");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_dirtied_pages_are_sent_again);
    tcase_add_test(tc, test_convergence_round_by_hand);
    tcase_add_test(tc, test_max_rounds);
    tcase_add_test(tc, test_sync_cost);
    tcase_add_test(tc, test_downtime_grows_with_dirty_rate_and_shrinks_with_bandwidth);
    tcase_add_test(tc, test_convergence_rule_bounds_downtime);
    tcase_add_test(tc, test_untracked_vf_refuses);
    tcase_add_test(tc, test_dma_tracking_granularity);
    tcase_add_test(tc, test_untracked_vf_loses_writes_counted);
    tcase_add_test(tc, test_untracked_vf_all_dirty);
    tcase_add_test(tc, test_auto_converge_makes_it_converge);
    tcase_add_test(tc, test_bad_settings_refused);
    tcase_add_test(tc, test_failover_hotplug_times);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
