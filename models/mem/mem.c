#include "models/mem/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/kernel.h"
#include "sim/resv.h"

#define NO_TAG UINT64_MAX

/* The mem.* parameters. */
typedef struct mem_cfg {
    uint64_t llc_bytes;
    uint32_t llc_ways, ddio_ways;
    uint64_t llc_latency_ps;
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
    {"mem.read_latency_ns", SIM_PARAM_DOUBLE, "130", "0..1e6", "ns",
     "Device read that misses the LLC: DRAM latency from the root complex, after the line's "
     "transfer on its channel",
     SIM_AT(mem_cfg, read_latency_ps)},
    {"mem.channels", SIM_PARAM_UINT, "4", "1..64", "", "DRAM channels, interleaved by line",
     SIM_AT(mem_cfg, channels)},
    {"mem.channel_gbps", SIM_PARAM_DOUBLE, "136.5", "0.1..1e5", "Gbps",
     "Bandwidth of one DRAM channel", SIM_AT(mem_cfg, channel_gbps)},
};

struct mem {
    /* LLC: sets x ways of physical ways, each with its tag and the tick of its last
     * use (LRU). DDIO write-allocation may only replace ways [0, ddio_ways). */
    uint64_t *tags;
    uint64_t *last_use;
    uint8_t *dirty; /* written by a device and not yet written back */
    /* Where each resident line is: an open-addressing table (linear probing) of slot + 1
     * (0: empty), at most half full, so a look-up does not search a set's ways. */
    uint32_t *index;
    size_t index_mask;
    unsigned index_shift;
    bool index_used; /* an entry was added since the index was last cleared */
    uint64_t tick;
    uint32_t sets, ways, ddio_ways;
    uint64_t llc_latency_ps;
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
    if (m->sets) {
        size_t slots = (size_t)m->sets * m->ways;
        m->tags = sim_xmalloc(slots * sizeof *m->tags);
        m->last_use = sim_xcalloc(slots, sizeof *m->last_use);
        m->dirty = sim_xcalloc(slots, 1);
        unsigned bits = 1;
        while (((size_t)1 << bits) < 2 * slots)
            bits++;
        m->index = sim_xcalloc((size_t)1 << bits, sizeof *m->index);
        m->index_mask = ((size_t)1 << bits) - 1;
        m->index_shift = 64 - bits;
    }
    mem_flush(m);
    m->llc_latency_ps = c.llc_latency_ps;
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
    free(m->index);
    free(m->chan);
    free(m);
}

void mem_flush(mem *m)
{
    for (size_t i = 0; i < (size_t)m->sets * m->ways; i++) {
        m->tags[i] = NO_TAG;
        m->last_use[i] = 0;
        m->dirty[i] = 0;
    }
    if (m->index_used) /* a new index is zero already: its pages stay untouched */
        memset(m->index, 0, (m->index_mask + 1) * sizeof *m->index);
    m->index_used = false;
}

static uint64_t dram_transfer(mem *m, uint64_t now_ps, uint64_t line);

/* Lines are spread over sets by a multiplicative hash, like the sliced LLCs whose set
 * counts are not powers of two. Returns the index of the set's first way. */
static size_t set_of(const mem *m, uint64_t line)
{
    uint64_t h = line * 0x9e3779b97f4a7c15ull;
    /* Multiply-high maps the hash onto [0, sets) without a division. */
    return (size_t)(((unsigned __int128)h * m->sets) >> 64) * m->ways;
}

#define NO_WAY SIZE_MAX

/* ---- the index of resident lines ---- */

static size_t index_home(const mem *m, uint64_t line)
{
    return (size_t)((line * 0x9e3779b97f4a7c15ull) >> m->index_shift);
}

/* The index position of `line`, or of the empty entry that ends its probe. */
static size_t index_probe(const mem *m, uint64_t line)
{
    size_t i = index_home(m, line);
    while (m->index[i] && m->tags[m->index[i] - 1] != line)
        i = (i + 1) & m->index_mask;
    return i;
}

static void index_add(mem *m, uint64_t line, size_t slot)
{
    m->index[index_probe(m, line)] = (uint32_t)(slot + 1);
    m->index_used = true;
}

/* Removes `line` (resident), shifting later entries of its cluster back so every probe
 * still finds its line (linear probing's deletion without tombstones). */
static void index_remove(mem *m, uint64_t line)
{
    size_t i = index_probe(m, line), j = i;
    for (;;) {
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
}

/* The slot holding `line` (marked most recently used), or NO_WAY on a miss. */
static size_t llc_find(mem *m, uint64_t line)
{
    if (!m->sets)
        return NO_WAY;
    uint32_t e = m->index[index_probe(m, line)];
    if (!e)
        return NO_WAY;
    m->last_use[e - 1] = ++m->tick;
    return e - 1;
}

/* Puts a missing line in the least recently used of ways [0, limit) of its set (an
 * empty way counts as least recent). A dirty victim is written back: it occupies a
 * DRAM channel from now_ps, which delays later misses but not this access. */
static void llc_insert(mem *m, uint64_t now_ps, uint64_t line, uint32_t limit, bool dirty)
{
    if (!m->sets || limit == 0)
        return;
    size_t base = set_of(m, line);
    uint32_t victim = 0;
    for (uint32_t w = 1; w < limit; w++)
        if (m->last_use[base + w] < m->last_use[base + victim])
            victim = w;
    if (m->dirty[base + victim]) {
        m->writebacks++;
        dram_transfer(m, now_ps, m->tags[base + victim]);
    }
    if (m->tags[base + victim] != NO_TAG)
        index_remove(m, m->tags[base + victim]);
    m->tags[base + victim] = line;
    index_add(m, line, base + victim);
    m->last_use[base + victim] = ++m->tick;
    m->dirty[base + victim] = dirty;
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
    uint64_t ready = now_ps;
    if (bytes == 0)
        return now_ps + m->llc_latency_ps;
    for (uint64_t line = addr / MEM_LINE_BYTES; line <= last_line(addr, bytes); line++) {
        uint64_t t;
        if (llc_find(m, line) != NO_WAY) {
            m->llc_read_hits++;
            t = now_ps + m->llc_latency_ps;
        } else {
            m->llc_read_misses++;
            t = dram_access(m, now_ps, line);
        }
        if (t > ready)
            ready = t;
    }
    return ready;
}

uint64_t mem_write(mem *m, uint64_t now_ps, uint64_t addr, uint64_t bytes)
{
    uint64_t done = now_ps + m->llc_latency_ps;
    if (bytes == 0)
        return done;
    for (uint64_t line = addr / MEM_LINE_BYTES; line <= last_line(addr, bytes); line++) {
        size_t slot = llc_find(m, line);
        if (slot != NO_WAY) {
            m->llc_write_hits++;
            m->dirty[slot] = 1;
        } else if (m->sets && m->ddio_ways) {
            m->llc_write_allocs++;
            llc_insert(m, now_ps, line, m->ddio_ways, true);
        } else {
            uint64_t t = dram_transfer(m, now_ps, line);
            if (t > done)
                done = t;
        }
    }
    return done;
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
    for (uint64_t line = addr / MEM_LINE_BYTES; line <= last_line(addr, bytes); line++)
        if (llc_find(m, line) == NO_WAY)
            llc_insert(m, 0, line, m->ways, false);
}
