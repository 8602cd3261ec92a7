/* Adaptive interrupt moderation of the NIC drivers: what Linux ixgbe and ixgbevf compute
 * at the end of every NAPI poll that re-enables its vector (rx-usecs = 1, "dynamic", the
 * default of both), from the packets and bytes the vector's rings completed since the
 * last computation, and the EITR value they write when it changed.
 *
 * ixgbe (ixgbe_main.c: ixgbe_update_itr per ring container, ixgbe_set_itr for the
 * vector, ixgbe_write_eitr): few packets (under 4 and under 9000 bytes) set latency mode
 * and an interval from the mean frame size; 4..47 packets lengthen the interval by
 * IXGBE_ITR_ADAPTIVE_MIN_INC (2 us), 48..95 keep it, 96..255 halve it, 256 or more set
 * bulk mode and an interval from the mean frame size (about 50K interrupts/s for small
 * frames down to 8K for 1500 bytes; latency mode halves it); the vector takes the
 * smaller of its transmit and receive results (bulk before latency), between
 * IXGBE_ITR_ADAPTIVE_MIN_USECS (10) and IXGBE_ITR_ADAPTIVE_MAX_USECS (126).
 *
 * ixgbevf (ixgbevf_main.c: ixgbevf_update_itr, ixgbevf_set_itr): the bytes per
 * microsecond of the last interval move each ring between three ranges (lowest, low,
 * bulk latency: 100K, 20K, 12K interrupts/s, above 10 and 20 bytes/us), the vector takes
 * the higher range, and the interval moves there by exponential smoothing.
 *
 * Both start at IXGBE_20K_ITR (50 us; ixgbe_alloc_q_vector, ixgbevf_configure_msix).
 * Not modelled: ixgbe_update_itr's reset to IXGBE_ITR_ADAPTIVE_MIN_USECS | LATENCY when
 * 1-2 jiffies passed without an update (a queue that quiet interrupts at once when
 * throttled: its interval counter has long expired), the link speeds other than 10 Gb/s
 * (ixgbe scales the interval for 1 and 2.5 Gb/s). */
#ifndef HOST_NICITR_H
#define HOST_NICITR_H

#include <stdbool.h>
#include <stdint.h>

/* Which driver's algorithm. */
typedef enum nic_itr_algo {
    NIC_ITR_IXGBE,   /* the PF driver's */
    NIC_ITR_IXGBEVF, /* the VF driver's */
} nic_itr_algo;

/* One vector's state: q_vector->itr and its two ring containers. */
typedef struct nic_itr {
    nic_itr_algo algo;
    uint32_t itr;            /* q_vector->itr: the interval in us << 2, as EITR holds it */
    uint32_t tx_itr, rx_itr; /* the ring containers' itr (ixgbe: us | mode; ixgbevf: range) */
    uint64_t tx_pkts, tx_bytes, rx_pkts, rx_bytes; /* since the last update */
} nic_itr;

void nic_itr_init(nic_itr *s, nic_itr_algo algo);
/* The rings completed packets of host-side bytes (received, or transmit descriptors
 * reclaimed: a TSO segment counts its frames, as gso_segs). */
void nic_itr_count_tx(nic_itr *s, uint64_t pkts, uint64_t bytes);
void nic_itr_count_rx(nic_itr *s, uint64_t pkts, uint64_t bytes);
/* The poll completed (napi_complete_done): compute the new interval. True when it
 * changed and the driver writes EITR (nic_itr_eitr). */
bool nic_itr_update(nic_itr *s);
/* The EITR value the driver writes: the interval field with CNT_WDIS set. */
uint32_t nic_itr_eitr(const nic_itr *s);
/* The interval the vector's EITR holds, in us. */
uint32_t nic_itr_usecs(const nic_itr *s);

#endif
