#include "systems/kinds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/cpu.h"
#include "host/hv.h"
#include "host/iopath/path.h"
#include "host/failover.h"
#include "host/migrate.h"
#include "host/nicdrv.h"
#include "host/vswitch.h"
#include "models/flash/flash.h"
#include "host/blkimg.h"
#include "host/pcache.h"
#include "host/blkpath/path.h"
#include "host/nvmedrv.h"
#include "models/nvme/nvme.h"
#include "models/nic/nic.h"
#include "models/nic/partner.h"
#include "sim/alloc.h"
#include "traces/pcap_record.h"
#include "traces/timeline_record.h"
#include "traces/trace_record.h"

/* The first kind is the default. */
static const sys_kind *const kinds[] = {
    &sys_kind_dma, &sys_kind_mdq, &sys_kind_nic, &sys_kind_paths, &sys_kind_trace,
    &sys_kind_storage,
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

size_t systems_kinds(void) { return N_KINDS; }

const sys_kind *systems_kind_at(size_t i) { return i < N_KINDS ? kinds[i] : NULL; }

/* A built system remembers its kind so destroy goes to the right one. */
typedef struct built_system {
    const sys_kind *kind;
    void *model;
    trace_recorder *recorder; /* trace.record */
    pcap_recorder *capture;   /* trace.pcap */
    sim_timeline *timeline;   /* trace.timeline */
    sim_kernel *kernel;
} built_system;

static void systems_register_params(sim_params *p)
{
    char choices[256] = "", doc[1024] = "What a point simulates:";
    for (size_t i = 0; i < N_KINDS; i++) {
        size_t c = strlen(choices), d = strlen(doc);
        snprintf(choices + c, sizeof choices - c, "%s%s", i ? "|" : "", kinds[i]->name);
        snprintf(doc + d, sizeof doc - d, "%s %s = %s", i ? ";" : "", kinds[i]->name,
                 kinds[i]->doc);
    }
    sim_params_add_enum(p, "workload.kind", kinds[0]->name, choices, doc);
    /* The components every kind may build, once each. */
    platform_register_params(p);
    cpu_register_params(p);
    hv_register_params(p);
    vswitch_register_params(p);
    path_register_params(p);
    nic_register_params(p);
    nic_drv_register_params(p);
    nic_partner_register_params(p);
    flash_register_params(p);
    nvme_register_params(p);
    nvme_drv_register_params(p);
    blk_path_register_params(p);
    blk_img_register_params(p);
    pcache_register_params(p);
    migrate_register_params(p);
    failover_register_params(p);
    trace_record_register_params(p);
    pcap_record_register_params(p);
    timeline_record_register_params(p);
    for (size_t i = 0; i < N_KINDS; i++)
        if (kinds[i]->register_params)
            kinds[i]->register_params(p);
}

static const sys_kind *kind_of(const sim_params *p)
{
    return kinds[sim_params_enum_index(p, "workload.kind")];
}

/* A check's message names the parameters in conflict; the origin of each value is
 * added, as the check cannot know it. */
static int systems_check(const sim_params *p, sim_err *e)
{
    const sys_kind *k = kind_of(p);
    if (!k->has_nic && *sim_params_string(p, "trace.pcap")) {
        sim_err_set(e, "trace.pcap: workload.kind = %s has no NIC, so no wire to capture "
                       "(the kinds with one: nic, paths)",
                    k->name);
        sim_params_add_origins(p, e);
        return -1;
    }
    if (sim_run_check(p, e) < 0 || trace_record_check(p, e) < 0 ||
        pcap_record_check(p, e) < 0 || timeline_record_check(p, e) < 0 ||
        (k->check && k->check(p, e) < 0)) {
        sim_params_add_origins(p, e);
        return -1;
    }
    return 0;
}

static void *systems_build(const sim_ctx *ctx, sim_err *e)
{
    const sys_kind *k = kind_of(ctx->params);
    trace_recorder *rec;
    pcap_recorder *cap;
    if (trace_recorder_start(ctx, &rec, e) < 0)
        return NULL;
    sim_timeline *tl = NULL;
    if (pcap_recorder_start(ctx, &cap, e) < 0 || timeline_record_start(ctx, &tl, e) < 0) {
        trace_recorder_finish(rec);
        pcap_recorder_finish(cap);
        return NULL;
    }
    sys_observers obs = {0};
    if (rec) {
        obs.rc_request = trace_recorder_on_request;
        obs.rc_request_ctx = rec;
        obs.dma_api = trace_recorder_on_dma_api;
        obs.dma_api_ctx = rec;
    }
    if (cap) {
        obs.nic_wire = pcap_recorder_on_wire;
        obs.nic_wire_ctx = cap;
    }
    obs.timeline = tl;
    void *model = k->build(ctx, &obs, e);
    if (!model) {
        trace_recorder_finish(rec);
        pcap_recorder_finish(cap);
        timeline_record_finish(tl, ctx->kernel);
        return NULL;
    }
    built_system *s = sim_xcalloc(1, sizeof *s);
    s->kind = k;
    s->model = model;
    s->recorder = rec;
    s->capture = cap;
    s->timeline = tl;
    s->kernel = ctx->kernel;
    return s;
}

static void systems_destroy(void *sys)
{
    built_system *s = sys;
    s->kind->destroy(s->model);
    trace_recorder_finish(s->recorder);
    pcap_recorder_finish(s->capture);
    timeline_record_finish(s->timeline, s->kernel);
    free(s);
}

const sim_model_ops systems_ops = {
    .register_params = systems_register_params,
    .check = systems_check,
    .build = systems_build,
    .destroy = systems_destroy,
    .outside_file = trace_record_outside_file,
};
