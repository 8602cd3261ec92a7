#include "bench/validate_table.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_point.h"
#include "sim/run.h"
#include "systems/kinds.h"

static const char *prog = "validate";
static int rows, failures;

void val_init(const char *program) { prog = program; }

sim_params *val_registry(void) { return bench_registry(&systems_ops); }

void val_set(sim_params *p, const char *name, const char *value)
{
    if (bench_set(p, name, value) < 0)
        exit(2);
}

double val_run_metric(sim_params *p, const char *metric)
{
    sim_err e = {{0}};
    if (systems_ops.check(p, &e) < 0) {
        fprintf(stderr, "%s: bad configuration: %s\n", prog, e.msg);
        exit(2);
    }
    sim_point_result r;
    if (sim_run_point(&systems_ops, p, NULL, &r, &e) < 0) {
        fprintf(stderr, "%s: run failed: %s\n", prog, e.msg);
        exit(2);
    }
    double v = NAN;
    for (size_t i = 0; i < r.metrics; i++)
        if (!strcmp(r.metric_names[i], metric))
            v = r.metric_values[i];
    sim_point_result_free(&r);
    return v;
}

void val_row(const char *what, double reference, double simulated, double tolerance)
{
    double dev = (simulated - reference) / reference;
    bool ok = fabs(dev) <= tolerance;
    rows++;
    failures += !ok;
    printf("%-50s %10.2f %10.2f %8.2f%%  %s\n", what, reference, simulated, 100.0 * dev,
           ok ? "pass" : "FAIL");
}

int val_finish(void)
{
    printf("%d checks, %d passed, %d failed\n", rows, rows - failures, failures);
    return failures ? 1 : 0;
}
