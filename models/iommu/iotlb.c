#include "models/iommu/iotlb.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/alloc.h"

#define MAX_SHIFT 64

typedef struct tlb_set {
    uint64_t sort_tick; /* the tick at the last sort (0: none yet) */
    uint32_t valid;     /* valid ways */
    uint32_t unsorted;  /* ways of `order` not yet taken or skipped since the sort */
} tlb_set;

struct iommu_tlb {
    iommu_tlb_entry *e; /* sets x ways */
    uint32_t entries, ways, sets;
    uint64_t tick;
    uint32_t valid;
    uint32_t per_shift[MAX_SHIFT]; /* valid entries per page size: skip absent sizes */
    /* Where each valid entry is, by its key (domain, vpn, page size): an open-addressing
     * table (linear probing) of entry + 1 (0: empty), at most half full. The default
     * IOTLB and paging-structure caches are fully associative, so a look-up that
     * scanned its set compared up to 64 entries; the table finds the one entry with
     * the key (there is at most one: an insertion replaces it) in a probe or two. */
    uint32_t *index;
    size_t index_mask;
    unsigned index_shift;
    /* Replacement in a full set, as the LLC model does it (models/mem/mem.c, llc_set):
     * a set's ways sorted by last use now and then (`order`, ways x sets), taken in
     * that order by later replacements, which skip the ways used since the sort (their
     * last use is later than that of every way not used since: the sort's tick lies
     * between), so the first way not used since is the least recently used, without
     * comparing every way's last use at every replacement. */
    uint32_t *order;
    tlb_set *set;
    /* The entry iommu_tlb_lookup_page found last, tried first: the TLPs of a DMA ask
     * for one page in a row. Only a hint, checked on every use (see there). */
    iommu_tlb_entry *last_page;
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
        unsigned bits = 1;
        while (((size_t)1 << bits) < 2 * (size_t)entries)
            bits++;
        t->index = sim_xcalloc((size_t)1 << bits, sizeof *t->index);
        t->index_mask = ((size_t)1 << bits) - 1;
        t->index_shift = 64 - bits;
        t->order = sim_xcalloc(entries, sizeof *t->order);
        for (uint32_t i = 0; i < entries; i++)
            t->order[i] = i % ways;
        t->set = sim_xcalloc(t->sets, sizeof *t->set);
    }
    return t;
}

void iommu_tlb_destroy(iommu_tlb *t)
{
    if (!t)
        return;
    free(t->e);
    free(t->index);
    free(t->order);
    free(t->set);
    free(t);
}

/* A key's hash, which spreads keys over both the sets and the index. PASID 0 adds
 * nothing, so that a cache without PASIDs places its entries as it always did. */
static uint64_t key_hash(uint32_t did, uint32_t pasid, uint64_t vpn, unsigned shift)
{
    return (vpn ^ ((uint64_t)did << 40) ^ ((uint64_t)shift << 56) ^
            (uint64_t)pasid * 0xff51afd7ed558ccdull) *
           0x9e3779b97f4a7c15ull;
}

/* Sets are chosen by a multiplicative hash of (domain, vpn) so that neighbouring
 * pages spread and domains do not alias onto the same sets. */
static uint32_t set_of(const iommu_tlb *t, uint32_t did, uint32_t pasid, uint64_t vpn,
                       unsigned shift)
{
    return (uint32_t)((key_hash(did, pasid, vpn, shift) >> 32) % t->sets);
}

/* ---- the index of valid entries ---- */

static size_t index_home(const iommu_tlb *t, uint32_t did, uint32_t pasid, uint64_t vpn,
                         unsigned shift)
{
    return (size_t)(key_hash(did, pasid, vpn, shift) >> t->index_shift);
}

/* The valid entry with the key, or NULL (t has entries). */
static iommu_tlb_entry *index_find(const iommu_tlb *t, uint32_t did, uint32_t pasid, uint64_t vpn,
                                   unsigned shift)
{
    for (size_t i = index_home(t, did, pasid, vpn, shift); t->index[i];
         i = (i + 1) & t->index_mask) {
        iommu_tlb_entry *x = &t->e[t->index[i] - 1];
        if (x->vpn == vpn && x->did == did && x->shift == shift && x->pasid == pasid)
            return x;
    }
    return NULL;
}

static void index_add(iommu_tlb *t, const iommu_tlb_entry *x)
{
    size_t i = index_home(t, x->did, x->pasid, x->vpn, x->shift);
    while (t->index[i])
        i = (i + 1) & t->index_mask;
    t->index[i] = (uint32_t)(x - t->e) + 1;
}

/* Removes x's position, shifting later positions of its cluster back so every probe
 * still finds its entry (linear probing's deletion without tombstones). */
static void index_remove(iommu_tlb *t, const iommu_tlb_entry *x)
{
    uint32_t v = (uint32_t)(x - t->e) + 1;
    size_t i = index_home(t, x->did, x->pasid, x->vpn, x->shift);
    while (t->index[i] != v)
        i = (i + 1) & t->index_mask;
    for (size_t j = i;;) {
        j = (j + 1) & t->index_mask;
        if (!t->index[j])
            break;
        const iommu_tlb_entry *y = &t->e[t->index[j] - 1];
        size_t k = index_home(t, y->did, y->pasid, y->vpn, y->shift);
        /* Position j may move to the hole at i unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            t->index[i] = t->index[j];
            i = j;
        }
    }
    t->index[i] = 0;
}

/* ---- look-ups ---- */

iommu_tlb_entry *iommu_tlb_lookup_pasid(iommu_tlb *t, uint32_t did, uint32_t pasid, uint64_t addr,
                                        unsigned shift)
{
    if (!t->entries || !t->per_shift[shift])
        return NULL;
    iommu_tlb_entry *x = index_find(t, did, pasid, addr >> shift, shift);
    if (x)
        x->last_use = ++t->tick;
    return x;
}

iommu_tlb_entry *iommu_tlb_lookup(iommu_tlb *t, uint32_t did, uint64_t addr, unsigned shift)
{
    return iommu_tlb_lookup_pasid(t, did, 0, addr, shift);
}

iommu_tlb_entry *iommu_tlb_lookup_page(iommu_tlb *t, uint32_t did, uint64_t addr)
{
    return iommu_tlb_lookup_page_pasid(t, did, 0, addr);
}

iommu_tlb_entry *iommu_tlb_lookup_page_pasid(iommu_tlb *t, uint32_t did, uint32_t pasid,
                                             uint64_t addr)
{
    static const unsigned shifts[] = {12, 21, 30};
    /* The last entry found is the answer when it is still valid with the key and no
     * smaller page size, which the search tries first, has entries (a key has at most
     * one valid entry); the search's one side effect, the entry's tick, is the same. */
    iommu_tlb_entry *m = t->last_page;
    if (m && m->valid && m->did == did && m->pasid == pasid && m->vpn == addr >> m->shift &&
        (m->shift == 12 || (!t->per_shift[12] && (m->shift == 21 || !t->per_shift[21])))) {
        m->last_use = ++t->tick;
        return m;
    }
    for (unsigned i = 0; i < 3; i++) {
        iommu_tlb_entry *x = iommu_tlb_lookup_pasid(t, did, pasid, addr, shifts[i]);
        if (x) {
            t->last_page = x;
            return x;
        }
    }
    return NULL;
}

const iommu_tlb_entry *iommu_tlb_peek_page(const iommu_tlb *t, uint32_t did, uint64_t addr)
{
    return iommu_tlb_peek_page_pasid(t, did, 0, addr);
}

const iommu_tlb_entry *iommu_tlb_peek_page_pasid(const iommu_tlb *t, uint32_t did, uint32_t pasid,
                                                 uint64_t addr)
{
    static const unsigned shifts[] = {12, 21, 30};
    if (!t->entries)
        return NULL;
    for (unsigned i = 0; i < 3; i++) {
        const iommu_tlb_entry *x = index_find(t, did, pasid, addr >> shifts[i], shifts[i]);
        if (x)
            return x;
    }
    return NULL;
}

static void drop(iommu_tlb *t, iommu_tlb_entry *x)
{
    index_remove(t, x);
    t->set[(size_t)(x - t->e) / t->ways].valid--;
    x->valid = 0;
    t->valid--;
    t->per_shift[x->shift]--;
}

/* Sorts the ways of full set si by last use (an insertion sort from the last order,
 * which is nearly sorted: the ways were replaced in that order) and returns the least
 * recent, taken. */
static uint32_t sort_set(iommu_tlb *t, uint32_t si)
{
    tlb_set *s = &t->set[si];
    const iommu_tlb_entry *set = &t->e[(size_t)si * t->ways];
    uint32_t *order = &t->order[(size_t)si * t->ways];
    for (uint32_t i = 1; i < t->ways; i++) {
        uint32_t w = order[i], j = i;
        uint64_t u = set[w].last_use;
        for (; j > 0 && set[order[j - 1]].last_use > u; j--)
            order[j] = order[j - 1];
        order[j] = w;
    }
    s->sort_tick = t->tick;
    s->unsorted = t->ways - 1;
    return order[0];
}

/* The least recently used way of full set si (see `order`). */
static uint32_t oldest(iommu_tlb *t, uint32_t si)
{
    tlb_set *s = &t->set[si];
    size_t base = (size_t)si * t->ways;
    while (s->unsorted) {
        uint32_t w = t->order[base + t->ways - s->unsorted--];
        if (t->e[base + w].last_use <= s->sort_tick)
            return w; /* not used since the sort */
    }
    return sort_set(t, si);
}

void iommu_tlb_insert(iommu_tlb *t, const iommu_tlb_entry *e)
{
    if (!t->entries)
        return;
    assert(e->shift < MAX_SHIFT);
    /* The entry with the same key, else the set's first empty way, else its least
     * recently used. */
    iommu_tlb_entry *victim = index_find(t, e->did, e->pasid, e->vpn, e->shift);
    if (!victim) {
        uint32_t si = set_of(t, e->did, e->pasid, e->vpn, e->shift);
        iommu_tlb_entry *set = &t->e[(size_t)si * t->ways];
        if (t->set[si].valid == t->ways) {
            victim = &set[oldest(t, si)];
        } else {
            victim = set;
            while (victim->valid)
                victim++;
        }
    }
    if (victim->valid)
        drop(t, victim);
    *victim = *e;
    t->set[(size_t)(victim - t->e) / t->ways].valid++;
    victim->valid = 1;
    victim->last_use = ++t->tick;
    t->valid++;
    t->per_shift[e->shift]++;
    index_add(t, victim);
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

uint32_t iommu_tlb_inv_pasid(iommu_tlb *t, uint32_t did, uint32_t pasid)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->entries; i++)
        if (t->e[i].valid && t->e[i].did == did && t->e[i].pasid == pasid) {
            drop(t, &t->e[i]);
            n++;
        }
    return n;
}

/* Entries of did (of pasid unless any_pasid) overlapping [addr, addr + bytes). */
static uint32_t inv_range(iommu_tlb *t, uint32_t did, bool any_pasid, uint32_t pasid,
                          uint64_t addr, uint64_t bytes)
{
    uint32_t n = 0;
    uint64_t last = addr + (bytes ? bytes - 1 : 0);
    if (last < addr)
        last = UINT64_MAX; /* a range past 2^64 covers the rest of the space */
    for (uint32_t i = 0; i < t->entries; i++) {
        iommu_tlb_entry *x = &t->e[i];
        if (!x->valid || x->did != did || (!any_pasid && x->pasid != pasid))
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

uint32_t iommu_tlb_inv_range(iommu_tlb *t, uint32_t did, uint64_t addr, uint64_t bytes)
{
    return inv_range(t, did, true, 0, addr, bytes);
}

uint32_t iommu_tlb_inv_pasid_range(iommu_tlb *t, uint32_t did, uint32_t pasid, uint64_t addr,
                                   uint64_t bytes)
{
    return inv_range(t, did, false, pasid, addr, bytes);
}

uint32_t iommu_tlb_entries(const iommu_tlb *t) { return t->entries; }
uint32_t iommu_tlb_valid(const iommu_tlb *t) { return t->valid; }
