#include "host/halt.h"

#include <assert.h>
#include <stdlib.h>

#include "host/hv.h"
#include "sim/alloc.h"

/* The hv.* parameters of halting (KVM's kvm module parameters, virt/kvm/kvm_main.c). */
typedef struct halt_cfg {
    bool on;
    uint64_t poll_max_ps; /* halt_poll_ns */
    uint32_t grow, shrink;
    uint64_t grow_start_ps;
    uint64_t pi_wakeup_cycles;
    bool nohz_idle; /* the guest stops its tick when it halts */
    /* The guest's cpuidle-haltpoll (drivers/cpuidle/governors/haltpoll.c). */
    bool guest_poll;
    uint64_t gpoll_max_ps; /* guest_halt_poll_ns */
    uint32_t ggrow, gshrink;
    uint64_t ggrow_start_ps;
    bool gallow_shrink;
} halt_cfg;

enum { KIND_NONE, KIND_VCPU, KIND_THREAD, KIND_SPIN };

typedef struct halt_core {
    uint8_t kind;
    bool irq_only;      /* a vCPU that runs no thread of its own, only interrupts */
    bool tick_stopped;  /* an irq_only vCPU's guest stopped its tick when it first halted:
                           it never leaves its idle loop, so the tick stays stopped */
    bool halted;        /* idle, and its idleness booked from idle_ps on */
    bool in_guest;      /* halted, and its guest still polls (no HLT yet) */
    uint64_t idle_ps;   /* its work ended: the guest's idle loop began */
    uint64_t gpoll_ps;  /* the guest's window (cpuidle-haltpoll's dev->poll_limit_ns) */
    uint64_t gpolled_ps; /* the guest's polling is booked up to here */
    uint64_t poll_ps;   /* the vCPU's window (KVM's vcpu->halt_poll_ns) */
    uint64_t start_ps;  /* its halt began (kvm_vcpu_halt, after the HLT exit) */
    uint64_t polled_ps; /* polling is booked up to here */
} halt_core;

struct halt {
    halt_cfg cfg;
    cpu *cpu;
    hv *hv;
    sim_kernel *kernel;
    halt_core *core;
    unsigned ncores;
    uint64_t halts, poll_ends, blocks, pi_wakeups, poll_ps, block_ps;
    uint64_t guest_poll_ends, guest_poll_ps;
};

static const sim_param_def halt_params[] = {
    {"hv.vcpu_halt", SIM_PARAM_BOOL, "true", NULL, "",
     "An idle vCPU halts (HLT exit, halt polling, then it blocks) and an idle native thread "
     "blocks; false: vCPUs spin when idle (busy all the time) and threads wake for free",
     SIM_AT(halt_cfg, on)},
    {"hv.halt_poll_ns", SIM_PARAM_DOUBLE, "200000", "0..1e9", "ns",
     "Most time KVM polls a halted vCPU before it blocks; 0: no polling",
     SIM_AT(halt_cfg, poll_max_ps)},
    {"hv.halt_poll_ns_grow", SIM_PARAM_UINT, "2", "0..1000", "",
     "Factor a vCPU's poll window grows by after a halt that blocked shorter than "
     "hv.halt_poll_ns; 0: it never grows",
     SIM_AT(halt_cfg, grow)},
    {"hv.halt_poll_ns_grow_start", SIM_PARAM_DOUBLE, "10000", "0..1e9", "ns",
     "A vCPU's poll window when it first grows; a shrink below it resets it to 0",
     SIM_AT(halt_cfg, grow_start_ps)},
    {"hv.halt_poll_ns_shrink", SIM_PARAM_UINT, "2", "0..1000", "",
     "Divisor of a vCPU's poll window after a halt longer than hv.halt_poll_ns; 0: reset to 0",
     SIM_AT(halt_cfg, shrink)},
    {"hv.pi_wakeup_cycles", SIM_PARAM_UINT, "1500", "0..10000000", "cycles",
     "The posted-interrupt wake-up vector's handler on a blocked vCPU's core "
     "(pi_wakeup_handler: interrupt entry, the per-CPU list, the wake-up call)",
     SIM_AT(halt_cfg, pi_wakeup_cycles)},
    {"guest.nohz_idle", SIM_PARAM_BOOL, "true", NULL, "",
     "A halting guest stops its scheduler tick and starts it again when it wakes "
     "(CONFIG_NO_HZ_IDLE, distributions' default): each reprograms its LAPIC's TSC "
     "deadline, a WRMSR exit (hv.msr_exit_cycles), and no tick comes while it is halted. "
     "Without a cpuidle driver, as in a KVM guest without cpuidle-haltpoll, "
     "cpuidle_idle_call asks for it on every idle entry (kernel/sched/idle.c); Linux keeps "
     "the tick when a timer is due within a tick period (tick_nohz_next_event), so where "
     "timers are that frequent this is an upper bound; cpuidle-haltpoll keeps it while "
     "the guest polls",
     SIM_AT(halt_cfg, nohz_idle)},
    {"guest.haltpoll", SIM_PARAM_BOOL, "false", NULL, "",
     "The guest's idle loop polls before it executes HLT (cpuidle-haltpoll, which Linux "
     "loads only on KVM's realtime hint, and which then turns KVM's own polling off for "
     "the vCPU through MSR_KVM_POLL_CONTROL)",
     SIM_AT(halt_cfg, guest_poll)},
    {"guest.halt_poll_ns", SIM_PARAM_DOUBLE, "200000", "0..1e9", "ns",
     "Most time the guest polls before HLT (guest_halt_poll_ns)",
     SIM_AT(halt_cfg, gpoll_max_ps)},
    {"guest.halt_poll_grow", SIM_PARAM_UINT, "2", "0..1000", "",
     "Factor the guest's window grows by after a halt shorter than guest.halt_poll_ns "
     "(guest_halt_poll_grow)",
     SIM_AT(halt_cfg, ggrow)},
    {"guest.halt_poll_grow_start", SIM_PARAM_DOUBLE, "50000", "0..1e9", "ns",
     "The guest's window when it first grows (guest_halt_poll_grow_start)",
     SIM_AT(halt_cfg, ggrow_start_ps)},
    {"guest.halt_poll_shrink", SIM_PARAM_UINT, "2", "0..1000", "",
     "Divisor of the guest's window after a halt longer than guest.halt_poll_ns; 0: reset "
     "to 0 (guest_halt_poll_shrink)",
     SIM_AT(halt_cfg, gshrink)},
    {"guest.halt_poll_allow_shrink", SIM_PARAM_BOOL, "true", NULL, "",
     "The guest's window shrinks after long halts (guest_halt_poll_allow_shrink)",
     SIM_AT(halt_cfg, gallow_shrink)},
};

void halt_register_params(sim_params *p)
{
    sim_params_add_table(p, halt_params, SIM_TABLE_LEN(halt_params));
}

halt *halt_create(const sim_params *p, sim_stats *stats, cpu *c, hv *v, sim_kernel *k)
{
    halt *h = sim_xcalloc(1, sizeof *h);
    sim_params_load_table(p, halt_params, SIM_TABLE_LEN(halt_params), &h->cfg);
    h->cpu = c;
    h->hv = v;
    h->kernel = k;
    h->ncores = cpu_cores(c);
    h->core = sim_xcalloc(h->ncores, sizeof *h->core);
    sim_stats_counter(stats, "halt.halts", &h->halts,
                      "idle periods: an idle vCPU's (its HLT, or its guest's polling first), a "
                      "thread's block");
    sim_stats_counter(stats, "halt.poll_ends", &h->poll_ends,
                      "vCPU halts that ended before the vCPU blocked (within the poll window)");
    sim_stats_counter(stats, "halt.blocks", &h->blocks,
                      "halts that blocked and ended with a wake-up of the thread");
    sim_stats_counter(stats, "halt.pi_wakeups", &h->pi_wakeups,
                      "wake-ups by a posted interrupt's wake-up vector");
    sim_stats_counter(stats, "halt.poll_ps", &h->poll_ps, "time KVM polled halted vCPUs (ps)");
    sim_stats_counter(stats, "halt.block_ps", &h->block_ps,
                      "time vCPUs and threads were blocked, up to their wake-up (ps)");
    if (h->cfg.guest_poll) {
        sim_stats_counter(stats, "halt.guest_poll_ends", &h->guest_poll_ends,
                          "idle periods the guest's own polling ended (no HLT exit)");
        sim_stats_counter(stats, "halt.guest_poll_ps", &h->guest_poll_ps,
                          "time guests polled in their idle loop (ps)");
    }
    return h;
}

void halt_destroy(halt *h)
{
    if (!h)
        return;
    free(h->core);
    free(h);
}

static void set_kind(halt *h, unsigned core, uint8_t kind)
{
    assert(core < h->ncores);
    h->core[core].kind = kind;
}

void halt_add_vcpu(halt *h, unsigned core) { set_kind(h, core, KIND_VCPU); }
void halt_add_irq_vcpu(halt *h, unsigned core)
{
    set_kind(h, core, KIND_VCPU);
    h->core[core].irq_only = true;
}
void halt_add_thread(halt *h, unsigned core) { set_kind(h, core, KIND_THREAD); }
void halt_add_spinner(halt *h, unsigned core) { set_kind(h, core, KIND_SPIN); }
bool halt_enabled(const halt *h) { return h->cfg.on; }

bool halt_is_spinner(const halt *h, unsigned core)
{
    return h && core < h->ncores && h->core[core].kind == KIND_SPIN;
}

bool halt_registered(const halt *h, unsigned core)
{
    return h && core < h->ncores && h->core[core].kind != KIND_NONE;
}

bool halt_spins(const halt *h, unsigned core)
{
    if (!h || core >= h->ncores)
        return false;
    return h->core[core].kind == KIND_SPIN || (!h->cfg.on && h->core[core].kind == KIND_VCPU);
}

bool halt_idle(const halt *h, unsigned core, uint64_t t_ps)
{
    if (!h || !h->cfg.on || core >= h->ncores || h->core[core].kind == KIND_NONE ||
        h->core[core].kind == KIND_SPIN)
        return false;
    if (h->core[core].halted)
        return true;
    uint64_t b = cpu_busy_until_ps(h->cpu, core);
    /* Work booked past the clock: the vCPU runs now, and whether it will be idle at a
     * later t is not known yet (more of its work may be booked before then). */
    return t_ps > b && (!h->kernel || b <= sim_now_ps(h->kernel));
}

uint64_t halt_poll_window_ps(const halt *h, unsigned core)
{
    assert(core < h->ncores);
    return h->core[core].poll_ps;
}

uint64_t halt_guest_window_ps(const halt *h, unsigned core)
{
    assert(core < h->ncores);
    return h->core[core].gpoll_ps;
}

/* Whether the guest on `core` polls (in guest mode) for an idle period that began at
 * idle_ps, at t. */
static bool guest_polls_at(const halt *h, const halt_core *s, uint64_t idle_ps, uint64_t t_ps)
{
    return h->cfg.guest_poll && s->kind == KIND_VCPU && t_ps <= idle_ps + s->gpoll_ps;
}

bool halt_guest_polls(const halt *h, unsigned core, uint64_t t_ps)
{
    if (!halt_idle(h, core, t_ps))
        return false;
    const halt_core *s = &h->core[core];
    if (s->halted)
        return s->in_guest && t_ps <= s->idle_ps + s->gpoll_ps;
    return guest_polls_at(h, s, cpu_busy_until_ps(h->cpu, core), t_ps);
}

bool halt_polls(const halt *h, unsigned core, uint64_t t_ps)
{
    if (!halt_idle(h, core, t_ps))
        return false;
    const halt_core *s = &h->core[core];
    if (s->kind != KIND_VCPU)
        return false;
    if (halt_guest_polls(h, core, t_ps))
        return true;
    uint64_t start = s->start_ps; /* KVM's halt began */
    if (!s->halted || s->in_guest) {
        /* Not booked yet: after the guest's window (if it polls) and the HLT exit. */
        uint64_t idle = s->halted ? s->idle_ps : cpu_busy_until_ps(h->cpu, core);
        bool stops_tick = h->cfg.nohz_idle && !s->tick_stopped;
        uint64_t exits = hv_exit_cycles(h->hv, HV_EXIT_HLT) +
                         (stops_tick ? hv_exit_cycles(h->hv, HV_EXIT_MSR) : 0);
        start = (h->cfg.guest_poll ? idle + s->gpoll_ps : idle) + cpu_cycles_to_ps(h->cpu, exits);
    }
    return t_ps <= start + s->poll_ps;
}

bool halt_tick_stopped(const halt *h, unsigned core, uint64_t t_ps)
{
    if (!h || !h->cfg.nohz_idle || h->core[core].kind != KIND_VCPU)
        return false;
    return h->core[core].tick_stopped ||
           (halt_idle(h, core, t_ps) && !halt_guest_polls(h, core, t_ps));
}

uint64_t halt_polled_ps(const halt *h) { return h->poll_ps + h->guest_poll_ps; }

/* cpuidle-haltpoll's update of the guest's window after a halt that lasted block_ps
 * (haltpoll_reflect -> adjust_poll_limit, after the HLT state only). */
static void adjust_guest_window(const halt_cfg *c, halt_core *s, uint64_t block_ps)
{
    if (block_ps > s->gpoll_ps && block_ps <= c->gpoll_max_ps) {
        uint64_t v = s->gpoll_ps * c->ggrow;
        if (v < c->ggrow_start_ps)
            v = c->ggrow_start_ps;
        s->gpoll_ps = v > c->gpoll_max_ps ? c->gpoll_max_ps : v;
    } else if (block_ps > c->gpoll_max_ps && c->gallow_shrink) {
        uint64_t v = c->gshrink ? s->gpoll_ps / c->gshrink : 0;
        s->gpoll_ps = v < c->ggrow_start_ps ? 0 : v; /* a shrink below grow_start resets */
    }
}

/* kvm_vcpu_halt's update of the vCPU's window after a halt of halt_ps (polling
 * included, from its start to the vCPU's return), with grow_halt_poll_ns and
 * shrink_halt_poll_ns. With the guest polling itself, KVM does not poll
 * (kvm_arch_no_poll: the guest cleared MSR_KVM_POLL_CONTROL). */
static void adjust_window(const halt_cfg *c, halt_core *s, uint64_t halt_ps)
{
    uint64_t max = c->guest_poll ? 0 : c->poll_max_ps;
    if (!max) {
        s->poll_ps = 0;
        return;
    }
    if (halt_ps <= s->poll_ps)
        return;
    if (s->poll_ps && halt_ps > max) {
        /* a long block: shrink */
        uint64_t v = c->shrink ? s->poll_ps / c->shrink : 0;
        s->poll_ps = v < c->grow_start_ps ? 0 : v;
    } else if (s->poll_ps < max && halt_ps < max && c->grow) {
        /* a short halt and the window too small: grow */
        uint64_t v = s->poll_ps * c->grow;
        if (v < c->grow_start_ps)
            v = c->grow_start_ps;
        s->poll_ps = v > max ? max : v;
    }
}

/* KVM's polling from t for d ps on the core: returns its end, at least t + d. */
static uint64_t poll_for(halt *h, unsigned core, uint64_t t, uint64_t d)
{
    h->poll_ps += d;
    return cpu_spin(h->cpu, core, t, d, CPU_HYPERVISOR);
}

/* The guest's idle loop polls from t for d ps (poll_idle: its cycles). */
static uint64_t guest_poll_for(halt *h, unsigned core, uint64_t t, uint64_t d)
{
    h->guest_poll_ps += d;
    return cpu_spin(h->cpu, core, t, d, CPU_GUEST);
}

/* The vCPU (thread) halts at b: a vCPU's guest stops its tick (tick_nohz_idle_stop_tick
 * -> tick_nohz_stop_tick: the next event's deadline, or none, written to
 * MSR_IA32_TSC_DEADLINE, an exit), its HLT exit, then kvm_vcpu_halt. An interrupt-only
 * vCPU stops it once: back from an interrupt in its idle loop it finds it stopped. */
static void enter_halt(halt *h, unsigned core, halt_core *s, uint64_t b)
{
    s->in_guest = false;
    if (s->kind == KIND_VCPU && h->cfg.nohz_idle && !s->tick_stopped) {
        b = hv_exit(h->hv, core, b, HV_EXIT_MSR);
        s->tick_stopped = s->irq_only;
    }
    s->start_ps = s->kind == KIND_VCPU ? hv_exit(h->hv, core, b, HV_EXIT_HLT) : b;
    s->polled_ps = s->start_ps;
}

/* Books the idleness of the vCPU (thread) on `core` up to now: it went idle when its
 * core's work ended; with guest.haltpoll its guest polls first, up to its window (or
 * after other work its core ran meanwhile: a tick), and executes HLT when the window
 * is over; then (or at once) it halts, and a vCPU polls in KVM from the halt's start to
 * now or to the end of KVM's window, whichever is first. */
void halt_settle(halt *h, unsigned core, uint64_t now_ps)
{
    if (!halt_idle(h, core, now_ps))
        return;
    halt_core *s = &h->core[core];
    uint64_t b = cpu_busy_until_ps(h->cpu, core);
    if (!s->halted) {
        h->halts++;
        s->halted = true;
        s->idle_ps = b;
        s->gpolled_ps = b;
        s->in_guest = guest_polls_at(h, s, b, b) && s->gpoll_ps > 0;
        if (!s->in_guest) {
            enter_halt(h, core, s, b);
            b = s->start_ps;
        }
    }
    if (s->in_guest) {
        uint64_t gstop = s->idle_ps + s->gpoll_ps;
        uint64_t from = b > s->gpolled_ps ? b : s->gpolled_ps;
        uint64_t to = now_ps < gstop ? now_ps : gstop;
        if (to > from)
            s->gpolled_ps = guest_poll_for(h, core, from, to - from);
        if (now_ps <= gstop)
            return;
        /* The window is over with nothing to run: the governor picks HLT. */
        b = cpu_busy_until_ps(h->cpu, core);
        enter_halt(h, core, s, b > gstop ? b : gstop);
        b = s->start_ps;
    }
    uint64_t stop = s->start_ps + (s->kind == KIND_VCPU ? s->poll_ps : 0);
    uint64_t from = b > s->polled_ps ? b : s->polled_ps;
    uint64_t to = now_ps < stop ? now_ps : stop;
    if (to > from)
        s->polled_ps = poll_for(h, core, from, to - from);
}

uint64_t halt_wake(halt *h, unsigned core, uint64_t t_ps, halt_why why)
{
    if (!halt_idle(h, core, t_ps))
        return t_ps;
    halt_settle(h, core, t_ps);
    halt_core *s = &h->core[core];
    uint64_t b = cpu_busy_until_ps(h->cpu, core);
    uint64_t ready;
    s->halted = false;
    bool guest_polled = s->in_guest;
    if (s->in_guest) {
        /* The guest's poll loop sees it (need_resched): no HLT, no exit. */
        s->in_guest = false;
        h->guest_poll_ends++;
        ready = t_ps > b ? t_ps : b;
    } else if (s->kind == KIND_VCPU && t_ps <= s->start_ps + s->poll_ps) {
        /* The poll loop (or, without a window, kvm_vcpu_block's first check) finds the
         * event pending: the vCPU returns to the guest without sleeping. */
        ready = t_ps > b ? t_ps : b;
        h->poll_ends++;
    } else {
        /* Blocked (the core idle) until the event; then a vCPU takes the wake-up
         * vector's handler if the IOMMU posted it, and the scheduler switches to the
         * thread: the vCPU's in the host (the hypervisor's cycles), a native
         * application's in its own kernel. */
        uint64_t cycles = cpu_wakeup_cycles(h->cpu);
        cpu_who who = s->kind == KIND_VCPU ? CPU_HYPERVISOR : CPU_GUEST;
        if (s->kind == KIND_VCPU && why == HALT_BY_PI) {
            cycles += h->cfg.pi_wakeup_cycles;
            h->pi_wakeups++;
        }
        if (t_ps > b)
            h->block_ps += t_ps - b;
        uint64_t at = (t_ps > b ? t_ps : b) + cpu_wake_ps(h->cpu, core, t_ps);
        ready = cpu_run(h->cpu, core, at, cycles, who);
        h->blocks++;
    }
    if (s->kind == KIND_VCPU) {
        if (!guest_polled) {
            adjust_window(&h->cfg, s, ready - s->start_ps);
            if (h->cfg.guest_poll)
                adjust_guest_window(&h->cfg, s, ready - s->start_ps);
        }
        /* Inside the guest the same happens as in a native kernel: its idle task, back
         * from HLT or its poll loop, switches to the thread the event woke
         * (try_to_wake_up, schedule), the guest's cycles; no C-state exit, the vCPU was
         * running or being woken. Its tick wakes no thread. Back from HLT, do_idle
         * restarts the stopped tick before it schedules (tick_nohz_idle_exit ->
         * tick_nohz_restart_sched_tick: a TSC deadline written, an exit). */
        if (why == HALT_BY_TICK)
            return ready;
        if (s->irq_only) /* its idle task takes the interrupt and halts again */
            return h->hv ? hv_refill(h->hv, core, ready, HV_REFILL_WAKE) : ready;
        if (h->cfg.nohz_idle && !guest_polled)
            ready = hv_exit(h->hv, core, ready, HV_EXIT_MSR);
        ready = cpu_run(h->cpu, core, ready, cpu_wakeup_cycles(h->cpu), CPU_GUEST);
    }
    /* Back in the guest (the application) after the host ran: its caches and TLB refill. */
    return h->hv ? hv_refill(h->hv, core, ready, HV_REFILL_WAKE) : ready;
}
