/* An Intel VT-d style IOMMU in the root complex: DMA remapping with real tables in
 * simulated host memory, caches with their own timing, queued invalidation, fault
 * recording, address translation services for a device-side cache, peer-to-peer
 * routing through translation, and interrupt remapping with posting (irq_remap.h).
 *
 * Translation. The root table (one 16-byte entry per bus) points to context tables
 * (one 16-byte entry per device/function) whose entry gives the domain id, the
 * translation type and the second-level table. A request's requester id selects the
 * context entry (context cache, else two memory reads), the IOTLB is searched by
 * (domain, page) at each page size present; on a miss a page walker reads one entry per
 * level through the memory model (mem_read: walks compete with DMA for DRAM and hit in
 * the LLC), skipping the levels a paging-structure cache holds. Walkers are a pool of
 * reservations (a miss takes the walker that frees first and queues behind it), and a
 * miss to a page whose walk is in flight waits for that walk (its IOTLB entry carries
 * the walk's completion time) instead of walking again.
 *
 * Timing style: iommu_rc_translate is the root complex's pcie_translate_fn; it returns
 * with the request's time advanced by what translation took. No event is scheduled.
 *
 * Faults. A request the tables do not allow (no context, address beyond the width,
 * not present, no permission, reserved bits) is blocked: the hook returns -1 (the root
 * complex answers Unsupported Request and touches no memory), a fault record with the
 * requester id, the address and the VT-d reason code (iommu_regs.h) is logged in the
 * fault recording registers until software clears them, and counted.
 *
 * Registers. Software programs the IOMMU through its register file (below): the root
 * table, translation enable, the invalidation queue whose tail register is the
 * doorbell, the fault recording registers it reads and releases.
 *
 * Scalable mode (iommu.scalable; the section below): the root table points to
 * scalable-mode context tables, a context entry to a PASID directory and tables, and a
 * request is translated by (requester id, PASID) through first-level, second-level,
 * nested or pass-through tables; without it (the default) everything above holds
 * unchanged.
 *
 * Hardware only: the model says what the IOMMU does and when. What the software that
 * drives it costs (writing tables and descriptors, spinning on a wait, IOVAs) is
 * counted at the host's clock by that software (host/dmaapi.h).
 *
 * The hardware's sizes and times are parameters (iommu.*, iommu_cfg), each with its
 * unit; defaults and sources are in workloads/platforms/xeon-e5v4-gen3x8.ini and
 * docs/iommu-model.md. */
#ifndef MODELS_IOMMU_IOMMU_H
#define MODELS_IOMMU_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/mem/mem.h"
#include "models/mem/physmem.h"
#include "models/pcie/link.h"
#include "sim/err.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef struct iommu iommu;
typedef struct iommu_domain iommu_domain;
typedef struct iommu_fltable iommu_fltable;

/* Access rights of a mapping (the R and W bits of a second-level entry). */
#define IOMMU_READ 0x1u
#define IOMMU_WRITE 0x2u

/* The iommu.* parameters of the hardware, as loaded (times in ps). */
typedef struct iommu_cfg {
    uint32_t levels; /* second-level table depth, 3..5 */
    uint32_t iotlb_entries, iotlb_ways, pwc_entries, ctx_entries, devtlb_entries, iec_entries;
    uint32_t walkers, fault_records;
    bool superpage_1g;
    uint32_t acs_p2p; /* 0 redirect, 1 block */
    bool irq_compat;
    uint64_t iotlb_hit_ps, walk_fixed_ps, walk_level_ps;
    uint64_t qi_doorbell_ps, inv_iotlb_ps, inv_ctx_ps, inv_iec_ps, inv_devtlb_ps;
    uint64_t irq_remap_ps;
    bool scalable;
    uint32_t pasid_cache_entries, fl_pwc_entries;
} iommu_cfg;

void iommu_register_params(sim_params *p);
void iommu_config(const sim_params *p, iommu_cfg *c);
/* Refuses what the hardware cannot be: ways that do not divide the entries, no page
 * walker. */
int iommu_check(const sim_params *p, sim_err *e);
/* The table level a leaf of page_bytes sits at: 1 (4 KiB), 2 (2 MiB), 3 (1 GiB), or 0
 * for a size that is not a VT-d page size. A c.levels-level table maps the sizes whose
 * level is at most c.levels, 1 GiB only with c.superpage_1g. */
unsigned iommu_page_level(uint64_t page_bytes);

/* The IOMMU driver's structures (root and context tables, page tables, invalidation
 * queue, interrupt remapping table) are allocated from [tables_base, + tables_bytes)
 * of host memory. Registers the iommu.* counters and the metrics iotlb_hit_rate,
 * iotlb_misses, walk_reads, walk_latency_ns_p50, iommu_faults, invalidations,
 * irq_remaps. */
iommu *iommu_create(const sim_params *p, sim_stats *stats, mem *m, mem_phys *pm,
                    uint64_t tables_base, uint64_t tables_bytes);
void iommu_destroy(iommu *u);
/* trace.timeline: every page walk from now on is a slice "walk" (from its walker being
 * free to the translation) on its walker's track, group "iommu". */
void iommu_set_timeline(iommu *u, sim_timeline *tl);

/* A request without a PASID from requester rid (ctx is the iommu). */
int iommu_translate(void *ctx, uint16_t rid, uint64_t addr, uint32_t len, bool write,
                    uint64_t *t_ps, uint64_t *hpa);
/* The root complex's translation hook (pcie_translate_fn; ctx is the iommu): a request
 * with the PASID it carries (PCIE_NO_PASID: none) goes to iommu_translate_pasid. */
int iommu_rc_translate(void *ctx, uint16_t rid, uint32_t pasid, uint64_t addr, uint32_t len,
                       bool write, uint64_t *t_ps, uint64_t *hpa);

/* Functional DMA through translation, for models that move real bytes (rings,
 * descriptors, packets): translates every page of [addr, addr + len) for requester
 * rid at t_ps and copies between buf and host memory. Returns 0 with *t_ps advanced by
 * the translations, or -1 when any page is blocked, in which case nothing was read or
 * written (the whole access is checked before a byte moves); a buffer running past
 * 2^64 is refused the same way, before any translation. */
int iommu_dma_access(iommu *u, uint16_t rid, uint64_t addr, void *buf, size_t len, bool write,
                     uint64_t *t_ps);

/* ---- Domains (the hypervisor's and the host DMA API's view) ---------------------- */

/* A domain with its own second-level table of iommu.levels levels. did is the VT-d
 * domain id (1..65535; 0 is reserved by caching mode software). NULL when the id is
 * taken or the table memory is exhausted. */
iommu_domain *iommu_domain_create(iommu *u, uint16_t did);
iommu_domain *iommu_domain_find(const iommu *u, uint16_t did);
uint16_t iommu_domain_id(const iommu_domain *d);
/* Physical address of the top-level table (the context entry's SLPTPTR). */
uint64_t iommu_domain_table(const iommu_domain *d);
/* Map [iova, iova + bytes) to host [hpa, ...) with pages of page_bytes (4 KiB, 2 MiB
 * or 1 GiB; addresses and size multiples of it), rights IOMMU_READ | IOMMU_WRITE.
 * A guest-physical range of a VM is mapped the same way (iova = guest physical).
 * Returns the number of table entries written (the CPU's work, which the host
 * charges), or -1 with *e set. Caches are not invalidated: a change to a present
 * mapping needs an invalidation through the queue (below) to be seen. */
int64_t iommu_domain_map(iommu_domain *d, uint64_t iova, uint64_t hpa, uint64_t bytes,
                         uint64_t page_bytes, unsigned rights, sim_err *e);
/* Clears the leaves of [iova, iova + bytes); returns how many. No invalidation. */
uint64_t iommu_domain_unmap(iommu_domain *d, uint64_t iova, uint64_t bytes);
/* Software look-up (no timing, no caches): 0 with the host address, -1 if unmapped. */
int iommu_domain_lookup(const iommu_domain *d, uint64_t iova, uint64_t *hpa, unsigned *rights,
                        uint64_t *page_bytes);

/* Point requester rid's context entry at a domain (translation type: untranslated
 * requests, or also translation requests when ATS is enabled for rid), or at
 * pass-through (host physical = device address). The context cache is not
 * invalidated: software does that when it changes a present entry. */
int iommu_attach(iommu *u, uint16_t rid, iommu_domain *d);
int iommu_attach_passthrough(iommu *u, uint16_t rid);
/* Clears the context entry: the function's requests fault (reason 2). */
void iommu_detach(iommu *u, uint16_t rid);

/* ---- Scalable mode (VT-d 3.x: iommu.scalable) ------------------------------------- *
 *
 * Tables. iommu_create sets RTADDR.TTM to scalable: a root entry's low half points to
 * the context table of devfn 0..127, its high half to that of 128..255, each of 32-byte
 * scalable-mode context entries, whose entry points to a PASID directory (8-byte entries,
 * one per 64 PASIDs) whose entries point to PASID tables of 64-byte PASID entries
 * (Linux pasid.h, struct pasid_entry). A PASID entry gives the domain id, the PGTT
 * (first-level, second-level, nested, pass-through), the second-level table (SLPTPTR,
 * AW) and the first-level table (FLPTPTR, FLPM: 4 or 5 levels, x86 format).
 *
 * Translation (modelled on QEMU's hw/i386/intel_iommu.c: vtd_ce_get_rid2pasid_entry,
 * vtd_get_pe_from_pasid_table, vtd_iova_to_flpte, vtd_iova_to_slpte). The context
 * entry comes from the context cache or two reads (root entry, context entry); the
 * PASID entry from the PASID cache (iommu.pasid_cache_entries, by requester id and
 * PASID) or two reads (directory entry, 64-byte PASID entry). A request without a PASID
 * uses the context entry's RID_PASID. The IOTLB is tagged by (domain id, PASID). On a
 * miss a walker walks:
 *   second-level  as in legacy mode (the second-level paging-structure caches, by domain);
 *   first-level   one read per level of the x86-format table at FLPTPTR, skipping the
 *                 levels the first-level paging-structure caches hold (by domain and PASID,
 *                 iommu.fl_pwc_entries per level);
 *   nested        the first-level walk in guest-physical space: every first-level table
 *                 address and the final guest-physical address are translated through the
 *                 second level (its paging-structure caches serve those walks), so a
 *                 4-level over 4-level walk reads up to 24 entries with cold caches; the
 *                 first-level caches hold host addresses of the next table, and the IOTLB
 *                 the combined translation (page size: the smaller of the two);
 *   pass-through  no walk: host physical = address.
 * Every read is a mem_read (walk_reads counts the paging entries, iommu.pasid_reads the
 * directory and PASID entries) costing iommu.walk_level_ns besides; a walk costs
 * iommu.walk_fixed_ns once. Faults carry the scalable-mode reason codes (iommu_regs.h)
 * and, for a request with a PASID, the PASID (FRCD.PP, PV).
 *
 * Not modelled in scalable mode: ATS (device TLBs answer no PASID requests), page
 * requests (PRI), supervisor requests, execute permission, access/dirty bit updates,
 * the legacy context-cache invalidation's effect on the PASID cache (software follows a
 * context change with a PASID-cache invalidation, as Linux does). */

/* A request without a PASID prefix. */
#define IOMMU_NO_PASID UINT32_MAX

/* iommu_translate with a PASID (IOMMU_NO_PASID: none; then the same as iommu_translate).
 * A legacy-mode IOMMU translates a request with a PASID as one without. */
int iommu_translate_pasid(iommu *u, uint16_t rid, uint32_t pasid, uint64_t addr, uint32_t len,
                          bool write, uint64_t *t_ps, uint64_t *hpa);
/* iommu_dma_access with a PASID. */
int iommu_dma_access_pasid(iommu *u, uint16_t rid, uint32_t pasid, uint64_t addr, void *buf,
                           size_t len, bool write, uint64_t *t_ps);
/* Whether the IOMMU runs in scalable mode (RTADDR.TTM latched by SRTP). */
bool iommu_scalable(const iommu *u);

/* Software (the IOMMU driver). In scalable mode iommu_attach points the requester's
 * RID_PASID entry at the domain (second-level), iommu_attach_passthrough at
 * pass-through, and iommu_detach clears the context entry, as Linux's
 * intel_pasid_setup_second_level / _pass_through and context teardown do.
 *
 * The requester's context entry and a PASID directory for PASIDs [0, max_pasids)
 * (rounded up: 2^(PDTS+7) directory entries of 64 PASIDs each); rid_pasid is the PASID
 * of requests without one. PASID tables are allocated as entries are set. -1 when not
 * in scalable mode, the PASID range is beyond 2^20 or table memory is exhausted. */
int iommu_pasid_table_create(iommu *u, uint16_t rid, uint32_t max_pasids, uint32_t rid_pasid);

typedef enum iommu_pgtt {
    IOMMU_PGTT_FL = 1,     /* first-level only: the table's addresses are host physical */
    IOMMU_PGTT_SL = 2,     /* second-level only */
    IOMMU_PGTT_NESTED = 3, /* first level in guest physical space, over a second level */
    IOMMU_PGTT_PT = 4,     /* pass-through */
} iommu_pgtt;

typedef struct iommu_pasid_setup {
    iommu_pgtt pgtt;
    uint16_t did;             /* the entry's domain id; SL: 0 takes the domain's */
    const iommu_domain *sl;   /* SL and NESTED */
    const iommu_fltable *fl;  /* FL and NESTED */
    bool fpd;                 /* fault processing disable: faults counted, not recorded */
} iommu_pasid_setup;

/* Writes the PASID entry of (rid, pasid) (a table created before). No invalidation:
 * changing a present entry needs a PASID-cache and PASID-based IOTLB invalidation. */
int iommu_pasid_set(iommu *u, uint16_t rid, uint32_t pasid, const iommu_pasid_setup *s,
                    sim_err *e);
/* Clears it: the PASID's requests fault (PASID entry not present). */
void iommu_pasid_clear(iommu *u, uint16_t rid, uint32_t pasid);

/* First-level tables (x86 4- or 5-level format: present, R/W, U/S, PS at 2 MiB and
 * 1 GiB), built as software builds them, no timing; owned by the IOMMU. With s2 NULL
 * the table pages come from the IOMMU driver's memory (host physical: for FL-only).
 * With s2 the table is a guest's: its pages are taken from [gpa_base, + gpa_bytes) of
 * guest physical space, which s2 must map, and written at the host address s2 maps
 * them to, as the guest's CPU writes them (for NESTED over s2). NULL when levels is
 * not 4 or 5 or memory is exhausted. */
iommu_fltable *iommu_fltable_create(iommu *u, unsigned levels, const iommu_domain *s2,
                                    uint64_t gpa_base, uint64_t gpa_bytes);
/* Map [va, va + bytes) to [pa, ...) (host physical, or guest physical for a guest's
 * table) with pages of page_bytes (4 KiB, 2 MiB or 1 GiB), rights IOMMU_READ |
 * IOMMU_WRITE (a present entry is always readable). Returns the entries written, or
 * -1 with *e set. No invalidation. */
int64_t iommu_fltable_map(iommu_fltable *f, uint64_t va, uint64_t pa, uint64_t bytes,
                          uint64_t page_bytes, unsigned rights, sim_err *e);
uint64_t iommu_fltable_unmap(iommu_fltable *f, uint64_t va, uint64_t bytes);
/* Software look-up: 0 with the output address (guest physical for a guest's table). */
int iommu_fltable_lookup(const iommu_fltable *f, uint64_t va, uint64_t *pa, unsigned *rights,
                         uint64_t *page_bytes);
/* The top-level table's address (the PASID entry's FLPTPTR: guest physical for a guest's). */
uint64_t iommu_fltable_root(const iommu_fltable *f);

/* ---- Invalidation (queued invalidation, VT-d 6.5.2) ------------------------------- *
 *
 * Software writes descriptors at the queue's tail and then the tail register, IQT (the
 * doorbell, see Registers); host/dmaapi.h's iommu_dma_qi_submit does that as the IOMMU
 * driver does and pays for it. */

typedef enum iommu_inv_kind {
    IOMMU_INV_IOTLB_GLOBAL,  /* every IOTLB and paging-structure cache entry */
    IOMMU_INV_IOTLB_DOMAIN,  /* entries of domain did */
    IOMMU_INV_IOTLB_PAGE,    /* entries of did overlapping [addr, addr + bytes) */
    IOMMU_INV_CTX_GLOBAL,    /* context cache */
    IOMMU_INV_CTX_DOMAIN,
    IOMMU_INV_CTX_DEVICE,    /* context entry of requester rid */
    IOMMU_INV_DEVTLB,        /* device-TLB of rid over [addr, addr + bytes): crosses the link */
    IOMMU_INV_IEC_GLOBAL,    /* interrupt entry cache */
    IOMMU_INV_IEC_INDEX,     /* one interrupt remapping table entry */
    /* Scalable mode only (a legacy-mode IOMMU stops at them with FSTS.IQE): */
    IOMMU_INV_PIOTLB_PASID,  /* IOTLB and first-level caches of (did, pasid) */
    IOMMU_INV_PIOTLB_PAGE,   /* those overlapping [addr, addr + bytes) (keep_tables: IH) */
    IOMMU_INV_PASID_CACHE_DOMAIN, /* PASID-cache entries of did */
    IOMMU_INV_PASID_CACHE_PASID,  /* the PASID-cache entry of (did, pasid) */
    IOMMU_INV_PASID_CACHE_GLOBAL,
} iommu_inv_kind;

typedef struct iommu_inv {
    iommu_inv_kind kind;
    uint16_t did, rid;
    uint64_t addr, bytes; /* page-selective and device-TLB ranges */
    uint32_t index;       /* IEC index */
    uint32_t pasid;       /* PASID-based kinds */
    /* Page-selective only: the invalidation hint. true keeps the paging-structure
     * caches: what Linux asks for when no table page was freed, which its IOTLB
     * descriptor for a second-level domain carried only from 6.18 on (host/dmaapi.c). */
    bool keep_tables;
} iommu_inv;

/* The descriptor format (128 bits, as two little-endian 64-bit words) software writes
 * into the invalidation queue: one for an iommu_inv, and the wait descriptor whose
 * completion writes `data` to the 32-bit word at status_addr. */
void iommu_inv_encode(const iommu_inv *v, uint64_t desc[2]);
void iommu_inv_encode_wait(uint32_t data, uint64_t status_addr, uint64_t desc[2]);
/* The IOMMU driver's own record of its queue, kept with the IOMMU as Linux keeps struct
 * q_inval in struct intel_iommu, so that a submission reads no register back: the
 * queue's address and size in descriptors (what the driver wrote to IQA), free_head
 * (the next slot to write: the tail it last wrote to IQT), the word its wait
 * descriptors write and the data the last one carried (0: none yet). iommu_create lays
 * the queue and the word out among the driver's structures and fills this in as the
 * driver's initialisation does; only the driver changes it afterwards (host/dmaapi.h:
 * iommu_dma_qi_submit). The hardware never reads it. */
typedef struct iommu_qi_driver {
    uint64_t base, status_addr;
    uint32_t descs, free_head, seq;
} iommu_qi_driver;
iommu_qi_driver *iommu_qi_driver_of(iommu *u);

/* ---- Registers (VT-d 10.4: iommu_regs.h) ------------------------------------------ *
 *
 * The remapping hardware's register file, as data: each register has a width, the bits
 * software may write and the bits it clears by writing 1; the rest is read-only. A
 * write to a register follows  new = (old & ~wmask) | (val & wmask);  new &= ~(val &
 * w1cmask);  and then the register's handler acts:
 *   GCMD   enables translation (TE), queued invalidation (QIE), interrupt remapping
 *          (IRE) and compatibility-format interrupts (CFI) as written, latches RTADDR
 *          (SRTP) or IRTA (SIRTP); GSTS reports it. GCMD reads 0.
 *   IQT    the doorbell: the IOMMU fetches the descriptors from IQH up to the new tail
 *          after iommu.qi_doorbell_ns, executes them in order and advances IQH; a tail
 *          beyond the queue (IQA.QS) or an unknown descriptor sets FSTS.IQE and stops.
 *   FRCD   a fault recording register; writing 1 to its F bit releases it (FSTS.PPF
 *          clears with the last). A fault that finds its register still held, or
 *          FSTS.PFO set, is not recorded and sets PFO, until software clears PFO.
 * iommu_create programs RTADDR, IQA and GCMD (TE, QIE; CFI when iommu.irq_compat) as
 * the driver's initialisation does; iommu_irq_table_init programs IRTA and IRE.
 *
 * Accesses are 4 or 8 bytes, naturally aligned, within one register (a 4-byte access
 * to either half of a 64-bit register is fine). Software mistakes are counted, never
 * fatal: a misaligned access (dropped; reads all-ones), an offset with no register
 * (dropped; reads 0), a write to a register with no writable bit (nothing changes). */
typedef struct iommu_reg_counters {
    uint64_t reads, writes, misaligned, unknown, ro_writes;
} iommu_reg_counters;

uint64_t iommu_reg_read(iommu *u, uint32_t off, unsigned size);
/* A write at t_ps; returns when the hardware is done acting on it (IQT: when the last
 * descriptor fetched has executed, a wait descriptor's status write included). */
uint64_t iommu_reg_write(iommu *u, uint64_t t_ps, uint32_t off, unsigned size, uint64_t val);
iommu_reg_counters iommu_reg_counts(const iommu *u);

/* ---- Faults ---------------------------------------------------------------------- */

typedef struct iommu_fault {
    uint16_t rid;
    uint64_t addr;   /* page-aligned faulting address (DMA), or the interrupt index */
    uint8_t reason;  /* enum vtd_fault_reason */
    bool write;
    bool interrupt;  /* an interrupt remapping fault */
    bool pasid_present; /* scalable mode: the request carried a PASID (FRCD.PP) */
    uint32_t pasid;     /* FRCD.PV when pasid_present */
    uint64_t t_ps;
} iommu_fault;

/* What fault-handling software finds in the fault recording registers: the faults
 * recorded and not yet released, oldest first, decoded (with when each was recorded).
 * At most iommu.fault_records; later ones are only counted, as FSTS.PFO says. A
 * pointer stays valid until its register records another fault. */
size_t iommu_faults_recorded(const iommu *u);
const iommu_fault *iommu_fault_get(const iommu *u, size_t i);
/* Releases every recorded fault and clears the overflow (FRCD.F and FSTS.PFO written
 * with 1s, as the driver's fault handler does). */
void iommu_faults_clear(iommu *u);
/* Every fault since creation (recorded or not). */
uint64_t iommu_faults_total(const iommu *u);

/* ---- Address translation services (device-side translation cache) --------------- */

/* Requester rid has a device TLB (iommu.devtlb_entries) on the far side of `link`.
 * Its requests are then translated requests when the device TLB hits; on a miss the
 * device sends a translation request, the IOMMU translates and answers with a
 * completion (both crossing the link), and the device issues the request translated.
 * Invalidations of kind IOMMU_INV_DEVTLB travel to the device as messages and its
 * completion message comes back. rc_latency_ps is one root complex traversal. */
void iommu_ats_enable(iommu *u, uint16_t rid, pcie_link *link, uint64_t rc_latency_ps);

/* ---- Peer-to-peer --------------------------------------------------------------- */

/* A peer device's BAR: requests whose translated address falls in it go to the peer. */
void iommu_add_peer_bar(iommu *u, uint64_t base, uint64_t bytes);
/* A request from rid to addr that the switch would route to a peer. With
 * iommu.acs_p2p = redirect it goes up to the root complex and through translation
 * (0, *t_ps advanced, *hpa the translated target, *to_peer whether it lands in a
 * peer BAR); with block it is refused (-1, counted as iommu.p2p_blocked). */
int iommu_p2p(iommu *u, uint16_t rid, uint64_t addr, uint32_t len, bool write, uint64_t *t_ps,
              uint64_t *hpa, bool *to_peer);

/* ---- What software reports ------------------------------------------------------ */

/* The host's IOMMU driver and DMA API add the CPU cycles their IOMMU work cost
 * (mapping, IOVAs, invalidation submission and waiting) to iommu.cpu_cycles, so that
 * they show among the IOMMU's statistics. The model itself spends no CPU time. */
void iommu_charge_cycles(iommu *u, uint64_t cycles);
/* ... of them, one queued submission's: its descriptors and the spin on its wait
 * (qi_submit_sync), counted apart as well (iommu.qi_submits, iommu.qi_submit_cycles). */
void iommu_charge_qi_submit(iommu *u, uint64_t cycles);

/* ---- Introspection for tests ----------------------------------------------------- */
unsigned iommu_levels(const iommu *u);
uint64_t iommu_root_table(const iommu *u);
mem_phys *iommu_physmem(const iommu *u);
/* Valid IOTLB entries (all domains). */
uint32_t iommu_iotlb_valid(const iommu *u);
/* Whether the IOTLB holds a translation of (did, addr), without touching LRU state. */
bool iommu_iotlb_holds(const iommu *u, uint16_t did, uint64_t addr);
/* The same for scalable mode's (did, pasid) tag. */
bool iommu_iotlb_holds_pasid(const iommu *u, uint16_t did, uint32_t pasid, uint64_t addr);

#endif
