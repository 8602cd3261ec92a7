/* The host's page cache over the back ends' disk images (img.cache = writeback: QEMU's
 * cache=writeback, the image file opened without O_DIRECT).
 *
 * Semantics. The cache holds 4 KiB pages of each VM's image, keyed by (VM, page index in
 * its image), up to pagecache.bytes. A page is absent, pending (being read from the drive:
 * inserted when its read is issued, as Linux adds a locked folio to the mapping before the
 * bio goes), up to date, dirty (written, not yet back on the drive) and under writeback
 * (its write to the drive in flight; a page written again meanwhile is dirty and under
 * writeback at once, as Linux allows without stable pages).
 *
 * - Reads (filemap_read): pcache_read looks the request's pages up and plans the drive's
 *   part: one read covering the request's absent pages and the readahead window after
 *   them (mm/readahead.c, page_cache_sync_ra -> ondemand_readahead): a read that continues
 *   the image's previous one opens a window of a few times the request (get_init_ra_size)
 *   that grows 4x and 2x a step (get_next_ra_size) up to pagecache.read_ahead_kb; a random
 *   read reads only its own pages. A request that reaches the window's marked page
 *   (PG_readahead) starts the next window in the background (page_cache_async_ra); a
 *   request as large as the window has the mark half way in it (readit), so a large
 *   sequential reader keeps a window ahead. Pages
 *   in the span that are there already are read again: one request per span, where Linux
 *   would split it around them. Left out: the mmap and fadvise hints, the context
 *   readahead of interleaved streams (one stream per image is followed), large folios.
 * - Writes (generic_perform_write): the pages are written in the cache and dirty, up to
 *   date whether or not they were there (a partial page's read before its write is left
 *   out). pcache_over_background and pcache_over_limit say where the dirty and writeback
 *   pages stand against vm.dirty_background_ratio and vm.dirty_ratio of the cache's memory
 *   (mm/page-writeback.c: dirty_background_ratio = 10, vm_dirty_ratio = 20; or their
 *   _bytes forms). The caller throttles the writer above the limit, Linux's
 *   balance_dirty_pages reduced to a wait until writeback brings the pages under it (its
 *   proportional pauses between the two thresholds since Linux 3.2 are left out), and
 *   runs the flusher above the background threshold.
 * - Writeback (pcache_wb_next): the oldest dirty page, with the dirty pages next to it in
 *   its image, up to the largest request, as Linux's write_cache_pages gathers a
 *   contiguous run into one bio. The periodic writeback of pages older than
 *   dirty_expire_centisecs (30 s) is left out: runs are shorter.
 * - Replacement: one LRU list over all pages, a page moved to its head when it is read or
 *   written; the clean, up-to-date page at its tail goes when a page must come in.
 *   Linux's two lists (mm/vmscan.c's active and inactive lists, mm/workingset.c's refault
 *   distance) protect a working set from a single scan; one list is the approximation.
 *   Pending, dirty and writeback pages are not taken (vmscan skips them), and go to the
 *   head when the search passes them.
 *
 * Timing. The cache is state and policy: it books no time. Its users charge
 * pagecache.call_cycles per cached read or write (the system call into the file's
 * read_iter or write_iter), pagecache.page_cycles per page looked up, written or
 * written back, and the copy between the cache and the caller's buffer at the cores'
 * copy rate (host/cpu.h, cpu_copy_cycles); the drive's reads and writes go through the
 * host's NVMe driver as the back ends' other I/O does (host/blkpath/cache.c).
 *
 * The pages' frames are host memory from pcache_env.mem_base on, one 4 KiB frame per
 * page slot; a request's data is addressed at its first page's frame (the DMA model takes
 * a contiguous buffer). */
#ifndef HOST_PCACHE_H
#define HOST_PCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/err.h"
#include "sim/params.h"
#include "sim/stats.h"

#define PCACHE_PAGE_BYTES 4096u

typedef struct pcache pcache;

void pcache_register_params(sim_params *p);

/* What a configuration asks of the cache: vms images of img_bytes, requests of up to
 * max_io_bytes on the drive, `inflight` requests of io_bytes at once from the VMs. */
typedef struct pcache_env {
    unsigned vms;
    uint64_t img_bytes;
    uint32_t max_io_bytes; /* the drive's largest transfer: a readahead or writeback's */
    uint32_t io_bytes;     /* the VMs' requests' size */
    uint64_t inflight;     /* the VMs' requests in flight at most */
    uint64_t mem_base;     /* the frames' host-physical address */
} pcache_env;

/* Refuses a cache that the pages it cannot let go would fill (dirty up to the limit,
 * the requests in flight, a readahead window per image) or whose initial content does
 * not fit, naming the parameters. */
int pcache_check(const sim_params *p, const pcache_env *env, sim_err *e);
/* Filled with pagecache.resident_pct of each image (clean, its first pages, as if read
 * before the run). Registers its statistics (pagecache.*) when stats is not NULL. */
pcache *pcache_create(const sim_params *p, const pcache_env *env, sim_stats *stats);
void pcache_destroy(pcache *pc);

uint64_t pcache_call_cycles(const pcache *pc);
uint64_t pcache_page_cycles(const pcache *pc);

/* A span of an image's pages, and where the drive's data for it goes in host memory. */
typedef struct pcache_span {
    unsigned vm;
    uint64_t first;
    uint32_t pages;
    uint64_t addr;
} pcache_span;

/* What a read of pages [first, first + pages) of VM vm's image found and what the drive
 * must do for it. */
typedef struct pcache_read_plan {
    uint32_t hits;    /* pages up to date */
    uint32_t pending; /* pages another read is bringing (the request waits for them) */
    uint32_t missing; /* pages absent */
    pcache_span fill; /* this request's read from the drive (pages 0: none) */
    pcache_span async; /* a background readahead to issue (pages 0: none) */
} pcache_read_plan;
void pcache_read(pcache *pc, unsigned vm, uint64_t first, uint32_t pages, pcache_read_plan *out);
/* A read from the drive (a fill or a readahead) is done: its pending pages are up to
 * date. */
void pcache_read_done(pcache *pc, const pcache_span *s);
/* Whether none of the pages is pending (a reader waiting for them may go on). */
bool pcache_ready(const pcache *pc, unsigned vm, uint64_t first, uint32_t pages);

/* A write of pages [first, first + pages): in the cache, dirty. */
void pcache_write(pcache *pc, unsigned vm, uint64_t first, uint32_t pages);
/* Dirty and writeback bytes against the background threshold and the limit. */
bool pcache_over_background(const pcache *pc);
bool pcache_over_limit(const pcache *pc);
uint64_t pcache_dirty_bytes(const pcache *pc);
/* The next run of dirty pages to write back, at most max_pages and the drive's largest
 * request: false when none is dirty. Its pages are clean and under writeback from now on. */
bool pcache_wb_next(pcache *pc, uint32_t max_pages, pcache_span *out);
/* Its write is done (written: false when it could not be issued: the pages are dirty
 * again). */
void pcache_wb_done(pcache *pc, const pcache_span *s, bool written);

typedef struct pcache_counters {
    uint64_t hits, pending_hits, misses, readahead_pages, fills, fill_pages, write_pages,
        evictions, wb_requests, wb_bytes, insert_failed, dirty_max_bytes;
} pcache_counters;
pcache_counters pcache_get_counters(const pcache *pc);

#endif
