#include "sim/sweep.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/files.h"

/* Per-point files: result.txt is the machine-readable outcome, one record a line with
 * tab-separated fields, so the sweep (and --resume, and merging) can read it back
 * without a CSV parser:
 *     axis    <name>  <value>
 *     status  ok | error
 *     metric  <name>  <value>
 *     error   <message>
 * Messages are flattened to one line. */
#define RESULT_FILE "result.txt"

typedef struct point {
    char dir[4096];
    char **axis_values; /* canonical text of each swept parameter at this point */
    pid_t pid;
    double started_s;
    double timeout_s;
    bool skip; /* --resume found a finished result */
} point;

typedef struct sweep {
    const sim_model_ops *ops;
    const sim_workload *w;
    const sim_params *registry;
    const sim_sweep_opts *o;
    char out_dir[3800];
    size_t n_points, n_axes;
    point *points;
    size_t done, failed, to_run;
    uint64_t sim_ps_done;
    double t0_s;
} sweep;

static double host_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void flatten(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\t' || *s == '\r')
            *s = ' ';
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static void describe_point(const sweep *s, size_t i, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "point %zu", i);
    for (size_t a = 0; a < s->n_axes && used < len; a++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", a ? ", " : " (",
                                 sim_workload_axis_name(s->w, a), s->points[i].axis_values[a]);
    if (s->n_axes && used < len)
        snprintf(buf + used, len - used, ")");
}

/* Applies a point to a fresh copy of the registry. */
static sim_params *point_params(const sweep *s, size_t i, sim_err *e)
{
    sim_params *q = sim_params_clone(s->registry);
    if (sim_workload_apply(s->w, i, q, e) < 0) {
        sim_params_destroy(q);
        return NULL;
    }
    return q;
}

/* Every point is applied and checked before any runs, so a bad combination deep in a
 * sweep is refused at once rather than after hours. */
static int check_points(sweep *s, sim_err *e)
{
    for (size_t i = 0; i < s->n_points; i++) {
        sim_params *q = point_params(s, i, e);
        if (!q)
            return -1;
        point *pt = &s->points[i];
        pt->axis_values = xcalloc(s->n_axes, sizeof *pt->axis_values);
        for (size_t a = 0; a < s->n_axes; a++) {
            char buf[512];
            sim_params_format(q, sim_workload_axis_name(s->w, a), buf, sizeof buf);
            pt->axis_values[a] = xstrdup(buf);
        }
        pt->timeout_s = sim_params_double(q, "run.timeout_s");
        if (i == 0 && !s->o->out_dir) {
            const char *name = sim_params_string(q, "run.name");
            if (!*name)
                name = sim_workload_basename(s->w);
            snprintf(s->out_dir, sizeof s->out_dir, "results/%s", *name ? name : "default");
        }
        int rc = s->ops->check ? s->ops->check(q, e) : 0;
        sim_params_destroy(q);
        if (rc < 0) {
            if (s->n_points > 1) {
                char what[1024];
                describe_point(s, i, what, sizeof what);
                sim_err_prefix(e, "%s", what);
            }
            return -1;
        }
    }
    return 0;
}

static int write_params_file(const char *dir, const sim_params *q, sim_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/params.txt", dir);
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    for (size_t i = 0; i < sim_params_count(q); i++) {
        const char *name = sim_params_name_at(q, i);
        char buf[1024];
        sim_params_format(q, name, buf, sizeof buf);
        fprintf(sf.f, "%s = %s\n", name, buf);
    }
    return sim_file_commit(&sf, e);
}

/* Writes result.txt for a point; res is NULL for a failed point. */
static int write_result(const sweep *s, size_t i, const sim_point_result *res, const char *error,
                        sim_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" RESULT_FILE, s->points[i].dir);
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    for (size_t a = 0; a < s->n_axes; a++)
        fprintf(sf.f, "axis\t%s\t%s\n", sim_workload_axis_name(s->w, a),
                s->points[i].axis_values[a]);
    fprintf(sf.f, "status\t%s\n", res ? "ok" : "error");
    if (res) {
        for (size_t m = 0; m < res->metrics; m++)
            fprintf(sf.f, "metric\t%s\t%.10g\n", res->metric_names[m], res->metric_values[m]);
        fprintf(sf.f, "end_ps\t%llu\n", (unsigned long long)res->end_ps);
    } else {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", error);
        flatten(msg);
        fprintf(sf.f, "error\t%s\n", msg);
    }
    return sim_file_commit(&sf, e);
}

/* Host-side measurements are kept apart from the results, which must be identical
 * from run to run. */
static void write_host_file(const char *dir, const sim_point_result *res)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/host.txt", dir);
    sim_file sf;
    if (sim_file_open(&sf, path, NULL) < 0)
        return;
    fprintf(sf.f, "host_seconds %.3f\nkernel_events %llu\nevents_per_host_second %.0f\n",
            res->host_seconds, (unsigned long long)res->events,
            res->host_seconds > 0 ? (double)res->events / res->host_seconds : 0.0);
    if (sim_file_commit(&sf, NULL) < 0)
        sim_file_abort(&sf);
}

/* The body of a point's process. It never returns. */
static void run_child(const sweep *s, size_t i)
{
    point *pt = &s->points[i];
    if (pt->timeout_s > 0)
        alarm((unsigned)ceil(pt->timeout_s));
    sim_err e = {{0}};
    sim_params *q = point_params(s, i, &e);
    int rc = q ? 0 : -1;
    if (rc == 0)
        rc = write_params_file(pt->dir, q, &e);
    sim_point_result res;
    memset(&res, 0, sizeof res);
    if (rc == 0)
        rc = sim_run_point(s->ops, q, pt->dir, &res, &e);
    if (rc == 0)
        write_host_file(pt->dir, &res);
    sim_err werr;
    int wrc = write_result(s, i, rc == 0 ? &res : NULL, e.msg, &werr);
    if (wrc < 0)
        fprintf(stderr, "iovsim: %s\n", werr.msg);
    sim_point_result_free(&res);
    if (q)
        sim_params_destroy(q);
    fflush(NULL);
    _exit(rc == 0 && wrc == 0 ? 0 : 3);
}

typedef struct result_view {
    bool ok;
    bool axes_match;
    uint64_t end_ps;
    char error[2048];
} result_view;

/* Reads a point's result.txt: whether it finished and whether it was made for the
 * same axis values (a changed sweep must not reuse an old point). Metrics are
 * visited through `metric` when not NULL. */
static bool read_result(const sweep *s, size_t i, result_view *v,
                        void (*metric)(const char *name, const char *value, void *ctx), void *ctx)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" RESULT_FILE, s->points[i].dir);
    FILE *f = fopen(path, "r");
    memset(v, 0, sizeof *v);
    if (!f)
        return false;
    v->axes_match = true;
    size_t axes_seen = 0;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *f1 = strtok(line, "\t");
        char *f2 = strtok(NULL, "\t");
        char *f3 = strtok(NULL, "");
        if (!f1 || !f2)
            continue;
        if (!strcmp(f1, "axis")) {
            if (axes_seen >= s->n_axes || !f3 ||
                strcmp(f2, sim_workload_axis_name(s->w, axes_seen)) ||
                strcmp(f3, s->points[i].axis_values[axes_seen]))
                v->axes_match = false;
            axes_seen++;
        } else if (!strcmp(f1, "status")) {
            v->ok = !strcmp(f2, "ok");
        } else if (!strcmp(f1, "metric") && f3 && metric) {
            metric(f2, f3, ctx);
        } else if (!strcmp(f1, "end_ps")) {
            v->end_ps = strtoull(f2, NULL, 10);
        } else if (!strcmp(f1, "error")) {
            snprintf(v->error, sizeof v->error, "%s%s%s", f2, f3 ? "\t" : "", f3 ? f3 : "");
        }
    }
    fclose(f);
    if (axes_seen != s->n_axes)
        v->axes_match = false;
    return true;
}

static void format_duration(double s, char *buf, size_t len)
{
    if (s < 0 || !isfinite(s))
        s = 0;
    unsigned long t = (unsigned long)llround(s);
    snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, (t / 60) % 60, t % 60);
}

static void show_progress(const sweep *s)
{
    if (!s->o->progress)
        return;
    double elapsed = host_now_s() - s->t0_s;
    double eta = s->done ? elapsed / (double)s->done * (double)(s->to_run - s->done) : 0;
    char eta_s[32];
    format_duration(eta, eta_s, sizeof eta_s);
    fprintf(stderr, "\r%zu/%zu points, %.3f ms simulated, ETA %s ", s->done, s->to_run,
            (double)s->sim_ps_done / (double)SIM_PS_PER_MS, eta_s);
    fflush(stderr);
}

static void print_metric(const char *name, const char *value, void *ctx)
{
    (void)ctx;
    printf("  %-28s %s\n", name, value);
}

static void finish_point(sweep *s, size_t i, int status)
{
    point *pt = &s->points[i];
    double secs = host_now_s() - pt->started_s;
    char why[512] = "";
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGALRM)
            snprintf(why, sizeof why, "timed out after %.0f s (run.timeout_s)", pt->timeout_s);
        else
            snprintf(why, sizeof why, "crashed: signal %d (%s)", sig, strsignal(sig));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3) {
        snprintf(why, sizeof why, "exited with status %d", WEXITSTATUS(status));
    }
    if (*why) {
        sim_err e;
        if (write_result(s, i, NULL, why, &e) < 0)
            fprintf(stderr, "iovsim: %s\n", e.msg);
    }
    result_view v;
    bool single = s->n_points == 1 && !s->o->quiet;
    if (!read_result(s, i, &v, single ? print_metric : NULL, NULL) || !v.ok) {
        s->failed++;
        if (!*v.error)
            snprintf(v.error, sizeof v.error, "%s", *why ? why : "no result written");
    }
    s->sim_ps_done += v.end_ps;
    s->done++;
    if (s->o->progress)
        fprintf(stderr, "\r\033[K");
    if (!v.ok) {
        char what[1024];
        describe_point(s, i, what, sizeof what);
        fprintf(stderr, "iovsim: %s failed: %s\n", what, v.error);
    } else if (!s->o->quiet && !single) {
        char what[1024];
        describe_point(s, i, what, sizeof what);
        printf("[%zu/%zu] %s ok (%.2f s)\n", s->done, s->to_run, what, secs);
    }
    fflush(stdout);
    show_progress(s);
}

static int spawn_point(sweep *s, size_t i, sim_err *e)
{
    point *pt = &s->points[i];
    if (sim_mkdirs(pt->dir, e) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return sim_err_set(e, "cannot start a point: fork: %s", strerror(errno));
    if (pid == 0)
        run_child(s, i);
    pt->pid = pid;
    pt->started_s = host_now_s();
    return 0;
}

static size_t point_by_pid(const sweep *s, pid_t pid)
{
    for (size_t i = 0; i < s->n_points; i++)
        if (s->points[i].pid == pid)
            return i;
    return SIZE_MAX;
}

static int run_points(sweep *s, sim_err *e)
{
    size_t next = 0, running = 0;
    unsigned jobs = s->o->jobs ? s->o->jobs : 1;
    int rc = 0;
    show_progress(s);
    for (;;) {
        while (rc == 0 && running < jobs && next < s->n_points) {
            size_t i = next++;
            if (s->points[i].skip)
                continue;
            if (spawn_point(s, i, e) < 0) {
                rc = -1;
                break;
            }
            running++;
        }
        if (running == 0)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            return sim_err_set(e, "waiting for points: %s", strerror(errno));
        }
        size_t i = point_by_pid(s, pid);
        if (i == SIZE_MAX)
            continue;
        s->points[i].pid = 0;
        running--;
        finish_point(s, i, status);
    }
    if (s->o->progress)
        fprintf(stderr, "\r\033[K");
    return rc;
}

/* ---- results.csv -------------------------------------------------------------- */

typedef struct columns {
    char **names;
    size_t n, cap;
} columns;

static size_t column_index(const columns *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->names[i], name))
            return i;
    return SIZE_MAX;
}

static void column_add(const char *name, const char *value, void *ctx)
{
    (void)value;
    columns *c = ctx;
    if (column_index(c, name) != SIZE_MAX)
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->names = realloc(c->names, c->cap * sizeof *c->names);
        if (!c->names)
            abort();
    }
    c->names[c->n++] = xstrdup(name);
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
    const columns *c;
    char **values;
} row_fill;

static void row_metric(const char *name, const char *value, void *ctx)
{
    row_fill *r = ctx;
    size_t i = column_index(r->c, name);
    if (i != SIZE_MAX && !r->values[i])
        r->values[i] = xstrdup(value);
}

static int write_results_csv(const sweep *s, sim_err *e)
{
    columns metrics = {0};
    result_view v;
    for (size_t i = 0; i < s->n_points; i++)
        read_result(s, i, &v, column_add, &metrics);

    char path[4200];
    snprintf(path, sizeof path, "%s/results.csv", s->out_dir);
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    for (size_t a = 0; a < s->n_axes; a++) {
        csv_field(sf.f, sim_workload_axis_name(s->w, a));
        fputc(',', sf.f);
    }
    fputs("status", sf.f);
    for (size_t m = 0; m < metrics.n; m++) {
        fputc(',', sf.f);
        csv_field(sf.f, metrics.names[m]);
    }
    fputs(",error\n", sf.f);

    for (size_t i = 0; i < s->n_points; i++) {
        row_fill r = {.c = &metrics, .values = xcalloc(metrics.n, sizeof(char *))};
        bool found = read_result(s, i, &v, row_metric, &r);
        for (size_t a = 0; a < s->n_axes; a++) {
            csv_field(sf.f, s->points[i].axis_values[a]);
            fputc(',', sf.f);
        }
        fputs(found && v.ok ? "ok" : "error", sf.f);
        for (size_t m = 0; m < metrics.n; m++) {
            fputc(',', sf.f);
            if (r.values[m])
                csv_field(sf.f, r.values[m]);
            free(r.values[m]);
        }
        fputc(',', sf.f);
        csv_field(sf.f, found ? v.error : "not run");
        fputc('\n', sf.f);
        free(r.values);
    }
    for (size_t m = 0; m < metrics.n; m++)
        free(metrics.names[m]);
    free(metrics.names);
    return sim_file_commit(&sf, e);
}

/* ---- driver ------------------------------------------------------------------- */

static void sweep_free(sweep *s)
{
    if (!s->points)
        return;
    for (size_t i = 0; i < s->n_points; i++) {
        if (s->points[i].axis_values)
            for (size_t a = 0; a < s->n_axes; a++)
                free(s->points[i].axis_values[a]);
        free(s->points[i].axis_values);
    }
    free(s->points);
}

int sim_sweep_run(const sim_model_ops *ops, const sim_workload *w, const sim_params *registry,
                  const sim_sweep_opts *o, sim_err *e)
{
    sweep s = {.ops = ops, .w = w, .registry = registry, .o = o};
    s.n_points = sim_workload_points(w);
    s.n_axes = sim_workload_axes(w);
    s.points = xcalloc(s.n_points, sizeof *s.points);
    if (o->out_dir)
        snprintf(s.out_dir, sizeof s.out_dir, "%s", o->out_dir);
    int rc = 2;
    if (check_points(&s, e) < 0)
        goto out;
    if (sim_mkdirs(s.out_dir, e) < 0)
        goto out;
    /* Zero-padded so the folders sort in point order: at least 4 digits. */
    char last[32];
    int width = snprintf(last, sizeof last, "%zu", s.n_points ? s.n_points - 1 : 0);
    if (width < 4)
        width = 4;
    for (size_t i = 0; i < s.n_points; i++) {
        point *pt = &s.points[i];
        char idx[32];
        int digits = snprintf(idx, sizeof idx, "%zu", i);
        snprintf(pt->dir, sizeof pt->dir, "%s/points/%.*s%s", s.out_dir,
                 width > digits ? width - digits : 0, "00000000000000000000", idx);
        result_view v;
        pt->skip = o->resume && read_result(&s, i, &v, NULL, NULL) && v.ok && v.axes_match;
        if (!pt->skip)
            s.to_run++;
    }
    if (o->resume && !o->quiet && s.to_run < s.n_points)
        printf("resuming: %zu of %zu points already done\n", s.n_points - s.to_run, s.n_points);
    s.t0_s = host_now_s();
    if (run_points(&s, e) < 0)
        goto out;
    if (write_results_csv(&s, e) < 0)
        goto out;
    if (!o->quiet)
        printf("results: %s/results.csv (%zu points, %zu failed)\n", s.out_dir, s.n_points,
               s.failed);
    rc = s.failed ? 1 : 0;
out:
    sweep_free(&s);
    return rc;
}
