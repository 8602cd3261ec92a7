/* Host models: cores as reservations with cycles attributed to who spent them, the
 * hypervisor's exits and interrupt delivery, the virtual switch. */
#include <check.h>
#include <stdlib.h>

#include "host/cpu.h"
#include "host/hv.h"
#include "host/vswitch.h"

static sim_params *params(void)
{
    sim_params *p = sim_params_create();
    cpu_register_params(p);
    hv_register_params(p);
    vswitch_register_params(p);
    sim_err e;
    ck_assert(sim_params_set(p, "cpu.ghz", "2", "t", &e) == 0);
    ck_assert(sim_params_set(p, "cpu.cores", "2", "t", &e) == 0);
    return p;
}

START_TEST(test_core_reservation)
{
    sim_params *p = params();
    sim_stats *s = sim_stats_create();
    cpu *c = cpu_create(p, s);
    /* 2 GHz: 1000 cycles = 500 ns. Work queues on a busy core, not on the other. */
    ck_assert_uint_eq(cpu_run(c, 0, 0, 1000, CPU_GUEST), 500000);
    ck_assert_uint_eq(cpu_run(c, 0, 100000, 1000, CPU_HOST), 1000000);
    ck_assert_uint_eq(cpu_run(c, 1, 100000, 1000, CPU_HOST), 600000);
    ck_assert_uint_eq(cpu_cycles(c, CPU_GUEST), 1000);
    ck_assert_uint_eq(cpu_cycles(c, CPU_HOST), 2000);
    double util;
    sim_stats_start(s, 0);
    cpu_run(c, 0, 2000000, 2000, CPU_GUEST);
    sim_stats_end(s, 4000000);
    ck_assert(sim_stats_get(s, "cpu.core0.util", &util));
    ck_assert_double_eq_tol(util, 0.25, 1e-9);
    cpu_destroy(c);
    sim_stats_destroy(s);
    sim_params_destroy(p);
}
END_TEST

/* A saturated core caps throughput: packets of 2000 cycles arriving every 500 ns on
 * a 2 GHz core (one per 1000 ns of capacity) finish at the core's rate, not the
 * arrival rate. */
START_TEST(test_saturated_core_caps_rate)
{
    sim_params *p = params();
    sim_stats *s = sim_stats_create();
    cpu *c = cpu_create(p, s);
    uint64_t done = 0;
    for (int i = 0; i < 1000; i++)
        done = cpu_run(c, 0, (uint64_t)i * 500000, 2000, CPU_GUEST);
    ck_assert_uint_eq(done, 1000ull * 1000000);
    cpu_destroy(c);
    sim_stats_destroy(s);
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_exits_and_interrupts)
{
    sim_params *p = params();
    sim_stats *s = sim_stats_create();
    cpu *c = cpu_create(p, s);
    hv *h = hv_create(p, s, c);
    uint64_t t = hv_exit(h, 0, 0, HV_EXIT_MMIO_USER);
    ck_assert_uint_eq(t, cpu_cycles_to_ps(c, 6732));
    ck_assert_uint_eq(hv_exits(h, HV_EXIT_MMIO_USER), 1);
    ck_assert_uint_eq(cpu_cycles(c, CPU_HYPERVISOR), 6732);
    /* Exit-based delivery: an external-interrupt exit, later an EOI exit. */
    uint64_t h0 = hv_deliver_irq(h, 1, 0, false);
    ck_assert_uint_eq(h0, cpu_cycles_to_ps(c, 2565));
    hv_eoi(h, 1, h0, false);
    ck_assert_uint_eq(hv_exits(h, HV_EXIT_EXTINT), 1);
    ck_assert_uint_eq(hv_exits(h, HV_EXIT_EOI), 1);
    /* Posted: no exit at all, the handler starts at once. */
    ck_assert_uint_eq(hv_deliver_irq(h, 1, 5000000, true), 5000000);
    ck_assert_uint_eq(hv_eoi(h, 1, 5000000, true), 5000000);
    ck_assert_uint_eq(hv_exits_total(h), 3);
    double posted;
    ck_assert(sim_stats_get(s, "hv.irqs_posted", &posted));
    ck_assert_double_eq(posted, 1);
    hv_destroy(h);
    cpu_destroy(c);
    sim_stats_destroy(s);
    sim_params_destroy(p);
}
END_TEST

/* Interrupt work preempts thread work booked ahead: it starts when it arrives, and
 * the thread work booked after it comes later by its length. */
START_TEST(test_urgent_work_preempts)
{
    sim_params *p = params();
    sim_stats *s = sim_stats_create();
    cpu *c = cpu_create(p, s);
    /* A thread books 10 us of work from 0 (2 GHz: 20000 cycles). */
    ck_assert_uint_eq(cpu_run(c, 0, 0, 20000, CPU_GUEST), 10000000);
    /* An interrupt at 2 us runs at once; two back to back queue behind each other. */
    ck_assert_uint_eq(cpu_run_urgent(c, 0, 2000000, 1000, CPU_HYPERVISOR), 2500000);
    ck_assert_uint_eq(cpu_run_urgent(c, 0, 2000000, 1000, CPU_HYPERVISOR), 3000000);
    /* Thread work booked now comes after the 10 us plus what the interrupts took. */
    ck_assert_uint_eq(cpu_run(c, 0, 0, 2000, CPU_GUEST), 12000000);
    ck_assert_uint_eq(cpu_cycles(c, CPU_HYPERVISOR), 2000);
    /* An exit in interrupt context preempts likewise; delivery and EOI do. */
    hv *h = hv_create(p, s, c);
    uint64_t t = hv_exit_urgent(h, 0, 4000000, HV_EXIT_MMIO_USER);
    ck_assert_uint_eq(t, 4000000 + cpu_cycles_to_ps(c, 6732));
    ck_assert_uint_eq(hv_deliver_irq(h, 0, 20000000, false), 20000000 + cpu_cycles_to_ps(c, 2565));
    hv_destroy(h);
    cpu_destroy(c);
    sim_stats_destroy(s);
    sim_params_destroy(p);
}
END_TEST

/* Interrupt work booked ahead of the clock, for a later time (an interrupt a thread
 * raises when its booked-ahead work gets there), leaves the time before it to
 * interrupt work of an earlier time booked after it; what does not fit before it comes
 * after it. */
START_TEST(test_urgent_work_fills_the_time_before_later_urgent_work)
{
    sim_params *p = params();
    sim_stats *s = sim_stats_create();
    cpu *c = cpu_create(p, s);
    /* An interrupt's work booked for 200 us, 1 us long (2 GHz: 2000 cycles). */
    ck_assert_uint_eq(cpu_run_urgent(c, 0, 200000000, 2000, CPU_GUEST), 201000000);
    /* Booked after it, interrupts at 10 us and 10.5 us run at their time, one after the
     * other, not after 201 us. */
    ck_assert_uint_eq(cpu_run_urgent(c, 0, 10000000, 2000, CPU_GUEST), 11000000);
    ck_assert_uint_eq(cpu_run_urgent(c, 0, 10500000, 2000, CPU_GUEST), 12000000);
    /* One at 199.5 us that does not fit before 200 us runs after the one booked there. */
    ck_assert_uint_eq(cpu_run_urgent(c, 0, 199500000, 2000, CPU_GUEST), 202000000);
    cpu_destroy(c);
    sim_stats_destroy(s);
    sim_params_destroy(p);
}
END_TEST

/* The core works 1,000 cycles from *t, then idles idle_ns and is woken: the latency
 * before the woken thread runs. */
static uint64_t wake_after(cpu *c, uint64_t *t, double idle_ns)
{
    uint64_t end = cpu_run(c, 0, *t, 1000, CPU_GUEST);
    *t = end + (uint64_t)(idle_ns * 1000);
    return cpu_wake_ps(c, 0, *t);
}

/* The menu governor over intel_idle's Broadwell states: with no history it predicts a
 * tick (4 ms) and picks C6 (exit 133 us); a core idle 25 us at a time ends up in C1E
 * (residency 20 us, exit 10 us) once the running average has followed the typical
 * interval there, 5 us at a time in C1 (2 us), 150 us in C3 (40 us), 1 ms in C6; an
 * irregular history falls back on the running average; cpuidle.deepest caps it. */
START_TEST(test_idle_states)
{
    sim_params *p = params();
    sim_err e;
    ck_assert(sim_params_set(p, "cpuidle.deepest", "C6", "t", &e) == 0);
    sim_stats *s = sim_stats_create();
    cpu *c = cpu_create(p, s);
    uint64_t t = 0;
    ck_assert_uint_eq(wake_after(c, &t, 10000), 133000000);
    const struct {
        double idle_ns;
        uint64_t exit_ps;
    } steady[] = {{25000, 10000000}, {5000, 2000000}, {150000, 40000000}, {1000000, 133000000}};
    for (unsigned k = 0; k < 4; k++) {
        uint64_t got = 0;
        for (int i = 0; i < 24; i++)
            got = wake_after(c, &t, steady[k].idle_ns);
        ck_assert_msg(got == steady[k].exit_ps, "%g ns idle: exit %llu ps", steady[k].idle_ns,
                      (unsigned long long)got);
    }
    double entries = 0, v;
    const char *states[] = {"cpuidle.C1", "cpuidle.C1E", "cpuidle.C3", "cpuidle.C6"};
    for (int i = 0; i < 4; i++) {
        ck_assert(sim_stats_get(s, states[i], &v));
        ck_assert(v > 0);
        entries += v;
    }
    ck_assert_double_eq(entries, 1 + 4 * 24);
    /* 5 us and 1 ms alternating: the spread is too wide, so get_typical_interval drops
     * the longest periods and finds the short ones' 5 us: C1. */
    uint64_t got = 0;
    for (int i = 0; i < 16; i++)
        got = wake_after(c, &t, i % 2 ? 5000 : 1000000);
    ck_assert_uint_eq(got, 2000000);
    cpu_destroy(c);
    sim_stats_destroy(s);

    ck_assert(sim_params_set(p, "cpuidle.deepest", "C1", "t", &e) == 0);
    s = sim_stats_create();
    c = cpu_create(p, s);
    t = 0;
    for (int i = 0; i < 9; i++)
        ck_assert_uint_eq(wake_after(c, &t, 1000000), 2000000);
    cpu_destroy(c);
    sim_stats_destroy(s);
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_copy_and_wakeup_costs)
{
    sim_params *p = params();
    sim_err e;
    ck_assert(sim_params_set(p, "cpu.copy_bytes_per_cycle", "8", "t", &e) == 0);
    ck_assert(sim_params_set(p, "cpu.copy_setup_cycles", "60", "t", &e) == 0);
    sim_stats *s = sim_stats_create();
    cpu *c = cpu_create(p, s);
    ck_assert_uint_eq(cpu_copy_cycles(c, 1514), 60 + 189);
    ck_assert_uint_eq(cpu_copy_cycles(c, 0), 60);
    ck_assert_uint_eq(cpu_wakeup_cycles(c), 2000);
    /* A core that runs something has no idle state to leave. */
    uint64_t end = cpu_run(c, 0, 0, 1000, CPU_GUEST);
    ck_assert_uint_eq(cpu_wake_ps(c, 0, end / 2), 0);
    ck_assert_uint_eq(cpu_wake_ps(c, 0, end), 0);
    ck_assert_double_eq(cpu_ghz(c), 2.0);
    hv *h = hv_create(p, s, c);
    ck_assert(!hv_posted(h));
    hv_destroy(h);
    ck_assert(sim_params_set(p, "hv.irq_delivery", "posted", "t", &e) == 0);
    sim_stats *s2 = sim_stats_create();
    h = hv_create(p, s2, c);
    ck_assert(hv_posted(h));
    hv_destroy(h);
    sim_stats_destroy(s2);
    cpu_destroy(c);
    sim_stats_destroy(s);
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_vswitch_learning)
{
    sim_params *p = params();
    sim_stats *s = sim_stats_create();
    vswitch *v = vswitch_create(p, s, "vsw", 4);
    const uint8_t a[6] = {2, 0, 0, 0, 0, 1}, b[6] = {2, 0, 0, 0, 0, 2};
    const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    unsigned out[4];
    /* b unknown: flooded to the other three ports. */
    ck_assert_uint_eq(vswitch_forward(v, 0, a, b, out, 4), 3);
    ck_assert_uint_eq(out[0], 1);
    /* b answers from port 2: a is known, one port. */
    ck_assert_uint_eq(vswitch_forward(v, 2, b, a, out, 4), 1);
    ck_assert_uint_eq(out[0], 0);
    ck_assert_uint_eq(vswitch_forward(v, 0, a, b, out, 4), 1);
    ck_assert_uint_eq(out[0], 2);
    /* Broadcast floods even when everything is known. */
    ck_assert_uint_eq(vswitch_forward(v, 0, a, bcast, out, 4), 3);
    /* A frame for the port it came from is dropped. */
    ck_assert_uint_eq(vswitch_forward(v, 2, a, b, out, 4), 0); /* a moved to port 2 */
    double learned;
    ck_assert(sim_stats_get(s, "vsw.learned", &learned));
    ck_assert_double_eq(learned, 3);
    /* Taught without a frame: c behind port 3 gets unicast at once. */
    const uint8_t c3[6] = {2, 0, 0, 0, 0, 3};
    vswitch_learn(v, 3, c3);
    ck_assert_uint_eq(vswitch_forward(v, 0, a, c3, out, 4), 1);
    ck_assert_uint_eq(out[0], 3);
    ck_assert_uint_eq(vswitch_ports(v), 4);
    vswitch_destroy(v);
    sim_stats_destroy(s);
    sim_params_destroy(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("host");
    TCase *tc = tcase_create("host");
    tcase_add_test(tc, test_core_reservation);
    tcase_add_test(tc, test_saturated_core_caps_rate);
    tcase_add_test(tc, test_exits_and_interrupts);
    tcase_add_test(tc, test_urgent_work_preempts);
    tcase_add_test(tc, test_urgent_work_fills_the_time_before_later_urgent_work);
    tcase_add_test(tc, test_copy_and_wakeup_costs);
    tcase_add_test(tc, test_idle_states);
    tcase_add_test(tc, test_vswitch_learning);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
