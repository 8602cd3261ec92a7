/* The DMA micro-benchmark (workload.kind = dma): a device-side engine in the style of
 * pcie-bench that keeps dma.outstanding transfers of dma.size_bytes in flight over a
 * host buffer of dma.window_bytes, reading, writing, or alternating both, and reports
 * payload bandwidth, transfer rate and latency. The system is one device on one root
 * port: link, root complex, host memory.
 *
 * Each transfer costs one kernel event (its completion); the TLPs it generates are
 * reservations on the link and memory. Addresses: the window (4 KiB aligned) is cut
 * into slots, the transfer size rounded up to a power of two up to 4 KiB and to whole
 * 4 KiB pages above; transfers take the slots in order (seq) or at random, starting
 * dma.offset_bytes into the slot. With no offset a transfer of up to 4 KiB therefore
 * starts aligned and never crosses a 4 KiB boundary, as the pcie-bench model assumes;
 * an offset makes unaligned transfers (which may cross one).
 *
 * With iommu.mode other than off the root complex translates through the IOMMU
 * (models/iommu/): in pt the device is in pass-through; in strict and lazy the driver
 * maps each transfer's buffer before it and unmaps it after (dma.map = transfer) or maps
 * the window once in pages of iommu.page_bytes (dma.map = window, as pcie-bench does).
 * A 32-bit device (pcie.addr_bits = 32) with a window above 4 GiB goes through IOVAs
 * below 4 GiB, or, with the IOMMU off or in pt, through bounce buffers. The IOMMU's
 * metrics and dma_cpu_cycles_per_transfer then join the results. */
#ifndef MODELS_PCIE_DMABENCH_H
#define MODELS_PCIE_DMABENCH_H

#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"

void dmabench_register_params(sim_params *p);
int dmabench_check(const sim_params *p, sim_err *e);
void *dmabench_build(const sim_ctx *ctx, sim_err *e);
void dmabench_destroy(void *bench);

#endif
