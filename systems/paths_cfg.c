/* The paths workload's parameters and the combinations it refuses (paths_impl.h). */
#include "systems/paths_impl.h"

#include "host/cpu.h"
#include "host/dmaapi.h"
#include "host/iopath/iopath.h"
#include "host/migrate.h"
#include "host/viommu.h"
#include "systems/paths_viommu.h"
#include "host/pfdrv.h"
#include "host/noise.h"
#include "host/vdcm.h"
#include "host/vdpactl.h"
#include "host/vtick.h"
#include "models/iommu/iommu.h"
#include "models/nic/nic_regs.h"
#include "systems/nic_setup.h"
#include "systems/platform.h"

/* ---------------------------------------------------------------- parameters */

static const sim_param_def paths_params[] = {
    {"io.path", SIM_PARAM_ENUM, "native",
     "native|emulated|paravirt|devdomain|passthrough|sriov|vmdq|vdpa|vhostuser|siov", "",
     "How the VMs reach the NIC: bare metal; an emulated e1000; virtio with vhost; a Xen "
     "driver domain; the whole NIC assigned to one VM; a VF per VM; a Xen driver domain "
     "with a PF queue per VM queue, filled by the NIC's MAC filters (VMDq); virtio-net on "
     "virtqueues a VF serves (vDPA); virtio-net served by a poll-mode switch in host user "
     "space over a poll-mode PF driver (vhost-user, OVS-DPDK); PF queue pairs tagged with the "
     "VM's PASID, driven by the VM, the slow path emulated by the host (Scalable IOV, needs "
     "iommu.scalable)",
     SIM_AT(paths_cfg, path)},
    {"io.nic_acs", SIM_PARAM_BOOL, "true", NULL, "",
     "The NIC's functions are isolated from each other (an ACS capability, or Linux's ACS "
     "quirk for Intel multi-function NICs), so each is an IOMMU group of its own; false: all "
     "share one group",
     SIM_AT(paths_cfg, nic_acs)},
    {"io.guest_page_bytes", SIM_PARAM_UINT, "2MiB", "4KiB..1GiB", "bytes",
     "Page size of a VM's memory in its IOMMU domain (4 KiB, 2 MiB or 1 GiB: the hypervisor "
     "backs guests with huge pages)",
     SIM_AT(paths_cfg, guest_page_bytes)},
    {"traffic.pattern", SIM_PARAM_ENUM, "stream_tx", "stream_tx|stream_rx|bidir|rr|inter_vm", "",
     "stream_tx: VMs send to the link partner; stream_rx: it sends to every VM; bidir: both; "
     "rr: request and response; inter_vm: VM i to VM i+1",
     SIM_AT(paths_cfg, pattern)},
    {"traffic.packet_bytes", SIM_PARAM_UINT, "64", "64..16384", "bytes",
     "Ethernet frame size including FCS (64 .. 1518: up to an MTU-1500 frame; above: jumbo "
     "frames, up to nic.max_frame_bytes, each received into one buffer of the receiving "
     "driver, whose buf_bytes must hold it: 9018 for MTU 9000)",
     SIM_AT(paths_cfg, packet_bytes)},
    {"traffic.vms", SIM_PARAM_UINT, "1", "1..256", "VMs",
     "VMs with traffic (native: application threads, each with a PF queue)",
     SIM_AT(paths_cfg, vms)},
    {"traffic.msg_bytes", SIM_PARAM_UINT, "0", "0..1GiB", "bytes",
     "Streams: 0 sends UDP-like datagrams, one frame each through the whole stack; more: "
     "TCP-like, the application writes messages of this size, which the stack cuts into "
     "segments (net.gso) of frames of traffic.packet_bytes, and receivers merge (net.gro)",
     SIM_AT(paths_cfg, msg_bytes)},
    {"net.breakdown", SIM_PARAM_BOOL, "false", NULL, "",
     "Break every application packet's latency down into where it went (latency_ns_guest_mean, "
     "_hypervisor_, _host_, _nic_, _pcie_, _iommu_, _memory_, _wire_, _remote_, _wait_mean and "
     "their shares)",
     SIM_AT(paths_cfg, breakdown)},
    {"net.gso", SIM_PARAM_BOOL, "true", NULL, "",
     "TCP-like streams: the stack builds segments of up to net.gso_max_bytes and segments them "
     "late, in software or by the NIC (Linux: always on); false: a stack pass per frame",
     SIM_AT(paths_cfg, gso)},
    {"net.gso_max_bytes", SIM_PARAM_UINT, "65536", "1518..65536", "bytes",
     "Largest segment the stack builds and GRO merges (Linux GSO_MAX_SIZE, GRO_MAX_SIZE)",
     SIM_AT(paths_cfg, gso_max_bytes)},
    {"net.sndbuf_bytes", SIM_PARAM_UINT, "212992", "4096..1GiB", "bytes",
     "Datagram streams: a socket's send buffer, the truesize of its packets not yet freed "
     "(queued below it, in a ring, or on the wire) before a send waits (sk_sndbuf, "
     "net.core.wmem_default)",
     SIM_AT(paths_cfg, sndbuf_bytes)},
    {"net.tsq_bytes", SIM_PARAM_UINT, "1MiB", "1518..1GiB", "bytes",
     "TCP-like streams: TCP Small Queues, the bytes a socket may have sent and not yet freed "
     "(queued below TCP, in a ring, or on the wire) before it waits (tcp_small_queue_check, "
     "net.ipv4.tcp_limit_output_bytes)",
     SIM_AT(paths_cfg, tsq_bytes)},
    {"io.queues", SIM_PARAM_UINT, "1", "1..64", "queue pairs",
     "Queue pairs per VM (native: per application), each driven by a vCPU (thread) of its "
     "own with its interrupt aimed there, served by a back-end thread of its own (a vhost "
     "worker per virtqueue pair, a netback queue); received flows spread over them by RSS",
     SIM_AT(paths_cfg, queues)},
    {"traffic.flows", SIM_PARAM_UINT, "0", "0..4096", "flows",
     "stream_rx, bidir: flows the link partner sends each VM (native: each application "
     "thread), taking turns; RSS spreads them over the VM's queues (its function's, or the "
     "host's PF queues and then the VM's virtqueues), so every path receives the same flows. "
     "0: one per queue pair (io.queues)",
     SIM_AT(paths_cfg, flows)},
    {"traffic.offered_gbps", SIM_PARAM_DOUBLE, "0", "0..1600", "Gbps",
     "Streams: offered load per direction, all VMs together, host-side Gb/s (0: as fast as it "
     "goes)",
     SIM_AT(paths_cfg, offered_gbps)},
    {"traffic.rr_requests_per_s", SIM_PARAM_DOUBLE, "0", "0..1e9", "requests/s",
     "rr: requests per second, all VMs together, sent open-loop (due at that rate however "
     "many are outstanding, each timed from when it was due, as a load generator such as "
     "mutilate does); 0: closed loop, traffic.rr_outstanding at a time",
     SIM_AT(paths_cfg, rr_requests_per_s)},
    {"traffic.arrivals", SIM_PARAM_ENUM, "paced", "paced|poisson", "",
     "At an offered load or request rate, when sends are due: paced (evenly spaced) or "
     "poisson (exponential gaps of the same mean, drawn from run.seed: many independent "
     "clients)",
     SIM_AT(paths_cfg, arrivals)},
    {"traffic.rr_bytes", SIM_PARAM_UINT, "0", "0..16384", "bytes",
     "rr: request and response frame size (0: traffic.packet_bytes)", SIM_AT(paths_cfg, rr_bytes)},
    {"traffic.rr_app_cycles", SIM_PARAM_UINT, "0", "0..100000000", "cycles",
     "rr: the application's own work per request on the VM's vCPU (thread), booked before "
     "it sends each request, apart from the socket calls the stack's costs hold; in closed "
     "loop a round trip holds it as a server's turnaround would (0: netperf's TCP_RR; a "
     "key-value server's lookup and reply for a memcached-like load)",
     SIM_AT(paths_cfg, rr_app_cycles)},
    {"traffic.rr_outstanding", SIM_PARAM_UINT, "1", "1..4096", "requests",
     "rr: requests each VM keeps outstanding (1: netperf TCP_RR; more: many clients at once, "
     "as a loaded key-value server)",
     SIM_AT(paths_cfg, rr_outstanding)},
    {"place.host_cores", SIM_PARAM_UINT, "1", "1..1024", "cores",
     "Cores 0.. running the host's stack and PF driver (devdomain, vmdq: the driver domain's "
     "vCPUs); each drives one PF queue pair (vmdq: and the VMs' PF queues, spread over them)",
     SIM_AT(paths_cfg, host_cores)},
    {"place.backend", SIM_PARAM_ENUM, "auto", "auto|own|vcpu|host", "",
     "Core of a VM's back-end thread: its own, its vCPU's, the host's; auto: the vCPU's for a "
     "device model, its own for vhost, the driver domain's for netback",
     SIM_AT(paths_cfg, backend)},
    {"place.app", SIM_PARAM_ENUM, "vcpu", "vcpu|own", "",
     "Core of each application thread (the sender, and recvmsg's copy to it): the core that "
     "takes its queue's interrupts (a VM's vCPU; native: the thread's queue's vector is on "
     "its core, as with aRFS or pinned affinity); own: a core of its own, so the receive "
     "softirq and the application run side by side (native: the interrupt's affinity "
     "elsewhere, no aRFS; a VM: a second vCPU, which the softirq's vCPU wakes with a "
     "reschedule IPI)",
     SIM_AT(paths_cfg, app)},
    {"io.irq_affinity", SIM_PARAM_ENUM, "vcpu", "auto|vcpu|host|spread", "",
     "Core a VM's exit-based (remapped) device interrupt lands on: its vCPU's; the host's cores "
     "(queue i on core i modulo place.host_cores); spread, vector i on core i modulo the cores "
     "(irqbalance, which does not know where vCPUs run); auto: spread for the VFIO functions "
     "of a KVM guest, the vCPU's for a Xen driver domain (Xen moves a bound pirq with its "
     "vCPU). Elsewhere the vCPU kicked by IPI; posted interrupts always reach the vCPU",
     SIM_AT(paths_cfg, irq_affinity)},
    {"net.quantum_ns", SIM_PARAM_DOUBLE, "5000", "10..1e9", "ns",
     "Most work a thread books ahead of the clock per activation (smaller: finer interleaving, "
     "more events)",
     SIM_AT(paths_cfg, quantum_ps)},
    {"net.txq_pkts", SIM_PARAM_UINT, "128", "1..16777216", "packets",
     "Packets a sender or back-end may have queued to a NIC queue (in its ring and not yet "
     "reclaimed, plus the driver's backlog) before it stops: byte queue limits and socket "
     "buffers",
     SIM_AT(paths_cfg, txq_pkts)},
    {"io.standby", SIM_PARAM_ENUM, "none", "none|paravirt", "",
     "sriov: each VM's VF is the primary of a failover pair (Linux's net_failover, QEMU's "
     "virtio-net failover=on) whose standby is a virtio-net device through vhost and the "
     "host's switch, with the VF's address; the VM's traffic goes through the VF while it is "
     "plugged and up, else through the standby",
     SIM_AT(paths_cfg, standby)},
    {"io.migrate_at_ms", SIM_PARAM_DOUBLE, "0", "0..1e9", "ms",
     "When the management asks to live-migrate the VMs (0: never; docs/migration-model.md): "
     "with io.standby, QEMU's failover first unplugs each VF (failover.*), the pre-copy "
     "(migrate.*) starts once QEMU sees it gone, and the VF is plugged back once the VM "
     "runs on the destination; a VF without a standby or a vDPA device is kept, its DMA "
     "tracked by migrate.iommu_dirty; paravirt logs vhost's writes",
     SIM_AT(paths_cfg, migrate_at_ps)},
    {"net.rcv_window_bytes", SIM_PARAM_UINT, "3MiB", "1518..1GiB", "bytes",
     "TCP-like streams the link partner sends (stream_rx, bidir): what a stream may send "
     "beyond what its receiver's application has read (Linux offers the receive buffer's "
     "free space, tcp_select_window), its receiver's largest window: tcp_rmem's "
     "maximum, 6 MiB (Documentation/networking/ip-sysctl.rst), of which Linux offers half "
     "as window (tcp_win_from_space with tcp_adv_win_scale 1: '50% of payload per "
     "allocated chunk of memory', commit dfa2f0483360), receive autotuning having grown "
     "the buffer to it for a stream that queues; counted in frames' host-side bytes, two "
     "frames at least. The sender's congestion window is taken to be larger (no loss)",
     SIM_AT(paths_cfg, rcv_window_bytes)},
    {"net.recv_bytes", SIM_PARAM_UINT, "128KiB", "0..1GiB", "bytes",
     "TCP-like streams: what a receiving application asks each recvmsg for. tcp_recvmsg "
     "returns once it has copied that much, and release_sock then runs the socket's "
     "backlog (and, with net.backlog_ack_defer, sends its acknowledgement) before the "
     "next call takes the socket again; a reader on its own core that never runs dry "
     "lets the socket go only there. iperf3 reads 128 KiB for TCP (its --length "
     "default), netperf the socket's receive buffer as it finds it (recv_size = lsr_size "
     "in nettest_omni.c), tcp_rmem's default 131072. 0: no limit, a call returns only "
     "when the socket is empty",
     SIM_AT(paths_cfg, recv_bytes)},
    {"net.rto_min_ms", SIM_PARAM_DOUBLE, "200", "1..120000", "ms",
     "rr with io.standby or io.migrate_at_ms: a client's retransmission time-out for "
     "requests lost while its VM fails over or stops (TCP_RTO_MIN, HZ/5, include/net/tcp.h), "
     "doubled at each time-out in a row; TCP-like streams to the VMs: how long a stream of "
     "the link partner's waits with its window full and nothing acknowledged before it "
     "counts its frames in flight lost (doubled the same way)",
     SIM_AT(paths_cfg, rto_min_ps)},
    {"guest.driver", SIM_PARAM_ENUM, "kernel", "kernel|poll", "",
     "native, passthrough, sriov, vdpa, siov: the application's network driver: kernel (the "
     "kernel's stack over an interrupt-driven NIC driver) or poll (a DPDK application over "
     "its poll-mode driver, pmd.*: no interrupt, no kernel stack, its core spinning)",
     SIM_AT(paths_cfg, poll)},
};

void paths_register_params(sim_params *p)
{
    sim_params_add_table(p, paths_params, SIM_TABLE_LEN(paths_params));
    vtick_register_params(p);
    noise_register_params(p);
    viommu_register_params(p);
    vdcm_register_params(p);
    vdpactl_register_params(p);
}

paths_cfg paths_cfg_load(const sim_params *p)
{
    paths_cfg c;
    sim_params_load_table(p, paths_params, SIM_TABLE_LEN(paths_params), &c);
    return c;
}

/* Whether a VM (the driver domain, or the VM itself) is given a NIC function. */
static bool assigned(path_kind k)
{
    path_nic_owner o = (path_nic_owner)path_get(k)->nic_owner;
    return o == PATH_NIC_DDOM || o == PATH_NIC_VM_PF || o == PATH_NIC_VM_VF;
}

/* Whose driver runs the path's NIC queues: a DPDK application's poll-mode driver
 * (guest.driver = poll, pmd.*); else an SR-IOV guest's VF driver (ixgbevf, vfdrv.*), which
 * also drives a Scalable IOV ADI (iavf on an E810's, the same VF driver model); on
 * every other path the PF driver (ixgbe, nicdrv.*), be it the native application's, the
 * host's, the driver domain's or the passthrough guest's. */
nic_drv_role paths_drv_role(const paths_cfg *c)
{
    if (c->poll)
        return NIC_DRV_PMD;
    if (c->path == PATH_VDPA)
        return NIC_DRV_VIRTIO;
    path_nic_owner own = (path_nic_owner)path_get((path_kind)c->path)->nic_owner;
    return own == PATH_NIC_VM_VF || own == PATH_NIC_VM_ADI ? NIC_DRV_VF : NIC_DRV_PF;
}

unsigned paths_backend_place(const paths_cfg *c, const path_desc *pd)
{
    return c->backend ? c->backend : 1u + pd->backend_place; /* auto: the path's */
}

bool paths_backend_owns_cores(const paths_cfg *c)
{
    const path_desc *pd = path_get((path_kind)c->path);
    bool has_backend = false;
    for (unsigned i = 0; i < pd->nstages; i++)
        has_backend |= pd->stages[i].place == PATH_PLACE_BACKEND;
    return has_backend && paths_backend_place(c, pd) == 1;
}

/* Whether the path gives each VM a VF of its own (sriov, and vdpa's virtqueues on one). */
static bool gives_vfs(path_kind k) { return path_get(k)->nic_owner == PATH_NIC_VM_VF; }

/* VFs the PF driver enables: nic.vfs, or one per VM for a path that gives VMs VFs when it
 * is 0. */
unsigned paths_vfs_for(const sim_params *p, const paths_cfg *c)
{
    unsigned vfs = pfdrv_vfs(p);
    if (gives_vfs((path_kind)c->path) && vfs == 0)
        vfs = c->vms;
    return vfs;
}

/* Placement, and which functions the path gives to which VM. */
static int check_functions(const sim_params *p, const paths_cfg *c, sim_err *e)
{
    path_kind k = (path_kind)c->path;
    const char *path = path_kind_name(k);
    unsigned vms = c->vms, hcores = c->host_cores;
    unsigned cores = cpu_cfg_load(p).cores;
    unsigned vfs = paths_vfs_for(p, c), max_vfs = nic_caps_of(p).max_vfs;
    if (hcores >= cores)
        return sim_err_set(e, "place.host_cores = %u leaves no core for the VMs (cpu.cores = %u)",
                           hcores, cores);
    uint64_t sock_rcv = sim_params_uint(p, "net.sock_rcv_cycles");
    uint64_t stack_rx = sim_params_uint(p, "net.stack_rx_cycles");
    if (c->app == 1 && sock_rcv > stack_rx)
        return sim_err_set(e,
                           "net.sock_rcv_cycles = %llu is part of net.stack_rx_cycles = %llu "
                           "and cannot exceed it",
                           (unsigned long long)sock_rcv, (unsigned long long)stack_rx);
    if (c->app == 1 && c->pattern == IOPATH_BIDIR)
        return sim_err_set(e, "place.app = own with traffic.pattern = bidir: the sender and "
                              "recvmsg would be two threads on the application's core, which "
                              "the model does not share between them (a sender that never "
                              "blocks would starve the reader)");
    if (c->app == 1 && c->poll)
        return sim_err_set(e, "place.app = own with guest.driver = poll: a DPDK application "
                              "polls its queue on its own core, with no softirq beside it");
    bool vm = path_get(k)->nic_owner != PATH_NIC_APP;
    if (c->app == 1 && c->standby)
        return sim_err_set(e, "place.app = own with io.standby = paravirt: the standby's vhost "
                              "thread and the application's vCPU would need the same core");
    if (c->app == 1 && vm && c->pattern != IOPATH_STREAM_RX && c->pattern != IOPATH_RR)
        return sim_err_set(e,
                           "place.app = own with io.path = %s is for stream_rx and rr: a "
                           "sender on its own vCPU would be woken from the queue's vCPU "
                           "(transmit completions, TCP Small Queues) with no reschedule IPI, "
                           "which the model does not send there",
                           path);
    unsigned per_lane = 2 + paths_backend_owns_cores(c);
    if (c->app == 1 && hcores + per_lane * vms * c->queues > cores)
        return sim_err_set(e,
                           "place.app = own gives each of the %u application threads a core "
                           "beside its queue's%s: %u cores with place.host_cores = %u, but "
                           "cpu.cores = %u",
                           vms * c->queues, per_lane > 2 ? " and its back end's" : "",
                           hcores + per_lane * vms * c->queues, hcores, cores);
    if (k == PATH_SIOV) {
        iommu_cfg ic;
        iommu_config(p, &ic);
        if (!ic.scalable)
            return sim_err_set(e, "io.path = siov needs the IOMMU in scalable mode "
                                  "(iommu.scalable = true): its interfaces' DMA is told apart "
                                  "by PASID");
    }
    if (k == PATH_PASSTHROUGH && vms != 1)
        return sim_err_set(e,
                           "io.path = passthrough gives the whole NIC to one VM, but "
                           "traffic.vms = %u (use sriov to share it)",
                           vms);
    if (gives_vfs(k)) {
        if (vms > max_vfs)
            return sim_err_set(e,
                               "io.path = %s gives each VM a VF: traffic.vms = %u needs %u "
                               "VFs, but the NIC has nic.max_vfs = %u",
                               path, vms, vms, max_vfs);
        if (vms > vfs)
            return sim_err_set(e,
                               "io.path = %s gives each VM a VF: traffic.vms = %u needs %u "
                               "VFs, but the PF driver enables nic.vfs = %u",
                               path, vms, vms, vfs);
    }
    /* SR-IOV with nic.vfs = 0 enables a VF per VM, which pfdrv_check has not seen. */
    if (vfs != pfdrv_vfs(p) && pfdrv_check_vfs(p, "traffic.vms (a VF each)", vfs, e) < 0)
        return -1;
    if (assigned(k) && !c->nic_acs) {
        if (gives_vfs(k))
            return sim_err_set(e,
                               "io.path = %s: the NIC's functions share one IOMMU group "
                               "(io.nic_acs = false), and the PF in it stays with the host, so "
                               "no VF can be given to a VM",
                               path);
        if (vfs)
            return sim_err_set(e,
                               "io.path = %s: the PF's IOMMU group also holds its %u VFs "
                               "(io.nic_acs = false), which stay with the host, so the PF "
                               "cannot be given to a %s",
                               path, vfs,
                               path_get(k)->nic_owner == PATH_NIC_DDOM ? "driver domain" : "VM");
    }
    return 0;
}

/* The queue pairs each owner drives, against what its function has. */
static int check_queues(const sim_params *p, const paths_cfg *c, sim_err *e)
{
    path_kind k = (path_kind)c->path;
    const char *path = path_kind_name(k);
    unsigned vms = c->vms, queues = c->queues, hcores = c->host_cores;
    nic_caps caps = nic_caps_of(p);
    unsigned pfq = caps.pf_queues;
    if (k == PATH_NATIVE && vms * queues > pfq)
        return sim_err_set(e,
                           "io.path = native: each of traffic.vms = %u applications drives "
                           "io.queues = %u PF queue pairs, %u in all, but nic.pf_queues = %u",
                           vms, queues, vms * queues, pfq);
    if (k == PATH_EMULATED && queues > 1)
        return sim_err_set(e, "io.queues = %u: the emulated e1000 has one queue pair", queues);
    if (gives_vfs(k) && queues > caps.queues_per_vf)
        return sim_err_set(e,
                           "io.queues = %u: a VF has nic.queues_per_vf = %u queue pairs",
                           queues, caps.queues_per_vf);
    if (k == PATH_PASSTHROUGH && queues > pfq)
        return sim_err_set(e, "io.queues = %u: the PF has nic.pf_queues = %u queue pairs", queues,
                           pfq);
    path_nic_owner own = (path_nic_owner)path_get(k)->nic_owner;
    if ((own == PATH_NIC_HOST || own == PATH_NIC_DDOM) && hcores > pfq)
        return sim_err_set(e,
                           "place.host_cores = %u: each host core drives one PF queue pair, "
                           "but nic.pf_queues = %u",
                           hcores, pfq);
    if (k == PATH_SIOV) {
        /* The host's PF driver keeps a queue pair per host core; each ADI takes io.queues
         * pairs, from the PF's own and then the device's pool, and an entry of the PF's
         * Interrupt Message Store for each. */
        uint64_t adi = (uint64_t)vms * queues, need = adi + hcores;
        unsigned most = caps.total_queues < NIC_PF_MAX_QUEUES ? caps.total_queues
                                                              : NIC_PF_MAX_QUEUES;
        if (need > most)
            return sim_err_set(e,
                               "io.path = siov: the host keeps place.host_cores = %u PF queue "
                               "pairs and each VM's ADI takes io.queues = %u, traffic.vms x "
                               "io.queues + place.host_cores = %llu in all, but the device "
                               "has %u (nic.total_queues = %u, the PF's register map %u)",
                               hcores, queues, (unsigned long long)need, most,
                               caps.total_queues, NIC_PF_MAX_QUEUES);
        if (adi > NIC_PF_IMS_VECTORS)
            return sim_err_set(e,
                               "io.path = siov: traffic.vms x io.queues = %llu ADI queue pairs, "
                               "each with an entry of the PF's Interrupt Message Store, but it "
                               "holds %u",
                               (unsigned long long)adi, NIC_PF_IMS_VECTORS);
    }
    if (path_get(k)->lane_rx_entry || k == PATH_SIOV) {
        if (path_get(k)->lane_rx_entry && (uint64_t)vms * queues + hcores > pfq)
            return sim_err_set(e,
                               "io.path = %s: the driver domain drives place.host_cores = %u "
                               "PF queue pairs and one per VM queue, traffic.vms x io.queues = "
                               "%u x %u, %llu in all, but nic.pf_queues = %u",
                               path, hcores, vms, queues,
                               (unsigned long long)vms * queues + hcores, pfq);
        if (vms > NIC_VMDQ_FILTERS)
            return sim_err_set(e,
                               "io.path = %s: each of traffic.vms = %u VMs needs a MAC filter, "
                               "but the NIC has %u",
                               path, vms, NIC_VMDQ_FILTERS);
    }
    nic_drv_role role = paths_drv_role(c);
    if (nic_drvq_mem_bytes(p, role) * queues > PLATFORM_VM_SPAN)
        return sim_err_set(e,
                           "io.queues = %u queue pairs' rings and buffers (%llu bytes each: "
                           "nic.ring_entries x %s.buf_bytes) exceed a VM's 1 GiB I/O window",
                           queues, (unsigned long long)nic_drvq_mem_bytes(p, role),
                           nic_drv_role_prefix(role));
    return 0;
}

/* The traffic: who talks to whom, frame and message sizes, the offered load. */
static int check_traffic(const sim_params *p, const paths_cfg *c, sim_err *e)
{
    path_kind k = (path_kind)c->path;
    const char *path = path_kind_name(k);
    int pattern = (int)c->pattern;
    if (pattern == IOPATH_INTER_VM) {
        if (k == PATH_NATIVE || k == PATH_PASSTHROUGH)
            return sim_err_set(e,
                               "traffic.pattern = inter_vm needs two VMs that share the NIC or "
                               "a switch; io.path = %s has %s",
                               path, k == PATH_NATIVE ? "no VMs" : "one VM");
        if (c->vms < 2)
            return sim_err_set(e, "traffic.pattern = inter_vm needs traffic.vms >= 2 (it is %u)",
                               c->vms);
        if (path_get(k)->lane_rx_entry || k == PATH_SIOV)
            return sim_err_set(e,
                               "traffic.pattern = inter_vm: io.path = %s sends each VM's frames "
                               "from its own PF queue%s, and the NIC's switch "
                               "does not turn frames between the PF's VMDq pools around (the "
                               "82599's VMDq loopback is not modelled), so they would leave on "
                               "the wire; use %s",
                               path, k == PATH_SIOV ? "" : ", past the bridge",
                               k == PATH_SIOV ? "sriov" : "devdomain");
    }
    uint64_t frame = c->packet_bytes, rr = c->rr_bytes;
    if (c->msg_bytes && pattern == IOPATH_INTER_VM)
        return sim_err_set(e, "traffic.msg_bytes = %llu with traffic.pattern = inter_vm: TCP-like "
                              "streams have no receive window or retransmission here, so a "
                              "receiving VM slower than its sender would only drop",
                           (unsigned long long)c->msg_bytes);
    if (c->msg_bytes && pattern == IOPATH_RR)
        return sim_err_set(e, "traffic.msg_bytes = %llu: TCP-like messages are for streams; rr "
                              "sends one frame each way (traffic.rr_bytes)",
                           (unsigned long long)c->msg_bytes);
    if (c->msg_bytes && frame <= IOPATH_TCP_HDR_BYTES + NIC_FCS_BYTES)
        return sim_err_set(e,
                           "traffic.packet_bytes = %llu leaves no TCP payload for traffic.msg_bytes "
                           "(the frame needs more than %u bytes: %u of headers and the FCS)",
                           (unsigned long long)frame, IOPATH_TCP_HDR_BYTES + NIC_FCS_BYTES,
                           IOPATH_TCP_HDR_BYTES);
    if (pattern == IOPATH_RR && c->offered_gbps > 0)
        return sim_err_set(e,
                           "traffic.offered_gbps = %g is for streams; rr's load is "
                           "traffic.rr_requests_per_s",
                           c->offered_gbps);
    if (c->rr_requests_per_s > 0 && c->rr_requests_per_s < 1)
        return sim_err_set(e,
                           "traffic.rr_requests_per_s = %g is below one request a second "
                           "(0: closed loop)",
                           c->rr_requests_per_s);
    if (pattern != IOPATH_RR && c->rr_requests_per_s > 0)
        return sim_err_set(e,
                           "traffic.rr_requests_per_s = %g needs traffic.pattern = rr; a "
                           "stream's load is traffic.offered_gbps",
                           c->rr_requests_per_s);
    if (pattern != IOPATH_RR && c->rr_app_cycles > 0)
        return sim_err_set(e, "traffic.rr_app_cycles = %u needs traffic.pattern = rr",
                           c->rr_app_cycles);
    if (c->rr_requests_per_s > 0 && c->rr_outstanding != 1)
        return sim_err_set(e,
                           "traffic.rr_outstanding = %u with traffic.rr_requests_per_s = %g: "
                           "at a request rate rr is open-loop (requests go out at that rate "
                           "however many are outstanding); leave traffic.rr_outstanding at 1",
                           c->rr_outstanding, c->rr_requests_per_s);
    if (rr && rr < NIC_MIN_FRAME_BYTES)
        return sim_err_set(e,
                           "traffic.rr_bytes = %llu is below the 64-byte minimum frame (0: "
                           "traffic.packet_bytes)",
                           (unsigned long long)rr);
    nic_drv_role role = paths_drv_role(c);
    if (nic_drv_check_frame(p, role, rr > frame ? "traffic.rr_bytes" : "traffic.packet_bytes",
                            rr > frame ? rr : frame, e) < 0 ||
        nic_check_offered(p, "traffic.offered_gbps", c->offered_gbps, e) < 0)
        return -1;
    uint64_t txq = c->txq_pkts;
    uint64_t holds =
        (uint64_t)nic_drv_cfg_load(p, role).qdisc_pkts + nic_caps_of(p).ring_entries - 1;
    if (txq > holds)
        return sim_err_set(e,
                           "net.txq_pkts = %llu is more than a NIC queue's ring and backlog "
                           "hold (nic.ring_entries - 1 + %s.qdisc_pkts = %llu)",
                           (unsigned long long)txq, nic_drv_role_prefix(role),
                           (unsigned long long)holds);
    return 0;
}

/* How the VMs' memory is mapped in their IOMMU domains. */
static int check_pages(const sim_params *p, const paths_cfg *c, sim_err *e)
{
    uint64_t page = c->guest_page_bytes;
    if (page != 4096 && page != (2ull << 20) && page != (1ull << 30))
        return sim_err_set(e,
                           "io.guest_page_bytes = %llu: the IOMMU maps 4 KiB, 2 MiB or 1 GiB "
                           "pages",
                           (unsigned long long)page);
    iommu_cfg ic;
    iommu_config(p, &ic);
    if (page == (1ull << 30) && !ic.superpage_1g)
        return sim_err_set(e, "io.guest_page_bytes = 1 GiB needs iommu.superpage_1g = true");
    return 0;
}

/* The application's driver: a DPDK application needs a function of its own. */
static int check_driver(const paths_cfg *c, sim_err *e)
{
    const char *path = path_kind_name((path_kind)c->path);
    if (c->poll && !path_get_poll((path_kind)c->path))
        return sim_err_set(e, "guest.driver = poll runs a DPDK application on a function of its "
                              "own or on vhost-user's virtqueues: io.path = native, passthrough, "
                              "sriov, vdpa, siov or vhostuser (io.path = %s)",
                           path);
    if (c->poll && (c->msg_bytes || c->standby || c->pattern == IOPATH_INTER_VM))
        return sim_err_set(e, "guest.driver = poll: a DPDK application sends datagrams over its "
                              "own function (traffic.msg_bytes = 0, no io.standby, not "
                              "inter_vm)");
    return 0;
}

/* iommu.mode = strict or lazy maps the host's own PF traffic through the DMA API, as
 * the kernel's driver does; a DPDK application maps its memory once through VFIO
 * instead, which is not modelled. */
static int check_dma_api(const sim_params *p, const paths_cfg *c, sim_err *e)
{
    iommu_dma_cfg d;
    iommu_dma_config(p, &d);
    if (c->poll && d.mode >= IOMMU_DMA_STRICT)
        return sim_err_set(e, "guest.driver = poll with iommu.mode = %s: a DPDK application's "
                              "VFIO mappings are not modelled (iommu.mode = off or pt)",
                           d.mode == IOMMU_DMA_STRICT ? "strict" : "lazy");
    return 0;
}

/* A failover pair and a migration: what the workload builds them for. */
static int check_migration(const sim_params *p, const paths_cfg *c, sim_err *e)
{
    const char *path = path_kind_name((path_kind)c->path);
    if (c->standby && c->path != PATH_SRIOV)
        return sim_err_set(e, "io.standby = paravirt pairs a VM's VF with a virtio-net standby: "
                              "it needs io.path = sriov (io.path = %s)",
                           path);
    if (c->standby && c->pattern != IOPATH_STREAM_TX && c->pattern != IOPATH_RR)
        return sim_err_set(e, "io.standby: traffic.pattern = %s is not built with a failover "
                              "pair (stream_tx or rr)",
                           sim_params_string(p, "traffic.pattern"));
    if (!c->migrate_at_ps)
        return 0;
    if (c->path != PATH_SRIOV && c->path != PATH_PARAVIRT && c->path != PATH_VDPA)
        return sim_err_set(e, "io.migrate_at_ms: io.path = %s cannot be migrated here (sriov, "
                              "vdpa or paravirt)",
                           path);
    if (c->vms != 1)
        return sim_err_set(e, "io.migrate_at_ms: one VM is migrated (traffic.vms = %u)", c->vms);
    /* QEMU's VFIO migration blocker: a VF left attached whose writes nothing tracks. */
    if (c->path == PATH_SRIOV && !c->standby && migrate_refuses_attached_vf(p))
        return sim_err_set(e, "io.migrate_at_ms: migration refused: the VM's VF stays attached "
                              "and nothing tracks its DMA writes (set io.standby = paravirt to "
                              "unplug it first, migrate.iommu_dirty = true, or "
                              "migrate.untracked_vf)");
    /* vhost-vdpa: the device's rings are virtio's, so the guest keeps them across the
     * move, but its DMA writes must be logged: by the IOMMU's dirty bits here (QEMU's
     * shadow virtqueues, which relay the data path through QEMU instead, are not
     * modelled). */
    if (c->path == PATH_VDPA && migrate_refuses_attached_vf(p))
        return sim_err_set(e, "io.migrate_at_ms: migration refused: nothing tracks the vDPA "
                              "device's DMA writes (migrate.iommu_dirty = true, or "
                              "migrate.untracked_vf = all_dirty or lose; QEMU's shadow "
                              "virtqueues are not modelled)");
    return migrate_params_check(p, e);
}

int paths_check(const sim_params *p, sim_err *e)
{
    if (nic_setup_check(p, e) < 0 || vtick_check(p, e) < 0)
        return -1;
    paths_cfg c = paths_cfg_load(p);
    if (check_functions(p, &c, e) < 0 || check_queues(p, &c, e) < 0 ||
        check_traffic(p, &c, e) < 0 || check_pages(p, &c, e) < 0 ||
        check_driver(&c, e) < 0 || check_migration(p, &c, e) < 0 || check_dma_api(p, &c, e) < 0 ||
        paths_viommu_check(p, c.path, c.poll, c.standby, e) < 0)
        return -1;
    return 0;
}

