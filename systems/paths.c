#include "systems/paths.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/iommu/irq_remap.h"
#include "systems/paths_impl.h"

/* The PF at bus 1, device 0, function 0 behind the root port; its BARs (and the VFs')
 * in a 256 MiB window at nic.mmio_base_addr. */
#define PF_RID 0x0100u
#define MMIO_WINDOW_BYTES (256ull << 20)
/* Traffic starts once the drivers' bring-up writes have landed (and the guests'
 * probes of assigned functions are done). */
#define START_PS (2 * SIM_PS_PER_US)
/* Device addresses. The host's (or driver domain's) queue memory at 4 GiB; VM i's I/O
 * memory at 64 GiB + i GiB. A VM's memory is placed so that its guest-physical
 * addresses equal the host-physical ones: the IOMMU still translates through the VM's
 * own tables (real walks, real IOTLB entries), and the memory model sees the lines the
 * DMA really touches. */
#define HOST_BASE (4ull << 30)
#define VM_BASE (64ull << 30)
#define VM_SPAN (1ull << 30)
#define TABLES_BASE (1ull << 46)
#define TABLES_BYTES (1ull << 30)
#define DDOM_DID 4000u
/* Linux's posted-interrupt notification vector, and the first device vector. */
#define PI_NOTIFY_VECTOR 0xf2u
#define DEV_VECTOR 0x40u

/* ---------------------------------------------------------------- parameters */

void net_register_params(sim_params *p)
{
    cpu_register_params(p);
    hv_register_params(p);
    vswitch_register_params(p);
    path_register_params(p);
    sim_params_add_enum(p, "io.path", "native",
                        "native|emulated|paravirt|devdomain|passthrough|sriov",
                        "How the VMs reach the NIC: bare metal; an emulated e1000; virtio with "
                        "vhost; a Xen driver domain; the whole NIC assigned to one VM; a VF per "
                        "VM");
    sim_params_add_bool(p, "io.nic_acs", true,
                        "The NIC's functions are isolated from each other (an ACS capability, or "
                        "Linux's ACS quirk for Intel multi-function NICs), so each is an IOMMU "
                        "group of its own; false: all share one group");
    sim_params_add_uint(p, "io.guest_page_bytes", 2ull << 20, 4096, 1ull << 30, "bytes",
                        "Page size of a VM's memory in its IOMMU domain (4 KiB, 2 MiB or 1 GiB: "
                        "the hypervisor backs guests with huge pages)");
    sim_params_add_enum(p, "traffic.pattern", "stream_tx", "stream_tx|stream_rx|bidir|rr|inter_vm",
                        "stream_tx: VMs send to the link partner; stream_rx: it sends to every VM; "
                        "bidir: both; rr: request and response; inter_vm: VM i to VM i+1");
    sim_params_add_uint(p, "traffic.packet_bytes", 64, 64, 1518, "bytes",
                        "Ethernet frame size including FCS (64 .. 1518: an MTU frame)");
    sim_params_add_uint(p, "traffic.vms", 1, 1, 256, "VMs",
                        "VMs with traffic (native: application threads, each with a PF queue)");
    sim_params_add_double(p, "traffic.offered_gbps", 0.0, 0.0, 1600.0, "Gbps",
                          "Offered load per direction, all VMs together, host-side Gb/s (0: as "
                          "fast as it goes)");
    sim_params_add_uint(p, "traffic.rr_bytes", 0, 0, 1518, "bytes",
                        "rr: request and response frame size (0: traffic.packet_bytes)");
    sim_params_add_uint(p, "traffic.rr_outstanding", 1, 1, 4096, "requests",
                        "rr: requests each VM keeps outstanding (1: netperf TCP_RR; more: many "
                        "clients at once, as a loaded key-value server)");
    sim_params_add_uint(p, "place.host_cores", 1, 1, 1024, "cores",
                        "Cores 0.. running the host's stack and PF driver (devdomain: the driver "
                        "domain's vCPUs); each drives one PF queue pair");
    sim_params_add_enum(p, "place.backend", "auto", "auto|own|vcpu|host",
                        "Core of a VM's back-end thread: its own, its vCPU's, the host's; auto: "
                        "the vCPU's for a device model, its own for vhost, the driver domain's "
                        "for netback");
    sim_params_add_double(p, "net.quantum_ns", 5000.0, 10.0, 1e9, "ns",
                          "Most work a thread books ahead of the clock per activation (smaller: "
                          "finer interleaving, more events)");
    sim_params_add_uint(p, "net.txq_pkts", 128, 1, 1u << 24, "packets",
                        "Packets a sender or back-end may have queued to a NIC queue (in its ring "
                        "and not yet reclaimed, plus the driver's backlog) before it stops: byte "
                        "queue limits and socket buffers");
}

static path_kind path_of(const sim_params *p) { return (path_kind)sim_params_enum_index(p, "io.path"); }

static bool assigned(path_kind k)
{
    return k == PATH_PASSTHROUGH || k == PATH_SRIOV || k == PATH_DEVDOMAIN;
}

static unsigned vfs_for(const sim_params *p)
{
    unsigned vms = (unsigned)sim_params_uint(p, "traffic.vms");
    unsigned vfs = (unsigned)sim_params_uint(p, "nic.vfs");
    if (path_of(p) == PATH_SRIOV && vfs == 0)
        vfs = vms;
    return vfs;
}

int net_check(const sim_params *p, sim_err *e)
{
    if (pcie_link_check(p, e) < 0 || mem_check(p, e) < 0 || iommu_check(p, e) < 0 ||
        nic_check(p, e) < 0 || nic_drv_check(p, e) < 0)
        return -1;
    path_kind k = path_of(p);
    const char *path = path_kind_name(k);
    unsigned vms = (unsigned)sim_params_uint(p, "traffic.vms");
    unsigned cores = (unsigned)sim_params_uint(p, "cpu.cores");
    unsigned hcores = (unsigned)sim_params_uint(p, "place.host_cores");
    unsigned pfq = (unsigned)sim_params_uint(p, "nic.pf_queues");
    unsigned vfs = vfs_for(p);
    unsigned max_vfs = (unsigned)sim_params_uint(p, "nic.max_vfs");
    int pattern = sim_params_enum_index(p, "traffic.pattern");
    if (hcores >= cores)
        return sim_err_set(e, "place.host_cores = %u leaves no core for the VMs (cpu.cores = %u)",
                           hcores, cores);
    if (k == PATH_PASSTHROUGH && vms != 1)
        return sim_err_set(e, "io.path = passthrough gives the whole NIC to one VM, but "
                              "traffic.vms = %u (use sriov to share it)", vms);
    if (k == PATH_SRIOV) {
        if (vms > max_vfs)
            return sim_err_set(e, "io.path = sriov gives each VM a VF: traffic.vms = %u needs %u "
                                  "VFs, but the NIC has nic.max_vfs = %u", vms, vms, max_vfs);
        if (vms > vfs)
            return sim_err_set(e, "io.path = sriov gives each VM a VF: traffic.vms = %u needs %u "
                                  "VFs, but the PF driver enables nic.vfs = %u", vms, vms, vfs);
    }
    if (vfs) {
        uint64_t need = pfq + (uint64_t)vfs * sim_params_uint(p, "nic.queues_per_vf");
        if (need > sim_params_uint(p, "nic.total_queues"))
            return sim_err_set(e, "%u VFs with nic.queues_per_vf = %llu and nic.pf_queues = %u need "
                                  "%llu queue pairs; the NIC's pool has nic.total_queues = %llu",
                               vfs, (unsigned long long)sim_params_uint(p, "nic.queues_per_vf"), pfq,
                               (unsigned long long)need,
                               (unsigned long long)sim_params_uint(p, "nic.total_queues"));
    }
    if (assigned(k) && !sim_params_bool(p, "io.nic_acs")) {
        if (k == PATH_SRIOV)
            return sim_err_set(e, "io.path = sriov: the NIC's functions share one IOMMU group "
                                  "(io.nic_acs = false), and the PF in it stays with the host, so "
                                  "no VF can be given to a VM");
        if (vfs)
            return sim_err_set(e, "io.path = %s: the PF's IOMMU group also holds its %u VFs "
                                  "(io.nic_acs = false), which stay with the host, so the PF "
                                  "cannot be given to a %s", path, vfs,
                               k == PATH_DEVDOMAIN ? "driver domain" : "VM");
    }
    if (k == PATH_NATIVE && vms > pfq)
        return sim_err_set(e, "io.path = native: each of traffic.vms = %u application threads "
                              "drives its own PF queue pair, but nic.pf_queues = %u", vms, pfq);
    if ((k == PATH_EMULATED || k == PATH_PARAVIRT || k == PATH_DEVDOMAIN) && hcores > pfq)
        return sim_err_set(e, "place.host_cores = %u: each host core drives one PF queue pair, "
                              "but nic.pf_queues = %u", hcores, pfq);
    if (pattern == NET_INTER_VM) {
        if (k == PATH_NATIVE || k == PATH_PASSTHROUGH)
            return sim_err_set(e, "traffic.pattern = inter_vm needs two VMs that share the NIC or "
                                  "a switch; io.path = %s has %s", path,
                               k == PATH_NATIVE ? "no VMs" : "one VM");
        if (vms < 2)
            return sim_err_set(e, "traffic.pattern = inter_vm needs traffic.vms >= 2 (it is %u)", vms);
    }
    uint64_t frame = sim_params_uint(p, "traffic.packet_bytes");
    uint64_t rr = sim_params_uint(p, "traffic.rr_bytes");
    if (rr && rr < NIC_MIN_FRAME_BYTES)
        return sim_err_set(e, "traffic.rr_bytes = %llu is below the 64-byte minimum frame (0: "
                              "traffic.packet_bytes)", (unsigned long long)rr);
    if (rr > frame)
        frame = rr;
    if (frame - NIC_FCS_BYTES > sim_params_uint(p, "nicdrv.buf_bytes"))
        return sim_err_set(e, "a %llu-byte frame does not fit a receive buffer (nicdrv.buf_bytes "
                              "= %llu + the stripped FCS)", (unsigned long long)frame,
                           (unsigned long long)sim_params_uint(p, "nicdrv.buf_bytes"));
    double offered = sim_params_double(p, "traffic.offered_gbps");
    double line = sim_params_double(p, "nic.line_gbps");
    if (offered > line)
        return sim_err_set(e, "traffic.offered_gbps = %g is above the line rate (nic.line_gbps = %g)",
                           offered, line);
    if (sim_params_uint(p, "pcie.mps_bytes") > sim_params_uint(p, "nic.mps_supported_bytes"))
        return sim_err_set(e, "pcie.mps_bytes = %llu is above the NIC's Max_Payload_Size "
                              "Supported (nic.mps_supported_bytes = %llu)",
                           (unsigned long long)sim_params_uint(p, "pcie.mps_bytes"),
                           (unsigned long long)sim_params_uint(p, "nic.mps_supported_bytes"));
    uint64_t mac;
    if (nic_mac_parse(sim_params_string(p, "peer.mac"), &mac) < 0 || !nic_mac_is_unicast(mac))
        return sim_err_set(e, "peer.mac = '%s' is not a unicast MAC address",
                           sim_params_string(p, "peer.mac"));
    uint64_t txq = sim_params_uint(p, "net.txq_pkts");
    uint64_t holds =
        sim_params_uint(p, "nicdrv.qdisc_pkts") + sim_params_uint(p, "nic.ring_entries") - 1;
    if (txq > holds)
        return sim_err_set(e, "net.txq_pkts = %llu is more than a NIC queue's ring and backlog "
                              "hold (nic.ring_entries - 1 + nicdrv.qdisc_pkts = %llu)",
                           (unsigned long long)txq, (unsigned long long)holds);
    uint64_t page = sim_params_uint(p, "io.guest_page_bytes");
    if (page != 4096 && page != (2ull << 20) && page != (1ull << 30))
        return sim_err_set(e, "io.guest_page_bytes = %llu: the IOMMU maps 4 KiB, 2 MiB or 1 GiB "
                              "pages", (unsigned long long)page);
    if (page == (1ull << 30) && !sim_params_bool(p, "iommu.superpage_1g"))
        return sim_err_set(e, "io.guest_page_bytes = 1 GiB needs iommu.superpage_1g = true");
    if (nic_drvq_mem_bytes(p) > VM_SPAN)
        return sim_err_set(e, "a queue pair's rings and buffers (%llu bytes: nic.ring_entries x "
                              "nicdrv.buf_bytes) exceed a VM's 1 GiB I/O window",
                           (unsigned long long)nic_drvq_mem_bytes(p));
    return 0;
}

/* ---------------------------------------------------------------- interrupts */

static void on_irq(void *ctx, const iommu_irq_outcome *o)
{
    net *n = ctx;
    if (o->kind == IOMMU_IRQ_BLOCKED || o->index >= n->ndq) {
        n->c.irq_blocked++;
        return;
    }
    net_drvq *dq = n->dq[o->index];
    uint64_t t = o->t_ps;
    if (o->kind == IOMMU_IRQ_POSTED)
        iommu_pid_drain(n->iommu, o->pd_addr); /* the running vCPU takes the request */
    if (dq->via_hv) {
        t = net_deliver_virq(n, dq->core, t);
    } else {
        n->c.irqs++;
    }
    nic_drvq_irq(dq->q, t);
}

static void on_rx(void *ctx, nic_drvq *q, const nic_pkt *p, uint64_t t_ps)
{
    (void)q;
    net_drvq *dq = ctx;
    net_engine_rx(dq->n, dq, p, t_ps);
}

/* ---------------------------------------------------------------- metrics */

static double elapsed_s(const sim_stats *s) { return (double)sim_stats_elapsed_ps(s) / 1e12; }

static double pkts(const net *n)
{
    nic_partner_counters pc = nic_partner_get_counters(n->peer);
    return (double)(pc.rx_frames + n->c.delivered);
}

static double bytes(const net *n)
{
    nic_partner_counters pc = nic_partner_get_counters(n->peer);
    return (double)(pc.rx_bytes + n->c.delivered_bytes);
}

static double per_s(const sim_stats *s, double x)
{
    double el = elapsed_s(s);
    return el > 0 ? x / el : 0.0;
}

static double per_pkt(const net *n, double x)
{
    double k = pkts(n);
    return k > 0 ? x / k : 0.0;
}

static double m_gbps(const sim_stats *s, void *ctx) { return per_s(s, bytes(ctx) * 8.0) / 1e9; }
static double m_mpps(const sim_stats *s, void *ctx) { return per_s(s, pkts(ctx)) / 1e6; }

/* No sample, no number: an empty histogram reports nan rather than a latency of 0. */
static double lat_q(const net *n, double q)
{
    return sim_hist_count(n->lat) ? sim_hist_quantile(n->lat, q) / 1000.0 : NAN;
}
static double m_lat_mean(const sim_stats *s, void *ctx)
{
    (void)s;
    const net *n = ctx;
    return sim_hist_count(n->lat) ? sim_hist_mean(n->lat) / 1000.0 : NAN;
}

/* Frames the VMs sent reach the partner: their latency, creation to last bit at the
 * far end, joins the application-level latency (requests are timed at their response
 * instead). */
static void on_partner_rx(void *ctx, const nic_pkt *p, uint64_t arrival_ps)
{
    net *n = ctx;
    if (p->kind == NIC_PKT_DATA && arrival_ps >= p->born_ps)
        sim_hist_add(n->lat, arrival_ps - p->born_ps);
}
static double m_lat_p50(const sim_stats *s, void *ctx) { (void)s; return lat_q(ctx, 0.5); }
static double m_lat_p99(const sim_stats *s, void *ctx) { (void)s; return lat_q(ctx, 0.99); }
static double m_lat_p999(const sim_stats *s, void *ctx) { (void)s; return lat_q(ctx, 0.999); }

static double who_per_pkt(const net *n, cpu_who w)
{
    return per_pkt(n, (double)cpu_cycles(n->cpu, w));
}

static double m_guest_cyc(const sim_stats *s, void *ctx)
{
    (void)s;
    return who_per_pkt(ctx, CPU_GUEST);
}

static double m_hv_cyc(const sim_stats *s, void *ctx)
{
    (void)s;
    return who_per_pkt(ctx, CPU_HYPERVISOR);
}

static double m_host_cyc(const sim_stats *s, void *ctx)
{
    (void)s;
    return who_per_pkt(ctx, CPU_HOST);
}

static double m_exits(const sim_stats *s, void *ctx)
{
    return per_s(s, (double)hv_exits_total(((net *)ctx)->hv));
}

static double m_irqs(const sim_stats *s, void *ctx) { return per_s(s, (double)((net *)ctx)->c.irqs); }

static double m_copies(const sim_stats *s, void *ctx)
{
    (void)s;
    return per_pkt(ctx, (double)((net *)ctx)->c.copies);
}

static double core_cycles(const sim_stats *s, const net *n)
{
    return elapsed_s(s) * cpu_ghz(n->cpu) * 1e9;
}

/* The mean share of its core each VM's vCPU keeps busy: the guest, the exits it takes,
 * and host work that runs on the vCPU's thread (QEMU's device model). */
static double m_vm_util(const sim_stats *s, void *ctx)
{
    net *n = ctx;
    double el = (double)sim_stats_elapsed_ps(s), busy = 0;
    for (unsigned i = 0; i < n->vms; i++)
        busy += (double)cpu_core_busy_ps(n->cpu, n->vm[i].vcpu_core);
    return el > 0 ? busy / (el * n->vms) : 0.0;
}

static double m_cores_busy(const sim_stats *s, void *ctx)
{
    net *n = ctx;
    double c = core_cycles(s, n);
    double used = 0;
    for (int w = 0; w < CPU_WHO_COUNT; w++)
        used += (double)cpu_cycles(n->cpu, (cpu_who)w);
    return c > 0 ? used / c : 0.0;
}

static double m_drops(const sim_stats *s, void *ctx)
{
    (void)s;
    net *n = ctx;
    nic_fn_counters c = nic_get_counters(n->nic);
    uint64_t d = c.rx_no_desc_drops + c.rx_overflow_drops + c.spoof_drops + c.link_drops +
                 c.dma_errors + n->c.queue_drops + n->c.xmit_drops;
    for (unsigned i = 0; i < n->ndctr; i++)
        d += n->dctr[i].qdisc_drops;
    return (double)d;
}

static void register_stats(net *n, sim_stats *st)
{
#define C(field, desc) sim_stats_counter(st, "net." #field, &n->c.field, desc)
    C(sent, "packets the applications sent");
    C(delivered, "packets applications received");
    C(delivered_bytes, "host-side bytes applications received");
    C(copies, "packet copies by a CPU (device model, vhost, grant copy)");
    C(copy_bytes, "bytes copied");
    C(grant_copies, "grant copy operations");
    C(switched, "frames through the virtual switch");
    C(notifies, "hand-offs that notified a sleeping stage");
    C(notifies_suppressed, "hand-offs to a running stage, without notification");
    C(irqs, "interrupts taken by CPUs (the host's and virtual ones)");
    C(irq_blocked, "interrupt messages blocked by interrupt remapping");
    C(queue_drops, "items dropped at a full stage queue (ring)");
    C(xmit_drops, "packets the NIC driver's full backlog refused");
    C(misdelivered, "frames that reached an application they were not addressed to");
    C(sender_blocks, "times a sender found its ring or NIC queue full");
    C(cfg_passed, "guest configuration accesses passed to the device");
    C(cfg_emulated, "guest configuration accesses emulated by the hypervisor");
    C(cfg_discarded, "guest configuration accesses discarded by the hypervisor");
#undef C
    n->lat = sim_stats_hist(st, "net.latency_ps", "ps",
                            "application-level latency: partner or sender to the receiving "
                            "application; rr: request to response");
    sim_stats_metric(st, "throughput_gbps", m_gbps, n,
                     "host-side Gb/s that reached the partner or an application");
    sim_stats_metric(st, "throughput_mpps", m_mpps, n, "million packets per second that arrived");
    sim_stats_metric(st, "latency_ns_mean", m_lat_mean, n, "mean latency (ns)");
    sim_stats_metric(st, "latency_ns_p50", m_lat_p50, n, "median latency (ns)");
    sim_stats_metric(st, "latency_ns_p99", m_lat_p99, n, "99th percentile latency (ns)");
    sim_stats_metric(st, "latency_ns_p999", m_lat_p999, n, "99.9th percentile latency (ns)");
    sim_stats_metric(st, "guest_cycles_per_pkt", m_guest_cyc, n,
                     "CPU cycles per packet in guests (or native applications and driver)");
    sim_stats_metric(st, "hv_cycles_per_pkt", m_hv_cyc, n,
                     "CPU cycles per packet in the hypervisor (exits, hypercalls, grant copies)");
    sim_stats_metric(st, "host_cycles_per_pkt", m_host_cyc, n,
                     "CPU cycles per packet in the host or driver domain (back-ends, switch, PF "
                     "driver)");
    sim_stats_metric(st, "exits_per_sec", m_exits, n, "VM exits per second, all reasons");
    sim_stats_metric(st, "irqs_per_sec", m_irqs, n,
                     "interrupts per second taken by CPUs (physical to the host, virtual to VMs)");
    sim_stats_metric(st, "copies_per_pkt", m_copies, n, "packet copies by CPUs per packet");
    sim_stats_metric(st, "vm_cpu_util", m_vm_util, n,
                     "share of its core each VM's vCPU keeps busy, on average");
    sim_stats_metric(st, "cores_busy", m_cores_busy, n, "cores' worth of CPU work, everyone");
    sim_stats_metric(st, "drops", m_drops, n,
                     "packets lost: NIC drops, full stage queues, full driver backlogs");
}

/* ---------------------------------------------------------------- build */

static void net_free(net *n)
{
    if (!n)
        return;
    net_engine_destroy(n);
    for (unsigned i = 0; i < n->ndq; i++) {
        nic_drvq_destroy(n->dq[i]->q);
        free(n->dq[i]);
    }
    free(n->dq);
    free(n->host_q);
    free(n->dctr);
    free(n->vm);
    nic_partner_destroy(n->peer);
    nic_destroy(n->nic);
    pcie_cfg_bus_destroy(n->bus);
    iommu_destroy(n->iommu);
    pcie_rc_destroy(n->rc);
    pcie_link_destroy(n->link);
    mem_phys_destroy(n->pm);
    mem_destroy(n->mem);
    vswitch_destroy(n->vsw);
    hv_destroy(n->hv);
    cpu_destroy(n->cpu);
    free(n);
}

void net_destroy(void *system) { net_free(system); }

static int bring_up_nic(net *n, sim_err *e)
{
    const sim_params *p = n->params;
    uint16_t rids[8];
    size_t k = pcie_cfg_bus_enumerate(n->bus, 2, rids, 8);
    const pcie_link_cfg *lc = pcie_link_config(n->link);
    pcie_cfg *pf = nic_fn_cfg(n->nic, NIC_PF);
    if (k != 1 || rids[0] != PF_RID ||
        pcie_cfg_bus_assign_bars(n->bus, rids, k, sim_params_uint(p, "nic.mmio_base_addr"),
                                 MMIO_WINDOW_BYTES, NULL) != 0 ||
        !pcie_cfg_exp_set_mps_mrrs(pf, lc->mps_bytes, lc->mrrs_bytes))
        return sim_err_set(e, "net: NIC bring-up failed (enumeration found %zu functions)", k);
    unsigned vfs = vfs_for(p);
    if (vfs && nic_pf_enable_vfs(n->nic, vfs) < 0)
        return sim_err_set(e, "%s", nic_last_error(n->nic));
    return 0;
}

static unsigned irq_table_order(unsigned entries)
{
    unsigned s = 0;
    while ((2u << s) < entries && s < 15)
        s++;
    return s;
}

static uint64_t round_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

/* A domain mapping [base, base + bytes) guest-physical to the same host-physical. */
static iommu_domain *identity_domain(net *n, uint16_t did, uint64_t base, uint64_t bytes,
                                     sim_err *e)
{
    uint64_t page = sim_params_uint(n->params, "io.guest_page_bytes");
    iommu_domain *d = iommu_domain_create(n->iommu, did);
    if (!d) {
        sim_err_set(e, "net: no IOMMU domain %u", did);
        return NULL;
    }
    if (iommu_domain_map(d, base, base, round_up(bytes, page), page, IOMMU_READ | IOMMU_WRITE, e) < 0)
        return NULL;
    return d;
}

/* One driver queue of function fn, queue pair q, its memory at base. */
static net_drvq *add_queue(net *n, unsigned fn, unsigned q, uint64_t base, nic_drv_counters *ctr,
                           net_vm *owner, unsigned core, cpu_who who, bool via_hv, sim_err *e)
{
    net_drvq *dq = calloc(1, sizeof *dq);
    if (!dq) {
        sim_err_set(e, "out of memory");
        return NULL;
    }
    unsigned idx = n->ndq;
    n->dq[n->ndq++] = dq;
    dq->n = n;
    dq->vm = owner;
    dq->core = core;
    dq->who = who;
    dq->via_hv = via_hv;
    dq->irte = idx;
    dq->rid = nic_fn_rid(n->nic, fn);
    uint8_t vector = (uint8_t)(DEV_VECTOR + idx % 0xb0u);
    int rc;
    if (via_hv && hv_posted(n->hv)) {
        dq->pd_addr = owner ? owner->pd_addr : iommu_pid_create(n->iommu, PI_NOTIFY_VECTOR, core);
        rc = iommu_irte_set_posted(n->iommu, idx, dq->rid, dq->pd_addr, vector, false);
    } else {
        rc = iommu_irte_set_remapped(n->iommu, idx, dq->rid, core, vector);
    }
    if (rc < 0 || (via_hv && hv_posted(n->hv) && !dq->pd_addr)) {
        sim_err_set(e, "net: interrupt remapping entry %u could not be written", idx);
        return NULL;
    }
    nic_drv_env env = {.kernel = n->kernel,
                       .rc = n->rc,
                       .nic = n->nic,
                       .mem = n->mem,
                       .fn = fn,
                       .q = q,
                       .base = base,
                       .msi_addr = iommu_msi_addr(idx),
                       .msi_data = 0,
                       .ctr = ctr};
    dq->q = nic_drvq_create(n->params, &env);
    nic_drvq_set_rx_handler(dq->q, on_rx, dq);
    nic_drvq_set_cpu(dq->q, net_drvq_cpu, dq);
    return dq;
}

static unsigned backend_core(const net *n, unsigned i, unsigned vms)
{
    const sim_params *p = n->params;
    unsigned cores = cpu_cores(n->cpu), h = n->host_cores, g = cores - h;
    int place = sim_params_enum_index(p, "place.backend");
    if (place == 0)
        place = 1 + n->path->backend_place; /* auto: own | vcpu | host */
    switch (place) {
    case 1: return h + (vms + i) % g;
    case 2: return h + i % g;
    default: return i % h;
    }
}

static uint64_t vm_mac(const net *n, unsigned i)
{
    switch ((path_nic_owner)n->path->nic_owner) {
    case PATH_NIC_APP:
    case PATH_NIC_VM_PF: return nic_fn_mac(n->nic, NIC_PF);
    case PATH_NIC_VM_VF: return nic_fn_mac(n->nic, NIC_FN_OF_VF(i));
    default: return 0x525400120000ull + i + 1; /* a virtual NIC's address (QEMU's prefix) */
    }
}

static int add_queues(net *n, sim_err *e)
{
    const sim_params *p = n->params;
    path_nic_owner own = (path_nic_owner)n->path->nic_owner;
    uint64_t per_q = nic_drvq_mem_bytes(p);
    unsigned maxq = n->vms + n->host_cores;
    n->dq = calloc(maxq, sizeof *n->dq);
    n->dctr = calloc(n->vms + 1, sizeof *n->dctr);
    n->host_q = calloc(n->host_cores, sizeof *n->host_q);
    if (!n->dq || !n->dctr || !n->host_q)
        return sim_err_set(e, "out of memory");
    if (iommu_irq_table_init(n->iommu, irq_table_order(maxq)) < 0)
        return sim_err_set(e, "net: no interrupt remapping table for %u vectors", maxq);
    n->ndctr = 1;
    nic_drv_register_stats(&n->dctr[0], n->stats, "nicdrv.pf");
    switch (own) {
    case PATH_NIC_APP:
        /* Bare metal: the host's DMA API in pass-through, one PF queue per thread. */
        iommu_attach_passthrough(n->iommu, nic_fn_rid(n->nic, NIC_PF));
        nic_drv_enable_msix(n->nic, NIC_PF);
        for (unsigned i = 0; i < n->vms; i++) {
            net_vm *vm = &n->vm[i];
            vm->own = add_queue(n, NIC_PF, i, HOST_BASE + i * per_q, &n->dctr[0], vm,
                                vm->vcpu_core, CPU_GUEST, false, e);
            if (!vm->own)
                return -1;
        }
        break;
    case PATH_NIC_HOST:
    case PATH_NIC_DDOM: {
        bool dd = own == PATH_NIC_DDOM;
        uint16_t rid = nic_fn_rid(n->nic, NIC_PF);
        if (dd) {
            /* The driver domain is a VM that owns the PF: its own DMA domain, and its
             * interrupts through the hypervisor. */
            iommu_domain *d = identity_domain(n, DDOM_DID, HOST_BASE, n->host_cores * per_q, e);
            if (!d || iommu_attach(n->iommu, rid, d) < 0)
                return d ? sim_err_set(e, "net: attaching the PF to the driver domain failed") : -1;
        } else {
            iommu_attach_passthrough(n->iommu, rid);
        }
        nic_drv_enable_msix(n->nic, NIC_PF);
        for (unsigned q = 0; q < n->host_cores; q++) {
            n->host_q[q] = add_queue(n, NIC_PF, q, HOST_BASE + q * per_q, &n->dctr[0], NULL, q,
                                     CPU_HOST, dd, e);
            if (!n->host_q[q])
                return -1;
        }
        n->nhost_q = n->host_cores;
        break;
    }
    case PATH_NIC_VM_PF:
    case PATH_NIC_VM_VF:
        for (unsigned i = 0; i < n->vms; i++) {
            net_vm *vm = &n->vm[i];
            unsigned fn = own == PATH_NIC_VM_PF ? NIC_PF : NIC_FN_OF_VF(i);
            vm->fn = fn;
            iommu_domain *d = identity_domain(n, (uint16_t)(1 + i), vm->gpa_base, per_q, e);
            if (!d || iommu_attach(n->iommu, nic_fn_rid(n->nic, fn), d) < 0)
                return d ? sim_err_set(e, "net: attaching function %u to VM %u failed", fn, i) : -1;
            nic_drv_counters *ctr = &n->dctr[0];
            if (fn != NIC_PF) {
                ctr = &n->dctr[n->ndctr++];
                char pre[32];
                snprintf(pre, sizeof pre, "nicdrv.vf%u", fn - 1);
                nic_drv_register_stats(ctr, n->stats, pre);
            }
            vm->own = add_queue(n, fn, 0, vm->gpa_base, ctr, vm, vm->vcpu_core, CPU_GUEST, true, e);
            if (!vm->own)
                return -1;
        }
        break;
    }
    return 0;
}

/* The guests probe their assigned functions (each configuration access an exit);
 * every driver then brings its queue up. Returns when traffic can start. */
static uint64_t open_queues(net *n)
{
    uint64_t start = START_PS;
    for (unsigned i = 0; i < n->vms; i++) {
        net_vm *vm = &n->vm[i];
        if (n->path->nic_owner == PATH_NIC_VM_PF || n->path->nic_owner == PATH_NIC_VM_VF) {
            uint64_t t = net_vpci_probe(n, vm, vm->fn, 0);
            if (t > start)
                start = t;
        }
    }
    for (unsigned i = 0; i < n->ndq; i++)
        nic_drvq_open(n->dq[i]->q, 0);
    return start;
}

static void setup_switch(net *n)
{
    uint8_t m[6];
    uint64_t peer = nic_partner_mac(n->peer);
    for (int i = 0; i < 6; i++)
        m[i] = (uint8_t)(peer >> (40 - 8 * i));
    /* What the partner's ARP reply and the VMs' gratuitous ARPs at boot teach it. */
    vswitch_learn(n->vsw, 0, m);
    for (unsigned v = 0; v < n->vms; v++) {
        for (int i = 0; i < 6; i++)
            m[i] = (uint8_t)(n->vm[v].mac >> (40 - 8 * i));
        vswitch_learn(n->vsw, n->vm[v].port, m);
    }
}

static void setup_traffic(net *n, uint64_t start)
{
    bool to_vms = n->pattern == NET_STREAM_RX || n->pattern == NET_BIDIR;
    bool from_vms = n->pattern != NET_STREAM_RX;
    uint32_t hb = n->frame_bytes - NIC_FCS_BYTES;
    if (to_vms) {
        path_nic_owner own = (path_nic_owner)n->path->nic_owner;
        if (own == PATH_NIC_APP)
            nic_partner_add_dest(n->peer, n->vm[0].mac, 0, n->vms);
        else
            for (unsigned v = 0; v < n->vms; v++)
                nic_partner_add_dest(n->peer, n->vm[v].mac,
                                     own == PATH_NIC_VM_VF ? nic_fn_vlan(n->nic, n->vm[v].fn) : 0,
                                     own == PATH_NIC_VM_VF || own == PATH_NIC_VM_PF ? 1 : n->nhost_q);
        nic_partner_start(n->peer, start, n->offered_gbps, n->frame_bytes);
    }
    if (!from_vms)
        return;
    for (unsigned v = 0; v < n->vms; v++) {
        net_sender *s = &n->vm[v].snd;
        s->active = true;
        s->dst_mac = n->pattern == NET_INTER_VM ? n->vm[(v + 1) % n->vms].mac
                                                : nic_partner_mac(n->peer);
        if (n->offered_gbps > 0 && n->pattern != NET_RR)
            s->interval_ps = (uint64_t)llround((double)hb * 8000.0 * n->vms / n->offered_gbps);
    }
    net_engine_start(n, start);
}

void *net_build(const sim_ctx *ctx, sim_err *e)
{
    const sim_params *p = ctx->params;
    net *n = calloc(1, sizeof *n);
    if (!n) {
        sim_err_set(e, "out of memory");
        return NULL;
    }
    n->params = p;
    n->kernel = ctx->kernel;
    n->stats = ctx->stats;
    n->path = path_get(path_of(p));
    n->pattern = (enum net_pattern)sim_params_enum_index(p, "traffic.pattern");
    n->vms = (unsigned)sim_params_uint(p, "traffic.vms");
    n->frame_bytes = (uint32_t)sim_params_uint(p, "traffic.packet_bytes");
    if (n->pattern == NET_RR && sim_params_uint(p, "traffic.rr_bytes"))
        n->frame_bytes = (uint32_t)sim_params_uint(p, "traffic.rr_bytes");
    n->offered_gbps = sim_params_double(p, "traffic.offered_gbps");
    n->host_cores = (unsigned)sim_params_uint(p, "place.host_cores");
    n->quantum_ps = (uint64_t)llround(sim_params_double(p, "net.quantum_ns") * 1000.0);
    n->budget = (uint32_t)sim_params_uint(p, "nicdrv.napi_budget");
    n->txq_limit = (uint32_t)sim_params_uint(p, "net.txq_pkts");
    n->rr_outstanding = (uint32_t)sim_params_uint(p, "traffic.rr_outstanding");
    path_costs_load(p, n->cost);

    n->cpu = cpu_create(p, ctx->stats);
    n->hv = hv_create(p, ctx->stats, n->cpu);
    n->mem = mem_create(p, ctx->stats);
    n->pm = mem_phys_create();
    n->link = pcie_link_create(p, ctx->stats, "pcie");
    n->rc = pcie_rc_create(p, ctx->stats, n->link, n->mem);
    n->bus = pcie_cfg_bus_create();
    n->iommu = iommu_create(p, ctx->stats, n->mem, n->pm, TABLES_BASE, TABLES_BYTES);
    pcie_rc_set_translate(n->rc, iommu_translate, n->iommu);
    pcie_rc_set_msi(n->rc, iommu_msi, n->iommu);
    iommu_set_irq_sink(n->iommu, on_irq, n);
    nic_env env = {ctx->kernel, ctx->stats, n->link, n->rc, n->bus, PF_RID};
    n->nic = nic_create(p, &env, e);
    if (!n->nic || bring_up_nic(n, e) < 0) {
        net_free(n);
        return NULL;
    }
    n->retry_ps = nic_frame_wire_ps(n->nic, n->frame_bytes) * (n->txq_limit / 2 + 1);
    register_stats(n, ctx->stats);

    n->vm = calloc(n->vms, sizeof *n->vm);
    if (!n->vm) {
        sim_err_set(e, "out of memory");
        net_free(n);
        return NULL;
    }
    unsigned cores = cpu_cores(n->cpu), g = cores - n->host_cores;
    for (unsigned i = 0; i < n->vms; i++) {
        net_vm *vm = &n->vm[i];
        vm->n = n;
        vm->idx = i;
        vm->vcpu_core = n->host_cores + i % g;
        vm->backend_core = backend_core(n, i, n->vms);
        vm->mac = vm_mac(n, i);
        vm->port = (uint16_t)(1 + i);
        vm->gpa_base = VM_BASE + i * VM_SPAN;
        if (hv_posted(n->hv))
            vm->pd_addr = iommu_pid_create(n->iommu, PI_NOTIFY_VECTOR, vm->vcpu_core);
    }
    if (n->path->switch_entry != PATH_NO_STAGE)
        n->vsw = vswitch_create(p, ctx->stats, "vswitch", 1 + n->vms);
    if (add_queues(n, e) < 0) {
        net_free(n);
        return NULL;
    }
    if (net_engine_build(n) < 0) {
        sim_err_set(e, "out of memory");
        net_free(n);
        return NULL;
    }
    n->peer = nic_partner_create(p, ctx->stats, ctx->kernel, n->nic);
    nic_partner_set_rx_observer(n->peer, on_partner_rx, n);
    if (n->vsw)
        setup_switch(n);
    uint64_t start = open_queues(n);
    setup_traffic(n, start);
    return n;
}
