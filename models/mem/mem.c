#include "models/mem/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/kernel.h"
#include "sim/resv.h"

/* The mem.* parameters. */
typedef struct mem_cfg {
    uint64_t llc_bytes;
    uint32_t llc_ways, ddio_ways;
    uint64_t llc_latency_ps;
    uint64_t write_latency_ps;
    uint64_t read_latency_ps;
    uint32_t channels;
    double channel_gbps;
} mem_cfg;

static const sim_param_def mem_params[] = {
    {"mem.llc_bytes", SIM_PARAM_UINT, "25MiB", "0..16GiB", "bytes",
     "Last-level cache size (0: no cache, every access goes to DRAM)", SIM_AT(mem_cfg, llc_bytes)},
    {"mem.llc_ways", SIM_PARAM_UINT, "20", "1..64", "ways", "Last-level cache associativity",
     SIM_AT(mem_cfg, llc_ways)},
    {"mem.ddio_ways", SIM_PARAM_UINT, "2", "0..64", "ways",
     "LLC ways a device write may allocate into (DDIO); 0: device writes go to DRAM",
     SIM_AT(mem_cfg, ddio_ways)},
    {"mem.llc_latency_ns", SIM_PARAM_DOUBLE, "80", "0..1e6", "ns",
     "Device access that hits the LLC, from the root complex", SIM_AT(mem_cfg, llc_latency_ps)},
    {"mem.write_latency_ns", SIM_PARAM_DOUBLE, "80", "0..1e6", "ns",
     "Device write, from the root complex until memory accepts it: the LLC (DDIO), or the "
     "memory controller's write queue; a write to DRAM also waits for its line's transfer. "
     "The root complex's write buffer holds the write this long (rc.write_buffer_lines)",
     SIM_AT(mem_cfg, write_latency_ps)},
    {"mem.read_latency_ns", SIM_PARAM_DOUBLE, "130", "0..1e6", "ns",
     "Device read that misses the LLC: DRAM latency from the root complex, after the line's "
     "transfer on its channel",
     SIM_AT(mem_cfg, read_latency_ps)},
    {"mem.channels", SIM_PARAM_UINT, "4", "1..64", "", "DRAM channels, interleaved by line",
     SIM_AT(mem_cfg, channels)},
    {"mem.channel_gbps", SIM_PARAM_DOUBLE, "136.5", "0.1..1e5", "Gbps",
     "Bandwidth of one DRAM channel", SIM_AT(mem_cfg, channel_gbps)},
};

/* One LLC set's replacement state. A set's ways [0, filled) hold lines and the rest are
 * empty: a miss takes the least recently used of ways [0, limit) with an empty way
 * counting as least recent, and a way is never emptied but by mem_flush, so the ways
 * fill in order and the empty ones stay a suffix. A miss in a set with an empty way it
 * may take is then one step, and a flush only clears the sets.
 *
 * A miss in a full set that may take any way takes the least recently used. Comparing
 * every way's last use at each such miss was most of its cost; instead the set's ways
 * are sorted by last use now and then (its `order`), and these misses take them in
 * that order, skipping the ways used since the sort: those have a later last use than
 * every way not used since (the sort's tick lies between), so the first way not used
 * since is the least recent. Hits still only note their tick, and a sort is needed
 * only when every way has been taken or used. The ways are replaced in sorted order,
 * so the next sort finds them nearly in order: one pass with few moves. */
typedef struct llc_set {
    uint64_t sort_tick; /* the tick at the last sort (0: none since the set filled) */
    uint8_t filled;
    uint8_t unsorted; /* ways of `order` not yet taken or skipped since the sort */
} llc_set;

struct mem {
    /* LLC: sets x ways slots (slot = set x ways + way), each with its tag, the tick of
     * its last use and whether it is dirty; a slot is only read once its set has
     * filled it. DDIO write-allocation may only replace ways [0, ddio_ways). */
    uint64_t *tags;
    uint64_t *last_use;
    uint8_t *dirty; /* written by a device and not yet written back */
    /* Per set, its ways by last use at its last sort, least recent first (way numbers
     * fit the bytes: mem.llc_ways <= 64). */
    uint8_t *order;
    llc_set *set;
    /* Where each resident line is: an open-addressing table (linear probing) of slot + 1
     * (0: empty), at most half full, so a look-up does not search a set's ways. */
    uint32_t *index;
    size_t index_mask;
    unsigned index_shift;
    bool index_used; /* an entry was added since the index was last cleared */
    uint64_t tick;
    uint32_t sets, ways, ddio_ways;
    uint64_t llc_latency_ps, write_latency_ps;
    /* DRAM */
    uint32_t channels;
    sim_resv *chan;
    uint64_t line_service_ps; /* one line's transfer on a channel */
    uint64_t dram_latency_ps;
    /* stats */
    uint64_t llc_read_hits, llc_read_misses, llc_write_hits, llc_write_allocs, writebacks;
    uint64_t dram_bytes;
    sim_busy dram_busy;
};

void mem_register_params(sim_params *p)
{
    sim_params_add_table(p, mem_params, SIM_TABLE_LEN(mem_params));
}

static mem_cfg mem_config(const sim_params *p)
{
    mem_cfg c;
    sim_params_load_table(p, mem_params, SIM_TABLE_LEN(mem_params), &c);
    return c;
}

int mem_check(const sim_params *p, sim_err *e)
{
    mem_cfg c = mem_config(p);
    uint64_t line_set_bytes = (uint64_t)c.llc_ways * MEM_LINE_BYTES;
    if (c.llc_bytes && c.llc_bytes % line_set_bytes)
        return sim_err_set(e, "mem.llc_bytes = %llu is not a multiple of mem.llc_ways x %u-byte "
                              "lines (%llu bytes)",
                           (unsigned long long)c.llc_bytes, MEM_LINE_BYTES,
                           (unsigned long long)line_set_bytes);
    if (c.ddio_ways > c.llc_ways)
        return sim_err_set(e, "mem.ddio_ways = %u exceeds mem.llc_ways = %u", c.ddio_ways,
                           c.llc_ways);
    return 0;
}

mem *mem_create(const sim_params *p, sim_stats *stats)
{
    mem_cfg c = mem_config(p);
    mem *m = sim_xcalloc(1, sizeof *m);
    m->ways = c.llc_ways;
    m->ddio_ways = c.ddio_ways;
    m->sets = (uint32_t)(c.llc_bytes / (m->ways * MEM_LINE_BYTES));
    size_t slots = (size_t)m->sets * m->ways;
    /* Zeroed pages stay untouched until a set fills them. */
    m->tags = sim_xcalloc(slots, sizeof *m->tags);
    m->last_use = sim_xcalloc(slots, sizeof *m->last_use);
    m->dirty = sim_xcalloc(slots, 1);
    m->order = sim_xcalloc(slots, 1);
    m->set = sim_xcalloc(m->sets, sizeof *m->set);
    /* Without a cache the index is two empty entries: every look-up misses, with no
     * test for a cache on each line. */
    unsigned bits = 1;
    while (((size_t)1 << bits) < 2 * slots)
        bits++;
    m->index = sim_xcalloc((size_t)1 << bits, sizeof *m->index);
    m->index_mask = ((size_t)1 << bits) - 1;
    m->index_shift = 64 - bits;
    mem_flush(m);
    m->llc_latency_ps = c.llc_latency_ps;
    m->write_latency_ps = c.write_latency_ps;
    m->dram_latency_ps = c.read_latency_ps;
    m->channels = c.channels;
    m->chan = sim_xcalloc(m->channels, sizeof *m->chan);
    /* Gbps -> ps per byte: 8 bits / (G bits/s) = 8000/Gbps ps. */
    m->line_service_ps = (uint64_t)llround(MEM_LINE_BYTES * 8000.0 / c.channel_gbps);

    sim_stats_counter(stats, "mem.llc_read_hits", &m->llc_read_hits, "device reads hitting the LLC (lines)");
    sim_stats_counter(stats, "mem.llc_read_misses", &m->llc_read_misses, "device reads missing the LLC (lines)");
    sim_stats_counter(stats, "mem.llc_write_hits", &m->llc_write_hits, "device writes hitting the LLC (lines)");
    sim_stats_counter(stats, "mem.llc_write_allocs", &m->llc_write_allocs, "device writes allocating in DDIO ways (lines)");
    sim_stats_counter(stats, "mem.llc_writebacks", &m->writebacks,
                      "device-written lines evicted from the LLC and written back to DRAM");
    sim_stats_counter(stats, "mem.dram_bytes", &m->dram_bytes, "bytes read from or written to DRAM");
    sim_stats_busy(stats, "mem.dram_busy_ps", &m->dram_busy,
                   "DRAM channel busy time within the window, all channels added (ps)");
    return m;
}

void mem_destroy(mem *m)
{
    if (!m)
        return;
    free(m->tags);
    free(m->last_use);
    free(m->dirty);
    free(m->order);
    free(m->set);
    free(m->index);
    free(m->chan);
    free(m);
}

void mem_flush(mem *m)
{
    if (m->index_used) { /* new arrays are zero already: their pages stay untouched */
        memset(m->set, 0, m->sets * sizeof *m->set);
        memset(m->index, 0, (m->index_mask + 1) * sizeof *m->index);
    }
    m->index_used = false;
}

static uint64_t dram_transfer(mem *m, uint64_t now_ps, uint64_t line);

#define NO_WAY SIZE_MAX

/* A line's hash, which spreads lines over both the sets and the index. */
static uint64_t line_hash(uint64_t line)
{
    return line * 0x9e3779b97f4a7c15ull;
}

/* Lines are spread over sets by a multiplicative hash, like the sliced LLCs whose set
 * counts are not powers of two. */
static uint32_t set_of(const mem *m, uint64_t line)
{
    /* Multiply-high maps the hash onto [0, sets) without a division. */
    return (uint32_t)(((unsigned __int128)line_hash(line) * m->sets) >> 64);
}

/* ---- the index of resident lines ---- */

static size_t index_home(const mem *m, uint64_t line)
{
    return (size_t)(line_hash(line) >> m->index_shift);
}

/* The index position of `line`, or of the empty entry that ends its probe (where it
 * would be added). */
static size_t index_probe(const mem *m, uint64_t line)
{
    size_t i = index_home(m, line);
    while (m->index[i] && m->tags[m->index[i] - 1] != line)
        i = (i + 1) & m->index_mask;
    return i;
}

/* Removes the entry of `slot`, which holds `line`, shifting later entries of its
 * cluster back so every probe still finds its line (linear probing's deletion without
 * tombstones). The probe compares entries, not their slots' tags. Returns the one entry
 * it emptied: every other empty entry was empty before. */
static size_t index_remove(mem *m, uint64_t line, size_t slot)
{
    size_t i = index_home(m, line), j;
    while (m->index[i] != slot + 1)
        i = (i + 1) & m->index_mask;
    for (j = i;;) {
        j = (j + 1) & m->index_mask;
        if (!m->index[j])
            break;
        size_t k = index_home(m, m->tags[m->index[j] - 1]);
        /* Entry j may move to the hole at i unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            m->index[i] = m->index[j];
            i = j;
        }
    }
    m->index[i] = 0;
    return i;
}

/* Adds `line` in `slot`, at where its probe ended before the removal that emptied
 * `hole` (`at` is still empty: a removal only shifts entries into the holes it makes).
 * The probe now ends at the hole if it comes first, so no second probe is needed. */
static void index_add_after(mem *m, uint64_t line, size_t slot, size_t at, size_t hole)
{
    size_t home = index_home(m, line);
    if (((hole - home) & m->index_mask) < ((at - home) & m->index_mask))
        at = hole;
    m->index[at] = (uint32_t)(slot + 1);
}

/* ---- the cache ---- */

/* The slot holding `line` (marked most recently used), or NO_WAY on a miss; *at is
 * where the index would take the line, for llc_insert. */
static inline size_t llc_find(mem *m, uint64_t line, size_t *at)
{
    size_t i = index_probe(m, line);
    *at = i;
    uint32_t e = m->index[i];
    if (!e)
        return NO_WAY;
    m->last_use[e - 1] = ++m->tick;
    return e - 1;
}

/* Sorts the ways of full set si by last use (an insertion sort from the last order,
 * which is nearly sorted: see llc_set) and returns the least recent, taken. */
static uint32_t llc_sort(mem *m, uint32_t si)
{
    llc_set *s = &m->set[si];
    size_t base = (size_t)si * m->ways;
    const uint64_t *use = m->last_use + base;
    uint8_t *order = m->order + base;
    if (s->sort_tick == 0) /* the set's first sort: from the order it filled in */
        for (uint32_t w = 0; w < m->ways; w++)
            order[w] = (uint8_t)w;
    uint64_t latest = use[order[0]];
    for (uint32_t i = 1; i < m->ways; i++) {
        uint8_t w = order[i];
        uint64_t u = use[w];
        if (u > latest) {
            latest = u; /* in order: the common case */
            continue;
        }
        uint32_t j = i;
        for (; j > 0 && use[order[j - 1]] > u; j--)
            order[j] = order[j - 1];
        order[j] = w;
    }
    s->sort_tick = m->tick;
    s->unsorted = (uint8_t)(m->ways - 1);
    return order[0];
}

/* The least recently used way of full set si. */
static uint32_t llc_oldest(mem *m, uint32_t si)
{
    llc_set *s = &m->set[si];
    size_t base = (size_t)si * m->ways;
    while (s->unsorted) {
        uint32_t w = m->order[base + m->ways - s->unsorted--];
        if (m->last_use[base + w] <= s->sort_tick)
            return w; /* not used since the sort */
    }
    return llc_sort(m, si);
}

/* Puts a missing line in the least recently used of ways [0, limit) of set si, all of
 * them filled (limit > 0), `at` from the llc_find that missed. A dirty victim is
 * written back: it occupies a DRAM channel from now_ps, which delays later misses but
 * not this access. */
static void llc_replace(mem *m, uint64_t now_ps, uint64_t line, size_t at, uint32_t limit,
                        bool dirty, uint32_t si)
{
    size_t base = (size_t)si * m->ways;
    uint32_t victim;
    if (limit == m->ways) {
        victim = llc_oldest(m, si);
    } else {
        victim = 0; /* ticks differ: no empty way among them */
        for (uint32_t w = 1; w < limit; w++)
            if (m->last_use[base + w] < m->last_use[base + victim])
                victim = w;
    }
    size_t slot = base + victim;
    if (m->dirty[slot]) {
        m->writebacks++;
        dram_transfer(m, now_ps, m->tags[slot]);
    }
    index_add_after(m, line, slot, at, index_remove(m, m->tags[slot], slot));
    m->tags[slot] = line;
    m->last_use[slot] = ++m->tick;
    m->dirty[slot] = dirty;
}

/* Puts a missing line in the least recently used of ways [0, limit) of its set (an
 * empty way counts as least recent; limit > 0), `at` from the llc_find that missed. */
static inline void llc_insert(mem *m, uint64_t now_ps, uint64_t line, size_t at, uint32_t limit,
                              bool dirty)
{
    uint32_t si = set_of(m, line);
    llc_set *s = &m->set[si];
    if (s->filled >= limit) {
        llc_replace(m, now_ps, line, at, limit, dirty, si);
        return;
    }
    /* The empty ways are the least recent, the first one first. */
    size_t slot = (size_t)si * m->ways + s->filled++;
    m->index[at] = (uint32_t)(slot + 1);
    m->index_used = true;
    m->tags[slot] = line;
    m->last_use[slot] = ++m->tick;
    m->dirty[slot] = dirty;
}

/* One line through its channel: returns when the transfer ends. */
static uint64_t dram_transfer(mem *m, uint64_t now_ps, uint64_t line)
{
    uint64_t start = sim_resv_book(&m->chan[line % m->channels], now_ps, m->line_service_ps);
    m->dram_bytes += MEM_LINE_BYTES;
    sim_busy_add(&m->dram_busy, start, m->line_service_ps);
    return start + m->line_service_ps;
}

static uint64_t dram_access(mem *m, uint64_t now_ps, uint64_t line)
{
    return dram_transfer(m, now_ps, line) + m->dram_latency_ps;
}

/* The line of the last byte of [addr, addr + bytes) (bytes > 0); a range past 2^64
 * stops at the top of the address space rather than wrapping to line 0. */
static uint64_t last_line(uint64_t addr, uint64_t bytes)
{
    uint64_t last = addr + (bytes - 1);
    return (last < addr ? UINT64_MAX : last) / MEM_LINE_BYTES;
}

uint64_t mem_read(mem *m, uint64_t now_ps, uint64_t addr, uint64_t bytes)
{
    uint64_t ready = now_ps, hit_ps = now_ps + m->llc_latency_ps;
    if (bytes == 0)
        return hit_ps;
    /* The tick and the hit count are kept in locals over the run of lines and stored
     * once: as fields, every line's store of a last use (a uint64_t, like them) made
     * the compiler load and store them again. A miss does not touch either. */
    uint64_t tick = m->tick, hits = 0;
    for (uint64_t line = addr / MEM_LINE_BYTES; line <= last_line(addr, bytes); line++) {
        uint32_t e = m->index[index_probe(m, line)];
        uint64_t t;
        if (e) {
            m->last_use[e - 1] = ++tick;
            hits++;
            t = hit_ps;
        } else {
            m->llc_read_misses++;
            t = dram_access(m, now_ps, line);
        }
        if (t > ready)
            ready = t;
    }
    m->tick = tick;
    m->llc_read_hits += hits;
    return ready;
}

uint64_t mem_write(mem *m, uint64_t now_ps, uint64_t addr, uint64_t bytes)
{
    uint64_t done = now_ps + m->write_latency_ps;
    if (bytes == 0)
        return done;
    for (uint64_t line = addr / MEM_LINE_BYTES; line <= last_line(addr, bytes); line++) {
        size_t at, slot = llc_find(m, line, &at);
        if (slot != NO_WAY) {
            m->llc_write_hits++;
            m->dirty[slot] = 1;
        } else if (m->sets && m->ddio_ways) {
            m->llc_write_allocs++;
            llc_insert(m, now_ps, line, at, m->ddio_ways, true);
        } else {
            uint64_t t = dram_transfer(m, now_ps, line);
            if (t > done)
                done = t;
        }
    }
    return done;
}

/* mem_touch's lines first..last, more than a few: llc_find and llc_insert over the run,
 * with the arrays, the sizes and the tick in locals and each line's hash one addition
 * from the last. Through the struct, every store of a tag or a last use made the
 * compiler load them all again. A driver's initial fill of its transmit rings touches
 * some 200,000 lines. Out of line, so that touching a small buffer does not pay for
 * saving the registers this loop takes (15 instructions per 64-byte round trip). */
static __attribute__((noinline)) void touch_run(mem *m, uint64_t line, uint64_t last)
{
    uint32_t *index = m->index;
    uint64_t *tags = m->tags, *last_use = m->last_use;
    uint8_t *dirty = m->dirty;
    llc_set *set = m->set;
    const unsigned shift = m->index_shift;
    const uint32_t sets = m->sets;
    const size_t ways = m->ways;
    uint64_t tick = m->tick;
    uint64_t h = line_hash(line);
    for (;; line++, h += 0x9e3779b97f4a7c15ull) { /* line_hash(line + 1) */
        size_t i = (size_t)(h >> shift); /* index_probe */
        uint32_t e;
        /* The mask is read only on a collision: a register less in the loop. */
        while ((e = index[i]) && tags[e - 1] != line)
            i = (i + 1) & m->index_mask;
        if (e) {
            last_use[e - 1] = ++tick;
        } else {
            uint32_t si = (uint32_t)(((unsigned __int128)h * sets) >> 64); /* set_of */
            llc_set *st = &set[si];
            if (st->filled >= ways) {
                m->tick = tick;
                llc_replace(m, 0, line, i, (uint32_t)ways, false, si);
                tick = m->tick;
            } else {
                size_t slot = si * ways + st->filled++;
                index[i] = (uint32_t)(slot + 1);
                tags[slot] = line;
                last_use[slot] = ++tick;
                dirty[slot] = 0;
            }
        }
        if (line == last)
            break;
    }
    m->tick = tick;
    /* Without an entry since the last clear the index was empty, so the first line
     * missed and was added: whatever it was, index_used is now true. */
    m->index_used = true;
}

void mem_touch(mem *m, uint64_t addr, uint64_t bytes)
{
    if (bytes == 0 || !m->sets)
        return;
    /* Of a buffer larger than the cache only the tail can still be there: touching
     * four cache sizes' worth leaves the same state (bar hash collisions) in bounded
     * time. */
    uint64_t keep = 4ull * m->sets * m->ways * MEM_LINE_BYTES;
    if (bytes > keep) {
        addr += bytes - keep;
        bytes = keep;
    }
    uint64_t first = addr / MEM_LINE_BYTES, last = last_line(addr, bytes);
    /* A small buffer (a request, a descriptor) is cheaper without touch_run's set-up. */
    if (last - first >= 4) {
        touch_run(m, first, last);
        return;
    }
    for (uint64_t line = first; line <= last; line++) {
        size_t at;
        if (llc_find(m, line, &at) == NO_WAY)
            llc_insert(m, 0, line, at, m->ways, false);
    }
}
