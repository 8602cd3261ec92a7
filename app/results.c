#include "app/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "app/json.h"
#include "app/strlist.h"
#include "sim/alloc.h"
#include "sim/files.h"

#define MANIFEST_FILE "sweep.txt"
#define RESULT_FILE "result.txt"

/* Records are tab-separated lines: a value must not break them. */
static char *flat_dup(const char *s)
{
    char *d = sim_xstrdup(s);
    for (char *c = d; *c; c++)
        if (*c == '\n' || *c == '\t' || *c == '\r')
            *c = ' ';
    return d;
}

/* ---- manifest ------------------------------------------------------------------- */

struct app_manifest {
    char *workload;
    size_t n_axes, n_points;
    char **axes;
    char **values; /* n_points x n_axes */
};

app_manifest *app_manifest_create(const char *workload, size_t n_axes, const char *const *axes,
                                  size_t n_points)
{
    app_manifest *m = sim_xcalloc(1, sizeof *m);
    m->workload = flat_dup(workload ? workload : "");
    m->n_axes = n_axes;
    m->n_points = n_points;
    m->axes = sim_xcalloc(n_axes, sizeof *m->axes);
    for (size_t a = 0; a < n_axes; a++)
        m->axes[a] = flat_dup(axes[a]);
    m->values = sim_xcalloc(n_points * n_axes, sizeof *m->values);
    return m;
}

void app_manifest_destroy(app_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_points * m->n_axes; i++)
        free(m->values[i]);
    for (size_t a = 0; a < m->n_axes; a++)
        free(m->axes[a]);
    free(m->values);
    free(m->axes);
    free(m->workload);
    free(m);
}

void app_manifest_set(app_manifest *m, size_t point, size_t axis, const char *value)
{
    char **slot = &m->values[point * m->n_axes + axis];
    free(*slot);
    *slot = flat_dup(value);
}

const char *app_manifest_workload(const app_manifest *m) { return m->workload; }
size_t app_manifest_axes(const app_manifest *m) { return m->n_axes; }
const char *app_manifest_axis(const app_manifest *m, size_t axis) { return m->axes[axis]; }
size_t app_manifest_points(const app_manifest *m) { return m->n_points; }

const char *app_manifest_value(const app_manifest *m, size_t point, size_t axis)
{
    const char *v = m->values[point * m->n_axes + axis];
    return v ? v : "";
}

void app_manifest_point_label(const app_manifest *m, size_t point, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t a = 0; a < m->n_axes && used < len; a++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", a ? "," : "", m->axes[a],
                                 app_manifest_value(m, point, a));
    if (!m->n_axes)
        snprintf(buf, len, "-");
}

bool app_manifest_same(const app_manifest *a, const app_manifest *b, char *why, size_t len)
{
    if (a->n_axes != b->n_axes) {
        snprintf(why, len, "%zu swept parameters against %zu", a->n_axes, b->n_axes);
        return false;
    }
    for (size_t i = 0; i < a->n_axes; i++)
        if (strcmp(a->axes[i], b->axes[i])) {
            snprintf(why, len, "swept parameter %zu is %s against %s", i + 1, a->axes[i],
                     b->axes[i]);
            return false;
        }
    if (a->n_points != b->n_points) {
        snprintf(why, len, "%zu points against %zu", a->n_points, b->n_points);
        return false;
    }
    for (size_t p = 0; p < a->n_points; p++)
        for (size_t i = 0; i < a->n_axes; i++)
            if (strcmp(app_manifest_value(a, p, i), app_manifest_value(b, p, i))) {
                snprintf(why, len, "point %zu has %s=%s against %s", p, a->axes[i],
                         app_manifest_value(a, p, i), app_manifest_value(b, p, i));
                return false;
            }
    return true;
}

int app_write_shared(const char *path, const char *text, sim_err *e)
{
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    fputs(text, sf.f);
    return sim_file_commit(&sf, e);
}

int app_results_lock(const char *dir, bool shared, sim_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return sim_err_set(e, "cannot write in %s: %s: %s", dir, path, strerror(errno));
    if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        int err = errno;
        if (err == ENOLCK || err == ENOSYS || err == EOPNOTSUPP)
            return fd;
        char holder[32] = "";
        ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        close(fd);
        if (err != EWOULDBLOCK)
            return sim_err_set(e, "cannot lock %s: %s", path, strerror(err));
        return sim_err_set(e, "%s is in use by another iovsim run (%s%s%sholding %s): wait for "
                              "it to end, or give another --out folder",
                           dir, *holder ? "pid " : "", holder, *holder ? ", " : "", path);
    }
    /* Who holds it, for the message of a run refused; a shared holder leaves it empty. */
    if (ftruncate(fd, 0) == 0 && !shared)
        dprintf(fd, "%ld\n", (long)getpid());
    return fd;
}

int app_manifest_write(const app_manifest *m, const char *dir, sim_err *e)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = sim_xopen_memstream(&text, &size);
    fputs("# iovsim results folder: the points of this sweep (see 'iovsim help merge').\n", f);
    fprintf(f, "workload\t%s\npoints\t%zu\n", m->workload, m->n_points);
    for (size_t a = 0; a < m->n_axes; a++)
        fprintf(f, "axis\t%s\n", m->axes[a]);
    for (size_t p = 0; p < m->n_points; p++) {
        fprintf(f, "point\t%zu", p);
        for (size_t a = 0; a < m->n_axes; a++)
            fprintf(f, "\t%s", app_manifest_value(m, p, a));
        fputc('\n', f);
    }
    fclose(f);
    char path[4200];
    snprintf(path, sizeof path, "%s/" MANIFEST_FILE, dir);
    int rc = app_write_shared(path, text, e);
    free(text);
    return rc;
}

/* Splits a line at tabs in place; returns the number of fields. */
static size_t split_tabs(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *s = line;
    while (n < max) {
        fields[n++] = s;
        char *t = strchr(s, '\t');
        if (!t)
            break;
        *t = '\0';
        s = t + 1;
    }
    return n;
}

app_manifest *app_manifest_read(const char *dir, sim_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" MANIFEST_FILE, dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        sim_err_set(e, "%s is not an iovsim results folder: cannot read %s: %s", dir, path,
                    strerror(errno));
        return NULL;
    }
    char *workload = NULL;
    char **axes = NULL;
    size_t n_axes = 0, n_points = 0, next_point = 0;
    bool have_points = false;
    app_manifest *m = NULL;
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int bad = 0;
    while (!bad && getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *fld[4096];
        size_t n = split_tabs(line, fld, sizeof fld / sizeof *fld);
        if (!strcmp(fld[0], "workload") && n == 2 && !m) {
            free(workload);
            workload = sim_xstrdup(fld[1]);
        } else if (!strcmp(fld[0], "points") && n == 2 && !m) {
            char *end;
            n_points = strtoul(fld[1], &end, 10);
            have_points = *fld[1] && !*end;
            bad = !have_points;
        } else if (!strcmp(fld[0], "axis") && n == 2 && !m) {
            axes = sim_xrealloc(axes, (n_axes + 1) * sizeof *axes);
            axes[n_axes++] = sim_xstrdup(fld[1]);
        } else if (!strcmp(fld[0], "point") && have_points && n == n_axes + 2) {
            if (!m)
                m = app_manifest_create(workload, n_axes, (const char *const *)axes, n_points);
            char *end;
            unsigned long p = strtoul(fld[1], &end, 10);
            bad = *end || p != next_point || p >= n_points;
            for (size_t a = 0; !bad && a < n_axes; a++)
                app_manifest_set(m, p, a, fld[a + 2]);
            next_point++;
        } else {
            bad = 1;
        }
    }
    free(line);
    fclose(f);
    if (!bad && have_points && !m && n_points == 0)
        m = app_manifest_create(workload, n_axes, (const char *const *)axes, 0);
    if (!bad && (!have_points || next_point != n_points)) {
        bad = 1;
        lineno++;
    }
    for (size_t a = 0; a < n_axes; a++)
        free(axes[a]);
    free(axes);
    free(workload);
    if (bad) {
        app_manifest_destroy(m);
        sim_err_set(e, "%s:%u: not a sweep manifest line iovsim wrote (or the file is cut short)",
                    path, lineno);
        return NULL;
    }
    return m;
}

void app_point_dir(const char *dir, size_t point, size_t n_points, char *buf, size_t len)
{
    char last[32], idx[32];
    int width = snprintf(last, sizeof last, "%zu", n_points ? n_points - 1 : 0);
    if (width < 4)
        width = 4;
    int digits = snprintf(idx, sizeof idx, "%zu", point);
    snprintf(buf, len, "%s/points/%.*s%s", dir, width > digits ? width - digits : 0,
             "00000000000000000000", idx);
}

/* ---- result.txt ------------------------------------------------------------------- */

int app_result_write(const char *point_dir, const app_manifest *m, size_t point,
                     const sim_point_result *res, const char *error, sim_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" RESULT_FILE, point_dir);
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    for (size_t a = 0; a < m->n_axes; a++)
        fprintf(sf.f, "axis\t%s\t%s\n", m->axes[a], app_manifest_value(m, point, a));
    fprintf(sf.f, "status\t%s\n", res ? "ok" : "error");
    if (res) {
        for (size_t i = 0; i < res->metrics; i++)
            fprintf(sf.f, "metric\t%s\t%.10g\n", res->metric_names[i], res->metric_values[i]);
        fprintf(sf.f, "end_ps\t%llu\n", (unsigned long long)res->end_ps);
    } else {
        char *msg = flat_dup(error ? error : "failed");
        fprintf(sf.f, "error\t%s\n", msg);
        free(msg);
    }
    return sim_file_commit(&sf, e);
}

bool app_result_read(const char *point_dir, const app_manifest *m, size_t point,
                     app_result_view *v, app_metric_fn metric, void *ctx)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" RESULT_FILE, point_dir);
    memset(v, 0, sizeof *v);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    v->found = true;
    v->axes_match = true;
    size_t axes_seen = 0;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *fld[3];
        size_t n = split_tabs(line, fld, 3);
        if (n < 2)
            continue;
        if (!strcmp(fld[0], "axis")) {
            if (axes_seen >= m->n_axes || n < 3 || strcmp(fld[1], m->axes[axes_seen]) ||
                strcmp(fld[2], app_manifest_value(m, point, axes_seen)))
                v->axes_match = false;
            axes_seen++;
        } else if (!strcmp(fld[0], "status")) {
            v->ok = !strcmp(fld[1], "ok");
        } else if (!strcmp(fld[0], "metric") && n == 3 && metric) {
            metric(fld[1], fld[2], ctx);
        } else if (!strcmp(fld[0], "end_ps")) {
            v->end_ps = strtoull(fld[1], NULL, 10);
        } else if (!strcmp(fld[0], "error")) {
            snprintf(v->error, sizeof v->error, "%s%s%s", fld[1], n == 3 ? "\t" : "",
                     n == 3 ? fld[2] : "");
        }
    }
    fclose(f);
    if (axes_seen != m->n_axes)
        v->axes_match = false;
    return true;
}

/* ---- the rows of a folder ------------------------------------------------------------ */

static void column_add(const char *name, const char *value, void *ctx)
{
    (void)value;
    app_strlist_add(ctx, name);
}

static void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

typedef struct row_fill {
    const app_strlist *c;
    char **values;
} row_fill;

static void row_metric(const char *name, const char *value, void *ctx)
{
    row_fill *r = ctx;
    size_t i = app_strlist_find(r->c, name);
    if (i != SIZE_MAX && !r->values[i])
        r->values[i] = sim_xstrdup(value);
}

/* ---- results.json: the rows of results.csv, typed ------------------------------------ */

typedef enum col_type { COL_NUMBER, COL_BOOL, COL_STRING } col_type;

/* A swept parameter's column is of one type: numbers when every value is one as
 * written, booleans when every value is true or false, else strings. */
static col_type column_type(const app_manifest *m, size_t a)
{
    bool number = true, boolean = true;
    for (size_t i = 0; i < m->n_points; i++) {
        const char *v = app_manifest_value(m, i, a);
        number = number && app_json_is_number(v);
        boolean = boolean && (!strcmp(v, "true") || !strcmp(v, "false"));
    }
    return number ? COL_NUMBER : boolean ? COL_BOOL : COL_STRING;
}

static void json_names(FILE *f, const char *key, char *const *names, size_t n)
{
    fprintf(f, ",\n \"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        app_json_string(f, names[i]);
    }
    fputc(']', f);
}

static void json_head(FILE *f, const app_manifest *m, const app_strlist *metrics)
{
    fputs("{\"format\": \"iovsim results 1\",\n \"workload\": ", f);
    app_json_string(f, m->workload);
    json_names(f, "parameters", m->axes, m->n_axes);
    json_names(f, "metrics", metrics->v, metrics->n);
    fputs(",\n \"points\": [", f);
}

/* Point i as one line; `values` holds its metrics by column (NULL: not reported, left
 * out), `error` NULL for a point that finished. */
static void json_point(FILE *f, const app_manifest *m, const col_type *types, size_t i,
                       const app_strlist *metrics, char *const *values, const char *error)
{
    fprintf(f, "%s\n  {\"point\": %zu, \"parameters\": {", i ? "," : "", i);
    for (size_t a = 0; a < m->n_axes; a++) {
        const char *v = app_manifest_value(m, i, a);
        fputs(a ? ", " : "", f);
        app_json_string(f, m->axes[a]);
        fputs(": ", f);
        if (types[a] == COL_STRING)
            app_json_string(f, v);
        else
            fputs(v, f); /* a number as written, or true or false */
    }
    fprintf(f, "}, \"status\": \"%s\", \"metrics\": {", error ? "error" : "ok");
    const char *sep = "";
    for (size_t k = 0; k < metrics->n; k++)
        if (values[k]) {
            fputs(sep, f);
            app_json_string(f, metrics->v[k]);
            fputs(": ", f);
            app_json_value(f, values[k]);
            sep = ", ";
        }
    fputs("}, \"error\": ", f);
    if (error)
        app_json_string(f, error);
    else
        fputs("null", f);
    fputc('}', f);
}

/* ---- results.csv ------------------------------------------------------------------ */

static void csv_head(FILE *f, const app_manifest *m, const app_strlist *metrics)
{
    for (size_t a = 0; a < m->n_axes; a++) {
        csv_field(f, m->axes[a]);
        fputc(',', f);
    }
    fputs("status", f);
    for (size_t i = 0; i < metrics->n; i++) {
        fputc(',', f);
        csv_field(f, metrics->v[i]);
    }
    fputs(",error\n", f);
}

static void csv_point(FILE *f, const app_manifest *m, size_t i, const app_strlist *metrics,
                      char *const *values, bool ok, const char *error)
{
    for (size_t a = 0; a < m->n_axes; a++) {
        csv_field(f, app_manifest_value(m, i, a));
        fputc(',', f);
    }
    fputs(ok ? "ok" : "error", f);
    for (size_t k = 0; k < metrics->n; k++) {
        fputc(',', f);
        if (values[k])
            csv_field(f, values[k]);
    }
    fputc(',', f);
    csv_field(f, error);
    fputc('\n', f);
}

/* Both files are written in one pass over the points, which a sweep may have a million
 * of: nothing per point is kept. */
int app_results_write_csv(const char *dir, const app_manifest *m, sim_err *e)
{
    app_strlist metrics = {0};
    app_result_view v;
    char pdir[4200];
    for (size_t i = 0; i < m->n_points; i++) {
        app_point_dir(dir, i, m->n_points, pdir, sizeof pdir);
        app_result_read(pdir, m, i, &v, column_add, &metrics);
    }

    char path[4200];
    sim_file csv, json;
    snprintf(path, sizeof path, "%s/results.csv", dir);
    if (sim_file_open(&csv, path, e) < 0) {
        app_strlist_free(&metrics);
        return -1;
    }
    snprintf(path, sizeof path, "%s/results.json", dir);
    if (sim_file_open(&json, path, e) < 0) {
        sim_file_abort(&csv);
        app_strlist_free(&metrics);
        return -1;
    }
    col_type *types = sim_xcalloc(m->n_axes + 1, sizeof *types);
    for (size_t a = 0; a < m->n_axes; a++)
        types[a] = column_type(m, a);
    csv_head(csv.f, m, &metrics);
    json_head(json.f, m, &metrics);
    for (size_t i = 0; i < m->n_points; i++) {
        row_fill r = {.c = &metrics, .values = sim_xcalloc(metrics.n + 1, sizeof(char *))};
        app_point_dir(dir, i, m->n_points, pdir, sizeof pdir);
        bool found = app_result_read(pdir, m, i, &v, row_metric, &r);
        bool ok = found && v.ok;
        const char *error = found ? v.error : "not run";
        csv_point(csv.f, m, i, &metrics, r.values, ok, error);
        json_point(json.f, m, types, i, &metrics, r.values, ok ? NULL : error);
        for (size_t k = 0; k < metrics.n; k++)
            free(r.values[k]);
        free(r.values);
    }
    fputs("\n ]\n}\n", json.f);
    free(types);
    app_strlist_free(&metrics);
    if (sim_file_commit(&csv, e) < 0) {
        sim_file_abort(&json);
        return -1;
    }
    return sim_file_commit(&json, e);
}

/* ---- reading a folder back ---------------------------------------------------------- */

typedef struct kv {
    char *name;
    char *value;
} kv;

typedef struct point_data {
    char *dir;
    bool ok;
    kv *params;
    size_t n_params;
    double *metric; /* indexed like app_results.metrics */
    bool *has;
    size_t n_metric; /* entries allocated in metric/has */
} point_data;

struct app_results {
    char *dir;
    app_manifest *m;
    point_data *pts;
    app_strlist metrics;
};

typedef struct load_ctx {
    app_results *r;
    point_data *pt;
} load_ctx;

static void load_metric(const char *name, const char *value, void *ctx)
{
    load_ctx *c = ctx;
    size_t i = app_strlist_add(&c->r->metrics, name);
    if (i >= c->pt->n_metric) {
        size_t n = c->r->metrics.n;
        c->pt->metric = sim_xrealloc(c->pt->metric, n * sizeof *c->pt->metric);
        c->pt->has = sim_xrealloc(c->pt->has, n * sizeof *c->pt->has);
        for (size_t k = c->pt->n_metric; k < n; k++)
            c->pt->has[k] = false;
        c->pt->n_metric = n;
    }
    char *end;
    double v = strtod(value, &end);
    if (end != value) {
        c->pt->metric[i] = v;
        c->pt->has[i] = true;
    }
}

static void load_params(point_data *pt)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/params.txt", pt->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    while (getline(&line, &cap, f) >= 0) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strstr(line, " = ");
        if (!eq)
            continue;
        *eq = '\0';
        if (pt->n_params == alloc) {
            alloc = alloc ? 2 * alloc : 256;
            pt->params = sim_xrealloc(pt->params, alloc * sizeof *pt->params);
        }
        pt->params[pt->n_params++] = (kv){sim_xstrdup(line), sim_xstrdup(eq + 3)};
    }
    free(line);
    fclose(f);
}

app_results *app_results_load(const char *dir, sim_err *e)
{
    app_manifest *m = app_manifest_read(dir, e);
    if (!m)
        return NULL;
    app_results *r = sim_xcalloc(1, sizeof *r);
    r->dir = sim_xstrdup(dir);
    r->m = m;
    r->pts = sim_xcalloc(m->n_points, sizeof *r->pts);
    char pdir[4200];
    for (size_t i = 0; i < m->n_points; i++) {
        point_data *pt = &r->pts[i];
        app_point_dir(dir, i, m->n_points, pdir, sizeof pdir);
        pt->dir = sim_xstrdup(pdir);
        load_ctx c = {r, pt};
        app_result_view v;
        app_result_read(pdir, m, i, &v, load_metric, &c);
        pt->ok = v.found && v.ok && v.axes_match;
        if (pt->ok)
            load_params(pt);
    }
    return r;
}

void app_results_destroy(app_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->m->n_points; i++) {
        point_data *pt = &r->pts[i];
        for (size_t k = 0; k < pt->n_params; k++) {
            free(pt->params[k].name);
            free(pt->params[k].value);
        }
        free(pt->params);
        free(pt->metric);
        free(pt->has);
        free(pt->dir);
    }
    free(r->pts);
    app_strlist_free(&r->metrics);
    app_manifest_destroy(r->m);
    free(r->dir);
    free(r);
}

const app_manifest *app_results_manifest(const app_results *r) { return r->m; }
const char *app_results_dir(const app_results *r) { return r->dir; }
size_t app_results_points(const app_results *r) { return r->m->n_points; }
bool app_results_ok(const app_results *r, size_t point) { return r->pts[point].ok; }
const char *app_results_point_dir(const app_results *r, size_t point) { return r->pts[point].dir; }
size_t app_results_metric_names(const app_results *r) { return r->metrics.n; }
const char *app_results_metric_name(const app_results *r, size_t i) { return r->metrics.v[i]; }

const char *app_results_param(const app_results *r, size_t point, const char *name)
{
    const point_data *pt = &r->pts[point];
    for (size_t k = 0; k < pt->n_params; k++)
        if (!strcmp(pt->params[k].name, name))
            return pt->params[k].value;
    return NULL;
}

size_t app_results_params(const app_results *r, size_t point) { return r->pts[point].n_params; }

const char *app_results_param_name(const app_results *r, size_t point, size_t i)
{
    return r->pts[point].params[i].name;
}

bool app_results_metric(const app_results *r, size_t point, const char *name, double *out)
{
    const point_data *pt = &r->pts[point];
    size_t i = app_strlist_find(&r->metrics, name);
    if (i == SIZE_MAX || i >= pt->n_metric || !pt->has[i])
        return false;
    *out = pt->metric[i];
    return true;
}
