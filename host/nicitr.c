#include "host/nicitr.h"

#include "models/nic/nic_regs.h"

/* ixgbe.h */
#define ITR_ADAPTIVE_MIN_INC 2u    /* IXGBE_ITR_ADAPTIVE_MIN_INC, us */
#define ITR_ADAPTIVE_MIN_USECS 10u /* IXGBE_ITR_ADAPTIVE_MIN_USECS */
#define ITR_ADAPTIVE_MAX_USECS 126u
#define ITR_ADAPTIVE_LATENCY 0x80u /* a ring container's latency-mode flag */
#define ITR_ADAPTIVE_BULK 0x00u
/* q_vector->itr values (us << 2): IXGBE_100K_ITR, IXGBE_20K_ITR, IXGBE_12K_ITR */
#define ITR_100K 40u
#define ITR_20K 200u
#define ITR_12K 336u
/* ixgbevf's latency ranges (enum latency_range) */
enum { LOWEST_LATENCY = 0, LOW_LATENCY = 1, BULK_LATENCY = 2 };

void nic_itr_init(nic_itr *s, nic_itr_algo algo)
{
    *s = (nic_itr){.algo = algo, .itr = ITR_20K};
    if (algo == NIC_ITR_IXGBE) /* ixgbe_alloc_q_vector; ixgbevf's start at 0, lowest */
        s->tx_itr = s->rx_itr = ITR_ADAPTIVE_MAX_USECS | ITR_ADAPTIVE_LATENCY;
}

void nic_itr_count_tx(nic_itr *s, uint64_t pkts, uint64_t bytes)
{
    s->tx_pkts += pkts;
    s->tx_bytes += bytes;
}

void nic_itr_count_rx(nic_itr *s, uint64_t pkts, uint64_t bytes)
{
    s->rx_pkts += pkts;
    s->rx_bytes += bytes;
}

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* ixgbe_update_itr for one ring container whose itr was `prev`: its new itr (us, with
 * the latency flag). */
static uint32_t ixgbe_update_itr(const nic_itr *s, uint32_t prev, uint64_t packets,
                                 uint64_t bytes)
{
    uint32_t itr;
    if (!packets) /* another ring of the vector did the work: lengthen a little */
        return min_u32((s->itr >> 2) + ITR_ADAPTIVE_MIN_INC, ITR_ADAPTIVE_MAX_USECS) +
               (prev & ITR_ADAPTIVE_LATENCY);
    if (packets < 4 && bytes < 9000) {
        itr = ITR_ADAPTIVE_LATENCY;
    } else if (packets < 48) {
        return min_u32((s->itr >> 2) + ITR_ADAPTIVE_MIN_INC, ITR_ADAPTIVE_MAX_USECS);
    } else if (packets < 96) {
        return s->itr >> 2;
    } else if (packets < 256) {
        itr = s->itr >> 3;
        return itr < ITR_ADAPTIVE_MIN_USECS ? ITR_ADAPTIVE_MIN_USECS : itr;
    } else {
        itr = ITR_ADAPTIVE_BULK;
    }
    /* adjust_by_size: ixgbe's approximation of (170 * (size + 24)) / (size + 640), 256
     * times too large, from 50K interrupts/s for small frames to 8K at 1968 bytes. */
    uint64_t avg = bytes / packets;
    if (avg <= 60)
        avg = 5120;
    else if (avg <= 316)
        avg = avg * 40 + 2720;
    else if (avg <= 1084)
        avg = avg * 15 + 11452;
    else if (avg < 1968)
        avg = avg * 5 + 22420;
    else
        avg = 32256;
    if (itr & ITR_ADAPTIVE_LATENCY)
        avg >>= 1; /* latency mode: twice the rate */
    /* IXGBE_LINK_SPEED_10GB_FULL (and the default case) */
    const uint64_t unit = ITR_ADAPTIVE_MIN_INC * 256;
    return itr + (uint32_t)((avg + unit - 1) / unit) * ITR_ADAPTIVE_MIN_INC;
}

/* ixgbe_set_itr: true when q_vector->itr changed. */
static bool ixgbe_set_itr(nic_itr *s)
{
    s->tx_itr = ixgbe_update_itr(s, s->tx_itr, s->tx_pkts, s->tx_bytes);
    s->rx_itr = ixgbe_update_itr(s, s->rx_itr, s->rx_pkts, s->rx_bytes);
    s->tx_pkts = s->tx_bytes = s->rx_pkts = s->rx_bytes = 0;
    /* the smaller delay; a bulk result (flag clear) is below any latency one */
    uint32_t new_itr = (min_u32(s->rx_itr, s->tx_itr) & ~ITR_ADAPTIVE_LATENCY) << 2;
    if (new_itr == s->itr)
        return false;
    s->itr = new_itr;
    return true;
}

/* ixgbevf_update_itr: a ring's new latency range from its bytes per us of the last
 * interval; no packets, no change (the counts stay). */
static void ixgbevf_update_itr(const nic_itr *s, uint32_t *range, uint64_t *packets,
                               uint64_t *bytes)
{
    uint32_t timepassed_us = s->itr >> 2;
    if (!*packets || !timepassed_us)
        return;
    uint64_t bytes_perint = *bytes / timepassed_us;
    switch (*range) {
    case LOWEST_LATENCY:
        if (bytes_perint > 10)
            *range = LOW_LATENCY;
        break;
    case LOW_LATENCY:
        if (bytes_perint > 20)
            *range = BULK_LATENCY;
        else if (bytes_perint <= 10)
            *range = LOWEST_LATENCY;
        break;
    case BULK_LATENCY:
        if (bytes_perint <= 20)
            *range = LOW_LATENCY;
        break;
    }
    *packets = *bytes = 0;
}

/* ixgbevf_set_itr: true when the driver writes EITR. */
static bool ixgbevf_set_itr(nic_itr *s)
{
    ixgbevf_update_itr(s, &s->tx_itr, &s->tx_pkts, &s->tx_bytes);
    ixgbevf_update_itr(s, &s->rx_itr, &s->rx_pkts, &s->rx_bytes);
    uint32_t range = s->rx_itr > s->tx_itr ? s->rx_itr : s->tx_itr;
    uint32_t new_itr = range == LOWEST_LATENCY ? ITR_100K
                       : range == LOW_LATENCY  ? ITR_20K
                                               : ITR_12K;
    if (new_itr == s->itr)
        return false;
    /* exponential smoothing toward the range's interval */
    s->itr = (10 * new_itr * s->itr) / (9 * new_itr + s->itr);
    return true;
}

bool nic_itr_update(nic_itr *s)
{
    return s->algo == NIC_ITR_IXGBE ? ixgbe_set_itr(s) : ixgbevf_set_itr(s);
}

/* ixgbe_write_eitr, ixgbevf_write_eitr: q_vector->itr & IXGBE_MAX_EITR, with
 * IXGBE_EITR_CNT_WDIS so the write does not restart the interval. */
uint32_t nic_itr_eitr(const nic_itr *s)
{
    return (s->itr & NIC_EITR_INTERVAL_MASK) | NIC_EITR_CNT_WDIS;
}

uint32_t nic_itr_usecs(const nic_itr *s) { return (s->itr & NIC_EITR_INTERVAL_MASK) >> 2; }
