/* Idle vCPUs halt (host/halt.h): the HLT exit, KVM's halt polling with its window grown
 * and shrunk as kvm_vcpu_halt does, the block and the wake-up (with the posted-interrupt
 * wake-up vector), checked on the module against its description; then on the paths
 * workload: CPU at low load against vCPUs that spin, and what the wake-up adds to a
 * round trip. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/cpu.h"
#include "host/halt.h"
#include "host/hv.h"
#include "tests/paths_fixture.h"

/* ---------------------------------------------------------------- the module */

/* At 2 GHz a cycle is 500 ps: the HLT exit (2,565 cycles) 1,282.5 ns, the scheduler's
 * wake-up 2,000 ns and 2,000 cycles (1,000 ns), the wake-up vector 1,500 cycles; a
 * vCPU's guest then switches to the woken thread (2,000 cycles, GUEST_WAKE_PS). */
#define NS 1000ull
#define HLT_PS 1282500ull
#define WAKE_PS (2000 * NS + 1000 * NS)
#define PI_PS 750000ull
#define GUEST_WAKE_PS (1000 * NS)

typedef struct hfx {
    sim_params *p;
    sim_stats *s;
    cpu *c;
    hv *v;
    halt *h;
} hfx;

static void hfx_init(hfx *f, const char *const *set)
{
    f->p = sim_params_create();
    cpu_register_params(f->p);
    hv_register_params(f->p);
    sim_err e;
    ck_assert(sim_params_set(f->p, "cpu.ghz", "2", "t", &e) == 0);
    ck_assert(sim_params_set(f->p, "cpu.cores", "2", "t", &e) == 0);
    /* The halt's own mechanics first; test_nohz_idle_tick adds the guest's tick. */
    ck_assert(sim_params_set(f->p, "guest.nohz_idle", "false", "t", &e) == 0);
    for (; set && set[0]; set += 2)
        ck_assert_msg(sim_params_set(f->p, set[0], set[1], "t", &e) == 0, "%s", e.msg);
    f->s = sim_stats_create();
    f->c = cpu_create(f->p, f->s);
    f->v = hv_create(f->p, f->s, f->c);
    f->h = halt_create(f->p, f->s, f->c, f->v, NULL);
    hv_set_halt(f->v, f->h);
    halt_add_vcpu(f->h, 0);
}

static void hfx_free(hfx *f)
{
    halt_destroy(f->h);
    hv_destroy(f->v);
    cpu_destroy(f->c);
    sim_stats_destroy(f->s);
    sim_params_destroy(f->p);
}

static double stat(const hfx *f, const char *name)
{
    double v = 0;
    ck_assert_msg(sim_stats_get(f->s, name, &v), "no stat %s", name);
    return v;
}

/* The vCPU runs 1000 cycles (500 ns) from t, then has nothing to do: returns when its
 * work ends, where its next halt starts. */
static uint64_t work(hfx *f, uint64_t t)
{
    return cpu_run(f->c, 0, t, 1000, CPU_GUEST);
}

/* An idle vCPU halts: a HLT exit when its work ends. Its window starts at 0, so the
 * first halt blocks and an interrupt wakes it with the scheduler's wake-up; the window
 * then grows to halt_poll_ns_grow_start, and an interrupt within it ends the next halt
 * while KVM polls, with no block and nothing more than the polling before it. */
START_TEST(test_idle_vcpu_halts_and_polls)
{
    hfx f;
    hfx_init(&f, NULL);
    uint64_t idle = work(&f, 0);
    ck_assert(!halt_idle(f.h, 0, idle));
    ck_assert(halt_idle(f.h, 0, idle + 1));
    ck_assert_uint_eq(halt_poll_window_ps(f.h, 0), 0);
    /* Without a window it sleeps once its HLT exit is handled. */
    ck_assert(halt_polls(f.h, 0, idle + HLT_PS) && !halt_polls(f.h, 0, idle + HLT_PS + 1));
    uint64_t t = 20000 * NS;
    uint64_t ready = halt_wake(f.h, 0, t, HALT_BY_IRQ);
    ck_assert_uint_eq(ready, t + WAKE_PS + GUEST_WAKE_PS);
    ck_assert_double_eq(stat(&f, "halt.halts"), 1);
    ck_assert_double_eq(stat(&f, "halt.blocks"), 1);
    ck_assert_double_eq(stat(&f, "hv.exits.hlt"), 1);
    ck_assert_double_eq(stat(&f, "halt.poll_ps"), 0);
    ck_assert_uint_eq(halt_poll_window_ps(f.h, 0), 10000 * NS);

    /* Running: an event for it costs nothing. */
    idle = work(&f, ready);
    ck_assert_uint_eq(halt_wake(f.h, 0, idle, HALT_BY_IRQ), idle);
    /* Halted again; an interrupt 5 us after its work ended, 3.7 us into the window.
     * Before it, the vCPU polls while the window lasts and would sleep after it (the
     * query books nothing). */
    uint64_t busy0 = cpu_core_busy_ps(f.c, 0);
    t = idle + 5000 * NS;
    ck_assert(!halt_polls(f.h, 0, idle) && halt_polls(f.h, 0, t));
    ck_assert(halt_polls(f.h, 0, idle + HLT_PS + 10000 * NS));
    ck_assert(!halt_polls(f.h, 0, idle + HLT_PS + 10000 * NS + 1));
    ck_assert_uint_eq(cpu_core_busy_ps(f.c, 0), busy0);
    ready = halt_wake(f.h, 0, t, HALT_BY_IRQ);
    /* Polling booked in whole cycles, then the guest's switch to the woken thread. */
    ck_assert(ready >= t + GUEST_WAKE_PS && ready - t - GUEST_WAKE_PS <= 500);
    ck_assert_double_eq(stat(&f, "halt.halts"), 2);
    ck_assert_double_eq(stat(&f, "halt.poll_ends"), 1);
    ck_assert_double_eq(stat(&f, "halt.blocks"), 1);
    double polled = t - (idle + HLT_PS);
    ck_assert_double_eq(stat(&f, "halt.poll_ps"), polled);
    /* The core was busy all along: the HLT exit, polling (hypervisor cycles), the
     * guest's switch. */
    ck_assert(fabs((double)(cpu_core_busy_ps(f.c, 0) - busy0) - (double)(ready - idle)) <= 500);
    /* A halt within the window leaves it. */
    ck_assert_uint_eq(halt_poll_window_ps(f.h, 0), 10000 * NS);
    hfx_free(&f);
}
END_TEST

/* A guest that stops its tick when it halts (guest.nohz_idle) writes its TSC deadline
 * before the HLT, and again when it wakes, before it switches to the woken thread: two
 * WRMSR exits (hv.msr_exit_cycles, 2,565: 1,282.5 ns at 2 GHz) per halt, one of them
 * on the way back. A wake-up by the guest's own tick restarts nothing. */
START_TEST(test_nohz_idle_tick)
{
    static const char *const set[] = {"guest.nohz_idle", "true", NULL};
    hfx f;
    hfx_init(&f, set);
    uint64_t idle = work(&f, 0);
    /* The HLT exit comes after the MSR exit: polling can start no earlier. */
    ck_assert(halt_polls(f.h, 0, idle + 2 * HLT_PS) && !halt_polls(f.h, 0, idle + 2 * HLT_PS + 1));
    uint64_t t = 20000 * NS;
    uint64_t ready = halt_wake(f.h, 0, t, HALT_BY_IRQ);
    ck_assert_uint_eq(ready, t + WAKE_PS + HLT_PS + GUEST_WAKE_PS);
    ck_assert_double_eq(stat(&f, "hv.exits.msr"), 2);
    ck_assert_double_eq(stat(&f, "hv.exits.hlt"), 1);
    /* Woken by its own tick: the idle loop goes on, the tick stays stopped. */
    idle = work(&f, ready);
    t = idle + 50000 * NS;
    ck_assert_uint_eq(halt_wake(f.h, 0, t, HALT_BY_TICK) - t, WAKE_PS);
    ck_assert_double_eq(stat(&f, "hv.exits.msr"), 3);
    hfx_free(&f);
}
END_TEST

/* The window grows after a halt that blocked for less than halt_poll_ns (times 2: 10,
 * 20, 40 us ... up to 200), and shrinks after one longer than halt_poll_ns (halved, then
 * 0 once below halt_poll_ns_grow_start; with a shrink of 0 at once), so a halt that
 * blocks with the whole 200 us polled shrinks it. */
START_TEST(test_window_grows_and_shrinks)
{
    hfx f;
    hfx_init(&f, NULL);
    uint64_t t = 0;
    uint64_t want[] = {10000, 20000, 40000, 80000, 160000, 200000, 100000};
    for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
        /* Each halt ends 20 us after its window does: it blocked, and for less than
         * 200 us but with the largest window. */
        uint64_t idle = work(&f, t);
        uint64_t w = halt_poll_window_ps(f.h, 0);
        t = halt_wake(f.h, 0, idle + HLT_PS + w + 20000 * NS, HALT_BY_IRQ);
        ck_assert_msg(halt_poll_window_ps(f.h, 0) == want[i] * NS, "halt %u: window %llu ns", i,
                      (unsigned long long)(halt_poll_window_ps(f.h, 0) / NS));
    }
    ck_assert_double_eq(stat(&f, "halt.blocks"), 7);
    /* Long halts (1 ms): 100 -> 50 -> 25 -> 12.5 -> 0 us. */
    uint64_t shrunk[] = {50000000, 25000000, 12500000, 0};
    for (unsigned i = 0; i < sizeof shrunk / sizeof shrunk[0]; i++) {
        uint64_t idle = work(&f, t);
        t = halt_wake(f.h, 0, idle + 1000000 * NS, HALT_BY_IRQ);
        ck_assert_uint_eq(halt_poll_window_ps(f.h, 0), shrunk[i]);
    }
    /* The whole window was polled before each block. */
    double polled = (10 + 20 + 40 + 80 + 160 + 200) + (100 + 50 + 25 + 12.5);
    ck_assert_double_eq_tol(stat(&f, "halt.poll_ps"), polled * 1e6, 1);
    hfx_free(&f);

    const char *reset[] = {"hv.halt_poll_ns_shrink", "0", NULL};
    hfx_init(&f, reset);
    t = 0;
    for (int i = 0; i < 3; i++) {
        uint64_t idle = work(&f, t);
        t = halt_wake(f.h, 0, idle + HLT_PS + halt_poll_window_ps(f.h, 0) + 20000 * NS,
                      HALT_BY_IRQ);
    }
    ck_assert_uint_eq(halt_poll_window_ps(f.h, 0), 40000 * NS);
    uint64_t idle = work(&f, t);
    halt_wake(f.h, 0, idle + 1000000 * NS, HALT_BY_IRQ);
    ck_assert_uint_eq(halt_poll_window_ps(f.h, 0), 0);
    hfx_free(&f);

    const char *never[] = {"hv.halt_poll_ns", "0", NULL};
    hfx_init(&f, never);
    idle = work(&f, 0);
    halt_wake(f.h, 0, idle + 20000 * NS, HALT_BY_IRQ);
    ck_assert_uint_eq(halt_poll_window_ps(f.h, 0), 0);
    ck_assert_double_eq(stat(&f, "halt.poll_ps"), 0);
    hfx_free(&f);
}
END_TEST

/* A posted interrupt for a blocked vCPU takes the wake-up vector: its handler's cycles
 * come before the scheduler's wake-up; injected by KVM (irqfd) it does not. An
 * interrupt delivered by the hypervisor to a halted vCPU wakes it with no exit. */
START_TEST(test_posted_interrupt_wakes_blocked_vcpu)
{
    hfx f;
    hfx_init(&f, NULL);
    uint64_t idle = work(&f, 0);
    uint64_t t = idle + 20000 * NS;
    ck_assert_uint_eq(halt_wake(f.h, 0, t, HALT_BY_PI), t + WAKE_PS + PI_PS + GUEST_WAKE_PS);
    ck_assert_double_eq(stat(&f, "halt.pi_wakeups"), 1);
    hfx_free(&f);

    hfx_init(&f, NULL);
    idle = work(&f, 0);
    t = idle + 20000 * NS;
    ck_assert_uint_eq(hv_deliver_irq(f.v, 0, t, false), t + WAKE_PS + GUEST_WAKE_PS);
    ck_assert_double_eq(stat(&f, "hv.exits.extint"), 0);
    ck_assert_double_eq(stat(&f, "hv.irqs_injected"), 1);
    ck_assert_double_eq(stat(&f, "halt.pi_wakeups"), 0);
    /* Running, the same interrupt exits. */
    uint64_t busy = t + WAKE_PS + GUEST_WAKE_PS;
    ck_assert_uint_eq(hv_deliver_irq(f.v, 0, busy, false), busy + HLT_PS);
    ck_assert_double_eq(stat(&f, "hv.exits.extint"), 1);
    hfx_free(&f);
}
END_TEST

/* A native thread blocks: no exit, no polling, the scheduler's wake-up. With halting
 * off nothing halts and a vCPU spins. */
START_TEST(test_thread_blocks_and_switch_off)
{
    hfx f;
    hfx_init(&f, NULL);
    halt_add_thread(f.h, 1);
    uint64_t idle = cpu_run(f.c, 1, 0, 1000, CPU_GUEST);
    uint64_t t = idle + 20000 * NS;
    ck_assert_uint_eq(halt_wake(f.h, 1, t, HALT_BY_IRQ), t + WAKE_PS);
    ck_assert_double_eq(stat(&f, "hv.exits.hlt"), 0);
    ck_assert_double_eq(stat(&f, "halt.blocks"), 1);
    ck_assert(!halt_spins(f.h, 0));
    hfx_free(&f);

    const char *off[] = {"hv.vcpu_halt", "false", NULL};
    hfx_init(&f, off);
    idle = work(&f, 0);
    ck_assert(!halt_idle(f.h, 0, idle + 20000 * NS));
    ck_assert_uint_eq(halt_wake(f.h, 0, idle + 20000 * NS, HALT_BY_PI), idle + 20000 * NS);
    ck_assert_double_eq(stat(&f, "halt.halts"), 0);
    ck_assert(halt_spins(f.h, 0) && !halt_spins(f.h, 1));
    hfx_free(&f);
}
END_TEST

/* ---------------------------------------------------------------- on the paths */

static void run_point(ptfx *f, const char *path, const char *pattern, double dur_us,
                      const char *const *set)
{
    ptfx_params(f, path, pattern);
    for (; set && set[0]; set += 2)
        ptfx_set(f, set[0], set[1]);
    ptfx_build(f);
    ptfx_run(f, 2000, dur_us);
}

/* At a low load (MTU frames 1.2 ms apart, longer than any poll window) an idle vCPU
 * blocks: its core is busy a few percent of the time, where a vCPU that never halts
 * keeps it busy all the time. The timer that sends each packet wakes it from a block
 * (SR-IOV's transmit completions wake it again). */
START_TEST(test_cpu_falls_at_low_load)
{
    const char *paths[] = {"sriov", "paravirt"};
    for (int i = 0; i < 2; i++) {
        const char *on[] = {"traffic.packet_bytes", "1518", "traffic.offered_gbps", "0.01", NULL};
        const char *off[] = {"traffic.packet_bytes", "1518", "traffic.offered_gbps", "0.01",
                             "hv.vcpu_halt", "false", NULL};
        ptfx f;
        run_point(&f, paths[i], "stream_tx", 20000, off);
        double util_off = ptfx_stat(&f, "vm_cpu_util"), busy_off = ptfx_stat(&f, "cores_busy");
        ptfx_free(&f);
        run_point(&f, paths[i], "stream_tx", 20000, on);
        double util_on = ptfx_stat(&f, "vm_cpu_util"), busy_on = ptfx_stat(&f, "cores_busy");
        double sent = ptfx_stat(&f, "net.sent"), blocks = ptfx_stat(&f, "halt.blocks");
        ck_assert(sent >= 15);
        ck_assert_msg(blocks >= sent - 1, "%s: %g blocks, %g packets", paths[i], blocks, sent);
        ck_assert_double_eq(ptfx_stat(&f, "hv.exits.hlt"), ptfx_stat(&f, "halt.halts"));
        ck_assert_double_eq_tol(util_off, 1.0, 1e-9);
        ck_assert_msg(util_on < 0.05, "%s: vCPU busy %g with halting", paths[i], util_on);
        ck_assert(busy_on < busy_off - 0.9);
        ptfx_free(&f);
    }
}
END_TEST

/* Request-response on paravirt with posted interrupts: with no poll window every
 * response's interrupt finds the vCPU blocked, and the round trip grows by about the host
 * scheduler's wake-up (C1's exit and cpu.wakeup_cycles at 2.2 GHz) and the guest's
 * restart of its tick and switch to its woken thread (cpu.wakeup_cycles) against a vCPU
 * that never halts; with KVM's window the vCPU polls through the wait and at most the
 * guest's part remains. */
START_TEST(test_rr_latency_rises_by_the_wakeup)
{
    /* Without the refill after a wake-up (noise.refill: a random cost on top). */
    const char *off[] = {"hv.irq_delivery", "posted", "hv.vcpu_halt", "false",
                         "noise.refill", "false", NULL};
    const char *nopoll[] = {"hv.irq_delivery", "posted", "hv.halt_poll_ns", "0",
                            "noise.refill", "false", NULL};
    const char *poll[] = {"hv.irq_delivery", "posted", "noise.refill", "false", NULL};
    double lat[3], blocks[3];
    const char *const *sets[3] = {off, nopoll, poll};
    for (int i = 0; i < 3; i++) {
        ptfx f;
        run_point(&f, "paravirt", "rr", 5000, sets[i]);
        lat[i] = ptfx_stat(&f, "latency_ns_mean");
        blocks[i] = ptfx_stat(&f, "halt.blocks");
        ck_assert(ptfx_stat(&f, "net.delivered") > 100);
        ptfx_free(&f);
    }
    /* The wake-ups shift when the host's interrupts and vhost run, and with them the
     * moderation's waits, so only most of a wake-up shows in the round trip. Back from
     * HLT the guest restarts its tick (guest.nohz_idle): a WRMSR exit, 2,565 cycles. */
    double wake_ns = 2000 + 2000 / 2.2, guest_ns = 2000 / 2.2 + 2565 / 2.2;
    ck_assert(blocks[1] > 100 && blocks[2] <= 2);
    ck_assert_msg(lat[1] - lat[0] > 0.6 * (wake_ns + guest_ns) &&
                      lat[1] - lat[0] < 1.1 * (wake_ns + guest_ns),
                  "no window: %g ns, never halting %g ns, want about + %g", lat[1], lat[0],
                  wake_ns + guest_ns);
    ck_assert_msg(lat[2] >= lat[0] && lat[2] - lat[0] < guest_ns + 0.1 * wake_ns,
                  "polling: %g ns, never halting %g ns, want at most + %g", lat[2], lat[0],
                  guest_ns);
}
END_TEST

/* With the platform's deep idle states (cpuidle.deepest = C6) and no KVM polling, a vCPU
 * that blocks 40 us at a time leaves its core in C1E once the governor has its history
 * (target residency 20 us): each wake-up pays C1E's 10 us exit instead of C1's 2 us.
 * With KVM's window the vCPU polls through the same waits and pays no exit. */
START_TEST(test_deep_idle_states)
{
    const char *nopoll[] = {"cpuidle.deepest", "C6", "hv.halt_poll_ns", "0", NULL};
    hfx f;
    hfx_init(&f, nopoll);
    uint64_t t = 0, ready = 0;
    for (int i = 0; i < 30; i++) {
        uint64_t idle = work(&f, t);
        t = idle + HLT_PS + 40000 * NS;
        ready = halt_wake(f.h, 0, t, HALT_BY_IRQ);
    }
    ck_assert_uint_eq(ready, t + 10000 * NS + 1000 * NS + GUEST_WAKE_PS);
    ck_assert(stat(&f, "halt.blocks") >= 25);
    hfx_free(&f);

    const char *poll[] = {"cpuidle.deepest", "C6", NULL};
    hfx_init(&f, poll);
    t = 0;
    for (int i = 0; i < 30; i++) {
        uint64_t idle = work(&f, t);
        t = idle + HLT_PS + 40000 * NS;
        ready = halt_wake(f.h, 0, t, HALT_BY_IRQ);
    }
    /* Polled through (whole cycles: up to one more), then the guest's switch. */
    ck_assert(ready >= t + GUEST_WAKE_PS && ready - t - GUEST_WAKE_PS <= 500);
    /* (The window grows 10, 20, 40, 80 us over the first blocks.) */
    ck_assert_msg(stat(&f, "halt.poll_ends") >= 20, "%g poll ends, %g blocks",
                  stat(&f, "halt.poll_ends"), stat(&f, "halt.blocks"));
    hfx_free(&f);
}
END_TEST

/* With the guest's cpuidle-haltpoll: the first idle period has no window and halts at
 * once (and KVM does not poll: the guest turned it off), then the window starts at
 * guest.halt_poll_grow_start (50 us); an event within it ends the idleness while the
 * guest polls, with no HLT exit, the core busy with the guest's cycles; one after it
 * finds the vCPU halted since the window's end, and a halt longer than the window (and
 * under 200 us) grows it, a 1 ms halt shrinks it. An exit-based interrupt exits a polling guest (it
 * runs), a posted one does not. */
START_TEST(test_guest_haltpoll)
{
    const char *on[] = {"guest.haltpoll", "true", NULL};
    hfx f;
    hfx_init(&f, on);
    uint64_t idle = work(&f, 0);
    uint64_t t = idle + 20000 * NS;
    ck_assert_uint_eq(halt_wake(f.h, 0, t, HALT_BY_IRQ), t + WAKE_PS + GUEST_WAKE_PS);
    ck_assert_double_eq(stat(&f, "hv.exits.hlt"), 1);
    ck_assert_double_eq(stat(&f, "halt.poll_ps"), 0);
    ck_assert_uint_eq(halt_poll_window_ps(f.h, 0), 0);
    ck_assert_uint_eq(halt_guest_window_ps(f.h, 0), 50000 * NS);

    /* Within the window: the guest's poll loop sees it. */
    idle = work(&f, t + WAKE_PS + GUEST_WAKE_PS);
    uint64_t busy0 = cpu_core_busy_ps(f.c, 0);
    t = idle + 20000 * NS;
    ck_assert(halt_guest_polls(f.h, 0, t));
    uint64_t ready = halt_wake(f.h, 0, t, HALT_BY_IRQ);
    ck_assert(ready >= t + GUEST_WAKE_PS && ready - t - GUEST_WAKE_PS <= 500);
    ck_assert_double_eq(stat(&f, "hv.exits.hlt"), 1);
    ck_assert_double_eq(stat(&f, "halt.guest_poll_ends"), 1);
    ck_assert(fabs((double)(cpu_core_busy_ps(f.c, 0) - busy0) - (double)(ready - idle)) <= 1000);
    ck_assert_uint_eq(halt_guest_window_ps(f.h, 0), 50000 * NS);

    /* After it: HLT at the window's end; a halt of about 100 us, longer than the window
     * (and under 200 us), doubles it. */
    idle = work(&f, ready);
    t = idle + 150000 * NS;
    ck_assert(!halt_guest_polls(f.h, 0, t));
    ck_assert_uint_eq(halt_wake(f.h, 0, t, HALT_BY_IRQ), t + WAKE_PS + GUEST_WAKE_PS);
    ck_assert_double_eq(stat(&f, "hv.exits.hlt"), 2);
    ck_assert_uint_eq(halt_guest_window_ps(f.h, 0), 100000 * NS);
    /* A 1 ms halt: halved; another: below grow_start, reset to 0. */
    idle = work(&f, t + WAKE_PS + GUEST_WAKE_PS);
    t = idle + 1000000 * NS;
    halt_wake(f.h, 0, t, HALT_BY_IRQ);
    ck_assert_uint_eq(halt_guest_window_ps(f.h, 0), 50000 * NS);
    idle = work(&f, t + WAKE_PS + GUEST_WAKE_PS);
    t = idle + 1000000 * NS;
    halt_wake(f.h, 0, t, HALT_BY_IRQ);
    ck_assert_uint_eq(halt_guest_window_ps(f.h, 0), 0);
    /* Back to 50 us after a short halt. */
    idle = work(&f, t + WAKE_PS + GUEST_WAKE_PS);
    t = idle + 20000 * NS;
    halt_wake(f.h, 0, t, HALT_BY_IRQ);
    ck_assert_uint_eq(halt_guest_window_ps(f.h, 0), 50000 * NS);

    /* Interrupts for a polling guest: exit-based exits it, posted does not. */
    idle = work(&f, t + WAKE_PS + GUEST_WAKE_PS);
    t = idle + 10000 * NS;
    double extint = stat(&f, "hv.exits.extint");
    /* (Polling is booked in whole cycles: up to one more.) */
    ready = hv_deliver_irq(f.v, 0, t, false);
    ck_assert(ready >= t + GUEST_WAKE_PS + HLT_PS && ready - t - GUEST_WAKE_PS - HLT_PS <= 500);
    ck_assert_double_eq(stat(&f, "hv.exits.extint"), extint + 1);
    idle = work(&f, ready);
    t = idle + 10000 * NS;
    ready = hv_deliver_irq(f.v, 0, t, true);
    ck_assert(ready >= t + GUEST_WAKE_PS && ready - t - GUEST_WAKE_PS <= 500);
    ck_assert_double_eq(stat(&f, "hv.exits.extint"), extint + 1);
    hfx_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("halt");
    TCase *tc = tcase_create("halt");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_idle_vcpu_halts_and_polls);
    tcase_add_test(tc, test_window_grows_and_shrinks);
    tcase_add_test(tc, test_nohz_idle_tick);
    tcase_add_test(tc, test_posted_interrupt_wakes_blocked_vcpu);
    tcase_add_test(tc, test_thread_blocks_and_switch_off);
    tcase_add_test(tc, test_cpu_falls_at_low_load);
    tcase_add_test(tc, test_rr_latency_rises_by_the_wakeup);
    tcase_add_test(tc, test_guest_haltpoll);
    tcase_add_test(tc, test_deep_idle_states);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
