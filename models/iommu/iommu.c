#include "models/iommu/iommu.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "models/iommu/iommu_impl.h"
#include "models/iommu/iommu_regs.h"
#include "models/pcie/rc.h"
#include "sim/alloc.h"
#include "sim/kernel.h"

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
    /* Scalable mode (VT-d 3.x). Intel publishes no cache sizes: both are assumed. */
    {"iommu.scalable", SIM_PARAM_BOOL, "false", NULL, "",
     "Scalable mode: requests are translated by requester id and PASID through PASID "
     "tables with first-level, second-level, nested or pass-through translation",
     SIM_AT(iommu_cfg, scalable)},
    {"iommu.pasid_cache_entries", SIM_PARAM_UINT, "16", "0..65536", "entries",
     "PASID-cache entries (requester id and PASID to PASID entry; fully associative, LRU; "
     "assumed: as iommu.ctx_entries)",
     SIM_AT(iommu_cfg, pasid_cache_entries)},
    {"iommu.fl_pwc_entries", SIM_PARAM_UINT, "32", "0..65536", "entries",
     "First-level paging-structure cache entries per non-leaf level (scalable mode; "
     "assumed: as iommu.pwc_entries)",
     SIM_AT(iommu_cfg, fl_pwc_entries)},
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
    C(walks_write, "page walks device writes started (receive buffers, completions; "
                   "iommu.walks counts every request's)");
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
    C(qi_submits, "invalidation submissions drivers made to the queue (qi_submit_sync)");
    C(qi_submit_cycles, "of iommu.cpu_cycles, the submissions': descriptors and the spin on "
                        "the wait");
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
    sim_stats_metric(s, "iotlb_hit_rate", "share (0..1)", m_hit_rate, u,
                     "IOTLB hits over look-ups (hits and misses) in the window; 0 without "
                     "look-ups");
    sim_stats_metric(s, "iotlb_misses", "look-ups", m_misses, u,
                     "IOTLB look-ups in the window that missed (each started a walk or "
                     "waited for one of the same page)");
    sim_stats_metric(s, "walk_reads", "reads", m_walk_reads, u,
                     "paging-entry reads from memory by the page walkers in the window (one "
                     "per level a paging-structure cache did not hold)");
    sim_stats_metric(s, "walk_latency_ns_p50", "ns", m_walk_p50, u,
                     "median of iommu.walk_latency_ps: an IOTLB miss to its translation, "
                     "walker queueing included, over the misses in the window; 0 without any");
    sim_stats_metric(s, "iommu_faults", "requests", m_faults, u,
                     "DMA and interrupt requests the IOMMU blocked with a fault in the window");
    sim_stats_metric(s, "invalidations", "descriptors", m_invs, u,
                     "invalidation descriptors the IOMMU executed in the window (wait "
                     "descriptors not counted)");
    sim_stats_metric(s, "irq_remaps", "interrupts", m_irqs, u,
                     "interrupts remapped or posted through the interrupt remapping table in "
                     "the window");
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
    /* The driver's root table, invalidation queue (one page: IQA.QS = 0) and the word
     * its wait descriptors write. */
    uint64_t root = mem_phys_arena_alloc_page(&u->arena, pm);
    uint64_t queue = mem_phys_arena_alloc_page(&u->arena, pm);
    uint64_t status = mem_phys_arena_alloc(&u->arena, 64, 64);
    assert(root != MEM_PHYS_NONE && queue != MEM_PHYS_NONE && status != MEM_PHYS_NONE);

    u->ctx = sim_xcalloc(c.ctx_entries ? c.ctx_entries : 1, sizeof *u->ctx);
    u->iotlb = iommu_tlb_create(c.iotlb_entries, c.iotlb_entries ? c.iotlb_ways : 1);
    for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
        u->pwc[l] = iommu_tlb_create(c.pwc_entries, c.pwc_entries ? c.pwc_entries : 1);
    u->devtlb = iommu_tlb_create(c.devtlb_entries, c.devtlb_entries ? c.devtlb_entries : 1);
    assert(c.walkers > 0);
    u->walker_busy_ps = sim_xcalloc(c.walkers, sizeof *u->walker_busy_ps);
    u->acs_redirect = c.acs_p2p == 0;
    u->iec = sim_xcalloc(c.iec_entries ? c.iec_entries : 1, sizeof *u->iec);

    /* The driver's initialisation: tables, queue, then translation on. */
    iommu_regs_init(u);
    iommu_reg_write(u, 0, VTD_RTADDR_REG, 8, root | (c.scalable ? VTD_RTADDR_TTM_SCALABLE : 0));
    iommu_gcmd(u, VTD_GCMD_SRTP);
    iommu_reg_write(u, 0, VTD_IQA_REG, 8, queue);
    u->qi_driver = (iommu_qi_driver){.base = queue, .status_addr = status,
                                     .descs = VTD_IQ_DESCS_PER_PAGE};
    iommu_gcmd(u, VTD_GCMD_QIE);
    if (c.irq_compat)
        iommu_gcmd(u, VTD_GCMD_CFI);
    iommu_gcmd(u, VTD_GCMD_TE);

    register_stats(u, stats);
    if (c.scalable)
        iommu_sm_create(u, stats);
    return u;
}

void iommu_destroy(iommu *u)
{
    if (!u)
        return;
    iommu_sm_destroy(u);
    for (size_t i = 0; i < u->n_domains; i++)
        free(u->domains[i]);
    free(u->domains);
    iommu_tlb_destroy(u->iotlb);
    for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
        iommu_tlb_destroy(u->pwc[l]);
    iommu_tlb_destroy(u->devtlb);
    free(u->ctx);
    free(u->walker_busy_ps);
    free(u->regs);
    free(u->reg_row);
    free(u->fault_t_ps);
    free(u->fault_view);
    free(u->iec);
    free(u->ats);
    free(u->peers);
    free(u);
}

/* ---- faults (recorded in the fault recording registers: regfile.c) ---------------- */

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
    iommu_domain *d = sim_xcalloc(1, sizeof *d);
    d->u = u;
    d->did = did;
    if (iommu_pgtable_init(&d->pt, u->pm, u->mem, &u->arena, u->cfg.levels) < 0) {
        free(d);
        return NULL;
    }
    if (u->n_domains == u->cap_domains) {
        u->cap_domains = u->cap_domains ? 2 * u->cap_domains : 8;
        u->domains = sim_xrealloc(u->domains, u->cap_domains * sizeof *u->domains);
    }
    u->domains[u->n_domains++] = d;
    return d;
}

uint16_t iommu_domain_id(const iommu_domain *d) { return d->did; }
uint64_t iommu_domain_table(const iommu_domain *d) { return d->pt.root; }

/* Maps into a second-level or first-level table for software; what names the table in
 * messages. */
static int64_t table_map(const iommu *u, iommu_pgtable *pt, const char *what, uint64_t iova,
                         uint64_t hpa, uint64_t bytes, uint64_t page_bytes, unsigned rights,
                         sim_err *e)
{
    unsigned leaf = iommu_page_level(page_bytes);
    if (!leaf || leaf > pt->levels || (leaf == 3 && !u->cfg.superpage_1g))
        return sim_err_set(e, "%s: %llu-byte pages cannot be mapped by a %u-level table", what,
                           (unsigned long long)page_bytes, pt->levels);
    if (iova % page_bytes || hpa % page_bytes || bytes % page_bytes || !bytes)
        return sim_err_set(e, "%s: [%#llx, +%#llx) -> %#llx is not aligned to %llu-byte "
                              "pages",
                           what, (unsigned long long)iova, (unsigned long long)bytes,
                           (unsigned long long)hpa, (unsigned long long)page_bytes);
    uint64_t width = 12 + 9 * pt->levels;
    if (width < 64 && (iova >= (1ull << width) || bytes > (1ull << width) - iova))
        return sim_err_set(e, "%s: [%#llx, +%#llx) is beyond the %u-bit address width", what,
                           (unsigned long long)iova, (unsigned long long)bytes,
                           (unsigned)width);
    int64_t n = iommu_pgtable_map(pt, iova, hpa, bytes, page_bytes,
                                  (rights & IOMMU_READ ? (unsigned)VTD_SL_R : 0) |
                                      (rights & IOMMU_WRITE ? (unsigned)VTD_SL_W : 0));
    if (n < 0)
        return sim_err_set(e, "%s: cannot map [%#llx, +%#llx): out of table memory%s or "
                              "a mapping of another page size is in the way",
                           what, (unsigned long long)iova, (unsigned long long)bytes,
                           pt->s2 ? " (or a table page its second level does not map)" : "");
    return n;
}

static int table_lookup(const iommu_pgtable *pt, uint64_t iova, uint64_t *hpa, unsigned *rights,
                        uint64_t *page_bytes)
{
    unsigned perms = 0, shift = 0;
    if (iommu_pgtable_lookup(pt, iova, hpa, &perms, &shift) < 0)
        return -1;
    if (rights)
        *rights = (perms & VTD_SL_R ? IOMMU_READ : 0) | (perms & VTD_SL_W ? IOMMU_WRITE : 0);
    if (page_bytes)
        *page_bytes = 1ull << shift;
    return 0;
}

int64_t iommu_domain_map(iommu_domain *d, uint64_t iova, uint64_t hpa, uint64_t bytes,
                         uint64_t page_bytes, unsigned rights, sim_err *e)
{
    char what[24];
    snprintf(what, sizeof what, "domain %u", d->did);
    return table_map(d->u, &d->pt, what, iova, hpa, bytes, page_bytes, rights, e);
}

uint64_t iommu_domain_unmap(iommu_domain *d, uint64_t iova, uint64_t bytes)
{
    return iommu_pgtable_unmap(&d->pt, iova, bytes);
}

int iommu_domain_lookup(const iommu_domain *d, uint64_t iova, uint64_t *hpa, unsigned *rights,
                        uint64_t *page_bytes)
{
    return table_lookup(&d->pt, iova, hpa, rights, page_bytes);
}

/* A present first-level entry is readable: rights always hold IOMMU_READ. */
int64_t iommu_fltable_map(iommu_fltable *f, uint64_t va, uint64_t pa, uint64_t bytes,
                          uint64_t page_bytes, unsigned rights, sim_err *e)
{
    return table_map(f->u, &f->pt, "first-level table", va, pa, bytes, page_bytes,
                     rights | IOMMU_READ, e);
}

uint64_t iommu_fltable_unmap(iommu_fltable *f, uint64_t va, uint64_t bytes)
{
    return iommu_pgtable_unmap(&f->pt, va, bytes);
}

int iommu_fltable_lookup(const iommu_fltable *f, uint64_t va, uint64_t *pa, unsigned *rights,
                         uint64_t *page_bytes)
{
    return table_lookup(&f->pt, va, pa, rights, page_bytes);
}

void iommu_cpu_store_u64(iommu *u, uint64_t addr, uint64_t v)
{
    mem_phys_write_u64(u->pm, addr, v);
    mem_touch(u->mem, addr, 8);
}

iommu_ats_dev *iommu_ats_of(iommu *u, uint16_t rid)
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
        iommu_cpu_store_u64(u, ra + 8, 0);
        iommu_cpu_store_u64(u, ra, re);
    }
    uint64_t ca = (re & VTD_ROOT_ENTRY_CTP) + (uint64_t)(rid & 0xFF) * VTD_CONTEXT_ENTRY_BYTES;
    iommu_cpu_store_u64(u, ca + 8, hi);
    iommu_cpu_store_u64(u, ca, lo);
    return 0;
}

int iommu_attach(iommu *u, uint16_t rid, iommu_domain *d)
{
    if (u->sm)
        return iommu_sm_attach(u, rid, IOMMU_PGTT_SL, d);
    uint64_t tt = iommu_ats_of(u, rid) ? VTD_CONTEXT_TT_DEV_IOTLB : VTD_CONTEXT_TT_MULTI_LEVEL;
    uint64_t aw = d->pt.levels - 2; /* 3 -> 1 (39-bit), 4 -> 2 (48-bit), 5 -> 3 (57-bit) */
    return write_context(u, rid, d->pt.root | tt << VTD_CONTEXT_ENTRY_TT_SHIFT | VTD_CONTEXT_ENTRY_P,
                         aw | (uint64_t)d->did << VTD_CONTEXT_ENTRY_DID_SHIFT);
}

int iommu_attach_passthrough(iommu *u, uint16_t rid)
{
    if (u->sm)
        return iommu_sm_attach(u, rid, IOMMU_PGTT_PT, NULL);
    /* Pass-through still names a domain id (software uses a reserved one). */
    return write_context(u, rid,
                         (uint64_t)VTD_CONTEXT_TT_PASS_THROUGH << VTD_CONTEXT_ENTRY_TT_SHIFT |
                             VTD_CONTEXT_ENTRY_P,
                         VTD_CONTEXT_AW_48);
}

void iommu_detach(iommu *u, uint16_t rid)
{
    if (u->sm) {
        iommu_sm_detach(u, rid);
        return;
    }
    uint64_t re = mem_phys_read_u64(u->pm, u->root_table + (uint64_t)(rid >> 8) * VTD_ROOT_ENTRY_BYTES);
    if (re & VTD_ROOT_ENTRY_P)
        iommu_cpu_store_u64(u, (re & VTD_ROOT_ENTRY_CTP) + (uint64_t)(rid & 0xFF) * VTD_CONTEXT_ENTRY_BYTES, 0);
}

/* ---- the context cache ------------------------------------------------------------ */


void iommu_ctx_fill(iommu *u, const iommu_ctx_entry *c)
{
    if (!u->cfg.ctx_entries)
        return;
    iommu_ctx_entry *victim = &u->ctx[0];
    for (uint32_t i = 1; i < u->cfg.ctx_entries && victim->valid; i++)
        if (!u->ctx[i].valid || u->ctx[i].last_use < victim->last_use)
            victim = &u->ctx[i];
    *victim = *c;
    victim->last_use = ++u->ctx_tick;
    u->ctx_last = (uint32_t)(victim - u->ctx);
}

/* The context of rid at *t (advanced by the reads of a miss), or 0 with *reason. */
static int context_of(iommu *u, uint16_t rid, uint64_t *t, iommu_ctx_entry *out, uint8_t *reason)
{
    if (iommu_ctx_lookup(u, rid, out))
        return 0;
    uint64_t ra = u->root_table + (uint64_t)(rid >> 8) * VTD_ROOT_ENTRY_BYTES;
    *t = mem_read(u->mem, *t, ra, VTD_ROOT_ENTRY_BYTES);
    u->ctx_reads++;
    uint64_t rlo = mem_phys_read_u64(u->pm, ra), rhi = mem_phys_read_u64(u->pm, ra + 8);
    if (!(rlo & VTD_ROOT_ENTRY_P)) {
        *reason = VTD_FR_ROOT_ENTRY_P;
        return -1;
    }
    if ((rlo & VTD_ROOT_ENTRY_RSVD_LO) || rhi || (rlo & VTD_ROOT_ENTRY_CTP) >= IOMMU_HAW_LIMIT) {
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
    if ((lo & VTD_CONTEXT_ENTRY_RSVD_LO) || (hi & VTD_CONTEXT_ENTRY_RSVD_HI) ||
        (lo & VTD_CONTEXT_ENTRY_SLPTPTR) >= IOMMU_HAW_LIMIT) {
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
    iommu_ctx_fill(u, &c);
    *out = c;
    return 0;
}

/* ---- the page walk ----------------------------------------------------------------- */

static unsigned level_shift(unsigned level) { return 12 + 9 * (level - 1); }

void iommu_set_timeline(iommu *u, sim_timeline *tl)
{
    u->tl = tl;
    char name[32];
    for (uint32_t i = 0; tl && i < u->cfg.walkers; i++) {
        snprintf(name, sizeof name, "walker %u", i);
        unsigned t = sim_timeline_track(tl, "iommu", name);
        if (i == 0)
            u->tl_walker0 = t;
    }
}

uint32_t iommu_walker_take(iommu *u, uint64_t t, uint64_t *start)
{
    /* The walker that frees first; the miss queues behind it. */
    uint32_t w = 0;
    for (uint32_t i = 1; i < u->cfg.walkers; i++)
        if (u->walker_busy_ps[i] < u->walker_busy_ps[w])
            w = i;
    uint64_t cur = t > u->walker_busy_ps[w] ? t : u->walker_busy_ps[w];
    u->walk_queue_ps += cur - t;
    u->walks++;
    *start = cur;
    return w;
}

void iommu_walker_done(iommu *u, uint32_t w, uint64_t t, uint64_t start, uint64_t *cur)
{
    *cur += u->cfg.walk_fixed_ps;
    u->walker_busy_ps[w] = *cur;
    if (u->tl)
        sim_timeline_slice(u->tl, u->tl_walker0 + w, "walk", start, *cur - start, 0);
    sim_hist_add(u->walk_latency, *cur - t);
}

void iommu_sl_descend(iommu *u, const iommu_ctx_entry *c, uint64_t *curp, uint64_t iova,
                      iommu_walk_result *r)
{
    uint64_t cur = *curp;
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
            r->reason = IOMMU_WALK_NOT_PRESENT;
            r->perms = 0;
            break;
        }
        bool large = (e & VTD_SL_PS) && level > 1;
        if ((e & VTD_SL_RSVD_HIGH) || (large && level > 3) ||
            (large && level == 3 && !u->cfg.superpage_1g) ||
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
    *curp = cur;
}

void iommu_walk_sl(iommu *u, const void *arg, uint64_t t, uint64_t iova, iommu_walk_result *r)
{
    uint64_t start, cur;
    uint32_t w = iommu_walker_take(u, t, &start);
    cur = start;
    iommu_sl_descend(u, arg, &cur, iova, r);
    iommu_walker_done(u, w, t, start, &cur);
    r->done_ps = cur;
}

/* ---- translation ------------------------------------------------------------------ */


static const iommu_fault_codes legacy_codes = {
    .beyond = VTD_FR_ADDR_BEYOND_MGAW, .not_present_read = VTD_FR_READ,
    .not_present_write = VTD_FR_WRITE, .read = VTD_FR_READ, .write = VTD_FR_WRITE};


int iommu_translate(void *ctx, uint16_t rid, uint64_t addr, uint32_t len, bool write,
                    uint64_t *t_ps, uint64_t *hpa)
{
    iommu *u = ctx;
    if (!u->te) { /* translation disabled: the request passes as addressed */
        *hpa = addr;
        return 0;
    }
    if (u->sm)
        return iommu_sm_translate(u, rid, IOMMU_NO_PASID, addr, len, write, t_ps, hpa);
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
    iommu_ats_dev *ats = c.tt == VTD_CONTEXT_TT_DEV_IOTLB ? iommu_ats_of(u, rid) : NULL;
    if (ats) {
        /* The device's own cache first: a hit leaves as a translated request, which the
         * root complex passes once the context allows translated requests. */
        iommu_tlb_entry *d = iommu_tlb_lookup_page(u->devtlb, rid, addr);
        if (d && d->ready_ps <= t0 && !iommu_rights_fault(&legacy_codes, d->perms, write)) {
            u->ats_hits++;
            *hpa = d->value | (addr & ((1ull << d->shift) - 1));
            return 0;
        }
        u->ats_requests++;
    }
    unsigned shift = 12, perms = 0;
    iommu_remap_how how = {.did = c.did, .width = level_shift(c.levels) + 9, .walk = iommu_walk_sl,
                           .arg = &c, .codes = &legacy_codes};
    reason = iommu_remap(u, &how, addr, len, write, t_ps, hpa, &shift, &perms);
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

/* Page i of [addr, addr + len): where it starts and how many bytes of the buffer it
 * holds (counted from the buffer's length, so the last page of the address space does
 * not need an end address of 2^64). */
static uint64_t page_piece(uint64_t addr, size_t len, size_t i, uint64_t *n)
{
    uint64_t a = i ? ((addr >> 12) + i) << 12 : addr;
    uint64_t in_page = 4096 - (a & 0xFFF), left = len - (a - addr);
    *n = left < in_page ? left : in_page;
    return a;
}

int iommu_translate_pasid(iommu *u, uint16_t rid, uint32_t pasid, uint64_t addr, uint32_t len,
                          bool write, uint64_t *t_ps, uint64_t *hpa)
{
    if (u->te && u->sm)
        return iommu_sm_translate(u, rid, pasid, addr, len, write, t_ps, hpa);
    return iommu_translate(u, rid, addr, len, write, t_ps, hpa);
}

_Static_assert(IOMMU_NO_PASID == PCIE_NO_PASID, "a request without a PASID: one value");

int iommu_rc_translate(void *ctx, uint16_t rid, uint32_t pasid, uint64_t addr, uint32_t len,
                       bool write, uint64_t *t_ps, uint64_t *hpa)
{
    return iommu_translate_pasid(ctx, rid, pasid, addr, len, write, t_ps, hpa);
}

int iommu_dma_access(iommu *u, uint16_t rid, uint64_t addr, void *buf, size_t len, bool write,
                     uint64_t *t_ps)
{
    return iommu_dma_access_pasid(u, rid, IOMMU_NO_PASID, addr, buf, len, write, t_ps);
}

int iommu_dma_access_pasid(iommu *u, uint16_t rid, uint32_t pasid, uint64_t addr, void *buf,
                           size_t len, bool write, uint64_t *t_ps)
{
    if (len && len - 1 > UINT64_MAX - addr)
        return -1; /* past 2^64: no request can address it */
    /* Translate every page first so that a blocked page leaves memory untouched. */
    size_t pages = len ? (size_t)(((addr + (len - 1)) >> 12) - (addr >> 12) + 1) : 0;
    uint64_t *hpa = sim_xcalloc(pages ? pages : 1, sizeof *hpa);
    uint64_t t = *t_ps, done = *t_ps;
    int rc = 0;
    for (size_t i = 0; i < pages; i++) {
        uint64_t n, a = page_piece(addr, len, i, &n);
        uint64_t ti = t;
        if (iommu_translate_pasid(u, rid, pasid, a, (uint32_t)n, write, &ti, &hpa[i]) < 0)
            rc = -1;
        else if (hpa[i] >= IOMMU_HAW_LIMIT || n > IOMMU_HAW_LIMIT - hpa[i])
            rc = -1; /* passed untranslated to where no memory is */
        if (ti > done)
            done = ti;
    }
    if (rc == 0) {
        uint8_t *b = buf;
        for (size_t i = 0; i < pages; i++) {
            uint64_t n;
            page_piece(addr, len, i, &n);
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

/* ---- ATS, peer-to-peer ------------------------------------------------------------ */

void iommu_ats_enable(iommu *u, uint16_t rid, pcie_link *link, uint64_t rc_latency_ps)
{
    iommu_ats_dev *a = iommu_ats_of(u, rid);
    if (!a) {
        u->ats = sim_xrealloc(u->ats, (u->n_ats + 1) * sizeof *u->ats);
        a = &u->ats[u->n_ats++];
    }
    *a = (iommu_ats_dev){.rid = rid, .link = link, .rc_latency_ps = rc_latency_ps};
}

void iommu_add_peer_bar(iommu *u, uint64_t base, uint64_t bytes)
{
    u->peers = sim_xrealloc(u->peers, (u->n_peers + 1) * sizeof *u->peers);
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
void iommu_charge_qi_submit(iommu *u, uint64_t cycles)
{
    iommu_charge_cycles(u, cycles);
    u->qi_submits++;
    u->qi_submit_cycles += cycles;
}
unsigned iommu_levels(const iommu *u) { return u->cfg.levels; }
uint64_t iommu_root_table(const iommu *u) { return u->root_table; }
mem_phys *iommu_physmem(const iommu *u) { return u->pm; }
uint32_t iommu_iotlb_valid(const iommu *u) { return iommu_tlb_valid(u->iotlb); }
bool iommu_iotlb_holds(const iommu *u, uint16_t did, uint64_t addr)
{
    return iommu_tlb_peek_page(u->iotlb, did, addr) != NULL;
}
bool iommu_iotlb_holds_pasid(const iommu *u, uint16_t did, uint32_t pasid, uint64_t addr)
{
    return iommu_tlb_peek_page_pasid(u->iotlb, did, pasid, addr) != NULL;
}
bool iommu_scalable(const iommu *u) { return u->sm; }
