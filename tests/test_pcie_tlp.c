/* Unit tests of models/pcie/tlp: split rules, TLP wire sizes, line rates, the DLLP and
 * SKP overheads against the spec's tables, serialization arithmetic, and the analytic
 * bandwidth model against the published pcie-bench reference numbers. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pcie/tlp.h"

#define GIB4 (UINT64_C(1) << 32)

static pcie_link_cfg cfg_of(unsigned gen, unsigned lanes, uint32_t mps, uint32_t mrrs)
{
    pcie_link_cfg c = pcie_link_cfg_default();
    c.gen = gen;
    c.lanes = lanes;
    c.mps_bytes = mps;
    c.mrrs_bytes = mrrs;
    return c;
}

static double rel_err(double got, double want)
{
    return fabs(got - want) / want;
}

#define ck_assert_near(got, want, tol)                                                        \
    do {                                                                                      \
        double g_ = (got), w_ = (want);                                                       \
        ck_assert_msg(rel_err(g_, w_) <= (tol), "%s = %.4f, want %.4f (+-%.2f%%)", #got, g_, \
                      w_, (tol) * 100.0);                                                     \
    } while (0)

/* ---------------------------------------------------------------- split rules */

typedef struct {
    pcie_chunk c[128];
    unsigned n;
} chunk_log;

static void log_chunk(void *ctx, uint64_t addr, uint32_t len)
{
    chunk_log *l = ctx;
    ck_assert_uint_lt(l->n, 128);
    l->c[l->n].addr = addr;
    l->c[l->n].len_bytes = len;
    l->n++;
}

START_TEST(test_read_4k_mrrs512_is_8_mrd)
{
    chunk_log l = {.n = 0};
    uint32_t n = pcie_split_read_requests(0x10000, 4096, 512, log_chunk, &l);
    ck_assert_uint_eq(n, 8);
    ck_assert_uint_eq(l.n, 8);
    for (unsigned i = 0; i < 8; i++) {
        ck_assert_uint_eq(l.c[i].addr, 0x10000 + 512u * i);
        ck_assert_uint_eq(l.c[i].len_bytes, 512);
    }
}
END_TEST

START_TEST(test_read_4k_mps256_rcb64_is_16_cpld)
{
    /* Through the MRRS-512 requests, and as one 4 KiB request: 16 CplD of 256 either way. */
    pcie_split rq;
    pcie_chunk r;
    uint32_t cpls = 0;
    pcie_split_read_init(&rq, 0x10000, 4096, 512);
    while (pcie_split_next(&rq, &r)) {
        chunk_log l = {.n = 0};
        cpls += pcie_split_completions(r.addr, r.len_bytes, 64, 256, log_chunk, &l);
        ck_assert_uint_eq(l.n, 2);
        for (unsigned i = 0; i < l.n; i++)
            ck_assert_uint_eq(l.c[i].len_bytes, 256);
    }
    ck_assert_uint_eq(cpls, 16);
    ck_assert_uint_eq(pcie_split_completions(0x10000, 4096, 64, 256, NULL, NULL), 16);
}
END_TEST

START_TEST(test_unaligned_read_short_first_completion)
{
    chunk_log l = {.n = 0};
    /* 256 bytes from 0x1010: 48 bytes up to the 64-byte boundary, then the rest. */
    uint32_t n = pcie_split_completions(0x1010, 256, 64, 256, log_chunk, &l);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(l.c[0].addr, 0x1010);
    ck_assert_uint_eq(l.c[0].len_bytes, 48);
    ck_assert_uint_eq((l.c[0].addr + l.c[0].len_bytes) % 64, 0);
    ck_assert_uint_eq(l.c[1].addr, 0x1040);
    ck_assert_uint_eq(l.c[1].len_bytes, 208);

    /* RCB 128, MPS 256, 512 bytes from 0x2020: 96, 256, 160. */
    l.n = 0;
    n = pcie_split_completions(0x2020, 512, 128, 256, log_chunk, &l);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(l.c[0].len_bytes, 96);
    ck_assert_uint_eq(l.c[1].addr, 0x2080);
    ck_assert_uint_eq(l.c[1].len_bytes, 256);
    ck_assert_uint_eq(l.c[2].addr, 0x2180);
    ck_assert_uint_eq(l.c[2].len_bytes, 160);

    /* A read inside one RCB block is one completion; RCB-sized completions when the
     * completer is limited to RCB (mps = rcb). */
    ck_assert_uint_eq(pcie_split_completions(0x3008, 32, 64, 256, NULL, NULL), 1);
    ck_assert_uint_eq(pcie_split_completions(0x4000, 512, 64, 64, NULL, NULL), 8);
}
END_TEST

START_TEST(test_write_split_mps_and_4k)
{
    chunk_log l = {.n = 0};
    /* 4096 bytes from 0x40 with MPS 256: 15 full TLPs, a 192-byte one up to the 4 KiB
     * boundary, and the 64-byte remainder past it. */
    uint32_t n = pcie_split_write(0x40, 4096, 256, log_chunk, &l);
    ck_assert_uint_eq(n, 17);
    uint64_t next = 0x40, total = 0;
    for (unsigned i = 0; i < l.n; i++) {
        ck_assert_uint_eq(l.c[i].addr, next);
        ck_assert_uint_le(l.c[i].len_bytes, 256);
        ck_assert_uint_eq(l.c[i].addr / 4096, (l.c[i].addr + l.c[i].len_bytes - 1) / 4096);
        next += l.c[i].len_bytes;
        total += l.c[i].len_bytes;
    }
    ck_assert_uint_eq(total, 4096);
    ck_assert_uint_eq(l.c[15].len_bytes, 192);
    ck_assert_uint_eq(l.c[16].addr, 0x1000);
    ck_assert_uint_eq(l.c[16].len_bytes, 64);

    /* A small write across a 4 KiB boundary is two TLPs. */
    l.n = 0;
    ck_assert_uint_eq(pcie_split_write(0xff0, 100, 256, log_chunk, &l), 2);
    ck_assert_uint_eq(l.c[0].len_bytes, 16);
    ck_assert_uint_eq(l.c[1].len_bytes, 84);
    ck_assert_uint_eq(pcie_split_write(0x1000, 0, 256, NULL, NULL), 0);
    /* Requests also stop at 4 KiB: MRRS 4096 from 0x800 is two 2 KiB reads. */
    ck_assert_uint_eq(pcie_split_read_requests(0x800, 4096, 4096, NULL, NULL), 2);
}
END_TEST

START_TEST(test_iterator_matches_callback_and_count_does_not_consume)
{
    pcie_split s;
    pcie_split_write_init(&s, 0x1234, 10000, 512);
    uint32_t n = pcie_split_count(&s);
    ck_assert_uint_eq(n, pcie_split_count(&s));
    chunk_log l = {.n = 0};
    ck_assert_uint_eq(pcie_split_write(0x1234, 10000, 512, log_chunk, &l), n);
    pcie_chunk c;
    unsigned i = 0;
    while (pcie_split_next(&s, &c)) {
        ck_assert_uint_eq(c.addr, l.c[i].addr);
        ck_assert_uint_eq(c.len_bytes, l.c[i].len_bytes);
        i++;
    }
    ck_assert_uint_eq(i, n);
    ck_assert(!pcie_split_next(&s, &c));
}
END_TEST

/* Random transfers: every chunk list covers the transfer exactly, in order, and obeys
 * its size, 4 KiB and RCB rules. */
static uint64_t lcg(uint64_t *x)
{
    *x = *x * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return *x >> 33;
}

START_TEST(test_split_properties_random)
{
    uint64_t seed = 12345;
    static const uint32_t sizes[] = {128, 256, 512, 1024, 2048, 4096};
    for (int iter = 0; iter < 3000; iter++) {
        uint64_t addr = (lcg(&seed) << 20 | lcg(&seed)) & ((UINT64_C(1) << 40) - 1);
        uint64_t len = 1 + lcg(&seed) % 9000;
        uint32_t mps = sizes[lcg(&seed) % 6], mrrs = sizes[lcg(&seed) % 6];
        uint32_t rcb = lcg(&seed) % 2 ? 64 : 128;

        pcie_split w;
        pcie_chunk c;
        uint64_t next = addr;
        pcie_split_write_init(&w, addr, len, mps);
        while (pcie_split_next(&w, &c)) {
            ck_assert_uint_eq(c.addr, next);
            ck_assert(c.len_bytes > 0 && c.len_bytes <= mps);
            ck_assert_uint_eq(c.addr / 4096, (c.addr + c.len_bytes - 1) / 4096);
            next += c.len_bytes;
        }
        ck_assert_uint_eq(next, addr + len);

        pcie_split rq, cp;
        pcie_chunk r;
        next = addr;
        pcie_split_read_init(&rq, addr, len, mrrs);
        while (pcie_split_next(&rq, &r)) {
            ck_assert_uint_eq(r.addr, next);
            ck_assert(r.len_bytes > 0 && r.len_bytes <= mrrs);
            ck_assert_uint_eq(r.addr / 4096, (r.addr + r.len_bytes - 1) / 4096);
            next += r.len_bytes;
            uint64_t cnext = r.addr;
            bool first = true;
            pcie_split_cpl_init(&cp, r.addr, r.len_bytes, rcb, mps);
            while (pcie_split_next(&cp, &c)) {
                uint64_t cend = c.addr + c.len_bytes;
                ck_assert_uint_eq(c.addr, cnext);
                ck_assert(c.len_bytes > 0 && c.len_bytes <= mps);
                if (cend != r.addr + r.len_bytes)
                    ck_assert_uint_eq(cend % rcb, 0);
                if (first && r.addr % rcb != 0 && cend != r.addr + r.len_bytes)
                    ck_assert_uint_eq(cend, (r.addr / rcb + 1) * rcb);
                first = false;
                cnext = cend;
            }
            ck_assert_uint_eq(cnext, r.addr + r.len_bytes);
        }
        ck_assert_uint_eq(next, addr + len);
    }
}
END_TEST

/* ---------------------------------------------------------------- wire sizes */

START_TEST(test_wire_bytes_nonflit)
{
    pcie_link_cfg c = pcie_link_cfg_default();
    uint64_t hi = GIB4 + 0x1000, lo = 0x1000;
    /* 8 bytes of framing/seq/LCRC + 4 DW header + data. */
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 64, hi), 88);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 256, hi), 280);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MRD, 512, hi), 24);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_CPLD, 64, hi), 84);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_CPL, 0, 0), 20);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MSG, 0, 0), 24);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MSGD, 4, 0), 28);
    /* Below 4 GiB the 3 DW header is mandatory. */
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 64, lo), 84);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MRD, 64, lo), 20);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 64, GIB4 - 64), 84);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 64, GIB4), 88);
    /* Data is whole DWs: 64 bytes starting 2 bytes into a DW span 17 DWs; a 4-byte MSI
     * write is one DW. */
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 64, hi + 2), 92);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 4, 0xfee00000u), 24);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 1, lo + 3), 24);
    /* ECRC: one more DW on every TLP. */
    c.ecrc = true;
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 64, hi), 92);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MRD, 64, hi), 28);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_CPLD, 64, hi), 88);
    /* 8b/10b (STP + seq + LCRC + END) costs the same 8 bytes as the 128b/130b STP token
     * (which carries the sequence number) + LCRC. */
    c = cfg_of(1, 1, 128, 128);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 64, hi), 88);
    c = cfg_of(5, 16, 512, 512);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_CPLD, 256, hi), 276);
}
END_TEST

START_TEST(test_wire_bytes_flit)
{
    pcie_link_cfg c = cfg_of(6, 16, 256, 512);
    uint64_t hi = GIB4 + 0x1000;
    ck_assert(pcie_link_is_flit(&c));
    /* No per-TLP framing, sequence number or LCRC: those live in the flit. */
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 64, hi), 80);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MRD, 64, hi), 16);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MRD, 64, 0x1000), 12);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_CPLD, 64, hi), 76);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MSG, 0, 0), 16);
    /* Partial first/last DW: OHC-A1 with the byte enables; completion off a DW
     * boundary: OHC-A5 with Lower Address[1:0]. */
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 64, hi + 2), 16 + 4 + 68);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MRD, 62, hi), 20);
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_CPLD, 62, hi + 2), 16 + 64);
    c.ecrc = true;
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 64, hi), 84);
    /* Flit Mode at a lower rate behaves the same on TLP sizes. */
    c = cfg_of(4, 8, 256, 512);
    c.flit_mode = true;
    ck_assert_uint_eq(pcie_tlp_wire_bytes(&c, PCIE_TLP_MWR, 64, hi), 80);
    ck_assert_str_eq(pcie_tlp_type_name(PCIE_TLP_CPLD), "CplD");
}
END_TEST

/* ---------------------------------------------------------------- line rates */

START_TEST(test_line_rates)
{
    static const struct {
        unsigned gen, lanes;
        double gbps;
    } want[] = {
        {1, 1, 2.0},      {2, 4, 16.0},     {3, 8, 63.0154},  {4, 16, 252.0615},
        {5, 16, 504.1231}, {6, 16, 1024.0}, {3, 32, 252.0615}, {1, 12, 24.0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        pcie_link_cfg c = cfg_of(want[i].gen, want[i].lanes, 256, 512);
        ck_assert_near(pcie_link_raw_gbps(&c), want[i].gbps, 1e-5);
    }
    uint32_t n, d;
    pcie_encoding(2, &n, &d);
    ck_assert(n == 8 && d == 10);
    pcie_encoding(5, &n, &d);
    ck_assert(n == 128 && d == 130);
    pcie_encoding(6, &n, &d);
    ck_assert(n == 1 && d == 1);
    ck_assert(pcie_lane_rate_gtps(6) == 64.0);
    pcie_link_cfg g3 = pcie_link_cfg_default();
    ck_assert_near(pcie_link_raw_bytes_per_s(&g3), 63.0154e9 / 8, 1e-5);
    ck_assert_near(pcie_link_tlp_bytes_per_s(&g3), 57.875e9 / 8, 1e-4);
}
END_TEST

/* ---------------------------------------------------------------- DLLP and SKP */

/* Base Spec Tables 3-10 (2.5 GT/s), 3-11 (5.0 GT/s), 3-12 (8.0 GT/s and higher), in
 * symbol times, x1 x2 x4 x8 x16 by MPS 128..4096; the x12 and x32 columns are from
 * the earlier revisions that still defined those widths. */
static const unsigned widths[7] = {1, 2, 4, 8, 12, 16, 32};
static const uint32_t ack_table[3][6][7] = {
    {{237, 128, 73, 67, 58, 48, 33},
     {416, 217, 118, 107, 90, 72, 45},
     {559, 289, 154, 86, 109, 86, 52},
     {1071, 545, 282, 150, 194, 150, 84},
     {2095, 1057, 538, 278, 365, 278, 148},
     {4143, 2081, 1050, 534, 706, 534, 276}},
    {{288, 179, 124, 118, 109, 99, 84},
     {467, 268, 169, 158, 141, 123, 96},
     {610, 340, 205, 137, 160, 137, 103},
     {1122, 596, 333, 201, 245, 201, 135},
     {2146, 1108, 589, 329, 416, 329, 199},
     {4194, 2132, 1101, 585, 757, 585, 327}},
    {{333, 224, 169, 163, 154, 144, 129},
     {512, 313, 214, 203, 186, 168, 141},
     {655, 385, 250, 182, 205, 182, 148},
     {1167, 641, 378, 246, 290, 246, 180},
     {2191, 1153, 634, 374, 461, 374, 244},
     {4239, 2177, 1146, 630, 802, 630, 372}},
};

START_TEST(test_ack_limits_match_spec_tables)
{
    for (unsigned rate = 0; rate < 3; rate++)
        for (unsigned m = 0; m < 6; m++)
            for (unsigned w = 0; w < 7; w++) {
                uint32_t mps = 128u << m;
                /* Gen 4 and 5 use the 8.0 GT/s table. */
                unsigned gens[3] = {rate + 1, rate == 2 ? 4 : rate + 1, rate == 2 ? 5 : rate + 1};
                for (unsigned g = 0; g < 3; g++) {
                    uint32_t got = pcie_ack_limit_symbols(gens[g], widths[w], mps);
                    ck_assert_msg(got == ack_table[rate][m][w], "gen%u x%u MPS %u: %u, want %u",
                                  gens[g], widths[w], mps, got, ack_table[rate][m][w]);
                    ck_assert_uint_eq(pcie_updatefc_limit_symbols(gens[g], widths[w], mps), got);
                }
            }
}
END_TEST

START_TEST(test_overheads)
{
    pcie_link_cfg c = pcie_link_cfg_default();
    /* Gen3 x8 MPS 256: 8/203 for Acks, 8/203 for UpdateFCs, about 0.27% for SKP+EDS. */
    ck_assert_near(pcie_dllp_overhead(&c), 16.0 / 203.0, 1e-12);
    ck_assert_near(pcie_skp_overhead(&c), 1.0 / 375 + 4.0 / (375 * 16 * 8), 1e-12);
    c.gen = 2;
    ck_assert_near(pcie_skp_overhead(&c), 4.0 / 1538, 1e-12);

    /* Flit Mode: no DLLP share (DLP bytes), 236/256 of each flit, SKP per Table 4-30. */
    static const unsigned fl_lanes[5] = {16, 8, 4, 2, 1};
    static const uint32_t fl_1b1b[5] = {748, 374, 187, 93, 46};
    static const uint32_t fl_128b[5] = {374, 187, 93, 46, 23};
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(pcie_flit_skp_interval_flits(6, fl_lanes[i]), fl_1b1b[i]);
        ck_assert_uint_eq(pcie_flit_skp_interval_flits(3, fl_lanes[i]), fl_128b[i]);
    }
    c = cfg_of(6, 8, 256, 512);
    ck_assert(pcie_dllp_overhead(&c) == 0.0);
    ck_assert_near(pcie_skp_overhead(&c), 40.0 / (374 * 256 / 8 + 40), 1e-12);
    ck_assert_near(pcie_tlp_share(&c), 236.0 / 256 * (1 - 40.0 / 12008), 1e-12);
    c = cfg_of(3, 8, 256, 512);
    c.flit_mode = true;
    ck_assert_near(pcie_tlp_share(&c), 236.0 / 256 * (1 - 16.0 / 6000), 1e-12);
}
END_TEST

/* ---------------------------------------------------------------- serialization */

START_TEST(test_timing)
{
    pcie_link_timing t;
    pcie_link_cfg c = pcie_link_cfg_default();
    pcie_link_timing_init(&t, &c);
    /* 8 x 130 / 128 bits over 8 lanes at 8 GT/s: 126.953125 ps per byte, exactly. */
    ck_assert_uint_eq(t.raw_as_per_byte, UINT64_C(126953125));
    ck_assert_near((double)t.tlp_as_per_byte, 126953125.0 / pcie_tlp_share(&c), 1e-9);
    ck_assert_uint_eq(pcie_tlp_serial_ps(&t, 88), 11172); /* 88 x 126.953 ps */
    ck_assert_uint_eq(pcie_tlp_wire_ps(&c, 88), pcie_tlp_occupancy_ps(&t, 88, NULL));

    c = cfg_of(1, 1, 128, 128);
    pcie_link_timing_init(&t, &c);
    ck_assert_uint_eq(t.raw_as_per_byte, UINT64_C(4000000000)); /* 2 Gb/s: 4 ns a byte */
    c = cfg_of(6, 32, 256, 512);
    pcie_link_timing_init(&t, &c);
    ck_assert_uint_eq(t.raw_as_per_byte, UINT64_C(3906250));

    /* With a carry, a million TLPs sum to the exact total. */
    c = pcie_link_cfg_default();
    pcie_link_timing_init(&t, &c);
    uint64_t carry = 0, sum = 0;
    const uint64_t n = 1000003;
    for (uint64_t i = 0; i < n; i++)
        sum += pcie_tlp_occupancy_ps(&t, 88, &carry);
    ck_assert_uint_eq(sum, n * 88 * t.tlp_as_per_byte / 1000000);
}
END_TEST

/* ---------------------------------------------------------------- reference model */

/* Neugebauer et al., SIGCOMM 2018: Gen3 x8, MPS 256, MRRS 512, 64-bit addresses, no
 * ECRC. The RW values past 256 bytes are the same model's (not in the list published
 * with the paper's figures). */
static const struct {
    uint32_t size;
    double wr, rd, rw;
} ref_gen3x8[] = {
    {64, 42.10, 44.10, 33.08},   {128, 48.75, 50.06, 42.10},  {256, 52.92, 53.69, 48.75},
    {512, 52.92, 53.69, 50.75},  {1024, 52.92, 53.69, 50.75}, {4096, 52.92, 53.69, 50.75},
};

START_TEST(test_reference_gen3x8)
{
    pcie_link_cfg c = pcie_link_cfg_default();
    ck_assert_near(pcie_model_link_gbps(&c), 63.02, 0.0002);
    ck_assert_near(pcie_model_tlp_gbps(&c), 57.88, 0.0005);
    for (size_t i = 0; i < sizeof ref_gen3x8 / sizeof ref_gen3x8[0]; i++) {
        uint32_t sz = ref_gen3x8[i].size;
        /* The requirement is 2%; the arithmetic is the model's, so it lands far closer. */
        ck_assert_near(pcie_model_write_gbps(&c, sz), ref_gen3x8[i].wr, 0.001);
        ck_assert_near(pcie_model_read_gbps(&c, sz), ref_gen3x8[i].rd, 0.001);
        ck_assert_near(pcie_model_rw_gbps(&c, sz), ref_gen3x8[i].rw, 0.001);
    }
    uint64_t up, down;
    pcie_model_transfer_bytes(&c, PCIE_DMA_READ, GIB4, 4096, &up, &down);
    ck_assert_uint_eq(up, 8 * 24);
    ck_assert_uint_eq(down, 16 * 20 + 4096);
    pcie_model_transfer_bytes(&c, PCIE_DMA_RW, GIB4, 64, &up, &down);
    ck_assert_uint_eq(up, 88 + 24);
    ck_assert_uint_eq(down, 84);
}
END_TEST

/* The same model evaluated (from its published formulas and the spec's Ack/UpdateFC
 * tables) on other generations, widths, MPS and MRRS. */
static const struct {
    unsigned gen, lanes;
    uint32_t mps, mrrs, size;
    double wr, rd, rw;
} ref_other[] = {
    {2, 4, 128, 512, 64, 10.105, 10.586, 7.939},
    {2, 4, 128, 512, 4096, 11.700, 12.016, 11.256},
    {1, 1, 128, 128, 256, 1.566, 1.608, 1.353},
    {4, 16, 512, 512, 256, 209.597, 212.635, 193.050},
    {4, 16, 512, 512, 4096, 218.982, 220.628, 209.597},
    {5, 4, 256, 1024, 1024, 106.313, 107.854, 104.083},
    {3, 16, 1024, 4096, 4096, 114.815, 115.255, 114.161},
    {1, 8, 512, 512, 128, 10.932, 11.227, 9.441},
    {2, 32, 128, 256, 512, 86.978, 89.329, 80.614},
};

START_TEST(test_reference_other_configs)
{
    for (size_t i = 0; i < sizeof ref_other / sizeof ref_other[0]; i++) {
        pcie_link_cfg c = cfg_of(ref_other[i].gen, ref_other[i].lanes, ref_other[i].mps,
                                 ref_other[i].mrrs);
        uint32_t sz = ref_other[i].size;
        ck_assert_near(pcie_model_write_gbps(&c, sz), ref_other[i].wr, 0.001);
        ck_assert_near(pcie_model_read_gbps(&c, sz), ref_other[i].rd, 0.001);
        ck_assert_near(pcie_model_rw_gbps(&c, sz), ref_other[i].rw, 0.001);
    }
}
END_TEST

START_TEST(test_flit_model)
{
    /* Gen6 x16: 1024 Gb/s raw, 236/256 of it TLP bytes less 0.33% SKP; a 256-byte
     * write is a 272-byte TLP. */
    pcie_link_cfg c = cfg_of(6, 16, 256, 512);
    double tlp = 1024.0 * 236 / 256 * (1 - 40.0 / 12008);
    ck_assert_near(pcie_model_tlp_gbps(&c), tlp, 1e-9);
    ck_assert_near(pcie_model_write_gbps(&c, 256), tlp * 256 / 272, 1e-9);
    ck_assert_near(pcie_model_read_gbps(&c, 4096), tlp * 256 / 268, 1e-9);
    ck_assert_near(pcie_model_rw_gbps(&c, 64), tlp * 64 / (80 + 16), 1e-9);
}
END_TEST

/* The charging rule for a timed link: each TLP reserves its direction for
 * pcie_tlp_occupancy_ps. Saturating both directions with back-to-back transfers must
 * reproduce the analytic numbers. */
static double reserve_gbps(const pcie_link_cfg *c, enum pcie_dma_op op, uint32_t size)
{
    pcie_link_timing t;
    pcie_link_timing_init(&t, c);
    uint64_t busy[2] = {0, 0}, carry[2] = {0, 0};
    const uint64_t base = pcie_model_buffer_addr(c);
    const unsigned n = 20000;
    for (unsigned i = 0; i < n; i++) {
        uint64_t addr = base + (uint64_t)i * ((size + 4095) / 4096 * 4096);
        pcie_split s, cp;
        pcie_chunk ch, cc;
        if (op != PCIE_DMA_READ) {
            pcie_split_write_init(&s, addr, size, c->mps_bytes);
            while (pcie_split_next(&s, &ch))
                busy[0] += pcie_tlp_occupancy_ps(
                    &t, pcie_tlp_wire_bytes(c, PCIE_TLP_MWR, ch.len_bytes, ch.addr), &carry[0]);
        }
        if (op != PCIE_DMA_WRITE) {
            pcie_split_read_init(&s, addr, size, c->mrrs_bytes);
            while (pcie_split_next(&s, &ch)) {
                busy[0] += pcie_tlp_occupancy_ps(
                    &t, pcie_tlp_wire_bytes(c, PCIE_TLP_MRD, ch.len_bytes, ch.addr), &carry[0]);
                pcie_split_cpl_init(&cp, ch.addr, ch.len_bytes, c->rcb_bytes, c->mps_bytes);
                while (pcie_split_next(&cp, &cc))
                    busy[1] += pcie_tlp_occupancy_ps(
                        &t, pcie_tlp_wire_bytes(c, PCIE_TLP_CPLD, cc.len_bytes, cc.addr),
                        &carry[1]);
            }
        }
    }
    uint64_t end_ps = busy[0] > busy[1] ? busy[0] : busy[1];
    return (double)n * size * 8 / (double)end_ps * 1000.0;
}

START_TEST(test_reservation_reproduces_model)
{
    static const uint32_t sizes[] = {64, 128, 256, 512, 1024, 4096};
    pcie_link_cfg cfgs[4] = {pcie_link_cfg_default(), cfg_of(2, 4, 128, 512),
                             cfg_of(5, 16, 512, 1024), cfg_of(6, 8, 256, 512)};
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 6; i++)
            for (int op = PCIE_DMA_READ; op <= PCIE_DMA_RW; op++) {
                double model = pcie_model_dma_gbps(&cfgs[k], op, sizes[i]);
                ck_assert_near(reserve_gbps(&cfgs[k], op, sizes[i]), model, 1e-5);
            }
    ck_assert_near(reserve_gbps(&cfgs[0], PCIE_DMA_WRITE, 64), 42.10, 0.001);
}
END_TEST

/* ---------------------------------------------------------------- configuration */

START_TEST(test_cfg_check)
{
    sim_err e;
    pcie_link_cfg c = pcie_link_cfg_default();
    ck_assert_int_eq(pcie_link_cfg_check(&c, &e), 0);
    c.lanes = 3;
    ck_assert_int_eq(pcie_link_cfg_check(&c, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "pcie.lanes = 3"));
    c = pcie_link_cfg_default();
    c.mps_bytes = 300;
    ck_assert_int_eq(pcie_link_cfg_check(&c, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "pcie.mps_bytes = 300"));
    c = pcie_link_cfg_default();
    c.mrrs_bytes = 8192;
    ck_assert_int_eq(pcie_link_cfg_check(&c, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "pcie.mrrs_bytes = 8192"));
    c = pcie_link_cfg_default();
    c.gen = 7;
    ck_assert_int_eq(pcie_link_cfg_check(&c, &e), -1);
    c = pcie_link_cfg_default();
    c.rcb_bytes = 256;
    ck_assert_int_eq(pcie_link_cfg_check(&c, &e), -1);
    c = pcie_link_cfg_default();
    c.addr_bits = 48;
    ck_assert_int_eq(pcie_link_cfg_check(&c, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "pcie.addr_bits"));
    c = cfg_of(6, 32, 4096, 4096);
    ck_assert_int_eq(pcie_link_cfg_check(&c, NULL), 0);
}
END_TEST


/* MPS and MRRS limit DWs, not bytes: a write starting 2 bytes into a DW stops at the
 * MPS boundary of its first DW, so no TLP carries more than MPS/4 DWs. */
START_TEST(test_unaligned_split_respects_dw_limit)
{
    pcie_split s;
    pcie_chunk c;
    pcie_split_write_init(&s, 0x1002, 512, 256);
    ck_assert(pcie_split_next(&s, &c));
    ck_assert_uint_eq(c.addr, 0x1002);
    ck_assert_uint_eq(c.len_bytes, 254);
    ck_assert_uint_le(pcie_tlp_data_bytes(PCIE_TLP_MWR, c.addr, c.len_bytes), 256);
    ck_assert(pcie_split_next(&s, &c));
    ck_assert_uint_eq(c.addr, 0x1100);
    ck_assert_uint_eq(c.len_bytes, 256);
    ck_assert(pcie_split_next(&s, &c));
    ck_assert_uint_eq(c.len_bytes, 2);
    ck_assert(!pcie_split_next(&s, &c));
    pcie_split_read_init(&s, 0x2001, 1024, 512);
    while (pcie_split_next(&s, &c))
        ck_assert_uint_le(pcie_tlp_data_bytes(PCIE_TLP_MWR, c.addr, c.len_bytes), 512);
}
END_TEST

/* The last page of the 64-bit address space: its boundary is 2^64, which an end
 * address wraps to 0. A transfer there splits like any other and stops at 2^64; one
 * that would run past stops there too, and pcie_split_wraps says so. */
START_TEST(test_split_at_the_top_of_the_address_space)
{
    const uint64_t top = 0xfffffffffffff000ull;
    pcie_split s;
    pcie_chunk c;
    pcie_split_read_init(&s, top, 64, 512);
    ck_assert(pcie_split_next(&s, &c));
    ck_assert_uint_eq(c.addr, top);
    ck_assert_uint_eq(c.len_bytes, 64);
    ck_assert(!pcie_split_next(&s, &c));
    ck_assert(!pcie_split_wraps(top, 4096));
    ck_assert(pcie_split_wraps(top, 4097));
    ck_assert(!pcie_split_wraps(UINT64_MAX, 1));
    ck_assert(!pcie_split_wraps(0, 0));
    /* Two pages ending exactly at 2^64: 32 writes of 256 bytes, the last ends there. */
    pcie_split_write_init(&s, top - 4096, 8192, 256);
    ck_assert_uint_eq(pcie_split_count(&s), 32);
    uint64_t sum = 0, last = 0;
    while (pcie_split_next(&s, &c)) {
        ck_assert_uint_eq(c.len_bytes, 256);
        sum += c.len_bytes;
        last = c.addr;
    }
    ck_assert_uint_eq(sum, 8192);
    ck_assert_uint_eq(last, 0ull - 256);
    /* Completions of the last page's read: RCB-aligned, the last one ends at 2^64. */
    pcie_split_cpl_init(&s, top + 0x20, 4096 - 0x20, 64, 256);
    sum = 0;
    while (pcie_split_next(&s, &c))
        sum += c.len_bytes;
    ck_assert_uint_eq(sum, 4096 - 0x20);
    /* Past 2^64: only what lies below is split. */
    pcie_split_read_init(&s, 0ull - 64, 128, 512);
    ck_assert(pcie_split_next(&s, &c));
    ck_assert_uint_eq(c.addr, 0ull - 64);
    ck_assert_uint_eq(c.len_bytes, 64);
    ck_assert(!pcie_split_next(&s, &c));
}
END_TEST

/* ---------------------------------------------------------------- summed transfers */

/* pcie_model_transfer_bytes sums whole runs of TLPs; it must give what summing them one
 * by one gives, for every op and link, at every DW and RCB offset, around 4 KiB pages,
 * across 4 GiB and up to 2^64. */
static void expect_sums_match(const pcie_link_cfg *c, uint64_t addr, uint64_t size)
{
    static const enum pcie_dma_op ops[] = {PCIE_DMA_READ, PCIE_DMA_WRITE, PCIE_DMA_RW};
    for (unsigned o = 0; o < 3; o++) {
        uint64_t up, down, ref_up, ref_down;
        pcie_model_transfer_bytes(c, ops[o], addr, size, &up, &down);
        pcie_model_transfer_bytes_by_tlp(c, ops[o], addr, size, &ref_up, &ref_down);
        ck_assert_msg(up == ref_up && down == ref_down,
                      "op %u gen %u flit %d ecrc %d mps %u mrrs %u rcb %u at %#llx, %llu "
                      "bytes: up %llu down %llu, TLP by TLP %llu %llu",
                      o, c->gen, c->flit_mode, c->ecrc, c->mps_bytes, c->mrrs_bytes, c->rcb_bytes,
                      (unsigned long long)addr, (unsigned long long)size,
                      (unsigned long long)up, (unsigned long long)down,
                      (unsigned long long)ref_up, (unsigned long long)ref_down);
    }
}

START_TEST(test_transfer_sums_sweep)
{
    static const uint32_t sizes_pow2[] = {128, 256, 512, 4096};
    static const uint64_t bases[] = {0x10000, GIB4 - 0x3000, GIB4, 0ull - 0x3000};
    static const uint64_t offsets[] = {0, 1, 2, 3, 4, 5, 60, 63, 64, 65, 126, 129,
                                       255, 257, 1000, 2047, 3071, 4092, 4094, 4095};
    static const uint64_t lens[] = {0,   1,   2,   3,    4,    5,    7,    60,   64,
                                    65,  127, 128, 129,  255,  256,  300,  511,  512,
                                    513, 1023, 1500, 1518, 2049, 4095, 4096, 4097, 9000};
    for (unsigned f = 0; f < 4; f++)
        for (unsigned m = 0; m < 4; m++)
            for (unsigned r = 0; r < 4; r++)
                for (unsigned b = 0; b < 2; b++) {
                    pcie_link_cfg c = cfg_of(f & 1 ? 6 : 3, 8, sizes_pow2[m], sizes_pow2[r]);
                    c.flit_mode = f & 1;
                    c.ecrc = f & 2;
                    c.rcb_bytes = b ? 128 : 64;
                    for (unsigned i = 0; i < sizeof bases / sizeof *bases; i++)
                        for (unsigned j = 0; j < sizeof offsets / sizeof *offsets; j++)
                            for (unsigned k = 0; k < sizeof lens / sizeof *lens; k++)
                                expect_sums_match(&c, bases[i] + offsets[j], lens[k]);
                }
}
END_TEST

START_TEST(test_transfer_sums_random)
{
    uint64_t x = 0x243f6a8885a308d3ull;
    for (int n = 0; n < 100000; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        pcie_link_cfg c = cfg_of(3 + (unsigned)(x & 3), 8, 128u << ((x >> 2) % 6),
                                 128u << ((x >> 5) % 6));
        c.flit_mode = (x >> 8) & 1;
        c.ecrc = (x >> 9) & 1;
        c.rcb_bytes = (x >> 10) & 1 ? 128 : 64;
        uint64_t y = x * 0x9e3779b97f4a7c15ull;
        /* Near 0, 4 GiB or 2^64, or anywhere. */
        static const uint64_t near[] = {0, GIB4 - 0x10000, 0ull - 0x10000, 0};
        uint64_t addr = near[y & 3] + ((y & 3) == 3 ? y >> 2 : (y >> 8) % 0x20000);
        uint64_t size = (y >> 40) % ((y >> 38) & 1 ? 70000 : 2000);
        expect_sums_match(&c, addr, size);
    }
    /* Sizes the split cannot take in the closed form fall back to it: still equal. */
    pcie_link_cfg odd = cfg_of(3, 8, 256, 512);
    odd.rcb_bytes = 2;
    expect_sums_match(&odd, 0x1001, 3000);
}
END_TEST

/* The memo answers what the sums answer, for addresses anywhere (across 4 GiB and up to
 * 2^64 too), with a table small enough that slots are replaced. */
START_TEST(test_transfer_memo_matches_sums)
{
    static const uint64_t near[] = {0, GIB4 - 0x10000, 0ull - 0x10000, 0};
    for (unsigned f = 0; f < 4; f++) {
        pcie_link_cfg c = cfg_of(f & 1 ? 6 : 3, 8, 256, 512);
        c.ecrc = f & 2;
        pcie_xfer_memo memo = {0};
        uint64_t x = 0x13198a2e03707344ull + f;
        for (int n = 0; n < 50000; n++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint64_t y = x * 0x9e3779b97f4a7c15ull;
            /* A few sizes and offsets, so entries are found again, and some of anything. */
            uint64_t addr = near[y & 3] + ((y & 3) == 3 ? y >> 2 : (y >> 8) % 0x20000);
            if ((y >> 30) & 1)
                addr = (addr & ~0xfffull) | ((y >> 32) & 3) * 60;
            uint64_t size = (y >> 36) & 1 ? (uint64_t[]){0, 4, 64, 1518, 4096}[(y >> 40) % 5]
                                          : (y >> 40) % 9000;
            enum pcie_dma_op op = (enum pcie_dma_op)((y >> 60) % 3);
            uint64_t up, down, ref_up, ref_down;
            pcie_model_transfer_bytes_memo(&memo, &c, op, addr, size, &up, &down);
            pcie_model_transfer_bytes(&c, op, addr, size, &ref_up, &ref_down);
            ck_assert_msg(up == ref_up && down == ref_down,
                          "op %u at %#llx, %llu bytes: memo %llu %llu, sums %llu %llu", op,
                          (unsigned long long)addr, (unsigned long long)size,
                          (unsigned long long)up, (unsigned long long)down,
                          (unsigned long long)ref_up, (unsigned long long)ref_down);
        }
    }
}
END_TEST

static Suite *tlp_suite(void)
{
    Suite *s = suite_create("pcie_tlp");

    TCase *split = tcase_create("split");
    tcase_set_timeout(split, 60);
    tcase_add_test(split, test_unaligned_split_respects_dw_limit);
    tcase_add_test(split, test_read_4k_mrrs512_is_8_mrd);
    tcase_add_test(split, test_read_4k_mps256_rcb64_is_16_cpld);
    tcase_add_test(split, test_unaligned_read_short_first_completion);
    tcase_add_test(split, test_write_split_mps_and_4k);
    tcase_add_test(split, test_iterator_matches_callback_and_count_does_not_consume);
    tcase_add_test(split, test_split_properties_random);
    tcase_add_test(split, test_split_at_the_top_of_the_address_space);
    suite_add_tcase(s, split);

    TCase *wire = tcase_create("wire");
    tcase_add_test(wire, test_wire_bytes_nonflit);
    tcase_add_test(wire, test_wire_bytes_flit);
    tcase_add_test(wire, test_line_rates);
    tcase_add_test(wire, test_ack_limits_match_spec_tables);
    tcase_add_test(wire, test_overheads);
    tcase_add_test(wire, test_timing);
    suite_add_tcase(s, wire);

    TCase *model = tcase_create("model");
    tcase_set_timeout(model, 60);
    tcase_add_test(model, test_reference_gen3x8);
    tcase_add_test(model, test_reference_other_configs);
    tcase_add_test(model, test_flit_model);
    tcase_add_test(model, test_reservation_reproduces_model);
    tcase_add_test(model, test_transfer_sums_sweep);
    tcase_add_test(model, test_transfer_sums_random);
    tcase_add_test(model, test_transfer_memo_matches_sums);
    suite_add_tcase(s, model);

    TCase *cfg = tcase_create("cfg");
    tcase_add_test(cfg, test_cfg_check);
    suite_add_tcase(s, cfg);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tlp_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
