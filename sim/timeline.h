/* A timeline of a run (trace.timeline = FILE): what the components did and when, as
 * Chrome trace-event JSON, which ui.perfetto.dev and chrome://tracing open.
 *
 * Timing and semantics: components report work as slices (a start and a duration in
 * simulated ps) on tracks, each track a named row in a named group ("cores" / "core
 * 3", "pcie" / "upstream"); the file holds those that overlap the window [from_ps,
 * to_ps), in the order they were booked (the model books ahead of its clock; the
 * viewers sort). Times are written in microseconds with picosecond digits.
 *
 * Packets: the components number packets where they are born (1, 2, ...); the slices
 * that carry an id that is a multiple of `every` (one packet in `every`) are joined by
 * a flow (Chrome's flow events, written when the file closes, in time order: "s" at
 * its earliest slice, "t" at the middle ones, "f" at the last), so a viewer draws the
 * packet's way from stage to stage. Off, it costs a component one pointer test per
 * booking. */
#ifndef SIM_TIMELINE_H
#define SIM_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/err.h"

typedef struct sim_timeline sim_timeline;

/* Writes `path` (whole, when closed). every >= 1. NULL with *e set when the file cannot
 * be created. */
sim_timeline *sim_timeline_open(const char *path, uint64_t from_ps, uint64_t to_ps,
                                uint32_t every, sim_err *e);
/* Ends the file and puts it in place (0), or -1 with *e set; frees. */
int sim_timeline_close(sim_timeline *tl, sim_err *e);
/* Drops the file; frees. NULL is a no-op. */
void sim_timeline_abort(sim_timeline *tl);

/* A track (a row) named `name` in group `group`, made on first use; its id. Names
 * are written as given (JSON strings: no quotes, backslashes or control characters;
 * the components' are built in). */
unsigned sim_timeline_track(sim_timeline *tl, const char *group, const char *name);

/* Whether [start_ps, end_ps) overlaps the window: a caller tests this before it names
 * a slice. */
bool sim_timeline_wants(const sim_timeline *tl, uint64_t start_ps, uint64_t end_ps);

/* An instant `name` on `track` at t_ps (an event with no duration: a VM exit). */
void sim_timeline_instant(sim_timeline *tl, unsigned track, const char *name, uint64_t t_ps);

/* A slice `name` on `track`; a followed packet (its id a nonzero multiple of `every`)
 * joins it to that packet's flow. `name` is written as given (a JSON string: no quotes
 * or control characters). */
void sim_timeline_slice(sim_timeline *tl, unsigned track, const char *name, uint64_t start_ps,
                        uint64_t dur_ps, uint32_t packet);


#endif
