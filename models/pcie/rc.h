/* The root complex seen from one root port: inbound requests from the device go
 * through a translation hook (identity until an IOMMU plugs in) to host memory; reads
 * return as completions split at RCB/MPS; writes are posted; writes to the MSI window
 * go to an interrupt hook. Outbound CPU MMIO writes (posted) and reads (non-posted:
 * the CPU waits for the completion) cross the link to the device.
 *
 * Timing: rc.latency_ns is the pipeline latency of one traversal of the root complex
 * (a request going in, or a completion going out). Everything is a reservation on the
 * link and the memory; the calls return times and schedule nothing.
 *
 * Writes and the write buffer. With rc.write_buffer_lines set, a device's write holds
 * its 64-byte lines of the root complex's (Intel's IIO's) write buffer from its arrival
 * until memory has accepted it, and writes leave in arrival order, as posted requests
 * must (Base Spec 2.4.1). So a write behind one that waits for a page walk waits too,
 * and when the buffer is full a newly arrived write waits for room: in hardware its
 * posted credits are not returned and it waits in the device. The device sees either
 * wait in the time pcie_rc_write returns, which is what its DMA engine's window counts
 * (Little's law: the buffer over the time a write stays bounds the write rate, the
 * bound Vuppalapati et al., SIGCOMM 2024, measure and IOTLB misses lower). Without it
 * (0, the default) each write reaches memory on its own time. */
#ifndef MODELS_PCIE_RC_H
#define MODELS_PCIE_RC_H

#include <stdbool.h>
#include <stdint.h>

#include "models/mem/mem.h"
#include "models/mem/physmem.h"
#include "models/pcie/link.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/stats.h"

/* x86 MSI address window (0xFEEx_xxxx, Intel SDM Vol. 3 11.11). */
#define PCIE_MSI_BASE 0xFEE00000ull
#define PCIE_MSI_SIZE 0x00100000ull

typedef struct pcie_rc pcie_rc;

/* A request without a PASID (the PASID TLP prefix, or in Flit Mode OHC-A1's PASID). */
#define PCIE_NO_PASID UINT32_MAX

/* Translate a device address of requester rid, with the request's PASID (PCIE_NO_PASID:
 * none). Returns 0 with *hpa set and *t_ps advanced by the time translation took, or -1
 * when the access is blocked (the request gets an Unsupported Request completion and
 * memory is not touched). */
typedef int (*pcie_translate_fn)(void *ctx, uint16_t rid, uint32_t pasid, uint64_t addr,
                                 uint32_t len, bool write, uint64_t *t_ps, uint64_t *hpa);
/* An MSI/MSI-X write reached the root complex at t_ps. */
typedef void (*pcie_msi_fn)(void *ctx, uint16_t rid, uint64_t addr, uint32_t data, uint64_t t_ps);

void pcie_rc_register_params(sim_params *p);
/* The rc.* parameters' consistency with the link's (a write must fit the write buffer). */
int pcie_rc_check(const sim_params *p, sim_err *e);
/* The kernel k is the simulation's clock: without a write buffer, the writes an MSI
 * might wait for are kept until the clock passes the time memory takes them (an MSI
 * reaches the root complex no earlier than now). */
pcie_rc *pcie_rc_create(const sim_params *p, sim_stats *stats, sim_kernel *k, pcie_link *link,
                        mem *m);
void pcie_rc_destroy(pcie_rc *rc);
/* One traversal of the root complex's pipeline (rc.latency_ns), for models that answer
 * on its behalf (ATS translation requests). */
uint64_t pcie_rc_latency_ps(const pcie_rc *rc);
void pcie_rc_set_translate(pcie_rc *rc, pcie_translate_fn fn, void *ctx);
void pcie_rc_set_msi(pcie_rc *rc, pcie_msi_fn fn, void *ctx);

/* An observer sees every inbound request as it reaches the root complex, before
 * translation: a read, a write, or a write to the MSI window (with its data). It only
 * looks (a trace recorder): the request's fate and timing are unchanged. */
typedef enum pcie_rc_req { PCIE_RC_READ, PCIE_RC_WRITE, PCIE_RC_MSI } pcie_rc_req;
typedef void (*pcie_rc_observe_fn)(void *ctx, pcie_rc_req kind, uint64_t t_ps, uint16_t rid,
                                   uint64_t addr, uint32_t len, uint32_t msi_data);
void pcie_rc_set_observer(pcie_rc *rc, pcie_rc_observe_fn fn, void *ctx);
/* net.breakdown: while a device moves a numbered packet (sim_breakdown_current), the
 * root complex's latency joins its breakdown as cat_pcie, the translation as
 * cat_iommu, the memory access as cat_mem. */
void pcie_rc_set_breakdown(pcie_rc *rc, sim_breakdown *bd, unsigned cat_pcie,
                           unsigned cat_iommu, unsigned cat_mem);

/* Host memory's contents, for requests that carry bytes (pcie_rc_read_into,
 * pcie_rc_write_from): a device that reads what software wrote (an NVMe submission
 * entry, a PRP list) or writes what software reads (a completion entry). Without it
 * those requests are timed and move no bytes. */
void pcie_rc_set_physmem(pcie_rc *rc, mem_phys *pm);

/* An MRd for [addr, addr+len) from requester rid arrived at the root port at t_ps.
 * Reads memory and sends the completions downstream. Returns the time the last
 * completion has arrived at the device; *ur is set when the request was blocked (a
 * single Cpl with UR status was returned instead of data). */
uint64_t pcie_rc_read(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint64_t addr, uint32_t len,
                      bool *ur);
/* The same, and the bytes read are copied to buf (len bytes; left alone when blocked). */
uint64_t pcie_rc_read_into(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint64_t addr,
                           uint32_t len, void *buf, bool *ur);
/* An MWr arrived at t_ps. Returns the time memory accepted it (or the interrupt hook
 * was called). Blocked writes are dropped (posted: the device is not told). */
uint64_t pcie_rc_write(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint64_t addr, uint32_t len,
                       uint32_t msi_data);
/* An MWr carrying buf's len bytes, which land in host memory's contents when allowed.
 * The contents change at once, ahead of the returned time: a model that must not let
 * software see them early writes them itself when that time comes. */
uint64_t pcie_rc_write_from(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint64_t addr,
                            uint32_t len, const void *buf);

/* pcie_rc_read_into (buf NULL: pcie_rc_read) and pcie_rc_write_from (buf NULL: timing
 * only) for a request carrying a PASID, which the translation hook is given. The
 * request's wire bytes are the sender's business (pcie_link_send_prefixed). */
uint64_t pcie_rc_read_pasid(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint32_t pasid,
                            uint64_t addr, uint32_t len, void *buf, bool *ur);
uint64_t pcie_rc_write_pasid(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint32_t pasid,
                             uint64_t addr, uint32_t len, const void *buf);

/* CPU MMIO write of len bytes to a device BAR, issued at t_ps: returns its arrival at
 * the device. */
uint64_t pcie_rc_mmio_write(pcie_rc *rc, uint64_t t_ps, uint64_t addr, uint32_t len);
/* CPU MMIO read: the device answers after dev_latency_ps; returns the time the data
 * is back at the root complex (the CPU stalls until then). */
uint64_t pcie_rc_mmio_read(pcie_rc *rc, uint64_t t_ps, uint64_t addr, uint32_t len,
                           uint64_t dev_latency_ps);

#endif
