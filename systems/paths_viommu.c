/* A guest vIOMMU on the paths workload's assigned functions: paths_viommu.h. */
#include "systems/paths_viommu.h"

#include <stdlib.h>

#include "host/iopath/path.h"
#include "host/viommu.h"
#include "sim/alloc.h"

struct paths_viommu {
    platform *pf;
    viommu_mode mode;
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
    v->mode = (viommu_mode)viommu_cfg_load(p).mode;
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

/* Room in the VM's memory for its guest's first-level table pages (a 4 KiB page maps
 * 2 MiB of IOVA at the last level: far more than rings, pools and packets in flight). */
#define GUEST_TABLE_BYTES (8ull << 20)

/* Nested: the VM's memory as the second level, the guest's table over it in the PASID
 * entry of the function's requests: those without a PASID (RID_PASID, pasid 0) for a
 * VM's own function, an ADI's PASID for Scalable IOV (the guest's IOVAs are then its
 * ADI's: iommufd's nested domain on the ADI's PASID, as the VDCM attaches it). */
static iommu_dma *attach_nested(paths_viommu *v, uint16_t rid, uint32_t pasid, uint16_t did,
                                uint64_t base, uint64_t bytes, uint64_t page_bytes, sim_err *e)
{
    platform *pf = v->pf;
    uint64_t tables = (base + bytes + (2ull << 20) - 1) & ~((2ull << 20) - 1);
    uint64_t span = tables + GUEST_TABLE_BYTES - base;
    if ((pasid ? platform_assign_identity_pasid(pf, rid, pasid, did, base, span, page_bytes, e)
               : platform_assign_identity(pf, rid, did, base, span, page_bytes, e)) < 0)
        return NULL;
    iommu_domain *sl = iommu_domain_find(pf->iommu, did);
    iommu_fltable *fl = iommu_fltable_create(pf->iommu, 4, sl, tables, GUEST_TABLE_BYTES);
    if (!fl) {
        sim_err_set(e, "paths: no memory for a guest's first-level table");
        return NULL;
    }
    iommu_pasid_setup nest = {.pgtt = IOMMU_PGTT_NESTED, .did = did, .sl = sl, .fl = fl};
    if (iommu_pasid_set(pf->iommu, rid, pasid, &nest, e) < 0)
        return NULL;
    return iommu_dma_create_fl(&v->guest, pf->iommu, pf->mem, pf->pm, rid, did, pasid, fl);
}

iommu_dma *paths_viommu_attach(paths_viommu *v, unsigned vm, uint16_t rid, uint16_t did,
                               uint64_t base, uint64_t bytes, uint64_t page_bytes, sim_err *e)
{
    platform *pf = v->pf;
    if (v->mode == VIOMMU_NESTED)
        v->vm[vm] = attach_nested(v, rid, 0, did, base, bytes, page_bytes, e);
    else
        /* Caching mode: an empty domain the shadowing fills. The guest's IOVAs are its
         * own: 48 bits, no bounce buffers (nothing bounces on an IOMMU). */
        v->vm[vm] = iommu_dma_create_cfg(&v->guest, NULL, pf->iommu, pf->mem, pf->pm, rid, did,
                                         64, PLATFORM_BOUNCE_BASE, PLATFORM_BOUNCE_BYTES, e);
    return v->vm[vm];
}

iommu_dma *paths_viommu_attach_adi(paths_viommu *v, unsigned vm, uint16_t rid, uint32_t pasid,
                                   uint16_t did, uint64_t base, uint64_t bytes,
                                   uint64_t page_bytes, sim_err *e)
{
    v->vm[vm] = attach_nested(v, rid, pasid, did, base, bytes, page_bytes, e);
    return v->vm[vm];
}

int paths_viommu_check(const sim_params *p, unsigned path, bool poll, bool standby, sim_err *e)
{
    if (viommu_check(p, e) < 0)
        return -1;
    viommu_mode mode = (viommu_mode)viommu_cfg_load(p).mode;
    if (mode == VIOMMU_NONE)
        return 0;
    path_nic_owner own = (path_nic_owner)path_get((path_kind)path)->nic_owner;
    if (own == PATH_NIC_VM_ADI && mode != VIOMMU_NESTED)
        return sim_err_set(e, "viommu.mode = caching on an ADI (io.path = siov): the VDCM's "
                              "shadowing of the guest's mappings into the ADI's PASID is not "
                              "modelled; viommu.mode = nested is");
    if (own != PATH_NIC_VM_PF && own != PATH_NIC_VM_VF && own != PATH_NIC_VM_ADI)
        return sim_err_set(e, "viommu.mode: a guest vIOMMU translates for a function assigned "
                              "to the guest: io.path = passthrough, sriov, vdpa or siov "
                              "(io.path = %s)",
                           path_kind_name((path_kind)path));
    if (poll)
        return sim_err_set(e, "viommu.mode: a DPDK application's mappings through "
                              "the guest's VFIO are not modelled (guest.driver = poll)");
    if (standby)
        return sim_err_set(e, "viommu.mode: a failover pair (io.standby) is not "
                              "modelled with a vIOMMU");
    return 0;
}
