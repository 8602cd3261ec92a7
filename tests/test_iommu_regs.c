/* The IOMMU's register file (VT-d 10.4) as the host driver sees it: the registers after
 * bring-up, translation enable, fault recording, the invalidation queue's registers and
 * the driver's own record of the queue, and the interrupt remapping table pointer
 * latched by SIRTP. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "models/iommu/iommu_regs.h"
#include "models/iommu/irq_remap.h"
#include "models/mem/physmem.h"
#include "tests/iommu_fixture.h"

/* ---- the register file ------------------------------------------------------------ */

static uint64_t reg(rig *r, uint32_t off, unsigned size) { return iommu_reg_read(r->pf->iommu, off, size); }

/* What the driver's initialisation left, and software mistakes counted, not fatal. */
START_TEST(test_registers_after_bring_up)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    uint32_t sts = (uint32_t)reg(&r, VTD_GSTS_REG, 4);
    ck_assert_uint_eq(sts, VTD_GCMD_TE | VTD_GCMD_SRTP | VTD_GCMD_QIE); /* TES, RTPS, QIES */
    ck_assert_uint_eq(reg(&r, VTD_RTADDR_REG, 8), iommu_root_table(r.pf->iommu));
    ck_assert_uint_eq(reg(&r, VTD_GCMD_REG, 4), 0);
    uint64_t cap = reg(&r, VTD_CAP_REG, 8);
    ck_assert_uint_eq((cap >> VTD_CAP_NFR_SHIFT) & 0xFF, 7); /* iommu.fault_records 8 */
    ck_assert_uint_eq((cap >> VTD_CAP_MGAW_SHIFT) & 0x3F, 47);
    ck_assert(cap & VTD_CAP_SLLPS_1G);
    ck_assert(reg(&r, VTD_ECAP_REG, 8) & VTD_ECAP_QI);
    /* The fault recording registers are where CAP.FRO says, one per record. */
    uint32_t fro = (uint32_t)((cap >> VTD_CAP_FRO_SHIFT) & 0x3FF) * 16;
    ck_assert_uint_eq(reg(&r, fro + 7 * VTD_FRCD_BYTES + 8, 8), 0);
    ck_assert_uint_eq(iommu_reg_counts(r.pf->iommu).unknown, 0);
    ck_assert_uint_eq(reg(&r, fro + 8 * VTD_FRCD_BYTES, 8), 0);
    ck_assert_uint_eq(iommu_reg_counts(r.pf->iommu).unknown, 1);
    /* A 4-byte access reaches either half of a 64-bit register. */
    uint64_t iqa = reg(&r, VTD_IQA_REG, 8);
    ck_assert_uint_eq(reg(&r, VTD_IQA_REG + 4, 4), iqa >> 32);
    ck_assert_uint_eq(reg(&r, VTD_IQA_REG, 4), iqa & 0xFFFFFFFF);

    iommu_reg_counters before = iommu_reg_counts(r.pf->iommu);
    iommu_reg_write(r.pf->iommu, 0, VTD_GSTS_REG, 4, 0);            /* read-only */
    iommu_reg_write(r.pf->iommu, 0, VTD_CAP_REG, 8, 0);             /* read-only */
    iommu_reg_write(r.pf->iommu, 0, VTD_IQH_REG, 8, 0x40);          /* read-only */
    iommu_reg_write(r.pf->iommu, 0, 0x300, 4, 1);                   /* no register */
    iommu_reg_write(r.pf->iommu, 0, VTD_GCMD_REG, 8, 0);            /* spans GCMD and GSTS */
    iommu_reg_write(r.pf->iommu, 0, VTD_GSTS_REG + 2, 4, 0);        /* misaligned */
    ck_assert_uint_eq(reg(&r, VTD_RTADDR_REG + 1, 2), 0xFFFF); /* misaligned */
    iommu_reg_counters after = iommu_reg_counts(r.pf->iommu);
    ck_assert_uint_eq(after.ro_writes - before.ro_writes, 3);
    ck_assert_uint_eq(after.unknown - before.unknown, 2);
    ck_assert_uint_eq(after.misaligned - before.misaligned, 2);
    ck_assert_uint_eq(reg(&r, VTD_GSTS_REG, 4), sts);
    ck_assert_uint_eq(reg(&r, VTD_CAP_REG, 8), cap);
    ck_assert_uint_eq(reg(&r, VTD_IQH_REG, 8), 0);
    rig_free(&r);
}
END_TEST

/* GCMD.TE off: requests pass as addressed, nothing faults; on again: translated. */
START_TEST(test_translation_enable)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    iommu_domain *d = domain(&r, 1, 0x0100);
    map(d, 0, 0x100000000ull, 1 << 20, 4096, IOMMU_READ);
    uint64_t hpa;
    ck_assert_uint_lt(xlate(&r, 0x0100, 0x5000, false, 0, &hpa), UINT64_MAX);
    ck_assert_uint_eq(hpa, 0x100005000ull);
    uint32_t on = (uint32_t)reg(&r, VTD_GSTS_REG, 4) & VTD_GCMD_ENABLES;
    iommu_reg_write(r.pf->iommu, US, VTD_GCMD_REG, 4, on & ~VTD_GCMD_TE);
    ck_assert(!(reg(&r, VTD_GSTS_REG, 4) & VTD_GCMD_TE));
    ck_assert_uint_eq(xlate(&r, 0x0100, 0x5000, false, 2 * US, &hpa), 0);
    ck_assert_uint_eq(hpa, 0x5000);
    ck_assert_uint_eq(xlate(&r, 0x0900, 0x7000, true, 2 * US, &hpa), 0); /* no context */
    ck_assert_uint_eq(iommu_faults_total(r.pf->iommu), 0);
    iommu_reg_write(r.pf->iommu, 3 * US, VTD_GCMD_REG, 4, on);
    xlate(&r, 0x0100, 0x5000, false, 4 * US, &hpa);
    ck_assert_uint_eq(hpa, 0x100005000ull);
    rig_free(&r);
}
END_TEST

/* Faults fill the recording registers in turn; software releases them by writing 1 to
 * F; once they overflow, nothing is recorded until software clears FSTS.PFO. */
START_TEST(test_fault_recording_registers)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    uint32_t fro = (uint32_t)((reg(&r, VTD_CAP_REG, 8) >> VTD_CAP_FRO_SHIFT) & 0x3FF) * 16;
    ck_assert_uint_eq(xlate(&r, 0x0500, 0x12345, false, 0, NULL), UINT64_MAX);
    uint32_t fsts = (uint32_t)reg(&r, VTD_FSTS_REG, 4);
    ck_assert(fsts & VTD_FSTS_PPF);
    ck_assert_uint_eq((fsts & VTD_FSTS_FRI_MASK) >> VTD_FSTS_FRI_SHIFT, 0);
    uint64_t hi = reg(&r, fro + 8, 8);
    ck_assert(hi & VTD_FRCD_F);
    ck_assert(hi & VTD_FRCD_T_READ);
    ck_assert_uint_eq(hi & VTD_FRCD_SID_MASK, 0x0500);
    ck_assert_uint_eq((hi >> VTD_FRCD_FR_SHIFT) & 0xFF, VTD_FR_ROOT_ENTRY_P);
    ck_assert_uint_eq(reg(&r, fro, 8), 0x12000);
    iommu_reg_write(r.pf->iommu, 0, fro + 8, 8, VTD_FRCD_F); /* released */
    ck_assert_uint_eq(iommu_faults_recorded(r.pf->iommu), 0);
    ck_assert(!(reg(&r, VTD_FSTS_REG, 4) & VTD_FSTS_PPF));
    /* The next goes to the next register, and so on round. */
    for (int i = 0; i < 8; i++)
        xlate(&r, 0x0500, (uint64_t)i << 12, true, (uint64_t)(i + 1) * US, NULL);
    fsts = (uint32_t)reg(&r, VTD_FSTS_REG, 4);
    ck_assert_uint_eq((fsts & VTD_FSTS_FRI_MASK) >> VTD_FSTS_FRI_SHIFT, 1);
    ck_assert(!(fsts & VTD_FSTS_PFO));
    ck_assert_uint_eq(iommu_faults_recorded(r.pf->iommu), 8);
    uint64_t reads = iommu_reg_counts(r.pf->iommu).reads;
    ck_assert_uint_eq(iommu_fault_get(r.pf->iommu, 0)->addr, 0); /* the oldest first */
    ck_assert_uint_ge(iommu_fault_get(r.pf->iommu, 0)->t_ps, US); /* after the context reads */
    ck_assert_uint_lt(iommu_fault_get(r.pf->iommu, 0)->t_ps, 2 * US);
    ck_assert(iommu_fault_get(r.pf->iommu, 7)->write);
    ck_assert_uint_eq(iommu_fault_get(r.pf->iommu, 7)->addr, 7 << 12);
    ck_assert_uint_eq(iommu_reg_counts(r.pf->iommu).reads, reads); /* looking is no access */
    xlate(&r, 0x0500, 0x9000, false, 10 * US, NULL);
    ck_assert(reg(&r, VTD_FSTS_REG, 4) & VTD_FSTS_PFO);
    ck_assert_double_eq(rig_stat(&r, "iommu.fault_overflows"), 1);
    /* A register released while PFO is set stays free. */
    iommu_reg_write(r.pf->iommu, 0, fro + 2 * VTD_FRCD_BYTES + 8, 8, VTD_FRCD_F);
    xlate(&r, 0x0500, 0xA000, false, 11 * US, NULL);
    ck_assert_uint_eq(iommu_faults_recorded(r.pf->iommu), 7);
    ck_assert_double_eq(rig_stat(&r, "iommu.fault_overflows"), 2);
    iommu_reg_write(r.pf->iommu, 0, VTD_FSTS_REG, 4, VTD_FSTS_PFO);
    ck_assert(!(reg(&r, VTD_FSTS_REG, 4) & VTD_FSTS_PFO));
    ck_assert(reg(&r, VTD_FSTS_REG, 4) & VTD_FSTS_PPF);
    xlate(&r, 0x0500, 0xB000, false, 12 * US, NULL);
    ck_assert_uint_eq(iommu_faults_recorded(r.pf->iommu), 7); /* register 1 is next, and held */
    ck_assert_double_eq(rig_stat(&r, "iommu.fault_overflows"), 3);
    ck_assert_uint_eq(iommu_faults_total(r.pf->iommu), 12);
    rig_free(&r);
}
END_TEST

/* The tail register is the doorbell; a tail beyond the queue or a descriptor the IOMMU
 * does not know sets FSTS.IQE and stops the queue there. */
START_TEST(test_invalidation_queue_registers)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    iommu_inv inv = {.kind = IOMMU_INV_IOTLB_GLOBAL};
    invalidate(&r, 0, &inv, 1, NULL);
    uint64_t head = reg(&r, VTD_IQH_REG, 8);
    ck_assert_uint_eq(head, 2 << VTD_IQ_INDEX_SHIFT); /* the descriptor and its wait */
    ck_assert_uint_eq(reg(&r, VTD_IQT_REG, 8), head);
    ck_assert_double_eq(rig_stat(&r, "iommu.inv_descs"), 2);
    /* Tail beyond the 256 descriptors of a one-page queue. */
    iommu_reg_write(r.pf->iommu, US, VTD_IQT_REG, 8, 300ull << VTD_IQ_INDEX_SHIFT);
    ck_assert(reg(&r, VTD_FSTS_REG, 4) & VTD_FSTS_IQE);
    ck_assert_uint_eq(reg(&r, VTD_IQH_REG, 8), head);
    ck_assert_double_eq(rig_stat(&r, "iommu.inv_descs"), 2);
    iommu_reg_write(r.pf->iommu, US, VTD_FSTS_REG, 4, VTD_FSTS_IQE);
    ck_assert(!(reg(&r, VTD_FSTS_REG, 4) & VTD_FSTS_IQE));
    /* An unknown descriptor type (0xF) between two good ones. */
    uint64_t base = reg(&r, VTD_IQA_REG, 8) & VTD_IQA_ADDR_MASK;
    uint64_t desc[2];
    iommu_inv_encode(&inv, desc);
    for (unsigned i = 0; i < 3; i++) {
        uint64_t da = base + (2 + i) * VTD_INV_DESC_BYTES;
        mem_phys_write_u64(r.pf->pm, da, i == 1 ? 0xF : desc[0]);
        mem_phys_write_u64(r.pf->pm, da + 8, i == 1 ? 0 : desc[1]);
    }
    uint64_t t = iommu_reg_write(r.pf->iommu, 2 * US, VTD_IQT_REG, 8, 5ull << VTD_IQ_INDEX_SHIFT);
    ck_assert_uint_gt(t, 2 * US);
    ck_assert(reg(&r, VTD_FSTS_REG, 4) & VTD_FSTS_IQE);
    ck_assert_uint_eq(reg(&r, VTD_IQH_REG, 8), 3ull << VTD_IQ_INDEX_SHIFT);
    ck_assert_double_eq(rig_stat(&r, "iommu.inv_iotlb"), 2); /* the first only */
    rig_free(&r);
}
END_TEST

/* GCMD.SIRTP latches IRTA: writing IRTA alone changes nothing the hardware uses, IRE off
 * leaves no table in use (remappable MSIs are blocked) and on again brings the latched
 * one back; the next SIRTP takes the new IRTA. */
START_TEST(test_irta_latched_by_sirtp)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    iommu *u = r.pf->iommu;
    sink s = {0};
    iommu_set_irq_sink(u, on_irq, &s);
    ck_assert_int_eq(iommu_irq_table_init(u, 7), 0);
    ck_assert_int_eq(iommu_irte_set_remapped(u, 20, 0x0100, 5, 0x41), 0);
    uint64_t irta = reg(&r, VTD_IRTA_REG, 8);
    iommu_reg_write(u, 0, VTD_IRTA_REG, 8, (irta & VTD_IRTA_ADDR_MASK) | 3); /* 16 entries */
    ck_assert_uint_eq(iommu_irq_table_entries(u), 256);
    uint32_t on = (uint32_t)reg(&r, VTD_GSTS_REG, 4) & VTD_GCMD_ENABLES;
    iommu_reg_write(u, 0, VTD_GCMD_REG, 4, on & ~VTD_GCMD_IRE);
    ck_assert_uint_eq(iommu_irq_table_entries(u), 0);
    iommu_msi(u, 0x0100, iommu_msi_addr(20), 0, 0);
    ck_assert_int_eq(s.last.kind, IOMMU_IRQ_BLOCKED);
    ck_assert_uint_eq(s.last.fault_reason, VTD_FR_IR_ROOT_INVAL);
    iommu_reg_write(u, 0, VTD_GCMD_REG, 4, on);
    ck_assert_uint_eq(iommu_irq_table_entries(u), 256);
    iommu_msi(u, 0x0100, iommu_msi_addr(20), 0, US);
    ck_assert_int_eq(s.last.kind, IOMMU_IRQ_REMAPPED);
    iommu_reg_write(u, 0, VTD_GCMD_REG, 4, on | VTD_GCMD_SIRTP);
    ck_assert_uint_eq(iommu_irq_table_entries(u), 16);
    iommu_msi(u, 0x0100, iommu_msi_addr(20), 0, 2 * US);
    ck_assert_int_eq(s.last.kind, IOMMU_IRQ_BLOCKED);
    ck_assert_uint_eq(s.last.fault_reason, VTD_FR_IR_INDEX_OVER);
    rig_free(&r);
}
END_TEST

/* The driver keeps its own record of the queue (it reads no register back): it agrees
 * with IQA and IQT, and each wait writes the next sequence number to the status word. */
START_TEST(test_invalidation_driver_record)
{
    rig r;
    rig_init(&r);
    rig_build(&r, true);
    const iommu_qi_driver *q = iommu_qi_driver_of(r.pf->iommu);
    ck_assert_uint_eq(q->base, reg(&r, VTD_IQA_REG, 8) & VTD_IQA_ADDR_MASK);
    uint64_t qs = reg(&r, VTD_IQA_REG, 8) & VTD_IQA_QS_MASK;
    ck_assert_uint_eq(q->descs, VTD_IQ_DESCS_PER_PAGE << qs);
    ck_assert_uint_eq(q->free_head, 0);
    iommu_inv inv = {.kind = IOMMU_INV_IOTLB_GLOBAL};
    iommu_inv two[2] = {{.kind = IOMMU_INV_CTX_GLOBAL}, {.kind = IOMMU_INV_IEC_GLOBAL}};
    for (unsigned k = 1; k <= 200; k++) { /* round the 256-descriptor queue */
        if (k % 2)
            invalidate(&r, k * US, &inv, 1, NULL);
        else
            invalidate(&r, k * US, two, 2, NULL);
        ck_assert_uint_eq(q->seq, k);
        ck_assert_uint_eq(mem_phys_read_u32(r.pf->pm, q->status_addr), k);
        ck_assert_uint_eq((uint64_t)q->free_head << VTD_IQ_INDEX_SHIFT, reg(&r, VTD_IQT_REG, 8));
        ck_assert_uint_eq(reg(&r, VTD_IQH_REG, 8), reg(&r, VTD_IQT_REG, 8));
    }
    ck_assert_uint_eq(q->free_head, (100 * 2 + 100 * 3) % VTD_IQ_DESCS_PER_PAGE);
    ck_assert_double_eq(rig_stat(&r, "iommu.inv_descs"), 500);
    ck_assert(!(reg(&r, VTD_FSTS_REG, 4) & VTD_FSTS_IQE));
    rig_free(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("iommu_regs");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_registers_after_bring_up);
    tcase_add_test(tc, test_translation_enable);
    tcase_add_test(tc, test_fault_recording_registers);
    tcase_add_test(tc, test_invalidation_queue_registers);
    tcase_add_test(tc, test_invalidation_driver_record);
    tcase_add_test(tc, test_irta_latched_by_sirtp);
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
