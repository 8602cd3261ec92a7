#include "models/iommu/flpt.h"

#include <assert.h>

#include "models/iommu/iommu.h"
#include "models/iommu/iommu_regs.h"

/* Where an address of the table's space is in host memory (UINT64_MAX: s2 maps none). */
static uint64_t host_of(const iommu_flpt *f, uint64_t a)
{
    if (!f->s2)
        return a;
    uint64_t hpa;
    if (iommu_pgtable_lookup(f->s2, a, &hpa, NULL, NULL) < 0)
        return UINT64_MAX;
    return hpa;
}

static uint64_t load(const iommu_flpt *f, uint64_t a)
{
    uint64_t h = host_of(f, a);
    return h == UINT64_MAX ? 0 : mem_phys_read_u64(f->pm, h);
}

static int store(iommu_flpt *f, uint64_t a, uint64_t v)
{
    uint64_t h = host_of(f, a);
    if (h == UINT64_MAX)
        return -1;
    mem_phys_write_u64(f->pm, h, v);
    if (f->mem)
        mem_touch(f->mem, h, 8);
    return 0;
}

/* A zeroed table page in the table's space, or MEM_PHYS_NONE. */
static uint64_t new_table(iommu_flpt *f)
{
    uint64_t a = mem_phys_arena_alloc(f->arena, 4096, 4096);
    if (a == MEM_PHYS_NONE)
        return MEM_PHYS_NONE;
    uint64_t h = host_of(f, a);
    if (h == UINT64_MAX)
        return MEM_PHYS_NONE;
    mem_phys_fill(f->pm, h, 0, 4096);
    f->tables++;
    return a;
}

int iommu_flpt_init(iommu_flpt *f, mem_phys *pm, mem *m, mem_phys_arena *arena,
                    const iommu_pgtable *s2, unsigned levels)
{
    assert(levels == 4 || levels == 5);
    *f = (iommu_flpt){.pm = pm, .mem = m, .arena = arena, .s2 = s2, .levels = levels};
    f->root = new_table(f);
    return f->root == MEM_PHYS_NONE ? -1 : 0;
}

static uint64_t span_bytes(const iommu_flpt *f) { return 1ull << (12 + 9 * f->levels); }
static uint64_t entry_addr(uint64_t table, uint64_t va, unsigned level)
{
    return table + (uint64_t)iommu_pgtable_index(va, level) * 8;
}

/* The entry for va at leaf_level, creating tables above it; -1 as for map. */
static int64_t entry_for(iommu_flpt *f, uint64_t va, unsigned leaf_level, int64_t *written)
{
    uint64_t table = f->root;
    for (unsigned l = f->levels; l > leaf_level; l--) {
        uint64_t ea = entry_addr(table, va, l);
        uint64_t e = load(f, ea);
        if (!(e & VTD_FL_P)) {
            uint64_t next = new_table(f);
            if (next == MEM_PHYS_NONE)
                return -1;
            /* Non-leaf entries grant everything; the leaf decides (as Linux does). */
            e = next | VTD_FL_P | VTD_FL_RW | VTD_FL_US | VTD_FL_A;
            if (store(f, ea, e) < 0)
                return -1;
            (*written)++;
        } else if (e & VTD_FL_PS) {
            return -1;
        }
        table = e & VTD_FL_ADDR_MASK;
    }
    return (int64_t)entry_addr(table, va, leaf_level);
}

int64_t iommu_flpt_map(iommu_flpt *f, uint64_t va, uint64_t pa, uint64_t bytes,
                       uint64_t page_bytes, bool writable)
{
    unsigned leaf = iommu_page_level(page_bytes);
    assert(leaf && va % page_bytes == 0 && pa % page_bytes == 0 && bytes % page_bytes == 0);
    if (va >= span_bytes(f) || bytes > span_bytes(f) - va)
        return -1;
    int64_t written = 0;
    for (uint64_t off = 0; off < bytes; off += page_bytes) {
        int64_t ea = entry_for(f, va + off, leaf, &written);
        if (ea < 0)
            return -1;
        uint64_t old = load(f, (uint64_t)ea);
        if (leaf > 1 && (old & VTD_FL_P) && !(old & VTD_FL_PS))
            return -1; /* a table of smaller pages is there */
        uint64_t e = ((pa + off) & VTD_FL_ADDR_MASK) | VTD_FL_P | VTD_FL_US | VTD_FL_A |
                     (writable ? VTD_FL_RW | VTD_FL_D : 0) | (leaf > 1 ? VTD_FL_PS : 0);
        if (store(f, (uint64_t)ea, e) < 0)
            return -1;
        written++;
    }
    return written;
}

/* The leaf entry for va: its address (table space) and level, or -1. */
static int find_leaf(const iommu_flpt *f, uint64_t va, uint64_t *ea_out, unsigned *level_out)
{
    uint64_t table = f->root;
    for (unsigned l = f->levels; l >= 1; l--) {
        uint64_t ea = entry_addr(table, va, l);
        uint64_t e = load(f, ea);
        if (!(e & VTD_FL_P))
            return -1;
        if (l == 1 || ((e & VTD_FL_PS) && l <= 3)) {
            *ea_out = ea;
            *level_out = l;
            return 0;
        }
        table = e & VTD_FL_ADDR_MASK;
    }
    return -1;
}

uint64_t iommu_flpt_unmap(iommu_flpt *f, uint64_t va, uint64_t bytes)
{
    uint64_t cleared = 0, span = span_bytes(f);
    if (va >= span)
        return 0;
    if (bytes > span - va)
        bytes = span - va;
    for (uint64_t a = va, end = va + bytes; a < end;) {
        uint64_t ea;
        unsigned level;
        if (find_leaf(f, a, &ea, &level) < 0) {
            a = (a & ~0xFFFull) + 4096;
            continue;
        }
        store(f, ea, 0);
        cleared++;
        uint64_t size = 1ull << (12 + 9 * (level - 1));
        a = (a & ~(size - 1)) + size;
    }
    return cleared;
}

int iommu_flpt_lookup(const iommu_flpt *f, uint64_t va, uint64_t *pa, bool *writable,
                      unsigned *page_shift)
{
    uint64_t ea;
    unsigned level;
    if (va >= span_bytes(f) || find_leaf(f, va, &ea, &level) < 0)
        return -1;
    uint64_t e = load(f, ea);
    unsigned shift = 12 + 9 * (level - 1);
    if (pa)
        *pa = (e & VTD_FL_ADDR_MASK & ~((1ull << shift) - 1)) | (va & ((1ull << shift) - 1));
    if (writable)
        *writable = e & VTD_FL_RW;
    if (page_shift)
        *page_shift = shift;
    return 0;
}
