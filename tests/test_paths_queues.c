/* Multi-queue VMs on the I/O paths (io.queues): each queue pair is a lane with a vCPU,
 * an interrupt aimed at that vCPU, and a back-end thread of its own; received flows
 * are spread over the queues by RSS (the NIC's for assigned functions, the VM's
 * device for virtual ones), and what a lane sends comes back to it. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/paths_fixture.h"

static double core_util(const ptfx *f, unsigned core)
{
    char name[64];
    snprintf(name, sizeof name, "cpu.core%u.util", core);
    return ptfx_stat(f, name);
}

/* The NIC's RSS spreads a VF's received flows over its two queues, each taken by its
 * own vCPU: both vCPUs work alike and everything offered arrives. */
START_TEST(test_rss_spreads_over_vcpus)
{
    ptfx f;
    ptfx_params(&f, "sriov", "stream_rx");
    ptfx_set(&f, "io.queues", "2");
    ptfx_set(&f, "traffic.offered_gbps", "0.2");
    ptfx_set(&f, "io.irq_affinity", "vcpu"); /* each queue's interrupt on its own vCPU */
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    /* place.host_cores = 1: the VM's vCPUs are cores 1 and 2. */
    double a = core_util(&f, 1), b = core_util(&f, 2);
    ck_assert(a > 0.05 && b > 0.05);
    ck_assert(fabs(a / b - 1.0) < 0.1);
    ck_assert_double_eq(core_util(&f, 3), 0);
    double offered_mpps = 0.2e3 / (60 * 8.0);
    ck_assert(fabs(ptfx_stat(&f, "throughput_mpps") / offered_mpps - 1.0) < 0.02);
    ck_assert_double_eq(ptfx_stat(&f, "drops"), 0);
    ptfx_free(&f);
}
END_TEST

/* A CPU-bound sender scales with its queues: a thread (vCPU) per queue pair. */
START_TEST(test_queues_scale_cpu_bound_sending)
{
    double mpps[2];
    const char *queues[2] = {"1", "2"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        ptfx_params(&f, "native", "stream_tx");
        ptfx_set(&f, "io.queues", queues[i]);
        ptfx_build(&f);
        ptfx_run(&f, 300, 1000);
        mpps[i] = ptfx_stat(&f, "throughput_mpps");
        ptfx_free(&f);
    }
    ck_assert(mpps[1] / mpps[0] > 1.9 && mpps[1] / mpps[0] < 2.05);
}
END_TEST

/* Multi-queue virtio: a vhost worker per virtqueue pair, each on its own core. */
START_TEST(test_vhost_worker_per_queue)
{
    ptfx f;
    ptfx_params(&f, "paravirt", "stream_tx");
    ptfx_set(&f, "io.queues", "2");
    ptfx_build(&f);
    ptfx_run(&f, 300, 1000);
    /* vCPUs on cores 1 and 2, the two vhost workers after them on 3 and 4. */
    for (unsigned c = 1; c <= 4; c++)
        ck_assert(core_util(&f, c) > 0.3);
    ck_assert_double_eq(core_util(&f, 5), 0);
    ptfx_free(&f);
}
END_TEST

/* Request-response with a connection per lane: each response comes back to the queue
 * (and vCPU) that sent its request, so two lanes carry twice the transactions. */
START_TEST(test_responses_return_to_their_lane)
{
    double mpps[2];
    const char *queues[2] = {"1", "2"};
    for (int i = 0; i < 2; i++) {
        ptfx f;
        ptfx_params(&f, "sriov", "rr");
        ptfx_set(&f, "io.queues", queues[i]);
        ptfx_build(&f);
        ptfx_run(&f, 300, 1000);
        mpps[i] = ptfx_stat(&f, "throughput_mpps");
        ck_assert_double_eq(ptfx_stat(&f, "net.misdelivered"), 0);
        ptfx_free(&f);
    }
    ck_assert(fabs(mpps[1] / mpps[0] - 2.0) < 0.05);
}
END_TEST

static void refused(const char *path, const char *queues, const char *vms, const char *word)
{
    ptfx f;
    sim_err e = {{0}};
    ptfx_params(&f, path, "stream_tx");
    ptfx_set(&f, "io.queues", queues);
    ptfx_set(&f, "traffic.vms", vms);
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), -1);
    ck_assert_msg(strstr(e.msg, "io.queues") && strstr(e.msg, word), "%s", e.msg);
    rig_free(&f.r);
}

/* Queue counts the devices cannot have are refused, naming the limit. */
START_TEST(test_queue_limits)
{
    refused("emulated", "2", "1", "e1000");
    refused("sriov", "3", "1", "nic.queues_per_vf");
    refused("passthrough", "64", "1", "nic.pf_queues");
    refused("native", "8", "4", "nic.pf_queues");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("paths-queues");
    TCase *tc = tcase_create("queues");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_rss_spreads_over_vcpus);
    tcase_add_test(tc, test_queues_scale_cpu_bound_sending);
    tcase_add_test(tc, test_vhost_worker_per_queue);
    tcase_add_test(tc, test_responses_return_to_their_lane);
    tcase_add_test(tc, test_queue_limits);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
