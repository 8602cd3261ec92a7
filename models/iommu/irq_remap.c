#include "models/iommu/irq_remap.h"

#include <assert.h>

#include "models/iommu/iommu_impl.h"
#include "models/iommu/iommu_regs.h"
#include "models/pcie/rc.h"

int iommu_irq_table_init(iommu *u, unsigned s)
{
    if (s > 15)
        return -1;
    uint32_t entries = 1u << (s + 1);
    uint64_t bytes = (uint64_t)entries * VTD_IRTE_BYTES;
    uint64_t base = mem_phys_arena_alloc(&u->arena, bytes < 4096 ? 4096 : bytes, 4096);
    if (base == MEM_PHYS_NONE)
        return -1;
    mem_phys_fill(u->pm, base, 0, bytes);
    /* As the driver does: the table's address and size, latch it, enable remapping. */
    iommu_reg_write(u, 0, VTD_IRTA_REG, 8, base | s);
    iommu_gcmd(u, VTD_GCMD_SIRTP);
    iommu_gcmd(u, VTD_GCMD_IRE);
    assert(u->ire && u->irt_base == base && u->irt_entries == entries);
    return 0;
}

int iommu_irq_table_init_for(iommu *u, uint32_t entries)
{
    unsigned s = 0;
    while ((2u << s) < entries && s < 15)
        s++;
    return iommu_irq_table_init(u, s);
}

/* The entries of the table in use: none while remapping is off (GSTS.IRES clear). */
static uint32_t table_entries(const iommu *u) { return u->ire ? u->irt_entries : 0; }

uint32_t iommu_irq_table_entries(const iommu *u) { return table_entries(u); }

static void write_irte(iommu *u, uint32_t index, uint64_t lo, uint64_t hi)
{
    uint64_t a = u->irt_base + (uint64_t)index * VTD_IRTE_BYTES;
    /* Software writes the high half first and sets present last. */
    mem_phys_write_u64(u->pm, a + 8, hi);
    mem_phys_write_u64(u->pm, a, lo);
    mem_touch(u->mem, a, VTD_IRTE_BYTES);
}

int iommu_irte_set_remapped(iommu *u, uint32_t index, uint16_t sid, uint32_t dest, uint8_t vector)
{
    if (index >= table_entries(u))
        return -1;
    uint64_t lo = VTD_IRTE_P | (uint64_t)vector << VTD_IRTE_VECTOR_SHIFT |
                  (uint64_t)dest << VTD_IRTE_DST_SHIFT;
    uint64_t hi = sid | (uint64_t)VTD_IRTE_SVT_SID << VTD_IRTE_SVT_SHIFT;
    write_irte(u, index, lo, hi);
    return 0;
}

int iommu_irte_set_posted(iommu *u, uint32_t index, uint16_t sid, uint64_t pd_addr,
                          uint8_t vector, bool urgent)
{
    if (index >= table_entries(u) || (pd_addr & (VTD_PID_BYTES - 1)))
        return -1;
    uint64_t lo = VTD_IRTE_P | VTD_IRTE_IM | (urgent ? VTD_IRTE_URG : 0) |
                  (uint64_t)vector << VTD_IRTE_VECTOR_SHIFT |
                  ((pd_addr & 0xFFFFFFFFull) >> 6) << VTD_IRTE_PDA_LO_SHIFT;
    uint64_t hi = sid | (uint64_t)VTD_IRTE_SVT_SID << VTD_IRTE_SVT_SHIFT |
                  (pd_addr >> 32) << VTD_IRTE_PDA_HI_SHIFT;
    write_irte(u, index, lo, hi);
    return 0;
}

void iommu_irte_clear(iommu *u, uint32_t index)
{
    if (index < table_entries(u))
        write_irte(u, index, 0, 0);
}

uint64_t iommu_pid_create(iommu *u, uint8_t notify_vector, uint32_t notify_dest)
{
    uint64_t a = mem_phys_arena_alloc(&u->arena, VTD_PID_BYTES, VTD_PID_BYTES);
    if (a == MEM_PHYS_NONE)
        return 0;
    mem_phys_fill(u->pm, a, 0, VTD_PID_BYTES);
    mem_phys_write_u64(u->pm, a + VTD_PID_CTL_OFF,
                       (uint64_t)notify_vector << VTD_PID_NV_SHIFT |
                           (uint64_t)notify_dest << VTD_PID_NDST_SHIFT);
    return a;
}

bool iommu_pid_pending(const iommu *u, uint64_t pd_addr, uint8_t vector)
{
    uint64_t w = mem_phys_read_u64(u->pm, pd_addr + VTD_PID_PIR_OFF + (vector / 64u) * 8u);
    return (w >> (vector % 64u)) & 1;
}

bool iommu_pid_on(const iommu *u, uint64_t pd_addr)
{
    return mem_phys_read_u64(u->pm, pd_addr + VTD_PID_CTL_OFF) & VTD_PID_ON;
}

unsigned iommu_pid_drain(iommu *u, uint64_t pd_addr)
{
    unsigned n = 0;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t w = mem_phys_read_u64(u->pm, pd_addr + VTD_PID_PIR_OFF + i * 8u);
        n += (unsigned)__builtin_popcountll(w);
        mem_phys_write_u64(u->pm, pd_addr + VTD_PID_PIR_OFF + i * 8u, 0);
    }
    uint64_t ctl = mem_phys_read_u64(u->pm, pd_addr + VTD_PID_CTL_OFF);
    mem_phys_write_u64(u->pm, pd_addr + VTD_PID_CTL_OFF, ctl & ~VTD_PID_ON);
    return n;
}

void iommu_pid_set_sn(iommu *u, uint64_t pd_addr, bool suppress)
{
    uint64_t ctl = mem_phys_read_u64(u->pm, pd_addr + VTD_PID_CTL_OFF);
    ctl = suppress ? ctl | VTD_PID_SN : ctl & ~VTD_PID_SN;
    mem_phys_write_u64(u->pm, pd_addr + VTD_PID_CTL_OFF, ctl);
}

uint64_t iommu_msi_addr(uint32_t index)
{
    return PCIE_MSI_BASE | (uint64_t)(index & VTD_MSI_ADDR_HANDLE_LO_MASK) << VTD_MSI_ADDR_HANDLE_LO_SHIFT |
           VTD_MSI_ADDR_IF | ((index >> 15) & 1 ? VTD_MSI_ADDR_HANDLE_HI : 0);
}

void iommu_set_irq_sink(iommu *u, iommu_irq_fn fn, void *ctx)
{
    u->irq_fn = fn;
    u->irq_ctx = ctx;
}

uint32_t iommu_iec_invalidate(iommu *u, bool global, uint32_t index)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < u->cfg.iec_entries; i++)
        if (u->iec[i].valid && (global || u->iec[i].index == index)) {
            u->iec[i].valid = 0;
            n++;
        }
    return n;
}

/* The IRTE at index through the interrupt entry cache; *t advanced by a miss's read. */
static void irte_of(iommu *u, uint32_t index, uint64_t *t, uint64_t *lo, uint64_t *hi)
{
    for (uint32_t i = 0; i < u->cfg.iec_entries; i++) {
        iommu_iec_entry *c = &u->iec[i];
        if (c->valid && c->index == index) {
            c->last_use = ++u->iec_tick;
            u->iec_hits++;
            *lo = c->lo;
            *hi = c->hi;
            return;
        }
    }
    u->iec_misses++;
    uint64_t a = u->irt_base + (uint64_t)index * VTD_IRTE_BYTES;
    *t = mem_read(u->mem, *t, a, VTD_IRTE_BYTES);
    *lo = mem_phys_read_u64(u->pm, a);
    *hi = mem_phys_read_u64(u->pm, a + 8);
    /* Only present entries are cached, so a later fix of the entry is seen. */
    if (!(*lo & VTD_IRTE_P) || !u->cfg.iec_entries)
        return;
    iommu_iec_entry *victim = &u->iec[0];
    for (uint32_t i = 1; i < u->cfg.iec_entries && victim->valid; i++)
        if (!u->iec[i].valid || u->iec[i].last_use < victim->last_use)
            victim = &u->iec[i];
    *victim = (iommu_iec_entry){.lo = *lo, .hi = *hi, .index = index, .valid = 1,
                                .last_use = ++u->iec_tick};
}

static bool source_ok(uint64_t hi, uint16_t rid)
{
    unsigned svt = (unsigned)(hi >> VTD_IRTE_SVT_SHIFT) & 3;
    uint16_t sid = (uint16_t)(hi & VTD_IRTE_SID_MASK);
    unsigned sq = (unsigned)(hi >> VTD_IRTE_SQ_SHIFT) & 3;
    switch (svt) {
    case VTD_IRTE_SVT_NONE: return true;
    case VTD_IRTE_SVT_SID: {
        /* SQ masks function-number bits: 01b ignores bit 2, 10b bits 2:1, 11b all three. */
        static const uint16_t mask[4] = {0xFFFF, 0xFFFB, 0xFFF9, 0xFFF8};
        return (sid & mask[sq]) == (rid & mask[sq]);
    }
    case VTD_IRTE_SVT_BUS: {
        unsigned bus = rid >> 8;
        return bus >= (unsigned)(sid >> 8) && bus <= (unsigned)(sid & 0xFF);
    }
    default: return false;
    }
}

static void deliver(iommu *u, const iommu_irq_outcome *o)
{
    if (u->irq_fn)
        u->irq_fn(u->irq_ctx, o);
}

static void block(iommu *u, iommu_irq_outcome *o, uint8_t reason, uint64_t fpd_lo)
{
    u->irq_blocked++;
    o->kind = IOMMU_IRQ_BLOCKED;
    o->fault_reason = reason;
    if (fpd_lo & VTD_IRTE_FPD)
        u->faults_total++;
    else
        iommu_record_fault(u, o->rid, o->index, reason, true, true, o->t_ps);
    deliver(u, o);
}

void iommu_msi(void *ctx, uint16_t rid, uint64_t addr, uint32_t data, uint64_t t_ps)
{
    iommu *u = ctx;
    iommu_irq_outcome o = {.rid = rid, .t_ps = t_ps};
    uint32_t a = (uint32_t)addr, entries = table_entries(u);
    if (!(a & VTD_MSI_ADDR_IF)) {
        if (entries && !u->irq_compat_allowed) {
            block(u, &o, VTD_FR_IR_REQ_COMPAT, 0);
            return;
        }
        u->irq_compat++;
        o.kind = IOMMU_IRQ_COMPAT;
        o.dest = (a >> VTD_MSI_ADDR_COMPAT_DEST_SHIFT) & 0xFF;
        o.vector = (uint8_t)data;
        deliver(u, &o);
        return;
    }
    if (!entries) {
        block(u, &o, VTD_FR_IR_ROOT_INVAL, 0);
        return;
    }
    uint32_t index = (a >> VTD_MSI_ADDR_HANDLE_LO_SHIFT) & VTD_MSI_ADDR_HANDLE_LO_MASK;
    if (a & VTD_MSI_ADDR_HANDLE_HI)
        index |= 1u << 15;
    if (a & VTD_MSI_ADDR_SHV)
        index += data & 0xFFFF;
    o.index = index;
    if (index >= entries) {
        block(u, &o, VTD_FR_IR_INDEX_OVER, 0);
        return;
    }
    uint64_t lo, hi;
    irte_of(u, index, &o.t_ps, &lo, &hi);
    o.t_ps += u->cfg.irq_remap_ps;
    if (!(lo & VTD_IRTE_P)) {
        block(u, &o, VTD_FR_IR_ENTRY_P, lo);
        return;
    }
    bool posted = lo & VTD_IRTE_IM;
    if (lo & (posted ? VTD_IRTE_RSVD_LO_POSTED : VTD_IRTE_RSVD_LO_REMAP)) {
        block(u, &o, VTD_FR_IR_IRTE_RSVD, lo);
        return;
    }
    if (posted && ((hi >> VTD_IRTE_PDA_HI_SHIFT) << 32) >= IOMMU_HAW_LIMIT) {
        block(u, &o, VTD_FR_IR_IRTE_RSVD, lo); /* a descriptor beyond the host address width */
        return;
    }
    if (!source_ok(hi, rid)) {
        block(u, &o, VTD_FR_IR_SID_ERR, lo);
        return;
    }
    u->irq_remaps++;
    o.vector = (uint8_t)((lo & VTD_IRTE_VECTOR_MASK) >> VTD_IRTE_VECTOR_SHIFT);
    if (!posted) {
        o.kind = IOMMU_IRQ_REMAPPED;
        o.dest = (uint32_t)(lo >> VTD_IRTE_DST_SHIFT);
        deliver(u, &o);
        return;
    }
    /* Posting: an atomic update of the descriptor (read, set PIR bit and ON, write). */
    u->irq_posted++;
    uint64_t pd = ((lo >> VTD_IRTE_PDA_LO_SHIFT) << 6) | (hi >> VTD_IRTE_PDA_HI_SHIFT) << 32;
    o.kind = IOMMU_IRQ_POSTED;
    o.pd_addr = pd;
    o.urgent = (lo & VTD_IRTE_URG) != 0;
    o.t_ps = mem_read(u->mem, o.t_ps, pd, VTD_PID_BYTES);
    uint64_t wa = pd + VTD_PID_PIR_OFF + (o.vector / 64u) * 8u;
    mem_phys_write_u64(u->pm, wa, mem_phys_read_u64(u->pm, wa) | 1ull << (o.vector % 64u));
    uint64_t ctl = mem_phys_read_u64(u->pm, pd + VTD_PID_CTL_OFF);
    o.notify_vector = (uint8_t)(ctl >> VTD_PID_NV_SHIFT);
    o.notify_dest = (uint32_t)(ctl >> VTD_PID_NDST_SHIFT);
    if (!(ctl & VTD_PID_ON) && (!(ctl & VTD_PID_SN) || o.urgent)) {
        mem_phys_write_u64(u->pm, pd + VTD_PID_CTL_OFF, ctl | VTD_PID_ON);
        o.notify = true;
        u->irq_notifications++;
    }
    o.t_ps = mem_write(u->mem, o.t_ps, pd, VTD_PID_BYTES);
    deliver(u, &o);
}
