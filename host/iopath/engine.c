/* The path engine: one interpreter for every path table (iopath.h says how it times
 * threads, notifications and backpressure). The applications' senders are sender.c's. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "host/iopath/engine_impl.h"
#include "host/iopath/zcopy.h"
#include "host/irqdeliver.h"
#include "host/notify.h"
#include "sim/alloc.h"

/* Frame f of a segment as an item of its own: all but the last are full-sized. */
static iopath_item item_frame(const iopath_item *it, unsigned f)
{
    iopath_item one = *it;
    one.frames = 1;
    if (f + 1 == it->frames)
        one.pkt.len_bytes = it->last_bytes;
    one.last_bytes = one.pkt.len_bytes;
    if (it->pkt.seq) /* a TCP-like stream's frames are numbered: the segment's is its last */
        one.pkt.seq = it->pkt.seq - (it->frames - 1u - f);
    return one;
}

/* The application's payload in an item: what the socket copies. */
static uint32_t item_payload(const iopath *io, const iopath_item *it)
{
    uint32_t hdr = (io->msg_bytes ? IOPATH_TCP_HDR_BYTES : IOPATH_UDP_HDR_BYTES) * it->frames;
    uint32_t b = item_bytes(it);
    return b > hdr ? b - hdr : 0;
}

/* What a checksum of the item covers: each frame's TCP or UDP header and payload. */
static uint32_t item_l4_bytes(const iopath_item *it)
{
    uint32_t b = item_bytes(it), hdr = IOPATH_L4_OFFSET_BYTES * it->frames;
    return b > hdr ? b - hdr : 0;
}

static void mac_bytes(uint64_t mac, uint8_t out[6])
{
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t)(mac >> (40 - 8 * i));
}

static uint64_t exit_for(const exec *x, uint64_t t, hv_exit_reason r)
{
    return x->urgent ? hv_exit_urgent(x->io->hv, x->core, t, r) : hv_exit(x->io->hv, x->core, t, r);
}

/* A checksum of the item's frames in software, by the kernel or (emu) the emulator's
 * code; a rate high enough to cost no cycle books nothing. */
static uint64_t sw_csum(const exec *x, const iopath_item *it, bool emu, uint64_t t)
{
    iopath *io = x->io;
    uint32_t b = item_l4_bytes(it);
    uint64_t c = emu ? (uint64_t)((double)b / io->emu_csum_bytes_per_cycle + 0.5)
                     : cpu_csum_cycles(io->cpu, b);
    return c ? run(x, t, c, x->who) : t;
}

static inline uint64_t exec_from(const exec *x, const path_stage *d, const path_step *first,
                                 iopath_item *it, uint64_t t, path_when when, bool one_frame);

uint64_t iopath_exec_steps(const exec *x, const path_stage *d, iopath_item *it, uint64_t t,
                           path_when when)
{
    return exec_from(x, d, d->steps, it, t, when, false);
}

/* ---------------------------------------------------------------- interrupts */

static inline irq_env irq_env_of(const iopath *io)
{
    return (irq_env){io->hv, io->halt, io->cpu, io->iommu};
}

_Static_assert(PATH_NOTIFY_IS_HOST(NONE) && PATH_NOTIFY_IS_HOST(IOEVENTFD) &&
                   PATH_NOTIFY_IS_HOST(WAKE) && PATH_NOTIFY_IS_HOST(IRQFD) &&
                   PATH_NOTIFY_IS_HOST(EVTCHN) && PATH_NOTIFY_IS_HOST(GUEST_IPI),
               "a path's notification is host/notify.h's mechanism");

void iopath_on_irq(void *ctx, const iommu_irq_outcome *o)
{
    iopath *io = ctx;
    if (o->kind == IOMMU_IRQ_BLOCKED || o->index >= io->ndq) {
        io->c.irq_blocked++;
        return;
    }
    iopath_drvq *dq = io->dq[o->index];
    irq_env e = irq_env_of(io);
    irq_target tgt = {dq->core, dq->via_hv, dq->irq_dest_in_vm, false};
    io->c.irqs++;
    nic_drvq_irq(dq->q, irq_deliver(&e, &tgt, o));
}

/* ---------------------------------------------------------------- transmit completions */

static void release_freed(iopath_drvq *dq, uint64_t bytes, uint64_t t);

void iopath_drvq_tx_done(void *ctx, nic_drvq *q, uint32_t frames, uint64_t bytes,
                         uint64_t t_ps)
{
    (void)q;
    iopath_drvq *dq = ctx;
    /* The socket's own packets when it posts to the NIC queue itself; behind a ring the
     * ring's consumer has freed them (iopath_credit_back). */
    if (dq->lane && dq->lane->path->sender_ring == PATH_COST_NONE)
        iopath_sock_free(dq->io, dq->lane, frames, bytes, t_ps);
    if (dq->zc)
        release_freed(dq, bytes, t_ps);
}

/* ---------------------------------------------------------------- hand-offs */

/* A notification of the sleeping stage st by a producer on producer_core at t: the producer's
 * part runs on its core (*pt gets its new time), the consumer's on the consumer's core;
 * returns when the consumer can take the item. */
static uint64_t notify(iopath *io, iopath_stage *st, unsigned producer_core, cpu_who producer_who,
                       bool producer_urgent, path_notify how, uint64_t t, uint64_t *pt)
{
    irq_env e = irq_env_of(io);
    notify_end from = {.core = producer_core,
                       .who = producer_who,
                       .urgent = producer_urgent,
                       .xen = st->lane->path->nic_owner == PATH_NIC_DDOM};
    notify_end to = {.core = st->core,
                     .who = (cpu_who)st->d->who,
                     .urgent = st->d->urgent,
                     .thread = st->d->place == PATH_PLACE_BACKEND};
    notify_result r = host_notify_send(&e, (host_notify)how, from, to, t,
                                       st->last_irq_ps + st->irq_gap_ps);
    uint64_t ready = r.receiver_ps;
    st->awake_ps = ready;
    st->wake_ps = ready > t ? ready - t : 0;
    t = r.sender_ps;
    if (r.irq)
        io->c.irqs++;
    if (how == PATH_NOTIFY_IRQFD)
        st->last_irq_ps = ready;
    if (how != PATH_NOTIFY_NONE) {
        io->c.notifies++;
        if (st->d->frees_tx_slot)
            io->c.slot_notifies++;
        st->woken = true;
    }
    *pt = t;
    return ready;
}

/* The poll an execution belongs to: its stage thread's batch, or the NIC driver queue's
 * poll (its GRO). */
static const void *poll_of(const exec *x)
{
    return x->st ? (const void *)x->st : (const void *)x->gro;
}

/* How the stack wakes a socket's reader blocked on a core of its own (try_to_wake_up).
 * Native: the reschedule IPI and the switch to it; the waker's part is eventfd_signal's,
 * whose wake_up ends in the same try_to_wake_up. In a VM the reader's core is another
 * vCPU: the guest's IPI (host/notify.h guest_ipi; a Xen guest's on an event channel). */
static path_notify reader_wakeup(const iopath_lane *ln)
{
    return ln->path->nic_owner == PATH_NIC_APP ? PATH_NOTIFY_WAKE : PATH_NOTIFY_GUEST_IPI;
}

/* The producer (at `px`, time t) hands `it` to stage st with notification `how`.
 * Returns the producer's time after its part of the notification. */
static uint64_t push(const exec *px, iopath_stage *st, const iopath_item *it, uint64_t t,
                     path_notify how)
{
    iopath *io = px->io;
    if (how == PATH_NOTIFY_SOCK) {
        if (st->core == px->core) {
            /* The reader shares the softirq's core: its recvmsg runs here, in the
             * softirq's turn. The core does the same work either way, and its wake-up is
             * the one the core's halt charged when the interrupt woke its blocked thread
             * (host/halt.h). Run after the softirq instead, a reader would starve while
             * frames come faster than the core takes them: the softirq never idles, and
             * Linux's ksoftirqd, which shares the core with the reader then, is not
             * modelled (TCP's window, which opens as the reader reads, slows only the
             * link partner's streams to what the reader takes). */
            exec in = {io, st->lane, st->core, (cpu_who)st->d->who, px->urgent, NULL, NULL};
            iopath_item one = *it;
            st->lane->reader_poll = poll_of(px);
            return iopath_exec_steps(&in, st->d, &one, t, PATH_PER_PKT);
        }
        how = reader_wakeup(st->lane);
    }
    if (st->d->polls && st->core == px->core && !px->st) {
        /* The poll-mode thread that took the item in (the PF's PMD on this core) goes on
         * with it itself, as OVS-DPDK's PMD thread receives, switches and enqueues into
         * the guest's ring in one pass (dp_netdev_process_rxq_port): the stage's
         * per-packet steps run here, in the producer's context. */
        exec in = {io, st->lane, st->core, (cpu_who)st->d->who, px->urgent, NULL, NULL};
        iopath_item one = *it;
        one.lane = (uint16_t)st->lane->idx;
        return iopath_exec_steps(&in, st->d, &one, t, PATH_PER_PKT);
    }
    if (st->len == st->cap) {
        io->c.queue_drops++;
        /* Lost here: the sender's ring slot and socket bytes come back as if taken. */
        if (st->d->frees_tx_slot)
            iopath_credit_back(io, it, t);
        return t;
    }
    iopath_item *slot = &st->q[(st->head + st->len) % st->cap];
    *slot = *it;
    slot->lane = (uint16_t)st->lane->idx;
    slot->ready_ps = t;
    slot->producer_core = (uint16_t)px->core;
    slot->producer_who = (uint8_t)px->who;
    slot->producer_urgent = px->urgent;
    slot->notify = (uint8_t)how;
    st->len++;
    uint64_t now = sim_now_ps(io->kernel);
    if (st->d->polls) {
        /* A poll-mode thread is never told: it finds the item at its next look. The time
         * since it last found nothing was spent looking. */
        how = PATH_NOTIFY_NONE;
        if (st->asleep && t > st->sleep_at)
            cpu_spin_idle(io->cpu, st->core, st->sleep_at, t, (cpu_who)st->d->who);
    }
    /* The consumer sleeps if it went to sleep before this item's time; or at all when
     * it shares the producer's core: one core runs one thread at a time, so while the
     * producer runs the consumer is not polling its ring. */
    if (st->asleep && (t >= st->sleep_at || st->core == px->core)) {
        uint64_t ready = notify(io, st, px->core, px->who, px->urgent, how, t, &t);
        slot->ready_ps = ready;
        slot->notify = PATH_NOTIFY_NONE;
        st->asleep = false;
        st->t_free = max64(st->t_free, ready);
        sim_event_notify_at(st->ev, max64(ready, now));
        return t;
    }
    if (how != PATH_NOTIFY_NONE)
        io->c.notifies_suppressed++;
    if (st->asleep) {
        /* It went to sleep (on its own core) after this item's time: it saw the item in
         * its last check. */
        st->asleep = false;
        sim_event_notify_at(st->ev, max64(st->sleep_at, now));
        return t;
    }
    /* Running: it takes the item when it gets to it. Should it catch up and sleep
     * before the item's time, on_stage turns this into a notification then. */
    sim_event_notify_at(st->ev, max64(max64(t, st->t_free), now));
    return t;
}

/* The driver queue's poll freed `bytes` at t: every item waiting for a packet among
 * them goes on to its stage, handed over in the poll's context (the skb's destructor
 * callback, xenvif_zerocopy_callback, whose wake_up of the dealloc thread is the
 * notification). */
static void release_freed(iopath_drvq *dq, uint64_t bytes, uint64_t t)
{
    exec px = {dq->io, dq->lane, dq->core, dq->who, true, NULL, NULL};
    iopath_zc_wait w;
    iopath_zc_freed(dq->zc, bytes);
    while (iopath_zc_take(dq->zc, &w)) {
        dq->io->c.freed_handoffs++;
        t = push(&px, w.to, &w.it, t, (path_notify)w.notify);
    }
}

/* ---------------------------------------------------------------- the NIC */

static iopath_drvq *tx_queue(iopath *io, const iopath_lane *ln)
{
    if (ln && ln->own)
        return ln->own;
    unsigned i = ln ? ln->idx % io->nhost_q : 0;
    return io->host_q[i];
}

/* Linux stops a sender when the packets queued to the NIC, in its ring and not yet
 * reclaimed plus the qdisc backlog, reach a limit (byte queue limits, the socket's
 * send buffer). */
bool iopath_nic_full(iopath *io, const iopath_lane *ln)
{
    nic_drvq *q = tx_queue(io, ln)->q;
    return nic_drvq_tx_inflight(q) + nic_drvq_backlog(q) >= io->txq_limit;
}

/* Posts `it` to the NIC queue; *nic_end gets the queue's accepted byte count after it
 * when the queue counts them (zcopy.h) and the driver took any of it, else 0. */
static uint64_t to_nic(const exec *x, iopath_item *it, uint64_t t, uint64_t *nic_end)
{
    iopath *io = x->io;
    iopath_drvq *dq = tx_queue(io, x->lane);
    *nic_end = 0;
    /* The driver's transmit work runs in the caller's context (its core). */
    dq->override = true;
    dq->override_core = x->core;
    dq->override_who = x->who;
    dq->override_urgent = x->urgent;
    dq->last_ps = t;
    /* A packet the driver refuses is freed at once: a sender posting to this queue
     * itself gets its socket bytes back (behind a ring, its consumer already freed
     * them). */
    bool own_socket = x->lane && x->lane->path->sender_ring == PATH_COST_NONE;
    if (it->frames > 1 && nic_drvq_tso(dq->q)) {
        io->c.tso_segments++;
        if (nic_drvq_xmit_segment(dq->q, &it->pkt, it->frames, it->last_bytes, t) < 0) {
            io->c.xmit_drops += it->frames;
            if (own_socket)
                iopath_sock_free(io, x->lane, it->frames, item_bytes(it), t);
        } else if (dq->zc) {
            iopath_zc_posted(dq->zc, item_bytes(it));
            *nic_end = dq->zc->posted_bytes;
        }
    } else {
        /* Without TSO the stack segments first (validate_xmit_skb, skb_gso_segment) and
         * the driver sends each frame; without the driver's checksum offload a partial
         * checksum is filled first, frame by frame (skb_segment, skb_checksum_help). */
        bool fill = it->csum == IOPATH_CSUM_PARTIAL && !dq->csum;
        for (unsigned f = 0; f < it->frames; f++) {
            iopath_item one = item_frame(it, f);
            if (it->frames > 1) {
                t = run(x, t, io->cost[PATH_COST_GSO_FRAME], x->who);
                io->c.sw_segmented++;
                dq->last_ps = max64(dq->last_ps, t);
            }
            if (fill) {
                t = sw_csum(x, &one, false, t);
                dq->last_ps = max64(dq->last_ps, t);
            }
            if (nic_drvq_xmit(dq->q, &one.pkt, max64(t, dq->last_ps)) < 0) {
                io->c.xmit_drops++;
                if (own_socket)
                    iopath_sock_free(io, x->lane, 1, item_bytes(&one), t);
            } else if (dq->zc) {
                iopath_zc_posted(dq->zc, item_bytes(&one));
                *nic_end = dq->zc->posted_bytes;
            }
            t = max64(t, dq->last_ps);
        }
    }
    /* A poll-mode driver's doorbell waits for the end of its application's burst (the
     * sender's activation: one tx_burst). */
    if (!dq->poll)
        nic_drvq_flush(dq->q, max64(t, dq->last_ps));
    dq->override = false;
    return max64(t, dq->last_ps);
}

/* A poll-mode driver's doorbell for a burst that ended at t (one tx_burst per activation
 * of the thread that posted, on its core). */
void iopath_burst_doorbell(iopath_drvq *dq, unsigned core, cpu_who who, uint64_t t)
{
    if (!dq->poll)
        return;
    dq->override = true;
    dq->override_core = core;
    dq->override_who = who;
    dq->override_urgent = false;
    nic_drvq_flush(dq->q, max64(t, dq->last_ps));
    dq->override = false;
}

/* An item holding grant mappings waits until the packet the last TO_NIC posted ends
 * at the driver's accepted byte count `nic_end` (0: nothing was posted, so it is free
 * now), then goes to stage `s` of its lane. */
static uint64_t on_free(const exec *x, const path_step *s, const iopath_item *it,
                        uint64_t nic_end, uint64_t t)
{
    iopath *io = x->io;
    iopath_stage *to = x->lane->stage[s->arg];
    iopath_drvq *dq = tx_queue(io, x->lane);
    iopath_item done = *it;
    done.pkt.trace_id = 0; /* the sender's clean-up, not the packet's way */
    iopath_zc_wait w = {.end_bytes = nic_end, .it = done, .to = to, .notify = s->notify};
    if (nic_end && dq->zc && nic_end > dq->zc->freed_bytes && iopath_zc_park(dq->zc, &w))
        return t;
    io->c.freed_handoffs++;
    return push(x, to, &done, t, (path_notify)s->notify);
}

void iopath_drvq_spin(void *ctx, uint64_t from_ps, uint64_t to_ps)
{
    iopath_drvq *dq = ctx;
    cpu_spin_idle(dq->io->cpu, dq->core, from_ps, to_ps, dq->who);
}

/* Where a driver queue's work runs: the driver's own activity (interrupt, NAPI poll)
 * on its core, preempting thread work; what it does for a caller (a transmit) in the
 * caller's context. */
static exec drvq_exec(iopath_drvq *dq)
{
    if (dq->override)
        return (exec){dq->io, dq->lane, dq->override_core, dq->override_who,
                      dq->override_urgent, NULL, NULL};
    return (exec){dq->io, dq->lane, dq->core, dq->who, true, NULL, NULL};
}

uint64_t iopath_drvq_cpu(void *ctx, uint64_t t_ps, uint64_t cycles, uint64_t stall_ps)
{
    iopath_drvq *dq = ctx;
    iopath *io = dq->io;
    exec x = drvq_exec(dq);
    /* A stall on a register read keeps the core as busy as cycles would. */
    uint64_t d = t_ps;
    if (stall_ps) {
        /* The stall is time, not work: it does not vary with the work's cost. */
        uint64_t total = cpu_cost_varied(io->cpu, x.core, cycles) +
                         (uint64_t)((double)stall_ps * cpu_ghz(io->cpu) / 1000.0 + 0.5);
        d = cpu_run_drawn(io->cpu, x.core, t_ps, total, x.who, x.urgent);
    } else if (cycles) {
        d = run(&x, t_ps, cycles, x.who);
    }
    if (!dq->override && d < dq->ahead_ps)
        d = dq->ahead_ps;
    dq->last_ps = max64(dq->last_ps, d);
    return d;
}

/* The slot of the vCPU running on `core` for lane ln: its queue's vCPU's (2 idx), or its
 * application's on a vCPU of its own (2 idx + 1, place.app = own). */
static size_t lock_slot(const iopath_lane *ln, unsigned core)
{
    return 2 * (size_t)ln->idx + (core == ln->app_core && ln->app_core != ln->vcpu_core);
}

/* start, or past the end of each of h's holds that [start, start + hold_ps) meets (for
 * hold_ps 0, that the instant start lies inside); the caller repeats until it stays.
 * Passes (instants) hold nothing back. Only holds in context `urgent` count, unless
 * `any`. */
static uint64_t lock_free_from(const iopath_lock_holds *h, uint64_t start, uint64_t hold_ps,
                               bool any, bool urgent)
{
    for (uint32_t i = 0; i < h->cap; i++) {
        const iopath_lock_hold *k = &h->ring[i];
        if (k->start_ps < k->end_ps && k->start_ps < start + hold_ps + !hold_ps &&
            start < k->end_ps && (any || k->urgent == urgent))
            start = k->end_ps;
    }
    return start;
}

/* The vCPU on `core` spun from t to until: its guest's time (spin_lock_irqsave), counted
 * as a wait unless its take counted one already. Returns when the spin ended. */
static uint64_t lock_spin(iopath *io, unsigned core, uint64_t t, uint64_t until, cpu_who who,
                          bool urgent, bool counted)
{
    io->c.viommu_lock_waits += !counted;
    io->c.viommu_lock_wait_ps += until - t;
    uint64_t spin_cycles = (uint64_t)ceil((double)(until - t) * cpu_ghz(io->cpu) / 1000.0);
    return max64(cpu_run_drawn(io->cpu, core, t, spin_cycles, who, urgent), until);
}

/* The vCPU on x->core (lane ln's) takes its VM's invalidation lock at t to hold it for
 * about hold_ps (0: it passes through it, a nested guest's map): while another of the
 * VM's vCPUs holds it, the vCPU spins until it is free. Whoever is booked first goes
 * first: a hold booked earlier for a later time makes this one wait, and a pass booked
 * earlier inside this hold is charged its wait when the hold is (viommu_lock_held). The
 * vCPU's own holds in the same context are ordered by its core, though booked ahead of
 * the clock. Those of its other context (interrupt or thread) are not, as the core model
 * lets interrupt work overlap thread work booked ahead of it, and Linux's
 * spin_lock_irqsave keeps the two apart: a take that meets one starts after it, without
 * a spin (an interrupt waits, masked, for its thread's hold, a thread for the handler
 * that preempted it; and where the other context's hold was booked first for a later
 * time, it goes first, as booked). Returns when it holds the lock; *waited, whether it
 * spun. */
static uint64_t viommu_lock_take(const exec *x, const iopath_lane *ln, uint64_t t,
                                 uint64_t hold_ps, uint64_t run_cycles, bool *waited)
{
    iopath *io = x->io;
    size_t mine = lock_slot(ln, x->core), first = 2 * (size_t)ln->vm * io->queues;
    const iopath_lock_holds *own = &io->viommu_lock[mine];
    io->c.viommu_lock_takes++;
    *waited = false;
    /* A spin ends a cycle's fraction late, or later on a busy core: look again from
     * there until the lock is free where the vCPU is. */
    for (;;) {
        /* The vCPU takes the lock when its core runs the trap (work booked before on
         * the core comes first) and its other context does not hold it. */
        for (uint64_t s;; t = s) {
            s = run_cycles ? cpu_start_ps(io->cpu, x->core, t, run_cycles, x->urgent) : t;
            s = lock_free_from(own, s, hold_ps, false, !x->urgent);
            if (s == t)
                break;
        }
        uint64_t start = t;
        for (bool moved = true; moved;) {
            moved = false;
            for (size_t i = first; i < first + 2 * (size_t)io->queues; i++) {
                if (i == mine)
                    continue;
                uint64_t s = lock_free_from(&io->viommu_lock[i], start, hold_ps, true, false);
                moved |= s != start;
                start = s;
            }
        }
        if (start == t)
            return t;
        t = lock_spin(io, x->core, t, start, x->who, x->urgent, *waited);
        *waited = true;
    }
}

/* h's next slot for a hold: the oldest, unless that one has not ended by now (cores
 * book ahead of the clock), when the ring doubles, its holds kept in order. */
static iopath_lock_hold *lock_ring_slot(iopath_lock_holds *h, uint64_t now)
{
    if (!h->cap || h->ring[h->next].end_ps > now) {
        uint32_t cap = h->cap ? 2 * h->cap : IOPATH_LOCK_HOLDS;
        iopath_lock_hold *ring = sim_xcalloc(cap, sizeof *ring);
        for (uint32_t k = 0; k < h->cap; k++)
            ring[k] = h->ring[(h->next + k) % h->cap];
        free(h->ring);
        h->ring = ring;
        h->next = h->cap;
        h->cap = cap;
    }
    iopath_lock_hold *slot = &h->ring[h->next];
    h->next = (h->next + 1) % h->cap;
    return slot;
}

/* The vCPU held the lock over [from, to) (from == to: it passed through at from, and
 * waited if `waited`): booked for the others' later takes. The others' passes booked
 * before, strictly inside it, waited for it: each of their vCPUs is charged a spin from
 * its pass to `to`, as time its core spends after the work it had booked (the map
 * itself has run: the cores book ahead, and what they booked stays). The vCPU's own
 * passes in its other context are not: that its core let them overlap is the core's
 * approximation (host/cpu.h, cpu_run_urgent), not the lock's. */
static void viommu_lock_held(const exec *x, const iopath_lane *ln, uint64_t from, uint64_t to,
                             bool waited)
{
    iopath *io = x->io;
    size_t mine = lock_slot(ln, x->core), first = 2 * (size_t)ln->vm * io->queues;
    for (size_t i = first; from < to && i < first + 2 * (size_t)io->queues; i++) {
        iopath_lock_holds *o = &io->viommu_lock[i];
        const iopath_lane *oln = &io->lane[i / 2];
        for (uint32_t k = 0; k < o->cap; k++) {
            iopath_lock_hold *p = &o->ring[k];
            uint64_t at = p->start_ps;
            if (at < p->end_ps && (i != mine || p->urgent != x->urgent)) {
                /* Found free for its nominal time, a hold ran longer (cost variation, a
                 * refill after its exit). */
                uint64_t lo = max64(at, from), hi = p->end_ps < to ? p->end_ps : to;
                io->c.viommu_lock_overlap_ps += hi > lo ? hi - lo : 0;
            }
            if (i == mine || at != p->end_ps || at <= from || at >= to)
                continue;
            lock_spin(io, i % 2 ? oln->app_core : oln->vcpu_core, at, to, (cpu_who)p->who,
                      p->urgent, p->waited);
            p->start_ps = p->end_ps = to; /* it passed as the hold ended */
            p->waited = true;
        }
    }
    *lock_ring_slot(&io->viommu_lock[mine], sim_now_ps(io->kernel)) =
        (iopath_lock_hold){from, to, (uint8_t)x->who, x->urgent, waited};
}

void iopath_lock_free(iopath_lock_holds *locks, size_t n)
{
    for (size_t i = 0; locks && i < n; i++)
        free(locks[i].ring);
    free(locks);
}

uint64_t iopath_drvq_trap(void *ctx, uint64_t t_ps, const nic_drv_dma_calls *calls)
{
    iopath_drvq *dq = ctx;
    iopath *io = dq->io;
    exec x = drvq_exec(dq);
    uint64_t t = t_ps;
    const iopath_lane *taker = io->viommu_lock ? dq->lane : NULL; /* whose vCPU locks */
    uint64_t traps = calls->map_invs + calls->unmap_invs;
    io->c.viommu_map_traps += calls->map_invs;
    io->c.viommu_unmap_traps += calls->unmap_invs;
    /* Maps that submitted no invalidation (a nested guest's first level) pass through
     * the lock: an instant, which waits for holds booked before it and is charged the
     * wait by a hold booked after it, for an earlier time, that spans it. */
    for (uint64_t i = calls->map_invs; taker && i < calls->maps; i++) {
        bool waited;
        t = viommu_lock_take(&x, taker, t, 0, 0, &waited);
        viommu_lock_held(&x, taker, t, t, waited);
    }
    uint64_t exit_cycles = hv_exit_cycles(io->hv, HV_EXIT_MMIO_USER);
    /* Each submission's descriptors and wait, which the DMA API's cycles ran before the
     * trap, are held under the lock too: the hold runs on after the trap by as long. */
    uint64_t submit_ps = traps ? cpu_cycles_to_ps(io->cpu, calls->submit_cycles / traps) : 0;
    for (uint64_t i = 0; i < traps; i++) {
        uint64_t emulate = i < calls->map_invs ? io->viommu_map_cycles : io->viommu_unmap_cycles;
        /* Held from the tail register's write to the trap's return: found free for its
         * nominal time, booked for the time it took. */
        uint64_t hold_ps = cpu_cycles_to_ps(io->cpu, exit_cycles + emulate) + submit_ps;
        bool waited = false;
        uint64_t from =
            taker ? viommu_lock_take(&x, taker, t, hold_ps, exit_cycles + emulate, &waited) : t;
        t = exit_for(&x, from, HV_EXIT_MMIO_USER);
        t = run(&x, t, emulate, CPU_HOST);
        if (taker)
            viommu_lock_held(&x, taker, from, t + submit_ps, waited);
    }
    dq->last_ps = max64(dq->last_ps, t);
    return t;
}

/* ---------------------------------------------------------------- the switch */

static uint64_t do_switch(const exec *x, iopath_item *it, uint64_t t, bool *away)
{
    iopath *io = x->io;
    unsigned in = it->src_lane == IOPATH_FROM_WIRE ? 0u : io->lane[it->src_lane].port;
    uint8_t src[6], dst[6];
    mac_bytes(it->pkt.src_mac, src);
    mac_bytes(it->pkt.dst_mac, dst);
    unsigned out[64];
    size_t k = vswitch_forward(io->vsw, in, src, dst, out, sizeof out / sizeof out[0]);
    /* The switch the path's packets cross: the kernel's, or the path's own (OVS-DPDK). */
    uint8_t own = x->lane ? x->lane->path->switch_cost : io->host_path->switch_cost;
    t = run(x, t, own ? io->cost[own] : vswitch_pkt_cycles(io->vsw), x->who);
    io->c.switched++;
    bool uplink = false;
    for (size_t i = 0; i < k; i++) {
        if (out[i] == 0) {
            uplink = true;
            continue;
        }
        /* A multi-queue VM's device picks the queue by the flow (tun_select_queue's
         * flow hash, virtio-net's RSS): the lane of that queue. */
        iopath_lane *to =
            &io->lane[io->switch_lane0 + (out[i] - 1) * io->queues + it->pkt.flow % io->queues];
        iopath_item copy = *it;
        t = push(x, to->stage[to->path->switch_entry], &copy, t, to->path->switch_notify);
    }
    if (!uplink)
        *away = true;
    return t;
}

/* ---------------------------------------------------------------- delivery */

static void deliver(const exec *x, const iopath_item *it, uint64_t t)
{
    iopath *io = x->io;
    iopath_lane *ln = it->lane < io->nlanes ? &io->lane[it->lane] : NULL;
    if (!ln || (it->pkt.dst_mac != ln->mac && !nic_mac_is_group(it->pkt.dst_mac))) {
        io->c.misdelivered++;
        return;
    }
    if (ln->stopped) {
        /* The VM does not run (a migration's stop-and-copy): its device is stopped and
         * nothing reads what reaches it. */
        io->c.stopped_drops += it->frames;
        return;
    }
    ln = iopath_app_of(ln);
    io->c.delivered += it->frames;
    io->c.delivered_bytes += item_bytes(it);
    if (t >= it->pkt.born_ps) {
        sim_hist_add(io->lat, t - it->pkt.born_ps);
        if (io->bd && it->pkt.trace_id)
            sim_breakdown_end(io->bd, it->pkt.trace_id, t);
    }
    /* A closed-loop client sends its next request (an open-loop one keeps its pace). */
    if (io->pattern == IOPATH_RR && it->pkt.kind == NIC_PKT_RESPONSE && !ln->snd.interval_ps) {
        /* A response to a request sent again after a time-out finds none waiting. */
        if (ln->snd.rr_due < io->rr_outstanding)
            ln->snd.rr_due++;
        ln->snd.t_free = max64(ln->snd.t_free, t);
        if (ln->rto_ev)
            iopath_rto_rearm(ln, t);
        iopath_sender_kick(ln, t);
    }
}

/* ---------------------------------------------------------------- segments */

/* Software segmentation before the steps from `next`: each frame goes through them on
 * its own (one_frame: a COMPLETE among them waits for the whole segment). */
static uint64_t segment(const exec *x, const path_stage *d, const path_step *next,
                        const iopath_item *it, uint64_t t, path_when when)
{
    iopath *io = x->io;
    for (unsigned f = 0; f < it->frames; f++) {
        iopath_item one = item_frame(it, f);
        /* The segment's number goes with its first frame (the one whose latency the
         * breakdown and the timeline follow); the others are not followed, and the
         * work on them is not its own. */
        if (f > 0) {
            one.pkt.trace_id = 0;
            cpu_set_packet(io->cpu, 0);
        }
        t = run(x, t, io->cost[PATH_COST_GSO_FRAME], x->who);
        io->c.sw_segmented++;
        one.csum = IOPATH_CSUM_PARTIAL; /* new headers: tcp4_gso_segment */
        t = exec_from(x, d, next, &one, t, when, true);
    }
    return t;
}

/* Whether `it` continues the held segment h: the same flow, full-sized frames so far,
 * and room under the merge limits (skb_gro_receive's 64 KiB). */
static bool gro_same_flow(const iopath_item *h, const iopath_item *it)
{
    const nic_pkt *a = &h->pkt, *b = &it->pkt;
    return a->flow == b->flow && a->src_mac == b->src_mac && a->dst_mac == b->dst_mac;
}

static bool gro_room(const iopath *io, const iopath_item *h, const iopath_item *it)
{
    return h->pkt.len_bytes == it->pkt.len_bytes && h->last_bytes == h->pkt.len_bytes &&
           h->frames + it->frames <= io->gro_frames &&
           item_payload(io, h) + item_payload(io, it) + IOPATH_TCP_HDR_BYTES - 14u <=
               io->gso_max_bytes;
}

/* One held segment goes on through the steps after the GRO step. */
static uint64_t gro_flush_one(const exec *x, iopath_gro_flow *fl, uint64_t t)
{
    iopath_gro *g = x->gro;
    fl->held = false;
    g->n--;
    x->io->c.gro_flushes++;
    iopath_item it = fl->it;
    return exec_from(x, g->d, g->resume, &it, t, PATH_PER_PKT, false);
}

/* The poll ends: every held segment goes up, oldest first (napi_gro_flush). */
static uint64_t gro_flush(const exec *x, uint64_t t)
{
    iopath_gro *g = x->gro;
    while (g && g->n) {
        iopath_gro_flow *oldest = NULL;
        for (unsigned i = 0; i < IOPATH_GRO_FLOWS; i++)
            if (g->flow[i].held && (!oldest || g->flow[i].age < oldest->age))
                oldest = &g->flow[i];
        t = gro_flush_one(x, oldest, t);
    }
    return t;
}

/* napi_gro_receive: merge into the held segment of the same flow, or hold this one as
 * a new segment (dev_gro_receive, tcp4_gro_receive, skb_gro_receive up to 64 KiB); a
 * receiver holds up to IOPATH_GRO_FLOWS flows and flushes the oldest for a new one
 * (MAX_GRO_SKBS, gro_flush_oldest). */
static uint64_t gro_receive(const exec *x, const path_stage *d, const path_step *next,
                            const iopath_item *it, uint64_t t)
{
    iopath *io = x->io;
    iopath_gro *g = x->gro;
    t = run(x, t, io->cost[PATH_COST_GRO_PKT], x->who);
    g->d = d;
    g->resume = next;
    iopath_gro_flow *slot = NULL, *oldest = NULL;
    for (unsigned i = 0; i < IOPATH_GRO_FLOWS; i++) {
        iopath_gro_flow *fl = &g->flow[i];
        if (!fl->held) {
            if (!slot)
                slot = fl;
            continue;
        }
        if (gro_same_flow(&fl->it, it)) {
            if (gro_room(io, &fl->it, it)) {
                io->c.gro_merged += it->frames;
                fl->it.frames = (uint16_t)(fl->it.frames + it->frames);
                fl->it.last_bytes = it->last_bytes;
                fl->it.pkt.seq = it->pkt.seq; /* a segment's number is its last frame's */
                return t;
            }
            t = gro_flush_one(x, fl, t);
            slot = fl;
            break;
        }
        if (!oldest || fl->age < oldest->age)
            oldest = fl;
    }
    if (!slot) {
        t = gro_flush_one(x, oldest, t);
        slot = oldest;
    }
    *slot = (iopath_gro_flow){.it = *it, .age = g->seq++, .held = true};
    g->n++;
    return t;
}

/* ---------------------------------------------------------------- grants */

/* Xen grant copy, done by the hypervisor inside the batch's copy hypercall: one copy
 * operation per 4 KiB page a segment or a jumbo frame spans (xenvif_gop_frag_copy), one
 * for a frame up to a page.
 * With a copy length (s->arg, netback's transmit) only the packet's first bytes are
 * copied, one operation, and a larger packet's pages are grant-mapped, an operation
 * per 4 KiB page (xenvif_tx_build_gops: the first slot mapped past the copied part,
 * one map per further slot), in one map hypercall per batch that maps
 * (xenvif_tx_action: gnttab_map_refs when nr_mops != 0). */
static uint64_t grant_copy(const exec *x, const path_step *s, iopath_item *it, uint64_t t)
{
    iopath *io = x->io;
    uint32_t b = item_bytes(it);
    uint32_t pages = (b + 4095u) / 4096u;
    uint32_t ops = pages;
    uint32_t copied = b, maps = 0;
    if (s->arg && b > io->cost[s->arg]) {
        copied = (uint32_t)io->cost[s->arg];
        ops = 1;
        maps = pages;
    }
    t = run(x, t, io->cost[PATH_COST_XEN_GCOPY_OP] * ops + cpu_copy_cycles(io->cpu, copied),
            CPU_HYPERVISOR);
    io->c.copies++;
    io->c.grant_copies += ops;
    io->c.copy_bytes += copied;
    if (!maps)
        return t;
    if (!x->st || !x->st->batch_grant_ops)
        t = exit_for(x, t, HV_EXIT_HYPERCALL);
    if (x->st)
        x->st->batch_grant_ops += maps;
    t = run(x, t, io->cost[PATH_COST_XEN_GMAP_OP] * maps, CPU_HYPERVISOR);
    io->c.grant_maps += maps;
    it->grant_maps = (uint16_t)maps;
    return t;
}

/* The hypervisor unmaps n grant mappings inside the batch's unmap hypercall and
 * flushes the TLB once per GNTTAB_UNMAP_BATCH_SIZE operations (gnttab_unmap_grant_ref):
 * a flush for each group of them the batch's count enters. */
static uint64_t unmap_ops(const exec *x, uint32_t n, uint64_t t)
{
    iopath *io = x->io;
    uint32_t before = x->st ? x->st->batch_grant_ops : 0;
    if (!n)
        return t;
    uint32_t b = PATH_GNTTAB_UNMAP_BATCH;
    uint32_t flushes = (before + n + b - 1) / b - (before + b - 1) / b;
    if (x->st)
        x->st->batch_grant_ops += n;
    t = run(x, t,
            io->cost[PATH_COST_XEN_GUNMAP_OP] * n + io->cost[PATH_COST_XEN_GNT_FLUSH] * flushes,
            CPU_HYPERVISOR);
    io->c.grant_unmaps += n;
    io->c.gnttab_flushes += flushes;
    return t;
}

/* GRANT_UNMAP per packet: the item's mappings, if a run's unmap has not taken them.
 * Per run (it NULL): the mappings of every item ready in the stage's queue, up to the
 * batch's budget, in one go before any of them is answered (xenvif_tx_dealloc_action
 * collects all that were freed, unmaps them in one gnttab_unmap_refs, then releases
 * each). */
static uint64_t grant_unmap(const exec *x, iopath_item *it, uint64_t t)
{
    if (it) {
        t = unmap_ops(x, it->grant_maps, t);
        it->grant_maps = 0;
        return t;
    }
    iopath_stage *st = x->st;
    uint32_t n = 0;
    for (uint32_t k = 0; st && k < st->len && st->batch + k < x->io->budget; k++) {
        iopath_item *q = &st->q[(st->head + k) % st->cap];
        if (q->ready_ps > t)
            break;
        n += q->grant_maps;
        q->grant_maps = 0;
    }
    return unmap_ops(x, n, t);
}

/* ---------------------------------------------------------------- checksums */

/* The socket's copy between the application and the kernel, with the checksum work the
 * item's state asks for (iopath_csum): a datagram's socket fills it in the copy (FILL);
 * a receiver checks an unchecked one (NONE): a datagram's in the copy, a TCP segment's
 * in a pass of its own before it. */
static uint64_t sock_copy(const exec *x, iopath_item *it, uint64_t t)
{
    iopath *io = x->io;
    uint32_t b = item_payload(io, it);
    uint64_t c;
    if (it->csum == IOPATH_CSUM_FILL) {
        c = cpu_copy_csum_cycles(io->cpu, b, item_l4_bytes(it));
        it->csum = IOPATH_CSUM_NONE;
    } else if (it->csum == IOPATH_CSUM_NONE && io->msg_bytes) {
        c = cpu_copy_cycles(io->cpu, b) + cpu_csum_cycles(io->cpu, item_l4_bytes(it));
        it->csum = IOPATH_CSUM_VALID;
    } else if (it->csum == IOPATH_CSUM_NONE) {
        c = cpu_copy_csum_cycles(io->cpu, b, item_l4_bytes(it));
        it->csum = IOPATH_CSUM_VALID;
    } else {
        c = cpu_copy_cycles(io->cpu, b);
    }
    return run(x, t, c, x->who);
}

/* PATH_OP_CSUM: the next device takes no partial checksum without offload s->arg. */
static uint64_t csum_step(const exec *x, const path_step *s, iopath_item *it, uint64_t t)
{
    if (it->csum == IOPATH_CSUM_PARTIAL && !x->io->off[s->arg]) {
        t = sw_csum(x, it, (s->notify & PATH_CSUM_BY_EMU) != 0, t);
        it->csum = IOPATH_CSUM_NONE;
    } else if ((s->notify & PATH_CSUM_NO_RX_STATE) && it->csum == IOPATH_CSUM_VALID) {
        it->csum = IOPATH_CSUM_NONE;
    }
    return t;
}

/* ---------------------------------------------------------------- steps */

static uint64_t exec_steps_from(const exec *x, const path_stage *d, const path_step *first,
                                iopath_item *it, uint64_t t, path_when when, bool one_frame);

/* exec_from with the timeline or the breakdown on: the packet whose steps run is the
 * CPU's current one (what it books while they run is the packet's own work: the
 * steps' cycles and the hypervisor's exits and injections they cause), and a followed
 * packet's turn in the stage is a slice named for the stage on its core's track of
 * group "stages". */
static uint64_t exec_from_observed(const exec *x, const path_stage *d, const path_step *first,
                                   iopath_item *it, uint64_t t, path_when when, bool one_frame)
{
    uint32_t id = it ? it->pkt.trace_id : 0; /* per-wake steps have no item */
    iopath *io = x->io;
    uint32_t outer = cpu_packet(io->cpu);
    cpu_set_packet(io->cpu, id);
    uint64_t end = exec_steps_from(x, d, first, it, t, when, one_frame);
    cpu_set_packet(io->cpu, outer);
    if (id && io->tl && sim_timeline_wants(io->tl, t, end)) {
        if (!io->tl_stage[x->core]) {
            char name[32];
            snprintf(name, sizeof name, "core %u", x->core);
            io->tl_stage[x->core] = sim_timeline_track(io->tl, "stages", name);
        }
        sim_timeline_slice(io->tl, io->tl_stage[x->core], d->name, t, end - t, id);
    }
    return end;
}

/* The stage's steps from `first` for the item (observed: exec_from_observed). */
static inline uint64_t exec_from(const exec *x, const path_stage *d, const path_step *first,
                                 iopath_item *it, uint64_t t, path_when when, bool one_frame)
{
    if (x->io->tl || x->io->bd)
        return exec_from_observed(x, d, first, it, t, when, one_frame);
    return exec_steps_from(x, d, first, it, t, when, one_frame);
}

/* ---------------------------------------------------------------- acknowledgements */

/* Where a pure acknowledgement joins the lane's transmit stage: after the socket's copy.
 * The stack builds it in the receive path (tcp_send_ack -> __tcp_transmit_skb ->
 * ip_queue_xmit), with no system call and no payload to copy, and from there it goes the
 * way a sent packet goes: the rest of the stage's steps, on the receive path's core and
 * in its context. NULL for a stage without a socket (a DPDK application's). */
static const path_step *ack_entry(const path_stage *d)
{
    for (const path_step *s = d->steps; s->op != PATH_OP_END; s++)
        if (s->op == PATH_OP_SOCK_COPY)
            return s + 1;
    return NULL;
}

/* Whether it is data of a TCP-like stream to x's lane, which runs: what a receiver's
 * socket state (rcv_flow) is kept for. Anything else passes TCP's steps by: another
 * lane's data (DELIVER counts it), a datagram, an acknowledgement, a stopped VM's. */
static bool lane_stream_data(const exec *x, const iopath_item *it)
{
    const iopath_lane *ln = x->lane;
    return x->io->msg_bytes && it->pkt.kind == NIC_PKT_DATA && ln && !ln->stopped &&
           it->pkt.dst_mac == ln->mac;
}

/* The lane's receive state of p's stream (its sender and flow), added at its first
 * segment: a lane takes few streams (one per flow RSS gives its queue). */
static iopath_rcv_flow *rcv_flow(iopath_lane *ln, const nic_pkt *p)
{
    for (uint32_t i = 0; i < ln->n_rcv; i++)
        if (ln->rcv[i].flow == p->flow && ln->rcv[i].src_mac == p->src_mac)
            return &ln->rcv[i];
    if (ln->n_rcv == ln->cap_rcv) {
        ln->cap_rcv = ln->cap_rcv ? 2 * ln->cap_rcv : 4;
        ln->rcv = sim_xrealloc(ln->rcv, ln->cap_rcv * sizeof *ln->rcv);
    }
    ln->rcv[ln->n_rcv] = (iopath_rcv_flow){.src_mac = p->src_mac, .flow = p->flow};
    return &ln->rcv[ln->n_rcv++];
}

/* Work that is no packet's own (an acknowledgement, the backlog's flush of others):
 * the timeline and the breakdown follow no packet while it runs. Returns the packet to
 * follow again afterwards (packet_back). */
static uint32_t packet_aside(iopath *io)
{
    if (!io->tl && !io->bd)
        return 0;
    uint32_t outer = cpu_packet(io->cpu);
    cpu_set_packet(io->cpu, 0);
    return outer;
}

static void packet_back(iopath *io, uint32_t outer)
{
    if (io->tl || io->bd)
        cpu_set_packet(io->cpu, outer);
}

/* The acknowledgement of rf's stream, sent by the lane's receiver at t, down its
 * transmit path (tcp_ack says what it is). Returns the receiver's time after it. */
static uint64_t send_ack(const exec *x, iopath_rcv_flow *rf, uint64_t t)
{
    iopath *io = x->io;
    iopath_lane *ln = x->lane;
    const path_stage *d = &ln->path->stages[ln->path->tx_entry];
    const path_step *from = ack_entry(d);
    if (!from)
        return t;
    uint32_t outer = packet_aside(io); /* the data packet's work is done */
    t = run(x, t, io->cost[PATH_COST_ACK_TX], x->who);
    if (ln->path->sender_ring != PATH_COST_NONE && !ln->tx_credits) {
        io->c.ack_drops++; /* still due: the next segment or read sends it */
    } else {
        rf->unacked_bytes = 0;
        rf->ack_deferred = false;
        if (ln->path->sender_ring != PATH_COST_NONE)
            ln->tx_credits--;
        rf->adv_read = rf->read_seq; /* the window it offers, once it is on its way */
        rf->adv_seq = rf->last_seq;
        iopath_item ack = {.pkt = {.dst_mac = rf->src_mac,
                                   .src_mac = ln->mac,
                                   .born_ps = t,
                                   .flow = rf->flow,
                                   .len_bytes = IOPATH_TCP_HDR_BYTES + NIC_FCS_BYTES,
                                   .kind = NIC_PKT_ACK,
                                   .seq = rf->last_seq,
                                   .read_seq = rf->read_seq},
                           .frames = 1,
                           .last_bytes = IOPATH_TCP_HDR_BYTES + NIC_FCS_BYTES,
                           .ready_ps = t,
                           .lane = (uint16_t)ln->idx,
                           .src_lane = (uint16_t)ln->idx,
                           .csum = IOPATH_CSUM_PARTIAL};
        iopath_app_of(ln)->snd.wmem_bytes += item_bytes(&ack);
        io->c.acks_sent++;
        t = exec_from(x, d, from, &ack, t, PATH_PER_PKT, false);
    }
    packet_back(io, outer);
    return t;
}

/* PATH_OP_TCP_ACK, after the stack took `it`. Linux's receiver acknowledges at once
 * when more than one full segment came since its last acknowledgement
 * (__tcp_ack_snd_check: rcv_nxt - rcv_wup > rcv_mss) and the window's right edge
 * advances (below); what is left waits for the next segment or for the reader's
 * tcp_cleanup_rbuf (RECV_END, inline_reads_end), which acknowledges more than one full
 * segment left unacknowledged and sends the window updates (the delayed
 * acknowledgement's timer, 40 ms and up, does not fire in a stream). So a reader on a
 * core of its own, which frees space as segments come, gets one acknowledgement per
 * segment GRO merged from two frames or more (once per two single frames), and a
 * reader on the softirq's core one per poll. Left out: quick-ack mode at a
 * connection's start, and acknowledgements that carry data. Each stream the lane
 * takes is a socket of its own (rcv_flow), and its acknowledgement
 * carries the last frame it took (nic_pkt.seq) and the last its application read
 * (nic_pkt.read_seq), where the sender's window starts (nic_partner_set_window).
 * The acknowledgement is a 66-byte frame (IOPATH_TCP_HDR_BYTES: its timestamps option
 * included) back to the data's sender, charged to the receiver's socket as a sent
 * packet and freed like one. A lane whose transmit ring is full drops it (Linux's qdisc
 * would hold it; a later one covers it: they are cumulative). TCP-like streams between
 * VMs are refused (systems/paths_cfg.c), so acknowledgements go to the link partner and
 * come from it.
 *
 * An acknowledgement that arrives (the partner's, for the lane's own stream) ends
 * here (*away): the receive path's steps up to the stack's were its cost, its tcp_ack
 * work (tcp_clean_rtx_queue freeing what it covers) taken as the stack's per-packet
 * receive work; it has no data for the socket. The sender has no window, so it
 * changes nothing of what the lane sends, and the socket's memory is freed at the
 * transmit completion already (TCP small queues' sk_wmem_alloc, not the send buffer's
 * sk_wmem_queued, which waits for the acknowledgement). Returns the receiver's time
 * after it. */
static uint64_t tcp_ack(const exec *x, const iopath_item *it, uint64_t t, bool *away, bool defer)
{
    iopath *io = x->io;
    iopath_lane *ln = x->lane;
    if (it->pkt.kind == NIC_PKT_ACK) {
        *away = true;
        if (!ln || it->pkt.dst_mac != ln->mac)
            io->c.misdelivered++;
        else if (ln->stopped)
            io->c.stopped_drops++;
        else
            io->c.acks_received++;
        return t;
    }
    if (!lane_stream_data(x, it))
        return t;
    iopath_rcv_flow *rf = rcv_flow(ln, &it->pkt);
    rf->unacked_bytes += item_payload(io, it);
    /* The last frame taken (a frame that never came, lost below it, is passed over as
     * a SACK receiver's hole is: the sender resends it as new data). */
    if ((int32_t)(it->pkt.seq - rf->last_seq) > 0)
        rf->last_seq = it->pkt.seq;
    if (rf->unacked_bytes <= io->mss_bytes)
        return t;
    /* __tcp_ack_snd_check acknowledges now only if the window's right edge advances
     * (__tcp_select_window(sk) >= tp->rcv_wnd): with the window bounded by the receive
     * buffer's free space, only if the reader has read since the last acknowledgement
     * at least what came since. A reader on the softirq's core reads nothing until the
     * poll ends, so the acknowledgement waits for its (tcp_cleanup_rbuf: the poll's
     * end, inline_reads_end); one on a core of its own frees space as segments come,
     * and the test mostly holds (taken as always). */
    bool in_softirq = !x->st || x->st->d->place != PATH_PLACE_APP; /* not the reader's */
    if (io->rcv_window_frames && in_softirq && ln->app_core == x->core &&
        (int32_t)(rf->read_seq - rf->adv_read) < (int32_t)(rf->last_seq - rf->adv_seq))
        return t;
    if (defer) {
        /* From the backlog, with tcp_backlog_ack_defer: __tcp_ack_snd_check only sets
         * TCP_ACK_DEFERRED, and tcp_release_cb sends one acknowledgement for the run
         * (backlog_rcv). */
        rf->ack_deferred = true;
        return t;
    }
    return send_ack(x, rf, t);
}

/* Whether the socket's reader, on its own core, is in tcp_recvmsg at t: woken by then
 * (awake_ps), and at work at t. Its thread has worked up to t_free; the items in its
 * queue it has not yet taken (the softirq runs ahead of it, a poll's frames at once) it
 * would take one after the other from when each is ready: its copy, and for a backlog
 * item the socket's part of the stack and, without the deferral, an acknowledgement
 * for a segment of more than one frame. An item whose hand-off still has to notify (the
 * reader will have slept before it, push) wakes it first, for as long as its last
 * wake-up took. The reader is at work at t if all that takes it past t. (Left out: the
 * acknowledgement's driver work and a checksum in the copy.) */
static bool holds_socket(const iopath_stage *reader, uint64_t t)
{
    const iopath *io = reader->io;
    if (t < reader->awake_ps)
        return false;
    bool ack_each = !io->off[PATH_OFF_BACKLOG_ACK_DEFER];
    uint64_t busy_until = reader->t_free;
    for (uint32_t i = 0; i < reader->len && busy_until <= t; i++) {
        const iopath_item *q = &reader->q[(reader->head + i) % reader->cap];
        if (q->ready_ps > t)
            break;
        uint64_t from = max64(busy_until, q->ready_ps);
        if (q->notify != PATH_NOTIFY_NONE && busy_until < q->ready_ps) {
            from = q->ready_ps + reader->wake_ps;
            if (t < from)
                return false;
        }
        uint64_t cycles = cpu_copy_cycles(io->cpu, item_payload(io, q));
        if (q->backlog)
            cycles += io->cost[PATH_COST_SOCK_RCV] +
                      (ack_each && q->frames > 1 ? io->cost[PATH_COST_ACK_TX] : 0);
        busy_until = from + cpu_cycles_to_ps(io->cpu, cycles);
    }
    return t < busy_until;
}

/* PATH_OP_BACKLOG, where the stack has found the socket of a TCP-like stream's data
 * packet. tcp_v4_rcv takes the socket's spinlock and, when the socket's owner has it,
 * puts the packet on the socket's backlog and is done with it (sock_owned_by_user ->
 * tcp_add_backlog); the owner runs tcp_v4_do_rcv for it before letting the socket go
 * (release_sock's __release_sock, and __sk_flush_backlog in tcp_recvmsg's loop). The
 * owner is the reader, stage s->arg: tcp_recvmsg holds the socket (lock_sock) while it
 * copies and lets it go to sleep (sk_wait_data) or to return (RECV_END), when the next
 * call takes it again at once. So a reader on another core holds it from the end of
 * its wake-up (it takes the lock again in sk_wait_event) until it sleeps again
 * (holds_socket). A reader on the softirq's core runs inline in the
 * softirq's turn (push), so it never holds the socket when the softirq comes.
 * The softirq's part is then the stack's work up to the socket's lock
 * (net.stack_rx_cycles less net.sock_rcv_cycles) and the backlog's (backlog_add); the
 * steps after this one (the socket's part, TCP_ACK, the hand-off) are the reader's
 * (BACKLOG_RCV). */
static uint64_t backlog(const exec *x, const path_step *s, iopath_item *it, uint64_t t,
                        bool *away)
{
    iopath *io = x->io;
    iopath_lane *ln = x->lane;
    if (!lane_stream_data(x, it))
        return t;
    iopath_stage *reader = ln->stage[s->arg];
    if (!reader || reader->core == x->core || !holds_socket(reader, t))
        return t;
    uint64_t rx = io->cost[PATH_COST_STACK_RX], sock = io->cost[PATH_COST_SOCK_RCV];
    t = run(x, t, (rx > sock ? rx - sock : 0) + io->cost[PATH_COST_BACKLOG_ADD], x->who);
    it->backlog = true;
    *away = true;
    uint64_t dropped = io->c.queue_drops;
    t = push(x, reader, it, t, PATH_NOTIFY_NONE);
    if (io->c.queue_drops == dropped)
        io->c.backlogged++;
    return t;
}

/* The reader's tcp_v4_do_rcv for a packet from its socket's backlog: the socket's part
 * of the stack and the acknowledgement it may call for (deferred, or sent now). */
static uint64_t backlog_one(const exec *x, iopath_item *it, uint64_t t, bool defer)
{
    it->backlog = false;
    t = run(x, t, x->io->cost[PATH_COST_SOCK_RCV], x->who);
    bool away = false;
    return tcp_ack(x, it, t, &away, defer);
}

/* The reader lets the socket go and takes it again: tcp_v4_do_rcv for every backlog
 * packet in its queue ready by t, then, with the deferral, one acknowledgement for each
 * stream that has one due (tcp_release_cb). */
static uint64_t flush_backlog(const exec *x, uint64_t t, bool defer)
{
    iopath *io = x->io;
    iopath_stage *r = x->st;
    uint32_t outer = packet_aside(io); /* the queued packets' work is not this one's */
    for (uint32_t i = 0; r && i < r->len; i++) {
        iopath_item *next = &r->q[(r->head + i) % r->cap];
        if (!next->backlog)
            continue; /* flushed already, its copy to come */
        if (next->ready_ps > t)
            break;
        t = backlog_one(x, next, t, defer);
    }
    packet_back(io, outer);
    for (uint32_t i = 0; defer && x->lane && i < x->lane->n_rcv; i++)
        if (x->lane->rcv[i].ack_deferred)
            t = send_ack(x, &x->lane->rcv[i], t);
    return t;
}

/* PATH_OP_BACKLOG_RCV, at the first packet of the backlog the reader comes to: it lets
 * the socket go and takes the socket again (tcp_recvmsg's __sk_flush_backlog when it
 * has copied what the receive queue held, or release_sock), which runs tcp_v4_do_rcv
 * for everything on the backlog, also what the softirq adds meanwhile (__release_sock
 * loops until the backlog is empty): here every backlog packet in the reader's queue
 * ready by then. It copies them afterwards, from the receive queue, while the softirq
 * fills the backlog anew. With tcp_backlog_ack_defer (offload s->arg) the
 * acknowledgements __tcp_ack_snd_check calls for meanwhile wait for the flush's end,
 * where tcp_release_cb sends one for each stream that has one due. */
static uint64_t backlog_rcv(const exec *x, const path_step *s, iopath_item *it, uint64_t t)
{
    bool defer = x->io->off[s->arg];
    return flush_backlog(x, backlog_one(x, it, t, defer), defer);
}

/* tcp_cleanup_rbuf's window update, as a recvmsg call ends: what the application read
 * frees the receive buffer, so the window the receiver could offer now ends
 * rcv_window_frames after it. The last acknowledgement sent offered one that ends
 * rcv_window_frames after its read_seq; when what is left of that (beyond the last
 * frame taken) is at most half the window and the free space now is at least twice what
 * is left, the reader acknowledges to say so ("if (2*rcv_window_now <=
 * tp->window_clamp) ... if (new_window && new_window >= 2 * rcv_window_now) time_to_ack
 * = true"). A reader that keeps up never lets the window shrink that far. */
static uint64_t window_update(const exec *x, iopath_rcv_flow *rf, uint64_t t)
{
    iopath *io = x->io;
    int64_t w = io->rcv_window_frames;
    int64_t left = (int32_t)(rf->adv_read - rf->last_seq) + w;
    int64_t free_now = (int32_t)(rf->read_seq - rf->last_seq) + w;
    if (left < 0)
        left = 0;
    if (!w || 2 * left > w || free_now <= 0 || free_now < 2 * left)
        return t;
    uint64_t sent = io->c.acks_sent;
    t = send_ack(x, rf, t);
    io->c.window_updates += io->c.acks_sent - sent;
    return t;
}

/* tcp_cleanup_rbuf as a recvmsg call ends: an acknowledgement the stack left for the
 * reader (more than one full segment unacknowledged: "Once-per-two-segments ACK was
 * not sent by tcp_input.c"), else a window update. */
static uint64_t cleanup_rbuf(const exec *x, iopath_rcv_flow *rf, uint64_t t)
{
    if (rf->unacked_bytes > x->io->mss_bytes)
        return send_ack(x, rf, t);
    return window_update(x, rf, t);
}

/* Whether a reader inline in the softirq has copied, in `poll`, data of rf's socket
 * that it does not count as read yet. */
static bool read_in_poll(const iopath_rcv_flow *rf, const void *poll)
{
    return rf->read_pending && rf->read_by == poll;
}

/* ... of any of the lane's sockets. */
static bool reads_pending(const iopath_lane *ln, const void *poll)
{
    for (uint32_t i = 0; ln && i < ln->n_rcv; i++)
        if (read_in_poll(&ln->rcv[i], poll))
            return true;
    return false;
}

/* The poll that ran a reader inline ends: the reader, which Linux runs after the
 * softirq, has read what it copied in the poll, and each of its sockets' recvmsg call
 * ends, on that poll's core. (Another stage of the lane ending its batch meanwhile, a
 * back end's, leaves them alone.) */
static uint64_t inline_reads_end(const exec *x, uint64_t t)
{
    iopath_lane *ln = x->lane;
    const void *poll = poll_of(x);
    for (uint32_t i = 0; ln && i < ln->n_rcv; i++) {
        iopath_rcv_flow *rf = &ln->rcv[i];
        if (!read_in_poll(rf, poll))
            continue;
        rf->read_pending = false;
        if ((int32_t)(rf->read_pending_seq - rf->read_seq) > 0)
            rf->read_seq = rf->read_pending_seq;
        t = cleanup_rbuf(x, rf, t);
    }
    return t;
}

/* PATH_OP_RECV_END, after the reader's copy of a TCP-like stream's data: what it read
 * (rf->read_seq, which its acknowledgements carry as the window's start), and the end
 * of its recvmsg call. tcp_recvmsg returns once it has copied what the application
 * asked for (net.recv_bytes; what is left of the segment waits for the next call), or
 * found the receive queue and the backlog empty with something copied. A reader inline
 * in the softirq's turn (no thread of its own) stands for Linux's reader on that core,
 * which runs once the poll is over: its copies are booked inline, the socket sees them
 * read as the poll ends (inline_reads_end), and its call ends there. As the call
 * ends, tcp_cleanup_rbuf may acknowledge or send a window update; release_sock then
 * runs the backlog (__release_sock) and, with tcp_backlog_ack_defer (offload s->arg),
 * tcp_release_cb sends its acknowledgement; the next call takes the socket again at once
 * (the system calls' own cycles are left out). Without a read size a reader that never
 * runs dry would let the socket go only at BACKLOG_RCV, once it has copied everything
 * the last run of the backlog brought. */
static uint64_t recv_end(const exec *x, const path_step *s, const iopath_item *it, uint64_t t)
{
    iopath *io = x->io;
    iopath_lane *ln = x->lane;
    iopath_stage *r = x->st;
    if (!lane_stream_data(x, it))
        return t;
    iopath_rcv_flow *rf = rcv_flow(ln, &it->pkt);
    if (!r) {
        /* Inline in the softirq's turn: its copy is booked there, but Linux's reader
         * runs after the poll, so the socket sees the read as the poll ends. */
        if (!rf->read_pending || (int32_t)(it->pkt.seq - rf->read_pending_seq) > 0)
            rf->read_pending_seq = it->pkt.seq;
        rf->read_pending = true;
        rf->read_by = ln->reader_poll;
        return t;
    }
    if ((int32_t)(it->pkt.seq - rf->read_seq) > 0)
        rf->read_seq = it->pkt.seq;
    bool more = r->len && r->q[r->head].ready_ps <= t;
    if (more) {
        if (!io->recv_bytes)
            return t;
        r->read_bytes += item_payload(io, it);
        if (r->read_bytes < io->recv_bytes)
            return t;
        r->read_bytes %= io->recv_bytes;
    } else {
        r->read_bytes = 0;
    }
    t = cleanup_rbuf(x, rf, t);
    return more ? flush_backlog(x, t, io->off[s->arg]) : t;
}

static uint64_t exec_steps_from(const exec *x, const path_stage *d, const path_step *first,
                                iopath_item *it, uint64_t t, path_when when, bool one_frame)
{
    iopath *io = x->io;
    bool away = false; /* the packet went elsewhere (a VM behind the switch, a stage) */
    bool away_from_cpu = false; /* ... or to the NIC: what follows is not its work */
    uint64_t nic_end = 0; /* where the last TO_NIC's packet ends in its queue (on_free) */
    for (const path_step *s = first; s->op != PATH_OP_END; s++) {
        if (s->when != when)
            continue;
        if (away && s->op != PATH_OP_COMPLETE && s->op != PATH_OP_ON_FREE)
            continue;
        if ((away || away_from_cpu) && io->bd)
            cpu_set_packet(io->cpu, 0); /* it has left this stage: no more of its work */
        uint64_t rep = s->n ? io->cost[s->n] : 1;
        switch ((path_op)s->op) {
        case PATH_OP_END: break;
        case PATH_OP_RUN:
            if (io->cost[s->arg] && rep)
                t = run(x, t, io->cost[s->arg] * rep, x->who);
            break;
        case PATH_OP_COPY: {
            uint32_t b = item_bytes(it);
            t = run(x, t, cpu_copy_cycles(io->cpu, b), x->who);
            io->c.copies++;
            io->c.copy_bytes += b;
            break;
        }
        case PATH_OP_SOCK_COPY: t = sock_copy(x, it, t); break;
        case PATH_OP_CSUM: t = csum_step(x, s, it, t); break;
        case PATH_OP_GRANT_COPY: t = grant_copy(x, s, it, t); break;
        case PATH_OP_GRANT_UNMAP: t = grant_unmap(x, it, t); break;
        case PATH_OP_EXIT:
            for (uint64_t r = 0; r < rep; r++)
                t = exit_for(x, t, (hv_exit_reason)s->arg);
            break;
        case PATH_OP_SWITCH: t = do_switch(x, it, t, &away); break;
        case PATH_OP_TO_STAGE:
            t = push(x, x->lane->stage[s->arg], it, t, (path_notify)s->notify);
            away = true;
            break;
        case PATH_OP_COMPLETE: {
            if (one_frame || it->src_lane >= io->nlanes)
                break;
            iopath_item tok = *it;
            tok.pkt.trace_id = 0; /* the sender's clean-up, not the packet's way */
            t = push(x, io->lane[it->src_lane].stage[s->arg], &tok, t, (path_notify)s->notify);
            break;
        }
        case PATH_OP_TO_NIC:
            t = to_nic(x, it, t, &nic_end);
            away_from_cpu = true;
            break;
        case PATH_OP_ON_FREE:
            if (it->grant_maps)
                return on_free(x, s, it, nic_end, t);
            break;
        case PATH_OP_TCP_ACK: t = tcp_ack(x, it, t, &away, false); break;
        case PATH_OP_BACKLOG: t = backlog(x, s, it, t, &away); break;
        case PATH_OP_BACKLOG_RCV:
            if (it->backlog)
                t = backlog_rcv(x, s, it, t);
            break;
        case PATH_OP_RECV_END: t = recv_end(x, s, it, t); break;
        case PATH_OP_DELIVER:
            deliver(x, it, t);
            away = true;
            break;
        case PATH_OP_SEGMENT:
            if (it->frames > 1 && !io->off[s->arg]) {
                t = segment(x, d, s + 1, it, t, when);
                away = true; /* what follows ran per frame; a COMPLETE runs once now */
            }
            break;
        case PATH_OP_GRO:
            if (x->gro && io->msg_bytes && io->off[PATH_OFF_GRO] && it->pkt.kind == NIC_PKT_DATA) {
                /* tcp4_gro_receive checks an unchecked frame before merging it
                 * (skb_gro_checksum_validate), so the merged segment is checked. */
                if (it->csum == IOPATH_CSUM_NONE) {
                    t = sw_csum(x, it, false, t);
                    it->csum = IOPATH_CSUM_VALID;
                }
                t = gro_receive(x, d, s + 1, it, t);
                away = true;
            }
            break;
        }
    }
    return t;
}

/* The stage's first step of `op` that runs per packet, or NULL. */
static const path_step *per_pkt_step(const path_stage *d, path_op op)
{
    for (const path_step *s = d->steps; s->op != PATH_OP_END; s++)
        if (s->op == op && s->when == PATH_PER_PKT)
            return s;
    return NULL;
}

static bool stage_has(const path_stage *d, path_op op)
{
    for (const path_step *s = d->steps; s->op != PATH_OP_END; s++)
        if (s->op == op)
            return true;
    return false;
}

/* ---------------------------------------------------------------- stage threads */

/* Whether a back-end's next item would not fit the guest's ring it fills (at most the
 * whole ring is waited for: a segment of more frames than it holds goes when it is
 * empty, and what does not fit then drops). */
static bool ring_out_full(const iopath_stage *st, const iopath_item *it)
{
    const iopath_stage *out = st->ring_out;
    if (!out)
        return false;
    /* The items `it` becomes there: its frames if the stage segments in software. */
    uint32_t need = st->segments_out ? it->frames : 1;
    if (need > out->cap)
        need = out->cap;
    return out->cap - out->len < need;
}

static void on_stage(void *ctx)
{
    iopath_stage *st = ctx;
    iopath *io = st->io;
    const path_stage *d = st->d;
    uint64_t now = sim_now_ps(io->kernel);
    uint64_t t = max64(now, st->t_free);
    uint64_t limit = now + io->quantum_ps;
    exec x = {io, st->lane, st->core, (cpu_who)d->who, d->urgent, &st->gro, st};
    st->blocked_nic = st->blocked_ring = false;
    if (st->woken) {
        st->woken = false;
        t = iopath_exec_steps(&x, d, NULL, t, PATH_PER_WAKE);
    }
    /* A software batch (a NAPI poll, a vhost or netback run) takes up to the budget of
     * items; the quantum only splits its simulation into events, so a batch cut by it
     * goes on in the next activation without paying its per-run steps again. */
    bool batch_over = false;
    uint32_t done = 0;
    while (st->len) {
        iopath_item *head = &st->q[st->head];
        if (head->ready_ps > t) {
            /* Caught up: it sleeps at t, so the item handed over for later finds it
             * asleep and that hand-off notifies after all. */
            if (head->notify != PATH_NOTIFY_NONE) {
                uint64_t pt;
                io->c.notifies_suppressed--;
                head->ready_ps =
                    notify(io, st, head->producer_core, (cpu_who)head->producer_who,
                           head->producer_urgent, (path_notify)head->notify, head->ready_ps, &pt);
                head->notify = PATH_NOTIFY_NONE;
            }
            batch_over = true;
            break;
        }
        if (done && t > limit)
            break;
        if (st->has_nic && iopath_nic_full(io, st->lane)) {
            st->blocked_nic = true;
            batch_over = true;
            break;
        }
        if (ring_out_full(st, head)) {
            st->blocked_ring = true;
            batch_over = true;
            break;
        }
        if (!st->batch) {
            io->c.batches++;
            st->batch_grant_ops = 0;
            t = iopath_exec_steps(&x, d, NULL, t, PATH_PER_RUN);
        }
        iopath_item it = *head;
        st->head = (st->head + 1) % st->cap;
        st->len--;
        if (d->frees_tx_slot)
            iopath_credit_back(io, &it, t);
        t = iopath_exec_steps(&x, d, &it, t, PATH_PER_PKT);
        done++;
        if (++st->batch >= io->budget) {
            batch_over = true;
            break;
        }
    }
    if (!st->len)
        batch_over = true;
    if (batch_over) {
        st->batch = 0;
        /* The poll ends: GRO passes up what it holds (napi_complete_done), and a
         * reader that ran inline has read. */
        t = inline_reads_end(&x, gro_flush(&x, t));
        /* ... and the driver refills its ring and tells the back-end (virtnet_poll's
         * try_fill_recv and its kick, xennet_poll's refill and notify, the e1000's RDT
         * write): a back-end waiting for room goes on. The notification's own cost is
         * not timed apart. */
        if (st->ring_in && st->ring_in->blocked_ring)
            sim_event_notify_at(st->ring_in->ev, max64(t, now));
    }
    st->t_free = t;
    if (st->has_nic)
        iopath_burst_doorbell(tx_queue(io, st->lane), st->core, (cpu_who)d->who, t);
    if (st->blocked_nic)
        sim_event_notify_at(st->ev, t + io->retry_ps);
    else if (st->blocked_ring)
        ; /* the ring's consumer wakes it at its poll's end (or a hand-off while it runs) */
    else if (st->len)
        sim_event_notify_at(st->ev, max64(t, st->q[st->head].ready_ps));
    else {
        st->asleep = true;
        st->sleep_at = t;
    }
}

/* ---------------------------------------------------------------- receive */

/* Where a queue's receive poll enters the path: a PF queue the NIC's owner drives for
 * one lane (VMDq) at lane_rx_entry, a lane's own queue at its path's rx_entry, a host
 * queue at the host path's. */
static const path_stage *rx_stage(const iopath *io, const iopath_drvq *dq)
{
    const path_desc *pd = dq->lane ? dq->lane->path : io->host_path;
    bool lane_q = dq->lane && pd->lane_rx_entry;
    return &pd->stages[lane_q ? pd->lane_rx_entry : pd->rx_entry];
}

void iopath_drvq_rx(void *ctx, nic_drvq *q, const nic_pkt *p, uint64_t t_ps)
{
    (void)q;
    iopath_drvq *dq = ctx;
    iopath *io = dq->io;
    const path_stage *d = rx_stage(io, dq);
    exec x = {io, dq->lane, dq->core, (cpu_who)d->who, true, &dq->gro, NULL};
    iopath_item it = {.pkt = *p,
                      .frames = 1,
                      .last_bytes = p->len_bytes,
                      .ready_ps = t_ps,
                      .lane = dq->lane ? (uint16_t)dq->lane->idx : IOPATH_FROM_WIRE,
                      .src_lane = IOPATH_FROM_WIRE,
                      .csum = dq->csum ? IOPATH_CSUM_VALID : IOPATH_CSUM_NONE};
    uint64_t t = iopath_exec_steps(&x, d, &it, t_ps, PATH_PER_PKT);
    if (t > dq->ahead_ps)
        dq->ahead_ps = t;
}

void iopath_drvq_rx_done(void *ctx, nic_drvq *q, uint64_t t_ps)
{
    (void)q;
    iopath_drvq *dq = ctx;
    if (!dq->gro.n && !reads_pending(dq->lane, &dq->gro))
        return;
    const path_stage *d = rx_stage(dq->io, dq);
    exec x = {dq->io, dq->lane, dq->core, (cpu_who)d->who, true, &dq->gro, NULL};
    uint64_t t = inline_reads_end(&x, gro_flush(&x, max64(t_ps, dq->ahead_ps)));
    if (t > dq->ahead_ps)
        dq->ahead_ps = t;
}

/* ---------------------------------------------------------------- build */

/* A table's hand-offs name stages it has, and a TO_STAGE or ON_FREE one with a thread
 * (a forgotten nstages would leave ln->stage[s] NULL for push). */
static bool targets_valid(const path_desc *pd)
{
    for (uint8_t s = 0; s < pd->nstages; s++)
        for (const path_step *st = pd->stages[s].steps; st->op != PATH_OP_END; st++) {
            if (st->op != PATH_OP_TO_STAGE && st->op != PATH_OP_COMPLETE &&
                st->op != PATH_OP_ON_FREE && st->op != PATH_OP_BACKLOG)
                continue;
            if (st->arg >= pd->nstages)
                return false;
            const path_stage *to = &pd->stages[st->arg];
            bool thread = st->arg != pd->tx_entry && st->arg != pd->rx_entry &&
                          to->place != PATH_PLACE_HOST;
            if (st->op != PATH_OP_COMPLETE && !thread && !to->polls)
                return false;
        }
    return true;
}

void iopath_build_stages(iopath *io)
{
    if (!io->host_path)
        io->host_path = io->path;
    for (unsigned v = 0; v < io->nlanes; v++)
        if (!io->lane[v].path)
            io->lane[v].path = io->path;
    for (unsigned i = 0; i < io->ndq; i++) {
        io->dq[i]->csum = nic_drvq_csum(io->dq[i]->q);
        io->dq[i]->poll = nic_drvq_poll(io->dq[i]->q);
    }
    if (io->msg_bytes) {
        /* tcp_xmit_size_goal: as many whole MSS as fit the GSO limit with the headers. */
        uint32_t hdr = IOPATH_TCP_HDR_BYTES + NIC_FCS_BYTES;
        io->mss_bytes = io->frame_bytes > hdr ? io->frame_bytes - hdr : 1;
        uint32_t ip_hdr = IOPATH_TCP_HDR_BYTES - 14u;
        uint32_t fit = io->gso_max_bytes > ip_hdr ? (io->gso_max_bytes - ip_hdr) / io->mss_bytes : 1;
        io->gso_max_frames = fit > 1 ? (fit > UINT16_MAX ? UINT16_MAX : fit) : 1;
        /* The model spends a descriptor (and, where the device cuts segments, a ring
         * slot) per frame, where TSO hardware takes a few per segment: a segment never
         * needs more than the NIC's or the path's ring holds. */
        uint32_t cap = io->nic_ring_entries > 1 ? io->nic_ring_entries - 1 : 1;
        for (unsigned v = 0; v < io->nlanes; v++) {
            const path_desc *pd = io->lane[v].path;
            if (pd->sender_ring != PATH_COST_NONE && io->cost[pd->sender_ring] < cap)
                cap = (uint32_t)io->cost[pd->sender_ring];
        }
        if (fit > cap)
            fit = cap;
        io->gro_frames = fit > 1 ? (fit > UINT16_MAX ? UINT16_MAX : fit) : 1;
        io->seg_frames = io->gso ? io->gro_frames : 1;
    }
    for (unsigned v = 0; v < io->nlanes; v++) {
        iopath_lane *ln = &io->lane[v];
        const path_desc *pd = ln->path;
        bool valid = targets_valid(pd);
        assert(valid && "a path table hands off to a stage it has");
        (void)valid;
        for (uint8_t s = 0; s < pd->nstages; s++) {
            const path_stage *d = &pd->stages[s];
            if (s == pd->tx_entry || s == pd->rx_entry || d->place == PATH_PLACE_HOST)
                continue;
            iopath_stage *st = sim_xcalloc(1, sizeof *st);
            st->io = io;
            st->lane = ln;
            st->d = d;
            st->core = d->place == PATH_PLACE_BACKEND ? ln->backend_core
                       : d->place == PATH_PLACE_APP   ? ln->app_core
                                                      : ln->vcpu_core;
            st->cap = (uint32_t)(d->ring ? io->cost[d->ring] : 256);
            st->irq_gap_ps = d->irq_gap ? io->cost[d->irq_gap] : 0;
            st->q = sim_xcalloc(st->cap, sizeof *st->q);
            st->asleep = true;
            st->has_nic = stage_has(d, PATH_OP_TO_NIC);
            char name[64];
            snprintf(name, sizeof name, "net.ln%u.%s", v, d->name);
            st->ev = sim_event_create(io->kernel, name, on_stage, st);
            ln->stage[s] = st;
        }
        /* A back-end thread that fills a guest's ring waits for its room (iopath.h,
         * "Backpressure"); urgent work (a NAPI poll) and poll-mode threads do not. */
        for (uint8_t s = 0; s < pd->nstages; s++) {
            iopath_stage *st = ln->stage[s];
            if (!st || st->d->urgent || st->d->polls)
                continue;
            const path_step *p = per_pkt_step(st->d, PATH_OP_TO_STAGE);
            iopath_stage *to = p ? ln->stage[p->arg] : NULL;
            if (!to || !to->d->ring || p->notify == PATH_NOTIFY_SOCK)
                continue;
            st->ring_out = to;
            to->ring_in = st;
            const path_step *seg = per_pkt_step(st->d, PATH_OP_SEGMENT);
            st->segments_out = seg && !io->off[seg->arg];
        }
        ln->tx_cap = (uint32_t)(pd->sender_ring ? io->cost[pd->sender_ring] : 0);
        /* A datagram socket whose device takes no partial checksum fills it as it copies
         * (__ip_append_data makes it CHECKSUM_PARTIAL only for a device with
         * NETIF_F_HW_CSUM or NETIF_F_IP_CSUM); TCP's are always partial. */
        bool partial_ok = pd->sender_ring ? io->off[pd->sender_csum] : tx_queue(io, ln)->csum;
        ln->snd.fill_csum = !io->msg_bytes && !partial_ok;
        ln->tx_credits = ln->tx_cap;
        char name[64];
        snprintf(name, sizeof name, "net.ln%u.sender", v);
        ln->snd.ev = sim_event_create(io->kernel, name, iopath_on_sender, ln);
        if (io->rto_min_ps && io->pattern == IOPATH_RR) {
            snprintf(name, sizeof name, "net.ln%u.rto", v);
            ln->rto_ev = sim_event_create(io->kernel, name, iopath_on_rto, ln);
        }
    }
    /* Items that wait for their packet's free (ON_FREE) each hold a sender's ring slot
     * (the guest's buffer) until then: every queue can hold all of them. */
    bool waits = false;
    uint64_t slots = 0;
    for (unsigned v = 0; v < io->nlanes; v++) {
        const path_desc *pd = io->lane[v].path;
        bool w = false;
        for (uint8_t s = 0; s < pd->nstages; s++)
            w = w || stage_has(&pd->stages[s], PATH_OP_ON_FREE);
        uint64_t n = pd->sender_ring ? io->cost[pd->sender_ring] : io->nic_ring_entries;
        if (w && n > slots)
            slots = n;
        waits = waits || w;
    }
    for (unsigned i = 0; waits && i < io->ndq; i++)
        io->dq[i]->zc = iopath_zc_create((uint32_t)(slots * io->nlanes + 1));
}

void iopath_start(iopath *io, uint64_t t_ps)
{
    for (unsigned v = 0; v < io->nlanes; v++) {
        iopath_lane *ln = &io->lane[v];
        if (!ln->snd.active)
            continue;
        ln->snd.rr_due = io->pattern == IOPATH_RR ? io->rr_outstanding : 0;
        /* Offered-rate senders start staggered over one interval. */
        uint64_t at = t_ps + (ln->snd.interval_ps ? ln->snd.interval_ps * v / io->nlanes : 0);
        ln->snd.next_ps = at;
        sim_event_notify_at(ln->snd.ev, at);
    }
}

void iopath_set_timeline(iopath *io, sim_timeline *tl)
{
    io->tl = tl;
    free(io->tl_stage);
    io->tl_stage = tl ? sim_xcalloc(cpu_cores(io->cpu), sizeof *io->tl_stage) : NULL;
}

void iopath_set_breakdown(iopath *io, sim_breakdown *bd)
{
    io->bd = bd;
    cpu_set_breakdown(io->cpu, bd);
}

void iopath_destroy_stages(iopath *io)
{
    free(io->tl_stage);
    io->tl_stage = NULL;
    for (unsigned i = 0; io->dq && i < io->ndq; i++) {
        iopath_zc_destroy(io->dq[i]->zc);
        io->dq[i]->zc = NULL;
    }
    if (!io->lane)
        return;
    for (unsigned v = 0; v < io->nlanes; v++) {
        free(io->lane[v].rcv);
        io->lane[v].rcv = NULL;
        io->lane[v].n_rcv = io->lane[v].cap_rcv = 0;
        for (unsigned s = 0; s < PATH_MAX_STAGES; s++) {
            iopath_stage *st = io->lane[v].stage[s];
            if (st) {
                free(st->q);
                free(st);
            }
        }
    }
}
