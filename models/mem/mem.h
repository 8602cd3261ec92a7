/* Host memory as a device sees it through the root complex: a last-level cache with
 * Intel DDIO behaviour in front of DRAM channels. Timing only: each access returns
 * when its data is ready (read) or accepted (write).
 *
 * - The LLC is set-associative with LRU replacement, tags only, 64-byte lines. A
 *   device read that hits is served at mem.llc_latency_ns; a miss goes to DRAM and
 *   does not allocate (DDIO reads leave the cache alone). A device write allocates in
 *   at most mem.ddio_ways ways of its set (write-allocate limited to the I/O ways), so
 *   a large receive buffer cannot flush the whole cache. Device-written lines are
 *   dirty: evicting one writes it back, occupying a DRAM channel (the "leaky DMA"
 *   traffic of Tootoonchian et al., NSDI 2018).
 * - DRAM has mem.channels channels interleaved by line; each channel is a reservation
 *   (sim_resv) with mem.channel_gbps of bandwidth; a read miss then adds
 *   mem.read_latency_ns.
 * - mem_touch() models the CPU having used a buffer: its lines are in the LLC (warm).
 */
#ifndef MODELS_MEM_MEM_H
#define MODELS_MEM_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/err.h"
#include "sim/params.h"
#include "sim/stats.h"

#define MEM_LINE_BYTES 64u

typedef struct mem mem;

void mem_register_params(sim_params *p);
int mem_check(const sim_params *p, sim_err *e);
mem *mem_create(const sim_params *p, sim_stats *stats);
void mem_destroy(mem *m);

/* A device read of [addr, addr+bytes) arriving at now_ps: the time all of it is ready. */
uint64_t mem_read(mem *m, uint64_t now_ps, uint64_t addr, uint64_t bytes);
/* A device write: the time it is accepted (the cache or DRAM has it). */
uint64_t mem_write(mem *m, uint64_t now_ps, uint64_t addr, uint64_t bytes);
/* CPU use of a buffer: brings its lines into the LLC, no timing. */
void mem_touch(mem *m, uint64_t addr, uint64_t bytes);
/* Drop every line from the LLC (a cold start). */
void mem_flush(mem *m);

#endif
