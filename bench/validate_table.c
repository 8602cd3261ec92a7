#include "bench/validate_table.h"

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/workload.h"
#include "bench/bench_point.h"
#include "sim/run.h"
#include "systems/kinds.h"

static const char *prog = "validate";
static const char *label;
static int rows, failures, context_rows;

void val_init(const char *program) { prog = program; }

sim_params *val_registry(void) { return bench_registry(&systems_ops); }

void val_set(sim_params *p, const char *name, const char *value)
{
    if (bench_set(p, name, value) < 0)
        exit(2);
}

void val_platform_args(int argc, char **argv, const char *def, const char *usage, char *out,
                       size_t n)
{
    const char *top = getenv("TOP_SRCDIR");
    snprintf(out, n, "%s%s%s", top ? top : "", top ? "/" : "", def);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--platform") && i + 1 < argc) {
            snprintf(out, n, "%s", argv[++i]);
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts(usage);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown argument '%s'\n", prog, argv[i]);
            exit(2);
        }
    }
}

void val_load(sim_params *p, const char *path)
{
    sim_err e = {{0}};
    app_workload *w = app_workload_load(path, p, &e);
    if (!w || app_workload_apply(w, 0, p, &e) < 0) {
        fprintf(stderr, "%s: %s\n", prog, e.msg);
        exit(2);
    }
    app_workload_destroy(w);
}

/* Check and run p, writing the point's files into dir when it is not NULL. */
static void run_point(sim_params *p, const char *dir, sim_point_result *r)
{
    sim_err e = {{0}};
    if (systems_ops.check(p, &e) < 0) {
        fprintf(stderr, "%s: bad configuration: %s\n", prog, e.msg);
        exit(2);
    }
    if (sim_run_point(&systems_ops, p, dir, r, &e) < 0) {
        fprintf(stderr, "%s: run failed: %s\n", prog, e.msg);
        exit(2);
    }
}

static double metric_of(const sim_point_result *r, const char *name)
{
    for (size_t i = 0; i < r->metrics; i++)
        if (!strcmp(r->metric_names[i], name))
            return r->metric_values[i];
    return NAN;
}

double val_run_metric(sim_params *p, const char *metric)
{
    sim_point_result r;
    run_point(p, NULL, &r);
    double v = metric_of(&r, metric);
    sim_point_result_free(&r);
    return v;
}

double val_run_metric_once(sim_params *p, const char *metric)
{
    double v = val_run_metric(p, metric);
    sim_params_destroy(p);
    return v;
}

void val_set_uint(sim_params *p, const char *name, unsigned value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%u", value);
    val_set(p, name, buf);
}

void val_set_double(sim_params *p, const char *name, double value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.17g", value); /* every digit: the value as given */
    val_set(p, name, buf);
}

void val_set_window(sim_params *p, double warmup_us, double duration_us)
{
    val_set_double(p, "run.warmup_us", warmup_us);
    val_set_double(p, "run.duration_us", duration_us);
}

/* The statistic `name` of a stats.txt, whose lines are "name value  # description";
 * NAN when it has none. */
static double stats_file_value(const char *path, const char *name)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NAN;
    char line[1024];
    double v = NAN;
    size_t n = strlen(name);
    while (isnan(v) && fgets(line, sizeof line, f))
        if (!strncmp(line, name, n) && (line[n] == ' ' || line[n] == '\t'))
            v = strtod(line + n, NULL);
    fclose(f);
    return v;
}

/* Remove a point's folder and the files in it (a point writes no sub-folders). */
static void remove_point_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        char path[1024];
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                remove(path);
            }
        closedir(d);
    }
    remove(dir);
}

void val_run_values(sim_params *p, size_t n, const char *const *names, double *values)
{
    char dir[] = "/tmp/iovsim-validate.XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "%s: cannot make a folder for the point's statistics\n", prog);
        exit(2);
    }
    sim_point_result r;
    run_point(p, dir, &r);
    char stats[sizeof dir + 16];
    snprintf(stats, sizeof stats, "%s/stats.txt", dir);
    for (size_t i = 0; i < n; i++) {
        values[i] = metric_of(&r, names[i]);
        if (isnan(values[i]))
            values[i] = stats_file_value(stats, names[i]);
    }
    sim_point_result_free(&r);
    remove_point_dir(dir);
}

void val_label(const char *l) { label = l; }

/* Print a row: the label column when there is one, then the rest. */
static void print_line(const char *what, const char *reference, double simulated, double dev,
                       const char *verdict)
{
    if (label)
        printf("%-12s %-50s %13s %10.3f %8.2f%%  %s\n", label, what, reference, simulated,
               100.0 * dev, verdict);
    else
        printf("%-50s %10s %10.2f %8.2f%%  %s\n", what, reference, simulated, 100.0 * dev, verdict);
}

/* Count a row and print it. */
static void print_row(const char *what, const char *reference, double simulated, double dev,
                      bool ok)
{
    rows++;
    failures += !ok;
    print_line(what, reference, simulated, dev, ok ? "pass" : "FAIL");
}

void val_row(const char *what, double reference, double simulated, double tolerance)
{
    double dev = (simulated - reference) / reference;
    char ref[32];
    snprintf(ref, sizeof ref, label ? "%.4g" : "%.2f", reference);
    print_row(what, ref, simulated, dev, fabs(dev) <= tolerance);
}

void val_row_range(const char *what, double low, double high, double simulated)
{
    double dev = simulated < low    ? (simulated - low) / low
                 : simulated > high ? (simulated - high) / high
                                    : 0.0;
    char ref[32];
    snprintf(ref, sizeof ref, "%.4g-%.4g", low, high);
    print_row(what, ref, simulated, dev, simulated >= low && simulated <= high);
}

void val_row_at_least(const char *what, double low, double simulated)
{
    char ref[32];
    snprintf(ref, sizeof ref, ">= %.4g", low);
    print_row(what, ref, simulated, simulated < low ? (simulated - low) / low : 0.0,
              simulated >= low);
}

void val_row_context(const char *what, double reference, double simulated)
{
    char ref[32];
    snprintf(ref, sizeof ref, label ? "%.4g" : "%.2f", reference);
    context_rows++;
    print_line(what, ref, simulated, (simulated - reference) / reference, "-");
}

int val_finish(void)
{
    printf("%d checks, %d passed, %d failed", rows, rows - failures, failures);
    if (context_rows)
        printf("; %d context rows, not checked", context_rows);
    printf("\n");
    return failures ? 1 : 0;
}
