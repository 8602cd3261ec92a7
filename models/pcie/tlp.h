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

#include <stdbool.h>
#include <stdint.h>

#include "sim/err.h"

#define PCIE_GEN_MAX 6u
/* Requests must not cross a 4 KiB address boundary (Base Spec 2.2.7). */
#define PCIE_BOUNDARY_BYTES 4096u
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
bool pcie_link_is_flit(const pcie_link_cfg *cfg);

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
uint32_t pcie_tlp_hdr_bytes(const pcie_link_cfg *cfg, enum pcie_tlp_type t, uint64_t addr,
                            uint32_t len_bytes);
/* Data bytes on the wire: whole DWs covering [addr, addr + len). 0 for MRd, Cpl, Msg. */
uint32_t pcie_tlp_data_bytes(enum pcie_tlp_type t, uint64_t addr, uint32_t len_bytes);
/* Everything one TLP puts on the wire: link framing (Non-Flit Mode), header, data,
 * ECRC. For MRd pass the requested length (it sets no data bytes but decides the
 * flit-mode byte-enable header). Flit overhead (DLP/CRC/ECC) is not in here: it is a
 * share of the link, see pcie_tlp_share(). */
uint32_t pcie_tlp_wire_bytes(const pcie_link_cfg *cfg, enum pcie_tlp_type t,
                             uint32_t payload_bytes, uint64_t addr);

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
void pcie_split_write_init(pcie_split *s, uint64_t addr, uint64_t len_bytes,
                           uint32_t mps_bytes);
/* Memory read requests: at most MRRS bytes each, never crossing 4 KiB. */
void pcie_split_read_init(pcie_split *s, uint64_t addr, uint64_t len_bytes,
                          uint32_t mrrs_bytes);
/* Completions for one read request (which does not cross 4 KiB): each at most MPS
 * bytes; every completion but the last ends on an RCB boundary, so a request that
 * starts off the boundary gets a short first completion up to it. Passing
 * mps_bytes = rcb_bytes gives the RCB-sized completions some root complexes send. */
void pcie_split_cpl_init(pcie_split *s, uint64_t addr, uint32_t len_bytes,
                         uint32_t rcb_bytes, uint32_t mps_bytes);
bool pcie_split_next(pcie_split *s, pcie_chunk *out);
/* Whether [addr, addr + len_bytes) runs past 2^64 (the part beyond is not split). */
bool pcie_split_wraps(uint64_t addr, uint64_t len_bytes);
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
uint64_t pcie_tlp_occupancy_ps(const pcie_link_timing *t, uint32_t wire_bytes,
                               uint64_t *carry_as);
/* The time the TLP's own bits take at the raw rate (first bit out to last bit out),
 * rounded to the nearest picosecond: what its latency sees on an idle link. */
uint64_t pcie_tlp_serial_ps(const pcie_link_timing *t, uint32_t wire_bytes);
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
double pcie_model_link_gbps(const pcie_link_cfg *cfg); /* = pcie_link_raw_gbps */
double pcie_model_tlp_gbps(const pcie_link_cfg *cfg);  /* = pcie_link_tlp_gbps */
/* Payload Gb/s; for RW the rate of each direction (reads and writes move the same). */
double pcie_model_dma_gbps(const pcie_link_cfg *cfg, enum pcie_dma_op op,
                           uint64_t size_bytes);
double pcie_model_write_gbps(const pcie_link_cfg *cfg, uint64_t size_bytes);
double pcie_model_read_gbps(const pcie_link_cfg *cfg, uint64_t size_bytes);
double pcie_model_rw_gbps(const pcie_link_cfg *cfg, uint64_t size_bytes);

#endif
