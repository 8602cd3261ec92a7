/* The guest's view of an assigned function: a virtual PCI bus in the VM whose
 * configuration space is the device's, behind the hypervisor. Every configuration
 * access of the guest exits (hv.config_exit_cycles, handled in host user space as
 * QEMU's vfio-pci does) and the hypervisor then
 *   passes it to the device: identification, Command, Status, the capability list,
 *     reads of the PCI Express capability;
 *   emulates it: the BARs (the guest's addresses are guest-physical; sizing answers
 *     from the device's real sizes), Interrupt Line and Pin, Expansion ROM, writes of
 *     Device Control (the host keeps the fabric's MPS), the MSI-X capability (enabling
 *     it makes the hypervisor enable MSI-X on the device, whose vectors it has routed
 *     through interrupt remapping to the VM);
 *   or discards it: writes to extended capabilities it hides (SR-IOV, AER control).
 * The probe below is the sequence of accesses Linux's PCI core and a NIC driver's
 * probe make: read the identity, size the six BARs, walk the capabilities, set Device
 * Control, enable memory decoding and bus mastering, enable MSI-X. */
#ifndef HOST_VPCI_H
#define HOST_VPCI_H

#include <stdint.h>

#include "host/hv.h"
#include "models/pcie/cfgspace.h"

/* Guest configuration accesses by what the hypervisor did with them. */
typedef struct vpci_counters {
    uint64_t passed, emulated, discarded;
} vpci_counters;

/* The guest enabled MSI-X in its view: the hypervisor enables it on the device, whose
 * vectors it has routed to the VM. */
typedef void (*vpci_msix_fn)(void *ctx);

/* The guest on core vcpu_core probes the assigned function cfg from t_ps, each access an
 * exit. msix_on (NULL: nothing to route) is called when the guest enables MSI-X.
 * Returns when the probe is done on that core. */
uint64_t vpci_probe(hv *h, unsigned vcpu_core, pcie_cfg *cfg, vpci_msix_fn msix_on, void *ctx,
                    vpci_counters *counters, uint64_t t_ps);

/* One configuration write of the guest on vcpu_core to its assigned function cfg at
 * t_ps, after the probe: an exit, then passed, emulated or discarded as above (an
 * emulated BAR write changes only the guest's view, which this call does not keep).
 * For tests that play a guest writing what it must not (tests/test_guest_attacks.c).
 * Returns when the exit is done. */
uint64_t vpci_guest_write(hv *h, unsigned vcpu_core, pcie_cfg *cfg, vpci_counters *counters,
                          uint16_t off, unsigned size, uint32_t val, uint64_t t_ps);

#endif
