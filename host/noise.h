/* OS noise: sources of run-to-run variance on the cores, drawn from the run's seed.
 *
 * Timing. Three switchable sources:
 *   detours   each registered core takes kernel detours that are not its scheduler tick
 *             (host/vtick.h has those): softirqs run from an interrupt, kernel threads
 *             (migration/N, kworkers, RCU callbacks) that preempt what the core runs.
 *             They arrive as a Poisson process, noise.detour_hz per core, each lasting an
 *             exponentially distributed time of mean noise.detour_ns, booked as urgent
 *             work (cpu_run_drawn): it preempts the core. On a core whose vCPU runs, the
 *             interrupt behind it first forces an external-interrupt exit (HV_EXIT_EXTINT),
 *             as a host tick does; on a halted vCPU's core the halt so far is booked and
 *             the vCPU stays halted (halt_settle). The detour's cycles are the host's
 *             (CPU_HOST), a native application's own kernel's on its core (CPU_GUEST).
 *   refill    after each wake-up of a halted vCPU or a blocked native thread that
 *             wakes a thread (halt_wake; noise.refill) and, with noise.exit_refill,
 *             after each VM exit (hv_exit, hv_exit_urgent; not the HLT exit, whose vCPU
 *             resumes only at its wake-up), the code that runs next is slower while it
 *             refills the caches and TLB what ran meanwhile evicted: extra cycles
 *             (CPU_GUEST) on the core, exponentially distributed with mean
 *             noise.refill_cycles, booked with the same urgency as the exit
 *             (cpu_run_drawn). hv_refill draws them.
 *   cost      each piece of CPU work booked on a core (cpu_run, cpu_run_urgent: a stage's
 *             packet, a driver's interrupt or poll, an exit's handling, a tick) takes its
 *             cycles times a factor drawn for it: lognormal with mean 1 and
 *             noise.cost_sigma the standard deviation of its logarithm (0: off), as 4096
 *             equally likely levels (cpu_set_cost_factor). Polling windows and the
 *             cycles the two sources above draw are not varied. Each piece's mean stays
 *             as its cost says, and so does the throughput of one saturated core; where
 *             a packet crosses several threads the variation changes how they batch
 *             (how many items a poll or a notification finds), which moves throughput
 *             by a few percent either way (vmdq 64-byte sends -4%, emulated receive
 *             +1.5%). The sigma is a whole transmit path's spread (its source, in the
 *             platform file, timed ip_queue_xmit to the doorbell), drawn here for each
 *             piece: a packet whose path is split into several pieces spreads less than
 *             that in total (native transmit about 0.16).
 *
 * Semantics. Every draw comes from a stream of its own per core and source, seeded by the
 * run's seed (sim_rng_seed(seed, "noise.detour.<core>" / "noise.refill.<core>" /
 * "noise.cost.<core>")), so a seed gives the same results on both kernels, and a core's
 * draws do not depend on what other cores do. With every source off no event is created
 * and no cycle is booked or varied: results are those without this module. Counters
 * count the measured window only.
 *
 * Events: one kernel event for the detours of all cores; detours due at one time run in
 * core order. Refill adds no event (its cycles are booked with the exit). */
#ifndef HOST_NOISE_H
#define HOST_NOISE_H

#include <stdbool.h>
#include <stdint.h>

#include "host/cpu.h"
#include "host/hv.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef struct noise noise;

void noise_register_params(sim_params *p);
/* Installs the refill on h (hv_set_refill) and the cost factor on c
 * (cpu_set_cost_factor) when they are on; noise_destroy takes the factor off c again. */
noise *noise_create(const sim_params *p, sim_stats *stats, sim_kernel *k, cpu *c, hv *h,
                    uint64_t seed);
void noise_destroy(noise *n);

/* Which cores take detours, and how: a VM's vCPU runs on `core` (an exit first unless it
 * is halted), a native application's thread (its kernel's detours), or host software.
 * A core registered twice keeps the first kind. Call before noise_start. */
void noise_add_vcpu(noise *n, unsigned core);
void noise_add_app_core(noise *n, unsigned core);
void noise_add_host_core(noise *n, unsigned core);
/* Detours run from t_ps on. */
void noise_start(noise *n, uint64_t t_ps);

/* The cost factor's levels: the standard normal's quantiles at the middle of each
 * 1/NOISE_COST_LEVELS of probability. noise_levels is the table the cost factor is made
 * from (kept in the source: host/noise_levels.inc); noise_levels_compute computes them
 * into z (NOISE_COST_LEVELS values), as the table was made, for its test. */
#define NOISE_COST_LEVELS 4096u
const double *noise_levels(void);
void noise_levels_compute(double *z);

/* Detours taken and refill cycles booked since the statistics started. */
uint64_t noise_detours(const noise *n);
uint64_t noise_refill_cycles(const noise *n);

#endif
