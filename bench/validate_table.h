/* The validation programs' common part: points run in this process on the native
 * kernel, and a table of rows "[label] what, reference, simulated, deviation, pass|FAIL"
 * that make validate collects. A configuration or run failure is fatal (exit 2): a
 * validation that cannot run must not look like one that passed. */
#ifndef BENCH_VALIDATE_TABLE_H
#define BENCH_VALIDATE_TABLE_H

#include <stddef.h>

#include "sim/params.h"

/* `program` names the validator in messages. */
void val_init(const char *program);
/* A registry with every parameter at its default. */
sim_params *val_registry(void);
/* Set a parameter or exit 2 with the message. */
void val_set(sim_params *p, const char *name, const char *value);
/* Set a parameter to a number (%u, %g). */
void val_set_uint(sim_params *p, const char *name, unsigned value);
void val_set_double(sim_params *p, const char *name, double value);
/* The measured window: run.warmup_us and run.duration_us. */
void val_set_window(sim_params *p, double warmup_us, double duration_us);
/* Check and run the point; the named metric (NAN when the point has none). */
double val_run_metric(sim_params *p, const char *metric);
/* val_run_metric, then p destroyed: for a point built for one number. */
double val_run_metric_once(sim_params *p, const char *metric);
/* Check and run the point once; values[i] is the metric names[i] or, when the point has
 * no such metric, the statistic of that name in its stats.txt (NAN when neither). */
void val_run_values(sim_params *p, size_t n, const char *const *names, double *values);
/* The platform file a validator runs on, into out: `def` (a path from the source folder)
 * under $TOP_SRCDIR when that is set, else from the current folder, or the FILE of
 * --platform FILE. -h or --help prints `usage` and exits 0; any other argument exits 2
 * naming it. */
void val_platform_args(int argc, char **argv, const char *def, const char *usage, char *out,
                       size_t n);
/* Load a workload file (a platform) into p: its settings and its first point. */
void val_load(sim_params *p, const char *path);
/* The kind of the rows that follow (e.g. "calibration", "validation"), printed in a
 * column of its own before `what`; NULL (the default) prints no such column. */
void val_label(const char *label);
/* Print a row and count it: pass when |simulated/reference - 1| <= tolerance. */
void val_row(const char *what, double reference, double simulated, double tolerance);
/* A row whose reference is a range: pass when low <= simulated <= high. The deviation
 * printed is the distance outside the range relative to the nearer bound (0 inside). */
void val_row_range(const char *what, double low, double high, double simulated);
/* A row whose reference is a lower bound: pass when simulated >= low. */
void val_row_at_least(const char *what, double low, double simulated);
/* A row printed for context and not counted: a published figure from a system the model
 * does not represent (another era's CPU, another hypervisor), shown with its deviation
 * so the comparison is in the table; "-" in the verdict column. */
void val_row_context(const char *what, double reference, double simulated);
/* Print the closing line "N checks, N passed, N failed" (and the context rows); the exit
 * status. */
int val_finish(void);

#endif
