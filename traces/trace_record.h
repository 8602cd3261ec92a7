/* Recording a run's DMA stream (trace.record = FILE): every request that reaches a root
 * complex (reads, writes, MSIs, seen by the root complex's observer before translation)
 * and what the host DMA API does (maps, unmaps, invalidations), in the order the
 * simulation made those calls, into a .dmat.gz trace (traces/trace.h) whose header
 * holds this iovsim's version and every parameter of the run.
 *
 * It works for any workload without the workload knowing: the model layer starts a
 * recorder before it builds a point's system, passes its two observers below into the
 * build (the system attaches them to every root complex and DMA API it creates), and
 * finishes the recorder when the system is destroyed. A relative FILE is a file name
 * in the point's folder (ctx->dir; the current directory when the run has none), so
 * each point of a sweep records its own trace; an absolute one is written where it
 * says, and a sweep refuses two points that would write the same one. The file appears
 * whole when the point ends (written as FILE.tmp.PID, renamed at the end).
 *
 * Cost: one 48-byte record per TLP reaching the root complex, compressed at zlib level 1
 * (about 10 bytes a record on disk); no events. */
#ifndef TRACES_TRACE_RECORD_H
#define TRACES_TRACE_RECORD_H

#include "host/dmaapi.h"
#include "models/pcie/rc.h"
#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"

typedef struct trace_recorder trace_recorder;

/* Registers trace.record. */
void trace_record_register_params(sim_params *p);
/* The configuration check: a relative trace.record is a plain file name (no folder: the
 * point's folder is where it goes), an absolute one names an existing folder this
 * process may write in. -1 with *e set otherwise, before anything runs. */
int trace_record_check(const sim_params *p, sim_err *e);
/* trace.record when it is an absolute path (a file outside the point's folder), else
 * NULL; lives as long as p. */
const char *trace_record_outside_file(const sim_params *p);

/* Opens trace.record's file for this run (relative to the run's folder) into *out;
 * *out is NULL when trace.record is empty. -1 with *e set when the file cannot be
 * created. */
int trace_recorder_start(const sim_ctx *ctx, trace_recorder **out, sim_err *e);
/* The observers (ctx: the recorder): a root complex's pcie_rc_observe_fn and a DMA
 * API's iommu_dma_observe_fn. */
void trace_recorder_on_request(void *ctx, pcie_rc_req kind, uint64_t t_ps, uint16_t rid,
                               uint64_t addr, uint32_t len, uint32_t msi_data);
void trace_recorder_on_dma_api(void *ctx, const iommu_dma_event *ev);
/* Writes the end of the trace and moves it into place. A failure (disk full, a record
 * the format refuses) is reported on stderr and leaves no file; so does a system that
 * never ran (no kernel event: a dry build that only lists metrics). NULL is a no-op. */
void trace_recorder_finish(trace_recorder *r);

#endif
