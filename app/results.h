/* A results folder, the one format that local runs, single points run elsewhere
 * (`iovsim run FILE --point N`), merges, plots and regression checks share:
 *
 *   DIR/sweep.txt       the manifest: workload, swept axes, every point's axis values
 *   DIR/plots.ini       the workload's [plot] sections (what `iovsim plot DIR` draws)
 *   DIR/points/NNNN/    one folder per point: params.txt (every parameter), stats.txt,
 *                       hists.txt (histogram buckets), result.txt, host.txt; with
 *                       run.sample_us timeseries.csv, with marks events.csv (sim/run.h)
 *   DIR/results.csv     assembled from the points' result.txt, in point order
 *   DIR/results.json    the same rows, typed (app_results_write_csv)
 *   DIR/plots/          NAME.gp NAME.dat NAME.png NAME.svg
 *
 * results.csv depends only on the manifest and the result.txt files, never on the
 * order in which points finished or on the machine that ran them, so a folder merged
 * from points run anywhere gives the same bytes as a local run. */
#ifndef APP_RESULTS_H
#define APP_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/err.h"
#include "sim/run.h"

/* ---- the manifest (sweep.txt) ---------------------------------------------------- */

typedef struct app_manifest app_manifest;

/* `workload` is informative (the absolute path of the workload file, or ""). */
app_manifest *app_manifest_create(const char *workload, size_t n_axes, const char *const *axes,
                                  size_t n_points);
void app_manifest_destroy(app_manifest *m);
/* Canonical text of axis `axis` at point `point` (what params.txt and results.csv hold). */
void app_manifest_set(app_manifest *m, size_t point, size_t axis, const char *value);

const char *app_manifest_workload(const app_manifest *m);
size_t app_manifest_axes(const app_manifest *m);
const char *app_manifest_axis(const app_manifest *m, size_t axis);
size_t app_manifest_points(const app_manifest *m);
const char *app_manifest_value(const app_manifest *m, size_t point, size_t axis);
/* "name=value,name=value" of a point, "-" when nothing is swept. */
void app_manifest_point_label(const app_manifest *m, size_t point, char *buf, size_t len);

/* Whether two manifests describe the same points (axes, values, order); the workload
 * path may differ. When not, `why` says where they part. */
bool app_manifest_same(const app_manifest *a, const app_manifest *b, char *why, size_t len);

/* DIR/sweep.txt, written whole under a temporary name of this process's own, so
 * concurrent single-point runs into one folder can all write it. */
int app_manifest_write(const app_manifest *m, const char *dir, sim_err *e);
/* NULL with *e set when DIR/sweep.txt is missing or malformed (naming file:line). */
app_manifest *app_manifest_read(const char *dir, sim_err *e);

/* <dir>/points/NNNN: at least 4 digits, as many as the last point needs, so the folders
 * sort in point order. */
void app_point_dir(const char *dir, size_t point, size_t n_points, char *buf, size_t len);

/* Writes `path` whole with `text` (temporary name of this process's own + rename). */
int app_write_shared(const char *path, const char *text, sim_err *e);

/* Takes DIR/.lock (flock) for a run that writes DIR: exclusive for a whole sweep, shared
 * for a single point (--point: many of those write one folder at once). Returns the
 * descriptor holding it (closed on exec; forked points keep it, so the lock lasts until
 * the last of them ends), or -1 with *e set: another run holds it ("DIR is in use by
 * another iovsim run (pid N)"), or the folder cannot be written. A file system that
 * does not lock leaves the folder unlocked. */
int app_results_lock(const char *dir, bool shared, sim_err *e);

/* ---- one point's outcome (result.txt) --------------------------------------------- */

/* result.txt holds tab-separated records, one a line:
 *     axis    <name>  <value>
 *     status  ok | error
 *     metric  <name>  <value>        (%.10g)
 *     end_ps  <simulated end>
 *     error   <message, one line>
 * `res` NULL writes a failed point with `error`. */
int app_result_write(const char *point_dir, const app_manifest *m, size_t point,
                     const sim_point_result *res, const char *error, sim_err *e);

typedef struct app_result_view {
    bool found;      /* result.txt exists */
    bool ok;         /* status ok */
    bool axes_match; /* written for this point's axis values (a changed sweep is stale) */
    uint64_t end_ps;
    char error[2048];
} app_result_view;

typedef void (*app_metric_fn)(const char *name, const char *value, void *ctx);
/* Reads point `point` of `m` under `point_dir`; metrics in file order through `metric`
 * (may be NULL). Returns v->found. */
bool app_result_read(const char *point_dir, const app_manifest *m, size_t point,
                     app_result_view *v, app_metric_fn metric, void *ctx);

/* DIR/results.csv: the swept parameters, status, every metric any point reported (in
 * first-appearance order over the points), error. A point without result.txt is a
 * row with status error and error "not run".
 *
 * Beside it, DIR/results.json: the same rows, typed, one point a line:
 *   {"format": "iovsim results 1", "workload": "/abs/x.ini",
 *    "parameters": [swept names, in column order], "metrics": [names, column order],
 *    "points": [
 *     {"point": 0, "parameters": {"io.path": "sriov", "traffic.vms": 4},
 *      "status": "ok", "metrics": {"throughput_gbps": 9.41, "latency_ns_p50": null},
 *      "error": null}, ...]}
 * A parameter column is numbers when every value is one, else true/false when every
 * value is, else strings. Metrics are the numbers result.txt holds, as written; nan
 * (nothing to measure) is null; a metric the point did not report is left out, as its
 * cell in results.csv is empty. "error" is null for a point that finished. */
int app_results_write_csv(const char *dir, const app_manifest *m, sim_err *e);

/* ---- reading a folder back (plots, regression checks) ------------------------------- */

typedef struct app_results app_results;

/* Reads the manifest and every point's result.txt and params.txt. */
app_results *app_results_load(const char *dir, sim_err *e);
void app_results_destroy(app_results *r);
const app_manifest *app_results_manifest(const app_results *r);
const char *app_results_dir(const app_results *r);
size_t app_results_points(const app_results *r);
bool app_results_ok(const app_results *r, size_t point);
/* A parameter's canonical value at a point (params.txt), NULL when not recorded. */
const char *app_results_param(const app_results *r, size_t point, const char *name);
/* The parameters params.txt recorded at a finished point, in its order. */
size_t app_results_params(const app_results *r, size_t point);
const char *app_results_param_name(const app_results *r, size_t point, size_t i);
bool app_results_metric(const app_results *r, size_t point, const char *name, double *out);
/* Every metric name any point reported, first-appearance order. */
size_t app_results_metric_names(const app_results *r);
const char *app_results_metric_name(const app_results *r, size_t i);
/* The point's folder (for hists.txt). */
const char *app_results_point_dir(const app_results *r, size_t point);

#endif
