/* Private to the configuration space (cfgspace.c: one function; cfgbus.c: the bus):
 * the two structures themselves. */
#ifndef MODELS_PCIE_CFGSPACE_IMPL_H
#define MODELS_PCIE_CFGSPACE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/pcie/cfgspace.h"

typedef struct cfg_handler {
    uint16_t off;
    uint16_t len;
    pcie_cfg_write_fn fn;
    void *ctx;
} cfg_handler;

typedef struct cfg_bar {
    uint64_t size; /* 0: slot unused */
    bool is_64bit;
    bool upper; /* this slot holds the upper half of the 64-bit BAR below it */
} cfg_bar;

struct pcie_cfg {
    uint8_t val[PCIE_CFG_SIZE];
    uint8_t wmask[PCIE_CFG_SIZE];
    uint8_t w1cmask[PCIE_CFG_SIZE];
    uint8_t quiet[PCIE_CFG_SIZE];
    uint8_t dflt[PCIE_CFG_SIZE];

    cfg_bar bar[PCIE_CFG_NUM_BARS];

    cfg_handler *handlers;
    size_t n_handlers, cap_handlers;

    unsigned cap_free; /* next free offset for a capability (40h..100h) */
    uint8_t cap_last;  /* last capability in the list, 0 if none */
    unsigned ext_free; /* next free offset for an extended capability */
    uint16_t ext_last;
    uint8_t exp_off; /* cached: these are looked up on every MPS/MSI-X query */
    uint8_t msix_off;
    /* BAR decoding as Command and the BAR registers say: every MMIO access decodes
     * through it, so it is refreshed whenever those registers change, not read back per
     * access. bar_base: pcie_cfg_bar_address per slot (0 without a BAR); dec: the BARs
     * that claim addresses (Memory Space Enable set, an address assigned), in slot order,
     * so a miss looks at those only. */
    uint64_t bar_base[PCIE_CFG_NUM_BARS];
    struct {
        uint64_t base, size;
        unsigned index;
    } dec[PCIE_CFG_NUM_BARS];
    unsigned ndec;

    pcie_cfg_counters ctr;

    pcie_cfg_bus *bus; /* where attached, NULL if not */
    uint16_t rid;
};

struct pcie_cfg_bus {
    pcie_cfg **slot[256]; /* per bus number: 256 device/function entries, or NULL */
    size_t n;
    pcie_cfg_bus_counters ctr;
};

/* What a failed read returns: all-ones of the access width (any odd size: 32 bits). */
static inline uint32_t pcie_cfg_all_ones(unsigned size)
{
    return size == 1 ? 0xffu : size == 2 ? 0xffffu : 0xffffffffu;
}

/* Registers the counter "prefix.name" (cfgspace.c). */
void pcie_cfg_register_counter(sim_stats *s, const char *prefix, const char *name,
                               uint64_t *counter, const char *desc);

#endif
