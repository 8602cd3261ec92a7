/* The IOMMU in scalable mode: PASID tables, translation by (requester id, PASID) with
 * first-level, second-level, nested and pass-through entries, the PASID cache, the
 * IOTLB's PASID tag, PASID-based invalidation, scalable-mode faults; and legacy mode
 * left as it was. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "models/iommu/iommu.h"
#include "models/iommu/iommu_regs.h"
#include "models/mem/physmem.h"

#include "tests/iommu_fixture.h"

#define RID 0x0100
#define GiB (1ull << 30)

static iommu *sm_rig(rig *r, bool caches)
{
    rig_init(r);
    rig_set(r, "iommu.scalable", "true");
    if (!caches) {
        rig_set(r, "iommu.pwc_entries", "0");
        rig_set(r, "iommu.fl_pwc_entries", "0");
    }
    rig_build(r, true);
    ck_assert(iommu_scalable(r->pf->iommu));
    return r->pf->iommu;
}

/* A host first-level table mapping 16 KiB at va to pa. */
static iommu_fltable *fl_host(iommu *u, uint64_t va, uint64_t pa)
{
    iommu_fltable *f = iommu_fltable_create(u, 4, NULL, 0, 0);
    ck_assert_ptr_nonnull(f);
    sim_err e;
    ck_assert_msg(iommu_fltable_map(f, va, pa, 16384, 4096, IOMMU_READ | IOMMU_WRITE, &e) > 0,
                  "%s", e.msg);
    return f;
}

static void set_pasid(iommu *u, uint16_t rid, uint32_t pasid, iommu_pgtt pgtt, uint16_t did,
                      const iommu_domain *sl, const iommu_fltable *fl)
{
    sim_err e;
    iommu_pasid_setup s = {.pgtt = pgtt, .did = did, .sl = sl, .fl = fl};
    ck_assert_msg(iommu_pasid_set(u, rid, pasid, &s, &e) == 0, "%s", e.msg);
}

/* PASIDs 1 (domain 5) and 2 (domain did2) of RID, first-level only, both mapping IOVA
 * 0x10000000 (16 KiB): to host 0x300000000 and 0x400000000. *first: PASID 1's table. */
static iommu *two_pasids(rig *r, uint16_t did2, iommu_fltable **first)
{
    iommu *u = sm_rig(r, true);
    ck_assert_int_eq(iommu_pasid_table_create(u, RID, 64, 0), 0);
    iommu_fltable *a = fl_host(u, 0x10000000, 0x300000000ull);
    set_pasid(u, RID, 1, IOMMU_PGTT_FL, 5, NULL, a);
    set_pasid(u, RID, 2, IOMMU_PGTT_FL, did2, NULL, fl_host(u, 0x10000000, 0x400000000ull));
    if (first)
        *first = a;
    return u;
}

/* One access of (rid, pasid) at t: its latency, or UINT64_MAX when blocked. */
static uint64_t px(iommu *u, uint16_t rid, uint32_t pasid, uint64_t addr, bool write, uint64_t t,
                   uint64_t *hpa)
{
    uint64_t tt = t, h = 0;
    if (iommu_translate_pasid(u, rid, pasid, addr, 64, write, &tt, &h) < 0)
        return UINT64_MAX;
    if (hpa)
        *hpa = h;
    return tt - t;
}

START_TEST(test_two_pasids_same_iova_different_pages)
{
    rig r;
    /* One domain id for both: only the PASID tells their IOTLB entries apart. */
    iommu *u = two_pasids(&r, 5, NULL);
    for (int round = 0; round < 2; round++) {
        uint64_t h1 = 0, h2 = 0;
        uint64_t t = (uint64_t)round * 10 * US; /* the second round after the walks */
        ck_assert_uint_ne(px(u, RID, 1, 0x10001040, true, t, &h1), UINT64_MAX);
        ck_assert_uint_ne(px(u, RID, 2, 0x10001040, true, t, &h2), UINT64_MAX);
        ck_assert_uint_eq(h1, 0x300001040ull);
        ck_assert_uint_eq(h2, 0x400001040ull);
    }
    ck_assert_double_eq(rig_stat(&r, "iommu.iotlb_hits"), 2);
    ck_assert_double_eq(rig_stat(&r, "iommu.fl_walks"), 2);
    ck_assert(iommu_iotlb_holds_pasid(u, 5, 1, 0x10001000));
    ck_assert(iommu_iotlb_holds_pasid(u, 5, 2, 0x10001000));
    /* Two directory and PASID entry reads per PASID, then the PASID cache. */
    ck_assert_double_eq(rig_stat(&r, "iommu.pasid_reads"), 4);
    ck_assert_double_eq(rig_stat(&r, "iommu.pasid_hits"), 2);
    rig_free(&r);
}
END_TEST

START_TEST(test_pasid_cannot_reach_another_pasids_memory)
{
    rig r;
    iommu_fltable *a;
    iommu *u = two_pasids(&r, 6, &a);
    sim_err e;
    ck_assert(iommu_fltable_map(a, 0x20000000, 0x500000000ull, 4096, 4096, IOMMU_READ, &e) > 0);
    /* PASID 1's page at 0x20000000 holds a secret; PASID 2 asks for that IOVA. */
    mem_phys *pm = iommu_physmem(u);
    mem_phys_write_u64(pm, 0x500000000ull, 0x5EC2E7);
    uint64_t buf = 0, t = 0;
    ck_assert_int_eq(iommu_dma_access_pasid(u, RID, 1, 0x20000000, &buf, 8, false, &t), 0);
    ck_assert_uint_eq(buf, 0x5EC2E7);
    buf = 0;
    ck_assert_int_eq(iommu_dma_access_pasid(u, RID, 2, 0x20000000, &buf, 8, false, &t), -1);
    ck_assert_uint_eq(buf, 0);
    /* PASID 1's page is read-only: a write is blocked too. */
    ck_assert_uint_eq(px(u, RID, 1, 0x20000000, true, 0, NULL), UINT64_MAX);
    /* A PASID with no entry, and one beyond the directory (512 entries x 64 PASIDs). */
    ck_assert_uint_eq(px(u, RID, 7, 0x10000000, false, 0, NULL), UINT64_MAX);
    ck_assert_uint_eq(px(u, RID, 1u << 16, 0x10000000, false, 0, NULL), UINT64_MAX);
    static const uint8_t want[] = {VTD_FR_SM_FL_P, VTD_FR_SM_WRITE, VTD_FR_SM_PE_P,
                                   VTD_FR_SM_CTX_PASID_MAX};
    static const uint32_t pasids[] = {2, 1, 7, 1u << 16};
    ck_assert_uint_eq(iommu_faults_recorded(u), 4);
    for (size_t i = 0; i < 4; i++) {
        const iommu_fault *f = iommu_fault_get(u, i);
        ck_assert_msg(f->reason == want[i], "fault %zu: reason %#x, want %#x", i, f->reason,
                      want[i]);
        ck_assert(f->pasid_present);
        ck_assert_uint_eq(f->pasid, pasids[i]);
        ck_assert_uint_eq(f->rid, RID);
        ck_assert(!f->interrupt);
    }
    ck_assert_uint_eq(iommu_fault_get(u, 0)->addr, 0x20000000);
    /* A requester without a context entry: the scalable-mode root/context reasons. */
    ck_assert_uint_eq(px(u, 0x0200, 1, 0, false, 0, NULL), UINT64_MAX);
    ck_assert_uint_eq(iommu_fault_get(u, 4)->reason, VTD_FR_SM_ROOT_ENTRY_P);
    rig_free(&r);
}
END_TEST

START_TEST(test_request_without_pasid_uses_rid_pasid)
{
    rig r;
    iommu *u = sm_rig(&r, true);
    ck_assert_int_eq(iommu_pasid_table_create(u, RID, 64, 3), 0);
    set_pasid(u, RID, 3, IOMMU_PGTT_FL, 5, NULL, fl_host(u, 0x10000000, 0x300000000ull));
    uint64_t h = 0;
    ck_assert_uint_ne(xlate(&r, RID, 0x10002008, false, 0, &h), UINT64_MAX);
    ck_assert_uint_eq(h, 0x300002008ull);
    ck_assert(iommu_iotlb_holds_pasid(u, 5, 3, 0x10002000));
    /* Its fault carries no PASID. */
    ck_assert_uint_eq(xlate(&r, RID, 0x90000000, false, 0, &h), UINT64_MAX);
    ck_assert(!iommu_fault_get(u, 0)->pasid_present);
    ck_assert_uint_eq(iommu_fault_get(u, 0)->reason, VTD_FR_SM_FL_P);

    /* The host's attach in scalable mode: RID_PASID 0 to a second-level domain, as
     * Linux does; the host DMA API's mappings then work unchanged. */
    iommu_domain *d = domain(&r, 9, 0x0300);
    map(d, 0x40000000, 0x200000000ull, 1 << 20, 4096, IOMMU_READ | IOMMU_WRITE);
    ck_assert_uint_ne(xlate(&r, 0x0300, 0x40001040, true, 0, &h), UINT64_MAX);
    ck_assert_uint_eq(h, 0x200001040ull);
    ck_assert(iommu_iotlb_holds_pasid(u, 9, 0, 0x40001000));
    /* A PASID request to it: PASIDs are enabled, PASID 1 has no entry. */
    ck_assert_uint_eq(px(u, 0x0300, 1, 0x40001040, false, 0, NULL), UINT64_MAX);
    ck_assert_uint_eq(iommu_fault_get(u, 1)->reason, VTD_FR_SM_PE_P);
    /* Pass-through, and detach. */
    ck_assert_int_eq(iommu_attach_passthrough(u, 0x0301), 0);
    ck_assert_uint_ne(xlate(&r, 0x0301, 0x123456789ull, false, 0, &h), UINT64_MAX);
    ck_assert_uint_eq(h, 0x123456789ull);
    iommu_detach(u, 0x0300);
    iommu_inv cc = {.kind = IOMMU_INV_CTX_GLOBAL};
    invalidate(&r, 0, &cc, 1, NULL);
    ck_assert_uint_eq(xlate(&r, 0x0300, 0x40001040, false, 0, &h), UINT64_MAX);
    ck_assert_uint_eq(iommu_fault_get(u, 2)->reason, VTD_FR_SM_CTX_ENTRY_P);
    rig_free(&r);
}
END_TEST

/* A guest's memory [0, 64 MiB) at host 0x600000000 in 4 KiB pages (second level, domain
 * 10), the guest's first-level table in guest-physical [1 MiB, 2 MiB), mapping IOVA
 * 0x70000000 to guest-physical 0x2000000; and a host first-level table mapping the same
 * IOVA straight to the same host page. PASID 4 is nested, PASID 5 first-level only. */
static void nested_setup(rig *r, iommu *u)
{
    iommu_domain *s2 = iommu_domain_create(u, 10);
    ck_assert_ptr_nonnull(s2);
    map(s2, 0, 0x600000000ull, 64ull << 20, 4096, IOMMU_READ | IOMMU_WRITE);
    iommu_fltable *g = iommu_fltable_create(u, 4, s2, 1ull << 20, 1ull << 20);
    ck_assert_ptr_nonnull(g);
    sim_err e;
    ck_assert(iommu_fltable_map(g, 0x70000000, 0x2000000, 16384, 4096, IOMMU_READ | IOMMU_WRITE,
                                &e) > 0);
    ck_assert_uint_ge(iommu_fltable_root(g), 1ull << 20); /* a guest-physical address */
    ck_assert_uint_lt(iommu_fltable_root(g), 2ull << 20);
    ck_assert_int_eq(iommu_pasid_table_create(u, RID, 64, 0), 0);
    set_pasid(u, RID, 4, IOMMU_PGTT_NESTED, 11, s2, g);
    set_pasid(u, RID, 5, IOMMU_PGTT_FL, 12, NULL, fl_host(u, 0x70000000, 0x602000000ull));
    (void)r;
}

START_TEST(test_nested_walk_composes_and_costs_more)
{
    /* Cold: no paging-structure caches at all. */
    rig r;
    iommu *u = sm_rig(&r, false);
    nested_setup(&r, u);
    uint64_t h = 0;
    uint64_t single = px(u, RID, 5, 0x70000040, false, 0, &h);
    ck_assert_uint_eq(h, 0x602000040ull);
    double reads_single = rig_stat(&r, "iommu.walk_reads");
    uint64_t nested = px(u, RID, 4, 0x70000040, false, 10 * US, &h);
    ck_assert_uint_eq(h, 0x602000040ull); /* guest-physical 0x2000040 through the second level */
    double reads_nested = rig_stat(&r, "iommu.walk_reads") - reads_single;
    ck_assert_double_eq(reads_single, 4);
    ck_assert_double_eq(reads_nested, 24); /* (4 + 1) x (4 + 1) - 1 */
    ck_assert_uint_gt(nested, single);
    ck_assert_double_eq(rig_stat(&r, "iommu.nested_walks"), 1);
    rig_free(&r);

    /* With the caches: the first nested walk still reads more than the single-level one;
     * a walk of the next page reads less than the first (first-level and second-level
     * paging-structure caches hit). */
    iommu *v = sm_rig(&r, true);
    nested_setup(&r, v);
    single = px(v, RID, 5, 0x70000040, false, 0, &h);
    reads_single = rig_stat(&r, "iommu.walk_reads");
    px(v, RID, 4, 0x70000040, false, 10 * US, &h);
    double cold = rig_stat(&r, "iommu.walk_reads") - reads_single;
    uint64_t warm_lat = px(v, RID, 4, 0x70001040, true, 20 * US, &h);
    ck_assert_uint_eq(h, 0x602001040ull);
    double warm = rig_stat(&r, "iommu.walk_reads") - reads_single - cold;
    ck_assert_double_eq(reads_single, 4);
    ck_assert_double_gt(cold, reads_single);
    ck_assert_double_lt(warm, cold);
    ck_assert_double_eq(warm, 2); /* one first-level leaf, one second-level leaf */
    ck_assert_uint_lt(warm_lat, nested);
    fprintf(stderr, "walk reads: single-level %.0f, nested cold (no caches) 24, nested first "
                    "(caches) %.0f, nested next page %.0f; latency ns: single %.1f, nested "
                    "cold %.1f, nested next page %.1f\n",
            reads_single, cold, warm, single / 1000.0, nested / 1000.0, warm_lat / 1000.0);
    rig_free(&r);
}
END_TEST

/* Page sizes: a first-level 2 MiB page is one IOTLB entry; over a second level of 4 KiB
 * pages the nested translation is cached per 4 KiB. A 5-level first level reads 5. */
START_TEST(test_page_sizes_and_levels)
{
    rig r;
    iommu *u = sm_rig(&r, false);
    nested_setup(&r, u);
    iommu_domain *s2 = iommu_domain_find(u, 10);
    iommu_fltable *g = iommu_fltable_create(u, 4, s2, 3ull << 20, 1ull << 20);
    iommu_fltable *h5 = iommu_fltable_create(u, 5, NULL, 0, 0);
    sim_err e;
    ck_assert(iommu_fltable_map(g, 0x80000000, 0x2000000, 2ull << 20, 2ull << 20, IOMMU_WRITE,
                                &e) > 0);
    ck_assert(iommu_fltable_map(h5, 0x80000000, 0x700000000ull, 2ull << 20, 2ull << 20,
                                IOMMU_READ, &e) > 0);
    unsigned rights = 0;
    uint64_t pa = 0, page = 0;
    ck_assert_int_eq(iommu_fltable_lookup(g, 0x80001234, &pa, &rights, &page), 0);
    ck_assert_uint_eq(pa, 0x2001234);
    ck_assert_uint_eq(rights, IOMMU_READ | IOMMU_WRITE);
    ck_assert_uint_eq(page, 2ull << 20);
    set_pasid(u, RID, 6, IOMMU_PGTT_NESTED, 13, s2, g);
    set_pasid(u, RID, 7, IOMMU_PGTT_FL, 14, NULL, h5);
    uint64_t h = 0;
    ck_assert_uint_ne(px(u, RID, 6, 0x80000040, true, 0, &h), UINT64_MAX);
    ck_assert_uint_eq(h, 0x602000040ull);
    ck_assert(iommu_iotlb_holds_pasid(u, 13, 6, 0x80000000));
    ck_assert(!iommu_iotlb_holds_pasid(u, 13, 6, 0x80001000));
    double before = rig_stat(&r, "iommu.walk_reads");
    ck_assert_uint_ne(px(u, RID, 7, 0x80000040, false, 0, &h), UINT64_MAX);
    ck_assert_uint_eq(h, 0x700000040ull);
    ck_assert_double_eq(rig_stat(&r, "iommu.walk_reads") - before, 4); /* 5 levels, leaf at 2 */
    ck_assert(iommu_iotlb_holds_pasid(u, 14, 7, 0x801FF000));
    ck_assert_uint_eq(px(u, RID, 7, 0x80000040, true, 10 * US, &h), UINT64_MAX); /* read-only */
    ck_assert_uint_eq(iommu_fault_get(u, 0)->reason, VTD_FR_SM_WRITE);
    rig_free(&r);
}
END_TEST

START_TEST(test_nested_faults)
{
    rig r;
    iommu *u = sm_rig(&r, true);
    nested_setup(&r, u);
    iommu_domain *s2 = iommu_domain_find(u, 10);
    /* The guest maps an IOVA to guest-physical memory the host never mapped. */
    iommu_fltable *g = iommu_fltable_create(u, 4, s2, 3ull << 20, 1ull << 20);
    sim_err e;
    ck_assert(iommu_fltable_map(g, 0x1000, 5 * GiB, 4096, 4096, IOMMU_READ, &e) > 0);
    set_pasid(u, RID, 6, IOMMU_PGTT_NESTED, 13, s2, g);
    ck_assert_uint_eq(px(u, RID, 6, 0x1000, false, 0, NULL), UINT64_MAX);
    ck_assert_uint_eq(iommu_fault_get(u, 0)->reason, VTD_FR_SM_SL_PERM);
    /* A non-canonical first-level address. */
    ck_assert_uint_eq(px(u, RID, 6, 1ull << 50, false, 0, NULL), UINT64_MAX);
    ck_assert_uint_eq(iommu_fault_get(u, 1)->reason, VTD_FR_SM_NON_CANONICAL);
    /* Building a nested entry over a second level the table was not built for. */
    iommu_domain *other = iommu_domain_create(u, 14);
    iommu_pasid_setup s = {.pgtt = IOMMU_PGTT_NESTED, .did = 13, .sl = other, .fl = g};
    ck_assert_int_eq(iommu_pasid_set(u, RID, 8, &s, &e), -1);
    rig_free(&r);
}
END_TEST

START_TEST(test_pasid_invalidation_removes_exactly_that_pasid)
{
    rig r;
    iommu *u = two_pasids(&r, 5, NULL);
    for (uint64_t a = 0x10000000; a < 0x10004000; a += 4096) {
        px(u, RID, 1, a, false, 0, NULL);
        px(u, RID, 2, a, false, 0, NULL);
    }
    ck_assert_uint_eq(iommu_iotlb_valid(u), 8);
    /* Page-selective within PASID 1: its one page goes. */
    iommu_inv psi = {.kind = IOMMU_INV_PIOTLB_PAGE, .did = 5, .pasid = 1, .addr = 0x10001000,
                     .bytes = 4096};
    invalidate(&r, 0, &psi, 1, NULL);
    ck_assert(!iommu_iotlb_holds_pasid(u, 5, 1, 0x10001000));
    ck_assert(iommu_iotlb_holds_pasid(u, 5, 1, 0x10000000));
    ck_assert(iommu_iotlb_holds_pasid(u, 5, 2, 0x10001000));
    ck_assert_uint_eq(iommu_iotlb_valid(u), 7);
    /* All of PASID 1: PASID 2's entries stay. */
    iommu_inv all = {.kind = IOMMU_INV_PIOTLB_PASID, .did = 5, .pasid = 1};
    invalidate(&r, 0, &all, 1, NULL);
    ck_assert_uint_eq(iommu_iotlb_valid(u), 4);
    for (uint64_t a = 0x10000000; a < 0x10004000; a += 4096) {
        ck_assert(!iommu_iotlb_holds_pasid(u, 5, 1, a));
        ck_assert(iommu_iotlb_holds_pasid(u, 5, 2, a));
    }
    ck_assert_double_eq(rig_stat(&r, "iommu.inv_piotlb"), 2);

    /* The PASID cache: a cleared entry is still used until it is invalidated. */
    iommu_pasid_clear(u, RID, 2);
    uint64_t h = 0;
    ck_assert_uint_ne(px(u, RID, 2, 0x10003000, false, 0, &h), UINT64_MAX);
    iommu_inv pc[] = {{.kind = IOMMU_INV_PASID_CACHE_PASID, .did = 5, .pasid = 2},
                      {.kind = IOMMU_INV_PIOTLB_PASID, .did = 5, .pasid = 2}};
    invalidate(&r, 0, pc, 2, NULL);
    ck_assert_uint_eq(px(u, RID, 2, 0x10003000, false, 0, &h), UINT64_MAX);
    ck_assert_uint_eq(iommu_fault_get(u, 0)->reason, VTD_FR_SM_PE_P);
    ck_assert_uint_ne(px(u, RID, 1, 0x10003000, false, 0, &h), UINT64_MAX); /* PASID 1 unharmed */
    ck_assert_double_eq(rig_stat(&r, "iommu.inv_pasid_cache"), 1);
    rig_free(&r);
}
END_TEST

/* The descriptors as Linux's qi_flush_piotlb and qi_flush_pasid_cache build them. */
START_TEST(test_pasid_descriptor_encoding)
{
    uint64_t d[2];
    iommu_inv psi = {.kind = IOMMU_INV_PIOTLB_PAGE, .did = 0x12, .pasid = 0x345,
                     .addr = 0x10004000, .bytes = 4 * 4096, .keep_tables = true};
    iommu_inv_encode(&psi, d);
    ck_assert_uint_eq(d[0], 0x6ull | 3ull << 4 | 0x12ull << 16 | 0x345ull << 32);
    ck_assert_uint_eq(d[1], 0x10004000ull | 1ull << 6 | 2);
    iommu_inv all = {.kind = IOMMU_INV_PIOTLB_PASID, .did = 0x12, .pasid = 0x345};
    iommu_inv_encode(&all, d);
    ck_assert_uint_eq(d[0], 0x6ull | 2ull << 4 | 0x12ull << 16 | 0x345ull << 32);
    ck_assert_uint_eq(d[1], 0);
    iommu_inv pc = {.kind = IOMMU_INV_PASID_CACHE_PASID, .did = 0x12, .pasid = 0x345};
    iommu_inv_encode(&pc, d);
    ck_assert_uint_eq(d[0], 0x7ull | 1ull << 4 | 0x12ull << 16 | 0x345ull << 32);
    pc.kind = IOMMU_INV_PASID_CACHE_GLOBAL;
    iommu_inv_encode(&pc, d);
    ck_assert_uint_eq(d[0] & 0x3F, 0x7ull | 3ull << 4);
}
END_TEST

START_TEST(test_scalable_registers_and_legacy_unchanged)
{
    rig r;
    iommu *u = sm_rig(&r, true);
    uint64_t ecap = iommu_reg_read(u, VTD_ECAP_REG, 8);
    ck_assert(ecap & VTD_ECAP_SMTS && ecap & VTD_ECAP_FLTS && ecap & VTD_ECAP_NEST);
    ck_assert_uint_eq(ecap >> VTD_ECAP_PSS_SHIFT & 0x1F, 19);
    ck_assert_uint_eq(iommu_reg_read(u, VTD_RTADDR_REG, 8) & VTD_RTADDR_TTM_MASK,
                      VTD_RTADDR_TTM_SCALABLE);
    rig_free(&r);

    /* Legacy mode (the default): no scalable capability; a PASID request is translated
     * as one without; PASID-based descriptors stop the queue. */
    rig_init(&r);
    rig_build(&r, true);
    u = r.pf->iommu;
    ck_assert(!iommu_scalable(u));
    ck_assert(!(iommu_reg_read(u, VTD_ECAP_REG, 8) & VTD_ECAP_SMTS));
    ck_assert_int_eq(iommu_pasid_table_create(u, RID, 64, 0), -1);
    iommu_domain *d = domain(&r, 1, RID);
    map(d, 0x40000000, 0x200000000ull, 1 << 20, 4096, IOMMU_READ | IOMMU_WRITE);
    uint64_t h = 0;
    ck_assert_uint_ne(px(u, RID, 7, 0x40001040, false, 0, &h), UINT64_MAX);
    ck_assert_uint_eq(h, 0x200001040ull);
    ck_assert(iommu_iotlb_holds(u, 1, 0x40001000));
    iommu_inv all = {.kind = IOMMU_INV_PIOTLB_PASID, .did = 1, .pasid = 1};
    invalidate(&r, 0, &all, 1, NULL);
    ck_assert(iommu_reg_read(u, VTD_FSTS_REG, 4) & VTD_FSTS_IQE);
    rig_free(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("iommu_pasid");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_two_pasids_same_iova_different_pages);
    tcase_add_test(tc, test_pasid_cannot_reach_another_pasids_memory);
    tcase_add_test(tc, test_request_without_pasid_uses_rid_pasid);
    tcase_add_test(tc, test_nested_walk_composes_and_costs_more);
    tcase_add_test(tc, test_page_sizes_and_levels);
    tcase_add_test(tc, test_nested_faults);
    tcase_add_test(tc, test_pasid_invalidation_removes_exactly_that_pasid);
    tcase_add_test(tc, test_pasid_descriptor_encoding);
    tcase_add_test(tc, test_scalable_registers_and_legacy_unchanged);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
