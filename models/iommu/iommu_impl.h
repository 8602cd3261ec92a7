/* Private to models/iommu: the IOMMU's state, shared by iommu.c (creation, domains,
 * context cache, page walks, translation, ATS, peer-to-peer), pasid.c (scalable mode:
 * PASID tables, first-level and nested walks), irq_remap.c (interrupt remapping), qi.c
 * (queued invalidation) and regfile.c (the registers, fault recording). Sizes are read
 * from cfg, never copied. */
#ifndef MODELS_IOMMU_IOMMU_IMPL_H
#define MODELS_IOMMU_IOMMU_IMPL_H

#include "models/iommu/iommu.h"
#include "models/iommu/iommu_regs.h"
#include "models/iommu/iotlb.h"
#include "models/iommu/irq_remap.h"
#include "models/iommu/pgtable.h"

#define IOMMU_MAX_LEVELS 5

/* Host addresses the IOMMU takes from its registers and from tables in memory are at
 * most MEM_PHYS_ADDR_BITS wide (its host address width, HAW): higher bits are reserved.
 * Register fields drop them; an entry that sets them is refused with a reserved-field
 * fault, as the hardware does, rather than reaching past the memory model. */
#define IOMMU_HAW_LIMIT (1ull << MEM_PHYS_ADDR_BITS)

struct iommu_domain {
    iommu *u;
    uint16_t did;
    iommu_pgtable pt;
};

/* A cached context entry (the context cache). In scalable mode slptptr is the PASID
 * directory's address. */
typedef struct iommu_ctx_entry {
    uint64_t slptptr;
    uint64_t last_use;
    uint32_t rid_pasid;   /* scalable mode */
    uint16_t rid, did;
    uint8_t tt, levels, valid, fpd;
    uint8_t pdts, paside; /* scalable mode */
} iommu_ctx_entry;

/* A cached PASID entry (the PASID cache, scalable mode), by (rid, pasid). */
typedef struct iommu_pasid_cached {
    uint64_t slptptr, flptptr;
    uint64_t last_use;
    uint32_t pasid;
    uint16_t rid, did;
    uint8_t pgtt, sl_levels, fl_levels, fpd, valid;
} iommu_pasid_cached;

struct iommu_fltable {
    iommu *u;
    mem_phys_arena guest_arena; /* a guest's table: its pages' guest-physical window */
    iommu_pgtable pt;           /* first-level format */
};

typedef struct iommu_ats_dev {
    uint16_t rid;
    pcie_link *link;
    uint64_t rc_latency_ps;
} iommu_ats_dev;

typedef struct iommu_peer_bar {
    uint64_t base, bytes;
} iommu_peer_bar;

/* A cached interrupt remapping table entry (the interrupt entry cache). */
typedef struct iommu_iec_entry {
    uint64_t lo, hi;
    uint64_t last_use;
    uint32_t index;
    uint8_t valid;
} iommu_iec_entry;

struct iommu {
    mem *mem;
    mem_phys *pm;
    sim_timeline *tl;        /* trace.timeline, NULL when off */
    unsigned tl_walker0;     /* walker 0's track; walker i's is tl_walker0 + i */
    mem_phys_arena arena; /* the driver's structures */
    uint64_t root_table;

    /* caches */
    iommu_ctx_entry *ctx;
    uint64_t ctx_tick;
    /* The context-cache entry of the latest hit or fill, tried before the search: a
     * DMA's requests come from one requester in a row, and a valid entry with the rid
     * is the one the search would find (a rid has at most one: entries are only added
     * after a miss). Only a hint, checked against the entry on every use. */
    uint32_t ctx_last;
    iommu_tlb *iotlb;
    iommu_tlb *pwc[IOMMU_MAX_LEVELS + 1]; /* by level 2..5: the entries of that level */
    iommu_tlb *devtlb;
    /* scalable mode: the PASID cache and the first-level paging-structure caches (by
     * level, tagged by domain and PASID) */
    bool sm;                 /* RTADDR.TTM = scalable, latched by SRTP */
    iommu_pasid_cached *pc;
    uint64_t pc_tick;
    iommu_tlb *flpwc[IOMMU_MAX_LEVELS + 1];
    iommu_fltable **fltables;
    size_t n_fltables;

    /* page walkers: busy-until per walker */
    uint64_t *walker_busy_ps;

    /* domains by id, found by linear search (few domains) */
    iommu_domain **domains;
    size_t n_domains, cap_domains;

    /* ATS devices and peer BARs */
    iommu_ats_dev *ats;
    size_t n_ats;
    iommu_peer_bar *peers;
    size_t n_peers;
    bool acs_redirect;

    /* the register file (regfile.c): its bytes, and what the hardware latched from them */
    uint8_t *regs;
    uint32_t reg_bytes;
    uint8_t *reg_row; /* by offset / 4: 1 + the row of regfile.c's table holding it; 0 none */
    iommu_reg_counters reg_counts;
    bool te;              /* GSTS.TES: requests are translated */
    bool ire;             /* GSTS.IRES: MSIs are remapped through the latched table */

    iommu_qi_driver qi_driver; /* the driver's, not the hardware's (iommu.h) */

    /* faults: recorded in the fault recording registers, the next at frcd_next */
    uint32_t frcd_next;
    uint64_t *fault_t_ps;     /* when each register's fault was recorded */
    iommu_fault *fault_view;  /* each register decoded, for iommu_fault_get */

    /* interrupt remapping: the table as GCMD.SIRTP latched it from IRTA_REG (in use
     * while ire is set; a later IRTA write takes effect at the next SIRTP) */
    uint64_t irt_base;
    uint32_t irt_entries;
    bool irq_compat_allowed;
    iommu_iec_entry *iec;
    uint64_t iec_tick;
    iommu_irq_fn irq_fn;
    void *irq_ctx;

    iommu_cfg cfg; /* sizes and timing (ps) */

    /* stats */
    uint64_t translations, iotlb_hits, iotlb_misses, walks, walks_merged, walks_write, walk_reads,
        walk_queue_ps, pwc_hits, ctx_hits, ctx_misses, ctx_reads, faults_total,
        fault_overflows, invalidations, inv_descs, inv_iotlb, inv_ctx, inv_devtlb, inv_iec,
        inv_entries_dropped, cpu_cycles, ats_requests, ats_hits, p2p_redirected, p2p_blocked,
        irq_remaps, irq_posted, irq_notifications, irq_blocked, irq_compat, iec_hits,
        iec_misses, qi_submits, qi_submit_cycles;
    /* scalable mode (registered only then) */
    uint64_t pasid_hits, pasid_misses, pasid_reads, fl_walks, nested_walks, flpwc_hits,
        inv_piotlb, inv_pasid_cache;
    sim_hist *walk_latency;
};

/* The fault recording registers' offset (CAP.FRO x 16), after the architected
 * registers. */
#define IOMMU_FRCD_OFF 0x400u

/* ---- iommu.c, shared with pasid.c ---- */
/* A store by the driver's CPU to a table entry (brought into the LLC). */
void iommu_cpu_store_u64(iommu *u, uint64_t addr, uint64_t v);
/* The context cache: a hit fills *out (counted, LRU updated); a fill after a miss.
 * Inline: every translation asks it. */
static inline bool iommu_ctx_lookup(iommu *u, uint16_t rid, iommu_ctx_entry *out)
{
    uint32_t n = u->cfg.ctx_entries, at = u->ctx_last;
    if (at >= n || !u->ctx[at].valid || u->ctx[at].rid != rid)
        for (at = 0; at < n && !(u->ctx[at].valid && u->ctx[at].rid == rid); at++)
            ;
    if (at < n) {
        iommu_ctx_entry *c = &u->ctx[at];
        c->last_use = ++u->ctx_tick;
        u->ctx_hits++;
        u->ctx_last = at;
        *out = *c;
        return true;
    }
    u->ctx_misses++;
    return false;
}
void iommu_ctx_fill(iommu *u, const iommu_ctx_entry *c);

/* What a walk found. */
typedef struct iommu_walk_result {
    uint64_t frame;  /* host address of the page */
    unsigned shift;  /* page size */
    unsigned perms;  /* VTD_SL_R | VTD_SL_W */
    uint64_t done_ps;
    uint8_t reason;  /* 0: translated; IOMMU_WALK_NOT_PRESENT; else a fault reason */
} iommu_walk_result;
/* A leaf or table entry with neither R nor W (second level) or P clear (first level):
 * the request's kind picks the reason. */
#define IOMMU_WALK_NOT_PRESENT 0xFFu

/* The walker that frees first, taken at t: returns it, with *start when it begins
 * (queueing counted); iommu_walker_done ends the walk at *cur (adding the fixed part,
 * the timeline slice and the latency sample). */
uint32_t iommu_walker_take(iommu *u, uint64_t t, uint64_t *start);
void iommu_walker_done(iommu *u, uint32_t w, uint64_t t, uint64_t start, uint64_t *cur);
/* The second-level part of a walk of context c (slptptr, levels, did) from *cur: the
 * paging-structure caches, then one read per level left; *cur advances. */
void iommu_sl_descend(iommu *u, const iommu_ctx_entry *c, uint64_t *cur, uint64_t iova,
                      iommu_walk_result *r);

typedef void (*iommu_walk_fn)(iommu *u, const void *arg, uint64_t t, uint64_t addr,
                              iommu_walk_result *r);
/* A second-level walk (arg: the iommu_ctx_entry) on a walker: an iommu_walk_fn. */
void iommu_walk_sl(iommu *u, const void *arg, uint64_t t, uint64_t iova, iommu_walk_result *r);

/* How one request is remapped: the IOTLB tag, the width check, the walk on a miss and
 * the reasons for faults found outside the walk. */
typedef struct iommu_fault_codes {
    uint8_t beyond, not_present_read, not_present_write, read, write;
} iommu_fault_codes;
typedef struct iommu_remap_how {
    uint32_t did, pasid;
    unsigned width; /* input address bits; 64: no check */
    iommu_walk_fn walk;
    const void *arg;
    const iommu_fault_codes *codes;
} iommu_remap_how;
static inline uint8_t iommu_rights_fault(const iommu_fault_codes *codes, unsigned perms, bool write)
{
    if (write && !(perms & VTD_SL_W))
        return codes->write;
    if (!write && !(perms & VTD_SL_R))
        return codes->read;
    return 0;
}

/* Remapping of one request: 0 with *hpa and the IOTLB entry's page, or a fault
 * reason. */
static inline uint8_t iommu_remap(iommu *u, const iommu_remap_how *h, uint64_t addr, uint32_t len, bool write,
                    uint64_t *t, uint64_t *hpa, unsigned *shift, unsigned *perms)
{
    unsigned width = h->width;
    const iommu_fault_codes *codes = h->codes;
    /* (Differences, not addr + len: a request at the top of the 64-bit space must not
     * wrap to a low address and pass.) */
    if (width < 64 && (addr >= (1ull << width) || (len && len - 1 >= (1ull << width) - addr)))
        return codes->beyond;
    *t += u->cfg.iotlb_hit_ps;
    iommu_tlb_entry *e = iommu_tlb_lookup_page_pasid(u->iotlb, h->did, h->pasid, addr);
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
        u->walks_write += write;
        iommu_walk_result r = {0}; /* what the caller reads, walk sets */
        h->walk(u, h->arg, *t, addr, &r);
        *t = r.done_ps;
        if (r.reason == IOMMU_WALK_NOT_PRESENT)
            return write ? codes->not_present_write : codes->not_present_read;
        if (r.reason)
            return r.reason;
        iommu_tlb_entry ne = {.vpn = addr >> r.shift, .value = r.frame, .ready_ps = r.done_ps,
                              .did = h->did, .pasid = h->pasid, .shift = (uint8_t)r.shift,
                              .perms = (uint8_t)r.perms};
        iommu_tlb_insert(u->iotlb, &ne);
        e = iommu_tlb_lookup_pasid(u->iotlb, h->did, h->pasid, addr, r.shift);
        if (!e) { /* no IOTLB: use the walk's answer directly */
            uint8_t f = iommu_rights_fault(codes, r.perms, write);
            if (f)
                return f;
            *hpa = r.frame | (addr & ((1ull << r.shift) - 1));
            *shift = r.shift;
            *perms = r.perms;
            return 0;
        }
    }
    uint8_t f = iommu_rights_fault(codes, e->perms, write);
    if (f)
        return f;
    *hpa = e->value | (addr & ((1ull << e->shift) - 1));
    *shift = e->shift;
    *perms = e->perms;
    return 0;
}

/* ---- pasid.c ---- */
/* Scalable-mode translation (iommu_translate's when u->sm). */
int iommu_sm_translate(iommu *u, uint16_t rid, uint32_t pasid, uint64_t addr, uint32_t len,
                       bool write, uint64_t *t_ps, uint64_t *hpa);
void iommu_sm_create(iommu *u, sim_stats *stats);
void iommu_sm_destroy(iommu *u);
/* Scalable-mode iommu_attach / _passthrough / iommu_detach. */
int iommu_sm_attach(iommu *u, uint16_t rid, iommu_pgtt pgtt, iommu_domain *d);
void iommu_sm_detach(iommu *u, uint16_t rid);
/* PASID-cache invalidation (granularity VTD_PC_G_*); returns the entries dropped. */
uint32_t iommu_pasid_cache_invalidate(iommu *u, unsigned g, uint16_t did, uint32_t pasid);

/* ---- regfile.c ---- */
/* Sets the read-only registers (VER, CAP, ECAP) and the reset values. */
void iommu_regs_init(iommu *u);
/* The hardware's own access to its registers: raw, no masks, counters or handlers. */
uint64_t iommu_reg_get(const iommu *u, uint32_t off, unsigned size);
void iommu_reg_set(iommu *u, uint32_t off, unsigned size, uint64_t val);
/* What software does to GCMD to set a command or enable: writes the enables it keeps
 * (as GSTS reports them) with `set` added. */
void iommu_gcmd(iommu *u, uint32_t set);
/* Logs a fault in the next fault recording register, or counts it as overflow. */
void iommu_record_fault(iommu *u, uint16_t rid, uint64_t addr, uint8_t reason, bool write,
                        bool interrupt, uint64_t t_ps);
/* The same for a request with a PASID (FRCD.PP and PV). */
void iommu_record_fault_pasid(iommu *u, uint16_t rid, uint32_t pasid, uint64_t addr,
                              uint8_t reason, bool write, uint64_t t_ps);

/* ---- qi.c ---- */
/* The tail register was written at t: fetches and executes the descriptors from IQH
 * to IQT; returns when the last is done (IQE set in FSTS on a bad tail or descriptor). */
uint64_t iommu_qi_fetch(iommu *u, uint64_t t);

/* Interrupt-entry-cache invalidation (irq_remap.c), called by the queue. */
uint32_t iommu_iec_invalidate(iommu *u, bool global, uint32_t index);
/* The device whose ATS requests the IOMMU answers (iommu.c), NULL if none. */
iommu_ats_dev *iommu_ats_of(iommu *u, uint16_t rid);

#endif
