/* Request-response at a request rate (traffic.rr_requests_per_s):
 * the client sends open-loop, at the offered rate whether or not responses came back,
 * evenly spaced (paced) or with exponential gaps (poisson, traffic.arrivals) drawn from
 * the run's seed; latency is each request's round trip. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/paths_fixture.h"

/* 64-byte requests, `rate` a second, one VM. */
static void point(ptfx *f, const char *path, const char *rate, const char *arrivals,
                  uint64_t seed)
{
    ptfx_params(f, path, "rr");
    ptfx_set(f, "traffic.packet_bytes", "64");
    ptfx_set(f, "traffic.rr_requests_per_s", rate);
    ptfx_set(f, "traffic.arrivals", arrivals);
    ptfx_build_seeded(f, seed);
    ptfx_run(f, 1000, 20000);
}

/* Open loop: requests are due at the offered rate, 10,000 a second for 20 ms, whether
 * or not responses came back, and each is timed from when it was due. A path that cannot
 * answer that fast (the emulated e1000 at 200,000 a second) falls behind: it sends what
 * it can, and its round trips count the wait (a closed-loop client would instead slow
 * its requests down and hide it). */
START_TEST(test_sends_at_the_offered_rate)
{
    ptfx f;
    point(&f, "native", "10000", "paced", 1);
    ck_assert_double_eq_tol(ptfx_stat(&f, "net.sent"), 200, 1);
    ck_assert_double_eq_tol(ptfx_stat(&f, "net.delivered"), 200, 2);
    ptfx_free(&f);

    point(&f, "emulated", "10000", "paced", 1);
    double light_ns = ptfx_stat(&f, "latency_ns_p50");
    ptfx_free(&f);
    point(&f, "emulated", "200000", "paced", 1);
    double sent = ptfx_stat(&f, "net.sent"), lat_ns = ptfx_stat(&f, "latency_ns_p50");
    ck_assert_msg(sent < 0.5 * 4000, "emulated sent %g of 4000 due", sent);
    ck_assert_msg(lat_ns > 10 * light_ns, "emulated p50 %g ns overloaded, %g ns light", lat_ns,
                  light_ns);
    ptfx_free(&f);
}
END_TEST

/* Poisson arrivals of the same mean as paced ones sometimes come close together and
 * queue behind each other, or far apart and find a vCPU (thread) whose poll window has
 * shrunk: p99 rises above p50, and the mean above paced arrivals' mean. */
START_TEST(test_poisson_arrivals_spread_latency)
{
    const char *paths[] = {"native", "paravirt", "sriov"};
    for (unsigned i = 0; i < 3; i++) {
        ptfx f;
        point(&f, paths[i], "50000", "paced", 1);
        double paced_mean = ptfx_stat(&f, "latency_ns_mean");
        ptfx_free(&f);
        point(&f, paths[i], "50000", "poisson", 1);
        double p50 = ptfx_stat(&f, "latency_ns_p50"), p99 = ptfx_stat(&f, "latency_ns_p99");
        double mean = ptfx_stat(&f, "latency_ns_mean");
        ck_assert_double_eq_tol(ptfx_stat(&f, "net.sent"), 1000, 100);
        ptfx_free(&f);
        ck_assert_msg(p99 > 1.1 * p50 && mean > paced_mean,
                      "%s: paced mean %g, poisson mean %g p50 %g p99 %g", paths[i], paced_mean,
                      mean, p50, p99);
    }
}
END_TEST

/* The same seed repeats a Poisson point exactly; another seed draws other gaps (the OS
 * noise, which draws from the seed too, is off). */
START_TEST(test_seeded)
{
    double v[3];
    uint64_t seeds[3] = {7, 7, 8};
    for (int i = 0; i < 3; i++) {
        ptfx f;
        ptfx_params(&f, "native", "rr");
        ptfx_set(&f, "noise.detours", "false");
        ptfx_set(&f, "noise.refill", "false");
        ptfx_set(&f, "traffic.rr_requests_per_s", "50000");
        ptfx_set(&f, "traffic.arrivals", "poisson");
        ptfx_build_seeded(&f, seeds[i]);
        ptfx_run(&f, 1000, 20000);
        v[i] = ptfx_stat(&f, "latency_ns_mean");
        ptfx_free(&f);
    }
    ck_assert_double_eq(v[0], v[1]);
    ck_assert(v[0] != v[2]);
}
END_TEST

/* The application's own work per request (traffic.rr_app_cycles, 22,000 cycles: 10 us
 * at 2.2 GHz) is guest work on the vCPU: each closed-loop round trip grows by it, and
 * the guest's cycles by it per transaction. */
START_TEST(test_application_work)
{
    double lat[2], per[2];
    for (int i = 0; i < 2; i++) {
        ptfx f;
        ptfx_params(&f, "paravirt", "rr");
        ptfx_set(&f, "traffic.packet_bytes", "64");
        ptfx_set(&f, "traffic.rr_app_cycles", i ? "22000" : "0");
        ptfx_build(&f);
        ptfx_run(&f, 1000, 20000);
        lat[i] = ptfx_stat(&f, "latency_ns_mean");
        per[i] = ptfx_stat(&f, "cpu.guest_cycles") / ptfx_stat(&f, "net.delivered");
        ptfx_free(&f);
    }
    ck_assert_msg(fabs(lat[1] - lat[0] - 10000) < 1000, "round trip %g ns -> %g ns", lat[0],
                  lat[1]);
    ck_assert_msg(fabs(per[1] - per[0] - 22000) < 0.05 * 22000,
                  "guest cycles per transaction %g -> %g", per[0], per[1]);
}
END_TEST

/* An open-loop client has no outstanding limit, and each load has its parameter: the
 * mistaken combinations are refused with a message naming both. */
static void refused(const char *pattern, const char *name, const char *value, const char *other,
                    const char *other_value, const char *says)
{
    ptfx f;
    ptfx_params(&f, "native", pattern);
    ptfx_set(&f, name, value);
    if (other)
        ptfx_set(&f, other, other_value);
    sim_err e = {{0}};
    ck_assert_int_eq(systems_ops.check(f.r.p, &e), -1);
    ck_assert_msg(strstr(e.msg, name) && strstr(e.msg, says), "%s", e.msg);
    ptfx_free(&f);
}

START_TEST(test_mistakes_refused)
{
    refused("rr", "traffic.rr_requests_per_s", "1000", "traffic.rr_outstanding", "8",
            "traffic.rr_outstanding");
    refused("rr", "traffic.offered_gbps", "1", NULL, NULL, "traffic.rr_requests_per_s");
    refused("stream_tx", "traffic.rr_requests_per_s", "1000", NULL, NULL, "traffic.offered_gbps");
    refused("stream_rx", "traffic.rr_app_cycles", "1000", NULL, NULL, "traffic.pattern = rr");
    refused("rr", "traffic.rr_requests_per_s", "0.5", NULL, NULL, "one request a second");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rr_load");
    TCase *tc = tcase_create("open_loop");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sends_at_the_offered_rate);
    tcase_add_test(tc, test_poisson_arrivals_spread_latency);
    tcase_add_test(tc, test_seeded);
    tcase_add_test(tc, test_application_work);
    tcase_add_test(tc, test_mistakes_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
