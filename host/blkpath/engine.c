/* The one interpreter of the storage paths' tables (blkpath.h). */
#include "host/blkpath/blkpath.h"

#include <assert.h>
#include <stdlib.h>

#include "host/blkpath/engine_impl.h"
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
    bool woken;             /* a notification is on its way: the coming activation's */
    uint64_t wake_ps;       /* when it arrives (while woken) */
    uint64_t busy_until_ps; /* its last activation's end */
    uint64_t poll_ps;       /* its polling window now (QEMU's ctx->poll_ns) */
} bqueue;

_Static_assert((int)BLK_NOTIFY_NONE == (int)HOST_NOTIFY_NONE &&
                   (int)BLK_NOTIFY_IOEVENTFD == (int)HOST_NOTIFY_IOEVENTFD &&
                   (int)BLK_NOTIFY_WAKE == (int)HOST_NOTIFY_WAKE &&
                   (int)BLK_NOTIFY_IRQFD == (int)HOST_NOTIFY_IRQFD &&
                   (int)BLK_NOTIFY_EVTCHN == (int)HOST_NOTIFY_EVTCHN,
               "a storage path's notification is host/notify.h's mechanism");

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

/* The stage polled from its last activation's end until `until`: its core is busy then,
 * where other work (an interrupt, which preempted the polling thread) did not take it. */
static void q_spin(blkpath *b, bqueue *q, uint64_t until)
{
    if (until > q->busy_until_ps)
        cpu_spin_idle(b->env.irq.cpu, q->core, q->busy_until_ps, until, q->who);
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
    else if (q->poll_ps < max && block_ps < max)
        q->poll_ps = q->poll_ps ? (2 * q->poll_ps < max ? 2 * q->poll_ps : max)
                                : (4 * SIM_PS_PER_US < max ? 4 * SIM_PS_PER_US : max);
}

/* The stage is asleep at t, after polling its whole window: notify it by r's mechanism
 * from r's sender. Returns when the sender goes on. */
static uint64_t q_wake(blkpath *b, bqueue *q, blk_req *r, uint64_t t)
{
    q_spin(b, q, q->busy_until_ps + q->poll_ps); /* the window in effect when it slept */
    notify_end from = {
        .core = r->from_core, .who = (cpu_who)r->from_who, .urgent = r->from_urgent};
    notify_end to = {.core = q->core, .who = q->who, .urgent = q->urgent, .thread = q->thread};
    notify_result n = host_notify_send(&b->env.irq, (host_notify)r->notify, from, to, t, 0);
    r->notify = BLK_NOTIFY_NONE; /* sent: the activation does not count it as suppressed */
    b->c.notifies++;
    b->c.irqs += n.irq;
    r->ready_ps = n.receiver_ps;
    r->notified = true;
    q->woken = true;
    q->wake_ps = n.receiver_ps;
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

/* r reaches queue q at t from x, by `how`. Returns when the sender goes on. A stage
 * already being notified (the consumer has not run since: virtio's event index, Xen's
 * RING_PUSH_..._AND_CHECK_NOTIFY ask for no second notification) or at work then (in its
 * activation, its last one not over, or a request due by then) takes r without
 * notification; one polling then takes it at once, its poll booked up to t; else r's
 * notification wakes it. A request pushed while the stage works, for a time after its
 * work ends, is notified by the activation if the stage sleeps by then (on_queue). */
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
    } else if (q->woken) {
        r->notified = true; /* it goes with the notification on its way */
    } else if (polling) {
        q_spin(b, q, t);
    } else if (!active) {
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
    /* A sleeping stage runs when its notification arrives, not before. */
    if (q->woken && now < q->wake_ps) {
        q_sched(q, q->wake_ps);
        return;
    }
    bool woken = q->woken;
    q->woken = false;
    /* A request that came while the last activation's work still ran is taken by the
     * same loop (it checks its queue again before it sleeps): no new run, no per-run
     * cost. One its polling caught (push booked the poll) starts a run. */
    bool continuing = q->head->ready_ps <= q->busy_until_ps && !woken;
    q->running = true;
    uint32_t ran = continuing ? ~0u : 0; /* stages whose per-run costs are paid */
    b->c.batches += !continuing;
    uint64_t t = now > q->busy_until_ps ? now : q->busy_until_ps;
    while (q->head && q->head->ready_ps <= t) {
        blk_req *r = q->head;
        q->head = r->next;
        if (!q->head)
            q->tail = NULL;
        /* A hand-off that asked for a notification and needed none (the stage ran,
         * polled or was being woken). */
        b->c.notifies_suppressed += r->notify != BLK_NOTIFY_NONE;
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
        /* It sleeps before the request comes: the request's notification wakes it, sent
         * then from its sender's core (booked now, after what that core has booked by
         * now: the approximation of booking ahead of the clock). */
        q->head = next->next;
        if (!q->head)
            q->tail = NULL;
        q_wake(b, q, next, next->ready_ps);
        q_insert(q, next);
    } else if (next && !next->notified) {
        q_spin(b, q, next->ready_ps); /* it polls till then */
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
            if (e->pcache && !blkpath_cache_image(b, r, x, &t, s, d->place == BLK_PLACE_BACKEND))
                return t;
            break;
        }
        case BLK_OP_IMG_DONE:
            if (e->pcache && !blkpath_cache_done(b, r, x, &t))
                return t;
            break;
        case BLK_OP_DEV_SUBMIT: {
            r->stage = s->arg;
            r->dev_core = x.core;
            uint64_t after = t;
            if (!e->submit(e->ctx, r, x.core, t, &after)) {
                b->c.submit_refused++;
                r->failed = true;
                if (r->pc == PC_FILL)
                    blkpath_cache_fill_refused(b, r, t);
                e->done(e->ctx, r, t);
            }
            return after;
        }
        case BLK_OP_GRANT_MAP:
            if (e->persistent_grants)
                break;
            /* One map hypercall for the request's pages (xen_blkbk_map -> gnttab_map_refs). */
            t = exit_vm(b, x, t, HV_EXIT_HYPERCALL);
            t = run(b, x, t, e->grant.map_op_cycles * pages, CPU_HYPERVISOR);
            b->c.grant_maps += pages;
            break;
        case BLK_OP_GRANT_UNMAP:
            if (e->persistent_grants)
                break;
            /* One unmap hypercall: the unmaps and a TLB flush (gnttab_unmap_refs). */
            t = exit_vm(b, x, t, HV_EXIT_HYPERCALL);
            t = run(b, x, t, e->grant.unmap_op_cycles * pages + e->grant.flush_cycles,
                    CPU_HYPERVISOR);
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

/* For cache.c (engine_impl.h). */
uint64_t blkpath_exec(blkpath *b, blk_req *r, bctx x, uint64_t t, bool first_in_run, bool woken)
{
    return exec(b, r, x, t, first_in_run, woken);
}

uint64_t blkpath_null_complete(blkpath *b, blk_req *r, bctx x, uint64_t t, unsigned host_stage,
                               bool in_backend)
{
    return null_complete(b, r, x, t, host_stage, in_backend);
}

unsigned blkpath_submit_stage(const blk_step *s) { return submit_stage(s); }

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
        blkpath_cache_host_done(b, r, status, t_ps);
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
        blkpath_cache_init(b);
    return b;
}

void blkpath_destroy(blkpath *b)
{
    if (!b)
        return;
    free(b->backend);
    free(b->handler);
    blkpath_cache_free(b);
    free(b);
}
