#include "host/dmaapi.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/pcie/rc.h"

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
    iommu_dma_mode mode;
    iommu *u;
    mem *mem;
    mem_phys *pm;
    iommu_domain *dom;
    uint16_t rid;
    unsigned addr_bits;
    uint64_t page_bytes;
    range_alloc iova_low, iova_high, bounce;
    /* lazy flush queue */
    flush_item *fq;
    size_t fq_n, fq_cap;
    uint64_t fq_oldest_ps;
    uint64_t lazy_batch, lazy_timeout_ps;
    /* costs */
    uint64_t iova_alloc_cycles, iova_free_cycles, bounce_map_cycles;
    double copy_bpc, ghz;
    bool ats;
    iommu_dma_observe_fn observe;
    void *observe_ctx;
    /* stats */
    uint64_t cpu_cycles, maps, unmaps, bounces, bounce_bytes, flushes, strict_invs,
        map_failures;
};

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
        r->free[o] = realloc(r->free[o], r->cap[o] * sizeof *r->free[o]);
        assert(r->free[o]);
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
    iommu_dma *d = calloc(1, sizeof *d);
    assert(d);
    d->mode = (iommu_dma_mode)sim_params_enum_index(p, "iommu.mode");
    d->u = u;
    d->mem = m;
    d->pm = pm;
    d->rid = rid;
    d->addr_bits = addr_bits;
    d->page_bytes = sim_params_uint(p, "iommu.page_bytes");
    d->lazy_batch = sim_params_uint(p, "iommu.lazy_batch");
    d->lazy_timeout_ps = (uint64_t)llround(sim_params_double(p, "iommu.lazy_timeout_ms") * 1e9);
    d->iova_alloc_cycles = sim_params_uint(p, "iommu.iova_alloc_cycles");
    d->iova_free_cycles = sim_params_uint(p, "iommu.iova_free_cycles");
    d->bounce_map_cycles = sim_params_uint(p, "iommu.bounce_map_cycles");
    /* A bounce is a copy by a host core: the cores' clock and copy rate. */
    d->copy_bpc = sim_params_double(p, "cpu.copy_bytes_per_cycle");
    d->ghz = sim_params_double(p, "cpu.ghz");
    d->ats = sim_params_bool(p, "iommu.ats");
    d->bounce = (range_alloc){.floor = bounce_base, .top = bounce_base + bounce_bytes,
                              .gran = BOUNCE_SLOT_BYTES};
    assert(d->mode == IOMMU_DMA_OFF || u);
    if (d->mode == IOMMU_DMA_PT && iommu_attach_passthrough(u, rid) < 0) {
        sim_err_set(e, "iommu: no memory for the context table of %04x", rid);
        iommu_dma_destroy(d);
        return NULL;
    }
    if (d->mode >= IOMMU_DMA_STRICT) {
        d->dom = iommu_domain_create(u, did);
        if (!d->dom || iommu_attach(u, rid, d->dom) < 0) {
            sim_err_set(e, "iommu: cannot create domain %u for %04x", did, rid);
            iommu_dma_destroy(d);
            return NULL;
        }
        uint64_t g = d->page_bytes;
        d->iova_low = (range_alloc){.floor = g, .top = PCIE_MSI_BASE & ~(g - 1), .gran = g};
        unsigned width = 12 + 9 * iommu_levels(u);
        unsigned bits = addr_bits < width ? addr_bits : width;
        if (bits > 32)
            d->iova_high = (range_alloc){.floor = FOUR_GIB, .top = bits >= 64 ? UINT64_MAX : 1ull << bits,
                                         .gran = g};
    }
    register_stats(d, s);
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

iommu_dma_mode iommu_dma_get_mode(const iommu_dma *d) { return d->mode; }
iommu_domain *iommu_dma_domain(const iommu_dma *d) { return d->dom; }
uint64_t iommu_dma_cpu_cycles(const iommu_dma *d) { return d->cpu_cycles; }
uint64_t iommu_dma_maps(const iommu_dma *d) { return d->maps; }

static uint64_t cycles_ps(const iommu_dma *d, uint64_t cycles)
{
    return (uint64_t)llround((double)cycles * 1000.0 / d->ghz);
}

/* IOMMU work is counted on both counters. */
static void charge(iommu_dma *d, uint64_t cycles, bool iommu_work)
{
    d->cpu_cycles += cycles;
    if (iommu_work && d->u)
        iommu_charge_cycles(d->u, cycles);
}

bool iommu_dma_needs_bounce(const iommu_dma *d, uint64_t hpa, uint64_t bytes)
{
    return d->mode <= IOMMU_DMA_PT && d->addr_bits < 64 && hpa + bytes > (1ull << d->addr_bits);
}

uint64_t iommu_dma_map_cost_cycles(const iommu_dma *d, uint64_t pages)
{
    if (d->mode < IOMMU_DMA_STRICT)
        return 0;
    return d->iova_alloc_cycles + iommu_cpu_cost_pte_cycles(d->u, pages);
}

uint64_t iommu_dma_unmap_cost_cycles(const iommu_dma *d, uint64_t pages)
{
    if (d->mode < IOMMU_DMA_STRICT)
        return 0;
    return d->iova_free_cycles + iommu_cpu_cost_pte_cycles(d->u, pages);
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
    uint64_t cycles = d->bounce_map_cycles + (uint64_t)ceil((double)bytes / d->copy_bpc);
    charge(d, cycles, false);
    d->bounce_bytes += bytes;
    uint64_t cpu_done = t + cycles_ps(d, cycles);
    return loaded > cpu_done ? loaded : cpu_done;
}

uint64_t iommu_dma_map(iommu_dma *d, uint64_t t_ps, uint64_t hpa, uint64_t bytes, bool to_device,
                       iommu_dma_buf *out)
{
    memset(out, 0, sizeof *out);
    out->hpa = hpa;
    out->bytes = bytes;
    out->to_device = to_device;
    out->dev_addr = hpa;
    d->maps++;
    if (d->mode <= IOMMU_DMA_PT) {
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
    uint64_t g = d->page_bytes;
    uint64_t first = hpa & ~(g - 1), span = ((hpa + bytes + g - 1) & ~(g - 1)) - first;
    uint64_t iova = ra_alloc(&d->iova_low, span);
    if (!iova)
        iova = ra_alloc(&d->iova_high, span);
    if (!iova) {
        d->map_failures++;
        return UINT64_MAX;
    }
    int64_t written = iommu_domain_map(d->dom, iova, first, span, g, IOMMU_READ | IOMMU_WRITE, NULL);
    assert(written > 0); /* fresh IOVAs in a domain of this page size always map */
    charge(d, d->iova_alloc_cycles + iommu_cpu_cost_pte_cycles(d->u, (uint64_t)written), true);
    out->iova = iova;
    out->iova_bytes = span;
    out->dev_addr = iova + (hpa - first);
    if (d->observe)
        observe(d, IOMMU_DMA_EV_MAP, t_ps, iova, first, span, NULL, 0);
    return t_ps;
}

static uint64_t invalidate(iommu_dma *d, uint64_t t, iommu_inv_kind kind, uint64_t iova, uint64_t bytes)
{
    iommu_inv inv[2] = {
        {.kind = kind, .did = iommu_domain_id(d->dom), .addr = iova, .bytes = bytes, .keep_tables = true},
        {.kind = IOMMU_INV_DEVTLB, .rid = d->rid, .addr = iova, .bytes = bytes},
    };
    if (kind == IOMMU_INV_IOTLB_DOMAIN)
        inv[1].bytes = 1ull << 63; /* the whole device TLB */
    if (d->observe)
        observe(d, IOMMU_DMA_EV_INVALIDATE, t, 0, 0, 0, inv, d->ats ? 2 : 1);
    iommu_inv_cost c = iommu_invalidate(d->u, t, inv, d->ats ? 2 : 1);
    d->cpu_cycles += c.cpu_cycles; /* iommu_invalidate counted its own share */
    return c.done_ps;
}

uint64_t iommu_dma_flush(iommu_dma *d, uint64_t t_ps)
{
    if (d->mode != IOMMU_DMA_LAZY || !d->fq_n)
        return t_ps;
    uint64_t t = invalidate(d, t_ps, IOMMU_INV_IOTLB_DOMAIN, 0, 0);
    for (size_t i = 0; i < d->fq_n; i++) {
        flush_item *f = &d->fq[i];
        ra_free(f->iova < FOUR_GIB ? &d->iova_low : &d->iova_high, f->iova, f->bytes);
        charge(d, d->iova_free_cycles, true);
    }
    t += cycles_ps(d, d->iova_free_cycles * d->fq_n);
    d->fq_n = 0;
    d->flushes++;
    return t;
}

uint64_t iommu_dma_unmap(iommu_dma *d, uint64_t t_ps, const iommu_dma_buf *b)
{
    d->unmaps++;
    if (d->mode <= IOMMU_DMA_PT) {
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
    uint64_t cleared = iommu_domain_unmap(d->dom, b->iova, b->iova_bytes);
    uint64_t cyc = iommu_cpu_cost_pte_cycles(d->u, cleared);
    charge(d, cyc, true);
    uint64_t t = t_ps + cycles_ps(d, cyc);
    if (d->mode == IOMMU_DMA_STRICT) {
        d->strict_invs++;
        t = invalidate(d, t, IOMMU_INV_IOTLB_PAGE, b->iova, b->iova_bytes);
        ra_free(b->iova < FOUR_GIB ? &d->iova_low : &d->iova_high, b->iova, b->iova_bytes);
        charge(d, d->iova_free_cycles, true);
        return t + cycles_ps(d, d->iova_free_cycles);
    }
    if (!d->fq_n)
        d->fq_oldest_ps = t;
    if (d->fq_n == d->fq_cap) {
        d->fq_cap = d->fq_cap ? 2 * d->fq_cap : 256;
        d->fq = realloc(d->fq, d->fq_cap * sizeof *d->fq);
        assert(d->fq);
    }
    d->fq[d->fq_n++] = (flush_item){b->iova, b->iova_bytes};
    if (d->fq_n >= d->lazy_batch || (t > d->fq_oldest_ps && t - d->fq_oldest_ps >= d->lazy_timeout_ps))
        t = iommu_dma_flush(d, t);
    return t;
}
