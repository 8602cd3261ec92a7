/* DMA benchmark speed: simulated DMA transfers per host second, and kernel events per
 * transfer, for both kernels, on the DMA micro-benchmark (Gen3 x8, 64-byte and 1500-byte
 * reads and writes with 256 in flight). Each measurement runs in its own process.
 *
 * usage: bench_dma [--quick] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_point.h"
#include "systems/kinds.h"

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    static const char *const kernels[] = {"native", "systemc"};
    static const char *const ops[] = {"read", "write"};
    static const char *const sizes[] = {"64", "1500"};
    const char *duration = quick ? "200" : "5000";
    printf("%-8s %-6s %6s %12s %10s %14s %12s\n", "kernel", "op", "bytes", "transfers",
           "host s", "transfers/s", "events/xfer");
    int failed = 0;
    for (size_t k = 0; k < 2; k++)
        for (size_t o = 0; o < 2; o++)
            for (size_t s = 0; s < 2; s++) {
                sim_params *p = bench_registry(&systems_ops);
                if (bench_set(p, "workload.kind", "dma") || bench_set(p, "run.kernel", kernels[k]) ||
                    bench_set(p, "dma.op", ops[o]) || bench_set(p, "dma.size_bytes", sizes[s]) ||
                    bench_set(p, "dma.outstanding", "256") || bench_set(p, "run.warmup_us", "0") ||
                    bench_set(p, "run.duration_us", duration))
                    return 2;
                bench_point r;
                if (bench_run_metric(p, "dma_mtps", &r, "bench_dma") < 0) {
                    failed = 1;
                    continue;
                }
                double transfers = r.metrics[0] * atof(duration);
                printf("%-8s %-6s %6s %12.0f %10.3f %14.0f %12.2f\n", kernels[k], ops[o], sizes[s],
                       transfers, r.host_seconds, transfers / r.host_seconds,
                       (double)r.events / transfers);
            }
    return failed;
}
