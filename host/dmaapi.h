/* The host's DMA API for one host-owned device (Linux's dma_map/dma_unmap over
 * intel-iommu and swiotlb), with the CPU cycles each call costs. iommu.mode picks:
 *
 *   off     no IOMMU: the device gets host physical addresses. A device with fewer
 *           address bits than the buffer needs (pcie.addr_bits = 32, buffer above
 *           4 GiB) gets a bounce buffer below 4 GiB: the CPU copies into it before a
 *           device read and out of it after a device write (cycles, and the copy's
 *           memory reads and cache fills).
 *   pt      the IOMMU translates nothing for this device (pass-through context);
 *           bouncing as for off.
 *   strict  each map allocates an IOVA range and writes page-table entries; each unmap
 *           clears them, invalidates the pages (page-selective IOTLB invalidation and,
 *           with ATS, the device TLB, plus a wait descriptor) and frees the IOVA.
 *   lazy    unmap clears the entries but defers invalidation: IOVAs wait in a flush
 *           queue until iommu.lazy_batch unmaps or iommu.lazy_timeout_ms have
 *           gathered, then one domain-selective invalidation covers them all and they
 *           are freed (stale translations stay usable until then: the protection
 *           given up for speed).
 *
 * IOVAs are allocated top-down below the MSI window (0xFEE00000, reserved in every
 * domain as Linux does) in naturally aligned power-of-two blocks of iommu.page_bytes,
 * freed blocks reused last-in first-out (Linux's per-CPU IOVA caches), and above 4 GiB
 * when that runs out and the device has 64 address bits.
 *
 * The IOMMU driver's part (intel-iommu) is here too: it pays pte_cycles for each table
 * entry the IOMMU's domain calls write or clear, and submits invalidations through the
 * IOMMU's queue (iommu_dma_qi_submit: descriptors, the tail doorbell, the spin on the
 * wait's status), which trace replay uses as well. The IOMMU model only says what the
 * hardware does and when.
 *
 * Timing: maps and unmaps return the time they are done (a bounce copy or a strict
 * invalidation takes time); CPU work is counted in cycles at the host's clock
 * (dmaapi.cpu_cycles, and the IOMMU part also in iommu.cpu_cycles) for a CPU model to
 * charge to a core. */
#ifndef HOST_DMAAPI_H
#define HOST_DMAAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/iommu/iommu.h"
#include "models/mem/mem.h"
#include "sim/err.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef enum iommu_dma_mode {
    IOMMU_DMA_OFF = 0,
    IOMMU_DMA_PT = 1,
    IOMMU_DMA_STRICT = 2,
    IOMMU_DMA_LAZY = 3,
} iommu_dma_mode;

typedef struct iommu_dma iommu_dma;

/* How the host uses the IOMMU: the iommu.* parameters that are software's (the mode,
 * the page size it maps with, the lazy flush policy, the CPU cost of each step), and
 * the host CPU they run on. Cycles become time at cpu_ghz. */
typedef struct iommu_dma_cfg {
    uint32_t mode;       /* iommu_dma_mode */
    uint64_t page_bytes; /* IOMMU page size buffers and windows are mapped with */
    bool ats;            /* the device has a device TLB: unmaps also invalidate it */
    uint64_t lazy_batch, lazy_timeout_ps;
    uint64_t iova_alloc_cycles, iova_free_cycles, bounce_map_cycles;
    uint64_t qi_desc_cycles; /* writing one invalidation descriptor, the tail doorbell */
    uint64_t pte_cycles;     /* writing or clearing one page-table entry */
    bool iotlb_inv_hint;     /* a second-level domain's page invalidations carry IH */
    /* Not the DMA API's parameters: the clock and copy rate of the cores it runs on,
     * from the cpu's (cpu_cfg_load): the kinds that use it build no cpu. */
    double cpu_ghz, copy_bytes_per_cycle;
    /* A guest's DMA API on an emulated IOMMU (host/viommu.h): its invalidations are
     * writes the hypervisor traps (emulated). With Caching Mode the driver also follows
     * every map with a page-selective invalidation (intel-iommu's __mapping_notify_one:
     * a not-present entry may be cached), which the emulator takes to shadow the
     * mapping; the hardware is not involved in it. */
    bool emulated, caching_mode;
} iommu_dma_cfg;

void iommu_dma_register_params(sim_params *p);
void iommu_dma_config(const sim_params *p, iommu_dma_cfg *c);
/* Refuses a page size (iommu.page_bytes) that the IOMMU's tables cannot map. */
int iommu_dma_check(const sim_params *p, sim_err *e);

/* The IOMMU driver's queued invalidation (Linux's qi_submit_sync): at t_ps the CPU
 * writes the descriptors and a wait descriptor with a status write into the queue where
 * the driver's own record of it says (iommu_qi_driver_of; its stores reach the cache
 * through m), rings the tail doorbell and spins until the status word changes. Returns
 * when it does; *cpu_cycles (may be NULL) gets what the CPU paid: c->qi_desc_cycles per
 * descriptor written, then the wait at c->cpu_ghz (also added to iommu.cpu_cycles). */
uint64_t iommu_dma_qi_submit(iommu *u, mem *m, const iommu_dma_cfg *c, uint64_t t_ps,
                             const iommu_inv *inv, size_t n, uint64_t *cpu_cycles);

/* A mapped buffer: what the device is given, and what unmap needs. */
typedef struct iommu_dma_buf {
    uint64_t dev_addr;       /* the address the device uses */
    uint64_t hpa, bytes;
    uint64_t iova, iova_bytes; /* strict/lazy: the IOVA block */
    uint64_t bounce;         /* bounce slot (0: none) */
    uint64_t bounce_bytes;
    bool to_device;          /* the device reads the buffer (else writes it) */
} iommu_dma_buf;

/* `u` is NULL for mode off. For strict and lazy a domain (id did) is created and rid
 * attached to it; for pt, rid is attached in pass-through. The bounce pool is
 * [bounce_base, + bounce_bytes) below 4 GiB. NULL with *e set on failure. */
iommu_dma *iommu_dma_create(const sim_params *p, sim_stats *s, iommu *u, mem *m, mem_phys *pm,
                            uint16_t rid, uint16_t did, unsigned addr_bits,
                            uint64_t bounce_base, uint64_t bounce_bytes, sim_err *e);
/* A DMA API (strict or lazy) that maps into first-level table fl, the table of PASID
 * `pasid` of requester rid (set up by the caller, typically nested over a guest's second
 * level: host/viommu.h), with PASID-based invalidations tagged with domain id did. No
 * statistics of its own. */
iommu_dma *iommu_dma_create_fl(const iommu_dma_cfg *c, iommu *u, mem *m, mem_phys *pm,
                               uint16_t rid, uint16_t did, uint32_t pasid, iommu_fltable *fl);
/* The same with the configuration given (a guest's DMA API: host/viommu.h); s NULL
 * registers no statistics (an instance per VM would repeat the names). */
iommu_dma *iommu_dma_create_cfg(const iommu_dma_cfg *c, sim_stats *s, iommu *u, mem *m,
                                mem_phys *pm, uint16_t rid, uint16_t did, unsigned addr_bits,
                                uint64_t bounce_base, uint64_t bounce_bytes, sim_err *e);
void iommu_dma_destroy(iommu_dma *d);
iommu_dma_mode iommu_dma_get_mode(const iommu_dma *d);
/* The page size it maps with (iommu.page_bytes). */
uint64_t iommu_dma_page_bytes(const iommu_dma *d);
/* The domain of strict/lazy modes (NULL otherwise). */
iommu_domain *iommu_dma_domain(const iommu_dma *d);

/* Maps [hpa, hpa + bytes) for one transfer at t_ps, in pages of iommu.page_bytes (a page
 * pool's pages, a coherent ring, a DMA benchmark's buffer); returns the time the device
 * may use it (after a bounce copy for a device read), or UINT64_MAX when IOVA or bounce
 * space is exhausted. */
uint64_t iommu_dma_map(iommu_dma *d, uint64_t t_ps, uint64_t hpa, uint64_t bytes, bool to_device,
                       iommu_dma_buf *out);
/* The same in 4 KiB pages whatever iommu.page_bytes says: Linux's streaming mappings
 * (dma_map_single, dma_map_page of an skb's data), which dma-iommu.c maps at its IOVA
 * granule, the IOMMU's smallest page (iommu_map takes a larger one only for an aligned
 * range that long, which a packet is not). */
uint64_t iommu_dma_map_single(iommu_dma *d, uint64_t t_ps, uint64_t hpa, uint64_t bytes,
                              bool to_device, iommu_dma_buf *out);
/* Unmaps after the transfer; returns when the CPU is done (strict: the invalidation
 * has completed; a device write's bounce copy is back). */
uint64_t iommu_dma_unmap(iommu_dma *d, uint64_t t_ps, const iommu_dma_buf *b);
/* Lazy mode: flush the queue now (what the 10 ms timer does). Returns when done. */
uint64_t iommu_dma_flush(iommu_dma *d, uint64_t t_ps);

/* Whether a buffer at [hpa, hpa + bytes) needs bouncing in this mode. */
bool iommu_dma_needs_bounce(const iommu_dma *d, uint64_t hpa, uint64_t bytes);

/* An observer sees what the DMA API does to the device's view of memory: each map and
 * unmap (device range, host range; the IOVA block in strict and lazy modes) and each
 * invalidation it submits. It only looks (a trace recorder). */
typedef enum iommu_dma_event_kind {
    IOMMU_DMA_EV_MAP,
    IOMMU_DMA_EV_UNMAP,
    IOMMU_DMA_EV_INVALIDATE,
} iommu_dma_event_kind;

typedef struct iommu_dma_event {
    iommu_dma_event_kind kind;
    uint64_t t_ps;      /* when the call takes effect */
    uint16_t rid, did;  /* did 0: no domain (off, pt) */
    uint64_t dev_addr;  /* map, unmap: the range the device uses */
    uint64_t hpa;       /* map: the host address dev_addr stands for */
    uint64_t bytes;
    const iommu_inv *inv; /* invalidate: the descriptors of one submission */
    size_t n_inv;
} iommu_dma_event;

typedef void (*iommu_dma_observe_fn)(void *ctx, const iommu_dma_event *ev);
void iommu_dma_set_observer(iommu_dma *d, iommu_dma_observe_fn fn, void *ctx);

uint64_t iommu_dma_cpu_cycles(const iommu_dma *d);
/* ... of them, its invalidations' submissions: descriptors and the spin on their wait. */
uint64_t iommu_dma_qi_cycles(const iommu_dma *d);
uint64_t iommu_dma_maps(const iommu_dma *d);
/* Invalidations the driver has submitted since creation: after maps (caching mode
 * only) and after unmaps (strict: one each; lazy: one per flush). On an emulated IOMMU
 * each is a trapped write of the queue's tail. */
uint64_t iommu_dma_map_invalidations(const iommu_dma *d);
uint64_t iommu_dma_unmap_invalidations(const iommu_dma *d);
/* Whether the IOMMU under it is emulated: its invalidations trap. */
bool iommu_dma_emulated(const iommu_dma *d);
/* Per-operation CPU cost estimates (cycles) for models that charge a core: a map of
 * `pages` pages, and the CPU part of an unmap without its invalidation wait. */
uint64_t iommu_dma_map_cost_cycles(const iommu_dma *d, uint64_t pages);
uint64_t iommu_dma_unmap_cost_cycles(const iommu_dma *d, uint64_t pages);

#endif
