#include "app/config_report.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "app/strlist.h"
#include "sim/alloc.h"

/* Axes longer than this are shown by their first values and the last. */
#define AXIS_SHOWN 8
/* Values wider than this push their origin to the right rather than widen the column. */
#define VALUE_COLUMN_MAX 24

/* Where parameter `name` got its value in `w`: a fixed setting or an axis; "default"
 * when neither. *swept tells which; *over what the one in effect replaced. */
static const char *origin_of(const app_workload *w, const char *name, bool *swept,
                             const char **over)
{
    *swept = false;
    *over = NULL;
    for (size_t i = app_workload_settings(w); i-- > 0;) {
        const app_setting *s = app_workload_setting(w, i);
        if (!strcmp(s->name, name)) {
            *over = s->over;
            return s->where;
        }
    }
    for (size_t a = 0; a < app_workload_axes(w); a++)
        if (!strcmp(app_workload_axis_name(w, a), name)) {
            *swept = true;
            *over = app_workload_axis_over(w, a);
            return app_workload_axis_where(w, a);
        }
    return "default";
}

/* The current value of `name` in `q` as a person reads it: canonical, with its unit;
 * an empty string as "". */
static void show_value(const sim_params *q, const char *name, char *buf, size_t len)
{
    char v[1024];
    sim_params_format(q, name, v, sizeof v);
    const char *unit = sim_params_unit(q, name);
    if (!*v && sim_params_type(q, name) == SIM_PARAM_STRING)
        snprintf(buf, len, "\"\"");
    else
        snprintf(buf, len, "%s%s%s", v, *unit ? " " : "", unit);
}

/* "where", "where (swept)", "where, over earlier, ..." */
static int origin_text(char *buf, size_t len, const char *where, bool swept, const char *over)
{
    return snprintf(buf, len, "%s%s%s%s", where, swept ? " (swept)" : "", over ? ", over " : "",
                    over ? over : "");
}

/* The values of axis `a`, canonical (through `scratch`) with the unit once at the end,
 * the long ones shortened. */
static void show_axis(FILE *f, const app_workload *w, sim_params *scratch, size_t a)
{
    const char *name = app_workload_axis_name(w, a);
    size_t n = app_workload_axis_len(w, a);
    for (size_t i = 0; i < n; i++) {
        if (i == AXIS_SHOWN && n > AXIS_SHOWN + 1) {
            fputs(", ...", f);
            i = n - 1;
        }
        char v[1024];
        if (sim_params_set(scratch, name, app_workload_axis_value(w, a, i), "", NULL) == 0)
            sim_params_format(scratch, name, v, sizeof v);
        else
            snprintf(v, sizeof v, "%s", app_workload_axis_value(w, a, i));
        fprintf(f, "%s%s", i ? ", " : "", v);
    }
    const char *unit = sim_params_unit(scratch, name);
    fprintf(f, "%s%s", *unit ? " " : "", unit);
    if (n > AXIS_SHOWN + 1)
        fprintf(f, " (%zu values)", n);
    fputc('\n', f);
}

/* An exclude's rules, one a line. */
static void show_exclude(FILE *f, const char *text)
{
    for (const char *r = text; *r;) {
        size_t len = strcspn(r, "|");
        const char *t = r;
        app_trim_span(&t, &len);
        fprintf(f, "  %.*s\n", (int)len, t);
        r += strcspn(r, "|");
        r += *r == '|';
    }
}

static void show_sweep(FILE *f, const app_workload *w, const sim_params *registry, int name_w)
{
    size_t n_axes = app_workload_axes(w), product = 1;
    int origin_w = 6;
    char origin[2048];
    for (size_t a = 0; a < n_axes; a++) {
        product *= app_workload_axis_len(w, a);
        int len = origin_text(origin, sizeof origin, app_workload_axis_where(w, a), false,
                              app_workload_axis_over(w, a));
        if (len > origin_w)
            origin_w = len;
    }
    fprintf(f, "\nSwept: %zu points, the product of these values (the last varying fastest)\n",
            product);
    fprintf(f, "%-*s %-*s VALUES\n", name_w, "NAME", origin_w, "ORIGIN");
    sim_params *scratch = sim_params_clone(registry);
    for (size_t a = 0; a < n_axes; a++) {
        origin_text(origin, sizeof origin, app_workload_axis_where(w, a), false,
                    app_workload_axis_over(w, a));
        fprintf(f, "%-*s %-*s ", name_w, app_workload_axis_name(w, a), origin_w, origin);
        show_axis(f, w, scratch, a);
    }
    sim_params_destroy(scratch);
    if (app_workload_exclude(w)) {
        fprintf(f, "The exclude at %s leaves %zu of them out, %zu remain; its rules:\n",
                app_workload_exclude_where(w), product - app_workload_points(w),
                app_workload_points(w));
        show_exclude(f, app_workload_exclude(w));
    }
}

int app_config_report(FILE *f, const app_workload *w, const sim_params *registry, size_t point,
                      sim_err *e)
{
    sim_params *q = sim_params_clone(registry);
    if (app_workload_apply(w, point, q, e) < 0) {
        sim_params_destroy(q);
        return -1;
    }
    size_t n = sim_params_count(q), points = app_workload_points(w);
    int name_w = 4, value_w = 5;
    char v[1100], origin[2048];
    for (size_t i = 0; i < n; i++) {
        const char *name = sim_params_name_at(q, i);
        show_value(q, name, v, sizeof v);
        if ((int)strlen(name) > name_w)
            name_w = (int)strlen(name);
        if ((int)strlen(v) > value_w && strlen(v) <= VALUE_COLUMN_MAX)
            value_w = (int)strlen(v);
    }
    const char *path = app_workload_path(w);
    fprintf(f, "# %s, point %zu (of %zu): every parameter, its value and where it was set\n",
            path ? path : "(no workload file)", point, points);
    fprintf(f, "%-*s %-*s ORIGIN\n", name_w, "NAME", value_w, "VALUE");
    for (size_t i = 0; i < n; i++) {
        const char *name = sim_params_name_at(q, i), *over;
        bool swept;
        const char *where = origin_of(w, name, &swept, &over);
        show_value(q, name, v, sizeof v);
        origin_text(origin, sizeof origin, where, swept, over);
        fprintf(f, "%-*s %-*s %s\n", name_w, name, value_w, v, origin);
    }
    if (app_workload_axes(w))
        show_sweep(f, w, registry, name_w);
    sim_params_destroy(q);
    return 0;
}
