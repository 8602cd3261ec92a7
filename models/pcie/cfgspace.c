/* PCI Express configuration space as data (see cfgspace.h for the contract).
 *
 * Each function keeps five 4 KiB byte arrays: the value, the write mask, the
 * write-1-to-clear mask, a "quiet" mask and the reset defaults. The quiet mask marks
 * read-only bits that software legitimately writes ones to (the hardwired address
 * and type bits of a BAR during sizing, a trigger bit such as Initiate FLR that reads
 * as 0), so that the read-only-write counter only counts mistakes. 20 KiB per
 * function is 5 MiB for a PF with 256 VFs, which buys a branch-free write rule and
 * no per-register tables to keep consistent with the spec's layouts.
 *
 * A software mistake is a write that tries to set a read-only bit that reads 0.
 * Writing 0 over a read-only 1 is not counted: clearing Status errors writes only
 * the RW1C bits and so zeros over Capabilities List, and read-modify-write carries
 * read-only ones back unchanged; neither is a mistake.
 */
#include "models/pcie/cfgspace.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pcie/cfgspace_impl.h"
#include "sim/alloc.h"

/* Only asserts use it: inline keeps NDEBUG builds free of an unused-function warning. */
static inline bool valid_access(unsigned off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && off % size == 0 &&
           off + size <= PCIE_CFG_SIZE;
}

static bool is_pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

/* ---------------------------------------------------------------- raw bytes */

static uint32_t load(const uint8_t *a, unsigned off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)a[off + i] << (8 * i);
    return v;
}

static void store(uint8_t *a, unsigned off, unsigned size, uint32_t v)
{
    for (unsigned i = 0; i < size; i++)
        a[off + i] = (uint8_t)(v >> (8 * i));
}

static void val_changed(pcie_cfg *c, unsigned off, unsigned size);

uint32_t pcie_cfg_get(const pcie_cfg *c, uint16_t off, unsigned size)
{
    assert(valid_access(off, size));
    return load(c->val, off, size);
}

void pcie_cfg_set(pcie_cfg *c, uint16_t off, unsigned size, uint32_t val)
{
    assert(valid_access(off, size));
    store(c->val, off, size, val);
    val_changed(c, off, size);
}

/* Masks may be set on any byte range a device finds convenient (e.g. 3 bytes); the
 * public setters take register-shaped accesses. */
static void set_mask(pcie_cfg *c, uint8_t *mask, const uint8_t *other, unsigned off,
                     unsigned size, uint32_t m)
{
    assert(off + size <= PCIE_CFG_SIZE);
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(m >> (8 * i));
        assert(!(b & other[off + i]) && "a bit is either writable or write-1-to-clear");
        (void)other;
        mask[off + i] = b;
        /* The bit's value now is its reset default. */
        c->dflt[off + i] = (uint8_t)((c->dflt[off + i] & ~b) | (c->val[off + i] & b));
    }
}

void pcie_cfg_set_wmask(pcie_cfg *c, uint16_t off, unsigned size, uint32_t mask)
{
    assert(valid_access(off, size));
    set_mask(c, c->wmask, c->w1cmask, off, size, mask);
}

void pcie_cfg_set_w1cmask(pcie_cfg *c, uint16_t off, unsigned size, uint32_t mask)
{
    assert(valid_access(off, size));
    set_mask(c, c->w1cmask, c->wmask, off, size, mask);
}

uint32_t pcie_cfg_wmask(const pcie_cfg *c, uint16_t off, unsigned size)
{
    assert(valid_access(off, size));
    return load(c->wmask, off, size);
}

uint32_t pcie_cfg_w1cmask(const pcie_cfg *c, uint16_t off, unsigned size)
{
    assert(valid_access(off, size));
    return load(c->w1cmask, off, size);
}

static void set_quiet(pcie_cfg *c, unsigned off, unsigned size, uint32_t m)
{
    assert(off + size <= PCIE_CFG_SIZE);
    store(c->quiet, off, size, m);
}

/* ---------------------------------------------------------------- create / reset */

pcie_cfg *pcie_cfg_create(uint16_t vendor_id, uint16_t device_id, uint32_t class_code)
{
    assert(class_code <= 0xffffffu);
    pcie_cfg *c = sim_xcalloc(1, sizeof *c);
    c->cap_free = PCIE_CAP_AREA_START;
    c->ext_free = PCIE_EXT_CAP_START;

    pcie_cfg_set(c, PCIE_CFG_VENDOR_ID, 2, vendor_id);
    pcie_cfg_set(c, PCIE_CFG_DEVICE_ID, 2, device_id);
    store(c->val, PCIE_CFG_CLASS_CODE, 3, class_code);
    pcie_cfg_set(c, PCIE_CFG_HEADER_TYPE, 1, PCIE_HDR_TYPE_0);

    /* I/O Space Enable stays hardwired: no model has an I/O BAR. The other Command
     * bits that PCI Express keeps are RW; the rest are hardwired 0. */
    pcie_cfg_set_wmask(c, PCIE_CFG_COMMAND, 2,
                       PCIE_CMD_MEMORY_SPACE | PCIE_CMD_BUS_MASTER |
                           PCIE_CMD_PARITY_ERROR_RESPONSE | PCIE_CMD_SERR_ENABLE |
                           PCIE_CMD_INTX_DISABLE);
    pcie_cfg_set_w1cmask(c, PCIE_CFG_STATUS, 2, PCIE_STS_ERROR_BITS);
    pcie_cfg_set_wmask(c, PCIE_CFG_CACHE_LINE_SIZE, 1, 0xff);
    pcie_cfg_set_wmask(c, PCIE_CFG_INTERRUPT_LINE, 1, 0xff);

    /* Software sizes every BAR slot and the Expansion ROM BAR, implemented or not. */
    set_quiet(c, PCIE_CFG_BAR0, 4, 0xffffffffu);
    set_quiet(c, PCIE_CFG_BAR1, 4, 0xffffffffu);
    set_quiet(c, PCIE_CFG_BAR2, 4, 0xffffffffu);
    set_quiet(c, PCIE_CFG_BAR3, 4, 0xffffffffu);
    set_quiet(c, PCIE_CFG_BAR4, 4, 0xffffffffu);
    set_quiet(c, PCIE_CFG_BAR5, 4, 0xffffffffu);
    set_quiet(c, PCIE_CFG_EXPANSION_ROM, 4, 0xffffffffu);
    return c;
}

void pcie_cfg_destroy(pcie_cfg *c)
{
    if (!c)
        return;
    if (c->bus)
        pcie_cfg_bus_detach(c->bus, c->rid);
    free(c->handlers);
    free(c);
}

void pcie_cfg_reset(pcie_cfg *c)
{
    for (unsigned i = 0; i < PCIE_CFG_SIZE; i++) {
        uint8_t m = (uint8_t)(c->wmask[i] | c->w1cmask[i]);
        c->val[i] = (uint8_t)((c->val[i] & ~m) | (c->dflt[i] & m));
    }
    val_changed(c, 0, PCIE_CFG_SIZE);
}

/* ---------------------------------------------------------------- software access */

static bool check_access(pcie_cfg *c, uint16_t off, unsigned size)
{
    if ((size != 1 && size != 2 && size != 4) || off % size != 0) {
        c->ctr.misaligned++;
        return false;
    }
    if ((unsigned)off + size > PCIE_CFG_SIZE) {
        c->ctr.out_of_range++;
        return false;
    }
    return true;
}

uint32_t pcie_cfg_read(pcie_cfg *c, uint16_t off, unsigned size)
{
    c->ctr.reads++;
    if (!check_access(c, off, size))
        return pcie_cfg_all_ones(size);
    return load(c->val, off, size);
}

static bool overlaps(unsigned a, unsigned alen, unsigned b, unsigned blen)
{
    return a < b + blen && b < a + alen;
}

void pcie_cfg_write(pcie_cfg *c, uint16_t off, unsigned size, uint32_t val)
{
    c->ctr.writes++;
    if (!check_access(c, off, size))
        return;

    pcie_cfg_write_info w = {
        .off = off, .size = (uint8_t)size, .value = val, .old_val = load(c->val, off, size)};
    bool ro_touched = false;
    for (unsigned i = 0; i < size; i++) {
        unsigned a = off + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        uint8_t old = c->val[a];
        uint8_t wm = c->wmask[a], w1c = c->w1cmask[a];
        if (b & (uint8_t)~old & (uint8_t)~(wm | w1c | c->quiet[a]))
            ro_touched = true;
        uint8_t nv = (uint8_t)((old & ~wm) | (b & wm));
        c->val[a] = (uint8_t)(nv & ~(b & w1c));
    }
    if (ro_touched)
        c->ctr.ro_writes++;
    w.new_val = load(c->val, off, size);
    val_changed(c, off, size); /* before the handlers, which may decode */

    /* Handlers installed by a handler do not see the write that installed them; the
     * array may move under a handler that installs one, so copy each entry. */
    size_t n = c->n_handlers;
    for (size_t i = 0; i < n; i++) {
        cfg_handler h = c->handlers[i];
        if (overlaps(off, size, h.off, h.len))
            h.fn(c, &w, h.ctx);
    }
}

void pcie_cfg_set_write_handler(pcie_cfg *c, uint16_t off, unsigned len, pcie_cfg_write_fn fn,
                                void *ctx)
{
    assert(fn && len > 0 && (unsigned)off + len <= PCIE_CFG_SIZE);
    if (c->n_handlers == c->cap_handlers) {
        c->cap_handlers = c->cap_handlers ? 2 * c->cap_handlers : 8;
        c->handlers = sim_xrealloc(c->handlers, c->cap_handlers * sizeof *c->handlers);
    }
    c->handlers[c->n_handlers++] = (cfg_handler){(uint16_t)off, (uint16_t)len, fn, ctx};
}

bool pcie_cfg_write_touches(const pcie_cfg_write_info *w, uint16_t reg, unsigned len)
{
    return overlaps(w->off, w->size, reg, len);
}

uint32_t pcie_cfg_write_old(const pcie_cfg *c, const pcie_cfg_write_info *w, uint16_t reg,
                            unsigned len)
{
    assert((len == 1 || len == 2 || len == 4) && (unsigned)reg + len <= PCIE_CFG_SIZE);
    uint32_t v = 0;
    for (unsigned i = 0; i < len; i++) {
        unsigned a = reg + i;
        uint8_t b = (a >= w->off && a < (unsigned)w->off + w->size)
                        ? (uint8_t)(w->old_val >> (8 * (a - w->off)))
                        : c->val[a];
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

uint32_t pcie_cfg_write_value(const pcie_cfg_write_info *w, uint16_t reg, unsigned len)
{
    assert((len == 1 || len == 2 || len == 4) && (unsigned)reg + len <= PCIE_CFG_SIZE);
    uint32_t v = 0;
    for (unsigned i = 0; i < len; i++) {
        unsigned a = reg + i;
        if (a >= w->off && a < (unsigned)w->off + w->size)
            v |= (w->value >> (8 * (a - w->off)) & 0xffu) << (8 * i);
    }
    return v;
}

/* ---------------------------------------------------------------- BARs */

bool pcie_cfg_init_bar_reg(pcie_cfg *c, uint16_t off, uint64_t size_bytes, bool is_64bit,
                           bool prefetchable)
{
    unsigned regs = is_64bit ? 8 : 4;
    if (off % 4 || (unsigned)off + regs > PCIE_CFG_SIZE)
        return false;
    if (size_bytes == 0) {
        store(c->val, off, regs, 0);
        set_mask(c, c->w1cmask, c->wmask, off, regs, 0);
        set_mask(c, c->wmask, c->w1cmask, off, regs, 0);
        set_quiet(c, off, regs, 0xffffffffu);
        val_changed(c, off, regs);
        return true;
    }
    if (!is_pow2(size_bytes) || size_bytes < PCIE_BAR_MIN_MEM_SIZE ||
        (!is_64bit && size_bytes > (1ull << 31)))
        return false;

    uint64_t addr_mask = ~(size_bytes - 1);
    uint32_t flags = (is_64bit ? PCIE_BAR_MEM_TYPE_64 : PCIE_BAR_MEM_TYPE_32) |
                     (prefetchable ? PCIE_BAR_PREFETCHABLE : 0);
    store(c->val, off, 4, flags);
    set_mask(c, c->w1cmask, c->wmask, off, 4, 0);
    set_mask(c, c->wmask, c->w1cmask, off, 4, (uint32_t)addr_mask & PCIE_BAR_MEM_ADDR);
    set_quiet(c, off, 4, 0xffffffffu);
    if (is_64bit) {
        store(c->val, off + 4u, 4, 0);
        set_mask(c, c->w1cmask, c->wmask, off + 4u, 4, 0);
        set_mask(c, c->wmask, c->w1cmask, off + 4u, 4, (uint32_t)(addr_mask >> 32));
        set_quiet(c, off + 4u, 4, 0xffffffffu);
    }
    val_changed(c, off, regs);
    return true;
}

uint64_t pcie_cfg_bar_reg_address(const pcie_cfg *c, uint16_t off, bool is_64bit)
{
    uint64_t a = pcie_cfg_get(c, off, 4) & PCIE_BAR_MEM_ADDR;
    if (is_64bit)
        a |= (uint64_t)pcie_cfg_get(c, (uint16_t)(off + 4u), 4) << 32;
    return a;
}

bool pcie_cfg_add_bar(pcie_cfg *c, unsigned index, uint64_t size_bytes, bool is_64bit,
                      bool prefetchable)
{
    if (index >= PCIE_CFG_NUM_BARS || (is_64bit && index + 1 >= PCIE_CFG_NUM_BARS) ||
        size_bytes == 0)
        return false;
    if (c->bar[index].size || c->bar[index].upper)
        return false;
    if (is_64bit && (c->bar[index + 1].size || c->bar[index + 1].upper))
        return false;
    if (!pcie_cfg_init_bar_reg(c, (uint16_t)PCIE_CFG_BAR(index), size_bytes, is_64bit,
                               prefetchable))
        return false;
    c->bar[index] = (cfg_bar){.size = size_bytes, .is_64bit = is_64bit};
    if (is_64bit)
        c->bar[index + 1] = (cfg_bar){.upper = true};
    val_changed(c, (uint16_t)PCIE_CFG_BAR(index), is_64bit ? 8 : 4);
    return true;
}

static bool bar_present(const pcie_cfg *c, unsigned index)
{
    return index < PCIE_CFG_NUM_BARS && c->bar[index].size;
}

/* Decoding depends on Memory Space Enable and the BAR registers only: a change to
 * anything else leaves it as it is. */
static void val_changed(pcie_cfg *c, unsigned off, unsigned size)
{
    if (!overlaps(off, size, PCIE_CFG_COMMAND, 2) &&
        !overlaps(off, size, PCIE_CFG_BAR0, 4 * PCIE_CFG_NUM_BARS))
        return;
    bool enabled = pcie_cfg_get(c, PCIE_CFG_COMMAND, 2) & PCIE_CMD_MEMORY_SPACE;
    c->ndec = 0;
    for (unsigned i = 0; i < PCIE_CFG_NUM_BARS; i++) {
        uint64_t base = bar_present(c, i) ? pcie_cfg_bar_reg_address(c, (uint16_t)PCIE_CFG_BAR(i),
                                                                     c->bar[i].is_64bit)
                                          : 0;
        c->bar_base[i] = base;
        /* Address 0 is "not assigned": no platform maps device memory there. */
        if (enabled && base) {
            c->dec[c->ndec].base = base;
            c->dec[c->ndec].size = c->bar[i].size;
            c->dec[c->ndec].index = i;
            c->ndec++;
        }
    }
}

uint64_t pcie_cfg_bar_address(const pcie_cfg *c, unsigned index)
{
    return index < PCIE_CFG_NUM_BARS ? c->bar_base[index] : 0;
}

uint64_t pcie_cfg_bar_size(const pcie_cfg *c, unsigned index)
{
    return bar_present(c, index) ? c->bar[index].size : 0;
}

bool pcie_cfg_bar_is_64bit(const pcie_cfg *c, unsigned index)
{
    return bar_present(c, index) && c->bar[index].is_64bit;
}

bool pcie_cfg_memory_enabled(const pcie_cfg *c)
{
    return pcie_cfg_get(c, PCIE_CFG_COMMAND, 2) & PCIE_CMD_MEMORY_SPACE;
}

bool pcie_cfg_bus_master(const pcie_cfg *c)
{
    return pcie_cfg_get(c, PCIE_CFG_COMMAND, 2) & PCIE_CMD_BUS_MASTER;
}

bool pcie_cfg_bar_decode(const pcie_cfg *c, uint64_t addr, unsigned *index, uint64_t *offset)
{
    for (unsigned k = 0; k < c->ndec; k++) {
        uint64_t base = c->dec[k].base;
        if (addr >= base && addr - base < c->dec[k].size) {
            if (index)
                *index = c->dec[k].index;
            if (offset)
                *offset = addr - base;
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------------- capabilities */

uint8_t pcie_cfg_add_capability(pcie_cfg *c, uint8_t id, unsigned size)
{
    if (size < 2)
        return 0;
    unsigned sz = (size + 3u) & ~3u;
    if (sz > PCIE_CAP_AREA_END - c->cap_free)
        return 0;
    uint8_t off = (uint8_t)c->cap_free;
    c->cap_free += sz;

    c->val[off + PCIE_CAP_ID] = id;
    c->val[off + PCIE_CAP_NEXT] = 0;
    if (c->cap_last)
        c->val[c->cap_last + PCIE_CAP_NEXT] = off;
    else {
        c->val[PCIE_CFG_CAP_PTR] = off;
        pcie_cfg_set(c, PCIE_CFG_STATUS, 2,
                     pcie_cfg_get(c, PCIE_CFG_STATUS, 2) | PCIE_STS_CAP_LIST);
    }
    c->cap_last = off;
    if (id == PCIE_CAP_ID_EXP && !c->exp_off)
        c->exp_off = off;
    if (id == PCIE_CAP_ID_MSIX && !c->msix_off)
        c->msix_off = off;
    return off;
}

uint16_t pcie_cfg_add_ext_capability(pcie_cfg *c, uint16_t id, unsigned version, unsigned size)
{
    if (size < 4 || version > 0xf)
        return 0;
    unsigned sz = (size + 3u) & ~3u;
    if (sz > PCIE_CFG_SIZE - c->ext_free)
        return 0;
    uint16_t off = (uint16_t)c->ext_free;
    c->ext_free += sz;

    pcie_cfg_set(c, off, 4, PCIE_EXT_CAP_HDR(id, version, 0));
    if (c->ext_last) {
        uint32_t h = pcie_cfg_get(c, c->ext_last, 4);
        h = (h & ~PCIE_EXT_CAP_HDR_NEXT) | ((uint32_t)off << PCIE_EXT_CAP_HDR_NEXT_SHIFT);
        pcie_cfg_set(c, c->ext_last, 4, h);
    }
    c->ext_last = off;
    return off;
}

uint8_t pcie_cfg_find_capability(const pcie_cfg *c, uint8_t id)
{
    if (!(pcie_cfg_get(c, PCIE_CFG_STATUS, 2) & PCIE_STS_CAP_LIST))
        return 0;
    /* The list is read-only to software, but a device could link it into a loop with
     * pcie_cfg_set: bound the walk by the number of DWORDs the area holds. */
    unsigned ptr = c->val[PCIE_CFG_CAP_PTR] & PCIE_CAP_PTR_MASK;
    for (unsigned hops = 0;
         ptr >= PCIE_CAP_AREA_START && hops < (PCIE_CAP_AREA_END - PCIE_CAP_AREA_START) / 4;
         hops++) {
        if (c->val[ptr + PCIE_CAP_ID] == id)
            return (uint8_t)ptr;
        ptr = c->val[ptr + PCIE_CAP_NEXT] & PCIE_CAP_PTR_MASK;
    }
    return 0;
}

uint16_t pcie_cfg_find_ext_capability(const pcie_cfg *c, uint16_t id)
{
    unsigned off = PCIE_EXT_CAP_START;
    for (unsigned hops = 0; hops < (PCIE_CFG_SIZE - PCIE_EXT_CAP_START) / 4; hops++) {
        uint32_t h = pcie_cfg_get(c, (uint16_t)off, 4);
        if (h == 0)
            return 0;
        if (PCIE_EXT_CAP_HDR_ID_OF(h) == id)
            return (uint16_t)off;
        off = PCIE_EXT_CAP_HDR_NEXT_OF(h);
        if (off < PCIE_EXT_CAP_START)
            return 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- PCI Express capability */

/* 128 << n = bytes; -1 for anything else. */
static int size_encoding(unsigned bytes)
{
    for (int n = 0; n <= PCIE_EXP_SIZE_ENC_MAX; n++)
        if (PCIE_EXP_SIZE_BYTES(n) == bytes)
            return n;
    return -1;
}

static unsigned size_bytes_of(unsigned enc)
{
    return enc <= PCIE_EXP_SIZE_ENC_MAX ? PCIE_EXP_SIZE_BYTES(enc) : 0;
}

static bool valid_link_width(unsigned w)
{
    switch (w) {
    case 1: case 2: case 4: case 8: case 12: case 16: case 32:
        return true;
    default:
        return false;
    }
}

uint8_t pcie_cfg_add_exp_capability(pcie_cfg *c, const pcie_cfg_exp_info *info)
{
    int mpss = size_encoding(info->mps_supported_bytes);
    if (c->exp_off || mpss < 0 || info->port_type > 0xf || info->max_link_speed < 1 ||
        info->max_link_speed > PCIE_LINK_SPEED_64GT || !valid_link_width(info->max_link_width))
        return 0;
    uint8_t off = pcie_cfg_add_capability(c, PCIE_CAP_ID_EXP, PCIE_EXP_SIZEOF);
    if (!off)
        return 0;
    unsigned type = info->port_type;
    bool downstream = type == PCIE_EXP_TYPE_ROOT_PORT || type == PCIE_EXP_TYPE_DOWNSTREAM;

    pcie_cfg_set(c, off + PCIE_EXP_CAP, 2, 2u | (type << PCIE_EXP_CAP_PORT_TYPE_SHIFT));

    uint32_t devcap = (info->devcap & ~PCIE_EXP_DEVCAP_MPSS) | (uint32_t)mpss;
    pcie_cfg_set(c, off + PCIE_EXP_DEVCAP, 4, devcap);

    /* Reset values from the spec: MRRS 512 bytes, Relaxed Ordering and No Snoop
     * enabled, MPS 128. Fields for optional features are writable only where the
     * Device Capabilities say the feature exists; otherwise they are hardwired 0. */
    pcie_cfg_set(c, off + PCIE_EXP_DEVCTL, 2,
                 PCIE_EXP_DEVCTL_RELAXED_ORDERING | PCIE_EXP_DEVCTL_NO_SNOOP |
                     (2u << PCIE_EXP_DEVCTL_MRRS_SHIFT));
    uint32_t devctl_w = PCIE_EXP_DEVCTL_CERE | PCIE_EXP_DEVCTL_NFERE | PCIE_EXP_DEVCTL_FERE |
                        PCIE_EXP_DEVCTL_URRE | PCIE_EXP_DEVCTL_RELAXED_ORDERING |
                        PCIE_EXP_DEVCTL_MPS | PCIE_EXP_DEVCTL_NO_SNOOP | PCIE_EXP_DEVCTL_MRRS;
    if (devcap & PCIE_EXP_DEVCAP_EXT_TAG)
        devctl_w |= PCIE_EXP_DEVCTL_EXT_TAG;
    if (devcap & PCIE_EXP_DEVCAP_PHANTOM)
        devctl_w |= PCIE_EXP_DEVCTL_PHANTOM;
    pcie_cfg_set_wmask(c, off + PCIE_EXP_DEVCTL, 2, devctl_w);
    /* Initiate FLR always reads 0; writing 1 is the request, seen by a handler. */
    if (devcap & PCIE_EXP_DEVCAP_FLR)
        set_quiet(c, off + PCIE_EXP_DEVCTL, 2, PCIE_EXP_DEVCTL_FLR);

    pcie_cfg_set_w1cmask(c, off + PCIE_EXP_DEVSTA, 2,
                         PCIE_EXP_DEVSTA_CED | PCIE_EXP_DEVSTA_NFED | PCIE_EXP_DEVSTA_FED |
                             PCIE_EXP_DEVSTA_URD);

    uint32_t lnk = info->max_link_speed | (info->max_link_width << PCIE_EXP_LNKCAP_MLW_SHIFT);
    pcie_cfg_set(c, off + PCIE_EXP_LNKCAP, 4, lnk);
    pcie_cfg_set(c, off + PCIE_EXP_LNKSTA, 2, lnk);

    /* Read Completion Boundary is set by software in endpoints and hardwired in root
     * ports; Link Disable and Retrain Link exist only in downstream-facing ports. */
    uint32_t lnkctl_w = PCIE_EXP_LNKCTL_ASPMC | PCIE_EXP_LNKCTL_CCC | PCIE_EXP_LNKCTL_EXT_SYNCH;
    if (type != PCIE_EXP_TYPE_ROOT_PORT)
        lnkctl_w |= PCIE_EXP_LNKCTL_RCB;
    if (downstream) {
        lnkctl_w |= PCIE_EXP_LNKCTL_LINK_DISABLE;
        set_quiet(c, off + PCIE_EXP_LNKCTL, 2, PCIE_EXP_LNKCTL_RETRAIN); /* reads 0 */
    }
    pcie_cfg_set_wmask(c, off + PCIE_EXP_LNKCTL, 2, lnkctl_w);

    pcie_cfg_set(c, off + PCIE_EXP_DEVCAP2, 4, info->devcap2);
    uint32_t devctl2_w = 0;
    if (info->devcap2 & PCIE_EXP_DEVCAP2_CPL_TIMEOUT_RANGES)
        devctl2_w |= PCIE_EXP_DEVCTL2_CPL_TIMEOUT_VALUE;
    if (info->devcap2 & PCIE_EXP_DEVCAP2_CPL_TIMEOUT_DISABLE)
        devctl2_w |= PCIE_EXP_DEVCTL2_CPL_TIMEOUT_DISABLE;
    if (info->devcap2 & PCIE_EXP_DEVCAP2_ARI_FORWARDING)
        devctl2_w |= PCIE_EXP_DEVCTL2_ARI_FORWARDING;
    if (info->devcap2 & PCIE_EXP_DEVCAP2_LTR)
        devctl2_w |= PCIE_EXP_DEVCTL2_LTR;
    if (info->devcap2 & PCIE_EXP_DEVCAP2_10BIT_TAG_REQUESTER)
        devctl2_w |= PCIE_EXP_DEVCTL2_10BIT_TAG_REQUESTER;
    pcie_cfg_set_wmask(c, off + PCIE_EXP_DEVCTL2, 2, devctl2_w);

    /* Supported Link Speeds Vector: every speed up to the maximum. */
    pcie_cfg_set(c, off + PCIE_EXP_LNKCAP2, 4,
                 ((1u << (info->max_link_speed + 1)) - 2u) & PCIE_EXP_LNKCAP2_SLS);
    pcie_cfg_set(c, off + PCIE_EXP_LNKCTL2, 2, info->max_link_speed);
    pcie_cfg_set_wmask(c, off + PCIE_EXP_LNKCTL2, 2,
                       PCIE_EXP_LNKCTL2_TLS | PCIE_EXP_LNKCTL2_ENTER_COMPLIANCE |
                           PCIE_EXP_LNKCTL2_HASD);
    return off;
}

static uint32_t exp_get(const pcie_cfg *c, unsigned reg, unsigned size)
{
    return pcie_cfg_get(c, (uint16_t)(c->exp_off + reg), size);
}

unsigned pcie_cfg_exp_mps_bytes(const pcie_cfg *c)
{
    if (!c->exp_off)
        return 0;
    return size_bytes_of((exp_get(c, PCIE_EXP_DEVCTL, 2) & PCIE_EXP_DEVCTL_MPS) >>
                         PCIE_EXP_DEVCTL_MPS_SHIFT);
}

unsigned pcie_cfg_exp_mrrs_bytes(const pcie_cfg *c)
{
    if (!c->exp_off)
        return 0;
    return size_bytes_of((exp_get(c, PCIE_EXP_DEVCTL, 2) & PCIE_EXP_DEVCTL_MRRS) >>
                         PCIE_EXP_DEVCTL_MRRS_SHIFT);
}

unsigned pcie_cfg_exp_mps_supported_bytes(const pcie_cfg *c)
{
    if (!c->exp_off)
        return 0;
    return size_bytes_of(exp_get(c, PCIE_EXP_DEVCAP, 4) & PCIE_EXP_DEVCAP_MPSS);
}

bool pcie_cfg_exp_set_mps_mrrs(pcie_cfg *c, unsigned mps_bytes, unsigned mrrs_bytes)
{
    int mps = size_encoding(mps_bytes), mrrs = size_encoding(mrrs_bytes);
    if (!c->exp_off || mps < 0 || mrrs < 0)
        return false;
    uint16_t reg = (uint16_t)(c->exp_off + PCIE_EXP_DEVCTL);
    uint32_t v = pcie_cfg_read(c, reg, 2);
    v &= ~(uint32_t)(PCIE_EXP_DEVCTL_MPS | PCIE_EXP_DEVCTL_MRRS);
    v |= ((uint32_t)mps << PCIE_EXP_DEVCTL_MPS_SHIFT) | ((uint32_t)mrrs << PCIE_EXP_DEVCTL_MRRS_SHIFT);
    pcie_cfg_write(c, reg, 2, v);
    return true;
}

bool pcie_cfg_exp_set_link_status(pcie_cfg *c, unsigned speed, unsigned width)
{
    if (!c->exp_off || speed < 1 || speed > PCIE_LINK_SPEED_64GT || width < 1 ||
        width > PCIE_LINK_WIDTH_MAX)
        return false;
    uint16_t reg = (uint16_t)(c->exp_off + PCIE_EXP_LNKSTA);
    uint32_t v = pcie_cfg_get(c, reg, 2) & ~(uint32_t)(PCIE_EXP_LNKSTA_CLS | PCIE_EXP_LNKSTA_NLW);
    pcie_cfg_set(c, reg, 2, v | speed | (width << PCIE_EXP_LNKSTA_NLW_SHIFT));
    return true;
}

unsigned pcie_cfg_exp_link_speed(const pcie_cfg *c)
{
    return c->exp_off ? exp_get(c, PCIE_EXP_LNKSTA, 2) & PCIE_EXP_LNKSTA_CLS : 0;
}

unsigned pcie_cfg_exp_link_width(const pcie_cfg *c)
{
    return c->exp_off ? (exp_get(c, PCIE_EXP_LNKSTA, 2) & PCIE_EXP_LNKSTA_NLW) >>
                            PCIE_EXP_LNKSTA_NLW_SHIFT
                      : 0;
}

/* ---------------------------------------------------------------- MSI-X capability */

uint8_t pcie_cfg_add_msix_capability(pcie_cfg *c, unsigned table_size, unsigned table_bir,
                                     uint32_t table_offset, unsigned pba_bir,
                                     uint32_t pba_offset)
{
    if (c->msix_off || table_size < 1 || table_size > PCIE_MSIX_MAX_VECTORS ||
        table_bir >= PCIE_CFG_NUM_BARS || pba_bir >= PCIE_CFG_NUM_BARS ||
        (table_offset & PCIE_MSIX_BIR) || (pba_offset & PCIE_MSIX_BIR))
        return 0;
    uint8_t off = pcie_cfg_add_capability(c, PCIE_CAP_ID_MSIX, PCIE_MSIX_SIZEOF);
    if (!off)
        return 0;
    pcie_cfg_set(c, off + PCIE_MSIX_MSG_CTRL, 2, table_size - 1);
    pcie_cfg_set_wmask(c, off + PCIE_MSIX_MSG_CTRL, 2,
                       PCIE_MSIX_MSG_CTRL_FUNCTION_MASK | PCIE_MSIX_MSG_CTRL_ENABLE);
    pcie_cfg_set(c, off + PCIE_MSIX_TABLE, 4, table_offset | table_bir);
    pcie_cfg_set(c, off + PCIE_MSIX_PBA, 4, pba_offset | pba_bir);
    return off;
}

static uint32_t msix_ctrl(const pcie_cfg *c)
{
    return c->msix_off ? pcie_cfg_get(c, (uint16_t)(c->msix_off + PCIE_MSIX_MSG_CTRL), 2) : 0;
}

bool pcie_cfg_msix_enabled(const pcie_cfg *c)
{
    return msix_ctrl(c) & PCIE_MSIX_MSG_CTRL_ENABLE;
}

bool pcie_cfg_msix_function_masked(const pcie_cfg *c)
{
    return msix_ctrl(c) & PCIE_MSIX_MSG_CTRL_FUNCTION_MASK;
}

unsigned pcie_cfg_msix_table_size(const pcie_cfg *c)
{
    return c->msix_off ? (msix_ctrl(c) & PCIE_MSIX_MSG_CTRL_TABLE_SIZE) + 1u : 0;
}

static bool msix_location(const pcie_cfg *c, unsigned reg, unsigned *bir, uint32_t *offset)
{
    if (!c->msix_off)
        return false;
    uint32_t v = pcie_cfg_get(c, (uint16_t)(c->msix_off + reg), 4);
    if (bir)
        *bir = v & PCIE_MSIX_BIR;
    if (offset)
        *offset = v & PCIE_MSIX_OFFSET;
    return true;
}

bool pcie_cfg_msix_table(const pcie_cfg *c, unsigned *bir, uint32_t *offset)
{
    return msix_location(c, PCIE_MSIX_TABLE, bir, offset);
}

bool pcie_cfg_msix_pba(const pcie_cfg *c, unsigned *bir, uint32_t *offset)
{
    return msix_location(c, PCIE_MSIX_PBA, bir, offset);
}

/* ---------------------------------------------------------------- counters */

pcie_cfg_counters pcie_cfg_get_counters(const pcie_cfg *c)
{
    return c->ctr;
}

void pcie_cfg_register_counter(sim_stats *s, const char *prefix, const char *name,
                              uint64_t *counter, const char *desc)
{
    char full[256];
    int n = snprintf(full, sizeof full, "%s.%s", prefix, name);
    assert(n > 0 && (size_t)n < sizeof full);
    (void)n;
    sim_stats_counter(s, full, counter, desc);
}

void pcie_cfg_register_stats(pcie_cfg *c, sim_stats *s, const char *prefix)
{
    pcie_cfg_register_counter(s, prefix, "reads", &c->ctr.reads, "configuration reads of the function");
    pcie_cfg_register_counter(s, prefix, "writes", &c->ctr.writes, "configuration writes to the function");
    pcie_cfg_register_counter(s, prefix, "misaligned", &c->ctr.misaligned,
                     "configuration accesses of a bad size or alignment (dropped)");
    pcie_cfg_register_counter(s, prefix, "out_of_range", &c->ctr.out_of_range,
                     "configuration accesses beyond 4 KiB (dropped)");
    pcie_cfg_register_counter(s, prefix, "ro_writes", &c->ctr.ro_writes,
                     "configuration writes that tried to change read-only bits");
}

bool pcie_cfg_routing_id(const pcie_cfg *c, uint16_t *rid)
{
    if (c->bus && rid)
        *rid = c->rid;
    return c->bus != NULL;
}

