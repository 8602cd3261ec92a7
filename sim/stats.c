/* Statistics registry and log-linear histograms (see sim/stats.h).
 *
 * Histogram layout (HDR-style, 7 sub-bucket bits). A sample v with its highest set bit
 * at position m falls in bucket
 *     shift = max(m - 7, 0),   index = shift * 128 + (v >> shift)
 * so every value below 256 has a bucket of its own (exact), and each power-of-two range
 * [2^m, 2^(m+1)) above that is split into 128 buckets of width 2^(m-7): a bucket is at
 * most 1/128 of its lower bound wide. Reporting the bucket's midpoint is therefore
 * within 1/256 (0.4%) of any sample in it. 58 * 128 buckets cover all of uint64_t in
 * one 58 KiB array per histogram; calloc leaves untouched pages unmapped on Linux, so a
 * histogram of latencies in one range costs a few pages of real memory.
 *
 * Quantile definition: for q in [0,1] and n samples, the q-quantile is the smallest
 * sample value v such that at least r = max(1, ceil(q * n)) samples are <= v (the
 * r-th smallest sample; q = 0 gives the minimum, q = 1 the maximum). The histogram
 * finds the bucket holding that sample exactly and reports the bucket's midpoint,
 * clamped to the observed [min, max]; exact buckets report the sample itself, and
 * ranks 1 and n report the exact minimum and maximum. */
#include "sim/stats.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"

#define HIST_SUB_BITS 7u
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS ((64u - HIST_SUB_BITS + 1u) * HIST_SUB)

struct sim_hist {
    uint64_t count;
    uint64_t min; /* UINT64_MAX while empty */
    uint64_t max;
    /* Exact: 10^5 samples of ~2^63 ps already overflow 64 bits. */
    unsigned __int128 sum;
    uint64_t buckets[HIST_BUCKETS];
};

typedef enum stat_kind { STAT_COUNTER, STAT_VALUE, STAT_HIST, STAT_DERIVED, STAT_BUSY } stat_kind;

typedef struct stat_entry {
    stat_kind kind;
    bool metric;
    bool gauge;
    const char *name; /* name, desc and unit: copies in the registry's string pool */
    size_t name_hash; /* of name: the table is rebuilt as it grows, without hashing again */
    const char *desc;
    const char *unit; /* histograms and metrics */
    uint64_t *slots; /* busy times of a sampled run: the registry's intervals array */
    union {
        uint64_t *counter;
        double *value;
        sim_busy *busy;
        sim_hist *hist;
        struct {
            sim_derived_fn fn;
            void *ctx;
            bool owns_ctx; /* freed with the entry */
        } derived;
    } u;
} stat_entry;

/* A block of the string pool: the registry's names, descriptions and units are copied
 * into blocks freed together, not allocated one by one (a nic point registers 2,000
 * statistics: a malloc and a free for each string were 6% of its set-up). */
typedef struct str_block {
    struct str_block *next;
    char text[];
} str_block;

#define STR_BLOCK_BYTES 16384u

struct sim_stats {
    stat_entry *entries; /* registration order */
    size_t n, cap;
    size_t nhists; /* of them histograms: without one no name is a summary line */
    str_block *strings; /* the pool's blocks, the newest first */
    char *str_next;     /* the newest block's free part */
    size_t str_left;
    size_t *metrics; /* indices into entries, registration order */
    size_t nmetrics, metrics_cap;
    /* Open-addressing name index: entry index + 1, 0 = empty slot. Registration
     * checks every name for duplicates, so a linear scan would make registering a
     * large system quadratic. */
    size_t *table;
    size_t table_cap; /* power of two */
    uint64_t start_ps, end_ps;
    bool ended;
    uint64_t window[2]; /* what busy times count in: the plan, or [start, no end) */
    bool planned;
    uint64_t slot_ps;   /* sampled: the intervals' length (0: not sampled) */
    size_t nslots;      /* ... and how many the window holds */
    sim_mark *marks;    /* recorded order; labels owned */
    size_t nmarks, marks_cap;
    struct {
        sim_stats_sync_fn fn;
        void *ctx;
    } *syncs; /* sim_stats_on_sync, registration order */
    size_t nsyncs;
};

void sim_stats_on_sync(sim_stats *s, sim_stats_sync_fn fn, void *ctx)
{
    s->syncs = sim_xrealloc(s->syncs, (s->nsyncs + 1) * sizeof *s->syncs);
    s->syncs[s->nsyncs].fn = fn;
    s->syncs[s->nsyncs].ctx = ctx;
    s->nsyncs++;
}

static void sync_all(sim_stats *s, uint64_t now_ps)
{
    for (size_t i = 0; i < s->nsyncs; i++)
        s->syncs[i].fn(s->syncs[i].ctx, now_ps);
}

/* The summary lines a histogram expands to, in output order. */
enum { HS_COUNT, HS_MEAN, HS_MIN, HS_P50, HS_P99, HS_P999, HS_MAX, HS_N };
_Static_assert(HS_N == SIM_STATS_HIST_LINES, "one suffix per summary line");
const char *const sim_stats_hist_suffix[SIM_STATS_HIST_LINES] = {"count", "mean", "min", "p50",
                                                                  "p99",   "p999", "max"};
static const char *const hist_what[HS_N] = {"samples", "mean", "minimum", "median",
                                            "99th percentile", "99.9th percentile", "maximum"};

/* ---------------------------------------------------------------- histograms */

static inline unsigned hist_index(uint64_t v)
{
    unsigned m = 63u - (unsigned)__builtin_clzll(v | 1u);
    unsigned shift = m > HIST_SUB_BITS ? m - HIST_SUB_BITS : 0u;
    return (shift << HIST_SUB_BITS) + (unsigned)(v >> shift);
}

static void hist_bounds(unsigned idx, uint64_t *lo, uint64_t *hi)
{
    if (idx < 2u * HIST_SUB) {
        *lo = *hi = idx;
        return;
    }
    unsigned shift = (idx >> HIST_SUB_BITS) - 1u;
    uint64_t sub = idx - (shift << HIST_SUB_BITS);
    *lo = sub << shift;
    *hi = *lo + ((UINT64_C(1) << shift) - 1u);
}

static sim_hist *hist_create(void)
{
    sim_hist *h = sim_xcalloc(1, sizeof *h);
    h->min = UINT64_MAX;
    return h;
}

void sim_hist_add(sim_hist *h, uint64_t sample)
{
    h->buckets[hist_index(sample)]++;
    h->count++;
    h->sum += sample;
    if (sample < h->min)
        h->min = sample;
    if (sample > h->max)
        h->max = sample;
}

void sim_hist_add_n(sim_hist *h, uint64_t sample, uint64_t n)
{
    if (n == 0)
        return;
    h->buckets[hist_index(sample)] += n;
    h->count += n;
    h->sum += (unsigned __int128)sample * n;
    if (sample < h->min)
        h->min = sample;
    if (sample > h->max)
        h->max = sample;
}

uint64_t sim_hist_count(const sim_hist *h) { return h->count; }
uint64_t sim_hist_min(const sim_hist *h) { return h->count ? h->min : 0; }
uint64_t sim_hist_max(const sim_hist *h) { return h->count ? h->max : 0; }

double sim_hist_mean(const sim_hist *h)
{
    if (!h->count)
        return 0.0;
    return (double)((long double)h->sum / (long double)h->count);
}

/* r = ceil(q * n), except that a product within rounding error of an integer counts
 * as that integer: 0.07 * 100 is 7.000000000000001 in binary and must give rank 7. */
static uint64_t quantile_rank(double q, uint64_t n)
{
    if (!(q > 0.0)) /* also NaN */
        return 1;
    if (q >= 1.0)
        return n;
    double x = q * (double)n;
    double nearest = floor(x + 0.5);
    /* q carries at most half an ulp of error and the product another half. */
    double tolerance = 4.0 * DBL_EPSILON * (x > 1.0 ? x : 1.0);
    double r = fabs(x - nearest) <= tolerance ? nearest : ceil(x);
    if (r < 1.0)
        return 1;
    if (r >= (double)n)
        return n;
    return (uint64_t)r;
}

double sim_hist_quantile(const sim_hist *h, double q)
{
    if (!h->count)
        return 0.0;
    uint64_t rank = quantile_rank(q, h->count);
    /* The extremes are known exactly; a bucket's midpoint would be up to 0.4% off. */
    if (rank == 1)
        return (double)h->min;
    if (rank == h->count)
        return (double)h->max;
    unsigned first = hist_index(h->min), last = hist_index(h->max);
    uint64_t seen = 0;
    unsigned i = first;
    for (; i < last; i++) {
        seen += h->buckets[i];
        if (seen >= rank)
            break;
    }
    uint64_t lo, hi;
    hist_bounds(i, &lo, &hi);
    if (lo < h->min)
        lo = h->min;
    if (hi > h->max)
        hi = h->max;
    return (double)lo + (double)(hi - lo) / 2.0;
}

void sim_hist_foreach(const sim_hist *h, void (*fn)(uint64_t lo, uint64_t hi, uint64_t n, void *ctx),
                      void *ctx)
{
    if (!h->count)
        return;
    unsigned last = hist_index(h->max);
    for (unsigned i = hist_index(h->min); i <= last; i++) {
        if (!h->buckets[i])
            continue;
        uint64_t lo, hi;
        hist_bounds(i, &lo, &hi);
        fn(lo, hi, h->buckets[i], ctx);
    }
}

void sim_hist_reset(sim_hist *h)
{
    /* Only the occupied span is dirty; clearing it keeps untouched pages unmapped. */
    if (h->count) {
        unsigned first = hist_index(h->min), last = hist_index(h->max);
        memset(&h->buckets[first], 0, (size_t)(last - first + 1u) * sizeof h->buckets[0]);
    }
    h->count = 0;
    h->sum = 0;
    h->min = UINT64_MAX;
    h->max = 0;
}

/* ---------------------------------------------------------------- registry */

sim_stats *sim_stats_create(void)
{
    sim_stats *s = sim_xcalloc(1, sizeof(sim_stats));
    s->window[1] = UINT64_MAX;
    return s;
}

void sim_stats_destroy(sim_stats *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        stat_entry *e = &s->entries[i];
        if (e->kind == STAT_HIST)
            free(e->u.hist);
        free(e->slots);
        if (e->kind == STAT_DERIVED && e->u.derived.owns_ctx)
            free(e->u.derived.ctx);
    }
    free(s->entries);
    free(s->metrics);
    free(s->table);
    for (str_block *b = s->strings, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    for (size_t i = 0; i < s->nmarks; i++)
        free((char *)s->marks[i].label);
    free(s->marks);
    free(s->syncs);
    free(s);
}

static size_t name_hash(const char *name, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 0x100000001b3ull;
    return (size_t)h;
}

/* A copy of str in the string pool. */
static const char *pool_dup(sim_stats *s, const char *str)
{
    size_t len = strlen(str) + 1;
    if (len > s->str_left) {
        size_t cap = len > STR_BLOCK_BYTES ? len : STR_BLOCK_BYTES;
        str_block *b = sim_xmalloc(sizeof *b + cap);
        b->next = s->strings;
        s->strings = b;
        s->str_next = b->text;
        s->str_left = cap;
    }
    char *d = memcpy(s->str_next, str, len);
    s->str_next += len;
    s->str_left -= len;
    return d;
}

/* The entry named by the first `len` bytes of `name`, whose hash is h, or NULL. */
static stat_entry *find_entry_hashed(const sim_stats *s, const char *name, size_t len, size_t h)
{
    if (!s->table_cap)
        return NULL;
    size_t mask = s->table_cap - 1;
    for (size_t slot = h & mask;; slot = (slot + 1) & mask) {
        size_t v = s->table[slot];
        if (!v)
            return NULL;
        stat_entry *e = &s->entries[v - 1];
        if (e->name_hash == h && strncmp(e->name, name, len) == 0 && e->name[len] == '\0')
            return e;
    }
}

/* The entry named by the first `len` bytes of `name`, or NULL. */
static stat_entry *find_entry(const sim_stats *s, const char *name, size_t len)
{
    return find_entry_hashed(s, name, len, name_hash(name, len));
}

static void table_insert(sim_stats *s, size_t idx)
{
    size_t mask = s->table_cap - 1;
    size_t slot = s->entries[idx].name_hash & mask;
    while (s->table[slot])
        slot = (slot + 1) & mask;
    s->table[slot] = idx + 1;
}

/* The histogram whose summary line `name` is ("lat.p99" -> lat, HS_P99), or NULL. */
static const stat_entry *find_hist_summary(const sim_stats *s, const char *name, int *which)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return NULL;
    for (int k = 0; k < HS_N; k++) {
        /* The first letter rules out most names without a call (registration asks
         * this of every name). */
        if (dot[1] != sim_stats_hist_suffix[k][0] || strcmp(dot + 1, sim_stats_hist_suffix[k]) != 0)
            continue;
        const stat_entry *e = find_entry(s, name, (size_t)(dot - name));
        if (e && e->kind == STAT_HIST) {
            *which = k;
            return e;
        }
        return NULL;
    }
    return NULL;
}

/* A name is unique among registered names and among the summary lines histograms
 * expand to, since both share the output and sim_stats_get's namespace. `len` and `h`
 * are the name's length and hash. */
static bool name_taken(const sim_stats *s, const char *name, size_t len, size_t h,
                       stat_kind kind)
{
    if (find_entry_hashed(s, name, len, h))
        return true;
    int which;
    if (s->nhists && find_hist_summary(s, name, &which))
        return true;
    bool taken = false;
    if (kind == STAT_HIST) {
        char *buf = sim_xrealloc(NULL, len + 8); /* ".p999" is the longest suffix */
        for (int k = 0; k < HS_N && !taken; k++) {
            int n = snprintf(buf, len + 8, "%s.%s", name, sim_stats_hist_suffix[k]);
            taken = find_entry(s, buf, (size_t)n) != NULL;
        }
        free(buf);
    }
    return taken;
}

static stat_entry *add_entry(sim_stats *s, stat_kind kind, const char *name, const char *desc)
{
    assert(s && name && name[0]);
    size_t len = strlen(name), h = name_hash(name, len);
    bool dup = name_taken(s, name, len, h, kind);
    assert(!dup && "duplicate stat name");
    (void)dup;

    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 32;
        s->entries = sim_xrealloc(s->entries, s->cap * sizeof *s->entries);
    }
    /* Keep the table at most half full so probes stay short. */
    if (2 * (s->n + 1) > s->table_cap) {
        free(s->table);
        s->table_cap = s->table_cap ? 2 * s->table_cap : 64;
        s->table = sim_xrealloc(NULL, s->table_cap * sizeof *s->table);
        memset(s->table, 0, s->table_cap * sizeof *s->table);
        for (size_t i = 0; i < s->n; i++)
            table_insert(s, i);
    }
    stat_entry *e = &s->entries[s->n];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->name = pool_dup(s, name);
    e->name_hash = h;
    e->desc = pool_dup(s, desc ? desc : "");
    table_insert(s, s->n);
    s->n++;
    return e;
}

void sim_stats_counter(sim_stats *s, const char *name, uint64_t *counter, const char *desc)
{
    assert(counter);
    add_entry(s, STAT_COUNTER, name, desc)->u.counter = counter;
}

void sim_stats_value(sim_stats *s, const char *name, double *value, const char *desc)
{
    assert(value);
    add_entry(s, STAT_VALUE, name, desc)->u.value = value;
}

void sim_stats_busy(sim_stats *s, const char *name, sim_busy *b, const char *desc)
{
    assert(b);
    b->window = s->window;
    stat_entry *e = add_entry(s, STAT_BUSY, name, desc);
    e->u.busy = b;
    if (s->slot_ps) {
        e->slots = sim_xcalloc(s->nslots, sizeof *e->slots);
        b->slots = e->slots;
        b->slot_ps = &s->slot_ps;
    }
}

void sim_busy_slots_add(sim_busy *b, uint64_t lo_ps, uint64_t hi_ps)
{
    uint64_t start = b->window[0], len = *b->slot_ps;
    for (uint64_t k = (lo_ps - start) / len; lo_ps < hi_ps; k++) {
        uint64_t slot_end = start + (k + 1) * len;
        uint64_t part_end = hi_ps < slot_end ? hi_ps : slot_end;
        b->slots[k] += part_end - lo_ps;
        lo_ps = part_end;
    }
}

sim_hist *sim_stats_hist(sim_stats *s, const char *name, const char *unit, const char *desc)
{
    stat_entry *e = add_entry(s, STAT_HIST, name, desc);
    s->nhists++;
    e->unit = pool_dup(s, unit ? unit : "");
    e->u.hist = hist_create();
    return e->u.hist;
}

static stat_entry *add_derived(sim_stats *s, const char *name, sim_derived_fn fn, void *ctx,
                               const char *desc)
{
    assert(fn);
    stat_entry *e = add_entry(s, STAT_DERIVED, name, desc);
    e->u.derived.fn = fn;
    e->u.derived.ctx = ctx;
    return e;
}

void sim_stats_derived(sim_stats *s, const char *name, sim_derived_fn fn, void *ctx,
                       const char *desc)
{
    add_derived(s, name, fn, ctx, desc);
}

void sim_stats_gauge(sim_stats *s, const char *name, sim_derived_fn fn, void *ctx,
                     const char *desc)
{
    add_derived(s, name, fn, ctx, desc)->gauge = true;
}

size_t sim_stats_gauges(const sim_stats *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->entries[i].gauge;
    return n;
}

const char *sim_stats_gauge_name(const sim_stats *s, size_t i)
{
    for (size_t k = 0; k < s->n; k++)
        if (s->entries[k].gauge && i-- == 0)
            return s->entries[k].name;
    return NULL;
}

static stat_entry *add_metric(sim_stats *s, const char *name, const char *unit,
                              sim_derived_fn fn, void *ctx, const char *desc)
{
    stat_entry *e = add_derived(s, name, fn, ctx, desc);
    e->metric = true;
    e->unit = pool_dup(s, unit ? unit : "");
    if (s->nmetrics == s->metrics_cap) {
        s->metrics_cap = s->metrics_cap ? 2 * s->metrics_cap : 16;
        s->metrics = sim_xrealloc(s->metrics, s->metrics_cap * sizeof *s->metrics);
    }
    s->metrics[s->nmetrics++] = (size_t)(e - s->entries);
    return e;
}

void sim_stats_metric(sim_stats *s, const char *name, const char *unit, sim_derived_fn fn,
                      void *ctx, const char *desc)
{
    add_metric(s, name, unit, fn, ctx, desc);
}

typedef struct hist_metric {
    const sim_hist *h;
    double q; /* the quantile, or HIST_MEAN */
    double divisor;
} hist_metric;
#define HIST_MEAN (-1.0)

static double hist_metric_value(const sim_stats *s, void *ctx)
{
    (void)s;
    const hist_metric *m = ctx;
    if (!sim_hist_count(m->h))
        return NAN;
    return (m->q == HIST_MEAN ? sim_hist_mean(m->h) : sim_hist_quantile(m->h, m->q)) / m->divisor;
}

static void add_hist_metric(sim_stats *s, const char *name, const char *unit, const sim_hist *h,
                            double q, double divisor, const char *desc)
{
    assert(h && divisor > 0);
    hist_metric *m = sim_xmalloc(sizeof *m);
    *m = (hist_metric){h, q, divisor};
    add_metric(s, name, unit, hist_metric_value, m, desc)->u.derived.owns_ctx = true;
}

void sim_stats_quantile_metric(sim_stats *s, const char *name, const char *unit,
                               const sim_hist *h, double q, double divisor, const char *desc)
{
    assert(q >= 0 && q <= 1);
    add_hist_metric(s, name, unit, h, q, divisor, desc);
}

void sim_stats_mean_metric(sim_stats *s, const char *name, const char *unit, const sim_hist *h,
                           double divisor, const char *desc)
{
    add_hist_metric(s, name, unit, h, HIST_MEAN, divisor, desc);
}

/* ---------------------------------------------------------------- window */

void sim_stats_plan(sim_stats *s, uint64_t start_ps, uint64_t end_ps)
{
    assert(start_ps <= end_ps);
    s->window[0] = start_ps;
    s->window[1] = end_ps;
    s->planned = true;
}

void sim_stats_start(sim_stats *s, uint64_t now_ps)
{
    sync_all(s, now_ps);
    if (!s->planned)
        s->window[0] = now_ps;
    for (size_t i = 0; i < s->n; i++) {
        stat_entry *e = &s->entries[i];
        switch (e->kind) {
        case STAT_COUNTER:
            *e->u.counter = 0;
            break;
        case STAT_BUSY:
            /* Planned, the window part of work booked so far is already in place. */
            e->u.busy->booked_ps = 0;
            if (!s->planned)
                e->u.busy->window_ps = 0;
            break;
        case STAT_VALUE:
            *e->u.value = 0.0;
            break;
        case STAT_HIST:
            sim_hist_reset(e->u.hist);
            break;
        case STAT_DERIVED:
            break;
        }
    }
    s->start_ps = now_ps;
    s->end_ps = now_ps;
    s->ended = false;
}

void sim_stats_end(sim_stats *s, uint64_t now_ps)
{
    sync_all(s, now_ps);
    s->end_ps = now_ps;
    s->ended = true;
}

uint64_t sim_stats_elapsed_ps(const sim_stats *s)
{
    if (!s->ended || s->end_ps < s->start_ps)
        return 0;
    return s->end_ps - s->start_ps;
}

/* ---------------------------------------------------------------- sample intervals */

void sim_stats_sample_plan(sim_stats *s, uint64_t slot_ps)
{
    assert(s->planned && slot_ps > 0 && s->n == 0);
    s->slot_ps = slot_ps;
    uint64_t span = s->window[1] - s->window[0];
    s->nslots = (size_t)(span / slot_ps + 1); /* a partial last interval, and one spare */
}

/* Per entry: the value at the snapshot (counters, values, busy slot index) or the
 * histogram as it was; while an interval is read, the live value it replaced. */
typedef struct snap_entry {
    uint64_t u64, saved_u64;
    double dbl, saved_dbl;
    sim_hist *hist;
    uint64_t saved_min, saved_max;
} snap_entry;

struct sim_stats_snapshot {
    size_t n;
    uint64_t t_ps;
    snap_entry *e;
    uint64_t saved_start, saved_end;
    bool saved_ended;
};

sim_stats_snapshot *sim_stats_snapshot_create(const sim_stats *s)
{
    sim_stats_snapshot *m = sim_xcalloc(1, sizeof *m);
    m->n = s->n;
    m->e = sim_xcalloc(s->n ? s->n : 1, sizeof *m->e);
    for (size_t i = 0; i < s->n; i++)
        if (s->entries[i].kind == STAT_HIST)
            m->e[i].hist = hist_create();
    return m;
}

void sim_stats_snapshot_destroy(sim_stats_snapshot *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->e[i].hist);
    free(m->e);
    free(m);
}

/* dst = src, touching only the buckets either occupies. */
static void hist_copy(sim_hist *dst, const sim_hist *src)
{
    sim_hist_reset(dst);
    if (src->count) {
        unsigned first = hist_index(src->min), last = hist_index(src->max);
        memcpy(&dst->buckets[first], &src->buckets[first],
               (size_t)(last - first + 1u) * sizeof src->buckets[0]);
    }
    dst->count = src->count;
    dst->sum = src->sum;
    dst->min = src->min;
    dst->max = src->max;
}

/* The interval's part of h: h minus what it held at the snapshot (sign -1), or back (+1);
 * the interval's extremes are those of its occupied buckets. */
static void hist_shift(sim_hist *h, const sim_hist *snap, int sign, snap_entry *me)
{
    if (snap->count) {
        unsigned first = hist_index(snap->min), last = hist_index(snap->max);
        for (unsigned i = first; i <= last; i++)
            h->buckets[i] = sign < 0 ? h->buckets[i] - snap->buckets[i]
                                     : h->buckets[i] + snap->buckets[i];
    }
    if (sign > 0) {
        h->count += snap->count;
        h->sum += snap->sum;
        h->min = me->saved_min;
        h->max = me->saved_max;
        return;
    }
    me->saved_min = h->min;
    me->saved_max = h->max;
    h->count -= snap->count;
    h->sum -= snap->sum;
    h->min = UINT64_MAX;
    h->max = 0;
    if (!h->count)
        return;
    unsigned first = hist_index(me->saved_min), last = hist_index(me->saved_max);
    uint64_t lo, hi;
    unsigned i = first;
    while (!h->buckets[i])
        i++;
    hist_bounds(i, &lo, &hi);
    h->min = lo;
    for (i = last; !h->buckets[i]; i--)
        ;
    hist_bounds(i, &lo, &hi);
    h->max = hi;
}

/* The interval holding t_ps; with `round_up`, the first starting at or after it (the end
 * of a range that stops inside an interval: the window's last, shorter one, or where a
 * model stopped the run). */
static size_t slot_of(const sim_stats *s, uint64_t t_ps, bool round_up)
{
    uint64_t d = t_ps > s->window[0] ? t_ps - s->window[0] : 0;
    uint64_t k = d / s->slot_ps + (round_up && d % s->slot_ps);
    return k < s->nslots ? (size_t)k : s->nslots;
}

/* Room for statistics registered since the snapshot was made (a VF enabled mid-run
 * registers its counters). */
static void snapshot_grow(const sim_stats *s, sim_stats_snapshot *m)
{
    if (m->n == s->n)
        return;
    m->e = sim_xrealloc(m->e, s->n * sizeof *m->e);
    memset(m->e + m->n, 0, (s->n - m->n) * sizeof *m->e);
    for (size_t i = m->n; i < s->n; i++)
        if (s->entries[i].kind == STAT_HIST)
            m->e[i].hist = hist_create();
    m->n = s->n;
}

void sim_stats_snapshot_take(const sim_stats *s, sim_stats_snapshot *m, uint64_t now_ps)
{
    snapshot_grow(s, m);
    m->t_ps = now_ps;
    for (size_t i = 0; i < s->n; i++) {
        const stat_entry *e = &s->entries[i];
        snap_entry *me = &m->e[i];
        switch (e->kind) {
        case STAT_COUNTER: me->u64 = *e->u.counter; break;
        case STAT_VALUE: me->dbl = *e->u.value; break;
        case STAT_HIST: hist_copy(me->hist, e->u.hist); break;
        case STAT_BUSY: me->u64 = s->slot_ps ? slot_of(s, now_ps, false) : 0; break;
        case STAT_DERIVED: break;
        }
    }
}

void sim_stats_interval_begin(sim_stats *s, sim_stats_snapshot *m, uint64_t now_ps)
{
    sync_all(s, now_ps);
    size_t to = s->slot_ps ? slot_of(s, now_ps, true) : 0;
    /* Statistics registered since the snapshot read as they are (from 0 at registration). */
    for (size_t i = 0; i < m->n; i++) {
        stat_entry *e = &s->entries[i];
        snap_entry *me = &m->e[i];
        switch (e->kind) {
        case STAT_COUNTER:
            me->saved_u64 = *e->u.counter;
            *e->u.counter -= me->u64;
            break;
        case STAT_VALUE:
            me->saved_dbl = *e->u.value;
            *e->u.value -= me->dbl;
            break;
        case STAT_HIST: hist_shift(e->u.hist, me->hist, -1, me); break;
        case STAT_BUSY: {
            sim_busy *b = e->u.busy;
            me->saved_u64 = b->window_ps;
            b->window_ps = 0;
            for (size_t k = (size_t)me->u64; e->slots && k < to; k++)
                b->window_ps += e->slots[k];
            break;
        }
        case STAT_DERIVED: break;
        }
    }
    m->saved_start = s->start_ps;
    m->saved_end = s->end_ps;
    m->saved_ended = s->ended;
    s->start_ps = m->t_ps;
    s->end_ps = now_ps;
    s->ended = true;
}

void sim_stats_interval_end(sim_stats *s, sim_stats_snapshot *m)
{
    for (size_t i = 0; i < m->n; i++) {
        stat_entry *e = &s->entries[i];
        snap_entry *me = &m->e[i];
        switch (e->kind) {
        case STAT_COUNTER: *e->u.counter = me->saved_u64; break;
        case STAT_VALUE: *e->u.value = me->saved_dbl; break;
        case STAT_HIST: hist_shift(e->u.hist, me->hist, +1, me); break;
        case STAT_BUSY: e->u.busy->window_ps = me->saved_u64; break;
        case STAT_DERIVED: break;
        }
    }
    s->start_ps = m->saved_start;
    s->end_ps = m->saved_end;
    s->ended = m->saved_ended;
}

/* ---------------------------------------------------------------- marks */

void sim_stats_mark(sim_stats *s, uint64_t t_ps, const char *label)
{
    assert(label);
    if (s->nmarks == s->marks_cap) {
        s->marks_cap = s->marks_cap ? 2 * s->marks_cap : 8;
        s->marks = sim_xrealloc(s->marks, s->marks_cap * sizeof *s->marks);
    }
    /* A comma or quote would split or open a CSV field, a newline a row; no other
     * control character reads in a figure's label either. */
    char *copy = sim_xstrdup(label);
    for (char *p = copy; *p; p++)
        if (*p == ',' || *p == '"' || (unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '_';
    s->marks[s->nmarks++] = (sim_mark){t_ps, copy};
}

size_t sim_stats_marks(const sim_stats *s) { return s->nmarks; }

sim_mark sim_stats_mark_get(const sim_stats *s, size_t i)
{
    assert(i < s->nmarks);
    return s->marks[i];
}

/* ---------------------------------------------------------------- look-ups */

const sim_hist *sim_stats_find_hist(const sim_stats *s, const char *name)
{
    const stat_entry *e = find_entry(s, name, strlen(name));
    return e && e->kind == STAT_HIST ? e->u.hist : NULL;
}

void sim_stats_foreach_hist(const sim_stats *s,
                            void (*fn)(const char *name, const char *unit, const sim_hist *h,
                                       void *ctx),
                            void *ctx)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->entries[i].kind == STAT_HIST)
            fn(s->entries[i].name, s->entries[i].unit, s->entries[i].u.hist, ctx);
}

static double hist_summary(const sim_hist *h, int which)
{
    switch (which) {
    case HS_COUNT:
        return (double)sim_hist_count(h);
    case HS_MEAN:
        return sim_hist_mean(h);
    case HS_MIN:
        return (double)sim_hist_min(h);
    case HS_P50:
        return sim_hist_quantile(h, 0.5);
    case HS_P99:
        return sim_hist_quantile(h, 0.99);
    case HS_P999:
        return sim_hist_quantile(h, 0.999);
    default:
        return (double)sim_hist_max(h);
    }
}

bool sim_stats_get(const sim_stats *s, const char *name, double *out)
{
    const stat_entry *e = find_entry(s, name, strlen(name));
    if (e) {
        switch (e->kind) {
        case STAT_COUNTER:
            *out = (double)*e->u.counter;
            return true;
        case STAT_BUSY:
            *out = (double)e->u.busy->window_ps;
            return true;
        case STAT_VALUE:
            *out = *e->u.value;
            return true;
        case STAT_DERIVED:
            *out = e->u.derived.fn(s, e->u.derived.ctx);
            return true;
        case STAT_HIST:
            return false; /* only its summary lines have a value */
        }
    }
    int which;
    const stat_entry *h = find_hist_summary(s, name, &which);
    if (!h)
        return false;
    *out = hist_summary(h->u.hist, which);
    return true;
}

void sim_stats_foreach(const sim_stats *s, void (*fn)(const sim_stat_info *info, void *ctx),
                       void *ctx)
{
    static const char *const types[] = {[STAT_COUNTER] = "counter", [STAT_VALUE] = "value",
                                        [STAT_HIST] = "histogram", [STAT_DERIVED] = "derived",
                                        [STAT_BUSY] = "busy time"};
    for (size_t i = 0; i < s->n; i++) {
        const stat_entry *e = &s->entries[i];
        sim_stat_info info = {.name = e->name, .type = e->gauge ? "gauge" : types[e->kind],
                              .unit = e->unit ? e->unit : "", .desc = e->desc,
                              .metric = e->metric};
        fn(&info, ctx);
    }
}

size_t sim_stats_metrics(const sim_stats *s) { return s->nmetrics; }

const char *sim_stats_metric_name(const sim_stats *s, size_t i)
{
    assert(i < s->nmetrics);
    return s->entries[s->metrics[i]].name;
}

double sim_stats_metric_value(const sim_stats *s, size_t i)
{
    assert(i < s->nmetrics);
    const stat_entry *e = &s->entries[s->metrics[i]];
    return e->u.derived.fn(s, e->u.derived.ctx);
}

/* ---------------------------------------------------------------- text output */

/* %.6g, but the same bytes whatever the process's locale: "nan", "inf", "0" for
 * both zeros, and '.' as the radix even under LC_NUMERIC=de_DE. */
static void format_double(char *buf, size_t len, double v)
{
    if (isnan(v)) {
        snprintf(buf, len, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, v > 0 ? "inf" : "-inf");
        return;
    }
    if (v == 0.0) {
        snprintf(buf, len, "0");
        return;
    }
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.6g", v);
    /* %g yields [-]digits[radix digits][e[+-]digits]; whatever else appears is the
     * locale's radix (possibly multi-byte) and becomes a single '.'. */
    size_t o = 0;
    bool in_radix = false;
    for (const char *c = tmp; *c && o + 1 < len; c++) {
        bool plain = (*c >= '0' && *c <= '9') || *c == '-' || *c == '+' || *c == 'e';
        if (plain) {
            buf[o++] = *c;
            in_radix = false;
        } else if (!in_radix) {
            buf[o++] = '.';
            in_radix = true;
        }
    }
    buf[o] = '\0';
}

typedef struct text_line {
    const stat_entry *e;
    int which; /* histogram summary line, -1 otherwise */
    size_t name_len, value_len;
    char value[48];
} text_line;

/* The text file is assembled in a buffer and written a block at a time rather than
 * through fprintf, or fputs per field: a point's statistics are thousands of lines (64
 * VFs register about 2,000), and formatting them through printf's machinery was a
 * sixth of a nic point's set-up, a stdio call per field still a fourteenth. The bytes
 * are those the formats "%llu", "%*s  %*s", "  # %s" would write. */

/* v in decimal, as "%llu" writes it, into buf (at least 21 bytes); returns its length. */
static size_t format_u64(char *buf, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

/* Output through a buffer: a write error stays in the stream's error flag, as with
 * fputs. */
typedef struct text_out {
    FILE *f;
    size_t n;
    char buf[8192];
} text_out;

static void out_flush(text_out *o)
{
    fwrite(o->buf, 1, o->n, o->f);
    o->n = 0;
}

static void out_mem(text_out *o, const char *p, size_t len)
{
    if (len > sizeof o->buf - o->n) {
        out_flush(o);
        if (len > sizeof o->buf) {
            fwrite(p, 1, len, o->f);
            return;
        }
    }
    memcpy(o->buf + o->n, p, len);
    o->n += len;
}

static void out_str(text_out *o, const char *str) { out_mem(o, str, strlen(str)); }

static void out_spaces(text_out *o, size_t n)
{
    while (n) {
        if (o->n == sizeof o->buf)
            out_flush(o);
        size_t k = sizeof o->buf - o->n < n ? sizeof o->buf - o->n : n;
        memset(o->buf + o->n, ' ', k);
        o->n += k;
        n -= k;
    }
}

static void write_desc(text_out *o, const text_line *l)
{
    const stat_entry *e = l->e;
    if (l->which < 0) {
        if (e->desc[0]) {
            out_mem(o, "  # ", 4);
            out_str(o, e->desc);
        }
        return;
    }
    out_mem(o, "  # ", 4);
    out_str(o, e->desc);
    if (e->desc[0])
        out_mem(o, ", ", 2);
    out_str(o, hist_what[l->which]);
    if (l->which != HS_COUNT && e->unit[0]) {
        out_mem(o, " (", 2);
        out_str(o, e->unit);
        out_mem(o, ")", 1);
    }
}

void sim_stats_write_text(const sim_stats *s, FILE *out)
{
    size_t nlines = 0;
    for (size_t i = 0; i < s->n; i++)
        nlines += s->entries[i].kind == STAT_HIST ? HS_N : 1;
    text_line *lines = sim_xrealloc(NULL, (nlines ? nlines : 1) * sizeof *lines);

    /* Derived values are evaluated once, then laid out: columns need every width. */
    size_t name_w = 0, value_w = 0, l = 0;
    for (size_t i = 0; i < s->n; i++) {
        const stat_entry *e = &s->entries[i];
        int parts = e->kind == STAT_HIST ? HS_N : 1;
        for (int k = 0; k < parts; k++, l++) {
            text_line *t = &lines[l];
            t->e = e;
            t->which = e->kind == STAT_HIST ? k : -1;
            t->name_len = strlen(e->name);
            switch (e->kind) {
            case STAT_COUNTER:
                format_u64(t->value, *e->u.counter);
                break;
            case STAT_BUSY:
                format_u64(t->value, e->u.busy->window_ps);
                break;
            case STAT_VALUE:
                format_double(t->value, sizeof t->value, *e->u.value);
                break;
            case STAT_DERIVED:
                format_double(t->value, sizeof t->value, e->u.derived.fn(s, e->u.derived.ctx));
                break;
            case STAT_HIST: {
                const sim_hist *h = e->u.hist;
                t->name_len += 1 + strlen(sim_stats_hist_suffix[k]);
                if (k == HS_COUNT || k == HS_MIN || k == HS_MAX) {
                    uint64_t v = k == HS_COUNT ? sim_hist_count(h)
                                 : k == HS_MIN ? sim_hist_min(h)
                                               : sim_hist_max(h);
                    format_u64(t->value, v);
                } else {
                    format_double(t->value, sizeof t->value, hist_summary(h, k));
                }
                break;
            }
            }
            size_t vw = t->value_len = strlen(t->value);
            if (t->name_len > name_w)
                name_w = t->name_len;
            if (vw > value_w)
                value_w = vw;
        }
    }

    text_out *o = sim_xmalloc(sizeof *o);
    o->f = out;
    o->n = 0;
    for (l = 0; l < nlines; l++) {
        const text_line *t = &lines[l];
        if (t->which >= 0) {
            out_str(o, t->e->name);
            out_mem(o, ".", 1);
            out_str(o, sim_stats_hist_suffix[t->which]);
        } else {
            out_mem(o, t->e->name, t->name_len);
        }
        out_spaces(o, name_w - t->name_len + 2 + (value_w - t->value_len));
        out_mem(o, t->value, t->value_len);
        write_desc(o, t);
        out_mem(o, "\n", 1);
    }
    out_flush(o);
    free(o);
    free(lines);
}
