/* The run's timeline from the trace.timeline* parameters (see traces/timeline_record.h). */
#include "traces/timeline_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/files.h"
#include "sim/kernel.h"

typedef struct timeline_cfg {
    const char *file;
    uint64_t from_ps, to_ps;
    uint64_t every;
} timeline_cfg;

static const sim_param_def timeline_params[] = {
    {"trace.timeline", SIM_PARAM_STRING, "", NULL, "",
     "Write a timeline of the run (Chrome trace-event JSON: ui.perfetto.dev opens it; times "
     "to the ns) into this file in the point's results folder: core, PCIe, IOMMU walker, NIC "
     "queue (DMAs in flight on lanes) and wire tracks, and followed packets' stages joined by "
     "flows",
     SIM_AT(timeline_cfg, file)},
    {"trace.timeline_from_us", SIM_PARAM_DOUBLE, "0", "0..1e9", "us",
     "trace.timeline: the window's start in simulated time (warm-up included)",
     SIM_AT(timeline_cfg, from_ps)},
    {"trace.timeline_to_us", SIM_PARAM_DOUBLE, "1e9", "0..1e9", "us",
     "trace.timeline: the window's end (work overlapping [from, to) is written)",
     SIM_AT(timeline_cfg, to_ps)},
    {"trace.timeline_every", SIM_PARAM_UINT, "100", "1..1000000000", "packets",
     "trace.timeline: packets are numbered from the run's start; those whose number is a "
     "multiple of this (one in this many) are followed through the window",
     SIM_AT(timeline_cfg, every)},
};

void timeline_record_register_params(sim_params *p)
{
    sim_params_add_table(p, timeline_params, SIM_TABLE_LEN(timeline_params));
}

static timeline_cfg load(const sim_params *p)
{
    timeline_cfg c;
    sim_params_load_table(p, timeline_params, SIM_TABLE_LEN(timeline_params), &c);
    return c;
}

int timeline_record_check(const sim_params *p, sim_err *e)
{
    timeline_cfg c = load(p);
    if (!*c.file)
        return 0;
    if (sim_point_file_name_check("trace.timeline", c.file, e) < 0)
        return -1;
    if (c.to_ps <= c.from_ps)
        return sim_err_set(e, "trace.timeline_to_us = %g is not after trace.timeline_from_us "
                              "= %g: the window is empty",
                           (double)c.to_ps / SIM_PS_PER_US, (double)c.from_ps / SIM_PS_PER_US);
    return 0;
}

int timeline_record_start(const sim_ctx *ctx, sim_timeline **out, sim_err *e)
{
    *out = NULL;
    timeline_cfg c = load(ctx->params);
    if (!*c.file)
        return 0;
    char *path = ctx->dir ? sim_xasprintf("%s/%s", ctx->dir, c.file) : sim_xstrdup(c.file);
    *out = sim_timeline_open(path, c.from_ps, c.to_ps, (uint32_t)c.every, e);
    free(path);
    if (!*out) {
        sim_err_prefix(e, "trace.timeline");
        return -1;
    }
    return 0;
}

void timeline_record_finish(sim_timeline *tl, const sim_kernel *k)
{
    if (!tl)
        return;
    if (sim_kernel_events(k) == 0) {
        sim_timeline_abort(tl);
        return;
    }
    sim_err e = {{0}};
    if (sim_timeline_close(tl, &e) < 0)
        fprintf(stderr, "iovsim: trace.timeline: %s\n", e.msg);
}
