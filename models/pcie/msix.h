/* A function's MSI-X table entries and pending bits as device state (PCIe Base Spec
 * 6.1.4): what a device keeps per vector and the rule for when a message may go. The
 * capability's registers (MSI-X Enable, Function Mask, Table Size) are the
 * configuration space's (cfgspace.h); the table itself lives in a BAR the device
 * decodes (a register table's block, or a window), handing each access to its entry.
 *
 * Semantics. An entry is masked at reset. A message the device signals while MSI-X is
 * disabled, the function is masked or the entry is masked sets the entry's pending bit
 * instead of being sent; clearing the entry's mask with its pending bit set sends it
 * then (the device does so when pcie_msix_entry_write says). No timing lives here. */
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

/* An entry as reset leaves it: masked, nothing pending. */
static inline pcie_msix_vec pcie_msix_vec_reset(void) { return (pcie_msix_vec){.masked = true}; }

/* A write of len (4, or an aligned 8: the address, or the data with Vector Control)
 * bytes to the entry's DWORD at byte `field` (PCIE_MSIX_ENTRY_*). True when it cleared the mask of an entry whose pending bit is
 * set: the device sends the message now (pcie_msix_signal). */
bool pcie_msix_entry_write(pcie_msix_vec *v, unsigned field, uint32_t len, uint64_t value);
/* The entry's DWORD at byte `field`. */
uint32_t pcie_msix_entry_read(const pcie_msix_vec *v, unsigned field);

/* The device signals v: true when the message may go now (its address and data are
 * v's); false when it is held pending (the pending bit is now set). */
bool pcie_msix_signal(const pcie_cfg *cfg, pcie_msix_vec *v);

#endif
