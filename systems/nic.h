/* The NIC workload (workload.kind = nic): one SR-IOV NIC on a Gen-n PCIe link, its PF
 * driver enabling nic.vfs VFs, nicload.vms of them each driven by a guest driver with
 * nicload.queue_pairs queue pairs (nicload.vms = 0: the host's PF driver carries the
 * traffic itself, the native case), and a link partner. Traffic of nicload.frame_bytes
 * frames goes one of five ways:
 *   tx        every queue pair sends to the link partner
 *   rx        the link partner sends to every VM (its MAC), flows spread over queues
 *   bidir     both
 *   vf-to-vf  VM i sends to VM i+1 (mod the VMs) through the NIC's embedded switch
 *   rr        every queue pair sends a request and waits for the partner's response
 * at nicload.offered_gbps in total per direction, or as fast as it goes (0).
 *
 * Metrics (results.csv): throughput_gbps and throughput_mpps (host-side bytes, frames
 * without FCS; tx + rx for bidir and rr, received for vf-to-vf), drops (NIC drops:
 * empty ring, buffer overflow, anti-spoofing, link down, DMA errors), tx_desc_reads,
 * doorbells, irqs_per_sec, pcie_up_bytes_per_pkt and pcie_down_bytes_per_pkt (every
 * TLP on the link per packet), latency_ns_p50/p99 (one-way from the partner to the
 * driver for received traffic, round trip for rr), and the analytic limits of the
 * direction: line_limit_gbps (the wire) and pcie_limit_gbps (pcie-bench's model of
 * this NIC and driver, nic_pcie_model_eval). Per-VF and per-driver figures are in the
 * stats (nic.vfN.*, nicdrv.vfN.*).
 *
 * With iommu.mode other than off the root complex translates through the IOMMU: in
 * pass-through (pt) or, for strict and lazy, with one domain per function whose queue
 * memory is mapped for the whole run, as an assigned VF's VM memory is (there is no
 * per-packet map and unmap on this path); the IOMMU's metrics join the results.
 * Interrupts are delivered as addressed (no interrupt remapping on this path yet). */
#ifndef MODELS_NIC_NICLOAD_H
#define MODELS_NIC_NICLOAD_H

#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"

/* Registers nicload.*, and the NIC's (nic.*), its driver's (nicdrv.*) and the link
 * partner's (peer.*) parameters. */
void nicload_register_params(sim_params *p);
int nicload_check(const sim_params *p, sim_err *e);
void *nicload_build(const sim_ctx *ctx, sim_err *e);
void nicload_destroy(void *load);

#endif
