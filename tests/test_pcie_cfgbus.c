/* Unit tests of the configuration bus (models/pcie/cfgbus.c): ECAM decode, absent
 * functions, attach/detach, enumeration, BAR sizing and assignment, the counters; and the
 * SR-IOV capability (models/pcie/sriov.h) on a fake device. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pcie/cfgspace.h"
#include "models/pcie/sriov.h"
#include "sim/stats.h"
#include "tests/cfg_fixture.h"

/* ---------------------------------------------------------------- bus */

START_TEST(test_rid_and_ecam_decode)
{
    uint16_t rid = pcie_cfg_rid(0x3a, 0x1f, 7);
    ck_assert_uint_eq(rid, 0x3aff);
    ck_assert_uint_eq(pcie_cfg_rid_bus(rid), 0x3a);
    ck_assert_uint_eq(pcie_cfg_rid_dev(rid), 0x1f);
    ck_assert_uint_eq(pcie_cfg_rid_fn(rid), 7);
    ck_assert_uint_eq(pcie_cfg_rid(3, 2, 1), (3u << 8) | (2u << 3) | 1u);
    ck_assert_uint_eq(pcie_cfg_ecam_offset(pcie_cfg_rid(3, 2, 1), 0x10),
                      (3ull << 20) | (2ull << 15) | (1ull << 12) | 0x10);

    pcie_cfg_bus *b = pcie_cfg_bus_create();
    pcie_cfg *c = new_fn();
    ck_assert(pcie_cfg_add_bar(c, 0, 4096, false, false));
    ck_assert(pcie_cfg_bus_attach(b, pcie_cfg_rid(3, 2, 1), c));
    uint64_t ecam = (3ull << 20) | (2ull << 15) | (1ull << 12);
    ck_assert_uint_eq(pcie_cfg_bus_ecam_read(b, ecam + PCIE_CFG_VENDOR_ID, 4),
                      ((uint32_t)DID << 16) | VID);
    ck_assert_uint_eq(pcie_cfg_bus_ecam_read(b, ecam + PCIE_CFG_DEVICE_ID, 2), DID);
    pcie_cfg_bus_ecam_write(b, ecam + PCIE_CFG_BAR0, 4, 0xfebf0000u);
    ck_assert_uint_eq(pcie_cfg_bar_address(c, 0), 0xfebf0000u);
    ck_assert_uint_eq(pcie_cfg_bus_read(b, pcie_cfg_rid(3, 2, 1), PCIE_CFG_BAR0, 4), 0xfebf0000u);
    /* Neighbouring functions, devices and buses are other pages. */
    ck_assert_uint_eq(pcie_cfg_bus_ecam_read(b, ecam - 0x1000, 2), 0xffff);
    ck_assert_uint_eq(pcie_cfg_bus_ecam_read(b, ecam + 0x1000, 2), 0xffff);
    ck_assert_uint_eq(pcie_cfg_bus_ecam_read(b, ecam + (1u << 15), 2), 0xffff);
    ck_assert_uint_eq(pcie_cfg_bus_ecam_read(b, ecam + (1u << 20), 2), 0xffff);
    /* Outside the 256 MiB window. */
    ck_assert_uint_eq(pcie_cfg_bus_ecam_read(b, PCIE_ECAM_WINDOW_BYTES + ecam, 4), 0xffffffffu);
    pcie_cfg_bus_ecam_write(b, PCIE_ECAM_WINDOW_BYTES, 4, 0);
    /* A misaligned ECAM access reaches the function, which counts it. */
    ck_assert_uint_eq(pcie_cfg_bus_ecam_read(b, ecam + 1, 2), 0xffff);
    pcie_cfg_bus_counters k = pcie_cfg_bus_get_counters(b);
    ck_assert_uint_eq(k.ecam_errors, 2);
    ck_assert_uint_eq(k.ur_reads, 4);
    ck_assert_uint_eq(k.cfg_reads, 8);
    ck_assert_uint_eq(k.cfg_writes, 1);
    ck_assert_uint_eq(pcie_cfg_get_counters(c).misaligned, 1);
    pcie_cfg_destroy(c);
    pcie_cfg_bus_destroy(b);
}
END_TEST

START_TEST(test_absent_reads_all_ones)
{
    pcie_cfg_bus *b = pcie_cfg_bus_create();
    uint16_t rid = pcie_cfg_rid(0, 4, 0);
    ck_assert_uint_eq(pcie_cfg_bus_read(b, rid, PCIE_CFG_VENDOR_ID, 2), 0xffff);
    ck_assert_uint_eq(pcie_cfg_bus_read(b, rid, PCIE_CFG_VENDOR_ID, 4), 0xffffffffu);
    ck_assert_uint_eq(pcie_cfg_bus_read(b, rid, PCIE_CFG_HEADER_TYPE, 1), 0xff);
    pcie_cfg_bus_write(b, rid, PCIE_CFG_COMMAND, 2, PCIE_CMD_MEMORY_SPACE);
    ck_assert_ptr_null(pcie_cfg_bus_lookup(b, rid));
    pcie_cfg_bus_counters k = pcie_cfg_bus_get_counters(b);
    ck_assert_uint_eq(k.ur_reads, 3);
    ck_assert_uint_eq(k.ur_writes, 1);
    ck_assert_uint_eq(k.cfg_reads, 3);
    ck_assert_uint_eq(k.cfg_writes, 1);
    pcie_cfg_bus_destroy(b);
}
END_TEST

START_TEST(test_attach_detach)
{
    pcie_cfg_bus *b = pcie_cfg_bus_create();
    pcie_cfg *pf = new_fn(), *vf = pcie_cfg_create(0xffff, 0xffff, CLASS_ETHERNET);
    uint16_t r_pf = pcie_cfg_rid(1, 0, 0), r_vf = pcie_cfg_rid(1, 16, 0);
    uint16_t got = 0;
    ck_assert(!pcie_cfg_routing_id(pf, &got));
    ck_assert(pcie_cfg_bus_attach(b, r_pf, pf));
    ck_assert(pcie_cfg_routing_id(pf, &got));
    ck_assert_uint_eq(got, r_pf);
    ck_assert_ptr_eq(pcie_cfg_bus_lookup(b, r_pf), pf);
    ck_assert_uint_eq(pcie_cfg_bus_functions(b), 1);

    /* A taken routing ID is refused. */
    pcie_cfg *other = new_fn();
    ck_assert(!pcie_cfg_bus_attach(b, r_pf, other));
    ck_assert(!pcie_cfg_routing_id(other, NULL));
    pcie_cfg_destroy(other);

    ck_assert(pcie_cfg_bus_attach(b, r_vf, vf));
    ck_assert_uint_eq(pcie_cfg_bus_functions(b), 2);
    ck_assert_uint_eq(pcie_cfg_bus_read(b, r_vf, PCIE_CFG_CLASS_CODE + 1, 2), 0x0200);
    ck_assert_ptr_eq(pcie_cfg_bus_detach(b, r_vf), vf);
    ck_assert_ptr_null(pcie_cfg_bus_detach(b, r_vf));
    ck_assert_ptr_null(pcie_cfg_bus_detach(b, pcie_cfg_rid(9, 0, 0))); /* never used bus */
    ck_assert_uint_eq(pcie_cfg_bus_read(b, r_vf, PCIE_CFG_CLASS_CODE + 1, 2), 0xffff);
    ck_assert_uint_eq(pcie_cfg_bus_functions(b), 1);
    ck_assert(!pcie_cfg_routing_id(vf, NULL));
    /* Reattached elsewhere (a new NumVFs can move VFs). */
    ck_assert(pcie_cfg_bus_attach(b, pcie_cfg_rid(1, 16, 2), vf));
    ck_assert_uint_eq(pcie_cfg_bus_read(b, pcie_cfg_rid(1, 16, 2), PCIE_CFG_VENDOR_ID, 2), 0xffff);
    ck_assert_uint_eq(pcie_cfg_bus_read(b, pcie_cfg_rid(1, 16, 2), PCIE_CFG_BASE_CLASS, 1), 0x02);

    /* Destroying an attached function detaches it. */
    pcie_cfg_destroy(vf);
    ck_assert_ptr_null(pcie_cfg_bus_lookup(b, pcie_cfg_rid(1, 16, 2)));
    ck_assert_uint_eq(pcie_cfg_bus_functions(b), 1);
    /* Destroying the bus leaves functions alive and detached. */
    pcie_cfg_bus_destroy(b);
    ck_assert(!pcie_cfg_routing_id(pf, NULL));
    ck_assert_uint_eq(pcie_cfg_read(pf, PCIE_CFG_VENDOR_ID, 2), VID);
    pcie_cfg_destroy(pf);
}
END_TEST

START_TEST(test_many_attach_detach)
{
    /* Every routing ID, as 256 buses x 256 functions. */
    pcie_cfg_bus *b = pcie_cfg_bus_create();
    pcie_cfg *fns[64];
    for (unsigned i = 0; i < 64; i++)
        fns[i] = new_fn();
    for (unsigned round = 0; round < 1024; round++) {
        uint16_t base = (uint16_t)(round * 64u);
        for (unsigned i = 0; i < 64; i++)
            ck_assert(pcie_cfg_bus_attach(b, (uint16_t)(base + i), fns[i]));
        ck_assert_uint_eq(pcie_cfg_bus_functions(b), 64);
        for (unsigned i = 0; i < 64; i++)
            ck_assert_ptr_eq(pcie_cfg_bus_detach(b, (uint16_t)(base + i)), fns[i]);
    }
    ck_assert_uint_eq(pcie_cfg_bus_functions(b), 0);
    for (unsigned i = 0; i < 64; i++)
        pcie_cfg_destroy(fns[i]);
    pcie_cfg_bus_destroy(b);
}
END_TEST

#ifndef NDEBUG
START_TEST(test_attach_twice_asserts)
{
    pcie_cfg_bus *b = pcie_cfg_bus_create();
    pcie_cfg *c = new_fn();
    ck_assert(pcie_cfg_bus_attach(b, 0x0100, c));
    pcie_cfg_bus_attach(b, 0x0200, c);
}
END_TEST
#endif

/* A small platform: functions at 0:00.0, 0:01.0-1.1-1.3 (multi-function), 0:02.0
 * with a stray 0:02.1 that must not be found (02.0 is single-function), a stray
 * 0:05.2 without function 0, and 2:00.0. */
typedef struct platform {
    pcie_cfg_bus *bus;
    pcie_cfg *fn[8];
    uint16_t rid[8];
    size_t n;
} platform;

static pcie_cfg *plat_add(platform *p, uint16_t rid)
{
    pcie_cfg *c = new_fn();
    ck_assert(pcie_cfg_bus_attach(p->bus, rid, c));
    p->fn[p->n] = c;
    p->rid[p->n] = rid;
    p->n++;
    return c;
}

static void plat_build(platform *p)
{
    memset(p, 0, sizeof *p);
    p->bus = pcie_cfg_bus_create();
    pcie_cfg *c;
    c = plat_add(p, pcie_cfg_rid(0, 0, 0));
    ck_assert(pcie_cfg_add_bar(c, 0, 1 << 20, false, false));
    ck_assert(pcie_cfg_add_bar(c, 1, 16, false, false));
    c = plat_add(p, pcie_cfg_rid(0, 1, 0));
    pcie_cfg_set(c, PCIE_CFG_HEADER_TYPE, 1, PCIE_HDR_TYPE_MULTI_FUNCTION | PCIE_HDR_TYPE_0);
    ck_assert(pcie_cfg_add_bar(c, 0, 1ull << 24, true, true));
    ck_assert(pcie_cfg_add_bar(c, 3, 16384, false, false));
    c = plat_add(p, pcie_cfg_rid(0, 1, 1));
    ck_assert(pcie_cfg_add_bar(c, 2, 1ull << 24, true, true));
    ck_assert(pcie_cfg_add_bar(c, 4, 4096, true, false));
    c = plat_add(p, pcie_cfg_rid(0, 1, 3));
    ck_assert(pcie_cfg_add_bar(c, 5, 65536, false, true));
    c = plat_add(p, pcie_cfg_rid(0, 2, 0));
    ck_assert(pcie_cfg_add_bar(c, 0, 8192, false, false));
    plat_add(p, pcie_cfg_rid(0, 2, 1));
    plat_add(p, pcie_cfg_rid(0, 5, 2));
    c = plat_add(p, pcie_cfg_rid(2, 0, 0));
    ck_assert(pcie_cfg_add_bar(c, 0, 1 << 20, false, true));
}

static void plat_free(platform *p)
{
    for (size_t i = 0; i < p->n; i++)
        pcie_cfg_destroy(p->fn[i]);
    pcie_cfg_bus_destroy(p->bus);
}

START_TEST(test_enumerate)
{
    platform p;
    plat_build(&p);
    uint16_t rids[16];
    size_t n = pcie_cfg_bus_enumerate(p.bus, 256, rids, 16);
    const uint16_t want[] = {pcie_cfg_rid(0, 0, 0), pcie_cfg_rid(0, 1, 0), pcie_cfg_rid(0, 1, 1),
                             pcie_cfg_rid(0, 1, 3), pcie_cfg_rid(0, 2, 0), pcie_cfg_rid(2, 0, 0)};
    ck_assert_uint_eq(n, 6);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(rids[i], want[i]);
    /* Fewer slots than functions: the count is still the number found. */
    uint16_t two[2];
    ck_assert_uint_eq(pcie_cfg_bus_enumerate(p.bus, 256, two, 2), 6);
    ck_assert_uint_eq(two[1], want[1]);
    /* Bus 2 only when the scan reaches it. */
    ck_assert_uint_eq(pcie_cfg_bus_enumerate(p.bus, 2, rids, 16), 5);
    ck_assert_uint_eq(pcie_cfg_bus_enumerate(p.bus, 0, rids, 16), 0);
    plat_free(&p);
}
END_TEST

typedef struct placed {
    uint64_t addr, size;
} placed;

static void check_no_overlap(const placed *pl, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(pl[i].addr & (pl[i].size - 1), 0);
        for (size_t j = i + 1; j < n; j++)
            ck_assert(pl[i].addr + pl[i].size <= pl[j].addr ||
                      pl[j].addr + pl[j].size <= pl[i].addr);
    }
}

START_TEST(test_assign_bars)
{
    platform p;
    plat_build(&p);
    uint16_t rids[16];
    size_t n = pcie_cfg_bus_enumerate(p.bus, 256, rids, 16);
    const uint64_t base = 0xc0000000u, size = 0x10000000u;
    uint64_t end = 0;
    ck_assert_uint_eq(pcie_cfg_bus_assign_bars(p.bus, rids, n, base, size, &end), 0);

    placed pl[32];
    size_t np = 0;
    uint64_t total = 0, top = base;
    for (size_t k = 0; k < n; k++) {
        pcie_cfg *c = pcie_cfg_bus_lookup(p.bus, rids[k]);
        ck_assert(pcie_cfg_memory_enabled(c));
        ck_assert(pcie_cfg_bus_master(c));
        for (unsigned i = 0; i < PCIE_CFG_NUM_BARS; i++) {
            uint64_t sz = pcie_cfg_bar_size(c, i);
            if (!sz)
                continue;
            uint64_t a = pcie_cfg_bar_address(c, i);
            ck_assert_uint_ge(a, base);
            ck_assert_uint_le(a + sz, base + size);
            if (!pcie_cfg_bar_is_64bit(c, i))
                ck_assert_uint_le(a + sz, 1ull << 32);
            /* The function decodes its own BAR there. */
            unsigned hit;
            uint64_t off;
            ck_assert(pcie_cfg_bar_decode(c, a + sz - 1, &hit, &off));
            ck_assert_uint_eq(hit, i);
            ck_assert_uint_eq(off, sz - 1);
            pl[np++] = (placed){a, sz};
            total += sz;
            if (a + sz > top)
                top = a + sz;
        }
    }
    ck_assert_uint_eq(np, 9);
    check_no_overlap(pl, np);
    ck_assert_uint_eq(end, top);
    /* Largest first within a kind: no gaps beyond the one where 64-bit BARs start. */
    ck_assert_uint_le(end - base, total + (1ull << 24));
    /* The strays were not touched (not in rids). */
    ck_assert(!pcie_cfg_memory_enabled(p.fn[5]));
    ck_assert(!pcie_cfg_memory_enabled(p.fn[6]));
    /* Sizing left no read-only-write counts behind. */
    for (size_t k = 0; k < p.n; k++)
        ck_assert_uint_eq(pcie_cfg_get_counters(p.fn[k]).ro_writes, 0);
    plat_free(&p);
}
END_TEST

START_TEST(test_assign_bars_above_4g)
{
    /* 64-bit BARs go anywhere in a high window; a 32-bit BAR cannot. */
    pcie_cfg_bus *b = pcie_cfg_bus_create();
    pcie_cfg *big = new_fn(), *small = new_fn();
    ck_assert(pcie_cfg_add_bar(big, 0, 1ull << 34, true, true));
    ck_assert(pcie_cfg_add_bar(big, 2, 1ull << 21, true, false));
    ck_assert(pcie_cfg_add_bar(small, 0, 4096, false, false));
    ck_assert(pcie_cfg_bus_attach(b, pcie_cfg_rid(0, 0, 0), big));
    ck_assert(pcie_cfg_bus_attach(b, pcie_cfg_rid(0, 1, 0), small));
    uint16_t rids[4];
    size_t n = pcie_cfg_bus_enumerate(b, 1, rids, 4);
    ck_assert_uint_eq(n, 2);
    uint64_t end;
    const uint64_t base = 0x4000000000ull + 4096; /* unaligned base */
    ck_assert_uint_eq(pcie_cfg_bus_assign_bars(b, rids, n, base, 1ull << 40, &end), 1);
    ck_assert_uint_eq(pcie_cfg_bar_address(big, 0), 0x4400000000ull);
    ck_assert_uint_eq(pcie_cfg_bar_address(big, 2), 0x4800000000ull);
    ck_assert_uint_eq(end, 0x4800000000ull + (1ull << 21));
    ck_assert(pcie_cfg_memory_enabled(big));
    ck_assert(!pcie_cfg_memory_enabled(small));
    ck_assert_uint_eq(pcie_cfg_bar_address(small, 0), 0);
    pcie_cfg_destroy(big);
    pcie_cfg_destroy(small);
    pcie_cfg_bus_destroy(b);
}
END_TEST

START_TEST(test_size_bar)
{
    /* Sizing in place (restore) leaves the BAR where it was; without restoring, the
     * registers keep the size mask for the caller to overwrite, and only the probing
     * accesses are made. */
    pcie_cfg_bus *b = pcie_cfg_bus_create();
    pcie_cfg *c = new_fn();
    ck_assert(pcie_cfg_add_bar(c, 0, 1ull << 24, true, true));
    ck_assert(pcie_cfg_add_bar(c, 2, 4096, false, false));
    uint16_t rid = pcie_cfg_rid(0, 2, 0);
    ck_assert(pcie_cfg_bus_attach(b, rid, c));
    pcie_cfg_bus_write(b, rid, PCIE_CFG_BAR(0), 4, 0x81000000u);
    pcie_cfg_bus_write(b, rid, PCIE_CFG_BAR(1), 4, 0x2u);
    pcie_cfg_bus_counters before = pcie_cfg_bus_get_counters(b);
    bool is64 = false;
    ck_assert_uint_eq(pcie_cfg_bus_size_bar(b, rid, PCIE_CFG_BAR(0), true, true, &is64),
                      1ull << 24);
    ck_assert(is64);
    ck_assert_uint_eq(pcie_cfg_bar_address(c, 0), 0x281000000ull);
    pcie_cfg_bus_counters after = pcie_cfg_bus_get_counters(b);
    ck_assert_uint_eq(after.cfg_reads - before.cfg_reads, 4);
    ck_assert_uint_eq(after.cfg_writes - before.cfg_writes, 4);
    ck_assert_uint_eq(pcie_cfg_bus_size_bar(b, rid, PCIE_CFG_BAR(0), true, false, &is64),
                      1ull << 24);
    ck_assert_uint_eq(pcie_cfg_bar_address(c, 0), ~((1ull << 24) - 1));
    before = after;
    after = pcie_cfg_bus_get_counters(b);
    ck_assert_uint_eq(after.cfg_reads - before.cfg_reads, 2);
    ck_assert_uint_eq(after.cfg_writes - before.cfg_writes, 2);
    /* A 32-bit BAR, an unimplemented slot. */
    ck_assert_uint_eq(pcie_cfg_bus_size_bar(b, rid, PCIE_CFG_BAR(2), true, true, &is64), 4096);
    ck_assert(!is64);
    ck_assert_uint_eq(pcie_cfg_bus_size_bar(b, rid, PCIE_CFG_BAR(3), true, true, NULL), 0);
    pcie_cfg_destroy(c);
    pcie_cfg_bus_destroy(b);
}
END_TEST

START_TEST(test_assign_bars_window_too_small)
{
    platform p;
    plat_build(&p);
    uint16_t rids[16];
    size_t n = pcie_cfg_bus_enumerate(p.bus, 256, rids, 16);
    /* 4 MiB: the two 16 MiB BARs of 0:01.0 and 0:01.1 cannot fit, the rest can. */
    uint64_t end;
    size_t unplaced = pcie_cfg_bus_assign_bars(p.bus, rids, n, 0xe0000000u, 4u << 20, &end);
    ck_assert_uint_eq(unplaced, 2);
    ck_assert_uint_le(end, 0xe0000000u + (4u << 20));
    ck_assert(pcie_cfg_memory_enabled(p.fn[0]));
    ck_assert(!pcie_cfg_memory_enabled(p.fn[1]));
    ck_assert(!pcie_cfg_bus_master(p.fn[1]));
    ck_assert(!pcie_cfg_memory_enabled(p.fn[2]));
    ck_assert(pcie_cfg_memory_enabled(p.fn[3]));
    ck_assert(pcie_cfg_memory_enabled(p.fn[7]));
    /* An empty window places nothing and sets nothing. */
    ck_assert_uint_eq(pcie_cfg_bus_assign_bars(p.bus, rids, n, 0xe0000000u, 0, &end), 9);
    ck_assert_uint_eq(end, 0xe0000000u);
    ck_assert(!pcie_cfg_memory_enabled(p.fn[0]));
    plat_free(&p);
}
END_TEST

/* ---------------------------------------------------------------- SR-IOV */

/* A fake device behind models/pcie/sriov.h: it makes each VF a bare function on the
 * bus and records what the capability asked of it. */
#define FAKE_MAX_VFS 16
typedef struct fake_pf {
    pcie_cfg_bus *bus;
    pcie_cfg *pf;
    pcie_sriov *sriov;
    pcie_cfg *vf[FAKE_MAX_VFS];
    uint16_t vf_rid[FAKE_MAX_VFS];
    unsigned creates, removes, refusals;
    unsigned admit_max; /* the device's own limit (a queue pool) */
    char last[160];
} fake_pf;

static bool fake_admit(void *ctx, unsigned num)
{
    fake_pf *f = ctx;
    if (num <= f->admit_max)
        return true;
    f->refusals++; /* the device counts its own refusal */
    return false;
}

static bool fake_create(void *ctx, unsigned vf, uint16_t rid)
{
    fake_pf *f = ctx;
    ck_assert_uint_lt(vf, FAKE_MAX_VFS);
    ck_assert_ptr_null(f->vf[vf]);
    pcie_cfg *c = pcie_cfg_create(0xffff, 0xffff, CLASS_ETHERNET);
    if (!pcie_cfg_bus_attach(f->bus, rid, c)) {
        pcie_cfg_destroy(c);
        return false;
    }
    f->vf[vf] = c;
    f->vf_rid[vf] = rid;
    f->creates++;
    return true;
}

static void fake_remove(void *ctx, unsigned vf)
{
    fake_pf *f = ctx;
    ck_assert_ptr_nonnull(f->vf[vf]);
    pcie_cfg_destroy(f->vf[vf]); /* detaches */
    f->vf[vf] = NULL;
    f->removes++;
}

static void fake_refused(void *ctx, const char *msg)
{
    fake_pf *f = ctx;
    f->refusals++;
    snprintf(f->last, sizeof f->last, "%s", msg);
}

static const pcie_sriov_ops fake_ops = {fake_admit, fake_create, fake_remove, fake_refused};

/* A PF at 03:00.0 with TotalVFs 8, First VF Offset 80h, VF Stride 2, a 64-bit 16 KiB
 * VF BAR0 and a 32-bit 8 KiB VF BAR2. */
static void fake_init(fake_pf *f, uint16_t pf_rid, uint16_t offset)
{
    memset(f, 0, sizeof *f);
    f->bus = pcie_cfg_bus_create();
    f->pf = new_fn();
    f->admit_max = 8;
    ck_assert(pcie_cfg_bus_attach(f->bus, pf_rid, f->pf));
    pcie_sriov_info info = {.total_vfs = 8,
                            .first_vf_offset = offset,
                            .vf_stride = 2,
                            .vf_device_id = 0x10ed,
                            .supported_page_sizes = 0x553};
    info.vf_bar[0] = (pcie_sriov_bar){16384, true, true};
    info.vf_bar[2] = (pcie_sriov_bar){8192, false, false};
    f->sriov = pcie_sriov_create(f->pf, &info, &fake_ops, f);
    ck_assert_ptr_nonnull(f->sriov);
}

static void fake_free(fake_pf *f)
{
    pcie_sriov_destroy(f->sriov);
    pcie_cfg_destroy(f->pf);
    pcie_cfg_bus_destroy(f->bus);
}

static uint32_t sriov_read(fake_pf *f, unsigned reg, unsigned size)
{
    uint16_t rid;
    ck_assert(pcie_cfg_routing_id(f->pf, &rid));
    return pcie_cfg_bus_read(f->bus, rid, (uint16_t)(pcie_sriov_offset(f->sriov) + reg), size);
}

static void sriov_write(fake_pf *f, unsigned reg, unsigned size, uint32_t v)
{
    uint16_t rid;
    ck_assert(pcie_cfg_routing_id(f->pf, &rid));
    pcie_cfg_bus_write(f->bus, rid, (uint16_t)(pcie_sriov_offset(f->sriov) + reg), size, v);
}

#define VF_ON (PCIE_SRIOV_CTRL_VF_ENABLE | PCIE_SRIOV_CTRL_VF_MSE)

START_TEST(test_sriov_registers)
{
    fake_pf f;
    fake_init(&f, pcie_cfg_rid(3, 0, 0), 0x80);
    ck_assert_uint_eq(pcie_cfg_find_ext_capability(f.pf, PCIE_EXT_CAP_ID_SRIOV),
                      pcie_sriov_offset(f.sriov));
    /* Read-only identity and geometry. */
    const unsigned ro[] = {PCIE_SRIOV_INITIAL_VFS, PCIE_SRIOV_TOTAL_VFS,
                           PCIE_SRIOV_FIRST_VF_OFFSET, PCIE_SRIOV_VF_STRIDE,
                           PCIE_SRIOV_VF_DEVICE_ID};
    const uint32_t val[] = {8, 8, 0x80, 2, 0x10ed};
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(sriov_read(&f, ro[i], 2), val[i]);
        sriov_write(&f, ro[i], 2, 0x1234);
        ck_assert_uint_eq(sriov_read(&f, ro[i], 2), val[i]);
    }
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_SUPPORTED_PAGE_SIZES, 4), 0x553);
    /* System Page Size: 4 KiB at reset, writable within the supported sizes. */
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_SYSTEM_PAGE_SIZE, 4), 1);
    sriov_write(&f, PCIE_SRIOV_SYSTEM_PAGE_SIZE, 4, 0x10);
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_SYSTEM_PAGE_SIZE, 4), 0x10);
    sriov_write(&f, PCIE_SRIOV_SYSTEM_PAGE_SIZE, 4, 0x4);
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_SYSTEM_PAGE_SIZE, 4), 0);
    /* VF BARs size per VF; the unimplemented ones read 0. */
    sriov_write(&f, PCIE_SRIOV_VF_BAR(0), 4, 0xffffffffu);
    sriov_write(&f, PCIE_SRIOV_VF_BAR(1), 4, 0xffffffffu);
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_VF_BAR(0), 4),
                      (~16383u & PCIE_BAR_MEM_ADDR) | PCIE_BAR_MEM_TYPE_64 | PCIE_BAR_PREFETCHABLE);
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_VF_BAR(1), 4), 0xffffffffu);
    sriov_write(&f, PCIE_SRIOV_VF_BAR(2), 4, 0xffffffffu);
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_VF_BAR(2), 4), ~8191u & PCIE_BAR_MEM_ADDR);
    sriov_write(&f, PCIE_SRIOV_VF_BAR(3), 4, 0xffffffffu);
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_VF_BAR(3), 4), 0);
    ck_assert_uint_eq(f.refusals, 0);
    fake_free(&f);
}
END_TEST

START_TEST(test_sriov_vfs_at_offset_and_stride)
{
    fake_pf f;
    uint16_t pf_rid = pcie_cfg_rid(3, 0, 0);
    fake_init(&f, pf_rid, 0x80);
    /* Nothing but the PF before VF Enable; NumVFs alone creates nothing. */
    sriov_write(&f, PCIE_SRIOV_NUM_VFS, 2, 4);
    ck_assert_uint_eq(pcie_cfg_bus_functions(f.bus), 1);
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, VF_ON);
    ck_assert_uint_eq(pcie_sriov_num_vfs(f.sriov), 4);
    ck_assert_uint_eq(f.creates, 4);
    ck_assert_uint_eq(pcie_cfg_bus_functions(f.bus), 5);
    for (unsigned i = 0; i < 4; i++) {
        uint16_t rid = (uint16_t)(pf_rid + 0x80 + 2 * i);
        ck_assert_uint_eq(f.vf_rid[i], rid);
        ck_assert_uint_eq(pcie_sriov_rid(pf_rid, 0x80, 2, i), rid);
        ck_assert_ptr_eq(pcie_cfg_bus_lookup(f.bus, rid), f.vf[i]);
        /* VFs read Vendor ID FFFFh but exist: their class code answers. */
        ck_assert_uint_eq(pcie_cfg_bus_read(f.bus, rid, PCIE_CFG_VENDOR_ID, 2), 0xffff);
        ck_assert_uint_eq(pcie_cfg_bus_read(f.bus, rid, PCIE_CFG_BASE_CLASS, 1), 0x02);
    }
    /* A scan finds only the PF: VFs are found through the capability. */
    uint16_t rids[8];
    ck_assert_uint_eq(pcie_cfg_bus_enumerate(f.bus, 256, rids, 8), 1);
    /* VF MSE alone changes no VF; clearing VF Enable removes them all. */
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, PCIE_SRIOV_CTRL_VF_ENABLE);
    ck_assert_uint_eq(pcie_sriov_num_vfs(f.sriov), 4);
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, 0);
    ck_assert_uint_eq(pcie_sriov_num_vfs(f.sriov), 0);
    ck_assert_uint_eq(f.removes, 4);
    ck_assert_uint_eq(pcie_cfg_bus_functions(f.bus), 1);
    ck_assert_uint_eq(pcie_cfg_bus_read(f.bus, (uint16_t)(pf_rid + 0x80), PCIE_CFG_BASE_CLASS, 1),
                      0xff);
    /* Again, and the capability's end removes what is left. */
    sriov_write(&f, PCIE_SRIOV_NUM_VFS, 2, 2);
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, VF_ON);
    ck_assert_uint_eq(pcie_cfg_bus_functions(f.bus), 3);
    pcie_sriov_destroy(f.sriov);
    f.sriov = NULL;
    ck_assert_uint_eq(f.removes, 6);
    ck_assert_uint_eq(pcie_cfg_bus_functions(f.bus), 1);
    ck_assert_uint_eq(f.refusals, 0);
    fake_free(&f);
}
END_TEST

START_TEST(test_sriov_refusals)
{
    fake_pf f;
    fake_init(&f, pcie_cfg_rid(3, 0, 0), 0x80);
    /* NumVFs above TotalVFs: VF Enable reads back 0, nothing is created. */
    sriov_write(&f, PCIE_SRIOV_NUM_VFS, 2, 9);
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, VF_ON);
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_CTRL, 2) & PCIE_SRIOV_CTRL_VF_ENABLE, 0);
    ck_assert_uint_eq(f.creates, 0);
    ck_assert_uint_eq(f.refusals, 1);
    ck_assert_ptr_nonnull(strstr(f.last, "above TotalVFs"));
    /* The device's own refusal (admit) does the same. */
    f.admit_max = 2;
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, 0);
    sriov_write(&f, PCIE_SRIOV_NUM_VFS, 2, 3);
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, VF_ON);
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_CTRL, 2) & PCIE_SRIOV_CTRL_VF_ENABLE, 0);
    ck_assert_uint_eq(f.creates, 0);
    ck_assert_uint_eq(f.refusals, 2);
    /* NumVFs cannot change while VF Enable is set: undone, reported. */
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, 0);
    sriov_write(&f, PCIE_SRIOV_NUM_VFS, 2, 2);
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, VF_ON);
    ck_assert_uint_eq(pcie_sriov_num_vfs(f.sriov), 2);
    sriov_write(&f, PCIE_SRIOV_NUM_VFS, 2, 1);
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_NUM_VFS, 2), 2);
    ck_assert_uint_eq(pcie_sriov_num_vfs(f.sriov), 2);
    ck_assert_uint_eq(f.refusals, 3);
    ck_assert_ptr_nonnull(strstr(f.last, "NumVFs written while VF Enable is set"));
    sriov_write(&f, PCIE_SRIOV_NUM_VFS, 2, 2); /* the same value is no change */
    ck_assert_uint_eq(f.refusals, 3);
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, 0);
    ck_assert_uint_eq(f.removes, 2);
    fake_free(&f);
}
END_TEST

START_TEST(test_sriov_routing_id_taken_undoes)
{
    fake_pf f;
    uint16_t pf_rid = pcie_cfg_rid(3, 0, 0);
    fake_init(&f, pf_rid, 0x80);
    pcie_cfg *other = new_fn();
    ck_assert(pcie_cfg_bus_attach(f.bus, (uint16_t)(pf_rid + 0x80 + 2 * 2), other));
    sriov_write(&f, PCIE_SRIOV_NUM_VFS, 2, 4);
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, VF_ON);
    /* VFs 0 and 1 were made, VF 2 could not be: both undone, VF Enable refused. */
    ck_assert_uint_eq(f.creates, 2);
    ck_assert_uint_eq(f.removes, 2);
    ck_assert_uint_eq(pcie_sriov_num_vfs(f.sriov), 0);
    ck_assert_uint_eq(sriov_read(&f, PCIE_SRIOV_CTRL, 2) & PCIE_SRIOV_CTRL_VF_ENABLE, 0);
    ck_assert_uint_eq(pcie_cfg_bus_functions(f.bus), 2);
    ck_assert_ptr_nonnull(strstr(f.last, "VF 2 cannot take routing ID 0384"));
    pcie_cfg_destroy(other);
    fake_free(&f);

    /* Routing IDs end at FFFFh: a VF beyond it is refused the same way. */
    fake_init(&f, 0xff00, 0xf8);
    sriov_write(&f, PCIE_SRIOV_NUM_VFS, 2, 8);
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, VF_ON);
    ck_assert_uint_eq(f.creates, 4); /* fff8, fffa, fffc, fffe */
    ck_assert_uint_eq(f.removes, 4);
    ck_assert_uint_eq(pcie_sriov_num_vfs(f.sriov), 0);
    ck_assert_ptr_nonnull(strstr(f.last, "VF 4 cannot take routing ID 10000"));
    fake_free(&f);
}
END_TEST

START_TEST(test_sriov_vf_bars_decode)
{
    fake_pf f;
    fake_init(&f, pcie_cfg_rid(3, 0, 0), 0x80);
    uint64_t bar0 = 0x380000100000ull, bar2 = 0xe0000000u;
    sriov_write(&f, PCIE_SRIOV_VF_BAR(0), 4, (uint32_t)bar0);
    sriov_write(&f, PCIE_SRIOV_VF_BAR(1), 4, (uint32_t)(bar0 >> 32));
    sriov_write(&f, PCIE_SRIOV_VF_BAR(2), 4, (uint32_t)bar2);
    ck_assert_uint_eq(pcie_sriov_vf_bar_address(f.sriov, 0, 3), bar0 + 3 * 16384);
    ck_assert_uint_eq(pcie_sriov_vf_bar_address(f.sriov, 2, 1), bar2 + 8192);
    ck_assert_uint_eq(pcie_sriov_vf_bar_address(f.sriov, 3, 0), 0);
    unsigned vf, bar;
    uint64_t off;
    /* No VFs yet, then VFs without VF MSE: nothing decodes. */
    ck_assert(!pcie_sriov_vf_decode(f.sriov, bar0, &vf, &bar, &off));
    sriov_write(&f, PCIE_SRIOV_NUM_VFS, 2, 3);
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, PCIE_SRIOV_CTRL_VF_ENABLE);
    ck_assert(!pcie_sriov_vf_decode(f.sriov, bar0, &vf, &bar, &off));
    sriov_write(&f, PCIE_SRIOV_CTRL, 2, VF_ON);
    ck_assert(pcie_sriov_vf_decode(f.sriov, bar0 + 2 * 16384 + 0x108, &vf, &bar, &off));
    ck_assert_uint_eq(vf, 2);
    ck_assert_uint_eq(bar, 0);
    ck_assert_uint_eq(off, 0x108);
    ck_assert(pcie_sriov_vf_decode(f.sriov, bar2 + 8192 + 4, &vf, &bar, &off));
    ck_assert_uint_eq(vf, 1);
    ck_assert_uint_eq(bar, 2);
    ck_assert_uint_eq(off, 4);
    /* Past the last enabled VF, before the region. */
    ck_assert(!pcie_sriov_vf_decode(f.sriov, bar0 + 3 * 16384, &vf, &bar, &off));
    ck_assert(!pcie_sriov_vf_decode(f.sriov, bar0 - 1, &vf, &bar, &off));
    /* Reprogrammed VF BARs decode at once. */
    sriov_write(&f, PCIE_SRIOV_VF_BAR(2), 4, 0xd0000000u);
    ck_assert(!pcie_sriov_vf_decode(f.sriov, bar2, &vf, &bar, &off));
    ck_assert(pcie_sriov_vf_decode(f.sriov, 0xd0000000u, &vf, &bar, &off));
    fake_free(&f);
}
END_TEST

/* ---------------------------------------------------------------- stats */

START_TEST(test_stats_registered)
{
    sim_stats *s = sim_stats_create();
    pcie_cfg_bus *b = pcie_cfg_bus_create();
    pcie_cfg *c = new_fn();
    ck_assert(pcie_cfg_bus_attach(b, 0x0008, c));
    pcie_cfg_register_stats(c, s, "pcie.fn0");
    pcie_cfg_bus_register_stats(b, s, "pcie.cfg");
    pcie_cfg_bus_write(b, 0x0008, PCIE_CFG_VENDOR_ID, 2, 0x1234);
    pcie_cfg_bus_read(b, 0x0008, 3, 2);
    pcie_cfg_bus_read(b, 0x0010, 0, 2);
    double v;
    ck_assert(sim_stats_get(s, "pcie.fn0.ro_writes", &v));
    ck_assert(v == 1.0);
    ck_assert(sim_stats_get(s, "pcie.fn0.misaligned", &v));
    ck_assert(v == 1.0);
    ck_assert(sim_stats_get(s, "pcie.fn0.out_of_range", &v));
    ck_assert(v == 0.0);
    ck_assert(sim_stats_get(s, "pcie.cfg.ur_reads", &v));
    ck_assert(v == 1.0);
    ck_assert(sim_stats_get(s, "pcie.cfg.cfg_reads", &v));
    ck_assert(v == 2.0);
    sim_stats_destroy(s);
    pcie_cfg_destroy(c);
    pcie_cfg_bus_destroy(b);
}
END_TEST

/* ---------------------------------------------------------------- suite */

static Suite *cfgbus_suite(void)
{
    Suite *s = suite_create("pcie_cfgbus");
    TCase *bus = tcase_create("bus");
    tcase_add_test(bus, test_rid_and_ecam_decode);
    tcase_add_test(bus, test_absent_reads_all_ones);
    tcase_add_test(bus, test_attach_detach);
    tcase_add_test(bus, test_many_attach_detach);
#ifndef NDEBUG
    tcase_add_test_raise_signal(bus, test_attach_twice_asserts, SIGABRT);
#endif
    tcase_add_test(bus, test_enumerate);
    tcase_add_test(bus, test_assign_bars);
    tcase_add_test(bus, test_assign_bars_above_4g);
    tcase_add_test(bus, test_assign_bars_window_too_small);
    tcase_add_test(bus, test_size_bar);
    tcase_add_test(bus, test_stats_registered);
    suite_add_tcase(s, bus);

    TCase *sriov = tcase_create("sriov");
    tcase_add_test(sriov, test_sriov_registers);
    tcase_add_test(sriov, test_sriov_vfs_at_offset_and_stride);
    tcase_add_test(sriov, test_sriov_refusals);
    tcase_add_test(sriov, test_sriov_routing_id_taken_undoes);
    tcase_add_test(sriov, test_sriov_vf_bars_decode);
    suite_add_tcase(s, sriov);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cfgbus_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
