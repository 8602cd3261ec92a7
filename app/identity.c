#include "app/identity.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config_report.h"
#include "app/provenance.h"
#include "app/strlist.h"
#include "sim/alloc.h"
#include "sim/files.h"

#define SETTINGS_FILE "params.txt"
#define CONFIG_FILE "config.txt"

/* Parameters that decide how a point runs, not what it computes (see identity.h). */
static bool outside_identity(const char *name)
{
    return !strcmp(name, "run.timeout_s") || !strcmp(name, "run.name");
}

/* A sweep's settings as names and canonical values, those outside its identity left
 * out. */
typedef struct settings {
    app_strlist names, values;
} settings;

static void settings_free(settings *st)
{
    app_strlist_free(&st->names);
    app_strlist_free(&st->values);
}

static void settings_of_params(const sim_params *q, settings *st)
{
    char v[1024]; /* as sim_params_write, which wrote the file compared with */
    for (size_t i = 0; i < sim_params_count(q); i++) {
        const char *name = sim_params_name_at(q, i);
        if (outside_identity(name))
            continue;
        sim_params_format(q, name, v, sizeof v);
        app_strlist_push(&st->names, sim_xstrdup(name));
        app_strlist_push(&st->values, sim_xstrdup(v));
    }
}

/* DIR/params.txt; false when there is none. */
static bool settings_of_folder(const char *dir, settings *st)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" SETTINGS_FILE, dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strstr(line, " = ");
        if (line[0] == '#' || !eq)
            continue;
        *eq = '\0';
        if (outside_identity(line))
            continue;
        app_strlist_push(&st->names, sim_xstrdup(line));
        app_strlist_push(&st->values, sim_xstrdup(eq + 3));
    }
    free(line);
    fclose(f);
    return true;
}

/* Whether `a` and `b` are the same settings; when not, `why` names the first parameter
 * they part on, a's value first ("none": the parameter is unknown to the iovsim that
 * wrote the other). */
static bool settings_same(const settings *a, const settings *b, char *why, size_t len)
{
    for (size_t i = 0; i < a->names.n; i++) {
        size_t k = app_strlist_find(&b->names, a->names.v[i]);
        if (k != SIZE_MAX && !strcmp(a->values.v[i], b->values.v[k]))
            continue;
        snprintf(why, len, SETTINGS_FILE ": %s = %s against %s%s", a->names.v[i], a->values.v[i],
                 k == SIZE_MAX ? "none" : b->values.v[k],
                 k == SIZE_MAX ? " (written by another iovsim)" : "");
        return false;
    }
    for (size_t i = 0; i < b->names.n; i++)
        if (!app_strlist_has(&a->names, b->names.v[i])) {
            snprintf(why, len, SETTINGS_FILE ": %s = none against %s (written by another iovsim)",
                     b->names.v[i], b->values.v[i]);
            return false;
        }
    return true;
}

/* DIR/params.txt against `q`, the first point applied: a folder without one (an older
 * iovsim's) is taken as the same. */
static bool same_settings(const char *dir, const sim_params *q, char *why, size_t len)
{
    settings mine = {0}, theirs = {0};
    settings_of_params(q, &mine);
    bool same = !settings_of_folder(dir, &theirs) || settings_same(&mine, &theirs, why, len);
    settings_free(&mine);
    settings_free(&theirs);
    return same;
}

bool app_identity_same_settings(const char *a, const char *b, char *why, size_t len)
{
    settings sa = {0}, sb = {0};
    bool same = !settings_of_folder(a, &sa) || !settings_of_folder(b, &sb) ||
                settings_same(&sa, &sb, why, len);
    settings_free(&sa);
    settings_free(&sb);
    return same;
}

/* What iovsim writes at the top of a results folder (results.json beside results.csv
 * included): --force removes these, and nothing else a user keeps there. */
static int remove_results(const char *dir, sim_err *e)
{
    static const char *const names[] = {
        "points",    "plots",       "workload",     "sweep.txt",   SETTINGS_FILE,       CONFIG_FILE,
        "plots.ini", "results.csv", "results.json", "summary.txt", APP_PROVENANCE_FILE,
    };
    char path[4200];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (sim_remove_tree(path, e) < 0)
            return -1;
    }
    return app_provenance_drop_earlier(dir, e);
}

static int refuse(const char *dir, app_claim how, const char *why, sim_err *e)
{
    if (how == APP_CLAIM_RESUME)
        return sim_err_set(e,
                           "--resume: %s holds another sweep (this run against its %s): "
                           "--resume continues the sweep a folder holds; use another --out "
                           "folder, or --force to replace its results",
                           dir, why);
    if (how == APP_CLAIM_POINT)
        return sim_err_set(e,
                           "%s holds another sweep (this run against its %s): use another "
                           "--out folder for this one",
                           dir, why);
    return sim_err_set(e,
                       "%s holds the results of another sweep (this run against its %s): use "
                       "another --out folder, or --force to replace them",
                       dir, why);
}

/* DIR/params.txt and DIR/config.txt of the first point `q` of `w`. */
static int write_settings(const char *dir, const app_workload *w, const sim_params *registry,
                          const sim_params *q, sim_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" SETTINGS_FILE, dir);
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    fputs("# The parameters of this sweep's first point: with sweep.txt, what makes a run "
          "into this folder the same sweep ('iovsim help run').\n",
          sf.f);
    sim_params_write(q, sf.f);
    if (sim_file_commit(&sf, e) < 0)
        return -1;
    char *text = NULL;
    size_t size = 0;
    FILE *f = sim_xopen_memstream(&text, &size);
    int rc = app_config_report(f, w, registry, 0, e);
    fclose(f);
    snprintf(path, sizeof path, "%s/" CONFIG_FILE, dir);
    if (rc == 0)
        rc = app_write_shared(path, text, e);
    free(text);
    return rc;
}

int app_identity_claim(const char *dir, const app_manifest *m, const app_workload *w,
                       const sim_params *registry, app_claim how, sim_err *e)
{
    sim_params *q = sim_params_clone(registry);
    int rc = app_workload_apply(w, 0, q, e);
    sim_err ignored;
    app_manifest *old = rc == 0 ? app_manifest_read(dir, &ignored) : NULL;
    if (old) {
        char why[1200], part[1024];
        bool same = app_manifest_same(m, old, part, sizeof part);
        if (!same)
            snprintf(why, sizeof why, "sweep.txt: %s", part);
        else
            same = same_settings(dir, q, why, sizeof why);
        app_manifest_destroy(old);
        if (!same && how != APP_CLAIM_FORCE)
            rc = refuse(dir, how, why, e);
    }
    if (rc == 0 && how == APP_CLAIM_FORCE)
        rc = remove_results(dir, e);
    if (rc == 0)
        rc = app_manifest_write(m, dir, e);
    if (rc == 0)
        rc = write_settings(dir, w, registry, q, e);
    sim_params_destroy(q);
    return rc;
}
