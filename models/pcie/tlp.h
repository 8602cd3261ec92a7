/* PCIe transaction-layer and link arithmetic: TLP sizes on the wire, the split rules
 * for writes, read requests and completions, per-generation line rates and encodings,
 * the DLLP and SKP overheads, and the serialization time a link direction charges per
 * TLP. Pure functions on a pcie_link_cfg; nothing here allocates or touches the clock.
 *
 * The constants, their sources (PCIe Base Specification sections and tables) and the
 * overhead accounting are written up in docs/pcie-model.md.
 *
 * Vocabulary
 *   upstream    device -> root complex (a DMA engine's MWr and MRd)
 *   downstream  root complex -> device (CplD for DMA reads, MWr/MRd for MMIO)
 *   raw rate    bits per second per direction after line encoding (8b/10b, 128b/130b,
 *               1b/1b), before DLLPs, SKP ordered sets or flit overhead
 *   TLP rate    the part of the raw rate left for TLP bytes (framing, sequence number,
 *               LCRC and headers still count as TLP bytes)
 *
 * How a timed link uses this (see docs/pcie-model.md, "Charging a link direction"):
 * the DLLP (Ack, UpdateFC), SKP and flit overheads are folded into a rate factor,
 * pcie_tlp_share(). A direction reserves pcie_tlp_occupancy_ps() per TLP; that keeps
 * the overhead a fixed share of link time, as the reference model accounts it,
 * independent of how many TLPs carry the payload. */
#ifndef MODELS_PCIE_TLP_H
#define MODELS_PCIE_TLP_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/err.h"

#define PCIE_GEN_MAX 6u
/* Requests must not cross a 4 KiB address boundary (Base Spec 2.2.7). */
#define PCIE_BOUNDARY_BYTES 4096u
/* The first address a memory request must carry in a 4 DW header: below it the 3 DW
 * (32-bit) format is required (Base Spec 2.2.4.1). */
#define PCIE_ADDR64_MIN (UINT64_C(1) << 32)
/* Attoseconds per picosecond: link timing counts in attoseconds (pcie_link_timing). */
#define PCIE_AS_PER_PS UINT64_C(1000000)
/* Non-Flit Mode framing + sequence number + LCRC per TLP. 8b/10b: STP(1) + seq(2) +
 * LCRC(4) + END(1); 128b/130b: STP token(4, carries the 12-bit sequence number) +
 * LCRC(4). The same 8 bytes either way. */
#define PCIE_NFM_TLP_LINK_BYTES 8u
/* A DLLP on the wire: 6 bytes of DLLP plus SDP+END (8b/10b) or the 2-byte SDP token
 * (128b/130b). */
#define PCIE_DLLP_WIRE_BYTES 8u
#define PCIE_ECRC_BYTES 4u
/* Flit Mode: 256-byte flit = 236 TLP bytes + 6 DLP + 8 CRC + 6 ECC (Base Spec 6.x
 * 4.2.3.3). Acks and flow-control updates ride in the DLP bytes. */
#define PCIE_FLIT_BYTES 256u
#define PCIE_FLIT_TLP_BYTES 236u

enum pcie_tlp_type {
    PCIE_TLP_MRD,  /* memory read request, no data */
    PCIE_TLP_MWR,  /* memory write request (posted); MSI/MSI-X are MWr */
    PCIE_TLP_CPLD, /* completion with data */
    PCIE_TLP_CPL,  /* completion without data */
    PCIE_TLP_MSG,  /* message without data (4 DW header) */
    PCIE_TLP_MSGD, /* message with data */
    PCIE_TLP_NTYPES
};

const char *pcie_tlp_type_name(enum pcie_tlp_type t);

typedef struct pcie_link_cfg {
    unsigned gen;        /* 1..6 */
    unsigned lanes;      /* 1, 2, 4, 8, 12, 16, 32 */
    uint32_t mps_bytes;  /* Max_Payload_Size, 128..4096, a power of two */
    uint32_t mrrs_bytes; /* Max_Read_Request_Size, 128..4096, a power of two */
    uint32_t rcb_bytes;  /* Read Completion Boundary, 64 or 128 */
    unsigned addr_bits;  /* 32 or 64: where the pcie_model_* helpers put buffers */
    bool ecrc;           /* a 4-byte TLP digest on every TLP */
    bool flit_mode;      /* Flit Mode at gen 1-5 (PCIe 6.0 and later); gen 6 always is */
} pcie_link_cfg;

/* Gen3 x8, MPS 256, MRRS 512, RCB 64, 64-bit addresses, no ECRC, no flit mode: the
 * configuration of the reference numbers. */
pcie_link_cfg pcie_link_cfg_default(void);
/* 0 if cfg is a valid link; otherwise -1 with a message naming the field by its
 * parameter name (pcie.lanes, pcie.mps_bytes, ...). */
int pcie_link_cfg_check(const pcie_link_cfg *cfg, sim_err *e);
static inline bool pcie_link_is_flit(const pcie_link_cfg *cfg);

/* ---------------------------------------------------------------- line rates */

/* Transfers per second per lane, in MT/s (2500 .. 64000). At gen 6 a transfer is one
 * bit of a PAM4 symbol pair: 32 GBd x 2 bits. */
uint32_t pcie_lane_rate_mtps(unsigned gen);
double pcie_lane_rate_gtps(unsigned gen);
/* Line code as payload_bits / line_bits: 8/10, 128/130, 1/1. */
void pcie_encoding(unsigned gen, uint32_t *payload_bits, uint32_t *line_bits);
double pcie_encoding_efficiency(unsigned gen);
/* Per direction, after encoding: lanes x rate x efficiency. Gen3 x8: 63.015 Gb/s. */
double pcie_link_raw_gbps(const pcie_link_cfg *cfg);
double pcie_link_raw_bytes_per_s(const pcie_link_cfg *cfg);

/* ---------------------------------------------------------------- TLP sizes */

/* Header bytes: 3 DW for memory requests below 4 GiB and for completions, 4 DW for
 * memory requests at or above 4 GiB and for messages. In Flit Mode a memory request
 * whose first or last DW is partial carries OHC-A1 (byte enables, +4) and a completion
 * that starts off a DW boundary carries OHC-A5 (Lower Address[1:0], +4). `addr` is the
 * request address (completions: the address of their first byte); `len_bytes` the
 * bytes requested or carried. Messages ignore both. */
static inline uint32_t pcie_tlp_hdr_bytes(const pcie_link_cfg *cfg, enum pcie_tlp_type t,
                                          uint64_t addr, uint32_t len_bytes);
/* Data bytes on the wire: whole DWs covering [addr, addr + len). 0 for MRd, Cpl, Msg. */
static inline uint32_t pcie_tlp_data_bytes(enum pcie_tlp_type t, uint64_t addr, uint32_t len_bytes);
/* Everything one TLP puts on the wire: link framing (Non-Flit Mode), header, data,
 * ECRC. For MRd pass the requested length (it sets no data bytes but decides the
 * flit-mode byte-enable header). Flit overhead (DLP/CRC/ECC) is not in here: it is a
 * share of the link, see pcie_tlp_share(). */
static inline uint32_t pcie_tlp_wire_bytes(const pcie_link_cfg *cfg, enum pcie_tlp_type t,
                                           uint32_t payload_bytes, uint64_t addr);
/* What a PASID adds to a memory request (MRd, MWr; 0 for anything else): in Non-Flit
 * Mode the PASID End-End TLP Prefix, one DW before the header (Base Spec 2.2.10.4,
 * 6.20); in Flit Mode the PASID rides in OHC-A1, one DW, which a request with partial
 * byte enables carries already (2.2.5.2), so it adds nothing to that one. Completions
 * carry none. */
#define PCIE_PASID_PREFIX_BYTES 4u
static inline uint32_t pcie_tlp_pasid_bytes(const pcie_link_cfg *cfg, enum pcie_tlp_type t,
                                            uint64_t addr, uint32_t len_bytes);

/* ---------------------------------------------------------------- split rules */

typedef struct pcie_chunk {
    uint64_t addr;
    uint32_t len_bytes;
} pcie_chunk;

/* An allocation-free iterator over the TLPs of one transfer. Initialise with one of
 * the *_init functions, then call pcie_split_next until it returns false. The address
 * space ends at 2^64 and no TLP crosses it (it is a 4 KiB boundary): a transfer that
 * would run past it ends there, and pcie_split_wraps says so beforehand. */
typedef struct pcie_split {
    uint64_t addr;         /* start of the next chunk */
    uint64_t left;         /* bytes still to split (counted, not an end address, so a
                              transfer ending at 2^64 needs no 65th bit) */
    uint32_t max_bytes;    /* no chunk is longer (MPS or MRRS) */
    uint32_t align_bytes;  /* a chunk that does not end the transfer ends on a multiple
                              of this (RCB for completions, 1 otherwise) */
    uint32_t cross_bytes;  /* no chunk crosses a multiple of this (4 KiB for requests) */
} pcie_split;

/* Memory writes: at most MPS bytes each, never crossing 4 KiB. */
static inline void pcie_split_write_init(pcie_split *s, uint64_t addr, uint64_t len_bytes,
                                         uint32_t mps_bytes);
/* Memory read requests: at most MRRS bytes each, never crossing 4 KiB. */
static inline void pcie_split_read_init(pcie_split *s, uint64_t addr, uint64_t len_bytes,
                                        uint32_t mrrs_bytes);
/* Completions for one read request (which does not cross 4 KiB): each at most MPS
 * bytes; every completion but the last ends on an RCB boundary, so a request that
 * starts off the boundary gets a short first completion up to it. Passing
 * mps_bytes = rcb_bytes gives the RCB-sized completions some root complexes send. */
static inline void pcie_split_cpl_init(pcie_split *s, uint64_t addr, uint32_t len_bytes,
                                       uint32_t rcb_bytes, uint32_t mps_bytes);
static inline bool pcie_split_next(pcie_split *s, pcie_chunk *out);
/* Whether [addr, addr + len_bytes) runs past 2^64 (the part beyond is not split). */
static inline bool pcie_split_wraps(uint64_t addr, uint64_t len_bytes);
/* Chunks left, without consuming them. */
uint32_t pcie_split_count(const pcie_split *s);

/* Callback forms: call fn (may be NULL) for each chunk in order; return the count. */
typedef void (*pcie_chunk_fn)(void *ctx, uint64_t addr, uint32_t len_bytes);
uint32_t pcie_split_write(uint64_t addr, uint64_t len_bytes, uint32_t mps_bytes,
                          pcie_chunk_fn fn, void *ctx);
uint32_t pcie_split_read_requests(uint64_t addr, uint64_t len_bytes, uint32_t mrrs_bytes,
                                  pcie_chunk_fn fn, void *ctx);
uint32_t pcie_split_completions(uint64_t addr, uint32_t len_bytes, uint32_t rcb_bytes,
                                uint32_t mps_bytes, pcie_chunk_fn fn, void *ctx);

/* ---------------------------------------------------------------- link overheads */

/* AckFactor x 10 of the Ack latency formula (Base Spec 3.6.3.1; 14 = 1.4). */
uint32_t pcie_ack_factor_x10(unsigned lanes, uint32_t mps_bytes);
/* Ack latency limit in symbol times: floor((MPS + 28) x AckFactor / lanes +
 * InternalDelay), InternalDelay 19 / 70 / 115 symbol times at 2.5 / 5.0 / 8.0+ GT/s.
 * Reproduces Base Spec Tables 3-10..3-12 (and the x12 / x32 columns of earlier
 * revisions). */
uint32_t pcie_ack_limit_symbols(unsigned gen, unsigned lanes, uint32_t mps_bytes);
/* UpdateFC transmission guideline (Base Spec 2.6.1.2): the same formula with
 * UpdateFactor = AckFactor, hence the same values. */
uint32_t pcie_updatefc_limit_symbols(unsigned gen, unsigned lanes, uint32_t mps_bytes);
/* Share of link time spent on Ack and UpdateFC DLLPs, as the reference model accounts
 * it: one 8-byte Ack and one 8-byte UpdateFC per limit-many byte times. 0 in Flit
 * Mode, where both ride in each flit's DLP bytes. */
double pcie_dllp_overhead(const pcie_link_cfg *cfg);
/* Flits between SKP ordered sets in a Flit Mode data stream (Base Spec 6.x Table 4-30,
 * common clock / SRNS): 748 x lanes / 16 at 1b/1b, half that at 128b/130b. */
uint32_t pcie_flit_skp_interval_flits(unsigned gen, unsigned lanes);
/* Share of link time spent on SKP ordered sets (and the EDS token that precedes each
 * at 128b/130b in Non-Flit Mode). */
double pcie_skp_overhead(const pcie_link_cfg *cfg);
/* Share of the raw rate that carries TLP bytes: 1 - DLLP - SKP in Non-Flit Mode,
 * 236/256 x (1 - SKP) in Flit Mode. */
double pcie_tlp_share(const pcie_link_cfg *cfg);
/* pcie_link_raw_gbps x pcie_tlp_share. Gen3 x8 MPS 256: 57.88 Gb/s. */
double pcie_link_tlp_gbps(const pcie_link_cfg *cfg);
double pcie_link_tlp_bytes_per_s(const pcie_link_cfg *cfg);

/* ---------------------------------------------------------------- serialization */

/* Per-byte times in attoseconds, computed once per link so the per-TLP charge is an
 * integer multiply (deterministic, no drift). */
typedef struct pcie_link_timing {
    uint64_t raw_as_per_byte; /* one byte at the raw rate: the TLP's own bits */
    uint64_t tlp_as_per_byte; /* one TLP byte with the DLLP/SKP/flit share folded in */
} pcie_link_timing;

void pcie_link_timing_init(pcie_link_timing *t, const pcie_link_cfg *cfg);
/* How long a direction is occupied by a TLP of wire_bytes, DLLP/SKP/flit overhead
 * included: what a busy_until reservation adds. With carry_as (per direction, start
 * at 0) the sub-picosecond remainder is carried to the next TLP, so a long run of TLPs
 * sums exactly; with NULL the result is rounded to the nearest picosecond. */
static inline uint64_t pcie_tlp_occupancy_ps(const pcie_link_timing *t, uint32_t wire_bytes,
                                             uint64_t *carry_as);
/* The time the TLP's own bits take at the raw rate (first bit out to last bit out),
 * rounded to the nearest picosecond: what its latency sees on an idle link. */
static inline uint64_t pcie_tlp_serial_ps(const pcie_link_timing *t, uint32_t wire_bytes);
/* Convenience for one-off use: occupancy of wire_bytes on cfg, rounded. */
uint64_t pcie_tlp_wire_ps(const pcie_link_cfg *cfg, uint32_t wire_bytes);

/* ---------------------------------------------------------------- reference model */

/* The analytic bandwidth model of Neugebauer et al., SIGCOMM 2018 (pcie-bench), built
 * from the functions above: the payload rate a DMA engine reaches with unlimited
 * outstanding requests, one direction's link bytes being the bottleneck. This is the
 * reference column for validation; simulated numbers come from the timed link model.
 * Buffers are aligned and placed at pcie_model_buffer_addr(). */
enum pcie_dma_op { PCIE_DMA_READ, PCIE_DMA_WRITE, PCIE_DMA_RW };

/* 1 << 32 (the first address that needs a 4 DW header) for addr_bits 64, 1 << 28 for
 * addr_bits 32. */
uint64_t pcie_model_buffer_addr(const pcie_link_cfg *cfg);
/* Wire bytes per transfer of size_bytes at addr, in each direction. RW is one read and
 * one write of size_bytes each. */
void pcie_model_transfer_bytes(const pcie_link_cfg *cfg, enum pcie_dma_op op, uint64_t addr,
                               uint64_t size_bytes, uint64_t *up_bytes, uint64_t *down_bytes);
/* The same, TLP by TLP through the split iterators (pcie_model_transfer_bytes sums
 * whole runs of TLPs at once): the reference it is tested against. */
void pcie_model_transfer_bytes_by_tlp(const pcie_link_cfg *cfg, enum pcie_dma_op op,
                                      uint64_t addr, uint64_t size_bytes, uint64_t *up_bytes,
                                      uint64_t *down_bytes);
/* A memo of pcie_model_transfer_bytes for one link configuration, for a model that
 * accounts every DMA this way (the NIC): its transfers are few sizes at few offsets
 * within a page, so most are answered from a table instead of the split arithmetic.
 * The sums depend on the address only through its offset in a 4 KiB page and whether
 * the transfer lies below or above 4 GiB (every split boundary divides 4 KiB, and the
 * header size changes at 4 GiB), so that is the key: the same numbers, exactly.
 * Transfers that straddle 4 GiB or reach 2^64 are not memoised. Zero the struct to
 * start; pass the same cfg on every call. */
/* Direct-mapped. A paths run's descriptor fetches and write-backs fall at many offsets
 * of their rings' pages: with 64 slots every other look-up missed, with 1024 few do. */
#define PCIE_XFER_MEMO_SLOTS 1024u
typedef struct pcie_xfer_memo {
    struct {
        uint64_t key; /* 0: empty; see pcie_xfer_memo_key */
        uint64_t up_bytes, down_bytes;
    } slot[PCIE_XFER_MEMO_SLOTS];
} pcie_xfer_memo;
static inline void pcie_model_transfer_bytes_memo(pcie_xfer_memo *m, const pcie_link_cfg *cfg,
                                                  enum pcie_dma_op op, uint64_t addr,
                                                  uint64_t size_bytes, uint64_t *up_bytes,
                                                  uint64_t *down_bytes);
double pcie_model_link_gbps(const pcie_link_cfg *cfg); /* = pcie_link_raw_gbps */
double pcie_model_tlp_gbps(const pcie_link_cfg *cfg);  /* = pcie_link_tlp_gbps */
/* Payload Gb/s; for RW the rate of each direction (reads and writes move the same). */
double pcie_model_dma_gbps(const pcie_link_cfg *cfg, enum pcie_dma_op op,
                           uint64_t size_bytes);
double pcie_model_write_gbps(const pcie_link_cfg *cfg, uint64_t size_bytes);
double pcie_model_read_gbps(const pcie_link_cfg *cfg, uint64_t size_bytes);
double pcie_model_rw_gbps(const pcie_link_cfg *cfg, uint64_t size_bytes);

/* ---------------------------------------------------------------- per-TLP definitions */

/* The functions a DMA calls once per TLP (sizes, the split iterator, the link charge)
 * are defined here so that the link, the DMA engine and the root complex inline them:
 * a call cost about as much as the arithmetic, and most TLPs are one of a transfer's
 * one or two. The contracts are above. */

static inline bool pcie_link_is_flit(const pcie_link_cfg *cfg)
{
    /* 64 GT/s exists only in Flit Mode (Base Spec 6.x Table 4-1). */
    return cfg->gen >= 6 || cfg->flit_mode;
}

static inline uint32_t pcie_tlp_hdr_bytes(const pcie_link_cfg *cfg, enum pcie_tlp_type t,
                                          uint64_t addr, uint32_t len_bytes)
{
    bool flit = pcie_link_is_flit(cfg);
    switch (t) {
    case PCIE_TLP_MRD:
    case PCIE_TLP_MWR: {
        uint32_t hdr = addr >= PCIE_ADDR64_MIN ? 16 : 12;
        bool partial = (addr & 3) != 0 || ((addr + len_bytes) & 3) != 0;
        if (flit && partial)
            hdr += 4; /* OHC-A1: byte enables other than the implied ones (2.2.5.2) */
        return hdr;
    }
    case PCIE_TLP_CPLD:
    case PCIE_TLP_CPL:
        /* Flit Mode keeps Lower Address[6:2] in the base header and moves [1:0] into
         * OHC-A5, so only a completion starting off a DW boundary needs it. */
        return flit && (addr & 3) != 0 ? 16 : 12;
    case PCIE_TLP_MSG:
    case PCIE_TLP_MSGD:
        return 16;
    case PCIE_TLP_NTYPES:
        break;
    }
    assert(!"bad TLP type");
    return 0;
}

static inline uint32_t pcie_tlp_data_bytes(enum pcie_tlp_type t, uint64_t addr, uint32_t len_bytes)
{
    if (len_bytes == 0)
        return 0;
    switch (t) {
    case PCIE_TLP_MWR:
    case PCIE_TLP_CPLD:
        /* Data is carried in whole DWs aligned like the address: a transfer that starts
         * or ends inside a DW pays for the whole DW. */
        return (uint32_t)((((addr & 3) + len_bytes + 3) / 4) * 4);
    case PCIE_TLP_MSGD:
        return (len_bytes + 3) / 4 * 4;
    default:
        return 0;
    }
}

static inline uint32_t pcie_tlp_wire_bytes(const pcie_link_cfg *cfg, enum pcie_tlp_type t,
                                           uint32_t payload_bytes, uint64_t addr)
{
    uint32_t bytes = pcie_tlp_hdr_bytes(cfg, t, addr, payload_bytes) +
                     pcie_tlp_data_bytes(t, addr, payload_bytes);
    if (!pcie_link_is_flit(cfg))
        bytes += PCIE_NFM_TLP_LINK_BYTES;
    if (cfg->ecrc)
        bytes += PCIE_ECRC_BYTES;
    return bytes;
}

static inline uint32_t pcie_tlp_pasid_bytes(const pcie_link_cfg *cfg, enum pcie_tlp_type t,
                                            uint64_t addr, uint32_t len_bytes)
{
    if (t != PCIE_TLP_MRD && t != PCIE_TLP_MWR)
        return 0;
    bool partial = (addr & 3) != 0 || ((addr + len_bytes) & 3) != 0;
    return pcie_link_is_flit(cfg) && partial ? 0 : PCIE_PASID_PREFIX_BYTES;
}

static inline bool pcie_split_wraps(uint64_t addr, uint64_t len_bytes)
{
    return len_bytes > 0 && len_bytes - 1 > UINT64_MAX - addr;
}

/* What the three *_init functions share; not for callers. */
static inline void pcie_split_init_common(pcie_split *s, uint64_t addr, uint64_t len,
                                          uint32_t max, uint32_t align, uint32_t cross)
{
    /* Every size here is a power of two (MPS, MRRS, RCB, 4 KiB, 1), so the iterator
     * works with masks, not divisions. */
    assert(max >= 4 && (align & (align - 1)) == 0 && align > 0 && (cross & (cross - 1)) == 0);
    s->addr = addr;
    s->left = pcie_split_wraps(addr, len) ? 0 - addr : len; /* 0 - addr: bytes to 2^64 */
    s->max_bytes = max;
    s->align_bytes = align;
    s->cross_bytes = cross;
}

static inline void pcie_split_write_init(pcie_split *s, uint64_t addr, uint64_t len_bytes,
                                         uint32_t mps_bytes)
{
    pcie_split_init_common(s, addr, len_bytes, mps_bytes, 1, PCIE_BOUNDARY_BYTES);
}

static inline void pcie_split_read_init(pcie_split *s, uint64_t addr, uint64_t len_bytes,
                                        uint32_t mrrs_bytes)
{
    pcie_split_init_common(s, addr, len_bytes, mrrs_bytes, 1, PCIE_BOUNDARY_BYTES);
}

static inline void pcie_split_cpl_init(pcie_split *s, uint64_t addr, uint32_t len_bytes,
                                       uint32_t rcb_bytes, uint32_t mps_bytes)
{
    /* A read request never crosses 4 KiB, so neither do its completions. */
    assert(len_bytes == 0 ||
           addr / PCIE_BOUNDARY_BYTES == (addr + len_bytes - 1) / PCIE_BOUNDARY_BYTES);
    assert(mps_bytes >= rcb_bytes);
    pcie_split_init_common(s, addr, len_bytes, mps_bytes, rcb_bytes, PCIE_BOUNDARY_BYTES);
}

/* Distances from addr, not end addresses: the boundary after the last 4 KiB page of
 * the address space is 2^64, which a 64-bit end address would wrap to 0 (and the split
 * would walk the whole address space from there). */
static inline bool pcie_split_next(pcie_split *s, pcie_chunk *out)
{
    if (s->left == 0)
        return false;
    uint64_t amask = (uint64_t)s->align_bytes - 1;
    /* MPS and MRRS bound the DWs a TLP carries, not its bytes: a transfer that starts
     * inside a DW counts that whole DW, so the chunk ends max_bytes after the DW's
     * start (Base Spec 2.2.2: Length is in DW). */
    uint64_t n = s->max_bytes - (s->addr & 3);
    uint64_t to_cross = s->cross_bytes - (s->addr & ((uint64_t)s->cross_bytes - 1));
    if (n > to_cross)
        n = to_cross;
    /* A completer that starts mid-block (root complexes fetch and return whole cache
     * lines) first catches up to the boundary: a short first completion. */
    uint64_t in_block = s->addr & amask;
    if (in_block != 0 && n > s->align_bytes - in_block)
        n = s->align_bytes - in_block;
    if (n >= s->left) {
        n = s->left;
    } else {
        /* Not the last chunk: it ends on an alignment boundary (the RCB rule), unless
         * that would leave it empty. addr + n < addr + left <= 2^64: no wrap. */
        uint64_t stop = (s->addr + n) & ~amask;
        if (stop > s->addr)
            n = stop - s->addr;
    }
    out->addr = s->addr;
    out->len_bytes = (uint32_t)n;
    s->addr += n; /* 0 after the last chunk below 2^64, and left is 0 then */
    s->left -= n;
    return true;
}

/* The memo's key: the size (below 2^32), the offset in the page, the side of 4 GiB and
 * the op (+1, so no key is 0); 0 when the transfer is not memoised. */
static inline uint64_t pcie_xfer_memo_key(enum pcie_dma_op op, uint64_t addr, uint64_t size)
{
    bool above = addr >= PCIE_ADDR64_MIN;
    if (size == 0 || size > UINT32_MAX || pcie_split_wraps(addr, size) ||
        (!above && size > PCIE_ADDR64_MIN - addr))
        return 0;
    return size << 32 | (addr & (PCIE_BOUNDARY_BYTES - 1)) << 3 | (uint64_t)above << 2 |
           ((uint64_t)op + 1);
}

void pcie_xfer_memo_fill(pcie_xfer_memo *m, unsigned i, uint64_t key, const pcie_link_cfg *cfg,
                         enum pcie_dma_op op, uint64_t addr, uint64_t size_bytes);

static inline void pcie_model_transfer_bytes_memo(pcie_xfer_memo *m, const pcie_link_cfg *cfg,
                                                  enum pcie_dma_op op, uint64_t addr,
                                                  uint64_t size_bytes, uint64_t *up_bytes,
                                                  uint64_t *down_bytes)
{
    uint64_t key = pcie_xfer_memo_key(op, addr, size_bytes);
    if (!key) {
        pcie_model_transfer_bytes(cfg, op, addr, size_bytes, up_bytes, down_bytes);
        return;
    }
    _Static_assert((PCIE_XFER_MEMO_SLOTS & (PCIE_XFER_MEMO_SLOTS - 1)) == 0, "a power of two");
    unsigned i = (unsigned)((key * 0x9e3779b97f4a7c15ull) >> 32) & (PCIE_XFER_MEMO_SLOTS - 1);
    if (m->slot[i].key != key)
        pcie_xfer_memo_fill(m, i, key, cfg, op, addr, size_bytes);
    *up_bytes = m->slot[i].up_bytes;
    *down_bytes = m->slot[i].down_bytes;
}

static inline uint64_t pcie_tlp_occupancy_ps(const pcie_link_timing *t, uint32_t wire_bytes,
                                             uint64_t *carry_as)
{
    uint64_t as = (uint64_t)wire_bytes * t->tlp_as_per_byte;
    if (!carry_as)
        return (as + PCIE_AS_PER_PS / 2) / PCIE_AS_PER_PS;
    as += *carry_as;
    *carry_as = as % PCIE_AS_PER_PS;
    return as / PCIE_AS_PER_PS;
}

static inline uint64_t pcie_tlp_serial_ps(const pcie_link_timing *t, uint32_t wire_bytes)
{
    return ((uint64_t)wire_bytes * t->raw_as_per_byte + PCIE_AS_PER_PS / 2) / PCIE_AS_PER_PS;
}

#endif
