/* Internals shared by the workload's contents (workload.c: settings, axes, exclusions,
 * plots, overrides) and the reader of its files (workload_ini.c). Not a public
 * interface. */
#ifndef APP_WORKLOAD_IMPL_H
#define APP_WORKLOAD_IMPL_H

#include "app/workload.h"
#include "sim/err.h"
#include "sim/params.h"

/* Reads `path` and the files it includes into `w` (workload_ini.c). */
int app_workload_read_file(app_workload *w, const sim_params *p, const char *path, sim_err *e);

/* What a file's keys add (workload.c). `file` is the number app_workload_new_file gave
 * the file they come from (`path` as opened, `included_at` the including line or NULL):
 * within one file setting and sweeping one parameter is an error; across files the
 * later one wins. */
int app_workload_new_file(app_workload *w, const char *path, const char *included_at);
/* A fixed value, checked against `p`. */
int app_workload_add_setting(app_workload *w, const sim_params *p, const char *name,
                             const char *value, const char *where, int file, sim_err *e);
/* A sweep axis from its text (app/axis.h), replacing one of the same name. */
int app_workload_add_axis(app_workload *w, const sim_params *p, const char *name,
                          const char *text, const char *where, int file, sim_err *e);
/* [sweep] zip: groups of axes that advance together (app_workload_check checks them
 * against the axes once all is read). */
int app_workload_add_zip(app_workload *w, const sim_params *p, const char *value, const char *where,
                         int file, sim_err *e);
/* [sweep] exclude, replacing an earlier file's. */
int app_workload_set_exclude(app_workload *w, const sim_params *p, const char *value,
                             const char *where, sim_err *e);
/* A key of [plot NAME]; `plot_where` is where the section starts. */
void app_workload_add_plot_key(app_workload *w, const char *plot, const char *plot_where,
                               const char *key, const char *value, const char *where, int file);

#endif
