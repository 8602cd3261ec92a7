/* Where a VM's device interrupts land (io.irq_affinity) and what a misdirected one
 * costs: with exit-based delivery, an interrupt whose remapping entry names a core other
 * than its vCPU's runs the host's handler there (hv.irq_forward_cycles, or that core's
 * vCPU's external-interrupt exit) and an IPI (hv.ipi_cycles) whose exit on the vCPU's
 * core injects it; posted interrupts reach the vCPU wherever the entry's destination
 * would have pointed. */
#include <check.h>
#include <stdlib.h>

#include "tests/paths_fixture.h"

/* The hypervisor's costs, set by every point (the platform file's values). */
#define FORWARD 1265.0
#define IPI 3102.0
static const struct {
    const char *exits, *param, *cycles;
} exit_costs[] = {
    {"hv.exits.mmio_user", "hv.mmio_user_exit_cycles", "6732"},
    {"hv.exits.mmio_kernel", "hv.mmio_kernel_exit_cycles", "2565"},
    {"hv.exits.hypercall", "hv.hypercall_cycles", "1300"},
    {"hv.exits.extint", "hv.extint_exit_cycles", "2565"},
    {"hv.exits.eoi", "hv.eoi_exit_cycles", "1556"},
    {"hv.exits.ipi", "hv.ipi_cycles", "3102"},
    {"hv.exits.config", "hv.config_exit_cycles", "6732"},
    {"hv.exits.timer", "hv.timer_exit_cycles", "2565"},
    {"hv.exits.msr", "hv.msr_exit_cycles", "2565"},
};
#define N_EXIT_COSTS (sizeof exit_costs / sizeof *exit_costs)

/* Request-response, 64-byte frames, on ten cores: the host's core 0, VM i's vCPU on core
 * 1 + i. affinity NULL: the default. The vCPUs run (an interrupt that wakes a halted
 * vCPU takes no exit, tests/test_halt.c). */
static void point(ptfx *f, const char *path, const char *delivery, const char *affinity,
                  const char *vms)
{
    ptfx_params(f, path, "rr");
    ptfx_set(f, "cpu.cores", "10");
    ptfx_set(f, "place.host_cores", "1");
    ptfx_set(f, "traffic.vms", vms);
    ptfx_set(f, "hv.irq_delivery", delivery);
    if (affinity)
        ptfx_set(f, "io.irq_affinity", affinity);
    for (unsigned r = 0; r < N_EXIT_COSTS; r++)
        ptfx_set(f, exit_costs[r].param, exit_costs[r].cycles);
    ptfx_set(f, "hv.irq_forward_cycles", "1265");
    /* Cycles are counted exactly below: every piece of work takes its cycles. */
    ptfx_set(f, "noise.cost_sigma", "0");
    ptfx_set(f, "hv.vcpu_halt", "false");
    ptfx_build(f);
    ptfx_run(f, 200, 1000);
}

/* The hypervisor's cycles that are not its exits' (every exit costs its parameter). */
static double hv_cycles_beyond_exits(const ptfx *f)
{
    double c = ptfx_stat(f, "cpu.hypervisor_cycles");
    for (unsigned r = 0; r < N_EXIT_COSTS; r++)
        c -= ptfx_stat(f, exit_costs[r].exits) * atof(exit_costs[r].cycles);
    return c;
}

/* io.irq_affinity = host: every interrupt lands on core 0. Each costs the host's handler
 * there and an IPI, and the vCPU still takes one external-interrupt exit for it (the
 * IPI's) and one EOI exit; nothing else changes. */
START_TEST(test_misdirected_costs_an_ipi)
{
    ptfx f;
    point(&f, "sriov", "exit", "host", "1");
    double irqs = ptfx_stat(&f, "net.irqs");
    ck_assert_double_gt(irqs, 50);
    ck_assert_double_eq(ptfx_stat(&f, "hv.irqs_misdirected"), irqs);
    ck_assert_double_eq(ptfx_stat(&f, "hv.ipis_sent"), irqs);
    /* On the vCPU's core: one exit per interrupt (and one per host tick there). */
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.extint"), irqs + ptfx_stat(&f, "tick.host_exits"));
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.eoi"), irqs + ptfx_stat(&f, "tick.guest"));
    /* Each costs the handler on the landing core and the IPI's sending part. */
    ck_assert_double_eq(hv_cycles_beyond_exits(&f), irqs * (FORWARD + IPI));
    ck_assert_double_gt(ptfx_stat(&f, "cpu.core0.busy_ps"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "ipis_per_sec"), ptfx_stat(&f, "irqs_per_sec"));
    ptfx_free(&f);

    /* Aimed at the vCPU: no forwarding, the same exits per interrupt, core 0 idle. */
    point(&f, "sriov", "exit", "vcpu", "1");
    irqs = ptfx_stat(&f, "net.irqs");
    ck_assert_double_gt(irqs, 50);
    ck_assert_double_eq(ptfx_stat(&f, "hv.irqs_misdirected"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "hv.ipis_sent"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.extint"), irqs + ptfx_stat(&f, "tick.host_exits"));
    ck_assert_double_eq(hv_cycles_beyond_exits(&f), 0);
    ck_assert_double_eq(ptfx_stat(&f, "cpu.core0.busy_ps"), 0);
    ptfx_free(&f);
}
END_TEST

/* Spread over the cores, two VMs (vCPUs on cores 1 and 2): VM 0's vector lands on core 0
 * (the host's), VM 1's on core 1, where VM 0's vCPU runs, which takes an external-
 * interrupt exit for it (its cycles hold the host's handler) before the IPI. */
START_TEST(test_misdirected_onto_another_vcpu_exits_it)
{
    ptfx f;
    point(&f, "sriov", "exit", "spread", "2");
    double irqs = ptfx_stat(&f, "net.irqs");
    double vm1 = ptfx_stat(&f, "nicdrv.vf1.irqs");
    ck_assert_double_gt(vm1, 50);
    ck_assert_double_eq(ptfx_stat(&f, "hv.ipis_sent"), irqs);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.extint"),
                        irqs + vm1 + ptfx_stat(&f, "tick.host_exits"));
    ck_assert_double_eq(hv_cycles_beyond_exits(&f), (irqs - vm1) * FORWARD + irqs * IPI);
    ptfx_free(&f);
}
END_TEST

/* Posted interrupts go to the vCPU's posted descriptor, whose notification destination is
 * the vCPU's core: the affinity changes nothing. */
START_TEST(test_posted_unaffected)
{
    static const char *const aff[] = {"vcpu", "host", "spread"};
    double hvc[3], exits[3], lat[3];
    for (unsigned i = 0; i < 3; i++) {
        ptfx f;
        point(&f, "sriov", "posted", aff[i], "1");
        ck_assert_double_gt(ptfx_stat(&f, "hv.irqs_posted"), 50);
        ck_assert_double_eq(ptfx_stat(&f, "hv.irqs_misdirected"), 0);
        ck_assert_double_eq(ptfx_stat(&f, "hv.ipis_sent"), 0);
        hvc[i] = ptfx_stat(&f, "cpu.hypervisor_cycles");
        exits[i] = ptfx_stat(&f, "exits_per_sec");
        lat[i] = ptfx_stat(&f, "latency_ns_mean");
        ptfx_free(&f);
    }
    for (unsigned i = 1; i < 3; i++) {
        ck_assert_double_eq(hvc[i], hvc[0]);
        ck_assert_double_eq(exits[i], exits[0]);
        ck_assert_double_eq(lat[i], lat[0]);
    }
}
END_TEST

/* The default (vcpu): every interrupt lands on its vCPU's core, no forwarding. auto
 * takes each hypervisor's own placement: a KVM guest's VFIO vectors where irqbalance
 * spreads them, so the one VM's lands on core 0, not its vCPU's; a Xen driver domain's
 * follow its vCPU. */
START_TEST(test_default_matches_description)
{
    ptfx f;
    point(&f, "sriov", "exit", NULL, "1");
    ck_assert_double_gt(ptfx_stat(&f, "net.irqs"), 50);
    ck_assert_double_eq(ptfx_stat(&f, "hv.irqs_misdirected"), 0);
    ptfx_free(&f);

    point(&f, "sriov", "exit", "auto", "1");
    double irqs = ptfx_stat(&f, "net.irqs");
    ck_assert_double_gt(irqs, 50);
    ck_assert_double_eq(ptfx_stat(&f, "hv.irqs_misdirected"), irqs);
    ptfx_free(&f);

    point(&f, "passthrough", "exit", "auto", "1");
    ck_assert_double_eq(ptfx_stat(&f, "hv.irqs_misdirected"), ptfx_stat(&f, "net.irqs"));
    ptfx_free(&f);

    point(&f, "devdomain", "exit", "auto", "1");
    ck_assert_double_gt(ptfx_stat(&f, "hv.irqs_injected"), 50);
    ck_assert_double_eq(ptfx_stat(&f, "hv.irqs_misdirected"), 0);
    ptfx_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("irqroute");
    TCase *tc = tcase_create("routing");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_misdirected_costs_an_ipi);
    tcase_add_test(tc, test_misdirected_onto_another_vcpu_exits_it);
    tcase_add_test(tc, test_posted_unaffected);
    tcase_add_test(tc, test_default_matches_description);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
