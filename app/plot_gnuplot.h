/* A plot's gnuplot script, NAME.gp: the style of plots/ (compiled in, so each script is
 * a standalone copy a user can edit), labels with units, axes that hug the data, and
 * one plot command per format; and running gnuplot on it. Shared by the app/plot*.c
 * files only. */
#ifndef APP_PLOT_GNUPLOT_H
#define APP_PLOT_GNUPLOT_H

#include <stddef.h>
#include <stdio.h>

#include "app/plot_data.h"

/* NAME.gp for the collected data `d` (which NAME.dat holds). */
void app_plot_gnuplot_write(const plot_data *d, FILE *f);

/* The gnuplot to run: $IOVSIM_GNUPLOT, else the one configure found, else `gnuplot`
 * on PATH (the path lands in buf); NULL with `wanted` naming what was looked for. */
const char *app_plot_gnuplot_find(char *buf, size_t len, const char **wanted);

/* Runs `prog` on NAME.gp in the folder `dir` (a forked worker); -1 when it fails, with
 * its complaints (the start of DIR/NAME.log, kept) in `err`. */
int app_plot_gnuplot_run(const char *prog, const char *dir, const char *name, char *err,
                         size_t len);

#endif
