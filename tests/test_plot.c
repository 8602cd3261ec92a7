/* The results-folder format (app/results.c) and the checks of [plot] sections
 * (app/plot*.c): manifests round-trip and refuse damage, results.csv depends only on
 * the points' files and not on the order they were written, histograms reach
 * hists.txt, a plot naming anything unknown is refused with file:line, and a
 * timeseries plot draws the marks of the points it draws (events.csv). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/plot.h"
#include "app/plot_data.h"
#include "app/results.h"
#include "app/summary_table.h"
#include "app/workload.h"
#include "sim/files.h"
#include "sim/run.h"
#include "sim/stats.h"
#include "systems/kinds.h"

/* The M/D/1 kind (systems/mdq.c) as the run's model operations. */
static void mdq_register_params(sim_params *p) { sys_kind_mdq.register_params(p); }
static void *mdq_build(const sim_ctx *ctx, sim_err *e) { return sys_kind_mdq.build(ctx, NULL, e); }
static void mdq_destroy(void *m) { sys_kind_mdq.destroy(m); }
static const sim_model_ops mdq_ops = {mdq_register_params, NULL, mdq_build, mdq_destroy};

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/iovsim-test-plot.XXXXXX";
    char *d = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(d);
    return strdup(d);
}

static void rmtree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static sim_params *registry(void)
{
    sim_params *p = sim_params_create();
    sim_run_register_params(p);
    mdq_register_params(p);
    return p;
}

static app_manifest *two_axes(void)
{
    const char *axes[] = {"mdq.arrival_rate_mpps", "run.kernel"};
    app_manifest *m = app_manifest_create("/x/w.ini", 2, axes, 4);
    const char *rates[] = {"0.5", "0.5", "0.8", "0.8"};
    const char *kernels[] = {"native", "systemc", "native", "systemc"};
    for (size_t i = 0; i < 4; i++) {
        app_manifest_set(m, i, 0, rates[i]);
        app_manifest_set(m, i, 1, kernels[i]);
    }
    return m;
}

START_TEST(test_manifest_round_trip)
{
    char *dir = tmpdir();
    app_manifest *m = two_axes();
    sim_err e = {{0}};
    ck_assert_int_eq(app_manifest_write(m, dir, &e), 0);
    app_manifest *r = app_manifest_read(dir, &e);
    ck_assert_msg(r != NULL, "%s", e.msg);
    char why[256];
    ck_assert(app_manifest_same(m, r, why, sizeof why));
    ck_assert_str_eq(app_manifest_workload(r), "/x/w.ini");
    ck_assert_str_eq(app_manifest_value(r, 2, 0), "0.8");
    char label[256];
    app_manifest_point_label(r, 1, label, sizeof label);
    ck_assert_str_eq(label, "mdq.arrival_rate_mpps=0.5,run.kernel=systemc");

    app_manifest_set(r, 3, 1, "native");
    ck_assert(!app_manifest_same(m, r, why, sizeof why));
    ck_assert_msg(strstr(why, "point 3") != NULL, "%s", why);

    const char *none[] = {NULL};
    app_manifest *one = app_manifest_create("", 0, none, 1);
    app_manifest_point_label(one, 0, label, sizeof label);
    ck_assert_str_eq(label, "-");
    app_manifest_destroy(one);
    app_manifest_destroy(r);
    app_manifest_destroy(m);
    rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(test_manifest_refuses_damage)
{
    char *dir = tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/sweep.txt", dir);
    sim_err e = {{0}};
    ck_assert_ptr_null(app_manifest_read(dir, &e));
    ck_assert_msg(strstr(e.msg, "not an iovsim results folder") != NULL, "%s", e.msg);
    write_text(path, "workload\tw\npoints\t2\naxis\ta\npoint\t0\t1\npoint\t2\t3\n");
    ck_assert_ptr_null(app_manifest_read(dir, &e));
    ck_assert_msg(strstr(e.msg, "sweep.txt:5") != NULL, "%s", e.msg);
    write_text(path, "workload\tw\npoints\t2\naxis\ta\npoint\t0\t1\n");
    ck_assert_ptr_null(app_manifest_read(dir, &e)); /* cut short */
    rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(test_point_dir_width)
{
    char buf[256];
    app_point_dir("d", 3, 10, buf, sizeof buf);
    ck_assert_str_eq(buf, "d/points/0003");
    app_point_dir("d", 3, 100000, buf, sizeof buf);
    ck_assert_str_eq(buf, "d/points/00003");
    app_point_dir("d", 12345, 100000, buf, sizeof buf);
    ck_assert_str_eq(buf, "d/points/12345");
}
END_TEST

static void write_point(const char *dir, const app_manifest *m, size_t i, const char *metric,
                        double v)
{
    char pdir[512];
    app_point_dir(dir, i, app_manifest_points(m), pdir, sizeof pdir);
    sim_err e = {{0}};
    ck_assert_int_eq(sim_mkdirs(pdir, &e), 0);
    char *name = strdup(metric);
    double value = v;
    sim_point_result r = {.metrics = 1, .metric_names = &name, .metric_values = &value};
    ck_assert_int_eq(app_result_write(pdir, m, i, &r, NULL, &e), 0);
    free(name);
    char path[600];
    snprintf(path, sizeof path, "%s/params.txt", pdir);
    char text[256];
    snprintf(text, sizeof text, "mdq.arrival_rate_mpps = %s\nrun.kernel = %s\n",
             app_manifest_value(m, i, 0), app_manifest_value(m, i, 1));
    write_text(path, text);
}

/* Points written in any order give the same table, in point order, with the metric
 * columns in first-appearance order over the points. */
START_TEST(test_results_csv_is_point_ordered)
{
    char *dir = tmpdir();
    app_manifest *m = two_axes();
    write_point(dir, m, 3, "b", 4.0);
    write_point(dir, m, 0, "a", 1.5);
    write_point(dir, m, 2, "a", 3.0);
    char pdir[512];
    app_point_dir(dir, 1, 4, pdir, sizeof pdir);
    sim_err e = {{0}};
    ck_assert_int_eq(sim_mkdirs(pdir, &e), 0);
    ck_assert_int_eq(app_result_write(pdir, m, 1, NULL, "crashed,\"badly\"", &e), 0);
    ck_assert_int_eq(app_results_write_csv(dir, m, &e), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    ck_assert_str_eq(read_text(path),
                     "mdq.arrival_rate_mpps,run.kernel,status,a,b,error\n"
                     "0.5,native,ok,1.5,,\n"
                     "0.5,systemc,error,,,\"crashed,\"\"badly\"\"\"\n"
                     "0.8,native,ok,3,,\n"
                     "0.8,systemc,ok,,4,\n");

    /* A point without result.txt reads as not run. */
    char rpath[600];
    snprintf(rpath, sizeof rpath, "%s/result.txt", pdir);
    unlink(rpath);
    ck_assert_int_eq(app_results_write_csv(dir, m, &e), 0);
    snprintf(path, sizeof path, "%s/results.csv", dir);
    ck_assert_msg(strstr(read_text(path), "0.5,systemc,error,,,not run\n") != NULL, "%s",
                  read_text(path));

    ck_assert_int_eq(app_manifest_write(m, dir, &e), 0);
    app_results *r = app_results_load(dir, &e);
    ck_assert_msg(r != NULL, "%s", e.msg);
    double v;
    ck_assert(app_results_ok(r, 2));
    ck_assert(!app_results_ok(r, 1));
    ck_assert(app_results_metric(r, 2, "a", &v) && v == 3.0);
    ck_assert(!app_results_metric(r, 2, "b", &v));
    ck_assert_str_eq(app_results_param(r, 3, "run.kernel"), "systemc");
    ck_assert_ptr_null(app_results_param(r, 3, "nope"));
    ck_assert_uint_eq(app_results_metric_names(r), 2);
    app_results_destroy(r);
    app_manifest_destroy(m);
    rmtree(dir);
    free(dir);
}
END_TEST

static void count_hist(const char *name, const char *unit, const sim_hist *h, void *ctx)
{
    char *seen = ctx;
    strcat(seen, name);
    strcat(seen, "/");
    strcat(seen, unit);
    strcat(seen, ";");
    (void)h;
}

START_TEST(test_stats_foreach_hist)
{
    sim_stats *s = sim_stats_create();
    uint64_t c = 0;
    sim_stats_counter(s, "c", &c, "");
    sim_stats_hist(s, "b.lat", "ps", "");
    sim_stats_hist(s, "a.size", "bytes", "");
    char seen[128] = "";
    sim_stats_foreach_hist(s, count_hist, seen);
    ck_assert_str_eq(seen, "b.lat/ps;a.size/bytes;");
    sim_stats_destroy(s);
}
END_TEST

/* A point's hists.txt holds every histogram's buckets; they add up to its count. */
START_TEST(test_run_writes_hists)
{
    char *dir = tmpdir();
    sim_params *p = registry();
    ck_assert_int_eq(sim_params_set(p, "run.kernel", "native", "t", NULL), 0);
    ck_assert_int_eq(sim_params_set(p, "run.duration_us", "200", "t", NULL), 0);
    sim_point_result r;
    sim_err e = {{0}};
    ck_assert_msg(sim_run_point(&mdq_ops, p, dir, &r, &e) == 0, "%s", e.msg);
    char path[512];
    snprintf(path, sizeof path, "%s/hists.txt", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[256], name[64], unit[16];
    unsigned long long count = 0, lo, hi, n, sum = 0, prev_hi = 0;
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_int_eq(sscanf(line, "hist\t%63s\t%15s\t%llu", name, unit, &count), 3);
    ck_assert_str_eq(name, "mdq.sojourn_ps");
    ck_assert_str_eq(unit, "ps");
    while (fgets(line, sizeof line, f)) {
        ck_assert_int_eq(sscanf(line, "%llu\t%llu\t%llu", &lo, &hi, &n), 3);
        ck_assert(lo <= hi && lo > prev_hi && n > 0);
        prev_hi = hi;
        sum += n;
    }
    fclose(f);
    ck_assert(count > 0);
    ck_assert_uint_eq(sum, count);
    sim_point_result_free(&r);
    sim_params_destroy(p);
    rmtree(dir);
    free(dir);
}
END_TEST

/* Loads `text` as a workload and its plots for the two-axis sweep; returns the error
 * or "" when the plots load. */
static const char *plots_error(const char *text)
{
    static sim_err e;
    char *dir = tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/w.ini", dir);
    write_text(path, text);
    sim_params *reg = registry();
    memset(&e, 0, sizeof e);
    app_workload *w = app_workload_load(path, reg, &e);
    ck_assert_msg(w != NULL, "%s", e.msg);
    app_manifest *m = two_axes();
    app_plots *ps = app_plots_load(w, reg, m, NULL, false, &e);
    if (ps) {
        ck_assert_msg(app_plots_check_build(ps, &mdq_ops, w, reg, &e) == 0 || e.msg[0], "no msg");
        app_plots_destroy(ps);
    }
    app_manifest_destroy(m);
    app_workload_destroy(w);
    sim_params_destroy(reg);
    rmtree(dir);
    free(dir);
    return e.msg;
}

#define REFUSED(text, ...)                                                                         \
    do {                                                                                           \
        const char *msg_ = plots_error(text);                                                      \
        const char *want_[] = {__VA_ARGS__};                                                       \
        for (size_t k_ = 0; k_ < sizeof want_ / sizeof *want_; k_++)                               \
            ck_assert_msg(strstr(msg_, want_[k_]) != NULL, "'%s' lacks '%s'", msg_, want_[k_]);    \
    } while (0)

START_TEST(test_plot_checks)
{
    const char *ok = "[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilization\n"
                     "series = run.kernel\nlogx = yes\nhline = 0.5 half | mdq_utilization u\n";
    ck_assert_str_eq(plots_error(ok), "");
    ck_assert_str_eq(plots_error("[plot c]\nkind = cdf\nx = mdq.sojourn_ps\n"), "");
    ck_assert_str_eq(plots_error("[plot m]\nx = mdq_throughput_mpps\ny = mdq_sojourn_ns_mean\n"), "");

    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilisation\n", "w.ini:3",
            "no metric 'mdq_utilisation'", "did you mean 'mdq_utilization'");
    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilization\ntitel = t\n", "w.ini:4",
            "unknown key 'titel'", "did you mean 'title'");
    REFUSED("[plot a]\nkind = pie\nx = mdq.arrival_rate_mpps\ny = mdq_utilization\n", "w.ini:2",
            "kind 'pie'");
    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilization\nseries = run.kernal\n",
            "w.ini:4", "'run.kernal' is not a parameter", "run.kernel");
    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilization\nwhere = run.kernel=native, "
            "mdq.arrival_rate_mpps=0.6\n",
            "w.ini:4", "matches no point", "0.5, 0.8");
    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilization\nwhere = run.kernel=vax\n",
            "w.ini:4", "run.kernel");
    REFUSED("[plot a]\nkind = bars\nx = run.kernel\ny = mdq_utilization\nlogx = true\n", "w.ini:5",
            "logarithmic");
    REFUSED("[plot a]\nx = run.kernel\ny = mdq_utilization\n", "w.ini:2", "not numeric");
    REFUSED("[plot a]\nkind = cdf\nx = mdq.sojourn\n", "w.ini:3", "no histogram 'mdq.sojourn'",
            "mdq.sojourn_ps");
    REFUSED("[plot a]\nkind = cdf\nx = mdq.sojourn_ps\ny = mdq_utilization\n", "w.ini:4", "no y");
    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilization, mdq_sojourn_ns_mean\n"
            "labels = one\n",
            "w.ini:4", "1 labels for 2");
    REFUSED("[plot a]\ny = mdq_utilization\n", "w.ini:1", "needs x");
    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\n", "needs y");
    REFUSED("[plot a]\nx = mdq.arival_rate_mpps\ny = mdq_utilization\n", "w.ini:2",
            "did you mean 'mdq.arrival_rate_mpps'");
    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilization\nhline = 0.5x\n", "w.ini:4",
            "hline");
    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilization\nsize = 10x10\n", "w.ini:4",
            "size");
    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilization\nformat = gif\n", "w.ini:4",
            "gif");
    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilization\nseries_label = {mdq.rate}\n",
            "w.ini:4", "mdq.rate");
}
END_TEST

/* events.csv as sim/run.c writes it reads back in file order; anything else is refused
 * naming the file and line. */
START_TEST(test_events_read)
{
    char *dir = tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/events.csv", dir);
    plot_marks m = {0};
    sim_err e = {{0}};
    ck_assert_int_eq(app_plot_events_read(path, &m, &e), 0); /* no file: no marks */
    ck_assert_uint_eq(m.n, 0);
    write_text(path, "time_us,event\n1050,resume\n500.25,unplug\r\n1e3,\n");
    ck_assert_msg(app_plot_events_read(path, &m, &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(m.n, 3);
    ck_assert(m.v[0].t_us == 1050 && !strcmp(m.v[0].label, "resume"));
    ck_assert(m.v[1].t_us == 500.25 && !strcmp(m.v[1].label, "unplug"));
    ck_assert(m.v[2].t_us == 1000 && !strcmp(m.v[2].label, ""));
    app_plot_marks_free(&m);

    static const struct {
        const char *text, *where;
    } bad[] = {
        {"", "events.csv:1: not an events file: it is empty"},
        {"time,event\n1,a\n", "events.csv:1: not an events file"},
        {"time_us,event\n1,a\nsoon,b\n", "events.csv:3: wants TIME_US,EVENT"},
        {"time_us,event\n1 us,a\n", "events.csv:2:"},
        {"time_us,event\n1,a\n2\n", "events.csv:3:"},
        {"time_us,event\n1,a,b\n", "events.csv:2:"},
        {"time_us,event\n1,\"a\"\n", "events.csv:2:"},
        {"time_us,event\n-1,a\n", "events.csv:2:"},
        {"time_us,event\nnan,a\n", "events.csv:2:"},
        {"time_us,event\n\n", "events.csv:2:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(path, bad[i].text);
        memset(&e, 0, sizeof e);
        ck_assert_msg(app_plot_events_read(path, &m, &e) < 0, "accepted: %s", bad[i].text);
        ck_assert_msg(strstr(e.msg, bad[i].where) != NULL, "'%s' lacks '%s'", e.msg, bad[i].where);
        ck_assert_msg(strstr(e.msg, dir) != NULL, "'%s' lacks the folder", e.msg);
        app_plot_marks_free(&m);
    }
    rmtree(dir);
    free(dir);
}
END_TEST

/* Writes `text` to the file `name` of point i's folder. */
static void point_file(const char *dir, size_t i, const char *name, const char *text)
{
    char path[600];
    app_point_dir(dir, i, 4, path, sizeof path);
    strcat(path, "/");
    strcat(path, name);
    write_text(path, text);
}

/* Draws the plot file `plots` over the folder `dir` without gnuplot; returns the exit
 * status and leaves the plot's script in *gp ("" when none was written). */
static int draw(const char *dir, const char *plots, const char **gp)
{
    char path[600];
    snprintf(path, sizeof path, "%s/p.ini", dir);
    write_text(path, plots);
    snprintf(path, sizeof path, "%s/plots/rate.gp", dir);
    unlink(path);
    setenv("IOVSIM_GNUPLOT", "/nonexistent/gnuplot", 1);
    sim_params *reg = registry();
    sim_err e = {{0}};
    app_plot_opts o = {.quiet = true};
    char file[600];
    snprintf(file, sizeof file, "%s/p.ini", dir);
    int rc = app_plots_draw_dir(dir, file, reg, &o, &e);
    sim_params_destroy(reg);
    *gp = access(path, F_OK) == 0 ? read_text(path) : "";
    return rc;
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* A timeseries plot draws the marks of the points it draws, once per time and label,
 * at their times in us; warm-up marks widen the axis, marks after a point's run are
 * listed, not drawn; a point it does not draw gives none; marks = false draws none; a
 * damaged events.csv refuses the plot naming the file and line. */
START_TEST(test_timeseries_marks)
{
    char *dir = tmpdir();
    app_manifest *m = two_axes();
    for (size_t i = 0; i < 4; i++)
        write_point(dir, m, i, "x", 1.0);
    sim_err e = {{0}};
    ck_assert_int_eq(app_manifest_write(m, dir, &e), 0);
    const char *ts = "time_us,x\n120,1\n140,2\n160,3\n";
    point_file(dir, 0, "timeseries.csv", ts);
    point_file(dir, 1, "timeseries.csv", ts);
    point_file(dir, 2, "timeseries.csv", ts);
    point_file(dir, 0, "events.csv", "time_us,event\n140,stop\n50,unplug\n");
    point_file(dir, 1, "events.csv", "time_us,event\n140,stop\n150,resume\n900,replug\n");
    point_file(dir, 3, "events.csv", "time_us,event\n130,ghost\n");
    const char *plot = "[plot rate]\nkind = timeseries\ny = x\n";

    const char *gp;
    ck_assert_int_eq(draw(dir, plot, &gp), 1); /* 1: no gnuplot */
    ck_assert_msg(count(gp, "set arrow from") == 3, "%s", gp);
    ck_assert_msg(strstr(gp, "set arrow from 50, graph 0 to 50, graph 1") != NULL, "%s", gp);
    ck_assert_msg(count(gp, "set label 'stop' at 140, graph") == 1, "%s", gp);
    ck_assert_msg(strstr(gp, "set label 'resume' at 150, graph") != NULL, "%s", gp);
    ck_assert_msg(strstr(gp, "'unplug' at 50") != NULL, "%s", gp);
    ck_assert_msg(strstr(gp, "ghost") == NULL, "a point not drawn gave a mark: %s", gp);
    ck_assert_msg(strstr(gp, "set label 'replug'") == NULL, "%s", gp);
    ck_assert_msg(strstr(gp, "Not drawn, after its point's run ended: 'replug' at 900 us") != NULL,
                  "%s", gp);
    /* The axis reaches back to the warm-up mark: 50 less 4% of 50..160. */
    ck_assert_msg(strstr(gp, "set xrange [45.6:164.4]") != NULL, "%s", gp);
    /* In time order: unplug, stop, resume. */
    const char *u = strstr(gp, "'unplug'"), *s = strstr(gp, "'stop'"), *r = strstr(gp, "'resume'");
    ck_assert(u && s && r && u < s && s < r);

    /* Two labels at one time share a line. */
    point_file(dir, 2, "events.csv", "time_us,event\n150,vf_unplugged\n");
    ck_assert_int_eq(draw(dir, plot, &gp), 1);
    ck_assert_msg(strstr(gp, "set label 'resume, vf_unplugged' at 150") != NULL, "%s", gp);
    ck_assert_msg(count(gp, "set arrow from") == 3, "%s", gp);
    ck_assert_msg(strstr(gp, "simulated time (us)") != NULL, "%s", gp);

    /* Marks closer than 1.5% of the data's span (0.6 us of 120..160) share the first's
     * label; each keeps its line. */
    point_file(dir, 2, "events.csv", "time_us,event\n150,vf_unplugged\n150.5,replug_soon\n");
    ck_assert_int_eq(draw(dir, plot, &gp), 1);
    ck_assert_msg(strstr(gp, "set label 'resume, vf_unplugged, replug_soon' at 150") != NULL,
                  "%s", gp);
    ck_assert_msg(strstr(gp, "set arrow from 150.5, graph 0") != NULL, "%s", gp);
    ck_assert_msg(count(gp, "set arrow from") == 4, "%s", gp);

    /* A run of seconds reads in seconds: times, marks and the range divided alike. */
    const char *long_ts = "time_us,x\n1000000,1\n2000000,2\n3000000,3\n";
    for (size_t i = 0; i < 3; i++)
        point_file(dir, i, "timeseries.csv", long_ts);
    point_file(dir, 2, "events.csv", "time_us,event\n2500000,late_resume\n");
    ck_assert_int_eq(draw(dir, plot, &gp), 1);
    ck_assert_msg(strstr(gp, "simulated time (s)") != NULL, "%s", gp);
    ck_assert_msg(strstr(gp, "using ($1/1e+06):2") != NULL, "%s", gp);
    ck_assert_msg(strstr(gp, "set label 'late_resume' at 2.5, graph") != NULL, "%s", gp);
    for (size_t i = 0; i < 3; i++)
        point_file(dir, i, "timeseries.csv", ts);
    point_file(dir, 2, "events.csv", "time_us,event\n150,vf_unplugged\n");

    ck_assert_int_eq(draw(dir, "[plot rate]\nkind = timeseries\ny = x\nmarks = false\n", &gp), 1);
    ck_assert_msg(gp[0] && strstr(gp, "set arrow") == NULL && strstr(gp, "marks.gp") == NULL, "%s",
                  gp);

    /* Without events the script is what it was before marks existed. */
    for (size_t i = 0; i < 4; i++) {
        char path[600];
        app_point_dir(dir, i, 4, path, sizeof path);
        strcat(path, "/events.csv");
        unlink(path);
    }
    ck_assert_int_eq(draw(dir, plot, &gp), 1);
    ck_assert_msg(gp[0] && strstr(gp, "arrow") == NULL && strstr(gp, "Marks") == NULL, "%s", gp);

    point_file(dir, 1, "events.csv", "time_us,event\n140,stop\nlater,resume\n");
    ck_assert_int_eq(draw(dir, plot, &gp), 2);
    ck_assert_str_eq(gp, "");
    /* A point the plot does not draw is not read. */
    ck_assert_int_eq(
        draw(dir, "[plot rate]\nkind = timeseries\ny = x\nwhere = run.kernel=native\n", &gp), 1);
    app_manifest_destroy(m);
    rmtree(dir);
    free(dir);
}
END_TEST

/* marks is a timeseries plot's key alone, and a boolean. */
START_TEST(test_marks_key_checks)
{
    REFUSED("[plot a]\nx = mdq.arrival_rate_mpps\ny = mdq_utilization\nmarks = false\n", "w.ini:4",
            "only a timeseries plot");
    REFUSED("[plot a]\nkind = timeseries\ny = mdq_utilization\nmarks = sometimes\n", "w.ini:4",
            "marks wants true or false");
    REFUSED("[plot a]\nkind = timeseries\ny = mdq_utilization\nmarcs = no\n", "w.ini:4",
            "did you mean 'marks'");
    ck_assert_str_eq(plots_error("[plot a]\nkind = timeseries\ny = mdq_utilization\nmarks = no\n"),
                     "");
}
END_TEST

/* The summaries' numbers: three significant digits, the unit chosen after rounding, so
 * a value just below a unit's boundary reads as the boundary. */
START_TEST(test_summary_numbers)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0, "0"},         {7.891, "7.89"},  {999.4, "999"},     {999.6, "1000"},
        {9204, "9200"},   {9995, "10k"},    {12345, "12.3k"},   {999600, "1M"},
        {1234567, "1.23M"}, {9.996e8, "1G"}, {-9204, "-9200"},  {NAN, "-"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        app_summary_table_num(buf, sizeof buf, cases[i].v);
        ck_assert_msg(!strcmp(buf, cases[i].want), "%g: '%s', wanted '%s'", cases[i].v, buf,
                      cases[i].want);
    }
}
END_TEST

static Suite *plot_suite(void)
{
    Suite *s = suite_create("plot");
    TCase *tc = tcase_create("results");
    tcase_add_test(tc, test_manifest_round_trip);
    tcase_add_test(tc, test_manifest_refuses_damage);
    tcase_add_test(tc, test_point_dir_width);
    tcase_add_test(tc, test_results_csv_is_point_ordered);
    tcase_add_test(tc, test_stats_foreach_hist);
    tcase_add_test(tc, test_run_writes_hists);
    suite_add_tcase(s, tc);
    tc = tcase_create("plots");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_plot_checks);
    tcase_add_test(tc, test_events_read);
    tcase_add_test(tc, test_timeseries_marks);
    tcase_add_test(tc, test_marks_key_checks);
    tcase_add_test(tc, test_summary_numbers);
    suite_add_tcase(s, tc);
    return s;
}


int main(void)
{
    SRunner *sr = srunner_create(plot_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
