/* [plot NAME] sections parsed and checked: keys, parameters, `where` values against
 * the sweep, hlines, size and format (plot_spec.h). */
#include "app/plot_spec.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "sim/alloc.h"
#include "sim/text.h"

static const char *const kind_names[] = {"lines", "bars", "stacked", "cdf", "timeseries"};
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])
_Static_assert(N_KINDS == PLOT_TIMESERIES + 1, "a name for each plot_kind, in its order");

static const char *const known_keys[] = {"kind",  "x",      "y",      "labels", "series",
                                         "series_label", "where", "logx", "logy", "title",
                                         "xlabel", "ylabel", "hline",  "format", "size",
                                         "marks"};
#define N_KEYS (sizeof known_keys / sizeof known_keys[0])

const char *app_plot_closest(const char *name, const char *const *names, size_t n)
{
    return sim_text_closest(name, names, n, strlen(name) / 3 + 1);
}

bool app_plot_param_numeric(const sim_params *p, const char *name)
{
    sim_param_type t = sim_params_type(p, name);
    return t == SIM_PARAM_INT || t == SIM_PARAM_UINT || t == SIM_PARAM_DOUBLE;
}

void app_plot_spec_free(plot_spec *s)
{
    free(s->name);
    free(s->where);
    free(s->x);
    free(s->x_where);
    app_strlist_free(&s->y);
    free(s->y_where);
    app_strlist_free(&s->labels);
    app_strlist_free(&s->series);
    for (size_t i = 0; i < s->n_filters; i++) {
        free(s->filters[i].param);
        free(s->filters[i].value);
    }
    free(s->filters);
    free(s->title);
    free(s->xlabel);
    free(s->ylabel);
    free(s->series_label);
    for (size_t i = 0; i < s->n_hlines; i++) {
        free(s->hlines[i].metric);
        free(s->hlines[i].label);
    }
    free(s->hlines);
    free(s->hline_where);
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(v, no[i])) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static ssize_t axis_index(const app_manifest *m, const char *name)
{
    for (size_t a = 0; a < app_manifest_axes(m); a++)
        if (!strcmp(app_manifest_axis(m, a), name))
            return (ssize_t)a;
    return -1;
}

static int unknown_param(const sim_params *reg, const char *where, const char *plot,
                         const char *what, const char *name, sim_err *e)
{
    const char *near = sim_params_suggest(reg, name);
    return sim_err_set(e, "%s: plot '%s': %s '%s' is not a parameter%s%s%s", where, plot, what,
                       name, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
}

/* A `where` item: PARAM=VALUE or PARAM!=VALUE, the value checked against the
 * parameter and, for a swept one, against its axis values (else the plot is empty). */
static int parse_filter(const char *item, const char *where, const plot_spec *s,
                        const sim_params *reg, sim_params *scratch, const app_manifest *m,
                        const sim_params *point0, plot_filter *out, sim_err *e)
{
    const char *op = strstr(item, "!=");
    bool negate = op != NULL;
    if (!op)
        op = strchr(item, '=');
    if (!op || op == item)
        return sim_err_set(e, "%s: plot '%s': where wants PARAM=VALUE or PARAM!=VALUE, got '%s'",
                           where, s->name, item);
    char *param = app_trimmed(item, (size_t)(op - item));
    const char *val = op + (negate ? 2 : 1);
    char *value = app_trimmed(val, strlen(val));
    int rc = 0;
    if (!sim_params_exists(reg, param)) {
        rc = unknown_param(reg, where, s->name, "where", param, e);
    } else if (sim_params_set(scratch, param, value, where, e) < 0) {
        sim_err_prefix(e, "plot '%s'", s->name);
        rc = -1;
    }
    if (rc == 0) {
        char canon[1024];
        sim_params_format(scratch, param, canon, sizeof canon);
        ssize_t a = axis_index(m, param);
        bool found = a < 0;
        for (size_t i = 0; a >= 0 && !found && i < app_manifest_points(m); i++)
            found = !strcmp(app_manifest_value(m, i, (size_t)a), canon);
        if (a < 0 && point0) {
            /* Not swept: every point has point 0's value. */
            char fixed[1024];
            sim_params_format(point0, param, fixed, sizeof fixed);
            if ((strcmp(fixed, canon) == 0) == negate) {
                sim_err_set(e, "%s: plot '%s': %s%s%s matches no point: %s is %s at every "
                               "point (it is not swept)",
                            where, s->name, param, negate ? "!=" : "=", canon, param, fixed);
                rc = 1;
            }
        } else if (!found) {
            char vals[512] = "";
            size_t used = 0, shown = 0;
            for (size_t i = 0; i < app_manifest_points(m) && used < sizeof vals; i++) {
                const char *v = app_manifest_value(m, i, (size_t)a);
                bool seen = false;
                for (size_t k = 0; k < i && !seen; k++)
                    seen = !strcmp(app_manifest_value(m, k, (size_t)a), v);
                if (seen)
                    continue;
                if (++shown > 12) {
                    used += (size_t)snprintf(vals + used, sizeof vals - used, ", ...");
                    break;
                }
                used += (size_t)snprintf(vals + used, sizeof vals - used, "%s%s",
                                         shown > 1 ? ", " : "", v);
            }
            sim_err_set(e, "%s: plot '%s': %s=%s matches no point: the sweep gives %s %s", where,
                        s->name, param, canon, param, vals);
            rc = 1;
        }
        if (rc == 0) {
            *out = (plot_filter){param, sim_xstrdup(canon), negate};
            param = NULL;
        }
    }
    free(param);
    free(value);
    return rc;
}

static int parse_hlines(const char *value, const char *where, plot_spec *s, sim_err *e)
{
    app_strlist items = {0};
    size_t n = app_strlist_split(&items, value, '|');
    s->hlines = sim_xcalloc(n, sizeof *s->hlines);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *it = items.v[i];
        size_t len = strcspn(it, " \t");
        char *first = sim_xstrndup(it, len);
        char *label = app_trimmed(it + len, strlen(it + len));
        char *end;
        double v = strtod(first, &end);
        plot_hline *h = &s->hlines[s->n_hlines++];
        if (end != first && !*end && isfinite(v)) {
            h->value = v;
            free(first);
        } else if (isdigit((unsigned char)first[0]) || first[0] == '-' || first[0] == '.') {
            free(first);
            free(label);
            s->n_hlines--;
            rc = sim_err_set(e, "%s: plot '%s': hline wants VALUE LABEL or METRIC LABEL, got '%s'",
                             where, s->name, it);
            break;
        } else {
            h->metric = first;
        }
        if (!*label) {
            free(label);
            label = sim_xstrdup(h->metric ? h->metric : it);
        }
        h->label = label;
    }
    app_strlist_free(&items);
    return rc;
}

static int parse_size(const char *v, unsigned *w, unsigned *h)
{
    char *end;
    unsigned long a = strtoul(v, &end, 10);
    if (end == v || (*end != 'x' && *end != 'X'))
        return -1;
    const char *b = end + 1;
    unsigned long c = strtoul(b, &end, 10);
    if (end == b || *end || a < 200 || a > 4000 || c < 150 || c > 4000)
        return -1;
    *w = (unsigned)a;
    *h = (unsigned)c;
    return 0;
}

/* Where the keys that the checks after the key loop name were given. */
typedef struct key_sites {
    const app_setting *where_key;
    const char *series, *logx, *logy, *labels, *label, *marks;
} key_sites;

static int parse_format(const char *val, const char *at, plot_spec *s, sim_err *e)
{
    app_strlist f = {0};
    size_t n = app_strlist_split(&f, val, ',');
    int rc = 0;
    s->png = s->svg = false;
    for (size_t j = 0; j < n && rc == 0; j++) {
        if (!strcmp(f.v[j], "png"))
            s->png = true;
        else if (!strcmp(f.v[j], "svg"))
            s->svg = true;
        else
            rc = sim_err_set(e, "%s: plot '%s': format '%s' is not png or svg", at, s->name,
                             f.v[j]);
    }
    if (rc == 0 && !n)
        rc = sim_err_set(e, "%s: plot '%s': format lists nothing (png, svg)", at, s->name);
    app_strlist_free(&f);
    return rc;
}

/* One key of the section into `s`; what needs the other keys is checked later. */
static int parse_key(const app_setting *kv, plot_spec *s, key_sites *sites, sim_err *e)
{
    const char *key = kv->name, *val = kv->value, *at = kv->where;
    int rc = 0;
    if (!strcmp(key, "kind")) {
        size_t j = 0;
        while (j < N_KINDS && strcmp(val, kind_names[j]))
            j++;
        if (j == N_KINDS)
            rc = sim_err_set(e, "%s: plot '%s': kind '%s' is not one of lines, bars, "
                                "stacked, cdf, timeseries",
                             at, s->name, val);
        s->kind = (plot_kind)j;
    } else if (!strcmp(key, "x")) {
        s->x = app_trimmed(val, strlen(val));
        s->x_where = sim_xstrdup(at);
    } else if (!strcmp(key, "y")) {
        app_strlist_split(&s->y, val, ',');
        s->y_where = sim_xstrdup(at);
    } else if (!strcmp(key, "labels")) {
        app_strlist_split(&s->labels, val, ',');
        sites->labels = at;
    } else if (!strcmp(key, "series")) {
        app_strlist_split(&s->series, val, ',');
        sites->series = at;
    } else if (!strcmp(key, "series_label")) {
        s->series_label = sim_xstrdup(val);
        sites->label = at;
    } else if (!strcmp(key, "where")) {
        sites->where_key = kv;
    } else if (!strcmp(key, "logx") || !strcmp(key, "logy")) {
        bool *flag = key[3] == 'x' ? &s->logx : &s->logy;
        *(key[3] == 'x' ? &sites->logx : &sites->logy) = at;
        if (parse_bool(val, flag) < 0)
            rc = sim_err_set(e, "%s: plot '%s': %s wants true or false, got '%s'", at, s->name,
                             key, val);
    } else if (!strcmp(key, "marks")) {
        sites->marks = at;
        if (parse_bool(val, &s->marks) < 0)
            rc = sim_err_set(e, "%s: plot '%s': marks wants true or false, got '%s'", at, s->name,
                             val);
    } else if (!strcmp(key, "title")) {
        s->title = sim_xstrdup(val);
    } else if (!strcmp(key, "xlabel")) {
        s->xlabel = sim_xstrdup(val);
    } else if (!strcmp(key, "ylabel")) {
        s->ylabel = sim_xstrdup(val);
    } else if (!strcmp(key, "hline")) {
        s->hline_where = sim_xstrdup(at);
        rc = parse_hlines(val, at, s, e);
    } else if (!strcmp(key, "format")) {
        rc = parse_format(val, at, s, e);
    } else if (!strcmp(key, "size")) {
        if (parse_size(val, &s->width, &s->height) < 0)
            rc = sim_err_set(e, "%s: plot '%s': size wants WIDTHxHEIGHT in pixels "
                                "(200x150 to 4000x4000), got '%s'",
                             at, s->name, val);
    } else {
        const char *near = app_plot_closest(key, known_keys, N_KEYS);
        rc = sim_err_set(e, "%s: plot '%s': unknown key '%s'%s%s%s (keys: kind, x, y, "
                            "labels, series, series_label, where, logx, logy, title, "
                            "xlabel, ylabel, hline, format, size, marks)",
                         at, s->name, key, near ? " (did you mean '" : "", near ? near : "",
                         near ? "'?)" : "");
    }
    return rc;
}

/* The keys together: x and y as the kind wants them, labels for the y, log axes the
 * kind can draw, x and the series against the parameters. */
static int check_axes(plot_spec *s, const sim_params *reg, const key_sites *sites, sim_err *e)
{
    int rc = 0;
    if (s->kind == PLOT_TIMESERIES) {
        if (s->x && strcmp(s->x, PLOT_TIME_X))
            return sim_err_set(e, "%s: plot '%s': a timeseries plot's x is time (%s): drop x "
                                  "= %s",
                               s->x_where, s->name, PLOT_TIME_X, s->x);
        if (!s->x) {
            s->x = sim_xstrdup(PLOT_TIME_X);
            s->x_where = sim_xstrdup(s->where);
        }
        if (s->logx)
            return sim_err_set(e, "%s: plot '%s': a timeseries plot has a linear time axis",
                               sites->logx, s->name);
    }
    if (!s->x || !*s->x)
        rc = sim_err_set(e, "%s: plot '%s' needs x = %s", s->where, s->name,
                         s->kind == PLOT_CDF ? "HISTOGRAM (e.g. dma.latency_ps)"
                                             : "PARAMETER or METRIC");
    if (rc == 0 && s->kind == PLOT_CDF && s->y.n)
        rc = sim_err_set(e, "%s: plot '%s': a cdf plot draws the histogram named by x; it takes "
                            "no y",
                         s->y_where, s->name);
    if (rc == 0 && s->kind != PLOT_CDF && !s->y.n)
        rc = sim_err_set(e, "%s: plot '%s' needs y = %s", s->y_where ? s->y_where : s->where,
                         s->name,
                         s->kind == PLOT_TIMESERIES ? "STATISTIC[, ...] (sampled by run.sample)"
                                                    : "METRIC[, METRIC...]");
    if (rc == 0 && s->labels.n && s->labels.n != s->y.n)
        rc = sim_err_set(e, "%s: plot '%s': %zu labels for %zu y metrics", sites->labels,
                         s->name, s->labels.n, s->y.n);
    if (rc == 0 && s->logx && (s->kind == PLOT_BARS || s->kind == PLOT_STACKED))
        rc = sim_err_set(e, "%s: plot '%s': bars have no logarithmic x axis (use kind = lines)",
                         sites->logx, s->name);
    /* Other kinds have no time axis to put an event on. */
    if (rc == 0 && sites->marks && s->kind != PLOT_TIMESERIES)
        rc = sim_err_set(e, "%s: plot '%s': marks are the points' events drawn against time: "
                            "only a timeseries plot has them",
                         sites->marks, s->name);
    if (rc == 0 && s->logy && s->kind == PLOT_STACKED)
        rc = sim_err_set(e, "%s: plot '%s': stacked bars cannot use a logarithmic y axis",
                         sites->logy, s->name);
    if (rc == 0 && s->kind != PLOT_CDF && s->kind != PLOT_TIMESERIES) {
        if (sim_params_exists(reg, s->x)) {
            if (s->kind == PLOT_LINES && !app_plot_param_numeric(reg, s->x))
                rc = sim_err_set(e, "%s: plot '%s': x = %s is not numeric: use kind = bars",
                                 s->x_where, s->name, s->x);
        } else if (s->kind != PLOT_LINES) {
            rc = unknown_param(reg, s->x_where, s->name, "x", s->x, e);
        } else {
            s->x_metric = true; /* checked with the other metrics */
        }
    }
    for (size_t k = 0; rc == 0 && k < s->series.n; k++) {
        if (!sim_params_exists(reg, s->series.v[k]))
            rc = unknown_param(reg, sites->series, s->name, "series", s->series.v[k], e);
        else if (!s->x_metric && s->kind != PLOT_CDF && s->kind != PLOT_TIMESERIES &&
                 !strcmp(s->series.v[k], s->x))
            rc = sim_err_set(e, "%s: plot '%s': %s is both x and a series", sites->series,
                             s->name, s->x);
    }
    return rc;
}

static int parse_where(plot_spec *s, const app_setting *where_key, const sim_params *reg,
                       const app_manifest *m, const sim_params *point0, sim_err *e)
{
    sim_params *scratch = sim_params_clone(reg);
    app_strlist items = {0};
    size_t n = app_strlist_split(&items, where_key->value, ',');
    s->filters = sim_xcalloc(n, sizeof *s->filters);
    int rc = 0;
    /* After a condition that matches no point (1) the others are still checked. */
    for (size_t k = 0; k < n && rc >= 0; k++) {
        sim_err fe = {{0}};
        int frc = parse_filter(items.v[k], where_key->where, s, reg, scratch, m, point0,
                               &s->filters[s->n_filters], &fe);
        if (frc == 0)
            s->n_filters++;
        else if (frc < 0 || rc == 0) {
            rc = frc;
            if (e)
                *e = fe;
        }
    }
    app_strlist_free(&items);
    sim_params_destroy(scratch);
    return rc;
}

/* Every {NAME} of series_label must be a parameter: a typo would print literally. */
static int check_series_label(const plot_spec *s, const sim_params *reg, const char *at,
                              sim_err *e)
{
    int rc = 0;
    for (const char *p = strchr(s->series_label, '{'); p && rc == 0; p = strchr(p + 1, '{')) {
        const char *q = strchr(p, '}');
        if (!q)
            return sim_err_set(e, "%s: plot '%s': series_label has '{' without '}'", at,
                               s->name);
        char *name = sim_xstrndup(p + 1, (size_t)(q - p - 1));
        if (!sim_params_exists(reg, name))
            rc = unknown_param(reg, at, s->name, "series_label", name, e);
        free(name);
    }
    return rc;
}

/* A timeseries plot draws what the points sample (as the sweep's first point has it):
 * run.sample_us must be on, and each y among run.sample's names, or, when run.sample is
 * empty (every metric), a metric (checked with the others: y_metrics). */
static int check_sampled(plot_spec *s, const sim_params *point0, sim_err *e)
{
    if (sim_params_double(point0, "run.sample_us") <= 0)
        return sim_err_set(e, "%s: plot '%s': a timeseries plot draws the points' "
                              "timeseries.csv: set run.sample_us",
                           s->where, s->name);
    const char *list = sim_params_string(point0, "run.sample");
    if (!*list) {
        s->y_metrics = true;
        return 0;
    }
    app_strlist names = {0};
    app_strlist_split(&names, list, ',');
    int rc = 0;
    for (size_t k = 0; k < s->y.n && rc == 0; k++)
        if (!app_strlist_has(&names, s->y.v[k]))
            rc = sim_err_set(e, "%s: plot '%s': y = %s is not sampled (run.sample = %s)",
                             s->y_where, s->name, s->y.v[k], list);
    app_strlist_free(&names);
    return rc;
}

/* Whether the plot pins axis ax down itself: its x, a series, or fixed by where. */
static bool axis_covered(const plot_spec *s, const char *ax)
{
    bool covered = (!s->x_metric && s->kind != PLOT_CDF && s->kind != PLOT_TIMESERIES &&
                    !strcmp(ax, s->x)) ||
                   app_strlist_has(&s->series, ax);
    for (size_t k = 0; k < s->n_filters && !covered; k++)
        covered = !s->filters[k].negate && !strcmp(s->filters[k].param, ax);
    return covered;
}

static bool same_value(const char *a, const char *b) { return a && b ? !strcmp(a, b) : a == b; }

/* Whether axis `ax`'s value follows axis `by`'s over every point (a zipped axis, such
 * as a window's length tied to the VMs), so it splits no curve `by` does not split. Up
 * to 64 values of `by` are looked at; more, and it does not count as following. */
static bool axis_follows(const app_manifest *m, size_t ax, size_t by)
{
    enum { MAX_KEYS = 64 };
    size_t rep[MAX_KEYS], n = 0;
    for (size_t p = 0; p < app_manifest_points(m); p++) {
        const char *key = app_manifest_value(m, p, by);
        size_t j = 0;
        while (j < n && !same_value(app_manifest_value(m, rep[j], by), key))
            j++;
        if (j == n) {
            if (n == MAX_KEYS)
                return false;
            rep[n++] = p;
        } else if (!same_value(app_manifest_value(m, rep[j], ax), app_manifest_value(m, p, ax))) {
            return false;
        }
    }
    return true;
}

/* Swept parameters the plot does not pin down become series, so every point has its
 * own curve and none is averaged away; one whose values follow an axis the plot pins
 * down splits nothing and stays out. */
static void add_free_axes(plot_spec *s, const app_manifest *m)
{
    size_t n = app_manifest_axes(m);
    bool *covered = sim_xcalloc(n ? n : 1, sizeof *covered);
    for (size_t a = 0; a < n; a++)
        covered[a] = axis_covered(s, app_manifest_axis(m, a));
    for (size_t a = 0; a < n; a++) {
        if (covered[a])
            continue;
        bool follows = false;
        for (size_t b = 0; b < n && !follows; b++)
            follows = covered[b] && axis_follows(m, a, b);
        if (!follows)
            app_strlist_push(&s->series, sim_xstrdup(app_manifest_axis(m, a)));
    }
    free(covered);
}

int app_plot_spec_parse(const app_workload *w, size_t i, const sim_params *reg,
                        const app_manifest *m, const sim_params *point0, plot_spec *s,
                        sim_err *e)
{
    s->name = sim_xstrdup(app_workload_plot_name(w, i));
    s->where = sim_xstrdup(app_workload_plot_where(w, i));
    s->png = s->svg = true;
    s->width = 900;
    s->height = 560;
    s->marks = true;
    key_sites sites = {0};
    int rc = 0;
    for (size_t k = 0; k < app_workload_plot_keys(w, i) && rc == 0; k++)
        rc = parse_key(app_workload_plot_key(w, i, k), s, &sites, e);
    if (rc == 0)
        rc = check_axes(s, reg, &sites, e);
    if (rc == 0 && s->kind == PLOT_TIMESERIES && point0)
        rc = check_sampled(s, point0, e);
    if (rc == 0 && sites.where_key)
        rc = parse_where(s, sites.where_key, reg, m, point0, e);
    /* A plot that selects nothing is still checked for what makes it wrong. */
    if (rc >= 0 && s->series_label && check_series_label(s, reg, sites.label, e) < 0)
        rc = -1;
    if (rc == 0)
        add_free_axes(s, m);
    return rc;
}

bool app_plot_spec_selects(const plot_spec *s, const app_results *r, size_t i)
{
    if (!app_results_ok(r, i))
        return false;
    for (size_t k = 0; k < s->n_filters; k++) {
        const char *v = app_results_param(r, i, s->filters[k].param);
        bool eq = v && !strcmp(v, s->filters[k].value);
        if (eq == s->filters[k].negate)
            return false;
    }
    return true;
}
