#include "systems/platform.h"

#include <stdlib.h>

#include "models/iommu/irq_remap.h"
#include "sim/alloc.h"

void platform_register_params(sim_params *p)
{
    mem_register_params(p);
    pcie_link_register_params(p);
    pcie_rc_register_params(p);
    iommu_register_params(p);
    iommu_dma_register_params(p);
}

int platform_check(const sim_params *p, sim_err *e)
{
    if (pcie_link_check(p, e) < 0 || pcie_rc_check(p, e) < 0 || mem_check(p, e) < 0 || iommu_check(p, e) < 0 ||
        iommu_dma_check(p, e) < 0)
        return -1;
    return 0;
}

int platform_check_buffer(const sim_params *p, const char *what, uint64_t base, uint64_t bytes,
                          uint64_t mmio_base, sim_err *e)
{
    uint64_t end = base + bytes;
    if (end < base || end > 1ull << 52)
        return sim_err_set(e, "%s [%#llx, %#llx) is beyond 52-bit host physical addresses",
                           what, (unsigned long long)base, (unsigned long long)end);
    iommu_dma_cfg dc;
    iommu_dma_config(p, &dc);
    /* Device writes to the first two would be interrupts or reach the device's own
     * registers; the IOMMU reads the third as its tables. */
    const struct {
        const char *name;
        uint64_t base, bytes;
        bool present;
    } taken[] = {
        {"the MSI window", PCIE_MSI_BASE, PCIE_MSI_SIZE, true},
        {"the device MMIO window", mmio_base, PLATFORM_MMIO_WINDOW_BYTES, true},
        {"the IOMMU's tables at", PLATFORM_IOMMU_TABLES_BASE, PLATFORM_IOMMU_TABLES_BYTES,
         dc.mode != IOMMU_DMA_OFF},
    };
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
        if (taken[i].present && base < taken[i].base + taken[i].bytes && end > taken[i].base)
            return sim_err_set(e, "%s [%#llx, %#llx) overlaps %s [%#llx, %#llx)", what,
                               (unsigned long long)base, (unsigned long long)end, taken[i].name,
                               (unsigned long long)taken[i].base,
                               (unsigned long long)(taken[i].base + taken[i].bytes));
    return 0;
}

platform *platform_create(const sim_ctx *ctx, const sys_observers *obs, bool with_iommu)
{
    const sim_params *p = ctx->params;
    platform *pf = sim_xcalloc(1, sizeof *pf);
    if (obs)
        pf->obs = *obs;
    pf->mem = mem_create(p, ctx->stats);
    pf->pm = mem_phys_create();
    pf->link = pcie_link_create(p, ctx->stats, "pcie");
    if (pf->obs.timeline)
        pcie_link_set_timeline(pf->link, pf->obs.timeline, "pcie");
    pf->rc = pcie_rc_create(p, ctx->stats, ctx->kernel, pf->link, pf->mem);
    pcie_rc_set_physmem(pf->rc, pf->pm);
    if (pf->obs.rc_request)
        pcie_rc_set_observer(pf->rc, pf->obs.rc_request, pf->obs.rc_request_ctx);
    pf->bus = pcie_cfg_bus_create();
    iommu_dma_cfg dc;
    iommu_dma_config(p, &dc);
    if (with_iommu || dc.mode != IOMMU_DMA_OFF) {
        pf->iommu = iommu_create(p, ctx->stats, pf->mem, pf->pm, PLATFORM_IOMMU_TABLES_BASE,
                                 PLATFORM_IOMMU_TABLES_BYTES);
        pcie_rc_set_translate(pf->rc, iommu_rc_translate, pf->iommu);
        if (pf->obs.timeline)
            iommu_set_timeline(pf->iommu, pf->obs.timeline);
        pcie_rc_set_msi(pf->rc, iommu_msi, pf->iommu);
    }
    return pf;
}

void platform_destroy(platform *pf)
{
    if (!pf)
        return;
    pcie_cfg_bus_destroy(pf->bus);
    iommu_destroy(pf->iommu);
    pcie_rc_destroy(pf->rc);
    pcie_link_destroy(pf->link);
    mem_phys_destroy(pf->pm);
    mem_destroy(pf->mem);
    free(pf);
}

pcie_cfg *platform_boot(platform *pf, uint64_t mmio_base, uint64_t mmio_bytes, sim_err *e)
{
    uint16_t rids[8];
    size_t n = pcie_cfg_bus_enumerate(pf->bus, 2, rids, 8);
    if (n != 1 || rids[0] != PLATFORM_DEVICE_RID) {
        sim_err_set(e, "platform: boot found %zu functions on the bus, not one at 01:00.0", n);
        return NULL;
    }
    if (pcie_cfg_bus_assign_bars(pf->bus, rids, n, mmio_base, mmio_bytes, NULL)) {
        sim_err_set(e, "platform: the device's BARs do not fit the %llu MiB MMIO window at %#llx",
                    (unsigned long long)(mmio_bytes >> 20), (unsigned long long)mmio_base);
        return NULL;
    }
    pcie_cfg *fn = pcie_cfg_bus_lookup(pf->bus, PLATFORM_DEVICE_RID);
    const pcie_link_cfg *lc = pcie_link_config(pf->link);
    if (!pcie_cfg_exp_set_mps_mrrs(fn, lc->mps_bytes, lc->mrrs_bytes)) {
        sim_err_set(e, "platform: the device has no PCI Express capability for MPS and MRRS");
        return NULL;
    }
    return fn;
}

/* Domain did mapping [base, base + bytes), rounded out to pages, to itself; NULL with
 * *e set. */
static iommu_domain *identity_domain(platform *pf, uint16_t did, uint64_t base, uint64_t bytes,
                                     uint64_t page_bytes, sim_err *e)
{
    iommu_domain *d = iommu_domain_create(pf->iommu, did);
    if (!d) {
        sim_err_set(e, "platform: no IOMMU domain %u", did);
        return NULL;
    }
    uint64_t lo = base & ~(page_bytes - 1);
    uint64_t hi = (base + bytes + page_bytes - 1) & ~(page_bytes - 1);
    if (iommu_domain_map(d, lo, lo, hi - lo, page_bytes, IOMMU_READ | IOMMU_WRITE, e) < 0)
        return NULL;
    return d;
}

int platform_assign_identity_pasid(platform *pf, uint16_t rid, uint32_t pasid, uint16_t did,
                                   uint64_t base, uint64_t bytes, uint64_t page_bytes,
                                   sim_err *e)
{
    iommu_domain *d = identity_domain(pf, did, base, bytes, page_bytes, e);
    if (!d)
        return -1;
    iommu_pasid_setup s = {.pgtt = IOMMU_PGTT_SL, .sl = d};
    return iommu_pasid_set(pf->iommu, rid, pasid, &s, e);
}

int platform_assign_identity(platform *pf, uint16_t rid, uint16_t did, uint64_t base,
                             uint64_t bytes, uint64_t page_bytes, sim_err *e)
{
    iommu_domain *d = identity_domain(pf, did, base, bytes, page_bytes, e);
    if (!d)
        return -1;
    if (iommu_attach(pf->iommu, rid, d) < 0)
        return sim_err_set(e, "platform: cannot attach %02x:%02x.%x to IOMMU domain %u",
                           rid >> 8, (rid >> 3) & 0x1f, rid & 7, did);
    return 0;
}

iommu_dma *platform_dma_api_create(const platform *pf, const sim_params *p, sim_stats *s,
                                   uint16_t rid, uint16_t did, unsigned addr_bits, sim_err *e)
{
    iommu_dma *d = iommu_dma_create(p, s, pf->iommu, pf->mem, pf->pm, rid, did, addr_bits,
                                    PLATFORM_BOUNCE_BASE, PLATFORM_BOUNCE_BYTES, e);
    if (d && pf->obs.dma_api)
        iommu_dma_set_observer(d, pf->obs.dma_api, pf->obs.dma_api_ctx);
    return d;
}
