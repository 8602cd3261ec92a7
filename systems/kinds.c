#include "systems/kinds.h"

#include <stdlib.h>
#include <string.h>

#include "models/iommu/iommu.h"
#include "models/mem/mem.h"
#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "systems/dma.h"
#include "systems/mdq.h"
#include "systems/nic.h"
#include "systems/paths.h"
#include "systems/trace_replay.h"
#include "traces/trace_record.h"

/* One entry per workload kind: the system it builds. Models register their
 * parameters whatever the kind, so `iovsim params` lists them all and a workload file
 * is checked against the whole registry. */
typedef struct workload_kind {
    const char *name;
    int (*check)(const sim_params *p, sim_err *e);
    void *(*build)(const sim_ctx *ctx, sim_err *e);
    void (*destroy)(void *system);
} workload_kind;

static int dma_check(const sim_params *p, sim_err *e)
{
    if (pcie_link_check(p, e) < 0 || mem_check(p, e) < 0 || iommu_check(p, e) < 0)
        return -1;
    return dmabench_check(p, e);
}

/* The first kind is the default. */
static const workload_kind kinds[] = {
    {"dma", dma_check, dmabench_build, dmabench_destroy},
    {"mdq", mdq_check, mdq_build, mdq_destroy},
    {"nic", nicload_check, nicload_build, nicload_destroy},
    {"net", net_check, net_build, net_destroy},
    {"trace", trace_replay_check, trace_replay_build, trace_replay_destroy},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* A built system remembers its kind so destroy goes to the right model. */
typedef struct system {
    const workload_kind *kind;
    void *model;
    trace_recorder *recorder; /* trace.record */
} built_system;

static void system_register_params(sim_params *p)
{
    char choices[256] = "";
    for (size_t i = 0; i < N_KINDS; i++) {
        if (i)
            strcat(choices, "|");
        strcat(choices, kinds[i].name);
    }
    sim_params_add_enum(p, "workload.kind", kinds[0].name, choices,
                        "What a point simulates: dma = device DMA micro-benchmark over PCIe; "
                        "mdq = M/D/1 queue (framework self-check); nic = SR-IOV NIC traffic; "
                        "net = the I/O paths (io.path) under network traffic; "
                        "trace = replay a DMA trace (trace.file)");
    mdq_register_params(p);
    mem_register_params(p);
    pcie_link_register_params(p);
    pcie_rc_register_params(p);
    dmabench_register_params(p);
    iommu_register_params(p);
    trace_replay_register_params(p);
    trace_record_register_params(p);
    nicload_register_params(p);
    net_register_params(p);
}

static const workload_kind *kind_of(const sim_params *p)
{
    return &kinds[sim_params_enum_index(p, "workload.kind")];
}

static int system_check(const sim_params *p, sim_err *e)
{
    const workload_kind *k = kind_of(p);
    return k->check ? k->check(p, e) : 0;
}

static void *system_build(const sim_ctx *ctx, sim_err *e)
{
    const workload_kind *k = kind_of(ctx->params);
    /* The recorder observes whatever this build creates (root complexes, DMA APIs). */
    trace_recorder *rec = trace_recorder_start(ctx, e);
    if (!rec && *sim_params_string(ctx->params, "trace.record"))
        return NULL;
    void *model = k->build(ctx, e);
    trace_recorder_built(rec);
    if (!model) {
        trace_recorder_finish(rec);
        return NULL;
    }
    built_system *s = calloc(1, sizeof *s);
    if (!s) {
        k->destroy(model);
        trace_recorder_finish(rec);
        sim_err_set(e, "out of memory");
        return NULL;
    }
    s->kind = k;
    s->model = model;
    s->recorder = rec;
    return s;
}

static void system_destroy(void *sys)
{
    built_system *s = sys;
    s->kind->destroy(s->model);
    trace_recorder_finish(s->recorder);
    free(s);
}

const sim_model_ops system_ops = {
    .register_params = system_register_params,
    .check = system_check,
    .build = system_build,
    .destroy = system_destroy,
};
