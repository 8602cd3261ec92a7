/* A misbehaving guest against the whole SR-IOV path: a paths workload point (io.path =
 * sriov: the NIC, its VFs, the root complex, the IOMMU with interrupt remapping, host
 * memory, each VM owning a VF through its own IOMMU domain) built as a run builds it,
 * where VM 0 (the attacker) programs its VF as no honest driver would and VM 1 is the
 * victim.
 *
 * The attacker drives queue pair 1 of its VF itself (a guest owns every register of
 * its VF: the ring base and tail registers are nic_queue_attach and the tail writes);
 * its honest driver keeps queue pair 0. The NIC moves descriptors and frame headers,
 * not payload bytes, so the test makes every write the IOMMU lets through visible: the
 * root complex's translation hook is wrapped, and a write from any function but the
 * victim's own stamps its bytes (STAMP) at the host address it was translated to.
 * "The victim's bytes are unchanged" then fails the moment the IOMMU lets one attacker
 * write through (mapping the victim's page into the attacker's domain makes
 * test_rx_ring_into_other_vm fail); each DMA test also shows a write the IOMMU allows
 * landing (the attacker's own buffers), so the stamp is known to work.
 *
 * Beyond DMA: forged interrupts, the IOMMU's own memory, configuration writes, frames
 * it must not send, the host resetting or disabling its VF under DMA, a stale device
 * address after the host's unmap (strict and lazy), and floods of the mailbox and of
 * its own interrupts. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "host/dmaapi.h"
#include "host/iopath/iopath.h"
#include "host/pfdrv.h"
#include "host/vpci.h"
#include "models/iommu/iommu_regs.h"
#include "models/iommu/irq_remap.h"
#include "models/nic/nic_regs.h"
#include "models/pcie/cfgspace_regs.h"
#include "models/pcie/dma.h"
#include "tests/rig.h"

#define STAMP 0xEEu
#define ATTACKER 0u /* VM 0, VF 0 */
#define VICTIM 1u   /* VM 1, VF 1 */
#define EVIL_Q 1u   /* the VF queue pair the attacker drives itself */
/* A status no descriptor is written back with: the NIC has not completed it. (The
 * write-back itself waits for its batch, or the vector's interrupt, which the attacker
 * has not unmasked: the status shows what the NIC did with each descriptor.) */
#define UNUSED 0xffu

typedef struct gfx {
    rig r;
    void *sys;
    paths_parts pp;
    uint16_t victim_rid;
    uint64_t stamped; /* writes the IOMMU let through and the test stamped */
    /* DMA the attacker's VF issued (translations asked for, at the simulated time of
     * the request) since `watching` was set, and those outside [ok_lo, ok_hi). */
    bool watching;
    uint64_t watched, watched_outside, ok_lo, ok_hi;
    nic_ring tx, rx;  /* the attacker's own rings (EVIL_Q) */
    uint32_t entries;
} gfx;

/* The root complex's translation: the IOMMU's, then a stamp on every write it allows
 * from a function other than the victim's. */
static int stamp_translate(void *ctx, uint16_t rid, uint32_t pasid, uint64_t addr,
                           uint32_t len, bool write, uint64_t *t_ps, uint64_t *hpa)
{
    gfx *g = ctx;
    if (g->watching && rid == nic_fn_rid(g->pp.nic, NIC_FN_OF_VF(ATTACKER))) {
        g->watched++;
        g->watched_outside += addr < g->ok_lo || addr >= g->ok_hi;
    }
    int rc = iommu_rc_translate(g->pp.pf->iommu, rid, pasid, addr, len, write, t_ps, hpa);
    if (rc == 0 && write && rid != g->victim_rid) {
        mem_phys_fill(g->pp.pf->pm, *hpa, STAMP, len);
        g->stamped++;
    }
    return rc;
}

static void gfx_params(gfx *g, const char *pattern)
{
    memset(g, 0, sizeof *g);
    rig_init(&g->r);
    rig_set(&g->r, "workload.kind", "paths");
    rig_set(&g->r, "run.kernel", "native");
    rig_set(&g->r, "nic.line_gbps", "10");
    rig_set(&g->r, "io.path", "sriov");
    rig_set(&g->r, "traffic.vms", "2");
    rig_set(&g->r, "traffic.pattern", pattern);
}

static void gfx_build(gfx *g)
{
    sim_err e = {{0}};
    ck_assert_msg(systems_ops.check(g->r.p, &e) == 0, "%s", e.msg);
    sim_ctx ctx = rig_start(&g->r);
    g->sys = sys_kind_paths.build(&ctx, NULL, &e);
    ck_assert_msg(g->sys, "%s", e.msg);
    g->pp = paths_parts_of(g->sys);
    g->victim_rid = nic_fn_rid(g->pp.nic, NIC_FN_OF_VF(VICTIM));
    pcie_rc_set_translate(g->pp.pf->rc, stamp_translate, g);
    g->entries = nic_caps_of(g->r.p).ring_entries;
}

static void gfx_free(gfx *g)
{
    sys_kind_paths.destroy(g->sys);
    free(g->tx.desc);
    free(g->rx.desc);
    rig_free(&g->r);
}

static void run_us(gfx *g, double us)
{
    rig_run_until(&g->r, sim_now_ps(g->r.k) + (uint64_t)(us * SIM_PS_PER_US));
    nic_settle(g->pp.nic, sim_now_ps(g->r.k));
}

static uint64_t vm_base(unsigned vm) { return PLATFORM_VM_BASE + vm * PLATFORM_VM_SPAN; }

/* The host's PF driver bound to the system's PF (the caller destroys it). */
static pfdrv *host_pf_driver(gfx *g)
{
    pfdrv_env pe = {g->r.k, g->pp.nic, g->pp.pf->bus, PLATFORM_DEVICE_RID,
                    nic_caps_of(g->r.p).mmio_base, PLATFORM_MMIO_WINDOW_BYTES};
    return pfdrv_create(g->r.p, &pe);
}

/* Where the attacker keeps its own rings and buffers for EVIL_Q: its VM's I/O memory,
 * past what its honest driver uses (queue pair 0's), within the 2 MiB guest page its
 * domain maps. */
static uint64_t evil_mem(const gfx *g)
{
    return vm_base(ATTACKER) + nic_drvq_mem_bytes(g->r.p, NIC_DRV_VF);
}
static uint64_t own_buf(const gfx *g, unsigned i) { return evil_mem(g) + 0x10000 + i * 2048ull; }

/* The guest writes queue pair EVIL_Q's base and length registers (both rings in its
 * own memory, every descriptor pointing at buf(i)), and for transmit the frames. */
static void evil_rings(gfx *g, uint64_t (*buf)(const gfx *, unsigned), const nic_pkt *tx_pkt)
{
    g->tx = (nic_ring){.base_addr = evil_mem(g), .entries = g->entries};
    g->rx = (nic_ring){.base_addr = evil_mem(g) + g->entries * NIC_DESC_BYTES,
                       .entries = g->entries};
    g->tx.desc = calloc(g->entries, sizeof *g->tx.desc);
    g->rx.desc = calloc(g->entries, sizeof *g->rx.desc);
    ck_assert(g->tx.desc && g->rx.desc);
    for (unsigned i = 0; i < g->entries; i++) {
        g->tx.desc[i] =
            (nic_desc){.buf_addr = buf(g, i), .wb_ps = NIC_NOT_DONE, .status = UNUSED};
        g->rx.desc[i] = g->tx.desc[i];
        if (tx_pkt)
            g->tx.desc[i].pkt = tx_pkt[i];
    }
    unsigned fn = NIC_FN_OF_VF(ATTACKER);
    ck_assert_int_eq(nic_queue_attach(g->pp.nic, fn, EVIL_Q, tx_pkt ? &g->tx : NULL, &g->rx), 0);
}

/* The tail register write that hands the first n descriptors of a ring to the NIC. */
static void evil_tail(gfx *g, bool tx, uint32_t n)
{
    unsigned fn = NIC_FN_OF_VF(ATTACKER);
    uint32_t reg = tx ? NIC_REG_TDT(EVIL_Q) : NIC_REG_RDT(EVIL_Q);
    nic_mmio_write(g->pp.nic, sim_now_ps(g->r.k), nic_reg_addr(g->pp.nic, fn, reg), 4, n);
}

/* n frames from the wire to the attacker's VF, one every gap_ps, in flows that RSS
 * sends to queue pair q of its two (the partner's own traffic is one flow per VM,
 * which lands on queue pair 0). */
static void frames_to_attacker_every(gfx *g, unsigned n, uint64_t gap_ps, unsigned q)
{
    uint64_t mac = nic_fn_mac(g->pp.nic, NIC_FN_OF_VF(ATTACKER));
    uint16_t vlan = nic_fn_vlan(g->pp.nic, NIC_FN_OF_VF(ATTACKER));
    uint64_t now = sim_now_ps(g->r.k);
    for (unsigned i = 0; i < n; i++) {
        nic_pkt p = {.dst_mac = mac, .src_mac = 0x02000000beefull, .len_bytes = 64,
                     .vlan = vlan, .flow = 2 * i + q};
        nic_wire_rx(g->pp.nic, &p, now + (i + 1) * gap_ps);
    }
}

/* ... one a microsecond. */
static void frames_to_attacker(gfx *g, unsigned n)
{
    frames_to_attacker_every(g, n, SIM_PS_PER_US, EVIL_Q);
}

/* The victim's I/O memory, the part its domain maps: a secret, and its fingerprint. */
static uint64_t victim_secret(gfx *g, uint64_t bytes)
{
    mem_phys *pm = g->pp.pf->pm;
    for (uint64_t a = 0; a < bytes; a += 8)
        mem_phys_write_u64(pm, vm_base(VICTIM) + a, 0x5ec2e7000000ull ^ a);
    return mem_phys_hash(pm, vm_base(VICTIM), bytes);
}

static bool stamped_at(const gfx *g, uint64_t hpa)
{
    uint8_t b = 0;
    mem_phys_read(g->pp.pf->pm, hpa, &b, 1);
    return b == STAMP;
}

/* Every fault recorded is the attacker's, of `reason`, at one of the pages in want[]
 * (interrupt faults: the index); at least one was recorded. */
static void faults_are(const gfx *g, uint8_t reason, bool interrupt, const uint64_t *want,
                       size_t nwant)
{
    iommu *u = g->pp.pf->iommu;
    uint16_t rid = nic_fn_rid(g->pp.nic, NIC_FN_OF_VF(ATTACKER));
    ck_assert_uint_gt(iommu_faults_recorded(u), 0);
    for (size_t i = 0; i < iommu_faults_recorded(u); i++) {
        const iommu_fault *f = iommu_fault_get(u, i);
        ck_assert_uint_eq(f->rid, rid);
        ck_assert_uint_eq(f->reason, reason);
        ck_assert(f->interrupt == interrupt);
        bool known = false;
        for (size_t k = 0; k < nwant; k++)
            known |= f->addr == want[k];
        ck_assert_msg(known, "fault at %#llx", (unsigned long long)f->addr);
    }
}

/* ---------------------------------------------------------------- DMA into another VM */

static uint64_t g_target; /* the buffer address the attack descriptors carry */
static uint64_t half_target(const gfx *g, unsigned i) { return i % 2 ? own_buf(g, i) : g_target; }

/* The guest posts receive descriptors whose buffers alternate between the victim's
 * memory (its guest-physical = host-physical address, which the attacker knows or
 * guesses) and its own. On VT-d the VF's requests are translated in the attacker's
 * domain, which does not map the victim: the write is blocked, a fault recorded with
 * the VF's requester ID and reason 5 (VT-d 7.1.3, table 26: "the Write field of a
 * second-level entry is clear"; Linux logs it in dmar_fault as "[DMA Write] ... PTE
 * Write access is not set"). A blocked posted write is dropped without telling the
 * device (PCIe Base 6.2.3.2.1: UR for a posted request is not returned), so the 82599
 * completes the descriptor and the VF keeps working: its frames into its own buffers
 * land. The model does the same (the VF is not stopped). */
START_TEST(test_rx_ring_into_other_vm)
{
    gfx g;
    gfx_params(&g, "stream_rx");
    gfx_build(&g);
    run_us(&g, 100);
    uint64_t bytes = nic_drvq_mem_bytes(g.r.p, NIC_DRV_VF);
    uint64_t before = victim_secret(&g, bytes);
    g_target = vm_base(VICTIM) + bytes / 2; /* a page the victim's own domain maps */
    uint64_t hpa;
    iommu_domain *vd = iommu_domain_find(g.pp.pf->iommu, 1 + VICTIM);
    ck_assert_int_eq(iommu_domain_lookup(vd, g_target, &hpa, NULL, NULL), 0);
    double ur0 = rig_stat(&g.r, "rc.unsupported_requests");
    iommu_faults_clear(g.pp.pf->iommu);
    uint64_t faults0 = iommu_faults_total(g.pp.pf->iommu);
    evil_rings(&g, half_target, NULL);
    evil_tail(&g, false, g.entries - 1);
    frames_to_attacker(&g, 8);
    run_us(&g, 50);

    /* The attack ran: descriptors were used, into both kinds of buffer. */
    nic_fn_counters a = nic_fn_get_counters(g.pp.nic, NIC_FN_OF_VF(ATTACKER));
    ck_assert_uint_gt(a.rx_frames, 4);
    ck_assert_uint_eq(g.rx.desc[0].status, NIC_DESC_OK);
    ck_assert_uint_eq(g.rx.desc[1].status, NIC_DESC_OK);
    /* The victim's bytes are unchanged; the attacker's own buffers took their frames. */
    ck_assert_uint_eq(mem_phys_hash(g.pp.pf->pm, vm_base(VICTIM), bytes), before);
    ck_assert(stamped_at(&g, own_buf(&g, 1)));
    /* Blocked and recorded: UR at the root complex, faults of the attacker's VF. */
    ck_assert_double_gt(rig_stat(&g.r, "rc.unsupported_requests"), ur0);
    ck_assert_uint_gt(iommu_faults_total(g.pp.pf->iommu), faults0);
    uint64_t page = g_target & ~0xfffull;
    faults_are(&g, VTD_FR_WRITE, false, &page, 1);
    ck_assert(iommu_fault_get(g.pp.pf->iommu, 0)->write);
    /* The VF was not stopped: the descriptors after the blocked ones were used too,
     * and the honest queue pair 0 still receives. */
    ck_assert_uint_eq(g.rx.desc[3].status, NIC_DESC_OK);
    uint64_t rx_before = a.rx_frames;
    run_us(&g, 100);
    ck_assert_uint_gt(nic_fn_get_counters(g.pp.nic, NIC_FN_OF_VF(ATTACKER)).rx_frames, rx_before);
    /* The victim kept receiving its own traffic. */
    ck_assert_uint_gt(nic_fn_get_counters(g.pp.nic, NIC_FN_OF_VF(VICTIM)).rx_frames, 0);
    gfx_free(&g);
}
END_TEST

/* The guest's transmit descriptors point at the victim's memory: the VF would read the
 * victim's bytes and send them to the wire (exfiltration). The read is blocked in the
 * attacker's domain (fault reason 6, VT-d table 26: "the Read field is clear") and
 * answered with an Unsupported Request completion; the 82599 then reports the
 * descriptor in error and sends nothing (the model: NIC_DESC_ERR_DMA, nic dma_errors,
 * no frame), and goes on with the next descriptor: the attacker's frames from its own
 * buffers leave. */
START_TEST(test_tx_buffers_from_other_vm)
{
    gfx g;
    gfx_params(&g, "stream_rx");
    gfx_build(&g);
    run_us(&g, 50);
    uint64_t bytes = nic_drvq_mem_bytes(g.r.p, NIC_DRV_VF);
    uint64_t before = victim_secret(&g, bytes);
    g_target = vm_base(VICTIM) + bytes / 2;
    uint64_t mac = nic_fn_mac(g.pp.nic, NIC_FN_OF_VF(ATTACKER));
    nic_pkt *p = calloc(g.entries, sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (unsigned i = 0; i < g.entries; i++)
        p[i] = (nic_pkt){.dst_mac = 0x02000000beefull, .src_mac = mac, .len_bytes = 64,
                         .flow = i};
    iommu_faults_clear(g.pp.pf->iommu);
    nic_fn_counters a0 = nic_fn_get_counters(g.pp.nic, NIC_FN_OF_VF(ATTACKER));
    evil_rings(&g, half_target, p);
    free(p);
    evil_tail(&g, true, 10);
    run_us(&g, 50);
    nic_fn_counters a = nic_fn_get_counters(g.pp.nic, NIC_FN_OF_VF(ATTACKER));
    ck_assert_uint_eq(a.dma_errors - a0.dma_errors, 5);
    ck_assert_uint_eq(a.tx_frames - a0.tx_frames, 5); /* the odd ones, from its own buffers */
    for (unsigned i = 0; i < 10; i++)
        ck_assert_uint_eq(g.tx.desc[i].status, i % 2 ? NIC_DESC_OK : NIC_DESC_ERR_DMA);
    ck_assert_uint_eq(g.tx.desc[10].status, UNUSED);
    uint64_t page = g_target & ~0xfffull;
    faults_are(&g, VTD_FR_READ, false, &page, 1);
    ck_assert(!iommu_fault_get(g.pp.pf->iommu, 0)->write);
    ck_assert_uint_eq(mem_phys_hash(g.pp.pf->pm, vm_base(VICTIM), bytes), before);
    gfx_free(&g);
}
END_TEST

/* ---------------------------------------------------------------- forged interrupts */

/* Two receive buffers at a and b, the rest the attacker's own; frames to fill them;
 * the NIC used the descriptors (the first two completed as if nothing happened) and
 * the writes to its own buffers landed. */
static uint64_t g_two[2];
static uint64_t two_then_own(const gfx *g, unsigned i)
{
    return i < 2 ? g_two[i] : own_buf(g, i);
}

static void rx_attack(gfx *g, uint64_t a, uint64_t b, unsigned frames)
{
    g_two[0] = a;
    g_two[1] = b;
    iommu_faults_clear(g->pp.pf->iommu);
    evil_rings(g, two_then_own, NULL);
    evil_tail(g, false, g->entries - 1);
    frames_to_attacker(g, frames);
    run_us(g, 50);
    ck_assert_uint_eq(g->rx.desc[0].status, NIC_DESC_OK);
    ck_assert_uint_eq(g->rx.desc[1].status, NIC_DESC_OK);
    ck_assert(stamped_at(g, own_buf(g, 2)));
}

/* The guest points receive buffers at the MSI window, so that its VF's DMA writes
 * become interrupt messages it was never given: one in remappable format naming the
 * victim's interrupt remapping entry (the victim's queue: entry VICTIM here, the
 * system's lane order), one in compatibility format (0xFEE00000: a plain APIC
 * destination). Interrupt remapping checks the entry's source ID against the
 * requester (VT-d 9.10, SVT/SID; 5.1.4 reason 26h) and refuses compatibility format
 * while it is disabled (GSTS.CFIS clear, as Linux leaves it: reason 25h). Both are
 * blocked and recorded; the victim's interrupt count does not move because of them. */
START_TEST(test_forged_msi_blocked)
{
    gfx g;
    gfx_params(&g, "stream_tx");
    gfx_build(&g);
    run_us(&g, 50);
    double blocked0 = rig_stat(&g.r, "net.irq_blocked");
    rx_attack(&g, iommu_msi_addr(VICTIM), PCIE_MSI_BASE, 8);
    ck_assert_double_ge(rig_stat(&g.r, "net.irq_blocked") - blocked0, 2);
    iommu *u = g.pp.pf->iommu;
    uint16_t rid = nic_fn_rid(g.pp.nic, NIC_FN_OF_VF(ATTACKER));
    bool sid = false, compat = false;
    for (size_t i = 0; i < iommu_faults_recorded(u); i++) {
        const iommu_fault *f = iommu_fault_get(u, i);
        ck_assert_uint_eq(f->rid, rid);
        ck_assert(f->interrupt);
        sid |= f->reason == VTD_FR_IR_SID_ERR && f->addr == VICTIM;
        compat |= f->reason == VTD_FR_IR_REQ_COMPAT;
    }
    ck_assert(sid && compat);
    gfx_free(&g);
}
END_TEST

/* ---------------------------------------------------------------- the IOMMU's own memory */

/* The guest aims its VF's receive DMA at the IOMMU's root table (the host's IOMMU
 * driver keeps its tables at PLATFORM_IOMMU_TABLES_BASE) and at the victim vCPU's
 * posted-interrupt descriptor (hv.irq_delivery = posted), hoping to rewrite its own
 * translation or inject interrupts. Neither is mapped in the VM's domain (VFIO maps
 * only the guest's RAM; Linux's intel-iommu allocates its tables from host memory no
 * domain maps), so both writes are blocked (reason 5, as any unmapped page), recorded,
 * and the tables and descriptor are unchanged. */
START_TEST(test_dma_at_iommu_tables_blocked)
{
    gfx g;
    gfx_params(&g, "stream_rx");
    rig_set(&g.r, "hv.irq_delivery", "posted");
    gfx_build(&g);
    run_us(&g, 50);
    iommu *u = g.pp.pf->iommu;
    mem_phys *pm = g.pp.pf->pm;
    uint64_t rt = iommu_root_table(u), pda = g.pp.io->lane[VICTIM].pd_addr;
    ck_assert_uint_ne(pda, 0);
    uint64_t root = mem_phys_hash(pm, rt, 4096), pd = mem_phys_hash(pm, pda, 64);
    rx_attack(&g, rt, pda, 4);
    ck_assert_uint_eq(mem_phys_hash(pm, rt, 4096), root);
    ck_assert_uint_eq(mem_phys_hash(pm, pda, 64), pd);
    uint64_t pages[2] = {rt & ~0xfffull, pda & ~0xfffull};
    faults_are(&g, VTD_FR_WRITE, false, pages, 2);
    ck_assert_uint_eq(iommu_faults_recorded(u), 2);
    /* Translation still works for everyone: the victim still receives. */
    uint64_t v0 = nic_fn_get_counters(g.pp.nic, NIC_FN_OF_VF(VICTIM)).rx_frames;
    run_us(&g, 100);
    ck_assert_uint_gt(nic_fn_get_counters(g.pp.nic, NIC_FN_OF_VF(VICTIM)).rx_frames, v0);
    gfx_free(&g);
}
END_TEST

/* ---------------------------------------------------------------- configuration space */

/* Configuration writes a guest must not make, through the hypervisor's mediation
 * (host/vpci.c, as QEMU's vfio-pci): moving its VF's BAR (vfio_pci_write_config keeps
 * BARs virtual: the guest's value lands in the emulated register, the device's BAR
 * stays where the host placed it), writing extended configuration space where the
 * PF's SR-IOV capability sits (a VF has none; vfio hides the SR-IOV capability of a
 * passed-through PF: writes discarded), and, with the whole PF passed through, its
 * SR-IOV Control (enable VFs behind the host's back): discarded, counted as
 * net.cfg_discarded. Not covered: the PF's ACS capability, which the model does not
 * have (io.nic_acs is a parameter); a write where it would sit is discarded like any
 * extended-space write (the SR-IOV one below). */
START_TEST(test_config_writes_discarded)
{
    gfx g;
    gfx_params(&g, "stream_tx");
    gfx_build(&g);
    run_us(&g, 20);
    nic *n = g.pp.nic;
    unsigned fn = NIC_FN_OF_VF(ATTACKER);
    pcie_cfg *vf = nic_fn_cfg(n, fn), *pf = nic_fn_cfg(n, NIC_PF);
    uint16_t sriov = pcie_cfg_find_ext_capability(pf, PCIE_EXT_CAP_ID_SRIOV);
    ck_assert_uint_ne(sriov, 0);
    uint64_t bar = nic_fn_bar(n, fn, NIC_BAR_REGS);
    uint32_t ctrl = pcie_cfg_get(pf, (uint16_t)(sriov + PCIE_SRIOV_CTRL), 2);
    unsigned vfs = nic_num_vfs(n);
    vpci_counters c0 = *g.pp.vpci;
    hv *h = g.pp.io->hv;
    unsigned core = g.pp.io->lane[ATTACKER].vcpu_core;
    uint64_t t = sim_now_ps(g.r.k);
    t = vpci_guest_write(h, core, vf, g.pp.vpci, PCIE_CFG_BAR0, 4, 0x10000000u, t);
    t = vpci_guest_write(h, core, vf, g.pp.vpci, (uint16_t)(sriov + PCIE_SRIOV_CTRL), 2, 0, t);
    t = vpci_guest_write(h, core, vf, g.pp.vpci, PCIE_CFG_LEGACY_SIZE, 4, 0, t);
    ck_assert_uint_eq(g.pp.vpci->emulated - c0.emulated, 1);
    ck_assert_uint_eq(g.pp.vpci->discarded - c0.discarded, 2);
    ck_assert_uint_eq(g.pp.vpci->passed, c0.passed);
    ck_assert_uint_eq(nic_fn_bar(n, fn, NIC_BAR_REGS), bar);
    ck_assert_uint_eq(pcie_cfg_get(pf, (uint16_t)(sriov + PCIE_SRIOV_CTRL), 2), ctrl);
    ck_assert_uint_eq(nic_num_vfs(n), vfs);
    ck_assert_double_eq(rig_stat(&g.r, "net.cfg_discarded"), (double)g.pp.vpci->discarded);
    /* Each access was an exit. */
    ck_assert_uint_gt(t, sim_now_ps(g.r.k));
    /* The device still answers at the host's address: the VF still sends. */
    uint64_t tx0 = nic_fn_get_counters(n, fn).tx_frames;
    run_us(&g, 200);
    ck_assert_uint_gt(nic_fn_get_counters(n, fn).tx_frames, tx0);
    gfx_free(&g);
}
END_TEST

START_TEST(test_passthrough_pf_sriov_write_discarded)
{
    gfx g;
    gfx_params(&g, "stream_tx");
    rig_set(&g.r, "io.path", "passthrough");
    rig_set(&g.r, "traffic.vms", "1");
    gfx_build(&g);
    run_us(&g, 20);
    pcie_cfg *pf = nic_fn_cfg(g.pp.nic, NIC_PF);
    uint16_t sriov = pcie_cfg_find_ext_capability(pf, PCIE_EXT_CAP_ID_SRIOV);
    ck_assert_uint_ne(sriov, 0);
    unsigned vfs = nic_num_vfs(g.pp.nic);
    vpci_counters c0 = *g.pp.vpci;
    uint64_t t = sim_now_ps(g.r.k);
    unsigned core = g.pp.io->lane[0].vcpu_core;
    t = vpci_guest_write(g.pp.io->hv, core, pf, g.pp.vpci, (uint16_t)(sriov + PCIE_SRIOV_NUM_VFS),
                         2, 4, t);
    vpci_guest_write(g.pp.io->hv, core, pf, g.pp.vpci, (uint16_t)(sriov + PCIE_SRIOV_CTRL), 2,
                     PCIE_SRIOV_CTRL_VF_ENABLE | PCIE_SRIOV_CTRL_VF_MSE, t);
    ck_assert_uint_eq(g.pp.vpci->discarded - c0.discarded, 2);
    ck_assert_uint_eq(nic_num_vfs(g.pp.nic), vfs);
    ck_assert_uint_eq(pcie_cfg_get(pf, (uint16_t)(sriov + PCIE_SRIOV_CTRL), 2) &
                          PCIE_SRIOV_CTRL_VF_ENABLE,
                      0);
    gfx_free(&g);
}
END_TEST

/* ---------------------------------------------------------------- frames it must not send */

/* The attacker's transmit descriptors, cycling through five kinds of frame. */
enum { SPOOF_MAC, OTHER_VLAN, OVERSIZED, RUNT, HONEST, KINDS };

/* Frames a guest must not send, from its VF's own buffers, with the host having put
 * the VMs in VLANs 10 and 20 (ip link set ... vf N vlan V: ixgbe_ndo_set_vf_vlan,
 * the port VLAN the NIC inserts):
 *   a source MAC not its own (the victim's): the anti-spoofing check drops it
 *     (82599 datasheet 7.10.3.9.2, PFVFSPOOF.MACAS; ixgbe enables it by default):
 *     NIC_DESC_ERR_SPOOF, counted as spoof_drops;
 *   the victim's VLAN: the NIC inserts the attacker's port VLAN instead (the model
 *     overrides the tag; the 82599's VLAN anti-spoofing, PFVFSPOOF.VLANAS, drops such
 *     a frame instead), so the embedded switch does not find the victim on it and the
 *     frame leaves on the wire in the attacker's VLAN: the victim receives nothing;
 *   longer than any frame (above nic.max_frame_bytes): refused without reading the
 *     buffer, NIC_DESC_ERR_LEN, counted as bad_desc (the 82599 flags an oversized
 *     descriptor as a malicious-driver event on X540 and later);
 *   a runt (10 bytes): the model pads it on the wire to 64 bytes and sends it, as
 *     the 82599 pads short frames (TXDCTL/HLREG0.TXPADEN), and counts it as sent;
 * and honest frames, which go out. */
START_TEST(test_forbidden_frames)
{
    gfx g;
    gfx_params(&g, "stream_tx");
    gfx_build(&g);
    nic *n = g.pp.nic;
    pfdrv *host = host_pf_driver(&g);
    uint64_t t = sim_now_ps(g.r.k), done = 0;
    ck_assert_int_eq(pfdrv_set_vf_vlan(host, t, ATTACKER, 10, NULL), 0);
    ck_assert_int_eq(pfdrv_set_vf_vlan(host, t, VICTIM, 20, &done), 0);
    pfdrv_destroy(host);
    run_us(&g, (double)(done - t) / SIM_PS_PER_US + 20);
    ck_assert_uint_eq(nic_fn_vlan(n, NIC_FN_OF_VF(VICTIM)), 20);
    unsigned afn = NIC_FN_OF_VF(ATTACKER), vfn = NIC_FN_OF_VF(VICTIM);
    uint64_t amac = nic_fn_mac(n, afn), vmac = nic_fn_mac(n, vfn);
    nic_pkt *p = calloc(g.entries, sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (unsigned i = 0; i < g.entries; i++) {
        p[i] = (nic_pkt){.dst_mac = vmac, .src_mac = amac, .len_bytes = 64, .flow = i};
        switch (i % KINDS) {
        case SPOOF_MAC: p[i].src_mac = vmac; break;
        case OTHER_VLAN: p[i].vlan = 20; break;
        case OVERSIZED: p[i].len_bytes = 20000; break;
        case RUNT: p[i].len_bytes = 10; break;
        default: p[i].dst_mac = 0x02000000beefull; break;
        }
    }
    nic_fn_counters a0 = nic_fn_get_counters(n, afn), v0 = nic_fn_get_counters(n, vfn);
    evil_rings(&g, own_buf, p);
    free(p);
    evil_tail(&g, true, 2 * KINDS);
    run_us(&g, 50);
    nic_fn_counters a = nic_fn_get_counters(n, afn), v = nic_fn_get_counters(n, vfn);
    for (unsigned i = 0; i < 2 * KINDS; i++) {
        uint8_t want = i % KINDS == SPOOF_MAC   ? NIC_DESC_ERR_SPOOF
                       : i % KINDS == OVERSIZED ? NIC_DESC_ERR_LEN
                                                : NIC_DESC_OK;
        ck_assert_uint_eq(g.tx.desc[i].status, want);
    }
    ck_assert_uint_eq(a.spoof_drops - a0.spoof_drops, 2);
    ck_assert_uint_eq(a.bad_desc - a0.bad_desc, 2);
    /* Sent: the other-VLAN frames (on the wire, in VLAN 10), the runts, the honest. */
    ck_assert_uint_eq(a.tx_frames - a0.tx_frames, 6);
    ck_assert_uint_eq(v.rx_frames - v0.rx_frames, 0);
    ck_assert_uint_eq(v.rx_no_desc_drops + v.rx_overflow_drops,
                      v0.rx_no_desc_drops + v0.rx_overflow_drops);
    gfx_free(&g);
}
END_TEST

/* ---------------------------------------------------------------- resets under DMA */

/* The host's reset of a function, as Linux's pci_reset_function does it for vfio
 * (pci_dev_save_and_disable, pcie_flr, pci_dev_restore): Initiate FLR in Device
 * Control, then, after the 100 ms pcie_flr waits, the saved Command register back
 * (Bus Master Enable). The test's clock does not wait the 100 ms: the function is
 * checked at the instant of the reset. */
static void host_flr(gfx *g, unsigned fn)
{
    pcie_cfg *c = nic_fn_cfg(g->pp.nic, fn);
    uint16_t rid = nic_fn_rid(g->pp.nic, fn);
    uint8_t exp = pcie_cfg_find_capability(c, PCIE_CAP_ID_EXP);
    ck_assert_uint_ne(exp, 0);
    ck_assert(pcie_cfg_read(c, (uint16_t)(exp + PCIE_EXP_DEVCAP), 4) & PCIE_EXP_DEVCAP_FLR);
    uint32_t cmd = pcie_cfg_bus_read(g->pp.pf->bus, rid, PCIE_CFG_COMMAND, 2);
    pcie_cfg_bus_write(g->pp.pf->bus, rid, (uint16_t)(exp + PCIE_EXP_DEVCTL), 2,
                       PCIE_EXP_DEVCTL_FLR);
    ck_assert(!pcie_cfg_bus_master(c)); /* reset values until the host restores them */
    pcie_cfg_bus_write(g->pp.pf->bus, rid, PCIE_CFG_COMMAND, 2, cmd);
}

/* The attacker's VF receiving into its own buffers, a frame every microsecond for
 * 60 us, the writes landing; the host resets it (or disables every VF) 20 us in,
 * with descriptor fetches, frames in the receive pipeline and write-backs in flight.
 * From that instant its VF issues no DMA at all: the rings it was given are gone,
 * frames for it are dropped for want of a descriptor. */
static void reset_under_dma(gfx *g, bool disable_vfs)
{
    gfx_params(g, "stream_tx");
    gfx_build(g);
    run_us(g, 20);
    evil_rings(g, own_buf, NULL);
    evil_tail(g, false, g->entries - 1);
    frames_to_attacker(g, 60);
    run_us(g, 20);
    unsigned fn = NIC_FN_OF_VF(ATTACKER);
    nic_fn_counters a0 = nic_fn_get_counters(g->pp.nic, fn);
    ck_assert_uint_gt(a0.rx_frames, 10);
    ck_assert(stamped_at(g, own_buf(g, 1)));
    /* Wipe the buffers not yet written, so a later write would show. */
    uint64_t next = own_buf(g, (unsigned)a0.rx_frames + 2);
    mem_phys_fill(g->pp.pf->pm, next, 0, own_buf(g, g->entries - 1) - next);
    g->watching = true; /* nothing allowed: ok_lo = ok_hi = 0 */
    /* A mailbox message left behind, its request pending. */
    nic *n = g->pp.nic;
    uint64_t t = sim_now_ps(g->r.k);
    nic_mmio_write(n, t, nic_fn_bar(n, fn, NIC_BAR_REGS) + NIC_REG_VFMBMEM(3), 4, 0x5ec7e7u);
    nic_mmio_write(n, t, nic_fn_bar(n, fn, NIC_BAR_REGS) + NIC_REG_VFMAILBOX, 4,
                   NIC_VFMAILBOX_REQ);
    if (disable_vfs) {
        pfdrv *host = host_pf_driver(g);
        unsigned vfs = nic_num_vfs(n);
        pfdrv_disable_vfs(host);
        ck_assert_uint_eq(nic_num_vfs(n), 0);
        run_us(g, 10);
        /* VFs again, as for the next VMs: the attacker's is reborn empty. */
        ck_assert_int_eq(pfdrv_enable_vfs(host, vfs), 0);
        pfdrv_destroy(host);
    } else {
        host_flr(g, fn);
        ck_assert_uint_eq(nic_fn_get_counters(g->pp.nic, fn).flrs, a0.flrs + 1);
    }
    /* Nothing of the mailbox either: its memory reads 0 and a new request is not taken
     * for the old one still pending. */
    t = sim_now_ps(g->r.k);
    uint64_t bar = nic_fn_bar(n, fn, NIC_BAR_REGS);
    ck_assert_uint_eq(nic_mmio_read(n, t, bar + NIC_REG_VFMBMEM(3), 4), 0);
    uint64_t busy = nic_fn_get_counters(n, fn).mbx_busy;
    nic_mmio_write(n, t, bar + NIC_REG_VFMAILBOX, 4, NIC_VFMAILBOX_REQ);
    ck_assert_uint_eq(nic_fn_get_counters(n, fn).mbx_busy, busy);
    run_us(g, 60);
    ck_assert_uint_eq(g->watched, 0);
    ck_assert(!stamped_at(g, next));
    nic_fn_counters a = nic_fn_get_counters(g->pp.nic, fn);
    ck_assert_uint_gt(a.rx_no_desc_drops, a0.rx_no_desc_drops);
}

START_TEST(test_flr_under_dma)
{
    gfx g;
    reset_under_dma(&g, false);
    /* Nothing of the old owner survives for the next: a new owner (its buffers at
     * other addresses) posts a ring of its own; the VF's DMA goes only there, none to
     * the descriptors the old owner had posted and the reset dropped. */
    free(g.rx.desc);
    g.rx.desc = NULL;
    uint64_t lo = own_buf(&g, 0) + 0x80000, hi = lo + 0x10000;
    g.rx = (nic_ring){.base_addr = lo, .entries = g.entries};
    g.rx.desc = calloc(g.entries, sizeof *g.rx.desc);
    ck_assert_ptr_nonnull(g.rx.desc);
    for (unsigned i = 0; i < g.entries; i++)
        g.rx.desc[i] = (nic_desc){.buf_addr = lo + 0x1000 + 64ull * i, .wb_ps = NIC_NOT_DONE,
                                  .status = UNUSED};
    unsigned fn = NIC_FN_OF_VF(ATTACKER);
    ck_assert_int_eq(nic_queue_attach(g.pp.nic, fn, EVIL_Q, NULL, &g.rx), 0);
    g.ok_lo = lo;
    g.ok_hi = hi;
    uint64_t rx0 = nic_fn_get_counters(g.pp.nic, fn).rx_frames;
    evil_tail(&g, false, 8);
    frames_to_attacker(&g, 8);
    run_us(&g, 30);
    ck_assert_uint_eq(nic_fn_get_counters(g.pp.nic, fn).rx_frames - rx0, 8);
    ck_assert_uint_gt(g.watched, 8);
    ck_assert_uint_eq(g.watched_outside, 0);
    ck_assert_uint_eq(g.rx.desc[0].status, NIC_DESC_OK);
    /* Initiate FLR is bit 7 of Device Control's high byte: a one-byte write resets too. */
    pcie_cfg *c = nic_fn_cfg(g.pp.nic, fn);
    uint8_t exp = pcie_cfg_find_capability(c, PCIE_CAP_ID_EXP);
    uint64_t flrs = nic_fn_get_counters(g.pp.nic, fn).flrs;
    pcie_cfg_bus_write(g.pp.pf->bus, nic_fn_rid(g.pp.nic, fn), (uint16_t)(exp + PCIE_EXP_DEVCTL + 1),
                       1, PCIE_EXP_DEVCTL_FLR >> 8);
    ck_assert_uint_eq(nic_fn_get_counters(g.pp.nic, fn).flrs, flrs + 1);
    gfx_free(&g);
}
END_TEST

START_TEST(test_vf_disable_under_dma)
{
    gfx g;
    reset_under_dma(&g, true);
    gfx_free(&g);
}
END_TEST

/* ---------------------------------------------------------------- use after unmap */

/* A host-owned function (the PF, on the host's DMA API: Linux's dma_map_single and
 * dma_unmap_single over intel-iommu) writes a buffer, which lands; the driver unmaps
 * it; the function writes the same device address again (a stale descriptor, a
 * buggy or hostile device). Strict mode has cleared the entry and invalidated the
 * IOTLB before unmap returned: the write is blocked and recorded, the freed page is
 * unchanged. Lazy mode (Linux's default flush queue) has cleared the entry but not
 * the IOTLB: the write still lands in the freed page until the flush, the window the
 * mode trades for speed; after the flush it is blocked too. */
static void use_after_unmap(const char *mode, bool lands_before_flush)
{
    gfx g;
    gfx_params(&g, "stream_tx");
    rig_set(&g.r, "iommu.mode", mode);
    gfx_build(&g);
    run_us(&g, 10);
    sim_err e = {{0}};
    uint16_t rid = nic_fn_rid(g.pp.nic, NIC_PF);
    iommu_dma *api = platform_dma_api_create(g.pp.pf, g.r.p, g.r.s, rid, 250, 64, &e);
    ck_assert_msg(api, "%s", e.msg);
    pcie_dma *dev = pcie_dma_create(g.pp.pf->link, g.pp.pf->rc, rid, 32);
    uint64_t buf = PLATFORM_HOST_BASE + 0x200000, t = sim_now_ps(g.r.k);
    iommu_dma_buf b;
    t = iommu_dma_map(api, t, buf, 2048, false, &b);
    ck_assert_uint_ne(t, UINT64_MAX);
    t = pcie_dma_write(dev, t, b.dev_addr, 256);
    ck_assert(stamped_at(&g, buf));
    t = iommu_dma_unmap(api, t, &b);
    mem_phys_fill(g.pp.pf->pm, buf, 0, 2048);
    iommu_faults_clear(g.pp.pf->iommu);
    t = pcie_dma_write(dev, t, b.dev_addr, 256);
    ck_assert(stamped_at(&g, buf) == lands_before_flush);
    if (lands_before_flush) {
        ck_assert_uint_eq(iommu_faults_recorded(g.pp.pf->iommu), 0);
        t = iommu_dma_flush(api, t);
        mem_phys_fill(g.pp.pf->pm, buf, 0, 2048);
        t = pcie_dma_write(dev, t, b.dev_addr, 256);
        ck_assert(!stamped_at(&g, buf));
    }
    iommu *u = g.pp.pf->iommu;
    ck_assert_uint_eq(iommu_faults_recorded(u), 1);
    const iommu_fault *f = iommu_fault_get(u, 0);
    ck_assert_uint_eq(f->rid, rid);
    ck_assert_uint_eq(f->addr, b.dev_addr & ~0xfffull);
    ck_assert(f->write && !f->interrupt);
    pcie_dma_destroy(dev);
    iommu_dma_destroy(api);
    gfx_free(&g);
}

START_TEST(test_use_after_strict_unmap) { use_after_unmap("strict", false); }
END_TEST

START_TEST(test_use_after_lazy_unmap) { use_after_unmap("lazy", true); }
END_TEST

/* ---------------------------------------------------------------- floods */

/* The guest writes VFMAILBOX.REQ ten thousand times in 10 us, hoping to bury the PF
 * driver (or the simulator) in messages. The request is one bit: until the PF has
 * taken a message (nic.mbx_latency_us), asking again sends nothing, so at most one
 * message per latency reaches the PF, and the victim's own request, made in the
 * middle of the flood, is carried out on time. */
START_TEST(test_mailbox_flood)
{
    gfx g;
    gfx_params(&g, "stream_tx");
    gfx_build(&g);
    nic *n = g.pp.nic;
    /* The host set both VMs' MACs; the victim is trusted to change its own. */
    pfdrv *host = host_pf_driver(&g);
    ck_assert_int_eq(pfdrv_set_vf_trust(host, sim_now_ps(g.r.k), VICTIM, true, NULL), 0);
    pfdrv_destroy(host);
    run_us(&g, 20);
    unsigned afn = NIC_FN_OF_VF(ATTACKER), vfn = NIC_FN_OF_VF(VICTIM);
    uint64_t abar = nic_fn_bar(n, afn, NIC_BAR_REGS), vbar = nic_fn_bar(n, vfn, NIC_BAR_REGS);
    uint64_t t0 = sim_now_ps(g.r.k), lat = nic_mbx_latency_ps(n);
    ck_assert_uint_gt(lat, 0);
    /* Messages of a type the PF refuses: each one the PF takes is counted there. */
    nic_mmio_write(n, t0, abar + NIC_REG_VFMBMEM(0), 4, 0x7777u);
    double refused0 = rig_stat(&g.r, "nic.mbx_refused");
    const unsigned flood = 10000;
    const uint64_t span = 10 * SIM_PS_PER_US;
    uint64_t want_mac = 0x020000c0ffeeull, t_victim = t0 + span / 2;
    for (unsigned i = 0; i < flood; i++) {
        uint64_t t = t0 + span * i / flood;
        nic_mmio_write(n, t, abar + NIC_REG_VFMAILBOX, 4, NIC_VFMAILBOX_REQ);
        if (i == flood / 2) {
            nic_mmio_write(n, t_victim, vbar + NIC_REG_VFMBMEM(0), 4, NIC_MBX_VF_SET_MAC_ADDR);
            nic_mmio_write(n, t_victim, vbar + NIC_REG_VFMBMEM(1), 4, (uint32_t)want_mac);
            nic_mmio_write(n, t_victim, vbar + NIC_REG_VFMBMEM(2), 4, (uint32_t)(want_mac >> 32));
            nic_mmio_write(n, t_victim, vbar + NIC_REG_VFMAILBOX, 4, NIC_VFMAILBOX_REQ);
        }
    }
    rig_run_until(&g.r, t_victim + lat + 1);
    ck_assert_uint_eq(nic_fn_mac(n, vfn), want_mac);
    run_us(&g, 20);
    double taken = rig_stat(&g.r, "nic.mbx_refused") - refused0;
    uint64_t most = span / lat + 1;
    ck_assert_double_ge(taken, 1);
    ck_assert_double_le(taken, (double)most);
    ck_assert_uint_eq(nic_fn_get_counters(n, afn).mbx_busy, flood - (uint64_t)taken);
    gfx_free(&g);
}
END_TEST

/* The victim's frames sent in 200 us while the attacker, if `flood`, turns off its
 * VF's interrupt moderation and re-enables its vectors at once (EITR 0 and EIMS every
 * 0.5 us, over its own driver's adaptive ITR and NAPI masking) under 2 Mframes/s to
 * its own driver's queue: up to an interrupt per frame, each an exit on the
 * attacker's vCPU (hv.irq_delivery = exit). *irqs: the attacker's interrupts. (Its
 * other vectors' MSI-X entries are the hypervisor's to program: vfio emulates the
 * table.) */
static uint64_t victim_sends(bool flood, uint64_t *irqs)
{
    gfx g;
    gfx_params(&g, "stream_tx");
    rig_set(&g.r, "hv.irq_delivery", "exit");
    gfx_build(&g);
    run_us(&g, 50);
    nic *n = g.pp.nic;
    unsigned afn = NIC_FN_OF_VF(ATTACKER), vfn = NIC_FN_OF_VF(VICTIM);
    uint64_t bar = nic_fn_bar(n, afn, NIC_BAR_REGS);
    double blocked0 = rig_stat(&g.r, "net.irq_blocked");
    uint64_t v0 = nic_fn_get_counters(n, vfn).tx_frames, a0 = nic_fn_get_counters(n, afn).irqs;
    if (flood)
        frames_to_attacker_every(&g, 400, SIM_PS_PER_US / 2, 0);
    for (unsigned step = 0; step < 400; step++) {
        uint64_t t = sim_now_ps(g.r.k);
        if (flood) {
            unsigned nvec = nic_fn_vectors(n, afn);
            for (unsigned v = 0; v < nvec; v++)
                nic_mmio_write(n, t, bar + NIC_REG_EITR(v), 4, 0);
            nic_mmio_write(n, t, bar + NIC_REG_EIMS, 4, (1u << nvec) - 1);
        }
        run_us(&g, 0.5);
    }
    ck_assert_double_eq(rig_stat(&g.r, "net.irq_blocked"), blocked0);
    *irqs = nic_fn_get_counters(n, afn).irqs - a0;
    uint64_t sent = nic_fn_get_counters(n, vfn).tx_frames - v0;
    gfx_free(&g);
    return sent;
}

/* A guest floods itself with interrupts. They are its VF's own vectors, remapped to
 * its own vCPU (nothing is blocked), and what they cost lands on its own core: the
 * victim sends as much as without the flood. */
START_TEST(test_interrupt_flood)
{
    uint64_t calm_irqs, flood_irqs;
    uint64_t calm = victim_sends(false, &calm_irqs);
    uint64_t flooded = victim_sends(true, &flood_irqs);
    ck_assert_uint_gt(calm, 50);
    ck_assert_uint_ge(flood_irqs, calm_irqs + 300);
    ck_assert_msg(flooded * 100 >= calm * 98, "victim sent %llu frames under the flood, %llu "
                  "without", (unsigned long long)flooded, (unsigned long long)calm);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("guest_attacks");
    TCase *tc = tcase_create("dma");
    tcase_add_test(tc, test_rx_ring_into_other_vm);
    tcase_add_test(tc, test_tx_buffers_from_other_vm);
    tcase_add_test(tc, test_forged_msi_blocked);
    tcase_add_test(tc, test_dma_at_iommu_tables_blocked);
    suite_add_tcase(s, tc);
    tc = tcase_create("config");
    tcase_add_test(tc, test_config_writes_discarded);
    tcase_add_test(tc, test_passthrough_pf_sriov_write_discarded);
    suite_add_tcase(s, tc);
    tc = tcase_create("frames");
    tcase_add_test(tc, test_forbidden_frames);
    suite_add_tcase(s, tc);
    tc = tcase_create("resets");
    tcase_add_test(tc, test_flr_under_dma);
    tcase_add_test(tc, test_vf_disable_under_dma);
    suite_add_tcase(s, tc);
    tc = tcase_create("unmap");
    tcase_add_test(tc, test_use_after_strict_unmap);
    tcase_add_test(tc, test_use_after_lazy_unmap);
    suite_add_tcase(s, tc);
    tc = tcase_create("floods");
    tcase_add_test(tc, test_mailbox_flood);
    tcase_add_test(tc, test_interrupt_flood);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
