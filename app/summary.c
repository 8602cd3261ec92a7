#include "app/summary.h"

#include <string.h>

/* Workload kinds with a view of their results folder. */
static const struct {
    const char *kind;
    int (*summarize)(const app_results *r, char **text, sim_err *e);
} views[] = {
    {"paths", app_summary_paths},
    {"storage", app_summary_storage},
};

int app_summarize(const char *dir, char **text, sim_err *e)
{
    *text = NULL;
    app_results *r = app_results_load(dir, e);
    if (!r)
        return -1;
    const char *kind = NULL;
    for (size_t i = 0; i < app_results_points(r) && !kind; i++)
        kind = app_results_param(r, i, "workload.kind");
    int rc = 0;
    for (size_t i = 0; kind && i < sizeof views / sizeof views[0]; i++)
        if (!strcmp(kind, views[i].kind))
            rc = views[i].summarize(r, text, e);
    app_results_destroy(r);
    return rc;
}
