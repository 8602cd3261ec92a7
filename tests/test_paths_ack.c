/* TCP's acknowledgements on the I/O paths (PATH_OP_TCP_ACK): a receiver of a TCP-like
 * stream whose reader runs on the softirq's core acknowledges once per receive poll, as
 * the reader's first read after it (tcp_cleanup_rbuf; Linux's __tcp_ack_snd_check sends
 * none while the poll's data waits unread), down its own transmit path, on every
 * path with a kernel stack; datagrams and DPDK applications send none; an
 * acknowledgement costs net.ack_tx_cycles on the receiving core and, through the host's
 * DMA API in strict mode, an invalidation at its unmap. The link partner acknowledges
 * the VMs' TCP-like streams the same way (its polls of peer.rx_poll_frames, GRO), and a
 * VM's stack takes each acknowledgement through its receive path without delivering it
 * as data. The VMs' acknowledgements open the partner's streams' windows
 * (net.rcv_window_bytes); datagrams are open-loop. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/paths_fixture.h"

/* Packets in flight across the measured window's ends (a poll's batch at each end). */
#define EDGE_PKTS 6

/* A TCP-like stream of MTU frames on `path`, with what the path needs beside the
 * defaults (the PF's queues for VMDq's pools and Scalable IOV's interfaces). */
static void tcp_stream(ptfx *f, const char *path, const char *pattern)
{
    ptfx_params(f, path, pattern);
    ptfx_set(f, "traffic.msg_bytes", "65536");
    ptfx_set(f, "traffic.packet_bytes", "1518");
    if (!strcmp(path, "vmdq") || !strcmp(path, "siov"))
        ptfx_set(f, "nic.pf_queues", "8");
    if (!strcmp(path, "siov"))
        ptfx_set(f, "iommu.scalable", "true");
}

static void tcp_rx(ptfx *f, const char *path) { tcp_stream(f, path, "stream_rx"); }
static void tcp_tx(ptfx *f, const char *path) { tcp_stream(f, path, "stream_tx"); }

/* Every path with a kernel stack in the receiving VM acknowledges what it receives, and
 * its acknowledgements reach the sender (the link partner) without counting as data. */
START_TEST(test_every_kernel_path_acknowledges)
{
    static const char *const paths[] = {"native", "emulated",  "paravirt",    "devdomain",
                                        "sriov",  "vmdq",      "vdpa",        "vhostuser",
                                        "siov",   "passthrough"};
    for (unsigned i = 0; i < sizeof paths / sizeof *paths; i++) {
        ptfx f;
        tcp_rx(&f, paths[i]);
        ptfx_build(&f);
        ptfx_run(&f, 300, 1000);
        double acks = ptfx_stat(&f, "net.acks_sent"), in = ptfx_stat(&f, "net.delivered");
        ck_assert_msg(in > 100, "%s: %g frames delivered", paths[i], in);
        ck_assert_msg(acks > 0, "%s: no acknowledgement", paths[i]);
        /* At most one per two frames delivered, at least one per poll of 64 frames. */
        ck_assert_msg(acks <= in / 2 + EDGE_PKTS, "%s: %g acks for %g frames", paths[i], acks, in);
        ck_assert_msg(acks >= in / 64 - EDGE_PKTS, "%s: %g acks for %g frames", paths[i], acks, in);
        ck_assert_msg(fabs(ptfx_stat(&f, "peer.rx_acks") - acks) <= EDGE_PKTS,
                      "%s: %g sent, %g reached the partner", paths[i], acks,
                      ptfx_stat(&f, "peer.rx_acks"));
        ck_assert_double_eq(ptfx_stat(&f, "peer.rx_frames"), 0);
        ck_assert_double_eq(ptfx_stat(&f, "net.ack_drops"), 0);
        ptfx_free(&f);
    }
}
END_TEST

/* The rule with the reader on the softirq's core: one acknowledgement per receive poll
 * that brought more than one frame, with GRO or without, never more than one per two
 * frames. */
START_TEST(test_ack_once_per_poll)
{
    double acks[2], polls[2];
    for (int gro = 0; gro < 2; gro++) {
        ptfx f;
        tcp_rx(&f, "native");
        ptfx_set(&f, "net.gro", gro ? "true" : "false");
        ptfx_build(&f);
        ptfx_run(&f, 300, 4000);
        acks[gro] = ptfx_stat(&f, "net.acks_sent");
        polls[gro] = ptfx_stat(&f, "nicdrv.pf.polls");
        double in = ptfx_stat(&f, "net.delivered");
        ck_assert(in > 500);
        ck_assert_msg(acks[gro] > 0 && acks[gro] <= in / 2 + EDGE_PKTS, "%g acks for %g frames",
                      acks[gro], in);
        ck_assert_msg(fabs(acks[gro] - polls[gro]) <= 2 + 0.05 * polls[gro],
                      "GRO %d: %g acks for %g polls", gro, acks[gro], polls[gro]);
        /* The acknowledgements are the only frames the host sends. */
        double out = ptfx_stat(&f, "nic.pf.tx_frames");
        ck_assert_msg(fabs(out - acks[gro]) <= EDGE_PKTS + 0.1 * acks[gro],
                      "%g acks, %g frames sent", acks[gro], out);
        ptfx_free(&f);
    }
}
END_TEST

/* The same in a guest whose receive poll is a stage of its own (virtio's NAPI, netfront):
 * its poll's end acknowledges, however its back end's batches fall meanwhile, so
 * without GRO a paravirt or Xen guest still acknowledges once per poll of many frames,
 * not once per two. */
START_TEST(test_guest_acks_once_per_poll)
{
    static const char *const paths[] = {"paravirt", "devdomain"};
    for (unsigned i = 0; i < 2; i++) {
        ptfx f;
        tcp_rx(&f, paths[i]);
        ptfx_set(&f, "net.gro", "false");
        ptfx_build(&f);
        ptfx_run(&f, 300, 4000);
        double acks = ptfx_stat(&f, "net.acks_sent"), in = ptfx_stat(&f, "net.delivered");
        ck_assert(in > 1000);
        ck_assert_msg(acks > 0 && acks < in / 16, "%s: %g acks for %g frames", paths[i], acks,
                      in);
        ptfx_free(&f);
    }
}
END_TEST

/* Datagrams, request-response and a DPDK application send none. */
START_TEST(test_no_acks_without_tcp)
{
    ptfx f;
    ptfx_params(&f, "native", "stream_rx");
    ptfx_build(&f);
    ptfx_run(&f, 300, 500);
    ck_assert(ptfx_stat(&f, "net.delivered") > 100);
    ck_assert_double_eq(ptfx_stat(&f, "net.acks_sent"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "nic.pf.tx_frames"), 0);
    ptfx_free(&f);

    ptfx_params(&f, "sriov", "rr");
    ptfx_build(&f);
    ptfx_run(&f, 300, 500);
    ck_assert(ptfx_stat(&f, "net.delivered") > 10);
    ck_assert_double_eq(ptfx_stat(&f, "net.acks_sent"), 0);
    ptfx_free(&f);

    /* A DPDK application's own loop (guest.driver = poll) has no TCP stack: it takes
     * datagrams only (systems/paths_cfg.c refuses TCP-like streams there). */
    ptfx_params(&f, "sriov", "stream_rx");
    ptfx_set(&f, "guest.driver", "poll");
    ptfx_build(&f);
    ptfx_run(&f, 300, 500);
    ck_assert(ptfx_stat(&f, "net.delivered") > 100);
    ck_assert_double_eq(ptfx_stat(&f, "net.acks_sent"), 0);
    ptfx_free(&f);
}
END_TEST

/* An acknowledgement's stack work is net.ack_tx_cycles on the receiving core: raising it
 * by d cycles raises the receiver's cycles by about d per acknowledgement. */
START_TEST(test_ack_cost_charged)
{
    double cycles[2], acks[2];
    static const char *const cost[2] = {"0", "20000"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        tcp_rx(&f, "native");
        ptfx_set(&f, "noise.cost_sigma", "0");
        ptfx_set(&f, "net.ack_tx_cycles", cost[i]);
        ptfx_build(&f);
        ptfx_run(&f, 300, 3000);
        cycles[i] = ptfx_stat(&f, "cpu.guest_cycles");
        acks[i] = ptfx_stat(&f, "net.acks_sent");
        ptfx_free(&f);
    }
    ck_assert(acks[1] > 20);
    double per_ack = (cycles[1] - cycles[0]) / acks[1];
    ck_assert_msg(per_ack > 0.85 * 20000 && per_ack < 1.15 * 20000 + 5000, "%g cycles per ack",
                  per_ack);
}
END_TEST

/* Through the host's DMA API in strict mode each acknowledgement is mapped for the NIC
 * and unmapped at its completion, an IOTLB invalidation each; the receive buffers stay
 * mapped (the page pool), so without acknowledgements receive invalidates nothing. */
START_TEST(test_strict_iommu_invalidates_per_ack)
{
    ptfx f;
    tcp_rx(&f, "native");
    ptfx_set(&f, "iommu.mode", "strict");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double acks = ptfx_stat(&f, "net.acks_sent"), invs = ptfx_stat(&f, "dmaapi.strict_invs");
    ck_assert(acks > 10);
    ck_assert_msg(fabs(invs - acks) <= EDGE_PKTS, "%g invalidations for %g acks", invs, acks);
    /* The device's reads (descriptors, and now each acknowledgement's frame at a new
     * mapping) walk the tables apart from its writes. */
    double reads = ptfx_stat(&f, "iommu.walks") - ptfx_stat(&f, "iommu.walks_write");
    ck_assert_msg(reads >= acks - EDGE_PKTS, "%g read walks for %g acks", reads, acks);
    ptfx_free(&f);

    ptfx_params(&f, "native", "stream_rx");
    ptfx_set(&f, "iommu.mode", "strict");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    ck_assert(ptfx_stat(&f, "net.delivered") > 100);
    ck_assert_double_eq(ptfx_stat(&f, "dmaapi.strict_invs"), 0);
    ptfx_free(&f);
}
END_TEST

/* The partner acknowledges what every kernel path sends, and each acknowledgement
 * reaches the sending VM's stack, not its application. */
START_TEST(test_partner_acknowledges_every_path)
{
    static const char *const paths[] = {"native", "emulated", "paravirt", "devdomain", "sriov",
                                        "vmdq",   "vdpa",     "vhostuser", "siov"};
    for (unsigned i = 0; i < sizeof paths / sizeof *paths; i++) {
        ptfx f;
        tcp_tx(&f, paths[i]);
        ptfx_build(&f);
        ptfx_run(&f, 300, 1000);
        double out = ptfx_stat(&f, "peer.rx_frames"), sent = ptfx_stat(&f, "peer.tx_acks");
        double taken = ptfx_stat(&f, "net.acks_received");
        ck_assert_msg(out > 100, "%s: %g frames sent", paths[i], out);
        /* One stream: at least one per GRO segment of 45 frames, at most one per two. */
        ck_assert_msg(sent >= out / 45 - EDGE_PKTS && sent <= out / 2 + EDGE_PKTS,
                      "%s: %g acks for %g frames", paths[i], sent, out);
        ck_assert_msg(fabs(taken - sent) <= EDGE_PKTS, "%s: %g acks sent, %g taken", paths[i],
                      sent, taken);
        ck_assert_double_eq(ptfx_stat(&f, "net.delivered"), 0);
        ck_assert_double_eq(ptfx_stat(&f, "net.misdelivered"), 0);
        ck_assert_double_eq(ptfx_stat(&f, "peer.tx_frames"), 0);
        ptfx_free(&f);
    }
    /* Datagrams are not acknowledged. */
    ptfx f;
    ptfx_params(&f, "native", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 300, 500);
    ck_assert(ptfx_stat(&f, "peer.rx_frames") > 100);
    ck_assert_double_eq(ptfx_stat(&f, "peer.tx_acks"), 0);
    ptfx_free(&f);
}
END_TEST

/* The partner's rule: a poll of 64 frames of one stream makes a 45-frame GRO segment and
 * one of 19, an acknowledgement each (one per 32 frames); polls of two frames, one per
 * two (polls not cut short by peer.rx_poll_max_us). Its cost: the sender's receive
 * path, at least the stack's net.stack_rx_cycles an acknowledgement, and not much more
 * than that and the driver's work and interrupts. */
START_TEST(test_partner_ack_rule_and_cost)
{
    static const char *const poll[2] = {"64", "2"};
    double out[2], acks[2], taken[2], cycles[2];
    for (int i = 0; i < 2; i++) {
        ptfx f;
        tcp_tx(&f, "native");
        ptfx_set(&f, "noise.cost_sigma", "0");
        ptfx_set(&f, "traffic.offered_gbps", "4"); /* the same data either way */
        ptfx_set(&f, "peer.rx_poll_frames", poll[i]);
        ptfx_set(&f, "peer.rx_poll_max_us", "100000"); /* polls end by their frames */
        ptfx_build(&f);
        ptfx_run(&f, 300, 2000);
        out[i] = ptfx_stat(&f, "peer.rx_frames");
        acks[i] = ptfx_stat(&f, "peer.tx_acks");
        taken[i] = ptfx_stat(&f, "net.acks_received");
        cycles[i] = ptfx_stat(&f, "cpu.guest_cycles");
        ptfx_free(&f);
    }
    ck_assert(out[0] > 500);
    ck_assert_msg(fabs(out[1] - out[0]) <= 0.02 * out[0], "%g against %g frames", out[1], out[0]);
    /* (The VM's count: the partner's lags the frames by a poll and its turnaround, a few
     * at the window's ends.) */
    ck_assert_msg(fabs(taken[0] - out[0] / 32) <= EDGE_PKTS, "%g acks for %g frames", taken[0],
                  out[0]);
    ck_assert_msg(fabs(taken[1] - out[1] / 2) <= EDGE_PKTS, "%g acks for %g frames", taken[1],
                  out[1]);
    ck_assert_msg(acks[1] > 0.9 * taken[1], "%g sent, %g taken", acks[1], taken[1]);
    double per_ack = (cycles[1] - cycles[0]) / (taken[1] - taken[0]);
    ck_assert_msg(per_ack >= 2000 && per_ack <= 2000 + 3000, "%g cycles per acknowledgement",
                  per_ack);
}
END_TEST

/* A poll also ends by its time (peer.rx_poll_max_us): at 10 Gb/s a frame comes every
 * 1.2 us, so polls of 2 us take two frames of a segment's burst and the partner
 * acknowledges every second frame, where polls ended only by their 64 frames make one
 * acknowledgement of each 45-frame segment (and one of the rest of each poll). */
START_TEST(test_partner_poll_ends_by_time)
{
    static const char *const max_us[2] = {"2", "100000"};
    double out[2], taken[2];
    for (int i = 0; i < 2; i++) {
        ptfx f;
        tcp_tx(&f, "native");
        ptfx_set(&f, "traffic.offered_gbps", "4");
        ptfx_set(&f, "peer.rx_poll_max_us", max_us[i]);
        ptfx_build(&f);
        ptfx_run(&f, 300, 2000);
        out[i] = ptfx_stat(&f, "peer.rx_frames");
        taken[i] = ptfx_stat(&f, "net.acks_received");
        ptfx_free(&f);
    }
    ck_assert(out[0] > 500);
    ck_assert_msg(fabs(taken[0] - out[0] / 2) <= EDGE_PKTS, "%g acks for %g frames", taken[0],
                  out[0]);
    ck_assert_msg(taken[1] < out[1] / 20, "%g acks for %g frames", taken[1], out[1]);
}
END_TEST

/* Both ways at once (bidir), back to back: the partner's stream and its
 * acknowledgements share its wire, so its stream yields what they take instead of
 * queueing behind them without end; the VM acknowledges the partner's stream too. */
START_TEST(test_bidir_acks_share_the_wire)
{
    ptfx f;
    ptfx_params(&f, "native", "bidir");
    ptfx_set(&f, "traffic.msg_bytes", "65536");
    ptfx_set(&f, "traffic.packet_bytes", "1518");
    ptfx_set(&f, "peer.rx_poll_frames", "2"); /* an acknowledgement per two frames */
    ptfx_build(&f);
    ptfx_run(&f, 300, 5000);
    double data = ptfx_stat(&f, "peer.tx_frames"), acks = ptfx_stat(&f, "peer.tx_acks");
    ck_assert(acks > 1000);
    ck_assert(ptfx_stat(&f, "net.acks_sent") > 10);
    ck_assert(ptfx_stat(&f, "net.acks_received") > 1000);
    /* 10 Gb/s for 5 ms: 6.25 MB, a frame 1,538 bytes on the wire with its preamble and
     * gap, an acknowledgement 90 (70 and the same 20); the generator books up to 32
     * frames ahead. */
    double room = (6.25e6 - acks * 90.0) / 1538.0;
    ck_assert_msg(data <= room + 33, "%g frames and %g acks in room for %g frames", data, acks,
                  room);
    ck_assert_msg(data >= room - 100, "%g frames and %g acks in room for %g frames", data, acks,
                  room);
    ptfx_free(&f);
}
END_TEST

/* An emulated VM sending a TCP-like stream at line rate receives one too: the device
 * model's transmit work, booked far ahead on its vCPU's core, makes the interrupts it
 * raises later in time; the guest's receive interrupts of an earlier time still run
 * at their time, not behind those (host/cpu.h, cpu_run_urgent). */
START_TEST(test_emulated_bidir_receives_while_it_sends)
{
    ptfx f;
    tcp_stream(&f, "emulated", "bidir");
    ptfx_build(&f);
    ptfx_run(&f, 300, 2000);
    double sent = ptfx_stat(&f, "net.sent"), in = ptfx_stat(&f, "net.delivered");
    ck_assert_msg(sent > 100, "%g frames sent", sent);
    ck_assert_msg(in > 100, "%g frames delivered while %g were sent", in, sent);
    ptfx_free(&f);
}
END_TEST

/* The link partner's TCP-like streams keep to their receiver's window: into an emulated
 * VM, whose device model takes a tenth of the line, the partner sends as the VM's
 * acknowledgements open the window (what it sends in the window is what the VM takes,
 * nothing drops), and a frame waits in the queues for the window's worth of data ahead
 * of it. */
START_TEST(test_window_paces_a_slow_receiver)
{
    double lat[2], gbps[2];
    const char *win[2] = {"3MiB", "512KiB"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        tcp_rx(&f, "emulated");
        ptfx_set(&f, "net.rcv_window_bytes", win[i]);
        ptfx_build(&f);
        ptfx_run(&f, 30000, 4000);
        double sent = ptfx_stat(&f, "peer.tx_frames"), in = ptfx_stat(&f, "net.delivered");
        ck_assert_msg(ptfx_stat(&f, "peer.window_waits") > 0, "window %s never full", win[i]);
        ck_assert_msg(fabs(sent - in) < 0.05 * in, "window %s: %g frames sent, %g taken", win[i],
                      sent, in);
        ck_assert_msg(ptfx_stat(&f, "drops") == 0, "window %s: %g drops", win[i],
                      ptfx_stat(&f, "drops"));
        lat[i] = ptfx_stat(&f, "latency_ns_p50");
        gbps[i] = ptfx_stat(&f, "throughput_gbps");
        ck_assert_msg(gbps[i] < 4, "%g Gb/s: the device model is not the bottleneck", gbps[i]);
        ptfx_free(&f);
    }
    /* Queueing behind a window's data: window x 8 / rate, in ns (17.9 against 20.1 ms,
     * 4.3 against 4.4; the smaller window no longer keeps the device model busy through
     * the acknowledgements' round trip: 0.95 against 1.25 Gb/s). */
    const double win_bytes[2] = {3.0 * 1048576, 512.0 * 1024};
    for (int i = 0; i < 2; i++) {
        double want = win_bytes[i] * 8 / gbps[i];
        ck_assert_msg(fabs(lat[i] - want) < 0.2 * want, "window %s: p50 %g ns, a window's wait %g",
                      win[i], lat[i], want);
    }
    ck_assert_msg(gbps[1] <= gbps[0], "%g Gb/s with the smaller window, %g", gbps[1], gbps[0]);
}
END_TEST

/* The window is two frames at least: the receiver acknowledges every second frame, so a
 * window of one would wait for a time-out after each. */
START_TEST(test_window_of_one_frame_still_flows)
{
    ptfx f;
    tcp_rx(&f, "sriov");
    ptfx_set(&f, "net.rcv_window_bytes", "1518");
    ptfx_build(&f);
    ptfx_run(&f, 2000, 3000);
    ck_assert_msg(ptfx_stat(&f, "net.delivered") > 10, "%g frames delivered",
                  ptfx_stat(&f, "net.delivered"));
    ck_assert(ptfx_stat(&f, "peer.rto_expiries") == 0);
    ptfx_free(&f);
}
END_TEST

/* Datagrams have no window: the partner sends at the line rate whatever arrives. */
START_TEST(test_datagrams_are_open_loop)
{
    ptfx f;
    ptfx_params(&f, "emulated", "stream_rx");
    ptfx_set(&f, "traffic.packet_bytes", "1518");
    ptfx_build(&f);
    ptfx_run(&f, 3000, 2000);
    double sent = ptfx_stat(&f, "peer.tx_frames"), in = ptfx_stat(&f, "net.delivered");
    ck_assert_msg(sent > 3 * in, "%g frames sent, %g taken", sent, in);
    ck_assert(ptfx_stat(&f, "peer.window_waits") == 0);
    ptfx_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("paths-ack");
    TCase *tc = tcase_create("acks");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_every_kernel_path_acknowledges);
    tcase_add_test(tc, test_ack_once_per_poll);
    tcase_add_test(tc, test_guest_acks_once_per_poll);
    tcase_add_test(tc, test_no_acks_without_tcp);
    tcase_add_test(tc, test_ack_cost_charged);
    tcase_add_test(tc, test_strict_iommu_invalidates_per_ack);
    tcase_add_test(tc, test_partner_acknowledges_every_path);
    tcase_add_test(tc, test_partner_ack_rule_and_cost);
    tcase_add_test(tc, test_partner_poll_ends_by_time);
    tcase_add_test(tc, test_bidir_acks_share_the_wire);
    tcase_add_test(tc, test_emulated_bidir_receives_while_it_sends);
    tcase_add_test(tc, test_window_paces_a_slow_receiver);
    tcase_add_test(tc, test_window_of_one_frame_still_flows);
    tcase_add_test(tc, test_datagrams_are_open_loop);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
