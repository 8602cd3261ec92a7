/* The I/O paths (workload.kind = paths): the steps each packet takes on each path match
 * the path's description (exits, copies, interrupts, DMAs counted), posted interrupts
 * remove the injection exits, a saturated core caps throughput, each path drives the
 * NIC with its driver role, and bad configurations are refused. The orderings the
 * literature predicts are in test_paths_claims.c. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/iopath/path.h"
#include "tests/paths_fixture.h"

/* Packets that may sit between two counters at the ends of the measured window (a
 * stage's batch in flight at each end), so counts taken at different steps differ by
 * up to this much. */
#define EDGE_PKTS 6

/* ---------------------------------------------------------------- native */

START_TEST(test_native_stream_tx)
{
    ptfx f;
    ptfx_params(&f, "native", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 300, 500);
    double sent = ptfx_stat(&f, "net.sent"), out = ptfx_stat(&f, "peer.rx_frames");
    ck_assert(out > 100);
    /* Bare metal: no exits, no copies, no switch; the application's frames leave the PF. */
    ck_assert_double_eq(ptfx_stat(&f, "throughput_mpps") > 0, 1);
    ck_assert_double_eq(ptfx_stat(&f, "exits_per_sec"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "net.copies"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "cpu.hypervisor_cycles"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "cpu.host_cycles"), 0);
    ck_assert(fabs(ptfx_stat(&f, "nic.pf.tx_frames") - out) <= 1);
    /* What left is what was sent, up to what the queue holds across the window's ends. */
    ck_assert(fabs(sent - out) <= (double)sim_params_uint(f.r.p, "net.txq_pkts"));
    /* One doorbell per packet (nicdrv.tx_batch = 1), one data read per packet. */
    ck_assert(fabs(ptfx_stat(&f, "nic.pf.doorbells") - ptfx_stat(&f, "nicdrv.pf.tx_posted")) <= 1);
    /* Every interrupt the NIC sent was taken by the host: net.irqs counts them. */
    ck_assert_double_eq(ptfx_stat(&f, "net.irqs"), ptfx_stat(&f, "nic.pf.irqs"));
    ptfx_free(&f);
}
END_TEST

/* ---------------------------------------------------------------- assigned functions */

static void check_direct_tx(ptfx *f, const char *fn)
{
    char name[64];
    double out = ptfx_stat(f, "peer.rx_frames");
    ck_assert(out > 100);
    /* Doorbells reach the BAR with no exit; nothing is copied; the only exits are the
     * interrupts' (an external-interrupt exit and an EOI exit each). */
    snprintf(name, sizeof name, "nic.%s.doorbells", fn);
    ck_assert(ptfx_stat(f, name) >= out - EDGE_PKTS);
    ck_assert_double_eq(ptfx_stat(f, "hv.exits.mmio_user"), 0);
    ck_assert_double_eq(ptfx_stat(f, "hv.exits.mmio_kernel"), 0);
    ck_assert_double_eq(ptfx_stat(f, "net.copies"), 0);
    double extint = ptfx_stat(f, "hv.exits.extint");
    snprintf(name, sizeof name, "nic.%s.irqs", fn);
    double msis = ptfx_stat(f, name);
    ck_assert(msis > 0);
    ck_assert(fabs(extint - msis) <= 1);
    ck_assert_double_eq(ptfx_stat(f, "hv.exits.eoi"), extint);
    ck_assert_double_eq(ptfx_stat(f, "hv.irqs_injected"), extint);
    /* Every DMA was translated through the VM's domain. */
    double tr = ptfx_stat(f, "iommu.translations");
    ck_assert(tr >= 2 * out);
    ck_assert_double_eq(ptfx_stat(f, "iommu.iotlb_hits") + ptfx_stat(f, "iommu.iotlb_misses"), tr);
    ck_assert_double_eq(ptfx_stat(f, "iommu.faults_total"), 0);
}

START_TEST(test_sriov_stream_tx_exit_interrupts)
{
    ptfx f;
    ptfx_params(&f, "sriov", "stream_tx");
    ptfx_set(&f, "traffic.vms", "2");
    ptfx_set(&f, "io.irq_affinity", "vcpu"); /* one exit per interrupt, on its own vCPU */
    /* Running vCPUs: an interrupt that wakes a halted one takes no exit (test_halt.c). */
    ptfx_set(&f, "hv.vcpu_halt", "false");
    ptfx_build(&f);
    ptfx_run(&f, 300, 500);
    ck_assert(ptfx_stat(&f, "nic.vf0.tx_frames") > 50 && ptfx_stat(&f, "nic.vf1.tx_frames") > 50);
    ck_assert_double_eq(ptfx_stat(&f, "nic.pf.tx_frames"), 0);
    double out = ptfx_stat(&f, "peer.rx_frames");
    ck_assert(fabs(ptfx_stat(&f, "nic.vf0.tx_frames") + ptfx_stat(&f, "nic.vf1.tx_frames") - out) <= 1);
    /* The per-VF checks, both VFs together. */
    double extint = ptfx_stat(&f, "hv.exits.extint");
    ck_assert(fabs(extint - ptfx_stat(&f, "nic.vf0.irqs") - ptfx_stat(&f, "nic.vf1.irqs")) <= 2);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.eoi"), extint);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.mmio_user") + ptfx_stat(&f, "hv.exits.mmio_kernel"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "net.copies"), 0);
    ck_assert(ptfx_stat(&f, "iommu.translations") >= 2 * out);
    ck_assert_double_eq(ptfx_stat(&f, "iommu.faults_total"), 0);
    ptfx_free(&f);
}
END_TEST

START_TEST(test_passthrough_stream_tx)
{
    ptfx f;
    ptfx_params(&f, "passthrough", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 300, 500);
    check_direct_tx(&f, "pf");
    ptfx_free(&f);
}
END_TEST

/* Head register reads per transmitted packet asked of driver role `prefix` on `path`:
 * the reads its driver (whose counters are nicdrv.`fn`.*) made per packet posted. */
static double head_reads_per_pkt(const char *path, const char *prefix, const char *fn)
{
    ptfx f;
    char name[64];
    ptfx_params(&f, path, "stream_tx");
    snprintf(name, sizeof name, "%s.tx_head_read_pkts", prefix);
    ptfx_set(&f, name, "1");
    ptfx_build(&f);
    ptfx_run(&f, 100, 200);
    snprintf(name, sizeof name, "nicdrv.%s.tx_posted", fn);
    double posted = ptfx_stat(&f, name);
    ck_assert(posted > 50);
    snprintf(name, sizeof name, "nicdrv.%s.mmio_reads", fn);
    double reads = ptfx_stat(&f, name);
    ptfx_free(&f);
    return reads / posted;
}

/* An SR-IOV guest runs the VF driver (vfdrv.*), a passthrough guest the PF driver
 * (nicdrv.*): the PF driver's head reads (pcie-bench's model of it) do not reach the
 * guest VF driver, nor the other way round. */
START_TEST(test_paths_drive_the_nic_with_their_driver_role)
{
    ck_assert_double_eq(head_reads_per_pkt("sriov", "nicdrv", "vf0"), 0);
    ck_assert_double_eq_tol(head_reads_per_pkt("sriov", "vfdrv", "vf0"), 1, 0.02);
    ck_assert_double_eq(head_reads_per_pkt("passthrough", "vfdrv", "pf"), 0);
    ck_assert_double_eq_tol(head_reads_per_pkt("passthrough", "nicdrv", "pf"), 1, 0.02);
}
END_TEST

/* Posted interrupts remove the injection and EOI exits: the same interrupts arrive
 * (posted through the IOMMU's descriptors), and no exit is left (running vCPUs: a
 * halting one takes HLT exits, test_halt.c). */
START_TEST(test_posted_interrupts_remove_exits)
{
    const char *paths[] = {"passthrough", "sriov"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        ptfx_params(&f, paths[i], "rr");
        ptfx_set(&f, "hv.irq_delivery", "posted");
        ptfx_set(&f, "hv.vcpu_halt", "false");
        ptfx_build(&f);
        ptfx_run(&f, 300, 500);
        double irqs = ptfx_stat(&f, "net.irqs");
        ck_assert(irqs > 10);
        ck_assert_double_eq(ptfx_stat(&f, "hv.irqs_posted"), irqs);
        ck_assert_double_eq(ptfx_stat(&f, "iommu.irq_posted"), irqs);
        ck_assert_double_eq(ptfx_stat(&f, "hv.irqs_injected"), 0);
        ck_assert_double_eq(ptfx_stat(&f, "exits_per_sec"), 0);
        ck_assert_double_eq(ptfx_stat(&f, "hv_cycles_per_pkt"), 0);
        ptfx_free(&f);

        ptfx_params(&f, paths[i], "rr");
        ptfx_set(&f, "hv.vcpu_halt", "false");
        ptfx_build(&f);
        ptfx_run(&f, 300, 500);
        double injected = ptfx_stat(&f, "hv.irqs_injected");
        ck_assert(injected > 10);
        ck_assert_double_eq(ptfx_stat(&f, "hv.exits.extint"), injected);
        ck_assert_double_eq(ptfx_stat(&f, "hv.exits.eoi"), injected);
        ck_assert_double_eq(ptfx_stat(&f, "hv.irqs_posted"), 0);
        ptfx_free(&f);
    }
}
END_TEST

/* The guest's configuration accesses to an assigned function all exit; the hypervisor
 * passes, emulates or discards each, and enabling MSI-X in the guest's view enables it
 * on the device. */
START_TEST(test_config_space_exits)
{
    const char *paths[] = {"passthrough", "sriov"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        ptfx_params(&f, paths[i], "stream_tx");
        ptfx_set(&f, "noise.cost_sigma", "0"); /* exact cycles: no variation */
        ptfx_build(&f);
        double cfg = ptfx_stat(&f, "hv.exits.config");
        double pass = ptfx_stat(&f, "net.cfg_passed"), emu = ptfx_stat(&f, "net.cfg_emulated"),
               disc = ptfx_stat(&f, "net.cfg_discarded");
        ck_assert(pass > 0 && emu > 0 && disc > 0);
        ck_assert_double_eq(cfg, pass + emu + disc);
        /* Sizing six BARs takes four accesses each, all emulated. */
        ck_assert(emu >= 24);
        ck_assert_double_eq(ptfx_stat(&f, "cpu.hypervisor_cycles"),
                            cfg * (double)sim_params_uint(f.r.p, "hv.config_exit_cycles"));
        ptfx_free(&f);
    }
}
END_TEST

/* ---------------------------------------------------------------- software paths */

/* A path's steps per packet, from its description. */
static unsigned steps(path_kind k, uint8_t from, path_op op, int arg, const sim_params *p)
{
    uint64_t cost[PATH_COSTS];
    path_costs_load(p, cost);
    return path_count_per_pkt(path_get(k), from, op, arg, cost);
}

START_TEST(test_paravirt_steps)
{
    ptfx f;
    ptfx_params(&f, "paravirt", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 1000, 500);
    double out = ptfx_stat(&f, "peer.rx_frames");
    ck_assert(out > 100);
    const path_desc *d = path_get(PATH_PARAVIRT);
    /* One copy per packet (vhost, guest buffer to socket buffer), one trip through the
     * host's switch, as the description says; the copies are the host's work. */
    ck_assert_uint_eq(steps(PATH_PARAVIRT, d->tx_entry, PATH_OP_COPY, -1, f.r.p), 1);
    ck_assert(fabs(ptfx_stat(&f, "net.copies") - out) <= EDGE_PKTS);
    ck_assert(fabs(ptfx_stat(&f, "net.switched") - out) <= EDGE_PKTS);
    /* The NIC counts a frame as it sends it, the partner as it arrives: a frame on the
     * wire at an end of the window is in one count only. */
    ck_assert(fabs(ptfx_stat(&f, "nic.pf.tx_frames") - out) <= 1);
    /* Kicks are ioeventfd exits handled in the kernel, never more than one per packet,
     * and suppressed while vhost runs; no user-space exit, no interrupt to the guest
     * for transmitted packets. */
    double kicks = ptfx_stat(&f, "hv.exits.mmio_kernel");
    ck_assert(kicks <= ptfx_stat(&f, "net.sent"));
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.mmio_user"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "hv.irqs_injected") + ptfx_stat(&f, "hv.irqs_posted"), 0);
    ck_assert(ptfx_stat(&f, "host_cycles_per_pkt") > 0);
    ptfx_free(&f);

    /* Received traffic at a rate vhost keeps up with: one copy per packet again, and an
     * interrupt into the guest (irqfd) at most once per packet. */
    ptfx_params(&f, "paravirt", "stream_rx");
    ptfx_set(&f, "traffic.offered_gbps", "0.1");
    ptfx_set(&f, "hv.vcpu_halt", "false"); /* each interrupt exits a running vCPU */
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    double in = ptfx_stat(&f, "net.delivered");
    ck_assert(in > 100);
    ck_assert_double_eq(ptfx_stat(&f, "drops"), 0);
    ck_assert(fabs(ptfx_stat(&f, "net.copies") - in) <= EDGE_PKTS);
    double virqs = ptfx_stat(&f, "hv.irqs_injected");
    ck_assert(virqs > 0 && virqs <= in + 1);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.extint"), virqs);
    ptfx_free(&f);
}
END_TEST

START_TEST(test_emulated_steps)
{
    ptfx f;
    ptfx_params(&f, "emulated", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 500, 1000);
    double sent = ptfx_stat(&f, "net.sent");
    ck_assert(sent > 20);
    const path_desc *d = path_get(PATH_EMULATED);
    /* Every packet: one register write that exits to user space (TDT) and one copy by
     * the device model; every completion interrupt: the handler's register accesses,
     * each an exit to user space. */
    unsigned per_pkt = steps(PATH_EMULATED, d->tx_entry, PATH_OP_EXIT, HV_EXIT_MMIO_USER, f.r.p);
    ck_assert_uint_eq(per_pkt, 1);
    double virqs = ptfx_stat(&f, "hv.irqs_injected");
    ck_assert(virqs > 0);
    double regs = (double)sim_params_uint(f.r.p, "emu.irq_reg_exits");
    /* (An interrupt delivered at the window's end has its handler run after it.) */
    ck_assert(fabs(ptfx_stat(&f, "hv.exits.mmio_user") - (sent * per_pkt + virqs * regs)) <= regs);
    ck_assert(fabs(ptfx_stat(&f, "net.copies") - sent) <= EDGE_PKTS);
    ck_assert(fabs(ptfx_stat(&f, "net.switched") - sent) <= EDGE_PKTS);
    ptfx_free(&f);
}
END_TEST

START_TEST(test_devdomain_steps)
{
    ptfx f;
    ptfx_params(&f, "devdomain", "stream_tx");
    ptfx_build(&f);
    ptfx_run(&f, 1000, 500);
    double out = ptfx_stat(&f, "peer.rx_frames");
    ck_assert(out > 100);
    /* netback grant-copies each packet (the hypervisor's work) and bridges it to the
     * driver domain's PF driver; the PF's interrupts go to the driver domain through
     * the hypervisor. */
    ck_assert(fabs(ptfx_stat(&f, "net.grant_copies") - out) <= EDGE_PKTS);
    ck_assert_double_eq(ptfx_stat(&f, "net.grant_copies"), ptfx_stat(&f, "net.copies"));
    ck_assert(fabs(ptfx_stat(&f, "net.switched") - out) <= EDGE_PKTS);
    ck_assert(ptfx_stat(&f, "hv.exits.hypercall") > 0);
    ck_assert(ptfx_stat(&f, "hv_cycles_per_pkt") > 0);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.mmio_user") + ptfx_stat(&f, "hv.exits.mmio_kernel"), 0);
    ck_assert(ptfx_stat(&f, "hv.exits.extint") >= ptfx_stat(&f, "nic.pf.irqs") - 1);
    ptfx_free(&f);
}
END_TEST

/* A back end's batch (vhost's run, a NAPI poll) takes up to the budget of items
 * however the simulation cuts its work into events: a saturated vhost worker runs
 * batches of about nicdrv.napi_budget packets, pays its per-run cost once per batch,
 * needs no notification while it works, and its throughput does not depend on
 * net.quantum_ns. */
START_TEST(test_batches_survive_quantum)
{
    double mpps[2];
    const char *quantum[2] = {"500", "20000"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        ptfx_params(&f, "paravirt", "stream_tx");
        ptfx_set(&f, "virtio.vhost_pkt_cycles", "5000"); /* vhost is the bottleneck */
        ptfx_set(&f, "net.quantum_ns", quantum[i]);
        ptfx_build(&f);
        ptfx_run(&f, 300, 1000);
        double sent = ptfx_stat(&f, "net.sent"), batches = ptfx_stat(&f, "net.batches");
        double budget = (double)sim_params_uint(f.r.p, "nicdrv.napi_budget");
        ck_assert(sent > 200);
        ck_assert(batches > 0);
        ck_assert(sent / batches > 0.9 * budget);
        ck_assert_double_eq(ptfx_stat(&f, "net.notifies"), 0);
        mpps[i] = ptfx_stat(&f, "throughput_mpps");
        ptfx_free(&f);
    }
    ck_assert(fabs(mpps[0] / mpps[1] - 1.0) < 0.01);
}
END_TEST

/* The driver domain's throughput against netback's per-packet cost, MTU datagrams from
 * one VM: netback grant-maps them and answers netfront only after the PF driver freed
 * them, in batches from its dealloc thread (tests/test_paths_gmap.c), so the event
 * protocol's regimes no longer move throughput (they did by up to 12% while netback
 * answered each of its own batches at once): cheaper netback work never costs more
 * than 1% of throughput. */
START_TEST(test_devdomain_monotonic_in_netback_cost)
{
    static const char *const back[] = {"3000", "2000", "1400", "1060", "800", "600", "400",
                                       "200"};
    double best = 0;
    for (size_t i = 0; i < sizeof back / sizeof back[0]; i++) {
        ptfx f;
        ptfx_params(&f, "devdomain", "stream_tx");
        ptfx_set(&f, "traffic.packet_bytes", "1518");
        ptfx_set(&f, "xen.back_pkt_cycles", back[i]);
        ptfx_build(&f);
        ptfx_run(&f, 1000, 2000);
        double g = ptfx_stat(&f, "throughput_gbps");
        ck_assert_msg(g > 0.99 * best, "xen.back_pkt_cycles = %s: %.3f Gb/s, %.3f at a higher cost",
                      back[i], g, best);
        if (g > best)
            best = g;
        ptfx_free(&f);
    }
}
END_TEST

/* VM to VM: through the host's switch without touching the NIC, or through the NIC's
 * embedded switch for SR-IOV. */
START_TEST(test_inter_vm)
{
    ptfx f;
    ptfx_params(&f, "paravirt", "inter_vm");
    ptfx_set(&f, "traffic.vms", "2");
    ptfx_build(&f);
    ptfx_run(&f, 300, 500);
    double in = ptfx_stat(&f, "net.delivered");
    ck_assert(in > 50);
    ck_assert_double_eq(ptfx_stat(&f, "nic.pf.tx_frames"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "net.misdelivered"), 0);
    /* Two copies: out of the sender's ring, into the receiver's (up to the packets in
     * flight at the window's edges, about 7 at 14 us and 0.5 Mpps). */
    ck_assert(ptfx_stat(&f, "net.copies") >= 2 * in - 2 * EDGE_PKTS);
    ptfx_free(&f);

    ptfx_params(&f, "sriov", "inter_vm");
    ptfx_set(&f, "traffic.vms", "2");
    ptfx_build(&f);
    ptfx_run(&f, 300, 500);
    in = ptfx_stat(&f, "net.delivered");
    ck_assert(in > 50);
    ck_assert_double_eq(ptfx_stat(&f, "peer.rx_frames"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "net.copies"), 0);
    /* The embedded switch turns every frame a VF sent into a frame for the other VF,
     * and the VMs take them from their rings: up to a moderation interval's frames
     * (tens of microseconds, some 35 here) wait there at the window's edges. */
    double rx = ptfx_stat(&f, "nic.vf0.rx_frames") + ptfx_stat(&f, "nic.vf1.rx_frames");
    double tx = ptfx_stat(&f, "nic.vf0.tx_frames") + ptfx_stat(&f, "nic.vf1.tx_frames");
    ck_assert_double_eq(ptfx_stat(&f, "drops"), 0);
    ck_assert_msg(fabs(rx - tx) <= 2, "%.0f frames sent, %.0f received", tx, rx);
    ck_assert_msg(fabs(rx - in) <= 8 + 0.1 * in, "%.0f frames received, %.0f delivered", rx, in);
    ptfx_free(&f);
}
END_TEST

/* ---------------------------------------------------------------- cores */

/* A saturated core caps throughput: the sending core of a native stream is busy all
 * the time, and a core twice as fast sends about twice as much. */
START_TEST(test_saturated_core_caps_throughput)
{
    double mpps[2];
    const char *ghz[2] = {"2", "4"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        ptfx_params(&f, "native", "stream_tx");
        ptfx_set(&f, "cpu.ghz", ghz[i]);
        ptfx_build(&f);
        ptfx_run(&f, 300, 500);
        ck_assert(ptfx_stat(&f, "cpu.core1.util") > 0.97);
        mpps[i] = ptfx_stat(&f, "throughput_mpps");
        /* The rate is what the core's cycles allow. */
        double cyc = ptfx_stat(&f, "guest_cycles_per_pkt");
        ck_assert(fabs(mpps[i] - atof(ghz[i]) * 1e3 / cyc) < 0.05 * mpps[i]);
        ptfx_free(&f);
    }
    ck_assert(mpps[1] > 1.8 * mpps[0] && mpps[1] < 2.2 * mpps[0]);
}
END_TEST

/* A back-end that fills a guest's ring waits for its room instead of copying frames
 * the full ring then drops: flooded with 64-byte datagrams it drops nothing it has
 * copied (vhost's handle_rx stops without buffers; the tap's queue drops instead), and
 * the device model and netback wait the same way. */
START_TEST(test_backend_waits_for_the_guest_ring)
{
    const char *paths[] = {"paravirt", "emulated", "devdomain"};
    for (unsigned i = 0; i < 3; i++) {
        ptfx f;
        ptfx_params(&f, paths[i], "stream_rx");
        ptfx_build(&f);
        ptfx_run(&f, 1000, 1000);
        double copies = ptfx_stat(&f, "net.copies"), in = ptfx_stat(&f, "net.delivered");
        double drops = ptfx_stat(&f, "net.queue_drops");
        ck_assert_msg(drops > 100, "%s: %g drops, %g delivered: not overloaded", paths[i], drops, in);
        /* What was copied and is not yet delivered sits in the guest's ring (256); what
         * the window's start finds there was copied before it (a poll's batch). */
        ck_assert_msg(copies >= in - 64 && copies <= in + 256, "%s: %g copies for %g frames "
                      "delivered", paths[i], copies, in);
        ptfx_free(&f);
    }
}
END_TEST

/* The same point twice gives the same numbers. */
START_TEST(test_deterministic)
{
    double a[3], b[3];
    const char *names[3] = {"throughput_mpps", "latency_ns_p99", "host_cycles_per_pkt"};
    for (int r = 0; r < 2; r++) {
        ptfx f;
        ptfx_params(&f, "paravirt", "rr");
        ptfx_set(&f, "traffic.vms", "3");
        ptfx_build(&f);
        ptfx_run(&f, 200, 300);
        for (int i = 0; i < 3; i++)
            (r ? b : a)[i] = ptfx_stat(&f, names[i]);
        ptfx_free(&f);
    }
    for (int i = 0; i < 3; i++)
        ck_assert_double_eq(a[i], b[i]);
    ck_assert(a[0] > 0);
}
END_TEST

/* ---------------------------------------------------------------- refusals */

static void refused(const char *path, const char *pattern, const char *name, const char *value,
                    const char *needle)
{
    ptfx f;
    ptfx_params(&f, path, pattern);
    ptfx_set(&f, "traffic.vms", "2");
    if (name)
        ptfx_set(&f, name, value);
    sim_err e = {{0}};
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), -1);
    ck_assert_msg(strstr(e.msg, needle), "'%s' does not say '%s'", e.msg, needle);
    ptfx_free(&f);
}

START_TEST(test_bad_configurations)
{
    refused("passthrough", "stream_tx", "traffic.vms", "2", "whole NIC to one VM");
    refused("sriov", "stream_tx", "traffic.vms", "65", "nic.max_vfs = 64");
    refused("sriov", "stream_tx", "nic.vfs", "1", "nic.vfs = 1");
    refused("sriov", "stream_tx", "io.nic_acs", "false", "IOMMU group");
    refused("native", "stream_tx", "traffic.vms", "3", "nic.pf_queues");
    refused("passthrough", "inter_vm", "traffic.vms", "1", "inter_vm");
    refused("paravirt", "inter_vm", "traffic.vms", "1", "traffic.vms >= 2");
    /* The PF with host-owned VFs in its group. */
    ptfx f;
    ptfx_params(&f, "passthrough", "stream_tx");
    ptfx_set(&f, "io.nic_acs", "false");
    ptfx_set(&f, "nic.vfs", "4");
    sim_err e = {{0}};
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), -1);
    ck_assert(strstr(e.msg, "IOMMU group") && strstr(e.msg, "4 VFs"));
    ptfx_free(&f);
    /* Alone in its group, the PF can be assigned. */
    ptfx_params(&f, "passthrough", "stream_tx");
    ptfx_set(&f, "io.nic_acs", "false");
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), 0);
    ptfx_free(&f);
    /* An unknown path is not a value of io.path. */
    ptfx_params(&f, "native", "stream_tx");
    ck_assert_int_eq(sim_params_set(f.r.p, "io.path", "hyperloop", "test", &e), -1);
    ck_assert(strstr(e.msg, "io.path"));
    ptfx_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("paths");
    TCase *tc = tcase_create("paths");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_native_stream_tx);
    tcase_add_test(tc, test_sriov_stream_tx_exit_interrupts);
    tcase_add_test(tc, test_passthrough_stream_tx);
    tcase_add_test(tc, test_batches_survive_quantum);
    tcase_add_test(tc, test_devdomain_monotonic_in_netback_cost);
    tcase_add_test(tc, test_paths_drive_the_nic_with_their_driver_role);
    tcase_add_test(tc, test_posted_interrupts_remove_exits);
    tcase_add_test(tc, test_config_space_exits);
    tcase_add_test(tc, test_paravirt_steps);
    tcase_add_test(tc, test_emulated_steps);
    tcase_add_test(tc, test_devdomain_steps);
    tcase_add_test(tc, test_inter_vm);
    tcase_add_test(tc, test_saturated_core_caps_throughput);
    tcase_add_test(tc, test_backend_waits_for_the_guest_ring);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_bad_configurations);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
