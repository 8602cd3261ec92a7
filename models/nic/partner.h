/* The far end of the NIC's Ethernet link: a traffic generator and sink with its own
 * transmitter (a reservation at the line rate, preamble and inter-frame gap included).
 * It sends frames to a list of destinations in turn, each destination's frames
 * spread over flows so receive-side scaling uses every queue, at an offered rate or
 * back to back; it sinks what the NIC transmits, answers each request frame
 * (NIC_PKT_REQUEST) with a response of the same size after a fixed turnaround, and,
 * once told the host's streams are TCP-like, acknowledges their frames
 * (nic_partner_ack_tcp) after the same turnaround. */
#ifndef MODELS_NIC_PARTNER_H
#define MODELS_NIC_PARTNER_H

#include <stdint.h>

#include "models/nic/nic.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef struct nic_partner nic_partner;

void nic_partner_register_params(sim_params *p);
/* peer.mac must be a unicast MAC address (a configuration error otherwise). */
int nic_partner_check(const sim_params *p, sim_err *e);
/* Installs itself as n's wire sink. Stats under "peer.". */
nic_partner *nic_partner_create(const sim_params *p, sim_stats *stats, sim_kernel *k, nic *n);
void nic_partner_destroy(nic_partner *pt);
uint64_t nic_partner_mac(const nic_partner *pt);

/* A destination of generated traffic; `flows` distinct flows go to it, in turn. */
void nic_partner_add_dest(nic_partner *pt, uint64_t mac, uint16_t vlan, uint32_t flows);
/* Start sending frame_bytes frames at t_ps: gbps of host-side bytes (frames without
 * FCS) in total, 0 for back to back at the line rate. */
void nic_partner_start(nic_partner *pt, uint64_t t_ps, double gbps, uint32_t frame_bytes);

/* The host's data frames (NIC_PKT_DATA) are TCP-like streams (a stream: a flow and a
 * source MAC): the partner's receiver, a Linux host, spreads them over
 * peer.rx_queues queues, takes each queue's in polls of peer.rx_poll_frames frames (or
 * peer.rx_poll_max_us), merges each stream's frames of
 * a poll into segments of up to gro_frames (GRO), and acknowledges a segment that
 * leaves more than one frame unacknowledged with a pure acknowledgement (NIC_PKT_ACK)
 * of ack_frame_bytes (FCS included), peer.turnaround_ns later. */
void nic_partner_ack_tcp(nic_partner *pt, uint32_t ack_frame_bytes, uint32_t gro_frames);

/* The destinations' flows are TCP-like streams (call before nic_partner_add_dest): each
 * may send at most window_bytes of frame_bytes frames (their host-side bytes, two frames
 * at least) beyond the last frame its receiver's application has read, as the host's
 * TCP acknowledgements tell (NIC_PKT_ACK: seq, the last frame its receiver took, frames
 * below it that never arrived counting as lost, as a SACK sender finds them; read_seq,
 * the last its application read). While every stream's window is full the generator
 * waits for an acknowledgement to arrive. A stream whose window stays full without an
 * acknowledgement moving it on for rto_ps (doubled for each time-out in a row) counts
 * its frames in flight as lost and goes on; with none in flight, it probes the window
 * and takes it that the receiver has read what it acknowledged. Without this call the
 * generator is open-loop.
 * The congestion window is not modelled: it is taken to have grown past the receive
 * window (no loss). */
/* The window nic_partner_set_window gave each stream, in frames (0: none). */
uint32_t nic_partner_window_frames(const nic_partner *pt);
void nic_partner_set_window(nic_partner *pt, uint64_t window_bytes, uint32_t frame_bytes,
                            uint64_t rto_ps);

/* At an offered rate, gaps between generated frames are exponentially distributed with
 * the same mean (a Poisson process: many independent senders), drawn from the stream
 * "peer.arrivals" of `seed`; without this call they are equal. */
void nic_partner_set_poisson(nic_partner *pt, uint64_t seed);

/* Called for every frame the partner receives from the NIC, with the time its last
 * bit arrived (a workload measures transmit latency from the frame's born_ps). */
typedef void (*nic_partner_rx_fn)(void *ctx, const nic_pkt *p, uint64_t arrival_ps);
void nic_partner_set_rx_observer(nic_partner *pt, nic_partner_rx_fn fn, void *ctx);
/* net.breakdown: a numbered request's turnaround here joins its breakdown as `cat`. */
void nic_partner_set_breakdown(nic_partner *pt, sim_breakdown *bd, unsigned cat);

typedef struct nic_partner_counters {
    uint64_t rx_frames, rx_bytes; /* from the NIC (host-side bytes), acknowledgements apart */
    uint64_t rx_acks;             /* pure TCP acknowledgements from the NIC */
    uint64_t tx_frames, tx_bytes; /* to the NIC, acknowledgements apart */
    uint64_t tx_acks;             /* pure TCP acknowledgements to the NIC */
    uint64_t responses;           /* answers to requests */
    uint64_t window_waits;        /* the generator found every stream's window full */
    uint64_t rto_expiries;        /* waits a time-out ended */
    uint64_t window_probes;       /* waits on an unread window a probe ended */
} nic_partner_counters;
nic_partner_counters nic_partner_get_counters(const nic_partner *pt);

#endif
