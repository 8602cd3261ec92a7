/* NIC model speed: simulated packets per host second and kernel events per packet, on
 * both kernels, for SR-IOV workloads (Gen3 x8, 40 GbE, 64 VFs enabled): MTU streaming
 * to and from 8 VMs (the case the I/O path studies run most), 64-byte transmit on the
 * PF (the calibration point), 64-byte receive into 8 VMs, and MTU traffic between VMs
 * through the embedded switch; the two MTU cases also without the host memory's LLC
 * model (mem.llc_bytes = 0), whose per-line look-ups are much of the cost of a
 * packet. Building a system (host memory's cache arrays, 64 VFs)
 * costs a fixed ~0.1 s, so each case runs twice, for D and 2D of simulated time, and
 * the speed is the difference: what one more simulated second costs. Every run is its
 * own forked process (one SystemC elaboration per process). Nothing is asserted. The
 * drivers are pcie-bench's model of them, as the NIC workloads count them: the PF's
 * (nicdrv.*) reads the transmit head register with every packet, and both roles
 * (nicdrv.*, vfdrv.*) post receive buffers 32 at a time, with its fixed interrupt
 * moderation (itr = static).
 *
 * usage: bench_nic [--quick] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_point.h"
#include "systems/kinds.h"

typedef struct scenario {
    const char *name;
    const char *vms, *qp, *frame, *dir;
    const char *llc_bytes; /* "0": without the LLC model, to show the NIC's own cost */
} scenario;

static int run_one(const char *kernel, const scenario *sc, double duration_us, bench_point *r)
{
    char dur[32];
    snprintf(dur, sizeof dur, "%g", duration_us);
    sim_params *p = bench_registry(&systems_ops);
    int native = !strcmp(sc->vms, "0");
    if (bench_set(p, "workload.kind", "nic") || bench_set(p, "run.kernel", kernel) ||
        bench_set(p, "nic.total_queues", "256") || bench_set(p, "nic.vfs", native ? "0" : "64") ||
        bench_set(p, "nic.pf_queues", native ? "4" : "2") ||
        (native && bench_set(p, "nicdrv.tx_head_read_pkts", "1")) ||
        bench_set(p, native ? "nicdrv.rx_refill" : "vfdrv.rx_refill", "32") ||
        bench_set(p, native ? "nicdrv.itr" : "vfdrv.itr", "static") ||
        bench_set(p, "nicload.vms", sc->vms) || bench_set(p, "nicload.queue_pairs", sc->qp) ||
        bench_set(p, "nicload.frame_bytes", sc->frame) ||
        bench_set(p, "nicload.direction", sc->dir) || bench_set(p, "run.warmup_us", "0") ||
        (sc->llc_bytes && bench_set(p, "mem.llc_bytes", sc->llc_bytes)) ||
        bench_set(p, "run.duration_us", dur)) {
        sim_params_destroy(p);
        return -1;
    }
    return bench_run_metric(p, "throughput_mpps", r, "bench_nic");
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    static const char *const kernels[] = {"native", "systemc"};
    static const scenario sc[] = {
        {"sriov-mtu-tx", "8", "2", "1518", "tx", NULL},
        {"sriov-mtu-rx", "8", "2", "1518", "rx", NULL},
        {"mtu-tx-nollc", "8", "2", "1518", "tx", "0"},
        {"mtu-rx-nollc", "8", "2", "1518", "rx", "0"},
        {"pf-64-tx", "0", "4", "64", "tx", NULL},
        {"sriov-64-rx", "8", "2", "64", "rx", NULL},
        {"vf2vf-mtu", "8", "2", "1518", "vf-to-vf", NULL},
    };
    double d = quick ? 1000 : 20000; /* us */
    printf("%-8s %-13s %12s %10s %14s %12s\n", "kernel", "workload", "packets/s", "Mpps sim",
           "host s/sim ms", "events/pkt");
    int failed = 0;
    for (size_t k = 0; k < 2; k++)
        for (size_t s = 0; s < sizeof sc / sizeof sc[0]; s++) {
            bench_point a, b;
            if (run_one(kernels[k], &sc[s], d, &a) < 0 || run_one(kernels[k], &sc[s], 2 * d, &b) < 0) {
                failed = 1;
                continue;
            }
            double pa = a.metrics[0] * d, pb = b.metrics[0] * 2 * d;
            double dp = pb - pa, dh = b.host_seconds - a.host_seconds;
            double de = (double)b.events - (double)a.events;
            printf("%-8s %-13s %12.0f %10.3f %14.4f %12.3f\n", kernels[k], sc[s].name,
                   dh > 0 ? dp / dh : NAN, b.metrics[0], dh / (d / 1000.0), dp > 0 ? de / dp : NAN);
        }
    return failed;
}
