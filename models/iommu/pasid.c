/* Scalable mode (iommu.h, "Scalable mode"): the driver's scalable-mode context entries,
 * PASID directories and PASID tables, first-level tables (pgtable.c's first-level
 * format) for software; the PASID cache,
 * PASID-granular translation and the first-level and nested walks for the hardware.
 *
 * Modelled on QEMU's hw/i386/intel_iommu.c (vtd_dev_to_context_entry in scalable mode,
 * vtd_ce_get_rid2pasid_entry, vtd_get_pe_from_pasid_table, vtd_get_pdire_from_pdir_table,
 * vtd_iova_to_flpte) for the hardware and on Linux's drivers/iommu/intel/pasid.c
 * (intel_pasid_alloc_table, intel_pasid_setup_first_level / _second_level / _nested /
 * _pass_through, pasid_pte_get_pgtt) for the structures software writes. */
#include <stdlib.h>

#include "models/iommu/iommu.h"
#include "models/iommu/iommu_impl.h"
#include "models/iommu/iommu_regs.h"
#include "sim/alloc.h"

static unsigned level_shift(unsigned level) { return 12 + 9 * (level - 1); }

/* ---- creation ---------------------------------------------------------------------- */

void iommu_sm_create(iommu *u, sim_stats *s)
{
    const iommu_cfg *c = &u->cfg;
    u->pc = sim_xcalloc(c->pasid_cache_entries ? c->pasid_cache_entries : 1, sizeof *u->pc);
    for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
        u->flpwc[l] = iommu_tlb_create(c->fl_pwc_entries, c->fl_pwc_entries ? c->fl_pwc_entries : 1);
#define C(field, desc) sim_stats_counter(s, "iommu." #field, &u->field, desc)
    C(pasid_hits, "PASID-cache hits");
    C(pasid_misses, "PASID-cache misses");
    C(pasid_reads, "PASID directory and PASID table entry reads");
    C(fl_walks, "first-level walks (first-level-only PASIDs)");
    C(nested_walks, "nested walks (first level translated through the second level)");
    C(flpwc_hits, "walks that started below the top level thanks to a first-level cache");
    C(inv_piotlb, "PASID-based IOTLB invalidations");
    C(inv_pasid_cache, "PASID-cache invalidations");
#undef C
}

void iommu_sm_destroy(iommu *u)
{
    free(u->pc);
    for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
        iommu_tlb_destroy(u->flpwc[l]);
    for (size_t i = 0; i < u->n_fltables; i++)
        free(u->fltables[i]);
    free(u->fltables);
}

/* ---- the driver's structures --------------------------------------------------------- */

/* The address of rid's 32-byte scalable-mode context entry: the root entry's low half
 * holds the table of devfn 0..127, its high half that of 128..255. With create the
 * table is allocated when absent; MEM_PHYS_NONE when it is absent (or memory is out). */
static uint64_t sm_ctx_addr(iommu *u, uint16_t rid, bool create)
{
    uint8_t devfn = (uint8_t)rid;
    uint64_t ra = u->root_table + (uint64_t)(rid >> 8) * VTD_ROOT_ENTRY_BYTES +
                  (devfn >= VTD_SM_CTX_DEVFNS ? 8 : 0);
    uint64_t re = mem_phys_read_u64(u->pm, ra);
    if (!(re & VTD_ROOT_ENTRY_P)) {
        if (!create)
            return MEM_PHYS_NONE;
        uint64_t ct = mem_phys_arena_alloc_page(&u->arena, u->pm);
        if (ct == MEM_PHYS_NONE)
            return MEM_PHYS_NONE;
        re = ct | VTD_ROOT_ENTRY_P;
        iommu_cpu_store_u64(u, ra, re);
    }
    return (re & VTD_ROOT_ENTRY_CTP) + (uint64_t)(devfn % VTD_SM_CTX_DEVFNS) * VTD_SM_CTX_ENTRY_BYTES;
}

int iommu_pasid_table_create(iommu *u, uint16_t rid, uint32_t max_pasids, uint32_t rid_pasid)
{
    if (!u->sm || !max_pasids || max_pasids > VTD_PASID_MAX || rid_pasid >= VTD_PASID_MAX)
        return -1;
    /* 2^(PDTS+7) directory entries of 64 PASIDs each; at least a page of them, as
     * Linux's intel_pasid_alloc_table allocates (512 entries: PDTS = 2). */
    uint32_t tables = (max_pasids + VTD_PASID_TABLE_ENTRIES - 1) / VTD_PASID_TABLE_ENTRIES;
    unsigned pdts = 2;
    while ((128u << pdts) < tables)
        pdts++;
    uint64_t dir = mem_phys_arena_alloc(&u->arena, (128ull << pdts) * VTD_PASID_DIR_ENTRY_BYTES,
                                        4096);
    uint64_t ca = dir == MEM_PHYS_NONE ? MEM_PHYS_NONE : sm_ctx_addr(u, rid, true);
    if (ca == MEM_PHYS_NONE)
        return -1;
    iommu_cpu_store_u64(u, ca + 24, 0);
    iommu_cpu_store_u64(u, ca + 16, 0);
    iommu_cpu_store_u64(u, ca + 8, rid_pasid & VTD_SM_CTX_RID_PASID_MASK);
    iommu_cpu_store_u64(u, ca, dir | (uint64_t)pdts << VTD_SM_CTX_PDTS_SHIFT | VTD_SM_CTX_PASIDE |
                                   VTD_SM_CTX_P);
    return 0;
}

/* The address of (rid, pasid)'s PASID entry, allocating its PASID table with create;
 * MEM_PHYS_NONE when rid has no PASID directory or the PASID is beyond it. */
static uint64_t pe_addr(iommu *u, uint16_t rid, uint32_t pasid, bool create)
{
    uint64_t ca = sm_ctx_addr(u, rid, false);
    if (ca == MEM_PHYS_NONE)
        return MEM_PHYS_NONE;
    uint64_t ce = mem_phys_read_u64(u->pm, ca);
    unsigned pdts = (unsigned)((ce & VTD_SM_CTX_PDTS_MASK) >> VTD_SM_CTX_PDTS_SHIFT);
    if (!(ce & VTD_SM_CTX_P) || (pasid >> VTD_PASID_PDE_SHIFT) >= (128u << pdts))
        return MEM_PHYS_NONE;
    uint64_t dea = (ce & VTD_SM_CTX_PASIDDIR) +
                   (uint64_t)(pasid >> VTD_PASID_PDE_SHIFT) * VTD_PASID_DIR_ENTRY_BYTES;
    uint64_t de = mem_phys_read_u64(u->pm, dea);
    if (!(de & VTD_PASID_DIR_P)) {
        uint64_t table = create ? mem_phys_arena_alloc_page(&u->arena, u->pm) : MEM_PHYS_NONE;
        if (table == MEM_PHYS_NONE)
            return MEM_PHYS_NONE;
        de = table | VTD_PASID_DIR_P;
        iommu_cpu_store_u64(u, dea, de);
    }
    return (de & VTD_PASID_DIR_TABLE) +
           (uint64_t)(pasid % VTD_PASID_TABLE_ENTRIES) * VTD_PASID_ENTRY_BYTES;
}

int iommu_pasid_set(iommu *u, uint16_t rid, uint32_t pasid, const iommu_pasid_setup *s,
                    sim_err *e)
{
    bool sl = s->pgtt == IOMMU_PGTT_SL || s->pgtt == IOMMU_PGTT_NESTED;
    bool fl = s->pgtt == IOMMU_PGTT_FL || s->pgtt == IOMMU_PGTT_NESTED;
    if (s->pgtt < IOMMU_PGTT_FL || s->pgtt > IOMMU_PGTT_PT || (sl && !s->sl) || (fl && !s->fl))
        return sim_err_set(e, "PASID %u of %04x: translation type %d without its tables",
                           pasid, rid, (int)s->pgtt);
    /* A nested entry's first level lives in the guest-physical space its second level
     * maps; a first-level-only entry's in host physical space. */
    if (fl && (s->pgtt == IOMMU_PGTT_NESTED) != (s->fl->pt.s2 != NULL))
        return sim_err_set(e, "PASID %u of %04x: a nested entry needs a guest's first-level "
                              "table, a first-level entry a host one",
                           pasid, rid);
    if (s->pgtt == IOMMU_PGTT_NESTED && s->fl->pt.s2 != &s->sl->pt)
        return sim_err_set(e, "PASID %u of %04x: the first-level table is not built over "
                              "this second level",
                           pasid, rid);
    uint64_t pa = u->sm ? pe_addr(u, rid, pasid, true) : MEM_PHYS_NONE;
    if (pa == MEM_PHYS_NONE)
        return sim_err_set(e, "PASID %u of %04x: no PASID table covers it (scalable mode, "
                              "iommu_pasid_table_create) or table memory is exhausted",
                           pasid, rid);
    uint16_t did = s->did ? s->did : (s->sl ? s->sl->did : 0);
    uint64_t v0 = VTD_PE_P | (s->fpd ? VTD_PE_FPD : 0) | (uint64_t)s->pgtt << VTD_PE_PGTT_SHIFT;
    if (sl)
        v0 |= s->sl->pt.root | (uint64_t)(s->sl->pt.levels - 2) << VTD_PE_AW_SHIFT;
    uint64_t v2 = fl ? s->fl->pt.root | (s->fl->pt.levels == 5 ? 1ull << VTD_PE_FLPM_SHIFT : 0) : 0;
    for (unsigned i = 7; i >= 3; i--)
        iommu_cpu_store_u64(u, pa + 8 * i, 0);
    iommu_cpu_store_u64(u, pa + 16, v2);
    iommu_cpu_store_u64(u, pa + 8, did);
    iommu_cpu_store_u64(u, pa, v0); /* present last */
    return 0;
}

void iommu_pasid_clear(iommu *u, uint16_t rid, uint32_t pasid)
{
    uint64_t pa = pe_addr(u, rid, pasid, false);
    if (pa != MEM_PHYS_NONE)
        iommu_cpu_store_u64(u, pa, 0);
}

int iommu_sm_attach(iommu *u, uint16_t rid, iommu_pgtt pgtt, iommu_domain *d)
{
    /* Requests without PASID through RID_PASID 0 (Linux's IOMMU_NO_PASID). */
    uint64_t ca = sm_ctx_addr(u, rid, false);
    if ((ca == MEM_PHYS_NONE || !(mem_phys_read_u64(u->pm, ca) & VTD_SM_CTX_P)) &&
        iommu_pasid_table_create(u, rid, 1, 0) < 0)
        return -1;
    uint32_t rid_pasid =
        (uint32_t)(mem_phys_read_u64(u->pm, sm_ctx_addr(u, rid, false) + 8) & VTD_SM_CTX_RID_PASID_MASK);
    iommu_pasid_setup s = {.pgtt = pgtt, .sl = d};
    return iommu_pasid_set(u, rid, rid_pasid, &s, NULL);
}

void iommu_sm_detach(iommu *u, uint16_t rid)
{
    uint64_t ca = sm_ctx_addr(u, rid, false);
    if (ca != MEM_PHYS_NONE)
        iommu_cpu_store_u64(u, ca, 0);
}

/* ---- first-level tables -------------------------------------------------------------- */

iommu_fltable *iommu_fltable_create(iommu *u, unsigned levels, const iommu_domain *s2,
                                    uint64_t gpa_base, uint64_t gpa_bytes)
{
    if (levels != 4 && levels != 5)
        return NULL;
    iommu_fltable *f = sim_xcalloc(1, sizeof *f);
    f->u = u;
    mem_phys_arena *arena = &u->arena;
    if (s2) {
        mem_phys_arena_init(&f->guest_arena, gpa_base, gpa_bytes);
        arena = &f->guest_arena;
    }
    if (iommu_pgtable_init_fl(&f->pt, u->pm, u->mem, arena, s2 ? &s2->pt : NULL, levels) < 0) {
        free(f);
        return NULL;
    }
    u->fltables = sim_xrealloc(u->fltables, (u->n_fltables + 1) * sizeof *u->fltables);
    u->fltables[u->n_fltables++] = f;
    return f;
}

uint64_t iommu_fltable_root(const iommu_fltable *f) { return f->pt.root; }

/* ---- the context entry and the PASID cache ------------------------------------------- */

/* rid's scalable-mode context entry (context cache, else the root and context entry
 * reads), as QEMU's vtd_dev_to_context_entry reads it in scalable mode. */
static int sm_context(iommu *u, uint16_t rid, uint64_t *t, iommu_ctx_entry *out, uint8_t *reason)
{
    if (iommu_ctx_lookup(u, rid, out))
        return 0;
    uint64_t ra = u->root_table + (uint64_t)(rid >> 8) * VTD_ROOT_ENTRY_BYTES;
    *t = mem_read(u->mem, *t, ra, VTD_ROOT_ENTRY_BYTES);
    u->ctx_reads++;
    uint64_t half = mem_phys_read_u64(u->pm, ra + ((uint8_t)rid >= VTD_SM_CTX_DEVFNS ? 8 : 0));
    if (!(half & VTD_ROOT_ENTRY_P)) {
        *reason = VTD_FR_SM_ROOT_ENTRY_P;
        return -1;
    }
    if ((half & VTD_ROOT_ENTRY_RSVD_LO) || (half & VTD_ROOT_ENTRY_CTP) >= IOMMU_HAW_LIMIT) {
        *reason = VTD_FR_SM_ROOT_ENTRY_RSVD;
        return -1;
    }
    uint64_t ca = (half & VTD_ROOT_ENTRY_CTP) +
                  (uint64_t)((uint8_t)rid % VTD_SM_CTX_DEVFNS) * VTD_SM_CTX_ENTRY_BYTES;
    *t = mem_read(u->mem, *t, ca, VTD_SM_CTX_ENTRY_BYTES);
    u->ctx_reads++;
    uint64_t v0 = mem_phys_read_u64(u->pm, ca), v1 = mem_phys_read_u64(u->pm, ca + 8);
    if (!(v0 & VTD_SM_CTX_P)) {
        *reason = VTD_FR_SM_CTX_ENTRY_P;
        return -1;
    }
    if ((v0 & VTD_SM_CTX_RSVD0) || (v1 & VTD_SM_CTX_RSVD1) ||
        (v0 & VTD_SM_CTX_PASIDDIR) >= IOMMU_HAW_LIMIT) {
        *reason = VTD_FR_SM_CTX_ENTRY_RSVD;
        return -1;
    }
    *out = (iommu_ctx_entry){
        .slptptr = v0 & VTD_SM_CTX_PASIDDIR,
        .rid_pasid = (uint32_t)(v1 & VTD_SM_CTX_RID_PASID_MASK),
        .rid = rid,
        .fpd = (v0 & VTD_SM_CTX_FPD) != 0,
        .pdts = (uint8_t)((v0 & VTD_SM_CTX_PDTS_MASK) >> VTD_SM_CTX_PDTS_SHIFT),
        .paside = (v0 & VTD_SM_CTX_PASIDE) != 0,
        .valid = 1,
    };
    iommu_ctx_fill(u, out);
    return 0;
}

/* The PASID entry of (rid, pasid) under context c: the PASID cache, else the directory
 * entry and the 64-byte PASID entry (one read each), as QEMU's
 * vtd_get_pe_from_pasid_table does. The PASID is within c's directory (checked). */
static int pasid_entry(iommu *u, const iommu_ctx_entry *c, uint32_t pasid, uint64_t *t,
                       iommu_pasid_cached *out, uint8_t *reason)
{
    uint32_t n = u->cfg.pasid_cache_entries;
    for (uint32_t i = 0; i < n; i++) {
        iommu_pasid_cached *x = &u->pc[i];
        if (x->valid && x->rid == c->rid && x->pasid == pasid) {
            x->last_use = ++u->pc_tick;
            u->pasid_hits++;
            *out = *x;
            return 0;
        }
    }
    u->pasid_misses++;
    uint64_t dea = c->slptptr + (uint64_t)(pasid >> VTD_PASID_PDE_SHIFT) * VTD_PASID_DIR_ENTRY_BYTES;
    *t = mem_read(u->mem, *t, dea, VTD_PASID_DIR_ENTRY_BYTES);
    u->pasid_reads++;
    uint64_t de = mem_phys_read_u64(u->pm, dea);
    if (!(de & VTD_PASID_DIR_P)) {
        *reason = VTD_FR_SM_PDE_P;
        return -1;
    }
    if ((de & 0xFFCull) || (de & VTD_PASID_DIR_TABLE) >= IOMMU_HAW_LIMIT) {
        *reason = VTD_FR_SM_PDE_RSVD;
        return -1;
    }
    uint64_t pea = (de & VTD_PASID_DIR_TABLE) +
                   (uint64_t)(pasid % VTD_PASID_TABLE_ENTRIES) * VTD_PASID_ENTRY_BYTES;
    *t = mem_read(u->mem, *t, pea, VTD_PASID_ENTRY_BYTES);
    u->pasid_reads++;
    uint64_t v0 = mem_phys_read_u64(u->pm, pea), v1 = mem_phys_read_u64(u->pm, pea + 8),
             v2 = mem_phys_read_u64(u->pm, pea + 16);
    if (!(v0 & VTD_PE_P)) {
        *reason = VTD_FR_SM_PE_P;
        return -1;
    }
    iommu_pasid_cached p = {
        .slptptr = v0 & VTD_PE_SLPTPTR,
        .flptptr = v2 & VTD_PE_FLPTPTR,
        .pasid = pasid,
        .rid = c->rid,
        .did = (uint16_t)(v1 & VTD_PE_DID_MASK),
        .pgtt = (uint8_t)((v0 & VTD_PE_PGTT_MASK) >> VTD_PE_PGTT_SHIFT),
        .sl_levels = (uint8_t)(((v0 & VTD_PE_AW_MASK) >> VTD_PE_AW_SHIFT) + 2),
        .fl_levels = (uint8_t)(4 + ((v2 & VTD_PE_FLPM_MASK) >> VTD_PE_FLPM_SHIFT)),
        .fpd = (v0 & VTD_PE_FPD) || (de & VTD_PASID_DIR_FPD),
        .valid = 1,
    };
    /* pasid_pte_get_pgtt's four types; the table widths the hardware walks (QEMU's
     * vtd_pe_type_check, vtd_is_fl_level_supported). */
    bool sl = p.pgtt == VTD_PGTT_SL || p.pgtt == VTD_PGTT_NESTED;
    bool fl = p.pgtt == VTD_PGTT_FL || p.pgtt == VTD_PGTT_NESTED;
    if (p.pgtt < VTD_PGTT_FL || p.pgtt > VTD_PGTT_PT ||
        (sl && (p.sl_levels < 3 || p.sl_levels > IOMMU_MAX_LEVELS || p.slptptr >= IOMMU_HAW_LIMIT)) ||
        (fl && (p.fl_levels > 5 || p.flptptr >= IOMMU_HAW_LIMIT))) {
        *reason = VTD_FR_SM_PE_INV;
        return -1;
    }
    if (n) {
        iommu_pasid_cached *victim = &u->pc[0];
        for (uint32_t i = 1; i < n && victim->valid; i++)
            if (!u->pc[i].valid || u->pc[i].last_use < victim->last_use)
                victim = &u->pc[i];
        *victim = p;
        victim->last_use = ++u->pc_tick;
    }
    *out = p;
    return 0;
}

uint32_t iommu_pasid_cache_invalidate(iommu *u, unsigned g, uint16_t did, uint32_t pasid)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < u->cfg.pasid_cache_entries; i++) {
        iommu_pasid_cached *x = &u->pc[i];
        if (x->valid && (g == VTD_PC_G_GLOBAL || (g == VTD_PC_G_DOMAIN && x->did == did) ||
                         (g == VTD_PC_G_PASID && x->did == did && x->pasid == pasid))) {
            x->valid = 0;
            n++;
        }
    }
    return n;
}

/* ---- the first-level and nested walk --------------------------------------------------- */

/* A second-level translation inside a nested walk (of a first-level table's address or
 * of the final guest-physical address): the second-level paging-structure caches, then
 * one read per level left, from *cur; no IOTLB. 0, or the walk's reason. */
static uint8_t nested_sl(iommu *u, const iommu_ctx_entry *s2, uint64_t *cur, uint64_t gpa,
                         uint64_t *hpa, unsigned *shift, unsigned *perms)
{
    unsigned width = level_shift(s2->levels) + 9;
    if (width < 64 && gpa >= 1ull << width)
        return VTD_FR_SM_ADDR_BEYOND;
    iommu_walk_result r = {0};
    iommu_sl_descend(u, s2, cur, gpa, &r);
    if (r.reason)
        return r.reason;
    *hpa = r.frame | (gpa & ((1ull << r.shift) - 1));
    *shift = r.shift;
    *perms = r.perms;
    return 0;
}

/* Whether a first-level entry is malformed: a large page where the x86 format has
 * none, or address bits below a large page's size. */
static bool fl_reserved(const iommu *u, uint64_t e, unsigned level)
{
    bool large = (e & VTD_FL_PS) && level > 1;
    return large && (level > 3 || (level == 3 && !u->cfg.superpage_1g) ||
                     (e & VTD_FL_ADDR_MASK & ((1ull << level_shift(level)) - 1)));
}

/* The walk of a first-level-only or nested PASID entry (arg), an iommu_walk_fn; QEMU's
 * vtd_iova_to_flpte, with each table address and the output translated through the
 * second level when nested. A function over ~80 lines: the walk is one loop whose
 * steps share the walker's clock. */
static void walk_fl(iommu *u, const void *arg, uint64_t t, uint64_t addr, iommu_walk_result *r)
{
    const iommu_pasid_cached *pe = arg;
    bool nested = pe->pgtt == VTD_PGTT_NESTED;
    iommu_ctx_entry s2 = {.slptptr = pe->slptptr, .did = pe->did, .levels = pe->sl_levels};
    uint64_t start, cur;
    uint32_t w = iommu_walker_take(u, t, &start);
    cur = start;
    if (nested)
        u->nested_walks++;
    else
        u->fl_walks++;
    unsigned level = pe->fl_levels, perms = VTD_SL_R | VTD_SL_W, s2_shift, s2_perms;
    uint64_t table = pe->flptptr;
    bool cached = false;
    for (unsigned l = 2; l <= pe->fl_levels; l++) {
        iommu_tlb_entry *c = iommu_tlb_lookup_pasid(u->flpwc[l], pe->did, pe->pasid, addr,
                                                    level_shift(l));
        if (c) {
            cur = c->ready_ps > cur ? c->ready_ps : cur;
            table = c->value; /* host address: a nested entry's was translated on fill */
            perms = c->perms;
            level = l - 1;
            cached = true;
            u->flpwc_hits++;
            break;
        }
    }
    r->reason = 0;
    if (nested && !cached &&
        (nested_sl(u, &s2, &cur, table, &table, &s2_shift, &s2_perms) || !(s2_perms & VTD_SL_R)))
        r->reason = VTD_FR_SM_NESTED_FL_ROOT;
    for (; !r->reason; level--) {
        uint64_t ea = table + (uint64_t)iommu_pgtable_index(addr, level) * VTD_SL_PTE_BYTES;
        cur = mem_read(u->mem, cur, ea, VTD_SL_PTE_BYTES) + u->cfg.walk_level_ps;
        u->walk_reads++;
        uint64_t e = mem_phys_read_u64(u->pm, ea);
        if (!(e & VTD_FL_P)) {
            r->reason = IOMMU_WALK_NOT_PRESENT;
            break;
        }
        if (!(e & VTD_FL_US)) { /* requests are user requests: supervisor ones are not modelled */
            r->reason = VTD_FR_SM_FL_US;
            break;
        }
        if (fl_reserved(u, e, level)) {
            r->reason = VTD_FR_SM_FL_RSVD;
            break;
        }
        perms &= VTD_SL_R | (e & VTD_FL_RW ? (unsigned)VTD_SL_W : 0);
        unsigned shift = level_shift(level);
        if (level == 1 || (e & VTD_FL_PS)) {
            uint64_t out = (e & VTD_FL_ADDR_MASK & ~((1ull << shift) - 1)) |
                           (addr & ((1ull << shift) - 1));
            if (nested) {
                /* The guest-physical output through the second level: the combined page
                 * is the smaller of the two, its rights what both allow. */
                uint8_t f = nested_sl(u, &s2, &cur, out, &out, &s2_shift, &s2_perms);
                if (f) {
                    r->reason = f == IOMMU_WALK_NOT_PRESENT ? VTD_FR_SM_SL_PERM
                              : f == VTD_FR_PAGING_ENTRY_RSVD ? VTD_FR_SM_SL_RSVD : f;
                    break;
                }
                shift = s2_shift < shift ? s2_shift : shift;
                perms &= s2_perms;
            }
            r->frame = out & ~((1ull << shift) - 1);
            r->shift = shift;
            r->perms = perms;
            break;
        }
        uint64_t next = e & VTD_FL_ADDR_MASK;
        if (nested &&
            (nested_sl(u, &s2, &cur, next, &next, &s2_shift, &s2_perms) || !(s2_perms & VTD_SL_R))) {
            r->reason = VTD_FR_SM_NESTED_FL_READ;
            break;
        }
        iommu_tlb_entry ce = {.vpn = addr >> shift, .value = next, .ready_ps = cur, .did = pe->did,
                              .pasid = pe->pasid, .shift = (uint8_t)shift, .perms = (uint8_t)perms};
        iommu_tlb_insert(u->flpwc[level], &ce);
        table = next;
    }
    iommu_walker_done(u, w, t, start, &cur);
    r->done_ps = cur;
}

/* ---- translation --------------------------------------------------------------------- */

/* Faults found by iommu_remap's own checks: second-level-only and first-level entries. */
static const iommu_fault_codes sl_codes = {
    .beyond = VTD_FR_SM_ADDR_BEYOND, .not_present_read = VTD_FR_SM_SL_PERM,
    .not_present_write = VTD_FR_SM_SL_PERM, .read = VTD_FR_SM_READ, .write = VTD_FR_SM_WRITE};
static const iommu_fault_codes fl_codes = {
    .beyond = VTD_FR_SM_NON_CANONICAL, .not_present_read = VTD_FR_SM_FL_P,
    .not_present_write = VTD_FR_SM_FL_P, .read = VTD_FR_SM_READ, .write = VTD_FR_SM_WRITE};

/* Whether [addr, addr + len) is canonical for a first-level table of `levels` levels:
 * the bits above the top one all equal it, at both ends. */
static bool canonical(uint64_t addr, uint32_t len, unsigned levels)
{
    unsigned top = level_shift(levels) + 8;
    uint64_t last = addr + (len ? len - 1 : 0);
    uint64_t a = addr >> top, b = last >> top, ones = UINT64_MAX >> top;
    return last >= addr && (a == 0 || a == ones) && a == b;
}

/* Resolves (rid, pasid) to its PASID entry at *t: 0, or a fault reason with *fpd. */
static uint8_t resolve(iommu *u, uint16_t rid, uint32_t pasid, uint64_t *t,
                       iommu_pasid_cached *pe, bool *fpd)
{
    iommu_ctx_entry c;
    uint8_t reason = 0;
    *fpd = false;
    if (sm_context(u, rid, t, &c, &reason) < 0)
        return reason;
    *fpd = c.fpd;
    uint32_t p = pasid == IOMMU_NO_PASID ? c.rid_pasid : pasid;
    if (pasid != IOMMU_NO_PASID && !c.paside)
        return VTD_FR_SM_CTX_PASIDE;
    if (p >= VTD_PASID_MAX || (p >> VTD_PASID_PDE_SHIFT) >= (128u << c.pdts))
        return VTD_FR_SM_CTX_PASID_MAX;
    if (pasid_entry(u, &c, p, t, pe, &reason) < 0)
        return reason;
    *fpd = c.fpd || pe->fpd;
    return 0;
}

int iommu_sm_translate(iommu *u, uint16_t rid, uint32_t pasid, uint64_t addr, uint32_t len,
                       bool write, uint64_t *t_ps, uint64_t *hpa)
{
    u->translations++;
    iommu_pasid_cached pe;
    bool fpd;
    uint8_t reason = resolve(u, rid, pasid, t_ps, &pe, &fpd);
    if (!reason && pe.pgtt == VTD_PGTT_PT) {
        *hpa = addr;
        return 0;
    }
    if (!reason) {
        iommu_ctx_entry sl = {.slptptr = pe.slptptr, .did = pe.did, .levels = pe.sl_levels};
        iommu_remap_how how = {.did = pe.did, .pasid = pe.pasid, .width = 64};
        if (pe.pgtt == VTD_PGTT_SL) {
            how.width = level_shift(pe.sl_levels) + 9;
            how.walk = iommu_walk_sl;
            how.arg = &sl;
            how.codes = &sl_codes;
        } else {
            how.walk = walk_fl;
            how.arg = &pe;
            how.codes = &fl_codes;
        }
        unsigned shift, perms;
        if (pe.pgtt != VTD_PGTT_SL && !canonical(addr, len, pe.fl_levels))
            reason = VTD_FR_SM_NON_CANONICAL;
        else
            reason = iommu_remap(u, &how, addr, len, write, t_ps, hpa, &shift, &perms);
        if (reason == VTD_FR_PAGING_ENTRY_RSVD) /* the shared second-level walk's reason */
            reason = VTD_FR_SM_SL_RSVD;
    }
    if (!reason)
        return 0;
    if (fpd)
        u->faults_total++;
    else if (pasid == IOMMU_NO_PASID)
        iommu_record_fault(u, rid, addr, reason, write, false, *t_ps);
    else
        iommu_record_fault_pasid(u, rid, pasid, addr, reason, write, *t_ps);
    return -1;
}
