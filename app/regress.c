#include "app/regress.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/results.h"
#include "app/strlist.h"
#include "app/sweep.h"
#include "app/workload.h"
#include "sim/alloc.h"
#include "sim/files.h"

typedef struct row {
    unsigned line;
    bool comment; /* a comment or blank line, kept verbatim in `text` */
    char *text;
    char *point, *metric, *expected, *tol;
    bool tol_rel;
    double tol_value;
} row;

typedef struct expect {
    char path[4200];
    bool exists;
    row *rows;
    size_t n;
} expect;

static row *add_row(expect *x)
{
    x->rows = sim_xrealloc(x->rows, (x->n + 1) * sizeof *x->rows);
    row *r = &x->rows[x->n++];
    memset(r, 0, sizeof *r);
    return r;
}

static void expect_free(expect *x)
{
    for (size_t i = 0; i < x->n; i++) {
        free(x->rows[i].text);
        free(x->rows[i].point);
        free(x->rows[i].metric);
        free(x->rows[i].expected);
        free(x->rows[i].tol);
    }
    free(x->rows);
    x->rows = NULL;
    x->n = 0;
}

static int parse_tolerance(const char *t, bool *rel, double *v)
{
    char *end;
    double d = strtod(t, &end);
    if (end == t || d < 0 || !isfinite(d))
        return -1;
    *rel = *end == '%';
    if (*rel)
        end++;
    if (*end)
        return -1;
    *v = *rel ? d / 100.0 : d;
    return 0;
}

/* A number, @METRIC, or nan: a metric with nothing to measure (a latency without
 * samples), which only nan matches. */
static int parse_expected(const char *t)
{
    if (t[0] == '@')
        return t[1] ? 0 : -1;
    if (!strcmp(t, "nan"))
        return 0;
    char *end;
    double d = strtod(t, &end);
    return end != t && !*end && isfinite(d) ? 0 : -1;
}

/* NULL path component: the file does not exist yet (x->exists false, no error). */
static int expect_read(expect *x, sim_err *e)
{
    FILE *f = fopen(x->path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return sim_err_set(e, "cannot read %s: %s", x->path, strerror(errno));
    }
    x->exists = true;
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        const char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        row *r = add_row(x);
        r->line = lineno;
        if (!*s || *s == '#') {
            r->comment = true;
            r->text = sim_xstrdup(line);
            continue;
        }
        char *fld[5] = {0};
        size_t n = 0;
        char *copy = sim_xstrdup(s), *save = NULL;
        for (char *t = strtok_r(copy, " \t", &save); t && n < 5; t = strtok_r(NULL, " \t", &save))
            fld[n++] = t;
        if (n != 4) {
            rc = sim_err_set(e, "%s:%u: want POINT METRIC EXPECTED TOLERANCE, got %zu field%s",
                             x->path, lineno, n, n == 1 ? "" : "s");
        } else if (parse_expected(fld[2]) < 0) {
            rc = sim_err_set(e, "%s:%u: expected value '%s' is neither a number, nan nor @METRIC",
                             x->path, lineno, fld[2]);
        } else if (parse_tolerance(fld[3], &r->tol_rel, &r->tol_value) < 0) {
            rc = sim_err_set(e, "%s:%u: tolerance '%s' is neither N%% nor a number >= 0",
                             x->path, lineno, fld[3]);
        } else {
            r->point = sim_xstrdup(fld[0]);
            r->metric = sim_xstrdup(fld[1]);
            r->expected = sim_xstrdup(fld[2]);
            r->tol = sim_xstrdup(fld[3]);
        }
        free(copy);
    }
    free(line);
    fclose(f);
    return rc;
}

typedef struct scenario {
    const char *file;
    char name[256];
    char folder[300]; /* the run's folder under out_dir: the name, made unique */
    app_results *res;
    app_strlist labels; /* per point */
    size_t n_points;
} scenario;

static size_t find_point(const scenario *sc, const char *label)
{
    return app_strlist_find(&sc->labels, label);
}

/* The one rule for "the run gave the expected value", shared by the check and the
 * update: nan (nothing to measure) equals nan, which == does not say. */
static bool same_value(double v, double want)
{
    return v == want || (isnan(v) && isnan(want));
}

static bool within(double v, double want, const row *r)
{
    if (same_value(v, want))
        return true;
    if (isnan(want) || isnan(v))
        return false;
    double diff = fabs(v - want);
    return r->tol_rel ? diff <= r->tol_value * fabs(want) : diff <= r->tol_value;
}

typedef struct tally {
    size_t rows, passed, failed;
} tally;

static void report(const scenario *sc, const row *r, bool pass, const char *got, const char *why,
                   const app_regress_opts *o)
{
    if (pass && o->quiet)
        return;
    printf("%s  %s  %s  %s = %s (expected %s, tolerance %s%s%s)\n", pass ? "pass" : "FAIL",
           sc->name, r->point, r->metric, got, r->expected, r->tol, why ? "; " : "",
           why ? why : "");
}

static void check_rows(const scenario *sc, const expect *x, const app_regress_opts *o, tally *t)
{
    bool *covered = sim_xcalloc(sc->n_points, sizeof *covered);
    for (size_t k = 0; k < x->n; k++) {
        const row *r = &x->rows[k];
        if (r->comment)
            continue;
        t->rows++;
        size_t p = find_point(sc, r->point);
        double v, want;
        char got[64] = "-", why[4400] = "";
        bool pass = false;
        if (p == SIZE_MAX) {
            snprintf(why, sizeof why, "the sweep has no such point (%s:%u)", x->path, r->line);
        } else if ((covered[p] = true, !app_results_ok(sc->res, p))) {
            snprintf(why, sizeof why, "the point did not finish (see %s/results.csv)",
                     app_results_dir(sc->res));
        } else if (!app_results_metric(sc->res, p, r->metric, &v)) {
            snprintf(why, sizeof why, "the point has no such metric");
        } else if (r->expected[0] == '@' &&
                   !app_results_metric(sc->res, p, r->expected + 1, &want)) {
            snprintf(got, sizeof got, "%.10g", v);
            snprintf(why, sizeof why, "the point has no metric %s", r->expected + 1);
        } else {
            if (r->expected[0] != '@')
                want = strtod(r->expected, NULL);
            snprintf(got, sizeof got, "%.10g", v);
            pass = within(v, want, r);
            if (!pass && want != 0)
                snprintf(why, sizeof why, "off by %.3g%%", 100.0 * (v - want) / fabs(want));
            else if (!pass)
                snprintf(why, sizeof why, "off by %.3g", v - want);
            else if (r->expected[0] == '@')
                snprintf(why, sizeof why, "%s = %.10g", r->expected + 1, want);
        }
        pass ? t->passed++ : t->failed++;
        report(sc, r, pass, got, *why ? why : NULL, o);
    }
    for (size_t p = 0; p < sc->n_points; p++)
        if (!covered[p]) {
            t->rows++;
            t->failed++;
            printf("FAIL  %s  %s  has no expected values in %s (make regress-update adds them)\n",
                   sc->name, sc->labels.v[p], x->path);
        }
    free(covered);
}

/* ---- update ---- */

static void write_expect(const scenario *sc, const expect *x, FILE *f)
{
    size_t w[3] = {5, 6, 8};
    for (size_t k = 0; k < x->n; k++) {
        const row *r = &x->rows[k];
        if (r->comment || !r->point)
            continue;
        const char *c[3] = {r->point, r->metric, r->expected};
        for (int i = 0; i < 3; i++)
            if (strlen(c[i]) > w[i])
                w[i] = strlen(c[i]);
    }
    if (!x->exists)
        fprintf(f,
                "# Expected metrics of %s.ini, checked by 'iovsim regress' (make check).\n"
                "# POINT: the swept values; EXPECTED: a number, or @METRIC of the same point;\n"
                "# TOLERANCE: N%% (relative) or N (absolute). 'make regress-update' rewrites the\n"
                "# numbers and keeps the rest.\n"
                "# %-*s %-*s %-*s %s\n",
                sc->name, (int)w[0] - 2, "POINT", (int)w[1], "METRIC", (int)w[2], "EXPECTED",
                "TOLERANCE");
    for (size_t k = 0; k < x->n; k++) {
        const row *r = &x->rows[k];
        if (r->comment)
            fprintf(f, "%s\n", r->text);
        else if (r->point)
            fprintf(f, "%-*s %-*s %-*s %s\n", (int)w[0], r->point, (int)w[1], r->metric, (int)w[2],
                    r->expected, r->tol);
    }
}

static void update_rows(const scenario *sc, expect *x, size_t *changed, size_t *added,
                        size_t *dropped)
{
    bool *covered = sim_xcalloc(sc->n_points, sizeof *covered);
    for (size_t k = 0; k < x->n; k++) {
        row *r = &x->rows[k];
        if (r->comment)
            continue;
        size_t p = find_point(sc, r->point);
        double v;
        if (p == SIZE_MAX || !app_results_metric(sc->res, p, r->metric, &v)) {
            printf("%s: dropped %s %s (%s)\n", sc->name, r->point, r->metric,
                   p == SIZE_MAX ? "no such point" : "no such metric");
            free(r->point);
            r->point = NULL; /* not written */
            (*dropped)++;
            continue;
        }
        covered[p] = true;
        if (r->expected[0] == '@')
            continue;
        char now[64];
        snprintf(now, sizeof now, "%.10g", v);
        if (!same_value(v, strtod(r->expected, NULL))) {
            printf("%s: %s %s: %s -> %s\n", sc->name, r->point, r->metric, r->expected, now);
            free(r->expected);
            r->expected = sim_xstrdup(now);
            (*changed)++;
        }
    }
    for (size_t p = 0; p < sc->n_points; p++) {
        if (covered[p])
            continue;
        for (size_t m = 0; m < app_results_metric_names(sc->res); m++) {
            const char *name = app_results_metric_name(sc->res, m);
            double v;
            if (!app_results_metric(sc->res, p, name, &v))
                continue;
            char now[64];
            snprintf(now, sizeof now, "%.10g", v);
            row *r = add_row(x);
            r->point = sim_xstrdup(sc->labels.v[p]);
            r->metric = sim_xstrdup(name);
            r->expected = sim_xstrdup(now);
            r->tol = sim_xstrdup(APP_REGRESS_DEFAULT_TOLERANCE);
            printf("%s: added %s %s = %s\n", sc->name, r->point, r->metric, now);
            (*added)++;
        }
    }
    free(covered);
}

/* ---- driver ---- */

static void scenario_free(scenario *sc)
{
    app_strlist_free(&sc->labels);
    app_results_destroy(sc->res);
}

/* Runs one scenario: 0 ran (some points may have failed: *points_failed), -1 error. */
static int run_scenario(const sim_model_ops *ops, const sim_params *reg, scenario *sc,
                        const app_regress_opts *o, bool *points_failed, sim_err *e)
{
    app_workload *w = app_workload_load(sc->file, reg, e);
    if (!w)
        return -1;
    snprintf(sc->name, sizeof sc->name, "%s", app_workload_basename(w));
    char out[4200];
    snprintf(out, sizeof out, "%s/%s", o->out_dir ? o->out_dir : "results/regress", sc->folder);
    app_sweep_opts so = {
        .out_dir = out, .jobs = o->jobs, .quiet = true, .no_plots = true, .no_summary = true,
        .force = true}; /* a scenario edited since its last run replaces that run */
    int rc = app_sweep_run(ops, w, reg, &so, e);
    app_workload_destroy(w);
    if (rc == 2)
        return -1;
    *points_failed = rc != 0;
    sc->res = app_results_load(out, e);
    if (!sc->res)
        return -1;
    const app_manifest *m = app_results_manifest(sc->res);
    sc->n_points = app_manifest_points(m);
    for (size_t i = 0; i < sc->n_points; i++) {
        char label[4096];
        app_manifest_point_label(m, i, label, sizeof label);
        app_strlist_push(&sc->labels, sim_xstrdup(label));
    }
    return 0;
}

/* The file's name without folder and .ini. */
static void scenario_base(const char *file, char *buf, size_t len)
{
    const char *slash = strrchr(file, '/');
    const char *b = slash ? slash + 1 : file;
    size_t n = strlen(b);
    if (n > 4 && !strcmp(b + n - 4, ".ini"))
        n -= 4;
    snprintf(buf, len, "%.*s", (int)n, b);
}

static void expect_path(const char *file, char *buf, size_t len)
{
    size_t n = strlen(file);
    if (n > 4 && !strcmp(file + n - 4, ".ini"))
        n -= 4;
    snprintf(buf, len, "%.*s.expect", (int)n, file);
}

int app_regress_run(const sim_model_ops *ops, const sim_params *registry,
                    const char *const *files, size_t n_files, const app_regress_opts *o,
                    sim_err *e)
{
    tally t = {0};
    size_t failing_scenarios = 0;
    for (size_t f = 0; f < n_files; f++) {
        scenario sc = {.file = files[f]};
        /* Suites in different folders may reuse a name (tests/regress/mdq.ini and
         * tests/regress/long/mdq.ini): each run keeps a folder of its own. */
        char base[256];
        scenario_base(files[f], base, sizeof base);
        size_t same = 0;
        for (size_t k = 0; k < f; k++) {
            char other[256];
            scenario_base(files[k], other, sizeof other);
            same += !strcmp(base, other);
        }
        if (same)
            snprintf(sc.folder, sizeof sc.folder, "%s-%zu", base, same + 1);
        else
            snprintf(sc.folder, sizeof sc.folder, "%s", base);
        expect x = {0};
        expect_path(files[f], x.path, sizeof x.path);
        bool points_failed = false;
        int rc = expect_read(&x, e);
        if (rc == 0)
            rc = run_scenario(ops, registry, &sc, o, &points_failed, e);
        if (rc < 0) {
            expect_free(&x);
            scenario_free(&sc);
            return 2;
        }
        tally before = t;
        if (o->update) {
            if (points_failed) {
                printf("%s: not updated: a point failed (see %s/results.csv)\n", sc.name,
                       app_results_dir(sc.res));
                failing_scenarios++;
            } else {
                size_t changed = 0, added = 0, dropped = 0;
                update_rows(&sc, &x, &changed, &added, &dropped);
                sim_file sf;
                /* An unchanged file keeps its bytes (and its author's layout). */
                bool write = !x.exists || changed + added + dropped > 0;
                if (write && sim_file_open(&sf, x.path, e) < 0) {
                    expect_free(&x);
                    scenario_free(&sc);
                    return 2;
                }
                if (write)
                    write_expect(&sc, &x, sf.f);
                if (write && sim_file_commit(&sf, e) < 0) {
                    expect_free(&x);
                    scenario_free(&sc);
                    return 2;
                }
                if (changed + added + dropped)
                    printf("%s: %s: %zu changed, %zu added, %zu dropped\n", sc.name, x.path,
                           changed, added, dropped);
                else
                    printf("%s: %s unchanged\n", sc.name, x.path);
            }
        } else if (!x.exists) {
            printf("FAIL  %s  no expected values: %s is missing (make regress-update writes it)\n",
                   sc.name, x.path);
            t.failed++;
            failing_scenarios++;
        } else {
            check_rows(&sc, &x, o, &t);
            if (t.failed > before.failed || points_failed)
                failing_scenarios++;
            if (!o->quiet || t.failed > before.failed)
                printf("%s: %zu checks, %zu passed, %zu failed%s\n", sc.name, t.rows - before.rows,
                       t.passed - before.passed, t.failed - before.failed,
                       points_failed ? " (a point failed)" : "");
        }
        expect_free(&x);
        scenario_free(&sc);
    }
    if (!o->update)
        printf("regress: %zu scenario%s, %zu checks, %zu passed, %zu failed\n", n_files,
               n_files == 1 ? "" : "s", t.rows, t.passed, t.failed);
    return failing_scenarios ? 1 : 0;
}
