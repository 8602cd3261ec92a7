/* Internals shared by the files of the NVMe model (nvme.c: parameters, functions,
 * configuration space, VFs, the resource pools, timed actions; regs.c: register decode
 * and controller enable; admin.c: admin commands; io.c: queues, command fetch, data
 * transfer, completions and interrupts). Not for other models. */
#ifndef MODELS_NVME_NVME_IMPL_H
#define MODELS_NVME_NVME_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/flash/flash.h"
#include "models/nvme/nvme.h"
#include "models/nvme/nvme_regs.h"
#include "models/pcie/dma.h"
#include "models/pcie/msix.h"
#include "models/pcie/sriov.h"
#include "sim/le.h"
#include "sim/tq.h"

/* The model-owned queue of timed actions behind the drive's one kernel event. */
enum nvme_act_kind {
    NVME_ACT_SQ_DB = 1, /* a submission doorbell arrives: fetch up to its tail */
    NVME_ACT_XFER,      /* a Read's data is ready in the controller: write it to the host */
    NVME_ACT_DONE,      /* a command completes: post its entry */
    NVME_ACT_COALESCE,  /* a vector's aggregation time expires */
};
/* Tag: kind in bits 63:60, the object's generation in 59:32, a value in 31:0. */
#define NVME_ACT_TAG(kind, gen, val)                                                           \
    (((uint64_t)(kind) << 60) | ((uint64_t)((gen) & 0xfffffffu) << 32) | (uint32_t)(val))
#define NVME_ACT_KIND(tag) ((enum nvme_act_kind)((tag) >> 60))
#define NVME_ACT_GEN(tag) ((uint32_t)((tag) >> 32) & 0xfffffffu)
#define NVME_ACT_VAL(tag) ((uint32_t)(tag))

struct nvme_ctrl;

typedef struct nvme_cq {
    bool exists;
    uint32_t gen;         /* bumped on create and delete: completions of the old one drop */
    uint64_t base;        /* device address of entry 0 (PRP1, physically contiguous) */
    uint32_t entries;
    uint32_t tail, head;  /* the controller's next slot; the host's head as doorbelled */
    bool phase;           /* phase tag of the current pass */
    bool ien;             /* interrupts enabled */
    unsigned vec;
    unsigned nsq;         /* submission queues that complete here */
    struct nvme_cmd *wait_head, *wait_tail; /* completions held while it is full */
} nvme_cq;

typedef struct nvme_sq {
    struct nvme_ctrl *ctrl;
    bool exists;
    uint32_t gen;
    uint64_t base;
    uint32_t entries;
    uint32_t head;  /* next entry to fetch */
    unsigned cqid;
    /* Doorbells in the order software wrote them: one that arrives after a later one
     * (host work booked out of time order) has nothing left to fetch. */
    uint16_t db_written, db_applied;
} nvme_sq;

/* One MSI-X vector's interrupt aggregation. */
typedef struct nvme_vec {
    uint32_t pending;   /* completions since its last interrupt */
    uint32_t gen;       /* invalidates an armed timer */
    bool armed;
    bool no_coalesce;   /* Feature 09h CD */
} nvme_vec;

/* What a command was, for the counters its completion updates. */
enum nvme_cmd_kind { NVME_CMD_ADMIN, NVME_CMD_READ, NVME_CMD_WRITE, NVME_CMD_FLUSH };

/* A command between its fetch and its completion entry. */
typedef struct nvme_cmd {
    struct nvme_ctrl *ctrl;
    uint16_t sqid, cqid, cid, status; /* status: the CQE's status field, phase clear */
    uint32_t dw0;
    uint8_t opc_kind;     /* enum nvme_cmd_kind */
    uint32_t bytes;       /* data moved */
    uint32_t ctrl_gen, sq_gen, cq_gen; /* a reset or a queue's deletion drops it */
    uint64_t done_ps;     /* when the controller may post its entry */
    /* A Read's data pages, written to the host when the media has the data (they are
     * booked then, not at the fetch, so that the link serves transfers in the order
     * their data is ready). */
    uint64_t *page_addr;
    uint32_t *page_len;
    unsigned npages;
    struct nvme_cmd *next; /* a CQ's wait list, or the free list */
} nvme_cmd;

/* A controller: the primary (idx 0) or a secondary (idx 1 + VF). */
typedef struct nvme_ctrl {
    struct nvme *nvme;
    unsigned idx;
    bool present;        /* the function exists (the primary always; a VF while enabled) */
    uint32_t gen;        /* bumped at reset: actions of the old state drop */
    pcie_cfg *cfg;
    pcie_dma *dma;
    uint16_t rid;
    uint16_t exp;        /* the PCI Express capability's offset */
    /* registers */
    uint32_t cc, csts, aqa, intms;
    uint64_t asq, acq;
    uint32_t page_bytes; /* CC.MPS latched when the controller was enabled */
    /* resources: queue pairs (admin included) and vectors it may use */
    unsigned nvq, nvi;
    bool online;         /* a secondary's state (the primary: always) */
    unsigned nsq_alloc, ncq_alloc; /* I/O queues granted by Number of Queues */
    bool queues_set;
    bool queues_created;   /* an I/O queue was created since the reset (5.21.1.7) */
    uint8_t coalesce_thr;  /* Feature 08h, 0's based */
    uint8_t coalesce_time_100us; /* 0: no aggregation */
    nvme_sq sq[NVME_MAX_QUEUES];
    nvme_cq cq[NVME_MAX_QUEUES];
    unsigned nvec;         /* MSI-X Table Size */
    pcie_msix_vec *msix;
    nvme_vec *vec;
    nvme_fn_counters *ctr;
} nvme_ctrl;

/* The parameters (nvme_params in nvme.c) as one call loads them. */
typedef struct nvme_cfg {
    uint32_t max_vfs, vf_offset, vf_stride;
    uint32_t pf_queues, pf_vectors, flex_queues, flex_vectors, vf_max_queues, vf_max_vectors;
    uint32_t mqes_entries;
    uint32_t namespaces, lba_bytes;
    uint32_t mdts_bytes;
    uint32_t mps_supported_bytes;
    uint64_t mmio_read_ps;
    uint64_t mmio_base_addr;
    /* not parameters of the table */
    uint32_t tags;
    uint64_t ns_bytes;
} nvme_cfg;

struct nvme {
    sim_kernel *kernel;
    sim_stats *stats;
    pcie_link *link;
    pcie_rc *rc;
    pcie_cfg_bus *bus;
    uint16_t pf_rid;
    nvme_cfg cfg;
    flash *media;
    pcie_sriov *sriov;
    nvme_ctrl *ctrl;          /* 1 + max_vfs */
    nvme_fn_counters *ctr;    /* per function, kept across VF Enable cycles */
    bool *ctr_registered;
    uint8_t *attached;        /* [ns x (1 + max_vfs) + ctrl]: namespace attached */
    unsigned flex_q_used, flex_v_used; /* assigned to secondaries */
    uint64_t cqe_visible_ps;  /* a completion entry's DMA: one link and root complex traversal */
    sim_event *ev;
    sim_tq *acts;
    nvme_cmd *free_cmds;
    uint8_t *sqe_buf;         /* submission entries of the fetch at hand */
    uint32_t sqe_cap;
    uint64_t *prp_addr;       /* the pages of the command at hand */
    uint32_t *prp_len;
    size_t max_pages;         /* of one transfer within MDTS */
    uint64_t errors;          /* SR-IOV capability refusals */
    uint64_t bad_mmio;        /* accesses no function claims */
    char last_error[160];
};

/* nvme.c */
void nvme_sched(nvme *n, uint64_t t_ps, enum nvme_act_kind kind, void *obj, uint32_t gen,
                uint32_t val);
void nvme_set_error(nvme *n, uint64_t *counter, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
nvme_ctrl *nvme_ctrl_get(nvme *n, unsigned idx); /* NULL when absent */
bool nvme_ns_attached(const nvme *n, unsigned nsid, unsigned ctrl);
void nvme_ns_set_attached(nvme *n, unsigned nsid, unsigned ctrl, bool on);
/* Virtualization Management on secondary `ctrl` (admin.c decodes it): a status. */
uint16_t nvme_virt_assign(nvme *n, unsigned ctrl, unsigned rt, unsigned nr, uint32_t *dw0);
uint16_t nvme_virt_set_online(nvme *n, unsigned ctrl, bool online);
/* The secondary's MSI-X Table Size: its VI resources (1 without any, as QEMU's
 * nvme_update_msixcap_ts). */
void nvme_ctrl_size_vectors(nvme_ctrl *c);

/* regs.c */
void nvme_ctrl_reset(nvme_ctrl *c);

/* admin.c: an admin command's entry, fetched at t_ps; returns when it is done and
 * fills its status and DWORD 0. */
uint64_t nvme_admin_exec(nvme_ctrl *c, const uint8_t *sqe, uint64_t t_ps, nvme_cmd *cmd);

/* io.c */
void nvme_sq_doorbell(nvme_ctrl *c, unsigned qid, uint32_t tail, uint64_t t_ps);
void nvme_cq_doorbell(nvme_ctrl *c, unsigned qid, uint32_t head, uint64_t t_ps);
void nvme_sq_fetch(nvme_ctrl *c, unsigned qid, uint32_t tail, uint64_t now);
void nvme_sq_doorbell_arrived(nvme_sq *sq, uint32_t val, uint64_t now);
void nvme_cmd_done(nvme_cmd *cmd);
void nvme_cmd_xfer(nvme_cmd *cmd, uint64_t now);
void nvme_cmd_free_mem(nvme_cmd *cmd); /* at destroy: the command and its page arrays */
void nvme_vec_timer(nvme_ctrl *c, unsigned v, uint64_t now);
void nvme_vec_unmasked(nvme_ctrl *c, unsigned v, uint64_t t_ps);
void nvme_queues_drop(nvme_ctrl *c);
/* Completions a queue held while full, released: those of submission queue sqid, or
 * every one (sqid NVME_MAX_QUEUES). */
void nvme_cq_drop_waiting(nvme_ctrl *c, nvme_cq *cq, unsigned sqid);
/* PRPs: the pages of a transfer of len bytes described by prp1 and prp2 (reading a
 * PRP list when there is one, from t_ps): fills pages[] with each page's address and
 * length, returns their count and *t_ps the time the list arrived; 0 with *status set
 * when the PRPs are malformed or their list's read was refused. */
unsigned nvme_prp_pages(nvme_ctrl *c, uint64_t prp1, uint64_t prp2, uint32_t len,
                        uint64_t *t_ps, uint64_t *addr, uint32_t *plen, uint16_t *status);
/* A completion's status field (phase clear): an error carries Do Not Retry, as QEMU's
 * do (the model's errors are the command's, a retry would fail again). */
static inline uint16_t nvme_status(unsigned sct, unsigned sc)
{
    uint16_t f = NVME_CQE_SF(sct, sc);
    return f ? (uint16_t)(f | NVME_CQE_DNR) : 0;
}

/* The host's memory page size (CC.MPS). */
static inline uint32_t nvme_page_bytes(const nvme_ctrl *c) { return c->page_bytes; }

#endif
