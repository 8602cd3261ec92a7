/* The DMA micro-benchmark (workload.kind = dma): a device-side engine in the style of
 * pcie-bench that keeps dma.outstanding transfers of dma.size_bytes in flight over a
 * host buffer of dma.window_bytes, reading, writing, or alternating both, and reports
 * payload bandwidth, transfer rate and latency. The system is one device on one root
 * port: link, root complex, host memory.
 *
 * Each transfer costs one kernel event (its completion); the TLPs it generates are
 * reservations on the link and memory. Addresses: the window (4 KiB aligned) is cut
 * into slots, the transfer size rounded up to a power of two up to 4 KiB and to whole
 * 4 KiB pages above; transfers take the slots in order (seq) or at random, starting
 * dma.offset_bytes into the slot. With no offset a transfer of up to 4 KiB therefore
 * starts aligned and never crosses a 4 KiB boundary, as the pcie-bench model assumes;
 * an offset makes unaligned transfers (which may cross one).
 *
 * With iommu.mode other than off the root complex translates through the IOMMU
 * (models/iommu/): in pt the device is in pass-through; in strict and lazy the driver
 * maps each transfer's buffer before it and unmaps it after (dma.map = transfer) or maps
 * the window once in pages of iommu.page_bytes (dma.map = window, as pcie-bench does).
 * A 32-bit device (pcie.addr_bits = 32) with a window above 4 GiB goes through IOVAs
 * below 4 GiB, or, with the IOMMU off or in pt, through bounce buffers. The IOMMU's
 * metrics and dma_cpu_cycles_per_transfer then join the results. */
#include "systems/kinds.h"

#include <stdlib.h>

#include "host/dmaapi.h"
#include "models/iommu/iommu.h"
#include "models/mem/mem.h"
#include "models/pcie/cfgspace.h"
#include "models/pcie/dma.h"
#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "sim/alloc.h"
#include "sim/kernel.h"
#include "sim/rng.h"
#include "sim/tq.h"

/* The benchmarked function's identity: a network controller (class 02h). */
#define DEVICE_VENDOR_ID 0x19eeu
#define DEVICE_DEVICE_ID 0x4000u
#define DEVICE_CLASS 0x020000u
#define DEVICE_BAR0_BYTES (16ull << 20)
/* With the IOMMU in strict or lazy mode: the device's domain id. */
#define DEVICE_DID 1u
/* Most leaf entries a window mapped once may need (16 GiB of 4 KiB pages). */
#define WINDOW_MAX_PAGES (1ull << 22)

enum op { OP_READ, OP_WRITE, OP_RW };
enum pattern { PATTERN_SEQ, PATTERN_RANDOM };

/* A transfer in flight: one of dma.outstanding slots, its index in the timed queue at
 * the transfer's completion time. A retired transfer's slot takes the next one. */
typedef struct inflight {
    uint64_t issued_ps;
    uint32_t is_write;
    uint32_t mapped; /* buf holds a per-transfer mapping to undo */
    iommu_dma_buf buf;
} inflight;

typedef struct dma_cfg {
    uint32_t op; /* enum op */
    uint64_t size_bytes, window_bytes, offset_bytes, base_addr;
    uint32_t pattern; /* enum pattern */
    uint32_t outstanding;
    uint32_t cache; /* 0 warm, 1 cold */
    uint64_t engine_ps;
    uint32_t mps_supported_bytes;
    uint32_t map; /* 0 per transfer, 1 the window once */
} dma_cfg;

typedef struct dmabench {
    dma_cfg cfg;
    sim_kernel *kernel;
    platform *pf;
    pcie_dma *dma;
    pcie_cfg *fn;
    iommu_dma *dma_api;
    bool map_per_transfer;
    uint64_t dev_base; /* the window's device address when mapped once */
    sim_event *done_ev;
    sim_rng rng;
    /* Derived from cfg: the window's host address (dma.base_addr, or its default when 0)
     * and the slot size (see dmabench_build). */
    uint64_t base, align;
    uint64_t next_slot;
    uint64_t issued;
    inflight *slot;   /* dma.outstanding of them */
    sim_tq *inflight; /* completions not yet retired: slot indices */
    /* stats */
    uint64_t reads, writes, read_bytes, write_bytes, urs;
    sim_hist *latency;
} dmabench;

static const sim_param_def dma_params[] = {
    {"dma.op", SIM_PARAM_ENUM, "read", "read|write|rw", "",
     "DMA benchmark operation: read host memory, write it, or alternate", SIM_AT(dma_cfg, op)},
    {"dma.size_bytes", SIM_PARAM_UINT, "64", "1..1MiB", "bytes", "Bytes per DMA transfer",
     SIM_AT(dma_cfg, size_bytes)},
    {"dma.window_bytes", SIM_PARAM_UINT, "8192", "1..1TiB", "bytes",
     "Host buffer the transfers fall in", SIM_AT(dma_cfg, window_bytes)},
    {"dma.pattern", SIM_PARAM_ENUM, "seq", "seq|random", "",
     "Transfer addresses: sequential through the window, or random", SIM_AT(dma_cfg, pattern)},
    {"dma.outstanding", SIM_PARAM_UINT, "64", "1..65536", "transfers",
     "Transfers the engine keeps in flight", SIM_AT(dma_cfg, outstanding)},
    {"dma.cache", SIM_PARAM_ENUM, "warm", "warm|cold", "",
     "Host buffer in the last-level cache at the start (warm) or not (cold)",
     SIM_AT(dma_cfg, cache)},
    {"dma.engine_latency_ns", SIM_PARAM_DOUBLE, "122", "0..1e6", "ns",
     "Device DMA engine: from a transfer's request to its first TLP", SIM_AT(dma_cfg, engine_ps)},
    {"dma.offset_bytes", SIM_PARAM_UINT, "0", "0..4095", "bytes",
     "Start of each transfer past its slot's boundary (unaligned DMA)",
     SIM_AT(dma_cfg, offset_bytes)},
    {"dma.mps_supported_bytes", SIM_PARAM_UINT, "4096", "128..4096", "bytes",
     "The device's Max_Payload_Size Supported (Device Capabilities)",
     SIM_AT(dma_cfg, mps_supported_bytes)},
    {"dma.base_addr", SIM_PARAM_UINT, "0", NULL, "bytes",
     "Host address of the window (0: 4 GiB for 64-bit devices, 256 MiB for 32-bit ones)",
     SIM_AT(dma_cfg, base_addr)},
    {"dma.map", SIM_PARAM_ENUM, "transfer", "transfer|window", "",
     "With iommu.mode strict or lazy: map and unmap each transfer's buffer through the DMA API "
     "(transfer), or map the window once at start (window, as pcie-bench's driver does)",
     SIM_AT(dma_cfg, map)},
};

static void dmabench_register_params(sim_params *p)
{
    sim_params_add_table(p, dma_params, SIM_TABLE_LEN(dma_params));
}

static dma_cfg dma_cfg_load(const sim_params *p)
{
    dma_cfg c;
    sim_params_load_table(p, dma_params, SIM_TABLE_LEN(dma_params), &c);
    return c;
}

static uint64_t window_base(const sim_params *p, const dma_cfg *c)
{
    uint64_t base = c->base_addr;
    if (base)
        return base;
    return pcie_link_cfg_from_params(p).addr_bits >= 64 ? PLATFORM_HOST_BASE : 256ull << 20;
}

static int dmabench_check(const sim_params *p, sim_err *e)
{
    if (platform_check(p, e) < 0)
        return -1;
    dma_cfg c = dma_cfg_load(p);
    uint64_t size = c.size_bytes;
    uint64_t window = c.window_bytes;
    uint64_t need = size + c.offset_bytes;
    if (window < need)
        return sim_err_set(e, "dma.window_bytes = %llu is smaller than dma.size_bytes%s = %llu",
                           (unsigned long long)window, need > size ? " + dma.offset_bytes" : "",
                           (unsigned long long)need);
    pcie_link_cfg lc = pcie_link_cfg_from_params(p);
    uint64_t mps = lc.mps_bytes;
    uint64_t mpss = c.mps_supported_bytes;
    if (mps > mpss)
        return sim_err_set(e,
                           "pcie.mps_bytes = %llu exceeds the device's Max_Payload_Size "
                           "Supported (dma.mps_supported_bytes = %llu)",
                           (unsigned long long)mps, (unsigned long long)mpss);
    uint64_t base = window_base(p, &c);
    if (base + window < base)
        return sim_err_set(e, "dma.base_addr + dma.window_bytes overflows the address space");
    if (base % 4096)
        return sim_err_set(e,
                           "dma.base_addr = %#llx is not 4 KiB aligned (use dma.offset_bytes "
                           "for unaligned transfers)",
                           (unsigned long long)base);
    if (platform_check_buffer(p, "the DMA window", base, window, PLATFORM_MMIO32_BASE, e) < 0)
        return -1;
    unsigned bits = lc.addr_bits;
    iommu_dma_cfg dc;
    iommu_dma_config(p, &dc);
    int mode = (int)dc.mode;
    /* A device with fewer address bits than the window needs reaches it through
     * remapping (strict, lazy) or bounce buffers (off, pt): both work. */
    if (bits < 64 && base + window > (1ull << bits) && mode < IOMMU_DMA_STRICT &&
        base < PLATFORM_BOUNCE_BASE + PLATFORM_BOUNCE_BYTES && base + window > PLATFORM_BOUNCE_BASE)
        return sim_err_set(e,
                           "the DMA window [%#llx, %#llx) overlaps the bounce pool [%#llx, "
                           "%#llx) a %u-bit device needs",
                           (unsigned long long)base, (unsigned long long)(base + window),
                           PLATFORM_BOUNCE_BASE, PLATFORM_BOUNCE_BASE + PLATFORM_BOUNCE_BYTES,
                           bits);
    uint64_t page = dc.page_bytes;
    if (mode >= IOMMU_DMA_STRICT && c.map == 1 && window / page > WINDOW_MAX_PAGES)
        return sim_err_set(e,
                           "dma.window_bytes = %llu needs %llu IOMMU pages of %llu bytes; "
                           "at most %llu are mapped at once (use a larger iommu.page_bytes)",
                           (unsigned long long)window, (unsigned long long)(window / page),
                           (unsigned long long)page, WINDOW_MAX_PAGES);
    return 0;
}

/* The window is divided into slots of `align` bytes; a transfer starts dma.offset_bytes
 * into a slot, the next one in sequence or a random one. */
static uint64_t next_addr(dmabench *b)
{
    const dma_cfg *c = &b->cfg;
    uint64_t slots = (c->window_bytes - c->size_bytes - c->offset_bytes) / b->align + 1;
    uint64_t slot;
    if (c->pattern == PATTERN_RANDOM) {
        slot = sim_rng_below(&b->rng, slots);
    } else {
        slot = b->next_slot;
        b->next_slot = slot + 1 < slots ? slot + 1 : 0;
    }
    return slot * b->align + c->offset_bytes;
}

static void issue(dmabench *b, uint64_t now, size_t slot)
{
    const dma_cfg *c = &b->cfg;
    bool write = c->op == OP_WRITE || (c->op == OP_RW && (b->issued & 1));
    b->issued++;
    uint64_t off = next_addr(b), addr = b->base + off;
    uint64_t start = now + c->engine_ps;
    inflight *x = &b->slot[slot];
    *x = (inflight){.issued_ps = now, .is_write = write};
    if (b->map_per_transfer) {
        /* The driver maps the buffer before it posts the descriptor (a bounce copy for a
         * device read must be done before the device may start). */
        uint64_t ready = iommu_dma_map(b->dma_api, now, addr, c->size_bytes, !write, &x->buf);
        if (ready != UINT64_MAX) {
            x->mapped = 1;
            addr = x->buf.dev_addr;
            if (ready > now)
                start = ready + c->engine_ps;
        }
    } else if (b->dma_api) {
        addr = b->dev_base + off;
    }
    uint64_t done_ps;
    if (write) {
        done_ps = pcie_dma_write(b->dma, start, addr, c->size_bytes);
    } else {
        bool ur = false;
        done_ps = pcie_dma_read(b->dma, start, addr, c->size_bytes, &ur);
        b->urs += ur;
    }
    sim_tq_push(b->inflight, done_ps, NULL, slot);
}

static void on_done(void *ctx)
{
    dmabench *b = ctx;
    uint64_t now = sim_now_ps(b->kernel);
    sim_tq_item done;
    while (sim_tq_pop_due(b->inflight, now, &done)) {
        inflight *x = &b->slot[done.tag];
        if (x->mapped)
            iommu_dma_unmap(b->dma_api, now, &x->buf);
        sim_hist_add(b->latency, done.t_ps - x->issued_ps);
        if (x->is_write) {
            b->writes++;
            b->write_bytes += b->cfg.size_bytes;
        } else {
            b->reads++;
            b->read_bytes += b->cfg.size_bytes;
        }
        issue(b, now, done.tag);
    }
    sim_event_notify_at(b->done_ev, sim_tq_head_ps(b->inflight));
}

static double gbps(const sim_stats *s, uint64_t bytes)
{
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? (double)bytes * 8.0 / ((double)el / 1000.0) : 0.0; /* bits per ns = Gb/s */
}

static double m_read_gbps(const sim_stats *s, void *ctx)
{
    return gbps(s, ((dmabench *)ctx)->read_bytes);
}
static double m_write_gbps(const sim_stats *s, void *ctx)
{
    return gbps(s, ((dmabench *)ctx)->write_bytes);
}

static double m_gbps(const sim_stats *s, void *ctx)
{
    const dmabench *b = ctx;
    switch (b->cfg.op) {
    case OP_READ: return gbps(s, b->read_bytes);
    case OP_WRITE: return gbps(s, b->write_bytes);
    default: return gbps(s, b->read_bytes + b->write_bytes) / 2.0;
    }
}

static double m_mtps(const sim_stats *s, void *ctx)
{
    const dmabench *b = ctx;
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? (double)(b->reads + b->writes) / ((double)el / 1e6) : 0.0;
}

static double m_cpu_cycles(const sim_stats *s, void *ctx)
{
    (void)s;
    const dmabench *b = ctx;
    uint64_t n = b->reads + b->writes;
    return n ? (double)iommu_dma_cpu_cycles(b->dma_api) / (double)n : 0.0;
}

static uint64_t pow2_at_least(uint64_t x)
{
    uint64_t p = 1;
    while (p < x)
        p <<= 1;
    return p;
}

static void register_stats(dmabench *b, sim_stats *st)
{
    sim_stats_counter(st, "dma.reads", &b->reads, "read transfers completed");
    sim_stats_counter(st, "dma.writes", &b->writes, "write transfers completed");
    sim_stats_counter(st, "dma.read_bytes", &b->read_bytes, "payload bytes read");
    sim_stats_counter(st, "dma.write_bytes", &b->write_bytes, "payload bytes written");
    sim_stats_counter(st, "dma.unsupported_requests", &b->urs, "transfers with a blocked request");
    b->latency = sim_stats_hist(st, "dma.latency_ps", "ps",
                                "transfer latency: the engine taking it to its last read "
                                "completion received, or memory accepting its last write");
    sim_stats_metric(st, "dma_gbps", "Gb/s", m_gbps, b,
                     "payload bits of the transfers that completed in the window, per ns of "
                     "it: reads for dma.op = read, writes for write; for rw reads and writes "
                     "added and halved (the mean of the two directions)");
    sim_stats_metric(st, "dma_read_gbps", "Gb/s", m_read_gbps, b,
                     "payload bits of the read transfers (host to device) that completed in "
                     "the window, per ns of it");
    sim_stats_metric(st, "dma_write_gbps", "Gb/s", m_write_gbps, b,
                     "payload bits of the write transfers (device to host) that completed in "
                     "the window, per ns of it");
    sim_stats_metric(st, "dma_mtps", "M/s", m_mtps, b,
                     "transfers, reads and writes, that completed in the window, per us of it");
    sim_stats_mean_metric(st, "dma_latency_ns_mean", "ns", b->latency, 1000.0,
                          "mean of dma.latency_ps over the transfers that completed in the "
                          "window: from the engine taking a transfer (its mapping and "
                          "dma.engine_latency_ns included) to its last read completion "
                          "received, or to memory accepting its last written byte");
    sim_stats_quantile_metric(st, "dma_latency_ns_p50", "ns", b->latency, 0.5, 1000.0,
                              "median of dma.latency_ps (as dma_latency_ns_mean)");
    sim_stats_quantile_metric(st, "dma_latency_ns_p99", "ns", b->latency, 0.99, 1000.0,
                              "99th percentile of dma.latency_ps (as dma_latency_ns_mean)");
    if (b->dma_api)
        sim_stats_metric(st, "dma_cpu_cycles_per_transfer", "cycles per transfer", m_cpu_cycles,
                         b,
                         "host CPU cycles of the DMA API in the window (maps, unmaps, IOVA "
                         "allocation, invalidations and their waits, bounce copies), per "
                         "transfer completed in it");
}

static void dmabench_destroy(void *bench);

/* The host DMA API the device's driver uses: with iommu.mode off only when a 32-bit
 * device needs bouncing (the default path is left exactly as without it). */
static int bring_up_dma_api(dmabench *b, const sim_params *p, sim_stats *st, sim_err *e)
{
    platform *pf = b->pf;
    unsigned bits = pcie_link_config(pf->link)->addr_bits;
    uint64_t window = b->cfg.window_bytes;
    bool bounce = bits < 64 && b->base + window > (1ull << bits);
    iommu_dma_cfg dc;
    iommu_dma_config(p, &dc);
    int mode = (int)dc.mode;
    if (mode == IOMMU_DMA_OFF && !bounce)
        return 0;
    if (pf->iommu && dc.ats)
        iommu_ats_enable(pf->iommu, PLATFORM_DEVICE_RID, pf->link, pcie_rc_latency_ps(pf->rc));
    b->dma_api = platform_dma_api_create(pf, p, st, PLATFORM_DEVICE_RID, DEVICE_DID, bits, e);
    if (!b->dma_api)
        return -1;
    bool per_transfer_mapping = mode >= IOMMU_DMA_STRICT && b->cfg.map == 0;
    b->map_per_transfer = per_transfer_mapping || bounce;
    if (mode >= IOMMU_DMA_STRICT && !per_transfer_mapping) {
        /* One mapping of the whole window, in pages of iommu.page_bytes. */
        iommu_dma_buf w;
        if (iommu_dma_map(b->dma_api, 0, b->base, window, true, &w) == UINT64_MAX)
            return sim_err_set(e, "no IOVA space for a %llu-byte window",
                               (unsigned long long)window);
        b->dev_base = w.dev_addr;
    } else {
        b->dev_base = b->base;
    }
    return 0;
}

/* The function's configuration space, plugged into the platform's slot and booted;
 * the DMA engine then splits by the MPS and MRRS programmed. */
static int bring_up_function(dmabench *b, const sim_params *p, sim_stats *st, sim_err *e)
{
    platform *pf = b->pf;
    b->fn = pcie_cfg_create(DEVICE_VENDOR_ID, DEVICE_DEVICE_ID, DEVICE_CLASS);
    const pcie_link_cfg *lc = pcie_link_config(pf->link);
    pcie_cfg_exp_info info = {
        .port_type = PCIE_EXP_TYPE_ENDPOINT,
        .mps_supported_bytes = b->cfg.mps_supported_bytes,
        .max_link_speed = lc->gen,
        .max_link_width = lc->lanes,
    };
    if (!pcie_cfg_add_bar(b->fn, 0, DEVICE_BAR0_BYTES, true, true) ||
        !pcie_cfg_add_exp_capability(b->fn, &info) ||
        !pcie_cfg_add_msix_capability(b->fn, 1, 0, 0x8000, 0, 0x9000) ||
        !pcie_cfg_exp_set_link_status(b->fn, lc->gen, lc->lanes) ||
        !pcie_cfg_bus_attach(pf->bus, PLATFORM_DEVICE_RID, b->fn))
        return sim_err_set(e, "cannot build the device's configuration space");
    if (!platform_boot(pf, PLATFORM_MMIO32_BASE, PLATFORM_MMIO_WINDOW_BYTES, e))
        return -1;
    pcie_dma_set_limits(b->dma, pcie_cfg_exp_mps_bytes(b->fn), pcie_cfg_exp_mrrs_bytes(b->fn));
    pcie_cfg_register_stats(b->fn, st, "dev.cfg");
    return 0;
}

static void *dmabench_build(const sim_ctx *ctx, const sys_observers *obs, sim_err *e)
{
    const sim_params *p = ctx->params;
    dmabench *b = sim_xcalloc(1, sizeof *b);
    b->cfg = dma_cfg_load(p);
    b->kernel = ctx->kernel;
    b->pf = platform_create(ctx, obs, false);
    b->dma =
        pcie_dma_create(b->pf->link, b->pf->rc, PLATFORM_DEVICE_RID, pcie_link_params_load(p).tags);
    if (bring_up_function(b, p, ctx->stats, e) < 0) {
        dmabench_destroy(b);
        return NULL;
    }
    sim_rng_seed(&b->rng, ctx->seed, "dma");
    b->base = window_base(p, &b->cfg);
    /* Slots: the size rounded up to a power of two up to 4 KiB (aligned, never crossing
     * a 4 KiB boundary), whole 4 KiB pages above (transfers never overlap). */
    uint64_t size = b->cfg.size_bytes;
    b->align = size <= 4096 ? pow2_at_least(size) : (size + 4095) / 4096 * 4096;
    if (bring_up_dma_api(b, p, ctx->stats, e) < 0) {
        dmabench_destroy(b);
        return NULL;
    }
    if (b->cfg.cache == 0)
        mem_touch(b->pf->mem, b->base, b->cfg.window_bytes);
    register_stats(b, ctx->stats);

    b->done_ev = sim_event_create(ctx->kernel, "dma.done", on_done, b);
    b->inflight = sim_tq_create();
    b->slot = sim_xcalloc(b->cfg.outstanding, sizeof *b->slot);
    for (size_t i = 0; i < b->cfg.outstanding; i++)
        issue(b, 0, i);
    sim_event_notify_at(b->done_ev, sim_tq_head_ps(b->inflight));
    return b;
}

static void dmabench_destroy(void *bench)
{
    dmabench *b = bench;
    pcie_cfg_destroy(b->fn);
    pcie_dma_destroy(b->dma);
    iommu_dma_destroy(b->dma_api);
    platform_destroy(b->pf);
    sim_tq_destroy(b->inflight);
    free(b->slot);
    free(b);
}

/* The IOMMU and the host DMA API (strict: a mapping per transfer) register their own. */
static const char *const dma_variants[] = {"iommu.mode=strict", NULL};

const sys_kind sys_kind_dma = {
    .name = "dma",
    .doc = "device DMA micro-benchmark over PCIe",
    .register_params = dmabench_register_params,
    .check = dmabench_check,
    .build = dmabench_build,
    .destroy = dmabench_destroy,
    .variants = dma_variants,
};
