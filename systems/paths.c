/* The I/O paths (workload.kind = paths): one platform, one NIC, the same traffic,
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
 *   vmdq         devdomain over a multi-queue NIC: the driver domain drives a PF queue
 *                pair per VM queue, filled by the NIC's MAC filter (VMDq), so netback
 *                takes received frames from the VM's queue and posts sent ones to it,
 *                without the bridge
 *   vdpa         virtio-net on virtqueues a VF serves
 *   vhostuser    virtio-net served by a poll-mode switch in host user space
 *   siov         Scalable IOV: each VM drives PF queue pairs tagged with its PASID
 *                (an ADI), translated through the PF's PASID table; the slow path
 *                (configuration space, virtchnl) exits to the host's VDCM
 *
 * The steps of each path are data (host/iopath/tables.c, path.h); one engine runs them
 * (host/iopath/engine.c, iopath.h) over the CPU, hypervisor, switch, NIC, PCIe, IOMMU and
 * memory models. This file builds the platform, assigns functions and interrupts as the
 * hypervisor does at boot, places the VMs, starts the traffic and defines the metrics.
 *
 * Traffic: traffic.pattern stream_tx (the VMs send to the link partner), stream_rx (the
 * partner sends to every VM), bidir, rr (each VM sends a request and waits for the
 * partner's response, or sends open-loop at traffic.rr_requests_per_s), inter_vm (VM i
 * sends to VM i+1 through the switch, or the NIC's embedded switch for SR-IOV);
 * traffic.packet_bytes, traffic.vms, traffic.offered_gbps (0: as fast as it goes),
 * traffic.arrivals (paced or Poisson at a load), traffic.rr_bytes.
 *
 * Variants: guest.driver = poll gives native, passthrough, sriov, vdpa and siov a DPDK
 * application over its poll-mode driver (no interrupt, no kernel stack: path_get_poll);
 * io.standby pairs each VF with a virtio-net standby (net_failover), lanes of their own
 * after the primaries', and io.migrate_at_ms live-migrates the VM (paths_migrate.c).
 *
 * Placement (place.*): cores 0 .. place.host_cores-1 run the host's stack and PF driver
 * (for devdomain and vmdq: the driver domain's vCPUs that run its PF driver and bridge,
 * vmdq's per-VM queues too); VM i's
 * vCPU runs on core place.host_cores + i, wrapping over the remaining cores; its
 * back-end thread (device model, vhost worker, netback) on place.backend: its own core
 * after the vCPUs, its vCPU's core, or the host's cores (auto: the vCPU's for the
 * device model, which QEMU runs in the vCPU thread on a register exit; its own for
 * vhost, and for netback a driver domain vCPU of its own).
 *
 * Metrics (results.csv): throughput, latency, CPU cycles per packet by party, exits,
 * interrupts, IPIs, copies, how busy the vCPUs and the cores are, drops; each defined
 * where it is registered (register_stats; `iovsim metrics paths` lists them). The
 * IOMMU's (iotlb_hit_rate, ...) and the link's (pcie_up_util, pcie_down_util) register
 * themselves.
 *
 * Configuration errors (exit 2 before anything runs; paths_cfg.c): passthrough with
 * more than one VM, sriov with more VMs than VFs (or than the queue pool allows), an
 * assigned function whose IOMMU group holds functions that stay with the host or
 * another VM (io.nic_acs = false), more queue pairs than a function has (native, a
 * VF, the PF, the e1000's one), vmdq with more queues than the PF has or more VMs than
 * the NIC has filters, siov without the IOMMU's scalable mode or with more queue pairs
 * than the PF (or its MSI-X table) has, inter_vm without two VMs behind one switch, on
 * vmdq or siov, or with TCP-like streams. */
#include "systems/kinds.h"

#include <stdio.h>
#include <stdlib.h>

#include "host/pfdrv.h"
#include "host/viommu.h"
#include "models/iommu/irq_remap.h"
#include "models/nic/nic_regs.h"
#include "sim/alloc.h"
#include "systems/nic_setup.h"
#include "systems/paths_sys.h"

/* The driver domain's IOMMU domain id (VMs' are 1 + their index), and the host DMA
 * API's for the PF in strict and lazy modes. */
#define DDOM_DID 4000u
#define HOST_DMA_DID 4001u
/* Linux's posted-interrupt notification vector, and the first device vector. */
#define PI_NOTIFY_VECTOR 0xf2u
#define DEV_VECTOR 0x40u


/* ---------------------------------------------------------------- build */

static void paths_destroy(void *system)
{
    paths_sys *sys = system;
    if (!sys)
        return;
    paths_migration_destroy(sys->mig);
    iopath_destroy_stages(&sys->io);
    sim_breakdown_destroy(sys->bd);
    for (unsigned i = 0; i < sys->io.ndq; i++) {
        nic_drvq_destroy(sys->io.dq[i]->q);
        free(sys->io.dq[i]);
    }
    free(sys->io.dq);
    free(sys->io.host_q);
    free(sys->drv_ctr);
    free(sys->io.lane);
    nic_partner_destroy(sys->peer);
    nic_destroy(sys->nic);
    iommu_dma_destroy(sys->pf_dma);
    paths_viommu_destroy(sys->viommu);
    iopath_lock_free(sys->io.viommu_lock, 2 * (size_t)sys->io.nlanes);
    platform_destroy(sys->pf);
    vswitch_destroy(sys->io.vsw);
    vtick_destroy(sys->tick);
    noise_destroy(sys->noise);
    halt_destroy(sys->io.halt);
    hv_destroy(sys->io.hv);
    cpu_destroy(sys->io.cpu);
    free(sys);
}

/* Whether a VM's vCPU runs on `core`: a lane's (its queue's, or its application's with
 * place.app = own), or the driver domain's on the host cores. */
static bool core_runs_vcpu(const paths_sys *sys, unsigned core)
{
    const iopath *io = &sys->io;
    if (core < sys->cfg.host_cores)
        return io->path->nic_owner == PATH_NIC_DDOM;
    for (unsigned i = 0; i < io->nlanes; i++)
        if (io->lane[i].vcpu_core == core || io->lane[i].app_core == core)
            return true;
    return false;
}

/* The core a VM's remapped interrupt for entry idx lands on (io.irq_affinity), the vCPU
 * that takes it being on `core`. KVM's host leaves a VFIO vector's affinity to irqbalance
 * (vfio_msi_set_vector_signal requests a plain host IRQ whose handler, vfio_msihandler,
 * signals the irqfd), which places vectors by the interrupt and softirq load it reads
 * in /proc/stat and knows nothing of vCPUs; Xen binds a driver domain's pirq to its vCPU's
 * processor and moves it with the vCPU (evtchn_bind_vcpu, evtchn_move_pirqs). */
static unsigned irq_dest(const paths_sys *sys, unsigned idx, unsigned core)
{
    unsigned a = sys->cfg.irq_affinity;
    if (a == PATHS_IRQ_AUTO)
        a = sys->io.path->nic_owner == PATH_NIC_DDOM ? PATHS_IRQ_VCPU : PATHS_IRQ_SPREAD;
    switch (a) {
    case PATHS_IRQ_HOST: return idx % sys->cfg.host_cores;
    case PATHS_IRQ_SPREAD: return idx % cpu_cores(sys->io.cpu);
    default: return core;
    }
}

/* One driver queue of function fn, queue pair q, its memory at base. */
/* Whose driver runs function fn's queues: a DPDK application's, a VM's (its VF's driver
 * or virtio-net), or on the PF the host's kernel driver or its poll-mode switch's. */
static nic_drv_role fn_role(const paths_sys *sys, unsigned fn)
{
    if (fn != NIC_PF || sys->cfg.poll || sys->io.path->nic_owner == PATH_NIC_VM_ADI)
        return paths_drv_role(&sys->cfg);
    if (path_get((path_kind)sys->cfg.path)->host_pmd)
        return NIC_DRV_PMD;
    return NIC_DRV_PF;
}

static iopath_drvq *add_queue(paths_sys *sys, unsigned fn, unsigned q, uint64_t base,
                              nic_drv_counters *ctr, iopath_lane *owner, unsigned core, cpu_who who,
                              bool via_hv, sim_err *e)
{
    iopath_drvq *dq = sim_xcalloc(1, sizeof *dq);
    unsigned idx = sys->io.ndq;
    sys->io.dq[sys->io.ndq++] = dq;
    dq->io = &sys->io;
    dq->lane = owner;
    dq->core = core;
    dq->who = who;
    dq->via_hv = via_hv;
    /* Its interrupt remapping entry is its index: the interrupt comes back as io.dq[idx]. */
    uint16_t rid = nic_fn_rid(sys->nic, fn);
    uint8_t vector = (uint8_t)(DEV_VECTOR + idx % 0xb0u);
    bool posted = via_hv && hv_posted(sys->io.hv);
    uint64_t pd_addr = 0;
    int rc;
    if (posted) {
        pd_addr =
            owner ? owner->pd_addr : iommu_pid_create(sys->pf->iommu, PI_NOTIFY_VECTOR, core);
        rc = iommu_irte_set_posted(sys->pf->iommu, idx, rid, pd_addr, vector, false);
    } else {
        /* The host's own queues' interrupts land where their NAPI poll runs (the driver's
         * affinity hint); a VM's where io.irq_affinity says. */
        unsigned dest = via_hv ? irq_dest(sys, idx, core) : core;
        dq->irq_dest_in_vm = core_runs_vcpu(sys, dest);
        rc = iommu_irte_set_remapped(sys->pf->iommu, idx, rid, dest, vector);
    }
    if (rc < 0 || (posted && !pd_addr)) {
        sim_err_set(e, "paths: interrupt remapping entry %u could not be written", idx);
        return NULL;
    }
    nic_drv_env env = {.kernel = sys->io.kernel,
                       .rc = sys->pf->rc,
                       .nic = sys->nic,
                       .mem = sys->pf->mem,
                       .fn = fn,
                       .q = q,
                       .role = fn_role(sys, fn),
                       .base = base,
                       .msi_addr = iommu_msi_addr(idx),
                       .msi_data = 0,
                       .ctr = ctr,
                       .dma = !via_hv ? (fn == NIC_PF ? sys->pf_dma : NULL)
                              : owner && sys->viommu ? paths_viommu_dma(sys->viommu, owner->vm)
                                                     : NULL};
    dq->q = nic_drvq_create(sys->params, &env);
    nic_drvq_set_rx_handler(dq->q, iopath_drvq_rx, dq);
    nic_drvq_set_rx_done(dq->q, iopath_drvq_rx_done);
    nic_drvq_set_tx_done(dq->q, iopath_drvq_tx_done);
    nic_drvq_set_cpu(dq->q, iopath_drvq_cpu, dq);
    nic_drvq_set_spin(dq->q, iopath_drvq_spin);
    nic_drvq_set_trap(dq->q, iopath_drvq_trap);
    return dq;
}

/* The host's poll-mode threads spin whether or not a packet comes (OVS-DPDK's PMD
 * threads, pmd_thread_main, loop over their queues without sleeping): the PF's
 * poll-mode queues' cores, and those of the stages that poll (vhost-user's dequeue),
 * unless one shares a vCPU's core, whose halts the vCPU keeps. A guest's or a DPDK
 * application's own poll-mode core is registered with its lane. */
static void add_pmd_spinners(paths_sys *sys)
{
    iopath *io = &sys->io;
    if (io->path->host_pmd)
        for (unsigned c = 0; c < sys->cfg.host_cores; c++)
            halt_add_spinner(io->halt, c);
    for (unsigned i = 0; i < io->nlanes; i++)
        for (unsigned s = 0; s < PATH_MAX_STAGES; s++) {
            const iopath_stage *st = io->lane[i].stage[s];
            if (st && st->d->polls && st->d->who == CPU_HOST &&
                !halt_registered(io->halt, st->core))
                halt_add_spinner(io->halt, st->core);
        }
}

static unsigned backend_core(const paths_sys *sys, const path_desc *pd, unsigned i,
                             unsigned vms)
{
    unsigned cores = cpu_cores(sys->io.cpu), h = sys->cfg.host_cores, g = cores - h;
    switch (paths_backend_place(&sys->cfg, pd)) {
    case 1: return h + (vms + i) % g;
    case 2: return h + i % g;
    default: return i % h;
    }
}

/* VM i's I/O memory (guest-physical = host-physical here). */
static uint64_t vm_io_base(unsigned i) { return PLATFORM_VM_BASE + (uint64_t)i * PLATFORM_VM_SPAN; }

static uint64_t vm_mac(const paths_sys *sys, unsigned i)
{
    switch ((path_nic_owner)sys->io.path->nic_owner) {
    case PATH_NIC_APP:
    case PATH_NIC_VM_PF: return nic_fn_mac(sys->nic, NIC_PF);
    case PATH_NIC_VM_VF: return nic_fn_mac(sys->nic, NIC_FN_OF_VF(i));
    default: return 0x525400120000ull + i + 1; /* a virtual NIC's address (QEMU's prefix) */
    }
}

/* Where the host's PF driver finds the PF: the system's NIC, bus and MMIO window. */
static pfdrv_env host_pfdrv_env(const paths_sys *sys)
{
    return (pfdrv_env){.kernel = sys->io.kernel,
                       .nic = sys->nic,
                       .bus = sys->pf->bus,
                       .pf_rid = PLATFORM_DEVICE_RID,
                       .mmio_base = nic_caps_of(sys->params).mmio_base,
                       .mmio_bytes = PLATFORM_MMIO_WINDOW_BYTES};
}

/* VMDq: the NIC's owner drives a PF queue pair per lane after its own, PF queue
 * host_cores + lane, on its cores (the driver domain's vCPUs: only its driver can touch
 * the PF; lane i's queue on core i modulo them, as ixgbe's affinity hints spread queue
 * vectors over the CPUs its kernel has), and its PF driver gives each VM a pool of its
 * lanes' queues with the VM's MAC (pfdrv_set_pool, ixgbe_fwd_add). */
static int add_lane_queues(paths_sys *sys, uint64_t per_q, bool via_hv, sim_err *e)
{
    iopath *io = &sys->io;
    unsigned h = sys->cfg.host_cores;
    for (unsigned i = 0; i < io->nlanes; i++) {
        iopath_lane *ln = &io->lane[i];
        /* Owned by no lane: its interrupts go to the driver domain's vCPU. */
        iopath_drvq *dq = add_queue(sys, NIC_PF, h + i, PLATFORM_HOST_BASE + (h + i) * per_q,
                                    &sys->drv_ctr[0], NULL, i % h, CPU_HOST, via_hv, e);
        if (!dq)
            return -1;
        dq->lane = ln;
        ln->own = dq;
    }
    pfdrv_env env = host_pfdrv_env(sys);
    pfdrv *drv = pfdrv_create(sys->params, &env);
    int rc = 0;
    for (unsigned v = 0; v < io->vms && rc == 0; v++)
        rc = pfdrv_set_pool(drv, 0, v, io->lane[v * io->queues].mac, h + v * io->queues,
                            io->queues);
    if (rc < 0)
        sim_err_set(e, "paths: %s", pfdrv_last_error(drv));
    pfdrv_destroy(drv);
    return rc;
}

/* Scalable IOV: VM v's ADI is io.queues PF queue pairs after the host's (one per host
 * core, which it keeps and does not drive here), lane i's PF queue host_cores + i, driven
 * by the VM's vCPUs; beyond the PF's nic.pf_queues the VDCM takes more from the device's
 * pool. The PF's requester id gets a PASID table: RID_PASID 0 (the host's own DMA)
 * passes through, PASID v + 1 translates by VM v's domain (second level); the host's
 * VDCM tags the ADI's queue pairs with that PASID (QPASID), binds lane i's interrupts to
 * entry i of the PF's Interrupt Message Store (QIMS), and gives the VM a receive filter
 * with its MAC to them (the VMDq pool filters), as it configures an ADI when the guest's
 * driver asks (ice-vdcm). The IMS entry's message is remapped or posted to the VM's
 * vCPUs as a VF's MSI-X would be, and the ADI's driver enables and moderates its vector
 * through the entry's own registers; no ADI takes a vector of the PF's MSI-X table. */
static int add_adi_queues(paths_sys *sys, uint64_t per_q, sim_err *e)
{
    iopath *io = &sys->io;
    iommu *u = sys->pf->iommu;
    uint16_t rid = nic_fn_rid(sys->nic, NIC_PF);
    unsigned h = sys->cfg.host_cores;
    if (iommu_pasid_table_create(u, rid, io->vms + 1, 0) < 0 ||
        iommu_attach_passthrough(u, rid) < 0)
        return sim_err_set(e, "paths: no PASID table for the PF's %u ADIs", io->vms);
    nic_drv_enable_msix(sys->nic, NIC_PF);
    pfdrv_env env = host_pfdrv_env(sys);
    pfdrv *drv = pfdrv_create(sys->params, &env);
    int rc = 0;
    unsigned need = h + io->vms * io->queues, have = nic_fn_queues(sys->nic, NIC_PF);
    if (need > have && pfdrv_add_adi_queues(drv, need - have) < 0)
        rc = sim_err_set(e, "paths: %s", pfdrv_last_error(drv));
    for (unsigned v = 0; v < io->vms && rc == 0; v++) {
        uint64_t base = vm_io_base(v);
        uint32_t pasid = v + 1;
        /* Its memory as the PASID's second level, or under a nested guest vIOMMU the
         * guest's first level over it. */
        if (sys->viommu)
            rc = paths_viommu_attach_adi(sys->viommu, v, rid, pasid, (uint16_t)(1 + v), base,
                                         io->queues * per_q, sys->cfg.guest_page_bytes, e)
                     ? 0
                     : -1;
        else
            rc = platform_assign_identity_pasid(sys->pf, rid, pasid, (uint16_t)(1 + v), base,
                                                io->queues * per_q, sys->cfg.guest_page_bytes,
                                                e);
        for (unsigned q = 0; q < io->queues && rc == 0; q++) {
            unsigned lane = v * io->queues + q;
            iopath_lane *ln = &io->lane[lane];
            ln->fn = NIC_PF;
            ln->own = add_queue(sys, NIC_PF, h + lane, base + q * per_q, &sys->drv_ctr[0], ln,
                                ln->vcpu_core, CPU_GUEST, true, e);
            if (!ln->own)
                rc = -1;
            else if (pfdrv_set_queue_pasid(drv, 0, h + lane, pasid) < 0 ||
                     pfdrv_set_queue_ims(drv, 0, h + lane, lane) < 0)
                rc = sim_err_set(e, "paths: %s", pfdrv_last_error(drv));
        }
        if (rc == 0 && pfdrv_set_pool(drv, 0, v, io->lane[v * io->queues].mac,
                                      h + v * io->queues, io->queues) < 0)
            rc = sim_err_set(e, "paths: %s", pfdrv_last_error(drv));
    }
    pfdrv_destroy(drv);
    return rc;
}

/* The PF as the host's own device: in pass-through (iommu.mode off or pt), or, strict
 * and lazy, in a DMA domain of the host's DMA API, through which its driver maps what
 * the device reaches (nic_drv_env.dma). Once for a failover pair's two uses of it. */
static int attach_host_pf(paths_sys *sys, sim_err *e)
{
    iommu_dma_cfg c;
    iommu_dma_config(sys->params, &c);
    uint16_t rid = nic_fn_rid(sys->nic, NIC_PF);
    if (c.mode < IOMMU_DMA_STRICT) {
        iommu_attach_passthrough(sys->pf->iommu, rid);
        return 0;
    }
    if (sys->pf_dma)
        return 0;
    sys->pf_dma =
        platform_dma_api_create(sys->pf, sys->params, sys->stats, rid, HOST_DMA_DID, 64, e);
    if (!sys->pf_dma)
        return -1;
    paths_register_walks_metric(sys);
    return 0;
}

/* The host's (or the driver domain's) PF queues, one per host core, and for VMDq a
 * PF queue per lane of the path `pd`. */
static int add_host_queues(paths_sys *sys, const path_desc *pd, sim_err *e)
{
    iopath *io = &sys->io;
    uint64_t per_q = nic_drvq_mem_bytes(sys->params, fn_role(sys, NIC_PF));
    bool dd = pd->nic_owner == PATH_NIC_DDOM;
    uint16_t rid = nic_fn_rid(sys->nic, NIC_PF);
    unsigned nq = sys->cfg.host_cores + (pd->lane_rx_entry ? io->nlanes : 0);
    if (dd) {
        /* The driver domain is a VM that owns the PF: its own DMA domain, and its
         * interrupts through the hypervisor. */
        if (platform_assign_identity(sys->pf, rid, DDOM_DID, PLATFORM_HOST_BASE, nq * per_q,
                                     sys->cfg.guest_page_bytes, e) < 0)
            return -1;
    } else if (attach_host_pf(sys, e) < 0) {
        return -1;
    }
    nic_drv_enable_msix(sys->nic, NIC_PF);
    for (unsigned q = 0; q < sys->cfg.host_cores; q++) {
        io->host_q[q] = add_queue(sys, NIC_PF, q, PLATFORM_HOST_BASE + q * per_q,
                                  &sys->drv_ctr[0], NULL, q, CPU_HOST, dd, e);
        if (!io->host_q[q])
            return -1;
    }
    io->nhost_q = sys->cfg.host_cores;
    if (pd->lane_rx_entry && add_lane_queues(sys, per_q, dd, e) < 0)
        return -1;
    return 0;
}

static int add_queues(paths_sys *sys, sim_err *e)
{
    const sim_params *p = sys->params;
    iopath *io = &sys->io;
    path_nic_owner own = (path_nic_owner)io->path->nic_owner;
    uint64_t per_q = nic_drvq_mem_bytes(p, paths_drv_role(&sys->cfg));
    unsigned maxq = io->nlanes + sys->cfg.host_cores;
    io->dq = sim_xcalloc(maxq, sizeof *io->dq);
    sys->drv_ctr = sim_xcalloc(io->vms + 1, sizeof *sys->drv_ctr);
    io->host_q = sim_xcalloc(sys->cfg.host_cores, sizeof *io->host_q);
    if (iommu_irq_table_init_for(sys->pf->iommu, maxq) < 0)
        return sim_err_set(e, "paths: no interrupt remapping table for %u vectors", maxq);
    sys->n_drv_ctr = 1;
    nic_drv_register_stats(&sys->drv_ctr[0], sys->stats, NIC_PF, p, fn_role(sys, NIC_PF));
    switch (own) {
    case PATH_NIC_APP:
        /* Bare metal: the host's DMA API, one PF queue per thread. */
        if (attach_host_pf(sys, e) < 0)
            return -1;
        nic_drv_enable_msix(sys->nic, NIC_PF);
        for (unsigned i = 0; i < io->nlanes; i++) {
            iopath_lane *ln = &io->lane[i];
            ln->own = add_queue(sys, NIC_PF, i, PLATFORM_HOST_BASE + i * per_q, &sys->drv_ctr[0],
                                ln, ln->vcpu_core, CPU_GUEST, false, e);
            if (!ln->own)
                return -1;
        }
        break;
    case PATH_NIC_HOST:
    case PATH_NIC_DDOM:
        if (add_host_queues(sys, io->path, e) < 0)
            return -1;
        break;
    case PATH_NIC_VM_ADI:
        if (add_adi_queues(sys, per_q, e) < 0)
            return -1;
        break;
    case PATH_NIC_VM_PF:
    case PATH_NIC_VM_VF:
        /* Each VM's function, its queue pairs driven by the VM's vCPUs, queue q's
         * interrupt aimed at vCPU q (the drivers' affinity hints). */
        for (unsigned v = 0; v < io->vms; v++) {
            unsigned fn = own == PATH_NIC_VM_PF ? NIC_PF : NIC_FN_OF_VF(v);
            uint64_t base = vm_io_base(v);
            /* Its memory mapped once, or, under a guest vIOMMU, buffer by buffer as its
             * guest's DMA API maps them. */
            uint16_t rid = nic_fn_rid(sys->nic, fn), did = (uint16_t)(1 + v);
            if (sys->viommu ? !paths_viommu_attach(sys->viommu, v, rid, did, base,
                                                   io->queues * per_q, sys->cfg.guest_page_bytes, e)
                            : platform_assign_identity(sys->pf, rid, did, base, io->queues * per_q,
                                                       sys->cfg.guest_page_bytes, e) < 0)
                return -1;
            nic_drv_counters *ctr = &sys->drv_ctr[0];
            if (fn != NIC_PF) {
                ctr = &sys->drv_ctr[sys->n_drv_ctr++];
                nic_drv_register_stats(ctr, sys->stats, fn, p, paths_drv_role(&sys->cfg));
            }
            for (unsigned q = 0; q < io->queues; q++) {
                iopath_lane *ln = &io->lane[v * io->queues + q];
                ln->fn = fn;
                ln->own = add_queue(sys, fn, q, base + q * per_q, ctr, ln, ln->vcpu_core,
                                    CPU_GUEST, true, e);
                if (!ln->own)
                    return -1;
            }
        }
        break;
    }
    /* A failover pair's standby (io.standby) reaches the NIC through the host's. */
    if (io->host_path && io->host_path != io->path &&
        add_host_queues(sys, io->host_path, e) < 0)
        return -1;
    return 0;
}

/* An assigned function, for the hypervisor enabling MSI-X on it when the guest does. */
typedef struct assigned_fn {
    nic *nic;
    unsigned fn;
} assigned_fn;

static void enable_msix(void *ctx)
{
    const assigned_fn *a = ctx;
    nic_drv_enable_msix(a->nic, a->fn);
}

/* The guests probe their assigned functions (each configuration access an exit);
 * every driver then brings its queue up. Returns when traffic can start.
 * Siov: the ADI's configuration space is the VDCM's (an mdev has none of its own);
 * the probe's accesses are counted as vpci's over the PF's, the same exits, MSI-X left
 * as the host set it; then the guest's driver brings the ADI up over virtchnl, every
 * request trapped (host/vdcm.h). Vdpa: QEMU's virtio-net device over vhost-vdpa; its
 * configuration space's accesses are counted as vpci's over the VF's, then the guest's
 * virtio-net driver brings the device up through QEMU, which starts it with vhost-vdpa
 * ioctls (host/vdpactl.h; a DPDK guest's virtio PMD does the same from user space,
 * not modelled). */
static uint64_t open_queues(paths_sys *sys)
{
    uint64_t start = NIC_SETUP_START_PS; /* and the guests' probes are done */
    vdcm_cfg vc = vdcm_cfg_load(sys->params);
    vdpactl_cfg dc = vdpactl_cfg_load(sys->params);
    for (unsigned i = 0; i < sys->io.nlanes; i += sys->io.queues) {
        iopath_lane *ln = &sys->io.lane[i]; /* a VM's first vCPU probes its function */
        path_nic_owner own = (path_nic_owner)ln->path->nic_owner;
        if (own == PATH_NIC_VM_PF || own == PATH_NIC_VM_VF || own == PATH_NIC_VM_ADI) {
            assigned_fn a = {sys->nic, ln->fn};
            bool adi = own == PATH_NIC_VM_ADI;
            uint64_t t = vpci_probe(sys->io.hv, ln->vcpu_core, nic_fn_cfg(sys->nic, ln->fn),
                                    adi ? NULL : enable_msix, &a, &sys->vpci, 0);
            if (adi)
                t = vdcm_adi_init(&vc, sys->io.hv, ln->vcpu_core, &sys->vdcm, t);
            else if (ln->path->kind == PATH_VDPA && !sys->cfg.poll)
                t = vdpactl_bring_up(&dc, sys->io.hv, sys->io.cpu, ln->vcpu_core,
                                     2 * sys->io.queues + 1, &sys->vdpactl, t);
            if (t > start)
                start = t;
        }
    }
    for (unsigned i = 0; i < sys->io.ndq; i++)
        nic_drvq_open(sys->io.dq[i]->q, 0);
    return start;
}

static void setup_switch(paths_sys *sys)
{
    uint8_t m[6];
    uint64_t peer = nic_partner_mac(sys->peer);
    for (int i = 0; i < 6; i++)
        m[i] = (uint8_t)(peer >> (40 - 8 * i));
    /* What the partner's ARP reply and the VMs' gratuitous ARPs at boot teach it. */
    vswitch_learn(sys->io.vsw, 0, m);
    for (unsigned i = 0; i < sys->io.nlanes; i += sys->io.queues) {
        for (int b = 0; b < 6; b++)
            m[b] = (uint8_t)(sys->io.lane[i].mac >> (40 - 8 * b));
        vswitch_learn(sys->io.vsw, sys->io.lane[i].port, m);
    }
}

static void setup_traffic(paths_sys *sys, uint64_t start, uint64_t seed)
{
    bool to_vms = sys->io.pattern == IOPATH_STREAM_RX || sys->io.pattern == IOPATH_BIDIR;
    bool from_vms = sys->io.pattern != IOPATH_STREAM_RX;
    uint32_t hb = sys->io.frame_bytes - NIC_FCS_BYTES;
    iopath *io = &sys->io;
    if (to_vms) {
        /* traffic.flows per VM (by default a flow per queue pair), the same on every path:
         * the NIC's RSS (flow modulo the queues, as ixgbe fills its redirection table)
         * and the VM's device spread them over the lanes. */
        uint32_t flows = sys->cfg.flows ? sys->cfg.flows : io->queues;
        /* TCP-like streams keep their receivers' window (the VMs' acknowledgements
         * open it); datagrams are open-loop. */
        if (io->msg_bytes && io->pattern != IOPATH_INTER_VM) {
            nic_partner_set_window(sys->peer, sys->cfg.rcv_window_bytes, io->frame_bytes,
                                   sys->cfg.rto_min_ps);
            io->rcv_window_frames = nic_partner_window_frames(sys->peer);
        }
        path_nic_owner own = (path_nic_owner)io->path->nic_owner;
        if (own == PATH_NIC_APP)
            nic_partner_add_dest(sys->peer, io->lane[0].mac, 0, flows * io->vms);
        else
            for (unsigned i = 0; i < io->nlanes; i += io->queues)
                nic_partner_add_dest(
                    sys->peer, io->lane[i].mac,
                    own == PATH_NIC_VM_VF ? nic_fn_vlan(sys->nic, io->lane[i].fn) : 0, flows);
        if (sys->cfg.arrivals == 1 && sys->cfg.offered_gbps > 0)
            nic_partner_set_poisson(sys->peer, seed);
        nic_partner_start(sys->peer, start, sys->cfg.offered_gbps, io->frame_bytes);
    }
    if (!from_vms)
        return;
    /* The partner's TCP receiver acknowledges what the VMs' TCP-like streams send; its
     * GRO is Linux's, on, with the largest segment net.gso_max_bytes gives. */
    if (io->msg_bytes && io->pattern != IOPATH_INTER_VM)
        nic_partner_ack_tcp(sys->peer, IOPATH_TCP_HDR_BYTES + NIC_FCS_BYTES,
                            io->gso_max_frames);
    for (unsigned i = 0; i < sys->napp; i++) {
        iopath_lane *ln = &io->lane[i];
        iopath_sender *s = &ln->snd;
        s->active = true;
        s->dst_mac = io->pattern == IOPATH_INTER_VM
                         ? io->lane[((ln->vm + 1) % io->vms) * io->queues].mac
                         : nic_partner_mac(sys->peer);
        if (sys->cfg.offered_gbps > 0)
            s->interval_ps =
                (uint64_t)llround((double)hb * 8000.0 * sys->napp / sys->cfg.offered_gbps);
        else if (sys->cfg.rr_requests_per_s > 0)
            s->interval_ps = (uint64_t)llround(1e12 * sys->napp / sys->cfg.rr_requests_per_s);
        if (s->interval_ps) {
            s->poisson = sys->cfg.arrivals == 1;
            char stream[48];
            snprintf(stream, sizeof stream, "traffic.arrivals.%u", i);
            sim_rng_seed(&s->gap_rng, seed, stream);
        }
    }
    iopath_start(&sys->io, start);
}

/* Every vCPU ticks with its exits (the driver domain's too: the host's cores and
 * netback's own cores); a native application's core takes its own kernel's tick. OS
 * noise's detours come on the same cores and the host's. */
static void start_ticks(paths_sys *sys, const sim_ctx *ctx)
{
    iopath *io = &sys->io;
    sys->tick = vtick_create(sys->params, ctx->stats, io->kernel, io->cpu, io->hv);
    bool ddom = io->path->nic_owner == PATH_NIC_DDOM;
    for (unsigned i = 0; i < sys->napp; i++) {
        if (io->path->nic_owner == PATH_NIC_APP) {
            vtick_set_app_core(sys->tick, io->lane[i].vcpu_core);
            noise_add_app_core(sys->noise, io->lane[i].vcpu_core);
            if (io->lane[i].app_core != io->lane[i].vcpu_core) {
                vtick_set_app_core(sys->tick, io->lane[i].app_core);
                noise_add_app_core(sys->noise, io->lane[i].app_core);
            }
        } else {
            vtick_add_vcpu(sys->tick, io->lane[i].vcpu_core);
            noise_add_vcpu(sys->noise, io->lane[i].vcpu_core);
            if (io->lane[i].app_core != io->lane[i].vcpu_core) { /* its second vCPU */
                vtick_add_vcpu(sys->tick, io->lane[i].app_core);
                noise_add_vcpu(sys->noise, io->lane[i].app_core);
            }
        }
    }
    /* The driver domain's vCPUs: its host cores, and one per core its netback threads
     * run on (threads sharing a core share a vCPU). */
    bool *ddom_vcpu = ddom ? sim_xcalloc(cpu_cores(io->cpu), sizeof *ddom_vcpu) : NULL;
    for (unsigned c = 0; ddom && c < sys->cfg.host_cores; c++)
        ddom_vcpu[c] = true;
    for (unsigned i = 0; ddom && i < io->nlanes; i++) {
        unsigned b = io->lane[i].backend_core;
        if (b != io->lane[i].vcpu_core)
            ddom_vcpu[b] = true;
    }
    for (unsigned c = 0; ddom && c < cpu_cores(io->cpu); c++)
        if (ddom_vcpu[c]) {
            vtick_add_vcpu(sys->tick, c);
            noise_add_vcpu(sys->noise, c);
        }
    free(ddom_vcpu);
    vtick_start(sys->tick, 0);
    /* Detours also preempt the host's cores and the back ends' (a core added before
     * keeps its kind). */
    for (unsigned c = 0; c < sys->cfg.host_cores; c++)
        noise_add_host_core(sys->noise, c);
    for (unsigned i = 0; i < io->nlanes; i++)
        noise_add_host_core(sys->noise, io->lane[i].backend_core);
    noise_start(sys->noise, 0);
}

static void *paths_build(const sim_ctx *ctx, const sys_observers *obs, sim_err *e)
{
    const sim_params *p = ctx->params;
    paths_sys *sys = sim_xcalloc(1, sizeof *sys);
    iopath *io = &sys->io;
    sys->params = p;
    sys->stats = ctx->stats;
    io->kernel = ctx->kernel;
    sys->cfg = paths_cfg_load(p);
    io->path = sys->cfg.poll ? path_get_poll((path_kind)sys->cfg.path)
                             : path_get((path_kind)sys->cfg.path);
    io->pattern = (iopath_pattern)sys->cfg.pattern;
    io->vms = sys->cfg.vms;
    io->queues = sys->cfg.queues;
    /* A failover pair's standby (io.standby) has lanes of its own after the primary's:
     * the same VM queues, vCPUs and address on its own device. */
    unsigned napp = sys->napp = io->vms * io->queues;
    const path_desc *standby = sys->cfg.standby ? path_get(PATH_PARAVIRT) : NULL;
    io->nlanes = standby ? 2 * napp : napp;
    io->host_path = standby;
    io->switch_lane0 = standby ? napp : 0;
    /* Requests are lost only at a failover or a migration's stop: the clients' timers are
     * kept where those happen. */
    if ((standby || sys->cfg.migrate_at_ps) && io->pattern == IOPATH_RR)
        io->rto_min_ps = sys->cfg.rto_min_ps;
    io->frame_bytes = sys->cfg.packet_bytes;
    if (io->pattern == IOPATH_RR && sys->cfg.rr_bytes)
        io->frame_bytes = sys->cfg.rr_bytes;
    io->quantum_ps = sys->cfg.quantum_ps;
    io->budget = nic_drv_cfg_load(p, paths_drv_role(&sys->cfg)).budget;
    io->txq_limit = sys->cfg.txq_pkts;
    io->rr_outstanding = sys->cfg.rr_outstanding;
    io->rr_app_cycles = sys->cfg.rr_app_cycles;
    io->msg_bytes = sys->cfg.msg_bytes;
    io->recv_bytes = sys->cfg.recv_bytes;
    io->gso = sys->cfg.gso;
    io->gso_max_bytes = sys->cfg.gso_max_bytes;
    io->tsq_limit_bytes = sys->cfg.tsq_bytes;
    io->sndbuf_bytes = sys->cfg.sndbuf_bytes;
    io->nic_ring_entries = nic_caps_of(p).ring_entries;
    path_costs_load(p, io->cost);
    path_offloads_load(p, io->off);
    io->emu_csum_bytes_per_cycle = path_emu_csum_bytes_per_cycle(p);

    io->cpu = cpu_create(p, ctx->stats);
    if (obs && obs->timeline) {
        cpu_set_timeline(io->cpu, obs->timeline);
        iopath_set_timeline(io, obs->timeline);
    }
    io->hv = hv_create(p, ctx->stats, io->cpu);
    io->halt = halt_create(p, ctx->stats, io->cpu, io->hv, io->kernel);
    hv_set_halt(io->hv, io->halt);
    sys->noise = noise_create(p, ctx->stats, io->kernel, io->cpu, io->hv, ctx->seed);
    /* The IOMMU is on whatever iommu.mode says: VMs' memory is remapped. */
    sys->pf = platform_create(ctx, obs, true);
    io->iommu = sys->pf->iommu;
    iommu_set_irq_sink(io->iommu, iopath_on_irq, io);
    sys->viommu = paths_viommu_create(p, sys->pf, io->vms);
    viommu_cfg vio = viommu_cfg_load(p);
    io->viommu_map_cycles = vio.map_cycles;
    /* A nested guest's invalidations follow unmaps only (no caching mode): flushes. */
    io->viommu_unmap_cycles = vio.mode == VIOMMU_NESTED ? vio.flush_cycles : vio.unmap_cycles;
    if (sys->viommu) {
        sim_stats_counter(ctx->stats, "viommu.map_traps", &io->c.viommu_map_traps,
                          "guests' invalidations after a map of their vIOMMU, each trapped");
        sim_stats_counter(ctx->stats, "viommu.unmap_traps", &io->c.viommu_unmap_traps,
                          "guests' invalidations after an unmap of their vIOMMU, each trapped");
        if (vio.inv_lock) {
            io->viommu_lock = sim_xcalloc(2 * (size_t)io->nlanes, sizeof *io->viommu_lock);
            sim_stats_counter(ctx->stats, "viommu.lock_takes", &io->c.viommu_lock_takes,
                              "guests' trapped invalidations and maps, each taking its VM's "
                              "invalidation lock (viommu.inv_lock)");
            sim_stats_counter(ctx->stats, "viommu.lock_waits", &io->c.viommu_lock_waits,
                              "of viommu.lock_takes, those that found the lock held by another "
                              "of the VM's vCPUs");
            sim_stats_counter(ctx->stats, "viommu.lock_wait_ps", &io->c.viommu_lock_wait_ps,
                              "time vCPUs spun waiting for their VM's invalidation lock (ps), "
                              "each spin counted in full when it is booked");
            sim_stats_counter(ctx->stats, "viommu.lock_overlap_ps", &io->c.viommu_lock_overlap_ps,
                              "time a VM's holds of its invalidation lock overlapped, those of "
                              "different vCPUs or of one vCPU's two contexts (ps): a take "
                              "finds the lock free for the hold's nominal time, which cost "
                              "variation (noise.cost_sigma) and refills after exits "
                              "(noise.exit_refill) can lengthen; 0 without them");
        }
    }
    if (nic_setup_plug(sys->pf, ctx, paths_vfs_for(p, &sys->cfg), &sys->nic, e) < 0) {
        paths_destroy(sys);
        return NULL;
    }
    io->retry_ps = nic_frame_wire_ps(sys->nic, io->frame_bytes) * (io->txq_limit / 2 + 1);
    paths_register_stats(sys, ctx->stats);

    /* A lane per queue pair of each VM: its vCPU on a core of its own (wrapping when
     * there are more lanes than cores), its back end placed by place.backend. The
     * application's thread runs on its queue's core (a VM's vCPU), or with place.app =
     * own on one after all the queues' and the back ends' own (a VM's second vCPU); the
     * thread's is its lane's app_core either way. */
    io->lane = sim_xcalloc(io->nlanes, sizeof *io->lane);
    unsigned cores = cpu_cores(io->cpu), g = cores - sys->cfg.host_cores;
    unsigned app_from = napp * (1 + paths_backend_owns_cores(&sys->cfg));
    for (unsigned i = 0; i < io->nlanes; i++) {
        iopath_lane *ln = &io->lane[i];
        unsigned a = i % napp; /* the application lane (the primary of a pair) */
        ln->io = io;
        ln->path = i < napp ? io->path : standby;
        ln->idx = i;
        ln->vm = a / io->queues;
        ln->queue = a % io->queues;
        ln->vcpu_core = sys->cfg.host_cores + a % g;
        ln->app_core =
            sys->cfg.app == 1 ? sys->cfg.host_cores + (app_from + a) % g : ln->vcpu_core;
        ln->backend_core = backend_core(sys, ln->path, a, napp);
        ln->mac = vm_mac(sys, ln->vm);
        ln->port = (uint16_t)(1 + ln->vm);
        if (i >= napp) {
            /* The standby: the same vCPU, its posted-interrupt descriptor; net_failover
             * sends through the primary while it is up. */
            ln->pd_addr = io->lane[a].pd_addr;
            ln->app = &io->lane[a];
            continue;
        }
        if (hv_posted(io->hv))
            ln->pd_addr = iommu_pid_create(io->iommu, PI_NOTIFY_VECTOR, ln->vcpu_core);
        /* The VM's vCPU halts when idle; a native application's thread blocks; a DPDK
         * application's core spins. (The driver domain's vCPUs do not halt.) */
        if (sys->cfg.poll) {
            halt_add_spinner(io->halt, ln->vcpu_core);
            continue;
        }
        if (io->path->nic_owner == PATH_NIC_APP) {
            halt_add_thread(io->halt, ln->app_core); /* a core of its own: the queue's core
                                                        runs no thread, only interrupts */
            continue;
        }
        if (ln->app_core == ln->vcpu_core) {
            halt_add_vcpu(io->halt, ln->vcpu_core);
            continue;
        }
        halt_add_irq_vcpu(io->halt, ln->vcpu_core); /* the application has its own */
        halt_add_vcpu(io->halt, ln->app_core);
    }
    if (io->path->switch_entry != PATH_NO_STAGE || standby)
        io->vsw = vswitch_create(p, ctx->stats, "vswitch", 1 + io->vms);
    if (add_queues(sys, e) < 0) {
        paths_destroy(sys);
        return NULL;
    }
    iopath_build_stages(io);
    add_pmd_spinners(sys);
    sys->peer = nic_partner_create(p, ctx->stats, ctx->kernel, sys->nic);
    nic_partner_set_rx_observer(sys->peer, paths_on_partner_rx, sys);
    if (sys->cfg.breakdown) {
        sys->bd = paths_breakdown_create(ctx->stats);
        iopath_set_breakdown(io, sys->bd);
        nic_set_breakdown(sys->nic, sys->bd, IOPATH_BD_NIC, IOPATH_BD_WIRE);
        pcie_link_set_breakdown(sys->pf->link, sys->bd, IOPATH_BD_PCIE);
        pcie_rc_set_breakdown(sys->pf->rc, sys->bd, IOPATH_BD_PCIE, IOPATH_BD_IOMMU,
                              IOPATH_BD_MEMORY);
        nic_partner_set_breakdown(sys->peer, sys->bd, IOPATH_BD_REMOTE);
    }
    if (io->vsw)
        setup_switch(sys);
    uint64_t start = open_queues(sys);
    setup_traffic(sys, start, ctx->seed);
    start_ticks(sys, ctx);
    if (sys->cfg.migrate_at_ps) {
        paths_migration_env me = {
            .params = p,
            .stats = ctx->stats,
            .io = io,
            .napp = sys->napp,
            .nic = sys->nic,
            .hv = io->hv,
            .vpci = &sys->vpci,
            .pfdrv = host_pfdrv_env(sys),
            .at_ps = sys->cfg.migrate_at_ps};
        sys->mig = paths_migration_create(&me, e);
        if (!sys->mig) {
            paths_destroy(sys);
            return NULL;
        }
    }
    return sys;
}

paths_parts paths_parts_of(void *system)
{
    paths_sys *sys = system;
    return (paths_parts){sys->pf, sys->nic, &sys->io, &sys->vpci};
}

/* VFs, each VM's, register their own and their drivers'; the host's virtual switch its;
 * a migration its own; the host DMA API (strict, lazy) its own and a metric. */
static const char *const paths_variants[] = {
    "io.path=sriov, traffic.vms=2, nic.vfs=2", "io.path=paravirt", "net.breakdown=true",
    "io.path=sriov, io.standby=paravirt, io.migrate_at_ms=1", "iommu.mode=lazy", NULL};

const sys_kind sys_kind_paths = {
    .name = "paths",
    .doc = "the I/O paths (io.path) under network traffic",
    .register_params = paths_register_params,
    .check = paths_check,
    .build = paths_build,
    .destroy = paths_destroy,
    .variants = paths_variants,
    .has_nic = true,
};
