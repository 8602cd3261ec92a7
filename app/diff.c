#include "app/diff.h"

#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/results.h"
#include "app/strlist.h"
#include "sim/alloc.h"

#define EXIT_BEYOND 1
#define EXIT_USAGE 2
/* Fixed parameters that differ are listed up to this many (a folder of another version
 * may differ in hundreds). */
#define MAX_FIXED_SHOWN 20

const char app_diff_help_text[] =
    "usage: iovsim diff A B [--tolerance X] [--all]\n"
    "\n"
    "Compares the metrics of two results folders, A (say, before a change) and B, at the\n"
    "points they share. Points are matched by their values of every parameter either\n"
    "folder sweeps; a parameter one folder does not sweep takes its fixed value there.\n"
    "Fixed parameters that differ between the folders are named first; then, for each\n"
    "shared point, each metric that differs: its value in A and in B and the relative\n"
    "change (B - A) / |A|, marked '!' when beyond the tolerance; then the points found in\n"
    "one folder only, and a count.\n"
    "\n"
    "  --tolerance X   the largest relative change that still matches: 0.05 or 5%\n"
    "                  (default 0: any difference counts)\n"
    "  --all           print every metric of the shared points, changed or not\n"
    "\n"
    "A metric one folder reports and the other does not, nan in one folder only, and a\n"
    "point that finished in one folder only are changes beyond any tolerance; points in\n"
    "one folder only are listed and do not change the exit status.\n"
    "Exit status: 0 no change beyond the tolerance, 1 some change beyond it, 2 bad usage,\n"
    "a folder that is not a results folder, or folders that share no point.\n";

typedef struct folder {
    const char *dir;
    app_results *r;
    char **key;  /* per point: its values of the matched parameters; NULL: not known */
    bool *taken; /* matched with a point of the other folder */
} folder;

typedef struct diff {
    folder a, b;
    app_strlist axes;   /* the parameters points are matched by: swept in A or B */
    app_strlist b_only; /* metrics no point of A reports */
    double tolerance;
    bool all;
    size_t shared, values, changed, beyond;
    double worst; /* the largest change beyond the tolerance, for the closing line */
    char worst_what[1024];
} diff;

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "iovsim: diff: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'iovsim help diff'.\n");
    return EXIT_USAGE;
}

/* "0.05" or "5%": a relative change, not negative. */
static int parse_tolerance(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return -1;
    if (*end == '%') {
        v /= 100.0;
        end++;
    }
    if (*end || !(v >= 0) || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* The value of parameter `name` at point pt: its axis value when the folder sweeps it,
 * else what params.txt recorded (NULL for a point that did not finish). */
static const char *value_at(const app_results *r, size_t pt, const char *name)
{
    const app_manifest *m = app_results_manifest(r);
    for (size_t a = 0; a < app_manifest_axes(m); a++)
        if (!strcmp(app_manifest_axis(m, a), name))
            return app_manifest_value(m, pt, a);
    return app_results_param(r, pt, name);
}

/* "name=value, name=value" over the matched parameters (what the output calls the
 * point); NULL when a value is not known. */
static char *point_key(const app_results *r, size_t pt, const app_strlist *axes)
{
    if (!axes->n)
        return sim_xstrdup("the point");
    char *s = NULL;
    size_t len = 0;
    FILE *f = sim_xopen_memstream(&s, &len);
    bool known = true;
    for (size_t i = 0; i < axes->n && known; i++) {
        const char *v = value_at(r, pt, axes->v[i]);
        known = v != NULL;
        fprintf(f, "%s%s=%s", i ? ", " : "", axes->v[i], v ? v : "");
    }
    fclose(f);
    if (!known) {
        free(s);
        return NULL;
    }
    return s;
}

static int load(folder *f, const char *dir)
{
    sim_err e = {{0}};
    f->dir = dir;
    f->r = app_results_load(dir, &e);
    if (!f->r) {
        fprintf(stderr, "iovsim: diff: %s\n", e.msg);
        return -1;
    }
    size_t n = app_results_points(f->r);
    f->key = sim_xcalloc(n + 1, sizeof *f->key);
    f->taken = sim_xcalloc(n + 1, sizeof *f->taken);
    return 0;
}

static void folder_free(folder *f)
{
    for (size_t i = 0; f->r && i < app_results_points(f->r); i++)
        free(f->key[i]);
    free(f->key);
    free(f->taken);
    app_results_destroy(f->r);
}

static void add_axes(app_strlist *axes, const app_results *r)
{
    const app_manifest *m = app_results_manifest(r);
    for (size_t a = 0; a < app_manifest_axes(m); a++)
        app_strlist_add(axes, app_manifest_axis(m, a));
}

/* A point of B by its key, for matching. */
typedef struct keyed {
    const char *key;
    size_t point;
} keyed;

static int cmp_keyed(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->point > b->point) - (a->point < b->point);
}

/* The points of f with a key, sorted by it (then by point): *n of them. */
static keyed *sorted_points(const folder *f, size_t *n)
{
    size_t np = app_results_points(f->r);
    keyed *k = sim_xcalloc(np + 1, sizeof *k);
    *n = 0;
    for (size_t i = 0; i < np; i++)
        if (f->key[i])
            k[(*n)++] = (keyed){f->key[i], i};
    qsort(k, *n, sizeof *k, cmp_keyed);
    return k;
}

/* The first point of f not yet taken whose key is `key`; SIZE_MAX if none. */
static size_t match(const folder *f, const keyed *k, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(k[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < n && !strcmp(k[lo].key, key); lo++)
        if (!f->taken[k[lo].point])
            return k[lo].point;
    return SIZE_MAX;
}

static size_t first_ok(const app_results *r)
{
    for (size_t i = 0; i < app_results_points(r); i++)
        if (app_results_ok(r, i))
            return i;
    return SIZE_MAX;
}

/* A fixed value as the list shows it: '' when empty, (none) when not recorded. */
static const char *shown_value(const char *v) { return !v ? "(none)" : !*v ? "''" : v; }

/* The parameters neither folder sweeps whose values differ (from the first finished
 * point of each). */
static void fixed_differences(const diff *d)
{
    size_t pa = first_ok(d->a.r), pb = first_ok(d->b.r);
    if (pa == SIZE_MAX || pb == SIZE_MAX)
        return;
    size_t shown = 0, more = 0;
    for (int side = 0; side < 2; side++) {
        const app_results *r = side ? d->b.r : d->a.r, *o = side ? d->a.r : d->b.r;
        size_t p = side ? pb : pa, q = side ? pa : pb;
        for (size_t k = 0; k < app_results_params(r, p); k++) {
            const char *name = app_results_param_name(r, p, k);
            const char *v = app_results_param(r, p, name), *w = app_results_param(o, q, name);
            /* A parameter both have was shown from A's side. */
            if (app_strlist_has(&d->axes, name) || (w && (side || !strcmp(v, w))))
                continue;
            if (shown == MAX_FIXED_SHOWN) {
                more++;
                continue;
            }
            if (!shown++)
                printf("Fixed parameters that differ:\n");
            const char *from = side ? NULL : v, *to = side ? v : w;
            printf("  %-36s %s -> %s\n", name, shown_value(from), shown_value(to));
        }
    }
    if (more)
        printf("  and %zu more\n", more);
}

/* A change beyond the tolerance (d->beyond counts it already), of `size` (relative):
 * the closing line names the largest, the first of equals. */
static void note_beyond(diff *d, double size, const char *what)
{
    if (d->beyond > 1 && !(size > d->worst))
        return;
    d->worst = size;
    snprintf(d->worst_what, sizeof d->worst_what, "%s", what);
}

static void format_value(char *buf, size_t len, bool has, double v)
{
    if (!has)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.10g", v);
}

/* The relative change from x to y: 0 when equal (nan and nan too), nan when one only
 * is nan, infinite from 0. */
static double relative(double x, double y)
{
    if (x == y || (isnan(x) && isnan(y)))
        return 0;
    if (isnan(x) || isnan(y))
        return NAN;
    if (x == 0)
        return y > 0 ? INFINITY : -INFINITY;
    return (y - x) / fabs(x);
}

/* One metric of a shared point; prints its line when it differs (or with --all). */
static void compare_metric(diff *d, size_t pa, size_t pb, const char *name, bool *header)
{
    double x = 0, y = 0;
    bool hx = app_results_metric(d->a.r, pa, name, &x);
    bool hy = app_results_metric(d->b.r, pb, name, &y);
    if (!hx && !hy)
        return;
    d->values++;
    double rel = hx && hy ? relative(x, y) : NAN;
    bool differs = rel != 0;
    bool beyond = !(fabs(rel) <= d->tolerance);
    d->changed += differs;
    d->beyond += beyond;
    if (!differs && !d->all)
        return;
    if (!*header) {
        printf("\n%s\n", d->a.key[pa]);
        *header = true;
    }
    char va[32], vb[32], ch[32];
    format_value(va, sizeof va, hx, x);
    format_value(vb, sizeof vb, hy, y);
    if (!hx || !hy)
        snprintf(ch, sizeof ch, "only in %s", hx ? "A" : "B");
    else if (isnan(rel))
        snprintf(ch, sizeof ch, "nan");
    else if (isinf(rel))
        snprintf(ch, sizeof ch, "%s", rel > 0 ? "+inf" : "-inf");
    else if (rel == 0)
        snprintf(ch, sizeof ch, "0");
    else
        snprintf(ch, sizeof ch, "%+.3g%%", rel * 100.0);
    printf("  %-30s %16s %16s %10s%s\n", name, va, vb, ch, beyond ? "  !" : "");
    if (beyond) {
        char what[sizeof d->worst_what];
        snprintf(what, sizeof what, "%s at %s, %s", name, d->a.key[pa], ch);
        note_beyond(d, isnan(rel) ? INFINITY : fabs(rel), what);
    }
}

static const char *point_error(const app_results *r, size_t pt, char *buf, size_t len)
{
    app_result_view v;
    if (!app_result_read(app_results_point_dir(r, pt), app_results_manifest(r), pt, &v, NULL, NULL))
        return "not run";
    snprintf(buf, len, "%s", v.error[0] ? v.error : "failed");
    return buf;
}

/* A point both folders have: its status, then every metric either reports. */
static void compare_point(diff *d, size_t pa, size_t pb)
{
    bool oka = app_results_ok(d->a.r, pa), okb = app_results_ok(d->b.r, pb);
    d->shared++;
    if (!oka || !okb) {
        char ea[2048], eb[2048];
        printf("\n%s\n  %s\n", d->a.key[pa],
               oka != okb ? "finished in one folder only:" : "failed in both:");
        printf("    A: %s\n    B: %s\n", oka ? "ok" : point_error(d->a.r, pa, ea, sizeof ea),
               okb ? "ok" : point_error(d->b.r, pb, eb, sizeof eb));
        if (oka != okb) {
            d->beyond++;
            char what[sizeof d->worst_what];
            snprintf(what, sizeof what, "%s finished in %s only", d->a.key[pa], oka ? "A" : "B");
            note_beyond(d, INFINITY, what);
        }
        return;
    }
    bool header = false;
    for (size_t k = 0; k < app_results_metric_names(d->a.r); k++)
        compare_metric(d, pa, pb, app_results_metric_name(d->a.r, k), &header);
    for (size_t k = 0; k < d->b_only.n; k++)
        compare_metric(d, pa, pb, d->b_only.v[k], &header);
}

static void list_only(const folder *f, const char *which, size_t *count)
{
    for (size_t i = 0; i < app_results_points(f->r); i++)
        if (!f->taken[i]) {
            if (!(*count)++)
                printf("\nOnly in %s (%s):\n", which, f->dir);
            printf("  %s\n", f->key[i] ? f->key[i] : "(a point that did not finish)");
        }
}

static int run(diff *d)
{
    add_axes(&d->axes, d->a.r);
    add_axes(&d->axes, d->b.r);
    for (int side = 0; side < 2; side++) {
        folder *f = side ? &d->b : &d->a;
        for (size_t i = 0; i < app_results_points(f->r); i++)
            f->key[i] = point_key(f->r, i, &d->axes);
    }
    for (int side = 0; side < 2; side++) {
        const folder *f = side ? &d->b : &d->a;
        size_t n = app_results_points(f->r);
        printf("%s: %s (%zu point%s)\n", side ? "B" : "A", f->dir, n, n == 1 ? "" : "s");
    }
    printf("Points matched by: ");
    for (size_t i = 0; i < d->axes.n; i++)
        printf("%s%s", i ? ", " : "", d->axes.v[i]);
    printf("%s\n", d->axes.n ? "" : "(nothing is swept: the single point)");
    fixed_differences(d);
    app_strlist a_metrics = {0};
    for (size_t k = 0; k < app_results_metric_names(d->a.r); k++)
        app_strlist_add(&a_metrics, app_results_metric_name(d->a.r, k));
    for (size_t k = 0; k < app_results_metric_names(d->b.r); k++)
        if (!app_strlist_has(&a_metrics, app_results_metric_name(d->b.r, k)))
            app_strlist_add(&d->b_only, app_results_metric_name(d->b.r, k));
    app_strlist_free(&a_metrics);

    size_t nb, only_a = 0, only_b = 0;
    keyed *idx = sorted_points(&d->b, &nb);
    for (size_t i = 0; i < app_results_points(d->a.r); i++) {
        size_t j = d->a.key[i] ? match(&d->b, idx, nb, d->a.key[i]) : SIZE_MAX;
        if (j == SIZE_MAX)
            continue;
        d->a.taken[i] = d->b.taken[j] = true;
        compare_point(d, i, j);
    }
    free(idx);
    list_only(&d->a, "A", &only_a);
    list_only(&d->b, "B", &only_b);
    if (!d->shared) {
        fprintf(stderr,
                "iovsim: diff: %s and %s share no point (matched by the values of the "
                "parameters either sweeps)\n",
                d->a.dir, d->b.dir);
        return EXIT_USAGE;
    }
    printf("\n%zu shared point%s, %zu only in A, %zu only in B; %zu metric values compared, "
           "%zu differ, %zu beyond the tolerance of %g%%",
           d->shared, d->shared == 1 ? "" : "s", only_a, only_b, d->values, d->changed, d->beyond,
           d->tolerance * 100.0);
    if (d->beyond)
        printf(" (the largest: %s)", d->worst_what);
    printf(".\n");
    return d->beyond ? EXIT_BEYOND : 0;
}

int app_diff_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"tolerance", required_argument, NULL, 't'},
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    diff d = {.tolerance = 0};
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (parse_tolerance(optarg, &d.tolerance) < 0)
                return usage("--tolerance takes a relative change such as 0.05 or 5%%, got '%s'",
                             optarg);
            break;
        case 'a': d.all = true; break;
        case 'h': fputs(app_diff_help_text, stdout); return 0;
        case ':': return usage("option '%s' needs a value", argv[optind - 1]);
        default: return usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return usage(argc - optind < 2 ? "needs two results folders, A and B%s"
                                       : "two results folders at a time; unexpected '%s'",
                     argc - optind < 2 ? "" : argv[optind + 2]);
    int rc = EXIT_USAGE;
    if (load(&d.a, argv[optind]) == 0 && load(&d.b, argv[optind + 1]) == 0)
        rc = run(&d);
    fflush(stdout);
    folder_free(&d.a);
    folder_free(&d.b);
    app_strlist_free(&d.axes);
    app_strlist_free(&d.b_only);
    return rc;
}
