/* The metric reference (iovsim metrics, docs/METRICS.md): every metric each workload
 * kind puts in results.csv, with its unit and definition, and every statistic of a
 * point's stats.txt, generated from what the code registers. It builds a point of each
 * kind (nothing runs) with its defaults and with each of the kind's variants (settings
 * under which it registers more: sys_kind.variants), and lists what each registered:
 * the units and descriptions are the strings the models register, so the reference
 * cannot drift from the code. A family of statistics that differ only by a number (one
 * per core, VF or queue: cpu.core0.util, cpu.core1.util, ...) is listed once with N in
 * place of the number. */
#ifndef APP_METRICS_H
#define APP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sim/err.h"
#include "sim/params.h"

typedef struct app_metric_ref app_metric_ref;

/* Builds the reference from points of every kind, their parameters from `registry`
 * (the defaults) and the kind's variants. NULL with *e set when a point cannot be
 * built (a kind or a variant that is wrong: a bug). */
app_metric_ref *app_metric_ref_build(const sim_params *registry, sim_err *e);
void app_metric_ref_destroy(app_metric_ref *r);

typedef struct app_metric_ref_opts {
    const char *word; /* "" for all; else names containing it, or the kind named so */
    bool stats;       /* the statistics too (with a word, those that match always are) */
    bool markdown;    /* docs/METRICS.md rather than plain text */
} app_metric_ref_opts;

/* Writes the metrics of every kind, and the statistics as `o` says; returns how many
 * metrics and statistics it listed (0: the word matched nothing; nothing is written). */
size_t app_metric_ref_write(const app_metric_ref *r, FILE *out, const app_metric_ref_opts *o);

/* The metric or statistic name closest to `word` (a likely typo), or NULL. */
const char *app_metric_ref_suggest(const app_metric_ref *r, const char *word);

#endif
