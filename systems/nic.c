/* The NIC workload (workload.kind = nic): one SR-IOV NIC on a Gen-n PCIe link, its PF
 * driver enabling nic.vfs VFs, nicload.vms of them each driven by a guest driver with
 * nicload.queue_pairs queue pairs (nicload.vms = 0: the host's PF driver carries the
 * traffic itself, the native case), and a link partner. Traffic of nicload.frame_bytes
 * frames goes one of five ways:
 *   tx        every queue pair sends to the link partner
 *   rx        the link partner sends to every VM (its MAC), flows spread over queues
 *   bidir     both
 *   vf-to-vf  VM i sends to VM i+1 (mod the VMs) through the NIC's embedded switch
 *   rr        every queue pair sends a request and waits for the partner's response
 * at nicload.offered_gbps in total per direction, or as fast as it goes (0).
 *
 * Metrics (results.csv): throughput (of the workload's direction, and sent and received
 * apart), drops, descriptor fetches, doorbells, interrupts, PCIe bytes per packet,
 * latency (nan when nothing was received, as in tx), driver cycles per packet, and the
 * analytic limits of the direction: the wire's and pcie-bench's model of this NIC and
 * driver (nic_pcie_model_eval); each defined where it is registered (register_metrics;
 * `iovsim metrics nic` lists them). Per-VF and per-driver figures are in the stats
 * (nic.vfN.*, nicdrv.vfN.*).
 *
 * With iommu.mode other than off the root complex translates through the IOMMU: in
 * pass-through (pt) or, for strict and lazy, with one domain per function whose queue
 * memory is mapped for the whole run, as an assigned VF's VM memory is (there is no
 * per-packet map and unmap on this path); the IOMMU's metrics join the results.
 * Interrupts are delivered as addressed (no interrupt remapping on this path yet). */
#include "systems/kinds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/nic_pcie_model.h"
#include "host/nicdrv.h"
#include "host/pfdrv.h"
#include "models/iommu/iommu.h"
#include "models/nic/nic.h"
#include "models/nic/partner.h"
#include "models/pcie/rc.h"
#include "sim/alloc.h"
#include "sim/kernel.h"
#include "systems/nic_setup.h"


enum dir { DIR_TX, DIR_RX, DIR_BIDIR, DIR_V2V, DIR_RR };

typedef struct nicload nicload;

/* An offered-rate sender on one queue pair: a burst of nicdrv.tx_batch packets per
 * event, so a tail write still covers tx_batch packets. */
typedef struct gen {
    nicload *l;
    nic_drvq *q;
    sim_event *ev;
    nic_pkt tmpl;
    uint64_t interval_ps;
    uint32_t burst, flow;
} gen;

typedef struct nicload_cfg {
    uint32_t vms, queue_pairs, frame_bytes;
    uint32_t direction; /* enum dir */
    double offered_gbps;
    uint64_t host_base_addr;
} nicload_cfg;

static const sim_param_def nicload_params[] = {
    {"nicload.vms", SIM_PARAM_UINT, "0", "0..256", "VMs",
     "VMs with traffic, each on its own VF (VF 0 .. vms-1); 0: the host's PF driver carries "
     "the traffic (native)",
     SIM_AT(nicload_cfg, vms)},
    {"nicload.queue_pairs", SIM_PARAM_UINT, "1", "1..2048", "queue pairs",
     "Queue pairs each VM (or the PF driver) uses", SIM_AT(nicload_cfg, queue_pairs)},
    {"nicload.frame_bytes", SIM_PARAM_UINT, "64", "64..16384", "bytes",
     "Ethernet frame size including FCS (64 .. 1518 untagged)", SIM_AT(nicload_cfg, frame_bytes)},
    {"nicload.direction", SIM_PARAM_ENUM, "tx", "tx|rx|bidir|vf-to-vf|rr", "",
     "tx: to the link partner; rx: from it; bidir: both; vf-to-vf: VM i to VM i+1 through the "
     "embedded switch; rr: request-response",
     SIM_AT(nicload_cfg, direction)},
    {"nicload.offered_gbps", SIM_PARAM_DOUBLE, "0", "0..1600", "Gbps",
     "Offered load per direction in host-side Gb/s, all VMs together (0: as fast as it goes)",
     SIM_AT(nicload_cfg, offered_gbps)},
    {"nicload.host_base_addr", SIM_PARAM_UINT, "4GiB", "0..4503599627370496", "bytes",
     "Device address of the rings and buffers (at 4 GiB: 64-bit TLP headers, as pcie-bench "
     "counts them)",
     SIM_AT(nicload_cfg, host_base_addr)},
};

struct nicload {
    nicload_cfg cfg;
    sim_kernel *kernel;
    platform *pf;
    nic *nic;
    nic_partner *peer;
    nic_drvq **q; /* index = the queue pair's MSI data */
    size_t nq;
    nic_drv_counters *drv_ctr; /* per function */
    unsigned nfn;
    gen *gens;
    enum dir dir; /* cfg.direction */
    nic_pcie_model model;
    sim_hist *lat;
    uint64_t msi_bad;
    sim_event *settle_ev;
    uint64_t end_ps; /* of the measured interval: the last settle */
};

static void nicload_register_params(sim_params *p)
{
    sim_params_add_table(p, nicload_params, SIM_TABLE_LEN(nicload_params));
}

static nicload_cfg nicload_cfg_load(const sim_params *p)
{
    nicload_cfg c;
    sim_params_load_table(p, nicload_params, SIM_TABLE_LEN(nicload_params), &c);
    return c;
}

/* The host's PF queues run the PF driver (ixgbe, nicdrv.*); the VMs' VF queues the
 * guest VF driver (ixgbevf, vfdrv.*). */
static nic_drv_role drv_role(unsigned vms) { return vms ? NIC_DRV_VF : NIC_DRV_PF; }

static int nicload_check(const sim_params *p, sim_err *e)
{
    if (nic_setup_check(p, e) < 0)
        return -1;
    nicload_cfg c = nicload_cfg_load(p);
    unsigned vms = c.vms;
    unsigned vfs = pfdrv_vfs(p);
    unsigned qp = c.queue_pairs;
    if (vms > vfs)
        return sim_err_set(e,
                           "nicload.vms = %u needs as many VFs, but the PF driver enables "
                           "nic.vfs = %u",
                           vms, vfs);
    nic_caps caps = nic_caps_of(p);
    unsigned have = vms ? caps.queues_per_vf : caps.pf_queues;
    if (qp > have)
        return sim_err_set(e, "nicload.queue_pairs = %u is more than the %s has (%s = %u)", qp,
                           vms ? "VF" : "PF", vms ? "nic.queues_per_vf" : "nic.pf_queues", have);
    if (nic_drv_check_frame(p, drv_role(vms), "nicload.frame_bytes", c.frame_bytes, e) < 0 ||
        nic_check_offered(p, "nicload.offered_gbps", c.offered_gbps, e) < 0)
        return -1;
    if (c.direction == DIR_V2V && vms < 2)
        return sim_err_set(e, "nicload.direction = vf-to-vf needs nicload.vms >= 2 (it is %u)",
                           vms);
    uint64_t qbytes = nic_drvq_mem_bytes(p, drv_role(vms)) * qp * (vms ? vms : 1);
    uint64_t base = c.host_base_addr;
    if (platform_check_buffer(p, "nicload.host_base_addr: the queues' memory", base, qbytes,
                              caps.mmio_base, e) < 0)
        return -1;
    return 0;
}

/* ---------------------------------------------------------------- traffic */

static void on_msi(void *ctx, uint16_t rid, uint64_t addr, uint32_t data, uint64_t t_ps)
{
    (void)addr;
    nicload *l = ctx;
    if (data >= l->nq || nic_fn_rid(l->nic, nic_drvq_fn(l->q[data])) != rid) {
        l->msi_bad++;
        return;
    }
    nic_drvq_irq(l->q[data], t_ps);
}

static void on_rx(void *ctx, nic_drvq *q, const nic_pkt *p, uint64_t t_ps)
{
    nicload *l = ctx;
    if (t_ps >= p->born_ps)
        sim_hist_add(l->lat, t_ps - p->born_ps);
    if (l->dir == DIR_RR && p->kind == NIC_PKT_RESPONSE) {
        nic_pkt r = *p;
        r.dst_mac = p->src_mac;
        r.src_mac = p->dst_mac;
        r.born_ps = t_ps;
        r.kind = NIC_PKT_REQUEST;
        r.vlan = 0;
        nic_drvq_xmit(q, &r, t_ps);
        nic_drvq_flush(q, t_ps);
    }
}

static void on_gen(void *ctx)
{
    gen *g = ctx;
    uint64_t t = sim_now_ps(g->l->kernel);
    for (uint32_t i = 0; i < g->burst; i++) {
        nic_pkt p = g->tmpl;
        p.born_ps = t;
        p.flow = g->flow++;
        nic_drvq_xmit(g->q, &p, t);
    }
    nic_drvq_flush(g->q, t);
    sim_event_notify(g->ev, g->interval_ps * g->burst);
}

/* Frames count as sent when they leave the NIC, which the NIC notes lazily: bring the
 * counts up to date at the start and the end of the measured window. */
static void on_settle(void *ctx)
{
    nicload *l = ctx;
    uint64_t now = sim_now_ps(l->kernel);
    nic_settle(l->nic, now);
    if (now < l->end_ps)
        sim_event_notify_at(l->settle_ev, l->end_ps);
}

/* ---------------------------------------------------------------- metrics */

static nic_fn_counters totals(const nicload *l) { return nic_get_counters(l->nic); }

static uint64_t pkts_of(const nicload *l, const nic_fn_counters *c)
{
    switch (l->dir) {
    case DIR_TX: return c->tx_frames;
    case DIR_RX:
    case DIR_V2V: return c->rx_frames;
    default: return c->tx_frames + c->rx_frames;
    }
}

static uint64_t bytes_of(const nicload *l, const nic_fn_counters *c)
{
    switch (l->dir) {
    case DIR_TX: return c->tx_bytes;
    case DIR_RX:
    case DIR_V2V: return c->rx_bytes;
    default: return c->tx_bytes + c->rx_bytes;
    }
}

static double per_s(const sim_stats *s, double x)
{
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? x * 1e12 / (double)el : 0.0;
}

static double m_gbps(const sim_stats *s, void *ctx)
{
    nic_fn_counters c = totals(ctx);
    return per_s(s, (double)bytes_of(ctx, &c) * 8.0) / 1e9;
}

static double m_mpps(const sim_stats *s, void *ctx)
{
    nic_fn_counters c = totals(ctx);
    return per_s(s, (double)pkts_of(ctx, &c)) / 1e6;
}

static double m_tx_gbps(const sim_stats *s, void *ctx)
{
    nic_fn_counters c = totals(ctx);
    return per_s(s, (double)c.tx_bytes * 8.0) / 1e9;
}

static double m_rx_gbps(const sim_stats *s, void *ctx)
{
    nic_fn_counters c = totals(ctx);
    return per_s(s, (double)c.rx_bytes * 8.0) / 1e9;
}

static double m_drops(const sim_stats *s, void *ctx)
{
    (void)s;
    nic_fn_counters c = totals(ctx);
    return (double)(c.rx_no_desc_drops + c.rx_overflow_drops + c.spoof_drops + c.link_drops +
                    c.dma_errors + c.bad_desc);
}

static double m_desc_reads(const sim_stats *s, void *ctx)
{
    (void)s;
    nic_fn_counters c = totals(ctx);
    return (double)c.tx_desc_reads;
}

static double m_doorbells(const sim_stats *s, void *ctx)
{
    (void)s;
    nic_fn_counters c = totals(ctx);
    return (double)c.doorbells;
}

static double m_irqs(const sim_stats *s, void *ctx)
{
    nic_fn_counters c = totals(ctx);
    return per_s(s, (double)c.irqs);
}

static double link_per_pkt(const sim_stats *s, const nicload *l, const char *name)
{
    double bytes = 0;
    nic_fn_counters c = totals(l);
    uint64_t pk = pkts_of(l, &c);
    if (!pk || !sim_stats_get(s, name, &bytes))
        return 0.0;
    return bytes / (double)pk;
}

static double m_up_per_pkt(const sim_stats *s, void *ctx)
{
    return link_per_pkt(s, ctx, "pcie.up.wire_bytes");
}
static double m_down_per_pkt(const sim_stats *s, void *ctx)
{
    return link_per_pkt(s, ctx, "pcie.down.wire_bytes");
}

static double m_cycles_per_pkt(const sim_stats *s, void *ctx)
{
    (void)s;
    nicload *l = ctx;
    uint64_t cyc = 0;
    for (unsigned f = 0; f < l->nfn; f++)
        cyc += l->drv_ctr[f].cycles;
    nic_fn_counters c = totals(l);
    uint64_t pk = pkts_of(l, &c);
    return pk ? (double)cyc / (double)pk : 0.0;
}

static double m_line_limit(const sim_stats *s, void *ctx)
{
    (void)s;
    nicload *l = ctx;
    bool both = l->dir == DIR_BIDIR || l->dir == DIR_RR;
    return both ? 2 * l->model.line_gbps : l->model.line_gbps;
}

static double m_pcie_limit(const sim_stats *s, void *ctx)
{
    (void)s;
    nicload *l = ctx;
    switch (l->dir) {
    case DIR_TX: return l->model.tx_gbps;
    case DIR_RX: return l->model.rx_gbps;
    case DIR_V2V: return l->model.bidir_gbps / 2; /* each packet crosses PCIe both ways */
    default: return l->model.bidir_gbps;
    }
}

static void register_metrics(nicload *l, sim_stats *st)
{
    sim_stats_counter(st, "nicload.msi_unexpected", &l->msi_bad,
                      "MSI-X messages with unknown data or from the wrong requester ID");
    l->lat = sim_stats_hist(st, "nicload.latency_ps", "ps",
                            "received packets: partner to driver (rr: request to response)");
    sim_stats_metric(st, "throughput_gbps", "Gb/s", m_gbps, l,
                     "host-side bits (Ethernet header and payload; no FCS, preamble or gap) "
                     "of the frames of the workload's direction in the window, every "
                     "function, per ns of it: frames sent for tx, received (written to host "
                     "memory) for rx and vf-to-vf, sent and received added for bidir and rr "
                     "(up to twice the line rate)");
    sim_stats_metric(st, "throughput_mpps", "Mpps", m_mpps, l,
                     "frames of the workload's direction in the window (as throughput_gbps "
                     "counts them), per us of it");
    sim_stats_metric(st, "throughput_tx_gbps", "Gb/s", m_tx_gbps, l,
                     "host-side bits of the frames every function sent (to the wire or the "
                     "embedded switch) in the window, per ns of it");
    sim_stats_metric(st, "throughput_rx_gbps", "Gb/s", m_rx_gbps, l,
                     "host-side bits of the frames the NIC wrote to host memory in the "
                     "window, per ns of it");
    sim_stats_metric(st, "drops", "packets", m_drops, l,
                     "frames the NIC dropped in the window, every function: no receive "
                     "descriptor, on-chip buffer full, anti-spoofing, link down, transmit DMA "
                     "refused, a descriptor longer than nic.max_frame_bytes");
    sim_stats_metric(st, "tx_desc_reads", "reads", m_desc_reads, l,
                     "transmit descriptor fetches (DMA reads of one or more descriptors) in "
                     "the window, every function");
    sim_stats_metric(st, "doorbells", "writes", m_doorbells, l,
                     "tail register writes the NIC received in the window, every function");
    sim_stats_metric(st, "irqs_per_sec", "per second", m_irqs, l,
                     "MSI-X messages every function sent in the window, per second of it");
    sim_stats_metric(st, "pcie_up_bytes_per_pkt", "bytes per packet", m_up_per_pkt, l,
                     "bytes on the link's upstream direction (device to host: every TLP with "
                     "framing, headers, data and digest) in the window, per frame counted by "
                     "throughput_mpps");
    sim_stats_metric(st, "pcie_down_bytes_per_pkt", "bytes per packet", m_down_per_pkt, l,
                     "bytes on the link's downstream direction (host to device) in the "
                     "window, per frame counted by throughput_mpps");
    sim_stats_quantile_metric(st, "latency_ns_p50", "ns", l->lat, 0.5, 1000.0,
                              "median of nicload.latency_ps: a received frame from the "
                              "partner's send to the driver's receive (rr: a request's send "
                              "to its response's receive), over the frames received in the "
                              "window; nan without any (tx)");
    sim_stats_quantile_metric(st, "latency_ns_p99", "ns", l->lat, 0.99, 1000.0,
                              "99th percentile of nicload.latency_ps (as latency_ns_p50)");
    sim_stats_metric(st, "cpu_cycles_per_pkt", "cycles per packet", m_cycles_per_pkt, l,
                     "cycles of the PF and VF drivers' every step in the window, per frame "
                     "counted by throughput_mpps: counted, not timed (this kind has no CPU "
                     "model)");
    sim_stats_metric(st, "line_limit_gbps", "Gb/s", m_line_limit, l,
                     "the wire's limit for nicload.frame_bytes frames in host-side Gb/s "
                     "(preamble, gap and FCS taken off the line rate); twice that for bidir "
                     "and rr, which count both directions");
    sim_stats_metric(st, "pcie_limit_gbps", "Gb/s", m_pcie_limit, l,
                     "PCIe's limit for this NIC, driver and frame size in host-side Gb/s, "
                     "from pcie-bench's NIC model (nic_pcie_model_eval): transmit, receive, "
                     "or both for bidir and rr; vf-to-vf half the bidirectional one, as "
                     "each frame crosses PCIe both ways");
}

/* ---------------------------------------------------------------- build */

/* With the IOMMU on, each function with traffic is assigned as VFIO assigns a device
 * to a VM: its own domain, its queues' memory mapped once for the run (guest-physical
 * = host address here), its requester ID attached. iommu.mode = pt attaches it in
 * pass-through. Every DMA then translates through the function's own entries, so the
 * IOTLB is shared among the VFs' traffic. */
static int assign(nicload *l, const sim_params *p, unsigned fn, uint64_t base, uint64_t bytes,
                  sim_err *e)
{
    iommu *u = l->pf->iommu;
    if (!u)
        return 0;
    uint16_t rid = nic_fn_rid(l->nic, fn);
    iommu_dma_cfg dc;
    iommu_dma_config(p, &dc);
    if (dc.mode == IOMMU_DMA_PT)
        return iommu_attach_passthrough(u, rid) < 0
                   ? sim_err_set(e, "nic: cannot attach function %u in pass-through", fn)
                   : 0;
    return platform_assign_identity(l->pf, rid, (uint16_t)(fn + 1), base, bytes, dc.page_bytes,
                                    e);
}

static int add_queues(nicload *l, const sim_params *p, sim_stats *st, sim_err *e)
{
    unsigned fns = l->cfg.vms ? l->cfg.vms : 1;
    l->nfn = fns;
    l->drv_ctr = sim_xcalloc(fns, sizeof *l->drv_ctr);
    l->q = sim_xcalloc((size_t)fns * l->cfg.queue_pairs, sizeof *l->q);
    uint64_t base = l->cfg.host_base_addr;
    uint64_t per_q = nic_drvq_mem_bytes(p, drv_role(l->cfg.vms));
    for (unsigned i = 0; i < fns; i++) {
        unsigned fn = l->cfg.vms ? NIC_FN_OF_VF(i) : NIC_PF;
        nic_drv_register_stats(&l->drv_ctr[i], st, fn, p, drv_role(l->cfg.vms));
        nic_drv_enable_msix(l->nic, fn);
        if (assign(l, p, fn, base, per_q * l->cfg.queue_pairs, e) < 0)
            return -1;
        for (unsigned q = 0; q < l->cfg.queue_pairs; q++) {
            size_t idx = l->nq++;
            nic_drv_env env = {.kernel = l->kernel,
                               .rc = l->pf->rc,
                               .nic = l->nic,
                               .mem = l->pf->mem,
                               .fn = fn,
                               .q = q,
                               .role = drv_role(l->cfg.vms),
                               .base = base,
                               .msi_addr = PCIE_MSI_BASE | ((idx & 0xffu) << 12),
                               .msi_data = (uint32_t)idx,
                               .ctr = &l->drv_ctr[i]};
            base += per_q;
            l->q[idx] = nic_drvq_create(p, &env);
            nic_drvq_set_rx_handler(l->q[idx], on_rx, l);
            nic_drvq_open(l->q[idx], 0);
        }
    }
    return 0;
}

static nic_pkt tmpl_for(const nicload *l, size_t idx)
{
    unsigned fn = nic_drvq_fn(l->q[idx]);
    nic_pkt p = {.src_mac = nic_fn_mac(l->nic, fn),
                 .dst_mac = nic_partner_mac(l->peer),
                 .len_bytes = (uint16_t)l->cfg.frame_bytes,
                 .kind = l->dir == DIR_RR ? NIC_PKT_REQUEST : NIC_PKT_DATA};
    if (l->dir == DIR_V2V) {
        unsigned vm = fn - 1;
        p.dst_mac = nic_fn_mac(l->nic, NIC_FN_OF_VF((vm + 1) % l->cfg.vms));
    }
    return p;
}

static void start_traffic(nicload *l, const sim_params *p)
{
    double offered = l->cfg.offered_gbps;
    uint32_t burst = nic_drv_cfg_load(p, drv_role(l->cfg.vms)).tx_batch;
    bool sends = l->dir != DIR_RX;
    if (l->dir == DIR_RX || l->dir == DIR_BIDIR) {
        for (unsigned i = 0; i < l->nfn; i++) {
            unsigned fn = l->cfg.vms ? NIC_FN_OF_VF(i) : NIC_PF;
            nic_partner_add_dest(l->peer, nic_fn_mac(l->nic, fn), nic_fn_vlan(l->nic, fn),
                                 l->cfg.queue_pairs);
        }
        nic_partner_start(l->peer, NIC_SETUP_START_PS, offered, l->cfg.frame_bytes);
    }
    if (!sends)
        return;
    if (l->dir == DIR_RR) {
        for (size_t i = 0; i < l->nq; i++) {
            nic_pkt r = tmpl_for(l, i);
            r.born_ps = NIC_SETUP_START_PS;
            r.flow = (uint32_t)i;
            nic_drvq_xmit(l->q[i], &r, NIC_SETUP_START_PS);
            nic_drvq_flush(l->q[i], NIC_SETUP_START_PS);
        }
        return;
    }
    if (offered <= 0) {
        for (size_t i = 0; i < l->nq; i++) {
            nic_pkt t = tmpl_for(l, i);
            nic_drvq_set_saturate(l->q[i], &t, NIC_SETUP_START_PS);
        }
        return;
    }
    double per_q = offered / (double)l->nq;
    l->gens = sim_xcalloc(l->nq, sizeof *l->gens);
    for (size_t i = 0; i < l->nq; i++) {
        gen *g = &l->gens[i];
        g->l = l;
        g->q = l->q[i];
        g->tmpl = tmpl_for(l, i);
        g->burst = burst;
        g->interval_ps =
            (uint64_t)llround((double)(l->cfg.frame_bytes - NIC_FCS_BYTES) * 8000.0 / per_q);
        char name[48];
        snprintf(name, sizeof name, "nicload.gen%zu", i);
        g->ev = sim_event_create(l->kernel, name, on_gen, g);
        /* Stagger the senders over one interval so their bursts do not coincide. */
        sim_event_notify_at(g->ev, NIC_SETUP_START_PS + g->interval_ps * g->burst * i / l->nq);
    }
}

static void nicload_destroy(void *load);

static void *nicload_build(const sim_ctx *ctx, const sys_observers *obs, sim_err *e)
{
    const sim_params *p = ctx->params;
    nicload *l = sim_xcalloc(1, sizeof *l);
    l->kernel = ctx->kernel;
    l->cfg = nicload_cfg_load(p);
    l->dir = (enum dir)l->cfg.direction;
    l->model = nic_pcie_model_eval(p, drv_role(l->cfg.vms), l->cfg.frame_bytes);
    l->pf = platform_create(ctx, obs, false);
    if (nic_setup_plug(l->pf, ctx, pfdrv_vfs(p), &l->nic, e) < 0) {
        nicload_destroy(l);
        return NULL;
    }
    /* Interrupts are delivered as addressed, without remapping. */
    pcie_rc_set_msi(l->pf->rc, on_msi, l);
    register_metrics(l, ctx->stats);
    if (add_queues(l, p, ctx->stats, e) < 0) {
        nicload_destroy(l);
        return NULL;
    }
    l->peer = nic_partner_create(p, ctx->stats, ctx->kernel, l->nic);
    start_traffic(l, p);
    sim_run_cfg run = sim_run_cfg_load(p);
    l->end_ps = run.warmup_ps + run.duration_ps;
    l->settle_ev = sim_event_create(ctx->kernel, "nicload.settle", on_settle, l);
    sim_event_notify_at(l->settle_ev, run.warmup_ps);
    return l;
}

static void nicload_destroy(void *load)
{
    nicload *l = load;
    if (!l)
        return;
    for (size_t i = 0; i < l->nq; i++)
        nic_drvq_destroy(l->q[i]);
    free(l->q);
    free(l->drv_ctr);
    free(l->gens);
    nic_partner_destroy(l->peer);
    nic_destroy(l->nic);
    platform_destroy(l->pf);
    free(l);
}

/* The IOMMU registers its own; VFs with traffic register theirs and their drivers'. */
static const char *const nicload_variants[] = {"iommu.mode=strict", "nic.vfs=2, nicload.vms=2",
                                               NULL};

const sys_kind sys_kind_nic = {
    .name = "nic",
    .doc = "SR-IOV NIC traffic",
    .register_params = nicload_register_params,
    .check = nicload_check,
    .build = nicload_build,
    .destroy = nicload_destroy,
    .variants = nicload_variants,
    .has_nic = true,
};
