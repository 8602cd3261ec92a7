/* The paths workload's guest vIOMMU (viommu.mode, host/viommu.h): each VM's assigned
 * function in a domain its guest's DMA API fills, map by map, instead of the VM's
 * memory mapped once. Private to systems/. */
#ifndef SYSTEMS_PATHS_VIOMMU_H
#define SYSTEMS_PATHS_VIOMMU_H

#include <stdint.h>

#include "host/dmaapi.h"
#include "sim/err.h"
#include "sim/params.h"
#include "systems/platform.h"

typedef struct paths_viommu paths_viommu;

/* NULL (no error) when viommu.mode = none. */
paths_viommu *paths_viommu_create(const sim_params *p, platform *pf, unsigned vms);
void paths_viommu_destroy(paths_viommu *v);
/* VM vm's guest DMA API (NULL before its attach). */
iommu_dma *paths_viommu_dma(const paths_viommu *v, unsigned vm);
/* VM vm's function `rid` under its guest's vIOMMU, domain id did; the VM's I/O memory
 * is [base, + bytes) (nested: mapped once as its second level, with room after it for
 * the guest's table, at page_bytes pages). Returns the guest's DMA API, or NULL with *e
 * set. */
iommu_dma *paths_viommu_attach(paths_viommu *v, unsigned vm, uint16_t rid, uint16_t did,
                               uint64_t base, uint64_t bytes, uint64_t page_bytes, sim_err *e);
/* Scalable IOV, nested mode only: VM vm's ADI (requests of `rid` with `pasid`) under its
 * guest's vIOMMU, the guest's first level nested over the VM's memory in that PASID's
 * entry. As paths_viommu_attach otherwise. */
iommu_dma *paths_viommu_attach_adi(paths_viommu *v, unsigned vm, uint16_t rid, uint32_t pasid,
                                   uint16_t did, uint64_t base, uint64_t bytes,
                                   uint64_t page_bytes, sim_err *e);
/* Refuses a vIOMMU where the guests have no assigned function of their own or do not run
 * the kernel's drivers over it (path: io.path's value, poll: guest.driver = poll,
 * standby: io.standby). */
int paths_viommu_check(const sim_params *p, unsigned path, bool poll, bool standby, sim_err *e);

#endif
