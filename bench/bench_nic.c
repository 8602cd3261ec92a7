/* NIC model speed: simulated packets per host second and kernel events per packet, on
 * both kernels, for SR-IOV workloads (Gen3 x8, 40 GbE): MTU streaming from 8 VMs (the
 * case the I/O path studies run most), 64-byte transmit on the PF (the calibration
 * point), 64-byte receive into 8 VMs, and MTU traffic between VMs through the embedded
 * switch. Every point runs in its own forked process (one SystemC elaboration per
 * process). Nothing is asserted about the speed.
 *
 * usage: bench_nic [--quick] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_point.h"
#include "models/system.h"

typedef struct scenario {
    const char *name;
    const char *vms, *qp, *frame, *dir;
} scenario;

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    static const char *const kernels[] = {"native", "systemc"};
    static const scenario sc[] = {
        {"sriov-mtu-tx", "8", "2", "1518", "tx"},
        {"sriov-mtu-rx", "8", "2", "1518", "rx"},
        {"pf-64-tx", "0", "4", "64", "tx"},
        {"sriov-64-rx", "8", "2", "64", "rx"},
        {"vf2vf-mtu", "8", "2", "1518", "vf-to-vf"},
    };
    static const char *const metric[] = {"throughput_mpps"};
    const char *duration = quick ? "200" : "5000";
    printf("%-8s %-13s %12s %8s %14s %12s\n", "kernel", "workload", "packets", "host s",
           "packets/s", "events/pkt");
    int failed = 0;
    for (size_t k = 0; k < 2; k++)
        for (size_t s = 0; s < sizeof sc / sizeof sc[0]; s++) {
            sim_params *p = bench_registry(&system_ops);
            if (bench_set(p, "workload.kind", "nic") || bench_set(p, "run.kernel", kernels[k]) ||
                bench_set(p, "nic.total_queues", "256") || bench_set(p, "nic.vfs", "64") ||
                bench_set(p, "nicload.vms", sc[s].vms) ||
                bench_set(p, "nicload.queue_pairs", sc[s].qp) ||
                bench_set(p, "nicload.frame_bytes", sc[s].frame) ||
                bench_set(p, "nicload.direction", sc[s].dir) ||
                bench_set(p, "run.warmup_us", "0") || bench_set(p, "run.duration_us", duration))
                return 2;
            if (!strcmp(sc[s].vms, "0") &&
                (bench_set(p, "nic.vfs", "0") || bench_set(p, "nic.pf_queues", "4") ||
                 bench_set(p, "nicdrv.tx_head_read_pkts", "1")))
                return 2;
            bench_point r;
            bench_run_forked(&system_ops, p, metric, 1, &r);
            sim_params_destroy(p);
            if (!r.ok) {
                fprintf(stderr, "bench_nic: %s\n", r.err);
                failed = 1;
                continue;
            }
            double pkts = r.metrics[0] * atof(duration);
            printf("%-8s %-13s %12.0f %8.3f %14.0f %12.3f\n", kernels[k], sc[s].name, pkts,
                   r.host_seconds, pkts / r.host_seconds, pkts > 0 ? (double)r.events / pkts : NAN);
        }
    return failed;
}
