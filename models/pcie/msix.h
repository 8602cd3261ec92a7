/* A function's MSI-X table entries and pending bits as device state (PCIe Base Spec
 * 6.1.4): what a device keeps per vector and the rule for when a message may go. The
 * capability's registers (MSI-X Enable, Function Mask, Table Size) are the
 * configuration space's (cfgspace.h); the table itself lives in a BAR, decoded by the
 * device, which hands table accesses here.
 *
 * Semantics. An entry is masked at reset. A message the device signals while MSI-X is
 * disabled, the function is masked or the entry is masked sets the entry's pending bit
 * instead of being sent; clearing the entry's mask with its pending bit set sends it
 * then (the device does so when pcie_msix_table_write says). No timing lives here. */
#ifndef MODELS_PCIE_MSIX_H
#define MODELS_PCIE_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "models/pcie/cfgspace.h"

typedef struct pcie_msix_vec {
    uint64_t addr; /* Message Address and Upper Address */
    uint32_t data; /* Message Data */
    bool masked;   /* Vector Control's Mask Bit */
    bool pending;  /* the Pending Bit Array's bit */
} pcie_msix_vec;

/* Every entry of table[0 .. n) as reset leaves it: masked, nothing pending. */
void pcie_msix_reset(pcie_msix_vec *table, unsigned n);

/* A write of len (4 or 8) bytes at byte offset off of the table. False when it hits no
 * entry (beyond n, or not DWORD-aligned): the device counts it. *unmasked_pending is
 * set when the write cleared the mask of an entry whose pending bit is set: the device
 * sends that vector (*vec) now. */
bool pcie_msix_table_write(pcie_msix_vec *table, unsigned n, uint64_t off, uint32_t len,
                           uint64_t value, unsigned *vec, bool *unmasked_pending);
/* A DWORD read of the table; false beyond it. */
bool pcie_msix_table_read(const pcie_msix_vec *table, unsigned n, uint64_t off, uint32_t *value);

/* The device signals v: true when the message may go now (its address and data are
 * v's); false when it is held pending (the pending bit is now set). */
bool pcie_msix_signal(const pcie_cfg *cfg, pcie_msix_vec *v);

#endif
