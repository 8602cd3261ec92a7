#include "host/pciiov.h"

#include "models/pcie/cfgspace_regs.h"
#include "models/pcie/sriov.h"

uint16_t pci_iov_cap(const pci_iov *v)
{
    pcie_cfg *pf = pcie_cfg_bus_lookup(v->bus, v->pf_rid);
    return pf ? pcie_cfg_find_ext_capability(pf, PCIE_EXT_CAP_ID_SRIOV) : 0;
}

static uint32_t iov_read(const pci_iov *v, uint16_t cap, unsigned reg, unsigned size)
{
    return pcie_cfg_bus_read(v->bus, v->pf_rid, (uint16_t)(cap + reg), size);
}

static void iov_write(const pci_iov *v, uint16_t cap, unsigned reg, unsigned size, uint32_t val)
{
    pcie_cfg_bus_write(v->bus, v->pf_rid, (uint16_t)(cap + reg), size, val);
}

unsigned pci_iov_total_vfs(const pci_iov *v)
{
    uint16_t cap = pci_iov_cap(v);
    return cap ? iov_read(v, cap, PCIE_SRIOV_TOTAL_VFS, 2) : 0;
}

unsigned pci_iov_num_vfs(const pci_iov *v)
{
    uint16_t cap = pci_iov_cap(v);
    if (!cap || !(iov_read(v, cap, PCIE_SRIOV_CTRL, 2) & PCIE_SRIOV_CTRL_VF_ENABLE))
        return 0;
    return iov_read(v, cap, PCIE_SRIOV_NUM_VFS, 2);
}

uint16_t pci_iov_vf_rid(const pci_iov *v, unsigned vf)
{
    uint16_t cap = pci_iov_cap(v);
    unsigned offset = iov_read(v, cap, PCIE_SRIOV_FIRST_VF_OFFSET, 2);
    unsigned stride = iov_read(v, cap, PCIE_SRIOV_VF_STRIDE, 2);
    return (uint16_t)pcie_sriov_rid(v->pf_rid, offset, stride, vf);
}

/* Size and place every VF BAR after the PF's BARs, as the OS does before it sets VF
 * Enable: NumVFs x the per-VF size, aligned to the whole region. A sized register is
 * written with its address next, so it is not restored. */
static int place_vf_bars(const pci_iov *v, uint16_t cap, unsigned num)
{
    pcie_cfg *pf = pcie_cfg_bus_lookup(v->bus, v->pf_rid);
    uint64_t top = v->mmio_base;
    for (unsigned b = 0; b < PCIE_CFG_NUM_BARS; b++) {
        uint64_t a = pcie_cfg_bar_address(pf, b), s = pcie_cfg_bar_size(pf, b);
        if (a && a + s > top)
            top = a + s;
    }
    for (unsigned b = 0; b < PCIE_CFG_NUM_BARS; b++) {
        unsigned reg = PCIE_SRIOV_VF_BAR(b);
        bool is64;
        uint64_t per_vf = pcie_cfg_bus_size_bar(v->bus, v->pf_rid, (uint16_t)(cap + reg),
                                                b + 1 < PCIE_CFG_NUM_BARS, false, &is64);
        if (!per_vf)
            continue; /* not implemented */
        uint64_t region = per_vf * num, align = per_vf;
        while (align < region)
            align <<= 1;
        uint64_t addr = (top + align - 1) & ~(align - 1);
        if (addr + region > v->mmio_base + v->mmio_bytes ||
            (!is64 && addr + region > (1ull << 32)))
            return -1;
        iov_write(v, cap, reg, 4, (uint32_t)addr);
        if (is64)
            iov_write(v, cap, reg + 4, 4, (uint32_t)(addr >> 32));
        top = addr + region;
        b += is64; /* the upper half */
    }
    return 0;
}

int pci_iov_enable(const pci_iov *v, unsigned num_vfs, sim_err *e)
{
    uint16_t cap = pci_iov_cap(v);
    if (!cap)
        return sim_err_set(e, "the PF has no SR-IOV capability");
    if (num_vfs == 0)
        return 0;
    if (place_vf_bars(v, cap, num_vfs) < 0)
        return sim_err_set(e, "the VF BARs do not fit the device's MMIO window");
    iov_write(v, cap, PCIE_SRIOV_NUM_VFS, 2, num_vfs);
    uint32_t ctrl = iov_read(v, cap, PCIE_SRIOV_CTRL, 2);
    iov_write(v, cap, PCIE_SRIOV_CTRL, 2,
              ctrl | PCIE_SRIOV_CTRL_VF_ENABLE | PCIE_SRIOV_CTRL_VF_MSE);
    if (pci_iov_num_vfs(v) != num_vfs)
        return sim_err_set(e, "the device refused VF Enable with %u VFs", num_vfs);
    for (unsigned i = 0; i < num_vfs; i++)
        pcie_cfg_bus_write(v->bus, pci_iov_vf_rid(v, i), PCIE_CFG_COMMAND, 2, PCIE_CMD_BUS_MASTER);
    return 0;
}

void pci_iov_disable(const pci_iov *v)
{
    uint16_t cap = pci_iov_cap(v);
    if (!cap)
        return;
    uint32_t ctrl = iov_read(v, cap, PCIE_SRIOV_CTRL, 2);
    iov_write(v, cap, PCIE_SRIOV_CTRL, 2,
              ctrl & ~(uint32_t)(PCIE_SRIOV_CTRL_VF_ENABLE | PCIE_SRIOV_CTRL_VF_MSE));
}
