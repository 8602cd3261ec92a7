/* The storage engine's part for the host's page cache (img.cache = writeback; blkpath.h,
 * host/pcache.h): the image step's hits and misses, the completion that fills and copies,
 * readers and writers that wait, and the cache's own requests to the drive (the
 * flusher's writeback, background readahead). */
#include <assert.h>
#include <stdlib.h>

#include "host/blkpath/engine_impl.h"
#include "sim/alloc.h"

/* blk-wbt's limits on writeback in flight (block/blk-wbt.c, calc_wb_limits of
 * RWB_DEF_DEPTH = 16): wb_background = 4, wb_normal = 8 once a writer waits. */
#define WB_BACKGROUND 4u
#define WB_NORMAL 8u
/* The flusher tries again this long after the driver's queue was full. */
#define WB_RETRY_PS (10 * SIM_PS_PER_US)

static void req_pages(const blk_req *r, uint64_t *first, uint32_t *pages)
{
    uint64_t off = r->slba * BLK_IMG_SECTOR_BYTES, end = off + r->bytes;
    *first = off / PCACHE_PAGE_BYTES;
    *pages = (uint32_t)((end + PCACHE_PAGE_BYTES - 1) / PCACHE_PAGE_BYTES - *first);
}

/* r goes to the drive for span s: the drive's blocks of those pages of its image, the
 * data in the cache's frames. */
static void span_to_dev(const blkpath *b, const pcache_span *s, blk_req *r)
{
    const uint32_t spp = PCACHE_PAGE_BYTES / BLK_IMG_SECTOR_BYTES;
    uint32_t nlb = 0;
    bool ok = blk_img_map(b->env.img, s->vm, s->first * spp, s->pages * spp, &r->dev_slba, &nlb);
    assert(ok && "a page-cache span is within its image (pcache clips it)");
    (void)ok;
    r->dev_nlb = nlb;
    r->dev_buf = s->addr;
    r->pc_first = s->first;
    r->pc_pages = s->pages;
}

static blk_req *host_req(blkpath *b, blk_origin o, const pcache_span *s)
{
    blk_req *r = b->host_free;
    if (r) {
        b->host_free = r->next;
    } else {
        r = sim_xcalloc(1, sizeof *r);
        b->host_all = sim_xreallocarray(b->host_all, b->nhost + 1, sizeof *b->host_all);
        b->host_all[b->nhost++] = r;
    }
    *r = (blk_req){.origin = (uint8_t)o, .write = o == BLK_ORIGIN_WRITEBACK, .vm = s->vm};
    span_to_dev(b, s, r);
    return r;
}

static void host_req_free(blkpath *b, blk_req *r)
{
    r->next = b->host_free;
    b->host_free = r;
}

/* A page-cache request submitted from x at *t, its block-layer submission and page
 * walk booked there first: false when the driver's queue could not take it. */
static bool host_submit(blkpath *b, blk_req *r, bctx x, uint64_t *t)
{
    const blkpath_env *e = &b->env;
    *t = run(b, x, *t, e->cost[BLK_COST_HOST_SUBMIT] + pcache_page_cycles(e->pcache) * r->pc_pages,
             CPU_HOST);
    r->dev_core = x.core;
    uint64_t after = *t;
    bool ok = e->submit(e->ctx, r, x.core, *t, &after);
    *t = after;
    if (!ok)
        b->c.submit_refused++;
    return ok;
}

/* A request that waited (for pages another read brings, or for writeback below the
 * dirty limit) goes on from its completion stage at t, in thread context on the core its
 * image step ran on: the I/O's worker, woken. */
static void pc_resume(blkpath *b, blk_req *r, uint64_t t)
{
    const blk_stage *d = &b->env.path->stages[r->stage];
    bctx x = {r->dev_core, (cpu_who)d->who, false};
    blkpath_exec(b, r, x, t, true, false);
}

/* Readers whose pages are all in now go on. */
static void wake_readers(blkpath *b, uint64_t t)
{
    blk_req *go = NULL, **tail = &go;
    for (blk_req **at = &b->read_wait; *at;) {
        blk_req *r = *at;
        uint64_t first;
        uint32_t pages;
        req_pages(r, &first, &pages);
        if (pcache_ready(b->env.pcache, r->vm, first, pages)) {
            *at = r->next;
            r->next = NULL;
            *tail = r;
            tail = &r->next;
        } else {
            at = &r->next;
        }
    }
    while (go) {
        blk_req *r = go;
        go = r->next;
        r->next = NULL;
        pc_resume(b, r, t);
    }
}

/* r waits, after the readers already waiting (a few: the requests in flight). */
static void wait_read(blkpath *b, blk_req *r)
{
    blk_req **at = &b->read_wait;
    while (*at)
        at = &(*at)->next;
    r->pc = PC_WAIT_READ;
    r->next = NULL;
    *at = r;
}

/* balance_dirty_pages' end: the writers waiting go on once dirty and writeback pages are
 * under the limit. */
static void release_writers(blkpath *b, uint64_t t)
{
    while (b->dirty_wait && !pcache_over_limit(b->env.pcache)) {
        blk_req *r = b->dirty_wait;
        b->dirty_wait = r->next;
        if (!b->dirty_wait)
            b->dirty_wait_tail = NULL;
        r->next = NULL;
        pc_resume(b, r, t);
    }
}

/* The flusher (wb_workfn's background writeback) on its core from t: runs of dirty pages
 * to the drive while dirty pages are above the background threshold or a writer waits,
 * within blk-wbt's limit. */
static void wb_kick(blkpath *b, uint64_t t)
{
    pcache *pc = b->env.pcache;
    unsigned limit = b->dirty_wait ? WB_NORMAL : WB_BACKGROUND;
    bctx x = {b->env.flush_core, CPU_HOST, false};
    while (b->wb_inflight < limit && (b->dirty_wait || pcache_over_background(pc))) {
        pcache_span s;
        if (!pcache_wb_next(pc, UINT32_MAX, &s))
            break;
        blk_req *r = host_req(b, BLK_ORIGIN_WRITEBACK, &s);
        if (!host_submit(b, r, x, &t)) {
            pcache_wb_done(pc, &s, false);
            host_req_free(b, r);
            sim_event_notify_at(b->wb_ev, t + WB_RETRY_PS);
            break;
        }
        b->wb_inflight++;
    }
}

static void on_wb_retry(void *ctx)
{
    blkpath *b = ctx;
    wb_kick(b, sim_now_ps(b->env.kernel));
}

/* A page-cache request's completion at t in the driver's interrupt handler: its pages
 * ended (end_page_writeback, or marked up to date), then whoever waited for them. */
void blkpath_cache_host_done(blkpath *b, blk_req *r, uint16_t status, uint64_t t)
{
    pcache *pc = b->env.pcache;
    pcache_span s = {r->vm, r->pc_first, r->pc_pages, r->dev_buf};
    bctx x = {r->dev_core, CPU_HOST, true};
    t = run(b, x, t, pcache_page_cycles(pc) * s.pages, CPU_HOST);
    if (status)
        b->c.dev_errors++; /* counted; the pages are taken as written or read */
    blk_origin o = (blk_origin)r->origin;
    host_req_free(b, r);
    if (o == BLK_ORIGIN_WRITEBACK) {
        pcache_wb_done(pc, &s, true);
        b->wb_inflight--;
        release_writers(b, t);
        wb_kick(b, t);
    } else {
        pcache_read_done(pc, &s);
        wake_readers(b, t);
    }
}

/* The image step with the host's page cache, in context x at *t: true when r goes on to
 * the drive (a read's absent pages and their readahead, as r's own request); false when
 * it is done here (a read the cache holds, a write: on as null-co's completion goes) or
 * waits. */
bool blkpath_cache_image(blkpath *b, blk_req *r, bctx x, uint64_t *t, const blk_step *s,
                         bool in_backend)
{
    const blkpath_env *e = &b->env;
    pcache *pc = e->pcache;
    const cpu *c = e->irq.cpu;
    uint64_t first;
    uint32_t pages;
    req_pages(r, &first, &pages);
    unsigned host_stage = blkpath_submit_stage(s);
    uint64_t walk = pcache_page_cycles(pc) * pages;
    r->dev_core = x.core;
    if (r->write) {
        /* generic_perform_write: the data copied into the pages, dirty; then
         * balance_dirty_pages. */
        *t = run(b, x, *t, pcache_call_cycles(pc) + walk + cpu_copy_cycles(c, r->bytes), CPU_HOST);
        pcache_write(pc, r->vm, first, pages);
        if (pcache_over_limit(pc)) {
            r->pc = PC_WAIT_DIRTY;
            r->stage = (uint8_t)host_stage;
            r->next = NULL;
            if (b->dirty_wait_tail)
                b->dirty_wait_tail->next = r;
            else
                b->dirty_wait = r;
            b->dirty_wait_tail = r;
        }
        wb_kick(b, *t);
        if (r->pc == PC_WAIT_DIRTY)
            return false;
        *t = blkpath_null_complete(b, r, x, *t, host_stage, in_backend);
        return false;
    }
    pcache_read_plan p;
    pcache_read(pc, r->vm, first, pages, &p);
    if (p.async.pages) {
        /* page_cache_async_ra: the next window, issued by the reader, not waited for. */
        blk_req *ra = host_req(b, BLK_ORIGIN_READAHEAD, &p.async);
        if (!host_submit(b, ra, x, t)) {
            pcache_read_done(pc, &p.async);
            host_req_free(b, ra);
        }
    }
    if (p.fill.pages) {
        *t = run(b, x, *t, walk, CPU_HOST);
        r->pc = PC_FILL;
        span_to_dev(b, &p.fill, r);
        return true;
    }
    *t = run(b, x, *t, pcache_call_cycles(pc) + walk, CPU_HOST);
    r->stage = (uint8_t)host_stage;
    if (!pcache_ready(pc, r->vm, first, pages)) {
        wait_read(b, r);
        return false;
    }
    /* filemap_read's copy_page_to_iter. */
    *t = run(b, x, *t, cpu_copy_cycles(c, r->bytes), CPU_HOST);
    *t = blkpath_null_complete(b, r, x, *t, host_stage, in_backend);
    return false;
}

/* IMG_DONE with the page cache, in context x at *t: a fill's pages are up to date (their
 * readers go on), then a read's pages are copied out by the woken reader once none is
 * still on its way. False: r waits for them. */
bool blkpath_cache_done(blkpath *b, blk_req *r, bctx x, uint64_t *t)
{
    pcache *pc = b->env.pcache;
    if (r->pc == PC_FILL) {
        pcache_span s = {r->vm, r->pc_first, r->pc_pages, r->dev_buf};
        *t = run(b, x, *t, pcache_page_cycles(pc) * s.pages, CPU_HOST);
        pcache_read_done(pc, &s);
        wake_readers(b, *t);
    }
    if (r->pc == PC_FILL || r->pc == PC_WAIT_READ) {
        uint64_t first;
        uint32_t pages;
        req_pages(r, &first, &pages);
        if (!pcache_ready(pc, r->vm, first, pages)) {
            wait_read(b, r);
            return false;
        }
        cpu *c = b->env.irq.cpu;
        *t = cpu_run(c, x.core, *t, cpu_copy_cycles(c, r->bytes), CPU_HOST);
    }
    r->pc = PC_NONE;
    return true;
}

void blkpath_cache_fill_refused(blkpath *b, blk_req *r, uint64_t t)
{
    /* Whoever waits for its pages reads them anew. */
    pcache_span s = {r->vm, r->pc_first, r->pc_pages, r->dev_buf};
    pcache_read_done(b->env.pcache, &s);
    wake_readers(b, t);
}

void blkpath_cache_init(blkpath *b)
{
    b->wb_ev = sim_event_create(b->env.kernel, "blkpath.flusher", on_wb_retry, b);
}

void blkpath_cache_free(blkpath *b)
{
    for (unsigned i = 0; i < b->nhost; i++)
        free(b->host_all[i]);
    free(b->host_all);
}
