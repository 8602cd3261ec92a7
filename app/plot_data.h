/* What one plot draws from a results folder: its curves (lines, a cdf per point) or
 * its bars (categories by curves), the values of its reference lines, a timeseries'
 * marks (the events of the points it draws), and NAME.dat, the data file its gnuplot
 * script reads. Shared by the app/plot*.c files only. */
#ifndef APP_PLOT_DATA_H
#define APP_PLOT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "app/plot_spec.h"
#include "app/results.h"
#include "app/strlist.h"
#include "sim/err.h"
#include "sim/params.h"

typedef struct plot_curve {
    char *key;   /* series values joined, plus the y index */
    char *title; /* legend text */
    size_t y;
    double *xs, *ys;
    size_t *order; /* point index of each sample (ties in x keep sweep order) */
    size_t n, cap;
    size_t point; /* cdf: the point drawn */
} plot_curve;

typedef struct plot_curves {
    plot_curve *v;
    size_t n;
} plot_curves;

/* An event a point's model recorded (sim_stats_mark), from its events.csv. */
typedef struct plot_mark {
    double t_us; /* simulated time, as timeseries.csv's time_us */
    char *label;
    bool late; /* after the last row of its point's time series: the run ended first */
} plot_mark;

typedef struct plot_marks {
    plot_mark *v;
    size_t n, cap;
} plot_marks;

/* Appends the marks of the events.csv at `path` (sim/run.h: "time_us,event", then
 * TIME,LABEL rows) to `out` in the file's order; a missing file has none. -1 with *e
 * naming path:line for a file that is not of that form (a time that is not a number
 * of microseconds, a row without its label's comma or with another), or path alone
 * for one that cannot be read. */
int app_plot_events_read(const char *path, plot_marks *out, sim_err *e);
void app_plot_marks_free(plot_marks *m);

typedef struct plot_data {
    /* set by the caller */
    const plot_spec *s;
    const app_results *r;
    const sim_params *reg;
    const char *plot_file; /* named in the .dat's header */
    /* collected */
    plot_curves c;
    char cdf_unit[64];
    double *hvals; /* hline values (a metric's from the first matching point) */
    bool *hok;
    /* bars: categories (x values as text) in sweep order, cells [category][curve] */
    app_strlist cats;
    double *cells;
    /* timeseries with marks on: the events of the points it draws, by time (stably, in
     * point order), an identical time and label once */
    plot_marks marks;
} plot_data;

/* Collects what plot d->s draws from d->r: 0, or 1 when no point gives it anything, or
 * -1 with *e naming the file and line of a point's events.csv it cannot read. */
int app_plot_data_collect(plot_data *d, sim_err *e);
void app_plot_data_free(plot_data *d);

/* NAME.dat: for bars one row per category, else one block (gnuplot index) per curve. */
void app_plot_data_write(const plot_data *d, FILE *f);

/* A number as gnuplot reads it; NaN (a bar with no value) as NaN. */
void app_plot_data_number(FILE *f, double v);

/* Whether parameter `name` counts bytes. */
bool app_plot_data_param_bytes(const sim_params *p, const char *name);
/* A byte count that is a whole number of KiB as "64 KiB" (MiB, GiB, TiB); false
 * (buf untouched) for anything else. */
bool app_plot_data_bytes_text(double v, char *buf, size_t len);

#endif
