/* Time series of a run (see sim/timeseries.h). */
#include "sim/timeseries.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/files.h"
#include "sim/run.h"
#include "sim/text.h"

struct sim_timeseries {
    sim_kernel *k;
    sim_stats *s;
    char **names;
    size_t n;
    uint64_t sample_ps, from_ps, end_ps;
    sim_stats_snapshot *snap;
    sim_event *ev;
    sim_file file;
    bool open;
};

typedef struct name_list {
    const char **v;
    size_t n, cap;
} name_list;

static void list_name(const sim_stat_info *info, void *ctx)
{
    name_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = sim_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = info->name;
}

static int unknown_name(const sim_stats *s, const char *name, sim_err *e)
{
    name_list l = {0};
    sim_stats_foreach(s, list_name, &l);
    const char *near = sim_text_closest(name, l.v, l.n, strlen(name) / 3 + 1);
    int rc = sim_err_set(e, "run.sample: no statistic is named '%s'%s%s%s (iovsim metrics "
                            "lists the metrics; a point's stats.txt every statistic)",
                         name, near ? " (did you mean '" : "", near ? near : "",
                         near ? "'?)" : "");
    free(l.v);
    return rc;
}

/* `list` split at commas, spaces around a name dropped, into names[] (pointing into
 * buf); how many. */
static size_t split_names(const char *list, char *buf, size_t buf_len, const char **names,
                          size_t max)
{
    snprintf(buf, buf_len, "%s", list);
    size_t n = 0;
    for (char *tok = buf; tok && n < max;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        while (*tok == ' ' || *tok == '\t')
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (*tok)
            names[n++] = tok;
        tok = comma ? comma + 1 : NULL;
    }
    return n;
}

int sim_timeseries_check_names(const sim_stats *s, const char *list, sim_err *e)
{
    char buf[SIM_RUN_SAMPLE_LIST_BYTES];
    const char *names[SIM_RUN_MAX_SAMPLED];
    size_t n = split_names(list, buf, sizeof buf, names, SIM_RUN_MAX_SAMPLED);
    for (size_t i = 0; i < n; i++) {
        double v;
        if (!sim_stats_get(s, names[i], &v))
            return unknown_name(s, names[i], e);
    }
    return 0;
}

static void write_number(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else
        fprintf(f, "%.10g", v);
}

/* One row: the interval [from_ps, now_ps). */
static void write_row(sim_timeseries *ts, uint64_t now_ps)
{
    FILE *f = ts->file.f;
    sim_stats_interval_begin(ts->s, ts->snap, now_ps);
    write_number(f, (double)now_ps / SIM_PS_PER_US);
    for (size_t i = 0; i < ts->n; i++) {
        double v = NAN;
        sim_stats_get(ts->s, ts->names[i], &v);
        fputc(',', f);
        write_number(f, v);
    }
    fputc('\n', f);
    sim_stats_interval_end(ts->s, ts->snap);
    sim_stats_snapshot_take(ts->s, ts->snap, now_ps);
    ts->from_ps = now_ps;
}

static void on_sample(void *ctx)
{
    sim_timeseries *ts = ctx;
    uint64_t now = sim_now_ps(ts->k);
    write_row(ts, now);
    if (now + ts->sample_ps < ts->end_ps)
        sim_event_notify_at(ts->ev, now + ts->sample_ps);
}

sim_timeseries *sim_timeseries_create(sim_kernel *k, sim_stats *s, const char *list,
                                      uint64_t start_ps, uint64_t end_ps, uint64_t sample_ps,
                                      const char *path, sim_err *e)
{
    if (sim_timeseries_check_names(s, list, e) < 0)
        return NULL;
    char buf[SIM_RUN_SAMPLE_LIST_BYTES];
    const char *names[SIM_RUN_MAX_SAMPLED];
    size_t n = split_names(list, buf, sizeof buf, names, SIM_RUN_MAX_SAMPLED);
    sim_timeseries *ts = sim_xcalloc(1, sizeof *ts);
    ts->k = k;
    ts->s = s;
    ts->sample_ps = sample_ps;
    ts->from_ps = start_ps;
    ts->end_ps = end_ps;
    if (n) {
        ts->names = sim_xcalloc(n, sizeof *ts->names);
        for (size_t i = 0; i < n; i++)
            ts->names[ts->n++] = sim_xstrdup(names[i]);
    } else {
        size_t m = sim_stats_metrics(s), g = sim_stats_gauges(s);
        ts->names = sim_xcalloc(m + g ? m + g : 1, sizeof *ts->names);
        for (size_t i = 0; i < m; i++)
            ts->names[ts->n++] = sim_xstrdup(sim_stats_metric_name(s, i));
        for (size_t i = 0; i < g; i++)
            ts->names[ts->n++] = sim_xstrdup(sim_stats_gauge_name(s, i));
    }
    if (sim_file_open(&ts->file, path, e) < 0) {
        sim_timeseries_destroy(ts);
        return NULL;
    }
    ts->open = true;
    fputs("time_us", ts->file.f);
    for (size_t i = 0; i < ts->n; i++)
        fprintf(ts->file.f, ",%s", ts->names[i]);
    fputc('\n', ts->file.f);
    ts->snap = sim_stats_snapshot_create(s);
    sim_stats_snapshot_take(s, ts->snap, start_ps);
    ts->ev = sim_event_create(k, "timeseries", on_sample, ts);
    if (start_ps + sample_ps < end_ps)
        sim_event_notify_at(ts->ev, start_ps + sample_ps);
    return ts;
}

int sim_timeseries_finish(sim_timeseries *ts, uint64_t end_ps, sim_err *e)
{
    sim_event_cancel(ts->ev);
    if (end_ps > ts->from_ps)
        write_row(ts, end_ps);
    ts->open = false;
    return sim_file_commit(&ts->file, e);
}

void sim_timeseries_destroy(sim_timeseries *ts)
{
    if (!ts)
        return;
    if (ts->ev)
        sim_event_cancel(ts->ev);
    if (ts->open)
        sim_file_abort(&ts->file);
    for (size_t i = 0; i < ts->n; i++)
        free(ts->names[i]);
    free(ts->names);
    sim_stats_snapshot_destroy(ts->snap);
    free(ts);
}
