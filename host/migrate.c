#include "host/migrate.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"

/* QEMU's constants (migration/migration.c, ram.c, ram.c's migration_bitmap_sync). */
#define WINDOW_PS (100 * SIM_PS_PER_MS)       /* BUFFER_DELAY: one rate-limit window */
#define BURST_PS (50 * SIM_PS_PER_MS)         /* MAX_WAIT: ram_save_iterate's longest pass */
#define RATE_PERIOD_PS (1000 * SIM_PS_PER_MS) /* syncs this far apart evaluate the throttle */
#define ESTIMATE_MIN_BYTES 10000              /* expected_downtime needs this much sent */
#define GIB (1024.0 * 1024.0 * 1024.0)

enum { UNTRACKED_REFUSE, UNTRACKED_ALL_DIRTY, UNTRACKED_LOSE };

typedef struct migrate_cfg {
    double max_bw_mib_s;
    double link_gbps;
    uint64_t latency_ps;
    uint64_t downtime_limit_ps;
    uint32_t max_rounds;
    uint64_t mem_bytes;
    uint32_t page_bytes;
    uint32_t header_bytes;
    uint64_t device_state_bytes;
    double sync_us_per_gib;
    double reprotect_ns_per_page;
    bool auto_converge;
    uint32_t trigger_pct, initial_pct, increment_pct, max_pct;
    uint64_t throttle_sync_ps;
    double dirty_rate_mb_s;
    uint64_t dirty_set_bytes;
    bool iommu_dirty;
    uint64_t iommu_page_bytes;
    uint32_t untracked;
} migrate_cfg;

static const sim_param_def migrate_params[] = {
    {"migrate.max_bandwidth_mib_s", SIM_PARAM_DOUBLE, "128", "0.001..1e7", "MiB/s",
     "Rate limit of the pre-copy, QEMU's max-bandwidth (MAX_THROTTLE, 128 MiB/s since "
     "QEMU 5.2, 32 MiB/s before); the stop-and-copy is not limited",
     SIM_AT(migrate_cfg, max_bw_mib_s)},
    {"migrate.link_gbps", SIM_PARAM_DOUBLE, "10", "0.001..1600", "Gbps",
     "The migration channel's rate: pre-copy bursts and the unthrottled stop-and-copy go "
     "at it (assumed: a 10 GbE migration network)",
     SIM_AT(migrate_cfg, link_gbps)},
    {"migrate.latency_us", SIM_PARAM_DOUBLE, "10", "0..1e6", "us",
     "One-way latency of the migration channel, paid once by the stop-and-copy's last byte "
     "(assumed)",
     SIM_AT(migrate_cfg, latency_ps)},
    {"migrate.downtime_limit_ms", SIM_PARAM_DOUBLE, "300", "1..2e6", "ms",
     "QEMU's downtime-limit (DEFAULT_MIGRATE_SET_DOWNTIME, 300 ms; 30 ms in older QEMU): "
     "the pre-copy completes when the bytes to send fall below measured bandwidth x this",
     SIM_AT(migrate_cfg, downtime_limit_ps)},
    {"migrate.max_rounds", SIM_PARAM_UINT, "0", "0..1000000", "",
     "Stop-and-copy after this many rounds whatever is left; 0: no limit, as in QEMU",
     SIM_AT(migrate_cfg, max_rounds)},
    {"migrate.mem_bytes", SIM_PARAM_UINT, "4GiB", "64KiB..1TiB", "bytes",
     "The migrated VM's memory (assumed 4 GiB)", SIM_AT(migrate_cfg, mem_bytes)},
    {"migrate.page_bytes", SIM_PARAM_UINT, "4096", "4096..65536", "bytes",
     "Page of the dirty log and of the migration stream (TARGET_PAGE_SIZE: 4 KiB on x86, "
     "64 KiB on POWER); a power of two",
     SIM_AT(migrate_cfg, page_bytes)},
    {"migrate.page_header_bytes", SIM_PARAM_UINT, "8", "0..4096", "bytes",
     "Stream header of each page sent (ram.c save_page_header: 8 bytes)",
     SIM_AT(migrate_cfg, header_bytes)},
    {"migrate.device_state_bytes", SIM_PARAM_UINT, "1MiB", "0..16GiB", "bytes",
     "Devices' state sent in the stop-and-copy (assumed: no measured size found; the VFIO "
     "migration RFC proposed up to 10 MB for a device's)",
     SIM_AT(migrate_cfg, device_state_bytes)},
    {"migrate.sync_us_per_gib", SIM_PARAM_DOUBLE, "78", "0..1e6", "us",
     "Dirty-log sync (and start of logging) per GiB of memory, sending waits: 10 ms per "
     "128 GiB to start logging with KVM_DIRTY_LOG_INITIALLY_SET (KVM commit 3c9bd4006bfc, "
     "Xeon Gold 6152), taken for the memslot walk of every sync (assumed)",
     SIM_AT(migrate_cfg, sync_us_per_gib)},
    {"migrate.reprotect_ns_per_page", SIM_PARAM_DOUBLE, "13.4", "0..1e6", "ns",
     "A sync's cost per page found dirty (re-arming its tracking: clearing its D-bit, or "
     "write-protecting it): (460 - 10) ms for 128 GiB's pages without INITIALLY_SET "
     "(same commit)",
     SIM_AT(migrate_cfg, reprotect_ns_per_page)},
    {"migrate.auto_converge", SIM_PARAM_BOOL, "false", NULL, "",
     "Throttle the vCPUs while the guest dirties faster than half the bytes sent "
     "(QEMU's auto-converge capability, off by default)",
     SIM_AT(migrate_cfg, auto_converge)},
    {"migrate.throttle_trigger_pct", SIM_PARAM_UINT, "50", "1..100", "%",
     "Auto-converge: bytes dirtied over bytes sent between evaluations that counts as too "
     "fast, twice in a row (throttle-trigger-threshold)",
     SIM_AT(migrate_cfg, trigger_pct)},
    {"migrate.throttle_initial_pct", SIM_PARAM_UINT, "20", "1..99", "%",
     "Auto-converge's first throttle (cpu-throttle-initial)", SIM_AT(migrate_cfg, initial_pct)},
    {"migrate.throttle_increment_pct", SIM_PARAM_UINT, "10", "1..99", "%",
     "Auto-converge's step after the first (cpu-throttle-increment)",
     SIM_AT(migrate_cfg, increment_pct)},
    {"migrate.throttle_max_pct", SIM_PARAM_UINT, "99", "1..99", "%",
     "Auto-converge's highest throttle (max-cpu-throttle)", SIM_AT(migrate_cfg, max_pct)},
    {"migrate.throttle_sync_ms", SIM_PARAM_DOUBLE, "5000", "0..1e6", "ms",
     "With auto-converge, a dirty-log sync at least this often after round 1 "
     "(CPU_THROTTLE_DIRTY_SYNC_TIMESLICE_MS, QEMU 9.2); 0: only when the set to send is "
     "small, as before",
     SIM_AT(migrate_cfg, throttle_sync_ps)},
    {"migrate.dirty_rate_mb_s", SIM_PARAM_DOUBLE, "0", "0..1e6", "MB/s",
     "Synthetic dirtying: the guest writes this many MB (10^6 bytes) per second, page after "
     "page over migrate.dirty_set_bytes, for workloads that do not report their writes",
     SIM_AT(migrate_cfg, dirty_rate_mb_s)},
    {"migrate.dirty_set_bytes", SIM_PARAM_UINT, "0", "0..1TiB", "bytes",
     "The synthetic dirtying's working set, from guest address 0; 0: all the memory",
     SIM_AT(migrate_cfg, dirty_set_bytes)},
    {"migrate.iommu_dirty", SIM_PARAM_BOOL, "false", NULL, "",
     "IOMMU dirty tracking logs VFs' DMA writes (VT-d 3.x second-stage A/D bits, AMD Milan "
     "and later, SMMUv3.2; iommufd IOMMU_HWPT_GET_DIRTY_BITMAP)",
     SIM_AT(migrate_cfg, iommu_dirty)},
    {"migrate.iommu_page_bytes", SIM_PARAM_UINT, "4096", "4096..1GiB", "bytes",
     "IOMMU dirty tracking's granularity, the IOPTE size guest memory is mapped with: a DMA "
     "write dirties the whole IOMMU page (assumed 4 KiB: memory not backed by huge pages; "
     "2 MiB or 1 GiB when it is); a power of two",
     SIM_AT(migrate_cfg, iommu_page_bytes)},
    {"migrate.untracked_vf", SIM_PARAM_ENUM, "refuse", "refuse|all_dirty|lose", "",
     "A VF neither unplugged nor tracked: refuse the migration (QEMU's blocker), all_dirty "
     "(QEMU with enable-migration=on: all memory dirty at every sync) or lose (its writes "
     "are not logged; counted)",
     SIM_AT(migrate_cfg, untracked)},
};

typedef struct migrate_src {
    migrate_src_kind kind;
    char *name;
    bool detached;
    uint64_t detach_ps;
} migrate_src;

struct migrate {
    migrate_cfg c;
    sim_kernel *k;
    sim_event *ev;
    uint64_t npages, nwords;
    uint64_t *log;   /* written since the last sync */
    uint64_t *todo;  /* to send */
    uint64_t *stale; /* lost writes not yet overwritten by a send (untracked_vf = lose) */
    uint64_t ntodo, cursor;
    migrate_state st;
    uint64_t stop_ps, resume_ps; /* valid from the stop */
    /* The rate-limit window and what it measured. */
    uint64_t win_start_ps, win_bytes;
    double bw_bytes_per_ps;
    uint64_t threshold;
    uint64_t last_sync_ps, dirty_last_sync_bytes;
    /* Auto-converge's period (migration_bitmap_sync's rate update). */
    uint64_t period_start_ps, period_dirty_pages, period_sent_prev, high_count;
    uint64_t throttle_pct;
    uint64_t sent_total; /* control copy of r.bytes_sent */
    /* The synthetic source. */
    double src_rate; /* bytes per second */
    uint64_t src_set_pages, src_cursor, src_t_ps;
    double src_carry;
    migrate_src *srcs;
    unsigned nsrcs;
    migrate_round *rounds;
    size_t nrounds, rounds_cap;
    migrate_observer_fn obs;
    void *obs_ctx;
    migrate_result r;   /* the API's */
    migrate_result pub; /* the statistics' copy */
    sim_hist *h_round_bytes, *h_round_rate;
};

void migrate_register_params(sim_params *p)
{
    sim_params_add_table(p, migrate_params, SIM_TABLE_LEN(migrate_params));
}

static bool pow2(uint64_t x) { return x && !(x & (x - 1)); }

static int cfg_check(const migrate_cfg *c, sim_err *e)
{
    if (!pow2(c->page_bytes))
        return sim_err_set(e, "migrate.page_bytes = %u is not a power of two", c->page_bytes);
    if (!pow2(c->iommu_page_bytes))
        return sim_err_set(e, "migrate.iommu_page_bytes = %llu is not a power of two",
                           (unsigned long long)c->iommu_page_bytes);
    if (c->mem_bytes % c->page_bytes)
        return sim_err_set(e,
                           "migrate.mem_bytes = %llu is not a whole number of "
                           "migrate.page_bytes = %u",
                           (unsigned long long)c->mem_bytes, c->page_bytes);
    if (c->dirty_set_bytes > c->mem_bytes)
        return sim_err_set(e,
                           "migrate.dirty_set_bytes = %llu is larger than "
                           "migrate.mem_bytes = %llu",
                           (unsigned long long)c->dirty_set_bytes,
                           (unsigned long long)c->mem_bytes);
    if (c->initial_pct > c->max_pct)
        return sim_err_set(e,
                           "migrate.throttle_initial_pct = %u is above "
                           "migrate.throttle_max_pct = %u",
                           c->initial_pct, c->max_pct);
    return 0;
}

int migrate_params_check(const sim_params *p, sim_err *e)
{
    migrate_cfg c;
    sim_params_load_table(p, migrate_params, SIM_TABLE_LEN(migrate_params), &c);
    if (cfg_check(&c, e) < 0) {
        sim_params_add_origins(p, e);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- bitmaps */

static void bits_set(uint64_t *bm, uint64_t a, uint64_t b)
{
    while (a < b) {
        uint64_t w = a / 64, lo = a % 64;
        uint64_t n = b - a < 64 - lo ? b - a : 64 - lo;
        bm[w] |= (n == 64 ? ~0ull : ((1ull << n) - 1)) << lo;
        a += n;
    }
}

static uint64_t bits_count(const uint64_t *bm, uint64_t nwords)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < nwords; i++)
        n += (uint64_t)__builtin_popcountll(bm[i]);
    return n;
}

/* Clears up to n set bits of m->todo from the cursor on, wrapping (they are sent), and
 * their stale bits; returns how many. */
static uint64_t take_pages(migrate *m, uint64_t n)
{
    uint64_t got = 0, scanned = 0;
    while (got < n && m->ntodo && scanned <= m->nwords) {
        uint64_t w = m->cursor / 64;
        uint64_t word = m->todo[w] & (~0ull << (m->cursor % 64));
        while (word && got < n) {
            uint64_t bit = word & -word;
            m->todo[w] &= ~bit;
            if (m->stale)
                m->stale[w] &= ~bit;
            word &= ~bit;
            got++;
            m->ntodo--;
            m->cursor = w * 64 + (uint64_t)__builtin_ctzll(bit) + 1;
        }
        if (got < n) {
            m->cursor = (w + 1) * 64;
            scanned++;
        }
        if (m->cursor >= m->npages)
            m->cursor = 0;
    }
    return got;
}

/* ---------------------------------------------------------------- create */

static void on_step(void *ctx);

migrate *migrate_create(const sim_params *p, sim_stats *stats, sim_kernel *k, sim_err *e)
{
    migrate_cfg c;
    sim_params_load_table(p, migrate_params, SIM_TABLE_LEN(migrate_params), &c);
    if (cfg_check(&c, e) < 0)
        return NULL;
    migrate *m = sim_xcalloc(1, sizeof *m);
    m->c = c;
    m->k = k;
    m->ev = sim_event_create(k, "migrate", on_step, m);
    m->npages = c.mem_bytes / c.page_bytes;
    m->nwords = (m->npages + 63) / 64;
    m->log = sim_xcalloc(m->nwords, sizeof *m->log);
    m->todo = sim_xcalloc(m->nwords, sizeof *m->todo);
    if (c.untracked == UNTRACKED_LOSE)
        m->stale = sim_xcalloc(m->nwords, sizeof *m->stale);
    m->st = MIGRATE_IDLE;
    migrate_set_dirtying(m, c.dirty_rate_mb_s * 1e6,
                         c.dirty_set_bytes ? c.dirty_set_bytes : c.mem_bytes, 0);
    migrate_result *r = &m->pub;
    sim_stats_counter(stats, "migrate.total_ps", &r->total_ps,
                      "migration from its start to the VM running on the destination (ps)");
    sim_stats_counter(stats, "migrate.downtime_ps", &r->downtime_ps,
                      "the VM stopped: last sync, stop-and-copy, channel latency (ps)");
    sim_stats_counter(stats, "migrate.bytes_sent", &r->bytes_sent,
                      "bytes on the migration channel: pages with their headers, device state");
    sim_stats_counter(stats, "migrate.pages_sent", &r->pages_sent, "pages sent, resends included");
    sim_stats_counter(stats, "migrate.final_bytes", &r->final_bytes,
                      "bytes sent while the VM was stopped, device state included");
    sim_stats_counter(stats, "migrate.rounds", &r->rounds,
                      "pre-copy rounds: from the start or a dirty-log sync to the next sync");
    sim_stats_counter(stats, "migrate.syncs", &r->syncs,
                      "dirty-log syncs, the setup's and the stop's included");
    sim_stats_counter(stats, "migrate.sync_ps", &r->sync_ps,
                      "time the migration thread spent in dirty-log syncs (ps)");
    sim_stats_counter(stats, "migrate.expected_downtime_ps", &r->expected_downtime_ps,
                      "QEMU's expected downtime at the last window that had one: dirty bytes "
                      "at the last sync over the measured bandwidth (ps)");
    sim_stats_counter(stats, "migrate.threshold_bytes", &r->threshold_bytes,
                      "the last threshold: measured bandwidth x downtime limit (bytes)");
    sim_stats_counter(stats, "migrate.throttle_pct", &r->throttle_pct,
                      "auto-converge's throttle when the VM stopped (%)");
    sim_stats_counter(stats, "migrate.throttle_steps", &r->throttle_steps,
                      "times auto-converge raised the throttle");
    sim_stats_counter(stats, "migrate.dma_untracked_bytes", &r->dma_untracked_bytes,
                      "DMA writes of an untracked VF during the migration, not logged "
                      "(migrate.untracked_vf = lose)");
    sim_stats_counter(stats, "migrate.lost_pages", &r->lost_pages,
                      "pages whose last write (an untracked VF's) never reached the "
                      "destination");
    sim_stats_counter(stats, "migrate.late_write_bytes", &r->late_write_bytes,
                      "writes reported after the VM stopped: not migrated");
    sim_stats_counter(stats, "migrate.bad_writes", &r->bad_writes,
                      "writes outside the memory, or by an unplugged device: ignored");
    m->h_round_bytes =
        sim_stats_hist(stats, "migrate.round_bytes", "bytes", "bytes sent in each pre-copy round");
    m->h_round_rate = sim_stats_hist(stats, "migrate.round_dirty_rate", "bytes/s",
                                     "pages newly dirtied per second of each pre-copy round");
    return m;
}

void migrate_destroy(migrate *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < m->nsrcs; i++)
        free(m->srcs[i].name);
    free(m->srcs);
    free(m->rounds);
    free(m->log);
    free(m->todo);
    free(m->stale);
    free(m);
}

/* ---------------------------------------------------------------- sources and writes */

/* The statistics are the migration's totals from its start: copied after each change,
 * so the end of warm-up (which zeroes them) does not cut a migration in two. */
static void publish(migrate *m) { m->pub = m->r; }

unsigned migrate_add_source(migrate *m, migrate_src_kind kind, const char *name)
{
    m->srcs = sim_xreallocarray(m->srcs, m->nsrcs + 1, sizeof *m->srcs);
    m->srcs[m->nsrcs] = (migrate_src){.kind = kind, .name = sim_xstrdup(name)};
    return m->nsrcs++;
}

void migrate_detach(migrate *m, unsigned src, uint64_t t_ps)
{
    assert(src < m->nsrcs);
    m->srcs[src].detached = true;
    m->srcs[src].detach_ps = t_ps;
}

/* A VF whose writes the log misses at t. */
static bool untracked_at(const migrate *m, const migrate_src *s, uint64_t t_ps)
{
    return s->kind == MIGRATE_SRC_VF && !m->c.iommu_dirty && !(s->detached && s->detach_ps <= t_ps);
}

/* QEMU's VFIO migration blocker: a VF whose writes nothing tracks. */
static bool refuses_attached_vf(const migrate_cfg *c)
{
    return c->untracked == UNTRACKED_REFUSE && !c->iommu_dirty;
}

bool migrate_refuses_attached_vf(const sim_params *p)
{
    migrate_cfg c;
    sim_params_load_table(p, migrate_params, SIM_TABLE_LEN(migrate_params), &c);
    return refuses_attached_vf(&c);
}

int migrate_check(const migrate *m, sim_err *e)
{
    if (!refuses_attached_vf(&m->c))
        return 0;
    for (unsigned i = 0; i < m->nsrcs; i++)
        if (m->srcs[i].kind == MIGRATE_SRC_VF && !m->srcs[i].detached)
            return sim_err_set(e,
                               "migration refused: VF '%s' is attached and its DMA writes "
                               "are not tracked (migrate.iommu_dirty = false); unplug it "
                               "first (failover), or set migrate.iommu_dirty = true or "
                               "migrate.untracked_vf = all_dirty or lose",
                               m->srcs[i].name);
    return 0;
}

/* Pages [a, b) of a write reported at t, clipped to the memory; when the write is
 * not to be logged (counted where it must be): false. */
static bool write_range(migrate *m, uint64_t addr, uint64_t bytes, uint64_t t_ps, uint64_t *a,
                        uint64_t *b)
{
    if (m->st == MIGRATE_IDLE || m->st == MIGRATE_SETUP || !bytes)
        return false;
    if (m->st >= MIGRATE_STOPPED) {
        if (t_ps < m->resume_ps) {
            m->r.late_write_bytes += bytes;
            publish(m);
        }
        return false;
    }
    if (addr >= m->c.mem_bytes || bytes > m->c.mem_bytes - addr) {
        m->r.bad_writes++;
        publish(m);
        if (addr >= m->c.mem_bytes)
            return false;
        bytes = m->c.mem_bytes - addr;
    }
    *a = addr / m->c.page_bytes;
    *b = (addr + bytes - 1) / m->c.page_bytes + 1;
    return true;
}

void migrate_dirty(migrate *m, uint64_t guest_addr, uint64_t bytes, uint64_t t_ps)
{
    uint64_t a, b;
    if (write_range(m, guest_addr, bytes, t_ps, &a, &b))
        bits_set(m->log, a, b);
}

void migrate_dma(migrate *m, unsigned src, uint64_t guest_addr, uint64_t bytes, uint64_t t_ps)
{
    assert(src < m->nsrcs);
    const migrate_src *s = &m->srcs[src];
    if (s->detached && s->detach_ps <= t_ps) {
        m->r.bad_writes++;
        publish(m);
        return;
    }
    if (s->kind == MIGRATE_SRC_VHOST) {
        migrate_dirty(m, guest_addr, bytes, t_ps);
        return;
    }
    if (m->c.iommu_dirty) {
        /* The IOPTE's dirty bit covers its whole page. */
        uint64_t g = m->c.iommu_page_bytes;
        uint64_t lo = guest_addr / g * g;
        uint64_t hi = bytes ? ((guest_addr + bytes - 1) / g + 1) * g : lo;
        migrate_dirty(m, lo, hi - lo, t_ps);
        return;
    }
    /* Untracked and attached: refused before the start, marked whole at each sync
     * (all_dirty), or lost. */
    uint64_t a, b;
    if (m->c.untracked == UNTRACKED_LOSE && write_range(m, guest_addr, bytes, t_ps, &a, &b)) {
        m->r.dma_untracked_bytes += bytes;
        bits_set(m->stale, a, b);
        publish(m);
    }
}

/* The synthetic source's writes up to t, at the rate its vCPUs run. */
static void source_advance(migrate *m, uint64_t t_ps)
{
    if (t_ps <= m->src_t_ps)
        return;
    double share = 1.0 - (double)m->throttle_pct / 100.0;
    double bytes = m->src_rate * share * (double)(t_ps - m->src_t_ps) / 1e12 + m->src_carry;
    m->src_t_ps = t_ps;
    uint64_t pages = (uint64_t)(bytes / m->c.page_bytes);
    m->src_carry = bytes - (double)pages * m->c.page_bytes;
    if (!pages || !m->src_set_pages || m->st != MIGRATE_ACTIVE)
        return;
    if (pages >= m->src_set_pages) {
        bits_set(m->log, 0, m->src_set_pages);
        m->src_cursor = (m->src_cursor + pages) % m->src_set_pages;
        return;
    }
    uint64_t end = m->src_cursor + pages;
    if (end <= m->src_set_pages) {
        bits_set(m->log, m->src_cursor, end);
    } else {
        bits_set(m->log, m->src_cursor, m->src_set_pages);
        bits_set(m->log, 0, end - m->src_set_pages);
    }
    m->src_cursor = end % m->src_set_pages;
}

void migrate_set_dirtying(migrate *m, double bytes_per_s, uint64_t set_bytes, uint64_t t_ps)
{
    source_advance(m, t_ps);
    if (set_bytes > m->c.mem_bytes)
        set_bytes = m->c.mem_bytes;
    m->src_rate = bytes_per_s > 0 ? bytes_per_s : 0;
    m->src_set_pages = set_bytes / m->c.page_bytes;
    if (m->src_set_pages)
        m->src_cursor %= m->src_set_pages;
    if (t_ps > m->src_t_ps)
        m->src_t_ps = t_ps;
}

/* ---------------------------------------------------------------- the migration thread */

static uint64_t page_wire(const migrate *m) { return m->c.page_bytes + m->c.header_bytes; }

static uint64_t link_ps(const migrate *m, uint64_t bytes)
{
    /* 1 Gb/s is one bit per ns. */
    return (uint64_t)llround((double)bytes * 8000.0 / m->c.link_gbps);
}

static void round_begin(migrate *m, uint64_t t_ps)
{
    if (m->nrounds == m->rounds_cap) {
        m->rounds_cap = m->rounds_cap ? 2 * m->rounds_cap : 16;
        m->rounds = sim_xreallocarray(m->rounds, m->rounds_cap, sizeof *m->rounds);
    }
    m->rounds[m->nrounds++] =
        (migrate_round){.start_ps = t_ps, .to_send_bytes = m->ntodo * m->c.page_bytes};
    m->r.rounds = m->nrounds;
}

static void round_end(migrate *m, uint64_t t_ps, uint64_t dirtied_pages)
{
    migrate_round *rd = &m->rounds[m->nrounds - 1];
    rd->end_ps = t_ps;
    rd->dirtied_bytes = dirtied_pages * m->c.page_bytes;
    rd->dirty_rate =
        t_ps > rd->start_ps ? (double)rd->dirtied_bytes * 1e12 / (double)(t_ps - rd->start_ps) : 0;
    sim_hist_add(m->h_round_bytes, rd->sent_bytes);
    sim_hist_add(m->h_round_rate, (uint64_t)llround(rd->dirty_rate));
}

/* Auto-converge's evaluation at a sync (migration_trigger_throttle). */
static void throttle_check(migrate *m, uint64_t t_ps)
{
    if (t_ps <= m->period_start_ps + RATE_PERIOD_PS)
        return;
    if (m->c.auto_converge) {
        uint64_t sent = m->sent_total - m->period_sent_prev;
        uint64_t dirtied = m->period_dirty_pages * m->c.page_bytes;
        if (dirtied > sent * m->c.trigger_pct / 100 && ++m->high_count >= 2) {
            m->high_count = 0;
            uint64_t pct =
                m->throttle_pct ? m->throttle_pct + m->c.increment_pct : m->c.initial_pct;
            m->throttle_pct = pct < m->c.max_pct ? pct : m->c.max_pct;
            m->r.throttle_steps++;
            m->r.throttle_pct = m->throttle_pct;
        }
    }
    m->period_start_ps = t_ps;
    m->period_dirty_pages = 0;
    m->period_sent_prev = m->sent_total;
}

/* The dirty log into the set to send, at t: returns the sync's cost, *added the pages
 * that joined the set. */
static uint64_t dirty_sync(migrate *m, uint64_t t_ps, bool last, uint64_t *added)
{
    source_advance(m, t_ps);
    for (unsigned i = 0; i < m->nsrcs; i++)
        if (m->c.untracked == UNTRACKED_ALL_DIRTY && untracked_at(m, &m->srcs[i], t_ps))
            bits_set(m->log, 0, m->npages);
    uint64_t logged = 0, joined = 0;
    for (uint64_t w = 0; w < m->nwords; w++) {
        uint64_t l = m->log[w];
        if (!l)
            continue;
        logged += (uint64_t)__builtin_popcountll(l);
        joined += (uint64_t)__builtin_popcountll(l & ~m->todo[w]);
        m->todo[w] |= l;
        m->log[w] = 0;
    }
    m->ntodo += joined;
    *added = joined;
    m->last_sync_ps = t_ps;
    m->dirty_last_sync_bytes = m->ntodo * m->c.page_bytes;
    m->period_dirty_pages += joined;
    if (!last)
        throttle_check(m, t_ps);
    double gib = (double)m->c.mem_bytes / GIB;
    uint64_t cost = (uint64_t)llround(gib * m->c.sync_us_per_gib * 1e6 +
                                      (double)logged * m->c.reprotect_ns_per_page * 1e3);
    m->r.syncs++;
    m->r.sync_ps += cost;
    return cost;
}

static void count_sent(migrate *m, uint64_t pages, uint64_t extra_bytes)
{
    uint64_t bytes = pages * page_wire(m) + extra_bytes;
    m->r.pages_sent += pages;
    m->r.bytes_sent += bytes;
    m->sent_total += bytes;
}

/* The VM stops at t: the last sync, the rest and the device state at the channel's rate. */
static void stop_and_copy(migrate *m, uint64_t t_ps)
{
    source_advance(m, t_ps);
    m->st = MIGRATE_STOPPED;
    m->stop_ps = t_ps;
    m->r.stop_ps = t_ps;
    uint64_t added;
    uint64_t cost = dirty_sync(m, t_ps, true, &added);
    uint64_t pages = m->ntodo;
    take_pages(m, pages);
    assert(m->ntodo == 0);
    count_sent(m, pages, m->c.device_state_bytes);
    m->r.final_bytes = pages * page_wire(m) + m->c.device_state_bytes;
    m->resume_ps = t_ps + cost + link_ps(m, m->r.final_bytes) + m->c.latency_ps;
    m->r.resume_ps = m->resume_ps;
    m->r.downtime_ps = m->resume_ps - t_ps;
    m->r.total_ps = m->resume_ps - m->r.start_ps;
    if (m->stale)
        m->r.lost_pages = bits_count(m->stale, m->nwords);
    m->throttle_pct = 0;
    sim_event_notify_at(m->ev, m->resume_ps);
    if (m->obs)
        m->obs(m->obs_ctx, MIGRATE_STOPPED, t_ps);
}

/* The window's end (migration_update_counters): measured bandwidth, threshold, QEMU's
 * expected downtime. */
static void window_close(migrate *m, uint64_t t_ps)
{
    uint64_t spent = t_ps - m->win_start_ps;
    m->bw_bytes_per_ps = (double)m->win_bytes / (double)spent;
    /* In integers: a threshold on a page boundary stays on it. */
    m->threshold = (uint64_t)((unsigned __int128)m->win_bytes * m->c.downtime_limit_ps / spent);
    m->r.threshold_bytes = m->threshold;
    if (m->nrounds > 1 && m->win_bytes > ESTIMATE_MIN_BYTES)
        m->r.expected_downtime_ps =
            (uint64_t)llround((double)m->dirty_last_sync_bytes / m->bw_bytes_per_ps);
    m->win_start_ps = t_ps;
    m->win_bytes = 0;
}

/* One pass of the migration thread at t (migration_iteration_run, ram_save_iterate). */
static void active_step(migrate *m, uint64_t t_ps)
{
    if (t_ps >= m->win_start_ps + WINDOW_PS)
        window_close(m, t_ps);
    uint64_t pending = m->ntodo * m->c.page_bytes;
    bool periodic = m->c.auto_converge && m->c.throttle_sync_ps && m->nrounds > 1 &&
                    t_ps >= m->last_sync_ps + m->c.throttle_sync_ps;
    uint64_t cost = 0;
    bool synced = false;
    if (pending < m->threshold || periodic) {
        uint64_t added;
        cost = dirty_sync(m, t_ps, false, &added);
        round_end(m, t_ps, added);
        pending = m->ntodo * m->c.page_bytes;
        synced = true;
    }
    bool rounds_done = synced && m->c.max_rounds && m->nrounds >= m->c.max_rounds;
    if (!pending || pending < m->threshold || rounds_done) {
        stop_and_copy(m, t_ps + cost);
        return;
    }
    if (synced)
        round_begin(m, t_ps);
    uint64_t t = t_ps + cost;
    double budget = m->c.max_bw_mib_s * 1024.0 * 1024.0 * ((double)WINDOW_PS / 1e12);
    uint64_t wire = page_wire(m);
    uint64_t next = m->win_start_ps + WINDOW_PS;
    if ((double)m->win_bytes < budget) {
        uint64_t n = (uint64_t)ceil((budget - (double)m->win_bytes) / (double)wire);
        uint64_t burst = (uint64_t)((double)BURST_PS * m->c.link_gbps / 8000.0) / wire;
        if (burst < 1)
            burst = 1;
        if (n > burst)
            n = burst;
        n = take_pages(m, n);
        count_sent(m, n, 0);
        m->win_bytes += n * wire;
        m->rounds[m->nrounds - 1].sent_bytes += n * wire;
        uint64_t done = t + link_ps(m, n * wire);
        if ((double)m->win_bytes < budget || done > next)
            next = done;
    } else if (t > next) {
        next = t;
    }
    sim_event_notify_at(m->ev, next);
}

static void on_step(void *ctx)
{
    migrate *m = ctx;
    uint64_t t = sim_now_ps(m->k);
    switch (m->st) {
    case MIGRATE_SETUP:
        /* Logging is on; every page is to be sent (the setup's sync). */
        m->st = MIGRATE_ACTIVE;
        source_advance(m, t);
        memset(m->log, 0, m->nwords * sizeof *m->log);
        bits_set(m->todo, 0, m->npages);
        m->ntodo = m->npages;
        m->win_start_ps = t;
        m->last_sync_ps = t;
        m->period_start_ps = t;
        m->r.syncs++;
        round_begin(m, t);
        active_step(m, t);
        break;
    case MIGRATE_ACTIVE: active_step(m, t); break;
    case MIGRATE_STOPPED:
        m->st = MIGRATE_DONE;
        if (m->obs)
            m->obs(m->obs_ctx, MIGRATE_DONE, t);
        break;
    default: break;
    }
    publish(m);
}

void migrate_set_observer(migrate *m, migrate_observer_fn fn, void *ctx)
{
    m->obs = fn;
    m->obs_ctx = ctx;
}

int migrate_start(migrate *m, uint64_t t_ps, sim_err *e)
{
    if (m->st != MIGRATE_IDLE)
        return sim_err_set(e, "migration already started");
    if (migrate_check(m, e) < 0)
        return -1;
    uint64_t now = sim_now_ps(m->k);
    if (t_ps < now)
        t_ps = now;
    source_advance(m, t_ps);
    m->st = MIGRATE_SETUP;
    m->r.start_ps = t_ps;
    double gib = (double)m->c.mem_bytes / GIB;
    uint64_t setup = (uint64_t)llround(gib * m->c.sync_us_per_gib * 1e6);
    m->r.sync_ps += setup;
    sim_event_notify_at(m->ev, t_ps + setup);
    publish(m);
    return 0;
}

/* ---------------------------------------------------------------- queries */

bool migrate_vm_running(const migrate *m, uint64_t t_ps)
{
    if (m->st < MIGRATE_STOPPED)
        return true;
    return t_ps < m->stop_ps || t_ps >= m->resume_ps;
}

double migrate_cpu_share(const migrate *m, uint64_t t_ps)
{
    (void)t_ps;
    return m->st == MIGRATE_ACTIVE ? 1.0 - (double)m->throttle_pct / 100.0 : 1.0;
}

migrate_state migrate_get_state(const migrate *m) { return m->st; }
const migrate_result *migrate_get_result(const migrate *m) { return &m->r; }
size_t migrate_rounds(const migrate *m) { return m->nrounds; }

const migrate_round *migrate_round_at(const migrate *m, size_t i)
{
    return i < m->nrounds ? &m->rounds[i] : NULL;
}

uint64_t migrate_threshold_bytes(const migrate *m) { return m->threshold; }
uint64_t migrate_pending_bytes(const migrate *m) { return m->ntodo * m->c.page_bytes; }
