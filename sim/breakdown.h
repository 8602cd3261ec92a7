/* Where packets' latency goes: for each packet with an id, the parts of its life from
 * birth to completion, by category, summed over the packets that complete in the
 * measurement window.
 *
 * Semantics: components report intervals of a packet's life ([start, end) in simulated
 * ps, a category) in the order they happen to it; a cursor per packet, starting at its
 * birth, takes each interval from where the last one ended (what an interval overlaps
 * is not counted twice) and gives the gap before it to the last category, "waiting"
 * (queues, notifications, interrupt moderation, wake-ups). At completion the rest up
 * to then is waiting too, so a packet's parts add up to its latency exactly. Packets
 * in flight are kept in a table of SIM_BREAKDOWN_SLOTS by id; a packet whose slot a
 * later one took is not counted (counted as lost instead).
 *
 * Statistics (prefix given): PREFIX.packets, PREFIX.lost, PREFIX.<category>_ps (sums);
 * metrics latency_ns_<category>_mean (over the packets completed in the window) and
 * latency_share_<category> (of their summed latency). */
#ifndef SIM_BREAKDOWN_H
#define SIM_BREAKDOWN_H

#include <stdint.h>

#include "sim/stats.h"

#define SIM_BREAKDOWN_SLOTS 65536u
#define SIM_BREAKDOWN_MAX_CATS 12u

typedef struct sim_breakdown sim_breakdown;

/* Categories `cats` (n <= SIM_BREAKDOWN_MAX_CATS, the last is the waiting), each with
 * its description for the metric reference; statistics under `prefix`. */
sim_breakdown *sim_breakdown_create(sim_stats *s, const char *prefix, const char *const *cats,
                                    const char *const *descs, unsigned n);
void sim_breakdown_destroy(sim_breakdown *b);

/* Packet id (nonzero, unique while in flight) is born at born_ps. */
void sim_breakdown_begin(sim_breakdown *b, uint32_t id, uint64_t born_ps);
/* An interval of packet id's life in category cat. */
void sim_breakdown_add(sim_breakdown *b, uint32_t id, unsigned cat, uint64_t start_ps,
                       uint64_t end_ps);
/* Packet id completes at t_ps (its latency is t_ps - born_ps). */
void sim_breakdown_end(sim_breakdown *b, uint32_t id, uint64_t t_ps);

/* The packet a device is moving now (0: none), for the components that serve the
 * device without knowing packets (a link, a root complex): set around a DMA by the
 * device, read by them (sim_breakdown_add_current). */
void sim_breakdown_set_current(sim_breakdown *b, uint32_t id);
uint32_t sim_breakdown_current(const sim_breakdown *b);
/* sim_breakdown_add for the current packet, if any. */
void sim_breakdown_add_current(sim_breakdown *b, unsigned cat, uint64_t start_ps, uint64_t end_ps);

#endif
