/* The NIC core: parameters, the PF's configuration space, the VFs the SR-IOV
 * capability (models/pcie/sriov.h) asks for, the queue pool, MSI-X vectors, statistics
 * and the timed-action queue. Registers are decoded in regs.c, the VF administration
 * and mailbox are in mbx.c, the data path in queue.c. */
#include "models/nic/nic_impl.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/nic/nic_regs.h"
#include "models/pcie/endpoint.h"
#include "sim/alloc.h"

/* ---------------------------------------------------------------- MAC addresses */

int nic_mac_parse(const char *text, uint64_t *mac)
{
    unsigned b[6];
    char tail;
    if (!text || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                        &b[5], &tail) != 6)
        return -1;
    uint64_t m = 0;
    for (int i = 0; i < 6; i++)
        m = (m << 8) | b[i];
    *mac = m;
    return 0;
}

void nic_mac_format(uint64_t mac, char buf[18])
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)(mac >> 40) & 0xff,
             (unsigned)(mac >> 32) & 0xff, (unsigned)(mac >> 24) & 0xff,
             (unsigned)(mac >> 16) & 0xff, (unsigned)(mac >> 8) & 0xff, (unsigned)mac & 0xff);
}

/* ---------------------------------------------------------------- parameters */

static const sim_param_def nic_params[] = {
    {"nic.max_vfs", SIM_PARAM_UINT, "64", "0..256", "VFs",
     "SR-IOV TotalVFs of the PF (82599: 64, X710: 128, E810: 256)", SIM_AT(nic_cfg, max_vfs)},
    {"nic.total_queues", SIM_PARAM_UINT, "128", "1..2048", "queue pairs",
     "Queue pairs in the pool shared by the PF and the VFs (82599: 128, X710: 1536, E810: 2048)",
     SIM_AT(nic_cfg, total_queues)},
    {"nic.pf_queues", SIM_PARAM_UINT, "2", "1..2048", "queue pairs",
     "Queue pairs the PF keeps for itself", SIM_AT(nic_cfg, pf_queues)},
    {"nic.queues_per_vf", SIM_PARAM_UINT, "2", "1..16", "queue pairs",
     "Queue pairs each VF gets (82599 with 64 pools: 2; X710, E810: up to 16)",
     SIM_AT(nic_cfg, queues_per_vf)},
    {"nic.vf_offset", SIM_PARAM_UINT, "128", "1..65535", "",
     "SR-IOV First VF Offset: VF 0's routing ID minus the PF's (82599: 0x80, VFs from device "
     "10h)",
     SIM_AT(nic_cfg, vf_offset)},
    {"nic.vf_stride", SIM_PARAM_UINT, "2", "1..256", "",
     "SR-IOV VF Stride between consecutive VFs' routing IDs (82599: 2, the two ports' VFs "
     "interleave)",
     SIM_AT(nic_cfg, vf_stride)},
    {"nic.ring_entries", SIM_PARAM_UINT, "512", "8..32768", "descriptors",
     "Descriptors per ring, a multiple of 8 (ixgbe default: 512)", SIM_AT(nic_cfg, ring_entries)},
    {"nic.tx_desc_fetch", SIM_PARAM_UINT, "40", "1..1024", "descriptors",
     "Most transmit descriptors one read fetches (82599: 40; pcie-bench model/niantic.py)",
     SIM_AT(nic_cfg, tx_fetch)},
    {"nic.tx_desc_cache", SIM_PARAM_UINT, "40", "1..4096", "descriptors",
     "On-chip transmit descriptors per queue, fetched and not yet processed (82599: 40)",
     SIM_AT(nic_cfg, tx_cache)},
    {"nic.rx_desc_fetch", SIM_PARAM_UINT, "1", "1..1024", "descriptors",
     "Most receive descriptors one read fetches (pcie-bench's 82599 model reads one per "
     "packet)",
     SIM_AT(nic_cfg, rx_fetch)},
    {"nic.rx_desc_cache", SIM_PARAM_UINT, "32", "1..4096", "descriptors",
     "On-chip receive descriptors per queue (82599: 32)", SIM_AT(nic_cfg, rx_cache)},
    {"nic.wb_threshold", SIM_PARAM_UINT, "8", "1..256", "descriptors",
     "Transmit descriptors written back together (TXDCTL.WTHRESH; ixgbe sets 8)",
     SIM_AT(nic_cfg, tx_wb)},
    {"nic.rx_wb_threshold", SIM_PARAM_UINT, "1", "1..256", "descriptors",
     "Receive descriptors written back together (RXDCTL.WTHRESH; 82599 default 1)",
     SIM_AT(nic_cfg, rx_wb)},
    {"nic.tx_head_wb", SIM_PARAM_BOOL, "false", NULL, "",
     "Transmit completion by a 4-byte head write-back instead of descriptor write-back "
     "(TDWBAL.Head_WB_En; off in Linux)",
     SIM_AT(nic_cfg, tx_head_wb)},
    {"nic.tx_desc_bytes", SIM_PARAM_UINT, "16", "16..256", "bytes",
     "A transmit descriptor as the device reads it, a multiple of 16 (82599: 16; a ConnectX "
     "send WQE, one 64-byte WQEBB)",
     SIM_AT(nic_cfg, tx_desc_bytes)},
    {"nic.rx_desc_bytes", SIM_PARAM_UINT, "16", "16..256", "bytes",
     "A receive descriptor as the device reads it, a multiple of 16 (82599: 16; a ConnectX "
     "cyclic receive WQE of one data segment: 16)",
     SIM_AT(nic_cfg, rx_desc_bytes)},
    {"nic.cqe_bytes", SIM_PARAM_UINT, "0", "0..256", "bytes",
     "Completions: 0 writes each done descriptor back in place (82599); else the device "
     "writes a completion of this many bytes to the ring's completion queue (a ConnectX "
     "CQE: 64), a multiple of 16",
     SIM_AT(nic_cfg, cqe_bytes)},
    {"nic.line_gbps", SIM_PARAM_DOUBLE, "40", "0.1..1600", "Gbps",
     "Ethernet line rate (40GBASE-R: 40)", SIM_AT(nic_cfg, line_gbps)},
    {"nic.max_frame_bytes", SIM_PARAM_UINT, "15872", "64..65535", "bytes",
     "Largest frame the MAC sends or accepts, FCS included (82599: 15.5 KB jumbo frames)",
     SIM_AT(nic_cfg, max_frame_bytes)},
    {"nic.ifg_bytes", SIM_PARAM_UINT, "12", "1..64", "bytes",
     "Inter-frame gap on the wire (IEEE 802.3: 96 bit times)", SIM_AT(nic_cfg, ifg_bytes)},
    {"nic.wire_latency_ns", SIM_PARAM_DOUBLE, "300", "0..1e9", "ns",
     "From the NIC's MAC to the link partner's: MAC, PCS/PMA of both ends and the cable, one "
     "way (assumed)",
     SIM_AT(nic_cfg, wire_latency_ps)},
    {"nic.veb_latency_ns", SIM_PARAM_DOUBLE, "200", "0..1e9", "ns",
     "Embedded switch turnaround of a frame between two pools (assumed)",
     SIM_AT(nic_cfg, veb_latency_ps)},
    {"nic.dma_latency_ns", SIM_PARAM_DOUBLE, "122", "0..1e6", "ns",
     "NIC DMA engine, from a request to its first TLP (the device share of the measured 546 ns "
     "DMA read, docs/pcie-model.md)",
     SIM_AT(nic_cfg, dma_latency_ps)},
    {"nic.mmio_read_ns", SIM_PARAM_DOUBLE, "100", "0..1e6", "ns",
     "Time the NIC takes to answer a register read (assumed)", SIM_AT(nic_cfg, mmio_read_ps)},
    {"nic.tx_dma_window_bytes", SIM_PARAM_UINT, "16384", "64..1GiB", "bytes",
     "Transmit data the DMA engine keeps requested and not yet arrived (outstanding read "
     "requests x their size; assumed)",
     SIM_AT(nic_cfg, tx_window_bytes)},
    {"nic.rx_dma_window_bytes", SIM_PARAM_UINT, "16384", "64..1GiB", "bytes",
     "Received data the DMA engine keeps in flight, written but not yet in memory; later "
     "frames wait in the packet buffer (assumed)",
     SIM_AT(nic_cfg, rx_window_bytes)},
    {"nic.rx_buffer_bytes", SIM_PARAM_UINT, "512KiB", "2048..1GiB", "bytes",
     "On-chip receive packet buffer (82599: 512 KB)", SIM_AT(nic_cfg, rx_buffer_bytes)},
    {"nic.tx_buffer_bytes", SIM_PARAM_UINT, "160KiB", "2048..1GiB", "bytes",
     "On-chip transmit packet buffer (82599: 160 KB)", SIM_AT(nic_cfg, tx_buffer_bytes)},
    {"nic.itr_us", SIM_PARAM_DOUBLE, "10", "0..1e6", "us",
     "Interrupt moderation until software writes the vector's EITR: a vector fires this long "
     "after its first completion at the latest (pcie-bench's fixed moderation)",
     SIM_AT(nic_cfg, itr_ps)},
    {"nic.itr_pkts", SIM_PARAM_UINT, "32", "0..65536", "packets",
     "Interrupt moderation: a vector fires after this many completions (0: only the timer; "
     "pcie-bench's 82599 model: 32)",
     SIM_AT(nic_cfg, itr_pkts)},
    {"nic.mbx_latency_us", SIM_PARAM_DOUBLE, "10", "0..1e9", "us",
     "PF-VF mailbox: from the PF's request until the setting is in effect (message, VF "
     "notification, acknowledgement; assumed)",
     SIM_AT(nic_cfg, mbx_ps)},
    {"nic.rate_burst_bytes", SIM_PARAM_UINT, "40960", "64..1GiB", "bytes",
     "Token bucket depth of a VF's transmit rate limiter (a quarter of the 82599's transmit "
     "buffer, assumed)",
     SIM_AT(nic_cfg, rate_burst_bytes)},
    {"nic.tx_quantum_bytes", SIM_PARAM_UINT, "1518", "64..1MiB", "bytes",
     "Deficit round robin quantum of a transmit queue (one maximum frame, so each turn sends at "
     "least one)",
     SIM_AT(nic_cfg, quantum_bytes)},
    {"nic.mmio_base_addr", SIM_PARAM_UINT, "0x380000000000", "4GiB..4096TiB", "bytes",
     "Where the NIC's 64-bit BARs are placed (above 4 GiB: 4 DW MMIO headers, as pcie-bench "
     "counts them)",
     SIM_AT(nic_cfg, mmio_base)},
    {"nic.mps_supported_bytes", SIM_PARAM_UINT, "512", "128..4096", "bytes",
     "Max_Payload_Size Supported in Device Capabilities (82599: 512)",
     SIM_AT(nic_cfg, mps_supported)},
    {"nic.pf_mac", SIM_PARAM_STRING, "00:1b:21:00:00:01", NULL, "", "The PF's MAC address",
     SIM_AT(nic_cfg, pf_mac_text)},
};

void nic_register_params(sim_params *p)
{
    sim_params_add_table(p, nic_params, SIM_TABLE_LEN(nic_params));
}

/* The NIC's parameters from the registry (tags apart: nic_create sets them). */
static void nic_cfg_load(const sim_params *p, nic_cfg *c)
{
    memset(c, 0, sizeof *c);
    sim_params_load_table(p, nic_params, SIM_TABLE_LEN(nic_params), c);
    nic_mac_parse(c->pf_mac_text, &c->pf_mac); /* nic_check has refused malformed ones */
}

static nic_caps caps_of_cfg(const nic_cfg *c)
{
    return (nic_caps){.max_vfs = c->max_vfs,
                      .total_queues = c->total_queues,
                      .pf_queues = c->pf_queues,
                      .queues_per_vf = c->queues_per_vf,
                      .ring_entries = c->ring_entries,
                      .line_gbps = c->line_gbps,
                      .ifg_bytes = c->ifg_bytes,
                      .mmio_base = c->mmio_base,
                      .tx_fetch = c->tx_fetch,
                      .rx_fetch = c->rx_fetch,
                      .tx_wb = c->tx_wb,
                      .rx_wb = c->rx_wb,
                      .tx_head_wb = c->tx_head_wb,
                      .itr_pkts = c->itr_pkts,
                      .tx_desc_bytes = c->tx_desc_bytes,
                      .rx_desc_bytes = c->rx_desc_bytes,
                      .cqe_bytes = c->cqe_bytes};
}

nic_caps nic_caps_of(const sim_params *p)
{
    nic_cfg c;
    nic_cfg_load(p, &c);
    return caps_of_cfg(&c);
}

nic_caps nic_get_caps(const nic *n) { return caps_of_cfg(&n->cfg); }

int nic_check(const sim_params *p, uint16_t pf_rid, sim_err *e)
{
    nic_cfg c;
    nic_cfg_load(p, &c);
    if (c.pf_queues > c.total_queues)
        return sim_err_set(e, "nic.pf_queues = %u is more queues than the pool holds "
                              "(nic.total_queues = %u)", c.pf_queues, c.total_queues);
    if (c.pf_queues > NIC_PF_MAX_QUEUES)
        return sim_err_set(e, "nic.pf_queues = %u is more than the PF's register map holds (%u "
                              "queue pairs: higher queue blocks would overlap the mailbox)",
                           c.pf_queues, NIC_PF_MAX_QUEUES);
    if (c.max_vfs) {
        uint32_t last_rid = pcie_sriov_rid(pf_rid, c.vf_offset, c.vf_stride, c.max_vfs - 1);
        if (last_rid > 0xffff)
            return sim_err_set(e, "nic.vf_offset = %u, nic.vf_stride = %u and nic.max_vfs = %u put "
                                  "the last VF at routing ID %x (the PF's is %04x): beyond FFFFh",
                               c.vf_offset, c.vf_stride, c.max_vfs, (unsigned)last_rid,
                               (unsigned)pf_rid);
    }
    unsigned long long entries = c.ring_entries;
    if (entries % 8)
        return sim_err_set(e, "nic.ring_entries = %llu: must be a multiple of 8 (the ring length "
                              "register counts 128-byte units)", entries);
    const struct {
        const char *fetch_name, *cache_name;
        unsigned long long fetch, cache;
    } dirs[] = {{"nic.tx_desc_fetch", "nic.tx_desc_cache", c.tx_fetch, c.tx_cache},
                {"nic.rx_desc_fetch", "nic.rx_desc_cache", c.rx_fetch, c.rx_cache}};
    for (int d = 0; d < 2; d++) {
        if (dirs[d].fetch > dirs[d].cache)
            return sim_err_set(e, "%s = %llu exceeds %s = %llu: a fetch must fit in the "
                                  "descriptor cache", dirs[d].fetch_name, dirs[d].fetch,
                               dirs[d].cache_name, dirs[d].cache);
        if (dirs[d].cache >= entries)
            return sim_err_set(e, "%s = %llu must be below nic.ring_entries = %llu",
                               dirs[d].cache_name, dirs[d].cache, entries);
    }
    if (c.tx_desc_bytes % 16 || c.rx_desc_bytes % 16 || c.cqe_bytes % 16)
        return sim_err_set(e, "nic.tx_desc_bytes = %u, nic.rx_desc_bytes = %u, nic.cqe_bytes = %u: "
                              "descriptors and completions are multiples of 16 bytes",
                           c.tx_desc_bytes, c.rx_desc_bytes, c.cqe_bytes);
    if (c.cqe_bytes && c.tx_head_wb)
        return sim_err_set(e, "nic.tx_head_wb: a device that writes completions to completion "
                              "queues (nic.cqe_bytes = %u) has no head write-back", c.cqe_bytes);
    if (c.tx_wb >= entries || c.rx_wb >= entries)
        return sim_err_set(e, "nic.wb_threshold and nic.rx_wb_threshold must be below "
                              "nic.ring_entries = %llu", entries);
    uint64_t mac;
    if (nic_mac_parse(c.pf_mac_text, &mac) < 0)
        return sim_err_set(e, "nic.pf_mac = '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)",
                           c.pf_mac_text);
    if (!nic_mac_is_unicast(mac))
        return sim_err_set(e, "nic.pf_mac = %s is not a unicast address", c.pf_mac_text);
    uint32_t mps = pcie_link_cfg_from_params(p).mps_bytes;
    if (mps > c.mps_supported)
        return sim_err_set(e,
                           "pcie.mps_bytes = %u is above the NIC's Max_Payload_Size "
                           "Supported (nic.mps_supported_bytes = %u)",
                           mps, c.mps_supported);
    return 0;
}

int nic_check_frame(const sim_params *p, const char *what, uint64_t frame_bytes, sim_err *e)
{
    nic_cfg c;
    nic_cfg_load(p, &c);
    if (frame_bytes > c.max_frame_bytes)
        return sim_err_set(e,
                           "%s = %llu is above the NIC's largest frame (nic.max_frame_bytes = "
                           "%u)",
                           what, (unsigned long long)frame_bytes, c.max_frame_bytes);
    if (frame_bytes > c.tx_buffer_bytes || frame_bytes > c.rx_buffer_bytes)
        return sim_err_set(e,
                           "%s = %llu is larger than the NIC's packet buffers "
                           "(nic.tx_buffer_bytes, nic.rx_buffer_bytes)",
                           what, (unsigned long long)frame_bytes);
    return 0;
}

int nic_check_offered(const sim_params *p, const char *what, double gbps, sim_err *e)
{
    double line = nic_caps_of(p).line_gbps;
    if (gbps > line)
        return sim_err_set(e, "%s = %g is above the line rate (nic.line_gbps = %g)", what, gbps,
                           line);
    return 0;
}

/* ---------------------------------------------------------------- errors */

void nic_set_error(nic *n, uint64_t *counter, const char *fmt, ...)
{
    if (counter)
        (*counter)++;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->last_error, sizeof n->last_error, fmt, ap);
    va_end(ap);
}

uint64_t nic_pf_errors(const nic *n) { return n->pf_driver_errors + n->sriov_errors; }
const char *nic_last_error(const nic *n) { return n->last_error; }

/* ---------------------------------------------------------------- timed actions */

void nic_sched(nic *n, uint64_t t_ps, enum nic_act_kind kind, void *obj, uint32_t gen)
{
    uint64_t now = sim_now_ps(n->kernel);
    if (t_ps < now)
        t_ps = now;
    if (sim_tq_push(n->acts, t_ps, obj, NIC_ACT_TAG(kind, gen)))
        sim_event_notify_at(n->ev, t_ps);
}

static void on_event(void *ctx)
{
    nic *n = ctx;
    uint64_t now = sim_now_ps(n->kernel);
    sim_tq_item a;
    while (sim_tq_pop_due(n->acts, now, &a)) {
        uint32_t gen = NIC_ACT_GEN(a.tag);
        switch (NIC_ACT_KIND(a.tag)) {
        case NIC_ACT_TXQ:
        case NIC_ACT_RXQ: {
            nic_q *q = a.obj;
            if (q->gen == gen && q->wake_ps == a.t_ps) {
                q->wake_ps = NIC_NOT_DONE;
                nic_q_wake(q, now);
            }
            break;
        }
        case NIC_ACT_ENGINE:
            if (!a.obj && gen == n->engine_gen) {
                n->engine_wake_ps = NIC_NOT_DONE;
                nic_engine_run(n, now);
            } else if (a.obj) {
                nic_fn *f = a.obj; /* a rate-limited VF has tokens again */
                if (f->present && f->gen == gen && f->token_wait)
                    nic_engine_tokens_back(n, f, now);
            }
            break;
        case NIC_ACT_FRAME:
            nic_frame_arrive(n, a.obj, now);
            break;
        case NIC_ACT_ITR: {
            nic_vec *v = a.obj;
            if (v->gen == gen && v->fn->present)
                nic_vec_timer(v, now);
            break;
        }
        case NIC_ACT_RXDMA:
            if (gen == n->rxe_gen) {
                n->rxe_wake_ps = NIC_NOT_DONE;
                nic_rx_engine_run(n, now);
            }
            break;
        case NIC_ACT_MBX:
            nic_mbx_deliver(n, a.obj, now);
            free(a.obj);
            break;
        }
    }
    if (sim_tq_len(n->acts))
        sim_event_notify_at(n->ev, sim_tq_head_ps(n->acts));
}

/* ---------------------------------------------------------------- functions */

nic_fn *nic_fn_get(nic *n, unsigned fn)
{
    if (fn > n->cfg.max_vfs || !n->fns[fn].present)
        return NULL;
    return &n->fns[fn];
}

unsigned nic_max_vfs(const nic *n) { return n->cfg.max_vfs; }
unsigned nic_num_vfs(const nic *n) { return pcie_sriov_num_vfs(n->sriov); }
bool nic_fn_present(const nic *n, unsigned fn) { return fn <= n->cfg.max_vfs && n->fns[fn].present; }
pcie_cfg *nic_fn_cfg(nic *n, unsigned fn) { return nic_fn_present(n, fn) ? n->fns[fn].cfg : NULL; }
uint16_t nic_fn_rid(const nic *n, unsigned fn) { return nic_fn_present(n, fn) ? n->fns[fn].rid : 0; }
unsigned nic_fn_queues(const nic *n, unsigned fn) { return nic_fn_present(n, fn) ? n->fns[fn].nq : 0; }
unsigned nic_fn_vectors(const nic *n, unsigned fn) { return nic_fn_present(n, fn) ? n->fns[fn].nvec : 0; }
uint64_t nic_fn_mac(const nic *n, unsigned fn) { return nic_fn_present(n, fn) ? n->fns[fn].mac : 0; }
uint16_t nic_fn_vlan(const nic *n, unsigned fn) { return nic_fn_present(n, fn) ? n->fns[fn].vlan : 0; }
double nic_fn_rate_gbps(const nic *n, unsigned fn) { return nic_fn_present(n, fn) ? n->fns[fn].rate_gbps : 0; }
bool nic_fn_link_up(const nic *n, unsigned fn)
{
    return nic_fn_present(n, fn) && n->fns[fn].link != NIC_LINK_DISABLE;
}
unsigned nic_queues_in_use(const nic *n) { return n->pool_used; }
unsigned nic_total_queues(const nic *n) { return n->cfg.total_queues; }
uint32_t nic_ring_entries(const nic *n) { return n->cfg.ring_entries; }
double nic_line_gbps(const nic *n) { return n->cfg.line_gbps; }
uint64_t nic_wire_latency_ps(const nic *n) { return n->cfg.wire_latency_ps; }
uint64_t nic_mmio_read_latency_ps(const nic *n) { return n->cfg.mmio_read_ps; }
uint64_t nic_mbx_latency_ps(const nic *n) { return n->cfg.mbx_ps; }

uint64_t nic_frame_wire_ps(const nic *n, uint32_t frame_bytes)
{
    if (frame_bytes < NIC_MIN_FRAME_BYTES)
        frame_bytes = NIC_MIN_FRAME_BYTES; /* the MAC pads short frames */
    uint64_t bytes = (uint64_t)frame_bytes + NIC_PREAMBLE_BYTES + n->cfg.ifg_bytes;
    return (bytes * n->ps_per_byte_x1024 + 512) >> 10;
}

unsigned nic_queue_vector(const nic *n, unsigned fn, unsigned q)
{
    if (!nic_fn_present(n, fn) || q >= n->fns[fn].nq)
        return 0;
    return n->fns[fn].txq[q].vec;
}

nic_fn_counters nic_fn_get_counters(const nic *n, unsigned fn)
{
    nic_fn_counters z = {0};
    return fn <= n->cfg.max_vfs ? n->ctr[fn] : z;
}

nic_fn_counters nic_get_counters(const nic *n)
{
    nic_fn_counters s = {0};
    _Static_assert(sizeof s % sizeof(uint64_t) == 0, "counters only");
    for (unsigned f = 0; f <= n->cfg.max_vfs; f++)
        sim_counters_add(&s, &n->ctr[f], sizeof s);
    return s;
}

uint64_t nic_fn_bar(const nic *n, unsigned fn, unsigned bar)
{
    if (!nic_fn_present(n, fn) || (bar != NIC_BAR_REGS && bar != NIC_BAR_MSIX))
        return 0;
    if (fn == NIC_PF)
        return pcie_cfg_bar_address(n->pf_cfg, bar);
    return pcie_sriov_vf_bar_address(n->sriov, bar, fn - 1);
}

uint64_t nic_reg_addr(const nic *n, unsigned fn, uint32_t reg_off)
{
    uint64_t bar = nic_fn_bar(n, fn, NIC_BAR_REGS);
    return bar ? bar + reg_off : 0;
}

/* ---------------------------------------------------------------- statistics */

static double fn_gbps(const sim_stats *s, void *ctx)
{
    const nic_fn_counters *c = ctx;
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? (double)(c->tx_bytes + c->rx_bytes) * 8000.0 / (double)el : 0.0;
}

static double fn_mpps(const sim_stats *s, void *ctx)
{
    const nic_fn_counters *c = ctx;
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? (double)(c->tx_frames + c->rx_frames) * 1e6 / (double)el : 0.0;
}

static double fn_irqs_per_sec(const sim_stats *s, void *ctx)
{
    const nic_fn_counters *c = ctx;
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? (double)c->irqs * 1e12 / (double)el : 0.0;
}

static double fn_drops(const sim_stats *s, void *ctx)
{
    (void)s;
    const nic_fn_counters *c = ctx;
    return (double)(c->spoof_drops + c->link_drops + c->rx_no_desc_drops + c->rx_overflow_drops +
                    c->dma_errors + c->bad_desc);
}

static double fn_up_per_pkt(const sim_stats *s, void *ctx)
{
    (void)s;
    const nic_fn_counters *c = ctx;
    uint64_t pk = c->tx_frames + c->rx_frames;
    return pk ? (double)c->pcie_up_bytes / (double)pk : 0.0;
}

static double fn_down_per_pkt(const sim_stats *s, void *ctx)
{
    (void)s;
    const nic_fn_counters *c = ctx;
    uint64_t pk = c->tx_frames + c->rx_frames;
    return pk ? (double)c->pcie_down_bytes / (double)pk : 0.0;
}

/* name, holding a function's prefix of plen bytes, with "." and suffix after it: the
 * names of a function's 30 statistics, built without printf (64 VFs register ~2,000). */
static const char *fn_stat_name(char *name, size_t size, size_t plen, const char *suffix)
{
    size_t n = strlen(suffix);
    assert(plen + 1 + n < size);
    (void)size;
    name[plen] = '.';
    memcpy(name + plen + 1, suffix, n + 1);
    return name;
}

static void register_fn_stats(nic *n, unsigned fn)
{
    if (n->ctr_registered[fn])
        return;
    n->ctr_registered[fn] = true;
    char name[96];
    size_t plen = fn == NIC_PF ? (size_t)snprintf(name, sizeof name, "nic.pf")
                               : (size_t)snprintf(name, sizeof name, "nic.vf%u", fn - 1);
    nic_fn_counters *c = &n->ctr[fn];
#define N(suffix) fn_stat_name(name, sizeof name, plen, suffix)
#define C(field, desc) sim_stats_counter(n->stats, N(#field), &c->field, desc)
    C(tx_frames, "frames sent (wire or VEB)");
    C(tx_bytes, "host-side bytes sent (frames without FCS)");
    C(rx_frames, "frames written to host memory");
    C(rx_bytes, "host-side bytes received");
    C(tx_desc_reads, "transmit descriptor fetch reads");
    C(tx_descs, "transmit descriptors fetched");
    C(rx_desc_reads, "receive descriptor fetch reads");
    C(rx_descs, "receive descriptors fetched");
    C(tx_wb_writes, "transmit write-backs (descriptor or head)");
    C(rx_wb_writes, "receive descriptor write-backs");
    C(doorbells, "tail register writes");
    C(irqs, "MSI-X messages");
    C(spoof_drops, "transmit frames dropped by anti-spoofing");
    C(link_drops, "frames dropped: the VF's link is down");
    C(rx_no_desc_drops, "received frames dropped: no descriptor posted");
    C(rx_overflow_drops, "received frames dropped: on-chip buffer full");
    C(dma_errors, "transmit DMA reads refused (Unsupported Request)");
    C(bad_tail, "tail writes beyond the ring (ignored)");
    C(bad_mmio, "register accesses that hit no register");
    C(bad_desc, "transmit descriptors with a length above nic.max_frame_bytes (dropped)");
    C(flrs, "Function Level Resets (Initiate FLR written)");
    C(mbx_busy, "VF mailbox requests made while its last was pending (ignored)");
    C(pcie_up_bytes, "this function's upstream TLP bytes (DMA, MSI-X, MMIO read completions)");
    C(pcie_down_bytes, "this function's downstream TLP bytes (completions, MMIO)");
#undef C
    sim_stats_derived(n->stats, N("throughput_gbps"), fn_gbps, c,
                      "host-side Gb/s sent + received");
    sim_stats_derived(n->stats, N("throughput_mpps"), fn_mpps, c,
                      "million frames per second sent + received");
    sim_stats_derived(n->stats, N("drops"), fn_drops, c, "frames dropped, every reason");
    sim_stats_derived(n->stats, N("irqs_per_sec"), fn_irqs_per_sec, c, "interrupts per second");
    sim_stats_derived(n->stats, N("pcie_up_bytes_per_pkt"), fn_up_per_pkt, c,
                      "upstream TLP bytes per frame");
    sim_stats_derived(n->stats, N("pcie_down_bytes_per_pkt"), fn_down_per_pkt, c,
                      "downstream TLP bytes per frame");
#undef N
}

/* ---------------------------------------------------------------- function set-up */

static unsigned vectors_for(unsigned nq)
{
    return (nq < NIC_PF_MSIX_VECTORS - 1 ? nq : NIC_PF_MSIX_VECTORS - 1) + 1;
}

unsigned nic_fn_queue_vec(const nic_fn *f, unsigned q)
{
    uint32_t qims = f->txq[q].qims;
    if (qims & NIC_QIMS_ENABLE)
        return NIC_PF_MSIX_VECTORS + (qims & NIC_QIMS_ENTRY_MASK);
    return q % (f->nvec - 1);
}

static void vec_reset(nic_fn *f, unsigned v, bool ims)
{
    uint32_t gen = f->vec[v].gen + 1;
    f->vec[v] = (nic_vec){.fn = f, .idx = v, .msix = pcie_msix_vec_reset(), .ims = ims, .gen = gen};
}

/* Queue pairs [from, to) of a function as reset leaves them. */
static void queues_reset(nic_fn *f, unsigned from, unsigned to)
{
    for (unsigned q = from; q < to; q++) {
        nic_q *tq = &f->txq[q], *rq = &f->rxq[q];
        nic_q_reset(tq);
        nic_q_reset(rq);
        tq->fn = rq->fn = f;
        tq->qi = rq->qi = q;
        tq->qpasid = rq->qpasid = 0;
        tq->qims = rq->qims = 0;
        tq->vec = rq->vec = nic_fn_queue_vec(f, q);
    }
}

/* Queue pairs of a function come from the pool: the PF's first, then each VF's.
 * Vector and queue objects outlive a VF (timed actions may still name them); their
 * generations move on so such actions are ignored. The PF's IMS vectors follow its
 * MSI-X ones (nic_regs.h). */
static void fn_attach_queues(nic *n, nic_fn *f, unsigned first, unsigned nq)
{
    f->nq = nq;
    f->txq = &n->txq[first];
    f->rxq = &n->rxq[first];
    f->nvec = vectors_for(nq);
    assert(f->nvec <= f->vec_cap);
    for (unsigned v = 0; v < f->nvec; v++)
        vec_reset(f, v, false);
    if (f->idx == NIC_PF)
        for (unsigned i = 0; i < NIC_PF_IMS_VECTORS; i++)
            vec_reset(f, NIC_PF_MSIX_VECTORS + i, true);
    queues_reset(f, 0, nq);
    f->rx_active = 0;
    n->pool_used += nq;
}

int nic_pf_add_queues(nic *n, unsigned count)
{
    nic_fn *f = &n->fns[NIC_PF];
    uint64_t nq = (uint64_t)f->nq + count;
    /* Without VFs the PF's queue pairs are all the pool has in use. */
    if (!f->present || nic_num_vfs(n) || nq > n->cfg.total_queues || nq > NIC_PF_MAX_QUEUES)
        return -1;
    /* The MSI-X table keeps the size its capability gives it: a new pair not bound to an
     * IMS entry shares a vector, as a PF's pairs beyond its vectors do. */
    unsigned old_nq = f->nq;
    f->nq = (unsigned)nq;
    queues_reset(f, old_nq, f->nq);
    n->pool_used += count;
    nic_vmdq_set_queues(n->vmdq, f->nq);
    return 0;
}

static void fn_release_queues(nic *n, nic_fn *f)
{
    nic_engine_remove_fn(n, f);
    for (unsigned q = 0; q < f->nq; q++) {
        nic_q_reset(&f->txq[q]);
        nic_q_reset(&f->rxq[q]);
        f->txq[q].fn = f->rxq[q].fn = NULL;
        f->txq[q].qpasid = f->rxq[q].qpasid = 0;
    }
    for (unsigned v = 0; v < f->nvec; v++)
        f->vec[v].gen++;
    n->pool_used -= f->nq;
    f->nq = 0;
    f->nvec = 0;
    f->rx_active = 0;
}

static void fn_set_limits(nic *n, nic_fn *f) { pcie_endpoint_apply_pf_limits(f->dma, n->pf_cfg); }

static void fn_pool_defaults(nic *n, nic_fn *f)
{
    f->vlan = 0;
    f->spoofchk = false;
    f->trust = false;
    f->admin_mac = false;
    f->link = NIC_LINK_AUTO;
    f->rate_gbps = 0;
    f->rx_active = 0;
    nic_fn_tokens_reset(f, sim_now_ps(n->kernel));
}

/* ---------------------------------------------------------------- Device Control */

/* A VF's mailbox as a reset or a new VF finds it: empty, nothing pending. */
static void fn_mailbox_reset(nic_fn *f)
{
    memset(f->mbx, 0, sizeof f->mbx);
    f->ral = 0;
    f->mbx_busy_ps = 0;
}

/* Function Level Reset (PCIe 5.0 6.6.2; a VF's, SR-IOV 1.1 2.2.2): the function forgets
 * what software gave it. Its queues lose their rings, heads and tails, its vectors
 * their MSI-X entries (masked), its mailbox memory and pending request; the frames
 * queued for it in the receive pipeline and every timed action of its queues, vectors
 * and mailbox are dropped (generations), so no DMA of the old owner is issued after
 * this instant. Its configuration space returns to reset values (Bus Master Enable
 * off, MSI-X disabled); the host restores what it saved, as Linux's
 * pci_reset_function does around pcie_flr. A VF's pool settings (MAC, port VLAN,
 * anti-spoofing, rate) are the PF's and stay. A PF's reset also clears VF Enable
 * (its VFs go away) and its VMDq pools' filters. DMA issued before the reset still
 * completes, within the link's latency, long before the 100 ms software waits
 * (pcie_flr's msleep(100)) before it uses the function again. */
static void fn_flr(nic *n, nic_fn *f)
{
    unsigned first = f->nq ? (unsigned)(f->txq - n->txq) : 0, nq = f->nq;
    if (f->idx == NIC_PF) {
        pcie_sriov_reset(n->sriov);
        for (unsigned i = 0; i < NIC_VMDQ_FILTERS; i++)
            nic_vmdq_set(n->vmdq, i, 0, 0, 0, NULL);
    }
    fn_release_queues(n, f);
    fn_attach_queues(n, f, first, nq);
    f->gen++;
    fn_mailbox_reset(f);
    pcie_cfg_reset(f->cfg);
    fn_set_limits(n, f);
    f->ctr->flrs++;
}

/* Device Control written: Initiate FLR resets the function; every function's DMA
 * engine follows the PF's MPS and MRRS (a VF's MPS field is reserved and the PF's
 * governs, SR-IOV 3.5.4). */
static void on_devctl(pcie_cfg *c, const pcie_cfg_write_info *w, void *ctx)
{
    (void)c;
    nic_fn *fn = ctx;
    nic *n = fn->nic;
    pcie_devctl_request req = pcie_endpoint_devctl_request(w, fn->exp);
    if (req == PCIE_DEVCTL_UNTOUCHED)
        return;
    if (req == PCIE_DEVCTL_FLR) {
        fn_flr(n, fn);
        return;
    }
    if (fn->idx != NIC_PF)
        return;
    for (unsigned f = 0; f <= n->cfg.max_vfs; f++)
        if (n->fns[f].present)
            fn_set_limits(n, &n->fns[f]);
}

/* ---------------------------------------------------------------- VFs (SR-IOV callbacks) */

/* VF Enable with num VFs: the queue pool must hold them (the capability has checked
 * TotalVFs). */
static bool vfs_admit(void *ctx, unsigned num)
{
    nic *n = ctx;
    const nic_cfg *c = &n->cfg;
    if (c->pf_queues + (uint64_t)num * c->queues_per_vf > c->total_queues) {
        nic_set_error(n, &n->sriov_errors, "SR-IOV: VF Enable with NumVFs = %u refused: %u VFs x "
                                           "%u queue pairs + %u for the PF exceed the pool of %u",
                      num, num, c->queues_per_vf, c->pf_queues, c->total_queues);
        return false;
    }
    return true;
}

/* VF i at routing ID rid: its configuration space on the bus, its DMA engine (its
 * requester ID), its pool defaults and its share of the queue pool. */
static bool vf_create(void *ctx, unsigned i, uint16_t rid)
{
    nic *n = ctx;
    const nic_cfg *c = &n->cfg;
    nic_fn *f = &n->fns[1 + i];
    /* A VF's Vendor and Device ID read FFFFh (SR-IOV 3.4.1.1, 3.4.1.2): software finds
     * VFs through the PF's capability, not by scanning. Its BARs are the PF's SR-IOV
     * capability's. */
    pcie_endpoint_info info = {.vendor_id = 0xffff,
                               .device_id = 0xffff,
                               .class_code = NIC_CLASS_CODE,
                               .mps_supported_bytes = c->mps_supported,
                               .link = n->lcfg,
                               .msix_vectors = vectors_for(c->queues_per_vf),
                               .msix_bar = NIC_BAR_MSIX,
                               .msix_table_offset = NIC_MSIX_TABLE_OFFSET,
                               .msix_pba_offset = NIC_MSIX_PBA_OFFSET};
    pcie_cfg *cfg = pcie_endpoint_cfg_create(&info, &f->exp);
    if (!cfg)
        return false;
    if (!pcie_cfg_bus_attach(n->bus, rid, cfg)) {
        pcie_cfg_destroy(cfg);
        return false;
    }
    pcie_cfg_set_write_handler(cfg, (uint16_t)(f->exp + PCIE_EXP_DEVCTL), 2, on_devctl, f);
    f->cfg = cfg;
    f->rid = rid;
    f->dma = pcie_dma_create(n->link, n->rc, f->rid, c->tags);
    fn_set_limits(n, f);
    f->present = true;
    f->gen++;
    f->mac = 0;
    fn_mailbox_reset(f); /* nothing of a VF that had this number before */
    fn_pool_defaults(n, f);
    fn_attach_queues(n, f, c->pf_queues + i * c->queues_per_vf, c->queues_per_vf);
    register_fn_stats(n, 1 + i);
    return true;
}

static void vf_remove(void *ctx, unsigned i)
{
    nic *n = ctx;
    nic_fn *f = &n->fns[1 + i];
    nic_veb_set(n->veb, 1 + i, 0, 0);
    fn_release_queues(n, f);
    pcie_cfg_destroy(f->cfg); /* detaches it from the bus */
    pcie_dma_destroy(f->dma);
    f->cfg = NULL;
    f->dma = NULL;
    f->present = false;
    f->gen++;
}

static void sriov_refused(void *ctx, const char *msg)
{
    nic *n = ctx;
    nic_set_error(n, &n->sriov_errors, "%s", msg);
}

static const pcie_sriov_ops vf_ops = {vfs_admit, vf_create, vf_remove, sriov_refused};

static int build_pf(nic *n, sim_err *e)
{
    const nic_cfg *c = &n->cfg;
    pcie_endpoint_info info = {.vendor_id = NIC_VENDOR_ID,
                               .device_id = NIC_PF_DEVICE_ID,
                               .class_code = NIC_CLASS_CODE,
                               .ext_tag = true,
                               .mps_supported_bytes = c->mps_supported,
                               .link = n->lcfg,
                               .bars = {{NIC_BAR_REGS, NIC_PF_BAR0_BYTES, true, true},
                                        {NIC_BAR_MSIX, NIC_PF_BAR3_BYTES, true, true}},
                               .nbars = 2,
                               .msix_vectors = vectors_for(c->pf_queues),
                               .msix_bar = NIC_BAR_MSIX,
                               .msix_table_offset = NIC_MSIX_TABLE_OFFSET,
                               .msix_pba_offset = NIC_MSIX_PBA_OFFSET};
    if (!(n->pf_cfg = pcie_endpoint_cfg_create(&info, &n->fns[NIC_PF].exp)))
        return sim_err_set(e, "nic: cannot build the PF's configuration space");
    pcie_cfg_add_ext_capability(n->pf_cfg, PCIE_EXT_CAP_ID_ARI, PCIE_ARI_VERSION, PCIE_ARI_SIZEOF);
    /* 4 KiB, 8 KiB, 64 KiB, 256 KiB, 1 MiB, 4 MiB pages. */
    pcie_sriov_info si = {.total_vfs = (uint16_t)c->max_vfs,
                          .first_vf_offset = (uint16_t)c->vf_offset,
                          .vf_stride = (uint16_t)c->vf_stride,
                          .vf_device_id = NIC_VF_DEVICE_ID,
                          .supported_page_sizes = 0x553};
    si.vf_bar[NIC_BAR_REGS] = (pcie_sriov_bar){NIC_VF_BAR0_BYTES, true, true};
    si.vf_bar[NIC_BAR_MSIX] = (pcie_sriov_bar){NIC_VF_BAR3_BYTES, true, true};
    n->sriov = pcie_sriov_create(n->pf_cfg, &si, &vf_ops, n);
    if (!n->sriov)
        return sim_err_set(e, "nic: no room for the SR-IOV capability");
    pcie_cfg *p = n->pf_cfg;
    pcie_cfg_set_write_handler(p, (uint16_t)(n->fns[NIC_PF].exp + PCIE_EXP_DEVCTL), 2, on_devctl,
                               &n->fns[NIC_PF]);
    if (!pcie_cfg_bus_attach(n->bus, n->pf_rid, p))
        return sim_err_set(e, "nic: routing ID %04x is taken", (unsigned)n->pf_rid);
    pcie_cfg_register_stats(p, n->stats, "nic.pf.cfg");

    nic_fn *f = &n->fns[NIC_PF];
    f->cfg = p;
    f->rid = n->pf_rid;
    f->dma = pcie_dma_create(n->link, n->rc, f->rid, c->tags);
    f->present = true;
    fn_pool_defaults(n, f);
    f->mac = c->pf_mac;
    nic_veb_set(n->veb, NIC_PF, f->mac, 0);
    fn_attach_queues(n, f, 0, c->pf_queues);
    register_fn_stats(n, NIC_PF);
    return 0;
}

static void register_device_stats(nic *n)
{
    sim_stats_counter(n->stats, "nic.pf_driver_errors", &n->pf_driver_errors,
                      "PF driver requests refused (VF count, queue pool, bad values)");
    sim_stats_counter(n->stats, "nic.sriov_errors", &n->sriov_errors,
                      "SR-IOV capability writes the device refused");
    sim_stats_counter(n->stats, "nic.bad_mmio", &n->bad_mmio,
                      "register accesses that decoded to no function");
    sim_stats_counter(n->stats, "nic.mbx_msgs", &n->mbx_msgs, "PF-VF mailbox messages handled");
    sim_stats_counter(n->stats, "nic.mbx_refused", &n->mbx_refused,
                      "VF mailbox requests the PF refused");
    sim_stats_counter(n->stats, "nic.msi_masked", &n->msi_masked,
                      "interrupts held pending by a masked MSI-X entry or function");
}

nic *nic_create(const sim_params *p, const nic_env *env, sim_err *e)
{
    nic *n = sim_xcalloc(1, sizeof *n);
    n->kernel = env->kernel;
    n->stats = env->stats;
    n->link = env->link;
    n->rc = env->rc;
    n->bus = env->bus;
    n->lcfg = pcie_link_config(env->link);
    n->pf_rid = env->pf_rid;
    nic_cfg_load(p, &n->cfg);
    n->cfg.tags = pcie_link_params_load(p).tags;
    /* 8 bits per byte at line_gbps: 8000 / Gbps ps per byte, kept x1024 so a frame's
     * time is an integer multiply-shift. */
    n->ps_per_byte_x1024 = (uint64_t)llround(8000.0 * 1024.0 / n->cfg.line_gbps);
    n->fns = sim_xcalloc(1 + n->cfg.max_vfs, sizeof *n->fns);
    n->ctr = sim_xcalloc(1 + n->cfg.max_vfs, sizeof *n->ctr);
    n->ctr_registered = sim_xcalloc(1 + n->cfg.max_vfs, sizeof *n->ctr_registered);
    n->txq = sim_xcalloc(n->cfg.total_queues, sizeof *n->txq);
    n->rxq = sim_xcalloc(n->cfg.total_queues, sizeof *n->rxq);
    for (unsigned f = 0; f <= n->cfg.max_vfs; f++) {
        nic_fn *fn = &n->fns[f];
        fn->nic = n;
        fn->idx = f;
        fn->ctr = &n->ctr[f];
        /* The PF may take queue pairs of the pool for assignable interfaces
         * (nic_pf_add_queues), and has IMS vectors after its MSI-X ones. */
        unsigned nq = f == NIC_PF ? n->cfg.total_queues : n->cfg.queues_per_vf;
        fn->vec_cap = f == NIC_PF ? NIC_PF_MSIX_VECTORS + NIC_PF_IMS_VECTORS : vectors_for(nq);
        fn->vec = sim_xcalloc(fn->vec_cap, sizeof *fn->vec);
        fn->rx_map = sim_xcalloc(nq, sizeof *fn->rx_map);
    }
    for (unsigned q = 0; q < n->cfg.total_queues; q++) {
        nic_q_init(n, &n->txq[q], true);
        nic_q_init(n, &n->rxq[q], false);
    }
    n->veb = nic_veb_create(1 + n->cfg.max_vfs);
    n->vmdq = nic_vmdq_create(NIC_VMDQ_FILTERS, n->cfg.total_queues, n->cfg.pf_queues);
    nic_buf_init(&n->txbuf, n->cfg.tx_buffer_bytes, n->ctr);
    nic_buf_init(&n->rxbuf, n->cfg.rx_buffer_bytes, NULL);
    nic_buf_init(&n->txrd, n->cfg.tx_window_bytes, NULL);
    n->engine_wake_ps = NIC_NOT_DONE;
    n->rxe_wake_ps = NIC_NOT_DONE;
    n->ev = sim_event_create(n->kernel, "nic", on_event, n);
    n->acts = sim_tq_create();
    register_device_stats(n);
    if (build_pf(n, e) < 0) {
        nic_destroy(n);
        return NULL;
    }
    return n;
}

void nic_destroy(nic *n)
{
    if (!n)
        return;
    pcie_sriov_destroy(n->sriov);
    nic_fn *pf = &n->fns[NIC_PF];
    if (pf->present)
        fn_release_queues(n, pf);
    pcie_dma_destroy(pf->dma);
    pcie_cfg_destroy(n->pf_cfg);
    for (unsigned q = 0; q < n->cfg.total_queues; q++) {
        nic_q_free(&n->txq[q]);
        nic_q_free(&n->rxq[q]);
    }
    for (size_t i = 0; i < sim_tq_len(n->acts); i++) {
        sim_tq_item a = sim_tq_item_at(n->acts, i);
        if (NIC_ACT_KIND(a.tag) == NIC_ACT_MBX)
            free(a.obj);
        else if (NIC_ACT_KIND(a.tag) == NIC_ACT_FRAME)
            nic_frame_free(n, a.obj);
    }
    while (n->free_frames) {
        nic_frame *f = n->free_frames;
        n->free_frames = f->next_free;
        free(f);
    }
    free(n->rxfifo);
    nic_buf_free_all(&n->txbuf);
    nic_buf_free_all(&n->rxbuf);
    nic_buf_free_all(&n->txrd);
    nic_veb_destroy(n->veb);
    nic_vmdq_destroy(n->vmdq);
    for (unsigned f = 0; f <= n->cfg.max_vfs; f++) {
        free(n->fns[f].vec);
        free(n->fns[f].rx_map);
    }
    sim_tq_destroy(n->acts);
    free(n->txq);
    free(n->rxq);
    free(n->fns);
    free(n->ctr);
    free(n->ctr_registered);
    free(n);
}

/* ---------------------------------------------------------------- the wire */

void nic_set_wire_sink(nic *n, nic_wire_fn fn, void *ctx)
{
    n->sink = fn;
    n->sink_ctx = ctx;
}

void nic_set_wire_tap(nic *n, nic_wire_tap_fn fn, void *ctx)
{
    n->tap = fn;
    n->tap_ctx = ctx;
}

void nic_set_timeline(nic *n, sim_timeline *tl)
{
    n->tl = tl;
    if (tl) {
        n->tl_wire[0] = sim_timeline_track(tl, "nic", "wire out");
        n->tl_wire[1] = sim_timeline_track(tl, "nic", "wire in");
    }
}

uint32_t nic_rx_queued_frames(const nic *n) { return n->rxq_len; }

void nic_set_breakdown(nic *n, sim_breakdown *bd, unsigned cat_nic, unsigned cat_wire)
{
    n->bd = bd;
    n->bd_nic = cat_nic;
    n->bd_wire = cat_wire;
}

void nic_observe_queue(nic_q *q, const char *what, uint64_t start_ps, uint64_t end_ps,
                        uint32_t packet)
{
    nic *n = q->nic;
    if (n->bd && packet)
        sim_breakdown_add(n->bd, packet, n->bd_nic, start_ps, end_ps);
    if (!n->tl || !sim_timeline_wants(n->tl, start_ps, end_ps))
        return;
    if (!q->tl_track) {
        char name[48];
        if (q->fn->idx == NIC_PF)
            snprintf(name, sizeof name, "pf q%u %s", q->qi, q->is_tx ? "tx" : "rx");
        else
            snprintf(name, sizeof name, "vf%u q%u %s", q->fn->idx - 1, q->qi, q->is_tx ? "tx" : "rx");
        q->tl_track = sim_timeline_track_inflight(n->tl, "nic", name);
    }
    sim_timeline_slice(n->tl, q->tl_track, what, start_ps, end_ps - start_ps, packet);
}

void nic_wire_rx(nic *n, const nic_pkt *p, uint64_t arrival_ps)
{
    if (n->tap)
        n->tap(n->tap_ctx, NIC_TAP_IN, p, arrival_ps);
    if (n->tl || (n->bd && p->trace_id)) {
        uint64_t wire = nic_frame_wire_ps(n, p->len_bytes);
        uint64_t from = arrival_ps > wire ? arrival_ps - wire : 0;
        if (n->tl)
            sim_timeline_slice(n->tl, n->tl_wire[1], "frame in", from, arrival_ps - from,
                               p->trace_id);
        if (n->bd && p->trace_id) {
            uint64_t out = from > n->cfg.wire_latency_ps ? from - n->cfg.wire_latency_ps : 0;
            sim_breakdown_add(n->bd, p->trace_id, n->bd_wire, out, arrival_ps);
        }
    }
    nic_frame *fr = nic_frame_alloc(n);
    fr->pkt = *p;
    fr->src_fn = -1;
    nic_sched(n, arrival_ps, NIC_ACT_FRAME, fr, 0);
}
