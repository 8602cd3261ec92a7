#include "host/vtick.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "host/halt.h"
#include "sim/alloc.h"

enum { TIMER_EXIT, TIMER_POSTED }; /* tick.guest_timer, in its choices' order */

/* The tick.* parameters. */
typedef struct vtick_cfg {
    uint32_t guest_hz, host_hz;
    uint64_t guest_cycles, host_cycles;
    uint8_t guest_timer;
} vtick_cfg;

static const sim_param_def vtick_params[] = {
    {"tick.guest_hz", SIM_PARAM_UINT, "250", "0..10000", "Hz",
     "Guest kernel's scheduler tick rate on a busy vCPU (CONFIG_HZ; 0: no ticks)",
     SIM_AT(vtick_cfg, guest_hz)},
    {"tick.host_hz", SIM_PARAM_UINT, "250", "0..10000", "Hz",
     "Host kernel's scheduler tick rate on a busy core (CONFIG_HZ; 0: no ticks)",
     SIM_AT(vtick_cfg, host_hz)},
    {"tick.guest_cycles", SIM_PARAM_UINT, "2000", "0..10000000", "cycles",
     "Guest's tick handler (tick_sched_timer: update_process_times, scheduler_tick), without "
     "the exits it causes",
     SIM_AT(vtick_cfg, guest_cycles)},
    {"tick.host_cycles", SIM_PARAM_UINT, "2000", "0..10000000", "cycles",
     "Host's tick handler on a core, re-arming its own deadline included (native: the "
     "application's kernel)",
     SIM_AT(vtick_cfg, host_cycles)},
    {"tick.guest_timer", SIM_PARAM_ENUM, "exit", "exit|posted", "",
     "A guest's timer expiry: exit (a preemption-timer or external-interrupt exit injects "
     "it) or posted (a housekeeping CPU posts it, needs hv.irq_delivery = posted)",
     SIM_AT(vtick_cfg, guest_timer)},
};

/* One periodic tick: a vCPU's guest tick, or the host's tick on a core. */
typedef struct ticker {
    unsigned core;
    bool guest;
    uint64_t period_ps, phase_ps, next_ps;
} ticker;

/* What the NO_HZ_IDLE test knows of a core. */
typedef struct core_state {
    uint64_t mark_ps;      /* the core's busy time just after its last tick */
    uint64_t last_work_ps; /* a tick found work (not ticks) on it at this time */
    bool worked, vcpu, app;
} core_state;

struct vtick {
    vtick_cfg cfg;
    sim_kernel *kernel;
    cpu *cpu;
    hv *hv;
    sim_event *ev;
    core_state *core;
    unsigned ncores;
    ticker *t; /* the guests' (in VM order), then the host's per core */
    unsigned n, nguest;
    uint64_t guest_ticks, host_ticks, host_exits, stopped;
};

static uint64_t period_of(uint32_t hz) { return hz ? SIM_PS_PER_S / hz : 0; }

void vtick_register_params(sim_params *p)
{
    sim_params_add_table(p, vtick_params, SIM_TABLE_LEN(vtick_params));
}

int vtick_check(const sim_params *p, sim_err *e)
{
    vtick_cfg c;
    sim_params_load_table(p, vtick_params, SIM_TABLE_LEN(vtick_params), &c);
    /* KVM posts the timer interrupt only with APICv (kvm_can_post_timer_interrupt). */
    if (c.guest_timer == TIMER_POSTED && sim_params_enum_index(p, "hv.irq_delivery") == 0)
        return sim_err_set(e, "tick.guest_timer = posted needs APIC virtualization "
                              "(hv.irq_delivery = posted)");
    return 0;
}

static void on_tick(void *ctx);

vtick *vtick_create(const sim_params *p, sim_stats *stats, sim_kernel *k, cpu *c, hv *h)
{
    vtick *t = sim_xcalloc(1, sizeof *t);
    sim_params_load_table(p, vtick_params, SIM_TABLE_LEN(vtick_params), &t->cfg);
    t->kernel = k;
    t->cpu = c;
    t->hv = h;
    t->ncores = cpu_cores(c);
    t->core = sim_xcalloc(t->ncores, sizeof *t->core);
    t->t = sim_xcalloc(t->ncores, sizeof *t->t);
    t->ev = sim_event_create(k, "vtick", on_tick, t);
    sim_stats_counter(stats, "tick.guest", &t->guest_ticks, "guest scheduler ticks on vCPUs");
    sim_stats_counter(stats, "tick.host", &t->host_ticks, "host scheduler ticks on cores");
    sim_stats_counter(stats, "tick.host_exits", &t->host_exits,
                      "host ticks that interrupted a running vCPU (an exit each)");
    sim_stats_counter(stats, "tick.stopped", &t->stopped,
                      "ticks not taken: the CPU had been idle for a period, or its guest "
                      "halted with its tick stopped (NO_HZ_IDLE)");
    return t;
}

void vtick_destroy(vtick *t)
{
    if (!t)
        return;
    free(t->core);
    free(t->t);
    free(t);
}

void vtick_add_vcpu(vtick *t, unsigned core)
{
    assert(core < t->ncores);
    t->core[core].vcpu = true;
    t->t = sim_xrealloc(t->t, (t->nguest + 1 + t->ncores) * sizeof *t->t);
    t->t[t->nguest++] = (ticker){.core = core, .guest = true, .period_ps = period_of(t->cfg.guest_hz)};
}

void vtick_set_app_core(vtick *t, unsigned core)
{
    assert(core < t->ncores);
    t->core[core].app = true;
}

static void arm(vtick *t)
{
    uint64_t next = UINT64_MAX;
    for (unsigned i = 0; i < t->n; i++)
        if (t->t[i].period_ps && t->t[i].next_ps < next)
            next = t->t[i].next_ps;
    if (next != UINT64_MAX)
        sim_event_notify_at(t->ev, next);
}

void vtick_start(vtick *t, uint64_t t_ps)
{
    uint64_t gp = period_of(t->cfg.guest_hz), hp = period_of(t->cfg.host_hz);
    for (unsigned i = 0; i < t->nguest; i++)
        t->t[i].phase_ps = gp * i / t->nguest;
    t->n = t->nguest;
    const double golden = 0.6180339887498949; /* (sqrt(5) - 1) / 2 */
    for (unsigned c = 0; c < t->ncores; c++) {
        double f = (double)c * golden;
        t->t[t->n++] = (ticker){.core = c,
                                .period_ps = hp,
                                .phase_ps = (uint64_t)((f - floor(f)) * (double)hp)};
    }
    for (unsigned i = 0; i < t->n; i++) {
        ticker *k = &t->t[i];
        k->next_ps = k->phase_ps;
        if (k->period_ps && k->next_ps < t_ps)
            k->next_ps += (t_ps - k->next_ps + k->period_ps - 1) / k->period_ps * k->period_ps;
    }
    arm(t);
}

/* NO_HZ_IDLE: whether the core ran work other than ticks within the last period. */
static bool busy(vtick *t, unsigned core, uint64_t now, uint64_t period)
{
    core_state *s = &t->core[core];
    uint64_t b = cpu_core_booked_ps(t->cpu, core);
    /* The statistics' start zeroes the core's booked time: any since then is work. */
    if (b < s->mark_ps ? b > 0 : b > s->mark_ps) {
        s->worked = true;
        s->last_work_ps = now;
    }
    return s->worked && now - s->last_work_ps < period;
}

static void guest_tick(vtick *t, unsigned core, uint64_t now)
{
    hv *h = t->hv;
    uint64_t u = now;
    /* A halted vCPU's deadline fires in the host (KVM's hrtimer, apic_timer_expired):
     * the vCPU is woken and takes the interrupt on entry, with no timer exit. A guest
     * polling in its idle loop runs: the tick interrupts the loop, which goes on after. */
    halt *w = hv_halt(h);
    if (halt_idle(w, core, now) && !halt_guest_polls(w, core, now)) {
        u = halt_wake(w, core, now, HALT_BY_TICK);
    } else {
        halt_settle(w, core, now);
        if (t->cfg.guest_timer == TIMER_EXIT)
            u = hv_exit_urgent(h, core, u, HV_EXIT_TIMER);
    }
    /* sysvec_apic_timer_interrupt acknowledges the LAPIC before the tick's work. */
    u = hv_eoi(h, core, u, hv_posted(h));
    u = cpu_run_urgent(t->cpu, core, u, t->cfg.guest_cycles, CPU_GUEST);
    /* The clockevent is re-programmed for the next tick (lapic_next_deadline). */
    hv_exit_urgent(h, core, u, HV_EXIT_MSR);
    t->guest_ticks++;
}

static void host_tick(vtick *t, unsigned core, uint64_t now)
{
    const core_state *s = &t->core[core];
    uint64_t u = now;
    bool exited = false;
    if (s->vcpu)
        u = hv_host_irq_on_vcpu(t->hv, core, u, &exited);
    if (exited)
        t->host_exits++;
    cpu_run_urgent(t->cpu, core, u, t->cfg.host_cycles, s->app ? CPU_GUEST : CPU_HOST);
    t->host_ticks++;
}

static void on_tick(void *ctx)
{
    vtick *t = ctx;
    uint64_t now = sim_now_ps(t->kernel);
    for (unsigned i = 0; i < t->n; i++) {
        ticker *k = &t->t[i];
        if (!k->period_ps || k->next_ps != now)
            continue;
        k->next_ps += k->period_ps;
        /* An idle core's tick is stopped, and so is a halted guest's that stopped it
         * when it halted (guest.nohz_idle). */
        if (!busy(t, k->core, now, k->period_ps) ||
            (k->guest && halt_tick_stopped(hv_halt(t->hv), k->core, now))) {
            t->stopped++;
            continue;
        }
        if (k->guest)
            guest_tick(t, k->core, now);
        else
            host_tick(t, k->core, now);
        t->core[k->core].mark_ps = cpu_core_booked_ps(t->cpu, k->core);
    }
    arm(t);
}
