/* Trace speed: records per host second for decoding alone (gzip inflate and the record
 * checks, traces/trace.c) and for a fast replay through the root complex, IOMMU and
 * memory models (workload.kind = trace, trace.timing = fast, 32 in flight), plus kernel
 * events per record. Two traces are recorded here first, 64-byte random DMA reads over a
 * window mapped once with 4 KiB pages: 128 KiB (32 pages: the IOTLB holds them, nearly
 * every look-up hits) and 1 MiB (256 pages: the IOTLB wall, 82% of look-ups walk the
 * tables, each walk reading entries through the LLC model).
 *
 * usage: bench_trace [--quick] [TRACE]   (TRACE: measure that file instead) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_point.h"
#include "systems/kinds.h"
#include "traces/trace.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int record(const char *path, const char *window, const char *duration_us)
{
    sim_params *p = bench_registry(&systems_ops);
    if (bench_set(p, "workload.kind", "dma") || bench_set(p, "run.kernel", "native") ||
        bench_set(p, "iommu.mode", "strict") || bench_set(p, "dma.map", "window") ||
        bench_set(p, "dma.pattern", "random") || bench_set(p, "dma.window_bytes", window) ||
        bench_set(p, "dma.size_bytes", "64") || bench_set(p, "dma.outstanding", "32") ||
        bench_set(p, "run.warmup_us", "0") || bench_set(p, "run.duration_us", duration_us) ||
        bench_set(p, "trace.record", path))
        return -1;
    bench_point r;
    return bench_run_metric(p, "dma_mtps", &r, "bench_trace: recording failed");
}

/* Decodes the whole file `passes` times; returns records per second. */
static double decode(const char *path, int passes, uint64_t *records)
{
    double best = 0;
    for (int i = 0; i < passes; i++) {
        sim_err e;
        double t0 = now_s();
        trace_reader *r = trace_reader_open(path, &e);
        if (!r) {
            fprintf(stderr, "bench_trace: %s\n", e.msg);
            return -1;
        }
        const trace_rec *recs;
        size_t n;
        uint64_t sum = 0;
        while ((n = trace_reader_block(r, &recs)) > 0)
            sum += recs[n - 1].addr; /* touch the data */
        *records = trace_reader_count(r);
        if (trace_reader_error(r)) {
            fprintf(stderr, "bench_trace: %s\n", trace_reader_error(r));
            trace_reader_close(r);
            return -1;
        }
        trace_reader_close(r);
        double rate = (double)*records / (now_s() - t0);
        if (rate > best)
            best = rate;
        if (sum == 1)
            printf(" ");
    }
    return best;
}

static int measure(const char *label, const char *path, int quick)
{
    uint64_t records = 0;
    double dec = decode(path, quick ? 1 : 3, &records);
    if (dec < 0)
        return 1;
    char what[96];
    snprintf(what, sizeof what, "%s: decode", label);
    printf("%-38s %10llu %8.3f %12.0f %10s\n", what, (unsigned long long)records,
           (double)records / dec, dec, "-");
    static const char *const kernels[] = {"native", "systemc"};
    static const char *const names[] = {"trace_records", "iotlb_hit_rate"};
    int failed = 0;
    for (int k = 0; k < 2; k++) {
        sim_params *p = bench_registry(&systems_ops);
        if (bench_set(p, "workload.kind", "trace") || bench_set(p, "trace.file", path) ||
            bench_set(p, "trace.timing", "fast") || bench_set(p, "trace.outstanding", "32") ||
            bench_set(p, "iommu.mode", "strict") || bench_set(p, "run.kernel", kernels[k]) ||
            bench_set(p, "run.warmup_us", "0") || bench_set(p, "run.duration_us", "1e9"))
            return 2;
        bench_point r;
        bench_run_forked(&systems_ops, p, names, 2, &r);
        sim_params_destroy(p);
        if (!r.ok) {
            fprintf(stderr, "bench_trace: replay failed: %s\n", r.err);
            failed = 1;
            continue;
        }
        snprintf(what, sizeof what, "%s: fast replay, %s", label, kernels[k]);
        printf("%-38s %10.0f %8.3f %12.0f %10.5f  IOTLB hit rate %.3f\n", what, r.metrics[0],
               r.host_seconds, r.metrics[0] / r.host_seconds, (double)r.events / r.metrics[0],
               r.metrics[1]);
    }
    return failed;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    const char *given = argc > 1 + quick ? argv[1 + quick] : NULL;
    printf("%-38s %10s %8s %12s %10s\n", "measurement", "records", "host s", "records/s",
           "events/rec");
    if (given)
        return measure(given, given, quick);
    static const char *const windows[] = {"128KiB", "1MiB"};
    static const char *const labels[] = {"128 KiB (hits)", "1 MiB (walks)"};
    int failed = 0;
    for (int i = 0; i < 2; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/bench-trace-%ld-%d.dmat.gz",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid(), i);
        if (record(path, windows[i], quick ? "1000" : "20000") < 0)
            return 1;
        failed |= measure(labels[i], path, quick);
        unlink(path);
    }
    return failed;
}
