/* The shared test rig: the whole parameter registry as a run has it (run.*, every
 * component and workload kind) with a test's settings, statistics, a native kernel,
 * and the platform of systems/platform.h: memory, the PCIe link, the root complex, the
 * configuration bus, and the IOMMU (when asked, or when iommu.mode is not off). Tests
 * of one model use the parts they need (r.pf->link, r.pf->iommu, ...) on the same
 * platform a run builds, wired the same way.
 *
 *   rig r;
 *   rig_init(&r);
 *   rig_set(&r, "pcie.rc_ph_credits", "4");
 *   rig_build(&r, false);
 *   ... pcie_link_send(r.pf->link, ...), rig_stat(&r, "pcie.up.tlps") ...
 *   rig_free(&r);
 */
#ifndef TESTS_RIG_H
#define TESTS_RIG_H

#include <check.h>
#include <math.h>
#include <stdbool.h>

#include "sim/kernel.h"
#include "sim/run.h"
#include "systems/kinds.h"
#include "systems/platform.h"

typedef struct rig {
    sim_params *p;
    sim_stats *s;
    sim_kernel *k;
    platform *pf;
} rig;

/* A registry as a run has it: the run's parameters and every component's and kind's. */
static inline sim_params *rig_registry(void)
{
    sim_params *p = sim_params_create();
    sim_run_register_params(p);
    systems_ops.register_params(p);
    return p;
}

static inline void rig_init(rig *r) { *r = (rig){.p = rig_registry()}; }

/* Sets a parameter of a registry a test holds, failing the test if it is refused. */
static inline void rig_param_set(sim_params *p, const char *name, const char *value)
{
    sim_err e;
    ck_assert_msg(sim_params_set(p, name, value, "test", &e) == 0, "%s", e.msg);
}

static inline void rig_set(rig *r, const char *name, const char *value)
{
    rig_param_set(r->p, name, value);
}

/* The kernel and the statistics, for a test that builds a whole system itself. */
static inline sim_ctx rig_start(rig *r)
{
    sim_err e = {{0}};
    r->k = sim_kernel_create(SIM_KERNEL_NATIVE, &e);
    ck_assert_msg(r->k, "%s", e.msg);
    r->s = sim_stats_create();
    return (sim_ctx){.kernel = r->k, .params = r->p, .stats = r->s, .seed = 1};
}

/* Checks the platform's parameters (a test's setting that the run would refuse fails
 * here) and creates the kernel, the statistics and the platform. */
static inline void rig_build(rig *r, bool with_iommu)
{
    sim_err e = {{0}};
    ck_assert_msg(platform_check(r->p, &e) == 0, "%s", e.msg);
    sim_ctx ctx = rig_start(r);
    r->pf = platform_create(&ctx, NULL, with_iommu);
}

/* Runs the kernel to end_ps; the test fails if the kernel stopped or failed. */
static inline void rig_run_until(rig *r, uint64_t end_ps)
{
    sim_run_status st = sim_kernel_run_until(r->k, end_ps);
    ck_assert_msg(st == SIM_RUN_TIME || st == SIM_RUN_IDLE, "the kernel returned %d: %s", st,
                  sim_kernel_error(r->k));
}

/* Runs to warm_us, starts the statistics, runs dur_us more and ends them, as a point's
 * measured interval does (times rounded to the nearest picosecond). */
static inline void rig_run(rig *r, double warm_us, double dur_us)
{
    uint64_t w = (uint64_t)llround(warm_us * SIM_PS_PER_US);
    uint64_t d = (uint64_t)llround(dur_us * SIM_PS_PER_US);
    rig_run_until(r, w);
    sim_stats_start(r->s, w);
    rig_run_until(r, w + d);
    sim_stats_end(r->s, w + d);
}

static inline double rig_stat(const rig *r, const char *name)
{
    double v = -1;
    ck_assert_msg(sim_stats_get(r->s, name, &v), "no stat %s", name);
    return v;
}

static inline void rig_free(rig *r)
{
    platform_destroy(r->pf);
    sim_stats_destroy(r->s);
    sim_kernel_destroy(r->k);
    sim_params_destroy(r->p);
    *r = (rig){0};
}

#endif
