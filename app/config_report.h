/* The effective configuration of a workload's point: every parameter with its value and
 * where the value came from, then what varies between the points. What `iovsim config`
 * prints, and what a results folder keeps of its sweep as DIR/config.txt.
 *
 * An origin is the line that set the parameter ("file:line", in the workload file or in
 * a file it includes: that file's own path and line), the command line ("--set",
 * "--sweep"), or "default" when nothing set it. A setting is reported where it was made
 * even when its value equals the default, and a parameter set in several places shows
 * the one in effect followed by ", over" and the places it replaced (most recent
 * first). Swept parameters are marked "(swept)" and listed again after the table with
 * their values; an exclude is named with the points it leaves. */
#ifndef APP_CONFIG_REPORT_H
#define APP_CONFIG_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "app/workload.h"
#include "sim/err.h"
#include "sim/params.h"

/* The report for point `point` of `w` (its parameters applied to a copy of `registry`);
 * -1 with *e set when the point cannot be applied. */
int app_config_report(FILE *f, const app_workload *w, const sim_params *registry, size_t point,
                      sim_err *e);

#endif
