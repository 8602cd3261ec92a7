/* A guest's vIOMMU in caching mode: viommu.h. */
#include "host/viommu.h"

static const sim_param_def viommu_params[] = {
    {"viommu.mode", SIM_PARAM_ENUM, "none", "none|caching", "",
     "A guest vIOMMU over the VMs' assigned functions (passthrough, sriov, vdpa): none, or "
     "caching (QEMU's intel-iommu with caching mode: every guest map and unmap traps and "
     "is shadowed into the host IOMMU through VFIO)",
     SIM_AT(viommu_cfg, mode)},
    {"viommu.map_cycles", SIM_PARAM_UINT, "21328", "0..100000000", "cycles",
     "Host software per trapped invalidation after a guest map: QEMU's vtd_process_inv_desc "
     "and the VFIO_IOMMU_MAP_DMA ioctl (page pinning, the host entry). Trap-and-emulate adds "
     "28,060 cycles to a strict (un)map of one page (Amit et al., vIOMMU, USENIX ATC 2011), "
     "less the exit (hv.mmio_user_exit_cycles, 6,732)",
     SIM_AT(viommu_cfg, map_cycles)},
    {"viommu.unmap_cycles", SIM_PARAM_UINT, "21328", "0..100000000", "cycles",
     "Host software per trapped invalidation after a guest unmap: QEMU's handling and the "
     "VFIO_IOMMU_UNMAP_DMA ioctl besides the host IOTLB invalidation (unpinning); the same "
     "figure as viommu.map_cycles (Amit et al. average maps and unmaps)",
     SIM_AT(viommu_cfg, unmap_cycles)},
};

void viommu_register_params(sim_params *p)
{
    sim_params_add_table(p, viommu_params, SIM_TABLE_LEN(viommu_params));
}

viommu_cfg viommu_cfg_load(const sim_params *p)
{
    viommu_cfg c;
    sim_params_load_table(p, viommu_params, SIM_TABLE_LEN(viommu_params), &c);
    return c;
}

iommu_dma_cfg viommu_guest_dma_cfg(const sim_params *p)
{
    iommu_dma_cfg c;
    iommu_dma_config(p, &c);
    c.mode = IOMMU_DMA_STRICT;
    c.page_bytes = 4096;
    c.caching_mode = true;
    return c;
}
