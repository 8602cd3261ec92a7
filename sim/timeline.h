/* A timeline of a run (trace.timeline = FILE): what the components did and when, as
 * Chrome trace-event JSON, written for Perfetto's importer (ui.perfetto.dev; the
 * object form, "X" slices, "M" names and sort indexes, version-2 flows), which
 * chrome://tracing opens too.
 *
 * Timing and semantics: components report work as slices (a start and a duration in
 * simulated ps) on tracks, each track a named row in a named group ("cores" / "core
 * 3", "pcie" / "upstream"); the file holds those that overlap the window [from_ps,
 * to_ps). Times are written in whole nanoseconds (as microseconds with 3 decimals),
 * which is what Perfetto keeps: a slice's two ends are each rounded to the nearest ns
 * and its duration is their difference (never rounded on its own), so slices that nest
 * or follow one another in ps still do in the file, and Perfetto has nothing left to
 * round. A slice shorter than 1 ns may so become 0 ns long: it is kept (Perfetto draws
 * it as an instant), since it may be a packet's step, and merging it into a neighbour
 * would invent time the neighbour did not take.
 *
 * Tracks come in two kinds. On a track made by sim_timeline_track the caller promises
 * that slices nest or follow one another (a core's work: urgent work has a track of
 * its own); they are written as booked (the model books ahead of its clock; Perfetto
 * sorts). A track made by sim_timeline_track_inflight holds work that overlaps in time
 * (a queue's DMAs in flight, a hundred at once on a receive stream): its slices are
 * kept until the file closes and then laid out, in time order, on the first of the
 * track's lanes that is free ("pf q0 rx", "pf q0 rx #2", ...: more rows of the group,
 * sorted right after the track), so no lane holds two slices that overlap, nor one
 * nested in another as if it were part of it. Lanes rather than async events because
 * a lane is a thread track like every other one (the same nesting rules, the same
 * flows, a name that says which queue) and Perfetto names async tracks by slice name
 * rather than by queue; rather than an occupancy counter because each packet's DMA
 * stays a slice its flow can reach. Groups and tracks carry sort indexes (in the
 * order they were made: cores, pcie, iommu, nic, stages), so the viewer keeps that
 * order.
 *
 * Packets: the components number packets where they are born (1, 2, ...); the slices
 * that carry an id that is a multiple of `every` (one packet in `every`) are a
 * followed packet's steps. They are kept until the file closes and then written with
 * Perfetto's version-2 flow fields ("bind_id" the packet, "flow_out" on the first,
 * "flow_in" and "flow_out" on the middle ones, "flow_in" on the last, in the order
 * Perfetto reads them: start, then the longer first, then booking order), so each
 * arrow binds to its own slice, never to another on the same row; a packet with one
 * step has no flow. Off, it costs a component one pointer test per booking. */
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
/* Writes the kept slices and flows, ends the file and puts it in place (0), or -1 with
 * *e set; frees. */
int sim_timeline_close(sim_timeline *tl, sim_err *e);
/* Drops the file; frees. NULL is a no-op. */
void sim_timeline_abort(sim_timeline *tl);

/* A track (a row) named `name` in group `group`, made on first use; its id. Its slices
 * must nest or follow one another. Names are written as given (JSON strings: no quotes,
 * backslashes or control characters; the components' are built in). */
unsigned sim_timeline_track(sim_timeline *tl, const char *group, const char *name);
/* The same for a track whose slices may overlap (work in flight): laid out on lanes at
 * the close. A track's kind is the one its first use asked for. */
unsigned sim_timeline_track_inflight(sim_timeline *tl, const char *group, const char *name);

/* Whether [start_ps, end_ps) overlaps the window: a caller tests this before it names
 * a slice. */
bool sim_timeline_wants(const sim_timeline *tl, uint64_t start_ps, uint64_t end_ps);

/* An instant `name` on `track` at t_ps (an event with no duration: a VM exit). */
void sim_timeline_instant(sim_timeline *tl, unsigned track, const char *name, uint64_t t_ps);

/* A slice `name` on `track`; a followed packet (its id a nonzero multiple of `every`)
 * joins it to that packet's flow. `name` is written as given (a JSON string: no quotes
 * or control characters); it is copied when the slice is kept. */
void sim_timeline_slice(sim_timeline *tl, unsigned track, const char *name, uint64_t start_ps,
                        uint64_t dur_ps, uint32_t packet);


#endif
