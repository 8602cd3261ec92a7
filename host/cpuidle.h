/* The idle states of the cores and the governor that picks one when a core goes idle
 * (Linux cpuidle: the intel_idle driver's state table and the menu governor).
 *
 * Timing. A core with nothing to run enters an idle state; a thread woken there runs
 * only after the state's exit latency. The governor picks the state when the core goes
 * idle, from a prediction of how long it will stay idle (menu_select,
 * drivers/cpuidle/governors/menu.c): the deepest enabled state whose target residency
 * and exit latency both fit the prediction. The prediction is the typical interval of
 * the core's last 8 idle periods (get_typical_interval: their mean when their spread is
 * small, a standard deviation under 20 us or under a sixth of the mean, dropping the
 * longest ones while three quarters of them remain), else a running average of the
 * measured periods with menu's decay of 8 (what menu's correction factor makes of a
 * next timer event that is the same each time), and with no history yet the scheduler
 * tick's period. Not modelled: the next timer event itself (a core's own timers),
 * I/O waiters' performance multiplier, a PM QoS latency limit other than
 * cpuidle.deepest, the poll state.
 *
 * Semantics. Idle periods are accounted lazily, at the wake-up that ends them: the
 * state is picked from the history before the period, then the period joins it. Each
 * core has its own history. Deterministic. */
#ifndef HOST_CPUIDLE_H
#define HOST_CPUIDLE_H

#include <stdint.h>

#include "sim/params.h"
#include "sim/stats.h"

typedef struct cpuidle cpuidle;

void cpuidle_register_params(sim_params *p);
/* Counters under "cpuidle." (entries per state). */
cpuidle *cpuidle_create(const sim_params *p, sim_stats *stats, unsigned cores);
void cpuidle_destroy(cpuidle *ci);

/* `core` was idle for idle_ps and is woken: the exit latency (ps) of the state the
 * governor put it in; the period joins the core's history. */
uint64_t cpuidle_exit_ps(cpuidle *ci, unsigned core, uint64_t idle_ps);

#endif
