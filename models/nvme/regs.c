/* The NVMe controller's registers (3.1): what a memory access to a function's BAR0
 * does. Registers are data, as in models/nic/regs.c: a table of blocks (where
 * instance 0 starts, log2 of the stride between instances, how many a function has),
 * each with the DWORD registers of one instance and their read and write handlers;
 * doorbells first, as they are most of the accesses. 64-bit registers (CAP, ASQ, ACQ)
 * are two DWORDs; a QWORD access is two DWORD accesses. The MSI-X table and PBA share
 * BAR0 (models/pcie/msix.h keeps the entries). An access that matches no register is
 * counted (bad_mmio), never fatal. An Offline secondary controller ignores every access
 * but a read of CSTS (QEMU's nvme_mmio_read / nvme_mmio_write). */
#include "models/nvme/nvme_impl.h"

#include <string.h>

#include "models/pcie/cfgspace_regs.h"

/* Controller reset (7.3.2; CC.EN cleared, a Function Level Reset, a secondary going
 * Online or Offline): queues deleted, registers and features at their reset values,
 * vectors masked. Commands in flight belong to the old state and post nothing. */
void nvme_ctrl_reset(nvme_ctrl *c)
{
    /* A primary's reset takes its secondaries Offline (QEMU's nvme_ctrl_reset). */
    if (c->idx == NVME_PF)
        for (unsigned s = 1; s <= c->nvme->cfg.max_vfs; s++)
            nvme_virt_set_online(c->nvme, s, false);
    nvme_queues_drop(c);
    c->gen++;
    c->cc = 0;
    c->aqa = 0;
    c->asq = c->acq = 0;
    c->intms = 0;
    c->queues_set = c->queues_created = false;
    c->nsq_alloc = c->ncq_alloc = 0;
    c->coalesce_thr = c->coalesce_time_100us = 0;
    c->page_bytes = 4096;
    /* An Offline secondary reports Controller Fatal Status (QEMU's nvme_ctrl_reset). */
    c->csts = c->online ? 0 : NVME_CSTS_CFS;
    nvme_ctrl_size_vectors(c);
    for (unsigned v = 0; v < c->nvec; v++) {
        c->msix[v] = pcie_msix_vec_reset();
        c->vec[v] = (nvme_vec){.gen = c->vec[v].gen + 1};
    }
}

/* ---------------------------------------------------------------- controller registers */

typedef uint32_t (*reg_read_fn)(nvme_ctrl *c, unsigned i);
typedef void (*reg_write_fn)(nvme_ctrl *c, unsigned i, uint32_t v, uint64_t t_ps);

typedef struct nvme_reg {
    const char *name;   /* the specification's; NULL: no register here */
    reg_read_fn read;   /* NULL: write-only */
    reg_write_fn write; /* NULL: read-only */
} nvme_reg;

static uint64_t cap_value(const nvme_ctrl *c)
{
    const nvme_cfg *cf = &c->nvme->cfg;
    return NVME_CAP_MQES(cf->mqes_entries - 1) | NVME_CAP_CQR | NVME_CAP_TO(20) |
           NVME_CAP_DSTRD(NVME_DSTRD) | NVME_CAP_CSS_NVM | NVME_CAP_MPSMIN(0) | NVME_CAP_MPSMAX(0);
}

static uint32_t rd_cap_lo(nvme_ctrl *c, unsigned i) { (void)i; return (uint32_t)cap_value(c); }
static uint32_t rd_cap_hi(nvme_ctrl *c, unsigned i) { (void)i; return (uint32_t)(cap_value(c) >> 32); }
static uint32_t rd_vs(nvme_ctrl *c, unsigned i) { (void)c; (void)i; return NVME_VERSION; }
static uint32_t rd_intm(nvme_ctrl *c, unsigned i) { (void)i; return c->intms; }
static uint32_t rd_cc(nvme_ctrl *c, unsigned i) { (void)i; return c->cc; }
static uint32_t rd_csts(nvme_ctrl *c, unsigned i) { (void)i; return c->csts; }
static uint32_t rd_aqa(nvme_ctrl *c, unsigned i) { (void)i; return c->aqa; }
static uint32_t rd_asq_lo(nvme_ctrl *c, unsigned i) { (void)i; return (uint32_t)c->asq; }
static uint32_t rd_asq_hi(nvme_ctrl *c, unsigned i) { (void)i; return (uint32_t)(c->asq >> 32); }
static uint32_t rd_acq_lo(nvme_ctrl *c, unsigned i) { (void)i; return (uint32_t)c->acq; }
static uint32_t rd_acq_hi(nvme_ctrl *c, unsigned i) { (void)i; return (uint32_t)(c->acq >> 32); }

/* INTMS / INTMC mask pin and MSI interrupts; with MSI-X, which this controller uses,
 * they have no effect (3.1.3) but read back. */
static void wr_intms(nvme_ctrl *c, unsigned i, uint32_t v, uint64_t t)
{
    (void)i;
    (void)t;
    c->intms |= v;
}

static void wr_intmc(nvme_ctrl *c, unsigned i, uint32_t v, uint64_t t)
{
    (void)i;
    (void)t;
    c->intms &= ~v;
}

/* The controller cannot start: Controller Fatal Status, counted with the reason. */
static void start_fails(nvme_ctrl *c, const char *why)
{
    c->csts |= NVME_CSTS_CFS;
    nvme_set_error(c->nvme, &c->ctr->fatal, "nvme: controller %u not enabled: %s", c->idx, why);
}

/* CC.EN 0 -> 1 (7.6.1): the admin queues from AQA, ASQ and ACQ, then ready. Set-up
 * takes no time here (CAP.TO bounds it; it happens before a measurement window). */
static void ctrl_enable(nvme_ctrl *c)
{
    uint32_t sqn = NVME_AQA_ASQS(c->aqa) + 1, cqn = NVME_AQA_ACQS(c->aqa) + 1;
    if (NVME_CC_MPS(c->cc) != 0)
        return start_fails(c, "CC.MPS asks for pages other than 4 KiB (CAP.MPSMIN = MPSMAX = 0)");
    if (NVME_CC_IOSQES(c->cc) != NVME_SQES_LOG2 || NVME_CC_IOCQES(c->cc) != NVME_CQES_LOG2)
        return start_fails(c, "CC.IOSQES and CC.IOCQES are not 64- and 16-byte entries");
    /* The page size holds until the next reset, whatever CC says meanwhile (3.1.5). */
    uint32_t page = c->page_bytes = 4096u << NVME_CC_MPS(c->cc);
    if (sqn < 2 || cqn < 2)
        return start_fails(c, "an admin queue of fewer than 2 entries (AQA)");
    if (c->asq % page || c->acq % page || !c->asq || !c->acq)
        return start_fails(c, "ASQ or ACQ not page aligned");
    c->cq[0] = (nvme_cq){.exists = true, .gen = c->cq[0].gen + 1, .base = c->acq, .entries = cqn,
                         .phase = true, .ien = true, .vec = 0, .nsq = 1};
    c->sq[0] = (nvme_sq){.exists = true, .gen = c->sq[0].gen + 1, .base = c->asq, .entries = sqn,
                         .cqid = 0};
    c->csts |= NVME_CSTS_RDY;
}

static void wr_cc(nvme_ctrl *c, unsigned i, uint32_t v, uint64_t t)
{
    (void)i;
    (void)t;
    uint32_t old = c->cc;
    if ((old & NVME_CC_EN) && !(v & NVME_CC_EN)) {
        nvme_ctrl_reset(c); /* clears CC, CSTS.RDY */
        c->cc = v & NVME_CC_WMASK;
        return;
    }
    c->cc = v & NVME_CC_WMASK;
    if (NVME_CC_SHN(v))
        c->csts |= NVME_CSTS_SHST_COMPLETE;
    if (!(old & NVME_CC_EN) && (v & NVME_CC_EN))
        ctrl_enable(c);
}

static void wr_aqa(nvme_ctrl *c, unsigned i, uint32_t v, uint64_t t)
{
    (void)i;
    (void)t;
    c->aqa = v & 0x0fff0fffu;
}

static void set_half(uint64_t *r, unsigned hi, uint32_t v)
{
    *r = hi ? (*r & 0xffffffffull) | (uint64_t)v << 32 : (*r & ~0xffffffffull) | v;
}

static void wr_asq(nvme_ctrl *c, unsigned i, uint32_t v, uint64_t t)
{
    (void)t;
    set_half(&c->asq, i, v);
}

static void wr_acq(nvme_ctrl *c, unsigned i, uint32_t v, uint64_t t)
{
    (void)t;
    set_half(&c->acq, i, v);
}

/* ---------------------------------------------------------------- doorbells */

static void wr_sq_tail(nvme_ctrl *c, unsigned qid, uint32_t v, uint64_t t)
{
    c->ctr->doorbells++;
    nvme_sq_doorbell(c, qid, v, t);
}

static void wr_cq_head(nvme_ctrl *c, unsigned qid, uint32_t v, uint64_t t)
{
    c->ctr->doorbells++;
    nvme_cq_doorbell(c, qid, v, t);
}

/* ---------------------------------------------------------------- the table */

#define DW(off) ((off) / 4u)
static const nvme_reg ctrl_regs[DW(NVME_REG_ACQ) + 2] = {
    [DW(NVME_REG_CAP)] = {"CAP", rd_cap_lo, NULL},
    [DW(NVME_REG_CAP) + 1] = {"CAP", rd_cap_hi, NULL},
    [DW(NVME_REG_VS)] = {"VS", rd_vs, NULL},
    [DW(NVME_REG_INTMS)] = {"INTMS", rd_intm, wr_intms},
    [DW(NVME_REG_INTMC)] = {"INTMC", rd_intm, wr_intmc},
    [DW(NVME_REG_CC)] = {"CC", rd_cc, wr_cc},
    [DW(NVME_REG_CSTS)] = {"CSTS", rd_csts, NULL},
    [DW(NVME_REG_AQA)] = {"AQA", rd_aqa, wr_aqa},
    [DW(NVME_REG_ASQ)] = {"ASQ", rd_asq_lo, wr_asq},
    [DW(NVME_REG_ASQ) + 1] = {"ASQ", rd_asq_hi, wr_asq},
    [DW(NVME_REG_ACQ)] = {"ACQ", rd_acq_lo, wr_acq},
    [DW(NVME_REG_ACQ) + 1] = {"ACQ", rd_acq_hi, wr_acq},
};

/* A queue's two doorbells: SQ y tail, CQ y head. */
#define DB_SHIFT 3u
_Static_assert(2u * NVME_DB_STRIDE_BYTES == 1u << DB_SHIFT, "a queue's doorbells: 8 bytes");
static const nvme_reg db_regs[2] = {{"SQyTDBL", NULL, wr_sq_tail}, {"CQyHDBL", NULL, wr_cq_head}};

typedef struct nvme_block {
    uint32_t off;   /* of instance 0 */
    uint8_t shift;  /* log2 of the stride between instances */
    uint16_t count; /* instances */
    uint16_t nregs; /* DWORD registers of an instance */
    const nvme_reg *regs;
} nvme_block;

static const nvme_block blocks[] = {
    {NVME_REG_DBS, DB_SHIFT, NVME_MAX_QUEUES, 2, db_regs},
    {0, 6, 1, sizeof ctrl_regs / sizeof ctrl_regs[0], ctrl_regs},
};

/* The register and instance a DWORD offset of BAR0 falls on; NULL when none. For a
 * 64-bit register's halves the instance says which half. */
static const nvme_reg *reg_find(uint64_t off, unsigned *inst)
{
    if (off % 4)
        return NULL;
    for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
        const nvme_block *b = &blocks[k];
        uint64_t d = off - b->off, i = d >> b->shift;
        unsigned slot = (unsigned)(d & ((1u << b->shift) - 1)) / 4;
        if (i >= b->count || slot >= b->nregs || !b->regs[slot].name)
            continue;
        *inst = b->count > 1 ? (unsigned)i : slot % 2; /* ASQ, ACQ, CAP: the half */
        return &b->regs[slot];
    }
    return NULL;
}

/* The controller an address decodes to (the PF's BAR0, then the VFs' through the
 * SR-IOV capability) and the offset in BAR0; NULL when none claims it. */
static nvme_ctrl *decode(nvme *n, uint64_t addr, uint64_t *off)
{
    unsigned bar;
    if (pcie_cfg_bar_decode(n->ctrl[NVME_PF].cfg, addr, &bar, off))
        return bar == NVME_BAR_REGS ? &n->ctrl[NVME_PF] : NULL;
    unsigned vf;
    if (!pcie_sriov_vf_decode(n->sriov, addr, &vf, &bar, off) || bar != NVME_BAR_REGS)
        return NULL;
    return &n->ctrl[1 + vf];
}

static bool in_msix_table(const nvme_ctrl *c, uint64_t off)
{
    return off >= NVME_MSIX_TABLE_OFFSET && off < NVME_MSIX_TABLE_OFFSET + 16ull * c->nvec;
}

static void write_dword(nvme_ctrl *c, uint64_t off, uint32_t v, uint64_t t)
{
    unsigned i;
    const nvme_reg *r = reg_find(off, &i);
    if (r && r->write) {
        /* 64-bit halves: the instance reg_find gave is the slot's parity, which for
         * ASQ (28h) and ACQ (30h) is the half, as both start on a QWORD. */
        r->write(c, i, v, t);
        return;
    }
    c->ctr->bad_mmio++;
}

void nvme_mmio_write(nvme *n, uint64_t t_ps, uint64_t addr, uint32_t len, uint64_t value)
{
    uint64_t off;
    nvme_ctrl *c = decode(n, addr, &off);
    if (!c) {
        n->bad_mmio++;
        return;
    }
    if (!c->online) {
        c->ctr->offline_mmio++; /* an Offline secondary ignores writes */
        return;
    }
    if (in_msix_table(c, off)) {
        uint64_t e = off - NVME_MSIX_TABLE_OFFSET;
        unsigned v = (unsigned)(e / PCIE_MSIX_ENTRY_SIZE);
        if (e % 4)
            c->ctr->bad_mmio++;
        else if (pcie_msix_entry_write(&c->msix[v], e % PCIE_MSIX_ENTRY_SIZE, len, value))
            nvme_vec_unmasked(c, v, t_ps);
        return;
    }
    write_dword(c, off, (uint32_t)value, t_ps);
    if (len == 8)
        write_dword(c, off + 4, (uint32_t)(value >> 32), t_ps);
}

static uint32_t read_dword(nvme_ctrl *c, uint64_t off)
{
    unsigned i;
    if (in_msix_table(c, off)) {
        uint64_t e = off - NVME_MSIX_TABLE_OFFSET;
        if (e % 4) {
            c->ctr->bad_mmio++;
            return 0;
        }
        return pcie_msix_entry_read(&c->msix[e / PCIE_MSIX_ENTRY_SIZE], e % PCIE_MSIX_ENTRY_SIZE);
    }
    if (off >= NVME_MSIX_PBA_OFFSET && off < NVME_MSIX_PBA_OFFSET + (c->nvec + 31) / 32 * 4) {
        uint32_t v = 0, first = (uint32_t)(off - NVME_MSIX_PBA_OFFSET) * 8;
        for (unsigned b = 0; b < 32 && first + b < c->nvec; b++)
            v |= (uint32_t)c->msix[first + b].pending << b;
        return v;
    }
    const nvme_reg *r = reg_find(off, &i);
    if (r && r->read)
        return r->read(c, i);
    c->ctr->bad_mmio++;
    return 0;
}

uint64_t nvme_mmio_read(nvme *n, uint64_t t_ps, uint64_t addr, uint32_t len)
{
    (void)t_ps;
    uint64_t off;
    nvme_ctrl *c = decode(n, addr, &off);
    if (!c) {
        n->bad_mmio++;
        return len >= 8 ? UINT64_MAX : 0xffffffffull;
    }
    if (!c->online && off != NVME_REG_CSTS) {
        c->ctr->offline_mmio++; /* an Offline secondary answers only CSTS */
        return 0;
    }
    uint64_t v = read_dword(c, off);
    if (len == 8)
        v |= (uint64_t)read_dword(c, off + 4) << 32;
    return v;
}
