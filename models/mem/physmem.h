/* The contents of simulated host memory: a sparse byte store, so that structures the
 * hardware reads (IOMMU page tables, root and context tables, interrupt remapping
 * tables, posted-interrupt descriptors, descriptor rings) are real bytes in memory and
 * a model that walks them reads what software wrote.
 *
 * Contents only, no timing: the time an access takes is models/mem/mem.h's business,
 * and a model charges both (mem_read for when, mem_phys_read for what).
 *
 * Storage is a four-level radix table over 4 KiB pages (52-bit physical addresses,
 * 10 bits of page number per level), a page allocated on its first write. Memory never
 * written reads as zero, so a large untouched window costs nothing. Cost: one pointer
 * chase per level per page touched; a u64 access is one page look-up.
 *
 * Allocation is the caller's: a mem_phys_arena is a bump allocator over a range of
 * physical addresses that one owner (the IOMMU driver, a VM, a device's rings) carves
 * its structures from. Nothing is ever freed back to an arena; owners that recycle keep
 * their own free lists. */
#ifndef MODELS_MEM_PHYSMEM_H
#define MODELS_MEM_PHYSMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_PHYS_PAGE_BYTES 4096u
/* Highest physical address bit + 1 the store covers (x86 MAXPHYADDR ceiling). */
#define MEM_PHYS_ADDR_BITS 52u
/* Returned by mem_phys_arena_alloc when the arena is exhausted. */
#define MEM_PHYS_NONE UINT64_MAX

typedef struct mem_phys mem_phys;

mem_phys *mem_phys_create(void);
void mem_phys_destroy(mem_phys *m);

/* Byte access. Addresses at or above 2^MEM_PHYS_ADDR_BITS are an internal error
 * (assert): every model produces addresses from its own tables. */
void mem_phys_read(const mem_phys *m, uint64_t addr, void *buf, size_t len);
void mem_phys_write(mem_phys *m, uint64_t addr, const void *buf, size_t len);
void mem_phys_fill(mem_phys *m, uint64_t addr, uint8_t byte, size_t len);
/* Little-endian 64- and 32-bit values (x86 byte order), any alignment. */
uint64_t mem_phys_read_u64(const mem_phys *m, uint64_t addr);
void mem_phys_write_u64(mem_phys *m, uint64_t addr, uint64_t v);
uint32_t mem_phys_read_u32(const mem_phys *m, uint64_t addr);
void mem_phys_write_u32(mem_phys *m, uint64_t addr, uint32_t v);

/* 4 KiB pages holding data (what the store costs the host). */
uint64_t mem_phys_pages(const mem_phys *m);
/* FNV-1a over [addr, addr+len): a cheap fingerprint for "nothing here changed". */
uint64_t mem_phys_hash(const mem_phys *m, uint64_t addr, uint64_t len);

/* A bump allocator over [base, base + bytes). */
typedef struct mem_phys_arena {
    uint64_t base, end, next;
} mem_phys_arena;

void mem_phys_arena_init(mem_phys_arena *a, uint64_t base, uint64_t bytes);
/* `bytes` rounded up to `align` (a power of two, at least 1) placement; the memory
 * reads as zero unless the owner wrote it before. MEM_PHYS_NONE when it does not fit. */
uint64_t mem_phys_arena_alloc(mem_phys_arena *a, uint64_t bytes, uint64_t align);
/* One zeroed, page-aligned 4 KiB page (page tables, context tables). */
uint64_t mem_phys_arena_alloc_page(mem_phys_arena *a, mem_phys *m);
bool mem_phys_arena_contains(const mem_phys_arena *a, uint64_t addr);

#endif
