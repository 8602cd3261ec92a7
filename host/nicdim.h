/* Dynamic interrupt moderation as Linux's mlx5e runs it (lib/dim/net_dim.c, dim.c): one
 * state machine per completion queue, fed at the end of every NAPI poll that completes
 * (mlx5e_napi_poll: mlx5e_handle_rx_dim, mlx5e_handle_tx_dim) with the queue's event,
 * packet and byte counters. Every DIM_NEVENTS (64) events it compares the rates since its
 * last decision (bytes, then packets per ms, then events per ms, a change significant
 * above 10%) and steps through five profiles of (period, count), towards the side that
 * did better, parking on top when it has turned back after a step or on an edge, tired
 * after ten steps. A new profile is written to the queue's moderation at once (the
 * kernel applies it from a work item).
 *
 * The profiles are net_dim.c's: receive with the period from the first completion
 * (CQE mode) 2/256, 8/128, 16/64, 32/64, 64/64 (us/completions), from the last event
 * (EQE) 1, 8, 64, 128, 256 us with 256; transmit CQE 5/128, 8/64, 16/32, 32/32, 64/32,
 * EQE 1, 8, 32, 64, 128 us with 128; both start at profile 1 (NET_DIM_DEF_PROFILE_*).
 * Time is simulated time, in whole microseconds as ktime_us_delta gives it. */
#ifndef HOST_NICDIM_H
#define HOST_NICDIM_H

#include <stdbool.h>
#include <stdint.h>

typedef struct nic_dim_stats {
    uint64_t ppms, bpms, epms; /* packets, bytes, events per ms */
} nic_dim_stats;

typedef struct nic_dim {
    bool tx, from_cqe;       /* which profile table */
    uint8_t state;           /* measuring or about to start */
    uint8_t tune_state;      /* parking on top or tired, going left or right */
    uint8_t profile_ix, steps_left, steps_right, tired;
    uint64_t start_events, start_pkts, start_bytes, start_ps;
    nic_dim_stats prev;
} nic_dim;

void nic_dim_init(nic_dim *d, bool tx, bool from_cqe);
/* The current profile: the queue's moderation period (us) and completion count. */
uint32_t nic_dim_usec(const nic_dim *d);
uint32_t nic_dim_pkts(const nic_dim *d);
/* A completed poll at t_ps, with the queue's counters so far (events: interrupts of this
 * queue). True when the profile changed: the driver writes the new moderation. */
bool nic_dim_sample(nic_dim *d, uint64_t t_ps, uint64_t events, uint64_t pkts, uint64_t bytes);

#endif
