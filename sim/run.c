#include "sim/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/alloc.h"
#include "sim/files.h"
#include "sim/timeseries.h"

static const sim_param_def run_params[] = {
    {"run.duration_us", SIM_PARAM_DOUBLE, "1000", "0.001..1e9", "us",
     "Measured interval of simulated time, after warm-up", SIM_AT(sim_run_cfg, duration_ps)},
    {"run.warmup_us", SIM_PARAM_DOUBLE, "100", "0..1e9", "us",
     "Simulated time before statistics start (queues fill, caches warm)",
     SIM_AT(sim_run_cfg, warmup_ps)},
    {"run.seed", SIM_PARAM_UINT, "1", "0..", "",
     "Random seed: the same inputs, seed and kernel give byte-identical results",
     SIM_AT(sim_run_cfg, seed)},
    {"run.kernel", SIM_PARAM_ENUM, "systemc", "systemc|native", "",
     "Simulation kernel: SystemC 2.3 or the native C event heap", SIM_AT(sim_run_cfg, kernel)},
    {"run.name", SIM_PARAM_STRING, "", NULL, "",
     "Results folder name under results/ (default: the workload file's name)",
     SIM_AT(sim_run_cfg, name)},
    {"run.timeout_s", SIM_PARAM_DOUBLE, "3600", "0..1e7", "s",
     "Host wall-clock limit per point; a point over it is recorded as failed (0: no limit)",
     SIM_AT(sim_run_cfg, timeout_s)},
    {"run.sample_us", SIM_PARAM_DOUBLE, "0", "0..1e9", "us",
     "Time series: every this many us of the measured interval, the statistics of "
     "run.sample over that interval alone, a row of the point's timeseries.csv (0: off)",
     SIM_AT(sim_run_cfg, sample_ps)},
    {"run.sample", SIM_PARAM_STRING, "", NULL, "",
     "Time series: the statistics sampled, comma-separated (metrics, counters, histogram "
     "summaries such as net.latency_ps.p99, gauges, as in stats.txt); empty: every metric, "
     "then every gauge (queue depths)",
     SIM_AT(sim_run_cfg, sample)},
};

void sim_run_register_params(sim_params *p)
{
    sim_params_add_table(p, run_params, SIM_TABLE_LEN(run_params));
}

sim_run_cfg sim_run_cfg_load(const sim_params *p)
{
    sim_run_cfg c;
    sim_params_load_table(p, run_params, SIM_TABLE_LEN(run_params), &c);
    return c;
}

int sim_run_check(const sim_params *p, sim_err *e)
{
    sim_run_cfg c = sim_run_cfg_load(p);
    if (!c.sample_ps) {
        if (c.sample[0])
            return sim_err_set(e, "run.sample is set but run.sample_us is 0: set the interval "
                                  "too (or leave run.sample empty)");
        return 0;
    }
    size_t names = 1;
    for (const char *q = c.sample; *q; q++)
        names += *q == ',';
    if (names > SIM_RUN_MAX_SAMPLED || strlen(c.sample) >= SIM_RUN_SAMPLE_LIST_BYTES)
        return sim_err_set(e, "run.sample names %zu statistics in %zu bytes: at most %u in %u",
                           names, strlen(c.sample), SIM_RUN_MAX_SAMPLED,
                           SIM_RUN_SAMPLE_LIST_BYTES - 1);
    if (c.sample_ps > c.duration_ps)
        return sim_err_set(e, "run.sample_us = %g is longer than run.duration_us = %g: no "
                              "interval would end inside the window",
                           (double)c.sample_ps / SIM_PS_PER_US,
                           (double)c.duration_ps / SIM_PS_PER_US);
    if (c.duration_ps / c.sample_ps > SIM_RUN_MAX_SAMPLES)
        return sim_err_set(e, "run.sample_us = %g makes %.0f intervals of run.duration_us = %g; "
                              "at most %u (a longer interval, or a shorter run)",
                           (double)c.sample_ps / SIM_PS_PER_US,
                           (double)c.duration_ps / (double)c.sample_ps,
                           (double)c.duration_ps / SIM_PS_PER_US, SIM_RUN_MAX_SAMPLES);
    return 0;
}

void sim_point_result_free(sim_point_result *r)
{
    for (size_t i = 0; i < r->metrics; i++)
        free(r->metric_names[i]);
    free(r->metric_names);
    free(r->metric_values);
    memset(r, 0, sizeof *r);
}

static double host_seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run_phase(sim_kernel *k, uint64_t end_ps, sim_err *e)
{
    sim_run_status st = sim_kernel_run_until(k, end_ps);
    if (st == SIM_RUN_ERROR)
        return sim_err_set(e, "simulation kernel failed: %s", sim_kernel_error(k));
    return st == SIM_RUN_STOPPED ? 1 : 0;
}

static int write_stats(const char *dir, const sim_stats *stats, const sim_kernel *k,
                       uint64_t end_ps, sim_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/stats.txt", dir);
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    fprintf(sf.f, "---------- Begin Simulation Statistics ----------\n");
    fprintf(sf.f, "sim.kernel %s\n", sim_kernel_kind_name(sim_kernel_get_kind(k)));
    fprintf(sf.f, "sim.end_ps %llu\n", (unsigned long long)end_ps);
    fprintf(sf.f, "sim.events %llu\n", (unsigned long long)sim_kernel_events(k));
    sim_stats_write_text(stats, sf.f);
    fprintf(sf.f, "---------- End Simulation Statistics   ----------\n");
    return sim_file_commit(&sf, e);
}

static void write_bucket(uint64_t lo, uint64_t hi, uint64_t n, void *ctx)
{
    fprintf(ctx, "%llu\t%llu\t%llu\n", (unsigned long long)lo, (unsigned long long)hi,
            (unsigned long long)n);
}

static void write_hist(const char *name, const char *unit, const sim_hist *h, void *ctx)
{
    fprintf(ctx, "hist\t%s\t%s\t%llu\n", name, *unit ? unit : "-",
            (unsigned long long)sim_hist_count(h));
    sim_hist_foreach(h, write_bucket, ctx);
}

/* The buckets behind every histogram's summary lines, so distributions (a latency
 * CDF) can be drawn after the run: "hist NAME UNIT SAMPLES", then "LO HI COUNT" per
 * non-empty bucket (LO..HI inclusive). */
static int write_hists(const char *dir, const sim_stats *stats, sim_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/hists.txt", dir);
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    sim_stats_foreach_hist(stats, write_hist, sf.f);
    return sim_file_commit(&sf, e);
}

/* A mark and where it was recorded: the tie-break that makes qsort stable. */
typedef struct mark_at {
    sim_mark m;
    size_t i;
} mark_at;

static int mark_order(const void *a, const void *b)
{
    const mark_at *x = a, *y = b;
    if (x->m.t_ps != y->m.t_ps)
        return x->m.t_ps < y->m.t_ps ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* events.csv: "time_us,event", then the marks by time. A model may mark ahead of the
 * clock, so the recorded order is not time order; marks at one time keep theirs. Times
 * print as timeseries.csv prints its own (sim/timeseries.c), so both files' rows line
 * up; labels are sanitized as recorded (sim/stats.h) and need no quoting. Without marks
 * there is no file: a point run again into its folder must not keep an earlier run's. */
static int write_events(const char *dir, const sim_stats *stats, sim_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/events.csv", dir);
    size_t n = sim_stats_marks(stats);
    if (!n) {
        if (unlink(path) < 0 && errno != ENOENT)
            return sim_err_set(e, "cannot remove %s, an earlier run's: %s", path, strerror(errno));
        return 0;
    }
    mark_at *v = sim_xcalloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (mark_at){sim_stats_mark_get(stats, i), i};
    qsort(v, n, sizeof *v, mark_order);
    sim_file sf;
    int rc = sim_file_open(&sf, path, e);
    if (rc == 0) {
        fputs("time_us,event\n", sf.f);
        for (size_t i = 0; i < n; i++)
            fprintf(sf.f, "%.10g,%s\n", (double)v[i].m.t_ps / SIM_PS_PER_US, v[i].m.label);
        rc = sim_file_commit(&sf, e);
    }
    free(v);
    return rc;
}

static void collect_metrics(const sim_stats *stats, sim_point_result *out)
{
    size_t n = sim_stats_metrics(stats);
    out->metrics = n;
    out->metric_names = sim_xcalloc(n ? n : 1, sizeof *out->metric_names);
    out->metric_values = sim_xcalloc(n ? n : 1, sizeof *out->metric_values);
    for (size_t i = 0; i < n; i++) {
        out->metric_names[i] = sim_xstrdup(sim_stats_metric_name(stats, i));
        out->metric_values[i] = sim_stats_metric_value(stats, i);
    }
}

int sim_run_point(const sim_model_ops *ops, const sim_params *p, const char *dir,
                  sim_point_result *out, sim_err *e)
{
    memset(out, 0, sizeof *out);
    double t0 = host_seconds_now();
    sim_run_cfg c = sim_run_cfg_load(p);
    sim_kernel_kind kind = c.kernel == 0 ? SIM_KERNEL_SYSTEMC : SIM_KERNEL_NATIVE;
    sim_kernel *k = sim_kernel_create(kind, e);
    if (!k)
        return -1;
    sim_stats *stats = sim_stats_create();
    uint64_t warmup_ps = c.warmup_ps;
    uint64_t end_ps = warmup_ps + c.duration_ps;
    sim_stats_plan(stats, warmup_ps, end_ps);
    bool sampled = c.sample_ps && dir;
    if (sampled)
        sim_stats_sample_plan(stats, c.sample_ps);
    sim_ctx ctx = {.kernel = k, .params = p, .stats = stats, .seed = c.seed, .dir = dir};
    int rc = -1;
    sim_timeseries *ts = NULL;
    void *sys = ops->build(&ctx, e);
    if (!sys)
        goto out;
    /* Before the warm-up: a misspelt name costs no simulated time. */
    if (sampled && sim_timeseries_check_names(stats, c.sample, e) < 0) {
        sim_params_add_origins(p, e);
        goto out;
    }

    int st = run_phase(k, warmup_ps, e);
    if (st < 0)
        goto out;
    /* A model that stops the kernel (its input is exhausted) ends the measurement
     * there; otherwise the window is the nominal one even if the system went idle. */
    uint64_t start_ps = st == 1 ? sim_now_ps(k) : warmup_ps;
    sim_stats_start(stats, start_ps);
    if (st == 0) {
        if (sampled) {
            char path[4096];
            snprintf(path, sizeof path, "%s/timeseries.csv", dir);
            ts = sim_timeseries_create(k, stats, c.sample, start_ps, end_ps, c.sample_ps, path,
                                       e);
            if (!ts)
                goto out;
        }
        st = run_phase(k, end_ps, e);
        if (st < 0)
            goto out;
    }
    uint64_t stop_ps = st == 1 ? sim_now_ps(k) : end_ps;
    sim_stats_end(stats, stop_ps);

    if (ts && sim_timeseries_finish(ts, stop_ps, e) < 0)
        goto out;
    if (dir && (write_stats(dir, stats, k, stop_ps, e) < 0 || write_hists(dir, stats, e) < 0 ||
                write_events(dir, stats, e) < 0))
        goto out;
    collect_metrics(stats, out);
    out->events = sim_kernel_events(k);
    out->end_ps = stop_ps;
    rc = 0;
out:
    sim_timeseries_destroy(ts);
    if (sys)
        ops->destroy(sys);
    sim_stats_destroy(stats);
    sim_kernel_destroy(k);
    out->host_seconds = host_seconds_now() - t0;
    return rc;
}

int sim_run_dry_build(const sim_model_ops *ops, const sim_params *p,
                      void (*fn)(const sim_stats *s, void *ctx), void *ctx, sim_err *e)
{
    sim_run_cfg c = sim_run_cfg_load(p);
    sim_kernel *k = sim_kernel_create(SIM_KERNEL_NATIVE, e);
    if (!k)
        return -1;
    sim_stats *stats = sim_stats_create();
    sim_stats_plan(stats, c.warmup_ps, c.warmup_ps + c.duration_ps);
    sim_ctx ctx_ = {.kernel = k, .params = p, .stats = stats, .seed = c.seed};
    void *sys = ops->build(&ctx_, e);
    if (sys) {
        fn(stats, ctx);
        ops->destroy(sys);
    }
    sim_stats_destroy(stats);
    sim_kernel_destroy(k);
    return sys ? 0 : -1;
}
