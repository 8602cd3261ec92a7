/* The platform every workload kind builds on, wired once: host memory (the timing
 * model and the contents), one device slot behind a root port (the PCIe link and the
 * root complex), the configuration bus, and the IOMMU in the root complex, at the
 * addresses of the address map below. A kind creates the platform, plugs its device
 * into the bus, boots it (platform_boot: what firmware and the OS do at start) and
 * adds its host software and traffic.
 *
 * The IOMMU exists when iommu.mode is not off, or always when the kind asks (the I/O
 * paths: VMs' memory is remapped whatever the host's own DMA mode). With it, the root
 * complex translates every inbound request through it and sends MSI writes to its
 * interrupt remapping. Creating the platform schedules nothing.
 *
 * Observers (what a run watches without the system knowing: the trace recorder) are
 * passed in when a system is built and attached to every component of their kind the
 * system creates: the root complex here, DMA APIs by the kinds that create them. */
#ifndef SYSTEMS_PLATFORM_H
#define SYSTEMS_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "host/dmaapi.h"
#include "models/iommu/iommu.h"
#include "models/mem/mem.h"
#include "models/mem/physmem.h"
#include "models/nic/nic.h"
#include "models/pcie/cfgspace.h"
#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"

/* ---- The address map ---------------------------------------------------------------- */

/* The device slot: bus 1, device 0, function 0, behind the root port on bus 0. */
#define PLATFORM_DEVICE_RID 0x0100u
/* Where the host's IOMMU driver keeps its tables (root, context, page tables,
 * invalidation queue, interrupt remapping table): 1 GiB at 64 TiB, far from any
 * buffer a workload places. */
#define PLATFORM_IOMMU_TABLES_BASE (1ull << 46)
#define PLATFORM_IOMMU_TABLES_BYTES (1ull << 30)
/* The MMIO window firmware places a device's BARs in (a 32-bit device's below 4 GiB;
 * a device may ask for a window elsewhere, as nic.mmio_base_addr does). */
#define PLATFORM_MMIO32_BASE 0xE0000000ull
#define PLATFORM_MMIO_WINDOW_BYTES (256ull << 20)
/* The bounce buffer pool of devices that cannot reach a buffer (swiotlb's default
 * 64 MiB, placed at 3 GiB). */
#define PLATFORM_BOUNCE_BASE (3ull << 30)
#define PLATFORM_BOUNCE_BYTES (64ull << 20)
/* Host memory of the host's own buffers and rings: from 4 GiB (64-bit TLP headers, as
 * pcie-bench counts them). VM i's memory: 1 GiB at 64 GiB + i GiB, placed so that its
 * guest-physical addresses equal the host-physical ones (the IOMMU still translates
 * through the VM's own tables). */
#define PLATFORM_HOST_BASE (4ull << 30)
/* The frames of the host's page cache (img.cache = writeback): from 8 GiB, up to the
 * VMs' memory (pagecache.bytes at most 56 GiB). */
#define PLATFORM_PCACHE_BASE (8ull << 30)
#define PLATFORM_VM_BASE (64ull << 30)
#define PLATFORM_VM_SPAN (1ull << 30)

/* ---- What a run observes --------------------------------------------------------------- */

typedef struct sys_observers {
    pcie_rc_observe_fn rc_request; /* every inbound request at a root complex */
    void *rc_request_ctx;
    iommu_dma_observe_fn dma_api; /* every map, unmap and invalidation of a DMA API */
    void *dma_api_ctx;
    nic_wire_tap_fn nic_wire; /* every frame on a NIC's wire, both ways, and its switch's */
    void *nic_wire_ctx;
    sim_timeline *timeline; /* trace.timeline: the components' slices; NULL when off */
} sys_observers;

/* ---- The platform ------------------------------------------------------------------------ */

/* The components, for the kind that builds on them. iommu is NULL without one. */
typedef struct platform {
    sys_observers obs; /* what the run observes (copied in: it outlives the build) */
    mem *mem;
    mem_phys *pm;
    pcie_link *link;
    pcie_rc *rc;
    pcie_cfg_bus *bus;
    iommu *iommu;
} platform;

/* Registers the platform's parameters: memory (mem.*), the link (pcie.*), the root
 * complex (rc.*), the IOMMU (iommu.*). */
void platform_register_params(sim_params *p);
/* Cross-parameter checks of those (configuration errors, exit 2). */
int platform_check(const sim_params *p, sim_err *e);

/* A host buffer a workload places for its device, [base, base + bytes): refused (exit 2,
 * the message starting with `what`, e.g. "the DMA window") when it wraps, reaches
 * beyond 52-bit physical addresses, or overlaps the MSI window, the device's MMIO window
 * at mmio_base, or the IOMMU's tables when iommu.mode is not off. */
int platform_check_buffer(const sim_params *p, const char *what, uint64_t base, uint64_t bytes,
                          uint64_t mmio_base, sim_err *e);

/* Creates memory, the link ("pcie.*" statistics), the root complex, the bus and the
 * IOMMU (with_iommu: always; else when iommu.mode is not off), in that order, from
 * parameters platform_check accepted. obs may be NULL. */
platform *platform_create(const sim_ctx *ctx, const sys_observers *obs, bool with_iommu);
void platform_destroy(platform *pf);

/* Boot: enumerates the bus from the root port, which must find one function at
 * PLATFORM_DEVICE_RID (the kind plugged its device in), places its BARs in the MMIO
 * window [mmio_base, + mmio_bytes) and programs Max_Payload_Size and
 * Max_Read_Request_Size from the link's configuration. Returns the function, or NULL
 * with *e set. */
pcie_cfg *platform_boot(platform *pf, uint64_t mmio_base, uint64_t mmio_bytes, sim_err *e);

/* Gives the function at rid an IOMMU domain of its own (did) in which [base, base +
 * bytes), rounded out to page_bytes pages, maps to the same host addresses: how VFIO
 * assigns a function to a VM whose guest-physical memory is host memory here. Needs
 * the IOMMU. -1 with *e set. */
int platform_assign_identity(platform *pf, uint16_t rid, uint16_t did, uint64_t base,
                             uint64_t bytes, uint64_t page_bytes, sim_err *e);
/* The same for the requests of rid that carry `pasid` (Scalable IOV: an assignable
 * interface of the function given to a VM): the domain becomes the second level of
 * that PASID's entry, in a PASID table rid has (iommu_pasid_table_create). Needs the
 * IOMMU in scalable mode. -1 with *e set. */
int platform_assign_identity_pasid(platform *pf, uint16_t rid, uint32_t pasid, uint16_t did,
                                   uint64_t base, uint64_t bytes, uint64_t page_bytes,
                                   sim_err *e);

/* The host's DMA API for the function at rid (iommu_dma_create on the platform's
 * IOMMU, memory and bounce pool; its domain did), observed as the run asks. NULL with
 * *e set. */
iommu_dma *platform_dma_api_create(const platform *pf, const sim_params *p, sim_stats *s,
                                   uint16_t rid, uint16_t did, unsigned addr_bits, sim_err *e);

#endif
