#include "models/pcie/rc.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/alloc.h"
#include "sim/kernel.h"

/* The write buffer counts cachelines. */
#define RC_LINE_BYTES 64u
/* Without a write buffer (rc.write_buffer_lines = 0) the ring keeps the writes an MSI
 * may still wait for: it starts with this many slots and doubles when a write finds it
 * full (the writes booked ahead of the clock bound it). */
#define RC_UNBOUNDED_HISTORY 64u

struct pcie_rc {
    pcie_link *link;
    mem *mem;
    mem_phys *pm; /* contents, for requests that carry bytes; NULL: timing only */
    uint64_t latency_ps;
    pcie_translate_fn translate;
    void *translate_ctx;
    pcie_msi_fn msi;
    void *msi_ctx;
    pcie_rc_observe_fn observe;
    void *observe_ctx;
    sim_kernel *clock; /* the simulation's: when a write can no longer hold an MSI */
    /* The write buffer (rc.write_buffer_lines; 0: unbounded): its lines and the lines
     * free now, and the writes in it in the order the DMA engines issued them (their
     * arrival order but for a write booked ahead of others), a ring of wbuf_slots (a
     * write holds at least a line, so wbuf_lines of them; when unbounded, as many as
     * are in flight, from RC_UNBOUNDED_HISTORY), each with when it arrived, when it
     * leaves, the latest arrival of the writes issued before it, the latest leave of the
     * writes issued up to it, and its lines (none when unbounded). A write leaves after
     * those that arrived before it (wbuf_left_before) when the buffer is bounded, on its
     * own time when not; room comes back in the ring's order. Of the writes gone from
     * the ring, the latest arrival and the latest leave time. An MSI, itself a posted
     * write, leaves after every write that arrived before it, in either mode: it must
     * not overtake the data it announces (Base Spec 2.4.1 ordering). */
    uint32_t wbuf_lines, wbuf_free, wbuf_slots;
    struct rc_wbuf_write {
        uint64_t arrive_ps, leave_ps, before_arrive_ps, upto_leave_ps;
        uint32_t lines;
    } *wbuf;
    uint32_t wbuf_head, wbuf_len;
    uint64_t wbuf_issued_arrive_ps, wbuf_issued_leave_ps, wbuf_gone_arrive_ps,
        wbuf_gone_leave_ps;
    sim_breakdown *bd; /* net.breakdown, NULL when off */
    unsigned bd_pcie, bd_iommu, bd_mem;
    /* stats */
    uint64_t reads, writes, read_bytes, write_bytes, completions, ur, msis, mmio_writes,
        mmio_reads, wbuf_waits, wbuf_wait_ps;
};

/* The rc.* parameters. */
typedef struct rc_cfg {
    uint64_t latency_ps;
    uint64_t write_buffer_lines;
} rc_cfg;

static const sim_param_def rc_params[] = {
    {"rc.latency_ns", SIM_PARAM_DOUBLE, "75", "0..1e6", "ns",
     "Root complex pipeline latency of one traversal (a request in, or a completion out)",
     SIM_AT(rc_cfg, latency_ps)},
    {"rc.write_buffer_lines", SIM_PARAM_UINT, "0", "0..1048576", "lines",
     "Root complex (IIO) write buffer in 64-byte lines: a device's write holds its lines from "
     "arrival until memory accepts it, writes leave in order, and a write finding no room "
     "waits (its posted credits are withheld). 0: unbounded, writes not held for one another",
     SIM_AT(rc_cfg, write_buffer_lines)},
};

/* Lines a write of len bytes at addr touches: at least one (an empty write still takes
 * an entry). */
static uint32_t lines_of(uint64_t addr, uint32_t len)
{
    uint32_t n =
        (uint32_t)(((addr + len + RC_LINE_BYTES - 1) / RC_LINE_BYTES) - addr / RC_LINE_BYTES);
    return n ? n : 1;
}

int pcie_rc_check(const sim_params *p, sim_err *e)
{
    rc_cfg c;
    sim_params_load_table(p, rc_params, SIM_TABLE_LEN(rc_params), &c);
    uint64_t mps = sim_params_uint(p, "pcie.mps_bytes");
    /* The largest write: MPS bytes not aligned to a line. */
    uint64_t need = mps / RC_LINE_BYTES + 1;
    if (c.write_buffer_lines && c.write_buffer_lines < need)
        return sim_err_set(e, "rc.write_buffer_lines = %llu cannot hold one %llu-byte write "
                              "(pcie.mps_bytes), which may touch %llu lines: the link would deadlock",
                           (unsigned long long)c.write_buffer_lines, (unsigned long long)mps,
                           (unsigned long long)need);
    return 0;
}

void pcie_rc_register_params(sim_params *p)
{
    sim_params_add_table(p, rc_params, SIM_TABLE_LEN(rc_params));
}

pcie_rc *pcie_rc_create(const sim_params *p, sim_stats *stats, sim_kernel *k, pcie_link *link,
                        mem *m)
{
    rc_cfg c;
    sim_params_load_table(p, rc_params, SIM_TABLE_LEN(rc_params), &c);
    pcie_rc *rc = sim_xcalloc(1, sizeof *rc);
    rc->clock = k;
    rc->link = link;
    rc->mem = m;
    rc->latency_ps = c.latency_ps;
    rc->wbuf_lines = rc->wbuf_free = (uint32_t)c.write_buffer_lines;
    rc->wbuf_slots = rc->wbuf_lines ? rc->wbuf_lines : RC_UNBOUNDED_HISTORY;
    rc->wbuf = sim_xcalloc(rc->wbuf_slots, sizeof *rc->wbuf);
    sim_stats_counter(stats, "rc.reads", &rc->reads, "memory read requests from devices");
    sim_stats_counter(stats, "rc.writes", &rc->writes, "memory writes from devices (MSI excluded)");
    sim_stats_counter(stats, "rc.read_bytes", &rc->read_bytes, "bytes read by devices");
    sim_stats_counter(stats, "rc.write_bytes", &rc->write_bytes, "bytes written by devices");
    sim_stats_counter(stats, "rc.completions", &rc->completions, "completion TLPs sent to devices");
    sim_stats_counter(stats, "rc.unsupported_requests", &rc->ur,
                      "device requests blocked by translation (UR)");
    sim_stats_counter(stats, "rc.msis", &rc->msis, "MSI/MSI-X writes received");
    sim_stats_counter(stats, "rc.mmio_writes", &rc->mmio_writes, "CPU MMIO writes to devices");
    sim_stats_counter(stats, "rc.mmio_reads", &rc->mmio_reads, "CPU MMIO reads from devices");
    sim_stats_counter(stats, "rc.write_buffer_waits", &rc->wbuf_waits,
                      "device writes that found the write buffer full (rc.write_buffer_lines)");
    sim_stats_counter(stats, "rc.write_buffer_wait_ps", &rc->wbuf_wait_ps,
                      "time device writes waited for room in the write buffer (ps)");
    return rc;
}

void pcie_rc_destroy(pcie_rc *rc)
{
    free(rc->wbuf);
    free(rc);
}

uint64_t pcie_rc_latency_ps(const pcie_rc *rc) { return rc->latency_ps; }

void pcie_rc_set_translate(pcie_rc *rc, pcie_translate_fn fn, void *ctx)
{
    rc->translate = fn;
    rc->translate_ctx = ctx;
}

void pcie_rc_set_physmem(pcie_rc *rc, mem_phys *pm) { rc->pm = pm; }

void pcie_rc_set_msi(pcie_rc *rc, pcie_msi_fn fn, void *ctx)
{
    rc->msi = fn;
    rc->msi_ctx = ctx;
}

void pcie_rc_set_observer(pcie_rc *rc, pcie_rc_observe_fn fn, void *ctx)
{
    rc->observe = fn;
    rc->observe_ctx = ctx;
}

void pcie_rc_set_breakdown(pcie_rc *rc, sim_breakdown *bd, unsigned cat_pcie,
                           unsigned cat_iommu, unsigned cat_mem)
{
    rc->bd = bd;
    rc->bd_pcie = cat_pcie;
    rc->bd_iommu = cat_iommu;
    rc->bd_mem = cat_mem;
}

static inline int translate_plain(pcie_rc *rc, uint16_t rid, uint32_t pasid, uint64_t addr,
                                  uint32_t len, bool write, uint64_t *t, uint64_t *hpa)
{
    if (!rc->translate) {
        *hpa = addr;
        return 0;
    }
    return rc->translate(rc->translate_ctx, rid, pasid, addr, len, write, t, hpa);
}

/* With net.breakdown: the root complex's own latency (PCIe's part) and the translation
 * (the IOMMU's) join the current packet's breakdown. */
static int translate_observed(pcie_rc *rc, uint16_t rid, uint32_t pasid, uint64_t addr,
                              uint32_t len, bool write, uint64_t *t, uint64_t *hpa)
{
    uint64_t at = *t;
    sim_breakdown_add_current(rc->bd, rc->bd_pcie, at - rc->latency_ps, at);
    int r = translate_plain(rc, rid, pasid, addr, len, write, t, hpa);
    sim_breakdown_add_current(rc->bd, rc->bd_iommu, at, *t);
    return r;
}

/* A request reaches the root complex at *t (its latency already added): translated. */
static inline int translate(pcie_rc *rc, uint16_t rid, uint32_t pasid, uint64_t addr,
                            uint32_t len, bool write, uint64_t *t, uint64_t *hpa)
{
    if (rc->bd)
        return translate_observed(rc, rid, pasid, addr, len, write, t, hpa);
    return translate_plain(rc, rid, pasid, addr, len, write, t, hpa);
}

static inline uint64_t rc_read(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint32_t pasid,
                               uint64_t addr, uint32_t len, void *buf, bool *ur)
{
    uint64_t t = t_ps + rc->latency_ps;
    uint64_t hpa;
    if (rc->observe)
        rc->observe(rc->observe_ctx, PCIE_RC_READ, t_ps, rid, addr, len, 0);
    rc->reads++;
    *ur = translate(rc, rid, pasid, addr, len, false, &t, &hpa) < 0;
    if (*ur) {
        rc->ur++;
        rc->completions++;
        return pcie_link_send(rc->link, PCIE_DOWN, t + rc->latency_ps, PCIE_TLP_CPL, addr, 0);
    }
    rc->read_bytes += len;
    if (buf && rc->pm)
        mem_phys_read(rc->pm, hpa, buf, len);
    /* Each completion leaves once its own data is ready, so memory and the link
     * overlap across the completions of one request. The translation covers the whole
     * request (it cannot cross a 4 KiB page), so host addresses stay contiguous. */
    const pcie_link_cfg *cfg = pcie_link_config(rc->link);
    pcie_split s;
    pcie_split_cpl_init(&s, addr, len, cfg->rcb_bytes, cfg->mps_bytes);
    pcie_chunk c;
    uint64_t last = t, prev_start = 0;
    while (pcie_split_next(&s, &c)) {
        uint64_t ready = mem_read(rc->mem, t, hpa + (c.addr - addr), c.len_bytes) + rc->latency_ps;
        if (rc->bd) {
            sim_breakdown_add_current(rc->bd, rc->bd_mem, t, ready - rc->latency_ps);
            sim_breakdown_add_current(rc->bd, rc->bd_pcie, ready - rc->latency_ps, ready);
        }
        /* The completions of one request go in address order (Base Spec 2.3.1.1). */
        if (ready < prev_start)
            ready = prev_start;
        last = pcie_link_send_ex(rc->link, PCIE_DOWN, ready, PCIE_TLP_CPLD, c.addr, c.len_bytes,
                                 &prev_start);
        rc->completions++;
    }
    return last;
}

uint64_t pcie_rc_read(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint64_t addr, uint32_t len,
                      bool *ur)
{
    return rc_read(rc, t_ps, rid, PCIE_NO_PASID, addr, len, NULL, ur);
}

uint64_t pcie_rc_read_into(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint64_t addr,
                           uint32_t len, void *buf, bool *ur)
{
    return rc_read(rc, t_ps, rid, PCIE_NO_PASID, addr, len, buf, ur);
}

uint64_t pcie_rc_read_pasid(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint32_t pasid,
                            uint64_t addr, uint32_t len, void *buf, bool *ur)
{
    return rc_read(rc, t_ps, rid, pasid, addr, len, buf, ur);
}

/* The ring slot after the newest write. */
static uint32_t wbuf_tail(const pcie_rc *rc)
{
    uint32_t i = rc->wbuf_head + rc->wbuf_len;
    return i >= rc->wbuf_slots ? i - rc->wbuf_slots : i;
}

/* The oldest write leaves the buffer: its leave time. */
static uint64_t wbuf_pop(pcie_rc *rc)
{
    const struct rc_wbuf_write *w = &rc->wbuf[rc->wbuf_head];
    rc->wbuf_free += w->lines;
    if (w->arrive_ps > rc->wbuf_gone_arrive_ps)
        rc->wbuf_gone_arrive_ps = w->arrive_ps;
    if (w->leave_ps > rc->wbuf_gone_leave_ps)
        rc->wbuf_gone_leave_ps = w->leave_ps;
    rc->wbuf_head = rc->wbuf_head + 1 == rc->wbuf_slots ? 0 : rc->wbuf_head + 1;
    rc->wbuf_len--;
    return w->leave_ps;
}

/* A write of `lines` reached the root port at t_ps: when it is in the write buffer (t_ps,
 * or when the writes ahead of it have left enough room). Those gone by t_ps give their
 * room back first, then the oldest leave until the write fits. */
static uint64_t wbuf_enter(pcie_rc *rc, uint64_t t_ps, uint32_t lines)
{
    while (rc->wbuf_len && rc->wbuf[rc->wbuf_head].leave_ps <= t_ps)
        wbuf_pop(rc);
    uint64_t in = t_ps;
    while (rc->wbuf_free < lines) {
        /* pcie_rc_check: one write always fits an empty buffer, so one is in it. */
        assert(rc->wbuf_len);
        uint64_t left = wbuf_pop(rc);
        if (left > in)
            in = left;
    }
    rc->wbuf_free -= lines;
    if (in > t_ps) {
        rc->wbuf_waits++;
        rc->wbuf_wait_ps += in - t_ps;
    }
    return in;
}

/* When every write that reached the port by arrive_ps has left (0: none). The model's
 * DMA engines book a transfer's TLPs when they issue it, so the root complex sees writes
 * in the order they were issued, not always in the order they arrive: a completion
 * booked for after a read that waits for its walk comes before writes that arrive ahead
 * of it, and does not hold them back. The ring is searched from its newest write; it
 * ends at a write that arrived by arrive_ps and that no earlier write arrived after (in
 * issue order, the first one it looks at), whose writes up to it all count. Of the
 * writes gone from the ring only the latest leave counts, and only if none of them
 * arrived after arrive_ps. */
static uint64_t wbuf_left_before(const pcie_rc *rc, uint64_t arrive_ps)
{
    uint64_t left = 0;
    uint32_t i = wbuf_tail(rc);
    for (uint32_t k = rc->wbuf_len; k; k--) {
        i = i == 0 ? rc->wbuf_slots - 1 : i - 1;
        const struct rc_wbuf_write *w = &rc->wbuf[i];
        if (w->arrive_ps > arrive_ps)
            continue;
        if (w->before_arrive_ps <= w->arrive_ps)
            return w->upto_leave_ps > left ? w->upto_leave_ps : left;
        if (w->leave_ps > left)
            left = w->leave_ps;
    }
    if (rc->wbuf_gone_arrive_ps <= arrive_ps && rc->wbuf_gone_leave_ps > left)
        left = rc->wbuf_gone_leave_ps;
    return left;
}

/* The newest write in issue order: it reached the port at arrive_ps and leaves at
 * leave_ps. */
static void wbuf_append(pcie_rc *rc, uint64_t arrive_ps, uint64_t leave_ps, uint32_t lines)
{
    if (leave_ps > rc->wbuf_issued_leave_ps)
        rc->wbuf_issued_leave_ps = leave_ps;
    rc->wbuf[wbuf_tail(rc)] = (struct rc_wbuf_write){
        arrive_ps, leave_ps, rc->wbuf_issued_arrive_ps, rc->wbuf_issued_leave_ps, lines};
    rc->wbuf_len++;
    if (arrive_ps > rc->wbuf_issued_arrive_ps)
        rc->wbuf_issued_arrive_ps = arrive_ps;
}

/* A write that reached the port at arrive_ps and that memory accepts at leave_ps enters
 * the bounded buffer; it leaves after every write that arrived before it (in order).
 * Returns its leave time. */
static uint64_t wbuf_push(pcie_rc *rc, uint64_t arrive_ps, uint64_t leave_ps, uint32_t lines)
{
    assert(rc->wbuf_len < rc->wbuf_slots);
    uint64_t before = wbuf_left_before(rc, arrive_ps);
    if (before > leave_ps)
        leave_ps = before;
    wbuf_append(rc, arrive_ps, leave_ps, lines);
    return leave_ps;
}

/* Unbounded: a write that reached the port at arrive_ps reaches memory at leave_ps on
 * its own time; only the MSIs behind it wait for it. The writes in memory by now leave
 * the ring, oldest first (an MSI reaches the port no earlier than now, so none waits
 * for them), and a full ring doubles: one still in flight is not forgotten for want of
 * room. It takes no lines. */
static void wbuf_record(pcie_rc *rc, uint64_t arrive_ps, uint64_t leave_ps)
{
    uint64_t now = sim_now_ps(rc->clock);
    while (rc->wbuf_len && rc->wbuf[rc->wbuf_head].leave_ps <= now)
        wbuf_pop(rc);
    if (rc->wbuf_len == rc->wbuf_slots) {
        struct rc_wbuf_write *ring = sim_xcalloc(2 * (size_t)rc->wbuf_slots, sizeof *ring);
        for (uint32_t k = 0, i = rc->wbuf_head; k < rc->wbuf_len; k++) {
            ring[k] = rc->wbuf[i];
            i = i + 1 == rc->wbuf_slots ? 0 : i + 1;
        }
        free(rc->wbuf);
        rc->wbuf = ring;
        rc->wbuf_head = 0;
        rc->wbuf_slots *= 2;
    }
    wbuf_append(rc, arrive_ps, leave_ps, 0);
}

static inline uint64_t rc_write(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint32_t pasid,
                                uint64_t addr, uint32_t len, uint32_t msi_data,
                                const void *buf)
{
    uint64_t t = t_ps + rc->latency_ps;
    uint64_t hpa;
    if (addr >= PCIE_MSI_BASE && addr < PCIE_MSI_BASE + PCIE_MSI_SIZE) {
        /* Interrupt remapping plugs in through the MSI hook, not translation. */
        if (rc->observe)
            rc->observe(rc->observe_ctx, PCIE_RC_MSI, t_ps, rid, addr, len, msi_data);
        rc->msis++;
        uint64_t posted = wbuf_left_before(rc, t_ps);
        if (t < posted)
            t = posted;
        if (rc->msi)
            rc->msi(rc->msi_ctx, rid, addr, msi_data, t);
        return t;
    }
    if (rc->observe)
        rc->observe(rc->observe_ctx, PCIE_RC_WRITE, t_ps, rid, addr, len, 0);
    rc->writes++;
    uint32_t lines = 0;
    if (rc->wbuf_lines) {
        lines = lines_of(addr, len);
        uint64_t in = wbuf_enter(rc, t_ps, lines);
        if (rc->bd && in > t_ps)
            sim_breakdown_add_current(rc->bd, rc->bd_pcie, t_ps, in);
        t = in + rc->latency_ps;
    }
    if (translate(rc, rid, pasid, addr, len, true, &t, &hpa) < 0) {
        rc->ur++;
        if (lines)
            wbuf_push(rc, t_ps, t, lines); /* dropped, in its turn */
        return t;
    }
    rc->write_bytes += len;
    if (buf && rc->pm)
        mem_phys_write(rc->pm, hpa, buf, len);
    uint64_t done = mem_write(rc->mem, t, hpa, len);
    if (lines) {
        /* Posted writes are made visible in order (Base Spec 2.4.1: a posted request
         * passes no posted request without Relaxed Ordering, which the model does not
         * set), so a write translated early waits in the buffer for the ones ahead of
         * it: one IOTLB miss holds the lines of every write behind it. Translations
         * themselves overlap (the IOMMU's walkers). */
        done = wbuf_push(rc, t_ps, done, lines);
    } else {
        wbuf_record(rc, t_ps, done);
    }
    if (rc->bd)
        sim_breakdown_add_current(rc->bd, rc->bd_mem, t, done);
    return done;
}

uint64_t pcie_rc_write(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint64_t addr, uint32_t len,
                       uint32_t msi_data)
{
    return rc_write(rc, t_ps, rid, PCIE_NO_PASID, addr, len, msi_data, NULL);
}

uint64_t pcie_rc_write_from(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint64_t addr,
                            uint32_t len, const void *buf)
{
    return rc_write(rc, t_ps, rid, PCIE_NO_PASID, addr, len, 0, buf);
}

uint64_t pcie_rc_write_pasid(pcie_rc *rc, uint64_t t_ps, uint16_t rid, uint32_t pasid,
                             uint64_t addr, uint32_t len, const void *buf)
{
    return rc_write(rc, t_ps, rid, pasid, addr, len, 0, buf);
}

uint64_t pcie_rc_mmio_write(pcie_rc *rc, uint64_t t_ps, uint64_t addr, uint32_t len)
{
    rc->mmio_writes++;
    return pcie_link_send(rc->link, PCIE_DOWN, t_ps + rc->latency_ps, PCIE_TLP_MWR, addr, len);
}

uint64_t pcie_rc_mmio_read(pcie_rc *rc, uint64_t t_ps, uint64_t addr, uint32_t len,
                           uint64_t dev_latency_ps)
{
    rc->mmio_reads++;
    uint64_t at_dev = pcie_link_send(rc->link, PCIE_DOWN, t_ps + rc->latency_ps, PCIE_TLP_MRD, addr, len);
    uint64_t back = pcie_link_send(rc->link, PCIE_UP, at_dev + dev_latency_ps, PCIE_TLP_CPLD, addr, len);
    return back + rc->latency_ps;
}
