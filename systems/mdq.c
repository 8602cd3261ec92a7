/* A synthetic M/D/1 queue: Poisson arrivals, one server, deterministic service time.
 * It exercises the whole framework (parameters, kernel, statistics, runs, sweeps)
 * before the hardware models exist, and its mean sojourn time has a closed form
 * (Pollaczek-Khinchine) that tests compare against.
 *
 * Parameters
 *   mdq.arrival_rate_mpps  Poisson arrival rate, million per second (default 1)
 *   mdq.service_ns         service time per request (default 500; rounded to 1 ps)
 *
 * Stats: mdq.arrivals, mdq.busy_ps, mdq.sojourn_ps (histogram), mdq.load (derived).
 * Metrics: mdq_throughput_mpps, mdq_sojourn_ns_mean, mdq_sojourn_ns_p50,
 * mdq_sojourn_ns_p99, mdq_utilization, mdq_sojourn_ns_theory.
 *
 * It registers pointers to its own counters, so the stats must be written before the
 * system is destroyed.
 *
 * The framework's timing style (docs/ARCHITECTURE.md): the server is a
 * reservation, so one event per arrival is the whole cost. At an arrival the request
 * reserves the server (start = max(now, busy_until); busy_until = start + service)
 * and its sojourn time is known at once; no event marks its start or completion.
 *
 * Accounting, all counted at the arrival (when the reservation is made):
 *   mdq.arrivals   requests that arrived in the measurement window;
 *   mdq.busy_ps    service time reserved by those requests. Requests queued at the
 *                  window's start were counted (and zeroed) in warm-up; requests
 *                  queued at its end are counted although they finish later. For a
 *                  stable queue these edges are a few requests; under overload
 *                  (load >= 1) mdq_utilization therefore reports the offered load,
 *                  which may exceed 1, instead of saturating at 1.
 *   mdq.sojourn_ps arrival to completion, every request that arrived in the window. */
#include "systems/kinds.h"

#include <math.h>
#include <stdlib.h>

#include "sim/alloc.h"
#include "sim/kernel.h"
#include "sim/rng.h"
#include "sim/stats.h"

typedef struct mdq {
    sim_kernel *kernel;
    sim_event *arrival;
    sim_rng rng;
    double mean_gap_ps;  /* mean inter-arrival time */
    double gap_frac_ps;  /* sub-picosecond remainder carried to the next gap */
    uint64_t service_ps;
    uint64_t busy_until_ps;
    uint64_t arrivals;
    uint64_t busy_ps;
    sim_hist *sojourn_ps;
} mdq;

typedef struct mdq_cfg {
    double arrival_rate_mpps;
    uint64_t service_ps;
} mdq_cfg;

/* The rate and service time must be positive; the lower bounds are the smallest values
 * that still mean something: one arrival per simulated second, and the kernel's 1 ps
 * resolution. */
static const sim_param_def mdq_params[] = {
    {"mdq.arrival_rate_mpps", SIM_PARAM_DOUBLE, "1", "1e-6..1e4", "Mpps",
     "M/D/1 queue: Poisson arrival rate, million requests per second",
     SIM_AT(mdq_cfg, arrival_rate_mpps)},
    {"mdq.service_ns", SIM_PARAM_DOUBLE, "500", "1e-3..1e9", "ns",
     "M/D/1 queue: deterministic service time per request (rounded to 1 ps)",
     SIM_AT(mdq_cfg, service_ps)},
};

static void mdq_register_params(sim_params *p)
{
    sim_params_add_table(p, mdq_params, SIM_TABLE_LEN(mdq_params));
}

/* Exponential gaps are drawn as doubles and truncated to whole picoseconds, with the
 * remainder carried over: truncating each gap alone would shorten the mean gap by
 * ~0.5 ps, a 0.5% rate error at 10^4 Mpps. */
static void schedule_next_arrival(mdq *m)
{
    double u = sim_rng_double(&m->rng); /* [0, 1) */
    m->gap_frac_ps += -log1p(-u) * m->mean_gap_ps;
    double whole_ps = floor(m->gap_frac_ps);
    m->gap_frac_ps -= whole_ps;
    sim_event_notify(m->arrival, (uint64_t)whole_ps);
}

static void on_arrival(void *ctx)
{
    mdq *m = ctx;
    uint64_t now_ps = sim_now_ps(m->kernel);
    uint64_t start_ps = now_ps > m->busy_until_ps ? now_ps : m->busy_until_ps;
    m->busy_until_ps = start_ps + m->service_ps;
    m->arrivals++;
    m->busy_ps += m->service_ps;
    sim_hist_add(m->sojourn_ps, m->busy_until_ps - now_ps);
    schedule_next_arrival(m);
}

/* Offered load rho = lambda * S, from the parameters as simulated (S in whole ps). */
static double offered_load(const mdq *m) { return (double)m->service_ps / m->mean_gap_ps; }

static double d_load(const sim_stats *s, void *ctx)
{
    (void)s;
    return offered_load(ctx);
}

static double m_throughput_mpps(const sim_stats *s, void *ctx)
{
    const mdq *m = ctx;
    uint64_t elapsed_ps = sim_stats_elapsed_ps(s);
    /* per ps -> per us: 10^6 */
    return elapsed_ps ? (double)m->arrivals * 1e6 / (double)elapsed_ps : 0.0;
}

static double m_utilization(const sim_stats *s, void *ctx)
{
    const mdq *m = ctx;
    uint64_t elapsed_ps = sim_stats_elapsed_ps(s);
    return elapsed_ps ? (double)m->busy_ps / (double)elapsed_ps : 0.0;
}

/* Pollaczek-Khinchine for M/D/1: W = S + rho * S / (2 * (1 - rho)). At rho >= 1 the
 * queue grows without bound and so does the mean: +inf (never NaN, never a negative
 * number from the formula). */
static double m_sojourn_ns_theory(const sim_stats *s, void *ctx)
{
    (void)s;
    const mdq *m = ctx;
    double rho = offered_load(m);
    if (rho >= 1.0)
        return INFINITY;
    double service_ns = (double)m->service_ps / 1e3;
    return service_ns + rho * service_ns / (2.0 * (1.0 - rho));
}

static void *mdq_build(const sim_ctx *ctx, const sys_observers *obs, sim_err *e)
{
    (void)obs;
    mdq *m = sim_xcalloc(1, sizeof *m);
    mdq_cfg c;
    sim_params_load_table(ctx->params, mdq_params, SIM_TABLE_LEN(mdq_params), &c);
    m->kernel = ctx->kernel;
    m->mean_gap_ps = 1e6 / c.arrival_rate_mpps; /* 1 Mpps = one per 10^6 ps */
    m->service_ps = c.service_ps;
    if (m->service_ps == 0)
        m->service_ps = 1;
    sim_rng_seed(&m->rng, ctx->seed, "mdq");

    sim_stats *st = ctx->stats;
    sim_stats_counter(st, "mdq.arrivals", &m->arrivals, "requests that arrived");
    sim_stats_counter(st, "mdq.busy_ps", &m->busy_ps,
                      "service time reserved by the requests that arrived, wherever it lies "
                      "(ps)");
    m->sojourn_ps = sim_stats_hist(st, "mdq.sojourn_ps", "ps", "arrival to completion");
    sim_stats_derived(st, "mdq.load", d_load, m, "offered load lambda*S (parameters)");
    sim_stats_metric(st, "mdq_throughput_mpps", "M/s", m_throughput_mpps, m,
                     "requests that arrived in the window, per us of it");
    sim_stats_mean_metric(st, "mdq_sojourn_ns_mean", "ns", m->sojourn_ps, 1e3,
                          "mean sojourn time, arrival to completion, of the requests that "
                          "arrived in the window");
    sim_stats_quantile_metric(st, "mdq_sojourn_ns_p50", "ns", m->sojourn_ps, 0.5, 1e3,
                              "median sojourn time (as mdq_sojourn_ns_mean)");
    sim_stats_quantile_metric(st, "mdq_sojourn_ns_p99", "ns", m->sojourn_ps, 0.99, 1e3,
                              "99th percentile sojourn time (as mdq_sojourn_ns_mean)");
    sim_stats_metric(st, "mdq_utilization", "ratio", m_utilization, m,
                     "service time the requests that arrived in the window reserved, over "
                     "the window: the server's utilisation for a stable queue, the offered "
                     "load (above 1) when overloaded");
    sim_stats_metric(st, "mdq_sojourn_ns_theory", "ns", m_sojourn_ns_theory, m,
                     "Pollaczek-Khinchine mean sojourn time for the simulated arrival rate "
                     "and service time; inf when the load is 1 or more");

    m->arrival = sim_event_create(ctx->kernel, "mdq.arrival", on_arrival, m);
    schedule_next_arrival(m);
    return m;
}

static void mdq_destroy(void *m) { free(m); }

/* No cross-parameter constraint: an overloaded queue (load >= 1) is a legal experiment. */
const sys_kind sys_kind_mdq = {
    .name = "mdq",
    .doc = "M/D/1 queue (framework self-check)",
    .register_params = mdq_register_params,
    .build = mdq_build,
    .destroy = mdq_destroy,
};
