/* A sweep's points as command lines for other machines (--list-points, --emit-slurm):
 * each line runs one point into the results folder (`iovsim run FILE --out DIR
 * --point N`), so GNU parallel or a Slurm job array can run them anywhere and
 * `iovsim merge` assembles the folder. Private to app/sweep*.c, but for the quoting,
 * which the command line uses for app_sweep_opts.command. */
#ifndef APP_SWEEP_EMIT_H
#define APP_SWEEP_EMIT_H

#include <stddef.h>
#include <stdio.h>

#include "app/sweep.h"
#include "app/workload.h"
#include "sim/err.h"

/* `s` single-quoted for the shell (' becomes '\''): how the words of the listed command
 * lines (app_sweep_opts.command, the folders they name) are quoted. */
void app_sweep_shell_quote(FILE *f, const char *s);

/* `dir` made absolute (also when it does not exist yet), so a listed command runs
 * from any folder. */
void app_sweep_absolute_dir(const char *dir, char *buf, size_t len);

/* One line per point: o->command --out OUT_ABS --point N. */
void app_sweep_write_points(const app_sweep_opts *o, size_t n_points, const char *out_abs,
                            FILE *f);

/* o->slurm_dir/points.txt (the lines) and o->slurm_dir/iovsim.sbatch, a job array over
 * them: several points a task when there are more than o->slurm_array_max tasks. */
int app_sweep_emit_slurm(const app_workload *w, size_t n_points, const app_sweep_opts *o,
                         const char *out_abs, sim_err *e);

#endif
