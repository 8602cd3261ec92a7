/* The command line. Exit status: 0 every point finished, 1 a point failed, 2 bad
 * usage, input or configuration (nothing ran). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "models/system.h"
#include "sim/params.h"
#include "sim/run.h"
#include "sim/sweep.h"
#include "sim/workload.h"

#define EXIT_POINT_FAILED 1
#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: iovsim COMMAND [ARGS]\n"
    "\n"
    "iovsim simulates I/O virtualization hardware and software (PCIe, IOMMU, SR-IOV NIC,\n"
    "hypervisor) and compares the ways a virtual machine reaches a device.\n"
    "\n"
    "Commands:\n"
    "  run FILE [options]      run a workload file: one point, or every point of its [sweep]\n"
    "  params [PREFIX]         list parameters (type, default, unit, range, description)\n"
    "  help [COMMAND]          this text, or a command's\n"
    "\n"
    "Options:\n"
    "  -h, --help              this text\n"
    "  -V, --version           the version\n"
    "\n"
    "Exit status: 0 success, 1 a simulation point failed, 2 bad usage or configuration.\n"
    "Run 'iovsim help run' for the workload file format and run options.\n";

static const char run_help_text[] =
    "usage: iovsim run FILE [--set NAME=VALUE]... [--sweep NAME=LIST]... [--out DIR]\n"
    "                       [-j N] [--resume] [--quiet]\n"
    "\n"
    "Runs the workload FILE (INI). Each point of its [sweep] runs in its own process and\n"
    "writes DIR/points/NNNN/{params.txt,stats.txt,result.txt}; DIR/results.csv has one row\n"
    "per point: the swept parameters, status, the metrics, and an error column.\n"
    "\n"
    "  --set NAME=VALUE   override a parameter (fixes it if the file sweeps it)\n"
    "  --sweep NAME=LIST  sweep a parameter: 'a, b, c', 'A..B step S' or 'A..B *F'\n"
    "                     (replaces the file's axis of that name, or adds one)\n"
    "  --out DIR          results folder (default results/<run.name or file name>)\n"
    "  -j, --jobs N       run N points at once (default 1)\n"
    "  --resume           keep points already finished in DIR, run the others\n"
    "  -q, --quiet        print nothing but errors\n"
    "\n"
    "Workload file:\n"
    "  include = platforms/x.ini    (before the first section, relative to this file)\n"
    "  [pcie]\n"
    "  mps_bytes = 256              sets pcie.mps_bytes; values may carry units: 250ns, 4KiB,\n"
    "                               10Gbps\n"
    "  [sweep]\n"
    "  pcie.mps_bytes = 128, 256    axes by full name; points are the product of the axes\n"
    "  dma.size_bytes = 64..1024 *2\n"
    "\n"
    "'iovsim params' lists every parameter.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "iovsim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'iovsim --help'.\n");
    return EXIT_USAGE;
}

static sim_params *make_registry(void)
{
    sim_params *p = sim_params_create();
    sim_run_register_params(p);
    system_ops.register_params(p);
    return p;
}

static int parse_jobs(const char *s, unsigned *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 1 || v > 1024)
        return -1;
    *out = (unsigned)v;
    return 0;
}

typedef struct run_args {
    const char *file;
    const char **sets, **sweeps;
    size_t n_sets, n_sweeps;
    sim_sweep_opts opts;
} run_args;

static int parse_run_args(int argc, char **argv, run_args *a)
{
    enum { OPT_SET = 256, OPT_SWEEP, OPT_OUT, OPT_RESUME };
    static const struct option longopts[] = {
        {"set", required_argument, NULL, OPT_SET},   {"sweep", required_argument, NULL, OPT_SWEEP},
        {"out", required_argument, NULL, OPT_OUT},   {"jobs", required_argument, NULL, 'j'},
        {"resume", no_argument, NULL, OPT_RESUME},   {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    a->sets = calloc((size_t)argc, sizeof *a->sets);
    a->sweeps = calloc((size_t)argc, sizeof *a->sweeps);
    if (!a->sets || !a->sweeps)
        abort();
    a->opts.jobs = 1;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_SET: a->sets[a->n_sets++] = optarg; break;
        case OPT_SWEEP: a->sweeps[a->n_sweeps++] = optarg; break;
        case OPT_OUT: a->opts.out_dir = optarg; break;
        case 'j':
            if (parse_jobs(optarg, &a->opts.jobs) < 0)
                return usage_error("run: -j takes a number of processes from 1 to 1024, got '%s'",
                                   optarg);
            break;
        case OPT_RESUME: a->opts.resume = true; break;
        case 'q': a->opts.quiet = true; break;
        case 'h': fputs(run_help_text, stdout); return -1;
        case ':': return usage_error("run: option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("run: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("run: no workload file given%s", "");
    if (optind + 1 < argc)
        return usage_error("run: one workload file at a time; unexpected '%s'", argv[optind + 1]);
    a->file = argv[optind];
    a->opts.progress = isatty(STDERR_FILENO) && !a->opts.quiet;
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    run_args a = {0};
    int rc = parse_run_args(argc, argv, &a);
    if (rc != 0) {
        free(a.sets);
        free(a.sweeps);
        return rc < 0 ? 0 : rc;
    }
    sim_params *reg = make_registry();
    sim_err e = {{0}};
    sim_workload *w = sim_workload_load(a.file, reg, &e);
    rc = w ? 0 : EXIT_USAGE;
    for (size_t i = 0; rc == 0 && i < a.n_sets; i++)
        if (sim_workload_override_set(w, reg, a.sets[i], &e) < 0)
            rc = EXIT_USAGE;
    for (size_t i = 0; rc == 0 && i < a.n_sweeps; i++)
        if (sim_workload_override_sweep(w, reg, a.sweeps[i], &e) < 0)
            rc = EXIT_USAGE;
    if (rc == 0)
        rc = sim_sweep_run(&system_ops, w, reg, &a.opts, &e);
    if (rc == EXIT_USAGE || (rc != 0 && e.msg[0]))
        fprintf(stderr, "iovsim: %s\n", e.msg);
    if (w)
        sim_workload_destroy(w);
    sim_params_destroy(reg);
    free(a.sets);
    free(a.sweeps);
    return rc;
}

static int cmd_params(int argc, char **argv)
{
    bool markdown = false;
    const char *prefix = "";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--markdown"))
            markdown = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts("usage: iovsim params [PREFIX] [--markdown]\n\n"
                 "Lists every parameter whose name starts with PREFIX (e.g. 'pcie.'): type,\n"
                 "default, unit, allowed range or values, description. --markdown writes the\n"
                 "reference that docs/PARAMS.md is generated from.");
            return 0;
        } else if (argv[i][0] == '-')
            return usage_error("params: unknown option '%s'", argv[i]);
        else if (*prefix)
            return usage_error("params: one prefix at a time; unexpected '%s'", argv[i]);
        else
            prefix = argv[i];
    }
    sim_params *reg = make_registry();
    size_t matched = 0;
    for (size_t i = 0; i < sim_params_count(reg); i++)
        matched += strncmp(sim_params_name_at(reg, i), prefix, strlen(prefix)) == 0;
    int rc = 0;
    if (!matched) {
        const char *near = sim_params_suggest(reg, prefix);
        fprintf(stderr, "iovsim: params: no parameter starts with '%s'%s%s%s\n", prefix,
                near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        rc = EXIT_USAGE;
    } else {
        sim_params_list(reg, stdout, prefix, markdown);
    }
    sim_params_destroy(reg);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
        (!strcmp(cmd, "help") && argc == 2)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("iovsim %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help")) {
        if (!strcmp(argv[2], "run")) {
            fputs(run_help_text, stdout);
            return 0;
        }
        if (!strcmp(argv[2], "params"))
            return cmd_params(2, (char *[]){"params", "--help", NULL});
        return usage_error("help: unknown command '%s'", argv[2]);
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "params"))
        return cmd_params(argc - 1, argv + 1);
    return usage_error("unknown command '%s'", cmd);
}
