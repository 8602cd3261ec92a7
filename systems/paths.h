/* The network workload (workload.kind = net): one platform, one NIC, the same traffic,
 * and a choice of how the VMs reach the NIC (io.path):
 *
 *   native       no VMs: traffic.vms application threads, each with its own PF queue
 *                pair driven on its own core (the baseline)
 *   emulated     an e1000-like device model in host user space; the host's PF driver
 *                behind a virtual switch
 *   paravirt     virtio-net rings, a vhost worker per VM, ioeventfd kicks, irqfd
 *                interrupts, notification suppression; the host's switch and PF driver
 *   devdomain    Xen split driver: netfront, event channels, netback in a driver domain
 *                that owns the PF (an assigned device) and bridges to it
 *   passthrough  one VM owns the whole NIC (its PF), DMA through the VM's IOMMU domain
 *   sriov        each VM owns a VF; the VFs share the port, link, IOTLB and interrupt
 *                remapping cache
 *
 * The steps of each path are data (models/paths/paths.c, path.h); one engine runs them
 * (models/paths/engine.c) over the CPU, hypervisor, switch, NIC, PCIe, IOMMU and memory
 * models. Traffic: traffic.pattern stream_tx (the VMs send to the link partner),
 * stream_rx (the partner sends to every VM), bidir, rr (each VM sends a request and
 * waits for the partner's response), inter_vm (VM i sends to VM i+1 through the
 * switch, or the NIC's embedded switch for SR-IOV); traffic.packet_bytes, traffic.vms,
 * traffic.offered_gbps (0: as fast as it goes), traffic.rr_bytes.
 *
 * Placement (place.*): cores 0 .. place.host_cores-1 run the host's stack and PF driver
 * (for devdomain: the driver domain's vCPUs that run its PF driver and bridge); VM i's
 * vCPU runs on core place.host_cores + i, wrapping over the remaining cores; its
 * back-end thread (device model, vhost worker, netback) on place.backend: its own core
 * after the vCPUs, its vCPU's core, or the host's cores (auto: the vCPU's for the
 * device model, which QEMU runs in the vCPU thread on a register exit; its own for
 * vhost, and for netback a driver domain vCPU of its own).
 *
 * Metrics (results.csv): throughput_gbps, throughput_mpps (frames that reached their
 * destination application or the link partner, host-side bytes), latency_ns_mean,
 * latency_ns_p50, latency_ns_p99, latency_ns_p999 (partner to application for received
 * traffic, application to application for inter_vm, request to response for rr; not
 * measured for stream_tx), guest_cycles_per_pkt, hv_cycles_per_pkt,
 * host_cycles_per_pkt, exits_per_sec, irqs_per_sec, copies_per_pkt, vm_cpu_util (how
 * busy each VM's vCPU core is, on average), cores_busy, drops; the IOMMU's
 * (iotlb_hit_rate, ...) and the link's (pcie_up_util, pcie_down_util) register
 * themselves.
 *
 * Configuration errors (exit 2 before anything runs): passthrough with more than one
 * VM, sriov with more VMs than VFs (or than the queue pool allows), an assigned
 * function whose IOMMU group holds functions that stay with the host or another VM
 * (io.nic_acs = false), native with more application threads than PF queues,
 * inter_vm without two VMs behind one switch. */
#ifndef MODELS_PATHS_NET_H
#define MODELS_PATHS_NET_H

#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"
#include "sim/stats.h"

/* Registers traffic.*, io.*, place.*, net.* and the host models' (cpu.*, hv.*,
 * vswitch.*) and paths' (virtio.*, emu.*, xen.*) parameters. The NIC's, its driver's
 * and the partner's (nic.*, nicdrv.*, peer.*) are registered by the NIC workload. */
void net_register_params(sim_params *p);
int net_check(const sim_params *p, sim_err *e);
void *net_build(const sim_ctx *ctx, sim_err *e);
void net_destroy(void *system);

#endif
