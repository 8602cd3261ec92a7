#include "models/iommu/pgtable.h"

#include <assert.h>

#include "models/iommu/iommu.h"
#include "models/iommu/iommu_regs.h"

static void cpu_store(iommu_pgtable *pt, uint64_t addr, uint64_t v)
{
    mem_phys_write_u64(pt->pm, addr, v);
    if (pt->mem)
        mem_touch(pt->mem, addr, VTD_SL_PTE_BYTES);
}

int iommu_pgtable_init(iommu_pgtable *pt, mem_phys *pm, mem *m, mem_phys_arena *arena,
                       unsigned levels)
{
    assert(levels >= 3 && levels <= 5);
    pt->pm = pm;
    pt->mem = m;
    pt->arena = arena;
    pt->levels = levels;
    pt->tables = 0;
    pt->root = mem_phys_arena_alloc_page(arena, pm);
    if (pt->root == MEM_PHYS_NONE)
        return -1;
    pt->tables = 1;
    return 0;
}

unsigned iommu_page_level(uint64_t page_bytes)
{
    return page_bytes == 4096            ? 1
           : page_bytes == (2ull << 20) ? 2
           : page_bytes == (1ull << 30) ? 3
                                        : 0;
}

bool iommu_pgtable_page_ok(unsigned levels, uint64_t page_bytes)
{
    unsigned leaf = iommu_page_level(page_bytes);
    return leaf && leaf <= levels;
}

/* Bytes of IOVA the table translates (2^48 or 2^57). An index takes only the bits of
 * its level, so an address beyond would alias one below: it has no entry at all. */
static uint64_t span_bytes(const iommu_pgtable *pt) { return 1ull << (12 + 9 * pt->levels); }

/* The address of the entry for iova at `leaf_level`, creating tables above it. -1 when
 * a table cannot be allocated or a large page is in the way. */
static int64_t entry_for(iommu_pgtable *pt, uint64_t iova, unsigned leaf_level, int64_t *written)
{
    uint64_t table = pt->root;
    for (unsigned l = pt->levels; l > leaf_level; l--) {
        uint64_t ea = table + (uint64_t)iommu_pgtable_index(iova, l) * VTD_SL_PTE_BYTES;
        uint64_t e = mem_phys_read_u64(pt->pm, ea);
        if (!(e & (VTD_SL_R | VTD_SL_W))) {
            uint64_t next = mem_phys_arena_alloc_page(pt->arena, pt->pm);
            if (next == MEM_PHYS_NONE)
                return -1;
            pt->tables++;
            /* Non-leaf entries grant everything; the leaf decides (as Linux does). */
            e = next | VTD_SL_R | VTD_SL_W;
            cpu_store(pt, ea, e);
            (*written)++;
        } else if (e & VTD_SL_PS) {
            return -1;
        }
        table = e & VTD_SL_ADDR_MASK;
    }
    return (int64_t)(table + (uint64_t)iommu_pgtable_index(iova, leaf_level) * VTD_SL_PTE_BYTES);
}

int64_t iommu_pgtable_map(iommu_pgtable *pt, uint64_t iova, uint64_t hpa, uint64_t bytes,
                          uint64_t page_bytes, unsigned perms)
{
    assert(iommu_pgtable_page_ok(pt->levels, page_bytes));
    assert(iova % page_bytes == 0 && hpa % page_bytes == 0 && bytes % page_bytes == 0);
    unsigned leaf = iommu_page_level(page_bytes);
    if (iova >= span_bytes(pt) || bytes > span_bytes(pt) - iova)
        return -1;
    int64_t written = 0;
    for (uint64_t off = 0; off < bytes; off += page_bytes) {
        int64_t ea = entry_for(pt, iova + off, leaf, &written);
        if (ea < 0)
            return -1;
        uint64_t old = mem_phys_read_u64(pt->pm, (uint64_t)ea);
        if (leaf > 1 && (old & (VTD_SL_R | VTD_SL_W)) && !(old & VTD_SL_PS))
            return -1; /* a table of smaller pages is there */
        uint64_t e = ((hpa + off) & VTD_SL_ADDR_MASK) | (perms & (VTD_SL_R | VTD_SL_W));
        if (leaf > 1)
            e |= VTD_SL_PS;
        cpu_store(pt, (uint64_t)ea, e);
        written++;
    }
    return written;
}

/* Finds the leaf entry for iova: its address and level, or -1. */
static int find_leaf(const iommu_pgtable *pt, uint64_t iova, uint64_t *ea_out, unsigned *level_out)
{
    uint64_t table = pt->root;
    for (unsigned l = pt->levels; l >= 1; l--) {
        uint64_t ea = table + (uint64_t)iommu_pgtable_index(iova, l) * VTD_SL_PTE_BYTES;
        uint64_t e = mem_phys_read_u64(pt->pm, ea);
        if (!(e & (VTD_SL_R | VTD_SL_W)))
            return -1;
        if (l == 1 || ((e & VTD_SL_PS) && l <= 3)) {
            *ea_out = ea;
            *level_out = l;
            return 0;
        }
        table = e & VTD_SL_ADDR_MASK;
    }
    return -1;
}

uint64_t iommu_pgtable_unmap(iommu_pgtable *pt, uint64_t iova, uint64_t bytes)
{
    uint64_t cleared = 0, span = span_bytes(pt);
    if (iova >= span)
        return 0;
    if (bytes > span - iova)
        bytes = span - iova;
    uint64_t a = iova, end = iova + bytes;
    while (a < end) {
        uint64_t ea;
        unsigned level;
        if (find_leaf(pt, a, &ea, &level) < 0) {
            a = (a & ~0xFFFull) + 4096;
            continue;
        }
        cpu_store(pt, ea, 0);
        cleared++;
        uint64_t size = 1ull << (12 + 9 * (level - 1));
        a = (a & ~(size - 1)) + size;
    }
    return cleared;
}

int iommu_pgtable_lookup(const iommu_pgtable *pt, uint64_t iova, uint64_t *hpa,
                         unsigned *perms, unsigned *page_shift)
{
    uint64_t ea;
    unsigned level;
    if (iova >= span_bytes(pt) || find_leaf(pt, iova, &ea, &level) < 0)
        return -1;
    uint64_t e = mem_phys_read_u64(pt->pm, ea);
    unsigned shift = 12 + 9 * (level - 1);
    if (hpa)
        *hpa = (e & VTD_SL_ADDR_MASK & ~((1ull << shift) - 1)) | (iova & ((1ull << shift) - 1));
    if (perms)
        *perms = (unsigned)(e & (VTD_SL_R | VTD_SL_W));
    if (page_shift)
        *page_shift = shift;
    return 0;
}
