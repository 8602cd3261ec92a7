/* Queued invalidation (VT-d 6.5.2): the descriptor format software writes, and the
 * hardware that fetches descriptors from the queue when the tail register moves and
 * executes them in order. */
#include <stdbool.h>

#include "models/iommu/iommu.h"
#include "models/iommu/iommu_impl.h"
#include "models/iommu/iommu_regs.h"

static uint64_t am_for(uint64_t bytes, uint64_t *align_bytes)
{
    uint64_t pages = (bytes + 4095) / 4096, am = 0;
    while ((1ull << am) < pages)
        am++;
    *align_bytes = 4096ull << am;
    return am;
}

void iommu_inv_encode(const iommu_inv *v, uint64_t desc[2])
{
    uint64_t g, align;
    uint64_t *lo = &desc[0], *hi = &desc[1];
    *lo = *hi = 0;
    switch (v->kind) {
    case IOMMU_INV_IOTLB_GLOBAL:
    case IOMMU_INV_IOTLB_DOMAIN:
    case IOMMU_INV_IOTLB_PAGE:
        g = v->kind == IOMMU_INV_IOTLB_GLOBAL ? VTD_INV_G_GLOBAL
          : v->kind == IOMMU_INV_IOTLB_DOMAIN ? VTD_INV_G_DOMAIN : VTD_INV_G_PAGE;
        *lo = VTD_INV_DESC_IOTLB | g << VTD_INV_DESC_G_SHIFT | VTD_INV_DESC_IOTLB_DR |
              VTD_INV_DESC_IOTLB_DW | (uint64_t)v->did << VTD_INV_DESC_DID_SHIFT;
        if (v->kind == IOMMU_INV_IOTLB_PAGE) {
            uint64_t am = am_for(v->bytes, &align);
            *hi = (v->addr & ~(align - 1)) | (v->keep_tables ? 1ull << 6 : 0) | am;
        }
        break;
    case IOMMU_INV_CTX_GLOBAL:
    case IOMMU_INV_CTX_DOMAIN:
    case IOMMU_INV_CTX_DEVICE:
        g = v->kind == IOMMU_INV_CTX_GLOBAL ? VTD_INV_G_GLOBAL
          : v->kind == IOMMU_INV_CTX_DOMAIN ? VTD_INV_G_DOMAIN : VTD_INV_G_DEVICE;
        *lo = VTD_INV_DESC_CC | g << VTD_INV_DESC_G_SHIFT |
              (uint64_t)v->did << VTD_INV_DESC_DID_SHIFT |
              (uint64_t)v->rid << VTD_INV_DESC_CC_SID_SHIFT;
        break;
    case IOMMU_INV_DEVTLB: {
        *lo = VTD_INV_DESC_DEVICE | (uint64_t)v->rid << VTD_INV_DESC_DEV_SID_SHIFT;
        uint64_t size = 4096;
        while (size < v->bytes)
            size <<= 1;
        uint64_t a = v->addr & ~(size - 1);
        /* PCIe ATS range encoding: S set, address bits below the size are 0111...1. */
        *hi = size > 4096 ? (a | (((size >> 1) - 1) & ~0xFFFull) | VTD_INV_DESC_DEV_SIZE) : a;
        break;
    }
    case IOMMU_INV_IEC_GLOBAL:
        *lo = VTD_INV_DESC_IEC;
        break;
    case IOMMU_INV_IEC_INDEX:
        *lo = VTD_INV_DESC_IEC | 1ull << VTD_INV_DESC_G_SHIFT | (uint64_t)v->index << 32;
        break;
    case IOMMU_INV_PIOTLB_PASID:
    case IOMMU_INV_PIOTLB_PAGE:
        /* Linux qi_flush_piotlb: npages -1 is the whole PASID, else a PSI with 2^AM pages. */
        g = v->kind == IOMMU_INV_PIOTLB_PASID ? VTD_PIOTLB_G_PASID : VTD_PIOTLB_G_PAGE;
        *lo = VTD_INV_DESC_PIOTLB | g << VTD_INV_DESC_G_SHIFT |
              (uint64_t)v->did << VTD_INV_DESC_DID_SHIFT |
              (uint64_t)(v->pasid & VTD_INV_DESC_PASID_MASK) << VTD_INV_DESC_PASID_SHIFT;
        if (v->kind == IOMMU_INV_PIOTLB_PAGE) {
            uint64_t am = am_for(v->bytes, &align);
            *hi = (v->addr & ~(align - 1)) | (v->keep_tables ? 1ull << 6 : 0) | am;
        }
        break;
    case IOMMU_INV_PASID_CACHE_DOMAIN:
    case IOMMU_INV_PASID_CACHE_PASID:
    case IOMMU_INV_PASID_CACHE_GLOBAL:
        /* Linux qi_flush_pasid_cache. */
        g = v->kind == IOMMU_INV_PASID_CACHE_DOMAIN ? VTD_PC_G_DOMAIN
          : v->kind == IOMMU_INV_PASID_CACHE_PASID  ? VTD_PC_G_PASID : VTD_PC_G_GLOBAL;
        *lo = VTD_INV_DESC_PC | g << VTD_INV_DESC_G_SHIFT |
              (uint64_t)v->did << VTD_INV_DESC_DID_SHIFT |
              (uint64_t)(v->pasid & VTD_INV_DESC_PASID_MASK) << VTD_INV_DESC_PASID_SHIFT;
        break;
    }
}

void iommu_inv_encode_wait(uint32_t data, uint64_t status_addr, uint64_t desc[2])
{
    desc[0] = VTD_INV_DESC_WAIT | VTD_INV_DESC_WAIT_SW |
              (uint64_t)data << VTD_INV_DESC_WAIT_DATA_SHIFT;
    desc[1] = status_addr;
}

/* Decodes a device-TLB invalidation's range. */
static void devtlb_range(uint64_t hi, uint64_t *addr, uint64_t *bytes)
{
    uint64_t a = hi & ~0xFFFull;
    if (!(hi & VTD_INV_DESC_DEV_SIZE)) {
        *addr = a;
        *bytes = 4096;
        return;
    }
    unsigned ones = 0;
    while (ones < 52 && (a >> (12 + ones) & 1))
        ones++;
    if (12 + ones + 1 >= 64) { /* 2^64 bytes or more: the whole device TLB */
        *addr = 0;
        *bytes = UINT64_MAX;
        return;
    }
    *bytes = 1ull << (12 + ones + 1);
    *addr = a & ~(*bytes - 1);
}

/* Executes the descriptor at `da`, fetched by time *t; advances *t to when it is done.
 * False for a descriptor type the IOMMU does not know. */
static bool execute(iommu *u, uint64_t da, uint64_t *tp)
{
    uint64_t t = *tp;
    uint64_t lo = mem_phys_read_u64(u->pm, da), hi = mem_phys_read_u64(u->pm, da + 8);
    unsigned type = (unsigned)(lo & 0xF);
    unsigned g = (unsigned)(lo >> VTD_INV_DESC_G_SHIFT) & 3;
    uint16_t did = (uint16_t)(lo >> VTD_INV_DESC_DID_SHIFT);
    uint32_t dropped = 0;
    u->inv_descs++;
    switch (type) {
    case VTD_INV_DESC_IOTLB:
        u->inv_iotlb++;
        /* In scalable mode the domain's first-level caches go too (every PASID). */
        if (g == VTD_INV_G_GLOBAL) {
            dropped += iommu_tlb_inv_all(u->iotlb);
            for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
                dropped += iommu_tlb_inv_all(u->pwc[l]);
            for (unsigned l = 2; u->sm && l <= IOMMU_MAX_LEVELS; l++)
                dropped += iommu_tlb_inv_all(u->flpwc[l]);
        } else if (g == VTD_INV_G_DOMAIN) {
            dropped += iommu_tlb_inv_domain(u->iotlb, did);
            for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
                dropped += iommu_tlb_inv_domain(u->pwc[l], did);
            for (unsigned l = 2; u->sm && l <= IOMMU_MAX_LEVELS; l++)
                dropped += iommu_tlb_inv_domain(u->flpwc[l], did);
        } else {
            uint64_t am = hi & VTD_INV_DESC_IOTLB_AM_MASK;
            /* 2^AM pages; from AM = 52 on that is all of the 64-bit space (MAMV is 63) */
            uint64_t addr = hi & ~0xFFFull, bytes = am < 52 ? 4096ull << am : UINT64_MAX;
            dropped += iommu_tlb_inv_range(u->iotlb, did, addr, bytes);
            if (!(hi & (1ull << 6)))
                for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
                    dropped += iommu_tlb_inv_range(u->pwc[l], did, addr, bytes);
            for (unsigned l = 2; u->sm && !(hi & (1ull << 6)) && l <= IOMMU_MAX_LEVELS; l++)
                dropped += iommu_tlb_inv_range(u->flpwc[l], did, addr, bytes);
        }
        t += u->cfg.inv_iotlb_ps;
        break;
    case VTD_INV_DESC_PIOTLB: {
        if (!u->sm)
            return false; /* a legacy-mode IOMMU has no such descriptor */
        u->inv_piotlb++;
        uint32_t pasid = (uint32_t)(lo >> VTD_INV_DESC_PASID_SHIFT & VTD_INV_DESC_PASID_MASK);
        if (g == VTD_PIOTLB_G_PASID) {
            dropped += iommu_tlb_inv_pasid(u->iotlb, did, pasid);
            for (unsigned l = 2; l <= IOMMU_MAX_LEVELS; l++)
                dropped += iommu_tlb_inv_pasid(u->flpwc[l], did, pasid);
        } else {
            uint64_t am = hi & VTD_INV_DESC_IOTLB_AM_MASK;
            uint64_t addr = hi & ~0xFFFull, bytes = am < 52 ? 4096ull << am : UINT64_MAX;
            dropped += iommu_tlb_inv_pasid_range(u->iotlb, did, pasid, addr, bytes);
            for (unsigned l = 2; !(hi & (1ull << 6)) && l <= IOMMU_MAX_LEVELS; l++)
                dropped += iommu_tlb_inv_pasid_range(u->flpwc[l], did, pasid, addr, bytes);
        }
        t += u->cfg.inv_iotlb_ps;
        break;
    }
    case VTD_INV_DESC_PC:
        if (!u->sm)
            return false;
        u->inv_pasid_cache++;
        dropped += iommu_pasid_cache_invalidate(
            u, g, did, (uint32_t)(lo >> VTD_INV_DESC_PASID_SHIFT & VTD_INV_DESC_PASID_MASK));
        t += u->cfg.inv_ctx_ps; /* assumed: as a context-cache invalidation */
        break;
    case VTD_INV_DESC_CC: {
        u->inv_ctx++;
        uint16_t sid = (uint16_t)(lo >> VTD_INV_DESC_CC_SID_SHIFT);
        for (uint32_t i = 0; i < u->cfg.ctx_entries; i++) {
            iommu_ctx_entry *c = &u->ctx[i];
            if (c->valid && (g == VTD_INV_G_GLOBAL || (g == VTD_INV_G_DOMAIN && c->did == did) ||
                             (g == VTD_INV_G_DEVICE && c->rid == sid))) {
                c->valid = 0;
                dropped++;
            }
        }
        t += u->cfg.inv_ctx_ps;
        break;
    }
    case VTD_INV_DESC_DEVICE: {
        u->inv_devtlb++;
        uint16_t sid = (uint16_t)(lo >> VTD_INV_DESC_DEV_SID_SHIFT);
        uint64_t addr, bytes;
        devtlb_range(hi, &addr, &bytes);
        dropped += iommu_tlb_inv_range(u->devtlb, sid, addr, bytes);
        iommu_ats_dev *a = iommu_ats_of(u, sid);
        if (a) {
            /* Invalidate Request message down, the device's work, Invalidate Completion
             * message up (PCIe ATS 3.x: MsgD with the range, then Msg). */
            uint64_t at_dev = pcie_link_send(a->link, PCIE_DOWN, t + a->rc_latency_ps,
                                             PCIE_TLP_MSGD, 0, 8);
            uint64_t answered = at_dev + u->cfg.inv_devtlb_ps;
            t = pcie_link_send(a->link, PCIE_UP, answered, PCIE_TLP_MSG, 0, 0) + a->rc_latency_ps;
        }
        break;
    }
    case VTD_INV_DESC_IEC:
        u->inv_iec++;
        dropped += iommu_iec_invalidate(u, g == 0, (uint32_t)(lo >> 32));
        t += u->cfg.inv_iec_ps;
        break;
    case VTD_INV_DESC_WAIT:
        if ((lo & VTD_INV_DESC_WAIT_SW) && hi > IOMMU_HAW_LIMIT - 4)
            return false; /* a status address beyond the host address width */
        if (lo & VTD_INV_DESC_WAIT_SW) {
            t = mem_write(u->mem, t, hi, 4);
            mem_phys_write_u32(u->pm, hi, (uint32_t)(lo >> VTD_INV_DESC_WAIT_DATA_SHIFT));
        }
        *tp = t;
        return true;
    default:
        return false;
    }
    u->invalidations++;
    u->inv_entries_dropped += dropped;
    *tp = t;
    return true;
}

uint64_t iommu_qi_fetch(iommu *u, uint64_t t)
{
    uint64_t iqa = iommu_reg_get(u, VTD_IQA_REG, 8);
    uint64_t base = iqa & VTD_IQA_ADDR_MASK & (IOMMU_HAW_LIMIT - 1);
    uint32_t size = VTD_IQ_DESCS_PER_PAGE << (iqa & VTD_IQA_QS_MASK);
    uint32_t head = (uint32_t)(iommu_reg_get(u, VTD_IQH_REG, 8) >> VTD_IQ_INDEX_SHIFT);
    uint32_t tail = (uint32_t)(iommu_reg_get(u, VTD_IQT_REG, 8) >> VTD_IQ_INDEX_SHIFT);
    uint32_t fsts = (uint32_t)iommu_reg_get(u, VTD_FSTS_REG, 4);
    if (tail >= size) {
        iommu_reg_set(u, VTD_FSTS_REG, 4, fsts | VTD_FSTS_IQE);
        return t;
    }
    if (head == tail)
        return t;
    t += u->cfg.qi_doorbell_ps;
    for (; head != tail; head = (head + 1) % size) {
        uint64_t da = base + (uint64_t)head * VTD_INV_DESC_BYTES;
        t = mem_read(u->mem, t, da, VTD_INV_DESC_BYTES);
        if (!execute(u, da, &t)) {
            /* The queue stops at the bad descriptor: IQH points to it. */
            iommu_reg_set(u, VTD_FSTS_REG, 4, fsts | VTD_FSTS_IQE);
            break;
        }
    }
    iommu_reg_set(u, VTD_IQH_REG, 8, (uint64_t)head << VTD_IQ_INDEX_SHIFT);
    return t;
}

iommu_qi_driver *iommu_qi_driver_of(iommu *u) { return &u->qi_driver; }
