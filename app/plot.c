/* [plot] sections: parsing and checks, the metric check by building points, and
 * drawing through gnuplot (see sim/plot.h). The gnuplot style lives in the .gp files
 * of plots/, compiled in (sim/plot_templates.h), so each generated .gp is a standalone
 * copy. */
#include "app/plot.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/plot_templates.h"
#include "app/proc.h"
#include "app/strlist.h"
#include "config.h"
#include "sim/alloc.h"
#include "sim/files.h"
#include "sim/kernel.h"
#include "sim/stats.h"
#include "sim/text.h"

typedef enum plot_kind { KIND_LINES, KIND_BARS, KIND_STACKED, KIND_CDF } plot_kind;
static const char *const kind_names[] = {"lines", "bars", "stacked", "cdf"};
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

static const char *const known_keys[] = {"kind",  "x",      "y",      "labels", "series",
                                         "series_label", "where", "logx", "logy", "title",
                                         "xlabel", "ylabel", "hline",  "format", "size"};
#define N_KEYS (sizeof known_keys / sizeof known_keys[0])

typedef struct filter {
    char *param;
    char *value; /* canonical */
    bool negate;
} filter;

typedef struct hline {
    double value;
    char *metric; /* NULL: a constant */
    char *label;
} hline;

typedef struct plot_spec {
    char *name;
    char *where;
    plot_kind kind;
    char *x;
    bool x_metric;
    char *x_where;
    app_strlist y;
    char *y_where;
    app_strlist labels;
    app_strlist series;
    filter *filters;
    size_t n_filters;
    bool logx, logy;
    char *title, *xlabel, *ylabel, *series_label;
    bool png, svg;
    unsigned width, height;
    hline *hlines;
    size_t n_hlines;
    char *hline_where;
} plot_spec;

struct app_plots {
    plot_spec *v;
    size_t n;
    size_t dropped; /* lenient loading: specs refused and left out */
};

/* ---- small helpers ----------------------------------------------------------------- */

/* The closest of `names` to `name` when close enough to be a typo, else NULL. */
static const char *closest(const char *name, const char *const *names, size_t n)
{
    return sim_text_closest(name, names, n, strlen(name) / 3 + 1);
}

/* A byte count that is a whole number of KiB reads better as "64 KiB" than as 65536,
 * on an axis and in a legend. False (buf untouched) for anything else. */
static bool bytes_text(double v, char *buf, size_t len)
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

static bool is_bytes_param(const sim_params *p, const char *name)
{
    return !strcmp(sim_params_unit(p, name), "bytes");
}

static bool is_numeric_param(const sim_params *p, const char *name)
{
    sim_param_type t = sim_params_type(p, name);
    return t == SIM_PARAM_INT || t == SIM_PARAM_UINT || t == SIM_PARAM_DOUBLE;
}

/* ---- parsing ----------------------------------------------------------------------- */

static void spec_free(plot_spec *s)
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

void app_plots_destroy(app_plots *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->n; i++)
        spec_free(&ps->v[i]);
    free(ps->v);
    free(ps);
}

size_t app_plots_count(const app_plots *ps) { return ps->n; }

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
                        const sim_params *point0, filter *out, sim_err *e)
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
            if ((strcmp(fixed, canon) == 0) == negate)
                rc = sim_err_set(e, "%s: plot '%s': %s%s%s matches no point: %s is %s at every "
                                    "point (it is not swept)",
                                 where, s->name, param, negate ? "!=" : "=", canon, param, fixed);
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
            rc = sim_err_set(e, "%s: plot '%s': %s=%s matches no point: the sweep gives %s %s",
                             where, s->name, param, canon, param, vals);
        } else {
        }
        if (rc == 0) {
            *out = (filter){param, sim_xstrdup(canon), negate};
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
        hline *h = &s->hlines[s->n_hlines++];
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

/* One [plot] section. */
static int parse_spec(const app_workload *w, size_t i, const sim_params *reg,
                      const app_manifest *m, const sim_params *point0, plot_spec *s, sim_err *e)
{
    s->name = sim_xstrdup(app_workload_plot_name(w, i));
    s->where = sim_xstrdup(app_workload_plot_where(w, i));
    s->png = s->svg = true;
    s->width = 900;
    s->height = 560;
    const app_setting *where_key = NULL;
    const char *series_where = NULL, *logx_where = NULL, *logy_where = NULL,
               *labels_where = NULL, *label_where = NULL;
    sim_params *scratch = sim_params_clone(reg);
    int rc = 0;
    for (size_t k = 0; k < app_workload_plot_keys(w, i) && rc == 0; k++) {
        const app_setting *kv = app_workload_plot_key(w, i, k);
        const char *key = kv->name, *val = kv->value, *at = kv->where;
        if (!strcmp(key, "kind")) {
            size_t j = 0;
            while (j < N_KINDS && strcmp(val, kind_names[j]))
                j++;
            if (j == N_KINDS)
                rc = sim_err_set(e, "%s: plot '%s': kind '%s' is not one of lines, bars, "
                                    "stacked, cdf",
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
            labels_where = at;
        } else if (!strcmp(key, "series")) {
            app_strlist_split(&s->series, val, ',');
            series_where = at;
        } else if (!strcmp(key, "series_label")) {
            s->series_label = sim_xstrdup(val);
            label_where = at;
        } else if (!strcmp(key, "where")) {
            where_key = kv;
        } else if (!strcmp(key, "logx") || !strcmp(key, "logy")) {
            bool *flag = key[3] == 'x' ? &s->logx : &s->logy;
            *(key[3] == 'x' ? &logx_where : &logy_where) = at;
            if (parse_bool(val, flag) < 0)
                rc = sim_err_set(e, "%s: plot '%s': %s wants true or false, got '%s'", at,
                                 s->name, key, val);
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
            app_strlist f = {0};
            size_t n = app_strlist_split(&f, val, ',');
            s->png = s->svg = false;
            for (size_t j = 0; j < n && rc == 0; j++) {
                if (!strcmp(f.v[j], "png"))
                    s->png = true;
                else if (!strcmp(f.v[j], "svg"))
                    s->svg = true;
                else
                    rc = sim_err_set(e, "%s: plot '%s': format '%s' is not png or svg", at,
                                     s->name, f.v[j]);
            }
            if (rc == 0 && !n)
                rc = sim_err_set(e, "%s: plot '%s': format lists nothing (png, svg)", at, s->name);
            app_strlist_free(&f);
        } else if (!strcmp(key, "size")) {
            if (parse_size(val, &s->width, &s->height) < 0)
                rc = sim_err_set(e, "%s: plot '%s': size wants WIDTHxHEIGHT in pixels "
                                    "(200x150 to 4000x4000), got '%s'",
                                 at, s->name, val);
        } else {
            const char *near = closest(key, known_keys, N_KEYS);
            rc = sim_err_set(e, "%s: plot '%s': unknown key '%s'%s%s%s (keys: kind, x, y, "
                                "labels, series, series_label, where, logx, logy, title, "
                                "xlabel, ylabel, hline, format, size)",
                             at, s->name, key, near ? " (did you mean '" : "",
                             near ? near : "", near ? "'?)" : "");
        }
    }
    if (rc == 0 && (!s->x || !*s->x))
        rc = sim_err_set(e, "%s: plot '%s' needs x = %s", s->where, s->name,
                         s->kind == KIND_CDF ? "HISTOGRAM (e.g. dma.latency_ps)"
                                             : "PARAMETER or METRIC");
    if (rc == 0 && s->kind == KIND_CDF && s->y.n)
        rc = sim_err_set(e, "%s: plot '%s': a cdf plot draws the histogram named by x; it takes "
                            "no y",
                         s->y_where, s->name);
    if (rc == 0 && s->kind != KIND_CDF && !s->y.n)
        rc = sim_err_set(e, "%s: plot '%s' needs y = METRIC[, METRIC...]", s->y_where ? s->y_where : s->where, s->name);
    if (rc == 0 && s->labels.n && s->labels.n != s->y.n)
        rc = sim_err_set(e, "%s: plot '%s': %zu labels for %zu y metrics", labels_where, s->name,
                         s->labels.n, s->y.n);
    if (rc == 0 && s->logx && (s->kind == KIND_BARS || s->kind == KIND_STACKED))
        rc = sim_err_set(e, "%s: plot '%s': bars have no logarithmic x axis (use kind = lines)",
                         logx_where, s->name);
    if (rc == 0 && s->logy && s->kind == KIND_STACKED)
        rc = sim_err_set(e, "%s: plot '%s': stacked bars cannot use a logarithmic y axis",
                         logy_where, s->name);
    if (rc == 0 && s->kind != KIND_CDF) {
        if (sim_params_exists(reg, s->x)) {
            if (s->kind == KIND_LINES && !is_numeric_param(reg, s->x))
                rc = sim_err_set(e, "%s: plot '%s': x = %s is not numeric: use kind = bars",
                                 s->x_where, s->name, s->x);
        } else if (s->kind != KIND_LINES) {
            rc = unknown_param(reg, s->x_where, s->name, "x", s->x, e);
        } else {
            s->x_metric = true; /* checked with the other metrics */
        }
    }
    for (size_t k = 0; rc == 0 && k < s->series.n; k++) {
        if (!sim_params_exists(reg, s->series.v[k]))
            rc = unknown_param(reg, series_where, s->name, "series", s->series.v[k], e);
        else if (!s->x_metric && s->kind != KIND_CDF && !strcmp(s->series.v[k], s->x))
            rc = sim_err_set(e, "%s: plot '%s': %s is both x and a series", series_where, s->name,
                             s->x);
    }
    if (rc == 0 && where_key) {
        app_strlist items = {0};
        size_t n = app_strlist_split(&items, where_key->value, ',');
        s->filters = sim_xcalloc(n, sizeof *s->filters);
        for (size_t k = 0; k < n && rc == 0; k++) {
            rc = parse_filter(items.v[k], where_key->where, s, reg, scratch, m, point0,
                              &s->filters[k], e);
            if (rc == 0)
                s->n_filters++;
        }
        app_strlist_free(&items);
    }
    if (rc == 0 && s->series_label) {
        /* Every {NAME} must be a parameter: a typo would print literally. */
        for (const char *p = strchr(s->series_label, '{'); p && rc == 0; p = strchr(p + 1, '{')) {
            const char *q = strchr(p, '}');
            if (!q) {
                rc = sim_err_set(e, "%s: plot '%s': series_label has '{' without '}'",
                                 label_where, s->name);
                break;
            }
            char *name = sim_xstrndup(p + 1, (size_t)(q - p - 1));
            if (!sim_params_exists(reg, name))
                rc = unknown_param(reg, label_where, s->name, "series_label", name, e);
            free(name);
        }
    }
    /* Swept parameters the plot does not pin down become series. */
    for (size_t a = 0; rc == 0 && a < app_manifest_axes(m); a++) {
        const char *ax = app_manifest_axis(m, a);
        bool covered = (!s->x_metric && s->kind != KIND_CDF && !strcmp(ax, s->x)) ||
                       app_strlist_has(&s->series, ax);
        for (size_t k = 0; k < s->n_filters && !covered; k++)
            covered = !s->filters[k].negate && !strcmp(s->filters[k].param, ax);
        if (!covered)
            app_strlist_push(&s->series, sim_xstrdup(ax));
    }
    sim_params_destroy(scratch);
    return rc;
}

app_plots *app_plots_load(const app_workload *w, const sim_params *registry,
                          const app_manifest *m, const sim_params *point0, bool lenient,
                          sim_err *e)
{
    app_plots *ps = sim_xcalloc(1, sizeof *ps);
    size_t n = app_workload_plots(w);
    ps->v = sim_xcalloc(n, sizeof *ps->v);
    for (size_t i = 0; i < n; i++) {
        sim_err pe = {{0}};
        int rc = parse_spec(w, i, registry, m, point0, &ps->v[ps->n], &pe);
        if (rc == 0) {
            ps->n++;
            continue;
        }
        if (!lenient) {
            ps->n++; /* freed with the rest */
            app_plots_destroy(ps);
            if (e)
                *e = pe;
            return NULL;
        }
        fprintf(stderr, "iovsim: %s; not drawn\n", pe.msg);
        spec_free(&ps->v[ps->n]);
        memset(&ps->v[ps->n], 0, sizeof ps->v[ps->n]);
        ps->dropped++;
    }
    return ps;
}

/* ---- metric and histogram names ------------------------------------------------------ */

typedef struct name_ref {
    const char *name;
    const plot_spec *plot;
    const char *where;
    bool hist;
    bool found;
} name_ref;

typedef struct name_refs {
    name_ref *v;
    size_t n;
} name_refs;

static void ref_add(name_refs *r, const char *name, const plot_spec *s, const char *where,
                    bool hist)
{
    r->v = sim_xrealloc(r->v, (r->n + 1) * sizeof *r->v);
    r->v[r->n++] = (name_ref){name, s, where, hist, false};
}

static name_refs collect_refs(const app_plots *ps)
{
    name_refs r = {0};
    for (size_t i = 0; i < ps->n; i++) {
        const plot_spec *s = &ps->v[i];
        if (s->kind == KIND_CDF)
            ref_add(&r, s->x, s, s->x_where, true);
        else if (s->x_metric)
            ref_add(&r, s->x, s, s->x_where, false);
        for (size_t k = 0; k < s->y.n; k++)
            ref_add(&r, s->y.v[k], s, s->y_where, false);
        for (size_t k = 0; k < s->n_hlines; k++)
            if (s->hlines[k].metric)
                ref_add(&r, s->hlines[k].metric, s, s->hline_where, false);
    }
    return r;
}

typedef struct known_names {
    app_strlist metrics, hists;
} known_names;

static void known_free(known_names *k)
{
    app_strlist_free(&k->metrics);
    app_strlist_free(&k->hists);
}

static bool refs_all_found(name_refs *r, const known_names *k)
{
    bool all = true;
    for (size_t i = 0; i < r->n; i++) {
        name_ref *f = &r->v[i];
        if (!f->found)
            f->found = app_strlist_has(f->hist ? &k->hists : &k->metrics, f->name);
        all = all && f->found;
    }
    return all;
}

static void list_text(const app_strlist *l, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", l->v[i]);
    if (!l->n)
        snprintf(buf, len, "none");
}

/* The error for the first reference no point provides. */
static int missing_ref(const name_refs *r, const known_names *k, const sim_params *reg,
                       const char *context, sim_err *e)
{
    for (size_t i = 0; i < r->n; i++) {
        const name_ref *f = &r->v[i];
        if (f->found)
            continue;
        const app_strlist *names = f->hist ? &k->hists : &k->metrics;
        const char *near = closest(f->name, (const char *const *)names->v, names->n);
        const char *pnear = f->hist ? NULL : sim_params_suggest(reg, f->name);
        char all[600];
        list_text(names, all, sizeof all);
        if (near)
            return sim_err_set(e, "%s: plot '%s': no %s '%s' (did you mean '%s'?)", f->where,
                               f->plot->name, f->hist ? "histogram" : "metric", f->name, near);
        if (pnear && !f->hist && f->plot->x_metric && f->name == f->plot->x)
            return sim_err_set(e, "%s: plot '%s': x = %s is neither a parameter (did you mean "
                                  "'%s'?) nor a metric",
                               f->where, f->plot->name, f->name, pnear);
        return sim_err_set(e, "%s: plot '%s': no %s '%s'; %s: %s", f->where, f->plot->name,
                           f->hist ? "histogram" : "metric", f->name, context, all);
    }
    return 0;
}

/* The child's side: build points in order until every name is seen, reporting what
 * each registers. Lines: "p N" (building point N), "m NAME", "h NAME", "e N MESSAGE". */
typedef struct child_ctx {
    FILE *out;
    known_names *k;
} child_ctx;

static void child_hist(const char *name, const char *unit, const sim_hist *h, void *ctx)
{
    (void)unit;
    (void)h;
    child_ctx *c = ctx;
    if (!app_strlist_has(&c->k->hists, name)) {
        app_strlist_add(&c->k->hists, name);
        fprintf(c->out, "h\t%s\n", name);
    }
}

static void build_child(name_refs *r, const sim_model_ops *ops, const app_workload *w,
                        const sim_params *reg, FILE *out)
{
    known_names k = {0};
    child_ctx c = {out, &k};
    for (size_t i = 0; i < app_workload_points(w); i++) {
        fprintf(out, "p\t%zu\n", i);
        fflush(out);
        sim_err e = {{0}};
        sim_params *q = sim_params_clone(reg);
        if (app_workload_apply(w, i, q, &e) == 0 &&
            sim_params_set(q, "run.kernel", "native", "plot check", &e) == 0) {
            /* The native kernel: SystemC could elaborate only once in this process,
             * and the build must not depend on the kernel anyway. */
            sim_kernel *kern = sim_kernel_create(SIM_KERNEL_NATIVE, &e);
            sim_stats *st = sim_stats_create();
            sim_ctx ctx = {.kernel = kern, .params = q, .stats = st,
                           .seed = sim_params_uint(q, "run.seed")};
            void *sys = kern ? ops->build(&ctx, &e) : NULL;
            if (sys) {
                for (size_t m = 0; m < sim_stats_metrics(st); m++) {
                    const char *name = sim_stats_metric_name(st, m);
                    if (!app_strlist_has(&k.metrics, name)) {
                        app_strlist_add(&k.metrics, name);
                        fprintf(out, "m\t%s\n", name);
                    }
                }
                sim_stats_foreach_hist(st, child_hist, &c);
                ops->destroy(sys);
            } else {
                for (char *t = e.msg; *t; t++)
                    if (*t == '\n' || *t == '\t')
                        *t = ' ';
                fprintf(out, "e\t%zu\t%s\n", i, e.msg);
            }
            sim_stats_destroy(st);
            if (kern)
                sim_kernel_destroy(kern);
        }
        sim_params_destroy(q);
        if (refs_all_found(r, &k))
            break;
    }
    known_free(&k);
    fflush(out);
}

int app_plots_check_build(const app_plots *ps, const sim_model_ops *ops, const app_workload *w,
                          const sim_params *registry, sim_err *e)
{
    name_refs r = collect_refs(ps);
    if (!r.n) {
        free(r.v);
        return 0;
    }
    int fds[2];
    if (pipe(fds) < 0) {
        free(r.v);
        return sim_err_set(e, "checking the plots: pipe: %s", strerror(errno));
    }
    pid_t pid = app_proc_fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        free(r.v);
        return sim_err_set(e, "checking the plots: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        FILE *out = fdopen(fds[1], "w");
        if (out)
            build_child(&r, ops, w, registry, out);
        _exit(0);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    known_names k = {0};
    char *line = NULL, *build_error = NULL;
    size_t cap = 0, last_point = 0;
    while (in && getline(&line, &cap, in) >= 0) {
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "p\t", 2))
            last_point = strtoul(line + 2, NULL, 10);
        else if (!strncmp(line, "m\t", 2))
            app_strlist_add(&k.metrics, line + 2);
        else if (!strncmp(line, "h\t", 2))
            app_strlist_add(&k.hists, line + 2);
        else if (!strncmp(line, "e\t", 2) && !build_error)
            build_error = sim_xstrdup(line + 2);
    }
    free(line);
    if (in)
        fclose(in);
    else
        close(fds[0]);
    int status = 0;
    app_proc_wait(pid, &status);
    int rc = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = sim_err_set(e, "checking the plots' metrics: building point %zu crashed (%s)",
                         last_point,
                         WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit status");
    } else if (!refs_all_found(&r, &k)) {
        char context[1400];
        if (build_error) {
            char *tab = strchr(build_error, '\t');
            snprintf(context, sizeof context, "(point %.*s could not be built: %s) the points' %s",
                     tab ? (int)(tab - build_error) : 0, build_error, tab ? tab + 1 : "",
                     "names are");
        } else {
            snprintf(context, sizeof context, "the points register");
        }
        rc = missing_ref(&r, &k, registry, context, e);
    }
    free(build_error);
    known_free(&k);
    free(r.v);
    return rc;
}

/* ---- plots.ini ------------------------------------------------------------------------ */

/* Long values are cut at spaces into indented continuation lines: the workload reader
 * takes lines of up to 199 characters and joins continuations with a space. */
static void write_ini_value(FILE *f, const char *key, const char *value)
{
    size_t col = (size_t)fprintf(f, "%s =", key);
    const char *p = value;
    bool first = true;
    while (*p) {
        while (*p == ' ' || *p == '\n' || *p == '\t')
            p++;
        size_t len = strcspn(p, " \n\t");
        if (!len)
            break;
        if (!first && col + 1 + len > 180) {
            fputs("\n   ", f);
            col = 3;
        }
        fprintf(f, " %.*s", (int)len, p);
        col += 1 + len;
        first = false;
        p += len;
    }
    fputc('\n', f);
}

int app_plots_save(const app_workload *w, const char *dir, sim_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/plots.ini", dir);
    if (!app_workload_plots(w)) {
        if (unlink(path) < 0 && errno != ENOENT)
            return sim_err_set(e, "cannot remove %s: %s", path, strerror(errno));
        return 0;
    }
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        abort();
    fprintf(f, "; The [plot] sections of %s (see 'iovsim help plot').\n"
               "; Edit them and redraw with: iovsim plot %s\n",
            app_workload_path(w) ? app_workload_path(w) : "the command line", dir);
    for (size_t i = 0; i < app_workload_plots(w); i++) {
        fprintf(f, "\n[plot %s]\n", app_workload_plot_name(w, i));
        for (size_t k = 0; k < app_workload_plot_keys(w, i); k++) {
            const app_setting *kv = app_workload_plot_key(w, i, k);
            write_ini_value(f, kv->name, kv->value);
        }
    }
    fclose(f);
    int rc = app_write_shared(path, text, e);
    free(text);
    return rc;
}

/* ---- data ------------------------------------------------------------------------------- */

typedef struct curve {
    char *key;   /* series values joined, plus the y index */
    char *title; /* legend text */
    size_t y;
    double *xs, *ys;
    size_t *order; /* point index of each sample (ties in x keep sweep order) */
    size_t n, cap;
    size_t point; /* cdf: the point drawn */
} curve;

typedef struct curves {
    curve *v;
    size_t n;
} curves;

static void curves_free(curves *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].key);
        free(c->v[i].title);
        free(c->v[i].xs);
        free(c->v[i].ys);
        free(c->v[i].order);
    }
    free(c->v);
    memset(c, 0, sizeof *c);
}

static bool point_matches(const plot_spec *s, const app_results *r, size_t i)
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

static void append_text(char **buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    *buf = sim_xrealloc(*buf, *len + n + 1);
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

/* A series' legend text: series_label with {PARAM} filled in, or the values (bare for
 * names, "short_name=value" for numbers). */
static char *series_text(const plot_spec *s, const app_results *r, size_t i,
                         const sim_params *reg)
{
    char *out = NULL;
    size_t len = 0;
    append_text(&out, &len, "");
    if (s->series_label) {
        for (const char *p = s->series_label; *p;) {
            const char *q = strchr(p, '{');
            const char *end = q ? strchr(q, '}') : NULL;
            if (!q || !end) {
                append_text(&out, &len, p);
                break;
            }
            char *lit = sim_xstrndup(p, (size_t)(q - p));
            append_text(&out, &len, lit);
            free(lit);
            char *name = sim_xstrndup(q + 1, (size_t)(end - q - 1));
            const char *v = app_results_param(r, i, name);
            append_text(&out, &len, v ? v : "?");
            free(name);
            p = end + 1;
        }
        return out;
    }
    for (size_t k = 0; k < s->series.n; k++) {
        const char *v = app_results_param(r, i, s->series.v[k]);
        if (k)
            append_text(&out, &len, ", ");
        char human[64];
        if (is_numeric_param(reg, s->series.v[k])) {
            const char *dot = strrchr(s->series.v[k], '.');
            append_text(&out, &len, dot ? dot + 1 : s->series.v[k]);
            append_text(&out, &len, "=");
            if (v && is_bytes_param(reg, s->series.v[k]) && bytes_text(strtod(v, NULL), human, sizeof human))
                v = human;
        }
        append_text(&out, &len, v ? v : "?");
    }
    return out;
}

static char *series_key(const plot_spec *s, const app_results *r, size_t i, size_t y)
{
    char *out = NULL;
    size_t len = 0;
    append_text(&out, &len, "");
    for (size_t k = 0; k < s->series.n; k++) {
        const char *v = app_results_param(r, i, s->series.v[k]);
        append_text(&out, &len, v ? v : "?");
        append_text(&out, &len, "\x1f");
    }
    char idx[32];
    snprintf(idx, sizeof idx, "%zu", y);
    append_text(&out, &len, idx);
    return out;
}

static const char *y_text(const plot_spec *s, size_t y)
{
    return s->labels.n ? s->labels.v[y] : s->y.v[y];
}

static curve *curve_for(curves *c, const plot_spec *s, const app_results *r, size_t i, size_t y,
                        const sim_params *reg)
{
    char *key = series_key(s, r, i, y);
    for (size_t k = 0; k < c->n; k++)
        if (!strcmp(c->v[k].key, key)) {
            free(key);
            return &c->v[k];
        }
    c->v = sim_xrealloc(c->v, (c->n + 1) * sizeof *c->v);
    curve *cv = &c->v[c->n++];
    memset(cv, 0, sizeof *cv);
    cv->key = key;
    cv->y = y;
    cv->point = i;
    char *st = s->series.n || s->series_label ? series_text(s, r, i, reg) : NULL;
    if (st && s->y.n > 1) {
        size_t n = strlen(st) + strlen(y_text(s, y)) + 3;
        cv->title = sim_xcalloc(n, 1);
        snprintf(cv->title, n, "%s: %s", st, y_text(s, y));
        free(st);
    } else {
        cv->title = st ? st : sim_xstrdup(y_text(s, y));
    }
    return cv;
}

static void curve_add(curve *cv, double x, double y, size_t point)
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
static void curve_sort(curve *cv)
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
                       curves *out)
{
    for (size_t i = 0; i < app_results_points(r); i++) {
        if (!point_matches(s, r, i))
            continue;
        double x = 0;
        if (s->kind == KIND_LINES && !x_value(s, r, i, &x))
            continue;
        for (size_t k = 0; k < s->y.n; k++) {
            double y;
            if (!app_results_metric(r, i, s->y.v[k], &y))
                continue;
            curve_add(curve_for(out, s, r, i, k, reg), x, y, i);
        }
    }
    if (s->kind == KIND_LINES && !s->x_metric)
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
                        curves *out, char *unit, size_t unit_len)
{
    for (size_t i = 0; i < app_results_points(r); i++) {
        if (!point_matches(s, r, i))
            continue;
        hist_data h;
        if (!read_hist(app_results_point_dir(r, i), s->x, &h) || !h.total) {
            hist_free(&h);
            continue;
        }
        const char *shown;
        double scale = hist_scale(h.unit, &shown);
        snprintf(unit, unit_len, "%s", shown);
        curve *cv = curve_for(out, s, r, i, 0, reg);
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

/* ---- gnuplot files ------------------------------------------------------------------------ */

/* gnuplot single-quoted strings are literal except '' for a quote. */
static void gp_string(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        if (*s != '\n')
            fputc(*s, f);
    }
    fputc('\'', f);
}

static void gp_number(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else
        fprintf(f, "%.10g", v);
}

/* A unit from a metric's name, by the project's naming rule (`_gbps`, `_ns`, ...). */
static const char *metric_unit(const char *name)
{
    static const struct {
        const char *token, *unit;
    } units[] = {{"gbps", "Gb/s"}, {"mbps", "Mb/s"}, {"mpps", "Mpps"},   {"mtps", "M/s"},
                 {"ps", "ps"},     {"ns", "ns"},     {"us", "us"},       {"ms", "ms"},
                 {"bytes", "bytes"}, {"util", "fraction"}, {"utilization", "fraction"},
                 {"cycles", "cycles"}};
    const char *best = NULL;
    const char *p = name;
    while (*p) {
        size_t len = strcspn(p, "_.");
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].token) == len && !strncmp(p, units[i].token, len))
                best = best ? best : units[i].unit;
        p += len;
        if (*p)
            p++;
    }
    return best;
}

static char *name_with_unit(const char *name, const char *unit)
{
    size_t n = strlen(name) + (unit ? strlen(unit) : 0) + 4;
    char *s = sim_xcalloc(n, 1);
    if (unit && *unit)
        snprintf(s, n, "%s (%s)", name, unit);
    else
        snprintf(s, n, "%s", name);
    return s;
}

static char *default_xlabel(const plot_spec *s, const sim_params *reg, const char *cdf_unit)
{
    if (s->kind == KIND_CDF)
        return name_with_unit(s->x, cdf_unit);
    if (s->x_metric)
        return name_with_unit(s->x, metric_unit(s->x));
    return name_with_unit(s->x, sim_params_unit(reg, s->x));
}

static char *default_ylabel(const plot_spec *s)
{
    if (s->kind == KIND_CDF)
        return sim_xstrdup("fraction of samples at or below x");
    if (s->y.n == 1)
        return name_with_unit(s->y.v[0], metric_unit(s->y.v[0]));
    const char *u = metric_unit(s->y.v[0]);
    for (size_t k = 1; k < s->y.n && u; k++) {
        const char *v = metric_unit(s->y.v[k]);
        if (!v || strcmp(u, v))
            u = NULL;
    }
    return sim_xstrdup(u ? u : "value");
}

static bool all_powers_of_two(const curves *c)
{
    for (size_t k = 0; k < c->n; k++)
        for (size_t i = 0; i < c->v[k].n; i++) {
            double x = c->v[k].xs[i];
            if (x < 1 || x != floor(x) || ((uint64_t)x & ((uint64_t)x - 1)))
                return false;
        }
    return true;
}

/* The distinct x values of the curves in increasing order (at most `max`); returns
 * how many there are (more than max: too many to label one by one). */
static size_t distinct_x(const curves *c, double *out, size_t max)
{
    size_t n = 0;
    for (size_t k = 0; k < c->n; k++)
        for (size_t i = 0; i < c->v[k].n; i++) {
            double x = c->v[k].xs[i];
            bool seen = false;
            for (size_t j = 0; j < n && j < max && !seen; j++)
                seen = out[j] == x;
            if (seen)
                continue;
            if (n < max) {
                size_t j = n;
                while (j > 0 && out[j - 1] > x) {
                    out[j] = out[j - 1];
                    j--;
                }
                out[j] = x;
            }
            n++;
        }
    return n;
}

static bool all_nonnegative(const curves *c, const plot_spec *s, const double *hvals)
{
    for (size_t k = 0; k < c->n; k++)
        for (size_t i = 0; i < c->v[k].n; i++)
            if (c->v[k].ys[i] < 0)
                return false;
    for (size_t k = 0; k < s->n_hlines; k++)
        if (hvals[k] < 0)
            return false;
    return true;
}

/* ---- x axis ---- */

typedef struct draw_ctx draw_ctx;
static void write_xaxis(const draw_ctx *d, FILE *f);

typedef struct draw_ctx {
    const plot_spec *s;
    const app_results *r;
    const sim_params *reg;
    const char *plots_dir;
    const char *plot_file;
    curves c;
    char cdf_unit[64];
    double *hvals; /* hline values (a metric's from the first matching point) */
    bool *hok;
    /* bars: categories (x values as text) in sweep order, cells [category][curve] */
    app_strlist cats;
    double *cells;
} draw_ctx;

/* Where x sits across the axis, 0 to 1 (log or linear). */
static double axis_pos(double x, double lo, double hi, bool log_axis)
{
    return log_axis ? (log(x) - log(lo)) / (log(hi) - log(lo)) : (x - lo) / (hi - lo);
}

/* A log y axis rounds out to whole decades, which can leave most of the height
 * empty: hug the data (and the reference lines) instead. */
static void write_log_yrange(const draw_ctx *d, FILE *f)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < d->c.n; k++)
        for (size_t i = 0; i < d->c.v[k].n; i++) {
            double y = d->c.v[k].ys[i];
            if (isfinite(y) && y > 0) {
                lo = fmin(lo, y);
                hi = fmax(hi, y);
            }
        }
    for (size_t k = 0; k < d->s->n_hlines; k++)
        if (d->hok[k] && d->hvals[k] > 0) {
            lo = fmin(lo, d->hvals[k]);
            hi = fmax(hi, d->hvals[k]);
        }
    if (!(lo <= hi))
        return;
    double r = hi > lo ? pow(hi / lo, 0.06) : 2.0;
    fputs("set yrange [", f);
    gp_number(f, lo / r);
    fputc(':', f);
    gp_number(f, hi * r);
    fputs("]\n", f);
}

/* The x range hugs the data with a small margin (gnuplot would round it out to whole
 * tics, which on a log axis can waste half the width), and a sweep's own x values
 * become the tics when there are few; a label that would touch its neighbour is left
 * off (its tic stays). */
static void write_xaxis(const draw_ctx *d, FILE *f)
{
    const plot_spec *s = d->s;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < d->c.n; k++)
        for (size_t i = 0; i < d->c.v[k].n; i++) {
            double x = d->c.v[k].xs[i];
            if (!isfinite(x) || (s->logx && x <= 0))
                continue;
            lo = fmin(lo, x);
            hi = fmax(hi, x);
        }
    if (!(lo <= hi))
        return;
    if (s->logx) {
        double r = hi > lo ? pow(hi / lo, 0.04) : 1.5;
        lo /= r;
        hi *= r;
    } else {
        double pad = hi > lo ? 0.04 * (hi - lo) : (lo != 0 ? 0.1 * fabs(lo) : 1.0);
        lo -= pad;
        hi += pad;
    }
    fputs("set xrange [", f);
    gp_number(f, lo);
    fputc(':', f);
    gp_number(f, hi);
    fputs("]\n", f);

    double xs[13];
    size_t nx = s->kind == KIND_LINES && !s->x_metric ? distinct_x(&d->c, xs, 13) : 99;
    if (nx < 2 || nx > 12)
        return;
    /* Byte sizes in KiB and MiB when every value allows it (a mix reads worse). */
    bool human = is_bytes_param(d->reg, s->x);
    char label[64];
    for (size_t i = 0; i < nx && human; i++)
        human = bytes_text(xs[i], label, sizeof label);
    /* Plot area and digit width in pixels at the 11 pt font, near enough to space
     * labels. */
    double area = (double)s->width - 140.0, char_px = 8.0, last_px = -1e9, last_w = 0;
    fputs("set xtics (", f);
    for (size_t i = 0; i < nx; i++) {
        if (!human || !bytes_text(xs[i], label, sizeof label))
            snprintf(label, sizeof label, "%.10g", xs[i]);
        double w = (double)strlen(label) * char_px;
        double px = axis_pos(xs[i], lo, hi, s->logx) * area;
        bool show = px - last_px >= (w + last_w) / 2.0 + 8.0;
        if (i)
            fputs(", ", f);
        fprintf(f, "'%s' ", show ? label : "");
        gp_number(f, xs[i]);
        if (show) {
            last_px = px;
            last_w = w;
        }
    }
    fputs(")\n", f);
}

static void collect_bars(draw_ctx *d)
{
    const plot_spec *s = d->s;
    for (size_t i = 0; i < app_results_points(d->r); i++) {
        if (!point_matches(s, d->r, i))
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
        const curve *cv = &d->c.v[k];
        for (size_t j = 0; j < cv->n; j++) {
            const char *v = app_results_param(d->r, cv->order[j], s->x);
            for (size_t c = 0; v && c < d->cats.n; c++)
                if (!strcmp(d->cats.v[c], v) && isnan(d->cells[c * d->c.n + k]))
                    d->cells[c * d->c.n + k] = cv->ys[j];
        }
    }
}

static void write_dat(const draw_ctx *d, FILE *f)
{
    const plot_spec *s = d->s;
    fprintf(f, "# Data of plot '%s' (plot file %s), from the results in %s.\n", s->name,
            d->plot_file, app_results_dir(d->r));
    if (s->kind == KIND_BARS || s->kind == KIND_STACKED) {
        fprintf(f, "# One row per %s; columns: %s, then", s->x, s->x);
        for (size_t k = 0; k < d->c.n; k++)
            fprintf(f, "%s '%s'", k ? "," : "", d->c.v[k].title);
        fputs("\n", f);
        bool human = is_bytes_param(d->reg, s->x);
        char label[64];
        for (size_t c = 0; c < d->cats.n && human; c++)
            human = bytes_text(strtod(d->cats.v[c], NULL), label, sizeof label);
        for (size_t c = 0; c < d->cats.n; c++) {
            const char *cat = d->cats.v[c];
            if (human && bytes_text(strtod(cat, NULL), label, sizeof label))
                cat = label;
            fputc('"', f);
            for (const char *p = cat; *p; p++)
                if (*p != '"')
                    fputc(*p, f);
            fputc('"', f);
            for (size_t k = 0; k < d->c.n; k++) {
                fputc('\t', f);
                gp_number(f, d->cells[c * d->c.n + k]);
            }
            fputc('\n', f);
        }
        return;
    }
    fprintf(f, "# One block per series (gnuplot index 0, 1, ...): %s, %s.\n",
            s->kind == KIND_CDF ? "x" : s->x,
            s->kind == KIND_CDF ? "fraction of samples at or below x" : "y");
    for (size_t k = 0; k < d->c.n; k++) {
        const curve *cv = &d->c.v[k];
        fprintf(f, "%s# index %zu: %s\n", k ? "\n\n" : "", k, cv->title);
        for (size_t i = 0; i < cv->n; i++) {
            gp_number(f, cv->xs[i]);
            fputc('\t', f);
            gp_number(f, cv->ys[i]);
            fputc('\n', f);
        }
    }
}

static void write_terminal(FILE *f, const plot_spec *s, bool png)
{
    if (png)
        fprintf(f, "set terminal pngcairo size %u,%u font 'Sans,11' noenhanced\n", s->width,
                s->height);
    else
        fprintf(f, "set terminal svg size %u,%u font 'Sans,11' noenhanced background '#ffffff'\n",
                s->width, s->height);
    fprintf(f, "set output '%s.%s'\n", s->name, png ? "png" : "svg");
}

static const char *kind_template(plot_kind k)
{
    switch (k) {
    case KIND_BARS: return app_plot_template_bars;
    case KIND_STACKED: return app_plot_template_stacked;
    case KIND_CDF: return app_plot_template_cdf;
    default: return app_plot_template_lines;
    }
}

static void write_gp(const draw_ctx *d, FILE *f)
{
    const plot_spec *s = d->s;
    fprintf(f, "# Plot '%s' (%s), drawn by iovsim from the results in %s.\n", s->name, s->where,
            app_results_dir(d->r));
    fprintf(f, "# Edit and redraw here: gnuplot %s.gp   (data: %s.dat)\n\n", s->name, s->name);
    fputs(app_plot_template_common, f);
    fputc('\n', f);
    fputs(kind_template(s->kind), f);
    fputc('\n', f);

    char *title = sim_xstrdup(s->title ? s->title : s->name);
    char *xl = s->xlabel ? sim_xstrdup(s->xlabel) : default_xlabel(s, d->reg, d->cdf_unit);
    char *yl = s->ylabel ? sim_xstrdup(s->ylabel) : default_ylabel(s);
    fputs("set title ", f);
    gp_string(f, title);
    fputs("\nset xlabel ", f);
    gp_string(f, xl);
    fputs("\nset ylabel ", f);
    gp_string(f, yl);
    fputc('\n', f);
    free(title);
    free(xl);
    free(yl);

    if (s->kind == KIND_LINES || s->kind == KIND_CDF) {
        if (s->logx)
            fprintf(f, "set logscale x %d\n", all_powers_of_two(&d->c) ? 2 : 10);
        if (s->logy && s->kind != KIND_CDF)
            fputs("set logscale y 10\n", f);
        if (s->logy && s->kind == KIND_CDF)
            fputs("set logscale y 10\nset yrange [*:1]\n", f);
        write_xaxis(d, f);
        if (s->kind == KIND_LINES && !s->logy && all_nonnegative(&d->c, s, d->hvals))
            fputs("set yrange [0:*]\n", f);
        if (s->kind == KIND_LINES && s->logy)
            write_log_yrange(d, f);
    } else {
        /* Bars sit at 0 .. n-1; gnuplot's own range leaves a whole empty slot each side. */
        fprintf(f, "set xrange [-0.6:%g]\n", (double)d->cats.n - 0.4);
    }
    fputc('\n', f);

    bool first = true;
    for (int fmt = 0; fmt < 2; fmt++) {
        bool png = fmt == 0;
        if (png ? !s->png : !s->svg)
            continue;
        write_terminal(f, s, png);
        if (!first) {
            fputs("replot\n", f);
            continue;
        }
        first = false;
        fputs("plot ", f);
        for (size_t k = 0; k < d->c.n; k++) {
            if (k)
                fputs(", \\\n     ", f);
            if (k == 0)
                fprintf(f, "'%s.dat'", s->name);
            else
                fputs("''", f);
            switch (s->kind) {
            case KIND_BARS:
            case KIND_STACKED:
                fprintf(f, " using %zu%s lt %zu title ", k + 2, k == 0 ? ":xtic(1)" : "", k + 1);
                break;
            case KIND_CDF:
                fprintf(f, " index %zu using 1:2 with steps lt %zu title ", k, k + 1);
                break;
            default:
                fprintf(f, " index %zu using 1:2 with linespoints lt %zu title ", k, k + 1);
                break;
            }
            gp_string(f, d->c.v[k].title);
        }
        for (size_t k = 0; k < s->n_hlines; k++) {
            if (!d->hok[k])
                continue;
            fputs(", \\\n     ", f);
            gp_number(f, d->hvals[k]);
            fprintf(f, " with lines ls %zu title ", 100 + (k % 3));
            gp_string(f, s->hlines[k].label);
        }
        fputc('\n', f);
    }
    fputs("unset output\n", f);
}

/* ---- running gnuplot ---------------------------------------------------------------------- */

static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The gnuplot to run, or NULL with `wanted` naming what was looked for. */
static const char *find_gnuplot(char *buf, size_t len, const char **wanted)
{
    const char *env = getenv("IOVSIM_GNUPLOT");
    const char *prog = env && *env ? env : IOVSIM_GNUPLOT;
    *wanted = prog;
    if (strchr(prog, '/')) {
        if (executable(prog))
            return prog;
        if (env && *env)
            return NULL; /* the user asked for this one */
        prog = "gnuplot";
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, len, "%.*s/%s", (int)n, path, prog);
        if (n && executable(buf))
            return buf;
        path += n;
        if (*path)
            path++;
    }
    return NULL;
}

/* Runs gnuplot NAME.gp in the plots folder; its complaints land in `err`. */
static int run_gnuplot(const char *prog, const char *dir, const char *name, char *err, size_t len)
{
    char log[4300];
    snprintf(log, sizeof log, "%s/%s.log", dir, name);
    pid_t pid = app_proc_fork();
    if (pid < 0) {
        snprintf(err, len, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* The log first: its path may be relative to the folder we leave. */
        if (!freopen("/dev/null", "w", stdout) || !freopen(log, "w", stderr))
            _exit(126);
        if (chdir(dir) < 0) {
            fprintf(stderr, "cannot enter %s: %s\n", dir, strerror(errno));
            _exit(126);
        }
        char script[4200];
        snprintf(script, sizeof script, "%s.gp", name);
        execl(prog, prog, script, (char *)NULL);
        _exit(127);
    }
    int status;
    app_proc_wait(pid, &status);
    int rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
    err[0] = '\0';
    FILE *f = fopen(log, "r");
    if (f) {
        size_t n = fread(err, 1, len - 1, f);
        err[n] = '\0';
        fclose(f);
    }
    /* gnuplot warns on stderr even when it draws; keep the log only when it failed. */
    if (rc == 0)
        unlink(log);
    else if (!err[0])
        snprintf(err, len, "gnuplot exited with status %d\n",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return rc;
}

static int write_file(const char *path, void (*body)(const draw_ctx *, FILE *), const draw_ctx *d,
                      sim_err *e)
{
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    body(d, sf.f);
    return sim_file_commit(&sf, e);
}

static void draw_free(draw_ctx *d)
{
    curves_free(&d->c);
    app_strlist_free(&d->cats);
    free(d->cells);
    free(d->hvals);
    free(d->hok);
}

/* Writes NAME.dat and NAME.gp; 1 when there is nothing to draw. */
static int prepare_plot(draw_ctx *d, sim_err *e)
{
    const plot_spec *s = d->s;
    if (s->kind == KIND_CDF)
        collect_cdf(s, d->r, d->reg, &d->c, d->cdf_unit, sizeof d->cdf_unit);
    else if (s->kind == KIND_BARS || s->kind == KIND_STACKED)
        collect_bars(d);
    else
        collect_xy(s, d->r, d->reg, &d->c);
    if (!d->c.n)
        return 1;
    d->hvals = sim_xcalloc(s->n_hlines, sizeof *d->hvals);
    d->hok = sim_xcalloc(s->n_hlines, sizeof *d->hok);
    for (size_t k = 0; k < s->n_hlines; k++) {
        if (!s->hlines[k].metric) {
            d->hvals[k] = s->hlines[k].value;
            d->hok[k] = true;
            continue;
        }
        for (size_t i = 0; i < app_results_points(d->r) && !d->hok[k]; i++)
            d->hok[k] = point_matches(s, d->r, i) &&
                        app_results_metric(d->r, i, s->hlines[k].metric, &d->hvals[k]);
    }
    char path[4300];
    snprintf(path, sizeof path, "%s/%s.dat", d->plots_dir, s->name);
    if (write_file(path, write_dat, d, e) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s.gp", d->plots_dir, s->name);
    if (write_file(path, write_gp, d, e) < 0)
        return -1;
    return 0;
}

/* Checks the names each plot uses against what the results hold; a plot that names
 * something they lack is reported and marked in `skip`. Returns how many. */
static size_t check_against_results(const app_plots *ps, const app_results *r,
                                    const sim_params *reg, bool *skip)
{
    known_names k = {0};
    for (size_t i = 0; i < app_results_metric_names(r); i++)
        app_strlist_add(&k.metrics, app_results_metric_name(r, i));
    for (size_t i = 0; i < app_results_points(r); i++) {
        if (!app_results_ok(r, i))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/hists.txt", app_results_point_dir(r, i));
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        char line[1024];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "hist\t", 5))
                continue;
            line[5 + strcspn(line + 5, "\t\n")] = '\0';
            app_strlist_add(&k.hists, line + 5);
        }
        fclose(f);
    }
    size_t skipped = 0;
    for (size_t i = 0; i < ps->n; i++) {
        app_plots one = {.v = &ps->v[i], .n = 1};
        name_refs refs = collect_refs(&one);
        sim_err e = {{0}};
        if (!refs_all_found(&refs, &k)) {
            missing_ref(&refs, &k, reg, "the results hold", &e);
            fprintf(stderr, "iovsim: %s; not drawn\n", e.msg);
            skip[i] = true;
            skipped++;
        }
        free(refs.v);
    }
    known_free(&k);
    return skipped;
}

static bool any_ok(const app_results *r)
{
    for (size_t i = 0; i < app_results_points(r); i++)
        if (app_results_ok(r, i))
            return true;
    return false;
}

int app_plots_draw_dir(const char *dir, const char *plot_file, const sim_params *registry,
                       const app_plot_opts *o, sim_err *e)
{
    char default_file[4200];
    if (!plot_file) {
        snprintf(default_file, sizeof default_file, "%s/plots.ini", dir);
        if (access(default_file, F_OK) != 0)
            return 0; /* the workload has no plots */
        plot_file = default_file;
    }
    app_results *r = app_results_load(dir, e);
    if (!r)
        return 2;
    int rc = 2;
    app_plots *ps = NULL;
    bool *skip = NULL;
    app_workload *pw = app_workload_load(plot_file, registry, e);
    if (!pw)
        goto out;
    /* One bad plot does not keep the others from being drawn; it is reported, and
     * the exit status says so. */
    ps = app_plots_load(pw, registry, app_results_manifest(r), NULL, true, e);
    size_t refused = ps->dropped;
    if (!ps->n) {
        rc = refused ? 2 : 0;
        goto out;
    }
    if (!any_ok(r)) {
        fprintf(stderr, "iovsim: no point of %s finished: no plot to draw\n", dir);
        rc = refused ? 2 : 1;
        goto out;
    }
    skip = sim_xcalloc(ps->n, sizeof *skip);
    refused += check_against_results(ps, r, registry, skip);

    char plots_dir[4200];
    snprintf(plots_dir, sizeof plots_dir, "%s/plots", dir);
    if (sim_mkdirs(plots_dir, e) < 0)
        goto out;
    char buf[4200];
    const char *wanted;
    const char *gnuplot = find_gnuplot(buf, sizeof buf, &wanted);
    rc = 0;
    char drawn[2048] = "";
    size_t used = 0, n_drawn = 0;
    for (size_t i = 0; i < ps->n; i++) {
        if (skip[i])
            continue;
        draw_ctx d = {.s = &ps->v[i], .r = r, .reg = registry, .plots_dir = plots_dir,
                      .plot_file = plot_file};
        int prc = prepare_plot(&d, e);
        if (prc < 0) {
            draw_free(&d);
            rc = 2;
            goto out;
        }
        if (prc == 1) {
            size_t matching = 0;
            for (size_t p = 0; p < app_results_points(r); p++)
                matching += point_matches(d.s, r, p);
            fprintf(stderr, "iovsim: plot '%s' (%s): %s; not drawn\n", d.s->name, d.s->where,
                    matching ? "the finished points it selects lack its metrics"
                             : "no finished point matches its where");
            rc = 1;
        } else if (gnuplot) {
            char err[2048];
            if (run_gnuplot(gnuplot, plots_dir, d.s->name, err, sizeof err) < 0) {
                fprintf(stderr, "iovsim: plot '%s': gnuplot failed (log: %s/%s.log):\n%s",
                        d.s->name, plots_dir, d.s->name, err);
                rc = 1;
            } else if (used < sizeof drawn) {
                used += (size_t)snprintf(drawn + used, sizeof drawn - used, "%s%s",
                                         n_drawn++ ? ", " : "", d.s->name);
            }
        }
        draw_free(&d);
    }
    if (!gnuplot) {
        /* Once per process, however many folders it draws. */
        static bool told;
        if (!told)
            fprintf(stderr,
                    "iovsim: gnuplot (%s) is not installed, so no plot was drawn; results.csv is "
                    "complete and %s holds each plot's .gp and .dat. To draw them install "
                    "gnuplot (Debian: sudo apt-get install gnuplot-nox), then run: iovsim plot %s\n",
                    wanted, plots_dir, dir);
        told = true;
        rc = 1;
    } else if (n_drawn && !o->quiet) {
        printf("plots: %s/ (%s)\n", plots_dir, drawn);
    }
    if (refused)
        rc = 2;
out:
    free(skip);
    app_plots_destroy(ps);
    if (pw)
        app_workload_destroy(pw);
    app_results_destroy(r);
    return rc;
}
