/* What Linux's PCI core does for any SR-IOV physical function when its driver asks for
 * VFs (drivers/pci/iov.c: sriov_enable, sriov_disable), through configuration
 * accesses to the PF's SR-IOV capability: size every VF BAR and place NumVFs of them
 * after the PF's BARs in the device's MMIO window, write NumVFs, set VF Enable and VF
 * Memory Space Enable, then enable bus mastering on each VF. Device-specific set-up
 * (a NIC's VF MAC addresses, an NVMe drive's secondary controllers) is its driver's.
 * No timing: configuration happens before a measurement window. */
#ifndef HOST_PCIIOV_H
#define HOST_PCIIOV_H

#include <stdint.h>

#include "models/pcie/cfgspace.h"
#include "sim/err.h"

/* The PF at pf_rid on bus, whose BARs lie in [mmio_base, + mmio_bytes). */
typedef struct pci_iov {
    pcie_cfg_bus *bus;
    uint16_t pf_rid;
    uint64_t mmio_base, mmio_bytes;
} pci_iov;

/* The SR-IOV capability's offset in the PF's space; 0 when it has none. */
uint16_t pci_iov_cap(const pci_iov *v);
unsigned pci_iov_total_vfs(const pci_iov *v);
/* VFs enabled now: NumVFs while VF Enable is set, else 0. */
unsigned pci_iov_num_vfs(const pci_iov *v);
/* VF vf's routing ID from First VF Offset and VF Stride. */
uint16_t pci_iov_vf_rid(const pci_iov *v, unsigned vf);
/* Enables num_vfs VFs (none enabled before, num_vfs within TotalVFs): -1 with *e set
 * when the PF has no capability, the VF BARs do not fit the window, or the device
 * refused VF Enable (its own reason is the device's to tell). */
int pci_iov_enable(const pci_iov *v, unsigned num_vfs, sim_err *e);
void pci_iov_disable(const pci_iov *v);

#endif
