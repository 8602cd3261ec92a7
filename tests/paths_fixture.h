/* A paths workload point for the path tests, on the shared rig's registry, kernel and
 * statistics (tests/rig.h): a 10 GbE NIC, the native kernel; built and run the way a
 * point runs (warm-up, statistics start, measured interval), with every stat readable
 * by name. */
#ifndef TESTS_PATHS_FIXTURE_H
#define TESTS_PATHS_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/hv.h"
#include "sim/kernel.h"
#include "sim/run.h"
#include "systems/kinds.h"
#include "tests/rig.h"

typedef struct ptfx {
    rig r;
    void *sys;
} ptfx;

static inline void ptfx_set(ptfx *f, const char *name, const char *value)
{
    rig_set(&f->r, name, value);
}

static inline void ptfx_params(ptfx *f, const char *path, const char *pattern)
{
    f->sys = NULL;
    rig_init(&f->r);
    ptfx_set(f, "workload.kind", "paths");
    ptfx_set(f, "run.kernel", "native");
    ptfx_set(f, "nic.line_gbps", "10");
    ptfx_set(f, "io.path", path);
    ptfx_set(f, "traffic.pattern", pattern);
}

/* Checks the parameters and builds the system; seed NULL: the rig's seed. */
static inline void ptfx_build_with(ptfx *f, const uint64_t *seed)
{
    sim_err e = {{0}};
    ck_assert_msg(systems_ops.check(f->r.p, &e) == 0, "%s", e.msg);
    sim_ctx ctx = rig_start(&f->r);
    if (seed)
        ctx.seed = *seed;
    f->sys = systems_ops.build(&ctx, &e);
    ck_assert_msg(f->sys, "%s", e.msg);
}

static inline void ptfx_build(ptfx *f) { ptfx_build_with(f, NULL); }
static inline void ptfx_build_seeded(ptfx *f, uint64_t seed) { ptfx_build_with(f, &seed); }

/* Runs warm-up, then the measured interval (microseconds). */
static inline void ptfx_run(ptfx *f, double warm_us, double dur_us)
{
    rig_run(&f->r, warm_us, dur_us);
}

static inline double ptfx_stat(const ptfx *f, const char *name) { return rig_stat(&f->r, name); }

/* No exit a packet could cause was counted in the window (a device model's or a kick's,
 * a hypercall, an interrupt's and its EOI, an IPI, a configuration access): what is
 * left are the timer's and the halts'. */
static inline void ptfx_assert_no_packet_exits(const ptfx *f)
{
    static const char *const per_pkt[] = {"mmio_user", "mmio_kernel", "hypercall", "extint",
                                          "eoi",       "ipi",         "config"};
    for (unsigned i = 0; i < sizeof per_pkt / sizeof per_pkt[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "hv.exits.%s", per_pkt[i]);
        ck_assert_msg(ptfx_stat(f, name) == 0, "%s during traffic", name);
    }
}

static inline void ptfx_free(ptfx *f)
{
    if (f->sys)
        systems_ops.destroy(f->sys);
    f->sys = NULL;
    rig_free(&f->r);
}

#endif
