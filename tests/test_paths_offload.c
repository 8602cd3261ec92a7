/* Segmentation and receive offloads on the I/O paths (host/iopath/path.h: SEGMENT, GRO,
 * TO_NIC with TSO): TCP-like streams (traffic.msg_bytes) make segments of the size
 * tcp_xmit_size_goal gives, the NIC's TSO or the stack's GSO cuts them into frames,
 * GRO merges received frames of a flow, and each virtual device passes segments whole
 * or cuts them as its offload switch says. Every check counts what the mechanism
 * does against its description. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host/iopath/iopath.h"
#include "tests/paths_fixture.h"

/* MTU frames: 1518 - 4 (FCS) - 66 (Ethernet, IPv4, TCP with timestamps) = 1448 of
 * payload; a 64 KiB GSO limit holds (65536 - 52) / 1448 = 45 of them. */
#define MSS 1448.0
#define SEG_FRAMES 45.0
/* Packets that may sit between two counters at the ends of the measured window. */
#define EDGE 6.0

static void tcp_params(ptfx *f, const char *path, const char *pattern)
{
    ptfx_params(f, path, pattern);
    ptfx_set(f, "traffic.packet_bytes", "1518");
    ptfx_set(f, "traffic.msg_bytes", "65536");
}

static double stat(const ptfx *f, const char *name) { return ptfx_stat(f, name); }

/* Native with TSO: the stack builds 45-frame segments, the driver posts each with one
 * packet's work and a descriptor per frame, and the NIC sends 45 frames. */
START_TEST(test_native_tso)
{
    ptfx f;
    tcp_params(&f, "native", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double frames = stat(&f, "net.sent"), segs = stat(&f, "net.segments");
    ck_assert(frames > 500);
    /* 64 KiB messages: a 45-frame segment and a 1-frame remainder each (65536 = 45 x
     * 1448 + 376), so 46 frames per 2 packets, of which one is a segment. */
    ck_assert(fabs(frames / segs - 46.0) < 1.0);
    ck_assert(fabs(stat(&f, "net.tso_segments") - segs) <= 1);
    ck_assert_double_eq(stat(&f, "net.sw_segmented"), 0);
    /* A descriptor per frame. */
    ck_assert(fabs(stat(&f, "nicdrv.pf.tx_posted") - frames) <= 2 * SEG_FRAMES);
    ptfx_free(&f);
}
END_TEST

/* Without the NIC's TSO the stack segments in software (GSO): every frame of a
 * segment is cut by the CPU and posted on its own; the stack still runs per segment. */
START_TEST(test_native_gso_without_tso)
{
    ptfx f;
    tcp_params(&f, "native", "stream_tx");
    ptfx_set(&f, "nicdrv.tso", "false");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double frames = stat(&f, "net.sent"), segs = stat(&f, "net.segments");
    ck_assert(frames > 500);
    ck_assert_double_eq(stat(&f, "net.tso_segments"), 0);
    /* Each segment's 45 frames are cut in software. */
    ck_assert(fabs(stat(&f, "net.sw_segmented") - segs * SEG_FRAMES) <= 2 * SEG_FRAMES);
    double gso_cycles = stat(&f, "guest_cycles_per_pkt");
    ptfx_free(&f);

    /* and costs more CPU per frame than the NIC's TSO. */
    tcp_params(&f, "native", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    ck_assert(stat(&f, "guest_cycles_per_pkt") < gso_cycles);
    ptfx_free(&f);
}
END_TEST

/* Without GSO every frame is a pass through the stack: more cycles per frame. */
START_TEST(test_gso_saves_stack_passes)
{
    ptfx f;
    tcp_params(&f, "native", "stream_tx");
    ptfx_set(&f, "net.gso", "false");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    ck_assert_double_eq(stat(&f, "net.segments"), 0);
    double per_frame = stat(&f, "guest_cycles_per_pkt");
    ck_assert(per_frame > sim_params_uint(f.r.p, "net.stack_tx_cycles"));
    ptfx_free(&f);
    tcp_params(&f, "native", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    ck_assert(stat(&f, "guest_cycles_per_pkt") < per_frame / 3);
    ptfx_free(&f);
}
END_TEST

/* GRO merges the partner's MTU frames of one flow in the receive poll: the stack runs
 * once per merged segment, and the merged frames are all delivered. */
START_TEST(test_native_gro)
{
    ptfx f;
    tcp_params(&f, "native", "stream_rx");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double in = stat(&f, "net.delivered");
    double flushes = stat(&f, "net.gro_flushes"), merged = stat(&f, "net.gro_merged");
    ck_assert(in > 500);
    /* Each frame either starts a segment (flushed later) or joins one. */
    ck_assert(fabs(flushes + merged - in) <= EDGE + SEG_FRAMES);
    /* A poll takes many frames at line rate, so segments hold several each, and none
     * more than 45. */
    ck_assert(in / flushes > 2.0);
    ck_assert(in / flushes <= SEG_FRAMES);
    ck_assert_double_eq(stat(&f, "net.misdelivered"), 0);
    double gro_cycles = stat(&f, "guest_cycles_per_pkt");
    ptfx_free(&f);

    tcp_params(&f, "native", "stream_rx");
    ptfx_set(&f, "net.gro", "false");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    ck_assert_double_eq(stat(&f, "net.gro_flushes"), 0);
    ck_assert(stat(&f, "guest_cycles_per_pkt") > gro_cycles);
    ptfx_free(&f);
}
END_TEST

/* UDP-like traffic is not merged: GRO holds only TCP-like flows. */
START_TEST(test_udp_not_merged)
{
    ptfx f;
    ptfx_params(&f, "native", "stream_rx");
    ptfx_set(&f, "traffic.packet_bytes", "1518");
    ptfx_build(&f);
    ptfx_run(&f, 300, 500);
    ck_assert(stat(&f, "net.delivered") > 100);
    ck_assert_double_eq(stat(&f, "net.gro_flushes"), 0);
    ck_assert_double_eq(stat(&f, "net.segments"), 0);
    ptfx_free(&f);
}
END_TEST

/* virtio with VIRTIO_NET_F_HOST_TSO4: vhost copies a segment at a time and the host's
 * PF driver hands it to TSO; without it the guest segments and vhost copies frames. */
START_TEST(test_virtio_host_tso)
{
    ptfx f;
    tcp_params(&f, "paravirt", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double segs = stat(&f, "net.segments"), frames = stat(&f, "net.sent");
    double acks = stat(&f, "net.acks_received"); /* vhost copies each into the guest */
    ck_assert(frames > 500);
    /* One copy per packet: 2 per 64 KiB message (a segment and the remainder). */
    ck_assert(fabs(stat(&f, "net.copies") - acks - 2 * segs) <= EDGE);
    ck_assert(fabs(stat(&f, "net.tso_segments") - segs) <= EDGE);
    ptfx_free(&f);

    tcp_params(&f, "paravirt", "stream_tx");
    ptfx_set(&f, "virtio.host_tso", "false");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    /* A copy per frame (a segment per 23 frames with the offload); the ring between
     * the guest and vhost holds a different number of frames at the window's ends. */
    frames = stat(&f, "net.sent");
    acks = stat(&f, "net.acks_received");
    ck_assert(fabs(stat(&f, "net.copies") - acks - frames) <= 0.15 * frames);
    ck_assert(stat(&f, "net.sw_segmented") > frames - 2 * SEG_FRAMES - EDGE);
    ck_assert_double_eq(stat(&f, "net.tso_segments"), 0);
    ptfx_free(&f);
}
END_TEST

/* The emulated e1000: the guest posts TSO segments with one TDT write (one exit) each;
 * the device model cuts them and writes each frame to the tap device. */
START_TEST(test_emulated_tso)
{
    ptfx f;
    tcp_params(&f, "emulated", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 300, 2000);
    double frames = stat(&f, "net.sent"), segs = stat(&f, "net.segments");
    ck_assert(segs > 5);
    /* The device model segments everything it takes: frames of segments. */
    ck_assert(fabs(stat(&f, "net.sw_segmented") - segs * SEG_FRAMES) <= 2 * SEG_FRAMES);
    /* Every frame crosses the host's switch on its own, and so does each of the
     * partner's acknowledgements on its way in. */
    double acks = stat(&f, "net.acks_received");
    ck_assert(fabs(stat(&f, "net.switched") - acks - frames) <= 2 * SEG_FRAMES);
    ptfx_free(&f);
}
END_TEST

/* Xen with feature-gso-tcpv4: netback takes a segment whole, copying its first bytes
 * and grant-mapping it a 4 KiB page at a time (tests/test_paths_gmap.c). */
START_TEST(test_xen_gso_grant_pages)
{
    ptfx f;
    tcp_params(&f, "devdomain", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double copies = stat(&f, "net.copies"), ops = stat(&f, "net.grant_copies");
    double maps = stat(&f, "net.grant_maps");
    ck_assert(copies > 10);
    ck_assert_double_eq(ops, copies);
    /* A segment of 45 frames is 45 x 1514 bytes: 17 pages; the 1-frame remainder one.
     * (netback grant-copies each of the partner's acknowledgements in to the guest.) */
    double sent = copies - stat(&f, "net.acks_received");
    ck_assert(fabs(maps - (sent / 2) * (ceil(SEG_FRAMES * 1514 / 4096.0) + 1)) <= 2 * 18);
    ptfx_free(&f);
}
END_TEST

/* A message's bytes arrive whole: frames of MSS and a last one with the rest. */
START_TEST(test_message_bytes)
{
    ptfx f;
    tcp_params(&f, "native", "stream_tx");
    ptfx_set(&f, "traffic.msg_bytes", "10000"); /* 6 x 1448 + 1312 */
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double frames = stat(&f, "peer.rx_frames"), bytes = stat(&f, "peer.rx_bytes");
    ck_assert(frames > 500);
    /* 7 frames per message, 10000 + 7 x 66 host-side bytes. */
    double msgs = frames / 7.0;
    ck_assert(fabs(bytes - msgs * (10000.0 + 7 * 66.0)) <= 8 * 1514.0);
    /* One 7-frame segment per message, counted where they are sent. */
    ck_assert(fabs(stat(&f, "net.segments") - stat(&f, "net.sent") / 7.0) <= 1);
    ptfx_free(&f);
}
END_TEST

/* TCP Small Queues bound what a socket has below TCP. In a virtio guest the ring
 * (256 segments) would hold far more, so the limit decides how long a byte waits
 * between the application and the wire: the limit's wire time, and the host's NIC
 * queue (net.txq_pkts) after it. */
START_TEST(test_tsq_bounds_queueing)
{
    ptfx f;
    double p50[2];
    const char *limit[2] = {"1MiB", "256KiB"};
    for (int i = 0; i < 2; i++) {
        tcp_params(&f, "paravirt", "stream_tx");
        ptfx_set(&f, "net.tsq_bytes", limit[i]);
        ptfx_build(&f);
        ptfx_run(&f, 2000, 1000);
        p50[i] = stat(&f, "latency_ns_p50");
        ck_assert(stat(&f, "throughput_gbps") > 9.0);
        ptfx_free(&f);
    }
    /* At 10 Gb/s 1 MiB is 0.84 ms of wire time, 128 frames of MTU 0.16 ms. */
    ck_assert(p50[0] > 840e3 && p50[0] < 840e3 + 300e3);
    ck_assert(p50[1] > 210e3 && p50[1] < 210e3 + 300e3);
}
END_TEST

/* A segment never needs more descriptors than a NIC ring has (the model spends one per
 * frame): 64-byte payloads would make 1,023-frame segments, capped at the 511 a
 * 512-entry ring takes; and a TCP Small Queues limit below one segment still lets a
 * socket with nothing outstanding send. Neither stalls the stream. */
START_TEST(test_segments_fit_rings_and_tsq)
{
    ptfx f;
    tcp_params(&f, "native", "stream_tx");
    ptfx_set(&f, "traffic.packet_bytes", "134");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    ck_assert(stat(&f, "throughput_gbps") > 1.0);
    ck_assert_double_eq(stat(&f, "net.xmit_drops"), 0);
    ck_assert(stat(&f, "net.sent") / stat(&f, "net.segments") <= 512);
    ptfx_free(&f);

    tcp_params(&f, "native", "stream_tx");
    ptfx_set(&f, "net.tsq_bytes", "65536"); /* a 45-frame segment is 68,310 bytes */
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    ck_assert(stat(&f, "throughput_gbps") > 5.0);
    ptfx_free(&f);
}
END_TEST

/* GRO holds a segment per flow (up to 8): flows interleaved frame by frame on one
 * queue still merge. */
START_TEST(test_gro_holds_several_flows)
{
    ptfx f;
    tcp_params(&f, "paravirt", "stream_rx");
    ptfx_set(&f, "io.queues", "4"); /* the host's one queue carries 4 interleaved flows */
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double merged = stat(&f, "net.gro_merged"), flushes = stat(&f, "net.gro_flushes");
    ck_assert(flushes > 0);
    ck_assert(merged / flushes > 2.0);
    ptfx_free(&f);
}
END_TEST

/* A datagram socket's send buffer bounds what it has queued: at a 1 Gb/s line a sender
 * far faster than the wire keeps sndbuf / (1,514 + 576 bytes of truesize) MTU
 * datagrams in the ring, not yet reclaimed; a datagram waits for those and for what the
 * NIC holds in its transmit buffer. Halving the send buffer takes half of the first
 * part off the wait. */
START_TEST(test_sndbuf_bounds_datagram_queueing)
{
    double p50[2];
    const char *buf[2] = {"212992", "106496"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        ptfx_params(&f, "native", "stream_tx");
        ptfx_set(&f, "traffic.packet_bytes", "1518");
        ptfx_set(&f, "nic.line_gbps", "1");
        ptfx_set(&f, "net.sndbuf_bytes", buf[i]);
        ptfx_build(&f);
        ptfx_run(&f, 3000, 3000);
        p50[i] = stat(&f, "latency_ns_p50");
        ptfx_free(&f);
    }
    double frame_ns = (1518 + 20) * 8.0; /* with preamble and gap, at 1 Gb/s */
    double saved_ns = (212992.0 - 106496.0) / 2090.0 * frame_ns;
    ck_assert(fabs((p50[0] - p50[1]) / saved_ns - 1.0) < 0.1);
}
END_TEST

/* Bad configurations of TCP-like streams are refused with the parameter's name. */
START_TEST(test_tcp_config_errors)
{
    ptfx f;
    sim_err e = {{0}};
    tcp_params(&f, "native", "rr");
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), -1);
    ck_assert(strstr(e.msg, "traffic.msg_bytes"));
    rig_free(&f.r);

    tcp_params(&f, "native", "stream_tx");
    ptfx_set(&f, "traffic.packet_bytes", "64");
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), -1);
    ck_assert(strstr(e.msg, "traffic.packet_bytes"));
    rig_free(&f.r);

    tcp_params(&f, "sriov", "inter_vm");
    ptfx_set(&f, "traffic.vms", "2");
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), -1);
    ck_assert(strstr(e.msg, "traffic.msg_bytes") && strstr(e.msg, "inter_vm"));
    rig_free(&f.r);
}
END_TEST

/* Jumbo frames (MTU 9000: 9018-byte frames, 8948 bytes of TCP payload each) in
 * buffers that hold them: a 64 KiB segment is seven frames, each received frame is one
 * buffer's DMA, and the receiver's per-frame work (the driver, GRO) is paid once per
 * 8948 bytes instead of 1448, so its core spends fewer cycles per byte; Xen's netback
 * grant-copies one a page at a time. A frame no buffer holds is refused, naming the
 * buffer. */
START_TEST(test_jumbo_frames)
{
    double cyc_per_byte[2];
    for (int jumbo = 0; jumbo < 2; jumbo++) {
        ptfx f;
        tcp_params(&f, "native", "stream_rx");
        ptfx_set(&f, "nic.line_gbps", "40");
        if (jumbo) {
            ptfx_set(&f, "traffic.packet_bytes", "9018");
            ptfx_set(&f, "nicdrv.buf_bytes", "9216");
        }
        ptfx_build(&f);
        ptfx_run(&f, 300, 1000);
        double in = stat(&f, "net.delivered"), bytes = stat(&f, "net.delivered_bytes");
        ck_assert(in > 500);
        if (jumbo) {
            ck_assert_double_eq(bytes / in, 9014); /* the frame less its FCS */
            double per_seg = in / stat(&f, "net.gro_flushes");
            ck_assert_msg(per_seg > 2 && per_seg <= 7, "%g frames a segment", per_seg);
        }
        double payload = bytes - 66.0 * in;
        cyc_per_byte[jumbo] = stat(&f, "cpu.guest_cycles") / payload;
        ptfx_free(&f);
    }
    ck_assert_msg(cyc_per_byte[1] < 0.8 * cyc_per_byte[0], "%g cycles a byte with jumbo "
                  "frames, %g with MTU frames", cyc_per_byte[1], cyc_per_byte[0]);

    /* Netback grant-copies a jumbo datagram into the guest a 4 KiB page at a time: three
     * operations for a 9014-byte frame. */
    ptfx f;
    ptfx_params(&f, "devdomain", "stream_rx");
    ptfx_set(&f, "traffic.packet_bytes", "9018");
    ptfx_set(&f, "nicdrv.buf_bytes", "9216");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double copies = stat(&f, "net.copies"), ops = stat(&f, "net.grant_copies");
    ck_assert(copies > 10);
    ck_assert_double_eq(ops, 3 * copies);
    ptfx_free(&f);

    tcp_params(&f, "sriov", "stream_tx");
    ptfx_set(&f, "traffic.packet_bytes", "9018");
    ptfx_set(&f, "nicdrv.buf_bytes", "9216"); /* the PF's, not the VF driver's */
    sim_err e = {{0}};
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), -1);
    ck_assert_msg(strstr(e.msg, "vfdrv.buf_bytes"), "%s", e.msg);
    rig_free(&f.r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("paths-offload");
    TCase *tc = tcase_create("offload");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_native_tso);
    tcase_add_test(tc, test_native_gso_without_tso);
    tcase_add_test(tc, test_gso_saves_stack_passes);
    tcase_add_test(tc, test_native_gro);
    tcase_add_test(tc, test_udp_not_merged);
    tcase_add_test(tc, test_virtio_host_tso);
    tcase_add_test(tc, test_emulated_tso);
    tcase_add_test(tc, test_xen_gso_grant_pages);
    tcase_add_test(tc, test_message_bytes);
    tcase_add_test(tc, test_tsq_bounds_queueing);
    tcase_add_test(tc, test_segments_fit_rings_and_tsq);
    tcase_add_test(tc, test_sndbuf_bounds_datagram_queueing);
    tcase_add_test(tc, test_gro_holds_several_flows);
    tcase_add_test(tc, test_tcp_config_errors);
    tcase_add_test(tc, test_jumbo_frames);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
