/* Benchmark support: run one simulation point in a forked child (a process can
 * elaborate SystemC only once, and a crash stays in the child) and bring back the host
 * time, the kernel's event count and chosen metrics through a pipe. */
#ifndef BENCH_BENCH_POINT_H
#define BENCH_BENCH_POINT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/params.h"
#include "sim/run.h"

#define BENCH_MAX_METRICS 8

typedef struct bench_point {
    int ok;
    uint64_t events;
    double host_seconds;
    double metrics[BENCH_MAX_METRICS]; /* NAN where the point has no such metric */
    char err[1024];
} bench_point;

/* Runs the point `p` with the model operations `ops`; metrics[i] of the result holds
 * the metric named names[i] (n <= BENCH_MAX_METRICS). */
void bench_run_forked(const sim_model_ops *ops, const sim_params *p, const char *const *names,
                      size_t n, bench_point *out);

/* Runs fn(ctx, out) in a forked child and brings its out_bytes of result back through a
 * pipe. 0, or -1 with err saying how the child failed (its result is then zeroed). */
int bench_fork(void (*fn)(void *ctx, void *out), void *ctx, void *out, size_t out_bytes,
               char *err, size_t err_len);

/* bench_run_forked of the point p with the workload kinds (systems_ops), metric
 * `metric`, then frees p; -1 with the point's error on stderr, after `what`. */
int bench_run_metric(sim_params *p, const char *metric, bench_point *out, const char *what);

/* A registry with the run's and every model's parameters. */
sim_params *bench_registry(const sim_model_ops *ops);
/* sim_params_set that reports a failure and returns -1. */
int bench_set(sim_params *p, const char *name, const char *value);

#endif
