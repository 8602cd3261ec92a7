/* Trace replay (workload.kind = trace): a DMA trace (traces/trace.h) as a point's
 * traffic, against this run's PCIe, IOMMU and memory configuration. The system is the
 * DMA benchmark's (one root port: link, root complex, host memory, and the IOMMU unless
 * iommu.mode = off); records enter at the root complex, where they were recorded.
 *
 *   trace.timing = timed  each record takes effect at its time_ps + ahead_ps; the root
 *                         complex, IOMMU and memory add their delays. A trace recorded
 *                         by iovsim and replayed on the same configuration makes the
 *                         IOMMU the same calls at the same times, in the same order, so
 *                         its IOTLB hit and miss counts are those of the recorded run.
 *   trace.timing = fast   requests go back to back, at most trace.outstanding in flight
 *                         (a request issues when the earliest of those completes);
 *                         maps, unmaps and invalidations take effect at the current
 *                         issue time. Timestamps are ignored: for IOTLB and cache
 *                         miss-rate studies. The IOTLB sees the same look-ups in the same
 *                         order, so it walks for exactly the same pages.
 *
 * The IOMMU side. Requesters are attached when first seen: iommu.mode = strict or lazy
 * puts each in its recorded domain (domain 0, none recorded, becomes domain 1), pt in
 * pass-through; off has no IOMMU and map, unmap and invalidation records are ignored.
 * Map records are mapped with this run's iommu.page_bytes, rounded out to whole pages
 * (a page mapped twice is unmapped when its last mapping goes). Invalidations:
 * trace.invalidate = recorded executes the trace's invalidation records as they are;
 * policy ignores them and applies iommu.mode's own policy at each unmap (strict: a
 * page-selective invalidation and wait; lazy: one domain invalidation per
 * iommu.lazy_batch unmaps or iommu.lazy_timeout_ms), which is how imported traces
 * without invalidations, or a sweep of the policy, are replayed. With trace.warm = warm
 * a mapped buffer's lines are put in the LLC when it is mapped (the CPU just wrote it);
 * auto does so unless the trace's header says it was recorded from the DMA benchmark
 * with dma.cache = cold, so a replay on the recording's configuration starts with the
 * cache it had.
 *
 * Reads and writes longer than MRRS or MPS, or crossing 4 KiB, are split as a DMA
 * engine would, all at the record's time. Costs: records are read a block at a time and
 * one kernel event handles up to a few thousand of them (everything else is
 * reservations), so a replay runs at millions of records per host second. The run ends
 * when the trace does (after the last request completes) or at run.duration_us.
 *
 * Metrics: trace_records, trace_dma_gbps, trace_latency_ns_p50 / _p99 (request at the
 * root complex to completion), and with the IOMMU on its own (iotlb_hit_rate, ...). */
#ifndef TRACES_TRACE_REPLAY_H
#define TRACES_TRACE_REPLAY_H

#include "sim/err.h"
#include "sim/params.h"
#include "sim/run.h"

/* Registers trace.file, trace.timing, trace.outstanding, trace.invalidate, trace.warm. */
void trace_replay_register_params(sim_params *p);
/* The platform checks, and trace.file read through once (every record checked) so a
 * bad trace stops a sweep before any point runs; a file already checked, unchanged, is
 * not read again. */
int trace_replay_check(const sim_params *p, sim_err *e);
void *trace_replay_build(const sim_ctx *ctx, sim_err *e);
void trace_replay_destroy(void *replay);

#endif
