/* What the path engine's two files share, private to host/iopath: engine.c, the one
 * interpreter of the path tables (stages, steps, hand-offs, the NIC, delivery), and
 * sender.c, the applications' side (each lane's sending thread, its socket's memory and
 * ring slots, a client's retransmission timer, failover). */
#ifndef HOST_IOPATH_ENGINE_IMPL_H
#define HOST_IOPATH_ENGINE_IMPL_H

#include "host/iopath/iopath.h"

static inline uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Host-side bytes of an item: its frames less their FCS. */
static inline uint32_t item_bytes(const iopath_item *it)
{
    if (it->frames <= 1)
        return nic_pkt_host_bytes(it->pkt.len_bytes);
    uint32_t last = nic_pkt_host_bytes(it->last_bytes);
    return nic_pkt_host_bytes(it->pkt.len_bytes) * (it->frames - 1u) + last;
}

/* Where a step runs and for whom. */
typedef struct exec {
    iopath *io;
    iopath_lane *lane; /* the lane whose stage this is; NULL on the host */
    unsigned core;
    cpu_who who;
    bool urgent; /* interrupt context: preempts the core's thread work */
    iopath_gro *gro; /* the receiver's GRO (a stage thread's, a driver queue's); NULL: none */
    iopath_stage *st; /* the stage thread running it (its batch); NULL: inline or the sender */
} exec;

static inline uint64_t run_on(iopath *io, unsigned core, bool urgent, uint64_t t,
                              uint64_t cycles, cpu_who who)
{
    return urgent ? cpu_run_urgent(io->cpu, core, t, cycles, who)
                  : cpu_run(io->cpu, core, t, cycles, who);
}

static inline uint64_t run(const exec *x, uint64_t t, uint64_t cycles, cpu_who who)
{
    return run_on(x->io, x->core, x->urgent, t, cycles, who);
}

/* The lane whose sender is this lane's application: itself, or for a failover pair
 * the member that carries the application's traffic now (iopath_lane_failover). */
static inline iopath_lane *iopath_app_of(iopath_lane *ln) { return ln->app ? ln->app : ln; }

/* ---- engine.c */

/* Runs stage d's steps of `when` on the item from t: when its work is done. */
uint64_t iopath_exec_steps(const exec *x, const path_stage *d, iopath_item *it, uint64_t t,
                           path_when when);
/* The lane's NIC transmit queue has no room for another packet. */
bool iopath_nic_full(iopath *io, const iopath_lane *ln);
/* The doorbell of the packets a burst posted to dq, written once at its end. */
void iopath_burst_doorbell(iopath_drvq *dq, unsigned core, cpu_who who, uint64_t t);

/* ---- sender.c */

/* Wakes the lane's sender at t (or now, if later). */
void iopath_sender_kick(iopath_lane *ln, uint64_t t);
/* The lane's socket freed a sent packet of `frames` and `bytes` at t. */
void iopath_sock_free(iopath *io, iopath_lane *ln, uint32_t frames, uint64_t bytes, uint64_t t);
/* The consumer of a sender's ring took the item: its slot and socket memory come back. */
void iopath_credit_back(iopath *io, const iopath_item *it, uint64_t t);
/* A response reached a closed-loop client at t: its retransmission timer moves on. */
void iopath_rto_rearm(iopath_lane *ln, uint64_t t);
/* The lane's sender thread and retransmission timer (their events' callbacks). */
void iopath_on_sender(void *ctx);
void iopath_on_rto(void *ctx);

#endif
