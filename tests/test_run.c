/* One simulation point end to end (sim/run.c) on the M/D/1 self-check model: the
 * answer matches queueing theory, warm-up is excluded, both kernels agree, the same
 * seed repeats exactly, and failures are reported rather than fatal. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/run.h"
#include "systems/kinds.h"

static void *build_fail(const sim_ctx *ctx, sim_err *e)
{
    (void)ctx;
    sim_err_set(e, "the model refused to build");
    return NULL;
}

/* The M/D/1 kind (systems/mdq.c) as the run's model operations. */
static void mdq_register_params(sim_params *p) { sys_kind_mdq.register_params(p); }
static void *mdq_build(const sim_ctx *ctx, sim_err *e) { return sys_kind_mdq.build(ctx, NULL, e); }
static void mdq_destroy(void *m) { sys_kind_mdq.destroy(m); }
static const sim_model_ops mdq_ops = {mdq_register_params, NULL, mdq_build, mdq_destroy};
static const sim_model_ops fail_ops = {mdq_register_params, NULL, build_fail, mdq_destroy};

/* The M/D/1 kind with marks: two recorded as it builds (one in warm-up, one ahead of the
 * clock and of the marks after it), one by an event in the window, at the time of
 * another, and one with a comma in its label. */
typedef struct marked {
    void *mdq;
    sim_stats *stats;
    sim_kernel *k;
} marked;

static void on_failover(void *ctx)
{
    marked *m = ctx;
    sim_stats_mark(m->stats, sim_now_ps(m->k), "failover");
    sim_stats_mark(m->stats, sim_now_ps(m->k), "vf,unplugged");
}

static void *marked_build(const sim_ctx *ctx, sim_err *e)
{
    marked *m = calloc(1, sizeof *m);
    m->mdq = mdq_build(ctx, e);
    if (!m->mdq) {
        free(m);
        return NULL;
    }
    m->stats = ctx->stats;
    m->k = ctx->kernel;
    sim_stats_mark(ctx->stats, 1050 * SIM_PS_PER_US, "resume");
    sim_stats_mark(ctx->stats, 500 * SIM_PS_PER_US + 250000, "unplug");
    sim_event_notify_at(sim_event_create(ctx->kernel, "failover", on_failover, m),
                        1050 * SIM_PS_PER_US);
    return m;
}

static void marked_destroy(void *sys)
{
    marked *m = sys;
    mdq_destroy(m->mdq);
    free(m);
}
static const sim_model_ops marked_ops = {mdq_register_params, NULL, marked_build, marked_destroy};

static sim_params *params_for(const char *kernel, double rate_mpps, double duration_us)
{
    sim_params *p = sim_params_create();
    sim_run_register_params(p);
    mdq_register_params(p);
    char buf[64];
    ck_assert_int_eq(sim_params_set(p, "run.kernel", kernel, "test", NULL), 0);
    snprintf(buf, sizeof buf, "%g", rate_mpps);
    ck_assert_int_eq(sim_params_set(p, "mdq.arrival_rate_mpps", buf, "test", NULL), 0);
    ck_assert_int_eq(sim_params_set(p, "mdq.service_ns", "500", "test", NULL), 0);
    snprintf(buf, sizeof buf, "%g", duration_us);
    ck_assert_int_eq(sim_params_set(p, "run.duration_us", buf, "test", NULL), 0);
    ck_assert_int_eq(sim_params_set(p, "run.warmup_us", "1000", "test", NULL), 0);
    return p;
}

static double metric(const sim_point_result *r, const char *name)
{
    for (size_t i = 0; i < r->metrics; i++)
        if (!strcmp(r->metric_names[i], name))
            return r->metric_values[i];
    ck_abort_msg("metric %s missing", name);
    return NAN;
}

static const char *kernels[] = {"native", "systemc"};

/* Mean sojourn of M/D/1 at load 0.5 and 0.8 against Pollaczek-Khinchine. */
START_TEST(test_mdq_matches_theory)
{
    const double rates[] = {1.0, 1.6};
    for (int i = 0; i < 2; i++) {
        sim_params *p = params_for("native", rates[i], 100000);
        sim_point_result r;
        sim_err e = {{0}};
        ck_assert_msg(sim_run_point(&mdq_ops, p, NULL, &r, &e) == 0, "%s", e.msg);
        double sim = metric(&r, "mdq_sojourn_ns_mean");
        double theory = metric(&r, "mdq_sojourn_ns_theory");
        /* 100 ms is ~5 standard deviations of one run's mean inside these bounds. */
        ck_assert_msg(fabs(sim - theory) / theory < (i == 0 ? 0.02 : 0.05), "load %.1f: simulated %.1f ns, theory %.1f ns",
                      rates[i] * 0.5, sim, theory);
        ck_assert_double_eq_tol(metric(&r, "mdq_utilization"), rates[i] * 0.5, 0.02);
        sim_point_result_free(&r);
        sim_params_destroy(p);
    }
}
END_TEST

/* Stats count only the measured interval: arrivals ~ rate x duration, not warm-up. */
START_TEST(test_warmup_excluded)
{
    sim_params *p = params_for(kernels[_i], 1.0, 20000);
    sim_point_result r;
    sim_err e = {{0}};
    ck_assert_msg(sim_run_point(&mdq_ops, p, NULL, &r, &e) == 0, "%s", e.msg);
    ck_assert_double_eq_tol(metric(&r, "mdq_throughput_mpps"), 1.0, 0.03);
    ck_assert_uint_eq(r.end_ps, 21000ull * SIM_PS_PER_US);
    ck_assert_uint_gt(r.events, 20000);
    sim_point_result_free(&r);
    sim_params_destroy(p);
}
END_TEST

/* One process may run native points and one SystemC point: the two agree exactly. */
START_TEST(test_kernels_agree_and_repeat)
{
    sim_point_result r[3];
    for (int i = 0; i < 3; i++) {
        sim_params *p = params_for(i < 2 ? "native" : "systemc", 1.5, 5000);
        sim_err e = {{0}};
        ck_assert_msg(sim_run_point(&mdq_ops, p, NULL, &r[i], &e) == 0, "%s", e.msg);
        sim_params_destroy(p);
    }
    for (int i = 1; i < 3; i++) {
        ck_assert_uint_eq(r[i].metrics, r[0].metrics);
        ck_assert_uint_eq(r[i].events, r[0].events);
        ck_assert_uint_eq(r[i].end_ps, r[0].end_ps);
        for (size_t m = 0; m < r[0].metrics; m++)
            ck_assert_msg(memcmp(&r[i].metric_values[m], &r[0].metric_values[m], sizeof(double)) == 0,
                          "%s differs: %.17g vs %.17g", r[0].metric_names[m], r[i].metric_values[m],
                          r[0].metric_values[m]);
    }
    for (int i = 0; i < 3; i++)
        sim_point_result_free(&r[i]);
}
END_TEST

/* A different seed gives a different sample path. */
START_TEST(test_seed_changes_path)
{
    sim_point_result r[2];
    for (int i = 0; i < 2; i++) {
        sim_params *p = params_for("native", 1.0, 2000);
        ck_assert_int_eq(sim_params_set(p, "run.seed", i ? "7" : "8", "test", NULL), 0);
        sim_err e = {{0}};
        ck_assert_int_eq(sim_run_point(&mdq_ops, p, NULL, &r[i], &e), 0);
        sim_params_destroy(p);
    }
    ck_assert_uint_ne(r[0].events, r[1].events);
    sim_point_result_free(&r[0]);
    sim_point_result_free(&r[1]);
}
END_TEST

START_TEST(test_stats_file)
{
    char dir[] = "/tmp/iovsim-run-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    sim_params *p = params_for(kernels[_i], 1.0, 100);
    sim_point_result r;
    sim_err e = {{0}};
    ck_assert_int_eq(sim_run_point(&mdq_ops, p, dir, &r, &e), 0);
    char path[256], line[256];
    snprintf(path, sizeof path, "%s/stats.txt", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    int found = 0;
    while (fgets(line, sizeof line, f))
        found += !strncmp(line, "mdq.arrivals ", 13) || !strncmp(line, "sim.events ", 11);
    fclose(f);
    ck_assert_int_eq(found, 2);
    unlink(path);
    rmdir(dir);
    sim_point_result_free(&r);
    sim_params_destroy(p);
}
END_TEST

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* events.csv holds the marks by time (ties in recorded order), from warm-up on, times
 * as timeseries.csv writes them; a point without marks writes none, and removes an
 * earlier run's. */
START_TEST(test_events_file)
{
    char dir[] = "/tmp/iovsim-run-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    sim_params *p = params_for(kernels[_i], 1.0, 100);
    ck_assert_int_eq(sim_params_set(p, "run.sample_us", "50", "test", NULL), 0);
    sim_point_result r;
    sim_err e = {{0}};
    ck_assert_msg(sim_run_point(&marked_ops, p, dir, &r, &e) == 0, "%s", e.msg);
    sim_point_result_free(&r);
    char path[256], ts[256];
    snprintf(path, sizeof path, "%s/events.csv", dir);
    snprintf(ts, sizeof ts, "%s/timeseries.csv", dir);
    const char *text = slurp(path);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "time_us,event\n"
                           "500.25,unplug\n"
                           "1050,resume\n"
                           "1050,failover\n"
                           "1050,vf_unplugged\n");
    /* The time series' rows end at 1050 and 1100 us: the same text for the same time. */
    text = slurp(ts);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "\n1050,") != NULL, "%s", text);

    /* SystemC runs once per process: the second run is native. */
    ck_assert_int_eq(sim_params_set(p, "run.kernel", "native", "test", NULL), 0);
    ck_assert_msg(sim_run_point(&mdq_ops, p, dir, &r, &e) == 0, "%s", e.msg);
    sim_point_result_free(&r);
    ck_assert_msg(access(path, F_OK) != 0, "events.csv left by a point without marks");
    ck_assert_int_eq(access(ts, F_OK), 0);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    sim_params_destroy(p);
}
END_TEST

START_TEST(test_build_failure_reported)
{
    sim_params *p = params_for(kernels[_i], 1.0, 100);
    sim_point_result r;
    sim_err e = {{0}};
    ck_assert_int_eq(sim_run_point(&fail_ops, p, NULL, &r, &e), -1);
    ck_assert_str_eq(e.msg, "the model refused to build");
    sim_point_result_free(&r);
    sim_params_destroy(p);
}
END_TEST

static Suite *run_suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("point");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_mdq_matches_theory);
    tcase_add_loop_test(tc, test_warmup_excluded, 0, 2);
    tcase_add_test(tc, test_kernels_agree_and_repeat);
    tcase_add_test(tc, test_seed_changes_path);
    tcase_add_loop_test(tc, test_stats_file, 0, 2);
    tcase_add_loop_test(tc, test_build_failure_reported, 0, 2);
    tcase_add_loop_test(tc, test_events_file, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(run_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
