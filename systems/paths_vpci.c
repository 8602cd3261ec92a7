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
#include <assert.h>
#include <string.h>

#include "systems/paths_impl.h"

enum vpci_action { VPCI_PASS, VPCI_EMULATE, VPCI_DISCARD };

typedef struct vpci_fn {
    net *n;
    net_vm *vm;
    pcie_cfg *cfg;
    unsigned fn;
    uint32_t bar[PCIE_CFG_NUM_BARS]; /* the guest's values */
    uint8_t msix, exp;               /* capability offsets */
    uint64_t t;
} vpci_fn;

static enum vpci_action classify(const vpci_fn *v, uint16_t off, bool write)
{
    if (off >= PCIE_CFG_BAR0 && off < PCIE_CFG_BAR0 + 4 * PCIE_CFG_NUM_BARS)
        return VPCI_EMULATE;
    if (off == PCIE_CFG_EXPANSION_ROM || off == PCIE_CFG_INTERRUPT_LINE ||
        off == PCIE_CFG_INTERRUPT_PIN)
        return VPCI_EMULATE;
    if (v->msix && off >= v->msix && off < v->msix + 12)
        return VPCI_EMULATE;
    if (v->exp && write && off >= v->exp + 8 && off < v->exp + 12)
        return VPCI_EMULATE; /* Device Control: the host keeps MPS and MRRS */
    if (off >= PCIE_CFG_LEGACY_SIZE && write)
        return VPCI_DISCARD;
    return VPCI_PASS;
}

/* One configuration access of the guest: the exit, then the hypervisor's action. */
static uint32_t access(vpci_fn *v, uint16_t off, unsigned size, bool write, uint32_t val)
{
    net *n = v->n;
    v->t = hv_exit(n->hv, v->vm->vcpu_core, v->t, HV_EXIT_CONFIG);
    enum vpci_action a = classify(v, off, write);
    switch (a) {
    case VPCI_PASS:
        n->c.cfg_passed++;
        if (write) {
            pcie_cfg_write(v->cfg, off, size, val);
            return 0;
        }
        return pcie_cfg_read(v->cfg, off, size);
    case VPCI_DISCARD:
        n->c.cfg_discarded++;
        return write ? 0 : 0xffffffffu;
    case VPCI_EMULATE:
        break;
    }
    n->c.cfg_emulated++;
    if (off >= PCIE_CFG_BAR0 && off < PCIE_CFG_BAR0 + 4 * PCIE_CFG_NUM_BARS) {
        unsigned i = (off - PCIE_CFG_BAR0) / 4;
        if (!write)
            return v->bar[i];
        /* Sizing reads back the device's size mask; an address is the guest's. */
        uint64_t size_bytes = pcie_cfg_bar_size(v->cfg, i);
        uint32_t type = pcie_cfg_get(v->cfg, off, 4) & 0xfu;
        if (val == 0xffffffffu)
            v->bar[i] = size_bytes ? ((uint32_t)~(size_bytes - 1) & ~0xfu) | type : 0;
        else
            v->bar[i] = (val & ~0xfu) | type;
        return 0;
    }
    if (v->msix && off >= v->msix && off < v->msix + 12) {
        if (write && off == v->msix + PCIE_MSIX_MSG_CTRL && (val & PCIE_MSIX_MSG_CTRL_ENABLE))
            nic_drv_enable_msix(n->nic, v->fn);
        return write ? 0 : pcie_cfg_read(v->cfg, off, size);
    }
    return write ? 0 : pcie_cfg_read(v->cfg, off, size);
}

uint64_t net_vpci_probe(net *n, net_vm *vm, unsigned fn, uint64_t t_ps)
{
    vpci_fn v = {.n = n, .vm = vm, .cfg = nic_fn_cfg(n->nic, fn), .fn = fn, .t = t_ps};
    assert(v.cfg);
    v.msix = pcie_cfg_find_capability(v.cfg, PCIE_CAP_ID_MSIX);
    v.exp = pcie_cfg_find_capability(v.cfg, PCIE_CAP_ID_EXP);
    for (unsigned i = 0; i < PCIE_CFG_NUM_BARS; i++)
        v.bar[i] = pcie_cfg_get(v.cfg, (uint16_t)PCIE_CFG_BAR(i), 4) & 0xfu;
    access(&v, PCIE_CFG_VENDOR_ID, 4, false, 0);
    access(&v, PCIE_CFG_REVISION_ID, 4, false, 0);
    access(&v, PCIE_CFG_HEADER_TYPE, 1, false, 0);
    /* Size and place every BAR: save, all-ones, read the mask, write the address. */
    uint64_t gpa_mmio = 0xc0000000ull; /* the VM's PCI hole */
    for (unsigned i = 0; i < PCIE_CFG_NUM_BARS; i++) {
        uint16_t off = (uint16_t)PCIE_CFG_BAR(i);
        access(&v, off, 4, false, 0);
        access(&v, off, 4, true, 0xffffffffu);
        uint32_t mask = access(&v, off, 4, false, 0);
        uint64_t size = mask ? (uint64_t)(~(mask & ~0xfu)) + 1 : 0;
        access(&v, off, 4, true, size ? (uint32_t)gpa_mmio : 0);
        gpa_mmio += size & 0xffffffffu;
    }
    access(&v, PCIE_CFG_INTERRUPT_PIN, 1, false, 0);
    /* Walk the capability list. */
    uint8_t cap = (uint8_t)access(&v, PCIE_CFG_CAP_PTR, 1, false, 0);
    for (unsigned guard = 0; cap && guard < 48; guard++)
        cap = (uint8_t)(access(&v, cap, 2, false, 0) >> 8);
    if (v.exp) {
        uint16_t devctl = (uint16_t)(v.exp + 8);
        uint32_t dc = access(&v, devctl, 2, false, 0);
        access(&v, devctl, 2, true, dc);
    }
    uint32_t cmd = access(&v, PCIE_CFG_COMMAND, 2, false, 0);
    access(&v, PCIE_CFG_COMMAND, 2, true, cmd | PCIE_CMD_MEMORY_SPACE | PCIE_CMD_BUS_MASTER);
    /* A driver that finds an SR-IOV capability tries to use it: hidden from the VM. */
    uint16_t sriov = pcie_cfg_find_ext_capability(v.cfg, PCIE_EXT_CAP_ID_SRIOV);
    access(&v, sriov ? sriov : (uint16_t)PCIE_CFG_LEGACY_SIZE, 4, true, 0);
    if (v.msix) {
        uint16_t ctl = (uint16_t)(v.msix + PCIE_MSIX_MSG_CTRL);
        uint32_t c = access(&v, ctl, 2, false, 0);
        access(&v, ctl, 2, true, c | PCIE_MSIX_MSG_CTRL_ENABLE);
    }
    return v.t;
}
