/* VMDq pools of the PF: receive address filters, each steering the unicast frames sent
 * to its MAC to a pool, a group of the PF's own queue pairs, with RSS within the group
 * (the 82599's VMDq mode: a receive address register RAL/RAH whose pool select, MPSAR,
 * names the pool; ixgbe uses it to offload macvlan devices, ixgbe_fwd_add; a driver
 * domain can give each guest a pool, Santos et al., USENIX ATC 2008). The PF driver
 * owns every pool: unlike a VF, a pool is no function of its own, so its DMA, its
 * interrupts and its driver are the PF's.
 *
 * The table (O(1) look-up: a nic_veb hash from MAC to filter, rebuilt when a filter
 * changes, which is rare next to look-ups) maps a MAC to its pool's queues; a queue
 * belongs to one pool at most. What is in no pool is the PF's default pool: frames to
 * an address no VEB pool or VMDq filter has, and group-addressed frames, are spread
 * over the PF's queues outside every pool (nic_vmdq_in_pool), as before.
 *
 * Registers (nic_regs.h, NIC_REG_VMDQ): the PF driver writes RAL, then QSEL (the pool's
 * queues), then RAH with Address Valid, which loads the filter (AV clear removes it).
 * A filter the device cannot take (a group address, no queues, queues beyond the PF's
 * or in another pool, an address another filter has) is refused and counted in
 * nic.pf_driver_errors, and the filter keeps what it had. */
#ifndef MODELS_NIC_VMDQ_H
#define MODELS_NIC_VMDQ_H

#include <stdbool.h>
#include <stdint.h>

typedef struct nic_vmdq nic_vmdq;

/* filters receive address filters over a PF of pf_queues queue pairs, which may grow to
 * max_queues (nic_vmdq_set_queues). */
nic_vmdq *nic_vmdq_create(unsigned filters, unsigned max_queues, unsigned pf_queues);
/* The PF now has pf_queues queue pairs (at least as many as before). */
void nic_vmdq_set_queues(nic_vmdq *v, unsigned pf_queues);
void nic_vmdq_destroy(nic_vmdq *v);
/* Filter i: mac to queues [first, first + count); mac 0 removes it. 0, or -1 with the
 * reason in *why when the device refuses it (nothing changes). */
int nic_vmdq_set(nic_vmdq *v, unsigned i, uint64_t mac, unsigned first, unsigned count,
                 const char **why);
/* The PF receive queue a unicast frame to mac of this flow goes to (its pool's queue
 * flow modulo the pool's size), -1 when no filter has mac. */
int nic_vmdq_queue(const nic_vmdq *v, uint64_t mac, uint32_t flow);
/* Whether PF queue q belongs to a pool (and so not to the default pool's RSS). */
bool nic_vmdq_in_pool(const nic_vmdq *v, unsigned q);
/* Filters loaded. */
unsigned nic_vmdq_filters(const nic_vmdq *v);

#endif
