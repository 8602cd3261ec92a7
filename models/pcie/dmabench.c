#include "models/pcie/dmabench.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "models/mem/mem.h"
#include "models/pcie/cfgspace.h"
#include "models/pcie/dma.h"
#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "sim/kernel.h"
#include "sim/rng.h"

#define FOUR_GIB (1ull << 32)
/* Requester ID of the benchmarked function: bus 1, device 0, function 0, behind the
 * root port on bus 0. */
#define DEVICE_RID 0x0100u
/* The benchmarked function's identity: a network controller (class 02h). */
#define DEVICE_VENDOR_ID 0x19eeu
#define DEVICE_DEVICE_ID 0x4000u
#define DEVICE_CLASS 0x020000u
#define DEVICE_BAR0_BYTES (16ull << 20)
/* Where firmware places device BARs: a 256 MiB MMIO window below 4 GiB. */
#define MMIO_BASE 0xE0000000ull
#define MMIO_BYTES (256ull << 20)

enum op { OP_READ, OP_WRITE, OP_RW };

typedef struct inflight {
    uint64_t done_ps;
    uint64_t issued_ps;
    uint32_t is_write;
} inflight;

typedef struct dmabench {
    sim_kernel *kernel;
    mem *mem;
    pcie_link *link;
    pcie_rc *rc;
    pcie_dma *dma;
    pcie_cfg_bus *bus;
    pcie_cfg *fn;
    sim_event *done_ev;
    sim_rng rng;
    enum op op;
    bool random;
    uint64_t base, window, size, align, offset, next_slot;
    uint64_t engine_ps;
    uint64_t issued;
    /* completions not yet retired: a binary min-heap on done_ps */
    inflight *heap;
    size_t n, cap;
    /* stats */
    uint64_t reads, writes, read_bytes, write_bytes, urs;
    sim_hist *latency;
} dmabench;

void dmabench_register_params(sim_params *p)
{
    sim_params_add_enum(p, "dma.op", "read", "read|write|rw",
                        "DMA benchmark operation: read host memory, write it, or alternate");
    sim_params_add_uint(p, "dma.size_bytes", 64, 1, 1u << 20, "bytes", "Bytes per DMA transfer");
    sim_params_add_uint(p, "dma.window_bytes", 8192, 1, 1ull << 40, "bytes",
                        "Host buffer the transfers fall in");
    sim_params_add_enum(p, "dma.pattern", "seq", "seq|random",
                        "Transfer addresses: sequential through the window, or random");
    sim_params_add_uint(p, "dma.outstanding", 64, 1, 65536, "transfers",
                        "Transfers the engine keeps in flight");
    sim_params_add_enum(p, "dma.cache", "warm", "warm|cold",
                        "Host buffer in the last-level cache at the start (warm) or not (cold)");
    sim_params_add_double(p, "dma.engine_latency_ns", 122.0, 0.0, 1e6, "ns",
                          "Device DMA engine: from a transfer's request to its first TLP");
    sim_params_add_uint(p, "dma.offset_bytes", 0, 0, 4095, "bytes",
                        "Start of each transfer past its slot's boundary (unaligned DMA)");
    sim_params_add_uint(p, "dma.mps_supported_bytes", 4096, 128, 4096, "bytes",
                        "The device's Max_Payload_Size Supported (Device Capabilities)");
    sim_params_add_uint(p, "dma.base_addr", 0, 0, UINT64_MAX, "bytes",
                        "Host address of the window (0: 4 GiB for 64-bit devices, 256 MiB "
                        "for 32-bit ones)");
}

static uint64_t window_base(const sim_params *p)
{
    uint64_t base = sim_params_uint(p, "dma.base_addr");
    if (base)
        return base;
    return sim_params_uint(p, "pcie.addr_bits") >= 64 ? FOUR_GIB : 256ull << 20;
}

int dmabench_check(const sim_params *p, sim_err *e)
{
    uint64_t size = sim_params_uint(p, "dma.size_bytes");
    uint64_t window = sim_params_uint(p, "dma.window_bytes");
    uint64_t need = size + sim_params_uint(p, "dma.offset_bytes");
    if (window < need)
        return sim_err_set(e, "dma.window_bytes = %llu is smaller than dma.size_bytes%s = %llu",
                           (unsigned long long)window,
                           need > size ? " + dma.offset_bytes" : "", (unsigned long long)need);
    uint64_t mps = sim_params_uint(p, "pcie.mps_bytes");
    uint64_t mpss = sim_params_uint(p, "dma.mps_supported_bytes");
    if (mps > mpss)
        return sim_err_set(e, "pcie.mps_bytes = %llu exceeds the device's Max_Payload_Size "
                              "Supported (dma.mps_supported_bytes = %llu)",
                           (unsigned long long)mps, (unsigned long long)mpss);
    uint64_t base = window_base(p);
    if (base + window < base)
        return sim_err_set(e, "dma.base_addr + dma.window_bytes overflows the address space");
    unsigned bits = (unsigned)sim_params_uint(p, "pcie.addr_bits");
    if (bits < 64 && base + window > (1ull << bits))
        return sim_err_set(e, "the DMA window [%#llx, %#llx) is beyond the device's %u-bit "
                              "addresses (pcie.addr_bits)",
                           (unsigned long long)base, (unsigned long long)(base + window), bits);
    return 0;
}

static void heap_push(dmabench *b, inflight x)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->heap = realloc(b->heap, b->cap * sizeof *b->heap);
        assert(b->heap);
    }
    size_t i = b->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (b->heap[parent].done_ps <= x.done_ps)
            break;
        b->heap[i] = b->heap[parent];
        i = parent;
    }
    b->heap[i] = x;
}

static inflight heap_pop(dmabench *b)
{
    inflight top = b->heap[0], last = b->heap[--b->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        uint64_t mv = last.done_ps;
        if (l < b->n && b->heap[l].done_ps < mv) {
            m = l;
            mv = b->heap[l].done_ps;
        }
        if (r < b->n && b->heap[r].done_ps < mv)
            m = r;
        if (m == i)
            break;
        b->heap[i] = b->heap[m];
        i = m;
    }
    if (b->n)
        b->heap[i] = last;
    return top;
}

/* The window is divided into slots of `align` bytes; a transfer starts `offset` bytes
 * into a slot, the next one in sequence or a random one. */
static uint64_t next_addr(dmabench *b)
{
    uint64_t slots = (b->window - b->size - b->offset) / b->align + 1;
    uint64_t slot;
    if (b->random) {
        slot = sim_rng_below(&b->rng, slots);
    } else {
        slot = b->next_slot;
        b->next_slot = slot + 1 < slots ? slot + 1 : 0;
    }
    return b->base + slot * b->align + b->offset;
}

static void issue(dmabench *b, uint64_t now)
{
    bool write = b->op == OP_WRITE || (b->op == OP_RW && (b->issued & 1));
    b->issued++;
    uint64_t addr = next_addr(b);
    uint64_t start = now + b->engine_ps;
    inflight x = {.issued_ps = now, .is_write = write};
    if (write) {
        x.done_ps = pcie_dma_write(b->dma, start, addr, b->size);
    } else {
        bool ur = false;
        x.done_ps = pcie_dma_read(b->dma, start, addr, b->size, &ur);
        b->urs += ur;
    }
    heap_push(b, x);
}

static void on_done(void *ctx)
{
    dmabench *b = ctx;
    uint64_t now = sim_now_ps(b->kernel);
    while (b->n && b->heap[0].done_ps <= now) {
        inflight x = heap_pop(b);
        sim_hist_add(b->latency, x.done_ps - x.issued_ps);
        if (x.is_write) {
            b->writes++;
            b->write_bytes += b->size;
        } else {
            b->reads++;
            b->read_bytes += b->size;
        }
        issue(b, now);
    }
    sim_event_notify_at(b->done_ev, b->heap[0].done_ps);
}

static double gbps(const sim_stats *s, uint64_t bytes)
{
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? (double)bytes * 8.0 / ((double)el / 1000.0) : 0.0; /* bits per ns = Gb/s */
}

static double m_read_gbps(const sim_stats *s, void *ctx) { return gbps(s, ((dmabench *)ctx)->read_bytes); }
static double m_write_gbps(const sim_stats *s, void *ctx) { return gbps(s, ((dmabench *)ctx)->write_bytes); }

static double m_gbps(const sim_stats *s, void *ctx)
{
    const dmabench *b = ctx;
    switch (b->op) {
    case OP_READ: return gbps(s, b->read_bytes);
    case OP_WRITE: return gbps(s, b->write_bytes);
    default: return gbps(s, b->read_bytes + b->write_bytes) / 2.0;
    }
}

static double m_mtps(const sim_stats *s, void *ctx)
{
    const dmabench *b = ctx;
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? (double)(b->reads + b->writes) / ((double)el / 1e6) : 0.0;
}

static double m_lat_p50(const sim_stats *s, void *ctx)
{
    (void)s;
    return sim_hist_quantile(((dmabench *)ctx)->latency, 0.5) / 1000.0;
}

static double m_lat_p99(const sim_stats *s, void *ctx)
{
    (void)s;
    return sim_hist_quantile(((dmabench *)ctx)->latency, 0.99) / 1000.0;
}

static double m_lat_mean(const sim_stats *s, void *ctx)
{
    (void)s;
    return sim_hist_mean(((dmabench *)ctx)->latency) / 1000.0;
}

static uint64_t pow2_at_least(uint64_t x)
{
    uint64_t p = 1;
    while (p < x)
        p <<= 1;
    return p;
}

static void register_stats(dmabench *b, sim_stats *st)
{
    sim_stats_counter(st, "dma.reads", &b->reads, "read transfers completed");
    sim_stats_counter(st, "dma.writes", &b->writes, "write transfers completed");
    sim_stats_counter(st, "dma.read_bytes", &b->read_bytes, "payload bytes read");
    sim_stats_counter(st, "dma.write_bytes", &b->write_bytes, "payload bytes written");
    sim_stats_counter(st, "dma.unsupported_requests", &b->urs, "transfers with a blocked request");
    b->latency = sim_stats_hist(st, "dma.latency_ps", "ps", "transfer latency, request to done");
    sim_stats_metric(st, "dma_gbps", m_gbps, b,
                     "payload Gb/s (read+write: per direction, the mean of the two)");
    sim_stats_metric(st, "dma_read_gbps", m_read_gbps, b, "read payload Gb/s");
    sim_stats_metric(st, "dma_write_gbps", m_write_gbps, b, "write payload Gb/s");
    sim_stats_metric(st, "dma_mtps", m_mtps, b, "million transfers per second");
    sim_stats_metric(st, "dma_latency_ns_mean", m_lat_mean, b, "mean transfer latency (ns)");
    sim_stats_metric(st, "dma_latency_ns_p50", m_lat_p50, b, "median transfer latency (ns)");
    sim_stats_metric(st, "dma_latency_ns_p99", m_lat_p99, b, "99th percentile transfer latency (ns)");
}

/* The function's configuration space, and what firmware and the OS do at boot:
 * enumerate the bus, place the BARs, program MPS and MRRS in Device Control. The DMA
 * engine then splits by what was programmed. */
static int bring_up_function(dmabench *b, const sim_params *p, sim_stats *st, sim_err *e)
{
    b->bus = pcie_cfg_bus_create();
    b->fn = pcie_cfg_create(DEVICE_VENDOR_ID, DEVICE_DEVICE_ID, DEVICE_CLASS);
    const pcie_link_cfg *lc = pcie_link_config(b->link);
    pcie_cfg_exp_info info = {
        .port_type = PCIE_EXP_TYPE_ENDPOINT,
        .mps_supported_bytes = (unsigned)sim_params_uint(p, "dma.mps_supported_bytes"),
        .max_link_speed = lc->gen,
        .max_link_width = lc->lanes,
    };
    if (!pcie_cfg_add_bar(b->fn, 0, DEVICE_BAR0_BYTES, true, true) ||
        !pcie_cfg_add_exp_capability(b->fn, &info) ||
        !pcie_cfg_add_msix_capability(b->fn, 1, 0, 0x8000, 0, 0x9000) ||
        !pcie_cfg_exp_set_link_status(b->fn, lc->gen, lc->lanes) ||
        !pcie_cfg_bus_attach(b->bus, DEVICE_RID, b->fn))
        return sim_err_set(e, "cannot build the device's configuration space");
    uint16_t rids[8];
    size_t n = pcie_cfg_bus_enumerate(b->bus, 2, rids, 8);
    if (n != 1 || rids[0] != DEVICE_RID ||
        pcie_cfg_bus_assign_bars(b->bus, rids, n, MMIO_BASE, MMIO_BYTES, NULL) != 0 ||
        !pcie_cfg_exp_set_mps_mrrs(b->fn, lc->mps_bytes, lc->mrrs_bytes))
        return sim_err_set(e, "device bring-up failed: enumeration found %zu functions", n);
    pcie_dma_set_limits(b->dma, pcie_cfg_exp_mps_bytes(b->fn), pcie_cfg_exp_mrrs_bytes(b->fn));
    pcie_cfg_register_stats(b->fn, st, "dev.cfg");
    return 0;
}

void *dmabench_build(const sim_ctx *ctx, sim_err *e)
{
    const sim_params *p = ctx->params;
    dmabench *b = calloc(1, sizeof *b);
    assert(b);
    b->kernel = ctx->kernel;
    b->mem = mem_create(p, ctx->stats);
    b->link = pcie_link_create(p, ctx->stats, "pcie");
    b->rc = pcie_rc_create(p, ctx->stats, b->link, b->mem);
    b->dma = pcie_dma_create(b->link, b->rc, DEVICE_RID, (uint32_t)sim_params_uint(p, "pcie.tags"));
    if (bring_up_function(b, p, ctx->stats, e) < 0) {
        dmabench_destroy(b);
        return NULL;
    }
    sim_rng_seed(&b->rng, ctx->seed, "dma");
    b->op = (enum op)sim_params_enum_index(p, "dma.op");
    b->random = sim_params_enum_index(p, "dma.pattern") == 1;
    b->base = window_base(p);
    b->window = sim_params_uint(p, "dma.window_bytes");
    b->size = sim_params_uint(p, "dma.size_bytes");
    b->offset = sim_params_uint(p, "dma.offset_bytes");
    b->align = pow2_at_least(b->size);
    if (b->align > 4096)
        b->align = 4096;
    b->engine_ps = (uint64_t)llround(sim_params_double(p, "dma.engine_latency_ns") * 1000.0);
    if (sim_params_enum_index(p, "dma.cache") == 0)
        mem_touch(b->mem, b->base, b->window);
    register_stats(b, ctx->stats);

    b->done_ev = sim_event_create(ctx->kernel, "dma.done", on_done, b);
    uint64_t outstanding = sim_params_uint(p, "dma.outstanding");
    for (uint64_t i = 0; i < outstanding; i++)
        issue(b, 0);
    sim_event_notify_at(b->done_ev, b->heap[0].done_ps);
    return b;
}

void dmabench_destroy(void *bench)
{
    dmabench *b = bench;
    pcie_cfg_bus_destroy(b->bus);
    pcie_cfg_destroy(b->fn);
    pcie_dma_destroy(b->dma);
    pcie_rc_destroy(b->rc);
    pcie_link_destroy(b->link);
    mem_destroy(b->mem);
    free(b->heap);
    free(b);
}
