/* Interrupt moderation by the vectors' EITR registers: a written vector throttles (at
 * once after a quiet spell, at most once per interval under load); the drivers' adaptive
 * ITR (nicdrv.itr = adaptive, ixgbe_set_itr / ixgbevf_set_itr) moves the interval to the
 * minimum on a lightly loaded request-response queue and up on a bulk stream, while a
 * static driver never writes EITR; on the paths workload the request-response latency
 * falls with the adaptive drivers. The completion queues' moderation (NIC_REG_CQMOD)
 * fires at the count at once, after the period from the first completion or from the
 * last interrupt; net_dim (nicdrv.itr = dim) steps its profiles as mlx5e's does. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/nicdim.h"
#include "tests/nic_fixture.h"
#include "tests/paths_fixture.h"

#define VF_MAC(i) (0x020000000100ull + (i))
#define PF_MAC 0x001b21000001ull
#define PEER_MAC 0x001b21ffff01ull

/* The interval (us) the vector of queue pair q of fn holds in its EITR. */
static unsigned eitr_us(nicfx *f, unsigned fn, unsigned q)
{
    uint64_t addr = nic_reg_addr(f->n, fn, NIC_REG_EITR(nic_queue_vector(f->n, fn, q)));
    uint64_t v = nic_mmio_read(f->n, sim_now_ps(f->r.k), addr, 4);
    return (unsigned)((v & NIC_EITR_INTERVAL_MASK) >> 2);
}

/* q[0] on the PF (ixgbe's role), q[1] on VF 0 (ixgbevf's). */
static void pf_and_vf(nicfx *f)
{
    ck_assert_int_eq(pfdrv_enable_vfs(f->pf, 1), 0);
    nicfx_queue(f, NIC_PF, 0);
    nicfx_queue(f, NIC_FN_OF_VF(0), 0);
    nicfx_run_us(f, 20); /* the NIC has fetched the receive descriptors */
}

/* `rounds` request-response exchanges on both queues, one every 40 us: a 64-byte
 * request out, its 64-byte answer in 3 us later. */
static void light_rr(nicfx *f, unsigned rounds)
{
    for (unsigned i = 0; i < rounds; i++) {
        uint64_t t = sim_now_ps(f->r.k);
        nic_pkt out = fx_pkt(PEER_MAC, PF_MAC, 0, 64, 0);
        nic_drvq_xmit(f->q[0], &out, t);
        out.src_mac = VF_MAC(0);
        nic_drvq_xmit(f->q[1], &out, t);
        nic_pkt in = fx_pkt(PF_MAC, PEER_MAC, 0, 64, 0);
        nic_wire_rx(f->n, &in, t + 3000000);
        in.dst_mac = VF_MAC(0);
        nic_wire_rx(f->n, &in, t + 3000000);
        nicfx_run_us(f, 40);
    }
}

START_TEST(test_written_eitr_throttles)
{
    nicfx f;
    nicfx_params(&f);
    rig_set(&f.r, "nicdrv.itr", "static"); /* the test writes EITR itself */
    nicfx_build(&f);
    nicfx_queue(&f, NIC_PF, 0);
    nicfx_run_us(&f, 20);
    ck_assert_uint_eq(eitr_us(&f, NIC_PF, 0), 0); /* unwritten */
    unsigned vec = nic_queue_vector(f.n, NIC_PF, 0);
    nic_mmio_write(f.n, sim_now_ps(f.r.k), nic_reg_addr(f.n, NIC_PF, NIC_REG_EITR(vec)), 4,
                   (20u << 2) | NIC_EITR_CNT_WDIS);
    ck_assert_uint_eq(eitr_us(&f, NIC_PF, 0), 20);

    /* A lone frame after a quiet spell interrupts at once: no 20 us wait, nor the
     * default nic.itr_us (10) after the completion. */
    uint64_t t0 = sim_now_ps(f.r.k);
    nic_pkt in = fx_pkt(PF_MAC, PEER_MAC, 0, 64, 0);
    nic_wire_rx(f.n, &in, t0 + 1000000);
    nicfx_run_us(&f, 50);
    ck_assert_uint_eq(f.nmsi, 1);
    ck_assert_uint_lt(f.msi[0].t_ps - t0, 1000000 + 5000000);

    /* A frame every 2 us for 200 us: interrupts at least 20 us apart, and about one per
     * interval (the driver re-enables the vector well within one). */
    unsigned first = f.nmsi;
    uint64_t t1 = sim_now_ps(f.r.k);
    for (unsigned i = 0; i < 100; i++)
        nic_wire_rx(f.n, &in, t1 + 2000000ull * (i + 1));
    nicfx_run_us(&f, 250);
    ck_assert_uint_eq(f.ctr[0].rx_pkts, 101);
    unsigned n = f.nmsi - first;
    ck_assert_uint_ge(n, 8);
    ck_assert_uint_le(n, 11); /* 200 us / 20 us, and the last */
    for (unsigned m = first + 1; m < f.nmsi; m++)
        ck_assert_uint_ge(f.msi[m].t_ps - f.msi[m - 1].t_ps, 20000000);
    nicfx_destroy(&f);
}
END_TEST

START_TEST(test_adaptive_interval_follows_the_load)
{
    nicfx f;
    nicfx_params(&f);
    nicfx_build(&f);
    pf_and_vf(&f);
    /* Both drivers start at IXGBE_20K_ITR, 50 us (their configure_msix). */
    ck_assert_uint_eq(eitr_us(&f, NIC_PF, 0), 50);
    ck_assert_uint_eq(eitr_us(&f, NIC_FN_OF_VF(0), 0), 50);
    ck_assert_uint_eq(f.ctr[0].eitr_writes, 1);
    ck_assert_uint_eq(f.ctr[1].eitr_writes, 1);

    /* Light request-response: ixgbe goes to latency mode with 64-byte frames, its
     * minimum (IXGBE_ITR_ADAPTIVE_MIN_USECS, 10 us); ixgbevf's bytes per us put both
     * rings in the lowest latency range and smoothing brings it to IXGBE_100K_ITR (10). */
    light_rr(&f, 60);
    ck_assert_uint_eq(f.ctr[0].rx_pkts, 60);
    ck_assert_uint_eq(f.ctr[1].rx_pkts, 60);
    ck_assert_uint_eq(eitr_us(&f, NIC_PF, 0), 10);
    ck_assert_uint_eq(eitr_us(&f, NIC_FN_OF_VF(0), 0), 10);
    /* Every change was written, and only changes: far fewer writes than polls. */
    ck_assert_uint_gt(f.ctr[1].eitr_writes, 10);
    ck_assert_uint_lt(f.ctr[0].eitr_writes, f.ctr[0].polls / 4);

    /* A bulk stream of MTU frames from both: the intervals rise, and the vectors fire
     * far less often than once per frame. */
    uint64_t irqs0 = f.ctr[0].irqs, irqs1 = f.ctr[1].irqs;
    uint64_t sent0 = f.ctr[0].tx_cleaned, sent1 = f.ctr[1].tx_cleaned;
    nic_pkt pf_out = fx_pkt(PEER_MAC, PF_MAC, 0, 1518, 0);
    nic_pkt vf_out = fx_pkt(PEER_MAC, VF_MAC(0), 0, 1518, 0);
    nic_drvq_set_saturate(f.q[0], &pf_out, sim_now_ps(f.r.k));
    nic_drvq_set_saturate(f.q[1], &vf_out, sim_now_ps(f.r.k));
    nicfx_run_us(&f, 1000);
    unsigned pf_us = eitr_us(&f, NIC_PF, 0), vf_us = eitr_us(&f, NIC_FN_OF_VF(0), 0);
    ck_assert_msg(pf_us > 10, "ixgbe: %u us", pf_us);
    ck_assert_msg(vf_us > 50, "ixgbevf: %u us", vf_us); /* toward bulk, 12K/s (84 us) */
    ck_assert_uint_le(pf_us, 126);                      /* IXGBE_ITR_ADAPTIVE_MAX_USECS */
    ck_assert_uint_le(vf_us, 84);
    ck_assert_uint_lt(16 * (f.ctr[0].irqs - irqs0), f.ctr[0].tx_cleaned - sent0);
    ck_assert_uint_lt(16 * (f.ctr[1].irqs - irqs1), f.ctr[1].tx_cleaned - sent1);
    nicfx_destroy(&f);
}
END_TEST

START_TEST(test_static_never_writes_eitr)
{
    nicfx f;
    nicfx_params(&f);
    rig_set(&f.r, "nicdrv.itr", "static");
    rig_set(&f.r, "vfdrv.itr", "static");
    nicfx_build(&f);
    pf_and_vf(&f);
    light_rr(&f, 20);
    ck_assert_uint_eq(f.ctr[0].rx_pkts, 20);
    ck_assert_uint_eq(f.ctr[1].rx_pkts, 20);
    ck_assert_uint_eq(f.ctr[0].eitr_writes, 0);
    ck_assert_uint_eq(f.ctr[1].eitr_writes, 0);
    ck_assert_uint_eq(eitr_us(&f, NIC_PF, 0), 0);
    ck_assert_uint_eq(eitr_us(&f, NIC_FN_OF_VF(0), 0), 0);
    nicfx_destroy(&f);
}
END_TEST

/* The paths workload's request-response latency (p50, ns) on `path` with both drivers'
 * moderation `itr`. */
static double rr_latency_ns(const char *path, const char *itr)
{
    ptfx f;
    ptfx_params(&f, path, "rr");
    ptfx_set(&f, "traffic.packet_bytes", "64");
    ptfx_set(&f, "nicdrv.itr", itr);
    ptfx_set(&f, "vfdrv.itr", itr);
    ptfx_build(&f);
    ptfx_run(&f, 500, 1000);
    double ns = ptfx_stat(&f, "latency_ns_p50");
    ptfx_free(&f);
    return ns;
}

START_TEST(test_rr_latency_falls_with_adaptive_itr)
{
    /* The fixed moderation holds every answer nic.itr_us after it completes; the
     * adaptive drivers' 10 us throttle lets a lone answer interrupt at once. */
    const char *paths[] = {"native", "sriov"};
    for (int i = 0; i < 2; i++) {
        double adaptive = rr_latency_ns(paths[i], "adaptive");
        double fixed = rr_latency_ns(paths[i], "static");
        ck_assert_msg(adaptive < 0.9 * fixed, "%s: %g ns adaptive, %g ns static", paths[i],
                      adaptive, fixed);
    }
}
END_TEST

/* The receive queue of the PF's queue pair 0 moderated by `value` (NIC_CQMOD_VALUE), the
 * driver's own moderation off; frames arrive at the given offsets (us) from now, and
 * the interrupts' times (us from now) land in at_us. Returns how many. */
static unsigned cqmod_irqs(uint32_t value, const unsigned *arrive_us, unsigned n,
                           double *at_us)
{
    nicfx f;
    nicfx_params(&f);
    rig_set(&f.r, "nicdrv.itr", "static");
    nicfx_build(&f);
    nicfx_queue(&f, NIC_PF, 0);
    nicfx_run_us(&f, 20);
    unsigned vec = nic_queue_vector(f.n, NIC_PF, 0);
    uint64_t t0 = sim_now_ps(f.r.k);
    nic_mmio_write(f.n, t0, nic_reg_addr(f.n, NIC_PF, NIC_REG_CQMOD(vec, 0)), 4, value);
    nic_pkt in = fx_pkt(PF_MAC, PEER_MAC, 0, 64, 0);
    for (unsigned i = 0; i < n; i++)
        nic_wire_rx(f.n, &in, t0 + 1000000ull * arrive_us[i]);
    nicfx_run_us(&f, 400);
    unsigned k = f.nmsi;
    for (unsigned i = 0; i < k; i++)
        at_us[i] = (double)(f.msi[i].t_ps - t0) / 1e6;
    nicfx_destroy(&f);
    return k;
}

START_TEST(test_cq_moderation)
{
    double at[64];
    /* From the first completion: frames at 10, 12, 14 us, a 20 us period, no count: one
     * interrupt about 20 us after the first frame landed. */
    const unsigned three[] = {10, 12, 14};
    unsigned k = cqmod_irqs(NIC_CQMOD_VALUE(20, 0, true), three, 3, at);
    ck_assert_uint_eq(k, 1);
    ck_assert_msg(at[0] > 30 && at[0] < 33, "from the first completion: %g us", at[0]);
    /* A count of 2 fires at the second frame. */
    k = cqmod_irqs(NIC_CQMOD_VALUE(20, 2, true), three, 3, at);
    ck_assert_uint_ge(k, 1);
    ck_assert_msg(at[0] > 12 && at[0] < 14, "at the count: %g us", at[0]);
    /* From the last interrupt (a queue without one counts from its creation): a frame
     * after a quiet spell fires at once, the next ones no sooner than the period after
     * it. */
    const unsigned spaced[] = {60, 150, 155, 160};
    k = cqmod_irqs(NIC_CQMOD_VALUE(50, 0, false), spaced, 4, at);
    ck_assert_uint_eq(k, 3);
    ck_assert_msg(at[0] > 60 && at[0] < 62, "a quiet queue at once: %g us", at[0]);
    ck_assert_msg(at[1] > 150 && at[1] < 152, "the period had run: %g us", at[1]);
    ck_assert_msg(at[2] >= at[1] + 50, "then a period after the last: %g us", at[2]);
}
END_TEST

/* Feeds d a poll every `gap_us` with `pkts_per_poll` packets of `bytes`, one event each,
 * for `polls` polls from *t_ps; returns the profile changes. */
static unsigned dim_feed(nic_dim *d, uint64_t *t_ps, uint64_t *ev, uint64_t *pk, uint64_t *by,
                         unsigned polls, unsigned gap_us, unsigned pkts_per_poll, unsigned bytes)
{
    unsigned changes = 0;
    for (unsigned i = 0; i < polls; i++) {
        *t_ps += gap_us * 1000000ull;
        *ev += 1;
        *pk += pkts_per_poll;
        *by += (uint64_t)pkts_per_poll * bytes;
        changes += nic_dim_sample(d, *t_ps, *ev, *pk, *by);
    }
    return changes;
}

START_TEST(test_net_dim_steps)
{
    nic_dim d;
    nic_dim_init(&d, false, true);
    /* NET_DIM_DEF_PROFILE_CQE: receive, from the first completion, 8 us / 128. */
    ck_assert_uint_eq(nic_dim_usec(&d), 8);
    ck_assert_uint_eq(nic_dim_pkts(&d), 128);
    uint64_t t = 0, ev = 0, pk = 0, by = 0;
    /* Fewer than 64 events decide nothing. */
    ck_assert_uint_eq(dim_feed(&d, &t, &ev, &pk, &by, 60, 10, 4, 1500), 0);
    /* A first measurement with traffic is better than none: one step right (16 us/64). */
    ck_assert_uint_eq(dim_feed(&d, &t, &ev, &pk, &by, 20, 10, 4, 1500), 1);
    ck_assert_uint_eq(nic_dim_usec(&d), 16);
    ck_assert_uint_eq(nic_dim_pkts(&d), 64);
    /* The same rate again is not better: it turns back to 8 us. */
    ck_assert_uint_eq(dim_feed(&d, &t, &ev, &pk, &by, 65, 10, 4, 1500), 1);
    ck_assert_uint_eq(nic_dim_usec(&d), 8);
    /* At a constant rate it steps to and fro until tired (ten steps), then rests ten
     * decisions: over twenty decisions, at most eleven changes. */
    unsigned changes = dim_feed(&d, &t, &ev, &pk, &by, 65 * 20, 10, 4, 1500);
    ck_assert_uint_le(changes, 11);
    /* Transmit profiles are their own: from the last interrupt, 8 us / 128 first. */
    nic_dim_init(&d, true, false);
    ck_assert_uint_eq(nic_dim_usec(&d), 8);
    ck_assert_uint_eq(nic_dim_pkts(&d), 128);
}
END_TEST

/* mlx5e's DIM on a VF keeps a request-response round trip short where ixgbevf's adaptive
 * moderation moves to its bulk interval on MTU frames. */
START_TEST(test_rr_mtu_with_dim)
{
    double ns[2];
    const char *itr[2] = {"adaptive", "dim"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        ptfx_params(&f, "sriov", "rr");
        ptfx_set(&f, "traffic.packet_bytes", "1518");
        ptfx_set(&f, "vfdrv.itr", itr[i]);
        ptfx_build(&f);
        ptfx_run(&f, 2000, 2000);
        ns[i] = ptfx_stat(&f, "latency_ns_p50");
        ptfx_free(&f);
    }
    ck_assert_msg(ns[1] < 0.5 * ns[0], "dim %g ns, adaptive %g ns", ns[1], ns[0]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("itr");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_written_eitr_throttles);
    tcase_add_test(tc, test_adaptive_interval_follows_the_load);
    tcase_add_test(tc, test_static_never_writes_eitr);
    tcase_add_test(tc, test_rr_latency_falls_with_adaptive_itr);
    tcase_add_test(tc, test_cq_moderation);
    tcase_add_test(tc, test_net_dim_steps);
    tcase_add_test(tc, test_rr_mtu_with_dim);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
