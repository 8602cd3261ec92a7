/* Which sweep a results folder holds, and whether a run may write into it.
 *
 * Two runs are of the same sweep when they have the same points and the same effective
 * settings:
 *   DIR/sweep.txt    the points: the swept parameters and every point's values
 *                    (app/results.h)
 *   DIR/params.txt   the effective settings: every parameter of the sweep's first point
 *                    ("name = value", canonical), as a point's params.txt; every other
 *                    point differs from it only by its swept values. run.timeout_s and
 *                    run.name are left out of the comparison: they decide how long a
 *                    point may take and where results go by default, not what a point
 *                    computes (a timed-out sweep may be resumed with a longer limit).
 *   DIR/config.txt   the same settings with their origins, for people (app/config_report.h)
 * A folder written before params.txt existed is compared by its points alone.
 *
 * A run into a folder that holds another sweep would mix two experiments (or replace
 * one without a word); it is refused unless --force, which removes the other sweep's
 * results first. --resume continues the sweep the folder holds, and only that one. */
#ifndef APP_IDENTITY_H
#define APP_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "app/results.h"
#include "app/workload.h"
#include "sim/err.h"
#include "sim/params.h"

typedef enum app_claim {
    APP_CLAIM_RUN,    /* a whole sweep: any folder but one of another sweep */
    APP_CLAIM_RESUME, /* --resume: the same sweep, or a folder that holds none */
    APP_CLAIM_FORCE,  /* --force: any folder; another sweep's results are removed */
    APP_CLAIM_POINT,  /* --point N: like RUN, beside other single points at once */
} app_claim;

/* Makes DIR the folder of the sweep of `w` (its points `m`, its settings applied to a
 * copy of `registry`), then writes sweep.txt, params.txt and config.txt (whole, under
 * names of this process's own, so single points may all write them). The caller holds
 * DIR's lock. -1 with *e set when refused (saying how the sweeps differ and what to
 * do) or when DIR cannot be written. */
int app_identity_claim(const char *dir, const app_manifest *m, const app_workload *w,
                       const sim_params *registry, app_claim how, sim_err *e);

/* Whether the folders `a` and `b` hold the same settings (their params.txt; either
 * without one counts as the same); when not, `why` names the first difference, a's value
 * first. The points are app_manifest_same's. */
bool app_identity_same_settings(const char *a, const char *b, char *why, size_t len);

#endif
