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
 * Cost: push and pop are O(log n) over 24-byte keys; each item's payload (item_bytes,
 * fixed per queue, may be 0) is copied in once and out once and never moves between.
 * Memory grows with the most items held at once, never per push. */
#ifndef SIM_TQ_H
#define SIM_TQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_tq sim_tq;

sim_tq *sim_tq_create(size_t item_bytes);
void sim_tq_destroy(sim_tq *q);

/* Adds an item due at t_ps (copied from `item`; NULL when item_bytes is 0). True when
 * it is now the head: the model's event must be notified for t_ps. */
bool sim_tq_push(sim_tq *q, uint64_t t_ps, const void *item);

size_t sim_tq_len(const sim_tq *q);
/* The head's time; UINT64_MAX when empty. */
uint64_t sim_tq_head_ps(const sim_tq *q);
/* The head's payload, in place (valid until the next push or pop); NULL when empty. */
void *sim_tq_head(sim_tq *q);

/* Removes the head when it is due at or before now_ps: its payload is copied to `out`
 * and its time to *t_ps (either may be NULL). False, with nothing removed, when the
 * queue is empty or its head is later. */
bool sim_tq_pop_due(sim_tq *q, uint64_t now_ps, void *out, uint64_t *t_ps);

/* Every item's payload in no particular order (0 <= i < len), for releasing what a
 * queue still holds when its model is destroyed. */
void *sim_tq_item_at(sim_tq *q, size_t i);

#endif
