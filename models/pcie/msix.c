#include "models/pcie/msix.h"

#include "models/pcie/cfgspace_regs.h"

bool pcie_msix_entry_write(pcie_msix_vec *v, unsigned field, uint32_t len, uint64_t value)
{
    switch (field) {
    case PCIE_MSIX_ENTRY_MSG_ADDR:
        if (len == 8) /* one QWORD write of the whole address */
            v->addr = value;
        else
            v->addr = (v->addr & ~0xffffffffull) | (value & 0xffffffffull);
        return false;
    case PCIE_MSIX_ENTRY_MSG_UPPER_ADDR:
        v->addr = (v->addr & 0xffffffffull) | ((value & 0xffffffffull) << 32);
        return false;
    case PCIE_MSIX_ENTRY_MSG_DATA:
        v->data = (uint32_t)value;
        /* An aligned QWORD write carries Vector Control in its upper half. */
        return len == 8 && pcie_msix_entry_write(v, PCIE_MSIX_ENTRY_VECTOR_CTRL, 4, value >> 32);
    default: { /* PCIE_MSIX_ENTRY_VECTOR_CTRL */
        bool was = v->masked;
        v->masked = value & PCIE_MSIX_ENTRY_CTRL_MASK;
        return was && !v->masked && v->pending;
    }
    }
}

uint32_t pcie_msix_entry_read(const pcie_msix_vec *v, unsigned field)
{
    switch (field) {
    case PCIE_MSIX_ENTRY_MSG_ADDR: return (uint32_t)v->addr;
    case PCIE_MSIX_ENTRY_MSG_UPPER_ADDR: return (uint32_t)(v->addr >> 32);
    case PCIE_MSIX_ENTRY_MSG_DATA: return v->data;
    default: return v->masked ? PCIE_MSIX_ENTRY_CTRL_MASK : 0;
    }
}

bool pcie_msix_signal(const pcie_cfg *cfg, pcie_msix_vec *v)
{
    if (!pcie_cfg_msix_enabled(cfg) || pcie_cfg_msix_function_masked(cfg) || v->masked) {
        v->pending = true;
        return false;
    }
    v->pending = false;
    return true;
}
