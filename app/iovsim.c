/* The command line. Exit status: 0 every point finished, 1 a point failed, 2 bad
 * usage, input or configuration (nothing ran). */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/config_cmd.h"
#include "app/diff.h"
#include "app/merge.h"
#include "app/metrics.h"
#include "app/plot.h"
#include "app/provenance.h"
#include "app/regress.h"
#include "app/results.h"
#include "app/strlist.h"
#include "app/sweep.h"
#include "app/sweep_emit.h"
#include "app/trace_cmd.h"
#include "app/workload.h"
#include "config.h"
#include "sim/alloc.h"
#include "sim/params.h"
#include "sim/run.h"
#include "systems/kinds.h"

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
    "  plot DIR [PLOTFILE]     draw the plots of a results folder again\n"
    "  merge OUT [DIR]...      merge results folders (points run elsewhere) into OUT\n"
    "  diff A B [--tolerance X]  the metrics of two results folders side by side\n"
    "  regress [--update] FILE...  run scenario workloads and compare with their .expect files\n"
    "  trace info|cat|import   DMA traces: summary, text form, import (iovsim help trace)\n"
    "  params [WORD]           list parameters whose name contains WORD (type, default, unit,\n"
    "                          range, description)\n"
    "  metrics [WORD]          list the metrics of each workload kind (unit, definition) and\n"
    "                          the statistics whose name contains WORD\n"
    "  config FILE [options]   the effective parameters of a workload and where each was set\n"
    "  help [COMMAND]          this text, or a command's\n"
    "\n"
    "Options:\n"
    "  -h, --help              this text\n"
    "  -V, --version           the version\n"
    "\n"
    "Exit status: 0 success, 1 a simulation point failed, 2 bad usage or configuration.\n"
    "Run 'iovsim help run' for the workload file format and run options, and 'iovsim help\n"
    "COMMAND' for the others.\n";

static const char run_help_text[] =
    "usage: iovsim run FILE [--set NAME=VALUE]... [--sweep NAME=LIST]... [--zip A,B]...\n"
    "                       [--out DIR] [-j N] [--resume | --force] [--quiet] [--no-plots]\n"
    "       iovsim run FILE [overrides] [--out DIR] --list-points\n"
    "       iovsim run FILE [overrides] [--out DIR] --emit-slurm SLURMDIR [--slurm-array-max N]\n"
    "\n"
    "Runs the workload FILE (INI). Each point of its [sweep] runs in its own process and\n"
    "writes DIR/points/NNNN/{params.txt,stats.txt,hists.txt,result.txt}; DIR/results.csv has\n"
    "one row per point: the swept parameters, status, the metrics, and an error column;\n"
    "DIR/results.json the same rows, typed (numbers as numbers, nan as null).\n"
    "The workload's [plot] sections are drawn into DIR/plots/ ('iovsim help plot').\n"
    "DIR/provenance.txt records how the folder was made (key = value lines: the command\n"
    "line, each --set and --sweep, the version and source revision, the host, the start\n"
    "and end time, the workload file and each file it includes) and DIR/workload/ keeps\n"
    "copies of those files, includes at their places. A point run with --point records\n"
    "itself in DIR/points/NNNN/provenance.txt; --resume keeps the earlier record as\n"
    "DIR/provenance.N.txt.\n"
    "\n"
    "  --set NAME=VALUE   override a parameter (fixes it if the file sweeps it)\n"
    "  --sweep NAME=LIST  sweep a parameter: 'a, b, c', 'A..B step S' or 'A..B *F'\n"
    "                     (replaces the file's axis of that name, or adds one)\n"
    "  --zip A,B[,C...]   pair swept parameters: they take their values together (as a\n"
    "                     file's zip below; they leave the file's zip)\n"
    "  --out DIR          results folder (default results/<run.name or file name>)\n"
    "  -j, --jobs N       run N points at once (default 1)\n"
    "  --resume           keep points already finished in DIR, run the others (also after\n"
    "                     an interrupted run); DIR must hold the same sweep\n"
    "  --force            replace the results DIR holds, of whatever sweep\n"
    "  -q, --quiet        print nothing but errors: no progress, summary or notes\n"
    "  --no-plots         write results.csv but draw no plots\n"
    "\n"
    "Progress: a line per finished point, '[3/10 done, 1 failed, ~0:01:20 left] point 2\n"
    "(...) ok (12.30 s)', the time left estimated from the mean time of the points\n"
    "finished so far and -j ('1 failed' when some did); on a terminal also a line that\n"
    "keeps itself current.\n"
    "\n"
    "DIR holds one sweep. Two runs are of the same sweep when they have the same points\n"
    "(DIR/sweep.txt: the swept parameters and every point's values) and the same\n"
    "effective settings (DIR/params.txt: every parameter of the first point, but for\n"
    "run.timeout_s and run.name, which change how a point runs, not what it computes;\n"
    "DIR/config.txt shows them with their origins). A run into a DIR that holds another\n"
    "sweep is refused (exit 2, naming the first difference) unless --force, which removes\n"
    "the other sweep's results first; --resume continues only the sweep DIR holds. A run\n"
    "of the same sweep without --resume runs every point again. Another run writing DIR\n"
    "at the same time (DIR/.lock) is refused too.\n"
    "\n"
    "Sweeps beyond one machine:\n"
    "  --list-points      print one self-contained command line per point (absolute paths;\n"
    "                     each writes its point under DIR), e.g. for GNU parallel:\n"
    "                       iovsim run FILE --out DIR --list-points | parallel -j 8\n"
    "                       iovsim merge DIR\n"
    "  --emit-slurm SLURMDIR  write SLURMDIR/iovsim.sbatch (a job array) and the points file\n"
    "                     SLURMDIR/points.txt it indexes; results go to DIR (default\n"
    "                     SLURMDIR): sbatch SLURMDIR/iovsim.sbatch, then iovsim merge DIR\n"
    "  --slurm-array-max N  the highest array index the site allows (default 1000); more\n"
    "                     points than that run several per array task\n"
    "  --point N          run only point N into DIR (what the listed lines do)\n"
    "\n"
    "Workload file:\n"
    "  include = platforms/x.ini    (before the first section, relative to this file)\n"
    "  [pcie]\n"
    "  mps_bytes = 256              sets pcie.mps_bytes; values may carry units: 250ns, 4KiB,\n"
    "                               10Gbps\n"
    "  [sweep]\n"
    "  pcie.mps_bytes = 128, 256    axes by full name; points are the product of the axes\n"
    "  dma.size_bytes = 64..1024 *2 (at most 100000 values an axis, a million points)\n"
    "  zip = iommu.iotlb_entries, iommu.iotlb_ways\n"
    "                               these axes take their values together, the i-th of each\n"
    "                               at once (each needs as many values): one dimension of the\n"
    "                               product, where the first stands; groups separated by '|'\n"
    "                               (e.g. entries = 8..4096 *2 with ways = 1, 2, 4, ..., 512)\n"
    "\n"
    "'iovsim params' lists every parameter.\n";

static const char plot_help_text[] =
    "usage: iovsim plot DIR [PLOTFILE] [-q]\n"
    "\n"
    "Draws the plots of the results folder DIR again, from DIR/plots.ini (the [plot]\n"
    "sections of the workload that ran) or from PLOTFILE, into DIR/plots/: NAME.png and\n"
    "NAME.svg through gnuplot, beside NAME.gp and NAME.dat (edit those and redraw with\n"
    "'gnuplot NAME.gp' in that folder).\n"
    "\n"
    "  [plot NAME]\n"
    "  kind   = lines              lines (with points) | bars | stacked | cdf | timeseries\n"
    "  x      = dma.size_bytes     a parameter (for lines also a metric; for cdf a histogram\n"
    "                              such as dma.latency_ps)\n"
    "  y      = dma_gbps           metrics, comma-separated (not for cdf; for timeseries,\n"
    "                              what run.sample samples, drawn against time)\n"
    "  labels = payload            legend text for each y\n"
    "  series = dma.op             one curve or bar per value of these parameters\n"
    "  series_label = {dma.op}     legend text of a series; {PARAM} is its value\n"
    "  where  = dma.cache=warm     only these points (PARAM=VALUE or PARAM!=VALUE, commas)\n"
    "  logx   = true               logarithmic x axis (logy for y)\n"
    "  title  = ...                xlabel = ..., ylabel = ... (defaults: names and units)\n"
    "  hline  = 57.88 TLP rate     reference lines: VALUE or METRIC, a label; '|' between\n"
    "  format = png, svg           size = 900x560\n"
    "  marks  = false              timeseries: leave off the events the points' models\n"
    "                              recorded (events.csv), drawn by default as dashed lines\n"
    "                              at their times with their labels (marks closer than\n"
    "                              1.5% of the time axis share one label); a timeseries'\n"
    "                              time axis reads in s, ms or us by the run's length\n"
    "\n"
    "Swept parameters that a plot neither uses as x or series nor fixes with where join its\n"
    "series, unless their values follow one it does (zipped with it). Plots are checked\n"
    "when a workload loads: an unknown key, parameter, metric or\n"
    "histogram stops the run before it starts (exit 2, naming file:line).\n"
    "A plot with nothing to draw (its where selects no finished point: PLOTFILE was written\n"
    "for another sweep) is skipped with a note; -q, --quiet silences the notes and the\n"
    "list of plots drawn.\n"
    "Exit status: 0 every plot with something to draw was drawn, 1 some could not be\n"
    "(gnuplot missing or failing) or no point finished, 2 bad usage or plot description.\n";

static const char merge_help_text[] =
    "usage: iovsim merge OUT [DIR]...\n"
    "\n"
    "Merges results folders of one sweep (partial runs, or points run elsewhere with\n"
    "'iovsim run FILE --point N') into OUT: each point's folder is taken from the first\n"
    "of OUT, DIR... where it finished (else where it failed), then OUT/results.csv is\n"
    "assembled in point order (byte for byte what a local run writes) and the plots are\n"
    "drawn. With no DIR, OUT is assembled in place. The folders must hold the same sweep\n"
    "(their sweep.txt and params.txt: 'iovsim help run'). OUT/provenance.txt records the\n"
    "merge; OUT's earlier record and those of the folders points came from are kept as\n"
    "OUT/provenance.N.txt. Exit status: 0 every point finished, 1 some point failed or is\n"
    "missing (listed), 2 bad usage or folders that do not match.\n";

static const char regress_help_text[] =
    "usage: iovsim regress [--update] [--out DIR] [-j N] [-q] FILE...\n"
    "\n"
    "Runs each scenario workload FILE (DIR/<name>, default results/regress/<name>) and\n"
    "compares its metrics with FILE's .expect file (FILE without .ini, plus .expect):\n"
    "\n"
    "  # POINT                          METRIC             EXPECTED    TOLERANCE\n"
    "  dma.op=read,dma.size_bytes=64    dma_gbps           44.096      0.001%\n"
    "  mdq.arrival_rate_mpps=0.9        mdq_sojourn_ns_mean  @mdq_sojourn_ns_theory  2%\n"
    "\n"
    "POINT is the point's swept values (name=value joined by commas; '-' when nothing is\n"
    "swept). EXPECTED is a number, @METRIC: another metric of the same point, or nan:\n"
    "nothing to measure (e.g. a latency without samples), matched only by nan.\n"
    "TOLERANCE is N% (relative) or N (absolute). Every point needs at least one row.\n"
    "--update rewrites the numbers with this run's values (tolerances, @ rows, comments\n"
    "and removed metrics are kept as they are), adds every metric of points that have no\n"
    "row, prints each change, and exits 0.\n"
    "Exit status: 0 every row passes, 1 some row fails (or a point failed), 2 bad usage,\n"
    "workload or expect file.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "iovsim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'iovsim --help'.\n");
    return EXIT_USAGE;
}

/* "CMD: unknown option 'ARG'", with the closest of `opts` when one is near. */
static int unknown_option(const char *cmd, const char *arg, const struct option *opts)
{
    char msg[512];
    app_unknown_option_text(msg, sizeof msg, cmd, arg, opts);
    return usage_error("%s", msg);
}

static sim_params *make_registry(void)
{
    sim_params *p = sim_params_create();
    sim_run_register_params(p);
    systems_ops.register_params(p);
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
    const char **sets, **sweeps, **zips;
    size_t n_sets, n_sweeps, n_zips;
    app_sweep_opts opts;
} run_args;

static int parse_count(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    if (!*s || *s == '-')
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_run_args(int argc, char **argv, run_args *a)
{
    enum {
        OPT_SET = 256,
        OPT_SWEEP,
        OPT_OUT,
        OPT_RESUME,
        OPT_LIST,
        OPT_SLURM,
        OPT_SLURM_MAX,
        OPT_POINT,
        OPT_NO_PLOTS,
        OPT_FORCE,
        OPT_ZIP
    };
    static const struct option longopts[] = {
        {"set", required_argument, NULL, OPT_SET},
        {"sweep", required_argument, NULL, OPT_SWEEP},
        {"zip", required_argument, NULL, OPT_ZIP},
        {"out", required_argument, NULL, OPT_OUT},
        {"jobs", required_argument, NULL, 'j'},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"quiet", no_argument, NULL, 'q'},
        {"list-points", no_argument, NULL, OPT_LIST},
        {"emit-slurm", required_argument, NULL, OPT_SLURM},
        {"slurm-array-max", required_argument, NULL, OPT_SLURM_MAX},
        {"point", required_argument, NULL, OPT_POINT},
        {"no-plots", no_argument, NULL, OPT_NO_PLOTS},
        {"force", no_argument, NULL, OPT_FORCE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    a->sets = sim_xcalloc((size_t)argc, sizeof *a->sets);
    a->sweeps = sim_xcalloc((size_t)argc, sizeof *a->sweeps);
    a->zips = sim_xcalloc((size_t)argc, sizeof *a->zips);
    a->opts.jobs = 1;
    opterr = 0;
    optind = 1;
    int c;
    unsigned long n;
    while ((c = getopt_long(argc, argv, ":j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_SET: a->sets[a->n_sets++] = optarg; break;
        case OPT_SWEEP: a->sweeps[a->n_sweeps++] = optarg; break;
        case OPT_ZIP: a->zips[a->n_zips++] = optarg; break;
        case OPT_OUT: a->opts.out_dir = optarg; break;
        case 'j':
            if (parse_jobs(optarg, &a->opts.jobs) < 0)
                return usage_error("run: -j takes a number of processes from 1 to 1024, got '%s'",
                                   optarg);
            break;
        case OPT_RESUME: a->opts.resume = true; break;
        case OPT_FORCE: a->opts.force = true; break;
        case 'q': a->opts.quiet = true; break;
        case OPT_NO_PLOTS: a->opts.no_plots = true; break;
        case OPT_LIST:
            if (a->opts.mode == APP_SWEEP_SLURM)
                return usage_error("run: --list-points and --emit-slurm%s exclude each other", "");
            a->opts.mode = APP_SWEEP_LIST;
            break;
        case OPT_SLURM:
            if (a->opts.mode == APP_SWEEP_LIST)
                return usage_error("run: --list-points and --emit-slurm%s exclude each other", "");
            a->opts.mode = APP_SWEEP_SLURM;
            a->opts.slurm_dir = optarg;
            break;
        case OPT_SLURM_MAX:
            if (parse_count(optarg, 10000000, &n) < 0 || n < 1)
                return usage_error("run: --slurm-array-max takes an array index from 1, got '%s'",
                                   optarg);
            a->opts.slurm_array_max = (unsigned)n;
            break;
        case OPT_POINT:
            if (parse_count(optarg, ULONG_MAX, &n) < 0)
                return usage_error("run: --point takes a point number from 0, got '%s'", optarg);
            a->opts.one_point = true;
            a->opts.point = (size_t)n;
            break;
        case 'h': fputs(run_help_text, stdout); return -1;
        case ':': return usage_error("run: option '%s' needs a value", argv[optind - 1]);
        default: return unknown_option("run", argv[optind - 1], longopts);
        }
    }
    if (optind >= argc)
        return usage_error("run: no workload file given%s", "");
    if (optind + 1 < argc)
        return usage_error("run: one workload file at a time; unexpected '%s'", argv[optind + 1]);
    if (a->opts.one_point && a->opts.mode != APP_SWEEP_RUN)
        return usage_error("run: --point runs one point; it does not go with --list-points or "
                           "--emit-slurm%s",
                           "");
    if (a->opts.force && (a->opts.resume || a->opts.one_point || a->opts.mode == APP_SWEEP_LIST))
        return usage_error("run: --force replaces a folder's results: it goes with a whole run or "
                           "--emit-slurm, not with %s",
                           a->opts.resume      ? "--resume"
                           : a->opts.one_point ? "--point"
                                               : "--list-points");
    if (a->opts.one_point && !a->opts.out_dir)
        return usage_error("run: --point needs --out DIR (the folder the points are merged "
                           "from)%s",
                           "");
    a->file = argv[optind];
    a->opts.progress = isatty(STDERR_FILENO) && !a->opts.quiet && a->opts.mode == APP_SWEEP_RUN &&
                       !a->opts.one_point;
    return 0;
}

/* ---- command lines for other machines ---- */

/* This program's absolute path, so a listed command runs from any folder. */
static char *program_path(const char *argv0)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        return sim_xstrdup(buf);
    }
    char *real = strchr(argv0, '/') ? realpath(argv0, NULL) : NULL;
    return real ? real : sim_xstrdup(argv0);
}

/* "'/abs/iovsim' run '/abs/file.ini' --set ... --sweep ...": what a point's line starts
 * with. The overrides keep their order, which decides the result. */
static char *rerun_command(const run_args *a, const char *program, sim_err *e)
{
    char *file = realpath(a->file, NULL);
    if (!file) {
        sim_err_set(e, "%s: cannot resolve its absolute path", a->file);
        return NULL;
    }
    char *cmd = NULL;
    size_t len = 0;
    FILE *f = sim_xopen_memstream(&cmd, &len);
    app_sweep_shell_quote(f, program);
    fputs(" run ", f);
    app_sweep_shell_quote(f, file);
    for (size_t i = 0; i < a->n_sets; i++) {
        fputs(" --set ", f);
        app_sweep_shell_quote(f, a->sets[i]);
    }
    for (size_t i = 0; i < a->n_sweeps; i++) {
        fputs(" --sweep ", f);
        app_sweep_shell_quote(f, a->sweeps[i]);
    }
    for (size_t i = 0; i < a->n_zips; i++) {
        fputs(" --zip ", f);
        app_sweep_shell_quote(f, a->zips[i]);
    }
    fclose(f);
    free(file);
    return cmd;
}

/* An interrupted sweep keeps its finished points; say how to go on. The points die
 * with this process (see app_proc_fork). */
static void on_interrupt(int sig)
{
    static const char msg[] = "\niovsim: interrupted: finished points are kept; run the same "
                              "command with --resume to complete the sweep\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    signal(sig, SIG_DFL);
    raise(sig);
}

static int cmd_run(int argc, char **argv, const char *argv0)
{
    run_args a = {0};
    /* argv is main's from the command word on: the record takes the whole line, before
     * getopt reorders it. */
    app_provenance *prov = app_provenance_create(argc + 1, argv - 1);
    int rc = parse_run_args(argc, argv, &a);
    if (rc != 0) {
        app_provenance_destroy(prov);
        free(a.sets);
        free(a.sweeps);
        free(a.zips);
        return rc < 0 ? 0 : rc;
    }
    sim_params *reg = make_registry();
    sim_err e = {{0}};
    char *program = program_path(argv0);
    char *command = NULL, *quoted_program = NULL;
    size_t qlen = 0;
    FILE *qf = sim_xopen_memstream(&quoted_program, &qlen);
    app_sweep_shell_quote(qf, program);
    fclose(qf);
    app_provenance_overrides(prov, a.sets, a.n_sets, a.sweeps, a.n_sweeps);
    a.opts.provenance = prov;
    app_workload *w = app_workload_load(a.file, reg, &e);
    rc = w && app_workload_overrides(w, reg, a.sets, a.n_sets, a.sweeps, a.n_sweeps, a.zips,
                                     a.n_zips, &e) == 0
             ? 0
             : EXIT_USAGE;
    /* The file without the command line's overrides, to tell a plot the overrides
     * leave without data (a note) from a plot that is wrong (refused). */
    app_workload *as_written = NULL;
    if (rc == 0 && a.n_sets + a.n_sweeps + a.n_zips > 0) {
        as_written = app_workload_load(a.file, reg, &e);
        if (!as_written)
            rc = EXIT_USAGE;
        a.opts.as_written = as_written;
    }
    if (rc == 0 && a.opts.mode != APP_SWEEP_RUN) {
        command = rerun_command(&a, program, &e);
        if (!command)
            rc = EXIT_USAGE;
        a.opts.command = command;
        a.opts.program = quoted_program;
    }
    if (rc == 0 && a.opts.mode == APP_SWEEP_RUN && !a.opts.one_point) {
        signal(SIGINT, on_interrupt);
        signal(SIGTERM, on_interrupt);
        signal(SIGHUP, on_interrupt);
    }
    if (rc == 0)
        rc = app_sweep_run(&systems_ops, w, reg, &a.opts, &e);
    if (rc == EXIT_USAGE || (rc != 0 && e.msg[0]))
        fprintf(stderr, "iovsim: %s\n", e.msg);
    if (w)
        app_workload_destroy(w);
    if (as_written)
        app_workload_destroy(as_written);
    sim_params_destroy(reg);
    app_provenance_destroy(prov);
    free(command);
    free(quoted_program);
    free(program);
    free(a.sets);
    free(a.sweeps);
    free(a.zips);
    return rc;
}

static bool wants_help(int argc, char **argv, const char *text)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(text, stdout);
            return true;
        }
    return false;
}

static int cmd_plot(int argc, char **argv)
{
    if (wants_help(argc, argv, plot_help_text))
        return 0;
    static const struct option plot_opts[] = {{"quiet", no_argument, NULL, 'q'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    app_plot_opts po = {.quiet = false};
    const char *args[2] = {NULL, NULL};
    int n_args = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
            po.quiet = true;
        else if (argv[i][0] == '-')
            return unknown_option("plot", argv[i], plot_opts);
        else if (n_args == 2)
            return usage_error("plot: a folder and at most one plot file; unexpected '%s'",
                               argv[i]);
        else
            args[n_args++] = argv[i];
    }
    if (!n_args)
        return usage_error("plot: no results folder given%s", "");
    sim_params *reg = make_registry();
    sim_err e = {{0}};
    char plots_ini[4200];
    snprintf(plots_ini, sizeof plots_ini, "%s/plots.ini", args[0]);
    int rc;
    app_manifest *m = app_manifest_read(args[0], &e);
    if (!m) {
        fprintf(stderr, "iovsim: %s\n", e.msg);
        rc = EXIT_USAGE;
    } else if (!args[1] && access(plots_ini, F_OK) != 0) {
        fprintf(stderr, "iovsim: plot: %s has no plots.ini (its workload had no [plot] "
                        "section); name a file with [plot] sections: iovsim plot %s FILE\n",
                args[0], args[0]);
        rc = EXIT_USAGE;
    } else {
        rc = app_plots_draw_dir(args[0], args[1], reg, &po, &e);
        if (rc == EXIT_USAGE && e.msg[0])
            fprintf(stderr, "iovsim: %s\n", e.msg);
    }
    app_manifest_destroy(m);
    sim_params_destroy(reg);
    return rc;
}

static int cmd_merge(int argc, char **argv)
{
    if (wants_help(argc, argv, merge_help_text))
        return 0;
    bool quiet = false;
    const char **dirs = sim_xcalloc((size_t)argc, sizeof *dirs);
    size_t n = 0;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
            quiet = true;
        else if (argv[i][0] == '-') {
            static const struct option merge_opts[] = {{"quiet", no_argument, NULL, 'q'},
                                                       {"help", no_argument, NULL, 'h'},
                                                       {NULL, 0, NULL, 0}};
            free(dirs);
            return unknown_option("merge", argv[i], merge_opts);
        } else if (!out)
            out = argv[i];
        else
            dirs[n++] = argv[i];
    }
    if (!out) {
        free(dirs);
        return usage_error("merge: no output folder given%s", "");
    }
    sim_err e = {{0}};
    app_provenance *prov = app_provenance_create(argc + 1, argv - 1); /* main's argv */
    int rc = app_merge(out, dirs, n, quiet, prov, &e);
    app_provenance_destroy(prov);
    if (rc == EXIT_USAGE)
        fprintf(stderr, "iovsim: %s\n", e.msg);
    if (rc != EXIT_USAGE) {
        sim_params *reg = make_registry();
        app_plot_opts po = {.quiet = quiet};
        sim_err_clear(&e);
        if (app_plots_draw_dir(out, NULL, reg, &po, &e) == EXIT_USAGE && e.msg[0])
            fprintf(stderr, "iovsim: plots not drawn: %s\n", e.msg);
        sim_params_destroy(reg);
    }
    free(dirs);
    return rc;
}

static int cmd_regress(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"update", no_argument, NULL, 'u'}, {"out", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},   {NULL, 0, NULL, 0},
    };
    app_regress_opts o = {.jobs = 1};
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'u': o.update = true; break;
        case 'o': o.out_dir = optarg; break;
        case 'q': o.quiet = true; break;
        case 'j':
            if (parse_jobs(optarg, &o.jobs) < 0)
                return usage_error(
                    "regress: -j takes a number of processes from 1 to 1024, got '%s'", optarg);
            break;
        case 'h': fputs(regress_help_text, stdout); return 0;
        case ':': return usage_error("regress: option '%s' needs a value", argv[optind - 1]);
        default: return unknown_option("regress", argv[optind - 1], longopts);
        }
    }
    if (optind >= argc)
        return usage_error("regress: no scenario file given%s", "");
    sim_params *reg = make_registry();
    sim_err e = {{0}};
    int rc = app_regress_run(&systems_ops, reg, (const char *const *)argv + optind,
                             (size_t)(argc - optind), &o, &e);
    if (rc == EXIT_USAGE)
        fprintf(stderr, "iovsim: %s\n", e.msg);
    sim_params_destroy(reg);
    return rc;
}

static int cmd_params(int argc, char **argv)
{
    bool markdown = false;
    const char *word = "";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--markdown"))
            markdown = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts("usage: iovsim params [WORD] [--markdown]\n\n"
                 "Lists every parameter whose name contains WORD anywhere ('pcie.' lists a\n"
                 "section, 'iotlb' every IOTLB parameter): type, default, unit, allowed range\n"
                 "or values, description. --markdown writes the reference that\n"
                 "docs/PARAMS.md is generated from.");
            return 0;
        } else if (argv[i][0] == '-') {
            static const struct option params_opts[] = {{"markdown", no_argument, NULL, 'm'},
                                                        {"help", no_argument, NULL, 'h'},
                                                        {NULL, 0, NULL, 0}};
            return unknown_option("params", argv[i], params_opts);
        } else if (*word)
            return usage_error("params: one word at a time; unexpected '%s'", argv[i]);
        else
            word = argv[i];
    }
    sim_params *reg = make_registry();
    int rc = 0;
    if (!sim_params_matching(reg, word)) {
        const char *near = sim_params_suggest(reg, word);
        fprintf(stderr, "iovsim: params: no parameter name contains '%s'%s%s%s\n", word,
                near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        rc = EXIT_USAGE;
    } else {
        sim_params_list(reg, stdout, word, markdown);
    }
    sim_params_destroy(reg);
    return rc;
}

static const char metrics_help_text[] =
    "usage: iovsim metrics [WORD] [--stats] [--markdown]\n"
    "\n"
    "Lists what a run measures, from what the code registers: the metrics of each workload\n"
    "kind (the columns of results.csv) with their unit and definition (what is counted,\n"
    "per what, over which interval, which directions), noting those that only some\n"
    "settings produce. With WORD: the metrics and the statistics of stats.txt whose name\n"
    "contains WORD, or the metrics of the kind named WORD. --stats lists every statistic\n"
    "too; --markdown writes the reference that docs/METRICS.md is generated from.\n";

static int cmd_metrics(int argc, char **argv)
{
    static const struct option metrics_opts[] = {{"stats", no_argument, NULL, 's'},
                                                 {"markdown", no_argument, NULL, 'm'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};
    app_metric_ref_opts o = {.word = ""};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--markdown"))
            o.markdown = true;
        else if (!strcmp(argv[i], "--stats"))
            o.stats = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(metrics_help_text, stdout);
            return 0;
        } else if (argv[i][0] == '-')
            return unknown_option("metrics", argv[i], metrics_opts);
        else if (*o.word)
            return usage_error("metrics: one word at a time; unexpected '%s'", argv[i]);
        else
            o.word = argv[i];
    }
    if (o.markdown)
        o.stats = true; /* the whole reference */
    sim_params *reg = make_registry();
    sim_err e = {{0}};
    app_metric_ref *r = app_metric_ref_build(reg, &e);
    int rc = 0;
    if (!r) {
        fprintf(stderr, "iovsim: metrics: %s\n", e.msg);
        rc = EXIT_USAGE;
    } else if (!app_metric_ref_write(r, stdout, &o)) {
        const char *near = app_metric_ref_suggest(r, o.word);
        fprintf(stderr, "iovsim: metrics: no metric or statistic name contains '%s'%s%s%s\n",
                o.word, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        rc = EXIT_USAGE;
    }
    app_metric_ref_destroy(r);
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
        /* With the source revision when it says more than the version. */
        const char *rev = app_provenance_revision();
        printf("iovsim %s%s%s%s\n", PACKAGE_VERSION, strcmp(rev, PACKAGE_VERSION) ? " (" : "",
               strcmp(rev, PACKAGE_VERSION) ? rev : "", strcmp(rev, PACKAGE_VERSION) ? ")" : "");
        return 0;
    }
    if (!strcmp(cmd, "help")) {
        static const struct {
            const char *name, *text;
        } topics[] = {{"run", run_help_text},
                      {"plot", plot_help_text},
                      {"merge", merge_help_text},
                      {"regress", regress_help_text}};
        for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
            if (!strcmp(argv[2], topics[i].name)) {
                fputs(topics[i].text, stdout);
                return 0;
            }
        if (!strcmp(argv[2], "trace")) {
            fputs(trace_cmd_help_text, stdout);
            return 0;
        }
        if (!strcmp(argv[2], "config")) {
            fputs(config_cmd_help_text, stdout);
            return 0;
        }
        if (!strcmp(argv[2], "diff")) {
            fputs(app_diff_help_text, stdout);
            return 0;
        }
        if (!strcmp(argv[2], "params"))
            return cmd_params(2, (char *[]){"params", "--help", NULL});
        if (!strcmp(argv[2], "metrics")) {
            fputs(metrics_help_text, stdout);
            return 0;
        }
        return usage_error("help: unknown command '%s'", argv[2]);
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1, argv[0]);
    if (!strcmp(cmd, "plot"))
        return cmd_plot(argc - 1, argv + 1);
    if (!strcmp(cmd, "merge"))
        return cmd_merge(argc - 1, argv + 1);
    if (!strcmp(cmd, "regress"))
        return cmd_regress(argc - 1, argv + 1);
    if (!strcmp(cmd, "params"))
        return cmd_params(argc - 1, argv + 1);
    if (!strcmp(cmd, "metrics"))
        return cmd_metrics(argc - 1, argv + 1);
    if (!strcmp(cmd, "trace"))
        return trace_cmd_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "config"))
        return config_cmd_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "diff"))
        return app_diff_main(argc - 1, argv + 1);
    return usage_error("unknown command '%s'", cmd);
}
