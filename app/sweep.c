#include "app/sweep.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/identity.h"
#include "app/plot.h"
#include "app/proc.h"
#include "app/results.h"
#include "app/summary.h"
#include "app/sweep_emit.h"
#include "sim/alloc.h"
#include "sim/files.h"
#include "sim/timeseries.h"

/* A point's process exits with this when it could not write its files (the first
 * failed write of the process, sim_files_failure): the folder, or the disk, is at fault,
 * not the point, so the sweep stops rather than fail every point after it the same way. */
#define EXIT_UNWRITTEN 4

/* What the sweep keeps for every point, a few words: a sweep may have a million
 * (app/workload.c's limit). A point's folder name is made when it is needed. */
typedef struct point {
    pid_t pid;
    double started_s;
    double timeout_s;
    bool skip; /* not run: --resume found it finished, or --point runs another */
} point;

typedef struct sweep {
    const sim_model_ops *ops;
    const app_workload *w;
    const sim_params *registry;
    const app_sweep_opts *o;
    char out_dir[3800];
    size_t n_points, n_axes;
    point *points;
    size_t *running; /* the points in flight (their processes), at most jobs */
    size_t n_running;
    int lock_fd; /* the results folder's lock (app_results_lock), -1 until taken */
    app_manifest *manifest; /* the points' swept values, set by check_points */
    size_t done, failed, to_run;
    double point_s_sum; /* host time of the finished points, for the estimate */
    bool unwritten; /* a point could not write its files: start no more */
    size_t unwritten_point;
    uint64_t sim_ps_done;
} sweep;

static double host_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Point i's folder, DIR/points/NNNN. */
static void point_dir(const sweep *s, size_t i, char *buf, size_t len)
{
    app_point_dir(s->out_dir, i, s->n_points, buf, len);
}

static void describe_point(const sweep *s, size_t i, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "point %zu", i);
    for (size_t a = 0; a < s->n_axes && used < len; a++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", a ? ", " : " (",
                                 app_workload_axis_name(s->w, a),
                                 app_manifest_value(s->manifest, i, a));
    if (s->n_axes && used < len)
        snprintf(buf + used, len - used, ")");
}

/* Applies point i of `w` to a fresh copy of the registry. */
static sim_params *point_params(const app_workload *w, const sim_params *registry, size_t i,
                                sim_err *e)
{
    sim_params *q = sim_params_clone(registry);
    if (app_workload_apply(w, i, q, e) < 0) {
        sim_params_destroy(q);
        return NULL;
    }
    return q;
}

/* Row i of `m`: the swept values of point i of `w` as `q` (the point applied) formats
 * them. */
static void set_axis_values(app_manifest *m, const app_workload *w, size_t i, const sim_params *q)
{
    for (size_t a = 0; a < app_workload_axes(w); a++) {
        char buf[512];
        sim_params_format(q, app_workload_axis_name(w, a), buf, sizeof buf);
        app_manifest_set(m, i, a, buf);
    }
}

/* Where parameter `name` got its value: the file:line of its setting or axis, or the
 * option; the name itself when nothing set it. */
static const char *where_set(const app_workload *w, const char *name)
{
    for (size_t i = app_workload_settings(w); i-- > 0;)
        if (!strcmp(app_workload_setting(w, i)->name, name))
            return app_workload_setting(w, i)->where;
    for (size_t a = 0; a < app_workload_axes(w); a++)
        if (!strcmp(app_workload_axis_name(w, a), name))
            return app_workload_axis_where(w, a);
    return name;
}

/* run.name is one folder under results/: a name such as '../x', 'a/b' or '.' would put
 * the results elsewhere, or into results/ itself among other runs' folders. */
static int check_run_name(const sweep *s, const char *name, sim_err *e)
{
    const char *why = NULL;
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        why = "is not a folder of its own";
    else if (strchr(name, '/'))
        why = "contains '/'";
    else if (strlen(name) > 255)
        why = "is longer than a file name may be (255 bytes)";
    for (const char *c = name; !why && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            why = "contains a control character";
    if (!why)
        return 0;
    return sim_err_set(e, "%s: run.name = '%s' %s: it names one folder, results/<run.name>",
                       where_set(s->w, "run.name"), name, why);
}

/* A file a point writes outside its folder (sim_model_ops.outside_file). */
typedef struct outside {
    char *path;
    size_t point;
} outside;

static int outside_cmp(const void *a, const void *b)
{
    const outside *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : x->point < y->point ? -1 : x->point > y->point;
}

/* Two points writing one file outside their folders would each overwrite the other's,
 * and one file would survive as if it were every point's. */
static int check_outside(const sweep *s, outside *f, size_t n, sim_err *e)
{
    if (n < 2)
        return 0;
    qsort(f, n, sizeof *f, outside_cmp);
    for (size_t k = 1; k < n; k++)
        if (!strcmp(f[k - 1].path, f[k].path)) {
            char a[1024], b[1024];
            describe_point(s, f[k - 1].point, a, sizeof a);
            describe_point(s, f[k].point, b, sizeof b);
            return sim_err_set(e, "%s and %s would both write %s (each overwriting the other's): "
                                  "give each point its own file, or a relative path (written in "
                                  "each point's folder)",
                               a, b, f[k].path);
        }
    return 0;
}

/* Every point is applied and checked before any runs, so a bad combination deep in a
 * sweep is refused at once rather than after hours. Fills the manifest's values. */
static int check_points(sweep *s, sim_err *e)
{
    outside *files = NULL;
    size_t n_files = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->n_points; i++) {
        sim_params *q = point_params(s->w, s->registry, i, e);
        if (!q) {
            rc = -1;
            break;
        }
        point *pt = &s->points[i];
        set_axis_values(s->manifest, s->w, i, q);
        sim_run_cfg run = sim_run_cfg_load(q);
        pt->timeout_s = run.timeout_s;
        rc = check_run_name(s, run.name, e);
        if (rc == 0 && i == 0 && !s->o->out_dir) {
            const char *name = run.name;
            if (!*name)
                name = app_workload_basename(s->w);
            snprintf(s->out_dir, sizeof s->out_dir, "results/%s", *name ? name : "default");
        }
        if (rc == 0 && s->ops->check && s->ops->check(q, e) < 0) {
            rc = -1;
            if (s->n_points > 1) {
                char what[1024];
                describe_point(s, i, what, sizeof what);
                sim_err_prefix(e, "%s", what);
            }
        }
        const char *file = rc == 0 && s->ops->outside_file ? s->ops->outside_file(q) : NULL;
        if (file) {
            if (n_files == cap)
                files = sim_xreallocarray(files, cap = cap ? 2 * cap : 16, sizeof *files);
            files[n_files++] = (outside){sim_xstrdup(file), i};
        }
        sim_params_destroy(q);
    }
    if (rc == 0)
        rc = check_outside(s, files, n_files, e);
    for (size_t k = 0; k < n_files; k++)
        free(files[k].path);
    free(files);
    return rc;
}

static int write_params_file(const char *dir, const sim_params *q, sim_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/params.txt", dir);
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    sim_params_write(q, sf.f);
    return sim_file_commit(&sf, e);
}

static int write_result(const sweep *s, size_t i, const sim_point_result *res, const char *error,
                        sim_err *e)
{
    char dir[4096];
    point_dir(s, i, dir, sizeof dir);
    return app_result_write(dir, s->manifest, i, res, error, e);
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
    char dir[4096];
    point_dir(s, i, dir, sizeof dir);
    sim_err e = {{0}};
    sim_params *q = point_params(s->w, s->registry, i, &e);
    int rc = q ? 0 : -1;
    if (rc == 0)
        rc = write_params_file(dir, q, &e);
    sim_point_result res;
    memset(&res, 0, sizeof res);
    if (rc == 0)
        rc = sim_run_point(s->ops, q, dir, &res, &e);
    if (rc == 0)
        write_host_file(dir, &res);
    /* A file the run wrote besides these (a trace) that could not be written. */
    if (rc == 0 && sim_files_failure())
        rc = sim_err_set(&e, "%s", sim_files_failure());
    sim_err werr;
    int wrc = write_result(s, i, rc == 0 ? &res : NULL, e.msg, &werr);
    if (wrc < 0)
        fprintf(stderr, "iovsim: %s\n", sim_files_failure() ? sim_files_failure() : werr.msg);
    sim_point_result_free(&res);
    if (q)
        sim_params_destroy(q);
    fflush(NULL);
    _exit(rc == 0 && wrc == 0 ? 0 : sim_files_failure() ? EXIT_UNWRITTEN : 3);
}

static bool read_result(const sweep *s, size_t i, app_result_view *v, app_metric_fn metric,
                        void *ctx)
{
    char dir[4096];
    point_dir(s, i, dir, sizeof dir);
    return app_result_read(dir, s->manifest, i, v, metric, ctx);
}

static void format_duration(double s, char *buf, size_t len)
{
    if (s < 0 || !isfinite(s))
        s = 0;
    unsigned long t = (unsigned long)llround(s);
    snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, (t / 60) % 60, t % 60);
}

/* The host time the points not yet finished will take: the mean time of a finished
 * point for each, less what those in flight have run already, spread over the jobs.
 * Negative until a point has finished. */
static double time_left_s(const sweep *s)
{
    if (!s->done)
        return -1;
    size_t left = s->to_run - s->done;
    unsigned jobs = s->o->jobs ? s->o->jobs : 1;
    double mean = s->point_s_sum / (double)s->done, work = mean * (double)left;
    double now = host_now_s();
    for (size_t k = 0; k < s->n_running; k++) {
        double ran = now - s->points[s->running[k]].started_s;
        work -= ran < mean ? ran : mean;
    }
    return work > 0 ? work / (double)(left < jobs ? left : jobs) : 0;
}

/* "3/10 done, 1 failed, ~0:00:04 left" (failed when some did; no estimate before the
 * first point ends nor after the last). */
static void progress_text(const sweep *s, char *buf, size_t len)
{
    int used = snprintf(buf, len, "%zu/%zu done", s->done, s->to_run);
    if (s->failed && used > 0 && (size_t)used < len)
        used += snprintf(buf + used, len - (size_t)used, ", %zu failed", s->failed);
    double left = time_left_s(s);
    if (s->done < s->to_run && used > 0 && (size_t)used < len) {
        char d[32];
        format_duration(left, d, sizeof d);
        snprintf(buf + used, len - (size_t)used, left < 0 ? ", estimating the time left"
                                                          : ", ~%s left", d);
    }
}

static void show_progress(const sweep *s)
{
    if (!s->o->progress)
        return;
    char text[128];
    progress_text(s, text, sizeof text);
    fprintf(stderr, "\r%s, %.3f ms simulated ", text,
            (double)s->sim_ps_done / (double)SIM_PS_PER_MS);
    fflush(stderr);
}

static void print_metric(const char *name, const char *value, void *ctx)
{
    (void)ctx;
    printf("  %-28s %s\n", name, value);
}

/* Point i could not write its files: the sweep starts no more (the first such point is
 * the one its message names). */
static void unwritten(sweep *s, size_t i)
{
    if (!s->unwritten)
        s->unwritten_point = i;
    s->unwritten = true;
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
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_UNWRITTEN) {
        unwritten(s, i);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3) {
        snprintf(why, sizeof why, "exited with status %d", WEXITSTATUS(status));
    }
    if (*why) {
        sim_err e;
        if (write_result(s, i, NULL, why, &e) < 0) {
            fprintf(stderr, "iovsim: %s\n", e.msg);
            unwritten(s, i);
        }
    }
    app_result_view v;
    bool single = s->n_points == 1 && !s->o->quiet;
    if (!read_result(s, i, &v, single ? print_metric : NULL, NULL) || !v.ok) {
        s->failed++;
        if (!*v.error)
            snprintf(v.error, sizeof v.error, "%s",
                     *why            ? why
                     : s->unwritten ? "its files could not be written"
                                    : "no result written");
    }
    s->sim_ps_done += v.end_ps;
    s->done++;
    s->point_s_sum += secs;
    if (s->o->progress)
        fprintf(stderr, "\r\033[K");
    char what[1024], progress[128];
    describe_point(s, i, what, sizeof what);
    progress_text(s, progress, sizeof progress);
    if (!v.ok)
        fprintf(stderr, "iovsim: %s failed: %s\n", what, v.error);
    if (!s->o->quiet && !single)
        printf("[%s] %s %s (%.2f s)\n", progress, what, v.ok ? "ok" : "failed", secs);
    fflush(stdout);
    show_progress(s);
}

static int spawn_point(sweep *s, size_t i, sim_err *e)
{
    point *pt = &s->points[i];
    char dir[4096];
    point_dir(s, i, dir, sizeof dir);
    if (sim_mkdirs(dir, e) < 0)
        return -1;
    /* A record a single run of this point left (app/provenance.h) would describe
     * results about to be replaced; this run's record covers the new ones. */
    char record[4200];
    snprintf(record, sizeof record, "%s/" APP_PROVENANCE_FILE, dir);
    if (!s->o->one_point)
        unlink(record);
    pid_t pid = app_proc_fork();
    if (pid < 0)
        return sim_err_set(e, "cannot start a point: fork: %s", strerror(errno));
    if (pid == 0)
        run_child(s, i);
    pt->pid = pid;
    pt->started_s = host_now_s();
    s->running[s->n_running++] = i;
    return 0;
}

/* The point in flight whose process is pid, taken off the list; SIZE_MAX if none. */
static size_t take_running(sweep *s, pid_t pid)
{
    for (size_t k = 0; k < s->n_running; k++) {
        size_t i = s->running[k];
        if (s->points[i].pid == pid) {
            s->running[k] = s->running[--s->n_running];
            s->points[i].pid = 0;
            return i;
        }
    }
    return SIZE_MAX;
}

static int run_points(sweep *s, sim_err *e)
{
    size_t next = 0;
    unsigned jobs = s->o->jobs ? s->o->jobs : 1;
    int rc = 0;
    show_progress(s);
    for (;;) {
        while (rc == 0 && !s->unwritten && s->n_running < jobs && next < s->n_points) {
            size_t i = next++;
            if (s->points[i].skip)
                continue;
            if (spawn_point(s, i, e) < 0) {
                rc = -1;
                break;
            }
        }
        if (s->n_running == 0)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            return sim_err_set(e, "waiting for points: %s", strerror(errno));
        }
        size_t i = take_running(s, pid);
        if (i == SIZE_MAX)
            continue;
        finish_point(s, i, status);
    }
    if (s->o->progress)
        fprintf(stderr, "\r\033[K");
    return rc;
}

/* ---- driver ------------------------------------------------------------------- */

static void sweep_free(sweep *s)
{
    app_manifest_destroy(s->manifest);
    free(s->points);
    free(s->running);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
}

/* A manifest of the axes and points of `w`, their values still to be set. */
static app_manifest *new_manifest(const app_workload *w, const char *workload)
{
    size_t n_axes = app_workload_axes(w);
    const char **axes = sim_xcalloc(n_axes, sizeof *axes);
    for (size_t a = 0; a < n_axes; a++)
        axes[a] = app_workload_axis_name(w, a);
    app_manifest *m = app_manifest_create(workload, n_axes, axes, app_workload_points(w));
    free(axes);
    return m;
}

/* The sweep's manifest, naming its workload file by absolute path. */
static app_manifest *make_manifest(const sweep *s)
{
    const char *path = app_workload_path(s->w);
    char *real = path ? realpath(path, NULL) : NULL;
    app_manifest *m = new_manifest(s->w, real ? real : path ? path : "");
    free(real);
    return m;
}

/* Makes the output folder this sweep's (app/identity.h): refused when it holds another
 * sweep, unless --force. */
static int claim_folder(const sweep *s, sim_err *e)
{
    const app_sweep_opts *o = s->o;
    app_claim how = o->force       ? APP_CLAIM_FORCE
                    : o->one_point ? APP_CLAIM_POINT
                    : o->resume    ? APP_CLAIM_RESUME
                                   : APP_CLAIM_RUN;
    return app_identity_claim(s->out_dir, s->manifest, s->w, s->registry, how, e);
}

/* ---- provenance (app/provenance.h) ---- */

/* The record of this run (NULL when it keeps none) and its path, DIR/provenance.txt. */
static app_provenance *record_of(const sweep *s, char *path, size_t len)
{
    snprintf(path, len, "%s/" APP_PROVENANCE_FILE, s->out_dir);
    return s->o->provenance;
}

/* DIR/provenance.txt and DIR/workload/ as a whole run (or a Slurm preparation) starts:
 * an interrupted run keeps a record without an end. */
static int record_start(const sweep *s, const char *status, sim_err *e)
{
    char path[4200];
    app_provenance *p = record_of(s, path, sizeof path);
    if (!p)
        return 0;
    app_provenance_add(p, "points", "%zu", s->n_points);
    if (s->to_run < s->n_points) {
        app_provenance_add(p, "points.kept", "%zu", s->n_points - s->to_run);
        if (app_provenance_keep_earlier(p, s->out_dir, e) < 0)
            return -1;
    } else if (app_provenance_drop_earlier(s->out_dir, e) < 0) {
        return -1;
    }
    app_provenance_add(p, "status", "%s", status);
    if (app_provenance_copy_workload(s->w, s->out_dir, true, e) < 0)
        return -1;
    return app_provenance_write(p, s->w, path, false, e);
}

/* The record completed as the run ends. */
static int record_end(const sweep *s, sim_err *e)
{
    char path[4200];
    app_provenance *p = record_of(s, path, sizeof path);
    if (!p)
        return 0;
    app_provenance_add(p, "points.run", "%zu", s->done);
    app_provenance_add(p, "points.failed", "%zu", s->failed);
    app_provenance_add(p, "status", "%s",
                       s->unwritten ? "stopped: a point could not write its files"
                       : s->done < s->to_run ? "stopped"
                                             : "finished");
    return app_provenance_write(p, s->w, path, true, e);
}

/* A single point (--point N, a cluster task) records itself in its own folder, so the
 * tasks of one sweep never write one file; the workload's copy is the first task's. */
static int record_point(const sweep *s, sim_err *e)
{
    app_provenance *p = s->o->provenance;
    if (!p || !s->to_run)
        return 0;
    char dir[4096], path[4200];
    point_dir(s, s->o->point, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/" APP_PROVENANCE_FILE, dir);
    app_provenance_add(p, "point", "%zu", s->o->point);
    app_provenance_add(p, "status", "%s", s->failed ? "failed" : "ok");
    if (app_provenance_copy_workload(s->w, s->out_dir, false, e) < 0)
        return -1;
    return app_provenance_write(p, s->w, path, true, e);
}

static void draw_plots(const sweep *s)
{
    app_plot_opts po = {.quiet = s->o->quiet};
    sim_err e = {{0}};
    if (app_plots_draw_dir(s->out_dir, NULL, s->registry, &po, &e) == 2 && e.msg[0])
        fprintf(stderr, "iovsim: plots not drawn: %s\n", e.msg);
}

/* After a local run has written results.csv: the folder described for people
 * (app_summarize, when the workload's kind has a view), in DIR/summary.txt and on
 * stdout unless quiet. */
static void write_summary(const sweep *s)
{
    char *text = NULL;
    sim_err e = {{0}};
    int n = app_summarize(s->out_dir, &text, &e);
    char path[sizeof s->out_dir + 16];
    snprintf(path, sizeof path, "%s/summary.txt", s->out_dir);
    if (n < 0)
        fprintf(stderr, "iovsim: no summary: %s\n", e.msg);
    else if (n > 0 && app_write_shared(path, text, &e) < 0)
        fprintf(stderr, "iovsim: %s\n", e.msg);
    else if (n > 0 && !s->o->quiet)
        printf("%s", text);
    free(text);
}

/* The manifest of a workload's points without checking them (for as_written). */
static app_manifest *manifest_of(const app_workload *w, const sim_params *registry, sim_err *e)
{
    app_manifest *m = new_manifest(w, "");
    for (size_t i = 0; i < app_workload_points(w); i++) {
        sim_params *q = point_params(w, registry, i, e);
        if (!q) {
            app_manifest_destroy(m);
            return NULL;
        }
        set_axis_values(m, w, i, q);
        sim_params_destroy(q);
    }
    return m;
}

/* The [plot] checks for workload `w` with manifest `m`: keys, parameters, `where`
 * values, and (unless a single listed point runs) metrics by building points. */
static int check_plots(const sweep *s, const app_workload *w, const app_manifest *m, sim_err *e)
{
    if (!app_workload_plots(w))
        return 0;
    sim_params *point0 = point_params(w, s->registry, 0, e);
    if (!point0)
        return -1;
    app_plots *ps = app_plots_load(w, s->registry, m, point0, false, e);
    sim_params_destroy(point0);
    if (!ps)
        return -1;
    int rc = s->o->one_point ? 0 : app_plots_check_build(ps, s->ops, w, s->registry, e);
    app_plots_destroy(ps);
    return rc;
}

/* run.sample's names against what the first point registers, by building it without
 * running it: a misspelt name stops here (exit 2), not in every point after its
 * warm-up. (Points of another kind that register other names are checked as they
 * run.) */
typedef struct sample_check {
    const char *list;
    sim_err err;
    int rc;
} sample_check;

static void check_sample_names(const sim_stats *st, void *ctx)
{
    sample_check *c = ctx;
    c->rc = sim_timeseries_check_names(st, c->list, &c->err);
}

static int check_sampled(const sweep *s, sim_err *e)
{
    sim_params *point0 = point_params(s->w, s->registry, 0, e);
    if (!point0)
        return -1;
    sim_run_cfg c = sim_run_cfg_load(point0);
    int rc = 0;
    if (c.sample_ps && c.sample[0]) {
        sample_check sc = {.list = c.sample};
        rc = sim_run_dry_build(s->ops, point0, check_sample_names, &sc, e);
        if (rc == 0 && sc.rc < 0) {
            *e = sc.err;
            sim_params_add_origins(point0, e);
            rc = -1;
        }
    }
    sim_params_destroy(point0);
    return rc;
}

/* Plots are checked like the rest of the configuration: a misspelt metric stops here,
 * not after the sweep. */
static int check_workload_plots(const sweep *s, sim_err *e)
{
    sim_err first = {{0}};
    if (check_plots(s, s->w, s->manifest, &first) == 0)
        return 0;
    const app_workload *aw = s->o->as_written;
    sim_err ignored;
    app_manifest *am = aw ? manifest_of(aw, s->registry, &ignored) : NULL;
    int rc = am && check_plots(s, aw, am, &ignored) == 0 ? 0 : -1;
    app_manifest_destroy(am);
    if (rc < 0) {
        *e = first;
        return -1;
    }
    if (s->o->quiet || s->o->no_plots)
        return 0; /* a note, and of a plot this run would not draw anyway */
    fprintf(stderr, "iovsim: note: %s (with the command line's --set/--sweep; the workload file "
                    "itself is consistent): that plot will not be drawn\n",
            first.msg);
    return 0;
}

int app_sweep_run(const sim_model_ops *ops, const app_workload *w, const sim_params *registry,
                  const app_sweep_opts *o, sim_err *e)
{
    sweep s = {.ops = ops, .w = w, .registry = registry, .o = o, .lock_fd = -1};
    s.n_points = app_workload_points(w);
    s.n_axes = app_workload_axes(w);
    s.points = sim_xcalloc(s.n_points, sizeof *s.points);
    s.running = sim_xcalloc(o->jobs ? o->jobs : 1, sizeof *s.running);
    if (o->out_dir)
        snprintf(s.out_dir, sizeof s.out_dir, "%s", o->out_dir);
    int rc = 2;
    if (app_workload_check(w, e) < 0)
        goto out;
    if (o->one_point && o->point >= s.n_points) {
        sim_err_set(e, "--point %zu: the workload has %zu point%s (0 to %zu)", o->point,
                    s.n_points, s.n_points == 1 ? "" : "s", s.n_points - 1);
        goto out;
    }
    s.manifest = make_manifest(&s);
    if (check_points(&s, e) < 0)
        goto out;
    if (o->mode == APP_SWEEP_SLURM && !o->out_dir)
        snprintf(s.out_dir, sizeof s.out_dir, "%s", o->slurm_dir);
    /* A single listed point skips the build check: the listing already made it. */
    if (check_workload_plots(&s, e) < 0 || check_sampled(&s, e) < 0)
        goto out;

    if (o->mode != APP_SWEEP_RUN) {
        char out_abs[4096];
        app_sweep_absolute_dir(s.out_dir, out_abs, sizeof out_abs);
        if (o->mode == APP_SWEEP_LIST) {
            app_sweep_write_points(o, s.n_points, out_abs, stdout);
            fflush(stdout);
            rc = 0;
        } else {
            /* The folder is prepared now, so a merge can report missing points even
             * if some array tasks never ran. */
            s.to_run = s.n_points;
            if (sim_mkdirs(s.out_dir, e) < 0 ||
                (s.lock_fd = app_results_lock(s.out_dir, false, e)) < 0 || claim_folder(&s, e) < 0 ||
                app_plots_save(w, s.out_dir, e) < 0 ||
                app_sweep_emit_slurm(w, s.n_points, o, out_abs, e) < 0 ||
                record_start(&s, "prepared: the points run as Slurm array tasks, each recorded in "
                                 "its points/NNNN/provenance.txt",
                             e) < 0)
                goto out;
            rc = 0;
        }
        goto out;
    }

    if (sim_mkdirs(s.out_dir, e) < 0)
        goto out;
    /* Two runs in one folder would overwrite each other's points and results.csv. */
    if ((s.lock_fd = app_results_lock(s.out_dir, o->one_point, e)) < 0)
        goto out;
    if (claim_folder(&s, e) < 0)
        goto out;
    if (app_plots_save(w, s.out_dir, e) < 0)
        goto out;
    for (size_t i = 0; i < s.n_points; i++) {
        point *pt = &s.points[i];
        app_result_view v;
        pt->skip = (o->one_point && i != o->point) ||
                   (o->resume && read_result(&s, i, &v, NULL, NULL) && v.ok && v.axes_match);
        if (!pt->skip)
            s.to_run++;
    }
    if (o->resume && !o->quiet && !o->one_point && s.to_run < s.n_points)
        printf("resuming: %zu of %zu points already done\n", s.n_points - s.to_run, s.n_points);
    if (!o->one_point && record_start(&s, "started", e) < 0)
        goto out;
    if (run_points(&s, e) < 0)
        goto out;
    if (s.unwritten) {
        char what[1024];
        describe_point(&s, s.unwritten_point, what, sizeof what);
        sim_err_set(e, "stopped: %s could not write its files (above); %zu of %zu points not run. "
                       "Once they can be written, the same command with --resume runs the rest "
                       "into %s",
                    what, s.to_run - s.done, s.to_run, s.out_dir);
        sim_err ignored; /* the folder cannot be written: the record may not be either */
        if (!o->one_point)
            record_end(&s, &ignored);
        goto out;
    }
    if (o->one_point) {
        rc = record_point(&s, e) < 0 ? 2 : s.failed ? 1 : 0;
        goto out;
    }
    if (app_results_write_csv(s.out_dir, s.manifest, e) < 0)
        goto out;
    if (!o->quiet)
        printf("results: %s/results.csv (%zu points, %zu failed)\n", s.out_dir, s.n_points,
               s.failed);
    if (!o->no_summary)
        write_summary(&s);
    if (!o->no_plots)
        draw_plots(&s);
    rc = record_end(&s, e) < 0 ? 2 : s.failed ? 1 : 0;
out:
    sweep_free(&s);
    return rc;
}
