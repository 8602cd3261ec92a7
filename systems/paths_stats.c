/* The paths workload's statistics and metrics: what a point reports (paths_sys.h). */
#include "systems/paths_sys.h"

#include <stdio.h>
#include <stdlib.h>

#include "host/cpu.h"
#include "host/halt.h"
#include "host/hv.h"

/* net.breakdown's categories, in iopath's IOPATH_BD_* order, and what each counts. */
static const char *const bd_cats[IOPATH_BD_CATS] = {
    "guest", "hypervisor", "host", "nic", "pcie", "iommu", "memory", "wire", "remote", "wait"};
static const char *const bd_descs[IOPATH_BD_CATS] = {
    "the packet's own steps' CPU work in a guest (native: the application's kernel)",
    "the packet's own steps' CPU work in the hypervisor (exits, injection, hypercalls, "
    "grant copies)",
    "the packet's own steps' CPU work in the host or driver domain (device models, vhost, "
    "netback, the switch, the PF driver)",
    "the NIC's own part of its DMA: its latency before a request, a descriptor still on its "
    "way",
    "the PCIe link (its TLPs from their start on the wire to their arrival) and the root "
    "complex's latency",
    "the IOMMU's translation of its DMA (IOTLB, walks)",
    "memory's part of its DMA (the LLC or DRAM)",
    "the wire: serialisation at the line rate and propagation, both ways",
    "the link partner's turnaround (peer.turnaround_ns)",
    "waiting: queues, notifications, interrupt moderation and delivery, wake-ups, and any "
    "other work between its own steps"};
_Static_assert(IOPATH_BD_CATS <= SIM_BREAKDOWN_MAX_CATS, "the breakdown holds every category");

/* ---------------------------------------------------------------- metrics */

static double elapsed_s(const sim_stats *s) { return (double)sim_stats_elapsed_ps(s) / 1e12; }

static double pkts(const paths_sys *sys)
{
    nic_partner_counters pc = nic_partner_get_counters(sys->peer);
    return (double)(pc.rx_frames + sys->io.c.delivered);
}

static double bytes(const paths_sys *sys)
{
    nic_partner_counters pc = nic_partner_get_counters(sys->peer);
    return (double)(pc.rx_bytes + sys->io.c.delivered_bytes);
}

static double per_s(const sim_stats *s, double x)
{
    double el = elapsed_s(s);
    return el > 0 ? x / el : 0.0;
}

static double per_pkt(const paths_sys *sys, double x)
{
    double k = pkts(sys);
    return k > 0 ? x / k : 0.0;
}

static double m_gbps(const sim_stats *s, void *ctx) { return per_s(s, bytes(ctx) * 8.0) / 1e9; }
static double m_mpps(const sim_stats *s, void *ctx) { return per_s(s, pkts(ctx)) / 1e6; }

/* Farshin et al.'s IOTLB-MISS-PERMIB, one miss per page walk: a request that finds the
 * walk of its page under way (iommu.walks_merged) is not another miss, as their "one
 * miss per half-page buffer pair" arithmetic counts. Over the MiB delivered. */
static double m_walks_per_mib(const sim_stats *s, void *ctx)
{
    double misses = 0, mib = bytes(ctx) / (1 << 20);
    sim_stats_get(s, "iommu.walks", &misses);
    return mib > 0 ? misses / mib : 0.0;
}


/* Frames the VMs sent reach the partner: their latency, creation to last bit at the
 * far end, joins the application-level latency (requests are timed at their response
 * instead). */
void paths_on_partner_rx(void *ctx, const nic_pkt *p, uint64_t arrival_ps)
{
    paths_sys *sys = ctx;
    if (p->kind == NIC_PKT_DATA && arrival_ps >= p->born_ps) {
        sim_hist_add(sys->io.lat, arrival_ps - p->born_ps);
        if (sys->bd && p->trace_id)
            sim_breakdown_end(sys->bd, p->trace_id, arrival_ps);
    }
}

/* Cycles the poll-mode threads of `w` spun in the window without booking them: a
 * spinner's core (halt_add_spinner) is its thread's all the time, and what its work
 * and the spins booked when a packet ended an empty look (cpu_spin_idle) leave of the
 * window is spinning too. A guest's (a DPDK application's) spinner is its lane's
 * core; the host's are the rest. */
static double unbooked_spin_cycles(const sim_stats *s, const paths_sys *sys, cpu_who w)
{
    const iopath *io = &sys->io;
    double el = (double)sim_stats_elapsed_ps(s), ps = 0;
    unsigned cores = cpu_cores(io->cpu);
    for (unsigned c = 0; c < cores; c++) {
        if (!halt_is_spinner(io->halt, c))
            continue;
        bool guest = false;
        for (unsigned i = 0; sys->cfg.poll && i < sys->napp && !guest; i++)
            guest = io->lane[i].vcpu_core == c;
        if ((w == CPU_GUEST) != guest)
            continue;
        double idle = el - (double)cpu_core_busy_ps(io->cpu, c);
        if (idle > 0)
            ps += idle;
    }
    return ps * cpu_ghz(io->cpu) / 1000.0;
}

static double who_per_pkt(const sim_stats *s, const paths_sys *sys, cpu_who w)
{
    double spun = w == CPU_HYPERVISOR ? 0 : unbooked_spin_cycles(s, sys, w);
    return per_pkt(sys, (double)cpu_cycles(sys->io.cpu, w) + spun);
}

static double m_guest_cyc(const sim_stats *s, void *ctx) { return who_per_pkt(s, ctx, CPU_GUEST); }

static double m_hv_cyc(const sim_stats *s, void *ctx) { return who_per_pkt(s, ctx, CPU_HYPERVISOR); }
static double m_host_cyc(const sim_stats *s, void *ctx) { return who_per_pkt(s, ctx, CPU_HOST); }

static double m_exits(const sim_stats *s, void *ctx)
{
    return per_s(s, (double)hv_exits_total(((paths_sys *)ctx)->io.hv));
}

static double m_ipis(const sim_stats *s, void *ctx)
{
    return per_s(s, (double)hv_ipis_sent(((paths_sys *)ctx)->io.hv));
}

static double m_irqs(const sim_stats *s, void *ctx)
{
    return per_s(s, (double)((paths_sys *)ctx)->io.c.irqs);
}

static double m_copies(const sim_stats *s, void *ctx)
{
    (void)s;
    return per_pkt(ctx, (double)((paths_sys *)ctx)->io.c.copies);
}

static double core_cycles(const sim_stats *s, const paths_sys *sys)
{
    return elapsed_s(s) * cpu_ghz(sys->io.cpu) * 1e9;
}

/* How long core c is busy within the window: the work on it (where it lies, not when
 * it was booked: host/cpu.h), or all the time for a vCPU that never halts
 * (hv.vcpu_halt = false): a host sees its core busy whatever it runs. */
static double core_busy_ps(const sim_stats *s, const paths_sys *sys, unsigned c)
{
    return halt_spins(sys->io.halt, c) ? (double)sim_stats_elapsed_ps(s)
                                       : (double)cpu_core_busy_ps(sys->io.cpu, c);
}

/* The cores of lane l's vCPUs, its queue's and (place.app = own) its application's;
 * native: its application thread's core. Returns how many (1 or 2). */
static unsigned lane_vcpu_cores(const iopath *io, unsigned l, unsigned core[2])
{
    const iopath_lane *ln = &io->lane[l];
    core[0] = ln->app_core;
    if (io->path->nic_owner == PATH_NIC_APP || ln->vcpu_core == ln->app_core)
        return 1;
    core[1] = ln->vcpu_core;
    return 2;
}

/* The mean share of its core each vCPU keeps busy: the guest, the exits it takes, and
 * host work that runs on the vCPU's thread (QEMU's device model); native: each
 * application thread's core. */
static double m_vm_util(const sim_stats *s, void *ctx)
{
    paths_sys *sys = ctx;
    double el = (double)sim_stats_elapsed_ps(s), busy = 0;
    unsigned n = 0, core[2];
    for (unsigned i = 0; i < sys->napp; i++)
        for (unsigned k = 0, m = lane_vcpu_cores(&sys->io, i, core); k < m; k++, n++)
            busy += core_busy_ps(s, sys, core[k]);
    return el > 0 && n ? busy / (el * n) : 0.0;
}

/* Cycles every core ran, whoever ran them (halt polling counts: hypervisor cycles). */
static double all_cycles(const paths_sys *sys)
{
    double used = 0;
    for (int w = 0; w < CPU_WHO_COUNT; w++)
        used += (double)cpu_cycles(sys->io.cpu, (cpu_who)w);
    return used;
}

/* Cores' worth of work, everyone's, without halt polling, KVM's or the guest's (which a
 * host sees as busy), or the idle loops of vCPUs that never halt: what the packets cost. */
static double m_cores_working_per_vm(const sim_stats *s, void *ctx)
{
    paths_sys *sys = ctx;
    double c = core_cycles(s, sys);
    double used =
        all_cycles(sys) - (double)halt_polled_ps(sys->io.halt) * cpu_ghz(sys->io.cpu) / 1000.0;
    return c > 0 && sys->io.vms ? (used > 0 ? used : 0) / c / sys->io.vms : 0.0;
}

/* The cores' utilisations added up: how many cores the work keeps busy. */
static double m_cores_busy(const sim_stats *s, void *ctx)
{
    paths_sys *sys = ctx;
    double el = (double)sim_stats_elapsed_ps(s), busy = 0;
    for (unsigned c = 0; c < cpu_cores(sys->io.cpu); c++)
        busy += core_busy_ps(s, sys, c);
    return el > 0 ? busy / el : 0.0;
}

/* Fixed costs per VM (its vCPU's timer ticks, the host's on its cores) make this fall
 * more slowly than 1/VMs at a constant offered load. */
static double m_cores_per_vm(const sim_stats *s, void *ctx)
{
    return m_cores_busy(s, ctx) / ((paths_sys *)ctx)->io.vms;
}

static double m_drops(const sim_stats *s, void *ctx)
{
    (void)s;
    paths_sys *sys = ctx;
    nic_fn_counters c = nic_get_counters(sys->nic);
    uint64_t d = c.rx_no_desc_drops + c.rx_overflow_drops + c.spoof_drops + c.link_drops +
                 c.dma_errors + sys->io.c.queue_drops; /* the driver's refusals: qdisc_drops */
    for (unsigned i = 0; i < sys->n_drv_ctr; i++)
        d += sys->drv_ctr[i].qdisc_drops;
    return (double)d;
}

/* Gauges: what waits now. */
static double g_stage_queued(const sim_stats *s, void *ctx)
{
    (void)s;
    const iopath *io = &((const paths_sys *)ctx)->io;
    double n = 0;
    for (unsigned l = 0; l < io->nlanes; l++)
        for (unsigned k = 0; k < PATH_MAX_STAGES; k++)
            if (io->lane[l].stage[k])
                n += io->lane[l].stage[k]->len;
    return n;
}

static double g_nic_rx_queued(const sim_stats *s, void *ctx)
{
    (void)s;
    return (double)nic_rx_queued_frames(((const paths_sys *)ctx)->nic);
}

/* vCPUs (native: application threads) halted now, all of them or those that poll
 * (halt_polls) or sleep: the lanes' cores, each once. */
typedef enum { HALTED_ALL, HALTED_POLLING, HALTED_BLOCKED } halted_which;

static double vcpus_halted(const paths_sys *sys, halted_which which)
{
    const iopath *io = &sys->io;
    if (!io->halt)
        return 0;
    uint64_t now = sim_now_ps(io->kernel);
    double n = 0;
    for (unsigned l = 0; l < io->nlanes; l++) {
        unsigned cores[2], m = lane_vcpu_cores(io, l, cores);
        for (unsigned j = 0; j < m; j++) {
            unsigned core = cores[j], other[2];
            bool seen = false;
            for (unsigned k = 0; k < l && !seen; k++)
                for (unsigned i = 0, o = lane_vcpu_cores(io, k, other); i < o; i++)
                    seen |= other[i] == core;
            if (seen || !halt_idle(io->halt, core, now))
                continue;
            bool polls = which != HALTED_ALL && halt_polls(io->halt, core, now);
            n += which == HALTED_ALL || polls == (which == HALTED_POLLING);
        }
    }
    return n;
}

static double g_vcpus_halted(const sim_stats *s, void *ctx)
{
    (void)s;
    return vcpus_halted(ctx, HALTED_ALL);
}
static double g_vcpus_polling(const sim_stats *s, void *ctx)
{
    (void)s;
    return vcpus_halted(ctx, HALTED_POLLING);
}
static double g_vcpus_blocked(const sim_stats *s, void *ctx)
{
    (void)s;
    return vcpus_halted(ctx, HALTED_BLOCKED);
}

void paths_register_stats(paths_sys *sys, sim_stats *st)
{
    sim_stats_gauge(st, "net.stage_queued", g_stage_queued, sys,
                    "items waiting in the stages' queues of every lane (rings between stages: "
                    "virtqueues, netfront's, the device model's), now");
    sim_stats_gauge(st, "nic.rx_queued_frames", g_nic_rx_queued, sys,
                    "frames in the NIC's receive pipeline waiting for their DMA, now");
    sim_stats_gauge(st, "net.vcpus_halted", g_vcpus_halted, sys,
                    "VMs' vCPUs (native: application threads) halted now: polling or blocked "
                    "after a HLT, their work done");
    sim_stats_gauge(st, "net.vcpus_polling", g_vcpus_polling, sys,
                    "halted vCPUs that poll now: in KVM's halt-polling window (its HLT exit "
                    "included) or the guest's idle loop (guest.haltpoll); their cores busy");
    sim_stats_gauge(st, "net.vcpus_blocked", g_vcpus_blocked, sys,
                    "halted vCPUs (native: threads) that sleep now, past any polling: their "
                    "cores idle until a wake-up");
#define C(field, desc) sim_stats_counter(st, "net." #field, &sys->io.c.field, desc)
    C(sent, "frames the applications sent");
    C(delivered, "frames applications received");
    C(delivered_bytes, "host-side bytes applications received");
    C(copies, "packet copies by a CPU (device model, vhost, grant copy): frames or segments");
    C(copy_bytes, "bytes copied");
    C(grant_copies, "grant copy operations");
    C(grant_maps, "grant map operations");
    C(grant_unmaps, "grant unmap operations");
    C(gnttab_flushes, "TLB flushes of grant unmap hypercalls");
    C(freed_handoffs, "items handed on once the NIC driver freed their packet (zerocopy)");
    C(switched, "packets (frames or segments) through the virtual switch");
    C(segments, "segments of more than one frame the applications' stacks built (GSO)");
    C(sw_segmented, "frames cut from segments in software (GSO, an emulated device)");
    C(tso_segments, "segments handed to a NIC's segmentation offload");
    C(gro_merged, "received frames GRO merged into a segment it held");
    C(gro_flushes, "segments (or single frames) GRO passed up to the stack");
    C(notifies, "hand-offs that notified a sleeping stage");
    C(notifies_suppressed, "hand-offs to a running stage, without notification");
    C(slot_notifies, "notifications of a stage that frees senders' ring slots (netfront's "
                     "completions, the e1000's, vhost's transmit)");
    C(batches, "batches stage threads began: NAPI polls, vhost, netback and device-model runs");
    C(irqs, "interrupts taken by CPUs (the host's and virtual ones)");
    C(irq_blocked, "interrupt messages blocked by interrupt remapping");
    C(queue_drops, "items dropped at a full stage queue (ring)");
    C(xmit_drops, "packets the NIC driver's full backlog refused");
    C(misdelivered, "frames that reached an application they were not addressed to");
    C(sender_blocks, "times a sender found its ring or NIC queue full");
    C(acks_sent, "pure TCP acknowledgements the receivers of TCP-like streams sent");
    C(window_updates, "of net.acks_sent, those a reader sent because what it read reopened a "
                      "window that had shrunk to half or less (tcp_cleanup_rbuf)");
    C(ack_drops, "pure TCP acknowledgements that found their lane's transmit ring full");
    C(acks_received, "pure TCP acknowledgements from the link partner (peer.rx_poll_frames) "
                     "the senders' stacks took");
    C(backlogged, "received packets the softirq put on their socket's backlog, its reader on "
                  "another core holding the socket (place.app = own); the reader ran the "
                  "socket's part of the stack for them");
#undef C
    sim_stats_counter(st, "net.cfg_passed", &sys->vpci.passed,
                      "guest configuration accesses passed to the device");
    sim_stats_counter(st, "net.cfg_emulated", &sys->vpci.emulated,
                      "guest configuration accesses emulated by the hypervisor");
    sim_stats_counter(st, "net.cfg_discarded", &sys->vpci.discarded,
                      "guest configuration accesses discarded by the hypervisor");
    if (sys->cfg.path == PATH_VDPA) {
        sim_stats_counter(st, "vdpa.ctrl_accesses", &sys->vdpactl.accesses,
                          "trapped accesses of the vDPA devices' virtio common configuration "
                          "QEMU emulated as the guests brought them up, each an exit to user "
                          "space");
        sim_stats_counter(st, "vdpa.vhost_ioctls", &sys->vdpactl.ioctls,
                          "ioctls QEMU made on the vhost-vdpa devices to start them");
    }
    if (sys->cfg.path == PATH_SIOV) {
        sim_stats_counter(st, "siov.virtchnl_requests", &sys->vdcm.requests,
                          "virtchnl requests the guests' drivers sent to the host's VDCM");
        sim_stats_counter(st, "siov.vdcm_accesses", &sys->vdcm.accesses,
                          "trapped accesses of the ADIs' slow-path registers the VDCM "
                          "emulated, each an exit to host user space");
    }
    sys->io.lat = sim_stats_hist(st, "net.latency_ps", "ps",
                                 "application-level latency of the frames that arrived in the "
                                 "window: a sent frame from its application to its last bit at "
                                 "the link partner, a received one from the partner to its "
                                 "application, inter_vm application to application, rr a "
                                 "request's send to its response's arrival");
    /* What arrived: frames at the link partner (sent by the VMs) and frames delivered to
     * an application (from the partner or another VM). */
    sim_stats_metric(st, "throughput_gbps", "Gb/s", m_gbps, sys,
                     "host-side bits (Ethernet header and payload; no FCS, preamble or gap) "
                     "of the frames that reached the link partner or an application in the "
                     "window, per ns of it: both directions added, so bidir and rr count "
                     "what the VMs sent and what they received (rr: requests and responses; "
                     "up to twice the line rate)");
    sim_stats_metric(st, "throughput_mpps", "Mpps", m_mpps, sys,
                     "frames that reached the link partner or an application in the window "
                     "(as throughput_gbps counts them), per us of it");
    sim_stats_mean_metric(st, "latency_ns_mean", "ns", sys->io.lat, 1000.0,
                          "mean of net.latency_ps (application level: a sent frame to the "
                          "partner, a received one to its application, rr request to "
                          "response), over the frames that arrived in the window");
    sim_stats_quantile_metric(st, "latency_ns_p50", "ns", sys->io.lat, 0.5, 1000.0,
                              "median of net.latency_ps (as latency_ns_mean)");
    sim_stats_quantile_metric(st, "latency_ns_p99", "ns", sys->io.lat, 0.99, 1000.0,
                              "99th percentile of net.latency_ps (as latency_ns_mean)");
    sim_stats_quantile_metric(st, "latency_ns_p999", "ns", sys->io.lat, 0.999, 1000.0,
                              "99.9th percentile of net.latency_ps (as latency_ns_mean)");
    sim_stats_metric(st, "guest_cycles_per_pkt", "cycles per packet", m_guest_cyc, sys,
                     "cycles booked in the window by guests (native: the applications and "
                     "their driver), and the rest of the window on a poll-mode guest's or "
                     "DPDK application's spinning core, per frame counted by throughput_mpps");
    sim_stats_metric(st, "hv_cycles_per_pkt", "cycles per packet", m_hv_cyc, sys,
                     "cycles booked in the window by the hypervisor (exits, interrupt "
                     "injection, hypercalls, grant copies, KVM's halt polling), per frame "
                     "counted by throughput_mpps");
    sim_stats_metric(st, "host_cycles_per_pkt", "cycles per packet", m_host_cyc, sys,
                     "cycles booked in the window by the host or driver domain (device "
                     "models, vhost, netback, the switch, the PF driver), and the rest of the "
                     "window on the host's spinning poll-mode cores (vhost-user's PMD "
                     "threads), per frame counted by throughput_mpps");
    sim_stats_metric(st, "exits_per_sec", "per second", m_exits, sys,
                     "VM exits of every reason in the window (the timer ticks' too), per "
                     "second of it");
    sim_stats_metric(st, "irqs_per_sec", "per second", m_irqs, sys,
                     "I/O interrupts CPUs took in the window (physical ones to the host, "
                     "virtual ones to VMs; not the timer's), per second of it");
    sim_stats_metric(st, "ipis_per_sec", "per second", m_ipis, sys,
                     "IPIs the host sent in the window to kick a vCPU for an interrupt that "
                     "landed on another core, per second of it");
    sim_stats_metric(st, "copies_per_pkt", "per packet", m_copies, sys,
                     "copies of a frame or segment by a CPU in the window (device model, "
                     "vhost, grant copy), per frame counted by throughput_mpps");
    sim_stats_metric(st, "vm_cpu_util", "share (0..1)", m_vm_util, sys,
                     "share of the window each VM's vCPU keeps its core busy (the guest, its "
                     "exits, host work on its thread, halt polling; a vCPU that never halts: "
                     "1), the mean over the vCPUs (one per queue pair, two with place.app = "
                     "own; native: the application threads' cores, which with place.app = "
                     "own take none of their queues' interrupt work)");
    sim_stats_metric(st, "cores_busy", "cores", m_cores_busy, sys,
                     "every core's share of the window busy, added up: how many cores the "
                     "point keeps busy, everyone's work and polling (a vCPU that never halts "
                     "counts fully)");
    sim_stats_metric(st, "cores_busy_per_vm", "cores", m_cores_per_vm, sys,
                     "cores_busy over traffic.vms (native: application threads)");
    sim_stats_metric(st, "cores_working_per_vm", "cores", m_cores_working_per_vm, sys,
                     "cycles every party booked in the window less halt polling (KVM's and "
                     "the guest's) and idle spinning, over the window's cycles of one core, "
                     "per VM: what the packets and the fixed costs take");
    sim_stats_metric(st, "drops", "packets", m_drops, sys,
                     "packets lost in the window: NIC drops (no receive descriptor, buffer "
                     "full, anti-spoofing, link down, transmit DMA refused), items dropped at "
                     "full stage queues, packets the drivers' full backlogs refused");
}

void paths_register_walks_metric(paths_sys *sys)
{
    sim_stats_metric(sys->stats, "iotlb_walks_per_mib", "per MiB", m_walks_per_mib, sys,
                     "IOTLB misses that started a page walk in the window, over the MiB the "
                     "applications and the link partner received in it");
}

sim_breakdown *paths_breakdown_create(sim_stats *st)
{
    return sim_breakdown_create(st, "net.breakdown", bd_cats, bd_descs, IOPATH_BD_CATS);
}
