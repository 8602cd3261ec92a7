/* The simulation kernel: the only clock models see.
 *
 * Time is uint64_t picoseconds. An event is a persistent object with a C callback;
 * at most one notification of an event is pending at a time, and notifying an event
 * that is already pending keeps the earlier of the two times, the pending one on a tie
 * (SystemC's sc_event rule, mirrored by the native backend). Models that need many
 * timed items keep their own ordered queue and notify one event for its head.
 *
 * Same-time order is defined: notifications due at the same time fire in notification
 * order, the order in which they were made. A notification counts as made when it sets
 * the event's pending time: one on an event not pending (never notified, fired, or
 * cancelled) or one strictly earlier than the pending time. One that finds an equal or
 * earlier time pending is ignored, and the pending notification keeps its place. A
 * zero-delay notification therefore fires after everything already due at that time,
 * unless its event is itself already due then. Both backends keep this order, so the
 * same inputs give the same results on either (ns-3 and OMNeT++ break ties the same
 * way, by insertion order). A model should still not lean on the order of events it
 * does not own: where two of its own actions at one time must go in a particular
 * order, one event handles both (sim/tq.h keeps a model's timed work).
 *
 * Two backends sit behind this header and are chosen per run:
 *   SIM_KERNEL_SYSTEMC  SystemC 2.3.4 (kernel_systemc.cc); one per process, and a
 *                       process that destroyed one cannot create another.
 *   SIM_KERNEL_NATIVE   a 4-ary heap ordered by (time, sequence of notification).
 */
#ifndef SIM_KERNEL_H
#define SIM_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/err.h"

#define SIM_PS_PER_NS 1000ull
#define SIM_PS_PER_US 1000000ull
#define SIM_PS_PER_MS 1000000000ull
#define SIM_PS_PER_S 1000000000000ull
#define SIM_TIME_MAX_PS UINT64_MAX

typedef enum sim_kernel_kind { SIM_KERNEL_SYSTEMC = 0, SIM_KERNEL_NATIVE = 1 } sim_kernel_kind;

/* Why a run call returned. */
typedef enum sim_run_status {
    SIM_RUN_IDLE = 0,    /* no event pending */
    SIM_RUN_TIME = 1,    /* reached the requested end time */
    SIM_RUN_STOPPED = 2, /* a callback called sim_kernel_stop() */
    SIM_RUN_ERROR = 3,   /* the backend failed; sim_kernel_error() says why */
} sim_run_status;

typedef struct sim_kernel sim_kernel;
typedef struct sim_event sim_event;
typedef void (*sim_event_fn)(void *ctx);

/* NULL with *err set when the backend cannot be created (e.g. a second SystemC kernel). */
sim_kernel *sim_kernel_create(sim_kernel_kind kind, sim_err *err);
void sim_kernel_destroy(sim_kernel *k);
sim_kernel_kind sim_kernel_get_kind(const sim_kernel *k);
const char *sim_kernel_kind_name(sim_kernel_kind kind);

/* Events belong to the kernel and are freed with it. `name` is copied and used in
 * diagnostics only. Events may be created before or during a run. Never NULL: a kernel
 * that cannot make one (out of memory, 2^32 events, SystemC refusing) stops the
 * program with the reason. */
sim_event *sim_event_create(sim_kernel *k, const char *name, sim_event_fn fn, void *ctx);

/* Fire the callback at now + delay_ps. If already pending, the earlier time wins (on a
 * tie, the pending notification and its place in the same-time order).
 * A zero delay fires after the current callback returns, at the same time. */
void sim_event_notify(sim_event *e, uint64_t delay_ps);
/* Fire at an absolute time (>= now). */
void sim_event_notify_at(sim_event *e, uint64_t when_ps);
void sim_event_cancel(sim_event *e);
bool sim_event_pending(const sim_event *e);
/* Time of the pending notification; SIM_TIME_MAX_PS when none. */
uint64_t sim_event_when_ps(const sim_event *e);

uint64_t sim_now_ps(const sim_kernel *k);

/* Run every notification whose time is <= end_ps, then leave now == end_ps (unless
 * stopped first, or idle before: then now stays at the last event's time). */
sim_run_status sim_kernel_run_until(sim_kernel *k, uint64_t end_ps);
/* Run until no notification is pending or a callback stops the kernel. */
sim_run_status sim_kernel_run(sim_kernel *k);
/* Called from a callback: the current run call returns after this callback. A later
 * run call resumes where it stopped. */
void sim_kernel_stop(sim_kernel *k);

/* Callbacks executed since creation (the denominator of "events per packet"). */
uint64_t sim_kernel_events(const sim_kernel *k);
/* The last backend error, "" when none. */
const char *sim_kernel_error(const sim_kernel *k);

#endif
