/* The media of an NVMe SSD behind its controller: NAND flash dies on channels, a
 * power-loss-protected write buffer, and the garbage collection of a full drive; or,
 * with other values, a storage-class-memory drive (3D XPoint) that writes in place.
 * Timing only, loosely timed: every die and every channel is a reservation (sim_resv)
 * booked ahead of the clock, each call returns the time its work is done, and the
 * media schedules no kernel events. Deterministic; nothing is allocated per request.
 *
 * - Geometry: flash.channels x flash.dies_per_channel dies of flash.die_bytes each, of
 *   flash.planes planes with flash.page_bytes pages, flash.pages_per_block pages to an
 *   erase block. The raw capacity over flash.capacity_bytes (the user's) is the
 *   over-provisioning.
 * - Placement for reads: the logical space is striped statically in map units
 *   (flash.map_unit_bytes) over the channels first, then over the dies of a channel:
 *   unit u is on die u mod dies, whose channel is (u mod dies) mod channels. This is
 *   where a drive preconditioned by one sequential fill keeps its data; what random
 *   writes move later is not tracked (reads always find data where the fill put it).
 * - Read: flash.read_fw_us of controller work (FTL look-up, ECC decode), then per map
 *   unit touched the die is busy for flash.read_us (tR, array to page register) and its
 *   channel then carries the bytes asked for (not the whole page) at
 *   flash.channel_gbps. A read waits behind whatever its die or channel has booked,
 *   programs included: program suspension is not modelled, so a read behind a program
 *   waits for the program's end (a suspend-capable drive would do better).
 * - Write, buffered (flash.write_buffer_bytes > 0): the write is accepted into the
 *   buffer and completes flash.write_fw_us after it found room. Buffered bytes are
 *   programmed in units of page_bytes x planes, to the dies in round-robin order
 *   whatever their logical address (a log-structured FTL): a unit's program is its
 *   transfer on the die's channel, then flash.program_us on the die (tPROG), and the
 *   unit's room in the buffer frees when its program ends. A write that finds too little
 *   room waits until enough programs have ended.
 * - Write, unbuffered (flash.write_buffer_bytes = 0, a storage-class-memory drive that
 *   writes in place): each map unit of the write goes to its own die by the read
 *   placement, a transfer then flash.program_us; the write completes when its last
 *   program ends.
 * - Garbage collection (flash.steady_state = true): a full drive under uniform random
 *   writes with greedy victim selection has write amplification
 *       WA = a / (a + W0(-a e^-a)),  a = raw / capacity  (1 + over-provisioning)
 *   (W0: Lambert's W; Xiang and Kurkoski, "An improved analytic expression for write
 *   amplification in NAND flash", arXiv:1110.4245, 2011; the same
 *   expression as Desnoyers' for LRW, SYSTOR 2012, which greedy approaches for large
 *   blocks). Every unit a random write programs costs its die WA - 1 unit copies
 *   (read + program on the die) and WA / pages_per_block erases (flash.erase_us). A
 *   write that continues the previous write's end is sequential: its blocks are
 *   invalidated whole, so it costs only the erase of the blocks it fills (WA 1). A
 *   fresh drive (steady_state = false) has erased blocks to spare: no GC, no erases.
 * - Flush: with flash.power_loss_protected the buffer survives power loss, so a flush
 *   completes at once; otherwise it programs the partly filled unit (padded) and
 *   completes when every buffered byte is programmed.
 *
 * Calls should come roughly in time order: room freed before a call's time is
 * forgotten, so a later call with an earlier time finds it already free. */
#ifndef MODELS_FLASH_FLASH_H
#define MODELS_FLASH_FLASH_H

#include <stdint.h>

#include "sim/err.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef struct flash flash;

void flash_register_params(sim_params *p);
/* Cross-parameter rules (page and map unit powers of two, a buffer of at least one
 * program unit, a capacity within the raw one); messages name the parameters. */
int flash_check(const sim_params *p, sim_err *e);
/* Registers the flash.* statistics. */
flash *flash_create(const sim_params *p, sim_stats *st);
void flash_destroy(flash *f);

uint64_t flash_capacity_bytes(const flash *f);
/* The user capacity as the parameters set it, before a medium exists (a controller's
 * namespaces are slices of it). */
uint64_t flash_capacity_of(const sim_params *p);
/* The write amplification the garbage collection of random writes costs (1 when fresh). */
double flash_write_amplification(const flash *f);

/* A read of [offset, offset + len) reaching the media at t_ps: the time its last byte
 * is in the controller's buffer (ready to DMA to the host). */
uint64_t flash_read(flash *f, uint64_t t_ps, uint64_t offset_bytes, uint32_t len_bytes);
/* A write whose data is in the controller at t_ps: the time the controller may
 * complete it (accepted into the buffer; when the buffer is full, when the programs
 * that free room for it end; with no buffer, when its own programs end). */
uint64_t flash_write(flash *f, uint64_t t_ps, uint64_t offset_bytes, uint32_t len_bytes);
/* An NVMe Flush reaching the media at t_ps: the time every buffered byte is programmed
 * (t_ps itself with flash.power_loss_protected). */
uint64_t flash_flush(flash *f, uint64_t t_ps);

/* Die busy time inside the statistics window, all dies added (a media utilisation is
 * busy / (dies x window)), and the die count. */
uint64_t flash_die_busy_ps(const flash *f);
unsigned flash_dies(const flash *f);

#endif
