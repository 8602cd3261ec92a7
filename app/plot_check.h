/* The metrics and histograms plots name, checked against the names points register:
 * before a sweep by building points without running them, and before drawing against
 * what a results folder holds. Shared by the app/plot*.c files only. */
#ifndef APP_PLOT_CHECK_H
#define APP_PLOT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "app/plot_spec.h"
#include "app/results.h"
#include "app/workload.h"
#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"

/* Builds points of `w` in a forked process until every name the `n` plots of `v` use
 * has been registered (app_plots_check_build). */
int app_plot_check_build(const plot_spec *v, size_t n, const sim_model_ops *ops,
                         const app_workload *w, const sim_params *reg, sim_err *e);

/* Checks the names each of the `n` plots of `v` uses against what the results hold; a
 * plot that names something they lack is reported on stderr and marked in `skip`.
 * Returns how many. */
size_t app_plot_check_results(const plot_spec *v, size_t n, const app_results *r,
                              const sim_params *reg, bool *skip);

#endif
