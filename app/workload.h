/* Workload files: INI read with libinih, plus the command line's --set and --sweep.
 *
 *   include = ../platforms/x.ini   (before the first section; relative to this file;
 *                                  the included settings come first, later lines win)
 *   [pcie]
 *   mps_bytes = 256                 sets parameter pcie.mps_bytes
 *   [sweep]
 *   pcie.mps_bytes = 128, 256       an axis: comma list ...
 *   dma.size_bytes = 64..1500 step 64   ... or range: "A..B step S" (arithmetic),
 *   dma.outstanding = 1..64 *2          "A..B *F" (geometric); bounds may carry units
 *   exclude = io.path=passthrough, traffic.vms!=1
 *                                   points where every condition holds are left out
 *                                   (combinations that do not exist); several rules
 *                                   separated by '|'; conditions may name fixed
 *                                   parameters too
 *   zip = iommu.iotlb_entries, iommu.iotlb_ways
 *                                   these axes take their values together (the i-th
 *                                   of each at once) as one dimension of the product,
 *                                   where the first of them stands; each needs as
 *                                   many values; several groups separated by '|' 
 *   [plot NAME]                     figure descriptions, kept as key/value pairs for
 *   x = ...                         the plotting code, which checks them
 *
 * An indented line continues the previous key's value (long sweep lists). Every
 * setting remembers "file:line". Loading checks every name and value against the
 * registry. It reports every unknown parameter (each on a line of its own with its
 * file:line and the closest name) and stops at the first other problem: bad value,
 * out of range, the same key twice in one file, a missing include, an include loop, an
 * empty sweep axis, a line too long to read.
 *
 * The workload does not modify a sim_params; points are applied to a caller's copy. */
#ifndef APP_WORKLOAD_H
#define APP_WORKLOAD_H

#include <stddef.h>

#include "sim/err.h"
#include "sim/params.h"

typedef struct app_workload app_workload;

/* A key = value with where it came from. */
typedef struct app_setting {
    const char *name;
    const char *value;
    const char *where; /* "file:line" or "--set" */
    /* Where earlier files or options set (or swept) it before this replaced them, most
     * recent first, ", " between; NULL when nothing did. */
    const char *over;
} app_setting;

app_workload *app_workload_load(const char *path, const sim_params *p, sim_err *e);
/* A workload with no file: only the registry's defaults and the command line. */
app_workload *app_workload_empty(void);
void app_workload_destroy(app_workload *w);

/* Command-line overrides, applied after the file. `assignment` is "name=value" or
 * "name=list". --set on a swept parameter fixes it and removes that axis (and takes it
 * out of its zip); --sweep replaces an axis or adds one; --zip pairs axes ("A, B", as
 * the file's zip), taking them out of the file's zip. */
int app_workload_override_set(app_workload *w, const sim_params *p, const char *assignment,
                              sim_err *e);
int app_workload_override_sweep(app_workload *w, const sim_params *p, const char *assignment,
                                sim_err *e);
/* Every --set (in order), then every --sweep, then every --zip, then the check of the
 * whole (app_workload_check): how the command line applies them whatever their order on
 * it. */
int app_workload_overrides(app_workload *w, const sim_params *p, const char *const *sets,
                           size_t n_sets, const char *const *sweeps, size_t n_sweeps,
                           const char *const *zips, size_t n_zips, sim_err *e);
int app_workload_override_zip(app_workload *w, const sim_params *p, const char *names, sim_err *e);
/* What only the whole can show, once the overrides are in (one --sweep may change an
 * axis that the next brings back in line): every zipped parameter is swept, with as
 * many values as the others of its group. Loading checks the file's own; a sweep
 * (app_sweep_run) checks again before anything runs. -1 with *e naming the zip. */
int app_workload_check(const app_workload *w, sim_err *e);

/* Fixed settings in the order they apply (includes first, then the file, then --set). */
size_t app_workload_settings(const app_workload *w);
const app_setting *app_workload_setting(const app_workload *w, size_t i);

/* Sweep axes in file order; the points are their product, the last axis varying
 * fastest (zipped axes make one dimension, where the first of them stands), less those
 * an exclude leaves out. A workload without axes has one point. */
size_t app_workload_axes(const app_workload *w);
const char *app_workload_axis_name(const app_workload *w, size_t axis);
size_t app_workload_axis_len(const app_workload *w, size_t axis);
const char *app_workload_axis_value(const app_workload *w, size_t axis, size_t i);
const char *app_workload_axis_where(const app_workload *w, size_t axis);
/* Where the parameter was set or swept before this axis replaced it (as app_setting's
 * `over`), or NULL. */
const char *app_workload_axis_over(const app_workload *w, size_t axis);
size_t app_workload_points(const app_workload *w);
/* [sweep] exclude as written and where (the one in effect), or NULL when none. */
const char *app_workload_exclude(const app_workload *w);
const char *app_workload_exclude_where(const app_workload *w);

/* Apply the fixed settings, then point `point`'s axis values, to `p`. */
int app_workload_apply(const app_workload *w, size_t point, sim_params *p, sim_err *e);

/* [plot NAME] sections, in file order. */
size_t app_workload_plots(const app_workload *w);
const char *app_workload_plot_name(const app_workload *w, size_t i);
const char *app_workload_plot_where(const app_workload *w, size_t i);
size_t app_workload_plot_keys(const app_workload *w, size_t i);
const app_setting *app_workload_plot_key(const app_workload *w, size_t i, size_t k);

/* The file given to load (NULL for an empty workload) and its name without folder
 * and extension ("dma" for workloads/dma.ini). */
const char *app_workload_path(const app_workload *w);
const char *app_workload_basename(const app_workload *w);

/* The files read, in the order they were opened: the workload's own first, then each
 * include as its line was reached (a file included twice is listed twice). The path is
 * the one opened (an include's joined to its including file's folder); included_at is
 * the including line ("file:line"), NULL for the workload's own file. */
size_t app_workload_files(const app_workload *w);
const char *app_workload_file_path(const app_workload *w, size_t i);
const char *app_workload_file_included_at(const app_workload *w, size_t i);

#endif
