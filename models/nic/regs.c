/* The NIC's registers: what a memory access to one of a function's BARs does. Each
 * register, or array of registers, is a row of the table below: its BAR, offset and
 * stride, how many instances a function has, which functions have it, and what a read
 * and a write do (as QEMU's igb_macreg_readops / igb_macreg_writeops). An access that
 * matches no row, or a read of a write-only register, is the driver's or the guest's
 * mistake: counted (bad_mmio), never fatal. Offsets and fields: nic_regs.h. */
#include "models/nic/nic_impl.h"

#include <assert.h>

#include "models/nic/nic_regs.h"


/* A read at t_ps (what the NIC has processed by then), a write arriving at t_ps.
 * i is the instance: the queue, the vector. */
typedef uint64_t (*reg_read_fn)(nic_fn *f, unsigned i, uint64_t t_ps);
typedef void (*reg_write_fn)(nic_fn *f, unsigned i, uint64_t value, uint32_t len, uint64_t t_ps);

enum reg_count {
    REG_ONE,         /* one register */
    REG_PER_QUEUE,   /* one per queue pair of the function */
    REG_PER_VECTOR,  /* one per MSI-X vector of the function */
    REG_PER_VF,      /* the PF's, one per VF it may have (TotalVFs) */
    REG_PER_VF_WORD, /* the PF's, one per mailbox word of each VF: instance vf x 16 + word */
    REG_PER_WORD,    /* a VF's, one per mailbox word */
};

enum reg_fns { REG_PF = 1, REG_VF = 2, REG_ALL = 3 };

typedef struct nic_reg {
    const char *name; /* the datasheet's */
    uint8_t bar;      /* NIC_BAR_REGS or NIC_BAR_MSIX */
    uint8_t count;    /* enum reg_count */
    uint8_t fns;      /* enum reg_fns */
    uint32_t off;     /* of instance 0 */
    uint32_t stride;  /* between instances */
    reg_read_fn read;   /* NULL: write-only */
    reg_write_fn write; /* NULL: read-only */
} nic_reg;

/* ---------------------------------------------------------------- queues */

/* A tail write rings the queue's doorbell; one beyond the ring (or to a queue without
 * one) is ignored and counted. */
static void tail_write(nic_fn *f, nic_q *q, uint64_t value, uint64_t t_ps)
{
    f->ctr->doorbells++;
    if (!q->ring || value >= q->n) {
        f->ctr->bad_tail++;
        return;
    }
    nic_q_doorbell(q, t_ps, (uint32_t)value);
}

static void wr_tdt(nic_fn *f, unsigned q, uint64_t v, uint32_t len, uint64_t t)
{
    (void)len;
    tail_write(f, &f->txq[q], v, t);
}

static void wr_rdt(nic_fn *f, unsigned q, uint64_t v, uint32_t len, uint64_t t)
{
    (void)len;
    tail_write(f, &f->rxq[q], v, t);
}

static uint64_t rd_tdt(nic_fn *f, unsigned q, uint64_t t) { (void)t; return f->txq[q].tail; }
static uint64_t rd_rdt(nic_fn *f, unsigned q, uint64_t t) { (void)t; return f->rxq[q].tail; }
static uint64_t rd_tdh(nic_fn *f, unsigned q, uint64_t t)
{
    (void)t;
    return nic_q_head(&f->txq[q]);
}

static uint64_t rd_rdh(nic_fn *f, unsigned q, uint64_t t)
{
    (void)t;
    return nic_q_head(&f->rxq[q]);
}

/* ---------------------------------------------------------------- interrupt enables */

static void wr_eims(nic_fn *f, unsigned i, uint64_t v, uint32_t len, uint64_t t)
{
    (void)i;
    (void)len;
    for (unsigned k = 0; k < f->nvec && k < 64; k++)
        if ((v >> k) & 1)
            nic_vec_enable(&f->vec[k], t);
}

static void wr_eimc(nic_fn *f, unsigned i, uint64_t v, uint32_t len, uint64_t t)
{
    (void)i;
    (void)len;
    (void)t;
    for (unsigned k = 0; k < f->nvec && k < 64; k++)
        if ((v >> k) & 1)
            f->vec[k].enabled = false;
}

static uint64_t rd_eims(nic_fn *f, unsigned i, uint64_t t)
{
    (void)i;
    (void)t;
    uint64_t m = 0;
    for (unsigned k = 0; k < f->nvec && k < 64; k++)
        m |= (uint64_t)f->vec[k].enabled << k;
    return m;
}

/* ---------------------------------------------------------------- MSI-X table (BAR3) */

static void wr_msix_addr(nic_fn *f, unsigned v, uint64_t value, uint32_t len, uint64_t t)
{
    (void)t;
    nic_vec *vec = &f->vec[v];
    if (len == 8)
        vec->addr = value; /* one QWORD write of the whole address */
    else
        vec->addr = (vec->addr & ~0xffffffffull) | (value & 0xffffffffull);
}

static void wr_msix_upper(nic_fn *f, unsigned v, uint64_t value, uint32_t len, uint64_t t)
{
    (void)len;
    (void)t;
    nic_vec *vec = &f->vec[v];
    vec->addr = (vec->addr & 0xffffffffull) | ((value & 0xffffffffull) << 32);
}

static void wr_msix_data(nic_fn *f, unsigned v, uint64_t value, uint32_t len, uint64_t t)
{
    (void)len;
    (void)t;
    f->vec[v].data = (uint32_t)value;
}

static void wr_msix_ctrl(nic_fn *f, unsigned v, uint64_t value, uint32_t len, uint64_t t)
{
    (void)len;
    nic_vec *vec = &f->vec[v];
    bool was = vec->entry_masked;
    vec->entry_masked = value & PCIE_MSIX_ENTRY_CTRL_MASK;
    if (was && !vec->entry_masked)
        nic_vec_msix_unmasked(vec, t); /* a pending message goes out now */
}

/* ---------------------------------------------------------------- VF administration */

/* A register of the PF's block for VF vf (mbx.c applies it). */
#define PFVF_REG(name, reg)                                                                    \
    static void wr_##name(nic_fn *f, unsigned vf, uint64_t v, uint32_t len, uint64_t t)        \
    {                                                                                          \
        (void)len;                                                                             \
        nic_pfvf_write(f->nic, vf, reg, (uint32_t)v, t);                                       \
    }                                                                                          \
    static uint64_t rd_##name(nic_fn *f, unsigned vf, uint64_t t)                              \
    {                                                                                          \
        (void)t;                                                                               \
        return nic_pfvf_read(f->nic, vf, reg);                                                 \
    }
PFVF_REG(ral, NIC_PFVF_RAL)
PFVF_REG(rah, NIC_PFVF_RAH)
PFVF_REG(vmvir, NIC_PFVF_VMVIR)
PFVF_REG(spoof, NIC_PFVF_SPOOF)
PFVF_REG(trust, NIC_PFVF_TRUST)
PFVF_REG(rate, NIC_PFVF_RATE)
PFVF_REG(link, NIC_PFVF_LINK)
#undef PFVF_REG

/* ---------------------------------------------------------------- the mailbox */

static void wr_pfmbmem(nic_fn *f, unsigned i, uint64_t v, uint32_t len, uint64_t t)
{
    (void)len;
    (void)t;
    f->nic->fns[1 + i / NIC_MBX_WORDS].mbx[i % NIC_MBX_WORDS] = (uint32_t)v;
}

static uint64_t rd_pfmbmem(nic_fn *f, unsigned i, uint64_t t)
{
    (void)t;
    return f->nic->fns[1 + i / NIC_MBX_WORDS].mbx[i % NIC_MBX_WORDS];
}

static void wr_pfmailbox(nic_fn *f, unsigned vf, uint64_t v, uint32_t len, uint64_t t)
{
    (void)len;
    if (v & NIC_PFMAILBOX_STS)
        nic_mbx_send(f->nic, vf, false, t);
}

static void wr_vfmbmem(nic_fn *f, unsigned w, uint64_t v, uint32_t len, uint64_t t)
{
    (void)len;
    (void)t;
    f->mbx[w] = (uint32_t)v;
}

static uint64_t rd_vfmbmem(nic_fn *f, unsigned w, uint64_t t)
{
    (void)t;
    return f->mbx[w];
}

static void wr_vfmailbox(nic_fn *f, unsigned i, uint64_t v, uint32_t len, uint64_t t)
{
    (void)i;
    (void)len;
    if (v & NIC_VFMAILBOX_REQ)
        nic_mbx_send(f->nic, f->idx - 1, true, t);
}

/* ---------------------------------------------------------------- the table */

#define MSIX_ENTRY(field) (NIC_MSIX_TABLE_OFFSET + (field))

/* Doorbells and interrupt enables first: they are most of the accesses. */
static const nic_reg nic_regs[] = {
    {"TDT", NIC_BAR_REGS, REG_PER_QUEUE, REG_ALL, NIC_REG_TDT(0), NIC_REG_QUEUE_STRIDE, rd_tdt,
     wr_tdt},
    {"RDT", NIC_BAR_REGS, REG_PER_QUEUE, REG_ALL, NIC_REG_RDT(0), NIC_REG_QUEUE_STRIDE, rd_rdt,
     wr_rdt},
    {"EIMS", NIC_BAR_REGS, REG_ONE, REG_ALL, NIC_REG_EIMS, 0, rd_eims, wr_eims},
    {"EIMC", NIC_BAR_REGS, REG_ONE, REG_ALL, NIC_REG_EIMC, 0, NULL, wr_eimc},
    {"TDH", NIC_BAR_REGS, REG_PER_QUEUE, REG_ALL, NIC_REG_TDH(0), NIC_REG_QUEUE_STRIDE, rd_tdh,
     NULL},
    {"RDH", NIC_BAR_REGS, REG_PER_QUEUE, REG_ALL, NIC_REG_RDH(0), NIC_REG_QUEUE_STRIDE, rd_rdh,
     NULL},
    {"MSIX Message Address", NIC_BAR_MSIX, REG_PER_VECTOR, REG_ALL,
     MSIX_ENTRY(PCIE_MSIX_ENTRY_MSG_ADDR), PCIE_MSIX_ENTRY_SIZE, NULL, wr_msix_addr},
    {"MSIX Message Upper Address", NIC_BAR_MSIX, REG_PER_VECTOR, REG_ALL,
     MSIX_ENTRY(PCIE_MSIX_ENTRY_MSG_UPPER_ADDR), PCIE_MSIX_ENTRY_SIZE, NULL, wr_msix_upper},
    {"MSIX Message Data", NIC_BAR_MSIX, REG_PER_VECTOR, REG_ALL,
     MSIX_ENTRY(PCIE_MSIX_ENTRY_MSG_DATA), PCIE_MSIX_ENTRY_SIZE, NULL, wr_msix_data},
    {"MSIX Vector Control", NIC_BAR_MSIX, REG_PER_VECTOR, REG_ALL,
     MSIX_ENTRY(PCIE_MSIX_ENTRY_VECTOR_CTRL), PCIE_MSIX_ENTRY_SIZE, NULL, wr_msix_ctrl},
    {"VFMBMEM", NIC_BAR_REGS, REG_PER_WORD, REG_VF, NIC_REG_VFMBMEM(0), 4, rd_vfmbmem,
     wr_vfmbmem},
    {"VFMAILBOX", NIC_BAR_REGS, REG_ONE, REG_VF, NIC_REG_VFMAILBOX, 0, NULL, wr_vfmailbox},
    {"PFMBMEM", NIC_BAR_REGS, REG_PER_VF_WORD, REG_PF, NIC_REG_PFMBMEM(0, 0), 4, rd_pfmbmem,
     wr_pfmbmem},
    {"PFMAILBOX", NIC_BAR_REGS, REG_PER_VF, REG_PF, NIC_REG_PFVF(0, NIC_PFVF_PFMAILBOX),
     NIC_REG_PFVF_STRIDE, NULL, wr_pfmailbox},
    {"RAL", NIC_BAR_REGS, REG_PER_VF, REG_PF, NIC_REG_PFVF(0, NIC_PFVF_RAL), NIC_REG_PFVF_STRIDE,
     rd_ral, wr_ral},
    {"RAH", NIC_BAR_REGS, REG_PER_VF, REG_PF, NIC_REG_PFVF(0, NIC_PFVF_RAH), NIC_REG_PFVF_STRIDE,
     rd_rah, wr_rah},
    {"VMVIR", NIC_BAR_REGS, REG_PER_VF, REG_PF, NIC_REG_PFVF(0, NIC_PFVF_VMVIR),
     NIC_REG_PFVF_STRIDE, rd_vmvir, wr_vmvir},
    {"PFVFSPOOF", NIC_BAR_REGS, REG_PER_VF, REG_PF, NIC_REG_PFVF(0, NIC_PFVF_SPOOF),
     NIC_REG_PFVF_STRIDE, rd_spoof, wr_spoof},
    {"TRUST", NIC_BAR_REGS, REG_PER_VF, REG_PF, NIC_REG_PFVF(0, NIC_PFVF_TRUST),
     NIC_REG_PFVF_STRIDE, rd_trust, wr_trust},
    {"RATE", NIC_BAR_REGS, REG_PER_VF, REG_PF, NIC_REG_PFVF(0, NIC_PFVF_RATE),
     NIC_REG_PFVF_STRIDE, rd_rate, wr_rate},
    {"LINK", NIC_BAR_REGS, REG_PER_VF, REG_PF, NIC_REG_PFVF(0, NIC_PFVF_LINK),
     NIC_REG_PFVF_STRIDE, rd_link, wr_link},
};

static unsigned instances(const nic_fn *f, const nic_reg *r)
{
    switch (r->count) {
    case REG_PER_QUEUE: return f->nq;
    case REG_PER_VECTOR: return f->nvec;
    case REG_PER_VF: return f->nic->cfg.max_vfs;
    case REG_PER_VF_WORD: return f->nic->cfg.max_vfs * NIC_MBX_WORDS;
    case REG_PER_WORD: return NIC_MBX_WORDS;
    default: return 1;
    }
}

/* The row and instance an offset of a function's BAR falls on; NULL when none. */
static const nic_reg *reg_find(const nic_fn *f, unsigned bar, uint64_t off, unsigned *inst)
{
    unsigned who = f->idx == NIC_PF ? REG_PF : REG_VF;
    for (size_t k = 0; k < sizeof nic_regs / sizeof nic_regs[0]; k++) {
        const nic_reg *r = &nic_regs[k];
        if (r->bar != bar || !(r->fns & who) || off < r->off)
            continue;
        uint64_t d = off - r->off;
        uint64_t i = r->stride ? d / r->stride : 0;
        if ((r->stride ? d % r->stride : d) != 0 || i >= instances(f, r))
            continue;
        *inst = (unsigned)i;
        return r;
    }
    return NULL;
}

/* The function an address decodes to (the PF's BARs, then the VFs' through the SR-IOV
 * capability), with the BAR and the offset in it; NULL when none claims it. */
static nic_fn *decode(nic *n, uint64_t addr, unsigned *bar, uint64_t *off)
{
    if (pcie_cfg_bar_decode(n->pf_cfg, addr, bar, off))
        return &n->fns[NIC_PF];
    unsigned vf;
    if (!pcie_sriov_vf_decode(n->sriov, addr, &vf, bar, off))
        return NULL;
    return &n->fns[1 + vf];
}

void nic_mmio_write(nic *n, uint64_t t_ps, uint64_t addr, uint32_t len, uint64_t value)
{
    unsigned bar, i;
    uint64_t off;
    nic_fn *f = decode(n, addr, &bar, &off);
    if (!f) {
        n->bad_mmio++;
        return;
    }
    nic_acct_mmio(f, false, addr, len);
    const nic_reg *r = reg_find(f, bar, off, &i);
    if (r && r->write)
        r->write(f, i, value, len, t_ps);
    else
        f->ctr->bad_mmio++;
}

uint64_t nic_mmio_read(nic *n, uint64_t t_ps, uint64_t addr, uint32_t len)
{
    unsigned bar, i;
    uint64_t off;
    nic_fn *f = decode(n, addr, &bar, &off);
    if (!f) {
        n->bad_mmio++;
        return len >= 8 ? UINT64_MAX : 0xffffffffull;
    }
    nic_acct_mmio(f, true, addr, len);
    const nic_reg *r = reg_find(f, bar, off, &i);
    if (r && r->read)
        return r->read(f, i, t_ps);
    f->ctr->bad_mmio++;
    return 0;
}

/* ---------------------------------------------------------------- queue set-up */

static void rx_map_update(nic_fn *f)
{
    f->rx_active = 0;
    for (unsigned i = 0; i < f->nq; i++)
        if (f->rxq[i].ring)
            f->rx_map[f->rx_active++] = i;
}

/* Stands for the ring registers (TDBAL/TDBAH/TDLEN, RDBAL/RDBAH/RDLEN, TXDCTL/RXDCTL
 * enable), which the model does not decode one by one: the rings are host memory the
 * driver hands over whole. */
int nic_queue_attach(nic *n, unsigned fn, unsigned q, nic_ring *tx, nic_ring *rx)
{
    nic_fn *f = nic_fn_get(n, fn);
    if (!f || q >= f->nq) {
        if (f)
            f->ctr->bad_mmio++;
        else
            n->bad_mmio++;
        return -1;
    }
    nic_ring *rings[2] = {tx, rx};
    nic_q *qs[2] = {&f->txq[q], &f->rxq[q]};
    for (int i = 0; i < 2; i++) {
        nic_q *x = qs[i];
        nic_q_reset(x);
        x->fn = f;
        x->qi = q;
        x->vec = q % (f->nvec - 1);
        if (!rings[i])
            continue;
        assert(rings[i]->entries == n->cfg.ring_entries);
        x->ring = rings[i];
        x->n = rings[i]->entries;
    }
    rx_map_update(f);
    return 0;
}
