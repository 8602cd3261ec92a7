/* Checksum offloads on the I/O paths (host/iopath/iopath.h: iopath_csum; path.h:
 * PATH_OP_CSUM): where each path computes or checks a TCP/UDP checksum in software when
 * a device does not, at cpu.csum_bytes_per_cycle (or the emulator's own rate), and
 * segmentation offloads that go with checksum offload. A mechanism is isolated by
 * running a point twice, the software checksum slow (1 byte per cycle) and free (a
 * rate no packet costs a cycle at): everything else is the same, so the difference in
 * cycles per frame is the checksums' bytes. Where the slower checksum would make a
 * saturated thread the bottleneck (and change how the path batches), the point runs
 * at an offered rate below what either run sustains. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/paths_fixture.h"

/* MTU frames: 1514 host-side bytes; a checksum covers what follows Ethernet and IPv4,
 * 1480 bytes (a UDP header and 1472 of payload, or a TCP header with timestamps and a
 * 1448-byte MSS); a datagram socket copies the 1472. */
#define L4 1480.0
#define UDP_PAYLOAD 1472.0
/* The copy of a datagram's payload at cpu.copy_bytes_per_cycle (4.4, the platform's): a
 * copy that also sums at 1 byte per cycle takes the sum's time instead, 1480 - 335
 * cycles more. */
#define COPY (UDP_PAYLOAD / 4.4)
/* TCP-like 64 KiB messages: 45 frames of 1448 bytes of payload and one of 376, whose
 * checksums cover 32 bytes of TCP header more each. */
#define TCP_L4_PER_FRAME ((45.0 * L4 + 408.0) / 46.0)

#define SLOW "1"
#define FREE "1e12"

typedef struct point {
    const char *path, *pattern;
    bool tcp;
    const char *const *set; /* NAME, VALUE pairs, NULL-terminated; NULL: none */
    const char *offered_gbps; /* NULL: as fast as the path goes, over 1 ms; else 5 ms */
} point;

/* Runs the point with the kernel's checksum rate `rate` (and the emulator's `emu_rate`),
 * and returns the stat `name`. */
static double run_point(const point *pt, const char *rate, const char *emu_rate,
                        const char *name)
{
    ptfx f;
    ptfx_params(&f, pt->path, pt->pattern);
    ptfx_set(&f, "traffic.packet_bytes", "1518");
    if (pt->tcp)
        ptfx_set(&f, "traffic.msg_bytes", "65536");
    if (!strcmp(pt->pattern, "inter_vm"))
        ptfx_set(&f, "traffic.vms", "2");
    ptfx_set(&f, "cpu.csum_bytes_per_cycle", rate);
    /* Every piece of work its exact cycles: the rises compare two runs' arithmetic, to
     * which the work's variation (noise.cost_sigma) adds some 5% that is not the sum's
     * (at 1 byte a cycle against free, a native MTU sender's rise is 1,160 cycles
     * without it, 1,210 with it, against 1,145 of arithmetic). */
    ptfx_set(&f, "noise.cost_sigma", "0");
    ptfx_set(&f, "emu.csum_bytes_per_cycle", emu_rate);
    for (const char *const *s = pt->set; s && s[0]; s += 2)
        ptfx_set(&f, s[0], s[1]);
    if (pt->offered_gbps)
        ptfx_set(&f, "traffic.offered_gbps", pt->offered_gbps);
    ptfx_build(&f);
    ptfx_run(&f, 300, pt->offered_gbps ? 5000 : 1000);
    double v = ptfx_stat(&f, name);
    ptfx_free(&f);
    return v;
}

/* The rise in `metric` when the kernel's checksum goes from free to 1 byte per cycle. */
static double kernel_csum_rise(const point *pt, const char *metric)
{
    return run_point(pt, SLOW, FREE, metric) - run_point(pt, FREE, FREE, metric);
}

static void assert_near(double got, double want, double rel)
{
    ck_assert_msg(fabs(got - want) <= rel * want, "%.1f, expected %.1f (within %.0f%%)", got,
                  want, 100 * rel);
}

/* Native without the NIC's checksum offload, transmit: a datagram's socket sums as it
 * copies (one pass at the slower rate); a TCP segment goes down partial, and TSO with
 * it, so each frame the stack cuts is summed on its own (skb_segment). */
START_TEST(test_native_tx_without_offload)
{
    static const char *const off[] = {"nicdrv.csum", "false", NULL};
    point udp = {"native", "stream_tx", false, off, NULL};
    assert_near(kernel_csum_rise(&udp, "guest_cycles_per_pkt"), L4 - COPY, 0.05);
    point tcp = {"native", "stream_tx", true, off, "3"};
    assert_near(kernel_csum_rise(&tcp, "guest_cycles_per_pkt"), TCP_L4_PER_FRAME, 0.10);
}
END_TEST

/* ... and receive: a datagram is checked in the copy to the application, a TCP-like
 * frame in GRO before it is merged (and without GRO in the stack). */
START_TEST(test_native_rx_without_offload)
{
    static const char *const off[] = {"nicdrv.csum", "false", NULL};
    point udp = {"native", "stream_rx", false, off, NULL};
    assert_near(kernel_csum_rise(&udp, "guest_cycles_per_pkt"), L4 - COPY, 0.05);
    point tcp = {"native", "stream_rx", true, off, NULL};
    assert_near(kernel_csum_rise(&tcp, "guest_cycles_per_pkt"), TCP_L4_PER_FRAME, 0.10);
    static const char *const no_gro[] = {"nicdrv.csum", "false", "net.gro", "false", NULL};
    point tcp_nogro = {"native", "stream_rx", true, no_gro, NULL};
    assert_near(kernel_csum_rise(&tcp_nogro, "guest_cycles_per_pkt"), TCP_L4_PER_FRAME, 0.10);
}
END_TEST

/* With the platform's offloads no path but the emulated one sums anything in
 * software: the rate changes nothing at all. */
START_TEST(test_offloads_leave_no_software_checksum)
{
    static const char *const paths[] = {"native",    "passthrough", "sriov",
                                        "paravirt",  "devdomain",   "vmdq"};
    static const struct {
        const char *pattern;
        bool tcp;
    } loads[] = {{"stream_tx", false}, {"stream_rx", false}, {"rr", false},
                 {"stream_tx", true},  {"stream_rx", true}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        for (size_t k = 0; k < sizeof loads / sizeof loads[0]; k++) {
            point pt = {paths[i], loads[k].pattern, loads[k].tcp, NULL, NULL};
            ck_assert_msg(kernel_csum_rise(&pt, "guest_cycles_per_pkt") == 0 &&
                              kernel_csum_rise(&pt, "host_cycles_per_pkt") == 0,
                          "%s %s%s sums in software", paths[i], loads[k].pattern,
                          loads[k].tcp ? " (TCP-like)" : "");
        }
    point inter = {"paravirt", "inter_vm", false, NULL, NULL};
    ck_assert_double_eq(kernel_csum_rise(&inter, "host_cycles_per_pkt"), 0);
}
END_TEST

/* Linux drops TSO from a device without checksum offload, and a virtual device's
 * segmentation offload needs its checksum offload: the sender cuts every segment. */
START_TEST(test_tso_needs_checksum_offload)
{
    static const struct {
        const char *path, *name;
    } cases[] = {{"native", "nicdrv.csum"},
                 {"sriov", "vfdrv.csum"},
                 {"paravirt", "virtio.csum"},
                 {"devdomain", "xen.csum"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *const off[] = {cases[i].name, "false", NULL};
        point pt = {cases[i].path, "stream_tx", true, off, NULL};
        double frames = run_point(&pt, FREE, FREE, "net.sent");
        ck_assert(frames > 200);
        ck_assert_double_eq(run_point(&pt, FREE, FREE, "net.tso_segments"), 0);
        /* Every frame of a segment is cut in software (edges: a segment's worth). */
        ck_assert_msg(run_point(&pt, FREE, FREE, "net.sw_segmented") > frames - 2 * 45,
                      "%s = false", cases[i].name);
    }
    /* Received segments too: without GUEST_CSUM the tap cuts what the host merged. */
    static const char *const no_guest[] = {"virtio.guest_csum", "false", NULL};
    point rx = {"paravirt", "stream_rx", true, no_guest, NULL};
    ck_assert(run_point(&rx, FREE, FREE, "net.sw_segmented") > 500);
}
END_TEST

/* The emulated e1000: the guest leaves transmit checksums to the device, and QEMU sums
 * each frame in its own code, on the host; with emu.csum off the guest sums instead. */
START_TEST(test_emulated_tx_checksum_by_qemu)
{
    point pt = {"emulated", "stream_tx", false, NULL, "0.5"};
    double host = run_point(&pt, FREE, SLOW, "host_cycles_per_pkt") -
                  run_point(&pt, FREE, FREE, "host_cycles_per_pkt");
    assert_near(host, L4, 0.05);
    double guest = run_point(&pt, FREE, SLOW, "guest_cycles_per_pkt") -
                   run_point(&pt, FREE, FREE, "guest_cycles_per_pkt");
    ck_assert(fabs(guest) < 0.05 * L4);

    static const char *const off[] = {"emu.csum", "false", NULL};
    point guest_sums = {"emulated", "stream_tx", false, off, "0.5"};
    ck_assert_double_eq(run_point(&guest_sums, FREE, SLOW, "host_cycles_per_pkt"),
                        run_point(&guest_sums, FREE, FREE, "host_cycles_per_pkt"));
    assert_near(kernel_csum_rise(&guest_sums, "guest_cycles_per_pkt"), L4 - COPY, 0.05);
}
END_TEST

/* QEMU's e1000 marks received frames "ignore checksum" (IXSM): the guest checks every
 * one, though the host's NIC checked it already. */
START_TEST(test_emulated_rx_checked_by_guest)
{
    point pt = {"emulated", "stream_rx", false, NULL, NULL};
    assert_near(kernel_csum_rise(&pt, "guest_cycles_per_pkt"), L4 - COPY, 0.05);
}
END_TEST

/* Between two virtio guests a checksum stays partial, unless the receiving guest takes
 * no partial ones: the host fills it before the tap, and that guest checks it. */
START_TEST(test_paravirt_guest_csum)
{
    static const char *const off[] = {"virtio.guest_csum", "false", NULL};
    point pt = {"paravirt", "inter_vm", false, off, "1"};
    double sent = run_point(&pt, FREE, FREE, "net.sent");
    double delivered = run_point(&pt, FREE, FREE, "net.delivered");
    ck_assert(sent > 300 && fabs(sent - delivered) < 0.05 * sent);
    /* Per frame delivered: the host's fill, and the receiving guest's check in its copy. */
    assert_near(kernel_csum_rise(&pt, "host_cycles_per_pkt"), L4, 0.10);
    assert_near(kernel_csum_rise(&pt, "guest_cycles_per_pkt"), L4 - COPY, 0.10);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("paths-csum");
    TCase *tc = tcase_create("csum");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_native_tx_without_offload);
    tcase_add_test(tc, test_native_rx_without_offload);
    tcase_add_test(tc, test_offloads_leave_no_software_checksum);
    tcase_add_test(tc, test_tso_needs_checksum_offload);
    tcase_add_test(tc, test_emulated_tx_checksum_by_qemu);
    tcase_add_test(tc, test_emulated_rx_checked_by_guest);
    tcase_add_test(tc, test_paravirt_guest_csum);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
