/* A net workload point for the path tests: the whole registry with the model layer's
 * defaults, a 10 GbE NIC, the native kernel; built and run the way a point runs
 * (warm-up, statistics start, measured interval), with every stat readable by name. */
#ifndef TESTS_PATHS_FIXTURE_H
#define TESTS_PATHS_FIXTURE_H

#include <check.h>
#include <stdlib.h>

#include "host/hv.h"
#include "sim/kernel.h"
#include "sim/run.h"
#include "systems/kinds.h"

typedef struct ptfx {
    sim_params *p;
    sim_kernel *k;
    sim_stats *st;
    void *sys;
} ptfx;

static inline void ptfx_set(ptfx *f, const char *name, const char *value)
{
    sim_err e;
    ck_assert_msg(sim_params_set(f->p, name, value, "test", &e) == 0, "%s", e.msg);
}

static inline void ptfx_params(ptfx *f, const char *path, const char *pattern)
{
    f->p = sim_params_create();
    f->k = NULL;
    f->st = NULL;
    f->sys = NULL;
    sim_run_register_params(f->p);
    systems_ops.register_params(f->p);
    ptfx_set(f, "workload.kind", "paths");
    ptfx_set(f, "run.kernel", "native");
    ptfx_set(f, "nic.line_gbps", "10");
    ptfx_set(f, "io.path", path);
    ptfx_set(f, "traffic.pattern", pattern);
}

static inline void ptfx_build(ptfx *f)
{
    sim_err e = {{0}};
    ck_assert_msg(systems_ops.check(f->p, &e) == 0, "%s", e.msg);
    f->k = sim_kernel_create(SIM_KERNEL_NATIVE, &e);
    ck_assert_msg(f->k, "%s", e.msg);
    f->st = sim_stats_create();
    sim_ctx ctx = {.kernel = f->k, .params = f->p, .stats = f->st, .seed = 1};
    f->sys = systems_ops.build(&ctx, &e);
    ck_assert_msg(f->sys, "%s", e.msg);
}

/* Runs warm-up, then the measured interval (microseconds). */
static inline void ptfx_run(ptfx *f, double warm_us, double dur_us)
{
    uint64_t w = (uint64_t)(warm_us * SIM_PS_PER_US), d = (uint64_t)(dur_us * SIM_PS_PER_US);
    sim_kernel_run_until(f->k, w);
    sim_stats_start(f->st, w);
    sim_kernel_run_until(f->k, w + d);
    sim_stats_end(f->st, w + d);
}

static inline double ptfx_stat(const ptfx *f, const char *name)
{
    double v = 0;
    ck_assert_msg(sim_stats_get(f->st, name, &v), "no stat %s", name);
    return v;
}

static inline void ptfx_free(ptfx *f)
{
    if (f->sys)
        systems_ops.destroy(f->sys);
    sim_stats_destroy(f->st);
    sim_kernel_destroy(f->k);
    sim_params_destroy(f->p);
    f->sys = NULL;
    f->st = NULL;
    f->k = NULL;
    f->p = NULL;
}

#endif
