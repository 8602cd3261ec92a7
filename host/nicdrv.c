#include "host/nicdrv.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/nicdim.h"
#include "host/nicitr.h"
#include "host/pfdrv.h"
#include "models/nic/nic_regs.h"
#include "models/pcie/cfgspace.h"
#include "sim/alloc.h"

/* A packet the stack hands the driver: one frame, or a TSO segment the NIC cuts into
 * `frames` frames (frames - 1 of pkt.len_bytes, the last of last_bytes). */
typedef struct drv_seg {
    nic_pkt pkt;
    uint16_t frames, last_bytes;
} drv_seg;

struct nic_drvq {
    sim_kernel *kernel;
    pcie_rc *rc;
    nic *nic;
    mem *mem;
    unsigned fn, q, vec;
    nic_drv_counters *ctr;
    nic_drv_cfg cfg;
    /* host memory */
    nic_ring tx, rx;
    uint64_t tx_bufs, rx_bufs;
    uint64_t msi_addr;
    uint32_t msi_data;
    /* driver state */
    uint32_t tx_tail, tx_clean, tx_unrung;
    uint64_t tx_reclaimed; /* transmit descriptors reclaimed since the ring was attached */
    uint32_t rx_tail, rx_clean, rx_free;
    uint32_t tx_since_head, rx_since_head;
    bool polling, irq_pending;
    sim_event *poll_ev;
    /* poll mode: the loop went idle at idle_ps (looking every cfg.loop_ps since); its
     * next poll is due at next_poll_ps (NIC_NOT_DONE: none) */
    uint64_t idle_ps, next_poll_ps;
    nic_drv_spin_fn spin_fn;
    nic_itr itr; /* adaptive moderation (cfg.itr) */
    /* itr = dim: a state machine per completion queue, [0] receive and [1] transmit, and
     * what they sample: each queue's interrupts (polls after one that found its
     * completions), the packets and bytes received and sent */
    nic_dim dim[2];
    uint64_t dim_events[2], dim_pkts[2], dim_bytes[2];
    /* transmit backlog (qdisc): packets, each a frame or a TSO segment */
    drv_seg *backlog;
    uint32_t bl_head, bl_len;
    bool saturate;
    nic_pkt tmpl;
    uint32_t next_flow;
    /* hooks */
    nic_drv_rx_fn rx_fn;
    nic_drv_rx_done_fn rx_done_fn;
    nic_drv_tx_done_fn tx_done_fn;
    void *rx_ctx;
    nic_drv_cpu_fn cpu_fn;
    nic_drv_trap_fn trap_fn;
    nic_drv_dma_calls seen; /* the domain's counts as this queue's own DMA API calls
                               began (dma_watch) */
    void *cpu_ctx;
    /* strict or lazy IOMMU (env.dma): the mapping of the packet (or the part of it
     * before the ring wraps) that ends at each transmit slot (bytes 0: none ends there),
     * each receive slot's device address */
    iommu_dma *dma;
    iommu_dma_buf *tx_map;
    uint64_t *rx_dev;
};

/* The rows of one role: P its prefix, DRV its Linux driver and K that driver's macro
 * prefix, TX_WORK where the driver's transmit clean budget comes from. Both roles'
 * tables come from this one list, so a parameter is written once and exists under both
 * prefixes. The defaults are what both drivers do (their functions and constants are
 * cited in workloads/platforms/xeon-e5v4-gen3x8.ini); pcie-bench's byte-counting model
 * of the driver is a setting of the NIC calibration workloads. */
#define NIC_DRV_ROWS(P, DRV, K, TX_WORK)                                                       \
    {P ".tx_batch", SIM_PARAM_UINT, "1", "1..4096", "packets",                                 \
     "Packets posted per transmit tail write (1: a tail write per packet, as " DRV "_tx_map " \
     "when no more follow; DPDK: 32)",                                                         \
     SIM_AT(nic_drv_cfg, tx_batch)},                                                           \
    {P ".rx_refill", SIM_PARAM_UINT, "16", "1..4096", "buffers",                               \
     "Receive buffers posted per tail write (" K "_RX_BUFFER_WRITE: 16; pcie-bench's model: "  \
     "32)",                                                                                    \
     SIM_AT(nic_drv_cfg, rx_refill)},                                                          \
    {P ".napi_budget", SIM_PARAM_UINT, "64", "1..65536", "packets",                            \
     "Received packets one poll takes (the NAPI weight " DRV " registers: 64)",                \
     SIM_AT(nic_drv_cfg, budget)},                                                             \
    {P ".tx_clean_budget", SIM_PARAM_UINT, "256", "1..65536", "descriptors",                   \
     "Transmit descriptors one poll reclaims (" DRV "_clean_tx_irq: " TX_WORK ")",             \
     SIM_AT(nic_drv_cfg, tx_clean_budget)},                                                    \
    {P ".tx_head_read_pkts", SIM_PARAM_UINT, "0", "0..65536", "packets",                       \
     "Read the transmit head register once per this many packets (0: never, as " DRV ", "     \
     "which finds done descriptors by their DD bits; pcie-bench's model: 1)",                  \
     SIM_AT(nic_drv_cfg, tx_head_pkts)},                                                       \
    {P ".rx_head_read_pkts", SIM_PARAM_UINT, "0", "0..65536", "packets",                       \
     "Read the receive head register once per this many packets (0: never, as " DRV "; "      \
     "pcie-bench's model: 8)",                                                                 \
     SIM_AT(nic_drv_cfg, rx_head_pkts)},                                                       \
    {P ".irq_latency_ns", SIM_PARAM_DOUBLE, "1000", "0..1e9", "ns",                            \
     "From the MSI-X message at the root complex to the driver's poll: delivery, handler, "   \
     "softirq (assumed; a CPU model refines it)",                                              \
     SIM_AT(nic_drv_cfg, irq_ps)},                                                             \
    {P ".poll_ns", SIM_PARAM_DOUBLE, "200", "0..1e9", "ns",                                    \
     "Until a poll that used its whole budget runs again (assumed)",                           \
     SIM_AT(nic_drv_cfg, poll_ps)},                                                            \
    {P ".tx_cycles", SIM_PARAM_UINT, "300", "0..1073741824", "cycles",                         \
     "CPU cycles to post one packet (assumed, Linux " DRV " xmit path)",                       \
     SIM_AT(nic_drv_cfg, tx_cycles)},                                                          \
    {P ".rx_cycles", SIM_PARAM_UINT, "400", "0..1073741824", "cycles",                         \
     "CPU cycles to take one received packet (assumed, " DRV " clean_rx)",                     \
     SIM_AT(nic_drv_cfg, rx_cycles)},                                                          \
    {P ".irq_cycles", SIM_PARAM_UINT, "1500", "0..1073741824", "cycles",                       \
     "CPU cycles of one interrupt: entry, handler, softirq raise (assumed)",                   \
     SIM_AT(nic_drv_cfg, irq_cycles)},                                                         \
    {P ".poll_cycles", SIM_PARAM_UINT, "300", "0..1073741824", "cycles",                       \
     "CPU cycles of a poll's fixed part (assumed)", SIM_AT(nic_drv_cfg, poll_cycles)},         \
    {P ".clean_cycles", SIM_PARAM_UINT, "60", "0..1073741824", "cycles",                       \
     "CPU cycles to reclaim one transmit descriptor (assumed)",                                \
     SIM_AT(nic_drv_cfg, clean_cycles)},                                                       \
    {P ".mmio_cycles", SIM_PARAM_UINT, "100", "0..1073741824", "cycles",                       \
     "CPU cycles to issue an uncached register write (assumed)",                               \
     SIM_AT(nic_drv_cfg, mmio_cycles)},                                                        \
    {P ".buf_bytes", SIM_PARAM_UINT, "2048", "64..65536", "bytes",                             \
     "Buffer per descriptor (" DRV ": 2 KiB receive buffers)", SIM_AT(nic_drv_cfg, buf_bytes)},\
    {P ".qdisc_pkts", SIM_PARAM_UINT, "1000", "0..16777216", "packets",                        \
     "Transmit backlog the stack holds when the ring is full (Linux txqueuelen: 1000)",        \
     SIM_AT(nic_drv_cfg, qdisc_pkts)},                                                         \
    {P ".tso", SIM_PARAM_BOOL, "true", NULL, "",                                               \
     "TCP segmentation offload: the stack hands the driver whole segments and the NIC cuts "   \
     "them into frames (" DRV " sets NETIF_F_TSO); false: the stack segments (GSO). Only "     \
     "with " P ".csum: Linux drops TSO from a device without checksum offload",                \
     SIM_AT(nic_drv_cfg, tso)},                                                                \
    {P ".csum", SIM_PARAM_BOOL, "true", NULL, "",                                              \
     "Checksum offload: the NIC fills the TCP/UDP checksum of what it sends and checks what "  \
     "it receives (" DRV " sets NETIF_F_HW_CSUM and NETIF_F_RXCSUM); false: the stack "        \
     "computes and verifies them in software",                                                 \
     SIM_AT(nic_drv_cfg, csum)},                                                               \
    {P ".tx_touch", SIM_PARAM_BOOL, "true", NULL, "",                                          \
     "The stack wrote each transmit buffer, so its lines are in the LLC when the NIC reads "   \
     "them",                                                                                   \
     SIM_AT(nic_drv_cfg, tx_touch)},                                                           \
    {P ".itr", SIM_PARAM_ENUM, "adaptive", "adaptive|static|dim", "",                          \
     "Interrupt moderation: adaptive (rx-usecs 1, the default: " DRV "_set_itr after each "    \
     "poll writes the vector's EITR), static (EITR never written: nic.itr_us and "            \
     "nic.itr_pkts, pcie-bench's fixed moderation) or dim (a ConnectX driver's: Linux's "      \
     "net_dim per completion queue, as mlx5e runs it with adaptive-rx and adaptive-tx on, "    \
     "written to the queues' moderation)",                                                     \
     SIM_AT(nic_drv_cfg, itr)},                                                                \
    {P ".dim_rx_cqe", SIM_PARAM_BOOL, "true", NULL, "",                                        \
     "itr = dim: the receive queue's period runs from its first completion (the device "       \
     "reports cq_period_start_from_cqe, as mlx5e_build_nic_params asks; false: from its last " \
     "interrupt); the transmit queue's always runs from its last interrupt",                  \
     SIM_AT(nic_drv_cfg, dim_rx_cqe)}

#define PF_PREFIX "nicdrv"
#define VF_PREFIX "vfdrv"
static const sim_param_def pf_params[] = {
    NIC_DRV_ROWS(PF_PREFIX, "ixgbe", "IXGBE", "IXGBE_DEFAULT_TX_WORK, 256")};
static const sim_param_def vf_params[] = {
    NIC_DRV_ROWS(VF_PREFIX, "ixgbevf", "IXGBEVF", "half the ring, 256 of 512")};
_Static_assert(SIM_TABLE_LEN(pf_params) == SIM_TABLE_LEN(vf_params), "one row list");

/* DPDK's poll-mode driver (its ixgbe/ixgbevf vector path, ixgbe_rxtx_vec_sse.c) as a
 * guest's application runs it: bursts, no interrupt, no kernel stack. Per-packet costs:
 * a DPDK forwarder on an 82599 (DPDK 17.11, vector path, bursts of 32) profiled at
 * 35.4 cycles per packet in rx_burst and 20.4 in tx_burst (the ixy paper, section 5.1;
 * emmericp/ixy-perf-measurements, profiling/results-1.2ghz-dpdk.txt); tx_burst frees
 * the mbufs of done descriptors itself (ixgbe_tx_free_bufs), so reclaiming costs
 * nothing apart. */
#define PMD_PREFIX "pmd"
static const sim_param_def pmd_params[] = {
    {PMD_PREFIX ".burst", SIM_PARAM_UINT, "32", "1..65536", "packets",
     "Packets one rx_burst takes and one tx_burst posts (testpmd's and the examples' "
     "MAX_PKT_BURST, 32)",
     SIM_AT(nic_drv_cfg, budget)},
    {PMD_PREFIX ".rx_refill", SIM_PARAM_UINT, "32", "1..4096", "buffers",
     "Receive buffers re-armed per tail write (RTE_IXGBE_RXQ_REARM_THRESH, 32)",
     SIM_AT(nic_drv_cfg, rx_refill)},
    {PMD_PREFIX ".tx_free_thresh", SIM_PARAM_UINT, "32", "1..65536", "descriptors",
     "Transmit descriptors reclaimed at a time (the queue's tx_free_thresh, 32 by default)",
     SIM_AT(nic_drv_cfg, tx_clean_budget)},
    {PMD_PREFIX ".rx_cycles", SIM_PARAM_UINT, "35", "0..1073741824", "cycles",
     "CPU cycles of rx_burst per packet taken (35.4 measured, see above)",
     SIM_AT(nic_drv_cfg, rx_cycles)},
    {PMD_PREFIX ".tx_cycles", SIM_PARAM_UINT, "20", "0..1073741824", "cycles",
     "CPU cycles of tx_burst per packet posted, freeing included (20.4 measured)",
     SIM_AT(nic_drv_cfg, tx_cycles)},
    {PMD_PREFIX ".poll_cycles", SIM_PARAM_UINT, "60", "0..1073741824", "cycles",
     "CPU cycles of one loop turn's fixed part that finds work: both bursts' entries and "
     "their first descriptor reads (assumed)",
     SIM_AT(nic_drv_cfg, poll_cycles)},
    {PMD_PREFIX ".loop_ns", SIM_PARAM_DOUBLE, "20", "0.1..1e6", "ns",
     "One loop turn that finds nothing: how often the PMD looks at its rings while idle "
     "(an rx_burst returns after its entry, about 7 cycles by ixgbe_rxtx_vec_sse.c's "
     "comment, and one descriptor read from the LLC; assumed)",
     SIM_AT(nic_drv_cfg, loop_ps)},
    {PMD_PREFIX ".mmio_cycles", SIM_PARAM_UINT, "100", "0..1073741824", "cycles",
     "CPU cycles to issue an uncached register write (a tail write)",
     SIM_AT(nic_drv_cfg, mmio_cycles)},
    {PMD_PREFIX ".buf_bytes", SIM_PARAM_UINT, "2048", "64..65536", "bytes",
     "Buffer per descriptor (an mbuf's data room, RTE_MBUF_DEFAULT_DATAROOM: 2 KiB)",
     SIM_AT(nic_drv_cfg, buf_bytes)},
    {PMD_PREFIX ".csum", SIM_PARAM_BOOL, "true", NULL, "",
     "Checksum offload requested by the application (DEV_TX_OFFLOAD_UDP_CKSUM, "
     "DEV_RX_OFFLOAD_CHECKSUM)",
     SIM_AT(nic_drv_cfg, csum)},
    {PMD_PREFIX ".tso", SIM_PARAM_BOOL, "false", NULL, "",
     "TCP segmentation offload requested by the application (RTE_ETH_TX_OFFLOAD_TCP_TSO: "
     "OVS-DPDK asks for it with userspace-tso-enable, off by default); without it a segment "
     "is cut in software before the port. Only with pmd.csum",
     SIM_AT(nic_drv_cfg, tso)},
};

/* Linux virtio-net in a guest (drivers/net/virtio_net.c): what it does per packet and
 * the transmit features the device offers it. The paravirtual path's guest stages read
 * the same rows (host/iopath's path_costs_load). */
#define VIRTIO_PREFIX "virtio"
static const sim_param_def virtio_params[] = {
    {VIRTIO_PREFIX ".tx_cycles", SIM_PARAM_UINT, "600", "0..1073741824", "cycles",
     "virtio-net guest driver: post one packet (and reclaim used ones)",
     SIM_AT(nic_drv_cfg, tx_cycles)},
    {VIRTIO_PREFIX ".rx_cycles", SIM_PARAM_UINT, "700", "0..1073741824", "cycles",
     "virtio-net guest driver: take one received buffer and refill",
     SIM_AT(nic_drv_cfg, rx_cycles)},
    {VIRTIO_PREFIX ".host_tso", SIM_PARAM_BOOL, "true", NULL, "",
     "VIRTIO_NET_F_HOST_TSO4 negotiated: the guest posts whole segments to virtio-net. Only "
     "with virtio.csum",
     SIM_AT(nic_drv_cfg, tso)},
    {VIRTIO_PREFIX ".csum", SIM_PARAM_BOOL, "true", NULL, "",
     "VIRTIO_NET_F_CSUM negotiated: the guest sends partial checksums, which the host's PF "
     "fills; false: the guest computes them (and virtio.host_tso is off: it requires CSUM)",
     SIM_AT(nic_drv_cfg, csum)},
};

static const struct {
    const sim_param_def *rows;
    size_t n;
    const char *prefix;
} roles[NIC_DRV_ROLES] = {
    [NIC_DRV_PF] = {pf_params, SIM_TABLE_LEN(pf_params), PF_PREFIX},
    [NIC_DRV_VF] = {vf_params, SIM_TABLE_LEN(vf_params), VF_PREFIX},
    [NIC_DRV_PMD] = {pmd_params, SIM_TABLE_LEN(pmd_params), PMD_PREFIX},
    [NIC_DRV_VIRTIO] = {virtio_params, SIM_TABLE_LEN(virtio_params), VIRTIO_PREFIX},
};

/* virtio-net's ring and buffer settings are the PF driver's rows (nic_drv_cfg_load). */
const char *nic_drv_role_prefix(nic_drv_role role)
{
    return roles[role == NIC_DRV_VIRTIO ? NIC_DRV_PF : role].prefix;
}

void nic_drv_register_params(sim_params *p)
{
    for (int r = 0; r < NIC_DRV_ROLES; r++)
        sim_params_add_table(p, roles[r].rows, roles[r].n);
    pfdrv_register_params(p);
}

nic_drv_cfg nic_drv_cfg_load(const sim_params *p, nic_drv_role role)
{
    nic_drv_cfg c = {0};
    if (role == NIC_DRV_PMD) {
        /* What a PMD does not do, or does as the application asks: one tail write per
         * burst, no interrupt or moderation, no backlog (tx_burst returns what it could
         * not post), done bits rather than head reads. */
        c.poll = true;
        c.itr = NIC_DRV_ITR_STATIC;
        c.tx_touch = true;
    }
    if (role == NIC_DRV_VIRTIO) {
        /* A NAPI driver like the PF's in all that virtio.* does not name; no moderation,
         * and its interrupt re-enabled in memory (virtqueue_enable_cb_prepare). */
        sim_params_load_table(p, roles[NIC_DRV_PF].rows, roles[NIC_DRV_PF].n, &c);
        c.itr = NIC_DRV_ITR_NONE;
        c.virtqueue = true;
    }
    sim_params_load_table(p, roles[role].rows, roles[role].n, &c);
    if (c.poll)
        c.tx_batch = c.budget;
    /* netdev_fix_features: "Dropping TSO features since no CSUM feature" (the NIC fills
     * each frame's checksum as it cuts a segment, so TSO without it cannot be). */
    c.tso = c.tso && c.csum;
    return c;
}

int nic_drv_check(const sim_params *p, sim_err *e)
{
    if (pfdrv_check(p, e) < 0)
        return -1;
    unsigned long long entries = nic_caps_of(p).ring_entries;
    for (int r = 0; r < NIC_DRV_ROLES; r++) {
        if (r == NIC_DRV_VIRTIO)
            continue; /* its rings' settings are the PF's, checked there */
        nic_drv_cfg c = nic_drv_cfg_load(p, (nic_drv_role)r);
        if (c.rx_refill >= entries)
            return sim_err_set(e, "%s.rx_refill = %llu must be below nic.ring_entries = %llu",
                               roles[r].prefix, (unsigned long long)c.rx_refill, entries);
        if (c.tx_batch >= entries)
            return sim_err_set(e, "%s.%s = %llu must be below nic.ring_entries = %llu",
                               roles[r].prefix, c.poll ? "burst" : "tx_batch",
                               (unsigned long long)c.tx_batch, entries);
    }
    return 0;
}

int nic_drv_check_frame(const sim_params *p, nic_drv_role role, const char *what,
                        uint64_t frame_bytes, sim_err *e)
{
    if (nic_check_frame(p, what, frame_bytes, e) < 0)
        return -1;
    uint64_t buf = nic_drv_cfg_load(p, role).buf_bytes;
    if (frame_bytes - NIC_FCS_BYTES > buf)
        return sim_err_set(e,
                           "%s = %llu does not fit a receive buffer (%s.buf_bytes = %llu + "
                           "the stripped FCS)",
                           what, (unsigned long long)frame_bytes, nic_drv_role_prefix(role),
                           (unsigned long long)buf);
    return 0;
}

void nic_drv_register_stats(nic_drv_counters *c, sim_stats *s, unsigned fn,
                            const sim_params *p, nic_drv_role role)
{
    char prefix[32], name[128];
    if (fn == NIC_PF)
        snprintf(prefix, sizeof prefix, "nicdrv.pf");
    else
        snprintf(prefix, sizeof prefix, "nicdrv.vf%u", fn - 1);
#define C(field, desc)                                     \
    snprintf(name, sizeof name, "%s." #field, prefix);     \
    sim_stats_counter(s, name, &c->field, desc)
    C(irqs, "interrupts taken");
    C(polls, "NAPI polls");
    C(tx_posted, "packets put in transmit rings");
    C(tx_cleaned, "transmit descriptors reclaimed");
    C(tx_errors, "transmit descriptors written back with an error");
    C(rx_pkts, "received packets handed to the stack");
    C(rx_bytes, "received host-side bytes");
    C(doorbells, "tail register writes");
    C(irq_enables, "interrupt re-enables (EIMS writes)");
    C(mmio_reads, "head register reads");
    C(stall_ps, "CPU time stalled on register reads (ps)");
    C(cycles, "driver CPU cycles");
    C(qdisc_drops, "packets dropped with the ring and the backlog full");
    nic_drv_itr itr = (nic_drv_itr)nic_drv_cfg_load(p, role).itr;
    if (itr == NIC_DRV_ITR_ADAPTIVE) {
        C(eitr_writes, "interrupt interval changes written to EITR");
    }
    if (itr == NIC_DRV_ITR_DIM) {
        C(cqmod_writes, "moderation profile changes written to the completion queues (net_dim)");
    }
#undef C
}

static uint64_t round4k(uint64_t x) { return (x + 4095) & ~4095ull; }

/* A queue pair's rings in its memory: the transmit and receive descriptors (the device's
 * formats, nic.tx_desc_bytes and nic.rx_desc_bytes), their completion queues when the
 * device writes completions apart (nic.cqe_bytes), the head write-back word; the
 * buffers follow from the next 4 KiB. */
typedef struct ring_layout {
    uint64_t rx, tx_cq, rx_cq, head_wb, end;
} ring_layout;

static ring_layout layout_of(const nic_caps *c, uint64_t base)
{
    uint64_t n = c->ring_entries;
    ring_layout l;
    l.rx = base + n * c->tx_desc_bytes;
    l.tx_cq = l.rx + n * c->rx_desc_bytes;
    l.rx_cq = l.tx_cq + n * c->cqe_bytes;
    l.head_wb = l.rx_cq + n * c->cqe_bytes;
    l.end = base + round4k(l.head_wb + 64 - base);
    return l;
}

uint64_t nic_drvq_mem_bytes(const sim_params *p, nic_drv_role role)
{
    nic_caps c = nic_caps_of(p);
    uint64_t buf = nic_drv_cfg_load(p, role).buf_bytes;
    return layout_of(&c, 0).end + round4k(2ull * c.ring_entries * buf);
}

static void on_poll(void *ctx);

nic_drvq *nic_drvq_create(const sim_params *p, const nic_drv_env *env)
{
    nic_drvq *q = sim_xcalloc(1, sizeof *q);
    q->kernel = env->kernel;
    q->rc = env->rc;
    q->nic = env->nic;
    q->mem = env->mem;
    q->fn = env->fn;
    q->q = env->q;
    q->ctr = env->ctr;
    q->msi_addr = env->msi_addr;
    q->msi_data = env->msi_data;
    q->cfg = nic_drv_cfg_load(p, env->role);
    q->dma = env->dma;
    nic_itr_init(&q->itr, env->role == NIC_DRV_PF ? NIC_ITR_IXGBE : NIC_ITR_IXGBEVF);
    nic_dim_init(&q->dim[0], false, q->cfg.dim_rx_cqe);
    nic_dim_init(&q->dim[1], true, false);

    nic_caps caps = nic_get_caps(env->nic);
    uint32_t n = caps.ring_entries;
    uint64_t a = env->base;
    ring_layout l = layout_of(&caps, a);
    q->tx = (nic_ring){.base_addr = a, .entries = n, .cq_addr = caps.cqe_bytes ? l.tx_cq : 0};
    q->rx = (nic_ring){.base_addr = l.rx, .entries = n, .cq_addr = caps.cqe_bytes ? l.rx_cq : 0};
    q->tx.head_wb_addr = l.head_wb;
    /* Each descriptor is written whole once, rather than cleared by calloc and then
     * given its write-back time: 64 KiB per queue pair. */
    q->tx.desc = sim_xmalloc(n * sizeof *q->tx.desc);
    q->rx.desc = sim_xmalloc(n * sizeof *q->rx.desc);
    for (uint32_t i = 0; i < n; i++)
        q->tx.desc[i] = q->rx.desc[i] = (nic_desc){.wb_ps = NIC_NOT_DONE};
    q->tx_bufs = l.end;
    q->rx_bufs = q->tx_bufs + (uint64_t)n * q->cfg.buf_bytes;
    /* A slot is written before it is read: not cleared (48 KiB at the default
     * nicdrv.qdisc_pkts, which a saturating source never uses). */
    if (q->cfg.qdisc_pkts)
        q->backlog = sim_xmalloc(q->cfg.qdisc_pkts * sizeof *q->backlog);
    if (q->dma) {
        q->tx_map = sim_xcalloc(n, sizeof *q->tx_map);
        q->rx_dev = sim_xmalloc(n * sizeof *q->rx_dev);
    }
    char name[64];
    snprintf(name, sizeof name, "nicdrv.f%u.q%u", q->fn, q->q);
    q->poll_ev = sim_event_create(q->kernel, name, on_poll, q);
    return q;
}

void nic_drvq_destroy(nic_drvq *q)
{
    if (!q)
        return;
    free(q->tx.desc);
    free(q->rx.desc);
    free(q->backlog);
    free(q->tx_map);
    free(q->rx_dev);
    free(q);
}

unsigned nic_drvq_fn(const nic_drvq *q) { return q->fn; }
unsigned nic_drvq_queue(const nic_drvq *q) { return q->q; }
uint32_t nic_drvq_backlog(const nic_drvq *q) { return q->bl_len; }
uint32_t nic_drvq_tx_inflight(const nic_drvq *q)
{
    return (q->tx_tail + q->tx.entries - q->tx_clean) % q->tx.entries;
}

void nic_drvq_set_rx_handler(nic_drvq *q, nic_drv_rx_fn fn, void *ctx)
{
    q->rx_fn = fn;
    q->rx_ctx = ctx;
}

void nic_drvq_set_rx_done(nic_drvq *q, nic_drv_rx_done_fn fn) { q->rx_done_fn = fn; }
void nic_drvq_set_spin(nic_drvq *q, nic_drv_spin_fn fn) { q->spin_fn = fn; }

/* Poll mode: the loop's next look at its rings at or after t. Idle since idle_ps, it
 * looks at idle_ps + k x loop_ps; a poll already due earlier stays. */
static void pmd_look_at(nic_drvq *q, uint64_t t)
{
    uint64_t at = q->idle_ps;
    if (t > at) {
        uint64_t k = (t - at + q->cfg.loop_ps - 1) / q->cfg.loop_ps;
        at += k * q->cfg.loop_ps;
    }
    if (q->next_poll_ps != NIC_NOT_DONE && q->next_poll_ps <= at)
        return;
    q->next_poll_ps = at;
    uint64_t now = sim_now_ps(q->kernel);
    sim_event_notify_at(q->poll_ev, at > now ? at : now);
}

/* A write-back into one of its rings (nic_ring.on_wb): the loop sees it at its first
 * look from when it is visible. */
static void pmd_on_wb(void *ctx, uint64_t wb_ps)
{
    pmd_look_at(ctx, wb_ps);
}

void nic_drvq_set_tx_done(nic_drvq *q, nic_drv_tx_done_fn fn) { q->tx_done_fn = fn; }

bool nic_drvq_poll(const nic_drvq *q) { return q->cfg.poll; }

bool nic_drvq_tso(const nic_drvq *q) { return q->cfg.tso; }
bool nic_drvq_csum(const nic_drvq *q) { return q->cfg.csum; }

void nic_drvq_set_trap(nic_drvq *q, nic_drv_trap_fn fn) { q->trap_fn = fn; }

void nic_drvq_set_cpu(nic_drvq *q, nic_drv_cpu_fn fn, void *ctx)
{
    q->cpu_fn = fn;
    q->cpu_ctx = ctx;
}

/* Charge driver work: counted always; timed only with a CPU attached. */
static uint64_t cpu(nic_drvq *q, uint64_t t, uint64_t cycles, uint64_t stall_ps)
{
    q->ctr->cycles += cycles;
    q->ctr->stall_ps += stall_ps;
    return q->cpu_fn ? q->cpu_fn(q->cpu_ctx, t, cycles, stall_ps) : t;
}

/* A posted register write: crosses the link, then the NIC acts on it. */
static uint64_t reg_write(nic_drvq *q, uint64_t t, uint32_t reg, uint64_t value)
{
    uint64_t addr = nic_reg_addr(q->nic, q->fn, reg);
    uint64_t at = pcie_rc_mmio_write(q->rc, t, addr, 4);
    nic_mmio_write(q->nic, at, addr, 4, value);
    return cpu(q, t, q->cfg.mmio_cycles, 0);
}

/* A register read: the CPU waits for the completion. */
static uint64_t reg_read(nic_drvq *q, uint64_t t, uint32_t reg)
{
    uint64_t addr = nic_reg_addr(q->nic, q->fn, reg);
    uint64_t back = pcie_rc_mmio_read(q->rc, t, addr, 4, nic_mmio_read_latency_ps(q->nic));
    nic_mmio_read(q->nic, back, addr, 4);
    q->ctr->mmio_reads++;
    return cpu(q, t, 0, back - t);
}

/* The queue pair's vector is an entry of the PF's Interrupt Message Store (an ADI's,
 * nic_regs.h): its message and its controls are that entry's registers, not the MSI-X
 * table's and the PF's shared EIMS, EITR and CQMOD. */
static bool vec_is_ims(const nic_drvq *q) { return q->vec >= NIC_PF_MSIX_VECTORS; }
static unsigned ims_entry(const nic_drvq *q) { return q->vec - NIC_PF_MSIX_VECTORS; }

static uint32_t reg_eitr(const nic_drvq *q)
{
    return vec_is_ims(q) ? NIC_REG_IMS(ims_entry(q), NIC_IMS_ITR) : NIC_REG_EITR(q->vec);
}

static uint32_t reg_cqmod(const nic_drvq *q, unsigned dir)
{
    return vec_is_ims(q) ? NIC_REG_IMS(ims_entry(q), NIC_IMS_CQMOD(dir))
                         : NIC_REG_CQMOD(q->vec, dir);
}

/* A DWORD of the vector's message entry: its MSI-X table entry (BAR3), or its IMS entry
 * (BAR0), which the host programs for the ADI (the VDCM, when the guest's driver sets up
 * its vectors). Set-up: untimed. */
static uint64_t msix_write(nic_drvq *q, uint64_t t, uint32_t off, uint64_t value)
{
    uint64_t addr = vec_is_ims(q) ? nic_reg_addr(q->nic, q->fn, NIC_REG_IMS(ims_entry(q), off))
                                  : nic_fn_bar(q->nic, q->fn, NIC_BAR_MSIX) +
                                        NIC_MSIX_TABLE_OFFSET +
                                        (uint64_t)q->vec * PCIE_MSIX_ENTRY_SIZE + off;
    uint64_t at = pcie_rc_mmio_write(q->rc, t, addr, 4);
    nic_mmio_write(q->nic, at, addr, 4, value);
    return t;
}

void nic_drv_enable_msix(nic *n, unsigned fn)
{
    pcie_cfg *c = nic_fn_cfg(n, fn);
    uint8_t cap = c ? pcie_cfg_find_capability(c, PCIE_CAP_ID_MSIX) : 0;
    if (!cap)
        return;
    uint32_t ctl = pcie_cfg_read(c, (uint16_t)(cap + PCIE_MSIX_MSG_CTRL), 2);
    pcie_cfg_write(c, (uint16_t)(cap + PCIE_MSIX_MSG_CTRL), 2,
                   (ctl | PCIE_MSIX_MSG_CTRL_ENABLE) & ~(uint32_t)PCIE_MSIX_MSG_CTRL_FUNCTION_MASK);
}

int nic_drv_request_mac(nic *n, unsigned fn, uint64_t t_ps, uint64_t mac, uint64_t *done_ps)
{
    if (fn == NIC_PF || !nic_fn_present(n, fn) || !nic_mac_is_unicast(mac))
        return -1; /* ixgbevf asks only for a valid address, and only from a VF */
    uint64_t bar = nic_fn_bar(n, fn, NIC_BAR_REGS);
    const uint32_t w[] = {NIC_MBX_VF_SET_MAC_ADDR, (uint32_t)mac, (uint32_t)(mac >> 32)};
    for (unsigned i = 0; i < 3; i++)
        nic_mmio_write(n, t_ps, bar + NIC_REG_VFMBMEM(i), 4, w[i]);
    nic_mmio_write(n, t_ps, bar + NIC_REG_VFMAILBOX, 4, NIC_VFMAILBOX_REQ);
    if (done_ps)
        *done_ps = t_ps + nic_mbx_latency_ps(n);
    return 0;
}

/* ---------------------------------------------------------------- transmit */

static uint32_t tx_room(const nic_drvq *q) { return q->tx.entries - 1 - nic_drvq_tx_inflight(q); }

/* Runs a DMA API call's CPU work on the driver's core: its cycles since `before`
 * (IOVAs, table entries, a strict unmap's invalidation and the spin on its wait). */
static uint64_t dma_charge(nic_drvq *q, uint64_t t, uint64_t before)
{
    return cpu(q, t, iommu_dma_cpu_cycles(q->dma) - before, 0);
}

/* The domain's counts so far: the VM's, which its other queues' drivers share. */
static nic_drv_dma_calls dma_counts(const nic_drvq *q)
{
    return (nic_drv_dma_calls){iommu_dma_maps(q->dma), iommu_dma_map_invalidations(q->dma),
                               iommu_dma_unmap_invalidations(q->dma), iommu_dma_qi_cycles(q->dma)};
}

/* Marks where this queue's own DMA API calls start. */
static void dma_watch(nic_drvq *q) { q->seen = dma_counts(q); }

/* What this queue's DMA API calls did since dma_watch, to the trap seam when the IOMMU
 * under it is emulated. */
static uint64_t dma_traps(nic_drvq *q, uint64_t t)
{
    if (!iommu_dma_emulated(q->dma))
        return t;
    nic_drv_dma_calls now = dma_counts(q);
    nic_drv_dma_calls calls = {now.maps - q->seen.maps, now.map_invs - q->seen.map_invs,
                               now.unmap_invs - q->seen.unmap_invs,
                               now.submit_cycles - q->seen.submit_cycles};
    if (q->trap_fn && (calls.maps || calls.map_invs || calls.unmap_invs))
        t = q->trap_fn(q->cpu_ctx, t, &calls);
    q->seen = now;
    return t;
}

/* Maps a packet just written to `frames` slots from `first` as mlx5e_txwqe_build_dsegs
 * does (dma_map_single of the data, DMA_TO_DEVICE): the frames' bytes lie back to back
 * from the first slot's buffer, as a segment's data does in its skb (each frame fits its
 * own slot, so they stay within the packet's slots), one mapping of them, two if the
 * packet wraps round the ring, and the descriptors point into it. The real driver maps
 * the linear part and each page fragment apart; one mapping of the same bytes touches
 * the same pages, about one IOVA page per 4 KiB sent, in 4 KiB pages whatever page size
 * the page pool's receive buffers use (iommu_dma_map_single). The stack's writes of the
 * data (nicdrv.tx_touch) land where the device will read it. */
static uint64_t tx_map(nic_drvq *q, uint32_t first, uint32_t frames, uint64_t t)
{
    while (frames) {
        uint32_t k = q->tx.entries - first < frames ? q->tx.entries - first : frames;
        uint64_t hpa = q->tx_bufs + (uint64_t)first * q->cfg.buf_bytes, bytes = 0;
        for (uint32_t j = 0; j < k; j++)
            bytes += nic_pkt_host_bytes(q->tx.desc[first + j].pkt.len_bytes);
        uint64_t before = iommu_dma_cpu_cycles(q->dma);
        dma_watch(q);
        /* kept at the run's last slot: unmapped when the device is done with all of it */
        iommu_dma_buf *m = &q->tx_map[first + k - 1];
        uint64_t mapped = iommu_dma_map_single(q->dma, t, hpa, bytes, true, m);
        assert(mapped != UINT64_MAX); /* 48 bits of IOVA outlast any rings' worth */
        (void)mapped;
        for (uint32_t j = 0, off = 0; j < k; j++) {
            nic_desc *d = &q->tx.desc[first + j];
            uint32_t len = nic_pkt_host_bytes(d->pkt.len_bytes);
            d->buf_addr = m->dev_addr + off;
            if (q->cfg.tx_touch && q->mem)
                mem_touch(q->mem, hpa + off, len);
            off += len;
        }
        t = dma_traps(q, dma_charge(q, t, before));
        first = (first + k) % q->tx.entries;
        frames -= k;
    }
    return t;
}

/* The poll at t reclaimed `count` descriptors from slot `from`: unmaps the packets that
 * ended in them as mlx5e_tx_dma_unmap does at a completion (strict invalidates now,
 * lazy queues the IOVAs for the next flush). Returns the cycles it took, which the
 * poll runs on the core with its own reclaim work; the caller traps the invalidations
 * (dma_traps) once that work is booked. */
static uint64_t tx_unmap(nic_drvq *q, uint32_t from, uint32_t count, uint64_t t)
{
    uint64_t before = iommu_dma_cpu_cycles(q->dma);
    dma_watch(q);
    for (uint32_t i = 0, s = from; i < count; i++, s = (s + 1) % q->tx.entries) {
        if (q->tx_map[s].bytes) {
            iommu_dma_unmap(q->dma, t, &q->tx_map[s]);
            q->tx_map[s].bytes = 0;
        }
    }
    return iommu_dma_cpu_cycles(q->dma) - before;
}

/* Reclaim transmitted descriptors whose write-back has landed, up to the clean budget;
 * *cleaned gets how many. */
static uint64_t tx_reclaim(nic_drvq *q, uint64_t t, uint32_t *cleaned)
{
    uint32_t from = q->tx_clean, n = 0;
    uint64_t freed_bytes = 0;
    while (q->tx_clean != q->tx_tail && n < q->cfg.tx_clean_budget) {
        const nic_desc *d = &q->tx.desc[q->tx_clean];
        if (d->wb_ps > t)
            break;
        if (d->status != NIC_DESC_OK)
            q->ctr->tx_errors++;
        freed_bytes += nic_pkt_host_bytes(d->pkt.len_bytes);
        q->tx_clean = (q->tx_clean + 1) % q->tx.entries;
        n++;
    }
    q->tx_reclaimed += n;
    q->ctr->tx_cleaned += n;
    nic_itr_count_tx(&q->itr, n, freed_bytes);
    uint64_t unmap_cycles = q->dma ? tx_unmap(q, from, n, t) : 0;
    t = cpu(q, t, q->cfg.clean_cycles * n + unmap_cycles, 0);
    if (q->dma)
        t = dma_traps(q, t);
    if (n && q->tx_done_fn)
        q->tx_done_fn(q->rx_ctx, q, n, freed_bytes, t);
    *cleaned = n;
    return t;
}

/* virtio-net's transmit interrupt, asked for late (virtqueue_enable_cb_delayed, which
 * start_xmit and the NAPI poll's transmit clean call): at the used buffer three quarters
 * of the way through those in flight. If the device is past it already, the driver
 * would take them itself; the device's interrupt stands in for that. */
static void tx_event_delayed(nic_drvq *q, uint64_t t)
{
    if (!q->tx.event_idx)
        return;
    q->tx.used_event = q->tx_reclaimed + (uint64_t)nic_drvq_tx_inflight(q) * 3 / 4;
    if (q->tx.used > q->tx.used_event)
        nic_queue_event_passed(q->nic, q->fn, q->q, t);
}

static uint64_t tx_doorbell(nic_drvq *q, uint64_t t)
{
    uint32_t pkts = q->tx_unrung;
    q->tx_unrung = 0;
    q->ctr->doorbells++;
    t = reg_write(q, t, NIC_REG_TDT(q->q), q->tx_tail);
    tx_event_delayed(q, t);
    if (q->cfg.tx_head_pkts) {
        q->tx_since_head += pkts;
        while (q->tx_since_head >= q->cfg.tx_head_pkts) {
            q->tx_since_head -= q->cfg.tx_head_pkts;
            t = reg_read(q, t, NIC_REG_TDH(q->q));
        }
    }
    return t;
}

/* Post one packet: a descriptor per frame (a TSO segment's frames as the NIC will send
 * them; the real driver's context descriptor and page-fragment descriptors are not
 * modelled one by one), the driver's per-packet cycles once. */
static uint64_t tx_post(nic_drvq *q, const drv_seg *sg, uint64_t t)
{
    uint32_t first = q->tx_tail;
    for (unsigned f = 0; f < sg->frames; f++) {
        nic_desc *d = &q->tx.desc[q->tx_tail];
        d->buf_addr = q->tx_bufs + (uint64_t)q->tx_tail * q->cfg.buf_bytes;
        d->wb_ps = NIC_NOT_DONE;
        d->status = NIC_DESC_OK;
        d->pkt = sg->pkt;
        if (f + 1 == sg->frames)
            d->pkt.len_bytes = sg->last_bytes;
        if (q->cfg.tx_touch && q->mem && !q->dma)
            mem_touch(q->mem, d->buf_addr,
                      nic_pkt_host_bytes(d->pkt.len_bytes));
        q->tx_tail = (q->tx_tail + 1) % q->tx.entries;
        q->ctr->tx_posted++;
        q->dim_bytes[1] += nic_pkt_host_bytes(d->pkt.len_bytes);
    }
    q->dim_pkts[1]++; /* the send queue's packets, as mlx5e_sq_xmit counts them */
    if (q->dma)
        t = tx_map(q, first, sg->frames, t);
    t = cpu(q, t, q->cfg.tx_cycles, 0);
    if (++q->tx_unrung >= q->cfg.tx_batch)
        t = tx_doorbell(q, t);
    return t;
}

/* Move backlog (or the endless source) into the ring. */
static uint64_t tx_fill(nic_drvq *q, uint64_t t)
{
    while (tx_room(q) > 0) {
        if (q->bl_len) {
            drv_seg sg = q->backlog[q->bl_head];
            if (tx_room(q) < sg.frames)
                break;
            q->bl_head = (q->bl_head + 1) % q->cfg.qdisc_pkts;
            q->bl_len--;
            t = tx_post(q, &sg, t);
        } else if (q->saturate) {
            drv_seg sg = {q->tmpl, 1, q->tmpl.len_bytes};
            sg.pkt.born_ps = t;
            sg.pkt.flow = q->next_flow++;
            t = tx_post(q, &sg, t);
        } else {
            break;
        }
    }
    if (q->tx_unrung)
        t = tx_doorbell(q, t);
    return t;
}

int nic_drvq_xmit_segment(nic_drvq *q, const nic_pkt *p, uint16_t frames, uint16_t last_bytes,
                          uint64_t t_ps)
{
    drv_seg sg = {*p, frames ? frames : 1, frames > 1 ? last_bytes : p->len_bytes};
    if (sg.frames > 1 && (!q->cfg.tso || sg.frames >= q->tx.entries))
        return -1;
    if (q->tx.event_idx) {
        /* virtio-net's start_xmit frees what the device has used first
         * (free_old_xmit_skbs). */
        uint32_t cleaned;
        t_ps = tx_reclaim(q, t_ps, &cleaned);
    }
    if (tx_room(q) >= sg.frames && !q->bl_len) {
        tx_post(q, &sg, t_ps);
        return 0;
    }
    if (q->bl_len >= q->cfg.qdisc_pkts) {
        q->ctr->qdisc_drops += sg.frames;
        return -1;
    }
    q->backlog[(q->bl_head + q->bl_len) % q->cfg.qdisc_pkts] = sg;
    q->bl_len++;
    return 0;
}

int nic_drvq_xmit(nic_drvq *q, const nic_pkt *p, uint64_t t_ps)
{
    return nic_drvq_xmit_segment(q, p, 1, p->len_bytes, t_ps);
}

void nic_drvq_flush(nic_drvq *q, uint64_t t_ps)
{
    if (q->tx_unrung)
        tx_doorbell(q, t_ps);
}

void nic_drvq_set_saturate(nic_drvq *q, const nic_pkt *tmpl, uint64_t t_ps)
{
    q->saturate = true;
    q->tmpl = *tmpl;
    tx_fill(q, t_ps);
}

/* ---------------------------------------------------------------- receive */

static uint64_t rx_post(nic_drvq *q, uint32_t count, uint64_t t)
{
    for (uint32_t i = 0; i < count; i++) {
        nic_desc *d = &q->rx.desc[q->rx_tail];
        d->buf_addr = q->rx_dev ? q->rx_dev[q->rx_tail]
                                : q->rx_bufs + (uint64_t)q->rx_tail * q->cfg.buf_bytes;
        d->wb_ps = NIC_NOT_DONE;
        q->rx_tail = (q->rx_tail + 1) % q->rx.entries;
    }
    q->rx_free -= count;
    q->ctr->doorbells++;
    return reg_write(q, t, NIC_REG_RDT(q->q), q->rx_tail);
}

/* ---------------------------------------------------------------- bring-up, NAPI */

/* The moderation of completion queue dir (0 receive, 1 transmit) from its DIM profile
 * (mlx5e_rx_dim_work, mlx5e_tx_dim_work: mlx5e_modify_cq_moderation). */
static uint64_t cqmod_write(nic_drvq *q, uint64_t t, unsigned dir)
{
    const nic_dim *d = &q->dim[dir];
    return reg_write(q, t, reg_cqmod(q, dir),
                     NIC_CQMOD_VALUE(nic_dim_usec(d), nic_dim_pkts(d), d->from_cqe));
}

/* A poll that completed samples both queues' DIM (mlx5e_napi_poll: mlx5e_handle_tx_dim,
 * mlx5e_handle_rx_dim, before the queues are re-armed). */
static uint64_t dim_update(nic_drvq *q, uint64_t t)
{
    for (unsigned dir = 0; dir < 2; dir++)
        if (nic_dim_sample(&q->dim[dir], t, q->dim_events[dir], q->dim_pkts[dir],
                           q->dim_bytes[dir])) {
            q->ctr->cqmod_writes++;
            t = cqmod_write(q, t, dir);
        }
    return t;
}

static uint64_t eitr_write(nic_drvq *q, uint64_t t)
{
    q->ctr->eitr_writes++;
    return reg_write(q, t, reg_eitr(q), nic_itr_eitr(&q->itr));
}

/* Re-enabling the queue pair's vector: an EIMS write (an IMS vector's ENA), or for
 * virtio-net a store to the ring's event index (virtqueue_enable_cb_prepare), which the
 * device reads as it completes: the model gives it to the device at once, with no
 * register access. */
static uint64_t irq_enable(nic_drvq *q, uint64_t t)
{
    if (vec_is_ims(q))
        return reg_write(q, t, NIC_REG_IMS(ims_entry(q), NIC_IMS_ENA), 1);
    if (!q->cfg.virtqueue)
        return reg_write(q, t, NIC_REG_EIMS, 1ull << q->vec);
    nic_mmio_write(q->nic, t, nic_reg_addr(q->nic, q->fn, NIC_REG_EIMS), 4, 1ull << q->vec);
    return t;
}

/* With the DMA API, before the rings are attached: the rings and the head write-back
 * word as one coherent mapping (mlx5_wq_cyc_create's buffer: mlx5_frag_buf_alloc_node,
 * mlx5_dma_zalloc_coherent_node, dma_alloc_coherent), and the receive buffers a page
 * pool's page at a time (page_pool_dma_map when the pool takes a page: PAGE_SIZE <<
 * order, here iommu.page_bytes, 2 MiB standing for a hugepage-backed pool); the pool
 * recycles its pages, so they stay mapped. A buffer that crosses a page boundary gets
 * a mapping of its own pages. */
static uint64_t dma_map_queue(nic_drvq *q, uint64_t t)
{
    uint64_t before = iommu_dma_cpu_cycles(q->dma);
    uint32_t n = q->tx.entries;
    iommu_dma_buf m;
    uint64_t base = q->tx.base_addr;
    iommu_dma_map(q->dma, t, base, q->tx_bufs - base, false, &m);
    /* The rings keep their places in the mapping: device address = IOVA + offset. */
    q->tx.base_addr = m.dev_addr;
    q->rx.base_addr = m.dev_addr + (q->rx.base_addr - base);
    q->tx.head_wb_addr = m.dev_addr + (q->tx.head_wb_addr - base);
    if (q->tx.cq_addr) {
        q->tx.cq_addr = m.dev_addr + (q->tx.cq_addr - base);
        q->rx.cq_addr = m.dev_addr + (q->rx.cq_addr - base);
    }
    uint64_t pg = iommu_dma_page_bytes(q->dma), lo = 0, hi = 0, dev = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = q->rx_bufs + (uint64_t)i * q->cfg.buf_bytes, end = a + q->cfg.buf_bytes;
        if (a < lo || end > hi) {
            lo = a & ~(pg - 1);
            hi = (end + pg - 1) & ~(pg - 1);
            iommu_dma_map(q->dma, t, lo, hi - lo, false, &m);
            dev = m.dev_addr;
        }
        q->rx_dev[i] = dev + (a - lo);
    }
    t = dma_charge(q, t, before);
    /* On an emulated IOMMU these maps trapped as the driver came up, before the run: not
     * timed here (a thousand traps of a page pool would take milliseconds). */
    dma_watch(q);
    return t;
}

void nic_drvq_open(nic_drvq *q, uint64_t t_ps)
{
    q->vec = nic_queue_vector(q->nic, q->fn, q->q);
    uint64_t t = t_ps;
    if (q->dma)
        t = dma_map_queue(q, t);
    if (q->cfg.poll) {
        /* No interrupt: the vector stays disabled; the loop watches both rings. */
        q->tx.on_wb = q->rx.on_wb = pmd_on_wb;
        q->tx.on_wb_ctx = q->rx.on_wb_ctx = q;
        nic_queue_attach(q->nic, q->fn, q->q, &q->tx, &q->rx);
        q->rx_free = q->rx.entries - 1;
        q->idle_ps = rx_post(q, q->rx_free, t);
        q->next_poll_ps = NIC_NOT_DONE;
        return;
    }
    t = msix_write(q, t, PCIE_MSIX_ENTRY_MSG_ADDR, q->msi_addr & 0xffffffffu);
    t = msix_write(q, t, PCIE_MSIX_ENTRY_MSG_UPPER_ADDR, q->msi_addr >> 32);
    t = msix_write(q, t, PCIE_MSIX_ENTRY_MSG_DATA, q->msi_data);
    t = msix_write(q, t, PCIE_MSIX_ENTRY_VECTOR_CTRL, 0);
    nic_queue_attach(q->nic, q->fn, q->q, &q->tx, &q->rx);
    if (q->cfg.itr == NIC_DRV_ITR_ADAPTIVE)
        t = eitr_write(q, t); /* ixgbe_configure_msix, ixgbevf_configure_msix */
    else if (q->cfg.itr == NIC_DRV_ITR_DIM)
        t = cqmod_write(q, cqmod_write(q, t, 0), 1); /* the default profiles (mlx5e_open_cq) */
    else if (q->cfg.itr == NIC_DRV_ITR_NONE)
        t = reg_write(q, t, reg_eitr(q), 0); /* as the device's set-up leaves it */
    q->tx.event_idx = q->cfg.virtqueue;
    t = irq_enable(q, t);
    q->rx_free = q->rx.entries - 1;
    rx_post(q, q->rx_free, t);
}

void nic_drvq_irq(nic_drvq *q, uint64_t t_ps)
{
    if (q->cfg.poll)
        return; /* its vector is never enabled: a message would be a model error */
    q->ctr->irqs++;
    if (q->polling)
        return;
    q->polling = true;
    q->irq_pending = true;
    sim_event_notify_at(q->poll_ev, t_ps + q->cfg.irq_ps);
}

/* Poll mode, after a poll: the loop looks again at once if the poll left work (a whole
 * burst taken, a reclaim budget used, a done descriptor it did not reach), else at its
 * first look after the next write-back already on its way. */
static void pmd_next(nic_drvq *q, uint64_t t, bool more)
{
    q->idle_ps = t;
    if (more) {
        pmd_look_at(q, t);
        return;
    }
    uint64_t w = NIC_NOT_DONE;
    if (q->rx_clean != q->rx_tail)
        w = q->rx.desc[q->rx_clean].wb_ps;
    if (q->tx_clean != q->tx_tail && q->tx.desc[q->tx_clean].wb_ps < w)
        w = q->tx.desc[q->tx_clean].wb_ps;
    if (w != NIC_NOT_DONE)
        pmd_look_at(q, w);
}

static void on_poll(void *ctx)
{
    nic_drvq *q = ctx;
    uint64_t t = sim_now_ps(q->kernel);
    if (q->cfg.poll) {
        if (q->next_poll_ps != NIC_NOT_DONE && t < q->next_poll_ps) {
            sim_event_notify_at(q->poll_ev, q->next_poll_ps);
            return;
        }
        q->next_poll_ps = NIC_NOT_DONE;
        /* The loop found nothing from idle_ps until this look. */
        if (q->spin_fn && t > q->idle_ps)
            q->spin_fn(q->cpu_ctx, q->idle_ps, t);
    }
    q->ctr->polls++;
    bool after_irq = q->irq_pending;
    if (q->irq_pending) {
        q->irq_pending = false;
        t = cpu(q, t, q->cfg.irq_cycles, 0);
    }
    t = cpu(q, t, q->cfg.poll_cycles, 0);

    uint32_t cleaned;
    t = tx_reclaim(q, t, &cleaned);
    q->dim_events[1] += after_irq && cleaned;
    if (cleaned)
        tx_event_delayed(q, t); /* virtnet_poll_cleantx */

    /* Take received packets, up to the budget. */
    uint32_t done = 0;
    uint64_t rx_bytes = 0;
    while (done < q->cfg.budget && q->rx_clean != q->rx_tail) {
        const nic_desc *d = &q->rx.desc[q->rx_clean];
        if (d->wb_ps > t)
            break;
        q->rx_clean = (q->rx_clean + 1) % q->rx.entries;
        q->rx_free++;
        done++;
        q->ctr->rx_pkts++;
        rx_bytes += nic_pkt_host_bytes(d->pkt.len_bytes);
        t = cpu(q, t, q->cfg.rx_cycles, 0);
        if (q->rx_fn)
            q->rx_fn(q->rx_ctx, q, &d->pkt, t);
        if (q->cfg.rx_head_pkts && ++q->rx_since_head >= q->cfg.rx_head_pkts) {
            q->rx_since_head = 0;
            t = reg_read(q, t, NIC_REG_RDH(q->q));
        }
    }
    q->ctr->rx_bytes += rx_bytes;
    nic_itr_count_rx(&q->itr, done, rx_bytes);
    q->dim_events[0] += after_irq && done;
    q->dim_pkts[0] += done;
    q->dim_bytes[0] += rx_bytes;
    while (q->rx_free >= q->cfg.rx_refill)
        t = rx_post(q, q->cfg.rx_refill, t);
    /* napi_complete_done flushes GRO: the stack takes what it merged. */
    if (done && q->rx_done_fn)
        q->rx_done_fn(q->rx_ctx, q, t);

    /* Backlog into the freed transmit slots. */
    t = tx_fill(q, t);

    if (q->cfg.poll) {
        bool more = done >= q->cfg.budget || cleaned >= q->cfg.tx_clean_budget ||
                    (q->rx_clean != q->rx_tail && q->rx.desc[q->rx_clean].wb_ps <= t);
        pmd_next(q, t, more);
        return;
    }
    if (done >= q->cfg.budget || cleaned >= q->cfg.tx_clean_budget) {
        sim_event_notify_at(q->poll_ev, t + q->cfg.poll_ps);
        return;
    }
    /* All done (napi_complete_done): the next interval, then re-enable the vector. */
    if (q->cfg.itr == NIC_DRV_ITR_ADAPTIVE && nic_itr_update(&q->itr))
        t = eitr_write(q, t);
    else if (q->cfg.itr == NIC_DRV_ITR_DIM)
        t = dim_update(q, t);
    q->polling = false;
    q->ctr->irq_enables++;
    irq_enable(q, t);
}
