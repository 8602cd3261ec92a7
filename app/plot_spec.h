/* A [plot NAME] section parsed and checked (the keys are in app/plot.h): what a plot's
 * checks (plot_check.c), data (plot_data.c) and gnuplot script (plot_gnuplot.c) are
 * made from. Shared by the app/plot*.c files only. */
#ifndef APP_PLOT_SPEC_H
#define APP_PLOT_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "app/results.h"
#include "app/strlist.h"
#include "app/workload.h"
#include "sim/err.h"
#include "sim/params.h"

typedef enum plot_kind { PLOT_LINES, PLOT_BARS, PLOT_STACKED, PLOT_CDF, PLOT_TIMESERIES } plot_kind;
/* A timeseries plot's x: the time column of a point's timeseries.csv (sim/timeseries.h). */
#define PLOT_TIME_X "time_us"

/* A `where` item: PARAM=VALUE, or PARAM!=VALUE when negate. */
typedef struct plot_filter {
    char *param;
    char *value; /* canonical */
    bool negate;
} plot_filter;

typedef struct plot_hline {
    double value;
    char *metric; /* NULL: a constant */
    char *label;
} plot_hline;

typedef struct plot_spec {
    char *name;
    char *where; /* of the [plot NAME] line */
    plot_kind kind;
    char *x;
    bool x_metric; /* lines only: x names a metric, not a parameter */
    bool y_metrics; /* timeseries with every metric sampled: its y are metrics to check */
    char *x_where;
    app_strlist y;
    char *y_where;
    app_strlist labels;
    app_strlist series; /* with the swept parameters the plot leaves free */
    plot_filter *filters;
    size_t n_filters;
    bool logx, logy;
    char *title, *xlabel, *ylabel, *series_label;
    bool png, svg;
    unsigned width, height;
    plot_hline *hlines;
    size_t n_hlines;
    char *hline_where;
    bool marks; /* timeseries: the points' events.csv drawn as dashed lines (default) */
} plot_spec;

/* Parses and checks [plot] section `i` of `w` into `s` (which the caller frees with
 * app_plot_spec_free either way): keys, parameters, `where` values against the sweep
 * `m` and, when `point0` (the parameters of the sweep's first point) is given, against
 * the value of a parameter that is not swept. Metrics and histograms are left to
 * plot_check.h. -1 with *e naming file:line; 1 (*e says why, naming file:line) when the
 * plot is right but its `where` matches no point of `m`: it has nothing to draw. */
int app_plot_spec_parse(const app_workload *w, size_t i, const sim_params *reg,
                        const app_manifest *m, const sim_params *point0, plot_spec *s,
                        sim_err *e);
void app_plot_spec_free(plot_spec *s);

/* Whether point `i` of `r` finished and passes the plot's `where`. */
bool app_plot_spec_selects(const plot_spec *s, const app_results *r, size_t i);

/* The closest of `names` to `name` when close enough to be a typo, else NULL: the one
 * rule of the plots' suggestions. */
const char *app_plot_closest(const char *name, const char *const *names, size_t n);

/* Whether parameter `name` is a number (an integer or a double). */
bool app_plot_param_numeric(const sim_params *p, const char *name);

#endif
