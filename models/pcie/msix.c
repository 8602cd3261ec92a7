#include "models/pcie/msix.h"

#include "models/pcie/cfgspace_regs.h"

void pcie_msix_reset(pcie_msix_vec *table, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        table[i] = (pcie_msix_vec){.masked = true};
}

bool pcie_msix_table_write(pcie_msix_vec *table, unsigned n, uint64_t off, uint32_t len,
                           uint64_t value, unsigned *vec, bool *unmasked_pending)
{
    *unmasked_pending = false;
    uint64_t i = off / PCIE_MSIX_ENTRY_SIZE;
    if (off % 4 || i >= n)
        return false;
    *vec = (unsigned)i;
    pcie_msix_vec *v = &table[i];
    switch (off % PCIE_MSIX_ENTRY_SIZE) {
    case PCIE_MSIX_ENTRY_MSG_ADDR:
        if (len == 8) /* one QWORD write of the whole address */
            v->addr = value;
        else
            v->addr = (v->addr & ~0xffffffffull) | (value & 0xffffffffull);
        return true;
    case PCIE_MSIX_ENTRY_MSG_UPPER_ADDR:
        v->addr = (v->addr & 0xffffffffull) | ((value & 0xffffffffull) << 32);
        return true;
    case PCIE_MSIX_ENTRY_MSG_DATA:
        v->data = (uint32_t)value;
        return true;
    default: { /* PCIE_MSIX_ENTRY_VECTOR_CTRL */
        bool was = v->masked;
        v->masked = value & PCIE_MSIX_ENTRY_CTRL_MASK;
        *unmasked_pending = was && !v->masked && v->pending;
        return true;
    }
    }
}

bool pcie_msix_table_read(const pcie_msix_vec *table, unsigned n, uint64_t off, uint32_t *value)
{
    uint64_t i = off / PCIE_MSIX_ENTRY_SIZE;
    if (off % 4 || i >= n)
        return false;
    const pcie_msix_vec *v = &table[i];
    switch (off % PCIE_MSIX_ENTRY_SIZE) {
    case PCIE_MSIX_ENTRY_MSG_ADDR: *value = (uint32_t)v->addr; break;
    case PCIE_MSIX_ENTRY_MSG_UPPER_ADDR: *value = (uint32_t)(v->addr >> 32); break;
    case PCIE_MSIX_ENTRY_MSG_DATA: *value = v->data; break;
    default: *value = v->masked ? PCIE_MSIX_ENTRY_CTRL_MASK : 0; break;
    }
    return true;
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
