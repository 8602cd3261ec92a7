/* Internals shared by the files of the NIC model (nic.c: parameters, functions,
 * configuration space, VFs as the SR-IOV capability creates them, timed actions;
 * regs.c: register decode; mbx.c: VF administration and the mailbox; queue.c: rings,
 * DMA, transmit arbitration, wire, receive, interrupts; veb.c: the embedded switch).
 * Not for other models; the analytic model is host/nic_pcie_model.c. */
#ifndef MODELS_NIC_NIC_IMPL_H
#define MODELS_NIC_NIC_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/nic/nic.h"
#include "models/nic/nic_regs.h"
#include "models/nic/veb.h"
#include "models/nic/vmdq.h"
#include "models/pcie/dma.h"
#include "models/pcie/msix.h"
#include "models/pcie/sriov.h"
#include "sim/tq.h"

/* The model-owned queue of timed actions behind the NIC's one kernel event. */
enum nic_act_kind {
    NIC_ACT_TXQ,      /* a transmit queue re-evaluates doorbells and descriptor fetches */
    NIC_ACT_RXQ,      /* the same for a receive queue */
    NIC_ACT_ENGINE,   /* the transmit arbiter runs (buffer room or tokens came back) */
    NIC_ACT_FRAME,    /* a frame reaches the receive pipeline (wire or VEB) */
    NIC_ACT_ITR,      /* an interrupt moderation timer expires */
    NIC_ACT_MBX,      /* a mailbox message takes effect */
    NIC_ACT_RXDMA,    /* the receive DMA engine resumes (its PCIe port drained) */
};

/* An action in the NIC's timed queue (sim_tq: same-time actions in the order they
 * were scheduled, so the model's own order is fixed): its object, and a tag holding
 * the kind and the object's generation when scheduled (stale actions are skipped). */
#define NIC_ACT_TAG(kind, gen) (((uint64_t)(kind) << 32) | (uint32_t)(gen))
#define NIC_ACT_KIND(tag) ((enum nic_act_kind)((tag) >> 32))
#define NIC_ACT_GEN(tag) ((uint32_t)(tag))

typedef struct nic_frame {
    nic_pkt pkt;
    int src_fn; /* pool that sent it (VEB turnaround), -1 from the wire */
    struct nic_frame *next_free;
} nic_frame;

/* A received frame in the packet buffer, waiting for the receive DMA engine. */
typedef struct nic_rxent {
    nic_pkt pkt;
    unsigned fn;
    uint32_t fn_gen;
} nic_rxent;

typedef struct nic_fetch {
    uint64_t ready_ps;
    uint32_t count;
} nic_fetch;

typedef struct nic_db {
    uint64_t t_ps;
    uint32_t tail;
} nic_db;

struct nic_fn;
struct nic;

/* One ring engine: a transmit or a receive queue. Ring positions are indices mod
 * entries, as the hardware registers hold them. */
typedef struct nic_q {
    struct nic *nic;
    struct nic_fn *fn;
    unsigned qi;  /* the function's queue number */
    bool is_tx;
    unsigned tl_track; /* trace.timeline: its track, 0 until it first moves a frame */
    uint32_t gen; /* bumped when the queue is (re)assigned or reset */
    nic_ring *ring;
    uint32_t n;
    uint32_t tail;   /* as the NIC has seen it (doorbells applied up to some time) */
    uint32_t fetch;  /* next descriptor to fetch */
    uint32_t proc;   /* next descriptor to process */
    uint32_t cached; /* fetched or being fetched, not processed */
    uint32_t ready;  /* of those, arrived on chip */
    nic_fetch *fq;   /* fetches in flight, in issue order (completion times ascend) */
    uint32_t fq_head, fq_len, fq_cap;
    nic_db *db; /* doorbells not yet applied (arrival times ascend) */
    uint32_t db_head, db_len, db_cap;
    uint32_t wb_first, wb_count; /* processed, not yet written back */
    uint64_t wb_t_ps;            /* the NIC may write them back from then on */
    uint64_t wb_vis_ps;          /* their data is in memory (receive) or read (transmit) */
    uint64_t last_wb_ps;         /* when the last write-back became visible */
    uint64_t wake_ps;            /* pending NIC_ACT_TXQ/RXQ, NIC_NOT_DONE when none */
    bool failed;                 /* a descriptor fetch was refused: the queue stops */
    uint32_t qpasid;             /* its pair's QPASID as written (nic_regs.h); 0: no PASID */
    uint32_t qims;               /* its pair's QIMS as written; 0: its MSI-X vector */
    /* transmit arbiter (deficit round robin over active queues) */
    struct nic_q *act_next, *act_prev;
    bool active, turn;
    int64_t deficit;
    unsigned vec;
} nic_q;

/* One MSI-X vector with its interrupt moderation state. */
/* The vector queue pair q of f raises: its QIMS entry, else its MSI-X vector. */
unsigned nic_fn_queue_vec(const struct nic_fn *f, unsigned q);

typedef struct nic_vec {
    struct nic_fn *fn;
    unsigned idx;
    pcie_msix_vec msix; /* its MSI-X table entry and pending bit, or its IMS entry's */
    bool ims;           /* an IMS vector (the PF's, from NIC_PF_MSIX_VECTORS on): its
                           message does not depend on the function's MSI-X Enable */
    bool enabled;      /* EIMS bit: cleared when the vector fires (auto-mask) */
    uint32_t pending;  /* completions since the last interrupt */
    uint64_t first_ps; /* the first of them */
    uint32_t gen;      /* invalidates armed timers */
    bool armed;
    /* EITR (nic_regs.h): once written, the vector throttles instead of the device's
     * default moderation: at most one interrupt per eitr_ps, counted from the last. */
    bool eitr_set;
    uint32_t eitr;        /* as written */
    uint64_t eitr_ps;     /* its interval */
    uint64_t throttle_ps; /* the interval counter expires: an interrupt may fire from here */
    /* Completion-queue moderation (NIC_REG_CQMOD), receive [0] and transmit [1]: once
     * written, it alone decides when the vector fires. */
    bool cqmod;
    uint64_t armed_ps; /* when the armed timer fires (CQ moderation) */
    struct nic_cqmod {
        uint32_t value;        /* as written */
        uint64_t period_ps;
        uint32_t max_count;
        bool from_cqe;
        uint32_t pending;      /* its completions since the vector last fired */
        uint64_t first_ps;     /* the first of them */
        uint64_t last_event_ps; /* when the vector last fired with some of them (0 before
                                   the first: the period counts from the start) */
    } cq[2];
} nic_vec;

typedef struct nic_fn {
    struct nic *nic;
    unsigned idx; /* 0 PF, 1 + i VF i */
    bool present;
    uint32_t gen;
    pcie_cfg *cfg;
    pcie_dma *dma;
    uint16_t rid;
    unsigned nq;
    nic_q *txq, *rxq; /* the function's first queue in the pool arrays */
    unsigned nvec;
    nic_vec *vec;
    /* pool configuration (VEB, anti-spoofing, rate limiter) */
    uint64_t mac;
    uint16_t vlan;
    bool spoofchk, trust, admin_mac;
    nic_link_state link;
    double rate_gbps;
    double tokens_bits, depth_bits, bits_per_ps;
    uint64_t tokens_ps; /* when tokens_bits was last brought up to date */
    bool token_wait;    /* out of tokens: its queues sit out of the arbiter */
    unsigned rx_active; /* receive queues with a ring: RSS spreads over them */
    unsigned *rx_map;   /* ... listed here */
    unsigned vec_cap;   /* vectors allocated (the most this function can have) */
    uint32_t ral;                /* VF: RAL as written, loaded with RAH */
    uint32_t mbx[NIC_MBX_WORDS]; /* VF: the PF-VF mailbox's message memory */
    uint64_t mbx_busy_ps;        /* VF: its request is pending until the PF takes it then */
    uint16_t exp;                /* the PCI Express capability's offset */
    nic_fn_counters *ctr;
} nic_fn;

/* The device's parameters (nic_params in nic.c) as one call loads them: times in ps. */
typedef struct nic_cfg {
    uint32_t max_vfs, total_queues, pf_queues, queues_per_vf;
    uint32_t vf_offset, vf_stride;
    uint32_t ring_entries;
    uint32_t tx_fetch, tx_cache, rx_fetch, rx_cache;
    uint32_t tx_wb, rx_wb;
    bool tx_head_wb;
    uint32_t tx_desc_bytes, rx_desc_bytes, cqe_bytes;
    double line_gbps;
    uint32_t ifg_bytes, max_frame_bytes;
    uint64_t wire_latency_ps, veb_latency_ps, dma_latency_ps, mmio_read_ps;
    uint64_t rx_buffer_bytes, tx_buffer_bytes;
    uint64_t itr_ps;
    uint32_t itr_pkts;
    uint64_t mbx_ps;
    uint64_t rate_burst_bytes;
    uint64_t rx_window_bytes, tx_window_bytes;
    uint64_t quantum_bytes;
    uint64_t mmio_base;
    uint32_t mps_supported;
    const char *pf_mac_text;
    /* not parameters of the table */
    uint64_t pf_mac;     /* pf_mac_text parsed */
    uint32_t tags;       /* the link's (pcie.tags; nic_create sets it): the DMA engines' */
} nic_cfg;

/* A FIFO of (time, bytes) releases of an on-chip buffer, in time order. */
typedef struct nic_buf {
    uint64_t cap, used;
    uint64_t sched; /* bytes whose release time is set (in the FIFO) */
    nic_fn_counters *ctr; /* transmit buffer: frames are counted sent on release */
    struct {
        uint64_t t_ps, bytes;
        int fn; /* the sender, -1 when not a sent frame */
    } *e;
    size_t head, len, size;
} nic_buf;

struct nic {
    sim_kernel *kernel;
    sim_stats *stats;
    pcie_link *link;
    pcie_rc *rc;
    pcie_cfg_bus *bus;
    const pcie_link_cfg *lcfg;
    pcie_xfer_memo xfer_memo; /* the wire bytes of DMAs on lcfg, for the counters */
    uint16_t pf_rid;
    nic_cfg cfg;
    pcie_cfg *pf_cfg;
    pcie_sriov *sriov; /* the PF's SR-IOV capability: VF Enable, VF BARs */
    nic_fn *fns;    /* 1 + max_vfs */
    nic_fn_counters *ctr; /* per function, kept across VF Enable cycles */
    bool *ctr_registered;
    nic_q *txq, *rxq; /* the queue pool */
    unsigned pool_used;
    uint64_t ps_per_byte_x1024; /* wire time of a byte at the line rate, ps / 1024 */
    /* timed actions behind the one kernel event */
    sim_tq *acts;
    sim_event *ev;
    /* transmit */
    nic_q *act_cur;
    unsigned n_active;
    uint64_t engine_wake_ps;
    uint32_t engine_gen;
    uint64_t wire_busy_ps, veb_busy_ps;
    nic_buf txbuf, rxbuf;
    nic_buf txrd; /* transmit data requested and not yet arrived */
    nic_wire_fn sink;
    void *sink_ctx;
    nic_wire_tap_fn tap;
    void *tap_ctx;
    sim_timeline *tl; /* trace.timeline, NULL when off */
    sim_breakdown *bd; /* net.breakdown, NULL when off */
    unsigned bd_nic, bd_wire;
    unsigned tl_wire[2]; /* tracks: the wire out, in */
    /* receive */
    nic_veb *veb;
    nic_vmdq *vmdq; /* the PF's VMDq pools */
    nic_rxent *rxfifo; /* frames in the packet buffer, in arrival order */
    uint32_t rxq_head, rxq_len, rxq_cap;
    uint64_t rxe_wake_ps;
    uint32_t rxe_gen;
    nic_frame *free_frames;
    /* errors and device-level counters */
    uint64_t pf_driver_errors, sriov_errors, bad_mmio, mbx_msgs, mbx_refused, msi_masked;
    char last_error[256];
};

/* nic.c */
void nic_set_error(nic *n, uint64_t *counter, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void nic_sched(nic *n, uint64_t t_ps, enum nic_act_kind kind, void *obj, uint32_t gen);
nic_fn *nic_fn_get(nic *n, unsigned fn); /* NULL when absent */

/* mbx.c: the PF's VF administration registers and the mailbox */
void nic_pfvf_write(nic *n, unsigned vf, uint32_t reg, uint32_t value, uint64_t t_ps);
uint32_t nic_pfvf_read(nic *n, unsigned vf, uint32_t reg);
/* The VF's message memory is sent (PFMAILBOX.STS from the PF, VFMAILBOX.REQ from the
 * VF) at t_ps; nic_mbx_deliver carries it out as its NIC_ACT_MBX comes due. */
void nic_mbx_send(nic *n, unsigned vf, bool from_vf, uint64_t t_ps);
void nic_mbx_deliver(nic *n, void *msg, uint64_t now);

/* regs.c: the function's receive queues RSS spreads over (with a ring; the PF's outside
 * its VMDq pools), after a queue or a pool changed. */
void nic_fn_rx_map_update(nic_fn *f);
/* A queue moved a frame's data over [start_ps, end_ps): the packet's breakdown
 * (net.breakdown) and a slice `what` on q's timeline track (made on first use). */
void nic_observe_queue(nic_q *q, const char *what, uint64_t start_ps, uint64_t end_ps,
                        uint32_t packet);

/* vmdq.c: the PF's VMDq filter registers (NIC_REG_VMDQ, filter i). */
void nic_vmdq_reg_write(nic *n, unsigned i, uint32_t reg, uint32_t v);
uint32_t nic_vmdq_reg_read(const nic *n, unsigned i, uint32_t reg);

/* queue.c */
void nic_q_init(nic *n, nic_q *q, bool is_tx);
void nic_q_reset(nic_q *q);
void nic_q_free(nic_q *q);
void nic_q_doorbell(nic_q *q, uint64_t t_ps, uint32_t tail);
void nic_q_wake(nic_q *q, uint64_t now);
uint32_t nic_q_head(const nic_q *q);
void nic_engine_run(nic *n, uint64_t now);
void nic_engine_remove_fn(nic *n, nic_fn *f);
void nic_engine_tokens_back(nic *n, nic_fn *f, uint64_t now);
void nic_frame_arrive(nic *n, nic_frame *fr, uint64_t now);
void nic_rx_engine_run(nic *n, uint64_t now);
nic_frame *nic_frame_alloc(nic *n);
void nic_frame_free(nic *n, nic_frame *fr);
void nic_vec_enable(nic_vec *v, uint64_t t_ps);
/* A completion of a receive or transmit queue (is_tx) whose data is in memory at t_ps:
 * moderation counts it, and it fires. */
void nic_vec_complete(nic_vec *v, uint64_t t_ps, bool is_tx);
void nic_vec_write_cqmod(nic_vec *v, unsigned dir, uint32_t value, uint64_t t_ps);
void nic_vec_timer(nic_vec *v, uint64_t now);
void nic_vec_msix_unmasked(nic_vec *v, uint64_t t_ps);
void nic_vec_write_eitr(nic_vec *v, uint32_t value, uint64_t t_ps);
void nic_buf_init(nic_buf *b, uint64_t cap, nic_fn_counters *ctr);
void nic_buf_free_all(nic_buf *b);
void nic_fn_tokens_reset(nic_fn *f, uint64_t t_ps);
void nic_acct_mmio(nic_fn *f, bool read, uint64_t addr, uint32_t len);

#endif
