/* The busy CPUs' timer ticks (host/vtick.h) on the paths workload: each busy vCPU
 * takes window x HZ ticks, each with the exits its configuration says (timer expiry,
 * EOI, TSC-deadline re-arm), native threads take theirs without exits, and the ticks
 * are a fixed CPU cost per VM, so total CPU grows with the VMs at a constant load. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/paths_fixture.h"

#define WARM_US 2000.0

/* A paths point run for dur_us after the warm-up; the caller frees it. */
static void run_point(ptfx *f, const char *path, unsigned vms, double dur_us,
                      const char *const *set)
{
    char v[16];
    snprintf(v, sizeof v, "%u", vms);
    ptfx_params(f, path, "stream_tx");
    ptfx_set(f, "traffic.vms", v);
    ptfx_set(f, "traffic.packet_bytes", "1518");
    ptfx_set(f, "io.irq_affinity", "vcpu"); /* I/O interrupts exit their own vCPU only */
    /* The ticks of vCPUs that run: a halted guest's stopped tick is test_nohz_halted's. */
    ptfx_set(f, "guest.nohz_idle", "false");
    for (; set && set[0]; set += 2)
        ptfx_set(f, set[0], set[1]);
    ptfx_build(f);
    ptfx_run(f, WARM_US, dur_us);
}

/* Ticks in the window: every vCPU's guest ticks, W x HZ each; their phases are spread
 * over a period, so the sum is within one of N x W x HZ. */
static void check_tick_count(const char *hz, double per_s)
{
    const char *set[] = {"tick.guest_hz", hz, NULL};
    ptfx f;
    run_point(&f, "sriov", 4, 10000, set);
    double want = 4 * 0.010 * per_s, got = ptfx_stat(&f, "tick.guest");
    ck_assert_msg(fabs(got - want) <= 1, "HZ %s: %g guest ticks, want %g", hz, got, want);
    ptfx_free(&f);
}

START_TEST(test_ticks_per_window)
{
    check_tick_count("250", 250);
    check_tick_count("1000", 1000);
    check_tick_count("100", 100);
}
END_TEST

/* Exit-based delivery without APICv: per guest tick a timer exit, an EOI exit and a
 * TSC-deadline write exit; the host's tick on a vCPU's core an external-interrupt exit.
 * The I/O interrupts' exits (one injection and one EOI each) are the rest. */
START_TEST(test_exits_per_tick)
{
    ptfx f;
    /* Running vCPUs: a tick that wakes a halted vCPU takes no timer exit. No OS noise:
     * its detours take external-interrupt exits too (host/noise.h). */
    const char *set[] = {"hv.vcpu_halt", "false", "noise.detours", "false", NULL};
    run_point(&f, "sriov", 4, 10000, set);
    double ticks = ptfx_stat(&f, "tick.guest"), inj = ptfx_stat(&f, "hv.irqs_injected");
    ck_assert(ticks >= 9);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.timer"), ticks);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.msr"), ticks);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.eoi"), inj + ticks);
    double hx = ptfx_stat(&f, "tick.host_exits");
    ck_assert(hx >= 9 && hx <= ptfx_stat(&f, "tick.host"));
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.extint"), inj + hx);
    ptfx_free(&f);
}
END_TEST

/* A guest that stops its tick when it halts (guest.nohz_idle) takes no tick while halted:
 * vCPUs that halt between their frames take fewer ticks than with their tick kept, and
 * the ones not taken are counted as stopped. */
START_TEST(test_nohz_halted)
{
    double ticks[2], stopped[2];
    for (int nohz = 0; nohz < 2; nohz++) {
        const char *set[] = {"guest.nohz_idle", nohz ? "true" : "false", NULL};
        ptfx f;
        run_point(&f, "sriov", 4, 10000, set);
        ck_assert(ptfx_stat(&f, "halt.halts") > 100);
        ticks[nohz] = ptfx_stat(&f, "tick.guest");
        stopped[nohz] = ptfx_stat(&f, "tick.stopped");
        ptfx_free(&f);
    }
    ck_assert_msg(ticks[1] < ticks[0] && stopped[1] > stopped[0],
                  "ticks %g with the tick stopped at halts, %g without; stopped %g, %g",
                  ticks[1], ticks[0], stopped[1], stopped[0]);
}
END_TEST

/* With APICv and a posted timer only the re-arm exits. */
START_TEST(test_posted_timer_exits)
{
    const char *set[] = {"hv.irq_delivery", "posted", "tick.guest_timer", "posted", NULL};
    ptfx f;
    run_point(&f, "sriov", 4, 10000, set);
    double ticks = ptfx_stat(&f, "tick.guest");
    ck_assert(ticks >= 9);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.timer"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.eoi"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "hv.exits.msr"), ticks);
    ptfx_free(&f);
    /* KVM posts timer interrupts only with APICv. */
    ptfx_params(&f, "sriov", "stream_tx");
    ptfx_set(&f, "tick.guest_timer", "posted");
    sim_err e = {{0}};
    ck_assert_int_lt(systems_ops.check(f.r.p, &e), 0);
    ck_assert(strstr(e.msg, "tick.guest_timer"));
    ptfx_free(&f);
}
END_TEST

/* Native threads take their own kernel's tick: no guest ticks, no exits, and the
 * cycles count as the application's. */
START_TEST(test_native_ticks)
{
    ptfx f;
    run_point(&f, "native", 2, 10000, NULL);
    ck_assert_double_eq(ptfx_stat(&f, "tick.guest"), 0);
    ck_assert(ptfx_stat(&f, "tick.host") >= 4);
    ck_assert_double_eq(ptfx_stat(&f, "exits_per_sec"), 0);
    ck_assert_double_eq(ptfx_stat(&f, "cpu.host_cycles"), 0);
    ptfx_free(&f);
}
END_TEST

/* Cores' worth of work (every cycle run) over a window of dur_us at 2.2 GHz: what
 * cores_busy says when no vCPU spins. */
static double work_cores(const ptfx *f, double dur_us)
{
    double c = ptfx_stat(f, "cpu.guest_cycles") + ptfx_stat(f, "cpu.hypervisor_cycles") +
               ptfx_stat(f, "cpu.host_cycles");
    return c / (dur_us * 1e-6 * 2.2e9);
}

/* At a constant offered load, each VM adds its ticks: CPU per VM falls more slowly
 * than 1/VMs, and the CPU the ticks add grows with the VMs by about one VM's tick cost
 * each (its guest's ticks with their exits, the host's on its vCPU's core). Running
 * vCPUs (a tick that wakes a halted one costs a wake-up instead), counted by the work
 * they do: their idle loops spin, which cores_busy counts too. */
START_TEST(test_cpu_per_vm_has_fixed_part)
{
    const char *on[] = {"traffic.offered_gbps", "1", "cpu.cores", "40", "hv.vcpu_halt", "false",
                        NULL};
    const char *off[] = {"traffic.offered_gbps", "1", "cpu.cores", "40", "tick.guest_hz", "0",
                         "tick.host_hz", "0", "hv.vcpu_halt", "false", NULL};
    const unsigned vms[2] = {2, 16};
    double busy[2], per_vm[2], added[2];
    for (int i = 0; i < 2; i++) {
        ptfx f;
        run_point(&f, "sriov", vms[i], 20000, off);
        double base = work_cores(&f, 20000);
        ptfx_free(&f);
        run_point(&f, "sriov", vms[i], 20000, on);
        busy[i] = work_cores(&f, 20000);
        per_vm[i] = busy[i] / vms[i];
        added[i] = busy[i] - base;
        ptfx_free(&f);
    }
    ck_assert(busy[1] > busy[0]);
    ck_assert(per_vm[1] > per_vm[0] * vms[0] / vms[1]);
    double tick = 2565 + 1556 + 2000 + 2565, host = 2565 + 2000;
    double per_vm_cores = 250 * (tick + host) / 2.2e9;
    double want = per_vm_cores * (vms[1] - vms[0]), got = added[1] - added[0];
    ck_assert_msg(fabs(got - want) < 0.1 * want, "ticks add %g cores from %u to %u VMs, want %g",
                  got, vms[0], vms[1], want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tick");
    TCase *tc = tcase_create("tick");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_nohz_halted);
    tcase_add_test(tc, test_ticks_per_window);
    tcase_add_test(tc, test_exits_per_tick);
    tcase_add_test(tc, test_posted_timer_exits);
    tcase_add_test(tc, test_native_ticks);
    tcase_add_test(tc, test_cpu_per_vm_has_fixed_part);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
