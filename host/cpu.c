#include "host/cpu.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/cpuidle.h"
#include "sim/alloc.h"
#include "sim/resv.h"
#include "sim/timeline.h"

typedef struct core {
    sim_resv time; /* work is booked ahead of the clock: keep the idle gaps usable */
    /* Preempting work alone, booked ahead of the clock too: an interrupt booked for
     * later (a notification a thread sends at the time its booked-ahead work reaches)
     * leaves the time before it to interrupt work that comes at an earlier time. */
    sim_resv urgent;
    sim_busy busy;
} core;

struct cpu {
    cpu_cfg cfg;
    double ps_per_cycle;
    core *cores;
    cpuidle *idle;
    uint64_t cycles[CPU_WHO_COUNT];
    sim_timeline *tl;  /* trace.timeline: two tracks per core, NULL when off */
    sim_breakdown *bd; /* net.breakdown, NULL when off */
    uint32_t packet;   /* ... the packet whose work is being booked, 0: none */
    cpu_cost_factor_fn factor; /* noise.cost_sigma, NULL when off */
    void *factor_ctx;
    unsigned tl_track0; /* core i's thread work: tl_track0 + 2i; its urgent work: + 1 */
};

static const char *const who_names[CPU_WHO_COUNT] = {"guest", "hypervisor", "host"};
_Static_assert(CPU_WHO_COUNT == 3, "a timeline name for each cpu_who");

void cpu_set_breakdown(cpu *c, sim_breakdown *bd) { c->bd = bd; }
void cpu_set_cost_factor(cpu *c, cpu_cost_factor_fn fn, void *ctx)
{
    c->factor = fn;
    c->factor_ctx = ctx;
}
void cpu_set_packet(cpu *c, uint32_t id) { c->packet = id; }
uint32_t cpu_packet(const cpu *c) { return c->packet; }

/* What a booking tells the observers: the timeline (urgent work on a track of its own:
 * it preempts thread work already written, and slices of one track must nest), the
 * current packet's breakdown. */
static void observe(cpu *c, unsigned core_id, uint64_t start, uint64_t d, cpu_who who,
                    bool urgent)
{
    if (c->tl)
        sim_timeline_slice(c->tl, c->tl_track0 + 2 * core_id + urgent, who_names[who], start, d,
                           0);
    if (c->bd && c->packet)
        sim_breakdown_add(c->bd, c->packet, (unsigned)who, start, start + d);
}

void cpu_timeline_instant(cpu *c, unsigned core_id, const char *name, uint64_t end_ps,
                          uint64_t cycles)
{
    if (c->tl && core_id < c->cfg.cores)
        sim_timeline_instant(c->tl, c->tl_track0 + 2 * core_id, name,
                             end_ps - cpu_cycles_to_ps(c, cycles));
}

void cpu_set_timeline(cpu *c, sim_timeline *tl)
{
    c->tl = tl;
    char name[32];
    for (unsigned i = 0; tl && i < c->cfg.cores; i++) {
        snprintf(name, sizeof name, "core %u", i);
        unsigned t = sim_timeline_track(tl, "cores", name);
        snprintf(name, sizeof name, "core %u irq", i);
        sim_timeline_track(tl, "cores", name);
        if (i == 0)
            c->tl_track0 = t;
    }
}

static const sim_param_def cpu_params[] = {
    {"cpu.cores", SIM_PARAM_UINT, "10", "1..1024", "cores", "Physical cores of the host",
     SIM_AT(cpu_cfg, cores)},
    {"cpu.ghz", SIM_PARAM_DOUBLE, "2.2", "0.1..10", "GHz", "Core clock", SIM_AT(cpu_cfg, ghz)},
    {"cpu.copy_bytes_per_cycle", SIM_PARAM_DOUBLE, "4.4", "0.01..1024", "bytes",
     "memcpy rate of one core (bytes per cycle) for packet copies out of the LLC "
     "(Broadwell-EP's L3 copy, likwid-bench)",
     SIM_AT(cpu_cfg, copy_bytes_per_cycle)},
    {"cpu.copy_setup_cycles", SIM_PARAM_UINT, "60", "0..10000000", "cycles",
     "Fixed cost of one packet copy (call, alignment, tail)", SIM_AT(cpu_cfg, copy_setup_cycles)},
    {"cpu.csum_bytes_per_cycle", SIM_PARAM_DOUBLE, "7.1", "0.01..1e12", "bytes",
     "Software Internet checksum rate of one core (Linux's csum_partial) over a packet in its "
     "caches, bytes per cycle (a rate so high that a packet costs no whole cycle makes it free)",
     SIM_AT(cpu_cfg, csum_bytes_per_cycle)},
    {"cpu.wakeup_cycles", SIM_PARAM_UINT, "2000", "0..10000000", "cycles",
     "Waking a sleeping thread: wake-up and context switch, on the woken thread's core",
     SIM_AT(cpu_cfg, wakeup_cycles)},
    {"cpu.wakeup_ns", SIM_PARAM_DOUBLE, "0", "0..1e9", "ns",
     "Latency before a woken thread runs on an idle core, beyond its idle state's exit "
     "(cpuidle.*): the reschedule IPI's delivery",
     SIM_AT(cpu_cfg, wakeup_ps)},
};

void cpu_register_params(sim_params *p)
{
    sim_params_add_table(p, cpu_params, SIM_TABLE_LEN(cpu_params));
    cpuidle_register_params(p);
}

cpu_cfg cpu_cfg_load(const sim_params *p)
{
    cpu_cfg c;
    sim_params_load_table(p, cpu_params, SIM_TABLE_LEN(cpu_params), &c);
    return c;
}

static double busy_share(const sim_stats *s, void *ctx)
{
    const core *k = ctx;
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? (double)k->busy.window_ps / (double)el : 0.0;
}

cpu *cpu_create(const sim_params *p, sim_stats *stats)
{
    cpu *c = sim_xcalloc(1, sizeof *c);
    c->cfg = cpu_cfg_load(p);
    c->ps_per_cycle = 1000.0 / c->cfg.ghz;
    c->cores = sim_xcalloc(c->cfg.cores, sizeof *c->cores);
    static const char *const who[CPU_WHO_COUNT] = {"guest", "hypervisor", "host"};
    for (int w = 0; w < CPU_WHO_COUNT; w++) {
        char name[64], desc[96];
        snprintf(name, sizeof name, "cpu.%s_cycles", who[w]);
        snprintf(desc, sizeof desc, "cycles spent by %s software", who[w]);
        sim_stats_counter(stats, name, &c->cycles[w], desc);
    }
    for (unsigned i = 0; i < c->cfg.cores; i++) {
        char name[64];
        snprintf(name, sizeof name, "cpu.core%u.busy_ps", i);
        sim_stats_busy(stats, name, &c->cores[i].busy,
                       "time within the window the core ran work (ps)");
        snprintf(name, sizeof name, "cpu.core%u.util", i);
        sim_stats_derived(stats, name, busy_share, &c->cores[i],
                          "share of the window the core was busy: busy_ps over the window");
    }
    c->idle = cpuidle_create(p, stats, c->cfg.cores);
    return c;
}

void cpu_destroy(cpu *c)
{
    if (!c)
        return;
    cpuidle_destroy(c->idle);
    free(c->cores);
    free(c);
}

unsigned cpu_cores(const cpu *c) { return c->cfg.cores; }

uint64_t cpu_cycles_to_ps(const cpu *c, uint64_t cycles)
{
    /* On every booking: a plain rounding add is several times cheaper than llround. */
    return (uint64_t)((double)cycles * c->ps_per_cycle + 0.5);
}

static inline uint64_t book(cpu *c, unsigned core_id, uint64_t t_ps, uint64_t cycles,
                            cpu_who who)
{
    core *k = &c->cores[core_id];
    uint64_t d = cpu_cycles_to_ps(c, cycles);
    uint64_t start = sim_resv_book(&k->time, t_ps, d);
    sim_busy_add(&k->busy, start, d);
    c->cycles[who] += cycles;
    if (c->tl || c->bd)
        observe(c, core_id, start, d, who, false);
    return start + d;
}

static inline uint64_t book_urgent(cpu *c, unsigned core_id, uint64_t t_ps, uint64_t cycles,
                                   cpu_who who)
{
    core *k = &c->cores[core_id];
    uint64_t d = cpu_cycles_to_ps(c, cycles);
    uint64_t start = sim_resv_book(&k->urgent, t_ps, d);
    /* Booking it on the thread timeline as well takes its capacity from thread work:
     * in an idle stretch it occupies [start, start + d); otherwise the thread work
     * booked from now on comes d later, as after a preemption. */
    sim_busy_add(&k->busy, sim_resv_book(&k->time, start, d), d);
    c->cycles[who] += cycles;
    if (c->tl || c->bd)
        observe(c, core_id, start, d, who, true);
    return start + d;
}

/* The cycles a piece of work takes this time (cpu_set_cost_factor). */
static inline uint64_t vary(cpu *c, unsigned core_id, uint64_t cycles)
{
    if (!c->factor || !cycles)
        return cycles;
    uint64_t f = c->factor(c->factor_ctx, core_id);
    /* 128 bits: a factor is up to 2^32 / 2^16, so 64 would wrap above 2^32 cycles. */
    return (uint64_t)(((unsigned __int128)cycles * f + CPU_COST_FACTOR_ONE / 2) /
                      CPU_COST_FACTOR_ONE);
}

uint64_t cpu_cost_varied(cpu *c, unsigned core_id, uint64_t cycles)
{
    return vary(c, core_id, cycles);
}

uint64_t cpu_run(cpu *c, unsigned core_id, uint64_t t_ps, uint64_t cycles, cpu_who who)
{
    assert(core_id < c->cfg.cores && who < CPU_WHO_COUNT);
    return book(c, core_id, t_ps, vary(c, core_id, cycles), who);
}

uint64_t cpu_run_urgent(cpu *c, unsigned core_id, uint64_t t_ps, uint64_t cycles, cpu_who who)
{
    assert(core_id < c->cfg.cores && who < CPU_WHO_COUNT);
    return book_urgent(c, core_id, t_ps, vary(c, core_id, cycles), who);
}

uint64_t cpu_start_ps(const cpu *c, unsigned core_id, uint64_t t_ps, uint64_t cycles, bool urgent)
{
    assert(core_id < c->cfg.cores);
    const core *k = &c->cores[core_id];
    return sim_resv_start(urgent ? &k->urgent : &k->time, t_ps, cpu_cycles_to_ps(c, cycles));
}

uint64_t cpu_run_drawn(cpu *c, unsigned core_id, uint64_t t_ps, uint64_t cycles, cpu_who who,
                       bool urgent)
{
    assert(core_id < c->cfg.cores && who < CPU_WHO_COUNT);
    return urgent ? book_urgent(c, core_id, t_ps, cycles, who)
                  : book(c, core_id, t_ps, cycles, who);
}

uint64_t cpu_spin(cpu *c, unsigned core_id, uint64_t t_ps, uint64_t d_ps, cpu_who who)
{
    assert(core_id < c->cfg.cores && who < CPU_WHO_COUNT);
    return book(c, core_id, t_ps, (uint64_t)((double)d_ps * c->cfg.ghz / 1000.0) + 1, who);
}

uint64_t cpu_spin_idle(cpu *c, unsigned core_id, uint64_t from_ps, uint64_t to_ps, cpu_who who)
{
    assert(core_id < c->cfg.cores && who < CPU_WHO_COUNT);
    core *k = &c->cores[core_id];
    uint64_t spun_ps = 0, t = from_ps;
    while (t < to_ps) {
        /* The earliest idle stretch from t: the first gap the core's bookings left that
         * ends after t (their ends increase: bisection), or the core's end. */
        uint64_t s = to_ps, e = to_ps;
        uint32_t lo = 0, hi = k->time.ngaps;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (sim_resv_gap_at(&k->time, mid)->end_ps <= t)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < k->time.ngaps) {
            const sim_resv_gap *g = sim_resv_gap_at(&k->time, lo);
            s = g->start_ps > t ? g->start_ps : t;
            e = g->end_ps < to_ps ? g->end_ps : to_ps;
        }
        if (s >= to_ps) {
            s = t > k->time.busy_until_ps ? t : k->time.busy_until_ps;
            e = to_ps;
        }
        if (s >= e)
            break;
        /* It fits the stretch exactly: booked where it lies. */
        uint64_t start = sim_resv_book(&k->time, s, e - s);
        sim_busy_add(&k->busy, start, e - s);
        c->cycles[who] += (uint64_t)((double)(e - s) * c->cfg.ghz / 1000.0 + 0.5);
        if (c->tl || c->bd)
            observe(c, core_id, start, e - s, who, false);
        spun_ps += e - s;
        t = e;
    }
    return spun_ps;
}

uint64_t cpu_copy_cycles(const cpu *c, uint64_t bytes)
{
    return c->cfg.copy_setup_cycles +
           (uint64_t)((double)bytes / c->cfg.copy_bytes_per_cycle + 0.5);
}

uint64_t cpu_csum_cycles(const cpu *c, uint64_t bytes)
{
    return (uint64_t)((double)bytes / c->cfg.csum_bytes_per_cycle + 0.5);
}

uint64_t cpu_copy_csum_cycles(const cpu *c, uint64_t copy_bytes, uint64_t csum_bytes)
{
    uint64_t copy = cpu_copy_cycles(c, copy_bytes);
    uint64_t sum = c->cfg.copy_setup_cycles + cpu_csum_cycles(c, csum_bytes);
    return sum > copy ? sum : copy;
}

uint64_t cpu_wakeup_cycles(const cpu *c) { return c->cfg.wakeup_cycles; }
uint64_t cpu_wake_ps(cpu *c, unsigned core_id, uint64_t t_ps)
{
    assert(core_id < c->cfg.cores);
    uint64_t b = c->cores[core_id].time.busy_until_ps;
    if (t_ps <= b)
        return 0; /* it runs something: the thread waits its turn on the reservation */
    return c->cfg.wakeup_ps + cpuidle_exit_ps(c->idle, core_id, t_ps - b);
}
double cpu_ghz(const cpu *c) { return c->cfg.ghz; }

uint64_t cpu_core_busy_ps(const cpu *c, unsigned core_id)
{
    assert(core_id < c->cfg.cores);
    return c->cores[core_id].busy.window_ps;
}

uint64_t cpu_core_booked_ps(const cpu *c, unsigned core_id)
{
    assert(core_id < c->cfg.cores);
    return c->cores[core_id].busy.booked_ps;
}

uint64_t cpu_busy_until_ps(const cpu *c, unsigned core_id)
{
    assert(core_id < c->cfg.cores);
    return c->cores[core_id].time.busy_until_ps;
}

uint64_t cpu_cycles(const cpu *c, cpu_who who) { return c->cycles[who]; }
