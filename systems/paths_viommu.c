/* A guest vIOMMU on the paths workload's assigned functions: paths_viommu.h. */
#include "systems/paths_viommu.h"

#include <stdlib.h>

#include "host/iopath/path.h"
#include "host/viommu.h"
#include "sim/alloc.h"

struct paths_viommu {
    platform *pf;
    iommu_dma_cfg guest; /* the guests' DMA API: strict, 4 KiB, caching mode */
    iommu_dma **vm;      /* each VM's, created at attach */
    unsigned vms;
};

paths_viommu *paths_viommu_create(const sim_params *p, platform *pf, unsigned vms)
{
    if (viommu_cfg_load(p).mode == VIOMMU_NONE)
        return NULL;
    paths_viommu *v = sim_xcalloc(1, sizeof *v);
    v->pf = pf;
    v->guest = viommu_guest_dma_cfg(p);
    v->vms = vms;
    v->vm = sim_xcalloc(vms, sizeof *v->vm);
    return v;
}

void paths_viommu_destroy(paths_viommu *v)
{
    if (!v)
        return;
    for (unsigned i = 0; i < v->vms; i++)
        iommu_dma_destroy(v->vm[i]);
    free(v->vm);
    free(v);
}

iommu_dma *paths_viommu_dma(const paths_viommu *v, unsigned vm) { return v->vm[vm]; }

iommu_dma *paths_viommu_attach(paths_viommu *v, unsigned vm, uint16_t rid, uint16_t did,
                               sim_err *e)
{
    platform *pf = v->pf;
    /* The guest's IOVAs are its own: 48 bits, no bounce buffers (the guest's DMA API
     * bounces nothing on an IOMMU). */
    v->vm[vm] = iommu_dma_create_cfg(&v->guest, NULL, pf->iommu, pf->mem, pf->pm, rid, did, 64,
                                     PLATFORM_BOUNCE_BASE, PLATFORM_BOUNCE_BYTES, e);
    return v->vm[vm];
}

int paths_viommu_check(const sim_params *p, unsigned path, bool poll, bool standby, sim_err *e)
{
    if (viommu_cfg_load(p).mode == VIOMMU_NONE)
        return 0;
    path_nic_owner own = (path_nic_owner)path_get((path_kind)path)->nic_owner;
    if (own != PATH_NIC_VM_PF && own != PATH_NIC_VM_VF)
        return sim_err_set(e, "viommu.mode = caching shadows a guest's mappings for a function "
                              "assigned to it: io.path = passthrough, sriov or vdpa (io.path = "
                              "%s)",
                           path_kind_name((path_kind)path));
    if (poll)
        return sim_err_set(e, "viommu.mode = caching: a DPDK application's mappings through "
                              "the guest's VFIO are not modelled (guest.driver = poll)");
    if (standby)
        return sim_err_set(e, "viommu.mode = caching: a failover pair (io.standby) is not "
                              "modelled with a vIOMMU");
    return 0;
}
