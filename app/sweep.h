/* A sweep: every point of a workload, each in its own forked process (SystemC
 * elaborates once per process), up to `jobs` at a time. Each point writes
 * <out>/points/<NNNN>/ whole (temp + rename): params.txt (every parameter's value),
 * stats.txt, hists.txt, result.txt (status and metrics) and host.txt (host time, kept
 * apart because it is not deterministic). When all are done, <out>/results.csv is
 * assembled in point order (see app/results.h) and the workload's [plot] sections are
 * drawn into <out>/plots/. A point that crashes or exceeds run.timeout_s leaves a row
 * with its error; the others go on. The folder must hold no other sweep
 * (app/identity.h); --resume keeps the points whose result says ok for the same axis
 * values and runs the rest. The run is recorded in <out>/provenance.txt with a copy of
 * the workload's files (app/provenance.h).
 *
 * Beyond one machine: the points can be listed as self-contained command lines (one
 * `iovsim run FILE --out DIR --point N` each) for GNU parallel or any scheduler, or
 * written as a Slurm job array; `iovsim merge` then assembles the folder. */
#ifndef APP_SWEEP_H
#define APP_SWEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "app/provenance.h"
#include "app/workload.h"
#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"

typedef enum app_sweep_mode {
    APP_SWEEP_RUN,   /* run the points in this machine */
    APP_SWEEP_LIST,  /* print one command line per point on stdout */
    APP_SWEEP_SLURM, /* write a Slurm job-array script and the points file it indexes */
} app_sweep_mode;

typedef struct app_sweep_opts {
    const char *out_dir; /* NULL: results/<run.name or workload name>/ (SLURM: slurm_dir) */
    unsigned jobs;       /* parallel points, >= 1 */
    bool resume;     /* keep the finished points of the sweep the folder holds */
    bool force;      /* replace the results of another sweep there (app/identity.h) */
    bool quiet;      /* no per-point lines on stdout, no notes */
    bool progress;   /* a progress line on stderr (the caller sets it for a terminal) */
    bool no_plots;   /* results.csv without drawing the figures */
    bool no_summary; /* nor summary.txt (see write_summary) */
    app_sweep_mode mode;
    /* APP_SWEEP_RUN with one_point: run only point `point`, writing its folder, the
     * manifest and plots.ini, but neither results.csv nor figures (iovsim merge does). */
    bool one_point;
    size_t point;
    /* LIST and SLURM: the shell command (absolute, quoted) that loads this workload
     * with the same overrides; each point's line appends --out DIR --point N.
     * `program` is this program's absolute, quoted path (for the merge hint). */
    const char *command;
    const char *program;
    const char *slurm_dir;
    unsigned slurm_array_max; /* highest array index the site allows; 0: 1000 */
    /* The workload file without the command line's overrides (NULL: there are none).
     * A plot that fails its checks only because of the overrides (a metric the
     * configuration no longer registers, a `where` value no longer swept) is noted
     * and left undrawn instead of stopping the run. */
    const app_workload *as_written;
    /* The record of this command (app/provenance.h), which the sweep completes and
     * writes with the copy of the workload; NULL keeps none (regression runs). */
    app_provenance *provenance;
} app_sweep_opts;

/* Checks every point first (values, cross-parameter rules) and the [plot] sections
 * (parameters, and metrics by building points without running them): any problem
 * returns 2 before a point runs. Then runs, lists or writes the job array. Returns 0
 * when every point finished, 1 when some point failed, 2 on a configuration or
 * output-folder problem (*e says which): the folder is in use by another run (its
 * lock), holds another sweep (app/identity.h), or cannot be written, in which case
 * the sweep stops at the first point that could not write its files (a full disk)
 * and starts no other. */
int app_sweep_run(const sim_model_ops *ops, const app_workload *w, const sim_params *registry,
                  const app_sweep_opts *o, sim_err *e);

#endif
