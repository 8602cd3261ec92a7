/* A binary min-heap of small keys (time, sequence, payload slot); payloads sit in a
 * slot array with a free list, so sifting moves 24 bytes whatever an item holds. */
#include "sim/tq.h"

#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"

typedef struct tq_key {
    uint64_t t_ps;
    uint64_t seq;
    uint32_t slot;
} tq_key;

struct sim_tq {
    tq_key *heap;
    size_t n, cap;
    uint64_t seq;
    size_t item_bytes;
    unsigned char *items; /* cap slots of item_bytes */
    uint32_t *free_slots; /* slots not in use: free_slots[0 .. cap - n) */
};

sim_tq *sim_tq_create(size_t item_bytes)
{
    sim_tq *q = sim_xcalloc(1, sizeof *q);
    q->item_bytes = item_bytes;
    return q;
}

void sim_tq_destroy(sim_tq *q)
{
    if (!q)
        return;
    free(q->heap);
    free(q->items);
    free(q->free_slots);
    free(q);
}

static inline bool key_before(const tq_key *a, const tq_key *b)
{
    return a->t_ps < b->t_ps || (a->t_ps == b->t_ps && a->seq < b->seq);
}

static void grow(sim_tq *q)
{
    size_t cap = q->cap ? 2 * q->cap : 64;
    if (cap > UINT32_MAX)
        cap = UINT32_MAX;
    q->heap = sim_xreallocarray(q->heap, cap, sizeof *q->heap);
    q->items = sim_xreallocarray(q->items, cap, q->item_bytes ? q->item_bytes : 1);
    q->free_slots = sim_xreallocarray(q->free_slots, cap, sizeof *q->free_slots);
    /* The new slots [cap_old, cap) are all free; the free list is empty when full. */
    for (size_t s = q->cap; s < cap; s++)
        q->free_slots[s - q->cap] = (uint32_t)s;
    q->cap = cap;
}

bool sim_tq_push(sim_tq *q, uint64_t t_ps, const void *item)
{
    if (q->n == q->cap)
        grow(q);
    uint32_t slot = q->free_slots[q->cap - q->n - 1];
    if (q->item_bytes)
        memcpy(q->items + (size_t)slot * q->item_bytes, item, q->item_bytes);
    tq_key k = {t_ps, q->seq++, slot};
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!key_before(&k, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = k;
    return i == 0;
}

size_t sim_tq_len(const sim_tq *q) { return q->n; }

uint64_t sim_tq_head_ps(const sim_tq *q) { return q->n ? q->heap[0].t_ps : UINT64_MAX; }

void *sim_tq_head(sim_tq *q)
{
    return q->n ? q->items + (size_t)q->heap[0].slot * q->item_bytes : NULL;
}

bool sim_tq_pop_due(sim_tq *q, uint64_t now_ps, void *out, uint64_t *t_ps)
{
    if (!q->n || q->heap[0].t_ps > now_ps)
        return false;
    tq_key top = q->heap[0];
    if (out && q->item_bytes)
        memcpy(out, q->items + (size_t)top.slot * q->item_bytes, q->item_bytes);
    if (t_ps)
        *t_ps = top.t_ps;
    tq_key last = q->heap[--q->n];
    q->free_slots[q->cap - q->n - 1] = top.slot;
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        const tq_key *mv = &last;
        if (l < q->n && key_before(&q->heap[l], mv))
            mv = &q->heap[m = l];
        if (l + 1 < q->n && key_before(&q->heap[l + 1], mv))
            m = l + 1;
        if (m == i)
            break;
        q->heap[i] = q->heap[m];
        i = m;
    }
    if (q->n)
        q->heap[i] = last;
    return true;
}

void *sim_tq_item_at(sim_tq *q, size_t i)
{
    return i < q->n ? q->items + (size_t)q->heap[i].slot * q->item_bytes : NULL;
}
