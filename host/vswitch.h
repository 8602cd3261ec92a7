/* A software virtual switch: an L2 learning bridge (Linux bridge / Open vSwitch in its
 * simplest mode) in the host or a driver domain. It learns source MACs per port,
 * forwards known unicast to one port, floods broadcast, multicast and unknown
 * destinations to every other port, and costs vswitch.pkt_cycles per packet on the
 * core that runs it (the caller charges them through the CPU model). */
#ifndef HOST_VSWITCH_H
#define HOST_VSWITCH_H

#include <stddef.h>
#include <stdint.h>

#include "sim/params.h"
#include "sim/stats.h"

typedef struct vswitch vswitch;

void vswitch_register_params(sim_params *p);
vswitch *vswitch_create(const sim_params *p, sim_stats *stats, const char *name, unsigned ports);
void vswitch_destroy(vswitch *v);

uint64_t vswitch_pkt_cycles(const vswitch *v);
unsigned vswitch_ports(const vswitch *v);
/* Learn that mac is behind port (what a frame from it would teach: a VM's gratuitous
 * ARP at boot, the link partner's ARP reply), without forwarding anything. */
void vswitch_learn(vswitch *v, unsigned port, const uint8_t mac[6]);
/* Forward a frame that entered on in_port: learns src, fills out_ports (up to max) and
 * returns how many ports it goes to (0: dropped, e.g. it would go back where it came
 * from). */
size_t vswitch_forward(vswitch *v, unsigned in_port, const uint8_t src[6], const uint8_t dst[6],
                       unsigned *out_ports, size_t max);

#endif
