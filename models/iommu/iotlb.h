/* A set-associative translation cache with LRU replacement, tagged by domain, PASID and
 * page size: the IOTLB (entries map a page of 4 KiB, 2 MiB or 1 GiB), the paging-structure
 * caches (one per table level: entries map the region one non-leaf entry covers to the
 * next table) and the device-side ATS cache use it.
 *
 * Each entry carries ready_ps, the time its fill completes: an entry inserted by a walk
 * still in flight is found by a later miss to the same page, which then waits for that
 * walk instead of starting another (miss merging), with no event needed.
 *
 * Cost: a look-up probes a hash index of the valid entries once per page size present
 * in the cache (sizes with no entry are skipped); an insertion into a full set takes
 * its least recently used way from the set's ways sorted by last use now and then. */
#ifndef MODELS_IOMMU_IOTLB_H
#define MODELS_IOMMU_IOTLB_H

#include <stdbool.h>
#include <stdint.h>

typedef struct iommu_tlb_entry {
    uint64_t vpn;      /* input address >> shift */
    uint64_t value;    /* output: page frame base, or next table's address */
    uint64_t ready_ps; /* fill complete (walk done) */
    uint64_t last_use; /* LRU tick */
    uint32_t did;      /* domain id (IOTLB, PWC) or requester id (device TLB) */
    uint32_t pasid;    /* scalable mode: the PASID a translation belongs to; else 0 */
    uint8_t shift;     /* log2 of the bytes one entry covers: 12, 21, 30, 39, 48 */
    uint8_t perms;     /* VTD_SL_R | VTD_SL_W, accumulated over the walk */
    uint8_t valid;
} iommu_tlb_entry;

typedef struct iommu_tlb iommu_tlb;

/* `entries` 0 gives a cache that never hits. `ways` divides `entries` (checked by the
 * caller's parameter check; an assert here). */
iommu_tlb *iommu_tlb_create(uint32_t entries, uint32_t ways);
void iommu_tlb_destroy(iommu_tlb *t);

/* The entry covering (did, addr) with page size 2^shift, or NULL. A hit becomes the
 * most recently used. */
iommu_tlb_entry *iommu_tlb_lookup(iommu_tlb *t, uint32_t did, uint64_t addr, unsigned shift);
/* The entry covering (did, addr) at any page size present (4 KiB, 2 MiB, 1 GiB). */
iommu_tlb_entry *iommu_tlb_lookup_page(iommu_tlb *t, uint32_t did, uint64_t addr);
/* As iommu_tlb_lookup_page, leaving the LRU order alone (for inspection). */
const iommu_tlb_entry *iommu_tlb_peek_page(const iommu_tlb *t, uint32_t did, uint64_t addr);
/* Insert (replacing an entry with the same key, else the set's least recently used).
 * e->vpn must be addr >> e->shift. */
void iommu_tlb_insert(iommu_tlb *t, const iommu_tlb_entry *e);

/* The same with the PASID in the tag (the calls above look up PASID 0). */
iommu_tlb_entry *iommu_tlb_lookup_pasid(iommu_tlb *t, uint32_t did, uint32_t pasid, uint64_t addr,
                                        unsigned shift);
iommu_tlb_entry *iommu_tlb_lookup_page_pasid(iommu_tlb *t, uint32_t did, uint32_t pasid,
                                             uint64_t addr);
const iommu_tlb_entry *iommu_tlb_peek_page_pasid(const iommu_tlb *t, uint32_t did, uint32_t pasid,
                                                 uint64_t addr);

/* Invalidation; each returns the number of entries removed. Domain and range
 * invalidations take the domain's entries of every PASID. */
uint32_t iommu_tlb_inv_all(iommu_tlb *t);
uint32_t iommu_tlb_inv_domain(iommu_tlb *t, uint32_t did);
/* Every entry of domain did that overlaps [addr, addr + bytes). */
uint32_t iommu_tlb_inv_range(iommu_tlb *t, uint32_t did, uint64_t addr, uint64_t bytes);
/* Entries of (did, pasid) only: all of them, or those overlapping [addr, addr + bytes). */
uint32_t iommu_tlb_inv_pasid(iommu_tlb *t, uint32_t did, uint32_t pasid);
uint32_t iommu_tlb_inv_pasid_range(iommu_tlb *t, uint32_t did, uint32_t pasid, uint64_t addr,
                                   uint64_t bytes);

uint32_t iommu_tlb_entries(const iommu_tlb *t);
uint32_t iommu_tlb_valid(const iommu_tlb *t);

#endif
