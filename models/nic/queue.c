/* The NIC's data path: descriptor rings and their fetches, the transmit arbiter and
 * rate limiters, the wire and the VEB turnaround, the receive DMA engine, write-backs
 * and interrupt moderation.
 *
 * Cost per packet: a transmitted packet is one data read, a share of a descriptor
 * fetch and of a write-back, and one wire reservation, all booked when the arbiter
 * picks it; the arbiter runs when a descriptor fetch completes (one event per burst),
 * when the transmit buffer has drained to three quarters or the read window to half,
 * or when a rate-limited VF has tokens again. A received frame is one event (its
 * arrival), one data write and its share of descriptor reads and write-backs; the
 * receive DMA engine needs an event of its own only when its write window is full. */
#include "models/nic/nic_impl.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"

/* ---------------------------------------------------------------- on-chip buffers */

void nic_buf_init(nic_buf *b, uint64_t cap, nic_fn_counters *ctr)
{
    memset(b, 0, sizeof *b);
    b->cap = cap;
    b->ctr = ctr;
}

void nic_buf_free_all(nic_buf *b) { free(b->e); }

/* Entries released by t leave the buffer; a transmitted frame is counted as sent
 * when it has left (its entry names the function). */
static void buf_release(nic_buf *b, uint64_t t)
{
    while (b->len && b->e[b->head].t_ps <= t) {
        b->used -= b->e[b->head].bytes;
        b->sched -= b->e[b->head].bytes;
        if (b->e[b->head].fn >= 0) {
            nic_fn_counters *c = &b->ctr[b->e[b->head].fn];
            c->tx_frames++;
            c->tx_bytes += b->e[b->head].bytes;
        }
        b->head = (b->head + 1) % b->size;
        b->len--;
    }
}

/* Space is released in FIFO order: a frame leaves the buffer no earlier than the one
 * before it (the MAC sends in order; receive DMA completes in order). `add` says
 * whether the bytes are taken now (transmit) or were taken earlier (a received frame
 * holds its space from arrival until its DMA is done). */
static void buf_push(nic_buf *b, uint64_t t_release, uint64_t bytes, bool add, int fn)
{
    if (b->len == b->size) {
        size_t size = b->size ? 2 * b->size : 64;
        void *e = sim_xmalloc(size * sizeof *b->e);
        for (size_t i = 0; i < b->len; i++)
            memcpy((char *)e + i * sizeof *b->e, &b->e[(b->head + i) % b->size], sizeof *b->e);
        free(b->e);
        b->e = e;
        b->size = size;
        b->head = 0;
    }
    if (b->len) {
        uint64_t last = b->e[(b->head + b->len - 1) % b->size].t_ps;
        if (t_release < last)
            t_release = last;
    }
    b->e[(b->head + b->len) % b->size].t_ps = t_release;
    b->e[(b->head + b->len) % b->size].bytes = bytes;
    b->e[(b->head + b->len) % b->size].fn = fn;
    b->len++;
    b->sched += bytes;
    if (add)
        b->used += bytes;
}

/* When the bytes with a release time pending will have dropped to at most `left`. */
static uint64_t buf_sched_below(const nic_buf *b, uint64_t left)
{
    uint64_t s = b->sched;
    for (size_t i = 0; i < b->len && s > left; i++) {
        s -= b->e[(b->head + i) % b->size].bytes;
        if (s <= left)
            return b->e[(b->head + i) % b->size].t_ps;
    }
    return 0;
}

/* When at least `need` bytes will be free. */
static uint64_t buf_free_at(const nic_buf *b, uint64_t need)
{
    uint64_t free_bytes = b->cap - b->used;
    for (size_t i = 0; i < b->len && free_bytes < need; i++) {
        free_bytes += b->e[(b->head + i) % b->size].bytes;
        if (free_bytes >= need)
            return b->e[(b->head + i) % b->size].t_ps;
    }
    return 0;
}

void nic_settle(nic *n, uint64_t now) { buf_release(&n->txbuf, now); }

/* ---------------------------------------------------------------- PCIe accounting */

static void acct(nic_fn *f, enum pcie_dma_op op, uint64_t addr, uint64_t len)
{
    uint64_t up, down;
    pcie_model_transfer_bytes_memo(&f->nic->xfer_memo, f->nic->lcfg, op, addr, len, &up, &down);
    f->ctr->pcie_up_bytes += up;
    f->ctr->pcie_down_bytes += down;
}

void nic_acct_mmio(nic_fn *f, bool read, uint64_t addr, uint32_t len)
{
    const pcie_link_cfg *c = f->nic->lcfg;
    if (read) {
        f->ctr->pcie_down_bytes += pcie_tlp_wire_bytes(c, PCIE_TLP_MRD, len, addr);
        f->ctr->pcie_up_bytes += pcie_tlp_wire_bytes(c, PCIE_TLP_CPLD, len, addr);
    } else {
        f->ctr->pcie_down_bytes += pcie_tlp_wire_bytes(c, PCIE_TLP_MWR, len, addr);
    }
}

/* ---------------------------------------------------------------- queues */

/* The PASID the queue's DMA carries (QPASID), or none. */
static inline uint32_t q_pasid(const nic_q *q)
{
    return q->qpasid & NIC_QPASID_ENABLE ? q->qpasid & NIC_QPASID_MASK : PCIE_NO_PASID;
}

static uint32_t q_fetch_max(const nic_q *q)
{
    return q->is_tx ? q->nic->cfg.tx_fetch : q->nic->cfg.rx_fetch;
}

static uint32_t q_cache(const nic_q *q)
{
    return q->is_tx ? q->nic->cfg.tx_cache : q->nic->cfg.rx_cache;
}

void nic_q_init(nic *n, nic_q *q, bool is_tx)
{
    memset(q, 0, sizeof *q);
    q->nic = n;
    q->is_tx = is_tx;
    q->wake_ps = NIC_NOT_DONE;
    q->fq_cap = q_cache(q) + 1;
    q->fq = sim_xcalloc(q->fq_cap, sizeof *q->fq);
}

void nic_q_free(nic_q *q)
{
    free(q->fq);
    free(q->db);
}

static void engine_del(nic *n, nic_q *q);

void nic_q_reset(nic_q *q)
{
    if (q->active)
        engine_del(q->nic, q);
    q->gen++;
    q->ring = NULL;
    q->n = 0;
    q->tail = q->fetch = q->proc = 0;
    q->cached = q->ready = 0;
    q->fq_head = q->fq_len = 0;
    q->db_head = q->db_len = 0;
    q->wb_first = q->wb_count = 0;
    q->wb_t_ps = q->wb_vis_ps = 0;
    q->last_wb_ps = 0;
    q->wake_ps = NIC_NOT_DONE;
    q->deficit = 0;
    q->turn = false;
    q->failed = false;
}

uint32_t nic_q_head(const nic_q *q) { return q->proc; }

static void q_wake_at(nic_q *q, uint64_t t)
{
    uint64_t now = sim_now_ps(q->nic->kernel);
    if (t < now)
        t = now;
    if (q->wake_ps <= t)
        return;
    q->wake_ps = t;
    nic_sched(q->nic, t, q->is_tx ? NIC_ACT_TXQ : NIC_ACT_RXQ, q, q->gen);
}

static uint32_t q_avail(const nic_q *q, uint32_t tail)
{
    return (tail + q->n - q->fetch) % q->n;
}

/* Doorbells that have arrived by t take effect; fetches done by t are on chip. */
static void q_update(nic_q *q, uint64_t t)
{
    while (q->db_len && q->db[q->db_head].t_ps <= t) {
        q->tail = q->db[q->db_head].tail;
        q->db_head = (q->db_head + 1) % q->db_cap;
        q->db_len--;
    }
    while (q->fq_len && q->fq[q->fq_head].ready_ps <= t) {
        q->ready += q->fq[q->fq_head].count;
        q->fq_head = (q->fq_head + 1) % q->fq_cap;
        q->fq_len--;
    }
}

/* Descriptor prefetch (the 82599's PTHRESH/HTHRESH rule with a full burst as the
 * host threshold): fetch when the cache has room for a burst of min(fetch size,
 * available) and either a full burst is available or the cache has run dry. A read
 * never wraps around the ring's end. A refused fetch (Unsupported Request) puts the
 * queue in its error state: it stops until the driver sets it up again. */
static void q_try_fetch(nic_q *q, uint64_t t)
{
    if (!q->ring || q->failed)
        return;
    q_update(q, t);
    nic *n = q->nic;
    nic_fn *f = q->fn;
    uint32_t fmax = q_fetch_max(q), cache = q_cache(q);
    for (;;) {
        uint32_t avail = q_avail(q, q->tail);
        if (!avail)
            break;
        uint32_t want = avail < fmax ? avail : fmax;
        if (cache - q->cached < want || (avail < fmax && q->cached > 0))
            break;
        uint32_t cnt = want < q->n - q->fetch ? want : q->n - q->fetch;
        uint64_t db = q->is_tx ? n->cfg.tx_desc_bytes : n->cfg.rx_desc_bytes;
        uint64_t addr = q->ring->base_addr + (uint64_t)q->fetch * db;
        bool ur = false;
        uint64_t done = pcie_dma_read_pasid(f->dma, t + n->cfg.dma_latency_ps, addr, cnt * db,
                                            q_pasid(q), &ur);
        acct(f, PCIE_DMA_READ, addr, cnt * db);
        if (q->is_tx) {
            f->ctr->tx_desc_reads++;
            f->ctr->tx_descs += cnt;
        } else {
            f->ctr->rx_desc_reads++;
            f->ctr->rx_descs += cnt;
        }
        if (ur) {
            f->ctr->dma_errors++;
            q->failed = true;
            return;
        }
        assert(q->fq_len < q->fq_cap);
        q->fq[(q->fq_head + q->fq_len) % q->fq_cap] = (nic_fetch){done, cnt};
        q->fq_len++;
        q->cached += cnt;
        q->fetch = (q->fetch + cnt) % q->n;
        if (q->is_tx)
            q_wake_at(q, done);
    }
    /* An idle queue must notice the next doorbell when it arrives. */
    if (q->cached == 0 && q->db_len)
        q_wake_at(q, q->db[q->db_head].t_ps);
}

/* A queue whose descriptor read failed stops; pending work on it is dropped. */
static void q_stop_if_failed(nic_q *q)
{
    if (!q->failed)
        return;
    nic_fn *f = q->fn;
    unsigned qi = q->qi, vec = q->vec;
    bool rx_was = !q->is_tx && q->ring;
    nic_q_reset(q);
    q->fn = f;
    q->qi = qi;
    q->vec = vec;
    if (rx_was)
        nic_fn_rx_map_update(f);
}

void nic_q_doorbell(nic_q *q, uint64_t t_ps, uint32_t tail)
{
    if (q->db_len == q->db_cap) {
        uint32_t cap = q->db_cap ? 2 * q->db_cap : 64;
        nic_db *db = sim_xmalloc(cap * sizeof *db);
        for (uint32_t i = 0; i < q->db_len; i++)
            db[i] = q->db[(q->db_head + i) % q->db_cap];
        free(q->db);
        q->db = db;
        q->db_cap = cap;
        q->db_head = 0;
    }
    uint32_t before = q->db_len ? q->db[(q->db_head + q->db_len - 1) % q->db_cap].tail : q->tail;
    if (q->db_len) {
        uint64_t last = q->db[(q->db_head + q->db_len - 1) % q->db_cap].t_ps;
        if (t_ps < last)
            t_ps = last; /* posted writes arrive in order */
    }
    q->db[(q->db_head + q->db_len) % q->db_cap] = (nic_db){t_ps, tail};
    q->db_len++;
    /* The queue acts on this doorbell only if it may start a fetch then: it is idle,
     * or the doorbell completes a full burst that fits the cache. Otherwise the next
     * fetch completion or descriptor use looks at the tail. */
    uint32_t fmax = q_fetch_max(q);
    bool idle = q->cached == 0;
    bool burst = q_cache(q) - q->cached >= fmax && q_avail(q, before) < fmax &&
                 q_avail(q, tail) >= fmax;
    if (idle || burst)
        q_wake_at(q, t_ps);
}

/* ---------------------------------------------------------------- interrupts */

static void q_writeback(nic_q *q, uint64_t t);

/* Whether the vector's message may go now; if not it is held pending. An MSI-X vector
 * needs its function's MSI-X Enable and no mask; an IMS vector only its entry's mask. */
static bool vec_may_signal(nic_vec *v)
{
    if (!v->ims)
        return pcie_msix_signal(v->fn->cfg, &v->msix);
    v->msix.pending = v->msix.masked;
    return !v->msix.masked;
}

/* Send the vector's message, write-backs of its queues first (82599: the ITR flushes
 * pending write-backs before the interrupt, so software finds every descriptor the
 * interrupt announces). */
static void vec_fire(nic_vec *v, uint64_t t)
{
    nic_fn *f = v->fn;
    nic *n = f->nic;
    for (unsigned q = 0; q < f->nq; q++) {
        nic_q *qs[2] = {&f->txq[q], &f->rxq[q]};
        for (int i = 0; i < 2; i++) {
            if (qs[i]->vec != v->idx || !qs[i]->wb_count)
                continue;
            q_writeback(qs[i], t);
        }
    }
    v->pending = 0;
    for (int d = 0; d < 2; d++) {
        if (v->cq[d].pending)
            v->cq[d].last_event_ps = t;
        v->cq[d].pending = 0;
    }
    v->enabled = false; /* auto-mask until the driver writes EIMS */
    v->armed = false;
    v->gen++;
    v->throttle_ps = t + v->eitr_ps; /* the interval counter restarts (EITR vectors) */
    if (!vec_may_signal(v)) {
        n->msi_masked++;
        return;
    }
    /* The root complex delivers it after the posted writes before it. */
    pcie_dma_msi(f->dma, t + n->cfg.dma_latency_ps, v->msix.addr, v->msix.data);
    acct(f, PCIE_DMA_WRITE, v->msix.addr, 4);
    f->ctr->irqs++;
}

void nic_vec_msix_unmasked(nic_vec *v, uint64_t t_ps)
{
    nic_fn *f = v->fn;
    if (!vec_may_signal(v))
        return;
    pcie_dma_msi(f->dma, t_ps + f->nic->cfg.dma_latency_ps, v->msix.addr, v->msix.data);
    acct(f, PCIE_DMA_WRITE, v->msix.addr, 4);
    f->ctr->irqs++;
}

static void vec_arm(nic_vec *v, uint64_t t)
{
    if (v->armed)
        return;
    v->armed = true;
    nic_sched(v->fn->nic, t, NIC_ACT_ITR, v, v->gen);
}

/* A vector whose EITR software has written throttles as the 82599 does (datasheet 7.3.4,
 * interrupt throttling; QEMU's e1000e/igb models the same in e1000e_postpone_interrupt):
 * a cause fires at once when the interval counter has expired since the last interrupt,
 * otherwise when it expires. So a quiet queue interrupts without delay and a busy one at
 * most once per interval. The default moderation below (nic.itr_us after the first
 * completion, or nic.itr_pkts completions) is pcie-bench's model of the same device. */
static void vec_throttle(nic_vec *v, uint64_t t)
{
    if (t >= v->throttle_ps)
        vec_fire(v, t);
    else
        vec_arm(v, v->throttle_ps);
}

void nic_vec_write_eitr(nic_vec *v, uint32_t value, uint64_t t_ps)
{
    v->eitr_set = true;
    v->eitr = value & NIC_EITR_INTERVAL_MASK;
    v->eitr_ps = NIC_EITR_INTERVAL_PS(value);
    if (value & NIC_EITR_CNT_WDIS)
        return; /* the running interval keeps its expiry; the next one is the new length */
    v->throttle_ps = t_ps;
    if (v->enabled && v->pending)
        vec_fire(v, t_ps);
}

/* Completion-queue moderation (NIC_REG_CQMOD), as a ConnectX CQ's: a queue with
 * completions raises an event when max_count of them have gathered, or when its period
 * has run, from its first completion since the last event (FROM_CQE) or from its last
 * event; the vector fires at its queues' earliest event, and its poll serves both. */
static void cq_moderate(nic_vec *v, uint64_t t)
{
    uint64_t due = UINT64_MAX;
    for (int d = 0; d < 2; d++) {
        const struct nic_cqmod *c = &v->cq[d];
        if (!c->pending)
            continue;
        uint64_t at;
        if (c->max_count && c->pending >= c->max_count)
            at = t;
        else if (c->from_cqe)
            at = c->first_ps + c->period_ps;
        else
            at = c->last_event_ps + c->period_ps > c->first_ps ? c->last_event_ps + c->period_ps
                                                               : c->first_ps;
        if (at < due)
            due = at;
    }
    if (due <= t) {
        vec_fire(v, t);
    } else if (due != UINT64_MAX && (!v->armed || due < v->armed_ps)) {
        /* An earlier event than the one armed: the armed timer is dropped. */
        v->armed = false;
        v->gen++;
        vec_arm(v, due);
        v->armed_ps = due;
    }
}

void nic_vec_write_cqmod(nic_vec *v, unsigned dir, uint32_t value, uint64_t t_ps)
{
    struct nic_cqmod *c = &v->cq[dir & 1u];
    v->cqmod = true;
    c->value = value;
    c->period_ps = (uint64_t)(value & NIC_CQMOD_PERIOD_MASK) * 1000000u;
    c->max_count = (value & NIC_CQMOD_COUNT_MASK) >> NIC_CQMOD_COUNT_SHIFT;
    c->from_cqe = (value & NIC_CQMOD_FROM_CQE) != 0;
    if (v->enabled && v->pending)
        cq_moderate(v, t_ps);
}

/* A descriptor of one of the vector's queues completed at t. */
void nic_vec_complete(nic_vec *v, uint64_t t, bool is_tx)
{
    const nic_cfg *c = &v->fn->nic->cfg;
    if (v->pending++ == 0 || t < v->first_ps)
        v->first_ps = t;
    if (v->cqmod) {
        struct nic_cqmod *q = &v->cq[is_tx];
        if (q->pending++ == 0 || t < q->first_ps)
            q->first_ps = t;
        if (v->enabled)
            cq_moderate(v, t);
        return;
    }
    if (!v->enabled)
        return;
    if (v->eitr_set) {
        vec_throttle(v, t);
        return;
    }
    if (c->itr_ps == 0 || (c->itr_pkts && v->pending >= c->itr_pkts))
        vec_fire(v, t);
    else
        vec_arm(v, v->first_ps + c->itr_ps);
}

void nic_vec_timer(nic_vec *v, uint64_t now)
{
    v->armed = false;
    if (v->enabled && v->pending)
        vec_fire(v, now);
}

void nic_vec_enable(nic_vec *v, uint64_t t_ps)
{
    const nic_cfg *c = &v->fn->nic->cfg;
    v->enabled = true;
    if (!v->pending)
        return;
    if (v->cqmod) {
        cq_moderate(v, t_ps);
        return;
    }
    if (v->eitr_set) {
        vec_throttle(v, t_ps > v->first_ps ? t_ps : v->first_ps);
        return;
    }
    if (c->itr_ps == 0 || (c->itr_pkts && v->pending >= c->itr_pkts))
        vec_fire(v, t_ps);
    else {
        uint64_t due = v->first_ps + c->itr_ps;
        vec_arm(v, due > t_ps ? due : t_ps);
    }
}

/* ---------------------------------------------------------------- write-back */

/* Write back the pending batch, issued no earlier than t nor before the NIC is done
 * with the batch's descriptors (wb_t_ps: transmit data read, receive data write
 * issued). Posted writes of one function stay in order, so the write-back needs no
 * wait for the data to reach memory; it only becomes visible after it (wb_vis_ps), and
 * never before the batch before it. Descriptors become visible to software with the
 * time the write reached memory. */
static void q_writeback(nic_q *q, uint64_t t)
{
    if (!q->wb_count)
        return;
    nic *n = q->nic;
    nic_fn *f = q->fn;
    uint64_t start = t > q->wb_t_ps ? t : q->wb_t_ps;
    uint64_t acc;
    if (q->is_tx && n->cfg.tx_head_wb) {
        acc = pcie_dma_write_pasid(f->dma, start, q->ring->head_wb_addr, 4, q_pasid(q));
        acct(f, PCIE_DMA_WRITE, q->ring->head_wb_addr, 4);
    } else {
        /* In place, over the descriptors; or a completion each into the ring's completion
         * queue, which wraps with the ring. */
        uint64_t base = n->cfg.cqe_bytes ? q->ring->cq_addr : q->ring->base_addr;
        uint64_t eb = n->cfg.cqe_bytes ? n->cfg.cqe_bytes
                                       : q->is_tx ? n->cfg.tx_desc_bytes : n->cfg.rx_desc_bytes;
        uint32_t first = q->wb_first, cnt = q->wb_count;
        uint32_t part = cnt < q->n - first ? cnt : q->n - first;
        uint64_t a = base + (uint64_t)first * eb;
        acc = pcie_dma_write_pasid(f->dma, start, a, part * eb, q_pasid(q));
        acct(f, PCIE_DMA_WRITE, a, part * eb);
        if (cnt > part) {
            uint64_t b =
                pcie_dma_write_pasid(f->dma, start, base, (cnt - part) * eb, q_pasid(q));
            acct(f, PCIE_DMA_WRITE, base, (cnt - part) * eb);
            if (b > acc)
                acc = b;
        }
    }
    if (acc < q->wb_vis_ps)
        acc = q->wb_vis_ps;
    if (acc < q->last_wb_ps)
        acc = q->last_wb_ps;
    q->last_wb_ps = acc;
    for (uint32_t i = 0; i < q->wb_count; i++)
        q->ring->desc[(q->wb_first + i) % q->n].wb_ps = acc;
    if (q->ring->on_wb)
        q->ring->on_wb(q->ring->on_wb_ctx, acc);
    if (q->is_tx)
        f->ctr->tx_wb_writes++;
    else
        f->ctr->rx_wb_writes++;
    q->wb_count = 0;
    q->wb_t_ps = q->wb_vis_ps = 0;
}

/* Descriptor idx is done: the NIC may write it back from t_done on, and its data is in
 * memory (receive) or read (transmit) at t_data. */
static void q_complete(nic_q *q, uint32_t idx, uint64_t t_done, uint64_t t_data, uint8_t status)
{
    q->ring->desc[idx].status = status;
    if (q->wb_count == 0)
        q->wb_first = idx;
    q->wb_count++;
    if (t_done > q->wb_t_ps)
        q->wb_t_ps = t_done;
    if (t_data > q->wb_vis_ps)
        q->wb_vis_ps = t_data;
    uint32_t thr = q->is_tx ? q->nic->cfg.tx_wb : q->nic->cfg.rx_wb;
    if (q->wb_count >= thr)
        q_writeback(q, q->wb_t_ps);
    nic_ring *r = q->ring;
    if (r->used++ == r->used_event || !r->event_idx)
        nic_vec_complete(&q->fn->vec[q->vec], t_data, q->is_tx);
}

/* ---------------------------------------------------------------- rate limiter */

void nic_fn_tokens_reset(nic_fn *f, uint64_t t_ps)
{
    const nic_cfg *c = &f->nic->cfg;
    f->bits_per_ps = f->rate_gbps / 1000.0;
    f->depth_bits = (double)c->rate_burst_bytes * 8.0;
    f->tokens_bits = f->depth_bits;
    f->tokens_ps = t_ps;
}

static void tokens_update(nic_fn *f, uint64_t now)
{
    if (now <= f->tokens_ps)
        return;
    f->tokens_bits += (double)(now - f->tokens_ps) * f->bits_per_ps;
    if (f->tokens_bits > f->depth_bits)
        f->tokens_bits = f->depth_bits;
    f->tokens_ps = now;
}

/* ---------------------------------------------------------------- transmit arbiter */

/* Deficit round robin over the queues with descriptors on chip, one quantum each per
 * turn, so every queue gets an equal share of the wire; a rate-limited VF whose token
 * bucket is empty sits out until it refills. The result is max-min fair: a VF gets
 * the lesser of its limit and its share, and what limited VFs leave goes to the rest. */

static void engine_add(nic *n, nic_q *q)
{
    if (q->active || q->fn->token_wait)
        return;
    q->active = true;
    n->n_active++;
    if (!n->act_cur) {
        q->act_next = q->act_prev = q;
        n->act_cur = q;
        return;
    }
    /* Join at the end of the round: just before the current queue. */
    nic_q *c = n->act_cur;
    q->act_next = c;
    q->act_prev = c->act_prev;
    c->act_prev->act_next = q;
    c->act_prev = q;
}

static void engine_del(nic *n, nic_q *q)
{
    if (!q->active)
        return;
    q->active = false;
    q->turn = false;
    q->deficit = 0;
    n->n_active--;
    if (q->act_next == q) {
        n->act_cur = NULL;
    } else {
        q->act_prev->act_next = q->act_next;
        q->act_next->act_prev = q->act_prev;
        if (n->act_cur == q)
            n->act_cur = q->act_next;
    }
    q->act_next = q->act_prev = NULL;
}

void nic_engine_remove_fn(nic *n, nic_fn *f)
{
    for (unsigned q = 0; q < f->nq; q++)
        engine_del(n, &f->txq[q]);
    f->token_wait = false;
}

void nic_engine_tokens_back(nic *n, nic_fn *f, uint64_t now)
{
    f->token_wait = false;
    for (unsigned q = 0; q < f->nq; q++)
        if (f->txq[q].ready)
            engine_add(n, &f->txq[q]);
    nic_engine_run(n, now);
}

static void engine_wake_at(nic *n, uint64_t t)
{
    if (n->engine_wake_ps <= t)
        return;
    n->engine_wake_ps = t;
    nic_sched(n, t, NIC_ACT_ENGINE, NULL, ++n->engine_gen);
}

/* A copy of the frame crosses the VEB to the receive side of this port at t: the
 * switch's internal path is a pipe at the line rate (assumed). */
static uint64_t veb_turnaround(nic *n, nic_fn *f, const nic_pkt *p, uint64_t t, uint64_t wire_ps)
{
    uint64_t start = t > n->veb_busy_ps ? t : n->veb_busy_ps;
    n->veb_busy_ps = start + wire_ps;
    nic_frame *fr = nic_frame_alloc(n);
    fr->pkt = *p;
    fr->src_fn = (int)f->idx;
    nic_sched(n, n->veb_busy_ps + n->cfg.veb_latency_ps, NIC_ACT_FRAME, fr, 0);
    if (n->tap)
        n->tap(n->tap_ctx, NIC_TAP_VEB, p, n->veb_busy_ps + n->cfg.veb_latency_ps);
    return n->veb_busy_ps;
}

/* The frame leaves: on the wire, or turned around in the VEB to a pool of this port
 * (no wire, but it crosses PCIe again on the receive side); a group-addressed frame
 * does both. Returns when it has left the transmit buffer. */
static uint64_t transmit(nic *n, nic_fn *f, const nic_pkt *p, uint64_t t_data)
{
    uint64_t wire_ps = nic_frame_wire_ps(n, p->len_bytes);
    bool group = nic_mac_is_group(p->dst_mac);
    if (!group) {
        int pool = nic_veb_lookup(n->veb, p->dst_mac, p->vlan);
        /* A bridge never sends a frame back out of the port it came in on. */
        if (pool >= 0 && pool != (int)f->idx)
            return veb_turnaround(n, f, p, t_data, wire_ps);
    }
    uint64_t start = t_data > n->wire_busy_ps ? t_data : n->wire_busy_ps;
    n->wire_busy_ps = start + wire_ps;
    if (n->tap)
        n->tap(n->tap_ctx, NIC_TAP_OUT, p, n->wire_busy_ps);
    if (n->tl)
        sim_timeline_slice(n->tl, n->tl_wire[0], "frame out", start, wire_ps, p->trace_id);
    if (n->bd && p->trace_id)
        sim_breakdown_add(n->bd, p->trace_id, n->bd_wire, start,
                          n->wire_busy_ps + n->cfg.wire_latency_ps);
    if (n->sink)
        n->sink(n->sink_ctx, p, n->wire_busy_ps + n->cfg.wire_latency_ps);
    uint64_t left = n->wire_busy_ps;
    if (group) {
        uint64_t l = veb_turnaround(n, f, p, t_data, wire_ps);
        if (l > left)
            left = l;
    }
    return left;
}

/* net.breakdown: a numbered packet's DMA begins: the NIC's own part up to `start` (its
 * latency, a descriptor still on its way), then the link, root complex, IOMMU and
 * memory report theirs for the current packet until nic_bd_dma_end. */
static void nic_bd_dma_begin(nic *n, uint32_t id, uint64_t now, uint64_t start)
{
    if (!n->bd || !id)
        return;
    sim_breakdown_add(n->bd, id, n->bd_nic, now, start);
    sim_breakdown_set_current(n->bd, id);
}

static void nic_bd_dma_end(nic *n)
{
    if (n->bd)
        sim_breakdown_set_current(n->bd, 0);
}

/* Process the next descriptor of q at now. */
static void tx_one(nic *n, nic_q *q, uint64_t now)
{
    nic_fn *f = q->fn;
    uint32_t idx = q->proc;
    nic_desc *d = &q->ring->desc[idx];
    q->proc = (q->proc + 1) % q->n;
    q->cached--;
    q->ready--;
    if (d->pkt.len_bytes > n->cfg.max_frame_bytes) {
        /* No frame is that long: the MAC refuses it without fetching the data. */
        f->ctr->bad_desc++;
        q_complete(q, idx, now, now, NIC_DESC_ERR_LEN);
        q_try_fetch(q, now);
        return;
    }
    uint32_t len = nic_pkt_host_bytes(d->pkt.len_bytes);
    bool ur = false;
    nic_bd_dma_begin(n, d->pkt.trace_id, now, now + n->cfg.dma_latency_ps);
    uint64_t t_data = pcie_dma_read_pasid(f->dma, now + n->cfg.dma_latency_ps, d->buf_addr,
                                          len, q_pasid(q), &ur);
    nic_bd_dma_end(n);
    acct(f, PCIE_DMA_READ, d->buf_addr, len);
    if (n->tl || n->bd)
        nic_observe_queue(q, "data read", now, t_data, d->pkt.trace_id);
    buf_push(&n->txrd, t_data, len, true, -1);
    uint8_t status = NIC_DESC_OK;
    if (ur) {
        status = NIC_DESC_ERR_DMA;
        f->ctr->dma_errors++;
    } else if (f->idx != NIC_PF && f->spoofchk && d->pkt.src_mac != f->mac) {
        status = NIC_DESC_ERR_SPOOF;
        f->ctr->spoof_drops++;
    } else if (f->link == NIC_LINK_DISABLE) {
        status = NIC_DESC_ERR_LINK;
        f->ctr->link_drops++;
    } else {
        nic_pkt p = d->pkt;
        if (f->vlan)
            p.vlan = f->vlan; /* port VLAN inserted by the NIC */
        uint64_t left = transmit(n, f, &p, t_data);
        buf_push(&n->txbuf, left, len, true, (int)f->idx);
        if (f->rate_gbps > 0)
            f->tokens_bits -= (double)len * 8.0;
    }
    if (status != NIC_DESC_OK)
        buf_push(&n->txbuf, t_data, len, true, -1);
    q_complete(q, idx, t_data, t_data, status);
    q_try_fetch(q, now);
}

void nic_engine_run(nic *n, uint64_t now)
{
    buf_release(&n->txbuf, now);
    buf_release(&n->txrd, now);
    while (n->act_cur) {
        nic_q *q = n->act_cur;
        nic_fn *f = q->fn;
        if (!q->ring || q->ready == 0) {
            engine_del(n, q);
            continue;
        }
        if (f->rate_gbps > 0) {
            tokens_update(f, now);
            if (f->tokens_bits < 0) {
                /* Out of tokens: the VF's queues sit out until the bucket refills. */
                uint64_t wait = (uint64_t)ceil(-f->tokens_bits / f->bits_per_ps);
                nic_engine_remove_fn(n, f);
                f->token_wait = true;
                nic_sched(n, now + (wait ? wait : 1), NIC_ACT_ENGINE, f, f->gen);
                continue;
            }
        }
        uint32_t len = q->ring->desc[q->proc].pkt.len_bytes;
        if (!q->turn) {
            q->turn = true;
            q->deficit += (int64_t)n->cfg.quantum_bytes;
        }
        if (q->deficit < (int64_t)len) {
            q->turn = false;
            n->act_cur = q->act_next;
            continue;
        }
        if (n->txbuf.used && n->txbuf.used + len > n->txbuf.cap) {
            /* Resume when a quarter of the buffer is free again, so one wake-up
             * refills a batch of frames. */
            uint64_t need = n->txbuf.cap / 4 > len ? n->txbuf.cap / 4 : len;
            uint64_t at = buf_free_at(&n->txbuf, need);
            engine_wake_at(n, at > now ? at : now + 1);
            return;
        }
        if (n->txrd.used && n->txrd.used + len > n->txrd.cap) {
            /* The DMA engine has its window of reads outstanding: resume when half
             * of it has arrived. */
            uint64_t need = n->txrd.cap / 2 > len ? n->txrd.cap / 2 : len;
            uint64_t at = buf_free_at(&n->txrd, need);
            engine_wake_at(n, at > now ? at : now + 1);
            return;
        }
        q->deficit -= len;
        tx_one(n, q, now);
        if (q->failed) {
            q_stop_if_failed(q);
            continue;
        }
        if (q->ready == 0)
            engine_del(n, q);
    }
}

/* ---------------------------------------------------------------- queue wake-ups */

void nic_q_wake(nic_q *q, uint64_t now)
{
    if (!q->ring)
        return;
    q_update(q, now);
    q_try_fetch(q, now);
    if (q->failed) {
        q_stop_if_failed(q);
        return;
    }
    if (q->is_tx) {
        if (q->fq_len)
            q_wake_at(q, q->fq[q->fq_head].ready_ps);
        if (q->ready) {
            engine_add(q->nic, q);
            nic_engine_run(q->nic, now);
        }
    }
}

/* ---------------------------------------------------------------- receive */

nic_frame *nic_frame_alloc(nic *n)
{
    nic_frame *f = n->free_frames;
    if (f) {
        n->free_frames = f->next_free;
        return f;
    }
    f = sim_xmalloc(sizeof *f);
    return f;
}

void nic_frame_free(nic *n, nic_frame *fr)
{
    fr->next_free = n->free_frames;
    n->free_frames = fr;
}

/* ---------------------------------------------------------------- receive DMA */

/* The receive DMA engine takes frames from the packet buffer in arrival order. It
 * keeps at most nic.rx_dma_window_bytes of frame data in flight (written, not yet
 * accepted by memory); when the upstream direction is congested the window fills and
 * frames wait in the buffer (and overflow it), as they do when a root port withholds
 * posted credits. A frame takes its queue's next descriptor when its DMA starts; with
 * none posted it is dropped then (the 82599's SRRCTL.DROP_EN, which SR-IOV drivers
 * set so one VF's empty ring cannot block the others). */
static void rx_dma(nic *n, const nic_rxent *x, uint64_t now)
{
    uint32_t len = nic_pkt_host_bytes(x->pkt.len_bytes);
    nic_fn *f = nic_fn_get(n, x->fn);
    if (!f || f->gen != x->fn_gen) {
        buf_push(&n->rxbuf, now, len, false, -1);
        return;
    }
    /* A unicast frame to a PF VMDq pool's address goes to that pool's queues, any other
     * to the function's (the PF's default pool's), by RSS. */
    int vq = f->idx == NIC_PF && !nic_mac_is_group(x->pkt.dst_mac)
                 ? nic_vmdq_queue(n->vmdq, x->pkt.dst_mac, x->pkt.flow)
                 : -1;
    if (vq < 0 ? !f->rx_active : !f->rxq[vq].ring) {
        f->ctr->rx_no_desc_drops++;
        buf_push(&n->rxbuf, now, len, false, -1);
        return;
    }
    nic_q *q = &f->rxq[vq >= 0 ? (unsigned)vq : f->rx_map[x->pkt.flow % f->rx_active]];
    q_update(q, now);
    q_try_fetch(q, now);
    if (q->failed) {
        q_stop_if_failed(q);
        q->cached = 0;
    }
    if (q->cached == 0) {
        f->ctr->rx_no_desc_drops++;
        buf_push(&n->rxbuf, now, len, false, -1);
        return;
    }
    /* The next descriptor: on chip already, or arriving with its fetch. */
    uint64_t t_desc = now;
    if (q->ready) {
        q->ready--;
    } else {
        nic_fetch *fe = &q->fq[q->fq_head];
        t_desc = fe->ready_ps;
        if (--fe->count == 0) {
            q->fq_head = (q->fq_head + 1) % q->fq_cap;
            q->fq_len--;
        }
    }
    uint32_t idx = q->proc;
    q->proc = (q->proc + 1) % q->n;
    q->cached--;
    nic_desc *d = &q->ring->desc[idx];
    uint64_t start = (t_desc > now ? t_desc : now) + n->cfg.dma_latency_ps;
    nic_bd_dma_begin(n, x->pkt.trace_id, now, start);
    uint64_t t_w = pcie_dma_write_pasid(f->dma, start, d->buf_addr, len, q_pasid(q));
    nic_bd_dma_end(n);
    acct(f, PCIE_DMA_WRITE, d->buf_addr, len);
    if (n->tl || n->bd)
        nic_observe_queue(q, "data write", now, t_w, x->pkt.trace_id);
    buf_push(&n->rxbuf, t_w, len, false, -1);
    d->pkt = x->pkt;
    if (f->vlan)
        d->pkt.vlan = 0; /* port VLAN stripped */
    f->ctr->rx_frames++;
    f->ctr->rx_bytes += len;
    q_complete(q, idx, start, t_w, NIC_DESC_OK);
    q_try_fetch(q, now);
}

static void rxe_wake_at(nic *n, uint64_t t)
{
    if (n->rxe_wake_ps <= t)
        return;
    n->rxe_wake_ps = t;
    nic_sched(n, t, NIC_ACT_RXDMA, NULL, ++n->rxe_gen);
}

void nic_rx_engine_run(nic *n, uint64_t now)
{
    buf_release(&n->rxbuf, now);
    while (n->rxq_len) {
        if (n->rxbuf.sched >= n->cfg.rx_window_bytes) {
            /* Resume when half the window has reached memory. */
            uint64_t at = buf_sched_below(&n->rxbuf, n->cfg.rx_window_bytes / 2);
            rxe_wake_at(n, at > now ? at : now + 1);
            return;
        }
        nic_rxent x = n->rxfifo[n->rxq_head];
        n->rxq_head = (n->rxq_head + 1) % n->rxq_cap;
        n->rxq_len--;
        rx_dma(n, &x, now);
    }
}

/* A copy of the frame for pool fn enters the packet buffer at t, or is dropped. */
static void rx_accept(nic *n, unsigned fn, const nic_pkt *p, uint64_t t)
{
    nic_fn *f = nic_fn_get(n, fn);
    if (!f)
        return;
    if (f->link == NIC_LINK_DISABLE) {
        f->ctr->link_drops++;
        return;
    }
    uint32_t len = nic_pkt_host_bytes(p->len_bytes);
    buf_release(&n->rxbuf, t);
    if (n->rxbuf.used + len > n->rxbuf.cap) {
        f->ctr->rx_overflow_drops++;
        return;
    }
    n->rxbuf.used += len;
    if (n->rxq_len == n->rxq_cap) {
        uint32_t cap = n->rxq_cap ? 2 * n->rxq_cap : 256;
        nic_rxent *e = sim_xmalloc(cap * sizeof *e);
        for (uint32_t i = 0; i < n->rxq_len; i++)
            e[i] = n->rxfifo[(n->rxq_head + i) % n->rxq_cap];
        free(n->rxfifo);
        n->rxfifo = e;
        n->rxq_cap = cap;
        n->rxq_head = 0;
    }
    n->rxfifo[(n->rxq_head + n->rxq_len) % n->rxq_cap] = (nic_rxent){*p, fn, f->gen};
    n->rxq_len++;
}

/* A frame reaches the receive pipeline: classified by the VEB, a group-addressed one
 * copied to every pool of its VLAN but the one that sent it. */
void nic_frame_arrive(nic *n, nic_frame *fr, uint64_t now)
{
    const nic_pkt *p = &fr->pkt;
    if (nic_mac_is_group(p->dst_mac)) {
        unsigned pools[257];
        unsigned k = nic_veb_flood(n->veb, p->vlan, pools, 257);
        for (unsigned i = 0; i < k && i < 257; i++)
            if ((int)pools[i] != fr->src_fn)
                rx_accept(n, pools[i], p, now);
    } else {
        int pool = nic_veb_lookup(n->veb, p->dst_mac, p->vlan);
        if (pool < 0 || pool == fr->src_fn)
            pool = NIC_PF; /* unknown unicast goes to the default pool */
        rx_accept(n, (unsigned)pool, p, now);
    }
    nic_frame_free(n, fr);
    nic_rx_engine_run(n, now);
}
