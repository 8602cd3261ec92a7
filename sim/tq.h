/* A timed queue: a model's own future work, earliest first.
 *
 * Timing and semantics. Items come out in (time, push order): two items due at the
 * same picosecond leave in the order they were pushed, so a model's same-time actions
 * keep the model's own order whatever the kernel does with other events. The queue
 * holds no kernel event: a model keeps one event for its whole queue, notifies it when
 * a push makes a new head (sim_tq_push returns true), and when it fires pops everything
 * due, then notifies it for the new head. That is one kernel event per instant the
 * model must act, however many items it keeps (see sim/kernel.h).
 *
 * An item carries two words: an object and a tag (what to do with it, a generation, an
 * index into the model's own records). Cost: push and pop are O(log n) moves of 32-byte
 * entries, with no allocation once the queue has grown to the most items it holds. */
#ifndef SIM_TQ_H
#define SIM_TQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_tq sim_tq;

typedef struct sim_tq_item {
    uint64_t t_ps;
    void *obj;
    uint64_t tag;
} sim_tq_item;

sim_tq *sim_tq_create(void);
void sim_tq_destroy(sim_tq *q);

/* Adds an item due at t_ps. True when it is now the head: the model's event must be
 * notified for t_ps. */
bool sim_tq_push(sim_tq *q, uint64_t t_ps, void *obj, uint64_t tag);

size_t sim_tq_len(const sim_tq *q);
/* The head's time; UINT64_MAX when empty. */
uint64_t sim_tq_head_ps(const sim_tq *q);

/* Removes the head when it is due at or before now_ps and copies it to `out` (may be
 * NULL). False, with nothing removed, when the queue is empty or its head is later. */
bool sim_tq_pop_due(sim_tq *q, uint64_t now_ps, sim_tq_item *out);

/* Every item in no particular order (0 <= i < len), for releasing what a queue still
 * holds when its model is destroyed. */
sim_tq_item sim_tq_item_at(const sim_tq *q, size_t i);

#endif
