/* A guest's vIOMMU over an assigned function (QEMU's intel-iommu device, caching-mode=on,
 * which VFIO devices require): the guest maps every DMA buffer through its own IOMMU
 * driver, and the emulator shadows each mapping into the host IOMMU's domain of the
 * function, so the device's addresses are the guest's IOVAs.
 *
 * Caching mode (viommu.mode = caching). The emulated IOMMU reports CM, so the guest's
 * intel-iommu runs strict ("IOMMU batching disallowed due to virtualization":
 * intel_iommu_init calls iommu_set_dma_strict when an IOMMU has caching mode) and
 * follows every map with a page-selective invalidation (__mapping_notify_one). Each
 * invalidation is the guest's write of the queue's tail register, which traps to QEMU
 * (an exit to user space): vtd_process_inv_desc, and per map vtd_iotlb_page_invalidate
 * -> memory_region_notify_iommu -> vfio_iommu_map_notify -> VFIO_IOMMU_MAP_DMA (the
 * host pins the page and writes its entry), per unmap VFIO_IOMMU_UNMAP_DMA (the host
 * clears the entry, invalidates its IOTLB through the real queue, unpins). The guest's
 * DMA API is host/dmaapi's, run with caching mode (iommu_dma_cfg.caching_mode) on the
 * function's domain; the emulator's and VFIO's software per trap are the parameters
 * viommu.map_cycles and viommu.unmap_cycles, run on the vCPU's core (QEMU's vCPU thread
 * handles the exit), and the host IOMMU's invalidation of an unmap is the real one.
 *
 * Nested (viommu.mode = nested; needs the host IOMMU in scalable mode, iommu.scalable).
 * The guest's own page table is the first level of the function's RID_PASID entry,
 * nested over the VM's second level (its memory, mapped once): the hardware walks both
 * (up to 24 reads for 4 over 4 levels, models/iommu), so a guest's map is a store into
 * its table and traps nothing, and the guest runs its default, lazy: first-level
 * tables are exempt from the strict rule above (Linux commit 257ec29074). Its flushes
 * trap (QEMU passes them to the host through iommufd's cache invalidation) and are
 * PASID-based on the real queue; their software is viommu.flush_cycles. A guest booted
 * strict (iommu.strict=1; viommu.dma = strict) invalidates after every unmap instead,
 * and each of those traps the same way.
 *
 * A VM's vCPUs invalidate one at a time (viommu.inv_lock): Linux holds the domain's
 * cache_lock across cache_tag_flush_range's invalidation and its wait (6.10 on; before
 * it, qi_submit_sync holds the queue's q_lock across the tail register's write, the
 * trap), and QEMU's vtd_mem_write handles the write synchronously, so the lock is held
 * for the whole trap. A vCPU that invalidates meanwhile spins (spin_lock_irqsave) until
 * the trap in flight returns; a nested guest's map, which traps nothing, takes the same
 * lock (cache_tag_flush_range_np after iommu_map) and so waits as well. The VM's
 * queues share its domain (one vIOMMU, one domain), so the lock is the VM's, taken by
 * its queues' vCPUs and its applications' (host/iopath/engine.c, viommu_lock_take).
 *
 * viommu.dma chooses the guest's mode: auto (caching strict, nested lazy, as Linux
 * boots), strict, or lazy, which caching mode refuses (Linux cannot run it there).
 *
 * Not modelled: the device-IOTLB (ATS) in the guest, interrupt remapping by the vIOMMU
 * (the guest's interrupts are remapped by the host's as without it), and the guest's
 * IOVA allocator's own cache behaviour. */
#ifndef HOST_VIOMMU_H
#define HOST_VIOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "host/dmaapi.h"
#include "sim/err.h"
#include "sim/params.h"

typedef enum viommu_mode {
    VIOMMU_NONE = 0,    /* the guest has no vIOMMU: its memory is mapped once */
    VIOMMU_CACHING = 1, /* an emulated VT-d with caching mode, shadowed through VFIO */
    VIOMMU_NESTED = 2,  /* the guest's first level over the host's second, in hardware */
} viommu_mode;

/* The guest's DMA API mode on its vIOMMU (viommu.dma). */
typedef enum viommu_dma {
    VIOMMU_DMA_AUTO = 0, /* Linux's: strict in caching mode, lazy in nested */
    VIOMMU_DMA_STRICT = 1,
    VIOMMU_DMA_LAZY = 2,
} viommu_dma;

typedef struct viommu_cfg {
    uint32_t mode; /* viommu_mode */
    uint32_t dma;  /* viommu_dma */
    uint64_t map_cycles, unmap_cycles; /* caching mode's traps */
    uint64_t flush_cycles;             /* a nested guest's trapped invalidation */
    bool inv_lock;                     /* a VM's invalidations take turns */
} viommu_cfg;

void viommu_register_params(sim_params *p);
viommu_cfg viommu_cfg_load(const sim_params *p);
/* The guest's DMA API on the vIOMMU: the host DMA API's costs and lazy flush queue
 * (iommu.*; the guest runs the same Linux), 4 KiB pages, emulated; with caching mode
 * strict and an invalidation per map, nested as viommu.dma says (lazy by default). */
iommu_dma_cfg viommu_guest_dma_cfg(const sim_params *p);
/* Refuses nested mode without a scalable-mode IOMMU, a lazy guest in caching mode, and a
 * guest's mode without a vIOMMU. */
int viommu_check(const sim_params *p, sim_err *e);

#endif
