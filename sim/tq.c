/* A binary min-heap of 32-byte entries on (time, sequence). */
#include "sim/tq.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/alloc.h"

typedef struct tq_ent {
    uint64_t t_ps;
    uint64_t seq;
    void *obj;
    uint64_t tag;
} tq_ent;

struct sim_tq {
    tq_ent *heap;
    size_t n, cap;
    uint64_t seq;
};

sim_tq *sim_tq_create(void) { return sim_xcalloc(1, sizeof(sim_tq)); }

void sim_tq_destroy(sim_tq *q)
{
    if (!q)
        return;
    free(q->heap);
    free(q);
}

static inline bool before(const tq_ent *a, const tq_ent *b)
{
    return a->t_ps < b->t_ps || (a->t_ps == b->t_ps && a->seq < b->seq);
}

bool sim_tq_push(sim_tq *q, uint64_t t_ps, void *obj, uint64_t tag)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 64;
        q->heap = sim_xreallocarray(q->heap, q->cap, sizeof *q->heap);
    }
    tq_ent x = {t_ps, q->seq++, obj, tag};
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&x, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = x;
    return i == 0;
}

size_t sim_tq_len(const sim_tq *q) { return q->n; }

uint64_t sim_tq_head_ps(const sim_tq *q) { return q->n ? q->heap[0].t_ps : UINT64_MAX; }

/* The head goes; the last entry refills the heap. It mostly belongs near the leaves
 * (it was pushed late, or moved there by earlier pops), so the hole the head leaves
 * moves down to a leaf along the smaller children first, one comparison per level, and
 * the last entry then rises from there, mostly not at all: a plain sift-down compares
 * it with the smaller child at every level as well. The order items leave in is the
 * same either way: the unique least (time, sequence). */
bool sim_tq_pop_due(sim_tq *q, uint64_t now_ps, sim_tq_item *out)
{
    if (!q->n || q->heap[0].t_ps > now_ps)
        return false;
    if (out)
        *out = (sim_tq_item){q->heap[0].t_ps, q->heap[0].obj, q->heap[0].tag};
    size_t n = --q->n;
    if (n == 0)
        return true;
    tq_ent *h = q->heap, last = h[n];
    size_t i = 0;
    for (size_t l = 1; l < n; l = 2 * i + 1) {
        size_t m = l + 1 < n && before(&h[l + 1], &h[l]) ? l + 1 : l;
        h[i] = h[m];
        i = m;
    }
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&last, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = last;
    return true;
}

sim_tq_item sim_tq_item_at(const sim_tq *q, size_t i)
{
    assert(i < q->n && "sim_tq_item_at past the end of the queue");
    const tq_ent *e = &q->heap[i];
    return (sim_tq_item){e->t_ps, e->obj, e->tag};
}
