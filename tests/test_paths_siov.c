/* Scalable IOV (io.path = siov): each VM's assignable interface is PF queue pairs the
 * host's VDCM tagged with the VM's PASID. What the tests hold the path to: its DMA is
 * translated through the PF's PASID table, each VM's by its own PASID, into its own
 * memory only; an interface pointed at another VM's memory is blocked with a fault
 * naming its PASID and writes nothing; the host's VM exits are the slow path's (the
 * configuration probe, the virtchnl requests) at set-up, none per packet; its
 * throughput is SR-IOV's, as HD-IOV (EuroSys 2024) measured; a DPDK application on it
 * takes no interrupt; and what it refuses. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host/iopath/iopath.h"
#include "host/vdcm.h"
#include "models/nic/nic_regs.h"
#include "tests/paths_fixture.h"

#define STAMP 0xEEu
/* Warm-up past the set-up: the guests' probes and virtchnl requests, each an exit, take
 * a few hundred microseconds before traffic starts. */
#define SETUP_US 600

static void siov_params(ptfx *f, const char *pattern, const char *vms)
{
    ptfx_params(f, "siov", pattern);
    ptfx_set(f, "iommu.scalable", "true");
    ptfx_set(f, "nic.pf_queues", "8");
    ptfx_set(f, "traffic.vms", vms);
}

/* Built as a run builds a paths point, with its parts at hand (paths_parts_of). */
static paths_parts siov_build(ptfx *f)
{
    sim_err e = {{0}};
    ck_assert_msg(systems_ops.check(f->r.p, &e) == 0, "%s", e.msg);
    sim_ctx ctx = rig_start(&f->r);
    f->sys = sys_kind_paths.build(&ctx, NULL, &e);
    ck_assert_msg(f->sys, "%s", e.msg);
    return paths_parts_of(f->sys);
}

static void siov_free(ptfx *f)
{
    sys_kind_paths.destroy(f->sys);
    f->sys = NULL;
    rig_free(&f->r);
}

static uint64_t vm_base(unsigned vm) { return PLATFORM_VM_BASE + vm * PLATFORM_VM_SPAN; }

/* ---------------------------------------------------------------- refusals */

static void refused(const char *const *sets, const char *says)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "workload.kind", "paths");
    rig_set(&r, "io.path", "siov");
    for (unsigned i = 0; sets[i]; i += 2)
        rig_set(&r, sets[i], sets[i + 1]);
    sim_err e = {{0}};
    ck_assert_int_lt(systems_ops.check(r.p, &e), 0);
    ck_assert_msg(strstr(e.msg, says), "%s", e.msg);
    rig_free(&r);
}

START_TEST(test_refusals)
{
    refused((const char *const[]){NULL}, "iommu.scalable = true");
    /* Beyond the device's pool (nic.total_queues = 128 by default). */
    refused((const char *const[]){"iommu.scalable", "true", "nic.pf_queues", "8",
                                  "traffic.vms", "64", "io.queues", "2", NULL},
            "nic.total_queues = 128");
    /* Beyond the Interrupt Message Store's 256 entries, in a larger pool. */
    refused((const char *const[]){"iommu.scalable", "true", "nic.total_queues", "1024",
                                  "traffic.vms", "100", "io.queues", "3", NULL},
            "Interrupt Message Store");
    refused((const char *const[]){"iommu.scalable", "true", "nic.pf_queues", "8",
                                  "traffic.vms", "2", "traffic.pattern", "inter_vm", NULL},
            "use sriov");
}
END_TEST

/* ---------------------------------------------------------------- translation by PASID */

/* Requests the root complex translated, by PASID, and those of a PASID that fell outside
 * its VM's memory. */
typedef struct tally {
    iommu *u;
    uint64_t none, by_pasid[3], outside;
} tally;

static int tally_translate(void *ctx, uint16_t rid, uint32_t pasid, uint64_t addr, uint32_t len,
                           bool write, uint64_t *t_ps, uint64_t *hpa)
{
    tally *y = ctx;
    if (pasid == PCIE_NO_PASID) {
        y->none++;
    } else {
        y->by_pasid[pasid < 3 ? pasid : 0]++;
        uint64_t lo = vm_base(pasid - 1);
        y->outside += addr < lo || addr >= lo + PLATFORM_VM_SPAN;
    }
    return iommu_rc_translate(y->u, rid, pasid, addr, len, write, t_ps, hpa);
}

START_TEST(test_translation_by_pasid)
{
    ptfx f;
    siov_params(&f, "bidir", "2");
    ptfx_set(&f, "traffic.offered_gbps", "2");
    paths_parts pp = siov_build(&f);
    /* The ADIs' queue pairs carry PASIDs 1 and 2 (QPASID, as the VDCM wrote it). */
    unsigned h = (unsigned)sim_params_uint(f.r.p, "place.host_cores");
    for (unsigned v = 0; v < 2; v++) {
        uint64_t a = nic_reg_addr(pp.nic, NIC_PF, NIC_REG_QPASID(h + v));
        ck_assert_uint_eq(nic_mmio_read(pp.nic, 0, a, 4), NIC_QPASID_ENABLE | (v + 1));
    }
    tally y = {.u = pp.pf->iommu};
    pcie_rc_set_translate(pp.pf->rc, tally_translate, &y);
    ptfx_run(&f, SETUP_US, 200);
    /* Both VMs sent and received, each through its own PASID, within its own memory. */
    ck_assert_double_gt(ptfx_stat(&f, "net.delivered"), 100);
    ck_assert_uint_gt(y.by_pasid[1], 100);
    ck_assert_uint_gt(y.by_pasid[2], 100);
    ck_assert_uint_eq(y.by_pasid[0], 0);
    ck_assert_uint_eq(y.outside, 0);
    ck_assert_uint_eq(y.none, 0); /* no DMA without a PASID: the host drives no queue */
    /* Through the PASID cache, after the entries were read at the first requests. */
    ck_assert_double_gt(ptfx_stat(&f, "iommu.pasid_hits"), 100);
    ck_assert_double_eq(ptfx_stat(&f, "iommu.faults_total"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "rc.unsupported_requests"), 0);
    ck_assert_uint_eq(iommu_faults_total(pp.pf->iommu), 0);
    siov_free(&f);
}
END_TEST

/* ---------------------------------------------------------------- isolation */

/* Writes the IOMMU lets through stamp their bytes at the host address (the NIC moves no
 * payload bytes itself, so a write that got through must leave a mark). */
typedef struct stamper {
    iommu *u;
    mem_phys *pm;
    uint64_t stamped;
} stamper;

static int stamp_translate(void *ctx, uint16_t rid, uint32_t pasid, uint64_t addr, uint32_t len,
                           bool write, uint64_t *t_ps, uint64_t *hpa)
{
    stamper *s = ctx;
    int rc = iommu_rc_translate(s->u, rid, pasid, addr, len, write, t_ps, hpa);
    if (rc == 0 && write) {
        mem_phys_fill(s->pm, *hpa, STAMP, len);
        s->stamped++;
    }
    return rc;
}

/* VM 0's driver gives its ADI's second queue pair (the VDCM passes ring addresses on
 * from CONFIG_VSI_QUEUES) receive buffers in VM 1's memory: the NIC's writes carry PASID
 * 1, whose domain maps only VM 0's memory: blocked, each a fault recorded with PASID 1,
 * and VM 1's memory keeps its bytes. Its buffers in its own memory are written (the
 * stamp works). */
START_TEST(test_adi_cannot_reach_another_vm)
{
    ptfx f;
    siov_params(&f, "stream_tx", "2");
    ptfx_set(&f, "io.queues", "2");
    paths_parts pp = siov_build(&f);
    mem_phys *pm = pp.pf->pm;
    stamper s = {.u = pp.pf->iommu, .pm = pm};
    pcie_rc_set_translate(pp.pf->rc, stamp_translate, &s);
    unsigned h = (unsigned)sim_params_uint(f.r.p, "place.host_cores");
    unsigned evil_q = h + 1; /* VM 0's queue pair 1 */
    uint32_t entries = nic_caps_of(f.r.p).ring_entries;
    /* The victim's memory: a secret. */
    const uint64_t secret_bytes = 1u << 20;
    for (uint64_t a = 0; a < secret_bytes; a += 8)
        mem_phys_write_u64(pm, vm_base(1) + a, 0x5ec2e7000000ull ^ a);
    uint64_t fp = mem_phys_hash(pm, vm_base(1), secret_bytes);
    /* Rings in VM 0's memory past its drivers' own; descriptors 0..7 point into VM 1's
     * memory, 8..15 at VM 0's own. */
    uint64_t own = vm_base(0) + 2 * nic_drvq_mem_bytes(f.r.p, NIC_DRV_VF);
    nic_ring rx = {.base_addr = own, .entries = entries};
    rx.desc = calloc(entries, sizeof *rx.desc);
    for (unsigned i = 0; i < entries; i++)
        rx.desc[i] = (nic_desc){.buf_addr = i < 8 ? vm_base(1) + i * 4096ull
                                                  : own + 0x10000 + i * 2048ull,
                                .wb_ps = NIC_NOT_DONE};
    ck_assert_int_eq(nic_queue_attach(pp.nic, NIC_PF, evil_q, NULL, &rx), 0);
    uint64_t now = sim_now_ps(f.r.k);
    nic_mmio_write(pp.nic, now, nic_reg_addr(pp.nic, NIC_PF, NIC_REG_RDT(evil_q)), 4, 16);
    /* Sixteen frames to VM 0's address in flows RSS gives its pool's second queue. */
    uint64_t mac = pp.io->lane[0].mac;
    for (unsigned i = 0; i < 16; i++) {
        nic_pkt p = {.dst_mac = mac, .src_mac = 0x02000000beefull, .len_bytes = 64,
                     .flow = 2 * i + 1};
        nic_wire_rx(pp.nic, &p, now + (i + 1) * SIM_PS_PER_US);
    }
    rig_run_until(&f.r, now + 100 * SIM_PS_PER_US);
    nic_settle(pp.nic, sim_now_ps(f.r.k));
    /* Nothing reached the victim; the attacker's own buffers were written. */
    ck_assert_uint_eq(mem_phys_hash(pm, vm_base(1), secret_bytes), fp);
    ck_assert_uint_gt(s.stamped, 0);
    uint8_t b = 0;
    mem_phys_read(pm, own + 0x10000 + 8 * 2048ull, &b, 1);
    ck_assert_uint_eq(b, STAMP);
    /* Each blocked write a fault with the ADI's PASID. */
    iommu *u = pp.pf->iommu;
    ck_assert_uint_ge(iommu_faults_total(u), 8);
    ck_assert_uint_gt(iommu_faults_recorded(u), 0);
    for (size_t i = 0; i < iommu_faults_recorded(u); i++) {
        const iommu_fault *x = iommu_fault_get(u, i);
        ck_assert_uint_eq(x->rid, nic_fn_rid(pp.nic, NIC_PF));
        ck_assert(x->pasid_present);
        ck_assert_uint_eq(x->pasid, 1);
        ck_assert(x->write);
        ck_assert_uint_ge(x->addr, vm_base(1));
        ck_assert_uint_lt(x->addr, vm_base(1) + 8 * 4096ull);
    }
    siov_free(&f);
    free(rx.desc);
}
END_TEST

/* ---------------------------------------------------------------- exits */

/* Set-up: the guest's probe of its ADI's configuration space and its driver's virtchnl
 * requests exit, each access one exit (the VDCM's emulation after it, host cycles on
 * the vCPU); traffic: no exit for a packet (doorbells are stores to the PF's registers
 * mapped into the guest, interrupts are posted), only the timer's and the halts'. */
START_TEST(test_exits_only_on_slow_path)
{
    ptfx f;
    siov_params(&f, "stream_tx", "1");
    ptfx_set(&f, "noise.cost_sigma", "0");
    /* As KVM delivers an assigned device's interrupts on a platform that posts them
     * (with exits instead, each interrupt would exit as a VF's does). */
    ptfx_set(&f, "hv.irq_delivery", "posted");
    ptfx_build(&f);
    double req = ptfx_stat(&f, "siov.virtchnl_requests");
    double acc = ptfx_stat(&f, "siov.vdcm_accesses");
    ck_assert_double_eq(req, vdcm_init_requests());
    ck_assert_double_eq(acc, req * VDCM_ACCESSES_PER_REQUEST);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.mmio_user"), acc);
    double cfg = ptfx_stat(&f, "hv.exits.config");
    ck_assert_double_gt(cfg, 24);
    ck_assert_double_eq(cfg, ptfx_stat(&f, "net.cfg_passed") + ptfx_stat(&f, "net.cfg_emulated") +
                                 ptfx_stat(&f, "net.cfg_discarded"));
    ck_assert_double_eq(ptfx_stat(&f, "cpu.host_cycles"),
                        acc * (double)sim_params_uint(f.r.p, "siov.vdcm_access_cycles"));
    ptfx_run(&f, SETUP_US, 200);
    ck_assert_double_gt(ptfx_stat(&f, "net.sent"), 100);
    ptfx_assert_no_packet_exits(&f);
    ck_assert_double_eq(ptfx_stat(&f, "siov.vdcm_accesses"), 0);
    ck_assert_double_gt(ptfx_stat(&f, "hv.irqs_posted"), 0);
    ptfx_free(&f);
}
END_TEST

/* ---------------------------------------------------------------- throughput, poll mode */

static double mpps(const char *path, const char *bytes, const char *driver)
{
    ptfx f;
    ptfx_params(&f, path, "stream_tx");
    ptfx_set(&f, "iommu.scalable", "true");
    ptfx_set(&f, "nic.pf_queues", "8");
    ptfx_set(&f, "traffic.packet_bytes", bytes);
    ptfx_set(&f, "guest.driver", driver);
    ptfx_build(&f);
    ptfx_run(&f, SETUP_US, 500);
    double x = ptfx_stat(&f, "net.sent");
    ptfx_free(&f);
    return x;
}

/* HD-IOV: "similar performance as SR-IOV": the same stages, driver and DMA; a PASID's
 * prefix on every request and its PASID-cache look-ups are all that differ. */
START_TEST(test_throughput_close_to_sriov)
{
    static const char *const sizes[] = {"64", "1518"};
    for (unsigned i = 0; i < 2; i++) {
        double sr = mpps("sriov", sizes[i], "kernel"), si = mpps("siov", sizes[i], "kernel");
        ck_assert_msg(fabs(si / sr - 1) < 0.05, "%s B: siov %g vs sriov %g frames", sizes[i],
                      si, sr);
    }
}
END_TEST

/* More ADIs than the PF has queue pairs (8), than its MSI-X table has vectors (63) and
 * than the device may have VFs (64): the VDCM takes queue pairs from the pool and binds
 * each to its own entry of the Interrupt Message Store, whose message the host
 * programmed (the ADI's own, unmasked), and no interrupt is held back or lost: every VM's
 * request-response keeps going. */
START_TEST(test_ims_more_adis_than_vfs)
{
    ptfx f;
    siov_params(&f, "rr", "70");
    ptfx_set(&f, "cpu.cores", "72");
    ptfx_set(&f, "traffic.packet_bytes", "64");
    paths_parts pp = siov_build(&f);
    unsigned h = (unsigned)sim_params_uint(f.r.p, "place.host_cores");
    ck_assert_uint_gt(70, nic_max_vfs(pp.nic));
    ck_assert_uint_eq(nic_fn_queues(pp.nic, NIC_PF), h + 70);
    ptfx_run(&f, SETUP_US, 300);
    uint64_t first_addr = 0;
    for (unsigned v = 0; v < 70; v++) {
        unsigned q = h + v;
        ck_assert_uint_eq(nic_mmio_read(pp.nic, 0, nic_reg_addr(pp.nic, NIC_PF, NIC_REG_QIMS(q)), 4),
                          NIC_QIMS_ENABLE | v);
        ck_assert_uint_eq(nic_queue_vector(pp.nic, NIC_PF, q), NIC_PF_MSIX_VECTORS + v);
        uint64_t addr = nic_mmio_read(pp.nic, 0,
                                      nic_reg_addr(pp.nic, NIC_PF, NIC_REG_IMS(v, NIC_IMS_ADDR)), 4);
        uint64_t ctrl = nic_mmio_read(pp.nic, 0,
                                      nic_reg_addr(pp.nic, NIC_PF, NIC_REG_IMS(v, NIC_IMS_CTRL)), 4);
        ck_assert_uint_eq(addr >> 20, PCIE_MSI_BASE >> 20); /* a message to the MSI window */
        ck_assert_uint_eq(ctrl & 1, 0);                     /* unmasked */
        if (v == 0)
            first_addr = addr;
        else
            ck_assert_uint_ne(addr, first_addr); /* each its own remapping entry */
    }
    ck_assert_double_eq(ptfx_stat(&f, "nic.msi_masked"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "iommu.faults_total"), 0);
    ck_assert_double_gt(ptfx_stat(&f, "net.irqs"), 70 * 5);
    ck_assert_double_gt(ptfx_stat(&f, "net.delivered"), 70 * 10);
    siov_free(&f);
}
END_TEST

/* A DPDK application on the ADI: no interrupt, no exit, its core busy. */
START_TEST(test_poll_mode)
{
    ptfx f;
    siov_params(&f, "bidir", "1");
    ptfx_set(&f, "guest.driver", "poll");
    ptfx_build(&f);
    ptfx_run(&f, SETUP_US, 200);
    ck_assert_double_gt(ptfx_stat(&f, "net.sent"), 100);
    ck_assert_double_gt(ptfx_stat(&f, "net.delivered"), 100);
    ck_assert_double_eq(ptfx_stat(&f, "net.irqs"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.mmio_user"), 0);
    ck_assert_double_gt(ptfx_stat(&f, "iommu.pasid_hits"), 0);
    /* The DPDK application's core spins: busy all the time, whatever it finds. */
    ck_assert_double_eq(ptfx_stat(&f, "vm_cpu_util"), 1);
    ptfx_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("paths_siov");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_translation_by_pasid);
    tcase_add_test(tc, test_adi_cannot_reach_another_vm);
    tcase_add_test(tc, test_exits_only_on_slow_path);
    tcase_add_test(tc, test_throughput_close_to_sriov);
    tcase_add_test(tc, test_ims_more_adis_than_vfs);
    tcase_add_test(tc, test_poll_mode);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
