#include "app/config_cmd.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/config_report.h"
#include "app/workload.h"
#include "sim/alloc.h"
#include "sim/params.h"
#include "sim/run.h"
#include "systems/kinds.h"

#define EXIT_BAD 2

const char config_cmd_help_text[] =
    "usage: iovsim config FILE [--set NAME=VALUE]... [--sweep NAME=LIST]... [--zip A,B]...\n"
    "                          [--point N]\n"
    "\n"
    "Prints the effective parameters of the workload FILE with the command line's\n"
    "overrides, as 'iovsim run' applies them, without running anything: every parameter\n"
    "of the first point (or of point N), its value and unit, and its origin:\n"
    "  FILE:LINE         the line that set it: in FILE, or in a file it includes (that\n"
    "                    file's own path and line)\n"
    "  --set, --sweep    the command line (--zip pairs swept axes, as for run)\n"
    "  default           nothing set it ('iovsim params' lists the defaults)\n"
    "A value set where it equals the default still shows where it was set. A parameter\n"
    "set in several places (a platform file, the workload, the command line) shows the\n"
    "one in effect, then ', over' and the places it replaced, the most recent first.\n"
    "Swept parameters are marked (swept) and listed after the table with their values\n"
    "and where they were swept; so is an exclude, with the points it leaves.\n"
    "A results folder keeps this report of its sweep as DIR/config.txt.\n"
    "Exit status: 0 printed, 2 bad usage or workload.\n";

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "iovsim: config: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'iovsim help config'.\n");
    return EXIT_BAD;
}

static int run_config(const char *file, const char *const *sets, size_t n_sets,
                      const char *const *sweeps, size_t n_sweeps, const char *const *zips,
                      size_t n_zips, bool one_point, size_t point)
{
    sim_params *reg = sim_params_create();
    sim_run_register_params(reg);
    systems_ops.register_params(reg);
    sim_err e = {{0}};
    int rc = 0;
    app_workload *w = app_workload_load(file, reg, &e);
    if (!w || app_workload_overrides(w, reg, sets, n_sets, sweeps, n_sweeps, zips, n_zips, &e) < 0)
        rc = -1;
    if (rc == 0 && one_point && point >= app_workload_points(w))
        rc = sim_err_set(&e, "config: --point %zu: the workload has %zu point%s (0 to %zu)", point,
                         app_workload_points(w), app_workload_points(w) == 1 ? "" : "s",
                         app_workload_points(w) - 1);
    if (rc == 0)
        rc = app_config_report(stdout, w, reg, one_point ? point : 0, &e);
    if (rc < 0)
        fprintf(stderr, "iovsim: %s\n", e.msg);
    app_workload_destroy(w);
    sim_params_destroy(reg);
    return rc < 0 ? EXIT_BAD : 0;
}

int config_cmd_main(int argc, char **argv)
{
    enum { OPT_SET = 256, OPT_SWEEP, OPT_ZIP, OPT_POINT };
    static const struct option longopts[] = {
        {"set", required_argument, NULL, OPT_SET},
        {"sweep", required_argument, NULL, OPT_SWEEP},
        {"zip", required_argument, NULL, OPT_ZIP},
        {"point", required_argument, NULL, OPT_POINT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **sets = sim_xcalloc((size_t)argc, sizeof *sets);
    const char **sweeps = sim_xcalloc((size_t)argc, sizeof *sweeps);
    const char **zips = sim_xcalloc((size_t)argc, sizeof *zips);
    size_t n_sets = 0, n_sweeps = 0, n_zips = 0, point = 0;
    bool one_point = false;
    int rc = -1, c;
    opterr = 0;
    optind = 1;
    while (rc < 0 && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case OPT_SET: sets[n_sets++] = optarg; break;
        case OPT_SWEEP: sweeps[n_sweeps++] = optarg; break;
        case OPT_ZIP: zips[n_zips++] = optarg; break;
        case OPT_POINT:
            point = strtoul(optarg, &end, 10);
            one_point = true;
            if (!*optarg || *optarg == '-' || *end)
                rc = bad_usage("--point takes a point number from 0, got '%s'", optarg);
            break;
        case 'h':
            fputs(config_cmd_help_text, stdout);
            rc = 0;
            break;
        case ':': rc = bad_usage("option '%s' needs a value", argv[optind - 1]); break;
        default: rc = bad_usage("unknown option '%s'", argv[optind - 1]); break;
        }
    }
    if (rc < 0 && optind >= argc)
        rc = bad_usage("no workload file given%s", "");
    else if (rc < 0 && optind + 1 < argc)
        rc = bad_usage("one workload file at a time; unexpected '%s'", argv[optind + 1]);
    if (rc < 0)
        rc = run_config(argv[optind], sets, n_sets, sweeps, n_sweeps, zips, n_zips, one_point,
                        point);
    free(sets);
    free(sweeps);
    free(zips);
    return rc;
}
