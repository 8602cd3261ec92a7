/* A workload's contents: fixed settings, sweep axes and the points they give (less the
 * excluded ones), [plot] keys, and the command line's --set and --sweep. The files are
 * read by workload_ini.c, axis values parsed by axis.c. */
#include "app/workload.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/axis.h"
#include "app/strlist.h"
#include "app/workload_impl.h"
#include "sim/alloc.h"

/* A sweep of more points than this is a typo (a wrong unit, a missing zero in a
 * range's step), not a plan: refused when the axis is read, before anything per point
 * is allocated. (A million points of a short workload already take days of CPU.) */
#define MAX_POINTS 1000000u

/* Fixed settings and plot keys remember the file they came from: within one file a
 * clash is an error, across files the later one wins. */
#define FROM_COMMAND_LINE (-1)

typedef struct item {
    app_setting s; /* strings owned */
    int file;
} item;

typedef struct sweep_axis {
    char *name;
    char *where;
    char *over; /* see app_workload_axis_over */
    char **values;
    size_t n;
    int file;
} sweep_axis;

typedef struct plot {
    char *name;
    char *where;
    item *keys;
    size_t n;
    int file;
} plot;

/* [sweep] zip (or --zip): axes that take their values together, the i-th of each at
 * once, as one dimension of the product. The names are checked parameters; that each
 * is swept, with as many values as the others, is checked once everything is read
 * (app_workload_check), since the zip may come before its axes. */
typedef struct zip_group {
    char **names;
    size_t n;
    char *where;
    int file;
} zip_group;

/* [sweep] exclude: a point is left out when every condition of one rule holds. */
typedef struct excl_cond {
    char *name, *value;
    bool neq;
} excl_cond;

typedef struct excl_rule {
    excl_cond *c;
    size_t n;
} excl_rule;

struct app_workload {
    char *path;
    char *base;
    item *settings;
    size_t n_settings;
    sweep_axis *axes;
    size_t n_axes;
    plot *plots;
    size_t n_plots;
    int n_files;
    char **file_path, **file_at; /* per file: opened as, included at (NULL: top) */
    excl_rule *excl;
    size_t n_excl;
    char *excl_text, *excl_where;
    size_t *kept; /* with exclusions: the product's index of each point */
    size_t n_kept;
    zip_group *zips;
    size_t n_zips;
    size_t *stride; /* per axis (update_strides) */
    size_t total;   /* the product's points (update_points) */
};

/* ---- small helpers ---- */

/* Grows *v (of elements of `size`) to hold n + 1 elements; arrays here stay small, so
 * growing by one keeps the code simple at no measurable cost. */
static void *grow(void *v, size_t n, size_t size)
{
    return sim_xrealloc(v, (n + 1) * size);
}

static void free_item(item *it)
{
    free((void *)it->s.name);
    free((void *)it->s.value);
    free((void *)it->s.where);
    free((void *)it->s.over);
}

static item make_item(const char *name, const char *value, const char *where, int file)
{
    return (item){{sim_xstrdup(name), sim_xstrdup(value), sim_xstrdup(where), NULL}, file};
}

static void free_axis(sweep_axis *a)
{
    free(a->name);
    free(a->where);
    free(a->over);
    for (size_t i = 0; i < a->n; i++)
        free(a->values[i]);
    free(a->values);
}

static void free_plot(plot *pl)
{
    free(pl->name);
    free(pl->where);
    for (size_t i = 0; i < pl->n; i++)
        free_item(&pl->keys[i]);
    free(pl->keys);
}

/* ---- the workload's contents ---- */

static app_workload *new_workload(const char *path)
{
    app_workload *w = sim_xmalloc(sizeof *w);
    *w = (app_workload){0};
    w->path = path ? sim_xstrdup(path) : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    const char *name = slash ? slash + 1 : path ? path : "";
    const char *dot = strrchr(name, '.');
    w->base = dot && dot != name ? sim_xstrndup(name, (size_t)(dot - name)) : sim_xstrdup(name);
    w->total = 1;
    return w;
}

static void free_excl(app_workload *w)
{
    for (size_t r = 0; r < w->n_excl; r++) {
        for (size_t i = 0; i < w->excl[r].n; i++) {
            free(w->excl[r].c[i].name);
            free(w->excl[r].c[i].value);
        }
        free(w->excl[r].c);
    }
    free(w->excl);
    free(w->excl_text);
    free(w->excl_where);
    free(w->kept);
    w->excl = NULL;
    w->n_excl = 0;
    w->excl_text = w->excl_where = NULL;
    w->kept = NULL;
    w->n_kept = 0;
}

static void free_zip(zip_group *z)
{
    for (size_t i = 0; i < z->n; i++)
        free(z->names[i]);
    free(z->names);
    free(z->where);
}

app_workload *app_workload_empty(void)
{
    return new_workload(NULL);
}

void app_workload_destroy(app_workload *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_settings; i++)
        free_item(&w->settings[i]);
    free(w->settings);
    for (size_t i = 0; i < w->n_axes; i++)
        free_axis(&w->axes[i]);
    free(w->axes);
    for (size_t i = 0; i < w->n_plots; i++)
        free_plot(&w->plots[i]);
    free(w->plots);
    for (int i = 0; i < w->n_files; i++) {
        free(w->file_path[i]);
        free(w->file_at[i]);
    }
    free(w->file_path);
    free(w->file_at);
    free_excl(w);
    for (size_t i = 0; i < w->n_zips; i++)
        free_zip(&w->zips[i]);
    free(w->zips);
    free(w->stride);
    free(w->path);
    free(w->base);
    free(w);
}

static item *find_setting(const app_workload *w, const char *name)
{
    for (size_t i = 0; i < w->n_settings; i++)
        if (!strcmp(w->settings[i].s.name, name))
            return &w->settings[i];
    return NULL;
}

static sweep_axis *find_axis(const app_workload *w, const char *name)
{
    for (size_t i = 0; i < w->n_axes; i++)
        if (!strcmp(w->axes[i].name, name))
            return &w->axes[i];
    return NULL;
}

/* `where` followed by what it replaced, for the `over` of what replaces it. */
static char *chain(const char *where, const char *over)
{
    return over ? sim_xasprintf("%s, %s", where, over) : sim_xstrdup(where);
}

static void remove_setting(app_workload *w, item *it)
{
    size_t i = (size_t)(it - w->settings);
    free_item(it);
    memmove(it, it + 1, (w->n_settings - i - 1) * sizeof *it);
    w->n_settings--;
}

static void remove_axis(app_workload *w, sweep_axis *a)
{
    size_t i = (size_t)(a - w->axes);
    free_axis(a);
    memmove(a, a + 1, (w->n_axes - i - 1) * sizeof *a);
    w->n_axes--;
}

/* ---- zipped axes and the product's dimensions ---- */

/* The zip group naming `name`, or NULL. */
static const zip_group *zip_of(const app_workload *w, const char *name)
{
    for (size_t g = 0; g < w->n_zips; g++)
        for (size_t i = 0; i < w->zips[g].n; i++)
            if (!strcmp(w->zips[g].names[i], name))
                return &w->zips[g];
    return NULL;
}

/* Takes `name` out of every zip group but those from `keep_file` (FROM_COMMAND_LINE:
 * keeps none): a later file's or the command line's setting or zip wins over an
 * earlier one. A group left with one name pairs nothing and goes. */
static void unzip(app_workload *w, const char *name, int keep_file)
{
    for (size_t g = 0; g < w->n_zips;) {
        zip_group *z = &w->zips[g];
        bool keep = keep_file != FROM_COMMAND_LINE && z->file == keep_file;
        for (size_t i = 0; i < z->n && !keep; i++)
            if (!strcmp(z->names[i], name)) {
                free(z->names[i]);
                memmove(&z->names[i], &z->names[i + 1], (z->n - i - 1) * sizeof *z->names);
                z->n--;
                break;
            }
        if (z->n >= 2) {
            g++;
            continue;
        }
        free_zip(z);
        memmove(z, z + 1, (w->n_zips - g - 1) * sizeof *z);
        w->n_zips--;
    }
}

/* The axis that leads axis a's dimension of the product: the first axis in file order
 * zipped with it, or a itself. */
static size_t leader(const app_workload *w, size_t a)
{
    const zip_group *z = zip_of(w, w->axes[a].name);
    for (size_t b = 0; z && b < a; b++)
        if (zip_of(w, w->axes[b].name) == z)
            return b;
    return a;
}

/* The points of the product of the dimensions (zipped axes make one), with axis `name`
 * taken to have `n` values, added if there is no such axis yet (NULL: the axes as they
 * are). A dimension counts its longest axis (its axes have one length once checked).
 * Saturates rather than wrap. */
static uint64_t product(const app_workload *w, const char *name, size_t n)
{
    size_t *len = sim_xcalloc(w->n_axes + 1, sizeof *len);
    bool found = false;
    for (size_t a = 0; a < w->n_axes; a++) {
        size_t na = w->axes[a].n, l = leader(w, a);
        if (name && !strcmp(w->axes[a].name, name)) {
            na = n;
            found = true;
        }
        if (na > len[l])
            len[l] = na;
    }
    if (name && !found) {
        size_t l = w->n_axes;
        const zip_group *z = zip_of(w, name);
        for (size_t b = 0; z && b < w->n_axes && l == w->n_axes; b++)
            if (zip_of(w, w->axes[b].name) == z)
                l = leader(w, b);
        if (n > len[l])
            len[l] = n;
    }
    uint64_t total = 1;
    for (size_t d = 0; d <= w->n_axes; d++)
        if (len[d])
            total = total > UINT64_MAX / len[d] ? UINT64_MAX : total * len[d];
    free(len);
    return total;
}

/* Each axis's stride in the product, the last dimension varying fastest: recomputed
 * whenever the axes or the zips change (update_points). */
static void update_strides(app_workload *w)
{
    w->stride = sim_xreallocarray(w->stride, w->n_axes ? w->n_axes : 1, sizeof *w->stride);
    size_t stride = 1;
    for (size_t a = w->n_axes; a-- > 0;) {
        if (leader(w, a) != a)
            continue;
        w->stride[a] = stride;
        size_t len = 0;
        for (size_t b = a; b < w->n_axes; b++)
            if (leader(w, b) == a && w->axes[b].n > len)
                len = w->axes[b].n;
        stride *= len;
    }
    for (size_t a = 0; a < w->n_axes; a++)
        w->stride[a] = w->stride[leader(w, a)];
}

/* The index of the value axis `a` takes at point `pt` of the product. */
static size_t value_index(const app_workload *w, size_t a, size_t pt)
{
    return pt / w->stride[a] % w->axes[a].n;
}

/* A fixed value; a later file or --set wins over what came before, including a sweep
 * of the same parameter. The value has been checked. */
static int add_setting(app_workload *w, const char *name, const char *value, const char *where,
                       int file, sim_err *e)
{
    sweep_axis *a = find_axis(w, name);
    if (a && file != FROM_COMMAND_LINE && a->file == file)
        return sim_err_set(e, "%s: parameter '%s' is set here and also swept at %s", where, name,
                           a->where);
    char *over = NULL;
    if (a) {
        over = chain(a->where, a->over);
        remove_axis(w, a);
    }
    unzip(w, name, file);
    item *old = find_setting(w, name);
    if (old) {
        over = chain(old->s.where, old->s.over);
        remove_setting(w, old);
    }
    w->settings = grow(w->settings, w->n_settings, sizeof *w->settings);
    w->settings[w->n_settings] = make_item(name, value, where, file);
    w->settings[w->n_settings++].s.over = over;
    return 0;
}

/* Takes ownership of *a. An axis for a parameter that already has one replaces it in
 * place, so the column order of the results stays the file's. */
static int add_axis(app_workload *w, sweep_axis *a, sim_err *e)
{
    item *it = find_setting(w, a->name);
    if (it && a->file != FROM_COMMAND_LINE && it->file == a->file) {
        sim_err_set(e, "%s: parameter '%s' is swept here and also set at %s", a->where, a->name,
                    it->s.where);
        free_axis(a);
        return -1;
    }
    assert(a->n > 0);
    /* The zips known so far count: one that comes after its axes in a file does not
     * make room for them here. */
    uint64_t total = product(w, a->name, a->n);
    if (total > MAX_POINTS) {
        sim_err_set(e, "%s: sweep axis '%s' (%zu values): the sweep would have %" PRIu64
                       " points, more than the %u one sweep may have",
                    a->where, a->name, a->n, total, MAX_POINTS);
        free_axis(a);
        return -1;
    }
    sweep_axis *old = find_axis(w, a->name);
    if (it) {
        a->over = chain(it->s.where, it->s.over);
        remove_setting(w, it);
    } else if (old) {
        a->over = chain(old->where, old->over);
    }
    if (old) {
        free_axis(old);
        *old = *a;
        return 0;
    }
    w->axes = grow(w->axes, w->n_axes, sizeof *w->axes);
    w->axes[w->n_axes++] = *a;
    return 0;
}

int app_workload_new_file(app_workload *w, const char *path, const char *included_at)
{
    w->file_path = grow(w->file_path, (size_t)w->n_files, sizeof *w->file_path);
    w->file_at = grow(w->file_at, (size_t)w->n_files, sizeof *w->file_at);
    w->file_path[w->n_files] = sim_xstrdup(path);
    w->file_at[w->n_files] = included_at ? sim_xstrdup(included_at) : NULL;
    return w->n_files++;
}

int app_workload_add_setting(app_workload *w, const sim_params *p, const char *name,
                             const char *value, const char *where, int file, sim_err *e)
{
    if (sim_params_check(p, name, value, where, e) < 0)
        return -1;
    return add_setting(w, name, value, where, file, e);
}

int app_workload_add_axis(app_workload *w, const sim_params *p, const char *name,
                          const char *text, const char *where, int file, sim_err *e)
{
    app_strlist values = {0};
    if (app_axis_values(p, name, text, where, &values, e) < 0) {
        app_strlist_free(&values);
        return -1;
    }
    sweep_axis a = {sim_xstrdup(name), sim_xstrdup(where), NULL, values.v, values.n, file};
    return add_axis(w, &a, e);
}

/* A [plot NAME] from a later file replaces the whole figure of that name: a figure is
 * described as a unit, and merging two descriptions would surprise. */
void app_workload_add_plot_key(app_workload *w, const char *plot_name, const char *plot_where,
                               const char *key, const char *value, const char *where, int file)
{
    plot *pl = NULL;
    for (size_t i = 0; i < w->n_plots && !pl; i++)
        if (!strcmp(w->plots[i].name, plot_name))
            pl = &w->plots[i];
    if (pl && pl->file != file) {
        free_plot(pl);
        *pl = (plot){sim_xstrdup(plot_name), sim_xstrdup(plot_where), NULL, 0, file};
    } else if (!pl) {
        w->plots = grow(w->plots, w->n_plots, sizeof *w->plots);
        pl = &w->plots[w->n_plots++];
        *pl = (plot){sim_xstrdup(plot_name), sim_xstrdup(plot_where), NULL, 0, file};
    }
    pl->keys = grow(pl->keys, pl->n, sizeof *pl->keys);
    pl->keys[pl->n++] = make_item(key, value, where, file);
}

/* ---- sweep exclusions and zips ---- */

static int unknown_parameter(const sim_params *p, const char *where, const char *what,
                             const char *name, sim_err *e)
{
    const char *near = sim_params_suggest(p, name);
    return sim_err_set(e, "%s: %sunknown parameter '%s'%s%s%s", where, what, name,
                       near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
}

/* What a zip's messages say after where it is: "FILE:LINE: zip: ...", "--zip: ...". */
static const char *zip_what(const char *where) { return where[0] == '-' ? "" : "zip: "; }

/* "A, B | C, D": groups separated by '|', each two or more parameters separated by
 * commas. A group takes its names out of any group before it (an earlier file's, or
 * the file's for --zip). */
int app_workload_add_zip(app_workload *w, const sim_params *p, const char *value, const char *where,
                         int file, sim_err *e)
{
    app_strlist names = {0};
    size_t *first = NULL, n_groups = 0; /* where each group starts in names */
    int rc = 0;
    for (const char *r = value; rc == 0;) {
        const char *bar = strchr(r, '|');
        const char *rend = bar ? bar : r + strlen(r);
        first = sim_xreallocarray(first, n_groups + 1, sizeof *first);
        first[n_groups++] = names.n;
        for (const char *c = r; rc == 0 && c <= rend;) {
            const char *comma = memchr(c, ',', (size_t)(rend - c));
            const char *cend = comma ? comma : rend;
            char *name = app_trimmed(c, (size_t)(cend - c));
            if (!name[0])
                rc = sim_err_set(e, "%s: %san empty name in '%s'", where, zip_what(where), value);
            else if (!sim_params_exists(p, name))
                rc = unknown_parameter(p, where, zip_what(where), name, e);
            else if (app_strlist_has(&names, name))
                rc = sim_err_set(e, "%s: %s'%s' is named twice", where, zip_what(where), name);
            if (rc == 0)
                app_strlist_push(&names, name);
            else
                free(name);
            c = cend + 1;
        }
        if (rc == 0 && names.n - first[n_groups - 1] < 2)
            rc = sim_err_set(e,
                             "%s: %s'%.*s' pairs nothing: name two swept parameters or "
                             "more, e.g. zip = A, B",
                             where, zip_what(where), (int)(rend - r), r);
        if (!bar)
            break;
        r = bar + 1;
    }
    for (size_t i = 0; rc == 0 && i < names.n; i++)
        unzip(w, names.v[i], FROM_COMMAND_LINE);
    for (size_t g = 0; rc == 0 && g < n_groups; g++) {
        size_t end = g + 1 < n_groups ? first[g + 1] : names.n;
        zip_group z = {sim_xcalloc(end - first[g], sizeof(char *)), end - first[g],
                       sim_xstrdup(where), file};
        for (size_t i = first[g]; i < end; i++)
            z.names[i - first[g]] = sim_xstrdup(names.v[i]);
        w->zips = grow(w->zips, w->n_zips, sizeof *w->zips);
        w->zips[w->n_zips++] = z;
    }
    free(first);
    app_strlist_free(&names);
    return rc;
}

int app_workload_check(const app_workload *w, sim_err *e)
{
    for (size_t g = 0; g < w->n_zips; g++) {
        const zip_group *z = &w->zips[g];
        const sweep_axis *one = NULL;
        for (size_t i = 0; i < z->n; i++) {
            const sweep_axis *a = find_axis(w, z->names[i]);
            const item *it = a ? NULL : find_setting(w, z->names[i]);
            if (it)
                return sim_err_set(e, "%s: %s'%s' is not swept: it is set at %s", z->where,
                                   zip_what(z->where), z->names[i], it->s.where);
            if (!a)
                return sim_err_set(e,
                                   "%s: %s'%s' is not swept (give it values in [sweep] "
                                   "or with --sweep)",
                                   z->where, zip_what(z->where), z->names[i]);
            if (!one)
                one = a;
            else if (a->n != one->n)
                return sim_err_set(e,
                                   "%s: %sthe axes it pairs need as many values each: "
                                   "'%s' has %zu (%s), '%s' has %zu (%s)",
                                   z->where, zip_what(z->where), one->name, one->n, one->where,
                                   a->name, a->n, a->where);
        }
    }
    return 0;
}

/* "A=x, B!=y | C=z": rules separated by '|', each a list of conditions on parameters
 * (swept or fixed) that must all hold for a point to be left out. A later file's
 * exclude replaces an earlier one's. */
int app_workload_set_exclude(app_workload *w, const sim_params *p, const char *value,
                             const char *where, sim_err *e)
{
    free_excl(w);
    w->excl_text = sim_xstrdup(value);
    w->excl_where = sim_xstrdup(where);
    const char *r = value;
    for (;;) {
        const char *bar = strchr(r, '|');
        const char *rend = bar ? bar : r + strlen(r);
        excl_rule rule = {NULL, 0};
        w->excl = grow(w->excl, w->n_excl, sizeof *w->excl);
        w->excl[w->n_excl++] = rule;
        excl_rule *ru = &w->excl[w->n_excl - 1];
        for (const char *c = r; c <= rend;) {
            const char *comma = memchr(c, ',', (size_t)(rend - c));
            const char *cend = comma ? comma : rend;
            const char *t = c;
            size_t tl = (size_t)(cend - c);
            app_trim_span(&t, &tl);
            if (!tl)
                return sim_err_set(e, "%s: exclude: an empty condition in '%s'", where, value);
            const char *eq = memchr(t, '=', tl);
            if (!eq || eq == t)
                return sim_err_set(e, "%s: exclude: '%.*s' is not NAME=VALUE or NAME!=VALUE",
                                   where, (int)tl, t);
            bool neq = eq[-1] == '!';
            char *name = app_trimmed(t, (size_t)(eq - t) - (neq ? 1 : 0));
            char *val = app_trimmed(eq + 1, (size_t)(t + tl - eq - 1));
            ru->c = grow(ru->c, ru->n, sizeof *ru->c);
            ru->c[ru->n++] = (excl_cond){name, val, neq};
            if (!sim_params_exists(p, name))
                return unknown_parameter(p, where, "exclude: ", name, e);
            if (sim_params_check(p, name, val, where, e) < 0)
                return -1;
            c = cend + 1;
        }
        if (!bar)
            return 0;
        r = bar + 1;
    }
}

/* The canonical text of `text` for parameter `name` (through the scratch registry q). */
static void canon(sim_params *q, const char *name, const char *text, char *buf, size_t len)
{
    if (sim_params_set(q, name, text, "", NULL) < 0)
        snprintf(buf, len, "%s", text);
    else
        sim_params_format(q, name, buf, len);
}

/* The strides, and with an exclude, which points of the product remain, in product
 * order. */
static int update_points(app_workload *w, const sim_params *p, sim_err *e)
{
    free(w->kept);
    w->kept = NULL;
    w->n_kept = 0;
    update_strides(w);
    uint64_t points = product(w, NULL, 0);
    /* Each axis was counted as it came; a zip that takes axes apart can add points. */
    if (points > MAX_POINTS) {
        const char *where = w->n_zips ? w->zips[w->n_zips - 1].where : "--zip";
        return sim_err_set(e,
                           "%s: %sthe sweep would have %" PRIu64 " points, more than the %u "
                           "one sweep may have",
                           where, zip_what(where), points, MAX_POINTS);
    }
    size_t total = w->total = (size_t)points;
    if (!w->n_excl)
        return 0;
    sim_params *q = sim_params_clone(p);
    /* Per condition: the axis it reads (with a verdict per axis value), or its verdict
     * on the fixed value. */
    typedef struct verdict {
        size_t axis; /* SIZE_MAX: fixed */
        bool fixed;
        bool *match;
    } verdict;
    size_t nv = 0;
    for (size_t r = 0; r < w->n_excl; r++)
        nv += w->excl[r].n;
    verdict *v = sim_xcalloc(nv, sizeof *v);
    char want[256], got[256];
    size_t k = 0;
    for (size_t r = 0; r < w->n_excl; r++)
        for (size_t i = 0; i < w->excl[r].n; i++, k++) {
            const excl_cond *c = &w->excl[r].c[i];
            canon(q, c->name, c->value, want, sizeof want);
            v[k].axis = SIZE_MAX;
            for (size_t a = 0; a < w->n_axes; a++)
                if (!strcmp(w->axes[a].name, c->name))
                    v[k].axis = a;
            if (v[k].axis == SIZE_MAX) {
                const item *it = find_setting(w, c->name);
                if (it)
                    canon(q, c->name, it->s.value, got, sizeof got);
                else
                    sim_params_format(p, c->name, got, sizeof got);
                v[k].fixed = (strcmp(want, got) != 0) == c->neq;
                continue;
            }
            const sweep_axis *ax = &w->axes[v[k].axis];
            v[k].match = sim_xmalloc(ax->n * sizeof *v[k].match);
            for (size_t j = 0; j < ax->n; j++) {
                canon(q, c->name, ax->values[j], got, sizeof got);
                v[k].match[j] = (strcmp(want, got) != 0) == c->neq;
            }
        }
    w->kept = sim_xmalloc((total ? total : 1) * sizeof *w->kept);
    for (size_t pt = 0; pt < total; pt++) {
        bool out = false;
        k = 0;
        for (size_t r = 0; r < w->n_excl; r++) {
            bool all = true;
            for (size_t i = 0; i < w->excl[r].n; i++, k++) {
                if (!all)
                    continue;
                if (v[k].axis == SIZE_MAX) {
                    all = v[k].fixed;
                    continue;
                }
                all = v[k].match[value_index(w, v[k].axis, pt)];
            }
            out = out || all;
        }
        if (!out)
            w->kept[w->n_kept++] = pt;
    }
    for (size_t i = 0; i < nv; i++)
        free(v[i].match);
    free(v);
    sim_params_destroy(q);
    if (!w->n_kept)
        return sim_err_set(e, "%s: exclude leaves no point of the sweep", w->excl_where);
    return 0;
}

app_workload *app_workload_load(const char *path, const sim_params *p, sim_err *e)
{
    app_workload *w = new_workload(path);
    if (app_workload_read_file(w, p, path, e) < 0 || app_workload_check(w, e) < 0 ||
        update_points(w, p, e) < 0) {
        app_workload_destroy(w);
        return NULL;
    }
    return w;
}

/* ---- the command line ---- */

static int split_assignment(const char *opt, const char *what, const char *assignment,
                            char **name, char **value, sim_err *e)
{
    const char *eq = strchr(assignment, '=');
    const char *n = assignment;
    size_t nlen = eq ? (size_t)(eq - assignment) : 0;
    app_trim_span(&n, &nlen);
    if (!eq || !nlen)
        return sim_err_set(e, "%s: expected name=%s, got '%s'", opt, what, assignment);
    *name = sim_xstrndup(n, nlen);
    *value = app_trimmed(eq + 1, strlen(eq + 1));
    return 0;
}

/* --set and --sweep: NAME=TEXT added by `add` as coming after every file. */
static int override(app_workload *w, const sim_params *p, const char *opt, const char *what,
                    const char *assignment,
                    int (*add)(app_workload *, const sim_params *, const char *, const char *,
                               const char *, int, sim_err *),
                    sim_err *e)
{
    char *name = NULL, *value = NULL;
    if (split_assignment(opt, what, assignment, &name, &value, e) < 0)
        return -1;
    int rc = add(w, p, name, value, opt, FROM_COMMAND_LINE, e);
    if (rc == 0)
        rc = update_points(w, p, e);
    free(name);
    free(value);
    return rc;
}

int app_workload_override_set(app_workload *w, const sim_params *p, const char *assignment,
                              sim_err *e)
{
    return override(w, p, "--set", "value", assignment, app_workload_add_setting, e);
}

int app_workload_override_sweep(app_workload *w, const sim_params *p, const char *assignment,
                                sim_err *e)
{
    return override(w, p, "--sweep", "list", assignment, app_workload_add_axis, e);
}

int app_workload_overrides(app_workload *w, const sim_params *p, const char *const *sets,
                           size_t n_sets, const char *const *sweeps, size_t n_sweeps,
                           const char *const *zips, size_t n_zips, sim_err *e)
{
    for (size_t i = 0; i < n_sets; i++)
        if (app_workload_override_set(w, p, sets[i], e) < 0)
            return -1;
    for (size_t i = 0; i < n_sweeps; i++)
        if (app_workload_override_sweep(w, p, sweeps[i], e) < 0)
            return -1;
    for (size_t i = 0; i < n_zips; i++)
        if (app_workload_override_zip(w, p, zips[i], e) < 0)
            return -1;
    return app_workload_check(w, e);
}

int app_workload_override_zip(app_workload *w, const sim_params *p, const char *names, sim_err *e)
{
    if (app_workload_add_zip(w, p, names, "--zip", FROM_COMMAND_LINE, e) < 0)
        return -1;
    return update_points(w, p, e);
}

/* ---- queries ---- */

size_t app_workload_settings(const app_workload *w)
{
    return w->n_settings;
}

const app_setting *app_workload_setting(const app_workload *w, size_t i)
{
    assert(i < w->n_settings);
    return &w->settings[i].s;
}

size_t app_workload_axes(const app_workload *w)
{
    return w->n_axes;
}

const char *app_workload_axis_name(const app_workload *w, size_t axis)
{
    assert(axis < w->n_axes);
    return w->axes[axis].name;
}

size_t app_workload_axis_len(const app_workload *w, size_t axis)
{
    assert(axis < w->n_axes);
    return w->axes[axis].n;
}

const char *app_workload_axis_value(const app_workload *w, size_t axis, size_t i)
{
    assert(axis < w->n_axes && i < w->axes[axis].n);
    return w->axes[axis].values[i];
}

const char *app_workload_axis_where(const app_workload *w, size_t axis)
{
    assert(axis < w->n_axes);
    return w->axes[axis].where;
}

const char *app_workload_axis_over(const app_workload *w, size_t axis)
{
    assert(axis < w->n_axes);
    return w->axes[axis].over;
}

const char *app_workload_exclude(const app_workload *w)
{
    return w->excl_text;
}

const char *app_workload_exclude_where(const app_workload *w)
{
    return w->excl_where;
}

size_t app_workload_points(const app_workload *w) { return w->kept ? w->n_kept : w->total; }

int app_workload_apply(const app_workload *w, size_t point, sim_params *p, sim_err *e)
{
    assert(point < app_workload_points(w));
    if (w->kept)
        point = w->kept[point];
    for (size_t i = 0; i < w->n_settings; i++) {
        const app_setting *s = &w->settings[i].s;
        if (sim_params_set(p, s->name, s->value, s->where, e) < 0)
            return -1;
    }
    /* axes are applied in file order, so a problem is reported for the first axis in
     * the file */
    for (size_t a = 0; a < w->n_axes; a++) {
        const sweep_axis *ax = &w->axes[a];
        const char *value = ax->values[value_index(w, a, point)];
        if (sim_params_set(p, ax->name, value, ax->where, e) < 0)
            return -1;
    }
    return 0;
}

size_t app_workload_plots(const app_workload *w)
{
    return w->n_plots;
}

const char *app_workload_plot_name(const app_workload *w, size_t i)
{
    assert(i < w->n_plots);
    return w->plots[i].name;
}

const char *app_workload_plot_where(const app_workload *w, size_t i)
{
    assert(i < w->n_plots);
    return w->plots[i].where;
}

size_t app_workload_plot_keys(const app_workload *w, size_t i)
{
    assert(i < w->n_plots);
    return w->plots[i].n;
}

const app_setting *app_workload_plot_key(const app_workload *w, size_t i, size_t k)
{
    assert(i < w->n_plots && k < w->plots[i].n);
    return &w->plots[i].keys[k].s;
}

const char *app_workload_path(const app_workload *w)
{
    return w->path;
}

const char *app_workload_basename(const app_workload *w)
{
    return w->base;
}

size_t app_workload_files(const app_workload *w)
{
    return (size_t)w->n_files;
}

const char *app_workload_file_path(const app_workload *w, size_t i)
{
    assert(i < (size_t)w->n_files);
    return w->file_path[i];
}

const char *app_workload_file_included_at(const app_workload *w, size_t i)
{
    assert(i < (size_t)w->n_files);
    return w->file_at[i];
}
