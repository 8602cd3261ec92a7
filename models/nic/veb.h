/* The NIC's embedded switch (Virtual Ethernet Bridge, as in the 82599 and its
 * successors): a table from (destination MAC, VLAN) to a pool (a function: 0 the PF,
 * 1 + i VF i). Each pool holds one unicast address in one VLAN (0 = untagged), set by
 * the PF driver. A unicast frame goes to the pool that owns its address in its VLAN,
 * else to the default pool (the PF); broadcast and multicast go to every pool of the
 * VLAN (no multicast filtering: every pool accepts every group address, as with
 * multicast promiscuous mode). Look-up is O(1): an open-addressed hash rebuilt when an
 * address changes, which is rare next to look-ups. */
#ifndef MODELS_NIC_VEB_H
#define MODELS_NIC_VEB_H

#include <stdbool.h>
#include <stdint.h>

typedef struct nic_veb nic_veb;

nic_veb *nic_veb_create(unsigned pools);
void nic_veb_destroy(nic_veb *v);
/* Give pool its address; mac 0 removes it from the table. */
void nic_veb_set(nic_veb *v, unsigned pool, uint64_t mac, uint16_t vlan);
/* The pool owning (mac, vlan), -1 when none (the caller applies the default pool). */
int nic_veb_lookup(const nic_veb *v, uint64_t mac, uint16_t vlan);
/* Pools that receive a group-addressed frame of that VLAN, in pool order; returns how
 * many (at most max are stored). */
unsigned nic_veb_flood(const nic_veb *v, uint16_t vlan, unsigned *pools, unsigned max);

#endif
