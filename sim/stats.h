/* Statistics: models register pointers to their own counters, histograms owned by
 * the registry, and derived values (formulas evaluated when the stats are written).
 * Metrics are derived values that also become columns of results.csv.
 *
 * Measurement starts at sim_stats_start() (the end of warm-up), which zeroes every
 * registered counter and histogram and keeps the marks (events, not statistics);
 * models therefore keep no control state in a registered counter. Writing is gem5-style
 * text: "name  value  # description". */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct sim_stats sim_stats;
typedef struct sim_hist sim_hist;
typedef double (*sim_derived_fn)(const sim_stats *s, void *ctx);

sim_stats *sim_stats_create(void);
void sim_stats_destroy(sim_stats *s);

/* Names are dotted and unique (a duplicate is an assert). */
void sim_stats_counter(sim_stats *s, const char *name, uint64_t *counter, const char *desc);
/* Adds a struct made only of uint64_t counters (`bytes` long) to another of its type,
 * field by field: a device's totals over its functions. */
static inline void sim_counters_add(void *sum, const void *add, size_t bytes)
{
    uint64_t *b = sum;
    const uint64_t *a = add;
    for (size_t i = 0; i < bytes / sizeof(uint64_t); i++)
        b[i] += a[i];
}
void sim_stats_value(sim_stats *s, const char *name, double *value, const char *desc);

/* Busy time of a resource that books work ahead of the clock (a sim_resv: a core, a
 * link direction, DRAM channels), counted where the work lies, not when it was booked:
 * work booked in warm-up that runs into the measurement window counts for its part
 * inside, work booked in the window that runs past its end only up to the end. So a
 * busy time never exceeds the window (bookings on one timeline do not overlap), and a
 * utilisation from it never exceeds 1. The window is the one the run plans
 * (sim_stats_plan); without a plan it starts at sim_stats_start and has no end (what
 * unit tests see). The model owns the struct; the registry reads window_ps. */
typedef struct sim_busy {
    uint64_t booked_ps;     /* durations booked since the statistics started */
    uint64_t window_ps;     /* the part of the bookings inside the window */
    const uint64_t *window; /* the registry's [start, end), set by sim_stats_busy */
    uint64_t *slots;        /* sampled runs: the part in each sample interval (registry's) */
    const uint64_t *slot_ps; /* ... and the intervals' length, set by sim_stats_busy */
} sim_busy;
void sim_stats_busy(sim_stats *s, const char *name, sim_busy *b, const char *desc);
/* The part of [lo_ps, hi_ps), inside the window, in each sample interval. */
void sim_busy_slots_add(sim_busy *b, uint64_t lo_ps, uint64_t hi_ps);
/* Books [start_ps, start_ps + dur_ps) of the resource. */
static inline void sim_busy_add(sim_busy *b, uint64_t start_ps, uint64_t dur_ps)
{
    b->booked_ps += dur_ps;
    uint64_t lo = start_ps, hi = start_ps + dur_ps;
    if (b->window) {
        if (lo < b->window[0])
            lo = b->window[0];
        if (hi > b->window[1])
            hi = b->window[1];
    }
    if (hi > lo) {
        b->window_ps += hi - lo;
        if (b->slots)
            sim_busy_slots_add(b, lo, hi);
    }
}
/* A log-linear histogram of non-negative integer samples (e.g. latency in ps);
 * quantiles are exact to within 1% of the value. `unit` names the samples. */
sim_hist *sim_stats_hist(sim_stats *s, const char *name, const char *unit, const char *desc);
void sim_stats_derived(sim_stats *s, const char *name, sim_derived_fn fn, void *ctx,
                       const char *desc);
/* A metric's `unit` is how its value reads ("Gb/s", "ns", "share (0..1)", "per packet");
 * its `desc` is its definition: what is counted, per what, over which interval, which
 * directions. Both are the metric reference's (iovsim metrics, docs/METRICS.md). */
void sim_stats_metric(sim_stats *s, const char *name, const char *unit, sim_derived_fn fn,
                      void *ctx, const char *desc);
/* A gauge: a derived value that reads the system's state as it is (a queue's depth),
 * not counts over the window; stats.txt shows it at the end, a time series (which
 * samples every gauge and metric unless told otherwise) at each interval's end. */
void sim_stats_gauge(sim_stats *s, const char *name, sim_derived_fn fn, void *ctx,
                     const char *desc);
/* Gauges in registration order. */
size_t sim_stats_gauges(const sim_stats *s);
const char *sim_stats_gauge_name(const sim_stats *s, size_t i);

/* Metrics of a histogram: its q-quantile or its mean, divided by divisor (1000 for ps
 * samples reported in ns); NaN while h is empty: no sample means no latency, not a
 * latency of 0. */
void sim_stats_quantile_metric(sim_stats *s, const char *name, const char *unit,
                               const sim_hist *h, double q, double divisor, const char *desc);
void sim_stats_mean_metric(sim_stats *s, const char *name, const char *unit, const sim_hist *h,
                           double divisor, const char *desc);

void sim_hist_add(sim_hist *h, uint64_t sample);
void sim_hist_add_n(sim_hist *h, uint64_t sample, uint64_t n);
uint64_t sim_hist_count(const sim_hist *h);
uint64_t sim_hist_min(const sim_hist *h); /* 0 when empty */
uint64_t sim_hist_max(const sim_hist *h);
double sim_hist_mean(const sim_hist *h); /* exact, 0 when empty */
/* q in [0,1]; 0 when empty. */
double sim_hist_quantile(const sim_hist *h, double q);
/* Visit non-empty buckets in increasing order: [lo, hi] inclusive and count. */
void sim_hist_foreach(const sim_hist *h, void (*fn)(uint64_t lo, uint64_t hi, uint64_t n, void *ctx),
                      void *ctx);
void sim_hist_reset(sim_hist *h);

/* Measurement window. Derived values read sim_stats_elapsed_ps(). A run plans its
 * window before the system is built ([warm-up end, warm-up end + duration)), so busy
 * times (sim_busy) can place work booked ahead of the clock; a model that stops the
 * kernel early ends the window sooner, and work booked past that stop (work in flight
 * when it stopped) still counts up to the planned end. */
void sim_stats_plan(sim_stats *s, uint64_t start_ps, uint64_t end_ps);
void sim_stats_start(sim_stats *s, uint64_t now_ps);
void sim_stats_end(sim_stats *s, uint64_t now_ps);
/* A model that books outcomes ahead of the clock (a frame that will arrive at a later
 * time) but counts them only once they happen brings its statistics up to now_ps when
 * asked: at the window's start (before the zeroing), its end, and each sample
 * interval's start (sim_stats_interval_begin). Bringing them up to date changes no
 * result, only when a count is made, so a sampled run reads the same. */
typedef void (*sim_stats_sync_fn)(void *ctx, uint64_t now_ps);
void sim_stats_on_sync(sim_stats *s, sim_stats_sync_fn fn, void *ctx);
uint64_t sim_stats_elapsed_ps(const sim_stats *s);

/* ---------------------------------------------------------------- sample intervals
 *
 * A sampled run (sim/timeseries.h) reads every statistic over one interval at a time:
 * counters and values as their growth in it, histograms as the samples added in it,
 * busy times as the work that lies in it, and derived values and metrics computed from
 * those over the interval's length. The intervals are [start + k * slot_ps, start +
 * (k + 1) * slot_ps) of the planned window; sim_stats_sample_plan, after
 * sim_stats_plan and before anything registers, lets busy times keep their part in
 * each (a busy time registered earlier has no intervals: it reads 0). */
void sim_stats_sample_plan(sim_stats *s, uint64_t slot_ps);

/* Where the statistics stood at the start of an interval. */
typedef struct sim_stats_snapshot sim_stats_snapshot;
sim_stats_snapshot *sim_stats_snapshot_create(const sim_stats *s);
void sim_stats_snapshot_destroy(sim_stats_snapshot *m);
/* Records the statistics as they are at now_ps (a sample boundary). */
void sim_stats_snapshot_take(const sim_stats *s, sim_stats_snapshot *m, uint64_t now_ps);
/* Between begin and end, every look-up (sim_stats_get, metrics) reads the interval
 * [snapshot, now_ps) alone; end restores the whole window exactly. The snapshot must be
 * from this registry; a statistic registered since it was taken reads as it is (it
 * started at 0 when registered), and joins at the next take. A histogram's interval
 * minimum and maximum are those of its buckets (within 0.4%). */
void sim_stats_interval_begin(sim_stats *s, sim_stats_snapshot *m, uint64_t now_ps);
void sim_stats_interval_end(sim_stats *s, sim_stats_snapshot *m);

/* ---------------------------------------------------------------- marks
 *
 * Events a model records on the run's time line (a live migration's "unplug", "stop",
 * "resume"): when something happened, not how much. A point writes them to its
 * events.csv (sim/run.h) and a timeseries plot draws each as a dashed line at its time.
 *
 * t_ps is absolute simulated time, the clock of timeseries.csv's time_us. It may lie in
 * warm-up (sim_stats_start keeps every mark: a migration may begin before the window)
 * or ahead of the clock (a model that books work ahead marks it as it books it). Marks
 * are kept in the order recorded; the writer sorts them by time, stably, so marks at
 * one time keep that order. The label is copied and meant to be a word (`unplug`,
 * `vf_unplugged`); nothing is refused, but each comma, double quote and control
 * character (a newline) becomes '_', so a label is one CSV field that needs no quoting.
 * A mark costs an allocation: a few per run, not one per packet. */
void sim_stats_mark(sim_stats *s, uint64_t t_ps, const char *label);
typedef struct sim_mark {
    uint64_t t_ps;
    const char *label; /* as sanitized; lives as long as the registry */
} sim_mark;
/* Marks in recorded order: how many, and mark i. */
size_t sim_stats_marks(const sim_stats *s);
sim_mark sim_stats_mark_get(const sim_stats *s, size_t i);

/* Look-ups for tests and for derived formulas over other stats. */
const sim_hist *sim_stats_find_hist(const sim_stats *s, const char *name);
bool sim_stats_get(const sim_stats *s, const char *name, double *out);

/* Every histogram in registration order, with its unit (what a run writes to a
 * point's hists.txt, so figures such as a latency CDF can be drawn after the run). */
void sim_stats_foreach_hist(const sim_stats *s,
                            void (*fn)(const char *name, const char *unit, const sim_hist *h,
                                       void *ctx),
                            void *ctx);

/* What is registered, for a reference of the statistics: every entry in registration
 * order (a histogram once, not its summary lines). */
typedef struct sim_stat_info {
    const char *name;
    const char *type; /* "counter", "value", "histogram", "busy time", "derived", "gauge" */
    const char *unit; /* a histogram's samples, a metric's value; "" otherwise */
    const char *desc;
    bool metric; /* also a column of results.csv */
} sim_stat_info;
void sim_stats_foreach(const sim_stats *s, void (*fn)(const sim_stat_info *info, void *ctx),
                       void *ctx);
/* The summary lines a histogram NAME expands to in stats.txt: NAME.count, NAME.mean, ... */
#define SIM_STATS_HIST_LINES 7
extern const char *const sim_stats_hist_suffix[SIM_STATS_HIST_LINES];

/* Metrics in registration order. */
size_t sim_stats_metrics(const sim_stats *s);
const char *sim_stats_metric_name(const sim_stats *s, size_t i);
double sim_stats_metric_value(const sim_stats *s, size_t i);

/* Every stat in registration order; a histogram as name.count, .mean, .min, .p50,
 * .p99, .p999, .max. Values print with %.17g-free stable formatting: integers as
 * integers, doubles with 6 significant digits. */
void sim_stats_write_text(const sim_stats *s, FILE *out);

#endif
