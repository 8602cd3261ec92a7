/* The VMDq path (io.path = vmdq) and the NIC's VMDq pools under it (models/nic/vmdq.h):
 * a filter the PF driver writes steers a MAC's frames to its pool's queues, RSS within
 * the pool, everything else to the default pool; on the path, received and sent frames
 * skip the driver domain's bridge, each VM's frames reach its own netback, the grant
 * copies stay, and the driver domain saves the bridge's cycles per packet. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/nic_fixture.h"
#include "tests/paths_fixture.h"

#define POOL_MAC 0x020000000a01ull
#define PEER_MAC 0x001b21ffff01ull
/* Packets that may sit between two counters at the ends of the measured window. */
#define EDGE 8.0

/* ---------------------------------------------------------------- the NIC's pools */

/* Four PF queues: a pool of queues 2 and 3 for POOL_MAC; queues 0 and 1 are the
 * default pool's. */
static void pool_nic(nicfx *f)
{
    nicfx_params(f);
    rig_set(&f->r, "nic.pf_queues", "4");
    nicfx_build(f);
    for (unsigned q = 0; q < 4; q++)
        nicfx_queue(f, NIC_PF, q);
    ck_assert_int_eq(pfdrv_set_pool(f->pf, sim_now_ps(f->r.k), 0, POOL_MAC, 2, 2), 0);
    nicfx_run_us(f, 20); /* the receive buffers are posted */
}

START_TEST(test_filter_steers_to_its_pool)
{
    nicfx f;
    pool_nic(&f);
    uint64_t t = sim_now_ps(f.r.k);
    /* The pool's address, flows 0..3: RSS over its two queues. */
    for (uint32_t flow = 0; flow < 4; flow++) {
        nic_pkt p = fx_pkt(POOL_MAC, PEER_MAC, 0, 128, flow);
        nic_wire_rx(f.n, &p, t + 1000 * (flow + 1));
    }
    /* An unknown address and a broadcast: the default pool, never a pool's queue. */
    for (uint32_t flow = 0; flow < 3; flow++) {
        nic_pkt p = fx_pkt(0x0a0b0c0d0e0full, PEER_MAC, 0, 128, flow);
        nic_wire_rx(f.n, &p, t + 10000 + 1000 * flow);
    }
    nic_pkt b = fx_pkt(0xffffffffffffull, PEER_MAC, 0, 128, 3);
    nic_wire_rx(f.n, &b, t + 20000);
    nicfx_run_us(&f, 50);
    ck_assert_uint_eq(f.ctr[2].rx_pkts, 2);
    ck_assert_uint_eq(f.ctr[3].rx_pkts, 2);
    ck_assert_uint_eq(f.ctr[0].rx_pkts + f.ctr[1].rx_pkts, 4);
    ck_assert_uint_gt(f.ctr[0].rx_pkts, 0);
    ck_assert_uint_gt(f.ctr[1].rx_pkts, 0);
    ck_assert_uint_eq(nic_pf_errors(f.n), 0);
    nicfx_destroy(&f);
}
END_TEST

/* Filters the device cannot take are refused and counted, and change nothing: a queue
 * of another pool, the address of another filter; removing the filter (RAH without
 * Address Valid) gives its queues back to the default pool. */
START_TEST(test_filter_refusals_and_removal)
{
    nicfx f;
    pool_nic(&f);
    uint64_t t = sim_now_ps(f.r.k);
    ck_assert_int_eq(pfdrv_set_pool(f.pf, t, 1, POOL_MAC + 1, 3, 1), 0); /* the driver passes */
    ck_assert_uint_eq(nic_pf_errors(f.n), 1);                            /* the device refuses */
    ck_assert_msg(strstr(nic_last_error(f.n), "another pool"), "%s", nic_last_error(f.n));
    ck_assert_int_eq(pfdrv_set_pool(f.pf, t, 1, POOL_MAC, 1, 1), 0);
    ck_assert_uint_eq(nic_pf_errors(f.n), 2);
    ck_assert_msg(strstr(nic_last_error(f.n), "another filter"), "%s", nic_last_error(f.n));
    /* The driver itself refuses a group address and queues the PF lacks. */
    ck_assert_int_eq(pfdrv_set_pool(f.pf, t, 1, 0x010000000001ull, 1, 1), -1);
    ck_assert_int_eq(pfdrv_set_pool(f.pf, t, 1, POOL_MAC + 1, 3, 2), -1);
    ck_assert_uint_eq(pfdrv_errors(f.pf), 2);
    /* Pool 0 still steers; then it is removed and its address is unknown unicast. */
    nic_pkt p = fx_pkt(POOL_MAC, PEER_MAC, 0, 128, 0);
    nic_wire_rx(f.n, &p, t + 1000);
    nicfx_run_us(&f, 20);
    ck_assert_uint_eq(f.ctr[2].rx_pkts, 1);
    nic_mmio_write(f.n, sim_now_ps(f.r.k), nic_reg_addr(f.n, NIC_PF, NIC_REG_VMDQ(0, NIC_VMDQ_RAH)),
                   4, 0);
    for (uint32_t flow = 0; flow < 4; flow++) {
        p = fx_pkt(POOL_MAC, PEER_MAC, 0, 128, flow);
        nic_wire_rx(f.n, &p, sim_now_ps(f.r.k) + 1000 * (flow + 1));
    }
    nicfx_run_us(&f, 50);
    /* RSS over all four queues again: one flow each. */
    for (unsigned q = 0; q < 4; q++)
        ck_assert_uint_eq(f.ctr[q].rx_pkts, q == 2 ? 2 : 1);
    nicfx_destroy(&f);
}
END_TEST

/* ---------------------------------------------------------------- the path */

static void vmdq_params(ptfx *f, const char *path, const char *pattern, const char *vms)
{
    ptfx_params(f, path, pattern);
    ptfx_set(f, "traffic.vms", vms);
    ptfx_set(f, "nic.pf_queues", "16");
    ptfx_set(f, "cpu.cores", "24");
}

/* Receiving: every frame comes from its VM's own queue to its VM's netback, none
 * through the bridge, with a grant copy each; no frame reaches a VM it was not for. */
START_TEST(test_rx_skips_the_bridge)
{
    ptfx f;
    vmdq_params(&f, "vmdq", "stream_rx", "4");
    ptfx_set(&f, "io.queues", "2");
    ptfx_set(&f, "traffic.offered_gbps", "1");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double got = ptfx_stat(&f, "net.delivered"), sent = ptfx_stat(&f, "peer.tx_frames");
    ck_assert(got > 1000);
    /* Up to the frames in flight at the window's edges: the netback threads' backlog
     * (up to about 100 us at 1.5 Mpps, their work's cost varying; none is lost, as
     * drops says). */
    ck_assert_msg(fabs(got - sent) <= EDGE * 20, "delivered %.0f, sent %.0f", got, sent);
    ck_assert_double_eq(ptfx_stat(&f, "net.switched"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "vswitch.forwarded"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "net.misdelivered"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "drops"), 0);
    ck_assert(fabs(ptfx_stat(&f, "net.grant_copies") - got) <= EDGE * 8);
    ck_assert_double_eq(ptfx_stat(&f, "nic.pf_driver_errors"), 0);
    ptfx_free(&f);
}
END_TEST

/* Sending: netback posts each VM's frames to the VM's own PF queue, past the bridge,
 * after a grant copy. */
START_TEST(test_tx_skips_the_bridge)
{
    ptfx f;
    vmdq_params(&f, "vmdq", "stream_tx", "4");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double sent = ptfx_stat(&f, "net.sent"), wire = ptfx_stat(&f, "peer.rx_frames");
    ck_assert(wire > 1000);
    ck_assert(fabs(wire - sent) <= EDGE * 4 + 128 * 4); /* in flight: a NIC queue each */
    ck_assert_double_eq(ptfx_stat(&f, "net.switched"), 0);
    ck_assert(fabs(ptfx_stat(&f, "net.grant_copies") - sent) <= EDGE * 4 + 256 * 4);
    ptfx_free(&f);
}
END_TEST

/* The same light load on devdomain and vmdq (a 64-byte frame every 24 us, so no batch
 * or interrupt holds more than one on either path): the driver domain's cycles per
 * packet differ by the bridge's (vswitch.pkt_cycles, set apart from its default so the
 * difference is its own), the guest's hardly at all. Under heavier load the paths
 * batch differently (vmdq's faster netback leaves fewer packets per transmit
 * completion interrupt), and the saving is less than the bridge's. */
static void same_load(const char *pattern, const char *bridge_cycles)
{
    double host[2], guest[2], mpps[2];
    const char *paths[2] = {"devdomain", "vmdq"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        vmdq_params(&f, paths[i], pattern, "1");
        ptfx_set(&f, "traffic.offered_gbps", "0.02");
        ptfx_set(&f, "vswitch.pkt_cycles", bridge_cycles);
        ptfx_build(&f);
        ptfx_run(&f, 300, 3000);
        host[i] = ptfx_stat(&f, "host_cycles_per_pkt");
        guest[i] = ptfx_stat(&f, "guest_cycles_per_pkt");
        mpps[i] = ptfx_stat(&f, "throughput_mpps");
        ptfx_free(&f);
    }
    double want = atof(bridge_cycles);
    ck_assert_msg(fabs(mpps[1] / mpps[0] - 1.0) < 0.01, "%s: %g vs %g Mpps", pattern, mpps[0],
                  mpps[1]);
    ck_assert_msg(fabs(host[0] - host[1] - want) < 0.05 * want,
                  "%s: driver domain %g cycles per packet on devdomain, %g on vmdq, bridge %g",
                  pattern, host[0], host[1], want);
    ck_assert_msg(fabs(guest[0] - guest[1]) < 0.05 * guest[0], "%s: guest %g vs %g", pattern,
                  guest[0], guest[1]);
}

START_TEST(test_saves_the_bridge_receiving) { same_load("stream_rx", "2500"); }
END_TEST

START_TEST(test_saves_the_bridge_sending) { same_load("stream_tx", "2500"); }
END_TEST

static void refused(const char *pattern, const char *vms, const char *queues, const char *word)
{
    ptfx f;
    sim_err e = {{0}};
    vmdq_params(&f, "vmdq", pattern, vms);
    ptfx_set(&f, "io.queues", queues);
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), -1);
    ck_assert_msg(strstr(e.msg, "vmdq") && strstr(e.msg, word), "%s", e.msg);
    rig_free(&f.r);
}

/* A PF queue per VM queue besides the driver domain's own: more than the PF has is
 * refused; VM-to-VM frames would leave on the wire, so inter_vm is refused. */
START_TEST(test_refusals)
{
    refused("stream_tx", "8", "2", "nic.pf_queues"); /* 1 + 16 > 16 */
    refused("inter_vm", "2", "1", "devdomain");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("paths-vmdq");
    TCase *tc = tcase_create("vmdq");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_filter_steers_to_its_pool);
    tcase_add_test(tc, test_filter_refusals_and_removal);
    tcase_add_test(tc, test_rx_skips_the_bridge);
    tcase_add_test(tc, test_tx_skips_the_bridge);
    tcase_add_test(tc, test_saves_the_bridge_receiving);
    tcase_add_test(tc, test_saves_the_bridge_sending);
    tcase_add_test(tc, test_refusals);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
