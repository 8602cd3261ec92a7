#include "host/dmaapi.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host/cpu.h"
#include "models/iommu/iommu_regs.h"
#include "models/pcie/rc.h"
#include "sim/alloc.h"

#define FOUR_GIB (1ull << 32)
#define BOUNCE_SLOT_BYTES 2048u /* swiotlb's IO_TLB_SIZE */
#define MAX_ORDER 40

/* Naturally aligned power-of-two blocks of `gran` bytes, allocated top-down from `top`
 * to `floor`, freed blocks reused LIFO per order. */
typedef struct range_alloc {
    uint64_t floor, top, gran;
    uint64_t *free[MAX_ORDER];
    size_t n[MAX_ORDER], cap[MAX_ORDER];
} range_alloc;

typedef struct flush_item {
    uint64_t iova, bytes;
} flush_item;

struct iommu_dma {
    iommu_dma_cfg cfg;
    iommu *u;
    mem *mem;
    mem_phys *pm;
    iommu_domain *dom;
    /* a first-level table instead of the domain (iommu_dma_create_fl): a guest's, nested
     * over its second level; its domain id and PASID tag the invalidations */
    iommu_fltable *fl;
    uint16_t fl_did;
    uint32_t pasid;
    uint16_t rid;
    unsigned addr_bits;
    range_alloc iova_low, iova_high, bounce;
    /* lazy flush queue */
    flush_item *fq;
    size_t fq_n, fq_cap;
    uint64_t fq_oldest_ps;
    iommu_dma_observe_fn observe;
    void *observe_ctx;
    /* stats */
    uint64_t cpu_cycles, maps, unmaps, bounces, bounce_bytes, flushes, strict_invs,
        map_failures, map_invs;
    uint64_t qi_cycles; /* of cpu_cycles, the invalidations' submissions and waits */
};

/* Names keep their iommu. prefix: workload files set them in the [iommu] section. */
static const sim_param_def dma_api_params[] = {
    {"iommu.mode", SIM_PARAM_ENUM, "off", "off|pt|strict|lazy", "",
     "IOMMU use by the host DMA API: off (no IOMMU: devices see host physical memory), pt "
     "(on, device in pass-through), strict (map and unmap every buffer, invalidate on each "
     "unmap), lazy (batched invalidation)",
     SIM_AT(iommu_dma_cfg, mode)},
    {"iommu.page_bytes", SIM_PARAM_UINT, "4096", "4096..1TiB", "bytes",
     "IOMMU page size buffers and windows are mapped with: 4 KiB, 2 MiB or 1 GiB",
     SIM_AT(iommu_dma_cfg, page_bytes)},
    {"iommu.ats", SIM_PARAM_BOOL, "false", NULL, "",
     "The DMA benchmark's device uses ATS (a device TLB, translated requests)",
     SIM_AT(iommu_dma_cfg, ats)},
    {"iommu.iotlb_inv_hint", SIM_PARAM_BOOL, "false", NULL, "",
     "The host kernel's page-selective IOTLB invalidations (second-level tables) carry the "
     "invalidation hint, so the IOMMU keeps its paging-structure caches: Linux 6.18 and "
     "later (6b38a108eeb3); false, the hint clear, as Linux before it sends every one",
     SIM_AT(iommu_dma_cfg, iotlb_inv_hint)},
    {"iommu.qi_desc_cycles", SIM_PARAM_UINT, "100", "0..16777216", "cycles",
     "CPU cycles to write one invalidation descriptor and ring the tail",
     SIM_AT(iommu_dma_cfg, qi_desc_cycles)},
    {"iommu.pte_cycles", SIM_PARAM_UINT, "50", "0..16777216", "cycles",
     "CPU cycles to write or clear one page-table entry", SIM_AT(iommu_dma_cfg, pte_cycles)},
    {"iommu.iova_alloc_cycles", SIM_PARAM_UINT, "250", "0..16777216", "cycles",
     "CPU cycles to allocate an IOVA range", SIM_AT(iommu_dma_cfg, iova_alloc_cycles)},
    {"iommu.iova_free_cycles", SIM_PARAM_UINT, "150", "0..16777216", "cycles",
     "CPU cycles to free an IOVA range", SIM_AT(iommu_dma_cfg, iova_free_cycles)},
    {"iommu.lazy_batch", SIM_PARAM_UINT, "250", "1..1048576", "unmaps",
     "Lazy mode: unmaps batched before one flush", SIM_AT(iommu_dma_cfg, lazy_batch)},
    {"iommu.lazy_timeout_ms", SIM_PARAM_DOUBLE, "10", "0.001..1e6", "ms",
     "Lazy mode: longest an unmapped IOVA waits for its flush",
     SIM_AT(iommu_dma_cfg, lazy_timeout_ps)},
    {"iommu.bounce_map_cycles", SIM_PARAM_UINT, "400", "0..16777216", "cycles",
     "CPU cycles to take and release a bounce-buffer slot (besides the copy)",
     SIM_AT(iommu_dma_cfg, bounce_map_cycles)},
};

void iommu_dma_register_params(sim_params *p)
{
    sim_params_add_table(p, dma_api_params, SIM_TABLE_LEN(dma_api_params));
}

void iommu_dma_config(const sim_params *p, iommu_dma_cfg *c)
{
    *c = (iommu_dma_cfg){0}; /* the host's own: not emulated */
    sim_params_load_table(p, dma_api_params, SIM_TABLE_LEN(dma_api_params), c);
    /* The cores the driver runs on; the kinds that create DMA APIs or submit
     * invalidations (the DMA benchmark, trace replay) build no cpu. */
    cpu_cfg cores = cpu_cfg_load(p);
    c->cpu_ghz = cores.ghz;
    c->copy_bytes_per_cycle = cores.copy_bytes_per_cycle;
}

int iommu_dma_check(const sim_params *p, sim_err *e)
{
    iommu_dma_cfg c;
    iommu_cfg hw;
    sim_params_load_table(p, dma_api_params, SIM_TABLE_LEN(dma_api_params), &c);
    iommu_config(p, &hw);
    unsigned leaf = iommu_page_level(c.page_bytes);
    if (!leaf || leaf > hw.levels)
        return sim_err_set(e, "iommu.page_bytes = %llu: a %u-level second-level table maps "
                              "4 KiB, 2 MiB or 1 GiB pages only",
                           (unsigned long long)c.page_bytes, hw.levels);
    if (leaf == 3 && !hw.superpage_1g)
        return sim_err_set(e, "iommu.page_bytes = 1 GiB but iommu.superpage_1g = false: "
                              "the IOMMU does not support 1 GiB pages");
    return 0;
}

static uint64_t cycles_to_ps(const iommu_dma_cfg *c, uint64_t cycles)
{
    return (uint64_t)llround((double)cycles * 1000.0 / c->cpu_ghz);
}

/* A store by the CPU: the bytes change and the line is in the cache. */
static void cpu_store_u64(mem_phys *pm, mem *m, uint64_t addr, uint64_t v)
{
    mem_phys_write_u64(pm, addr, v);
    mem_touch(m, addr, 8);
}

uint64_t iommu_dma_qi_submit(iommu *u, mem *m, const iommu_dma_cfg *c, uint64_t t_ps,
                             const iommu_inv *inv, size_t n, uint64_t *cpu_cycles)
{
    /* As Linux's qi_submit_sync (drivers/iommu/intel/dmar.c): the descriptors and a wait
     * descriptor go at the driver's own free_head, which then becomes the tail written
     * to IQT; nothing is read back from the registers. Linux's wait writes QI_DONE to a
     * status slot per descriptor; here it writes the driver's next sequence number to
     * one word, which holds the previous one's (that submission completed before this
     * one starts). */
    iommu_qi_driver *q = iommu_qi_driver_of(u);
    mem_phys *pm = iommu_physmem(u);
    uint32_t seq = ++q->seq;
    assert(n + 1 < q->descs);
    for (size_t i = 0; i <= n; i++) {
        uint64_t desc[2];
        if (i < n)
            iommu_inv_encode(&inv[i], desc);
        else
            iommu_inv_encode_wait(seq, q->status_addr, desc);
        uint64_t da = q->base + (uint64_t)q->free_head * VTD_INV_DESC_BYTES;
        cpu_store_u64(pm, m, da, desc[0]);
        cpu_store_u64(pm, m, da + 8, desc[1]);
        q->free_head = (q->free_head + 1) % q->descs;
    }
    uint64_t submit_cycles = c->qi_desc_cycles * (n + 1);
    uint64_t doorbell = t_ps + cycles_to_ps(c, submit_cycles);
    uint64_t done =
        iommu_reg_write(u, doorbell, VTD_IQT_REG, 8, (uint64_t)q->free_head << VTD_IQ_INDEX_SHIFT);
    /* The CPU spins on the status word from its doorbell until the wait's write of seq
     * lands (the IOMMU executes the queue up to the tail before the write returns). */
    uint64_t cycles =
        submit_cycles + (uint64_t)llround((double)(done - doorbell) * c->cpu_ghz / 1000.0);
    iommu_charge_qi_submit(u, cycles);
    if (cpu_cycles)
        *cpu_cycles = cycles;
    return done;
}

void iommu_dma_set_observer(iommu_dma *d, iommu_dma_observe_fn fn, void *ctx)
{
    d->observe = fn;
    d->observe_ctx = ctx;
}

static void observe(const iommu_dma *d, iommu_dma_event_kind kind, uint64_t t, uint64_t dev_addr,
                    uint64_t hpa, uint64_t bytes, const iommu_inv *inv, size_t n_inv)
{
    iommu_dma_event ev = {.kind = kind, .t_ps = t, .rid = d->rid,
                          .did = d->dom ? iommu_domain_id(d->dom) : 0, .dev_addr = dev_addr,
                          .hpa = hpa, .bytes = bytes, .inv = inv, .n_inv = n_inv};
    d->observe(d->observe_ctx, &ev);
}

static unsigned order_of(uint64_t blocks)
{
    unsigned o = 0;
    while ((1ull << o) < blocks)
        o++;
    return o;
}

static uint64_t ra_alloc(range_alloc *r, uint64_t bytes)
{
    if (!r->gran || !bytes)
        return 0;
    unsigned o = order_of((bytes + r->gran - 1) / r->gran);
    if (o >= MAX_ORDER)
        return 0;
    if (r->n[o])
        return r->free[o][--r->n[o]];
    uint64_t size = r->gran << o;
    if (r->top < size)
        return 0;
    uint64_t at = (r->top - size) & ~(size - 1);
    if (at < r->floor)
        return 0;
    r->top = at;
    return at;
}

static void ra_free(range_alloc *r, uint64_t at, uint64_t bytes)
{
    unsigned o = order_of((bytes + r->gran - 1) / r->gran);
    if (r->n[o] == r->cap[o]) {
        r->cap[o] = r->cap[o] ? 2 * r->cap[o] : 16;
        r->free[o] = sim_xrealloc(r->free[o], r->cap[o] * sizeof *r->free[o]);
    }
    r->free[o][r->n[o]++] = at;
}

static void ra_destroy(range_alloc *r)
{
    for (unsigned o = 0; o < MAX_ORDER; o++)
        free(r->free[o]);
}

static void register_stats(iommu_dma *d, sim_stats *s)
{
#define C(field, desc) sim_stats_counter(s, "dmaapi." #field, &d->field, desc)
    C(cpu_cycles, "CPU cycles in the DMA API: IOVAs, page tables, invalidation waits, bounces");
    C(maps, "buffers mapped");
    C(unmaps, "buffers unmapped");
    C(bounces, "maps that went through a bounce buffer");
    C(bounce_bytes, "bytes copied to or from bounce buffers");
    C(flushes, "lazy-mode flushes (one invalidation for a batch of unmaps)");
    C(strict_invs, "strict-mode invalidations (one per unmap)");
    C(map_failures, "maps refused: IOVA or bounce space exhausted");
#undef C
}

iommu_dma *iommu_dma_create(const sim_params *p, sim_stats *s, iommu *u, mem *m, mem_phys *pm,
                            uint16_t rid, uint16_t did, unsigned addr_bits,
                            uint64_t bounce_base, uint64_t bounce_bytes, sim_err *e)
{
    iommu_dma_cfg c;
    iommu_dma_config(p, &c);
    return iommu_dma_create_cfg(&c, s, u, m, pm, rid, did, addr_bits, bounce_base, bounce_bytes,
                                e);
}

/* The IOVA allocator's granule: the IOMMU's smallest page, as dma-iommu.c's iova_domain
 * takes it (iommu_dma_init_domain: 1UL << __ffs(domain->pgsize_bitmap)). A block of a
 * larger page size is that many granules, naturally aligned. */
#define IOVA_GRANULE_BYTES 4096u

/* IOVA space: naturally aligned power-of-two blocks of granules below the MSI window,
 * and above 4 GiB up to what the device and the IOMMU's table width address. */
static void iova_ranges(iommu_dma *d, const iommu *u, unsigned addr_bits)
{
    uint64_t g = IOVA_GRANULE_BYTES;
    d->iova_low = (range_alloc){.floor = g, .top = PCIE_MSI_BASE & ~(g - 1), .gran = g};
    unsigned width = 12 + 9 * iommu_levels(u);
    unsigned bits = addr_bits < width ? addr_bits : width;
    if (bits > 32)
        d->iova_high = (range_alloc){.floor = FOUR_GIB, .top = bits >= 64 ? UINT64_MAX : 1ull << bits,
                                     .gran = g};
}

/* A DMA API for requester rid on u with configuration c, no domain or table yet. */
static iommu_dma *dma_new(const iommu_dma_cfg *c, iommu *u, mem *m, mem_phys *pm, uint16_t rid,
                          unsigned addr_bits)
{
    iommu_dma *d = sim_xcalloc(1, sizeof *d);
    d->cfg = *c;
    d->u = u;
    d->mem = m;
    d->pm = pm;
    d->rid = rid;
    d->addr_bits = addr_bits;
    return d;
}

iommu_dma *iommu_dma_create_cfg(const iommu_dma_cfg *c, sim_stats *s, iommu *u, mem *m,
                                mem_phys *pm, uint16_t rid, uint16_t did, unsigned addr_bits,
                                uint64_t bounce_base, uint64_t bounce_bytes, sim_err *e)
{
    iommu_dma *d = dma_new(c, u, m, pm, rid, addr_bits);
    d->bounce = (range_alloc){.floor = bounce_base, .top = bounce_base + bounce_bytes,
                              .gran = BOUNCE_SLOT_BYTES};
    assert(d->cfg.mode == IOMMU_DMA_OFF || u);
    if (d->cfg.mode == IOMMU_DMA_PT && iommu_attach_passthrough(u, rid) < 0) {
        sim_err_set(e, "iommu: no memory for the context table of %04x", rid);
        iommu_dma_destroy(d);
        return NULL;
    }
    if (d->cfg.mode >= IOMMU_DMA_STRICT) {
        d->dom = iommu_domain_create(u, did);
        if (!d->dom || iommu_attach(u, rid, d->dom) < 0) {
            sim_err_set(e, "iommu: cannot create domain %u for %04x", did, rid);
            iommu_dma_destroy(d);
            return NULL;
        }
        iova_ranges(d, u, addr_bits);
    }
    if (s)
        register_stats(d, s);
    return d;
}

iommu_dma *iommu_dma_create_fl(const iommu_dma_cfg *c, iommu *u, mem *m, mem_phys *pm,
                               uint16_t rid, uint16_t did, uint32_t pasid, iommu_fltable *fl)
{
    assert(c->mode >= IOMMU_DMA_STRICT && u && fl);
    iommu_dma *d = dma_new(c, u, m, pm, rid, 64);
    d->fl = fl;
    d->fl_did = did;
    d->pasid = pasid;
    iova_ranges(d, u, 48);
    return d;
}

void iommu_dma_destroy(iommu_dma *d)
{
    if (!d)
        return;
    ra_destroy(&d->iova_low);
    ra_destroy(&d->iova_high);
    ra_destroy(&d->bounce);
    free(d->fq);
    free(d);
}

iommu_dma_mode iommu_dma_get_mode(const iommu_dma *d) { return (iommu_dma_mode)d->cfg.mode; }
iommu_domain *iommu_dma_domain(const iommu_dma *d) { return d->dom; }
uint64_t iommu_dma_page_bytes(const iommu_dma *d) { return d->cfg.page_bytes; }
uint64_t iommu_dma_cpu_cycles(const iommu_dma *d) { return d->cpu_cycles; }
uint64_t iommu_dma_maps(const iommu_dma *d) { return d->maps; }
uint64_t iommu_dma_qi_cycles(const iommu_dma *d) { return d->qi_cycles; }
uint64_t iommu_dma_map_invalidations(const iommu_dma *d) { return d->map_invs; }
uint64_t iommu_dma_unmap_invalidations(const iommu_dma *d) { return d->strict_invs + d->flushes; }
bool iommu_dma_emulated(const iommu_dma *d) { return d->cfg.emulated; }

/* IOMMU work is counted on both counters. */
static void charge(iommu_dma *d, uint64_t cycles, bool iommu_work)
{
    d->cpu_cycles += cycles;
    if (iommu_work && d->u)
        iommu_charge_cycles(d->u, cycles);
}

bool iommu_dma_needs_bounce(const iommu_dma *d, uint64_t hpa, uint64_t bytes)
{
    return d->cfg.mode <= IOMMU_DMA_PT && d->addr_bits < 64 && hpa + bytes > (1ull << d->addr_bits);
}

uint64_t iommu_dma_map_cost_cycles(const iommu_dma *d, uint64_t pages)
{
    if (d->cfg.mode < IOMMU_DMA_STRICT)
        return 0;
    return d->cfg.iova_alloc_cycles + d->cfg.pte_cycles * pages;
}

uint64_t iommu_dma_unmap_cost_cycles(const iommu_dma *d, uint64_t pages)
{
    if (d->cfg.mode < IOMMU_DMA_STRICT)
        return 0;
    return d->cfg.iova_free_cycles + d->cfg.pte_cycles * pages;
}

/* The CPU copies `bytes` from src to dst: contents move, the source is read through the
 * memory model and the destination's lines land in the cache. Returns when done. */
static uint64_t cpu_copy(iommu_dma *d, uint64_t t, uint64_t dst, uint64_t src, uint64_t bytes)
{
    uint8_t buf[512];
    for (uint64_t off = 0; off < bytes; off += sizeof buf) {
        size_t n = bytes - off < sizeof buf ? (size_t)(bytes - off) : sizeof buf;
        mem_phys_read(d->pm, src + off, buf, n);
        mem_phys_write(d->pm, dst + off, buf, n);
    }
    uint64_t loaded = mem_read(d->mem, t, src, bytes);
    mem_touch(d->mem, dst, bytes);
    uint64_t cycles =
        d->cfg.bounce_map_cycles + (uint64_t)ceil((double)bytes / d->cfg.copy_bytes_per_cycle);
    charge(d, cycles, false);
    d->bounce_bytes += bytes;
    uint64_t cpu_done = t + cycles_to_ps(&d->cfg, cycles);
    return loaded > cpu_done ? loaded : cpu_done;
}

/* iommu_dma_map and iommu_dma_map_single: the buffer's pages of g bytes. */
static uint64_t map_pages(iommu_dma *d, uint64_t t_ps, uint64_t hpa, uint64_t bytes,
                          bool to_device, uint64_t g, iommu_dma_buf *out)
{
    memset(out, 0, sizeof *out);
    out->hpa = hpa;
    out->bytes = bytes;
    out->to_device = to_device;
    out->dev_addr = hpa;
    d->maps++;
    if (d->cfg.mode <= IOMMU_DMA_PT) {
        if (!iommu_dma_needs_bounce(d, hpa, bytes)) {
            if (d->observe)
                observe(d, IOMMU_DMA_EV_MAP, t_ps, hpa, hpa, bytes, NULL, 0);
            return t_ps;
        }
        uint64_t slot = ra_alloc(&d->bounce, bytes);
        if (!slot) {
            d->map_failures++;
            return UINT64_MAX;
        }
        d->bounces++;
        out->bounce = out->dev_addr = slot;
        out->bounce_bytes = bytes;
        if (d->observe)
            observe(d, IOMMU_DMA_EV_MAP, t_ps, slot, hpa, bytes, NULL, 0);
        return to_device ? cpu_copy(d, t_ps, slot, hpa, bytes) : t_ps;
    }
    /* An IOVA block covering the buffer's pages, and their entries. */
    uint64_t first = hpa & ~(g - 1), span = ((hpa + bytes + g - 1) & ~(g - 1)) - first;
    uint64_t iova = ra_alloc(&d->iova_low, span);
    if (!iova)
        iova = ra_alloc(&d->iova_high, span);
    if (!iova) {
        d->map_failures++;
        return UINT64_MAX;
    }
    int64_t written = d->fl ? iommu_fltable_map(d->fl, iova, first, span, g,
                                                IOMMU_READ | IOMMU_WRITE, NULL)
                            : iommu_domain_map(d->dom, iova, first, span, g,
                                               IOMMU_READ | IOMMU_WRITE, NULL);
    assert(written > 0); /* fresh IOVAs in a domain of this page size always map */
    charge(d, d->cfg.iova_alloc_cycles + d->cfg.pte_cycles * (uint64_t)written, true);
    if (d->cfg.caching_mode) {
        /* The invalidation's descriptor and wait, for the emulator (no hardware). */
        d->map_invs++;
        charge(d, 2 * d->cfg.qi_desc_cycles, false);
    }
    out->iova = iova;
    out->iova_bytes = span;
    out->dev_addr = iova + (hpa - first);
    if (d->observe)
        observe(d, IOMMU_DMA_EV_MAP, t_ps, iova, first, span, NULL, 0);
    return t_ps;
}

uint64_t iommu_dma_map(iommu_dma *d, uint64_t t_ps, uint64_t hpa, uint64_t bytes, bool to_device,
                       iommu_dma_buf *out)
{
    return map_pages(d, t_ps, hpa, bytes, to_device, d->cfg.page_bytes, out);
}

uint64_t iommu_dma_map_single(iommu_dma *d, uint64_t t_ps, uint64_t hpa, uint64_t bytes,
                              bool to_device, iommu_dma_buf *out)
{
    return map_pages(d, t_ps, hpa, bytes, to_device, IOVA_GRANULE_BYTES, out);
}

/* An unmap's invalidation. Linux asks for the invalidation hint when the unmap freed no
 * page-table page (iommu_flush_iotlb_psi's ih: list_empty(&gather->freelist)); an unmap
 * here never frees one. A first-level table's entries are cached by (domain id, PASID):
 * PASID-based invalidation (qi_flush_piotlb), which passes the hint on. The IOTLB
 * descriptor of a second-level domain had it dropped until Linux 6.18: qi_flush_iotlb,
 * later qi_desc_iotlb, built the descriptor with `int ih = 0` and QI_IOTLB_ADDR masked
 * off the bit the caller had put it in (fixed by 6b38a108eeb3, "iommu/vt-d: Fix unused
 * invalidation hint in qi_desc_iotlb"), so every strict unmap also cleared the
 * paging-structure-cache entries on its address's path (iommu.iotlb_inv_hint). */
static uint64_t invalidate(iommu_dma *d, uint64_t t, iommu_inv_kind kind, uint64_t iova, uint64_t bytes)
{
    if (d->fl)
        kind = kind == IOMMU_INV_IOTLB_PAGE ? IOMMU_INV_PIOTLB_PAGE : IOMMU_INV_PIOTLB_PASID;
    iommu_inv inv[2] = {
        {.kind = kind, .did = d->fl ? d->fl_did : iommu_domain_id(d->dom), .addr = iova,
         .bytes = bytes, .pasid = d->pasid, .keep_tables = d->fl || d->cfg.iotlb_inv_hint},
        {.kind = IOMMU_INV_DEVTLB, .rid = d->rid, .addr = iova, .bytes = bytes},
    };
    if (kind == IOMMU_INV_IOTLB_DOMAIN)
        inv[1].bytes = 1ull << 63; /* the whole device TLB */
    size_t n = d->cfg.ats ? 2 : 1;
    if (d->observe)
        observe(d, IOMMU_DMA_EV_INVALIDATE, t, 0, 0, 0, inv, n);
    uint64_t cycles;
    uint64_t done = iommu_dma_qi_submit(d->u, d->mem, &d->cfg, t, inv, n, &cycles);
    d->cpu_cycles += cycles; /* iommu.cpu_cycles has its share already */
    d->qi_cycles += cycles;
    return done;
}

uint64_t iommu_dma_flush(iommu_dma *d, uint64_t t_ps)
{
    if (d->cfg.mode != IOMMU_DMA_LAZY || !d->fq_n)
        return t_ps;
    uint64_t t = invalidate(d, t_ps, IOMMU_INV_IOTLB_DOMAIN, 0, 0);
    for (size_t i = 0; i < d->fq_n; i++) {
        flush_item *f = &d->fq[i];
        ra_free(f->iova < FOUR_GIB ? &d->iova_low : &d->iova_high, f->iova, f->bytes);
        charge(d, d->cfg.iova_free_cycles, true);
    }
    t += cycles_to_ps(&d->cfg, d->cfg.iova_free_cycles * d->fq_n);
    d->fq_n = 0;
    d->flushes++;
    return t;
}

uint64_t iommu_dma_unmap(iommu_dma *d, uint64_t t_ps, const iommu_dma_buf *b)
{
    d->unmaps++;
    if (d->cfg.mode <= IOMMU_DMA_PT) {
        if (d->observe)
            observe(d, IOMMU_DMA_EV_UNMAP, t_ps, b->dev_addr, 0, b->bounce ? b->bounce_bytes : b->bytes,
                    NULL, 0);
        if (!b->bounce)
            return t_ps;
        uint64_t t = b->to_device ? t_ps : cpu_copy(d, t_ps, b->hpa, b->bounce, b->bounce_bytes);
        ra_free(&d->bounce, b->bounce, b->bounce_bytes);
        return t;
    }
    if (d->observe)
        observe(d, IOMMU_DMA_EV_UNMAP, t_ps, b->iova, 0, b->iova_bytes, NULL, 0);
    uint64_t cleared = d->fl ? iommu_fltable_unmap(d->fl, b->iova, b->iova_bytes)
                             : iommu_domain_unmap(d->dom, b->iova, b->iova_bytes);
    uint64_t cyc = d->cfg.pte_cycles * cleared;
    charge(d, cyc, true);
    uint64_t t = t_ps + cycles_to_ps(&d->cfg, cyc);
    if (d->cfg.mode == IOMMU_DMA_STRICT) {
        d->strict_invs++;
        t = invalidate(d, t, IOMMU_INV_IOTLB_PAGE, b->iova, b->iova_bytes);
        ra_free(b->iova < FOUR_GIB ? &d->iova_low : &d->iova_high, b->iova, b->iova_bytes);
        charge(d, d->cfg.iova_free_cycles, true);
        return t + cycles_to_ps(&d->cfg, d->cfg.iova_free_cycles);
    }
    if (!d->fq_n)
        d->fq_oldest_ps = t;
    if (d->fq_n == d->fq_cap) {
        d->fq_cap = d->fq_cap ? 2 * d->fq_cap : 256;
        d->fq = sim_xrealloc(d->fq, d->fq_cap * sizeof *d->fq);
    }
    d->fq[d->fq_n++] = (flush_item){b->iova, b->iova_bytes};
    if (d->fq_n >= d->cfg.lazy_batch ||
        (t > d->fq_oldest_ps && t - d->fq_oldest_ps >= d->cfg.lazy_timeout_ps))
        t = iommu_dma_flush(d, t);
    return t;
}
