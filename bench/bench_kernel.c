/* Kernel speed: callbacks per second of wall time on both backends.
 *
 * Each process is one event whose callback re-notifies itself, which is the cheapest
 * possible model, so the numbers are the kernels' own cost per event:
 *   random  each delay uniform in [1 ps, 1 us]: same-time events are rare
 *   clock   every process on a common 1 ns period: all of them fire at each tick
 * with 1, 64 and 4096 processes. Every measurement runs in its own forked child (a
 * process can elaborate SystemC only once) and reports back through a pipe. A
 * measurement runs in slices of simulated time until its wall-time budget is used.
 * Nothing is asserted about the speed.
 *
 * usage: bench_kernel [--quick] [--seconds S]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_point.h"
#include "sim/kernel.h"
#include "sim/rng.h"

#define RANDOM_MAX_DELAY_PS SIM_PS_PER_US
#define CLOCK_PERIOD_PS SIM_PS_PER_NS
#define EVENTS_PER_SLICE 20000.0

typedef struct bench_proc {
    sim_event *ev;
    sim_rng rng;
} bench_proc;

typedef struct bench_result {
    int ok;
    uint64_t events;
    double seconds;
    char err[256];
} bench_result;

static void fire_random(void *ctx)
{
    bench_proc *p = ctx;
    sim_event_notify(p->ev, 1 + sim_rng_below(&p->rng, RANDOM_MAX_DELAY_PS));
}

static void fire_clock(void *ctx)
{
    bench_proc *p = ctx;
    sim_event_notify(p->ev, CLOCK_PERIOD_PS);
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs one configuration in the calling process. */
static void measure(sim_kernel_kind kind, int nprocs, int clock, double budget, bench_result *r)
{
    memset(r, 0, sizeof *r);
    sim_err err = {{0}};
    sim_kernel *k = sim_kernel_create(kind, &err);
    if (!k) {
        snprintf(r->err, sizeof r->err, "%.200s", err.msg);
        return;
    }
    bench_proc *procs = calloc((size_t)nprocs, sizeof *procs);
    if (!procs) {
        snprintf(r->err, sizeof r->err, "out of memory");
        sim_kernel_destroy(k);
        return;
    }
    for (int i = 0; i < nprocs; i++) {
        char name[32];
        snprintf(name, sizeof name, "p%d", i);
        sim_rng_seed(&procs[i].rng, 1, name);
        procs[i].ev = sim_event_create(k, name, clock ? fire_clock : fire_random, &procs[i]);
        if (!procs[i].ev) {
            snprintf(r->err, sizeof r->err, "%.200s", sim_kernel_error(k));
            goto out;
        }
        if (clock)
            sim_event_notify(procs[i].ev, CLOCK_PERIOD_PS);
        else
            fire_random(&procs[i]);
    }
    /* A slice of simulated time holds about EVENTS_PER_SLICE events, so the clock is
     * read rarely enough not to count. */
    double mean_gap_ps = clock ? (double)CLOCK_PERIOD_PS : RANDOM_MAX_DELAY_PS / 2.0;
    uint64_t slice_ps = (uint64_t)(EVENTS_PER_SLICE * mean_gap_ps / nprocs) + 1;

    if (sim_kernel_run_until(k, sim_now_ps(k) + slice_ps) != SIM_RUN_TIME) /* warm-up */
        goto fail;
    uint64_t ev0 = sim_kernel_events(k);
    double t0 = wall_seconds(), t;
    do {
        if (sim_kernel_run_until(k, sim_now_ps(k) + slice_ps) != SIM_RUN_TIME)
            goto fail;
        t = wall_seconds();
    } while (t - t0 < budget);
    r->events = sim_kernel_events(k) - ev0;
    r->seconds = t - t0;
    r->ok = 1;
    goto out;
fail:
    snprintf(r->err, sizeof r->err, "run failed: %.200s", sim_kernel_error(k));
out:
    sim_kernel_destroy(k);
    free(procs);
}

typedef struct kernel_job {
    sim_kernel_kind kind;
    int nprocs, clock;
    double budget;
} kernel_job;

static void run_job(void *ctx, void *out)
{
    const kernel_job *j = ctx;
    measure(j->kind, j->nprocs, j->clock, j->budget, out);
}

/* Runs one configuration in a forked child and collects its result. */
static void measure_forked(sim_kernel_kind kind, int nprocs, int clock, double budget,
                           bench_result *r)
{
    kernel_job j = {kind, nprocs, clock, budget};
    char err[sizeof r->err];
    if (bench_fork(run_job, &j, r, sizeof *r, err, sizeof err) < 0)
        snprintf(r->err, sizeof r->err, "%s", err);
}

static void usage(FILE *to)
{
    fprintf(to, "usage: bench_kernel [--quick] [--seconds S]\n"
                "  --quick      a fast smoke run (0.05 s per measurement)\n"
                "  --seconds S  wall time per measurement (default 0.5)\n");
}

int main(int argc, char **argv)
{
    double budget = 0.5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            budget = 0.05;
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            char *end;
            budget = strtod(argv[++i], &end);
            if (*end || !(budget > 0 && budget < 3600)) {
                fprintf(stderr, "bench_kernel: bad --seconds value '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "bench_kernel: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    static const sim_kernel_kind kinds[] = {SIM_KERNEL_NATIVE, SIM_KERNEL_SYSTEMC};
    static const int nprocs[] = {1, 64, 4096};
    printf("Kernel speed: self-rescheduling processes; random = delays uniform in "
           "[1 ps, 1 us], clock = all on a 1 ns period.\n\n");
    printf("%-8s %6s %-7s %12s %8s %10s\n", "backend", "procs", "delays", "events", "seconds",
           "Mevents/s");
    int failures = 0;
    for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++)
        for (int clock = 0; clock <= 1; clock++)
            for (size_t pi = 0; pi < sizeof nprocs / sizeof nprocs[0]; pi++) {
                bench_result r;
                measure_forked(kinds[ki], nprocs[pi], clock, budget, &r);
                const char *kname = sim_kernel_kind_name(kinds[ki]);
                const char *dname = clock ? "clock" : "random";
                if (!r.ok) {
                    printf("%-8s %6d %-7s  failed: %s\n", kname, nprocs[pi], dname, r.err);
                    failures++;
                    continue;
                }
                printf("%-8s %6d %-7s %12llu %8.3f %10.2f\n", kname, nprocs[pi], dname,
                       (unsigned long long)r.events, r.seconds, (double)r.events / r.seconds / 1e6);
            }
    return failures ? 1 : 0;
}
