/* First-level page tables in the x86 format VT-d's scalable mode walks (VT-d 9.7; Linux
 * drivers/iommu/intel first-level page tables): 4-level (48-bit) or 5-level (57-bit),
 * 512 entries of 8 bytes per 4 KiB table, leaves at level 1 (4 KiB), level 2 (2 MiB,
 * PS) or level 3 (1 GiB, PS). Entries carry P, R/W, U/S and A (D on writable leaves),
 * as Linux writes them for DMA; a present entry is readable.
 *
 * The software side, no timing, as pgtable.h is for the second level. A table lives in
 * one address space: host physical (first-level-only translation), or a guest's
 * physical space (nested translation), in which case table addresses and the pages the
 * table maps are guest physical and each entry is stored at the host address the
 * guest's second-level table (s2) maps it to, as the guest's own CPU stores it. */
#ifndef MODELS_IOMMU_FLPT_H
#define MODELS_IOMMU_FLPT_H

#include <stdbool.h>
#include <stdint.h>

#include "models/iommu/pgtable.h"
#include "models/mem/mem.h"
#include "models/mem/physmem.h"

typedef struct iommu_flpt {
    mem_phys *pm;
    mem *mem;                 /* may be NULL: no cache warming */
    mem_phys_arena *arena;    /* table pages, in the table's own address space */
    const iommu_pgtable *s2;  /* NULL: host physical; else guest physical through s2 */
    uint64_t root;            /* top-level table, in the table's address space */
    unsigned levels;          /* 4 or 5 */
    uint64_t tables;          /* table pages allocated */
} iommu_flpt;

/* Allocates the top-level table (zeroed). -1 when the arena is full or, for a guest's
 * table, s2 does not map the page. */
int iommu_flpt_init(iommu_flpt *f, mem_phys *pm, mem *m, mem_phys_arena *arena,
                    const iommu_pgtable *s2, unsigned levels);
/* Maps [va, va + bytes) to [pa, ...) with leaves of page_bytes (aligned, checked by the
 * caller); writable adds R/W. Returns the entries written, or -1 when table memory is
 * exhausted (or unmapped by s2), a leaf would replace a table of a different page size,
 * or the range is beyond the table's width. */
int64_t iommu_flpt_map(iommu_flpt *f, uint64_t va, uint64_t pa, uint64_t bytes,
                       uint64_t page_bytes, bool writable);
/* Clears the leaves covering [va, va + bytes); returns how many. */
uint64_t iommu_flpt_unmap(iommu_flpt *f, uint64_t va, uint64_t bytes);
/* Software walk: 0 with the output address, whether writable and the leaf size. */
int iommu_flpt_lookup(const iommu_flpt *f, uint64_t va, uint64_t *pa, bool *writable,
                      unsigned *page_shift);

#endif
