/* A sweep: every point of a workload, each in its own forked process (SystemC
 * elaborates once per process), up to `jobs` at a time. Each point writes
 * <out>/points/<NNNN>/ whole (temp + rename): params.txt (every parameter's value),
 * stats.txt, result.txt (status and metrics) and host.txt (host time, kept apart
 * because it is not deterministic). When all are done, <out>/results.csv is assembled
 * in point order: the swept parameters, then `status`, the metrics, and `error` (empty
 * for a point that finished). A point that crashes or exceeds run.timeout_s leaves a
 * row with its error; the others go on. --resume keeps the points whose result says
 * ok for the same axis values and runs the rest. */
#ifndef SIM_SWEEP_H
#define SIM_SWEEP_H

#include <stdbool.h>

#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"
#include "sim/workload.h"

typedef struct sim_sweep_opts {
    const char *out_dir; /* NULL: results/<run.name or workload name>/ */
    unsigned jobs;       /* parallel points, >= 1 */
    bool resume;
    bool quiet;    /* no per-point lines on stdout */
    bool progress; /* a progress line on stderr (the caller sets it for a terminal) */
} sim_sweep_opts;

/* Checks every point first (values, cross-parameter rules): any problem returns 2
 * before a point runs. Then runs. Returns 0 when every point finished, 1 when some
 * point failed, 2 on a configuration or output-folder problem (*e says which). */
int sim_sweep_run(const sim_model_ops *ops, const sim_workload *w, const sim_params *registry,
                  const sim_sweep_opts *o, sim_err *e);

#endif
