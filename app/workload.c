/* Workload files read with libinih, and the command line's --set and --sweep.
 *
 * libinih as Debian builds it passes no line numbers to the handler and cuts lines
 * longer than its buffer into pieces, so files are read through ini_parse_stream with
 * a line reader of our own: it counts lines, refuses a line that does not fit, and
 * mirrors inih's few rules (comment, section, continuation) so the handler knows
 * where each key came from and whether a call is the continuation of the previous key.
 *
 * A key is held back until the next key (or the end of the file) because an indented
 * line may still extend its value; only then is it checked and stored. */
#include "app/workload.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "app/axis.h"
#include "app/strlist.h"
#include "sim/alloc.h"

/* A sweep of more points than this is a typo (a wrong unit, a missing zero in a
 * range's step), not a plan. */
#define MAX_POINTS 10000000

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
    excl_rule *excl;
    size_t n_excl;
    char *excl_where;
    size_t *kept; /* with exclusions: the product's index of each point */
    size_t n_kept;
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
}

static item make_item(const char *name, const char *value, const char *where, int file)
{
    return (item){{sim_xstrdup(name), sim_xstrdup(value), sim_xstrdup(where)}, file};
}

static void free_axis(sweep_axis *a)
{
    free(a->name);
    free(a->where);
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
    free(w->excl_where);
    free(w->kept);
    w->excl = NULL;
    w->n_excl = 0;
    w->excl_where = NULL;
    w->kept = NULL;
    w->n_kept = 0;
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
    free_excl(w);
    free(w->path);
    free(w->base);
    free(w);
}

static item *find_setting(app_workload *w, const char *name)
{
    for (size_t i = 0; i < w->n_settings; i++)
        if (!strcmp(w->settings[i].s.name, name))
            return &w->settings[i];
    return NULL;
}

static sweep_axis *find_axis(app_workload *w, const char *name)
{
    for (size_t i = 0; i < w->n_axes; i++)
        if (!strcmp(w->axes[i].name, name))
            return &w->axes[i];
    return NULL;
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

/* A fixed value; a later file or --set wins over what came before, including a sweep
 * of the same parameter. The value has been checked. */
static int add_setting(app_workload *w, const char *name, const char *value, const char *where,
                       int file, sim_err *e)
{
    sweep_axis *a = find_axis(w, name);
    if (a && file != FROM_COMMAND_LINE && a->file == file)
        return sim_err_set(e, "%s: parameter '%s' is set here and also swept at %s", where, name,
                           a->where);
    if (a)
        remove_axis(w, a);
    item *old = find_setting(w, name);
    if (old)
        remove_setting(w, old);
    w->settings = grow(w->settings, w->n_settings, sizeof *w->settings);
    w->settings[w->n_settings++] = make_item(name, value, where, file);
    return 0;
}

static size_t points_without(const app_workload *w, const char *name)
{
    size_t n = 1;
    for (size_t i = 0; i < w->n_axes; i++)
        if (strcmp(w->axes[i].name, name))
            n *= w->axes[i].n;
    return n;
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
    size_t others = points_without(w, a->name);
    if (others > MAX_POINTS / a->n) {
        sim_err_set(e, "%s: sweep axis '%s': the sweep would have more than %d points", a->where,
                    a->name, MAX_POINTS);
        free_axis(a);
        return -1;
    }
    if (it)
        remove_setting(w, it);
    sweep_axis *old = find_axis(w, a->name);
    if (old) {
        free_axis(old);
        *old = *a;
        return 0;
    }
    w->axes = grow(w->axes, w->n_axes, sizeof *w->axes);
    w->axes[w->n_axes++] = *a;
    return 0;
}

/* A [plot NAME] from a later file replaces the whole figure of that name: a figure is
 * described as a unit, and merging two descriptions would surprise. */
static void add_plot_key(app_workload *w, const char *plot_name, const char *plot_where,
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

/* ---- sweep exclusions ---- */

/* "A=x, B!=y | C=z": rules separated by '|', each a list of conditions on parameters
 * (swept or fixed) that must all hold for a point to be left out. A later file's
 * exclude replaces an earlier one's. */
static int parse_exclude(app_workload *w, const sim_params *p, const char *value,
                         const char *where, sim_err *e)
{
    free_excl(w);
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
            if (!sim_params_exists(p, name)) {
                const char *near = sim_params_suggest(p, name);
                return sim_err_set(e, "%s: exclude: unknown parameter '%s'%s%s%s", where, name,
                                   near ? " (did you mean '" : "", near ? near : "",
                                   near ? "'?)" : "");
            }
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

/* With an exclude: which points of the product remain, in product order. */
static int update_points(app_workload *w, const sim_params *p, sim_err *e)
{
    free(w->kept);
    w->kept = NULL;
    w->n_kept = 0;
    if (!w->n_excl)
        return 0;
    size_t total = 1;
    for (size_t a = 0; a < w->n_axes; a++)
        total *= w->axes[a].n;
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
    verdict *v = calloc(nv ? nv : 1, sizeof *v);
    if (!v)
        abort();
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
                size_t stride = 1;
                for (size_t b = v[k].axis + 1; b < w->n_axes; b++)
                    stride *= w->axes[b].n;
                all = v[k].match[pt / stride % w->axes[v[k].axis].n];
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

/* An axis from "list" or "range" text (app/axis.h). */
static int parse_axis(const sim_params *p, const char *name, const char *text, const char *where,
                      int file, sweep_axis *out, sim_err *e)
{
    app_strlist values = {0};
    if (app_axis_values(p, name, text, where, &values, e) < 0) {
        app_strlist_free(&values);
        return -1;
    }
    *out = (sweep_axis){sim_xstrdup(name), sim_xstrdup(where), values.v, values.n, file};
    return 0;
}

/* ---- reading one file ---- */

typedef struct seen_key {
    char *section, *name;
    int line;
} seen_key;

typedef struct file_ctx {
    app_workload *w;
    const sim_params *p;
    sim_err *e;
    const struct file_ctx *parent; /* the including file, for loops and their chain */
    const char *path;
    char *real; /* identity of the file, for loop detection */
    int file;
    FILE *f;

    /* the line reader's view, mirroring inih's rules */
    int line;
    bool indented;      /* the current line starts with white space */
    bool have_prev_key; /* inih would treat an indented line as a continuation */
    int section_line;   /* where the current section's header is */
    char *buf;
    size_t buf_cap;

    /* the key held back until its value is complete */
    bool pending;
    char *p_section, *p_name;
    char *p_value;
    int p_line, p_section_line;

    seen_key *seen;
    size_t n_seen;

    bool failed;
    int err_line; /* the line the first problem was found at, for ordering against inih's */
} file_ctx;

static int load_file(app_workload *w, const sim_params *p, const char *path,
                     const file_ctx *parent, const char *inc_where, const char *inc_text,
                     sim_err *e);

static int fail(file_ctx *c, int line)
{
    if (!c->failed) {
        c->failed = true;
        c->err_line = line;
    }
    return -1;
}

static char *where_at(const file_ctx *c, int line)
{
    return sim_xasprintf("%s:%d", c->path, line);
}

static const seen_key *find_seen(const file_ctx *c, const char *section, const char *name)
{
    for (size_t i = 0; i < c->n_seen; i++)
        if (!strcmp(c->seen[i].section, section) && !strcmp(c->seen[i].name, name))
            return &c->seen[i];
    return NULL;
}

static void remember_key(file_ctx *c, const char *section, const char *name, int line)
{
    c->seen = grow(c->seen, c->n_seen, sizeof *c->seen);
    c->seen[c->n_seen++] = (seen_key){sim_xstrdup(section), sim_xstrdup(name), line};
}

/* The folder of the including file joined with an include's relative path. */
static char *include_path(const char *from, const char *inc)
{
    const char *slash = strrchr(from, '/');
    if (inc[0] == '/' || !slash)
        return sim_xstrdup(inc);
    return sim_xasprintf("%.*s/%s", (int)(slash - from), from, inc);
}

static int do_include(file_ctx *c, const char *value, const char *where)
{
    if (!value[0])
        return sim_err_set(c->e, "%s: include needs a file name", where);
    char *path = include_path(c->path, value);
    int rc = load_file(c->w, c->p, path, c, where, value, c->e);
    free(path);
    return rc;
}

static bool is_plot_section(const char *section, const char **name)
{
    if (strncmp(section, "plot", 4) || (section[4] && !isspace((unsigned char)section[4])))
        return false;
    *name = section + 4;
    while (isspace((unsigned char)**name))
        (*name)++;
    return true;
}

static int duplicate_error(file_ctx *c, const char *what, const char *where, int first)
{
    char *prev = where_at(c, first);
    sim_err_set(c->e, "%s: duplicate %s (first at %s)", where, what, prev);
    free(prev);
    return -1;
}

/* One complete key: section and name as inih gave them (section trimmed here). */
static int process_key(file_ctx *c, const char *section, const char *name, const char *value,
                       int line, int section_line, const char *where)
{
    if (!name[0])
        return sim_err_set(c->e, "%s: a key name is missing before '='", where);
    if (!section[0] && !strcmp(name, "include"))
        return do_include(c, value, where);
    if (!section[0])
        return sim_err_set(c->e,
                           "%s: key '%s' is outside any section (only include may come before "
                           "the first [section])",
                           where, name);
    if (!strcmp(name, "include"))
        return sim_err_set(c->e, "%s: include must come before the first [section]", where);

    const char *plot_name;
    bool is_sweep = !strcmp(section, "sweep");
    bool is_plot = is_plot_section(section, &plot_name);
    char *full = is_sweep || is_plot ? sim_xstrdup(name) : sim_xasprintf("%s.%s", section, name);
    const seen_key *dup = find_seen(c, section, name);
    int rc = 0;
    if (dup) {
        char *what = is_plot ? sim_xasprintf("key '%s' in [%s]", name, section)
                     : is_sweep ? sim_xasprintf("sweep axis '%s'", full)
                                : sim_xasprintf("key '%s'", full);
        rc = duplicate_error(c, what, where, dup->line);
        free(what);
    } else if (is_plot) {
        remember_key(c, section, name, line);
        if (!plot_name[0]) {
            char *sw = where_at(c, section_line);
            rc = sim_err_set(c->e, "%s: [plot] needs a name: [plot NAME]", sw);
            free(sw);
        } else {
            char *sw = where_at(c, section_line);
            add_plot_key(c->w, plot_name, sw, name, value, where, c->file);
            free(sw);
        }
    } else if (is_sweep && !strcmp(name, "exclude")) {
        remember_key(c, section, name, line);
        rc = parse_exclude(c->w, c->p, value, where, c->e);
    } else if (is_sweep) {
        remember_key(c, section, name, line);
        sweep_axis a;
        rc = parse_axis(c->p, full, value, where, c->file, &a, c->e);
        if (rc == 0)
            rc = add_axis(c->w, &a, c->e);
    } else {
        remember_key(c, section, name, line);
        rc = sim_params_check(c->p, full, value, where, c->e);
        if (rc == 0)
            rc = add_setting(c->w, full, value, where, c->file, c->e);
    }
    free(full);
    return rc;
}

static void clear_pending(file_ctx *c)
{
    free(c->p_section);
    free(c->p_name);
    free(c->p_value);
    c->p_section = c->p_name = c->p_value = NULL;
    c->pending = false;
}

static int flush_pending(file_ctx *c)
{
    if (!c->pending)
        return 0;
    char *where = where_at(c, c->p_line);
    int rc = process_key(c, c->p_section, c->p_name, c->p_value, c->p_line, c->p_section_line,
                         where);
    free(where);
    int line = c->p_line;
    clear_pending(c);
    return rc < 0 ? fail(c, line) : 0;
}

/* inih strips "value ; comment" on a key's first line but, in this build, not on its
 * continuation lines; do the same for those. */
static size_t without_inline_comment(const char *s)
{
    for (const char *t = s; *t; t++)
        if (*t == ';' && t > s && isspace((unsigned char)t[-1]))
            return (size_t)(t - s);
    return strlen(s);
}

/* Sweep lists continue with ", " unless the line break already sits next to a comma;
 * other values continue with a space. */
static void append_continuation(file_ctx *c, const char *more)
{
    const char *m = more;
    size_t mlen = without_inline_comment(more);
    app_trim_span(&m, &mlen);
    if (!mlen)
        return;
    size_t have = strlen(c->p_value);
    while (have > 0 && isspace((unsigned char)c->p_value[have - 1]))
        have--;
    const char *sep = "";
    if (have > 0) {
        bool comma = c->p_value[have - 1] == ',' || m[0] == ',';
        sep = strcmp(c->p_section, "sweep") ? " " : comma ? " " : ", ";
    }
    char *v = sim_xasprintf("%.*s%s%.*s", (int)have, c->p_value, sep, (int)mlen, m);
    free(c->p_value);
    c->p_value = v;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    file_ctx *c = user;
    if (c->failed)
        return 0;
    if (c->indented && c->have_prev_key && c->pending) {
        append_continuation(c, value);
        return 1;
    }
    c->have_prev_key = true;
    if (flush_pending(c) < 0)
        return 0;
    c->pending = true;
    c->p_section = app_trimmed(section, strlen(section));
    c->p_name = sim_xstrdup(name);
    c->p_value = sim_xstrdup(value);
    c->p_line = c->line;
    c->p_section_line = c->section_line;
    return 1;
}

/* Reads one whole line (any length) into c->buf, without its line ending. Returns false
 * at the end of the file. */
static bool read_whole_line(file_ctx *c, size_t *len)
{
    size_t n = 0;
    int ch;
    bool any = false;
    while ((ch = getc(c->f)) != EOF) {
        any = true;
        if (ch == '\n')
            break;
        if (n + 1 >= c->buf_cap) {
            c->buf_cap = c->buf_cap ? 2 * c->buf_cap : 256;
            c->buf = sim_xrealloc(c->buf, c->buf_cap);
        }
        c->buf[n++] = (char)ch;
    }
    if (!any)
        return false;
    if (n > 0 && c->buf[n - 1] == '\r')
        n--;
    if (!c->buf)
        c->buf = sim_xmalloc(c->buf_cap = 256);
    c->buf[n] = '\0';
    *len = n;
    return true;
}

/* Tracks what inih will make of the line: a section header ends the previous key (no
 * continuation after it); an indented line after a key continues that key. */
static void classify(file_ctx *c, const char *s)
{
    if (c->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
        s += 3; /* inih skips a UTF-8 byte order mark on the first line */
    c->indented = isspace((unsigned char)*s);
    while (isspace((unsigned char)*s))
        s++;
    if (!*s || *s == ';' || *s == '#')
        return;
    if (c->indented && c->have_prev_key)
        return;
    if (*s == '[') {
        c->have_prev_key = false;
        c->section_line = c->line;
    }
}

/* The ini_reader: one line per call, counted, refused when it would not fit inih's
 * buffer (inih would silently cut it and lose count). Returning NULL ends the parse,
 * which is how a problem stops inih (it otherwise reads on after an error). */
static char *read_line(char *str, int num, void *stream)
{
    file_ctx *c = stream;
    size_t len;
    if (c->failed || !read_whole_line(c, &len))
        return NULL;
    c->line++;
    if (len > (size_t)num - 1) {
        /* a key before this line is complete: its problem, if any, comes first */
        if (flush_pending(c) == 0) {
            sim_err_set(c->e, "%s:%d: line longer than %d characters", c->path, c->line,
                        num - 1);
            fail(c, c->line);
        }
        return NULL;
    }
    memcpy(str, c->buf, len + 1);
    classify(c, str);
    return str;
}

static void free_ctx(file_ctx *c)
{
    clear_pending(c);
    for (size_t i = 0; i < c->n_seen; i++) {
        free(c->seen[i].section);
        free(c->seen[i].name);
    }
    free(c->seen);
    free(c->buf);
    free(c->real);
}

/* The include chain from the top file down to c, then `path`, for a loop message. */
static void loop_error(const file_ctx *c, const char *path, const char *where, sim_err *e)
{
    const file_ctx *chain[64];
    size_t n = 0;
    for (const file_ctx *f = c; f && n < 64; f = f->parent)
        chain[n++] = f;
    char text[sizeof e->msg] = "";
    size_t used = 0;
    while (n-- > 0 && used < sizeof text)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s -> ", chain[n]->path);
    if (used < sizeof text)
        snprintf(text + used, sizeof text - used, "%s", path);
    sim_err_set(e, "%s: include loop: %s", where, text);
}

static int parse_file(file_ctx *c)
{
    int rc = ini_parse_stream(read_line, c, on_key, c);
    if (!c->failed)
        flush_pending(c);
    if (ferror(c->f)) {
        sim_err_set(c->e, "%s:%d: read error: %s", c->path, c->line + 1, strerror(errno));
        return -1;
    }
    /* inih reports the first line it could not parse; ours may be earlier or later */
    if (rc > 0 && (!c->failed || rc < c->err_line))
        return sim_err_set(c->e, "%s:%d: expected 'key = value', '[section]' or a comment",
                           c->path, rc);
    if (rc == -2)
        abort(); /* inih out of memory */
    return c->failed || rc < 0 ? -1 : 0;
}

/* Loads `path` into w. An include names the including line (inc_where) and the text it
 * gave (inc_text) in its messages. */
static int load_file(app_workload *w, const sim_params *p, const char *path,
                     const file_ctx *parent, const char *inc_where, const char *inc_text,
                     sim_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (inc_where)
            return sim_err_set(e, "%s: include '%s': cannot open %s: %s", inc_where, inc_text,
                               path, strerror(errno));
        return sim_err_set(e, "%s: cannot open: %s", path, strerror(errno));
    }
    char *real = realpath(path, NULL);
    if (!real)
        real = sim_xstrdup(path);
    for (const file_ctx *a = parent; a; a = a->parent)
        if (!strcmp(a->real, real)) {
            loop_error(parent, path, inc_where, e);
            free(real);
            fclose(f);
            return -1;
        }
    file_ctx c = {.w = w, .p = p, .e = e, .parent = parent, .path = path, .real = real,
                  .file = w->n_files++, .f = f};
    int rc = parse_file(&c);
    free_ctx(&c);
    fclose(f);
    return rc;
}

app_workload *app_workload_load(const char *path, const sim_params *p, sim_err *e)
{
    app_workload *w = new_workload(path);
    if (load_file(w, p, path, NULL, NULL, NULL, e) < 0 || update_points(w, p, e) < 0) {
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

int app_workload_override_set(app_workload *w, const sim_params *p, const char *assignment,
                              sim_err *e)
{
    char *name, *value;
    if (split_assignment("--set", "value", assignment, &name, &value, e) < 0)
        return -1;
    int rc = sim_params_check(p, name, value, "--set", e);
    if (rc == 0)
        rc = add_setting(w, name, value, "--set", FROM_COMMAND_LINE, e);
    if (rc == 0)
        rc = update_points(w, p, e);
    free(name);
    free(value);
    return rc;
}

int app_workload_override_sweep(app_workload *w, const sim_params *p, const char *assignment,
                                sim_err *e)
{
    char *name, *value;
    if (split_assignment("--sweep", "list", assignment, &name, &value, e) < 0)
        return -1;
    sweep_axis a;
    int rc = parse_axis(p, name, value, "--sweep", FROM_COMMAND_LINE, &a, e);
    if (rc == 0)
        rc = add_axis(w, &a, e);
    if (rc == 0)
        rc = update_points(w, p, e);
    free(name);
    free(value);
    return rc;
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

size_t app_workload_points(const app_workload *w)
{
    if (w->kept)
        return w->n_kept;
    size_t n = 1;
    for (size_t i = 0; i < w->n_axes; i++)
        n *= w->axes[i].n;
    return n;
}

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
    /* the last axis varies fastest; axes are applied in file order all the same, so a
     * problem is reported for the first axis in the file */
    for (size_t a = 0; a < w->n_axes; a++) {
        size_t stride = 1;
        for (size_t b = a + 1; b < w->n_axes; b++)
            stride *= w->axes[b].n;
        const sweep_axis *ax = &w->axes[a];
        const char *value = ax->values[point / stride % ax->n];
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
