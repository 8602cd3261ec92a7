/* Trace replay (workload.kind = trace): a DMA trace (traces/trace.h) as a point's
 * traffic, against this run's PCIe, IOMMU and memory configuration. The system is the
 * DMA benchmark's (one root port: link, root complex, host memory, and the IOMMU unless
 * iommu.mode = off); records enter at the root complex, where they were recorded.
 *
 *   trace.timing = timed  each record takes effect at its time_ps + ahead_ps; the root
 *                         complex, IOMMU and memory add their delays. A trace recorded
 *                         by iovsim and replayed on the same configuration makes the
 *                         IOMMU the same calls at the same times, in the same order, so
 *                         its IOTLB hit and miss counts are those of the recorded run.
 *   trace.timing = fast   requests go back to back, at most trace.outstanding in flight
 *                         (a request issues when the earliest of those completes);
 *                         maps, unmaps and invalidations take effect at the current
 *                         issue time. Timestamps are ignored: for IOTLB and cache
 *                         miss-rate studies. The IOTLB sees the same look-ups in the same
 *                         order, so it walks for exactly the same pages.
 *
 * The IOMMU side. Requesters are attached when first seen: iommu.mode = strict or lazy
 * puts each in its recorded domain (domain 0, none recorded, becomes domain 1), pt in
 * pass-through; off has no IOMMU and map, unmap and invalidation records are ignored.
 * Map records are mapped with this run's iommu.page_bytes, rounded out to whole pages
 * (a page mapped twice is unmapped when its last mapping goes). Invalidations:
 * trace.invalidate = recorded executes the trace's invalidation records as they are;
 * policy ignores them and applies iommu.mode's own policy at each unmap (strict: a
 * page-selective invalidation and wait, with the hint as iommu.iotlb_inv_hint says, as
 * the host DMA API sends it; lazy: one domain invalidation per
 * iommu.lazy_batch unmaps or iommu.lazy_timeout_ms), which is how imported traces
 * without invalidations, or a sweep of the policy, are replayed. With trace.warm = warm
 * a mapped buffer's lines are put in the LLC when it is mapped (the CPU just wrote it);
 * auto does so unless the trace's header says it was recorded from the DMA benchmark
 * with dma.cache = cold, so a replay on the recording's configuration starts with the
 * cache it had.
 *
 * Reads and writes longer than MRRS or MPS, or crossing 4 KiB, are split as a DMA
 * engine would, the parts paced at the link's raw rate (do_dma). Costs: records are read a block at a time and
 * one kernel event handles up to a few thousand of them (everything else is
 * reservations), so a replay runs at millions of records per host second. The run ends
 * when the trace does (after the last request completes) or at run.duration_us.
 *
 * Metrics: trace_records, trace_dma_gbps, trace_latency_ns_p50 / _p99 (request at the
 * root complex to completion), and with the IOMMU trace_iotlb_nowalk_rate and the
 * IOMMU's own (iotlb_hit_rate, ...). */
#include "systems/kinds.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "models/iommu/iommu.h"
#include "models/mem/mem.h"
#include "models/mem/physmem.h"
#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "models/pcie/tlp.h"
#include "sim/alloc.h"
#include "sim/kernel.h"
#include "sim/tq.h"
#include "traces/trace.h"

/* Records one kernel event handles at most. Reservations let a batch run ahead of the
 * clock; the cap keeps the kernel's view (progress, time limits) moving. */
#define BATCH_RECORDS 4096u
/* Descriptors of one invalidation submission kept before they are submitted. */
#define MAX_CHAIN 16u
/* Domains with unmaps waiting for a lazy flush. */
#define MAX_LAZY_DOMAINS 64u

enum { RID_UNSEEN = 0, RID_READY = 1 };

/* Pages mapped by more than one map record (pages larger than the recording's): the
 * extra references, so an unmap clears a page only when its last mapping goes. */
typedef struct page_ref {
    uint64_t page;
    uint32_t refs;
    uint16_t did;
    uint16_t used;
} page_ref;

enum { TIMING_TIMED, TIMING_FAST };
enum { INVALIDATE_RECORDED, INVALIDATE_POLICY };
enum { WARM_AUTO, WARM_WARM, WARM_COLD };

typedef struct replay_cfg {
    const char *file;
    uint32_t timing; /* TIMING_* */
    uint32_t outstanding;
    uint32_t invalidate; /* INVALIDATE_* */
    uint32_t warm;       /* WARM_* */
} replay_cfg;

typedef struct replay {
    replay_cfg cfg;
    sim_kernel *kernel;
    platform *pf;
    const pcie_link_cfg *link_cfg; /* the platform link's: MPS and MRRS split each record */
    iommu_dma_cfg dma_api; /* the IOMMU driver's costs, for invalidations */
    bool warm;             /* trace.warm, auto settled by the trace's header */
    trace_reader *rd;
    const trace_rec *recs;
    size_t n, pos;
    sim_event *ev;
    bool finishing;
    uint64_t warmup_ps, end_ps, max_done_ps;
    uint64_t cut_ps; /* parts of a DMA done after this are not simulated (do_dma) */
    double ps_per_wire_byte; /* the link's raw rate, which paces a DMA's parts */
    /* fast: the issue clock and the in-flight requests' completion times */
    uint64_t clock_ps;
    sim_tq *inflight;
    uint8_t *rid_state; /* 65536 */
    page_ref *refs;
    size_t refs_cap, refs_n;
    /* an invalidation submission being gathered (chained records) */
    iommu_inv chain[MAX_CHAIN];
    size_t chain_n;
    /* lazy policy: unmaps since the last flush, per domain */
    uint16_t lazy_did[MAX_LAZY_DOMAINS];
    size_t lazy_n;
    uint64_t lazy_unmaps, lazy_oldest_ps;
    /* stats */
    uint64_t records, reads, writes, read_bytes, write_bytes, msis, maps, unmaps, invs, ignored,
        map_failures, read_errors, cut_dmas;
    sim_hist *latency;
} replay;

static const sim_param_def replay_params[] = {
    {"trace.file", SIM_PARAM_STRING, "", NULL, "",
     "workload.kind = trace: the .dmat.gz trace to replay (a relative path is taken from the "
     "current directory)",
     SIM_AT(replay_cfg, file)},
    {"trace.timing", SIM_PARAM_ENUM, "timed", "timed|fast", "",
     "Replay: timed (each record at its timestamp; PCIe, IOMMU and memory add their delays) or "
     "fast (back to back, trace.outstanding in flight: miss-rate studies)",
     SIM_AT(replay_cfg, timing)},
    {"trace.outstanding", SIM_PARAM_UINT, "64", "1..65536", "requests",
     "Fast replay: requests in flight at most", SIM_AT(replay_cfg, outstanding)},
    {"trace.invalidate", SIM_PARAM_ENUM, "recorded", "recorded|policy", "",
     "Replay: execute the trace's invalidation records (recorded), or ignore them and apply "
     "iommu.mode's policy at each unmap (policy)",
     SIM_AT(replay_cfg, invalidate)},
    {"trace.warm", SIM_PARAM_ENUM, "auto", "auto|warm|cold", "",
     "Replay: a mapped buffer is put in the LLC when it is mapped (warm: the CPU just wrote "
     "it) or not (cold); auto: cold when the trace was recorded from the DMA benchmark with "
     "dma.cache = cold, else warm",
     SIM_AT(replay_cfg, warm)},
};

static void trace_replay_register_params(sim_params *p)
{
    sim_params_add_table(p, replay_params, SIM_TABLE_LEN(replay_params));
}

/* ---- checking the file once ----------------------------------------------------------- */

/* Files read through without error, by identity and modification time: a sweep checks
 * every point, and a sweep over trace.file alternates between a few files. */
#define CHECKED_FILES 8
typedef struct checked_file {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} checked_file;
static checked_file checked[CHECKED_FILES];
static size_t n_checked, next_checked;

static bool same_file(const checked_file *c, const struct stat *st)
{
    return c->dev == st->st_dev && c->ino == st->st_ino && c->size == st->st_size &&
           c->mtime.tv_sec == st->st_mtim.tv_sec && c->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int check_file(const char *path, sim_err *e)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        trace_reader *r = trace_reader_open(path, e); /* for the message */
        trace_reader_close(r);
        return -1;
    }
    for (size_t i = 0; i < n_checked; i++)
        if (same_file(&checked[i], &st))
            return 0;
    trace_reader *r = trace_reader_open(path, e);
    if (!r)
        return -1;
    const trace_rec *recs;
    while (trace_reader_block(r, &recs))
        ;
    int rc = 0;
    if (trace_reader_error(r))
        rc = sim_err_set(e, "%s", trace_reader_error(r));
    trace_reader_close(r);
    if (rc == 0) {
        checked[next_checked] = (checked_file){st.st_dev, st.st_ino, st.st_size, st.st_mtim};
        next_checked = (next_checked + 1) % CHECKED_FILES;
        if (n_checked < CHECKED_FILES)
            n_checked++;
    }
    return rc;
}

static int trace_replay_check(const sim_params *p, sim_err *e)
{
    if (platform_check(p, e) < 0)
        return -1;
    replay_cfg c;
    sim_params_load_table(p, replay_params, SIM_TABLE_LEN(replay_params), &c);
    const char *file = c.file;
    if (!*file)
        return sim_err_set(e, "workload.kind = trace needs trace.file (the .dmat.gz trace to "
                              "replay)");
    if (check_file(file, e) < 0) {
        sim_err_prefix(e, "trace.file");
        return -1;
    }
    return 0;
}

/* ---- the IOMMU side ----------------------------------------------------------------- */

static iommu_domain *domain_of(replay *r, uint16_t did)
{
    if (!did)
        did = 1;
    iommu_domain *d = iommu_domain_find(r->pf->iommu, did);
    return d ? d : iommu_domain_create(r->pf->iommu, did);
}

/* First sight of a requester: its context entry, as the host's driver set it up. */
static void ensure_rid(replay *r, uint16_t rid, uint16_t did)
{
    if (r->rid_state[rid] != RID_UNSEEN)
        return;
    r->rid_state[rid] = RID_READY;
    iommu *u = r->pf->iommu;
    if (!u)
        return;
    if (r->dma_api.ats)
        iommu_ats_enable(u, rid, r->pf->link, pcie_rc_latency_ps(r->pf->rc));
    if (r->dma_api.mode == IOMMU_DMA_PT) {
        iommu_attach_passthrough(u, rid);
        return;
    }
    iommu_domain *d = domain_of(r, did);
    if (d)
        iommu_attach(u, rid, d);
}

static page_ref *ref_slot(replay *r, uint16_t did, uint64_t page, bool add)
{
    if (!r->refs_cap) {
        if (!add)
            return NULL;
        r->refs_cap = 1024;
        r->refs = sim_xcalloc(r->refs_cap, sizeof *r->refs);
    }
    if (add && 2 * (r->refs_n + 1) > r->refs_cap) {
        page_ref *old = r->refs;
        size_t old_cap = r->refs_cap;
        r->refs_cap *= 2;
        r->refs = sim_xcalloc(r->refs_cap, sizeof *r->refs);
        r->refs_n = 0;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].used) {
                page_ref *s = ref_slot(r, old[i].did, old[i].page, true);
                *s = old[i];
            }
        free(old);
    }
    uint64_t h = (page >> 12) * 0x9e3779b97f4a7c15ull ^ did;
    for (size_t i = (size_t)(h >> 20) & (r->refs_cap - 1);; i = (i + 1) & (r->refs_cap - 1)) {
        page_ref *s = &r->refs[i];
        if (!s->used) {
            if (!add)
                return NULL;
            *s = (page_ref){.page = page, .did = did, .used = 1};
            r->refs_n++;
            return s;
        }
        if (s->page == page && s->did == did)
            return s;
    }
}

/* [addr, addr + len) rounded out to whole pages; false when that passes 2^64. */
static bool page_span(const replay *r, uint64_t addr, uint64_t len, uint64_t *first, uint64_t *end)
{
    uint64_t p = r->dma_api.page_bytes;
    uint64_t last = addr + (len - 1);
    *first = addr & ~(p - 1);
    *end = (last & ~(p - 1)) + p;
    return *end != 0;
}

static void do_map(replay *r, const trace_rec *x)
{
    r->maps++;
    if (r->warm)
        mem_touch(r->pf->mem, x->aux, x->len);
    if (!r->pf->iommu || r->dma_api.mode < IOMMU_DMA_STRICT) {
        r->ignored++;
        return;
    }
    ensure_rid(r, x->rid, x->domain);
    iommu_domain *d = domain_of(r, x->domain);
    uint64_t first, end, p = r->dma_api.page_bytes;
    if (!d || !page_span(r, x->addr, x->len, &first, &end)) {
        r->map_failures++;
        return;
    }
    uint64_t delta = x->aux - x->addr; /* host = device + delta (mod 2^64) */
    unsigned rights = ((x->flags & TRACE_F_MAP_READ) ? IOMMU_READ : 0) |
                      ((x->flags & TRACE_F_MAP_WRITE) ? IOMMU_WRITE : 0);
    uint16_t did = iommu_domain_id(d);
    for (uint64_t pg = first; pg != end; pg += p) {
        uint64_t frame = (pg + delta) & ~(p - 1);
        if (frame >= (1ull << MEM_PHYS_ADDR_BITS)) {
            r->map_failures++; /* no such host memory */
            continue;
        }
        uint64_t mapped_to;
        if (iommu_domain_lookup(d, pg, &mapped_to, NULL, NULL) == 0) {
            ref_slot(r, did, pg, true)->refs++;
            continue;
        }
        if (iommu_domain_map(d, pg, frame, p, p, rights, NULL) < 0)
            r->map_failures++;
    }
}

static void submit(replay *r, uint64_t t)
{
    if (r->chain_n)
        iommu_dma_qi_submit(r->pf->iommu, r->pf->mem, &r->dma_api, t, r->chain, r->chain_n, NULL);
    r->chain_n = 0;
}

static void lazy_flush(replay *r, uint64_t t)
{
    for (size_t i = 0; i < r->lazy_n; i++) {
        r->chain[r->chain_n++] = (iommu_inv){.kind = IOMMU_INV_IOTLB_DOMAIN, .did = r->lazy_did[i]};
        if (r->dma_api.ats)
            r->chain[r->chain_n++] = (iommu_inv){.kind = IOMMU_INV_DEVTLB, .bytes = 1ull << 63};
        if (r->chain_n + 2 > MAX_CHAIN)
            submit(r, t);
    }
    submit(r, t);
    r->lazy_n = 0;
    r->lazy_unmaps = 0;
}

/* iommu.mode's own policy after an unmap of [first, end) in domain did. */
static void policy_invalidate(replay *r, uint16_t did, uint16_t rid, uint64_t first, uint64_t end,
                              uint64_t t)
{
    if (r->dma_api.mode == IOMMU_DMA_STRICT) {
        r->chain[r->chain_n++] = (iommu_inv){.kind = IOMMU_INV_IOTLB_PAGE,
                                             .did = did,
                                             .addr = first,
                                             .bytes = end - first,
                                             .keep_tables = r->dma_api.iotlb_inv_hint};
        if (r->dma_api.ats)
            r->chain[r->chain_n++] = (iommu_inv){
                .kind = IOMMU_INV_DEVTLB, .rid = rid, .addr = first, .bytes = end - first};
        submit(r, t);
        return;
    }
    if (!r->lazy_unmaps)
        r->lazy_oldest_ps = t;
    r->lazy_unmaps++;
    size_t i = 0;
    while (i < r->lazy_n && r->lazy_did[i] != did)
        i++;
    if (i == r->lazy_n) {
        if (r->lazy_n == MAX_LAZY_DOMAINS)
            lazy_flush(r, t);
        r->lazy_did[r->lazy_n++] = did;
    }
    if (r->lazy_unmaps >= r->dma_api.lazy_batch ||
        (t > r->lazy_oldest_ps && t - r->lazy_oldest_ps >= r->dma_api.lazy_timeout_ps))
        lazy_flush(r, t);
}

static void do_unmap(replay *r, const trace_rec *x, uint64_t t)
{
    r->unmaps++;
    if (!r->pf->iommu || r->dma_api.mode < IOMMU_DMA_STRICT) {
        r->ignored++;
        return;
    }
    iommu_domain *d = iommu_domain_find(r->pf->iommu, x->domain ? x->domain : 1);
    uint64_t first, end, p = r->dma_api.page_bytes;
    if (!d || !page_span(r, x->addr, x->len, &first, &end)) {
        r->ignored++;
        return;
    }
    uint16_t did = iommu_domain_id(d);
    for (uint64_t pg = first; pg != end; pg += p) {
        page_ref *s = r->refs_n ? ref_slot(r, did, pg, false) : NULL;
        if (s && s->refs) {
            s->refs--;
            continue;
        }
        iommu_domain_unmap(d, pg, p);
    }
    if (r->cfg.invalidate == INVALIDATE_POLICY)
        policy_invalidate(r, did, x->rid, first, end, t);
}

static void do_inv(replay *r, const trace_rec *x, uint64_t t)
{
    r->invs++;
    if (!r->pf->iommu || r->cfg.invalidate == INVALIDATE_POLICY) {
        r->ignored++;
        return;
    }
    unsigned kind = x->flags & TRACE_F_INV_KIND;
    iommu_inv v = {.kind = (iommu_inv_kind)kind,
                   .did = x->domain,
                   .rid = x->rid,
                   .addr = x->addr,
                   .bytes = x->len,
                   .keep_tables = (x->flags & TRACE_F_INV_KEEP) != 0};
    if (kind == TRACE_INV_DEVTLB && !x->len)
        v.bytes = 1ull << 63; /* the whole device TLB */
    if (kind == TRACE_INV_IEC_INDEX) {
        v.index = (uint32_t)x->addr;
        v.addr = 0;
    }
    r->chain[r->chain_n++] = v;
    if (!(x->flags & TRACE_F_INV_CHAIN) || r->chain_n == MAX_CHAIN)
        submit(r, t);
}

/* A read or write, split as a DMA engine splits it; returns when the last part is done.
 * The parts reach the root complex one after another at the link's raw rate (a
 * device cannot deliver a record faster than its link carries the request TLPs; a
 * recorded trace has one part per record). Once a part would arrive, or complete, a
 * whole run length after the run has ended (cut_ps), the rest could change nothing
 * inside it: they are not simulated, and the record counts as cut (trace.cut_dmas),
 * with only the bytes issued and no latency. Without that, one record of gigabytes in
 * a run of microseconds would cost millions of parts; a recorded trace's DMAs end long
 * before cut_ps, so a replay on the recording's configuration still counts what the
 * recording did. */
static uint64_t do_dma(replay *r, const trace_rec *x, uint64_t t)
{
    ensure_rid(r, x->rid, x->domain);
    bool write = x->op == TRACE_OP_WRITE;
    pcie_split s;
    if (write)
        pcie_split_write_init(&s, x->addr, x->len, r->link_cfg->mps_bytes);
    else
        pcie_split_read_init(&s, x->addr, x->len, r->link_cfg->mrrs_bytes);
    pcie_chunk c;
    enum pcie_tlp_type type = write ? PCIE_TLP_MWR : PCIE_TLP_MRD;
    uint64_t done = t, issued = 0, at = t;
    bool cut = false;
    while (pcie_split_next(&s, &c)) {
        if (done > r->cut_ps || at > r->cut_ps) {
            cut = true;
            break;
        }
        issued += c.len_bytes;
        uint64_t d;
        if (write) {
            d = pcie_rc_write(r->pf->rc, at, x->rid, c.addr, c.len_bytes, 0);
        } else {
            bool ur;
            d = pcie_rc_read(r->pf->rc, at, x->rid, c.addr, c.len_bytes, &ur);
        }
        if (d > done)
            done = d;
        at += (uint64_t)(pcie_tlp_wire_bytes(r->link_cfg, type, c.len_bytes, c.addr) *
                         r->ps_per_wire_byte);
    }
    if (write) {
        r->writes++;
        r->write_bytes += issued;
    } else {
        r->reads++;
        r->read_bytes += issued;
    }
    if (cut)
        r->cut_dmas++;
    else
        sim_hist_add(r->latency, done - t);
    return done;
}

/* Applies one record taking effect at t; returns when it is done (t for host work). */
static uint64_t apply(replay *r, const trace_rec *x, uint64_t t)
{
    r->records++;
    switch (x->op) {
    case TRACE_OP_READ:
    case TRACE_OP_WRITE: return do_dma(r, x, t);
    case TRACE_OP_MSI:
        ensure_rid(r, x->rid, x->domain);
        r->msis++;
        return pcie_rc_write(r->pf->rc, t, x->rid, x->addr, 4, (uint32_t)x->aux);
    case TRACE_OP_MAP: do_map(r, x); return t;
    case TRACE_OP_UNMAP: do_unmap(r, x, t); return t;
    case TRACE_OP_INV: do_inv(r, x, t); return t;
    default: assert(!"the reader lets no unknown operation through"); return t;
    }
}

/* Whether the run that recorded the trace said `name = value` (its parameters are the
 * header's text, one "name = value" a line). */
static bool recorded_with(const trace_reader *rd, const char *name, const char *value)
{
    size_t len;
    const char *text = trace_reader_params(rd, &len);
    size_t n = strlen(name), v = strlen(value);
    for (const char *line = text; line < text + len;) {
        const char *nl = memchr(line, '\n', (size_t)(text + len - line));
        size_t l = nl ? (size_t)(nl - line) : (size_t)(text + len - line);
        if (l == n + 3 + v && !strncmp(line, name, n) && !strncmp(line + n, " = ", 3) &&
            !strncmp(line + n + 3, value, v))
            return true;
        line += l + 1;
    }
    return false;
}

/* ---- the replay loop -------------------------------------------------------------------- */

static const trace_rec *peek(replay *r)
{
    if (r->pos == r->n) {
        r->n = r->rd ? trace_reader_block(r->rd, &r->recs) : 0;
        r->pos = 0;
        if (!r->n)
            return NULL;
    }
    return &r->recs[r->pos];
}

static bool is_dma(const trace_rec *x)
{
    return x->op == TRACE_OP_READ || x->op == TRACE_OP_WRITE || x->op == TRACE_OP_MSI;
}

/* The trace is over: stop when the last request has completed. */
static void finish(replay *r)
{
    const char *err = r->rd ? trace_reader_error(r->rd) : NULL;
    uint64_t now = sim_now_ps(r->kernel);
    if (err) {
        /* The file changed after the check read it through. */
        fprintf(stderr, "iovsim: trace.file: %s\n", err);
        r->read_errors++;
        sim_kernel_stop(r->kernel);
        return;
    }
    r->finishing = true;
    sim_event_notify_at(r->ev, r->max_done_ps > now ? r->max_done_ps : now);
}

static void on_batch(void *ctx)
{
    replay *r = ctx;
    uint64_t now = sim_now_ps(r->kernel);
    if (r->finishing) {
        sim_kernel_stop(r->kernel);
        return;
    }
    /* Records past the next statistics boundary wait for an event there, so each is
     * counted in the interval its own time belongs to, as in the recorded run. */
    uint64_t limit = now <= r->warmup_ps ? r->warmup_ps : now <= r->end_ps ? r->end_ps : UINT64_MAX;
    for (unsigned k = 0; k < BATCH_RECORDS; k++) {
        const trace_rec *x = peek(r);
        if (!x) {
            finish(r);
            return;
        }
        uint64_t t;
        if (r->cfg.timing == TIMING_FAST) {
            bool full = is_dma(x) && sim_tq_len(r->inflight) == r->cfg.outstanding;
            uint64_t first_done = sim_tq_head_ps(r->inflight);
            t = full && first_done > r->clock_ps ? first_done : r->clock_ps;
            if (t > limit) {
                sim_event_notify_at(r->ev, t);
                return;
            }
            if (full)
                sim_tq_pop_due(r->inflight, UINT64_MAX, NULL);
            r->clock_ps = t;
        } else {
            if (x->time_ps > limit) {
                sim_event_notify_at(r->ev, x->time_ps);
                return;
            }
            t = x->time_ps + x->ahead_ps;
        }
        r->pos++;
        uint64_t done = apply(r, x, t);
        if (done > r->max_done_ps)
            r->max_done_ps = done;
        if (r->cfg.timing == TIMING_FAST && is_dma(x))
            sim_tq_push(r->inflight, done, NULL, 0);
    }
    const trace_rec *x = peek(r);
    if (!x) {
        finish(r);
        return;
    }
    uint64_t next = r->cfg.timing == TIMING_FAST ? r->clock_ps : x->time_ps;
    sim_event_notify_at(r->ev, next > now ? next : now);
}

/* ---- metrics and building --------------------------------------------------------------- */

static double m_records(const sim_stats *s, void *ctx)
{
    (void)s;
    return (double)((replay *)ctx)->records;
}

static double m_gbps(const sim_stats *s, void *ctx)
{
    const replay *r = ctx;
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? (double)(r->read_bytes + r->write_bytes) * 8.0 / ((double)el / 1000.0) : 0.0;
}

/* IOTLB look-ups served without a walk of their own: hits, and misses that waited for a
 * walk of the same page already in flight. Which of the two a look-up is depends on
 * timing; whether it needed a walk does not, so this is the same in a timed and a fast
 * replay of one trace (the IOTLB sees the same look-ups in the same order). */
static double m_nowalk_rate(const sim_stats *s, void *ctx)
{
    (void)ctx;
    double hits, misses, walks;
    if (!sim_stats_get(s, "iommu.iotlb_hits", &hits) ||
        !sim_stats_get(s, "iommu.iotlb_misses", &misses) ||
        !sim_stats_get(s, "iommu.walks", &walks) || hits + misses <= 0)
        return 0.0;
    return 1.0 - walks / (hits + misses);
}

static void register_stats(replay *r, sim_stats *st)
{
#define C(field, desc) sim_stats_counter(st, "trace." #field, &r->field, desc)
    C(records, "trace records replayed");
    C(reads, "DMA read records");
    C(writes, "DMA write records");
    C(read_bytes, "bytes read by DMA records (as far as they were simulated)");
    C(write_bytes, "bytes written by DMA records (as far as they were simulated)");
    C(msis, "MSI records");
    C(maps, "map records");
    C(unmaps, "unmap records");
    C(invs, "invalidation records");
    C(ignored, "map, unmap and invalidation records with nothing to act on (no IOMMU, "
               "pass-through, or trace.invalidate = policy)");
    C(map_failures, "pages a map record could not map (beyond the address width, out of "
                    "table memory, no such host memory)");
    C(read_errors, "the trace could not be read to its end");
    C(cut_dmas, "DMA records stopped where their next part would arrive or complete more than "
                "run.duration_us after the run's end (the parts after it are not simulated nor "
                "their bytes counted; no latency recorded)");
#undef C
    r->latency = sim_stats_hist(st, "trace.latency_ps", "ps",
                                "DMA record at the root complex to its completion");
    sim_stats_metric(st, "trace_records", "records", m_records, r,
                     "records replayed in the window, every operation (DMA, MSI, map, unmap, "
                     "invalidation)");
    sim_stats_metric(st, "trace_dma_gbps", "Gb/s", m_gbps, r,
                     "payload bits of the DMA read and write records replayed in the window, "
                     "both directions added, per ns of it");
    sim_stats_quantile_metric(st, "trace_latency_ns_p50", "ns", r->latency, 0.5, 1000.0,
                              "median of trace.latency_ps: a DMA record at the root complex to "
                              "its completion, over the records replayed in the window");
    sim_stats_quantile_metric(st, "trace_latency_ns_p99", "ns", r->latency, 0.99, 1000.0,
                              "99th percentile of trace.latency_ps (as trace_latency_ns_p50)");
    if (r->pf->iommu)
        sim_stats_metric(st, "trace_iotlb_nowalk_rate", "share (0..1)", m_nowalk_rate, r,
                         "IOTLB look-ups in the window served without a walk of their own "
                         "(hits, and misses that waited for a walk of the same page), over "
                         "all look-ups; the same in timed and fast replay; 0 without look-ups");
}

static void trace_replay_destroy(void *replay_);

static void *trace_replay_build(const sim_ctx *ctx, const sys_observers *obs, sim_err *e)
{
    const sim_params *p = ctx->params;
    replay *r = sim_xcalloc(1, sizeof *r);
    r->kernel = ctx->kernel;
    r->rid_state = sim_xcalloc(65536, 1);
    sim_params_load_table(p, replay_params, SIM_TABLE_LEN(replay_params), &r->cfg);
    /* No trace.file (the check refuses that for a run; the metric reference builds a
     * point without one): a trace without records. */
    r->rd = *r->cfg.file ? trace_reader_open(r->cfg.file, e) : NULL;
    if (*r->cfg.file && !r->rd) {
        sim_err_prefix(e, "trace.file");
        trace_replay_destroy(r);
        return NULL;
    }
    iommu_dma_config(p, &r->dma_api);
    /* The platform the DMA benchmark builds, the IOMMU driver's tables at the same
     * addresses: a replay of one of its traces walks tables where the recorded run did. */
    r->pf = platform_create(ctx, obs, false);
    r->link_cfg = pcie_link_config(r->pf->link);
    r->ps_per_wire_byte = 1e12 / pcie_link_raw_bytes_per_s(r->link_cfg);
    bool cold_recording = r->rd && recorded_with(r->rd, "workload.kind", "dma") &&
                          recorded_with(r->rd, "dma.cache", "cold");
    r->warm = r->cfg.warm == WARM_WARM || (r->cfg.warm == WARM_AUTO && !cold_recording);
    r->inflight = sim_tq_create();
    sim_run_cfg run = sim_run_cfg_load(p);
    r->warmup_ps = run.warmup_ps;
    r->end_ps = run.warmup_ps + run.duration_ps;
    r->cut_ps = r->end_ps + run.duration_ps;
    register_stats(r, ctx->stats);
    r->ev = sim_event_create(ctx->kernel, "trace.replay", on_batch, r);
    const trace_rec *first = peek(r);
    sim_event_notify_at(r->ev, first && r->cfg.timing == TIMING_TIMED ? first->time_ps : 0);
    return r;
}

static void trace_replay_destroy(void *replay_)
{
    replay *r = replay_;
    if (!r)
        return;
    trace_reader_close(r->rd);
    platform_destroy(r->pf);
    sim_tq_destroy(r->inflight);
    free(r->refs);
    free(r->rid_state);
    free(r);
}

/* The IOMMU registers its own (and the rate of look-ups without a walk). */
static const char *const trace_variants[] = {"iommu.mode=strict", NULL};

const sys_kind sys_kind_trace = {
    .name = "trace",
    .doc = "replay a DMA trace (trace.file)",
    .register_params = trace_replay_register_params,
    .check = trace_replay_check,
    .build = trace_replay_build,
    .destroy = trace_replay_destroy,
    .variants = trace_variants,
};
