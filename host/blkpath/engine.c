/* The one interpreter of the storage paths' tables (blkpath.h). */
#include "host/blkpath/blkpath.h"

#include <assert.h>
#include <stdlib.h>

#include "host/hv.h"
#include "host/notify.h"
#include "sim/alloc.h"

#define PAGE_BYTES 4096u

/* A stage that queues: a VM's back-end thread (every BACKEND stage of the path runs on
 * it), or a job's interrupt handler reached by a notification. */
typedef struct bqueue {
    struct blkpath *b;
    unsigned core;
    cpu_who who;
    bool urgent; /* an interrupt handler */
    bool thread; /* a thread: woken after an upcall */
    bool polls;  /* a QEMU iothread: it polls before it sleeps */
    blk_req *head, *tail;
    sim_event *ev;
    bool running;           /* in its activation */
    bool woken;             /* the coming activation was started by a notification */
    uint64_t busy_until_ps; /* its last activation's end */
    uint64_t poll_ps;       /* its polling window now (QEMU's ctx->poll_ns) */
} bqueue;

_Static_assert((int)BLK_NOTIFY_NONE == (int)HOST_NOTIFY_NONE &&
                   (int)BLK_NOTIFY_IOEVENTFD == (int)HOST_NOTIFY_IOEVENTFD &&
                   (int)BLK_NOTIFY_WAKE == (int)HOST_NOTIFY_WAKE &&
                   (int)BLK_NOTIFY_IRQFD == (int)HOST_NOTIFY_IRQFD &&
                   (int)BLK_NOTIFY_EVTCHN == (int)HOST_NOTIFY_EVTCHN,
               "a storage path's notification is host/notify.h's mechanism");

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

static uint64_t run(const blkpath *b, bctx x, uint64_t t, uint64_t cycles, cpu_who who)
{
    return cycles ? cpu_run_as(b->env.irq.cpu, x.core, t, cycles, who, x.urgent) : t;
}

static uint64_t exit_vm(const blkpath *b, bctx x, uint64_t t, hv_exit_reason r)
{
    return x.urgent ? hv_exit_urgent(b->env.irq.hv, x.core, t, r)
                    : hv_exit(b->env.irq.hv, x.core, t, r);
}

/* r's steps at its stage from t in context x: returns when x's part is done. */
static uint64_t exec(blkpath *b, blk_req *r, bctx x, uint64_t t, bool first_in_run, bool woken);

/* ---------------------------------------------------------------- queues */

static void q_sched(bqueue *q, uint64_t t)
{
    uint64_t now = sim_now_ps(q->b->env.kernel);
    if (t < now)
        t = now;
    if (!sim_event_pending(q->ev) || sim_event_when_ps(q->ev) > t)
        sim_event_notify_at(q->ev, t);
}

/* The stage polls from its last activation's end until `until`: its core is busy, unless
 * other work took the core meanwhile (which would have preempted the polling thread: the
 * spin is not booked behind it). */
static void q_spin(blkpath *b, bqueue *q, uint64_t until)
{
    cpu *c = b->env.irq.cpu;
    if (until > q->busy_until_ps && cpu_busy_until_ps(c, q->core) <= q->busy_until_ps)
        cpu_spin(c, q->core, q->busy_until_ps, until - q->busy_until_ps, q->who);
}

/* QEMU's adjust_polling_time (util/aio-posix.c) after the thread waited block_ps for
 * work: a wait the window covered changes nothing; one beyond the maximum stops polling
 * (poll-shrink 0); a shorter one grows the window, from 4 us, doubling (poll-grow 0), up
 * to the maximum. */
static void q_adjust_poll(const blkpath *b, bqueue *q, uint64_t block_ps)
{
    uint64_t max = b->env.poll_ps;
    if (!q->polls || block_ps <= q->poll_ps)
        return;
    if (block_ps > max)
        q->poll_ps = 0;
    else if (q->poll_ps < max)
        q->poll_ps = q->poll_ps ? (2 * q->poll_ps < max ? 2 * q->poll_ps : max)
                                : (4 * SIM_PS_PER_US < max ? 4 * SIM_PS_PER_US : max);
}

/* The stage is asleep at t: notify it by r's mechanism from r's sender. Returns when
 * the sender goes on. */
static uint64_t q_wake(blkpath *b, bqueue *q, blk_req *r, uint64_t t)
{
    notify_end from = {r->from_core, (cpu_who)r->from_who, r->from_urgent, false};
    notify_end to = {q->core, q->who, q->urgent, q->thread};
    notify_result n = host_notify_send(&b->env.irq, (host_notify)r->notify, from, to, t, 0);
    b->c.notifies++;
    b->c.irqs += n.irq;
    r->ready_ps = n.receiver_ps;
    r->notified = true;
    q->woken = true;
    q_adjust_poll(b, q, t - q->busy_until_ps);
    return n.sender_ps;
}

/* r joins q's queue in time order (requests mostly come in it: the search starts at
 * the tail). */
static void q_insert(bqueue *q, blk_req *r)
{
    blk_req **at = &q->head;
    if (q->tail && q->tail->ready_ps <= r->ready_ps)
        at = &q->tail->next;
    else
        while (*at && (*at)->ready_ps <= r->ready_ps)
            at = &(*at)->next;
    r->next = *at;
    *at = r;
    if (!r->next)
        q->tail = r;
}

/* r reaches queue q at t from x, by `how`. Returns when the sender goes on. A stage at
 * work then (in its activation, its last one not over, or a request due by then: a
 * notification already on its way) takes r without notification; one polling then
 * takes it at once; else r's notification wakes it. A request pushed while the stage
 * works, for a time after its work ends, is notified by the activation (on_queue). */
static uint64_t push(blkpath *b, bqueue *q, blk_req *r, bctx x, uint64_t t, blk_notify how)
{
    bool active = q->running || t <= q->busy_until_ps || (q->head && q->head->ready_ps <= t);
    bool polling = !active && t <= q->busy_until_ps + q->poll_ps;
    r->ready_ps = t;
    r->notify = (uint8_t)how;
    r->notified = false;
    r->from_core = (uint16_t)x.core;
    r->from_who = (uint8_t)x.who;
    r->from_urgent = x.urgent;
    uint64_t sender = t;
    if (how == BLK_NOTIFY_NONE) {
        r->notified = true; /* the same thread goes on */
    } else if (active || polling) {
        b->c.notifies_suppressed++;
    } else {
        sender = q_wake(b, q, r, t);
    }
    q_insert(q, r);
    q_sched(q, q->head->ready_ps);
    return sender;
}

/* An activation: what is queued and ready, in order; each stage's per-run costs once.
 * When it ends before the next request's time, the thread polls (its window) or sleeps:
 * a request that finds it asleep is notified then, as its sender would have. */
static void on_queue(void *ctx)
{
    bqueue *q = ctx;
    blkpath *b = q->b;
    uint64_t now = sim_now_ps(b->env.kernel);
    if (!q->head || q->head->ready_ps > now) {
        if (q->head)
            q_sched(q, q->head->ready_ps);
        return;
    }
    bool woken = q->woken;
    q->woken = false;
    /* A request that came while the last activation's work still ran is taken by the
     * same loop (it checks its queue again before it sleeps): no new run, no per-run
     * cost. One its polling caught: the poll ran till then. */
    bool continuing = q->head->ready_ps <= q->busy_until_ps && !woken;
    if (!continuing && !woken)
        q_spin(b, q, q->head->ready_ps); /* within its window (push checked) */
    else if (woken && q->poll_ps)
        q_spin(b, q, q->busy_until_ps + q->poll_ps); /* a whole window before it slept */
    q->running = true;
    uint32_t ran = continuing ? ~0u : 0; /* stages whose per-run costs are paid */
    b->c.batches += !continuing;
    uint64_t t = now > q->busy_until_ps ? now : q->busy_until_ps;
    while (q->head && q->head->ready_ps <= t) {
        blk_req *r = q->head;
        q->head = r->next;
        if (!q->head)
            q->tail = NULL;
        bool first = !(ran & (1u << r->stage));
        ran |= 1u << r->stage;
        bctx x = {q->core, q->who, q->urgent};
        t = exec(b, r, x, t > r->ready_ps ? t : r->ready_ps, first, woken);
        woken = false;
    }
    q->running = false;
    q->busy_until_ps = t;
    blk_req *next = q->head;
    if (next && !next->notified && next->ready_ps > t + q->poll_ps) {
        /* It sleeps before the request comes: the request's notification wakes it. */
        q->head = next->next;
        if (!q->head)
            q->tail = NULL;
        q_wake(b, q, next, next->ready_ps);
        q_insert(q, next);
    }
    if (q->head)
        q_sched(q, q->head->ready_ps);
}

/* ---------------------------------------------------------------- steps */

static uint64_t handoff(blkpath *b, blk_req *r, unsigned to, blk_notify how, bctx x, uint64_t t)
{
    const blk_stage *d = &b->env.path->stages[to];
    r->stage = (uint8_t)to;
    switch ((blk_place)d->place) {
    case BLK_PLACE_BACKEND: return push(b, &b->backend[r->vm], r, x, t, how);
    case BLK_PLACE_JOB_IRQ: return push(b, &b->handler[r->job], r, x, t, how);
    case BLK_PLACE_JOB: {
        /* The same thread goes on (a trapped access's handler in QEMU on the vCPU). */
        bctx y = {b->env.job_core[r->job], (cpu_who)d->who, x.urgent};
        return exec(b, r, y, t, true, false);
    }
    case BLK_PLACE_HOST_IRQ: break;
    }
    assert(!"a host interrupt handler is entered by its driver's completion only");
    return t;
}

/* QEMU's null-co: the request completes at once, by a bottom half in the back end's
 * event loop; it goes on from the stage the host's completion would have handed it to.
 * Submitted from the back end's own thread (an iothread) the loop runs it next; from
 * elsewhere (a trapped access on the vCPU's thread) aio_notify wakes the loop. */
static uint64_t null_complete(blkpath *b, blk_req *r, bctx x, uint64_t t, unsigned host_stage,
                              bool in_backend)
{
    const blk_stage *h = &b->env.path->stages[host_stage];
    for (const blk_step *s = h->steps; s->op != BLK_OP_END; s++)
        if (s->op == BLK_OP_TO_STAGE)
            return handoff(b, r, s->arg, in_backend ? BLK_NOTIFY_NONE : BLK_NOTIFY_WAKE, x, t);
    return t;
}

/* The DEV_SUBMIT after step s (its completion stage), for IMG_MAP's null image. */
static unsigned submit_stage(const blk_step *s)
{
    for (; s->op != BLK_OP_END; s++)
        if (s->op == BLK_OP_DEV_SUBMIT)
            return s->arg;
    return 0;
}

/* ---------------------------------------------------------------- the host's page cache */

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
    exec(b, r, x, t, true, false);
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

static void wait_read(blkpath *b, blk_req *r)
{
    r->pc = PC_WAIT_READ;
    r->next = b->read_wait;
    b->read_wait = r;
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
static void host_done(blkpath *b, blk_req *r, uint16_t status, uint64_t t)
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
static bool img_cached(blkpath *b, blk_req *r, bctx x, uint64_t *t, const blk_step *s,
                       bool in_backend)
{
    const blkpath_env *e = &b->env;
    pcache *pc = e->pcache;
    const cpu *c = e->irq.cpu;
    uint64_t first;
    uint32_t pages;
    req_pages(r, &first, &pages);
    unsigned host_stage = submit_stage(s);
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
        *t = null_complete(b, r, x, *t, host_stage, in_backend);
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
    *t = null_complete(b, r, x, *t, host_stage, in_backend);
    return false;
}

/* IMG_DONE with the page cache, in context x at *t: a fill's pages are up to date (their
 * readers go on), then a read's pages are copied out by the woken reader once none is
 * still on its way. False: r waits for them. */
static bool img_done(blkpath *b, blk_req *r, bctx x, uint64_t *t)
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

static uint64_t exec(blkpath *b, blk_req *r, bctx x, uint64_t t, bool first_in_run, bool woken)
{
    const blkpath_env *e = &b->env;
    const blk_stage *d = &e->path->stages[r->stage];
    cpu_who who = (cpu_who)d->who;
    for (const blk_step *s = d->steps; s->op != BLK_OP_END; s++) {
        if ((s->when == BLK_PER_RUN && !first_in_run) || (s->when == BLK_PER_WAKE && !woken))
            continue;
        uint32_t pages = (r->bytes + PAGE_BYTES - 1) / PAGE_BYTES;
        switch ((blk_op)s->op) {
        case BLK_OP_RUN: t = run(b, x, t, e->cost[s->arg], who); break;
        case BLK_OP_EXIT: {
            uint64_t n = s->n ? e->cost[s->n] : 1;
            for (uint64_t i = 0; i < n; i++)
                t = exit_vm(b, x, t, (hv_exit_reason)s->arg);
            break;
        }
        case BLK_OP_TO_STAGE: return handoff(b, r, s->arg, (blk_notify)s->notify, x, t);
        case BLK_OP_DONE: e->done(e->ctx, r, t); return t;
        case BLK_OP_IMG_MAP: {
            uint32_t nlb;
            if (e->img && blk_img_null(e->img))
                return null_complete(b, r, x, t, submit_stage(s), d->place == BLK_PLACE_BACKEND);
            if (!e->img || !blk_img_map(e->img, r->vm, r->slba, r->nlb, &r->dev_slba, &nlb)) {
                b->c.dev_errors++;
                r->failed = true;
                e->done(e->ctx, r, t);
                return t;
            }
            r->dev_nlb = nlb;
            r->dev_buf = r->buf;
            if (e->pcache && !img_cached(b, r, x, &t, s, d->place == BLK_PLACE_BACKEND))
                return t;
            break;
        }
        case BLK_OP_IMG_DONE:
            if (e->pcache && !img_done(b, r, x, &t))
                return t;
            break;
        case BLK_OP_DEV_SUBMIT: {
            r->stage = s->arg;
            r->dev_core = x.core;
            uint64_t after = t;
            if (!e->submit(e->ctx, r, x.core, t, &after)) {
                b->c.submit_refused++;
                r->failed = true;
                if (r->pc == PC_FILL) {
                    /* Its pages will not come: whoever waits for them reads them anew. */
                    pcache_span sp = {r->vm, r->pc_first, r->pc_pages, r->dev_buf};
                    pcache_read_done(e->pcache, &sp);
                    wake_readers(b, t);
                }
                e->done(e->ctx, r, t);
            }
            return after;
        }
        case BLK_OP_GRANT_MAP:
            if (e->persistent_grants)
                break;
            /* One map hypercall for the request's pages (xen_blkbk_map -> gnttab_map_refs). */
            t = exit_vm(b, x, t, HV_EXIT_HYPERCALL);
            t = run(b, x, t, e->gmap_op_cycles * pages, CPU_HYPERVISOR);
            b->c.grant_maps += pages;
            break;
        case BLK_OP_GRANT_UNMAP:
            if (e->persistent_grants)
                break;
            /* One unmap hypercall: the unmaps and a TLB flush (gnttab_unmap_refs). */
            t = exit_vm(b, x, t, HV_EXIT_HYPERCALL);
            t = run(b, x, t, e->gunmap_op_cycles * pages + e->gnttab_flush_cycles, CPU_HYPERVISOR);
            b->c.grant_unmaps += pages;
            b->c.gnttab_flushes++;
            break;
        case BLK_OP_PGRANT_COPY:
            if (!e->persistent_grants || (s->arg == 1) != r->write)
                break;
            t = run(b, x, t, cpu_copy_cycles(e->irq.cpu, r->bytes), who);
            b->c.copies++;
            b->c.copy_bytes += r->bytes;
            break;
        case BLK_OP_END: return t;
        }
    }
    return t;
}

/* ---------------------------------------------------------------- entries */

void blkpath_issue(blkpath *b, blk_req *r, uint64_t t_ps)
{
    r->stage = 0;
    bctx x = {b->env.job_core[r->job], (cpu_who)b->env.path->stages[0].who, false};
    exec(b, r, x, t_ps, true, false);
}

void blkpath_dev_done(blkpath *b, blk_req *r, uint16_t status, uint64_t t_ps)
{
    if (r->origin != BLK_ORIGIN_JOB) {
        host_done(b, r, status, t_ps);
        return;
    }
    const blk_stage *d = &b->env.path->stages[r->stage];
    if (status) {
        b->c.dev_errors++;
        r->failed = true; /* it goes on to its completion, an error to the job */
    }
    /* In the handler of the driver's queue: the core it submitted from (a job's, or the
     * back end's: the host has a queue per CPU). */
    unsigned core = r->dev_core;
    bctx x = {core, (cpu_who)d->who, true};
    exec(b, r, x, t_ps, true, false);
}

blkpath_counters blkpath_get_counters(const blkpath *b) { return b->c; }

static void q_init(blkpath *b, bqueue *q, unsigned core, cpu_who who, bool urgent, bool thread,
                   const char *name)
{
    *q = (bqueue){.b = b,
                  .core = core,
                  .who = who,
                  .urgent = urgent,
                  .thread = thread,
                  .polls = thread && b->env.poll_ps};
    q->ev = sim_event_create(b->env.kernel, name, on_queue, q);
}

static void register_stats(blkpath *b, sim_stats *st)
{
#define C(field, desc) sim_stats_counter(st, "blkpath." #field, &b->c.field, desc)
    C(notifies, "hand-offs that notified a sleeping stage (a kick, a wake-up, an interrupt)");
    C(notifies_suppressed, "hand-offs to a running or polling stage, without notification");
    C(irqs, "virtual interrupts and upcalls the hand-offs delivered");
    C(batches, "activations of back-end threads and of handlers reached by a notification");
    C(grant_maps, "Xen grant map operations (pages)");
    C(grant_unmaps, "Xen grant unmap operations (pages)");
    C(gnttab_flushes, "TLB flushes of grant unmap hypercalls");
    C(copies, "copies of a request's data by a CPU (Xen's persistent grant pages)");
    C(copy_bytes, "bytes copied");
    C(submit_refused, "requests a driver's queue could not take (failed)");
    C(dev_errors, "requests completed with an error status, or outside their image");
#undef C
}

blkpath *blkpath_create(const blkpath_env *env)
{
    blkpath *b = sim_xcalloc(1, sizeof *b);
    b->env = *env;
    register_stats(b, env->stats);
    b->backend = sim_xcalloc(env->vms, sizeof *b->backend);
    b->handler = sim_xcalloc((size_t)env->vms * env->jobs, sizeof *b->handler);
    for (unsigned v = 0; v < env->vms; v++)
        q_init(b, &b->backend[v], env->backend_core[v], CPU_HOST, false, true, "blkpath.backend");
    for (unsigned j = 0; j < env->vms * env->jobs; j++)
        q_init(b, &b->handler[j], env->job_core[j], CPU_GUEST, true, false, "blkpath.handler");
    if (env->pcache)
        b->wb_ev = sim_event_create(env->kernel, "blkpath.flusher", on_wb_retry, b);
    return b;
}

void blkpath_destroy(blkpath *b)
{
    if (!b)
        return;
    free(b->backend);
    free(b->handler);
    for (unsigned i = 0; i < b->nhost; i++)
        free(b->host_all[i]);
    free(b->host_all);
    free(b);
}
