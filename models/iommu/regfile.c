/* The IOMMU's register file (iommu.h, Registers): the registers as a table of widths
 * and masks with a handler each, their bytes, and the fault recording registers the
 * hardware fills. */
#include <assert.h>
#include <string.h>

#include "models/iommu/iommu.h"
#include "models/iommu/iommu_impl.h"
#include "models/iommu/iommu_regs.h"
#include "sim/alloc.h"

/* A handler runs after the write rule; `written` is what software wrote, at the
 * register's own bit positions, before the masks. It may advance *t. */
typedef void (*reg_write_fn)(iommu *u, uint32_t reg, uint64_t written, uint64_t *t);

typedef struct reg_def {
    uint32_t off;
    uint8_t bytes;      /* 4 or 8 */
    bool per_record;    /* repeated for every fault record, VTD_FRCD_BYTES apart */
    uint64_t wmask;     /* bits software writes */
    uint64_t w1cmask;   /* bits software clears by writing 1 */
    reg_write_fn on_write;
} reg_def;

static void on_gcmd(iommu *u, uint32_t reg, uint64_t written, uint64_t *t);
static void on_iqt(iommu *u, uint32_t reg, uint64_t written, uint64_t *t);
static void on_frcd_hi(iommu *u, uint32_t reg, uint64_t written, uint64_t *t);

static const reg_def reg_defs[] = {
    {VTD_VER_REG, 4, false, 0, 0, NULL},
    {VTD_CAP_REG, 8, false, 0, 0, NULL},
    {VTD_ECAP_REG, 8, false, 0, 0, NULL},
    {VTD_GCMD_REG, 4, false, VTD_GCMD_ENABLES | VTD_GCMD_SRTP | VTD_GCMD_SIRTP, 0, on_gcmd},
    {VTD_GSTS_REG, 4, false, 0, 0, NULL},
    {VTD_RTADDR_REG, 8, false, VTD_RTADDR_ADDR_MASK | VTD_RTADDR_TTM_MASK, 0, NULL},
    {VTD_FSTS_REG, 4, false, 0, VTD_FSTS_PFO | VTD_FSTS_IQE, NULL},
    {VTD_FECTL_REG, 4, false, VTD_FECTL_IM, 0, NULL},
    {VTD_IQH_REG, 8, false, 0, 0, NULL},
    {VTD_IQT_REG, 8, false, VTD_IQ_INDEX_MASK, 0, on_iqt},
    {VTD_IQA_REG, 8, false, VTD_IQA_ADDR_MASK | VTD_IQA_QS_MASK, 0, NULL},
    {VTD_ICS_REG, 4, false, 0, VTD_ICS_IWC, NULL},
    {VTD_IRTA_REG, 8, false, VTD_IRTA_ADDR_MASK | VTD_IRTA_EIME | VTD_IRTA_S_MASK, 0, NULL},
    {IOMMU_FRCD_OFF, 8, true, 0, 0, NULL},                   /* fault information */
    {IOMMU_FRCD_OFF + 8, 8, true, 0, VTD_FRCD_F, on_frcd_hi}, /* source, reason, F */
};
#define N_REGS (sizeof reg_defs / sizeof reg_defs[0])
_Static_assert(N_REGS < UINT8_MAX, "u->reg_row holds a row of reg_defs plus one in a byte");

#define HOST_IS_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* The register bytes are little-endian, as the hardware's are: a 4-byte access reads
 * the low or high half of a 64-bit register. */
uint64_t iommu_reg_get(const iommu *u, uint32_t off, unsigned size)
{
    assert(off + size <= u->reg_bytes && (size == 4 || size == 8));
    if (size == 4) {
        uint32_t v;
        memcpy(&v, u->regs + off, 4);
        return HOST_IS_LE ? v : __builtin_bswap32(v);
    }
    uint64_t v;
    memcpy(&v, u->regs + off, 8);
    return HOST_IS_LE ? v : __builtin_bswap64(v);
}

void iommu_reg_set(iommu *u, uint32_t off, unsigned size, uint64_t val)
{
    assert(off + size <= u->reg_bytes && (size == 4 || size == 8));
    if (size == 4) {
        uint32_t v = HOST_IS_LE ? (uint32_t)val : __builtin_bswap32((uint32_t)val);
        memcpy(u->regs + off, &v, 4);
        return;
    }
    uint64_t v = HOST_IS_LE ? val : __builtin_bswap64(val);
    memcpy(u->regs + off, &v, 8);
}

static uint32_t frcd_off(uint32_t index) { return IOMMU_FRCD_OFF + index * VTD_FRCD_BYTES; }

void iommu_regs_init(iommu *u)
{
    const iommu_cfg *c = &u->cfg;
    u->reg_bytes = frcd_off(c->fault_records);
    u->regs = sim_xcalloc(u->reg_bytes, 1);
    u->fault_t_ps = sim_xcalloc(c->fault_records, sizeof *u->fault_t_ps);
    u->fault_view = sim_xcalloc(c->fault_records, sizeof *u->fault_view);
    /* Each 4 bytes of the file name their register, so an access finds it in one step. */
    u->reg_row = sim_xcalloc(u->reg_bytes / 4, 1);
    for (size_t i = 0; i < N_REGS; i++) {
        const reg_def *r = &reg_defs[i];
        assert(r->off % r->bytes == 0);
        uint32_t copies = r->per_record ? c->fault_records : 1;
        for (uint32_t k = 0; k < copies; k++)
            for (uint32_t b = 0; b < r->bytes; b += 4)
                u->reg_row[(r->off + k * VTD_FRCD_BYTES + b) / 4] = (uint8_t)(i + 1);
    }
    uint64_t sagaw = 0;
    for (unsigned l = 3; l <= c->levels; l++)
        sagaw |= 1ull << (l - 2);
    uint64_t cap = VTD_CAP_ND_64K | sagaw << VTD_CAP_SAGAW_SHIFT |
                   (uint64_t)(12 + 9 * c->levels - 1) << VTD_CAP_MGAW_SHIFT |
                   (uint64_t)(IOMMU_FRCD_OFF / 16) << VTD_CAP_FRO_SHIFT | VTD_CAP_SLLPS_2M |
                   (c->superpage_1g ? VTD_CAP_SLLPS_1G : 0) | VTD_CAP_PSI |
                   (uint64_t)(c->fault_records - 1) << VTD_CAP_NFR_SHIFT |
                   0x3Full << VTD_CAP_MAMV_SHIFT | VTD_CAP_DWD | VTD_CAP_DRD;
    uint64_t ecap = VTD_ECAP_QI | VTD_ECAP_DT | VTD_ECAP_IR | VTD_ECAP_PT;
    if (c->scalable) /* 20-bit PASIDs, first-level, second-level and nested */
        ecap |= VTD_ECAP_NEST | 19ull << VTD_ECAP_PSS_SHIFT | VTD_ECAP_PASID | VTD_ECAP_SMTS |
                VTD_ECAP_SLTS | VTD_ECAP_FLTS;
    /* 1.0: the legacy-mode formats; 3.0: scalable mode's */
    iommu_reg_set(u, VTD_VER_REG, 4, c->scalable ? 0x30 : 0x10);
    iommu_reg_set(u, VTD_CAP_REG, 8, cap);
    iommu_reg_set(u, VTD_ECAP_REG, 8, ecap);
    iommu_reg_set(u, VTD_FECTL_REG, 4, VTD_FECTL_IM);
}

/* The register holding [off, off + size), and where it starts; NULL if none. Registers
 * are naturally aligned, so the start is the offset rounded down to the width. */
static const reg_def *find(const iommu *u, uint32_t off, unsigned size, uint32_t *start)
{
    if (off >= u->reg_bytes || !u->reg_row[off / 4])
        return NULL;
    const reg_def *r = &reg_defs[u->reg_row[off / 4] - 1];
    uint32_t at = off & ~(uint32_t)(r->bytes - 1);
    if (off + size > at + r->bytes)
        return NULL;
    *start = at;
    return r;
}

static bool aligned(uint32_t off, unsigned size)
{
    return (size == 4 || size == 8) && !(off & (size - 1));
}

uint64_t iommu_reg_read(iommu *u, uint32_t off, unsigned size)
{
    u->reg_counts.reads++;
    uint32_t at;
    if (!aligned(off, size)) {
        u->reg_counts.misaligned++;
        return size >= 8 ? UINT64_MAX : (1ull << 8 * size) - 1;
    }
    if (!find(u, off, size, &at)) {
        u->reg_counts.unknown++;
        return 0;
    }
    return iommu_reg_get(u, off, size);
}

uint64_t iommu_reg_write(iommu *u, uint64_t t_ps, uint32_t off, unsigned size, uint64_t val)
{
    u->reg_counts.writes++;
    uint32_t at;
    if (!aligned(off, size)) {
        u->reg_counts.misaligned++;
        return t_ps;
    }
    const reg_def *r = find(u, off, size, &at);
    if (!r) {
        u->reg_counts.unknown++;
        return t_ps;
    }
    if (!(r->wmask | r->w1cmask)) {
        u->reg_counts.ro_writes++;
        return t_ps;
    }
    /* The accessed bytes, at the register's bit positions. */
    unsigned shift = 8 * (off - at);
    uint64_t bytes = size == 8 ? UINT64_MAX : (uint64_t)UINT32_MAX << shift;
    uint64_t v = (size == 8 ? val : (val & UINT32_MAX) << shift) & bytes;
    uint64_t wm = r->wmask & bytes, w1c = r->w1cmask & bytes;
    uint64_t old = iommu_reg_get(u, at, r->bytes);
    uint64_t now = ((old & ~wm) | (v & wm)) & ~(v & w1c);
    iommu_reg_set(u, at, r->bytes, now);
    uint64_t t = t_ps;
    if (r->on_write)
        r->on_write(u, at, v, &t);
    return t;
}

iommu_reg_counters iommu_reg_counts(const iommu *u) { return u->reg_counts; }

void iommu_gcmd(iommu *u, uint32_t set)
{
    uint32_t keep = (uint32_t)iommu_reg_get(u, VTD_GSTS_REG, 4) & VTD_GCMD_ENABLES;
    iommu_reg_write(u, 0, VTD_GCMD_REG, 4, keep | set);
}

/* ---- handlers ----------------------------------------------------------------------- */

static void on_gcmd(iommu *u, uint32_t reg, uint64_t written, uint64_t *t)
{
    (void)t;
    uint32_t cmd = (uint32_t)written;
    uint32_t sts = (uint32_t)iommu_reg_get(u, VTD_GSTS_REG, 4);
    iommu_reg_set(u, reg, 4, 0); /* commands are not kept */
    if (cmd & VTD_GCMD_SRTP) {
        uint64_t rtaddr = iommu_reg_get(u, VTD_RTADDR_REG, 8);
        u->root_table = rtaddr & VTD_RTADDR_ADDR_MASK & (IOMMU_HAW_LIMIT - 1);
        /* Scalable mode only where ECAP.SMTS says the hardware has it. */
        u->sm = u->cfg.scalable && (rtaddr & VTD_RTADDR_TTM_MASK) == VTD_RTADDR_TTM_SCALABLE;
        sts |= VTD_GCMD_SRTP;
    }
    if (cmd & VTD_GCMD_SIRTP) {
        uint64_t irta = iommu_reg_get(u, VTD_IRTA_REG, 8);
        u->irt_base = irta & VTD_IRTA_ADDR_MASK & (IOMMU_HAW_LIMIT - 1);
        u->irt_entries = 2u << (irta & VTD_IRTA_S_MASK);
        sts |= VTD_GCMD_SIRTP;
    }
    if ((sts & VTD_GCMD_QIE) && !(cmd & VTD_GCMD_QIE))
        iommu_reg_set(u, VTD_IQH_REG, 8, 0); /* a disabled queue starts over */
    sts = (sts & ~VTD_GCMD_ENABLES) | (cmd & VTD_GCMD_ENABLES);
    iommu_reg_set(u, VTD_GSTS_REG, 4, sts);
    u->te = sts & VTD_GCMD_TE;
    u->ire = sts & VTD_GCMD_IRE;
    u->irq_compat_allowed = sts & VTD_GCMD_CFI;
}

static void on_iqt(iommu *u, uint32_t reg, uint64_t written, uint64_t *t)
{
    (void)reg;
    (void)written;
    if (iommu_reg_get(u, VTD_GSTS_REG, 4) & VTD_GCMD_QIE)
        *t = iommu_qi_fetch(u, *t);
}

static bool frcd_pending(const iommu *u, uint32_t index)
{
    return iommu_reg_get(u, frcd_off(index) + 8, 8) & VTD_FRCD_F;
}

size_t iommu_faults_recorded(const iommu *u)
{
    size_t n = 0;
    for (uint32_t i = 0; i < u->cfg.fault_records; i++)
        n += frcd_pending(u, i);
    return n;
}

static void on_frcd_hi(iommu *u, uint32_t reg, uint64_t written, uint64_t *t)
{
    (void)reg;
    (void)written;
    (void)t;
    if (!iommu_faults_recorded(u)) {
        uint32_t fsts = (uint32_t)iommu_reg_get(u, VTD_FSTS_REG, 4);
        iommu_reg_set(u, VTD_FSTS_REG, 4, fsts & ~(VTD_FSTS_PPF | VTD_FSTS_FRI_MASK));
    }
}

/* ---- fault recording ---------------------------------------------------------------- */

/* A fault in the next recording register; pv: FRCD.PP and the PASID, or 0. */
static void record(iommu *u, uint16_t rid, uint64_t pv, uint64_t addr, uint8_t reason, bool write,
                   bool interrupt, uint64_t t_ps)
{
    u->faults_total++;
    uint32_t fsts = (uint32_t)iommu_reg_get(u, VTD_FSTS_REG, 4);
    uint32_t i = u->frcd_next;
    if ((fsts & VTD_FSTS_PFO) || frcd_pending(u, i)) {
        u->fault_overflows++;
        iommu_reg_set(u, VTD_FSTS_REG, 4, fsts | VTD_FSTS_PFO);
        return;
    }
    uint64_t info = interrupt ? addr << VTD_FRCD_FI_IRQ_SHIFT : addr & VTD_FRCD_FI_MASK;
    uint64_t hi = VTD_FRCD_F | (write ? 0 : VTD_FRCD_T_READ) |
                  (uint64_t)reason << VTD_FRCD_FR_SHIFT | pv | rid;
    iommu_reg_set(u, frcd_off(i), 8, info);
    iommu_reg_set(u, frcd_off(i) + 8, 8, hi);
    u->fault_t_ps[i] = t_ps;
    if (!(fsts & VTD_FSTS_PPF))
        fsts = (fsts & ~VTD_FSTS_FRI_MASK) | VTD_FSTS_PPF | i << VTD_FSTS_FRI_SHIFT;
    iommu_reg_set(u, VTD_FSTS_REG, 4, fsts);
    u->frcd_next = (i + 1) % u->cfg.fault_records;
}

void iommu_record_fault(iommu *u, uint16_t rid, uint64_t addr, uint8_t reason, bool write,
                        bool interrupt, uint64_t t_ps)
{
    record(u, rid, 0, addr, reason, write, interrupt, t_ps);
}

void iommu_record_fault_pasid(iommu *u, uint16_t rid, uint32_t pasid, uint64_t addr,
                              uint8_t reason, bool write, uint64_t t_ps)
{
    uint64_t pv = VTD_FRCD_PP | (uint64_t)(pasid & VTD_FRCD_PV_MASK) << VTD_FRCD_PV_SHIFT;
    record(u, rid, pv, addr, reason, write, false, t_ps);
}

/* What a fault handler would read from the registers, decoded. Looking is not a
 * register access: the raw getter leaves iommu_reg_counts as software left them. */
const iommu_fault *iommu_fault_get(const iommu *u, size_t k)
{
    /* The oldest pending record is the first at or after the next one to be written. */
    for (uint32_t n = 0; n < u->cfg.fault_records; n++) {
        uint32_t i = (u->frcd_next + n) % u->cfg.fault_records;
        uint64_t hi = iommu_reg_get(u, frcd_off(i) + 8, 8);
        if (!(hi & VTD_FRCD_F) || k--)
            continue;
        uint64_t info = iommu_reg_get(u, frcd_off(i), 8);
        uint8_t reason = (uint8_t)(hi >> VTD_FRCD_FR_SHIFT);
        /* 20h..2Fh: interrupt remapping (scalable-mode DMA reasons start at 30h) */
        bool interrupt = reason >= VTD_FR_IR_REQ_RSVD && reason < 0x30;
        u->fault_view[i] = (iommu_fault){
            .rid = (uint16_t)(hi & VTD_FRCD_SID_MASK),
            .addr = interrupt ? info >> VTD_FRCD_FI_IRQ_SHIFT : info & VTD_FRCD_FI_MASK,
            .reason = reason, .write = !(hi & VTD_FRCD_T_READ), .interrupt = interrupt,
            .pasid_present = (hi & VTD_FRCD_PP) != 0,
            .pasid = (uint32_t)(hi >> VTD_FRCD_PV_SHIFT & VTD_FRCD_PV_MASK),
            .t_ps = u->fault_t_ps[i]};
        return &u->fault_view[i];
    }
    return NULL;
}

void iommu_faults_clear(iommu *u)
{
    for (uint32_t i = 0; i < u->cfg.fault_records; i++)
        if (frcd_pending(u, i))
            iommu_reg_write(u, 0, frcd_off(i) + 8, 8, VTD_FRCD_F);
    iommu_reg_write(u, 0, VTD_FSTS_REG, 4, VTD_FSTS_PFO);
}
