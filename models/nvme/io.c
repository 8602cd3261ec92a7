/* The NVMe data path: doorbells, submission entry fetch, PRPs, the NVM command set's
 * Read, Write and Flush against the media, completion entries and interrupts with
 * their aggregation. Timing by reservation (nvme.h); one timed action at a doorbell's
 * arrival and one at a command's completion. */
#include "models/nvme/nvme_impl.h"

#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"

/* ---------------------------------------------------------------- commands in flight */

static nvme_cmd *cmd_alloc(nvme *n)
{
    nvme_cmd *cmd = n->free_cmds;
    if (cmd) {
        n->free_cmds = cmd->next;
    } else {
        cmd = sim_xmalloc(sizeof *cmd);
        cmd->page_addr = sim_xcalloc(n->max_pages, sizeof *cmd->page_addr);
        cmd->page_len = sim_xcalloc(n->max_pages, sizeof *cmd->page_len);
    }
    uint64_t *pa = cmd->page_addr;
    uint32_t *pl = cmd->page_len;
    memset(cmd, 0, sizeof *cmd);
    cmd->page_addr = pa;
    cmd->page_len = pl;
    return cmd;
}

void nvme_cmd_free_mem(nvme_cmd *cmd)
{
    free(cmd->page_addr);
    free(cmd->page_len);
    free(cmd);
}

static void cmd_free(nvme *n, nvme_cmd *cmd)
{
    cmd->next = n->free_cmds;
    n->free_cmds = cmd;
}

void nvme_cq_drop_waiting(nvme_ctrl *c, nvme_cq *cq, unsigned sqid)
{
    nvme_cmd *keep = NULL, **tail = &keep, *cmd = cq->wait_head;
    cq->wait_tail = NULL;
    while (cmd) {
        nvme_cmd *next = cmd->next;
        if (sqid == NVME_MAX_QUEUES || cmd->sqid == sqid) {
            cmd_free(c->nvme, cmd);
        } else {
            cmd->next = NULL;
            *tail = cmd;
            tail = &cmd->next;
            cq->wait_tail = cmd;
        }
        cmd = next;
    }
    cq->wait_head = keep;
}

/* Every queue deleted, and the completions a full queue held released. */
void nvme_queues_drop(nvme_ctrl *c)
{
    for (unsigned q = 0; q < NVME_MAX_QUEUES; q++) {
        nvme_cq *cq = &c->cq[q];
        nvme_cq_drop_waiting(c, cq, NVME_MAX_QUEUES);
        if (cq->exists)
            cq->gen++;
        cq->exists = false;
        if (c->sq[q].exists)
            c->sq[q].gen++;
        c->sq[q].exists = false;
    }
}

/* ---------------------------------------------------------------- interrupts */

static void vec_fire(nvme_ctrl *c, unsigned v, uint64_t t)
{
    nvme_vec *nv = &c->vec[v];
    nv->pending = 0;
    nv->armed = false;
    nv->gen++;
    if (!pcie_msix_signal(c->cfg, &c->msix[v]))
        return; /* held in the Pending Bit Array */
    pcie_dma_msi(c->dma, t, c->msix[v].addr, c->msix[v].data);
    c->ctr->irqs++;
}

void nvme_vec_unmasked(nvme_ctrl *c, unsigned v, uint64_t t_ps)
{
    if (pcie_msix_signal(c->cfg, &c->msix[v])) {
        pcie_dma_msi(c->dma, t_ps, c->msix[v].addr, c->msix[v].data);
        c->ctr->irqs++;
    }
}

void nvme_vec_timer(nvme_ctrl *c, unsigned v, uint64_t now)
{
    c->vec[v].armed = false;
    if (c->vec[v].pending)
        vec_fire(c, v, now);
}

/* A completion entry for vector v was sent at t. Aggregation (5.21.1.8) applies when
 * software set both a threshold above one entry and a time, not to the admin queue,
 * and not to a vector it exempted. */
static void vec_complete(nvme_ctrl *c, unsigned v, bool admin, uint64_t t)
{
    nvme_vec *nv = &c->vec[v];
    nv->pending++;
    bool aggregate = !admin && !nv->no_coalesce && c->coalesce_thr && c->coalesce_time_100us;
    if (!aggregate || nv->pending > c->coalesce_thr) {
        vec_fire(c, v, t);
        return;
    }
    if (!nv->armed) {
        nv->armed = true;
        nvme_sched(c->nvme, t + c->coalesce_time_100us * NVME_COALESCE_TIME_UNIT_PS, NVME_ACT_COALESCE,
                   c, nv->gen, v);
    }
}

/* ---------------------------------------------------------------- completions */

/* The entry goes to the queue's tail slot, sent at t_ps; its bytes land now (one
 * traversal after t_ps, nvme.h). */
static void cqe_post(nvme_ctrl *c, nvme_cq *cq, nvme_cmd *cmd, uint64_t t_ps)
{
    uint8_t e[NVME_CQE_BYTES] = {0};
    sim_le_put(e + NVME_CQE_DW0, cmd->dw0, 4);
    sim_le_put(e + NVME_CQE_SQHD, c->sq[cmd->sqid].head, 2);
    sim_le_put(e + NVME_CQE_SQID, cmd->sqid, 2);
    sim_le_put(e + NVME_CQE_CID, cmd->cid, 2);
    sim_le_put(e + NVME_CQE_STATUS, (uint16_t)(cmd->status | (cq->phase ? NVME_CQE_PHASE : 0u)), 2);
    pcie_dma_write_from(c->dma, t_ps, cq->base + (uint64_t)cq->tail * NVME_CQE_BYTES,
                        NVME_CQE_BYTES, e);
    if (++cq->tail == cq->entries) {
        cq->tail = 0;
        cq->phase = !cq->phase;
    }
    nvme_fn_counters *k = c->ctr;
    k->cqes++;
    if (cmd->status)
        k->cmd_errors++;
    else if (cmd->opc_kind == NVME_CMD_READ) {
        k->reads++;
        k->read_bytes += cmd->bytes;
    } else if (cmd->opc_kind == NVME_CMD_WRITE) {
        k->writes++;
        k->write_bytes += cmd->bytes;
    } else if (cmd->opc_kind == NVME_CMD_FLUSH)
        k->flushes++;
    if (cmd->opc_kind == NVME_CMD_ADMIN)
        k->admin_cmds++;
    if (cq->ien)
        vec_complete(c, cq->vec, cmd->cqid == 0, t_ps);
}

/* Whether a command's controller and queues are still those it was fetched for. */
static bool cmd_alive(const nvme_cmd *cmd)
{
    const nvme_ctrl *c = cmd->ctrl;
    const nvme_sq *sq = &c->sq[cmd->sqid];
    const nvme_cq *cq = &c->cq[cmd->cqid];
    return c->present && c->gen == cmd->ctrl_gen && sq->exists && sq->gen == cmd->sq_gen &&
           cq->exists && cq->gen == cmd->cq_gen;
}

static bool cq_full(const nvme_cq *cq) { return (cq->tail + 1) % cq->entries == cq->head; }

void nvme_cmd_done(nvme_cmd *cmd)
{
    nvme_ctrl *c = cmd->ctrl;
    nvme *n = c->nvme;
    nvme_cq *cq = &c->cq[cmd->cqid];
    if (!cmd_alive(cmd)) {
        cmd_free(n, cmd); /* its controller was reset or a queue of its deleted */
        return;
    }
    if (cq->wait_head || cq_full(cq)) {
        c->ctr->cq_full_waits++;
        cmd->next = NULL;
        if (cq->wait_tail)
            cq->wait_tail->next = cmd;
        else
            cq->wait_head = cmd;
        cq->wait_tail = cmd;
        return;
    }
    cqe_post(c, cq, cmd, cmd->done_ps);
    cmd_free(n, cmd);
}

void nvme_cq_doorbell(nvme_ctrl *c, unsigned qid, uint32_t head, uint64_t t_ps)
{
    if (qid >= NVME_MAX_QUEUES || !c->cq[qid].exists || head >= c->cq[qid].entries) {
        c->ctr->bad_doorbell++;
        return;
    }
    nvme_cq *cq = &c->cq[qid];
    /* The host has consumed up to head: room is back at once (the entries it frees are
     * ones it has read, so posting into them early loses nothing). */
    cq->head = head;
    uint64_t now = sim_now_ps(c->nvme->kernel);
    uint64_t t = t_ps > now ? t_ps : now;
    while (cq->wait_head && !cq_full(cq)) {
        nvme_cmd *cmd = cq->wait_head;
        cq->wait_head = cmd->next;
        if (!cq->wait_head)
            cq->wait_tail = NULL;
        cqe_post(c, cq, cmd, t > cmd->done_ps ? t : cmd->done_ps);
        cmd_free(c->nvme, cmd);
    }
}

/* ---------------------------------------------------------------- PRPs */

unsigned nvme_prp_pages(nvme_ctrl *c, uint64_t prp1, uint64_t prp2, uint32_t len,
                        uint64_t *t_ps, uint64_t *addr, uint32_t *plen, uint16_t *status)
{
    const uint64_t page = nvme_page_bytes(c);
    const uint16_t bad_offset = nvme_status(NVME_SCT_GENERIC, NVME_SC_PRP_OFFSET_INVALID);
    if (prp1 % 4) {
        *status = bad_offset;
        return 0;
    }
    uint32_t first = (uint32_t)(page - prp1 % page);
    if (first > len)
        first = len;
    addr[0] = prp1;
    plen[0] = first;
    uint32_t rem = len - first;
    if (!rem)
        return 1;
    if (rem <= page) {
        if (prp2 % page) {
            *status = bad_offset;
            return 0;
        }
        addr[1] = prp2;
        plen[1] = rem;
        return 2;
    }
    /* A PRP list (4.3): entries from prp2 to the end of its page; while more remain
     * than a list page holds, its last entry points at the next list page. */
    if (prp2 % 8) {
        *status = bad_offset;
        return 0;
    }
    unsigned npages = 1;
    uint64_t list = prp2;
    uint8_t buf[4096];
    while (rem) {
        uint32_t need = (uint32_t)((rem + page - 1) / page);
        uint32_t room = (uint32_t)((page - list % page) / NVME_PRP_BYTES);
        uint32_t take = need <= room ? need : room;
        if (take * NVME_PRP_BYTES > sizeof buf)
            take = sizeof buf / NVME_PRP_BYTES;
        bool ur = false;
        *t_ps = pcie_dma_read_into(c->dma, *t_ps, list, take * NVME_PRP_BYTES, buf, &ur);
        c->ctr->prp_list_reads++;
        if (ur) {
            c->ctr->dma_errors++;
            *status = nvme_status(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR);
            return 0;
        }
        bool chain = need > take;
        uint32_t data = chain ? take - 1 : take;
        for (uint32_t k = 0; k < data; k++) {
            uint64_t a = sim_le_get(buf + k * NVME_PRP_BYTES, 8);
            if (a % page) {
                *status = bad_offset;
                return 0;
            }
            uint32_t l = rem < page ? rem : (uint32_t)page;
            addr[npages] = a;
            plen[npages++] = l;
            rem -= l;
        }
        if (chain) {
            /* The next list page, whole: an entry with an offset (4.3), which could point
             * back into this page and loop, is refused. */
            list = sim_le_get(buf + data * NVME_PRP_BYTES, 8);
            if (list % page) {
                *status = bad_offset;
                return 0;
            }
        }
    }
    return npages;
}

/* ---------------------------------------------------------------- NVM commands */


/* Read and Write (6.9, 6.15): the namespace must be attached to this controller, the
 * blocks within it, the transfer within MDTS. Returns when the entry may be sent. */
static uint64_t rw_exec(nvme_ctrl *c, const uint8_t *sqe, uint64_t t, nvme_cmd *cmd, bool write)
{
    nvme *n = c->nvme;
    const nvme_cfg *cf = &n->cfg;
    uint32_t nsid = (uint32_t)sim_le_get(sqe + NVME_SQE_NSID, 4);
    uint64_t slba = sim_le_get(sqe + NVME_SQE_CDW10, 8);
    uint32_t nlb = NVME_CDW12_NLB((uint32_t)sim_le_get(sqe + NVME_SQE_CDW12, 4)) + 1;
    uint64_t len = (uint64_t)nlb * cf->lba_bytes;
    uint64_t ns_blocks = cf->ns_bytes / cf->lba_bytes;
    if (!nvme_ns_attached(n, nsid, c->idx)) {
        cmd->status = nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
        return t;
    }
    if (len > cf->mdts_bytes) {
        cmd->status = nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
        return t;
    }
    if (slba >= ns_blocks || nlb > ns_blocks - slba) {
        cmd->status = nvme_status(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE);
        return t;
    }
    cmd->bytes = (uint32_t)len;
    uint64_t media = (uint64_t)(nsid - 1) * cf->ns_bytes + slba * cf->lba_bytes;
    uint64_t t_prp = t;
    unsigned np = nvme_prp_pages(c, sim_le_get(sqe + NVME_SQE_PRP1, 8),
                                 sim_le_get(sqe + NVME_SQE_PRP2, 8), (uint32_t)len, &t_prp,
                                 n->prp_addr, n->prp_len, &cmd->status);
    if (!np)
        return t_prp;
    if (write) {
        /* The data comes in first, then goes to the media. */
        uint64_t in = t_prp;
        bool any_ur = false;
        for (unsigned k = 0; k < np; k++) {
            bool ur = false;
            uint64_t done = pcie_dma_read(c->dma, t_prp, n->prp_addr[k], n->prp_len[k], &ur);
            any_ur |= ur;
            if (done > in)
                in = done;
        }
        if (any_ur) {
            c->ctr->dma_errors++;
            cmd->status = nvme_status(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR);
            return in;
        }
        return flash_write(n->media, in, media, (uint32_t)len);
    }
    /* Read: the media now; the data goes out when it is ready (nvme_cmd_xfer). */
    uint64_t ready = flash_read(n->media, t, media, (uint32_t)len);
    memcpy(cmd->page_addr, n->prp_addr, np * sizeof *cmd->page_addr);
    memcpy(cmd->page_len, n->prp_len, np * sizeof *cmd->page_len);
    cmd->npages = np;
    return ready > t_prp ? ready : t_prp;
}

/* A Read's data is ready: written to the host from now. The entry leaves behind the
 * data's last write (posted writes keep their order): its acceptance less a traversal. */
void nvme_cmd_xfer(nvme_cmd *cmd, uint64_t now)
{
    nvme_ctrl *c = cmd->ctrl;
    nvme *n = c->nvme;
    if (!cmd_alive(cmd)) {
        cmd_free(n, cmd);
        return;
    }
    uint64_t last = now;
    for (unsigned k = 0; k < cmd->npages; k++) {
        uint64_t acc = pcie_dma_write(c->dma, now, cmd->page_addr[k], cmd->page_len[k]);
        if (acc > last)
            last = acc;
    }
    cmd->done_ps = last > now + n->cqe_visible_ps ? last - n->cqe_visible_ps : now;
    nvme_sched(n, cmd->done_ps + n->cqe_visible_ps, NVME_ACT_DONE, cmd, 0, 0);
}

static uint64_t io_exec(nvme_ctrl *c, const uint8_t *sqe, uint64_t t, nvme_cmd *cmd)
{
    uint32_t cdw0 = (uint32_t)sim_le_get(sqe + NVME_SQE_CDW0, 4);
    if (NVME_SQE_PSDT(cdw0)) {
        cmd->status = nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD); /* SGLs: not supported */
        return t;
    }
    switch (NVME_SQE_OPC(cdw0)) {
    case NVME_IO_READ:
        cmd->opc_kind = NVME_CMD_READ;
        return rw_exec(c, sqe, t, cmd, false);
    case NVME_IO_WRITE:
        cmd->opc_kind = NVME_CMD_WRITE;
        return rw_exec(c, sqe, t, cmd, true);
    case NVME_IO_FLUSH: {
        uint32_t nsid = (uint32_t)sim_le_get(sqe + NVME_SQE_NSID, 4);
        cmd->opc_kind = NVME_CMD_FLUSH;
        if (nsid != 0xffffffffu && !nvme_ns_attached(c->nvme, nsid, c->idx)) {
            cmd->status = nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
            return t;
        }
        return flash_flush(c->nvme->media, t);
    }
    default:
        cmd->status = nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
        return t;
    }
}

/* ---------------------------------------------------------------- submission */

void nvme_sq_doorbell(nvme_ctrl *c, unsigned qid, uint32_t tail, uint64_t t_ps)
{
    if (qid >= NVME_MAX_QUEUES || !c->sq[qid].exists || tail >= c->sq[qid].entries) {
        c->ctr->bad_doorbell++;
        return;
    }
    nvme_sq *sq = &c->sq[qid];
    sq->ctrl = c;
    uint16_t seq = ++sq->db_written;
    nvme_sched(c->nvme, t_ps, NVME_ACT_SQ_DB, sq, sq->gen, (uint32_t)seq << 16 | tail);
}

/* A doorbell's action: stale when a doorbell written after it was applied already (the
 * entries it announced were fetched then). */
void nvme_sq_doorbell_arrived(nvme_sq *sq, uint32_t val, uint64_t now)
{
    uint16_t seq = (uint16_t)(val >> 16);
    if ((int16_t)(seq - sq->db_applied) <= 0)
        return;
    sq->db_applied = seq;
    nvme_ctrl *c = sq->ctrl;
    nvme_sq_fetch(c, (unsigned)(sq - c->sq), val & 0xffffu, now);
}

/* The doorbell arrived: the new entries come in with one read (two when they wrap), and
 * each command is carried out from its read's arrival. */
void nvme_sq_fetch(nvme_ctrl *c, unsigned qid, uint32_t tail, uint64_t now)
{
    nvme *n = c->nvme;
    nvme_sq *sq = &c->sq[qid];
    uint32_t count = (tail + sq->entries - sq->head) % sq->entries;
    if (!count)
        return;
    if (count > n->sqe_cap) {
        n->sqe_buf = sim_xrealloc(n->sqe_buf, (size_t)count * NVME_SQE_BYTES);
        n->sqe_cap = count;
    }
    uint32_t first = sq->entries - sq->head < count ? sq->entries - sq->head : count;
    uint64_t arrived[2] = {now, now}; /* the entries before the wrap, and after */
    bool ur = false;
    /* Zeroed first: without host memory's contents the read leaves them alone. */
    memset(n->sqe_buf, 0, (size_t)count * NVME_SQE_BYTES);
    for (int part = 0; part < 2; part++) {
        uint32_t k = part ? count - first : first, from = part ? 0 : sq->head;
        if (!k)
            continue;
        bool u = false;
        arrived[part] =
            pcie_dma_read_into(c->dma, now, sq->base + (uint64_t)from * NVME_SQE_BYTES,
                               (uint64_t)k * NVME_SQE_BYTES,
                               n->sqe_buf + (size_t)(part ? first : 0) * NVME_SQE_BYTES, &u);
        c->ctr->sqe_fetches++;
        ur |= u;
    }
    if (ur) {
        /* The controller cannot read its own queue: nothing sensible can follow. */
        c->ctr->dma_errors++;
        c->csts |= NVME_CSTS_CFS;
        nvme_set_error(n, &c->ctr->fatal, "nvme: controller %u: submission queue %u's fetch "
                                          "at %llx was refused", c->idx, qid,
                       (unsigned long long)sq->base);
        return;
    }
    sq->head = tail;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *sqe = n->sqe_buf + (size_t)i * NVME_SQE_BYTES;
        nvme_cmd *cmd = cmd_alloc(n);
        cmd->ctrl = c;
        cmd->ctrl_gen = c->gen;
        cmd->sqid = (uint16_t)qid;
        cmd->sq_gen = sq->gen;
        cmd->cqid = (uint16_t)sq->cqid;
        cmd->cq_gen = c->cq[sq->cqid].gen;
        cmd->cid = (uint16_t)NVME_SQE_CID((uint32_t)sim_le_get(sqe + NVME_SQE_CDW0, 4));
        uint64_t t = arrived[i >= first];
        cmd->done_ps = qid == 0 ? nvme_admin_exec(c, sqe, t, cmd) : io_exec(c, sqe, t, cmd);
        if (cmd->npages) /* a Read whose data goes out when the media has it */
            nvme_sched(n, cmd->done_ps, NVME_ACT_XFER, cmd, 0, 0);
        else
            nvme_sched(n, cmd->done_ps + n->cqe_visible_ps, NVME_ACT_DONE, cmd, 0, 0);
    }
}
