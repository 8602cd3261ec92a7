/* NAME.gp from a plot's data, and gnuplot run on it. */
#include "app/plot_gnuplot.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/plot_templates.h"
#include "app/proc.h"
#include "config.h"
#include "sim/alloc.h"

/* gnuplot single-quoted strings are literal except '' for a quote. */
static void gp_string(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        if (*s != '\n')
            fputc(*s, f);
    }
    fputc('\'', f);
}

/* A unit from a metric's name, by the project's naming rule (`_gbps`, `_ns`, ...). */
static const char *metric_unit(const char *name)
{
    static const struct {
        const char *token, *unit;
    } units[] = {{"gbps", "Gb/s"}, {"mbps", "Mb/s"}, {"mpps", "Mpps"},   {"mtps", "M/s"},
                 {"ps", "ps"},     {"ns", "ns"},     {"us", "us"},       {"ms", "ms"},
                 {"bytes", "bytes"}, {"util", "fraction"}, {"utilization", "fraction"},
                 {"cycles", "cycles"}};
    const char *best = NULL;
    const char *p = name;
    while (*p) {
        size_t len = strcspn(p, "_.");
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].token) == len && !strncmp(p, units[i].token, len))
                best = best ? best : units[i].unit;
        p += len;
        if (*p)
            p++;
    }
    return best;
}

static char *name_with_unit(const char *name, const char *unit)
{
    return unit && *unit ? sim_xasprintf("%s (%s)", name, unit) : sim_xstrdup(name);
}

/* The unit a timeseries' time axis reads in: the samples' times are in us; a run of
 * seconds reads better in s (and of milliseconds in ms) than in millions of us. */
typedef struct time_axis {
    double per_unit_us;
    const char *unit;
} time_axis;

static time_axis time_axis_of(const plot_data *d)
{
    double hi = 0;
    if (d->s->kind == PLOT_TIMESERIES)
        for (size_t k = 0; k < d->c.n; k++)
            for (size_t i = 0; i < d->c.v[k].n; i++)
                if (isfinite(d->c.v[k].xs[i]))
                    hi = fmax(hi, d->c.v[k].xs[i]);
    if (hi >= 2e6)
        return (time_axis){1e6, "s"};
    if (hi >= 2e3)
        return (time_axis){1e3, "ms"};
    return (time_axis){1.0, "us"};
}

static char *default_xlabel(const plot_data *d, const char *cdf_unit, time_axis ta)
{
    const plot_spec *s = d->s;
    const sim_params *reg = d->reg;
    if (s->kind == PLOT_CDF)
        return name_with_unit(s->x, cdf_unit);
    if (s->kind == PLOT_TIMESERIES)
        return sim_xasprintf("simulated time (%s), end of each sample interval", ta.unit);
    if (s->x_metric)
        return name_with_unit(s->x, metric_unit(s->x));
    return name_with_unit(s->x, sim_params_unit(reg, s->x));
}

static char *default_ylabel(const plot_spec *s)
{
    if (s->kind == PLOT_CDF)
        return sim_xstrdup("fraction of samples at or below x");
    if (s->y.n == 1)
        return name_with_unit(s->y.v[0], metric_unit(s->y.v[0]));
    const char *u = metric_unit(s->y.v[0]);
    for (size_t k = 1; k < s->y.n && u; k++) {
        const char *v = metric_unit(s->y.v[k]);
        if (!v || strcmp(u, v))
            u = NULL;
    }
    return sim_xstrdup(u ? u : "value");
}

static bool all_powers_of_two(const plot_curves *c)
{
    for (size_t k = 0; k < c->n; k++)
        for (size_t i = 0; i < c->v[k].n; i++) {
            double x = c->v[k].xs[i];
            if (x < 1 || x != floor(x) || ((uint64_t)x & ((uint64_t)x - 1)))
                return false;
        }
    return true;
}

/* The distinct x values of the curves in increasing order (at most `max`); returns
 * how many there are (more than max: too many to label one by one). */
static size_t distinct_x(const plot_curves *c, double *out, size_t max)
{
    size_t n = 0;
    for (size_t k = 0; k < c->n; k++)
        for (size_t i = 0; i < c->v[k].n; i++) {
            double x = c->v[k].xs[i];
            bool seen = false;
            for (size_t j = 0; j < n && j < max && !seen; j++)
                seen = out[j] == x;
            if (seen)
                continue;
            if (n < max) {
                size_t j = n;
                while (j > 0 && out[j - 1] > x) {
                    out[j] = out[j - 1];
                    j--;
                }
                out[j] = x;
            }
            n++;
        }
    return n;
}

static bool all_nonnegative(const plot_curves *c, const plot_spec *s, const double *hvals)
{
    for (size_t k = 0; k < c->n; k++)
        for (size_t i = 0; i < c->v[k].n; i++)
            if (c->v[k].ys[i] < 0)
                return false;
    for (size_t k = 0; k < s->n_hlines; k++)
        if (hvals[k] < 0)
            return false;
    return true;
}

/* Where x sits across the axis, 0 to 1 (log or linear). */
static double axis_pos(double x, double lo, double hi, bool log_axis)
{
    return log_axis ? (log(x) - log(lo)) / (log(hi) - log(lo)) : (x - lo) / (hi - lo);
}

/* A log y axis rounds out to whole decades, which can leave most of the height
 * empty: hug the data (and the reference lines) instead. */
static void write_log_yrange(const plot_data *d, FILE *f)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < d->c.n; k++)
        for (size_t i = 0; i < d->c.v[k].n; i++) {
            double y = d->c.v[k].ys[i];
            if (isfinite(y) && y > 0) {
                lo = fmin(lo, y);
                hi = fmax(hi, y);
            }
        }
    for (size_t k = 0; k < d->s->n_hlines; k++)
        if (d->hok[k] && d->hvals[k] > 0) {
            lo = fmin(lo, d->hvals[k]);
            hi = fmax(hi, d->hvals[k]);
        }
    if (!(lo <= hi))
        return;
    double r = hi > lo ? pow(hi / lo, 0.06) : 2.0;
    fputs("set yrange [", f);
    app_plot_data_number(f, lo / r);
    fputc(':', f);
    app_plot_data_number(f, hi * r);
    fputs("]\n", f);
}

/* The x range hugs the data with a small margin (gnuplot would round it out to whole
 * tics, which on a log axis can waste half the width), and a sweep's own x values
 * become the tics when there are few; a label that would touch its neighbour is left
 * off (its tic stays). */
static void write_xaxis(const plot_data *d, double per, FILE *f)
{
    const plot_spec *s = d->s;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < d->c.n; k++)
        for (size_t i = 0; i < d->c.v[k].n; i++) {
            double x = d->c.v[k].xs[i];
            if (!isfinite(x) || (s->logx && x <= 0))
                continue;
            lo = fmin(lo, x);
            hi = fmax(hi, x);
        }
    if (!(lo <= hi))
        return;
    /* A mark before the first row (in warm-up) widens the axis to show it. */
    for (size_t k = 0; k < d->marks.n; k++)
        if (!d->marks.v[k].late)
            lo = fmin(lo, d->marks.v[k].t_us);
    if (s->logx) {
        double r = hi > lo ? pow(hi / lo, 0.04) : 1.5;
        lo /= r;
        hi *= r;
    } else {
        double pad = hi > lo ? 0.04 * (hi - lo) : (lo != 0 ? 0.1 * fabs(lo) : 1.0);
        lo -= pad;
        hi += pad;
    }
    fputs("set xrange [", f);
    app_plot_data_number(f, lo / per);
    fputc(':', f);
    app_plot_data_number(f, hi / per);
    fputs("]\n", f);

    double xs[13];
    size_t nx = s->kind == PLOT_LINES && !s->x_metric ? distinct_x(&d->c, xs, 13) : 99;
    if (nx < 2 || nx > 12)
        return;
    /* Byte sizes in KiB and MiB when every value allows it (a mix reads worse). */
    bool human = app_plot_data_param_bytes(d->reg, s->x);
    char label[64];
    for (size_t i = 0; i < nx && human; i++)
        human = app_plot_data_bytes_text(xs[i], label, sizeof label);
    /* Plot area and digit width in pixels at the 11 pt font, near enough to space
     * labels. */
    double area = (double)s->width - 140.0, char_px = 8.0, last_px = -1e9, last_w = 0;
    fputs("set xtics (", f);
    for (size_t i = 0; i < nx; i++) {
        if (!human || !app_plot_data_bytes_text(xs[i], label, sizeof label))
            snprintf(label, sizeof label, "%.10g", xs[i]);
        double w = (double)strlen(label) * char_px;
        double px = axis_pos(xs[i], lo, hi, s->logx) * area;
        bool show = px - last_px >= (w + last_w) / 2.0 + 8.0;
        if (i)
            fputs(", ", f);
        fprintf(f, "'%s' ", show ? label : "");
        app_plot_data_number(f, xs[i]);
        if (show) {
            last_px = px;
            last_w = w;
        }
    }
    fputs(")\n", f);
}

/* How close two marks may be, in x, to share one label: 1.5% of the data's span, about
 * a label's height at the default size, so labels never print over each other. */
static double marks_near_us(const plot_data *d)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < d->c.n; k++)
        for (size_t i = 0; i < d->c.v[k].n; i++)
            if (isfinite(d->c.v[k].xs[i])) {
                lo = fmin(lo, d->c.v[k].xs[i]);
                hi = fmax(hi, d->c.v[k].xs[i]);
            }
    return lo < hi ? 0.015 * (hi - lo) : 0.0;
}

/* A timeseries' marks (plots/marks.gp): a dashed line at each time, the labels of marks
 * at one time, or close enough that their labels would overlap (marks_near_us), joined
 * on one line at the first's time. A mark after its point's run ended did not happen in
 * it and would stretch the axis: it is listed, not drawn. */
static void write_marks(const plot_data *d, double per, FILE *f)
{
    if (!d->marks.n)
        return;
    fputc('\n', f);
    fputs(app_plot_template_marks, f);
    double near_us = marks_near_us(d);
    for (size_t k = 0, next; k < d->marks.n; k = next) {
        double t_us = d->marks.v[k].t_us, drawn_us = NAN;
        char *text = NULL;
        size_t len = 0;
        FILE *t = sim_xopen_memstream(&text, &len);
        bool labelled = false;
        for (next = k; next < d->marks.n && d->marks.v[next].t_us - t_us <= near_us; next++) {
            const plot_mark *m = &d->marks.v[next];
            if (m->late) {
                fputs("# Not drawn, after its point's run ended: ", f);
                gp_string(f, m->label);
                fputs(" at ", f);
                app_plot_data_number(f, m->t_us);
                fputs(" us\n", f);
                continue;
            }
            if (!(m->t_us == drawn_us)) {
                drawn_us = m->t_us;
                fputs("set arrow from ", f);
                app_plot_data_number(f, m->t_us / per);
                fputs(", graph 0 to ", f);
                app_plot_data_number(f, m->t_us / per);
                fputs(", graph 1 as 100\n", f);
            }
            if (*m->label) {
                fprintf(t, "%s%s", labelled ? ", " : "", m->label);
                labelled = true;
            }
        }
        fclose(t);
        if (labelled) {
            fputs("set label ", f);
            gp_string(f, text);
            fputs(" at ", f);
            app_plot_data_number(f, t_us / per);
            fputs(", graph 0.99 rotate by 90 right offset -0.7, 0 front font mark_font "
                  "textcolor rgb mark_colour\n",
                  f);
        }
        free(text);
    }
}

static void write_terminal(FILE *f, const plot_spec *s, bool png)
{
    if (png)
        fprintf(f, "set terminal pngcairo size %u,%u font 'Sans,11' noenhanced\n", s->width,
                s->height);
    else
        fprintf(f, "set terminal svg size %u,%u font 'Sans,11' noenhanced background '#ffffff'\n",
                s->width, s->height);
    fprintf(f, "set output '%s.%s'\n", s->name, png ? "png" : "svg");
}

static const char *kind_template(plot_kind k)
{
    switch (k) {
    case PLOT_BARS: return app_plot_template_bars;
    case PLOT_STACKED: return app_plot_template_stacked;
    case PLOT_CDF: return app_plot_template_cdf;
    default: return app_plot_template_lines;
    }
}

void app_plot_gnuplot_write(const plot_data *d, FILE *f)
{
    const plot_spec *s = d->s;
    fprintf(f, "# Plot '%s' (%s), drawn by iovsim from the results in %s.\n", s->name, s->where,
            app_results_dir(d->r));
    fprintf(f, "# Edit and redraw here: gnuplot %s.gp   (data: %s.dat)\n\n", s->name, s->name);
    fputs(app_plot_template_common, f);
    fputc('\n', f);
    fputs(kind_template(s->kind), f);
    fputc('\n', f);

    char *title = sim_xstrdup(s->title ? s->title : s->name);
    /* The time axis's unit, for a timeseries: its label, range, marks and columns. */
    time_axis ta = time_axis_of(d);
    char *xl = s->xlabel ? sim_xstrdup(s->xlabel) : default_xlabel(d, d->cdf_unit, ta);
    char *yl = s->ylabel ? sim_xstrdup(s->ylabel) : default_ylabel(s);
    fputs("set title ", f);
    gp_string(f, title);
    fputs("\nset xlabel ", f);
    gp_string(f, xl);
    fputs("\nset ylabel ", f);
    gp_string(f, yl);
    fputc('\n', f);
    free(title);
    free(xl);
    free(yl);

    if (s->kind == PLOT_LINES || s->kind == PLOT_CDF || s->kind == PLOT_TIMESERIES) {
        if (s->logx)
            fprintf(f, "set logscale x %d\n", all_powers_of_two(&d->c) ? 2 : 10);
        if (s->logy && s->kind != PLOT_CDF)
            fputs("set logscale y 10\n", f);
        if (s->kind == PLOT_TIMESERIES && !s->logy && all_nonnegative(&d->c, s, d->hvals))
            fputs("set yrange [0:*]\n", f);
        if (s->logy && s->kind == PLOT_CDF)
            fputs("set logscale y 10\nset yrange [*:1]\n", f);
        write_xaxis(d, ta.per_unit_us, f);
        if (s->kind == PLOT_LINES && !s->logy && all_nonnegative(&d->c, s, d->hvals))
            fputs("set yrange [0:*]\n", f);
        if ((s->kind == PLOT_LINES || s->kind == PLOT_TIMESERIES) && s->logy)
            write_log_yrange(d, f);
        write_marks(d, ta.per_unit_us, f);
    } else {
        /* Bars sit at 0 .. n-1; gnuplot's own range leaves a whole empty slot each side. */
        fprintf(f, "set xrange [-0.6:%g]\n", (double)d->cats.n - 0.4);
    }
    fputc('\n', f);

    bool first = true;
    for (int fmt = 0; fmt < 2; fmt++) {
        bool png = fmt == 0;
        if (png ? !s->png : !s->svg)
            continue;
        write_terminal(f, s, png);
        if (!first) {
            fputs("replot\n", f);
            continue;
        }
        first = false;
        fputs("plot ", f);
        for (size_t k = 0; k < d->c.n; k++) {
            if (k)
                fputs(", \\\n     ", f);
            if (k == 0)
                fprintf(f, "'%s.dat'", s->name);
            else
                fputs("''", f);
            switch (s->kind) {
            case PLOT_BARS:
            case PLOT_STACKED:
                fprintf(f, " using %zu%s lt %zu title ", k + 2, k == 0 ? ":xtic(1)" : "", k + 1);
                break;
            case PLOT_CDF:
                fprintf(f, " index %zu using 1:2 with steps lt %zu title ", k, k + 1);
                break;
            case PLOT_TIMESERIES:
                if (ta.per_unit_us == 1.0)
                    fprintf(f, " index %zu using 1:2 with lines lt %zu title ", k, k + 1);
                else
                    fprintf(f, " index %zu using ($1/%g):2 with lines lt %zu title ", k,
                            ta.per_unit_us, k + 1);
                break;
            default:
                fprintf(f, " index %zu using 1:2 with linespoints lt %zu title ", k, k + 1);
                break;
            }
            gp_string(f, d->c.v[k].title);
        }
        for (size_t k = 0; k < s->n_hlines; k++) {
            if (!d->hok[k])
                continue;
            fputs(", \\\n     ", f);
            app_plot_data_number(f, d->hvals[k]);
            fprintf(f, " with lines ls %zu title ", 100 + (k % 3));
            gp_string(f, s->hlines[k].label);
        }
        fputc('\n', f);
    }
    fputs("unset output\n", f);
}

static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

const char *app_plot_gnuplot_find(char *buf, size_t len, const char **wanted)
{
    const char *env = getenv("IOVSIM_GNUPLOT");
    const char *prog = env && *env ? env : IOVSIM_GNUPLOT;
    *wanted = prog;
    if (strchr(prog, '/')) {
        if (executable(prog))
            return prog;
        if (env && *env)
            return NULL; /* the user asked for this one */
        prog = "gnuplot";
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, len, "%.*s/%s", (int)n, path, prog);
        if (n && executable(buf))
            return buf;
        path += n;
        if (*path)
            path++;
    }
    return NULL;
}

int app_plot_gnuplot_run(const char *prog, const char *dir, const char *name, char *err,
                         size_t len)
{
    char log[4300];
    snprintf(log, sizeof log, "%s/%s.log", dir, name);
    pid_t pid = app_proc_fork();
    if (pid < 0) {
        snprintf(err, len, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* The log first: its path may be relative to the folder we leave. */
        if (!freopen("/dev/null", "w", stdout) || !freopen(log, "w", stderr))
            _exit(126);
        if (chdir(dir) < 0) {
            fprintf(stderr, "cannot enter %s: %s\n", dir, strerror(errno));
            _exit(126);
        }
        char script[4200];
        snprintf(script, sizeof script, "%s.gp", name);
        execl(prog, prog, script, (char *)NULL);
        _exit(127);
    }
    int status;
    if (app_proc_wait(pid, &status) < 0) {
        snprintf(err, len, "waiting for gnuplot: %s\n", strerror(errno));
        return -1;
    }
    int rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
    err[0] = '\0';
    FILE *f = fopen(log, "r");
    if (f) {
        size_t n = fread(err, 1, len - 1, f);
        err[n] = '\0';
        fclose(f);
    }
    /* gnuplot warns on stderr even when it draws; keep the log only when it failed. */
    if (rc == 0)
        unlink(log);
    else if (!err[0])
        snprintf(err, len, "gnuplot exited with status %d\n",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return rc;
}
