#include "models/nic/partner.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "sim/alloc.h"
#include "sim/rng.h"
#include "sim/tq.h"

/* Frames generated per event: the partner's own wire is reserved ahead by at most
 * this many frames, which changes nothing the NIC sees (each frame still arrives at
 * its own time) and divides the generator's events by it. An acknowledgement (bidir)
 * waits behind them, as it would behind a transmit ring's frames. */
#define GEN_BATCH 32u

/* A frame the NIC has put on the wire, counted when it arrives. */
typedef struct arrival {
    uint64_t at_ps;
    uint32_t host_bytes;
    bool ack; /* a pure TCP acknowledgement: counted apart from the data */
    /* An acknowledgement's stream, what it acknowledges (nic_pkt.seq) and what its
     * application has read (nic_pkt.read_seq), where the stream's window starts once
     * it arrives (nic_partner_set_window). */
    uint64_t src_mac;
    uint32_t flow, seq, read_seq;
} arrival;

/* A TCP-like stream from the host, as the partner's receiver sees it: whose it is, the
 * frames GRO holds for it in the current poll, the frames its stack took since its
 * last acknowledgement, and whether it is in the poll's list. */
typedef struct ack_flow {
    uint64_t src_mac;
    uint32_t flow;
    uint16_t vlan;
    bool in_poll;
    uint32_t held_frames, unacked_frames;
} ack_flow;

/* One receive queue's poll (NAPI) at the partner: whether one is open, when it
 * started, the frames it took, and the streams with frames in it. */
typedef struct ack_poll {
    bool open;
    uint64_t start_ps;
    uint32_t frames;
    uint32_t *flows;
    uint32_t n_flows, cap_flows;
} ack_poll;

/* A destination and its flows; with a window (nic_partner_set_window), each flow's
 * frames sent (the last one's number: frames are numbered from 1), the last one its
 * receiver acknowledged (the frames after it are in flight: sent, and not known to have
 * arrived or to be lost) and the last one its application had read by then, where the
 * window the receiver advertised starts. */
typedef struct dest {
    uint64_t mac;
    uint16_t vlan;
    uint32_t flows, next_flow;
    uint32_t *sent, *acked, *read; /* per flow; NULL without a window */
    /* Per flow: when its retransmission timer expires (0: not armed; armed while its
     * window is full, restarted when an acknowledgement moves it on) and how many
     * times in a row it has (each doubles the next time-out). */
    uint64_t *rto_at_ps;
    uint8_t *backoffs;
} dest;

struct nic_partner {
    sim_kernel *kernel;
    nic *nic;
    uint64_t mac;
    uint64_t turnaround_ps;
    uint64_t wire_busy_ps;
    dest *dests;
    size_t n_dests, cap_dests, next_dest;
    sim_event *gen_ev;
    uint64_t next_send_ps, interval_ps;
    bool back_to_back; /* no offered rate: a frame goes when the wire is free */
    bool poisson; /* exponential gaps of mean interval_ps, from gap_rng */
    sim_rng gap_rng;
    uint32_t frame_bytes;
    uint32_t flow_base;
    /* TCP-like streams to the host (nic_partner_set_window): the frames a stream may
     * have in flight (0: no window, open-loop); whether the generator waits for an
     * acknowledgement, and the retransmission time-out that ends a wait no
     * acknowledgement ends. */
    uint32_t window_frames;
    bool gen_blocked;
    uint64_t rto_ps;
    sim_event *rto_ev;
    nic_partner_counters c;
    /* Acknowledging the host's TCP-like streams (nic_partner_ack_tcp): an
     * acknowledgement's frame bytes (0: none) and GRO's largest segment in frames; the
     * receiver's queues (a stream's is its flow modulo their number) and their polls
     * (at most poll_frames_max frames or poll_max_ps long); the streams by flow. */
    uint32_t ack_frame_bytes, gro_frames, poll_frames_max, n_polls;
    uint64_t poll_max_ps;
    ack_poll *polls;
    sim_event *poll_end_ev; /* the earliest open poll's end */
    /* Acknowledgements due (tag: their stream's flow and slot), sent from ack_ev at their
     * time so that the wire is booked in time order, not ahead of the frames before them. */
    sim_tq *acks_due;
    sim_event *ack_ev;
    ack_flow *ack_flows;
    uint32_t n_ack_flows;
    /* Frames on their way, in the order the NIC booked them (the wire is serial, so
     * their arrivals ascend): counted once they arrive. */
    arrival *pend;
    uint32_t pend_head, pend_len, pend_cap; /* the capacity a power of two */
    nic_partner_rx_fn rx_observer;
    void *rx_observer_ctx;
    sim_breakdown *bd;
    unsigned bd_cat;
};

/* The partner's parameters (partner_params) as one call loads them: times in ps. */
typedef struct partner_cfg {
    const char *mac;
    uint64_t turnaround_ps;
    uint64_t rx_queues, rx_poll_frames, rx_poll_max_ps;
} partner_cfg;

static const sim_param_def partner_params[] = {
    {"peer.mac", SIM_PARAM_STRING, "00:1b:21:ff:ff:01", NULL, "", "The link partner's MAC address",
     SIM_AT(partner_cfg, mac)},
    {"peer.turnaround_ns", SIM_PARAM_DOUBLE, "1000", "0..1e9", "ns",
     "Link partner: from a request's last bit in to its response's first bit out (a "
     "kernel-bypass responder, assumed), and from a receive poll's end to its TCP "
     "acknowledgements' first bit out",
     SIM_AT(partner_cfg, turnaround_ps)},
    {"peer.rx_queues", SIM_PARAM_UINT, "16", "1..4096", "queues",
     "Link partner's receiver: receive queues its NIC's RSS spreads the host's TCP-like "
     "streams over (a stream's queue: its flow modulo this), each polled on its own. 16: "
     "the 82599's RSS queues, ixgbe's default on a host with as many cores",
     SIM_AT(partner_cfg, rx_queues)},
    {"peer.rx_poll_frames", SIM_PARAM_UINT, "64", "1..65536", "frames",
     "Link partner's receiver (a Linux host): frames one receive poll of a queue takes. "
     "Its GRO merges each TCP-like stream's frames of a poll into segments (up to "
     "net.gso_max_bytes) and its stack acknowledges each segment that leaves more than one "
     "frame unacknowledged (__tcp_ack_snd_check). 64: NAPI_POLL_WEIGHT, a poll's budget, "
     "which a busy queue fills (and within the 48 to 95 packets an interrupt at which "
     "ixgbe's adaptive moderation, ixgbe_update_itr, holds its interval)",
     SIM_AT(partner_cfg, rx_poll_frames)},
    {"peer.rx_poll_max_us", SIM_PARAM_DOUBLE, "126", "0.001..1e6", "us",
     "Link partner's receiver: the longest a receive poll waits for its frames (the "
     "interrupt interval at a low rate: ixgbe's IXGBE_ITR_ADAPTIVE_MAX_USECS)",
     SIM_AT(partner_cfg, rx_poll_max_ps)},
};

void nic_partner_register_params(sim_params *p)
{
    sim_params_add_table(p, partner_params, SIM_TABLE_LEN(partner_params));
}

int nic_partner_check(const sim_params *p, sim_err *e)
{
    partner_cfg c;
    sim_params_load_table(p, partner_params, SIM_TABLE_LEN(partner_params), &c);
    uint64_t mac;
    if (nic_mac_parse(c.mac, &mac) < 0 || !nic_mac_is_unicast(mac))
        return sim_err_set(e, "peer.mac = '%s' is not a unicast MAC address", c.mac);
    return 0;
}

static void on_tx_frame(void *ctx, const nic_pkt *p, uint64_t arrival_ps);
static void on_gen(void *ctx);
static void on_sync(void *ctx, uint64_t now_ps);
static void on_poll_end(void *ctx);
static void on_ack(void *ctx);
static void on_rto(void *ctx);

nic_partner *nic_partner_create(const sim_params *p, sim_stats *stats, sim_kernel *k, nic *n)
{
    nic_partner *pt = sim_xcalloc(1, sizeof *pt);
    pt->kernel = k;
    pt->nic = n;
    partner_cfg cfg;
    sim_params_load_table(p, partner_params, SIM_TABLE_LEN(partner_params), &cfg);
    nic_mac_parse(cfg.mac, &pt->mac);
    pt->turnaround_ps = cfg.turnaround_ps;
    pt->n_polls = (uint32_t)cfg.rx_queues;
    pt->poll_frames_max = (uint32_t)cfg.rx_poll_frames;
    pt->poll_max_ps = cfg.rx_poll_max_ps;
    pt->gen_ev = sim_event_create(k, "peer.gen", on_gen, pt);
    pt->poll_end_ev = sim_event_create(k, "peer.poll_end", on_poll_end, pt);
    pt->ack_ev = sim_event_create(k, "peer.ack", on_ack, pt);
    pt->acks_due = sim_tq_create();
    nic_set_wire_sink(n, on_tx_frame, pt);
    sim_stats_on_sync(stats, on_sync, pt);
    sim_stats_counter(stats, "peer.rx_frames", &pt->c.rx_frames, "frames received from the NIC");
    sim_stats_counter(stats, "peer.rx_bytes", &pt->c.rx_bytes, "host-side bytes received from the NIC");
    sim_stats_counter(stats, "peer.rx_acks", &pt->c.rx_acks,
                      "pure TCP acknowledgements received from the NIC (not in peer.rx_frames)");
    sim_stats_counter(stats, "peer.tx_frames", &pt->c.tx_frames,
                      "frames sent to the NIC (acknowledgements apart)");
    sim_stats_counter(stats, "peer.tx_acks", &pt->c.tx_acks,
                      "pure TCP acknowledgements sent to the NIC for the host's TCP-like streams "
                      "(peer.rx_poll_frames; not in peer.tx_frames)");
    sim_stats_counter(stats, "peer.tx_bytes", &pt->c.tx_bytes, "host-side bytes sent to the NIC");
    sim_stats_counter(stats, "peer.responses", &pt->c.responses, "requests answered");
    sim_stats_counter(stats, "peer.window_waits", &pt->c.window_waits,
                      "times every TCP-like stream to the host had its window full, so the "
                      "sender waited for an acknowledgement (nic_partner_set_window)");
    sim_stats_counter(stats, "peer.rto_expiries", &pt->c.rto_expiries,
                      "retransmission time-outs: a wait for an acknowledgement that none ended "
                      "within net.rto_min_ms, after which the streams' frames in flight count "
                      "as lost");
    sim_stats_counter(stats, "peer.window_probes", &pt->c.window_probes,
                      "zero-window probes: a stream with nothing in flight waited "
                      "net.rto_min_ms on a window its receiver's unread data kept shut");
    return pt;
}

void nic_partner_destroy(nic_partner *pt)
{
    if (!pt)
        return;
    for (size_t i = 0; i < pt->n_dests; i++) {
        free(pt->dests[i].sent);
        free(pt->dests[i].acked);
        free(pt->dests[i].read);
        free(pt->dests[i].rto_at_ps);
        free(pt->dests[i].backoffs);
    }
    free(pt->dests);
    sim_tq_destroy(pt->acks_due);
    free(pt->ack_flows);
    for (uint32_t i = 0; pt->polls && i < pt->n_polls; i++)
        free(pt->polls[i].flows);
    free(pt->polls);
    free(pt->pend);
    free(pt);
}

uint64_t nic_partner_mac(const nic_partner *pt) { return pt->mac; }
nic_partner_counters nic_partner_get_counters(const nic_partner *pt) { return pt->c; }

void nic_partner_add_dest(nic_partner *pt, uint64_t mac, uint16_t vlan, uint32_t flows)
{
    if (pt->n_dests == pt->cap_dests) {
        pt->cap_dests = pt->cap_dests ? 2 * pt->cap_dests : 16;
        pt->dests = sim_xrealloc(pt->dests, pt->cap_dests * sizeof *pt->dests);
    }
    dest *d = &pt->dests[pt->n_dests++];
    *d = (dest){.mac = mac, .vlan = vlan, .flows = flows ? flows : 1};
    if (pt->window_frames) {
        d->sent = sim_xcalloc(d->flows, sizeof *d->sent);
        d->acked = sim_xcalloc(d->flows, sizeof *d->acked);
        d->read = sim_xcalloc(d->flows, sizeof *d->read);
        d->rto_at_ps = sim_xcalloc(d->flows, sizeof *d->rto_at_ps);
        d->backoffs = sim_xcalloc(d->flows, sizeof *d->backoffs);
    }
}

uint32_t nic_partner_window_frames(const nic_partner *pt) { return pt->window_frames; }

void nic_partner_set_window(nic_partner *pt, uint64_t window_bytes, uint32_t frame_bytes,
                            uint64_t rto_ps)
{
    assert(!pt->n_dests && frame_bytes > NIC_FCS_BYTES && window_bytes > 0);
    uint64_t w = window_bytes / (frame_bytes - NIC_FCS_BYTES);
    /* Two frames at least: a receiver acknowledges once more than a segment's worth is
     * unacknowledged (__tcp_ack_snd_check), and the delayed acknowledgement's timer that
     * would answer a lone frame is not modelled. */
    pt->window_frames = w < 2 ? 2 : w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
    pt->rto_ps = rto_ps;
    pt->rto_ev = sim_event_create(pt->kernel, "peer.rto", on_rto, pt);
}

/* Whether the flow may send another frame: fewer than window_frames beyond what its
 * receiver's application has read, as far as the acknowledgements have told. */
static bool window_open(const nic_partner *pt, const dest *d, uint32_t flow)
{
    return !pt->window_frames || d->sent[flow] - d->read[flow] < pt->window_frames;
}

static void rto_arm(nic_partner *pt, dest *d, uint32_t flow, uint64_t now);

/* An acknowledgement from mac for its flow has arrived: the frames up to seq have
 * arrived or are lost (those that never arrived: with SACK, Linux's sender takes a hole
 * below what was received for lost, RFC 6675, and sends anew), and the receiver's
 * window now ends window_frames after read_seq, the last frame its application had
 * read (tcp_select_window: the receive buffer's free space; the window's right edge
 * never moves back). */
static void window_ack(nic_partner *pt, uint64_t mac, uint32_t flow, uint32_t seq,
                       uint32_t read_seq, uint64_t now)
{
    for (size_t i = 0; i < pt->n_dests; i++) {
        dest *d = &pt->dests[i];
        if (d->mac != mac || flow >= d->flows)
            continue;
        /* Sequence numbers compare modulo 2^32, as TCP's do (after()). */
        if ((int32_t)(seq - d->acked[flow]) > 0 && (int32_t)(d->sent[flow] - seq) >= 0) {
            d->acked[flow] = seq;
            d->rto_at_ps[flow] = 0; /* progress: tcp_rearm_rto, the backoff reset */
            d->backoffs[flow] = 0;
        }
        if ((int32_t)(read_seq - d->read[flow]) > 0 && (int32_t)(d->acked[flow] - read_seq) >= 0)
            d->read[flow] = read_seq;
        /* Still shut: the timer runs again, a time-out for frames in flight or, with
         * none, the window's probe (on_rto). */
        if (!window_open(pt, d, flow))
            rto_arm(pt, d, flow, now);
        return;
    }
}

/* Put a frame on the partner's transmitter no earlier than t (behind the frames the
 * generator booked ahead). */
static void send(nic_partner *pt, const nic_pkt *p, uint64_t t)
{
    uint64_t start = t > pt->wire_busy_ps ? t : pt->wire_busy_ps;
    pt->wire_busy_ps = start + nic_frame_wire_ps(pt->nic, p->len_bytes);
    if (p->kind == NIC_PKT_ACK) {
        pt->c.tx_acks++;
    } else {
        pt->c.tx_frames++;
        pt->c.tx_bytes += p->len_bytes - NIC_FCS_BYTES;
    }
    nic_wire_rx(pt->nic, p, pt->wire_busy_ps + nic_wire_latency_ps(pt->nic));
}

void nic_partner_ack_tcp(nic_partner *pt, uint32_t ack_frame_bytes, uint32_t gro_frames)
{
    pt->ack_frame_bytes = ack_frame_bytes;
    pt->gro_frames = gro_frames ? gro_frames : 1;
    if (!pt->polls)
        pt->polls = sim_xcalloc(pt->n_polls, sizeof *pt->polls);
}

/* The host's streams are few (a flow per sending lane, numbered from 0), so a stream's
 * state sits at its flow's index; a flow that lands on another's slot takes it over. */
#define ACK_FLOW_SLOTS_MAX 65536u

static ack_flow *ack_flow_of(nic_partner *pt, const nic_pkt *p)
{
    uint32_t slot = p->flow % ACK_FLOW_SLOTS_MAX;
    if (slot >= pt->n_ack_flows) {
        uint32_t n = pt->n_ack_flows ? pt->n_ack_flows : 16;
        while (n <= slot)
            n *= 2;
        pt->ack_flows = sim_xrealloc(pt->ack_flows, n * sizeof *pt->ack_flows);
        for (uint32_t i = pt->n_ack_flows; i < n; i++)
            pt->ack_flows[i] = (ack_flow){0};
        pt->n_ack_flows = n;
    }
    return &pt->ack_flows[slot];
}

/* GRO passes the frames it holds for f up as one segment at t; the stack acknowledges
 * once more than one frame is unacknowledged (__tcp_ack_snd_check: rcv_nxt - rcv_wup >
 * rcv_mss), turnaround_ps later (on_ack sends it). t is never before now: a poll ends by
 * its event, which fires at the earliest open poll's end, or first by a frame booked
 * ahead of the clock that arrives after its end. */
static void ack_flush(nic_partner *pt, ack_flow *f, uint64_t t)
{
    f->unacked_frames += f->held_frames;
    f->held_frames = 0;
    if (f->unacked_frames < 2)
        return;
    f->unacked_frames = 0;
    assert(t >= sim_now_ps(pt->kernel));
    uint64_t due = t + pt->turnaround_ps;
    uint64_t tag = (uint64_t)f->flow << 32 | (uint64_t)(f - pt->ack_flows);
    if (sim_tq_push(pt->acks_due, due, NULL, tag))
        sim_event_notify_at(pt->ack_ev, due);
}

/* The acknowledgements due now go on the wire, behind what it already carries. */
static void on_ack(void *ctx)
{
    nic_partner *pt = ctx;
    uint64_t now = sim_now_ps(pt->kernel);
    sim_tq_item it;
    while (sim_tq_pop_due(pt->acks_due, now, &it)) {
        const ack_flow *f = &pt->ack_flows[(uint32_t)it.tag];
        if (f->flow != (uint32_t)(it.tag >> 32))
            continue; /* another stream took the slot: this one's is gone */
        nic_pkt a = {.dst_mac = f->src_mac,
                     .src_mac = pt->mac,
                     .born_ps = it.t_ps,
                     .flow = f->flow,
                     .len_bytes = (uint16_t)pt->ack_frame_bytes,
                     .vlan = f->vlan,
                     .kind = NIC_PKT_ACK};
        send(pt, &a, it.t_ps);
    }
    if (sim_tq_len(pt->acks_due))
        sim_event_notify_at(pt->ack_ev, sim_tq_head_ps(pt->acks_due));
}

/* Queue q's poll ends at t: every stream's held frames go up (napi_complete_done's GRO
 * flush). */
static void ack_poll_close(nic_partner *pt, ack_poll *q, uint64_t t)
{
    for (uint32_t i = 0; i < q->n_flows; i++) {
        ack_flow *f = &pt->ack_flows[q->flows[i]];
        ack_flush(pt, f, t);
        f->in_poll = false;
    }
    q->n_flows = 0;
    q->open = false;
}

/* A frame of a host's TCP-like stream arrived at arrival_ps: its queue's poll takes it
 * and GRO holds it with its stream's others; a segment as large as GRO makes goes up at
 * once, the rest when the poll ends (poll_frames_max frames, or poll_max_ps). */
static void ack_data(nic_partner *pt, const nic_pkt *p, uint64_t arrival_ps)
{
    ack_poll *q = &pt->polls[p->flow % pt->n_polls];
    if (q->open && arrival_ps > q->start_ps + pt->poll_max_ps)
        ack_poll_close(pt, q, q->start_ps + pt->poll_max_ps); /* booked ahead of its end */
    if (!q->open) {
        q->open = true;
        q->start_ps = arrival_ps;
        q->frames = 0;
        sim_event_notify_at(pt->poll_end_ev, arrival_ps + pt->poll_max_ps);
    }
    ack_flow *f = ack_flow_of(pt, p);
    if (f->src_mac != p->src_mac || f->flow != p->flow) {
        if (f->held_frames)
            ack_flush(pt, f, arrival_ps);
        bool in_poll = f->in_poll;
        *f = (ack_flow){.src_mac = p->src_mac, .flow = p->flow, .vlan = p->vlan,
                        .in_poll = in_poll};
    }
    f->vlan = p->vlan; /* the stream's frames may change ports (a failover) */
    if (!f->in_poll) {
        f->in_poll = true;
        if (q->n_flows == q->cap_flows) {
            q->cap_flows = q->cap_flows ? 2 * q->cap_flows : 8;
            q->flows = sim_xrealloc(q->flows, q->cap_flows * sizeof *q->flows);
        }
        q->flows[q->n_flows++] = (uint32_t)(f - pt->ack_flows);
    }
    if (++f->held_frames == pt->gro_frames)
        ack_flush(pt, f, arrival_ps);
    if (++q->frames == pt->poll_frames_max)
        ack_poll_close(pt, q, arrival_ps);
}

/* The open polls whose time is up end now; the event waits for the next to end. (A
 * frame booked ahead of the clock closes its queue's poll first if it arrives after the
 * poll's end, so the polls here are those no frame came after.) */
static void on_poll_end(void *ctx)
{
    nic_partner *pt = ctx;
    uint64_t now = sim_now_ps(pt->kernel), next = UINT64_MAX;
    for (uint32_t i = 0; i < pt->n_polls; i++) {
        ack_poll *q = &pt->polls[i];
        if (!q->open)
            continue;
        uint64_t end = q->start_ps + pt->poll_max_ps;
        if (end <= now)
            ack_poll_close(pt, q, end);
        else if (end < next)
            next = end;
    }
    if (next != UINT64_MAX)
        sim_event_notify_at(pt->poll_end_ev, next);
}

/* Counts the frames that have arrived by now. */
static void catch_up(nic_partner *pt, uint64_t now_ps)
{
    while (pt->pend_len && pt->pend[pt->pend_head].at_ps <= now_ps) {
        const arrival *a = &pt->pend[pt->pend_head];
        if (a->ack) {
            pt->c.rx_acks++;
            if (pt->window_frames)
                window_ack(pt, a->src_mac, a->flow, a->seq, a->read_seq, a->at_ps);
        } else {
            pt->c.rx_frames++;
            pt->c.rx_bytes += a->host_bytes;
        }
        pt->pend_head = (pt->pend_head + 1) & (pt->pend_cap - 1);
        pt->pend_len--;
    }
}

static void on_sync(void *ctx, uint64_t now_ps) { catch_up(ctx, now_ps); }

static void pend_push(nic_partner *pt, const nic_pkt *p, uint64_t arrival_ps)
{
    if (pt->pend_len == pt->pend_cap) {
        uint32_t cap = pt->pend_cap ? 2 * pt->pend_cap : 256;
        arrival *a = sim_xcalloc(cap, sizeof *a);
        for (uint32_t i = 0; i < pt->pend_len; i++)
            a[i] = pt->pend[(pt->pend_head + i) & (pt->pend_cap - 1)];
        free(pt->pend);
        pt->pend = a;
        pt->pend_head = 0;
        pt->pend_cap = cap;
    }
    bool ack = p->kind == NIC_PKT_ACK;
    pt->pend[(pt->pend_head + pt->pend_len) & (pt->pend_cap - 1)] =
        (arrival){arrival_ps, (uint32_t)(p->len_bytes - NIC_FCS_BYTES), ack, p->src_mac,
                  p->flow, p->seq, p->read_seq};
    pt->pend_len++;
}

/* The NIC books each frame onto the wire ahead of the clock: the frame is counted when it
 * arrives, so a window counts what arrived in it, never more than the line carries. Its
 * arrival is known, so the observer (its latency) and a request's response are told at
 * once. */
static void on_tx_frame(void *ctx, const nic_pkt *p, uint64_t arrival_ps)
{
    nic_partner *pt = ctx;
    /* An acknowledgement opens its stream's window when it arrives (catch_up), and a
     * generator that waits for one looks again then. The host's senders have no window:
     * what the partner acknowledges costs the host its receive path and changes nothing
     * of what it sends. */
    pend_push(pt, p, arrival_ps);
    uint64_t now = sim_now_ps(pt->kernel);
    catch_up(pt, now);
    if (p->kind == NIC_PKT_ACK && pt->gen_blocked)
        sim_event_notify_at(pt->gen_ev, arrival_ps > now ? arrival_ps : now);
    if (pt->rx_observer)
        pt->rx_observer(pt->rx_observer_ctx, p, arrival_ps);
    if (p->kind == NIC_PKT_DATA && pt->ack_frame_bytes)
        ack_data(pt, p, arrival_ps);
    if (p->kind != NIC_PKT_REQUEST)
        return;
    nic_pkt r = *p;
    r.dst_mac = p->src_mac;
    r.src_mac = pt->mac;
    r.kind = NIC_PKT_RESPONSE;
    pt->c.responses++;
    if (pt->bd && p->trace_id)
        sim_breakdown_add(pt->bd, p->trace_id, pt->bd_cat, arrival_ps,
                          arrival_ps + pt->turnaround_ps);
    send(pt, &r, arrival_ps + pt->turnaround_ps);
}

void nic_partner_set_breakdown(nic_partner *pt, sim_breakdown *bd, unsigned cat)
{
    pt->bd = bd;
    pt->bd_cat = cat;
}

void nic_partner_set_rx_observer(nic_partner *pt, nic_partner_rx_fn fn, void *ctx)
{
    pt->rx_observer = fn;
    pt->rx_observer_ctx = ctx;
}

void nic_partner_set_poisson(nic_partner *pt, uint64_t seed)
{
    pt->poisson = true;
    sim_rng_seed(&pt->gap_rng, seed, "peer.arrivals");
}

void nic_partner_start(nic_partner *pt, uint64_t t_ps, double gbps, uint32_t frame_bytes)
{
    if (!pt->n_dests)
        return;
    pt->frame_bytes = frame_bytes;
    uint64_t wire = nic_frame_wire_ps(pt->nic, frame_bytes);
    uint64_t iv = wire;
    if (gbps > 0) {
        double ps = (double)(frame_bytes - NIC_FCS_BYTES) * 8000.0 / gbps;
        iv = (uint64_t)llround(ps);
        if (iv < wire)
            iv = wire;
    }
    pt->interval_ps = iv;
    pt->back_to_back = !(gbps > 0);
    pt->next_send_ps = t_ps;
    sim_event_notify_at(pt->gen_ev, t_ps);
}

/* The next destination and flow in turn whose window is open (the destinations take
 * turns, and each one's flows); NULL when every one's is full. */
static dest *next_open(nic_partner *pt, uint32_t *flow)
{
    for (size_t i = 0; i < pt->n_dests; i++) {
        dest *d = &pt->dests[(pt->next_dest + i) % pt->n_dests];
        for (uint32_t j = 0; j < d->flows; j++) {
            uint32_t f = (d->next_flow + j) % d->flows;
            if (window_open(pt, d, f)) {
                pt->next_dest = (pt->next_dest + i) % pt->n_dests;
                d->next_flow = f;
                *flow = f;
                return d;
            }
        }
    }
    return NULL;
}

/* A stream's window has just filled: its retransmission timer runs from now,
 * net.rto_min_ms doubled for each time-out in a row (tcp_retransmit_timer's backoff,
 * up to 2^6 of it). */
static void rto_arm(nic_partner *pt, dest *d, uint32_t flow, uint64_t now)
{
    if (d->rto_at_ps[flow])
        return;
    unsigned b = d->backoffs[flow] < 6 ? d->backoffs[flow] : 6;
    d->rto_at_ps[flow] = now + (pt->rto_ps << b);
    sim_event_notify_at(pt->rto_ev, d->rto_at_ps[flow]);
}

/* The streams whose timer expired with their window still full and nothing
 * acknowledged since: their frames in flight count as lost (the sender starts again
 * from what was acknowledged; what it resends is new frames here), and the generator
 * goes on. The timer waits for the next stream's expiry. */
static void on_rto(void *ctx)
{
    nic_partner *pt = ctx;
    uint64_t now = sim_now_ps(pt->kernel), next = UINT64_MAX;
    catch_up(pt, now);
    bool expired = false;
    for (size_t i = 0; i < pt->n_dests; i++) {
        dest *d = &pt->dests[i];
        for (uint32_t j = 0; j < d->flows; j++) {
            uint64_t at = d->rto_at_ps[j];
            if (!at)
                continue;
            if (at > now) {
                next = at < next ? at : next;
                continue;
            }
            d->rto_at_ps[j] = 0;
            if (window_open(pt, d, j))
                continue;
            if (d->acked[j] == d->sent[j]) {
                /* Nothing in flight: unread data keeps the window shut and no update
                 * came (one may have been lost). Linux's sender probes the window
                 * (tcp_probe_timer); the receiver's answer is taken to be that it has
                 * read what it acknowledged. No loss, no backoff. */
                pt->c.window_probes++;
                d->read[j] = d->acked[j];
                expired = true;
                continue;
            }
            pt->c.rto_expiries++;
            /* What had arrived and not been read still fills the receiver's buffer;
             * the lost frames, sent again as new ones, do not. */
            uint32_t unread = d->acked[j] - d->read[j];
            d->acked[j] = d->sent[j];
            d->read[j] = d->sent[j] - unread;
            if (d->backoffs[j] < UINT8_MAX)
                d->backoffs[j]++;
            expired = true;
        }
    }
    if (next != UINT64_MAX)
        sim_event_notify_at(pt->rto_ev, next);
    if (expired && pt->gen_blocked)
        sim_event_notify_at(pt->gen_ev, now);
}

/* The generator waits: it looks again when the first acknowledgement already on the
 * wire arrives (one booked before it began to wait tells no one when it is booked). */
static void wait_for_ack(nic_partner *pt, uint64_t now)
{
    pt->gen_blocked = true;
    pt->c.window_waits++;
    for (uint32_t i = 0; i < pt->pend_len; i++) {
        const arrival *a = &pt->pend[(pt->pend_head + i) & (pt->pend_cap - 1)];
        if (a->ack) {
            sim_event_notify_at(pt->gen_ev, a->at_ps > now ? a->at_ps : now);
            return;
        }
    }
}

static void on_gen(void *ctx)
{
    nic_partner *pt = ctx;
    uint64_t now = sim_now_ps(pt->kernel);
    if (pt->window_frames) {
        catch_up(pt, now);
        if (pt->gen_blocked) {
            /* Woken by an acknowledgement (or the time-out): the stream goes on from
             * now, not from the time its window closed. */
            pt->gen_blocked = false;
            if (pt->next_send_ps < now)
                pt->next_send_ps = now;
        }
    }
    for (unsigned i = 0; i < GEN_BATCH; i++) {
        uint32_t flow;
        dest *d = pt->window_frames ? next_open(pt, &flow) : &pt->dests[pt->next_dest];
        if (!d) {
            wait_for_ack(pt, now);
            return;
        }
        if (!pt->window_frames)
            flow = d->next_flow;
        pt->next_dest = (pt->next_dest + 1) % pt->n_dests;
        /* Back to back, the acknowledgements the wire also carries (bidir) take their
         * turns: the stream is born when the wire is free, not queued behind them. */
        if (pt->back_to_back && pt->wire_busy_ps > pt->next_send_ps)
            pt->next_send_ps = pt->wire_busy_ps;
        nic_pkt p = {.dst_mac = d->mac,
                     .src_mac = pt->mac,
                     .born_ps = pt->next_send_ps,
                     .flow = flow,
                     .len_bytes = (uint16_t)pt->frame_bytes,
                     .vlan = d->vlan,
                     .kind = NIC_PKT_DATA,
                     .seq = d->sent ? ++d->sent[flow] : 0};
        d->next_flow = (flow + 1) % d->flows;
        if (d->sent && !window_open(pt, d, flow))
            rto_arm(pt, d, flow, pt->next_send_ps > now ? pt->next_send_ps : now);
        send(pt, &p, pt->next_send_ps);
        pt->next_send_ps += pt->poisson
                                ? (uint64_t)llround(sim_rng_exp(&pt->gap_rng, (double)pt->interval_ps))
                                : pt->interval_ps;
    }
    sim_event_notify_at(pt->gen_ev, pt->next_send_ps);
}
