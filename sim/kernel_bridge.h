/* Private to the kernel: the SystemC backend (kernel_systemc.cc) as seen from the
 * public kernel (kernel_native.c), which owns sim_kernel and forwards a SystemC
 * kernel's calls here. Models never include this. */
#ifndef SIM_KERNEL_BRIDGE_H
#define SIM_KERNEL_BRIDGE_H

#ifdef __cplusplus
extern "C" {
#endif

#include "sim/kernel.h"

struct sim_sc;
struct sim_sc_event;
struct sim_sc *sim_sc_create(sim_err *err);
void sim_sc_destroy(struct sim_sc *sc);
struct sim_sc_event *sim_sc_event_create(struct sim_sc *sc, const char *name, sim_event_fn fn,
                                         void *ctx);
void sim_sc_event_notify_at(struct sim_sc_event *e, uint64_t when_ps);
void sim_sc_event_cancel(struct sim_sc_event *e);
bool sim_sc_event_pending(const struct sim_sc_event *e);
uint64_t sim_sc_event_when_ps(const struct sim_sc_event *e);
uint64_t sim_sc_now_ps(const struct sim_sc *sc);
sim_run_status sim_sc_run_until(struct sim_sc *sc, uint64_t end_ps);
void sim_sc_stop(struct sim_sc *sc);
uint64_t sim_sc_events(const struct sim_sc *sc);
const char *sim_sc_error(const struct sim_sc *sc);

#ifdef __cplusplus
}
#endif

#endif
