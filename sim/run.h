/* One simulation point: create the kernel the parameters name, let the caller's
 * operations build the system, run warm-up, start the statistics, run the measured
 * interval, and write the point's files. sim/ knows no model: the operations come from
 * above (systems_ops in systems/kinds.c, which app/'s sweep passes to every point it
 * runs).
 *
 * Run parameters (registered by sim_run_register_params):
 *   run.duration_us  measured interval          run.warmup_us  before stats start
 *   run.seed         random seed                run.kernel     systemc | native
 *   run.name         results folder name        run.timeout_s  host seconds per point */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "sim/err.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/stats.h"

/* What a model sees while it builds. */
typedef struct sim_ctx {
    sim_kernel *kernel;
    const sim_params *params;
    sim_stats *stats;
    uint64_t seed;
    const char *dir; /* the point's folder, where its files go; NULL when it has none */
} sim_ctx;

typedef struct sim_model_ops {
    /* Register every model parameter (the run's own are registered by sim/). */
    void (*register_params)(sim_params *p);
    /* Cross-parameter checks, run for every point before any point runs; a failure
     * is a configuration error (exit 2). May be NULL. */
    int (*check)(const sim_params *p, sim_err *e);
    /* Build the system for one point: create models, register stats and metrics,
     * schedule the first events. Returns the system, or NULL with *e set. */
    void *(*build)(const sim_ctx *ctx, sim_err *e);
    void (*destroy)(void *system);
    /* The file a point would write outside its own folder (an absolute path, living as
     * long as p), or NULL: a sweep refuses two points that would write the same one.
     * May be NULL. */
    const char *(*outside_file)(const sim_params *p);
} sim_model_ops;

/* The run.* parameters. */
typedef struct sim_run_cfg {
    uint64_t duration_ps;
    uint64_t warmup_ps;
    uint64_t seed;
    uint8_t kernel;   /* run.kernel's choice: 0 systemc, 1 native */
    const char *name; /* "" unless set; lives as long as the parameters */
    double timeout_s;
    uint64_t sample_ps; /* 0: no time series */
    const char *sample; /* the statistics it samples, comma-separated; "": every metric */
} sim_run_cfg;

void sim_run_register_params(sim_params *p);
sim_run_cfg sim_run_cfg_load(const sim_params *p);
/* Cross-parameter checks of run.*: a time series of at most SIM_RUN_MAX_SAMPLES
 * intervals, each no longer than the window, of at most SIM_RUN_MAX_SAMPLED statistics
 * named in fewer than SIM_RUN_SAMPLE_LIST_BYTES. */
#define SIM_RUN_MAX_SAMPLES 100000u
#define SIM_RUN_MAX_SAMPLED 256u
#define SIM_RUN_SAMPLE_LIST_BYTES 4096u
int sim_run_check(const sim_params *p, sim_err *e);

/* The result of one point, filled by sim_run_point. */
typedef struct sim_point_result {
    size_t metrics;
    char **metric_names; /* owned; freed by sim_point_result_free */
    double *metric_values;
    uint64_t events;      /* kernel callbacks, warm-up included */
    uint64_t end_ps;      /* simulated time at the end */
    double host_seconds;  /* wall time of the run */
} sim_point_result;

void sim_point_result_free(sim_point_result *r);

/* Runs the point in this process and writes `dir`/stats.txt and `dir`/hists.txt (every
 * histogram's buckets) when dir is not NULL, with run.sample_us `dir`/timeseries.csv
 * (sim/timeseries.h), and when the model recorded marks (sim_stats_mark) `dir`/events.csv:
 * a header "time_us,event", then a row per mark by time (stably), time_us in simulated
 * microseconds as timeseries.csv writes its times, the label as sanitized (no file, and
 * an earlier run's removed, without marks).
 * Returns 0, or -1 with *e set (a build failure, a kernel error, a file not written). */
int sim_run_point(const sim_model_ops *ops, const sim_params *p, const char *dir,
                  sim_point_result *out, sim_err *e);

/* Builds the system for `p` as a point would (statistics registered, window planned) on
 * the native kernel (SystemC elaborates once per process; a build does not depend on the
 * kernel), without running it: `fn` sees what it registered, then it is destroyed. For
 * the names points register (plot checks, the metric reference). Returns 0, or -1 with
 * *e set when the build fails. */
int sim_run_dry_build(const sim_model_ops *ops, const sim_params *p,
                      void (*fn)(const sim_stats *s, void *ctx), void *ctx, sim_err *e);

#endif
