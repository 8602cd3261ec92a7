/* The NVMe admin command set the model implements (5): queue creation and deletion,
 * Identify, Set and Get Features (Number of Queues, Interrupt Coalescing, Interrupt
 * Vector Configuration), Namespace Attachment and Virtualization Management. Commands
 * are a table by opcode with their handlers, as QEMU's nvme_admin_cmd dispatches them;
 * the primary-only ones answer a secondary with Invalid Command Opcode. A handler
 * returns the CQE's status field and may set DWORD 0 and move data (its time goes to
 * *t). Admin commands take their DMA and no firmware time. */
#include "models/nvme/nvme_impl.h"

#include <string.h>

typedef uint16_t (*admin_fn)(nvme_ctrl *c, const uint8_t *sqe, uint64_t *t, nvme_cmd *cmd);

static uint32_t cdw(const uint8_t *sqe, unsigned off) { return (uint32_t)sim_le_get(sqe + off, 4); }

/* Moves a structure to or from the host through the command's PRPs. */
static uint16_t data_xfer(nvme_ctrl *c, const uint8_t *sqe, uint64_t *t, void *buf, uint32_t len,
                          bool to_host)
{
    nvme *n = c->nvme;
    uint16_t status = 0;
    unsigned np = nvme_prp_pages(c, sim_le_get(sqe + NVME_SQE_PRP1, 8),
                                 sim_le_get(sqe + NVME_SQE_PRP2, 8), len, t, n->prp_addr,
                                 n->prp_len, &status);
    uint8_t *b = buf;
    uint64_t done = *t;
    for (unsigned k = 0; k < np; k++) {
        uint64_t end;
        if (to_host) {
            end = pcie_dma_write_from(c->dma, *t, n->prp_addr[k], n->prp_len[k], b);
        } else {
            bool ur = false;
            end = pcie_dma_read_into(c->dma, *t, n->prp_addr[k], n->prp_len[k], b, &ur);
            if (ur)
                status = nvme_status(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR);
        }
        b += n->prp_len[k];
        if (end > done)
            done = end;
    }
    *t = done;
    return status;
}

/* ---------------------------------------------------------------- queues */

/* An I/O queue ID this controller may use: 1 .. the queues Number of Queues granted
 * (or, before it was set, its resources). */
static bool qid_ok(const nvme_ctrl *c, unsigned qid, bool cq)
{
    unsigned limit = c->queues_set ? (cq ? c->ncq_alloc : c->nsq_alloc) : c->nvq - 1;
    return qid >= 1 && qid <= limit && qid < NVME_MAX_QUEUES;
}

static uint16_t create_cq(nvme_ctrl *c, const uint8_t *sqe, uint64_t *t, nvme_cmd *cmd)
{
    (void)t;
    (void)cmd;
    uint32_t d10 = cdw(sqe, NVME_SQE_CDW10), d11 = cdw(sqe, NVME_SQE_CDW11);
    unsigned qid = NVME_CDW10_QID(d10), n = NVME_CDW10_QSIZE(d10) + 1u;
    unsigned iv = NVME_CQ_CDW11_IV(d11);
    uint64_t base = sim_le_get(sqe + NVME_SQE_PRP1, 8);
    if (!qid_ok(c, qid, true) || c->cq[qid].exists)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID);
    if (n < 2 || n > c->nvme->cfg.mqes_entries)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_QUEUE_SIZE);
    if (!(d11 & NVME_CQ_CDW11_PC))
        return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD); /* CAP.CQR: contiguous only */
    if ((d11 & NVME_CQ_CDW11_IEN) && (iv >= c->nvi || iv >= c->nvec))
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_VECTOR);
    if (!base || base % nvme_page_bytes(c))
        return nvme_status(NVME_SCT_GENERIC, NVME_SC_PRP_OFFSET_INVALID);
    nvme_cq *cq = &c->cq[qid];
    c->queues_created = true;
    *cq = (nvme_cq){.exists = true, .gen = cq->gen + 1, .base = base, .entries = n, .phase = true,
                    .ien = (d11 & NVME_CQ_CDW11_IEN) != 0, .vec = iv};
    return 0;
}

static uint16_t create_sq(nvme_ctrl *c, const uint8_t *sqe, uint64_t *t, nvme_cmd *cmd)
{
    (void)t;
    (void)cmd;
    uint32_t d10 = cdw(sqe, NVME_SQE_CDW10), d11 = cdw(sqe, NVME_SQE_CDW11);
    unsigned qid = NVME_CDW10_QID(d10), n = NVME_CDW10_QSIZE(d10) + 1u;
    unsigned cqid = NVME_SQ_CDW11_CQID(d11);
    uint64_t base = sim_le_get(sqe + NVME_SQE_PRP1, 8);
    if (cqid == 0 || cqid >= NVME_MAX_QUEUES || !c->cq[cqid].exists)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_CQ_INVALID);
    if (!qid_ok(c, qid, false) || c->sq[qid].exists)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID);
    if (n < 2 || n > c->nvme->cfg.mqes_entries)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_QUEUE_SIZE);
    if (!(d11 & NVME_SQ_CDW11_PC))
        return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
    if (!base || base % nvme_page_bytes(c))
        return nvme_status(NVME_SCT_GENERIC, NVME_SC_PRP_OFFSET_INVALID);
    nvme_sq *sq = &c->sq[qid];
    *sq = (nvme_sq){.exists = true, .gen = sq->gen + 1, .base = base, .entries = n, .cqid = cqid};
    c->cq[cqid].nsq++;
    c->queues_created = true;
    return 0;
}

static uint16_t delete_sq(nvme_ctrl *c, const uint8_t *sqe, uint64_t *t, nvme_cmd *cmd)
{
    (void)t;
    (void)cmd;
    unsigned qid = NVME_CDW10_QID(cdw(sqe, NVME_SQE_CDW10));
    if (qid == 0 || qid >= NVME_MAX_QUEUES || !c->sq[qid].exists)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID);
    /* Its commands in flight, and the completions its queue holds, are dropped: the
     * deletion stands for their abort (5.6: they complete or abort before it). */
    nvme_sq *sq = &c->sq[qid];
    c->cq[sq->cqid].nsq--;
    nvme_cq_drop_waiting(c, &c->cq[sq->cqid], qid);
    sq->exists = false;
    sq->gen++;
    return 0;
}

static uint16_t delete_cq(nvme_ctrl *c, const uint8_t *sqe, uint64_t *t, nvme_cmd *cmd)
{
    (void)t;
    (void)cmd;
    unsigned qid = NVME_CDW10_QID(cdw(sqe, NVME_SQE_CDW10));
    if (qid == 0 || qid >= NVME_MAX_QUEUES || !c->cq[qid].exists)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID);
    if (c->cq[qid].nsq)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_QUEUE_DELETION);
    nvme_cq *cq = &c->cq[qid];
    nvme_cq_drop_waiting(c, cq, NVME_MAX_QUEUES);
    cq->exists = false;
    cq->gen++;
    return 0;
}

/* ---------------------------------------------------------------- Identify */

static unsigned log2u(uint64_t v)
{
    unsigned l = 0;
    while (v > 1) {
        v >>= 1;
        l++;
    }
    return l;
}

static void identify_ctrl(const nvme_ctrl *c, uint8_t *d)
{
    const nvme_cfg *cf = &c->nvme->cfg;
    sim_le_put(d + NVME_IDC_VID, NVME_VENDOR_ID, 2);
    d[NVME_IDC_MDTS] = (uint8_t)log2u(cf->mdts_bytes / 4096u);
    sim_le_put(d + NVME_IDC_CNTLID, c->idx, 2);
    sim_le_put(d + NVME_IDC_VER, NVME_VERSION, 4);
    d[NVME_IDC_CMIC] = 0x2; /* the primary and its secondaries share the subsystem */
    d[NVME_IDC_CNTRLTYPE] = 1;
    if (c->idx == NVME_PF)
        sim_le_put(d + NVME_IDC_OACS, NVME_OACS_NS_MGMT | NVME_OACS_VIRT_MGMT, 2);
    d[NVME_IDC_SQES] = NVME_SQES_LOG2 << 4 | NVME_SQES_LOG2;
    d[NVME_IDC_CQES] = NVME_CQES_LOG2 << 4 | NVME_CQES_LOG2;
    sim_le_put(d + NVME_IDC_NN, cf->namespaces, 4);
}

/* An inactive namespace (not attached here) reads as zeros (5.15.2.1). */
static void identify_ns(const nvme_ctrl *c, uint32_t nsid, uint8_t *d)
{
    const nvme_cfg *cf = &c->nvme->cfg;
    if (!nvme_ns_attached(c->nvme, nsid, c->idx))
        return;
    uint64_t blocks = cf->ns_bytes / cf->lba_bytes;
    sim_le_put(d + NVME_IDNS_NSZE, blocks, 8);
    sim_le_put(d + NVME_IDNS_NCAP, blocks, 8);
    sim_le_put(d + NVME_IDNS_NUSE, blocks, 8);
    d[NVME_IDNS_NMIC] = 0x1; /* attachable to several controllers at once */
    sim_le_put(d + NVME_IDNS_LBAF0, (uint32_t)log2u(cf->lba_bytes) << 16, 4);
}

static void identify_active_ns(const nvme_ctrl *c, uint32_t after, uint8_t *d)
{
    unsigned k = 0;
    for (uint32_t ns = after + 1; ns <= c->nvme->cfg.namespaces && k < 1024; ns++)
        if (nvme_ns_attached(c->nvme, ns, c->idx))
            sim_le_put(d + 4 * k++, ns, 4);
}

static void identify_primary_caps(const nvme *n, uint8_t *d)
{
    const nvme_cfg *cf = &n->cfg;
    d[NVME_PCC_CRT] = 0x3; /* VQ and VI resources */
    sim_le_put(d + NVME_PCC_VQFRT, cf->flex_queues, 4);
    sim_le_put(d + NVME_PCC_VQRFA, n->flex_q_used, 4);
    sim_le_put(d + NVME_PCC_VQPRT, cf->pf_queues, 2);
    sim_le_put(d + NVME_PCC_VQFRSM, cf->vf_max_queues, 2);
    sim_le_put(d + NVME_PCC_VQGRAN, 1, 2);
    sim_le_put(d + NVME_PCC_VIFRT, cf->flex_vectors, 4);
    sim_le_put(d + NVME_PCC_VIRFA, n->flex_v_used, 4);
    sim_le_put(d + NVME_PCC_VIPRT, cf->pf_vectors, 2);
    sim_le_put(d + NVME_PCC_VIFRSM, cf->vf_max_vectors, 2);
    sim_le_put(d + NVME_PCC_VIGRAN, 1, 2);
}

/* Secondary controllers from controller ID `from` on, 127 at most. */
static void identify_secondary_list(const nvme *n, unsigned from, uint8_t *d)
{
    unsigned k = 0;
    for (unsigned id = from < 1 ? 1 : from; id <= n->cfg.max_vfs && k < 127; id++, k++) {
        uint8_t *e = d + NVME_SCL_ENTRIES + k * NVME_SCL_ENTRY_BYTES;
        const nvme_ctrl *s = &n->ctrl[id];
        sim_le_put(e + NVME_SCE_SCID, id, 2);
        sim_le_put(e + NVME_SCE_PCID, NVME_PF, 2);
        e[NVME_SCE_SCS] = s->online ? 1 : 0;
        sim_le_put(e + NVME_SCE_VFN, id, 2); /* VF number id - 1, counted from 1 */
        sim_le_put(e + NVME_SCE_NVQ, s->nvq, 2);
        sim_le_put(e + NVME_SCE_NVI, s->nvi, 2);
    }
    d[0] = (uint8_t)k;
}

static uint16_t identify(nvme_ctrl *c, const uint8_t *sqe, uint64_t *t, nvme_cmd *cmd)
{
    (void)cmd;
    uint8_t d[NVME_IDENTIFY_BYTES] = {0};
    uint32_t d10 = cdw(sqe, NVME_SQE_CDW10);
    uint32_t nsid = cdw(sqe, NVME_SQE_NSID);
    switch (d10 & 0xffu) {
    case NVME_CNS_CTRL: identify_ctrl(c, d); break;
    case NVME_CNS_NS:
        if (nsid < 1 || nsid > c->nvme->cfg.namespaces)
            return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
        identify_ns(c, nsid, d);
        break;
    case NVME_CNS_ACTIVE_NS_LIST:
        if (nsid >= 0xfffffffeu) /* 5.15.2.2: no list follows the last two */
            return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
        identify_active_ns(c, nsid, d);
        break;
    case NVME_CNS_PRIMARY_CAPS:
        if (c->idx != NVME_PF)
            return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
        identify_primary_caps(c->nvme, d);
        break;
    case NVME_CNS_SECONDARY_LIST:
        if (c->idx != NVME_PF)
            return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
        identify_secondary_list(c->nvme, d10 >> 16, d);
        break;
    default: return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
    }
    return data_xfer(c, sqe, t, d, sizeof d, true);
}

/* ---------------------------------------------------------------- features */

static uint16_t set_features(nvme_ctrl *c, const uint8_t *sqe, uint64_t *t, nvme_cmd *cmd)
{
    (void)t;
    uint32_t d11 = cdw(sqe, NVME_SQE_CDW11);
    switch (cdw(sqe, NVME_SQE_CDW10) & 0xffu) {
    case NVME_FID_NUM_QUEUES: {
        unsigned nsqr = (d11 & 0xffffu) + 1u, ncqr = (d11 >> 16) + 1u;
        if (nsqr == 0x10000u || ncqr == 0x10000u)
            return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
        /* Not after an I/O queue was created since the reset (5.21.1.7). */
        if (c->queues_created)
            return nvme_status(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR);
        unsigned avail = c->nvq - 1;
        c->nsq_alloc = nsqr < avail ? nsqr : avail;
        c->ncq_alloc = ncqr < avail ? ncqr : avail;
        c->queues_set = true;
        cmd->dw0 = (c->ncq_alloc - 1u) << 16 | (c->nsq_alloc - 1u);
        return 0;
    }
    case NVME_FID_IRQ_COALESCE:
        c->coalesce_thr = (uint8_t)d11;
        c->coalesce_time_100us = (uint8_t)(d11 >> 8);
        return 0;
    case NVME_FID_IRQ_CONFIG: {
        unsigned iv = d11 & 0xffffu;
        if (iv >= c->nvec)
            return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
        c->vec[iv].no_coalesce = (d11 & NVME_IRQ_CONFIG_CD) != 0;
        return 0;
    }
    default: return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
    }
}

static uint16_t get_features(nvme_ctrl *c, const uint8_t *sqe, uint64_t *t, nvme_cmd *cmd)
{
    (void)t;
    uint32_t d11 = cdw(sqe, NVME_SQE_CDW11);
    switch (cdw(sqe, NVME_SQE_CDW10) & 0xffu) {
    case NVME_FID_NUM_QUEUES:
        if (!c->queues_set)
            cmd->dw0 = (c->nvq - 2u) << 16 | (c->nvq - 2u);
        else
            cmd->dw0 = (c->ncq_alloc - 1u) << 16 | (c->nsq_alloc - 1u);
        return 0;
    case NVME_FID_IRQ_COALESCE:
        cmd->dw0 = (uint32_t)c->coalesce_time_100us << 8 | c->coalesce_thr;
        return 0;
    case NVME_FID_IRQ_CONFIG: {
        unsigned iv = d11 & 0xffffu;
        if (iv >= c->nvec)
            return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
        cmd->dw0 = iv | (c->vec[iv].no_coalesce ? NVME_IRQ_CONFIG_CD : 0u);
        return 0;
    }
    default: return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
    }
}

/* ---------------------------------------------------------------- primary only */

/* Namespace Attachment (5.20): every controller of the list is checked before any
 * attachment changes. */
static uint16_t ns_attach(nvme_ctrl *c, const uint8_t *sqe, uint64_t *t, nvme_cmd *cmd)
{
    (void)cmd;
    nvme *n = c->nvme;
    uint32_t nsid = cdw(sqe, NVME_SQE_NSID), sel = cdw(sqe, NVME_SQE_CDW10) & 0xfu;
    if (nsid < 1 || nsid > n->cfg.namespaces)
        return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
    if (sel != NVME_NS_ATTACH && sel != NVME_NS_DETACH)
        return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
    uint8_t list[NVME_CTRL_LIST_BYTES];
    uint16_t st = data_xfer(c, sqe, t, list, sizeof list, false);
    if (st)
        return st;
    unsigned count = (unsigned)sim_le_get(list, 2);
    if (count == 0 || count > NVME_CTRL_LIST_BYTES / 2 - 1)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_CTRL_LIST_INVALID);
    bool attach = sel == NVME_NS_ATTACH;
    for (unsigned k = 0; k < count; k++) {
        unsigned id = (unsigned)sim_le_get(list + 2 + 2 * k, 2);
        if (id > n->cfg.max_vfs)
            return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_CTRL_LIST_INVALID);
        if (attach && nvme_ns_attached(n, nsid, id))
            return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_NS_ALREADY_ATTACHED);
        if (!attach && !nvme_ns_attached(n, nsid, id))
            return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_NS_NOT_ATTACHED);
    }
    for (unsigned k = 0; k < count; k++)
        nvme_ns_set_attached(n, nsid, (unsigned)sim_le_get(list + 2 + 2 * k, 2), attach);
    return 0;
}

/* Virtualization Management (5.22). The primary's own flexible allocation is not
 * offered: it keeps its private resources (VQFRT and VIFRT all go to secondaries). */
static uint16_t virt_mgmt(nvme_ctrl *c, const uint8_t *sqe, uint64_t *t, nvme_cmd *cmd)
{
    (void)t;
    uint32_t d10 = cdw(sqe, NVME_SQE_CDW10), nr = cdw(sqe, NVME_SQE_CDW11) & 0xffffu;
    unsigned id = NVME_VIRT_CNTLID(d10);
    switch (NVME_VIRT_ACT(d10)) {
    case NVME_VIRT_SEC_ASSIGN: return nvme_virt_assign(c->nvme, id, NVME_VIRT_RT(d10), nr, &cmd->dw0);
    case NVME_VIRT_SEC_ONLINE: return nvme_virt_set_online(c->nvme, id, true);
    case NVME_VIRT_SEC_OFFLINE: return nvme_virt_set_online(c->nvme, id, false);
    default: return nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
    }
}

/* ---------------------------------------------------------------- the table */

typedef struct admin_cmd {
    const char *name; /* NULL: not implemented (Invalid Command Opcode) */
    admin_fn fn;
    bool primary_only;
} admin_cmd;

static const admin_cmd admin_cmds[256] = {
    [NVME_ADM_DELETE_SQ] = {"Delete I/O Submission Queue", delete_sq, false},
    [NVME_ADM_CREATE_SQ] = {"Create I/O Submission Queue", create_sq, false},
    [NVME_ADM_DELETE_CQ] = {"Delete I/O Completion Queue", delete_cq, false},
    [NVME_ADM_CREATE_CQ] = {"Create I/O Completion Queue", create_cq, false},
    [NVME_ADM_IDENTIFY] = {"Identify", identify, false},
    [NVME_ADM_SET_FEATURES] = {"Set Features", set_features, false},
    [NVME_ADM_GET_FEATURES] = {"Get Features", get_features, false},
    [NVME_ADM_NS_ATTACH] = {"Namespace Attachment", ns_attach, true},
    [NVME_ADM_VIRT_MGMT] = {"Virtualization Management", virt_mgmt, true},
};

uint64_t nvme_admin_exec(nvme_ctrl *c, const uint8_t *sqe, uint64_t t_ps, nvme_cmd *cmd)
{
    uint32_t cdw0 = cdw(sqe, NVME_SQE_CDW0);
    const admin_cmd *a = &admin_cmds[NVME_SQE_OPC(cdw0)];
    cmd->opc_kind = NVME_CMD_ADMIN;
    if (!a->name || (a->primary_only && c->idx != NVME_PF)) {
        cmd->status = nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
        return t_ps;
    }
    if (NVME_SQE_PSDT(cdw0)) {
        cmd->status = nvme_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
        return t_ps;
    }
    uint64_t t = t_ps;
    cmd->status = a->fn(c, sqe, &t, cmd);
    return t;
}
