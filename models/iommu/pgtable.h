/* Second-level (guest-physical or IOVA to host-physical) page tables in the VT-d
 * format (models/iommu/iommu_regs.h), built in simulated host memory the way the
 * host's IOMMU driver builds them: 4-level (48-bit) or 5-level (57-bit), 512 entries
 * of 8 bytes per 4 KiB table, leaves at level 1 (4 KiB), level 2 (2 MiB, PS) or level
 * 3 (1 GiB, PS).
 *
 * The same for scalable mode's first-level tables (VT-d 9.7), which have the x86
 * format: present is P (not R or W), entries carry R/W, U/S and A (D on writable
 * leaves) as Linux writes them for DMA, and a present entry is readable. A first-level
 * table lives in host physical memory (first-level-only translation) or in a guest's
 * physical memory (nested translation): then table addresses and the pages it maps are
 * guest physical, and each entry is loaded and stored at the host address the guest's
 * second-level table (s2) maps it to, as the guest's own CPU stores it.
 *
 * This is the software side (the CPU writing entries): no timing. Table pages come
 * from an arena; entries the CPU writes are brought into the LLC (mem_touch) when a
 * memory model is given, as a store by a core would, so that the hardware walk later
 * finds them there. */
#ifndef MODELS_IOMMU_PGTABLE_H
#define MODELS_IOMMU_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/mem/mem.h"
#include "models/mem/physmem.h"

typedef struct iommu_pgtable {
    mem_phys *pm;
    mem *mem;            /* may be NULL: no cache warming */
    mem_phys_arena *arena; /* table pages, in the table's own address space */
    const struct iommu_pgtable *s2; /* NULL: host physical; else guest physical through s2 */
    uint64_t root;       /* address of the top-level table */
    unsigned levels;     /* 4 or 5 */
    uint64_t tables;     /* table pages allocated */
    bool first_level;    /* the x86 first-level format */
} iommu_pgtable;

/* Index of addr in a level-l table (l = 1 for the leaf page table). */
static inline unsigned iommu_pgtable_index(uint64_t addr, unsigned level)
{
    return (unsigned)(addr >> (12 + 9 * (level - 1))) & 511u;
}

/* Allocates the top-level table. -1 when the arena is full. */
int iommu_pgtable_init(iommu_pgtable *pt, mem_phys *pm, mem *m, mem_phys_arena *arena,
                       unsigned levels);
/* A first-level table of 4 or 5 levels, in host memory (s2 NULL) or in the guest
 * physical space s2 maps; -1 also when s2 does not map its top-level page. */
int iommu_pgtable_init_fl(iommu_pgtable *pt, mem_phys *pm, mem *m, mem_phys_arena *arena,
                          const iommu_pgtable *s2, unsigned levels);

/* Whether a table of `levels` levels can hold a leaf of page_bytes: 4 KiB, 2 MiB or
 * 1 GiB (a leaf at level 1, 2 or 3), at or below its top level. */
bool iommu_pgtable_page_ok(unsigned levels, uint64_t page_bytes);

/* Maps [iova, iova + bytes) to [hpa, ...) with leaves of page_bytes; iova, hpa and
 * bytes are multiples of page_bytes. perms is VTD_SL_R | VTD_SL_W (first level: W
 * sets R/W). Returns the number of entries written (leaves and new non-leaf entries),
 * or -1 when the arena is full (or, for a guest's table, s2 does not map a table
 * page), a leaf would replace a table of a different page size, or the range is
 * beyond the table's address width (2^48 or 2^57: addresses there have no entry). */
int64_t iommu_pgtable_map(iommu_pgtable *pt, uint64_t iova, uint64_t hpa, uint64_t bytes,
                          uint64_t page_bytes, unsigned perms);
/* Clears the leaves covering [iova, iova + bytes) (the part within the address width);
 * returns the number cleared. Tables stay allocated (as Linux keeps them until the
 * domain goes). */
uint64_t iommu_pgtable_unmap(iommu_pgtable *pt, uint64_t iova, uint64_t bytes);

/* Software walk: 0 with the host address, permissions and leaf size, -1 when not
 * mapped (or beyond the address width). */
int iommu_pgtable_lookup(const iommu_pgtable *pt, uint64_t iova, uint64_t *hpa,
                         unsigned *perms, unsigned *page_shift);

#endif
