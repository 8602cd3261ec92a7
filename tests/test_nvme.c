/* The NVMe controller model (models/nvme) against the NVM Express Base Specification
 * 1.4: bring-up and Identify, a command's DMA, doorbell and interrupt sequence, command
 * errors, a full completion queue, interrupt coalescing, the SR-IOV resource pools and
 * namespace attachment, and a VF that cannot reach another VM's memory. */
#include <check.h>
#include <stdlib.h>

#include "models/flash/flash.h"
#include "tests/nvme_fixture.h"

#define PAGE 4096u

/* The PF enabled and Identify answered from its parameters. */
START_TEST(test_bringup_identify)
{
    nvfx f;
    nvfx_params(&f);
    nvfx_build(&f, false);
    ck_assert(nvfx_enable(&f, NVME_PF));
    uint32_t cap_lo = nvfx_reg(&f, NVME_PF, NVME_REG_CAP);
    ck_assert_uint_eq(cap_lo & 0xffffu, 16383u); /* MQES, 0's based */
    ck_assert_uint_eq(nvfx_reg(&f, NVME_PF, NVME_REG_VS), NVME_VERSION);

    uint64_t buf = nvfx_alloc(&f, NVME_PF, PAGE);
    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_IDENTIFY, .prp1 = buf,
                                            .cdw10 = NVME_CNS_CTRL},
                                 NULL),
                      0);
    uint8_t id[PAGE];
    mem_phys_read(f.r.pf->pm, buf, id, sizeof id);
    ck_assert_uint_eq(sim_le_get(id + NVME_IDC_VID, 2), NVME_VENDOR_ID);
    ck_assert_uint_eq(id[NVME_IDC_MDTS], 7); /* 512 KiB = 2^7 pages */
    ck_assert_uint_eq(sim_le_get(id + NVME_IDC_CNTLID, 2), 0);
    ck_assert_uint_eq(sim_le_get(id + NVME_IDC_NN, 4), 4);
    ck_assert(sim_le_get(id + NVME_IDC_OACS, 2) & NVME_OACS_VIRT_MGMT);

    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_IDENTIFY, .nsid = 2, .prp1 = buf,
                                            .cdw10 = NVME_CNS_NS},
                                 NULL),
                      0);
    mem_phys_read(f.r.pf->pm, buf, id, sizeof id);
    nvme_caps k = nvme_caps_of(f.r.p);
    ck_assert_uint_eq(sim_le_get(id + NVME_IDNS_NSZE, 8), k.ns_bytes / k.lba_bytes);
    ck_assert_uint_eq((sim_le_get(id + NVME_IDNS_LBAF0, 4) >> 16) & 0xff, 9); /* 512 B */
    ck_assert_uint_eq(k.ns_bytes * 4 <= flash_capacity_of(f.r.p), 1);
    nvfx_free(&f);
}
END_TEST

/* A 16 KiB Read through a PRP list: the submission entry's fetch, the PRP list's read,
 * the data written to the four pages, the completion entry, then the MSI-X, in that
 * order, and no earlier than the media allows. */
START_TEST(test_read_sequence)
{
    nvfx f;
    nvfx_params(&f);
    nvfx_build(&f, false);
    ck_assert(nvfx_enable(&f, NVME_PF));
    ck_assert_uint_eq(nvfx_open_queue(&f, NVME_PF, 1, 1, NVFX_ENTRIES), 0);
    uint64_t data = nvfx_alloc(&f, NVME_PF, 4 * PAGE), list = nvfx_alloc(&f, NVME_PF, PAGE);
    for (unsigned k = 1; k < 4; k++)
        mem_phys_write_u64(f.r.pf->pm, list + 8 * (k - 1), data + k * PAGE);
    nvfx_run_us(&f, 10);
    f.watching = true;
    uint64_t t0 = nvfx_now(&f);
    uint16_t cid = nvfx_submit(&f, NVME_PF, 1, nvfx_rw(false, 1, 8, 32, data, list));
    nvfx_run_us(&f, 300);
    nvfx_cqe c;
    ck_assert(nvfx_poll(&f, NVME_PF, 1, &c, true));
    ck_assert_uint_eq(c.cid, cid);
    ck_assert_uint_eq(c.sqid, 1);
    ck_assert_uint_eq(c.sqhd, 1);
    ck_assert_uint_eq(c.status, 0);

    const nvfx_q *q = &f.q[NVME_PF][1];
    unsigned i = 0;
    ck_assert_uint_ge(f.nlog, 4);
    ck_assert(f.log[i].kind == PCIE_RC_READ && f.log[i].addr == q->sq && f.log[i].len == 64);
    i++;
    ck_assert(f.log[i].kind == PCIE_RC_READ && f.log[i].addr == list && f.log[i].len == 24);
    i++;
    uint64_t written = 0, next = data, last_data_t = 0;
    for (; i < f.nlog && f.log[i].kind == PCIE_RC_WRITE && f.log[i].addr != q->cq; i++) {
        ck_assert_uint_eq(f.log[i].addr, next); /* the pages in order, each whole */
        next += f.log[i].len;
        written += f.log[i].len;
        last_data_t = f.log[i].t_ps;
    }
    ck_assert_uint_eq(written, 4 * PAGE);
    ck_assert_uint_lt(i + 1, f.nlog);
    ck_assert(f.log[i].kind == PCIE_RC_WRITE && f.log[i].addr == q->cq && f.log[i].len == 16);
    ck_assert_uint_ge(f.log[i].t_ps, last_data_t);
    const nvfx_req *msi = &f.log[i + 1];
    ck_assert(msi->kind == PCIE_RC_MSI && msi->data == 1); /* vector 1 of the PF */
    ck_assert_uint_ge(msi->t_ps, f.log[i].t_ps);
    ck_assert_uint_eq(f.nlog, i + 2);
    /* The media's controller work and tR (8 + 50 us in the PM1733 profile) at least. */
    ck_assert_uint_ge(msi->t_ps - t0, 58 * SIM_PS_PER_US);
    nvme_fn_counters k = nvme_fn_get_counters(f.n, NVME_PF);
    ck_assert_uint_eq(k.reads, 1);
    ck_assert_uint_eq(k.read_bytes, 4 * PAGE);
    ck_assert_uint_eq(k.prp_list_reads, 1);
    nvfx_free(&f);
}
END_TEST

/* An 8 KiB Write with PRP1 and PRP2 (no list): the entry's fetch, the data read from
 * both pages, the completion, the MSI-X; the buffered write completes well before a
 * read could. */
START_TEST(test_write_sequence)
{
    nvfx f;
    nvfx_params(&f);
    nvfx_build(&f, false);
    ck_assert(nvfx_enable(&f, NVME_PF));
    ck_assert_uint_eq(nvfx_open_queue(&f, NVME_PF, 1, 1, NVFX_ENTRIES), 0);
    uint64_t data = nvfx_alloc(&f, NVME_PF, 2 * PAGE);
    nvfx_run_us(&f, 10);
    f.watching = true;
    uint64_t t0 = nvfx_now(&f);
    nvfx_submit(&f, NVME_PF, 1, nvfx_rw(true, 1, 0, 16, data, data + PAGE));
    nvfx_run_us(&f, 100);
    nvfx_cqe c;
    ck_assert(nvfx_poll(&f, NVME_PF, 1, &c, true));
    ck_assert_uint_eq(c.status, 0);
    const nvfx_q *q = &f.q[NVME_PF][1];
    ck_assert(f.log[0].kind == PCIE_RC_READ && f.log[0].addr == q->sq);
    uint64_t read = 0;
    unsigned i = 1;
    for (; i < f.nlog && f.log[i].kind == PCIE_RC_READ; i++) {
        ck_assert(f.log[i].addr >= data && f.log[i].addr + f.log[i].len <= data + 2 * PAGE);
        read += f.log[i].len;
    }
    ck_assert_uint_eq(read, 2 * PAGE);
    ck_assert(f.log[i].kind == PCIE_RC_WRITE && f.log[i].addr == q->cq);
    ck_assert(f.log[i + 1].kind == PCIE_RC_MSI);
    ck_assert_uint_eq(nvme_fn_get_counters(f.n, NVME_PF).prp_list_reads, 0);
    ck_assert_uint_lt(f.log[i + 1].t_ps - t0, 20 * SIM_PS_PER_US);
    nvfx_free(&f);
}
END_TEST

/* A host's mistakes complete with the status the specification gives, or are counted. */
START_TEST(test_command_errors)
{
    nvfx f;
    nvfx_params(&f);
    nvfx_build(&f, false);
    ck_assert(nvfx_enable(&f, NVME_PF));
    ck_assert_uint_eq(nvfx_open_queue(&f, NVME_PF, 1, 1, NVFX_ENTRIES), 0);
    uint64_t data = nvfx_alloc(&f, NVME_PF, 2 * PAGE);
    nvme_caps k = nvme_caps_of(f.r.p);
    uint64_t blocks = k.ns_bytes / k.lba_bytes;
    struct {
        nvfx_cmd cmd;
        uint16_t status;
    } cases[] = {
        {nvfx_rw(false, 1, blocks - 1, 2, data, 0), NVFX_SF(0, NVME_SC_LBA_RANGE)},
        {{.opc = 0x7f, .nsid = 1, .prp1 = data}, NVFX_SF(0, NVME_SC_INVALID_OPCODE)},
        {nvfx_rw(false, 9, 0, 8, data, 0), NVFX_SF(0, NVME_SC_INVALID_NS)},
        {nvfx_rw(false, 1, 0, 16, data, data + PAGE + 8), NVFX_SF(0, NVME_SC_PRP_OFFSET_INVALID)},
        {nvfx_rw(false, 1, 0, 2048, data, 0), NVFX_SF(0, NVME_SC_INVALID_FIELD)}, /* 1 MiB > MDTS */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nvfx_submit(&f, NVME_PF, 1, cases[i].cmd);
        nvfx_cqe c = nvfx_wait(&f, NVME_PF, 1, 200);
        ck_assert_msg(c.status == cases[i].status, "case %zu: status %x, expected %x", i,
                      c.status, cases[i].status);
    }
    ck_assert_uint_eq(nvme_fn_get_counters(f.n, NVME_PF).cmd_errors, 5);
    /* A namespace detached from the primary is out of its reach. */
    ck_assert_uint_eq(nvfx_attach(&f, 3, NVME_PF, false), 0);
    ck_assert_uint_eq(nvfx_attach(&f, 3, NVME_PF, false), NVFX_SF(1, NVME_SC_NS_NOT_ATTACHED));
    nvfx_submit(&f, NVME_PF, 1, nvfx_rw(false, 3, 0, 8, data, 0));
    ck_assert_uint_eq(nvfx_wait(&f, NVME_PF, 1, 200).status, NVFX_SF(0, NVME_SC_INVALID_NS));
    /* Doorbells beyond a ring, or for a queue that does not exist, are counted. */
    nvfx_mmio_write(&f, nvme_doorbell_addr(f.n, NVME_PF, 1, false), 4, NVFX_ENTRIES + 3);
    nvfx_mmio_write(&f, nvme_doorbell_addr(f.n, NVME_PF, 5, false), 4, 1);
    nvfx_run_us(&f, 5);
    ck_assert_uint_eq(nvme_fn_get_counters(f.n, NVME_PF).bad_doorbell, 2);
    /* A completion queue on a vector beyond the function's. */
    uint64_t cq = nvfx_alloc(&f, NVME_PF, PAGE);
    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_CREATE_CQ, .prp1 = cq,
                                            .cdw10 = 15u << 16 | 2,
                                            .cdw11 = 200u << 16 | NVME_CQ_CDW11_IEN |
                                                     NVME_CQ_CDW11_PC},
                                 NULL),
                      NVFX_SF(1, NVME_SC_INVALID_VECTOR));
    /* A submission queue whose completion queue does not exist. */
    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_CREATE_SQ, .prp1 = cq,
                                            .cdw10 = 15u << 16 | 2,
                                            .cdw11 = 7u << 16 | NVME_SQ_CDW11_PC},
                                 NULL),
                      NVFX_SF(1, NVME_SC_CQ_INVALID));
    nvfx_free(&f);
}
END_TEST

/* A completion queue of two entries holds one completion at a time: the others wait
 * for its head doorbell, and arrive in order with their phase tags. */
START_TEST(test_full_cq_holds_completions)
{
    nvfx f;
    nvfx_params(&f);
    nvfx_build(&f, false);
    ck_assert(nvfx_enable(&f, NVME_PF));
    ck_assert_uint_eq(nvfx_open_queue(&f, NVME_PF, 1, 1, 2), 0);
    uint64_t data = nvfx_alloc(&f, NVME_PF, 3 * PAGE);
    /* A submission queue of 2 takes one entry at a time too: submit one by one. */
    uint16_t cids[3];
    cids[0] = nvfx_submit(&f, NVME_PF, 1, nvfx_rw(false, 1, 0, 8, data, 0));
    nvfx_run_us(&f, 2);
    cids[1] = nvfx_submit(&f, NVME_PF, 1, nvfx_rw(false, 1, 64, 8, data + PAGE, 0));
    nvfx_run_us(&f, 300);
    nvfx_cqe c;
    ck_assert(nvfx_poll(&f, NVME_PF, 1, &c, false)); /* read, head not yet written */
    ck_assert_uint_eq(c.cid, cids[0]);
    ck_assert(!nvfx_poll(&f, NVME_PF, 1, &c, false));
    ck_assert_uint_eq(nvme_fn_get_counters(f.n, NVME_PF).cq_full_waits, 1);
    nvfx_mmio_write(&f, nvme_doorbell_addr(f.n, NVME_PF, 1, true), 4, f.q[NVME_PF][1].cq_head);
    nvfx_run_us(&f, 5);
    ck_assert(nvfx_poll(&f, NVME_PF, 1, &c, true));
    ck_assert_uint_eq(c.cid, cids[1]);
    cids[2] = nvfx_submit(&f, NVME_PF, 1, nvfx_rw(false, 1, 128, 8, data + 2 * PAGE, 0));
    c = nvfx_wait(&f, NVME_PF, 1, 300);
    ck_assert_uint_eq(c.cid, cids[2]); /* slot 0 again, phase tag flipped */
    ck_assert_uint_eq(nvme_get_counters(f.n).reads, 3);
    nvfx_free(&f);
}
END_TEST

/* Interrupt Coalescing (Feature 08h): four completions, one interrupt; a lone one
 * waits the aggregation time; a vector exempted by Feature 09h interrupts each time. */
START_TEST(test_coalescing)
{
    nvfx f;
    nvfx_params(&f);
    nvfx_build(&f, false);
    ck_assert(nvfx_enable(&f, NVME_PF));
    ck_assert_uint_eq(nvfx_open_queue(&f, NVME_PF, 1, 1, NVFX_ENTRIES), 0);
    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_SET_FEATURES,
                                            .cdw10 = NVME_FID_IRQ_COALESCE,
                                            .cdw11 = 2u << 8 | 3u}, /* 200 us, 4 entries */
                                 NULL),
                      0);
    uint64_t data = nvfx_alloc(&f, NVME_PF, 4 * PAGE);
    f.watching = true;
    for (unsigned i = 0; i < 4; i++)
        nvfx_submit(&f, NVME_PF, 1, nvfx_rw(false, 1, 8 * i, 8, data + i * PAGE, 0));
    nvfx_run_us(&f, 150); /* every read done (61 us each, on four dies) */
    unsigned msis = 0;
    for (unsigned i = 0; i < f.nlog; i++)
        msis += f.log[i].kind == PCIE_RC_MSI && f.log[i].data == 1;
    ck_assert_uint_eq(msis, 1);
    nvfx_cqe c;
    for (unsigned i = 0; i < 4; i++)
        ck_assert(nvfx_poll(&f, NVME_PF, 1, &c, true));

    f.nlog = 0;
    nvfx_submit(&f, NVME_PF, 1, nvfx_rw(false, 1, 0, 8, data, 0));
    nvfx_run_us(&f, 400);
    uint64_t cqe_t = 0, msi_t = 0;
    for (unsigned i = 0; i < f.nlog; i++) {
        if (f.log[i].kind == PCIE_RC_WRITE && f.log[i].len == 16)
            cqe_t = f.log[i].t_ps;
        if (f.log[i].kind == PCIE_RC_MSI && f.log[i].data == 1)
            msi_t = f.log[i].t_ps;
    }
    ck_assert_uint_gt(cqe_t, 0);
    ck_assert_uint_ge(msi_t, cqe_t + 199 * SIM_PS_PER_US);
    ck_assert(nvfx_poll(&f, NVME_PF, 1, &c, true));

    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_SET_FEATURES,
                                            .cdw10 = NVME_FID_IRQ_CONFIG,
                                            .cdw11 = NVME_IRQ_CONFIG_CD | 1u},
                                 NULL),
                      0);
    f.nlog = 0;
    for (unsigned i = 0; i < 2; i++)
        nvfx_submit(&f, NVME_PF, 1, nvfx_rw(false, 1, 8 * i, 8, data + i * PAGE, 0));
    nvfx_run_us(&f, 150);
    msis = 0;
    for (unsigned i = 0; i < f.nlog; i++)
        msis += f.log[i].kind == PCIE_RC_MSI && f.log[i].data == 1;
    ck_assert_uint_eq(msis, 2);
    nvfx_free(&f);
}
END_TEST

/* The flexible resource pools: per-secondary maxima, the pool's total, assignment only
 * while Offline, Online only with enough resources; an Offline VF does not start; a
 * VF gets the queues and vectors it was given and the namespaces attached to it. */
START_TEST(test_sriov_pools_and_namespaces)
{
    nvfx f;
    nvfx_params(&f);
    nvfx_build(&f, false);
    ck_assert(nvfx_enable(&f, NVME_PF));
    sim_err e;
    ck_assert_msg(pci_iov_enable(&f.iov, 4, &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(nvme_num_vfs(f.n), 4);
    const unsigned VQ = NVME_VIRT_RT_VQ, VI = NVME_VIRT_RT_VI, ASSIGN = NVME_VIRT_SEC_ASSIGN;
    ck_assert_uint_eq(nvfx_virt(&f, ASSIGN, VQ, 1, 6), NVFX_SF(1, NVME_SC_INVALID_NUM_RESOURCES));
    ck_assert_uint_eq(nvfx_virt(&f, ASSIGN, VQ, 1, 5), 0);
    ck_assert_uint_eq(nvfx_virt(&f, ASSIGN, VQ, 2, 5), 0);
    ck_assert_uint_eq(nvfx_virt(&f, ASSIGN, VQ, 3, 5), NVFX_SF(1, NVME_SC_INVALID_RESOURCE_ID));
    ck_assert_uint_eq(nvfx_virt(&f, ASSIGN, VQ, 3, 2), 0);
    ck_assert_uint_eq(nvme_flex_queues_assigned(f.n), 12);
    ck_assert_uint_eq(nvfx_virt(&f, ASSIGN, VQ, 9, 2), NVFX_SF(1, NVME_SC_INVALID_CTRL_ID));
    ck_assert_uint_eq(nvfx_virt(&f, NVME_VIRT_SEC_ONLINE, 0, 1, 0),
                      NVFX_SF(1, NVME_SC_INVALID_SEC_CTRL_STATE)); /* no vector yet */
    ck_assert_uint_eq(nvfx_virt(&f, ASSIGN, VI, 1, 3), 0);
    ck_assert_uint_eq(nvfx_virt(&f, ASSIGN, VI, 2, 3), 0);
    ck_assert_uint_eq(nvfx_virt(&f, ASSIGN, VI, 3, 1), NVFX_SF(1, NVME_SC_INVALID_RESOURCE_ID));
    ck_assert_uint_eq(nvfx_virt(&f, NVME_VIRT_SEC_ONLINE, 0, 1, 0), 0);
    ck_assert_uint_eq(nvfx_virt(&f, ASSIGN, VQ, 1, 2), NVFX_SF(1, NVME_SC_INVALID_SEC_CTRL_STATE));

    uint64_t buf = nvfx_alloc(&f, NVME_PF, PAGE);
    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_IDENTIFY, .prp1 = buf,
                                            .cdw10 = NVME_CNS_PRIMARY_CAPS},
                                 NULL),
                      0);
    ck_assert_uint_eq(mem_phys_read_u32(f.r.pf->pm, buf + NVME_PCC_VQRFA), 12);
    ck_assert_uint_eq(mem_phys_read_u32(f.r.pf->pm, buf + NVME_PCC_VIRFA), 6);

    ck_assert(nvfx_enable(&f, NVME_FN_OF_VF(0)));  /* controller 1: Online */
    ck_assert(!nvfx_enable(&f, NVME_FN_OF_VF(2))); /* controller 3: Offline */
    ck_assert(nvfx_reg(&f, NVME_FN_OF_VF(2), NVME_REG_CSTS) & NVME_CSTS_CFS);
    ck_assert_uint_ge(nvme_fn_get_counters(f.n, NVME_FN_OF_VF(2)).offline_mmio, 4);

    unsigned vf = NVME_FN_OF_VF(0);
    uint32_t dw0 = 0;
    ck_assert_uint_eq(nvfx_admin(&f, vf,
                                 (nvfx_cmd){.opc = NVME_ADM_SET_FEATURES,
                                            .cdw10 = NVME_FID_NUM_QUEUES, .cdw11 = 7u << 16 | 7u},
                                 &dw0),
                      0);
    ck_assert_uint_eq(dw0, 3u << 16 | 3u); /* 5 VQ resources: admin + 4 */
    ck_assert_uint_eq(nvfx_open_queue(&f, vf, 1, 3, NVFX_ENTRIES),
                      NVFX_SF(1, NVME_SC_INVALID_VECTOR)); /* 3 VI resources: 0..2 */
    ck_assert_uint_eq(nvfx_open_queue(&f, vf, 1, 1, NVFX_ENTRIES), 0);
    ck_assert_uint_eq(nvfx_open_queue(&f, vf, 5, 1, NVFX_ENTRIES), NVFX_SF(1, NVME_SC_QID_INVALID));
    ck_assert_uint_eq(nvfx_admin(&f, vf, (nvfx_cmd){.opc = NVME_ADM_VIRT_MGMT}, NULL),
                      NVFX_SF(0, NVME_SC_INVALID_OPCODE));

    ck_assert_uint_eq(nvfx_attach(&f, 2, 1, true), 0);
    ck_assert_uint_eq(nvfx_attach(&f, 2, 1, true), NVFX_SF(1, NVME_SC_NS_ALREADY_ATTACHED));
    uint64_t data = nvfx_alloc(&f, vf, PAGE);
    nvfx_submit(&f, vf, 1, nvfx_rw(false, 2, 0, 8, data, 0));
    ck_assert_uint_eq(nvfx_wait(&f, vf, 1, 300).status, 0);
    for (uint32_t ns = 1; ns <= 4; ns += 2) { /* the primary's, another VF's */
        nvfx_submit(&f, vf, 1, nvfx_rw(false, ns, 0, 8, data, 0));
        ck_assert_uint_eq(nvfx_wait(&f, vf, 1, 300).status, NVFX_SF(0, NVME_SC_INVALID_NS));
    }
    ck_assert_uint_eq(nvme_fn_get_counters(f.n, vf).reads, 1);
    nvfx_free(&f);
}
END_TEST

/* What a guest can write into its queues cannot hang or fool the controller: a PRP list
 * whose chain entry points back into itself is refused; Identify's active namespace list
 * after the last NSID is refused; Number of Queues cannot change once a queue exists. */
START_TEST(test_hostile_commands)
{
    nvfx f;
    nvfx_params(&f);
    nvfx_build(&f, false);
    ck_assert(nvfx_enable(&f, NVME_PF));
    ck_assert_uint_eq(nvfx_open_queue(&f, NVME_PF, 1, 1, NVFX_ENTRIES), 0);
    uint64_t data = nvfx_alloc(&f, NVME_PF, 4 * PAGE), list = nvfx_alloc(&f, NVME_PF, PAGE);
    /* PRP2 at the list page's last entry, which names itself as the next list page. */
    uint64_t last = list + PAGE - NVME_PRP_BYTES;
    mem_phys_write_u64(f.r.pf->pm, last, last);
    nvfx_submit(&f, NVME_PF, 1, nvfx_rw(false, 1, 0, 32, data, last));
    ck_assert_uint_eq(nvfx_wait(&f, NVME_PF, 1, 200).status,
                      NVFX_SF(0, NVME_SC_PRP_OFFSET_INVALID));
    uint64_t buf = nvfx_alloc(&f, NVME_PF, PAGE);
    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_IDENTIFY, .nsid = 0xffffffffu,
                                            .prp1 = buf, .cdw10 = NVME_CNS_ACTIVE_NS_LIST},
                                 NULL),
                      NVFX_SF(0, NVME_SC_INVALID_NS));
    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_SET_FEATURES,
                                            .cdw10 = NVME_FID_NUM_QUEUES, .cdw11 = 3u << 16 | 3u},
                                 NULL),
                      NVFX_SF(0, NVME_SC_CMD_SEQ_ERROR));
    nvfx_free(&f);
}
END_TEST

/* A message held while its vector is masked goes out when it is unmasked; the admin
 * queue's interrupts are never coalesced; deleting a submission queue drops what it has
 * in flight (no completion after the deletion's). */
START_TEST(test_masking_and_deletion)
{
    nvfx f;
    nvfx_params(&f);
    nvfx_build(&f, false);
    ck_assert(nvfx_enable(&f, NVME_PF));
    ck_assert_uint_eq(nvfx_open_queue(&f, NVME_PF, 1, 1, NVFX_ENTRIES), 0);
    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_SET_FEATURES,
                                            .cdw10 = NVME_FID_IRQ_COALESCE,
                                            .cdw11 = 10u << 8 | 7u},
                                 NULL),
                      0);
    /* The admin queue interrupts at once whatever the coalescing. */
    f.watching = true;
    uint64_t buf = nvfx_alloc(&f, NVME_PF, PAGE);
    uint16_t cid = nvfx_submit(&f, NVME_PF, 0,
                               (nvfx_cmd){.opc = NVME_ADM_IDENTIFY, .prp1 = buf,
                                          .cdw10 = NVME_CNS_CTRL});
    nvfx_run_us(&f, 20);
    ck_assert(f.nlog > 0 && f.log[f.nlog - 1].kind == PCIE_RC_MSI && f.log[f.nlog - 1].data == 0);
    nvfx_cqe c;
    ck_assert(nvfx_poll(&f, NVME_PF, 0, &c, true) && c.cid == cid);
    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_SET_FEATURES,
                                            .cdw10 = NVME_FID_IRQ_COALESCE},
                                 NULL),
                      0);
    /* Vector 1 masked: its message waits in the Pending Bit Array. */
    uint64_t e1 = nvme_fn_bar(f.n, NVME_PF) + NVME_MSIX_TABLE_OFFSET + 16;
    nvfx_mmio_write(&f, e1 + PCIE_MSIX_ENTRY_VECTOR_CTRL, 4, PCIE_MSIX_ENTRY_CTRL_MASK);
    uint64_t data = nvfx_alloc(&f, NVME_PF, PAGE);
    f.nlog = 0;
    nvfx_submit(&f, NVME_PF, 1, nvfx_rw(false, 1, 0, 8, data, 0));
    nvfx_run_us(&f, 150);
    unsigned msis = 0;
    for (unsigned i = 0; i < f.nlog; i++)
        msis += f.log[i].kind == PCIE_RC_MSI;
    ck_assert_uint_eq(msis, 0);
    ck_assert_uint_eq(nvfx_reg(&f, NVME_PF, NVME_MSIX_PBA_OFFSET) & 2u, 2u);
    nvfx_mmio_write(&f, e1 + PCIE_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    nvfx_run_us(&f, 5);
    ck_assert(f.nlog > 0 && f.log[f.nlog - 1].kind == PCIE_RC_MSI && f.log[f.nlog - 1].data == 1);
    ck_assert(nvfx_poll(&f, NVME_PF, 1, &c, true));
    /* A Read in flight when its queue is deleted completes no more. */
    nvfx_submit(&f, NVME_PF, 1, nvfx_rw(false, 1, 0, 8, data, 0));
    nvfx_run_us(&f, 5);
    ck_assert_uint_eq(nvfx_admin(&f, NVME_PF,
                                 (nvfx_cmd){.opc = NVME_ADM_DELETE_SQ, .cdw10 = 1}, NULL),
                      0);
    uint64_t cqes = nvme_fn_get_counters(f.n, NVME_PF).cqes;
    nvfx_run_us(&f, 200);
    ck_assert(!nvfx_poll(&f, NVME_PF, 1, &c, false));
    ck_assert_uint_eq(nvme_fn_get_counters(f.n, NVME_PF).cqes, cqes);
    nvfx_free(&f);
}
END_TEST

/* The primary's reset takes its secondaries Offline and gives their resources back;
 * a secondary's MSI-X Table Size is its VI resources. */
START_TEST(test_primary_reset_offlines_secondaries)
{
    nvfx f;
    nvfx_params(&f);
    nvfx_build(&f, false);
    ck_assert(nvfx_enable(&f, NVME_PF));
    sim_err e;
    ck_assert_msg(pci_iov_enable(&f.iov, 1, &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(nvfx_virt(&f, NVME_VIRT_SEC_ASSIGN, NVME_VIRT_RT_VQ, 1, 3), 0);
    ck_assert_uint_eq(nvfx_virt(&f, NVME_VIRT_SEC_ASSIGN, NVME_VIRT_RT_VI, 1, 2), 0);
    ck_assert_uint_eq(nvfx_virt(&f, NVME_VIRT_SEC_ONLINE, 0, 1, 0), 0);
    pcie_cfg *vf = nvme_fn_cfg(f.n, NVME_FN_OF_VF(0));
    ck_assert_uint_eq(pcie_cfg_msix_table_size(vf), 2);
    ck_assert(nvfx_enable(&f, NVME_FN_OF_VF(0)));
    nvfx_mmio_write(&f, nvme_fn_bar(f.n, NVME_PF) + NVME_REG_CC, 4, 0);
    ck_assert(nvfx_reg(&f, NVME_FN_OF_VF(0), NVME_REG_CSTS) & NVME_CSTS_CFS);
    ck_assert_uint_eq(nvme_flex_queues_assigned(f.n), 0);
    ck_assert_uint_eq(nvme_flex_vectors_assigned(f.n), 0);
    ck_assert_uint_eq(pcie_cfg_msix_table_size(vf), 1);
    nvfx_free(&f);
}
END_TEST

/* Isolation: with the IOMMU, VF 0 (its VM's memory mapped in its own domain) points its
 * DMA at VF 1's VM. Writes the IOMMU lets through are stamped into memory; the victim's
 * bytes stay as they were, faults are recorded, and a Write that would carry the
 * victim's data out ends in a Data Transfer Error. The attacker's own buffer does take
 * the stamp (the check can fail). */
typedef struct stamp {
    iommu *u;
    mem_phys *pm;
    uint64_t stamped;
} stamp;

static int stamp_translate(void *ctx, uint16_t rid, uint32_t pasid, uint64_t addr,
                           uint32_t len, bool write, uint64_t *t_ps, uint64_t *hpa)
{
    stamp *s = ctx;
    int rc = iommu_rc_translate(s->u, rid, pasid, addr, len, write, t_ps, hpa);
    if (rc == 0 && write) {
        mem_phys_fill(s->pm, *hpa, 0xA5, len);
        s->stamped++;
    }
    return rc;
}

START_TEST(test_vf_cannot_reach_another_vm)
{
    nvfx f;
    nvfx_params(&f);
    nvfx_build(&f, true);
    sim_err e = {{0}};
    const uint64_t span = 16u << 20;
    ck_assert_msg(platform_assign_identity(f.r.pf, PLATFORM_DEVICE_RID, 1, nvfx_mem_base(NVME_PF),
                                           span, PAGE, &e) == 0, "%s", e.msg);
    ck_assert(nvfx_enable(&f, NVME_PF));
    ck_assert_msg(pci_iov_enable(&f.iov, 2, &e) == 0, "%s", e.msg);
    for (unsigned c = 1; c <= 2; c++) {
        ck_assert_uint_eq(nvfx_virt(&f, NVME_VIRT_SEC_ASSIGN, NVME_VIRT_RT_VQ, c, 2), 0);
        ck_assert_uint_eq(nvfx_virt(&f, NVME_VIRT_SEC_ASSIGN, NVME_VIRT_RT_VI, c, 2), 0);
        ck_assert_uint_eq(nvfx_virt(&f, NVME_VIRT_SEC_ONLINE, 0, c, 0), 0);
        ck_assert_uint_eq(nvfx_attach(&f, 1 + c, c, true), 0);
    }
    for (unsigned vf = 0; vf < 2; vf++)
        ck_assert_msg(platform_assign_identity(f.r.pf, nvme_fn_rid(f.n, NVME_FN_OF_VF(vf)),
                                               (uint16_t)(10 + vf), nvfx_mem_base(NVME_FN_OF_VF(vf)),
                                               span, PAGE, &e) == 0, "%s", e.msg);
    stamp s = {f.r.pf->iommu, f.r.pf->pm, 0};
    pcie_rc_set_translate(f.r.pf->rc, stamp_translate, &s);
    const unsigned evil = NVME_FN_OF_VF(0);
    ck_assert(nvfx_enable(&f, evil));
    ck_assert_uint_eq(nvfx_open_queue(&f, evil, 1, 1, NVFX_ENTRIES), 0);

    uint64_t victim = nvfx_mem_base(NVME_FN_OF_VF(1)) + (1u << 20);
    mem_phys_fill(f.r.pf->pm, victim, 0x5e, 4 * PAGE);
    uint64_t before = mem_phys_hash(f.r.pf->pm, victim, 4 * PAGE);
    uint64_t own = nvfx_alloc(&f, evil, PAGE);
    uint64_t faults0 = iommu_faults_total(f.r.pf->iommu);

    nvfx_submit(&f, evil, 1, nvfx_rw(false, 2, 0, 16, victim, victim + PAGE)); /* into the victim */
    ck_assert_uint_eq(nvfx_wait(&f, evil, 1, 300).status, 0); /* posted: the drive never knows */
    ck_assert_uint_eq(mem_phys_hash(f.r.pf->pm, victim, 4 * PAGE), before);
    ck_assert_uint_gt(iommu_faults_total(f.r.pf->iommu), faults0);

    nvfx_submit(&f, evil, 1, nvfx_rw(true, 2, 0, 8, victim + 2 * PAGE, 0)); /* out of it */
    ck_assert_uint_eq(nvfx_wait(&f, evil, 1, 300).status, NVFX_SF(0, NVME_SC_DATA_XFER_ERROR));
    ck_assert_uint_eq(nvme_fn_get_counters(f.n, evil).dma_errors, 1);

    uint64_t own_before = mem_phys_hash(f.r.pf->pm, own, PAGE);
    nvfx_submit(&f, evil, 1, nvfx_rw(false, 2, 0, 8, own, 0));
    ck_assert_uint_eq(nvfx_wait(&f, evil, 1, 300).status, 0);
    ck_assert_uint_ne(mem_phys_hash(f.r.pf->pm, own, PAGE), own_before);
    ck_assert_uint_eq(mem_phys_hash(f.r.pf->pm, victim, 4 * PAGE), before);
    nvfx_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nvme");
    TCase *tc = tcase_create("nvme");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bringup_identify);
    tcase_add_test(tc, test_read_sequence);
    tcase_add_test(tc, test_write_sequence);
    tcase_add_test(tc, test_command_errors);
    tcase_add_test(tc, test_full_cq_holds_completions);
    tcase_add_test(tc, test_coalescing);
    tcase_add_test(tc, test_sriov_pools_and_namespaces);
    tcase_add_test(tc, test_vf_cannot_reach_another_vm);
    tcase_add_test(tc, test_hostile_commands);
    tcase_add_test(tc, test_masking_and_deletion);
    tcase_add_test(tc, test_primary_reset_offlines_secondaries);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
