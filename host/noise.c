#include "host/noise.h"

#include <assert.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/alloc.h"
#include "sim/rng.h"

/* The noise.* parameters. */
typedef struct noise_cfg {
    bool detours, refill, exit_refill;
    double cost_sigma;
    double detour_hz;
    uint64_t detour_ps;
    uint64_t refill_cycles;
} noise_cfg;

static const sim_param_def noise_params[] = {
    {"noise.detours", SIM_PARAM_BOOL, "true", NULL, "",
     "Kernel detours other than the tick (softirqs, kernel threads) preempt each core at "
     "random times",
     SIM_AT(noise_cfg, detours)},
    {"noise.detour_hz", SIM_PARAM_DOUBLE, "25", "0..1e6", "Hz",
     "Mean rate of detours per core (a Poisson process)", SIM_AT(noise_cfg, detour_hz)},
    {"noise.detour_ns", SIM_PARAM_DOUBLE, "10000", "0..1e9", "ns",
     "Mean duration of a detour (exponentially distributed)", SIM_AT(noise_cfg, detour_ps)},
    {"noise.refill", SIM_PARAM_BOOL, "true", NULL, "",
     "After each wake-up (a context switch into a halted vCPU or a blocked thread) it refills "
     "the caches and TLB what ran meanwhile evicted",
     SIM_AT(noise_cfg, refill)},
    {"noise.exit_refill", SIM_PARAM_BOOL, "false", NULL, "",
     "The guest refills its caches and TLB after each VM exit as well",
     SIM_AT(noise_cfg, exit_refill)},
    {"noise.refill_cycles", SIM_PARAM_UINT, "1000", "0..10000000", "cycles",
     "Mean cycles of a refill (exponentially distributed)",
     SIM_AT(noise_cfg, refill_cycles)},
    {"noise.cost_sigma", SIM_PARAM_DOUBLE, "0.2", "0..2", "",
     "Each piece of CPU work (a stage's packet, a driver's interrupt or poll, an exit) takes "
     "its cycles times a lognormal factor of mean 1: the standard deviation of the factor's "
     "natural logarithm (0: every piece takes its cycles)",
     SIM_AT(noise_cfg, cost_sigma)},
};

/* The cost factor's distribution as COST_LEVELS equally likely values: the lognormal's
 * quantiles at the middle of each 1/COST_LEVELS of probability, scaled so their mean is
 * one (CPU_COST_FACTOR_ONE) to within rounding. A draw is one table look-up by the top
 * bits of a random number: the tails beyond the outermost levels (p < 1/8192) are cut. */
#define COST_LEVEL_BITS 12
#define COST_LEVELS (1u << COST_LEVEL_BITS)
_Static_assert(COST_LEVELS == NOISE_COST_LEVELS, "host/noise.h's count of levels");

/* The standard normal's distribution function. */
static double normal_cdf(double x) { return 0.5 * erfc(-x / M_SQRT2); }

/* The standard normal's p-quantile (C has no inverse of erfc): bisection for a start,
 * with no guess to go on; else Newton's steps from `guess` (the previous level's
 * quantile, close by) until a step no longer moves it. The levels then cost a few
 * steps each instead of a bisection's eighty. */
static double normal_quantile(double p, const double *guess)
{
    if (!guess) {
        double lo = -10.0, hi = 10.0;
        for (int i = 0; i < 80; i++) {
            double mid = 0.5 * (lo + hi);
            if (normal_cdf(mid) < p)
                lo = mid;
            else
                hi = mid;
        }
        return 0.5 * (lo + hi);
    }
    double x = *guess;
    for (int i = 0; i < 50; i++) {
        double next = x - (normal_cdf(x) - p) * sqrt(2.0 * M_PI) * exp(0.5 * x * x);
        bool done = fabs(next - x) < 1e-15 * fmax(1.0, fabs(x));
        x = next;
        if (done)
            break;
    }
    return x;
}

void noise_levels_compute(double *z)
{
    for (unsigned i = 0; i < NOISE_COST_LEVELS; i++)
        z[i] = normal_quantile((i + 0.5) / NOISE_COST_LEVELS, i ? &z[i - 1] : NULL);
}

/* The standard normal's quantiles at the middle of each level, as noise_levels_compute
 * gives them (printed with %a): they do not depend on noise.cost_sigma, and computing
 * them (4,096 Newton's steps through erfc and exp) was half the set-up of a paths point.
 * tests/test_noise.c checks the table against the computation. */
static const double std_quantile[NOISE_COST_LEVELS] = {
#include "host/noise_levels.inc"
};

const double *noise_levels(void) { return std_quantile; }

static void cost_table_fill(uint32_t *table, double sigma)
{
    double f[COST_LEVELS], sum = 0;
    for (unsigned i = 0; i < COST_LEVELS; i++) {
        f[i] = exp(sigma * std_quantile[i]);
        sum += f[i];
    }
    for (unsigned i = 0; i < COST_LEVELS; i++)
        table[i] = (uint32_t)llround(f[i] / (sum / COST_LEVELS) * CPU_COST_FACTOR_ONE);
}

enum { CORE_NONE, CORE_VCPU, CORE_APP, CORE_HOST };

typedef struct noise_core {
    uint8_t kind;
    sim_rng detour_rng, refill_rng, cost_rng;
    uint64_t next_ps; /* the core's next detour */
} noise_core;

struct noise {
    noise_cfg cfg;
    sim_kernel *kernel;
    cpu *cpu;
    hv *hv;
    sim_event *ev;
    noise_core *core;
    unsigned ncores;
    uint64_t detours, detour_ps, refill_cycles;
    uint32_t *cost_table; /* COST_LEVELS factors; NULL: noise.cost_sigma = 0 */
};

void noise_register_params(sim_params *p)
{
    sim_params_add_table(p, noise_params, SIM_TABLE_LEN(noise_params));
}


static uint64_t refill(void *ctx, unsigned core, hv_refill_why why)
{
    noise *n = ctx;
    assert(core < n->ncores);
    if (why == HV_REFILL_WAKE ? !n->cfg.refill : !n->cfg.exit_refill)
        return 0;
    uint64_t c = (uint64_t)llround(sim_rng_exp(&n->core[core].refill_rng, (double)n->cfg.refill_cycles));
    n->refill_cycles += c;
    return c;
}

static uint32_t cost_factor(void *ctx, unsigned core)
{
    noise *n = ctx;
    assert(core < n->ncores);
    return n->cost_table[sim_rng_u64(&n->core[core].cost_rng) >> (64 - COST_LEVEL_BITS)];
}

static void on_detour(void *ctx);

noise *noise_create(const sim_params *p, sim_stats *stats, sim_kernel *k, cpu *c, hv *h,
                    uint64_t seed)
{
    noise *n = sim_xcalloc(1, sizeof *n);
    sim_params_load_table(p, noise_params, SIM_TABLE_LEN(noise_params), &n->cfg);
    n->kernel = k;
    n->cpu = c;
    n->hv = h;
    n->ncores = cpu_cores(c);
    n->core = sim_xcalloc(n->ncores, sizeof *n->core);
    for (unsigned i = 0; i < n->ncores; i++) {
        char name[48];
        snprintf(name, sizeof name, "noise.detour.%u", i);
        sim_rng_seed(&n->core[i].detour_rng, seed, name);
        snprintf(name, sizeof name, "noise.refill.%u", i);
        sim_rng_seed(&n->core[i].refill_rng, seed, name);
        snprintf(name, sizeof name, "noise.cost.%u", i);
        sim_rng_seed(&n->core[i].cost_rng, seed, name);
    }
    if (n->cfg.cost_sigma > 0) {
        n->cost_table = sim_xcalloc(COST_LEVELS, sizeof *n->cost_table);
        cost_table_fill(n->cost_table, n->cfg.cost_sigma);
        cpu_set_cost_factor(c, cost_factor, n);
    }
    if (n->cfg.detours && n->cfg.detour_hz > 0 && n->cfg.detour_ps > 0)
        n->ev = sim_event_create(k, "noise", on_detour, n);
    bool refills = (n->cfg.refill || n->cfg.exit_refill) && n->cfg.refill_cycles > 0;
    if (refills)
        hv_set_refill(h, refill, n);
    /* Counters only when a source is on: without them, the statistics are as before. */
    if (n->ev) {
        sim_stats_counter(stats, "noise.detours", &n->detours, "kernel detours taken (all cores)");
        sim_stats_counter(stats, "noise.detour_ps", &n->detour_ps, "time spent in detours (ps)");
    }
    if (refills)
        sim_stats_counter(stats, "noise.refill_cycles", &n->refill_cycles,
                          "cycles refilling caches and TLB after wake-ups (and exits: noise.exit_refill)");
    return n;
}

void noise_destroy(noise *n)
{
    if (!n)
        return;
    if (n->cost_table)
        cpu_set_cost_factor(n->cpu, NULL, NULL);
    free(n->cost_table);
    free(n->core);
    free(n);
}

static void add(noise *n, unsigned core, uint8_t kind)
{
    assert(core < n->ncores);
    if (n->core[core].kind == CORE_NONE)
        n->core[core].kind = kind;
}

void noise_add_vcpu(noise *n, unsigned core) { add(n, core, CORE_VCPU); }
void noise_add_app_core(noise *n, unsigned core) { add(n, core, CORE_APP); }
void noise_add_host_core(noise *n, unsigned core) { add(n, core, CORE_HOST); }

/* The time to a core's next detour. At least 1 ps, so the event always moves on. */
static uint64_t gap_ps(noise *n, noise_core *c)
{
    double g = sim_rng_exp(&c->detour_rng, (double)SIM_PS_PER_S / n->cfg.detour_hz);
    return g < 1.0 ? 1 : (uint64_t)llround(g);
}

static void arm(noise *n)
{
    uint64_t next = UINT64_MAX;
    for (unsigned i = 0; i < n->ncores; i++)
        if (n->core[i].kind != CORE_NONE && n->core[i].next_ps < next)
            next = n->core[i].next_ps;
    if (next != UINT64_MAX)
        sim_event_notify_at(n->ev, next);
}

void noise_start(noise *n, uint64_t t_ps)
{
    if (!n->ev)
        return;
    for (unsigned i = 0; i < n->ncores; i++)
        if (n->core[i].kind != CORE_NONE)
            n->core[i].next_ps = t_ps + gap_ps(n, &n->core[i]);
    arm(n);
}

static void detour(noise *n, unsigned core, uint64_t now)
{
    noise_core *c = &n->core[core];
    double d = sim_rng_exp(&c->detour_rng, (double)n->cfg.detour_ps);
    uint64_t cycles = (uint64_t)llround(d * cpu_ghz(n->cpu) / 1000.0);
    uint64_t u = now;
    if (c->kind == CORE_VCPU)
        u = hv_host_irq_on_vcpu(n->hv, core, u, NULL);
    cpu_run_drawn(n->cpu, core, u, cycles, c->kind == CORE_APP ? CPU_GUEST : CPU_HOST, true);
    n->detours++;
    n->detour_ps += cpu_cycles_to_ps(n->cpu, cycles);
}

static void on_detour(void *ctx)
{
    noise *n = ctx;
    uint64_t now = sim_now_ps(n->kernel);
    for (unsigned i = 0; i < n->ncores; i++) {
        noise_core *c = &n->core[i];
        if (c->kind == CORE_NONE || c->next_ps != now)
            continue;
        detour(n, i, now);
        c->next_ps = now + gap_ps(n, c);
    }
    arm(n);
}

uint64_t noise_detours(const noise *n) { return n->detours; }
uint64_t noise_refill_cycles(const noise *n) { return n->refill_cycles; }
