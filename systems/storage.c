/* workload.kind = storage: fio-like jobs reading and writing the NVMe drive
 * (models/nvme) through a storage path (storage.path, the tables of
 * host/blkpath/path.h), on the platform and cores the network paths use.
 *
 * Drivers. native: the host's NVMe driver on the PF, a queue and vector per job's core
 * (Linux gives one per CPU). passthrough: the whole drive in one VM, whose own driver
 * drives the PF. sriov: the host's PF driver enables a VF per VM, assigns each VM's
 * secondary controller its queues and vectors (Virtualization Management), brings it
 * Online and attaches namespace i + 1 to VM i's; each VM's driver drives its VF. The
 * back-end paths (emulated, paravirt, devdomain): the host's driver on the PF, a queue
 * per host core, and each VM's disk an image file on the host's namespace
 * (host/blkimg.h). A VM's memory is mapped in an IOMMU domain of its own (guest-physical
 * = host-physical); the host's DMA is in pass-through; every interrupt is remapped, a
 * VM's posted to its vCPU when hv.irq_delivery says so.
 *
 * A job (fio with libaio, iodepth_batch_submit = 1) keeps storage.iodepth I/Os in
 * flight, or issues them at storage.rate_iops; each I/O runs its path's table from the
 * job's system call to its completion (blk.submit_cycles and blk.complete_cycles are
 * the job's own stack; the rest is the path's). The job's thread, blocked in io_getevents
 * when nothing else is left, is woken by the completion's interrupt (host/halt.h).
 * Latency is the application's: from the start of its submission to the end of the
 * completion's work. Offsets are uniform over the span (random patterns) or run on from
 * each job's own share of it (sequential); randrw picks each I/O's direction by
 * storage.rwmix_read_pct. The data is not simulated, only its DMA. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/blkimg.h"
#include "host/blkpath/blkpath.h"
#include "host/cpu.h"
#include "host/halt.h"
#include "host/hv.h"
#include "host/irqdeliver.h"
#include "host/noise.h"
#include "host/nvmedrv.h"
#include "host/pciiov.h"
#include "host/pcache.h"
#include "host/vtick.h"
#include "models/iommu/iommu.h"
#include "models/iommu/irq_remap.h"
#include "models/nvme/nvme.h"
#include "models/nvme/nvme_regs.h"
#include "sim/alloc.h"
#include "sim/rng.h"
#include "systems/kinds.h"
#include "systems/storage_impl.h"

struct storage_sys;

/* A driver bound to one function, and where its queues' work runs. */
typedef struct stor_drv {
    struct storage_sys *sys;
    nvme_drv *d;
    cpu_who who;
    unsigned core[NVME_DRV_MAX_QUEUES + 1]; /* queue q's core; 0: the admin queue's */
    unsigned queues;
    unsigned vm;           /* a VM's own driver: its VM */
    bool jobs_behind;      /* its queues serve jobs directly (not a back end) */
    char stats_prefix[24];
    unsigned first_job;    /* then the job of its queue 1 */
} stor_drv;

typedef struct stor_io {
    blk_req req;
    uint64_t issue_ps;
} stor_io;

typedef struct stor_job {
    struct storage_sys *sys;
    unsigned idx, vm, core;
    uint64_t buf_base;     /* iodepth buffers of bs bytes */
    uint64_t span_blocks, first_block, seq_block; /* in the disk's blocks */
    stor_io *io;           /* one per buffer */
    uint32_t *free_slot, nfree;
    uint32_t owed;         /* rate-limited: issues due while the depth was full */
    uint64_t interval_ps;
    sim_event *ev;         /* rate-limited: the next issue */
    sim_rng rng;
} stor_job;

typedef struct storage_sys {
    storage_cfg cfg;
    const sim_params *params;
    sim_kernel *kernel;
    sim_stats *stats;
    platform *pf;
    nvme *dev;
    cpu *cpu;
    hv *hv;
    halt *halt;
    noise *noise;
    vtick *tick;
    blk_img *img;
    pcache *pc;            /* the host's page cache over the images (NULL: O_DIRECT) */
    blkpath *bp;
    unsigned *job_core, *backend_core;
    stor_drv *drv;         /* [0]: the host's (or the VM's, passthrough); then one per VM */
    unsigned ndrv;
    stor_drv *host_drv;    /* the driver back ends submit to (NULL: none) */
    irq_target *irq;       /* per interrupt remapping entry */
    stor_drv **irq_drv;
    unsigned *irq_vec;
    unsigned nirq;
    stor_job *job;
    unsigned njobs;
    uint32_t block_bytes, nlb; /* the disk's block, blocks per I/O */
    /* statistics */
    sim_hist *lat;
    uint64_t reads, writes, read_bytes, write_bytes, errors;
} storage_sys;

#define DEV_VECTOR 0x30u
#define PI_NOTIFY_VECTOR 0xf2u

static uint64_t drv_cpu(void *ctx, unsigned qid, uint64_t t_ps, uint64_t cycles, bool urgent)
{
    stor_drv *sd = ctx;
    return cpu_run_as(sd->sys->cpu, sd->core[qid], t_ps, cycles, sd->who, urgent);
}

/* ---------------------------------------------------------------- jobs */

static bool pick_write(stor_job *j)
{
    switch ((enum stor_rw)j->sys->cfg.rw) {
    case RW_RANDWRITE:
    case RW_WRITE: return true;
    case RW_RANDRW: return sim_rng_below(&j->rng, 100) >= j->sys->cfg.rwmix_read_pct;
    default: return false;
    }
}

static uint64_t pick_block(stor_job *j)
{
    const storage_sys *s = j->sys;
    uint64_t ios = j->span_blocks / s->nlb;
    if (s->cfg.rw == RW_READ || s->cfg.rw == RW_WRITE) {
        uint64_t b = j->seq_block;
        j->seq_block = (j->seq_block + s->nlb) % (ios * s->nlb);
        return j->first_block + b;
    }
    return j->first_block + sim_rng_below(&j->rng, ios) * s->nlb;
}

/* The application submits one I/O from t on its thread. */
static void job_issue(stor_job *j, uint64_t t)
{
    storage_sys *s = j->sys;
    uint32_t slot = j->free_slot[--j->nfree];
    stor_io *io = &j->io[slot];
    io->issue_ps = t;
    io->req = (blk_req){.cookie = (uint64_t)j->idx << 32 | slot,
                        .write = pick_write(j),
                        .slba = pick_block(j),
                        .nlb = s->nlb,
                        .bytes = (uint32_t)s->cfg.bs_bytes,
                        .buf = j->buf_base + (uint64_t)slot * s->cfg.bs_bytes,
                        .vm = j->vm,
                        .job = j->idx};
    blkpath_issue(s->bp, &io->req, t);
}

static void job_on_rate(void *ctx)
{
    stor_job *j = ctx;
    uint64_t now = sim_now_ps(j->sys->kernel);
    if (j->nfree)
        job_issue(j, now);
    else
        j->owed++;
    sim_event_notify_at(j->ev, now + j->interval_ps);
}

static void job_start(stor_job *j, uint64_t t)
{
    if (j->interval_ps) {
        /* Jobs start a fraction of an interval apart, as fio's threads do not line up. */
        sim_event_notify_at(j->ev, t + j->interval_ps * j->idx / j->sys->njobs);
        return;
    }
    for (unsigned k = 0; k < j->sys->cfg.iodepth; k++)
        job_issue(j, t);
}

/* The path is done with a request at t: the application has it, and issues the next. */
static void on_req_done(void *ctx, blk_req *r, uint64_t t)
{
    storage_sys *s = ctx;
    stor_job *j = &s->job[r->cookie >> 32];
    uint32_t slot = (uint32_t)r->cookie;
    stor_io *io = &j->io[slot];
    if (r->failed) {
        /* Counted, and the job has one I/O less in flight: a re-issue could fail again at
         * once, forever. */
        s->errors++;
        j->free_slot[j->nfree++] = slot;
        return;
    }
    sim_hist_add(s->lat, t - io->issue_ps);
    if (r->write) {
        s->writes++;
        s->write_bytes += r->bytes;
    } else {
        s->reads++;
        s->read_bytes += r->bytes;
    }
    j->free_slot[j->nfree++] = slot;
    if (!j->interval_ps) {
        job_issue(j, t);
    } else if (j->owed) {
        j->owed--;
        job_issue(j, t);
    }
}

/* The path submits a request to a driver: the job's (native, a VM's own) or the host's
 * queue of the back end's core. */
static bool on_submit(void *ctx, blk_req *r, unsigned core, uint64_t t, uint64_t *done)
{
    storage_sys *s = ctx;
    stor_drv *sd;
    unsigned qid;
    nvme_drv_req q = {.write = r->write, .buf = r->buf, .cookie = (uint64_t)(uintptr_t)r};
    if (s->host_drv && storage_via_backend(s->cfg.path)) {
        sd = s->host_drv;
        qid = 1 + core; /* the host's queue q + 1 is on core q */
        q.slba = r->dev_slba;
        q.nlb = r->dev_nlb;
        q.buf = r->dev_buf; /* the VM's buffer, or the host's page cache */
    } else {
        sd = s->cfg.path == BLK_PATH_SRIOV ? &s->drv[1 + r->vm] : &s->drv[0];
        qid = 1 + (s->cfg.path == BLK_PATH_NATIVE ? r->job : r->job % s->cfg.jobs);
        q.slba = r->slba;
        q.nlb = r->nlb;
    }
    bool ok;
    *done = nvme_drv_submit(sd->d, qid, t, &q, true, &ok);
    return ok;
}

/* A driver completed a request in its interrupt handler at t. */
static void on_drv_done(void *ctx, unsigned qid, uint64_t cookie, uint16_t status, uint64_t t)
{
    (void)qid;
    stor_drv *sd = ctx;
    blkpath_dev_done(sd->sys->bp, (blk_req *)(uintptr_t)cookie, status, t);
}

/* ---------------------------------------------------------------- interrupts */

static void on_irq(void *ctx, const iommu_irq_outcome *o)
{
    storage_sys *s = ctx;
    if (o->kind == IOMMU_IRQ_BLOCKED || o->index >= s->nirq) {
        s->errors++;
        return;
    }
    irq_env e = {s->hv, s->halt, s->cpu, s->pf->iommu};
    uint64_t t = irq_deliver(&e, &s->irq[o->index], o);
    nvme_drv_irq(s->irq_drv[o->index]->d, s->irq_vec[o->index], t);
}

/* Interrupt remapping entries for a driver's vectors: each to its queue's core, posted
 * to a VM's vCPU when interrupts are posted. */
static int add_irqs(storage_sys *s, stor_drv *sd, bool in_vm, uint16_t rid, nvme_drv_env *env,
                    sim_err *e)
{
    unsigned nv = 1 + env->io_queues;
    s->irq = sim_xreallocarray(s->irq, s->nirq + nv, sizeof *s->irq);
    s->irq_drv = sim_xreallocarray(s->irq_drv, s->nirq + nv, sizeof *s->irq_drv);
    s->irq_vec = sim_xreallocarray(s->irq_vec, s->nirq + nv, sizeof *s->irq_vec);
    bool posted = in_vm && hv_posted(s->hv);
    for (unsigned v = 0; v < nv; v++) {
        unsigned idx = s->nirq++, core = sd->core[v];
        /* A host queue on a vCPU's core: its interrupt lands while the vCPU runs. */
        bool on_vcpu = !in_vm && storage_in_vm(s->cfg.path) && core >= s->cfg.host_cores;
        s->irq[idx] = (irq_target){.core = core, .via_hv = in_vm, .host_on_vcpu = on_vcpu};
        s->irq_drv[idx] = sd;
        s->irq_vec[idx] = v;
        uint8_t vector = (uint8_t)(DEV_VECTOR + idx % 0xb0u);
        int rc;
        if (posted) {
            uint64_t pd = iommu_pid_create(s->pf->iommu, PI_NOTIFY_VECTOR, core);
            rc = pd ? iommu_irte_set_posted(s->pf->iommu, idx, rid, pd, vector, false) : -1;
        } else {
            rc = iommu_irte_set_remapped(s->pf->iommu, idx, rid, core, vector);
        }
        if (rc < 0)
            return sim_err_set(e, "storage: interrupt remapping entry %u could not be written",
                               idx);
        env->msi_addr[v] = iommu_msi_addr(idx);
        env->msi_data[v] = 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- drivers */

static void on_ready(void *ctx, uint64_t t, const char *error);

/* A driver for function fn, its queue q on core_of[q] (q = 0: the admin queue). */
static stor_drv *add_driver(storage_sys *s, unsigned fn, bool in_vm, cpu_who who, uint32_t nsid,
                            unsigned queues, const unsigned *core_of, uint64_t mem_base, sim_err *e)
{
    stor_drv *sd = &s->drv[s->ndrv++];
    *sd = (stor_drv){.sys = s, .who = who, .queues = queues};
    if (in_vm)
        snprintf(sd->stats_prefix, sizeof sd->stats_prefix, "nvmedrv.vm%u",
                 s->ndrv - 1 - (s->cfg.path == BLK_PATH_SRIOV));
    else
        snprintf(sd->stats_prefix, sizeof sd->stats_prefix, "nvmedrv.host");
    for (unsigned q = 0; q <= queues; q++)
        sd->core[q] = core_of[q];
    nvme_drv_env env = {.kernel = s->kernel,
                        .dev = s->dev,
                        .rc = s->pf->rc,
                        .pm = s->pf->pm,
                        .fn = fn,
                        .nsid = nsid,
                        .io_queues = queues,
                        .mem_base = mem_base,
                        .mem_bytes = nvme_drv_mem_bytes(s->params, queues),
                        .cpu = drv_cpu,
                        .done = on_drv_done,
                        .ready = on_ready,
                        .ctx = sd,
                        .stats = s->stats,
                        .stats_prefix = sd->stats_prefix};
    if (add_irqs(s, sd, in_vm, nvme_fn_rid(s->dev, fn), &env, e) < 0)
        return NULL;
    sd->d = nvme_drv_create(s->params, &env);
    return sd;
}

/* A driver whose queues are its jobs': queue q + 1 on job first + q's core, the admin
 * queue on the first job's. */
static stor_drv *add_job_driver(storage_sys *s, unsigned fn, bool in_vm, uint32_t nsid, unsigned vm,
                                unsigned first, unsigned jobs, uint64_t mem_base, sim_err *e)
{
    unsigned core_of[NVME_DRV_MAX_QUEUES + 1];
    core_of[0] = s->job[first].core;
    for (unsigned q = 0; q < jobs; q++)
        core_of[1 + q] = s->job[first + q].core;
    stor_drv *sd = add_driver(s, fn, in_vm, CPU_GUEST, nsid, jobs, core_of, mem_base, e);
    if (sd) {
        sd->jobs_behind = true;
        sd->vm = vm;
        sd->first_job = first;
    }
    return sd;
}

/* The guests' drivers on their VFs, once the host's PF driver has brought their
 * secondary controllers Online: each VF in its VM's domain, each VM's driver probed. */
static int start_vfs(storage_sys *s, uint64_t t, sim_err *e)
{
    const storage_cfg *c = &s->cfg;
    for (unsigned i = 0; i < c->vms; i++) {
        unsigned fn = NVME_FN_OF_VF(i);
        if (platform_assign_identity(s->pf, nvme_fn_rid(s->dev, fn), (uint16_t)(2 + i),
                                     storage_vm_base(c, i), PLATFORM_VM_SPAN, 2u << 20, e) < 0)
            return -1;
        stor_drv *sd =
            add_job_driver(s, fn, true, 1 + i, i, i * c->jobs, c->jobs, storage_vm_base(c, i), e);
        if (!sd)
            return -1;
        nvme_drv_probe(sd->d, t);
    }
    return 0;
}

/* The jobs a driver serves start once it is up; the back ends' driver starts every job. */
static void on_ready(void *ctx, uint64_t t, const char *error)
{
    stor_drv *sd = ctx;
    storage_sys *s = sd->sys;
    if (error) {
        /* A driver that did not come up: no I/O runs; the run shows it in storage.errors. */
        fprintf(stderr, "storage: %s\n", error);
        s->errors++;
        return;
    }
    if (s->cfg.path == BLK_PATH_SRIOV && sd == &s->drv[0]) {
        sim_err e = {{0}};
        if (start_vfs(s, t, &e) < 0) {
            fprintf(stderr, "storage: %s\n", e.msg);
            s->errors++;
        }
        return;
    }
    unsigned first = sd->jobs_behind ? sd->first_job : 0;
    unsigned count = sd->jobs_behind ? sd->queues : s->njobs;
    uint64_t disk_blocks = storage_via_backend(s->cfg.path)
                               ? blk_img_bytes(s->img) / BLK_IMG_SECTOR_BYTES
                               : nvme_drv_ns_blocks(sd->d);
    uint64_t span = s->cfg.span_bytes ? s->cfg.span_bytes / s->block_bytes : disk_blocks;
    for (unsigned k = 0; k < count; k++) {
        stor_job *j = &s->job[first + k];
        j->span_blocks = span;
        /* Sequential jobs each run through their own share of the span. */
        if (s->cfg.rw == RW_READ || s->cfg.rw == RW_WRITE) {
            uint64_t share = span / s->cfg.jobs / s->nlb * s->nlb;
            j->first_block = share * (j->idx % s->cfg.jobs);
            j->span_blocks = share ? share : s->nlb;
        }
        job_start(j, t);
    }
}

/* ---------------------------------------------------------------- statistics */

static double m_iops(const sim_stats *st, void *ctx)
{
    const storage_sys *s = ctx;
    uint64_t el = sim_stats_elapsed_ps(st);
    return el ? (double)(s->reads + s->writes) * 1e12 / (double)el : NAN;
}

static double m_mbps(const sim_stats *st, void *ctx)
{
    const storage_sys *s = ctx;
    uint64_t el = sim_stats_elapsed_ps(st);
    return el ? (double)(s->read_bytes + s->write_bytes) * 1e6 / (double)el : NAN;
}

static double cycles_per_io(const storage_sys *s, cpu_who who)
{
    uint64_t n = s->reads + s->writes;
    return n ? (double)cpu_cycles(s->cpu, who) / (double)n : NAN;
}

static double m_guest_cyc(const sim_stats *st, void *ctx)
{
    (void)st;
    return cycles_per_io(ctx, CPU_GUEST);
}
static double m_hv_cyc(const sim_stats *st, void *ctx)
{
    (void)st;
    return cycles_per_io(ctx, CPU_HYPERVISOR);
}
static double m_host_cyc(const sim_stats *st, void *ctx)
{
    (void)st;
    return cycles_per_io(ctx, CPU_HOST);
}

static double m_exits(const sim_stats *st, void *ctx)
{
    const storage_sys *s = ctx;
    uint64_t el = sim_stats_elapsed_ps(st);
    return el ? (double)hv_exits_total(s->hv) * 1e12 / (double)el : NAN;
}

static double m_dev_irqs(const sim_stats *st, void *ctx)
{
    (void)ctx;
    uint64_t el = sim_stats_elapsed_ps(st);
    double irqs;
    if (!el || !sim_stats_get(st, "storage.device_irqs", &irqs))
        return NAN;
    return irqs * 1e12 / (double)el;
}

static double m_media_util(const sim_stats *st, void *ctx)
{
    const storage_sys *s = ctx;
    uint64_t el = sim_stats_elapsed_ps(st);
    return el ? (double)nvme_media_busy_ps(s->dev) / ((double)el * nvme_media_dies(s->dev)) : NAN;
}

static double g_device_irqs(const sim_stats *st, void *ctx)
{
    (void)st;
    const storage_sys *s = ctx;
    return (double)nvme_get_counters(s->dev).irqs;
}

static double g_dirty_bytes(const sim_stats *st, void *ctx)
{
    (void)st;
    const storage_sys *s = ctx;
    return (double)pcache_dirty_bytes(s->pc);
}

static double m_hit_rate(const sim_stats *st, void *ctx)
{
    (void)st;
    const storage_sys *s = ctx;
    pcache_counters k = pcache_get_counters(s->pc);
    uint64_t n = k.hits + k.pending_hits + k.misses;
    return n ? (double)k.hits / (double)n : NAN;
}

static void register_stats(storage_sys *s, sim_stats *st)
{
#define C(field, desc) sim_stats_counter(st, "storage." #field, &s->field, desc)
    C(reads, "reads the applications completed");
    C(writes, "writes the applications completed");
    C(read_bytes, "bytes read by completed reads");
    C(write_bytes, "bytes written by completed writes");
    C(errors, "I/Os that completed with an error, and interrupts remapping blocked");
#undef C
    s->lat = sim_stats_hist(st, "storage.latency_ps", "ps",
                            "an I/O's latency as the application sees it: from the start of its "
                            "submission to the end of its completion's work");
    sim_stats_derived(st, "storage.device_irqs", g_device_irqs, s,
                      "MSI-X messages the drive has sent, all functions (since the start)");
    sim_stats_metric(st, "iops", "I/Os per second", m_iops, s,
                     "reads and writes the applications completed in the window, per second");
    sim_stats_metric(st, "mbps", "MB/s", m_mbps, s,
                     "bytes of the reads and writes completed in the window, per second, in "
                     "units of 10^6 bytes");
    sim_stats_mean_metric(st, "latency_ns_mean", "ns", s->lat, 1000.0,
                          "mean I/O latency as the application sees it (storage.latency_ps)");
    sim_stats_quantile_metric(st, "latency_ns_p50", "ns", s->lat, 0.5, 1000.0,
                              "median I/O latency as the application sees it");
    sim_stats_quantile_metric(st, "latency_ns_p99", "ns", s->lat, 0.99, 1000.0,
                              "99th percentile of the I/O latency");
    sim_stats_quantile_metric(st, "latency_ns_p999", "ns", s->lat, 0.999, 1000.0,
                              "99.9th percentile of the I/O latency");
    sim_stats_metric(st, "guest_cycles_per_io", "cycles per I/O", m_guest_cyc, s,
                     "cycles the VMs' vCPUs (native: the applications' cores) ran, application, "
                     "block layer and NVMe driver, per completed I/O");
    sim_stats_metric(st, "hv_cycles_per_io", "cycles per I/O", m_hv_cyc, s,
                     "hypervisor cycles (exits, interrupt injection, KVM's polling of halted "
                     "vCPUs) per completed I/O");
    sim_stats_metric(st, "host_cycles_per_io", "cycles per I/O", m_host_cyc, s,
                     "host software cycles (the host's PF driver, back ends, an iothread's "
                     "polling) per completed I/O");
    sim_stats_metric(st, "exits_per_sec", "per second", m_exits, s,
                     "VM exits of every reason per second of the window");
    sim_stats_metric(st, "device_irqs_per_sec", "per second", m_dev_irqs, s,
                     "MSI-X messages the drive sent per second (its functions together)");
    sim_stats_metric(st, "media_util", "share (0..1)", m_media_util, s,
                     "the flash dies' busy time in the window over dies x the window");
}

/* ---------------------------------------------------------------- build */

static void storage_destroy(void *system)
{
    storage_sys *s = system;
    if (!s)
        return;
    for (unsigned i = 0; i < s->ndrv; i++)
        nvme_drv_destroy(s->drv[i].d);
    for (unsigned i = 0; i < s->njobs; i++) {
        free(s->job[i].io);
        free(s->job[i].free_slot);
    }
    blkpath_destroy(s->bp);
    pcache_destroy(s->pc);
    blk_img_destroy(s->img);
    free(s->job);
    free(s->job_core);
    free(s->backend_core);
    free(s->drv);
    free(s->irq);
    free(s->irq_drv);
    free(s->irq_vec);
    vtick_destroy(s->tick);
    noise_destroy(s->noise);
    nvme_destroy(s->dev);
    platform_destroy(s->pf);
    halt_destroy(s->halt);
    hv_destroy(s->hv);
    cpu_destroy(s->cpu);
    free(s);
}

/* The jobs, each on a core of its own with its buffers in its VM's (group's) memory,
 * after the driver's. */
static void make_jobs(storage_sys *s, uint64_t seed)
{
    const storage_cfg *c = &s->cfg;
    s->njobs = c->vms * c->jobs;
    s->job = sim_xcalloc(s->njobs, sizeof *s->job);
    s->job_core = sim_xcalloc(s->njobs, sizeof *s->job_core);
    uint64_t drv_bytes = nvme_drv_mem_bytes(s->params, storage_drv_queues(c));
    for (unsigned i = 0; i < s->njobs; i++) {
        stor_job *j = &s->job[i];
        j->sys = s;
        j->idx = i;
        j->vm = i / c->jobs;
        j->core = s->job_core[i] = storage_first_job_core(c) + i;
        uint64_t base = c->path == BLK_PATH_NATIVE ? PLATFORM_HOST_BASE : storage_vm_base(c, j->vm);
        unsigned k = c->path == BLK_PATH_NATIVE ? i : i % c->jobs;
        j->buf_base = base + drv_bytes + (uint64_t)k * c->iodepth * c->bs_bytes;
        j->io = sim_xcalloc(c->iodepth, sizeof *j->io);
        j->free_slot = sim_xcalloc(c->iodepth, sizeof *j->free_slot);
        for (uint32_t q = 0; q < c->iodepth; q++)
            j->free_slot[j->nfree++] = c->iodepth - 1 - q;
        char stream[40];
        snprintf(stream, sizeof stream, "storage.job.%u", i);
        sim_rng_seed(&j->rng, seed, stream);
        if (c->rate_iops > 0) {
            j->interval_ps = (uint64_t)llround(1e12 / c->rate_iops);
            j->ev = sim_event_create(s->kernel, "storage.job", job_on_rate, j);
        }
        if (storage_in_vm(c->path))
            halt_add_vcpu(s->halt, j->core);
        else
            halt_add_thread(s->halt, j->core);
    }
}

/* Guest ticks and OS noise on the jobs' cores (a native job's core takes its own
 * kernel's tick), noise on the host's cores. */
static void start_ticks(storage_sys *s, const sim_ctx *ctx)
{
    s->tick = vtick_create(s->params, ctx->stats, s->kernel, s->cpu, s->hv);
    for (unsigned i = 0; i < s->njobs; i++) {
        unsigned core = s->job[i].core;
        if (storage_in_vm(s->cfg.path)) {
            vtick_add_vcpu(s->tick, core);
            noise_add_vcpu(s->noise, core);
        } else {
            vtick_set_app_core(s->tick, core);
            noise_add_app_core(s->noise, core);
        }
    }
    vtick_start(s->tick, 0);
    for (unsigned c = 0; c < storage_first_job_core(&s->cfg); c++)
        noise_add_host_core(s->noise, c);
    noise_start(s->noise, 0);
}

/* The host's driver on the PF: a queue per core up to `queues` (Linux's one per CPU: a
 * back end submits on the core its thread runs on, an emulated disk's on the vCPU's),
 * the admin queue on core 0; DMA in pass-through. */
static stor_drv *add_host_driver(storage_sys *s, unsigned queues, sim_err *e)
{
    if (iommu_attach_passthrough(s->pf->iommu, PLATFORM_DEVICE_RID) < 0) {
        sim_err_set(e, "storage: the PF cannot be attached in pass-through");
        return NULL;
    }
    unsigned core_of[NVME_DRV_MAX_QUEUES + 1] = {0};
    for (unsigned q = 0; q < queues; q++)
        core_of[1 + q] = q;
    return add_driver(s, NVME_PF, false, CPU_HOST, 1, queues, core_of, PLATFORM_HOST_BASE, e);
}

static int add_drivers(storage_sys *s, sim_err *e)
{
    const storage_cfg *c = &s->cfg;
    const uint16_t pf_rid = PLATFORM_DEVICE_RID;
    s->drv = sim_xcalloc(1 + c->vms, sizeof *s->drv);
    /* Every driver's vectors: the host's and each VM's (an admin vector and one per
     * queue). */
    uint32_t vectors =
        c->path == BLK_PATH_SRIOV ? 2 + c->vms * (1 + c->jobs) : 1 + storage_drv_queues(c);
    if (iommu_irq_table_init_for(s->pf->iommu, vectors) < 0)
        return sim_err_set(e, "storage: no interrupt remapping table for %u vectors", vectors);
    switch ((blk_path_kind)c->path) {
    case BLK_PATH_NATIVE:
        if (iommu_attach_passthrough(s->pf->iommu, pf_rid) < 0)
            return sim_err_set(e, "storage: the PF cannot be attached in pass-through");
        return add_job_driver(s, NVME_PF, false, 1, 0, 0, s->njobs, PLATFORM_HOST_BASE, e) ? 0 : -1;
    case BLK_PATH_PASSTHROUGH:
        if (platform_assign_identity(s->pf, pf_rid, 2, storage_vm_base(c, 0), PLATFORM_VM_SPAN,
                                     2u << 20, e) < 0)
            return -1;
        return add_job_driver(s, NVME_PF, true, 1, 0, 0, c->jobs, storage_vm_base(c, 0), e)
                   ? 0 : -1;
    case BLK_PATH_SRIOV: {
        /* The VFs first (sriov_numvfs): a secondary goes Online only once its VF exists,
         * as QEMU's NVMe requires and its documentation's sequence does. */
        pci_iov iov = {s->pf->bus, pf_rid, nvme_caps_of(s->params).mmio_base_addr,
                       PLATFORM_MMIO_WINDOW_BYTES};
        if (pci_iov_enable(&iov, c->vms, e) < 0)
            return -1;
        stor_drv *host = add_host_driver(s, 1, e);
        if (!host)
            return -1;
        for (unsigned i = 0; i < c->vms; i++) {
            unsigned ctrl = 1 + i, n = c->jobs + 1;
            nvme_drv_queue_virt(host->d, NVME_VIRT_SEC_ASSIGN, NVME_VIRT_RT_VQ, ctrl, n);
            nvme_drv_queue_virt(host->d, NVME_VIRT_SEC_ASSIGN, NVME_VIRT_RT_VI, ctrl, n);
            nvme_drv_queue_virt(host->d, NVME_VIRT_SEC_ONLINE, 0, ctrl, 0);
            nvme_drv_queue_attach(host->d, 1 + i, ctrl);
        }
        return 0;
    }
    default: /* the back ends' */
        s->host_drv = add_host_driver(s, storage_drv_queues(c), e);
        return s->host_drv ? 0 : -1;
    }
}

/* The path's engine with the jobs' cores, each VM's back end on a host core. */
static void make_engine(storage_sys *s, sim_stats *st)
{
    const storage_cfg *c = &s->cfg;
    const sim_params *p = s->params;
    s->backend_core = sim_xcalloc(c->vms, sizeof *s->backend_core);
    for (unsigned i = 0; i < c->vms; i++)
        s->backend_core[i] = i % c->host_cores;
    blkpath_env env = {.kernel = s->kernel,
                       .stats = st,
                       .irq = {s->hv, s->halt, s->cpu, s->pf->iommu},
                       .path = blk_path_get((blk_path_kind)c->path),
                       .persistent_grants = blk_path_persistent_grants(p),
                       .img = s->img,
                       .pcache = s->pc,
                       .flush_core = c->host_cores - 1,
                       .vms = c->vms,
                       .jobs = c->jobs,
                       .job_core = s->job_core,
                       .backend_core = s->backend_core,
                       .submit = on_submit,
                       .done = on_req_done,
                       .ctx = s};
    blk_path_costs_load(p, env.cost);
    env.cost[BLK_COST_SUBMIT] = c->submit_cycles;
    env.cost[BLK_COST_COMPLETE] = c->complete_cycles;
    blk_path_grant_costs_load(p, &env.grant);
    if (c->path == BLK_PATH_PARAVIRT)
        env.poll_ps = (uint64_t)llround(c->poll_ns * 1000.0);
    s->bp = blkpath_create(&env);
}

static void *storage_build(const sim_ctx *ctx, const sys_observers *obs, sim_err *e)
{
    const sim_params *p = ctx->params;
    storage_sys *s = sim_xcalloc(1, sizeof *s);
    s->params = p;
    s->kernel = ctx->kernel;
    s->stats = ctx->stats;
    s->cfg = storage_cfg_load(p);
    s->cpu = cpu_create(p, ctx->stats);
    if (obs && obs->timeline)
        cpu_set_timeline(s->cpu, obs->timeline);
    s->hv = hv_create(p, ctx->stats, s->cpu);
    s->halt = halt_create(p, ctx->stats, s->cpu, s->hv, s->kernel);
    hv_set_halt(s->hv, s->halt);
    s->noise = noise_create(p, ctx->stats, s->kernel, s->cpu, s->hv, ctx->seed);
    /* The IOMMU is on: VMs' memory is remapped, and every path's interrupts are. */
    s->pf = platform_create(ctx, obs, true);
    iommu_set_irq_sink(s->pf->iommu, on_irq, s);
    nvme_env env = {ctx->kernel, ctx->stats, s->pf->link, s->pf->rc, s->pf->bus,
                    PLATFORM_DEVICE_RID};
    s->dev = nvme_create(p, &env, e);
    if (!s->dev ||
        !platform_boot(s->pf, nvme_caps_of(p).mmio_base_addr, PLATFORM_MMIO_WINDOW_BYTES, e)) {
        storage_destroy(s);
        return NULL;
    }
    nvme_caps k = nvme_caps_of(p);
    bool backend = storage_via_backend(s->cfg.path);
    s->block_bytes = backend ? BLK_IMG_SECTOR_BYTES : k.lba_bytes;
    s->nlb = (uint32_t)(s->cfg.bs_bytes / s->block_bytes);
    if (backend)
        s->img = blk_img_create(p, s->cfg.vms, k.lba_bytes);
    register_stats(s, ctx->stats);
    if (backend && blk_img_cached(s->img)) {
        pcache_env pe = storage_pcache_env(&s->cfg, p);
        s->pc = pcache_create(p, &pe, ctx->stats);
        sim_stats_gauge(ctx->stats, "pagecache.dirty_bytes", g_dirty_bytes, s,
                        "dirty and writeback bytes in the host's page cache");
        sim_stats_metric(ctx->stats, "pagecache_hit_rate", "share (0..1)", m_hit_rate, s,
                         "pages the back ends' reads found up to date in the host's page cache, "
                         "over all pages they read (pagecache.hits over hits, pending hits and "
                         "misses), in the window");
    }
    make_jobs(s, ctx->seed);
    if (add_drivers(s, e) < 0) {
        storage_destroy(s);
        return NULL;
    }
    make_engine(s, ctx->stats);
    start_ticks(s, ctx);
    /* The host's driver (passthrough: the VM's) probes at 0; under sriov the VMs'
     * drivers probe once the host's has set their controllers up. */
    nvme_drv_probe(s->drv[0].d, 0);
    return s;
}

static const char *const storage_variants[] = {"storage.path=sriov, storage.vms=2",
                                                "storage.path=paravirt, img.cache=writeback",
                                                NULL};

const sys_kind sys_kind_storage = {
    .name = "storage",
    .doc = "fio-like jobs on an NVMe drive through a storage path (storage.path)",
    .register_params = storage_register_params,
    .check = storage_check,
    .build = storage_build,
    .destroy = storage_destroy,
    .variants = storage_variants,
};
