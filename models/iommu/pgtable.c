#include "models/iommu/pgtable.h"

#include <assert.h>

#include "models/iommu/iommu.h"
#include "models/iommu/iommu_regs.h"

/* The two formats share the page-size bit and the address field. */
_Static_assert(VTD_FL_PS == VTD_SL_PS && VTD_FL_ADDR_MASK == VTD_SL_ADDR_MASK,
               "first- and second-level entries differ where pgtable.c reads them alike");

/* Where an address of the table's space is in host memory (UINT64_MAX: s2 maps none). */
static uint64_t host_of(const iommu_pgtable *pt, uint64_t a)
{
    uint64_t hpa;
    if (!pt->s2)
        return a;
    return iommu_pgtable_lookup(pt->s2, a, &hpa, NULL, NULL) < 0 ? UINT64_MAX : hpa;
}

static uint64_t load(const iommu_pgtable *pt, uint64_t addr)
{
    uint64_t h = host_of(pt, addr);
    return h == UINT64_MAX ? 0 : mem_phys_read_u64(pt->pm, h);
}

static int cpu_store(iommu_pgtable *pt, uint64_t addr, uint64_t v)
{
    uint64_t h = host_of(pt, addr);
    if (h == UINT64_MAX)
        return -1;
    mem_phys_write_u64(pt->pm, h, v);
    if (pt->mem)
        mem_touch(pt->mem, h, VTD_SL_PTE_BYTES);
    return 0;
}

/* The bits that make an entry present: R or W (second level), P (first level). */
static uint64_t present(const iommu_pgtable *pt)
{
    return pt->first_level ? VTD_FL_P : VTD_SL_R | VTD_SL_W;
}

/* A zeroed table page in the table's space, or MEM_PHYS_NONE. */
static uint64_t new_table(iommu_pgtable *pt)
{
    uint64_t a;
    if (!pt->s2) {
        a = mem_phys_arena_alloc_page(pt->arena, pt->pm);
    } else {
        a = mem_phys_arena_alloc(pt->arena, MEM_PHYS_PAGE_BYTES, MEM_PHYS_PAGE_BYTES);
        uint64_t h = a == MEM_PHYS_NONE ? UINT64_MAX : host_of(pt, a);
        if (h == UINT64_MAX)
            return MEM_PHYS_NONE;
        mem_phys_fill(pt->pm, h, 0, MEM_PHYS_PAGE_BYTES);
    }
    if (a != MEM_PHYS_NONE)
        pt->tables++;
    return a;
}

static int init(iommu_pgtable *pt, mem_phys *pm, mem *m, mem_phys_arena *arena,
                const iommu_pgtable *s2, unsigned levels, bool first_level)
{
    *pt = (iommu_pgtable){.pm = pm, .mem = m, .arena = arena, .s2 = s2, .levels = levels,
                          .first_level = first_level};
    pt->root = new_table(pt);
    return pt->root == MEM_PHYS_NONE ? -1 : 0;
}

int iommu_pgtable_init(iommu_pgtable *pt, mem_phys *pm, mem *m, mem_phys_arena *arena,
                       unsigned levels)
{
    assert(levels >= 3 && levels <= 5);
    return init(pt, pm, m, arena, NULL, levels, false);
}

int iommu_pgtable_init_fl(iommu_pgtable *pt, mem_phys *pm, mem *m, mem_phys_arena *arena,
                          const iommu_pgtable *s2, unsigned levels)
{
    assert(levels == 4 || levels == 5);
    return init(pt, pm, m, arena, s2, levels, true);
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
        uint64_t e = load(pt, ea);
        if (!(e & present(pt))) {
            uint64_t next = new_table(pt);
            if (next == MEM_PHYS_NONE)
                return -1;
            /* Non-leaf entries grant everything; the leaf decides (as Linux does). */
            e = next | (pt->first_level ? VTD_FL_P | VTD_FL_RW | VTD_FL_US | VTD_FL_A
                                        : VTD_SL_R | VTD_SL_W);
            if (cpu_store(pt, ea, e) < 0)
                return -1;
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
        uint64_t old = load(pt, (uint64_t)ea);
        if (leaf > 1 && (old & present(pt)) && !(old & VTD_SL_PS))
            return -1; /* a table of smaller pages is there */
        uint64_t e = ((hpa + off) & VTD_SL_ADDR_MASK) | (leaf > 1 ? VTD_SL_PS : 0);
        if (pt->first_level)
            e |= VTD_FL_P | VTD_FL_US | VTD_FL_A | (perms & VTD_SL_W ? VTD_FL_RW | VTD_FL_D : 0);
        else
            e |= perms & (VTD_SL_R | VTD_SL_W);
        if (cpu_store(pt, (uint64_t)ea, e) < 0)
            return -1;
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
        uint64_t e = load(pt, ea);
        if (!(e & present(pt)))
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
    uint64_t e = load(pt, ea);
    unsigned shift = 12 + 9 * (level - 1);
    if (hpa)
        *hpa = (e & VTD_SL_ADDR_MASK & ~((1ull << shift) - 1)) | (iova & ((1ull << shift) - 1));
    if (perms && pt->first_level) /* a present first-level entry is readable */
        *perms = (unsigned)(VTD_SL_R | (e & VTD_FL_RW ? VTD_SL_W : 0));
    else if (perms)
        *perms = (unsigned)(e & (VTD_SL_R | VTD_SL_W));
    if (page_shift)
        *page_shift = shift;
    return 0;
}
