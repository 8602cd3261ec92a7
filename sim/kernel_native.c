/* The kernel front end and the native backend.
 *
 * Every kernel.h call lands here. A native kernel keeps its pending notifications in
 * a 4-ary min-heap ordered by (time, sequence of notification); a SystemC kernel
 * forwards each call to the bridge in kernel_systemc.cc. Both kinds share the event
 * allocator below, so a sim_event pointer stays valid until its kernel is destroyed.
 *
 * Cost model of the native backend: notify is O(log4 n) (a push or a decrease-key),
 * firing is one pop, cancel is one removal at the stored heap index. Nothing is
 * allocated after an event is created: the heap holds at most one entry per event and
 * grows when events are created, never when they are notified.
 */
#include "sim/kernel.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/kernel_bridge.h"

#define NOT_QUEUED UINT32_MAX
#define FIRST_CHUNK_EVENTS 64u
#define MAX_CHUNK_EVENTS 65536u

struct sim_event {
    uint32_t heap_idx; /* native: slot in k->heap, NOT_QUEUED when not pending */
    sim_event_fn fn;
    void *ctx;
    sim_kernel *k;
    struct sim_sc_event *sc; /* SystemC kind: the bridge's event; NULL on native */
    char *name;
};

/* The key lives in the heap entry, not in the event: sifting compares neighbouring
 * entries without touching event memory (the event is written only to record its
 * new slot). */
typedef struct heap_ent {
    uint64_t when_ps;
    uint64_t seq;
    sim_event *ev;
} heap_ent;

struct sim_kernel {
    sim_kernel_kind kind;
    bool in_run;
    bool stop;
    uint64_t now_ps;
    uint64_t seq;
    uint64_t events;
    heap_ent *heap;
    uint32_t heap_len;
    uint32_t heap_cap;
    /* Events live in chunks that never move; each chunk doubles the previous one
     * (capped), so a kernel with n events makes O(log n) allocations. */
    sim_event **chunks;
    uint32_t nchunks;
    uint32_t chunk_used; /* events handed out from the last chunk */
    uint32_t chunk_cap;  /* size of the last chunk */
    uint32_t nevents;
    struct sim_sc *sc; /* SystemC kind only */
    sim_err err;
};

/* ---- heap ------------------------------------------------------------------------ */

static inline bool ent_less(const heap_ent *a, const heap_ent *b)
{
    return a->when_ps < b->when_ps || (a->when_ps == b->when_ps && a->seq < b->seq);
}

static inline void heap_put(heap_ent *h, uint32_t i, heap_ent x)
{
    h[i] = x;
    x.ev->heap_idx = i;
}

/* Moves the hole at i up until x fits, then stores x there. */
static void heap_sift_up(heap_ent *h, uint32_t i, heap_ent x)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 4;
        if (!ent_less(&x, &h[parent]))
            break;
        heap_put(h, i, h[parent]);
        i = parent;
    }
    heap_put(h, i, x);
}

/* Moves the hole at i down (towards the smallest child) until x fits. */
static void heap_sift_down(heap_ent *h, uint32_t len, uint32_t i, heap_ent x)
{
    for (;;) {
        uint32_t first = 4 * i + 1;
        if (first >= len)
            break;
        uint32_t last = first + 4 < len ? first + 4 : len;
        uint32_t best = first;
        for (uint32_t c = first + 1; c < last; c++)
            if (ent_less(&h[c], &h[best]))
                best = c;
        if (!ent_less(&h[best], &x))
            break;
        heap_put(h, i, h[best]);
        i = best;
    }
    heap_put(h, i, x);
}

/* Takes the entry at slot i out and refills the slot with the last entry. */
static void heap_remove(sim_kernel *k, uint32_t i)
{
    heap_ent *h = k->heap;
    h[i].ev->heap_idx = NOT_QUEUED;
    uint32_t last = --k->heap_len;
    if (i == last)
        return;
    heap_ent x = h[last];
    if (i > 0 && ent_less(&x, &h[(i - 1) / 4]))
        heap_sift_up(h, i, x);
    else
        heap_sift_down(h, last, i, x);
}

/* ---- native notifications --------------------------------------------------------- */

static void native_notify_at(sim_event *e, uint64_t when_ps)
{
    sim_kernel *k = e->k;
    heap_ent x = { when_ps, k->seq++, e };
    uint32_t i = e->heap_idx;
    if (i == NOT_QUEUED) {
        heap_sift_up(k->heap, k->heap_len++, x);
        return;
    }
    /* Already pending: only a strictly earlier time replaces the entry, with this
     * notification's sequence, and moves it up; an equal or later one leaves the pending
     * entry and its place (kernel.h). */
    if (when_ps < k->heap[i].when_ps)
        heap_sift_up(k->heap, i, x);
}

/* Sets the kernel's error and returns false, for the boolean helpers below. */
static bool kernel_fail(sim_kernel *k, const char *what)
{
    sim_err_set(&k->err, "%s kernel: %s", sim_kernel_kind_name(k->kind), what);
    return false;
}

static sim_run_status native_run_until(sim_kernel *k, uint64_t end_ps)
{
    k->stop = false;
    while (k->heap_len > 0 && k->heap[0].when_ps <= end_ps) {
        heap_ent top = k->heap[0];
        uint32_t len = --k->heap_len;
        if (len > 0)
            heap_sift_down(k->heap, len, 0, k->heap[len]);
        top.ev->heap_idx = NOT_QUEUED;
        k->now_ps = top.when_ps;
        k->events++;
        top.ev->fn(top.ev->ctx);
        if (k->stop)
            return SIM_RUN_STOPPED;
    }
    if (k->heap_len == 0)
        return SIM_RUN_IDLE;
    if (end_ps > k->now_ps)
        k->now_ps = end_ps;
    return SIM_RUN_TIME;
}

/* ---- event allocation ------------------------------------------------------------- */

/* Makes room for one more event: a heap slot and a chunk slot. Only event creation
 * allocates, which is what keeps notify allocation-free. */
static bool reserve_event(sim_kernel *k)
{
    if (k->nevents == NOT_QUEUED - 1)
        return kernel_fail(k, "too many events");
    if (k->kind == SIM_KERNEL_NATIVE && k->nevents >= k->heap_cap) {
        uint64_t cap = k->heap_cap ? 2ull * k->heap_cap : FIRST_CHUNK_EVENTS;
        if (cap > NOT_QUEUED)
            cap = NOT_QUEUED;
        heap_ent *h = realloc(k->heap, (size_t)cap * sizeof *h);
        if (!h)
            return kernel_fail(k, "out of memory for the event heap");
        k->heap = h;
        k->heap_cap = (uint32_t)cap;
    }
    if (k->chunk_used < k->chunk_cap)
        return true;
    uint32_t cap = k->chunk_cap ? k->chunk_cap * 2 : FIRST_CHUNK_EVENTS;
    if (cap > MAX_CHUNK_EVENTS)
        cap = MAX_CHUNK_EVENTS;
    sim_event **chunks = realloc(k->chunks, (k->nchunks + 1) * sizeof *chunks);
    if (!chunks)
        return kernel_fail(k, "out of memory for events");
    k->chunks = chunks;
    sim_event *chunk = calloc(cap, sizeof *chunk);
    if (!chunk)
        return kernel_fail(k, "out of memory for events");
    k->chunks[k->nchunks++] = chunk;
    k->chunk_cap = cap;
    k->chunk_used = 0;
    return true;
}

/* ---- the public interface --------------------------------------------------------- */

const char *sim_kernel_kind_name(sim_kernel_kind kind)
{
    switch (kind) {
    case SIM_KERNEL_SYSTEMC:
        return "systemc";
    case SIM_KERNEL_NATIVE:
        return "native";
    }
    return "unknown";
}

sim_kernel *sim_kernel_create(sim_kernel_kind kind, sim_err *err)
{
    if (kind != SIM_KERNEL_NATIVE && kind != SIM_KERNEL_SYSTEMC) {
        sim_err_set(err, "unknown kernel kind %d", (int)kind);
        return NULL;
    }
    sim_kernel *k = calloc(1, sizeof *k);
    if (!k) {
        sim_err_set(err, "%s kernel: out of memory", sim_kernel_kind_name(kind));
        return NULL;
    }
    k->kind = kind;
    if (kind == SIM_KERNEL_SYSTEMC) {
        k->sc = sim_sc_create(err);
        if (!k->sc) {
            free(k);
            return NULL;
        }
    }
    return k;
}

void sim_kernel_destroy(sim_kernel *k)
{
    if (!k)
        return;
    assert(!k->in_run && "sim_kernel_destroy called from a callback");
    if (k->sc)
        sim_sc_destroy(k->sc);
    /* Chunk c holds min(FIRST << c, MAX) events; all but the last are full. */
    uint32_t left = k->nevents, size = FIRST_CHUNK_EVENTS;
    for (uint32_t c = 0; c < k->nchunks; c++) {
        uint32_t n = left < size ? left : size;
        for (uint32_t i = 0; i < n; i++)
            free(k->chunks[c][i].name);
        left -= n;
        size = size < MAX_CHUNK_EVENTS ? size * 2 : MAX_CHUNK_EVENTS;
        free(k->chunks[c]);
    }
    free(k->chunks);
    free(k->heap);
    free(k);
}

sim_kernel_kind sim_kernel_get_kind(const sim_kernel *k) { return k->kind; }

/* A model builds its events and cannot go on without one: failing to make one (memory,
 * more events than the heap indexes, SystemC refusing) stops the program, as sim_x*
 * allocation does. */
static void event_failed(const sim_kernel *k, const char *name) __attribute__((noreturn));
static void event_failed(const sim_kernel *k, const char *name)
{
    fprintf(stderr, "iovsim: cannot create event '%s': %s\n", name, sim_kernel_error(k));
    abort();
}

sim_event *sim_event_create(sim_kernel *k, const char *name, sim_event_fn fn, void *ctx)
{
    assert(k && fn);
    if (!name)
        name = "";
    if (!reserve_event(k))
        event_failed(k, name);
    char *copy = sim_xstrdup(name);
    sim_event *e = &k->chunks[k->nchunks - 1][k->chunk_used];
    *e = (sim_event){ .heap_idx = NOT_QUEUED, .fn = fn, .ctx = ctx, .k = k, .name = copy };
    if (k->sc) {
        e->sc = sim_sc_event_create(k->sc, copy, fn, ctx);
        if (!e->sc)
            event_failed(k, name);
    }
    k->chunk_used++;
    k->nevents++;
    return e;
}

/* now + delay, saturated: a delay past the end of time means "never before the end". */
static inline uint64_t add_sat(uint64_t now, uint64_t delay)
{
    return delay > SIM_TIME_MAX_PS - now ? SIM_TIME_MAX_PS : now + delay;
}

void sim_event_notify(sim_event *e, uint64_t delay_ps)
{
    if (__builtin_expect(e->sc != NULL, 0)) {
        sim_sc_event_notify_at(e->sc, add_sat(sim_sc_now_ps(e->k->sc), delay_ps));
        return;
    }
    native_notify_at(e, add_sat(e->k->now_ps, delay_ps));
}

void sim_event_notify_at(sim_event *e, uint64_t when_ps)
{
    uint64_t now = sim_now_ps(e->k);
    assert(when_ps >= now && "sim_event_notify_at in the past");
    if (when_ps < now) /* with NDEBUG: the past means "now", as a zero delay */
        when_ps = now;
    if (e->sc)
        sim_sc_event_notify_at(e->sc, when_ps);
    else
        native_notify_at(e, when_ps);
}

void sim_event_cancel(sim_event *e)
{
    if (e->sc)
        sim_sc_event_cancel(e->sc);
    else if (e->heap_idx != NOT_QUEUED)
        heap_remove(e->k, e->heap_idx);
}

bool sim_event_pending(const sim_event *e)
{
    return e->sc ? sim_sc_event_pending(e->sc) : e->heap_idx != NOT_QUEUED;
}

uint64_t sim_event_when_ps(const sim_event *e)
{
    if (e->sc)
        return sim_sc_event_when_ps(e->sc);
    return e->heap_idx == NOT_QUEUED ? SIM_TIME_MAX_PS : e->k->heap[e->heap_idx].when_ps;
}

uint64_t sim_now_ps(const sim_kernel *k) { return k->sc ? sim_sc_now_ps(k->sc) : k->now_ps; }

sim_run_status sim_kernel_run_until(sim_kernel *k, uint64_t end_ps)
{
    if (k->in_run) {
        kernel_fail(k, "run called from a callback");
        return SIM_RUN_ERROR;
    }
    k->in_run = true;
    sim_run_status st = k->sc ? sim_sc_run_until(k->sc, end_ps) : native_run_until(k, end_ps);
    k->in_run = false;
    return st;
}

sim_run_status sim_kernel_run(sim_kernel *k) { return sim_kernel_run_until(k, SIM_TIME_MAX_PS); }

void sim_kernel_stop(sim_kernel *k)
{
    /* Outside a run there is nothing to stop; the flag is cleared when a run starts. */
    if (!k->in_run)
        return;
    if (k->sc)
        sim_sc_stop(k->sc);
    else
        k->stop = true;
}

uint64_t sim_kernel_events(const sim_kernel *k) { return k->sc ? sim_sc_events(k->sc) : k->events; }

const char *sim_kernel_error(const sim_kernel *k)
{
    if (k->err.msg[0] || !k->sc)
        return k->err.msg;
    return sim_sc_error(k->sc);
}
