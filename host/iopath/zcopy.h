/* Items that wait for the NIC driver to free their packet (PATH_OP_ON_FREE): Xen
 * netback's grant-mapped transmit, whose skb frags are the guest's pages, so the guest
 * may have its buffer back only when the PF driver has freed the skb after the NIC
 * sent it (xenvif_zerocopy_callback, Linux drivers/net/xen-netback/netback.c).
 *
 * The NIC driver reports what one poll reclaimed as bytes (nic_drv_tx_done_fn), in the
 * order the packets were accepted: one queue's ring and backlog are first in, first
 * out. So a driver queue counts the host-side bytes it accepted and the bytes it freed;
 * an item waits with the count its packet ended at and goes on once the freed count
 * has reached it. Nothing is added to the packet the NIC carries.
 *
 * The FIFO is sized at build for every item that can wait at once (the senders' ring
 * slots, each holding one until its completion), so parking never allocates. */
#ifndef HOST_IOPATH_ZCOPY_H
#define HOST_IOPATH_ZCOPY_H

#include <stdbool.h>
#include <stdint.h>

#include "host/iopath/iopath.h"

typedef struct iopath_zc_wait {
    uint64_t end_bytes; /* the queue's accepted byte count after the item's packet */
    iopath_item it;
    iopath_stage *to;   /* where it goes on */
    uint8_t notify;     /* path_notify of that hand-off */
} iopath_zc_wait;

typedef struct iopath_zc {
    uint64_t posted_bytes, freed_bytes; /* host-side bytes accepted and freed */
    iopath_zc_wait *w;
    uint32_t cap, head, len;
} iopath_zc;

iopath_zc *iopath_zc_create(uint32_t cap);
void iopath_zc_destroy(iopath_zc *z);
/* The driver accepted a packet of `bytes` (queued to its ring or backlog). */
static inline void iopath_zc_posted(iopath_zc *z, uint64_t bytes) { z->posted_bytes += bytes; }
/* Parks w; false (nothing parked) when full. */
bool iopath_zc_park(iopath_zc *z, const iopath_zc_wait *w);
/* The driver freed `bytes` more. */
static inline void iopath_zc_freed(iopath_zc *z, uint64_t bytes) { z->freed_bytes += bytes; }
/* Takes the oldest item whose packet is freed into *out; false when there is none. */
bool iopath_zc_take(iopath_zc *z, iopath_zc_wait *out);

#endif
