#include "models/iommu/iommu.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "models/iommu/iommu_impl.h"
#include "models/iommu/iommu_regs.h"
#include "sim/alloc.h"
#include "sim/kernel.h"

#define IQ_DESCS 256u /* one 4 KiB page of 16-byte descriptors (IQA_REG.QS = 0) */

/* The hardware's parameters: sizes of its caches, its walkers, its timing. How software
 * uses the IOMMU (iommu.mode, the page size it maps with, its CPU costs) is the host DMA
 * API's (host/dmaapi.c). */
static const sim_param_def iommu_params[] = {
    {"iommu.levels", SIM_PARAM_UINT, "4", "3..5", "levels",
     "Second-level table depth: 3 (39-bit), 4 (48-bit) or 5 (57-bit)", SIM_AT(iommu_cfg, levels)},
    {"iommu.iotlb_entries", SIM_PARAM_UINT, "64", "0..1048576", "entries",
     "IOTLB entries (0: no IOTLB, every request walks)", SIM_AT(iommu_cfg, iotlb_entries)},
    {"iommu.iotlb_ways", SIM_PARAM_UINT, "64", "1..1048576", "ways",
     "IOTLB associativity (must divide iommu.iotlb_entries; equal: fully associative)",
     SIM_AT(iommu_cfg, iotlb_ways)},
    {"iommu.pwc_entries", SIM_PARAM_UINT, "32", "0..65536", "entries",
     "Paging-structure cache entries per non-leaf table level (fully associative, LRU)",
     SIM_AT(iommu_cfg, pwc_entries)},
    {"iommu.ctx_entries", SIM_PARAM_UINT, "16", "0..65536", "entries",
     "Context-cache entries (requester id to domain and table)", SIM_AT(iommu_cfg, ctx_entries)},
    {"iommu.walkers", SIM_PARAM_UINT, "6", "0..1024", "walkers",
     "Page walks the IOMMU can have in flight; further misses queue", SIM_AT(iommu_cfg, walkers)},
    {"iommu.superpage_1g", SIM_PARAM_BOOL, "true", NULL, "",
     "1 GiB pages supported (CAP.SLLPS bit 1); 2 MiB always are", SIM_AT(iommu_cfg, superpage_1g)},
    {"iommu.iotlb_hit_ns", SIM_PARAM_DOUBLE, "0", "0..1e6", "ns",
     "Latency an IOTLB hit adds to a request", SIM_AT(iommu_cfg, iotlb_hit_ps)},
    {"iommu.walk_fixed_ns", SIM_PARAM_DOUBLE, "200", "0..1e6", "ns",
     "Walker time per walk besides its table reads: taking the miss, filling the IOTLB, "
     "replaying the stalled request",
     SIM_AT(iommu_cfg, walk_fixed_ps)},
    {"iommu.walk_level_ns", SIM_PARAM_DOUBLE, "0", "0..1e6", "ns",
     "Walker time per table level read, besides the memory access",
     SIM_AT(iommu_cfg, walk_level_ps)},
    {"iommu.fault_records", SIM_PARAM_UINT, "8", "1..256", "records",
     "Fault recording registers (CAP.NFR + 1); faults beyond are counted as overflow",
     SIM_AT(iommu_cfg, fault_records)},
    {"iommu.devtlb_entries", SIM_PARAM_UINT, "32", "0..65536", "entries",
     "Device-side translation cache (ATS) entries, when ATS is on",
     SIM_AT(iommu_cfg, devtlb_entries)},
    {"iommu.acs_p2p", SIM_PARAM_ENUM, "redirect", "redirect|block", "",
     "Peer-to-peer requests: redirected up to the root complex and translated (ACS P2P "
     "Request Redirect), or blocked",
     SIM_AT(iommu_cfg, acs_p2p)},
    /* Queued invalidation. */
    {"iommu.qi_doorbell_ns", SIM_PARAM_DOUBLE, "100", "0..1e6", "ns",
     "From the CPU's write of the queue tail register until the IOMMU fetches the descriptors",
     SIM_AT(iommu_cfg, qi_doorbell_ps)},
    {"iommu.inv_iotlb_ns", SIM_PARAM_DOUBLE, "400", "0..1e7", "ns",
     "IOMMU time to execute an IOTLB invalidation descriptor (drain and invalidate)",
     SIM_AT(iommu_cfg, inv_iotlb_ps)},
    {"iommu.inv_ctx_ns", SIM_PARAM_DOUBLE, "100", "0..1e7", "ns",
     "IOMMU time to execute a context-cache invalidation descriptor",
     SIM_AT(iommu_cfg, inv_ctx_ps)},
    {"iommu.inv_iec_ns", SIM_PARAM_DOUBLE, "100", "0..1e7", "ns",
     "IOMMU time to execute an interrupt-entry-cache invalidation", SIM_AT(iommu_cfg, inv_iec_ps)},
    {"iommu.inv_devtlb_ns", SIM_PARAM_DOUBLE, "1000", "0..1e9", "ns",
     "Device time to execute an ATS invalidation request before it answers with a completion "
     "message",
     SIM_AT(iommu_cfg, inv_devtlb_ps)},
    /* Interrupt remapping. */
    {"iommu.iec_entries", SIM_PARAM_UINT, "32", "0..65536", "entries",
     "Interrupt entry cache entries", SIM_AT(iommu_cfg, iec_entries)},
    {"iommu.irq_remap_ns", SIM_PARAM_DOUBLE, "20", "0..1e6", "ns",
     "Latency remapping adds to an interrupt besides reading the entry",
     SIM_AT(iommu_cfg, irq_remap_ps)},
    {"iommu.irq_compat", SIM_PARAM_BOOL, "false", NULL, "",
     "Compatibility-format interrupts pass while remapping is on (GSTS.CFIS); false: they are "
     "blocked",
     SIM_AT(iommu_cfg, irq_compat)},
};

void iommu_register_params(sim_params *p)
{
    sim_params_add_table(p, iommu_params, SIM_TABLE_LEN(iommu_params));
}

void iommu_config(const sim_params *p, iommu_cfg *c)
{
    sim_params_load_table(p, iommu_params, SIM_TABLE_LEN(iommu_params), c);
}

int iommu_check(const sim_params *p, sim_err *e)
{
    iommu_cfg c;
    iommu_config(p, &c);
    if (c.iotlb_entries && c.iotlb_entries % c.iotlb_ways)
        return sim_err_set(e, "iommu.iotlb_ways = %llu does not divide iommu.iotlb_entries = "
                              "%llu: the IOTLB must have a whole number of sets",
                           (unsigned long long)c.iotlb_ways, (unsigned long long)c.iotlb_entries);
    if (c.walkers == 0)
        return sim_err_set(e, "iommu.walkers = 0: an IOTLB miss needs at least one page walker");
    return 0;
}

/* ---- creation -------------------------------------------------------------------- */

static double m_hit_rate(const sim_stats *s, void *ctx)
{
    (void)s;
    const iommu *u = ctx;
    uint64_t n = u->iotlb_hits + u->iotlb_misses;
    return n ? (double)u->iotlb_hits / (double)n : 0.0;
}
static double m_misses(const sim_stats *s, void *ctx) { (void)s; return (double)((iommu *)ctx)->iotlb_misses; }
static double m_walk_reads(const sim_stats *s, void *ctx) { (void)s; return (double)((iommu *)ctx)->walk_reads; }
static double m_walk_p50(const sim_stats *s, void *ctx)
{
    (void)s;
    return sim_hist_quantile(((iommu *)ctx)->walk_latency, 0.5) / 1000.0;
}
static double m_faults(const sim_stats *s, void *ctx) { (void)s; return (double)((iommu *)ctx)->faults_total; }
static double m_invs(const sim_stats *s, void *ctx) { (void)s; return (double)((iommu *)ctx)->invalidations; }
static double m_irqs(const sim_stats *s, void *ctx) { (void)s; return (double)((iommu *)ctx)->irq_remaps; }

static void register_stats(iommu *u, sim_stats *s)
{
#define C(field, desc) sim_stats_counter(s, "iommu." #field, &u->field, desc)
    C(translations, "untranslated requests presented to the IOMMU");
    C(iotlb_hits, "IOTLB hits");
    C(iotlb_misses, "IOTLB misses (walks and merged misses)");
    C(walks, "page walks started");
    C(walks_merged, "misses that waited for a walk of the same page already in flight");
    C(walk_reads, "paging-entry reads by walkers (one per level not cached)");
    C(walk_queue_ps, "time misses waited for a free walker (ps)");
    C(pwc_hits, "walks that started below the top level thanks to a paging-structure cache");
    C(ctx_hits, "context-cache hits");
    C(ctx_misses, "context-cache misses");
    C(ctx_reads, "root and context entry reads");
    C(faults_total, "DMA and interrupt requests blocked with a fault");
    C(fault_overflows, "faults not recorded because every fault register was full");
    C(invalidations, "invalidation descriptors executed (wait descriptors excluded)");
    C(inv_descs, "descriptors fetched from the invalidation queue, waits included");
    C(inv_iotlb, "IOTLB invalidations (global, domain, page)");
    C(inv_ctx, "context-cache invalidations");
    C(inv_devtlb, "device-TLB invalidations sent to devices");
    C(inv_iec, "interrupt-entry-cache invalidations");
    C(inv_entries_dropped, "cached entries removed by invalidations");
    C(cpu_cycles, "CPU cycles spent on IOMMU work: invalidations, mapping, IOVAs, bounces");
    C(ats_requests, "ATS translation requests from device TLB misses");
    C(ats_hits, "requests translated by a device TLB (translated requests)");
    C(p2p_redirected, "peer-to-peer requests redirected through translation");
    C(p2p_blocked, "peer-to-peer requests blocked");
    C(irq_remaps, "interrupts remapped or posted");
    C(irq_posted, "interrupts posted to a posted-interrupt descriptor");
    C(irq_notifications, "notification events sent for posted interrupts");
    C(irq_blocked, "interrupt requests blocked");
    C(irq_compat, "compatibility-format interrupts passed through");
    C(iec_hits, "interrupt entry cache hits");
    C(iec_misses, "interrupt entry cache misses");
#undef C
    u->walk_latency = sim_stats_hist(s, "iommu.walk_latency_ps", "ps",
                                     "IOTLB miss to translation, walker queueing included");
    sim_stats_metric(s, "iotlb_hit_rate", m_hit_rate, u, "IOTLB hits / look-ups");
    sim_stats_metric(s, "iotlb_misses", m_misses, u, "IOTLB misses");
    sim_stats_metric(s, "walk_reads", m_walk_reads, u, "page-walk memory reads");
    sim_stats_metric(s, "walk_latency_ns_p50", m_walk_p50, u, "median IOTLB miss latency (ns)");
    sim_stats_metric(s, "iommu_faults", m_faults, u, "requests blocked with a fault");
    sim_stats_metric(s, "invalidations", m_invs, u, "invalidation descriptors executed");
    sim_stats_metric(s, "irq_remaps", m_irqs, u, "interrupts remapped or posted");
}

iommu *iommu_create(const sim_params *p, sim_stats *stats, mem *m, mem_phys *pm,
                    uint64_t tables_base, uint64_t tables_bytes)
{
    iommu *u = sim_xcalloc(1, sizeof *u);
    iommu_config(p, &u->cfg);
    const iommu_cfg c = u->cfg;
    u->mem = m;
    u->pm = pm;
    mem_phys_arena_init(&u->arena, tables_base, tables_bytes);
    u->levels = c.levels;
    u->root_table = mem_phys_arena_alloc_page(&u->arena, pm);
    u->iq_base = mem_phys_arena_alloc_page(&u->arena, pm);
    u->iq_status = mem_phys_arena_alloc(&u->arena, 64, 64);
    assert(u->root_table != MEM_PHYS_NONE && u->iq_status != MEM_PHYS_NONE);

    u->ctx_entries = c.ctx_entries;
    u->ctx = sim_xcalloc(u->ctx_entries ? u->ctx_entries : 1, sizeof *u->ctx);
    u->iotlb = iommu_tlb_create(c.iotlb_entries, c.iotlb_entries ? c.iotlb_ways : 1);
    for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
        u->pwc[l] = iommu_tlb_create(c.pwc_entries, c.pwc_entries ? c.pwc_entries : 1);
    u->devtlb = iommu_tlb_create(c.devtlb_entries, c.devtlb_entries ? c.devtlb_entries : 1);
    u->superpage_1g = c.superpage_1g;
    u->walkers = c.walkers;
    assert(u->walkers > 0);
    u->walker_busy_ps = sim_xcalloc(u->walkers, sizeof *u->walker_busy_ps);
    u->fault_records = c.fault_records;
    u->faults = sim_xcalloc(u->fault_records, sizeof *u->faults);
    u->acs_redirect = c.acs_p2p == 0;
    u->iec_entries = c.iec_entries;
    u->iec = sim_xcalloc(u->iec_entries ? u->iec_entries : 1, sizeof *u->iec);
    u->irq_compat_allowed = c.irq_compat;

    register_stats(u, stats);
    return u;
}

void iommu_destroy(iommu *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n_domains; i++)
        free(u->domains[i]);
    free(u->domains);
    iommu_tlb_destroy(u->iotlb);
    for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
        iommu_tlb_destroy(u->pwc[l]);
    iommu_tlb_destroy(u->devtlb);
    free(u->ctx);
    free(u->walker_busy_ps);
    free(u->faults);
    free(u->iec);
    free(u->ats);
    free(u->peers);
    free(u);
}

/* ---- faults ---------------------------------------------------------------------- */

void iommu_record_fault(iommu *u, uint16_t rid, uint64_t addr, uint8_t reason, bool write,
                        bool interrupt, uint64_t t_ps)
{
    u->faults_total++;
    if (u->n_faults == u->fault_records) {
        u->fault_overflows++;
        return;
    }
    u->faults[u->n_faults++] = (iommu_fault){
        .rid = rid, .addr = interrupt ? addr : addr & ~0xFFFull, .reason = reason,
        .write = write, .interrupt = interrupt, .t_ps = t_ps};
}

size_t iommu_faults_recorded(const iommu *u) { return u->n_faults; }
const iommu_fault *iommu_fault_get(const iommu *u, size_t i) { return i < u->n_faults ? &u->faults[i] : NULL; }
void iommu_faults_clear(iommu *u) { u->n_faults = 0; }
uint64_t iommu_faults_total(const iommu *u) { return u->faults_total; }

/* ---- domains and context entries -------------------------------------------------- */

iommu_domain *iommu_domain_find(const iommu *u, uint16_t did)
{
    for (size_t i = 0; i < u->n_domains; i++)
        if (u->domains[i]->did == did)
            return u->domains[i];
    return NULL;
}

iommu_domain *iommu_domain_create(iommu *u, uint16_t did)
{
    if (did == 0 || iommu_domain_find(u, did))
        return NULL;
    iommu_domain *d = calloc(1, sizeof *d);
    assert(d);
    d->u = u;
    d->did = did;
    if (iommu_pgtable_init(&d->pt, u->pm, u->mem, &u->arena, u->levels) < 0) {
        free(d);
        return NULL;
    }
    if (u->n_domains == u->cap_domains) {
        u->cap_domains = u->cap_domains ? 2 * u->cap_domains : 8;
        u->domains = realloc(u->domains, u->cap_domains * sizeof *u->domains);
        assert(u->domains);
    }
    u->domains[u->n_domains++] = d;
    return d;
}

uint16_t iommu_domain_id(const iommu_domain *d) { return d->did; }
uint64_t iommu_domain_table(const iommu_domain *d) { return d->pt.root; }

int64_t iommu_domain_map(iommu_domain *d, uint64_t iova, uint64_t hpa, uint64_t bytes,
                         uint64_t page_bytes, unsigned rights, sim_err *e)
{
    unsigned leaf = iommu_page_level(page_bytes);
    if (!leaf || leaf > d->pt.levels || (leaf == 3 && !d->u->superpage_1g))
        return sim_err_set(e, "domain %u: %llu-byte pages cannot be mapped by a %u-level table",
                           d->did, (unsigned long long)page_bytes, d->pt.levels);
    if (iova % page_bytes || hpa % page_bytes || bytes % page_bytes || !bytes)
        return sim_err_set(e, "domain %u: [%#llx, +%#llx) -> %#llx is not aligned to %llu-byte "
                              "pages",
                           d->did, (unsigned long long)iova, (unsigned long long)bytes,
                           (unsigned long long)hpa, (unsigned long long)page_bytes);
    uint64_t width = 12 + 9 * d->pt.levels;
    if (width < 64 && iova + bytes > (1ull << width))
        return sim_err_set(e, "domain %u: [%#llx, +%#llx) is beyond the %u-bit address width",
                           d->did, (unsigned long long)iova, (unsigned long long)bytes,
                           (unsigned)width);
    int64_t n = iommu_pgtable_map(&d->pt, iova, hpa, bytes, page_bytes,
                                  (rights & IOMMU_READ ? (unsigned)VTD_SL_R : 0) |
                                      (rights & IOMMU_WRITE ? (unsigned)VTD_SL_W : 0));
    if (n < 0)
        return sim_err_set(e, "domain %u: cannot map [%#llx, +%#llx): out of table memory or "
                              "a mapping of another page size is in the way",
                           d->did, (unsigned long long)iova, (unsigned long long)bytes);
    return n;
}

uint64_t iommu_domain_unmap(iommu_domain *d, uint64_t iova, uint64_t bytes)
{
    return iommu_pgtable_unmap(&d->pt, iova, bytes);
}

int iommu_domain_lookup(const iommu_domain *d, uint64_t iova, uint64_t *hpa, unsigned *rights,
                        uint64_t *page_bytes)
{
    unsigned perms = 0, shift = 0;
    if (iommu_pgtable_lookup(&d->pt, iova, hpa, &perms, &shift) < 0)
        return -1;
    if (rights)
        *rights = (perms & VTD_SL_R ? IOMMU_READ : 0) | (perms & VTD_SL_W ? IOMMU_WRITE : 0);
    if (page_bytes)
        *page_bytes = 1ull << shift;
    return 0;
}

static void cpu_store_u64(iommu *u, uint64_t addr, uint64_t v)
{
    mem_phys_write_u64(u->pm, addr, v);
    mem_touch(u->mem, addr, 8);
}

static iommu_ats_dev *ats_of(iommu *u, uint16_t rid)
{
    for (size_t i = 0; i < u->n_ats; i++)
        if (u->ats[i].rid == rid)
            return &u->ats[i];
    return NULL;
}

/* Writes the context entry for rid (allocating the bus's context table). */
static int write_context(iommu *u, uint16_t rid, uint64_t lo, uint64_t hi)
{
    uint64_t ra = u->root_table + (uint64_t)(rid >> 8) * VTD_ROOT_ENTRY_BYTES;
    uint64_t re = mem_phys_read_u64(u->pm, ra);
    if (!(re & VTD_ROOT_ENTRY_P)) {
        uint64_t ct = mem_phys_arena_alloc_page(&u->arena, u->pm);
        if (ct == MEM_PHYS_NONE)
            return -1;
        re = ct | VTD_ROOT_ENTRY_P;
        cpu_store_u64(u, ra + 8, 0);
        cpu_store_u64(u, ra, re);
    }
    uint64_t ca = (re & VTD_ROOT_ENTRY_CTP) + (uint64_t)(rid & 0xFF) * VTD_CONTEXT_ENTRY_BYTES;
    cpu_store_u64(u, ca + 8, hi);
    cpu_store_u64(u, ca, lo);
    return 0;
}

int iommu_attach(iommu *u, uint16_t rid, iommu_domain *d)
{
    uint64_t tt = ats_of(u, rid) ? VTD_CONTEXT_TT_DEV_IOTLB : VTD_CONTEXT_TT_MULTI_LEVEL;
    uint64_t aw = d->pt.levels - 2; /* 3 -> 1 (39-bit), 4 -> 2 (48-bit), 5 -> 3 (57-bit) */
    return write_context(u, rid, d->pt.root | tt << VTD_CONTEXT_ENTRY_TT_SHIFT | VTD_CONTEXT_ENTRY_P,
                         aw | (uint64_t)d->did << VTD_CONTEXT_ENTRY_DID_SHIFT);
}

int iommu_attach_passthrough(iommu *u, uint16_t rid)
{
    /* Pass-through still names a domain id (software uses a reserved one). */
    return write_context(u, rid,
                         (uint64_t)VTD_CONTEXT_TT_PASS_THROUGH << VTD_CONTEXT_ENTRY_TT_SHIFT |
                             VTD_CONTEXT_ENTRY_P,
                         VTD_CONTEXT_AW_48);
}

void iommu_detach(iommu *u, uint16_t rid)
{
    uint64_t re = mem_phys_read_u64(u->pm, u->root_table + (uint64_t)(rid >> 8) * VTD_ROOT_ENTRY_BYTES);
    if (re & VTD_ROOT_ENTRY_P)
        cpu_store_u64(u, (re & VTD_ROOT_ENTRY_CTP) + (uint64_t)(rid & 0xFF) * VTD_CONTEXT_ENTRY_BYTES, 0);
}

/* ---- the context cache ------------------------------------------------------------ */

/* The context of rid at *t (advanced by the reads of a miss), or 0 with *reason. */
static int context_of(iommu *u, uint16_t rid, uint64_t *t, iommu_ctx_entry *out, uint8_t *reason)
{
    for (uint32_t i = 0; i < u->ctx_entries; i++) {
        iommu_ctx_entry *c = &u->ctx[i];
        if (c->valid && c->rid == rid) {
            c->last_use = ++u->ctx_tick;
            u->ctx_hits++;
            *out = *c;
            return 0;
        }
    }
    u->ctx_misses++;
    uint64_t ra = u->root_table + (uint64_t)(rid >> 8) * VTD_ROOT_ENTRY_BYTES;
    *t = mem_read(u->mem, *t, ra, VTD_ROOT_ENTRY_BYTES);
    u->ctx_reads++;
    uint64_t rlo = mem_phys_read_u64(u->pm, ra), rhi = mem_phys_read_u64(u->pm, ra + 8);
    if (!(rlo & VTD_ROOT_ENTRY_P)) {
        *reason = VTD_FR_ROOT_ENTRY_P;
        return -1;
    }
    if ((rlo & VTD_ROOT_ENTRY_RSVD_LO) || rhi) {
        *reason = VTD_FR_ROOT_ENTRY_RSVD;
        return -1;
    }
    uint64_t ca = (rlo & VTD_ROOT_ENTRY_CTP) + (uint64_t)(rid & 0xFF) * VTD_CONTEXT_ENTRY_BYTES;
    *t = mem_read(u->mem, *t, ca, VTD_CONTEXT_ENTRY_BYTES);
    u->ctx_reads++;
    uint64_t lo = mem_phys_read_u64(u->pm, ca), hi = mem_phys_read_u64(u->pm, ca + 8);
    if (!(lo & VTD_CONTEXT_ENTRY_P)) {
        *reason = VTD_FR_CONTEXT_ENTRY_P;
        return -1;
    }
    if ((lo & VTD_CONTEXT_ENTRY_RSVD_LO) || (hi & VTD_CONTEXT_ENTRY_RSVD_HI)) {
        *reason = VTD_FR_CONTEXT_ENTRY_RSVD;
        return -1;
    }
    iommu_ctx_entry c = {
        .slptptr = lo & VTD_CONTEXT_ENTRY_SLPTPTR,
        .rid = rid,
        .did = (uint16_t)((hi & VTD_CONTEXT_ENTRY_DID_MASK) >> VTD_CONTEXT_ENTRY_DID_SHIFT),
        .tt = (uint8_t)((lo & VTD_CONTEXT_ENTRY_TT_MASK) >> VTD_CONTEXT_ENTRY_TT_SHIFT),
        .levels = (uint8_t)((hi & VTD_CONTEXT_ENTRY_AW_MASK) + 2),
        .fpd = (lo & VTD_CONTEXT_ENTRY_FPD) != 0,
        .valid = 1,
    };
    /* TT = 11b is reserved; an address width the hardware has no walk for is an invalid
     * programming of the entry. */
    if (c.tt > VTD_CONTEXT_TT_PASS_THROUGH ||
        (c.tt != VTD_CONTEXT_TT_PASS_THROUGH && (c.levels < 3 || c.levels > IOMMU_MAX_LEVELS))) {
        *reason = VTD_FR_CONTEXT_ENTRY_INV;
        return -1;
    }
    if (u->ctx_entries) {
        iommu_ctx_entry *victim = &u->ctx[0];
        for (uint32_t i = 1; i < u->ctx_entries && victim->valid; i++)
            if (!u->ctx[i].valid || u->ctx[i].last_use < victim->last_use)
                victim = &u->ctx[i];
        *victim = c;
        victim->last_use = ++u->ctx_tick;
    }
    *out = c;
    return 0;
}

/* ---- the page walk ----------------------------------------------------------------- */

typedef struct walk_result {
    uint64_t frame;  /* host address of the page */
    unsigned shift;  /* page size */
    unsigned perms;
    uint64_t done_ps;
    uint8_t reason;  /* 0: translated */
} walk_result;

static unsigned level_shift(unsigned level) { return 12 + 9 * (level - 1); }

static void walk(iommu *u, const iommu_ctx_entry *c, uint64_t t, uint64_t iova, walk_result *r)
{
    /* The walker that frees first; the miss queues behind it. */
    uint32_t w = 0;
    for (uint32_t i = 1; i < u->walkers; i++)
        if (u->walker_busy_ps[i] < u->walker_busy_ps[w])
            w = i;
    uint64_t cur = t > u->walker_busy_ps[w] ? t : u->walker_busy_ps[w];
    u->walk_queue_ps += cur - t;
    u->walks++;

    /* Start below the deepest level a paging-structure cache holds. */
    uint64_t table = c->slptptr;
    unsigned level = c->levels;
    unsigned perms = VTD_SL_R | VTD_SL_W;
    for (unsigned l = 2; l <= c->levels; l++) {
        iommu_tlb_entry *pe = iommu_tlb_lookup(u->pwc[l], c->did, iova, level_shift(l));
        if (pe) {
            if (pe->ready_ps > cur)
                cur = pe->ready_ps;
            table = pe->value;
            perms = pe->perms;
            level = l - 1;
            u->pwc_hits++;
            break;
        }
    }
    r->reason = 0;
    for (;; level--) {
        uint64_t ea = table + (uint64_t)iommu_pgtable_index(iova, level) * VTD_SL_PTE_BYTES;
        cur = mem_read(u->mem, cur, ea, VTD_SL_PTE_BYTES) + u->cfg.walk_level_ps;
        u->walk_reads++;
        uint64_t e = mem_phys_read_u64(u->pm, ea);
        if (!(e & (VTD_SL_R | VTD_SL_W))) {
            r->reason = VTD_FR_READ; /* not present: the request's kind decides, below */
            r->perms = 0;
            break;
        }
        bool large = (e & VTD_SL_PS) && level > 1;
        if ((e & VTD_SL_RSVD_HIGH) || (large && level > 3) || (large && level == 3 && !u->superpage_1g) ||
            (large && (e & VTD_SL_ADDR_MASK & ((1ull << level_shift(level)) - 1)))) {
            r->reason = VTD_FR_PAGING_ENTRY_RSVD;
            break;
        }
        perms &= (unsigned)(e & (VTD_SL_R | VTD_SL_W));
        if (level == 1 || large) {
            r->frame = e & VTD_SL_ADDR_MASK & ~((1ull << level_shift(level)) - 1);
            r->shift = level_shift(level);
            r->perms = perms;
            break;
        }
        table = e & VTD_SL_ADDR_MASK;
        iommu_tlb_entry pe = {.vpn = iova >> level_shift(level), .value = table, .ready_ps = cur,
                              .did = c->did, .shift = (uint8_t)level_shift(level), .perms = (uint8_t)perms};
        iommu_tlb_insert(u->pwc[level], &pe);
    }
    cur += u->cfg.walk_fixed_ps;
    u->walker_busy_ps[w] = cur;
    r->done_ps = cur;
    sim_hist_add(u->walk_latency, cur - t);
}

/* ---- translation ------------------------------------------------------------------ */

static uint8_t rights_fault(unsigned perms, bool write)
{
    if (write && !(perms & VTD_SL_W))
        return VTD_FR_WRITE;
    if (!write && !(perms & VTD_SL_R))
        return VTD_FR_READ;
    return 0;
}

/* Remapping of one request in domain context c: 0 with *hpa and the IOTLB entry's
 * page, or a fault reason. */
static uint8_t remap(iommu *u, const iommu_ctx_entry *c, uint64_t addr, uint32_t len, bool write,
                     uint64_t *t, uint64_t *hpa, unsigned *shift, unsigned *perms)
{
    unsigned width = level_shift(c->levels) + 9;
    if (width < 64 && addr + (len ? len - 1 : 0) >= (1ull << width))
        return VTD_FR_ADDR_BEYOND_MGAW;
    *t += u->cfg.iotlb_hit_ps;
    iommu_tlb_entry *e = iommu_tlb_lookup_page(u->iotlb, c->did, addr);
    if (e) {
        if (e->ready_ps > *t) {
            /* The walk for this page is in flight: wait for it. */
            u->walks_merged++;
            u->iotlb_misses++;
            *t = e->ready_ps;
        } else {
            u->iotlb_hits++;
        }
    } else {
        u->iotlb_misses++;
        walk_result r;
        walk(u, c, *t, addr, &r);
        *t = r.done_ps;
        if (r.reason == VTD_FR_READ && !r.perms)
            return write ? VTD_FR_WRITE : VTD_FR_READ;
        if (r.reason)
            return r.reason;
        iommu_tlb_entry ne = {.vpn = addr >> r.shift, .value = r.frame, .ready_ps = r.done_ps,
                              .did = c->did, .shift = (uint8_t)r.shift, .perms = (uint8_t)r.perms};
        iommu_tlb_insert(u->iotlb, &ne);
        e = iommu_tlb_lookup(u->iotlb, c->did, addr, r.shift);
        if (!e) { /* no IOTLB: use the walk's answer directly */
            uint8_t f = rights_fault(r.perms, write);
            if (f)
                return f;
            *hpa = r.frame | (addr & ((1ull << r.shift) - 1));
            *shift = r.shift;
            *perms = r.perms;
            return 0;
        }
    }
    uint8_t f = rights_fault(e->perms, write);
    if (f)
        return f;
    *hpa = e->value | (addr & ((1ull << e->shift) - 1));
    *shift = e->shift;
    *perms = e->perms;
    return 0;
}

int iommu_translate(void *ctx, uint16_t rid, uint64_t addr, uint32_t len, bool write,
                    uint64_t *t_ps, uint64_t *hpa)
{
    iommu *u = ctx;
    u->translations++;
    iommu_ctx_entry c;
    uint8_t reason = 0;
    uint64_t t0 = *t_ps;
    if (context_of(u, rid, t_ps, &c, &reason) < 0) {
        iommu_record_fault(u, rid, addr, reason, write, false, *t_ps);
        return -1;
    }
    if (c.tt == VTD_CONTEXT_TT_PASS_THROUGH) {
        *hpa = addr;
        return 0;
    }
    iommu_ats_dev *ats = c.tt == VTD_CONTEXT_TT_DEV_IOTLB ? ats_of(u, rid) : NULL;
    if (ats) {
        /* The device's own cache first: a hit leaves as a translated request, which the
         * root complex passes once the context allows translated requests. */
        iommu_tlb_entry *d = iommu_tlb_lookup_page(u->devtlb, rid, addr);
        if (d && d->ready_ps <= t0 && !rights_fault(d->perms, write)) {
            u->ats_hits++;
            *hpa = d->value | (addr & ((1ull << d->shift) - 1));
            return 0;
        }
        u->ats_requests++;
    }
    unsigned shift = 12, perms = 0;
    reason = remap(u, &c, addr, len, write, t_ps, hpa, &shift, &perms);
    if (reason) {
        if (!c.fpd)
            iommu_record_fault(u, rid, addr, reason, write, false, *t_ps);
        else
            u->faults_total++;
        return -1;
    }
    if (ats) {
        /* What arrived was in effect the translation request: the completion carrying
         * the translation goes down, the device fills its TLB and sends the request
         * again, translated. */
        uint64_t at_dev = pcie_link_send(ats->link, PCIE_DOWN, *t_ps + ats->rc_latency_ps,
                                         PCIE_TLP_CPLD, addr, 8);
        iommu_tlb_entry d = {.vpn = addr >> shift, .value = *hpa & ~((1ull << shift) - 1),
                             .ready_ps = at_dev, .did = rid, .shift = (uint8_t)shift,
                             .perms = (uint8_t)perms};
        iommu_tlb_insert(u->devtlb, &d);
        *t_ps = pcie_link_send(ats->link, PCIE_UP, at_dev, write ? PCIE_TLP_MWR : PCIE_TLP_MRD,
                               addr, len) +
                ats->rc_latency_ps;
    }
    return 0;
}

int iommu_dma_access(iommu *u, uint16_t rid, uint64_t addr, void *buf, size_t len, bool write,
                     uint64_t *t_ps)
{
    /* Translate every page first so that a blocked page leaves memory untouched. */
    size_t pages = len ? (size_t)(((addr + len - 1) >> 12) - (addr >> 12) + 1) : 0;
    uint64_t *hpa = calloc(pages ? pages : 1, sizeof *hpa);
    assert(hpa);
    uint64_t t = *t_ps, done = *t_ps;
    int rc = 0;
    for (size_t i = 0; i < pages; i++) {
        uint64_t a = i ? ((addr >> 12) + i) << 12 : addr;
        uint64_t end = ((a >> 12) + 1) << 12;
        uint32_t n = (uint32_t)((addr + len < end ? addr + len : end) - a);
        uint64_t ti = t;
        if (iommu_translate(u, rid, a, n, write, &ti, &hpa[i]) < 0)
            rc = -1;
        if (ti > done)
            done = ti;
    }
    if (rc == 0) {
        uint8_t *b = buf;
        for (size_t i = 0; i < pages; i++) {
            uint64_t a = i ? ((addr >> 12) + i) << 12 : addr;
            uint64_t end = ((a >> 12) + 1) << 12;
            size_t n = (size_t)((addr + len < end ? addr + len : end) - a);
            if (write)
                mem_phys_write(u->pm, hpa[i], b, n);
            else
                mem_phys_read(u->pm, hpa[i], b, n);
            b += n;
        }
    }
    free(hpa);
    *t_ps = done;
    return rc;
}

/* ---- invalidation ------------------------------------------------------------------ */

static uint64_t am_for(uint64_t bytes, uint64_t *align_bytes)
{
    uint64_t pages = (bytes + 4095) / 4096, am = 0;
    while ((1ull << am) < pages)
        am++;
    *align_bytes = 4096ull << am;
    return am;
}

static void encode(const iommu_inv *v, uint64_t *lo, uint64_t *hi)
{
    uint64_t g, align;
    *lo = *hi = 0;
    switch (v->kind) {
    case IOMMU_INV_IOTLB_GLOBAL:
    case IOMMU_INV_IOTLB_DOMAIN:
    case IOMMU_INV_IOTLB_PAGE:
        g = v->kind == IOMMU_INV_IOTLB_GLOBAL ? VTD_INV_G_GLOBAL
          : v->kind == IOMMU_INV_IOTLB_DOMAIN ? VTD_INV_G_DOMAIN : VTD_INV_G_PAGE;
        *lo = VTD_INV_DESC_IOTLB | g << VTD_INV_DESC_G_SHIFT | VTD_INV_DESC_IOTLB_DR |
              VTD_INV_DESC_IOTLB_DW | (uint64_t)v->did << VTD_INV_DESC_DID_SHIFT;
        if (v->kind == IOMMU_INV_IOTLB_PAGE) {
            uint64_t am = am_for(v->bytes, &align);
            *hi = (v->addr & ~(align - 1)) | (v->keep_tables ? 1ull << 6 : 0) | am;
        }
        break;
    case IOMMU_INV_CTX_GLOBAL:
    case IOMMU_INV_CTX_DOMAIN:
    case IOMMU_INV_CTX_DEVICE:
        g = v->kind == IOMMU_INV_CTX_GLOBAL ? VTD_INV_G_GLOBAL
          : v->kind == IOMMU_INV_CTX_DOMAIN ? VTD_INV_G_DOMAIN : VTD_INV_G_DEVICE;
        *lo = VTD_INV_DESC_CC | g << VTD_INV_DESC_G_SHIFT |
              (uint64_t)v->did << VTD_INV_DESC_DID_SHIFT |
              (uint64_t)v->rid << VTD_INV_DESC_CC_SID_SHIFT;
        break;
    case IOMMU_INV_DEVTLB: {
        *lo = VTD_INV_DESC_DEVICE | (uint64_t)v->rid << VTD_INV_DESC_DEV_SID_SHIFT;
        uint64_t size = 4096;
        while (size < v->bytes)
            size <<= 1;
        uint64_t a = v->addr & ~(size - 1);
        /* PCIe ATS range encoding: S set, address bits below the size are 0111...1. */
        *hi = size > 4096 ? (a | (((size >> 1) - 1) & ~0xFFFull) | VTD_INV_DESC_DEV_SIZE) : a;
        break;
    }
    case IOMMU_INV_IEC_GLOBAL:
        *lo = VTD_INV_DESC_IEC;
        break;
    case IOMMU_INV_IEC_INDEX:
        *lo = VTD_INV_DESC_IEC | 1ull << VTD_INV_DESC_G_SHIFT | (uint64_t)v->index << 32;
        break;
    }
}

/* Decodes a device-TLB invalidation's range. */
static void devtlb_range(uint64_t hi, uint64_t *addr, uint64_t *bytes)
{
    uint64_t a = hi & ~0xFFFull;
    if (!(hi & VTD_INV_DESC_DEV_SIZE)) {
        *addr = a;
        *bytes = 4096;
        return;
    }
    unsigned ones = 0;
    while (ones < 52 && (a >> (12 + ones) & 1))
        ones++;
    *bytes = 1ull << (12 + ones + 1);
    *addr = a & ~(*bytes - 1);
}

/* Executes the descriptor at `da`, fetched by time t; returns when it is done. */
static uint64_t execute(iommu *u, uint64_t da, uint64_t t)
{
    uint64_t lo = mem_phys_read_u64(u->pm, da), hi = mem_phys_read_u64(u->pm, da + 8);
    unsigned type = (unsigned)(lo & 0xF);
    unsigned g = (unsigned)(lo >> VTD_INV_DESC_G_SHIFT) & 3;
    uint16_t did = (uint16_t)(lo >> VTD_INV_DESC_DID_SHIFT);
    uint32_t dropped = 0;
    u->inv_descs++;
    switch (type) {
    case VTD_INV_DESC_IOTLB:
        u->inv_iotlb++;
        if (g == VTD_INV_G_GLOBAL) {
            dropped += iommu_tlb_inv_all(u->iotlb);
            for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
                dropped += iommu_tlb_inv_all(u->pwc[l]);
        } else if (g == VTD_INV_G_DOMAIN) {
            dropped += iommu_tlb_inv_domain(u->iotlb, did);
            for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
                dropped += iommu_tlb_inv_domain(u->pwc[l], did);
        } else {
            uint64_t am = hi & VTD_INV_DESC_IOTLB_AM_MASK;
            uint64_t addr = hi & ~0xFFFull, bytes = 4096ull << am;
            dropped += iommu_tlb_inv_range(u->iotlb, did, addr, bytes);
            if (!(hi & (1ull << 6)))
                for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
                    dropped += iommu_tlb_inv_range(u->pwc[l], did, addr, bytes);
        }
        t += u->cfg.inv_iotlb_ps;
        break;
    case VTD_INV_DESC_CC: {
        u->inv_ctx++;
        uint16_t sid = (uint16_t)(lo >> VTD_INV_DESC_CC_SID_SHIFT);
        for (uint32_t i = 0; i < u->ctx_entries; i++) {
            iommu_ctx_entry *c = &u->ctx[i];
            if (c->valid && (g == VTD_INV_G_GLOBAL || (g == VTD_INV_G_DOMAIN && c->did == did) ||
                             (g == VTD_INV_G_DEVICE && c->rid == sid))) {
                c->valid = 0;
                dropped++;
            }
        }
        t += u->cfg.inv_ctx_ps;
        break;
    }
    case VTD_INV_DESC_DEVICE: {
        u->inv_devtlb++;
        uint16_t sid = (uint16_t)(lo >> VTD_INV_DESC_DEV_SID_SHIFT);
        uint64_t addr, bytes;
        devtlb_range(hi, &addr, &bytes);
        dropped += iommu_tlb_inv_range(u->devtlb, sid, addr, bytes);
        iommu_ats_dev *a = ats_of(u, sid);
        if (a) {
            /* Invalidate Request message down, the device's work, Invalidate Completion
             * message up (PCIe ATS 3.x: MsgD with the range, then Msg). */
            uint64_t at_dev = pcie_link_send(a->link, PCIE_DOWN, t + a->rc_latency_ps,
                                             PCIE_TLP_MSGD, 0, 8);
            uint64_t answered = at_dev + u->cfg.inv_devtlb_ps;
            t = pcie_link_send(a->link, PCIE_UP, answered, PCIE_TLP_MSG, 0, 0) + a->rc_latency_ps;
        }
        break;
    }
    case VTD_INV_DESC_IEC:
        u->inv_iec++;
        dropped += iommu_iec_invalidate(u, g == 0, (uint32_t)(lo >> 32));
        t += u->cfg.inv_iec_ps;
        break;
    case VTD_INV_DESC_WAIT:
        if (lo & VTD_INV_DESC_WAIT_SW) {
            t = mem_write(u->mem, t, hi, 4);
            mem_phys_write_u32(u->pm, hi, (uint32_t)(lo >> VTD_INV_DESC_WAIT_DATA_SHIFT));
        }
        return t;
    default:
        assert(!"unknown invalidation descriptor");
    }
    u->invalidations++;
    u->inv_entries_dropped += dropped;
    return t;
}

uint64_t iommu_invalidate(iommu *u, uint64_t doorbell_ps, const iommu_inv *inv, size_t n)
{
    /* Software writes the descriptors and a wait descriptor at the tail. */
    uint32_t first = u->iq_tail;
    for (size_t i = 0; i <= n; i++) {
        uint64_t lo, hi;
        if (i < n) {
            encode(&inv[i], &lo, &hi);
        } else {
            u->iq_seq++;
            lo = VTD_INV_DESC_WAIT | VTD_INV_DESC_WAIT_SW |
                 (uint64_t)u->iq_seq << VTD_INV_DESC_WAIT_DATA_SHIFT;
            hi = u->iq_status;
        }
        uint64_t da = u->iq_base + (uint64_t)u->iq_tail * VTD_INV_DESC_BYTES;
        cpu_store_u64(u, da, lo);
        cpu_store_u64(u, da + 8, hi);
        u->iq_tail = (u->iq_tail + 1) % IQ_DESCS;
    }
    /* The hardware fetches what the tail exposed and executes it in order. */
    uint64_t t = doorbell_ps + u->cfg.qi_doorbell_ps;
    for (uint32_t i = 0, slot = first; i <= n; i++, slot = (slot + 1) % IQ_DESCS) {
        uint64_t da = u->iq_base + (uint64_t)slot * VTD_INV_DESC_BYTES;
        t = mem_read(u->mem, t, da, VTD_INV_DESC_BYTES);
        t = execute(u, da, t);
    }
    assert(mem_phys_read_u32(u->pm, u->iq_status) == u->iq_seq);
    return t;
}

/* ---- ATS, peer-to-peer ------------------------------------------------------------ */

void iommu_ats_enable(iommu *u, uint16_t rid, pcie_link *link, uint64_t rc_latency_ps)
{
    iommu_ats_dev *a = ats_of(u, rid);
    if (!a) {
        u->ats = realloc(u->ats, (u->n_ats + 1) * sizeof *u->ats);
        assert(u->ats);
        a = &u->ats[u->n_ats++];
    }
    *a = (iommu_ats_dev){.rid = rid, .link = link, .rc_latency_ps = rc_latency_ps};
}

void iommu_add_peer_bar(iommu *u, uint64_t base, uint64_t bytes)
{
    u->peers = realloc(u->peers, (u->n_peers + 1) * sizeof *u->peers);
    assert(u->peers);
    u->peers[u->n_peers++] = (iommu_peer_bar){base, bytes};
}

int iommu_p2p(iommu *u, uint16_t rid, uint64_t addr, uint32_t len, bool write, uint64_t *t_ps,
              uint64_t *hpa, bool *to_peer)
{
    *to_peer = false;
    if (!u->acs_redirect) {
        u->p2p_blocked++;
        return -1;
    }
    u->p2p_redirected++;
    if (iommu_translate(u, rid, addr, len, write, t_ps, hpa) < 0)
        return -1;
    for (size_t i = 0; i < u->n_peers; i++)
        if (*hpa >= u->peers[i].base && *hpa - u->peers[i].base < u->peers[i].bytes)
            *to_peer = true;
    return 0;
}

/* ---- costs and introspection ---------------------------------------------------- */

void iommu_charge_cycles(iommu *u, uint64_t cycles) { u->cpu_cycles += cycles; }
unsigned iommu_levels(const iommu *u) { return u->levels; }
uint64_t iommu_root_table(const iommu *u) { return u->root_table; }
mem_phys *iommu_physmem(const iommu *u) { return u->pm; }
uint32_t iommu_iotlb_valid(const iommu *u) { return iommu_tlb_valid(u->iotlb); }
bool iommu_iotlb_holds(const iommu *u, uint16_t did, uint64_t addr)
{
    return iommu_tlb_peek_page(u->iotlb, did, addr) != NULL;
}
