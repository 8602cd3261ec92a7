/* Figures from [plot NAME] sections, drawn with gnuplot into <results>/plots/ as PNG
 * and SVG, with the generated NAME.gp and NAME.dat kept beside the images so a user can
 * edit and redraw (cd plots && gnuplot NAME.gp).
 *
 *   [plot throughput]
 *   kind   = lines              lines (with points) | bars | stacked | cdf | timeseries
 *   x      = dma.size_bytes     a parameter (a metric too for lines; a histogram for cdf;
 *                               none for timeseries: time)
 *   y      = dma_gbps           one or more metrics (not for cdf; for timeseries, columns
 *                               of the points' timeseries.csv: what run.sample names)
 *   labels = payload            legend text for each y (default: the metric names)
 *   series = dma.op             one curve (or bar) per value of these parameters
 *   series_label = {dma.op}     legend text of a series: {PARAM} is its value
 *   where  = dma.cache=warm     only points with these values (PARAM=VALUE or
 *                               PARAM!=VALUE, comma-separated)
 *   logx   = true               logarithmic axes (logy too); not for bars
 *   title  = ...                default: the plot's name
 *   xlabel = ...                default: the name and its unit
 *   ylabel = ...
 *   hline  = 57.88 TLP rate     reference lines: VALUE or METRIC, then a label;
 *                               several separated by '|'
 *   format = png, svg           default both
 *   size   = 900x560            pixels
 *   marks  = false              timeseries: leave off the events the points' models
 *                               recorded (events.csv), which are drawn by default as
 *                               dashed lines at their times with their labels
 *
 * Swept parameters that are neither x, a series nor fixed by `where` join the series,
 * so every point has its own curve and none is averaged away; one whose values follow
 * one of those (zipped with it, as a window's length with the VMs) stays out.
 *
 * Checks happen when the workload loads: keys, parameters, `where` values (a swept
 * parameter's value must be one of its axis values), and, by building points without
 * running them, the metrics and histograms named; an error names file:line. */
#ifndef APP_PLOT_H
#define APP_PLOT_H

#include <stdbool.h>

#include "app/results.h"
#include "app/workload.h"
#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"

typedef struct app_plots app_plots;

/* Parses and checks every [plot] of `w` for the sweep `m` (its axes and values);
 * `point0`, the parameters of the sweep's first point when known (else NULL), lets a
 * `where` on a parameter that is not swept be checked too. The first bad plot (or one
 * whose where matches no point) makes it return NULL, or, when `lenient`, is left out:
 * a bad one reported on stderr, one that matches no point kept as a note. */
app_plots *app_plots_load(const app_workload *w, const sim_params *registry,
                          const app_manifest *m, const sim_params *point0, bool lenient,
                          sim_err *e);
void app_plots_destroy(app_plots *ps);

/* Builds points of `w` (native kernel, nothing runs) in a forked process until every
 * metric and histogram the plots name has been registered by some point; -1 naming
 * the plot's file:line (and the closest name) for one that none registers. */
int app_plots_check_build(const app_plots *ps, const sim_model_ops *ops, const app_workload *w,
                          const sim_params *registry, sim_err *e);

/* Copies the [plot] sections of `w` to DIR/plots.ini (removes it when there are none). */
int app_plots_save(const app_workload *w, const char *dir, sim_err *e);

typedef struct app_plot_opts {
    bool quiet; /* no "plot: ..." lines on stdout, no notes (of plots not drawn) on stderr */
} app_plot_opts;

/* Draws the plots of `plot_file` (NULL: DIR/plots.ini) from the results folder DIR.
 * gnuplot is $IOVSIM_GNUPLOT, else the one configure found, else `gnuplot` on PATH;
 * when it is missing the .gp and .dat files are still written and one message says
 * how to install it. A plot that names something the results lack, or that draws a
 * point whose events.csv is damaged, is reported on stderr (file:line) and skipped; the
 * others are drawn. A plot with nothing to draw
 * (its where selects no finished point: the sweep that ran is not the one it was
 * written for) is skipped with a note unless quiet. Returns 0 when every plot with
 * something to draw was drawn (or there are none), 1 when some could not be (gnuplot
 * missing or failing) or no point finished, 2 when a plot was refused (reported) or
 * the folder or plot file cannot be read (*e says why). */
int app_plots_draw_dir(const char *dir, const char *plot_file, const sim_params *registry,
                       const app_plot_opts *o, sim_err *e);

#endif
