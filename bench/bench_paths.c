/* Speed of the I/O paths (workload.kind = paths): simulated packets per host second and
 * kernel events per packet, for every path on both kernels, on the platform's costs
 * with a 10 GbE port: MTU streaming from the VMs (8 where the path shares the NIC, one
 * for native and passthrough; vmdq's driver domain gets a PF queue per VM besides its
 * own), 64-byte request-response from one VM, and the MTU streams again without the
 * host memory's LLC model (mem.llc_bytes = 0), whose per-line look-ups cost much of an
 * MTU packet. Each case is one long run (1 s of simulated time for streams, 5 s for
 * request-response: ~100k to 800k packets), so building the system is a small part of
 * it; every run is its own forked process (one SystemC elaboration per process). Host
 * time is wall time: run it on an idle machine (bench/icount.sh counts instructions
 * instead, the same on every run). Nothing is asserted.
 *
 * usage: bench_paths [--quick] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_point.h"
#include "systems/kinds.h"

typedef struct scenario {
    const char *name, *pattern, *frame;
    int many_vms;          /* 8 VMs where the path shares the NIC */
    const char *llc_bytes; /* "0": without the LLC model */
    double duration_us;
} scenario;

static const char *const paths[] = {"native", "emulated", "paravirt", "devdomain", "passthrough",
                                    "sriov",  "vmdq",     "vdpa",     "vhostuser", "siov"};

static int run_one(const char *kernel, const char *path, const scenario *sc, double duration_us,
                   bench_point *r)
{
    char dur[32];
    snprintf(dur, sizeof dur, "%g", duration_us);
    int shares = strcmp(path, "native") && strcmp(path, "passthrough");
    const char *vms = sc->many_vms && shares ? "8" : "1";
    sim_params *p = bench_registry(&systems_ops);
    if (bench_set(p, "workload.kind", "paths") || bench_set(p, "run.kernel", kernel) ||
        bench_set(p, "nic.line_gbps", "10") || bench_set(p, "cpu.cores", "20") ||
        bench_set(p, "io.path", path) || bench_set(p, "traffic.pattern", sc->pattern) ||
        bench_set(p, "traffic.packet_bytes", sc->frame) || bench_set(p, "traffic.vms", vms) ||
        bench_set(p, "run.warmup_us", "0") || bench_set(p, "run.duration_us", dur) ||
        bench_set(p, "run.timeout_s", "0") ||
        ((!strcmp(path, "vmdq") || !strcmp(path, "siov")) &&
         bench_set(p, "nic.pf_queues", "32")) ||
        (!strcmp(path, "siov") && bench_set(p, "iommu.scalable", "true")) ||
        (sc->llc_bytes && bench_set(p, "mem.llc_bytes", sc->llc_bytes))) {
        sim_params_destroy(p);
        return -1;
    }
    char what[96];
    snprintf(what, sizeof what, "bench_paths: %s %s", path, sc->name);
    return bench_run_metric(p, "throughput_mpps", r, what);
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    static const char *const kernels[] = {"native", "systemc"};
    static const scenario sc[] = {
        {"mtu-tx", "stream_tx", "1518", 1, NULL, 1e6},
        {"64-rr", "rr", "64", 0, NULL, 5e6},
        {"mtu-nollc", "stream_tx", "1518", 1, "0", 1e6},
    };
    printf("%-8s %-12s %-9s %12s %10s %12s\n", "kernel", "path", "traffic", "packets/s",
           "Mpps sim", "events/pkt");
    int failed = 0;
    for (size_t k = 0; k < 2; k++)
        for (size_t s = 0; s < sizeof sc / sizeof sc[0]; s++)
            for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
                double d = quick ? sc[s].duration_us / 20 : sc[s].duration_us;
                bench_point a;
                if (run_one(kernels[k], paths[i], &sc[s], d, &a) < 0) {
                    failed = 1;
                    continue;
                }
                double pkts = a.metrics[0] * d;
                printf("%-8s %-12s %-9s %12.0f %10.3f %12.3f\n", kernels[k], paths[i], sc[s].name,
                       a.host_seconds > 0 ? pkts / a.host_seconds : NAN, a.metrics[0],
                       pkts > 0 ? (double)a.events / pkts : NAN);
                fflush(stdout);
            }
    return failed;
}
