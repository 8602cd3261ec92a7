#include "models/mem/physmem.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"

#define LEVEL_BITS 10u
#define LEVEL_SLOTS (1u << LEVEL_BITS)
#define PAGE_SHIFT 12u
/* 52 - 12 = 40 bits of page number: four levels of 10. */
#define LEVELS ((MEM_PHYS_ADDR_BITS - PAGE_SHIFT) / LEVEL_BITS)
_Static_assert((MEM_PHYS_ADDR_BITS - PAGE_SHIFT) % LEVEL_BITS == 0, "radix levels cover the page number");

typedef struct node {
    void *slot[LEVEL_SLOTS]; /* inner: struct node *; last level: uint8_t[4096] */
} node;

struct mem_phys {
    node *root;
    uint64_t pages;
    /* The page page_of found last and its number, tried before the walk down the tree:
     * a device's transfer and the driver's reads of one structure stay in a page for
     * many calls in a row. Pages are freed only with the whole tree, so the hint is
     * never stale. (Written through const look-ups: a cache, not contents.) */
    uint64_t hint_pn;
    uint8_t *hint_page; /* NULL: no hint yet */
};

mem_phys *mem_phys_create(void)
{
    mem_phys *m = sim_xcalloc(1, sizeof *m);
    m->root = sim_xcalloc(1, sizeof *m->root);
    return m;
}

static void free_node(node *n, unsigned depth)
{
    if (!n)
        return;
    for (unsigned i = 0; i < LEVEL_SLOTS; i++) {
        if (!n->slot[i])
            continue;
        if (depth + 1 < LEVELS)
            free_node(n->slot[i], depth + 1);
        else
            free(n->slot[i]);
    }
    free(n);
}

void mem_phys_destroy(mem_phys *m)
{
    if (!m)
        return;
    free_node(m->root, 0);
    free(m);
}

/* The page holding addr, or NULL when never written (and create is false). */
static uint8_t *page_of(const mem_phys *m, uint64_t addr, bool create)
{
    assert(addr < (1ull << MEM_PHYS_ADDR_BITS));
    uint64_t pn = addr >> PAGE_SHIFT;
    if (m->hint_page && m->hint_pn == pn)
        return m->hint_page;
    node *n = m->root;
    for (unsigned l = 0; l < LEVELS; l++) {
        unsigned shift = (LEVELS - 1 - l) * LEVEL_BITS;
        unsigned i = (unsigned)(pn >> shift) & (LEVEL_SLOTS - 1);
        if (!n->slot[i]) {
            if (!create)
                return NULL;
            if (l + 1 < LEVELS) {
                n->slot[i] = sim_xcalloc(1, sizeof(node));
            } else {
                n->slot[i] = sim_xcalloc(1, MEM_PHYS_PAGE_BYTES);
                ((mem_phys *)m)->pages++;
            }
        }
        if (l + 1 == LEVELS) {
            ((mem_phys *)m)->hint_pn = pn;
            ((mem_phys *)m)->hint_page = n->slot[i];
            return n->slot[i];
        }
        n = n->slot[i];
    }
    return NULL;
}

void mem_phys_read(const mem_phys *m, uint64_t addr, void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len) {
        size_t off = addr & (MEM_PHYS_PAGE_BYTES - 1);
        size_t n = MEM_PHYS_PAGE_BYTES - off < len ? MEM_PHYS_PAGE_BYTES - off : len;
        const uint8_t *pg = page_of(m, addr, false);
        if (pg)
            memcpy(out, pg + off, n);
        else
            memset(out, 0, n);
        out += n;
        addr += n;
        len -= n;
    }
}

void mem_phys_write(mem_phys *m, uint64_t addr, const void *buf, size_t len)
{
    const uint8_t *in = buf;
    while (len) {
        size_t off = addr & (MEM_PHYS_PAGE_BYTES - 1);
        size_t n = MEM_PHYS_PAGE_BYTES - off < len ? MEM_PHYS_PAGE_BYTES - off : len;
        memcpy(page_of(m, addr, true) + off, in, n);
        in += n;
        addr += n;
        len -= n;
    }
}

void mem_phys_fill(mem_phys *m, uint64_t addr, uint8_t byte, size_t len)
{
    while (len) {
        size_t off = addr & (MEM_PHYS_PAGE_BYTES - 1);
        size_t n = MEM_PHYS_PAGE_BYTES - off < len ? MEM_PHYS_PAGE_BYTES - off : len;
        uint8_t *pg = page_of(m, addr, byte != 0);
        if (pg)
            memset(pg + off, byte, n);
        addr += n;
        len -= n;
    }
}

uint64_t mem_phys_read_u64(const mem_phys *m, uint64_t addr)
{
    uint8_t b[8];
    mem_phys_read(m, addr, b, 8);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

void mem_phys_write_u64(mem_phys *m, uint64_t addr, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    mem_phys_write(m, addr, b, 8);
}

uint32_t mem_phys_read_u32(const mem_phys *m, uint64_t addr)
{
    uint8_t b[4];
    mem_phys_read(m, addr, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

void mem_phys_write_u32(mem_phys *m, uint64_t addr, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    mem_phys_write(m, addr, b, 4);
}

uint64_t mem_phys_pages(const mem_phys *m) { return m->pages; }

uint64_t mem_phys_hash(const mem_phys *m, uint64_t addr, uint64_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    uint8_t buf[256];
    while (len) {
        size_t n = len < sizeof buf ? (size_t)len : sizeof buf;
        mem_phys_read(m, addr, buf, n);
        for (size_t i = 0; i < n; i++)
            h = (h ^ buf[i]) * 0x100000001b3ull;
        addr += n;
        len -= n;
    }
    return h;
}

void mem_phys_arena_init(mem_phys_arena *a, uint64_t base, uint64_t bytes)
{
    a->base = a->next = base;
    a->end = base + bytes;
}

uint64_t mem_phys_arena_alloc(mem_phys_arena *a, uint64_t bytes, uint64_t align)
{
    assert(align && (align & (align - 1)) == 0);
    uint64_t at = (a->next + align - 1) & ~(align - 1);
    if (at < a->next || at > a->end || a->end - at < bytes)
        return MEM_PHYS_NONE;
    a->next = at + bytes;
    return at;
}

uint64_t mem_phys_arena_alloc_page(mem_phys_arena *a, mem_phys *m)
{
    uint64_t at = mem_phys_arena_alloc(a, MEM_PHYS_PAGE_BYTES, MEM_PHYS_PAGE_BYTES);
    if (at != MEM_PHYS_NONE)
        mem_phys_fill(m, at, 0, MEM_PHYS_PAGE_BYTES);
    return at;
}

bool mem_phys_arena_contains(const mem_phys_arena *a, uint64_t addr)
{
    return addr >= a->base && addr < a->end;
}
