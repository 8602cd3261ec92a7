/* The validation programs' common part: points run in this process on the native
 * kernel, and a table of rows "what, reference, simulated, deviation, pass|FAIL" that
 * make validate collects. A configuration or run failure is fatal (exit 2): a
 * validation that cannot run must not look like one that passed. */
#ifndef BENCH_VALIDATE_TABLE_H
#define BENCH_VALIDATE_TABLE_H

#include "sim/params.h"

/* `program` names the validator in messages. */
void val_init(const char *program);
/* A registry with every parameter at its default. */
sim_params *val_registry(void);
/* Set a parameter or exit 2 with the message. */
void val_set(sim_params *p, const char *name, const char *value);
/* Check and run the point; the named metric (NAN when the point has none). */
double val_run_metric(sim_params *p, const char *metric);
/* Print a row and count it: pass when |simulated/reference - 1| <= tolerance. */
void val_row(const char *what, double reference, double simulated, double tolerance);
/* Print the closing line "N checks, N passed, N failed"; the exit status. */
int val_finish(void);

#endif
