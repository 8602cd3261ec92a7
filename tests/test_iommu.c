/* The IOMMU: host memory contents, page walks that read one entry per level through
 * the memory model, IOTLB replacement and tagging, superpages, paging-structure caches,
 * walkers and miss merging, invalidation, faults with VT-d reason codes, isolation
 * between VMs, the DMA API's strict and lazy modes and bouncing, ATS, peer-to-peer, and
 * interrupt remapping with posting. The register file is tests/test_iommu_regs.c. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host/cpu.h"
#include "host/dmaapi.h"
#include "models/iommu/iommu.h"
#include "models/iommu/iotlb.h"
#include "models/iommu/iommu_regs.h"
#include "models/iommu/irq_remap.h"
#include "models/mem/mem.h"
#include "models/mem/physmem.h"
#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "sim/kernel.h"

#include "tests/iommu_fixture.h"

/* ---- host memory contents --------------------------------------------------------- */

START_TEST(test_physmem_sparse_store)
{
    mem_phys *m = mem_phys_create();
    uint8_t buf[8192];
    mem_phys_read(m, 0xABC000123ull, buf, 100);
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(buf[i], 0);
    ck_assert_uint_eq(mem_phys_pages(m), 0);
    for (int i = 0; i < 8192; i++)
        buf[i] = (uint8_t)(i * 7);
    mem_phys_write(m, (1ull << 45) + 4000, buf, sizeof buf); /* spans three pages */
    ck_assert_uint_eq(mem_phys_pages(m), 3);
    uint8_t back[8192];
    mem_phys_read(m, (1ull << 45) + 4000, back, sizeof back);
    ck_assert_int_eq(memcmp(buf, back, sizeof buf), 0);
    mem_phys_write_u64(m, 0x1006, 0x1122334455667788ull);
    ck_assert_uint_eq(mem_phys_read_u64(m, 0x1006), 0x1122334455667788ull);
    ck_assert_uint_eq(mem_phys_read_u32(m, 0x1006), 0x55667788u);
    uint64_t h = mem_phys_hash(m, 0x1000, 64);
    mem_phys_write_u32(m, 0x1020, 1);
    ck_assert_uint_ne(h, mem_phys_hash(m, 0x1000, 64));

    mem_phys_arena a;
    mem_phys_arena_init(&a, 0x10000, 3 * 4096);
    uint64_t x = mem_phys_arena_alloc(&a, 10, 1);
    ck_assert_uint_eq(x, 0x10000);
    ck_assert_uint_eq(mem_phys_arena_alloc_page(&a, m), 0x11000);
    ck_assert_uint_eq(mem_phys_arena_alloc_page(&a, m), 0x12000);
    ck_assert_uint_eq(mem_phys_arena_alloc_page(&a, m), MEM_PHYS_NONE);
    mem_phys_destroy(m);
}
END_TEST

/* ---- the walk ---------------------------------------------------------------------- */

/* With no paging-structure cache a miss reads one entry per level, each an LLC hit
 * (the driver just wrote the tables), and costs levels x LLC latency + the fixed part. */
static void walk_levels(unsigned levels)
{
    rig r;
    rig_init(&r);
    char buf[8];
    snprintf(buf, sizeof buf, "%u", levels);
    rig_set(&r, "iommu.levels", buf);
    rig_set(&r, "iommu.pwc_entries", "0");
    rig_build(&r, true);
    iommu_domain *d = domain(&r, 1, 0x0100);
    map(d, 0x40000000, 0x200000000ull, 1 << 20, 4096, IOMMU_READ | IOMMU_WRITE);
    uint64_t hpa;
    /* The first request also reads the root and context entries. */
    uint64_t lat = xlate(&r, 0x0100, 0x40001040, false, 0, &hpa);
    ck_assert_uint_eq(hpa, 0x200001040ull);
    ck_assert_double_eq(rig_stat(&r, "iommu.walk_reads"), levels);
    ck_assert_double_eq(rig_stat(&r, "iommu.ctx_reads"), 2);
    ck_assert_uint_eq(lat, (2 + levels) * 80000ull + 200000);
    /* Another page: context cached, every level read again (no paging-structure cache). */
    lat = xlate(&r, 0x0100, 0x40005000, false, 10 * US, &hpa);
    ck_assert_double_eq(rig_stat(&r, "iommu.walk_reads"), 2 * levels);
    ck_assert_double_eq(rig_stat(&r, "iommu.ctx_reads"), 2);
    ck_assert_uint_eq(lat, levels * 80000ull + 200000);
    /* The same page again: an IOTLB hit, no read. */
    ck_assert_uint_eq(xlate(&r, 0x0100, 0x40005008, false, 20 * US, NULL), 0);
    ck_assert_double_eq(rig_stat(&r, "iommu.walk_reads"), 2 * levels);
    ck_assert_double_eq(rig_stat(&r, "iommu.iotlb_hits"), 1);
    rig_free(&r);
}

START_TEST(test_walk_reads_per_level_4) { walk_levels(4); }
END_TEST
START_TEST(test_walk_reads_per_level_5) { walk_levels(5); }
END_TEST

/* The paging-structure caches: a second miss under the same page directory reads only
 * the leaf entry. */
START_TEST(test_pwc_skips_cached_levels)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    iommu_domain *d = domain(&r, 1, 0x0100);
    map(d, 0x40000000, 0x200000000ull, 4 << 20, 4096, IOMMU_READ);
    xlate(&r, 0x0100, 0x40000000, false, 0, NULL);
    ck_assert_double_eq(rig_stat(&r, "iommu.walk_reads"), 4);
    uint64_t lat = xlate(&r, 0x0100, 0x40003000, false, 10 * US, NULL);
    ck_assert_double_eq(rig_stat(&r, "iommu.walk_reads"), 5);
    ck_assert_uint_eq(lat, 80000ull + 200000);
    /* A different 2 MiB region: the level-3 entry is cached, PDE and PTE are read. */
    xlate(&r, 0x0100, 0x40200000, false, 20 * US, NULL);
    ck_assert_double_eq(rig_stat(&r, "iommu.walk_reads"), 7);
    ck_assert_double_eq(rig_stat(&r, "iommu.pwc_hits"), 2);
    rig_free(&r);
}
END_TEST

/* Table entries read from DRAM (not in the LLC) take DRAM time: the walk goes through
 * the memory model. */
START_TEST(test_walk_reads_through_memory)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "iommu.pwc_entries", "0");
    rig_build(&r, true);
    iommu_domain *d = domain(&r, 1, 0x0100);
    map(d, 0, 0x100000000ull, 1 << 20, 4096, IOMMU_READ);
    xlate(&r, 0x0100, 0, false, 0, NULL);
    mem_flush(r.pf->mem);
    uint64_t lat = xlate(&r, 0x0100, 0x1000, false, 10 * US, NULL);
    ck_assert_uint_gt(lat, 4 * (80000ull + 40000) + 200000); /* DRAM, not LLC, per level */
    ck_assert_double_ge(rig_stat(&r, "mem.llc_read_misses"), 4);
    rig_free(&r);
}
END_TEST

/* ---- IOTLB ------------------------------------------------------------------------ */

START_TEST(test_iotlb_lru_and_domain_tags)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "iommu.iotlb_entries", "4");
    rig_set(&r, "iommu.iotlb_ways", "4");
    rig_build(&r, true);
    iommu_domain *d1 = domain(&r, 1, 0x0100);
    iommu_domain *d2 = domain(&r, 2, 0x0200);
    map(d1, 0, 0x100000000ull, 1 << 20, 4096, IOMMU_READ);
    map(d2, 0, 0x300000000ull, 1 << 20, 4096, IOMMU_READ);
    uint64_t t = 0;
    for (uint64_t pg = 0; pg < 4; pg++, t += 10 * US)
        xlate(&r, 0x0100, pg << 12, false, t, NULL);
    ck_assert_uint_eq(iommu_iotlb_valid(r.pf->iommu), 4);
    xlate(&r, 0x0100, 0, false, t, NULL); /* page 0 becomes most recent */
    t += 10 * US;
    xlate(&r, 0x0100, 4 << 12, false, t, NULL); /* evicts page 1, the least recent */
    t += 10 * US;
    ck_assert(iommu_iotlb_holds(r.pf->iommu, 1, 0));
    ck_assert(!iommu_iotlb_holds(r.pf->iommu, 1, 1 << 12));
    ck_assert(iommu_iotlb_holds(r.pf->iommu, 1, 2 << 12));
    ck_assert(iommu_iotlb_holds(r.pf->iommu, 1, 4 << 12));
    /* Same IOVA in another domain: its own entry and its own host page. */
    uint64_t h1, h2;
    xlate(&r, 0x0100, 2 << 12, false, t, &h1);
    ck_assert_uint_eq(xlate(&r, 0x0200, 2 << 12, false, t + 10 * US, &h2) > 0, 1); /* a miss */
    ck_assert_uint_eq(h1, 0x100002000ull);
    ck_assert_uint_eq(h2, 0x300002000ull);
    ck_assert(iommu_iotlb_holds(r.pf->iommu, 2, 2 << 12));
    rig_free(&r);
}
END_TEST

START_TEST(test_superpage_hits)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "iommu.pwc_entries", "0");
    rig_build(&r, true);
    iommu_domain *d = domain(&r, 1, 0x0100);
    map(d, 0x40000000, 0x200000000ull, 4 << 20, 2 << 20, IOMMU_READ | IOMMU_WRITE);
    map(d, 1ull << 32, 1ull << 36, 1ull << 30, 1ull << 30, IOMMU_READ);
    uint64_t hpa, t = 0;
    for (uint64_t pg = 0; pg < 512; pg++, t += US)
        xlate(&r, 0x0100, 0x40000000 + (pg << 12) + 8, pg & 1, t, &hpa);
    ck_assert_uint_eq(hpa, 0x200000000ull + (511ull << 12) + 8);
    ck_assert_double_eq(rig_stat(&r, "iommu.walks"), 1);
    ck_assert_double_eq(rig_stat(&r, "iommu.walk_reads"), 3); /* levels 4, 3 and the 2 MiB leaf */
    ck_assert_double_eq(rig_stat(&r, "iommu.iotlb_hits"), 511);
    /* A 1 GiB page: two reads, then the whole gigabyte hits. */
    xlate(&r, 0x0100, (1ull << 32) + 12345, false, t, &hpa);
    ck_assert_uint_eq(hpa, (1ull << 36) + 12345);
    ck_assert_double_eq(rig_stat(&r, "iommu.walk_reads"), 5);
    xlate(&r, 0x0100, (1ull << 32) + (1ull << 29), false, t + US, &hpa);
    ck_assert_double_eq(rig_stat(&r, "iommu.walks"), 2);
    /* Read-only gigabyte: a write faults with reason 5. */
    ck_assert_uint_eq(xlate(&r, 0x0100, (1ull << 32), true, t + 2 * US, NULL), UINT64_MAX);
    ck_assert_uint_eq(iommu_fault_get(r.pf->iommu, 0)->reason, VTD_FR_WRITE);
    rig_free(&r);
}
END_TEST

/* ---- walkers ----------------------------------------------------------------------- */

START_TEST(test_walker_queueing_and_miss_merging)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "iommu.walkers", "1");
    rig_set(&r, "iommu.pwc_entries", "0");
    rig_build(&r, true);
    iommu_domain *d = domain(&r, 1, 0x0100);
    map(d, 0, 0x100000000ull, 1 << 20, 4096, IOMMU_READ);
    xlate(&r, 0x0100, 0xF0000, false, 0, NULL); /* warm the context cache */
    uint64_t t = 10 * US, walk = 4 * 80000ull + 200000;
    /* Two misses to the same page at once: one walk, the second waits for it. */
    uint64_t a = xlate(&r, 0x0100, 0x1000, false, t, NULL);
    uint64_t b = xlate(&r, 0x0100, 0x1040, false, t, NULL);
    ck_assert_uint_eq(a, walk);
    ck_assert_uint_eq(b, walk);
    ck_assert_double_eq(rig_stat(&r, "iommu.walks"), 2);
    ck_assert_double_eq(rig_stat(&r, "iommu.walks_merged"), 1);
    /* Two misses to different pages at once with one walker: the second queues. */
    t = 20 * US;
    a = xlate(&r, 0x0100, 0x2000, false, t, NULL);
    b = xlate(&r, 0x0100, 0x3000, false, t, NULL);
    ck_assert_uint_eq(a, walk);
    ck_assert_uint_eq(b, 2 * walk);
    ck_assert_double_eq(rig_stat(&r, "iommu.walk_queue_ps"), (double)walk);
    rig_free(&r);
}
END_TEST

/* ---- invalidation ----------------------------------------------------------------- */

START_TEST(test_page_selective_invalidation_removes_exactly_that_page)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    iommu_domain *d1 = domain(&r, 1, 0x0100);
    iommu_domain *d2 = domain(&r, 2, 0x0200);
    map(d1, 0, 0x100000000ull, 1 << 20, 4096, IOMMU_READ);
    map(d2, 0, 0x300000000ull, 1 << 20, 4096, IOMMU_READ);
    uint64_t t = 0;
    for (uint64_t pg = 0; pg < 8; pg++, t += US) {
        xlate(&r, 0x0100, pg << 12, false, t, NULL);
        xlate(&r, 0x0200, pg << 12, false, t, NULL);
    }
    ck_assert_uint_eq(iommu_iotlb_valid(r.pf->iommu), 16);
    iommu_inv inv = {.kind = IOMMU_INV_IOTLB_PAGE, .did = 1, .addr = 3 << 12, .bytes = 4096};
    uint64_t cycles;
    uint64_t done = invalidate(&r, t, &inv, 1, &cycles);
    ck_assert_uint_eq(iommu_iotlb_valid(r.pf->iommu), 15);
    ck_assert(!iommu_iotlb_holds(r.pf->iommu, 1, 3 << 12));
    for (uint64_t pg = 0; pg < 8; pg++) {
        ck_assert(iommu_iotlb_holds(r.pf->iommu, 2, pg << 12));
        if (pg != 3)
            ck_assert(iommu_iotlb_holds(r.pf->iommu, 1, pg << 12));
    }
    ck_assert_double_eq(rig_stat(&r, "iommu.invalidations"), 1);
    ck_assert_double_eq(rig_stat(&r, "iommu.inv_descs"), 2); /* and its wait descriptor */
    /* It takes time and the CPU spins for it. */
    ck_assert_uint_gt(done, t + 400000);
    ck_assert_uint_gt(cycles, 1000);
    ck_assert_double_eq(rig_stat(&r, "iommu.cpu_cycles"), (double)cycles);
    /* Domain-selective: all of domain 2 and nothing of domain 1. */
    inv = (iommu_inv){.kind = IOMMU_INV_IOTLB_DOMAIN, .did = 2};
    invalidate(&r, done, &inv, 1, NULL);
    ck_assert_uint_eq(iommu_iotlb_valid(r.pf->iommu), 7);
    inv = (iommu_inv){.kind = IOMMU_INV_IOTLB_GLOBAL};
    invalidate(&r, done + 10 * US, &inv, 1, NULL);
    ck_assert_uint_eq(iommu_iotlb_valid(r.pf->iommu), 0);
    rig_free(&r);
}
END_TEST

/* A mapping changed without invalidation is not seen until the context or IOTLB
 * invalidation: the caches really cache. */
START_TEST(test_context_invalidation)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    iommu_domain *d1 = domain(&r, 1, 0x0100);
    iommu_domain *d2 = iommu_domain_create(r.pf->iommu, 2);
    map(d1, 0, 0x100000000ull, 1 << 20, 4096, IOMMU_READ);
    map(d2, 0, 0x300000000ull, 1 << 20, 4096, IOMMU_READ);
    uint64_t hpa;
    xlate(&r, 0x0100, 0x5000, false, 0, &hpa);
    ck_assert_uint_eq(hpa, 0x100005000ull);
    ck_assert_int_eq(iommu_attach(r.pf->iommu, 0x0100, d2), 0);
    xlate(&r, 0x0100, 0x6000, false, 10 * US, &hpa);
    ck_assert_uint_eq(hpa, 0x100006000ull); /* stale context entry still cached */
    iommu_inv inv = {.kind = IOMMU_INV_CTX_DEVICE, .rid = 0x0100};
    invalidate(&r, 20 * US, &inv, 1, NULL);
    xlate(&r, 0x0100, 0x6000, false, 30 * US, &hpa);
    ck_assert_uint_eq(hpa, 0x300006000ull);
    ck_assert_double_eq(rig_stat(&r, "iommu.inv_ctx"), 1);
    rig_free(&r);
}
END_TEST

/* Strict invalidates on every unmap; lazy batches 250 unmaps into one flush. */
static void dma_api_run(const char *mode, uint64_t n, double *invs, double *cycles, double *flushes)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "iommu.mode", mode);
    rig_build(&r, true);
    sim_err e;
    iommu_dma *d = iommu_dma_create(r.p, r.s, r.pf->iommu, r.pf->mem, r.pf->pm, 0x0100, 1, 64, 3ull << 30, 64 << 20, &e);
    ck_assert_ptr_nonnull(d);
    uint64_t t = 0;
    for (uint64_t i = 0; i < n; i++, t += US) {
        iommu_dma_buf b;
        uint64_t hpa = 0x100000000ull + (i % 100) * 4096 + 64;
        ck_assert_uint_ne(iommu_dma_map(d, t, hpa, 64, true, &b), UINT64_MAX);
        ck_assert_uint_eq(b.dev_addr & 0xFFF, 64);
        uint64_t got;
        ck_assert_uint_lt(xlate(&r, 0x0100, b.dev_addr, false, t, &got), UINT64_MAX);
        ck_assert_uint_eq(got, hpa);
        iommu_dma_unmap(d, t + 500000, &b);
        if (!strcmp(mode, "strict")) /* unmapped and invalidated: the device is refused */
            ck_assert_uint_eq(xlate(&r, 0x0100, b.dev_addr, false, t + 900000, NULL), UINT64_MAX);
    }
    *invs = rig_stat(&r, "iommu.inv_iotlb");
    *cycles = rig_stat(&r, "dmaapi.cpu_cycles");
    *flushes = rig_stat(&r, "dmaapi.flushes");
    iommu_dma_destroy(d);
    rig_free(&r);
}

START_TEST(test_strict_vs_lazy_invalidations)
{
    double si, sc, sf, li, lc, lf;
    dma_api_run("strict", 1000, &si, &sc, &sf);
    dma_api_run("lazy", 1000, &li, &lc, &lf);
    ck_assert_double_eq(si, 1000);
    ck_assert_double_eq(sf, 0);
    ck_assert_double_eq(li, 4); /* 1000 unmaps, a flush every 250 */
    ck_assert_double_eq(lf, 4);
    ck_assert_double_gt(sc, 3 * lc); /* the invalidation wait dominates strict mode */
}
END_TEST

/* A strict unmap's page-selective invalidation: without the invalidation hint, as Linux
 * before 6.18 sends it, the paging-structure-cache entries on the unmapped address's path
 * go too, and the next miss in the same page directory reads every level again; with
 * the hint (iommu.iotlb_inv_hint) it reads the leaf only. Returns that miss's reads. */
static double walk_reads_after_unmap(const char *hint)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "iommu.mode", "strict");
    rig_set(&r, "iommu.iotlb_inv_hint", hint);
    rig_build(&r, true);
    sim_err e;
    iommu_dma *d = iommu_dma_create(r.p, r.s, r.pf->iommu, r.pf->mem, r.pf->pm, 0x0100, 1, 64,
                                    3ull << 30, 64 << 20, &e);
    ck_assert_ptr_nonnull(d);
    iommu_dma_buf a, b;
    ck_assert_uint_ne(iommu_dma_map(d, 0, 0x100000000ull, 4096, true, &a), UINT64_MAX);
    ck_assert_uint_ne(iommu_dma_map(d, 0, 0x100001000ull, 4096, true, &b), UINT64_MAX);
    ck_assert_uint_eq(a.iova >> 21, b.iova >> 21); /* one page directory */
    xlate(&r, 0x0100, a.dev_addr, false, US, NULL); /* fills the walk caches */
    iommu_dma_unmap(d, 2 * US, &a);
    double before = rig_stat(&r, "iommu.walk_reads");
    ck_assert_uint_lt(xlate(&r, 0x0100, b.dev_addr, false, 10 * US, NULL), UINT64_MAX);
    double reads = rig_stat(&r, "iommu.walk_reads") - before;
    iommu_dma_destroy(d);
    rig_free(&r);
    return reads;
}

START_TEST(test_strict_invalidation_hint)
{
    ck_assert_double_eq(walk_reads_after_unmap("false"), 4);
    ck_assert_double_eq(walk_reads_after_unmap("true"), 1);
}
END_TEST

START_TEST(test_lazy_timeout_flushes)
{
    rig r;
    rig_init(&r);
    rig_set(&r, "iommu.mode", "lazy");
    rig_build(&r, true);
    sim_err e;
    iommu_dma *d = iommu_dma_create(r.p, r.s, r.pf->iommu, r.pf->mem, r.pf->pm, 0x0100, 1, 64, 3ull << 30, 64 << 20, &e);
    iommu_dma_buf b;
    iommu_dma_map(d, 0, 0x100000000ull, 64, true, &b);
    ck_assert_uint_lt(xlate(&r, 0x0100, b.dev_addr, false, 0, NULL), UINT64_MAX);
    iommu_dma_unmap(d, 1000, &b);
    ck_assert_double_eq(rig_stat(&r, "dmaapi.flushes"), 0);
    /* The stale translation is still usable: lazy mode's window of vulnerability. */
    ck_assert_uint_lt(xlate(&r, 0x0100, b.dev_addr, false, 2000, NULL), UINT64_MAX);
    iommu_dma_map(d, 11 * 1000 * US, 0x100001000ull, 64, true, &b);
    iommu_dma_unmap(d, 11 * 1000 * US, &b); /* 11 ms after the first unmap */
    ck_assert_double_eq(rig_stat(&r, "dmaapi.flushes"), 1);
    iommu_dma_destroy(d);
    rig_free(&r);
}
END_TEST

/* ---- faults and isolation ---------------------------------------------------------- */

START_TEST(test_fault_reason_codes)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    iommu_domain *d = domain(&r, 1, 0x0100);
    map(d, 0x10000, 0x100000000ull, 0x1000, 4096, IOMMU_READ);
    ck_assert_uint_eq(xlate(&r, 0x0100, 0x20000, false, 0, NULL), UINT64_MAX);
    ck_assert_uint_eq(xlate(&r, 0x0100, 0x20000, true, US, NULL), UINT64_MAX);
    ck_assert_uint_eq(xlate(&r, 0x0100, 0x10040, true, 2 * US, NULL), UINT64_MAX);
    ck_assert_uint_eq(xlate(&r, 0x0101, 0x10000, false, 3 * US, NULL), UINT64_MAX);
    ck_assert_uint_eq(xlate(&r, 0x0500, 0x10000, false, 4 * US, NULL), UINT64_MAX);
    ck_assert_uint_eq(xlate(&r, 0x0100, 1ull << 50, false, 5 * US, NULL), UINT64_MAX);
    static const uint8_t want[] = {VTD_FR_READ, VTD_FR_WRITE, VTD_FR_WRITE, VTD_FR_CONTEXT_ENTRY_P,
                                   VTD_FR_ROOT_ENTRY_P, VTD_FR_ADDR_BEYOND_MGAW};
    ck_assert_uint_eq(iommu_faults_recorded(r.pf->iommu), 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(iommu_fault_get(r.pf->iommu, i)->reason == want[i], "fault %zu: reason %#x, want %#x",
                      i, iommu_fault_get(r.pf->iommu, i)->reason, want[i]);
    const iommu_fault *f = iommu_fault_get(r.pf->iommu, 2);
    ck_assert_uint_eq(f->rid, 0x0100);
    ck_assert_uint_eq(f->addr, 0x10000);
    ck_assert(f->write);
    ck_assert_uint_eq(iommu_fault_get(r.pf->iommu, 3)->rid, 0x0101);
    /* The recording registers fill; later faults are counted as overflow. */
    for (int i = 0; i < 5; i++)
        xlate(&r, 0x0100, 0x30000, false, 10 * US, NULL);
    ck_assert_uint_eq(iommu_faults_recorded(r.pf->iommu), 8);
    ck_assert_uint_eq(iommu_faults_total(r.pf->iommu), 11);
    ck_assert_double_eq(rig_stat(&r, "iommu.fault_overflows"), 3);
    iommu_faults_clear(r.pf->iommu);
    ck_assert_uint_eq(iommu_faults_recorded(r.pf->iommu), 0);
    rig_free(&r);
}
END_TEST

/* Addresses at the top of the 64-bit space have no entry in a 48-bit table: a request
 * there faults (beyond the width) instead of wrapping to a low address, a map is
 * refused, and a look-up or unmap does not reach the page whose low 48 bits it shares. */
START_TEST(test_top_of_the_address_space_does_not_alias)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    iommu_domain *d = domain(&r, 1, 0x0100);
    const uint64_t alias = 0xfffffffff000ull, top = 0xfffffffffffff000ull;
    map(d, alias, 0x100000000ull, 0x1000, 4096, IOMMU_READ | IOMMU_WRITE);
    sim_err e;
    ck_assert_int_lt(iommu_domain_map(d, top, 0x100000000ull, 0x1000, 4096, IOMMU_READ, &e), 0);
    ck_assert_ptr_nonnull(strstr(e.msg, "beyond the 48-bit address width"));
    uint64_t hpa;
    ck_assert_int_lt(iommu_domain_lookup(d, top, &hpa, NULL, NULL), 0);
    ck_assert_int_eq(iommu_domain_lookup(d, alias, &hpa, NULL, NULL), 0);
    uint64_t t = 0;
    ck_assert_int_lt(iommu_translate(r.pf->iommu, 0x0100, 0ull - 64, 64, false, &t, &hpa), 0);
    ck_assert_uint_eq(iommu_fault_get(r.pf->iommu, 0)->reason, VTD_FR_ADDR_BEYOND_MGAW);
    ck_assert_uint_eq(iommu_domain_unmap(d, top, 0x1000), 0);
    ck_assert_int_eq(iommu_domain_lookup(d, alias, &hpa, NULL, NULL), 0);
    /* A functional access running past 2^64 moves nothing. */
    uint8_t buf[128] = {0};
    t = 0;
    ck_assert_int_lt(iommu_dma_access(r.pf->iommu, 0x0100, 0ull - 64, buf, sizeof buf, false, &t), 0);
    rig_free(&r);
}
END_TEST

/* Table pointers in memory with bits above the host address width (a corrupted root or
 * context entry) are reserved-field faults, not reads past the memory model. */
START_TEST(test_table_pointers_beyond_the_address_width)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    iommu_domain *d = domain(&r, 1, 0x0100);
    map(d, 0x10000, 0x100000000ull, 0x1000, 4096, IOMMU_READ);
    iommu *u = r.pf->iommu;
    mem_phys *pm = iommu_physmem(u);
    uint64_t ra = iommu_root_table(u) + 0x01 * VTD_ROOT_ENTRY_BYTES;
    uint64_t root = mem_phys_read_u64(pm, ra);
    uint64_t ca = (root & VTD_ROOT_ENTRY_CTP) + 0x00 * VTD_CONTEXT_ENTRY_BYTES;
    uint64_t ctx = mem_phys_read_u64(pm, ca);
    const iommu_inv flush = {.kind = IOMMU_INV_CTX_GLOBAL};
    mem_phys_write_u64(pm, ca, ctx | 1ull << 60);
    ck_assert_uint_eq(xlate(&r, 0x0100, 0x10000, false, 0, NULL), UINT64_MAX);
    mem_phys_write_u64(pm, ca, ctx);
    mem_phys_write_u64(pm, ra, root | 1ull << 56);
    invalidate(&r, US, &flush, 1, NULL);
    ck_assert_uint_eq(xlate(&r, 0x0100, 0x10000, false, 2 * US, NULL), UINT64_MAX);
    mem_phys_write_u64(pm, ra, root);
    invalidate(&r, 3 * US, &flush, 1, NULL);
    ck_assert_uint_ne(xlate(&r, 0x0100, 0x10000, false, 4 * US, NULL), UINT64_MAX);
    ck_assert_uint_eq(iommu_faults_recorded(u), 2);
    ck_assert_uint_eq(iommu_fault_get(u, 0)->reason, VTD_FR_CONTEXT_ENTRY_RSVD);
    ck_assert_uint_eq(iommu_fault_get(u, 1)->reason, VTD_FR_ROOT_ENTRY_RSVD);
    rig_free(&r);
}
END_TEST

/* A VF owned by VM 1 is programmed to DMA into VM 2's memory: blocked, reported, and
 * the victim's bytes are unchanged; the same VF reaches its own VM's memory. */
START_TEST(test_vm_isolation)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    const uint64_t vm1_hpa = 0x1000000000ull, vm2_hpa = 0x2000000000ull, ram = 64 << 20;
    iommu_domain *vm1 = iommu_domain_create(r.pf->iommu, 1), *vm2 = iommu_domain_create(r.pf->iommu, 2);
    /* Guest-physical 0.. maps to each VM's host range, 2 MiB pages for VM 1, 4 KiB for VM 2. */
    map(vm1, 0, vm1_hpa, ram, 2 << 20, IOMMU_READ | IOMMU_WRITE);
    map(vm2, 0, vm2_hpa, ram, 4096, IOMMU_READ | IOMMU_WRITE);
    const uint16_t vf1 = 0x0181, vf2 = 0x0182; /* VFs of one PF, assigned to VM 1 and 2 */
    ck_assert_int_eq(iommu_attach(r.pf->iommu, vf1, vm1), 0);
    ck_assert_int_eq(iommu_attach(r.pf->iommu, vf2, vm2), 0);
    uint8_t secret[256];
    for (int i = 0; i < 256; i++)
        secret[i] = (uint8_t)(0xA5 ^ i);
    mem_phys_write(r.pf->pm, vm2_hpa + 0x100000, secret, sizeof secret);
    uint64_t before = mem_phys_hash(r.pf->pm, vm2_hpa, ram);

    uint8_t evil[256];
    memset(evil, 0xEE, sizeof evil);
    uint64_t t = 0;
    /* The host physical address of VM 2's page, and a guest address beyond VM 1's RAM. */
    ck_assert_int_eq(iommu_dma_access(r.pf->iommu, vf1, vm2_hpa + 0x100000, evil, sizeof evil, true, &t), -1);
    ck_assert_int_eq(iommu_dma_access(r.pf->iommu, vf1, ram + 0x100000, evil, sizeof evil, true, &t), -1);
    /* A write straddling VM 1's last page and the unmapped one after: nothing moves. */
    ck_assert_int_eq(iommu_dma_access(r.pf->iommu, vf1, ram - 64, evil, 128, true, &t), -1);
    ck_assert_uint_eq(mem_phys_hash(r.pf->pm, vm2_hpa, ram), before);
    uint8_t tail[64];
    mem_phys_read(r.pf->pm, vm1_hpa + ram - 64, tail, 64);
    for (int i = 0; i < 64; i++)
        ck_assert_uint_eq(tail[i], 0);
    /* Reading the victim is blocked too, and reported with the VF's requester id. */
    uint8_t got[256] = {0};
    ck_assert_int_eq(iommu_dma_access(r.pf->iommu, vf1, vm2_hpa + 0x100000, got, sizeof got, false, &t), -1);
    ck_assert_uint_eq(got[0], 0);
    ck_assert_uint_ge(iommu_faults_recorded(r.pf->iommu), 4);
    const iommu_fault *f = iommu_fault_get(r.pf->iommu, 0);
    ck_assert_uint_eq(f->rid, vf1);
    ck_assert_uint_eq(f->addr, vm2_hpa + 0x100000);
    ck_assert_uint_eq(f->reason, VTD_FR_WRITE); /* a write to a page VM 1 has not mapped */
    /* The owner's own DMA works, and lands in its own memory. */
    ck_assert_int_eq(iommu_dma_access(r.pf->iommu, vf2, 0x100000, got, sizeof got, false, &t), 0);
    ck_assert_int_eq(memcmp(got, secret, sizeof secret), 0);
    ck_assert_int_eq(iommu_dma_access(r.pf->iommu, vf1, 0x4000, evil, sizeof evil, true, &t), 0);
    uint8_t mine[256];
    mem_phys_read(r.pf->pm, vm1_hpa + 0x4000, mine, sizeof mine);
    ck_assert_int_eq(memcmp(mine, evil, sizeof evil), 0);
    ck_assert_uint_eq(mem_phys_hash(r.pf->pm, vm2_hpa, ram), before);
    rig_free(&r);
}
END_TEST

/* Through the root complex: the blocked read gets UR, the blocked write is dropped. */
START_TEST(test_blocked_dma_through_root_complex)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    pcie_rc *rc = r.pf->rc; /* translating through the IOMMU */
    iommu_domain *d = domain(&r, 1, 0x0100);
    map(d, 0, 0x100000000ull, 1 << 20, 4096, IOMMU_READ | IOMMU_WRITE);
    bool ur;
    pcie_rc_read(rc, 0, 0x0100, 0x2000, 64, &ur);
    ck_assert(!ur);
    pcie_rc_read(rc, US, 0x0100, 0x200000, 64, &ur);
    ck_assert(ur);
    pcie_rc_write(rc, 2 * US, 0x0100, 0x300000, 64, 0);
    ck_assert_double_eq(rig_stat(&r, "rc.unsupported_requests"), 2);
    ck_assert_double_eq(rig_stat(&r, "iommu.faults_total"), 2);
    rig_free(&r);
}
END_TEST

/* ---- ATS and peer-to-peer ---------------------------------------------------------- */

START_TEST(test_ats_device_tlb)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    iommu_ats_enable(r.pf->iommu, 0x0100, r.pf->link, 75000);
    iommu_domain *d = domain(&r, 1, 0x0100);
    map(d, 0, 0x100000000ull, 1 << 20, 4096, IOMMU_READ);
    uint64_t miss = xlate(&r, 0x0100, 0x3000, false, 0, NULL);
    double tlps = rig_stat(&r, "pcie.down.tlps") + rig_stat(&r, "pcie.up.tlps");
    ck_assert_double_eq(tlps, 2); /* translation completion down, translated request up */
    uint64_t hpa;
    uint64_t hit = xlate(&r, 0x0100, 0x3040, false, 10 * US, &hpa);
    ck_assert_uint_eq(hit, 0);
    ck_assert_uint_gt(miss, 0);
    ck_assert_uint_eq(hpa, 0x100003040ull);
    ck_assert_double_eq(rig_stat(&r, "iommu.ats_hits"), 1);
    /* A device-TLB invalidation crosses the link both ways and empties the entry. */
    iommu_inv inv = {.kind = IOMMU_INV_DEVTLB, .rid = 0x0100, .addr = 0x3000, .bytes = 4096};
    uint64_t done = invalidate(&r, 20 * US, &inv, 1, NULL);
    ck_assert_double_eq(rig_stat(&r, "pcie.down.tlps") + rig_stat(&r, "pcie.up.tlps"), 4);
    ck_assert_uint_gt(done, 20 * US + 1000000); /* the device's 1 us and the link */
    xlate(&r, 0x0100, 0x3040, false, 30 * US, NULL);
    ck_assert_double_eq(rig_stat(&r, "iommu.ats_hits"), 1);
    ck_assert_double_eq(rig_stat(&r, "iommu.ats_requests"), 2);
    rig_free(&r);
}
END_TEST

START_TEST(test_p2p_redirect_and_block)
{
    for (int blockit = 0; blockit < 2; blockit++) {
        rig r;
        rig_init(&r);
        rig_set(&r, "iommu.acs_p2p", blockit ? "block" : "redirect");
        rig_build(&r, true);
        iommu_domain *d = domain(&r, 1, 0x0100);
        map(d, 0x80000000ull, 0xE0000000ull, 1 << 20, 4096, IOMMU_WRITE); /* a peer's BAR */
        iommu_add_peer_bar(r.pf->iommu, 0xE0000000ull, 16 << 20);
        uint64_t t = 0, hpa = 0;
        bool peer = false;
        int rc = iommu_p2p(r.pf->iommu, 0x0100, 0x80000040ull, 64, true, &t, &hpa, &peer);
        if (blockit) {
            ck_assert_int_eq(rc, -1);
            ck_assert_double_eq(rig_stat(&r, "iommu.p2p_blocked"), 1);
        } else {
            ck_assert_int_eq(rc, 0);
            ck_assert(peer);
            ck_assert_uint_eq(hpa, 0xE0000040ull);
            ck_assert_uint_gt(t, 0); /* it went through translation */
            /* A peer address the device has no mapping for is refused by translation. */
            t = 0;
            ck_assert_int_eq(iommu_p2p(r.pf->iommu, 0x0100, 0xE0001000ull, 64, true, &t, &hpa, &peer), -1);
        }
        rig_free(&r);
    }
}
END_TEST

/* ---- 32-bit devices ----------------------------------------------------------------- */

START_TEST(test_32bit_device_remap_and_bounce)
{
    const uint64_t high = 0x500000000ull; /* 20 GiB */
    for (int on = 0; on < 2; on++) {
        rig r;
        rig_init(&r);
        rig_set(&r, "iommu.mode", on ? "strict" : "off");
        rig_build(&r, true);
        sim_err e;
        iommu_dma *d = iommu_dma_create(r.p, r.s, on ? r.pf->iommu : NULL, r.pf->mem, r.pf->pm, 0x0100, 1, 32,
                                        3ull << 30, 64 << 20, &e);
        ck_assert_ptr_nonnull(d);
        mem_phys_write_u64(r.pf->pm, high + 8, 0xFEEDFACEull);
        iommu_dma_buf b;
        uint64_t ready = iommu_dma_map(d, 0, high + 8, 64, true, &b);
        ck_assert_uint_lt(b.dev_addr + 64, 1ull << 32);
        if (on) {
            ck_assert_uint_eq(ready, 0);
            uint64_t hpa;
            ck_assert_uint_lt(xlate(&r, 0x0100, b.dev_addr, false, 0, &hpa), UINT64_MAX);
            ck_assert_uint_eq(hpa, high + 8);
            ck_assert_double_eq(rig_stat(&r, "dmaapi.bounces"), 0);
        } else {
            /* The host copied the buffer below 4 GiB: bytes, time, cycles, traffic. */
            ck_assert_uint_eq(mem_phys_read_u64(r.pf->pm, b.dev_addr), 0xFEEDFACEull);
            ck_assert_uint_gt(ready, 0);
            ck_assert_double_eq(rig_stat(&r, "dmaapi.bounces"), 1);
            ck_assert_double_gt(rig_stat(&r, "dmaapi.cpu_cycles"), 0);
            ck_assert_double_ge(rig_stat(&r, "mem.llc_read_misses"), 1);
            /* A device write bounces back on unmap. */
            iommu_dma_buf w;
            iommu_dma_map(d, 0, high + 4096, 8, false, &w);
            mem_phys_write_u64(r.pf->pm, w.dev_addr, 0x1234ull);
            iommu_dma_unmap(d, US, &w);
            ck_assert_uint_eq(mem_phys_read_u64(r.pf->pm, high + 4096), 0x1234ull);
        }
        iommu_dma_unmap(d, US, &b);
        iommu_dma_destroy(d);
        rig_free(&r);
    }
}
END_TEST

/* ---- interrupt remapping ---------------------------------------------------------- */

START_TEST(test_interrupt_remapping_and_posting)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    sink s = {0};
    iommu_set_irq_sink(r.pf->iommu, on_irq, &s);
    ck_assert_int_eq(iommu_irq_table_init(r.pf->iommu, 7), 0);
    ck_assert_uint_eq(iommu_irq_table_entries(r.pf->iommu), 256);
    ck_assert_int_eq(iommu_irte_set_remapped(r.pf->iommu, 3, 0x0100, 5, 0x41), 0);
    uint64_t pd = iommu_pid_create(r.pf->iommu, 0xF2, 7);
    ck_assert_uint_ne(pd, 0);
    ck_assert_int_eq(iommu_irte_set_posted(r.pf->iommu, 9, 0x0181, pd, 0x63, false), 0);

    /* Remapped: the entry gives destination and vector; the entry cache makes the second
     * one cheaper. */
    iommu_msi(r.pf->iommu, 0x0100, iommu_msi_addr(3), 0, 0);
    ck_assert_int_eq(s.last.kind, IOMMU_IRQ_REMAPPED);
    ck_assert_uint_eq(s.last.dest, 5);
    ck_assert_uint_eq(s.last.vector, 0x41);
    uint64_t first = s.last.t_ps;
    iommu_msi(r.pf->iommu, 0x0100, iommu_msi_addr(3), 0, 10 * US);
    ck_assert_uint_lt(s.last.t_ps - 10 * US, first);
    ck_assert_double_eq(rig_stat(&r, "iommu.iec_hits"), 1);

    /* Posted: the vector's bit in the descriptor, ON set, one notification. */
    iommu_msi(r.pf->iommu, 0x0181, iommu_msi_addr(9), 0, 20 * US);
    ck_assert_int_eq(s.last.kind, IOMMU_IRQ_POSTED);
    ck_assert_uint_eq(s.last.pd_addr, pd);
    ck_assert(s.last.notify);
    ck_assert_uint_eq(s.last.notify_vector, 0xF2);
    ck_assert_uint_eq(s.last.notify_dest, 7);
    ck_assert(iommu_pid_pending(r.pf->iommu, pd, 0x63));
    ck_assert(iommu_pid_on(r.pf->iommu, pd));
    /* While ON is set, a further interrupt only sets its bit. */
    iommu_msi(r.pf->iommu, 0x0181, iommu_msi_addr(9), 0, 21 * US);
    ck_assert(!s.last.notify);
    ck_assert_uint_eq(iommu_pid_drain(r.pf->iommu, pd), 1);
    ck_assert(!iommu_pid_on(r.pf->iommu, pd));
    ck_assert(!iommu_pid_pending(r.pf->iommu, pd, 0x63));
    iommu_msi(r.pf->iommu, 0x0181, iommu_msi_addr(9), 0, 22 * US);
    ck_assert(s.last.notify);
    /* Suppressed (vCPU not running): recorded without notification. */
    iommu_pid_drain(r.pf->iommu, pd);
    iommu_pid_set_sn(r.pf->iommu, pd, true);
    iommu_msi(r.pf->iommu, 0x0181, iommu_msi_addr(9), 0, 23 * US);
    ck_assert(!s.last.notify);
    ck_assert(iommu_pid_pending(r.pf->iommu, pd, 0x63));
    ck_assert_double_eq(rig_stat(&r, "iommu.irq_remaps"), 6);
    ck_assert_double_eq(rig_stat(&r, "iommu.irq_posted"), 4);
    ck_assert_double_eq(rig_stat(&r, "iommu.irq_notifications"), 2);
    rig_free(&r);
}
END_TEST

START_TEST(test_spoofed_msi_blocked)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    sink s = {0};
    iommu_set_irq_sink(r.pf->iommu, on_irq, &s);
    iommu_irq_table_init(r.pf->iommu, 3); /* 16 entries */
    uint64_t pd = iommu_pid_create(r.pf->iommu, 0xF2, 1);
    iommu_irte_set_posted(r.pf->iommu, 2, 0x0181, pd, 0x30, false);
    /* VF 0x0182 forges VF 0x0181's interrupt. */
    iommu_msi(r.pf->iommu, 0x0182, iommu_msi_addr(2), 0, 0);
    ck_assert_int_eq(s.last.kind, IOMMU_IRQ_BLOCKED);
    ck_assert_uint_eq(s.last.fault_reason, VTD_FR_IR_SID_ERR);
    ck_assert(!iommu_pid_pending(r.pf->iommu, pd, 0x30));
    /* An index beyond the table, an entry not present, a compatibility-format write. */
    iommu_msi(r.pf->iommu, 0x0182, iommu_msi_addr(40), 0, US);
    ck_assert_uint_eq(s.last.fault_reason, VTD_FR_IR_INDEX_OVER);
    iommu_msi(r.pf->iommu, 0x0182, iommu_msi_addr(5), 0, 2 * US);
    ck_assert_uint_eq(s.last.fault_reason, VTD_FR_IR_ENTRY_P);
    iommu_msi(r.pf->iommu, 0x0182, PCIE_MSI_BASE | (1u << 12), 0x30, 3 * US);
    ck_assert_uint_eq(s.last.fault_reason, VTD_FR_IR_REQ_COMPAT);
    ck_assert_double_eq(rig_stat(&r, "iommu.irq_blocked"), 4);
    ck_assert_double_eq(rig_stat(&r, "iommu.irq_remaps"), 0);
    ck_assert_uint_eq(iommu_faults_recorded(r.pf->iommu), 4);
    const iommu_fault *f = iommu_fault_get(r.pf->iommu, 0);
    ck_assert(f->interrupt);
    ck_assert_uint_eq(f->rid, 0x0182);
    ck_assert_uint_eq(f->addr, 2);
    /* Cleared entry is still served from the entry cache until an IEC invalidation. */
    iommu_irte_set_remapped(r.pf->iommu, 6, 0x0181, 1, 0x50);
    iommu_msi(r.pf->iommu, 0x0181, iommu_msi_addr(6), 0, 4 * US);
    ck_assert_int_eq(s.last.kind, IOMMU_IRQ_REMAPPED);
    iommu_irte_clear(r.pf->iommu, 6);
    iommu_msi(r.pf->iommu, 0x0181, iommu_msi_addr(6), 0, 5 * US);
    ck_assert_int_eq(s.last.kind, IOMMU_IRQ_REMAPPED);
    iommu_inv inv = {.kind = IOMMU_INV_IEC_INDEX, .index = 6};
    invalidate(&r, 6 * US, &inv, 1, NULL);
    iommu_msi(r.pf->iommu, 0x0181, iommu_msi_addr(6), 0, 10 * US);
    ck_assert_int_eq(s.last.kind, IOMMU_IRQ_BLOCKED);
    ck_assert_uint_eq(s.last.fault_reason, VTD_FR_IR_ENTRY_P);
    rig_free(&r);
}
END_TEST

/* ---- configuration ---------------------------------------------------------------- */

START_TEST(test_bad_configuration_refused)
{
    static const struct {
        const char *name, *value, *msg;
    } bad[] = {
        {"iommu.iotlb_ways", "3", "does not divide"},
        {"iommu.walkers", "0", "page walker"},
        {"iommu.page_bytes", "8192", "4 KiB, 2 MiB or 1 GiB"},
        {"iommu.page_bytes", "512GiB", "4-level"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rig r;
        rig_init(&r);
        rig_set(&r, bad[i].name, bad[i].value);
        sim_err e = {{0}};
        /* The hardware's own limits, then the page size software maps with. */
        ck_assert_int_eq(iommu_check(r.p, &e) < 0 || iommu_dma_check(r.p, &e) < 0, 1);
        ck_assert_msg(strstr(e.msg, bad[i].msg), "%s", e.msg);
        rig_free(&r);
    }
    rig r;
    rig_init(&r);
    rig_set(&r, "iommu.levels", "3");
    rig_set(&r, "iommu.page_bytes", "1GiB");
    ck_assert_int_eq(iommu_check(r.p, NULL), 0);
    ck_assert_int_eq(iommu_dma_check(r.p, NULL), 0);
    rig_set(&r, "iommu.superpage_1g", "false");
    ck_assert_int_eq(iommu_check(r.p, NULL), 0);
    ck_assert_int_eq(iommu_dma_check(r.p, NULL), -1);
    rig_free(&r);
}
END_TEST

/* The translation cache as a plain array whose look-ups and insertions scan the set,
 * which is how iotlb.c worked before its index and its sorted replacement order: the
 * reference they must match. The set hash is iotlb.c's. */
typedef struct ref_tlb {
    iommu_tlb_entry e[64];
    uint32_t ways, sets;
    uint64_t tick;
} ref_tlb;

static iommu_tlb_entry *ref_set(ref_tlb *t, uint32_t did, uint64_t vpn, unsigned shift)
{
    uint64_t h = (vpn ^ ((uint64_t)did << 40) ^ ((uint64_t)shift << 56)) * 0x9e3779b97f4a7c15ull;
    return &t->e[(size_t)((h >> 32) % t->sets) * t->ways];
}

static iommu_tlb_entry *ref_lookup(ref_tlb *t, uint32_t did, uint64_t addr, unsigned shift)
{
    uint64_t vpn = addr >> shift;
    iommu_tlb_entry *set = ref_set(t, did, vpn, shift);
    for (uint32_t w = 0; w < t->ways; w++)
        if (set[w].valid && set[w].vpn == vpn && set[w].did == did && set[w].shift == shift) {
            set[w].last_use = ++t->tick;
            return &set[w];
        }
    return NULL;
}

static void ref_insert(ref_tlb *t, const iommu_tlb_entry *e)
{
    iommu_tlb_entry *set = ref_set(t, e->did, e->vpn, e->shift), *victim = NULL;
    for (uint32_t w = 0; w < t->ways; w++) {
        iommu_tlb_entry *x = &set[w];
        if (x->valid && x->vpn == e->vpn && x->did == e->did && x->shift == e->shift) {
            victim = x;
            break;
        }
        if (!victim || (victim->valid && (!x->valid || x->last_use < victim->last_use)))
            victim = x;
    }
    *victim = *e;
    victim->valid = 1;
    victim->last_use = ++t->tick;
}

/* Random look-ups, insertions and invalidations over a few domains and pages of three
 * sizes, in caches of 1 to 64 ways: the same entries hit, the same ones are replaced. */
START_TEST(test_tlb_matches_scanning_reference)
{
    static const uint32_t shapes[][2] = {{64, 64}, {32, 32}, {16, 4}, {8, 1}, {12, 3}};
    static const unsigned shifts[] = {12, 21, 30};
    for (unsigned k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        iommu_tlb *t = iommu_tlb_create(shapes[k][0], shapes[k][1]);
        ref_tlb ref = {.ways = shapes[k][1], .sets = shapes[k][0] / shapes[k][1]};
        uint64_t x = 0x9e3779b97f4a7c15ull + k;
        for (int n = 0; n < 200000; n++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint32_t did = (uint32_t)(x >> 8) % 3;
            unsigned shift = shifts[(x >> 12) % 16 == 0 ? 1 + (x >> 16) % 2 : 0];
            uint64_t addr = ((x >> 20) % 150) << shift;
            unsigned op = (unsigned)(x >> 40) % 100;
            if (op < 60) {
                iommu_tlb_entry *a = iommu_tlb_lookup(t, did, addr, shift);
                iommu_tlb_entry *b = ref_lookup(&ref, did, addr, shift);
                ck_assert_int_eq(a != NULL, b != NULL);
                if (a)
                    ck_assert_uint_eq(a->value, b->value);
            } else if (op < 99) {
                iommu_tlb_entry e = {.vpn = addr >> shift, .value = x, .did = did,
                                     .shift = (uint8_t)shift};
                iommu_tlb_insert(t, &e);
                ref_insert(&ref, &e);
            } else {
                iommu_tlb_inv_domain(t, did);
                for (unsigned i = 0; i < shapes[k][0]; i++)
                    if (ref.e[i].did == did)
                        ref.e[i].valid = 0;
            }
        }
        uint32_t valid = 0;
        for (unsigned i = 0; i < shapes[k][0]; i++)
            if (ref.e[i].valid) {
                const iommu_tlb_entry *a = iommu_tlb_peek_page(t, ref.e[i].did,
                                                               ref.e[i].vpn << ref.e[i].shift);
                ck_assert(a && a->value == ref.e[i].value);
                valid++;
            }
        ck_assert_uint_eq(iommu_tlb_valid(t), valid);
        iommu_tlb_destroy(t);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("iommu");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_physmem_sparse_store);
    tcase_add_test(tc, test_walk_reads_per_level_4);
    tcase_add_test(tc, test_walk_reads_per_level_5);
    tcase_add_test(tc, test_pwc_skips_cached_levels);
    tcase_add_test(tc, test_walk_reads_through_memory);
    tcase_add_test(tc, test_iotlb_lru_and_domain_tags);
    tcase_add_test(tc, test_tlb_matches_scanning_reference);
    tcase_add_test(tc, test_superpage_hits);
    tcase_add_test(tc, test_walker_queueing_and_miss_merging);
    tcase_add_test(tc, test_page_selective_invalidation_removes_exactly_that_page);
    tcase_add_test(tc, test_context_invalidation);
    tcase_add_test(tc, test_strict_vs_lazy_invalidations);
    tcase_add_test(tc, test_strict_invalidation_hint);
    tcase_add_test(tc, test_lazy_timeout_flushes);
    tcase_add_test(tc, test_fault_reason_codes);
    tcase_add_test(tc, test_top_of_the_address_space_does_not_alias);
    tcase_add_test(tc, test_table_pointers_beyond_the_address_width);
    tcase_add_test(tc, test_vm_isolation);
    tcase_add_test(tc, test_blocked_dma_through_root_complex);
    tcase_add_test(tc, test_ats_device_tlb);
    tcase_add_test(tc, test_p2p_redirect_and_block);
    tcase_add_test(tc, test_32bit_device_remap_and_bounce);
    tcase_add_test(tc, test_interrupt_remapping_and_posting);
    tcase_add_test(tc, test_spoofed_msi_blocked);
    tcase_add_test(tc, test_bad_configuration_refused);
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
