/* The metric and histogram names of the plots against those points register: a dry
 * build in a forked process before a sweep, the results folder before drawing. */
#include "app/plot_check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/proc.h"
#include "app/strlist.h"
#include "sim/alloc.h"
#include "sim/stats.h"

typedef struct name_ref {
    const char *name;
    const plot_spec *plot;
    const char *where;
    bool hist;
    bool found;
} name_ref;

typedef struct name_refs {
    name_ref *v;
    size_t n;
} name_refs;

static void ref_add(name_refs *r, const char *name, const plot_spec *s, const char *where,
                    bool hist)
{
    r->v = sim_xrealloc(r->v, (r->n + 1) * sizeof *r->v);
    r->v[r->n++] = (name_ref){name, s, where, hist, false};
}

static name_refs collect_refs(const plot_spec *v, size_t n)
{
    name_refs r = {0};
    for (size_t i = 0; i < n; i++) {
        const plot_spec *s = &v[i];
        if (s->kind == PLOT_TIMESERIES && !s->y_metrics)
            continue; /* columns of timeseries.csv: checked against run.sample */
        if (s->kind == PLOT_CDF)
            ref_add(&r, s->x, s, s->x_where, true);
        else if (s->x_metric)
            ref_add(&r, s->x, s, s->x_where, false);
        for (size_t k = 0; k < s->y.n; k++)
            ref_add(&r, s->y.v[k], s, s->y_where, false);
        for (size_t k = 0; k < s->n_hlines; k++)
            if (s->hlines[k].metric)
                ref_add(&r, s->hlines[k].metric, s, s->hline_where, false);
    }
    return r;
}

typedef struct known_names {
    app_strlist metrics, hists;
} known_names;

static void known_free(known_names *k)
{
    app_strlist_free(&k->metrics);
    app_strlist_free(&k->hists);
}

static bool refs_all_found(name_refs *r, const known_names *k)
{
    bool all = true;
    for (size_t i = 0; i < r->n; i++) {
        name_ref *f = &r->v[i];
        if (!f->found)
            f->found = app_strlist_has(f->hist ? &k->hists : &k->metrics, f->name);
        all = all && f->found;
    }
    return all;
}

static void list_text(const app_strlist *l, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", l->v[i]);
    if (!l->n)
        snprintf(buf, len, "none");
}

/* The error for the first reference no point provides. */
static int missing_ref(const name_refs *r, const known_names *k, const sim_params *reg,
                       const char *context, sim_err *e)
{
    for (size_t i = 0; i < r->n; i++) {
        const name_ref *f = &r->v[i];
        if (f->found)
            continue;
        const app_strlist *names = f->hist ? &k->hists : &k->metrics;
        const char *near = app_plot_closest(f->name, (const char *const *)names->v, names->n);
        const char *pnear = f->hist ? NULL : sim_params_suggest(reg, f->name);
        char all[600];
        list_text(names, all, sizeof all);
        if (near)
            return sim_err_set(e, "%s: plot '%s': no %s '%s' (did you mean '%s'?)", f->where,
                               f->plot->name, f->hist ? "histogram" : "metric", f->name, near);
        if (pnear && !f->hist && f->plot->x_metric && f->name == f->plot->x)
            return sim_err_set(e, "%s: plot '%s': x = %s is neither a parameter (did you mean "
                                  "'%s'?) nor a metric",
                               f->where, f->plot->name, f->name, pnear);
        return sim_err_set(e, "%s: plot '%s': no %s '%s'; %s: %s", f->where, f->plot->name,
                           f->hist ? "histogram" : "metric", f->name, context, all);
    }
    return 0;
}

/* The child's side: build points in order until every name is seen, reporting what
 * each registers. Lines: "p N" (building point N), "m NAME", "h NAME", "e N MESSAGE". */
typedef struct child_ctx {
    FILE *out;
    known_names *k;
} child_ctx;

static void child_hist(const char *name, const char *unit, const sim_hist *h, void *ctx)
{
    (void)unit;
    (void)h;
    child_ctx *c = ctx;
    if (!app_strlist_has(&c->k->hists, name)) {
        app_strlist_add(&c->k->hists, name);
        fprintf(c->out, "h\t%s\n", name);
    }
}

static void child_names(const sim_stats *st, void *ctx)
{
    child_ctx *c = ctx;
    for (size_t m = 0; m < sim_stats_metrics(st); m++) {
        const char *name = sim_stats_metric_name(st, m);
        if (!app_strlist_has(&c->k->metrics, name)) {
            app_strlist_add(&c->k->metrics, name);
            fprintf(c->out, "m\t%s\n", name);
        }
    }
    sim_stats_foreach_hist(st, child_hist, c);
}

static void build_child(name_refs *r, const sim_model_ops *ops, const app_workload *w,
                        const sim_params *reg, FILE *out)
{
    known_names k = {0};
    child_ctx c = {out, &k};
    for (size_t i = 0; i < app_workload_points(w); i++) {
        fprintf(out, "p\t%zu\n", i);
        fflush(out);
        sim_err e = {{0}};
        sim_params *q = sim_params_clone(reg);
        if (app_workload_apply(w, i, q, &e) == 0 &&
            sim_run_dry_build(ops, q, child_names, &c, &e) < 0) {
            for (char *t = e.msg; *t; t++)
                if (*t == '\n' || *t == '\t')
                    *t = ' ';
            fprintf(out, "e\t%zu\t%s\n", i, e.msg);
        }
        sim_params_destroy(q);
        if (refs_all_found(r, &k))
            break;
    }
    known_free(&k);
    fflush(out);
}

int app_plot_check_build(const plot_spec *v, size_t n, const sim_model_ops *ops,
                         const app_workload *w, const sim_params *registry, sim_err *e)
{
    name_refs r = collect_refs(v, n);
    if (!r.n) {
        free(r.v);
        return 0;
    }
    int fds[2];
    if (pipe(fds) < 0) {
        free(r.v);
        return sim_err_set(e, "checking the plots: pipe: %s", strerror(errno));
    }
    pid_t pid = app_proc_fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        free(r.v);
        return sim_err_set(e, "checking the plots: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        FILE *out = fdopen(fds[1], "w");
        if (out)
            build_child(&r, ops, w, registry, out);
        _exit(0);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    known_names k = {0};
    char *line = NULL, *build_error = NULL;
    size_t cap = 0, last_point = 0;
    while (in && getline(&line, &cap, in) >= 0) {
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "p\t", 2))
            last_point = strtoul(line + 2, NULL, 10);
        else if (!strncmp(line, "m\t", 2))
            app_strlist_add(&k.metrics, line + 2);
        else if (!strncmp(line, "h\t", 2))
            app_strlist_add(&k.hists, line + 2);
        else if (!strncmp(line, "e\t", 2) && !build_error)
            build_error = sim_xstrdup(line + 2);
    }
    free(line);
    if (in)
        fclose(in);
    else
        close(fds[0]);
    int status = 0;
    int rc = 0;
    if (app_proc_wait(pid, &status) < 0) {
        rc = sim_err_set(e, "checking the plots' metrics: waiting for the check: %s",
                         strerror(errno));
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = sim_err_set(e, "checking the plots' metrics: building point %zu crashed (%s)",
                         last_point,
                         WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit status");
    } else if (!refs_all_found(&r, &k)) {
        char context[1400];
        if (build_error) {
            char *tab = strchr(build_error, '\t');
            snprintf(context, sizeof context, "(point %.*s could not be built: %s) the points' %s",
                     tab ? (int)(tab - build_error) : 0, build_error, tab ? tab + 1 : "",
                     "names are");
        } else {
            snprintf(context, sizeof context, "the points register");
        }
        rc = missing_ref(&r, &k, registry, context, e);
    }
    free(build_error);
    known_free(&k);
    free(r.v);
    return rc;
}

size_t app_plot_check_results(const plot_spec *v, size_t n, const app_results *r,
                              const sim_params *reg, bool *skip)
{
    known_names k = {0};
    for (size_t i = 0; i < app_results_metric_names(r); i++)
        app_strlist_add(&k.metrics, app_results_metric_name(r, i));
    for (size_t i = 0; i < app_results_points(r); i++) {
        if (!app_results_ok(r, i))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/hists.txt", app_results_point_dir(r, i));
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        char line[1024];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "hist\t", 5))
                continue;
            line[5 + strcspn(line + 5, "\t\n")] = '\0';
            app_strlist_add(&k.hists, line + 5);
        }
        fclose(f);
    }
    size_t skipped = 0;
    for (size_t i = 0; i < n; i++) {
        name_refs refs = collect_refs(&v[i], 1);
        sim_err e = {{0}};
        if (!refs_all_found(&refs, &k)) {
            missing_ref(&refs, &k, reg, "the results hold", &e);
            fprintf(stderr, "iovsim: %s; not drawn\n", e.msg);
            skip[i] = true;
            skipped++;
        }
        free(refs.v);
    }
    known_free(&k);
    return skipped;
}
