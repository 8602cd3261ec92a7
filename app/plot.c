/* [plot] sections: the public side (plot.h) over the parsed plots (plot_spec.c), their
 * metric checks (plot_check.c), data (plot_data.c) and gnuplot scripts
 * (plot_gnuplot.c); and plots.ini, the sections a results folder keeps. */
#include "app/plot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/plot_check.h"
#include "app/plot_data.h"
#include "app/plot_gnuplot.h"
#include "app/plot_spec.h"
#include "app/strlist.h"
#include "sim/alloc.h"
#include "sim/files.h"

struct app_plots {
    plot_spec *v;
    size_t n;
    size_t dropped;   /* lenient loading: specs refused and left out */
    app_strlist empty; /* lenient loading: why each plot that selects no point is left out */
};

void app_plots_destroy(app_plots *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->n; i++)
        app_plot_spec_free(&ps->v[i]);
    free(ps->v);
    app_strlist_free(&ps->empty);
    free(ps);
}

app_plots *app_plots_load(const app_workload *w, const sim_params *registry,
                          const app_manifest *m, const sim_params *point0, bool lenient,
                          sim_err *e)
{
    app_plots *ps = sim_xcalloc(1, sizeof *ps);
    size_t n = app_workload_plots(w);
    ps->v = sim_xcalloc(n, sizeof *ps->v);
    for (size_t i = 0; i < n; i++) {
        sim_err pe = {{0}};
        int rc = app_plot_spec_parse(w, i, registry, m, point0, &ps->v[ps->n], &pe);
        if (rc == 0) {
            ps->n++;
            continue;
        }
        if (!lenient) {
            ps->n++; /* freed with the rest */
            app_plots_destroy(ps);
            if (e)
                *e = pe;
            return NULL;
        }
        if (rc > 0) {
            app_strlist_push(&ps->empty, sim_xasprintf("%s; not drawn", pe.msg));
        } else {
            fprintf(stderr, "iovsim: %s; not drawn\n", pe.msg);
            ps->dropped++;
        }
        app_plot_spec_free(&ps->v[ps->n]);
        memset(&ps->v[ps->n], 0, sizeof ps->v[ps->n]);
    }
    return ps;
}

int app_plots_check_build(const app_plots *ps, const sim_model_ops *ops, const app_workload *w,
                          const sim_params *registry, sim_err *e)
{
    return app_plot_check_build(ps->v, ps->n, ops, w, registry, e);
}

/* Long values are cut at spaces into indented continuation lines: the workload reader
 * takes lines of up to 199 characters and joins continuations with a space. */
static void write_ini_value(FILE *f, const char *key, const char *value)
{
    size_t col = (size_t)fprintf(f, "%s =", key);
    const char *p = value;
    bool first = true;
    while (*p) {
        while (*p == ' ' || *p == '\n' || *p == '\t')
            p++;
        size_t len = strcspn(p, " \n\t");
        if (!len)
            break;
        if (!first && col + 1 + len > 180) {
            fputs("\n   ", f);
            col = 3;
        }
        fprintf(f, " %.*s", (int)len, p);
        col += 1 + len;
        first = false;
        p += len;
    }
    fputc('\n', f);
}

int app_plots_save(const app_workload *w, const char *dir, sim_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/plots.ini", dir);
    if (!app_workload_plots(w)) {
        if (unlink(path) < 0 && errno != ENOENT)
            return sim_err_set(e, "cannot remove %s: %s", path, strerror(errno));
        return 0;
    }
    char *text = NULL;
    size_t size = 0;
    FILE *f = sim_xopen_memstream(&text, &size);
    fprintf(f, "; The [plot] sections of %s (see 'iovsim help plot').\n"
               "; Edit them and redraw with: iovsim plot %s\n",
            app_workload_path(w) ? app_workload_path(w) : "the command line", dir);
    for (size_t i = 0; i < app_workload_plots(w); i++) {
        fprintf(f, "\n[plot %s]\n", app_workload_plot_name(w, i));
        for (size_t k = 0; k < app_workload_plot_keys(w, i); k++) {
            const app_setting *kv = app_workload_plot_key(w, i, k);
            write_ini_value(f, kv->name, kv->value);
        }
    }
    fclose(f);
    int rc = app_write_shared(path, text, e);
    free(text);
    return rc;
}

static int write_file(const char *path, void (*body)(const plot_data *, FILE *), const plot_data *d,
                      sim_err *e)
{
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    body(d, sf.f);
    return sim_file_commit(&sf, e);
}

/* Writes NAME.dat and NAME.gp; 1 when there is nothing to draw, 2 (*e says why, naming
 * the file and line) when a point's file it draws from cannot be read. */
static int prepare_plot(plot_data *d, const char *plots_dir, sim_err *e)
{
    int rc = app_plot_data_collect(d, e);
    if (rc != 0)
        return rc < 0 ? 2 : 1;
    char path[4300];
    snprintf(path, sizeof path, "%s/%s.dat", plots_dir, d->s->name);
    if (write_file(path, app_plot_data_write, d, e) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s.gp", plots_dir, d->s->name);
    if (write_file(path, app_plot_gnuplot_write, d, e) < 0)
        return -1;
    return 0;
}

static bool any_ok(const app_results *r)
{
    for (size_t i = 0; i < app_results_points(r); i++)
        if (app_results_ok(r, i))
            return true;
    return false;
}

int app_plots_draw_dir(const char *dir, const char *plot_file, const sim_params *registry,
                       const app_plot_opts *o, sim_err *e)
{
    char default_file[4200];
    if (!plot_file) {
        snprintf(default_file, sizeof default_file, "%s/plots.ini", dir);
        if (access(default_file, F_OK) != 0)
            return 0; /* the workload has no plots */
        plot_file = default_file;
    }
    app_results *r = app_results_load(dir, e);
    if (!r)
        return 2;
    int rc = 2;
    app_plots *ps = NULL;
    bool *skip = NULL;
    app_workload *pw = app_workload_load(plot_file, registry, e);
    if (!pw)
        goto out;
    /* One bad plot does not keep the others from being drawn; it is reported, and
     * the exit status says so. A plot with nothing to draw (its where selects no point)
     * is a note: the sweep that ran is not what its plot file was written for. */
    ps = app_plots_load(pw, registry, app_results_manifest(r), NULL, true, e);
    size_t refused = ps->dropped;
    for (size_t i = 0; i < ps->empty.n && !o->quiet; i++)
        fprintf(stderr, "iovsim: note: %s\n", ps->empty.v[i]);
    if (!ps->n) {
        rc = refused ? 2 : 0;
        goto out;
    }
    if (!any_ok(r)) {
        fprintf(stderr, "iovsim: no point of %s finished: no plot to draw\n", dir);
        rc = refused ? 2 : 1;
        goto out;
    }
    skip = sim_xcalloc(ps->n, sizeof *skip);
    refused += app_plot_check_results(ps->v, ps->n, r, registry, skip);

    char plots_dir[4200];
    snprintf(plots_dir, sizeof plots_dir, "%s/plots", dir);
    if (sim_mkdirs(plots_dir, e) < 0)
        goto out;
    char buf[4200];
    const char *wanted;
    const char *gnuplot = app_plot_gnuplot_find(buf, sizeof buf, &wanted);
    rc = 0;
    char drawn[2048] = "";
    size_t used = 0, n_drawn = 0;
    for (size_t i = 0; i < ps->n; i++) {
        if (skip[i])
            continue;
        plot_data d = {.s = &ps->v[i], .r = r, .reg = registry, .plot_file = plot_file};
        sim_err de = {{0}};
        int prc = prepare_plot(&d, plots_dir, &de);
        if (prc < 0) {
            app_plot_data_free(&d);
            if (e)
                *e = de;
            rc = 2;
            goto out;
        }
        if (prc == 2) {
            /* A damaged point file spoils this plot only; the exit status says so. */
            fprintf(stderr, "iovsim: plot '%s' (%s): %s; not drawn\n", d.s->name, d.s->where,
                    de.msg);
            refused++;
        } else if (prc == 1 && !o->quiet) {
            size_t matching = 0;
            for (size_t p = 0; p < app_results_points(r); p++)
                matching += app_plot_spec_selects(d.s, r, p);
            fprintf(stderr, "iovsim: note: plot '%s' (%s): %s; not drawn\n", d.s->name,
                    d.s->where,
                    matching ? "the finished points it selects lack its metrics"
                             : "no finished point matches its where");
        } else if (prc == 0 && gnuplot) {
            char err[2048];
            if (app_plot_gnuplot_run(gnuplot, plots_dir, d.s->name, err, sizeof err) < 0) {
                fprintf(stderr, "iovsim: plot '%s': gnuplot failed (log: %s/%s.log):\n%s",
                        d.s->name, plots_dir, d.s->name, err);
                rc = 1;
            } else if (used < sizeof drawn) {
                used += (size_t)snprintf(drawn + used, sizeof drawn - used, "%s%s",
                                         n_drawn++ ? ", " : "", d.s->name);
            }
        }
        app_plot_data_free(&d);
    }
    if (!gnuplot) {
        /* Once per process, however many folders it draws. */
        static bool told;
        if (!told)
            fprintf(stderr,
                    "iovsim: gnuplot (%s) is not installed, so no plot was drawn; results.csv is "
                    "complete and %s holds each plot's .gp and .dat. To draw them install "
                    "gnuplot (Debian: sudo apt-get install gnuplot-nox), then run: iovsim plot %s\n",
                    wanted, plots_dir, dir);
        told = true;
        rc = 1;
    } else if (n_drawn && !o->quiet) {
        printf("plots: %s/ (%s)\n", plots_dir, drawn);
    }
    if (refused)
        rc = 2;
out:
    free(skip);
    app_plots_destroy(ps);
    if (pw)
        app_workload_destroy(pw);
    app_results_destroy(r);
    return rc;
}
