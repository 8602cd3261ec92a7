/* A guest's vIOMMU in caching mode: viommu.h. */
#include "host/viommu.h"

static const sim_param_def viommu_params[] = {
    {"viommu.mode", SIM_PARAM_ENUM, "none", "none|caching|nested", "",
     "A guest vIOMMU over the VMs' assigned functions (passthrough, sriov, vdpa): none; "
     "caching (QEMU's intel-iommu with caching mode: every guest map and unmap traps and "
     "is shadowed into the host IOMMU through VFIO); nested (the guest's table the first "
     "level over the host's second, walked by the hardware: only the guest's flushes "
     "trap; needs iommu.scalable)",
     SIM_AT(viommu_cfg, mode)},
    {"viommu.dma", SIM_PARAM_ENUM, "auto", "auto|strict|lazy", "",
     "The guest's DMA API mode on its vIOMMU: auto, as Linux boots (strict in caching mode, "
     "where intel_iommu_init forces it, commit 29b32839725f; lazy in nested, its default); "
     "strict (iommu.strict=1: an invalidation after every unmap, each trapped); lazy (a "
     "flush per iommu.lazy_batch unmaps; refused in caching mode, where Linux cannot run it)",
     SIM_AT(viommu_cfg, dma)},
    {"viommu.map_cycles", SIM_PARAM_UINT, "21328", "0..100000000", "cycles",
     "Host software per trapped invalidation after a guest map: QEMU's vtd_process_inv_desc "
     "and the VFIO_IOMMU_MAP_DMA ioctl (page pinning, the host entry). Trap-and-emulate adds "
     "28,060 cycles to a strict (un)map of one page (Amit et al., vIOMMU, USENIX ATC 2011), "
     "less the exit (hv.mmio_user_exit_cycles, 6,732)",
     SIM_AT(viommu_cfg, map_cycles)},
    {"viommu.unmap_cycles", SIM_PARAM_UINT, "21328", "0..100000000", "cycles",
     "Host software per trapped invalidation after a guest unmap in caching mode: QEMU's "
     "handling and the VFIO_IOMMU_UNMAP_DMA ioctl besides the host IOTLB invalidation "
     "(unpinning); the same figure as viommu.map_cycles (Amit et al. average maps and "
     "unmaps). A nested guest's invalidations cost viommu.flush_cycles instead",
     SIM_AT(viommu_cfg, unmap_cycles)},
    {"viommu.flush_cycles", SIM_PARAM_UINT, "9204", "0..100000000", "cycles",
     "Host software per trapped invalidation of a nested guest (viommu.mode = nested): QEMU's "
     "vtd_process_inv_desc and iommufd's IOMMU_HWPT_INVALIDATE ioctl, besides the exit and "
     "the PASID-based invalidation on the real queue. Rubin et al.'s nested guest on "
     "Emerald Rapids (xlab-uiuc, vary_cores_results.md, one flow) times the trapped "
     "qi_submit_sync at 6.958 us on average under eBPF probes whose own cost is 0.455 us "
     "(their iommu_flush_write_buffer, which returns at once on a vIOMMU without RWBF): "
     "6.503 us, 18,208 cycles at the SPR platform's 2.8 GHz, less the exit "
     "(hv.mmio_user_exit_cycles, 6,732) and the submission on the real queue the model "
     "runs in the guest's DMA API (2,272 cycles there: iommu.qi_submit_cycles)",
     SIM_AT(viommu_cfg, flush_cycles)},
    {"viommu.inv_lock", SIM_PARAM_BOOL, "true", NULL, "",
     "A VM's trapped invalidations take turns: its guest holds the domain's lock across "
     "each invalidation and its wait (Linux cache_tag_flush_range, domain->cache_lock, from "
     "6.10; before it qi_submit_sync's qi->q_lock across the tail register's write), so a "
     "vCPU that invalidates while another's trap is in flight spins until it returns, and "
     "a nested guest's map waits for it too (cache_tag_flush_range_np under the same "
     "lock); false: every vCPU traps at once",
     SIM_AT(viommu_cfg, inv_lock)},
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
    c.page_bytes = 4096;
    c.emulated = true;
    viommu_cfg v = viommu_cfg_load(p);
    c.caching_mode = v.mode == VIOMMU_CACHING;
    c.mode = c.caching_mode || v.dma == VIOMMU_DMA_STRICT ? IOMMU_DMA_STRICT : IOMMU_DMA_LAZY;
    return c;
}

int viommu_check(const sim_params *p, sim_err *e)
{
    iommu_cfg ic;
    iommu_config(p, &ic);
    viommu_cfg v = viommu_cfg_load(p);
    if (v.mode == VIOMMU_NONE && v.dma != VIOMMU_DMA_AUTO)
        return sim_err_set(e, "viommu.dma = %s is the guest's mode on its vIOMMU, and it has "
                              "none (viommu.mode = none)",
                           v.dma == VIOMMU_DMA_STRICT ? "strict" : "lazy");
    if (v.mode == VIOMMU_CACHING && v.dma == VIOMMU_DMA_LAZY)
        return sim_err_set(e, "viommu.dma = lazy with viommu.mode = caching: Linux's intel-iommu "
                              "runs strict on an IOMMU with caching mode (intel_iommu_init: "
                              "iommu_set_dma_strict, commit 29b32839725f)");
    if (v.mode == VIOMMU_NESTED && !ic.scalable)
        return sim_err_set(e, "viommu.mode = nested puts the guest's table in the first level of "
                              "a PASID entry: it needs the IOMMU in scalable mode "
                              "(iommu.scalable = true)");
    return 0;
}
