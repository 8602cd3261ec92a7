/* Interrupt moderation by the vectors' EITR registers: a written vector throttles (at
 * once after a quiet spell, at most once per interval under load); the drivers' adaptive
 * ITR (nicdrv.itr = adaptive, ixgbe_set_itr / ixgbevf_set_itr) moves the interval to the
 * minimum on a lightly loaded request-response queue and up on a bulk stream, while a
 * static driver never writes EITR; on the paths workload the request-response latency
 * falls with the adaptive drivers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    Suite *s = suite_create("itr");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_written_eitr_throttles);
    tcase_add_test(tc, test_adaptive_interval_follows_the_load);
    tcase_add_test(tc, test_static_never_writes_eitr);
    tcase_add_test(tc, test_rr_latency_falls_with_adaptive_itr);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
