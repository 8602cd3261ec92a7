/* The PCI glue endpoint functions share (endpoint.h). */
#include "models/pcie/endpoint.h"

#include <assert.h>

#include "models/pcie/cfgspace_regs.h"

pcie_cfg *pcie_endpoint_cfg_create(const pcie_endpoint_info *info, uint16_t *exp_off)
{
    pcie_cfg *cfg = pcie_cfg_create(info->vendor_id, info->device_id, info->class_code);
    pcie_cfg_exp_info exp = {.port_type = PCIE_EXP_TYPE_ENDPOINT,
                             .mps_supported_bytes = info->mps_supported_bytes,
                             .max_link_speed = info->link->gen,
                             .max_link_width = info->link->lanes,
                             .devcap = PCIE_EXP_DEVCAP_FLR |
                                       (info->ext_tag ? PCIE_EXP_DEVCAP_EXT_TAG : 0u)};
    assert(info->link && info->nbars <= PCIE_ENDPOINT_MAX_BARS);
    bool ok = true;
    for (unsigned i = 0; ok && i < info->nbars; i++) {
        const pcie_endpoint_bar *b = &info->bars[i];
        ok = pcie_cfg_add_bar(cfg, b->index, b->bytes, b->is_64bit, b->prefetchable);
    }
    if (!ok || !(*exp_off = pcie_cfg_add_exp_capability(cfg, &exp)) ||
        !pcie_cfg_add_msix_capability(cfg, info->msix_vectors, info->msix_bar,
                                      info->msix_table_offset, info->msix_bar,
                                      info->msix_pba_offset) ||
        !pcie_cfg_exp_set_link_status(cfg, info->link->gen, info->link->lanes)) {
        pcie_cfg_destroy(cfg);
        return NULL;
    }
    return cfg;
}

pcie_devctl_request pcie_endpoint_devctl_request(const pcie_cfg_write_info *w, uint16_t exp_off)
{
    uint16_t reg = (uint16_t)(exp_off + PCIE_EXP_DEVCTL);
    if (!pcie_cfg_write_touches(w, reg, 2))
        return PCIE_DEVCTL_UNTOUCHED;
    return pcie_cfg_write_value(w, reg, 2) & PCIE_EXP_DEVCTL_FLR ? PCIE_DEVCTL_FLR
                                                                  : PCIE_DEVCTL_SETTINGS;
}

void pcie_endpoint_apply_pf_limits(pcie_dma *dma, const pcie_cfg *pf)
{
    unsigned mps = pcie_cfg_exp_mps_bytes(pf), mrrs = pcie_cfg_exp_mrrs_bytes(pf);
    if (dma && mps && mrrs)
        pcie_dma_set_limits(dma, mps, mrrs);
}
