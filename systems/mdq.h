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
 * The model follows sim_model_ops (sim/run.h). It registers pointers to its own
 * counters, so the stats must be written before mdq_destroy. */
#ifndef MODELS_SYNTH_MDQ_H
#define MODELS_SYNTH_MDQ_H

#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"

void mdq_register_params(sim_params *p);
/* No cross-parameter constraint: an overloaded queue (load >= 1) is a legal
 * experiment. Always 0. */
int mdq_check(const sim_params *p, sim_err *e);
/* Registers stats and metrics in ctx->stats and schedules the first arrival. */
void *mdq_build(const sim_ctx *ctx, sim_err *e);
void mdq_destroy(void *m);

#endif
