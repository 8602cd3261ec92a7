/* The NIC's registers: what a memory access to one of a function's BARs does. The
 * registers are data, as QEMU's igb_macreg_readops / igb_macreg_writeops: a table of
 * blocks, each a run of 32-bit registers repeated once per queue, per vector, per VF...
 * (its BAR, where instance 0 starts, log2 of the stride between instances, how many a
 * function has, which functions have it), and for each register of the block what a
 * read and a write do. An access is decoded with a shift and a mask, no division; the
 * blocks the data path hits (queue tails and heads, interrupt enables) come first. An
 * access that matches no register, or a read of a write-only one, is the driver's or
 * the guest's mistake: counted (bad_mmio), never fatal. Offsets and fields: nic_regs.h. */
#include "models/nic/nic_impl.h"

#include <assert.h>

#include "models/nic/nic_regs.h"


/* A read at t_ps (what the NIC has processed by then), a write arriving at t_ps.
 * i is the block's instance: the queue, the vector, the VF. */
typedef uint64_t (*reg_read_fn)(nic_fn *f, unsigned i, uint64_t t_ps);
typedef void (*reg_write_fn)(nic_fn *f, unsigned i, uint64_t value, uint32_t len, uint64_t t_ps);

enum reg_count {
    REG_ONE,         /* one instance */
    REG_PER_QUEUE,   /* one per queue pair of the function */
    REG_PER_VECTOR,  /* one per MSI-X vector of the function */
    REG_PER_VECTOR_CQ, /* two per MSI-X vector: its receive and transmit completion queues */
    REG_PER_VF,      /* the PF's, one per VF it may have (TotalVFs) */
    REG_PER_VF_WORD, /* the PF's, one per mailbox word of each VF: instance vf x 16 + word */
    REG_PER_WORD,    /* a VF's, one per mailbox word */
    REG_PER_VMDQ,    /* the PF's, one per VMDq filter */
    REG_PER_IMS,     /* the PF's, one per IMS entry */
};

enum reg_fns { REG_PF = 1, REG_VF = 2, REG_ALL = 3 };

/* One register of a block. */
typedef struct nic_reg {
    const char *name;   /* the datasheet's; NULL: no register at this offset */
    reg_read_fn read;   /* NULL: write-only */
    reg_write_fn write; /* NULL: read-only */
} nic_reg;

/* Instance i of a block starts at off + (i << shift); regs[k] is the register at 4k
 * from there, for every DWORD of the instance (REGS_PER). */
typedef struct nic_block {
    uint8_t bar;   /* NIC_BAR_REGS or NIC_BAR_MSIX */
    uint8_t count; /* enum reg_count */
    uint8_t fns;   /* enum reg_fns */
    uint8_t shift; /* log2 of the stride between instances (strides are powers of two) */
    uint32_t off;  /* of instance 0 */
    const nic_reg *regs;
} nic_block;

/* DWORDs in an instance of 2^shift bytes: the length of its block's regs. */
#define REGS_PER(shift) ((1u << (shift)) / 4u)

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

/* Only what the register holds: the enable bit and a 20-bit PASID. */
static void wr_qpasid(nic_fn *f, unsigned q, uint64_t v, uint32_t len, uint64_t t)
{
    (void)len;
    (void)t;
    uint32_t x = (uint32_t)v & (NIC_QPASID_ENABLE | NIC_QPASID_MASK);
    f->txq[q].qpasid = f->rxq[q].qpasid = x;
}

static uint64_t rd_qpasid(nic_fn *f, unsigned q, uint64_t t)
{
    (void)t;
    return f->txq[q].qpasid;
}

/* The PF's pairs only (a VF's vectors are its own MSI-X table's): the pair's interrupts
 * move to the IMS entry at once; a completion already counted on the old vector stays
 * there. */
static void wr_qims(nic_fn *f, unsigned q, uint64_t v, uint32_t len, uint64_t t)
{
    (void)len;
    (void)t;
    if (f->idx != NIC_PF) {
        f->ctr->bad_mmio++;
        return;
    }
    uint32_t x = (uint32_t)v & (NIC_QIMS_ENABLE | NIC_QIMS_ENTRY_MASK);
    f->txq[q].qims = f->rxq[q].qims = x;
    f->txq[q].vec = f->rxq[q].vec = nic_fn_queue_vec(f, q);
}

static uint64_t rd_qims(nic_fn *f, unsigned q, uint64_t t)
{
    (void)t;
    return f->txq[q].qims;
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

/* ---------------------------------------------------------------- interrupt throttling */

static void wr_eitr(nic_fn *f, unsigned v, uint64_t value, uint32_t len, uint64_t t)
{
    (void)len;
    nic_vec_write_eitr(&f->vec[v], (uint32_t)value, t);
}

static uint64_t rd_eitr(nic_fn *f, unsigned v, uint64_t t)
{
    (void)t;
    return f->vec[v].eitr;
}

static void wr_cqmod(nic_fn *f, unsigned i, uint64_t value, uint32_t len, uint64_t t)
{
    (void)len;
    nic_vec_write_cqmod(&f->vec[i >> 1], i & 1u, (uint32_t)value, t);
}

static uint64_t rd_cqmod(nic_fn *f, unsigned i, uint64_t t)
{
    (void)t;
    return f->vec[i >> 1].cq[i & 1u].value;
}

/* ---------------------------------------------------------------- MSI-X table (BAR3) */

/* A DWORD of vector v's entry; clearing the mask of a pending vector sends it now. */
static void msix_write(nic_fn *f, unsigned v, unsigned field, uint64_t value, uint32_t len,
                       uint64_t t)
{
    if (pcie_msix_entry_write(&f->vec[v].msix, field, len, value))
        nic_vec_msix_unmasked(&f->vec[v], t);
}

#define MSIX_FIELD(name, field)                                                                \
    static void wr_msix_##name(nic_fn *f, unsigned v, uint64_t value, uint32_t len, uint64_t t) \
    {                                                                                          \
        msix_write(f, v, field, value, len, t);                                                \
    }
MSIX_FIELD(addr, PCIE_MSIX_ENTRY_MSG_ADDR)
MSIX_FIELD(upper, PCIE_MSIX_ENTRY_MSG_UPPER_ADDR)
MSIX_FIELD(data, PCIE_MSIX_ENTRY_MSG_DATA)
MSIX_FIELD(ctrl, PCIE_MSIX_ENTRY_VECTOR_CTRL)
#undef MSIX_FIELD

/* ---------------------------------------------------------------- IMS (PF BAR0) */

/* IMS entry i is vector NIC_PF_MSIX_VECTORS + i of the PF. */
static nic_vec *ims_vec(nic_fn *f, unsigned i) { return &f->vec[NIC_PF_MSIX_VECTORS + i]; }

#define IMS_FIELD(name, field)                                                                 \
    static void wr_ims_##name(nic_fn *f, unsigned i, uint64_t value, uint32_t len, uint64_t t) \
    {                                                                                          \
        if (pcie_msix_entry_write(&ims_vec(f, i)->msix, field, len, value))                    \
            nic_vec_msix_unmasked(ims_vec(f, i), t);                                           \
    }                                                                                          \
    static uint64_t rd_ims_##name(nic_fn *f, unsigned i, uint64_t t)                          \
    {                                                                                          \
        (void)t;                                                                               \
        return pcie_msix_entry_read(&ims_vec(f, i)->msix, field);                              \
    }
IMS_FIELD(addr, PCIE_MSIX_ENTRY_MSG_ADDR)
IMS_FIELD(upper, PCIE_MSIX_ENTRY_MSG_UPPER_ADDR)
IMS_FIELD(data, PCIE_MSIX_ENTRY_MSG_DATA)
IMS_FIELD(ctrl, PCIE_MSIX_ENTRY_VECTOR_CTRL)
#undef IMS_FIELD

/* ENA: 1 enables the vector (a pending interrupt may fire), 0 disables it. */
static void wr_ims_ena(nic_fn *f, unsigned i, uint64_t v, uint32_t len, uint64_t t)
{
    (void)len;
    if (v & 1)
        nic_vec_enable(ims_vec(f, i), t);
    else
        ims_vec(f, i)->enabled = false;
}

static uint64_t rd_ims_ena(nic_fn *f, unsigned i, uint64_t t)
{
    (void)t;
    return ims_vec(f, i)->enabled;
}

static void wr_ims_itr(nic_fn *f, unsigned i, uint64_t v, uint32_t len, uint64_t t)
{
    (void)len;
    nic_vec_write_eitr(ims_vec(f, i), (uint32_t)v, t);
}

static uint64_t rd_ims_itr(nic_fn *f, unsigned i, uint64_t t)
{
    (void)t;
    return ims_vec(f, i)->eitr;
}

#define IMS_CQMOD(dir)                                                                         \
    static void wr_ims_cqmod##dir(nic_fn *f, unsigned i, uint64_t v, uint32_t len, uint64_t t) \
    {                                                                                          \
        (void)len;                                                                             \
        nic_vec_write_cqmod(ims_vec(f, i), dir, (uint32_t)v, t);                               \
    }                                                                                          \
    static uint64_t rd_ims_cqmod##dir(nic_fn *f, unsigned i, uint64_t t)                       \
    {                                                                                          \
        (void)t;                                                                               \
        return ims_vec(f, i)->cq[dir].value;                                                   \
    }
IMS_CQMOD(0)
IMS_CQMOD(1)
#undef IMS_CQMOD

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

/* ---------------------------------------------------------------- VMDq filters */

/* A register of the PF's VMDq filter i (vmdq.c applies it). */
#define VMDQ_REG(name, reg)                                                                    \
    static void wr_##name(nic_fn *f, unsigned i, uint64_t v, uint32_t len, uint64_t t)         \
    {                                                                                          \
        (void)len;                                                                             \
        (void)t;                                                                               \
        nic_vmdq_reg_write(f->nic, i, reg, (uint32_t)v);                                       \
    }                                                                                          \
    static uint64_t rd_##name(nic_fn *f, unsigned i, uint64_t t)                               \
    {                                                                                          \
        (void)t;                                                                               \
        return nic_vmdq_reg_read(f->nic, i, reg);                                              \
    }
VMDQ_REG(vmdq_ral, NIC_VMDQ_RAL)
VMDQ_REG(vmdq_rah, NIC_VMDQ_RAH)
VMDQ_REG(vmdq_qsel, NIC_VMDQ_QSEL)
#undef VMDQ_REG

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

/* Index of the register at offset reg in a block whose instance 0 starts at base. */
#define SLOT(reg, base) (((reg) - (base)) / 4u)

/* The per-queue block (one per queue pair; the model decodes the ring indices and the
 * pair's PASID). */
#define QUEUE_SHIFT 6u
_Static_assert(NIC_REG_QUEUE_STRIDE == 1u << QUEUE_SHIFT, "queue blocks: a power-of-two stride");
static const nic_reg queue_regs[REGS_PER(QUEUE_SHIFT)] = {
    [SLOT(NIC_REG_RDH(0), NIC_REG_QUEUE_BASE)] = {"RDH", rd_rdh, NULL},
    [SLOT(NIC_REG_RDT(0), NIC_REG_QUEUE_BASE)] = {"RDT", rd_rdt, wr_rdt},
    [SLOT(NIC_REG_TDH(0), NIC_REG_QUEUE_BASE)] = {"TDH", rd_tdh, NULL},
    [SLOT(NIC_REG_TDT(0), NIC_REG_QUEUE_BASE)] = {"TDT", rd_tdt, wr_tdt},
    [SLOT(NIC_REG_QPASID(0), NIC_REG_QUEUE_BASE)] = {"QPASID", rd_qpasid, wr_qpasid},
    [SLOT(NIC_REG_QIMS(0), NIC_REG_QUEUE_BASE)] = {"QIMS", rd_qims, wr_qims},
};

/* EIMS and EIMC, side by side. */
#define ENABLE_SHIFT 3u
_Static_assert(NIC_REG_EIMC == NIC_REG_EIMS + 4u, "EIMS and EIMC: one block");
static const nic_reg enable_regs[REGS_PER(ENABLE_SHIFT)] = {
    [SLOT(NIC_REG_EIMS, NIC_REG_EIMS)] = {"EIMS", rd_eims, wr_eims},
    [SLOT(NIC_REG_EIMC, NIC_REG_EIMS)] = {"EIMC", NULL, wr_eimc},
};

/* An MSI-X table entry (BAR3), one per vector. */
#define MSIX_SHIFT 4u
_Static_assert(PCIE_MSIX_ENTRY_SIZE == 1u << MSIX_SHIFT, "MSI-X entries: a power-of-two size");
static const nic_reg msix_regs[REGS_PER(MSIX_SHIFT)] = {
    [SLOT(PCIE_MSIX_ENTRY_MSG_ADDR, 0)] = {"MSIX Message Address", NULL, wr_msix_addr},
    [SLOT(PCIE_MSIX_ENTRY_MSG_UPPER_ADDR, 0)] = {"MSIX Message Upper Address", NULL,
                                                 wr_msix_upper},
    [SLOT(PCIE_MSIX_ENTRY_MSG_DATA, 0)] = {"MSIX Message Data", NULL, wr_msix_data},
    [SLOT(PCIE_MSIX_ENTRY_VECTOR_CTRL, 0)] = {"MSIX Vector Control", NULL, wr_msix_ctrl},
};

/* The mailbox's message memory, one word per instance: a VF's 16, and the PF's 16 of
 * each VF back to back (instance vf x 16 + word). */
#define WORD_SHIFT 2u
_Static_assert(NIC_REG_VFMBMEM(1) - NIC_REG_VFMBMEM(0) == 1u << WORD_SHIFT &&
                   NIC_REG_PFMBMEM(0, 1) - NIC_REG_PFMBMEM(0, 0) == 1u << WORD_SHIFT &&
                   NIC_REG_PFMBMEM(1, 0) == NIC_REG_PFMBMEM(0, NIC_MBX_WORDS),
               "mailbox memory: words back to back");
static const nic_reg vfmbmem_regs[REGS_PER(WORD_SHIFT)] = {{"VFMBMEM", rd_vfmbmem, wr_vfmbmem}};
static const nic_reg pfmbmem_regs[REGS_PER(WORD_SHIFT)] = {{"PFMBMEM", rd_pfmbmem, wr_pfmbmem}};
static const nic_reg vfmailbox_regs[REGS_PER(WORD_SHIFT)] = {{"VFMAILBOX", NULL, wr_vfmailbox}};
/* EITR, one DWORD per vector. */
_Static_assert(NIC_REG_EITR(1) - NIC_REG_EITR(0) == 1u << WORD_SHIFT, "EITR: one word a vector");
static const nic_reg eitr_regs[REGS_PER(WORD_SHIFT)] = {{"EITR", rd_eitr, wr_eitr}};
/* CQMOD, two DWORDs per vector (receive, transmit): instance 2 x vector + dir. */
_Static_assert(NIC_REG_CQMOD(0, 1) - NIC_REG_CQMOD(0, 0) == 1u << WORD_SHIFT &&
                   NIC_REG_CQMOD(1, 0) == NIC_REG_CQMOD(0, 2),
               "CQMOD: a word per completion queue, two a vector");
static const nic_reg cqmod_regs[REGS_PER(WORD_SHIFT)] = {{"CQMOD", rd_cqmod, wr_cqmod}};

/* The PF's administration block of a VF. */
#define PFVF_SHIFT 5u
_Static_assert(NIC_REG_PFVF_STRIDE == 1u << PFVF_SHIFT, "VF blocks: a power-of-two stride");
static const nic_reg pfvf_regs[REGS_PER(PFVF_SHIFT)] = {
    [SLOT(NIC_PFVF_RAL, 0)] = {"RAL", rd_ral, wr_ral},
    [SLOT(NIC_PFVF_RAH, 0)] = {"RAH", rd_rah, wr_rah},
    [SLOT(NIC_PFVF_VMVIR, 0)] = {"VMVIR", rd_vmvir, wr_vmvir},
    [SLOT(NIC_PFVF_SPOOF, 0)] = {"PFVFSPOOF", rd_spoof, wr_spoof},
    [SLOT(NIC_PFVF_TRUST, 0)] = {"TRUST", rd_trust, wr_trust},
    [SLOT(NIC_PFVF_RATE, 0)] = {"RATE", rd_rate, wr_rate},
    [SLOT(NIC_PFVF_LINK, 0)] = {"LINK", rd_link, wr_link},
    [SLOT(NIC_PFVF_PFMAILBOX, 0)] = {"PFMAILBOX", NULL, wr_pfmailbox},
};

/* An IMS entry of the PF: an MSI-X entry's four DWORDs, then the vector's controls. */
#define IMS_SHIFT 5u
_Static_assert(NIC_REG_IMS_STRIDE == 1u << IMS_SHIFT, "IMS entries: a power-of-two stride");
_Static_assert(NIC_IMS_ADDR == PCIE_MSIX_ENTRY_MSG_ADDR &&
                   NIC_IMS_UADDR == PCIE_MSIX_ENTRY_MSG_UPPER_ADDR &&
                   NIC_IMS_DATA == PCIE_MSIX_ENTRY_MSG_DATA &&
                   NIC_IMS_CTRL == PCIE_MSIX_ENTRY_VECTOR_CTRL,
               "IMS entries: an MSI-X entry's layout");
static const nic_reg ims_regs[REGS_PER(IMS_SHIFT)] = {
    [SLOT(NIC_IMS_ADDR, 0)] = {"IMS Message Address", rd_ims_addr, wr_ims_addr},
    [SLOT(NIC_IMS_UADDR, 0)] = {"IMS Message Upper Address", rd_ims_upper, wr_ims_upper},
    [SLOT(NIC_IMS_DATA, 0)] = {"IMS Message Data", rd_ims_data, wr_ims_data},
    [SLOT(NIC_IMS_CTRL, 0)] = {"IMS Vector Control", rd_ims_ctrl, wr_ims_ctrl},
    [SLOT(NIC_IMS_ENA, 0)] = {"IMS ENA", rd_ims_ena, wr_ims_ena},
    [SLOT(NIC_IMS_ITR, 0)] = {"IMS ITR", rd_ims_itr, wr_ims_itr},
    [SLOT(NIC_IMS_CQMOD(0), 0)] = {"IMS CQMOD RX", rd_ims_cqmod0, wr_ims_cqmod0},
    [SLOT(NIC_IMS_CQMOD(1), 0)] = {"IMS CQMOD TX", rd_ims_cqmod1, wr_ims_cqmod1},
};

/* A VMDq filter of the PF. */
#define VMDQ_SHIFT 4u
_Static_assert(NIC_REG_VMDQ_STRIDE == 1u << VMDQ_SHIFT, "VMDq filters: a power-of-two stride");
static const nic_reg vmdq_regs[REGS_PER(VMDQ_SHIFT)] = {
    [SLOT(NIC_VMDQ_RAL, 0)] = {"RAL", rd_vmdq_ral, wr_vmdq_ral},
    [SLOT(NIC_VMDQ_RAH, 0)] = {"RAH", rd_vmdq_rah, wr_vmdq_rah},
    [SLOT(NIC_VMDQ_QSEL, 0)] = {"QSEL", rd_vmdq_qsel, wr_vmdq_qsel},
};

/* Doorbells and interrupt enables first: they are most of the accesses. A single
 * instance's shift only has to cover its registers. */
static const nic_block nic_blocks[] = {
    {NIC_BAR_REGS, REG_PER_QUEUE, REG_ALL, QUEUE_SHIFT, NIC_REG_QUEUE_BASE, queue_regs},
    {NIC_BAR_REGS, REG_ONE, REG_ALL, ENABLE_SHIFT, NIC_REG_EIMS, enable_regs},
    {NIC_BAR_MSIX, REG_PER_VECTOR, REG_ALL, MSIX_SHIFT, NIC_MSIX_TABLE_OFFSET, msix_regs},
    {NIC_BAR_REGS, REG_PER_VECTOR, REG_ALL, WORD_SHIFT, NIC_REG_EITR(0), eitr_regs},
    {NIC_BAR_REGS, REG_PER_VECTOR_CQ, REG_ALL, WORD_SHIFT, NIC_REG_CQMOD(0, 0), cqmod_regs},
    {NIC_BAR_REGS, REG_PER_WORD, REG_VF, WORD_SHIFT, NIC_REG_VFMBMEM(0), vfmbmem_regs},
    {NIC_BAR_REGS, REG_ONE, REG_VF, WORD_SHIFT, NIC_REG_VFMAILBOX, vfmailbox_regs},
    {NIC_BAR_REGS, REG_PER_VF_WORD, REG_PF, WORD_SHIFT, NIC_REG_PFMBMEM(0, 0), pfmbmem_regs},
    {NIC_BAR_REGS, REG_PER_VF, REG_PF, PFVF_SHIFT, NIC_REG_PFVF_BASE, pfvf_regs},
    {NIC_BAR_REGS, REG_PER_VMDQ, REG_PF, VMDQ_SHIFT, NIC_REG_VMDQ_BASE, vmdq_regs},
    {NIC_BAR_REGS, REG_PER_IMS, REG_PF, IMS_SHIFT, NIC_REG_IMS_BASE, ims_regs},
};

#undef SLOT

static unsigned instances(const nic_fn *f, const nic_block *b)
{
    switch (b->count) {
    case REG_PER_QUEUE: return f->nq;
    case REG_PER_VECTOR: return f->nvec;
    case REG_PER_VECTOR_CQ: return 2 * f->nvec;
    case REG_PER_VF: return f->nic->cfg.max_vfs;
    case REG_PER_VF_WORD: return f->nic->cfg.max_vfs * NIC_MBX_WORDS;
    case REG_PER_WORD: return NIC_MBX_WORDS;
    case REG_PER_VMDQ: return NIC_VMDQ_FILTERS;
    case REG_PER_IMS: return NIC_PF_IMS_VECTORS;
    default: return 1;
    }
}

/* The register and instance an offset of a function's BAR falls on; NULL when none.
 * Every register is a DWORD at a DWORD-aligned offset. An offset below a block wraps
 * to one far above it. */
static inline const nic_reg *reg_find(const nic_fn *f, unsigned bar, uint64_t off,
                                      unsigned *inst)
{
    if (off % 4)
        return NULL;
    unsigned who = f->idx == NIC_PF ? REG_PF : REG_VF;
    for (size_t k = 0; k < sizeof nic_blocks / sizeof nic_blocks[0]; k++) {
        const nic_block *b = &nic_blocks[k];
        if (b->bar != bar || !(b->fns & who))
            continue;
        uint64_t d = off - b->off, i = d >> b->shift;
        unsigned slot = (unsigned)(d & ((1u << b->shift) - 1)) / 4; /* < REGS_PER(shift) */
        if (i >= instances(f, b) || !b->regs[slot].name)
            continue;
        *inst = (unsigned)i;
        return &b->regs[slot];
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

void nic_fn_rx_map_update(nic_fn *f)
{
    bool pf = f->idx == NIC_PF;
    f->rx_active = 0;
    for (unsigned i = 0; i < f->nq; i++)
        if (f->rxq[i].ring && !(pf && nic_vmdq_in_pool(f->nic->vmdq, i)))
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
        x->vec = nic_fn_queue_vec(f, q);
        if (!rings[i])
            continue;
        assert(rings[i]->entries == n->cfg.ring_entries);
        x->ring = rings[i];
        x->n = rings[i]->entries;
    }
    nic_fn_rx_map_update(f);
    return 0;
}

void nic_queue_event_passed(nic *n, unsigned fn, unsigned q, uint64_t t_ps)
{
    nic_fn *f = nic_fn_get(n, fn);
    if (f && q < f->nq)
        nic_vec_complete(&f->vec[f->txq[q].vec], t_ps, true);
}
