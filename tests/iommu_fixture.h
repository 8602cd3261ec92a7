/* Shared by the IOMMU tests: a domain, a mapping, the host driver's invalidation, one
 * translation and an interrupt sink, on a rig with the IOMMU (tests/rig.h). */
#ifndef TESTS_IOMMU_FIXTURE_H
#define TESTS_IOMMU_FIXTURE_H

#include <check.h>
#include <stdint.h>

#include "host/dmaapi.h"
#include "models/iommu/iommu.h"
#include "models/iommu/irq_remap.h"
#include "tests/rig.h"

#define US 1000000ull

static inline iommu_domain *domain(rig *r, uint16_t did, uint16_t rid)
{
    iommu_domain *d = iommu_domain_create(r->pf->iommu, did);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(iommu_attach(r->pf->iommu, rid, d), 0);
    return d;
}

static inline void map(iommu_domain *d, uint64_t iova, uint64_t hpa, uint64_t bytes, uint64_t page, unsigned rights)
{
    sim_err e;
    ck_assert_msg(iommu_domain_map(d, iova, hpa, bytes, page, rights, &e) > 0, "%s", e.msg);
}

/* The host's IOMMU driver submits invalidations and waits for them at t; returns when
 * they are done, with what the CPU paid in *cycles (may be NULL). */
static inline uint64_t invalidate(rig *r, uint64_t t, const iommu_inv *inv, size_t n, uint64_t *cycles)
{
    iommu_dma_cfg c;
    iommu_dma_config(r->p, &c);
    return iommu_dma_qi_submit(r->pf->iommu, r->pf->mem, &c, t, inv, n, cycles);
}

/* Translate one access at t; returns the translation's latency, or UINT64_MAX when blocked. */
static inline uint64_t xlate(rig *r, uint16_t rid, uint64_t addr, bool write, uint64_t t, uint64_t *hpa)
{
    uint64_t tt = t, h = 0;
    if (iommu_translate(r->pf->iommu, rid, addr, 64, write, &tt, &h) < 0)
        return UINT64_MAX;
    if (hpa)
        *hpa = h;
    return tt - t;
}

/* An interrupt sink: the last outcome the IOMMU delivered, and how many. */
typedef struct sink {
    iommu_irq_outcome last;
    int n;
} sink;

static inline void on_irq(void *ctx, const iommu_irq_outcome *o)
{
    sink *s = ctx;
    s->last = *o;
    s->n++;
}

#endif
