/* The configuration bus: functions by routing ID, configuration requests by routing ID
 * or through ECAM, enumeration from a root port, and BAR placement as firmware does it
 * (see cfgspace.h for the contract).
 *
 * The bus is a two-level table (bus number, then device/function) so attach, detach
 * and look-up are O(1) without a 512 KiB flat table per platform. */
#include "models/pcie/cfgspace.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pcie/cfgspace_impl.h"
#include "sim/alloc.h"

pcie_cfg_bus *pcie_cfg_bus_create(void) { return sim_xcalloc(1, sizeof(pcie_cfg_bus)); }

void pcie_cfg_bus_destroy(pcie_cfg_bus *b)
{
    if (!b)
        return;
    for (unsigned bus = 0; bus < 256; bus++) {
        if (!b->slot[bus])
            continue;
        for (unsigned df = 0; df < 256; df++)
            if (b->slot[bus][df])
                b->slot[bus][df]->bus = NULL;
        free(b->slot[bus]);
    }
    free(b);
}

bool pcie_cfg_bus_attach(pcie_cfg_bus *b, uint16_t rid, pcie_cfg *c)
{
    assert(c && !c->bus && "a function has one routing ID");
    pcie_cfg ***tab = &b->slot[rid >> 8];
    if (!*tab)
        *tab = sim_xcalloc(256, sizeof **tab);
    if ((*tab)[rid & 0xffu])
        return false;
    (*tab)[rid & 0xffu] = c;
    c->bus = b;
    c->rid = rid;
    b->n++;
    return true;
}

pcie_cfg *pcie_cfg_bus_detach(pcie_cfg_bus *b, uint16_t rid)
{
    pcie_cfg **tab = b->slot[rid >> 8];
    pcie_cfg *c = tab ? tab[rid & 0xffu] : NULL;
    if (!c)
        return NULL;
    tab[rid & 0xffu] = NULL;
    c->bus = NULL;
    b->n--;
    return c;
}

pcie_cfg *pcie_cfg_bus_lookup(const pcie_cfg_bus *b, uint16_t rid)
{
    pcie_cfg *const *tab = b->slot[rid >> 8];
    return tab ? tab[rid & 0xffu] : NULL;
}

size_t pcie_cfg_bus_functions(const pcie_cfg_bus *b) { return b->n; }

uint32_t pcie_cfg_bus_read(pcie_cfg_bus *b, uint16_t rid, uint16_t reg, unsigned size)
{
    b->ctr.cfg_reads++;
    pcie_cfg *c = pcie_cfg_bus_lookup(b, rid);
    if (!c) {
        /* Unsupported Request: the root complex completes the CPU's read with
         * all-ones, which is how software sees Vendor ID FFFFh. */
        b->ctr.ur_reads++;
        return pcie_cfg_all_ones(size);
    }
    return pcie_cfg_read(c, reg, size);
}

void pcie_cfg_bus_write(pcie_cfg_bus *b, uint16_t rid, uint16_t reg, unsigned size, uint32_t val)
{
    b->ctr.cfg_writes++;
    pcie_cfg *c = pcie_cfg_bus_lookup(b, rid);
    if (!c) {
        b->ctr.ur_writes++;
        return;
    }
    pcie_cfg_write(c, reg, size, val);
}

uint32_t pcie_cfg_bus_ecam_read(pcie_cfg_bus *b, uint64_t ecam_off, unsigned size)
{
    if (ecam_off >= PCIE_ECAM_WINDOW_BYTES) {
        b->ctr.ecam_errors++;
        return pcie_cfg_all_ones(size);
    }
    return pcie_cfg_bus_read(b, (uint16_t)(ecam_off >> PCIE_ECAM_FN_SHIFT),
                             (uint16_t)(ecam_off & PCIE_ECAM_REG_MASK), size);
}

void pcie_cfg_bus_ecam_write(pcie_cfg_bus *b, uint64_t ecam_off, unsigned size, uint32_t val)
{
    if (ecam_off >= PCIE_ECAM_WINDOW_BYTES) {
        b->ctr.ecam_errors++;
        return;
    }
    pcie_cfg_bus_write(b, (uint16_t)(ecam_off >> PCIE_ECAM_FN_SHIFT),
                       (uint16_t)(ecam_off & PCIE_ECAM_REG_MASK), size, val);
}

size_t pcie_cfg_bus_enumerate(pcie_cfg_bus *b, unsigned bus_count, uint16_t *rids, size_t max_rids)
{
    size_t found = 0;
    if (bus_count > 256)
        bus_count = 256;
    for (unsigned bus = 0; bus < bus_count; bus++) {
        for (unsigned dev = 0; dev < 32; dev++) {
            uint16_t rid0 = pcie_cfg_rid(bus, dev, 0);
            if (pcie_cfg_bus_read(b, rid0, PCIE_CFG_VENDOR_ID, 2) == 0xffffu)
                continue;
            if (found < max_rids)
                rids[found] = rid0;
            found++;
            /* A single-function device may not decode the function number at all,
             * so functions 1-7 are probed only when function 0 says they exist. */
            if (!(pcie_cfg_bus_read(b, rid0, PCIE_CFG_HEADER_TYPE, 1) &
                  PCIE_HDR_TYPE_MULTI_FUNCTION))
                continue;
            for (unsigned fn = 1; fn < 8; fn++) {
                uint16_t rid = pcie_cfg_rid(bus, dev, fn);
                if (pcie_cfg_bus_read(b, rid, PCIE_CFG_VENDOR_ID, 2) == 0xffffu)
                    continue;
                if (found < max_rids)
                    rids[found] = rid;
                found++;
            }
        }
    }
    return found;
}

typedef struct bar_req {
    size_t fn; /* index into the caller's rids */
    uint16_t rid;
    uint8_t index;
    bool is_64bit;
    uint64_t size;
} bar_req;

/* 32-bit BARs first so they take the low end of a window that straddles 4 GiB;
 * within a kind, largest first, so each BAR starts aligned where the previous one
 * ended and the window does not fragment; then by function and slot, so the
 * placement is the same on every run. */
static int bar_req_cmp(const void *pa, const void *pb)
{
    const bar_req *a = pa, *b = pb;
    if (a->is_64bit != b->is_64bit)
        return a->is_64bit ? 1 : -1;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    if (a->fn != b->fn)
        return a->fn < b->fn ? -1 : 1;
    return (int)a->index - (int)b->index;
}

/* One BAR register through all-ones: what it reads back, its old value written back
 * when restoring. */
static uint32_t probe_reg(pcie_cfg_bus *b, uint16_t rid, uint16_t reg, bool restore)
{
    uint32_t orig = restore ? pcie_cfg_bus_read(b, rid, reg, 4) : 0;
    pcie_cfg_bus_write(b, rid, reg, 4, 0xffffffffu);
    uint32_t v = pcie_cfg_bus_read(b, rid, reg, 4);
    if (restore)
        pcie_cfg_bus_write(b, rid, reg, 4, orig);
    return v;
}

uint64_t pcie_cfg_bus_size_bar(pcie_cfg_bus *b, uint16_t rid, uint16_t reg, bool has_upper,
                               bool restore, bool *is_64bit)
{
    if (is_64bit)
        *is_64bit = false;
    uint32_t lo = probe_reg(b, rid, reg, restore);
    if (lo == 0 || (lo & PCIE_BAR_IO_SPACE))
        return 0;
    bool is64 = (lo & PCIE_BAR_MEM_TYPE) == PCIE_BAR_MEM_TYPE_64 && has_upper;
    uint32_t hi = 0xffffffffu; /* a 32-bit BAR decodes no address bits above 31 */
    if (is64)
        hi = probe_reg(b, rid, (uint16_t)(reg + 4u), restore);
    if (is_64bit)
        *is_64bit = is64;
    uint64_t mask = ((uint64_t)hi << 32) | (lo & PCIE_BAR_MEM_ADDR);
    return mask ? ~mask + 1 : 0;
}

/* Size one BAR slot in place. Returns the slot count it took (1, or 2 for a 64-bit
 * BAR) and fills *req; req->size is 0 for an unimplemented slot or an I/O BAR (there
 * is no I/O window to place it in). */
static unsigned size_bar(pcie_cfg_bus *b, uint16_t rid, unsigned i, bar_req *req)
{
    bool is64;
    req->size = pcie_cfg_bus_size_bar(b, rid, (uint16_t)PCIE_CFG_BAR(i),
                                      i + 1 < PCIE_CFG_NUM_BARS, true, &is64);
    req->rid = rid;
    req->index = (uint8_t)i;
    req->is_64bit = is64;
    return is64 ? 2 : 1;
}

size_t pcie_cfg_bus_assign_bars(pcie_cfg_bus *b, const uint16_t *rids, size_t n, uint64_t base,
                                uint64_t size, uint64_t *end)
{
    const uint32_t decode = PCIE_CMD_MEMORY_SPACE | PCIE_CMD_BUS_MASTER;
    bar_req *reqs = sim_xcalloc(n * PCIE_CFG_NUM_BARS, sizeof *reqs);
    uint32_t *cmd = sim_xcalloc(n, sizeof *cmd);
    bool *failed = sim_xcalloc(n, sizeof *failed);
    size_t n_reqs = 0;

    /* Sizing moves the BAR through all-ones: decoding must be off meanwhile, or the
     * function would claim most of the address space for a moment. */
    for (size_t k = 0; k < n; k++) {
        if (!pcie_cfg_bus_lookup(b, rids[k]))
            continue;
        cmd[k] = pcie_cfg_bus_read(b, rids[k], PCIE_CFG_COMMAND, 2);
        pcie_cfg_bus_write(b, rids[k], PCIE_CFG_COMMAND, 2, cmd[k] & ~decode);
        for (unsigned i = 0; i < PCIE_CFG_NUM_BARS;) {
            bar_req r;
            i += size_bar(b, rids[k], i, &r);
            if (r.size) {
                r.fn = k;
                reqs[n_reqs++] = r;
            }
        }
    }
    qsort(reqs, n_reqs, sizeof *reqs, bar_req_cmp);

    uint64_t limit = size > UINT64_MAX - base ? UINT64_MAX : base + size;
    uint64_t cursor = base, top = base;
    size_t unplaced = 0;
    for (size_t j = 0; j < n_reqs; j++) {
        const bar_req *r = &reqs[j];
        uint64_t align = r->size - 1;
        bool fits = cursor <= UINT64_MAX - align;
        uint64_t addr = fits ? (cursor + align) & ~align : 0;
        fits = fits && addr <= limit && r->size <= limit - addr;
        if (fits && !r->is_64bit)
            fits = addr + r->size <= (1ull << 32);
        if (!fits) {
            failed[r->fn] = true;
            unplaced++;
            continue;
        }
        uint16_t reg = (uint16_t)PCIE_CFG_BAR(r->index);
        pcie_cfg_bus_write(b, r->rid, reg, 4, (uint32_t)addr);
        if (r->is_64bit)
            pcie_cfg_bus_write(b, r->rid, (uint16_t)(reg + 4u), 4, (uint32_t)(addr >> 32));
        cursor = addr + r->size;
        if (cursor > top)
            top = cursor;
    }

    for (size_t k = 0; k < n; k++) {
        if (!pcie_cfg_bus_lookup(b, rids[k]) || failed[k])
            continue;
        pcie_cfg_bus_write(b, rids[k], PCIE_CFG_COMMAND, 2, cmd[k] | decode);
    }
    free(reqs);
    free(cmd);
    free(failed);
    if (end)
        *end = top;
    return unplaced;
}

pcie_cfg_bus_counters pcie_cfg_bus_get_counters(const pcie_cfg_bus *b) { return b->ctr; }

void pcie_cfg_bus_register_stats(pcie_cfg_bus *b, sim_stats *s, const char *prefix)
{
    pcie_cfg_register_counter(s, prefix, "cfg_reads", &b->ctr.cfg_reads,
                              "configuration reads routed by the bus");
    pcie_cfg_register_counter(s, prefix, "cfg_writes", &b->ctr.cfg_writes,
                              "configuration writes routed by the bus");
    pcie_cfg_register_counter(s, prefix, "ur_reads", &b->ctr.ur_reads,
                              "configuration reads of absent functions (completed with all-ones)");
    pcie_cfg_register_counter(s, prefix, "ur_writes", &b->ctr.ur_writes,
                              "configuration writes to absent functions (dropped)");
    pcie_cfg_register_counter(s, prefix, "ecam_errors", &b->ctr.ecam_errors,
                              "ECAM accesses outside the 256 MiB window");
}
