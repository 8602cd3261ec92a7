/* An NVMe drive on the shared rig's platform (tests/rig.h) for the NVMe tests, driven
 * the way a driver drives it, at the level of the specification: queues in host memory
 * (real bytes), entries written and read with mem_phys_*, doorbells and registers
 * written through the root complex, MSI-X messages and every inbound request the root
 * complex sees recorded. The functions' queues live in their own memory: the PF's from
 * PLATFORM_HOST_BASE, VF i's in VM i's span (PLATFORM_VM_BASE + i x PLATFORM_VM_SPAN), so
 * an IOMMU domain per function can map exactly its memory. */
#ifndef TESTS_NVME_FIXTURE_H
#define TESTS_NVME_FIXTURE_H

#include <check.h>
#include <string.h>

#include "host/pciiov.h"
#include "models/mem/physmem.h"
#include "models/nvme/nvme.h"
#include "models/nvme/nvme_regs.h"
#include "models/pcie/cfgspace_regs.h"
#include "sim/le.h"
#include "tests/rig.h"

#define NVFX_FNS 8
#define NVFX_QUEUES 8
#define NVFX_LOG 8192
#define NVFX_ENTRIES 16u

typedef struct nvfx_req {
    pcie_rc_req kind;
    uint64_t t_ps;
    uint16_t rid;
    uint64_t addr;
    uint32_t len, data;
} nvfx_req;

/* A queue pair as its driver keeps it. */
typedef struct nvfx_q {
    bool open;
    uint64_t sq, cq;
    uint32_t n, sq_tail, cq_head;
    bool phase;
    uint16_t next_cid;
} nvfx_q;

typedef struct nvfx {
    rig r;
    nvme *n;
    pci_iov iov;
    uint64_t mem_next[NVFX_FNS]; /* each function's bump allocator */
    nvfx_q q[NVFX_FNS][NVFX_QUEUES];
    bool watching; /* record requests and MSIs from now on */
    nvfx_req log[NVFX_LOG];
    unsigned nlog;
} nvfx;

/* Test-size defaults: 4 VFs, small pools, 4 namespaces. */
static inline void nvfx_params(nvfx *f)
{
    memset(f, 0, sizeof *f);
    rig_init(&f->r);
    rig_set(&f->r, "nvme.max_vfs", "4");
    rig_set(&f->r, "nvme.flex_queues", "12");
    rig_set(&f->r, "nvme.flex_vectors", "6");
    rig_set(&f->r, "nvme.vf_max_queues", "5");
    rig_set(&f->r, "nvme.vf_max_vectors", "3");
    rig_set(&f->r, "nvme.namespaces", "4");
}

static inline void nvfx_log(nvfx *f, nvfx_req r)
{
    if (f->watching && f->nlog < NVFX_LOG)
        f->log[f->nlog++] = r;
}

static inline void nvfx_observe(void *ctx, pcie_rc_req kind, uint64_t t_ps, uint16_t rid,
                                uint64_t addr, uint32_t len, uint32_t msi_data)
{
    nvfx *f = ctx;
    if (kind != PCIE_RC_MSI)
        nvfx_log(f, (nvfx_req){kind, t_ps, rid, addr, len, msi_data});
}

/* MSIs as the root complex delivers them (after the writes before them). */
static inline void nvfx_msi(void *ctx, uint16_t rid, uint64_t addr, uint32_t data, uint64_t t_ps)
{
    nvfx_log(ctx, (nvfx_req){PCIE_RC_MSI, t_ps, rid, addr, 4, data});
}

static inline uint64_t nvfx_mem_base(unsigned fn)
{
    return fn == NVME_PF ? PLATFORM_HOST_BASE : PLATFORM_VM_BASE + (fn - 1) * PLATFORM_VM_SPAN;
}

static inline void nvfx_build(nvfx *f, bool with_iommu)
{
    sim_err e = {{0}};
    ck_assert_msg(platform_check(f->r.p, &e) == 0, "%s", e.msg);
    ck_assert_msg(nvme_check(f->r.p, PLATFORM_DEVICE_RID, &e) == 0, "%s", e.msg);
    rig_build(&f->r, with_iommu);
    platform *pf = f->r.pf;
    nvme_env env = {f->r.k, f->r.s, pf->link, pf->rc, pf->bus, PLATFORM_DEVICE_RID};
    f->n = nvme_create(f->r.p, &env, &e);
    ck_assert_msg(f->n, "%s", e.msg);
    uint64_t base = nvme_caps_of(f->r.p).mmio_base_addr;
    ck_assert_msg(platform_boot(pf, base, PLATFORM_MMIO_WINDOW_BYTES, &e), "%s", e.msg);
    f->iov = (pci_iov){pf->bus, PLATFORM_DEVICE_RID, base, PLATFORM_MMIO_WINDOW_BYTES};
    pcie_rc_set_observer(pf->rc, nvfx_observe, f);
    pcie_rc_set_msi(pf->rc, nvfx_msi, f);
    for (unsigned fn = 0; fn < NVFX_FNS; fn++)
        f->mem_next[fn] = nvfx_mem_base(fn);
}

static inline void nvfx_free(nvfx *f)
{
    nvme_destroy(f->n);
    rig_free(&f->r);
}

static inline uint64_t nvfx_now(nvfx *f) { return sim_now_ps(f->r.k); }

static inline void nvfx_run_us(nvfx *f, double us)
{
    rig_run_until(&f->r, nvfx_now(f) + (uint64_t)(us * SIM_PS_PER_US));
}

/* Zeroed pages of fn's memory. */
static inline uint64_t nvfx_alloc(nvfx *f, unsigned fn, uint64_t bytes)
{
    uint64_t a = f->mem_next[fn];
    f->mem_next[fn] += (bytes + 4095) & ~4095ull;
    mem_phys_fill(f->r.pf->pm, a, 0, bytes);
    return a;
}

static inline void nvfx_mmio_write(nvfx *f, uint64_t addr, uint32_t len, uint64_t v)
{
    uint64_t t = pcie_rc_mmio_write(f->r.pf->rc, nvfx_now(f), addr, len);
    nvme_mmio_write(f->n, t, addr, len, v);
}

static inline uint32_t nvfx_reg(nvfx *f, unsigned fn, uint32_t off)
{
    return (uint32_t)nvme_mmio_read(f->n, nvfx_now(f), nvme_fn_bar(f->n, fn) + off, 4);
}

/* MSI-X on, and vector v's entry: message data fn x 256 + v, unmasked. */
static inline void nvfx_vector(nvfx *f, unsigned fn, unsigned v)
{
    pcie_cfg *c = nvme_fn_cfg(f->n, fn);
    uint8_t cap = pcie_cfg_find_capability(c, PCIE_CAP_ID_MSIX);
    uint32_t ctl = pcie_cfg_read(c, (uint16_t)(cap + PCIE_MSIX_MSG_CTRL), 2);
    pcie_cfg_write(c, (uint16_t)(cap + PCIE_MSIX_MSG_CTRL), 2, ctl | PCIE_MSIX_MSG_CTRL_ENABLE);
    uint64_t e = nvme_fn_bar(f->n, fn) + NVME_MSIX_TABLE_OFFSET + 16u * v;
    nvfx_mmio_write(f, e + PCIE_MSIX_ENTRY_MSG_ADDR, 4, PCIE_MSI_BASE | (uint64_t)fn << 12);
    nvfx_mmio_write(f, e + PCIE_MSIX_ENTRY_MSG_UPPER_ADDR, 4, 0);
    nvfx_mmio_write(f, e + PCIE_MSIX_ENTRY_MSG_DATA, 4, fn * 256u + v);
    nvfx_mmio_write(f, e + PCIE_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
}

/* Enables fn's controller with an admin queue pair of NVFX_ENTRIES entries and its
 * vector 0; true when CSTS.RDY says it started. */
static inline bool nvfx_enable(nvfx *f, unsigned fn)
{
    nvfx_q *q = &f->q[fn][0];
    *q = (nvfx_q){.open = true, .n = NVFX_ENTRIES, .phase = true};
    q->sq = nvfx_alloc(f, fn, 4096);
    q->cq = nvfx_alloc(f, fn, 4096);
    nvfx_vector(f, fn, 0);
    uint64_t bar = nvme_fn_bar(f->n, fn);
    nvfx_mmio_write(f, bar + NVME_REG_AQA, 4, (NVFX_ENTRIES - 1) << 16 | (NVFX_ENTRIES - 1));
    nvfx_mmio_write(f, bar + NVME_REG_ASQ, 8, q->sq);
    nvfx_mmio_write(f, bar + NVME_REG_ACQ, 8, q->cq);
    nvfx_mmio_write(f, bar + NVME_REG_CC, 4,
                    NVME_CC_EN | NVME_SQES_LOG2 << 16 | NVME_CQES_LOG2 << 20);
    return nvfx_reg(f, fn, NVME_REG_CSTS) & NVME_CSTS_RDY;
}

/* A submission entry. */
typedef struct nvfx_cmd {
    uint8_t opc;
    uint32_t nsid;
    uint64_t prp1, prp2;
    uint32_t cdw10, cdw11, cdw12;
} nvfx_cmd;

/* Writes the entry at the queue's tail and rings its doorbell; returns the command ID. */
static inline uint16_t nvfx_submit(nvfx *f, unsigned fn, unsigned qid, nvfx_cmd c)
{
    nvfx_q *q = &f->q[fn][qid];
    ck_assert(q->open);
    uint8_t e[NVME_SQE_BYTES] = {0};
    uint16_t cid = q->next_cid++;
    sim_le_put(e + NVME_SQE_CDW0, c.opc | (uint32_t)cid << 16, 4);
    sim_le_put(e + NVME_SQE_NSID, c.nsid, 4);
    sim_le_put(e + NVME_SQE_PRP1, c.prp1, 8);
    sim_le_put(e + NVME_SQE_PRP2, c.prp2, 8);
    sim_le_put(e + NVME_SQE_CDW10, c.cdw10, 4);
    sim_le_put(e + NVME_SQE_CDW11, c.cdw11, 4);
    sim_le_put(e + NVME_SQE_CDW12, c.cdw12, 4);
    mem_phys_write(f->r.pf->pm, q->sq + (uint64_t)q->sq_tail * NVME_SQE_BYTES, e, sizeof e);
    q->sq_tail = (q->sq_tail + 1) % q->n;
    nvfx_mmio_write(f, nvme_doorbell_addr(f->n, fn, qid, false), 4, q->sq_tail);
    return cid;
}

/* A completion entry as the driver reads it. */
typedef struct nvfx_cqe {
    uint32_t dw0;
    uint16_t sqhd, sqid, cid, status; /* status: the status field (SCT << 8 | SC) */
} nvfx_cqe;

/* The entry at the queue's head if its phase tag says it is new: consumed, and the head
 * doorbell written when `ring`. */
static inline bool nvfx_poll(nvfx *f, unsigned fn, unsigned qid, nvfx_cqe *out, bool ring)
{
    nvfx_q *q = &f->q[fn][qid];
    uint8_t e[NVME_CQE_BYTES];
    mem_phys_read(f->r.pf->pm, q->cq + (uint64_t)q->cq_head * NVME_CQE_BYTES, e, sizeof e);
    uint16_t st = (uint16_t)sim_le_get(e + NVME_CQE_STATUS, 2);
    if (((st & NVME_CQE_PHASE) != 0) != q->phase)
        return false;
    *out = (nvfx_cqe){(uint32_t)sim_le_get(e + NVME_CQE_DW0, 4),
                      (uint16_t)sim_le_get(e + NVME_CQE_SQHD, 2),
                      (uint16_t)sim_le_get(e + NVME_CQE_SQID, 2),
                      (uint16_t)sim_le_get(e + NVME_CQE_CID, 2), (uint16_t)((st >> 1) & 0x7ff)};
    if (++q->cq_head == q->n) {
        q->cq_head = 0;
        q->phase = !q->phase;
    }
    if (ring)
        nvfx_mmio_write(f, nvme_doorbell_addr(f->n, fn, qid, true), 4, q->cq_head);
    return true;
}

/* Runs until the queue has a new entry (at most max_us), consumes it, rings. */
static inline nvfx_cqe nvfx_wait(nvfx *f, unsigned fn, unsigned qid, double max_us)
{
    nvfx_cqe c;
    for (double t = 0; t <= max_us; t += 1.0) {
        if (nvfx_poll(f, fn, qid, &c, true))
            return c;
        nvfx_run_us(f, 1.0);
    }
    ck_abort_msg("no completion on function %u queue %u within %g us", fn, qid, max_us);
    return c;
}

/* An admin command, run to its completion: its status field; *dw0 (may be NULL). */
static inline uint16_t nvfx_admin(nvfx *f, unsigned fn, nvfx_cmd c, uint32_t *dw0)
{
    uint16_t cid = nvfx_submit(f, fn, 0, c);
    nvfx_cqe e = nvfx_wait(f, fn, 0, 1000);
    ck_assert_uint_eq(e.cid, cid);
    if (dw0)
        *dw0 = e.dw0;
    return e.status;
}

/* I/O queue pair qid of fn on vector `vec` (interrupts on), `entries` each. */
static inline uint16_t nvfx_open_queue(nvfx *f, unsigned fn, unsigned qid, unsigned vec,
                                       uint32_t entries)
{
    nvfx_q *q = &f->q[fn][qid];
    *q = (nvfx_q){.n = entries, .phase = true};
    q->cq = nvfx_alloc(f, fn, entries * NVME_CQE_BYTES);
    q->sq = nvfx_alloc(f, fn, entries * NVME_SQE_BYTES);
    nvfx_vector(f, fn, vec);
    uint16_t st = nvfx_admin(f, fn,
                             (nvfx_cmd){.opc = NVME_ADM_CREATE_CQ, .prp1 = q->cq,
                                        .cdw10 = (entries - 1) << 16 | qid,
                                        .cdw11 = vec << 16 | NVME_CQ_CDW11_IEN | NVME_CQ_CDW11_PC},
                             NULL);
    if (st)
        return st;
    st = nvfx_admin(f, fn,
                    (nvfx_cmd){.opc = NVME_ADM_CREATE_SQ, .prp1 = q->sq,
                               .cdw10 = (entries - 1) << 16 | qid,
                               .cdw11 = qid << 16 | NVME_SQ_CDW11_PC},
                    NULL);
    q->open = st == 0;
    return st;
}

/* A Read or Write of nlb blocks at slba of nsid. */
static inline nvfx_cmd nvfx_rw(bool write, uint32_t nsid, uint64_t slba, uint32_t nlb,
                               uint64_t prp1, uint64_t prp2)
{
    return (nvfx_cmd){.opc = write ? NVME_IO_WRITE : NVME_IO_READ, .nsid = nsid, .prp1 = prp1,
                      .prp2 = prp2, .cdw10 = (uint32_t)slba, .cdw11 = (uint32_t)(slba >> 32),
                      .cdw12 = nlb - 1};
}

/* Virtualization Management on the primary. */
static inline uint16_t nvfx_virt(nvfx *f, unsigned act, unsigned rt, unsigned ctrl, unsigned nr)
{
    return nvfx_admin(f, NVME_PF,
                      (nvfx_cmd){.opc = NVME_ADM_VIRT_MGMT,
                                 .cdw10 = ctrl << 16 | rt << 8 | act, .cdw11 = nr},
                      NULL);
}

/* Namespace Attachment of nsid to (or from) one controller, through a list in the
 * PF's memory. */
static inline uint16_t nvfx_attach(nvfx *f, uint32_t nsid, unsigned ctrl, bool attach)
{
    uint64_t list = nvfx_alloc(f, NVME_PF, 4096);
    uint8_t b[4] = {0};
    sim_le_put(b, 1, 2);
    sim_le_put(b + 2, ctrl, 2);
    mem_phys_write(f->r.pf->pm, list, b, sizeof b);
    return nvfx_admin(f, NVME_PF,
                      (nvfx_cmd){.opc = NVME_ADM_NS_ATTACH, .nsid = nsid, .prp1 = list,
                                 .cdw10 = attach ? NVME_NS_ATTACH : NVME_NS_DETACH},
                      NULL);
}

#define NVFX_SF(sct, sc) ((uint16_t)((sct) << 8 | (sc)))

#endif
