/* What the engine's files share (engine.c: the queues, the steps, the entries; cache.c:
 * the host's page cache in the image step, its waits and its own requests). Not for
 * other folders. */
#ifndef HOST_BLKPATH_ENGINE_IMPL_H
#define HOST_BLKPATH_ENGINE_IMPL_H

#include "host/blkpath/blkpath.h"

typedef struct bqueue bqueue;

struct blkpath {
    blkpath_env env;
    bqueue *backend; /* per VM */
    bqueue *handler; /* per job */
    blkpath_counters c;
    /* The host's page cache (env.pcache): readers waiting for pages other reads bring,
     * writers waiting below the dirty limit (in order), the flusher's requests in
     * flight, its retry after a full queue, the page cache's own requests. */
    blk_req *read_wait, *dirty_wait, *dirty_wait_tail;
    unsigned wb_inflight;
    sim_event *wb_ev;
    blk_req *host_free, **host_all;
    unsigned nhost;
};

/* What a request waits for in the host's page cache (blk_req.pc). */
enum { PC_NONE = 0, PC_FILL, PC_WAIT_READ, PC_WAIT_DIRTY };

/* Where a step runs: its core, for whom, in interrupt context or not. */
typedef struct bctx {
    unsigned core;
    cpu_who who;
    bool urgent;
} bctx;

/* cycles on x's core from t, for who. */
static inline uint64_t run(const blkpath *b, bctx x, uint64_t t, uint64_t cycles, cpu_who who)
{
    return cycles ? cpu_run_as(b->env.irq.cpu, x.core, t, cycles, who, x.urgent) : t;
}

/* engine.c. r's steps at its stage from t in context x: returns when x's part is done. */
uint64_t blkpath_exec(blkpath *b, blk_req *r, bctx x, uint64_t t, bool first_in_run, bool woken);
/* r done at the image step, on from the stage the host's completion stage host_stage
 * hands to (null-co's completion): returns when the sender goes on. */
uint64_t blkpath_null_complete(blkpath *b, blk_req *r, bctx x, uint64_t t, unsigned host_stage,
                               bool in_backend);
/* The completion stage of the DEV_SUBMIT at or after step s. */
unsigned blkpath_submit_stage(const blk_step *s);

/* cache.c. The image step with the page cache in context x at *t (s: the step): true
 * when r goes on to the drive with the pages it lacks, false when it is done here or
 * waits. */
bool blkpath_cache_image(blkpath *b, blk_req *r, bctx x, uint64_t *t, const blk_step *s,
                         bool in_backend);
/* IMG_DONE with the page cache: false when r waits for pages still on their way. */
bool blkpath_cache_done(blkpath *b, blk_req *r, bctx x, uint64_t *t);
/* A page-cache request (origin other than the job's) completed at t. */
void blkpath_cache_host_done(blkpath *b, blk_req *r, uint16_t status, uint64_t t);
/* r's read of absent pages could not be submitted at t: its pages will not come. */
void blkpath_cache_fill_refused(blkpath *b, blk_req *r, uint64_t t);
void blkpath_cache_init(blkpath *b);
void blkpath_cache_free(blkpath *b);

#endif
