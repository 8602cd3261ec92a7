/* CPU cores as reserved resources. All software work in the simulator (guest drivers,
 * the hypervisor's exit handling, host back-ends, copies) is a number of cycles run on
 * a core: the core is a reservation (a sim_resv timeline), so a saturated core delays
 * whatever comes next on it and caps throughput. Cycles are attributed to who spent them, so a
 * path's CPU cost per packet splits into guest, hypervisor and host. */
#ifndef HOST_CPU_H
#define HOST_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/err.h"
#include "sim/params.h"
#include "sim/breakdown.h"
#include "sim/stats.h"
#include "sim/timeline.h"

typedef enum cpu_who {
    CPU_GUEST = 0,      /* a VM's vCPU running guest code (or the native host driver) */
    CPU_HYPERVISOR = 1, /* exit handling, interrupt injection, hypercalls */
    CPU_HOST = 2,       /* host or driver-domain software: device models, vhost, back-ends,
                           the virtual switch */
    CPU_WHO_COUNT
} cpu_who;

typedef struct cpu cpu;

/* The cpu.* parameters. */
typedef struct cpu_cfg {
    uint32_t cores;
    double ghz;
    double copy_bytes_per_cycle;
    uint64_t copy_setup_cycles;
    double csum_bytes_per_cycle;
    uint64_t wakeup_cycles;
    uint64_t wakeup_ps;
} cpu_cfg;

void cpu_register_params(sim_params *p);
/* For software that runs on the cores but is built without a cpu (the DMA API's
 * bounce copies): the cores' clock and copy rate. */
cpu_cfg cpu_cfg_load(const sim_params *p);
cpu *cpu_create(const sim_params *p, sim_stats *stats);
void cpu_destroy(cpu *c);
/* trace.timeline: every booking from now on is a slice named for whom it runs
 * ("guest", "hypervisor", "host") on its core's track (group "cores"); the hypervisor
 * marks each VM exit there as an instant named by its reason (hv_exit_name). */
void cpu_set_timeline(cpu *c, sim_timeline *tl);
/* An instant on core's track of the timeline (a VM exit's reason) where a booking of
 * `cycles` that ended at end_ps began; nothing without a timeline. */
void cpu_timeline_instant(cpu *c, unsigned core, const char *name, uint64_t end_ps,
                          uint64_t cycles);
/* net.breakdown: while a packet is current (cpu_set_packet, 0: none), every booking is
 * its work, in the breakdown category of whom it runs for (cpu_who's value). */
void cpu_set_breakdown(cpu *c, sim_breakdown *bd);
void cpu_set_packet(cpu *c, uint32_t id);
uint32_t cpu_packet(const cpu *c);

unsigned cpu_cores(const cpu *c);
/* Cycles to picoseconds at the core clock (rounded to the nearest picosecond). */
uint64_t cpu_cycles_to_ps(const cpu *c, uint64_t cycles);

/* Cost variation (noise.cost_sigma, host/noise.h): the cycles of each piece of work
 * cpu_run and cpu_run_urgent book are scaled by a factor fn draws for its core, in
 * units of 1/CPU_COST_FACTOR_ONE (CPU_COST_FACTOR_ONE: as given), so the same code costs
 * more or less from one packet to the next, as caches and branch predictors make it on a
 * real core. Time windows (cpu_spin) and work whose cycles were drawn already
 * (cpu_run_drawn) are booked as given. NULL (the default): every piece costs its cycles. */
#define CPU_COST_FACTOR_ONE 65536u
typedef uint32_t (*cpu_cost_factor_fn)(void *ctx, unsigned core);
void cpu_set_cost_factor(cpu *c, cpu_cost_factor_fn fn, void *ctx);
/* The cycles a piece of work of `cycles` takes this time on `core` (a draw: call it once
 * per piece); for work booked with other time, such as a stall, by cpu_run_drawn. */
uint64_t cpu_cost_varied(cpu *c, unsigned core, uint64_t cycles);

/* Run `cycles` on `core` no earlier than t_ps; returns when they are done. */
uint64_t cpu_run(cpu *c, unsigned core, uint64_t t_ps, uint64_t cycles, cpu_who who);
/* The same for work that preempts what the core runs (an interrupt, its handler, the
 * softirq that polls a NIC): it starts at t_ps, or in the first stretch from t_ps that
 * the core's other urgent work leaves free (interrupt work booked ahead of the clock,
 * for a later time, does not hold back interrupt work of an earlier time booked after
 * it), not after the thread work already booked ahead of the clock, and the capacity it
 * takes displaces thread work booked from now on. Thread work booked before is not
 * moved, so the error is bounded by how far threads book ahead. */
uint64_t cpu_run_urgent(cpu *c, unsigned core, uint64_t t_ps, uint64_t cycles, cpu_who who);
/* When work of `cycles` (as given, without cost variation) would start on `core` if
 * booked at t_ps now: where cpu_run (urgent: cpu_run_urgent) would put it. Books
 * nothing. */
uint64_t cpu_start_ps(const cpu *c, unsigned core, uint64_t t_ps, uint64_t cycles, bool urgent);
/* cpu_run_urgent when urgent, else cpu_run. */
static inline uint64_t cpu_run_as(cpu *c, unsigned core, uint64_t t_ps, uint64_t cycles,
                                  cpu_who who, bool urgent)
{
    return urgent ? cpu_run_urgent(c, core, t_ps, cycles, who)
                  : cpu_run(c, core, t_ps, cycles, who);
}
/* cpu_run (urgent: cpu_run_urgent) of cycles the caller drew from a distribution of its
 * own (OS noise, a refill): booked as given. */
uint64_t cpu_run_drawn(cpu *c, unsigned core, uint64_t t_ps, uint64_t cycles, cpu_who who,
                       bool urgent);
/* Polling on `core` for d_ps from t_ps (a halt-polling window): whole cycles rounded up,
 * so the booking covers [t_ps, t_ps + d_ps], booked as given. Returns its end. */
uint64_t cpu_spin(cpu *c, unsigned core, uint64_t t_ps, uint64_t d_ps, cpu_who who);
/* Polling on `core` over [from_ps, to_ps] wherever the core is idle then: other work
 * booked in that span preempted the polling thread, which went on after it. Returns the
 * time booked (ps). */
uint64_t cpu_spin_idle(cpu *c, unsigned core, uint64_t from_ps, uint64_t to_ps, cpu_who who);

/* Cycles of a memcpy of `bytes` by one core: a fixed setup plus the bytes at
 * cpu.copy_bytes_per_cycle (the data is cache-resident or streams from DRAM). */
uint64_t cpu_copy_cycles(const cpu *c, uint64_t bytes);
/* Cycles of a software checksum (csum_partial) over `bytes` in the core's caches, at
 * cpu.csum_bytes_per_cycle: its loop is one chain of add-with-carry, so the rate is the
 * chain's, not the caches'. The call's own few cycles are not counted. */
uint64_t cpu_csum_cycles(const cpu *c, uint64_t bytes);
/* Cycles of a copy that sums what it copies in the same pass (csum_and_copy_from_user,
 * skb_copy_and_csum_datagram: csum_partial_copy_generic, whose loop loads, adds with
 * carry and stores each word once): the copy's setup, then as long as the slower of the
 * copy of `copy_bytes` and the sum over `csum_bytes` (the two overlap; the sum may cover
 * a header the copy does not). */
uint64_t cpu_copy_csum_cycles(const cpu *c, uint64_t copy_bytes, uint64_t csum_bytes);
/* Waking a sleeping thread: the cycles the woken thread's core spends being scheduled
 * in (cpu.wakeup_cycles), and the latency before it runs when woken at t_ps: 0 if the
 * core runs something then (its work is booked up to t_ps or later); else the
 * reschedule IPI (cpu.wakeup_ns) and the exit from the idle state the governor chose
 * for the core (host/cpuidle.h; the idle period, from the end of the core's work to
 * t_ps, joins the governor's history, so call it once per wake-up, and only for a core
 * that is truly idle: a halted vCPU's polling must be booked first, halt_settle). */
uint64_t cpu_wakeup_cycles(const cpu *c);
uint64_t cpu_wake_ps(cpu *c, unsigned core, uint64_t t_ps);
double cpu_ghz(const cpu *c);
/* Time the core runs work within the measurement window (work booked ahead counts
 * where it lies: sim_busy), for utilisations. */
uint64_t cpu_core_busy_ps(const cpu *c, unsigned core);
/* Time booked on the core since the statistics started, wherever it lies: grows with
 * every booking (whether a core worked lately). */
uint64_t cpu_core_booked_ps(const cpu *c, unsigned core);
/* Up to when the core is booked (it may have idle gaps before that). */
uint64_t cpu_busy_until_ps(const cpu *c, unsigned core);
/* Cycles spent so far by `who` (all cores), since the statistics started. */
uint64_t cpu_cycles(const cpu *c, cpu_who who);

#endif
