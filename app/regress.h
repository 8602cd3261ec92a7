/* Regression scenarios: a workload FILE.ini runs as a normal sweep and its metrics are
 * compared with FILE.expect, one row per point and metric:
 *
 *     # POINT                         METRIC               EXPECTED   TOLERANCE
 *     dma.op=read,dma.size_bytes=64   dma_gbps             44.096     0.001%
 *     mdq.arrival_rate_mpps=0.9       mdq_sojourn_ns_mean  @mdq_sojourn_ns_theory  2%
 *
 * POINT is the point's swept values (app_manifest_point_label: name=value joined by
 * commas, "-" when nothing is swept); EXPECTED a number, nan (a metric with nothing to
 * measure, such as a latency without samples: only nan matches it) or @METRIC (another
 * metric of the same point: a check against theory rather than against the past);
 * TOLERANCE N% (relative) or N (absolute). Every point needs at least one row, so a new
 * point cannot go unchecked.
 *
 * Updating rewrites the numbers with the new run's values and prints each change; it
 * keeps comments, tolerances, @ rows and the choice of metrics (a row deleted by hand
 * stays deleted), drops rows of points or metrics that no longer exist, and adds every
 * metric of a point that has no row, at the default tolerance. */
#ifndef APP_REGRESS_H
#define APP_REGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"

/* What `make regress-update` writes for a new row: the runs are deterministic, so
 * this only absorbs the last digits of floating point across compilers. */
#define APP_REGRESS_DEFAULT_TOLERANCE "0.001%"

typedef struct app_regress_opts {
    bool update;
    bool quiet;          /* print failures and the summary only */
    unsigned jobs;       /* points at once */
    const char *out_dir; /* runs go to out_dir/<name>; NULL: results/regress */
} app_regress_opts;

/* Runs and checks (or updates) every scenario. Returns 0 when every row passes (or
 * the update went through), 1 when a row fails or a point failed, 2 on a bad
 * scenario or expect file (*e names file:line). */
int app_regress_run(const sim_model_ops *ops, const sim_params *registry,
                    const char *const *files, size_t n_files, const app_regress_opts *o,
                    sim_err *e);

#endif
