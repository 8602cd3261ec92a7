/* Time series of a run (run.sample_us): every sample_ps of the measurement window, the
 * chosen statistics over that interval alone, one row of a CSV file.
 *
 * Timing and semantics: an event at each boundary start + k * sample_ps (k = 1, 2, ...)
 * reads the interval just ended through the registry's interval view
 * (sim_stats_interval_begin): counters and values as their growth in it, histogram
 * summaries over the samples added in it, busy times as the work that lies in it,
 * derived values and metrics computed from those over the interval's length, gauges
 * (a queue's depth) as they stand at its end. So a
 * rate metric's rows average to the window's value and a utilisation stays within
 * [0, 1] in every row. A window that does not divide into whole intervals, or a run
 * its model stops early, ends with a shorter last row. The sampler reads and never
 * writes model state: results are the same sampled or not (stats.txt's event count
 * aside).
 *
 * The file: a header "time_us,NAME,..." then one row per interval, time_us the
 * interval's end in simulated microseconds; numbers as results.csv writes them, NaN
 * where an interval has no samples (a latency in an interval with no packets). */
#ifndef SIM_TIMESERIES_H
#define SIM_TIMESERIES_H

#include <stddef.h>
#include <stdint.h>

#include "sim/err.h"
#include "sim/kernel.h"
#include "sim/stats.h"

typedef struct sim_timeseries sim_timeseries;

/* `list` is run.sample: names separated by commas (spaces around them dropped), at most
 * SIM_RUN_MAX_SAMPLED in fewer than SIM_RUN_SAMPLE_LIST_BYTES (sim_run_check); any name
 * sim_stats_get knows (counters, histogram summaries such as net.latency_ps.p99,
 * derived values, metrics, gauges); empty: every metric, then every gauge (queue depths:
 * sim_stats_gauge). -1 with *e set naming the first that
 * no statistic of `s` has (with the closest registered name). */
int sim_timeseries_check_names(const sim_stats *s, const char *list, sim_err *e);
/* Samples the statistics `list` names (as above) of `s` from start_ps, which must be a
 * planned interval boundary (sim_stats_sample_plan with sample_ps), to the planned
 * end_ps, into `path`. NULL with *e set for an unknown name or a file that cannot be
 * opened. */
sim_timeseries *sim_timeseries_create(sim_kernel *k, sim_stats *s, const char *list,
                                      uint64_t start_ps, uint64_t end_ps, uint64_t sample_ps,
                                      const char *path, sim_err *e);
/* Writes the last interval, up to end_ps (where the run stopped), and puts the file in
 * place. */
int sim_timeseries_finish(sim_timeseries *ts, uint64_t end_ps, sim_err *e);
/* Removes the file if not finished; frees. */
void sim_timeseries_destroy(sim_timeseries *ts);

#endif
