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
} halt_cfg;

enum { KIND_NONE, KIND_VCPU, KIND_THREAD };

typedef struct halt_core {
    uint8_t kind;
    bool halted;
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
    sim_stats_counter(stats, "halt.halts", &h->halts, "halts: an idle vCPU's HLT, a thread's block");
    sim_stats_counter(stats, "halt.poll_ends", &h->poll_ends,
                      "vCPU halts that ended before the vCPU blocked (within the poll window)");
    sim_stats_counter(stats, "halt.blocks", &h->blocks,
                      "halts that blocked and ended with a wake-up of the thread");
    sim_stats_counter(stats, "halt.pi_wakeups", &h->pi_wakeups,
                      "wake-ups by a posted interrupt's wake-up vector");
    sim_stats_counter(stats, "halt.poll_ps", &h->poll_ps, "time KVM polled halted vCPUs (ps)");
    sim_stats_counter(stats, "halt.block_ps", &h->block_ps,
                      "time vCPUs and threads were blocked, up to their wake-up (ps)");
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
void halt_add_thread(halt *h, unsigned core) { set_kind(h, core, KIND_THREAD); }
bool halt_enabled(const halt *h) { return h->cfg.on; }

bool halt_spins(const halt *h, unsigned core)
{
    return h && !h->cfg.on && core < h->ncores && h->core[core].kind == KIND_VCPU;
}

bool halt_idle(const halt *h, unsigned core, uint64_t t_ps)
{
    if (!h || !h->cfg.on || core >= h->ncores || h->core[core].kind == KIND_NONE)
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

uint64_t halt_polled_ps(const halt *h) { return h->poll_ps; }

/* kvm_vcpu_halt's update of the vCPU's window after a halt of halt_ps (polling
 * included, from its start to the vCPU's return), with grow_halt_poll_ns and
 * shrink_halt_poll_ns. */
static void adjust_window(const halt_cfg *c, halt_core *s, uint64_t halt_ps)
{
    uint64_t max = c->poll_max_ps;
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

/* Busy polling from t for d ps on the core: returns its end, at least t + d. */
static uint64_t poll_for(halt *h, unsigned core, uint64_t t, uint64_t d)
{
    h->poll_ps += d;
    /* Whole cycles rounded up, so the booking covers [t, t + d]. */
    uint64_t cycles = (uint64_t)((double)d * cpu_ghz(h->cpu) / 1000.0) + 1;
    return cpu_run(h->cpu, core, t, cycles, CPU_HYPERVISOR);
}

/* Books the halt of the vCPU (thread) on `core` up to now: it halted when its core's
 * work ended (a vCPU's HLT exit there, then kvm_vcpu_halt), and a vCPU polls from the
 * halt's start (or after other work its core ran meanwhile: a host tick) to now or to
 * the end of its window, whichever is first. */
void halt_settle(halt *h, unsigned core, uint64_t now_ps)
{
    if (!halt_idle(h, core, now_ps))
        return;
    halt_core *s = &h->core[core];
    uint64_t b = cpu_busy_until_ps(h->cpu, core);
    if (!s->halted) {
        h->halts++;
        s->halted = true;
        s->start_ps = s->kind == KIND_VCPU ? hv_exit(h->hv, core, b, HV_EXIT_HLT) : b;
        s->polled_ps = s->start_ps;
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
    if (s->kind == KIND_VCPU && t_ps <= s->start_ps + s->poll_ps) {
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
        uint64_t at = (t_ps > b ? t_ps : b) + cpu_wakeup_ps(h->cpu);
        ready = cpu_run(h->cpu, core, at, cycles, who);
        h->blocks++;
    }
    if (s->kind == KIND_VCPU) {
        adjust_window(&h->cfg, s, ready - s->start_ps);
        /* Inside the guest the same happens as in a native kernel: its idle task, back
         * from HLT, switches to the thread the event woke (try_to_wake_up, schedule),
         * the guest's cycles; no C-state exit, the vCPU was running or being woken. */
        ready = cpu_run(h->cpu, core, ready, cpu_wakeup_cycles(h->cpu), CPU_GUEST);
    }
    /* Back in the guest (the application) after the host ran: its caches and TLB refill. */
    return h->hv ? hv_refill(h->hv, core, ready, HV_REFILL_WAKE) : ready;
}
