/* A results folder, the one format that local runs, single points run elsewhere
 * (`iovsim run FILE --point N`), merges, plots and regression checks share:
 *
 *   DIR/sweep.txt       the manifest: workload, swept axes, every point's axis values
 *   DIR/plots.ini       the workload's [plot] sections (what `iovsim plot DIR` draws)
 *   DIR/points/NNNN/    one folder per point: params.txt (every parameter), stats.txt,
 *                       hists.txt (histogram buckets), result.txt, host.txt
 *   DIR/results.csv     assembled from the points' result.txt, in point order
 *   DIR/plots/          NAME.gp NAME.dat NAME.png NAME.svg
 *
 * results.csv depends only on the manifest and the result.txt files, never on the
 * order in which points finished or on the machine that ran them, so a folder merged
 * from points run anywhere gives the same bytes as a local run. */
#ifndef SIM_RESULTS_H
#define SIM_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/err.h"
#include "sim/run.h"

/* ---- the manifest (sweep.txt) ---------------------------------------------------- */

typedef struct sim_manifest sim_manifest;

/* `workload` is informative (the absolute path of the workload file, or ""). */
sim_manifest *sim_manifest_create(const char *workload, size_t n_axes, const char *const *axes,
                                  size_t n_points);
void sim_manifest_destroy(sim_manifest *m);
/* Canonical text of axis `axis` at point `point` (what params.txt and results.csv hold). */
void sim_manifest_set(sim_manifest *m, size_t point, size_t axis, const char *value);

const char *sim_manifest_workload(const sim_manifest *m);
size_t sim_manifest_axes(const sim_manifest *m);
const char *sim_manifest_axis(const sim_manifest *m, size_t axis);
size_t sim_manifest_points(const sim_manifest *m);
const char *sim_manifest_value(const sim_manifest *m, size_t point, size_t axis);
/* "name=value,name=value" of a point, "-" when nothing is swept. */
void sim_manifest_point_label(const sim_manifest *m, size_t point, char *buf, size_t len);

/* Whether two manifests describe the same points (axes, values, order); the workload
 * path may differ. When not, `why` says where they part. */
bool sim_manifest_same(const sim_manifest *a, const sim_manifest *b, char *why, size_t len);

/* DIR/sweep.txt, written whole under a temporary name of this process's own, so
 * concurrent single-point runs into one folder can all write it. */
int sim_manifest_write(const sim_manifest *m, const char *dir, sim_err *e);
/* NULL with *e set when DIR/sweep.txt is missing or malformed (naming file:line). */
sim_manifest *sim_manifest_read(const char *dir, sim_err *e);

/* <dir>/points/NNNN: at least 4 digits, as many as the last point needs, so the folders
 * sort in point order. */
void sim_point_dir(const char *dir, size_t point, size_t n_points, char *buf, size_t len);

/* Writes `path` whole with `text` (temporary name of this process's own + rename). */
int sim_write_shared(const char *path, const char *text, sim_err *e);

/* ---- one point's outcome (result.txt) --------------------------------------------- */

/* result.txt holds tab-separated records, one a line:
 *     axis    <name>  <value>
 *     status  ok | error
 *     metric  <name>  <value>        (%.10g)
 *     end_ps  <simulated end>
 *     error   <message, one line>
 * `res` NULL writes a failed point with `error`. */
int sim_result_write(const char *point_dir, const sim_manifest *m, size_t point,
                     const sim_point_result *res, const char *error, sim_err *e);

typedef struct sim_result_view {
    bool found;      /* result.txt exists */
    bool ok;         /* status ok */
    bool axes_match; /* written for this point's axis values (a changed sweep is stale) */
    uint64_t end_ps;
    char error[2048];
} sim_result_view;

typedef void (*sim_metric_fn)(const char *name, const char *value, void *ctx);
/* Reads point `point` of `m` under `point_dir`; metrics in file order through `metric`
 * (may be NULL). Returns v->found. */
bool sim_result_read(const char *point_dir, const sim_manifest *m, size_t point,
                     sim_result_view *v, sim_metric_fn metric, void *ctx);

/* DIR/results.csv: the swept parameters, status, every metric any point reported (in
 * first-appearance order over the points), error. A point without result.txt is a
 * row with status error and error "not run". */
int sim_results_write_csv(const char *dir, const sim_manifest *m, sim_err *e);

/* ---- reading a folder back (plots, regression checks) ------------------------------- */

typedef struct sim_results sim_results;

/* Reads the manifest and every point's result.txt and params.txt. */
sim_results *sim_results_load(const char *dir, sim_err *e);
void sim_results_destroy(sim_results *r);
const sim_manifest *sim_results_manifest(const sim_results *r);
const char *sim_results_dir(const sim_results *r);
size_t sim_results_points(const sim_results *r);
bool sim_results_ok(const sim_results *r, size_t point);
/* A parameter's canonical value at a point (params.txt), NULL when not recorded. */
const char *sim_results_param(const sim_results *r, size_t point, const char *name);
bool sim_results_metric(const sim_results *r, size_t point, const char *name, double *out);
/* Every metric name any point reported, first-appearance order. */
size_t sim_results_metric_names(const sim_results *r);
const char *sim_results_metric_name(const sim_results *r, size_t i);
/* The point's folder (for hists.txt). */
const char *sim_results_point_dir(const sim_results *r, size_t point);

#endif
