#include "models/flash/flash.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "sim/alloc.h"
#include "sim/resv.h"

/* The flash.* parameters. Defaults: Samsung PM1733 3.84 TB (fifth-generation V-NAND);
 * the values and their sources are in workloads/platforms/ssd-pm1733.ini. */
typedef struct flash_cfg {
    uint32_t channels, dies_per_channel, planes, pages_per_block;
    uint64_t page_bytes, map_unit_bytes, die_bytes, capacity_bytes, write_buffer_bytes;
    uint64_t read_ps, program_ps, erase_ps, read_fw_ps, write_fw_ps;
    double channel_gbps;
    bool steady_state, power_loss_protected;
} flash_cfg;

static const sim_param_def flash_params[] = {
    {"flash.channels", SIM_PARAM_UINT, "16", "1..256", "",
     "Flash channels of the SSD controller", SIM_AT(flash_cfg, channels)},
    {"flash.dies_per_channel", SIM_PARAM_UINT, "8", "1..256", "",
     "Dies on each flash channel", SIM_AT(flash_cfg, dies_per_channel)},
    {"flash.planes", SIM_PARAM_UINT, "2", "1..16", "",
     "Planes per die: a program unit is page_bytes x planes", SIM_AT(flash_cfg, planes)},
    {"flash.page_bytes", SIM_PARAM_UINT, "16KiB", "64..1MiB", "bytes",
     "Flash page (a power of two)", SIM_AT(flash_cfg, page_bytes)},
    {"flash.map_unit_bytes", SIM_PARAM_UINT, "4KiB", "64..1MiB", "bytes",
     "Unit of the static striping of the logical space over channels then dies (a power "
     "of two, at most page_bytes)",
     SIM_AT(flash_cfg, map_unit_bytes)},
    {"flash.pages_per_block", SIM_PARAM_UINT, "1152", "1..1048576", "",
     "Pages of a plane erased together (an erase block)", SIM_AT(flash_cfg, pages_per_block)},
    {"flash.die_bytes", SIM_PARAM_UINT, "32GiB", "1MiB..16TiB", "bytes",
     "Raw capacity of one die", SIM_AT(flash_cfg, die_bytes)},
    {"flash.capacity_bytes", SIM_PARAM_UINT, "3840GB", "1MiB..", "bytes",
     "User capacity; the raw capacity (dies x die_bytes) over it is the over-provisioning",
     SIM_AT(flash_cfg, capacity_bytes)},
    {"flash.read_us", SIM_PARAM_DOUBLE, "50", "0..1e6", "us",
     "Array read of a page into the die's page register (tR)", SIM_AT(flash_cfg, read_ps)},
    {"flash.program_us", SIM_PARAM_DOUBLE, "500", "0..1e6", "us",
     "Program of a unit (page_bytes x planes) from the page registers (tPROG)",
     SIM_AT(flash_cfg, program_ps)},
    {"flash.erase_us", SIM_PARAM_DOUBLE, "4500", "0..1e6", "us", "Block erase (tBERS)",
     SIM_AT(flash_cfg, erase_ps)},
    {"flash.channel_gbps", SIM_PARAM_DOUBLE, "11.2", "0.01..1e4", "Gbps",
     "Data rate of one flash channel (ONFI/Toggle bus)", SIM_AT(flash_cfg, channel_gbps)},
    {"flash.read_fw_us", SIM_PARAM_DOUBLE, "8", "0..1e6", "us",
     "Controller work of a read before the media: FTL look-up, ECC decode",
     SIM_AT(flash_cfg, read_fw_ps)},
    {"flash.write_fw_us", SIM_PARAM_DOUBLE, "5", "0..1e6", "us",
     "Controller work of a write once it has room in the buffer (or before its program "
     "without one)",
     SIM_AT(flash_cfg, write_fw_ps)},
    {"flash.write_buffer_bytes", SIM_PARAM_UINT, "8MiB", "0..1GiB", "bytes",
     "Power-loss-protected write buffer (0: writes complete when programmed, in place)",
     SIM_AT(flash_cfg, write_buffer_bytes)},
    {"flash.power_loss_protected", SIM_PARAM_BOOL, "true", NULL, "",
     "The write buffer survives power loss, so a flush completes at once",
     SIM_AT(flash_cfg, power_loss_protected)},
    {"flash.steady_state", SIM_PARAM_BOOL, "true", NULL, "",
     "The drive is full and garbage-collects: random writes cost write amplification "
     "from the over-provisioning (false: fresh, WA 1)",
     SIM_AT(flash_cfg, steady_state)},
};

struct flash {
    flash_cfg c;
    uint32_t channels, dies;
    unsigned map_shift;
    uint64_t unit_bytes; /* a program unit: page x planes */
    sim_resv *chan, *die;
    uint64_t chan_fs_per_byte; /* a channel's transfer time per byte, femtoseconds */
    double wa;
    /* Die time each unit programmed adds for garbage collection: for random data
     * (copies and erases) and for sequential data (erases only). */
    uint64_t gc_random_ps, gc_seq_ps;
    /* The write buffer: bytes held (the open unit and the units being programmed),
     * the open unit's fill and its random part, and when each unit being programmed
     * ends (a min-heap: room frees earliest first). Units held never exceed
     * buffer / unit + 1 (see flash_flush), which bounds the heap. */
    uint64_t held_bytes, open_bytes, open_random_bytes;
    uint64_t *release;
    uint32_t nrelease;
    uint32_t next_die; /* round-robin program placement */
    uint64_t last_write_end;
    bool have_last_write;
    /* stats */
    uint64_t reads, read_bytes, writes, write_bytes, seq_writes, programs, buffer_waits,
        flushes;
    sim_busy die_busy;
};

void flash_register_params(sim_params *p)
{
    sim_params_add_table(p, flash_params, SIM_TABLE_LEN(flash_params));
}

static flash_cfg flash_config(const sim_params *p)
{
    flash_cfg c;
    sim_params_load_table(p, flash_params, SIM_TABLE_LEN(flash_params), &c);
    return c;
}

static bool pow2(uint64_t x) { return x && !(x & (x - 1)); }

int flash_check(const sim_params *p, sim_err *e)
{
    flash_cfg c = flash_config(p);
    if (c.channels == 0 || c.dies_per_channel == 0)
        return sim_err_set(e, "flash.channels = %u and flash.dies_per_channel = %u: the "
                              "drive needs at least one die",
                           c.channels, c.dies_per_channel);
    if (!pow2(c.page_bytes))
        return sim_err_set(e, "flash.page_bytes = %llu is not a power of two",
                           (unsigned long long)c.page_bytes);
    if (!pow2(c.map_unit_bytes) || c.map_unit_bytes > c.page_bytes)
        return sim_err_set(e, "flash.map_unit_bytes = %llu is not a power of two no larger "
                              "than flash.page_bytes = %llu",
                           (unsigned long long)c.map_unit_bytes,
                           (unsigned long long)c.page_bytes);
    uint64_t unit = c.page_bytes * c.planes;
    if (c.write_buffer_bytes && c.write_buffer_bytes < unit)
        return sim_err_set(e, "flash.write_buffer_bytes = %llu is smaller than one program "
                              "unit, flash.page_bytes x flash.planes = %llu (0: no buffer)",
                           (unsigned long long)c.write_buffer_bytes, (unsigned long long)unit);
    /* dies <= 2^16 and die_bytes <= 2^44: the product fits. */
    uint64_t raw = (uint64_t)c.channels * c.dies_per_channel * c.die_bytes;
    if (c.capacity_bytes > raw)
        return sim_err_set(e, "flash.capacity_bytes = %llu exceeds the raw capacity, "
                              "flash.channels x flash.dies_per_channel x flash.die_bytes = %llu",
                           (unsigned long long)c.capacity_bytes, (unsigned long long)raw);
    if (c.steady_state && c.capacity_bytes == raw)
        return sim_err_set(e, "flash.steady_state = true with flash.capacity_bytes equal to "
                              "the raw capacity (%llu): no over-provisioning, so garbage "
                              "collection never ends",
                           (unsigned long long)raw);
    return 0;
}

/* W0(x) for x in [-1/e, 0): Halley's iteration from the branch point's series, which
 * converges in a few steps over the whole interval. */
static double lambert_w0(double x)
{
    double w = -1.0 + sqrt(fmax(0.0, 2.0 * (1.0 + M_E * x)));
    for (int i = 0; i < 64; i++) {
        double ew = exp(w), f = w * ew - x;
        if (w == -1.0 || f == 0.0)
            break;
        double step = f / (ew * (w + 1.0) - (w + 2.0) * f / (2.0 * w + 2.0));
        w -= step;
        if (fabs(step) < 1e-15)
            break;
    }
    return w;
}

/* Greedy GC under uniform random writes (see flash.h): a = raw / user capacity. */
static double write_amplification(double a)
{
    return a / (a + lambert_w0(-a * exp(-a)));
}

flash *flash_create(const sim_params *p, sim_stats *st)
{
    flash *f = sim_xcalloc(1, sizeof *f);
    flash_cfg c = f->c = flash_config(p);
    f->channels = c.channels;
    f->dies = c.channels * c.dies_per_channel;
    while ((1ull << f->map_shift) < c.map_unit_bytes)
        f->map_shift++;
    f->unit_bytes = c.page_bytes * c.planes;
    f->chan = sim_xcalloc(f->channels, sizeof *f->chan);
    f->die = sim_xcalloc(f->dies, sizeof *f->die);
    /* Gbps -> fs per byte: 8 bits / (G bits/s) = 8e6 / Gbps fs. */
    f->chan_fs_per_byte = (uint64_t)llround(8e6 / c.channel_gbps);
    f->wa = 1.0;
    if (c.steady_state) {
        double raw = (double)f->dies * (double)c.die_bytes;
        f->wa = write_amplification(raw / (double)c.capacity_bytes);
        double erase = (double)c.erase_ps / c.pages_per_block;
        f->gc_random_ps = (uint64_t)llround((f->wa - 1.0) * (double)(c.read_ps + c.program_ps) +
                                            f->wa * erase);
        f->gc_seq_ps = (uint64_t)llround(erase);
    }
    if (c.write_buffer_bytes)
        f->release = sim_xcalloc(c.write_buffer_bytes / f->unit_bytes + 1, sizeof *f->release);

    sim_stats_counter(st, "flash.reads", &f->reads, "reads reaching the media");
    sim_stats_counter(st, "flash.read_bytes", &f->read_bytes, "bytes read from the media");
    sim_stats_counter(st, "flash.writes", &f->writes, "writes reaching the media");
    sim_stats_counter(st, "flash.write_bytes", &f->write_bytes, "bytes written by the host");
    sim_stats_counter(st, "flash.seq_writes", &f->seq_writes,
                      "writes continuing the previous write's end (no GC copies)");
    sim_stats_counter(st, "flash.programs", &f->programs,
                      "program units (page x planes) programmed from the write buffer, "
                      "or map units programmed in place without one");
    sim_stats_counter(st, "flash.buffer_waits", &f->buffer_waits,
                      "writes that waited for room in the write buffer");
    sim_stats_counter(st, "flash.flushes", &f->flushes, "flushes reaching the media");
    sim_stats_value(st, "flash.write_amplification", &f->wa,
                    "write amplification of random writes from the over-provisioning "
                    "(1: fresh drive)");
    sim_stats_busy(st, "flash.die_busy_ps", &f->die_busy,
                   "die busy time within the window, all dies added (ps)");
    return f;
}

void flash_destroy(flash *f)
{
    if (!f)
        return;
    free(f->chan);
    free(f->die);
    free(f->release);
    free(f);
}

uint64_t flash_capacity_bytes(const flash *f) { return f->c.capacity_bytes; }
uint64_t flash_capacity_of(const sim_params *p) { return flash_config(p).capacity_bytes; }

double flash_write_amplification(const flash *f) { return f->wa; }

uint64_t flash_die_busy_ps(const flash *f) { return f->die_busy.window_ps; }

unsigned flash_dies(const flash *f) { return f->dies; }

static uint64_t xfer_ps(const flash *f, uint64_t bytes)
{
    return (bytes * f->chan_fs_per_byte + 500) / 1000;
}

/* Die time GC adds to a unit programmed of which random_bytes came from random writes. */
static uint64_t gc_ps(const flash *f, uint64_t random_bytes, uint64_t unit_bytes)
{
    if (!f->c.steady_state)
        return 0;
    uint64_t extra = f->gc_random_ps - f->gc_seq_ps;
    return f->gc_seq_ps +
           (uint64_t)((unsigned __int128)extra * random_bytes / unit_bytes);
}

/* Books die k for dur_ps no earlier than ready_ps; returns the end. */
static uint64_t die_book(flash *f, uint32_t k, uint64_t ready_ps, uint64_t dur_ps)
{
    uint64_t s = sim_resv_book(&f->die[k], ready_ps, dur_ps);
    sim_busy_add(&f->die_busy, s, dur_ps);
    return s + dur_ps;
}

static uint64_t chan_book(flash *f, uint32_t k, uint64_t ready_ps, uint64_t bytes)
{
    uint64_t x = xfer_ps(f, bytes);
    return sim_resv_book(&f->chan[k % f->channels], ready_ps, x) + x;
}

/* The bytes of map unit u inside [offset, end). */
static inline uint64_t unit_part(const flash *f, uint64_t u, uint64_t offset, uint64_t end)
{
    uint64_t lo = u << f->map_shift, hi = lo + f->c.map_unit_bytes;
    return (hi < end ? hi : end) - (lo > offset ? lo : offset);
}

uint64_t flash_read(flash *f, uint64_t t_ps, uint64_t offset_bytes, uint32_t len_bytes)
{
    uint64_t ready = t_ps + f->c.read_fw_ps, done = ready;
    f->reads++;
    f->read_bytes += len_bytes;
    if (len_bytes == 0)
        return done;
    uint64_t end = offset_bytes + len_bytes;
    for (uint64_t u = offset_bytes >> f->map_shift; u <= (end - 1) >> f->map_shift; u++) {
        uint32_t k = (uint32_t)(u % f->dies);
        uint64_t t = chan_book(f, k, die_book(f, k, ready, f->c.read_ps),
                               unit_part(f, u, offset_bytes, end));
        if (t > done)
            done = t;
    }
    return done;
}

/* ---- the write buffer's release times: a binary min-heap ---- */

static void release_push(flash *f, uint64_t t)
{
    uint64_t *h = f->release;
    uint32_t i = f->nrelease++;
    for (; i && h[(i - 1) / 2] > t; i = (i - 1) / 2)
        h[i] = h[(i - 1) / 2];
    h[i] = t;
}

static uint64_t release_pop(flash *f)
{
    uint64_t *h = f->release, top = h[0], last = h[--f->nrelease];
    uint32_t n = f->nrelease, i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1] < h[c])
            c++;
        if (h[c] >= last)
            break;
        h[i] = h[c];
        i = c;
    }
    if (n)
        h[i] = last;
    return top;
}

/* Programs the open unit on the next die in turn, its data ready at ready_ps: the
 * unit's room is held until the program ends. */
static void program_open_unit(flash *f, uint64_t ready_ps)
{
    uint32_t k = f->next_die;
    f->next_die = k + 1 == f->dies ? 0 : k + 1;
    uint64_t dur = f->c.program_ps + gc_ps(f, f->open_random_bytes, f->unit_bytes);
    uint64_t end = die_book(f, k, chan_book(f, k, ready_ps, f->unit_bytes), dur);
    f->held_bytes += f->unit_bytes - f->open_bytes;
    f->open_bytes = f->open_random_bytes = 0;
    f->programs++;
    release_push(f, end);
}

/* Without a buffer: each map unit programmed in place on its own die. */
static uint64_t write_in_place(flash *f, uint64_t t_ps, uint64_t offset, uint32_t len,
                               bool random)
{
    uint64_t ready = t_ps + f->c.write_fw_ps, done = ready;
    uint64_t end = offset + len;
    for (uint64_t u = offset >> f->map_shift; u <= (end - 1) >> f->map_shift; u++) {
        uint32_t k = (uint32_t)(u % f->dies);
        uint64_t bytes = unit_part(f, u, offset, end);
        uint64_t dur = f->c.program_ps + gc_ps(f, random ? bytes : 0, f->unit_bytes);
        uint64_t t = die_book(f, k, chan_book(f, k, ready, bytes), dur);
        f->programs++;
        if (t > done)
            done = t;
    }
    return done;
}

uint64_t flash_write(flash *f, uint64_t t_ps, uint64_t offset_bytes, uint32_t len_bytes)
{
    bool random = !(f->have_last_write && offset_bytes == f->last_write_end);
    f->have_last_write = true;
    f->last_write_end = offset_bytes + len_bytes;
    f->writes++;
    f->write_bytes += len_bytes;
    f->seq_writes += !random;
    if (len_bytes == 0)
        return t_ps + f->c.write_fw_ps;
    if (!f->c.write_buffer_bytes)
        return write_in_place(f, t_ps, offset_bytes, len_bytes, random);

    while (f->nrelease && f->release[0] <= t_ps) { /* programs already over */
        release_pop(f);
        f->held_bytes -= f->unit_bytes;
    }
    uint64_t accepted = t_ps, left = len_bytes;
    bool waited = false;
    while (left) {
        uint64_t chunk = f->unit_bytes - f->open_bytes;
        if (chunk > left)
            chunk = left;
        while (f->held_bytes + chunk > f->c.write_buffer_bytes) {
            /* The open unit alone always fits (buffer >= unit): a program is under way. */
            assert(f->nrelease);
            uint64_t r = release_pop(f);
            f->held_bytes -= f->unit_bytes;
            if (r > accepted)
                accepted = r;
            waited = true;
        }
        f->held_bytes += chunk;
        f->open_bytes += chunk;
        if (random)
            f->open_random_bytes += chunk;
        left -= chunk;
        if (f->open_bytes == f->unit_bytes)
            program_open_unit(f, accepted);
    }
    f->buffer_waits += waited;
    return accepted + f->c.write_fw_ps;
}

uint64_t flash_flush(flash *f, uint64_t t_ps)
{
    f->flushes++;
    if (f->c.power_loss_protected || !f->c.write_buffer_bytes)
        return t_ps;
    /* The open unit is padded and programmed. It may take the held bytes past the
     * buffer by less than a unit (the heap has room for that one more); the next write
     * waits for room first. */
    if (f->open_bytes)
        program_open_unit(f, t_ps);
    uint64_t done = t_ps;
    for (uint32_t i = 0; i < f->nrelease; i++)
        if (f->release[i] > done)
            done = f->release[i];
    return done;
}
