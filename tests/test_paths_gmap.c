/* Xen netback's grant-mapped transmit on the driver-domain paths (devdomain, vmdq;
 * host/iopath/tables.c, XEN_NETBACK_TX_STEPS and XEN_NETBACK_DEALLOC): netback
 * grant-copies the first xen.tx_copy_bytes of a packet and grant-maps the rest; a packet
 * that fit the copy is answered at once, a mapped one only once the PF driver has freed
 * it after the NIC sent it, by the dealloc thread, which unmaps in batches and answers
 * netfront with at most one event per batch. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/paths_fixture.h"

/* Packets that may sit between two counters at the ends of the measured window. */
#define EDGE 8.0
/* ... and between a frame's arrival and its free: the PF driver frees sent frames in
 * its completion polls, one interrupt interval's worth at a time (15 at the window's
 * end with 132-byte frames through a driver domain). */
#define FREE_EDGE 32.0

static const char *const xen_paths[] = {"devdomain", "vmdq"};

/* The cores copy at 8 bytes a cycle, faster than the platform's: the guest, which copies
 * each frame's payload, then keeps netback's ring fuller, so that netback's answers, which
 * wait for the PF driver's frees, come back to netfront several at a time. (At the
 * platform's 4.4 a devdomain guest barely outruns netback, and an event answers about
 * two packets.) */
static void stream(ptfx *f, const char *path, const char *frame_bytes)
{
    ptfx_params(f, path, "stream_tx");
    ptfx_set(f, "traffic.packet_bytes", frame_bytes);
    ptfx_set(f, "cpu.copy_bytes_per_cycle", "8");
    ptfx_build(f);
    ptfx_run(f, 500, 1000);
}

/* A frame of 132 bytes has 128 host-side bytes: all of it fits the copy, so netback
 * maps nothing and answers it at once; one byte more and its page is mapped. */
START_TEST(test_copy_length_decides)
{
    const char *path = xen_paths[_i];
    ptfx f;
    stream(&f, path, "132");
    double out = ptfx_stat(&f, "peer.rx_frames");
    ck_assert(out > 100);
    ck_assert(fabs(ptfx_stat(&f, "net.grant_copies") - out) <= EDGE);
    ck_assert_double_eq(ptfx_stat(&f, "net.grant_maps"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "net.grant_unmaps"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "net.freed_handoffs"), 0);
    ptfx_free(&f);

    stream(&f, path, "133");
    out = ptfx_stat(&f, "peer.rx_frames");
    ck_assert(out > 100);
    ck_assert(fabs(ptfx_stat(&f, "net.grant_maps") - out) <= EDGE);
    ck_assert(fabs(ptfx_stat(&f, "net.freed_handoffs") - out) <= FREE_EDGE);
    ptfx_free(&f);
}
END_TEST

/* MTU frames: per packet one grant copy of the first 128 bytes and one map of its page
 * (xenvif_tx_build_gops); a TLB flush per 32 unmaps of a batch at least, one per
 * batch at most. Every answer waits for the PF driver's free: no more hand-offs than
 * descriptors it reclaimed, no unmap before the hand-off, and netfront's completion
 * events come in batches, far fewer than packets. */
START_TEST(test_mtu_mapped_answered_after_free)
{
    const char *path = xen_paths[_i];
    ptfx f;
    stream(&f, path, "1518");
    double out = ptfx_stat(&f, "peer.rx_frames");
    double maps = ptfx_stat(&f, "net.grant_maps"), unmaps = ptfx_stat(&f, "net.grant_unmaps");
    ck_assert(out > 200);
    ck_assert(fabs(ptfx_stat(&f, "net.grant_copies") - out) <= EDGE);
    ck_assert(fabs(ptfx_stat(&f, "net.copy_bytes") / ptfx_stat(&f, "net.copies") - 128) < 1e-9);
    ck_assert(fabs(maps - out) <= EDGE);
    double flushes = ptfx_stat(&f, "net.gnttab_flushes");
    ck_assert(flushes >= floor(unmaps / 32));
    ck_assert(flushes <= ptfx_stat(&f, "net.batches"));
    double handed = ptfx_stat(&f, "net.freed_handoffs");
    ck_assert(fabs(handed - out) <= 2 * EDGE);
    ck_assert(handed <= ptfx_stat(&f, "nicdrv.pf.tx_cleaned") + EDGE);
    /* Unmapped only once handed over; the dealloc thread, on netback's busy core, may
     * hold up to a ring of them. */
    ck_assert(unmaps <= handed + EDGE);
    ck_assert(unmaps >= handed - (double)sim_params_uint(f.r.p, "xen.ring_entries"));
    double sent = ptfx_stat(&f, "net.sent");
    ck_assert_msg(ptfx_stat(&f, "net.slot_notifies") < 0.4 * sent,
                  "%s: %g completion events for %g packets", path,
                  ptfx_stat(&f, "net.slot_notifies"), sent);
    ptfx_free(&f);
}
END_TEST

/* The same load with the copy long enough for the whole frame: no map, every packet
 * answered by netback at once. */
START_TEST(test_long_copy_answers_at_once)
{
    const char *path = xen_paths[_i];
    ptfx f;
    ptfx_params(&f, path, "stream_tx");
    ptfx_set(&f, "traffic.packet_bytes", "1518");
    ptfx_set(&f, "xen.tx_copy_bytes", "1514");
    ptfx_build(&f);
    ptfx_run(&f, 500, 1000);
    double out = ptfx_stat(&f, "peer.rx_frames");
    ck_assert(out > 200);
    ck_assert_double_eq(ptfx_stat(&f, "net.grant_maps"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "net.freed_handoffs"), 0);
    ck_assert(fabs(ptfx_stat(&f, "net.copy_bytes") / ptfx_stat(&f, "net.copies") - 1514) < 1e-9);
    ptfx_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("paths-gmap");
    TCase *tc = tcase_create("gmap");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_copy_length_decides, 0, 2);
    tcase_add_loop_test(tc, test_mtu_mapped_answered_after_free, 0, 2);
    tcase_add_loop_test(tc, test_long_copy_answers_at_once, 0, 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
