/* CPU cores as reserved resources. All software work in the simulator (guest drivers,
 * the hypervisor's exit handling, host back-ends, copies) is a number of cycles run on
 * a core: the core is a reservation (a sim_resv timeline), so a saturated core delays
 * whatever comes next on it and caps throughput. Cycles are attributed to who spent them, so a
 * path's CPU cost per packet splits into guest, hypervisor and host. */
#ifndef MODELS_HOST_CPU_H
#define MODELS_HOST_CPU_H

#include <stdint.h>

#include "sim/err.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef enum cpu_who {
    CPU_GUEST = 0,      /* a VM's vCPU running guest code (or the native host driver) */
    CPU_HYPERVISOR = 1, /* exit handling, interrupt injection, hypercalls */
    CPU_HOST = 2,       /* host or driver-domain software: device models, vhost, back-ends,
                           the virtual switch */
    CPU_WHO_COUNT
} cpu_who;

typedef struct cpu cpu;

void cpu_register_params(sim_params *p);
cpu *cpu_create(const sim_params *p, sim_stats *stats);
void cpu_destroy(cpu *c);

unsigned cpu_cores(const cpu *c);
/* Cycles to picoseconds at the core clock (rounded to the nearest picosecond). */
uint64_t cpu_cycles_to_ps(const cpu *c, uint64_t cycles);

/* Run `cycles` on `core` no earlier than t_ps; returns when they are done. */
uint64_t cpu_run(cpu *c, unsigned core, uint64_t t_ps, uint64_t cycles, cpu_who who);
/* Up to when the core is booked (it may have idle gaps before that). */
uint64_t cpu_busy_until_ps(const cpu *c, unsigned core);
/* Cycles spent so far by `who` (all cores), since the statistics started. */
uint64_t cpu_cycles(const cpu *c, cpu_who who);

#endif
