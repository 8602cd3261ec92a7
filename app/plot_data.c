/* A plot's data from a results folder: lines and bars from the points' metrics, a cdf
 * from each point's hists.txt, a time series from each point's timeseries.csv and its
 * marks from events.csv, reference lines, and the NAME.dat file. */
#include "app/plot_data.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"

/* A byte count that is a whole number of KiB reads better as "64 KiB" than as 65536,
 * on an axis and in a legend. False (buf untouched) for anything else. */
bool app_plot_data_bytes_text(double v, char *buf, size_t len)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (!(v >= 1024.0) || v > 1e18 || v != floor(v) || fmod(v, 1024.0) != 0)
        return false;
    size_t u = 0;
    v /= 1024.0;
    while (u + 1 < sizeof units / sizeof units[0] && fmod(v, 1024.0) == 0) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, len, "%.0f %s", v, units[u]);
    return true;
}

bool app_plot_data_param_bytes(const sim_params *p, const char *name)
{
    return !strcmp(sim_params_unit(p, name), "bytes");
}

static void curve_free(plot_curve *cv)
{
    free(cv->key);
    free(cv->title);
    free(cv->xs);
    free(cv->ys);
    free(cv->order);
}

static void curves_free(plot_curves *c)
{
    for (size_t i = 0; i < c->n; i++)
        curve_free(&c->v[i]);
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* A series' legend text: series_label with {PARAM} filled in, or the values (bare for
 * names, "short_name=value" for numbers). */
/* Whether `param` takes more than one value over the points the plot selects: one that
 * does not (a swept axis the plot's points all share, such as a duration tied to
 * another axis) says nothing in a legend. */
static bool varies(const plot_spec *s, const app_results *r, const char *param)
{
    const char *first = NULL;
    for (size_t i = 0; i < app_results_points(r); i++) {
        if (!app_plot_spec_selects(s, r, i))
            continue;
        const char *v = app_results_param(r, i, param);
        if (!v)
            continue;
        if (!first)
            first = v;
        else if (strcmp(first, v))
            return true;
    }
    return false;
}

/* NULL when no series parameter varies over the plot's points. */
static char *series_text(const plot_spec *s, const app_results *r, size_t i,
                         const sim_params *reg)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = sim_xopen_memstream(&out, &len);
    if (s->series_label) {
        for (const char *p = s->series_label; *p;) {
            const char *q = strchr(p, '{');
            const char *end = q ? strchr(q, '}') : NULL;
            if (!q || !end) {
                fputs(p, f);
                break;
            }
            fwrite(p, 1, (size_t)(q - p), f);
            char *name = sim_xstrndup(q + 1, (size_t)(end - q - 1));
            const char *v = app_results_param(r, i, name);
            fputs(v ? v : "?", f);
            free(name);
            p = end + 1;
        }
        fclose(f);
        return out;
    }
    bool any = false;
    for (size_t k = 0; k < s->series.n; k++) {
        if (!varies(s, r, s->series.v[k]))
            continue;
        const char *v = app_results_param(r, i, s->series.v[k]);
        if (any)
            fputs(", ", f);
        any = true;
        char human[64];
        if (app_plot_param_numeric(reg, s->series.v[k])) {
            const char *dot = strrchr(s->series.v[k], '.');
            fprintf(f, "%s=", dot ? dot + 1 : s->series.v[k]);
            if (v && app_plot_data_param_bytes(reg, s->series.v[k]) &&
                app_plot_data_bytes_text(strtod(v, NULL), human, sizeof human))
                v = human;
        }
        fputs(v ? v : "?", f);
    }
    fclose(f);
    if (!any) {
        free(out);
        return NULL;
    }
    return out;
}

static char *series_key(const plot_spec *s, const app_results *r, size_t i, size_t y)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = sim_xopen_memstream(&out, &len);
    for (size_t k = 0; k < s->series.n; k++) {
        const char *v = app_results_param(r, i, s->series.v[k]);
        fprintf(f, "%s\x1f", v ? v : "?");
    }
    fprintf(f, "%zu", y);
    fclose(f);
    return out;
}

static const char *y_text(const plot_spec *s, size_t y)
{
    return s->labels.n ? s->labels.v[y] : s->y.v[y];
}

static plot_curve *curve_for(plot_curves *c, const plot_spec *s, const app_results *r, size_t i,
                             size_t y, const sim_params *reg)
{
    char *key = series_key(s, r, i, y);
    for (size_t k = 0; k < c->n; k++)
        if (!strcmp(c->v[k].key, key)) {
            free(key);
            return &c->v[k];
        }
    c->v = sim_xrealloc(c->v, (c->n + 1) * sizeof *c->v);
    plot_curve *cv = &c->v[c->n++];
    memset(cv, 0, sizeof *cv);
    cv->key = key;
    cv->y = y;
    cv->point = i;
    char *st = s->series.n || s->series_label ? series_text(s, r, i, reg) : NULL;
    if (st && s->y.n > 1) {
        cv->title = sim_xasprintf("%s: %s", st, y_text(s, y));
        free(st);
    } else {
        cv->title = st ? st : sim_xstrdup(y_text(s, y));
    }
    return cv;
}

static void curve_add(plot_curve *cv, double x, double y, size_t point)
{
    if (cv->n == cv->cap) {
        cv->cap = cv->cap ? 2 * cv->cap : 16;
        cv->xs = sim_xrealloc(cv->xs, cv->cap * sizeof *cv->xs);
        cv->ys = sim_xrealloc(cv->ys, cv->cap * sizeof *cv->ys);
        cv->order = sim_xrealloc(cv->order, cv->cap * sizeof *cv->order);
    }
    cv->xs[cv->n] = x;
    cv->ys[cv->n] = y;
    cv->order[cv->n] = point;
    cv->n++;
}

/* Insertion sort by x, stable: sweeps are small and usually already in order. */
static void curve_sort(plot_curve *cv)
{
    for (size_t i = 1; i < cv->n; i++) {
        double x = cv->xs[i], y = cv->ys[i];
        size_t o = cv->order[i], j = i;
        while (j > 0 && cv->xs[j - 1] > x) {
            cv->xs[j] = cv->xs[j - 1];
            cv->ys[j] = cv->ys[j - 1];
            cv->order[j] = cv->order[j - 1];
            j--;
        }
        cv->xs[j] = x;
        cv->ys[j] = y;
        cv->order[j] = o;
    }
}

static bool x_value(const plot_spec *s, const app_results *r, size_t i, double *x)
{
    if (s->x_metric)
        return app_results_metric(r, i, s->x, x);
    const char *v = app_results_param(r, i, s->x);
    if (!v)
        return false;
    char *end;
    *x = strtod(v, &end);
    return end != v;
}

/* Lines (and the series of bars): one curve per series value and y metric. */
static void collect_xy(const plot_spec *s, const app_results *r, const sim_params *reg,
                       plot_curves *out)
{
    for (size_t i = 0; i < app_results_points(r); i++) {
        if (!app_plot_spec_selects(s, r, i))
            continue;
        double x = 0;
        if (s->kind == PLOT_LINES && !x_value(s, r, i, &x))
            continue;
        for (size_t k = 0; k < s->y.n; k++) {
            double y;
            if (!app_results_metric(r, i, s->y.v[k], &y))
                continue;
            curve_add(curve_for(out, s, r, i, k, reg), x, y, i);
        }
    }
    if (s->kind == PLOT_LINES && !s->x_metric)
        for (size_t k = 0; k < out->n; k++)
            curve_sort(&out->v[k]);
}

typedef struct hist_data {
    char unit[64];
    uint64_t *lo, *hi, *n;
    size_t len, cap;
    uint64_t total;
} hist_data;

/* One histogram from a point's hists.txt (see sim/run.c). */
static bool read_hist(const char *point_dir, const char *name, hist_data *h)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/hists.txt", point_dir);
    memset(h, 0, sizeof *h);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[1024];
    bool in = false, found = false;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "hist\t", 5)) {
            if (in)
                break;
            char *fld = line + 5;
            char *tab = strchr(fld, '\t');
            if (!tab)
                continue;
            *tab = '\0';
            if (strcmp(fld, name))
                continue;
            in = found = true;
            char *unit = tab + 1;
            char *tab2 = strchr(unit, '\t');
            if (tab2)
                *tab2 = '\0';
            snprintf(h->unit, sizeof h->unit, "%s", strcmp(unit, "-") ? unit : "");
            continue;
        }
        if (!in)
            continue;
        unsigned long long lo, hi, n;
        if (sscanf(line, "%llu\t%llu\t%llu", &lo, &hi, &n) != 3)
            continue;
        if (h->len == h->cap) {
            h->cap = h->cap ? 2 * h->cap : 64;
            h->lo = sim_xrealloc(h->lo, h->cap * sizeof *h->lo);
            h->hi = sim_xrealloc(h->hi, h->cap * sizeof *h->hi);
            h->n = sim_xrealloc(h->n, h->cap * sizeof *h->n);
        }
        h->lo[h->len] = lo;
        h->hi[h->len] = hi;
        h->n[h->len] = n;
        h->len++;
        h->total += n;
    }
    fclose(f);
    return found;
}

static void hist_free(hist_data *h)
{
    free(h->lo);
    free(h->hi);
    free(h->n);
}

/* Picoseconds read better as nanoseconds on an axis. */
static double hist_scale(const char *unit, const char **shown)
{
    if (!strcmp(unit, "ps")) {
        *shown = "ns";
        return 1e-3;
    }
    *shown = unit;
    return 1.0;
}

/* CDF: one curve per point, the fraction of samples at or below each bucket's top. */
static void collect_cdf(const plot_spec *s, const app_results *r, const sim_params *reg,
                        plot_curves *out, char *unit, size_t unit_len)
{
    for (size_t i = 0; i < app_results_points(r); i++) {
        if (!app_plot_spec_selects(s, r, i))
            continue;
        hist_data h;
        if (!read_hist(app_results_point_dir(r, i), s->x, &h) || !h.total) {
            hist_free(&h);
            continue;
        }
        const char *shown;
        double scale = hist_scale(h.unit, &shown);
        snprintf(unit, unit_len, "%s", shown);
        plot_curve *cv = curve_for(out, s, r, i, 0, reg);
        if (cv->n) { /* two points in one series: keep the first */
            hist_free(&h);
            continue;
        }
        if (!s->series.n && !s->series_label) {
            free(cv->title);
            cv->title = sim_xstrdup(s->x);
        }
        curve_add(cv, (double)h.lo[0] * scale, 0.0, i);
        uint64_t cum = 0;
        for (size_t b = 0; b < h.len; b++) {
            cum += h.n[b];
            curve_add(cv, (double)h.hi[b] * scale, (double)cum / (double)h.total, i);
        }
        hist_free(&h);
    }
}

/* Time series: one curve per point and y, the column of that name in the point's
 * timeseries.csv against its time column (sim/timeseries.h). A point without the
 * file or the column draws nothing. */
static void collect_timeseries(const plot_spec *s, const app_results *r, const sim_params *reg,
                               plot_curves *out)
{
    for (size_t i = 0; i < app_results_points(r); i++) {
        if (!app_plot_spec_selects(s, r, i))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/timeseries.csv", app_results_point_dir(r, i));
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        char *line = NULL;
        size_t cap = 0;
        app_strlist cols = {0};
        if (getline(&line, &cap, f) > 0) {
            line[strcspn(line, "\r\n")] = '\0';
            app_strlist_split(&cols, line, ',');
        }
        size_t *col = sim_xcalloc(s->y.n, sizeof *col); /* 0: not in the file */
        plot_curve **cv = sim_xcalloc(s->y.n, sizeof *cv);
        for (size_t k = 0; k < s->y.n; k++) {
            for (size_t c = 1; c < cols.n && !col[k]; c++)
                if (!strcmp(cols.v[c], s->y.v[k]))
                    col[k] = c;
            if (col[k]) {
                cv[k] = curve_for(out, s, r, i, k, reg);
                if (cv[k]->n) /* two points in one series: keep the first */
                    cv[k] = NULL;
            }
        }
        while (getline(&line, &cap, f) > 0) {
            app_strlist v = {0};
            line[strcspn(line, "\r\n")] = '\0';
            app_strlist_split(&v, line, ',');
            double t = v.n ? strtod(v.v[0], NULL) : NAN;
            for (size_t k = 0; k < s->y.n; k++)
                if (cv[k] && col[k] < v.n)
                    curve_add(cv[k], t, strtod(v.v[col[k]], NULL), i);
            app_strlist_free(&v);
        }
        free(col);
        free(cv);
        app_strlist_free(&cols);
        free(line);
        fclose(f);
    }
    /* Curves of a column no point had stay empty: drop them. */
    size_t kept = 0;
    for (size_t k = 0; k < out->n; k++) {
        if (out->v[k].n)
            out->v[kept++] = out->v[k];
        else
            curve_free(&out->v[k]);
    }
    out->n = kept;
}

void app_plot_marks_free(plot_marks *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].label);
    free(m->v);
    memset(m, 0, sizeof *m);
}

static void marks_add(plot_marks *m, double t_us, const char *label)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->v = sim_xrealloc(m->v, m->cap * sizeof *m->v);
    }
    m->v[m->n++] = (plot_mark){t_us, sim_xstrdup(label), false};
}

/* As strict as the writer (sim/run.c) is regular: a file that is not of its form was
 * written by something else or damaged, and a figure that skipped its rows would show
 * a migration without its phases and say nothing. */
int app_plot_events_read(const char *path, plot_marks *out, sim_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return sim_err_set(e, "cannot read %s: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        if (lineno == 1) {
            if (strcmp(line, "time_us,event"))
                rc = sim_err_set(e, "%s:1: not an events file: the header is '%.60s', not "
                                    "'time_us,event'",
                                 path, line);
            continue;
        }
        char *comma = strchr(line, ',');
        char *end = line;
        double t = comma ? strtod(line, &end) : NAN;
        if (!comma || end != comma || !isfinite(t) || t < 0 || strpbrk(comma + 1, ",\""))
            rc = sim_err_set(e, "%s:%zu: wants TIME_US,EVENT (simulated microseconds, a label "
                                "without commas or quotes), got '%.60s'",
                             path, lineno, line);
        else
            marks_add(out, t, comma + 1);
    }
    if (rc == 0 && ferror(f))
        rc = sim_err_set(e, "cannot read %s: %s", path, strerror(errno));
    else if (rc == 0 && lineno == 0)
        rc = sim_err_set(e, "%s:1: not an events file: it is empty (no header 'time_us,event')",
                         path);
    free(line);
    fclose(f);
    return rc;
}

/* A mark and where it was read: the tie-break that makes qsort stable. */
typedef struct mark_at {
    plot_mark m;
    size_t i;
} mark_at;

static int mark_order(const void *a, const void *b)
{
    const mark_at *x = a, *y = b;
    if (x->m.t_us != y->m.t_us)
        return x->m.t_us < y->m.t_us ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The marks of the points the time series draws (those whose rows made a curve), each
 * one marked late when it lies after its point's last row; then by time, in point order
 * at one time, and a time and label that several points share once (late only if late
 * in every one). */
static int collect_marks(plot_data *d, sim_err *e)
{
    size_t np = app_results_points(d->r);
    double *last = sim_xcalloc(np ? np : 1, sizeof *last);
    bool *drawn = sim_xcalloc(np ? np : 1, sizeof *drawn);
    for (size_t k = 0; k < d->c.n; k++)
        for (size_t j = 0; j < d->c.v[k].n; j++) {
            size_t p = d->c.v[k].order[j];
            last[p] = drawn[p] ? fmax(last[p], d->c.v[k].xs[j]) : d->c.v[k].xs[j];
            drawn[p] = true;
        }
    int rc = 0;
    for (size_t p = 0; p < np && rc == 0; p++) {
        if (!drawn[p])
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/events.csv", app_results_point_dir(d->r, p));
        size_t from = d->marks.n;
        rc = app_plot_events_read(path, &d->marks, e);
        for (size_t k = from; k < d->marks.n; k++)
            d->marks.v[k].late = d->marks.v[k].t_us > last[p];
    }
    free(last);
    free(drawn);
    if (rc < 0 || d->marks.n < 2)
        return rc;
    size_t n = d->marks.n;
    mark_at *v = sim_xcalloc(n, sizeof *v);
    for (size_t k = 0; k < n; k++)
        v[k] = (mark_at){d->marks.v[k], k};
    qsort(v, n, sizeof *v, mark_order);
    d->marks.n = 0;
    for (size_t k = 0; k < n; k++) {
        plot_mark *same = NULL;
        for (size_t j = d->marks.n; j-- > 0 && d->marks.v[j].t_us == v[k].m.t_us && !same;)
            if (!strcmp(d->marks.v[j].label, v[k].m.label))
                same = &d->marks.v[j];
        if (same) {
            same->late = same->late && v[k].m.late;
            free(v[k].m.label);
        } else {
            d->marks.v[d->marks.n++] = v[k].m;
        }
    }
    free(v);
    return 0;
}

void app_plot_data_number(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else
        fprintf(f, "%.10g", v);
}

static void collect_bars(plot_data *d)
{
    const plot_spec *s = d->s;
    for (size_t i = 0; i < app_results_points(d->r); i++) {
        if (!app_plot_spec_selects(s, d->r, i))
            continue;
        const char *v = app_results_param(d->r, i, s->x);
        if (v)
            app_strlist_add(&d->cats, v);
    }
    collect_xy(s, d->r, d->reg, &d->c);
    d->cells = sim_xcalloc(d->cats.n * (d->c.n ? d->c.n : 1), sizeof *d->cells);
    for (size_t k = 0; k < d->cats.n * d->c.n; k++)
        d->cells[k] = NAN;
    for (size_t k = 0; k < d->c.n; k++) {
        const plot_curve *cv = &d->c.v[k];
        for (size_t j = 0; j < cv->n; j++) {
            const char *v = app_results_param(d->r, cv->order[j], s->x);
            for (size_t c = 0; v && c < d->cats.n; c++)
                if (!strcmp(d->cats.v[c], v) && isnan(d->cells[c * d->c.n + k]))
                    d->cells[c * d->c.n + k] = cv->ys[j];
        }
    }
}

int app_plot_data_collect(plot_data *d, sim_err *e)
{
    const plot_spec *s = d->s;
    if (s->kind == PLOT_CDF)
        collect_cdf(s, d->r, d->reg, &d->c, d->cdf_unit, sizeof d->cdf_unit);
    else if (s->kind == PLOT_TIMESERIES)
        collect_timeseries(s, d->r, d->reg, &d->c);
    else if (s->kind == PLOT_BARS || s->kind == PLOT_STACKED)
        collect_bars(d);
    else
        collect_xy(s, d->r, d->reg, &d->c);
    if (!d->c.n)
        return 1;
    if (s->kind == PLOT_TIMESERIES && s->marks && collect_marks(d, e) < 0)
        return -1;
    d->hvals = sim_xcalloc(s->n_hlines, sizeof *d->hvals);
    d->hok = sim_xcalloc(s->n_hlines, sizeof *d->hok);
    for (size_t k = 0; k < s->n_hlines; k++) {
        if (!s->hlines[k].metric) {
            d->hvals[k] = s->hlines[k].value;
            d->hok[k] = true;
            continue;
        }
        for (size_t i = 0; i < app_results_points(d->r) && !d->hok[k]; i++)
            d->hok[k] = app_plot_spec_selects(s, d->r, i) &&
                        app_results_metric(d->r, i, s->hlines[k].metric, &d->hvals[k]);
    }
    return 0;
}

void app_plot_data_write(const plot_data *d, FILE *f)
{
    const plot_spec *s = d->s;
    fprintf(f, "# Data of plot '%s' (plot file %s), from the results in %s.\n", s->name,
            d->plot_file, app_results_dir(d->r));
    if (s->kind == PLOT_BARS || s->kind == PLOT_STACKED) {
        fprintf(f, "# One row per %s; columns: %s, then", s->x, s->x);
        for (size_t k = 0; k < d->c.n; k++)
            fprintf(f, "%s '%s'", k ? "," : "", d->c.v[k].title);
        fputs("\n", f);
        bool human = app_plot_data_param_bytes(d->reg, s->x);
        char label[64];
        for (size_t c = 0; c < d->cats.n && human; c++)
            human = app_plot_data_bytes_text(strtod(d->cats.v[c], NULL), label, sizeof label);
        for (size_t c = 0; c < d->cats.n; c++) {
            const char *cat = d->cats.v[c];
            if (human && app_plot_data_bytes_text(strtod(cat, NULL), label, sizeof label))
                cat = label;
            fputc('"', f);
            for (const char *p = cat; *p; p++)
                if (*p != '"')
                    fputc(*p, f);
            fputc('"', f);
            for (size_t k = 0; k < d->c.n; k++) {
                fputc('\t', f);
                app_plot_data_number(f, d->cells[c * d->c.n + k]);
            }
            fputc('\n', f);
        }
        return;
    }
    fprintf(f, "# One block per series (gnuplot index 0, 1, ...): %s, %s.\n",
            s->kind == PLOT_CDF ? "x" : s->kind == PLOT_TIMESERIES ? "time_us (interval end)" : s->x,
            s->kind == PLOT_CDF ? "fraction of samples at or below x" : "y");
    for (size_t k = 0; k < d->c.n; k++) {
        const plot_curve *cv = &d->c.v[k];
        fprintf(f, "%s# index %zu: %s\n", k ? "\n\n" : "", k, cv->title);
        for (size_t i = 0; i < cv->n; i++) {
            app_plot_data_number(f, cv->xs[i]);
            fputc('\t', f);
            app_plot_data_number(f, cv->ys[i]);
            fputc('\n', f);
        }
    }
}

void app_plot_data_free(plot_data *d)
{
    curves_free(&d->c);
    app_strlist_free(&d->cats);
    free(d->cells);
    free(d->hvals);
    free(d->hok);
    app_plot_marks_free(&d->marks);
}
