/* Unit tests of sim/stats: the registry, the measurement window, the histogram's
 * accuracy against exact sample quantiles, and the text output. */
#include <check.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/stats.h"

/* ---------------------------------------------------------------- helpers */

static double d_twice(const sim_stats *s, void *ctx)
{
    double c;
    ck_assert(sim_stats_get(s, (const char *)ctx, &c));
    return 2.0 * c;
}

static double d_const(const sim_stats *s, void *ctx)
{
    (void)s;
    return *(const double *)ctx;
}

static double d_elapsed(const sim_stats *s, void *ctx)
{
    (void)ctx;
    return (double)sim_stats_elapsed_ps(s);
}

static char *write_text(const sim_stats *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    sim_stats_write_text(s, f);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The reference quantile (see sim/stats.c): the r-th smallest sample with
 * r = max(1, ceil(q * n)), here with q = permille / 1000 in exact integers. */
static uint64_t ref_quantile(const uint64_t *sorted, size_t n, unsigned permille)
{
    size_t rank = (size_t)(((uint64_t)permille * n + 999) / 1000);
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

/* ---------------------------------------------------------------- registry */

START_TEST(test_register_and_get)
{
    sim_stats *s = sim_stats_create();
    uint64_t pkts = 7;
    double ratio = 0.25;
    double k = 3.5;
    sim_stats_counter(s, "net.pkts", &pkts, "packets");
    sim_stats_value(s, "net.ratio", &ratio, "a ratio");
    sim_stats_derived(s, "net.pkts2", d_twice, "net.pkts", "twice the packets");
    sim_stats_metric(s, "k_metric", "", d_const, &k, "a constant");

    double v;
    ck_assert(sim_stats_get(s, "net.pkts", &v));
    ck_assert(v == 7.0);
    ck_assert(sim_stats_get(s, "net.ratio", &v));
    ck_assert(v == 0.25);
    ck_assert(sim_stats_get(s, "net.pkts2", &v));
    ck_assert(v == 14.0);
    ck_assert(sim_stats_get(s, "k_metric", &v));
    ck_assert(v == 3.5);

    /* The registry reads through the model's pointers. */
    pkts = 100;
    ratio = 0.5;
    k = -1.0;
    ck_assert(sim_stats_get(s, "net.pkts2", &v) && v == 200.0);
    ck_assert(sim_stats_get(s, "net.ratio", &v) && v == 0.5);
    ck_assert(sim_stats_get(s, "k_metric", &v) && v == -1.0);

    ck_assert(!sim_stats_get(s, "net", &v));
    ck_assert(!sim_stats_get(s, "net.pkt", &v));
    ck_assert(!sim_stats_get(s, "net.pkts.count", &v));
    ck_assert(!sim_stats_get(s, "", &v));

    ck_assert_uint_eq(sim_stats_metrics(s), 1);
    ck_assert_str_eq(sim_stats_metric_name(s, 0), "k_metric");
    ck_assert(sim_stats_metric_value(s, 0) == -1.0);
    sim_stats_destroy(s);
}
END_TEST

/* A histogram's metrics: nan while empty (no sample is no latency, not 0), then the
 * quantile or mean of the samples over the divisor, read when asked. */
START_TEST(test_hist_metrics)
{
    sim_stats *s = sim_stats_create();
    sim_hist *h = sim_stats_hist(s, "lat", "ps", "latency");
    sim_stats_mean_metric(s, "lat_ns_mean", "ns", h, 1000.0, "mean");
    sim_stats_quantile_metric(s, "lat_ns_p50", "ns", h, 0.5, 1000.0, "median");
    sim_stats_quantile_metric(s, "lat_ns_max", "ns", h, 1.0, 1000.0, "largest");
    ck_assert_uint_eq(sim_stats_metrics(s), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert(isnan(sim_stats_metric_value(s, i)));
    sim_hist_add(h, 1000);
    sim_hist_add(h, 2000);
    sim_hist_add(h, 9000);
    double v;
    ck_assert(sim_stats_get(s, "lat_ns_mean", &v) && v == 4.0);
    ck_assert(sim_stats_get(s, "lat_ns_p50", &v) && fabs(v - 2.0) < 0.02); /* bucket: 1% */
    ck_assert(sim_stats_get(s, "lat_ns_max", &v) && v == 9.0);
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_hist_summary_names)
{
    sim_stats *s = sim_stats_create();
    sim_hist *h = sim_stats_hist(s, "lat", "ps", "latency");
    ck_assert_ptr_eq(sim_stats_find_hist(s, "lat"), h);
    ck_assert_ptr_null(sim_stats_find_hist(s, "lat.p99"));
    ck_assert_ptr_null(sim_stats_find_hist(s, "nope"));
    for (uint64_t i = 1; i <= 100; i++)
        sim_hist_add(h, i);

    double v;
    ck_assert(sim_stats_get(s, "lat.count", &v) && v == 100.0);
    ck_assert(sim_stats_get(s, "lat.mean", &v) && v == 50.5);
    ck_assert(sim_stats_get(s, "lat.min", &v) && v == 1.0);
    ck_assert(sim_stats_get(s, "lat.p50", &v) && v == 50.0);
    ck_assert(sim_stats_get(s, "lat.p99", &v) && v == 99.0);
    ck_assert(sim_stats_get(s, "lat.p999", &v) && v == 100.0);
    ck_assert(sim_stats_get(s, "lat.max", &v) && v == 100.0);
    ck_assert(!sim_stats_get(s, "lat", &v));
    ck_assert(!sim_stats_get(s, "lat.p90", &v));
    ck_assert(!sim_stats_get(s, "lat.count.x", &v));
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_metric_order)
{
    sim_stats *s = sim_stats_create();
    uint64_t c = 0;
    double vals[5] = {5, 4, 3, 2, 1};
    const char *names[5] = {"zeta", "alpha", "mid_1", "beta", "a"};
    /* Interleaved with other stats: metrics keep their own registration order. */
    for (int i = 0; i < 5; i++) {
        char other[32];
        snprintf(other, sizeof other, "other.%d", i);
        sim_stats_counter(s, other, &c, "");
        sim_stats_metric(s, names[i], "", d_const, &vals[i], "");
    }
    ck_assert_uint_eq(sim_stats_metrics(s), 5);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_str_eq(sim_stats_metric_name(s, i), names[i]);
        ck_assert(sim_stats_metric_value(s, i) == vals[i]);
    }
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_many_names)
{
    /* Enough names to grow the name index several times. */
    enum { N = 5000 };
    sim_stats *s = sim_stats_create();
    static uint64_t c[N];
    char name[64];
    for (int i = 0; i < N; i++) {
        c[i] = (uint64_t)i * 3;
        snprintf(name, sizeof name, "blk%d.ctr%d", i % 17, i);
        sim_stats_counter(s, name, &c[i], "");
    }
    for (int i = 0; i < N; i++) {
        double v;
        snprintf(name, sizeof name, "blk%d.ctr%d", i % 17, i);
        ck_assert(sim_stats_get(s, name, &v));
        ck_assert(v == (double)i * 3);
    }
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_duplicate_asserts)
{
    sim_stats *s = sim_stats_create();
    uint64_t a = 0, b = 0;
    sim_stats_counter(s, "x.y", &a, "");
    sim_stats_counter(s, "x.y", &b, "");
}
END_TEST

START_TEST(test_duplicate_kind_asserts)
{
    sim_stats *s = sim_stats_create();
    uint64_t a = 0;
    double d = 0;
    sim_stats_counter(s, "x.y", &a, "");
    sim_stats_value(s, "x.y", &d, "");
}
END_TEST

START_TEST(test_duplicate_hist_line_asserts)
{
    /* "lat.p99" would be written twice. */
    sim_stats *s = sim_stats_create();
    uint64_t a = 0;
    sim_stats_hist(s, "lat", "ps", "");
    sim_stats_counter(s, "lat.p99", &a, "");
}
END_TEST

START_TEST(test_duplicate_hist_after_line_asserts)
{
    sim_stats *s = sim_stats_create();
    uint64_t a = 0;
    sim_stats_counter(s, "lat.count", &a, "");
    sim_stats_hist(s, "lat", "ps", "");
}
END_TEST

/* ---------------------------------------------------------------- window */

START_TEST(test_start_zeroes)
{
    sim_stats *s = sim_stats_create();
    uint64_t c = 5;
    double v = 2.5, k = 9.0;
    sim_stats_counter(s, "c", &c, "");
    sim_stats_value(s, "v", &v, "");
    sim_hist *h = sim_stats_hist(s, "h", "ps", "");
    sim_stats_derived(s, "d", d_const, &k, "");
    sim_hist_add(h, 1000);
    sim_hist_add(h, 1u << 20);

    sim_stats_start(s, 1000);
    ck_assert_uint_eq(c, 0);
    ck_assert(v == 0.0);
    ck_assert_uint_eq(sim_hist_count(h), 0);
    ck_assert_uint_eq(sim_hist_min(h), 0);
    ck_assert_uint_eq(sim_hist_max(h), 0);
    ck_assert(sim_hist_mean(h) == 0.0);
    double out;
    ck_assert(sim_stats_get(s, "d", &out) && out == 9.0); /* formulas are not state */

    /* The histogram is usable again and forgot the old samples. */
    sim_hist_add(h, 300);
    ck_assert_uint_eq(sim_hist_count(h), 1);
    ck_assert_uint_eq(sim_hist_min(h), 300);
    ck_assert_uint_eq(sim_hist_max(h), 300);
    ck_assert(sim_stats_get(s, "h.p999", &out) && out == 300.0);
    sim_stats_destroy(s);
}
END_TEST

/* A model that counts booked outcomes when they happen: events due at 500, 1500, 2500
 * and 3500 ps, a window [1000, 3000) sampled at 2000. The sync hook runs before the
 * zeroing, at each interval's start and at the end, so the window counts the two due
 * in it and each interval its own. */
typedef struct due_counter {
    uint64_t due[4];
    size_t next;
    uint64_t count;
    unsigned syncs;
} due_counter;

static void due_sync(void *ctx, uint64_t now_ps)
{
    due_counter *d = ctx;
    d->syncs++;
    while (d->next < 4 && d->due[d->next] <= now_ps) {
        d->count++;
        d->next++;
    }
}

START_TEST(test_sync_counts_when_due)
{
    sim_stats *s = sim_stats_create();
    due_counter d = {{500, 1500, 2500, 3500}, 0, 0, 0};
    sim_stats_counter(s, "due", &d.count, "");
    sim_stats_on_sync(s, due_sync, &d);
    sim_stats_start(s, 1000); /* 500 counted, then zeroed */
    ck_assert_uint_eq(d.count, 0);
    ck_assert_uint_eq(d.next, 1);
    sim_stats_snapshot *snap = sim_stats_snapshot_create(s);
    sim_stats_snapshot_take(s, snap, 1000);
    sim_stats_interval_begin(s, snap, 2000);
    double out;
    ck_assert(sim_stats_get(s, "due", &out) && out == 1.0); /* 1500, in [1000, 2000) */
    sim_stats_interval_end(s, snap);
    sim_stats_snapshot_take(s, snap, 2000);
    sim_stats_end(s, 3000);
    ck_assert_uint_eq(d.count, 2); /* 1500 and 2500; 3500 is after the window */
    ck_assert_uint_eq(d.syncs, 3);
    sim_stats_snapshot_destroy(snap);
    sim_stats_destroy(s);
}
END_TEST

/* Work booked ahead counts where it lies: a warm-up booking for its part inside the
 * window, a booking past the end up to the end; the total never exceeds the window. */
START_TEST(test_busy_window)
{
    sim_stats *s = sim_stats_create();
    sim_busy b = {0};
    sim_stats_busy(s, "r.busy_ps", &b, "");
    sim_stats_plan(s, 1000, 11000);
    sim_busy_add(&b, 0, 500);    /* warm-up, before the window: nothing */
    sim_busy_add(&b, 800, 400);  /* booked in warm-up, 200 inside */
    sim_stats_start(s, 1000);
    ck_assert_uint_eq(b.booked_ps, 0);
    ck_assert_uint_eq(b.window_ps, 200);
    sim_busy_add(&b, 1200, 9000);  /* inside */
    sim_busy_add(&b, 10200, 2000); /* 800 inside, the rest past the end */
    sim_busy_add(&b, 20000, 100);  /* booked far ahead: outside */
    sim_stats_end(s, 11000);
    ck_assert_uint_eq(b.booked_ps, 11100);
    ck_assert_uint_eq(b.window_ps, 10000);
    double v;
    ck_assert(sim_stats_get(s, "r.busy_ps", &v) && v == 10000.0);
    ck_assert_uint_le(b.window_ps, sim_stats_elapsed_ps(s));
    sim_stats_destroy(s);

    /* Without a plan the window starts at sim_stats_start and has no end: a booked
     * time, as a counter would hold it. */
    s = sim_stats_create();
    b = (sim_busy){0};
    sim_stats_busy(s, "r.busy_ps", &b, "");
    sim_busy_add(&b, 0, 500);
    sim_stats_start(s, 1000);
    ck_assert_uint_eq(b.window_ps, 0);
    sim_busy_add(&b, 900, 300);
    sim_busy_add(&b, 50000, 300);
    ck_assert_uint_eq(b.window_ps, 500);
    ck_assert_uint_eq(b.booked_ps, 600);
    sim_stats_destroy(s);
}
END_TEST

/* A rate: the counter over the window, per us. */
static double d_rate(const sim_stats *s, void *ctx)
{
    return (double)*(const uint64_t *)ctx / ((double)sim_stats_elapsed_ps(s) / 1e6);
}

/* An interval reads what happened in it alone, and the whole window comes back exactly
 * after: counters and histograms as their growth, busy times as the work lying in the
 * interval (booked ahead of it or not), derived values over the interval's length. */
/* Marks are events, not statistics: the end of warm-up keeps them (a migration may begin
 * before the window), and neither they nor their number reach stats.txt. */
START_TEST(test_marks_survive_start)
{
    sim_stats *s = sim_stats_create(), *plain = sim_stats_create();
    uint64_t c = 3, d = 3;
    sim_stats_counter(s, "c", &c, "");
    sim_stats_counter(plain, "c", &d, "");
    sim_stats_mark(s, 500, "unplug");
    sim_stats_start(s, 1000);
    sim_stats_start(plain, 1000);
    ck_assert_uint_eq(c, 0);
    sim_stats_mark(s, 1500, "replug");
    ck_assert_uint_eq(sim_stats_marks(s), 2);
    sim_mark m = sim_stats_mark_get(s, 0);
    ck_assert_uint_eq(m.t_ps, 500);
    ck_assert_str_eq(m.label, "unplug");
    ck_assert_uint_eq(sim_stats_mark_get(s, 1).t_ps, 1500);
    ck_assert_uint_eq(sim_stats_marks(plain), 0);

    char *with = NULL, *without = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&with, &len);
    sim_stats_write_text(s, f);
    fclose(f);
    f = open_memstream(&without, &len);
    sim_stats_write_text(plain, f);
    fclose(f);
    ck_assert_str_eq(with, without);
    free(with);
    free(without);
    sim_stats_destroy(s);
    sim_stats_destroy(plain);
}
END_TEST

/* Recorded order is kept (the writer sorts), labels are copies, and what would break a
 * CSV row becomes '_' while the rest (bytes of UTF-8 too) stays. */
START_TEST(test_marks_order_and_labels)
{
    sim_stats *s = sim_stats_create();
    ck_assert_uint_eq(sim_stats_marks(s), 0);
    char label[] = "stop";
    sim_stats_mark(s, 900, label);
    label[0] = 'X';
    sim_stats_mark(s, 100, "a,b\"c\nd\re\tf\x7fg");
    sim_stats_mark(s, 100, "");
    sim_stats_mark(s, 100, "d\xc3\xa9part");
    ck_assert_uint_eq(sim_stats_marks(s), 4);
    ck_assert_str_eq(sim_stats_mark_get(s, 0).label, "stop");
    ck_assert_uint_eq(sim_stats_mark_get(s, 0).t_ps, 900);
    ck_assert_str_eq(sim_stats_mark_get(s, 1).label, "a_b_c_d_e_f_g");
    ck_assert_uint_eq(sim_stats_mark_get(s, 1).t_ps, 100);
    ck_assert_str_eq(sim_stats_mark_get(s, 2).label, "");
    ck_assert_str_eq(sim_stats_mark_get(s, 3).label, "d\xc3\xa9part");
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_interval_view)
{
    sim_stats *s = sim_stats_create();
    sim_stats_plan(s, 1000, 5000);
    sim_stats_sample_plan(s, 1000); /* intervals [1000,2000), [2000,3000), ... */
    uint64_t c = 0;
    sim_busy b = {0};
    sim_stats_counter(s, "a.c", &c, "");
    sim_hist *h = sim_stats_hist(s, "a.lat_ps", "ps", "");
    sim_stats_busy(s, "a.busy_ps", &b, "");
    sim_stats_metric(s, "a_per_us", "", d_rate, &c, "");
    sim_stats_quantile_metric(s, "a_lat_max", "ps", h, 1.0, 1.0, "");
    sim_busy_add(&b, 500, 1000); /* warm-up booking: 500 lies in the first interval */
    sim_stats_start(s, 1000);
    sim_stats_snapshot *m = sim_stats_snapshot_create(s);
    sim_stats_snapshot_take(s, m, 1000);
    c = 10;
    sim_hist_add(h, 100);
    sim_hist_add(h, 5000);
    sim_busy_add(&b, 1800, 700); /* 200 in the first interval, 500 in the second */
    double v;
    sim_stats_interval_begin(s, m, 2000);
    ck_assert(sim_stats_get(s, "a.c", &v) && v == 10);
    ck_assert(sim_stats_get(s, "a_per_us", &v) && fabs(v - 10.0 / 0.001) < 1e-6);
    ck_assert(sim_stats_get(s, "a.busy_ps", &v) && v == 700);
    ck_assert(sim_stats_get(s, "a.lat_ps.count", &v) && v == 2);
    sim_stats_interval_end(s, m);
    sim_stats_snapshot_take(s, m, 2000);
    c = 13;
    sim_hist_add(h, 300);
    sim_busy_add(&b, 4500, 2000); /* 500 in the last interval, the rest past the end */
    sim_stats_interval_begin(s, m, 3000);
    ck_assert(sim_stats_get(s, "a.c", &v) && v == 3);
    ck_assert(sim_stats_get(s, "a.busy_ps", &v) && v == 500);
    ck_assert(sim_stats_get(s, "a.lat_ps.count", &v) && v == 1);
    ck_assert(sim_stats_get(s, "a_lat_max", &v) && v >= 299 && v <= 301);
    ck_assert(sim_stats_get(s, "a.lat_ps.mean", &v) && v == 300);
    sim_stats_interval_end(s, m);
    /* Restored exactly. */
    sim_stats_end(s, 5000);
    ck_assert_uint_eq(c, 13);
    ck_assert_uint_eq(sim_hist_count(h), 3);
    ck_assert_uint_eq(sim_hist_min(h), 100);
    ck_assert_uint_eq(sim_hist_max(h), 5000);
    ck_assert(sim_stats_get(s, "a.busy_ps", &v) && v == 500 + 700 + 500);
    ck_assert(sim_stats_get(s, "a_per_us", &v) && fabs(v - 13.0 / 0.004) < 1e-6);
    /* A slot array holds every part: the last interval has the 500 booked ahead. */
    sim_stats_snapshot_take(s, m, 4000);
    sim_stats_interval_begin(s, m, 5000);
    ck_assert(sim_stats_get(s, "a.busy_ps", &v) && v == 500);
    sim_stats_interval_end(s, m);
    /* An interval that ends inside a slot (a window that does not divide, a run stopped
     * early) reads that slot's work too. */
    sim_stats_interval_begin(s, m, 4600);
    ck_assert(sim_stats_get(s, "a.busy_ps", &v) && v == 500);
    sim_stats_interval_end(s, m);
    /* A statistic registered after the snapshot was taken (a VF enabled mid-run) reads as it
     * is in the interval it appears in, and by intervals from the next take on. */
    uint64_t late = 0;
    sim_stats_counter(s, "b.late", &late, "");
    late = 4;
    sim_stats_interval_begin(s, m, 5000);
    ck_assert(sim_stats_get(s, "b.late", &v) && v == 4);
    sim_stats_interval_end(s, m);
    sim_stats_snapshot_take(s, m, 5000);
    late = 6;
    sim_stats_interval_begin(s, m, 5000);
    ck_assert(sim_stats_get(s, "b.late", &v) && v == 2);
    sim_stats_interval_end(s, m);
    ck_assert_uint_eq(late, 6);
    sim_stats_snapshot_destroy(m);
    sim_stats_destroy(s);
}
END_TEST

static void collect_info(const sim_stat_info *i, void *ctx)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 1024 - n, "%s|%s|%s|%s|%d\n", i->name, i->type, i->unit, i->desc,
             (int)i->metric);
}

/* The registry lists what is registered, for the metric reference. */
START_TEST(test_foreach)
{
    sim_stats *s = sim_stats_create();
    uint64_t c = 0;
    double v = 0, k = 1;
    sim_busy b = {0};
    sim_stats_counter(s, "a.c", &c, "things");
    sim_stats_value(s, "a.v", &v, "a value");
    sim_hist *h = sim_stats_hist(s, "a.lat_ps", "ps", "latency");
    sim_stats_busy(s, "a.busy_ps", &b, "busy");
    sim_stats_derived(s, "a.d", d_const, &k, "formula");
    sim_stats_metric(s, "a_gbps", "Gb/s", d_const, &k, "throughput");
    sim_stats_quantile_metric(s, "a_lat_ns_p50", "ns", h, 0.5, 1000.0, "median");
    char buf[1024] = "";
    sim_stats_foreach(s, collect_info, buf);
    ck_assert_str_eq(buf, "a.c|counter||things|0\n"
                          "a.v|value||a value|0\n"
                          "a.lat_ps|histogram|ps|latency|0\n"
                          "a.busy_ps|busy time||busy|0\n"
                          "a.d|derived||formula|0\n"
                          "a_gbps|derived|Gb/s|throughput|1\n"
                          "a_lat_ns_p50|derived|ns|median|1\n");
    ck_assert_str_eq(sim_stats_hist_suffix[0], "count");
    ck_assert_str_eq(sim_stats_hist_suffix[SIM_STATS_HIST_LINES - 1], "max");
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_elapsed)
{
    sim_stats *s = sim_stats_create();
    sim_stats_derived(s, "elapsed_ps", d_elapsed, NULL, "");
    ck_assert_uint_eq(sim_stats_elapsed_ps(s), 0);
    sim_stats_start(s, 1000);
    ck_assert_uint_eq(sim_stats_elapsed_ps(s), 0); /* no end yet */
    sim_stats_end(s, 251000);
    ck_assert_uint_eq(sim_stats_elapsed_ps(s), 250000);
    double v;
    ck_assert(sim_stats_get(s, "elapsed_ps", &v) && v == 250000.0);
    sim_stats_start(s, 300000); /* a new window forgets the old end */
    ck_assert_uint_eq(sim_stats_elapsed_ps(s), 0);
    sim_stats_end(s, UINT64_MAX);
    ck_assert_uint_eq(sim_stats_elapsed_ps(s), UINT64_MAX - 300000);
    sim_stats_destroy(s);
}
END_TEST

/* ---------------------------------------------------------------- histograms */

START_TEST(test_hist_empty)
{
    sim_stats *s = sim_stats_create();
    sim_hist *h = sim_stats_hist(s, "e", "ps", "");
    ck_assert_uint_eq(sim_hist_count(h), 0);
    ck_assert_uint_eq(sim_hist_min(h), 0);
    ck_assert_uint_eq(sim_hist_max(h), 0);
    ck_assert(sim_hist_mean(h) == 0.0);
    ck_assert(sim_hist_quantile(h, 0.0) == 0.0);
    ck_assert(sim_hist_quantile(h, 0.5) == 0.0);
    ck_assert(sim_hist_quantile(h, 1.0) == 0.0);
    const char *names[] = {"e.count", "e.mean", "e.min", "e.p50", "e.p99", "e.p999", "e.max"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        double v = -1;
        ck_assert(sim_stats_get(s, names[i], &v));
        ck_assert(v == 0.0);
    }
    sim_hist_add_n(h, 12345, 0); /* no samples: still empty */
    ck_assert_uint_eq(sim_hist_count(h), 0);
    ck_assert_uint_eq(sim_hist_min(h), 0);
    sim_stats_destroy(s);
}
END_TEST

static void count_visit(uint64_t lo, uint64_t hi, uint64_t n, void *ctx)
{
    (void)lo;
    (void)hi;
    *(uint64_t *)ctx += n;
}

START_TEST(test_hist_empty_foreach)
{
    sim_stats *s = sim_stats_create();
    sim_hist *h = sim_stats_hist(s, "e", "ps", "");
    uint64_t total = 0;
    sim_hist_foreach(h, count_visit, &total);
    ck_assert_uint_eq(total, 0);
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_hist_exact_small)
{
    /* Values below 256 have a bucket each: every quantile is a sample, exactly. */
    sim_stats *s = sim_stats_create();
    sim_hist *h = sim_stats_hist(s, "h", "ps", "");
    enum { N = 256 };
    for (uint64_t v = 0; v < N; v++)
        sim_hist_add_n(h, v, v % 3 + 1);
    uint64_t total = 0;
    for (uint64_t v = 0; v < N; v++)
        total += v % 3 + 1;
    ck_assert_uint_eq(sim_hist_count(h), total);
    for (unsigned pm = 0; pm <= 1000; pm++) {
        uint64_t rank = ((uint64_t)pm * total + 999) / 1000;
        if (rank < 1)
            rank = 1;
        uint64_t seen = 0, want = 0;
        for (uint64_t v = 0; v < N; v++) {
            seen += v % 3 + 1;
            if (seen >= rank) {
                want = v;
                break;
            }
        }
        ck_assert_msg(sim_hist_quantile(h, pm / 1000.0) == (double)want, "q=%u/1000: %g != %llu",
                      pm, sim_hist_quantile(h, pm / 1000.0), (unsigned long long)want);
    }
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_hist_quantile_definition)
{
    sim_stats *s = sim_stats_create();
    sim_hist *h = sim_stats_hist(s, "h", "", "");
    for (uint64_t v = 1; v <= 100; v++)
        sim_hist_add(h, v);
    ck_assert(sim_hist_quantile(h, 0.0) == 1.0);
    ck_assert(sim_hist_quantile(h, 0.005) == 1.0);
    ck_assert(sim_hist_quantile(h, 0.01) == 1.0);
    ck_assert(sim_hist_quantile(h, 0.011) == 2.0);
    ck_assert(sim_hist_quantile(h, 0.07) == 7.0); /* 0.07 * 100 = 7.000000000000001 */
    ck_assert(sim_hist_quantile(h, 0.5) == 50.0);
    ck_assert(sim_hist_quantile(h, 0.505) == 51.0);
    ck_assert(sim_hist_quantile(h, 0.99) == 99.0);
    ck_assert(sim_hist_quantile(h, 1.0) == 100.0);
    ck_assert(sim_hist_quantile(h, 2.0) == 100.0);
    ck_assert(sim_hist_quantile(h, -1.0) == 1.0);
    sim_stats_destroy(s);
}
END_TEST

typedef enum dist { D_UNIFORM, D_EXP, D_BIMODAL, D_CONST, D_PARETO, D_WIDE, D_N } dist;

static uint64_t draw(sim_rng *r, dist d)
{
    double u = sim_rng_double(r);
    switch (d) {
    case D_UNIFORM:
        return 1000 + sim_rng_below(r, 1000000000);
    case D_EXP:
        return (uint64_t)(-log1p(-u) * 750000.0);
    case D_BIMODAL:
        /* a fast path and a slow path, two decades apart */
        return u < 0.7 ? 2000 + sim_rng_below(r, 1000) : 5000000 + sim_rng_below(r, 2000000);
    case D_CONST:
        return 123456789;
    case D_PARETO: /* heavy tail, alpha 1.5 */
        return (uint64_t)(1000.0 * pow(1.0 - u, -1.0 / 1.5));
    default: /* every magnitude from 1 to 2^60 */
        return (sim_rng_u64(r) >> (4 + sim_rng_below(r, 60))) | 1;
    }
}

START_TEST(test_hist_accuracy)
{
    enum { N = 100000 };
    dist d = (dist)_i;
    sim_rng r;
    sim_rng_seed(&r, 42, "test_stats");
    uint64_t *a = malloc(N * sizeof *a);
    ck_assert_ptr_nonnull(a);
    sim_stats *s = sim_stats_create();
    sim_hist *h = sim_stats_hist(s, "h", "ps", "");
    unsigned __int128 sum = 0;
    for (size_t i = 0; i < N; i++) {
        a[i] = draw(&r, d);
        sum += a[i];
        sim_hist_add(h, a[i]);
    }
    qsort(a, N, sizeof *a, cmp_u64);

    ck_assert_uint_eq(sim_hist_count(h), N);
    ck_assert_uint_eq(sim_hist_min(h), a[0]);
    ck_assert_uint_eq(sim_hist_max(h), a[N - 1]);
    double mean = (double)((long double)sum / N);
    ck_assert_msg(sim_hist_mean(h) == mean, "mean %.17g != %.17g", sim_hist_mean(h), mean);

    static const unsigned permille[] = {0, 1, 10, 100, 250, 500, 750, 900, 990, 999, 1000};
    for (size_t i = 0; i < sizeof permille / sizeof permille[0]; i++) {
        double want = (double)ref_quantile(a, N, permille[i]);
        double got = sim_hist_quantile(h, permille[i] / 1000.0);
        ck_assert_msg(fabs(got - want) <= 0.01 * want, "dist %d q=%u/1000: %.17g vs %.17g", (int)d,
                      permille[i], got, want);
    }
    /* The summary names use the same numbers. */
    double p99;
    ck_assert(sim_stats_get(s, "h.p99", &p99));
    ck_assert(p99 == sim_hist_quantile(h, 0.99));
    free(a);
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_hist_huge)
{
    /* Sums of values near 2^63 overflow 64 bits after two samples. */
    enum { N = 100000 };
    sim_stats *s = sim_stats_create();
    sim_hist *h = sim_stats_hist(s, "h", "ps", "");
    const uint64_t base = UINT64_C(1) << 63;
    for (uint64_t i = 0; i < N; i++)
        sim_hist_add(h, base + i * 1000000000000ull);
    sim_hist_add(h, UINT64_MAX);
    sim_hist_add_n(h, base, N);
    ck_assert_uint_eq(sim_hist_count(h), 2 * N + 1);
    ck_assert_uint_eq(sim_hist_min(h), base);
    ck_assert_uint_eq(sim_hist_max(h), UINT64_MAX);
    unsigned __int128 sum = 0;
    for (uint64_t i = 0; i < N; i++)
        sum += base + i * 1000000000000ull;
    sum += UINT64_MAX;
    sum += (unsigned __int128)base * N;
    double mean = (double)((long double)sum / (2 * N + 1));
    ck_assert(sim_hist_mean(h) == mean);
    ck_assert(sim_hist_mean(h) > 9.2e18 && sim_hist_mean(h) < 9.3e18);
    ck_assert(sim_hist_quantile(h, 1.0) == (double)UINT64_MAX);
    ck_assert(fabs(sim_hist_quantile(h, 0.25) - (double)base) <= 0.01 * (double)base);
    double p75 = (double)(base + (uint64_t)(N / 2) * 1000000000000ull);
    ck_assert(fabs(sim_hist_quantile(h, 0.75) - p75) <= 0.01 * p75);
    uint64_t total = 0;
    sim_hist_foreach(h, count_visit, &total);
    ck_assert_uint_eq(total, 2 * N + 1);
    sim_stats_destroy(s);
}
END_TEST

typedef struct walk {
    uint64_t total;
    uint64_t next_lo; /* every bucket starts above the previous one */
    int buckets;
    bool bad;
    const uint64_t *samples;
    size_t nsamples;
} walk;

static void check_visit(uint64_t lo, uint64_t hi, uint64_t n, void *ctx)
{
    walk *w = ctx;
    if (lo > hi || (w->buckets && lo < w->next_lo) || n == 0)
        w->bad = true;
    /* width at most 1/128 of the lower bound, exact below 256 */
    if (lo < 256 ? hi != lo : (hi - lo + 1) * 128 > lo)
        w->bad = true;
    /* the count equals the number of samples in [lo, hi] */
    uint64_t in = 0;
    for (size_t i = 0; i < w->nsamples; i++)
        in += w->samples[i] >= lo && w->samples[i] <= hi;
    if (in != n)
        w->bad = true;
    w->next_lo = hi + 1;
    w->total += n;
    w->buckets++;
}

START_TEST(test_hist_foreach)
{
    enum { N = 3000 };
    uint64_t samples[N];
    sim_rng r;
    sim_rng_seed(&r, 7, "foreach");
    sim_stats *s = sim_stats_create();
    sim_hist *h = sim_stats_hist(s, "h", "ps", "");
    for (size_t i = 0; i < N; i++) {
        samples[i] = draw(&r, D_WIDE) >> sim_rng_below(&r, 50);
        sim_hist_add(h, samples[i]);
    }
    walk w = {.samples = samples, .nsamples = N};
    sim_hist_foreach(h, check_visit, &w);
    ck_assert(!w.bad);
    ck_assert_uint_eq(w.total, N);
    ck_assert_int_gt(w.buckets, 100);
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_hist_add_n_and_reset)
{
    sim_stats *s = sim_stats_create();
    sim_hist *a = sim_stats_hist(s, "a", "ps", "");
    sim_hist *b = sim_stats_hist(s, "b", "ps", "");
    for (int i = 0; i < 5; i++)
        sim_hist_add(a, 1234567);
    sim_hist_add(a, 9);
    sim_hist_add_n(b, 1234567, 5);
    sim_hist_add_n(b, 9, 1);
    ck_assert_uint_eq(sim_hist_count(a), sim_hist_count(b));
    ck_assert(sim_hist_mean(a) == sim_hist_mean(b));
    for (int pm = 0; pm <= 1000; pm += 50)
        ck_assert(sim_hist_quantile(a, pm / 1000.0) == sim_hist_quantile(b, pm / 1000.0));
    /* A sample alone in its bucket reports itself (clamped to min and max). */
    ck_assert(sim_hist_quantile(a, 1.0) == 1234567.0);

    sim_hist_reset(a);
    ck_assert_uint_eq(sim_hist_count(a), 0);
    uint64_t total = 0;
    sim_hist_foreach(a, count_visit, &total);
    ck_assert_uint_eq(total, 0);
    sim_hist_add(a, 42);
    ck_assert(sim_hist_quantile(a, 0.5) == 42.0);
    ck_assert_uint_eq(sim_hist_min(a), 42);
    sim_stats_destroy(s);
}
END_TEST

/* ---------------------------------------------------------------- text */

static double d_nan(const sim_stats *s, void *ctx)
{
    (void)s;
    (void)ctx;
    return NAN;
}

static sim_stats *text_fixture(uint64_t *pkts, double *ratio, double *tput)
{
    sim_stats *s = sim_stats_create();
    sim_stats_counter(s, "net.packets", pkts, "packets sent");
    sim_stats_value(s, "net.ratio", ratio, "a ratio");
    sim_hist *h = sim_stats_hist(s, "net.lat", "ps", "latency");
    sim_stats_derived(s, "net.nan", d_nan, NULL, "");
    sim_stats_metric(s, "tput", "Gb/s", d_const, tput, "throughput");
    sim_hist_add(h, 100);
    sim_hist_add(h, 200);
    sim_hist_add(h, 300);
    return s;
}

START_TEST(test_text_golden)
{
    uint64_t pkts = 42;
    double ratio = 0.25, tput = 1234567.0;
    sim_stats *s = text_fixture(&pkts, &ratio, &tput);
    char *a = write_text(s);
    static const char want[] =
        "net.packets             42  # packets sent\n"
        "net.ratio             0.25  # a ratio\n"
        "net.lat.count            3  # latency, samples\n"
        "net.lat.mean           200  # latency, mean (ps)\n"
        "net.lat.min            100  # latency, minimum (ps)\n"
        "net.lat.p50            200  # latency, median (ps)\n"
        "net.lat.p99            300  # latency, 99th percentile (ps)\n"
        "net.lat.p999           300  # latency, 99.9th percentile (ps)\n"
        "net.lat.max            300  # latency, maximum (ps)\n"
        "net.nan                nan\n"
        "tput           1.23457e+06  # throughput\n";
    ck_assert_str_eq(a, want);
    char *b = write_text(s);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_text_values)
{
    uint64_t big = UINT64_MAX;
    double vals[] = {-0.0, INFINITY, -INFINITY, 1.0 / 3.0, -2.5e-7, 1e300, 100000.0, 1e6};
    const char *want[] = {"0", "inf", "-inf", "0.333333", "-2.5e-07", "1e+300", "100000", "1e+06"};
    sim_stats *s = sim_stats_create();
    sim_stats_counter(s, "big", &big, "");
    char name[16];
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        snprintf(name, sizeof name, "v%zu", i);
        sim_stats_value(s, name, &vals[i], "");
    }
    char *t = write_text(s);
    ck_assert_ptr_nonnull(strstr(t, "big  18446744073709551615\n"));
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, " %s\n", want[i]);
        ck_assert_msg(strstr(t, line), "missing '%s' in:\n%s", want[i], t);
    }
    ck_assert_ptr_null(strstr(t, "-0\n"));
    free(t);
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_text_aligned)
{
    uint64_t pkts = 1;
    double ratio = 123.456, tput = 2;
    sim_stats *s = text_fixture(&pkts, &ratio, &tput);
    uint64_t c = 7;
    sim_stats_counter(s, "a.very.long.name.for.alignment", &c, "long");
    char *t = write_text(s);
    /* Every value column ends at the same offset: right before "  #" or '\n'. */
    long end = -1;
    int lines = 0;
    for (char *line = t; *line; lines++) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        char *hash = strstr(line, "  #");
        long e = (long)((hash && hash < nl ? hash : nl) - line);
        if (end < 0)
            end = e;
        ck_assert_int_eq(e, end);
        line = nl + 1;
    }
    ck_assert_int_eq(lines, 12);
    free(t);
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_text_locale)
{
    /* A comma-radix locale must not change the bytes (when the machine has one). */
    const char *locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE"};
    uint64_t pkts = 42;
    double ratio = 0.25, tput = 1234567.0;
    sim_stats *s = text_fixture(&pkts, &ratio, &tput);
    char *before = write_text(s);
    bool switched = false;
    for (size_t i = 0; i < sizeof locales / sizeof locales[0] && !switched; i++)
        switched = setlocale(LC_NUMERIC, locales[i]) != NULL;
    char *after = write_text(s);
    ck_assert_str_eq(before, after);
    ck_assert_ptr_nonnull(strstr(after, " 0.25  #"));
    setlocale(LC_NUMERIC, "C");
    free(before);
    free(after);
    sim_stats_destroy(s);
}
END_TEST

START_TEST(test_text_empty)
{
    sim_stats *s = sim_stats_create();
    char *t = write_text(s);
    ck_assert_str_eq(t, "");
    free(t);
    sim_stats_destroy(s);
    sim_stats_destroy(NULL);
}
END_TEST

/* ---------------------------------------------------------------- main */

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *reg = tcase_create("registry");
    tcase_add_test(reg, test_register_and_get);
    tcase_add_test(reg, test_hist_metrics);
    tcase_add_test(reg, test_hist_summary_names);
    tcase_add_test(reg, test_metric_order);
    tcase_add_test(reg, test_many_names);
    tcase_add_test(reg, test_foreach);
#ifndef NDEBUG
    tcase_add_test_raise_signal(reg, test_duplicate_asserts, SIGABRT);
    tcase_add_test_raise_signal(reg, test_duplicate_kind_asserts, SIGABRT);
    tcase_add_test_raise_signal(reg, test_duplicate_hist_line_asserts, SIGABRT);
    tcase_add_test_raise_signal(reg, test_duplicate_hist_after_line_asserts, SIGABRT);
#endif
    suite_add_tcase(s, reg);

    TCase *win = tcase_create("window");
    tcase_add_test(win, test_start_zeroes);
    tcase_add_test(win, test_sync_counts_when_due);
    tcase_add_test(win, test_elapsed);
    tcase_add_test(win, test_busy_window);
    tcase_add_test(win, test_interval_view);
    tcase_add_test(win, test_marks_survive_start);
    tcase_add_test(win, test_marks_order_and_labels);
    suite_add_tcase(s, win);

    TCase *hist = tcase_create("histogram");
    tcase_set_timeout(hist, 60);
    tcase_add_test(hist, test_hist_empty);
    tcase_add_test(hist, test_hist_empty_foreach);
    tcase_add_test(hist, test_hist_exact_small);
    tcase_add_test(hist, test_hist_quantile_definition);
    tcase_add_loop_test(hist, test_hist_accuracy, 0, D_N);
    tcase_add_test(hist, test_hist_huge);
    tcase_add_test(hist, test_hist_foreach);
    tcase_add_test(hist, test_hist_add_n_and_reset);
    suite_add_tcase(s, hist);

    TCase *text = tcase_create("text");
    tcase_add_test(text, test_text_golden);
    tcase_add_test(text, test_text_values);
    tcase_add_test(text, test_text_aligned);
    tcase_add_test(text, test_text_locale);
    tcase_add_test(text, test_text_empty);
    suite_add_tcase(s, text);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stats_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
