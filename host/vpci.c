#include <assert.h>
#include <string.h>

#include "host/vpci.h"

enum vpci_action { VPCI_PASS, VPCI_EMULATE, VPCI_DISCARD };

typedef struct vpci_fn {
    hv *hv;
    unsigned core; /* the vCPU's */
    pcie_cfg *cfg;
    vpci_counters *c;
    vpci_msix_fn msix_on;
    void *msix_ctx;
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
    v->t = hv_exit(v->hv, v->core, v->t, HV_EXIT_CONFIG);
    enum vpci_action a = classify(v, off, write);
    switch (a) {
    case VPCI_PASS:
        v->c->passed++;
        if (write) {
            pcie_cfg_write(v->cfg, off, size, val);
            return 0;
        }
        return pcie_cfg_read(v->cfg, off, size);
    case VPCI_DISCARD: v->c->discarded++; return write ? 0 : 0xffffffffu;
    case VPCI_EMULATE: break;
    }
    v->c->emulated++;
    if (off >= PCIE_CFG_BAR0 && off < PCIE_CFG_BAR0 + 4 * PCIE_CFG_NUM_BARS) {
        unsigned i = (off - PCIE_CFG_BAR0) / 4;
        if (!write)
            return v->bar[i];
        /* Sizing reads back the device's size mask; an address is the guest's. */
        uint64_t size_bytes = pcie_cfg_bar_size(v->cfg, i);
        uint32_t type = pcie_cfg_get(v->cfg, off, 4) & 0xfu;
        if (val == 0xffffffffu)
            v->bar[i] = size_bytes ? ((uint32_t) ~(size_bytes - 1) & ~0xfu) | type : 0;
        else
            v->bar[i] = (val & ~0xfu) | type;
        return 0;
    }
    if (v->msix && off >= v->msix && off < v->msix + 12) {
        if (write && off == v->msix + PCIE_MSIX_MSG_CTRL &&
            (val & PCIE_MSIX_MSG_CTRL_ENABLE) && v->msix_on)
            v->msix_on(v->msix_ctx);
        return write ? 0 : pcie_cfg_read(v->cfg, off, size);
    }
    return write ? 0 : pcie_cfg_read(v->cfg, off, size);
}

uint64_t vpci_probe(hv *h, unsigned vcpu_core, pcie_cfg *cfg, vpci_msix_fn msix_on, void *ctx,
                    vpci_counters *counters, uint64_t t_ps)
{
    vpci_fn v = {.hv = h,
                 .core = vcpu_core,
                 .cfg = cfg,
                 .c = counters,
                 .msix_on = msix_on,
                 .msix_ctx = ctx,
                 .t = t_ps};
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

uint64_t vpci_guest_write(hv *h, unsigned vcpu_core, pcie_cfg *cfg, vpci_counters *counters,
                          uint16_t off, unsigned size, uint32_t val, uint64_t t_ps)
{
    vpci_fn v = {.hv = h, .core = vcpu_core, .cfg = cfg, .c = counters, .t = t_ps};
    v.msix = pcie_cfg_find_capability(cfg, PCIE_CAP_ID_MSIX);
    v.exp = pcie_cfg_find_capability(cfg, PCIE_CAP_ID_EXP);
    access(&v, off, size, true, val);
    return v.t;
}
