#include "host/nvmedrv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/nvme/nvme_regs.h"
#include "models/pcie/cfgspace_regs.h"
#include "sim/alloc.h"
#include "sim/le.h"

#define PAGE 4096u

typedef struct drv_cfg {
    uint32_t queue_entries, admin_entries;
    uint64_t submit_cycles, irq_cycles, cqe_cycles;
} drv_cfg;

static const sim_param_def drv_params[] = {
    {"nvmedrv.queue_entries", SIM_PARAM_UINT, "1024", "2..4095", "entries",
     "Entries of each I/O queue, capped by the controller's CAP.MQES (Linux's io_queue_depth)",
     SIM_AT(drv_cfg, queue_entries)},
    {"nvmedrv.admin_entries", SIM_PARAM_UINT, "32", "2..4096", "entries",
     "Entries of the admin queue (Linux's NVME_AQ_DEPTH)", SIM_AT(drv_cfg, admin_entries)},
    {"nvmedrv.submit_cycles", SIM_PARAM_UINT, "400", "0..1e7", "cycles",
     "nvme_queue_rq per request: the command, its DMA mapping and PRPs, the doorbell's "
     "preparation",
     SIM_AT(drv_cfg, submit_cycles)},
    {"nvmedrv.irq_cycles", SIM_PARAM_UINT, "1000", "0..1e7", "cycles",
     "An NVMe interrupt's entry and exit around nvme_irq's fixed part",
     SIM_AT(drv_cfg, irq_cycles)},
    {"nvmedrv.cqe_cycles", SIM_PARAM_UINT, "500", "0..1e7", "cycles",
     "Per completion entry: nvme_handle_cqe, the request's unmapping, blk_mq_complete_request",
     SIM_AT(drv_cfg, cqe_cycles)},
};

void nvme_drv_register_params(sim_params *p)
{
    sim_params_add_table(p, drv_params, SIM_TABLE_LEN(drv_params));
}

/* ---------------------------------------------------------------- state */

typedef struct drv_q {
    uint64_t sq, cq;      /* rings */
    uint64_t prp_pages;   /* one PRP list page per slot */
    uint32_t n;           /* entries */
    uint32_t sq_tail, sq_head, cq_head;
    uint32_t pending_db;  /* entries written since the last tail doorbell */
    uint64_t last_db_ps;  /* when the last tail doorbell was written */
    bool phase;
    uint16_t *free_cid;   /* a stack of free command IDs (slots) */
    uint32_t nfree;
    uint64_t *cookie;     /* per command ID */
    bool *busy;           /* per command ID: outstanding */
} drv_q;

enum { ADM_NONE, ADM_VIRT, ADM_ATTACH };
typedef struct adm_cmd {
    uint8_t kind;
    unsigned act, rt, ctrl, nr;
    uint32_t nsid;
} adm_cmd;

enum probe_step {
    STEP_ID_CTRL,
    STEP_ID_NS,
    STEP_NUM_QUEUES,
    STEP_CREATE_CQ,
    STEP_CREATE_SQ,
    STEP_QUEUED,
    STEP_DONE,
};

struct nvme_drv {
    nvme_drv_env env;
    drv_cfg cfg;
    uint64_t bar;
    uint64_t next; /* the arena's bump pointer */
    uint64_t id_page;
    drv_q q[NVME_DRV_MAX_QUEUES + 1]; /* 0: admin */
    unsigned nio;
    /* probe */
    enum probe_step step;
    unsigned step_q;
    adm_cmd *queued;
    unsigned nqueued, queued_cap, queued_next;
    uint64_t ns_blocks, mdts_bytes;
    uint32_t lba_bytes;
    nvme_drv_counters ctr;
};

static uint64_t alloc(nvme_drv *d, uint64_t bytes)
{
    uint64_t a = d->next;
    d->next += (bytes + PAGE - 1) & ~(uint64_t)(PAGE - 1);
    return a;
}

/* The parameters, the I/O queues' entries capped by the controller's (min(io_queue_depth,
 * MQES + 1), nvme_pci_enable). */
static drv_cfg cfg_load(const sim_params *p)
{
    drv_cfg c;
    sim_params_load_table(p, drv_params, SIM_TABLE_LEN(drv_params), &c);
    uint32_t mqes = nvme_caps_of(p).max_queue_entries;
    if (c.queue_entries > mqes)
        c.queue_entries = mqes;
    return c;
}

uint32_t nvme_drv_queue_entries(const sim_params *p) { return cfg_load(p).queue_entries; }

static uint64_t pages_of(uint64_t bytes) { return (bytes + PAGE - 1) / PAGE; }

uint64_t nvme_drv_mem_bytes(const sim_params *p, unsigned io_queues)
{
    drv_cfg c = cfg_load(p);
    uint64_t n = c.queue_entries, a = c.admin_entries;
    /* Per I/O queue its two rings and a PRP list page per slot; the admin rings and
     * two pages of Identify and command data. */
    uint64_t per_q = pages_of(n * NVME_SQE_BYTES) + pages_of(n * NVME_CQE_BYTES) + n;
    uint64_t admin = pages_of(a * NVME_SQE_BYTES) + pages_of(a * NVME_CQE_BYTES) + 2;
    return (admin + io_queues * per_q) * PAGE;
}

static void q_init(drv_q *q, nvme_drv *d, uint32_t n, bool prp)
{
    *q = (drv_q){.n = n, .phase = true};
    q->sq = alloc(d, (uint64_t)n * NVME_SQE_BYTES);
    q->cq = alloc(d, (uint64_t)n * NVME_CQE_BYTES);
    mem_phys_fill(d->env.pm, q->cq, 0, (size_t)n * NVME_CQE_BYTES);
    if (prp)
        q->prp_pages = alloc(d, (uint64_t)n * PAGE);
    q->free_cid = sim_xcalloc(n, sizeof *q->free_cid);
    q->cookie = sim_xcalloc(n, sizeof *q->cookie);
    q->busy = sim_xcalloc(n, sizeof *q->busy);
    /* n - 1 tags: the ring never fills (a full ring's tail would meet its head). */
    for (uint32_t i = 0; i + 1 < n; i++)
        q->free_cid[q->nfree++] = (uint16_t)(n - 2 - i);
}

static void register_stats(nvme_drv *d)
{
    char name[96];
#define C(field, desc)                                                                         \
    snprintf(name, sizeof name, "%s." #field, d->env.stats_prefix);                            \
    sim_stats_counter(d->env.stats, name, &d->ctr.field, desc)
    C(submits, "requests submitted (nvme_queue_rq)");
    C(completions, "requests completed");
    C(irqs, "interrupts handled");
    C(spurious_irqs, "interrupts that found no new completion entry");
    C(sq_doorbells, "submission queue tail doorbells written");
    C(cq_doorbells, "completion queue head doorbells written");
    C(errors, "completions with an error status, or with an identifier not outstanding");
#undef C
}

nvme_drv *nvme_drv_create(const sim_params *p, const nvme_drv_env *env)
{
    nvme_drv *d = sim_xcalloc(1, sizeof *d);
    d->env = *env;
    d->cfg = cfg_load(p);
    d->next = env->mem_base;
    d->bar = nvme_fn_bar(env->dev, env->fn);
    q_init(&d->q[0], d, d->cfg.admin_entries, false);
    d->id_page = alloc(d, 2 * PAGE);
    if (env->stats)
        register_stats(d);
    return d;
}

void nvme_drv_destroy(nvme_drv *d)
{
    if (!d)
        return;
    for (unsigned q = 0; q <= NVME_DRV_MAX_QUEUES; q++) {
        free(d->q[q].free_cid);
        free(d->q[q].cookie);
        free(d->q[q].busy);
    }
    free(d->queued);
    free(d);
}

unsigned nvme_drv_io_queues(const nvme_drv *d) { return d->nio; }
uint64_t nvme_drv_ns_blocks(const nvme_drv *d) { return d->ns_blocks; }
uint32_t nvme_drv_lba_bytes(const nvme_drv *d) { return d->lba_bytes; }
uint64_t nvme_drv_max_transfer_bytes(const nvme_drv *d) { return d->mdts_bytes; }
nvme_drv_counters nvme_drv_get_counters(const nvme_drv *d) { return d->ctr; }

unsigned nvme_drv_room(const nvme_drv *d, unsigned qid)
{
    return qid >= 1 && qid <= d->nio ? d->q[qid].nfree : 0;
}

/* ---------------------------------------------------------------- the device */

static void mmio_write(nvme_drv *d, uint64_t t_ps, uint64_t addr, uint32_t len, uint64_t v)
{
    uint64_t at = pcie_rc_mmio_write(d->env.rc, t_ps, addr, len);
    nvme_mmio_write(d->env.dev, at, addr, len, v);
}

static uint64_t doorbell(const nvme_drv *d, unsigned qid, bool cq)
{
    return nvme_doorbell_addr(d->env.dev, d->env.fn, qid, cq);
}

/* Writes an entry at the queue's tail; the doorbell is the caller's. */
static void sq_put(nvme_drv *d, drv_q *q, const uint8_t *e)
{
    mem_phys_write(d->env.pm, q->sq + (uint64_t)q->sq_tail * NVME_SQE_BYTES, e, NVME_SQE_BYTES);
    q->sq_tail = (q->sq_tail + 1) % q->n;
    q->pending_db++;
}

static void sq_ring(nvme_drv *d, unsigned qid, uint64_t t_ps)
{
    drv_q *q = &d->q[qid];
    if (!q->pending_db)
        return;
    q->pending_db = 0;
    d->ctr.sq_doorbells++;
    /* Linux writes a queue's doorbell under its sq_lock (nvme_submit_cmds ->
     * nvme_write_sq_db), so doorbells leave in the order of their tails; cores' work
     * booked ahead of the clock could otherwise send a newer tail before an older one. */
    if (t_ps < q->last_db_ps)
        t_ps = q->last_db_ps;
    q->last_db_ps = t_ps;
    mmio_write(d, t_ps, doorbell(d, qid, false), 4, q->sq_tail);
}

static void sqe_fill(uint8_t *e, uint8_t opc, uint16_t cid, uint32_t nsid, uint64_t prp1,
                     uint64_t prp2, uint32_t cdw10, uint32_t cdw11, uint32_t cdw12)
{
    memset(e, 0, NVME_SQE_BYTES);
    sim_le_put(e + NVME_SQE_CDW0, opc | (uint32_t)cid << 16, 4);
    sim_le_put(e + NVME_SQE_NSID, nsid, 4);
    sim_le_put(e + NVME_SQE_PRP1, prp1, 8);
    sim_le_put(e + NVME_SQE_PRP2, prp2, 8);
    sim_le_put(e + NVME_SQE_CDW10, cdw10, 4);
    sim_le_put(e + NVME_SQE_CDW11, cdw11, 4);
    sim_le_put(e + NVME_SQE_CDW12, cdw12, 4);
}

/* ---------------------------------------------------------------- probe */

static void probe_fail(nvme_drv *d, uint64_t t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void probe_fail(nvme_drv *d, uint64_t t, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    d->step = STEP_DONE;
    d->ctr.errors++;
    d->env.ready(d->env.ctx, t, msg);
}

/* One admin command; its completion continues the probe (admin_done). */
static void admin_send(nvme_drv *d, uint64_t t, uint8_t opc, uint32_t nsid, uint64_t prp1,
                       uint32_t cdw10, uint32_t cdw11)
{
    uint8_t e[NVME_SQE_BYTES];
    sqe_fill(e, opc, 0, nsid, prp1, 0, cdw10, cdw11, 0);
    sq_put(d, &d->q[0], e);
    sq_ring(d, 0, t);
}

static void next_step(nvme_drv *d, uint64_t t)
{
    const uint32_t irq_pc = NVME_CQ_CDW11_IEN | NVME_CQ_CDW11_PC;
    switch (d->step) {
    case STEP_ID_CTRL:
        admin_send(d, t, NVME_ADM_IDENTIFY, 0, d->id_page, NVME_CNS_CTRL, 0);
        return;
    case STEP_ID_NS:
        admin_send(d, t, NVME_ADM_IDENTIFY, d->env.nsid, d->id_page, NVME_CNS_NS, 0);
        return;
    case STEP_NUM_QUEUES: {
        uint32_t n = d->env.io_queues - 1;
        admin_send(d, t, NVME_ADM_SET_FEATURES, 0, 0, NVME_FID_NUM_QUEUES, n << 16 | n);
        return;
    }
    case STEP_CREATE_CQ: {
        drv_q *q = &d->q[d->step_q];
        admin_send(d, t, NVME_ADM_CREATE_CQ, 0, q->cq, (q->n - 1) << 16 | d->step_q,
                   d->step_q << 16 | irq_pc);
        return;
    }
    case STEP_CREATE_SQ: {
        drv_q *q = &d->q[d->step_q];
        admin_send(d, t, NVME_ADM_CREATE_SQ, 0, q->sq, (q->n - 1) << 16 | d->step_q,
                   d->step_q << 16 | NVME_SQ_CDW11_PC);
        return;
    }
    case STEP_QUEUED: {
        if (d->queued_next == d->nqueued) {
            d->step = STEP_DONE;
            d->env.ready(d->env.ctx, t, NULL);
            return;
        }
        const adm_cmd *c = &d->queued[d->queued_next];
        if (c->kind == ADM_VIRT) {
            admin_send(d, t, NVME_ADM_VIRT_MGMT, 0, 0, c->ctrl << 16 | c->rt << 8 | c->act, c->nr);
            return;
        }
        uint8_t list[4] = {0};
        sim_le_put(list, 1, 2);
        sim_le_put(list + 2, c->ctrl, 2);
        mem_phys_write(d->env.pm, d->id_page + PAGE, list, sizeof list);
        admin_send(d, t, NVME_ADM_NS_ATTACH, c->nsid, d->id_page + PAGE, NVME_NS_ATTACH, 0);
        return;
    }
    case STEP_DONE:
        return;
    }
}


/* An admin completion: check it, take what it tells, go on. */
static void admin_done(nvme_drv *d, uint16_t status, uint32_t dw0, uint64_t t)
{
    static const char *const names[] = {
        [STEP_ID_CTRL] = "Identify Controller", [STEP_ID_NS] = "Identify Namespace",
        [STEP_NUM_QUEUES] = "Set Features (Number of Queues)",
        [STEP_CREATE_CQ] = "Create I/O Completion Queue",
        [STEP_CREATE_SQ] = "Create I/O Submission Queue", [STEP_QUEUED] = "an admin command"};
    if (d->step == STEP_DONE)
        return;
    if (status) {
        const char *what = names[d->step];
        if (d->step == STEP_QUEUED)
            what = d->queued[d->queued_next].kind == ADM_VIRT ? "Virtualization Management"
                                                              : "Namespace Attachment";
        probe_fail(d, t, "nvme driver on function %u: %s failed with status %03x", d->env.fn,
                   what, status);
        return;
    }
    mem_phys *pm = d->env.pm;
    switch (d->step) {
    case STEP_ID_CTRL: {
        uint8_t mdts = 0;
        mem_phys_read(pm, d->id_page + NVME_IDC_MDTS, &mdts, 1);
        d->mdts_bytes = mdts ? (uint64_t)PAGE << mdts : UINT64_MAX;
        d->step = STEP_ID_NS;
        break;
    }
    case STEP_ID_NS: {
        d->ns_blocks = mem_phys_read_u64(pm, d->id_page + NVME_IDNS_NSZE);
        d->lba_bytes = 1u << ((mem_phys_read_u32(pm, d->id_page + NVME_IDNS_LBAF0) >> 16) & 0xff);
        if (!d->ns_blocks) {
            probe_fail(d, t, "nvme driver on function %u: namespace %u is not attached to it",
                       d->env.fn, d->env.nsid);
            return;
        }
        d->step = STEP_NUM_QUEUES;
        break;
    }
    case STEP_NUM_QUEUES: {
        unsigned nsq = (dw0 & 0xffffu) + 1u, ncq = (dw0 >> 16) + 1u;
        d->nio = nsq < ncq ? nsq : ncq;
        if (d->nio > d->env.io_queues)
            d->nio = d->env.io_queues;
        for (unsigned q = 1; q <= d->nio; q++)
            q_init(&d->q[q], d, d->cfg.queue_entries, true);
        d->step = STEP_CREATE_CQ;
        d->step_q = 1;
        break;
    }
    case STEP_CREATE_CQ: d->step = STEP_CREATE_SQ; break;
    case STEP_CREATE_SQ:
        if (d->step_q < d->nio) {
            d->step_q++;
            d->step = STEP_CREATE_CQ;
        } else {
            d->step = STEP_QUEUED;
        }
        break;
    case STEP_QUEUED: d->queued_next++; break;
    case STEP_DONE: return;
    }
    next_step(d, t);
}

static void queue_adm(nvme_drv *d, adm_cmd c)
{
    if (d->nqueued == d->queued_cap) {
        d->queued_cap = d->queued_cap ? 2 * d->queued_cap : 8;
        d->queued = sim_xreallocarray(d->queued, d->queued_cap, sizeof *d->queued);
    }
    d->queued[d->nqueued++] = c;
}

void nvme_drv_queue_virt(nvme_drv *d, unsigned act, unsigned rt, unsigned ctrl, unsigned nr)
{
    queue_adm(d, (adm_cmd){.kind = ADM_VIRT, .act = act, .rt = rt, .ctrl = ctrl, .nr = nr});
}

void nvme_drv_queue_attach(nvme_drv *d, uint32_t nsid, unsigned ctrl)
{
    queue_adm(d, (adm_cmd){.kind = ADM_ATTACH, .nsid = nsid, .ctrl = ctrl});
}

/* MSI-X on (pci_alloc_irq_vectors), and each vector's entry programmed and unmasked. */
static void msix_setup(nvme_drv *d, uint64_t t, unsigned vectors)
{
    pcie_cfg *c = nvme_fn_cfg(d->env.dev, d->env.fn);
    uint8_t cap = pcie_cfg_find_capability(c, PCIE_CAP_ID_MSIX);
    uint32_t ctl = pcie_cfg_read(c, (uint16_t)(cap + PCIE_MSIX_MSG_CTRL), 2);
    pcie_cfg_write(c, (uint16_t)(cap + PCIE_MSIX_MSG_CTRL), 2,
                   (ctl | PCIE_MSIX_MSG_CTRL_ENABLE) & ~(uint32_t)PCIE_MSIX_MSG_CTRL_FUNCTION_MASK);
    for (unsigned v = 0; v < vectors; v++) {
        uint64_t e = d->bar + NVME_MSIX_TABLE_OFFSET + (uint64_t)PCIE_MSIX_ENTRY_SIZE * v;
        mmio_write(d, t, e + PCIE_MSIX_ENTRY_MSG_ADDR, 8, d->env.msi_addr[v]);
        mmio_write(d, t, e + PCIE_MSIX_ENTRY_MSG_DATA, 4, d->env.msi_data[v]);
        mmio_write(d, t, e + PCIE_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    }
}

void nvme_drv_probe(nvme_drv *d, uint64_t t_ps)
{
    const drv_q *a = &d->q[0];
    msix_setup(d, t_ps, 1 + d->env.io_queues);
    mmio_write(d, t_ps, d->bar + NVME_REG_AQA, 4, (a->n - 1) << 16 | (a->n - 1));
    mmio_write(d, t_ps, d->bar + NVME_REG_ASQ, 8, a->sq);
    mmio_write(d, t_ps, d->bar + NVME_REG_ACQ, 8, a->cq);
    mmio_write(d, t_ps, d->bar + NVME_REG_CC, 4,
               NVME_CC_EN | NVME_SQES_LOG2 << 16 | NVME_CQES_LOG2 << 20);
    /* nvme_wait_ready polls CSTS; the model is ready on CC.EN's arrival. */
    uint64_t csts = nvme_mmio_read(d->env.dev, t_ps, d->bar + NVME_REG_CSTS, 4);
    if (!(csts & NVME_CSTS_RDY) || (csts & NVME_CSTS_CFS)) {
        probe_fail(d, t_ps, "nvme driver on function %u: the controller did not become ready "
                            "(CSTS %llx%s)", d->env.fn, (unsigned long long)csts,
                   csts & NVME_CSTS_CFS ? ": Controller Fatal Status" : "");
        return;
    }
    d->step = STEP_ID_CTRL;
    next_step(d, t_ps);
}

/* ---------------------------------------------------------------- I/O */

uint64_t nvme_drv_submit(nvme_drv *d, unsigned qid, uint64_t t_ps, const nvme_drv_req *r,
                         bool last, bool *ok)
{
    drv_q *q = &d->q[qid];
    *ok = qid >= 1 && qid <= d->nio && q->nfree;
    if (!*ok)
        return t_ps;
    uint16_t cid = q->free_cid[--q->nfree];
    q->cookie[cid] = r->cookie;
    q->busy[cid] = true;
    uint64_t bytes = (uint64_t)r->nlb * d->lba_bytes;
    uint64_t prp2 = 0;
    if (bytes > 2 * PAGE) {
        /* nvme_pci_setup_prps: every page after the first in the slot's list page. */
        uint64_t list = q->prp_pages + (uint64_t)cid * PAGE;
        uint64_t pages = (bytes + PAGE - 1) / PAGE;
        for (uint64_t k = 1; k < pages && k <= PAGE / NVME_PRP_BYTES; k++)
            mem_phys_write_u64(d->env.pm, list + (k - 1) * NVME_PRP_BYTES, r->buf + k * PAGE);
        prp2 = list;
    } else if (bytes > PAGE) {
        prp2 = r->buf + PAGE;
    }
    uint8_t e[NVME_SQE_BYTES];
    sqe_fill(e, r->write ? NVME_IO_WRITE : NVME_IO_READ, cid, d->env.nsid, r->buf, prp2,
             (uint32_t)r->slba, (uint32_t)(r->slba >> 32), r->nlb - 1);
    uint64_t t = d->env.cpu(d->env.ctx, qid, t_ps, d->cfg.submit_cycles, false);
    sq_put(d, q, e);
    d->ctr.submits++;
    if (last)
        sq_ring(d, qid, t);
    return t;
}

uint64_t nvme_drv_irq(nvme_drv *d, unsigned v, uint64_t t_ps)
{
    unsigned qid = v; /* queue q on vector q */
    drv_q *q = &d->q[qid];
    d->ctr.irqs++;
    uint64_t t = d->env.cpu(d->env.ctx, qid, t_ps, d->cfg.irq_cycles, true);
    unsigned found = 0;
    for (;;) {
        uint8_t e[NVME_CQE_BYTES];
        mem_phys_read(d->env.pm, q->cq + (uint64_t)q->cq_head * NVME_CQE_BYTES, e, sizeof e);
        uint16_t st = (uint16_t)sim_le_get(e + NVME_CQE_STATUS, 2);
        if (((st & NVME_CQE_PHASE) != 0) != q->phase)
            break;
        found++;
        if (++q->cq_head == q->n) {
            q->cq_head = 0;
            q->phase = !q->phase;
        }
        uint16_t cid = (uint16_t)sim_le_get(e + NVME_CQE_CID, 2);
        uint16_t status = (st >> 1) & 0x7ffu;
        uint32_t dw0 = (uint32_t)sim_le_get(e + NVME_CQE_DW0, 4);
        q->sq_head = (uint32_t)sim_le_get(e + NVME_CQE_SQHD, 2);
        if (qid == 0) {
            admin_done(d, status, dw0, t);
            continue;
        }
        t = d->env.cpu(d->env.ctx, qid, t, d->cfg.cqe_cycles, true);
        if (cid >= q->n || !q->busy[cid]) {
            d->ctr.errors++; /* an identifier not outstanding: ignored (nvme_handle_cqe) */
            continue;
        }
        q->busy[cid] = false;
        q->free_cid[q->nfree++] = cid;
        d->ctr.completions++;
        if (status)
            d->ctr.errors++;
        d->env.done(d->env.ctx, qid, q->cookie[cid], status, t);
    }
    if (!found) {
        d->ctr.spurious_irqs++;
        return t;
    }
    d->ctr.cq_doorbells++;
    mmio_write(d, t, doorbell(d, qid, true), 4, q->cq_head);
    return t;
}
