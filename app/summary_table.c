#include "app/summary_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/strlist.h"
#include "sim/alloc.h"

void app_summary_table_num(char *buf, size_t len, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "-");
        return;
    }
    /* Three significant digits first, then the unit for the rounded value: 999.6 is
     * 1000 and 9,995 is 10k, never 1e+03 or five digits. */
    if (v != 0) {
        double step = pow(10, floor(log10(fabs(v))) - 2);
        v = round(v / step) * step;
    }
    double a = fabs(v);
    if (a >= 1e9)
        snprintf(buf, len, "%.3gG", v / 1e9);
    else if (a >= 1e6)
        snprintf(buf, len, "%.3gM", v / 1e6);
    else if (a >= 1e4)
        snprintf(buf, len, "%.3gk", v / 1e3);
    else if (a >= 1e3)
        snprintf(buf, len, "%.0f", v); /* 3 digits, not 1.03e+03 */
    else
        snprintf(buf, len, "%.3g", v);
}

double app_summary_table_metric(const app_results *r, bool *shown, size_t point, const char *name)
{
    double x;
    shown[point] = true;
    return app_results_metric(r, point, name, &x) ? x : NAN;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

size_t app_summary_table_distinct(const void *rows, size_t n, size_t size, size_t off,
                                  unsigned *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        memcpy(&v, (const char *)rows + i * size + off, sizeof v);
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = out[j] == v;
        if (!seen)
            out[k++] = v;
    }
    qsort(out, k, sizeof *out, cmp_unsigned);
    return k;
}

static size_t point_of(const app_summary_view *k, const void *rows, size_t i)
{
    size_t p;
    memcpy(&p, (const char *)rows + i * k->row_bytes + k->point_off, sizeof p);
    return p;
}

/* The swept parameters the tables do not show, by what they do to the cells: `split`
 * those in which two points of one cell differ (the tables are printed once for each
 * combination of their values), `follow` those that vary but take one value in each
 * cell (the cells stay true; a note names them). */
static void hidden_axes(const app_results *r, const app_summary_view *k, const void *rows,
                        size_t nr, bool *split, bool *follow)
{
    const app_manifest *m = app_results_manifest(r);
    size_t na = app_manifest_axes(m), sz = k->row_bytes;
    char *sorted = sim_xcalloc(nr, sz);
    memcpy(sorted, rows, nr * sz);
    qsort(sorted, nr, sz, k->cmp_cell);
    size_t p0 = point_of(k, sorted, 0);
    for (size_t a = 0; a < na; a++) {
        split[a] = follow[a] = false;
        for (size_t i = 1; i < nr && !split[a]; i++) {
            size_t p = point_of(k, sorted, i), q = point_of(k, sorted, i - 1);
            bool same = !strcmp(app_manifest_value(m, p, a), app_manifest_value(m, p0, a));
            follow[a] = follow[a] || !same;
            split[a] = k->cmp_cell(sorted + (i - 1) * sz, sorted + i * sz) == 0 &&
                       strcmp(app_manifest_value(m, q, a), app_manifest_value(m, p, a));
        }
    }
    free(sorted);
    /* What the tables show is no note. */
    for (size_t a = 0; a < na; a++)
        for (size_t s = 0; s < k->n_shown_axes; s++)
            if (!split[a] && !strcmp(app_manifest_axis(m, a), k->shown_axes[s]))
                follow[a] = false;
    for (size_t a = 0; a < na; a++)
        follow[a] = follow[a] && !split[a];
}

/* "name = value, name = value" of the split axes at point pt. */
static char *group_name(const app_manifest *m, const bool *split, size_t pt)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = sim_xopen_memstream(&s, &len);
    const char *sep = "";
    for (size_t a = 0; a < app_manifest_axes(m); a++)
        if (split[a]) {
            fprintf(f, "%s%s = %s", sep, app_manifest_axis(m, a), app_manifest_value(m, pt, a));
            sep = ", ";
        }
    fclose(f);
    return s;
}

/* Names the axes flagged in `which`, "a, b and c". */
static void list_axes(FILE *t, const app_manifest *m, const bool *which)
{
    size_t n = 0, k = 0;
    for (size_t a = 0; a < app_manifest_axes(m); a++)
        n += which[a];
    for (size_t a = 0; a < app_manifest_axes(m); a++)
        if (which[a]) {
            k++;
            fprintf(t, "%s%s", k == 1 ? "" : k == n ? " and " : ", ", app_manifest_axis(m, a));
        }
}

/* The tables once for each combination of the split axes' values, in point order. */
static void grouped_tables(FILE *t, const app_results *r, const app_summary_view *k,
                           const void *rows, size_t nr, const bool *split, bool *shown)
{
    const app_manifest *m = app_results_manifest(r);
    size_t sz = k->row_bytes;
    app_strlist names = {0};
    size_t *group = sim_xcalloc(nr, sizeof *group);
    for (size_t i = 0; i < nr; i++) {
        char *name = group_name(m, split, point_of(k, rows, i));
        group[i] = app_strlist_add(&names, name);
        free(name);
    }
    char *part = sim_xcalloc(nr, sz);
    for (size_t g = 0; g < names.n; g++) {
        size_t np = 0;
        for (size_t i = 0; i < nr; i++)
            if (group[i] == g)
                memcpy(part + np++ * sz, (const char *)rows + i * sz, sz);
        if (names.n > 1 || *names.v[g])
            fprintf(t, "\n==== %s ====\n", names.v[g]);
        k->tables(t, r, part, np, shown);
    }
    free(part);
    free(group);
    app_strlist_free(&names);
}

/* The rows of the finished points of the kind, in point order. */
static char *collect_rows(const app_results *r, const app_summary_view *k, size_t *nr)
{
    size_t n = app_results_points(r), sz = k->row_bytes;
    char *rows = sim_xcalloc(n ? n : 1, sz);
    *nr = 0;
    for (size_t i = 0; i < n; i++) {
        const char *kind = app_results_param(r, i, "workload.kind");
        if (!app_results_ok(r, i) || !kind || strcmp(kind, k->kind))
            continue;
        char *w = rows + *nr * sz;
        memset(w, 0, sz);
        if (!k->row_of(r, i, w))
            continue;
        memcpy(w + k->point_off, &i, sizeof i);
        (*nr)++;
    }
    return rows;
}

int app_summary_table_write(const app_results *r, const app_summary_view *k, char **out)
{
    *out = NULL;
    size_t nr;
    char *rows = collect_rows(r, k, &nr);
    if (!nr) {
        free(rows);
        return 0;
    }
    const app_manifest *m = app_results_manifest(r);
    size_t na = app_manifest_axes(m), np = app_results_points(r);
    bool *split = sim_xcalloc(na + 1, sizeof *split), *follow = sim_xcalloc(na + 1, sizeof *follow);
    hidden_axes(r, k, rows, nr, split, follow);
    size_t n_split = 0;
    bool any_follow = false;
    for (size_t a = 0; a < na; a++) {
        n_split += split[a];
        any_follow = any_follow || follow[a];
    }
    bool *shown = sim_xcalloc(np ? np : 1, sizeof *shown);
    char *text = NULL;
    size_t len = 0;
    FILE *t = sim_xopen_memstream(&text, &len);
    fprintf(t, "%s: %zu points from %s\n", k->title, nr, app_results_dir(r));
    fprintf(t, "(%s)\n", k->legend);
    if (n_split) {
        fprintf(t, "The tables do not show ");
        list_axes(t, m, split);
        fprintf(t, ": they are printed once for each %s, named.\n",
                n_split == 1 ? "of its values" : "combination of their values");
    }
    grouped_tables(t, r, k, rows, nr, split, shown);
    size_t n_shown = 0, failed = 0;
    for (size_t i = 0; i < np; i++) {
        n_shown += shown[i];
        failed += !app_results_ok(r, i);
    }
    fprintf(t, "\n");
    if (any_follow) {
        fprintf(t, "Also swept but not shown, one value in each cell: ");
        list_axes(t, m, follow);
        fprintf(t, " (results.csv has it).\n");
    }
    if (n_shown < nr)
        fprintf(t, "In the tables: %zu of the %zu points; results.csv has every point.\n", n_shown,
                nr);
    if (failed)
        fprintf(t, "Left out: %zu point%s that did not finish (results.csv says why).\n", failed,
                failed == 1 ? "" : "s");
    free(shown);
    free(split);
    free(follow);
    free(rows);
    fclose(t);
    *out = text;
    return (int)len;
}
