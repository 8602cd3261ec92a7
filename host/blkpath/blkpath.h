/* The engine that carries block requests along a storage path's table (path.h).
 *
 * A request enters at stage 0 on its job's thread (blkpath_issue) and runs stage by
 * stage. Stages on the job's thread and in the host's interrupt handler run where they
 * are entered. A back end's stage (a VM's QEMU thread, blkback) and a guest's completion
 * handler reached by a notification are queues: a hand-off to a sleeping one notifies it
 * (host/notify.h: the sender's and the receiver's costs, the receiver's wake-up or
 * interrupt), one to a running or polling one does not (virtio's event index, Xen's
 * RING_PUSH_..._AND_CHECK_NOTIFY, a handler's loop); a queue's stage runs what is
 * queued in one activation (its per-run and per-wake costs once), then polls (a QEMU
 * iothread: its window adapts as QEMU's does, up to blkpath_env.poll_ps; its core busy)
 * and sleeps; a request pushed while it worked, for a time after it slept, is notified
 * then. DEV_SUBMIT hands the
 * request to an NVMe driver through the owner's submit function; the owner calls
 * blkpath_dev_done from the driver's completion, in its interrupt handler, and the
 * request goes on there. DONE gives it back to the owner (the job's completion).
 *
 * With the host's page cache (env.pcache, img.cache = writeback) the image step serves a
 * back end's read the cache holds, and every write, in the back end's thread: the call,
 * the page look-ups, the copy, then on like null-co's completion; a read's absent pages
 * (with their readahead) go to the drive as the request's own DEV_SUBMIT, and its
 * completion (IMG_DONE) makes them up to date and copies them out. A request that needs
 * pages another read brings, or a writer above the dirty limit, waits, then goes on
 * from its completion stage in thread context, as a woken worker would. The page
 * cache's own requests (the flusher's writeback on env.flush_core, background
 * readahead) are the engine's, of origin other than BLK_ORIGIN_JOB: they reach the
 * driver through the owner's submit function and end in the engine.
 *
 * Timing: every step books its cycles on its stage's core (host/cpu.h); exits are the
 * hypervisor's (host/hv.h); a queue's stage acts at its own kernel event. */
#ifndef HOST_BLKPATH_BLKPATH_H
#define HOST_BLKPATH_BLKPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "host/blkimg.h"
#include "host/blkpath/path.h"
#include "host/cpu.h"
#include "host/irqdeliver.h"
#include "host/pcache.h"
#include "sim/kernel.h"
#include "sim/stats.h"

typedef struct blkpath blkpath;

/* Who a request is for: a job (the owner's), or the host's page cache, whose requests
 * reach the drive through the same submit function and come back through
 * blkpath_dev_done, never to the owner's done. */
typedef enum blk_origin {
    BLK_ORIGIN_JOB = 0,
    BLK_ORIGIN_WRITEBACK, /* the flusher's write of dirty pages */
    BLK_ORIGIN_READAHEAD, /* a background readahead (page_cache_async_ra) */
} blk_origin;

/* A request as the engine carries it. */
typedef struct blk_req {
    uint64_t cookie;   /* the owner's */
    bool write;
    uint64_t slba;     /* in the VM's disk (native, a VM's own driver: its namespace) */
    uint32_t nlb;
    uint32_t bytes;
    uint64_t buf;      /* the data in the VM's (job's) memory */
    unsigned vm, job;
    uint64_t dev_slba; /* where it goes on the drive (IMG_MAP), as the driver addresses it */
    uint32_t dev_nlb;
    uint8_t stage;
    bool failed;       /* an error on the way (an image's bounds, a full queue, the drive's
                          status): the job has it as one */
    unsigned dev_core; /* the core whose driver queue took it */
    uint64_t dev_buf;  /* the drive's data in memory: buf, or the host's page cache */
    uint8_t origin;    /* blk_origin */
    uint8_t pc;        /* where it stands in the host's page cache (engine.c) */
    uint64_t pc_first; /* the image's pages it reads from or writes to the drive */
    uint32_t pc_pages;
    uint64_t ready_ps;
    /* How it was handed to the queue it waits in, and by whom (a notification it may
     * still need when the queue's stage sleeps before its time). */
    uint8_t notify;
    bool notified;
    uint16_t from_core;
    uint8_t from_who;
    bool from_urgent;
    struct blk_req *next;
} blk_req;

/* The owner's: submit r to the driver (the VM's own or the host's, per the path's
 * dev_owner) from t_ps on `core`, *done_ps the end of the driver's work there; false
 * when it cannot take it now (counted). */
typedef bool (*blkpath_submit_fn)(void *ctx, blk_req *r, unsigned core, uint64_t t_ps,
                                  uint64_t *done_ps);
/* The request is done for the application at t_ps (failed: refused on the way). */
typedef void (*blkpath_done_fn)(void *ctx, blk_req *r, uint64_t t_ps);

typedef struct blkpath_env {
    sim_kernel *kernel;
    sim_stats *stats;
    irq_env irq;              /* cores, hypervisor, halts, interrupt remapping */
    const blk_path *path;
    uint64_t cost[BLK_COSTS]; /* each named cost's value */
    bool persistent_grants;   /* xen.blk_persistent */
    blk_grant_costs grant; /* Xen's grant operations */
    uint64_t poll_ps;         /* the most a back end polls after its work (qemu.poll_ns:
                                 paravirt's iothread; 0 for the others) */
    const blk_img *img;       /* the back ends' image files (NULL: none) */
    pcache *pcache;           /* the host's page cache over them (NULL: O_DIRECT) */
    unsigned flush_core;      /* the host core the page cache's flusher runs on */
    unsigned vms, jobs;       /* jobs per VM */
    const unsigned *job_core; /* per job, vm x jobs + j */
    const unsigned *backend_core; /* per VM */
    blkpath_submit_fn submit;
    blkpath_done_fn done;
    void *ctx;
} blkpath_env;

/* Registers the blkpath.* statistics. */
blkpath *blkpath_create(const blkpath_env *env);
void blkpath_destroy(blkpath *b);

/* The job issues r (filled: cookie, write, slba, nlb, bytes, buf, vm, job) at t_ps on its
 * thread. */
void blkpath_issue(blkpath *b, blk_req *r, uint64_t t_ps);
/* The drive completed r; the driver's handler is at t_ps, on the core r was submitted
 * from (its queue's). */
void blkpath_dev_done(blkpath *b, blk_req *r, uint16_t status, uint64_t t_ps);

typedef struct blkpath_counters {
    uint64_t notifies, notifies_suppressed, irqs, batches, grant_maps, grant_unmaps,
        gnttab_flushes, copies, copy_bytes, submit_refused, dev_errors;
} blkpath_counters;
blkpath_counters blkpath_get_counters(const blkpath *b);

#endif
