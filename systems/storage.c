/* workload.kind = storage: fio-like jobs reading and writing the NVMe drive
 * (models/nvme) through a storage path (storage.path), on the platform and cores the
 * network paths use.
 *
 * Paths built: native (the host's NVMe driver on the PF, a job per host core, each with
 * its own I/O queue and vector, as Linux gives one per CPU); passthrough (the whole
 * drive assigned to one VM, whose own NVMe driver drives the PF); sriov (the host's PF
 * driver assigns each VM's secondary controller its queues and vectors with
 * Virtualization Management once the VFs exist, brings it Online and attaches
 * namespace i + 1 to VM i's; then each VM's driver drives its VF). A VM's memory is mapped in an
 * IOMMU domain of its own (guest-physical = host-physical); its interrupts are remapped
 * or posted to its vCPUs (hv.irq_delivery). The emulated disk, virtio-blk and the Xen
 * driver domain are refused until they are built.
 *
 * A job (fio with libaio, iodepth_batch_submit = 1) keeps storage.iodepth I/Os in
 * flight, or issues them at storage.rate_iops: per I/O the application, system call and
 * block layer's submission (blk.submit_cycles) on its thread, the driver's
 * nvme_queue_rq; on completion, in the interrupt, the driver's handling and the block
 * layer's completion with the aio event (blk.complete_cycles); the thread, blocked in
 * io_getevents when nothing else is left, is woken (host/halt.h) and issues the next.
 * Latency is the application's: from the start of its submission to the end of the
 * completion's work. Offsets are uniform over the span (random patterns) or run on from
 * each job's own share of it (sequential); randrw picks each I/O's direction by
 * storage.rwmix_read_pct. The data is not simulated, only its DMA. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/cpu.h"
#include "host/dmaapi.h"
#include "host/halt.h"
#include "host/hv.h"
#include "host/irqdeliver.h"
#include "host/noise.h"
#include "host/nvmedrv.h"
#include "host/pciiov.h"
#include "host/vtick.h"
#include "models/iommu/iommu.h"
#include "models/iommu/irq_remap.h"
#include "models/nvme/nvme.h"
#include "models/nvme/nvme_regs.h"
#include "sim/alloc.h"
#include "sim/rng.h"
#include "systems/kinds.h"

/* ---------------------------------------------------------------- parameters */

enum stor_path { SP_NATIVE, SP_EMULATED, SP_PARAVIRT, SP_DEVDOMAIN, SP_PASSTHROUGH, SP_SRIOV };
enum stor_rw { RW_RANDREAD, RW_RANDWRITE, RW_READ, RW_WRITE, RW_RANDRW };

typedef struct storage_cfg {
    uint32_t path, rw, rwmix_read_pct, iodepth, jobs, vms, host_cores;
    uint64_t bs_bytes, span_bytes;
    double rate_iops;
    uint64_t submit_cycles, complete_cycles;
} storage_cfg;

static const sim_param_def storage_params[] = {
    {"storage.path", SIM_PARAM_ENUM, "native",
     "native|emulated|paravirt|devdomain|passthrough|sriov", "",
     "How the VMs reach the NVMe drive: bare metal; an emulated disk; virtio-blk; a Xen "
     "driver domain (blkfront/blkback); the whole drive assigned to one VM; a VF per VM "
     "(emulated, paravirt and devdomain are not built yet)",
     SIM_AT(storage_cfg, path)},
    {"storage.rw", SIM_PARAM_ENUM, "randread", "randread|randwrite|read|write|randrw", "",
     "The jobs' pattern, as fio's rw", SIM_AT(storage_cfg, rw)},
    {"storage.rwmix_read_pct", SIM_PARAM_UINT, "70", "0..100", "%",
     "randrw: the share of reads (fio's rwmixread)", SIM_AT(storage_cfg, rwmix_read_pct)},
    {"storage.bs_bytes", SIM_PARAM_UINT, "4KiB", "512..16MiB", "bytes",
     "Bytes per I/O (fio's bs): a multiple of nvme.lba_bytes, at most the drive's largest "
     "transfer",
     SIM_AT(storage_cfg, bs_bytes)},
    {"storage.iodepth", SIM_PARAM_UINT, "1", "1..4094", "I/Os",
     "I/Os each job keeps in flight (fio's iodepth)", SIM_AT(storage_cfg, iodepth)},
    {"storage.jobs", SIM_PARAM_UINT, "1", "1..64", "jobs",
     "Jobs per VM (native: per group), each a thread on a core of its own (a vCPU in a VM) "
     "with its own I/O queue (fio's numjobs)",
     SIM_AT(storage_cfg, jobs)},
    {"storage.vms", SIM_PARAM_UINT, "1", "1..64", "VMs",
     "VMs, each with storage.jobs jobs and its own namespace under sriov (native: groups of "
     "jobs on the host)",
     SIM_AT(storage_cfg, vms)},
    {"storage.rate_iops", SIM_PARAM_DOUBLE, "0", "0..1e9", "I/Os per second",
     "Each job's offered rate (fio's rate_iops), within its iodepth; 0: as fast as its "
     "iodepth allows",
     SIM_AT(storage_cfg, rate_iops)},
    {"storage.span_bytes", SIM_PARAM_UINT, "0", "0..1024TiB", "bytes",
     "The part of each namespace the jobs address (fio's size); 0: the whole namespace",
     SIM_AT(storage_cfg, span_bytes)},
    {"storage.host_cores", SIM_PARAM_UINT, "2", "1..1024", "cores",
     "Cores kept for the host's own software (its PF driver) when the jobs run in VMs; "
     "the VMs' vCPUs take the cores after them",
     SIM_AT(storage_cfg, host_cores)},
    {"blk.submit_cycles", SIM_PARAM_UINT, "2700", "0..1e8", "cycles",
     "Per I/O before the driver: fio's and libaio's user part, io_submit's system call and "
     "the block layer's submission (bio, blk-mq tag and dispatch)",
     SIM_AT(storage_cfg, submit_cycles)},
    {"blk.complete_cycles", SIM_PARAM_UINT, "1400", "0..1e8", "cycles",
     "Per I/O after the driver: the block layer's completion, the aio event and "
     "io_getevents' return to fio (the blocked thread's wake-up is cpu.wakeup_cycles)",
     SIM_AT(storage_cfg, complete_cycles)},
};

static void storage_register_params(sim_params *p)
{
    sim_params_add_table(p, storage_params, SIM_TABLE_LEN(storage_params));
}

static storage_cfg storage_cfg_load(const sim_params *p)
{
    storage_cfg c;
    sim_params_load_table(p, storage_params, SIM_TABLE_LEN(storage_params), &c);
    return c;
}

static bool path_in_vm(uint32_t path) { return path != SP_NATIVE; }

/* Cores the jobs need, and the first one. */
static unsigned first_job_core(const storage_cfg *c)
{
    return path_in_vm(c->path) ? c->host_cores : 0;
}

/* VM (or group) i's memory: the host's from PLATFORM_HOST_BASE, a VM's its span. */
static uint64_t vm_base(const storage_cfg *c, unsigned i)
{
    return path_in_vm(c->path) ? PLATFORM_VM_BASE + (uint64_t)i * PLATFORM_VM_SPAN
                               : PLATFORM_HOST_BASE + (uint64_t)i * PLATFORM_VM_SPAN;
}

/* I/O queues a driver of VM (or group) i asks for: one per job; a native host driver
 * one per job of every group. */
static unsigned drv_queues(const storage_cfg *c)
{
    return c->path == SP_NATIVE ? c->vms * c->jobs : c->jobs;
}

static int storage_check(const sim_params *p, sim_err *e)
{
    storage_cfg c = storage_cfg_load(p);
    if (platform_check(p, e) < 0 || nvme_check(p, PLATFORM_DEVICE_RID, e) < 0 ||
        iommu_dma_check(p, e) < 0)
        return -1;
    static const char *const names[] = {"native", "emulated", "paravirt", "devdomain",
                                        "passthrough", "sriov"};
    if (c.path == SP_EMULATED || c.path == SP_PARAVIRT || c.path == SP_DEVDOMAIN)
        return sim_err_set(e, "storage.path = %s is not built yet for workload.kind = storage "
                              "(native, passthrough and sriov are)", names[c.path]);
    iommu_dma_cfg dc;
    iommu_dma_config(p, &dc);
    if (c.path == SP_NATIVE && dc.mode >= IOMMU_DMA_STRICT)
        return sim_err_set(e, "iommu.mode strict or lazy: the storage kind's host driver maps "
                              "its buffers in pass-through only so far (iommu.mode = off or pt)");
    nvme_caps k = nvme_caps_of(p);
    cpu_cfg cc = cpu_cfg_load(p);
    unsigned jobs = c.vms * c.jobs, need = first_job_core(&c) + jobs;
    if (need > cc.cores)
        return sim_err_set(e, "storage.vms = %u x storage.jobs = %u jobs%s need %u cores; "
                              "cpu.cores = %u", c.vms, c.jobs,
                           path_in_vm(c.path) ? " after storage.host_cores" : "", need, cc.cores);
    if (drv_queues(&c) > NVME_DRV_MAX_QUEUES)
        return sim_err_set(e, "%u I/O queues for one driver: at most %u", drv_queues(&c),
                           NVME_DRV_MAX_QUEUES);
    if (c.bs_bytes % k.lba_bytes || c.bs_bytes > k.max_transfer_bytes)
        return sim_err_set(e, "storage.bs_bytes = %llu: a multiple of nvme.lba_bytes = %u and "
                              "at most nvme.max_transfer_bytes = %llu",
                           (unsigned long long)c.bs_bytes, k.lba_bytes,
                           (unsigned long long)k.max_transfer_bytes);
    uint32_t entries = nvme_drv_queue_entries(p);
    if (c.iodepth > entries - 1)
        return sim_err_set(e, "storage.iodepth = %u: a queue of %u entries takes at most %u "
                              "(nvmedrv.queue_entries, capped by nvme.max_queue_entries)",
                           c.iodepth, entries, entries - 1);
    uint64_t span = c.span_bytes ? c.span_bytes : k.ns_bytes;
    if (span > k.ns_bytes || span < c.bs_bytes)
        return sim_err_set(e, "storage.span_bytes = %llu: between storage.bs_bytes and a "
                              "namespace's %llu bytes", (unsigned long long)c.span_bytes,
                           (unsigned long long)k.ns_bytes);
    /* A VM's (native: the host's) memory holds its driver's queues and its jobs' buffers. */
    unsigned span_jobs = c.path == SP_NATIVE ? jobs : c.jobs;
    uint64_t need_bytes =
        nvme_drv_mem_bytes(p, drv_queues(&c)) + (uint64_t)span_jobs * c.iodepth * c.bs_bytes;
    if (need_bytes > PLATFORM_VM_SPAN)
        return sim_err_set(e, "storage.iodepth = %u x storage.bs_bytes = %llu per job and the "
                              "driver's queues need %llu bytes: more than a VM's %llu",
                           c.iodepth, (unsigned long long)c.bs_bytes, (unsigned long long)need_bytes,
                           (unsigned long long)PLATFORM_VM_SPAN);
    if (c.path == SP_PASSTHROUGH && c.vms != 1)
        return sim_err_set(e, "storage.path = passthrough assigns the whole drive to one VM: "
                              "storage.vms = %u", c.vms);
    if (c.path == SP_SRIOV) {
        unsigned vq = c.jobs + 1, vi = c.jobs + 1; /* the admin queue and vector 0 too */
        if (c.vms > k.max_vfs)
            return sim_err_set(e, "storage.vms = %u VFs: the drive has nvme.max_vfs = %u",
                               c.vms, k.max_vfs);
        if (c.vms > k.namespaces)
            return sim_err_set(e, "storage.vms = %u: each VM needs a namespace of its own, "
                                  "nvme.namespaces = %u", c.vms, k.namespaces);
        if (vq > k.vf_max_queues || vi > k.vf_max_vectors)
            return sim_err_set(e, "storage.jobs = %u needs %u queue pairs and %u vectors per VF "
                                  "(an admin pair and vector included): above "
                                  "nvme.vf_max_queues = %u or nvme.vf_max_vectors = %u",
                               c.jobs, vq, vi, k.vf_max_queues, k.vf_max_vectors);
        if ((uint64_t)vq * c.vms > k.flex_queues || (uint64_t)vi * c.vms > k.flex_vectors)
            return sim_err_set(e, "storage.vms = %u VFs x %u queue pairs and vectors over-commit "
                                  "the drive's flexible resources (nvme.flex_queues = %u, "
                                  "nvme.flex_vectors = %u)", c.vms, vq, k.flex_queues,
                               k.flex_vectors);
    }
    return 0;
}

/* ---------------------------------------------------------------- the system */

struct storage_sys;

/* A driver bound to one function, and where its queues' work runs. */
typedef struct stor_drv {
    struct storage_sys *sys;
    nvme_drv *d;
    unsigned vm;           /* its VM (or group: native) */
    bool in_vm;            /* a guest's driver: its interrupts are virtual */
    cpu_who who;
    unsigned core[NVME_DRV_MAX_QUEUES + 1]; /* queue q's core; 0: the admin queue's */
    unsigned first_job;    /* the job of its queue 1 */
    unsigned first_irte;   /* vector v's interrupt remapping entry: first_irte + v */
} stor_drv;

typedef struct stor_io {
    uint64_t issue_ps;
    bool write;
    struct stor_io *next_free;
} stor_io;

typedef struct stor_job {
    struct storage_sys *sys;
    unsigned idx, core;
    stor_drv *drv;
    unsigned qid;
    uint64_t buf_base;     /* iodepth buffers of bs bytes */
    uint64_t span_blocks, first_block, seq_block; /* in LBAs */
    stor_io *io;           /* one per buffer */
    uint32_t *free_slot, nfree;
    bool started;
    uint32_t owed;         /* rate-limited: issues due while the depth was full */
    uint64_t interval_ps;
    sim_event *ev;         /* rate-limited: the next issue */
    sim_rng rng;
} stor_job;

typedef struct storage_sys {
    storage_cfg cfg;
    const sim_params *params;
    sim_kernel *kernel;
    platform *pf;
    nvme *dev;
    cpu *cpu;
    hv *hv;
    halt *halt;
    noise *noise;
    vtick *tick;
    stor_drv *drv;         /* native, passthrough: one; sriov: the host's, then one per VM */
    unsigned ndrv;
    irq_target *irq;       /* per interrupt remapping entry */
    stor_drv **irq_drv;
    unsigned *irq_vec;
    unsigned nirq;
    stor_job *job;
    unsigned njobs;
    uint32_t lba_bytes, nlb;
    unsigned ready_drivers;
    /* statistics */
    sim_hist *lat;
    uint64_t reads, writes, read_bytes, write_bytes, errors, dev_irqs0;
} storage_sys;

#define DEV_VECTOR 0x30u
#define PI_NOTIFY_VECTOR 0xf2u

static uint64_t drv_cpu(void *ctx, unsigned qid, uint64_t t_ps, uint64_t cycles, bool urgent)
{
    stor_drv *sd = ctx;
    cpu *c = sd->sys->cpu;
    unsigned core = sd->core[qid];
    return urgent ? cpu_run_urgent(c, core, t_ps, cycles, sd->who)
                  : cpu_run(c, core, t_ps, cycles, sd->who);
}

/* ---------------------------------------------------------------- jobs */

static void job_issue(stor_job *j, uint64_t t);

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
    io->write = pick_write(j);
    uint64_t after = cpu_run(s->cpu, j->core, t, s->cfg.submit_cycles, CPU_GUEST);
    nvme_drv_req r = {.write = io->write,
                      .slba = pick_block(j),
                      .nlb = s->nlb,
                      .buf = j->buf_base + (uint64_t)slot * s->cfg.bs_bytes,
                      .cookie = (uint64_t)j->idx << 32 | slot};
    bool ok;
    nvme_drv_submit(j->drv->d, j->qid, after, &r, true, &ok);
    if (!ok) { /* cannot happen: iodepth is below the queue's tags */
        j->free_slot[j->nfree++] = slot;
        s->errors++;
    }
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
    j->started = true;
    if (j->interval_ps) {
        /* Jobs start a fraction of an interval apart, as fio's threads do not line up. */
        sim_event_notify_at(j->ev, t + j->interval_ps * j->idx / j->sys->njobs);
        return;
    }
    for (unsigned k = 0; k < j->sys->cfg.iodepth; k++)
        job_issue(j, t);
}

/* A request completed in the driver's interrupt at t: the block layer's completion and
 * the aio event in the interrupt; the thread takes it, and issues the next. */
static void on_done(void *ctx, unsigned qid, uint64_t cookie, uint16_t status, uint64_t t)
{
    (void)qid;
    stor_drv *sd = ctx;
    storage_sys *s = sd->sys;
    stor_job *j = &s->job[cookie >> 32];
    uint32_t slot = (uint32_t)cookie;
    stor_io *io = &j->io[slot];
    uint64_t end = cpu_run_urgent(s->cpu, j->core, t, s->cfg.complete_cycles, CPU_GUEST);
    if (status) {
        s->errors++;
    } else {
        sim_hist_add(s->lat, end - io->issue_ps);
        if (io->write) {
            s->writes++;
            s->write_bytes += s->cfg.bs_bytes;
        } else {
            s->reads++;
            s->read_bytes += s->cfg.bs_bytes;
        }
    }
    j->free_slot[j->nfree++] = slot;
    if (!j->interval_ps) {
        job_issue(j, end);
    } else if (j->owed) {
        j->owed--;
        job_issue(j, end);
    }
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
static int add_irqs(storage_sys *s, stor_drv *sd, uint16_t rid, nvme_drv_env *env, sim_err *e)
{
    unsigned nv = 1 + env->io_queues;
    sd->first_irte = s->nirq;
    s->irq = sim_xreallocarray(s->irq, s->nirq + nv, sizeof *s->irq);
    s->irq_drv = sim_xreallocarray(s->irq_drv, s->nirq + nv, sizeof *s->irq_drv);
    s->irq_vec = sim_xreallocarray(s->irq_vec, s->nirq + nv, sizeof *s->irq_vec);
    bool posted = sd->in_vm && hv_posted(s->hv);
    for (unsigned v = 0; v < nv; v++) {
        unsigned idx = s->nirq++, core = sd->core[v];
        s->irq[idx] = (irq_target){.core = core, .via_hv = sd->in_vm};
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
            return sim_err_set(e, "storage: interrupt remapping entry %u could not be written", idx);
        env->msi_addr[v] = iommu_msi_addr(idx);
        env->msi_data[v] = 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- drivers */

static void start_jobs_of(storage_sys *s, const stor_drv *sd, uint64_t t)
{
    for (unsigned q = 1; q <= drv_queues(&s->cfg); q++)
        job_start(&s->job[sd->first_job + q - 1], t);
}

static void on_ready(void *ctx, uint64_t t, const char *error);

/* A driver for function fn of VM (group) vm, its queues on the cores of its jobs (the
 * admin queue on its first job's core, or on `admin_core`). */
static stor_drv *add_driver(storage_sys *s, unsigned fn, unsigned vm, bool in_vm, cpu_who who,
                            uint32_t nsid, unsigned queues, unsigned first_job,
                            unsigned admin_core, uint64_t mem_base, sim_err *e)
{
    stor_drv *sd = &s->drv[s->ndrv++];
    *sd = (stor_drv){.sys = s, .vm = vm, .in_vm = in_vm, .who = who, .first_job = first_job};
    sd->core[0] = admin_core;
    for (unsigned q = 1; q <= queues; q++)
        sd->core[q] = s->job[first_job + q - 1].core;
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
                        .done = on_done,
                        .ready = on_ready,
                        .ctx = sd};
    if (add_irqs(s, sd, nvme_fn_rid(s->dev, fn), &env, e) < 0)
        return NULL;
    sd->d = nvme_drv_create(s->params, &env);
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
                                     vm_base(c, i), PLATFORM_VM_SPAN, 2u << 20, e) < 0)
            return -1;
        stor_drv *sd = add_driver(s, fn, i, true, CPU_GUEST, 1 + i, c->jobs, i * c->jobs,
                                  s->job[i * c->jobs].core, vm_base(c, i), e);
        if (!sd)
            return -1;
        nvme_drv_probe(sd->d, t);
    }
    return 0;
}

static void on_ready(void *ctx, uint64_t t, const char *error)
{
    stor_drv *sd = ctx;
    storage_sys *s = sd->sys;
    if (error) {
        /* A driver that did not come up is a model error the run reports: no I/O runs. */
        fprintf(stderr, "storage: %s\n", error);
        s->errors++;
        return;
    }
    s->ready_drivers++;
    if (s->cfg.path == SP_SRIOV && sd == &s->drv[0]) {
        sim_err e = {{0}};
        if (start_vfs(s, t, &e) < 0) {
            fprintf(stderr, "storage: %s\n", e.msg);
            s->errors++;
        }
        return;
    }
    if (s->lba_bytes == 0) {
        s->lba_bytes = nvme_drv_lba_bytes(sd->d);
        s->nlb = (uint32_t)(s->cfg.bs_bytes / s->lba_bytes);
    }
    uint64_t blocks = nvme_drv_ns_blocks(sd->d);
    uint64_t span = s->cfg.span_bytes ? s->cfg.span_bytes / s->lba_bytes : blocks;
    for (unsigned q = 1; q <= drv_queues(&s->cfg); q++) {
        stor_job *j = &s->job[sd->first_job + q - 1];
        j->drv = sd;
        j->qid = q;
        j->span_blocks = span;
        /* Sequential jobs each run through their own share of the span. */
        if (s->cfg.rw == RW_READ || s->cfg.rw == RW_WRITE) {
            uint64_t share = span / s->cfg.jobs / s->nlb * s->nlb;
            j->first_block = share * (j->idx % s->cfg.jobs);
            j->span_blocks = share ? share : s->nlb;
        }
    }
    start_jobs_of(s, sd, t);
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

static double m_guest_cyc(const sim_stats *st, void *ctx) { (void)st; return cycles_per_io(ctx, CPU_GUEST); }
static double m_hv_cyc(const sim_stats *st, void *ctx) { (void)st; return cycles_per_io(ctx, CPU_HYPERVISOR); }
static double m_host_cyc(const sim_stats *st, void *ctx) { (void)st; return cycles_per_io(ctx, CPU_HOST); }

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
                     "hypervisor cycles (exits, interrupt injection) per completed I/O");
    sim_stats_metric(st, "host_cycles_per_io", "cycles per I/O", m_host_cyc, s,
                     "host software cycles (the host's PF driver, back ends) per completed I/O");
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
    free(s->job);
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
    uint64_t drv_bytes = nvme_drv_mem_bytes(s->params, drv_queues(c));
    for (unsigned i = 0; i < s->njobs; i++) {
        stor_job *j = &s->job[i];
        unsigned vm = i / c->jobs;
        j->sys = s;
        j->idx = i;
        j->core = first_job_core(c) + i;
        uint64_t base = c->path == SP_NATIVE ? PLATFORM_HOST_BASE : vm_base(c, vm);
        unsigned k = c->path == SP_NATIVE ? i : i % c->jobs;
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
        if (path_in_vm(c->path))
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
        if (path_in_vm(s->cfg.path)) {
            vtick_add_vcpu(s->tick, core);
            noise_add_vcpu(s->noise, core);
        } else {
            vtick_set_app_core(s->tick, core);
            noise_add_app_core(s->noise, core);
        }
    }
    vtick_start(s->tick, 0);
    for (unsigned c = 0; c < first_job_core(&s->cfg); c++)
        noise_add_host_core(s->noise, c);
    noise_start(s->noise, 0);
}

static int add_drivers(storage_sys *s, sim_err *e)
{
    const storage_cfg *c = &s->cfg;
    const unsigned pf = NVME_PF;
    const uint16_t pf_rid = PLATFORM_DEVICE_RID;
    s->drv = sim_xcalloc(1 + c->vms, sizeof *s->drv);
    /* Every driver's vectors: the host's (sriov: an admin and one I/O queue) and each
     * VM's (an admin vector and one per job). */
    uint32_t vectors = c->path == SP_SRIOV ? 2 + c->vms * (1 + c->jobs) : 1 + drv_queues(c);
    if (iommu_irq_table_init_for(s->pf->iommu, vectors) < 0)
        return sim_err_set(e, "storage: no interrupt remapping table for %u vectors", vectors);
    switch ((enum stor_path)c->path) {
    case SP_NATIVE:
        /* The host's driver: DMA in pass-through (iommu.mode off or pt). */
        if (iommu_attach_passthrough(s->pf->iommu, pf_rid) < 0)
            return sim_err_set(e, "storage: the PF cannot be attached in pass-through");
        return add_driver(s, pf, 0, false, CPU_GUEST, 1, drv_queues(c), 0, s->job[0].core,
                          PLATFORM_HOST_BASE, e)
                   ? 0 : -1;
    case SP_PASSTHROUGH:
        if (platform_assign_identity(s->pf, pf_rid, 2, vm_base(c, 0), PLATFORM_VM_SPAN, 2u << 20,
                                     e) < 0)
            return -1;
        return add_driver(s, pf, 0, true, CPU_GUEST, 1, c->jobs, 0, s->job[0].core,
                          vm_base(c, 0), e)
                   ? 0 : -1;
    case SP_SRIOV: {
        /* The host's PF driver, one I/O queue on host core 0: it only administers. Its
         * memory sits past the jobs' buffers of the host's span. */
        if (iommu_attach_passthrough(s->pf->iommu, pf_rid) < 0)
            return sim_err_set(e, "storage: the PF cannot be attached in pass-through");
        /* The VFs first (sriov_numvfs): a secondary goes Online only once its VF exists,
         * as QEMU's NVMe requires and its documentation's sequence does. */
        pci_iov iov = {s->pf->bus, pf_rid, nvme_caps_of(s->params).mmio_base_addr,
                       PLATFORM_MMIO_WINDOW_BYTES};
        if (pci_iov_enable(&iov, c->vms, e) < 0)
            return -1;
        stor_drv *host = &s->drv[s->ndrv++];
        *host = (stor_drv){.sys = s, .who = CPU_HOST};
        nvme_drv_env env = {.kernel = s->kernel, .dev = s->dev, .rc = s->pf->rc,
                            .pm = s->pf->pm, .fn = pf, .nsid = 1, .io_queues = 1,
                            .mem_base = PLATFORM_HOST_BASE,
                            .mem_bytes = nvme_drv_mem_bytes(s->params, 1), .cpu = drv_cpu,
                            .done = on_done, .ready = on_ready, .ctx = host};
        if (add_irqs(s, host, pf_rid, &env, e) < 0)
            return -1;
        host->d = nvme_drv_create(s->params, &env);
        for (unsigned i = 0; i < c->vms; i++) {
            unsigned ctrl = 1 + i, n = c->jobs + 1;
            nvme_drv_queue_virt(host->d, NVME_VIRT_SEC_ASSIGN, NVME_VIRT_RT_VQ, ctrl, n);
            nvme_drv_queue_virt(host->d, NVME_VIRT_SEC_ASSIGN, NVME_VIRT_RT_VI, ctrl, n);
            nvme_drv_queue_virt(host->d, NVME_VIRT_SEC_ONLINE, 0, ctrl, 0);
            nvme_drv_queue_attach(host->d, 1 + i, ctrl);
        }
        return 0;
    }
    default:
        return sim_err_set(e, "storage: path %u is not built", c->path);
    }
}

static void *storage_build(const sim_ctx *ctx, const sys_observers *obs, sim_err *e)
{
    const sim_params *p = ctx->params;
    storage_sys *s = sim_xcalloc(1, sizeof *s);
    s->params = p;
    s->kernel = ctx->kernel;
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
    if (!s->dev || !platform_boot(s->pf, nvme_caps_of(p).mmio_base_addr, PLATFORM_MMIO_WINDOW_BYTES, e)) {
        storage_destroy(s);
        return NULL;
    }
    register_stats(s, ctx->stats);
    make_jobs(s, ctx->seed);
    if (add_drivers(s, e) < 0) {
        storage_destroy(s);
        return NULL;
    }
    start_ticks(s, ctx);
    /* The host's driver (or the VM's, passthrough) probes at 0; under sriov the VMs'
     * drivers probe once the host's has set their controllers up. */
    nvme_drv_probe(s->drv[0].d, 0);
    return s;
}

static const char *const storage_variants[] = {"storage.path=sriov, storage.vms=2", NULL};

const sys_kind sys_kind_storage = {
    .name = "storage",
    .doc = "fio-like jobs on an NVMe drive through a storage path (storage.path)",
    .register_params = storage_register_params,
    .check = storage_check,
    .build = storage_build,
    .destroy = storage_destroy,
    .variants = storage_variants,
};
