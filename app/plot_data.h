/* What one plot draws from a results folder: its curves (lines, a cdf per point) or
 * its bars (categories by curves), the values of its reference lines, and NAME.dat,
 * the data file its gnuplot script reads. Shared by the app/plot*.c files only. */
#ifndef APP_PLOT_DATA_H
#define APP_PLOT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "app/plot_spec.h"
#include "app/results.h"
#include "app/strlist.h"
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
} plot_data;

/* Collects what plot d->s draws from d->r; false when no point gives it anything. */
bool app_plot_data_collect(plot_data *d);
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
