/* The applications' side of a path: each lane's sending thread (iopath_on_sender), its
 * socket's memory (TCP Small Queues, the send buffer), its ring slots, a closed-loop
 * client's retransmission timer, and a failover pair's move of the application. What a
 * packet does once sent is the engine's (engine.c). */
#include <math.h>

#include "host/iopath/engine_impl.h"

/* ---------------------------------------------------------------- the sender's ring */

void iopath_sender_kick(iopath_lane *ln, uint64_t t)
{
    uint64_t now = sim_now_ps(ln->io->kernel);
    sim_event_notify_at(ln->snd.ev, max64(t, now));
}

/* What a socket's packet of `frames` frames and `bytes` host-side bytes counts against
 * it: a TCP-like stream's bytes (TCP Small Queues), a datagram's truesize, the data and
 * struct sk_buff with skb_shared_info, 576 bytes on x86-64 (SKB_TRUESIZE; the data's
 * slab rounding is not counted). */
#define SKB_TRUESIZE_OVERHEAD 576u
static uint64_t sock_charge(const iopath *io, uint32_t frames, uint64_t bytes)
{
    return io->msg_bytes ? bytes : bytes + (uint64_t)SKB_TRUESIZE_OVERHEAD * frames;
}

/* A socket may hand down a packet of `charge` while what it has below it stays under
 * its limit, and always when it has nothing there, however large the packet: TCP Small
 * Queues for TCP-like streams (tcp_small_queue_check), the send buffer for datagrams
 * (sock_alloc_send_pskb waits while sk_wmem_alloc >= sk_sndbuf). */
static bool sock_room(const iopath *io, const iopath_sender *s, uint64_t charge)
{
    uint64_t limit = io->msg_bytes ? io->tsq_limit_bytes : io->sndbuf_bytes;
    return s->wmem_bytes == 0 || s->wmem_bytes + charge <= limit;
}

/* The socket frees sent packets (the skb's destructor, also for a packet dropped on the
 * way): a sender that waited goes on once its next packet has room (tcp_tsq_handler,
 * sock_def_write_space). Request-response senders are not limited this way. */
void iopath_sock_free(iopath *io, iopath_lane *ln, uint32_t frames, uint64_t bytes, uint64_t t)
{
    if (io->pattern == IOPATH_RR)
        return;
    ln = iopath_app_of(ln);
    iopath_sender *s = &ln->snd;
    uint64_t c = sock_charge(io, frames, bytes);
    s->wmem_bytes -= c < s->wmem_bytes ? c : s->wmem_bytes;
    if (s->wmem_blocked && sock_room(io, s, s->wmem_need_bytes)) {
        s->wmem_blocked = false;
        iopath_sender_kick(ln, t);
    }
}

void iopath_credit_back(iopath *io, const iopath_item *it, uint64_t t)
{
    if (it->src_lane >= io->nlanes)
        return;
    iopath_lane *ln = &io->lane[it->src_lane];
    iopath_sock_free(io, ln, it->frames, item_bytes(it), t);
    if (ln->tx_credits < ln->tx_cap)
        ln->tx_credits++;
    /* Wake a sender that stopped on a full ring once a quarter of it is free, so it
     * resumes with a batch rather than one slot at a time. */
    if (ln->snd.blocked && ln->tx_credits >= (ln->tx_cap + 3) / 4) {
        ln->snd.blocked = false;
        iopath_sender_kick(ln, t);
    }
}

/* ---------------------------------------------------------------- time-outs */

/* A closed-loop client's retransmission timer (io.rto_min_ps > 0), as TCP keeps one per
 * connection: armed when a request goes out with none armed, moved on by each response
 * while requests are still out, stopped when none is (tcp_rearm_rto). When it fires the
 * requests still out are taken as lost and sent again, and the time-out doubles until a
 * response comes (tcp_retransmit_timer: icsk_rto <<= 1). The time-out is rto_min (the
 * round trip the client measured is far below it on a LAN: __tcp_set_rto's srtt/8 +
 * rttvar is rto_min then). A VM that does not run does not time out: its clock stands
 * still (kvmclock is paused with the VM), so a timer due then fires as long after the
 * resume as it had left at the stop. */
static uint64_t rto_ps(const iopath *io, const iopath_sender *s)
{
    unsigned k = s->rto_backoff < 9 ? s->rto_backoff : 9; /* TCP_RTO_MAX: 120 s */
    return io->rto_min_ps << k;
}

static void rto_arm(iopath_lane *ln, uint64_t due)
{
    ln->snd.rto_due_ps = due;
    sim_event_notify_at(ln->rto_ev, due);
}

void iopath_rto_rearm(iopath_lane *ln, uint64_t t)
{
    iopath *io = ln->io;
    ln->snd.rto_backoff = 0;
    if (ln->snd.rr_due < io->rr_outstanding)
        rto_arm(ln, t + rto_ps(io, &ln->snd));
    else
        ln->snd.rto_due_ps = 0;
}

void iopath_on_rto(void *ctx)
{
    iopath_lane *ln = iopath_app_of(ctx);
    iopath *io = ln->io;
    iopath_sender *s = &ln->snd;
    uint64_t now = sim_now_ps(io->kernel);
    if (s->rto_due_ps > now && !ln->stopped) {
        sim_event_notify_at(ln->rto_ev, s->rto_due_ps); /* moved on since it was set */
        return;
    }
    if (!s->rto_due_ps || ln->stopped || !s->active)
        return; /* stopped, or counted again from the resume (iopath_lane_set_running) */
    uint32_t out = io->rr_outstanding - s->rr_due;
    if (!out) {
        s->rto_due_ps = 0;
        return;
    }
    io->c.rto_timeouts++;
    io->c.rto_resent += out;
    s->rr_due = io->rr_outstanding;
    s->rto_backoff++;
    rto_arm(ln, now + rto_ps(io, s));
    s->t_free = max64(s->t_free, now);
    iopath_sender_kick(ln, now);
}

/* ---------------------------------------------------------------- the sender */

/* Ring slots a segment of `frames` takes in the sender's ring: one if the device takes
 * whole segments, else one per frame (the stack segments before posting). */
static uint32_t sender_slots(const iopath *io, const iopath_lane *ln, uint16_t frames)
{
    return io->off[ln->path->sender_tso] ? 1u : frames;
}

/* Frames in the next packet the application writes: one, or for TCP-like streams the
 * next segment of the current message (tcp_sendmsg builds segments of up to seg_frames
 * frames of mss_bytes, tcp_xmit_size_goal). */
static uint16_t next_frames(const iopath *io, iopath_sender *s, bool rr)
{
    if (rr || !io->msg_bytes)
        return 1;
    if (!s->msg_left_bytes)
        s->msg_left_bytes = io->msg_bytes;
    uint32_t left = (s->msg_left_bytes + io->mss_bytes - 1) / io->mss_bytes;
    return (uint16_t)(left < io->seg_frames ? left : io->seg_frames);
}

static bool sender_room(iopath *io, iopath_lane *ln, uint32_t slots)
{
    if (ln->path->sender_ring != PATH_COST_NONE)
        return ln->tx_credits >= slots;
    return !iopath_nic_full(io, ln);
}

/* The next packet the application writes (next_frames): the message's last frame
 * carries what is left of it. */
static iopath_item next_item(iopath *io, iopath_lane *ln, bool rr, uint64_t t)
{
    iopath_sender *s = &ln->snd;
    iopath_item it = {.pkt = {.dst_mac = s->dst_mac,
                              .src_mac = ln->mac,
                              .born_ps = s->interval_ps ? s->next_ps : t,
                              .trace_id = io->tl || io->bd ? ++io->next_id : 0,
                              /* rr and TCP-like: a connection per lane, whose flow
                               * hash steers what comes back to the lane's own queue */
                              .flow = rr || io->msg_bytes ? ln->idx : s->flow,
                              .len_bytes = (uint16_t)io->frame_bytes,
                              .kind = rr ? NIC_PKT_REQUEST : NIC_PKT_DATA},
                      .frames = 1,
                      .lane = (uint16_t)ln->idx,
                      .src_lane = (uint16_t)ln->idx,
                      .csum = s->fill_csum ? IOPATH_CSUM_FILL : IOPATH_CSUM_PARTIAL};
    if (io->bd && it.pkt.trace_id)
        sim_breakdown_begin(io->bd, it.pkt.trace_id, it.pkt.born_ps);
    if (rr || !io->msg_bytes) {
        if (!rr)
            s->flow++;
        it.last_bytes = it.pkt.len_bytes;
        return it;
    }
    uint32_t frames = next_frames(io, s, rr);
    uint32_t payload = frames * io->mss_bytes < s->msg_left_bytes ? frames * io->mss_bytes
                                                                  : s->msg_left_bytes;
    s->msg_left_bytes -= payload;
    it.frames = (uint16_t)frames;
    it.last_bytes =
        (uint16_t)(payload - (frames - 1) * io->mss_bytes + IOPATH_TCP_HDR_BYTES + NIC_FCS_BYTES);
    if (frames == 1)
        it.pkt.len_bytes = it.last_bytes;
    return it;
}

/* Time from one send at an offered rate to the next, for a packet of `frames` frames:
 * the interval, or with Poisson arrivals an exponential draw of that mean (inversion of
 * a uniform in (0, 1]). */
static uint64_t send_gap_ps(iopath_sender *s, uint16_t frames)
{
    double mean = (double)s->interval_ps * frames;
    if (!s->poisson)
        return (uint64_t)mean;
    return (uint64_t)llround(sim_rng_exp(&s->gap_rng, mean));
}

void iopath_on_sender(void *ctx)
{
    iopath_lane *ln = ctx;
    iopath *io = ln->io;
    iopath_sender *s = &ln->snd;
    const path_stage *d = &ln->path->stages[ln->path->tx_entry];
    uint64_t now = sim_now_ps(io->kernel);
    if (!s->active || ln->stopped)
        return; /* its application moved to the other member of a pair, or it is stopped */
    /* Its timer or a kick wakes a vCPU (thread) that halted meanwhile. */
    uint64_t t = halt_wake(io->halt, ln->app_core, max64(now, s->t_free), HALT_BY_TIMER);
    uint64_t limit = now + io->quantum_ps;
    exec x = {io, ln, ln->app_core, (cpu_who)d->who, false, NULL, NULL};
    bool rr = io->pattern == IOPATH_RR;
    bool closed_rr = rr && !s->interval_ps; /* each request waits for a response */
    bool wait = false; /* stopped until something else wakes it */
    for (unsigned k = 0;; k++) {
        if (closed_rr && !s->rr_due) {
            wait = true;
            break;
        }
        if (s->interval_ps && s->next_ps > t) {
            if (s->next_ps > limit)
                break;
            t = s->next_ps;
        }
        if (k && t > limit)
            break;
        uint16_t frames = next_frames(io, s, rr);
        uint64_t charge = sock_charge(io, frames, (uint64_t)frames * io->frame_bytes);
        if (!rr && !sock_room(io, s, charge)) {
            /* Enough of this socket's data is below it (TCP Small Queues, the send
             * buffer): it waits for some to be freed. */
            io->c.sender_blocks++;
            s->wmem_blocked = true;
            s->wmem_need_bytes = charge;
            wait = true;
            break;
        }
        uint32_t want = sender_slots(io, ln, frames);
        if (want > ln->tx_cap)
            want = ln->tx_cap; /* a ring smaller than a segment: it fills the ring */
        if (!sender_room(io, ln, want)) {
            io->c.sender_blocks++;
            if (ln->path->sender_ring != PATH_COST_NONE) {
                s->blocked = true;
                wait = true;
            } else {
                t += io->retry_ps;
            }
            break;
        }
        iopath_item it = next_item(io, ln, rr, t);
        /* The application's own work on the request (in closed loop, where the VM is the
         * client, a round trip holds it as it would a server's turnaround). */
        if (rr && io->rr_app_cycles)
            t = run(&x, t, io->rr_app_cycles, CPU_GUEST);
        it.ready_ps = t;
        if (s->interval_ps)
            s->next_ps += send_gap_ps(s, it.frames);
        if (closed_rr) {
            s->rr_due--;
            if (ln->rto_ev && !s->rto_due_ps)
                rto_arm(ln, t + rto_ps(io, s));
        }
        if (ln->path->sender_ring != PATH_COST_NONE)
            ln->tx_credits -= want;
        io->c.sent += it.frames;
        if (!rr)
            s->wmem_bytes += sock_charge(io, it.frames, item_bytes(&it));
        if (it.frames > 1)
            io->c.segments++;
        t = iopath_exec_steps(&x, d, &it, t, PATH_PER_PKT);
    }
    s->t_free = t;
    if (ln->own)
        iopath_burst_doorbell(ln->own, ln->app_core, (cpu_who)d->who, t);
    if (wait)
        return;
    uint64_t next = t;
    if (s->interval_ps && s->next_ps > next)
        next = s->next_ps;
    sim_event_notify_at(s->ev, max64(next, now));
}

/* ---------------------------------------------------------------- failover */

void iopath_lane_failover(iopath *io, iopath_lane *from, iopath_lane *to, uint64_t t_ps)
{
    if (from == to || from->app)
        return; /* its application is not on `from` */
    uint64_t now = sim_now_ps(io->kernel);
    iopath_sender moved = from->snd;
    moved.ev = to->snd.ev;
    to->snd.ev = from->snd.ev;
    from->snd = to->snd;
    from->snd.active = false;
    to->snd = moved;
    /* A sender waiting for the old device's ring slots finds the new one's; one waiting
     * for its socket's memory still waits for it (it moves with the socket). */
    to->snd.blocked = false;
    to->snd.t_free = max64(to->snd.t_free, t_ps);
    from->app = to;
    to->app = NULL;
    sim_event_cancel(from->snd.ev);
    if (to->snd.active && !to->snd.wmem_blocked)
        sim_event_notify_at(to->snd.ev, max64(t_ps, now));
}

void iopath_lane_set_running(iopath *io, iopath_lane *ln, bool running, uint64_t t_ps)
{
    if (ln->stopped == !running)
        return;
    ln->stopped = !running;
    if (!running) {
        ln->stopped_at_ps = t_ps;
        return;
    }
    uint64_t now = sim_now_ps(io->kernel), t = max64(t_ps, now);
    iopath_sender *s = &ln->snd;
    if (!s->active)
        return;
    if (s->rto_due_ps)
        rto_arm(ln, t + (s->rto_due_ps > ln->stopped_at_ps ? s->rto_due_ps - ln->stopped_at_ps
                                                             : 0));
    s->t_free = max64(s->t_free, t);
    if (s->interval_ps && s->next_ps < t)
        s->next_ps = t; /* an offered-rate sender does not catch up what it missed */
    sim_event_notify_at(s->ev, t);
}
