/* The timed PCIe path: link occupancy and latency, flow-control credit stalls, the tag
 * limit on outstanding reads, the root complex's completions, its hooks and its write
 * buffer. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "models/mem/mem.h"
#include "models/pcie/dma.h"
#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "sim/kernel.h"
#include "tests/rig.h"


/* Back-to-back TLPs occupy the wire at the TLP rate; each arrives one serialization
 * plus the link latency after it starts. */
START_TEST(test_occupancy_and_latency)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "pcie.link_latency_ns", "100");
    rig_build(&r, false);
    pcie_link_timing t;
    pcie_link_timing_init(&t, pcie_link_config(r.pf->link));
    uint32_t wire = pcie_tlp_wire_bytes(pcie_link_config(r.pf->link), PCIE_TLP_MWR, 256, 1ull << 32);
    ck_assert_uint_eq(wire, 256 + 24);
    uint64_t a1 = pcie_link_send(r.pf->link, PCIE_UP, 0, PCIE_TLP_MWR, 1ull << 32, 256);
    ck_assert_uint_eq(a1, pcie_tlp_serial_ps(&t, wire) + 100000);
    uint64_t busy1 = pcie_link_busy_until_ps(r.pf->link, PCIE_UP);
    /* Occupancy carries sub-picosecond remainders from TLP to TLP: within 1 ps of the
     * rounded value. */
    ck_assert_uint_le(busy1, pcie_tlp_occupancy_ps(&t, wire, NULL) + 1);
    ck_assert_uint_ge(busy1 + 1, pcie_tlp_occupancy_ps(&t, wire, NULL));
    uint64_t a2 = pcie_link_send(r.pf->link, PCIE_UP, 0, PCIE_TLP_MWR, (1ull << 32) + 256, 256);
    ck_assert_uint_eq(a2, busy1 + pcie_tlp_serial_ps(&t, wire) + 100000);
    ck_assert_double_eq(rig_stat(&r, "pcie.up.tlps"), 2);
    ck_assert_double_eq(rig_stat(&r, "pcie.up.wire_bytes"), 2 * wire);
    ck_assert_double_eq(rig_stat(&r, "pcie.up.payload_bytes"), 512);
    ck_assert_double_gt(rig_stat(&r, "pcie.up.wire_wait_ps"), 0);
    /* The other direction is independent. */
    ck_assert_uint_eq(pcie_link_busy_until_ps(r.pf->link, PCIE_DOWN), 0);
    rig_free(&r);
}
END_TEST

/* With 4 posted header credits at the root port, the fifth write waits until the
 * first write's credit comes back: its arrival plus pcie.fc_update_ns. */
START_TEST(test_credit_stall)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "pcie.rc_ph_credits", "4");
    rig_set(&r, "pcie.fc_update_ns", "500");
    rig_set(&r, "pcie.link_latency_ns", "100");
    rig_build(&r, false);
    uint64_t first = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t a = pcie_link_send(r.pf->link, PCIE_UP, 0, PCIE_TLP_MWR, 1ull << 32, 64);
        if (i == 0)
            first = a;
    }
    ck_assert_double_eq(rig_stat(&r, "pcie.up.credit_wait_ps"), 0);
    uint64_t a5 = pcie_link_send(r.pf->link, PCIE_UP, 0, PCIE_TLP_MWR, 1ull << 32, 64);
    ck_assert_double_eq(rig_stat(&r, "pcie.up.credit_wait_ps"), first + 500000);
    ck_assert_uint_gt(a5, first + 500000);
    /* Reads use non-posted credits, which are unlimited here: no wait. */
    pcie_link_send(r.pf->link, PCIE_UP, 0, PCIE_TLP_MRD, 1ull << 32, 64);
    ck_assert_double_eq(rig_stat(&r, "pcie.up.credit_wait_ps"), first + 500000);
    rig_free(&r);
}
END_TEST

/* Data credits count 16-byte units: 32 credits hold two 256-byte writes. */
START_TEST(test_data_credit_stall)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "pcie.rc_pd_credits", "32");
    rig_build(&r, false);
    pcie_link_send(r.pf->link, PCIE_UP, 0, PCIE_TLP_MWR, 1ull << 32, 256);
    pcie_link_send(r.pf->link, PCIE_UP, 0, PCIE_TLP_MWR, 1ull << 32, 256);
    ck_assert_double_eq(rig_stat(&r, "pcie.up.credit_wait_ps"), 0);
    pcie_link_send(r.pf->link, PCIE_UP, 0, PCIE_TLP_MWR, 1ull << 32, 16);
    ck_assert_double_gt(rig_stat(&r, "pcie.up.credit_wait_ps"), 0);
    rig_free(&r);
}
END_TEST

START_TEST(test_too_few_data_credits_refused)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "pcie.rc_pd_credits", "8"); /* 128 bytes < MPS 256 */
    sim_err e;
    ck_assert_int_eq(pcie_link_check(r.p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "pcie.rc_pd_credits"));
    rig_free(&r);
}
END_TEST

/* A 4096-byte read at MRRS 512 is 8 MRd upstream and, at MPS 256, 16 CplD downstream. */
START_TEST(test_read_split_on_the_wire)
{
    rig r;
    rig_init(&r);
    rig_build(&r, false);
    pcie_dma *d = pcie_dma_create(r.pf->link, r.pf->rc, 0x0100, 256);
    uint64_t done = pcie_dma_read(d, 0, 1ull << 32, 4096, NULL);
    ck_assert_double_eq(rig_stat(&r, "pcie.up.tlps"), 8);
    ck_assert_double_eq(rig_stat(&r, "pcie.down.tlps"), 16);
    ck_assert_double_eq(rig_stat(&r, "pcie.down.payload_bytes"), 4096);
    ck_assert_double_eq(rig_stat(&r, "rc.completions"), 16);
    /* Done when the last completion has crossed: after the downstream wire's last
     * reservation began, and no later than its end plus the link latency. */
    ck_assert_uint_le(done, pcie_link_busy_until_ps(r.pf->link, PCIE_DOWN) + 90000);
    ck_assert_uint_gt(done, 16ull * 276 * 8 * 1000 / 63); /* 16 CplD at under 63 Gb/s */
    /* A write of the same size: 16 MWr of MPS each, nothing downstream. */
    pcie_dma_write(d, done, 1ull << 32, 4096);
    ck_assert_double_eq(rig_stat(&r, "pcie.up.tlps"), 8 + 16);
    ck_assert_double_eq(rig_stat(&r, "pcie.down.tlps"), 16);
    pcie_dma_destroy(d);
    rig_free(&r);
}
END_TEST

/* With one tag, reads serialise: each waits for the previous one's completions. */
START_TEST(test_tag_limit)
{
    uint64_t done[2];
    for (int tags = 1; tags <= 2; tags++) {
        rig r;
    rig_init(&r);
        rig_build(&r, false);
        pcie_dma *d = pcie_dma_create(r.pf->link, r.pf->rc, 0x0100, (uint32_t)tags);
        uint64_t t1 = pcie_dma_read(d, 0, 1ull << 32, 64, NULL);
        uint64_t t2 = pcie_dma_read(d, 0, (1ull << 32) + 64, 64, NULL);
        done[tags - 1] = t2;
        if (tags == 1)
            ck_assert_uint_gt(t2, 2 * t1 - 1000); /* the second starts after the first */
        else
            ck_assert_uint_lt(t2, t1 + 50000);     /* overlapped */
        pcie_dma_destroy(d);
        rig_free(&r);
    }
    ck_assert_uint_gt(done[0], done[1]);
}
END_TEST

/* Translation that holds requests to one page for 10 us: their tags free late. */
static int slow_page(void *ctx, uint16_t rid, uint32_t pasid, uint64_t addr,
                     uint32_t len, bool write, uint64_t *t, uint64_t *hpa)
{
    (void)rid, (void)pasid, (void)len, (void)write;
    if (addr >> 12 == *(uint64_t *)ctx >> 12)
        *t += 10000000;
    *hpa = addr;
    return 0;
}

/* Tags free out of the order they were taken: a request takes the one that frees
 * first, not the one taken first. Two tags; the first read is held for 10 us. */
START_TEST(test_tag_frees_out_of_order)
{
    rig r;
    rig_init(&r);
    rig_build(&r, false);
    uint64_t slow = 1ull << 32, fast = slow + 4096;
    pcie_rc_set_translate(r.pf->rc, slow_page, &slow);
    pcie_dma *d = pcie_dma_create(r.pf->link, r.pf->rc, 0x0100, 2);
    uint64_t a = pcie_dma_read(d, 0, slow, 64, NULL);
    uint64_t b = pcie_dma_read(d, 0, fast, 64, NULL);
    ck_assert_uint_gt(a, b + 9000000);
    /* Each next read waits for the previous fast one's tag, never for the slow one. */
    uint64_t prev = b;
    for (int i = 1; i <= 4; i++) {
        uint64_t c = pcie_dma_read(d, 0, fast + 64u * i, 64, NULL);
        ck_assert_uint_gt(c, prev);
        ck_assert_uint_lt(c, a);
        prev = c;
    }
    /* With the fast tag busy until prev, one starting later still takes it. */
    uint64_t e = pcie_dma_read(d, prev + 1, fast, 64, NULL);
    ck_assert_uint_lt(e, a);
    pcie_dma_destroy(d);
    rig_free(&r);
}
END_TEST

/* 512-byte read at MRRS 128: four requests, so four tags in flight at once. */
START_TEST(test_mrrs_from_device_control)
{
    rig r;
    rig_init(&r);
    rig_build(&r, false);
    pcie_dma *d = pcie_dma_create(r.pf->link, r.pf->rc, 0x0100, 256);
    pcie_dma_set_limits(d, 128, 128);
    pcie_dma_read(d, 0, 1ull << 32, 512, NULL);
    ck_assert_double_eq(rig_stat(&r, "pcie.up.tlps"), 4);
    pcie_dma_write(d, 0, 1ull << 32, 512);
    ck_assert_double_eq(rig_stat(&r, "pcie.up.tlps"), 8);
    pcie_dma_destroy(d);
    rig_free(&r);
}
END_TEST

static int block_all(void *ctx, uint16_t rid, uint32_t pasid, uint64_t addr,
                     uint32_t len, bool write, uint64_t *t, uint64_t *hpa)
{
    (void)rid, (void)pasid, (void)addr, (void)len, (void)write, (void)hpa;
    *t += 1000;
    ++*(int *)ctx;
    return -1;
}

typedef struct msi_seen {
    int n;
    uint16_t rid;
    uint32_t data;
} msi_seen;

static void on_msi(void *ctx, uint16_t rid, uint64_t addr, uint32_t data, uint64_t t)
{
    (void)addr, (void)t;
    msi_seen *m = ctx;
    m->n++;
    m->rid = rid;
    m->data = data;
}

/* A blocked read gets one UR completion and touches no memory; MSI writes go to the
 * interrupt hook, not to memory or translation. */
START_TEST(test_hooks)
{
    rig r;
    rig_init(&r);
    rig_build(&r, false);
    int calls = 0;
    msi_seen m = {0};
    pcie_rc_set_translate(r.pf->rc, block_all, &calls);
    pcie_rc_set_msi(r.pf->rc, on_msi, &m);
    pcie_dma *d = pcie_dma_create(r.pf->link, r.pf->rc, 0x0123, 32);
    bool ur = false;
    pcie_dma_read(d, 0, 1ull << 32, 1024, &ur);
    ck_assert(ur);
    ck_assert_int_eq(calls, 2);
    ck_assert_double_eq(rig_stat(&r, "rc.unsupported_requests"), 2);
    ck_assert_double_eq(rig_stat(&r, "pcie.down.payload_bytes"), 0);
    ck_assert_double_eq(rig_stat(&r, "mem.llc_read_misses") + rig_stat(&r, "mem.llc_read_hits"), 0);
    pcie_dma_msi(d, 0, PCIE_MSI_BASE + 0x10, 0x41);
    ck_assert_int_eq(m.n, 1);
    ck_assert_uint_eq(m.rid, 0x0123);
    ck_assert_uint_eq(m.data, 0x41);
    ck_assert_int_eq(calls, 2);
    pcie_dma_destroy(d);
    rig_free(&r);
}
END_TEST

/* The PASID a request carries: the translation hook sees it (none for a request without
 * one, nor for an MSI), and each request is one DW longer on the wire: the PASID TLP
 * prefix; in Flit Mode OHC-A1, which a request with partial byte enables has anyway. */
typedef struct pasid_seen {
    int n;
    uint32_t last;
} pasid_seen;

static int note_pasid(void *ctx, uint16_t rid, uint32_t pasid, uint64_t addr, uint32_t len,
                      bool write, uint64_t *t, uint64_t *hpa)
{
    (void)rid, (void)len, (void)write, (void)t;
    pasid_seen *s = ctx;
    s->n++;
    s->last = pasid;
    *hpa = addr;
    return 0;
}

static double up_wire_after(const char *flit, uint32_t pasid, uint64_t addr, uint64_t len,
                            bool write, pasid_seen *s)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "pcie.flit_mode", flit);
    rig_build(&r, false);
    pcie_rc_set_translate(r.pf->rc, note_pasid, s);
    pcie_dma *d = pcie_dma_create(r.pf->link, r.pf->rc, 0x0123, 32);
    bool ur = false;
    if (write)
        pcie_dma_write_pasid(d, 0, addr, len, pasid);
    else
        pcie_dma_read_pasid(d, 0, addr, len, pasid, &ur);
    ck_assert(!ur);
    double w = rig_stat(&r, "pcie.up.wire_bytes");
    pcie_dma_msi(d, 0, PCIE_MSI_BASE, 0x41);
    pcie_dma_destroy(d);
    rig_free(&r);
    return w;
}

START_TEST(test_pasid_prefix)
{
    pasid_seen s = {0};
    /* 1 KiB written at MPS 256: four MWr, each 4 bytes longer with a PASID. */
    double plain = up_wire_after("false", PCIE_NO_PASID, 1ull << 32, 1024, true, &s);
    ck_assert_int_eq(s.n, 4);
    ck_assert_uint_eq(s.last, PCIE_NO_PASID);
    s.n = 0;
    double tagged = up_wire_after("false", 7, 1ull << 32, 1024, true, &s);
    ck_assert_int_eq(s.n, 4);
    ck_assert_uint_eq(s.last, 7);
    ck_assert_double_eq(tagged - plain, 4 * PCIE_PASID_PREFIX_BYTES);
    /* A 64-byte read: one MRd, a DW longer. */
    ck_assert_double_eq(up_wire_after("false", 7, 1ull << 32, 64, false, &s) -
                            up_wire_after("false", PCIE_NO_PASID, 1ull << 32, 64, false, &s),
                        PCIE_PASID_PREFIX_BYTES);
    /* Flit Mode: whole DWs take OHC-A1 for the PASID; a 4-byte write at an odd address
     * carries OHC-A1 for its byte enables already. */
    ck_assert_double_eq(up_wire_after("true", 7, 1ull << 32, 64, true, &s) -
                            up_wire_after("true", PCIE_NO_PASID, 1ull << 32, 64, true, &s),
                        PCIE_PASID_PREFIX_BYTES);
    ck_assert_double_eq(up_wire_after("true", 7, (1ull << 32) + 1, 4, true, &s),
                        up_wire_after("true", PCIE_NO_PASID, (1ull << 32) + 1, 4, true, &s));
}
END_TEST

/* A CPU MMIO read stalls for a round trip: down, the device, and back up. */
START_TEST(test_mmio)
{
    rig r;
    rig_init(&r);
    rig_build(&r, false);
    uint64_t w = pcie_rc_mmio_write(r.pf->rc, 0, 0xE0000000, 4);
    uint64_t rd = pcie_rc_mmio_read(r.pf->rc, w, 0xE0000000, 4, 100000);
    ck_assert_uint_gt(rd, w + 2 * 90000 + 100000);
    ck_assert_double_eq(rig_stat(&r, "pcie.down.tlps"), 2);
    ck_assert_double_eq(rig_stat(&r, "pcie.up.tlps"), 1);
    rig_free(&r);
}
END_TEST

/* The root complex's write buffer (rc.write_buffer_lines): a write holds its lines from
 * arrival until memory accepts it (rc.latency_ns + mem.write_latency_ns here), and a
 * write that finds no room waits for the oldest to leave. */
START_TEST(test_write_buffer_full_waits)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "rc.latency_ns", "0");
    rig_set(&r, "mem.write_latency_ns", "1000");
    rig_set(&r, "rc.write_buffer_lines", "8");
    rig_build(&r, false);
    uint64_t a = 1ull << 32;
    /* Four 128-byte writes fill the eight lines; each is accepted 1 us after arrival. */
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(pcie_rc_write(r.pf->rc, 0, 0x0100, a + 128 * i, 128, 0), 1000000);
    ck_assert_double_eq(rig_stat(&r, "rc.write_buffer_waits"), 0);
    /* The fifth waits for the first to leave: in at 1 us, accepted at 2 us. */
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, 0, 0x0100, a + 512, 128, 0), 2000000);
    ck_assert_double_eq(rig_stat(&r, "rc.write_buffer_waits"), 1);
    ck_assert_double_eq(rig_stat(&r, "rc.write_buffer_wait_ps"), 1000000);
    /* 64 bytes across a line boundary take two lines: with seven of eight taken, such a
     * write waits for room where an aligned one would not. */
    uint64_t t = 10000000;
    for (int i = 0; i < 3; i++)
        pcie_rc_write(r.pf->rc, t, 0x0100, a + 128 * i, 128, 0);
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, t, 0x0100, a + 384, 64, 0), t + 1000000);
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, t, 0x0100, a + 32, 64, 0), t + 2000000);
    ck_assert_double_eq(rig_stat(&r, "rc.write_buffer_waits"), 2);
    /* An MSI takes no line; it waits only for the writes before it to be accepted. */
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, t, 0x0100, PCIE_MSI_BASE, 4, 0x41), t + 2000000);
    rig_free(&r);
}
END_TEST

/* A translation that stalls one write (an IOTLB miss) holds the writes behind it when the
 * buffer is modelled, since posted writes leave in order; without it each write reaches
 * memory on its own time. */
static void miss_then_hit(const char *lines, uint64_t *miss_done, uint64_t *hit_done)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "rc.write_buffer_lines", lines);
    rig_build(&r, false);
    uint64_t slow = 1ull << 32; /* slow_page: this page's translation takes 10 us */
    pcie_rc_set_translate(r.pf->rc, slow_page, &slow);
    *miss_done = pcie_rc_write(r.pf->rc, 0, 0x0100, 1ull << 32, 256, 0);
    *hit_done = pcie_rc_write(r.pf->rc, 1000, 0x0100, (1ull << 32) + 8192, 256, 0);
    rig_free(&r);
}

START_TEST(test_writes_leave_in_order)
{
    uint64_t miss, hit;
    miss_then_hit("0", &miss, &hit);
    ck_assert_uint_lt(hit, miss);
    miss_then_hit("92", &miss, &hit);
    ck_assert_uint_eq(hit, miss);
}
END_TEST

/* The root complex alone, with `lines` of write buffer: no latency of its own, 100 ns of
 * memory per write, and the page at 4 GiB (slow_page) 10 us to translate. */
static uint64_t order_slow = 1ull << 32;
static const uint64_t order_fast = (1ull << 32) + 8192;

static void order_rig(rig *r, const char *lines)
{
    rig_init(r);
    rig_set(r, "rc.latency_ns", "0");
    rig_set(r, "mem.write_latency_ns", "100");
    rig_set(r, "rc.write_buffer_lines", lines);
    rig_build(r, false);
    pcie_rc_set_translate(r->pf->rc, slow_page, &order_slow);
}

/* Writes leave in the order they arrive, whatever the order the DMA engines issue them
 * in: a write booked ahead (a completion after a slow read) does not hold back one issued
 * after it that arrives earlier; one that arrives after both waits for both. */
START_TEST(test_write_order_is_arrival_order)
{
    rig r;
    order_rig(&r, "92");
    /* Issued first, arriving at 30 ns and held 10 us by its translation. */
    uint64_t a = pcie_rc_write(r.pf->rc, 30000, 0x0100, order_slow, 64, 0);
    ck_assert_uint_gt(a, 10000000);
    /* Issued next, arriving at 10 ns: not held back by the write that arrived after it. */
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, 10000, 0x0100, order_fast, 64, 0), 110000);
    /* Arriving at 35 ns, after both: it leaves after the slow one. */
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, 35000, 0x0100, order_fast + 64, 64, 0), a);
    /* An MSI that arrived at 20 ns waits only for the write that arrived at 10 ns. */
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, 20000, 0x0100, PCIE_MSI_BASE, 4, 0x41), 110000);
    rig_free(&r);
}
END_TEST

/* Without the write buffer writes reach memory on their own time, but an MSI still
 * leaves after every write that arrived before it, and only those: not after a write
 * issued before it that arrives later, and after a slow write that arrived before a fast
 * one that is done. */
START_TEST(test_msi_order_without_write_buffer)
{
    rig r;
    order_rig(&r, "0");
    uint64_t a = pcie_rc_write(r.pf->rc, 30000, 0x0100, order_slow, 64, 0);
    ck_assert_uint_gt(a, 10000000);
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, 10000, 0x0100, order_fast, 64, 0), 110000);
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, 20000, 0x0100, PCIE_MSI_BASE, 4, 0x41), 110000);
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, 40000, 0x0100, PCIE_MSI_BASE, 4, 0x41), a);
    /* Later: a slow write, then a fast one that is done long before it. */
    uint64_t t = 100000000;
    uint64_t b = pcie_rc_write(r.pf->rc, t, 0x0100, order_slow, 64, 0);
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, t + 5000, 0x0100, order_fast, 64, 0), t + 105000);
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, t + 10000, 0x0100, PCIE_MSI_BASE, 4, 0x41), b);
    rig_free(&r);

    /* Writes in memory before a later one arrives are still waited for by an MSI that
     * arrives before them (the clock, not the later write, lets them go). */
    order_rig(&r, "0");
    t = 1000000;
    pcie_rc_write(r.pf->rc, t + 30000, 0x0100, order_fast, 64, 0);
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, t + 10000, 0x0100, order_fast + 64, 64, 0),
                      t + 110000);
    pcie_rc_write(r.pf->rc, t + 200000, 0x0100, order_fast + 128, 64, 0);
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, t + 20000, 0x0100, PCIE_MSI_BASE, 4, 0x41),
                      t + 110000);
    /* More writes in flight than the history's first 64 slots, issued latest-arriving
     * first: an MSI waits for those that arrived before it, however deep they lie. */
    t = 2000000;
    for (int i = 99; i >= 0; i--)
        pcie_rc_write(r.pf->rc, t + 1000 * (uint64_t)i, 0x0100, order_fast + 64 * (uint64_t)i,
                      64, 0);
    ck_assert_uint_eq(pcie_rc_write(r.pf->rc, t + 50500, 0x0100, PCIE_MSI_BASE, 4, 0x41),
                      t + 50000 + 100000);
    rig_free(&r);
}
END_TEST

START_TEST(test_write_buffer_too_small_refused)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "rc.write_buffer_lines", "4"); /* a 256-byte write may touch 5 lines */
    sim_err e;
    ck_assert_int_eq(platform_check(r.p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "rc.write_buffer_lines = 4"));
    rig_set(&r, "rc.write_buffer_lines", "5");
    ck_assert_int_eq(platform_check(r.p, &e), 0);
    rig_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pcie_link");
    TCase *tc = tcase_create("link");
    tcase_add_test(tc, test_occupancy_and_latency);
    tcase_add_test(tc, test_credit_stall);
    tcase_add_test(tc, test_data_credit_stall);
    tcase_add_test(tc, test_too_few_data_credits_refused);
    tcase_add_test(tc, test_read_split_on_the_wire);
    tcase_add_test(tc, test_tag_limit);
    tcase_add_test(tc, test_tag_frees_out_of_order);
    tcase_add_test(tc, test_mrrs_from_device_control);
    tcase_add_test(tc, test_hooks);
    tcase_add_test(tc, test_pasid_prefix);
    tcase_add_test(tc, test_mmio);
    tcase_add_test(tc, test_write_buffer_full_waits);
    tcase_add_test(tc, test_writes_leave_in_order);
    tcase_add_test(tc, test_write_order_is_arrival_order);
    tcase_add_test(tc, test_msi_order_without_write_buffer);
    tcase_add_test(tc, test_write_buffer_too_small_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
