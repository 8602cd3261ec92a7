/* The application's recvmsg (the paths' RECVMSG stage): the socket's copy to the
 * application runs on the application's thread. On the core that takes the queue's
 * interrupts (a VM's vCPU, native's default) it runs in the softirq's turn and nothing
 * wakes it; with place.app = own the application's thread has a core of its own (a
 * VM's: a second vCPU), the copy moves there, each time the reader slept the stack wakes
 * it across cores (a VM's with a reschedule IPI), and a receive stream no longer has to
 * share one core between the softirq and the copy. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/paths_fixture.h"

/* A native thread receiving a TCP-like stream of MTU frames at `gbps`; place.app
 * `app`. */
static void tcp_rx(ptfx *f, const char *gbps, const char *app)
{
    ptfx_params(f, "native", "stream_rx");
    ptfx_set(f, "traffic.msg_bytes", "65536");
    ptfx_set(f, "traffic.packet_bytes", "1518");
    ptfx_set(f, "nic.line_gbps", gbps);
    ptfx_set(f, "place.app", app);
}

static double core_cycles(const ptfx *f, unsigned core)
{
    char name[48];
    snprintf(name, sizeof name, "cpu.core%u.busy_ps", core);
    return ptfx_stat(f, name) * sim_params_double(f->r.p, "cpu.ghz") / 1000.0;
}

/* By default the thread is on its queue's core: every cycle is that core's, and the
 * stack never has to wake a reader elsewhere. */
START_TEST(test_reader_on_the_interrupt_core_by_default)
{
    ptfx f;
    tcp_rx(&f, "10", "vcpu");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    ck_assert(ptfx_stat(&f, "net.delivered") > 500);
    ck_assert_double_eq(ptfx_stat(&f, "net.notifies"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "net.backlogged"), 0);
    ck_assert(core_cycles(&f, 1) > 0);
    ck_assert_double_eq(core_cycles(&f, 2), 0);
    ptfx_free(&f);
}
END_TEST

/* A thread of its own: its core runs the copies (and the wake-ups that start them), the
 * queue's core runs the rest, and a stream the queue's core saturated alone goes
 * faster. GRO at 400 cycles a frame (the default is 94) slows the queue's core
 * enough that the reader is done with each segment before the next comes: none finds
 * the socket held, so the reader's core does only copies and wake-ups (what the
 * backlog adds is test_busy_reader_runs_the_backlog's and
 * test_backlog_moves_the_socket_part's). */
START_TEST(test_reader_on_its_own_core_takes_the_copy)
{
    ptfx same, own;
    tcp_rx(&same, "40", "vcpu");
    ptfx_set(&same, "net.gro_pkt_cycles", "400");
    ptfx_build(&same);
    ptfx_run(&same, 300, 1000);
    tcp_rx(&own, "40", "own");
    ptfx_set(&own, "net.gro_pkt_cycles", "400");
    ptfx_build(&own);
    ptfx_run(&own, 300, 1000);
    double in_same = ptfx_stat(&same, "net.delivered"), in_own = ptfx_stat(&own, "net.delivered");
    ck_assert(in_same > 1000);
    /* The queue's core was the bottleneck; without the copies it takes more frames. */
    ck_assert_msg(ptfx_stat(&same, "cpu.core1.util") > 0.99, "%g",
                  ptfx_stat(&same, "cpu.core1.util"));
    ck_assert_msg(in_own > 1.1 * in_same, "own %g frames, same %g", in_own, in_same);
    ck_assert_double_eq(ptfx_stat(&own, "net.queue_drops"), 0);

    /* The reader's core: one copy per segment the stack queued, at cpu.* rates, and a
     * wake-up each time it had gone to sleep. */
    double segs = ptfx_stat(&own, "net.gro_flushes"), wakes = ptfx_stat(&own, "net.notifies");
    double payload = ptfx_stat(&own, "net.delivered_bytes") - 66.0 * in_own;
    double copy = payload / sim_params_double(own.r.p, "cpu.copy_bytes_per_cycle") +
                  (double)sim_params_uint(own.r.p, "cpu.copy_setup_cycles") * segs;
    double want = copy + (double)sim_params_uint(own.r.p, "cpu.wakeup_cycles") * wakes;
    ck_assert_msg(wakes > 0 && wakes <= segs + 2, "%g wake-ups for %g segments", wakes, segs);
    ck_assert_double_eq(ptfx_stat(&own, "net.backlogged"), 0);
    double app = core_cycles(&own, 2);
    ck_assert_msg(fabs(app - want) <= 0.1 * want, "reader's core %g cycles, %g expected", app,
                  want);
    /* The queue's core no longer copies: per frame it spends about a copy less, but
     * for its part of each wake-up it sends (hv.ioeventfd_cycles). */
    double per_same = core_cycles(&same, 1) / in_same, per_own = core_cycles(&own, 1) / in_own;
    double waker = (double)sim_params_uint(own.r.p, "hv.ioeventfd_cycles") * wakes;
    ck_assert_msg(per_own < per_same - 0.8 * (copy - waker) / in_own,
                  "queue's core %g cycles/frame, %g with the copy", per_own, per_same);
    ptfx_free(&same);
    ptfx_free(&own);
}
END_TEST

/* Request-response: a reader on another core is woken across cores (the reschedule IPI,
 * its core's exit from idle, the switch to it) for every response, which adds about a
 * wake-up to each round trip. */
START_TEST(test_reader_on_its_own_core_is_woken_per_response)
{
    double p50[2], wakes[2];
    for (int own = 0; own < 2; own++) {
        ptfx f;
        ptfx_params(&f, "native", "rr");
        ptfx_set(&f, "place.app", own ? "own" : "vcpu");
        ptfx_build(&f);
        ptfx_run(&f, 200, 2000);
        p50[own] = ptfx_stat(&f, "net.latency_ps.p50");
        wakes[own] = ptfx_stat(&f, "net.notifies");
        double rt = ptfx_stat(&f, "net.delivered");
        ck_assert(rt > 50);
        if (own)
            ck_assert_msg(fabs(wakes[own] - rt) <= 2, "%g wake-ups, %g responses", wakes[own], rt);
        ptfx_free(&f);
    }
    ck_assert_double_eq(wakes[0], 0);
    double added_us = (p50[1] - p50[0]) / 1e6;
    ck_assert_msg(added_us > 0.5 && added_us < 5, "own core adds %g us", added_us);
}
END_TEST

/* A VM's application on the vCPU place.app = `app` gives it, in request-response from
 * `path`, with parameter `name` set to `value` (none if NULL): its statistics after
 * 3 ms. */
static void second_vcpu_rr(ptfx *f, const char *path, const char *app, const char *name,
                           const char *value)
{
    ptfx_params(f, path, "rr");
    ptfx_set(f, "place.app", app);
    if (name)
        ptfx_set(f, name, value);
    ptfx_build(f);
    ptfx_run(f, 200, 3000);
    ck_assert(ptfx_stat(f, "net.delivered") > 50);
}

/* The softirq on the queue's vCPU wakes the reader's halted vCPU for every response
 * with a reschedule IPI, whose ICR write exits (hv.exits.ipi, on the sender) before KVM
 * wakes the target: the round trip waits for that exit. None on one vCPU. */
START_TEST(test_vm_reader_on_a_second_vcpu_is_woken_by_ipi)
{
    ptfx one, own, free_ipi;
    second_vcpu_rr(&one, "sriov", "vcpu", NULL, NULL);
    second_vcpu_rr(&own, "sriov", "own", NULL, NULL);
    second_vcpu_rr(&free_ipi, "sriov", "own", "hv.ipi_cycles", "0");
    ck_assert_double_eq(ptfx_stat(&one, "hv.guest_ipis"), 0);
    double rt = ptfx_stat(&own, "net.delivered"), ipis = ptfx_stat(&own, "hv.guest_ipis");
    ck_assert_msg(fabs(ipis - rt) <= 2, "%g IPIs, %g responses", ipis, rt);
    ck_assert_double_eq(ptfx_stat(&own, "hv.exits.ipi"), ipis);
    double exit_us = (double)sim_params_uint(own.r.p, "hv.ipi_cycles") /
                     sim_params_double(own.r.p, "cpu.ghz") / 1e3;
    double p50_us = ptfx_stat(&own, "net.latency_ps.p50") / 1e6;
    double saved_us = p50_us - ptfx_stat(&free_ipi, "net.latency_ps.p50") / 1e6;
    ck_assert_msg(saved_us > 0.8 * exit_us && saved_us < 3 * exit_us,
                  "the IPI's %g us exit moves the median by %g us", exit_us, saved_us);
    double added_us = p50_us - ptfx_stat(&one, "net.latency_ps.p50") / 1e6;
    ck_assert_msg(added_us > exit_us && added_us < 20, "a second vCPU adds %g us", added_us);
    /* The guest's tick: the reader's vCPU stops it as it halts and restarts it as it
     * wakes, two MSR exits a round trip as on one vCPU; the queue's vCPU never leaves
     * its idle loop, so it stopped its tick once and writes it no more. */
    double msr_one = ptfx_stat(&one, "hv.exits.msr") / ptfx_stat(&one, "net.delivered");
    double msr_own = ptfx_stat(&own, "hv.exits.msr") / rt;
    ck_assert_msg(fabs(msr_own - msr_one) < 0.2, "tick writes a round trip: %g, one vCPU %g",
                  msr_own, msr_one);
    ptfx_free(&one);
    ptfx_free(&own);
    ptfx_free(&free_ipi);
}
END_TEST

/* A Xen guest sends the IPI on an event channel: a hypercall per round trip more, and
 * no IPI exit. */
START_TEST(test_xen_reader_on_a_second_vcpu_is_woken_by_event_channel)
{
    ptfx one, own;
    second_vcpu_rr(&one, "devdomain", "vcpu", NULL, NULL);
    second_vcpu_rr(&own, "devdomain", "own", NULL, NULL);
    double rt1 = ptfx_stat(&one, "net.delivered"), rt2 = ptfx_stat(&own, "net.delivered");
    double more = ptfx_stat(&own, "hv.exits.hypercall") / rt2 -
                  ptfx_stat(&one, "hv.exits.hypercall") / rt1;
    ck_assert_msg(fabs(more - 1) < 0.1, "%g hypercalls a round trip more", more);
    ck_assert_msg(fabs(ptfx_stat(&own, "hv.guest_ipis") - rt2) <= 2, "%g IPIs, %g responses",
                  ptfx_stat(&own, "hv.guest_ipis"), rt2);
    ck_assert_double_eq(ptfx_stat(&own, "hv.exits.ipi"), 0);
    ptfx_free(&one);
    ptfx_free(&own);
}
END_TEST

/* With the guest's own idle polling (guest.haltpoll) the reader's vCPU is still polling
 * when the response comes: the wake-up sets need_resched and sends no IPI. */
START_TEST(test_polling_vcpu_needs_no_ipi)
{
    ptfx poll;
    second_vcpu_rr(&poll, "sriov", "own", "guest.haltpoll", "true");
    double rt = ptfx_stat(&poll, "net.delivered");
    ck_assert_msg(ptfx_stat(&poll, "hv.guest_ipis") < 0.1 * rt, "%g IPIs for %g responses",
                  ptfx_stat(&poll, "hv.guest_ipis"), rt);
    ptfx_free(&poll);
}
END_TEST

/* A reader slower than the softirq (a fifth of the platform's copy rate) holds its
 * socket nearly all the time: the softirq puts nearly every segment on the backlog and
 * the reader runs the socket's part of the stack for it. One acknowledgement per
 * segment without the deferral, far fewer with it; and the reader, the bottleneck, takes
 * more with the work it saves (Dumazet's commit 133c4c0d3717: 20% more, 240,000
 * acknowledgements a second down to 40,000). */
START_TEST(test_busy_reader_runs_the_backlog)
{
    double frames[2], acks[2], segs[2];
    for (int defer = 0; defer < 2; defer++) {
        ptfx f;
        tcp_rx(&f, "40", "own");
        ptfx_set(&f, "cpu.copy_bytes_per_cycle", "1.5");
        ptfx_set(&f, "net.backlog_ack_defer", defer ? "true" : "false");
        ptfx_build(&f);
        ptfx_run(&f, 300, 1000);
        ck_assert_msg(ptfx_stat(&f, "cpu.core2.util") > 0.95, "reader %g busy",
                      ptfx_stat(&f, "cpu.core2.util"));
        segs[defer] = ptfx_stat(&f, "net.gro_flushes");
        double backlogged = ptfx_stat(&f, "net.backlogged");
        ck_assert_msg(backlogged > 0.8 * segs[defer], "%g of %g segments backlogged",
                      backlogged, segs[defer]);
        frames[defer] = ptfx_stat(&f, "net.delivered");
        acks[defer] = ptfx_stat(&f, "net.acks_sent");
        ptfx_free(&f);
    }
    ck_assert_msg(acks[0] >= 0.9 * segs[0], "%g acknowledgements for %g segments", acks[0],
                  segs[0]);
    ck_assert_msg(acks[1] < 0.5 * segs[1], "deferred: %g acknowledgements for %g segments",
                  acks[1], segs[1]);
    ck_assert_msg(frames[1] > 1.05 * frames[0], "deferred %g frames, not %g", frames[1],
                  frames[0]);
}
END_TEST

/* What the softirq leaves on the backlog is the socket's part of the stack: the
 * softirq's core spends net.sock_rcv_cycles less (and net.backlog_add_cycles more) per
 * packet it puts there, and the reader's core that much more. Without GRO, so that
 * every packet is one frame, and without the deferral, so that the acknowledgements are
 * the same in both runs. */
START_TEST(test_backlog_moves_the_socket_part)
{
    double bh[2], reader[2], share[2];
    const char *sock_rcv[2] = {"0", "1500"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        tcp_rx(&f, "5", "own");
        ptfx_set(&f, "net.gro", "false");
        ptfx_set(&f, "cpu.copy_bytes_per_cycle", "1");
        ptfx_set(&f, "net.sock_rcv_cycles", sock_rcv[i]);
        ptfx_set(&f, "net.backlog_add_cycles", "0");
        ptfx_set(&f, "net.backlog_ack_defer", "false");
        ptfx_build(&f);
        ptfx_run(&f, 300, 1000);
        double frames = ptfx_stat(&f, "nicdrv.pf.rx_pkts");
        share[i] = ptfx_stat(&f, "net.backlogged") / frames;
        bh[i] = core_cycles(&f, 1) / frames;
        reader[i] = core_cycles(&f, 2) / frames;
        ptfx_free(&f);
    }
    double moved = 1500 * share[1];
    ck_assert_msg(share[1] > 0.3, "%g of the frames backlogged", share[1]);
    ck_assert_msg(fabs((bh[0] - bh[1]) - moved) < 0.1 * moved,
                  "softirq %g -> %g cycles a frame, %g moved", bh[0], bh[1], moved);
    ck_assert_msg(fabs((reader[1] - reader[0]) - moved) < 0.1 * moved,
                  "reader %g -> %g cycles a frame, %g moved", reader[0], reader[1], moved);
}
END_TEST

/* A reader that is being woken does not hold its socket yet (it takes it again in
 * sk_wait_event once it runs): frames that come during a long wake-up are the softirq's
 * to take whole, not the backlog's. Frames every 12 us, wake-ups of about 45 us. */
START_TEST(test_waking_reader_does_not_hold_the_socket)
{
    ptfx f;
    tcp_rx(&f, "1", "own");
    ptfx_set(&f, "net.gro", "false");
    ptfx_set(&f, "cpu.wakeup_cycles", "100000");
    ptfx_build(&f);
    ptfx_run(&f, 300, 2000);
    double frames = ptfx_stat(&f, "nicdrv.pf.rx_pkts"), wakes = ptfx_stat(&f, "net.notifies");
    ck_assert_msg(frames > 100 && wakes > 10 && wakes < 0.5 * frames,
                  "%g frames, %g wake-ups", frames, wakes);
    ck_assert_msg(ptfx_stat(&f, "net.backlogged") < 0.1 * frames, "%g of %g frames backlogged",
                  ptfx_stat(&f, "net.backlogged"), frames);
    ptfx_free(&f);
}
END_TEST

/* The receive window follows what the reader has read: the acknowledgements carry it
 * (nic_pkt.read_seq), and the partner's stream may run a window ahead of it. A reader
 * a third as fast as the platform's copy falls behind its stream, and what it has not
 * read fills even the default window of 3 MiB: the stream waits on it. (Counted from
 * what the stack acknowledged instead, the window never fills here: the
 * acknowledgements keep coming while unread data piles up.) A recvmsg call that ends
 * having reopened a window shrunk to half or less sends a window update; a reader that
 * keeps up never lets the window shrink that far. */
START_TEST(test_window_follows_the_reader)
{
    for (int slow = 0; slow < 2; slow++) {
        ptfx f;
        tcp_rx(&f, slow ? "40" : "10", "own");
        if (slow)
            ptfx_set(&f, "cpu.copy_bytes_per_cycle", "1.5");
        ptfx_build(&f);
        ptfx_run(&f, 300, 2000);
        double updates = ptfx_stat(&f, "net.window_updates");
        if (slow) {
            ck_assert_msg(ptfx_stat(&f, "cpu.core2.util") > 0.9, "reader %g busy",
                          ptfx_stat(&f, "cpu.core2.util"));
            ck_assert_msg(ptfx_stat(&f, "peer.window_waits") > 0,
                          "the unread data never filled the window");
            ck_assert_msg(updates > 0 && updates <= ptfx_stat(&f, "net.acks_sent"),
                          "%g window updates of %g acknowledgements", updates,
                          ptfx_stat(&f, "net.acks_sent"));
        } else {
            ck_assert_double_eq(ptfx_stat(&f, "peer.window_waits"), 0);
            ck_assert_double_eq(updates, 0);
        }
        ptfx_free(&f);
    }
}
END_TEST

/* A read size (net.recv_bytes): tcp_recvmsg returns once it has copied that much, and
 * release_sock runs the backlog, with the deferral sending one acknowledgement for it.
 * A reader that is the bottleneck never runs dry, so it lets the socket go about once
 * per read; without a read size only when it comes to a backlog packet it has not run,
 * having copied all the last run brought: runs grow, and acknowledgements are fewer. */
START_TEST(test_read_size_releases_the_socket)
{
    const char *size[2] = {"256KiB", "0"};
    double bytes_per_ack[2];
    for (int i = 0; i < 2; i++) {
        ptfx f;
        tcp_rx(&f, "40", "own");
        ptfx_set(&f, "cpu.copy_bytes_per_cycle", "1.5");
        ptfx_set(&f, "net.recv_bytes", size[i]);
        ptfx_build(&f);
        ptfx_run(&f, 300, 2000);
        ck_assert_msg(ptfx_stat(&f, "cpu.core2.util") > 0.95, "reader %g busy",
                      ptfx_stat(&f, "cpu.core2.util"));
        double acks = ptfx_stat(&f, "net.acks_sent") - ptfx_stat(&f, "net.window_updates");
        ck_assert_msg(acks > 0, "read size %s: no acknowledgement", size[i]);
        bytes_per_ack[i] = ptfx_stat(&f, "net.delivered_bytes") / acks;
        ptfx_free(&f);
    }
    ck_assert_msg(bytes_per_ack[0] > 0.7 * 262144 && bytes_per_ack[0] < 1.3 * 262144,
                  "256 KiB reads: %g bytes per acknowledgement", bytes_per_ack[0]);
    ck_assert_msg(bytes_per_ack[1] > 2 * bytes_per_ack[0],
                  "no read size: %g bytes per acknowledgement, %g with 256 KiB reads",
                  bytes_per_ack[1], bytes_per_ack[0]);
}
END_TEST

static void refused(const char *path, const char *name, const char *value, const char *needle)
{
    ptfx f;
    ptfx_params(&f, path, "stream_rx");
    ptfx_set(&f, "place.app", "own");
    if (name)
        ptfx_set(&f, name, value);
    sim_err e = {{0}};
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), -1);
    ck_assert_msg(strstr(e.msg, needle), "'%s' does not say '%s'", e.msg, needle);
    ptfx_free(&f);
}

START_TEST(test_own_core_refused_where_it_cannot_be)
{
    refused("sriov", "cpu.cores", "2", "cpu.cores = 2");
    refused("sriov", "io.standby", "paravirt", "io.standby = paravirt");
    refused("sriov", "traffic.pattern", "stream_tx", "is for stream_rx and rr");
    refused("paravirt", "cpu.cores", "3", "beside its queue's and its back end's: 4 cores");
    refused("native", "guest.driver", "poll", "DPDK application");
    refused("native", "cpu.cores", "2", "cpu.cores = 2");
    refused("native", "traffic.pattern", "bidir", "traffic.pattern = bidir");
    refused("native", "net.sock_rcv_cycles", "2001", "cannot exceed it");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("paths-recvmsg");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_reader_on_the_interrupt_core_by_default);
    tcase_add_test(tc, test_reader_on_its_own_core_takes_the_copy);
    tcase_add_test(tc, test_reader_on_its_own_core_is_woken_per_response);
    tcase_add_test(tc, test_vm_reader_on_a_second_vcpu_is_woken_by_ipi);
    tcase_add_test(tc, test_xen_reader_on_a_second_vcpu_is_woken_by_event_channel);
    tcase_add_test(tc, test_polling_vcpu_needs_no_ipi);
    tcase_add_test(tc, test_busy_reader_runs_the_backlog);
    tcase_add_test(tc, test_backlog_moves_the_socket_part);
    tcase_add_test(tc, test_waking_reader_does_not_hold_the_socket);
    tcase_add_test(tc, test_window_follows_the_reader);
    tcase_add_test(tc, test_read_size_releases_the_socket);
    tcase_add_test(tc, test_own_core_refused_where_it_cannot_be);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
