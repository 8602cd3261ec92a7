/* The run's timeline (trace.timeline = FILE, sim/timeline.h): the model layer opens it
 * before it builds a point's system and passes it in the run's observers; the platform
 * gives it to the link and the IOMMU, the NIC set-up to the NIC, the paths system to
 * the CPU and the path engine. FILE is a file name in the point's folder, written whole when the point
 * ends; only the window [trace.timeline_from_us, trace.timeline_to_us) is kept, and
 * one packet in trace.timeline_every (by the number it is given where it is born) is
 * followed through its stages. */
#ifndef TRACES_TIMELINE_RECORD_H
#define TRACES_TIMELINE_RECORD_H

#include "sim/err.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/run.h"
#include "sim/timeline.h"

/* Registers trace.timeline, trace.timeline_from_us, _to_us and _every. */
void timeline_record_register_params(sim_params *p);
/* A plain file name, and a window that ends after it starts; -1 with *e set otherwise. */
int timeline_record_check(const sim_params *p, sim_err *e);
/* The timeline of this run into *out, NULL when trace.timeline is empty; -1 with *e set
 * when the file cannot be created. */
int timeline_record_start(const sim_ctx *ctx, sim_timeline **out, sim_err *e);
/* Puts the file in place (reported on stderr when that fails); a system that never ran
 * (a dry build) leaves none. NULL is a no-op. */
void timeline_record_finish(sim_timeline *tl, const sim_kernel *k);

#endif
