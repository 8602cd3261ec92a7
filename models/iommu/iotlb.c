#include "models/iommu/iotlb.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/alloc.h"

#define MAX_SHIFT 64

struct iommu_tlb {
    iommu_tlb_entry *e; /* sets x ways */
    uint32_t entries, ways, sets;
    uint64_t tick;
    uint32_t valid;
    uint32_t per_shift[MAX_SHIFT]; /* valid entries per page size: skip absent sizes */
};

iommu_tlb *iommu_tlb_create(uint32_t entries, uint32_t ways)
{
    iommu_tlb *t = sim_xcalloc(1, sizeof *t);
    if (entries) {
        assert(ways && entries % ways == 0);
        t->e = sim_xcalloc(entries, sizeof *t->e);
        t->entries = entries;
        t->ways = ways;
        t->sets = entries / ways;
    }
    return t;
}

void iommu_tlb_destroy(iommu_tlb *t)
{
    if (!t)
        return;
    free(t->e);
    free(t);
}

/* Sets are chosen by a multiplicative hash of (domain, vpn) so that neighbouring
 * pages spread and domains do not alias onto the same sets. */
static uint32_t set_of(const iommu_tlb *t, uint32_t did, uint64_t vpn, unsigned shift)
{
    uint64_t h = (vpn ^ ((uint64_t)did << 40) ^ ((uint64_t)shift << 56)) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)((h >> 32) % t->sets);
}

iommu_tlb_entry *iommu_tlb_lookup(iommu_tlb *t, uint32_t did, uint64_t addr, unsigned shift)
{
    if (!t->entries || !t->per_shift[shift])
        return NULL;
    uint64_t vpn = addr >> shift;
    iommu_tlb_entry *set = &t->e[(size_t)set_of(t, did, vpn, shift) * t->ways];
    for (uint32_t w = 0; w < t->ways; w++) {
        iommu_tlb_entry *x = &set[w];
        if (x->valid && x->vpn == vpn && x->did == did && x->shift == shift) {
            x->last_use = ++t->tick;
            return x;
        }
    }
    return NULL;
}

iommu_tlb_entry *iommu_tlb_lookup_page(iommu_tlb *t, uint32_t did, uint64_t addr)
{
    static const unsigned shifts[] = {12, 21, 30};
    for (unsigned i = 0; i < 3; i++) {
        iommu_tlb_entry *x = iommu_tlb_lookup(t, did, addr, shifts[i]);
        if (x)
            return x;
    }
    return NULL;
}

const iommu_tlb_entry *iommu_tlb_peek_page(const iommu_tlb *t, uint32_t did, uint64_t addr)
{
    static const unsigned shifts[] = {12, 21, 30};
    if (!t->entries)
        return NULL;
    for (unsigned i = 0; i < 3; i++) {
        unsigned shift = shifts[i];
        uint64_t vpn = addr >> shift;
        const iommu_tlb_entry *set = &t->e[(size_t)set_of(t, did, vpn, shift) * t->ways];
        for (uint32_t w = 0; w < t->ways; w++)
            if (set[w].valid && set[w].vpn == vpn && set[w].did == did && set[w].shift == shift)
                return &set[w];
    }
    return NULL;
}

static void drop(iommu_tlb *t, iommu_tlb_entry *x)
{
    x->valid = 0;
    t->valid--;
    t->per_shift[x->shift]--;
}

void iommu_tlb_insert(iommu_tlb *t, const iommu_tlb_entry *e)
{
    if (!t->entries)
        return;
    assert(e->shift < MAX_SHIFT);
    iommu_tlb_entry *set = &t->e[(size_t)set_of(t, e->did, e->vpn, e->shift) * t->ways];
    iommu_tlb_entry *victim = NULL;
    for (uint32_t w = 0; w < t->ways; w++) {
        iommu_tlb_entry *x = &set[w];
        if (x->valid && x->vpn == e->vpn && x->did == e->did && x->shift == e->shift) {
            victim = x;
            break;
        }
        if (!victim || (victim->valid && (!x->valid || x->last_use < victim->last_use)))
            victim = x;
    }
    if (victim->valid)
        drop(t, victim);
    *victim = *e;
    victim->valid = 1;
    victim->last_use = ++t->tick;
    t->valid++;
    t->per_shift[e->shift]++;
}

uint32_t iommu_tlb_inv_all(iommu_tlb *t)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->entries; i++)
        if (t->e[i].valid) {
            drop(t, &t->e[i]);
            n++;
        }
    return n;
}

uint32_t iommu_tlb_inv_domain(iommu_tlb *t, uint32_t did)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->entries; i++)
        if (t->e[i].valid && t->e[i].did == did) {
            drop(t, &t->e[i]);
            n++;
        }
    return n;
}

uint32_t iommu_tlb_inv_range(iommu_tlb *t, uint32_t did, uint64_t addr, uint64_t bytes)
{
    uint32_t n = 0;
    uint64_t last = addr + (bytes ? bytes - 1 : 0);
    if (last < addr)
        last = UINT64_MAX; /* a range past 2^64 covers the rest of the space */
    for (uint32_t i = 0; i < t->entries; i++) {
        iommu_tlb_entry *x = &t->e[i];
        if (!x->valid || x->did != did)
            continue;
        uint64_t lo = x->shift >= 64 ? 0 : x->vpn << x->shift;
        uint64_t hi = x->shift >= 64 ? UINT64_MAX : lo + ((1ull << x->shift) - 1);
        if (lo <= last && hi >= addr) {
            drop(t, x);
            n++;
        }
    }
    return n;
}

uint32_t iommu_tlb_entries(const iommu_tlb *t) { return t->entries; }
uint32_t iommu_tlb_valid(const iommu_tlb *t) { return t->valid; }
