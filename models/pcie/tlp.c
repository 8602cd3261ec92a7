/* PCIe TLP sizes, split rules, line rates and link overheads. The numbers and their
 * sources are in docs/pcie-model.md; comments here say why a rule has its shape. */
#include "models/pcie/tlp.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>

#define AS_PER_US UINT64_C(1000000000000)

/* 8b/10b: a SKP ordered set is COM + 3 SKP symbols per lane, scheduled every 1180 to
 * 1538 symbol times (Base Spec 4.2.8.1, 4.2.8.4); the longest interval is the one a
 * transmitter that minimises overhead uses, and the one the reference model uses. */
#define SKP_8B10B_SYMBOLS 4u
#define SKP_8B10B_INTERVAL_SYMBOLS 1538u
/* 128b/130b Non-Flit Mode: one 16-symbol SKP block every 370 to 375 blocks, preceded
 * by a 4-symbol EDS token in the last DW of the previous data block (4.2.2.3.2). */
#define SKP_128B_INTERVAL_BLOCKS 375u
#define EDS_TOKEN_BYTES 4u
/* Flit Mode SKP ordered sets: 16 symbols at 128b/130b, 40 at 1b/1b (4.2.8.2-3). */
#define SKP_128B_SYMBOLS 16u
#define SKP_1B1B_SYMBOLS 40u
/* Ack latency formula (3.6.3.1): TLP overhead of 28 symbols and the receiver's
 * internal delay per data rate, the constants that reproduce Tables 3-10..3-12. */
#define ACK_TLP_OVERHEAD_SYMBOLS 28u

static const uint32_t lane_mtps[PCIE_GEN_MAX + 1] = {0, 2500, 5000, 8000, 16000, 32000, 64000};

const char *pcie_tlp_type_name(enum pcie_tlp_type t)
{
    switch (t) {
    case PCIE_TLP_MRD: return "MRd";
    case PCIE_TLP_MWR: return "MWr";
    case PCIE_TLP_CPLD: return "CplD";
    case PCIE_TLP_CPL: return "Cpl";
    case PCIE_TLP_MSG: return "Msg";
    case PCIE_TLP_MSGD: return "MsgD";
    case PCIE_TLP_NTYPES: break;
    }
    return "?";
}

pcie_link_cfg pcie_link_cfg_default(void)
{
    return (pcie_link_cfg){
        .gen = 3,
        .lanes = 8,
        .mps_bytes = 256,
        .mrrs_bytes = 512,
        .rcb_bytes = 64,
        .addr_bits = 64,
        .ecrc = false,
        .flit_mode = false,
    };
}

static bool valid_lanes(unsigned lanes)
{
    switch (lanes) {
    case 1: case 2: case 4: case 8: case 12: case 16: case 32: return true;
    default: return false;
    }
}

static bool valid_size_field(uint32_t bytes)
{
    return bytes >= 128 && bytes <= 4096 && (bytes & (bytes - 1)) == 0;
}

int pcie_link_cfg_check(const pcie_link_cfg *cfg, sim_err *e)
{
    if (cfg->gen < 1 || cfg->gen > PCIE_GEN_MAX)
        return sim_err_set(e, "pcie.gen = %u: must be 1 to %u", cfg->gen, PCIE_GEN_MAX);
    if (!valid_lanes(cfg->lanes))
        return sim_err_set(e, "pcie.lanes = %u: must be 1, 2, 4, 8, 12, 16 or 32", cfg->lanes);
    if (!valid_size_field(cfg->mps_bytes))
        return sim_err_set(e, "pcie.mps_bytes = %u: must be a power of two from 128 to 4096",
                           cfg->mps_bytes);
    if (!valid_size_field(cfg->mrrs_bytes))
        return sim_err_set(e, "pcie.mrrs_bytes = %u: must be a power of two from 128 to 4096",
                           cfg->mrrs_bytes);
    if (cfg->rcb_bytes != 64 && cfg->rcb_bytes != 128)
        return sim_err_set(e, "pcie.rcb_bytes = %u: must be 64 or 128", cfg->rcb_bytes);
    if (cfg->addr_bits != 32 && cfg->addr_bits != 64)
        return sim_err_set(e, "pcie.addr_bits = %u: must be 32 or 64", cfg->addr_bits);
    return 0;
}


/* ---------------------------------------------------------------- line rates */

uint32_t pcie_lane_rate_mtps(unsigned gen)
{
    assert(gen >= 1 && gen <= PCIE_GEN_MAX);
    return lane_mtps[gen];
}

double pcie_lane_rate_gtps(unsigned gen)
{
    return pcie_lane_rate_mtps(gen) / 1000.0;
}

void pcie_encoding(unsigned gen, uint32_t *payload_bits, uint32_t *line_bits)
{
    assert(gen >= 1 && gen <= PCIE_GEN_MAX);
    if (gen <= 2) {
        *payload_bits = 8;
        *line_bits = 10;
    } else if (gen <= 5) {
        *payload_bits = 128;
        *line_bits = 130;
    } else {
        /* PAM4 with 1b/1b: no line code; the FEC lives inside the flit. */
        *payload_bits = 1;
        *line_bits = 1;
    }
}

double pcie_encoding_efficiency(unsigned gen)
{
    uint32_t num, den;
    pcie_encoding(gen, &num, &den);
    return (double)num / den;
}

double pcie_link_raw_gbps(const pcie_link_cfg *cfg)
{
    return cfg->lanes * pcie_lane_rate_gtps(cfg->gen) * pcie_encoding_efficiency(cfg->gen);
}

double pcie_link_raw_bytes_per_s(const pcie_link_cfg *cfg)
{
    return pcie_link_raw_gbps(cfg) * 1e9 / 8.0;
}

/* ---------------------------------------------------------------- split rules */

uint32_t pcie_split_count(const pcie_split *s)
{
    pcie_split copy = *s;
    pcie_chunk c;
    uint32_t n = 0;
    while (pcie_split_next(&copy, &c))
        n++;
    return n;
}

static uint32_t split_run(pcie_split *s, pcie_chunk_fn fn, void *ctx)
{
    pcie_chunk c;
    uint32_t n = 0;
    while (pcie_split_next(s, &c)) {
        if (fn)
            fn(ctx, c.addr, c.len_bytes);
        n++;
    }
    return n;
}

uint32_t pcie_split_write(uint64_t addr, uint64_t len_bytes, uint32_t mps_bytes,
                          pcie_chunk_fn fn, void *ctx)
{
    pcie_split s;
    pcie_split_write_init(&s, addr, len_bytes, mps_bytes);
    return split_run(&s, fn, ctx);
}

uint32_t pcie_split_read_requests(uint64_t addr, uint64_t len_bytes, uint32_t mrrs_bytes,
                                  pcie_chunk_fn fn, void *ctx)
{
    pcie_split s;
    pcie_split_read_init(&s, addr, len_bytes, mrrs_bytes);
    return split_run(&s, fn, ctx);
}

uint32_t pcie_split_completions(uint64_t addr, uint32_t len_bytes, uint32_t rcb_bytes,
                                uint32_t mps_bytes, pcie_chunk_fn fn, void *ctx)
{
    pcie_split s;
    pcie_split_cpl_init(&s, addr, len_bytes, rcb_bytes, mps_bytes);
    return split_run(&s, fn, ctx);
}

/* ---------------------------------------------------------------- link overheads */

uint32_t pcie_ack_factor_x10(unsigned lanes, uint32_t mps_bytes)
{
    /* The AckFactor column of the spec's formula: narrow links acknowledge after about
     * 1.4 maximum-size TLPs at small MPS and after one at large MPS; wide links wait
     * for more because each TLP takes fewer symbol times. */
    if (mps_bytes <= 256)
        return lanes <= 4 ? 14 : lanes == 8 ? 25 : 30;
    return lanes <= 8 ? 10 : 20;
}

static uint32_t internal_delay_symbols(unsigned gen)
{
    return gen == 1 ? 19 : gen == 2 ? 70 : 115;
}

uint32_t pcie_ack_limit_symbols(unsigned gen, unsigned lanes, uint32_t mps_bytes)
{
    assert(gen >= 1 && gen <= PCIE_GEN_MAX && lanes > 0);
    /* floor(x / 10 / lanes + delay) in integers: the tables truncate. */
    uint64_t num = (uint64_t)(mps_bytes + ACK_TLP_OVERHEAD_SYMBOLS) *
                       pcie_ack_factor_x10(lanes, mps_bytes) +
                   (uint64_t)10 * lanes * internal_delay_symbols(gen);
    return (uint32_t)(num / (10u * lanes));
}

uint32_t pcie_updatefc_limit_symbols(unsigned gen, unsigned lanes, uint32_t mps_bytes)
{
    return pcie_ack_limit_symbols(gen, lanes, mps_bytes);
}

double pcie_dllp_overhead(const pcie_link_cfg *cfg)
{
    if (pcie_link_is_flit(cfg))
        return 0.0;
    /* The reference model charges one Ack and one UpdateFC DLLP per limit-many byte
     * times of each direction (a conservative reading: the limit is in symbol times,
     * which carry `lanes` bytes). It is what its 57.88 Gb/s and every derived number
     * contain, so it is kept as is. */
    double ack = pcie_ack_limit_symbols(cfg->gen, cfg->lanes, cfg->mps_bytes);
    double fc = pcie_updatefc_limit_symbols(cfg->gen, cfg->lanes, cfg->mps_bytes);
    return PCIE_DLLP_WIRE_BYTES / ack + PCIE_DLLP_WIRE_BYTES / fc;
}

uint32_t pcie_flit_skp_interval_flits(unsigned gen, unsigned lanes)
{
    assert(gen >= 1 && gen <= PCIE_GEN_MAX && lanes > 0);
    /* Table 4-30 keeps the SKP spacing per lane constant (wider links send more flits
     * in the same time): 46.75 flits per lane at 1b/1b, half at 128b/130b, truncated.
     * At 8b/10b the interval stays counted in symbols. */
    if (gen <= 2)
        return 0;
    return (gen >= 6 ? 748u : 374u) * lanes / 16u;
}

double pcie_skp_overhead(const pcie_link_cfg *cfg)
{
    unsigned gen = cfg->gen;
    if (gen <= 2)
        return (double)SKP_8B10B_SYMBOLS / SKP_8B10B_INTERVAL_SYMBOLS;
    if (pcie_link_is_flit(cfg)) {
        double skp = gen >= 6 ? SKP_1B1B_SYMBOLS : SKP_128B_SYMBOLS;
        double between = (double)pcie_flit_skp_interval_flits(gen, cfg->lanes) *
                         PCIE_FLIT_BYTES / cfg->lanes;
        return skp / (between + skp);
    }
    /* One block in every 375 is the SKP ordered set; the EDS token before it takes one
     * DW of the link's data stream. */
    double link_bytes = (double)SKP_128B_INTERVAL_BLOCKS * 16.0 * cfg->lanes;
    return 1.0 / SKP_128B_INTERVAL_BLOCKS + EDS_TOKEN_BYTES / link_bytes;
}

double pcie_tlp_share(const pcie_link_cfg *cfg)
{
    if (pcie_link_is_flit(cfg))
        return (double)PCIE_FLIT_TLP_BYTES / PCIE_FLIT_BYTES * (1.0 - pcie_skp_overhead(cfg));
    return 1.0 - pcie_dllp_overhead(cfg) - pcie_skp_overhead(cfg);
}

double pcie_link_tlp_gbps(const pcie_link_cfg *cfg)
{
    return pcie_link_raw_gbps(cfg) * pcie_tlp_share(cfg);
}

double pcie_link_tlp_bytes_per_s(const pcie_link_cfg *cfg)
{
    return pcie_link_tlp_gbps(cfg) * 1e9 / 8.0;
}

/* ---------------------------------------------------------------- serialization */

void pcie_link_timing_init(pcie_link_timing *t, const pcie_link_cfg *cfg)
{
    uint32_t num, den;
    pcie_encoding(cfg->gen, &num, &den);
    /* One byte is 8 payload bits = 8 x den / num line bits, spread over the lanes:
     * 8 x den / (lanes x MT/s x num) microseconds. Exact in integers up to rounding. */
    uint64_t n = 8u * (uint64_t)den * AS_PER_US;
    uint64_t d = (uint64_t)cfg->lanes * pcie_lane_rate_mtps(cfg->gen) * num;
    t->raw_as_per_byte = (n + d / 2) / d;
    t->tlp_as_per_byte = (uint64_t)llround((double)n / ((double)d * pcie_tlp_share(cfg)));
}

uint64_t pcie_tlp_wire_ps(const pcie_link_cfg *cfg, uint32_t wire_bytes)
{
    pcie_link_timing t;
    pcie_link_timing_init(&t, cfg);
    return pcie_tlp_occupancy_ps(&t, wire_bytes, NULL);
}

/* ---------------------------------------------------------------- reference model */

uint64_t pcie_model_buffer_addr(const pcie_link_cfg *cfg)
{
    return cfg->addr_bits >= 64 ? PCIE_ADDR64_MIN : UINT64_C(1) << 28;
}

static uint64_t write_bytes(const pcie_link_cfg *cfg, uint64_t addr, uint64_t size)
{
    pcie_split s;
    pcie_chunk c;
    uint64_t up = 0;
    pcie_split_write_init(&s, addr, size, cfg->mps_bytes);
    while (pcie_split_next(&s, &c))
        up += pcie_tlp_wire_bytes(cfg, PCIE_TLP_MWR, c.len_bytes, c.addr);
    return up;
}

static void read_bytes(const pcie_link_cfg *cfg, uint64_t addr, uint64_t size, uint64_t *up,
                       uint64_t *down)
{
    pcie_split rq, cp;
    pcie_chunk r, c;
    pcie_split_read_init(&rq, addr, size, cfg->mrrs_bytes);
    while (pcie_split_next(&rq, &r)) {
        *up += pcie_tlp_wire_bytes(cfg, PCIE_TLP_MRD, r.len_bytes, r.addr);
        pcie_split_cpl_init(&cp, r.addr, r.len_bytes, cfg->rcb_bytes, cfg->mps_bytes);
        while (pcie_split_next(&cp, &c))
            *down += pcie_tlp_wire_bytes(cfg, PCIE_TLP_CPLD, c.len_bytes, c.addr);
    }
}

void pcie_model_transfer_bytes_by_tlp(const pcie_link_cfg *cfg, enum pcie_dma_op op,
                                      uint64_t addr, uint64_t size_bytes, uint64_t *up_bytes,
                                      uint64_t *down_bytes)
{
    uint64_t up = 0, down = 0;
    if (op == PCIE_DMA_WRITE || op == PCIE_DMA_RW)
        up += write_bytes(cfg, addr, size_bytes);
    if (op == PCIE_DMA_READ || op == PCIE_DMA_RW)
        read_bytes(cfg, addr, size_bytes, &up, &down);
    *up_bytes = up;
    *down_bytes = down;
}

/* The same sums without visiting every TLP (the NIC model accounts each of its DMAs
 * this way). What the split rules imply, for sizes that are powers of two with
 * 4 <= RCB <= MPS <= 4096 and 4 <= MRRS <= 4096 (every valid link; others, and
 * transfers of 4 GiB or more, go TLP by TLP):
 *  - a request (MWr, MRd) ends max bytes after its first DW's start or at a 4 KiB
 *    boundary, so every request but the first starts on a DW boundary, and they follow
 *    max bytes apart up to each 4 KiB boundary;
 *  - a read request's completions: a short one up to the next RCB boundary if the
 *    request starts off one, then MPS each; so every completion but the first of the
 *    transfer starts on a DW boundary too;
 *  - a TLP that starts on a DW boundary and, unless it is the last, ends on one carries
 *    no byte enables or OHC, its data is its length (the last rounds up to its DW) and
 *    its header depends only on whether it lies above 4 GiB; so only a transfer's first
 *    and last TLP need the per-TLP rules. */
static bool sums_apply(const pcie_link_cfg *cfg)
{
    uint32_t mps = cfg->mps_bytes, mrrs = cfg->mrrs_bytes, rcb = cfg->rcb_bytes;
    bool pow2 = (mps & (mps - 1)) == 0 && (mrrs & (mrrs - 1)) == 0 && (rcb & (rcb - 1)) == 0;
    return pow2 && rcb >= 4 && rcb <= mps && mps <= PCIE_BOUNDARY_BYTES && mrrs >= 4 &&
           mrrs <= PCIE_BOUNDARY_BYTES;
}

/* Requests of max_bytes (a power of two, 4..4096) splitting len bytes from a DW
 * boundary at addr. */
static uint64_t aligned_requests(uint64_t addr, uint64_t len, unsigned max_shift)
{
    uint64_t max = UINT64_C(1) << max_shift, page = PCIE_BOUNDARY_BYTES;
    uint64_t to_page = page - (addr & (page - 1));
    uint64_t first = len < to_page ? len : to_page, rest = len - first;
    return ((first + max - 1) >> max_shift) + (rest / page) * (page >> max_shift) +
           ((rest % page + max - 1) >> max_shift);
}

/* Bytes of the first request splitting [addr, addr + len). */
static uint64_t first_request_bytes(uint64_t addr, uint64_t len, uint32_t max_bytes)
{
    uint64_t n = max_bytes - (addr & 3);
    uint64_t to_page = PCIE_BOUNDARY_BYTES - (addr & (PCIE_BOUNDARY_BYTES - 1));
    if (n > to_page)
        n = to_page;
    return n < len ? n : len;
}

static uint64_t requests(uint64_t addr, uint64_t len, uint32_t max_bytes, unsigned max_shift)
{
    uint64_t n1 = first_request_bytes(addr, len, max_bytes);
    return 1 + aligned_requests(addr + n1, len - n1, max_shift);
}

/* Wire bytes of the requests of type t (MWr or MRd) splitting [addr, addr + len) when
 * there are several, n1 the first one's bytes. */
static uint64_t several_requests_wire_bytes(const pcie_link_cfg *cfg, enum pcie_tlp_type t,
                                            uint64_t addr, uint64_t len, uint32_t max_bytes,
                                            uint64_t n1)
{
    unsigned shift = (unsigned)__builtin_ctz(max_bytes);
    uint64_t count = 1 + aligned_requests(addr + n1, len - n1, shift);
    /* The last request starts max-apart from the first's end or, in a later page, from
     * the page's start. */
    uint64_t last_byte = addr + len - 1, page = last_byte & ~(uint64_t)(PCIE_BOUNDARY_BYTES - 1);
    uint64_t from = page > addr ? page : addr + n1;
    uint64_t last = from + (((last_byte - from) >> shift) << shift);
    /* Requests below 4 GiB: those of the part below it (4 GiB is a 4 KiB boundary). */
    uint64_t low = count;
    if (addr >= PCIE_ADDR64_MIN)
        low = 0;
    else if (len > PCIE_ADDR64_MIN - addr)
        low = requests(addr, PCIE_ADDR64_MIN - addr, max_bytes, shift);
    uint64_t mid = count - 2;
    uint64_t mid_low = low - (addr < PCIE_ADDR64_MIN) - (last < PCIE_ADDR64_MIN);
    return pcie_tlp_wire_bytes(cfg, t, (uint32_t)n1, addr) +
           pcie_tlp_wire_bytes(cfg, t, (uint32_t)(last_byte + 1 - last), last) +
           mid_low * pcie_tlp_wire_bytes(cfg, t, 0, 0) +
           (mid - mid_low) * pcie_tlp_wire_bytes(cfg, t, 0, PCIE_ADDR64_MIN) +
           pcie_tlp_data_bytes(t, 0, (uint32_t)(last - (addr + n1)));
}

/* Wire bytes of the requests of type t (MWr or MRd) splitting [addr, addr + len),
 * len > 0 and not past 2^64, with max_bytes each. Most transfers are one request. */
static uint64_t requests_wire_bytes(const pcie_link_cfg *cfg, enum pcie_tlp_type t,
                                    uint64_t addr, uint64_t len, uint32_t max_bytes)
{
    uint64_t n1 = first_request_bytes(addr, len, max_bytes);
    if (n1 == len)
        return pcie_tlp_wire_bytes(cfg, t, (uint32_t)len, addr);
    return several_requests_wire_bytes(cfg, t, addr, len, max_bytes, n1);
}

/* Completions of one read request [addr, addr + len), len > 0. */
static uint64_t completions(uint64_t addr, uint64_t len, uint32_t rcb_bytes, unsigned mps_shift)
{
    uint64_t in_block = addr & (rcb_bytes - 1);
    uint64_t first = in_block ? rcb_bytes - in_block : 0; /* the short one */
    if (first >= len)
        return 1;
    return (first != 0) + ((len - first + (UINT64_C(1) << mps_shift) - 1) >> mps_shift);
}

/* Wire bytes of the completions of a read of [addr, addr + len), len > 0 and not past
 * 2^64, n1 the bytes of its first request. */
static uint64_t completions_wire_bytes(const pcie_link_cfg *cfg, uint64_t addr, uint64_t len,
                                       uint64_t n1)
{
    uint32_t rcb = cfg->rcb_bytes, mrrs = cfg->mrrs_bytes;
    uint64_t in_block = addr & (rcb - 1);
    uint64_t first = in_block ? rcb - in_block : cfg->mps_bytes;
    if (n1 == len && first >= len)
        return pcie_tlp_wire_bytes(cfg, PCIE_TLP_CPLD, (uint32_t)len, addr); /* just one */
    if (first > n1)
        first = n1;
    unsigned mps_shift = (unsigned)__builtin_ctz(cfg->mps_bytes);
    /* Where each request starts decides its completions: counted request by request. */
    uint64_t count = completions(addr, n1, rcb, mps_shift);
    for (uint64_t at = addr + n1, left = len - n1; left;) {
        uint64_t m = PCIE_BOUNDARY_BYTES - (at & (PCIE_BOUNDARY_BYTES - 1));
        if (m > mrrs)
            m = mrrs;
        if (m > left)
            m = left;
        count += completions(at, m, rcb, mps_shift);
        at += m;
        left -= m;
    }
    return pcie_tlp_wire_bytes(cfg, PCIE_TLP_CPLD, (uint32_t)first, addr) +
           (count - 1) * pcie_tlp_wire_bytes(cfg, PCIE_TLP_CPLD, 0, 0) +
           pcie_tlp_data_bytes(PCIE_TLP_CPLD, 0, (uint32_t)(len - first));
}

void pcie_model_transfer_bytes(const pcie_link_cfg *cfg, enum pcie_dma_op op, uint64_t addr,
                               uint64_t size_bytes, uint64_t *up_bytes, uint64_t *down_bytes)
{
    uint64_t len = pcie_split_wraps(addr, size_bytes) ? 0 - addr : size_bytes;
    if (!sums_apply(cfg) || len > UINT32_MAX) {
        pcie_model_transfer_bytes_by_tlp(cfg, op, addr, size_bytes, up_bytes, down_bytes);
        return;
    }
    uint64_t up = 0, down = 0;
    if (len && (op == PCIE_DMA_WRITE || op == PCIE_DMA_RW))
        up += requests_wire_bytes(cfg, PCIE_TLP_MWR, addr, len, cfg->mps_bytes);
    if (len && (op == PCIE_DMA_READ || op == PCIE_DMA_RW)) {
        uint64_t n1 = first_request_bytes(addr, len, cfg->mrrs_bytes);
        if (n1 == len)
            up += pcie_tlp_wire_bytes(cfg, PCIE_TLP_MRD, (uint32_t)len, addr);
        else
            up += several_requests_wire_bytes(cfg, PCIE_TLP_MRD, addr, len, cfg->mrrs_bytes, n1);
        down += completions_wire_bytes(cfg, addr, len, n1);
    }
    *up_bytes = up;
    *down_bytes = down;
}

void pcie_xfer_memo_fill(pcie_xfer_memo *m, unsigned i, uint64_t key, const pcie_link_cfg *cfg,
                         enum pcie_dma_op op, uint64_t addr, uint64_t size_bytes)
{
    m->slot[i].key = key;
    pcie_model_transfer_bytes(cfg, op, addr, size_bytes, &m->slot[i].up_bytes,
                              &m->slot[i].down_bytes);
}

double pcie_model_link_gbps(const pcie_link_cfg *cfg)
{
    return pcie_link_raw_gbps(cfg);
}

double pcie_model_tlp_gbps(const pcie_link_cfg *cfg)
{
    return pcie_link_tlp_gbps(cfg);
}

double pcie_model_dma_gbps(const pcie_link_cfg *cfg, enum pcie_dma_op op, uint64_t size_bytes)
{
    uint64_t up, down;
    pcie_model_transfer_bytes(cfg, op, pcie_model_buffer_addr(cfg), size_bytes, &up, &down);
    /* Both directions run at the TLP rate; the busier one sets the transfer rate and
     * each transfer moves size_bytes of payload (per direction for RW). */
    uint64_t busiest = up > down ? up : down;
    if (busiest == 0)
        return 0.0;
    return pcie_link_tlp_gbps(cfg) * (double)size_bytes / (double)busiest;
}

double pcie_model_write_gbps(const pcie_link_cfg *cfg, uint64_t size_bytes)
{
    return pcie_model_dma_gbps(cfg, PCIE_DMA_WRITE, size_bytes);
}

double pcie_model_read_gbps(const pcie_link_cfg *cfg, uint64_t size_bytes)
{
    return pcie_model_dma_gbps(cfg, PCIE_DMA_READ, size_bytes);
}

double pcie_model_rw_gbps(const pcie_link_cfg *cfg, uint64_t size_bytes)
{
    return pcie_model_dma_gbps(cfg, PCIE_DMA_RW, size_bytes);
}
