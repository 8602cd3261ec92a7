/* Import of DMA activity from Linux's iommu tracepoints, as `trace-cmd report`, `perf
 * script` or the ftrace buffer print them (include/trace/events/iommu.h):
 *
 *   map            "IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu"
 *                  (before Linux 5.x: "IOMMU: iova=0x%016llx paddr=0x%016llx size=%zu")
 *   unmap          "IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu"
 *                  (before: "IOMMU: iova=0x%016llx size=%zu unmapped_size=%zu")
 *   io_page_fault  "IOMMU:%s %s iova=0x%016llx flags=0x%04x" (driver, device; flags bit
 *                  0 set for a write, IOMMU_FAULT_WRITE)
 *
 * preceded by the tool's columns, of which the event name ("map:", "iommu:map:") and the
 * timestamp before it ("1234.567890:", seconds with up to 9 decimals) are used, e.g.
 *
 *   kworker/u8:2-1234  [002] d..1.  4242.123456: map: IOMMU: iova=0x00000000fffff000 - ...
 *   swapper     0 [000]  4242.123456: iommu:map: IOMMU: iova=0x00000000fffff000 - ...
 *
 * A map becomes a map record (rights read and write) and, with `touch`, a DMA read or
 * write of the whole buffer at the same time; an unmap an unmap record of what was
 * unmapped (unmapped_size; none when 0); a fault a 4-byte read or write at the faulting
 * address by the device it names (a PCI name "0000:03:00.0"; other devices get the
 * default requester). The map and unmap tracepoints name no device: their records carry
 * the requester and domain given in the options. Times are rebased to the first event
 * and must not go backwards. Other lines (headers, other events) are skipped; an iommu
 * line that does not parse stops the import, naming its line, and so does a map or
 * unmap running past 2^64 or larger than TRACE_LINUX_MAX_EVENT_BYTES (a corrupt size:
 * 2^64 - 1 bytes would be 2^34 records). */
#ifndef TRACES_TRACE_LINUX_H
#define TRACES_TRACE_LINUX_H

#include <stdint.h>
#include <stdio.h>

#include "sim/err.h"

/* The most one map or unmap line may cover: 1 TiB, 1024 records of 1 GiB (and as many
 * DMA records with touch). */
#define TRACE_LINUX_MAX_EVENT_BYTES (1ull << 40)

typedef struct trace_linux_opts {
    uint16_t rid;    /* requester of map and unmap records, and of unnamed faults */
    uint16_t domain; /* domain of every record */
    int touch;       /* 0, TRACE_OP_READ or TRACE_OP_WRITE: a DMA over each mapped buffer */
} trace_linux_opts;

typedef struct trace_linux_stats {
    uint64_t lines, maps, unmaps, faults, skipped, records;
} trace_linux_stats;

/* Reads in (`name` in messages) and writes a trace to out_path whose header records the
 * options. -1 with *e set ("NAME:LINE: ...") on the first bad line; no file is left. */
int trace_linux_import(FILE *in, const char *name, const char *out_path,
                       const trace_linux_opts *o, trace_linux_stats *st, sim_err *e);

#endif
